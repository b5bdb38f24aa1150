/* The result store's shared SQL helpers (see store_sql.h). */
#include "db/store_sql.h"
#include <math.h>

char *sql_timestamp_utc(gint64 real_time_us)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(real_time_us / G_USEC_PER_SEC);
  g_autofree char *seconds = g_date_time_format(time, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf("%s.%03dZ", seconds, (int)((real_time_us % G_USEC_PER_SEC) / 1000));
}

char *sql_timestamp_now(void)
{
  return sql_timestamp_utc(g_get_real_time());
}

const char *sql_hint(int rc)
{
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return " (another program kept the database locked for more than 5 s: end its "
           "transaction and start again)";
  case SQLITE_FULL:
    return " (the disk is full: free space on it and start again)";
  case SQLITE_READONLY:
  case SQLITE_PERM:
  case SQLITE_CANTOPEN:
    return " (check that the file and its folder are writable)";
  case SQLITE_IOERR:
    return " (the disk reported an I/O error: check that it has free space and is healthy)";
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return " (the file is damaged; keep a copy and check the disk)";
  default:
    return "";
  }
}

void sql_bind_text(sqlite3_stmt *statement, int index, const char *text)
{
  if (text == NULL)
    sqlite3_bind_null(statement, index);
  else
    sqlite3_bind_text(statement, index, text, -1, SQLITE_TRANSIENT);
}

void sql_bind_number(sqlite3_stmt *statement, int index, double value)
{
  if (isnan(value))
    sqlite3_bind_null(statement, index);
  else
    sqlite3_bind_double(statement, index, value);
}

void sql_bind_run_start(sqlite3_stmt *statement, const RunStart *run, const char *started_at)
{
  sql_bind_text(statement, 1, run->serial);
  sql_bind_text(statement, 2, run->model);
  sql_bind_text(statement, 3, run->station_id);
  sql_bind_text(statement, 4, run->fixture_id);
  sqlite3_bind_int(statement, 5, run->slot);
  sql_bind_text(statement, 6, run->operator_name);
  sql_bind_text(statement, 7, run->sequence_name);
  sql_bind_text(statement, 8, run->sequence_sha256);
  sql_bind_text(statement, 9, run->limits_sha256);
  sql_bind_text(statement, 10, run->firmware_sha256);
  sql_bind_text(statement, 11, run->app_version);
  sql_bind_text(statement, 12, started_at);
  sql_bind_text(statement, 13, run->order_id);
  sql_bind_text(statement, 14, run->chemistry);
  if (run->cell_count > 0)
    sqlite3_bind_int(statement, 15, run->cell_count);
  sql_bind_text(statement, 16, run->purpose ? run->purpose : "eol");
  if (run->heater != RUN_HEATER_UNKNOWN)
    sqlite3_bind_int(statement, 17, run->heater == RUN_HEATER_YES);
  sql_bind_text(statement, 18, run->profile);
}

void sql_bind_measurement(sqlite3_stmt *statement, gint64 step_id, const MeasurementRecord *m,
                          const char *taken_at)
{
  sqlite3_bind_int64(statement, 1, step_id);
  sql_bind_text(statement, 2, m->name);
  sql_bind_text(statement, 3, m->unit ? m->unit : "");
  sql_bind_number(statement, 4, m->value);
  sql_bind_text(statement, 5, m->text);
  sql_bind_number(statement, 6, m->low);
  sql_bind_number(statement, 7, m->high);
  sql_bind_text(statement, 8, m->comparison);
  sql_bind_text(statement, 9, m->expected);
  sql_bind_text(statement, 10, m->outcome);
  sql_bind_text(statement, 11, taken_at);
}

char *sql_column_text(sqlite3_stmt *statement, int column)
{
  const unsigned char *text = sqlite3_column_text(statement, column);
  return text != NULL ? g_strdup((const char *)text) : NULL;
}

double sql_column_number(sqlite3_stmt *statement, int column)
{
  if (sqlite3_column_type(statement, column) == SQLITE_NULL)
    return NAN;
  return sqlite3_column_double(statement, column);
}

GBytes *sql_column_bytes(sqlite3_stmt *statement, int column)
{
  if (sqlite3_column_type(statement, column) == SQLITE_NULL)
    return NULL;
  const void *data = sqlite3_column_blob(statement, column);
  int length = sqlite3_column_bytes(statement, column);
  return g_bytes_new(data, (gsize)length);
}

gboolean sql_prepare(Store *store, const char *sql, sqlite3_stmt **statement,
                     const char *doing, GError **error)
{
  int rc = sqlite3_prepare_v2(store->db, sql, -1, statement, NULL);
  if (rc != SQLITE_OK) {
    store_set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

gboolean sql_exec(Store *store, const char *sql, const char *doing, GError **error)
{
  int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    store_set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

gboolean sql_step_done(Store *store, sqlite3_stmt *statement, const char *doing,
                       GError **error)
{
  int rc = sqlite3_step(statement);
  if (rc != SQLITE_DONE)
    store_set_sql_error(store, error, rc, doing);
  sqlite3_finalize(statement);
  return rc == SQLITE_DONE;
}

void sql_rollback(Store *store)
{
  if (!sqlite3_get_autocommit(store->db))
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Writes an audit_log row with the values before and after; in the caller's transaction. */
gboolean sql_audit_change(Store *store, const char *now, const char *actor,
                          const char *action, const char *subject, const char *old_value,
                          const char *new_value, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "INSERT INTO audit_log (at, actor, action, subject, old_value, "
                   "new_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &statement,
                   "writing the audit log", error))
    return FALSE;
  sql_bind_text(statement, 1, now);
  sql_bind_text(statement, 2, actor ? actor : "unknown");
  sql_bind_text(statement, 3, action);
  sql_bind_text(statement, 4, subject);
  sql_bind_text(statement, 5, old_value);
  sql_bind_text(statement, 6, new_value);
  return sql_step_done(store, statement, "writing the audit log", error);
}
