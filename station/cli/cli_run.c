/* station run: tests one board and prints each step and measurement as it happens, then the
 * verdict. Ctrl-C aborts the run (the fixture still goes to its safe state); a second Ctrl-C
 * kills the station. The printing, the Ctrl-C handling and the verdict line are shared with
 * the other commands that run the engine (station firmware flash). */
#include "station/cli/cli.h"
#include "db/users.h"
#include "station/engine.h"
#include "station/station_error.h"
#include "db/store.h"
#include "sequences/data_path.h"
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static Engine *running_engine;

static void on_interrupt(int signum)
{
  if (running_engine)
    engine_abort(running_engine);
}

/* On a terminal, a progress line per tenth of a phase, rewritten in place; in a log, one line
 * when the phase is done. */
static void print_progress(CliPrinter *printer, const EngineEvent *e)
{
  int percent = e->total > 0 ? (int)(100 * e->done / e->total) : 100;
  gboolean complete = e->done >= e->total;
  if (!complete && (percent / 10 == printer->last_percent / 10 || !isatty(STDOUT_FILENO)))
    return;
  printf("%s             %-6s %3d %% (%.0f of %.0f bytes)%s",
         isatty(STDOUT_FILENO) ? "\r" : "", e->message, percent, e->done, e->total,
         complete ? "\n" : "");
  printer->last_percent = complete ? -10 : percent;
}

void cli_print_event(const EngineEvent *e, gpointer user_data)
{
  CliPrinter *printer = user_data;
  switch (e->kind) {
  case EVENT_RUN_STARTED:
    printf("Run %" G_GINT64_FORMAT ": %s (model %s)\n", e->run_id,
           *e->serial ? e->serial : "board without serial", e->model);
    break;
  case EVENT_STEP_STARTED:
    if (!printer->quiet)
      printf("[%7.2f s] %-8s %s\n", e->elapsed_s, e->group, e->step);
    break;
  case EVENT_MEASUREMENT: {
    const Measurement *m = e->measurement;
    if (printer->quiet && m->outcome == OUTCOME_PASS)
      break;
    g_autofree char *text = measurement_describe(m);
    const char *verdict = m->comparison == COMPARE_LOG ? "" : outcome_name(m->outcome);
    printf("             %-5s %-30s %s%s\n", verdict, m->name, text,
           m->marginal ? "  (marginal)" : "");
    break;
  }
  case EVENT_STEP_ENDED:
    printf("[%7.2f s] %-8s %-28s %s%s%s\n", e->elapsed_s, e->group, e->step,
           outcome_name(e->outcome), e->message ? ": " : "", e->message ? e->message : "");
    break;
  case EVENT_LOG:
    printf("             log: %s\n", e->message);
    break;
  case EVENT_PROGRESS:
    if (!printer->quiet)
      print_progress(printer, e);
    break;
  case EVENT_RUN_ENDED:
    break;
  }
  fflush(stdout);
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

int cli_run(int argc, char **argv)
{
  g_autofree char *fixture = NULL, *serial = NULL, *db = NULL, *operator_name = NULL,
                  *sequence = NULL, *limits = NULL, *chemistry = NULL, *station_id = NULL,
                  *trusted_keys = NULL, *order = NULL;
  gboolean quiet = FALSE;
  GOptionEntry entries[] = {
    {"fixture", 'f', 0, G_OPTION_ARG_FILENAME, &fixture,
     "Fixture description (default: the twin, fixtures/sim.conf)", "FILE"},
    {"serial", 's', 0, G_OPTION_ARG_STRING, &serial, "The board's scanned serial number",
     "SERIAL"},
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Results database (default: user data dir)",
     "FILE"},
    {"operator", 'o', 0, G_OPTION_ARG_STRING, &operator_name, "Operator name (default: login)",
     "NAME"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &operator_name, "The same as --operator: a user's "
     "name or badge code", "NAME"},
    {"station", 0, 0, G_OPTION_ARG_STRING, &station_id, "Station id (default: host name)",
     "ID"},
    {"chemistry", 'c', 0, G_OPTION_ARG_STRING, &chemistry,
     "Cell chemistry of the order: lfp (default), liion, lto", "CHEM"},
    {"order", 0, 0, G_OPTION_ARG_STRING, &order, "Production order the board is built for",
     "ID"},
    {"sequence", 0, 0, G_OPTION_ARG_FILENAME, &sequence, "Sequence (default sequences/eol.lua)",
     "FILE"},
    {"limits", 0, 0, G_OPTION_ARG_FILENAME, &limits, "Limits (default sequences/limits.conf)",
     "FILE"},
    {"trusted-keys", 0, 0, G_OPTION_ARG_FILENAME, &trusted_keys,
     "Folder of the firmware team's public keys (default: the user's config dir)", "DIR"},
    {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print only step results and failures", NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("");
  g_option_context_set_summary(context,
      "Runs the end-of-line test on one board and stores the result.\n"
      "Exit status: 0 PASS, 1 FAIL, 2 ERROR, 3 ABORTED, 64 usage.");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1 || !serial) {
    cli_error("usage: station run --serial SERIAL [--fixture FILE] [--db FILE] (see --help)");
    return EXIT_USAGE;
  }
  if (!fixture)
    fixture = default_fixture_path();

  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  if (!catalog) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  g_autofree char *db_path = db ? g_strdup(db) : store_default_path();
  g_autoptr(Store) store = store_open(db_path, &error);
  if (!store) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }

  /* A badge scanned for the operator is recorded as the user's name; once the station has an
   * admin, only its users test boards. */
  g_autofree char *user = cli_user_name(store, operator_name);
  if (!store_user_authorize(store, user, USER_ROLE_OPERATOR, "testing a board", &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }

  CliPrinter printer = {.quiet = quiet, .last_percent = -10};
  g_autoptr(Engine) engine = engine_new(catalog, store);
  engine_set_event_handler(engine, cli_print_event, &printer);
  RunRequest request = {
    .fixture_path = fixture, .serial = serial, .sequence_path = sequence,
    .limits_path = limits, .operator_name = user, .station_id = station_id,
    .chemistry = chemistry, .order_id = order, .trusted_keys_dir = trusted_keys,
  };
  RunResult result;
  if (!cli_engine_run(engine, &request, &result, &error)) {
    cli_error("%s", error->message);
    return g_error_matches(error, STATION_ERROR, STATION_ERROR_ABORTED) ? EXIT_ABORTED
                                                                        : EXIT_ERROR;
  }
  cli_print_verdict(&result, serial, db_path);
  int code = cli_exit_code(result.outcome);
  run_result_clear(&result);
  return code;
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

void cli_print_verdict(const RunResult *result, const char *board, const char *db_path)
{
  /* "stored" only when the store has committed the whole run. */
  printf("\n%s  %s  %.2f s  run %" G_GINT64_FORMAT " %s %s\n", outcome_name(result->outcome),
         board ? board : "(no serial)", result->duration_s, result->run_id,
         result->stored ? "stored in" : "could not be stored in", db_path);
  if (result->message)
    printf("  %s\n", result->message);
}
