/* The engine's error domain. */
#include "station/station_error.h"

G_DEFINE_QUARK(station-error-quark, station_error)
