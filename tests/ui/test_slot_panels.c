/* The operator view of a fixture of several slots, under a real X server: a panel per slot
 * the file declares, titled with its slot; the scanner's focus moves on to the next idle slot
 * when a run starts and is never taken from a scan field in use; a twin of several slots
 * that does not start, or runs on a virtual clock, is said above the panels. */
#include "ui/slot_panels.h"
#include "sequences/catalog.h"
#include "tests/scratch_folder.h"
#include <string.h>

typedef struct {
  char *folder, *db_path, *fixture;
  Catalog *catalog;
  GtkWidget *window;
  SlotPanels *view;
} Rig;

typedef enum { TWIN_NONE, TWIN_SILENT, TWIN_VIRTUAL } TwinKind;

/* The twin's fixture of two slots on ports nobody listens on: without its [twin] group a
 * real fixture whose runs end ERROR at once; with it a twin that does not answer, on the
 * real or the virtual clock. */
static char *two_slots(TwinKind twin)
{
  const char *root = g_getenv("SOURCE_ROOT");
  g_assert_nonnull(root);
  g_autofree char *path = g_build_filename(root, "fixtures", "sim-2slot.conf", NULL);
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
  g_autoptr(GRegex) ports = g_regex_new("15([12][0-9][0-9])", 0, 0, NULL);
  g_autofree char *moved = g_regex_replace(ports, text, -1, 0, "19\\1", 0, NULL);
  g_autoptr(GKeyFile) keys = g_key_file_new();
  g_assert_true(g_key_file_load_from_data(keys, moved, -1, G_KEY_FILE_NONE, NULL));
  g_key_file_set_string(keys, "fixture", "id", "TEST-PANELS");
  if (twin == TWIN_NONE) {
    g_key_file_remove_group(keys, "twin", NULL);
    g_key_file_remove_key(keys, "slot 1", "twin_control", NULL);
    g_key_file_remove_key(keys, "slot 2", "twin_control", NULL);
  } else {
    g_key_file_set_boolean(keys, "twin", "autostart", FALSE);
    g_key_file_set_string(keys, "twin", "clock", twin == TWIN_VIRTUAL ? "virtual" : "real");
  }
  return g_key_file_to_data(keys, NULL, NULL);
}

static void rig_open(Rig *rig, const char *fixture_text)
{
  g_autoptr(GError) error = NULL;
  *rig = (Rig){0};
  rig->folder = scratch_folder_new("slot-panels");
  rig->db_path = g_build_filename(rig->folder, "results.db", NULL);
  rig->fixture = g_build_filename(rig->folder, "fixture.conf", NULL);
  g_assert_true(g_file_set_contents(rig->fixture, fixture_text, -1, NULL));
  rig->catalog = catalog_load_default(&error);
  g_assert_no_error(error);
  OperatorPanelConfig config = {
    .catalog = rig->catalog, .db_path = rig->db_path, .slot = 1,
    .request = {.fixture_path = rig->fixture},
  };
  rig->window = gtk_window_new();
  rig->view = slot_panels_new(&config);
  gtk_window_set_child(GTK_WINDOW(rig->window), GTK_WIDGET(rig->view));
  gtk_window_present(GTK_WINDOW(rig->window));
}

static void rig_close(Rig *rig)
{
  gtk_window_destroy(GTK_WINDOW(rig->window));
  /* the twin's task holds the view until it returns */
  while (g_main_context_iteration(NULL, FALSE))
    ;
  catalog_free(rig->catalog);
  scratch_folder_remove(rig->folder);
  g_free(rig->db_path);
  g_free(rig->fixture);
  g_free(rig->folder);
}

static gboolean has_focus(Rig *rig, guint index)
{
  GtkWidget *focus = gtk_root_get_focus(GTK_ROOT(rig->window));
  return focus && gtk_widget_is_ancestor(focus, GTK_WIDGET(slot_panels_get(rig->view, index)));
}

static void on_finished(SlotPanels *view, OperatorPanel *panel, guint *finished)
{
  (*finished)++;
}

static void wait_finished(guint *finished, guint want)
{
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (*finished < want && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_cmpuint(*finished, ==, want);
}

static void test_a_panel_per_slot_and_the_focus(void)
{
  Rig rig;
  g_autofree char *text = two_slots(TWIN_NONE);
  rig_open(&rig, text);
  guint finished = 0;
  g_signal_connect(rig.view, "run-finished", G_CALLBACK(on_finished), &finished);
  g_assert_cmpuint(slot_panels_count(rig.view), ==, 2);
  g_assert_true(slot_panels_is_ready(rig.view));
  g_assert_null(slot_panels_problem(rig.view));
  OperatorPanel *one = slot_panels_get(rig.view, 0), *two = slot_panels_get(rig.view, 1);
  g_assert_cmpint(operator_panel_slot(one), ==, 1);
  g_assert_cmpint(operator_panel_slot(two), ==, 2);
  slot_panels_focus_idle(rig.view);
  g_assert_true(has_focus(&rig, 0));

  /* slot 1 starts: the scanner goes on to slot 2 */
  operator_panel_scan(one, "B2A24S15P-2648-00017");
  operator_panel_scan(one, "");
  g_assert_true(operator_panel_is_running(one));
  g_assert_true(slot_panels_is_running(rig.view));
  g_assert_true(has_focus(&rig, 1));
  /* slot 1 ends while slot 2's field is in use: the focus stays there */
  wait_finished(&finished, 1);
  g_assert_true(g_str_has_prefix(operator_panel_banner_text(one), "ERROR"));
  g_assert_true(has_focus(&rig, 1));

  /* slot 2 starts: the first idle slot after it is slot 1 */
  operator_panel_scan(two, "B2A8S20P-2650-00042");
  operator_panel_scan(two, "");
  g_assert_true(operator_panel_is_running(two));
  g_assert_true(has_focus(&rig, 0));
  wait_finished(&finished, 2);
  g_assert_false(slot_panels_is_running(rig.view));
  rig_close(&rig);
}

/* The twin of two slots whose control port answers nobody: the panels wait, then say so. */
static void test_twin_that_does_not_start(void)
{
  g_autofree char *text = two_slots(TWIN_SILENT);
  Rig rig;
  rig_open(&rig, text);
  g_assert_cmpuint(slot_panels_count(rig.view), ==, 2);
  g_assert_true(slot_panels_is_starting(rig.view));
  g_assert_false(slot_panels_is_ready(rig.view));
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (slot_panels_is_starting(rig.view) && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_false(slot_panels_is_starting(rig.view));
  g_assert_false(slot_panels_is_ready(rig.view));
  const char *problem = slot_panels_problem(rig.view);
  g_assert_nonnull(problem);
  g_assert_true(g_str_has_prefix(problem, "The fixture's twin did not start: "));
  rig_close(&rig);
}

/* Slots at once on the twin's virtual clock: said, and one slot offered. */
static void test_virtual_clock_refused(void)
{
  g_autofree char *text = two_slots(TWIN_VIRTUAL);
  Rig rig;
  rig_open(&rig, text);
  g_assert_cmpuint(slot_panels_count(rig.view), ==, 1);
  const char *problem = slot_panels_problem(rig.view);
  g_assert_nonnull(problem);
  g_assert_nonnull(strstr(problem, "clock = virtual"));
  rig_close(&rig);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  gtk_init();
  g_test_add_func("/slot-panels/a-panel-per-slot-and-the-focus",
                  test_a_panel_per_slot_and_the_focus);
  g_test_add_func("/slot-panels/twin-that-does-not-start", test_twin_that_does_not_start);
  g_test_add_func("/slot-panels/virtual-clock-refused", test_virtual_clock_refused);
  return g_test_run();
}
