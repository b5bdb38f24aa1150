/* The flasher against a scripted STM32 ROM bootloader on a pseudo-terminal: a thread that
 * answers the AN3155 bytes with a 64 KiB flash behind it and a script of faults (no answer to
 * sync, another chip ID, a missing command, Extended Erase only, NACKs on a write, a flash
 * byte that does not program). It logs every byte the flasher sends, so the tests check the
 * exact bytes of sync, Get, Get ID, erase, write and read, and the errors a user relies on. */
#include "tests/cunit_main.h"
#include "firmware/firmware_error.h"
#include "firmware/stm32_flasher.h"
#include "fixtures/transport.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define FLASH_BASE 0x08000000u
#define FLASH_SIZE 0x10000u
#define NO_ADDRESS 0xFFFFFFFFu

/* What the scripted bootloader does; zero-initialised means a healthy STM32F103. */
typedef struct {
  gboolean silent;              /* never answers 0x7F */
  guint16 chip_id;              /* 0: 0x0410 */
  gboolean extended_erase;      /* lists 0x44 instead of 0x43 (and NACKs 0x43) */
  gboolean no_write_command;    /* Get does not list 0x31 */
  guint32 nack_write_at;        /* write blocks at this address are NACKed ... */
  int nack_write_times;         /* ... this many times (-1: always) */
  guint32 stuck_at;             /* this flash byte stays 0xFF when programmed */
} Script;

typedef struct {
  Script script;
  int master_fd;
  int slave_fd;                 /* kept open so the master never sees a hang-up */
  char *resource;
  GThread *thread;
  gint stop;                    /* atomic */
  GMutex lock;
  GByteArray *received;         /* every byte from the flasher (under lock) */
  guint8 flash[FLASH_SIZE];
  guint32 go_address;           /* NO_ADDRESS until Go */
  int writes_nacked;
} Peer;

/* Next byte from the flasher; -1 when the test stops the peer. */
static int peer_get(Peer *peer)
{
  while (!g_atomic_int_get(&peer->stop)) {
    struct pollfd p = {peer->master_fd, POLLIN, 0};
    if (poll(&p, 1, 10) <= 0)
      continue;
    guint8 byte;
    ssize_t n = read(peer->master_fd, &byte, 1);
    if (n == 1) {
      g_mutex_lock(&peer->lock);
      g_byte_array_append(peer->received, &byte, 1);
      g_mutex_unlock(&peer->lock);
      return byte;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return -1;
  }
  return -1;
}

static void peer_send(Peer *peer, const guint8 *bytes, gsize length)
{
  gsize done = 0;
  while (done < length) {
    ssize_t n = write(peer->master_fd, bytes + done, length - done);
    if (n > 0)
      done += (gsize)n;
    else if (errno != EAGAIN && errno != EINTR)
      return;
  }
}

static void peer_send_byte(Peer *peer, guint8 byte)
{
  peer_send(peer, &byte, 1);
}

/* Reads n bytes into buffer; FALSE when stopped. */
static gboolean peer_get_n(Peer *peer, guint8 *buffer, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    int b = peer_get(peer);
    if (b < 0)
      return FALSE;
    buffer[i] = (guint8)b;
  }
  return TRUE;
}

/* Reads an address and its XOR; NACKs a bad one or one outside flash. */
static gboolean peer_address(Peer *peer, guint32 *address)
{
  guint8 b[5];
  if (!peer_get_n(peer, b, 5))
    return FALSE;
  *address = (guint32)b[0] << 24 | (guint32)b[1] << 16 | (guint32)b[2] << 8 | b[3];
  if ((b[0] ^ b[1] ^ b[2] ^ b[3]) != b[4] || *address < FLASH_BASE ||
      *address >= FLASH_BASE + FLASH_SIZE) {
    peer_send_byte(peer, 0x1F);
    return FALSE;
  }
  peer_send_byte(peer, 0x79);
  return TRUE;
}

/* Go: notes the address before the ACK, so the test sees it once the flasher returns. */
static void peer_go(Peer *peer)
{
  guint8 b[5];
  if (!peer_get_n(peer, b, 5))
    return;
  if ((b[0] ^ b[1] ^ b[2] ^ b[3]) != b[4]) {
    peer_send_byte(peer, 0x1F);
    return;
  }
  peer->go_address = (guint32)b[0] << 24 | (guint32)b[1] << 16 | (guint32)b[2] << 8 | b[3];
  peer_send_byte(peer, 0x79);
}

static void peer_get_command(Peer *peer)
{
  static const guint8 normal[] = {0x00, 0x01, 0x02, 0x11, 0x21, 0x31, 0x43, 0x63, 0x73, 0x82,
                                  0x92};
  guint8 answer[3 + sizeof normal + 1];   /* ACK, N, version, commands, ACK */
  guint n = 0;
  answer[n++] = 0x79;
  answer[n++] = 0;                      /* count, filled below */
  answer[n++] = 0x22;                   /* version 2.2 */
  for (guint i = 0; i < sizeof normal; i++) {
    guint8 c = normal[i];
    if (c == 0x31 && peer->script.no_write_command)
      continue;
    if (c == 0x43 && peer->script.extended_erase)
      c = 0x44;
    answer[n++] = c;
  }
  answer[1] = (guint8)(n - 3);
  answer[n++] = 0x79;
  peer_send(peer, answer, n);
}

static void peer_read_memory(Peer *peer)
{
  guint32 address;
  guint8 count[2];
  peer_send_byte(peer, 0x79);
  if (!peer_address(peer, &address) || !peer_get_n(peer, count, 2))
    return;
  guint length = count[0] + 1u;
  if ((count[0] ^ count[1]) != 0xFF || address - FLASH_BASE + length > FLASH_SIZE) {
    peer_send_byte(peer, 0x1F);
    return;
  }
  peer_send_byte(peer, 0x79);
  peer_send(peer, peer->flash + (address - FLASH_BASE), length);
}

static void peer_write_memory(Peer *peer)
{
  guint32 address;
  guint8 block[1 + 256 + 1];
  peer_send_byte(peer, 0x79);
  if (!peer_address(peer, &address) || !peer_get_n(peer, block, 1))
    return;
  guint length = block[0] + 1u;
  if (!peer_get_n(peer, block + 1, length + 1))
    return;
  guint8 sum = 0;
  for (guint i = 0; i <= length; i++)
    sum ^= block[i];
  gboolean scripted_nack = address == peer->script.nack_write_at &&
                           (peer->script.nack_write_times < 0 ||
                            peer->writes_nacked < peer->script.nack_write_times);
  if (sum != block[1 + length] || length % 4 != 0 || scripted_nack ||
      address - FLASH_BASE + length > FLASH_SIZE) {
    peer->writes_nacked += scripted_nack;
    peer_send_byte(peer, 0x1F);
    return;
  }
  for (guint i = 0; i < length; i++) {
    guint32 at = address + i;
    if (at != peer->script.stuck_at)
      peer->flash[at - FLASH_BASE] &= block[1 + i];   /* flash programs 1 -> 0 only */
  }
  peer_send_byte(peer, 0x79);
}

static void peer_erase(Peer *peer, gboolean extended)
{
  if (extended != peer->script.extended_erase) {
    peer_send_byte(peer, 0x1F);
    return;
  }
  peer_send_byte(peer, 0x79);
  guint8 head[2];
  guint width = extended ? 2 : 1;
  if (!peer_get_n(peer, head, width))
    return;
  guint count = (extended ? (guint)(head[0] << 8 | head[1]) : head[0]) + 1u;
  g_autofree guint8 *pages = g_malloc(count * width + 1);
  if (!peer_get_n(peer, pages, count * width + 1))
    return;
  guint8 sum = 0;
  for (guint i = 0; i < width; i++)
    sum ^= head[i];
  for (guint i = 0; i < count * width; i++)
    sum ^= pages[i];
  if (sum != pages[count * width]) {
    peer_send_byte(peer, 0x1F);
    return;
  }
  for (guint i = 0; i < count; i++) {
    guint page = extended ? (guint)(pages[2 * i] << 8 | pages[2 * i + 1]) : pages[i];
    if (page < FLASH_SIZE / 1024)
      memset(peer->flash + page * 1024, 0xFF, 1024);
  }
  peer_send_byte(peer, 0x79);
}

static gpointer peer_main(gpointer data)
{
  Peer *peer = data;
  gboolean synced = FALSE;
  for (;;) {
    int command = peer_get(peer);
    if (command < 0)
      return NULL;
    if (!synced) {
      if (command == 0x7F && !peer->script.silent) {
        peer_send_byte(peer, 0x79);
        synced = TRUE;
      }
      continue;
    }
    int complement = peer_get(peer);
    if (complement < 0)
      return NULL;
    if ((command ^ complement) != 0xFF) {
      peer_send_byte(peer, 0x1F);
      continue;
    }
    guint16 id = peer->script.chip_id ? peer->script.chip_id : 0x0410;
    guint8 id_answer[] = {0x79, 0x01, (guint8)(id >> 8), (guint8)id, 0x79};
    switch (command) {
    case 0x00: peer_get_command(peer); break;
    case 0x02: peer_send(peer, id_answer, sizeof id_answer); break;
    case 0x11: peer_read_memory(peer); break;
    case 0x31: peer_write_memory(peer); break;
    case 0x43: peer_erase(peer, FALSE); break;
    case 0x44: peer_erase(peer, TRUE); break;
    case 0x21:
      peer_send_byte(peer, 0x79);
      peer_go(peer);
      break;
    default: peer_send_byte(peer, 0x1F); break;
    }
  }
}

static Peer *peer_start(const Script *script)
{
  Peer *peer = g_new0(Peer, 1);
  if (script)
    peer->script = *script;
  peer->go_address = NO_ADDRESS;
  memset(peer->flash, 0x00, sizeof peer->flash);   /* old firmware: nothing erased */
  g_mutex_init(&peer->lock);
  peer->received = g_byte_array_new();
  peer->master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  CU_ASSERT_TRUE_FATAL(peer->master_fd >= 0);
  CU_ASSERT_EQUAL_FATAL(grantpt(peer->master_fd), 0);
  CU_ASSERT_EQUAL_FATAL(unlockpt(peer->master_fd), 0);
  const char *path = ptsname(peer->master_fd);
  peer->slave_fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  CU_ASSERT_TRUE_FATAL(peer->slave_fd >= 0);
  struct termios tio;
  tcgetattr(peer->slave_fd, &tio);
  cfmakeraw(&tio);
  tcsetattr(peer->slave_fd, TCSANOW, &tio);
  peer->resource = g_strdup_printf("ASRL%s::INSTR?baud=115200", path);
  peer->thread = g_thread_new("bootloader-peer", peer_main, peer);
  return peer;
}

static void peer_stop(Peer *peer)
{
  g_atomic_int_set(&peer->stop, 1);
  g_thread_join(peer->thread);
  close(peer->slave_fd);
  close(peer->master_fd);
  g_byte_array_unref(peer->received);
  g_mutex_clear(&peer->lock);
  g_free(peer->resource);
  g_free(peer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Peer, peer_stop)

/* The bytes the flasher has sent so far (freeing). */
static GByteArray *peer_received(Peer *peer)
{
  g_mutex_lock(&peer->lock);
  GByteArray *copy = g_byte_array_new();
  g_byte_array_append(copy, peer->received->data, peer->received->len);
  g_mutex_unlock(&peer->lock);
  return copy;
}

/* ---- the flasher's side ---- */

typedef struct {
  int entered, left;
  Stm32Phase last_phase;
  gsize last_done[3], last_total[3];
  gboolean went_backwards;
  int stop_after_calls;         /* > 0: progress returns FALSE on this call */
  int calls;
} Calls;

static gboolean enter_bootloader(gpointer data, GError **error)
{
  ((Calls *)data)->entered++;
  return TRUE;
}

static gboolean leave_bootloader(gpointer data, GError **error)
{
  ((Calls *)data)->left++;
  return TRUE;
}

static gboolean on_progress(gpointer data, Stm32Phase phase, gsize done, gsize total)
{
  Calls *calls = data;
  calls->calls++;
  if (done < calls->last_done[phase] || done > total)
    calls->went_backwards = TRUE;
  calls->last_done[phase] = done;
  calls->last_total[phase] = total;
  calls->last_phase = phase;
  return calls->stop_after_calls == 0 || calls->calls < calls->stop_after_calls;
}

/* An image of length bytes at base, no byte 0xFF (so a stuck byte shows). */
static FirmwareImage *make_image(guint32 base, gsize length)
{
  g_autofree guint8 *bytes = g_malloc(length);
  for (gsize i = 0; i < length; i++)
    bytes[i] = (guint8)((i * 31 + 7) % 251);
  return firmware_image_new(base, bytes, length);
}

/* The options the tests flash with: the peer's callbacks, short timeouts. */
static void test_options(Peer *peer, gboolean pipeline, gboolean with_leave, Calls *calls,
                         Stm32FlashOptions *options)
{
  stm32_flash_options_init(options);
  options->enter = enter_bootloader;
  options->leave = with_leave ? leave_bootloader : NULL;
  options->boot_data = calls;
  options->progress = on_progress;
  options->progress_data = calls;
  options->pipeline = pipeline;
  options->sync_timeout_ms = peer->script.silent ? 30 : 300;  /* a loaded machine is slow */
  options->sync_attempts = 3;
}

/* Flashes image through the peer with options; returns the result, error in *error. */
static gboolean flash_with(Peer *peer, const FirmwareImage *image,
                           const Stm32FlashOptions *options, Stm32FlashReport *report,
                           GError **error)
{
  g_autoptr(Transport) transport = transport_open(peer->resource, error);
  if (!transport)
    return FALSE;
  return stm32_flash(transport, image, options, report, error);
}

/* Flashes image through the peer with callbacks; returns the result, error in *error. */
static gboolean flash(Peer *peer, const FirmwareImage *image, gboolean pipeline,
                      gboolean with_leave, Calls *calls, Stm32FlashReport *report,
                      GError **error)
{
  Stm32FlashOptions options;
  test_options(peer, pipeline, with_leave, calls, &options);
  return flash_with(peer, image, &options, report, error);
}

static void append(GByteArray *out, const guint8 *bytes, gsize length)
{
  g_byte_array_append(out, bytes, (guint)length);
}

static void append_address(GByteArray *out, guint32 address)
{
  guint8 b[5] = {(guint8)(address >> 24), (guint8)(address >> 16), (guint8)(address >> 8),
                 (guint8)address, 0};
  b[4] = b[0] ^ b[1] ^ b[2] ^ b[3];
  append(out, b, 5);
}

/* What a flasher must send for image, by AN3155, with Erase 0x43 or 0x44 and Go or not. */
static GByteArray *expected_bytes(const FirmwareImage *image, gboolean extended, gboolean go)
{
  GByteArray *out = g_byte_array_new();
  const guint8 sync_get_id[] = {0x7F, 0x00, 0xFF, 0x02, 0xFD};
  append(out, sync_get_id, sizeof sync_get_id);
  guint first = (image->base_address - FLASH_BASE) / 1024;
  guint last = (guint)((image->base_address - FLASH_BASE + image->length - 1) / 1024);
  guint8 sum = 0;
  if (extended) {
    const guint8 command[] = {0x44, 0xBB, 0x00, (guint8)(last - first)};
    append(out, command, sizeof command);
    sum = command[2] ^ command[3];
    for (guint page = first; page <= last; page++) {
      guint8 number[2] = {(guint8)(page >> 8), (guint8)page};
      append(out, number, 2);
      sum ^= number[0] ^ number[1];
    }
  } else {
    const guint8 command[] = {0x43, 0xBC, (guint8)(last - first)};
    append(out, command, sizeof command);
    sum = command[2];
    for (guint page = first; page <= last; page++) {
      guint8 number = (guint8)page;
      append(out, &number, 1);
      sum ^= number;
    }
  }
  append(out, &sum, 1);
  for (gsize offset = 0; offset < image->length; offset += 256) {
    gsize length = MIN(256, image->length - offset);
    const guint8 command[] = {0x31, 0xCE};
    append(out, command, 2);
    append_address(out, image->base_address + (guint32)offset);
    guint8 count = (guint8)(length - 1);
    guint8 xor = count;
    append(out, &count, 1);
    append(out, image->bytes + offset, length);
    for (gsize i = 0; i < length; i++)
      xor ^= image->bytes[offset + i];
    append(out, &xor, 1);
  }
  for (gsize offset = 0; offset < image->length; offset += 256) {
    gsize length = MIN(256, image->length - offset);
    const guint8 command[] = {0x11, 0xEE};
    append(out, command, 2);
    append_address(out, image->base_address + (guint32)offset);
    guint8 count[2] = {(guint8)(length - 1), (guint8)~(length - 1)};
    append(out, count, 2);
  }
  if (go) {
    const guint8 command[] = {0x21, 0xDE};
    append(out, command, 2);
    append_address(out, image->base_address);
  }
  return out;
}

/* Compares byte streams and prints the first difference. */
static void assert_same_bytes(GByteArray *got, GByteArray *expected)
{
  guint common = MIN(got->len, expected->len);
  guint i = 0;
  while (i < common && got->data[i] == expected->data[i])
    i++;
  if (i < common || got->len != expected->len)
    printf("\n    sent %u bytes, expected %u; first difference at byte %u", got->len,
           expected->len, i);
  CU_ASSERT_EQUAL(got->len, expected->len);
  CU_ASSERT_TRUE(i == common);
}

/* A healthy part: the exact AN3155 bytes go out, with and without pipelining; the flash holds
 * the image; the pages around stay as they were; progress reaches each phase's total. */
static void test_flash_exact_bytes(void)
{
  for (int pipeline = 0; pipeline <= 1; pipeline++) {
    g_autoptr(Peer) peer = peer_start(NULL);
    g_autoptr(FirmwareImage) image = make_image(FLASH_BASE + 0x400, 2600);  /* pages 1..3 */
    Calls calls = {0};
    Stm32FlashReport report;
    g_autoptr(GError) error = NULL;
    gboolean ok = flash(peer, image, pipeline, TRUE, &calls, &report, &error);
    if (!ok)
      printf("\n    %s", error->message);
    CU_ASSERT_TRUE_FATAL(ok);
    g_autoptr(GByteArray) sent = peer_received(peer);
    g_autoptr(GByteArray) expected = expected_bytes(image, FALSE, FALSE);
    assert_same_bytes(sent, expected);
    CU_ASSERT_EQUAL(memcmp(peer->flash + 0x400, image->bytes, image->length), 0);
    CU_ASSERT_EQUAL(peer->flash[0x3FF], 0x00);                /* page 0 not erased */
    CU_ASSERT_EQUAL(peer->flash[0x400 + 2600], 0xFF);         /* rest of page 3 erased */
    CU_ASSERT_EQUAL(peer->flash[0x1000], 0x00);               /* page 4 not erased */
    CU_ASSERT_EQUAL(calls.entered, 1);
    CU_ASSERT_EQUAL(calls.left, 1);
    CU_ASSERT_EQUAL(peer->go_address, NO_ADDRESS);
    CU_ASSERT_FALSE(calls.went_backwards);
    CU_ASSERT_EQUAL(calls.last_phase, STM32_PHASE_VERIFY);
    CU_ASSERT_EQUAL(calls.last_done[STM32_PHASE_ERASE], 3 * 1024);
    CU_ASSERT_EQUAL(calls.last_done[STM32_PHASE_WRITE], 2600);
    CU_ASSERT_EQUAL(calls.last_done[STM32_PHASE_VERIFY], 2600);
    CU_ASSERT_EQUAL(report.chip_id, 0x0410);
    CU_ASSERT_EQUAL(report.bootloader_version, 0x22);
    CU_ASSERT_EQUAL(report.pages_erased, 3);
    CU_ASSERT_EQUAL(report.bytes_written, 2600);
    CU_ASSERT_EQUAL(report.bytes_verified, 2600);
    CU_ASSERT_EQUAL(report.retries, 0);
    CU_ASSERT_EQUAL(report.pipelined, pipeline);
  }
}

/* Without a leave callback the flasher leaves with Go at the image's base; an image whose end
 * is not on a 4-byte boundary is padded with 0xFF. */
static void test_flash_go_and_padding(void)
{
  g_autoptr(Peer) peer = peer_start(NULL);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 301);
  Calls calls = {0};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_TRUE_FATAL(flash(peer, image, TRUE, FALSE, &calls, NULL, &error));
  CU_ASSERT_EQUAL(peer->go_address, FLASH_BASE);
  CU_ASSERT_EQUAL(calls.left, 0);
  CU_ASSERT_EQUAL(memcmp(peer->flash, image->bytes, 301), 0);
  g_autoptr(GByteArray) sent = peer_received(peer);
  /* second write block: 48 bytes (301 - 256 = 45, padded to 48), count byte 47 */
  const guint8 second_write[] = {0x31, 0xCE, 0x08, 0x00, 0x01, 0x00, 0x09, 47};
  CU_ASSERT_PTR_NOT_NULL(memmem(sent->data, sent->len, second_write, sizeof second_write));
  /* the last read asks for exactly the 45 image bytes */
  const guint8 last_read[] = {0x11, 0xEE, 0x08, 0x00, 0x01, 0x00, 0x09, 44, (guint8)~44};
  CU_ASSERT_PTR_NOT_NULL(memmem(sent->data, sent->len, last_read, sizeof last_read));
}

/* A part whose Get lists Extended Erase gets 0x44 with two-byte page numbers. */
static void test_flash_extended_erase(void)
{
  Script script = {.extended_erase = TRUE};
  g_autoptr(Peer) peer = peer_start(&script);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 1500);
  Calls calls = {0};
  Stm32FlashReport report;
  g_autoptr(GError) error = NULL;
  CU_ASSERT_TRUE_FATAL(flash(peer, image, TRUE, TRUE, &calls, &report, &error));
  CU_ASSERT_TRUE(report.extended_erase);
  g_autoptr(GByteArray) sent = peer_received(peer);
  g_autoptr(GByteArray) expected = expected_bytes(image, TRUE, FALSE);
  assert_same_bytes(sent, expected);
}

/* A block the bootloader keeps NACKing: the error names the address, after the retries; the
 * bootloader is still left. */
static void test_flash_write_nack(void)
{
  Script script = {.nack_write_at = FLASH_BASE + 0x200, .nack_write_times = -1};
  g_autoptr(Peer) peer = peer_start(&script);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 2048);
  Calls calls = {0};
  Stm32FlashReport report;
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(flash(peer, image, TRUE, TRUE, &calls, &report, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_BOOTLOADER));
  CU_ASSERT_STRING_EQUAL(error ? error->message : "",
                         "write failed at address 0x08000200 after 4 tries: the data block: "
                         "the bootloader answered NACK (0x1F)");
  CU_ASSERT_EQUAL(peer->writes_nacked, 4);
  CU_ASSERT_EQUAL(report.retries, 3);
  CU_ASSERT_EQUAL(calls.left, 1);
}

/* One NACK, then the block goes through: the flash succeeds with one retry. */
static void test_flash_write_nack_once(void)
{
  Script script = {.nack_write_at = FLASH_BASE + 0x100, .nack_write_times = 1};
  g_autoptr(Peer) peer = peer_start(&script);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 1024);
  Calls calls = {0};
  Stm32FlashReport report;
  g_autoptr(GError) error = NULL;
  gboolean ok = flash(peer, image, TRUE, TRUE, &calls, &report, &error);
  if (!ok)
    printf("\n    %s", error->message);
  CU_ASSERT_TRUE(ok);
  CU_ASSERT_EQUAL(report.retries, 1);
  CU_ASSERT_FALSE(report.pipelined);
  CU_ASSERT_EQUAL(memcmp(peer->flash, image->bytes, 1024), 0);
}

/* A byte that does not program: the verify names its address and both values. */
static void test_flash_verify_mismatch(void)
{
  Script script = {.stuck_at = FLASH_BASE + 0x123};
  g_autoptr(Peer) peer = peer_start(&script);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 1024);
  Calls calls = {0};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(flash(peer, image, TRUE, TRUE, &calls, NULL, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_VERIFY));
  g_autofree char *expected = g_strdup_printf(
      "verify mismatch at address 0x08000123: wrote 0x%02X, read 0xFF", image->bytes[0x123]);
  CU_ASSERT_STRING_EQUAL(error ? error->message : "", expected);
  CU_ASSERT_EQUAL(calls.left, 1);
}

/* Read Memory requests sent, as the addresses they ask for (freeing). */
static GArray *reads_sent(Peer *peer)
{
  g_autoptr(GByteArray) sent = peer_received(peer);
  GArray *addresses = g_array_new(FALSE, FALSE, sizeof(guint32));
  const guint8 read[] = {0x11, 0xEE};
  for (const guint8 *at = sent->data; at + 7 <= sent->data + sent->len;) {
    const guint8 *hit = memmem(at, (gsize)(sent->data + sent->len - at), read, sizeof read);
    if (!hit || hit + 7 > sent->data + sent->len)
      break;
    guint32 address = (guint32)hit[2] << 24 | (guint32)hit[3] << 16 | (guint32)hit[4] << 8 | hit[5];
    g_array_append_val(addresses, address);
    at = hit + 2;
  }
  return addresses;
}

/* Spans named: only they are read back (a stuck byte elsewhere is left to the caller's check),
 * a stuck byte inside one is named; without programming, nothing is erased or written. */
static void test_flash_read_back_spans(void)
{
  const Stm32Span header = {0x200, 0x100};
  for (int stuck_inside = 0; stuck_inside <= 1; stuck_inside++) {
    Script script = {.stuck_at = FLASH_BASE + (stuck_inside ? 0x2A0 : 0x1234)};
    g_autoptr(Peer) peer = peer_start(&script);
    g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 8192);
    Calls calls = {0};
    Stm32FlashOptions options;
    test_options(peer, TRUE, TRUE, &calls, &options);
    options.read_back = &header;
    options.read_back_spans = 1;
    Stm32FlashReport report;
    g_autoptr(GError) error = NULL;
    gboolean ok = flash_with(peer, image, &options, &report, &error);
    CU_ASSERT_EQUAL(ok, !stuck_inside);
    if (stuck_inside) {
      g_autofree char *expected = g_strdup_printf(
          "verify mismatch at address 0x080002A0: wrote 0x%02X, read 0xFF", image->bytes[0x2A0]);
      CU_ASSERT_STRING_EQUAL(error ? error->message : "", expected);
    } else {
      CU_ASSERT_EQUAL(report.bytes_written, 8192);
      CU_ASSERT_EQUAL(report.bytes_verified, 0x100);
      CU_ASSERT_EQUAL(calls.last_total[STM32_PHASE_VERIFY], 0x100);
      g_autoptr(GArray) reads = reads_sent(peer);
      CU_ASSERT_EQUAL(reads->len, 1);
      CU_ASSERT_EQUAL(reads->len ? g_array_index(reads, guint32, 0) : 0, FLASH_BASE + 0x200);
    }
  }
  /* Read back only: the whole image, no erase, no write. */
  g_autoptr(Peer) peer = peer_start(NULL);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 1024);
  memcpy(peer->flash, image->bytes, image->length);
  Calls calls = {0};
  Stm32FlashOptions options;
  test_options(peer, TRUE, TRUE, &calls, &options);
  options.program = FALSE;
  Stm32FlashReport report;
  g_autoptr(GError) error = NULL;
  CU_ASSERT_TRUE(flash_with(peer, image, &options, &report, &error));
  CU_ASSERT_EQUAL(report.bytes_written, 0);
  CU_ASSERT_EQUAL(report.pages_erased, 0);
  CU_ASSERT_EQUAL(report.bytes_verified, 1024);
  g_autoptr(GByteArray) sent = peer_received(peer);
  const guint8 erase[] = {0x43, 0xBC}, write[] = {0x31, 0xCE};
  CU_ASSERT_PTR_NULL(memmem(sent->data, sent->len, erase, sizeof erase));
  CU_ASSERT_PTR_NULL(memmem(sent->data, sent->len, write, sizeof write));
  /* A span outside the image is refused before the part is touched. */
  const Stm32Span outside = {1000, 100};
  options.read_back = &outside;
  options.read_back_spans = 1;
  g_autoptr(GError) refused = NULL;
  CU_ASSERT_FALSE(flash_with(peer, image, &options, NULL, &refused));
  CU_ASSERT_TRUE(g_error_matches(refused, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT));
}

/* A board that does not answer: the message says what to check; 0x7F was sent each try and
 * nothing else. */
static void test_flash_no_sync(void)
{
  Script script = {.silent = TRUE};
  g_autoptr(Peer) peer = peer_start(&script);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 1024);
  Calls calls = {0};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(flash(peer, image, TRUE, TRUE, &calls, NULL, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_NO_SYNC));
  CU_ASSERT_TRUE(error && g_str_has_prefix(error->message, "no answer to sync"));
  CU_ASSERT_TRUE(error && strstr(error->message, "check the board's power and the UART wiring"));
  g_autoptr(GByteArray) sent = peer_received(peer);
  const guint8 three_syncs[] = {0x7F, 0x7F, 0x7F};
  CU_ASSERT_EQUAL(sent->len, 3);
  CU_ASSERT_EQUAL(memcmp(sent->data, three_syncs, MIN(sent->len, 3)), 0);
  CU_ASSERT_EQUAL(calls.entered, 1);
  CU_ASSERT_EQUAL(calls.left, 1);
}

/* Another part: refused before anything is erased. */
static void test_flash_wrong_chip(void)
{
  Script script = {.chip_id = 0x0414};
  g_autoptr(Peer) peer = peer_start(&script);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 1024);
  Calls calls = {0};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(flash(peer, image, TRUE, TRUE, &calls, NULL, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_CHIP));
  CU_ASSERT_STRING_EQUAL(error ? error->message : "",
                         "wrong chip ID 0x0414, expected 0x0410 (STM32F103 medium density)");
  g_autoptr(GByteArray) sent = peer_received(peer);
  CU_ASSERT_EQUAL(sent->len, 5);   /* sync, Get, Get ID: no erase */
  CU_ASSERT_EQUAL(peer->flash[0], 0x00);
}

/* A bootloader without Write Memory in its Get list is refused by name. */
static void test_flash_missing_command(void)
{
  Script script = {.no_write_command = TRUE};
  g_autoptr(Peer) peer = peer_start(&script);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 1024);
  Calls calls = {0};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(flash(peer, image, TRUE, TRUE, &calls, NULL, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_CHIP));
  CU_ASSERT_TRUE(error && strstr(error->message, "lacks Write Memory 0x31"));
}

/* The progress callback can stop the flash; the bootloader is still left. */
static void test_flash_abort(void)
{
  g_autoptr(Peer) peer = peer_start(NULL);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, 4096);
  Calls calls = {.stop_after_calls = 4};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(flash(peer, image, TRUE, TRUE, &calls, NULL, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_ABORTED));
  CU_ASSERT_EQUAL(calls.left, 1);
}

/* An image outside the flash is refused before the bootloader is entered. */
static void test_flash_image_outside(void)
{
  g_autoptr(Peer) peer = peer_start(NULL);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE + FLASH_SIZE - 100, 200);
  Calls calls = {0};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(flash(peer, image, TRUE, TRUE, &calls, NULL, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT));
  CU_ASSERT_EQUAL(calls.entered, 0);
}

/* A full 64 KiB flash without sleeps: on a pty (no pacing) it takes a small fraction of the
 * 12.6 s its bytes (written once, read back once) take on a 115200 baud 8E1 wire. */
static void test_flash_full_size_fast(void)
{
  g_autoptr(Peer) peer = peer_start(NULL);
  g_autoptr(FirmwareImage) image = make_image(FLASH_BASE, FLASH_SIZE);
  Calls calls = {0};
  Stm32FlashReport report;
  g_autoptr(GError) error = NULL;
  CU_ASSERT_TRUE_FATAL(flash(peer, image, TRUE, TRUE, &calls, &report, &error));
  CU_ASSERT_EQUAL(report.pages_erased, 64);
  CU_ASSERT_EQUAL(memcmp(peer->flash, image->bytes, FLASH_SIZE), 0);
  /* link bytes: 2 x 64 KiB of data plus 256 blocks x (~14 bytes of framing) each way */
  CU_ASSERT_TRUE(report.link_bytes > 2 * FLASH_SIZE);
  CU_ASSERT_TRUE(report.link_bytes < 2 * FLASH_SIZE + 256 * 2 * 16 + 200);
  printf("(%.3f s wall, %.2f s on a 115200 8N1 wire) ", report.seconds, report.link_seconds);
  CU_ASSERT_TRUE(report.seconds < 3.0);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("stm32_flasher", NULL, NULL);
  CU_add_test(suite, "exact bytes, pipelined or not", test_flash_exact_bytes);
  CU_add_test(suite, "Go and padding", test_flash_go_and_padding);
  CU_add_test(suite, "extended erase", test_flash_extended_erase);
  CU_add_test(suite, "write NACK names the address", test_flash_write_nack);
  CU_add_test(suite, "write NACK once is retried", test_flash_write_nack_once);
  CU_add_test(suite, "verify mismatch names the address", test_flash_verify_mismatch);
  CU_add_test(suite, "read back only the spans named", test_flash_read_back_spans);
  CU_add_test(suite, "no answer to sync", test_flash_no_sync);
  CU_add_test(suite, "wrong chip ID", test_flash_wrong_chip);
  CU_add_test(suite, "missing command", test_flash_missing_command);
  CU_add_test(suite, "abort from progress", test_flash_abort);
  CU_add_test(suite, "image outside flash", test_flash_image_outside);
  CU_add_test(suite, "full size, fast", test_flash_full_size_fast);
  return cunit_run_all();
}
