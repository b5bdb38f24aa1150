/* The operator view of a fixture, one panel per slot (see slot_panels.h). */
#include "ui/slot_panels.h"
#include "station/slot_fixture.h"
#include "ui/app_resources.h"

#define PANELS_PER_ROW 4

struct _SlotPanels {
  GtkWidget parent_instance;
  GtkWidget *box, *problem, *grid;
  GPtrArray *panels;            /* OperatorPanel*, in slot order (owned by the grid) */
  SlotFixture *fixture;         /* holds the twin of several slots; NULL: none to hold */
  gboolean ready;
  gboolean starting;            /* the twin is being started */
};

G_DEFINE_FINAL_TYPE(SlotPanels, slot_panels, GTK_TYPE_WIDGET)

enum { SIGNAL_RUN_STARTED, SIGNAL_RUN_FINISHED, SIGNAL_READY, N_SIGNALS };
static guint signals[N_SIGNALS];

static void show_problem(SlotPanels *self, const char *text)
{
  gtk_label_set_text(GTK_LABEL(self->problem), text ? text : "");
  gtk_widget_set_visible(self->problem, text != NULL);
}

/* The panel that holds the keyboard's focus, or NULL. */
static OperatorPanel *focused_panel(SlotPanels *self)
{
  GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
  GtkWidget *focus = root ? gtk_root_get_focus(root) : NULL;
  for (guint i = 0; focus && i < self->panels->len; i++)
    if (gtk_widget_is_ancestor(focus, self->panels->pdata[i]))
      return self->panels->pdata[i];
  return NULL;
}

/* The first idle panel after index (wrapping round), or NULL when every slot is running. */
static OperatorPanel *next_idle(SlotPanels *self, guint index)
{
  for (guint k = 1; k <= self->panels->len; k++) {
    OperatorPanel *panel = self->panels->pdata[(index + k) % self->panels->len];
    if (!operator_panel_is_running(panel))
      return panel;
  }
  return NULL;
}

static guint index_of(SlotPanels *self, OperatorPanel *panel)
{
  guint index = 0;
  g_ptr_array_find(self->panels, panel, &index);
  return index;
}

/* A slot started: the scanner goes on to the next idle slot, unless the operator is already
 * scanning into another one. */
static void on_run_started(OperatorPanel *panel, SlotPanels *self)
{
  OperatorPanel *focused = focused_panel(self);
  if (self->panels->len > 1 && (focused == NULL || focused == panel)) {
    OperatorPanel *idle = next_idle(self, index_of(self, panel));
    if (idle)
      operator_panel_focus_scan(idle);
  }
  g_signal_emit(self, signals[SIGNAL_RUN_STARTED], 0, panel);
}

/* A slot finished: its scan field takes the focus only from a running slot's panel, never
 * from a scan field in use; every slot shows the shift's new counts. */
static void on_run_finished(OperatorPanel *panel, SlotPanels *self)
{
  OperatorPanel *focused = focused_panel(self);
  if (self->panels->len > 1 && (focused == NULL || operator_panel_is_running(focused)))
    operator_panel_focus_scan(panel);
  for (guint i = 0; i < self->panels->len; i++)   /* the shift's counts are the station's */
    if (self->panels->pdata[i] != panel)
      operator_panel_refresh_shift(self->panels->pdata[i]);
  g_signal_emit(self, signals[SIGNAL_RUN_FINISHED], 0, panel);
}

static void set_ready(SlotPanels *self, gboolean ready)
{
  self->ready = ready;
  gtk_widget_set_sensitive(self->grid, ready);
  if (ready) {
    slot_panels_focus_idle(self);
    g_signal_emit(self, signals[SIGNAL_READY], 0);
  }
}

static void start_twin_thread(GTask *task, gpointer source, gpointer data, GCancellable *c)
{
  GError *error = NULL;
  if (slot_fixture_start_twin(data, &error))
    g_task_return_boolean(task, TRUE);
  else
    g_task_return_error(task, error);
}

static void on_twin_started(GObject *source, GAsyncResult *result, gpointer data)
{
  SlotPanels *self = SLOT_PANELS(source);
  g_autoptr(GError) error = NULL;
  self->starting = FALSE;
  if (!g_task_propagate_boolean(G_TASK(result), &error)) {
    g_autofree char *text = g_strdup_printf("The fixture's twin did not start: %s. Fix it, "
                                            "then restart the station.", error->message);
    show_problem(self, text);
    return;
  }
  show_problem(self, NULL);
  set_ready(self, TRUE);
}

static OperatorPanel *add_panel(SlotPanels *self, const OperatorPanelConfig *config, int slot,
                                int request_slot)
{
  OperatorPanelConfig mine = *config;
  mine.slot = slot;
  mine.request.slot = request_slot;
  OperatorPanel *panel = operator_panel_new(&mine);
  guint index = self->panels->len;
  gtk_grid_attach(GTK_GRID(self->grid), GTK_WIDGET(panel), (int)(index % PANELS_PER_ROW),
                  (int)(index / PANELS_PER_ROW), 1, 1);
  gtk_widget_set_hexpand(GTK_WIDGET(panel), TRUE);
  gtk_widget_set_vexpand(GTK_WIDGET(panel), TRUE);
  g_ptr_array_add(self->panels, panel);
  g_signal_connect(panel, "run-started", G_CALLBACK(on_run_started), self);
  g_signal_connect(panel, "run-finished", G_CALLBACK(on_run_finished), self);
  return panel;
}

/* Alt+N: the focus to slot N's panel (the Nth panel). */
static gboolean focus_slot(GtkWidget *widget, GVariant *args, gpointer data)
{
  SlotPanels *self = SLOT_PANELS(widget);
  guint index = (guint)g_variant_get_int32(args);
  if (index >= self->panels->len)
    return FALSE;
  operator_panel_focus_scan(self->panels->pdata[index]);
  return TRUE;
}

static void add_slot_shortcuts(SlotPanels *self)
{
  GtkEventController *shortcuts = gtk_shortcut_controller_new();
  for (guint i = 0; i < self->panels->len && i < 9; i++) {
    GtkShortcutTrigger *trigger = gtk_keyval_trigger_new(GDK_KEY_1 + i, GDK_ALT_MASK);
    GtkShortcut *shortcut = gtk_shortcut_new(trigger, gtk_callback_action_new(focus_slot,
                                                                                NULL, NULL));
    gtk_shortcut_set_arguments(shortcut, g_variant_new_int32((gint32)i));
    gtk_shortcut_controller_add_shortcut(GTK_SHORTCUT_CONTROLLER(shortcuts), shortcut);
  }
  gtk_widget_add_controller(GTK_WIDGET(self), shortcuts);
}

static void slot_panels_init(SlotPanels *self)
{
  self->panels = g_ptr_array_new();
  gtk_widget_init_template(GTK_WIDGET(self));
}

static void slot_panels_dispose(GObject *object)
{
  gtk_widget_dispose_template(GTK_WIDGET(object), SLOT_TYPE_PANELS);
  G_OBJECT_CLASS(slot_panels_parent_class)->dispose(object);
}

static void slot_panels_finalize(GObject *object)
{
  SlotPanels *self = SLOT_PANELS(object);
  g_ptr_array_unref(self->panels);
  g_clear_pointer(&self->fixture, slot_fixture_close);   /* stops a twin it started */
  G_OBJECT_CLASS(slot_panels_parent_class)->finalize(object);
}

static void slot_panels_class_init(SlotPanelsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  object_class->dispose = slot_panels_dispose;
  object_class->finalize = slot_panels_finalize;
  gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name(widget_class, "slotpanels");
  app_resources_ensure();
  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/com/jkbms/EolStation/slot-panels.ui");
  gtk_widget_class_bind_template_child(widget_class, SlotPanels, box);
  gtk_widget_class_bind_template_child(widget_class, SlotPanels, problem);
  gtk_widget_class_bind_template_child(widget_class, SlotPanels, grid);
  signals[SIGNAL_RUN_STARTED] = g_signal_new("run-started", G_TYPE_FROM_CLASS(klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, OPERATOR_TYPE_PANEL);
  signals[SIGNAL_RUN_FINISHED] = g_signal_new("run-finished", G_TYPE_FROM_CLASS(klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, OPERATOR_TYPE_PANEL);
  signals[SIGNAL_READY] = g_signal_new("ready", G_TYPE_FROM_CLASS(klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

SlotPanels *slot_panels_new(const OperatorPanelConfig *config)
{
  SlotPanels *self = g_object_new(SLOT_TYPE_PANELS, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlotFixture) fixture = slot_fixture_load(config->request.fixture_path, &error);
  int count = fixture ? slot_fixture_count(fixture) : 1;
  if (!fixture) {
    /* The panel's run says the same when it starts; nothing is tested meanwhile. */
    add_panel(self, config, config->slot, config->request.slot);
    show_problem(self, error->message);
  } else if (count == 1) {
    add_panel(self, config, slot_fixture_slot(fixture, 0), config->request.slot);
  } else {
    for (int i = 0; i < count; i++) {
      OperatorPanel *panel = add_panel(self, config, slot_fixture_slot(fixture, i),
                                       slot_fixture_slot(fixture, i));
      operator_panel_set_takes_focus(panel, FALSE);
    }
    gtk_widget_add_css_class(GTK_WIDGET(self), "several");
    add_slot_shortcuts(self);
  }
  if (fixture && slot_fixture_shares_twin(fixture)) {
    self->fixture = g_steal_pointer(&fixture);
    gtk_widget_set_sensitive(self->grid, FALSE);
    self->starting = TRUE;
    g_autofree char *text = g_strdup_printf("Starting the fixture's twin of %d slots…", count);
    show_problem(self, text);
    g_autoptr(GTask) task = g_task_new(self, NULL, on_twin_started, NULL);
    g_task_set_task_data(task, self->fixture, NULL);
    g_task_run_in_thread(task, start_twin_thread);
  } else {
    self->ready = TRUE;
  }
  return self;
}

guint slot_panels_count(SlotPanels *self)
{
  return self->panels->len;
}

OperatorPanel *slot_panels_get(SlotPanels *self, guint index)
{
  g_return_val_if_fail(index < self->panels->len, NULL);
  return self->panels->pdata[index];
}

gboolean slot_panels_is_ready(SlotPanels *self)
{
  return self->ready;
}

gboolean slot_panels_is_starting(SlotPanels *self)
{
  return self->starting;
}

const char *slot_panels_problem(SlotPanels *self)
{
  return gtk_widget_get_visible(self->problem) ? gtk_label_get_text(GTK_LABEL(self->problem))
                                               : NULL;
}

gboolean slot_panels_is_running(SlotPanels *self)
{
  for (guint i = 0; i < self->panels->len; i++)
    if (operator_panel_is_running(self->panels->pdata[i]))
      return TRUE;
  return FALSE;
}

void slot_panels_set_operator(SlotPanels *self, const char *name)
{
  for (guint i = 0; i < self->panels->len; i++)
    operator_panel_set_operator(self->panels->pdata[i], name);
}

void slot_panels_focus_idle(SlotPanels *self)
{
  OperatorPanel *idle = next_idle(self, self->panels->len - 1);
  if (idle)
    operator_panel_focus_scan(idle);
}
