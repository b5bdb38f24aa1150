/* An individuals / moving-range (I-MR) control chart drawn with GTK's snapshot and Cairo:
 * the values in run order with their centre line and control limits above, the moving
 * ranges with theirs below, points flagged out of control drawn red. Plain arrays in; the
 * limits and the flags are the caller's (the report computes them). */
#pragma once
#include <gtk/gtk.h>

#define CONTROL_TYPE_CHART (control_chart_get_type())
G_DECLARE_FINAL_TYPE(ControlChart, control_chart, CONTROL, CHART, GtkWidget)

/* One chart's centre line and limits; NAN where there is none. */
typedef struct {
  double center, ucl, lcl;
} ControlLimits;

ControlChart *control_chart_new(void);
/* n points (copied): values, moving ranges (NAN for the first) and whether each is out of
 * control; the I chart's and the MR chart's limits; the unit for the axes. n 0 clears. */
void control_chart_set(ControlChart *chart, const char *title, const char *unit, guint n,
                       const double *values, const double *moving_ranges,
                       const gboolean *flagged, const ControlLimits *individuals,
                       const ControlLimits *moving_range);
void control_chart_set_empty_text(ControlChart *chart, const char *text);
guint control_chart_get_n_points(ControlChart *chart);
/* Points drawn red. */
guint control_chart_get_n_flagged(ControlChart *chart);
