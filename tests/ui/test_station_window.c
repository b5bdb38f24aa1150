/* The window's views on their own, under a real X server: a view is shown by name, an
 * unknown or hidden one is refused, hiding the shown view moves to one still offered, and the
 * names listed for messages are the offered ones. */
#include "ui/station_window.h"

static StationWindow *window_with_views(GtkApplication **app)
{
  *app = gtk_application_new("com.jkbms.EolStation.Test", G_APPLICATION_NON_UNIQUE);
  g_assert_true(g_application_register(G_APPLICATION(*app), NULL, NULL));
  StationWindow *window = station_window_new(*app);
  station_window_add_view(window, "operator", "Operator", gtk_label_new("operator"));
  station_window_add_view(window, "quality", "Quality", gtk_label_new("quality"));
  station_window_add_view(window, "firmware", "Firmware", gtk_label_new("firmware"));
  gtk_window_present(GTK_WINDOW(window));
  return window;
}

static void test_show_by_name(void)
{
  GtkApplication *app;
  StationWindow *window = window_with_views(&app);
  g_assert_cmpstr(station_window_shown_view(window), ==, "operator");
  g_assert_true(station_window_show_view(window, "quality"));
  g_assert_cmpstr(station_window_shown_view(window), ==, "quality");
  g_assert_false(station_window_show_view(window, "reports"));
  g_assert_cmpstr(station_window_shown_view(window), ==, "quality");
  g_autofree char *names = station_window_view_names(window);
  g_assert_cmpstr(names, ==, "operator, quality, firmware");
  gtk_window_destroy(GTK_WINDOW(window));
  g_object_unref(app);
}

static void test_hidden_view(void)
{
  GtkApplication *app;
  StationWindow *window = window_with_views(&app);
  g_assert_true(station_window_show_view(window, "firmware"));
  station_window_set_view_offered(window, "firmware", FALSE);
  g_assert_cmpstr(station_window_shown_view(window), !=, "firmware");
  g_assert_false(station_window_show_view(window, "firmware"));
  g_autofree char *names = station_window_view_names(window);
  g_assert_cmpstr(names, ==, "operator, quality");
  station_window_set_view_offered(window, "firmware", TRUE);
  g_assert_true(station_window_show_view(window, "firmware"));
  gtk_window_destroy(GTK_WINDOW(window));
  g_object_unref(app);
}

int main(int argc, char **argv)
{
  /* Warnings are not fatal here, criticals are: under a bare X server GTK warns that there
   * is no session bus. */
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  gtk_init();
  g_test_add_func("/station-window/show-by-name", test_show_by_name);
  g_test_add_func("/station-window/hidden-view", test_hidden_view);
  return g_test_run();
}
