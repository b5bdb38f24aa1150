/* The operator panel on its own, under a real X server: what a wrong barcode, a good one,
 * Enter without a scan and a run that cannot start show the operator; the verdict text; the
 * fixture's golden check of the shift under the shift's counts. */
#include "ui/operator_panel.h"
#include "db/golden.h"
#include "station/shift.h"
#include "ui/failure_text.h"
#include "sequences/catalog.h"
#include <glib/gstdio.h>
#include <math.h>

typedef struct {
  Catalog *catalog;
  char *folder, *db_path;
  GtkWidget *window;
  OperatorPanel *panel;
} Rig;

static void rig_open(Rig *rig, const char *fixture)
{
  g_autoptr(GError) error = NULL;
  rig->catalog = catalog_load_default(&error);
  g_assert_no_error(error);
  rig->folder = g_dir_make_tmp("panel-test-XXXXXX", &error);
  g_assert_no_error(error);
  rig->db_path = g_build_filename(rig->folder, "results.db", NULL);
  OperatorPanelConfig config = {
    .catalog = rig->catalog, .db_path = rig->db_path, .slot = 1,
    .request = {.fixture_path = fixture},
  };
  rig->window = gtk_window_new();
  rig->panel = operator_panel_new(&config);
  gtk_window_set_child(GTK_WINDOW(rig->window), GTK_WIDGET(rig->panel));
  gtk_window_present(GTK_WINDOW(rig->window));
}

static void rig_close(Rig *rig)
{
  gtk_window_destroy(GTK_WINDOW(rig->window));
  g_unlink(rig->db_path);
  g_autofree char *wal = g_strconcat(rig->db_path, "-wal", NULL);
  g_autofree char *shm = g_strconcat(rig->db_path, "-shm", NULL);
  g_unlink(wal);
  g_unlink(shm);
  g_rmdir(rig->folder);
  g_free(rig->db_path);
  g_free(rig->folder);
  catalog_free(rig->catalog);
}

static void test_wrong_barcode(void)
{
  Rig rig;
  rig_open(&rig, "/nonexistent.conf");
  operator_panel_scan(rig.panel, "B2A24S15P-26");
  g_assert_false(operator_panel_is_ready(rig.panel));
  g_assert_false(operator_panel_is_running(rig.panel));
  g_assert_nonnull(strstr(operator_panel_status_text(rig.panel), "B2A24S15P-26"));
  g_assert_cmpstr(operator_panel_banner_text(rig.panel), ==, "SCAN A BOARD");
  operator_panel_scan(rig.panel, "");
  g_assert_cmpstr(operator_panel_status_text(rig.panel), ==,
                  "Scan the board's serial number barcode first.");
  rig_close(&rig);
}

static void test_good_barcode_names_model(void)
{
  Rig rig;
  rig_open(&rig, "/nonexistent.conf");
  operator_panel_scan(rig.panel, " b2a24s15p-2648-00017 ");
  g_assert_true(operator_panel_is_ready(rig.panel));
  g_assert_cmpstr(operator_panel_status_text(rig.panel), ==,
                  "B2A24S15P-2648-00017, model B2A24S15P: press Enter to start.");
  rig_close(&rig);
}

static void on_finished(OperatorPanel *panel, gboolean *done)
{
  *done = TRUE;
}

/* A missing fixture file: the run ends ERROR on the banner with the reason, nothing hangs. */
static void test_run_that_cannot_test_is_error(void)
{
  Rig rig;
  rig_open(&rig, "/nonexistent/fixture.conf");
  gboolean done = FALSE;
  g_signal_connect(rig.panel, "run-finished", G_CALLBACK(on_finished), &done);
  operator_panel_scan(rig.panel, "B2A24S15P-2648-00017");
  operator_panel_scan(rig.panel, "");
  g_assert_true(operator_panel_is_running(rig.panel));
  operator_panel_scan(rig.panel, "B2A24S15P-2648-00018");
  g_assert_nonnull(strstr(operator_panel_status_text(rig.panel), "already active"));
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_assert_true(done);
  g_assert_false(operator_panel_is_running(rig.panel));
  g_assert_true(g_str_has_prefix(operator_panel_banner_text(rig.panel), "ERROR"));
  g_assert_cmpint(operator_panel_last_outcome(rig.panel, NULL), ==, OUTCOME_ERROR);
  rig_close(&rig);
}

/* A fixture with a golden board: the panel says its check of the shift is missing, then that
 * it passed; a fixture without one says nothing of it. */
static void test_golden_status(void)
{
  g_autofree char *folder = g_dir_make_tmp("panel-fixture-XXXXXX", NULL);
  g_autofree char *fixture = g_build_filename(folder, "fixture.conf", NULL);
  g_assert_true(g_file_set_contents(fixture, "[fixture]\nid = FX-UI\n[cells]\ndriver = "
      "ngi-n83624\nresource = TCPIP::127.0.0.1::1::SOCKET\n[dut]\ndriver = jk-modbus\n"
      "resource = TCPIP::127.0.0.1::2::SOCKET\n", -1, NULL));
  Rig rig;
  rig_open(&rig, fixture);
  g_assert_null(strstr(operator_panel_shift_text(rig.panel), "Golden"));
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(rig.db_path, &error);
  g_assert_no_error(error);
  GoldenBoardRow board = {.serial = "B2A24S15P-2648-90001", .expect = "pass",
                          .fixture_id = "FX-UI"};
  g_assert_true(store_golden_put(store, "erin", &board, &error));
  operator_panel_refresh_shift(rig.panel);
  const char *text = operator_panel_shift_text(rig.panel);
  g_assert_nonnull(strstr(text, "Golden check: fixture FX-UI has no golden check for shift "));
  g_assert_nonnull(strstr(text, "station golden check --serial B2A24S15P-2648-90001"));
  Shift shift = shift_now();
  GoldenCheckRow check = {.fixture_id = "FX-UI", .day = shift.day, .shift = shift.number,
                          .serial = "B2A24S15P-2648-90001", .expect = "pass",
                          .outcome = "PASS", .reason = "passed"};
  g_assert_true(store_golden_check_add(store, &check, &error));
  operator_panel_refresh_shift(rig.panel);
  g_autofree char *passed = g_strdup_printf("Golden check: passed for shift %d of %s.",
                                            shift.number, shift.day);
  g_assert_nonnull(strstr(operator_panel_shift_text(rig.panel), passed));
  g_clear_pointer(&store, store_close);
  g_unlink(fixture);
  g_rmdir(folder);
  rig_close(&rig);
}

static void test_failure_in_words(void)
{
  g_autoptr(Measurement) m = measurement_new("cell_07_error", "mV", 6.2);
  m->comparison = COMPARE_GELE;
  m->low = -5;
  m->high = 5;
  measurement_judge(m);
  g_autofree char *text = failure_text_explain(m);
  g_assert_cmpstr(text, ==, "cell_07_error reads 6.2 mV, 1.2 mV above its upper limit 5 mV");
  g_autofree char *verdict = failure_text_verdict(OUTCOME_FAIL, "accuracy", NULL, text);
  g_assert_true(g_str_has_prefix(verdict, "Step accuracy failed: cell_07_error reads"));
  g_assert_nonnull(strstr(verdict, "retest"));
}

int main(int argc, char **argv)
{
  /* Warnings are not fatal here, criticals are: under a bare X server GTK warns that there
   * is no session bus. */
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  gtk_init();
  g_test_add_func("/operator-panel/wrong-barcode", test_wrong_barcode);
  g_test_add_func("/operator-panel/good-barcode", test_good_barcode_names_model);
  g_test_add_func("/operator-panel/cannot-test", test_run_that_cannot_test_is_error);
  g_test_add_func("/operator-panel/golden-status", test_golden_status);
  g_test_add_func("/failure-text/in-words", test_failure_in_words);
  return g_test_run();
}
