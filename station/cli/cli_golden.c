/* station golden [list] | add SERIAL --expect pass|fail [--fixture ID] [--reference RUN] |
 * remove SERIAL | check --serial SERIAL [station run's options]: the shift start's golden
 * boards (db/golden.h). An engineer registers a known good board (expected to pass, with its
 * measurements where its reference run had them) or a known bad one (expected to fail), for
 * one fixture or every one; adding, changing and removing are audited. `check` runs a golden
 * board on the fixture as station run does and stores the fixture's check for the shift
 * (station/golden_rule.h); production runs need it (station run refuses them otherwise). */
#include "station/cli/cli.h"
#include "station/golden_rule.h"
#include "station/serial_number.h"
#include "db/golden.h"
#include "db/users.h"
#include <stdio.h>
#include <string.h>

static int golden_list(Store *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) boards = store_golden_list(store, NULL, &error);
  g_autoptr(GPtrArray) checks = boards ? store_golden_latest_checks(store, NULL, NULL, 0, &error)
                                       : NULL;
  if (!checks) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  Shift now = shift_now();
  g_autofree char *when = shift_describe(&now);
  printf("%-24s %-6s %-16s %-10s %-25s %s\n", "golden board", "expect", "fixture",
         "reference", "registered (UTC)", "by");
  for (guint i = 0; i < boards->len; i++) {
    const GoldenBoardRow *b = g_ptr_array_index(boards, i);
    g_autofree char *reference = b->reference_run_id
        ? g_strdup_printf("run %" G_GINT64_FORMAT, b->reference_run_id) : g_strdup("-");
    printf("%-24s %-6s %-16s %-10s %-25s %s\n", b->serial, b->expect,
           b->fixture_id ? b->fixture_id : "(every)", reference, b->changed_at,
           b->changed_by ? b->changed_by : "-");
  }
  if (boards->len == 0)
    printf("(no golden board is registered)\n");
  printf("\nLatest checks (now: %s):\n", when);
  for (guint i = 0; i < checks->len; i++) {
    const GoldenCheckRow *c = g_ptr_array_index(checks, i);
    printf("  %-16s %-24s shift %d of %s  %-4s run %" G_GINT64_FORMAT "  %s\n", c->fixture_id,
           c->serial, c->shift, c->day, c->outcome, c->run_id, c->reason ? c->reason : "");
  }
  if (checks->len == 0)
    printf("  (none)\n");
  return EXIT_PASS;
}

static int golden_add(Store *store, const char *serial, const char *expect,
                      const char *fixture_id, gint64 reference, const char *actor)
{
  g_autoptr(GError) error = NULL;
  if (!expect || (strcmp(expect, "pass") != 0 && strcmp(expect, "fail") != 0)) {
    cli_error("--expect %s: a golden board is expected to pass (a known good board) or to "
              "fail (a known bad one): give --expect pass or --expect fail",
              expect ? expect : "missing");
    return EXIT_USAGE;
  }
  if (reference && strcmp(expect, "pass") != 0) {
    cli_error("--reference: a known bad board has no reference values, it is expected to fail");
    return EXIT_USAGE;
  }
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  SerialNumber parsed;
  if (!catalog || !serial_number_parse(serial, catalog, &parsed, &error)) {
    cli_error("%s", error->message);
    return catalog ? EXIT_USAGE : EXIT_ERROR;
  }
  g_autofree char *doing = g_strdup_printf("registering golden board %s", parsed.text);
  if (!store_user_authorize(store, actor, USER_ROLE_ENGINEER, doing, &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  GoldenBoardRow row = {.serial = parsed.text, .expect = (char *)expect,
                        .fixture_id = (char *)fixture_id, .reference_run_id = reference};
  if (!store_golden_put(store, actor, &row, &error)) {
    cli_error("%s", error->message);
    return g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND) ? EXIT_USAGE : EXIT_ERROR;
  }
  g_autofree char *values = golden_board_describe(&row);
  printf("golden board %s registered: %s (by %s)\n", parsed.text, values, actor);
  return EXIT_PASS;
}

static int golden_remove(Store *store, const char *serial, const char *actor)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *doing = g_strdup_printf("removing golden board %s", serial);
  if (!store_user_authorize(store, actor, USER_ROLE_ENGINEER, doing, &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  g_autofree char *upper = g_ascii_strup(serial, -1);
  if (!store_golden_remove(store, actor, g_strstrip(upper), &error)) {
    cli_error("%s", error->message);
    return g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND) ? EXIT_USAGE : EXIT_ERROR;
  }
  printf("golden board %s removed (by %s)\n", upper, actor);
  return EXIT_PASS;
}

int cli_golden(int argc, char **argv)
{
  const char *what = argc >= 2 && argv[1][0] != '-' ? argv[1] : "list";
  if (strcmp(what, "check") == 0)
    return cli_golden_check(argc - 1, argv + 1);
  if (strcmp(what, "add") != 0 && strcmp(what, "list") != 0 && strcmp(what, "remove") != 0) {
    cli_error("'%s' is not a golden command: use station golden [list], station golden add "
              "SERIAL --expect pass|fail, station golden remove SERIAL or station golden check "
              "--serial SERIAL", what);
    return EXIT_USAGE;
  }
  g_autofree char *db = NULL, *user = NULL, *expect = NULL, *fixture_id = NULL;
  gint64 reference = 0;
  GOptionEntry entries[] = {
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Results database (default: user data dir)",
     "FILE"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &user,
     "add, remove: who does it, user name or badge (default: the login name)", "NAME"},
    {"expect", 0, 0, G_OPTION_ARG_STRING, &expect, "add: the board is known good (pass) or "
     "known bad (fail)", "pass|fail"},
    {"fixture", 0, 0, G_OPTION_ARG_STRING, &fixture_id, "add: the fixture id ([fixture] id) "
     "it checks (default: every fixture)", "ID"},
    {"reference", 0, 0, G_OPTION_ARG_INT64, &reference, "add: the passing run of the board "
     "whose measurements are its reference values (default: its first passing check)", "RUN"},
    G_OPTION_ENTRY_NULL,
  };
  gboolean listing = strcmp(what, "list") == 0;
  int status;
  g_autoptr(Store) store = cli_subcommand_store(&argc, &argv,
      "[list | add SERIAL | remove SERIAL | check --serial SERIAL]",
      "The shift start's golden boards: an engineer registers a known good board (--expect "
      "pass) or a known bad one (--expect fail); at the start of every shift each is run on "
      "the fixture with station golden check (station run's options), and production runs on "
      "a fixture wait for its passing check. Adding, changing and removing are audited.",
      entries, listing, &db,
      "station golden [list | add SERIAL --expect pass|fail [--fixture ID] [--reference RUN] "
      "| remove SERIAL] [--db FILE] [--user NAME]", &status);
  if (!store)
    return status;
  if (listing)
    return golden_list(store);
  g_autofree char *actor = cli_user_name(store, user);
  return strcmp(what, "add") == 0
             ? golden_add(store, argv[1], expect, fixture_id, reference, actor)
             : golden_remove(store, argv[1], actor);
}
