/* Image files and the JK header check: the Intel HEX reader on a good file and on a corpus of
 * malformed files (tests/data/firmware/bad/, one file per error, each giving its exact
 * message), raw binaries, the choice of reader, the HEX writer, and the header check failing
 * each of its checks in its own words. */
#include "tests/cunit_main.h"
#include "firmware/firmware_error.h"
#include "firmware/image.h"
#include "firmware/image_header.h"
#include "firmware/test_image.h"
#include <string.h>

/* Asserts that actual (may be NULL) is exactly expected, printing both when not. */
static void assert_text(const char *actual, const char *expected)
{
  gboolean same = actual != NULL && strcmp(actual, expected) == 0;
  if (!same)
    printf("\n    got      '%s'\n    expected '%s'\n", actual ? actual : "(null)", expected);
  CU_ASSERT_TRUE(same);
}
#define ASSERT_TEXT(actual, expected) assert_text((actual), (expected))

static const char *const MODELS[] = {"B2A24S15P", "B2A8S20P", NULL};

/* Reads a file of tests/data/firmware (relative name) as HEX, named by its base name. */
static FirmwareImage *parse_data_file(const char *relative, GError **error)
{
  g_autofree char *path = g_build_filename(FIRMWARE_TEST_DATA, relative, NULL);
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr(GError) read_error = NULL;
  if (!g_file_get_contents(path, &text, &length, &read_error)) {
    printf("\n    cannot read %s: %s", path, read_error->message);
    CU_FAIL_FATAL("test data missing");
  }
  g_autofree char *name = g_path_get_basename(path);
  return firmware_image_parse_hex((const guint8 *)text, length, name, error);
}

/* The 64 bytes the good files hold. */
static void expected_good_bytes(guint8 bytes[64])
{
  for (int i = 0; i < 64; i++)
    bytes[i] = (guint8)(i * 7 + 3);
}

/* A good file with CRLF line ends, address records 02 and 04 and a start address 05 gives the
 * 64 bytes at 0x08000000; so does one whose records come out of order. */
static void test_hex_good(void)
{
  static const char *const files[] = {"good.hex", "good_unordered.hex"};
  guint8 expected[64];
  expected_good_bytes(expected);
  for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(FirmwareImage) image = parse_data_file(files[i], &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(image);
    CU_ASSERT_EQUAL(image->base_address, 0x08000000u);
    CU_ASSERT_EQUAL(image->length, 64);
    CU_ASSERT_EQUAL(memcmp(image->bytes, expected, 64), 0);
  }
}

/* Every file of the bad corpus is refused with its exact message. */
static void test_hex_bad_corpus(void)
{
  static const struct {
    const char *file;
    const char *message;
  } cases[] = {
    {"bad_checksum.hex", "bad_checksum.hex line 3: bad record checksum 0x69, expected 0x68"},
    {"gap.hex", "gap.hex line 4: non-contiguous data: a gap with no bytes at "
                "0x08000020..0x0800002F (between the data of lines 3 and 4); the image must be "
                "one contiguous run"},
    {"outside_flash.hex", "outside_flash.hex line 2: data at 0x08010000 is outside the part's "
                          "flash 0x08000000..0x0800FFFF"},
    {"below_flash.hex", "below_flash.hex line 2: data at 0x00000000 is outside the part's "
                        "flash 0x08000000..0x0800FFFF"},
    {"too_large.hex", "too_large.hex line 2: image larger than 64 KiB: data runs to "
                      "0x08010007, past the end of flash at 0x0800FFFF"},
    {"no_colon.hex", "no_colon.hex line 2: malformed record: a record starts with ':'"},
    {"odd_digits.hex", "odd_digits.hex line 2: malformed record: an odd number of hex digits "
                       "(43)"},
    {"not_hex.hex", "not_hex.hex line 2: malformed record: character 10 (0x47) is not a hex "
                    "digit"},
    {"count_mismatch.hex", "count_mismatch.hex line 2: malformed record: the count says 17 "
                           "data bytes, the line holds 16"},
    {"short_record.hex", "short_record.hex line 2: malformed record: 2 bytes, a record has at "
                         "least 5 (count, address, type, checksum)"},
    {"type_03.hex", "type_03.hex line 2: malformed record: record type 03 is not one this "
                    "reader knows (00, 01, 02, 04, 05); type 03 is an x86 start address"},
    {"bad_address_record.hex", "bad_address_record.hex line 1: malformed record: address "
                               "record type 04 with 1 data bytes, expected 2"},
    {"missing_eof.hex", "missing_eof.hex line 5: missing end-of-file record (:00000001FF); the "
                        "file may be cut short"},
    {"data_after_eof.hex", "data_after_eof.hex line 4: malformed record: data after the "
                           "end-of-file record"},
    {"overlap.hex", "overlap.hex line 4: data at 0x08000008 was already given on line 2"},
    {"no_data.hex", "no_data.hex: no data records"},
  };
  /* the corpus and the table list the same files */
  g_autofree char *folder = g_build_filename(FIRMWARE_TEST_DATA, "bad", NULL);
  g_autoptr(GDir) dir = g_dir_open(folder, 0, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
  guint files = 0;
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL)
    files += g_str_has_suffix(name, ".hex");
  CU_ASSERT_EQUAL(files, G_N_ELEMENTS(cases));

  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *relative = g_build_filename("bad", cases[i].file, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(FirmwareImage) image = parse_data_file(relative, &error);
    CU_ASSERT_PTR_NULL(image);
    CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT));
    ASSERT_TEXT(error ? error->message : NULL, cases[i].message);
  }
}

/* A raw binary loads at the flash base; an empty one or one larger than the flash does not. */
static void test_binary(void)
{
  guint8 *data = g_malloc0(JK_IMAGE_FLASH_SIZE + 1);
  for (gsize i = 0; i <= JK_IMAGE_FLASH_SIZE; i++)
    data[i] = (guint8)(i * 13);
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImage) full = firmware_image_parse_binary(data, JK_IMAGE_FLASH_SIZE, "a.bin",
                                                              &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(full);
  CU_ASSERT_EQUAL(full->base_address, 0x08000000u);
  CU_ASSERT_EQUAL(full->length, JK_IMAGE_FLASH_SIZE);
  CU_ASSERT_EQUAL(memcmp(full->bytes, data, JK_IMAGE_FLASH_SIZE), 0);

  g_autoptr(FirmwareImage) large = firmware_image_parse_binary(data, JK_IMAGE_FLASH_SIZE + 1,
                                                               "big.bin", &error);
  CU_ASSERT_PTR_NULL(large);
  ASSERT_TEXT(error ? error->message : NULL, "big.bin: image larger than 64 KiB (65537 bytes); "
              "the part's flash holds 65536 bytes");
  g_clear_error(&error);
  g_autoptr(FirmwareImage) empty = firmware_image_parse_binary(data, 0, "empty.bin", &error);
  CU_ASSERT_PTR_NULL(empty);
  ASSERT_TEXT(error ? error->message : NULL, "empty.bin: empty image file");
  g_free(data);
}

/* The reader is chosen by extension, else by content. */
static void test_format_choice(void)
{
  const guint8 hex[] = ":00000001FF\n";
  const guint8 binary[] = {0x00, 0x50, 0x00, 0x20};
  const guint8 colon_binary[] = {':', 0x80, 0x00};
  CU_ASSERT_EQUAL(firmware_image_guess_format("x.HEX", binary, 4), FIRMWARE_FILE_HEX);
  CU_ASSERT_EQUAL(firmware_image_guess_format("x.ihex", binary, 4), FIRMWARE_FILE_HEX);
  CU_ASSERT_EQUAL(firmware_image_guess_format("x.bin", hex, sizeof hex - 1),
                  FIRMWARE_FILE_BINARY);
  CU_ASSERT_EQUAL(firmware_image_guess_format("firmware", hex, sizeof hex - 1),
                  FIRMWARE_FILE_HEX);
  CU_ASSERT_EQUAL(firmware_image_guess_format("firmware", binary, 4), FIRMWARE_FILE_BINARY);
  CU_ASSERT_EQUAL(firmware_image_guess_format(NULL, colon_binary, 3), FIRMWARE_FILE_BINARY);
}

/* An image written as HEX reads back identical, also one that ends at the end of flash. */
static void test_hex_round_trip(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImage) image = firmware_build_test_image("11.26", MODELS, 5000, 20251120,
                                                             7, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(image);
  g_autofree char *text = firmware_image_to_hex(image);
  g_autoptr(FirmwareImage) back = firmware_image_parse_hex((const guint8 *)text, strlen(text),
                                                           "round.hex", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(back);
  CU_ASSERT_EQUAL(back->base_address, image->base_address);
  CU_ASSERT_EQUAL(back->length, image->length);
  CU_ASSERT_EQUAL(memcmp(back->bytes, image->bytes, image->length), 0);

  guint8 bytes[40];
  memset(bytes, 0x5A, sizeof bytes);
  g_autoptr(FirmwareImage) moved = firmware_image_new(0x0800FFD8u, bytes, sizeof bytes);
  g_autofree char *moved_text = firmware_image_to_hex(moved);
  g_autoptr(FirmwareImage) moved_back = firmware_image_parse_hex(
      (const guint8 *)moved_text, strlen(moved_text), "moved.hex", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(moved_back);
  CU_ASSERT_EQUAL(moved_back->base_address, 0x0800FFD8u);
  CU_ASSERT_EQUAL(moved_back->length, sizeof bytes);
}

/* A built test image passes the header check and reports its fields; the same arguments give
 * the same bytes. */
static void test_header_good(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImage) image = firmware_build_test_image("11.26", MODELS, 20000, 20251120,
                                                             42, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(image);
  FirmwareHeader header;
  CU_ASSERT_TRUE_FATAL(firmware_header_check(image, &header, &error));
  ASSERT_TEXT(header.version, "11.26");
  CU_ASSERT_EQUAL(header.model_count, 2);
  ASSERT_TEXT(header.models[0], "B2A24S15P");
  ASSERT_TEXT(header.models[1], "B2A8S20P");
  CU_ASSERT_EQUAL(header.length, 20000);
  CU_ASSERT_EQUAL(header.build_date, 20251120);
  CU_ASSERT_TRUE(firmware_header_has_model(&header, "B2A8S20P"));
  CU_ASSERT_FALSE(firmware_header_has_model(&header, "B2A20S20P"));
  g_autoptr(FirmwareImage) again = firmware_build_test_image("11.26", MODELS, 20000, 20251120,
                                                             42, &error);
  CU_ASSERT_EQUAL(memcmp(again->bytes, image->bytes, image->length), 0);
  /* CRC-32 as zlib computes it: the check value of "123456789" */
  CU_ASSERT_EQUAL(firmware_crc32(0, (const guint8 *)"123456789", 9), 0xCBF43926u);
}

static void put_le16(guint8 *p, guint value)
{
  p[0] = (guint8)value;
  p[1] = (guint8)(value >> 8);
}

static void put_le32(guint8 *p, guint32 value)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8)(value >> (8 * i));
}

/* Each header check fails in its own words. */
static void test_header_checks(void)
{
  enum { SIZE = 4096 };
  guint8 *h;
  struct {
    const char *message;
  } expected[] = {
    {"missing header magic at 0x08000200: found 0x57464B4B, expected 0x57464B4A (\"JKFW\"); "
     "is this a JK board image?"},
    {"header version 2 at 0x08000204; this station knows version 1"},
    {"model count 0 at 0x08000206, the header lists 1..8 models"},
    {"model count 9 at 0x08000206, the header lists 1..8 models"},
    {"model entry 2 at 0x08000230 is not a model name (1..16 printable characters, NUL "
     "padded)"},
    {"model entry 3 at 0x08000240 is past the model count 2 but not zero"},
    {"the version field at 0x08000210 is not a version name (1..16 printable characters, NUL "
     "padded)"},
    {"length mismatch: header says 4095 bytes, image has 4096"},
    {"CRC mismatch: header says 0x12345678, image has 0x"},
    {"build date 20251399 at 0x080002A0 is not a date YYYYMMDD"},
    {"reserved header byte at 0x080002F0 is 0x01, must be zero"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(FirmwareImage) image = firmware_build_test_image("11.26", MODELS, SIZE, 20251120,
                                                               1, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(image);
    h = image->bytes + JK_IMAGE_HEADER_OFFSET;
    gboolean reseal = TRUE;
    switch (i) {
    case 0: h[0] = 'K'; break;
    case 1: put_le16(h + JK_IMAGE_OFF_HDR_VERSION, 2); break;
    case 2: put_le16(h + JK_IMAGE_OFF_MODEL_COUNT, 0); break;
    case 3: put_le16(h + JK_IMAGE_OFF_MODEL_COUNT, 9); break;
    case 4: h[JK_IMAGE_OFF_MODELS + 16 + 2] = ' '; break;
    case 5: h[JK_IMAGE_OFF_MODELS + 32] = 'X'; break;
    case 6: memset(h + JK_IMAGE_OFF_VERSION, 0, 16); break;
    case 7: put_le32(h + JK_IMAGE_OFF_LENGTH, SIZE - 1); break;
    case 8: put_le32(h + JK_IMAGE_OFF_CRC, 0x12345678); reseal = FALSE; break;
    case 9: put_le32(h + JK_IMAGE_OFF_BUILD_DATE, 20251399); break;
    case 10: h[0xF0] = 1; break;
    }
    if (reseal)
      firmware_test_image_reseal(image);
    CU_ASSERT_FALSE(firmware_header_check(image, NULL, &error));
    CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER));
    const char *message = error ? error->message : "";
    if (!g_str_has_prefix(message, expected[i].message))
      printf("\n    case %u: got '%s'\n    expected '%s...'", i, message, expected[i].message);
    CU_ASSERT_TRUE(g_str_has_prefix(message, expected[i].message));
  }
}

/* A changed byte anywhere in the image (outside the CRC field) breaks the CRC; a short image,
 * and one that does not start at the flash base, are refused before the magic is read. */
static void test_header_crc_and_placement(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImage) image = firmware_build_test_image("11.26", MODELS, 3000, 20251120, 1,
                                                             &error);
  image->bytes[2999] ^= 0x01;
  CU_ASSERT_FALSE(firmware_header_check(image, NULL, &error));
  CU_ASSERT_TRUE(error && g_str_has_prefix(error->message, "CRC mismatch: header says 0x"));
  g_clear_error(&error);
  image->bytes[2999] ^= 0x01;
  CU_ASSERT_TRUE(firmware_header_check(image, NULL, &error));

  g_autoptr(FirmwareImage) short_image = firmware_image_new(0x08000000u, image->bytes, 0x2FF);
  CU_ASSERT_FALSE(firmware_header_check(short_image, NULL, &error));
  ASSERT_TEXT(error ? error->message : NULL, "the image is 767 bytes, too short to hold the "
              "header at 0x08000200 (at least 768 bytes)");
  g_clear_error(&error);
  g_autoptr(FirmwareImage) moved = firmware_image_new(0x08000400u, image->bytes, image->length);
  CU_ASSERT_FALSE(firmware_header_check(moved, NULL, &error));
  ASSERT_TEXT(error ? error->message : NULL, "the image starts at 0x08000400; a JK image starts "
              "at the flash base 0x08000000");
}

/* The builder refuses what cannot go into a header. */
static void test_builder_arguments(void)
{
  static const char *const nine[] = {"A", "B", "C", "D", "E", "F", "G", "H", "I", NULL};
  static const char *const spaced[] = {"B2A 24S", NULL};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_PTR_NULL(firmware_build_test_image("11.26", nine, 4096, 20251120, 1, &error));
  ASSERT_TEXT(error ? error->message : NULL, "an image lists 1..8 models, not 9");
  g_clear_error(&error);
  CU_ASSERT_PTR_NULL(firmware_build_test_image("11.26", spaced, 4096, 20251120, 1, &error));
  ASSERT_TEXT(error ? error->message : NULL,
              "model 'B2A 24S' must be 1..16 printable characters without spaces");
  g_clear_error(&error);
  CU_ASSERT_PTR_NULL(firmware_build_test_image("11.26", MODELS, 70000, 20251120, 1, &error));
  ASSERT_TEXT(error ? error->message : NULL, "image size 70000 bytes is outside 770..65536");
  g_clear_error(&error);
  CU_ASSERT_PTR_NULL(firmware_build_test_image("11.26", MODELS, 4096, 20251340, 1, &error));
  CU_ASSERT_TRUE(error && strstr(error->message, "is not a date YYYYMMDD") != NULL);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("firmware_image", NULL, NULL);
  CU_add_test(suite, "HEX good files", test_hex_good);
  CU_add_test(suite, "HEX bad corpus", test_hex_bad_corpus);
  CU_add_test(suite, "raw binary", test_binary);
  CU_add_test(suite, "reader choice", test_format_choice);
  CU_add_test(suite, "HEX round trip", test_hex_round_trip);
  CU_add_test(suite, "header good", test_header_good);
  CU_add_test(suite, "header checks", test_header_checks);
  CU_add_test(suite, "header CRC and placement", test_header_crc_and_placement);
  CU_add_test(suite, "builder arguments", test_builder_arguments);
  return cunit_run_all();
}
