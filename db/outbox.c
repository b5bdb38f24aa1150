/* The outbox of runs waiting for the factory database (outbox.h). */
#include "db/outbox.h"
#include "db/store_sql.h"
#include <string.h>

#define OUTBOX_BACKOFF_MAX_S 600

int outbox_backoff_s(gint64 attempts)
{
  if (attempts <= 0)
    return 0;
  return attempts >= 10 ? OUTBOX_BACKOFF_MAX_S : MIN(1 << (attempts - 1), OUTBOX_BACKOFF_MAX_S);
}

GArray *store_outbox_runs(Store *store, gboolean due_only, gint64 after_run_id, guint limit,
                          GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  const char *doing = "reading the runs waiting for the factory database";
  g_autofree char *now = sql_timestamp_now();
  g_autoptr(GArray) runs = g_array_new(FALSE, FALSE, sizeof(gint64));
  gboolean ok = FALSE;

  store_lock_connection(store);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store, "SELECT run_id FROM outbox WHERE run_id > ?3 AND (?1 IS NULL OR "
                         "next_attempt_at IS NULL OR next_attempt_at <= ?1) ORDER BY run_id "
                         "LIMIT ?2",
                  &statement, doing, error)) {
    sql_bind_text(statement, 1, due_only ? now : NULL);
    sqlite3_bind_int64(statement, 2, limit);
    sqlite3_bind_int64(statement, 3, after_run_id);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      gint64 id = sqlite3_column_int64(statement, 0);
      g_array_append_val(runs, id);
    }
    ok = rc == SQLITE_DONE;
    if (!ok)
      store_set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  store_unlock_connection(store);
  return ok ? g_steal_pointer(&runs) : NULL;
}

/* Runs the statements of one write transaction with ?1 the run id, ?2 the time and ?3 the
 * text (each may use any of them). */
static gboolean write_outbox(Store *store, const char *const *sql, guint n, gint64 run_id,
                             const char *text, const char *doing, GError **error)
{
  g_autofree char *now = sql_timestamp_now();
  store_lock_connection(store);
  gboolean ok = sql_exec(store, "BEGIN IMMEDIATE", doing, error);
  for (guint i = 0; ok && i < n; i++) {
    sqlite3_stmt *statement = NULL;
    ok = sql_prepare(store, sql[i], &statement, doing, error);
    if (ok) {
      int count = sqlite3_bind_parameter_count(statement);
      if (count >= 1)
        sqlite3_bind_int64(statement, 1, run_id);
      if (count >= 2)
        sql_bind_text(statement, 2, now);
      if (count >= 3)
        sql_bind_text(statement, 3, text);
      ok = sql_step_done(store, statement, doing, error);
    }
  }
  ok = ok && sql_exec(store, "COMMIT", doing, error);
  if (!ok)
    sql_rollback(store);
  store_unlock_connection(store);
  return ok;
}

gboolean store_outbox_shipped(Store *store, gint64 run_id, GError **error)
{
  static const char *const SQL[] = {
    "UPDATE factory_sync SET shipped = shipped + (SELECT count(*) FROM outbox WHERE "
    "run_id = ?1), last_success_at = ?2, last_attempt_at = ?2, last_error = NULL",
    "DELETE FROM outbox WHERE run_id = ?1",
  };
  g_autofree char *doing = g_strdup_printf("taking run %" G_GINT64_FORMAT " off the outbox",
                                           run_id);
  return write_outbox(store, SQL, G_N_ELEMENTS(SQL), run_id, NULL, doing, error);
}

gboolean store_outbox_failed(Store *store, gint64 run_id, const char *reason, GError **error)
{
  /* the back-off doubles from 1 s per failed attempt up to 600 s, as outbox_backoff_s() */
  static const char *const SQL[] = {
    "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?2, last_error = ?3, "
    "next_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?2, '+' || "
    "min(600, 1 << min(attempts, 10)) || ' seconds') WHERE run_id = ?1",
    "UPDATE factory_sync SET last_attempt_at = ?2 WHERE ?1 IS NOT NULL",
  };
  g_autofree char *doing = g_strdup_printf("recording why run %" G_GINT64_FORMAT " was not "
                                           "shipped", run_id);
  return write_outbox(store, SQL, G_N_ELEMENTS(SQL), run_id, reason, doing, error);
}

gboolean store_outbox_attempted(Store *store, const char *reason, GError **error)
{
  static const char *const SQL[] = {
    "UPDATE factory_sync SET last_attempt_at = ?2, last_error = ?3 WHERE ?1 IS NOT NULL",
  };
  return write_outbox(store, SQL, G_N_ELEMENTS(SQL), 0, reason,
                      "recording an attempt to reach the factory database", error);
}

gboolean store_outbox_status(Store *store, OutboxStatus *status, GError **error)
{
  g_return_val_if_fail(store != NULL && status != NULL, FALSE);
  const char *doing = "reading the outbox";
  memset(status, 0, sizeof *status);
  static const char SQL[] =
    "SELECT (SELECT count(*) FROM outbox), o.run_id, r.uid, o.queued_at, "
    "  (SELECT count(*) FROM outbox WHERE attempts > 0), s.shipped, s.last_attempt_at, "
    "  s.last_success_at, s.last_error, e.last_error, e.run_id "
    "FROM factory_sync AS s "
    "LEFT JOIN (SELECT run_id, queued_at FROM outbox ORDER BY run_id LIMIT 1) AS o "
    "LEFT JOIN runs AS r ON r.id = o.run_id "
    "LEFT JOIN (SELECT run_id, last_error FROM outbox WHERE last_error IS NOT NULL "
    "  ORDER BY last_attempt_at DESC, run_id DESC LIMIT 1) AS e";
  store_lock_connection(store);
  sqlite3_stmt *statement = NULL;
  gboolean ok = sql_prepare(store, SQL, &statement, doing, error);
  if (ok) {
    int rc = sqlite3_step(statement);
    ok = rc == SQLITE_ROW;
    if (ok) {
      status->queued = sqlite3_column_int64(statement, 0);
      status->oldest_run_id = sqlite3_column_int64(statement, 1);
      status->oldest_uid = sql_column_text(statement, 2);
      status->oldest_queued_at = sql_column_text(statement, 3);
      status->failed = sqlite3_column_int64(statement, 4);
      status->shipped = sqlite3_column_int64(statement, 5);
      status->last_attempt_at = sql_column_text(statement, 6);
      status->last_success_at = sql_column_text(statement, 7);
      status->last_error = sql_column_text(statement, 8);
      status->last_run_error = sql_column_text(statement, 9);
      status->last_run_error_id = sqlite3_column_int64(statement, 10);
    } else {
      store_set_sql_error(store, error, rc, doing);
    }
  }
  sqlite3_finalize(statement);
  store_unlock_connection(store);
  return ok;
}

void outbox_status_clear(OutboxStatus *status)
{
  g_free(status->oldest_uid);
  g_free(status->oldest_queued_at);
  g_free(status->last_attempt_at);
  g_free(status->last_success_at);
  g_free(status->last_error);
  g_free(status->last_run_error);
  memset(status, 0, sizeof *status);
}
