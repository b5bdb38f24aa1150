/* The quality view (see quality_view.h). */
#include "ui/quality_view.h"
#include "ui/quality_query.h"
#include "ui/app_resources.h"
#include <math.h>
#include <string.h>

#define HISTOGRAM_BINS 20       /* as `station report stats` by default */
#define PARETO_BARS_SHOWN 15    /* the rest are the long tail a Pareto is for cutting off */

static const char *const YIELD_COLUMNS[] = {
  "model", "boards", "first-pass yield", "final yield", "retests", "station errors",
};

struct _QualityView {
  GtkWidget parent_instance;
  GtkWidget *box;                                 /* the template's children */
  GtkWidget *model, *station, *fixture, *operator_name, *order, *from, *to;   /* filters */
  GtkWidget *status, *error;
  GtkWidget *yield_grid;
  guint yield_rows;             /* rows in yield_grid, the header included */
  BarChart *trend, *shift_trend, *pareto;
  GtkWidget *pareto_text, *by_step, *by_measurement;
  GtkWidget *measurement;       /* GtkDropDown over `measurements` */
  GtkStringList *measurements;
  GtkWidget *stats_text;
  HistogramChart *histogram;
  ControlChart *control;
  const Catalog *catalog;
  char *db_path;
  char *chosen;                 /* measurement asked for, NULL: the first */
  GCancellable *cancellable;    /* of the query running, NULL when none */
  gboolean filling;             /* the view is setting its own widgets: no new query */
};

G_DEFINE_FINAL_TYPE(QualityView, quality_view, GTK_TYPE_WIDGET)

enum { SIGNAL_REFRESHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void refresh(QualityView *self);

/* A share as `station report` prints it: 97.50%, "-" when there is none. */
static char *percent_text(double share)
{
  return isnan(share) ? g_strdup("-") : g_strdup_printf("%.2f%%", share * 100);
}

/* A number as `station report stats` prints it: %.6g, or %.3f for a capability index
 * (`fixed`); "-" when there is none. */
static char *number_text(double value, gboolean fixed)
{
  if (isnan(value))
    return g_strdup("-");
  return fixed ? g_strdup_printf("%.3f", value) : g_strdup_printf("%.6g", value);
}

static GtkWidget *cell_label(const char *text, gboolean numeric, const char *css)
{
  GtkWidget *label = gtk_label_new(text);
  gtk_label_set_xalign(GTK_LABEL(label), numeric ? 1 : 0);
  if (css)
    gtk_widget_add_css_class(label, css);
  return label;
}

/* --- yield ------------------------------------------------------------------------------ */

static void add_yield_row(QualityView *self, const char *model, const YieldRow *row,
                          const char *css)
{
  char boards[24], retests[24], errors[24];
  g_snprintf(boards, sizeof boards, "%" G_GINT64_FORMAT, row->boards);
  g_snprintf(retests, sizeof retests, "%" G_GINT64_FORMAT, row->retests);
  g_snprintf(errors, sizeof errors, "%" G_GINT64_FORMAT, row->station_errors);
  g_autofree char *fpy = percent_text(row->first_pass_yield);
  g_autofree char *final = percent_text(row->final_yield);
  const char *cells[] = {model, boards, fpy, final, retests, errors};
  for (guint c = 0; c < G_N_ELEMENTS(cells); c++)
    gtk_grid_attach(GTK_GRID(self->yield_grid), cell_label(cells[c], c > 0, css), (int)c,
                    (int)self->yield_rows, 1, 1);
  self->yield_rows++;
}

static void clear_yield(QualityView *self)
{
  for (guint r = self->yield_rows; r > 1; r--)
    gtk_grid_remove_row(GTK_GRID(self->yield_grid), (int)r - 1);
  self->yield_rows = 1;
}

/* First-pass yield per production day, or per day and shift ("2026-11-02 S3"), in time
 * order as the report gives them. */
static void show_trend(BarChart *chart, const GPtrArray *rows)
{
  guint n = rows->len;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  g_autofree double *values = g_new0(double, n + 1);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < n; i++) {
    const YieldRow *row = g_ptr_array_index(rows, i);
    g_ptr_array_add(names, row->shift ? g_strdup_printf("%s S%d", row->day, row->shift)
                                      : g_strdup(row->day));
    values[i] = isnan(row->first_pass_yield) ? 0 : row->first_pass_yield * 100;
    g_ptr_array_add(texts, percent_text(row->first_pass_yield));
  }
  g_ptr_array_add(names, NULL);
  g_ptr_array_add(texts, NULL);
  bar_chart_set_bars(chart, n, (const char *const *)names->pdata, values,
                     (const char *const *)texts->pdata, NULL, 100);
}

static void show_yield(QualityView *self, const QualityResult *result)
{
  clear_yield(self);
  for (guint i = 0; i < result->by_model->len; i++) {
    const YieldRow *row = g_ptr_array_index(result->by_model, i);
    add_yield_row(self, row->model, row, NULL);
  }
  add_yield_row(self, "all", &result->total, "yield-total");
  show_trend(self->trend, result->by_day);
  show_trend(self->shift_trend, result->by_shift);
}

/* --- Pareto ----------------------------------------------------------------------------- */

static void show_pareto(QualityView *self, const QualityResult *result)
{
  gboolean by_step = result->pareto_kind == PARETO_BY_STEP;
  guint shown = MIN(result->pareto->len, PARETO_BARS_SHOWN);
  g_autofree char *more = shown < result->pareto->len
      ? g_strdup_printf(" (the %u most frequent of %u shown)", shown, result->pareto->len)
      : g_strdup("");
  g_autofree char *line = g_strdup_printf("%" G_GINT64_FORMAT " failing runs, by %s%s",
                                          result->failing_runs,
                                          by_step ? "first failing step" : "failing measurement",
                                          more);
  gtk_label_set_text(GTK_LABEL(self->pareto_text), line);
  g_autofree const char **names = g_new0(const char *, shown + 1);
  g_autofree double *counts = g_new0(double, shown + 1);
  g_autofree double *cumulative = g_new0(double, shown + 1);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < shown; i++) {
    const ParetoRow *row = g_ptr_array_index(result->pareto, i);
    names[i] = row->name;
    counts[i] = (double)row->count;
    cumulative[i] = row->cumulative;
    g_ptr_array_add(texts, g_strdup_printf("%" G_GINT64_FORMAT, row->count));
  }
  bar_chart_set_empty_text(self->pareto, "No failing run in the selection.");
  bar_chart_set_bars(self->pareto, shown, names, counts, (const char *const *)texts->pdata,
                     cumulative, NAN);
}

/* --- one measurement -------------------------------------------------------------------- */

/* The chooser lists the selection's numeric measurements, the one shown selected. */
static void fill_chooser(QualityView *self, const QualityResult *result)
{
  guint count = (guint)g_list_model_get_n_items(G_LIST_MODEL(self->measurements));
  gboolean same = count == result->measurements->len;
  for (guint i = 0; same && i < count; i++)
    same = strcmp(gtk_string_list_get_string(self->measurements, i),
                  result->measurements->pdata[i]) == 0;
  if (!same) {
    g_ptr_array_add(result->measurements, NULL);
    gtk_string_list_splice(self->measurements, 0, count,
                           (const char *const *)result->measurements->pdata);
    g_ptr_array_remove_index(result->measurements, result->measurements->len - 1);
  }
  guint selected = GTK_INVALID_LIST_POSITION;
  for (guint i = 0; result->stats && i < result->measurements->len; i++)
    if (strcmp(result->measurements->pdata[i], result->stats->name) == 0)
      selected = i;
  gtk_drop_down_set_selected(GTK_DROP_DOWN(self->measurement), selected);
}

static void show_stats(QualityView *self, const QualityResult *result)
{
  const MeasurementStats *s = result->stats;
  if (s == NULL) {
    gtk_label_set_text(GTK_LABEL(self->stats_text), result->stats_error);
    histogram_chart_set(self->histogram, NULL, NULL, 0, 0, 0, NULL, NAN, NAN, NAN);
    control_chart_set(self->control, NULL, NULL, 0, NULL, NULL, NULL,
                      &(ControlLimits){NAN, NAN, NAN}, &(ControlLimits){NAN, NAN, NAN});
    return;
  }
  g_autofree char *low = number_text(s->low, FALSE), *high = number_text(s->high, FALSE);
  g_autofree char *cp = number_text(s->cp, TRUE), *cpk = number_text(s->cpk, TRUE);
  g_autofree char *pp = number_text(s->pp, TRUE), *ppk = number_text(s->ppk, TRUE);
  g_autofree char *sigma = number_text(s->sigma, FALSE);
  g_autofree char *text = g_strdup_printf(
      "n %" G_GINT64_FORMAT ", mean %.6g, σ %s, min %.6g, max %.6g %s;  limits %s .. %s%s;  "
      "Cp %s, Cpk %s (σ within, from the moving range);  Pp %s, Ppk %s;  "
      "%" G_GINT64_FORMAT " below, %" G_GINT64_FORMAT " above the limits;  %" G_GINT64_FORMAT
      " of %" G_GINT64_FORMAT " points out of control",
      s->n, s->mean, sigma, s->min, s->max, s->unit ? s->unit : "",
      low, high, s->limit_sets > 1 ? " (the latest; they changed in the selection)" : "", cp,
      cpk, pp, ppk, s->below_low, s->above_high, s->out_of_control, s->n);
  gtk_label_set_text(GTK_LABEL(self->stats_text), text);
  histogram_chart_set(self->histogram, s->name, s->unit, s->hist_low, s->hist_high, s->bins,
                      s->counts, s->low, s->high, s->mean);
  guint n = s->points->len;
  g_autofree double *values = g_new(double, n + 1);
  g_autofree double *ranges = g_new(double, n + 1);
  g_autofree gboolean *flagged = g_new(gboolean, n + 1);
  for (guint i = 0; i < n; i++) {
    const ControlPoint *p = &g_array_index(s->points, ControlPoint, i);
    values[i] = p->value;
    ranges[i] = p->moving_range;
    flagged[i] = p->out_of_control;
  }
  ControlLimits individuals = {s->i_center, s->i_ucl, s->i_lcl};
  ControlLimits moving_range = {s->mr_center, s->mr_ucl, NAN};
  control_chart_set(self->control, s->name, s->unit, n, values, ranges, flagged, &individuals,
                    &moving_range);
}

/* --- the query -------------------------------------------------------------------------- */

static void set_error(QualityView *self, const char *text)
{
  gtk_label_set_text(GTK_LABEL(self->error), text ? text : "");
  gtk_widget_set_visible(self->error, text != NULL);
}

static void on_query_done(GObject *source, GAsyncResult *res, gpointer data)
{
  QualityView *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(QualityResult) result = quality_query_finish(res, &error);
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_object_unref(self);          /* a newer query (or the view's end) replaced it */
    return;
  }
  g_clear_object(&self->cancellable);
  if (result == NULL) {
    set_error(self, error->message);
    gtk_label_set_text(GTK_LABEL(self->status), "The reports could not be read.");
  } else {
    self->filling = TRUE;
    set_error(self, NULL);
    show_yield(self, result);
    show_pareto(self, result);
    fill_chooser(self, result);
    show_stats(self, result);
    self->filling = FALSE;
    g_autofree char *status = g_strdup_printf("%" G_GINT64_FORMAT " boards in the selection.",
                                              result->total.boards);
    gtk_label_set_text(GTK_LABEL(self->status), status);
  }
  g_signal_emit(self, signals[SIGNAL_REFRESHED], 0);
  g_object_unref(self);
}

/* The filter as typed; FALSE with the report library's sentence when a date is wrong. */
static gboolean read_filter(QualityView *self, ReportFilter *filter, GError **error)
{
  guint model = gtk_drop_down_get_selected(GTK_DROP_DOWN(self->model));
  const char *station = gtk_editable_get_text(GTK_EDITABLE(self->station));
  const char *fixture = gtk_editable_get_text(GTK_EDITABLE(self->fixture));
  const char *operator_name = gtk_editable_get_text(GTK_EDITABLE(self->operator_name));
  const char *order = gtk_editable_get_text(GTK_EDITABLE(self->order));
  const char *from = gtk_editable_get_text(GTK_EDITABLE(self->from));
  const char *to = gtk_editable_get_text(GTK_EDITABLE(self->to));
  *filter = (ReportFilter){
    .model = model >= 1 && model != GTK_INVALID_LIST_POSITION
                 ? catalog_nth(self->catalog, model - 1)->name : NULL,
    .station_id = *station ? station : NULL,
    .fixture_id = *fixture ? fixture : NULL,
    .operator_name = *operator_name ? operator_name : NULL,
    .order_id = *order ? order : NULL,
  };
  if ((*from && !report_filter_set_from(filter, from, error)) ||
      (*to && !report_filter_set_to(filter, to, error))) {
    report_filter_clear(filter);
    return FALSE;
  }
  return TRUE;
}

/* Starts a query of the filter as typed, replacing one that runs. */
static void refresh(QualityView *self)
{
  if (self->filling)
    return;
  ReportFilter filter;
  g_autoptr(GError) error = NULL;
  if (!read_filter(self, &filter, &error)) {
    set_error(self, error->message);
    g_signal_emit(self, signals[SIGNAL_REFRESHED], 0);
    return;
  }
  if (self->cancellable)
    g_cancellable_cancel(self->cancellable);
  g_clear_object(&self->cancellable);
  self->cancellable = g_cancellable_new();
  QualityQuery *query = quality_query_new(
      self->db_path, &filter,
      gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(self->by_measurement))
          ? PARETO_BY_MEASUREMENT : PARETO_BY_STEP,
      self->chosen, HISTOGRAM_BINS);
  report_filter_clear(&filter);
  gtk_label_set_text(GTK_LABEL(self->status), "Reading the database…");
  quality_query_run_async(query, self->cancellable, on_query_done, g_object_ref(self));
}

static void apply_action(GtkWidget *widget, const char *action, GVariant *parameter)
{
  refresh(QUALITY_VIEW(widget));
}

static void on_entry_activate(GtkEntry *entry, QualityView *self)
{
  refresh(self);
}

static void on_pareto_toggled(GtkToggleButton *button, QualityView *self)
{
  if (gtk_toggle_button_get_active(button))
    refresh(self);
}

static void on_measurement_chosen(GObject *dropdown, GParamSpec *pspec, QualityView *self)
{
  guint selected = gtk_drop_down_get_selected(GTK_DROP_DOWN(dropdown));
  if (self->filling || selected == GTK_INVALID_LIST_POSITION)
    return;
  g_free(self->chosen);
  self->chosen = g_strdup(gtk_string_list_get_string(self->measurements, selected));
  refresh(self);
}

/* --- building --------------------------------------------------------------------------- */

static void quality_view_init(QualityView *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  for (guint c = 0; c < G_N_ELEMENTS(YIELD_COLUMNS); c++)
    gtk_grid_attach(GTK_GRID(self->yield_grid), cell_label(YIELD_COLUMNS[c], c > 0,
                                                           "yield-header"), (int)c, 0, 1, 1);
  self->yield_rows = 1;
}

static void quality_view_dispose(GObject *object)
{
  QualityView *self = QUALITY_VIEW(object);
  if (self->cancellable)
    g_cancellable_cancel(self->cancellable);
  g_clear_object(&self->cancellable);
  self->filling = TRUE;         /* the widgets going away ask for no query */
  gtk_widget_dispose_template(GTK_WIDGET(object), QUALITY_TYPE_VIEW);
  G_OBJECT_CLASS(quality_view_parent_class)->dispose(object);
}

static void quality_view_finalize(GObject *object)
{
  QualityView *self = QUALITY_VIEW(object);
  g_free(self->db_path);
  g_free(self->chosen);
  G_OBJECT_CLASS(quality_view_parent_class)->finalize(object);
}

static void quality_view_class_init(QualityViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  object_class->dispose = quality_view_dispose;
  object_class->finalize = quality_view_finalize;
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name(widget_class, "qualityview");
  g_type_ensure(BAR_TYPE_CHART);
  g_type_ensure(HISTOGRAM_TYPE_CHART);
  g_type_ensure(CONTROL_TYPE_CHART);
  app_resources_ensure();
  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/com/jkbms/EolStation/quality-view.ui");
  gtk_widget_class_bind_template_child(widget_class, QualityView, box);
  gtk_widget_class_bind_template_child(widget_class, QualityView, model);
  gtk_widget_class_bind_template_child(widget_class, QualityView, station);
  gtk_widget_class_bind_template_child(widget_class, QualityView, fixture);
  gtk_widget_class_bind_template_child(widget_class, QualityView, operator_name);
  gtk_widget_class_bind_template_child(widget_class, QualityView, order);
  gtk_widget_class_bind_template_child(widget_class, QualityView, from);
  gtk_widget_class_bind_template_child(widget_class, QualityView, to);
  gtk_widget_class_bind_template_child(widget_class, QualityView, status);
  gtk_widget_class_bind_template_child(widget_class, QualityView, error);
  gtk_widget_class_bind_template_child(widget_class, QualityView, yield_grid);
  gtk_widget_class_bind_template_child(widget_class, QualityView, trend);
  gtk_widget_class_bind_template_child(widget_class, QualityView, shift_trend);
  gtk_widget_class_bind_template_child(widget_class, QualityView, by_step);
  gtk_widget_class_bind_template_child(widget_class, QualityView, by_measurement);
  gtk_widget_class_bind_template_child(widget_class, QualityView, pareto_text);
  gtk_widget_class_bind_template_child(widget_class, QualityView, pareto);
  gtk_widget_class_bind_template_child(widget_class, QualityView, measurement);
  gtk_widget_class_bind_template_child(widget_class, QualityView, measurements);
  gtk_widget_class_bind_template_child(widget_class, QualityView, stats_text);
  gtk_widget_class_bind_template_child(widget_class, QualityView, histogram);
  gtk_widget_class_bind_template_child(widget_class, QualityView, control);
  gtk_widget_class_bind_template_callback(widget_class, on_entry_activate);
  gtk_widget_class_bind_template_callback(widget_class, on_pareto_toggled);
  gtk_widget_class_bind_template_callback(widget_class, on_measurement_chosen);
  gtk_widget_class_install_action(widget_class, "quality.apply", NULL, apply_action);
  signals[SIGNAL_REFRESHED] = g_signal_new("refreshed", G_TYPE_FROM_CLASS(klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);
}

QualityView *quality_view_new(const Catalog *catalog, const char *db_path)
{
  QualityView *self = g_object_new(QUALITY_TYPE_VIEW, NULL);
  self->catalog = catalog;
  self->db_path = g_strdup(db_path);
  g_autoptr(GtkStringList) models = gtk_string_list_new(NULL);
  gtk_string_list_append(models, "all models");
  for (guint i = 0; i < catalog_count(catalog); i++)
    gtk_string_list_append(models, catalog_nth(catalog, i)->name);
  gtk_drop_down_set_model(GTK_DROP_DOWN(self->model), G_LIST_MODEL(models));
  refresh(self);
  return self;
}

/* --- what tests and the app ask --------------------------------------------------------- */

void quality_view_set_filter(QualityView *self, const char *field, const char *text)
{
  g_return_if_fail(QUALITY_IS_VIEW(self));
  if (strcmp(field, "model") == 0) {
    guint selected = 0;
    for (guint i = 0; text && *text && i < catalog_count(self->catalog); i++)
      if (strcmp(catalog_nth(self->catalog, i)->name, text) == 0)
        selected = i + 1;
    gtk_drop_down_set_selected(GTK_DROP_DOWN(self->model), selected);
    return;
  }
  GtkWidget *entry = strcmp(field, "station") == 0    ? self->station
                     : strcmp(field, "fixture") == 0  ? self->fixture
                     : strcmp(field, "operator") == 0 ? self->operator_name
                     : strcmp(field, "order") == 0    ? self->order
                     : strcmp(field, "from") == 0     ? self->from
                     : strcmp(field, "to") == 0       ? self->to : NULL;
  g_return_if_fail(entry != NULL);
  gtk_editable_set_text(GTK_EDITABLE(entry), text ? text : "");
}

void quality_view_set_pareto_kind(QualityView *self, gboolean by_measurement)
{
  g_return_if_fail(QUALITY_IS_VIEW(self));
  gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(by_measurement ? self->by_measurement
                                                                : self->by_step), TRUE);
}

gboolean quality_view_choose_measurement(QualityView *self, const char *name)
{
  g_return_val_if_fail(QUALITY_IS_VIEW(self), FALSE);
  guint count = (guint)g_list_model_get_n_items(G_LIST_MODEL(self->measurements));
  for (guint i = 0; i < count; i++)
    if (strcmp(gtk_string_list_get_string(self->measurements, i), name) == 0) {
      if (gtk_drop_down_get_selected(GTK_DROP_DOWN(self->measurement)) == i)
        refresh(self);
      else
        gtk_drop_down_set_selected(GTK_DROP_DOWN(self->measurement), i);
      return TRUE;
    }
  return FALSE;
}

gboolean quality_view_is_busy(QualityView *self)
{
  return self->cancellable != NULL;
}

guint quality_view_yield_rows(QualityView *self)
{
  return self->yield_rows;
}

const char *quality_view_yield_cell(QualityView *self, guint row, guint column)
{
  GtkWidget *cell = gtk_grid_get_child_at(GTK_GRID(self->yield_grid), (int)column, (int)row);
  return cell ? gtk_label_get_text(GTK_LABEL(cell)) : NULL;
}

const char *quality_view_pareto_text(QualityView *self)
{
  return gtk_label_get_text(GTK_LABEL(self->pareto_text));
}

const char *quality_view_stats_text(QualityView *self)
{
  return gtk_label_get_text(GTK_LABEL(self->stats_text));
}

const char *quality_view_error_text(QualityView *self)
{
  return gtk_label_get_text(GTK_LABEL(self->error));
}

BarChart *quality_view_trend_chart(QualityView *self)
{
  return self->trend;
}

BarChart *quality_view_shift_trend_chart(QualityView *self)
{
  return self->shift_trend;
}

BarChart *quality_view_pareto_chart(QualityView *self)
{
  return self->pareto;
}

HistogramChart *quality_view_histogram(QualityView *self)
{
  return self->histogram;
}

ControlChart *quality_view_control_chart(QualityView *self)
{
  return self->control;
}
