/* The log-in in front of the window, under a real X server: nobody logged in sees only the
 * log-in; the role decides the views offered (operator for everyone, quality for engineers,
 * firmware for the firmware team, all for admins) and whether firmware can be changed; the
 * logged-in user is the operator of the runs; Log out is refused while a run is active; a
 * station without an admin (its users are only the operators runs recorded) works under its
 * default name with no log-in. */
#include "ui/login_gate.h"
#include "sequences/catalog.h"
#include "db/store.h"
#include "tests/scratch_folder.h"

typedef struct {
  char *folder, *db_path;
  Catalog *catalog;
  GtkApplication *app;
  StationWindow *window;
  LoginPanel *login;
  SlotPanels *view;
  OperatorPanel *panel;          /* the view's one slot */
  FirmwareView *firmware;
} Rig;

/* The twin's fixture file on private ports, so that no other twin on this machine answers: a
 * run on it is stored (and ends ERROR at once, with no firmware released) without a board. */
static char *write_fixture(const char *folder)
{
  const char *root = g_getenv("SOURCE_ROOT");
  g_assert_nonnull(root);
  g_autofree char *path = g_build_filename(root, "fixtures", "sim.conf", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_autoptr(GRegex) ports = g_regex_new("150([0-9][0-9])", 0, 0, NULL);
  g_autofree char *moved = g_regex_replace(ports, text, -1, 0, "165\\1", 0, NULL);
  g_autoptr(GRegex) ids = g_regex_new("^id = SIM-01$|jk-eol-sim", G_REGEX_MULTILINE, 0, NULL);
  g_autofree char *renamed = g_regex_replace(ids, moved, -1, 0, "\\0-gate", 0, NULL);
  char *copy = g_build_filename(folder, "fixture.conf", NULL);
  g_assert_true(g_file_set_contents(copy, renamed, -1, NULL));
  return copy;
}

static void rig_open(Rig *rig, gboolean with_users)
{
  g_autoptr(GError) error = NULL;
  *rig = (Rig){0};
  rig->folder = scratch_folder_new("login-gate");
  rig->db_path = g_build_filename(rig->folder, "results.db", NULL);
  if (with_users) {
    g_autoptr(Store) store = store_open(rig->db_path, &error);
    g_assert_true(store_user_add(store, "setup", "alice", USER_ROLE_ADMIN, "0001", &error));
    g_assert_true(store_user_add(store, "alice", "fred", USER_ROLE_FIRMWARE, "0042", &error));
    g_assert_true(store_user_add(store, "alice", "erin", USER_ROLE_ENGINEER, "0077", &error));
    g_assert_true(store_user_add(store, "alice", "oscar", USER_ROLE_OPERATOR, "0100", &error));
  }
  rig->catalog = catalog_load_default(&error);
  g_assert_no_error(error);
  rig->app = gtk_application_new("com.jkbms.EolStation.Test", G_APPLICATION_NON_UNIQUE);
  g_assert_true(g_application_register(G_APPLICATION(rig->app), NULL, NULL));
  rig->window = station_window_new(rig->app);
  g_autofree char *fixture = write_fixture(rig->folder);
  OperatorPanelConfig config = {
    .catalog = rig->catalog, .db_path = rig->db_path, .slot = 1,
    .request = {.fixture_path = fixture},
  };
  rig->view = slot_panels_new(&config);
  g_assert_cmpuint(slot_panels_count(rig->view), ==, 1);
  rig->panel = slot_panels_get(rig->view, 0);
  station_window_add_view(rig->window, "operator", "Operator", GTK_WIDGET(rig->view));
  station_window_add_view(rig->window, "quality", "Quality", gtk_label_new("quality"));
  rig->firmware = firmware_view_new(rig->db_path, rig->folder);
  station_window_add_view(rig->window, "firmware", "Firmware", GTK_WIDGET(rig->firmware));
  rig->login = login_panel_new(rig->db_path, "night-shift");
  login_gate_attach(rig->window, rig->login, rig->view, rig->firmware);
  gtk_window_present(GTK_WINDOW(rig->window));
}

static void rig_close(Rig *rig)
{
  gtk_window_destroy(GTK_WINDOW(rig->window));
  g_object_unref(rig->app);
  catalog_free(rig->catalog);
  scratch_folder_remove(rig->folder);
  g_free(rig->db_path);
  g_free(rig->folder);
}

static void assert_views(Rig *rig, const char *expected)
{
  g_autofree char *names = station_window_view_names(rig->window);
  g_assert_cmpstr(names, ==, expected);
}

static gboolean log_out_enabled(Rig *rig)
{
  GAction *action = g_action_map_lookup_action(G_ACTION_MAP(rig->window), "log-out");
  g_assert_nonnull(action);
  return g_action_get_enabled(action);
}

static gboolean firmware_changeable(Rig *rig)
{
  return gtk_widget_get_sensitive(firmware_view_import_button(rig->firmware));
}

static void test_role_decides_views(void)
{
  Rig rig;
  rig_open(&rig, TRUE);
  assert_views(&rig, "login");
  g_assert_cmpstr(station_window_shown_view(rig.window), ==, "login");
  g_assert_false(log_out_enabled(&rig));

  login_panel_scan(rig.login, "0100");          /* oscar, operator */
  assert_views(&rig, "operator");
  g_assert_cmpstr(station_window_shown_view(rig.window), ==, "operator");
  g_assert_false(firmware_changeable(&rig));
  g_assert_true(log_out_enabled(&rig));
  g_action_group_activate_action(G_ACTION_GROUP(rig.window), "log-out", NULL);
  assert_views(&rig, "login");
  g_assert_null(login_panel_user(rig.login));

  login_panel_scan(rig.login, "0077");          /* erin, engineer */
  assert_views(&rig, "operator, quality");
  g_action_group_activate_action(G_ACTION_GROUP(rig.window), "log-out", NULL);

  login_panel_scan(rig.login, "0042");          /* fred, firmware team */
  assert_views(&rig, "operator, firmware");
  g_assert_true(firmware_changeable(&rig));
  g_action_group_activate_action(G_ACTION_GROUP(rig.window), "log-out", NULL);

  login_panel_scan(rig.login, "0001");          /* alice, admin */
  assert_views(&rig, "operator, quality, firmware");
  g_assert_true(firmware_changeable(&rig));
  rig_close(&rig);
}

static void on_finished(OperatorPanel *panel, gboolean *done)
{
  *done = TRUE;
}

/* The run is oscar's, and oscar cannot log out while it goes on. */
static void test_user_is_operator_of_runs(void)
{
  Rig rig;
  rig_open(&rig, TRUE);
  login_panel_scan(rig.login, "0100");
  gboolean done = FALSE;
  g_signal_connect(rig.panel, "run-finished", G_CALLBACK(on_finished), &done);
  operator_panel_scan(rig.panel, "B2A24S15P-2648-00017");
  operator_panel_scan(rig.panel, "");
  g_assert_true(operator_panel_is_running(rig.panel));
  g_assert_false(log_out_enabled(&rig));
  g_action_group_activate_action(G_ACTION_GROUP(rig.window), "log-out", NULL);
  g_assert_cmpstr(login_panel_user(rig.login), ==, "oscar");
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_true(done);
  g_assert_true(log_out_enabled(&rig));
  gint64 run_id = 0;
  operator_panel_last_outcome(rig.panel, &run_id);
  g_assert_cmpint(run_id, >, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(rig.db_path, &error);
  g_autoptr(RunDetail) run = store_get_run(store, run_id, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(run->run.operator_name, ==, "oscar");
  rig_close(&rig);
}

static void test_station_without_users(void)
{
  Rig rig;
  rig_open(&rig, FALSE);
  assert_views(&rig, "operator, quality, firmware");
  g_assert_cmpstr(login_panel_user(rig.login), ==, "night-shift");
  g_assert_false(log_out_enabled(&rig));
  g_assert_true(firmware_changeable(&rig));
  rig_close(&rig);
}

int main(int argc, char **argv)
{
  /* Criticals are fatal; warnings are not (a bare X server has no session bus). */
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  gtk_init();
  g_test_add_func("/login-gate/role-decides-views", test_role_decides_views);
  g_test_add_func("/login-gate/user-is-operator", test_user_is_operator_of_runs);
  g_test_add_func("/login-gate/no-users", test_station_without_users);
  return g_test_run();
}
