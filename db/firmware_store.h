/* Firmware images in the result store: imported images with their signed manifests, and
 * which image is released for which board model (one at a time per model; releasing another
 * supersedes it, and every import and release is written to audit_log).
 *
 * This layer stores and reads; it checks that an image's bytes still have the SHA-256 they
 * were stored with, but checking the manifest's signature needs the station's trusted keys
 * and is done above it, by firmware_release_load() (firmware/release.h), which is what the
 * flashing step uses. */
#pragma once
#include <glib.h>
#include "db/store.h"

#define FIRMWARE_STORE_ERROR (firmware_store_error_quark())
GQuark firmware_store_error_quark(void);
typedef enum {
  FIRMWARE_STORE_ERROR_NOT_FOUND,   /* no such version / hash / no image released for a model */
  FIRMWARE_STORE_ERROR_CONFLICT,    /* version already imported with other bytes */
  FIRMWARE_STORE_ERROR_MODEL,       /* release for a model the image is not built for */
  FIRMWARE_STORE_ERROR_CORRUPT,     /* stored bytes no longer match their SHA-256 */
} FirmwareStoreErrorCode;

/* What an import stores; every pointer borrowed. */
typedef struct {
  const char *version;
  const char *const *models;    /* NULL-terminated, as the manifest lists them */
  const char *build_date;       /* YYYY-MM-DD */
  const char *notes;
  const char *sha256;           /* lower-case hex of image */
  const char *signer_key_id;
  const char *manifest;         /* the signed manifest, key-file text */
  const guint8 *signature;      /* Ed25519, 64 bytes */
  gsize signature_length;       /* bytes */
  const guint8 *image;          /* the image as flashed from 0x08000000 */
  gsize image_length;           /* bytes */
  const char *imported_by;      /* who imported it */
} FirmwareImageNew;

/* One stored image. */
typedef struct {
  gint64 id;
  char *version;
  char **models;                /* NULL-terminated */
  char *build_date;             /* YYYY-MM-DD, or NULL */
  char *notes;
  char *sha256;                 /* lower-case hex */
  char *signer_key_id;
  char *manifest;               /* the signed manifest text */
  GBytes *signature;            /* 64 bytes, or NULL */
  GBytes *image;                /* the bytes; NULL in firmware_store_list() */
  gint64 size_bytes;            /* bytes */
  char *imported_at;            /* ISO 8601 UTC */
  char *imported_by;
  char **released_for;          /* models it is released for now, NULL-terminated */
} FirmwareImageRecord;

void firmware_image_record_free(FirmwareImageRecord *record);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FirmwareImageRecord, firmware_image_record_free)

/* Stores a new image in one transaction with its audit_log entry. An image with the same
 * SHA-256 already stored changes nothing and sets *already_stored (its id is returned); the
 * same version with other bytes is FIRMWARE_STORE_ERROR_CONFLICT. Returns the row id, or -1. */
gint64 firmware_store_insert(Store *store, const FirmwareImageNew *image,
                             gboolean *already_stored, GError **error);
/* Every image, newest import first, without their bytes: GPtrArray of FirmwareImageRecord*
 * (freeing). */
GPtrArray *firmware_store_list(Store *store, GError **error);
/* One image with its bytes, by version or by SHA-256 (full hex); FIRMWARE_STORE_ERROR_NOT_FOUND
 * or _CORRUPT when the bytes do not hash to the stored SHA-256. */
FirmwareImageRecord *firmware_store_get_by_version(Store *store, const char *version,
                                                   GError **error);
FirmwareImageRecord *firmware_store_get_by_sha256(Store *store, const char *sha256,
                                                  GError **error);
/* A flash of an image given by hand (rework, bring-up), for the audit log; borrowed. */
typedef struct {
  const char *actor;            /* who flashed */
  const char *serial;           /* the board, "" when it was not named */
  const char *version;          /* the image's header version */
  const char *sha256;           /* lower-case hex of the image */
  const char *source;           /* where the image came from (its file) */
  gint64 run_id;                /* the run that flashed it */
  const char *outcome;          /* how that run ended: PASS, FAIL, ERROR, ABORTED */
} FirmwareFlashAudit;

/* Writes the audit_log row of a flash (action firmware.flash, subject the board's serial):
 * who flashed which image into which board, in which run, and how it ended. */
gboolean firmware_store_audit_flash(Store *store, const FirmwareFlashAudit *flash,
                                    GError **error);
/* Counts the rows of images, releases and audit entries (tests: nothing changed). */
/* The models a release is asked for, each once in the order given; NULL when one is not
 * among built (the image's signed manifest lists), *unbuilt then naming it. */
char **firmware_release_models(char *const *built, const char *const *models,
                               const char **unbuilt);
gboolean firmware_store_count_rows(Store *store, gint64 *images, gint64 *releases,
                                   gint64 *audit_entries, GError **error);

/* What a release did for one model. */
typedef struct {
  char *model;
  char *previous_version;       /* the image it superseded, NULL when none */
  gboolean unchanged;           /* this image was already released for the model */
} FirmwareReleaseChange;
void firmware_release_change_free(FirmwareReleaseChange *change);

/* Releases the image of version for each model (each must be one the image is stored for:
 * FIRMWARE_STORE_ERROR_MODEL otherwise), superseding the model's previous release; all in one
 * transaction with an audit_log entry per change. Returns GPtrArray of FirmwareReleaseChange*
 * (freeing), or NULL. */
GPtrArray *firmware_store_release(Store *store, const char *version, const char *const *models,
                                  const char *actor, GError **error);
/* The image released for model now, with its bytes (checked against the stored SHA-256):
 * FIRMWARE_STORE_ERROR_NOT_FOUND "no firmware image is released for model X" or _CORRUPT. */
FirmwareImageRecord *firmware_store_released_for_model(Store *store, const char *model,
                                                       GError **error);
