/* The quality view's layout at a quality engineer's desk, under a real X server: in the
 * app's window at 1280×1024 with the app's styles and the default font, on a selection as
 * full as the view gets (ten models in the yield table, more failure causes than the Pareto
 * shows, limits that changed in the selection), nothing needs to scroll: the window keeps
 * its size, the view's content needs no more than it is given at its natural size (so
 * nothing in it is squeezed) and no scrolled part of it holds more than it shows. Tab walks
 * the filters, Apply, the yield table, the Pareto toggles and the measurement chooser in
 * reading order, and each field's underlined letter puts the focus in it. The window is
 * saved as a picture to the artifacts folder. */
#include "ui/quality_view.h"
#include "ui/station_window.h"
#include "ui/screenshot.h"
#include "ui/app_resources.h"
#include "tests/scratch_folder.h"
#include "tests/ui/view_checks.h"
#include "db/store.h"
#include <math.h>

#define MODELS 10
#define BOARDS 24               /* per model */
#define DESK_WIDTH 1280
#define DESK_HEIGHT 1024

/* More causes than the Pareto's 15 bars, with the long names of the real sequence's steps. */
static const char *const CAUSES[] = {
  "cell-connections", "voltage-calibration", "current-calibration", "overcharge",
  "overdischarge", "discharge-overcurrent", "charge-overcurrent", "short-circuit",
  "balance", "temperature", "heater", "path-resistance", "identify", "firmware-check",
  "power-up", "sleep-current", "wake-up", "configuration",
};

typedef struct {
  Catalog *catalog;
  char *folder, *db_path;
  GtkApplication *app;
  StationWindow *window;
  QualityView *view;
} Rig;

static void add(Store *store, gint64 step, const char *name, const char *unit, double value,
                double low, double high)
{
  g_autoptr(GError) error = NULL;
  gboolean fails = value < low || value > high;
  MeasurementRecord m = {
    .name = name, .unit = unit, .value = value, .low = low, .high = high,
    .comparison = "GELE", .outcome = fails ? "FAIL" : "PASS",
  };
  g_assert_true(store_measurement_add(store, step, &m, &error));
}

/* One run of a board: the cell connections measured (their limits widened halfway through
 * the selection), and every seventh board failing one cause after them. */
static void write_run(Store *store, const char *model, int m, int b)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *serial = g_strdup_printf("%s-2648-%05d", model, b);
  g_autofree char *started = g_strdup_printf("2026-11-%02dT%02d:%02d:00.000Z", 2 + b % 5,
                                             6 + m, b);
  RunStart start = {
    .serial = serial, .model = model, .station_id = "EOL-1", .fixture_id = "SIM-1", .slot = 1,
    .operator_name = "anna", .order_id = "PO-7", .sequence_name = "eol",
    .sequence_sha256 = "0", .app_version = "test", .chemistry = "lfp", .cell_count = 16,
    .started_at = started,
  };
  gint64 run = store_run_begin(store, &start, &error);
  g_assert_no_error(error);
  gint64 step = store_step_begin(store, run, 0, "board", "cell-connections", &error);
  double wide = b >= BOARDS / 2 ? 0.01 : 0;
  double value = 3.30 + 0.004 * sin(b * 1.7 + m) + (b == 5 ? 1.2 : 0);
  add(store, step, "cell_07_connection_v", "V", value, 3.28 - wide, 3.32 + wide);
  const char *failed = NULL;
  if (b % 7 == 3 || value > 3.32 + wide)
    failed = value > 3.32 + wide ? "cell-connections"
                                 : CAUSES[(m * 3 + b) % G_N_ELEMENTS(CAUSES)];
  g_assert_true(store_step_end(store, step, g_strcmp0(failed, "cell-connections") == 0
                                                ? "FAIL" : "PASS", NULL, &error));
  if (failed && strcmp(failed, "cell-connections") != 0) {
    step = store_step_begin(store, run, 1, "board", failed, &error);
    add(store, step, "reading", "mA", 99, 0, 10);
    g_assert_true(store_step_end(store, step, "FAIL", NULL, &error));
  }
  g_assert_true(store_run_end(store, run, failed ? "FAIL" : "PASS", failed, NULL, &error));
  g_assert_no_error(error);
}

static void on_refreshed(QualityView *view, gboolean *done)
{
  *done = TRUE;
}

/* Runs the main loop for ms milliseconds: frames are laid out and drawn. */
static void let_draw(guint ms)
{
  gint64 until = g_get_monotonic_time() + ms * 1000;
  while (g_get_monotonic_time() < until)
    g_main_context_iteration(NULL, FALSE);
}

/* The app's window at a desk screen's size showing the quality view of the data set, its
 * first query done. */
static void rig_open(Rig *rig)
{
  g_autoptr(GError) error = NULL;
  rig->catalog = catalog_load_default(&error);
  g_assert_no_error(error);
  g_assert_cmpuint(catalog_count(rig->catalog), >=, MODELS);
  rig->folder = scratch_folder_new("quality-layout");
  rig->db_path = g_build_filename(rig->folder, "results.db", NULL);
  g_autoptr(Store) store = store_open(rig->db_path, &error);
  g_assert_no_error(error);
  for (int m = 0; m < MODELS; m++)
    for (int b = 0; b < BOARDS; b++)
      write_run(store, catalog_nth(rig->catalog, (guint)m)->name, m, b);
  rig->app = gtk_application_new("com.jkbms.EolStation.LayoutTest", G_APPLICATION_NON_UNIQUE);
  g_assert_true(g_application_register(G_APPLICATION(rig->app), NULL, NULL));
  rig->window = station_window_new(rig->app);
  gtk_window_set_default_size(GTK_WINDOW(rig->window), DESK_WIDTH, DESK_HEIGHT);
  rig->view = quality_view_new(rig->catalog, rig->db_path);
  station_window_add_view(rig->window, "quality", "Quality", GTK_WIDGET(rig->view));
  gboolean done = FALSE;
  g_signal_connect(rig->view, "refreshed", G_CALLBACK(on_refreshed), &done);
  gtk_window_present(GTK_WINDOW(rig->window));
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_true(done);
  g_assert_cmpstr(quality_view_error_text(rig->view), ==, "");
  let_draw(300);
}

static void rig_close(Rig *rig)
{
  gtk_window_destroy(GTK_WINDOW(rig->window));
  let_draw(50);
  g_object_unref(rig->app);
  scratch_folder_remove(rig->folder);
  g_free(rig->folder);
  g_free(rig->db_path);
  catalog_free(rig->catalog);
}

/* Every scrolled part of the view shows all it holds. */
static void assert_nothing_scrolls(GtkWidget *widget)
{
  if (GTK_IS_SCROLLED_WINDOW(widget)) {
    GtkScrolledWindow *scroller = GTK_SCROLLED_WINDOW(widget);
    GtkAdjustment *adjustments[] = {gtk_scrolled_window_get_vadjustment(scroller),
                                    gtk_scrolled_window_get_hadjustment(scroller)};
    for (guint i = 0; i < G_N_ELEMENTS(adjustments); i++) {
      double upper = gtk_adjustment_get_upper(adjustments[i]);
      double page = gtk_adjustment_get_page_size(adjustments[i]);
      g_assert_cmpfloat(upper, <=, page + 0.5);
    }
  }
  for (GtkWidget *c = gtk_widget_get_first_child(widget); c; c = gtk_widget_get_next_sibling(c))
    assert_nothing_scrolls(c);
}

static void test_fits_a_desk_screen(void)
{
  Rig rig;
  rig_open(&rig);
  /* As full as the view gets: every model, a Pareto cut to its most frequent causes, the
   * longest statistics line. */
  g_assert_cmpuint(quality_view_yield_rows(rig.view), ==, 1 + MODELS + 1);
  g_assert_nonnull(strstr(quality_view_pareto_text(rig.view), "most frequent of"));
  g_assert_nonnull(strstr(quality_view_stats_text(rig.view), "they changed in the selection"));
  GtkWidget *window = GTK_WIDGET(rig.window), *view = GTK_WIDGET(rig.view);
  g_test_message("window %d×%d, view %d×%d", gtk_widget_get_width(window),
                 gtk_widget_get_height(window), gtk_widget_get_width(view),
                 gtk_widget_get_height(view));
  g_assert_cmpint(gtk_widget_get_width(window), <=, DESK_WIDTH);
  g_assert_cmpint(gtk_widget_get_height(window), <=, DESK_HEIGHT);
  /* The view's content (inside its padding) needs no more than it has. */
  GtkWidget *content = gtk_widget_get_first_child(view);
  int minimum, natural;
  gtk_widget_measure(content, GTK_ORIENTATION_VERTICAL, gtk_widget_get_width(content),
                     &minimum, &natural, NULL, NULL);
  g_test_message("the view's content needs %d px (natural %d) of the %d it has", minimum,
                 natural, gtk_widget_get_height(content));
  g_assert_cmpint(natural, <=, gtk_widget_get_height(content));
  gtk_widget_measure(content, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, NULL, NULL, NULL);
  g_test_message("and %d px of the %d it has across", minimum, gtk_widget_get_width(content));
  g_assert_cmpint(minimum, <=, gtk_widget_get_width(content));
  assert_nothing_scrolls(view);
  /* Each chart is drawn at least as large as it asks. */
  GtkWidget *charts[] = {
    GTK_WIDGET(quality_view_trend_chart(rig.view)),
    GTK_WIDGET(quality_view_shift_trend_chart(rig.view)),
    GTK_WIDGET(quality_view_pareto_chart(rig.view)), GTK_WIDGET(quality_view_histogram(rig.view)),
    GTK_WIDGET(quality_view_control_chart(rig.view)),
  };
  for (guint i = 0; i < G_N_ELEMENTS(charts); i++) {
    int width, height;
    gtk_widget_get_size_request(charts[i], &width, &height);
    g_assert_cmpint(gtk_widget_get_width(charts[i]), >=, width);
    g_assert_cmpint(gtk_widget_get_height(charts[i]), >=, height);
  }
  const char *artifacts = g_getenv("ARTIFACTS");
  if (artifacts) {
    g_mkdir_with_parents(artifacts, 0755);
    g_autofree char *png = g_build_filename(artifacts, "quality-layout-test.png", NULL);
    g_autoptr(GError) error = NULL;
    g_assert_true(screenshot_save(window, png, &error));
  }
  rig_close(&rig);
}

/* The name of the control (named in the template) the focus is in, NULL when none. */
static const char *focused_control(Rig *rig, const char *const *names)
{
  GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(rig->window));
  for (guint i = 0; focus && names[i]; i++) {
    GtkWidget *control = view_checks_find_named(GTK_WIDGET(rig->view), names[i]);
    if (focus == control || gtk_widget_is_ancestor(focus, control))
      return names[i];
  }
  return NULL;
}

static const char *const CONTROLS[] = {
  "filter-model", "filter-station", "filter-fixture", "filter-operator", "filter-order",
  "filter-from", "filter-to", "apply", "yield-table", "pareto-by-step", "pareto-by-measurement",
  "measurement", NULL,
};

static void test_tab_order(void)
{
  Rig rig;
  rig_open(&rig);
  gtk_widget_grab_focus(view_checks_find_named(GTK_WIDGET(rig.view), "filter-model"));
  for (guint i = 1; CONTROLS[i]; i++) {
    /* Tab, until the focus leaves the control it was in (an entry has parts of its own). */
    const char *from = focused_control(&rig, CONTROLS);
    g_assert_cmpstr(from, ==, CONTROLS[i - 1]);
    for (int presses = 0; presses < 4 && g_strcmp0(focused_control(&rig, CONTROLS), from) == 0;
         presses++)
      g_assert_true(gtk_widget_child_focus(GTK_WIDGET(rig.window), GTK_DIR_TAB_FORWARD));
    g_assert_cmpstr(focused_control(&rig, CONTROLS), ==, CONTROLS[i]);
  }
  rig_close(&rig);
}

/* The labels with an underlined letter in the view, in order. */
static void collect_mnemonics(GtkWidget *widget, GPtrArray *labels)
{
  if (GTK_IS_LABEL(widget) &&
      gtk_label_get_mnemonic_keyval(GTK_LABEL(widget)) != GDK_KEY_VoidSymbol)
    g_ptr_array_add(labels, widget);
  for (GtkWidget *c = gtk_widget_get_first_child(widget); c; c = gtk_widget_get_next_sibling(c))
    collect_mnemonics(c, labels);
}

static void test_mnemonics(void)
{
  Rig rig;
  rig_open(&rig);
  static const struct { guint key; const char *control; } FIELDS[] = {
    {GDK_KEY_m, "filter-model"}, {GDK_KEY_s, "filter-station"}, {GDK_KEY_f, "filter-fixture"},
    {GDK_KEY_p, "filter-operator"}, {GDK_KEY_d, "filter-order"}, {GDK_KEY_r, "filter-from"},
    {GDK_KEY_t, "filter-to"}, {GDK_KEY_e, "measurement"},
  };
  g_autoptr(GPtrArray) labels = g_ptr_array_new();
  collect_mnemonics(GTK_WIDGET(rig.view), labels);
  /* One letter, one control: Apply and the Pareto toggles have theirs too. */
  g_autoptr(GHashTable) keys = g_hash_table_new(NULL, NULL);
  for (guint i = 0; i < labels->len; i++) {
    guint key = gdk_keyval_to_lower(gtk_label_get_mnemonic_keyval(labels->pdata[i]));
    g_assert_true(g_hash_table_add(keys, GUINT_TO_POINTER(key)));
  }
  g_assert_cmpuint(labels->len, ==, G_N_ELEMENTS(FIELDS) + 3);
  for (guint f = 0; f < G_N_ELEMENTS(FIELDS); f++) {
    GtkWidget *label = NULL;
    for (guint i = 0; i < labels->len && !label; i++)
      if (gdk_keyval_to_lower(gtk_label_get_mnemonic_keyval(labels->pdata[i])) == FIELDS[f].key)
        label = labels->pdata[i];
    g_assert_nonnull(label);
    GtkWidget *control = view_checks_find_named(GTK_WIDGET(rig.view), FIELDS[f].control);
    g_assert_true(gtk_label_get_mnemonic_widget(GTK_LABEL(label)) == control);
    if (!GTK_IS_ENTRY(control))
      continue;                 /* a drop-down opens its list */
    /* What Alt and the letter do. */
    g_assert_true(gtk_widget_mnemonic_activate(label, FALSE));
    const char *const only[] = {FIELDS[f].control, NULL};
    g_assert_cmpstr(focused_control(&rig, only), ==, FIELDS[f].control);
  }
  rig_close(&rig);
}

static void test_template_builds_bound(void)
{
  Rig rig;
  rig_open(&rig);
  g_assert_cmpuint(view_checks_all_bound(GTK_WIDGET(rig.view), QUALITY_TYPE_VIEW,
                                            "/com/jkbms/EolStation/quality-view.ui"), ==, 22);
  rig_close(&rig);
}

int main(int argc, char **argv)
{
  /* Warnings are not fatal here, criticals are: under a bare X server GTK warns that there
   * is no session bus. */
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  gtk_init();
  app_resources_load_styles();   /* the app's type sizes and padding */
  g_test_add_func("/quality-layout/fits-a-desk-screen", test_fits_a_desk_screen);
  g_test_add_func("/quality-layout/tab-order", test_tab_order);
  g_test_add_func("/quality-layout/mnemonics", test_mnemonics);
  g_test_add_func("/quality-layout/template-builds-bound", test_template_builds_bound);
  return g_test_run();
}
