/* Tests of the board MCU's ROM bootloader, flash and image check, called directly (no
 * process, no pty): the AN3155 answers byte for byte, erase / write / read-back, NACKs for
 * bad addresses, checksums and complements, readout and write protection, the flash-bad
 * fault, the boot code's image check, and a fuzz run of random bytes into the decoder. */
#include "tests/cunit_main.h"
#include "fixtures/sim/sim_bootloader.h"
#include "fixtures/sim/sim_image.h"
#include <string.h>

#define ACK 0x79
#define NACK 0x1F
#define FUZZ_SEED 20250310u
#define FUZZ_INPUTS 5000

/* Everything the bootloader sent for a run of input bytes. */
typedef struct {
  GByteArray *bytes;            /* every answer byte, in order */
  double busy_s;                /* s, flash work summed */
  SimBootEvent last_event;      /* last event other than NONE */
  guint32 go_address;
} Answer;

static SimBootloader *loader;
static SimFlash *flash;
static SimBootReply reply;

/* An empty Answer. */
static void answer_init(Answer *answer)
{
  memset(answer, 0, sizeof *answer);
  answer->bytes = g_byte_array_new();
}

/* Frees an Answer's bytes. */
static void answer_clear(Answer *answer)
{
  g_byte_array_unref(answer->bytes);
}

/* Feeds `length` bytes; collects the answers into `answer` (emptied first). */
static void feed(const guint8 *bytes, gsize length, Answer *answer)
{
  g_byte_array_set_size(answer->bytes, 0);
  answer->busy_s = 0;
  answer->last_event = SIM_BOOT_EVENT_NONE;
  for (gsize i = 0; i < length; i++) {
    sim_bootloader_feed(loader, bytes[i], &reply);
    g_byte_array_append(answer->bytes, reply.first->data, reply.first->len);
    g_byte_array_append(answer->bytes, reply.then->data, reply.then->len);
    answer->busy_s += reply.busy_s;
    if (reply.event != SIM_BOOT_EVENT_NONE) {
      answer->last_event = reply.event;
      answer->go_address = reply.go_address;
    }
  }
}

/* TRUE when the answer is exactly these bytes. */
static gboolean answer_is(const Answer *answer, const guint8 *expected, gsize length)
{
  return answer->bytes->len == length && memcmp(answer->bytes->data, expected, length) == 0;
}

/* A fresh part (erased flash, no protection) with a synchronised bootloader. */
static void fresh_part(void)
{
  sim_bootloader_free(loader);
  sim_flash_free(flash);
  flash = sim_flash_new();
  loader = sim_bootloader_new();
  guint8 id[SIM_UNIQUE_ID_BYTES] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  sim_bootloader_set_flash(loader, flash, id);
  Answer answer;
  answer_init(&answer);
  const guint8 sync = 0x7F;
  feed(&sync, 1, &answer);
  CU_ASSERT_EQUAL(answer.bytes->len, 1);
  CU_ASSERT_EQUAL(answer.bytes->data[0], ACK);
  answer_clear(&answer);
}

static int setup(void)
{
  sim_boot_reply_init(&reply);
  return 0;
}

static int teardown(void)
{
  sim_bootloader_free(loader);
  sim_flash_free(flash);
  sim_boot_reply_clear(&reply);
  return 0;
}

/* Appends a command byte and its complement. */
static void put_command(GByteArray *out, guint8 command)
{
  guint8 bytes[2] = {command, (guint8)(command ^ 0xFF)};
  g_byte_array_append(out, bytes, 2);
}

/* Appends an address and its XOR checksum. */
static void put_address(GByteArray *out, guint32 address)
{
  guint8 bytes[5] = {(guint8)(address >> 24), (guint8)(address >> 16), (guint8)(address >> 8),
                     (guint8)address, 0};
  bytes[4] = bytes[0] ^ bytes[1] ^ bytes[2] ^ bytes[3];
  g_byte_array_append(out, bytes, 5);
}

/* Read Memory: returns TRUE with `length` bytes in `out` when every step was ACKed. */
static gboolean read_memory(guint32 address, guint length, guint8 *out)
{
  g_autoptr(GByteArray) request = g_byte_array_new();
  put_command(request, 0x11);
  put_address(request, address);
  put_command(request, (guint8)(length - 1));
  Answer answer;
  answer_init(&answer);
  feed(request->data, request->len, &answer);
  gboolean ok = answer.bytes->len == 3 + length && answer.bytes->data[0] == ACK &&
                answer.bytes->data[1] == ACK && answer.bytes->data[2] == ACK;
  if (ok)
    memcpy(out, answer.bytes->data + 3, length);
  answer_clear(&answer);
  return ok;
}

/* Write Memory of `length` bytes; returns the answer bytes (3 ACKs when all went well) in
 * `answer` and the flash work time. */
static void write_memory(guint32 address, const guint8 *data, guint length, Answer *answer)
{
  g_autoptr(GByteArray) request = g_byte_array_new();
  put_command(request, 0x31);
  put_address(request, address);
  guint8 count = (guint8)(length - 1);
  guint8 checksum = count;
  g_byte_array_append(request, &count, 1);
  g_byte_array_append(request, data, length);
  for (guint i = 0; i < length; i++)
    checksum ^= data[i];
  g_byte_array_append(request, &checksum, 1);
  feed(request->data, request->len, answer);
}

/* Erase of a list of pages. */
static void erase_pages(const guint8 *pages, guint count, Answer *answer)
{
  g_autoptr(GByteArray) request = g_byte_array_new();
  put_command(request, 0x43);
  guint8 n = (guint8)(count - 1);
  guint8 checksum = n;
  g_byte_array_append(request, &n, 1);
  g_byte_array_append(request, pages, count);
  for (guint i = 0; i < count; i++)
    checksum ^= pages[i];
  g_byte_array_append(request, &checksum, 1);
  feed(request->data, request->len, answer);
}

static const guint8 three_acks[] = {ACK, ACK, ACK};

static void test_crc32_reference(void)
{
  /* The standard check value of CRC-32/ISO-HDLC (zlib's crc32). */
  CU_ASSERT_EQUAL(sim_image_crc32(0, (const guint8 *)"123456789", 9), 0xCBF43926u);
  /* Continuing over two pieces gives the CRC of the whole. */
  guint32 part = sim_image_crc32(0, (const guint8 *)"1234", 4);
  CU_ASSERT_EQUAL(sim_image_crc32(part, (const guint8 *)"56789", 5), 0xCBF43926u);
  CU_ASSERT_EQUAL(sim_image_crc32(0, NULL, 0), 0);
}

static void test_sync_get_getid(void)
{
  sim_bootloader_free(loader);
  sim_flash_free(flash);
  flash = sim_flash_new();
  loader = sim_bootloader_new();
  sim_bootloader_set_flash(loader, flash, NULL);
  Answer answer;
  answer_init(&answer);

  /* Before 0x7F nothing is answered; 0x7F gets ACK. */
  const guint8 noise[] = {0x00, 0xFF, 0x11, 0xEE};
  feed(noise, sizeof noise, &answer);
  CU_ASSERT_EQUAL(answer.bytes->len, 0);
  CU_ASSERT_FALSE(sim_bootloader_synced(loader));
  const guint8 sync[] = {0x7F};
  feed(sync, 1, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK}, 1));
  CU_ASSERT_TRUE(sim_bootloader_synced(loader));

  /* Get: ACK, N = 11, version 2.2, the 11 commands (Erase 0x43, no 0x44), ACK. */
  const guint8 get[] = {0x00, 0xFF};
  const guint8 get_answer[] = {ACK, 0x0B, 0x22, 0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43,
                               0x63, 0x73, 0x82, 0x92, ACK};
  feed(get, sizeof get, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, get_answer, sizeof get_answer));
  /* Get Version: ACK, version, two option bytes 0, ACK. */
  const guint8 gv[] = {0x01, 0xFE};
  const guint8 gv_answer[] = {ACK, 0x22, 0x00, 0x00, ACK};
  feed(gv, sizeof gv, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, gv_answer, sizeof gv_answer));
  /* Get ID: ACK, N = 1, PID 0x0410, ACK. */
  const guint8 gid[] = {0x02, 0xFD};
  const guint8 gid_answer[] = {ACK, 0x01, 0x04, 0x10, ACK};
  feed(gid, sizeof gid, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, gid_answer, sizeof gid_answer));

  /* A wrong complement, Extended Erase and an unknown command get NACK. */
  const guint8 bad_complement[] = {0x02, 0xFC};
  feed(bad_complement, sizeof bad_complement, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){NACK}, 1));
  const guint8 extended_erase[] = {0x44, 0xBB};
  feed(extended_erase, sizeof extended_erase, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){NACK}, 1));
  const guint8 unknown[] = {0xA1, 0x5E};
  feed(unknown, sizeof unknown, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){NACK}, 1));
  /* A second 0x7F is a command byte; the next 0x7F is not its complement: NACK (the way
   * stm32flash finds a bootloader that is already synchronised). */
  const guint8 two_syncs[] = {0x7F, 0x7F};
  feed(two_syncs, 1, &answer);
  CU_ASSERT_EQUAL(answer.bytes->len, 0);
  feed(two_syncs + 1, 1, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){NACK}, 1));
  /* And it still works afterwards. */
  feed(gid, sizeof gid, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, gid_answer, sizeof gid_answer));
  answer_clear(&answer);
}

static void test_erase_write_read(void)
{
  fresh_part();
  Answer answer;
  answer_init(&answer);
  guint8 block[256];
  for (guint i = 0; i < sizeof block; i++)
    block[i] = (guint8)(i * 7 + 3);

  write_memory(0x08000000, block, sizeof block, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, three_acks, 3));
  /* 128 half-words at 52.5 us each (DS5319 tPROG typical). */
  CU_ASSERT_DOUBLE_EQUAL(answer.busy_s, 128 * 52.5e-6, 1e-9);
  guint8 back[256];
  CU_ASSERT_TRUE_FATAL(read_memory(0x08000000, sizeof back, back));
  CU_ASSERT_EQUAL(memcmp(back, block, sizeof block), 0);

  /* Programming over programmed cells does not change them (no erase in between). */
  guint8 other[256];
  memset(other, 0x5A, sizeof other);
  write_memory(0x08000000, other, sizeof other, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, three_acks, 3));
  CU_ASSERT_TRUE(read_memory(0x08000000, sizeof back, back));
  CU_ASSERT_EQUAL(memcmp(back, block, sizeof block), 0);

  /* Erase page 0 (20 ms), then the new data programs. */
  const guint8 page0[] = {0};
  erase_pages(page0, 1, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, ACK}, 2));
  CU_ASSERT_DOUBLE_EQUAL(answer.busy_s, 0.020, 1e-9);
  CU_ASSERT_TRUE(read_memory(0x08000000, 16, back));
  for (guint i = 0; i < 16; i++)
    CU_ASSERT_EQUAL(back[i], 0xFF);
  write_memory(0x08000000, other, sizeof other, &answer);
  CU_ASSERT_TRUE(read_memory(0x08000000, sizeof back, back));
  CU_ASSERT_EQUAL(memcmp(back, other, sizeof other), 0);

  /* The last bytes of flash, then a page list, then a mass erase. */
  write_memory(0x0800FF00, block, sizeof block, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, three_acks, 3));
  CU_ASSERT_TRUE(read_memory(0x0800FF00, sizeof back, back));
  CU_ASSERT_EQUAL(memcmp(back, block, sizeof block), 0);
  const guint8 pages[] = {63, 5, 6};
  erase_pages(pages, 3, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, ACK}, 2));
  CU_ASSERT_DOUBLE_EQUAL(answer.busy_s, 3 * 0.020, 1e-9);
  CU_ASSERT_EQUAL(sim_flash_data(flash)[0xFF00], 0xFF);
  CU_ASSERT_EQUAL(sim_flash_data(flash)[0], 0x5A);
  const guint8 mass[] = {0x43, 0xBC, 0xFF, 0x00};
  feed(mass, sizeof mass, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, ACK}, 2));
  CU_ASSERT_DOUBLE_EQUAL(answer.busy_s, 0.020, 1e-9);
  for (guint i = 0; i < SIM_FLASH_SIZE; i++)
    if (sim_flash_data(flash)[i] != 0xFF) {
      CU_FAIL("flash not erased after a mass erase");
      break;
    }

  /* SRAM above the bootloader's own area can be written and read. */
  write_memory(0x20000200, block, 64, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, three_acks, 3));
  CU_ASSERT_EQUAL(answer.busy_s, 0);
  CU_ASSERT_TRUE(read_memory(0x20000200, 64, back));
  CU_ASSERT_EQUAL(memcmp(back, block, 64), 0);

  /* System memory: flash size register (64 KiB) and the unique ID set for this part. */
  CU_ASSERT_TRUE(read_memory(0x1FFFF7E0, 2, back));
  CU_ASSERT_EQUAL(back[0], 64);
  CU_ASSERT_EQUAL(back[1], 0);
  CU_ASSERT_TRUE(read_memory(0x1FFFF7E8, 12, back));
  CU_ASSERT_EQUAL(back[0], 1);
  CU_ASSERT_EQUAL(back[11], 12);
  /* Option bytes of a new part: RDP 0xA5 (off), no write protection. */
  CU_ASSERT_TRUE(read_memory(0x1FFFF800, 16, back));
  const guint8 options[] = {0xA5, 0x5A, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00,
                            0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00};
  CU_ASSERT_EQUAL(memcmp(back, options, 16), 0);
  answer_clear(&answer);
}

static void test_bad_addresses_and_checksums(void)
{
  fresh_part();
  Answer answer;
  answer_init(&answer);
  guint8 block[256];
  memset(block, 0x12, sizeof block);
  const guint8 ack_nack[] = {ACK, NACK};
  const guint8 ack_ack_nack[] = {ACK, ACK, NACK};

  g_autoptr(GByteArray) request = g_byte_array_new();
  /* Beyond the 64 KiB of flash: NACK at the address. */
  put_command(request, 0x31);
  put_address(request, 0x08010000);
  feed(request->data, request->len, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, ack_nack, 2));
  /* A block that starts in flash but runs past its end: NACK after the data. */
  write_memory(0x0800FF80, block, sizeof block, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, ack_ack_nack, 3));
  CU_ASSERT_EQUAL(sim_flash_data(flash)[0xFF80], 0xFF);
  /* Bad data checksum: NACK, nothing written. */
  g_byte_array_set_size(request, 0);
  put_command(request, 0x31);
  put_address(request, 0x08000000);
  guint8 count = 3;
  g_byte_array_append(request, &count, 1);
  g_byte_array_append(request, block, 4);
  guint8 wrong = 0x55;
  g_byte_array_append(request, &wrong, 1);
  feed(request->data, request->len, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, ack_ack_nack, 3));
  CU_ASSERT_EQUAL(sim_flash_data(flash)[0], 0xFF);
  /* Bad address checksum: NACK. */
  const guint8 bad_address[] = {0x11, 0xEE, 0x08, 0x00, 0x00, 0x00, 0x00};
  feed(bad_address, sizeof bad_address, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, ack_nack, 2));
  /* Read with a count whose complement is wrong, and a read past a region's end. */
  g_byte_array_set_size(request, 0);
  put_command(request, 0x11);
  put_address(request, 0x08000000);
  const guint8 bad_count[] = {0xFF, 0xFF};
  g_byte_array_append(request, bad_count, 2);
  feed(request->data, request->len, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, ack_ack_nack, 3));
  guint8 back[256];
  CU_ASSERT_FALSE(read_memory(0x0800FF01, 256, back));
  CU_ASSERT_TRUE(read_memory(0x0800FF00, 256, back));
  CU_ASSERT_FALSE(read_memory(0x1FFFF808, 16, back));
  /* Nothing mapped there. */
  CU_ASSERT_FALSE(read_memory(0x40000000, 4, back));
  CU_ASSERT_FALSE(read_memory(0x08010000, 4, back));
  /* Writes refused at the address: odd flash address, the bootloader's SRAM, system memory. */
  const guint32 refused[] = {0x08000001, 0x20000000, 0x200001FC, 0x1FFFF000, 0x00000000};
  for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
    g_byte_array_set_size(request, 0);
    put_command(request, 0x31);
    put_address(request, refused[i]);
    feed(request->data, request->len, &answer);
    CU_ASSERT_TRUE(answer_is(&answer, ack_nack, 2));
  }
  /* Erase of a page this part does not have (64) or a bad list checksum: NACK, nothing
   * erased. */
  write_memory(0x08000000, block, 4, &answer);
  const guint8 bad_pages[] = {1, 64};
  erase_pages(bad_pages, 2, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, ack_nack, 2));
  const guint8 bad_list[] = {0x43, 0xBC, 0x00, 0x00, 0x01};
  feed(bad_list, sizeof bad_list, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, ack_nack, 2));
  CU_ASSERT_EQUAL(sim_flash_data(flash)[0], 0x12);
  /* Mass erase needs 0x00 after 0xFF. */
  const guint8 bad_mass[] = {0x43, 0xBC, 0xFF, 0xFF};
  feed(bad_mass, sizeof bad_mass, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, ack_nack, 2));
  CU_ASSERT_EQUAL(sim_flash_data(flash)[0], 0x12);
  /* Go outside flash and SRAM: NACK; Go to flash: ACK and the jump. */
  g_byte_array_set_size(request, 0);
  put_command(request, 0x21);
  put_address(request, 0x1FFFF000);
  feed(request->data, request->len, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, ack_nack, 2));
  CU_ASSERT_EQUAL(answer.last_event, SIM_BOOT_EVENT_NONE);
  g_byte_array_set_size(request, 0);
  put_command(request, 0x21);
  put_address(request, 0x08000000);
  feed(request->data, request->len, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, ACK}, 2));
  CU_ASSERT_EQUAL(answer.last_event, SIM_BOOT_EVENT_GO);
  CU_ASSERT_EQUAL(answer.go_address, 0x08000000);
  CU_ASSERT_FALSE(sim_bootloader_synced(loader));
  answer_clear(&answer);
}

static void test_readout_protection(void)
{
  fresh_part();
  Answer answer;
  answer_init(&answer);
  guint8 block[64];
  memset(block, 0x42, sizeof block);
  write_memory(0x08000100, block, sizeof block, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, three_acks, 3));

  /* Readout Protect: ACK, ACK after the option bytes are written, then a system reset. */
  const guint8 protect[] = {0x82, 0x7D};
  feed(protect, sizeof protect, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, ACK}, 2));
  CU_ASSERT_EQUAL(answer.last_event, SIM_BOOT_EVENT_RESET);
  CU_ASSERT_TRUE(sim_flash_read_protected(flash));
  CU_ASSERT_FALSE(sim_bootloader_synced(loader));
  const guint8 sync[] = {0x7F};
  feed(sync, 1, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK}, 1));

  /* Reads, writes, erases, Go and protection changes are refused at the command. */
  const guint8 refused[] = {0x11, 0x31, 0x43, 0x21, 0x63, 0x73, 0x82};
  for (gsize i = 0; i < sizeof refused; i++) {
    guint8 command[2] = {refused[i], (guint8)(refused[i] ^ 0xFF)};
    feed(command, 2, &answer);
    CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){NACK}, 1));
  }
  guint8 back[64];
  /* Identification still works. */
  const guint8 gid[] = {0x02, 0xFD};
  feed(gid, sizeof gid, &answer);
  CU_ASSERT_EQUAL(answer.bytes->len, 5);
  /* The data is still there (the part keeps it, it only hides it). */
  CU_ASSERT_EQUAL(sim_flash_data(flash)[0x100], 0x42);

  /* Readout Unprotect: ACK, mass erase, ACK, reset; the flash is blank and readable. */
  const guint8 unprotect[] = {0x92, 0x6D};
  feed(unprotect, sizeof unprotect, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, ACK}, 2));
  CU_ASSERT_EQUAL(answer.last_event, SIM_BOOT_EVENT_RESET);
  CU_ASSERT_TRUE(answer.busy_s >= 0.020);
  CU_ASSERT_FALSE(sim_flash_read_protected(flash));
  feed(sync, 1, &answer);
  CU_ASSERT_TRUE(read_memory(0x08000100, sizeof back, back));
  for (guint i = 0; i < sizeof back; i++)
    CU_ASSERT_EQUAL(back[i], 0xFF);
  answer_clear(&answer);
}

static void test_write_protection(void)
{
  fresh_part();
  Answer answer;
  answer_init(&answer);
  const guint8 sync[] = {0x7F};
  guint8 block[8];
  memset(block, 0x33, sizeof block);

  /* Write Protect sector 1 (pages 4..7): ACK, N-1, sectors, XOR, ACK, reset. */
  const guint8 protect[] = {0x63, 0x9C, 0x00, 0x01, 0x01};
  feed(protect, sizeof protect, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, ACK}, 2));
  CU_ASSERT_EQUAL(answer.last_event, SIM_BOOT_EVENT_RESET);
  CU_ASSERT_TRUE(sim_flash_page_protected(flash, 4));
  CU_ASSERT_TRUE(sim_flash_page_protected(flash, 7));
  CU_ASSERT_FALSE(sim_flash_page_protected(flash, 3));
  CU_ASSERT_FALSE(sim_flash_page_protected(flash, 8));
  feed(sync, 1, &answer);
  guint8 options[16];
  CU_ASSERT_TRUE(read_memory(0x1FFFF800, 16, options));
  CU_ASSERT_EQUAL(options[8], 0xFD);  /* WRP0 bit 1 cleared */
  CU_ASSERT_EQUAL(options[9], 0x02);

  /* Writes and erases of protected pages, and a mass erase, are refused. */
  write_memory(0x08001000, block, sizeof block, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, ACK, NACK}, 3));
  const guint8 page5[] = {5};
  erase_pages(page5, 1, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, NACK}, 2));
  const guint8 mass[] = {0x43, 0xBC, 0xFF, 0x00};
  feed(mass, sizeof mass, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, NACK}, 2));
  /* Other pages still work. */
  write_memory(0x08000C00, block, sizeof block, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, three_acks, 3));
  /* A sector this part does not have: NACK. */
  const guint8 bad_sector[] = {0x63, 0x9C, 0x00, 0x10, 0x10};
  feed(bad_sector, sizeof bad_sector, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, NACK}, 2));

  /* Write Unprotect: ACK, ACK, reset; then the page programs. */
  const guint8 unprotect[] = {0x73, 0x8C};
  feed(unprotect, sizeof unprotect, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, (const guint8[]){ACK, ACK}, 2));
  CU_ASSERT_EQUAL(answer.last_event, SIM_BOOT_EVENT_RESET);
  feed(sync, 1, &answer);
  write_memory(0x08001000, block, sizeof block, &answer);
  CU_ASSERT_TRUE(answer_is(&answer, three_acks, 3));
  CU_ASSERT_EQUAL(sim_flash_data(flash)[0x1000], 0x33);
  answer_clear(&answer);
}

static void test_flash_bad_fails_verify(void)
{
  fresh_part();
  const guint32 bad[] = {0x08000406};   /* the word 0x08000404..0x08000407 */
  sim_flash_set_bad_words(flash, bad, 1);
  Answer answer;
  answer_init(&answer);
  guint8 block[256];
  for (guint i = 0; i < sizeof block; i++)
    block[i] = (guint8)i;
  write_memory(0x08000400, block, sizeof block, &answer);
  /* The part acknowledges the write like a good one... */
  CU_ASSERT_TRUE(answer_is(&answer, three_acks, 3));
  /* ...and only the read-back shows the word that did not program. */
  guint8 back[256];
  CU_ASSERT_TRUE_FATAL(read_memory(0x08000400, sizeof back, back));
  for (guint i = 0; i < sizeof back; i++) {
    guint8 expected = (i >= 4 && i < 8) ? 0xFF : block[i];
    CU_ASSERT_EQUAL(back[i], expected);
  }
  answer_clear(&answer);
}

/* A flash of `size` bytes holding `image` at its start, the rest erased. */
static guint8 *flash_with(GBytes *image, gsize size)
{
  guint8 *bytes = g_malloc(size);
  memset(bytes, 0xFF, size);
  memcpy(bytes, g_bytes_get_data(image, NULL), g_bytes_get_size(image));
  return bytes;
}

static void test_image_check(void)
{
  const char *models[] = {"B2A24S15P", "B2A8S20P", NULL};
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = sim_image_build("11.30", models, 20250401, 40000, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(image);
  CU_ASSERT_EQUAL(g_bytes_get_size(image), 40000);
  const guint8 *bytes = g_bytes_get_data(image, NULL);
  /* The layout of jk_image_format.h, read field by field. */
  CU_ASSERT_EQUAL(memcmp(bytes + 0x200, "JKFW", 4), 0);
  CU_ASSERT_EQUAL(bytes[0x204], 1);
  CU_ASSERT_EQUAL(bytes[0x205], 0);
  CU_ASSERT_EQUAL(bytes[0x206], 2);
  guint32 length = bytes[0x208] | bytes[0x209] << 8 | bytes[0x20A] << 16 | (guint32)bytes[0x20B] << 24;
  CU_ASSERT_EQUAL(length, 40000);
  CU_ASSERT_STRING_EQUAL((const char *)bytes + 0x210, "11.30");
  CU_ASSERT_STRING_EQUAL((const char *)bytes + 0x220, "B2A24S15P");
  CU_ASSERT_STRING_EQUAL((const char *)bytes + 0x230, "B2A8S20P");
  CU_ASSERT_EQUAL(bytes[0x240], 0);
  guint32 date = bytes[0x2A0] | bytes[0x2A1] << 8 | bytes[0x2A2] << 16 | (guint32)bytes[0x2A3] << 24;
  CU_ASSERT_EQUAL(date, 20250401);
  /* The stored CRC is the CRC of the image with the field zeroed. */
  g_autofree guint8 *copy = g_memdup2(bytes, 40000);
  guint32 stored = copy[0x20C] | copy[0x20D] << 8 | copy[0x20E] << 16 | (guint32)copy[0x20F] << 24;
  memset(copy + 0x20C, 0, 4);
  CU_ASSERT_EQUAL(sim_image_crc32(0, copy, 40000), stored);

  char version[SIM_IMAGE_VERSION_MAX + 1];
  g_autofree guint8 *good = flash_with(image, SIM_FLASH_SIZE);
  CU_ASSERT_TRUE(sim_image_check(good, SIM_FLASH_SIZE, "B2A8S20P", version, NULL));
  CU_ASSERT_STRING_EQUAL(version, "11.30");
  CU_ASSERT_TRUE(sim_image_check(good, SIM_FLASH_SIZE, "B2A24S15P", version, NULL));

  /* Another model, a corrupt byte (CRC), no magic, bad length, dirty model entries. */
  g_clear_error(&error);
  CU_ASSERT_FALSE(sim_image_check(good, SIM_FLASH_SIZE, "B2A20S20P", version, &error));
  CU_ASSERT_PTR_NOT_NULL(error && strstr(error->message, "model B2A20S20P"));
  g_autofree guint8 *corrupt = flash_with(image, SIM_FLASH_SIZE);
  corrupt[30000] ^= 0x01;
  g_clear_error(&error);
  CU_ASSERT_FALSE(sim_image_check(corrupt, SIM_FLASH_SIZE, "B2A8S20P", version, &error));
  CU_ASSERT_PTR_NOT_NULL(error && strstr(error->message, "CRC"));
  /* A byte beyond the image's length does not matter. */
  g_autofree guint8 *tail = flash_with(image, SIM_FLASH_SIZE);
  tail[50000] = 0x00;
  CU_ASSERT_TRUE(sim_image_check(tail, SIM_FLASH_SIZE, "B2A8S20P", version, NULL));
  g_autofree guint8 *blank = g_malloc(SIM_FLASH_SIZE);
  memset(blank, 0xFF, SIM_FLASH_SIZE);
  g_clear_error(&error);
  CU_ASSERT_FALSE(sim_image_check(blank, SIM_FLASH_SIZE, "B2A8S20P", version, &error));
  CU_ASSERT_PTR_NOT_NULL(error && strstr(error->message, "magic"));
  g_autofree guint8 *too_long = flash_with(image, SIM_FLASH_SIZE);
  too_long[0x20A] = 0x01;             /* length 0x00019C40 > 64 KiB */
  CU_ASSERT_FALSE(sim_image_check(too_long, SIM_FLASH_SIZE, "B2A8S20P", version, NULL));
  g_autofree guint8 *dirty = flash_with(image, SIM_FLASH_SIZE);
  dirty[0x240] = 'X';                 /* entry 3 while the count is 2 */
  CU_ASSERT_FALSE(sim_image_check(dirty, SIM_FLASH_SIZE, "B2A8S20P", version, NULL));
  g_autofree guint8 *old_header = flash_with(image, SIM_FLASH_SIZE);
  old_header[0x204] = 2;
  CU_ASSERT_FALSE(sim_image_check(old_header, SIM_FLASH_SIZE, "B2A8S20P", version, NULL));

  /* The builder refuses what the format cannot hold. */
  const char *none[] = {NULL};
  CU_ASSERT_PTR_NULL(sim_image_build("11.30", none, 20250401, 40000, NULL));
  CU_ASSERT_PTR_NULL(sim_image_build("", models, 20250401, 40000, NULL));
  CU_ASSERT_PTR_NULL(sim_image_build("11.30", models, 20250401, 100, NULL));
  CU_ASSERT_PTR_NULL(sim_image_build("11.30", models, 20250401, SIM_FLASH_SIZE + 1, NULL));
  /* The same arguments give the same image. */
  g_autoptr(GBytes) again = sim_image_build("11.30", models, 20250401, 40000, NULL);
  CU_ASSERT_TRUE(g_bytes_equal(image, again));
}

/* Random bytes (a fixed seed, thousands of inputs of random length, biased towards command
 * bytes so the decoder goes deep): nothing crashes, every answer byte is ACK, NACK or data
 * of a bounded answer, and afterwards a good sync and Get still work. */
static void test_fuzz(void)
{
  fresh_part();
  GRand *rng = g_rand_new_with_seed(FUZZ_SEED);
  const guint8 commands[] = {0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x44, 0x63, 0x73,
                             0x82, 0x92, 0x7F, 0xFF};
  guint8 input[600];
  guint answered = 0;
  for (int n = 0; n < FUZZ_INPUTS; n++) {
    guint length = (guint)g_rand_int_range(rng, 1, sizeof input);
    for (guint i = 0; i < length; i++) {
      guint kind = (guint)g_rand_int_range(rng, 0, 4);
      if (kind == 0 && i + 1 < length) {
        /* A command and its complement. */
        guint8 command = commands[g_rand_int_range(rng, 0, sizeof commands)];
        input[i++] = command;
        input[i] = (guint8)(command ^ 0xFF);
      } else {
        input[i] = (guint8)g_rand_int(rng);
      }
    }
    for (guint i = 0; i < length; i++) {
      sim_bootloader_feed(loader, input[i], &reply);
      guint total = sim_boot_reply_length(&reply);
      CU_ASSERT_TRUE(total <= 2 + SIM_BOOT_BLOCK_MAX + 2);
      CU_ASSERT_TRUE(reply.busy_s >= 0 && reply.busy_s <= 256 * 0.020 + 1);
      answered += total;
    }
    if (n % 500 == 0)
      sim_bootloader_restart(loader); /* an NRST pulse now and then */
  }
  g_rand_free(rng);
  CU_ASSERT_TRUE(answered > 1000);

  /* Without a reset, stm32flash's resynchronisation (0xFF 0x00 pairs until NACK) works. */
  if (sim_bootloader_synced(loader)) {
    gboolean nacked = FALSE;
    for (int i = 0; i < 300 && !nacked; i++) {
      const guint8 pair[] = {0xFF, 0x00};
      for (int b = 0; b < 2; b++) {
        sim_bootloader_feed(loader, pair[b], &reply);
        nacked = nacked || (reply.first->len && reply.first->data[reply.first->len - 1] == NACK);
      }
    }
    CU_ASSERT_TRUE(nacked);
  }
  /* After a reset a good sync and Get ID work. */
  sim_bootloader_restart(loader);
  Answer answer;
  answer_init(&answer);
  const guint8 sync_gid[] = {0x7F, 0x02, 0xFD};
  feed(sync_gid, sizeof sync_gid, &answer);
  const guint8 expected[] = {ACK, ACK, 0x01, 0x04, 0x10, ACK};
  CU_ASSERT_TRUE(answer_is(&answer, expected, sizeof expected));
  answer_clear(&answer);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("bootloader", setup, teardown);
  CU_add_test(suite, "CRC-32 reference value", test_crc32_reference);
  CU_add_test(suite, "sync, Get, Get Version, Get ID byte for byte", test_sync_get_getid);
  CU_add_test(suite, "erase, write, read back; SRAM, system memory, options",
              test_erase_write_read);
  CU_add_test(suite, "bad addresses, lengths and checksums are NACKed",
              test_bad_addresses_and_checksums);
  CU_add_test(suite, "readout protection", test_readout_protection);
  CU_add_test(suite, "write protection", test_write_protection);
  CU_add_test(suite, "flash-bad word acknowledged but fails verify", test_flash_bad_fails_verify);
  CU_add_test(suite, "image layout and the boot code's check", test_image_check);
  CU_add_test(suite, "fuzz: random bytes into the decoder", test_fuzz);
  return cunit_run_all();
}
