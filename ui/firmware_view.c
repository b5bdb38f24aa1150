/* The firmware team's view (see firmware_view.h). The list and the releases are read on the
 * main thread (a few rows of a local database); an import hashes and checks a whole image and
 * writes the database, so it runs in a GTask worker with copies of its inputs. */
#include "ui/firmware_view.h"
#include "ui/user_rights.h"
#include "ui/text_table.h"
#include "ui/app_resources.h"
#include "db/firmware_store.h"
#include "firmware/release.h"

#define SHA256_SHOWN_CHARS 16   /* hash prefix in the list; the tooltip has all of it */

struct _FirmwareView {
  GtkWidget parent_instance;
  GtkWidget *box;                                 /* the template's children */
  GtkWidget *status, *images, *import_button, *release_button, *release_label, *models_box;
  GtkWidget *image_box, *released;
  GtkFileChooserNative *chooser;
  char *db_path, *trusted_keys_dir, *user;
  GPtrArray *records;           /* FirmwareImageRecord* listed, in row order */
  TextTable image_table, released_table;
  GPtrArray *model_checks;      /* GtkCheckButton* of the selected image's models */
  GHashTable *released_versions;   /* model -> version released for it now */
  GCancellable *cancellable;    /* the running import's, NULL when none runs */
  gboolean may_change;          /* the user may import and release */
};

G_DEFINE_FINAL_TYPE(FirmwareView, firmware_view, GTK_TYPE_WIDGET)

enum { SIGNAL_IMPORT_FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

static const FirmwareImageRecord *selected_record(FirmwareView *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row(GTK_LIST_BOX(self->images));
  if (!row || !self->records)
    return NULL;
  int index = gtk_list_box_row_get_index(row);
  return index >= 0 && (guint)index < self->records->len ? self->records->pdata[index] : NULL;
}

static gboolean any_model_ticked(FirmwareView *self)
{
  for (guint i = 0; i < self->model_checks->len; i++)
    if (gtk_check_button_get_active(self->model_checks->pdata[i]))
      return TRUE;
  return FALSE;
}

/* The one place that says which actions are possible now. */
static void actions_update(FirmwareView *self)
{
  gboolean importing = self->cancellable != NULL;
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "firmware.import",
                                self->may_change && !importing);
  gtk_widget_action_set_enabled(GTK_WIDGET(self), "firmware.release",
                                self->may_change && !importing && selected_record(self) &&
                                any_model_ticked(self));
}

static void set_status(FirmwareView *self, const char *text)
{
  gtk_label_set_text(GTK_LABEL(self->status), text);
}

static Store *open_store(FirmwareView *self)
{
  g_autoptr(GError) error = NULL;
  Store *store = store_open(self->db_path, &error);
  if (!store)
    set_status(self, error->message);
  return store;
}

static FirmwareTrustedKeys *load_trusted(const char *folder_given, GError **error)
{
  g_autofree char *folder = folder_given ? g_strdup(folder_given)
                                         : firmware_trusted_keys_default_folder();
  return firmware_trusted_keys_load(folder, error);
}

/* The models last: their list wraps in the room the other columns leave, at least 48
 * characters, so the list measures the lines it shows at a desk screen's width. */
static const int IMAGE_WIDTHS[] = {8, 16, 16, 8, 16, 12, 48};
#define IMAGE_COLUMNS G_N_ELEMENTS(IMAGE_WIDTHS)
static const int RELEASED_WIDTHS[] = {12, 10, 64};

/* Whether the stored image still checks out (signature, hash, header) with the trusted keys:
 * "yes", or "no" with the reason in *why. */
static const char *verified_text(Store *store, const FirmwareImageRecord *listed,
                                 const FirmwareTrustedKeys *trusted, char **why)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImageRecord) record =
      firmware_store_get_by_sha256(store, listed->sha256, &error);
  g_autoptr(FirmwareImage) image =
      record && trusted ? firmware_record_verify(record, trusted, NULL, &error) : NULL;
  if (image)
    return "yes";
  *why = g_strdup(error ? error->message : "the trusted keys could not be read");
  return "no";
}

static void add_image_row(FirmwareView *self, Store *store, const FirmwareImageRecord *r,
                          const FirmwareTrustedKeys *trusted)
{
  g_autofree char *models = g_strjoinv(", ", r->models);
  g_autofree char *sha = g_strndup(r->sha256, SHA256_SHOWN_CHARS);
  g_autofree char *why = NULL;
  const char *verified = verified_text(store, r, trusted, &why);
  g_autofree char *imported = g_strdup_printf("%.16s", r->imported_at);
  const char *cells[IMAGE_COLUMNS] = {
    r->version, r->signer_key_id ? r->signer_key_id : "-", sha, verified, imported,
    r->imported_by ? r->imported_by : "-", models,
  };
  GtkWidget *row = text_table_row(&self->image_table, cells, "image-row");
  g_autofree char *tooltip = g_strdup_printf("Models %s\nSHA-256 %s%s%s", models, r->sha256,
                                             why ? "\nSignature check failed: " : "",
                                             why ? why : "");
  gtk_widget_set_tooltip_text(row, tooltip);
  if (why)
    gtk_widget_add_css_class(row, "unverified");
  gtk_list_box_append(GTK_LIST_BOX(self->images), row);
}

static int compare_names(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* Every model some image is built for, sorted, with the image released for it now. */
static void fill_released(FirmwareView *self, Store *store)
{
  text_table_clear_rows(self->released);
  static const char *const heading[] = {"MODEL", "RELEASED", "SHA-256"};
  gtk_box_append(GTK_BOX(self->released),
                 text_table_row(&self->released_table, heading, "table-heading"));
  g_hash_table_remove_all(self->released_versions);
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) models = g_ptr_array_new();
  for (guint i = 0; i < self->records->len; i++) {
    const FirmwareImageRecord *r = self->records->pdata[i];
    for (char **m = r->models; *m; m++)
      if (g_hash_table_add(seen, *m))
        g_ptr_array_add(models, *m);
  }
  g_ptr_array_sort(models, compare_names);
  for (guint i = 0; i < models->len; i++) {
    const char *model = models->pdata[i];
    g_autoptr(GError) error = NULL;
    g_autoptr(FirmwareImageRecord) released =
        firmware_store_released_for_model(store, model, &error);
    const char *cells[3] = {model, released ? released->version : "none",
                            released ? released->sha256 : ""};
    if (released)
      g_hash_table_insert(self->released_versions, g_strdup(model),
                          g_strdup(released->version));
    if (!released && !g_error_matches(error, FIRMWARE_STORE_ERROR,
                                      FIRMWARE_STORE_ERROR_NOT_FOUND))
      cells[2] = error->message;
    GtkWidget *row = text_table_row(&self->released_table, cells, "released-row");
    g_object_set_data_full(G_OBJECT(row), "model", g_strdup(model), g_free);
    gtk_box_append(GTK_BOX(self->released), row);
  }
}

static const char *check_model(GtkCheckButton *check)
{
  return g_object_get_data(G_OBJECT(check), "model");
}

static void on_model_toggled(GtkCheckButton *check, FirmwareView *self)
{
  actions_update(self);
}

/* The selected image's models, as boxes to tick for the release; a model it is released for
 * already says so, so the team sees what a release would still change. */
static void fill_model_checks(FirmwareView *self)
{
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(self->models_box)))
    gtk_flow_box_remove(GTK_FLOW_BOX(self->models_box), child);
  g_ptr_array_set_size(self->model_checks, 0);
  const FirmwareImageRecord *r = selected_record(self);
  g_autofree char *text = r ? g_strdup_printf("Release %s for:", r->version)
                            : g_strdup("Select an image to release it.");
  gtk_label_set_text(GTK_LABEL(self->release_label), text);
  for (char **m = r ? r->models : NULL; m && *m; m++) {
    gboolean released = g_strcmp0(g_hash_table_lookup(self->released_versions, *m),
                                  r->version) == 0;
    g_autofree char *label = released ? g_strdup_printf("%s (released)", *m) : g_strdup(*m);
    GtkWidget *check = gtk_check_button_new_with_label(label);
    g_object_set_data_full(G_OBJECT(check), "model", g_strdup(*m), g_free);
    if (released)
      gtk_widget_add_css_class(check, "released");
    g_signal_connect(check, "toggled", G_CALLBACK(on_model_toggled), self);
    g_ptr_array_add(self->model_checks, check);
    gtk_flow_box_append(GTK_FLOW_BOX(self->models_box), check);
  }
}

static void on_row_selected(GtkListBox *box, GtkListBoxRow *row, FirmwareView *self)
{
  fill_model_checks(self);
  actions_update(self);
}

void firmware_view_refresh(FirmwareView *self)
{
  g_autofree char *keep = selected_record(self) ? g_strdup(selected_record(self)->version)
                                                : NULL;
  g_signal_handlers_block_by_func(self->images, on_row_selected, self);
  GtkWidget *child;
  while ((child = gtk_widget_get_first_child(self->images)))
    gtk_list_box_remove(GTK_LIST_BOX(self->images), child);
  g_signal_handlers_unblock_by_func(self->images, on_row_selected, self);
  g_clear_pointer(&self->records, g_ptr_array_unref);
  self->records = g_ptr_array_new_with_free_func((GDestroyNotify)firmware_image_record_free);
  g_autoptr(Store) store = open_store(self);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = store ? firmware_store_list(store, &error) : NULL;
  if (store && !records)
    set_status(self, error->message);
  g_autoptr(GError) keys_error = NULL;
  g_autoptr(FirmwareTrustedKeys) trusted = load_trusted(self->trusted_keys_dir, &keys_error);
  for (guint i = 0; records && i < records->len; i++) {
    add_image_row(self, store, records->pdata[i], trusted);
    g_ptr_array_add(self->records, g_steal_pointer(&records->pdata[i]));
  }
  if (store)
    fill_released(self, store);
  if (!keep || !firmware_view_select(self, keep))   /* the newest, to show its models */
    gtk_list_box_select_row(GTK_LIST_BOX(self->images),
                            gtk_list_box_get_row_at_index(GTK_LIST_BOX(self->images), 0));
  fill_model_checks(self);
  actions_update(self);
}

/* ---- import ---- */

typedef struct {
  char *db_path, *trusted_keys_dir, *user, *manifest_path;
} ImportJob;

static void import_job_free(ImportJob *job)
{
  g_free(job->db_path);
  g_free(job->trusted_keys_dir);
  g_free(job->user);
  g_free(job->manifest_path);
  g_free(job);
}

static void import_result_free(FirmwareImportResult *result)
{
  firmware_import_result_clear(result);
  g_free(result);
}

/* Worker thread: the whole check and store, as `station firmware import` does it. */
static void import_in_thread(GTask *task, gpointer source, gpointer data,
                             GCancellable *cancellable)
{
  ImportJob *job = data;
  GError *error = NULL;
  g_autoptr(FirmwareTrustedKeys) trusted = load_trusted(job->trusted_keys_dir, &error);
  g_autoptr(Store) store = trusted ? store_open(job->db_path, &error) : NULL;
  if (!store || !user_rights_check(store, job->user, USER_ROLE_FIRMWARE, "importing firmware",
                                   &error)) {
    g_task_return_error(task, error);
    return;
  }
  if (g_task_return_error_if_cancelled(task))
    return;
  FirmwareImportResult *result = g_new0(FirmwareImportResult, 1);
  if (!firmware_import(store, job->manifest_path, NULL, trusted, job->user, result, &error)) {
    g_free(result);
    g_task_return_error(task, error);
    return;
  }
  g_task_return_pointer(task, result, (GDestroyNotify)import_result_free);
}

static void on_import_done(GObject *source, GAsyncResult *res, gpointer data)
{
  FirmwareView *self = FIRMWARE_VIEW(source);
  ImportJob *job = g_task_get_task_data(G_TASK(res));
  g_clear_object(&self->cancellable);
  if (!self->box)               /* the view went away while the import ran */
    return;
  g_autoptr(GError) error = NULL;
  FirmwareImportResult *result = g_task_propagate_pointer(G_TASK(res), &error);
  g_autofree char *name = g_path_get_basename(job->manifest_path);
  g_autofree char *text = NULL;
  if (!result)
    text = g_strdup_printf("Import of %s refused: %s.", name, error->message);
  else if (result->already_stored)
    text = g_strdup_printf("%s is already imported (SHA-256 %s): nothing changed.",
                           result->version, result->sha256);
  else
    text = g_strdup_printf("Imported %s (SHA-256 %s), signed by key %s.", result->version,
                           result->sha256, result->signer_key_id);
  if (result) {
    import_result_free(result);
    firmware_view_refresh(self);
  }
  set_status(self, text);
  actions_update(self);
  g_signal_emit(self, signals[SIGNAL_IMPORT_FINISHED], 0);
}

void firmware_view_import(FirmwareView *self, const char *manifest_path)
{
  if (self->cancellable)
    return;
  ImportJob *job = g_new0(ImportJob, 1);
  job->db_path = g_strdup(self->db_path);
  job->trusted_keys_dir = g_strdup(self->trusted_keys_dir);
  job->user = g_strdup(self->user);
  job->manifest_path = g_strdup(manifest_path);
  self->cancellable = g_cancellable_new();
  g_autoptr(GTask) task = g_task_new(self, self->cancellable, on_import_done, NULL);
  g_task_set_task_data(task, job, (GDestroyNotify)import_job_free);
  g_autofree char *name = g_path_get_basename(manifest_path);
  g_autofree char *text = g_strdup_printf("Checking and importing %s…", name);
  set_status(self, text);
  actions_update(self);
  g_task_run_in_thread(task, import_in_thread);
}

static void on_chooser_response(GtkNativeDialog *dialog, int response, FirmwareView *self)
{
  if (response == GTK_RESPONSE_ACCEPT) {
    g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
    g_autofree char *path = file ? g_file_get_path(file) : NULL;
    if (path)
      firmware_view_import(self, path);
  }
  g_clear_object(&self->chooser);
}

static void action_import(GtkWidget *widget, const char *name, GVariant *param)
{
  FirmwareView *self = FIRMWARE_VIEW(widget);
  if (self->chooser)
    return;
  GtkRoot *root = gtk_widget_get_root(widget);
  self->chooser = gtk_file_chooser_native_new("Import a signed firmware release",
                                              GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
                                              GTK_FILE_CHOOSER_ACTION_OPEN, "_Import",
                                              "_Cancel");
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new();
  gtk_file_filter_set_name(filter, "Release manifests (*.manifest)");
  gtk_file_filter_add_pattern(filter, "*.manifest");
  gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(self->chooser), filter);
  gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(self->chooser), TRUE);
  g_signal_connect(self->chooser, "response", G_CALLBACK(on_chooser_response), self);
  gtk_native_dialog_show(GTK_NATIVE_DIALOG(self->chooser));
}

/* ---- release ---- */

static char *release_summary(const char *version, const GPtrArray *changes)
{
  GString *text = g_string_new(NULL);
  for (guint i = 0; i < changes->len; i++) {
    const FirmwareReleaseChange *c = changes->pdata[i];
    g_string_append_printf(text, "%s%s: ", i ? "; " : "", c->model);
    if (c->unchanged)
      g_string_append_printf(text, "%s was already released", version);
    else if (c->previous_version)
      g_string_append_printf(text, "%s released, supersedes %s", version, c->previous_version);
    else
      g_string_append_printf(text, "%s released", version);
  }
  g_string_append_c(text, '.');
  return g_string_free(text, FALSE);
}

void firmware_view_release_selected(FirmwareView *self)
{
  const FirmwareImageRecord *r = selected_record(self);
  if (!r)
    return;
  g_autofree char *version = g_strdup(r->version);
  g_autoptr(GPtrArray) models = g_ptr_array_new();
  for (guint i = 0; i < self->model_checks->len; i++)
    if (gtk_check_button_get_active(self->model_checks->pdata[i]))
      g_ptr_array_add(models, (gpointer)check_model(self->model_checks->pdata[i]));
  g_ptr_array_add(models, NULL);
  g_autoptr(Store) store = open_store(self);
  if (!store)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareTrustedKeys) trusted = NULL;
  g_autoptr(FirmwareImageRecord) record = NULL;
  g_autoptr(FirmwareImage) image = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  if (user_rights_check(store, self->user, USER_ROLE_FIRMWARE, "releasing firmware", &error) &&
      (trusted = load_trusted(self->trusted_keys_dir, &error)) &&
      (record = firmware_store_get_by_version(store, version, &error)) &&
      (image = firmware_record_verify(record, trusted, NULL, &error)))
    changes = firmware_store_release(store, version, (const char *const *)models->pdata,
                                     self->user, &error);
  g_autofree char *text = changes ? release_summary(version, changes)
                                  : g_strdup_printf("%s not released: %s.", version,
                                                    error->message);
  if (changes)
    firmware_view_refresh(self);
  set_status(self, text);
}

static void action_release(GtkWidget *widget, const char *name, GVariant *param)
{
  firmware_view_release_selected(FIRMWARE_VIEW(widget));
}

/* ---- the widget ---- */

static void firmware_view_init(FirmwareView *self)
{
  gtk_widget_init_template(GTK_WIDGET(self));
  self->model_checks = g_ptr_array_new();
  self->released_versions = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  text_table_init(&self->image_table, IMAGE_WIDTHS, IMAGE_COLUMNS);
  text_table_wrap_column(&self->image_table, IMAGE_COLUMNS - 1);   /* all the models */
  text_table_init(&self->released_table, RELEASED_WIDTHS, G_N_ELEMENTS(RELEASED_WIDTHS));
  static const char *const heading[IMAGE_COLUMNS] = {
    "VERSION", "SIGNER KEY", "SHA-256", "VERIFIED", "IMPORTED (UTC)", "BY", "MODELS",
  };
  gtk_box_prepend(GTK_BOX(self->image_box),
                  text_table_row(&self->image_table, heading, "table-heading"));
}

static void firmware_view_dispose(GObject *object)
{
  FirmwareView *self = FIRMWARE_VIEW(object);
  if (self->cancellable)
    g_cancellable_cancel(self->cancellable);
  if (self->chooser)
    gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(self->chooser));
  g_clear_object(&self->chooser);
  if (self->images)             /* the list's rows go with it: no selection to show */
    g_signal_handlers_disconnect_by_func(self->images, on_row_selected, self);
  gtk_widget_dispose_template(GTK_WIDGET(object), FIRMWARE_TYPE_VIEW);
  text_table_clear(&self->image_table);
  text_table_clear(&self->released_table);
  G_OBJECT_CLASS(firmware_view_parent_class)->dispose(object);
}

static void firmware_view_finalize(GObject *object)
{
  FirmwareView *self = FIRMWARE_VIEW(object);
  g_clear_object(&self->cancellable);
  g_clear_pointer(&self->records, g_ptr_array_unref);
  g_ptr_array_unref(self->model_checks);
  g_hash_table_unref(self->released_versions);
  g_free(self->db_path);
  g_free(self->trusted_keys_dir);
  g_free(self->user);
  G_OBJECT_CLASS(firmware_view_parent_class)->finalize(object);
}

static void firmware_view_class_init(FirmwareViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS(klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
  object_class->dispose = firmware_view_dispose;
  object_class->finalize = firmware_view_finalize;
  gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name(widget_class, "firmwareview");
  app_resources_ensure();
  gtk_widget_class_set_template_from_resource(widget_class,
                                              "/com/jkbms/EolStation/firmware-view.ui");
  gtk_widget_class_bind_template_child(widget_class, FirmwareView, box);
  gtk_widget_class_bind_template_child(widget_class, FirmwareView, import_button);
  gtk_widget_class_bind_template_child(widget_class, FirmwareView, status);
  gtk_widget_class_bind_template_child(widget_class, FirmwareView, image_box);
  gtk_widget_class_bind_template_child(widget_class, FirmwareView, images);
  gtk_widget_class_bind_template_child(widget_class, FirmwareView, release_label);
  gtk_widget_class_bind_template_child(widget_class, FirmwareView, models_box);
  gtk_widget_class_bind_template_child(widget_class, FirmwareView, release_button);
  gtk_widget_class_bind_template_child(widget_class, FirmwareView, released);
  gtk_widget_class_bind_template_callback(widget_class, on_row_selected);
  gtk_widget_class_install_action(widget_class, "firmware.import", NULL, action_import);
  gtk_widget_class_install_action(widget_class, "firmware.release", NULL, action_release);
  signals[SIGNAL_IMPORT_FINISHED] = g_signal_new("import-finished", G_TYPE_FROM_CLASS(klass),
      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

FirmwareView *firmware_view_new(const char *db_path, const char *trusted_keys_dir)
{
  FirmwareView *self = g_object_new(FIRMWARE_TYPE_VIEW, NULL);
  self->db_path = g_strdup(db_path);
  self->trusted_keys_dir = g_strdup(trusted_keys_dir);
  self->user = g_strdup(g_get_user_name());
  set_status(self, "Import a signed release, or select an image to release it.");
  firmware_view_set_user(self, self->user);
  return self;
}

void firmware_view_set_user(FirmwareView *self, const char *user)
{
  if (user != self->user) {
    g_free(self->user);
    self->user = g_strdup(user);
  }
  g_autoptr(Store) store = open_store(self);
  self->may_change = store &&
      user_rights_check(store, self->user, USER_ROLE_FIRMWARE, "changing firmware", NULL);
  firmware_view_refresh(self);
}

gboolean firmware_view_select(FirmwareView *self, const char *version)
{
  for (guint i = 0; self->records && i < self->records->len; i++) {
    const FirmwareImageRecord *r = self->records->pdata[i];
    if (g_str_equal(r->version, version)) {
      gtk_list_box_select_row(GTK_LIST_BOX(self->images),
                              gtk_list_box_get_row_at_index(GTK_LIST_BOX(self->images), (int)i));
      return TRUE;
    }
  }
  return FALSE;
}

gboolean firmware_view_set_model_ticked(FirmwareView *self, const char *model, gboolean ticked)
{
  for (guint i = 0; i < self->model_checks->len; i++) {
    GtkCheckButton *check = self->model_checks->pdata[i];
    if (g_str_equal(check_model(check), model)) {
      gtk_check_button_set_active(check, ticked);
      return TRUE;
    }
  }
  return FALSE;
}

const char *firmware_view_model_label(FirmwareView *self, const char *model)
{
  for (guint i = 0; i < self->model_checks->len; i++)
    if (g_str_equal(check_model(self->model_checks->pdata[i]), model))
      return gtk_check_button_get_label(self->model_checks->pdata[i]);
  return NULL;
}

guint firmware_view_image_count(FirmwareView *self)
{
  return self->records ? self->records->len : 0;
}

char *firmware_view_image_text(FirmwareView *self, guint index)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index(GTK_LIST_BOX(self->images), (int)index);
  return row ? text_table_row_text(gtk_list_box_row_get_child(row)) : NULL;
}

char *firmware_view_released_text(FirmwareView *self, const char *model)
{
  for (GtkWidget *c = gtk_widget_get_first_child(self->released); c;
       c = gtk_widget_get_next_sibling(c)) {
    const char *row_model = g_object_get_data(G_OBJECT(c), "model");
    if (row_model && g_str_equal(row_model, model))
      return text_table_row_text(c);
  }
  return NULL;
}

gboolean firmware_view_image_is_cut(FirmwareView *self, guint index)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index(GTK_LIST_BOX(self->images), (int)index);
  return row && text_table_row_is_cut(gtk_list_box_row_get_child(row));
}

const char *firmware_view_status_text(FirmwareView *self)
{
  return gtk_label_get_text(GTK_LABEL(self->status));
}

gboolean firmware_view_is_importing(FirmwareView *self)
{
  return self->cancellable != NULL;
}

GtkWidget *firmware_view_import_button(FirmwareView *self)
{
  return self->import_button;
}

GtkWidget *firmware_view_release_button(FirmwareView *self)
{
  return self->release_button;
}
