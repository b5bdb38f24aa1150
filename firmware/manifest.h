/* Release manifests: what the firmware team says about an image (version, models, build date,
 * notes, the image file's name and the SHA-256 of the image bytes), signed with their Ed25519
 * key. The signature covers a canonical serialization of every manifest field (see
 * firmware_manifest_signed_message), so changing any field or any image byte breaks it.
 *
 * A manifest is a GLib key file:
 *
 *   [firmware-manifest]
 *   format=1
 *   version=11.26
 *   models=B2A24S15P,B2A8S20P
 *   build-date=2025-11-20
 *   notes=Fixes the balancer start voltage.
 *   image-file=jk-11.26.bin
 *   image-sha256=<64 hex digits: SHA-256 of the image as flashed, from 0x08000000>
 *
 *   [signature]
 *   key-id=<16 hex digits>
 *   ed25519=<base64, 64 bytes>
 *
 * For an Intel HEX image file, image-sha256 is the hash of the bytes the file describes, not
 * of the text. */
#pragma once
#include <glib.h>
#include "firmware/image.h"
#include "firmware/image_header.h"
#include "firmware/keys.h"

#define FIRMWARE_MANIFEST_FORMAT 1

typedef struct {
  char *version;                /* e.g. "11.26" */
  char **models;                /* NULL-terminated model names, in the manifest's order */
  char *build_date;             /* YYYY-MM-DD */
  char *notes;                  /* free text, may be "" */
  char *image_file;             /* file name of the image, no folders */
  char *image_sha256;           /* lower-case hex */
  gboolean has_signature;       /* FALSE: unsigned manifest */
  char key_id[FIRMWARE_KEY_ID_CHARS + 1];            /* signer, when signed */
  guint8 signature[FIRMWARE_SIGNATURE_BYTES];        /* Ed25519, when signed */
} FirmwareManifest;

void firmware_manifest_free(FirmwareManifest *manifest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FirmwareManifest, firmware_manifest_free)

/* A new unsigned manifest for image (whose header was checked as header): version, models,
 * build date from the header must agree with version and models given (each model listed by
 * the header; FIRMWARE_ERROR_MANIFEST says what disagrees). */
FirmwareManifest *firmware_manifest_new(const FirmwareImage *image, const FirmwareHeader *header,
                                        const char *version, const char *const *models,
                                        const char *notes, const char *image_file,
                                        GError **error);
/* Parses manifest text (from name, for messages); FIRMWARE_ERROR_MANIFEST names the missing
 * or malformed field. A missing [signature] group is not an error here (has_signature FALSE);
 * a malformed one is. */
FirmwareManifest *firmware_manifest_parse(const char *text, gsize length, const char *name,
                                          GError **error);
/* Reads a manifest file. */
FirmwareManifest *firmware_manifest_load(const char *path, GError **error);
/* The manifest as key-file text, with its signature when signed (freeing). */
char *firmware_manifest_to_text(const FirmwareManifest *manifest);
/* The bytes the signature covers (freeing). */
GBytes *firmware_manifest_signed_message(const FirmwareManifest *manifest);

/* Signs the manifest with key (replacing any signature). */
gboolean firmware_manifest_sign(FirmwareManifest *manifest, const FirmwareSigningKey *key,
                                GError **error);
/* Checks the signature against the trusted keys: FIRMWARE_ERROR_SIGNATURE when unsigned, by
 * a key the station does not trust, or not valid (the manifest was changed after signing, or
 * signed by another key with the same id). Returns the signer's key (borrowed) or NULL. */
const FirmwarePublicKey *firmware_manifest_verify(const FirmwareManifest *manifest,
                                                  const FirmwareTrustedKeys *trusted,
                                                  GError **error);
/* Checks that the image (named image_name in messages; NULL: the manifest's image-file) is
 * the one the manifest describes: its SHA-256, a valid JK header, and the header's version,
 * build date and model list agreeing with the manifest (FIRMWARE_ERROR_MANIFEST or
 * FIRMWARE_ERROR_HEADER). Fills *header when not NULL. */
gboolean firmware_manifest_check_image(const FirmwareManifest *manifest,
                                       const FirmwareImage *image, const char *image_name,
                                       FirmwareHeader *header, GError **error);
/* The models as "A,B" (freeing). */
char *firmware_manifest_models_text(const FirmwareManifest *manifest);
/* Splits "A,B" into a model list (blanks around names removed, empty names dropped). */
char **firmware_split_models(const char *text);
