/* The firmware view on its own, under a real X server: a signed release imported through it
 * is listed with its hash, signer and a checked signature; a corrupt image or a bad signature
 * is refused with the library's sentence and stores nothing; an image is released for the
 * models ticked; an operator finds Import and Release disabled, and the library refuses the
 * release even when it is asked for anyway. The view's template builds with every child it
 * names bound, the list's heading row on top and the buttons' mnemonics on their actions. */
#include "ui/firmware_view.h"
#include "tests/scratch_folder.h"
#include "tests/ui/view_checks.h"
#include "ui/text_table.h"
#include "db/firmware_store.h"
#include "db/users.h"
#include "firmware/manifest.h"
#include "firmware/release.h"
#include "firmware/test_image.h"
#include <glib/gstdio.h>

static const char *const MODELS[] = {"B2A24S15P", "B2A8S20P", NULL};
/* An image for many models, more than a line of the list holds. */
static const char *const MANY_MODELS[] = {"B2A20S20P", "B2A24S20P", "BD4A8S4P", "B1A8S10P",
                                          "B1A8S20P", "B2A8S20P", "B2A25SRP", "B5A25S60P",
                                          NULL};

typedef struct {
  char *folder, *trusted_folder, *db_path;
  FirmwareSigningKey *team, *other;
  GtkWidget *window;
  FirmwareView *view;
} Rig;

static FirmwareSigningKey *make_key(Rig *rig, const char *name, gboolean trusted)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_build_filename(rig->folder, name, NULL);
  g_assert_true(firmware_keygen(base, NULL, &error));
  if (trusted) {
    g_autofree char *pub = g_strconcat(base, ".pub", NULL);
    g_autofree char *text = NULL;
    g_assert_true(g_file_get_contents(pub, &text, NULL, NULL));
    g_autofree char *copy = g_strdup_printf("%s/%s.pub", rig->trusted_folder, name);
    g_assert_true(g_file_set_contents(copy, text, -1, NULL));
  }
  g_autofree char *secret = g_strconcat(base, ".key", NULL);
  FirmwareSigningKey *key = firmware_signing_key_load(secret, &error);
  g_assert_no_error(error);
  return key;
}

static void rig_open(Rig *rig)
{
  rig->folder = scratch_folder_new("firmware-view");
  rig->trusted_folder = g_build_filename(rig->folder, "trusted", NULL);
  g_mkdir(rig->trusted_folder, 0755);
  rig->db_path = g_build_filename(rig->folder, "results.db", NULL);
  rig->team = make_key(rig, "team", TRUE);
  rig->other = make_key(rig, "other", FALSE);
  rig->window = gtk_window_new();
  gtk_window_set_default_size(GTK_WINDOW(rig->window), 1100, 600);
  rig->view = firmware_view_new(rig->db_path, rig->trusted_folder);
  gtk_window_set_child(GTK_WINDOW(rig->window), GTK_WIDGET(rig->view));
  gtk_window_present(GTK_WINDOW(rig->window));
}

static void rig_close(Rig *rig)
{
  gtk_window_destroy(GTK_WINDOW(rig->window));
  firmware_signing_key_free(rig->team);
  firmware_signing_key_free(rig->other);
  scratch_folder_remove(rig->folder);
  g_free(rig->folder);
  g_free(rig->trusted_folder);
  g_free(rig->db_path);
}

/* Writes VERSION.bin and VERSION.manifest for models signed by key; returns the manifest's
 * path and the image's SHA-256 in *sha256 (both freeing). */
static char *write_release_for(Rig *rig, const char *version, const char *const *models,
                               const FirmwareSigningKey *key, char **sha256)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImage) image =
      firmware_build_test_image(version, models, 6000, 20251120, 7, &error);
  g_assert_no_error(error);
  FirmwareHeader header;
  g_assert_true(firmware_header_check(image, &header, &error));
  g_autofree char *image_name = g_strdup_printf("%s.bin", version);
  g_autofree char *image_path = g_build_filename(rig->folder, image_name, NULL);
  g_assert_true(g_file_set_contents(image_path, (const char *)image->bytes,
                                    (gssize)image->length, NULL));
  g_autoptr(FirmwareManifest) manifest =
      firmware_manifest_new(image, &header, version, models, "test release", image_name, &error);
  g_assert_no_error(error);
  g_assert_true(firmware_manifest_sign(manifest, key, &error));
  g_autofree char *text = firmware_manifest_to_text(manifest);
  g_autofree char *name = g_strdup_printf("%s.manifest", version);
  char *path = g_build_filename(rig->folder, name, NULL);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  if (sha256)
    *sha256 = firmware_image_sha256(image);
  return path;
}

static char *write_release(Rig *rig, const char *version, const FirmwareSigningKey *key,
                           char **sha256)
{
  return write_release_for(rig, version, MODELS, key, sha256);
}

static void on_import_finished(FirmwareView *view, gboolean *done)
{
  *done = TRUE;
}

/* What the file chooser's Import does, waiting for the worker like the main loop does. */
static void import_and_wait(Rig *rig, const char *manifest)
{
  gboolean done = FALSE;
  gulong id = g_signal_connect(rig->view, "import-finished", G_CALLBACK(on_import_finished),
                               &done);
  firmware_view_import(rig->view, manifest);
  g_assert_true(firmware_view_is_importing(rig->view));
  gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
  while (!done && g_get_monotonic_time() < deadline)
    g_main_context_iteration(NULL, TRUE);
  g_signal_handler_disconnect(rig->view, id);
  g_assert_true(done);
  g_assert_false(firmware_view_is_importing(rig->view));
}

static void assert_rows(Rig *rig, gint64 images, gint64 releases)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(rig->db_path, &error);
  g_assert_no_error(error);
  gint64 n_images, n_releases, n_audit;
  g_assert_true(firmware_store_count_rows(store, &n_images, &n_releases, &n_audit, &error));
  g_assert_cmpint(n_images, ==, images);
  g_assert_cmpint(n_releases, ==, releases);
}

static void add_users(Rig *rig)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(rig->db_path, &error);
  g_assert_true(store_user_add(store, "setup", "alice", USER_ROLE_ADMIN, "0001", &error));
  g_assert_true(store_user_add(store, "alice", "fred", USER_ROLE_FIRMWARE, "0042", &error));
  g_assert_true(store_user_add(store, "alice", "oscar", USER_ROLE_OPERATOR, "0100", &error));
  g_assert_no_error(error);
}

static void test_template_builds_bound(void)
{
  Rig rig;
  rig_open(&rig);
  GtkWidget *view = GTK_WIDGET(rig.view);
  g_assert_cmpuint(view_checks_all_bound(view, FIRMWARE_TYPE_VIEW,
                                            "/com/jkbms/EolStation/firmware-view.ui"), ==, 9);
  /* The code's rows go into the template's boxes: the heading over the images' list. */
  GtkWidget *image_box = GTK_WIDGET(gtk_widget_get_template_child(view, FIRMWARE_TYPE_VIEW,
                                                                  "image_box"));
  g_autofree char *heading = text_table_row_text(gtk_widget_get_first_child(image_box));
  g_assert_cmpstr(heading, ==, "VERSION | SIGNER KEY | SHA-256 | VERIFIED | IMPORTED (UTC) | "
                               "BY | MODELS");
  g_assert_true(GTK_IS_LIST_BOX(gtk_widget_get_next_sibling(
      gtk_widget_get_first_child(image_box))));
  struct { GtkWidget *button; const char *label, *action; } buttons[] = {
    {firmware_view_import_button(rig.view), "_Import release…", "firmware.import"},
    {firmware_view_release_button(rig.view), "_Release", "firmware.release"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(buttons); i++) {
    g_assert_cmpstr(gtk_button_get_label(GTK_BUTTON(buttons[i].button)), ==, buttons[i].label);
    g_assert_true(gtk_button_get_use_underline(GTK_BUTTON(buttons[i].button)));
    g_assert_cmpstr(gtk_actionable_get_action_name(GTK_ACTIONABLE(buttons[i].button)), ==,
                    buttons[i].action);
  }
  g_assert_cmpstr(firmware_view_status_text(rig.view), ==,
                  "Import a signed release, or select an image to release it.");
  rig_close(&rig);
}

static void test_import_lists_image_with_hash(void)
{
  Rig rig;
  rig_open(&rig);
  g_assert_cmpuint(firmware_view_image_count(rig.view), ==, 0);
  g_autofree char *sha256 = NULL;
  g_autofree char *manifest = write_release(&rig, "11.30.1", rig.team, &sha256);
  import_and_wait(&rig, manifest);
  g_autofree char *expected = g_strdup_printf("Imported 11.30.1 (SHA-256 %s), signed by key %s.",
                                              sha256, rig.team->key_id);
  g_assert_cmpstr(firmware_view_status_text(rig.view), ==, expected);
  g_assert_cmpuint(firmware_view_image_count(rig.view), ==, 1);
  g_autofree char *row = firmware_view_image_text(rig.view, 0);
  g_autofree char *start = g_strdup_printf("11.30.1 | %s | %.16s | yes | ", rig.team->key_id,
                                           sha256);
  g_autofree char *end = g_strdup_printf(" | %s | B2A24S15P, B2A8S20P", g_get_user_name());
  g_assert_true(g_str_has_prefix(row, start));
  g_assert_true(g_str_has_suffix(row, end));
  g_autofree char *released = firmware_view_released_text(rig.view, "B2A8S20P");
  g_assert_cmpstr(released, ==, "B2A8S20P | none | ");
  assert_rows(&rig, 1, 0);
  /* The station no longer trusts the signer: the stored image no longer checks out. */
  g_autofree char *pub = g_build_filename(rig.trusted_folder, "team.pub", NULL);
  g_assert_cmpint(g_remove(pub), ==, 0);
  firmware_view_refresh(rig.view);
  g_autofree char *untrusted = firmware_view_image_text(rig.view, 0);
  g_assert_nonnull(strstr(untrusted, " | no | "));
  rig_close(&rig);
}

/* Waits until the window has drawn what changed. */
static void let_draw(void)
{
  gint64 until = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time() < until)
    g_main_context_iteration(NULL, FALSE);
}

static void test_every_model_is_shown(void)
{
  Rig rig;
  rig_open(&rig);
  g_autofree char *manifest = write_release_for(&rig, "11.30.6", MANY_MODELS, rig.team, NULL);
  import_and_wait(&rig, manifest);
  let_draw();
  g_autofree char *row = firmware_view_image_text(rig.view, 0);
  g_autofree char *models = g_strjoinv(", ", (char **)MANY_MODELS);
  g_assert_nonnull(strstr(row, models));
  g_assert_false(firmware_view_image_is_cut(rig.view, 0));
  rig_close(&rig);
}

static void test_corrupt_image_is_refused(void)
{
  Rig rig;
  rig_open(&rig);
  g_autofree char *manifest = write_release(&rig, "11.30.2", rig.team, NULL);
  g_autofree char *image_path = g_build_filename(rig.folder, "11.30.2.bin", NULL);
  g_autofree char *bytes = NULL;
  gsize length;
  g_assert_true(g_file_get_contents(image_path, &bytes, &length, NULL));
  bytes[length / 2] ^= 0x5a;
  g_assert_true(g_file_set_contents(image_path, bytes, (gssize)length, NULL));
  import_and_wait(&rig, manifest);
  const char *status = firmware_view_status_text(rig.view);
  g_assert_true(g_str_has_prefix(status, "Import of 11.30.2.manifest refused: "));
  g_assert_nonnull(strstr(status, "SHA-256"));
  g_assert_true(g_str_has_suffix(status, "."));
  g_assert_null(strchr(status, '\n'));
  g_assert_cmpuint(firmware_view_image_count(rig.view), ==, 0);
  assert_rows(&rig, 0, 0);
  rig_close(&rig);
}

static void test_untrusted_signature_is_refused(void)
{
  Rig rig;
  rig_open(&rig);
  g_autofree char *manifest = write_release(&rig, "11.30.3", rig.other, NULL);
  import_and_wait(&rig, manifest);
  const char *status = firmware_view_status_text(rig.view);
  g_assert_true(g_str_has_prefix(status, "Import of 11.30.3.manifest refused: "));
  g_assert_nonnull(strstr(status, rig.other->key_id));
  g_assert_cmpuint(firmware_view_image_count(rig.view), ==, 0);
  assert_rows(&rig, 0, 0);
  rig_close(&rig);
}

static void test_release_for_ticked_model(void)
{
  Rig rig;
  rig_open(&rig);
  g_autofree char *sha256 = NULL;
  g_autofree char *manifest = write_release(&rig, "11.30.4", rig.team, &sha256);
  import_and_wait(&rig, manifest);
  GtkWidget *release = firmware_view_release_button(rig.view);
  g_assert_true(firmware_view_select(rig.view, "11.30.4"));
  g_assert_false(gtk_widget_get_sensitive(release));       /* no model ticked */
  g_assert_false(firmware_view_set_model_ticked(rig.view, "B1A8S10P", TRUE));   /* not its */
  g_assert_true(firmware_view_set_model_ticked(rig.view, "B2A8S20P", TRUE));
  g_assert_true(gtk_widget_get_sensitive(release));
  g_assert_true(gtk_widget_activate_action(GTK_WIDGET(rig.view), "firmware.release", NULL));
  g_assert_cmpstr(firmware_view_status_text(rig.view), ==, "B2A8S20P: 11.30.4 released.");
  g_autofree char *released = firmware_view_released_text(rig.view, "B2A8S20P");
  g_autofree char *expected = g_strdup_printf("B2A8S20P | 11.30.4 | %s", sha256);
  g_assert_cmpstr(released, ==, expected);
  g_autofree char *other = firmware_view_released_text(rig.view, "B2A24S15P");
  g_assert_cmpstr(other, ==, "B2A24S15P | none | ");
  /* The boxes say what the image is released for already. */
  g_assert_cmpstr(firmware_view_model_label(rig.view, "B2A8S20P"), ==, "B2A8S20P (released)");
  g_assert_cmpstr(firmware_view_model_label(rig.view, "B2A24S15P"), ==, "B2A24S15P");
  g_assert_true(firmware_view_set_model_ticked(rig.view, "B2A8S20P", TRUE));
  assert_rows(&rig, 1, 1);
  rig_close(&rig);
}

static void test_operator_cannot_release(void)
{
  Rig rig;
  rig_open(&rig);
  g_autofree char *manifest = write_release(&rig, "11.30.5", rig.team, NULL);
  import_and_wait(&rig, manifest);              /* no admin yet: roles are not checked */
  add_users(&rig);
  firmware_view_set_user(rig.view, "0100");     /* oscar's badge */
  g_assert_false(gtk_widget_get_sensitive(firmware_view_import_button(rig.view)));
  g_assert_true(firmware_view_select(rig.view, "11.30.5"));
  g_assert_true(firmware_view_set_model_ticked(rig.view, "B2A24S15P", TRUE));
  g_assert_false(gtk_widget_get_sensitive(firmware_view_release_button(rig.view)));
  firmware_view_release_selected(rig.view);     /* asked anyway: the library refuses */
  g_assert_cmpstr(firmware_view_status_text(rig.view), ==,
                  "11.30.5 not released: releasing firmware needs the firmware role and oscar "
                  "is operator (an admin gives roles with station user add).");
  assert_rows(&rig, 1, 0);

  firmware_view_set_user(rig.view, "0042");     /* fred, of the firmware team */
  g_assert_true(gtk_widget_get_sensitive(firmware_view_import_button(rig.view)));
  g_assert_true(firmware_view_select(rig.view, "11.30.5"));
  g_assert_true(firmware_view_set_model_ticked(rig.view, "B2A24S15P", TRUE));
  g_assert_true(gtk_widget_get_sensitive(firmware_view_release_button(rig.view)));
  firmware_view_release_selected(rig.view);
  g_assert_cmpstr(firmware_view_status_text(rig.view), ==, "B2A24S15P: 11.30.5 released.");
  assert_rows(&rig, 1, 1);

  firmware_view_set_user(rig.view, "alice");    /* an admin may do everything in the app */
  g_assert_true(gtk_widget_get_sensitive(firmware_view_import_button(rig.view)));
  rig_close(&rig);
}

int main(int argc, char **argv)
{
  /* Criticals are fatal; warnings are not (a bare X server has no session bus). */
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  gtk_init();
  g_test_add_func("/firmware-view/template-builds-bound", test_template_builds_bound);
  g_test_add_func("/firmware-view/import-lists-hash", test_import_lists_image_with_hash);
  g_test_add_func("/firmware-view/every-model-shown", test_every_model_is_shown);
  g_test_add_func("/firmware-view/corrupt-image-refused", test_corrupt_image_is_refused);
  g_test_add_func("/firmware-view/untrusted-signature-refused",
                  test_untrusted_signature_is_refused);
  g_test_add_func("/firmware-view/release-ticked-model", test_release_for_ticked_model);
  g_test_add_func("/firmware-view/operator-cannot-release", test_operator_cannot_release);
  return g_test_run();
}
