/* Fuzz test of the readers that take outside input: thousands of random and mutated inputs,
 * from a fixed seed so a failure repeats, into the Intel HEX reader, the manifest parser and
 * signature check, and the header check. Every input must give either a valid result or a
 * clear error in the firmware domain, never a crash (run it under ASan/UBSan too); a mutated
 * manifest that still verifies must say exactly what the signed one says. */
#include "tests/cunit_main.h"
#include "firmware/firmware_error.h"
#include "firmware/image.h"
#include "firmware/image_header.h"
#include "firmware/manifest.h"
#include "firmware/test_image.h"
#include <glib/gstdio.h>
#include <string.h>

#define FUZZ_SEED 0x4A4B4657u
#define FUZZ_ROUNDS 4000

static const char *const MODELS[] = {"B2A24S15P", "B2A8S20P", NULL};
static const char HEX_ALPHABET[] = ":0123456789ABCDEFabcdef\r\n \t";

/* Changes input in one of a few ways: flip bits, overwrite with hex-like or random bytes,
 * insert, delete a span, cut short, duplicate a span. */
static void mutate(GRand *rng, GByteArray *input)
{
  int kind = g_rand_int_range(rng, 0, 7);
  guint length = input->len;
  guint at = length ? (guint)g_rand_int_range(rng, 0, (gint32)length) : 0;
  guint span = (guint)g_rand_int_range(rng, 1, 64);
  guint8 byte = (guint8)g_rand_int(rng);
  switch (kind) {
  case 0:
    if (length)
      input->data[at] ^= (guint8)(1u << g_rand_int_range(rng, 0, 8));
    break;
  case 1:
    if (length)
      input->data[at] = (guint8)HEX_ALPHABET[g_rand_int_range(rng, 0, sizeof HEX_ALPHABET - 1)];
    break;
  case 2:
    if (length)
      input->data[at] = byte;
    break;
  case 3:
    g_byte_array_set_size(input, length + 1);
    memmove(input->data + at + 1, input->data + at, length - at);
    input->data[at] = byte;
    break;
  case 4:
    if (length)
      g_byte_array_remove_range(input, at, MIN(span, length - at));
    break;
  case 5:
    g_byte_array_set_size(input, at);
    break;
  default:
    if (length) {
      guint n = MIN(span, length - at);
      g_autofree guint8 *copy = g_memdup2(input->data + at, n);
      g_byte_array_append(input, copy, n);
    }
    break;
  }
}

/* Appends one record with a correct checksum. */
static void append_record(GString *out, guint count, guint offset, guint type,
                          const guint8 *data)
{
  guint8 sum = (guint8)(count + (offset >> 8) + offset + type);
  g_string_append_printf(out, ":%02X%04X%02X", count & 0xFF, offset & 0xFFFF, type & 0xFF);
  for (guint i = 0; i < count; i++) {
    g_string_append_printf(out, "%02X", data[i]);
    sum = (guint8)(sum + data[i]);
  }
  g_string_append_printf(out, "%02X\n", (guint8)(0x100 - sum));
}

/* A HEX file of well-formed records (checksums right) with random structure: address records
 * to random bases, data records at random offsets and lengths, starts, unknown types, an end
 * record or none; it reaches the reader's checks past the checksum. */
static void structured_hex(GRand *rng, GByteArray *input)
{
  g_autoptr(GString) out = g_string_new(NULL);
  guint8 data[255];
  int records = g_rand_int_range(rng, 1, 60);
  guint offset = g_rand_boolean(rng) ? 0 : (guint)g_rand_int_range(rng, 0xF000, 0x10000);
  append_record(out, 2, 0, 4, (const guint8 *)"\x08\x00");
  for (int r = 0; r < records; r++) {
    for (guint i = 0; i < sizeof data; i++)
      data[i] = (guint8)g_rand_int(rng);
    int choice = g_rand_int_range(rng, 0, 40);
    if (choice == 0) {
      guint8 upper[2] = {0x08, 0x00};
      if (g_rand_int_range(rng, 0, 4) == 0)
        upper[1] = (guint8)g_rand_int_range(rng, 0, 3);
      if (g_rand_int_range(rng, 0, 8) == 0)
        upper[0] = (guint8)g_rand_int(rng);
      append_record(out, 2, 0, g_rand_int_range(rng, 0, 4) ? 4 : 2, upper);
    } else if (choice == 1) {
      append_record(out, (guint)g_rand_int_range(rng, 0, 6), 0,
                    (guint)g_rand_int_range(rng, 0, 8), data);
    } else {
      guint count = (guint)g_rand_int_range(rng, 1, 33);
      int jump = g_rand_int_range(rng, 0, 40);
      if (jump == 0)
        offset += (guint)g_rand_int_range(rng, 1, 64);             /* a gap */
      else if (jump == 1)
        offset -= MIN(offset, (guint)g_rand_int_range(rng, 1, 64)); /* an overlap */
      append_record(out, count, offset, 0, data);
      offset += count;
    }
  }
  if (g_rand_int_range(rng, 0, 5) != 0)
    append_record(out, 0, 0, 1, data);
  g_byte_array_append(input, (const guint8 *)out->str, (guint)out->len);
}

/* The kind of a reader error: its words after "line N: " up to the first number or quote
 * (freeing). */
static char *error_kind(const char *message)
{
  const char *at = strstr(message, ": ");
  at = at ? at + 2 : message;
  gsize length = strcspn(at, "0123456789'(");
  return g_strndup(at, length);
}

/* A valid image from the HEX reader lies inside the flash. */
static void check_hex_result(FirmwareImage *image, GError *error)
{
  if (image) {
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_TRUE(image->length >= 1 && image->length <= FIRMWARE_FLASH_SIZE);
    CU_ASSERT_TRUE(image->base_address >= FIRMWARE_FLASH_BASE);
    CU_ASSERT_TRUE((guint64)image->base_address + image->length <=
                   (guint64)FIRMWARE_FLASH_BASE + FIRMWARE_FLASH_SIZE);
    GError *header_error = NULL;
    if (!firmware_header_check(image, NULL, &header_error)) {
      CU_ASSERT_TRUE(g_error_matches(header_error, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER));
      g_error_free(header_error);
    }
  } else {
    CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT));
    CU_ASSERT_TRUE(error && strlen(error->message) > 10);
  }
}

static void test_fuzz_hex(void)
{
  GRand *rng = g_rand_new_with_seed(FUZZ_SEED);
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImage) image = firmware_build_test_image("11.26", MODELS, 2048, 20251120, 3,
                                                             &error);
  g_autofree char *good = firmware_image_to_hex(image);
  guint accepted = 0;
  g_autoptr(GHashTable) kinds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (int round = 0; round < FUZZ_ROUNDS; round++) {
    g_autoptr(GByteArray) input = g_byte_array_new();
    if (round % 4 == 1) {
      structured_hex(rng, input);
    } else if (round % 4 == 0) {
      /* random bytes, mostly hex-like */
      guint length = (guint)g_rand_int_range(rng, 0, 600);
      gboolean hexlike = g_rand_boolean(rng);
      for (guint i = 0; i < length; i++) {
        guint8 b = hexlike ? (guint8)HEX_ALPHABET[g_rand_int_range(rng, 0,
                                                                   sizeof HEX_ALPHABET - 1)]
                           : (guint8)g_rand_int(rng);
        g_byte_array_append(input, &b, 1);
      }
    } else {
      g_byte_array_append(input, (const guint8 *)good, (guint)strlen(good));
      int mutations = g_rand_int_range(rng, 1, 6);
      for (int m = 0; m < mutations; m++)
        mutate(rng, input);
    }
    GError *parse_error = NULL;
    FirmwareImage *parsed = firmware_image_parse_hex(input->data, input->len, "fuzz.hex",
                                                     &parse_error);
    check_hex_result(parsed, parse_error);
    accepted += parsed != NULL;
    if (parse_error)
      g_hash_table_add(kinds, error_kind(parse_error->message));
    firmware_image_free(parsed);
    g_clear_error(&parse_error);
    /* the same bytes as a raw binary */
    FirmwareImage *binary = firmware_image_parse(input->data, input->len, "fuzz.bin",
                                                 FIRMWARE_FILE_BINARY, &parse_error);
    if (binary) {
      GError *header_error = NULL;
      firmware_header_check(binary, NULL, &header_error);
      g_clear_error(&header_error);
    }
    firmware_image_free(binary);
    g_clear_error(&parse_error);
  }
  /* some mutations leave a valid file (a flipped bit in a hex digit's case, say): the test
   * exercises both outcomes */
  printf("(%u of %d accepted, %u kinds of error) ", accepted, FUZZ_ROUNDS,
         g_hash_table_size(kinds));
  if (g_getenv("FUZZ_VERBOSE")) {
    GHashTableIter iter;
    gpointer kind;
    g_hash_table_iter_init(&iter, kinds);
    while (g_hash_table_iter_next(&iter, &kind, NULL))
      printf("\n      %s", (const char *)kind);
  }
  /* the inputs reach every check of the reader, not just the first ones */
  CU_ASSERT_TRUE(g_hash_table_size(kinds) >= 15);
  g_rand_free(rng);
}

static void test_fuzz_manifest(void)
{
  GRand *rng = g_rand_new_with_seed(FUZZ_SEED + 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_dir_make_tmp("firmware-fuzz-XXXXXX", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(folder);
  g_autofree char *base = g_build_filename(folder, "k", NULL);
  CU_ASSERT_TRUE_FATAL(firmware_keygen(base, NULL, &error));
  g_autofree char *key_path = g_strconcat(base, ".key", NULL);
  g_autofree char *pub_path = g_strconcat(base, ".pub", NULL);
  g_autoptr(FirmwareSigningKey) key = firmware_signing_key_load(key_path, &error);
  g_autoptr(FirmwarePublicKey) pub = firmware_public_key_load(pub_path, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(key);
  CU_ASSERT_PTR_NOT_NULL_FATAL(pub);
  FirmwareTrustedKeys trusted = {g_ptr_array_new(), folder};
  g_ptr_array_add(trusted.keys, pub);

  g_autoptr(FirmwareImage) image = firmware_build_test_image("11.26", MODELS, 2048, 20251120, 3,
                                                             &error);
  FirmwareHeader header;
  CU_ASSERT_TRUE_FATAL(firmware_header_check(image, &header, &error));
  g_autoptr(FirmwareManifest) original = firmware_manifest_new(
      image, &header, "11.26", MODELS, "notes; with = signs\nand lines", "fw.bin", &error);
  CU_ASSERT_TRUE_FATAL(firmware_manifest_sign(original, key, &error));
  g_autofree char *text = firmware_manifest_to_text(original);
  g_autoptr(GBytes) original_message = firmware_manifest_signed_message(original);

  guint parsed_count = 0, verified = 0;
  for (int round = 0; round < FUZZ_ROUNDS; round++) {
    g_autoptr(GByteArray) input = g_byte_array_new();
    if (round % 5 == 0) {
      guint length = (guint)g_rand_int_range(rng, 0, 400);
      for (guint i = 0; i < length; i++) {
        guint8 b = (guint8)g_rand_int(rng);
        g_byte_array_append(input, &b, 1);
      }
    } else {
      g_byte_array_append(input, (const guint8 *)text, (guint)strlen(text));
      int mutations = g_rand_int_range(rng, 1, 4);
      for (int m = 0; m < mutations; m++)
        mutate(rng, input);
    }
    GError *parse_error = NULL;
    FirmwareManifest *manifest = firmware_manifest_parse((const char *)input->data, input->len,
                                                         "fuzz.manifest", &parse_error);
    if (manifest == NULL) {
      CU_ASSERT_TRUE(g_error_matches(parse_error, FIRMWARE_ERROR, FIRMWARE_ERROR_MANIFEST));
      g_clear_error(&parse_error);
      continue;
    }
    parsed_count++;
    const FirmwarePublicKey *signer = firmware_manifest_verify(manifest, &trusted, &parse_error);
    if (signer) {
      verified++;
      g_autoptr(GBytes) message = firmware_manifest_signed_message(manifest);
      CU_ASSERT_TRUE(g_bytes_equal(message, original_message));
    } else {
      CU_ASSERT_TRUE(g_error_matches(parse_error, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE));
    }
    g_clear_error(&parse_error);
    if (!firmware_manifest_check_image(manifest, image, NULL, NULL, &parse_error))
      CU_ASSERT_TRUE(parse_error && parse_error->domain == FIRMWARE_ERROR);
    g_clear_error(&parse_error);
    firmware_manifest_free(manifest);
  }
  printf("(%u parsed, %u verified) ", parsed_count, verified);
  g_ptr_array_unref(trusted.keys);
  g_remove(key_path);
  g_remove(pub_path);
  g_rmdir(folder);
  g_rand_free(rng);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("firmware_fuzz", NULL, NULL);
  CU_add_test(suite, "HEX reader and header check", test_fuzz_hex);
  CU_add_test(suite, "manifest parser and signature", test_fuzz_manifest);
  return cunit_run_all();
}
