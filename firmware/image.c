/* Image files: the Intel HEX reader and writer and the raw binary reader (see image.h).
 *
 * The HEX reader places every data byte into a flash-sized buffer, remembering the line that
 * wrote it, so that it can name the lines around a gap and the line that wrote a byte twice.
 * Records may come in any order; the result must be one contiguous run of bytes. */
#include "firmware/image.h"
#include "firmware/firmware_error.h"
#include <string.h>

#define HEX_TYPE_DATA 0x00
#define HEX_TYPE_EOF 0x01
#define HEX_TYPE_SEGMENT 0x02           /* extended segment address: base = value * 16 */
#define HEX_TYPE_START_SEGMENT 0x03     /* CS:IP start address (x86 only) */
#define HEX_TYPE_LINEAR 0x04            /* extended linear address: base = value << 16 */
#define HEX_TYPE_START_LINEAR 0x05      /* EIP start address */
#define HEX_MAX_DATA 255                /* bytes in one record */
#define HEX_WRITE_RECORD 16             /* data bytes per record the writer emits */

FirmwareImage *firmware_image_new(guint32 base_address, const guint8 *bytes, gsize length)
{
  FirmwareImage *image = g_new0(FirmwareImage, 1);
  image->base_address = base_address;
  image->bytes = g_memdup2(bytes, length);
  image->length = length;
  return image;
}

void firmware_image_free(FirmwareImage *image)
{
  if (image == NULL)
    return;
  g_free(image->bytes);
  g_free(image);
}

/* ---- Intel HEX ---- */

typedef struct {
  const char *name;             /* file name for messages */
  guint8 *flash;                /* FIRMWARE_FLASH_SIZE bytes */
  guint32 *line_of;             /* per flash byte: the line that wrote it, 0 = none */
  guint32 upper;                /* address base from records 02 / 04 */
  gboolean seen_data;
} HexReader;

/* Sets FIRMWARE_ERROR_FORMAT "<name> line <n>: <message>". */
static void hex_error(HexReader *reader, guint line, GError **error, const char *format, ...)
    G_GNUC_PRINTF(4, 5);
static void hex_error(HexReader *reader, guint line, GError **error, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT, "%s line %u: %s", reader->name, line,
              message);
}

/* Decodes the hex digit pairs of one record (after ':') into out (out_size bytes); FALSE with
 * the error naming the first problem. */
static gboolean decode_hex_pairs(HexReader *reader, guint line, const guint8 *text,
                                 gsize length, guint8 *out, gsize out_size, gsize *out_length,
                                 GError **error)
{
  for (gsize i = 0; i < length; i++) {
    if (!g_ascii_isxdigit((char)text[i])) {
      hex_error(reader, line, error, "malformed record: character %zu (0x%02X) is not a hex "
                "digit", i + 2, text[i]);
      return FALSE;
    }
  }
  if (length % 2 != 0) {
    hex_error(reader, line, error, "malformed record: an odd number of hex digits (%zu)",
              length);
    return FALSE;
  }
  if (length / 2 > out_size) {
    hex_error(reader, line, error, "malformed record: %zu bytes, a record has at most %zu",
              length / 2, out_size);
    return FALSE;
  }
  for (gsize i = 0; i < length; i += 2)
    out[i / 2] = (guint8)(g_ascii_xdigit_value((char)text[i]) << 4 |
                          g_ascii_xdigit_value((char)text[i + 1]));
  *out_length = length / 2;
  return TRUE;
}

/* Stores the bytes of one data record at address; FALSE with the error that names why. */
static gboolean hex_store_data(HexReader *reader, guint line, guint64 address,
                               const guint8 *data, gsize count, GError **error)
{
  guint64 flash_end = (guint64)FIRMWARE_FLASH_BASE + FIRMWARE_FLASH_SIZE;
  if (address < FIRMWARE_FLASH_BASE || address >= flash_end) {
    hex_error(reader, line, error,
              "data at 0x%08" G_GINT64_MODIFIER "X is outside the part's flash "
              "0x%08X..0x%08X", address, FIRMWARE_FLASH_BASE,
              (guint)(flash_end - 1));
    return FALSE;
  }
  if (address + count > flash_end) {
    hex_error(reader, line, error,
              "image larger than 64 KiB: data runs to 0x%08" G_GINT64_MODIFIER "X, past the "
              "end of flash at 0x%08X", address + count - 1, (guint)(flash_end - 1));
    return FALSE;
  }
  gsize offset = (gsize)(address - FIRMWARE_FLASH_BASE);
  for (gsize i = 0; i < count; i++) {
    if (reader->line_of[offset + i] != 0) {
      hex_error(reader, line, error, "data at 0x%08X was already given on line %u",
                (guint)(address + i), reader->line_of[offset + i]);
      return FALSE;
    }
    reader->flash[offset + i] = data[i];
    reader->line_of[offset + i] = line;
  }
  reader->seen_data = TRUE;
  return TRUE;
}

/* Handles one decoded record; sets *end_of_file on record 01. */
static gboolean hex_record(HexReader *reader, guint line, const guint8 *record,
                           gboolean *end_of_file, GError **error)
{
  guint count = record[0];
  guint offset = (guint)record[1] << 8 | record[2];
  guint type = record[3];
  const guint8 *data = record + 4;
  switch (type) {
  case HEX_TYPE_DATA:
    return hex_store_data(reader, line, (guint64)reader->upper + offset, data, count, error);
  case HEX_TYPE_EOF:
    if (count != 0) {
      hex_error(reader, line, error, "malformed record: end-of-file record with %u data bytes",
                count);
      return FALSE;
    }
    *end_of_file = TRUE;
    return TRUE;
  case HEX_TYPE_SEGMENT:
  case HEX_TYPE_LINEAR:
    if (count != 2) {
      hex_error(reader, line, error, "malformed record: address record type %02X with %u data "
                "bytes, expected 2", type, count);
      return FALSE;
    }
    reader->upper = ((guint32)data[0] << 8 | data[1]) << (type == HEX_TYPE_LINEAR ? 16 : 4);
    return TRUE;
  case HEX_TYPE_START_LINEAR:
    if (count != 4) {
      hex_error(reader, line, error, "malformed record: start address record with %u data "
                "bytes, expected 4", count);
      return FALSE;
    }
    return TRUE;    /* the entry point: the MCU takes it from the vector table instead */
  default:
    hex_error(reader, line, error, "malformed record: record type %02X is not one this reader "
              "knows (00, 01, 02, 04, 05)%s", type,
              type == HEX_TYPE_START_SEGMENT ? "; type 03 is an x86 start address" : "");
    return FALSE;
  }
}

/* Reads one line (without its end-of-line characters); FALSE on error. */
static gboolean hex_line(HexReader *reader, guint line, const guint8 *text, gsize length,
                         gboolean *end_of_file, GError **error)
{
  if (*end_of_file) {
    hex_error(reader, line, error, "malformed record: data after the end-of-file record");
    return FALSE;
  }
  if (text[0] != ':') {
    hex_error(reader, line, error, "malformed record: a record starts with ':'");
    return FALSE;
  }
  guint8 record[5 + HEX_MAX_DATA];
  gsize record_length = 0;
  if (!decode_hex_pairs(reader, line, text + 1, length - 1, record, sizeof record,
                        &record_length, error))
    return FALSE;
  if (record_length < 5) {
    hex_error(reader, line, error, "malformed record: %zu bytes, a record has at least 5 "
              "(count, address, type, checksum)", record_length);
    return FALSE;
  }
  if (record_length != 5u + record[0]) {
    hex_error(reader, line, error, "malformed record: the count says %u data bytes, the line "
              "holds %zu", record[0], record_length - 5);
    return FALSE;
  }
  guint8 sum = 0;
  for (gsize i = 0; i + 1 < record_length; i++)
    sum = (guint8)(sum + record[i]);
  guint8 expected = (guint8)(0x100 - sum);
  if (record[record_length - 1] != expected) {
    hex_error(reader, line, error, "bad record checksum 0x%02X, expected 0x%02X",
              record[record_length - 1], expected);
    return FALSE;
  }
  return hex_record(reader, line, record, end_of_file, error);
}

/* After the last line: checks the data is one contiguous run and builds the image. */
static FirmwareImage *hex_finish(HexReader *reader, GError **error)
{
  if (!reader->seen_data) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT, "%s: no data records", reader->name);
    return NULL;
  }
  gsize first = 0;
  while (reader->line_of[first] == 0)
    first++;
  gsize last = FIRMWARE_FLASH_SIZE - 1;
  while (reader->line_of[last] == 0)
    last--;
  for (gsize i = first; i <= last; i++) {
    if (reader->line_of[i] != 0)
      continue;
    gsize gap_end = i;
    while (reader->line_of[gap_end + 1] == 0)
      gap_end++;
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT,
                "%s line %u: non-contiguous data: a gap with no bytes at 0x%08X..0x%08X "
                "(between the data of lines %u and %u); the image must be one contiguous run",
                reader->name, reader->line_of[gap_end + 1], (guint)(FIRMWARE_FLASH_BASE + i),
                (guint)(FIRMWARE_FLASH_BASE + gap_end), reader->line_of[i - 1],
                reader->line_of[gap_end + 1]);
    return NULL;
  }
  return firmware_image_new(FIRMWARE_FLASH_BASE + (guint32)first, reader->flash + first,
                            last - first + 1);
}

FirmwareImage *firmware_image_parse_hex(const guint8 *text, gsize length, const char *name,
                                        GError **error)
{
  HexReader reader = {
    .name = name,
    .flash = g_malloc(FIRMWARE_FLASH_SIZE),
    .line_of = g_new0(guint32, FIRMWARE_FLASH_SIZE),
  };
  FirmwareImage *image = NULL;
  gboolean end_of_file = FALSE;
  guint line = 0;
  gsize at = 0;
  while (at < length) {
    line++;
    gsize end = at;
    while (end < length && text[end] != '\n')
      end++;
    gsize next = end < length ? end + 1 : end;
    /* strip trailing CR and blanks, then skip lines that are empty */
    while (end > at && (text[end - 1] == '\r' || text[end - 1] == ' ' || text[end - 1] == '\t'))
      end--;
    if (end > at && !hex_line(&reader, line, text + at, end - at, &end_of_file, error))
      goto done;
    at = next;
  }
  if (!end_of_file) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT,
                "%s line %u: missing end-of-file record (:00000001FF); the file may be cut "
                "short", name, line);
    goto done;
  }
  image = hex_finish(&reader, error);
done:
  g_free(reader.flash);
  g_free(reader.line_of);
  return image;
}

/* Appends one record with its checksum to out. */
static void hex_append_record(GString *out, guint type, guint offset, const guint8 *data,
                              gsize count)
{
  guint8 sum = (guint8)(count + (offset >> 8) + offset + type);
  g_string_append_printf(out, ":%02X%04X%02X", (guint)count, offset & 0xFFFF, type);
  for (gsize i = 0; i < count; i++) {
    g_string_append_printf(out, "%02X", data[i]);
    sum = (guint8)(sum + data[i]);
  }
  g_string_append_printf(out, "%02X\n", (guint8)(0x100 - sum));
}

char *firmware_image_to_hex(const FirmwareImage *image)
{
  GString *out = g_string_new(NULL);
  guint32 upper = 0;
  gboolean upper_written = FALSE;
  gsize at = 0;
  while (at < image->length) {
    guint32 address = image->base_address + (guint32)at;
    if (!upper_written || (address >> 16) != upper) {
      upper = address >> 16;
      guint8 value[2] = {(guint8)(upper >> 8), (guint8)upper};
      hex_append_record(out, HEX_TYPE_LINEAR, 0, value, 2);
      upper_written = TRUE;
    }
    gsize count = MIN((gsize)HEX_WRITE_RECORD, image->length - at);
    gsize to_boundary = 0x10000u - (address & 0xFFFFu);
    count = MIN(count, to_boundary);
    hex_append_record(out, HEX_TYPE_DATA, address & 0xFFFF, image->bytes + at, count);
    at += count;
  }
  hex_append_record(out, HEX_TYPE_EOF, 0, NULL, 0);
  return g_string_free(out, FALSE);
}

/* ---- raw binary and file handling ---- */

FirmwareImage *firmware_image_parse_binary(const guint8 *data, gsize length, const char *name,
                                           GError **error)
{
  if (length == 0) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT, "%s: empty image file", name);
    return NULL;
  }
  if (length > FIRMWARE_FLASH_SIZE) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT,
                "%s: image larger than 64 KiB (%zu bytes); the part's flash holds %u bytes",
                name, length, FIRMWARE_FLASH_SIZE);
    return NULL;
  }
  return firmware_image_new(FIRMWARE_FLASH_BASE, data, length);
}

FirmwareFileFormat firmware_image_guess_format(const char *file_name, const guint8 *data,
                                               gsize length)
{
  if (file_name != NULL) {
    g_autofree char *lower = g_ascii_strdown(file_name, -1);
    if (g_str_has_suffix(lower, ".hex") || g_str_has_suffix(lower, ".ihex") ||
        g_str_has_suffix(lower, ".ihx"))
      return FIRMWARE_FILE_HEX;
    if (g_str_has_suffix(lower, ".bin"))
      return FIRMWARE_FILE_BINARY;
  }
  gsize at = 0;
  while (at < length && g_ascii_isspace((char)data[at]))
    at++;
  if (at == length || data[at] != ':')
    return FIRMWARE_FILE_BINARY;
  for (gsize i = 0; i < length; i++)
    if (data[i] == 0 || data[i] >= 0x80)
      return FIRMWARE_FILE_BINARY;
  return FIRMWARE_FILE_HEX;
}

FirmwareImage *firmware_image_parse(const guint8 *data, gsize length, const char *name,
                                    FirmwareFileFormat format, GError **error)
{
  if (format == FIRMWARE_FILE_AUTO)
    format = firmware_image_guess_format(name, data, length);
  if (format == FIRMWARE_FILE_HEX)
    return firmware_image_parse_hex(data, length, name, error);
  return firmware_image_parse_binary(data, length, name, error);
}

FirmwareImage *firmware_image_load(const char *path, FirmwareFileFormat format, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) read_error = NULL;
  if (!g_file_get_contents(path, &contents, &length, &read_error)) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_IO, "cannot read the image file: %s",
                read_error->message);
    return NULL;
  }
  return firmware_image_parse((const guint8 *)contents, length, path, format, error);
}

char *firmware_image_sha256(const FirmwareImage *image)
{
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, image->bytes, image->length);
}
