/* The STM32 ROM bootloader client (USART protocol, ST AN3155): flashes a FirmwareImage into
 * the board's MCU through any Transport (a serial port or the twin's pseudo-terminal; the
 * framing, 8E1 on real parts, 8N1 on a pty, comes from the resource string).
 *
 * The caller puts the MCU into its bootloader and takes it out again through callbacks (the
 * fixture's switch unit drives BOOT0 and NRST; a fixture may do it by FTDI bit-bang), so the
 * flasher knows nothing of the fixture. Steps: enter, sync 0x7F, Get (the commands it needs
 * must be listed), Get ID (0x0410), erase only the pages the image covers (Erase 0x43, or
 * Extended Erase 0x44 when Get lists it), write in 256-byte blocks (Write Memory 0x31), read
 * back every byte, or only the spans the caller names (Read Memory 0x11), leave (the callback,
 * or Go 0x21 when there is none). NACKs and timeouts are retried after resynchronising with
 * the bootloader, up to a limit.
 *
 * The F1's bootloader (version 2.2) has no checksum command (its Get lists none; the CRC
 * command 0xA1 of later bootloaders is absent), so a flash that is not read back whole is
 * verified by the image's own CRC-32, which the board's boot code checks
 * (firmware/fixture_flash.h). */
#pragma once
#include <glib.h>
#include "firmware/image.h"
#include "fixtures/transport.h"

#define STM32_CHIP_ID_F103_MEDIUM 0x0410u   /* STM32F103 medium density (and HK32F103) */
#define STM32_BLOCK_BYTES 256u              /* bytes per Write/Read Memory */

typedef enum {
  STM32_PHASE_ERASE,
  STM32_PHASE_WRITE,
  STM32_PHASE_VERIFY,
} Stm32Phase;

/* A run of image bytes: offset from the image's first byte, length in bytes. */
typedef struct {
  gsize offset;
  gsize length;
} Stm32Span;

/* Puts the MCU into its ROM bootloader (BOOT0 high, NRST pulse) or back to its application
 * (BOOT0 low, NRST pulse). */
typedef gboolean (*Stm32BootFn)(gpointer user_data, GError **error);
/* Reports bytes done of total in a phase; returns FALSE to stop the flash. */
typedef gboolean (*Stm32ProgressFn)(gpointer user_data, Stm32Phase phase, gsize done,
                                    gsize total);

typedef struct {
  Stm32BootFn enter;            /* NULL: the MCU is already in its bootloader */
  Stm32BootFn leave;            /* NULL: leave with Go 0x21 at the image's base address */
  gpointer boot_data;           /* for enter and leave */
  Stm32ProgressFn progress;     /* NULL: none */
  gpointer progress_data;
  int sync_attempts;            /* 0x7F sent at most this often (default 8) */
  int sync_timeout_ms;          /* ms to wait for the answer to each 0x7F (default 100) */
  int timeout_ms;               /* ms to wait for any other answer byte (default 1000) */
  int retries;                  /* tries of a command after its first NACK/timeout (default 3) */
  gboolean pipeline;            /* send a command's parts without waiting for each ACK where
                                   the bootloader only listens (default TRUE; turned off for
                                   the rest of a flash after a failure) */
  gboolean program;             /* erase and write the image (default TRUE); FALSE only reads
                                   back and compares */
  const Stm32Span *read_back;   /* the spans read back and compared; NULL: every byte */
  guint read_back_spans;        /* how many (0 with read_back set: none) */
} Stm32FlashOptions;

/* What a flash did, for the run record and for timing. */
typedef struct {
  guint8 bootloader_version;    /* e.g. 0x22 for 2.2 */
  guint16 chip_id;
  gboolean extended_erase;      /* Erase 0x44 was used */
  guint pages_erased;
  gsize bytes_written;          /* bytes, image bytes written */
  gsize bytes_verified;         /* bytes, image bytes read back and found as written */
  guint retries;                /* commands tried again after a NACK or timeout */
  gboolean pipelined;           /* pipelining stayed on for the whole flash */
  gsize link_bytes;             /* bytes sent and received */
  double link_seconds;          /* s, the time link_bytes take on the wire */
  double seconds;               /* s, wall time from enter to leave */
} Stm32FlashReport;

/* Default options: no callbacks, the limits above. */
void stm32_flash_options_init(Stm32FlashOptions *options);

/* Flashes image (within the part's flash), reads back what options name and leaves the
 * bootloader; report may be NULL. leave is called after every successful enter, even when the flash fails. Errors:
 * FIRMWARE_ERROR_NO_SYNC "no answer to sync ...: check the board's power and the UART
 * wiring", FIRMWARE_ERROR_CHIP "wrong chip ID 0x0XXX, expected 0x0410 (STM32F103 medium
 * density)", FIRMWARE_ERROR_BOOTLOADER "write failed at address 0x0800XXXX ...",
 * FIRMWARE_ERROR_VERIFY "verify mismatch at address 0x0800XXXX: wrote 0xAB, read 0xFF",
 * FIRMWARE_ERROR_ABORTED, or the callbacks' and the transport's own errors. */
gboolean stm32_flash(Transport *transport, const FirmwareImage *image,
                     const Stm32FlashOptions *options, Stm32FlashReport *report,
                     GError **error);
