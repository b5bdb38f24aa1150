/* The histogram chart (see histogram_chart.h). */
#include "ui/histogram_chart.h"
#include "ui/chart_frame.h"
#include <math.h>

struct _HistogramChart {
  GtkWidget parent_instance;
  char *title, *unit, *empty_text;
  double from, to;              /* the bins' range, in the unit */
  GArray *counts;               /* gint64 per bin */
  double low, high, mean;       /* limits (NAN: none) and mean, in the unit */
};

G_DEFINE_FINAL_TYPE(HistogramChart, histogram_chart, GTK_TYPE_WIDGET)

/* A vertical line at value with its label above the area. */
static void value_line(HistogramChart *self, cairo_t *cr, const ChartArea *area,
                       const ChartScale *scale, double value, const char *label, double align,
                       double label_row)
{
  static const double DASH[] = {6, 4};
  double x = round(chart_scale_x(scale, area, value)) + 0.5;
  cairo_save(cr);
  cairo_set_line_width(cr, 2);
  cairo_set_dash(cr, DASH, G_N_ELEMENTS(DASH), 0);
  cairo_move_to(cr, x, area->y + label_row * 16 + 14);
  cairo_line_to(cr, x, area->y + area->height);
  cairo_stroke(cr);
  cairo_restore(cr);
  chart_text(GTK_WIDGET(self), cr, label, x, area->y + label_row * 16, align, 0, 0);
}

static void histogram_chart_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  HistogramChart *self = HISTOGRAM_CHART(widget);
  int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
  cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));
  ChartArea area = {72, 34, width - 72 - 24, height - 34 - 52};
  guint bins = self->counts->len;
  if (area.width < 40 || area.height < 40) {
    cairo_destroy(cr);
    return;
  }
  chart_title(widget, cr, &area, self->title ? self->title : "Histogram");
  if (bins == 0) {
    chart_empty(widget, cr, width, height, self->empty_text);
    cairo_destroy(cr);
    return;
  }
  gint64 most = 1;
  for (guint i = 0; i < bins; i++)
    most = MAX(most, g_array_index(self->counts, gint64, i));
  ChartScale y, x;
  chart_scale_nice(0, most * 1.15, 5, &y);
  /* A little room either side so a limit on the range's edge stays visible. */
  double pad = (self->to - self->from) * 0.04;
  chart_scale_nice(self->from - pad, self->to + pad, 6, &x);
  chart_y_axis(widget, cr, &area, &y, 1, "boards (count)", FALSE);
  g_autofree char *x_title = g_strdup_printf("value (%s)", self->unit && *self->unit
                                                            ? self->unit : "no unit");
  chart_x_axis(widget, cr, &area, &x, x_title);
  /* Every value equal: one bin of a twentieth of the axis, centred, so it can be seen. */
  double from = self->from, bin_width = (self->to - self->from) / bins;
  if (!(bin_width > 0)) {
    bin_width = (x.max - x.min) / 20 / bins;
    from -= bin_width * bins / 2;
  }
  cairo_set_source_rgb(cr, CHART_BAR);
  for (guint i = 0; i < bins; i++) {
    double left = chart_scale_x(&x, &area, from + bin_width * i);
    double right = chart_scale_x(&x, &area, from + bin_width * (i + 1));
    double top = chart_scale_y(&y, &area, g_array_index(self->counts, gint64, i));
    double base = chart_scale_y(&y, &area, 0);
    cairo_rectangle(cr, left + 0.5, top, MAX(right - left - 1, 1), base - top);
  }
  cairo_fill(cr);
  cairo_set_source_rgb(cr, CHART_CENTER);
  /* The mean's label a row lower, so it stays readable beside a limit's. */
  value_line(self, cr, &area, &x, self->mean, "mean", 0.5, 1);
  cairo_set_source_rgb(cr, CHART_LIMIT);
  if (!isnan(self->low))
    value_line(self, cr, &area, &x, self->low, "low limit", 1, 0);
  if (!isnan(self->high))
    value_line(self, cr, &area, &x, self->high, "high limit", 0, 0);
  cairo_destroy(cr);
}

void histogram_chart_set(HistogramChart *self, const char *title, const char *unit,
                         double from, double to, guint bins, const gint64 *counts, double low,
                         double high, double mean)
{
  g_return_if_fail(HISTOGRAM_IS_CHART(self));
  g_free(self->title);
  g_free(self->unit);
  self->title = g_strdup(title);
  self->unit = g_strdup(unit);
  self->from = from;
  self->to = to;
  g_array_set_size(self->counts, 0);
  g_array_append_vals(self->counts, counts, bins);
  self->low = low;
  self->high = high;
  self->mean = mean;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void histogram_chart_set_empty_text(HistogramChart *self, const char *text)
{
  g_return_if_fail(HISTOGRAM_IS_CHART(self));
  g_free(self->empty_text);
  self->empty_text = g_strdup(text);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

guint histogram_chart_get_bins(HistogramChart *self)
{
  return self->counts->len;
}

gint64 histogram_chart_get_count(HistogramChart *self, guint bin)
{
  return bin < self->counts->len ? g_array_index(self->counts, gint64, bin) : 0;
}

static void histogram_chart_finalize(GObject *object)
{
  HistogramChart *self = HISTOGRAM_CHART(object);
  g_free(self->title);
  g_free(self->unit);
  g_free(self->empty_text);
  g_array_unref(self->counts);
  G_OBJECT_CLASS(histogram_chart_parent_class)->finalize(object);
}

static void histogram_chart_class_init(HistogramChartClass *klass)
{
  G_OBJECT_CLASS(klass)->finalize = histogram_chart_finalize;
  GTK_WIDGET_CLASS(klass)->snapshot = histogram_chart_snapshot;
  gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "histogramchart");
}

static void histogram_chart_init(HistogramChart *self)
{
  self->counts = g_array_new(FALSE, FALSE, sizeof(gint64));
  self->low = self->high = self->mean = NAN;
  self->empty_text = g_strdup("Choose a measurement.");
  gtk_widget_set_size_request(GTK_WIDGET(self), 360, 240);
}

HistogramChart *histogram_chart_new(void)
{
  return g_object_new(HISTOGRAM_TYPE_CHART, NULL);
}
