/* The quality view's reports, run off the main thread: a GTask worker opens its own Store on
 * the database path and runs the db/report.h queries the view shows (yield by model with the
 * total, first-pass yield by production day and by shift, the failure Pareto, the numeric measurements and one's
 * statistics). The query owns copies of all it needs; the result is plain report structs. */
#pragma once
#include <gio/gio.h>
#include "db/report.h"

typedef struct QualityQuery QualityQuery;

typedef struct {
  GPtrArray *by_model;          /* YieldRow*, one per model */
  YieldRow total;               /* over every model */
  GPtrArray *by_day;            /* YieldRow*, one per production day */
  GPtrArray *by_shift;          /* YieldRow*, one per production day and shift */
  ParetoKind pareto_kind;
  GPtrArray *pareto;            /* ParetoRow*, most frequent first */
  gint64 failing_runs;
  GPtrArray *measurements;      /* char*, numeric measurement names */
  MeasurementStats *stats;      /* of the chosen measurement, NULL when none */
  char *stats_error;            /* why there are no statistics, NULL when there are */
} QualityResult;

/* A query of the runs a filter selects (copied: its strings and bounds). measurement: whose
 * statistics, NULL or not among the numeric ones: the first of them. */
QualityQuery *quality_query_new(const char *db_path, const ReportFilter *filter,
                                ParetoKind pareto_kind, const char *measurement, guint bins);
void quality_query_free(QualityQuery *query);
/* Runs the query on a worker thread (taking it); the callback runs in the caller's main
 * context. */
void quality_query_run_async(QualityQuery *query, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data);
/* The reports, or NULL with the store's or a report's error. */
QualityResult *quality_query_finish(GAsyncResult *result, GError **error);
void quality_result_free(QualityResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QualityResult, quality_result_free)
