/* The shift start's rule: the production shift of a moment (UTC, a night on the day it
 * began), what a golden board's run must show for the check to pass (a bad board must FAIL,
 * a good one must PASS within 10 % of each band of its reference values), when a production
 * run may start on a fixture, and the golden boards and checks as db/ stores them. */
#include "station/golden_rule.h"
#include "station/station_error.h"
#include "tests/cunit_main.h"
#include "tests/scratch_folder.h"
#include <math.h>
#include <sqlite3.h>
#include <string.h>

static Shift shift_at(const char *iso)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_iso8601(iso, NULL);
  g_assert(time);
  return shift_of(time);
}

static void test_shift_of(void)
{
  Shift s = shift_at("2026-12-07T06:00:00Z");
  CU_ASSERT_EQUAL(s.number, 1);
  CU_ASSERT_STRING_EQUAL(s.day, "2026-12-07");
  CU_ASSERT_EQUAL(shift_at("2026-12-07T13:59:59Z").number, 1);
  CU_ASSERT_EQUAL(shift_at("2026-12-07T14:00:00Z").number, 2);
  CU_ASSERT_EQUAL(shift_at("2026-12-07T21:59:59Z").number, 2);
  s = shift_at("2026-12-07T22:00:00Z");
  CU_ASSERT_EQUAL(s.number, 3);
  CU_ASSERT_STRING_EQUAL(s.day, "2026-12-07");
  /* The night goes on past midnight on the day it began. */
  s = shift_at("2026-12-08T05:59:59Z");
  CU_ASSERT_EQUAL(s.number, 3);
  CU_ASSERT_STRING_EQUAL(s.day, "2026-12-07");
  /* Judged in UTC whatever the time zone the time is in: 07:30+02:00 is 05:30 UTC. */
  s = shift_at("2026-12-08T07:30:00+02:00");
  CU_ASSERT_EQUAL(s.number, 3);
  CU_ASSERT_STRING_EQUAL(s.day, "2026-12-07");
  g_autofree char *text = shift_describe(&s);
  CU_ASSERT_STRING_EQUAL(text, "shift 3 of 2026-12-07");
}

/* A run of one step with measurements (name, value, low, high; NAN: no limit; unit). */
typedef struct {
  const char *name;
  double value, low, high;
  const char *unit;             /* NULL: mV */
} Value;

static RunDetail *run_of(gint64 id, const Value *values, guint n)
{
  RunDetail *run = g_new0(RunDetail, 1);
  run->run.id = id;
  run->steps = g_ptr_array_new();
  StepRow *step = g_new0(StepRow, 1);
  step->name = "cell-voltage-accuracy";
  step->measurements = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < n; i++) {
    MeasurementRow *m = g_new0(MeasurementRow, 1);
    m->name = (char *)values[i].name;
    m->unit = (char *)(values[i].unit ? values[i].unit : "mV");
    m->value = values[i].value;
    m->low = values[i].low;
    m->high = values[i].high;
    m->comparison = isnan(values[i].low) ? "LE" : "GELE";
    g_ptr_array_add(step->measurements, m);
  }
  g_ptr_array_add(run->steps, step);
  return run;
}

static void run_free(RunDetail *run)
{
  StepRow *step = g_ptr_array_index(run->steps, 0);
  g_ptr_array_unref(step->measurements);
  g_free(step);
  g_ptr_array_unref(run->steps);
  g_free(run);
}

static void test_known_bad_board(void)
{
  g_autofree char *caught = NULL, *missed = NULL, *error = NULL;
  CU_ASSERT_TRUE(golden_judge("fail", OUTCOME_FAIL, "cell-voltage-accuracy", "cell 3 off",
                              NULL, NULL, &caught));
  CU_ASSERT_PTR_NOT_NULL(strstr(caught, "failed as expected, at cell-voltage-accuracy"));
  /* A bad board that passes: the fixture no longer catches the defect. */
  CU_ASSERT_FALSE(golden_judge("fail", OUTCOME_PASS, NULL, NULL, NULL, NULL, &missed));
  CU_ASSERT_PTR_NOT_NULL(strstr(missed, "no longer catches its defect"));
  /* An ERROR is the station not testing, not a catch. */
  CU_ASSERT_FALSE(golden_judge("fail", OUTCOME_ERROR, NULL, "fixture.load timed out", NULL,
                               NULL, &error));
  CU_ASSERT_PTR_NOT_NULL(strstr(error, "ended ERROR"));
  CU_ASSERT_PTR_NOT_NULL(strstr(error, "fixture.load timed out"));
}

static void test_known_good_board(void)
{
  /* Band 8.8 mV wide: the tolerance is 2.2 mV; a one-sided limit and a time (found by
   * polling) are not compared. */
  const Value reference[] = {{"cell_01_error", 0.50, -4.4, 4.4, NULL},
                             {"cell_02_error", -1.00, -4.4, 4.4, NULL},
                             {"input_leakage", 0.10, NAN, 1.5, "uA"},
                             {"cell_01_ovp_delay", 0.13, 0, 0.3, "s"}};
  const Value same[] = {{"cell_01_error", 2.60, -4.4, 4.4, NULL},
                        {"cell_02_error", -1.20, -4.4, 4.4, NULL},
                        {"input_leakage", 1.40, NAN, 1.5, "uA"},
                        {"cell_01_ovp_delay", 0.23, 0, 0.3, "s"}};
  const Value drifted[] = {{"cell_01_error", 2.80, -4.4, 4.4, NULL},
                           {"cell_02_error", -1.20, -4.4, 4.4, NULL},
                           {"input_leakage", 0.10, NAN, 1.5, "uA"},
                           {"cell_01_ovp_delay", 0.13, 0, 0.3, "s"}};
  RunDetail *ref = run_of(7, reference, 4), *ok = run_of(9, same, 4),
            *moved = run_of(10, drifted, 4);
  g_autofree char *first = NULL, *within = NULL, *drift = NULL, *failed = NULL;
  /* The first check of a board without reference values judges its verdict alone. */
  CU_ASSERT_TRUE(golden_judge("pass", OUTCOME_PASS, NULL, NULL, ok, NULL, &first));
  CU_ASSERT_PTR_NOT_NULL(strstr(first, "this run gives them"));
  CU_ASSERT_TRUE(golden_judge("pass", OUTCOME_PASS, NULL, NULL, ok, ref, &within));
  CU_ASSERT_PTR_NOT_NULL(strstr(within, "all 2 measurements within 25 %"));
  /* 2.3 mV from the reference is more than a quarter of the 8.8 mV band, though in it. */
  CU_ASSERT_FALSE(golden_judge("pass", OUTCOME_PASS, NULL, NULL, moved, ref, &drift));
  CU_ASSERT_PTR_NOT_NULL(strstr(drift, "1 of 2 measurements moved from the reference run 7"));
  CU_ASSERT_PTR_NOT_NULL(strstr(drift, "cell_01_error 2.8 mV where the reference read 0.5"));
  CU_ASSERT_FALSE(golden_judge("pass", OUTCOME_FAIL, "identify", "hw 19", ok, ref, &failed));
  CU_ASSERT_PTR_NOT_NULL(strstr(failed, "known good board failed at identify"));
  run_free(ref);
  run_free(ok);
  run_free(moved);
}

static GoldenBoardRow *board(const char *serial, const char *expect)
{
  GoldenBoardRow *row = g_new(GoldenBoardRow, 1);
  *row = (GoldenBoardRow){.serial = g_strdup(serial), .expect = g_strdup(expect)};
  return row;
}

static GoldenCheckRow *check(const char *serial, const char *outcome, const char *reason)
{
  GoldenCheckRow *row = g_new0(GoldenCheckRow, 1);
  row->serial = g_strdup(serial);
  row->outcome = g_strdup(outcome);
  row->reason = g_strdup(reason);
  return row;
}

#define GOOD "B2A24S15P-2648-90001"
#define BAD "B2A24S15P-2648-90002"

static void test_gate(void)
{
  Shift shift = shift_at("2026-12-07T15:00:00Z");
  g_autoptr(GPtrArray) none = g_ptr_array_new();
  g_autoptr(GPtrArray) boards = g_ptr_array_new_with_free_func(
      (GDestroyNotify)golden_board_row_free);
  g_ptr_array_add(boards, board(GOOD, "pass"));
  g_ptr_array_add(boards, board(BAD, "fail"));
  g_autoptr(GPtrArray) checks = g_ptr_array_new_with_free_func(
      (GDestroyNotify)golden_check_row_free);
  g_autoptr(GError) error = NULL;

  /* No golden board: allowed unless the station requires the check everywhere. */
  CU_ASSERT_TRUE(golden_gate(GOLDEN_POLICY_REGISTERED, "FX-1", "fx1.conf", &shift, none, NULL,
                             &error));
  CU_ASSERT_FALSE(golden_gate(GOLDEN_POLICY_REQUIRED, "FX-1", "fx1.conf", &shift, none, NULL,
                              &error));
  CU_ASSERT_TRUE(g_error_matches(error, STATION_ERROR, STATION_ERROR_SHIFT_START));
  CU_ASSERT_TRUE(error && strstr(error->message, "station golden add SERIAL --expect "
                                                         "pass --fixture FX-1"));
  g_clear_error(&error);

  /* Missing: every board's command is named, with the fixture and the shift. */
  CU_ASSERT_FALSE(golden_gate(GOLDEN_POLICY_REGISTERED, "FX-1", "fx1.conf", &shift, boards,
                              checks, &error));
  CU_ASSERT_TRUE(error && strstr(error->message, "fixture FX-1 has no golden check for "
                                                         "shift 2 of 2026-12-07"));
  CU_ASSERT_TRUE(error && strstr(error->message, "station golden check --serial " GOOD
                                         " --fixture fx1.conf and station golden check "
                                         "--serial " BAD));
  g_clear_error(&error);
  CU_ASSERT_TRUE(golden_gate(GOLDEN_POLICY_OFF, "FX-1", "fx1.conf", &shift, boards, checks,
                             &error));

  /* One checked: the other is still missing. */
  g_ptr_array_add(checks, check(GOOD, "PASS", "passed"));
  CU_ASSERT_FALSE(golden_gate(GOLDEN_POLICY_REGISTERED, "FX-1", "fx1.conf", &shift, boards,
                              checks, &error));
  CU_ASSERT_TRUE(error && !strstr(error->message, "--serial " GOOD) &&
                 strstr(error->message, "--serial " BAD));
  g_clear_error(&error);

  /* Both passed: allowed. */
  g_ptr_array_add(checks, check(BAD, "PASS", "failed as expected"));
  CU_ASSERT_TRUE(golden_gate(GOLDEN_POLICY_REQUIRED, "FX-1", "fx1.conf", &shift, boards, checks,
                             &error));
  CU_ASSERT_PTR_NULL(error);

  /* A failed check refuses with its reason and the command to check again. */
  g_ptr_array_remove_index(checks, 0);
  g_ptr_array_add(checks, check(GOOD, "FAIL", "cell_03 moved"));
  CU_ASSERT_FALSE(golden_gate(GOLDEN_POLICY_REGISTERED, "FX-1", "fx1.conf", &shift, boards,
                              checks, &error));
  CU_ASSERT_TRUE(error && strstr(error->message, "the golden check of fixture FX-1 "
                                         "failed in shift 2 of 2026-12-07 (" GOOD
                                         ": cell_03 moved)"));
  CU_ASSERT_TRUE(error && strstr(error->message, "run station golden check --serial "
                                         GOOD " --fixture fx1.conf"));
}

static void test_policy_names(void)
{
  static const struct {
    const char *name;
    GoldenPolicy policy;
  } NAMES[] = {{"registered", GOLDEN_POLICY_REGISTERED}, {"required", GOLDEN_POLICY_REQUIRED},
               {"off", GOLDEN_POLICY_OFF}};
  GoldenPolicy policy = GOLDEN_POLICY_OFF;
  for (guint i = 0; i < G_N_ELEMENTS(NAMES); i++) {
    CU_ASSERT_TRUE(golden_policy_from_string(NAMES[i].name, &policy));
    CU_ASSERT_EQUAL(policy, NAMES[i].policy);
  }
  CU_ASSERT_FALSE(golden_policy_from_string("yes", &policy));
}

/* The store: boards per fixture, removal audited, checks latest per board and shift, and a
 * good board's first passing check as its reference. */
static void test_store(void)
{
  g_autofree char *folder = scratch_folder_new("golden");
  g_autofree char *path = g_build_filename(folder, "results.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(path, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(store);
  GoldenBoardRow good = {.serial = GOOD, .expect = "pass", .fixture_id = "FX-1"};
  GoldenBoardRow bad = {.serial = BAD, .expect = "fail"};
  CU_ASSERT_TRUE(store_golden_put(store, "erin", &good, &error));
  CU_ASSERT_TRUE(store_golden_put(store, "erin", &bad, &error));
  g_autoptr(GPtrArray) of_fx1 = store_golden_list(store, "FX-1", &error);
  g_autoptr(GPtrArray) of_fx2 = store_golden_list(store, "FX-2", &error);
  CU_ASSERT_EQUAL(of_fx1->len, 2);
  CU_ASSERT_EQUAL(of_fx2->len, 1);           /* the bad board is every fixture's */
  /* A reference run must be a passing run of the board. */
  GoldenBoardRow wrong = {.serial = GOOD, .expect = "pass", .reference_run_id = 99};
  CU_ASSERT_FALSE(store_golden_put(store, "erin", &wrong, &error));
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);

  RunStart start = {.serial = GOOD, .model = "B2A24S15P", .fixture_id = "FX-1",
                    .sequence_name = "eol", .sequence_sha256 = "00"};
  gint64 run = store_run_begin(store, &start, &error);
  CU_ASSERT_TRUE_FATAL(run > 0);
  CU_ASSERT_TRUE(store_run_end(store, run, "PASS", NULL, NULL, &error));
  GoldenCheckRow first = {.fixture_id = "FX-1", .day = "2026-12-07", .shift = 2,
                          .serial = GOOD, .expect = "pass", .run_id = run, .outcome = "FAIL",
                          .reason = "drifted"};
  CU_ASSERT_TRUE(store_golden_check_add(store, &first, &error));
  g_autoptr(GoldenBoardRow) unreferenced = store_golden_find(store, GOOD, &error);
  CU_ASSERT_EQUAL(unreferenced->reference_run_id, 0);   /* a failed check gives none */
  GoldenCheckRow second = first;
  second.outcome = "PASS";
  second.reason = "passed";
  CU_ASSERT_TRUE(store_golden_check_add(store, &second, &error));
  g_autoptr(GoldenBoardRow) referenced = store_golden_find(store, GOOD, &error);
  CU_ASSERT_EQUAL(referenced->reference_run_id, run);
  GoldenCheckRow other_shift = second;
  other_shift.shift = 3;
  other_shift.outcome = "FAIL";
  CU_ASSERT_TRUE(store_golden_check_add(store, &other_shift, &error));
  g_autoptr(GPtrArray) latest = store_golden_latest_checks(store, "FX-1", "2026-12-07", 2,
                                                           &error);
  CU_ASSERT_EQUAL_FATAL(latest->len, 1);
  CU_ASSERT_STRING_EQUAL(((GoldenCheckRow *)latest->pdata[0])->outcome, "PASS");

  CU_ASSERT_TRUE(store_golden_remove(store, "erin", GOOD, &error));
  CU_ASSERT_PTR_NULL(store_golden_find(store, GOOD, NULL));
  CU_ASSERT_FALSE(store_golden_remove(store, "erin", GOOD, &error));
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));
  g_clear_pointer(&store, store_close);
  sqlite3 *db = NULL;
  CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *statement = NULL;
  sqlite3_prepare_v2(db, "SELECT group_concat(action, ' ') FROM (SELECT action FROM audit_log "
                     "WHERE subject = '" GOOD "' ORDER BY id)", -1, &statement, NULL);
  CU_ASSERT_EQUAL(sqlite3_step(statement), SQLITE_ROW);
  CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(statement, 0),
                         "golden.add golden.remove");
  sqlite3_finalize(statement);
  sqlite3_close(db);
  scratch_folder_remove(folder);
}

int main(void)
{
  CU_initialize_registry();
  CU_pSuite suite = CU_add_suite("golden_rule", NULL, NULL);
  CU_add_test(suite, "the production shift of a moment", test_shift_of);
  CU_add_test(suite, "a known bad board must fail", test_known_bad_board);
  CU_add_test(suite, "a known good board against its reference", test_known_good_board);
  CU_add_test(suite, "production runs wait for the shift's checks", test_gate);
  CU_add_test(suite, "the policy's names", test_policy_names);
  CU_add_test(suite, "golden boards and checks in the store", test_store);
  return cunit_run_all();
}
