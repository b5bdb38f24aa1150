/* The quality engineer's view: a filter bar (model, station, fixture, operator, order,
 * from / to dates, Apply or Enter), the yield table by model with its total, the first-pass
 * yield trend by production day and by shift (as `station report yield` defines them), the
 * failure Pareto (by first failing step or by failing measurement), and one numeric
 * measurement's histogram with its limits, n, mean, sigma, Cp and Cpk, and its I-MR control
 * chart. Every number comes from db/report.h, queried on a worker thread with its own
 * connection, and is printed as `station report` prints it; the texts shown are readable
 * here so tests compare them. */
#pragma once
#include <gtk/gtk.h>
#include "sequences/catalog.h"
#include "ui/bar_chart.h"
#include "ui/control_chart.h"
#include "ui/histogram_chart.h"

#define QUALITY_TYPE_VIEW (quality_view_get_type())
G_DECLARE_FINAL_TYPE(QualityView, quality_view, QUALITY, VIEW, GtkWidget)

/* A view of the database at db_path; the catalog (borrowed, outlives the view) gives the
 * models to filter by. The first query starts at once. */
QualityView *quality_view_new(const Catalog *catalog, const char *db_path);

/* What a person types into the filter bar: field is "station", "fixture", "operator",
 * "order", "from" or "to" (text), or "model" (a catalog name, NULL or "" for all models).
 * Apply with the quality.apply action (the Apply button) or Enter in a field (the entries
 * are named "filter-" + the field: "filter-station", "filter-fixture" ...; the model chooser
 * "filter-model", then "apply", "yield-table", "pareto-by-step", "pareto-by-measurement" and
 * "measurement", in Tab order). */
void quality_view_set_filter(QualityView *view, const char *field, const char *text);
/* The Pareto toggle and the measurement chooser; each queries again. */
void quality_view_set_pareto_kind(QualityView *view, gboolean by_measurement);
gboolean quality_view_choose_measurement(QualityView *view, const char *name);

/* A query is running (the view shows the previous results until it ends); "refreshed" is
 * emitted when one has ended, shown or failed. */
gboolean quality_view_is_busy(QualityView *view);

/* Texts as shown. The yield table: row 0 the header, then one row per model, the total
 * last; columns model, boards, first-pass yield, final yield, retests, station errors. */
guint quality_view_yield_rows(QualityView *view);
const char *quality_view_yield_cell(QualityView *view, guint row, guint column);
/* The line over the Pareto chart and the statistics line over the histogram. */
const char *quality_view_pareto_text(QualityView *view);
const char *quality_view_stats_text(QualityView *view);
/* What went wrong with the filter or the database in one sentence, "" when nothing. */
const char *quality_view_error_text(QualityView *view);
/* The charts, for their own accessors. */
BarChart *quality_view_trend_chart(QualityView *view);
/* Bars "YYYY-MM-DD Sn": the production day and shift, in time order. */
BarChart *quality_view_shift_trend_chart(QualityView *view);
BarChart *quality_view_pareto_chart(QualityView *view);
HistogramChart *quality_view_histogram(QualityView *view);
ControlChart *quality_view_control_chart(QualityView *view);
