/* Measurement statistics: one numeric measurement over the selected runs, in run order, with
 * its mean, spread, capability against the limits, a histogram and an individuals / moving
 * range (I-MR) control chart. The values are read once; the arithmetic is done here. Control
 * limits: X̄ ± 2.66·MR̄ and MR UCL 3.267·MR̄ (d2 = 1.128 and D4 = 3.267 for moving ranges of
 * two); a point is out of control when its value or its moving range is beyond them. */
#include "db/report.h"
#include "db/report_sql.h"
#include "db/store_sql.h"
#include <math.h>
#include <string.h>

#define D2_MOVING_RANGE 1.128
#define D4_MOVING_RANGE 3.267

/* The series in the index's order (by run id); run order (started_at, run id, measurement
 * id) is restored here, which is almost always a check only: runs are stored as they start. */
static const char STATS_SQL[] =
  "SELECT r.id, r.serial, r.started_at, m.value, m.low, m.high, m.unit, m.id "
  "FROM measurements AS m INDEXED BY measurements_series CROSS JOIN runs AS r ON r.id = m.run_id "
  "WHERE m.name = ?8 AND m.value IS NOT NULL AND " REPORT_RUN_FILTER_SQL;

/* One value as read, with what puts it in run order and its limits. */
typedef struct {
  ControlPoint point;
  gint64 measurement_id;
  double low, high;
  guint unit;                   /* index in the distinct units read */
} SeriesValue;

static int compare_run_order(gconstpointer a, gconstpointer b)
{
  const SeriesValue *x = a, *y = b;
  int by_time = strcmp(x->point.started_at, y->point.started_at);
  if (by_time)
    return by_time;
  if (x->point.run_id != y->point.run_id)
    return x->point.run_id < y->point.run_id ? -1 : 1;
  return (x->measurement_id > y->measurement_id) - (x->measurement_id < y->measurement_id);
}

/* The index of text in the distinct strings seen so far, added when new (the last one is
 * tried first: a measurement keeps its unit). */
static guint distinct_text(GPtrArray *seen, const unsigned char *text)
{
  const char *wanted = text ? (const char *)text : "";
  for (guint i = seen->len; i-- > 0;)
    if (strcmp(g_ptr_array_index(seen, i), wanted) == 0)
      return i;
  g_ptr_array_add(seen, g_strdup(wanted));
  return seen->len - 1;
}

/* Whether the pair of limits (NAN: none) is one already seen, bit for bit; adds it if not. */
static void count_limit_set(GArray *sets, double low, double high)
{
  double pair[2] = {low, high};
  for (guint i = sets->len / 2; i-- > 0;)
    if (memcmp(&g_array_index(sets, double, 2 * i), pair, sizeof pair) == 0)
      return;
  g_array_append_vals(sets, pair, 2);
}

static void control_point_clear(gpointer data)
{
  ControlPoint *point = data;
  g_free(point->serial);
  g_free(point->started_at);
}

void measurement_stats_free(MeasurementStats *stats)
{
  if (stats == NULL)
    return;
  g_free(stats->name);
  g_free(stats->unit);
  g_free(stats->counts);
  if (stats->points)
    g_array_unref(stats->points);
  g_free(stats);
}

/* Reads the values in run order into stats->points, the latest limits and the first unit,
 * and how many limit pairs were seen. */
static gboolean read_values(Store *store, const ReportFilter *filter, MeasurementStats *stats,
                            GError **error)
{
  const char *doing = "reading measurement values";
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, STATS_SQL, &statement, doing, error))
    return FALSE;
  report_bind_filter(statement, filter);
  sql_bind_text(statement, 8, stats->name);
  g_autoptr(GArray) values = g_array_new(FALSE, FALSE, sizeof(SeriesValue));
  g_autoptr(GPtrArray) units = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GArray) limit_sets = g_array_new(FALSE, FALSE, sizeof(double));
  gboolean in_order = TRUE;
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    SeriesValue value = {
      .point = {.run_id = sqlite3_column_int64(statement, 0),
                .serial = sql_column_text(statement, 1),
                .started_at = sql_column_text(statement, 2),
                .value = sqlite3_column_double(statement, 3)},
      .low = sql_column_number(statement, 4),
      .high = sql_column_number(statement, 5),
      .unit = distinct_text(units, sqlite3_column_text(statement, 6)),
      .measurement_id = sqlite3_column_int64(statement, 7),
    };
    count_limit_set(limit_sets, value.low, value.high);
    g_array_append_val(values, value);
    in_order = in_order && (values->len == 1 ||
                            compare_run_order(&g_array_index(values, SeriesValue,
                                                             values->len - 2), &value) < 0);
  }
  sqlite3_finalize(statement);
  if (!in_order)
    g_array_sort(values, compare_run_order);
  g_array_set_size(stats->points, values->len);
  for (guint i = 0; i < values->len; i++)
    g_array_index(stats->points, ControlPoint, i) = g_array_index(values, SeriesValue, i).point;
  if (values->len) {
    const SeriesValue *latest = &g_array_index(values, SeriesValue, values->len - 1);
    stats->low = latest->low;
    stats->high = latest->high;
    stats->unit = g_strdup(g_ptr_array_index(units,
                                             g_array_index(values, SeriesValue, 0).unit));
  }
  stats->limit_sets = limit_sets->len / 2;
  if (rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

/* Up to ten names of numeric measurements near `name` (containing it, else the first ones),
 * comma-separated (freeing), for an error message. */
static char *known_names(Store *store, const char *name, gboolean *is_textual)
{
  g_autoptr(GString) names = g_string_new("");
  sqlite3_stmt *statement = NULL;
  *is_textual = FALSE;
  if (sqlite3_prepare_v2(store->db, "SELECT count(*) FROM measurements WHERE name = ?1",
                         -1, &statement, NULL) == SQLITE_OK) {
    sql_bind_text(statement, 1, name);
    *is_textual = sqlite3_step(statement) == SQLITE_ROW && sqlite3_column_int(statement, 0);
  }
  sqlite3_finalize(statement);
  statement = NULL;
  if (sqlite3_prepare_v2(store->db,
                         "SELECT name FROM (SELECT DISTINCT name FROM measurements) "
                         "ORDER BY instr(lower(name), lower(?1)) = 0, name LIMIT 10",
                         -1, &statement, NULL) == SQLITE_OK) {
    sql_bind_text(statement, 1, name);
    while (sqlite3_step(statement) == SQLITE_ROW)
      g_string_append_printf(names, "%s%s", names->len ? ", " : "",
                             (const char *)sqlite3_column_text(statement, 0));
  }
  sqlite3_finalize(statement);
  return g_string_free(g_steal_pointer(&names), FALSE);
}

/* Mean, sigma, extremes, the moving ranges and the counts outside the limits. */
static void describe(MeasurementStats *stats)
{
  GArray *points = stats->points;
  double sum = 0, moving_sum = 0;
  stats->min = INFINITY;
  stats->max = -INFINITY;
  for (guint i = 0; i < points->len; i++) {
    ControlPoint *p = &g_array_index(points, ControlPoint, i);
    sum += p->value;
    stats->min = MIN(stats->min, p->value);
    stats->max = MAX(stats->max, p->value);
    p->moving_range = i ? fabs(p->value - g_array_index(points, ControlPoint, i - 1).value)
                        : NAN;
    if (i)
      moving_sum += p->moving_range;
    stats->below_low += !isnan(stats->low) && p->value < stats->low;
    stats->above_high += !isnan(stats->high) && p->value > stats->high;
  }
  stats->mean = sum / stats->n;
  double squares = 0;
  for (guint i = 0; i < points->len; i++) {
    double d = g_array_index(points, ControlPoint, i).value - stats->mean;
    squares += d * d;
  }
  stats->sigma = stats->n > 1 ? sqrt(squares / (stats->n - 1)) : NAN;
  stats->mr_center = stats->n > 1 ? moving_sum / (stats->n - 1) : NAN;
  stats->sigma_within = stats->mr_center / D2_MOVING_RANGE;
}

/* Cp and Cpk of a sigma against the limits (NAN where a limit or sigma is missing). */
static void capability(const MeasurementStats *stats, double sigma, double *cp, double *cpk)
{
  gboolean usable = !isnan(sigma) && sigma > 0;
  double upper = usable && !isnan(stats->high) ? (stats->high - stats->mean) / (3 * sigma) : NAN;
  double lower = usable && !isnan(stats->low) ? (stats->mean - stats->low) / (3 * sigma) : NAN;
  *cp = usable && !isnan(stats->low) && !isnan(stats->high)
            ? (stats->high - stats->low) / (6 * sigma) : NAN;
  *cpk = isnan(upper) ? lower : isnan(lower) ? upper : MIN(upper, lower);
}

/* Bins from the smaller of min and the low limit to the larger of max and the high limit. */
static void histogram(MeasurementStats *stats, guint bins)
{
  stats->bins = bins;
  stats->counts = g_new0(gint64, bins);
  stats->hist_low = isnan(stats->low) ? stats->min : MIN(stats->min, stats->low);
  stats->hist_high = isnan(stats->high) ? stats->max : MAX(stats->max, stats->high);
  double width = (stats->hist_high - stats->hist_low) / bins;
  for (guint i = 0; i < stats->points->len; i++) {
    double value = g_array_index(stats->points, ControlPoint, i).value;
    guint bin = width > 0 ? (guint)((value - stats->hist_low) / width) : 0;
    stats->counts[MIN(bin, bins - 1)]++;
  }
}

/* The I-MR chart's limits and the points beyond them. */
static void control_chart(MeasurementStats *stats)
{
  stats->i_center = stats->mean;
  stats->i_ucl = stats->mean + 3 * stats->sigma_within;
  stats->i_lcl = stats->mean - 3 * stats->sigma_within;
  stats->mr_ucl = D4_MOVING_RANGE * stats->mr_center;
  for (guint i = 0; i < stats->points->len; i++) {
    ControlPoint *p = &g_array_index(stats->points, ControlPoint, i);
    p->out_of_control = !isnan(stats->sigma_within) &&
                        (p->value > stats->i_ucl || p->value < stats->i_lcl ||
                         (!isnan(p->moving_range) && p->moving_range > stats->mr_ucl));
    stats->out_of_control += p->out_of_control;
  }
}

MeasurementStats *report_stats(Store *store, const ReportFilter *filter, const char *name,
                               guint bins, GError **error)
{
  g_return_val_if_fail(store != NULL && filter != NULL && name != NULL, NULL);
  g_autoptr(MeasurementStats) stats = g_new0(MeasurementStats, 1);
  stats->name = g_strdup(name);
  stats->low = stats->high = NAN;
  stats->points = g_array_new(FALSE, TRUE, sizeof(ControlPoint));
  g_array_set_clear_func(stats->points, control_point_clear);

  g_mutex_lock(&store->lock);
  gboolean ok = read_values(store, filter, stats, error);
  if (ok && stats->points->len == 0) {
    gboolean is_textual;
    g_autofree char *names = known_names(store, name, &is_textual);
    if (is_textual)
      g_set_error(error, REPORT_ERROR, REPORT_ERROR_NOT_NUMERIC,
                  "measurement '%s' has no numeric value in the selected runs (it is textual, "
                  "or the filters leave none); measurements include: %s", name, names);
    else
      g_set_error(error, REPORT_ERROR, REPORT_ERROR_UNKNOWN,
                  "there is no measurement named '%s' in %s; measurements include: %s", name,
                  store->path, *names ? names : "(none stored yet)");
    ok = FALSE;
  }
  g_mutex_unlock(&store->lock);
  if (!ok)
    return NULL;

  stats->n = stats->points->len;
  describe(stats);
  capability(stats, stats->sigma_within, &stats->cp, &stats->cpk);
  capability(stats, stats->sigma, &stats->pp, &stats->ppk);
  histogram(stats, bins ? bins : 20);
  control_chart(stats);
  return g_steal_pointer(&stats);
}
