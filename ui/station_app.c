/* The station-gui application (see station_app.h). */
#include "ui/station_app.h"
#include "ui/slot_panels.h"
#include "ui/quality_view.h"
#include "ui/station_window.h"
#include "ui/login_gate.h"
#include "ui/screenshot.h"
#include "sequences/data_path.h"
#include "db/store.h"
#include "ui/app_resources.h"

struct _StationApp {
  GtkApplication parent_instance;
  char *fixture, *db, *operator_name, *station_id, *chemistry, *trusted_keys, *sequence,
       *limits, *screenshot, *view, *user;
  char **scan;                  /* --scan: a serial per slot, in slot order */
  double abort_after_s;
  Catalog *catalog;
  char *db_path;
  StationWindow *window;
  SlotPanels *slots;
  guint scans_running;          /* unattended runs not finished yet */
  int exit_status;
};

G_DEFINE_FINAL_TYPE(StationApp, station_app, GTK_TYPE_APPLICATION)

static int exit_status_of(Outcome outcome)
{
  switch (outcome) {
  case OUTCOME_PASS: return 0;
  case OUTCOME_FAIL: return 1;
  case OUTCOME_ABORTED: return 3;
  default: return 2;
  }
}

static void save_screenshot(StationApp *self)
{
  g_autoptr(GError) error = NULL;
  if (!screenshot_save(GTK_WIDGET(self->window), self->screenshot, &error)) {
    g_printerr("station-gui: %s\n", error->message);
    self->exit_status = 2;
  }
}

/* After an unattended run: let the verdict draw, save the picture, quit. */
static gboolean finish_unattended(gpointer data)
{
  StationApp *self = data;
  if (self->screenshot)
    save_screenshot(self);
  g_application_quit(G_APPLICATION(self));
  return G_SOURCE_REMOVE;
}

static void on_run_finished(SlotPanels *slots, OperatorPanel *panel, StationApp *self)
{
  gint64 run_id;
  Outcome outcome = operator_panel_last_outcome(panel, &run_id);
  self->exit_status = MAX(self->exit_status, exit_status_of(outcome));
  g_autofree char *slot = slot_panels_count(slots) > 1
      ? g_strdup_printf("slot %d: ", operator_panel_slot(panel)) : g_strdup("");
  g_print("%s%s run %" G_GINT64_FORMAT ": %s\n", slot, operator_panel_banner_text(panel),
          run_id, operator_panel_status_text(panel));
  const char *detail = operator_panel_detail_text(panel);
  if (detail && *detail)
    g_print("  %s\n", detail);
  if (self->scan && self->scans_running > 0 && --self->scans_running == 0)
    g_timeout_add(500, finish_unattended, self);
}

/* The quality view's reports have been read: let the charts draw, then save it. */
static void on_quality_refreshed(QualityView *view, StationApp *self)
{
  g_signal_handlers_disconnect_by_func(view, on_quality_refreshed, self);
  g_timeout_add(500, finish_unattended, self);
}

/* What the operator does on the keyboard: Esc asks, Esc again aborts (the first slot). */
static gboolean press_escape_twice(gpointer data)
{
  StationApp *self = data;
  GtkWidget *panel = GTK_WIDGET(slot_panels_get(self->slots, 0));
  gtk_widget_activate_action(panel, "panel.abort", NULL);
  gtk_widget_activate_action(panel, "panel.abort", NULL);
  return G_SOURCE_REMOVE;
}

/* Unattended scans that could not start: the reason, then quit with the usage status. */
static void refuse_unattended(StationApp *self, const char *reason)
{
  g_printerr("station-gui: %s\n", reason);
  self->exit_status = 64;
  g_timeout_add(300, finish_unattended, self);
}

/* The scanner, once per serial into the slots in order: serial + Enter identifies, a
 * second Enter starts. */
static void scan_unattended(StationApp *self)
{
  guint count = g_strv_length(self->scan);
  if (!slot_panels_is_ready(self->slots)) {
    refuse_unattended(self, slot_panels_problem(self->slots));
    return;
  }
  if (count > slot_panels_count(self->slots)) {
    g_autofree char *reason = g_strdup_printf("%u boards scanned, but the fixture has %u "
                                              "slot%s", count, slot_panels_count(self->slots),
                                              slot_panels_count(self->slots) == 1 ? "" : "s");
    refuse_unattended(self, reason);
    return;
  }
  for (guint i = 0; i < count; i++) {
    OperatorPanel *panel = slot_panels_get(self->slots, i);
    operator_panel_scan(panel, self->scan[i]);
    if (operator_panel_is_ready(panel))
      operator_panel_scan(panel, "");
    if (!operator_panel_is_running(panel)) {
      refuse_unattended(self, operator_panel_status_text(panel));
      return;
    }
    self->scans_running++;
  }
  if (self->abort_after_s > 0)
    g_timeout_add((guint)(self->abort_after_s * 1000), press_escape_twice, self);
}

static gboolean scan_when_ready(gpointer data)
{
  StationApp *self = data;
  if (slot_panels_is_starting(self->slots))
    g_timeout_add(200, scan_when_ready, self);
  else
    scan_unattended(self);
  return G_SOURCE_REMOVE;
}

/* The log-in in front of the views (after they are all added, so it gates each of them);
 * --user logs in unattended. FALSE, with the reason printed, when nobody could log in. */
static gboolean add_login(StationApp *self, FirmwareView *firmware)
{
  LoginPanel *login = login_panel_new(self->db_path, self->operator_name);
  login_gate_attach(self->window, login, self->slots, firmware);
  if (self->user)
    login_panel_scan(login, self->user);
  if (login_panel_user(login) || (!self->user && !self->scan))
    return TRUE;
  g_printerr("station-gui: %s\n", self->user ? login_panel_status_text(login)
                                             : "this station's users log in: give --user too");
  return FALSE;
}

static void station_app_activate(GApplication *app)
{
  StationApp *self = STATION_APP(app);
  if (self->window) {
    gtk_window_present(GTK_WINDOW(self->window));
    return;
  }
  app_resources_load_styles();
  g_autofree char *fixture = self->fixture ? g_strdup(self->fixture) : default_fixture_path();
  OperatorPanelConfig config = {
    .catalog = self->catalog, .db_path = self->db_path, .slot = 1,
    .request = {
      .fixture_path = fixture, .operator_name = self->operator_name,
      .station_id = self->station_id, .chemistry = self->chemistry,
      .trusted_keys_dir = self->trusted_keys, .sequence_path = self->sequence,
      .limits_path = self->limits,
    },
  };
  self->window = station_window_new(GTK_APPLICATION(app));
  self->slots = slot_panels_new(&config);
  g_signal_connect(self->slots, "run-finished", G_CALLBACK(on_run_finished), self);
  station_window_add_view(self->window, "operator", "Operator", GTK_WIDGET(self->slots));
  QualityView *quality = quality_view_new(self->catalog, self->db_path);
  station_window_add_view(self->window, "quality", "Quality", GTK_WIDGET(quality));
  FirmwareView *firmware = firmware_view_new(self->db_path, self->trusted_keys);
  station_window_add_view(self->window, "firmware", "Firmware", GTK_WIDGET(firmware));
  if (!add_login(self, firmware)) {
    self->exit_status = 64;
    g_application_quit(app);
    return;
  }
  if (self->view && !station_window_show_view(self->window, self->view)) {
    g_autofree char *names = station_window_view_names(self->window);
    g_printerr("station-gui: unknown view '%s': the views are: %s\n", self->view, names);
    self->exit_status = 64;
    g_application_quit(app);
    return;
  }
  const char *shown = station_window_shown_view(self->window);
  gboolean quality_shown = g_strcmp0(shown, "quality") == 0;
  if (quality_shown || g_strcmp0(shown, "firmware") == 0)   /* made for a desk screen */
    gtk_window_set_default_size(GTK_WINDOW(self->window), 1280, 1024);
  gtk_window_present(GTK_WINDOW(self->window));
  if (self->scan)
    g_timeout_add(300, scan_when_ready, self);
  else if (self->screenshot && quality_shown)
    g_signal_connect(quality, "refreshed", G_CALLBACK(on_quality_refreshed), self);
  else if (self->screenshot)
    g_timeout_add(500, finish_unattended, self);
}

/* Opens what every view needs; a problem ends the app with one sentence. */
static int station_app_handle_local_options(GApplication *app, GVariantDict *options)
{
  StationApp *self = STATION_APP(app);
  g_autoptr(GError) error = NULL;
  self->catalog = catalog_load_default(&error);
  if (!self->catalog) {
    g_printerr("station-gui: %s\n", error->message);
    return 2;
  }
  self->db_path = self->db ? g_strdup(self->db) : store_default_path();
  g_autoptr(Store) store = store_open(self->db_path, &error);
  if (!store) {
    g_printerr("station-gui: %s\n", error->message);
    return 2;
  }
  return -1;
}

static void station_app_init(StationApp *self)
{
  GOptionEntry entries[] = {
    {"fixture", 'f', 0, G_OPTION_ARG_FILENAME, &self->fixture,
     "Fixture description (default: the twin, fixtures/sim.conf)", "FILE"},
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &self->db, "Results database (default: user data dir)",
     "FILE"},
    {"operator", 'o', 0, G_OPTION_ARG_STRING, &self->operator_name,
     "Operator name (default: login)", "NAME"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &self->user,
     "Log in this user (name or badge code) without the log-in view", "NAME|BADGE"},
    {"station", 0, 0, G_OPTION_ARG_STRING, &self->station_id, "Station id (default: host name)",
     "ID"},
    {"chemistry", 'c', 0, G_OPTION_ARG_STRING, &self->chemistry,
     "Cell chemistry of the order: lfp (default), liion, lto", "CHEM"},
    {"sequence", 0, 0, G_OPTION_ARG_FILENAME, &self->sequence,
     "Sequence (default sequences/eol.lua)", "FILE"},
    {"limits", 0, 0, G_OPTION_ARG_FILENAME, &self->limits,
     "Limits (default sequences/limits.conf)", "FILE"},
    {"trusted-keys", 0, 0, G_OPTION_ARG_FILENAME, &self->trusted_keys,
     "Folder of the firmware team's public keys (default: the user's config dir)", "DIR"},
    {"scan", 0, 0, G_OPTION_ARG_STRING_ARRAY, &self->scan,
     "Scan this serial and press Enter twice, then quit after the run; given once per "
     "board, the boards go into the fixture's slots in order", "SERIAL"},
    {"abort-after", 0, 0, G_OPTION_ARG_DOUBLE, &self->abort_after_s,
     "With --scan: press Esc twice this many seconds into the run", "S"},
    {"screenshot", 0, 0, G_OPTION_ARG_FILENAME, &self->screenshot,
     "Save the view as PNG (after the run with --scan) and quit", "FILE"},
    {"view", 0, 0, G_OPTION_ARG_STRING, &self->view,
     "View to show (and save with --screenshot): operator, quality, firmware",
     "NAME"},
    G_OPTION_ENTRY_NULL,
  };
  g_application_add_main_option_entries(G_APPLICATION(self), entries);
}

static void station_app_finalize(GObject *object)
{
  StationApp *self = STATION_APP(object);
  char **strings[] = {&self->fixture, &self->db, &self->operator_name, &self->station_id,
                      &self->chemistry, &self->trusted_keys, &self->sequence, &self->limits,
                      &self->screenshot, &self->view, &self->user, &self->db_path};
  for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
    g_clear_pointer(strings[i], g_free);
  g_clear_pointer(&self->scan, g_strfreev);
  g_clear_pointer(&self->catalog, catalog_free);
  G_OBJECT_CLASS(station_app_parent_class)->finalize(object);
}

static void station_app_class_init(StationAppClass *klass)
{
  G_OBJECT_CLASS(klass)->finalize = station_app_finalize;
  G_APPLICATION_CLASS(klass)->activate = station_app_activate;
  G_APPLICATION_CLASS(klass)->handle_local_options = station_app_handle_local_options;
}

StationApp *station_app_new(void)
{
  return g_object_new(STATION_TYPE_APP, "application-id", "com.jkbms.EolStation",
                      "flags", G_APPLICATION_NON_UNIQUE, NULL);
}

int station_app_exit_status(StationApp *self)
{
  return self->exit_status;
}
