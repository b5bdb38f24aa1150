/* The quality view's shared chart drawing (see chart_frame.h). */
#include "ui/chart_frame.h"
#include <math.h>
#include <pango/pangocairo.h>

void chart_scale_nice(double low, double high, int ticks, ChartScale *scale)
{
  if (!(high > low)) {
    double pad = fabs(low) > 0 ? fabs(low) * 0.1 : 1;
    low -= pad;
    high += pad;
  }
  double raw = (high - low) / MAX(ticks, 1);
  double power = pow(10, floor(log10(raw)));
  static const double STEPS[] = {1, 2, 2.5, 5, 10};
  double step = power * 10;
  for (guint i = 0; i < G_N_ELEMENTS(STEPS); i++)
    if (raw <= STEPS[i] * power) {
      step = STEPS[i] * power;
      break;
    }
  scale->step = step;
  scale->min = floor(low / step) * step;
  scale->max = ceil(high / step) * step;
  if (scale->max <= scale->min)
    scale->max = scale->min + step;
}

double chart_scale_y(const ChartScale *scale, const ChartArea *area, double value)
{
  return area->y + area->height * (scale->max - value) / (scale->max - scale->min);
}

double chart_scale_x(const ChartScale *scale, const ChartArea *area, double value)
{
  return area->x + area->width * (value - scale->min) / (scale->max - scale->min);
}

double chart_text(GtkWidget *widget, cairo_t *cr, const char *text, double x, double y,
                  double xalign, double yalign, double degrees)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout(widget, text);
  int width, height;
  pango_layout_get_pixel_size(layout, &width, &height);
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, degrees * G_PI / 180);
  cairo_move_to(cr, -xalign * width, -yalign * height);
  pango_cairo_show_layout(cr, layout);
  cairo_restore(cr);
  return width;
}

void chart_title(GtkWidget *widget, cairo_t *cr, const ChartArea *area, const char *title)
{
  g_autofree char *markup = g_markup_printf_escaped("<b>%s</b>", title);
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout(widget, NULL);
  pango_layout_set_markup(layout, markup, -1);
  int width, height;
  pango_layout_get_pixel_size(layout, &width, &height);
  cairo_set_source_rgb(cr, CHART_INK);
  cairo_move_to(cr, area->x + (area->width - width) / 2, area->y - height - 6);
  pango_cairo_show_layout(cr, layout);
}

/* A tick value as text without float noise (0.30000000000000004). */
static void tick_text(double value, double step, char *buffer, gsize size)
{
  if (fabs(value) < step * 1e-9)
    value = 0;
  g_snprintf(buffer, size, "%.6g", value);
}

void chart_y_axis(GtkWidget *widget, cairo_t *cr, const ChartArea *area, const ChartScale *scale,
                  double factor, const char *title, gboolean right)
{
  double x = right ? area->x + area->width : area->x;
  double widest = 0;
  cairo_set_line_width(cr, 1);
  for (double v = scale->min; v <= scale->max + scale->step * 1e-6; v += scale->step) {
    double y = round(chart_scale_y(scale, area, v)) + 0.5;
    if (!right) {
      cairo_set_source_rgba(cr, CHART_INK, 0.12);
      cairo_move_to(cr, area->x, y);
      cairo_line_to(cr, area->x + area->width, y);
      cairo_stroke(cr);
    }
    cairo_set_source_rgb(cr, CHART_INK);
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, right ? x + 5 : x - 5, y);
    cairo_stroke(cr);
    char text[32];
    tick_text(v * factor, scale->step * factor, text, sizeof text);
    widest = MAX(widest, chart_text(widget, cr, text, right ? x + 8 : x - 8, y,
                                    right ? 0 : 1, 0.5, 0));
  }
  cairo_move_to(cr, round(x) + 0.5, area->y);
  cairo_line_to(cr, round(x) + 0.5, area->y + area->height);
  cairo_stroke(cr);
  double title_x = right ? x + 14 + widest : x - 14 - widest;
  /* Turned a quarter either way, the text's foot faces the tick labels on both sides. */
  chart_text(widget, cr, title, title_x, area->y + area->height / 2, 0.5, 1, right ? 90 : -90);
}

void chart_x_axis(GtkWidget *widget, cairo_t *cr, const ChartArea *area, const ChartScale *scale,
                  const char *title)
{
  double y = round(area->y + area->height) + 0.5;
  cairo_set_source_rgb(cr, CHART_INK);
  cairo_set_line_width(cr, 1);
  cairo_move_to(cr, area->x, y);
  cairo_line_to(cr, area->x + area->width, y);
  cairo_stroke(cr);
  double last_end = -INFINITY;
  for (double v = scale->min; v <= scale->max + scale->step * 1e-6; v += scale->step) {
    double x = round(chart_scale_x(scale, area, v)) + 0.5;
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x, y + 5);
    cairo_stroke(cr);
    char text[32];
    tick_text(v, scale->step, text, sizeof text);
    g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout(widget, text);
    int width, height;
    pango_layout_get_pixel_size(layout, &width, &height);
    if (x - width / 2.0 > last_end + 4) {   /* labels that would overlap are left out */
      chart_text(widget, cr, text, x, y + 7, 0.5, 0, 0);
      last_end = x + width / 2.0;
    }
  }
  chart_text(widget, cr, title, area->x + area->width / 2, y + 26, 0.5, 0, 0);
}

void chart_empty(GtkWidget *widget, cairo_t *cr, int width, int height, const char *text)
{
  cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
  chart_text(widget, cr, text, width / 2.0, height / 2.0, 0.5, 0.5, 0);
}

void chart_hline(GtkWidget *widget, cairo_t *cr, const ChartArea *area, double y,
                 const char *label, double label_y)
{
  static const double DASH[] = {6, 4};
  cairo_save(cr);
  cairo_set_line_width(cr, 1.5);
  cairo_set_dash(cr, DASH, G_N_ELEMENTS(DASH), 0);
  cairo_move_to(cr, area->x, y);
  cairo_line_to(cr, area->x + area->width, y);
  cairo_stroke(cr);
  cairo_restore(cr);
  if (label)
    chart_text(widget, cr, label, area->x + area->width + 4, label_y, 0, 0.5, 0);
}
