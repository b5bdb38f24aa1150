/* What the FTDI chip's latency timer costs a Modbus transaction with the board, in the
 * timing model of the FTDI double (tests/fixtures/ftdi_double.h: wire time at the baud
 * rate, the board's processing time, a chip that holds a partial USB packet until its
 * latency timer runs out): the station's JK board driver reading one register, over and
 * over, through the station's FTDI transport, once with the latency timer as the station
 * sets it (1 ms) and once on a chip left at its default 16 ms. Prints each figure with its
 * target and fails on a miss: at 1 ms a transaction takes at most the protocol's time (wire,
 * the board's processing, the Modbus silent interval before a request) plus the 1 ms timer
 * and 2 ms of the host's scheduling; the default costs about 15 ms more (12..17). */
#include "fixtures/jkbms/jkbms.h"
#include "fixtures/sim/sim_twin.h"
#include "tests/fixtures/ftdi_double.h"

#include <glib/gstdio.h>
#include <stdio.h>

#define SERIAL "B2A24S15P-2648-00017"
#define RESOURCE "FTDI::0x0403::0x6001::FT1234::A"
#define TRANSACTIONS 100
#define PROCESSING_US 2000       /* the board's answer time, as the twin's default */
#define READ_REGISTER 0x1400     /* a 4-byte register: request 8 bytes, answer 9 */
#define SILENT_INTERVAL_MS 1.75  /* Modbus RTU's shortest silent interval (above 19200 baud) */

/* ms per transaction of the board driver over a chip whose latency timer is fixed_ms (0: as
 * the station sets it); -1 on an error. */
static double transaction_ms(SimTwin *twin, int fixed_ms, guint *frames)
{
  FtdiDoubleChip *chip = ftdi_double_plug(0x0403, 0x6001, "FT1234", sim_twin_board(twin));
  chip->processing_us = PROCESSING_US;
  if (fixed_ms > 0) {
    chip->latency_ms = fixed_ms;
    chip->latency_fixed = TRUE;
  }
  g_autoptr(GError) error = NULL;
  JkBms *bms = jkbms_open(RESOURCE, 1, &error);
  if (!bms) {
    fprintf(stderr, "jkbms_open: %s\n", error->message);
    return -1;
  }
  guint32 value = 0;
  gint64 start = g_get_monotonic_time();
  for (int i = 0; i < TRANSACTIONS; i++) {
    if (!jkbms_read_u32(bms, READ_REGISTER, &value, &error)) {
      fprintf(stderr, "read: %s\n", error->message);
      jkbms_close(bms);
      return -1;
    }
  }
  double ms = (double)(g_get_monotonic_time() - start) / 1000.0 / TRANSACTIONS;
  *frames = chip->frames;
  jkbms_close(bms);
  return ms;
}

int main(void)
{
  g_autofree char *pty_dir = g_dir_make_tmp("ftdi-bench-XXXXXX", NULL);
  SimTwinOptions options = {.host = "127.0.0.1", .pty_dir = pty_dir, .board = SERIAL,
                            .rs485_processing_ms = 2};
  g_autoptr(GError) error = NULL;
  SimTwin *twin = sim_twin_new(&options, &error);
  if (!twin) {
    fprintf(stderr, "twin: %s\n", error->message);
    return 1;
  }
  guint frames_fast = 0, frames_slow = 0;
  double fast = transaction_ms(twin, 0, &frames_fast);
  double slow = transaction_ms(twin, 16, &frames_slow);
  ftdi_double_reset();
  sim_twin_free(twin);
  g_rmdir(pty_dir);
  if (fast < 0 || slow < 0)
    return 1;
  /* 8-byte request and 9-byte answer at 10 bits a byte, 115200 baud, the board's time and
   * the silent interval before each request */
  double protocol_ms =
      (8 + 9) * 10 * 1000.0 / 115200 + PROCESSING_US / 1000.0 + SILENT_INTERVAL_MS;
  double cost = slow - fast;
  printf("Modbus transaction over an FTDI UART at 115200 8N1 (%u and %u answered): wire, "
         "board and silent interval %.2f ms\n", frames_fast, frames_slow, protocol_ms);
  printf("  latency timer 1 ms (as the station sets it): %.2f ms per transaction (target "
         "<= %.2f ms: + 1 ms timer + 2 ms host)\n", fast, protocol_ms + 3);
  printf("  latency timer 16 ms (the chip's default):   %.2f ms per transaction\n", slow);
  printf("  cost of the default: %.2f ms per transaction (the model's expected: about 15 ms, "
         "12..17)\n", cost);
  gboolean ok = fast <= protocol_ms + 3 && cost >= 12 && cost <= 17 &&
                frames_fast >= TRANSACTIONS && frames_slow >= TRANSACTIONS;
  printf("%s\n", ok ? "ok" : "MISSED");
  return ok ? 0 : 1;
}
