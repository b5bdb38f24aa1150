/* The firmware tools' error domain (see firmware_error.h). */
#include "firmware/firmware_error.h"

G_DEFINE_QUARK(firmware-error-quark, firmware_error)
