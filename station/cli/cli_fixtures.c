/* station fixtures: every fixture the runs have used, with the boards inserted into it (its
 * contact cycles) against the cycles its contacts are rated for (contact_cycles_max in its
 * fixture file), so the fixture engineer sees which contacts are due for service. */
#include "station/cli/cli.h"
#include "db/store.h"
#include <stdio.h>

int cli_fixtures(int argc, char **argv)
{
  char *db_path = NULL;
  GOptionEntry entries[] = {
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, "Results database", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("");
  g_option_context_set_summary(context, "Lists the fixtures with their contact cycles (one per "
                               "board inserted) and the cycles their contacts are rated for.");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, &argc, &argv) || argc != 1) {
    if (argc != 1)
      cli_error("usage: station fixtures [--db FILE]");
    g_free(db_path);
    return EXIT_USAGE;
  }
  g_autoptr(Store) store = cli_open_store(db_path);
  g_free(db_path);
  if (!store)
    return EXIT_ERROR;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) fixtures = store_list_fixtures(store, &error);
  if (!fixtures) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  printf("%-16s  %-16s  %10s  %10s  %-24s  %s\n", "FIXTURE", "STATION", "CYCLES", "RATED",
         "LAST USED (UTC)", "");
  for (guint i = 0; i < fixtures->len; i++) {
    const FixtureRow *f = g_ptr_array_index(fixtures, i);
    g_autofree char *rated = f->contact_cycles_max > 0
                                 ? g_strdup_printf("%" G_GINT64_FORMAT, f->contact_cycles_max)
                                 : g_strdup("-");
    gboolean due = f->contact_cycles_max > 0 && f->contact_cycles >= f->contact_cycles_max;
    printf("%-16s  %-16s  %10" G_GINT64_FORMAT "  %10s  %-24s  %s\n", f->id,
           f->station_id ? f->station_id : "-", f->contact_cycles, rated, f->last_seen,
           due ? "contacts due for service" : "");
  }
  if (fixtures->len == 0)
    printf("(no fixture has been used)\n");
  return EXIT_PASS;
}
