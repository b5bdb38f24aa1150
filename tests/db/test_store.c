/* Tests of the result store: a run with its steps and measurements comes back as written
 * (NAN limits included), a run interrupted by a stopped station becomes ABORTED on the next
 * open but a live one does not, databases the station cannot use are refused with a clear
 * error, listing order and filters, the write-side errors, and the file as the sqlite3 shell
 * sees it. Each test works in its own folder under a temporary directory. */
#include "db/store.h"
#include "db/schema.h"
#include "tests/cunit_main.h"

#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static char *scratch_dir;       /* temporary folder of this test program */

/* Asserts two texts are equal (either may be NULL), printing both when they differ. */
#define ASSERT_TEXT(got, want) assert_text((got), (want), #got, __LINE__)
static void assert_text(const char *got, const char *want, const char *expression, int line)
{
  gboolean same = g_strcmp0(got, want) == 0;
  if (!same)
    printf("\n  line %d: %s is '%s', expected '%s'", line, expression, got ? got : "(null)",
           want ? want : "(null)");
  CU_assertImplementation(same, line, "ASSERT_TEXT", __FILE__, "", CU_FALSE);
}

/* Returns a database path in a new sub-folder of the scratch folder (freeing); the sub-folder
 * itself is not created, so store_open() must create it. */
static char *new_db_path(const char *test_name)
{
  return g_build_filename(scratch_dir, test_name, "nested", "results.db", NULL);
}

/* Opens a store that must open; fails the test (fatally) otherwise. */
static Store *open_ok(const char *path)
{
  g_autoptr(GError) error = NULL;
  Store *store = store_open(path, &error);
  if (error != NULL)
    printf("\n  store_open: %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(store);
  return store;
}

/* A run start record for a board with the given serial. */
static RunStart run_start(const char *serial)
{
  return (RunStart){
    .serial = serial,
    .model = "B2A24S15P",
    .station_id = "EOL-1",
    .fixture_id = "FX-07",
    .slot = 2,
    .operator_name = "alice",
    .sequence_name = "eol",
    .sequence_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    .limits_sha256 = NULL,
    .firmware_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    .app_version = "0.1.0",
  };
}

/* Begins a run that must begin; returns its id. */
static gint64 begin_ok(Store *store, const char *serial)
{
  RunStart start = run_start(serial);
  g_autoptr(GError) error = NULL;
  gint64 id = store_run_begin(store, &start, &error);
  CU_ASSERT_PTR_NULL(error);
  CU_ASSERT_TRUE_FATAL(id > 0);
  return id;
}

/* Runs one SQL statement on the file with the SQLite library directly (not the store). */
static void sqlite_exec_on_file(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
  char *message = NULL;
  int rc = sqlite3_exec(db, sql, NULL, NULL, &message);
  if (rc != SQLITE_OK)
    printf("\n  %s: %s\n", sql, message);
  CU_ASSERT_EQUAL(rc, SQLITE_OK);
  sqlite3_free(message);
  sqlite3_close(db);
}

/* Reads one integer with the SQLite library directly. */
static int sqlite_int_on_file(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;
  int value = -1;
  CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW)
    value = sqlite3_column_int(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

/* TRUE when text is ISO 8601 UTC with milliseconds, e.g. 2026-11-25T01:02:03.456Z. */
static gboolean is_utc_timestamp(const char *text)
{
  return text != NULL &&
         g_regex_match_simple("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$", text, 0, 0);
}

/* Compares a stored measurement with what was written. */
static void check_measurement(const MeasurementRow *got, const MeasurementRecord *want)
{
  ASSERT_TEXT(got->name, want->name);
  ASSERT_TEXT(got->unit, want->unit);
  ASSERT_TEXT(got->outcome, want->outcome);
  ASSERT_TEXT(got->comparison, want->comparison);
  CU_ASSERT_TRUE(g_strcmp0(got->text, want->text) == 0);
  CU_ASSERT_TRUE(g_strcmp0(got->expected, want->expected) == 0);
  const double got_numbers[] = { got->value, got->low, got->high };
  const double want_numbers[] = { want->value, want->low, want->high };
  for (int i = 0; i < 3; i++) {
    if (isnan(want_numbers[i])) {
      CU_ASSERT_TRUE(isnan(got_numbers[i]));
    } else {
      CU_ASSERT_DOUBLE_EQUAL(got_numbers[i], want_numbers[i], 0.0);
    }
  }
}

static const MeasurementRecord SETUP_MEASUREMENTS[] = {
  { "power_on_current", "mA", 12.5, NULL, NAN, 30.0, "LE", NULL, "PASS" },
};
static const MeasurementRecord MAIN_MEASUREMENTS[] = {
  { "cell_1_voltage", "mV", 3301.25, NULL, 3295.0, 3305.0, "GELE", NULL, "PASS" },
  { "cell_2_voltage", "mV", 3311.0, NULL, 3295.0, 3305.0, "GELE", NULL, "FAIL" },
  { "software_version", "", NAN, "V11.XW", NAN, NAN, "EQ", "V11.XW", "PASS" },
  { "ocp_delay", "s", 2.04, NULL, 1.9, NAN, "GE", NULL, "PASS" },
  { "note", "", NAN, "fixture warm", NAN, NAN, "LOG", NULL, "PASS" },
};

/* Writes the run of the round-trip test; returns its id. */
static gint64 write_sample_run(Store *store)
{
  g_autoptr(GError) error = NULL;
  gint64 run_id = begin_ok(store, "JK2411250001");

  gint64 setup = store_step_begin(store, run_id, 0, "setup", "power_on", &error);
  CU_ASSERT_TRUE_FATAL(setup > 0);
  CU_ASSERT_TRUE(store_measurement_add(store, setup, &SETUP_MEASUREMENTS[0], &error));
  CU_ASSERT_TRUE(store_step_end(store, setup, "PASS", NULL, &error));

  gint64 main_step = store_step_begin(store, run_id, 1, "main", "voltage_calibration", &error);
  CU_ASSERT_TRUE_FATAL(main_step > 0);
  for (guint i = 0; i < G_N_ELEMENTS(MAIN_MEASUREMENTS); i++)
    CU_ASSERT_TRUE(store_measurement_add(store, main_step, &MAIN_MEASUREMENTS[i], &error));
  CU_ASSERT_TRUE(store_step_end(store, main_step, "FAIL", "cell 2 reads 6 mV high", &error));

  gint64 teardown = store_step_begin(store, run_id, 2, "teardown", "safe_state", &error);
  CU_ASSERT_TRUE_FATAL(teardown > 0);
  CU_ASSERT_TRUE(store_step_end(store, teardown, "PASS", NULL, &error));

  CU_ASSERT_TRUE(store_run_end(store, run_id, "FAIL", "voltage_calibration",
                               "cell 2 reads 6 mV high", &error));
  CU_ASSERT_PTR_NULL(error);
  return run_id;
}

/* Checks the sample run as read back. */
static void check_sample_run(Store *store, gint64 run_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RunDetail) detail = store_get_run(store, run_id, &error);
  CU_ASSERT_PTR_NULL(error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(detail);

  const RunRow *run = &detail->run;
  RunStart start = run_start("JK2411250001");
  CU_ASSERT_EQUAL(run->id, run_id);
  ASSERT_TEXT(run->serial, start.serial);
  ASSERT_TEXT(run->model, start.model);
  ASSERT_TEXT(run->station_id, start.station_id);
  ASSERT_TEXT(run->fixture_id, start.fixture_id);
  CU_ASSERT_EQUAL(run->slot, start.slot);
  ASSERT_TEXT(run->operator_name, start.operator_name);
  ASSERT_TEXT(run->sequence_name, start.sequence_name);
  ASSERT_TEXT(run->sequence_sha256, start.sequence_sha256);
  CU_ASSERT_PTR_NULL(run->limits_sha256);
  ASSERT_TEXT(run->firmware_sha256, start.firmware_sha256);
  ASSERT_TEXT(run->app_version, start.app_version);
  ASSERT_TEXT(run->outcome, "FAIL");
  ASSERT_TEXT(run->first_failure, "voltage_calibration");
  ASSERT_TEXT(run->message, "cell 2 reads 6 mV high");
  CU_ASSERT_TRUE(is_utc_timestamp(run->started_at));
  CU_ASSERT_TRUE(is_utc_timestamp(run->ended_at));
  CU_ASSERT_TRUE(g_strcmp0(run->started_at, run->ended_at) <= 0);
  CU_ASSERT_TRUE(isfinite(run->duration_s) && run->duration_s >= 0.0 && run->duration_s < 60.0);

  CU_ASSERT_EQUAL_FATAL(detail->steps->len, 3);
  static const char *const GROUPS[] = { "setup", "main", "teardown" };
  static const char *const NAMES[] = { "power_on", "voltage_calibration", "safe_state" };
  static const char *const OUTCOMES[] = { "PASS", "FAIL", "PASS" };
  for (guint i = 0; i < 3; i++) {
    const StepRow *step = g_ptr_array_index(detail->steps, i);
    CU_ASSERT_EQUAL(step->index, (int)i);
    ASSERT_TEXT(step->group, GROUPS[i]);
    ASSERT_TEXT(step->name, NAMES[i]);
    ASSERT_TEXT(step->outcome, OUTCOMES[i]);
    CU_ASSERT_TRUE(is_utc_timestamp(step->started_at));
    CU_ASSERT_TRUE(is_utc_timestamp(step->ended_at));
  }
  const StepRow *setup = g_ptr_array_index(detail->steps, 0);
  const StepRow *main_step = g_ptr_array_index(detail->steps, 1);
  const StepRow *teardown = g_ptr_array_index(detail->steps, 2);
  CU_ASSERT_PTR_NULL(setup->message);
  ASSERT_TEXT(main_step->message, "cell 2 reads 6 mV high");
  CU_ASSERT_EQUAL_FATAL(setup->measurements->len, 1);
  check_measurement(g_ptr_array_index(setup->measurements, 0), &SETUP_MEASUREMENTS[0]);
  CU_ASSERT_EQUAL_FATAL(main_step->measurements->len, G_N_ELEMENTS(MAIN_MEASUREMENTS));
  for (guint i = 0; i < G_N_ELEMENTS(MAIN_MEASUREMENTS); i++)
    check_measurement(g_ptr_array_index(main_step->measurements, i), &MAIN_MEASUREMENTS[i]);
  CU_ASSERT_EQUAL(teardown->measurements->len, 0);
}

/* ---- tests ---- */

/* A run with steps and measurements reads back as written, also after reopening. */
static void test_round_trip(void)
{
  g_autofree char *path = new_db_path("round-trip");
  gint64 run_id;
  {
    g_autoptr(Store) store = open_ok(path);
    CU_ASSERT_EQUAL(store_schema_version(store), schema_latest_version());
    run_id = write_sample_run(store);
    check_sample_run(store, run_id);
  }
  g_autoptr(Store) reopened = open_ok(path);
  check_sample_run(reopened, run_id);
}

/* A run left RUNNING by a station that stopped is ABORTED on the next open; its unfinished
 * step is ERROR; a finished run keeps its outcome. */
static void test_running_run_aborted_on_reopen(void)
{
  g_autofree char *path = new_db_path("aborted");
  gint64 finished, interrupted, open_step;
  {
    g_autoptr(Store) store = open_ok(path);
    finished = begin_ok(store, "SN-DONE");
    CU_ASSERT_TRUE(store_run_end(store, finished, "PASS", NULL, NULL, NULL));
    interrupted = begin_ok(store, "SN-CUT");
    open_step = store_step_begin(store, interrupted, 0, "main", "flash", NULL);
    CU_ASSERT_TRUE(open_step > 0);
    /* the station stops here without ending the step or the run */
  }
  g_autoptr(Store) store = open_ok(path);
  g_autoptr(RunDetail) cut = store_get_run(store, interrupted, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
  ASSERT_TEXT(cut->run.outcome, "ABORTED");
  ASSERT_TEXT(cut->run.message, "station stopped during the run");
  CU_ASSERT_TRUE(isnan(cut->run.duration_s));
  CU_ASSERT_EQUAL_FATAL(cut->steps->len, 1);
  const StepRow *step = g_ptr_array_index(cut->steps, 0);
  ASSERT_TEXT(step->outcome, "ERROR");

  g_autoptr(RunDetail) done = store_get_run(store, finished, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(done);
  ASSERT_TEXT(done->run.outcome, "PASS");
  CU_ASSERT_PTR_NULL(done->run.message);

  /* an aborted run cannot be ended afterwards */
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(store_run_end(store, interrupted, "PASS", NULL, NULL, &error));
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
}

/* Opening the database a second time while a run is going (`station runs` during a test)
 * leaves the live run RUNNING, and it ends normally. */
static void test_live_run_not_aborted(void)
{
  g_autofree char *path = new_db_path("live");
  g_autoptr(Store) station = open_ok(path);
  gint64 run_id = begin_ok(station, "SN-LIVE");
  {
    g_autoptr(Store) viewer = open_ok(path);
    g_autoptr(RunDetail) seen = store_get_run(viewer, run_id, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(seen);
    ASSERT_TEXT(seen->run.outcome, "RUNNING");
    CU_ASSERT_TRUE(isnan(seen->run.duration_s));
    CU_ASSERT_PTR_NULL(seen->run.ended_at);
  }
  g_autoptr(GError) error = NULL;
  CU_ASSERT_TRUE(store_run_end(station, run_id, "PASS", NULL, NULL, &error));
  CU_ASSERT_PTR_NULL(error);
  g_autoptr(RunDetail) ended = store_get_run(station, run_id, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ended);
  ASSERT_TEXT(ended->run.outcome, "PASS");
}

/* A station killed during a run while another station has the database open: the next
 * opener marks the dead station's run ABORTED and leaves the live station's run RUNNING. */
static void test_dead_owner_aborted_while_shared(void)
{
  g_autofree char *path = new_db_path("dead-owner");
  g_autoptr(Store) live_station = open_ok(path);
  gint64 live_run = begin_ok(live_station, "SN-LIVE");
  pid_t child = fork();
  CU_ASSERT_TRUE_FATAL(child >= 0);
  if (child == 0) {
    /* the other station: its own connection, a run begun, then killed (no cleanup) */
    Store *killed = store_open(path, NULL);
    RunStart start = run_start("SN-KILLED");
    _exit(killed && store_run_begin(killed, &start, NULL) > 0 ? 0 : 1);
  }
  int status = 0;
  CU_ASSERT_EQUAL(waitpid(child, &status, 0), child);
  CU_ASSERT_TRUE_FATAL(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  g_autoptr(Store) next_start = open_ok(path);
  g_autoptr(GPtrArray) runs = store_list_runs(next_start, 10, NULL, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(runs);
  int seen = 0;
  for (guint i = 0; i < runs->len; i++) {
    const RunRow *row = g_ptr_array_index(runs, i);
    if (g_str_equal(row->serial, "SN-KILLED")) {
      ASSERT_TEXT(row->outcome, "ABORTED");
      seen++;
    } else if (row->id == live_run) {
      ASSERT_TEXT(row->outcome, "RUNNING");
      seen++;
    }
  }
  CU_ASSERT_EQUAL(seen, 2);
  CU_ASSERT_TRUE(store_run_end(live_station, live_run, "PASS", NULL, NULL, NULL));
}

/* A database written by a newer station is refused and left as it is. */
static void test_newer_schema_refused(void)
{
  g_autofree char *path = new_db_path("newer");
  store_close(open_ok(path));
  int newer = schema_latest_version() + 5;
  g_autofree char *pragma = g_strdup_printf("PRAGMA user_version = %d", newer);
  sqlite_exec_on_file(path, pragma);

  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(path, &error);
  CU_ASSERT_PTR_NULL(store);
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, STORE_ERROR, STORE_ERROR_SCHEMA));
  g_autofree char *expected = g_strdup_printf(
      "database schema version %d is newer than this station (%d); update the station", newer,
      schema_latest_version());
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, expected));
  CU_ASSERT_EQUAL(sqlite_int_on_file(path, "PRAGMA user_version"), newer);
}

/* A file that is not a database, or another program's database, is refused clearly and not
 * modified. */
static void test_not_a_database(void)
{
  g_autofree char *folder = g_build_filename(scratch_dir, "not-db", NULL);
  CU_ASSERT_EQUAL_FATAL(g_mkdir_with_parents(folder, 0755), 0);
  g_autofree char *path = g_build_filename(folder, "results.db", NULL);
  GString *text = g_string_new(NULL);
  for (int i = 0; i < 64; i++)
    g_string_append(text, "serial,model,outcome\nJK1,B2A24S15P,PASS\n");
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, text->str, (gssize)text->len, NULL));

  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(path, &error);
  CU_ASSERT_PTR_NULL(store);
  CU_ASSERT_PTR_NOT_NULL_FATAL(error);
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_OPEN) ||
                 g_error_matches(error, STORE_ERROR, STORE_ERROR_SCHEMA));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "is not an SQLite database"));
  g_autofree char *after = NULL;
  gsize after_length = 0;
  CU_ASSERT_TRUE(g_file_get_contents(path, &after, &after_length, NULL));
  CU_ASSERT_EQUAL(after_length, text->len);
  CU_ASSERT_TRUE(after != NULL && memcmp(after, text->str, text->len) == 0);
  g_string_free(text, TRUE);

  g_autofree char *foreign = g_build_filename(folder, "other.db", NULL);
  sqlite_exec_on_file(foreign, "CREATE TABLE runs (lap INTEGER, seconds REAL)");
  g_clear_error(&error);
  CU_ASSERT_PTR_NULL(store_open(foreign, &error));
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, STORE_ERROR, STORE_ERROR_SCHEMA));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "another program"));
  CU_ASSERT_EQUAL(sqlite_int_on_file(foreign, "PRAGMA user_version"), 0);
}

/* Runs list most recent first; a serial filters; a limit keeps the newest. */
static void test_list_order_and_filter(void)
{
  g_autofree char *path = new_db_path("list");
  g_autoptr(Store) store = open_ok(path);
  const char *serials[] = { "SN-A", "SN-B", "SN-A", "SN-C" };
  gint64 ids[G_N_ELEMENTS(serials)];
  for (guint i = 0; i < G_N_ELEMENTS(serials); i++) {
    ids[i] = begin_ok(store, serials[i]);
    CU_ASSERT_TRUE(store_run_end(store, ids[i], i == 1 ? "FAIL" : "PASS", NULL, NULL, NULL));
  }

  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = store_list_runs(store, 0, NULL, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(all);
  CU_ASSERT_EQUAL_FATAL(all->len, 4);
  for (guint i = 0; i < 4; i++) {
    const RunRow *row = g_ptr_array_index(all, i);
    CU_ASSERT_EQUAL(row->id, ids[3 - i]);
    ASSERT_TEXT(row->serial, serials[3 - i]);
    if (i + 1 < 4) {
      const RunRow *older = g_ptr_array_index(all, i + 1);
      CU_ASSERT_TRUE(strcmp(row->started_at, older->started_at) >= 0);
    }
  }

  g_autoptr(GPtrArray) board_a = store_list_runs(store, 0, "SN-A", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(board_a);
  CU_ASSERT_EQUAL_FATAL(board_a->len, 2);
  CU_ASSERT_EQUAL(((RunRow *)g_ptr_array_index(board_a, 0))->id, ids[2]);
  CU_ASSERT_EQUAL(((RunRow *)g_ptr_array_index(board_a, 1))->id, ids[0]);

  g_autoptr(GPtrArray) newest = store_list_runs(store, 1, NULL, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(newest);
  CU_ASSERT_EQUAL_FATAL(newest->len, 1);
  CU_ASSERT_EQUAL(((RunRow *)g_ptr_array_index(newest, 0))->id, ids[3]);

  g_autoptr(GPtrArray) none = store_list_runs(store, 10, "SN-NEVER", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(none);
  CU_ASSERT_EQUAL(none->len, 0);
  CU_ASSERT_PTR_NULL(error);
}

/* Writes that name a run or step that does not exist, or end a run twice, are refused with
 * STORE_ERROR_NOT_FOUND, and so is reading an unknown run. */
static void test_unknown_ids(void)
{
  g_autofree char *path = new_db_path("unknown");
  g_autoptr(Store) store = open_ok(path);
  g_autoptr(GError) error = NULL;

  CU_ASSERT_EQUAL(store_step_begin(store, 999, 0, "main", "flash", &error), 0);
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);

  CU_ASSERT_FALSE(store_step_end(store, 999, "PASS", NULL, &error));
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);

  CU_ASSERT_FALSE(store_measurement_add(store, 999, &MAIN_MEASUREMENTS[0], &error));
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);

  CU_ASSERT_PTR_NULL(store_get_run(store, 999, &error));
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);

  gint64 run_id = begin_ok(store, "SN-TWICE");
  CU_ASSERT_TRUE(store_run_end(store, run_id, "PASS", NULL, NULL, &error));
  CU_ASSERT_FALSE(store_run_end(store, run_id, "FAIL", NULL, NULL, &error));
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
  g_autoptr(RunDetail) detail = store_get_run(store, run_id, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(detail);
  ASSERT_TEXT(detail->run.outcome, "PASS");
}

/* Version 1 has every table of the design, WAL mode, and counts fixture contact cycles. */
static void test_schema_and_fixtures(void)
{
  g_autofree char *path = new_db_path("schema");
  g_autoptr(Store) store = open_ok(path);
  static const char *const TABLES[] = { "runs", "steps", "measurements", "stations",
                                        "fixtures", "users", "calibrations",
                                        "firmware_images", "audit_log" };
  for (guint i = 0; i < G_N_ELEMENTS(TABLES); i++) {
    g_autofree char *sql = g_strdup_printf(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", TABLES[i]);
    if (sqlite_int_on_file(path, sql) != 1)
      printf("\n  table %s is missing", TABLES[i]);
    CU_ASSERT_EQUAL(sqlite_int_on_file(path, sql), 1);
  }
  CU_ASSERT_EQUAL(sqlite_int_on_file(path, "SELECT count(*) FROM sqlite_master WHERE type = "
                                           "'index' AND name IN ('runs_serial', "
                                           "'runs_started_at', 'steps_run_id', "
                                           "'measurements_step_id')"), 4);
  CU_ASSERT_EQUAL(sqlite_int_on_file(path, "PRAGMA user_version"), schema_latest_version());

  g_autoptr(GError) error = NULL;
  CU_ASSERT_EQUAL(store_fixture_contact_cycles(store, "FX-07", &error), -1);
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  for (int i = 0; i < 3; i++)
    CU_ASSERT_TRUE(store_run_end(store, begin_ok(store, "SN-F"), "PASS", NULL, NULL, NULL));
  CU_ASSERT_EQUAL(store_fixture_contact_cycles(store, "FX-07", &error), 3);
  /* the bed of nails replaced: the cycles count from 0 again, audited with before and after */
  gint64 before = 0;
  CU_ASSERT_TRUE(store_fixture_reset_contacts(store, "erin", "FX-07", &before, &error));
  CU_ASSERT_EQUAL(before, 3);
  CU_ASSERT_EQUAL(store_fixture_contact_cycles(store, "FX-07", NULL), 0);
  CU_ASSERT_EQUAL(sqlite_int_on_file(path, "SELECT count(*) FROM audit_log WHERE action = "
                                           "'fixture.reset_contacts' AND actor = 'erin' AND "
                                           "subject = 'FX-07' AND old_value = "
                                           "'contact_cycles=3' AND new_value = "
                                           "'contact_cycles=0'"), 1);
  CU_ASSERT_FALSE(store_fixture_reset_contacts(store, "erin", "FX-99", NULL, &error));
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  gint64 after = begin_ok(store, "SN-F");
  CU_ASSERT_TRUE(store_run_end(store, after, "PASS", NULL, NULL, NULL));
  g_autoptr(GPtrArray) fixtures = store_list_fixtures(store, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(fixtures);
  const FixtureRow *fixture = g_ptr_array_index(fixtures, 0);
  CU_ASSERT_EQUAL(fixture->contact_cycles, 1);
  CU_ASSERT_PTR_NOT_NULL(fixture->contacts_reset_at);
  CU_ASSERT_EQUAL(fixture->last_run_id, after);
  CU_ASSERT_EQUAL(sqlite_int_on_file(path, "SELECT count(*) FROM users WHERE name = "
                                           "'alice' AND role = 'operator'"), 1);
}

/* The sqlite3 shell reads the same data from the file while the station has it open. */
static void test_sqlite3_shell_reads_file(void)
{
  if (!g_file_test("/usr/bin/sqlite3", G_FILE_TEST_IS_EXECUTABLE)) {
    CU_PASS("/usr/bin/sqlite3 is not installed; install the sqlite3 package to run this test");
    return;
  }
  g_autofree char *path = new_db_path("shell");
  g_autoptr(Store) store = open_ok(path);
  gint64 first = write_sample_run(store);
  gint64 second = begin_ok(store, "SN-SHELL");
  CU_ASSERT_TRUE(store_run_end(store, second, "PASS", NULL, NULL, NULL));
  CU_ASSERT_TRUE(first < second);

  struct {
    const char *sql;
    const char *expected;
  } queries[] = {
    { "select outcome from runs order by id", "FAIL\nPASS\n" },
    { "select serial, model, slot from runs order by id",
      "JK2411250001|B2A24S15P|2\nSN-SHELL|B2A24S15P|2\n" },
    { "select count(*) from measurements where low is null", "3\n" },
    { "select value from measurements where name = 'cell_1_voltage'", "3301.25\n" },
    { "select name from steps order by idx", "power_on\nvoltage_calibration\nsafe_state\n" },
    { "pragma journal_mode", "wal\n" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(queries); i++) {
    const char *argv[] = { "/usr/bin/sqlite3", path, queries[i].sql, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    int status = -1;
    g_autoptr(GError) error = NULL;
    CU_ASSERT_TRUE_FATAL(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                      &out, &err, &status, &error));
    CU_ASSERT_TRUE(g_spawn_check_wait_status(status, NULL));
    if (g_strcmp0(out, queries[i].expected) != 0)
      printf("\n  sqlite3 '%s' gave '%s' (stderr '%s'), expected '%s'", queries[i].sql, out,
             err, queries[i].expected);
    ASSERT_TEXT(out, queries[i].expected);
  }
  /* The shell sees the schema version this station wrote. */
  const char *argv[] = { "/usr/bin/sqlite3", path, "pragma user_version", NULL };
  g_autofree char *out = NULL;
  CU_ASSERT_TRUE_FATAL(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                                    &out, NULL, NULL, NULL));
  g_autofree char *expected = g_strdup_printf("%d\n", schema_latest_version());
  ASSERT_TEXT(out, expected);
}

/* Threads sharing one Store (the engine's worker and the UI) write and read without loss. */
#define WRITER_THREADS 4
#define RUNS_PER_THREAD 10

/* Writes RUNS_PER_THREAD complete runs and lists runs; returns the number of failed calls. */
static gpointer write_runs_thread(gpointer store)
{
  guint failures = 0;
  for (int r = 0; r < RUNS_PER_THREAD; r++) {
    RunStart start = run_start("SN-THREAD");
    gint64 run_id = store_run_begin(store, &start, NULL);
    gint64 step_id = store_step_begin(store, run_id, 0, "main", "identify", NULL);
    failures += run_id <= 0 || step_id <= 0;
    failures += !store_measurement_add(store, step_id, &MAIN_MEASUREMENTS[0], NULL);
    failures += !store_step_end(store, step_id, "PASS", NULL, NULL);
    failures += !store_run_end(store, run_id, "PASS", NULL, NULL, NULL);
    g_autoptr(GPtrArray) listed = store_list_runs(store, 5, NULL, NULL);
    failures += listed == NULL;
  }
  return GUINT_TO_POINTER(failures);
}

/* Four writer threads on one Store: every run and measurement is stored. */
static void test_threads_share_store(void)
{
  g_autofree char *path = new_db_path("threads");
  g_autoptr(Store) store = open_ok(path);
  GThread *threads[WRITER_THREADS];
  for (int i = 0; i < WRITER_THREADS; i++)
    threads[i] = g_thread_new("writer", write_runs_thread, store);
  guint failures = 0;
  for (int i = 0; i < WRITER_THREADS; i++)
    failures += GPOINTER_TO_UINT(g_thread_join(threads[i]));
  CU_ASSERT_EQUAL(failures, 0);
  g_autoptr(GPtrArray) all = store_list_runs(store, 0, "SN-THREAD", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(all);
  CU_ASSERT_EQUAL(all->len, WRITER_THREADS * RUNS_PER_THREAD);
  CU_ASSERT_EQUAL(sqlite_int_on_file(path, "SELECT count(*) FROM measurements"),
                  WRITER_THREADS * RUNS_PER_THREAD);
}

/* The default database lies under the user data folder, which is created. */
static void test_default_path(void)
{
  g_autofree char *path = store_default_path();
  g_autofree char *expected =
      g_build_filename(g_get_user_data_dir(), "jk-eol-station", "results.db", NULL);
  ASSERT_TEXT(path, expected);
  g_autofree char *folder = g_path_get_dirname(path);
  CU_ASSERT_TRUE(g_file_test(folder, G_FILE_TEST_IS_DIR));
}

/* ---- registration ---- */

/* Removes a folder and everything below it. */
static void remove_tree(const char *path)
{
  GDir *dir = g_dir_open(path, 0, NULL);
  if (dir != NULL) {
    for (const char *name = g_dir_read_name(dir); name != NULL; name = g_dir_read_name(dir)) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
          !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
        remove_tree(child);
      else
        g_remove(child);
    }
    g_dir_close(dir);
  }
  g_rmdir(path);
}

/* The scratch folder is made in main() (before GLib reads XDG_DATA_HOME). */
static int make_scratch(void)
{
  return scratch_dir == NULL;
}

/* Removes the scratch folder and every database in it. */
static int remove_scratch(void)
{
  remove_tree(scratch_dir);
  gboolean gone = !g_file_test(scratch_dir, G_FILE_TEST_EXISTS);
  g_clear_pointer(&scratch_dir, g_free);
  return gone ? 0 : 1;
}

int main(void)
{
  /* the default path test must not touch the real user data folder; GLib reads
   * XDG_DATA_HOME once, so it is set before anything asks */
  scratch_dir = g_dir_make_tmp("test-store-XXXXXX", NULL);
  if (scratch_dir == NULL)
    return 1;
  g_autofree char *data_home = g_build_filename(scratch_dir, "xdg-data", NULL);
  g_setenv("XDG_DATA_HOME", data_home, TRUE);

  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("result store", make_scratch, remove_scratch);
  CU_add_test(suite, "round trip of a run", test_round_trip);
  CU_add_test(suite, "RUNNING run aborted on reopen", test_running_run_aborted_on_reopen);
  CU_add_test(suite, "live run not aborted by a second open", test_live_run_not_aborted);
  CU_add_test(suite, "dead owner's run aborted while the database is shared",
              test_dead_owner_aborted_while_shared);
  CU_add_test(suite, "newer schema refused", test_newer_schema_refused);
  CU_add_test(suite, "not a database", test_not_a_database);
  CU_add_test(suite, "list order and serial filter", test_list_order_and_filter);
  CU_add_test(suite, "unknown ids", test_unknown_ids);
  CU_add_test(suite, "schema tables and fixture cycles", test_schema_and_fixtures);
  CU_add_test(suite, "sqlite3 shell reads the file", test_sqlite3_shell_reads_file);
  CU_add_test(suite, "threads share a store", test_threads_share_store);
  CU_add_test(suite, "default path", test_default_path);
  return cunit_run_all();
}
