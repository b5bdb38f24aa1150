/* The station's own check of the JK image header (firmware/jk_image_format.h), the one the
 * board's boot code makes before it runs an image, and the CRC-32 it uses. The firmware
 * tools refuse to sign, import or flash an image that fails it. */
#pragma once
#include <glib.h>
#include "firmware/image.h"

typedef struct {
  char version[JK_IMAGE_NAME_SIZE + 1];                    /* e.g. "11.26", NUL terminated */
  char models[JK_IMAGE_MAX_MODELS][JK_IMAGE_NAME_SIZE + 1]; /* model names, NUL terminated */
  guint model_count;                                       /* 1..JK_IMAGE_MAX_MODELS */
  guint32 length;                                          /* bytes, header included */
  guint32 crc32;                                           /* as stored in the header */
  guint32 build_date;                                      /* YYYYMMDD */
} FirmwareHeader;

/* CRC-32 IEEE 802.3 (zlib's crc32) of length bytes, continuing from crc (0 to start). */
guint32 firmware_crc32(guint32 crc, const guint8 *data, gsize length);
/* The CRC-32 the header must hold: over the first length bytes of image_bytes with the
 * header's CRC field taken as zero (length >= JK_IMAGE_MIN_LENGTH). */
guint32 firmware_header_crc(const guint8 *image_bytes, gsize length);

/* Checks, in this order: the image starts at the flash base and can hold a header, the magic,
 * the header version, the model count, each model name (1..16 printable characters, NUL
 * padded; entries past the count zero), the version name, the length (equal to the image's),
 * the CRC-32, the build date and the zero reserved bytes. FIRMWARE_ERROR_HEADER names the
 * check that failed ("missing header magic at 0x08000200 ...", "CRC mismatch: header says
 * 0x..., image has 0x..."). On success fills *header when it is not NULL. */
gboolean firmware_header_check(const FirmwareImage *image, FirmwareHeader *header,
                               GError **error);
/* TRUE when the header lists model. */
gboolean firmware_header_has_model(const FirmwareHeader *header, const char *model);
/* The header's models as a NULL-terminated list (freeing with g_strfreev). */
char **firmware_header_models(const FirmwareHeader *header);
