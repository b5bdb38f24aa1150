/* Signed releases in the station's database: importing a manifest and its image (everything
 * checked before anything is stored), and loading the image released for a board model for
 * flashing, with the signature, the hash and the header checked again (the database could
 * have been edited by hand). */
#pragma once
#include <glib.h>
#include "db/firmware_store.h"
#include "firmware/image.h"
#include "firmware/image_header.h"
#include "firmware/keys.h"

typedef struct {
  gint64 image_id;              /* row in firmware_images */
  gboolean already_stored;      /* the same image was imported before: nothing changed */
  char *version;
  char *sha256;                 /* lower-case hex */
  char *signer_key_id;
} FirmwareImportResult;

void firmware_import_result_clear(FirmwareImportResult *result);

/* Imports the release described by the manifest at manifest_path. The image is image_path,
 * or (NULL) the manifest's image-file beside the manifest. Refuses, with the reason and
 * without changing the database: a manifest that is malformed, unsigned, signed by a key not
 * in trusted or wrongly signed; an image that is malformed, fails its header check, or differs
 * from the manifest (hash, version, build date, models). actor is recorded in audit_log. */
gboolean firmware_import(Store *store, const char *manifest_path, const char *image_path,
                         const FirmwareTrustedKeys *trusted, const char *actor,
                         FirmwareImportResult *result, GError **error);

/* Imports an image published elsewhere (the factory database) as firmware_import imports a
 * file: the record's manifest checked against trusted (firmware_record_verify: signature,
 * signer, hash, header), then stored with its manifest. Refused, changing nothing, when a
 * check fails. */
gboolean firmware_import_record(Store *store, const FirmwareImageRecord *record,
                                const FirmwareTrustedKeys *trusted, const char *actor,
                                FirmwareImportResult *result, GError **error);

/* Checks a stored image again: its manifest's signature against trusted, that the manifest
 * describes the stored version, models and bytes, and the header. On success returns the
 * image (freeing) and fills *header when not NULL. */
FirmwareImage *firmware_record_verify(const FirmwareImageRecord *record,
                                      const FirmwareTrustedKeys *trusted,
                                      FirmwareHeader *header, GError **error);

/* The image to flash on a board of model. */
typedef struct {
  FirmwareImage *image;         /* owned; base 0x08000000 */
  char *version;
  char *sha256;                 /* lower-case hex, recorded in the run */
  char *signer_key_id;          /* NULL for an image read from a file */
  FirmwareHeader header;
} FirmwareRelease;

void firmware_release_free(FirmwareRelease *release);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FirmwareRelease, firmware_release_free)

/* The image released for model, checked by firmware_record_verify and for being built for
 * model. FIRMWARE_STORE_ERROR_NOT_FOUND when none is released; FIRMWARE_ERROR_* when the
 * stored release fails a check. */
FirmwareRelease *firmware_release_load(Store *store, const char *model,
                                       const FirmwareTrustedKeys *trusted, GError **error);

/* An image given by hand (rework, bring-up: not a release, nothing signed): read from path
 * (.bin or .hex) and checked as the board's boot code checks it (the header). The version is
 * the header's; signer_key_id is NULL. FIRMWARE_ERROR_IO for a file that cannot be read,
 * FIRMWARE_ERROR_HEADER (or the reader's error) for one that is not a JK image. */
FirmwareRelease *firmware_release_from_file(const char *path, GError **error);
