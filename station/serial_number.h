/* The board's serial number as scanned from its barcode: <MODEL>-<YYWW>-<NNNNN>,
 * e.g. B2A24S15P-2648-00017 (model, year and ISO week of manufacture, unit number). */
#pragma once
#include <glib.h>
#include "sequences/catalog.h"

typedef struct {
  char text[48];                /* the serial as scanned, normalised to upper case */
  const ModelInfo *model;       /* borrowed from the catalog */
  int year;                     /* 2000 + YY */
  int week;                     /* 1..53 */
  int unit;                     /* 0..99999 */
} SerialNumber;

/* Parses and checks a scanned serial. On error the message says what was wrong and what
 * was expected (STATION_ERROR_SERIAL). Leading/trailing white space is ignored. */
gboolean serial_number_parse(const char *text, const Catalog *catalog, SerialNumber *out,
                             GError **error);
