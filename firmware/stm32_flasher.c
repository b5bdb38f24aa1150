/* The STM32 ROM bootloader client (see stm32_flasher.h).
 *
 * Speed: the wire is the bound (11 bit times per byte at 8E1), so each part of a command
 * (command and complement, address and XOR, length, data and XOR) goes out in one write, no
 * step sleeps, and the erase is one command for all the pages the image needs. Pipelining:
 * the bootloader answers a command byte and an address with an ACK and then just listens, so
 * with options.pipeline the flasher sends a Read Memory request (command, address, length) in
 * one write and the command and address of a Write Memory together, then collects the ACKs.
 * It never sends ahead across an erase or a flash write, when the bootloader does not read its
 * UART. If a pipelined command fails (a bootloader whose UART overran), pipelining is turned
 * off for the rest of the flash.
 *
 * Recovery: after a NACK or a timeout the bootloader may be part-way through a command. The
 * flasher drops what is arriving, then sends 0xFF one byte at a time until the bootloader
 * answers NACK, which it does from every state within a command's length (0xFF is never the
 * complement the bootloader waits for; a write block it completes programs nothing), makes
 * sure no filler is left as half a command, and tries the whole command again.
 *
 * Wire traces (wire_trace.h, domain jk-boot): short exchanges (commands, addresses, ACK and
 * NACK) in hex, data blocks as their length, and one line per erase, write, read and go
 * saying what it does. */
#include "firmware/stm32_flasher.h"
#include "firmware/firmware_error.h"
#include "fixtures/wire_trace.h"
#include <string.h>

#define ACK 0x79u
#define NACK 0x1Fu
#define SYNC 0x7Fu
#define CMD_GET 0x00u
#define CMD_GET_ID 0x02u
#define CMD_READ_MEMORY 0x11u
#define CMD_GO 0x21u
#define CMD_WRITE_MEMORY 0x31u
#define CMD_ERASE 0x43u
#define CMD_EXTENDED_ERASE 0x44u
#define RESYNC_FILLER 0xFFu
#define RESYNC_MAX_BYTES 300            /* more than the longest command (a write block) */
#define PAGE_ERASE_MAX_MS 40            /* ms, STM32F103 page erase, worst case */
#define BLOCK_PROGRAM_MAX_MS 20         /* ms, 128 half-words at 70 µs and margin */
#define MAX_ERASE_PAGES 255             /* Erase 0x43 takes N-1 in one byte, 0xFF is mass */
#define TRACE_HEX_MAX 16                /* bytes traced in hex; longer ones by their length */

typedef struct {
  Transport *transport;
  const Stm32FlashOptions *options;
  Stm32FlashReport *report;
  gboolean pipeline;            /* still pipelining */
  guint8 commands[256];         /* commands Get listed: commands[c] != 0 */
} Session;

void stm32_flash_options_init(Stm32FlashOptions *options)
{
  memset(options, 0, sizeof *options);
  options->sync_attempts = 8;
  options->sync_timeout_ms = 100;
  options->timeout_ms = 1000;
  options->retries = 3;
  options->pipeline = TRUE;
  options->program = TRUE;
}

/* ---- bytes on the link ---- */

/* Traces bytes sent (direction ">") or received ("<"): short ones in hex, a single ACK or
 * NACK by name, data blocks by their length. */
static void trace_bytes(Session *s, const char *direction, const guint8 *bytes, gsize length)
{
  const char *resource = transport_resource(s->transport);
  if (length == 1 && (bytes[0] == ACK || bytes[0] == NACK))
    wire_trace(WIRE_TRACE_BOOT, resource, "%s %02X %s", direction, bytes[0],
               bytes[0] == ACK ? "ACK" : "NACK");
  else if (length <= TRACE_HEX_MAX)
    wire_trace_bytes(WIRE_TRACE_BOOT, resource, direction, bytes, length);
  else
    wire_trace(WIRE_TRACE_BOOT, resource, "%s %" G_GSIZE_FORMAT " bytes", direction, length);
}

/* Writes bytes to the link, counting them. */
static gboolean send_bytes(Session *s, const guint8 *bytes, gsize length, GError **error)
{
  s->report->link_bytes += length;
  if (!transport_write(s->transport, bytes, length, error))
    return FALSE;
  trace_bytes(s, ">", bytes, length);
  return TRUE;
}

/* Reads exactly length bytes within timeout_ms plus their time on the wire, counting them. */
static gboolean read_bytes(Session *s, guint8 *buffer, gsize length, int timeout_ms,
                           GError **error)
{
  int wire_ms = transport_wire_ms(s->transport, length);
  if (!transport_read_exact(s->transport, buffer, length, timeout_ms + wire_ms, error)) {
    wire_trace_failure(WIRE_TRACE_BOOT, transport_resource(s->transport),
                       error ? *error : NULL);
    return FALSE;
  }
  s->report->link_bytes += length;
  trace_bytes(s, "<", buffer, length);
  return TRUE;
}

/* Waits for ACK; a NACK or another byte is FIRMWARE_ERROR_BOOTLOADER naming `what`. */
static gboolean expect_ack(Session *s, int timeout_ms, const char *what, GError **error)
{
  guint8 answer = 0;
  g_autoptr(GError) local = NULL;
  if (!read_bytes(s, &answer, 1, timeout_ms, &local)) {
    g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s: ", what);
    return FALSE;
  }
  if (answer == ACK)
    return TRUE;
  g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_BOOTLOADER,
              answer == NACK ? "%s: the bootloader answered NACK (0x1F)"
                             : "%s: the bootloader answered 0x%02X instead of ACK (0x79)",
              what, answer);
  return FALSE;
}

/* Appends a command byte and its complement. */
static void append_command(GByteArray *out, guint8 command)
{
  guint8 bytes[2] = {command, (guint8)~command};
  g_byte_array_append(out, bytes, 2);
}

/* Appends an address, big-endian, and the XOR of its bytes. */
static void append_address(GByteArray *out, guint32 address)
{
  guint8 bytes[5] = {(guint8)(address >> 24), (guint8)(address >> 16), (guint8)(address >> 8),
                     (guint8)address, 0};
  bytes[4] = bytes[0] ^ bytes[1] ^ bytes[2] ^ bytes[3];
  g_byte_array_append(out, bytes, 5);
}

/* Sends what `out` holds and empties it. */
static gboolean flush(Session *s, GByteArray *out, GError **error)
{
  gboolean ok = send_bytes(s, out->data, out->len, error);
  g_byte_array_set_size(out, 0);
  return ok;
}

/* Sends a command and its complement and waits for the ACK. */
static gboolean send_command(Session *s, guint8 command, const char *what, GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new();
  append_command(out, command);
  return flush(s, out, error) && expect_ack(s, s->options->timeout_ms, what, error);
}

/* ---- recovery ---- */

/* The quiet time that ends a burst: 20 byte times, at least 5 ms. */
static int quiet_ms(Session *s)
{
  double ms = 20 * transport_byte_time(s->transport) * 1000.0;
  return ms > 5 ? (int)ms + 1 : 5;
}

/* Reads one answer byte to a filler within timeout_ms: TRUE with *answer, FALSE with
 * *answer = 0 when none came (any other link failure goes to error and sets *failed). */
static gboolean filler_answer(Session *s, int timeout_ms, guint8 *answer, gboolean *failed,
                              GError **error)
{
  g_autoptr(GError) local = NULL;
  *answer = 0;
  if (read_bytes(s, answer, 1, timeout_ms, &local))
    return TRUE;
  if (!g_error_matches(local, FIXTURE_ERROR, FIXTURE_ERROR_TIMEOUT)) {
    g_propagate_error(error, g_steal_pointer(&local));
    *failed = TRUE;
  }
  return FALSE;
}

/* Brings the bootloader back to waiting for a command (see the top of this file). Fillers go
 * out one at a time with a short wait until a NACK comes back; on a link slower to answer than
 * that wait, some fillers went out after the one that was NACKed, and one of them may be left
 * waiting for its complement. So once the line is quiet, one more filler: a NACK means it
 * completed such a left-over byte; silence means it is itself the left-over, and a second
 * filler completes it. */
static gboolean resync(Session *s, GError **error)
{
  const guint8 filler = RESYNC_FILLER;
  gboolean failed = FALSE;
  guint8 answer = 0;
  transport_drain_input(s->transport, quiet_ms(s));
  int sent = 0;
  while (answer != NACK && sent < RESYNC_MAX_BYTES) {
    if (!send_bytes(s, &filler, 1, error))
      return FALSE;
    sent++;
    filler_answer(s, quiet_ms(s), &answer, &failed, error);
    if (failed)
      return FALSE;
  }
  if (answer == NACK) {
    transport_drain_input(s->transport, s->options->sync_timeout_ms);
    if (!send_bytes(s, &filler, 1, error))
      return FALSE;
    if (!filler_answer(s, s->options->sync_timeout_ms, &answer, &failed, error) && !failed &&
        send_bytes(s, &filler, 1, error))
      filler_answer(s, s->options->sync_timeout_ms, &answer, &failed, error);
    if (failed)
      return FALSE;
    if (answer == NACK)
      return TRUE;
  }
  if (error && *error == NULL)
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_BOOTLOADER,
                "the bootloader on %s stopped answering (no NACK to %d filler bytes); check "
                "the UART wiring and the board's power", transport_resource(s->transport),
                sent);
  return FALSE;
}

/* TRUE when a failed command may be tried again: the bootloader refused or garbled it, or
 * did not answer in time (a lost byte); not when the link itself is gone. */
static gboolean retryable(const GError *error)
{
  return g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_BOOTLOADER) ||
         g_error_matches(error, FIXTURE_ERROR, FIXTURE_ERROR_TIMEOUT) ||
         g_error_matches(error, FIXTURE_ERROR, FIXTURE_ERROR_PROTOCOL);
}

/* One try of a command; user_data carries its arguments. */
typedef gboolean (*AttemptFn)(Session *s, gpointer arguments, GError **error);

/* Tries a command up to 1 + retries times, resynchronising in between. A final failure is
 * FIRMWARE_ERROR_BOOTLOADER "<failed>: <last reason>" (the transport's code when the link
 * failed for another reason). */
static gboolean with_retries(Session *s, AttemptFn attempt, gpointer arguments,
                             const char *failed, GError **error)
{
  for (int tries = 1;; tries++) {
    g_autoptr(GError) local = NULL;
    if (attempt(s, arguments, &local))
      return TRUE;
    if (!retryable(local)) {
      g_propagate_prefixed_error(error, g_steal_pointer(&local), "%s: ", failed);
      return FALSE;
    }
    if (tries > s->options->retries) {
      g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_BOOTLOADER, "%s after %d tries: %s",
                  failed, tries, local->message);
      return FALSE;
    }
    s->report->retries++;
    s->pipeline = FALSE;
    s->report->pipelined = FALSE;
    if (!resync(s, error)) {
      g_prefix_error(error, "%s: ", failed);
      return FALSE;
    }
  }
}

/* ---- connecting ---- */

/* Sends 0x7F until the bootloader answers: ACK, or NACK from one already synchronised. */
static gboolean sync_bootloader(Session *s, GError **error)
{
  transport_discard_input(s->transport);
  const guint8 sync = SYNC;
  for (int attempt = 0; attempt < s->options->sync_attempts; attempt++) {
    if (!send_bytes(s, &sync, 1, error))
      return FALSE;
    guint8 answer = 0;
    g_autoptr(GError) local = NULL;
    if (read_bytes(s, &answer, 1, s->options->sync_timeout_ms, &local)) {
      if (answer == ACK || answer == NACK)
        return TRUE;
      transport_drain_input(s->transport, quiet_ms(s));   /* noise: try again */
      continue;
    }
    if (!g_error_matches(local, FIXTURE_ERROR, FIXTURE_ERROR_TIMEOUT)) {
      g_propagate_prefixed_error(error, g_steal_pointer(&local), "sync with the bootloader: ");
      return FALSE;
    }
  }
  g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_NO_SYNC,
              "no answer to sync (0x7F sent %d times to the bootloader on %s, %d ms each): "
              "check the board's power and the UART wiring, and that BOOT0 is high at reset",
              s->options->sync_attempts, transport_resource(s->transport),
              s->options->sync_timeout_ms);
  return FALSE;
}

/* Get: reads the bootloader version and the commands it supports. */
static gboolean attempt_get(Session *s, gpointer unused, GError **error)
{
  guint8 count = 0;
  guint8 listed[256];
  if (!send_command(s, CMD_GET, "Get 0x00", error) ||
      !read_bytes(s, &count, 1, s->options->timeout_ms, error) ||
      !read_bytes(s, listed, count + 1u, s->options->timeout_ms, error) ||
      !expect_ack(s, s->options->timeout_ms, "end of the answer to Get 0x00", error))
    return FALSE;
  s->report->bootloader_version = listed[0];
  memset(s->commands, 0, sizeof s->commands);
  for (guint i = 1; i <= count; i++)
    s->commands[listed[i]] = 1;
  return TRUE;
}

/* Get ID: the chip's product ID. */
static gboolean attempt_get_id(Session *s, gpointer unused, GError **error)
{
  guint8 count = 0;
  guint8 id[256];
  if (!send_command(s, CMD_GET_ID, "Get ID 0x02", error) ||
      !read_bytes(s, &count, 1, s->options->timeout_ms, error) ||
      !read_bytes(s, id, count + 1u, s->options->timeout_ms, error) ||
      !expect_ack(s, s->options->timeout_ms, "end of the answer to Get ID 0x02", error))
    return FALSE;
  s->report->chip_id = count >= 1 ? (guint16)(id[0] << 8 | id[1]) : id[0];
  return TRUE;
}

/* Checks that Get listed every command the flash needs. */
static gboolean check_commands(Session *s, GError **error)
{
  static const struct {
    guint8 command;
    const char *name;
  } needed[] = {
    {CMD_GET_ID, "Get ID 0x02"},
    {CMD_READ_MEMORY, "Read Memory 0x11"},
    {CMD_WRITE_MEMORY, "Write Memory 0x31"},
  };
  for (guint i = 0; i < G_N_ELEMENTS(needed); i++) {
    if (!s->commands[needed[i].command]) {
      g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_CHIP,
                  "the bootloader (version %u.%u) lacks %s; is readout protection on, or is "
                  "this another part?", s->report->bootloader_version >> 4,
                  s->report->bootloader_version & 0xF, needed[i].name);
      return FALSE;
    }
  }
  if (!s->commands[CMD_ERASE] && !s->commands[CMD_EXTENDED_ERASE]) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_CHIP,
                "the bootloader lists neither Erase 0x43 nor Extended Erase 0x44");
    return FALSE;
  }
  if (s->options->leave == NULL && !s->commands[CMD_GO]) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_CHIP,
                "the bootloader lacks Go 0x21, and no leave callback was given");
    return FALSE;
  }
  s->report->extended_erase = s->commands[CMD_EXTENDED_ERASE] != 0;
  return TRUE;
}

/* Sync, Get (the commands needed are there), Get ID (the chip is the expected one). */
static gboolean connect_bootloader(Session *s, GError **error)
{
  if (!sync_bootloader(s, error) ||
      !with_retries(s, attempt_get, NULL, "Get 0x00 failed", error) ||
      !check_commands(s, error) ||
      !with_retries(s, attempt_get_id, NULL, "Get ID 0x02 failed", error))
    return FALSE;
  if (s->report->chip_id != STM32_CHIP_ID_F103_MEDIUM) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_CHIP,
                "wrong chip ID 0x%04X, expected 0x%04X (STM32F103 medium density)",
                s->report->chip_id, STM32_CHIP_ID_F103_MEDIUM);
    return FALSE;
  }
  return TRUE;
}

/* ---- erase, write, read, go ---- */

typedef struct {
  guint first_page;             /* page number from the start of flash */
  guint count;                  /* pages */
} ErasePages;

/* One Erase 0x43 (or Extended Erase 0x44) of a run of pages. */
static gboolean attempt_erase(Session *s, gpointer arguments, GError **error)
{
  const ErasePages *pages = arguments;
  gboolean extended = s->report->extended_erase;
  wire_trace(WIRE_TRACE_BOOT, transport_resource(s->transport), "erase %u pages from page %u",
             pages->count, pages->first_page);
  if (!send_command(s, extended ? CMD_EXTENDED_ERASE : CMD_ERASE,
                    extended ? "Extended Erase 0x44" : "Erase 0x43", error))
    return FALSE;
  g_autoptr(GByteArray) out = g_byte_array_new();
  guint8 checksum = 0;
  guint8 byte;
  if (extended) {
    guint8 count[2] = {(guint8)((pages->count - 1) >> 8), (guint8)(pages->count - 1)};
    g_byte_array_append(out, count, 2);
    for (guint i = 0; i < pages->count; i++) {
      guint page = pages->first_page + i;
      guint8 number[2] = {(guint8)(page >> 8), (guint8)page};
      g_byte_array_append(out, number, 2);
    }
  } else {
    byte = (guint8)(pages->count - 1);
    g_byte_array_append(out, &byte, 1);
    for (guint i = 0; i < pages->count; i++) {
      byte = (guint8)(pages->first_page + i);
      g_byte_array_append(out, &byte, 1);
    }
  }
  for (guint i = 0; i < out->len; i++)
    checksum ^= out->data[i];
  g_byte_array_append(out, &checksum, 1);
  int wait_ms = s->options->timeout_ms + (int)pages->count * PAGE_ERASE_MAX_MS;
  return flush(s, out, error) && expect_ack(s, wait_ms, "the page list of the erase", error);
}

typedef struct {
  guint32 address;
  const guint8 *data;
  gsize length;                 /* bytes, 1..256, a multiple of 4 */
} MemoryBlock;

/* One Write Memory 0x31 of a block. */
static gboolean attempt_write(Session *s, gpointer arguments, GError **error)
{
  const MemoryBlock *block = arguments;
  int timeout = s->options->timeout_ms;
  wire_trace(WIRE_TRACE_BOOT, transport_resource(s->transport),
             "write %" G_GSIZE_FORMAT " bytes at 0x%08X", block->length, block->address);
  g_autoptr(GByteArray) out = g_byte_array_new();
  append_command(out, CMD_WRITE_MEMORY);
  if (s->pipeline) {
    append_address(out, block->address);
    if (!flush(s, out, error) || !expect_ack(s, timeout, "Write Memory 0x31", error) ||
        !expect_ack(s, timeout, "the address", error))
      return FALSE;
  } else {
    if (!flush(s, out, error) || !expect_ack(s, timeout, "Write Memory 0x31", error))
      return FALSE;
    append_address(out, block->address);
    if (!flush(s, out, error) || !expect_ack(s, timeout, "the address", error))
      return FALSE;
  }
  guint8 count = (guint8)(block->length - 1);
  guint8 checksum = count;
  g_byte_array_append(out, &count, 1);
  g_byte_array_append(out, block->data, (guint)block->length);
  for (gsize i = 0; i < block->length; i++)
    checksum ^= block->data[i];
  g_byte_array_append(out, &checksum, 1);
  return flush(s, out, error) &&
         expect_ack(s, timeout + BLOCK_PROGRAM_MAX_MS, "the data block", error);
}

typedef struct {
  guint32 address;
  guint8 *buffer;
  gsize length;                 /* bytes, 1..256 */
} ReadBlock;

/* One Read Memory 0x11 of a block into its buffer. */
static gboolean attempt_read(Session *s, gpointer arguments, GError **error)
{
  const ReadBlock *block = arguments;
  int timeout = s->options->timeout_ms;
  wire_trace(WIRE_TRACE_BOOT, transport_resource(s->transport),
             "read %" G_GSIZE_FORMAT " bytes at 0x%08X", block->length, block->address);
  g_autoptr(GByteArray) out = g_byte_array_new();
  guint8 count[2] = {(guint8)(block->length - 1), (guint8)~(block->length - 1)};
  append_command(out, CMD_READ_MEMORY);
  if (s->pipeline) {
    append_address(out, block->address);
    g_byte_array_append(out, count, 2);
    if (!flush(s, out, error) || !expect_ack(s, timeout, "Read Memory 0x11", error) ||
        !expect_ack(s, timeout, "the address", error) ||
        !expect_ack(s, timeout, "the length", error))
      return FALSE;
  } else {
    if (!flush(s, out, error) || !expect_ack(s, timeout, "Read Memory 0x11", error))
      return FALSE;
    append_address(out, block->address);
    if (!flush(s, out, error) || !expect_ack(s, timeout, "the address", error))
      return FALSE;
    g_byte_array_append(out, count, 2);
    if (!flush(s, out, error) || !expect_ack(s, timeout, "the length", error))
      return FALSE;
  }
  return read_bytes(s, block->buffer, block->length, timeout, error);
}

/* Go 0x21 to the address: the bootloader starts the application there. */
static gboolean attempt_go(Session *s, gpointer arguments, GError **error)
{
  const guint32 *address = arguments;
  g_autoptr(GByteArray) out = g_byte_array_new();
  wire_trace(WIRE_TRACE_BOOT, transport_resource(s->transport), "go to 0x%08X", *address);
  if (!send_command(s, CMD_GO, "Go 0x21", error))
    return FALSE;
  append_address(out, *address);
  return flush(s, out, error) && expect_ack(s, s->options->timeout_ms, "the address", error);
}

/* Reports progress; FALSE with FIRMWARE_ERROR_ABORTED when the caller stops. */
static gboolean progress(Session *s, Stm32Phase phase, gsize done, gsize total, GError **error)
{
  if (s->options->progress == NULL ||
      s->options->progress(s->options->progress_data, phase, done, total))
    return TRUE;
  g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_ABORTED, "flashing stopped by the caller");
  return FALSE;
}

/* Erases the pages the image covers, in one command when it can. */
static gboolean erase_image_pages(Session *s, const FirmwareImage *image, GError **error)
{
  guint first = (image->base_address - FIRMWARE_FLASH_BASE) / JK_IMAGE_PAGE_SIZE;
  guint last = (guint)((image->base_address - FIRMWARE_FLASH_BASE + image->length - 1) /
                       JK_IMAGE_PAGE_SIZE);
  gsize total = (gsize)(last - first + 1) * JK_IMAGE_PAGE_SIZE;
  if (!progress(s, STM32_PHASE_ERASE, 0, total, error))
    return FALSE;
  for (guint page = first; page <= last; page += MAX_ERASE_PAGES) {
    ErasePages pages = {page, MIN(MAX_ERASE_PAGES, last - page + 1)};
    g_autofree char *failed = g_strdup_printf(
        "erase of pages %u..%u (0x%08X..0x%08X) failed", pages.first_page,
        pages.first_page + pages.count - 1,
        FIRMWARE_FLASH_BASE + pages.first_page * JK_IMAGE_PAGE_SIZE,
        FIRMWARE_FLASH_BASE + (pages.first_page + pages.count) * JK_IMAGE_PAGE_SIZE - 1);
    if (!with_retries(s, attempt_erase, &pages, failed, error))
      return FALSE;
    s->report->pages_erased += pages.count;
    if (!progress(s, STM32_PHASE_ERASE, (gsize)(page + pages.count - first) *
                  JK_IMAGE_PAGE_SIZE, total, error))
      return FALSE;
  }
  return TRUE;
}

/* Writes the image in 256-byte blocks; the ends are padded with 0xFF (the erased value) to
 * 4-byte boundaries, as Write Memory wants. */
static gboolean write_image(Session *s, const FirmwareImage *image, GError **error)
{
  guint32 start = image->base_address & ~3u;
  guint32 end = (guint32)((image->base_address + image->length + 3) & ~(gsize)3);
  g_autofree guint8 *padded = g_malloc(end - start);
  memset(padded, 0xFF, end - start);
  memcpy(padded + (image->base_address - start), image->bytes, image->length);
  if (!progress(s, STM32_PHASE_WRITE, 0, image->length, error))
    return FALSE;
  for (guint32 at = start; at < end; at += STM32_BLOCK_BYTES) {
    MemoryBlock block = {at, padded + (at - start), MIN(STM32_BLOCK_BYTES, end - at)};
    g_autofree char *failed = g_strdup_printf("write failed at address 0x%08X", at);
    if (!with_retries(s, attempt_write, &block, failed, error))
      return FALSE;
    gsize done = MIN((gsize)(at + block.length - image->base_address), image->length);
    s->report->bytes_written = done;
    if (!progress(s, STM32_PHASE_WRITE, done, image->length, error))
      return FALSE;
  }
  return TRUE;
}

/* Reads one span of the image back and compares, counting into *done of total. */
static gboolean verify_span(Session *s, const FirmwareImage *image, const Stm32Span *span,
                            gsize *done, gsize total, GError **error)
{
  guint8 buffer[STM32_BLOCK_BYTES];
  for (gsize offset = span->offset; offset < span->offset + span->length;
       offset += STM32_BLOCK_BYTES) {
    guint32 address = image->base_address + (guint32)offset;
    ReadBlock block = {address, buffer,
                       MIN(STM32_BLOCK_BYTES, span->offset + span->length - offset)};
    g_autofree char *failed = g_strdup_printf("read back failed at address 0x%08X", address);
    if (!with_retries(s, attempt_read, &block, failed, error))
      return FALSE;
    for (gsize i = 0; i < block.length; i++) {
      if (buffer[i] != image->bytes[offset + i]) {
        g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_VERIFY,
                    "verify mismatch at address 0x%08X: wrote 0x%02X, read 0x%02X",
                    (guint)(address + i), image->bytes[offset + i], buffer[i]);
        return FALSE;
      }
    }
    *done += block.length;
    s->report->bytes_verified = *done;
    if (!progress(s, STM32_PHASE_VERIFY, *done, total, error))
      return FALSE;
  }
  return TRUE;
}

/* Reads back the spans the options name (every byte without them) and compares. */
static gboolean verify_image(Session *s, const FirmwareImage *image, GError **error)
{
  Stm32Span whole = {0, image->length};
  const Stm32Span *spans = s->options->read_back ? s->options->read_back : &whole;
  guint count = s->options->read_back ? s->options->read_back_spans : 1;
  gsize total = 0, done = 0;
  for (guint i = 0; i < count; i++)
    total += spans[i].length;
  if (!progress(s, STM32_PHASE_VERIFY, 0, total, error))
    return FALSE;
  for (guint i = 0; i < count; i++) {
    if (!verify_span(s, image, &spans[i], &done, total, error))
      return FALSE;
  }
  return TRUE;
}

/* Checks the spans to read back lie within the image. */
static gboolean check_spans(const FirmwareImage *image, const Stm32FlashOptions *options,
                            GError **error)
{
  for (guint i = 0; options->read_back && i < options->read_back_spans; i++) {
    const Stm32Span *span = &options->read_back[i];
    if (span->offset > image->length || span->length > image->length - span->offset) {
      g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT,
                  "bytes %zu..%zu to read back lie outside the image of %zu bytes",
                  span->offset, span->offset + span->length, image->length);
      return FALSE;
    }
  }
  return TRUE;
}

/* Checks the image lies inside the part's flash. */
static gboolean check_image_fits(const FirmwareImage *image, GError **error)
{
  guint64 end = (guint64)image->base_address + image->length;
  if (image->length == 0 || image->base_address < FIRMWARE_FLASH_BASE ||
      end > (guint64)FIRMWARE_FLASH_BASE + FIRMWARE_FLASH_SIZE) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT,
                "the image (%zu bytes at 0x%08X) does not lie within the part's flash "
                "0x%08X..0x%08X", image->length, image->base_address, FIRMWARE_FLASH_BASE,
                FIRMWARE_FLASH_BASE + FIRMWARE_FLASH_SIZE - 1);
    return FALSE;
  }
  return TRUE;
}

/* Everything between entering and leaving the bootloader. */
static gboolean flash_in_bootloader(Session *s, const FirmwareImage *image, GError **error)
{
  if (!connect_bootloader(s, error))
    return FALSE;
  if (s->options->program &&
      (!erase_image_pages(s, image, error) || !write_image(s, image, error)))
    return FALSE;
  if (!verify_image(s, image, error))
    return FALSE;
  if (s->options->leave != NULL)
    return TRUE;
  guint32 go_address = image->base_address;
  return with_retries(s, attempt_go, &go_address, "Go 0x21 failed", error);
}

gboolean stm32_flash(Transport *transport, const FirmwareImage *image,
                     const Stm32FlashOptions *options, Stm32FlashReport *report,
                     GError **error)
{
  Stm32FlashOptions defaults;
  if (options == NULL) {
    stm32_flash_options_init(&defaults);
    options = &defaults;
  }
  Stm32FlashReport local_report;
  if (report == NULL)
    report = &local_report;
  memset(report, 0, sizeof *report);
  if (!check_image_fits(image, error) || !check_spans(image, options, error))
    return FALSE;
  Session s = {
    .transport = transport,
    .options = options,
    .report = report,
    .pipeline = options->pipeline,
  };
  report->pipelined = options->pipeline;
  gint64 started_us = g_get_monotonic_time();
  if (options->enter != NULL && !options->enter(options->boot_data, error)) {
    g_prefix_error(error, "entering the bootloader: ");
    return FALSE;
  }
  gboolean ok = flash_in_bootloader(&s, image, error);
  if (options->leave != NULL) {
    g_autoptr(GError) leave_error = NULL;
    if (!options->leave(options->boot_data, &leave_error)) {
      if (ok)
        g_propagate_prefixed_error(error, g_steal_pointer(&leave_error),
                                   "leaving the bootloader: ");
      else if (error != NULL && *error != NULL) {
        GError *both = g_error_new((*error)->domain, (*error)->code,
                                   "%s (leaving the bootloader failed too: %s)",
                                   (*error)->message, leave_error->message);
        g_clear_error(error);
        g_propagate_error(error, both);
      }
      ok = FALSE;
    }
  }
  report->link_seconds = (double)report->link_bytes * transport_byte_time(transport);
  report->seconds = (double)(g_get_monotonic_time() - started_us) / G_USEC_PER_SEC;
  return ok;
}
