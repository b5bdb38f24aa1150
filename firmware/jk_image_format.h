/* The layout of a JK board firmware image as the board's boot code checks it before it runs
 * the application. Shared, as a specification, by the twin (which boots only well-formed
 * images) and the station's firmware tools (which read, sign and flash them); each side
 * implements its own check.
 *
 * An image is a flat binary loaded at the start of flash (0x08000000). The Cortex-M vector
 * table occupies its first bytes; at byte offset JK_IMAGE_HEADER_OFFSET sits this header,
 * all fields little-endian (as the MCU reads them):
 *
 *   +0x00 u32  magic          JK_IMAGE_MAGIC (bytes 'J' 'K' 'F' 'W')
 *   +0x04 u16  header version JK_IMAGE_HEADER_VERSION
 *   +0x06 u16  model count    1..JK_IMAGE_MAX_MODELS
 *   +0x08 u32  image length   bytes from the start of the image, header included,
 *                             JK_IMAGE_MIN_LENGTH..JK_IMAGE_FLASH_SIZE
 *   +0x0C u32  CRC-32         IEEE 802.3 (zlib's crc32) of the first `image length` bytes,
 *                             with these four bytes taken as zero
 *   +0x10 char version[16]    e.g. "11.26", NUL padded
 *   +0x20 char models[8][16]  the board models the image runs on, e.g. "B2A24S15P", NUL
 *                             padded; entries past `model count` are all zero
 *   +0xA0 u32  build date     YYYYMMDD
 *   +0xA4 ...  zero up to JK_IMAGE_HEADER_SIZE
 */
#pragma once

#define JK_IMAGE_FLASH_BASE      0x08000000u
#define JK_IMAGE_FLASH_SIZE      (64u * 1024u)   /* bytes, STM32F103C8-class part */
#define JK_IMAGE_PAGE_SIZE       1024u           /* bytes per flash page */
#define JK_IMAGE_HEADER_OFFSET   0x200u
#define JK_IMAGE_HEADER_SIZE     0x100u
#define JK_IMAGE_MIN_LENGTH      (JK_IMAGE_HEADER_OFFSET + JK_IMAGE_HEADER_SIZE)
#define JK_IMAGE_MAGIC           0x57464B4Au     /* "JKFW" read as a little-endian u32 */
#define JK_IMAGE_HEADER_VERSION  1u
#define JK_IMAGE_MAX_MODELS      8u
#define JK_IMAGE_NAME_SIZE       16u

#define JK_IMAGE_OFF_MAGIC       0x00u
#define JK_IMAGE_OFF_HDR_VERSION 0x04u
#define JK_IMAGE_OFF_MODEL_COUNT 0x06u
#define JK_IMAGE_OFF_LENGTH      0x08u
#define JK_IMAGE_OFF_CRC         0x0Cu
#define JK_IMAGE_OFF_VERSION     0x10u
#define JK_IMAGE_OFF_MODELS      0x20u
#define JK_IMAGE_OFF_BUILD_DATE  0xA0u
