/* Flashing a board in its fixture: the fixture's switch unit drives the MCU's BOOT0 and NRST
 * lines into and out of the ROM bootloader, and the flasher talks over the fixture's [boot]
 * link. Used by the EOL sequence's flash step and by `station firmware flash`. */
#pragma once
#include <glib.h>
#include "fixtures/fixture.h"
#include "firmware/stm32_flasher.h"

/* Flashes and verifies image, then resets the board into it. FIRMWARE_ERROR_* for what the
 * board did (no sync, wrong chip, NACK, verify mismatch); FIXTURE_ERROR_CONFIG when the
 * fixture has no [boot] link or [switch] unit. progress may be NULL. */
gboolean fixture_flash(Fixture *fixture, const FirmwareImage *image, Stm32ProgressFn progress,
                       gpointer progress_data, Stm32FlashReport *report, GError **error);
