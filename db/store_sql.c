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
