/* The result store's write side: a run, its steps and measurements written as they happen,
 * each call its own transaction (durable when it returns, synchronous=FULL), so a crash
 * loses nothing already written and leaves a RUNNING run for store_open() to mark ABORTED. */
#include "db/store.h"
#include "db/store_sql.h"
#include "db/run_owner.h"
#include <errno.h>
#include <math.h>
#include <sys/statvfs.h>

/* Free space a run needs on the database's disk: its results, and the WAL, which grows to
 * SQLite's automatic checkpoint (1000 pages of 4 KiB) before it is folded into the file. */
#define STORE_RUN_FREE_BYTES (8 * 1024 * 1024)

/* ---- writing a run ---- */

/* Records the station, fixture (one more contact cycle) and operator of a starting run;
 * inside the caller's transaction. */
static gboolean register_run_resources(Store *store, const RunStart *run, const char *now,
                                       GError **error)
{
  static const char *const SQL[] = {
    "INSERT INTO stations (id, first_seen, last_seen) VALUES (?1, ?4, ?4) "
    "ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen",
    "INSERT INTO fixtures (id, station_id, contact_cycles, contact_cycles_limit, first_seen, "
    "last_seen) VALUES (?2, ?1, 1, ?5, ?4, ?4) ON CONFLICT (id) DO UPDATE SET "
    "contact_cycles = contact_cycles + 1, station_id = excluded.station_id, "
    "contact_cycles_limit = excluded.contact_cycles_limit, last_seen = excluded.last_seen",
    "INSERT INTO users (name, role, created_at) VALUES (?3, 'operator', ?4) "
    "ON CONFLICT (name) DO NOTHING",
  };
  const char *const KEY[] = { run->station_id, run->fixture_id, run->operator_name };
  const char *doing = "recording the station, fixture and operator of a run";

  for (guint i = 0; i < G_N_ELEMENTS(SQL); i++) {
    if (KEY[i] == NULL)
      continue;
    sqlite3_stmt *statement = NULL;
    if (!sql_prepare(store, SQL[i], &statement, doing, error))
      return FALSE;
    sql_bind_text(statement, 1, run->station_id);
    sql_bind_text(statement, 2, run->fixture_id);
    sql_bind_text(statement, 3, run->operator_name);
    sql_bind_text(statement, 4, now);
    if (run->contact_cycles_max > 0)
      sqlite3_bind_int64(statement, 5, run->contact_cycles_max);
    if (!sql_step_done(store, statement, doing, error))
      return FALSE;
  }
  return TRUE;
}

/* Makes the run its fixture's latest (station fixtures reads that run's instruments); inside
 * the caller's transaction. */
static gboolean mark_fixture_run(Store *store, const RunStart *run, gint64 run_id,
                                 const char *doing, GError **error)
{
  if (run->fixture_id == NULL)
    return TRUE;
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "UPDATE fixtures SET last_run_id = ?1 WHERE id = ?2", &statement,
                   doing, error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, run_id);
  sql_bind_text(statement, 2, run->fixture_id);
  return sql_step_done(store, statement, doing, error);
}

/* Records the instruments of a run with their calibration due dates; inside the caller's
 * transaction. */
static gboolean insert_run_instruments(Store *store, const RunStart *run, gint64 run_id,
                                       const char *doing, GError **error)
{
  if (run->n_instruments == 0)
    return TRUE;
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "INSERT INTO run_instruments (run_id, role, driver, resource, "
                          "cal_due) VALUES (?1, ?2, ?3, ?4, ?5)", &statement, doing, error))
    return FALSE;
  for (guint i = 0; i < run->n_instruments; i++) {
    const RunInstrument *instrument = &run->instruments[i];
    sqlite3_reset(statement);
    sqlite3_bind_int64(statement, 1, run_id);
    sql_bind_text(statement, 2, instrument->role);
    sql_bind_text(statement, 3, instrument->driver ? instrument->driver : "");
    sql_bind_text(statement, 4, instrument->resource ? instrument->resource : "");
    sql_bind_text(statement, 5, instrument->cal_due);
    int rc = sqlite3_step(statement);
    if (rc != SQLITE_DONE) {
      store_set_sql_error(store, error, rc, doing);
      sqlite3_finalize(statement);
      return FALSE;
    }
  }
  sqlite3_finalize(statement);
  return TRUE;
}

/* Inserts the run row with outcome RUNNING; inside the caller's transaction. */
static gboolean insert_run(Store *store, const RunStart *run, const char *now, gint64 *run_id,
                           const char *doing, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store,
                   "INSERT INTO runs (serial, model, station_id, fixture_id, slot, operator, "
                   "sequence_name, sequence_sha256, limits_sha256, firmware_sha256, app_version, "
                   "outcome, started_at, order_id, chemistry, cell_count, purpose, heater, profile) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'RUNNING', ?12, ?13, "
                   "?14, ?15, ?16, ?17, ?18)",
                   &statement, doing, error))
    return FALSE;
  sql_bind_run_start(statement, run, now);
  if (!sql_step_done(store, statement, doing, error))
    return FALSE;
  *run_id = sqlite3_last_insert_rowid(store->db);
  return TRUE;
}

/* Refuses to begin a run when the disk holding the database has less free space than a run
 * needs (STORE_ERROR_FULL), so that a full disk stops the line before a board is touched
 * rather than losing the results of a run half done. */
static gboolean check_free_space(Store *store, GError **error)
{
  g_autofree char *folder = g_path_get_dirname(store->path);
  struct statvfs disk;
  if (statvfs(folder, &disk) != 0)
    return TRUE;    /* not knowable: the writes themselves will tell */
  guint64 free_bytes = (guint64)disk.f_bavail * disk.f_frsize;
  if (free_bytes >= STORE_RUN_FREE_BYTES)
    return TRUE;
  g_set_error(error, STORE_ERROR, STORE_ERROR_FULL,
              "the disk holding the result database %s is full (%.1f MiB free, a run needs "
              "%d MiB), so no run can be stored: free space on it and start again",
              store->path, free_bytes / 1048576.0, STORE_RUN_FREE_BYTES / 1048576);
  return FALSE;
}

/* Writes a new run with outcome RUNNING (and counts a contact cycle of its fixture); returns
 * its id, or 0 with the error. */
gint64 store_run_begin(Store *store, const RunStart *run, GError **error)
{
  g_return_val_if_fail(store != NULL && run != NULL, 0);
  g_autofree char *doing = g_strdup_printf("starting the run of board '%s'",
                                           run->serial ? run->serial : "(no serial)");
  g_autofree char *now = sql_timestamp_now();
  gint64 started_us = g_get_monotonic_time();
  gint64 run_id = 0;

  g_mutex_lock(&store->lock);
  gboolean ok = check_free_space(store, error) &&
                sql_exec(store, "BEGIN IMMEDIATE", doing, error) &&
                register_run_resources(store, run, now, error) &&
                insert_run(store, run, run->started_at ? run->started_at : now, &run_id, doing,
                           error) &&
                insert_run_instruments(store, run, run_id, doing, error) &&
                mark_fixture_run(store, run, run_id, doing, error) &&
                /* owned before it is visible: another opener never sees it without owner */
                run_owner_claim(store->run_owner_fd, run_id, store->path, error) &&
                sql_exec(store, "COMMIT", doing, error);
  if (ok) {
    g_hash_table_insert(store->run_started_us, g_memdup2(&run_id, sizeof run_id),
                        g_memdup2(&started_us, sizeof started_us));
  } else {
    sql_rollback(store);
    if (run_id)
      run_owner_release(store->run_owner_fd, run_id);
    run_id = 0;
  }
  g_mutex_unlock(&store->lock);
  return run_id;
}

/* Writes a step of a run with outcome RUNNING; returns its id, or 0 with the error
 * (STORE_ERROR_NOT_FOUND when the run does not exist). */
gint64 store_step_begin(Store *store, gint64 run_id, int index, const char *group,
                        const char *name, GError **error)
{
  g_return_val_if_fail(store != NULL, 0);
  g_autofree char *doing = g_strdup_printf("starting step '%s' of run %" G_GINT64_FORMAT,
                                           name ? name : "(no name)", run_id);
  g_autofree char *now = sql_timestamp_now();
  gint64 step_id = 0;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store,
                  "INSERT INTO steps (run_id, idx, grp, name, outcome, started_at) "
                  "VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5)", &statement, doing, error)) {
    sqlite3_bind_int64(statement, 1, run_id);
    sqlite3_bind_int(statement, 2, index);
    sql_bind_text(statement, 3, group);
    sql_bind_text(statement, 4, name);
    sql_bind_text(statement, 5, now);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE)
      step_id = sqlite3_last_insert_rowid(store->db);
    else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                  "%s: there is no run %" G_GINT64_FORMAT " in %s", doing, run_id, store->path);
    else
      store_set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return step_id;
}

/* Completes a step with its outcome and message (may be NULL); STORE_ERROR_NOT_FOUND when
 * there is no such step. */
gboolean store_step_end(Store *store, gint64 step_id, const char *outcome, const char *message,
                        GError **error)
{
  g_return_val_if_fail(store != NULL, FALSE);
  g_autofree char *doing = g_strdup_printf("ending step %" G_GINT64_FORMAT, step_id);
  g_autofree char *now = sql_timestamp_now();
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store, "UPDATE steps SET outcome = ?2, message = ?3, ended_at = ?4 WHERE id = ?1",
                  &statement, doing, error)) {
    sqlite3_bind_int64(statement, 1, step_id);
    sql_bind_text(statement, 2, outcome);
    sql_bind_text(statement, 3, message);
    sql_bind_text(statement, 4, now);
    int rc = sqlite3_step(statement);
    if (rc != SQLITE_DONE)
      store_set_sql_error(store, error, rc, doing);
    else if (sqlite3_changes(store->db) == 0)
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "%s: there is no step %"
                  G_GINT64_FORMAT " in %s", doing, step_id, store->path);
    else
      ok = TRUE;
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok;
}

/* Writes one measurement of a step (NAN value and limits as NULL); STORE_ERROR_NOT_FOUND when
 * there is no such step. */
gboolean store_measurement_add(Store *store, gint64 step_id, const MeasurementRecord *m,
                               GError **error)
{
  g_return_val_if_fail(store != NULL && m != NULL, FALSE);
  g_autofree char *doing = g_strdup_printf("recording measurement '%s' of step %"
                                           G_GINT64_FORMAT, m->name ? m->name : "(no name)",
                                           step_id);
  g_autofree char *now = sql_timestamp_now();
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store,
                  "INSERT INTO measurements (step_id, name, unit, value, text, low, high, "
                  "comparison, expected, outcome, taken_at, run_id) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                  "(SELECT run_id FROM steps WHERE id = ?1))",
                  &statement, doing, error)) {
    sql_bind_measurement(statement, step_id, m, now);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE)
      ok = TRUE;
    else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "%s: there is no step %"
                  G_GINT64_FORMAT " in %s", doing, step_id, store->path);
    else
      store_set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok;
}

/* Writes one calibration of a run (see store.h); STORE_ERROR_NOT_FOUND when there is no such
 * run or step. */
gboolean store_calibration_add(Store *store, gint64 run_id, gint64 step_id,
                               const CalibrationRecord *calibration, GError **error)
{
  g_return_val_if_fail(store != NULL && calibration != NULL, FALSE);
  g_autofree char *doing = g_strdup_printf("recording the %s calibration of run %"
                                           G_GINT64_FORMAT, calibration->kind, run_id);
  g_autofree char *now = sql_timestamp_now();
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store,
                  "INSERT INTO calibrations (run_id, step_id, kind, unit, reference, "
                  "reading_before, reading_after, factor, outcome, taken_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                  &statement, doing, error)) {
    sqlite3_bind_int64(statement, 1, run_id);
    if (step_id > 0)
      sqlite3_bind_int64(statement, 2, step_id);
    sql_bind_text(statement, 3, calibration->kind);
    sql_bind_text(statement, 4, calibration->unit);
    sql_bind_number(statement, 5, calibration->reference);
    sql_bind_number(statement, 6, calibration->reading_before);
    sql_bind_number(statement, 7, calibration->reading_after);
    sql_bind_number(statement, 8, calibration->factor);
    sql_bind_text(statement, 9, calibration->outcome);
    sql_bind_text(statement, 10, now);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE)
      ok = TRUE;
    else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "%s: there is no run %"
                  G_GINT64_FORMAT " with step %" G_GINT64_FORMAT " in %s", doing, run_id,
                  step_id, store->path);
    else
      store_set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok;
}

/* Returns the seconds since a run began: from this Store's monotonic clock when it began the
 * run, else from the stored start time; NAN when neither is known. */
static double run_duration_s(Store *store, gint64 run_id, gint64 now_real_us)
{
  gint64 *started_us = g_hash_table_lookup(store->run_started_us, &run_id);
  if (started_us != NULL)
    return (double)(g_get_monotonic_time() - *started_us) / G_USEC_PER_SEC;

  double duration = NAN;
  sqlite3_stmt *statement = NULL;
  if (sqlite3_prepare_v2(store->db, "SELECT started_at FROM runs WHERE id = ?1", -1, &statement,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_int64(statement, 1, run_id);
    if (sqlite3_step(statement) == SQLITE_ROW) {
      g_autofree char *text = sql_column_text(statement, 0);
      g_autoptr(GDateTime) started = text ? g_date_time_new_from_iso8601(text, NULL) : NULL;
      if (started != NULL)
        duration = (double)(now_real_us - g_date_time_to_unix(started) * G_USEC_PER_SEC -
                            g_date_time_get_microsecond(started)) / G_USEC_PER_SEC;
    }
  }
  sqlite3_finalize(statement);
  return duration;
}

/* Completes a RUNNING run with its outcome, first failing step and message, its end time and
 * duration; STORE_ERROR_NOT_FOUND when there is no such run or it has already ended. */
gboolean store_run_end(Store *store, gint64 run_id, const char *outcome,
                       const char *first_failure, const char *message, GError **error)
{
  g_return_val_if_fail(store != NULL, FALSE);
  g_autofree char *doing = g_strdup_printf("ending run %" G_GINT64_FORMAT, run_id);
  gint64 now_us = g_get_real_time();
  g_autofree char *now = sql_timestamp_utc(now_us);
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  double duration_s = run_duration_s(store, run_id, now_us);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store,
                  "UPDATE runs SET outcome = ?2, first_failure = ?3, message = ?4, ended_at = ?5, "
                  "duration_s = ?6 WHERE id = ?1 AND outcome = 'RUNNING'",
                  &statement, doing, error)) {
    sqlite3_bind_int64(statement, 1, run_id);
    sql_bind_text(statement, 2, outcome);
    sql_bind_text(statement, 3, first_failure);
    sql_bind_text(statement, 4, message);
    sql_bind_text(statement, 5, now);
    sql_bind_number(statement, 6, duration_s);
    int rc = sqlite3_step(statement);
    if (rc != SQLITE_DONE) {
      store_set_sql_error(store, error, rc, doing);
    } else if (sqlite3_changes(store->db) == 0) {
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                  "%s: there is no running run %" G_GINT64_FORMAT " in %s (unknown, or it has "
                  "already ended)", doing, run_id, store->path);
    } else {
      ok = TRUE;
      g_hash_table_remove(store->run_started_us, &run_id);
      run_owner_release(store->run_owner_fd, run_id);
    }
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok;
}
