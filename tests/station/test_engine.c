/* Engine tests that need no simulator: serial numbers, measurement judging, the Lua host's
 * sandbox and script errors, and a run whose fixture cannot be reached (ERROR, stored). */
#include "station/engine.h"
#include "station/lua_host.h"
#include "station/measurement.h"
#include "station/serial_number.h"
#include "station/station_error.h"
#include "tests/cunit_main.h"
#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static Catalog *catalog;
static char *tmpdir;

static char *write_temp(const char *name, const char *contents)
{
  char *path = g_build_filename(tmpdir, name, NULL);
  g_assert(g_file_set_contents(path, contents, -1, NULL));
  return path;
}

static void test_serial_good(void)
{
  SerialNumber sn;
  g_autoptr(GError) error = NULL;
  CU_ASSERT_TRUE_FATAL(serial_number_parse(" b2a24s15p-2648-00017\n", catalog, &sn, &error));
  CU_ASSERT_STRING_EQUAL(sn.text, "B2A24S15P-2648-00017");
  CU_ASSERT_STRING_EQUAL(sn.model->name, "B2A24S15P");
  CU_ASSERT_EQUAL(sn.year, 2026);
  CU_ASSERT_EQUAL(sn.week, 48);
  CU_ASSERT_EQUAL(sn.unit, 17);
  CU_ASSERT_TRUE(serial_number_parse("B2A25SRP-2601-99999", catalog, &sn, NULL));
}

static void expect_serial_error(const char *text, const char *words)
{
  SerialNumber sn;
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(serial_number_parse(text, catalog, &sn, &error));
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, STATION_ERROR, STATION_ERROR_SERIAL));
  if (!strstr(error->message, words))
    printf("\n  message for '%s' lacks '%s': %s\n", text, words, error->message);
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, words));
}

static void test_serial_bad(void)
{
  expect_serial_error("", "no serial number");
  expect_serial_error("B2A24S15P-2648", "expected three");
  expect_serial_error("B2A24S15P-26X8-00017", "YYWW");
  expect_serial_error("B2A24S15P-2600-00017", "week 00");
  expect_serial_error("B2A24S15P-2654-00017", "week 54");
  expect_serial_error("B2A24S15P-2648-017", "five digits");
  expect_serial_error("B2A24S15P-2648-0001A", "five digits");
  expect_serial_error("B9A99S99P-2648-00017", "unknown model");
  expect_serial_error("B2A24S15P-2648-00017-X", "expected three");
}

static void test_measurement_limits(void)
{
  g_autoptr(Measurement) m = measurement_new("v", "mV", 4.4);
  m->comparison = COMPARE_GELE;
  m->low = -4.4;
  m->high = 4.4;
  CU_ASSERT_EQUAL(measurement_judge(m), OUTCOME_PASS);   /* limits are inclusive */
  m->value = 4.41;
  CU_ASSERT_EQUAL(measurement_judge(m), OUTCOME_FAIL);
  m->value = -4.41;
  CU_ASSERT_EQUAL(measurement_judge(m), OUTCOME_FAIL);
  m->comparison = COMPARE_GTLT;
  m->value = 4.4;
  CU_ASSERT_EQUAL(measurement_judge(m), OUTCOME_FAIL);
  m->value = NAN;
  m->comparison = COMPARE_GELE;
  CU_ASSERT_EQUAL(measurement_judge(m), OUTCOME_FAIL);   /* no reading is no pass */
  m->value = 4.0;
  m->marginal_high = 3.5;
  CU_ASSERT_EQUAL(measurement_judge(m), OUTCOME_PASS);
  CU_ASSERT_TRUE(m->marginal);
  m->low = 5;
  CU_ASSERT_FALSE(measurement_limits_valid(m, NULL));

  g_autoptr(Measurement) t = measurement_new_text("model", "JK_B2A24S15P");
  t->comparison = COMPARE_EQ;
  t->expected = g_strdup("JK_B2A24S15P");
  CU_ASSERT_EQUAL(measurement_judge(t), OUTCOME_PASS);
  g_free(t->expected);
  t->expected = g_strdup("JK_B2A20S20P");
  CU_ASSERT_EQUAL(measurement_judge(t), OUTCOME_FAIL);
  g_autoptr(Measurement) logged = measurement_new("x", "A", 1e9);
  CU_ASSERT_EQUAL(measurement_judge(logged), OUTCOME_PASS);
}

static void expect_load_error(const char *script, const char *words)
{
  g_autofree char *path = write_temp("seq.lua", script);
  g_autoptr(GError) error = NULL;
  g_autoptr(LuaHost) host = lua_host_load(path, &error);
  CU_ASSERT_PTR_NULL(host);
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, STATION_ERROR, STATION_ERROR_SEQUENCE));
  if (!strstr(error->message, words))
    printf("\n  message lacks '%s': %s\n", words, error->message);
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, words));
}

static void test_lua_load(void)
{
  expect_load_error("step { name = 'a', run = function() end\n", "seq.lua:2:");
  expect_load_error("local f = io.open('/etc/passwd')", "seq.lua:1:");
  expect_load_error("require('os')", "seq.lua:1:");
  expect_load_error("step { run = function() end }", "needs a name");
  expect_load_error("step { name = 'a', run = function() end }\n"
                    "step { name = 'a', run = function() end }", "declared twice");
  expect_load_error("setup { name = 'a', run = function() end }", "no main step");
  expect_load_error("x = 1 +", "seq.lua:1:");
  /* step{overlaps}: a main step declared before, overlapping none; not critical. */
  expect_load_error("step { name = 'b', overlaps = 'a', run = function() end }\n"
                    "step { name = 'a', run = function() end }", "not a step declared before");
  expect_load_error("setup { name = 'a', run = function() end }\n"
                    "step { name = 'b', overlaps = 'a', run = function() end }",
                    "not a main step that overlaps none");
  expect_load_error("step { name = 'a', run = function() end }\n"
                    "step { name = 'b', overlaps = 'a', run = function() end }\n"
                    "step { name = 'c', overlaps = 'b', run = function() end }",
                    "not a main step that overlaps none");
  expect_load_error("step { name = 'a', run = function() end }\n"
                    "step { name = 'b', overlaps = 'a', critical = true, run = function() end }",
                    "cannot be critical");
  expect_load_error("step { name = 'a', run = function() end }\n"
                    "teardown { name = 'b', overlaps = 'a', run = function() end }",
                    "only a main step may overlap");

  g_autofree char *path = write_temp("ok.lua",
      "sequence { name = 'demo' }\n"
      "setup { name = 's', run = function() end }\n"
      "step { name = 'm1', critical = true, run = function() end }\n"
      "teardown { name = 't', run = function() end }\n"
      "step { name = 'm2', run = function() end }\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(LuaHost) host = lua_host_load(path, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(host);
  CU_ASSERT_STRING_EQUAL(lua_host_sequence_name(host), "demo");
  GPtrArray *steps = lua_host_steps(host);
  CU_ASSERT_EQUAL_FATAL(steps->len, 4);
  const SequenceStep *m1 = g_ptr_array_index(steps, 1);
  CU_ASSERT_STRING_EQUAL(m1->name, "m1");
  CU_ASSERT_EQUAL(m1->group, GROUP_MAIN);
  CU_ASSERT_TRUE(m1->critical);
  CU_ASSERT_EQUAL(((SequenceStep *)g_ptr_array_index(steps, 2))->group, GROUP_TEARDOWN);
  CU_ASSERT_PTR_NULL(m1->overlaps);

  g_autofree char *overlapping = write_temp("overlap.lua",
      "step { name = 'a', run = function() wait_overlapped(1) end }\n"
      "step { name = 'b', overlaps = 'a', run = function() end }\n");
  g_autoptr(LuaHost) with_overlap = lua_host_load(overlapping, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(with_overlap);
  const SequenceStep *b = g_ptr_array_index(lua_host_steps(with_overlap), 1);
  CU_ASSERT_STRING_EQUAL(b->overlaps, "a");
}

typedef struct {
  GPtrArray *kinds;
} Recorder;

static void record_event(const EngineEvent *event, gpointer user_data)
{
  Recorder *r = user_data;
  g_ptr_array_add(r->kinds, g_strdup_printf("%d:%s:%s", event->kind,
                                            event->step ? event->step : "",
                                            outcome_name(event->outcome)));
}

/* A fixture whose instruments do not answer: the run ends ERROR naming the instrument,
 * every step after the failure is SKIP, and all of it is stored. */
static void test_run_unreachable_fixture(void)
{
  g_autofree char *fixture = write_temp("dead.conf",
      "[fixture]\nid = DEAD-01\n"
      "[cells]\ndriver = ngi-n83624\nresource = TCPIP::127.0.0.1::1::SOCKET\n"
      "[dut]\ndriver = jk-modbus\nresource = ASRL/nonexistent/tty::INSTR\n");
  g_autofree char *db = g_build_filename(tmpdir, "results.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(db, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(store);
  g_autoptr(Engine) engine = engine_new(catalog, store);
  Recorder recorder = {g_ptr_array_new_with_free_func(g_free)};
  engine_set_event_handler(engine, record_event, &recorder);
  g_autofree char *sequence = write_temp("plain.lua",
      "sequence { name = 'plain' }\n"
      "step { name = 'touch', run = function() fixture.cells:output(1, 1, true) end }\n");
  RunRequest request = {.fixture_path = fixture, .serial = "BD4A8S4P-2648-00001",
                        .sequence_path = sequence};
  RunResult result;
  CU_ASSERT_TRUE_FATAL(engine_run(engine, &request, &result, &error));
  CU_ASSERT_EQUAL(result.outcome, OUTCOME_ERROR);
  CU_ASSERT_STRING_EQUAL(result.first_failure, "connect-fixture");
  CU_ASSERT_PTR_NOT_NULL(strstr(result.message, "cell simulator"));
  CU_ASSERT_PTR_NOT_NULL(strstr(result.message, "127.0.0.1"));

  g_autoptr(RunDetail) detail = store_get_run(store, result.run_id, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(detail);
  CU_ASSERT_STRING_EQUAL(detail->run.outcome, "ERROR");
  CU_ASSERT_STRING_EQUAL(detail->run.fixture_id, "DEAD-01");
  StepRow *first = g_ptr_array_index(detail->steps, 0);
  CU_ASSERT_STRING_EQUAL(first->outcome, "ERROR");
  for (guint i = 1; i + 1 < detail->steps->len; i++)
    CU_ASSERT_STRING_EQUAL(((StepRow *)g_ptr_array_index(detail->steps, i))->outcome, "SKIP");
  StepRow *last = g_ptr_array_index(detail->steps, detail->steps->len - 1);
  CU_ASSERT_STRING_EQUAL(last->name, "safe-state");
  /* Events: run started first, run ended last. */
  CU_ASSERT_STRING_EQUAL(g_ptr_array_index(recorder.kinds, 0), "0::RUNNING");
  g_autofree char *last_event = g_strdup_printf("%d::ERROR", EVENT_RUN_ENDED);
  CU_ASSERT_STRING_EQUAL(g_ptr_array_index(recorder.kinds, recorder.kinds->len - 1),
                         last_event);
  run_result_clear(&result);
  g_ptr_array_unref(recorder.kinds);
}

/* The shipped sequence flashes firmware: with nothing released for the model the run ends
 * ERROR at firmware-release, naming what the firmware team must do, and the fixture (here
 * one that does not even exist, with a heater load for the order and every role the sequence
 * names) is never connected. */
static void test_run_without_release(void)
{
  g_autofree char *fixture = write_temp("nowhere.conf",
      "[fixture]\nid = NOWHERE-01\n"
      "[cells]\ndriver = ngi-n83624\nresource = TCPIP::127.0.0.1::1::SOCKET\n"
      "[switch]\ndriver = keysight-34980a\nresource = TCPIP::127.0.0.1::1::SOCKET\n"
      "heater_load_1 = 104:12.07\n"
      "[battery]\ndriver = itech-it6000c\nresource = TCPIP::127.0.0.1::1::SOCKET\n"
      "[charger]\ndriver = rigol-dp800\nresource = TCPIP::127.0.0.1::1::SOCKET\n"
      "[load]\ndriver = keysight-n3300a\nresource = TCPIP::127.0.0.1::1::SOCKET\n"
      "[dmm]\ndriver = keysight-34461a\nresource = TCPIP::127.0.0.1::1::SOCKET\n"
      "[short]\ndriver = jk-eol-scm\nresource = TCPIP::127.0.0.1::1::SOCKET\n"
      "[digitizer]\ndriver = keysight-infiniivision\nresource = TCPIP::127.0.0.1::1::SOCKET\n"
      "[dut]\ndriver = jk-modbus\nresource = ASRL/nonexistent/tty::INSTR\n");
  g_autofree char *db = g_build_filename(tmpdir, "release.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(db, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(store);
  g_autoptr(Engine) engine = engine_new(catalog, store);
  RunRequest request = {.fixture_path = fixture, .serial = "B2A8S20P-2648-00001",
                        .trusted_keys_dir = tmpdir};
  RunResult result;
  CU_ASSERT_TRUE_FATAL(engine_run(engine, &request, &result, &error));
  CU_ASSERT_EQUAL(result.outcome, OUTCOME_ERROR);
  CU_ASSERT_STRING_EQUAL(result.first_failure, "firmware-release");
  CU_ASSERT_PTR_NOT_NULL(strstr(result.message, "no firmware is released for model B2A8S20P"));
  g_autoptr(RunDetail) detail = store_get_run(store, result.run_id, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(detail);
  StepRow *connect = g_ptr_array_index(detail->steps, 1);
  CU_ASSERT_STRING_EQUAL(connect->name, "connect-fixture");
  CU_ASSERT_STRING_EQUAL(connect->outcome, "SKIP");
  run_result_clear(&result);
}

/* A bad serial never starts a run: nothing stored, nothing touched. */
static void test_run_refuses_bad_serial(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Engine) engine = engine_new(catalog, NULL);
  RunRequest request = {.fixture_path = "/nonexistent.conf", .serial = "NOPE"};
  RunResult result;
  CU_ASSERT_FALSE(engine_run(engine, &request, &result, &error));
  CU_ASSERT_TRUE(g_error_matches(error, STATION_ERROR, STATION_ERROR_SERIAL));
  CU_ASSERT_EQUAL(result.run_id, 0);
}

static void remove_tree(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_remove(path);
  }
  g_rmdir(dir);
}

int main(void)
{
  catalog = catalog_load_default(NULL);
  if (!catalog) {
    fprintf(stderr, "cannot load the model catalog\n");
    return 1;
  }
  tmpdir = g_dir_make_tmp("station-engine-XXXXXX", NULL);
  CU_initialize_registry();
  CU_pSuite suite = CU_add_suite("engine", NULL, NULL);
  CU_add_test(suite, "serial numbers that are good", test_serial_good);
  CU_add_test(suite, "serial numbers that are refused", test_serial_bad);
  CU_add_test(suite, "measurement limits", test_measurement_limits);
  CU_add_test(suite, "sequence loading and sandbox", test_lua_load);
  CU_add_test(suite, "run with an unreachable fixture", test_run_unreachable_fixture);
  CU_add_test(suite, "run refuses a bad serial", test_run_refuses_bad_serial);
  CU_add_test(suite, "run without released firmware", test_run_without_release);
  int status = cunit_run_all();
  catalog_free(catalog);
  remove_tree(tmpdir);
  g_free(tmpdir);
  return status;
}
