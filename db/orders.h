/* The production orders registered on the station (table orders, schema version 10): what
 * each order's boards are built as (cells in series, chemistry, heater option, protection
 * profile), registered by an engineer from an order file and kept with that file's SHA-256.
 * A run of a registered order (station run --order ID) takes its values from here, so
 * operators run orders without writing them. Registering, changing and removing an order are
 * written to the audit log (order.add, order.change, order.remove) with who and the values
 * before and after. A removed order stays as history; registering its id again revives it. */
#pragma once
#include <glib.h>
#include "db/store.h"

typedef struct {
  char *id;
  char *cells, *chemistry, *heater, *profile;  /* as the order file gives them; NULL: not
                                                  given (the run's default) */
  char *source_sha256;          /* of the order file registered */
  char *changed_at, *changed_by;
} OrderRow;
void order_row_free(OrderRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OrderRow, order_row_free)

/* The values as the audit log and the CLI show them: "cells=16 chemistry=lfp heater=no
 * profile=cold", "-" for a value not given. Free with g_free. */
char *order_values_describe(const char *cells, const char *chemistry, const char *heater,
                            const char *profile);

/* Registers order (its id and values; changed_at/by are set here) as actor, replacing the
 * values of a registered order of the same id; audited with the values before and after. */
gboolean store_order_put(Store *store, const char *actor, const OrderRow *order,
                         GError **error);
/* Removes a registered order, audited; STORE_ERROR_NOT_FOUND when there is none. */
gboolean store_order_remove(Store *store, const char *actor, const char *id, GError **error);
/* The registered order with this id, or NULL: STORE_ERROR_NOT_FOUND when there is none. */
OrderRow *store_order_find(Store *store, const char *id, GError **error);
/* The registered orders by id (OrderRow*). */
GPtrArray *store_order_list(Store *store, GError **error);
