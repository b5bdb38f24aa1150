/* The operator's panel for one fixture slot (see operator_panel.h). */
#include "ui/operator_panel.h"
#include "ui/run_worker.h"
#include "ui/shift_counts.h"
#include "station/golden_rule.h"
#include "station/serial_number.h"
#include "ui/failure_text.h"
#include "ui/app_resources.h"

struct _OperatorPanel {
  GtkWidget parent_instance;
  GtkWidget *box;
  GtkWidget *title, *scan, *status, *banner, *detail, *times, *progress, *steps, *scroller;
  GtkWidget *shift;
  const Catalog *catalog;
  char *db_path;
  RunRequest request;           /* strings owned; serial unused */
  int slot;
  SerialNumber identified;      /* the scanned board, valid when has_identified */
  gboolean has_identified;
  RunWorker *worker;            /* non-NULL while a run is active */
  gboolean confirm_abort;       /* Esc pressed once: the next Esc aborts */
  gboolean takes_focus;         /* the scan field grabs the focus whenever no run is active */
  GtkWidget *current_row;       /* the last step begun: its measurement box */
  GtkWidget *failed_label;      /* the first failed step's title, kept in view at the end */
  gint64 started_us;
  double expected_s;
  guint tick_id;
  char *first_failed;           /* first failing measurement, in words */
  Outcome last_outcome;
  gint64 last_run_id;
};

G_DEFINE_FINAL_TYPE(OperatorPanel, operator_panel, GTK_TYPE_WIDGET)

enum { SIGNAL_RUN_STARTED, SIGNAL_RUN_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* The one place that says which actions are possible now. */
static void actions_update(OperatorPanel *self)
{
  gboolean running = self->worker != NULL;
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "panel.abort", running);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "panel.start",
                                !running && self->has_identified);
  gtk_editable_set_editable(GTK_EDITABLE(self->scan), TRUE);
  if (!running && self->takes_focus)
    gtk_widget_grab_focus(self->scan);
}

static void set_status(OperatorPanel *self, const char *text)
{
  gtk_label_set_text(GTK_LABEL(self->status), text);
}

static void set_banner(OperatorPanel *self, const char *text, const char *css)
{
  static const char *classes[] = {"idle", "running", "pass", "fail", "error", "aborted"};
  for (guint i = 0; i < G_N_ELEMENTS(classes); i++)
    gtk_widget_remove_css_class(self->banner, classes[i]);
  gtk_widget_add_css_class(self->banner, css);
  gtk_label_set_text(GTK_LABEL(self->banner), text);
}

static void update_shift(OperatorPanel *self)
{
  ShiftCounts counts;
  g_autoptr(GError) error = NULL;
  if (!shift_counts_load(self->db_path, &counts, &error)) {
    gtk_label_set_text(GTK_LABEL(self->shift), error->message);
    return;
  }
  g_autofree char *counted = shift_counts_describe(&counts);
  /* The fixture's golden check of the shift, when it needs one. */
  g_autofree char *golden = golden_status_line(self->db_path, self->request.golden_policy,
                                               self->request.fixture_path, self->slot);
  g_autofree char *text = golden ? g_strdup_printf("%s\n%s", counted, golden)
                                 : g_strdup(counted);
  gtk_label_set_text(GTK_LABEL(self->shift), text);
}

static void clear_steps(OperatorPanel *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(self->steps)))
    gtk_list_box_remove(GTK_LIST_BOX(self->steps), child);
  self->current_row = self->failed_label = NULL;
}

/* The measurement box of the step with this index: the last one begun, or one that records
 * or ends after a step that ran in its overlapped wait began; NULL: none. */
static GtkWidget *step_box(OperatorPanel *self, int index)
{
  if (self->current_row &&
      GPOINTER_TO_INT(g_object_get_data(G_OBJECT(self->current_row), "index")) == index)
    return self->current_row;
  for (GtkWidget *row = gtk_widget_get_last_child(self->steps); row;
       row = gtk_widget_get_prev_sibling(row)) {
    GtkWidget *box = GTK_IS_LIST_BOX_ROW(row) ? gtk_list_box_row_get_child(GTK_LIST_BOX_ROW(row))
                                              : NULL;
    if (box && GPOINTER_TO_INT(g_object_get_data(G_OBJECT(box), "index")) == index)
      return box;
  }
  return NULL;
}

static void add_step_row(OperatorPanel *self, const EngineEvent *e)
{
  GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 2);
  g_autofree char *text = g_strdup_printf("▶  %s", e->step);
  GtkWidget *label = gtk_label_new(text);
  gtk_label_set_xalign(GTK_LABEL(label), 0);
  gtk_widget_add_css_class(label, "step");
  gtk_box_append(GTK_BOX(box), label);
  gtk_list_box_append(GTK_LIST_BOX(self->steps), box);
  self->current_row = box;
  g_object_set_data(G_OBJECT(box), "index", GINT_TO_POINTER(e->step_index));
  g_object_set_data_full(G_OBJECT(label), "step", g_strdup(e->step), g_free);
  g_object_set_data(G_OBJECT(label), "start", GINT_TO_POINTER((int)(e->elapsed_s * 1000)));
  gboolean flashing = strstr(e->step, "flash") != NULL;
  gtk_widget_set_visible(self->progress, flashing);
}

static void add_measurement(OperatorPanel *self, const EngineEvent *e)
{
  const Measurement *m = e->measurement;
  GtkWidget *box = step_box(self, e->step_index);
  if (!box)
    return;
  g_autofree char *text = measurement_describe(m);
  gboolean failed = m->outcome == OUTCOME_FAIL;
  const char *verdict = m->comparison == COMPARE_LOG ? "    " : failed ? "FAIL" : "ok  ";
  g_autofree char *line = g_strdup_printf("      %s  %s  %s", verdict, m->name, text);
  GtkWidget *label = gtk_label_new(line);
  gtk_label_set_xalign(GTK_LABEL(label), 0);
  gtk_label_set_wrap(GTK_LABEL(label), TRUE);
  gtk_widget_add_css_class(label, failed ? "measurement-fail" : "measurement");
  gtk_box_append(GTK_BOX(box), label);
  if (failed && !self->first_failed)
    self->first_failed = failure_text_explain(m);
}

static void end_step(OperatorPanel *self, const EngineEvent *e)
{
  GtkWidget *box = step_box(self, e->step_index);
  GtkWidget *title = box ? gtk_widget_get_first_child(box) : NULL;
  if (!title)
    return;
  int start_ms = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(title), "start"));
  const char *icon = e->outcome == OUTCOME_PASS ? "✔" : e->outcome == OUTCOME_SKIP ? "–" : "✘";
  g_autofree char *text = g_strdup_printf("%s  %s   %.1f s   %s%s%s", icon, e->step,
                                          e->elapsed_s - start_ms / 1000.0,
                                          outcome_name(e->outcome), e->message ? ": " : "",
                                          e->message ? e->message : "");
  gtk_label_set_text(GTK_LABEL(title), text);
  if (e->outcome == OUTCOME_FAIL || e->outcome == OUTCOME_ERROR) {
    gtk_widget_add_css_class(title, "step-fail");
    if (!self->failed_label)
      self->failed_label = title;
  }
  gtk_widget_set_visible(self->progress, FALSE);
}

/* Main loop: a batch of the engine's events. */
static void on_events(GPtrArray *events, gpointer data)
{
  OperatorPanel *self = data;
  for (guint i = 0; i < events->len; i++) {
    const EngineEvent *e = events->pdata[i];
    switch (e->kind) {
    case EVENT_STEP_STARTED: add_step_row(self, e); break;
    case EVENT_MEASUREMENT: add_measurement(self, e); break;
    case EVENT_STEP_ENDED: end_step(self, e); break;
    default: break;
    }
  }
  /* The newest step (and a failure in it) stays in view. */
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(self->scroller));
  gtk_adjustment_set_value(adj, gtk_adjustment_get_upper(adj));
}

static gboolean on_tick(gpointer data)
{
  OperatorPanel *self = data;
  double elapsed = (g_get_monotonic_time() - self->started_us) / 1e6;
  g_autofree char *text = self->expected_s > 0
      ? g_strdup_printf("Elapsed %.0f s of about %.0f s expected", elapsed, self->expected_s)
      : g_strdup_printf("Elapsed %.0f s (no earlier run of this model to compare)", elapsed);
  gtk_label_set_text(GTK_LABEL(self->times), text);
  if (self->expected_s > 0)
    gtk_progress_bar_set_fraction(GTK_PROGRESS_BAR(self->progress),
                                  MIN(1.0, elapsed / self->expected_s));
  else
    gtk_progress_bar_pulse(GTK_PROGRESS_BAR(self->progress));
  return G_SOURCE_CONTINUE;
}

/* The first failed step at the top of the list, so the failure needs no scrolling. */
static void scroll_to_failure(OperatorPanel *self)
{
  double x, y;
  if (!self->failed_label ||
      !gtk_widget_translate_coordinates(self->failed_label, self->steps, 0, 0, &x, &y))
    return;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(self->scroller));
  gtk_adjustment_set_value(adj, y);
}

static void show_verdict(OperatorPanel *self, const RunResult *r)
{
  scroll_to_failure(self);
  static const char *css[] = {
    [OUTCOME_PASS] = "pass", [OUTCOME_FAIL] = "fail", [OUTCOME_ERROR] = "error",
    [OUTCOME_ABORTED] = "aborted", [OUTCOME_RUNNING] = "error", [OUTCOME_SKIP] = "error",
  };
  g_autofree char *banner = g_strdup_printf("%s   %s", outcome_name(r->outcome),
                                            self->identified.text);
  set_banner(self, banner, css[r->outcome]);
  g_autofree char *verdict = failure_text_verdict(r->outcome, r->first_failure, r->message,
                                                  self->first_failed);
  /* A golden board's run is the fixture's golden check: its verdict follows the board's. */
  g_autofree char *detail = !r->golden_message ? g_strdup(verdict)
                            : *verdict ? g_strdup_printf("%s\n%s", verdict, r->golden_message)
                                       : g_strdup(r->golden_message);
  gtk_label_set_text(GTK_LABEL(self->detail), detail);
  g_autofree char *times = g_strdup_printf("Cycle %.1f s", r->duration_s);
  gtk_label_set_text(GTK_LABEL(self->times), times);
  set_status(self, "Scan the next board.");
}

static void on_run_done(GObject *source, GAsyncResult *res, gpointer data)
{
  OperatorPanel *self = data;
  RunResult result = {0};
  g_autoptr(GError) error = NULL;
  g_clear_handle_id(&self->tick_id, g_source_remove);
  gtk_widget_set_visible(self->progress, FALSE);
  if (run_worker_finish(res, &result, &error)) {
    show_verdict(self, &result);
    self->last_outcome = result.outcome;
    self->last_run_id = result.run_id;
    run_result_clear(&result);
  } else {
    set_banner(self, "ERROR", "error");
    gtk_label_set_text(GTK_LABEL(self->detail), error->message);
    set_status(self, "The run could not start: fix what the line above says, then scan again.");
    self->last_outcome = OUTCOME_ERROR;
    self->last_run_id = 0;
  }
  g_clear_pointer(&self->worker, run_worker_unref);
  self->has_identified = FALSE;
  self->confirm_abort = FALSE;
  update_shift(self);
  actions_update(self);
  g_object_unref(self);         /* the run's reference */
  g_signal_emit(self, signals[SIGNAL_RUN_FINISHED], 0);
}

static void start_run(OperatorPanel *self)
{
  RunRequest request = self->request;
  request.serial = self->identified.text;
  clear_steps(self);
  g_clear_pointer(&self->first_failed, g_free);
  self->expected_s = shift_counts_expected_cycle(self->db_path, self->identified.model->name);
  self->started_us = g_get_monotonic_time();
  g_autofree char *banner = g_strdup_printf("TESTING   %s", self->identified.text);
  set_banner(self, banner, "running");
  gtk_label_set_text(GTK_LABEL(self->detail), "");
  set_status(self, "Running: keep hands off the board. Esc aborts.");
  self->worker = run_worker_start(self->catalog, self->db_path, &request, on_events,
                                  on_run_done, g_object_ref(self));
  self->tick_id = g_timeout_add(250, on_tick, self);
  on_tick(self);
  actions_update(self);
  g_signal_emit(self, signals[SIGNAL_RUN_STARTED], 0);
}

/* Enter in the scan field: identify a scanned serial, or start with an empty field. */
static void on_scan_activate(GtkEntry *entry, OperatorPanel *self)
{
  g_autofree char *text = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(entry))));
  gtk_editable_set_text(GTK_EDITABLE(entry), "");
  if (self->worker) {
    if (self->confirm_abort) {  /* Enter answers the abort question: keep running */
      self->confirm_abort = FALSE;
      set_status(self, "Running: keep hands off the board. Esc aborts.");
    } else if (*text) {
      set_status(self, "A run is already active on this slot: wait for its verdict, or "
                       "press Esc to abort it, before scanning the next board.");
    }
    return;
  }
  if (!*text) {
    if (self->has_identified)
      start_run(self);
    else
      set_status(self, "Scan the board's serial number barcode first.");
    return;
  }
  g_autoptr(GError) error = NULL;
  if (!serial_number_parse(text, self->catalog, &self->identified, &error)) {
    self->has_identified = FALSE;
    set_status(self, error->message);
    actions_update(self);
    return;
  }
  self->has_identified = TRUE;
  g_autofree char *msg = g_strdup_printf("%s, model %s: press Enter to start.",
                                         self->identified.text, self->identified.model->name);
  set_status(self, msg);
  set_banner(self, "READY", "idle");
  actions_update(self);
}

static void action_start(GtkWidget *widget, const char *name, GVariant *param)
{
  OperatorPanel *self = OPERATOR_PANEL(widget);
  if (!self->worker && self->has_identified)
    start_run(self);
}

/* Esc: the first asks, the second aborts. */
static void action_abort(GtkWidget *widget, const char *name, GVariant *param)
{
  OperatorPanel *self = OPERATOR_PANEL(widget);
  if (!self->worker)
    return;
  if (!self->confirm_abort) {
    self->confirm_abort = TRUE;
    set_status(self, "Abort this run? Press Esc again to abort, Enter to keep testing.");
    return;
  }
  run_worker_abort(self->worker);
  set_status(self, "Aborting: the fixture is being put in its safe state.");
}

static void operator_panel_init(OperatorPanel *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  self->last_outcome = OUTCOME_RUNNING;
  self->takes_focus = TRUE;
  set_banner(self, "SCAN A BOARD", "idle");
}

static void operator_panel_dispose(GObject *object)
{
  OperatorPanel *self = OPERATOR_PANEL(object);
  g_clear_handle_id(&self->tick_id, g_source_remove);
  gtk_widget_dispose_template(GTK_WIDGET(object), OPERATOR_TYPE_PANEL);
  G_OBJECT_CLASS(operator_panel_parent_class)->dispose(object);
}

static void operator_panel_finalize(GObject *object)
{
  OperatorPanel *self = OPERATOR_PANEL(object);
  g_free(self->db_path);
  g_free(self->first_failed);
  g_free((char *)self->request.fixture_path);
  g_free((char *)self->request.operator_name);
  g_free((char *)self->request.station_id);
  g_free((char *)self->request.chemistry);
  g_free((char *)self->request.trusted_keys_dir);
  g_free((char *)self->request.sequence_path);
  g_free((char *)self->request.limits_path);
  G_OBJECT_CLASS(operator_panel_parent_class)->finalize(object);
}

static void operator_panel_class_init(OperatorPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  object_class->dispose = operator_panel_dispose;
  object_class->finalize = operator_panel_finalize;
  gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name(widget_class, "operatorpanel");
  app_resources_ensure();
  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/com/jkbms/EolStation/operator-panel.ui");
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, box);
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, title);
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, scan);
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, status);
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, banner);
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, detail);
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, times);
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, progress);
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, scroller);
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, steps);
  gtk_widget_class_bind_template_child(widget_class, OperatorPanel, shift);
  gtk_widget_class_bind_template_callback(widget_class, on_scan_activate);
  gtk_widget_class_install_action(widget_class, "panel.start", NULL, action_start);
  gtk_widget_class_install_action(widget_class, "panel.abort", NULL, action_abort);
  gtk_widget_class_add_binding_action(widget_class, GDK_KEY_Escape, 0, "panel.abort", NULL);
  signals[SIGNAL_RUN_STARTED] = g_signal_new("run-started", G_TYPE_FROM_CLASS(klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_RUN_FINISHED] = g_signal_new("run-finished", G_TYPE_FROM_CLASS(klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

OperatorPanel *operator_panel_new(const OperatorPanelConfig *config)
{
  OperatorPanel *self = g_object_new(OPERATOR_TYPE_PANEL, NULL);
  self->catalog = config->catalog;
  self->db_path = g_strdup(config->db_path);
  self->slot = config->slot;
  self->request = config->request;
  self->request.serial = NULL;
  self->request.fixture_path = g_strdup(config->request.fixture_path);
  self->request.operator_name = g_strdup(config->request.operator_name);
  self->request.station_id = g_strdup(config->request.station_id);
  self->request.chemistry = g_strdup(config->request.chemistry);
  self->request.trusted_keys_dir = g_strdup(config->request.trusted_keys_dir);
  self->request.sequence_path = g_strdup(config->request.sequence_path);
  self->request.limits_path = g_strdup(config->request.limits_path);
  g_autofree char *title = g_strdup_printf("Slot %d", config->slot);
  gtk_label_set_text(GTK_LABEL(self->title), title);
  set_status(self, "Scan the board's serial number barcode.");
  update_shift(self);
  actions_update(self);
  return self;
}

void operator_panel_set_operator(OperatorPanel *self, const char *name)
{
  g_free((char *)self->request.operator_name);
  self->request.operator_name = g_strdup(name);
}

void operator_panel_refresh_shift(OperatorPanel *self)
{
  update_shift(self);
}

void operator_panel_set_takes_focus(OperatorPanel *self, gboolean takes_focus)
{
  self->takes_focus = takes_focus;
}

void operator_panel_focus_scan(OperatorPanel *self)
{
  gtk_widget_grab_focus(self->scan);
}

int operator_panel_slot(OperatorPanel *self)
{
  return self->slot;
}

void operator_panel_scan(OperatorPanel *self, const char *text)
{
  gtk_editable_set_text(GTK_EDITABLE(self->scan), text);
  g_signal_emit_by_name(self->scan, "activate");
}

gboolean operator_panel_is_running(OperatorPanel *self)
{
  return self->worker != NULL;
}

gboolean operator_panel_is_ready(OperatorPanel *self)
{
  return self->worker == NULL && self->has_identified;
}

Outcome operator_panel_last_outcome(OperatorPanel *self, gint64 *run_id)
{
  if (run_id)
    *run_id = self->last_run_id;
  return self->last_outcome;
}

const char *operator_panel_banner_text(OperatorPanel *self)
{
  return gtk_label_get_text(GTK_LABEL(self->banner));
}

const char *operator_panel_status_text(OperatorPanel *self)
{
  return gtk_label_get_text(GTK_LABEL(self->status));
}

const char *operator_panel_shift_text(OperatorPanel *self)
{
  return gtk_label_get_text(GTK_LABEL(self->shift));
}

const char *operator_panel_detail_text(OperatorPanel *self)
{
  return gtk_label_get_text(GTK_LABEL(self->detail));
}

guint operator_panel_step_count(OperatorPanel *self)
{
  guint n = 0;
  for (GtkWidget *c = gtk_widget_get_first_child(self->steps); c; c = gtk_widget_get_next_sibling(c))
    n++;
  return n;
}
