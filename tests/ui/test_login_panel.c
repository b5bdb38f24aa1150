/* The log-in on its own, under a real X server: the entry has the focus for the scanner, a
 * badge scan logs in the user it belongs to with what the role allows, an unknown badge is
 * refused in one sentence, log-out ends the session, and a station without an admin works
 * under the login name as before. */
#include "ui/login_panel.h"
#include "tests/scratch_folder.h"

typedef struct {
  char *folder, *db_path;
  GtkWidget *window;
  LoginPanel *panel;
  int logged_in, logged_out;   /* signals seen */
} Rig;

static void on_logged_in(LoginPanel *panel, Rig *rig)
{
  rig->logged_in++;
}

static void on_logged_out(LoginPanel *panel, Rig *rig)
{
  rig->logged_out++;
}

static void add_users(const char *db_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(db_path, &error);
  g_assert_no_error(error);
  g_assert_true(store_user_add(store, "setup", "alice", USER_ROLE_ADMIN, "0001", &error));
  g_assert_true(store_user_add(store, "alice", "fred", USER_ROLE_FIRMWARE, "0042", &error));
  g_assert_true(store_user_add(store, "alice", "erin", USER_ROLE_ENGINEER, "0077", &error));
  g_assert_true(store_user_add(store, "alice", "oscar", USER_ROLE_OPERATOR, "0100", &error));
}

static void rig_open(Rig *rig, gboolean with_users)
{
  g_autoptr(GError) error = NULL;
  *rig = (Rig){0};
  rig->folder = scratch_folder_new("login-panel");
  rig->db_path = g_build_filename(rig->folder, "results.db", NULL);
  if (with_users)
    add_users(rig->db_path);
  rig->window = gtk_window_new();
  rig->panel = login_panel_new(rig->db_path, NULL);
  g_signal_connect(rig->panel, "logged-in", G_CALLBACK(on_logged_in), rig);
  g_signal_connect(rig->panel, "logged-out", G_CALLBACK(on_logged_out), rig);
  gtk_window_set_child(GTK_WINDOW(rig->window), GTK_WIDGET(rig->panel));
  gtk_window_present(GTK_WINDOW(rig->window));
}

static void rig_close(Rig *rig)
{
  gtk_window_destroy(GTK_WINDOW(rig->window));
  scratch_folder_remove(rig->folder);
  g_free(rig->db_path);
  g_free(rig->folder);
}

static void iterate_until_mapped(GtkWidget *widget)
{
  gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
  while (!gtk_widget_get_mapped(widget) && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_true(gtk_widget_get_mapped(widget));
}

static void assert_entry_focused(Rig *rig)
{
  GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(rig->window));
  g_assert_nonnull(focus);
  g_assert_true(GTK_IS_TEXT(focus));            /* the text of the badge entry */
  g_assert_true(gtk_widget_is_ancestor(focus, GTK_WIDGET(rig->panel)));
}

/* The badge entry has the focus at start and whenever the log-in comes back on screen (after
 * a log-out, other views had it). */
static void test_entry_has_focus(void)
{
  Rig rig;
  rig_open(&rig, TRUE);
  iterate_until_mapped(GTK_WIDGET(rig.panel));
  assert_entry_focused(&rig);
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *other = gtk_button_new_with_label("another view");
  g_object_ref(rig.panel);
  gtk_window_set_child(GTK_WINDOW(rig.window), box);
  gtk_box_append(GTK_BOX(box), other);
  gtk_box_append(GTK_BOX(box), GTK_WIDGET(rig.panel));
  g_object_unref(rig.panel);
  gtk_widget_set_visible(GTK_WIDGET(rig.panel), FALSE);
  gtk_widget_grab_focus(other);
  g_assert_true(gtk_root_get_focus(GTK_ROOT(rig.window)) == other);
  gtk_widget_set_visible(GTK_WIDGET(rig.panel), TRUE);
  iterate_until_mapped(GTK_WIDGET(rig.panel));
  assert_entry_focused(&rig);
  rig_close(&rig);
}

static void test_badge_logs_in_its_user(void)
{
  Rig rig;
  rig_open(&rig, TRUE);
  g_assert_null(login_panel_user(rig.panel));
  g_assert_true(login_panel_checks_roles(rig.panel));
  g_assert_false(login_panel_allows(rig.panel, USER_ROLE_OPERATOR));
  login_panel_scan(rig.panel, "0042");
  g_assert_cmpstr(login_panel_user(rig.panel), ==, "fred");
  g_assert_cmpint(rig.logged_in, ==, 1);
  g_assert_cmpstr(login_panel_status_text(rig.panel), ==, "Logged in as fred.");
  g_assert_true(login_panel_allows(rig.panel, USER_ROLE_OPERATOR));
  g_assert_true(login_panel_allows(rig.panel, USER_ROLE_FIRMWARE));
  g_assert_false(login_panel_allows(rig.panel, USER_ROLE_ENGINEER));
  login_panel_log_out(rig.panel);
  g_assert_null(login_panel_user(rig.panel));
  g_assert_cmpint(rig.logged_out, ==, 1);
  g_assert_cmpstr(login_panel_status_text(rig.panel), ==,
                  "fred logged out. Scan your badge to log in.");

  login_panel_scan(rig.panel, " 0100 ");         /* the scanner's blanks do not matter */
  g_assert_cmpstr(login_panel_user(rig.panel), ==, "oscar");
  g_assert_true(login_panel_allows(rig.panel, USER_ROLE_OPERATOR));
  g_assert_false(login_panel_allows(rig.panel, USER_ROLE_ENGINEER));
  g_assert_false(login_panel_allows(rig.panel, USER_ROLE_FIRMWARE));
  login_panel_log_out(rig.panel);

  login_panel_scan(rig.panel, "erin");           /* a name typed works as well */
  g_assert_cmpstr(login_panel_user(rig.panel), ==, "erin");
  g_assert_true(login_panel_allows(rig.panel, USER_ROLE_ENGINEER));
  g_assert_false(login_panel_allows(rig.panel, USER_ROLE_FIRMWARE));
  login_panel_log_out(rig.panel);

  login_panel_scan(rig.panel, "0001");
  g_assert_cmpstr(login_panel_user(rig.panel), ==, "alice");
  g_assert_true(login_panel_allows(rig.panel, USER_ROLE_ENGINEER));
  g_assert_true(login_panel_allows(rig.panel, USER_ROLE_FIRMWARE));
  g_assert_true(login_panel_allows(rig.panel, USER_ROLE_ADMIN));
  rig_close(&rig);
}

static void test_unknown_badge_is_refused(void)
{
  Rig rig;
  rig_open(&rig, TRUE);
  login_panel_scan(rig.panel, "9999");
  g_assert_null(login_panel_user(rig.panel));
  g_assert_cmpint(rig.logged_in, ==, 0);
  g_assert_cmpstr(login_panel_status_text(rig.panel), ==,
                  "No user of this station has the badge or name '9999': scan again, or ask "
                  "an admin to add you.");
  login_panel_scan(rig.panel, "");
  g_assert_null(login_panel_user(rig.panel));
  g_assert_cmpstr(login_panel_status_text(rig.panel), ==,
                  "Scan your badge, or type your name and press Enter.");
  rig_close(&rig);
}

static void test_station_without_users_works_as_before(void)
{
  Rig rig;
  rig_open(&rig, FALSE);
  g_assert_false(login_panel_checks_roles(rig.panel));
  g_assert_cmpstr(login_panel_user(rig.panel), ==, g_get_user_name());
  g_assert_true(login_panel_allows(rig.panel, USER_ROLE_FIRMWARE));
  login_panel_scan(rig.panel, "night-shift");
  g_assert_cmpstr(login_panel_user(rig.panel), ==, "night-shift");
  login_panel_log_out(rig.panel);                /* back to the default name */
  g_assert_cmpstr(login_panel_user(rig.panel), ==, g_get_user_name());
  {                                              /* runs record their operators as users */
    g_autoptr(GError) error = NULL;
    g_autoptr(Store) store = store_open(rig.db_path, &error);
    g_assert_true(store_user_add(store, "setup", "oscar", USER_ROLE_OPERATOR, "0100", &error));
  }
  login_panel_scan(rig.panel, "0100");
  g_assert_cmpstr(login_panel_user(rig.panel), ==, "oscar");
  g_assert_false(login_panel_checks_roles(rig.panel));
  g_assert_true(login_panel_allows(rig.panel, USER_ROLE_FIRMWARE));
  login_panel_scan(rig.panel, "day-shift");
  g_assert_cmpstr(login_panel_user(rig.panel), ==, "day-shift");
  rig_close(&rig);
}

int main(int argc, char **argv)
{
  /* Criticals are fatal; warnings are not (a bare X server has no session bus). */
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  gtk_init();
  g_test_add_func("/login-panel/entry-has-focus", test_entry_has_focus);
  g_test_add_func("/login-panel/badge-logs-in", test_badge_logs_in_its_user);
  g_test_add_func("/login-panel/unknown-badge-refused", test_unknown_badge_is_refused);
  g_test_add_func("/login-panel/no-users", test_station_without_users_works_as_before);
  return g_test_run();
}
