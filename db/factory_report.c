/* The yield and the failure Pareto over the factory database (factory.h), by the rules of
 * db/report.h, over the runs of every station: a board's verdict runs in order of start
 * (then station and the station's run id, which is the local order for one station's runs),
 * each run attributed to its production day, shift, model, station, fixture, operator and
 * order as the stations' yield summary attributes it. The yield is summed from the factory's
 * own summary of those cells (yield_cells, factory schema 3, kept up to date as runs arrive),
 * the Pareto counted from the failing runs. Text is ordered by byte (COLLATE "C"), as SQLite
 * orders it. */
#include "db/factory_private.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The filter on a cell, $1..$7 as db/report_sql.h's ?1..?7; the dates select production days
 * as the stations' yield report does. */
#define CELL_FILTER_SQL                                                                       \
  "($1::text IS NULL OR model = $1) AND ($2::text IS NULL OR station_id = $2) AND "          \
  "($3::text IS NULL OR fixture_id = $3) AND ($4::text IS NULL OR operator = $4) AND "       \
  "($5::text IS NULL OR order_id = $5) AND ($6::text IS NULL OR day >= substr($6, 1, 10)) " \
  "AND ($7::text IS NULL OR day < substr($7, 1, 10))"

/* The filter on a runs row r, as REPORT_RUN_FILTER_SQL. */
#define RUN_FILTER_SQL                                                                        \
  "($1::text IS NULL OR r.model = $1) AND ($2::text IS NULL OR r.station_id = $2) AND "      \
  "($3::text IS NULL OR r.fixture_id = $3) AND ($4::text IS NULL OR r.operator = $4) AND "   \
  "($5::text IS NULL OR r.order_id = $5) AND "                                               \
  "($6::text IS NULL OR r.started_at >= $6::timestamptz) AND "                               \
  "($7::text IS NULL OR r.started_at < $7::timestamptz) AND r.purpose = 'eol'"

static const struct {
  YieldGrouping flag;
  const char *column;           /* selected and grouped by */
  const char *order;            /* ordered by */
} GROUP_COLUMNS[] = {
  {YIELD_BY_MODEL, "model", "model COLLATE \"C\""},
  {YIELD_BY_DAY, "day", "day COLLATE \"C\""},
  {YIELD_BY_SHIFT, "shift", "shift"},
  {YIELD_BY_STATION, "station_id", "station_id COLLATE \"C\""},
  {YIELD_BY_OPERATOR, "operator", "operator COLLATE \"C\""},
};

static char *yield_sql(YieldGrouping grouping)
{
  g_autoptr(GString) columns = g_string_new("");
  g_autoptr(GString) order = g_string_new("");
  for (guint i = 0; i < G_N_ELEMENTS(GROUP_COLUMNS); i++)
    if (grouping & GROUP_COLUMNS[i].flag) {
      g_string_append_printf(columns, "%s, ", GROUP_COLUMNS[i].column);
      g_string_append_printf(order, "%s%s", order->len ? ", " : "", GROUP_COLUMNS[i].order);
    }
  g_autoptr(GString) sql = g_string_new("");
  g_string_append_printf(sql, "SELECT %ssum(boards), sum(first_pass), sum(final_pass), "
                         "sum(retests), sum(station_errors) FROM yield_cells WHERE "
                         CELL_FILTER_SQL, columns->str);
  if (columns->len) {
    g_string_truncate(columns, columns->len - 2);
    g_string_append_printf(sql, " GROUP BY %s ORDER BY %s", columns->str, order->str);
  }
  return g_string_free(g_steal_pointer(&sql), FALSE);
}

void factory_explain_reports(FactoryDb *factory)
{
  if (factory->plans == NULL)
    factory->plans = g_string_new("");
}

const char *factory_report_plans(FactoryDb *factory)
{
  return factory->plans ? factory->plans->str : NULL;
}

/* Runs a report query with the filter's seven parameters (as an unnamed statement, planned
 * for their values); when explaining, runs it as EXPLAIN first and keeps the plan. */
static PGresult *run_query(FactoryDb *factory, const char *sql, const ReportFilter *filter,
                           const char *doing, GError **error)
{
  const char *values[7] = {filter->model, filter->station_id, filter->fixture_id,
                           filter->operator_name, filter->order_id, filter->from, filter->to};
  if (factory->plans) {
    g_autofree char *explain = g_strconcat("EXPLAIN (ANALYZE, BUFFERS) ", sql, NULL);
    PGresult *plan = PQexecParams(factory->conn, explain, 7, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(plan) != PGRES_TUPLES_OK) {
      factory_set_error(factory, error, plan, doing);
      PQclear(plan);
      return NULL;
    }
    for (int r = 0; r < PQntuples(plan); r++)
      g_string_append_printf(factory->plans, "%s\n", PQgetvalue(plan, r, 0));
    PQclear(plan);
  }
  PGresult *result = PQexecParams(factory->conn, sql, 7, NULL, values, NULL, NULL, 0);
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    factory_set_error(factory, error, result, doing);
    PQclear(result);
    return NULL;
  }
  return result;
}

static gint64 int_value(const PGresult *result, int row, int column)
{
  return PQgetisnull(result, row, column) ? 0
                                          : g_ascii_strtoll(PQgetvalue(result, row, column),
                                                            NULL, 10);
}

static char *text_value(const PGresult *result, int row, int column)
{
  return PQgetisnull(result, row, column) ? NULL : g_strdup(PQgetvalue(result, row, column));
}

static void yield_row_free(YieldRow *row)
{
  yield_row_clear(row);
  g_free(row);
}

static void set_yields(YieldRow *row)
{
  row->first_pass_yield = row->boards ? (double)row->first_pass / row->boards : NAN;
  row->final_yield = row->boards ? (double)row->final_pass / row->boards : NAN;
}

GPtrArray *factory_report_yield(FactoryDb *factory, const ReportFilter *filter,
                                YieldGrouping grouping, YieldRow *total, GError **error)
{
  g_return_val_if_fail(factory != NULL && filter != NULL, NULL);
  g_autofree char *sql = yield_sql(grouping);
  PGresult *result = run_query(factory, sql, filter, "computing the yield", error);
  if (result == NULL)
    return NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)yield_row_free);
  YieldRow sum = {0};
  for (int r = 0; r < PQntuples(result); r++) {
    YieldRow *row = g_new0(YieldRow, 1);
    int column = 0;
    for (guint i = 0; i < G_N_ELEMENTS(GROUP_COLUMNS); i++) {
      if (!(grouping & GROUP_COLUMNS[i].flag))
        continue;
      switch (GROUP_COLUMNS[i].flag) {
      case YIELD_BY_MODEL: row->model = text_value(result, r, column); break;
      case YIELD_BY_DAY: row->day = text_value(result, r, column); break;
      case YIELD_BY_SHIFT: row->shift = (int)int_value(result, r, column); break;
      case YIELD_BY_STATION: row->station_id = text_value(result, r, column); break;
      case YIELD_BY_OPERATOR: row->operator_name = text_value(result, r, column); break;
      }
      column++;
    }
    row->boards = int_value(result, r, column);
    row->first_pass = int_value(result, r, column + 1);
    row->final_pass = int_value(result, r, column + 2);
    row->retests = int_value(result, r, column + 3);
    row->station_errors = int_value(result, r, column + 4);
    set_yields(row);
    if (row->boards == 0 && row->retests == 0 && row->station_errors == 0) {
      yield_row_free(row);      /* the sums of an empty selection */
      continue;
    }
    sum.boards += row->boards;
    sum.first_pass += row->first_pass;
    sum.final_pass += row->final_pass;
    sum.retests += row->retests;
    sum.station_errors += row->station_errors;
    g_ptr_array_add(rows, row);
  }
  PQclear(result);
  set_yields(&sum);
  if (total)
    *total = sum;
  return rows;
}

/* The counts per cause, then the number of failing runs as a row named NULL. */
static const char PARETO_BY_STEP_SQL[] =
  "SELECT * FROM (SELECT coalesce(r.first_failure, '(none recorded)') AS name, count(*) AS n "
  "FROM runs AS r WHERE r.outcome = 'FAIL' AND " RUN_FILTER_SQL " GROUP BY 1 "
  "UNION ALL SELECT NULL, count(*) FROM runs AS r WHERE r.outcome = 'FAIL' AND "
  RUN_FILTER_SQL ") AS counts ORDER BY n DESC, name COLLATE \"C\" NULLS FIRST";

static const char PARETO_BY_MEASUREMENT_SQL[] =
  "WITH failing AS (SELECT r.id FROM runs AS r WHERE r.outcome = 'FAIL' AND "
  RUN_FILTER_SQL ") "
  "SELECT * FROM (SELECT m.name AS name, count(DISTINCT m.run_id) AS n FROM failing AS f "
  "JOIN measurements AS m ON m.run_id = f.id AND m.outcome = 'FAIL' GROUP BY m.name "
  "UNION ALL SELECT NULL, count(*) FROM failing) AS counts "
  "ORDER BY n DESC, name COLLATE \"C\" NULLS FIRST";

static void pareto_row_free(ParetoRow *row)
{
  g_free(row->name);
  g_free(row);
}

GPtrArray *factory_report_pareto(FactoryDb *factory, const ReportFilter *filter,
                                 ParetoKind kind, gint64 *failing_runs, GError **error)
{
  g_return_val_if_fail(factory != NULL && filter != NULL, NULL);
  PGresult *result = run_query(factory, kind == PARETO_BY_STEP ? PARETO_BY_STEP_SQL
                                                               : PARETO_BY_MEASUREMENT_SQL,
                               filter, "computing the failure Pareto", error);
  if (result == NULL)
    return NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)pareto_row_free);
  gint64 failing = 0;
  for (int r = 0; r < PQntuples(result); r++) {
    if (PQgetisnull(result, r, 0)) {
      failing = int_value(result, r, 1);
      continue;
    }
    ParetoRow *row = g_new0(ParetoRow, 1);
    row->name = text_value(result, r, 0);
    row->count = int_value(result, r, 1);
    g_ptr_array_add(rows, row);
  }
  PQclear(result);
  report_pareto_shares(rows, failing);
  if (failing_runs)
    *failing_runs = failing;
  return rows;
}
