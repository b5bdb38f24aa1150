/* The quality view under a real X server, on a database of known runs written through the
 * store: the yield table, the first-pass yield by day and by shift, the Pareto counts and
 * the Cpk it shows equal what this test computes itself from the same data set and what
 * `station report` prints; a filter by model and day, or by fixture and order, narrows them;
 * a date that is not one shows the report library's sentence and keeps the view alive. The
 * view is saved as a picture to the artifacts folder. */
#include "ui/quality_view.h"
#include "ui/screenshot.h"
#include "tests/ui/view_checks.h"
#include "db/store.h"
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define DAYS 3
static const char *const DAY_DATES[DAYS] = {"2026-11-02", "2026-11-03", "2026-11-04"};

/* One run of the data set as written, kept to compute the expected reports from. */
typedef struct {
  char *serial;
  const char *model, *station, *fixture, *operator_name, *order_id;
  int day;                      /* production day, index into DAY_DATES */
  int shift;                    /* 1..3 */
  char *started_at;
  const char *outcome;          /* PASS FAIL ERROR */
  const char *first_failure;    /* step, NULL when none */
  gboolean cell_01_measured;
  double supply_ma, cell_01_mv, cell_02_mv;
  gboolean supply_fails, cell_01_fails, cell_02_fails;
} TestRun;

typedef struct {
  Catalog *catalog;
  char *folder, *db_path;
  GPtrArray *runs;              /* TestRun*, in started_at order */
  GtkWidget *window;
  QualityView *view;
} Rig;

static void test_run_free(gpointer data)
{
  TestRun *run = data;
  g_free(run->serial);
  g_free(run->started_at);
  g_free(run);
}

/* A small deterministic generator, so the data set is the same every time. */
static double uniform(guint32 *state)
{
  *state = *state * 1664525u + 1013904223u;
  return (*state >> 8) / 16777216.0;
}

/* The runs of one board by its fate (board % 10): 0 fails voltage calibration then passes,
 * 1 fails power-up twice, 2 has a station error then passes, 3 fails two cells then passes;
 * the others pass at once. Boards are tested in each of the three shifts, a night shift's
 * retest after midnight (still the production day the shift began), on two fixtures and
 * for two orders. */
static void plan_board(Rig *rig, const char *model, int board, guint32 *random)
{
  static const int SHIFT_START_HOURS[] = {9, 17, 23};   /* UTC, shifts 1, 2, 3 */
  int fate = board % 10, day = board % DAYS, shift = 1 + (board / DAYS) % 3;
  static const char *const OUTCOMES[][2] = {
    {"FAIL", "PASS"}, {"FAIL", "FAIL"}, {"ERROR", "PASS"}, {"FAIL", "PASS"}, {"PASS", NULL},
  };
  for (int attempt = 0; attempt < 2; attempt++) {
    const char *outcome = OUTCOMES[MIN(fate, 4)][attempt];
    if (!outcome)
      break;
    TestRun *run = g_new0(TestRun, 1);
    run->serial = g_strdup_printf("%s-2648-%05d", model, board);
    run->model = model;
    run->station = board % 2 ? "EOL-2" : "EOL-1";
    run->fixture = board % 5 < 2 ? "SIM-Q2" : "SIM-Q1";
    run->operator_name = board % 4 < 2 ? "anna" : "ben";
    run->order_id = board < 12 ? "PO-7" : "PO-8";
    run->day = day;
    run->shift = shift;
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autofree char *midnight = g_strdup_printf("%sT00:00:00Z", DAY_DATES[day]);
    g_autoptr(GDateTime) day_start = g_date_time_new_from_iso8601(midnight, utc);
    g_autoptr(GDateTime) start = g_date_time_add_full(
        day_start, 0, 0, 0, SHIFT_START_HOURS[shift - 1] + attempt * 3, board % 60,
        (double)(strlen(model) % 60));
    run->started_at = g_date_time_format(start, "%Y-%m-%dT%H:%M:%S.000Z");
    run->outcome = outcome;
    run->supply_ma = 20 + uniform(random) * 5;
    run->cell_01_mv = uniform(random) * 4 - 2;
    run->cell_02_mv = uniform(random) * 4 - 2;
    run->cell_01_measured = TRUE;
    if (strcmp(outcome, "FAIL") == 0 && fate == 1) {
      run->supply_ma = 55;
      run->supply_fails = TRUE;
      run->cell_01_measured = FALSE;
      run->first_failure = "power-up";
    } else if (strcmp(outcome, "FAIL") == 0) {
      run->cell_01_mv = 6.2;
      run->cell_01_fails = TRUE;
      run->cell_02_fails = fate == 3;
      run->cell_02_mv = fate == 3 ? -7.5 : run->cell_02_mv;
      run->first_failure = "voltage-calibration";
    } else if (strcmp(outcome, "ERROR") == 0) {
      run->cell_01_measured = FALSE;
      run->first_failure = "power-up";
    }
    g_ptr_array_add(rig->runs, run);
  }
}

static gint by_start(gconstpointer a, gconstpointer b)
{
  const TestRun *x = *(TestRun *const *)a, *y = *(TestRun *const *)b;
  return strcmp(x->started_at, y->started_at);
}

static void add_measurement(Store *store, gint64 step, const char *name, const char *unit,
                            double value, double low, double high, gboolean fails)
{
  g_autoptr(GError) error = NULL;
  MeasurementRecord m = {
    .name = name, .unit = unit, .value = value, .low = low, .high = high,
    .comparison = "GELE", .outcome = fails ? "FAIL" : "PASS",
  };
  g_assert_true(store_measurement_add(store, step, &m, &error));
  g_assert_no_error(error);
}

/* Writes one run as the engine would: steps with their measurements, then the verdict. */
static void write_run(Store *store, const TestRun *t)
{
  g_autoptr(GError) error = NULL;
  RunStart start = {
    .serial = t->serial, .model = t->model, .station_id = t->station, .fixture_id = t->fixture,
    .slot = 1, .operator_name = t->operator_name, .order_id = t->order_id, .sequence_name = "eol",
    .sequence_sha256 = "0", .app_version = "test", .chemistry = "lfp", .cell_count = 16,
    .started_at = t->started_at,
  };
  gint64 run = store_run_begin(store, &start, &error);
  g_assert_no_error(error);
  gint64 step = store_step_begin(store, run, 0, "board", "power-up", &error);
  g_assert_no_error(error);
  if (strcmp(t->outcome, "ERROR") != 0)
    add_measurement(store, step, "supply_current", "mA", t->supply_ma, 10, 40, t->supply_fails);
  g_assert_true(store_step_end(store, step, strcmp(t->outcome, "ERROR") == 0 ? "ERROR"
                                            : t->supply_fails ? "FAIL" : "PASS", NULL, &error));
  if (t->cell_01_measured) {
    step = store_step_begin(store, run, 1, "board", "voltage-calibration", &error);
    g_assert_no_error(error);
    add_measurement(store, step, "cell_01_error", "mV", t->cell_01_mv, -5, 5, t->cell_01_fails);
    add_measurement(store, step, "cell_02_error", "mV", t->cell_02_mv, -5, 5, t->cell_02_fails);
    g_assert_true(store_step_end(store, step, t->cell_01_fails ? "FAIL" : "PASS", NULL, &error));
  }
  g_assert_true(store_run_end(store, run, t->outcome, t->first_failure,
                              strcmp(t->outcome, "ERROR") == 0 ? "the DMM stopped answering"
                                                                : NULL, &error));
  g_assert_no_error(error);
}

static void rig_open(Rig *rig)
{
  g_autoptr(GError) error = NULL;
  rig->catalog = catalog_load_default(&error);
  g_assert_no_error(error);
  g_assert_cmpuint(catalog_count(rig->catalog), >=, 2);
  rig->folder = g_dir_make_tmp("quality-test-XXXXXX", &error);
  g_assert_no_error(error);
  rig->db_path = g_build_filename(rig->folder, "results.db", NULL);
  rig->runs = g_ptr_array_new_with_free_func(test_run_free);
  guint32 random = 12345;
  for (int b = 0; b < 30; b++)
    plan_board(rig, catalog_nth(rig->catalog, 0)->name, b, &random);
  for (int b = 0; b < 20; b++)
    plan_board(rig, catalog_nth(rig->catalog, 1)->name, b, &random);
  g_ptr_array_sort(rig->runs, by_start);
  g_autoptr(Store) store = store_open(rig->db_path, &error);
  g_assert_no_error(error);
  for (guint i = 0; i < rig->runs->len; i++)
    write_run(store, rig->runs->pdata[i]);
  rig->window = gtk_window_new();
  gtk_window_set_default_size(GTK_WINDOW(rig->window), 1280, 1024);
  rig->view = quality_view_new(rig->catalog, rig->db_path);
  gtk_window_set_child(GTK_WINDOW(rig->window), GTK_WIDGET(rig->view));
  gtk_window_present(GTK_WINDOW(rig->window));
}

static void rig_close(Rig *rig)
{
  gtk_window_destroy(GTK_WINDOW(rig->window));
  const char *suffixes[] = {"", "-wal", "-shm", ".lock", ".runs"};
  for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
    g_autofree char *path = g_strconcat(rig->db_path, suffixes[i], NULL);
    g_unlink(path);
  }
  g_rmdir(rig->folder);
  g_free(rig->db_path);
  g_free(rig->folder);
  g_ptr_array_unref(rig->runs);
  catalog_free(rig->catalog);
}

static void on_refreshed(QualityView *view, gboolean *done)
{
  *done = TRUE;
}

/* Does what a person does (through `act`) and waits for the view's query to end. */
static void wait_for_view(Rig *rig)
{
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (quality_view_is_busy(rig->view) && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_false(quality_view_is_busy(rig->view));
  /* Let the charts lay out and draw. */
  for (int i = 0; i < 20; i++)
    g_main_context_iteration(NULL, FALSE);
}

static void set_flag(gpointer data)
{
  *(gboolean *)data = TRUE;
}

static void apply(Rig *rig)
{
  gboolean done = FALSE;
  gulong id = g_signal_connect(rig->view, "refreshed", G_CALLBACK(on_refreshed), &done);
  g_assert_true(gtk_widget_activate_action(GTK_WIDGET(rig->view), "quality.apply", NULL));
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_true(done);
  g_signal_handler_disconnect(rig->view, id);
  wait_for_view(rig);
}

/* --- what the test expects, computed from the runs themselves --------------------------- */

typedef struct {
  gint64 boards, first_pass, final_pass, retests, errors;
} Expected;

/* Which runs an expectation covers: NULL strings and -1 numbers select all. */
typedef struct {
  const char *model, *fixture, *order_id;
  int day, shift;
} Selection;

static gboolean selected(const Selection *s, const TestRun *t)
{
  return (!s->model || strcmp(t->model, s->model) == 0) &&
         (!s->fixture || strcmp(t->fixture, s->fixture) == 0) &&
         (!s->order_id || strcmp(t->order_id, s->order_id) == 0) &&
         (s->day < 0 || t->day == s->day) && (s->shift < 0 || t->shift == s->shift);
}

/* The yield of the runs selected, by the rules of the report: verdict runs only, a board's
 * first and latest verdict run. */
static Expected expect_yield_of(const Rig *rig, const Selection *selection)
{
  Expected e = {0};
  g_autoptr(GHashTable) first = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GHashTable) latest = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < rig->runs->len; i++) {
    const TestRun *t = rig->runs->pdata[i];
    if (!selected(selection, t))
      continue;
    if (strcmp(t->outcome, "ERROR") == 0) {
      e.errors++;
      continue;
    }
    if (g_hash_table_contains(first, t->serial))
      e.retests++;
    else
      g_hash_table_insert(first, t->serial, (gpointer)t->outcome);
    g_hash_table_insert(latest, t->serial, (gpointer)t->outcome);
  }
  GHashTableIter iter;
  gpointer serial, outcome;
  g_hash_table_iter_init(&iter, first);
  while (g_hash_table_iter_next(&iter, &serial, &outcome)) {
    e.boards++;
    e.first_pass += strcmp(outcome, "PASS") == 0;
    e.final_pass += strcmp(g_hash_table_lookup(latest, serial), "PASS") == 0;
  }
  return e;
}

/* The yield of the runs of `model` (NULL: all) on `day` (-1: all). */
static Expected expect_yield(const Rig *rig, const char *model, int day)
{
  return expect_yield_of(rig, &(Selection){.model = model, .day = day, .shift = -1});
}

static char *percent(gint64 part, gint64 whole)
{
  return g_strdup_printf("%.2f%%", 100.0 * part / whole);
}

static void assert_yield_row(Rig *rig, guint row, const char *model, const Expected *e)
{
  char number[32];
  g_assert_cmpstr(quality_view_yield_cell(rig->view, row, 0), ==, model);
  g_snprintf(number, sizeof number, "%" G_GINT64_FORMAT, e->boards);
  g_assert_cmpstr(quality_view_yield_cell(rig->view, row, 1), ==, number);
  g_autofree char *fpy = percent(e->first_pass, e->boards);
  g_autofree char *final = percent(e->final_pass, e->boards);
  g_assert_cmpstr(quality_view_yield_cell(rig->view, row, 2), ==, fpy);
  g_assert_cmpstr(quality_view_yield_cell(rig->view, row, 3), ==, final);
  g_snprintf(number, sizeof number, "%" G_GINT64_FORMAT, e->retests);
  g_assert_cmpstr(quality_view_yield_cell(rig->view, row, 4), ==, number);
  g_snprintf(number, sizeof number, "%" G_GINT64_FORMAT, e->errors);
  g_assert_cmpstr(quality_view_yield_cell(rig->view, row, 5), ==, number);
}

/* The failing runs per cause: the first failing step, or each failing measurement. */
static GHashTable *expect_pareto(const Rig *rig, gboolean by_measurement, gint64 *failing)
{
  GHashTable *counts = g_hash_table_new(g_str_hash, g_str_equal);
  *failing = 0;
  for (guint i = 0; i < rig->runs->len; i++) {
    const TestRun *t = rig->runs->pdata[i];
    if (strcmp(t->outcome, "FAIL") != 0)
      continue;
    (*failing)++;
    const char *causes[3] = {NULL};
    if (!by_measurement) {
      causes[0] = t->first_failure;
    } else {
      guint n = 0;
      if (t->supply_fails)
        causes[n++] = "supply_current";
      if (t->cell_01_fails)
        causes[n++] = "cell_01_error";
      if (t->cell_02_fails)
        causes[n++] = "cell_02_error";
    }
    for (guint c = 0; c < G_N_ELEMENTS(causes) && causes[c]; c++)
      g_hash_table_insert(counts, (gpointer)causes[c],
                          GINT_TO_POINTER(GPOINTER_TO_INT(g_hash_table_lookup(counts,
                                                                              causes[c])) + 1));
  }
  return counts;
}

static void assert_pareto(Rig *rig, gboolean by_measurement)
{
  gint64 failing;
  g_autoptr(GHashTable) counts = expect_pareto(rig, by_measurement, &failing);
  BarChart *chart = quality_view_pareto_chart(rig->view);
  g_assert_cmpuint(bar_chart_get_n_bars(chart), ==, g_hash_table_size(counts));
  int previous = G_MAXINT;
  for (guint i = 0; i < bar_chart_get_n_bars(chart); i++) {
    const char *name = bar_chart_get_name(chart, i);
    g_assert_true(g_hash_table_contains(counts, name));
    int count = GPOINTER_TO_INT(g_hash_table_lookup(counts, name));
    g_autofree char *text = g_strdup_printf("%d", count);
    g_assert_cmpstr(bar_chart_get_value_text(chart, i), ==, text);
    g_assert_cmpint(count, <=, previous);   /* most frequent first */
    previous = count;
  }
  g_autofree char *line = g_strdup_printf("%" G_GINT64_FORMAT " failing runs, by %s", failing,
                                          by_measurement ? "failing measurement"
                                                         : "first failing step");
  g_assert_cmpstr(quality_view_pareto_text(rig->view), ==, line);
}

/* Cpk of cell_01_error from the moving range of its values in run order (I-MR: sigma =
 * mean moving range / 1.128) against the limits -5 .. 5 mV. */
static double expect_cpk(const Rig *rig, gint64 *n)
{
  double sum = 0, moving = 0, previous = NAN;
  *n = 0;
  for (guint i = 0; i < rig->runs->len; i++) {
    const TestRun *t = rig->runs->pdata[i];
    if (!t->cell_01_measured)
      continue;
    sum += t->cell_01_mv;
    if (!isnan(previous))
      moving += fabs(t->cell_01_mv - previous);
    previous = t->cell_01_mv;
    (*n)++;
  }
  double mean = sum / *n, sigma = moving / (*n - 1) / 1.128;
  return MIN(5 - mean, mean + 5) / (3 * sigma);
}

/* --- the tests -------------------------------------------------------------------------- */

static void test_numbers_match_the_data(void)
{
  Rig rig;
  rig_open(&rig);
  wait_for_view(&rig);
  g_assert_cmpstr(quality_view_error_text(rig.view), ==, "");
  const char *model_a = catalog_nth(rig.catalog, 0)->name;
  const char *model_b = catalog_nth(rig.catalog, 1)->name;
  /* Rows by model name, then the total. */
  gboolean a_first = strcmp(model_a, model_b) < 0;
  g_assert_cmpuint(quality_view_yield_rows(rig.view), ==, 4);
  Expected a = expect_yield(&rig, model_a, -1), b = expect_yield(&rig, model_b, -1);
  Expected all = expect_yield(&rig, NULL, -1);
  g_assert_cmpint(all.boards, ==, 50);
  assert_yield_row(&rig, a_first ? 1 : 2, model_a, &a);
  assert_yield_row(&rig, a_first ? 2 : 1, model_b, &b);
  assert_yield_row(&rig, 3, "all", &all);

  BarChart *trend = quality_view_trend_chart(rig.view);
  g_assert_cmpuint(bar_chart_get_n_bars(trend), ==, DAYS);
  for (int d = 0; d < DAYS; d++) {
    Expected e = expect_yield(&rig, NULL, d);
    g_autofree char *fpy = percent(e.first_pass, e.boards);
    g_assert_cmpstr(bar_chart_get_name(trend, d), ==, DAY_DATES[d]);
    g_assert_cmpstr(bar_chart_get_value_text(trend, d), ==, fpy);
  }
  /* Every day had boards in each of the three shifts; the night's retests after midnight
   * count in the shift and day they began. */
  BarChart *shifts = quality_view_shift_trend_chart(rig.view);
  g_assert_cmpuint(bar_chart_get_n_bars(shifts), ==, DAYS * 3);
  for (int d = 0; d < DAYS; d++)
    for (int s = 1; s <= 3; s++) {
      Expected e = expect_yield_of(&rig, &(Selection){.day = d, .shift = s});
      g_assert_cmpint(e.boards, >, 0);
      g_autofree char *name = g_strdup_printf("%s S%d", DAY_DATES[d], s);
      g_autofree char *fpy = percent(e.first_pass, e.boards);
      guint bar = (guint)(d * 3 + s - 1);
      g_assert_cmpstr(bar_chart_get_name(shifts, bar), ==, name);
      g_assert_cmpstr(bar_chart_get_value_text(shifts, bar), ==, fpy);
    }

  assert_pareto(&rig, FALSE);
  gboolean done = FALSE;
  gulong id = g_signal_connect(rig.view, "refreshed", G_CALLBACK(on_refreshed), &done);
  quality_view_set_pareto_kind(rig.view, TRUE);
  while (!done)
    g_main_context_iteration(NULL, TRUE);
  g_signal_handler_disconnect(rig.view, id);
  wait_for_view(&rig);
  assert_pareto(&rig, TRUE);

  g_assert_true(quality_view_choose_measurement(rig.view, "cell_01_error"));
  wait_for_view(&rig);
  gint64 n;
  double cpk = expect_cpk(&rig, &n);
  g_autofree char *cpk_text = g_strdup_printf("Cpk %.3f ", cpk);
  g_autofree char *n_text = g_strdup_printf("n %" G_GINT64_FORMAT ", ", n);
  const char *stats = quality_view_stats_text(rig.view);
  g_test_message("stats: %s", stats);
  g_assert_nonnull(strstr(stats, cpk_text));
  g_assert_true(g_str_has_prefix(stats, n_text));
  g_assert_cmpuint(control_chart_get_n_points(quality_view_control_chart(rig.view)), ==, n);
  /* The failing 6.2 mV readings lie beyond the control limits of good boards' spread. */
  g_assert_cmpuint(control_chart_get_n_flagged(quality_view_control_chart(rig.view)), >, 0);
  HistogramChart *histogram = quality_view_histogram(rig.view);
  gint64 counted = 0;
  for (guint i = 0; i < histogram_chart_get_bins(histogram); i++)
    counted += histogram_chart_get_count(histogram, i);
  g_assert_cmpint(counted, ==, n);

  const char *artifacts = g_getenv("ARTIFACTS");
  if (artifacts) {
    g_mkdir_with_parents(artifacts, 0755);
    g_autofree char *png = g_build_filename(artifacts, "quality-view-test.png", NULL);
    /* Half a second of frames, as the app waits before its own screenshot. */
    gboolean drawn = FALSE;
    g_timeout_add_once(500, set_flag, &drawn);
    while (!drawn)
      g_main_context_iteration(NULL, TRUE);
    g_autoptr(GError) error = NULL;
    screenshot_save(GTK_WIDGET(rig.view), png, &error);
    g_assert_no_error(error);
  }
  rig_close(&rig);
}

static void test_filter_by_model_and_day(void)
{
  Rig rig;
  rig_open(&rig);
  wait_for_view(&rig);
  const char *model_b = catalog_nth(rig.catalog, 1)->name;
  quality_view_set_filter(rig.view, "model", model_b);
  quality_view_set_filter(rig.view, "from", DAY_DATES[1]);
  quality_view_set_filter(rig.view, "to", DAY_DATES[1]);
  apply(&rig);
  g_assert_cmpstr(quality_view_error_text(rig.view), ==, "");
  g_assert_cmpuint(quality_view_yield_rows(rig.view), ==, 3);
  Expected e = expect_yield(&rig, model_b, 1);
  g_assert_cmpint(e.boards, >, 0);
  assert_yield_row(&rig, 1, model_b, &e);
  assert_yield_row(&rig, 2, "all", &e);
  g_assert_cmpuint(bar_chart_get_n_bars(quality_view_trend_chart(rig.view)), ==, 1);
  rig_close(&rig);
}

static void test_filter_by_fixture_and_order(void)
{
  Rig rig;
  rig_open(&rig);
  wait_for_view(&rig);
  const char *model_a = catalog_nth(rig.catalog, 0)->name;
  const char *model_b = catalog_nth(rig.catalog, 1)->name;
  quality_view_set_filter(rig.view, "fixture", "SIM-Q2");
  quality_view_set_filter(rig.view, "order", "PO-8");
  apply(&rig);
  g_assert_cmpstr(quality_view_error_text(rig.view), ==, "");
  gboolean a_first = strcmp(model_a, model_b) < 0;
  Selection a = {.model = model_a, .fixture = "SIM-Q2", .order_id = "PO-8", .day = -1,
                 .shift = -1};
  Selection b = a, all = a;
  b.model = model_b;
  all.model = NULL;
  Expected ea = expect_yield_of(&rig, &a), eb = expect_yield_of(&rig, &b);
  Expected eall = expect_yield_of(&rig, &all);
  g_assert_cmpint(ea.boards, >, 0);
  g_assert_cmpint(eb.boards, >, 0);
  g_assert_cmpint(eall.boards, <, expect_yield(&rig, NULL, -1).boards);
  g_assert_cmpuint(quality_view_yield_rows(rig.view), ==, 4);
  assert_yield_row(&rig, a_first ? 1 : 2, model_a, &ea);
  assert_yield_row(&rig, a_first ? 2 : 1, model_b, &eb);
  assert_yield_row(&rig, 3, "all", &eall);
  /* An order with no board in the selection empties it. */
  quality_view_set_filter(rig.view, "order", "PO-9");
  apply(&rig);
  g_assert_cmpuint(quality_view_yield_rows(rig.view), ==, 2);   /* the header and "all" */
  g_assert_cmpstr(quality_view_yield_cell(rig.view, 1, 1), ==, "0");
  g_assert_cmpuint(bar_chart_get_n_bars(quality_view_shift_trend_chart(rig.view)), ==, 0);
  rig_close(&rig);
}

/* Types text into a filter field and presses Enter there, as a person does; waits for the
 * view. */
static void type_and_enter(Rig *rig, const char *field, const char *text)
{
  g_autofree char *name = g_strconcat("filter-", field, NULL);
  GtkWidget *entry = view_checks_find_named(GTK_WIDGET(rig->view), name);
  g_assert_nonnull(entry);
  gtk_editable_set_text(GTK_EDITABLE(entry), text);
  gboolean done = FALSE;
  gulong id = g_signal_connect(rig->view, "refreshed", G_CALLBACK(on_refreshed), &done);
  g_signal_emit_by_name(entry, "activate");
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_true(done);
  g_signal_handler_disconnect(rig->view, id);
  wait_for_view(rig);
}

static void test_bad_date_says_why(void)
{
  Rig rig;
  rig_open(&rig);
  wait_for_view(&rig);
  g_autofree char *before = g_strdup(quality_view_yield_cell(rig.view, 3, 1));
  quality_view_set_filter(rig.view, "from", "2026-02-30");
  apply(&rig);
  g_assert_nonnull(strstr(quality_view_error_text(rig.view), "'2026-02-30' is not a date"));
  g_assert_nonnull(strstr(quality_view_error_text(rig.view), "YYYY-MM-DD"));
  /* The last good reports stay, the app goes on. */
  g_assert_cmpstr(quality_view_yield_cell(rig.view, 3, 1), ==, before);
  /* Enter in the field applies the corrected date. */
  type_and_enter(&rig, "from", DAY_DATES[2]);
  g_assert_cmpstr(quality_view_error_text(rig.view), ==, "");
  Expected e = expect_yield(&rig, NULL, 2);
  g_autofree char *boards = g_strdup_printf("%" G_GINT64_FORMAT, e.boards);
  g_assert_cmpstr(quality_view_yield_cell(rig.view, quality_view_yield_rows(rig.view) - 1, 1),
                  ==, boards);
  rig_close(&rig);
}

/* A database that cannot be opened: the view says so in one sentence, naming it. */
static void test_database_that_cannot_open(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  g_assert_no_error(error);
  /* A folder where the database file should be. */
  g_autofree char *folder = g_dir_make_tmp("quality-test-XXXXXX", &error);
  g_assert_no_error(error);
  GtkWidget *window = gtk_window_new();
  QualityView *view = quality_view_new(catalog, folder);
  gtk_window_set_child(GTK_WINDOW(window), GTK_WIDGET(view));
  gtk_window_present(GTK_WINDOW(window));
  gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (quality_view_is_busy(view) && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_false(quality_view_is_busy(view));
  g_test_message("error: %s", quality_view_error_text(view));
  g_assert_nonnull(strstr(quality_view_error_text(view), folder));
  g_assert_cmpuint(quality_view_yield_rows(view), ==, 1);   /* the header alone */
  gtk_window_destroy(GTK_WINDOW(window));
  g_rmdir(folder);
}

/* `station report ARGS --db` on the rig's database: its standard output, lines split. */
static char **station_report(Rig *rig, const char *const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)g_getenv("STATION"));
  g_ptr_array_add(argv, "report");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add(argv, (gpointer)args[i]);
  g_ptr_array_add(argv, "--db");
  g_ptr_array_add(argv, rig->db_path);
  g_ptr_array_add(argv, NULL);
  g_autofree char *out = NULL;
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                             &out, NULL, &status, &error));
  g_assert_no_error(error);
  g_assert_true(g_spawn_check_wait_status(status, NULL));
  return g_strsplit(out, "\n", -1);
}

/* A line's words (runs of spaces apart). */
static char **words(const char *line)
{
  g_auto(GStrv) parts = g_strsplit(line, " ", -1);
  GPtrArray *kept = g_ptr_array_new();
  for (guint i = 0; parts[i]; i++)
    if (*parts[i])
      g_ptr_array_add(kept, g_strdup(parts[i]));
  g_ptr_array_add(kept, NULL);
  return (char **)g_ptr_array_free(kept, FALSE);
}

/* The view and `station report` print the same yield, Pareto and Cpk for the same runs. */
static void test_same_as_station_report(void)
{
  if (!g_getenv("STATION")) {
    g_test_skip("STATION (the station command) is not set");
    return;
  }
  Rig rig;
  rig_open(&rig);
  wait_for_view(&rig);
  const char *yield_args[] = {"yield", "--by", "model", NULL};
  g_auto(GStrv) yield = station_report(&rig, yield_args);
  guint row = 1;
  for (guint i = 1; yield[i] && *yield[i] && !g_str_has_prefix(yield[i], "FPY:"); i++, row++) {
    g_auto(GStrv) cells = words(yield[i]);
    g_assert_cmpuint(g_strv_length(cells), ==, 6);
    for (guint c = 0; c < 6; c++)
      g_assert_cmpstr(quality_view_yield_cell(rig.view, row, c), ==, cells[c]);
  }
  g_assert_cmpuint(row, ==, quality_view_yield_rows(rig.view));

  /* "day shift boards FPY final retests errors" per production day and shift, then "all". */
  const char *shift_args[] = {"yield", "--by", "shift", NULL};
  g_auto(GStrv) shift_lines = station_report(&rig, shift_args);
  BarChart *shifts = quality_view_shift_trend_chart(rig.view);
  guint bar = 0;
  for (guint i = 1; shift_lines[i] && !g_str_has_prefix(shift_lines[i], "all "); i++, bar++) {
    g_auto(GStrv) cells = words(shift_lines[i]);
    g_assert_cmpuint(g_strv_length(cells), ==, 7);
    g_autofree char *name = g_strdup_printf("%s S%s", cells[0], cells[1]);
    g_assert_cmpstr(bar_chart_get_name(shifts, bar), ==, name);
    g_assert_cmpstr(bar_chart_get_value_text(shifts, bar), ==, cells[3]);
  }
  g_assert_cmpuint(bar, ==, bar_chart_get_n_bars(shifts));
  g_assert_cmpuint(bar, ==, DAYS * 3);

  const char *pareto_args[] = {"pareto", "--by", "step", NULL};
  g_auto(GStrv) pareto = station_report(&rig, pareto_args);
  g_assert_cmpstr(pareto[0], ==, quality_view_pareto_text(rig.view));
  BarChart *chart = quality_view_pareto_chart(rig.view);
  for (guint i = 0; i < bar_chart_get_n_bars(chart); i++) {
    g_auto(GStrv) cells = words(pareto[i + 1]);
    g_assert_cmpstr(bar_chart_get_name(chart, i), ==, cells[0]);
    g_assert_cmpstr(bar_chart_get_value_text(chart, i), ==, cells[1]);
  }

  g_assert_true(quality_view_choose_measurement(rig.view, "cell_02_error"));
  wait_for_view(&rig);
  const char *stats_args[] = {"stats", "cell_02_error", NULL};
  g_auto(GStrv) stats = station_report(&rig, stats_args);
  /* "cell_02_error [mV]: n 55, mean ..., sigma ..." and "Cp ..., Cpk ... (sigma within" */
  const char *n_at = strstr(stats[0], ": n ");
  g_assert_nonnull(n_at);
  g_autofree char *n_mean = g_strndup(n_at + 2, strstr(n_at, ", sigma") - n_at - 2);
  g_assert_true(g_str_has_prefix(quality_view_stats_text(rig.view), n_mean));
  g_assert_true(g_str_has_prefix(stats[2], "Cp "));
  g_autofree char *capability = g_strndup(stats[2], strstr(stats[2], " (sigma") - stats[2]);
  g_assert_nonnull(strstr(quality_view_stats_text(rig.view), capability));

  /* The fixture and order filters select what --fixture and --order select. */
  quality_view_set_filter(rig.view, "fixture", "SIM-Q1");
  quality_view_set_filter(rig.view, "order", "PO-7");
  apply(&rig);
  const char *filtered_args[] = {"yield", "--by", "model", "--fixture", "SIM-Q1", "--order",
                                 "PO-7", NULL};
  g_auto(GStrv) filtered = station_report(&rig, filtered_args);
  row = 1;
  for (guint i = 1; filtered[i] && *filtered[i] && !g_str_has_prefix(filtered[i], "FPY:");
       i++, row++) {
    g_auto(GStrv) cells = words(filtered[i]);
    g_assert_cmpuint(g_strv_length(cells), ==, 6);
    for (guint c = 0; c < 6; c++)
      g_assert_cmpstr(quality_view_yield_cell(rig.view, row, c), ==, cells[c]);
  }
  g_assert_cmpuint(row, ==, quality_view_yield_rows(rig.view));
  g_assert_cmpuint(row, ==, 4);
  rig_close(&rig);
}

int main(int argc, char **argv)
{
  /* Warnings are not fatal here, criticals are: under a bare X server GTK warns that there
   * is no session bus. */
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  gtk_init();
  g_test_add_func("/quality-view/numbers-match-the-data", test_numbers_match_the_data);
  g_test_add_func("/quality-view/filter-by-model-and-day", test_filter_by_model_and_day);
  g_test_add_func("/quality-view/filter-by-fixture-and-order",
                  test_filter_by_fixture_and_order);
  g_test_add_func("/quality-view/bad-date", test_bad_date_says_why);
  g_test_add_func("/quality-view/same-as-station-report", test_same_as_station_report);
  g_test_add_func("/quality-view/database-that-cannot-open", test_database_that_cannot_open);
  return g_test_run();
}
