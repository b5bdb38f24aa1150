/* station validate: the station tests its own verdicts on the twin (see validate.h). */
#include "station/cli/cli.h"
#include "station/validate.h"
#include "station/cli/cli_validate_curve.h"
#include "sequences/data_path.h"
#include <stdio.h>

static void print_progress(int index, const char *serial, const char *order,
                           const char *fault, const char *outcome, const char *first_failure,
                           gpointer user_data)
{
  printf("%5d  %-22s %-17s %-28s %-7s %s\n", index, serial, order, *fault ? fault : "(good)",
         outcome, first_failure ? first_failure : "");
  fflush(stdout);
}

/* Prints n, mean, σ, min and max per measurement family over the good boards that passed;
 * returns how many families have limits and no spread. */
static guint print_spread(SpreadTable *spread)
{
  GArray *rows = spread_table_rows(spread);
  printf("\nSpread over good boards (per-cell names pooled as cell_NN):\n");
  printf("%-40s %-8s %6s %14s %12s %14s %14s\n", "MEASUREMENT", "UNIT", "N", "MEAN", "SIGMA",
         "MIN", "MAX");
  for (guint i = 0; i < rows->len; i++) {
    const SpreadRow *r = &g_array_index(rows, SpreadRow, i);
    printf("%-40s %-8s %6u %14.6g %12.4g %14.6g %14.6g%s\n", r->name, r->unit, r->n, r->mean,
           r->sigma, r->min, r->max,
           r->no_spread ? "  NO SPREAD" : !r->has_limits ? "  (no limits)"
                                        : r->exact ? "  (read-back)" : "");
  }
  guint flagged = spread_table_flagged(spread);
  printf("\nmeasurements with limits and no spread over good boards: %u\n", flagged);
  return flagged;
}

/* The orders the boards were built for, per chemistry. */
static void print_orders(const ValidateOrders *orders, gboolean default_orders)
{
  printf("Orders%s:", default_orders ? " (each model's default)" : " (drawn)");
  for (int c = 0; c < CHEMISTRY_COUNT; c++)
    if (orders->boards[c])
      printf(" %s %d (%d at the minimum cell count, %d at the maximum);",
             chemistry_key((Chemistry)c), orders->boards[c], orders->at_minimum[c],
             orders->at_maximum[c]);
  printf(" heater left out on %d\n\n", orders->heater_off);
}

int cli_validate(int argc, char **argv)
{
  g_autofree char *fixture = NULL, *db = NULL, *faults = NULL, *curve = NULL;
  int boards = -1, seed = 1, boards_per_size = 10, sizes = 8; /* -1: not given */
  double good_share = -1;
  gboolean verbose = FALSE, stats = FALSE, default_orders = FALSE;
  GOptionEntry entries[] = {
    {"boards", 'n', 0, G_OPTION_ARG_INT, &boards, "Boards to run (default 100)", "N"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed of the draws (default 1)", "S"},
    {"faults", 0, 0, G_OPTION_ARG_STRING, &faults,
     "Only these defects, comma separated (default: all)", "LIST"},
    {"good-share", 0, 0, G_OPTION_ARG_DOUBLE, &good_share,
     "Share of boards without a defect (default 0.3)", "X"},
    {"fixture", 'f', 0, G_OPTION_ARG_FILENAME, &fixture,
     "Fixture description with a [twin] group (default fixtures/sim.conf)", "FILE"},
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Keep the runs in this database", "FILE"},
    {"default-orders", 0, 0, G_OPTION_ARG_NONE, &default_orders,
     "Every board at its model's default order (LiFePO4, the most cells, its heater option) "
     "instead of drawn orders", NULL},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print every board", NULL},
    {"curve", 0, 0, G_OPTION_ARG_STRING, &curve,
     "The detection curve of one defect with a size, from harmless to gross", "DEFECT"},
    {"boards-per-size", 0, 0, G_OPTION_ARG_INT, &boards_per_size,
     "With --curve: boards at each size (default 10)", "N"},
    {"sizes", 0, 0, G_OPTION_ARG_INT, &sizes,
     "With --curve: sizes from harmless to gross (default 8)", "K"},
    {"stats", 0, 0, G_OPTION_ARG_NONE, &stats,
     "Print n, mean and sigma per measurement over good boards; a limited measurement "
     "with no spread fails the validation", NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("");
  g_option_context_set_summary(context,
      "Runs twin boards over all models, good ones and ones with a production defect, and\n"
      "prints per defect how often the station caught it at the right step.\n"
      "Exit status 0 only with no escape, no false fail, no defect caught at the wrong step\n"
      "and no run that could not test (with --stats: and no limited measurement without\n"
      "spread over good boards, other than exact read-backs and counts).\n"
      "With --curve DEFECT it runs the same boards with that defect at each size from\n"
      "harmless to gross and prints the detection probability per size; exit status 0 only\n"
      "when no board fails at the harmless size and every board fails at the gross size.");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  /* --curve runs its own boards: the options of a drawn validation are refused with it. */
  if (curve && (argc != 1 || seed < 0 || faults || stats || db || default_orders ||
                boards != -1 || good_share != -1 || boards_per_size < 1 ||
                boards_per_size > 10000 || sizes < 2 || sizes > 100)) {
    cli_error("usage: station validate --curve DEFECT [--boards-per-size 1..10000] "
              "[--sizes 2..100] [--seed S] [--fixture FILE] [-v]");
    return EXIT_USAGE;
  }
  boards = boards == -1 ? 100 : boards;
  good_share = good_share == -1 ? 0.3 : good_share;
  if (argc != 1 || boards < 1 || boards > 100000 || seed < 0 || good_share < 0 ||
      good_share > 1) {
    cli_error("usage: station validate [--boards 1..100000] [--seed S] [--faults LIST] "
              "[--good-share 0..1] [--fixture FILE] [--db FILE] [--stats] [--default-orders]");
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  if (!catalog) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  g_autofree char *fixture_path = fixture ? g_strdup(fixture) : default_fixture_path();
  if (curve) {
    CurveRequest request = {.fixture_path = fixture_path, .defect = curve,
                            .boards_per_size = boards_per_size, .sizes = sizes,
                            .seed = (guint32)seed};
    return cli_validate_curve(catalog, &request, verbose ? print_progress : NULL);
  }
  g_auto(GStrv) fault_list = faults ? g_strsplit(faults, ",", -1) : NULL;
  for (char **f = fault_list; f && *f; f++)
    g_strstrip(*f);
  ValidateRequest request = {
    .fixture_path = fixture_path, .boards = boards, .seed = (guint32)seed,
    .faults = (const char *const *)fault_list, .good_share = good_share, .db_path = db,
    .default_orders = default_orders,
  };
  ValidateOrders orders = {0};
  request.orders = &orders;
  ValidateSlowest slowest = {0};
  request.slowest = &slowest;
  g_autoptr(SpreadTable) spread = stats ? spread_table_new() : NULL;
  request.spread = spread;
  g_autoptr(GPtrArray) rows = NULL;
  gint64 start = g_get_monotonic_time();
  if (!validate_run(catalog, &request, &rows, verbose ? print_progress : NULL, NULL, &error)) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  double seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
  printf("Validation: %d boards over %u models, seed %d, %.1f s (%.3f s per board)\n\n",
         boards, catalog_count(catalog), seed, seconds, seconds / boards);
  print_orders(&orders, default_orders);
  printf("%-16s %-24s %7s %7s %9s %8s %6s\n", "DEFECT", "MUST FAIL AT", "BOARDS", "CAUGHT",
         "ELSEWHERE", "ESCAPED", "ERROR");
  int escapes = 0, false_fails = 0, elsewhere = 0, errors = 0;
  for (guint i = 0; i < rows->len; i++) {
    const ValidateRow *r = g_ptr_array_index(rows, i);
    if (!r->expected_step) {
      printf("%-16s %-24s %7d %7d %9s %8s %6d   false fails: %d\n", "(good board)",
             "- (must pass)", r->boards, r->caught, "-", "-", r->errors, r->elsewhere);
      false_fails += r->elsewhere;
    } else {
      printf("%-16s %-24s %7d %7d %9d %8d %6d\n", r->fault, r->expected_step, r->boards,
             r->caught, r->elsewhere, r->escaped, r->errors);
      escapes += r->escaped;
      elsewhere += r->elsewhere;
    }
    errors += r->errors;
  }
  if (slowest.wall_s > 0)
    printf("\nslowest step of a good board: %s of %s, %.3f s of wall time (its time limit "
           "%.1f s); at most %.1f %% of a step's time limit used\n", slowest.step,
           slowest.serial, slowest.wall_s, slowest.limit_s, 100 * slowest.worst_share);
  printf("\nescapes: %d, false fails: %d, caught at another step: %d, could not test: %d\n",
         escapes, false_fails, elsewhere, errors);
  guint no_spread = spread ? print_spread(spread) : 0;
  return escapes || false_fails || elsewhere || errors || no_spread ? EXIT_FAIL : EXIT_PASS;
}
