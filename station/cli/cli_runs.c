/* station runs / station show RUN: reading stored results. */
#include "station/cli/cli.h"
#include "db/store.h"
#include <math.h>
#include <stdio.h>

static char *db_path_option;

int cli_runs(int argc, char **argv)
{
  char *serial = NULL;
  int limit = 20;
  GOptionEntry entries[] = {
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &db_path_option, "Results database", "FILE"},
    {"serial", 's', 0, G_OPTION_ARG_STRING, &serial, "Only runs of this board", "SERIAL"},
    {"limit", 'n', 0, G_OPTION_ARG_INT, &limit, "How many runs (default 20)", "N"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("");
  g_option_context_set_summary(context, "Lists the most recent runs, newest first.");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, &argc, &argv) || argc != 1 || limit < 1) {
    if (argc != 1 || limit < 1)
      cli_error("usage: station runs [--db FILE] [--serial SERIAL] [--limit N]");
    return EXIT_USAGE;
  }
  g_autoptr(Store) store = cli_open_store(db_path_option);
  if (!store)
    return EXIT_ERROR;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = store_list_runs(store, limit, serial, &error);
  g_free(serial);
  if (!runs) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  printf("%6s  %-24s  %-22s  %-10s  %-5s  %-8s %8s  %s\n", "RUN", "STARTED (UTC)", "SERIAL",
         "MODEL", "KIND", "OUTCOME", "TIME", "FIRST FAILURE");
  for (guint i = 0; i < runs->len; i++) {
    RunRow *r = g_ptr_array_index(runs, i);
    g_autofree char *duration = isnan(r->duration_s) ? g_strdup("-")
                                                     : g_strdup_printf("%.2f s", r->duration_s);
    printf("%6" G_GINT64_FORMAT "  %-24s  %-22s  %-10s  %-5s  %-8s %8s  %s\n", r->id,
           r->started_at, *r->serial ? r->serial : "-", r->model, r->purpose, r->outcome,
           duration, r->first_failure ? r->first_failure : "");
  }
  if (runs->len == 0)
    printf("(no runs%s%s)\n", serial ? " of " : "", serial ? serial : "");
  return EXIT_PASS;
}

static void print_measurement(const MeasurementRow *m)
{
  g_autofree char *value = m->text ? g_strdup_printf("'%s'", m->text)
                                   : g_strdup_printf("%.6g %s", m->value, m->unit);
  g_autofree char *limits = NULL;
  if (m->text && m->expected)
    limits = g_strdup_printf("expected '%s'", m->expected);
  else if (!isnan(m->low) && !isnan(m->high))
    limits = g_strdup_printf("[%.6g, %.6g] %s", m->low, m->high, m->comparison);
  else if (!isnan(m->low))
    limits = g_strdup_printf(">= %.6g", m->low);
  else if (!isnan(m->high))
    limits = g_strdup_printf("<= %.6g", m->high);
  printf("      %-5s %-34s %-18s %s\n", m->outcome, m->name, value, limits ? limits : "");
}

/* Prints a run in full: its record, its calibrations, every step and every measurement. */
void cli_print_run(const RunDetail *detail)
{
  const RunRow *r = &detail->run;
  printf("Run %" G_GINT64_FORMAT ": %s  %s%s\n", r->id, *r->serial ? r->serial : "(no serial)",
         r->outcome, g_str_equal(r->purpose, "flash")
                         ? "  (flash run: rework flashing, not a verdict on the board)" : "");
  printf("  model %s, station %s, fixture %s slot %d, operator %s\n", r->model, r->station_id,
         r->fixture_id, r->slot, r->operator_name);
  printf("  uid %s\n", r->uid ? r->uid : "-");
  printf("  started %s, ended %s", r->started_at, r->ended_at ? r->ended_at : "-");
  if (!isnan(r->duration_s))
    printf(" (%.2f s)", r->duration_s);
  printf("\n  sequence %s sha256 %s\n", r->sequence_name, r->sequence_sha256);
  printf("  limits sha256 %s\n", r->limits_sha256 ? r->limits_sha256 : "-");
  printf("  firmware sha256 %s, station version %s\n",
         r->firmware_sha256 ? r->firmware_sha256 : "-", r->app_version);
  static const char *const heater_words[] = {"heater -", "no heater", "heater"};
  printf("  order %s, chemistry %s, %d cells, %s, profile %s\n",
         r->order_id ? r->order_id : "-", r->chemistry ? r->chemistry : "-", r->cell_count,
         heater_words[r->heater], r->profile ? r->profile : "-");
  for (guint i = 0; i < detail->instruments->len; i++) {
    const RunInstrumentRow *instrument = g_ptr_array_index(detail->instruments, i);
    printf("  instrument %-9s %-16s %s, calibration due %s\n", instrument->role,
           instrument->driver, instrument->resource,
           instrument->cal_due ? instrument->cal_due : "-");
  }
  for (guint i = 0; i < detail->calibrations->len; i++) {
    const CalibrationRow *c = g_ptr_array_index(detail->calibrations, i);
    printf("  calibration %-7s %-4s reference %.6g %s, before %.6g, after %.6g, factor %.6g\n",
           c->kind, c->outcome, c->reference, c->unit, c->reading_before, c->reading_after,
           c->factor);
  }
  if (r->first_failure)
    printf("  first failure: %s\n", r->first_failure);
  if (r->message)
    printf("  %s\n", r->message);
  for (guint i = 0; i < detail->steps->len; i++) {
    const StepRow *s = g_ptr_array_index(detail->steps, i);
    printf("  %2d %-8s %-28s %s%s%s\n", s->index, s->group, s->name, s->outcome,
           s->message ? "  " : "", s->message ? s->message : "");
    for (guint j = 0; j < s->measurements->len; j++)
      print_measurement(g_ptr_array_index(s->measurements, j));
  }
}

int cli_show(int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &db_path_option, "Results database", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("RUN");
  g_option_context_set_summary(context, "Prints one stored run: its record, every step and "
                                        "every measurement.");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  char *end = NULL;
  gint64 run_id = argc == 2 ? g_ascii_strtoll(argv[1], &end, 10) : 0;
  if (argc != 2 || *end || run_id <= 0) {
    cli_error("usage: station show RUN (a run number from 'station runs')");
    return EXIT_USAGE;
  }
  g_autoptr(Store) store = cli_open_store(db_path_option);
  if (!store)
    return EXIT_ERROR;
  g_autoptr(GError) error = NULL;
  g_autoptr(RunDetail) detail = store_get_run(store, run_id, &error);
  if (!detail) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  cli_print_run(detail);
  return EXIT_PASS;
}
