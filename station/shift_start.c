/* The shift start in a run (shift_start.h). */
#include "station/shift_start.h"
#include "station/station_error.h"

/* The golden board of this serial on the run's fixture, or NULL (also on a lookup failure,
 * in error). */
static GoldenBoardRow *golden_board_of(Run *run, Store *store, GError **error)
{
  GError *local = NULL;
  GoldenBoardRow *board = store_golden_find(store, run->serial.text, &local);
  if (!board) {
    if (!g_error_matches(local, STORE_ERROR, STORE_ERROR_NOT_FOUND))
      g_propagate_error(error, local);
    else
      g_error_free(local);
    return NULL;
  }
  if (board->fixture_id && g_strcmp0(board->fixture_id, run->fixture->id) != 0)
    g_clear_pointer(&board, golden_board_row_free);
  return board;
}

gboolean shift_start_check(Run *run, Store *store, GError **error)
{
  const RunRequest *request = run->request;
  if (!store || request->purpose != RUN_PURPOSE_EOL)
    return TRUE;
  run->shift = shift_now();
  GError *local = NULL;
  run->golden = golden_board_of(run, store, &local);
  if (local) {
    g_propagate_error(error, local);
    return FALSE;
  }
  if (run->golden)
    return TRUE;
  if (request->golden_only) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                "%s is not a golden board of fixture %s (station golden lists them; an "
                "engineer registers one with station golden add %s --expect pass|fail)",
                run->serial.text, run->fixture->id, run->serial.text);
    return FALSE;
  }
  return golden_gate_from_store(store, request->golden_policy, run->fixture->id,
                                run->fixture->path, &run->shift, NULL, error);
}

void shift_start_record(Run *run, Store *store, RunResult *result)
{
  if (!store || !run->golden || result->outcome == OUTCOME_ABORTED || !result->run_id)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(RunDetail) detail = store_get_run(store, result->run_id, &error);
  g_autoptr(RunDetail) reference = detail && run->golden->reference_run_id
      ? store_get_run(store, run->golden->reference_run_id, &error) : NULL;
  g_autofree char *reason = NULL;
  gboolean passed = FALSE;
  if (!detail || (run->golden->reference_run_id && !reference))
    reason = g_strdup_printf("its run or reference run could not be read (%s)",
                             error->message);
  else
    passed = golden_judge(run->golden->expect, result->outcome, result->first_failure,
                          result->message, detail, reference, &reason);
  GoldenCheckRow check = {
    .fixture_id = run->fixture->id, .day = run->shift.day, .shift = run->shift.number,
    .serial = run->serial.text, .expect = run->golden->expect, .run_id = result->run_id,
    .outcome = passed ? "PASS" : "FAIL", .reason = reason, .checked_by = run->operator_name,
  };
  g_autofree char *when = shift_describe(&run->shift);
  g_clear_error(&error);
  result->golden_checked = TRUE;
  result->golden_passed = passed;
  if (!store_golden_check_add(store, &check, &error)) {
    result->golden_passed = FALSE;
    result->golden_message = g_strdup_printf("Golden check of fixture %s, %s: not stored (%s)",
                                             run->fixture->id, when, error->message);
    return;
  }
  result->golden_message = g_strdup_printf("Golden check of fixture %s, %s: %s, %s (board %s "
                                           "expected to %s)", run->fixture->id, when,
                                           passed ? "PASS" : "FAIL", reason, run->serial.text,
                                           run->golden->expect);
}
