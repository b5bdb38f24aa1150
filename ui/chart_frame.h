/* What every chart of the quality view draws the same way, with Cairo inside a widget's
 * snapshot: the plot area inside margins, round-numbered axis scales, ticks with their
 * labels, axis titles and text placed by an anchor. Plain functions over a cairo_t; the charts
 * own their data. */
#pragma once
#include <gtk/gtk.h>

/* A value range split into round steps for ticks. */
typedef struct {
  double min, max;              /* the axis ends, multiples of step */
  double step;                  /* distance between ticks */
} ChartScale;

/* The plot area in widget coordinates (px), inside the margins the labels need. */
typedef struct {
  double x, y, width, height;
} ChartArea;

/* Colours shared by the charts, so a limit looks the same everywhere. */
#define CHART_BAR 0.16, 0.44, 0.86         /* bars: blue */
#define CHART_LINE 0.89, 0.45, 0.0         /* a second series: orange */
#define CHART_LIMIT 0.77, 0.13, 0.12       /* specification limits, flagged points: red */
#define CHART_CENTER 0.12, 0.56, 0.24      /* centre lines and means: green */
#define CHART_INK 0.2, 0.2, 0.2            /* axes and text */

/* A scale from low to high with about `ticks` round steps (1, 2, 2.5 or 5 times a power of
 * ten); an empty or reversed range is widened around low. */
void chart_scale_nice(double low, double high, int ticks, ChartScale *scale);
/* Where a value falls on a vertical axis of the area (px). */
double chart_scale_y(const ChartScale *scale, const ChartArea *area, double value);
/* Where a value falls on a horizontal axis of the area (px). */
double chart_scale_x(const ChartScale *scale, const ChartArea *area, double value);

/* Draws text so that the point (xalign, yalign) of its box (0..1 each) lies at (x, y),
 * turned by `degrees` about that point; returns the text's width (px, unturned). */
double chart_text(GtkWidget *widget, cairo_t *cr, const char *text, double x, double y,
                  double xalign, double yalign, double degrees);
/* The chart's title above the area, bold. */
void chart_title(GtkWidget *widget, cairo_t *cr, const ChartArea *area, const char *title);
/* A vertical axis on the area's left (or right) edge: line, ticks, their labels in `unit`
 * scale (value * factor, printed with %g), horizontal grid lines on the left one, and its
 * title turned along it. */
void chart_y_axis(GtkWidget *widget, cairo_t *cr, const ChartArea *area, const ChartScale *scale,
                  double factor, const char *title, gboolean right);
/* A horizontal axis under the area with ticks and labels, and its title below them. */
void chart_x_axis(GtkWidget *widget, cairo_t *cr, const ChartArea *area, const ChartScale *scale,
                  const char *title);
/* The message an empty chart shows in its middle. */
void chart_empty(GtkWidget *widget, cairo_t *cr, int width, int height, const char *text);
/* A horizontal dashed line across the area at y with a label right of its end, centred on
 * label_y (y, or moved off a neighbour's label). */
void chart_hline(GtkWidget *widget, cairo_t *cr, const ChartArea *area, double y,
                 const char *label, double label_y);
