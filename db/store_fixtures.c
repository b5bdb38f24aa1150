/* The fixtures the runs have used, for `station fixtures`: each one's contact cycles (a
 * board inserted per run begun on it, since its contacts were last replaced) against the
 * rating its fixture file gives, and the instruments with their calibration due dates as its
 * latest run recorded them; and the reset of the cycles when the contacts are replaced. */
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
  g_free(row->contacts_reset_at);
  if (row->instruments)
    g_ptr_array_unref(row->instruments);
  g_free(row);
}

/* Reads the fixtures into rows, without their instruments; locked, in a transaction. */
static gboolean read_fixtures(Store *store, GPtrArray *rows, const char *doing, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT id, station_id, contact_cycles, "
                   "coalesce(contact_cycles_limit, 0), first_seen, last_seen, "
                   "contacts_reset_at, coalesce(last_run_id, 0) FROM fixtures ORDER BY id",
                   &statement, doing, error))
    return FALSE;
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    FixtureRow *row = g_new0(FixtureRow, 1);
    row->id = sql_column_text(statement, 0);
    row->station_id = sql_column_text(statement, 1);
    row->contact_cycles = sqlite3_column_int64(statement, 2);
    row->contact_cycles_max = sqlite3_column_int64(statement, 3);
    row->first_seen = sql_column_text(statement, 4);
    row->last_seen = sql_column_text(statement, 5);
    row->contacts_reset_at = sql_column_text(statement, 6);
    row->last_run_id = sqlite3_column_int64(statement, 7);
    row->instruments = g_ptr_array_new_with_free_func((GDestroyNotify)run_instrument_row_free);
    g_ptr_array_add(rows, row);
  }
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

GPtrArray *store_list_fixtures(Store *store, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  const char *doing = "listing the fixtures";
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)fixture_row_free);

  g_mutex_lock(&store->lock);
  gboolean ok = sql_exec(store, "BEGIN", doing, error) &&
                read_fixtures(store, rows, doing, error);
  for (guint i = 0; ok && i < rows->len; i++) {
    FixtureRow *row = g_ptr_array_index(rows, i);
    ok = row->last_run_id == 0 ||
         store_read_run_instruments(store, row->last_run_id, row->instruments, doing, error);
  }
  ok = ok && sql_exec(store, "COMMIT", doing, error);
  if (!ok)
    sql_rollback(store);
  g_mutex_unlock(&store->lock);
  return ok ? g_steal_pointer(&rows) : NULL;
}

typedef struct {
  const char *actor, *fixture_id;
  gint64 before;
} ContactReset;

/* Reads the cycles, sets them to 0 and audits it; locked, in a transaction. */
static gboolean reset_locked(Store *store, ContactReset *reset, const char *doing,
                             GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT contact_cycles FROM fixtures WHERE id = ?1", &statement,
                   doing, error))
    return FALSE;
  sql_bind_text(statement, 1, reset->fixture_id);
  int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW)
    reset->before = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  if (rc == SQLITE_DONE)
    g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                "no run has used fixture '%s' in %s (station fixtures lists those that have)",
                reset->fixture_id, store->path);
  else if (rc != SQLITE_ROW)
    store_set_sql_error(store, error, rc, doing);
  if (rc != SQLITE_ROW)
    return FALSE;

  g_autofree char *now = sql_timestamp_now();
  if (!sql_prepare(store, "UPDATE fixtures SET contact_cycles = 0, contacts_reset_at = ?2 "
                   "WHERE id = ?1", &statement, doing, error))
    return FALSE;
  sql_bind_text(statement, 1, reset->fixture_id);
  sql_bind_text(statement, 2, now);
  g_autofree char *before = g_strdup_printf("contact_cycles=%" G_GINT64_FORMAT, reset->before);
  return sql_step_done(store, statement, doing, error) &&
         sql_audit_change(store, now, reset->actor, "fixture.reset_contacts",
                          reset->fixture_id, before, "contact_cycles=0", error);
}

gboolean store_fixture_reset_contacts(Store *store, const char *actor, const char *fixture_id,
                                      gint64 *cycles_before, GError **error)
{
  g_return_val_if_fail(store != NULL && fixture_id != NULL, FALSE);
  g_autofree char *doing = g_strdup_printf("resetting the contact cycles of fixture '%s'",
                                           fixture_id);
  ContactReset reset = {.actor = actor, .fixture_id = fixture_id};
  g_mutex_lock(&store->lock);
  gboolean ok = sql_exec(store, "BEGIN IMMEDIATE", doing, error) &&
                reset_locked(store, &reset, doing, error) &&
                sql_exec(store, "COMMIT", doing, error);
  if (!ok)
    sql_rollback(store);
  g_mutex_unlock(&store->lock);
  if (ok && cycles_before)
    *cycles_before = reset.before;
  return ok;
}
