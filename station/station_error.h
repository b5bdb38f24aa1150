/* The engine's error domain: what the station itself refuses or cannot do (as opposed to
 * FIXTURE_ERROR, the instruments, and STORE_ERROR, the database). */
#pragma once
#include <glib.h>

#define STATION_ERROR (station_error_quark())
GQuark station_error_quark(void);

typedef enum {
  STATION_ERROR_SERIAL,     /* scanned serial malformed or of an unknown model */
  STATION_ERROR_SEQUENCE,   /* sequence file missing, or a script error (file:line) */
  STATION_ERROR_LIMITS,     /* limits file missing or malformed */
  STATION_ERROR_ABORTED,    /* the operator aborted */
  STATION_ERROR_USAGE,      /* a command line the station does not understand */
  STATION_ERROR_TIME_LIMIT, /* a step (or the sequence's top level) ran past its limit */
  STATION_ERROR_ORDER,      /* an order the board's model cannot take: chemistry, cell count,
                               heater option or protection profile */
  STATION_ERROR_CONFIG,     /* the station's configuration file cannot be read or is wrong */
  STATION_ERROR_SHIFT_START, /* a production run on a fixture without the shift's golden check */
} StationErrorCode;
