/* For the db/ modules that extend the result store (db/firmware_store.c): a Store's SQLite
 * connection, held under the Store's mutex, and its error wording. Not for code outside db/. */
#pragma once
#include <sqlite3.h>
#include "db/store.h"

/* Locks the Store (as every public store call does) and returns its connection. */
sqlite3 *store_lock_connection(Store *store);
/* Unlocks what store_lock_connection locked. */
void store_unlock_connection(Store *store);
/* The database file's path (borrowed). */
const char *store_path(const Store *store);
/* Sets STORE_ERROR_SQL "<doing> in <path>: <SQLite's words> (<what to check>)"; call with the
 * connection locked. */
void store_set_sql_error(Store *store, GError **error, int rc, const char *doing);
