/* Failure Pareto: the selected FAIL runs counted by their first failing step, or by each
 * measurement that failed in them (a run counts once per measurement name), most frequent
 * first with each cause's share and the cumulative share. */
#include "db/report.h"
#include "db/report_sql.h"
#include "db/store_sql.h"

static void pareto_row_free(ParetoRow *row)
{
  g_free(row->name);
  g_free(row);
}

/* Counts of FAIL runs per first failing step, with the number of FAIL runs as a last row
 * named NULL; the partial index runs_failed covers it. */
static const char PARETO_BY_STEP_SQL[] =
  "SELECT coalesce(r.first_failure, '(none recorded)'), count(*) FROM runs AS r "
  "WHERE r.outcome = 'FAIL' AND " REPORT_RUN_FILTER_SQL " GROUP BY 1 "
  "UNION ALL SELECT NULL, count(*) FROM runs AS r "
  "WHERE r.outcome = 'FAIL' AND " REPORT_RUN_FILTER_SQL " ORDER BY 2 DESC, 1";

/* From the failing runs to their failing measurements through the partial index
 * measurements_failed (run_id, name): two indexes and no table, CROSS JOIN keeps that order
 * (without statistics the planner would scan every measurement by name instead). */
static const char PARETO_BY_MEASUREMENT_SQL[] =
  "WITH failing AS (SELECT r.id FROM runs AS r WHERE r.outcome = 'FAIL' AND "
  REPORT_RUN_FILTER_SQL ") "
  "SELECT m.name, count(DISTINCT m.run_id) FROM failing AS f "
  "CROSS JOIN measurements AS m INDEXED BY measurements_failed "
  "  ON m.run_id = f.id AND m.outcome = 'FAIL' GROUP BY m.name "
  "UNION ALL SELECT NULL, count(*) FROM failing ORDER BY 2 DESC, 1";

GPtrArray *report_pareto(Store *store, const ReportFilter *filter, ParetoKind kind,
                         gint64 *failing_runs, GError **error)
{
  g_return_val_if_fail(store != NULL && filter != NULL, NULL);
  const char *doing = "computing the failure Pareto";
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)pareto_row_free);
  gint64 failing = 0;
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store, kind == PARETO_BY_STEP ? PARETO_BY_STEP_SQL : PARETO_BY_MEASUREMENT_SQL,
                  &statement, doing, error)) {
    report_bind_filter(statement, filter);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      if (sqlite3_column_type(statement, 0) == SQLITE_NULL) {
        failing = sqlite3_column_int64(statement, 1);
        continue;
      }
      ParetoRow *row = g_new0(ParetoRow, 1);
      row->name = sql_column_text(statement, 0);
      row->count = sqlite3_column_int64(statement, 1);
      g_ptr_array_add(rows, row);
    }
    ok = rc == SQLITE_DONE;
    if (!ok)
      store_set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  if (!ok)
    return NULL;

  report_pareto_shares(rows, failing);
  if (failing_runs)
    *failing_runs = failing;
  return g_steal_pointer(&rows);
}

void report_pareto_shares(GPtrArray *rows, gint64 failing)
{
  /* A run failing several measurements counts once under each, so the shares may add up to
   * more than one; the cumulative line runs over the causes counted and ends at 100 %. */
  gint64 counted = 0;
  for (guint i = 0; i < rows->len; i++)
    counted += ((ParetoRow *)g_ptr_array_index(rows, i))->count;
  gint64 running = 0;
  for (guint i = 0; i < rows->len; i++) {
    ParetoRow *row = g_ptr_array_index(rows, i);
    row->share = failing ? (double)row->count / failing : 0;
    running += row->count;
    row->cumulative = counted ? (double)running / counted : 0;
  }
}
