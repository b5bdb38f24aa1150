/* The order a board is built for: its cell chemistry, how many cells in series, whether it
 * has the heater option, and the protection profile of production settings (a layer of the
 * limits file, station/limit_table.h). A run configures and tests exactly that. Values come
 * as text (the command line, an order file) and are checked against the board's model
 * before anything is touched; each refusal is one sentence naming the value and what the
 * model allows (STATION_ERROR_ORDER). */
#pragma once
#include <glib.h>
#include "sequences/catalog.h"

typedef struct {
  Chemistry chemistry;
  int cell_count;               /* cells in series, within the model's range for chemistry */
  gboolean heater;              /* the board has (and is tested with) its heater option */
} Order;

/* The order for `model`: chemistry "lfp" (default), "liion", "lto"; cells as text, NULL for
 * the model's maximum of that chemistry; heater "yes" or "no", NULL for the model's option. */
gboolean order_resolve(const ModelInfo *model, const char *chemistry, const char *cells,
                       const char *heater, Order *out, GError **error);

/* An order file, a GLib key file with one group:
 *   [order]
 *   id = PO-4711
 *   cells = 16
 *   chemistry = lfp
 *   heater = no
 *   profile = cold
 * Every key is optional; keys left out take their defaults. Owned strings, NULL when absent. */
typedef struct {
  char *id, *cells, *chemistry, *heater, *profile;
} OrderFile;

/* Reads an order file; an unreadable file, a missing [order] group or an unknown key is
 * STATION_ERROR_ORDER naming the file and what it expected. */
gboolean order_file_load(const char *path, OrderFile *out, GError **error);
void order_file_clear(OrderFile *file);
