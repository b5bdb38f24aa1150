/* The fixtures the runs have used, for `station fixtures`: each one's contact cycles (a
 * board inserted per run begun on it) against the rating its fixture file gives. */
#include "db/store.h"
#include "db/store_sql.h"

void fixture_row_free(FixtureRow *row)
{
  if (row == NULL)
    return;
  g_free(row->id);
  g_free(row->station_id);
  g_free(row->first_seen);
  g_free(row->last_seen);
  g_free(row);
}

GPtrArray *store_list_fixtures(Store *store, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  const char *doing = "listing the fixtures";
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)fixture_row_free);

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  gboolean ok = sql_prepare(store, "SELECT id, station_id, contact_cycles, "
                            "coalesce(contact_cycles_limit, 0), first_seen, last_seen "
                            "FROM fixtures ORDER BY id", &statement, doing, error);
  int rc = SQLITE_DONE;
  while (ok && (rc = sqlite3_step(statement)) == SQLITE_ROW) {
    FixtureRow *row = g_new0(FixtureRow, 1);
    row->id = sql_column_text(statement, 0);
    row->station_id = sql_column_text(statement, 1);
    row->contact_cycles = sqlite3_column_int64(statement, 2);
    row->contact_cycles_max = sqlite3_column_int64(statement, 3);
    row->first_seen = sql_column_text(statement, 4);
    row->last_seen = sql_column_text(statement, 5);
    g_ptr_array_add(rows, row);
  }
  if (ok && rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, doing);
    ok = FALSE;
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok ? g_steal_pointer(&rows) : NULL;
}
