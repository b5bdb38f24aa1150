/* The JK image header check and CRC-32 (see image_header.h). */
#include "firmware/image_header.h"
#include "firmware/firmware_error.h"
#include <string.h>

#define CRC32_POLY_REFLECTED 0xEDB88320u
#define HEADER_ADDRESS(offset) (JK_IMAGE_FLASH_BASE + JK_IMAGE_HEADER_OFFSET + (offset))

/* The 256 CRC-32 remainders of one byte, built on first use. */
static const guint32 *crc32_table(void)
{
  static guint32 table[256];
  static gsize ready = 0;
  if (g_once_init_enter(&ready)) {
    for (guint32 n = 0; n < 256; n++) {
      guint32 value = n;
      for (int bit = 0; bit < 8; bit++)
        value = (value & 1) ? (value >> 1) ^ CRC32_POLY_REFLECTED : value >> 1;
      table[n] = value;
    }
    g_once_init_leave(&ready, 1);
  }
  return table;
}

guint32 firmware_crc32(guint32 crc, const guint8 *data, gsize length)
{
  const guint32 *table = crc32_table();
  crc = ~crc;
  for (gsize i = 0; i < length; i++)
    crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

guint32 firmware_header_crc(const guint8 *image_bytes, gsize length)
{
  static const guint8 zero[4] = {0, 0, 0, 0};
  gsize crc_at = JK_IMAGE_HEADER_OFFSET + JK_IMAGE_OFF_CRC;
  guint32 crc = firmware_crc32(0, image_bytes, crc_at);
  crc = firmware_crc32(crc, zero, sizeof zero);
  return firmware_crc32(crc, image_bytes + crc_at + 4, length - crc_at - 4);
}

static guint32 get_le32(const guint8 *p)
{
  return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static guint get_le16(const guint8 *p)
{
  return (guint)p[0] | (guint)p[1] << 8;
}

/* Copies a 16-byte name field holding 1..16 printable characters, NUL padded, to out
 * (NUL terminated); FALSE when the field is not such a name. */
static gboolean read_name_field(const guint8 *field, char out[JK_IMAGE_NAME_SIZE + 1])
{
  gsize length = 0;
  while (length < JK_IMAGE_NAME_SIZE && field[length] != 0)
    length++;
  if (length == 0)
    return FALSE;
  for (gsize i = 0; i < JK_IMAGE_NAME_SIZE; i++) {
    if (i < length && !g_ascii_isgraph((char)field[i]))
      return FALSE;
    if (i >= length && field[i] != 0)
      return FALSE;
  }
  memcpy(out, field, length);
  out[length] = '\0';
  return TRUE;
}

/* FALSE with FIRMWARE_ERROR_HEADER and the message. */
static gboolean header_error(GError **error, const char *format, ...) G_GNUC_PRINTF(2, 3);
static gboolean header_error(GError **error, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER, message);
  return FALSE;
}

/* TRUE when value is a plausible YYYYMMDD date. */
static gboolean build_date_ok(guint32 value)
{
  guint year = value / 10000, month = value / 100 % 100, day = value % 100;
  return year >= 2000 && year <= 2099 && g_date_valid_dmy((GDateDay)day, (GDateMonth)month,
                                                          (GDateYear)year);
}

/* The checks on the model list; fills out->models and model_count. */
static gboolean check_models(const guint8 *header, FirmwareHeader *out, GError **error)
{
  guint count = get_le16(header + JK_IMAGE_OFF_MODEL_COUNT);
  if (count < 1 || count > JK_IMAGE_MAX_MODELS)
    return header_error(error, "model count %u at 0x%08X, the header lists 1..%u models", count,
                        HEADER_ADDRESS(JK_IMAGE_OFF_MODEL_COUNT), JK_IMAGE_MAX_MODELS);
  for (guint i = 0; i < JK_IMAGE_MAX_MODELS; i++) {
    guint offset = JK_IMAGE_OFF_MODELS + i * JK_IMAGE_NAME_SIZE;
    const guint8 *entry = header + offset;
    if (i < count) {
      if (!read_name_field(entry, out->models[i]))
        return header_error(error, "model entry %u at 0x%08X is not a model name (1..16 "
                            "printable characters, NUL padded)", i + 1, HEADER_ADDRESS(offset));
      continue;
    }
    for (guint b = 0; b < JK_IMAGE_NAME_SIZE; b++)
      if (entry[b] != 0)
        return header_error(error, "model entry %u at 0x%08X is past the model count %u but "
                            "not zero", i + 1, HEADER_ADDRESS(offset), count);
  }
  out->model_count = count;
  return TRUE;
}

gboolean firmware_header_check(const FirmwareImage *image, FirmwareHeader *header,
                               GError **error)
{
  FirmwareHeader found;
  memset(&found, 0, sizeof found);
  if (image->base_address != JK_IMAGE_FLASH_BASE)
    return header_error(error, "the image starts at 0x%08X; a JK image starts at the flash "
                        "base 0x%08X", image->base_address, JK_IMAGE_FLASH_BASE);
  if (image->length < JK_IMAGE_MIN_LENGTH)
    return header_error(error, "the image is %zu bytes, too short to hold the header at "
                        "0x%08X (at least %u bytes)", image->length, HEADER_ADDRESS(0),
                        JK_IMAGE_MIN_LENGTH);
  const guint8 *h = image->bytes + JK_IMAGE_HEADER_OFFSET;
  guint32 magic = get_le32(h + JK_IMAGE_OFF_MAGIC);
  if (magic != JK_IMAGE_MAGIC)
    return header_error(error, "missing header magic at 0x%08X: found 0x%08X, expected "
                        "0x%08X (\"JKFW\"); is this a JK board image?", HEADER_ADDRESS(0),
                        magic, JK_IMAGE_MAGIC);
  guint header_version = get_le16(h + JK_IMAGE_OFF_HDR_VERSION);
  if (header_version != JK_IMAGE_HEADER_VERSION)
    return header_error(error, "header version %u at 0x%08X; this station knows version %u",
                        header_version, HEADER_ADDRESS(JK_IMAGE_OFF_HDR_VERSION),
                        JK_IMAGE_HEADER_VERSION);
  if (!check_models(h, &found, error))
    return FALSE;
  if (!read_name_field(h + JK_IMAGE_OFF_VERSION, found.version))
    return header_error(error, "the version field at 0x%08X is not a version name (1..16 "
                        "printable characters, NUL padded)",
                        HEADER_ADDRESS(JK_IMAGE_OFF_VERSION));
  found.length = get_le32(h + JK_IMAGE_OFF_LENGTH);
  if (found.length != image->length)
    return header_error(error, "length mismatch: header says %u bytes, image has %zu",
                        found.length, image->length);
  found.crc32 = get_le32(h + JK_IMAGE_OFF_CRC);
  guint32 crc = firmware_header_crc(image->bytes, image->length);
  if (crc != found.crc32)
    return header_error(error, "CRC mismatch: header says 0x%08X, image has 0x%08X",
                        found.crc32, crc);
  found.build_date = get_le32(h + JK_IMAGE_OFF_BUILD_DATE);
  if (!build_date_ok(found.build_date))
    return header_error(error, "build date %u at 0x%08X is not a date YYYYMMDD",
                        found.build_date, HEADER_ADDRESS(JK_IMAGE_OFF_BUILD_DATE));
  for (guint offset = JK_IMAGE_OFF_BUILD_DATE + 4; offset < JK_IMAGE_HEADER_SIZE; offset++)
    if (h[offset] != 0)
      return header_error(error, "reserved header byte at 0x%08X is 0x%02X, must be zero",
                          HEADER_ADDRESS(offset), h[offset]);
  if (header)
    *header = found;
  return TRUE;
}

gboolean firmware_header_has_model(const FirmwareHeader *header, const char *model)
{
  for (guint i = 0; i < header->model_count; i++)
    if (strcmp(header->models[i], model) == 0)
      return TRUE;
  return FALSE;
}

char **firmware_header_models(const FirmwareHeader *header)
{
  char **models = g_new0(char *, header->model_count + 1);
  for (guint i = 0; i < header->model_count; i++)
    models[i] = g_strdup(header->models[i]);
  return models;
}
