/* The quality view's charts on their own, under a real X server: round axis steps, what each
 * chart keeps of the arrays it is given, and that each draws (a picture is made) with the data
 * a quality engineer meets at the edges: one value, all values equal, no limits, no data. */
#include "ui/bar_chart.h"
#include "ui/chart_frame.h"
#include "ui/control_chart.h"
#include "ui/histogram_chart.h"
#include "ui/screenshot.h"
#include <glib/gstdio.h>
#include <math.h>

static void test_scale_is_round(void)
{
  ChartScale s;
  chart_scale_nice(0, 97, 5, &s);
  g_assert_cmpfloat(s.min, ==, 0);
  g_assert_cmpfloat(s.step, ==, 20);
  g_assert_cmpfloat(s.max, ==, 100);
  chart_scale_nice(3.2936, 3.3214, 4, &s);
  g_assert_cmpfloat_with_epsilon(s.step, 0.01, 1e-12);
  g_assert_cmpfloat(s.min, <=, 3.2936);
  g_assert_cmpfloat(s.max, >=, 3.3214);
  chart_scale_nice(-7.5, 12.5, 5, &s);
  g_assert_cmpfloat(s.step, ==, 5);
  g_assert_cmpfloat(s.min, ==, -10);
  g_assert_cmpfloat(s.max, ==, 15);
  /* One value: a range around it, never an empty axis. */
  chart_scale_nice(1, 1, 4, &s);
  g_assert_cmpfloat(s.min, <, 1);
  g_assert_cmpfloat(s.max, >, 1);
  chart_scale_nice(0, 0, 4, &s);
  g_assert_cmpfloat(s.max, >, s.min);
}

static void set_flag(gpointer data)
{
  *(gboolean *)data = TRUE;
}

/* Shows the chart in a window, lets it draw, and saves it: the picture must be made. */
static void assert_draws(GtkWidget *chart, const char *name)
{
  GtkWidget *window = gtk_window_new();
  gtk_window_set_default_size(GTK_WINDOW(window), 640, 420);
  gtk_window_set_child(GTK_WINDOW(window), chart);
  gtk_window_present(GTK_WINDOW(window));
  gboolean drawn = FALSE;
  g_timeout_add_once(300, set_flag, &drawn);
  while (!drawn)
    g_main_context_iteration(NULL, TRUE);
  const char *artifacts = g_getenv("ARTIFACTS");
  g_autofree char *folder = g_strdup(artifacts ? artifacts : g_get_tmp_dir());
  g_mkdir_with_parents(folder, 0755);
  g_autofree char *file = g_strdup_printf("chart-%s.png", name);
  g_autofree char *png = g_build_filename(folder, file, NULL);
  g_autoptr(GError) error = NULL;
  screenshot_save(chart, png, &error);
  g_assert_no_error(error);
  GStatBuf st;
  g_assert_cmpint(g_stat(png, &st), ==, 0);
  g_assert_cmpint(st.st_size, >, 0);
  gtk_window_destroy(GTK_WINDOW(window));
}

static void test_bar_chart_keeps_bars(void)
{
  BarChart *chart = bar_chart_new("Failing runs by cause", "failing runs (count)");
  const char *names[] = {"cell-connections", "voltage-calibration", "overcharge"};
  const double counts[] = {31, 26, 22}, cumulative[] = {0.39, 0.72, 1.0};
  const char *texts[] = {"31", "26", "22"};
  bar_chart_set_bars(chart, 3, names, counts, texts, cumulative, NAN);
  g_assert_cmpuint(bar_chart_get_n_bars(chart), ==, 3);
  g_assert_cmpstr(bar_chart_get_name(chart, 1), ==, "voltage-calibration");
  g_assert_cmpstr(bar_chart_get_value_text(chart, 2), ==, "22");
  g_assert_null(bar_chart_get_name(chart, 3));
  assert_draws(GTK_WIDGET(chart), "pareto");
  BarChart *empty = bar_chart_new("Failing runs by cause", "failing runs (count)");
  bar_chart_set_bars(empty, 0, NULL, NULL, NULL, NULL, NAN);
  g_assert_cmpuint(bar_chart_get_n_bars(empty), ==, 0);
  assert_draws(GTK_WIDGET(empty), "pareto-empty");
}

static void test_histogram_edges(void)
{
  HistogramChart *chart = histogram_chart_new();
  const gint64 counts[] = {1, 4, 9, 4, 1};
  histogram_chart_set(chart, "cell_01_error", "mV", -5, 5, 5, counts, -5, 5, 0.1);
  g_assert_cmpuint(histogram_chart_get_bins(chart), ==, 5);
  g_assert_cmpint(histogram_chart_get_count(chart, 2), ==, 9);
  g_assert_cmpint(histogram_chart_get_count(chart, 5), ==, 0);
  assert_draws(GTK_WIDGET(chart), "histogram");
  /* Every value equal and no limits: a range of zero width. */
  HistogramChart *flat = histogram_chart_new();
  const gint64 one[] = {7};
  histogram_chart_set(flat, "balance_enable_setting", "", 1, 1, 1, one, NAN, NAN, 1);
  assert_draws(GTK_WIDGET(flat), "histogram-flat");
}

static void test_control_chart_flags(void)
{
  ControlChart *chart = control_chart_new();
  const double values[] = {3.30, 3.31, 3.29, 4.49, 3.30};
  const double ranges[] = {NAN, 0.01, 0.02, 1.20, 1.19};
  const gboolean flagged[] = {FALSE, FALSE, FALSE, TRUE, TRUE};
  ControlLimits i = {3.598, 4.5, 2.7}, mr = {0.6, 1.96, NAN};
  control_chart_set(chart, "cell_07_connection_v", "V", 5, values, ranges, flagged, &i, &mr);
  g_assert_cmpuint(control_chart_get_n_points(chart), ==, 5);
  g_assert_cmpuint(control_chart_get_n_flagged(chart), ==, 2);
  assert_draws(GTK_WIDGET(chart), "control");
  /* One value: no moving range, no limits. */
  ControlChart *single = control_chart_new();
  const double value[] = {3.3}, range[] = {NAN};
  const gboolean none[] = {FALSE};
  ControlLimits unknown = {NAN, NAN, NAN};
  control_chart_set(single, "cell_07_connection_v", "V", 1, value, range, none, &unknown,
                    &unknown);
  g_assert_cmpuint(control_chart_get_n_flagged(single), ==, 0);
  assert_draws(GTK_WIDGET(single), "control-single");
}

int main(int argc, char **argv)
{
  /* Warnings are not fatal here, criticals are: under a bare X server GTK warns that there
   * is no session bus. */
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  gtk_init();
  g_test_add_func("/charts/scale-is-round", test_scale_is_round);
  g_test_add_func("/charts/bar-chart", test_bar_chart_keeps_bars);
  g_test_add_func("/charts/histogram", test_histogram_edges);
  g_test_add_func("/charts/control-chart", test_control_chart_flags);
  return g_test_run();
}
