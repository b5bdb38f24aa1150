/* The test image builder (see test_image.h). The vector table points every handler at one
 * idle loop placed right after the header, so the image would even run on a real part. */
#include "firmware/test_image.h"
#include "firmware/firmware_error.h"
#include "firmware/image_header.h"
#include <string.h>

#define VECTOR_TABLE_BYTES 0x130u    /* Cortex-M3 core plus STM32F103 vectors, 76 words */
#define INITIAL_STACK 0x20005000u    /* top of the part's 20 KiB SRAM */
#define IDLE_LOOP_OFFSET JK_IMAGE_MIN_LENGTH /* first byte after the header */
#define THUMB_BRANCH_TO_SELF 0xE7FEu /* "b ." */

static void put_le32(guint8 *p, guint32 value)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8)(value >> (8 * i));
}

/* TRUE when name fits a header name field: 1..16 printable characters. */
static gboolean header_name_ok(const char *name)
{
  gsize length = name ? strlen(name) : 0;
  if (length == 0 || length > JK_IMAGE_NAME_SIZE)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isgraph(name[i]))
      return FALSE;
  return TRUE;
}

/* Checks the builder's arguments; FIRMWARE_ERROR_HEADER names the wrong one. */
static gboolean check_arguments(const char *version, const char *const *models, gsize size,
                                GError **error)
{
  guint count = models ? g_strv_length((char **)models) : 0;
  if (!header_name_ok(version)) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER,
                "version '%s' must be 1..16 printable characters without spaces",
                version ? version : "");
    return FALSE;
  }
  if (count < 1 || count > JK_IMAGE_MAX_MODELS) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER,
                "an image lists 1..%u models, not %u", JK_IMAGE_MAX_MODELS, count);
    return FALSE;
  }
  for (guint i = 0; i < count; i++) {
    if (!header_name_ok(models[i])) {
      g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER,
                  "model '%s' must be 1..16 printable characters without spaces", models[i]);
      return FALSE;
    }
  }
  if (size < JK_IMAGE_MIN_LENGTH + 2 || size > JK_IMAGE_FLASH_SIZE) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER,
                "image size %zu bytes is outside %u..%u", size, JK_IMAGE_MIN_LENGTH + 2,
                JK_IMAGE_FLASH_SIZE);
    return FALSE;
  }
  return TRUE;
}

FirmwareImage *firmware_build_test_image(const char *version, const char *const *models,
                                         gsize size, guint32 build_date, guint32 seed,
                                         GError **error)
{
  if (!check_arguments(version, models, size, error))
    return NULL;
  FirmwareImage *image = g_new0(FirmwareImage, 1);
  image->base_address = JK_IMAGE_FLASH_BASE;
  image->length = size;
  image->bytes = g_malloc0(size);
  guint8 *b = image->bytes;

  GRand *rng = g_rand_new_with_seed(seed);
  for (gsize i = IDLE_LOOP_OFFSET + 2; i < size; i++)
    b[i] = (guint8)g_rand_int(rng);
  g_rand_free(rng);
  b[IDLE_LOOP_OFFSET] = (guint8)THUMB_BRANCH_TO_SELF;
  b[IDLE_LOOP_OFFSET + 1] = (guint8)(THUMB_BRANCH_TO_SELF >> 8);

  put_le32(b, INITIAL_STACK);
  for (guint offset = 4; offset < VECTOR_TABLE_BYTES; offset += 4)
    put_le32(b + offset, JK_IMAGE_FLASH_BASE + IDLE_LOOP_OFFSET + 1);  /* Thumb bit */

  guint8 *h = b + JK_IMAGE_HEADER_OFFSET;
  guint count = g_strv_length((char **)models);
  put_le32(h + JK_IMAGE_OFF_MAGIC, JK_IMAGE_MAGIC);
  h[JK_IMAGE_OFF_HDR_VERSION] = (guint8)JK_IMAGE_HEADER_VERSION;
  h[JK_IMAGE_OFF_MODEL_COUNT] = (guint8)count;
  put_le32(h + JK_IMAGE_OFF_LENGTH, (guint32)size);
  memcpy(h + JK_IMAGE_OFF_VERSION, version, strlen(version));
  for (guint i = 0; i < count; i++)
    memcpy(h + JK_IMAGE_OFF_MODELS + i * JK_IMAGE_NAME_SIZE, models[i], strlen(models[i]));
  put_le32(h + JK_IMAGE_OFF_BUILD_DATE, build_date);
  firmware_test_image_reseal(image);
  if (!firmware_header_check(image, NULL, error)) {    /* e.g. a build date that is no date */
    firmware_image_free(image);
    return NULL;
  }
  return image;
}

void firmware_test_image_reseal(FirmwareImage *image)
{
  guint32 length = (guint32)image->length;
  if (image->length < JK_IMAGE_MIN_LENGTH)
    return;
  put_le32(image->bytes + JK_IMAGE_HEADER_OFFSET + JK_IMAGE_OFF_CRC,
           firmware_header_crc(image->bytes, length));
}
