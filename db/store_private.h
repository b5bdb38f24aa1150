/* The result store's insides, shared by the db/ files that make it up (store.c opens and
 * recovers, store_write.c writes runs, store_read.c reads them, firmware_store.c keeps
 * firmware) and by db/ modules that extend it. Not for code outside db/. */
#pragma once
#include <sqlite3.h>
#include "db/store.h"

struct Store {
  GMutex lock;                  /* held by every public call */
  sqlite3 *db;                  /* owned */
  char *path;                   /* database file, owned */
  int run_owner_fd;             /* <path>.runs: one byte locked per run going on (run_owner.h) */
  int owner_lock_fd;            /* <path>.lock, flock()ed shared while open; -1 when none */
  int schema_version;           /* PRAGMA user_version after migration */
  GHashTable *run_started_us;   /* gint64 run id -> gint64 monotonic start, µs (owned keys and
                                   values): runs begun by this Store, for duration_s */
};

/* Locks the Store (as every public store call does) and returns its connection. */
sqlite3 *store_lock_connection(Store *store);
/* Unlocks what store_lock_connection locked. */
void store_unlock_connection(Store *store);
/* The database file's path (borrowed). */
const char *store_path(const Store *store);
/* Sets STORE_ERROR_SQL "<doing> in <path>: <SQLite's words> (<what to check>)"; call with the
 * connection locked. */
void store_set_sql_error(Store *store, GError **error, int rc, const char *doing);
/* Appends the instruments a run recorded (RunInstrumentRow*, by role) to into; call with the
 * connection locked. */
gboolean store_read_run_instruments(Store *store, gint64 run_id, GPtrArray *into,
                                    const char *doing, GError **error);
