/* station fixtures: every fixture the runs have used, with the boards inserted into it since
 * its contacts were last replaced (its contact cycles) against the cycles its contacts are
 * rated for (contact_cycles_max in its fixture file), so the fixture engineer sees which
 * contacts are due for service, and the instruments of its latest run with their calibration
 * due dates. `station fixtures reset-contacts FIXTURE_ID` sets the cycles back to 0 when the
 * bed of nails is replaced: the engineer role, written to the audit log. */
#include "station/cli/cli.h"
#include "db/store.h"
#include "db/users.h"
#include <stdio.h>
#include <string.h>

/* The instruments of the fixture's latest run, a past due date marked. */
static void print_instruments(const FixtureRow *f, const char *today)
{
  if (f->last_run_id == 0) {
    printf("    (no run of it recorded)\n");
    return;
  }
  for (guint i = 0; i < f->instruments->len; i++) {
    const RunInstrumentRow *instrument = g_ptr_array_index(f->instruments, i);
    gboolean overdue = instrument->cal_due && strcmp(instrument->cal_due, today) < 0;
    printf("    %-10s %-24s %-40s calibration due %s%s\n", instrument->role,
           instrument->driver, instrument->resource,
           instrument->cal_due ? instrument->cal_due : "(not given)",
           overdue ? "  OVERDUE" : "");
  }
  if (f->instruments->len == 0)
    printf("    (run %" G_GINT64_FORMAT " recorded no instruments)\n", f->last_run_id);
}

static int list_fixtures(Store *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) fixtures = store_list_fixtures(store, &error);
  if (!fixtures) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *today = g_date_time_format(now, "%Y-%m-%d");
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
    if (f->contacts_reset_at)
      printf("    contacts replaced %s\n", f->contacts_reset_at);
    print_instruments(f, today);
  }
  if (fixtures->len == 0)
    printf("(no fixture has been used)\n");
  return EXIT_PASS;
}

/* Resets the contact cycles of fixture_id as actor, who must be an engineer. */
static int reset_contacts(Store *store, const char *fixture_id, const char *actor)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *doing = g_strdup_printf("resetting the contact cycles of fixture %s",
                                           fixture_id);
  if (!store_user_authorize(store, actor, USER_ROLE_ENGINEER, doing, &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  gint64 before = 0;
  if (!store_fixture_reset_contacts(store, actor, fixture_id, &before, &error)) {
    cli_error("%s", error->message);
    return g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND) ? EXIT_USAGE : EXIT_ERROR;
  }
  printf("fixture %s: contact cycles %" G_GINT64_FORMAT " -> 0 (contacts replaced, by %s)\n",
         fixture_id, before, actor);
  return EXIT_PASS;
}

int cli_fixtures(int argc, char **argv)
{
  g_autofree char *db_path = NULL, *user = NULL;
  GOptionEntry entries[] = {
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, "Results database", "FILE"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &user,
     "reset-contacts: who does it, user name or badge (default: the login name)", "NAME"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("[reset-contacts FIXTURE_ID]");
  g_option_context_set_summary(context, "Lists the fixtures with their contact cycles (one per "
                               "board inserted since the contacts were replaced), the cycles "
                               "their contacts are rated for and the instruments of their "
                               "latest run with their calibration due dates; reset-contacts "
                               "sets a fixture's cycles to 0 when its contacts are replaced "
                               "(engineer role).");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  gboolean resetting = argc == 3 && strcmp(argv[1], "reset-contacts") == 0;
  if (argc != 1 && !resetting) {
    cli_error("usage: station fixtures [--db FILE] or station fixtures reset-contacts "
              "FIXTURE_ID [--user NAME] [--db FILE]");
    return EXIT_USAGE;
  }
  g_autoptr(Store) store = cli_open_store(db_path);
  if (!store)
    return EXIT_ERROR;
  if (!resetting)
    return list_fixtures(store);
  g_autofree char *actor = cli_user_name(store, user);
  return reset_contacts(store, argv[2], actor);
}
