/* The quality view's worker (see quality_query.h). */
#include "ui/quality_query.h"
#include <math.h>
#include <string.h>

struct QualityQuery {
  char *db_path;
  char *model, *station_id, *fixture_id, *operator_name, *order_id;
  char *from, *to;              /* store-format bounds, NULL: open */
  ParetoKind pareto_kind;
  char *measurement;
  guint bins;
};

QualityQuery *quality_query_new(const char *db_path, const ReportFilter *filter,
                                ParetoKind pareto_kind, const char *measurement, guint bins)
{
  QualityQuery *query = g_new0(QualityQuery, 1);
  query->db_path = g_strdup(db_path);
  query->model = g_strdup(filter->model);
  query->station_id = g_strdup(filter->station_id);
  query->fixture_id = g_strdup(filter->fixture_id);
  query->operator_name = g_strdup(filter->operator_name);
  query->order_id = g_strdup(filter->order_id);
  query->from = g_strdup(filter->from);
  query->to = g_strdup(filter->to);
  query->pareto_kind = pareto_kind;
  query->measurement = g_strdup(measurement);
  query->bins = bins;
  return query;
}

void quality_query_free(QualityQuery *query)
{
  if (query == NULL)
    return;
  char *strings[] = {query->db_path, query->model, query->station_id, query->fixture_id,
                     query->operator_name, query->order_id, query->from, query->to,
                     query->measurement};
  for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
    g_free(strings[i]);
  g_free(query);
}

void quality_result_free(QualityResult *result)
{
  if (result == NULL)
    return;
  g_clear_pointer(&result->by_model, g_ptr_array_unref);
  yield_row_clear(&result->total);
  g_clear_pointer(&result->by_day, g_ptr_array_unref);
  g_clear_pointer(&result->by_shift, g_ptr_array_unref);
  g_clear_pointer(&result->pareto, g_ptr_array_unref);
  g_clear_pointer(&result->measurements, g_ptr_array_unref);
  g_clear_pointer(&result->stats, measurement_stats_free);
  g_free(result->stats_error);
  g_free(result);
}

/* Whether statistics are worth a capability study: both limits, a spread, two values. */
static gboolean has_capability(const MeasurementStats *stats)
{
  return stats->n >= 2 && !isnan(stats->cpk) && !isnan(stats->cp);
}

/* The chosen measurement's statistics; without a choice (or one the selection lacks), those
 * of the first measurement with limits and a spread, taking first the ones that fail most
 * (what a quality engineer looks at first), then the others by name; at most
 * DEFAULT_TRIES of them are read. NULL with *why when there is none. */
#define DEFAULT_TRIES 20
static MeasurementStats *pick_stats(Store *store, const ReportFilter *filter,
                                    const QualityQuery *query, GPtrArray *names,
                                    GPtrArray *failing, char **why, GError **error)
{
  g_autoptr(GPtrArray) order = g_ptr_array_new();
  g_autoptr(GHashTable) numeric = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < names->len; i++)
    g_hash_table_add(numeric, names->pdata[i]);
  gboolean chosen = query->measurement && g_hash_table_contains(numeric, query->measurement);
  if (chosen) {
    g_ptr_array_add(order, query->measurement);
  } else {
    for (guint i = 0; i < failing->len; i++) {
      const ParetoRow *row = g_ptr_array_index(failing, i);
      if (g_hash_table_remove(numeric, row->name))
        g_ptr_array_add(order, row->name);
    }
    for (guint i = 0; i < names->len; i++)
      if (g_hash_table_remove(numeric, names->pdata[i]))
        g_ptr_array_add(order, names->pdata[i]);
  }
  MeasurementStats *fallback = NULL;
  for (guint i = 0; i < MIN(order->len, DEFAULT_TRIES); i++) {
    g_autoptr(GError) stats_error = NULL;
    MeasurementStats *stats = report_stats(store, filter, order->pdata[i], query->bins,
                                           &stats_error);
    if (stats == NULL && g_error_matches(stats_error, STORE_ERROR, STORE_ERROR_SQL)) {
      g_propagate_error(error, g_steal_pointer(&stats_error));
      measurement_stats_free(fallback);
      return NULL;
    }
    if (stats == NULL) {      /* a measurement without values is the view's to say */
      if (*why == NULL)
        *why = g_strdup(stats_error->message);
      continue;
    }
    if (chosen || has_capability(stats)) {
      measurement_stats_free(fallback);
      g_clear_pointer(why, g_free);
      return stats;
    }
    if (fallback == NULL)
      fallback = stats;
    else
      measurement_stats_free(stats);
  }
  if (fallback)
    g_clear_pointer(why, g_free);
  else if (*why == NULL)
    *why = g_strdup("No numeric measurement in the selected runs.");
  return fallback;
}

/* Every report of the view, in one connection; FALSE at the first that fails. */
static gboolean run_reports(Store *store, const QualityQuery *query, QualityResult *result,
                            GCancellable *cancellable, GError **error)
{
  ReportFilter filter = {
    .model = query->model, .station_id = query->station_id, .fixture_id = query->fixture_id,
    .operator_name = query->operator_name, .order_id = query->order_id,
    .from = query->from, .to = query->to,
  };
  result->pareto_kind = query->pareto_kind;
  if (!(result->by_model = report_yield(store, &filter, YIELD_BY_MODEL, &result->total, error)) ||
      g_cancellable_set_error_if_cancelled(cancellable, error) ||
      !(result->by_day = report_yield(store, &filter, YIELD_BY_DAY, NULL, error)) ||
      g_cancellable_set_error_if_cancelled(cancellable, error) ||
      !(result->by_shift = report_yield(store, &filter, YIELD_BY_DAY | YIELD_BY_SHIFT, NULL,
                                        error)) ||
      g_cancellable_set_error_if_cancelled(cancellable, error) ||
      !(result->pareto = report_pareto(store, &filter, query->pareto_kind,
                                       &result->failing_runs, error)) ||
      g_cancellable_set_error_if_cancelled(cancellable, error) ||
      !(result->measurements = report_measurement_names(store, &filter, error)) ||
      g_cancellable_set_error_if_cancelled(cancellable, error))
    return FALSE;
  g_autoptr(GPtrArray) failing = result->pareto_kind == PARETO_BY_MEASUREMENT
      ? g_ptr_array_ref(result->pareto)
      : report_pareto(store, &filter, PARETO_BY_MEASUREMENT, NULL, error);
  if (failing == NULL)
    return FALSE;
  GError *stats_error = NULL;
  result->stats = pick_stats(store, &filter, query, result->measurements, failing,
                             &result->stats_error, &stats_error);
  if (stats_error) {
    g_propagate_error(error, stats_error);
    return FALSE;
  }
  return TRUE;
}

static void query_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const QualityQuery *query = data;
  GError *error = NULL;
  g_autoptr(Store) store = store_open(query->db_path, &error);
  if (store == NULL) {
    g_task_return_error(task, error);
    return;
  }
  QualityResult *result = g_new0(QualityResult, 1);
  if (!run_reports(store, query, result, cancellable, &error)) {
    quality_result_free(result);
    g_task_return_error(task, error);
    return;
  }
  g_task_return_pointer(task, result, (GDestroyNotify)quality_result_free);
}

void quality_query_run_async(QualityQuery *query, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
  g_task_set_source_tag(task, quality_query_run_async);
  g_task_set_task_data(task, query, (GDestroyNotify)quality_query_free);
  g_task_run_in_thread(task, query_thread);
}

QualityResult *quality_query_finish(GAsyncResult *result, GError **error)
{
  g_return_val_if_fail(g_task_is_valid(result, NULL), NULL);
  return g_task_propagate_pointer(G_TASK(result), error);
}
