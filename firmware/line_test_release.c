/* Releasing test firmware for a simulated line (see line_test_release.h). */
#include "firmware/line_test_release.h"
#include "db/firmware_store.h"
#include "firmware/keys.h"
#include "firmware/manifest.h"
#include "firmware/release.h"
#include "firmware/test_image.h"
#include "firmware/image_header.h"
#include "firmware/jk_image_format.h"
#include <errno.h>
#include <glib/gstdio.h>

#define TEST_VERSION "11.30"
#define TEST_IMAGE_BYTES 20000
#define TEST_BUILD_DATE 20261101

/* One image for models[0..count-1]: built, signed, written beside its manifest, imported
 * and released. */
static gboolean release_group(Store *store, const FirmwareSigningKey *key,
                              const FirmwareTrustedKeys *trusted, const char *folder,
                              const char *version, const char *const *models, GError **error)
{
  g_autoptr(FirmwareImage) image = firmware_build_test_image(
      version, models, TEST_IMAGE_BYTES, TEST_BUILD_DATE, g_str_hash(version), error);
  FirmwareHeader header;
  if (!image || !firmware_header_check(image, &header, error))
    return FALSE;
  g_autofree char *image_name = g_strdup_printf("fw-%s.bin", version);
  g_autofree char *image_path = g_build_filename(folder, image_name, NULL);
  g_autofree char *manifest_name = g_strdup_printf("fw-%s.manifest", version);
  g_autofree char *manifest_path = g_build_filename(folder, manifest_name, NULL);
  g_autoptr(FirmwareManifest) manifest = firmware_manifest_new(
      image, &header, version, models, "test firmware for a simulated line", image_name, error);
  if (!manifest || !firmware_manifest_sign(manifest, key, error))
    return FALSE;
  g_autofree char *text = firmware_manifest_to_text(manifest);
  if (!g_file_set_contents(image_path, (const char *)image->bytes, (gssize)image->length,
                           error) ||
      !g_file_set_contents(manifest_path, text, -1, error))
    return FALSE;
  FirmwareImportResult imported = {0};
  gboolean ok = firmware_import(store, manifest_path, image_path, trusted, "test-line",
                                &imported, error);
  firmware_import_result_clear(&imported);
  if (!ok)
    return FALSE;
  g_autoptr(GPtrArray) changes = firmware_store_release(store, version, models, "test-line",
                                                        error);
  return changes != NULL;
}

char *firmware_release_test_line(Store *store, const Catalog *catalog, const char *folder,
                                 GError **error)
{
  g_autofree char *trusted_folder = g_build_filename(folder, "trusted-keys", NULL);
  if (g_mkdir_with_parents(trusted_folder, 0700) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot create %s: %s",
                trusted_folder, g_strerror(errno));
    return NULL;
  }
  g_autofree char *base = g_build_filename(trusted_folder, "test-line", NULL);
  g_autofree char *key_id = NULL;
  if (!firmware_keygen(base, &key_id, error))
    return NULL;
  g_autofree char *key_path = g_strconcat(base, ".key", NULL);
  g_autoptr(FirmwareSigningKey) key = firmware_signing_key_load(key_path, error);
  g_autoptr(FirmwareTrustedKeys) trusted =
      key ? firmware_trusted_keys_load(trusted_folder, error) : NULL;
  if (!trusted)
    return NULL;
  guint count = catalog_count(catalog);
  for (guint first = 0, group = 1; first < count; first += JK_IMAGE_MAX_MODELS, group++) {
    const char *models[JK_IMAGE_MAX_MODELS + 1] = {NULL};
    for (guint i = 0; i < JK_IMAGE_MAX_MODELS && first + i < count; i++)
      models[i] = catalog_nth(catalog, first + i)->name;
    g_autofree char *version = g_strdup_printf("%s.%u", TEST_VERSION, group);
    if (!release_group(store, key, trusted, folder, version, models, error))
      return NULL;
  }
  /* The private key is not needed any more; only the public one is trusted. */
  g_remove(key_path);
  return g_steal_pointer(&trusted_folder);
}
