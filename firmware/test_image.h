/* Well-formed JK images for tests and demos of the twin (`station firmware
 * build-test-image`): a Cortex-M vector table, the JK header and filler code bytes from a
 * seeded generator. The firmware team's real images come from their own build; these only
 * exercise the station's tools and the twin's boot check. */
#pragma once
#include <glib.h>
#include "firmware/image.h"

/* Builds an image of size bytes (JK_IMAGE_MIN_LENGTH..JK_IMAGE_FLASH_SIZE) for version and
 * models (1..JK_IMAGE_MAX_MODELS names; every name 1..16 printable characters) with the
 * build date YYYYMMDD. The same arguments and seed give the same bytes. FIRMWARE_ERROR_HEADER
 * names the argument that cannot go into a header. */
FirmwareImage *firmware_build_test_image(const char *version, const char *const *models,
                                         gsize size, guint32 build_date, guint32 seed,
                                         GError **error);
/* Recomputes the header's CRC-32 after a change to the image (tests of the header check). */
void firmware_test_image_reseal(FirmwareImage *image);
