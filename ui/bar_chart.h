/* A bar chart drawn with GTK's snapshot and Cairo: one bar per category with its value text
 * above it and its name below (turned when the names are long), and optionally a cumulative
 * share line on a 0-100 % axis at the right (a Pareto chart). It takes plain arrays and knows
 * nothing of where they come from. */
#pragma once
#include <gtk/gtk.h>

#define BAR_TYPE_CHART (bar_chart_get_type())
G_DECLARE_FINAL_TYPE(BarChart, bar_chart, BAR, CHART, GtkWidget)

BarChart *bar_chart_new(const char *title, const char *y_title);
/* n bars: names, values and the texts shown above them (copied; value_texts may be NULL:
 * none). cumulative: n shares 0..1 drawn as a line with its own axis, NULL: none. value_max:
 * the top of the value axis (e.g. 100 for percentages), NAN: from the values. */
void bar_chart_set_bars(BarChart *chart, guint n, const char *const *names,
                        const double *values, const char *const *value_texts,
                        const double *cumulative, double value_max);
/* Shown in place of the bars when there are none. */
void bar_chart_set_empty_text(BarChart *chart, const char *text);
guint bar_chart_get_n_bars(BarChart *chart);
/* A bar's name and the text above it, as drawn (NULL past the end). */
const char *bar_chart_get_name(BarChart *chart, guint index);
const char *bar_chart_get_value_text(BarChart *chart, guint index);
