/* Tests of the board's MCU in the twin, in-process over real pseudo-terminals: the boot
 * decision (good image answers with its version; corrupt CRC, wrong model, no magic stay
 * silent), flashing a new image through the bootloader and Go, flash kept per board,
 * blank-flash and flash-bad, and the pacing of both serial lines: on the virtual clock a
 * 60 KiB write takes bytes-on-the-wire + erase + programming time, a Modbus transaction
 * request + processing + answer time; in real time the erase is waited for. */
#include "tests/cunit_main.h"
#include "tests/sim/board_rig.h"
#include "tests/sim/sim_harness.h"
#include "fixtures/sim/sim_image.h"
#include "fixtures/sim/sim_mcu.h"
#include "fixtures/sim/sim_modbus.h"
#include "fixtures/sim/sim_pty.h"
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define ACK 0x79
#define MODEL "B2A24S15P"
#define SERIAL MODEL "-2648-00017"
#define OTHER_SERIAL MODEL "-2648-00018"
#define BLANK_SERIAL MODEL "-2648-00019"
#define FRESH_SERIAL MODEL "-2648-00020"   /* not flashed by any earlier test */
#define XFER_TIMEOUT_MS 3000          /* ms, longest wait for an answer that must come */

/* Datasheet and line figures, written out here independently of the twin's constants. */
#define BYTE_8E1_S (11.0 / 115200.0)  /* s, one byte at 115200 8E1 */
#define BYTE_8N1_S (10.0 / 115200.0)  /* s, one byte at 115200 8N1 */
#define PAGE_ERASE_S 0.020            /* s, DS5319 tERASE per 1 KiB page */
#define HALFWORD_S 52.5e-6            /* s, DS5319 tPROG typical */

static SimMcu *mcu;
static char *pty_dir;
static SimPty *boot_pty;
static int client = -1;               /* the host's end of the boot line */
static GPtrArray *boards;             /* SimBoard *, every board made (freed at the end) */

/* Suite set-up: the board rig on the virtual clock, the MCU on a pty as the boot line. */
static int setup(void)
{
  if (board_rig_open(SIM_CLOCK_VIRTUAL) != 0)
    return 1;
  g_autoptr(GError) error = NULL;
  pty_dir = g_dir_make_tmp("mcu-test-XXXXXX", &error);
  boot_pty = pty_dir ? sim_pty_open(pty_dir, "boot", &error) : NULL;
  if (!boot_pty) {
    fprintf(stderr, "pty: %s\n", error->message);
    return 1;
  }
  mcu = sim_mcu_new(board_rig.clock);
  sim_mcu_attach_line(mcu, sim_pty_master_fd(boot_pty));
  client = harness_open_serial(sim_pty_link_path(boot_pty));
  boards = g_ptr_array_new_with_free_func((GDestroyNotify)sim_board_free);
  return client >= 0 ? 0 : 1;
}

/* Suite clean-up: the MCU, the pty and every board made, then the board rig. */
static int teardown(void)
{
  if (client >= 0)
    close(client);
  sim_mcu_free(mcu);
  g_ptr_array_unref(boards);
  sim_pty_close(boot_pty);
  if (pty_dir)
    g_rmdir(pty_dir);
  g_free(pty_dir);
  return board_rig_close();
}

/* Writes `length` bytes to `fd` and collects up to `expect` answer bytes into `in`, running
 * the main loop meanwhile; returns how many came before the deadline. */
static gsize xfer_on(int fd, const guint8 *out, gsize length, guint8 *in, gsize expect)
{
  gsize written = 0;
  while (written < length) {
    ssize_t n = write(fd, out + written, length - written);
    if (n > 0)
      written += (gsize)n;
    g_main_context_iteration(NULL, FALSE);
  }
  gsize have = 0;
  gint64 deadline = g_get_monotonic_time() + XFER_TIMEOUT_MS * 1000;
  while (have < expect && g_get_monotonic_time() < deadline) {
    while (g_main_context_iteration(NULL, FALSE))
      ;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, 1) > 0) {
      ssize_t n = read(fd, in + have, expect - have);
      if (n > 0)
        have += (gsize)n;
    }
  }
  return have;
}

/* Sends bytes and listens for `listen_ms`: returns how many answer bytes came. */
static gsize xfer_silence(int fd, const guint8 *out, gsize length, int listen_ms)
{
  xfer_on(fd, out, length, NULL, 0);
  gsize heard = 0;
  gint64 deadline = g_get_monotonic_time() + listen_ms * 1000;
  while (g_get_monotonic_time() < deadline) {
    while (g_main_context_iteration(NULL, FALSE))
      ;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    guint8 scratch[64];
    if (poll(&pfd, 1, 1) > 0) {
      ssize_t n = read(fd, scratch, sizeof scratch);
      if (n > 0)
        heard += (gsize)n;
    }
  }
  return heard;
}

/* xfer_on the boot line. */
static gsize xfer(const guint8 *out, gsize length, guint8 *in, gsize expect)
{
  return xfer_on(client, out, length, in, expect);
}

/* Sends bytes and expects exactly one ACK back. */
static gboolean send_acked(const guint8 *bytes, gsize length)
{
  guint8 answer = 0;
  return xfer(bytes, length, &answer, 1) == 1 && answer == ACK;
}

/* 0x7F answered by ACK. */
static gboolean bl_sync(void)
{
  const guint8 sync = 0x7F;
  return send_acked(&sync, 1);
}

/* A command byte and its complement, ACKed. */
static gboolean bl_command(guint8 command)
{
  const guint8 bytes[2] = {command, (guint8)(command ^ 0xFF)};
  return send_acked(bytes, 2);
}

/* An address and its XOR, ACKed. */
static gboolean bl_address(guint32 address)
{
  guint8 bytes[5] = {(guint8)(address >> 24), (guint8)(address >> 16), (guint8)(address >> 8),
                     (guint8)address, 0};
  bytes[4] = bytes[0] ^ bytes[1] ^ bytes[2] ^ bytes[3];
  return send_acked(bytes, 5);
}

/* Erase of pages first..first+count-1 as one page list. */
static gboolean bl_erase(guint first, guint count)
{
  if (!bl_command(0x43))
    return FALSE;
  guint8 list[258];
  list[0] = (guint8)(count - 1);
  guint8 checksum = list[0];
  for (guint i = 0; i < count; i++) {
    list[1 + i] = (guint8)(first + i);
    checksum ^= list[1 + i];
  }
  list[1 + count] = checksum;
  return send_acked(list, count + 2);
}

/* Write Memory of up to 256 bytes, padded with 0xFF to a multiple of 4 as stm32flash does. */
static gboolean bl_write(guint32 address, const guint8 *data, guint length)
{
  if (!bl_command(0x31) || !bl_address(address))
    return FALSE;
  guint aligned = (length + 3) & ~3u;
  guint8 block[258];
  block[0] = (guint8)(aligned - 1);
  guint8 checksum = block[0];
  for (guint i = 0; i < aligned; i++) {
    block[1 + i] = i < length ? data[i] : 0xFF;
    checksum ^= block[1 + i];
  }
  block[1 + aligned] = checksum;
  return send_acked(block, aligned + 2);
}

/* Read Memory of `length` bytes into `out`; FALSE on any NACK or silence. */
static gboolean bl_read(guint32 address, guint length, guint8 *out)
{
  if (!bl_command(0x11) || !bl_address(address))
    return FALSE;
  const guint8 count[2] = {(guint8)(length - 1), (guint8)((length - 1) ^ 0xFF)};
  guint8 answer[257];
  if (xfer(count, 2, answer, length + 1) != length + 1 || answer[0] != ACK)
    return FALSE;
  memcpy(out, answer + 1, length);
  return TRUE;
}

/* Go to `address`, ACKed. */
static gboolean bl_go(guint32 address)
{
  return bl_command(0x21) && bl_address(address);
}

/* Erases what the image needs and writes it block by block. */
static gboolean bl_flash_image(GBytes *image)
{
  gsize length = 0;
  const guint8 *bytes = g_bytes_get_data(image, &length);
  guint pages = (guint)((length + SIM_FLASH_PAGE_SIZE - 1) / SIM_FLASH_PAGE_SIZE);
  if (!bl_erase(0, pages))
    return FALSE;
  for (gsize at = 0; at < length; at += 256)
    if (!bl_write(SIM_FLASH_BASE + (guint32)at, bytes + at, (guint)MIN(256, length - at)))
      return FALSE;
  return TRUE;
}

/* Puts a board (made once per serial, as the twin keeps them) into the fixture. */
static SimBoard *insert(const char *serial, const char *faults)
{
  SimBoard *board = NULL;
  for (guint i = 0; i < boards->len; i++)
    if (strcmp(sim_board_label_serial(boards->pdata[i]), serial) == 0)
      board = boards->pdata[i];
  if (!board) {
    board = sim_board_new(serial, catalog_find(board_rig.catalog, MODEL, NULL));
    g_ptr_array_add(boards, board);
  }
  board_rig_insert(board, faults);
  sim_mcu_insert_board(mcu, board, FALSE);      /* BOOT0 low at power-up */
  return board;
}

/* Takes the board out of the fixture. */
static void take_out(SimBoard *board)
{
  sim_mcu_remove_board(mcu);
  sim_board_remove(board);
}

/* An image for `model` of `length` bytes. */
static GBytes *image_for(const char *version, const char *model, gsize length)
{
  const char *models[] = {model, NULL};
  GBytes *image = sim_image_build(version, models, 20250401, length, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(image);
  return image;
}

static void test_boot_decision(void)
{
  /* A new board carries the factory image and answers with its version. */
  SimBoard *board = insert(SERIAL, NULL);
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_APPLICATION);
  CU_ASSERT_STRING_EQUAL(sim_mcu_version(mcu), "11.26");
  CU_ASSERT_STRING_EQUAL(sim_board_sw_version(board), "11.26");
  CU_ASSERT_TRUE(sim_board_answers_rs485(board));

  /* BOOT0 high and a reset: the bootloader runs, RS485 is silent. */
  sim_mcu_reset(mcu, TRUE);
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_BOOTLOADER);
  CU_ASSERT_FALSE(sim_board_answers_rs485(board));
  CU_ASSERT_TRUE_FATAL(bl_sync());

  /* A new image, then Go: the board runs it. */
  g_autoptr(GBytes) image = image_for("11.30", MODEL, 20000);
  CU_ASSERT_TRUE_FATAL(bl_flash_image(image));
  guint8 back[256];
  CU_ASSERT_TRUE(bl_read(SIM_FLASH_BASE + 0x200, 32, back));
  CU_ASSERT_EQUAL(memcmp(back, (const guint8 *)g_bytes_get_data(image, NULL) + 0x200, 32), 0);
  CU_ASSERT_TRUE(bl_go(SIM_FLASH_BASE));
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_APPLICATION);
  CU_ASSERT_STRING_EQUAL(sim_board_sw_version(board), "11.30");
  CU_ASSERT_TRUE(sim_board_answers_rs485(board));
  /* The application does not answer on the boot line. */
  const guint8 sync = 0x7F;
  CU_ASSERT_EQUAL(xfer_silence(client, &sync, 1, HARNESS_SILENCE_MS), 0);

  /* Corrupt CRC: one byte of the image differs; the board stays silent after a reset. */
  sim_mcu_reset(mcu, TRUE);
  CU_ASSERT_TRUE_FATAL(bl_sync());
  gsize length = 0;
  g_autofree guint8 *corrupt = g_memdup2(g_bytes_get_data(image, &length), 20000);
  corrupt[10000] ^= 0x40;
  g_autoptr(GBytes) corrupt_image = g_bytes_new(corrupt, length);
  CU_ASSERT_TRUE_FATAL(bl_flash_image(corrupt_image));
  sim_mcu_reset(mcu, FALSE);
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_NO_IMAGE);
  CU_ASSERT_PTR_NULL(sim_mcu_version(mcu));
  CU_ASSERT_FALSE(sim_board_answers_rs485(board));

  /* An image for another model: silent. */
  sim_mcu_reset(mcu, TRUE);
  CU_ASSERT_TRUE_FATAL(bl_sync());
  g_autoptr(GBytes) other_model = image_for("11.30", "B2A8S20P", 20000);
  CU_ASSERT_TRUE_FATAL(bl_flash_image(other_model));
  CU_ASSERT_TRUE(bl_go(SIM_FLASH_BASE));
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_NO_IMAGE);
  CU_ASSERT_FALSE(sim_board_answers_rs485(board));

  /* Erased flash (no magic): silent. */
  sim_mcu_reset(mcu, TRUE);
  CU_ASSERT_TRUE_FATAL(bl_sync());
  CU_ASSERT_TRUE(bl_erase(0, 64));
  sim_mcu_reset(mcu, FALSE);
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_NO_IMAGE);

  /* The flash belongs to the board: out and back in, it is still blank; another new board
   * has the factory image; a new board inserted with blank-flash has none. */
  take_out(board);
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_OFF);
  SimBoard *other = insert(OTHER_SERIAL, NULL);
  CU_ASSERT_STRING_EQUAL(sim_mcu_version(mcu), "11.26");
  take_out(other);
  insert(SERIAL, NULL);
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_NO_IMAGE);
  take_out(board);
  SimBoard *blank = insert(BLANK_SERIAL, "blank-flash");
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_NO_IMAGE);
  CU_ASSERT_FALSE(sim_board_answers_rs485(blank));
  take_out(blank);
  /* A reset with an empty fixture does nothing. */
  sim_mcu_reset(mcu, FALSE);
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_OFF);
}

static void test_go_to_sram_and_flash_bad(void)
{
  SimBoard *board = insert(OTHER_SERIAL, "flash-bad:0x08000804");
  sim_mcu_reset(mcu, TRUE);
  CU_ASSERT_TRUE_FATAL(bl_sync());
  /* The word at 0x08000804 does not program; the write is still acknowledged. */
  CU_ASSERT_TRUE(bl_erase(2, 1));
  guint8 block[256];
  memset(block, 0x00, sizeof block);
  CU_ASSERT_TRUE(bl_write(0x08000800, block, sizeof block));
  guint8 back[256];
  CU_ASSERT_TRUE_FATAL(bl_read(0x08000800, sizeof back, back));
  CU_ASSERT_EQUAL(back[3], 0x00);
  CU_ASSERT_EQUAL(back[4], 0xFF);
  CU_ASSERT_EQUAL(back[7], 0xFF);
  CU_ASSERT_EQUAL(back[8], 0x00);
  /* Go to SRAM (stm32flash's reset code): a software reset; with BOOT0 still high the
   * bootloader waits for 0x7F again. */
  CU_ASSERT_TRUE(bl_write(0x20000200, block, 16));
  CU_ASSERT_TRUE(bl_go(0x20000200));
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_BOOTLOADER);
  CU_ASSERT_FALSE(sim_bootloader_synced(sim_mcu_bootloader(mcu)));
  CU_ASSERT_TRUE(bl_sync());
  take_out(board);

  /* Powered up with BOOT0 high, a board starts in the bootloader. */
  board = insert(OTHER_SERIAL, NULL);
  sim_mcu_remove_board(mcu);
  sim_mcu_insert_board(mcu, board, TRUE);
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_BOOTLOADER);
  CU_ASSERT_FALSE(sim_board_answers_rs485(board));
  CU_ASSERT_TRUE(bl_sync());
  take_out(board);
}

/* A 60 KiB image written as stm32flash writes it: the time on the virtual clock is the
 * bytes on the wire at 115200 8E1, 60 page erases and 240 x 128 half-word programmings. */
static void test_timing_of_a_60k_write(void)
{
  SimBoard *board = insert(SERIAL, NULL);
  sim_mcu_reset(mcu, TRUE);
  const guint blocks = 240;
  guint8 block[256];
  for (guint i = 0; i < sizeof block; i++)
    block[i] = (guint8)(i ^ 0xA5);

  double start = sim_clock_now(board_rig.clock);
  CU_ASSERT_TRUE_FATAL(bl_sync());
  CU_ASSERT_TRUE_FATAL(bl_erase(0, 60));
  gboolean ok = TRUE;
  for (guint b = 0; b < blocks && ok; b++)
    ok = bl_write(SIM_FLASH_BASE + b * 256, block, sizeof block);
  CU_ASSERT_TRUE_FATAL(ok);
  double measured = sim_clock_now(board_rig.clock) - start;

  guint wire_bytes = 1 + 1                          /* sync, ACK */
                     + 2 + 1 + (1 + 60 + 1) + 1     /* erase: command, ACK, list, ACK */
                     + blocks * (2 + 1 + 5 + 1 + (1 + 256 + 1) + 1);
  double expected = wire_bytes * BYTE_8E1_S + 60 * PAGE_ERASE_S + blocks * 128 * HALFWORD_S;
  CU_ASSERT_DOUBLE_EQUAL(measured, expected, 0.02 * expected);
  /* About 9 s on a real fixture; the data landed. */
  CU_ASSERT_TRUE(measured > 8.5 && measured < 9.5);
  guint8 back[256];
  CU_ASSERT_TRUE(bl_read(SIM_FLASH_BASE + 239 * 256, sizeof back, back));
  CU_ASSERT_EQUAL(memcmp(back, block, sizeof back), 0);
  take_out(board);
}

/* In REAL mode the erase is waited for in wall time (GLib timeouts, not counted). */
static void test_real_time_erase(void)
{
  SimBoard *board = insert(SERIAL, NULL);
  sim_mcu_reset(mcu, TRUE);
  sim_clock_set_mode(board_rig.clock, SIM_CLOCK_REAL);
  CU_ASSERT_TRUE_FATAL(bl_sync());
  CU_ASSERT_TRUE_FATAL(bl_command(0x43));
  guint8 list[12] = {9};
  guint8 checksum = 9;
  for (guint i = 0; i < 10; i++) {
    list[1 + i] = (guint8)(10 + i);
    checksum ^= list[1 + i];
  }
  list[11] = checksum;
  gint64 before = g_get_monotonic_time();
  CU_ASSERT_TRUE(send_acked(list, sizeof list));
  double elapsed = (g_get_monotonic_time() - before) / 1e6;
  CU_ASSERT_TRUE(elapsed >= 10 * PAGE_ERASE_S);
  CU_ASSERT_TRUE(elapsed < 2.0);
  sim_clock_set_mode(board_rig.clock, SIM_CLOCK_VIRTUAL);
  take_out(board);
}

static int updates;                   /* calls of the twin update hook */

/* The update hook: counts its calls. */
static void count_update(gpointer user_data)
{
  updates++;
}

/* A Modbus read on the virtual clock takes request + processing + answer time at 115200
 * 8N1, and the twin is brought up to date before the board answers. */
static void test_modbus_transaction_time(void)
{
  SimBoard *board = insert(FRESH_SERIAL, NULL);
  CU_ASSERT_EQUAL(sim_mcu_state(mcu), SIM_MCU_APPLICATION);
  g_autoptr(GError) error = NULL;
  SimPty *rs485 = sim_pty_open(pty_dir, "rs485", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rs485);
  SimModbusServer *server = sim_modbus_server_new(sim_pty_master_fd(rs485),
                                                  sim_pty_slave_fd(rs485), 2);
  sim_modbus_server_set_clock(server, board_rig.clock);
  sim_modbus_server_set_update(server, count_update, NULL);
  sim_modbus_server_set_board(server, board);
  int host = harness_open_serial(sim_pty_link_path(rs485));
  CU_ASSERT_TRUE_FATAL(host >= 0);

  /* Read the 8-byte software version at 0x1418 (4 registers). */
  const guint8 pdu[] = {0x01, 0x03, 0x14, 0x18, 0x00, 0x04};
  guint8 request[8];
  harness_frame(pdu, sizeof pdu, request);
  guint8 answer[13];
  updates = 0;
  double start = sim_clock_now(board_rig.clock);
  CU_ASSERT_EQUAL(xfer_on(host, request, sizeof request, answer, sizeof answer), 13);
  double measured = sim_clock_now(board_rig.clock) - start;
  CU_ASSERT_EQUAL(memcmp(answer + 3, "11.26", 5), 0);
  CU_ASSERT_EQUAL(updates, 1);
  double expected = (8 + 13) * BYTE_8N1_S + 0.002;
  CU_ASSERT_DOUBLE_EQUAL(measured, expected, 1e-9);

  /* In the bootloader the board does not answer; only the request's bytes take time. */
  sim_mcu_reset(mcu, TRUE);
  start = sim_clock_now(board_rig.clock);
  CU_ASSERT_EQUAL(xfer_silence(host, request, sizeof request, HARNESS_SILENCE_MS), 0);
  measured = sim_clock_now(board_rig.clock) - start;
  CU_ASSERT_TRUE(measured >= 8 * BYTE_8N1_S - 1e-9 && measured <= 8 * BYTE_8N1_S + 0.002 + 1e-9);

  close(host);
  sim_modbus_server_free(server);
  sim_pty_close(rs485);
  take_out(board);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("bootloader_mcu", setup, teardown);
  CU_add_test(suite, "boot decision, flashing and Go, flash per board", test_boot_decision);
  CU_add_test(suite, "Go to SRAM resets; flash-bad word", test_go_to_sram_and_flash_bad);
  CU_add_test(suite, "60 KiB write time on the virtual clock", test_timing_of_a_60k_write);
  CU_add_test(suite, "erase waited for in real time", test_real_time_erase);
  CU_add_test(suite, "Modbus transaction time on the virtual clock",
              test_modbus_transaction_time);
  return cunit_run_all();
}
