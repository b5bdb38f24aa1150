/* The station's command-line front end: one function per subcommand, each taking the
 * arguments after the subcommand's name and returning the process exit code. */
#pragma once
#include <glib.h>
#include "db/store.h"

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

/* What --trace does, for the help texts. */
#define CLI_TRACE_HELP "Show every SCPI line, Modbus frame and bootloader exchange on stderr"

/* Parses options, and the options every command takes (--trace); on error prints it with the
 * usage hint and returns FALSE. */
gboolean cli_parse(GOptionContext *context, int *argc, char ***argv);
/* Opens the results database at db_path (NULL: the default), printing why it cannot. */
Store *cli_open_store(const char *db_path);
/* Prints a stored run in full: record, calibrations, steps and measurements. */
void cli_print_run(const RunDetail *detail);
/* The user doing a command: given (a name or badge code, NULL: the login name) as the user's
 * name when the station knows it (freeing). */
char *cli_user_name(Store *store, const char *given);
/* Prints "station: <message>" to stderr. */
void cli_error(const char *format, ...) G_GNUC_PRINTF(1, 2);
