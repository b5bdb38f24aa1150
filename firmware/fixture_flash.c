/* Flashing through the fixture: BOOT0 high and a reset pulse to enter the ROM bootloader,
 * BOOT0 low and a reset pulse to start the new image. When the bootloader does not answer on
 * the boot link, the board's RS485 link is asked too: a bootloader that answers there means
 * the fixture file has the two links swapped, which is the station's fault, not the board's. */
#include "firmware/fixture_flash.h"
#include "firmware/firmware_error.h"
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

gboolean fixture_flash(Fixture *fixture, const FirmwareImage *image, Stm32ProgressFn progress,
                       gpointer progress_data, Stm32FlashReport *report, GError **error)
{
  Transport *boot = fixture_instrument(fixture, "boot");
  SwitchUnit *sw = fixture_instrument(fixture, "switch");
  if (!boot || !sw) {
    g_set_error(error, FIXTURE_ERROR, FIXTURE_ERROR_CONFIG,
                "%s: no %s to flash through (a fixture that flashes needs a [boot] link to the "
                "MCU's UART and a [switch] unit for BOOT0/NRST)", fixture->path,
                !boot ? "[boot] link" : "[switch] unit");
    return FALSE;
  }
  Stm32FlashOptions options;
  stm32_flash_options_init(&options);
  options.enter = enter_bootloader;
  options.leave = leave_bootloader;
  options.boot_data = sw;
  options.progress = progress;
  options.progress_data = progress_data;
  GError *local = NULL;
  if (stm32_flash(boot, image, &options, report, &local))
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
