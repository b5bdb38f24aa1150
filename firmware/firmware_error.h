/* The firmware tools' error domain: image files (Intel HEX, raw binary), the JK image header,
 * signing keys, release manifests and signatures, and the STM32 ROM bootloader client. Link
 * failures below the bootloader protocol keep the transport's FIXTURE_ERROR domain, prefixed
 * with what the flasher was doing. */
#pragma once
#include <glib.h>

#define FIRMWARE_ERROR (firmware_error_quark())
GQuark firmware_error_quark(void);

typedef enum {
  FIRMWARE_ERROR_IO,          /* a file could not be read or written */
  FIRMWARE_ERROR_FORMAT,      /* an image file is malformed (HEX record, size, address) */
  FIRMWARE_ERROR_HEADER,      /* the image's JK header fails a check */
  FIRMWARE_ERROR_KEY,         /* a key file is malformed */
  FIRMWARE_ERROR_MANIFEST,    /* a manifest is malformed, or disagrees with its image */
  FIRMWARE_ERROR_SIGNATURE,   /* no signature, a wrong one, or an unknown signer */
  FIRMWARE_ERROR_NO_SYNC,     /* the bootloader did not answer the 0x7F sync */
  FIRMWARE_ERROR_CHIP,        /* wrong chip ID, or a command the bootloader lacks */
  FIRMWARE_ERROR_BOOTLOADER,  /* the bootloader refused (NACK) or answered garbage */
  FIRMWARE_ERROR_VERIFY,      /* the flash read back differs from the image */
  FIRMWARE_ERROR_ABORTED,     /* the caller's progress callback asked to stop */
} FirmwareErrorCode;
