/* The bar chart (see bar_chart.h). */
#include "ui/bar_chart.h"
#include "ui/chart_frame.h"
#include <math.h>

struct _BarChart {
  GtkWidget parent_instance;
  char *title, *y_title, *empty_text;
  GPtrArray *names;             /* char*, one per bar */
  GPtrArray *value_texts;       /* char*, one per bar ("" when none given) */
  GArray *values;               /* double, one per bar */
  GArray *cumulative;           /* double 0..1, one per bar, or empty: no line */
  double value_max;             /* NAN: from the values */
};

G_DEFINE_FINAL_TYPE(BarChart, bar_chart, GTK_TYPE_WIDGET)

static double text_width(BarChart *self, const char *text)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout(GTK_WIDGET(self), text);
  int width, height;
  pango_layout_get_pixel_size(layout, &width, &height);
  return width;
}

/* The widest bar name (px), to decide whether names are turned. */
static double widest_name(BarChart *self)
{
  double widest = 0;
  for (guint i = 0; i < self->names->len; i++)
    widest = MAX(widest, text_width(self, self->names->pdata[i]));
  return widest;
}

static void draw_bars(BarChart *self, cairo_t *cr, const ChartArea *area,
                      const ChartScale *scale, gboolean turned)
{
  GtkWidget *widget = GTK_WIDGET(self);
  guint n = self->values->len;
  double slot = area->width / n;
  /* Many bars (days of a year): every stride-th name, so names never overlap. */
  guint stride = (guint)ceil((turned ? 24 : widest_name(self) + 8) / slot);
  stride = MAX(stride, 1);
  for (guint i = 0; i < n; i++) {
    double value = g_array_index(self->values, double, i);
    double bar = MIN(slot * 0.7, 120);   /* one cause alone is not a wall of blue */
    double x = area->x + slot * i + (slot - bar) / 2, top = chart_scale_y(scale, area, value);
    double base = chart_scale_y(scale, area, MAX(scale->min, 0));
    cairo_set_source_rgb(cr, CHART_BAR);
    cairo_rectangle(cr, x, top, bar, base - top);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, CHART_INK);
    if (text_width(self, self->value_texts->pdata[i]) <= slot * 1.1)
      chart_text(widget, cr, self->value_texts->pdata[i], x + bar / 2, top - 2, 0.5, 1, 0);
    double below = area->y + area->height + 4;
    if (i % stride)
      continue;
    if (turned)
      chart_text(widget, cr, self->names->pdata[i], x + bar / 2, below, 1, 0.5, -40);
    else
      chart_text(widget, cr, self->names->pdata[i], x + bar / 2, below, 0.5, 0, 0);
  }
}

static void draw_cumulative(BarChart *self, cairo_t *cr, const ChartArea *area)
{
  /* Shares of failing runs: by measurement a run counts once per failing measurement, so
   * the sum can pass 100 %. */
  guint n = self->cumulative->len;
  double top = 1;
  for (guint i = 0; i < n; i++)
    top = MAX(top, g_array_index(self->cumulative, double, i));
  ChartScale share;
  chart_scale_nice(0, top, 5, &share);
  double slot = area->width / n;
  cairo_set_source_rgb(cr, CHART_LINE);
  cairo_set_line_width(cr, 2);
  for (guint i = 0; i < n; i++) {
    double x = area->x + slot * (i + 0.5);
    double y = chart_scale_y(&share, area, g_array_index(self->cumulative, double, i));
    if (i == 0)
      cairo_move_to(cr, x, y);
    else
      cairo_line_to(cr, x, y);
  }
  cairo_stroke(cr);
  for (guint i = 0; i < n; i++) {
    double x = area->x + slot * (i + 0.5);
    double y = chart_scale_y(&share, area, g_array_index(self->cumulative, double, i));
    cairo_arc(cr, x, y, 3.5, 0, 2 * G_PI);
    cairo_fill(cr);
  }
  chart_y_axis(GTK_WIDGET(self), cr, area, &share, 100, "cumulative share (%)", TRUE);
}

static void bar_chart_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
  BarChart *self = BAR_CHART(widget);
  int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
  cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));
  guint n = self->values->len;
  double name_room = n ? widest_name(self) : 0;
  /* Names turn by 40 degrees when they do not fit under their bars. */
  gboolean turned = n && name_room > 0.9 * (width - 160.0) / n;
  double bottom = turned ? MIN(name_room * 0.64 + 16, height * 0.45) : 28;
  gboolean line = self->cumulative->len == n && n > 0;
  ChartArea area = {72, 34, width - 72 - (line ? 72 : 24), height - 34 - bottom};
  if (turned)   /* the first name reaches left, under the axis labels */
    area.x = MAX(area.x, MIN(name_room * 0.77, width * 0.3));
  area.width = width - area.x - (line ? 72 : 24);
  if (area.width < 40 || area.height < 40) {
    cairo_destroy(cr);
    return;
  }
  chart_title(widget, cr, &area, self->title);
  if (n == 0) {
    chart_empty(widget, cr, width, height, self->empty_text);
    cairo_destroy(cr);
    return;
  }
  double top = 0;
  for (guint i = 0; i < n; i++)
    top = MAX(top, g_array_index(self->values, double, i));
  ChartScale scale;
  chart_scale_nice(0, isnan(self->value_max) ? top * 1.1 : self->value_max, 5, &scale);
  chart_y_axis(widget, cr, &area, &scale, 1, self->y_title, FALSE);
  draw_bars(self, cr, &area, &scale, turned);
  if (line)
    draw_cumulative(self, cr, &area);
  cairo_set_source_rgb(cr, CHART_INK);
  cairo_set_line_width(cr, 1);
  cairo_move_to(cr, area.x, round(area.y + area.height) + 0.5);
  cairo_line_to(cr, area.x + area.width, round(area.y + area.height) + 0.5);
  cairo_stroke(cr);
  cairo_destroy(cr);
}

void bar_chart_set_bars(BarChart *self, guint n, const char *const *names,
                        const double *values, const char *const *value_texts,
                        const double *cumulative, double value_max)
{
  g_return_if_fail(BAR_IS_CHART(self));
  g_ptr_array_set_size(self->names, 0);
  g_ptr_array_set_size(self->value_texts, 0);
  g_array_set_size(self->values, 0);
  g_array_set_size(self->cumulative, 0);
  for (guint i = 0; i < n; i++) {
    g_ptr_array_add(self->names, g_strdup(names[i]));
    g_ptr_array_add(self->value_texts, g_strdup(value_texts ? value_texts[i] : ""));
  }
  g_array_append_vals(self->values, values, n);
  if (cumulative)
    g_array_append_vals(self->cumulative, cumulative, n);
  self->value_max = value_max;
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

void bar_chart_set_empty_text(BarChart *self, const char *text)
{
  g_return_if_fail(BAR_IS_CHART(self));
  g_object_set(self, "empty-text", text, NULL);
}

guint bar_chart_get_n_bars(BarChart *self)
{
  return self->names->len;
}

const char *bar_chart_get_name(BarChart *self, guint index)
{
  return index < self->names->len ? self->names->pdata[index] : NULL;
}

const char *bar_chart_get_value_text(BarChart *self, guint index)
{
  return index < self->value_texts->len ? self->value_texts->pdata[index] : NULL;
}

static void bar_chart_finalize(GObject *object)
{
  BarChart *self = BAR_CHART(object);
  g_free(self->title);
  g_free(self->y_title);
  g_free(self->empty_text);
  g_ptr_array_unref(self->names);
  g_ptr_array_unref(self->value_texts);
  g_array_unref(self->values);
  g_array_unref(self->cumulative);
  G_OBJECT_CLASS(bar_chart_parent_class)->finalize(object);
}

/* The texts a .ui template sets: the chart's title, its y axis's, and what an empty chart
 * says. */
enum { PROP_0, PROP_TITLE, PROP_Y_TITLE, PROP_EMPTY_TEXT, N_PROPS };

static char **text_property(BarChart *self, guint id)
{
  return id == PROP_TITLE ? &self->title : id == PROP_Y_TITLE ? &self->y_title
                                                              : &self->empty_text;
}

static void bar_chart_set_property(GObject *object, guint id, const GValue *value,
                                   GParamSpec *pspec)
{
  BarChart *self = BAR_CHART(object);
  char **text = text_property(self, id);
  g_free(*text);
  *text = g_value_dup_string(value);
  gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void bar_chart_get_property(GObject *object, guint id, GValue *value,
                                   GParamSpec *pspec)
{
  g_value_set_string(value, *text_property(BAR_CHART(object), id));
}

static void bar_chart_class_init(BarChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  object_class->finalize = bar_chart_finalize;
  object_class->set_property = bar_chart_set_property;
  object_class->get_property = bar_chart_get_property;
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  g_object_class_install_property(object_class, PROP_TITLE,
      g_param_spec_string("title", NULL, NULL, NULL, flags));
  g_object_class_install_property(object_class, PROP_Y_TITLE,
      g_param_spec_string("y-title", NULL, NULL, NULL, flags));
  g_object_class_install_property(object_class, PROP_EMPTY_TEXT,
      g_param_spec_string("empty-text", NULL, NULL, NULL, flags));
  GTK_WIDGET_CLASS(klass)->snapshot = bar_chart_snapshot;
  gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "barchart");
}

static void bar_chart_init(BarChart *self)
{
  self->names = g_ptr_array_new_with_free_func(g_free);
  self->value_texts = g_ptr_array_new_with_free_func(g_free);
  self->values = g_array_new(FALSE, FALSE, sizeof(double));
  self->cumulative = g_array_new(FALSE, FALSE, sizeof(double));
  self->value_max = NAN;
  self->empty_text = g_strdup("No data in the selection.");
  gtk_widget_set_size_request(GTK_WIDGET(self), 360, 240);
}

BarChart *bar_chart_new(const char *title, const char *y_title)
{
  return g_object_new(BAR_TYPE_CHART, "title", title, "y-title", y_title, NULL);
}
