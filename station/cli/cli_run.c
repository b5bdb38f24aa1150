/* station run: tests one board and prints each step and measurement as it happens, then the
 * verdict. Ctrl-C aborts the run (the fixture still goes to its safe state); a second Ctrl-C
 * kills the station. The printing, the Ctrl-C handling and the verdict line are shared with
 * the other commands that run the engine (station firmware flash). */
#include "station/cli/cli.h"
#include "station/station_config.h"
#include "db/factory_ship.h"
#include "db/users.h"
#include "station/run_overrides.h"
#include "db/orders.h"
#include "station/engine.h"
#include "station/order.h"
#include "station/station_error.h"
#include "db/store.h"
#include "sequences/data_path.h"
#include "fixtures/fixture_slots.h"
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static Engine *running_engine;

static void on_interrupt(int signum)
{
  if (running_engine)
    engine_abort(running_engine);
}

/* Runs of a batch print from their own threads: one event's lines at a time. */
static GMutex print_lock;

/* On a terminal, a progress line per tenth of a phase, rewritten in place; in a log or a
 * batch, one line when the phase is done. */
static void print_progress(CliPrinter *printer, const EngineEvent *e, GString *out)
{
  int percent = e->total > 0 ? (int)(100 * e->done / e->total) : 100;
  gboolean complete = e->done >= e->total;
  gboolean rewrite = isatty(STDOUT_FILENO) && !printer->slot;
  if (!complete && (percent / 10 == printer->last_percent / 10 || !rewrite))
    return;
  g_string_append_printf(out, "%s             %-6s %3d %% (%.0f of %.0f bytes)%s",
                         rewrite ? "\r" : "", e->message, percent, e->done, e->total,
                         complete ? "\n" : "");
  printer->last_percent = complete ? -10 : percent;
}

/* The event's lines into out. */
static void format_event(CliPrinter *printer, const EngineEvent *e, GString *out)
{
  switch (e->kind) {
  case EVENT_RUN_STARTED:
    g_string_append_printf(out, "Run %" G_GINT64_FORMAT ": %s (model %s)\n", e->run_id,
                           *e->serial ? e->serial : "board without serial", e->model);
    break;
  case EVENT_STEP_STARTED:
    if (!printer->quiet)
      g_string_append_printf(out, "[%7.2f s] %-8s %s\n", e->elapsed_s, e->group, e->step);
    break;
  case EVENT_MEASUREMENT: {
    const Measurement *m = e->measurement;
    if (printer->quiet && m->outcome == OUTCOME_PASS)
      break;
    g_autofree char *text = measurement_describe(m);
    const char *verdict = m->comparison == COMPARE_LOG ? "" : outcome_name(m->outcome);
    g_string_append_printf(out, "             %-5s %-30s %s%s\n", verdict, m->name, text,
                           m->marginal ? "  (marginal)" : "");
    break;
  }
  case EVENT_STEP_ENDED:
    g_string_append_printf(out, "[%7.2f s] %-8s %-28s %s%s%s\n", e->elapsed_s, e->group,
                           e->step, outcome_name(e->outcome), e->message ? ": " : "",
                           e->message ? e->message : "");
    break;
  case EVENT_LOG:
    g_string_append_printf(out, "             log: %s\n", e->message);
    break;
  case EVENT_PROGRESS:
    if (!printer->quiet)
      print_progress(printer, e, out);
    break;
  case EVENT_RUN_ENDED:
    break;
  }
}

void cli_print_lines(int slot, const char *text)
{
  g_mutex_lock(&print_lock);
  if (!slot) {
    fputs(text, stdout);
  } else {
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line; line++)
      if (**line || line[1])
        printf("slot %d  %s%s", slot, *line, line[1] ? "\n" : "");
  }
  fflush(stdout);
  g_mutex_unlock(&print_lock);
}

void cli_print_event(const EngineEvent *e, gpointer user_data)
{
  CliPrinter *printer = user_data;
  g_autoptr(GString) out = g_string_new(NULL);
  format_event(printer, e, out);
  if (out->len)
    cli_print_lines(printer->slot, out->str);
}

int cli_exit_code(Outcome outcome)
{
  switch (outcome) {
  case OUTCOME_PASS: return EXIT_PASS;
  case OUTCOME_FAIL: return EXIT_FAIL;
  case OUTCOME_ABORTED: return EXIT_ABORTED;
  default: return EXIT_ERROR;
  }
}

/* What `station run` was given. */
typedef struct {
  char **serials;                 /* --serial, once per board (a batch: one per slot) */
  int slot;                       /* --slot, 0 when not given */
  char *fixture, *serial, *db, *operator_name, *sequence, *limits, *station_id, *trusted_keys;
  char *order, *order_file, *chemistry, *cells, *heater, *profile, *config;
  gboolean quiet;
} RunOptions;

static void run_options_clear(RunOptions *o)
{
  char **fields[] = {&o->fixture, &o->serial, &o->db, &o->operator_name, &o->sequence,
                     &o->limits, &o->station_id, &o->trusted_keys, &o->order, &o->order_file,
                     &o->chemistry, &o->cells, &o->heater, &o->profile, &o->config};
  for (guint i = 0; i < G_N_ELEMENTS(fields); i++)
    g_clear_pointer(fields[i], g_free);
  g_clear_pointer(&o->serials, g_strfreev);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RunOptions, run_options_clear)

/* Parses the command line into o; FALSE (usage printed) when it is wrong. */
static gboolean parse_run_options(int *argc, char ***argv, RunOptions *o)
{
  GOptionEntry entries[] = {
    {"fixture", 'f', 0, G_OPTION_ARG_FILENAME, &o->fixture,
     "Fixture description (default: the twin, fixtures/sim.conf)", "FILE"},
    {"serial", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o->serials, "The board's scanned serial "
     "number; given once per board, the boards go into the fixture's slots in order and are "
     "tested at once", "SERIAL"},
    {"slot", 0, 0, G_OPTION_ARG_INT, &o->slot, "The slot of the fixture the board is in "
     "(default: its first)", "N"},
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &o->db, "Results database (default: user data dir)",
     "FILE"},
    {"operator", 'o', 0, G_OPTION_ARG_STRING, &o->operator_name,
     "Operator name (default: login)", "NAME"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &o->operator_name, "The same as --operator: a "
     "user's name or badge code", "NAME"},
    {"station", 0, 0, G_OPTION_ARG_STRING, &o->station_id, "Station id (default: host name)",
     "ID"},
    {"order", 0, 0, G_OPTION_ARG_STRING, &o->order, "Production order the board is built for",
     "ID"},
    {"order-file", 0, 0, G_OPTION_ARG_FILENAME, &o->order_file, "The order as a key file "
     "([order] id, cells, chemistry, heater, profile); the options below override it", "FILE"},
    {"chemistry", 'c', 0, G_OPTION_ARG_STRING, &o->chemistry,
     "Cell chemistry of the order: lfp (default), liion, lto", "CHEM"},
    {"cells", 0, 0, G_OPTION_ARG_STRING, &o->cells, "Cells in series of the order (default: "
     "the model's maximum for the chemistry)", "N"},
    {"heater", 0, 0, G_OPTION_ARG_STRING, &o->heater, "The order has the heater option: yes "
     "or no (default: the model's)", "yes|no"},
    {"profile", 0, 0, G_OPTION_ARG_STRING, &o->profile, "Protection profile of production "
     "settings in the limits file (default: [production] as it is)", "NAME"},
    {"sequence", 0, 0, G_OPTION_ARG_FILENAME, &o->sequence,
     "Sequence (default sequences/eol.lua)", "FILE"},
    {"limits", 0, 0, G_OPTION_ARG_FILENAME, &o->limits,
     "Limits (default sequences/limits.conf)", "FILE"},
    {"trusted-keys", 0, 0, G_OPTION_ARG_FILENAME, &o->trusted_keys,
     "Folder of the firmware team's public keys (default: the user's config dir)", "DIR"},
    {"config", 0, 0, G_OPTION_ARG_FILENAME, &o->config, "The station's configuration, with "
     "its factory database (default: the user's config dir, jk-eol-station/station.conf)",
     "FILE"},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet, "Print only step results and failures",
     NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("");
  g_option_context_set_summary(context,
      "Runs the end-of-line test on one board and stores the result.\n"
      "Exit status: 0 PASS, 1 FAIL, 2 ERROR, 3 ABORTED, 64 usage or an order the board's "
      "model cannot take.");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, argc, argv))
    return FALSE;
  if (*argc != 1 || !o->serials || !o->serials[0]) {
    cli_error("usage: station run --serial SERIAL [--serial SERIAL ...] [--slot N] "
              "[--fixture FILE] [--db FILE] (see --help)");
    return FALSE;
  }
  if (o->slot != 0 && (o->slot < 1 || o->slot > FIXTURE_MAX_SLOTS)) {
    cli_error("--slot %d: a slot is numbered 1..%d", o->slot, FIXTURE_MAX_SLOTS);
    return FALSE;
  }
  if (o->slot != 0 && o->serials[1]) {
    cli_error("--slot names the slot of one board; boards scanned together go into the "
              "fixture's slots in order (leave --slot out)");
    return FALSE;
  }
  o->serial = g_strdup(o->serials[0]);
  return TRUE;
}

/* The order file's values, where the command line gave none. */
static gboolean apply_order_file(RunOptions *o, GError **error)
{
  if (!o->order_file)
    return TRUE;
  OrderFile file;
  if (!order_file_load(o->order_file, &file, error))
    return FALSE;
  char **options[] = {&o->order, &o->cells, &o->chemistry, &o->heater, &o->profile};
  char **values[] = {&file.id, &file.cells, &file.chemistry, &file.heater, &file.profile};
  for (guint i = 0; i < G_N_ELEMENTS(options); i++)
    if (!*options[i])
      *options[i] = g_steal_pointer(values[i]);
  order_file_clear(&file);
  return TRUE;
}

int cli_refused_status(const GError *error)
{
  if (g_error_matches(error, STATION_ERROR, STATION_ERROR_USAGE) ||
      g_error_matches(error, STATION_ERROR, STATION_ERROR_ORDER))
    return EXIT_USAGE;
  return g_error_matches(error, STATION_ERROR, STATION_ERROR_ABORTED) ? EXIT_ABORTED
                                                                      : EXIT_ERROR;
}

/* How often a long `station run` takes the factory database's firmware releases. */
#define FIRMWARE_FETCH_INTERVAL_S 60.0

/* What the shipper's firmware fetch needs of the command line. */
typedef struct {
  char *trusted_keys;           /* NULL: the default folder */
  char *station_id;             /* NULL: the host name */
} FirmwareFetchTask;

static void fetch_task_free(FirmwareFetchTask *task)
{
  g_free(task->trusted_keys);
  g_free(task->station_id);
  g_free(task);
}

/* On the shipper's thread: its own connections, the sentences as log messages. */
static void fetch_firmware_task(Store *store, FactoryDb *factory, gpointer data)
{
  FirmwareFetchTask *task = data;
  cli_fetch_firmware(store, factory, task->trusted_keys, task->station_id, FALSE);
}

/* The exit status of a finished run: a golden board's run is the fixture's golden check, and
 * exits with the check's verdict (a known bad board that fails passes the check). */
static int run_exit_code(const RunResult *result)
{
  if (!result->golden_checked || result->outcome == OUTCOME_ERROR ||
      result->outcome == OUTCOME_ABORTED)
    return cli_exit_code(result->outcome);
  return result->golden_passed ? EXIT_PASS : EXIT_FAIL;
}

/* station run, or station golden check (golden_only: the board must be a golden board). */
static int run_boards(int argc, char **argv, gboolean golden_only)
{
  g_auto(RunOptions) o = {0};
  if (!parse_run_options(&argc, &argv, &o))
    return EXIT_USAGE;
  if (!o.fixture)
    o.fixture = default_fixture_path();

  g_autoptr(GError) error = NULL;
  gboolean order_options = o.cells || o.chemistry || o.heater || o.profile;
  if (!apply_order_file(&o, &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  if (!catalog) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  g_auto(StationConfig) config = {0};
  if (!station_config_load(o.config, &config, &error)) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  g_autofree char *db_path = o.db ? g_strdup(o.db) : store_default_path();
  g_autoptr(Store) store = store_open(db_path, &error);
  if (!store) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }

  /* A badge scanned for the operator is recorded as the user's name; once the station has an
   * admin, only its users test boards. */
  g_autofree char *user = cli_user_name(store, o.operator_name);
  if (!store_user_authorize(store, user, USER_ROLE_OPERATOR, "testing a board", &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }

  RunRequest request = {
    .fixture_path = o.fixture, .slot = o.slot, .serial = o.serial, .sequence_path = o.sequence,
    .limits_path = o.limits, .operator_name = user, .station_id = o.station_id,
    .chemistry = o.chemistry, .cells = o.cells, .heater = o.heater, .profile = o.profile,
    .order_id = o.order, .trusted_keys_dir = o.trusted_keys,
    .golden_policy = config.golden_policy, .golden_only = golden_only,
  };
  /* An order registered on the station gives the values nothing else gave. */
  g_autoptr(OrderRow) registered = o.order ? store_order_find(store, o.order, NULL) : NULL;
  g_autofree char *registered_values = NULL;
  if (registered) {
    char **options[] = {&o.cells, &o.chemistry, &o.heater, &o.profile};
    const char *values[] = {registered->cells, registered->chemistry, registered->heater,
                            registered->profile};
    for (guint i = 0; i < G_N_ELEMENTS(options); i++)
      if (!*options[i])
        *options[i] = g_strdup(values[i]);
    request.cells = o.cells;
    request.chemistry = o.chemistry;
    request.heater = o.heater;
    request.profile = o.profile;
    registered_values = order_values_describe(registered->cells, registered->chemistry,
                                              registered->heater, registered->profile);
  }
  RunOrderSource order = {
    .registered_id = o.order, .registered = registered_values,
    .registered_profile = registered ? registered->profile : NULL,
    .file = o.order_file, .options = order_options,
  };
  /* A sequence, limits, profile or order other than the station's: an engineer's, audited. */
  if (!run_overrides_authorize(store, user, &request, &order, &error)) {
    cli_error("%s", error->message);
    return g_error_matches(error, USER_ERROR, USER_ERROR_DENIED) ? EXIT_USAGE : EXIT_ERROR;
  }
  /* The shipper's thread ships what earlier runs left queued while these go, and each run
   * once its verdict is shown; the process waits for it at most ship_wait_s. */
  /* ... and takes the factory database's firmware releases the station has not taken. */
  FactoryShipper *shipper = NULL;
  if (config.has_factory) {
    FirmwareFetchTask *data = g_new0(FirmwareFetchTask, 1);
    data->trusted_keys = g_strdup(o.trusted_keys);
    data->station_id = g_strdup(o.station_id);
    FactoryShipperTask fetch = {.run = fetch_firmware_task, .data = data,
                                .destroy = (GDestroyNotify)fetch_task_free,
                                .interval_s = FIRMWARE_FETCH_INTERVAL_S};
    shipper = factory_shipper_start(db_path, &config.factory, &fetch);
  }
  if (o.serials[1]) {
    int code = cli_run_batch(catalog, db_path, &request, (const char *const *)o.serials,
                             o.quiet);
    if (shipper) {
      factory_shipper_nudge(shipper);
      factory_shipper_finish(shipper, config.ship_wait_s);
    }
    return code;
  }
  CliPrinter printer = {.quiet = o.quiet, .last_percent = -10};
  g_autoptr(Engine) engine = engine_new(catalog, store);
  engine_set_event_handler(engine, cli_print_event, &printer);
  RunResult result;
  if (!cli_engine_run(engine, &request, &result, &error)) {
    cli_error("%s", error->message);
    if (shipper)
      factory_shipper_finish(shipper, 0);
    return cli_refused_status(error);
  }
  cli_print_verdict(&result, o.serial, db_path);
  fflush(stdout);
  if (shipper) {
    factory_shipper_nudge(shipper);
    factory_shipper_finish(shipper, config.ship_wait_s);
  }
  int code = run_exit_code(&result);
  run_result_clear(&result);
  return code;
}

int cli_run(int argc, char **argv)
{
  return run_boards(argc, argv, FALSE);
}

int cli_golden_check(int argc, char **argv)
{
  return run_boards(argc, argv, TRUE);
}

gboolean cli_engine_run(Engine *engine, const RunRequest *request, RunResult *result,
                        GError **error)
{
  running_engine = engine;
  struct sigaction action = {.sa_handler = on_interrupt, .sa_flags = SA_RESETHAND};
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, NULL);
  sigaction(SIGTERM, &action, NULL);
  gboolean started = engine_run(engine, request, result, error);
  running_engine = NULL;
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  return started;
}

void cli_format_verdict(const RunResult *result, const char *board, const char *db_path,
                        GString *out)
{
  /* "stored" only when the store has committed the whole run. */
  g_string_append_printf(out, "\n%s  %s  %.2f s  run %" G_GINT64_FORMAT " %s %s\n",
                         outcome_name(result->outcome), board ? board : "(no serial)",
                         result->duration_s, result->run_id,
                         result->stored ? "stored in" : "could not be stored in", db_path);
  if (result->message)
    g_string_append_printf(out, "  %s\n", result->message);
  if (result->golden_message)
    g_string_append_printf(out, "  %s\n", result->golden_message);
}

void cli_print_verdict(const RunResult *result, const char *board, const char *db_path)
{
  g_autoptr(GString) out = g_string_new(NULL);
  cli_format_verdict(result, board, db_path, out);
  cli_print_lines(0, out->str);
}
