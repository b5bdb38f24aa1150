/* Flashing a board in its fixture: the fixture's switch unit drives the MCU's BOOT0 and NRST
 * lines into and out of the ROM bootloader, and the flasher talks over the fixture's [boot]
 * link. Used by the EOL sequence's flash step and by `station firmware flash`.
 *
 * Verifying by the board's boot code (options.boot_s > 0): the part's bootloader has no
 * checksum command, but the board's boot code checks the image's CRC-32 over its header's
 * `length` bytes before it runs it (firmware/jk_image_format.h) and a board whose image fails
 * stays silent on RS485 (DESIGN.md §3: the register map has no register for the verdict; the
 * verdict is the board answering with the image's version in 0x1418). So the flasher reads
 * back only what that CRC cannot vouch for: the header (its length and CRC field, binding the
 * verdict to this image and not to any well-formed one) and any image bytes past the header's
 * length. After the reset into the image and boot_s, the board must answer on RS485 with the
 * image's version. A board that stays silent is read back whole, which tells a damaged flash
 * (FIRMWARE_ERROR_VERIFY naming the first address that differs) from a board whose flash is
 * right but whose RS485 is not (the flash passes; the next step that talks to the board
 * judges it). */
#pragma once
#include <glib.h>
#include "fixtures/fixture.h"
#include "firmware/stm32_flasher.h"

/* Waits seconds on the run's clock (the run's own wait: counted in its plan, ended by an
 * abort). */
typedef gboolean (*FixtureFlashWaitFn)(gpointer user_data, double seconds, GError **error);

typedef struct {
  double boot_s;                /* s from the reset into the image until the board answers on
                                   RS485; 0: no boot check, every byte is read back */
  FixtureFlashWaitFn wait;      /* required with boot_s */
  gpointer wait_data;
  Stm32ProgressFn progress;     /* NULL: none */
  gpointer progress_data;
} FixtureFlashOptions;

typedef enum {
  FIXTURE_BOOT_NOT_ASKED,       /* every byte was read back instead */
  FIXTURE_BOOT_ACCEPTED,        /* the board runs the image: its boot code's CRC-32 matched */
  FIXTURE_BOOT_SILENT,          /* no answer on RS485 after the reset */
} FixtureBootCheck;

typedef struct {
  Stm32FlashReport flasher;     /* of the flash; link bytes, retries and bytes_verified (bytes
                                   read back) include the whole read-back of a silent board */
  gsize crc_checked;            /* image bytes the boot code's CRC-32 covered and accepted */
  FixtureBootCheck boot_check;
} FixtureFlashReport;

/* Flashes and verifies image, then resets the board into it (and, with boot_s, has given it
 * boot_s to start). FIRMWARE_ERROR_* for what the board did (no sync, wrong chip, NACK, verify
 * mismatch, another version running); FIXTURE_ERROR_CONFIG when the fixture has no [boot] link
 * or [switch] unit. report may be NULL. */
gboolean fixture_flash(Fixture *fixture, const FirmwareImage *image,
                       const FixtureFlashOptions *options, FixtureFlashReport *report,
                       GError **error);
