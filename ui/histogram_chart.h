/* A measurement's histogram drawn with GTK's snapshot and Cairo: equal-width bins over a
 * value range, the lower and upper specification limits as red lines with their names, the
 * mean as a green line, and the value axis in the measurement's unit. Plain arrays in. */
#pragma once
#include <gtk/gtk.h>

#define HISTOGRAM_TYPE_CHART (histogram_chart_get_type())
G_DECLARE_FINAL_TYPE(HistogramChart, histogram_chart, HISTOGRAM, CHART, GtkWidget)

HistogramChart *histogram_chart_new(void);
/* bins counts from `from` to `to` (copied); low, high: the limits, NAN: none; the mean;
 * title and unit for the axes. bins 0 clears the chart. */
void histogram_chart_set(HistogramChart *chart, const char *title, const char *unit,
                         double from, double to, guint bins, const gint64 *counts, double low,
                         double high, double mean);
void histogram_chart_set_empty_text(HistogramChart *chart, const char *text);
/* What the chart holds, for tests: the bins and the count of one. */
guint histogram_chart_get_bins(HistogramChart *chart);
gint64 histogram_chart_get_count(HistogramChart *chart, guint bin);
