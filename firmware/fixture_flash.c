/* Flashing through the fixture: BOOT0 high and a reset pulse to enter the ROM bootloader,
 * BOOT0 low and a reset pulse to start the new image. */
#include "firmware/fixture_flash.h"
#include "fixtures/fixture_error.h"
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
  return stm32_flash(boot, image, &options, report, error);
}
