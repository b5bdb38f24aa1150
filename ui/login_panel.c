/* The log-in (see login_panel.h). */
#include "ui/login_panel.h"
#include "ui/user_rights.h"
#include "ui/app_resources.h"

struct _LoginPanel {
  GtkWidget parent_instance;
  GtkWidget *box, *entry, *status;
  char *db_path, *default_name;
  char *user;                   /* the logged-in user's name, NULL when nobody */
  gboolean checks_roles;        /* the station has an admin: people log in */
};

G_DEFINE_FINAL_TYPE(LoginPanel, login_panel, GTK_TYPE_WIDGET)

enum { SIGNAL_LOGGED_IN, SIGNAL_LOGGED_OUT, N_SIGNALS };
static guint signals[N_SIGNALS];

static void set_status(LoginPanel *self, const char *text)
{
  gtk_label_set_text(GTK_LABEL(self->status), text);
}

static void log_in(LoginPanel *self, const char *name)
{
  g_free(self->user);
  self->user = g_strdup(name);
  g_autofree char *text = g_strdup_printf("Logged in as %s.", name);
  set_status(self, text);
  g_signal_emit(self, signals[SIGNAL_LOGGED_IN], 0);
}

/* Reads whether the station has an admin now (one may have been added since). */
static Store *open_store(LoginPanel *self, GError **error)
{
  Store *store = store_open(self->db_path, error);
  if (!store)
    return NULL;
  g_autoptr(GPtrArray) users = store_user_list(store, error);
  if (!users) {
    store_close(store);
    return NULL;
  }
  self->checks_roles = FALSE;
  for (guint i = 0; i < users->len; i++)
    if (((const UserRow *)users->pdata[i])->role == USER_ROLE_ADMIN)
      self->checks_roles = TRUE;
  return store;
}

static void on_entry_activate(GtkEntry *entry, LoginPanel *self)
{
  g_autofree char *text = g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(entry))));
  gtk_editable_set_text(GTK_EDITABLE(entry), "");
  if (!*text) {
    set_status(self, "Scan your badge, or type your name and press Enter.");
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = open_store(self, &error);
  if (!store) {
    set_status(self, error->message);
    return;
  }
  g_autoptr(UserRow) user = store_user_find(store, text, &error);
  if (!user && !self->checks_roles) {   /* no roles yet: whoever it is works under that name */
    log_in(self, text);
    return;
  }
  if (!user) {
    g_autofree char *why = g_error_matches(error, USER_ERROR, USER_ERROR_UNKNOWN)
        ? g_strdup_printf("No user of this station has the badge or name '%s': scan again, "
                          "or ask an admin to add you.", text)
        : g_strdup(error->message);
    set_status(self, why);
    return;
  }
  log_in(self, user->name);
}

void login_panel_log_out(LoginPanel *self)
{
  if (!self->user)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = open_store(self, &error);
  g_autofree char *text = g_strdup_printf("%s logged out. Scan your badge to log in.",
                                          self->user);
  g_clear_pointer(&self->user, g_free);
  set_status(self, store ? text : error->message);
  if (store && !self->checks_roles)
    self->user = g_strdup(self->default_name);
  g_signal_emit(self, signals[SIGNAL_LOGGED_OUT], 0);
}

/* The scanner types into the entry whenever the log-in is on screen. */
static void login_panel_map(GtkWidget *widget)
{
  GTK_WIDGET_CLASS(login_panel_parent_class)->map(widget);
  gtk_widget_grab_focus(LOGIN_PANEL(widget)->entry);
}

static void login_panel_init(LoginPanel *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
}

static void login_panel_dispose(GObject *object)
{
  gtk_widget_dispose_template(GTK_WIDGET(object), LOGIN_TYPE_PANEL);
  G_OBJECT_CLASS(login_panel_parent_class)->dispose(object);
}

static void login_panel_finalize(GObject *object)
{
  LoginPanel *self = LOGIN_PANEL(object);
  g_free(self->db_path);
  g_free(self->default_name);
  g_free(self->user);
  G_OBJECT_CLASS(login_panel_parent_class)->finalize(object);
}

static void login_panel_class_init(LoginPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  object_class->dispose = login_panel_dispose;
  object_class->finalize = login_panel_finalize;
  widget_class->map = login_panel_map;
  gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name(widget_class, "loginpanel");
  app_resources_ensure();
  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/com/jkbms/EolStation/login-panel.ui");
  gtk_widget_class_bind_template_child(widget_class, LoginPanel, box);
  gtk_widget_class_bind_template_child(widget_class, LoginPanel, entry);
  gtk_widget_class_bind_template_child(widget_class, LoginPanel, status);
  gtk_widget_class_bind_template_callback(widget_class, on_entry_activate);
  signals[SIGNAL_LOGGED_IN] = g_signal_new("logged-in", G_TYPE_FROM_CLASS(klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_LOGGED_OUT] = g_signal_new("logged-out", G_TYPE_FROM_CLASS(klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

LoginPanel *login_panel_new(const char *db_path, const char *default_name)
{
  LoginPanel *self = g_object_new(LOGIN_TYPE_PANEL, NULL);
  self->db_path = g_strdup(db_path);
  self->default_name = g_strdup(default_name ? default_name : g_get_user_name());
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = open_store(self, &error);
  if (!store)
    set_status(self, error->message);
  else if (!self->checks_roles)
    self->user = g_strdup(self->default_name);
  return self;
}

void login_panel_scan(LoginPanel *self, const char *text)
{
  gtk_editable_set_text(GTK_EDITABLE(self->entry), text);
  g_signal_emit_by_name(self->entry, "activate");
}

const char *login_panel_user(LoginPanel *self)
{
  return self->user;
}

gboolean login_panel_checks_roles(LoginPanel *self)
{
  return self->checks_roles;
}

gboolean login_panel_allows(LoginPanel *self, UserRole needed)
{
  if (!self->user)
    return FALSE;
  g_autoptr(Store) store = store_open(self->db_path, NULL);
  return store && user_rights_check(store, self->user, needed, "working", NULL);
}

const char *login_panel_status_text(LoginPanel *self)
{
  return gtk_label_get_text(GTK_LABEL(self->status));
}
