/* The station's command-line front end: one function per subcommand, each taking the
 * arguments after the subcommand's name and returning the process exit code. */
#pragma once
#include <glib.h>
#include "db/store.h"
#include "db/factory.h"
#include "station/engine.h"

/* Exit codes, documented in the README. */
enum {
  EXIT_PASS = 0,      /* the command succeeded / the board passed */
  EXIT_FAIL = 1,      /* the board failed */
  EXIT_ERROR = 2,     /* the station could not do it (run ERROR, instrument, database) */
  EXIT_ABORTED = 3,   /* the operator aborted the run */
  EXIT_USAGE = 64,    /* the command line was wrong */
};

int cli_models(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_runs(int argc, char **argv);
int cli_show(int argc, char **argv);
int cli_limits(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_plan(int argc, char **argv);
int cli_firmware(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_fixtures(int argc, char **argv);
int cli_instruments(int argc, char **argv);
int cli_orders(int argc, char **argv);
int cli_sync(int argc, char **argv);
int cli_golden(int argc, char **argv);
/* station golden check: station run of a golden board of the fixture, exiting with the
 * check's verdict (cli_run.c). */
int cli_golden_check(int argc, char **argv);

/* What --trace does, for the help texts. */
#define CLI_TRACE_HELP "Show every SCPI line, Modbus frame and bootloader exchange on stderr"

/* Parses options, and the options every command takes (--trace); on error prints it with the
 * usage hint and returns FALSE. */
gboolean cli_parse(GOptionContext *context, int *argc, char ***argv);
/* Opens the results database at db_path (NULL: the default), printing why it cannot. */
Store *cli_open_store(const char *db_path);
/* A subcommand of a group (station orders, golden, user; argv[1] its word, when given):
 * parses its options (entries, with the help's parameters and summary), checks that a listing
 * has no argument and a change one (else prints "usage: <usage>") and opens the database the
 * parsed --db (*db) names. NULL with *status the exit status when it cannot. */
Store *cli_subcommand_store(int *argc, char ***argv, const char *parameters, const char *summary,
                            const GOptionEntry *entries, gboolean listing, char *const *db,
                            const char *usage, int *status);
/* Prints a stored run in full: record, calibrations, steps and measurements. */
void cli_print_run(const RunDetail *detail);
/* The user doing a command: given (a name or badge code, NULL: the login name) as the user's
 * name when the station knows it (freeing). */
char *cli_user_name(Store *store, const char *given);
/* How the commands that run the engine print its events. */
typedef struct {
  gboolean quiet;                 /* only failing measurements and step ends */
  int last_percent;               /* progress printed last (-10: none yet) */
  int slot;                       /* a batch's: every line starts "slot N  " (0: no prefix) */
} CliPrinter;
/* Prints text on stdout at once, each line prefixed "slot N  " when slot is not 0 (the
 * lines of runs on several threads never mix). */
void cli_print_lines(int slot, const char *text);
/* Prints an event as it happens (an EngineEventFunc; user_data is a CliPrinter). */
void cli_print_event(const EngineEvent *event, gpointer user_data);
/* Runs request on engine (engine_run) with Ctrl-C and SIGTERM aborting it: the run ends
 * ABORTED after its teardown; a second Ctrl-C kills the station. */
gboolean cli_engine_run(Engine *engine, const RunRequest *request, RunResult *result,
                        GError **error);
/* The verdict line, "PASS  <board>  1.23 s  run 7 stored in <db>", and why it did not pass. */
void cli_print_verdict(const RunResult *result, const char *board, const char *db_path);
/* The verdict lines into out. */
void cli_format_verdict(const RunResult *result, const char *board, const char *db_path,
                        GString *out);
/* The exit status of a run that could not start: 64 for what the command line got wrong (an
 * order the model cannot take included), 3 aborted, else 2. */
int cli_refused_status(const GError *error);
/* Tests the boards `serials` (two or more) at once, one per slot of the fixture in order,
 * each as base says otherwise (cli_batch.c); prints every slot's events prefixed with its
 * number and returns the highest exit status of the runs. */
int cli_run_batch(const Catalog *catalog, const char *db_path, const RunRequest *base,
                  const char *const *serials, gboolean quiet);
/* The exit status of a run's outcome: 0 PASS, 1 FAIL, 2 ERROR, 3 ABORTED. */
int cli_exit_code(Outcome outcome);
/* Takes the factory database's firmware releases the station station_id (NULL: the host
 * name) has not taken, checked with the trusted keys of trusted_dir (NULL: the default
 * folder); a sentence per release taken, kept or refused on stdout when print, else as log
 * messages. Returns the number refused, -1 when the keys or a database failed (said so). */
int cli_fetch_firmware(Store *store, FactoryDb *factory, const char *trusted_dir,
                       const char *station_id, gboolean print);
/* Prints "station: <message>" to stderr. */
void cli_error(const char *format, ...) G_GNUC_PRINTF(1, 2);
