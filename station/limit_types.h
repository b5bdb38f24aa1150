/* The kinds of the limits a sequence reads (sequences/limits.types, a GLib key file with the
 * groups of limits.conf and, per key, number / number? / numbers / word). A run's resolved
 * limits are checked against it before the board is touched: a key the sequence reads that is
 * missing, a value of the wrong kind, or a key nobody reads (a typing error in its name) is
 * refused naming the limits file, the group and the key. */
#pragma once
#include <glib.h>
#include "station/limit_table.h"

/* The types file for a limits file: beside it with .types for .conf when that exists,
 * else the station's sequences/limits.types. */
char *limit_types_path_for(const char *limits_path);

/* Checks table (resolved from limits_path) against types_path; STATION_ERROR_LIMITS. */
gboolean limit_types_check(const LimitTable *table, const char *limits_path,
                           const char *types_path, GError **error);
