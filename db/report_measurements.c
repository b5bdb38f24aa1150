/* The numeric measurements a selection of runs holds, for the app's measurement chooser.
 * Distinct names are walked through the name index one at a time (a recursive step to the
 * next larger name), so a store of millions of measurements is not scanned whole; each name
 * is kept when one selected run has a numeric value of it. */
#include "db/report.h"
#include "db/report_sql.h"
#include "db/store_sql.h"

static const char NAMES_SQL[] =
  "WITH RECURSIVE names(name) AS ("
  " SELECT min(name) FROM measurements"
  " UNION ALL SELECT (SELECT min(name) FROM measurements WHERE name > names.name)"
  " FROM names WHERE names.name IS NOT NULL) "
  "SELECT name FROM names WHERE name IS NOT NULL AND EXISTS ("
  " SELECT 1 FROM measurements AS m INDEXED BY measurements_series"
  " CROSS JOIN runs AS r ON r.id = m.run_id"
  " WHERE m.name = names.name AND m.value IS NOT NULL AND " REPORT_RUN_FILTER_SQL ") "
  "ORDER BY name";

GPtrArray *report_measurement_names(Store *store, const ReportFilter *filter, GError **error)
{
  g_return_val_if_fail(store != NULL && filter != NULL, NULL);
  const char *doing = "listing the measurements";
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  int rc = SQLITE_ERROR;
  if (sql_prepare(store, NAMES_SQL, &statement, doing, error)) {
    report_bind_filter(statement, filter);
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
      g_ptr_array_add(names, sql_column_text(statement, 0));
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE)
      store_set_sql_error(store, error, rc, doing);
  }
  g_mutex_unlock(&store->lock);
  return rc == SQLITE_DONE ? g_steal_pointer(&names) : NULL;
}
