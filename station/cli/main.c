/* station: the EOL test station's command line. */
#include "station/cli/cli.h"
#include "fixtures/wire_trace.h"
#include <locale.h>
#include <stdio.h>
#include <string.h>

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} commands[] = {
  {"run", cli_run, "test one board: station run --serial SERIAL [--fixture FILE]"},
  {"runs", cli_runs, "list recent runs"},
  {"show", cli_show, "print one run with its steps and measurements: station show RUN"},
  {"models", cli_models, "list the model catalog; models show MODEL prints one"},
  {"validate", cli_validate, "run twin boards with defects and count what the station catches"},
  {"plan", cli_plan, "the cycle-time bound and expected time of a model: plan --model M"},
  {"limits", cli_limits, "print the limits applied to a model: station limits show MODEL"},
  {"report", cli_report, "quality reports: yield, pareto, stats, history, run, export"},
  {"user", cli_user, "the station's users and roles: user add NAME --role R, list, remove"},
  {"orders", cli_orders, "production orders: orders [list], add FILE (engineer), remove ID"},
  {"golden", cli_golden, "shift start: golden boards (engineer) and their check: golden check"},
  {"fixtures", cli_fixtures, "the fixtures used, with their contact cycles against the rating"},
  {"instruments", cli_instruments, "the USB instruments connected, with their resource strings"},
  {"sync", cli_sync, "ship the queued runs to the factory database now; sync status"},
  {"firmware", cli_firmware, "firmware releases: keygen, sign, import, release, list, show, flash"},
};

static void usage(FILE *out)
{
  fprintf(out, "Usage: station [--trace] COMMAND [OPTIONS]\n\nEOL test station for JK Smart "
               "Active BMS boards, version %s.\n\nCommands:\n", STATION_VERSION);
  for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
    fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\nEvery command takes:\n  %-11s %s (or G_MESSAGES_DEBUG=\"%s\")\n", "--trace",
          CLI_TRACE_HELP, WIRE_TRACE_DOMAINS);
  fprintf(out, "\n'station COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  setlocale(LC_NUMERIC, "C"); /* instruments and the database speak '.' decimals */
  g_set_prgname("station");                  /* log lines say "(station:PID)" */
  g_log_writer_default_set_use_stderr(TRUE); /* stdout carries results scripts parse */
  if (argc >= 2 && strcmp(argv[1], "--trace") == 0) {
    wire_trace_show();
    argc--;
    argv++;
  }
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return EXIT_PASS;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("station %s\n", STATION_VERSION);
    return EXIT_PASS;
  }
  for (guint i = 0; i < G_N_ELEMENTS(commands); i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  cli_error("unknown command '%s'", argv[1]);
  usage(stderr);
  return EXIT_USAGE;
}
