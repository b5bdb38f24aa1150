/* The SQL helpers every db/ module of the result store shares (private to db/): timestamps
 * as the store writes them, binding and reading columns with NULL as "no value", preparing
 * and running statements with errors that name what was being done, and rolling back. Every
 * helper that takes a Store is called with the Store's connection locked. */
#pragma once
#include <glib.h>
#include <sqlite3.h>
#include "db/store_private.h"

/* A time as ISO 8601 UTC with milliseconds, "2026-11-25T01:02:03.456Z" (freeing). */
char *sql_timestamp_utc(gint64 real_time_us);
/* The current time as sql_timestamp_utc() writes it (freeing). */
char *sql_timestamp_now(void);
/* A hint on what to check for an SQLite result code, " (...)", or "" when none applies. */
const char *sql_hint(int rc);

/* Binds text, or NULL when text is NULL. */
void sql_bind_text(sqlite3_stmt *statement, int index, const char *text);
/* Binds a number, or NULL when it is NAN (no value). */
void sql_bind_number(sqlite3_stmt *statement, int index, double value);
/* Binds a run's start to ?1..?18 of the runs insert of store_write.c: serial, model, station,
 * fixture, slot, operator, sequence name and hash, limits and firmware hashes, app version
 * (?1..?11), started_at (?12), order, chemistry, cell count, purpose, heater, profile. */
void sql_bind_run_start(sqlite3_stmt *statement, const RunStart *run, const char *started_at);
/* Binds a measurement to ?1..?11 of "INSERT INTO measurements (step_id, name, unit, value,
 * text, low, high, comparison, expected, outcome, taken_at ...)". */
void sql_bind_measurement(sqlite3_stmt *statement, gint64 step_id, const MeasurementRecord *m,
                          const char *taken_at);
/* A column's text, newly allocated, or NULL for SQL NULL. */
char *sql_column_text(sqlite3_stmt *statement, int column);
/* A column's number, NAN for SQL NULL. */
double sql_column_number(sqlite3_stmt *statement, int column);
/* A column's blob as GBytes (freeing), or NULL for SQL NULL. */
GBytes *sql_column_bytes(sqlite3_stmt *statement, int column);

/* Prepares one statement; FALSE with STORE_ERROR_SQL naming what it was for. */
gboolean sql_prepare(Store *store, const char *sql, sqlite3_stmt **statement,
                     const char *doing, GError **error);
/* Runs a statement without parameters or rows (BEGIN, COMMIT, PRAGMA ...). */
gboolean sql_exec(Store *store, const char *sql, const char *doing, GError **error);
/* Steps a statement that returns no rows, then finalizes it; FALSE with the error. */
gboolean sql_step_done(Store *store, sqlite3_stmt *statement, const char *doing,
                       GError **error);
/* Undoes an open transaction after a failure; the first error is the one reported. */
void sql_rollback(Store *store);
/* Writes an audit_log row: who (actor, "unknown" when NULL) did what to subject at now, with
 * the values before and after (NULL: none); in the caller's transaction. */
gboolean sql_audit_change(Store *store, const char *now, const char *actor, const char *action,
                          const char *subject, const char *old_value, const char *new_value,
                          GError **error);

/* Runs `call` (an expression, TRUE on success) in one IMMEDIATE transaction with the Store
 * locked, rolling back when it fails; sets the caller's gboolean `ok`. */
#define SQL_IN_TRANSACTION(store, doing, error, call)                                        \
  do {                                                                                       \
    g_mutex_lock(&(store)->lock);                                                            \
    ok = sql_exec(store, "BEGIN IMMEDIATE", doing, error) && (call) &&                       \
         sql_exec(store, "COMMIT", doing, error);                                            \
    if (!ok)                                                                                 \
      sql_rollback(store);                                                                   \
    g_mutex_unlock(&(store)->lock);                                                          \
  } while (0)
