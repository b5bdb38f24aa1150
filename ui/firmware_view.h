/* The firmware team's view: the imported release images (version, models, signer key, SHA-256,
 * whether the signature checks out with this station's trusted keys, when and by whom they
 * were imported), Import (a signed manifest chosen in a file chooser, checked and stored off
 * the main thread), Release of the selected image for the models ticked, and the image
 * released for each model now. Everything goes through db/ and firmware/; the user's role
 * decides whether Import and Release are enabled, and the library checks it again. */
#pragma once
#include <gtk/gtk.h>

#define FIRMWARE_TYPE_VIEW (firmware_view_get_type())
G_DECLARE_FINAL_TYPE(FirmwareView, firmware_view, FIRMWARE, VIEW, GtkWidget)

/* A view of the database at db_path, checking signatures with the public keys in
 * trusted_keys_dir (NULL: the user's default folder). Strings are copied. */
FirmwareView *firmware_view_new(const char *db_path, const char *trusted_keys_dir);
/* Who imports and releases (a user name or badge, recorded in the audit log); the view
 * enables Import and Release when that user may change firmware. */
void firmware_view_set_user(FirmwareView *view, const char *user);
/* Reads the images and releases again. */
void firmware_view_refresh(FirmwareView *view);
/* Imports the release whose manifest is at manifest_path on a worker thread (what the file
 * chooser's answer does); "import-finished" is emitted when it is done, the outcome is in
 * the status line. */
void firmware_view_import(FirmwareView *view, const char *manifest_path);
/* Selects the image of version (FALSE when it is not listed) and shows its models to tick. */
gboolean firmware_view_select(FirmwareView *view, const char *version);
/* Ticks or clears model in the selected image's release boxes (FALSE: no such box); the box
 * of a model the image is released for already reads "MODEL (released)". */
gboolean firmware_view_set_model_ticked(FirmwareView *view, const char *model, gboolean ticked);
/* The label of model's release box (NULL: no such box). */
const char *firmware_view_model_label(FirmwareView *view, const char *model);
/* Releases the selected image for the ticked models (what the Release button does). */
void firmware_view_release_selected(FirmwareView *view);

/* What is shown, for tests and logs. */
guint firmware_view_image_count(FirmwareView *view);
/* The listed image's row as one line of its cells, separated by " | " (freeing). */
char *firmware_view_image_text(FirmwareView *view, guint index);
/* TRUE when the drawn row of the listed image shows a cell cut short. */
gboolean firmware_view_image_is_cut(FirmwareView *view, guint index);
/* The released-per-model row of model: "MODEL | VERSION | SHA-256" or the reason (freeing;
 * NULL when the model is not listed). */
char *firmware_view_released_text(FirmwareView *view, const char *model);
const char *firmware_view_status_text(FirmwareView *view);
gboolean firmware_view_is_importing(FirmwareView *view);
GtkWidget *firmware_view_import_button(FirmwareView *view);
GtkWidget *firmware_view_release_button(FirmwareView *view);
