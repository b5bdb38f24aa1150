/* The I-MR control chart (see control_chart.h). */
#include "ui/control_chart.h"
#include "ui/chart_frame.h"
#include <math.h>

struct _ControlChart {
  GtkWidget parent_instance;
  char *title, *unit, *empty_text;
  GArray *values;               /* double, in run order, in the unit */
  GArray *moving_ranges;        /* double, NAN for the first */
  GArray *flagged;              /* gboolean */
  ControlLimits individuals, moving_range;
};

G_DEFINE_FINAL_TYPE(ControlChart, control_chart, GTK_TYPE_WIDGET)

/* The scale of a series and its limits together. */
static void series_scale(GArray *series, const ControlLimits *limits, ChartScale *scale)
{
  double low = INFINITY, high = -INFINITY;
  for (guint i = 0; i < series->len; i++) {
    double v = g_array_index(series, double, i);
    if (!isnan(v)) {
      low = MIN(low, v);
      high = MAX(high, v);
    }
  }
  const double marks[] = {limits->center, limits->ucl, limits->lcl};
  for (guint i = 0; i < G_N_ELEMENTS(marks); i++)
    if (!isnan(marks[i])) {
      low = MIN(low, marks[i]);
      high = MAX(high, marks[i]);
    }
  if (!isfinite(low))
    low = high = 0;
  chart_scale_nice(low, high, 4, scale);
}

/* A limit line with its name and value at the right, the label at label_y. */
static void limit_line(GtkWidget *widget, cairo_t *cr, const ChartArea *area,
                       const ChartScale *scale, double value, const char *name, double label_y)
{
  if (isnan(value))
    return;
  char label[48];
  g_snprintf(label, sizeof label, "%s %.4g", name, value);
  chart_hline(widget, cr, area, chart_scale_y(scale, area, value), label, label_y);
}

/* The centre line and the limits, their labels moved apart when the lines are closer than a
 * line of text (a process far tighter than the axis, drawn with failing values). */
static void limit_lines(GtkWidget *widget, cairo_t *cr, const ChartArea *area,
                        const ChartScale *scale, const ControlLimits *limits,
                        const char *center_name)
{
  const double ROOM = 16;
  double center_y = chart_scale_y(scale, area, limits->center);
  double ucl_y = MIN(chart_scale_y(scale, area, limits->ucl), center_y - ROOM);
  double lcl_y = MAX(chart_scale_y(scale, area, limits->lcl), center_y + ROOM);
  cairo_set_source_rgb(cr, CHART_CENTER);
  limit_line(widget, cr, area, scale, limits->center, center_name, center_y);
  cairo_set_source_rgb(cr, CHART_LIMIT);
  limit_line(widget, cr, area, scale, limits->ucl, "UCL", ucl_y);
  limit_line(widget, cr, area, scale, limits->lcl, "LCL", lcl_y);
}

/* flags: the caller's out-of-control flags; NULL (the MR chart): red above the UCL drawn,
 * so a moving range is red only where it is itself the reason. */
static void draw_series(ControlChart *self, cairo_t *cr, const ChartArea *area, GArray *series,
                        GArray *flags, const ControlLimits *limits, const char *title,
                        const char *y_title, const char *center_name)
{
  GtkWidget *widget = GTK_WIDGET(self);
  ChartScale y, x;
  series_scale(series, limits, &y);
  guint n = series->len;
  chart_scale_nice(0, MAX(n, 2), 8, &x);
  chart_title(widget, cr, area, title);
  chart_y_axis(widget, cr, area, &y, 1, y_title, FALSE);
  chart_x_axis(widget, cr, area, &x, "run (in order of testing)");
  limit_lines(widget, cr, area, &y, limits, center_name);
  cairo_set_source_rgba(cr, CHART_BAR, 0.6);
  cairo_set_line_width(cr, 1);
  gboolean drawing = FALSE;
  for (guint i = 0; i < n; i++) {
    double v = g_array_index(series, double, i);
    if (isnan(v)) {
      drawing = FALSE;
      continue;
    }
    double px = chart_scale_x(&x, area, i + 1), py = chart_scale_y(&y, area, v);
    if (drawing)
      cairo_line_to(cr, px, py);
    else
      cairo_move_to(cr, px, py);
    drawing = TRUE;
  }
  cairo_stroke(cr);
  double radius = n > 400 ? 1.5 : n > 100 ? 2.5 : 3.5;
  for (guint i = 0; i < n; i++) {
    double v = g_array_index(series, double, i);
    if (isnan(v))
      continue;
    gboolean red = flags ? g_array_index(flags, gboolean, i) : v > limits->ucl;
    if (red)
      cairo_set_source_rgb(cr, CHART_LIMIT);
    else
      cairo_set_source_rgb(cr, CHART_BAR);
    cairo_arc(cr, chart_scale_x(&x, area, i + 1), chart_scale_y(&y, area, v),
              red ? radius + 1.5 : radius, 0, 2 * G_PI);
    cairo_fill(cr);
  }
}

static void control_chart_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  ControlChart *self = CONTROL_CHART(widget);
  int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
  cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));
  /* The I chart takes 55 % of the height, the MR chart the rest. */
  double split = height * 0.55;
  ChartArea top = {80, 34, width - 80 - 96, split - 34 - 52};
  ChartArea bottom = {80, split + 30, width - 80 - 96, height - split - 30 - 52};
  if (top.width < 40 || bottom.height < 30) {
    cairo_destroy(cr);
    return;
  }
  if (self->values->len == 0) {
    chart_title(widget, cr, &top, "Control chart (I-MR)");
    chart_empty(widget, cr, width, height, self->empty_text);
    cairo_destroy(cr);
    return;
  }
  g_autofree char *unit = g_strdup_printf("value (%s)", self->unit && *self->unit
                                                         ? self->unit : "no unit");
  g_autofree char *mr_unit = g_strdup_printf("MR (%s)",   /* fits the short MR chart */
                                             self->unit && *self->unit ? self->unit : "-");
  g_autofree char *title = g_strdup_printf("%s: individuals (I)", self->title);
  draw_series(self, cr, &top, self->values, self->flagged, &self->individuals, title, unit, "X̄");
  draw_series(self, cr, &bottom, self->moving_ranges, NULL, &self->moving_range,
              "moving range (MR)", mr_unit, "MR̄");
  cairo_destroy(cr);
}

void control_chart_set(ControlChart *self, const char *title, const char *unit, guint n,
                       const double *values, const double *moving_ranges,
                       const gboolean *flagged, const ControlLimits *individuals,
                       const ControlLimits *moving_range)
{
  g_return_if_fail(CONTROL_IS_CHART(self));
  g_free(self->title);
  g_free(self->unit);
  self->title = g_strdup(title);
  self->unit = g_strdup(unit);
  g_array_set_size(self->values, 0);
  g_array_set_size(self->moving_ranges, 0);
  g_array_set_size(self->flagged, 0);
  g_array_append_vals(self->values, values, n);
  g_array_append_vals(self->moving_ranges, moving_ranges, n);
  g_array_append_vals(self->flagged, flagged, n);
  self->individuals = *individuals;
  self->moving_range = *moving_range;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void control_chart_set_empty_text(ControlChart *self, const char *text)
{
  g_return_if_fail(CONTROL_IS_CHART(self));
  g_free(self->empty_text);
  self->empty_text = g_strdup(text);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

guint control_chart_get_n_points(ControlChart *self)
{
  return self->values->len;
}

guint control_chart_get_n_flagged(ControlChart *self)
{
  guint flagged = 0;
  for (guint i = 0; i < self->flagged->len; i++)
    flagged += g_array_index(self->flagged, gboolean, i) != 0;
  return flagged;
}

static void control_chart_finalize(GObject *object)
{
  ControlChart *self = CONTROL_CHART(object);
  g_free(self->title);
  g_free(self->unit);
  g_free(self->empty_text);
  g_array_unref(self->values);
  g_array_unref(self->moving_ranges);
  g_array_unref(self->flagged);
  G_OBJECT_CLASS(control_chart_parent_class)->finalize(object);
}

static void control_chart_class_init(ControlChartClass *klass)
{
  G_OBJECT_CLASS(klass)->finalize = control_chart_finalize;
  GTK_WIDGET_CLASS(klass)->snapshot = control_chart_snapshot;
  gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "controlchart");
}

static void control_chart_init(ControlChart *self)
{
  self->values = g_array_new(FALSE, FALSE, sizeof(double));
  self->moving_ranges = g_array_new(FALSE, FALSE, sizeof(double));
  self->flagged = g_array_new(FALSE, FALSE, sizeof(gboolean));
  self->individuals = self->moving_range = (ControlLimits){NAN, NAN, NAN};
  self->empty_text = g_strdup("Choose a measurement.");
  gtk_widget_set_size_request(GTK_WIDGET(self), 480, 340);
}

ControlChart *control_chart_new(void)
{
  return g_object_new(CONTROL_TYPE_CHART, NULL);
}
