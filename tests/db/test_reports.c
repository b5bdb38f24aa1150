/* Tests of the quality reports against numbers computed here, independently, from a
 * generated production: boards of three models over four days and all shifts, two stations,
 * three operators, first runs that pass, fail or end ERROR, retests until a board passes or
 * is given up. The test keeps its own record of every run and counts first-pass and final
 * yield per model and production day, retests and station errors, the Pareto of first failing
 * steps and failing measurements, and the mean, sigma, Cpk (moving-range sigma) and Ppk of
 * one measurement; the store's reports must give the same. Also: filters, dates, unknown
 * names, the CSV and OpenHTF exports. */
#include "db/report.h"
#include "db/store.h"
#include "tests/cunit_main.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define BOARDS 240
static const char *const MODELS[] = {"B2A24S15P", "B2A8S20P", "B5A24S30P"};
static const char *const STATIONS[] = {"EOL-1", "EOL-2"};
static const char *const OPERATORS[] = {"ana", "ben", "chloe"};
static const char *const FAIL_STEPS[] = {"overcharge", "balance", "overcharge",
                                         "current-calibration", "overcharge", "balance"};

typedef struct {
  char serial[40];
  const char *model, *station, *operator_name, *outcome, *failing_step;
  char started_at[32];
  char day[11];                 /* production day: date of started_at - 6 h */
  double ovp_trip;              /* V */
} GeneratedRun;

static char *scratch_dir;
static char *db_path;
static GArray *generated;       /* GeneratedRun, in run order */

/* Writes one run through the store API as a station would; FALSE when a write fails. */
static gboolean write_run(Store *store, const GeneratedRun *g)
{
  RunStart start = {.serial = g->serial, .model = g->model, .station_id = g->station,
                    .fixture_id = g->station, .operator_name = g->operator_name,
                    .order_id = "PO-9", .chemistry = "lfp", .started_at = g->started_at};
  gint64 run = store_run_begin(store, &start, NULL);
  if (run <= 0)
    return FALSE;
  gint64 step = store_step_begin(store, run, 1, "main", "overcharge", NULL);
  gboolean ovp_fails = g_strcmp0(g->failing_step, "overcharge") == 0;
  MeasurementRecord m = {.name = "cell_01_ovp_trip", .unit = "V", .value = g->ovp_trip,
                         .low = 3.60, .high = 3.70, .comparison = "GELE",
                         .outcome = ovp_fails ? "FAIL" : "PASS"};
  gboolean ok = store_measurement_add(store, step, &m, NULL) &&
                store_step_end(store, step, ovp_fails ? "FAIL" : "PASS", NULL, NULL);
  if (g->failing_step && !ovp_fails) {
    step = store_step_begin(store, run, 2, "main", g->failing_step, NULL);
    g_autofree char *name = g_strdup_printf("%s_check", g->failing_step);
    MeasurementRecord other = {.name = name, .unit = "A", .value = 9, .high = 1,
                               .low = NAN, .comparison = "LE", .outcome = "FAIL"};
    ok = ok && store_measurement_add(store, step, &other, NULL) &&
         store_step_end(store, step, "FAIL", NULL, NULL);
  }
  return ok && store_run_end(store, run, g->outcome, g->failing_step, NULL, NULL);
}

/* Generates the production into `generated` and the database; FALSE when a write fails. */
static gboolean generate(Store *store)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed(1234);
  g_autoptr(GDateTime) start = g_date_time_new_utc(2026, 3, 2, 0, 30, 0);
  int minute = 0;
  for (int b = 0; b < BOARDS; b++) {
    const char *model = MODELS[g_rand_int_range(rand, 0, G_N_ELEMENTS(MODELS))];
    char serial[40];
    g_snprintf(serial, sizeof serial, "%s-2610-%05d", model, b);
    for (int attempt = 0; attempt < 3; attempt++) {
      GeneratedRun g = {.model = model};
      g_strlcpy(g.serial, serial, sizeof g.serial);
      minute += g_rand_int_range(rand, 5, 40);      /* runs over about four days */
      g_autoptr(GDateTime) at = g_date_time_add_minutes(start, minute);
      g_autofree char *text = g_date_time_format(at, "%Y-%m-%dT%H:%M:%S.000Z");
      g_strlcpy(g.started_at, text, sizeof g.started_at);
      g_autoptr(GDateTime) shifted = g_date_time_add_hours(at, -6);
      g_autofree char *day = g_date_time_format(shifted, "%Y-%m-%d");
      g_strlcpy(g.day, day, sizeof g.day);
      g.station = STATIONS[g_rand_int_range(rand, 0, G_N_ELEMENTS(STATIONS))];
      g.operator_name = OPERATORS[g_rand_int_range(rand, 0, G_N_ELEMENTS(OPERATORS))];
      double u1 = g_rand_double_range(rand, 1e-9, 1), u2 = g_rand_double(rand);
      g.ovp_trip = 3.65 + 0.012 * sqrt(-2 * log(u1)) * cos(2 * G_PI * u2);
      double draw = g_rand_double(rand);
      g.outcome = draw < 0.75 ? "PASS" : draw < 0.93 ? "FAIL" : "ERROR";
      if (strcmp(g.outcome, "FAIL") == 0)
        g.failing_step = FAIL_STEPS[g_rand_int_range(rand, 0, G_N_ELEMENTS(FAIL_STEPS))];
      if (g.failing_step && strcmp(g.failing_step, "overcharge") == 0)
        g.ovp_trip = 3.72 + g_rand_double(rand) * 0.05;
      g_array_append_val(generated, g);
      if (!write_run(store, &g))
        return FALSE;
      if (strcmp(g.outcome, "PASS") == 0)
        break;
    }
  }
  return TRUE;
}

/* The expected yield of one model and day, computed from `generated`. */
static void expected_yield(const char *model, const char *day, YieldRow *want)
{
  memset(want, 0, sizeof *want);
  g_autoptr(GHashTable) first_seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < generated->len; i++) {
    const GeneratedRun *g = &g_array_index(generated, GeneratedRun, i);
    gboolean verdict = strcmp(g->outcome, "ERROR") != 0;
    gboolean first = verdict && !g_hash_table_contains(first_seen, g->serial);
    if (first)
      g_hash_table_insert(first_seen, (gpointer)g->serial, (gpointer)g);
    gboolean here = (!model || strcmp(g->model, model) == 0) && (!day || strcmp(g->day, day) == 0);
    if (!here)
      continue;
    if (!verdict)
      want->station_errors++;
    else if (!first)
      want->retests++;
    if (first) {
      want->boards++;
      want->first_pass += strcmp(g->outcome, "PASS") == 0;
      /* final: the board's last verdict run */
      const char *final = g->outcome;
      for (guint j = i + 1; j < generated->len; j++) {
        const GeneratedRun *later = &g_array_index(generated, GeneratedRun, j);
        if (strcmp(later->serial, g->serial) == 0 && strcmp(later->outcome, "ERROR") != 0)
          final = later->outcome;
      }
      want->final_pass += strcmp(final, "PASS") == 0;
    }
  }
}

static Store *open_store(void)
{
  g_autoptr(GError) error = NULL;
  Store *store = store_open(db_path, &error);
  if (error)
    printf("\n  %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(store);
  return store;
}

static void test_yield(void)
{
  g_autoptr(Store) store = open_store();
  ReportFilter all = {0};
  YieldRow total;
  g_autoptr(GPtrArray) rows = report_yield(store, &all, YIELD_BY_MODEL | YIELD_BY_DAY, &total,
                                           NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rows);
  CU_ASSERT_TRUE(rows->len >= 10);
  for (guint i = 0; i < rows->len; i++) {
    const YieldRow *got = g_ptr_array_index(rows, i);
    YieldRow want;
    expected_yield(got->model, got->day, &want);
    CU_ASSERT_EQUAL(got->boards, want.boards);
    CU_ASSERT_EQUAL(got->first_pass, want.first_pass);
    CU_ASSERT_EQUAL(got->final_pass, want.final_pass);
    CU_ASSERT_EQUAL(got->retests, want.retests);
    CU_ASSERT_EQUAL(got->station_errors, want.station_errors);
    if (want.boards)
      CU_ASSERT_DOUBLE_EQUAL(got->first_pass_yield, (double)want.first_pass / want.boards,
                             1e-12);
  }
  YieldRow want_total;
  expected_yield(NULL, NULL, &want_total);
  CU_ASSERT_EQUAL(total.boards, want_total.boards);
  CU_ASSERT_EQUAL(total.final_pass, want_total.final_pass);
  CU_ASSERT_TRUE(want_total.retests > 20 && want_total.station_errors > 5);
  CU_ASSERT_TRUE(total.first_pass_yield > 0.6 && total.first_pass_yield < 0.9);
  CU_ASSERT_TRUE(total.final_yield > total.first_pass_yield);

  /* a model filter and a one-day range give that model's row of that day */
  const YieldRow *some = g_ptr_array_index(rows, 3);
  ReportFilter one = {.model = some->model};
  CU_ASSERT_TRUE(report_filter_set_from(&one, some->day, NULL));
  CU_ASSERT_TRUE(report_filter_set_to(&one, some->day, NULL));
  YieldRow filtered;
  g_autoptr(GPtrArray) single = report_yield(store, &one, 0, &filtered, NULL);
  CU_ASSERT_EQUAL(filtered.boards, some->boards);
  CU_ASSERT_EQUAL(filtered.first_pass, some->first_pass);
  report_filter_clear(&one);
}

static void test_pareto(void)
{
  g_autoptr(Store) store = open_store();
  ReportFilter all = {0};
  gint64 failing = 0;
  g_autoptr(GPtrArray) rows = report_pareto(store, &all, PARETO_BY_STEP, &failing, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rows);
  g_autoptr(GHashTable) want = g_hash_table_new(g_str_hash, g_str_equal);
  gint64 want_failing = 0;
  for (guint i = 0; i < generated->len; i++) {
    const GeneratedRun *g = &g_array_index(generated, GeneratedRun, i);
    if (g->failing_step) {
      want_failing++;
      gpointer n = g_hash_table_lookup(want, g->failing_step);
      g_hash_table_insert(want, (gpointer)g->failing_step, GINT_TO_POINTER(GPOINTER_TO_INT(n) + 1));
    }
  }
  CU_ASSERT_EQUAL(failing, want_failing);
  CU_ASSERT_EQUAL_FATAL(rows->len, g_hash_table_size(want));
  const ParetoRow *top = g_ptr_array_index(rows, 0);
  CU_ASSERT_STRING_EQUAL(top->name, "overcharge");      /* drawn three times in six */
  gint64 previous = G_MAXINT64;
  for (guint i = 0; i < rows->len; i++) {
    const ParetoRow *row = g_ptr_array_index(rows, i);
    CU_ASSERT_EQUAL(row->count, GPOINTER_TO_INT(g_hash_table_lookup(want, row->name)));
    CU_ASSERT_TRUE(row->count <= previous);
    previous = row->count;
  }
  CU_ASSERT_DOUBLE_EQUAL(((ParetoRow *)g_ptr_array_index(rows, rows->len - 1))->cumulative, 1,
                         1e-12);

  /* by measurement: each failing step's measurement, once per failing run */
  g_autoptr(GPtrArray) by_m = report_pareto(store, &all, PARETO_BY_MEASUREMENT, NULL, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(by_m);
  const ParetoRow *first = g_ptr_array_index(by_m, 0);
  CU_ASSERT_STRING_EQUAL(first->name, "cell_01_ovp_trip");
  CU_ASSERT_EQUAL(first->count, GPOINTER_TO_INT(g_hash_table_lookup(want, "overcharge")));
}

/* Eight failing runs, two of them failing two measurements each: each cause's share is of the
 * failing runs, and the cumulative line ends at all the causes counted, never above 100 %. */
static void test_pareto_shares(void)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);
  const gint64 counts[] = {5, 3, 2};
  for (guint i = 0; i < G_N_ELEMENTS(counts); i++) {
    ParetoRow *row = g_new0(ParetoRow, 1);
    row->count = counts[i];
    g_ptr_array_add(rows, row);
  }
  report_pareto_shares(rows, 8);
  const double share[] = {0.625, 0.375, 0.25}, cumulative[] = {0.5, 0.8, 1.0};
  for (guint i = 0; i < rows->len; i++) {
    const ParetoRow *row = g_ptr_array_index(rows, i);
    CU_ASSERT_DOUBLE_EQUAL(row->share, share[i], 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(row->cumulative, cumulative[i], 1e-12);
  }
}

static void test_stats(void)
{
  g_autoptr(Store) store = open_store();
  ReportFilter all = {0};
  g_autoptr(MeasurementStats) s = report_stats(store, &all, "cell_01_ovp_trip", 10, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  double sum = 0, squares = 0, moving = 0;
  for (guint i = 0; i < generated->len; i++)
    sum += g_array_index(generated, GeneratedRun, i).ovp_trip;
  double mean = sum / generated->len;
  for (guint i = 0; i < generated->len; i++) {
    double v = g_array_index(generated, GeneratedRun, i).ovp_trip;
    squares += (v - mean) * (v - mean);
    if (i)
      moving += fabs(v - g_array_index(generated, GeneratedRun, i - 1).ovp_trip);
  }
  double sigma = sqrt(squares / (generated->len - 1));
  double within = moving / (generated->len - 1) / 1.128;
  CU_ASSERT_EQUAL(s->n, (gint64)generated->len);
  CU_ASSERT_DOUBLE_EQUAL(s->mean, mean, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(s->sigma, sigma, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(s->cpk, MIN(3.70 - mean, mean - 3.60) / (3 * within), 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(s->ppk, MIN(3.70 - mean, mean - 3.60) / (3 * sigma), 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(s->cp, 0.10 / (6 * within), 1e-9);
  gint64 counted = 0;
  for (guint i = 0; i < s->bins; i++)
    counted += s->counts[i];
  CU_ASSERT_EQUAL(counted, s->n);
  CU_ASSERT_TRUE(s->above_high > 0);
  CU_ASSERT_TRUE(s->out_of_control > 0);   /* the failing boards' high trips */
  /* a point is flagged exactly when it or its moving range is beyond the chart's limits */
  for (guint i = 0; i < s->points->len; i++) {
    const ControlPoint *p = &g_array_index(s->points, ControlPoint, i);
    gboolean beyond = p->value > mean + 3 * within || p->value < mean - 3 * within ||
                      (i && p->moving_range > 3.267 * within * 1.128);
    CU_ASSERT_EQUAL(p->out_of_control, beyond);
  }
}

/* Writes a run of one step with the given values of "balance_current" (one limit pair). */
static gint64 write_series_run(Store *store, const char *serial, const char *started_at,
                               const double *values, guint n, double high)
{
  RunStart start = {.serial = serial, .model = "B2A24S15P", .station_id = "EOL-1",
                    .fixture_id = "FX-1", .operator_name = "ana", .started_at = started_at};
  gint64 run = store_run_begin(store, &start, NULL);
  gint64 step = run > 0 ? store_step_begin(store, run, 1, "main", "balance", NULL) : 0;
  for (guint i = 0; i < n && step > 0; i++) {
    MeasurementRecord m = {.name = "balance_current", .unit = i ? "mA" : "A",
                           .value = values[i], .low = 0.36, .high = high,
                           .comparison = "GELE", .outcome = "PASS"};
    CU_ASSERT_TRUE(store_measurement_add(store, step, &m, NULL));
  }
  CU_ASSERT_TRUE(step > 0 && store_step_end(store, step, "PASS", NULL, NULL) &&
                 store_run_end(store, run, "PASS", NULL, NULL, NULL));
  return run;
}

/* The control chart is in run order, start time first, even where the ids are not (a station
 * clock set back between two runs), and a run's values in the order they were measured; the
 * limits are the latest run's and the unit the first's. */
static void test_stats_run_order(void)
{
  g_autofree char *path = g_build_filename(scratch_dir, "clock.db", NULL);
  g_autoptr(Store) store = store_open(path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(store);
  const double first[] = {0.40}, second[] = {0.43, 0.38}, third[] = {0.41};
  gint64 a = write_series_run(store, "B2A24S15P-2610-00001", "2026-03-02T10:00:00.000Z",
                              first, 1, 0.44);
  gint64 b = write_series_run(store, "B2A24S15P-2610-00002", "2026-03-02T12:00:00.000Z",
                              second, 2, 0.44);
  /* the clock went back an hour: this run began between the two before */
  gint64 c = write_series_run(store, "B2A24S15P-2610-00003", "2026-03-02T11:00:00.000Z",
                              third, 1, 0.45);
  ReportFilter all = {0};
  g_autoptr(MeasurementStats) s = report_stats(store, &all, "balance_current", 10, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_EQUAL_FATAL(s->points->len, 4);
  const gint64 want_runs[] = {a, c, b, b};
  const double want_values[] = {0.40, 0.41, 0.43, 0.38};
  for (guint i = 0; i < 4; i++) {
    const ControlPoint *p = &g_array_index(s->points, ControlPoint, i);
    CU_ASSERT_EQUAL(p->run_id, want_runs[i]);
    CU_ASSERT_DOUBLE_EQUAL(p->value, want_values[i], 1e-12);
  }
  CU_ASSERT_STRING_EQUAL(g_array_index(s->points, ControlPoint, 1).serial,
                         "B2A24S15P-2610-00003");
  CU_ASSERT_DOUBLE_EQUAL(g_array_index(s->points, ControlPoint, 3).moving_range, 0.05, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(s->mr_center, (0.01 + 0.02 + 0.05) / 3, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(s->high, 0.44, 1e-12);     /* run b is the latest */
  CU_ASSERT_EQUAL(s->limit_sets, 2);
  CU_ASSERT_STRING_EQUAL(s->unit, "A");
}

static void test_bad_input(void)
{
  g_autoptr(Store) store = open_store();
  ReportFilter all = {0};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_PTR_NULL(report_stats(store, &all, "cell_01_ovp_trp", 10, &error));
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, REPORT_ERROR, REPORT_ERROR_UNKNOWN));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "'cell_01_ovp_trp'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "cell_01_ovp_trip"));
  g_clear_error(&error);
  CU_ASSERT_FALSE(report_filter_set_from(&all, "2026-02-30", &error));
  CU_ASSERT_TRUE(g_error_matches(error, REPORT_ERROR, REPORT_ERROR_DATE));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "YYYY-MM-DD"));
  g_clear_error(&error);
  CU_ASSERT_FALSE(report_filter_set_to(&all, "yesterday", &error));
  g_clear_error(&error);
  CU_ASSERT_PTR_NULL(report_history(store, "B2A24S15P-2610-99999", &error));
  CU_ASSERT_TRUE(g_error_matches(error, REPORT_ERROR, REPORT_ERROR_UNKNOWN));
  report_filter_clear(&all);
}

static gboolean collect(const char *line, gpointer lines)
{
  g_ptr_array_add(lines, g_strdup(line));
  return TRUE;
}

static void test_exports(void)
{
  g_autoptr(Store) store = open_store();
  ReportFilter one_station = {.station_id = "EOL-2"};
  g_autoptr(GPtrArray) csv = g_ptr_array_new_with_free_func(g_free);
  CU_ASSERT_TRUE(report_export_csv(store, &one_station, collect, csv, NULL));
  g_autoptr(GPtrArray) json = g_ptr_array_new_with_free_func(g_free);
  CU_ASSERT_TRUE(report_export_json(store, &one_station, collect, json, NULL));
  guint runs = 0, measurements = 0;
  for (guint i = 0; i < generated->len; i++) {
    const GeneratedRun *g = &g_array_index(generated, GeneratedRun, i);
    if (strcmp(g->station, "EOL-2") == 0) {
      runs++;
      measurements += g->failing_step && strcmp(g->failing_step, "overcharge") ? 2 : 1;
    }
  }
  CU_ASSERT_EQUAL(csv->len, measurements + 1);
  CU_ASSERT_TRUE(g_str_has_prefix(g_ptr_array_index(csv, 0), "run,serial,model"));
  CU_ASSERT_EQUAL_FATAL(json->len, runs);

  g_autoptr(JsonParser) parser = json_parser_new();
  CU_ASSERT_TRUE_FATAL(json_parser_load_from_data(parser, g_ptr_array_index(json, 0), -1, NULL));
  JsonObject *record = json_node_get_object(json_parser_get_root(parser));
  CU_ASSERT_STRING_EQUAL(json_object_get_string_member(record, "station_id"), "EOL-2");
  CU_ASSERT_TRUE(json_object_get_int_member(record, "end_time_millis") >=
                 json_object_get_int_member(record, "start_time_millis"));
  JsonObject *phase = json_array_get_object_element(
      json_object_get_array_member(record, "phases"), 0);
  CU_ASSERT_STRING_EQUAL(json_object_get_string_member(phase, "name"), "overcharge");
  JsonObject *m = json_object_get_object_member(
      json_object_get_object_member(phase, "measurements"), "cell_01_ovp_trip");
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_STRING_EQUAL(json_object_get_string_member(
      json_object_get_object_member(m, "units"), "code"), "VLT");
  CU_ASSERT_STRING_EQUAL(json_array_get_string_element(
      json_object_get_array_member(m, "validators"), 0), "3.6 <= x <= 3.7");
}

static int make_data(void)
{
  scratch_dir = g_dir_make_tmp("test-reports-XXXXXX", NULL);
  db_path = g_build_filename(scratch_dir, "results.db", NULL);
  generated = g_array_new(FALSE, TRUE, sizeof(GeneratedRun));
  Store *store = store_open(db_path, NULL);
  if (!store)
    return 1;
  gboolean ok = generate(store);
  store_close(store);
  return ok ? 0 : 1;
}

static int remove_data(void)
{
  const char *suffixes[] = {"", "-wal", "-shm", ".lock", ".runs"};
  g_autofree char *clock_path = g_build_filename(scratch_dir, "clock.db", NULL);
  for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
    g_autofree char *file = g_strconcat(db_path, suffixes[i], NULL);
    g_autofree char *clock_file = g_strconcat(clock_path, suffixes[i], NULL);
    g_remove(file);
    g_remove(clock_file);
  }
  g_rmdir(scratch_dir);
  g_clear_pointer(&db_path, g_free);
  g_clear_pointer(&scratch_dir, g_free);
  g_array_unref(generated);
  return 0;
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("quality reports", make_data, remove_data);
  CU_add_test(suite, "yield per model and day", test_yield);
  CU_add_test(suite, "Pareto by step and by measurement", test_pareto);
  CU_add_test(suite, "Pareto shares when runs fail several causes", test_pareto_shares);
  CU_add_test(suite, "measurement statistics and control chart", test_stats);
  CU_add_test(suite, "statistics in run order when the ids are not",
              test_stats_run_order);
  CU_add_test(suite, "bad input named", test_bad_input);
  CU_add_test(suite, "CSV and OpenHTF exports", test_exports);
  return cunit_run_all();
}
