/* Flashing through the fixture: BOOT0 high and a reset pulse to enter the ROM bootloader,
 * BOOT0 low and a reset pulse to start the new image, and the verify by read-back or by the
 * board's boot code (see fixture_flash.h). When the bootloader does not answer on the boot
 * link, the board's RS485 link is asked too: a bootloader that answers there means the
 * fixture file has the two links swapped, which is the station's fault, not the board's. */
#include "firmware/fixture_flash.h"
#include "firmware/firmware_error.h"
#include "firmware/image_header.h"
#include <string.h>
#include "fixtures/fixture_error.h"
#include "fixtures/jkbms/jkbms.h"
#include "fixtures/switchunit/switchunit.h"

/* ms NRST is held low: far above the part's 300 ns minimum, short against the cycle. */
#define RESET_PULSE_MS 1.0

static gboolean enter_bootloader(gpointer data, GError **error)
{
  SwitchUnit *sw = data;
  return switchunit_set_boot0(sw, TRUE, error) &&
         switchunit_reset_pulse(sw, RESET_PULSE_MS, error);
}

static gboolean leave_bootloader(gpointer data, GError **error)
{
  SwitchUnit *sw = data;
  return switchunit_set_boot0(sw, FALSE, error) &&
         switchunit_reset_pulse(sw, RESET_PULSE_MS, error);
}

#define SYNC_BYTE 0x7F                /* the bootloader's autobaud byte */
#define PROBE_TIMEOUT_MS 100          /* the bootloader answers a sync within a few ms */

/* TRUE when the MCU's ROM bootloader answers a sync on the board's RS485 link (ACK, or
 * NACK when it was already synchronised). Enters and leaves the bootloader around it. */
static gboolean bootloader_answers_on_dut(Fixture *fixture, SwitchUnit *sw)
{
  JkBms *dut = fixture_instrument(fixture, "dut");
  if (!dut || !enter_bootloader(sw, NULL))
    return FALSE;
  Transport *link = modbus_rtu_transport(jkbms_bus(dut));
  transport_discard_input(link);
  const guint8 sync = SYNC_BYTE;
  guint8 answer = 0;
  gboolean answered = transport_write(link, &sync, 1, NULL) &&
                      transport_read_exact(link, &answer, 1, PROBE_TIMEOUT_MS, NULL) &&
                      (answer == 0x79 || answer == 0x1F);
  transport_drain_input(link, 5);
  leave_bootloader(sw, NULL);
  return answered;
}

/* Runs the flasher with options through the fixture; a bootloader silent on the boot link
 * but answering on the board link is FIXTURE_ERROR_CONFIG (links swapped). */
static gboolean flash_through(Fixture *fixture, Transport *boot, SwitchUnit *sw,
                              const FirmwareImage *image, Stm32FlashOptions *options,
                              Stm32FlashReport *report, GError **error)
{
  options->enter = enter_bootloader;
  options->leave = leave_bootloader;
  options->boot_data = sw;
  GError *local = NULL;
  if (stm32_flash(boot, image, options, report, &local))
    return TRUE;
  if (g_error_matches(local, FIRMWARE_ERROR, FIRMWARE_ERROR_NO_SYNC) &&
      bootloader_answers_on_dut(fixture, sw)) {
    JkBms *dut = fixture_instrument(fixture, "dut");
    g_set_error(error, FIXTURE_ERROR, FIXTURE_ERROR_CONFIG,
                "%s: the MCU's bootloader answers on the board link [dut] (%s), not on the "
                "boot link [boot] (%s): the fixture file has the two links swapped; correct "
                "their resources", fixture->path, jkbms_resource(dut), transport_resource(boot));
    g_error_free(local);
    return FALSE;
  }
  g_propagate_error(error, local);
  return FALSE;
}

/* The image bytes the boot code's CRC-32 cannot vouch for, into spans (at most 2): the
 * header, whose CRC field the CRC takes as zero and whose length says what it covers (read
 * back, they tie the boot code's verdict to this image), and bytes past that length. */
static guint uncovered_spans(const FirmwareImage *image, const FirmwareHeader *header,
                             Stm32Span spans[2])
{
  guint count = 0;
  spans[count++] = (Stm32Span){JK_IMAGE_HEADER_OFFSET, JK_IMAGE_HEADER_SIZE};
  if (image->length > header->length)
    spans[count++] = (Stm32Span){header->length, image->length - header->length};
  return count;
}

/* Asks the board, reset into its image, for its software version: ACCEPTED when it answers
 * with the image's; SILENT when it does not answer; another version is
 * FIRMWARE_ERROR_VERIFY. */
static gboolean ask_boot_check(JkBms *dut, const FirmwareHeader *header,
                               FixtureBootCheck *check, GError **error)
{
  char running[9];
  g_autoptr(GError) silent = NULL;
  if (!jkbms_read_sw_version(dut, running, &silent)) {
    g_info("the board does not answer on RS485 after the flash: %s", silent->message);
    *check = FIXTURE_BOOT_SILENT;
    return TRUE;
  }
  g_autofree char *expected = g_strndup(header->version, sizeof running - 1);
  if (!g_str_equal(running, expected)) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_VERIFY,
                "after the flash the board runs firmware '%s', not the image's '%s'",
                running, expected);
    return FALSE;
  }
  *check = FIXTURE_BOOT_ACCEPTED;
  return TRUE;
}

/* Adds a second pass's link use and read-back to the flash's report. */
static void add_pass(Stm32FlashReport *total, const Stm32FlashReport *pass)
{
  total->bytes_verified = pass->bytes_verified;
  total->retries += pass->retries;
  total->pipelined = total->pipelined && pass->pipelined;
  total->link_bytes += pass->link_bytes;
  total->link_seconds += pass->link_seconds;
  total->seconds += pass->seconds;
}

/* A board silent after the flash: every byte read back. A mismatch is the flash's failure,
 * which the boot code saw first; a match leaves the board's silence to the step that talks to
 * it, after boot_s more for the reset the read-back ends with. */
static gboolean read_back_silent_board(Fixture *fixture, Transport *boot, SwitchUnit *sw,
                                       const FirmwareImage *image,
                                       const FixtureFlashOptions *options,
                                       FixtureFlashReport *report, GError **error)
{
  Stm32FlashOptions whole;
  stm32_flash_options_init(&whole);
  whole.program = FALSE;
  whole.progress = options->progress;
  whole.progress_data = options->progress_data;
  Stm32FlashReport pass;
  GError *local = NULL;
  gboolean ok = flash_through(fixture, boot, sw, image, &whole, &pass, &local);
  add_pass(&report->flasher, &pass);
  if (!ok) {
    if (g_error_matches(local, FIRMWARE_ERROR, FIRMWARE_ERROR_VERIFY)) {
      g_set_error(error, local->domain, local->code,
                  "%s (the board's boot code rejected the image: no answer on RS485 %.3g s "
                  "after the reset)", local->message, options->boot_s);
      g_error_free(local);
    } else {
      g_propagate_error(error, local);
    }
    return FALSE;
  }
  g_info("the board is silent on RS485 after the flash, but every byte of its flash reads "
         "back as written");
  return options->wait(options->wait_data, options->boot_s, error);
}

gboolean fixture_flash(Fixture *fixture, const FirmwareImage *image,
                       const FixtureFlashOptions *options, FixtureFlashReport *report,
                       GError **error)
{
  FixtureFlashReport local_report;
  if (report == NULL)
    report = &local_report;
  memset(report, 0, sizeof *report);
  Transport *boot = fixture_instrument(fixture, "boot");
  SwitchUnit *sw = fixture_instrument(fixture, "switch");
  if (!boot || !sw) {
    g_set_error(error, FIXTURE_ERROR, FIXTURE_ERROR_CONFIG,
                "%s: no %s to flash through (a fixture that flashes needs a [boot] link to the "
                "MCU's UART and a [switch] unit for BOOT0/NRST)", fixture->path,
                !boot ? "[boot] link" : "[switch] unit");
    return FALSE;
  }
  /* The boot code's check needs the board link and an image the boot code reads. */
  JkBms *dut = fixture_instrument(fixture, "dut");
  FirmwareHeader header;
  gboolean by_boot_code = options->boot_s > 0 && options->wait && dut &&
                          firmware_header_check(image, &header, NULL);
  Stm32Span spans[2];
  Stm32FlashOptions flasher;
  stm32_flash_options_init(&flasher);
  flasher.progress = options->progress;
  flasher.progress_data = options->progress_data;
  if (by_boot_code) {
    flasher.read_back = spans;
    flasher.read_back_spans = uncovered_spans(image, &header, spans);
  }
  if (!flash_through(fixture, boot, sw, image, &flasher, &report->flasher, error))
    return FALSE;
  if (!by_boot_code)
    return TRUE;
  if (!options->wait(options->wait_data, options->boot_s, error) ||
      !ask_boot_check(dut, &header, &report->boot_check, error))
    return FALSE;
  if (report->boot_check == FIXTURE_BOOT_ACCEPTED) {
    report->crc_checked = header.length;
    return TRUE;
  }
  return read_back_silent_board(fixture, boot, sw, image, options, report, error);
}
