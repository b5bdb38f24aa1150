/* Bulk loading of finished runs (store_bulk.h). */
#include "db/store_bulk.h"
#include "db/schema.h"
#include "db/store_sql.h"

struct StoreBulk {
  Store *store;                 /* locked from begin to commit or free */
  sqlite3_stmt *run, *step, *measurement;
  gboolean open;                /* the transaction is going */
};

/* ?1..?18 as sql_bind_run_start() binds them, then the run's end */
static const char RUN_SQL[] =
  "INSERT INTO runs (serial, model, station_id, fixture_id, slot, operator, sequence_name, "
  "sequence_sha256, limits_sha256, firmware_sha256, app_version, outcome, started_at, "
  "order_id, chemistry, cell_count, purpose, heater, profile, first_failure, message, "
  "ended_at, duration_s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?19, ?12, "
  "?13, ?14, ?15, ?16, ?17, ?18, ?20, ?21, ?22, ?23)";
static const char STEP_SQL[] =
  "INSERT INTO steps (run_id, idx, grp, name, outcome, started_at, ended_at) "
  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char MEASUREMENT_SQL[] =
  "INSERT INTO measurements (step_id, name, unit, value, text, low, high, comparison, "
  "expected, outcome, taken_at, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
  "(SELECT run_id FROM steps WHERE id = ?1))";

StoreBulk *store_bulk_begin(Store *store, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  const char *doing = "beginning a bulk load";
  g_mutex_lock(&store->lock);
  StoreBulk *bulk = g_new0(StoreBulk, 1);
  bulk->store = store;
  /* a large page cache while loading: the indexes' pages stay in memory */
  if (!sql_exec(store, "PRAGMA cache_size = -262144", doing, error) ||
      !sql_exec(store, "BEGIN IMMEDIATE", doing, error)) {
    g_mutex_unlock(&store->lock);
    g_free(bulk);
    return NULL;
  }
  bulk->open = TRUE;
  if (!sql_prepare(store, RUN_SQL, &bulk->run, doing, error) ||
      !sql_prepare(store, STEP_SQL, &bulk->step, doing, error) ||
      !sql_prepare(store, MEASUREMENT_SQL, &bulk->measurement, doing, error)) {
    store_bulk_free(bulk);
    return NULL;
  }
  return bulk;
}

/* Steps a bound insert and resets it; the new row's id, 0 with the error. */
static gint64 insert(StoreBulk *bulk, sqlite3_stmt *statement, const char *doing,
                     GError **error)
{
  int rc = sqlite3_step(statement);
  sqlite3_reset(statement);
  if (rc != SQLITE_DONE) {
    store_set_sql_error(bulk->store, error, rc, doing);
    return 0;
  }
  return sqlite3_last_insert_rowid(bulk->store->db);
}

gint64 store_bulk_run(StoreBulk *bulk, const RunStart *run, const char *outcome,
                      const char *first_failure, const char *message, const char *ended_at,
                      double duration_s, GError **error)
{
  g_return_val_if_fail(bulk != NULL && bulk->open && run->started_at != NULL, 0);
  g_return_val_if_fail(run->purpose == NULL || g_str_equal(run->purpose, "eol"), 0);
  sqlite3_stmt *s = bulk->run;
  sqlite3_clear_bindings(s);
  sql_bind_run_start(s, run, run->started_at);
  sql_bind_text(s, 19, outcome);
  sql_bind_text(s, 20, first_failure);
  sql_bind_text(s, 21, message);
  sql_bind_text(s, 22, ended_at);
  sql_bind_number(s, 23, duration_s);
  return insert(bulk, s, "loading a run", error);
}

gint64 store_bulk_step(StoreBulk *bulk, gint64 run_id, int index, const char *group,
                       const char *name, const char *outcome, const char *started_at,
                       const char *ended_at, GError **error)
{
  g_return_val_if_fail(bulk != NULL && bulk->open, 0);
  sqlite3_stmt *s = bulk->step;
  sqlite3_bind_int64(s, 1, run_id);
  sqlite3_bind_int(s, 2, index);
  sql_bind_text(s, 3, group);
  sql_bind_text(s, 4, name);
  sql_bind_text(s, 5, outcome);
  sql_bind_text(s, 6, started_at);
  sql_bind_text(s, 7, ended_at);
  return insert(bulk, s, "loading a step", error);
}

gboolean store_bulk_measurement(StoreBulk *bulk, gint64 step_id, const MeasurementRecord *m,
                                const char *taken_at, GError **error)
{
  g_return_val_if_fail(bulk != NULL && bulk->open, FALSE);
  sql_bind_measurement(bulk->measurement, step_id, m, taken_at);
  return insert(bulk, bulk->measurement, "loading a measurement", error) != 0;
}

gboolean store_bulk_commit(StoreBulk *bulk, GError **error)
{
  g_return_val_if_fail(bulk != NULL && bulk->open, FALSE);
  gboolean ok = sql_exec(bulk->store, SCHEMA_YIELD_REBUILD_SQL, "rebuilding the yield summary",
                         error) &&
                sql_exec(bulk->store, "COMMIT", "committing a bulk load", error);
  if (ok)
    bulk->open = FALSE;
  sql_exec(bulk->store, "PRAGMA cache_size = -2000", "restoring the page cache", NULL);
  return ok;
}

void store_bulk_free(StoreBulk *bulk)
{
  if (bulk == NULL)
    return;
  sqlite3_finalize(bulk->run);
  sqlite3_finalize(bulk->step);
  sqlite3_finalize(bulk->measurement);
  if (bulk->open)
    sql_rollback(bulk->store);
  g_mutex_unlock(&bulk->store->lock);
  g_free(bulk);
}
