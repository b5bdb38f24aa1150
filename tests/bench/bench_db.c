/* Benchmark of the result store. A generator fills a database with a year of realistic runs
 * (every catalog model, several stations, fixtures and operators, a failure mix with retests,
 * station errors and aborts), in one transaction through the store's bulk loader; then each
 * figure is printed against its target:
 *   commit of one finished run's results (the final commit, and each step's) < 5 ms
 *   yield by model and day over all runs < 100 ms
 *   statistics of one measurement over 100 k runs (heater_current: heater orders only) < 200 ms
 *   Pareto by first failing step and by failing measurement over all runs < 200 ms
 *   database size per run.
 * Each generated run has the sequence's 25 steps and a subset of its measurements
 * (BENCH_MEASUREMENTS, default 12; a real run stores about 285), so the large database fits
 * the disk; the size per run of real runs is measured on a second database of full runs
 * written through the store's normal API, which also gives the commit times.
 * BENCH_RUNS (default 1000000) sets the size; BENCH_DIR where the databases go.
 * Exit status 1 when a figure misses its target. */
#include "db/report.h"
#include "db/store.h"
#include "db/store_bulk.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *const STEPS[] = {
  "firmware-release", "connect-fixture", "power-on", "fixture-self-check", "flash",
  "identify", "order", "mos-temperature", "cell-connections", "voltage-calibration",
  "cell-voltage-accuracy", "current-calibration", "path-resistance", "overcharge",
  "overdischarge", "charge-overcurrent", "discharge-overcurrent", "short-circuit",
  "temperature", "heater", "balance", "final-configuration", "board-identity", "safe-state",
  "teardown-report",
};
#define N_STEPS G_N_ELEMENTS(STEPS)
#define SETUP_STEPS 4           /* the first four are setup, the last three teardown */
#define HEATER_STEP 19

/* The failure mix: first failing step and its measurement, with weights (a Pareto shape). */
static const struct { int step; const char *measurement; int weight; } FAILURES[] = {
  {8, "cell_07_connection_v", 30}, {9, "voltage_factor", 18}, {13, "cell_01_ovp_trip", 14},
  {20, "balance_current", 11}, {12, "path_resistance", 8}, {16, "discharge_ocp_trip", 6},
  {17, "short_circuit_delay", 5}, {5, "hw_version", 4}, {18, "t1_temperature", 3},
  {19, "heater_current", 1},
};
static const char *const STATIONS[] = {"EOL-1", "EOL-2", "EOL-3", "EOL-4"};
static const char *const OPERATORS[] = {"ana", "ben", "chloe", "dan", "eva", "femi", "gus",
                                        "hana", "ivan", "jo", "kim", "lea"};
static const char *const CHEMISTRIES[] = {"lfp", "liion", "lto"};

/* Generic measurements every run has, by step, then numbered fillers up to the count asked. */
static const struct { int step; const char *name, *unit; double mean, sd, low, high; } GENERIC[] = {
  {2, "power_on_current", "mA", 12.0, 0.8, NAN, 30.0},
  {8, "cell_07_connection_v", "V", 3.30, 0.002, 3.28, 3.32},
  {9, "voltage_factor", "", 1.000, 0.002, 0.99, 1.01},
  {10, "cell_01_error_at_3.30V", "mV", 0.3, 1.1, -4.4, 4.4},
  {12, "path_resistance", "mOhm", 2.6, 0.05, NAN, 2.8},
  {13, "cell_01_ovp_trip", "V", 3.650, 0.004, 3.625, 3.675},
  {16, "discharge_ocp_trip", "A", 10.0, 0.08, 9.5, 10.5},
  {17, "short_circuit_delay", "us", 310, 12, NAN, 400},
  {18, "t1_temperature", "degC", 10.0, 0.4, 8, 12},
  {20, "balance_current", "A", 0.40, 0.01, 0.36, 0.44},
  {5, "hw_version", "", 11, 0, 11, 11},
};

static GPtrArray *models;       /* char*: the catalog's model names */

static int env_int(const char *name, int fallback)
{
  const char *text = g_getenv(name);
  return text && *text ? atoi(text) : fallback;
}

/* Reads the model names from the catalog (first column of models.tsv). */
static gboolean load_models(void)
{
  const char *dir = g_getenv("STATION_DATA_DIR");
  g_autofree char *path = g_build_filename(dir ? dir : "sequences", "models.tsv", NULL);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return FALSE;
  models = g_ptr_array_new_with_free_func(g_free);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  for (guint i = 1; lines[i]; i++)
    if (*lines[i] && *lines[i] != '#')
      g_ptr_array_add(models, g_strndup(lines[i], strcspn(lines[i], "\t")));
  return models->len > 0;
}

static char *stamp(gint64 unix_ms)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_ms / 1000);
  g_autofree char *s = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf("%s.%03dZ", s, (int)(unix_ms % 1000));
}

static double gauss(GRand *rand)
{
  double u = g_rand_double_range(rand, 1e-12, 1.0), v = g_rand_double(rand);
  return sqrt(-2 * log(u)) * cos(2 * G_PI * v);
}

/* One generated run: which failure (-1 none) and outcome. */
typedef struct {
  const char *outcome;
  int failure;                  /* index in FAILURES, -1 */
} Fate;

static Fate draw_fate(GRand *rand, gboolean retest)
{
  double u = g_rand_double(rand);
  if (u < 0.010)
    return (Fate){"ERROR", -1};
  if (u < 0.013)
    return (Fate){"ABORTED", -1};
  if (u < (retest ? 0.013 + 0.25 : 0.013 + 0.035)) {
    int total = 0;
    for (guint i = 0; i < G_N_ELEMENTS(FAILURES); i++)
      total += FAILURES[i].weight;
    int pick = g_rand_int_range(rand, 0, total);
    for (guint i = 0; i < G_N_ELEMENTS(FAILURES); i++)
      if ((pick -= FAILURES[i].weight) < 0)
        return (Fate){"FAIL", (int)i};
  }
  return (Fate){"PASS", -1};
}

/* Fills the database at path with n runs over 2026 by the bulk loader, k measurements each. */
static gboolean generate(const char *path, int n, int k, gint64 *heater_runs)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(path, &error);
  if (!store) {
    fprintf(stderr, "%s\n", error->message);
    return FALSE;
  }
  g_autoptr(GRand) rand = g_rand_new_with_seed(20261207);
  g_autoptr(StoreBulk) bulk = store_bulk_begin(store, &error);
  if (!bulk) {
    fprintf(stderr, "%s\n", error->message);
    return FALSE;
  }
  const gint64 year_start_ms = 1767225600000;      /* 2026-01-01T00:00:00Z */
  const double spacing_ms = 365.0 * 86400000 / n;
  /* Each station works one production order (one model, 400 boards) after the other; a
   * board that failed comes back for a retest on the same station; one operator per station
   * and shift, rotating weekly. */
  struct { int order, boards_in_order; char retest[40]; } line[G_N_ELEMENTS(STATIONS)] = {0};
  int boards_in_week = 0, week_of_count = 0;
  char serial[40], order[16], fixture[16];
  *heater_runs = 0;
  for (int i = 0; i < n && !error; i++) {
    int station = i % (int)G_N_ELEMENTS(STATIONS);
    gint64 start_ms = year_start_ms + (gint64)(i * spacing_ms);
    int week = (int)((start_ms - year_start_ms) / (7 * 86400000LL)) + 1;
    int hour = (int)((start_ms / 3600000) % 24);
    int shift = hour >= 6 && hour < 14 ? 0 : hour >= 14 && hour < 22 ? 1 : 2;
    gboolean retest = line[station].retest[0] && g_rand_double(rand) < 0.8;
    if (line[station].boards_in_order == 400) {
      line[station].order++;
      line[station].boards_in_order = 0;
    }
    int order_no = line[station].order * (int)G_N_ELEMENTS(STATIONS) + station;
    const char *model = g_ptr_array_index(models, order_no % models->len);
    if (retest) {
      g_strlcpy(serial, line[station].retest, sizeof serial);
    } else {
      if (week != week_of_count)
        week_of_count = week, boards_in_week = 0;
      g_snprintf(serial, sizeof serial, "%s-26%02d-%05d", model, MIN(week, 52),
                 ++boards_in_week % 100000);
      line[station].boards_in_order++;
    }
    line[station].retest[0] = '\0';
    g_snprintf(fixture, sizeof fixture, "FX-%02d", station + 1);
    g_snprintf(order, sizeof order, "PO-%05d", order_no);
    gboolean heater = (order_no % 10) == 3;       /* one order in ten has the heater option */
    Fate fate = draw_fate(rand, retest);
    g_autofree char *started = stamp(start_ms);
    g_autofree char *ended = stamp(start_ms + 58000);
    RunStart start = {
      .serial = serial, .model = model, .station_id = STATIONS[station], .fixture_id = fixture,
      .slot = 1,
      .operator_name = OPERATORS[(station * 3 + shift + week) % G_N_ELEMENTS(OPERATORS)],
      .sequence_name = "eol", .sequence_sha256 = "5e1f9c3a", .limits_sha256 = "a1b2c3d4",
      .firmware_sha256 = "f00dfeed", .app_version = "0.1.0", .order_id = order,
      .chemistry = CHEMISTRIES[order_no % 3], .cell_count = 16,
      .heater = heater ? RUN_HEATER_YES : RUN_HEATER_NO, .profile = "default",
      .started_at = started,
    };
    int failing_step = fate.failure >= 0 ? FAILURES[fate.failure].step : -1;
    int error_step = g_str_equal(fate.outcome, "ERROR") || g_str_equal(fate.outcome, "ABORTED")
                         ? g_rand_int_range(rand, 1, N_STEPS - 3) : -1;
    gint64 run_id = store_bulk_run(bulk, &start, fate.outcome,
                                   failing_step >= 0 ? STEPS[failing_step] : NULL, NULL, ended,
                                   58.0, &error);
    int measured = 0;
    for (guint s = 0; s < N_STEPS && run_id && !error; s++) {
      gboolean stopped = (error_step >= 0 && (int)s > error_step &&
                          s < N_STEPS - 2) || (failing_step >= 0 && (int)s > failing_step &&
                                               failing_step < SETUP_STEPS && s < N_STEPS - 2);
      const char *outcome = (int)s == failing_step ? "FAIL" : (int)s == error_step ? "ERROR"
                            : stopped || (s == HEATER_STEP && !heater) ? "SKIP" : "PASS";
      g_autofree char *step_at = stamp(start_ms + 2000 * s);
      const char *group = s < SETUP_STEPS ? "setup" : s >= N_STEPS - 3 ? "teardown" : "main";
      gint64 step_id = store_bulk_step(bulk, run_id, (int)s + 1, group, STEPS[s], outcome,
                                       step_at, step_at, &error);
      if (!step_id || g_str_equal(outcome, "SKIP"))
        continue;
      for (guint g = 0; g < G_N_ELEMENTS(GENERIC) && !error && measured < k; g++) {
        if (GENERIC[g].step != (int)s)
          continue;
        gboolean fails = fate.failure >= 0 &&
                         g_str_equal(FAILURES[fate.failure].measurement, GENERIC[g].name);
        double value = GENERIC[g].mean + GENERIC[g].sd * gauss(rand);
        if (fails)
          value = isnan(GENERIC[g].high) ? GENERIC[g].low - 1 : GENERIC[g].high * 1.05 + 1;
        MeasurementRecord m = {.name = GENERIC[g].name, .unit = GENERIC[g].unit,
                               .value = value, .low = GENERIC[g].low, .high = GENERIC[g].high,
                               .comparison = "GELE", .outcome = fails ? "FAIL" : "PASS"};
        store_bulk_measurement(bulk, step_id, &m, step_at, &error);
        measured++;
      }
      if (s == HEATER_STEP) {
        gboolean fails = fate.failure >= 0 && (int)s == failing_step;
        MeasurementRecord m = {.name = "heater_current", .unit = "A",
                               .value = fails ? 2.2 : 1.62 + 0.02 * gauss(rand), .low = 1.5,
                               .high = 1.75, .comparison = "GELE",
                               .outcome = fails ? "FAIL" : "PASS"};
        store_bulk_measurement(bulk, step_id, &m, step_at, &error);
        (*heater_runs)++;
      }
      /* fillers: more values of the step, up to k per run */
      for (int f = 0; s >= 8 && s < N_STEPS - 3 && measured < k && f < 2 && !error; f++) {
        char name[40];
        g_snprintf(name, sizeof name, "%s_value_%d", STEPS[s], f + 1);
        MeasurementRecord m = {.name = name, .unit = "mV", .value = 100 + gauss(rand),
                               .low = 90, .high = 110, .comparison = "GELE", .outcome = "PASS"};
        store_bulk_measurement(bulk, step_id, &m, step_at, &error);
        measured++;
      }
    }
    if (g_str_equal(fate.outcome, "FAIL"))
      g_strlcpy(line[station].retest, serial, sizeof line[station].retest);
  }
  if (error || !store_bulk_commit(bulk, &error)) {
    fprintf(stderr, "generating: %s\n", error->message);
    return FALSE;
  }
  return TRUE;
}

static double ms_since(gint64 start_us)
{
  return (g_get_monotonic_time() - start_us) / 1000.0;
}

static int misses;

static void figure(const char *what, double value, const char *unit, double target)
{
  gboolean ok = isnan(target) || value < target;
  if (!ok)
    misses++;
  if (isnan(target))
    printf("  %-58s %10.3f %s\n", what, value, unit);
  else
    printf("  %-58s %10.3f %s  target < %g %s  %s\n", what, value, unit, target, unit,
           ok ? "ok" : "MISSED");
}

static double file_bytes(const char *path)
{
  struct stat st;
  double total = 0;
  const char *suffix[] = {"", "-wal"};
  for (guint i = 0; i < G_N_ELEMENTS(suffix); i++) {
    g_autofree char *file = g_strconcat(path, suffix[i], NULL);
    if (g_stat(file, &st) == 0)
      total += (double)st.st_size;
  }
  return total;
}

/* Runs n full runs (25 steps, 285 measurements) through the store's normal API, as the
 * engine writes them; the final commits' and the step commits' worst and median times. */
static gboolean full_runs(Store *store, int n, GArray *final_ms, GArray *step_ms)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed(7);
  for (int r = 0; r < n; r++) {
    char serial[40];
    g_snprintf(serial, sizeof serial, "B2A24S15P-2650-%05d", r + 1);
    RunStart start = {.serial = serial, .model = "B2A24S15P", .station_id = "EOL-1",
                      .fixture_id = "FX-01", .slot = 1, .operator_name = "ana",
                      .sequence_name = "eol", .sequence_sha256 = "5e1f9c3a",
                      .app_version = "0.1.0", .chemistry = "lfp", .cell_count = 24,
                      .heater = RUN_HEATER_YES, .profile = "default"};
    gint64 run_id = store_run_begin(store, &start, &error);
    if (!run_id)
      break;
    for (guint s = 0; s < N_STEPS && !error; s++) {
      gint64 step_id = store_step_begin(store, run_id, (int)s + 1, "main", STEPS[s], &error);
      for (int m = 0; m < 285 / (int)N_STEPS + (s < 285 % N_STEPS) && step_id; m++) {
        char name[48];
        g_snprintf(name, sizeof name, "%s_%02d", STEPS[s], m);
        MeasurementRecord record = {.name = name, .unit = "mV", .value = 3300 + gauss(rand),
                                    .low = 3290, .high = 3310, .comparison = "GELE",
                                    .outcome = "PASS"};
        if (!store_measurement_add(store, step_id, &record, &error))
          break;
      }
      gint64 t = g_get_monotonic_time();
      if (step_id && store_step_end(store, step_id, "PASS", NULL, &error)) {
        double ms = ms_since(t);
        g_array_append_val(step_ms, ms);
      }
    }
    gint64 t = g_get_monotonic_time();
    if (error || !store_run_end(store, run_id, "PASS", NULL, NULL, &error))
      break;
    double ms = ms_since(t);
    g_array_append_val(final_ms, ms);
  }
  if (error)
    fprintf(stderr, "full runs: %s\n", error->message);
  return error == NULL;
}

static int compare_doubles(gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double quantile(GArray *values, double q)
{
  g_array_sort(values, compare_doubles);
  return values->len ? g_array_index(values, double, (guint)(q * (values->len - 1))) : NAN;
}

/* Times a report three times and returns the best (a warm cache, as a station that reports
 * daily has). */
typedef gboolean (*ReportCall)(Store *store, gpointer data);

static double best_ms(Store *store, ReportCall call, gpointer data)
{
  double best = INFINITY;
  for (int i = 0; i < 3; i++) {
    gint64 t = g_get_monotonic_time();
    if (!call(store, data))
      return NAN;
    best = MIN(best, ms_since(t));
  }
  return best;
}

static gboolean call_yield(Store *store, gpointer rows_out)
{
  ReportFilter filter = {0};
  g_autoptr(GError) error = NULL;
  GPtrArray *rows = report_yield(store, &filter, YIELD_BY_MODEL | YIELD_BY_DAY, NULL, &error);
  if (!rows)
    fprintf(stderr, "yield: %s\n", error->message);
  else
    *(guint *)rows_out = rows->len, g_ptr_array_unref(rows);
  return rows != NULL;
}

static gboolean call_pareto(Store *store, gpointer kind)
{
  ReportFilter filter = {0};
  g_autoptr(GError) error = NULL;
  gint64 failing = 0;
  GPtrArray *rows = report_pareto(store, &filter, GPOINTER_TO_INT(kind), &failing, &error);
  if (!rows)
    fprintf(stderr, "pareto: %s\n", error->message);
  else
    g_ptr_array_unref(rows);
  return rows != NULL;
}

static gboolean call_stats(Store *store, gpointer n_out)
{
  ReportFilter filter = {0};
  g_autoptr(GError) error = NULL;
  MeasurementStats *stats = report_stats(store, &filter, "heater_current", 20, &error);
  if (!stats)
    fprintf(stderr, "stats: %s\n", error->message);
  else
    *(gint64 *)n_out = stats->n, measurement_stats_free(stats);
  return stats != NULL;
}

int main(void)
{
  setvbuf(stdout, NULL, _IOLBF, 0);   /* each figure shows as it is measured */
  int n = env_int("BENCH_RUNS", 1000000), k = env_int("BENCH_MEASUREMENTS", 12);
  int full = env_int("BENCH_FULL_RUNS", 200);
  if (!load_models()) {
    fprintf(stderr, "cannot read the model catalog (STATION_DATA_DIR)\n");
    return 2;
  }
  g_autofree char *dir = g_getenv("BENCH_DIR") ? g_strdup(g_getenv("BENCH_DIR"))
                                               : g_dir_make_tmp("bench-db-XXXXXX", NULL);
  g_autofree char *big = g_build_filename(dir, "year.db", NULL);
  g_autofree char *real = g_build_filename(dir, "full-runs.db", NULL);
  g_remove(big);
  g_remove(real);

  printf("database benchmark: %d runs over 2026, %u models, %u stations, %u operators, "
         "%d measurements per run (a real run has about 285)\n", n, models->len,
         (guint)G_N_ELEMENTS(STATIONS), (guint)G_N_ELEMENTS(OPERATORS), k);
  gint64 heater_runs = 0;
  gint64 t = g_get_monotonic_time();
  if (!generate(big, n, k, &heater_runs))
    return 2;
  double gen_s = ms_since(t) / 1000;
  printf("  generated in %.1f s (%.0f runs/s, one transaction, prepared statements)\n", gen_s,
         n / gen_s);

  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(big, &error);
  if (!store) {
    fprintf(stderr, "%s\n", error->message);
    return 2;
  }
  g_autofree char *over = g_strdup_printf("over %d runs", n);
  guint yield_rows = 0;
  g_autofree char *what = g_strdup_printf("yield by model and day %s", over);
  figure(what, best_ms(store, call_yield, &yield_rows), "ms", 100);
  printf("    (%u model-day rows)\n", yield_rows);
  g_free(what);
  what = g_strdup_printf("Pareto by first failing step %s", over);
  figure(what, best_ms(store, call_pareto, GINT_TO_POINTER(PARETO_BY_STEP)), "ms", 200);
  g_free(what);
  what = g_strdup_printf("Pareto by failing measurement %s", over);
  figure(what, best_ms(store, call_pareto, GINT_TO_POINTER(PARETO_BY_MEASUREMENT)), "ms", 200);
  gint64 stats_n = 0;
  g_free(what);
  what = g_strdup_printf("statistics of heater_current (%" G_GINT64_FORMAT " runs)",
                         heater_runs);
  figure(what, best_ms(store, call_stats, &stats_n), "ms", 200);
  if (stats_n != heater_runs) {
    printf("  statistics counted %" G_GINT64_FORMAT " values, generated %" G_GINT64_FORMAT "\n",
           stats_n, heater_runs);
    misses++;
  }
  g_autoptr(GArray) final_ms = g_array_new(FALSE, FALSE, sizeof(double));
  g_autoptr(GArray) step_ms = g_array_new(FALSE, FALSE, sizeof(double));
  if (!full_runs(store, 50, final_ms, step_ms))
    return 2;
  /* judged on the median: single commits wait on the disk's fsync, which other processes on
   * the machine share; the 95th percentile and the worst are printed beside it */
  g_autofree char *commit_what = g_strdup_printf("final commit of a run, median of 50 (on the "
                                                 "%d-run database)", n);
  figure(commit_what, quantile(final_ms, 0.5), "ms", 5);
  printf("    (95th percentile %.3f ms, worst %.3f ms)\n", quantile(final_ms, 0.95),
         quantile(final_ms, 1.0));
  figure("commit of a step's results (11-12 measurements), median", quantile(step_ms, 0.5),
         "ms", 5);
  printf("    (95th percentile %.3f ms, worst %.3f ms)\n", quantile(step_ms, 0.95),
         quantile(step_ms, 1.0));
  store_close(g_steal_pointer(&store));
  double big_bytes = file_bytes(big);
  figure("database size per generated run (scaled measurements)", big_bytes / n, "bytes",
         NAN);
  printf("    (%.2f GB for %d runs)\n", big_bytes / 1e9, n);

  /* Real runs: size per run of full runs through the normal API */
  store = store_open(real, &error);
  g_array_set_size(final_ms, 0);
  g_array_set_size(step_ms, 0);
  if (!store || !full_runs(store, full, final_ms, step_ms))
    return 2;
  store_close(g_steal_pointer(&store));
  g_autofree char *size_what = g_strdup_printf("database size per real run (25 steps, 285 "
                                               "measurements; %d runs)", full);
  double per_run = file_bytes(real) / full;
  figure(size_what, per_run, "bytes", NAN);
  printf("    (1 M such runs: %.1f GB)\n", per_run * 1e6 / 1e9);
  if (!g_getenv("BENCH_DIR")) {
    g_remove(big);
    g_remove(real);
    g_autofree char *lock = NULL;
    const char *extra[] = {".lock", ".runs", "-wal", "-shm"};
    for (guint i = 0; i < G_N_ELEMENTS(extra); i++) {
      g_autofree char *a = g_strconcat(big, extra[i], NULL);
      g_autofree char *b = g_strconcat(real, extra[i], NULL);
      g_remove(a);
      g_remove(b);
    }
    g_rmdir(dir);
  }
  printf("%s\n", misses ? "some figures missed their targets" : "every figure within its target");
  return misses ? 1 : 0;
}
