/* Firmware images as the station handles them: one contiguous run of bytes and the address
 * of its first byte in the MCU's memory map, read from an Intel HEX file or a raw binary
 * (loaded at the start of flash). The part is an STM32F103C8-class MCU with 64 KiB of flash
 * at 0x08000000 (firmware/jk_image_format.h); every image must fit there. */
#pragma once
#include <glib.h>
#include "firmware/jk_image_format.h"

#define FIRMWARE_FLASH_BASE JK_IMAGE_FLASH_BASE   /* address of the first flash byte */
#define FIRMWARE_FLASH_SIZE JK_IMAGE_FLASH_SIZE   /* bytes of flash */

typedef struct {
  guint32 base_address;         /* address of bytes[0] in the MCU's memory map */
  guint8 *bytes;                /* the image, owned */
  gsize length;                 /* bytes */
} FirmwareImage;

typedef enum {
  FIRMWARE_FILE_AUTO,           /* by extension (.hex/.ihex/.ihx, .bin), else by content */
  FIRMWARE_FILE_HEX,            /* Intel HEX */
  FIRMWARE_FILE_BINARY,         /* raw bytes loaded at FIRMWARE_FLASH_BASE */
} FirmwareFileFormat;

/* A new image holding a copy of length bytes placed at base_address. */
FirmwareImage *firmware_image_new(guint32 base_address, const guint8 *bytes, gsize length);
void firmware_image_free(FirmwareImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FirmwareImage, firmware_image_free)

/* Reads Intel HEX text (records 00 data, 01 end of file, 02 extended segment address,
 * 04 extended linear address, 05 start linear address). FIRMWARE_ERROR_FORMAT, prefixed with
 * name and the line number, says what is wrong: a bad record checksum, a malformed record,
 * a gap in the data, data outside the flash, an image larger than the flash, data written
 * twice, a missing end-of-file record. */
FirmwareImage *firmware_image_parse_hex(const guint8 *text, gsize length, const char *name,
                                        GError **error);
/* Takes raw bytes as an image at FIRMWARE_FLASH_BASE; FIRMWARE_ERROR_FORMAT when empty or
 * larger than the flash. */
FirmwareImage *firmware_image_parse_binary(const guint8 *data, gsize length, const char *name,
                                           GError **error);
/* Which reader a file needs: by the file name's extension when it is a known one, else
 * Intel HEX when the content is ASCII text starting with ':', else raw binary. */
FirmwareFileFormat firmware_image_guess_format(const char *file_name, const guint8 *data,
                                               gsize length);
/* Reads data (from a file called name) in the given format (AUTO: guessed). */
FirmwareImage *firmware_image_parse(const guint8 *data, gsize length, const char *name,
                                    FirmwareFileFormat format, GError **error);
/* Reads the image file at path (FIRMWARE_ERROR_IO when it cannot be read). */
FirmwareImage *firmware_image_load(const char *path, FirmwareFileFormat format, GError **error);

/* The image as Intel HEX text: 16-byte data records, an extended linear address record
 * wherever the upper 16 address bits change, and the end-of-file record (freeing). */
char *firmware_image_to_hex(const FirmwareImage *image);
/* Lower-case hex SHA-256 of the image bytes (freeing). */
char *firmware_image_sha256(const FirmwareImage *image);
