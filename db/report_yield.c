/* Yield report: first-pass and final yield, retests and station errors, grouped as asked,
 * summed from the yield summary (yield_cells, schema version 4) that the store keeps up to
 * date as runs end, so a year of runs reads in milliseconds. */
#include "db/report.h"
#include "db/report_sql.h"
#include "db/store_sql.h"
#include <math.h>
#include <string.h>

void yield_row_clear(YieldRow *row)
{
  g_free(row->model);
  g_free(row->day);
  g_free(row->station_id);
  g_free(row->operator_name);
  memset(row, 0, sizeof *row);
}

static void yield_row_free(YieldRow *row)
{
  yield_row_clear(row);
  g_free(row);
}

/* The grouping columns of yield_cells in report order, and how to read them into a row. */
static const struct {
  YieldGrouping flag;
  const char *column;
} GROUP_COLUMNS[] = {
  {YIELD_BY_MODEL, "model"},       {YIELD_BY_DAY, "day"},
  {YIELD_BY_SHIFT, "shift"},       {YIELD_BY_STATION, "station_id"},
  {YIELD_BY_OPERATOR, "operator"},
};

/* Returns the SELECT for a grouping: the grouped columns, then the five sums (freeing). */
static char *yield_sql(YieldGrouping grouping)
{
  g_autoptr(GString) columns = g_string_new("");
  for (guint i = 0; i < G_N_ELEMENTS(GROUP_COLUMNS); i++)
    if (grouping & GROUP_COLUMNS[i].flag)
      g_string_append_printf(columns, "%s%s", columns->len ? ", " : "",
                             GROUP_COLUMNS[i].column);
  /* the date range selects production days: from's day on, up to the day before to's */
  const char *where =
      "(?1 IS NULL OR model = ?1) AND (?2 IS NULL OR station_id = ?2) AND "
      "(?3 IS NULL OR fixture_id = ?3) AND (?4 IS NULL OR operator = ?4) AND "
      "(?5 IS NULL OR order_id = ?5) AND (?6 IS NULL OR day >= substr(?6, 1, 10)) AND "
      "(?7 IS NULL OR day < substr(?7, 1, 10))";
  if (columns->len == 0)
    return g_strdup_printf("SELECT sum(boards), sum(first_pass), sum(final_pass), "
                           "sum(retests), sum(station_errors) FROM yield_cells WHERE %s", where);
  return g_strdup_printf("SELECT %s, sum(boards), sum(first_pass), sum(final_pass), "
                         "sum(retests), sum(station_errors) FROM yield_cells WHERE %s "
                         "GROUP BY %s ORDER BY %s", columns->str, where, columns->str,
                         columns->str);
}

/* Fills a row's counts from columns first.. and computes its yields. */
static void read_counts(sqlite3_stmt *statement, int first, YieldRow *row)
{
  row->boards = sqlite3_column_int64(statement, first);
  row->first_pass = sqlite3_column_int64(statement, first + 1);
  row->final_pass = sqlite3_column_int64(statement, first + 2);
  row->retests = sqlite3_column_int64(statement, first + 3);
  row->station_errors = sqlite3_column_int64(statement, first + 4);
  row->first_pass_yield = row->boards ? (double)row->first_pass / row->boards : NAN;
  row->final_yield = row->boards ? (double)row->final_pass / row->boards : NAN;
}

/* Reads one grouped row. */
static YieldRow *read_row(sqlite3_stmt *statement, YieldGrouping grouping)
{
  YieldRow *row = g_new0(YieldRow, 1);
  int column = 0;
  for (guint i = 0; i < G_N_ELEMENTS(GROUP_COLUMNS); i++) {
    if (!(grouping & GROUP_COLUMNS[i].flag))
      continue;
    switch (GROUP_COLUMNS[i].flag) {
    case YIELD_BY_MODEL: row->model = sql_column_text(statement, column); break;
    case YIELD_BY_DAY: row->day = sql_column_text(statement, column); break;
    case YIELD_BY_SHIFT: row->shift = sqlite3_column_int(statement, column); break;
    case YIELD_BY_STATION: row->station_id = sql_column_text(statement, column); break;
    case YIELD_BY_OPERATOR: row->operator_name = sql_column_text(statement, column); break;
    }
    column++;
  }
  read_counts(statement, column, row);
  return row;
}

/* Adds a row's counts to the total and recomputes its yields. */
static void add_to_total(YieldRow *total, const YieldRow *row)
{
  total->boards += row->boards;
  total->first_pass += row->first_pass;
  total->final_pass += row->final_pass;
  total->retests += row->retests;
  total->station_errors += row->station_errors;
  total->first_pass_yield = total->boards ? (double)total->first_pass / total->boards : NAN;
  total->final_yield = total->boards ? (double)total->final_pass / total->boards : NAN;
}

GPtrArray *report_yield(Store *store, const ReportFilter *filter, YieldGrouping grouping,
                        YieldRow *total, GError **error)
{
  g_return_val_if_fail(store != NULL && filter != NULL, NULL);
  g_autofree char *sql = yield_sql(grouping);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify)yield_row_free);
  YieldRow sum = {.first_pass_yield = NAN, .final_yield = NAN};
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store, sql, &statement, "computing the yield", error)) {
    report_bind_filter(statement, filter);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      YieldRow *row = read_row(statement, grouping);
      if (row->boards == 0 && row->retests == 0 && row->station_errors == 0) {
        yield_row_free(row);        /* the sums of an empty selection */
        continue;
      }
      add_to_total(&sum, row);
      g_ptr_array_add(rows, row);
    }
    ok = rc == SQLITE_DONE;
    if (!ok)
      store_set_sql_error(store, error, rc, "computing the yield");
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  if (ok && total)
    *total = sum;
  return ok ? g_steal_pointer(&rows) : NULL;
}
