/* station sync [status]: ships the runs waiting in the outbox to the factory database now and
 * takes its firmware releases, or shows the queue. Exit status of `station sync`: 0 nothing left queued, 1 the factory
 * database refused some runs (they stay queued, each with the server's reason) or the station
 * refused a firmware release fetched from it (a signature it cannot verify), 2 it could
 * not be reached (every run stays queued), the station has none configured, or the result
 * database failed; 64 a wrong command line. */
#include "station/cli/cli.h"
#include "station/station_config.h"
#include "db/factory_ship.h"
#include "db/outbox.h"
#include <stdio.h>
#include <string.h>

/* Ships everything queued, printing the tally, then takes the factory database's firmware
 * releases. */
static int sync_now(Store *store, const StationConfig *config, const char *trusted_dir,
                    const char *station_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FactoryDb) factory = factory_open(&config->factory, &error);
  if (factory == NULL) {
    store_outbox_attempted(store, error->message, NULL);
    cli_error("%s; the runs stay queued", error->message);
    return EXIT_ERROR;
  }
  ShipTally tally;
  g_autofree char *rejection = NULL;
  gboolean ok = factory_ship_queue(store, factory, FALSE, &tally, &rejection, &error);
  OutboxStatus left;
  if (store_outbox_status(store, &left, NULL)) {
    tally.remaining = left.queued;
    outbox_status_clear(&left);
  }
  printf("shipped %" G_GINT64_FORMAT " runs to the factory database %s (%" G_GINT64_FORMAT
         " it had already), %" G_GINT64_FORMAT " refused, %" G_GINT64_FORMAT " still queued\n",
         tally.shipped, factory_description(factory), tally.already, tally.rejected,
         tally.remaining);
  if (!ok) {
    store_outbox_attempted(store, error->message, NULL);
    cli_error("%s; the runs not shipped stay queued", error->message);
    return EXIT_ERROR;
  }
  int refused = cli_fetch_firmware(store, factory, trusted_dir, station_id, TRUE);
  if (tally.rejected) {
    cli_error("the factory database refused %" G_GINT64_FORMAT " runs, which stay queued; the "
              "last: %s", tally.rejected, rejection);
    return EXIT_FAIL;
  }
  if (refused < 0)
    return EXIT_ERROR;
  return tally.remaining || refused ? EXIT_FAIL : EXIT_PASS;
}

static int sync_status(Store *store, const StationConfig *config)
{
  g_autoptr(GError) error = NULL;
  OutboxStatus s;
  if (!store_outbox_status(store, &s, &error)) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  g_autofree char *where = config->has_factory
                               ? factory_config_describe(&config->factory, NULL) : NULL;
  printf("factory database: %s\n", where ? where : "none configured");
  printf("queued: %" G_GINT64_FORMAT " runs (%" G_GINT64_FORMAT " failed at least once)\n",
         s.queued, s.failed);
  if (s.oldest_run_id)
    printf("oldest: run %" G_GINT64_FORMAT " %s, queued %s\n", s.oldest_run_id,
           s.oldest_uid ? s.oldest_uid : "-", s.oldest_queued_at);
  printf("shipped: %" G_GINT64_FORMAT " runs, last %s\n", s.shipped,
         s.last_success_at ? s.last_success_at : "never");
  printf("last attempt: %s, %s\n", s.last_attempt_at ? s.last_attempt_at : "never",
         s.last_error ? s.last_error : s.last_attempt_at ? "reached the factory database" : "-");
  if (s.last_run_error)
    printf("last refused: run %" G_GINT64_FORMAT ": %s\n", s.last_run_error_id,
           s.last_run_error);
  outbox_status_clear(&s);
  return EXIT_PASS;
}

int cli_sync(int argc, char **argv)
{
  g_autofree char *db = NULL, *config_path = NULL, *trusted_dir = NULL, *station_id = NULL;
  GOptionEntry entries[] = {
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Results database (default: user data dir)",
     "FILE"},
    {"config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "The station's configuration "
     "(default: the user's config dir, jk-eol-station/station.conf)", "FILE"},
    {"trusted-keys", 0, 0, G_OPTION_ARG_FILENAME, &trusted_dir, "Folder of trusted public "
     "keys the fetched firmware is checked with (default "
     "$XDG_CONFIG_HOME/jk-eol-station/trusted-keys)", "DIR"},
    {"station", 0, 0, G_OPTION_ARG_STRING, &station_id, "Station id the firmware releases are "
     "fetched for (default: host name)", "ID"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("[status]");
  g_option_context_set_summary(context,
      "Ships the finished runs waiting in the outbox to the factory database now, then\n"
      "takes the firmware releases published there that the station has not taken;\n"
      "'status' shows the queue. Exit status: 0 none left queued, 1 some refused by the\n"
      "factory database (still queued) or a firmware release refused by the station, 2 it\n"
      "could not be reached or none is configured.");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  gboolean status = argc == 2 && strcmp(argv[1], "status") == 0;
  if (argc > 2 || (argc == 2 && !status)) {
    cli_error("usage: station sync [status] [--db FILE] [--config FILE]");
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  StationConfig config;
  if (!station_config_load(config_path, &config, &error)) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  int code = EXIT_ERROR;
  if (!status && !config.has_factory) {
    g_autofree char *path = config.path ? g_strdup(config.path) : station_config_default_path();
    cli_error("no factory database is configured: give [factory] database in %s", path);
  } else {
    g_autoptr(Store) store = cli_open_store(db);
    if (store)
      code = status ? sync_status(store, &config) : sync_now(store, &config, trusted_dir, station_id);
  }
  station_config_clear(&config);
  return code;
}
