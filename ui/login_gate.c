/* The log-in in front of a station window (see login_gate.h). */
#include "ui/login_gate.h"

/* The role each view needs; a view not in the window (not built in) is skipped. */
static const struct {
  const char *name;
  UserRole needed;
} VIEW_ROLES[] = {
  {"operator", USER_ROLE_OPERATOR},
  {"quality", USER_ROLE_ENGINEER},
  {"firmware", USER_ROLE_FIRMWARE},
};

typedef struct {
  StationWindow *window;        /* borrowed: the gate is the window's data */
  LoginPanel *login;
  SlotPanels *operator_view;
  FirmwareView *firmware;
  GSimpleAction *log_out;       /* owned by the window's action map */
  GtkWidget *user_label, *log_out_button;
} LoginGate;

/* The one place that says which views and actions the window offers now. */
static void actions_update(LoginGate *gate)
{
  const char *user = login_panel_user(gate->login);
  for (guint i = 0; i < G_N_ELEMENTS(VIEW_ROLES); i++)
    station_window_set_view_offered(gate->window, VIEW_ROLES[i].name,
                                    login_panel_allows(gate->login, VIEW_ROLES[i].needed));
  station_window_set_view_offered(gate->window, "login", user == NULL);
  g_simple_action_set_enabled(gate->log_out, user && login_panel_checks_roles(gate->login) &&
                                             !slot_panels_is_running(gate->operator_view));
  gtk_label_set_text(GTK_LABEL(gate->user_label), user ? user : "");
  gtk_widget_set_visible(gate->log_out_button, user && login_panel_checks_roles(gate->login));
}

static void on_logged_in(LoginPanel *login, LoginGate *gate)
{
  const char *user = login_panel_user(login);
  slot_panels_set_operator(gate->operator_view, user);
  firmware_view_set_user(gate->firmware, user);
  actions_update(gate);
  if (station_window_show_view(gate->window, "operator"))   /* the scan field takes the focus */
    slot_panels_focus_idle(gate->operator_view);
}

static void on_logged_out(LoginPanel *login, LoginGate *gate)
{
  actions_update(gate);
  if (!station_window_show_view(gate->window, "login"))
    on_logged_in(login, gate);  /* no admin: the default name again */
}

static void on_run_changed(SlotPanels *view, OperatorPanel *panel, LoginGate *gate)
{
  actions_update(gate);
}

static void on_log_out(GSimpleAction *action, GVariant *parameter, gpointer data)
{
  LoginGate *gate = data;
  if (!slot_panels_is_running(gate->operator_view))
    login_panel_log_out(gate->login);
}

void login_gate_attach(StationWindow *window, LoginPanel *login, SlotPanels *operator_view,
                       FirmwareView *firmware)
{
  GtkWidget *bar = gtk_window_get_titlebar(GTK_WINDOW(window));
  g_return_if_fail(GTK_IS_HEADER_BAR(bar));
  LoginGate *gate = g_new0(LoginGate, 1);
  *gate = (LoginGate){.window = window, .login = login, .operator_view = operator_view,
                      .firmware = firmware};
  g_object_set_data_full(G_OBJECT(window), "login-gate", gate, g_free);
  station_window_add_view(window, "login", "Log in", GTK_WIDGET(login));
  gate->log_out = g_simple_action_new("log-out", NULL);
  g_signal_connect(gate->log_out, "activate", G_CALLBACK(on_log_out), gate);
  g_action_map_add_action(G_ACTION_MAP(window), G_ACTION(gate->log_out));
  g_object_unref(gate->log_out);
  gate->log_out_button = gtk_button_new_with_mnemonic("_Log out");
  gtk_actionable_set_action_name(GTK_ACTIONABLE(gate->log_out_button), "win.log-out");
  gate->user_label = gtk_label_new("");
  gtk_header_bar_pack_end(GTK_HEADER_BAR(bar), gate->log_out_button);
  gtk_header_bar_pack_end(GTK_HEADER_BAR(bar), gate->user_label);
  g_signal_connect(login, "logged-in", G_CALLBACK(on_logged_in), gate);
  g_signal_connect(login, "logged-out", G_CALLBACK(on_logged_out), gate);
  g_signal_connect(operator_view, "run-started", G_CALLBACK(on_run_changed), gate);
  g_signal_connect(operator_view, "run-finished", G_CALLBACK(on_run_changed), gate);
  if (login_panel_user(login))
    on_logged_in(login, gate);
  else
    on_logged_out(login, gate);
}
