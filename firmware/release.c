/* Importing signed releases and loading them for flashing (see release.h). */
#include "firmware/release.h"
#include "firmware/firmware_error.h"
#include "firmware/manifest.h"
#include <string.h>

void firmware_import_result_clear(FirmwareImportResult *result)
{
  g_free(result->version);
  g_free(result->sha256);
  g_free(result->signer_key_id);
  memset(result, 0, sizeof *result);
}

/* Stores a release whose manifest, signer and image have been checked. */
static gboolean store_checked_release(Store *store, const FirmwareManifest *manifest,
                                      const char *manifest_text, const char *signer_key_id,
                                      const FirmwareImage *image, const char *actor,
                                      FirmwareImportResult *result, GError **error)
{
  FirmwareImageNew row = {
    .version = manifest->version,
    .models = (const char *const *)manifest->models,
    .build_date = manifest->build_date,
    .notes = manifest->notes,
    .sha256 = manifest->image_sha256,
    .signer_key_id = signer_key_id,
    .manifest = manifest_text,
    .signature = manifest->signature,
    .signature_length = FIRMWARE_SIGNATURE_BYTES,
    .image = image->bytes,
    .image_length = image->length,
    .imported_by = actor,
  };
  gboolean already = FALSE;
  gint64 id = firmware_store_insert(store, &row, &already, error);
  if (id < 0)
    return FALSE;
  result->image_id = id;
  result->already_stored = already;
  result->version = g_strdup(manifest->version);
  result->sha256 = g_strdup(manifest->image_sha256);
  result->signer_key_id = g_strdup(signer_key_id);
  return TRUE;
}

gboolean firmware_import(Store *store, const char *manifest_path, const char *image_path,
                         const FirmwareTrustedKeys *trusted, const char *actor,
                         FirmwareImportResult *result, GError **error)
{
  memset(result, 0, sizeof *result);
  g_autofree char *manifest_text = NULL;
  gsize manifest_length = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(manifest_path, &manifest_text, &manifest_length, &local)) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_IO, "cannot read the manifest: %s",
                local->message);
    return FALSE;
  }
  g_autoptr(FirmwareManifest) manifest =
      firmware_manifest_parse(manifest_text, manifest_length, manifest_path, error);
  if (manifest == NULL)
    return FALSE;
  const FirmwarePublicKey *signer = firmware_manifest_verify(manifest, trusted, error);
  if (signer == NULL)
    return FALSE;

  g_autofree char *folder = g_path_get_dirname(manifest_path);
  g_autofree char *beside = g_build_filename(folder, manifest->image_file, NULL);
  const char *image_file = image_path ? image_path : beside;
  g_autoptr(FirmwareImage) image = firmware_image_load(image_file, FIRMWARE_FILE_AUTO, error);
  if (image == NULL)
    return FALSE;
  if (!firmware_manifest_check_image(manifest, image, image_file, NULL, error))
    return FALSE;

  return store_checked_release(store, manifest, manifest_text, signer->key_id, image, actor,
                               result, error);
}

/* TRUE when the two NULL-terminated lists hold the same names in the same order. */
static gboolean same_models(char *const *a, char *const *b)
{
  guint i = 0;
  for (; a[i] && b[i]; i++)
    if (strcmp(a[i], b[i]) != 0)
      return FALSE;
  return a[i] == NULL && b[i] == NULL;
}

FirmwareImage *firmware_record_verify(const FirmwareImageRecord *record,
                                      const FirmwareTrustedKeys *trusted,
                                      FirmwareHeader *header, GError **error)
{
  if (record->manifest == NULL || record->image == NULL) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE,
                "stored firmware %s has no %s; import its signed release again",
                record->version, record->manifest == NULL ? "manifest" : "image bytes");
    return NULL;
  }
  g_autofree char *name = g_strdup_printf("stored manifest of %s", record->version);
  g_autoptr(FirmwareManifest) manifest =
      firmware_manifest_parse(record->manifest, strlen(record->manifest), name, error);
  if (manifest == NULL)
    return NULL;
  const FirmwarePublicKey *signer = firmware_manifest_verify(manifest, trusted, error);
  if (signer == NULL)
    return NULL;
  if (strcmp(manifest->version, record->version) != 0 ||
      strcmp(manifest->image_sha256, record->sha256) != 0 ||
      !same_models(manifest->models, record->models) ||
      g_strcmp0(signer->key_id, record->signer_key_id) != 0) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE,
                "stored firmware %s does not match its signed manifest (version, models, "
                "SHA-256 or signer differ); the database was changed outside the station",
                record->version);
    return NULL;
  }
  gsize length = 0;
  const guint8 *bytes = g_bytes_get_data(record->image, &length);
  g_autoptr(FirmwareImage) image = firmware_image_new(FIRMWARE_FLASH_BASE, bytes, length);
  g_autofree char *image_name = g_strdup_printf("stored image of %s", record->version);
  if (!firmware_manifest_check_image(manifest, image, image_name, header, error))
    return NULL;
  return g_steal_pointer(&image);
}

void firmware_release_free(FirmwareRelease *release)
{
  if (release == NULL)
    return;
  firmware_image_free(release->image);
  g_free(release->version);
  g_free(release->sha256);
  g_free(release->signer_key_id);
  g_free(release);
}

FirmwareRelease *firmware_release_load(Store *store, const char *model,
                                       const FirmwareTrustedKeys *trusted, GError **error)
{
  g_autoptr(FirmwareImageRecord) record = firmware_store_released_for_model(store, model, error);
  if (record == NULL)
    return NULL;
  g_autoptr(FirmwareRelease) release = g_new0(FirmwareRelease, 1);
  release->image = firmware_record_verify(record, trusted, &release->header, error);
  if (release->image == NULL) {
    g_prefix_error(error, "the firmware released for %s cannot be used: ", model);
    return NULL;
  }
  if (!firmware_header_has_model(&release->header, model) ||
      !g_strv_contains((const char *const *)record->models, model)) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_MANIFEST,
                "the firmware released for %s (%s) is not built for it; release the right "
                "image for the model", model, record->version);
    return NULL;
  }
  release->version = g_strdup(record->version);
  release->sha256 = g_strdup(record->sha256);
  release->signer_key_id = g_strdup(record->signer_key_id);
  return g_steal_pointer(&release);
}

FirmwareRelease *firmware_release_from_file(const char *path, GError **error)
{
  g_autoptr(FirmwareRelease) release = g_new0(FirmwareRelease, 1);
  release->image = firmware_image_load(path, FIRMWARE_FILE_AUTO, error);
  if (release->image == NULL)
    return NULL;
  if (!firmware_header_check(release->image, &release->header, error)) {
    g_prefix_error(error, "%s is not an image the board would run: ", path);
    return NULL;
  }
  release->version = g_strdup(release->header.version);
  release->sha256 = firmware_image_sha256(release->image);
  return g_steal_pointer(&release);
}

gboolean firmware_import_record(Store *store, const FirmwareImageRecord *record,
                                const FirmwareTrustedKeys *trusted, const char *actor,
                                FirmwareImportResult *result, GError **error)
{
  memset(result, 0, sizeof *result);
  g_autoptr(FirmwareImage) image = firmware_record_verify(record, trusted, NULL, error);
  if (image == NULL)
    return FALSE;
  g_autoptr(FirmwareManifest) manifest =
      firmware_manifest_parse(record->manifest, strlen(record->manifest), record->version,
                              error);
  if (manifest == NULL)
    return FALSE;
  return store_checked_release(store, manifest, record->manifest, record->signer_key_id,
                               image, actor, result, error);
}
