/* Spread of measurements over good boards: "a limit that good boards meet with no spread
 * proves nothing". Validation feeds it every measurement of every good board that passed;
 * it keeps n, mean, σ, min and max per measurement family (per-cell names pooled: cell_07_x
 * and cell_12_x are cell_NN_x) and flags a family that has limits and no spread, unless it is
 * an exact read-back (low == high, an expected text) or a count. */
#pragma once
#include <glib.h>
#include "station/measurement.h"

typedef struct SpreadTable SpreadTable;

typedef struct {
  const char *name;             /* family name, e.g. "cell_NN_error_at_3.300V" */
  const char *unit;
  guint n;
  double mean, sigma, min, max;
  gboolean has_limits;          /* at least one member had a low or high limit */
  gboolean exact;               /* an exact read-back or a count: no spread is expected */
  gboolean no_spread;           /* has limits, not exact, σ <= 10 ppm of the mean, n >= 2 */
} SpreadRow;

SpreadTable *spread_table_new(void);
void spread_table_free(SpreadTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SpreadTable, spread_table_free)

/* Adds one numeric measurement (textual ones are ignored). */
void spread_table_add(SpreadTable *table, const Measurement *m);
/* The rows sorted by name; valid until the next add or the free. */
GArray *spread_table_rows(SpreadTable *table);
/* Families flagged no_spread. */
guint spread_table_flagged(SpreadTable *table);
/* The family name of a measurement name (newly allocated). */
char *spread_family(const char *name);
