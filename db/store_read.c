/* The result store's read side: lists of runs, one run in full with its steps and
 * measurements read in one snapshot, fixture counters; for `station runs` / `station show`
 * and the UI. */
#include "db/store.h"
#include "db/store_sql.h"

/* ---- reading ---- */

#define RUN_COLUMNS                                                                            \
  "id, serial, model, station_id, fixture_id, slot, operator, sequence_name, sequence_sha256, " \
  "limits_sha256, firmware_sha256, app_version, outcome, first_failure, message, started_at, "  \
  "ended_at, duration_s, order_id, chemistry, cell_count, purpose, heater, profile, uid"

/* Fills row from a statement selecting RUN_COLUMNS. */
static void read_run_row(sqlite3_stmt *statement, RunRow *row)
{
  row->id = sqlite3_column_int64(statement, 0);
  row->serial = sql_column_text(statement, 1);
  row->model = sql_column_text(statement, 2);
  row->station_id = sql_column_text(statement, 3);
  row->fixture_id = sql_column_text(statement, 4);
  row->slot = sqlite3_column_int(statement, 5);
  row->operator_name = sql_column_text(statement, 6);
  row->sequence_name = sql_column_text(statement, 7);
  row->sequence_sha256 = sql_column_text(statement, 8);
  row->limits_sha256 = sql_column_text(statement, 9);
  row->firmware_sha256 = sql_column_text(statement, 10);
  row->app_version = sql_column_text(statement, 11);
  row->outcome = sql_column_text(statement, 12);
  row->first_failure = sql_column_text(statement, 13);
  row->message = sql_column_text(statement, 14);
  row->started_at = sql_column_text(statement, 15);
  row->ended_at = sql_column_text(statement, 16);
  row->duration_s = sql_column_number(statement, 17);
  row->order_id = sql_column_text(statement, 18);
  row->chemistry = sql_column_text(statement, 19);
  row->cell_count = sqlite3_column_int(statement, 20);
  row->purpose = sql_column_text(statement, 21);
  row->heater = sqlite3_column_type(statement, 22) == SQLITE_NULL ? RUN_HEATER_UNKNOWN
                : sqlite3_column_int(statement, 22) ? RUN_HEATER_YES : RUN_HEATER_NO;
  row->profile = sql_column_text(statement, 23);
  row->uid = sql_column_text(statement, 24);
}

/* Frees the strings of a run row, not the row itself. */
static void run_row_clear(RunRow *row)
{
  g_free(row->serial);
  g_free(row->model);
  g_free(row->outcome);
  g_free(row->started_at);
  g_free(row->ended_at);
  g_free(row->first_failure);
  g_free(row->message);
  g_free(row->station_id);
  g_free(row->fixture_id);
  g_free(row->operator_name);
  g_free(row->sequence_name);
  g_free(row->sequence_sha256);
  g_free(row->limits_sha256);
  g_free(row->firmware_sha256);
  g_free(row->app_version);
  g_free(row->order_id);
  g_free(row->chemistry);
  g_free(row->purpose);
  g_free(row->profile);
  g_free(row->uid);
}

/* Frees a run row from store_list_runs(); NULL is ignored. */
void run_row_free(RunRow *row)
{
  if (row == NULL)
    return;
  run_row_clear(row);
  g_free(row);
}

/* Frees one measurement row. */
static void measurement_row_free(MeasurementRow *row)
{
  g_free(row->name);
  g_free(row->unit);
  g_free(row->text);
  g_free(row->comparison);
  g_free(row->expected);
  g_free(row->outcome);
  g_free(row->taken_at);
  g_free(row);
}

/* Frees one step row and its measurements. */
static void step_row_free(StepRow *row)
{
  g_free(row->group);
  g_free(row->name);
  g_free(row->outcome);
  g_free(row->message);
  g_free(row->started_at);
  g_free(row->ended_at);
  g_ptr_array_unref(row->measurements);
  g_free(row);
}

/* Frees a run detail from store_get_run(); NULL is ignored. */
void run_detail_free(RunDetail *detail)
{
  if (detail == NULL)
    return;
  run_row_clear(&detail->run);
  if (detail->steps != NULL)
    g_ptr_array_unref(detail->steps);
  if (detail->calibrations != NULL)
    g_ptr_array_unref(detail->calibrations);
  if (detail->instruments != NULL)
    g_ptr_array_unref(detail->instruments);
  g_free(detail);
}

/* Returns up to limit runs (all when limit <= 0), most recent first, of one serial or of all
 * boards when serial is NULL; a GPtrArray of RunRow* that frees them. */
GPtrArray *store_list_runs(Store *store, int limit, const char *serial, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  const char *doing = "listing runs";
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func((GDestroyNotify)run_row_free);
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store,
                  "SELECT " RUN_COLUMNS " FROM runs WHERE (?1 IS NULL OR serial = ?1) "
                  "ORDER BY started_at DESC, id DESC LIMIT ?2",
                  &statement, doing, error)) {
    sql_bind_text(statement, 1, serial);
    sqlite3_bind_int(statement, 2, limit > 0 ? limit : -1);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      RunRow *row = g_new0(RunRow, 1);
      read_run_row(statement, row);
      g_ptr_array_add(runs, row);
    }
    if (rc == SQLITE_DONE)
      ok = TRUE;
    else
      store_set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok ? g_steal_pointer(&runs) : NULL;
}

/* Reads the run row of detail; FALSE with STORE_ERROR_NOT_FOUND when there is none. */
static gboolean read_run(Store *store, gint64 run_id, RunDetail *detail, const char *doing,
                         GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1", &statement, doing,
                   error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, run_id);
  int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW)
    read_run_row(statement, &detail->run);
  else if (rc == SQLITE_DONE)
    g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                "there is no run %" G_GINT64_FORMAT " in %s (station runs lists them)", run_id,
                store->path);
  else
    store_set_sql_error(store, error, rc, doing);
  sqlite3_finalize(statement);
  return rc == SQLITE_ROW;
}

/* Reads the steps of a run in sequence order, indexing them by id into steps_by_id. */
static gboolean read_steps(Store *store, gint64 run_id, RunDetail *detail,
                           GHashTable *steps_by_id, const char *doing, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store,
                   "SELECT id, idx, grp, name, outcome, message, started_at, ended_at "
                   "FROM steps WHERE run_id = ?1 ORDER BY idx, id", &statement, doing, error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, run_id);
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    StepRow *step = g_new0(StepRow, 1);
    step->id = sqlite3_column_int64(statement, 0);
    step->index = sqlite3_column_int(statement, 1);
    step->group = sql_column_text(statement, 2);
    step->name = sql_column_text(statement, 3);
    step->outcome = sql_column_text(statement, 4);
    step->message = sql_column_text(statement, 5);
    step->started_at = sql_column_text(statement, 6);
    step->ended_at = sql_column_text(statement, 7);
    step->measurements =
        g_ptr_array_new_with_free_func((GDestroyNotify)measurement_row_free);
    g_ptr_array_add(detail->steps, step);
    g_hash_table_insert(steps_by_id, &step->id, step);
  }
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

/* Reads the measurements of a run's steps, in the order they were taken. */
static gboolean read_measurements(Store *store, gint64 run_id, GHashTable *steps_by_id,
                                  const char *doing, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store,
                   "SELECT m.step_id, m.name, m.unit, m.value, m.text, m.low, m.high, "
                   "m.comparison, m.expected, m.outcome, m.taken_at FROM measurements AS m "
                   "JOIN steps AS s ON s.id = m.step_id WHERE s.run_id = ?1 ORDER BY m.id",
                   &statement, doing, error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, run_id);
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    gint64 step_id = sqlite3_column_int64(statement, 0);
    StepRow *step = g_hash_table_lookup(steps_by_id, &step_id);
    if (step == NULL)
      continue;
    MeasurementRow *m = g_new0(MeasurementRow, 1);
    m->name = sql_column_text(statement, 1);
    m->unit = sql_column_text(statement, 2);
    m->value = sql_column_number(statement, 3);
    m->text = sql_column_text(statement, 4);
    m->low = sql_column_number(statement, 5);
    m->high = sql_column_number(statement, 6);
    m->comparison = sql_column_text(statement, 7);
    m->expected = sql_column_text(statement, 8);
    m->outcome = sql_column_text(statement, 9);
    m->taken_at = sql_column_text(statement, 10);
    g_ptr_array_add(step->measurements, m);
  }
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

/* Frees one calibration row. */
static void calibration_row_free(CalibrationRow *row)
{
  g_free(row->kind);
  g_free(row->unit);
  g_free(row->outcome);
  g_free(row->taken_at);
  g_free(row);
}

/* Reads the calibrations of a run in the order they were made. */
static gboolean read_calibrations(Store *store, gint64 run_id, RunDetail *detail,
                                  const char *doing, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store,
                   "SELECT step_id, kind, unit, reference, reading_before, reading_after, "
                   "factor, outcome, taken_at FROM calibrations WHERE run_id = ?1 ORDER BY id",
                   &statement, doing, error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, run_id);
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    CalibrationRow *row = g_new0(CalibrationRow, 1);
    row->step_id = sqlite3_column_int64(statement, 0);
    row->kind = sql_column_text(statement, 1);
    row->unit = sql_column_text(statement, 2);
    row->reference = sql_column_number(statement, 3);
    row->reading_before = sql_column_number(statement, 4);
    row->reading_after = sql_column_number(statement, 5);
    row->factor = sql_column_number(statement, 6);
    row->outcome = sql_column_text(statement, 7);
    row->taken_at = sql_column_text(statement, 8);
    g_ptr_array_add(detail->calibrations, row);
  }
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

void run_instrument_row_free(RunInstrumentRow *row)
{
  if (row == NULL)
    return;
  g_free(row->role);
  g_free(row->driver);
  g_free(row->resource);
  g_free(row->cal_due);
  g_free(row);
}

gboolean store_read_run_instruments(Store *store, gint64 run_id, GPtrArray *into,
                                    const char *doing, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT role, driver, resource, cal_due FROM run_instruments "
                          "WHERE run_id = ?1 ORDER BY role", &statement, doing, error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, run_id);
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    RunInstrumentRow *row = g_new0(RunInstrumentRow, 1);
    row->role = sql_column_text(statement, 0);
    row->driver = sql_column_text(statement, 1);
    row->resource = sql_column_text(statement, 2);
    row->cal_due = sql_column_text(statement, 3);
    g_ptr_array_add(into, row);
  }
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

/* Returns a run with its steps (sequence order) and their measurements (taken order), read
 * in one consistent snapshot; STORE_ERROR_NOT_FOUND when there is no such run. */
RunDetail *store_get_run(Store *store, gint64 run_id, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  g_autofree char *doing = g_strdup_printf("reading run %" G_GINT64_FORMAT, run_id);
  g_autoptr(RunDetail) detail = g_new0(RunDetail, 1);
  detail->steps = g_ptr_array_new_with_free_func((GDestroyNotify)step_row_free);
  detail->calibrations = g_ptr_array_new_with_free_func((GDestroyNotify)calibration_row_free);
  detail->instruments =
      g_ptr_array_new_with_free_func((GDestroyNotify)run_instrument_row_free);
  g_autoptr(GHashTable) steps_by_id = g_hash_table_new(g_int64_hash, g_int64_equal);

  g_mutex_lock(&store->lock);
  gboolean ok = sql_exec(store, "BEGIN", doing, error) &&
                read_run(store, run_id, detail, doing, error) &&
                read_steps(store, run_id, detail, steps_by_id, doing, error) &&
                read_measurements(store, run_id, steps_by_id, doing, error) &&
                read_calibrations(store, run_id, detail, doing, error) &&
                store_read_run_instruments(store, run_id, detail->instruments, doing, error) &&
                sql_exec(store, "COMMIT", doing, error);
  if (!ok)
    sql_rollback(store);
  g_mutex_unlock(&store->lock);
  return ok ? g_steal_pointer(&detail) : NULL;
}

/* Returns the contact cycles counted for a fixture (one per run begun on it), or -1 with
 * STORE_ERROR_NOT_FOUND when no run has used it. */
gint64 store_fixture_contact_cycles(Store *store, const char *fixture_id, GError **error)
{
  g_return_val_if_fail(store != NULL && fixture_id != NULL, -1);
  g_autofree char *doing = g_strdup_printf("reading the contact cycles of fixture '%s'",
                                           fixture_id);
  gint64 cycles = -1;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store, "SELECT contact_cycles FROM fixtures WHERE id = ?1", &statement, doing,
                  error)) {
    sql_bind_text(statement, 1, fixture_id);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW)
      cycles = sqlite3_column_int64(statement, 0);
    else if (rc == SQLITE_DONE)
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                  "no run has used fixture '%s' in %s", fixture_id, store->path);
    else
      store_set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return cycles;
}
