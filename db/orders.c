/* The production orders registered on the station (orders.h). */
#include "db/orders.h"
#include "db/store_sql.h"

#define ORDER_COLUMNS "id, cells, chemistry, heater, profile, source_sha256, changed_at, " \
                      "changed_by"

void order_row_free(OrderRow *row)
{
  if (!row)
    return;
  g_free(row->id);
  g_free(row->cells);
  g_free(row->chemistry);
  g_free(row->heater);
  g_free(row->profile);
  g_free(row->source_sha256);
  g_free(row->changed_at);
  g_free(row->changed_by);
  g_free(row);
}

char *order_values_describe(const char *cells, const char *chemistry, const char *heater,
                            const char *profile)
{
  return g_strdup_printf("cells=%s chemistry=%s heater=%s profile=%s", cells ? cells : "-",
                         chemistry ? chemistry : "-", heater ? heater : "-",
                         profile ? profile : "-");
}

static OrderRow *read_order(sqlite3_stmt *statement)
{
  OrderRow *row = g_new0(OrderRow, 1);
  char **fields[] = {&row->id, &row->cells, &row->chemistry, &row->heater, &row->profile,
                     &row->source_sha256, &row->changed_at, &row->changed_by};
  for (guint i = 0; i < G_N_ELEMENTS(fields); i++)
    *fields[i] = sql_column_text(statement, (int)i);
  return row;
}

/* The order with this id; removed ones too when `removed` is given (set to whether it is). */
static OrderRow *find_locked(Store *store, const char *id, gboolean *removed, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT " ORDER_COLUMNS ", removed_at IS NOT NULL FROM orders "
                   "WHERE id = ?1 AND (?2 OR removed_at IS NULL)", &statement,
                   "looking up an order", error))
    return NULL;
  sql_bind_text(statement, 1, id);
  sqlite3_bind_int(statement, 2, removed != NULL);
  int rc = sqlite3_step(statement);
  OrderRow *row = NULL;
  if (rc == SQLITE_ROW) {
    row = read_order(statement);
    if (removed)
      *removed = sqlite3_column_int(statement, 8);
  } else if (rc == SQLITE_DONE) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                "order '%s' is not registered on this station (station orders lists them; an "
                "engineer registers one with station orders add FILE)", id);
  } else {
    store_set_sql_error(store, error, rc, "looking up an order");
  }
  sqlite3_finalize(statement);
  return row;
}

static char *describe_row(const OrderRow *row)
{
  return order_values_describe(row->cells, row->chemistry, row->heater, row->profile);
}

static gboolean put_locked(Store *store, const char *actor, const OrderRow *order,
                           GError **error)
{
  gboolean removed = FALSE;
  g_autoptr(OrderRow) old = find_locked(store, order->id, &removed, NULL);
  g_autofree char *now = sql_timestamp_now();
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "INSERT INTO orders (" ORDER_COLUMNS ", removed_at) VALUES "
                   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL) ON CONFLICT (id) DO UPDATE SET "
                   "cells = ?2, chemistry = ?3, heater = ?4, profile = ?5, "
                   "source_sha256 = ?6, changed_at = ?7, changed_by = ?8, removed_at = NULL",
                   &statement, "registering an order", error))
    return FALSE;
  const char *values[] = {order->id, order->cells, order->chemistry, order->heater,
                          order->profile, order->source_sha256, now, actor};
  for (guint i = 0; i < G_N_ELEMENTS(values); i++)
    sql_bind_text(statement, (int)i + 1, values[i]);
  if (!sql_step_done(store, statement, "registering an order", error))
    return FALSE;
  g_autofree char *before = NULL;
  if (old) {
    g_autofree char *values_before = describe_row(old);
    before = removed ? g_strdup_printf("removed, was %s", values_before)
                     : g_steal_pointer(&values_before);
  }
  g_autofree char *after = describe_row(order);
  return sql_audit_change(store, now, actor, old && !removed ? "order.change" : "order.add",
                          order->id, before, after, error);
}

static gboolean remove_locked(Store *store, const char *actor, const char *id, GError **error)
{
  g_autoptr(OrderRow) old = find_locked(store, id, NULL, error);
  if (!old)
    return FALSE;
  g_autofree char *now = sql_timestamp_now();
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "UPDATE orders SET removed_at = ?2, changed_by = ?3 WHERE id = ?1",
                   &statement, "removing an order", error))
    return FALSE;
  sql_bind_text(statement, 1, id);
  sql_bind_text(statement, 2, now);
  sql_bind_text(statement, 3, actor);
  g_autofree char *before = describe_row(old);
  return sql_step_done(store, statement, "removing an order", error) &&
         sql_audit_change(store, now, actor, "order.remove", id, before, NULL, error);
}

gboolean store_order_put(Store *store, const char *actor, const OrderRow *order,
                         GError **error)
{
  g_return_val_if_fail(store != NULL && order != NULL && order->id != NULL, FALSE);
  gboolean ok;
  SQL_IN_TRANSACTION(store, "changing orders", error, put_locked(store, actor, order, error));
  return ok;
}

gboolean store_order_remove(Store *store, const char *actor, const char *id, GError **error)
{
  g_return_val_if_fail(store != NULL && id != NULL, FALSE);
  gboolean ok;
  SQL_IN_TRANSACTION(store, "changing orders", error, remove_locked(store, actor, id, error));
  return ok;
}

OrderRow *store_order_find(Store *store, const char *id, GError **error)
{
  g_return_val_if_fail(store != NULL && id != NULL, NULL);
  g_mutex_lock(&store->lock);
  OrderRow *row = find_locked(store, id, NULL, error);
  g_mutex_unlock(&store->lock);
  return row;
}

GPtrArray *store_order_list(Store *store, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func((GDestroyNotify)order_row_free);
  gboolean ok = FALSE;
  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store, "SELECT " ORDER_COLUMNS " FROM orders WHERE removed_at IS NULL "
                  "ORDER BY id", &statement, "listing orders", error)) {
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
      g_ptr_array_add(orders, read_order(statement));
    ok = rc == SQLITE_DONE;
    if (!ok)
      store_set_sql_error(store, error, rc, "listing orders");
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok ? g_steal_pointer(&orders) : NULL;
}
