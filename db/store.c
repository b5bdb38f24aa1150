/* The result store: writes runs, steps and measurements to SQLite as they happen and reads
 * them back for the CLI and the UI. The database is in WAL mode with foreign keys on, a 5 s
 * busy timeout and synchronous=FULL, and every write is its own transaction, so whatever a
 * call wrote is on disk when it returns. All SQL uses prepared statements with bound values.
 *
 * Interrupted runs: a run left RUNNING by a station that stopped (crash, power loss) is
 * marked ABORTED by the next store_open(). So that `station runs` opened while a test is
 * going does not abort the live run, every open Store holds a shared flock() on a lock file
 * beside the database (<path>.lock) and only an opener that can take it exclusively, that
 * is when no other Store has the database open, marks RUNNING runs ABORTED. The kernel drops
 * the lock of a process that dies, so its runs are recovered by the next start.
 *
 * One Store may be shared by threads (the engine's worker and the UI): each call holds the
 * Store's mutex. */
#include "db/store.h"
#include "db/schema.h"
#include "db/store_private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#define STORE_BUSY_TIMEOUT_MS 5000
#define INTERRUPTED_RUN_MESSAGE "station stopped during the run"
#define INTERRUPTED_STEP_MESSAGE "station stopped during the step"

G_DEFINE_QUARK(store-error-quark, store_error)

struct Store {
  GMutex lock;                  /* held by every public call */
  sqlite3 *db;                  /* owned */
  char *path;                   /* database file, owned */
  int owner_lock_fd;            /* <path>.lock, flock()ed shared while open; -1 when none */
  int schema_version;           /* PRAGMA user_version after migration */
  GHashTable *run_started_us;   /* gint64 run id -> gint64 monotonic start, µs (owned keys and
                                   values): runs begun by this Store, for duration_s */
};

/* ---- small helpers ---- */

/* Returns the time as ISO 8601 UTC with milliseconds, "2026-11-25T01:02:03.456Z" (freeing). */
static char *timestamp_utc(gint64 real_time_us)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc(real_time_us / G_USEC_PER_SEC);
  g_autofree char *seconds = g_date_time_format(time, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf("%s.%03dZ", seconds, (int)((real_time_us % G_USEC_PER_SEC) / 1000));
}

/* Returns the current time as timestamp_utc() writes it (freeing). */
static char *timestamp_now(void)
{
  return timestamp_utc(g_get_real_time());
}

/* Returns a hint on what to check for an SQLite result code, "" when none applies. */
static const char *sqlite_hint(int rc)
{
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
    return " (another program kept the database locked for more than 5 s)";
  case SQLITE_FULL:
    return " (the disk is full)";
  case SQLITE_READONLY:
  case SQLITE_PERM:
  case SQLITE_CANTOPEN:
    return " (check that the file and its folder are writable)";
  case SQLITE_IOERR:
    return " (the disk reported an I/O error)";
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return " (the file is damaged; keep a copy and check the disk)";
  default:
    return "";
  }
}

/* Sets STORE_ERROR_SQL "<doing> in <path>: <SQLite's words> (<hint>)". */
static void set_sql_error(Store *store, GError **error, int rc, const char *doing)
{
  g_set_error(error, STORE_ERROR, STORE_ERROR_SQL, "%s in %s: %s%s", doing, store->path,
              sqlite3_errmsg(store->db), sqlite_hint(rc));
}

/* Prepares one statement; FALSE with STORE_ERROR_SQL naming what it was for. */
static gboolean prepare(Store *store, const char *sql, sqlite3_stmt **statement,
                        const char *doing, GError **error)
{
  int rc = sqlite3_prepare_v2(store->db, sql, -1, statement, NULL);
  if (rc != SQLITE_OK) {
    set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

/* Binds text, or NULL when text is NULL. */
static void bind_text(sqlite3_stmt *statement, int index, const char *text)
{
  if (text == NULL)
    sqlite3_bind_null(statement, index);
  else
    sqlite3_bind_text(statement, index, text, -1, SQLITE_TRANSIENT);
}

/* Binds a number, or NULL when it is NAN (no value). */
static void bind_number(sqlite3_stmt *statement, int index, double value)
{
  if (isnan(value))
    sqlite3_bind_null(statement, index);
  else
    sqlite3_bind_double(statement, index, value);
}

/* Returns a column's text, newly allocated, or NULL for SQL NULL. */
static char *column_text(sqlite3_stmt *statement, int column)
{
  const unsigned char *text = sqlite3_column_text(statement, column);
  return text != NULL ? g_strdup((const char *)text) : NULL;
}

/* Returns a column's number, NAN for SQL NULL. */
static double column_number(sqlite3_stmt *statement, int column)
{
  if (sqlite3_column_type(statement, column) == SQLITE_NULL)
    return NAN;
  return sqlite3_column_double(statement, column);
}

/* Runs a statement without parameters or rows (BEGIN, COMMIT, PRAGMA ...). */
static gboolean exec_plain(Store *store, const char *sql, const char *doing, GError **error)
{
  int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

/* Undoes an open transaction after a failure; the first error is the one reported. */
static void rollback(Store *store)
{
  if (!sqlite3_get_autocommit(store->db))
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- opening ---- */

/* Returns <user data dir>/jk-eol-station/results.db, creating its folder when it can (a
 * failure is reported by store_open()). */
char *store_default_path(void)
{
  g_autofree char *folder = g_build_filename(g_get_user_data_dir(), "jk-eol-station", NULL);
  g_mkdir_with_parents(folder, 0755);
  return g_build_filename(folder, "results.db", NULL);
}

/* Checks that the file is an SQLite database at all; STORE_ERROR_OPEN otherwise. */
static gboolean check_is_database(Store *store, GError **error)
{
  int rc = sqlite3_exec(store->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
  if (rc == SQLITE_NOTADB) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
                "%s is not an SQLite database (%s); check the path, or move the file aside "
                "and the station starts a new result store there", store->path,
                sqlite3_errmsg(store->db));
    return FALSE;
  }
  if (rc != SQLITE_OK) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot read the result database %s: %s%s",
                store->path, sqlite3_errmsg(store->db), sqlite_hint(rc));
    return FALSE;
  }
  return TRUE;
}

/* Sets foreign keys, WAL and full synchronisation; STORE_ERROR_OPEN when WAL is refused. */
static gboolean configure_connection(Store *store, GError **error)
{
  if (!exec_plain(store, "PRAGMA foreign_keys = ON", "turning on foreign keys", error) ||
      !exec_plain(store, "PRAGMA synchronous = FULL", "setting synchronous writes", error))
    return FALSE;

  sqlite3_stmt *statement = NULL;
  if (!prepare(store, "PRAGMA journal_mode = WAL", &statement, "switching to WAL mode", error))
    return FALSE;
  int rc = sqlite3_step(statement);
  g_autofree char *mode = rc == SQLITE_ROW ? column_text(statement, 0) : NULL;
  sqlite3_finalize(statement);
  if (rc != SQLITE_ROW) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot switch %s to WAL mode: %s%s",
                store->path, sqlite3_errmsg(store->db), sqlite_hint(rc));
    return FALSE;
  }
  if (mode == NULL || g_ascii_strcasecmp(mode, "wal") != 0) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
                "cannot switch %s to WAL mode (the journal mode stays '%s'); keep the result "
                "database on a local disk", store->path, mode ? mode : "unknown");
    return FALSE;
  }
  return TRUE;
}

/* Marks every RUNNING run ABORTED and its RUNNING steps ERROR, in one transaction. */
static gboolean abort_interrupted_runs(Store *store, GError **error)
{
  const char *doing = "marking interrupted runs ABORTED";
  if (!exec_plain(store, "BEGIN IMMEDIATE", doing, error))
    return FALSE;

  sqlite3_stmt *steps = NULL, *runs = NULL;
  gboolean ok =
      prepare(store,
              "UPDATE steps SET outcome = 'ERROR', message = ?1 WHERE outcome = 'RUNNING' "
              "AND run_id IN (SELECT id FROM runs WHERE outcome = 'RUNNING')",
              &steps, doing, error) &&
      prepare(store, "UPDATE runs SET outcome = 'ABORTED', message = ?1 "
                     "WHERE outcome = 'RUNNING'", &runs, doing, error);
  if (ok) {
    bind_text(steps, 1, INTERRUPTED_STEP_MESSAGE);
    bind_text(runs, 1, INTERRUPTED_RUN_MESSAGE);
    int rc = sqlite3_step(steps);
    if (rc == SQLITE_DONE)
      rc = sqlite3_step(runs);
    if (rc != SQLITE_DONE) {
      set_sql_error(store, error, rc, doing);
      ok = FALSE;
    }
  }
  sqlite3_finalize(steps);
  sqlite3_finalize(runs);
  if (ok)
    ok = exec_plain(store, "COMMIT", doing, error);
  if (!ok)
    rollback(store);
  return ok;
}

/* Takes the shared owner lock, first recovering interrupted runs when no other Store has the
 * database open; STORE_ERROR_OPEN when the lock file cannot be made. */
static gboolean take_owner_lock(Store *store, GError **error)
{
  g_autofree char *lock_path = g_strconcat(store->path, ".lock", NULL);
  store->owner_lock_fd = g_open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (store->owner_lock_fd < 0) {
    int saved_errno = errno;
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
                "cannot create the lock file %s: %s (check that the folder is writable)",
                lock_path, g_strerror(saved_errno));
    return FALSE;
  }

  if (flock(store->owner_lock_fd, LOCK_EX | LOCK_NB) == 0) {
    /* nobody else has the database open: RUNNING runs belong to a station that stopped */
    if (!abort_interrupted_runs(store, error))
      return FALSE;
  }
  /* shared from here on (a conversion when exclusive, else a wait for a recovering opener) */
  while (flock(store->owner_lock_fd, LOCK_SH) != 0) {
    if (errno != EINTR) {
      int saved_errno = errno;
      g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot lock %s: %s", lock_path,
                  g_strerror(saved_errno));
      return FALSE;
    }
  }
  return TRUE;
}

/* Opens (creating folders, file and schema as needed) the result database at path, brings
 * its schema up to date and marks runs interrupted by a stopped station ABORTED. */
Store *store_open(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);

  g_autofree char *folder = g_path_get_dirname(path);
  if (g_mkdir_with_parents(folder, 0755) != 0) {
    int saved_errno = errno;
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
                "cannot create the folder %s for the result database: %s", folder,
                g_strerror(saved_errno));
    return NULL;
  }

  g_autoptr(Store) store = g_new0(Store, 1);
  g_mutex_init(&store->lock);
  store->path = g_strdup(path);
  store->owner_lock_fd = -1;
  store->run_started_us = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);

  int rc = sqlite3_open_v2(path, &store->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot open the result database %s: %s%s",
                path, store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc),
                sqlite_hint(rc));
    return NULL;
  }
  sqlite3_extended_result_codes(store->db, 1);
  sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS);

  if (!check_is_database(store, error) || !configure_connection(store, error) ||
      !schema_migrate(store->db, path, &store->schema_version, error) ||
      !take_owner_lock(store, error))
    return NULL;
  return g_steal_pointer(&store);
}

/* Closes the database (checkpointing the WAL) and frees the Store; NULL is ignored. */
void store_close(Store *store)
{
  if (store == NULL)
    return;
  if (store->db != NULL)
    sqlite3_close_v2(store->db);
  if (store->owner_lock_fd >= 0)
    close(store->owner_lock_fd);    /* drops the flock */
  g_hash_table_unref(store->run_started_us);
  g_free(store->path);
  g_mutex_clear(&store->lock);
  g_free(store);
}

/* Returns the database's schema version (PRAGMA user_version). */
int store_schema_version(Store *store)
{
  g_return_val_if_fail(store != NULL, -1);
  return store->schema_version;
}

/* ---- writing a run ---- */

/* Records the station, fixture (one more contact cycle) and operator of a starting run;
 * inside the caller's transaction. */
static gboolean register_run_resources(Store *store, const RunStart *run, const char *now,
                                       GError **error)
{
  static const char *const SQL[] = {
    "INSERT INTO stations (id, first_seen, last_seen) VALUES (?1, ?4, ?4) "
    "ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen",
    "INSERT INTO fixtures (id, station_id, contact_cycles, first_seen, last_seen) "
    "VALUES (?2, ?1, 1, ?4, ?4) ON CONFLICT (id) DO UPDATE SET "
    "contact_cycles = contact_cycles + 1, station_id = excluded.station_id, "
    "last_seen = excluded.last_seen",
    "INSERT INTO operators (name, role, created_at) VALUES (?3, 'operator', ?4) "
    "ON CONFLICT (name) DO NOTHING",
  };
  const char *const KEY[] = { run->station_id, run->fixture_id, run->operator_name };
  const char *doing = "recording the station, fixture and operator of a run";

  for (guint i = 0; i < G_N_ELEMENTS(SQL); i++) {
    if (KEY[i] == NULL)
      continue;
    sqlite3_stmt *statement = NULL;
    if (!prepare(store, SQL[i], &statement, doing, error))
      return FALSE;
    bind_text(statement, 1, run->station_id);
    bind_text(statement, 2, run->fixture_id);
    bind_text(statement, 3, run->operator_name);
    bind_text(statement, 4, now);
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) {
      set_sql_error(store, error, rc, doing);
      return FALSE;
    }
  }
  return TRUE;
}

/* Inserts the run row with outcome RUNNING; inside the caller's transaction. */
static gboolean insert_run(Store *store, const RunStart *run, const char *now, gint64 *run_id,
                           const char *doing, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!prepare(store,
               "INSERT INTO runs (serial, model, station_id, fixture_id, slot, operator, "
               "sequence_name, sequence_sha256, limits_sha256, firmware_sha256, app_version, "
               "outcome, started_at) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'RUNNING', ?12)",
               &statement, doing, error))
    return FALSE;
  bind_text(statement, 1, run->serial);
  bind_text(statement, 2, run->model);
  bind_text(statement, 3, run->station_id);
  bind_text(statement, 4, run->fixture_id);
  sqlite3_bind_int(statement, 5, run->slot);
  bind_text(statement, 6, run->operator_name);
  bind_text(statement, 7, run->sequence_name);
  bind_text(statement, 8, run->sequence_sha256);
  bind_text(statement, 9, run->limits_sha256);
  bind_text(statement, 10, run->firmware_sha256);
  bind_text(statement, 11, run->app_version);
  bind_text(statement, 12, now);
  int rc = sqlite3_step(statement);
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) {
    set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  *run_id = sqlite3_last_insert_rowid(store->db);
  return TRUE;
}

/* Writes a new run with outcome RUNNING (and counts a contact cycle of its fixture); returns
 * its id, or 0 with the error. */
gint64 store_run_begin(Store *store, const RunStart *run, GError **error)
{
  g_return_val_if_fail(store != NULL && run != NULL, 0);
  g_autofree char *doing = g_strdup_printf("starting the run of board '%s'",
                                           run->serial ? run->serial : "(no serial)");
  g_autofree char *now = timestamp_now();
  gint64 started_us = g_get_monotonic_time();
  gint64 run_id = 0;

  g_mutex_lock(&store->lock);
  gboolean ok = exec_plain(store, "BEGIN IMMEDIATE", doing, error) &&
                register_run_resources(store, run, now, error) &&
                insert_run(store, run, now, &run_id, doing, error) &&
                exec_plain(store, "COMMIT", doing, error);
  if (ok) {
    g_hash_table_insert(store->run_started_us, g_memdup2(&run_id, sizeof run_id),
                        g_memdup2(&started_us, sizeof started_us));
  } else {
    rollback(store);
    run_id = 0;
  }
  g_mutex_unlock(&store->lock);
  return run_id;
}

/* Writes a step of a run with outcome RUNNING; returns its id, or 0 with the error
 * (STORE_ERROR_NOT_FOUND when the run does not exist). */
gint64 store_step_begin(Store *store, gint64 run_id, int index, const char *group,
                        const char *name, GError **error)
{
  g_return_val_if_fail(store != NULL, 0);
  g_autofree char *doing = g_strdup_printf("starting step '%s' of run %" G_GINT64_FORMAT,
                                           name ? name : "(no name)", run_id);
  g_autofree char *now = timestamp_now();
  gint64 step_id = 0;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (prepare(store,
              "INSERT INTO steps (run_id, idx, grp, name, outcome, started_at) "
              "VALUES (?1, ?2, ?3, ?4, 'RUNNING', ?5)", &statement, doing, error)) {
    sqlite3_bind_int64(statement, 1, run_id);
    sqlite3_bind_int(statement, 2, index);
    bind_text(statement, 3, group);
    bind_text(statement, 4, name);
    bind_text(statement, 5, now);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE)
      step_id = sqlite3_last_insert_rowid(store->db);
    else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                  "%s: there is no run %" G_GINT64_FORMAT " in %s", doing, run_id, store->path);
    else
      set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return step_id;
}

/* Completes a step with its outcome and message (may be NULL); STORE_ERROR_NOT_FOUND when
 * there is no such step. */
gboolean store_step_end(Store *store, gint64 step_id, const char *outcome, const char *message,
                        GError **error)
{
  g_return_val_if_fail(store != NULL, FALSE);
  g_autofree char *doing = g_strdup_printf("ending step %" G_GINT64_FORMAT, step_id);
  g_autofree char *now = timestamp_now();
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (prepare(store, "UPDATE steps SET outcome = ?2, message = ?3, ended_at = ?4 WHERE id = ?1",
              &statement, doing, error)) {
    sqlite3_bind_int64(statement, 1, step_id);
    bind_text(statement, 2, outcome);
    bind_text(statement, 3, message);
    bind_text(statement, 4, now);
    int rc = sqlite3_step(statement);
    if (rc != SQLITE_DONE)
      set_sql_error(store, error, rc, doing);
    else if (sqlite3_changes(store->db) == 0)
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "%s: there is no step %"
                  G_GINT64_FORMAT " in %s", doing, step_id, store->path);
    else
      ok = TRUE;
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok;
}

/* Writes one measurement of a step (NAN value and limits as NULL); STORE_ERROR_NOT_FOUND when
 * there is no such step. */
gboolean store_measurement_add(Store *store, gint64 step_id, const MeasurementRecord *m,
                               GError **error)
{
  g_return_val_if_fail(store != NULL && m != NULL, FALSE);
  g_autofree char *doing = g_strdup_printf("recording measurement '%s' of step %"
                                           G_GINT64_FORMAT, m->name ? m->name : "(no name)",
                                           step_id);
  g_autofree char *now = timestamp_now();
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (prepare(store,
              "INSERT INTO measurements (step_id, name, unit, value, text, low, high, "
              "comparison, expected, outcome, taken_at) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
              &statement, doing, error)) {
    sqlite3_bind_int64(statement, 1, step_id);
    bind_text(statement, 2, m->name);
    bind_text(statement, 3, m->unit ? m->unit : "");
    bind_number(statement, 4, m->value);
    bind_text(statement, 5, m->text);
    bind_number(statement, 6, m->low);
    bind_number(statement, 7, m->high);
    bind_text(statement, 8, m->comparison);
    bind_text(statement, 9, m->expected);
    bind_text(statement, 10, m->outcome);
    bind_text(statement, 11, now);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE)
      ok = TRUE;
    else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND, "%s: there is no step %"
                  G_GINT64_FORMAT " in %s", doing, step_id, store->path);
    else
      set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok;
}

/* Returns the seconds since a run began: from this Store's monotonic clock when it began the
 * run, else from the stored start time; NAN when neither is known. */
static double run_duration_s(Store *store, gint64 run_id, gint64 now_real_us)
{
  gint64 *started_us = g_hash_table_lookup(store->run_started_us, &run_id);
  if (started_us != NULL)
    return (double)(g_get_monotonic_time() - *started_us) / G_USEC_PER_SEC;

  double duration = NAN;
  sqlite3_stmt *statement = NULL;
  if (sqlite3_prepare_v2(store->db, "SELECT started_at FROM runs WHERE id = ?1", -1, &statement,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_int64(statement, 1, run_id);
    if (sqlite3_step(statement) == SQLITE_ROW) {
      g_autofree char *text = column_text(statement, 0);
      g_autoptr(GDateTime) started = text ? g_date_time_new_from_iso8601(text, NULL) : NULL;
      if (started != NULL)
        duration = (double)(now_real_us - g_date_time_to_unix(started) * G_USEC_PER_SEC -
                            g_date_time_get_microsecond(started)) / G_USEC_PER_SEC;
    }
  }
  sqlite3_finalize(statement);
  return duration;
}

/* Completes a RUNNING run with its outcome, first failing step and message, its end time and
 * duration; STORE_ERROR_NOT_FOUND when there is no such run or it has already ended. */
gboolean store_run_end(Store *store, gint64 run_id, const char *outcome,
                       const char *first_failure, const char *message, GError **error)
{
  g_return_val_if_fail(store != NULL, FALSE);
  g_autofree char *doing = g_strdup_printf("ending run %" G_GINT64_FORMAT, run_id);
  gint64 now_us = g_get_real_time();
  g_autofree char *now = timestamp_utc(now_us);
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  double duration_s = run_duration_s(store, run_id, now_us);
  sqlite3_stmt *statement = NULL;
  if (prepare(store,
              "UPDATE runs SET outcome = ?2, first_failure = ?3, message = ?4, ended_at = ?5, "
              "duration_s = ?6 WHERE id = ?1 AND outcome = 'RUNNING'",
              &statement, doing, error)) {
    sqlite3_bind_int64(statement, 1, run_id);
    bind_text(statement, 2, outcome);
    bind_text(statement, 3, first_failure);
    bind_text(statement, 4, message);
    bind_text(statement, 5, now);
    bind_number(statement, 6, duration_s);
    int rc = sqlite3_step(statement);
    if (rc != SQLITE_DONE) {
      set_sql_error(store, error, rc, doing);
    } else if (sqlite3_changes(store->db) == 0) {
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                  "%s: there is no running run %" G_GINT64_FORMAT " in %s (unknown, or it has "
                  "already ended)", doing, run_id, store->path);
    } else {
      ok = TRUE;
      g_hash_table_remove(store->run_started_us, &run_id);
    }
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok;
}

/* ---- reading ---- */

#define RUN_COLUMNS                                                                            \
  "id, serial, model, station_id, fixture_id, slot, operator, sequence_name, sequence_sha256, " \
  "limits_sha256, firmware_sha256, app_version, outcome, first_failure, message, started_at, "  \
  "ended_at, duration_s"

/* Fills row from a statement selecting RUN_COLUMNS. */
static void read_run_row(sqlite3_stmt *statement, RunRow *row)
{
  row->id = sqlite3_column_int64(statement, 0);
  row->serial = column_text(statement, 1);
  row->model = column_text(statement, 2);
  row->station_id = column_text(statement, 3);
  row->fixture_id = column_text(statement, 4);
  row->slot = sqlite3_column_int(statement, 5);
  row->operator_name = column_text(statement, 6);
  row->sequence_name = column_text(statement, 7);
  row->sequence_sha256 = column_text(statement, 8);
  row->limits_sha256 = column_text(statement, 9);
  row->firmware_sha256 = column_text(statement, 10);
  row->app_version = column_text(statement, 11);
  row->outcome = column_text(statement, 12);
  row->first_failure = column_text(statement, 13);
  row->message = column_text(statement, 14);
  row->started_at = column_text(statement, 15);
  row->ended_at = column_text(statement, 16);
  row->duration_s = column_number(statement, 17);
}

/* Frees the strings of a run row, not the row itself. */
static void run_row_clear(RunRow *row)
{
  g_free(row->serial);
  g_free(row->model);
  g_free(row->outcome);
  g_free(row->started_at);
  g_free(row->ended_at);
  g_free(row->first_failure);
  g_free(row->message);
  g_free(row->station_id);
  g_free(row->fixture_id);
  g_free(row->operator_name);
  g_free(row->sequence_name);
  g_free(row->sequence_sha256);
  g_free(row->limits_sha256);
  g_free(row->firmware_sha256);
  g_free(row->app_version);
}

/* Frees a run row from store_list_runs(); NULL is ignored. */
void run_row_free(RunRow *row)
{
  if (row == NULL)
    return;
  run_row_clear(row);
  g_free(row);
}

/* Frees one measurement row. */
static void measurement_row_free(MeasurementRow *row)
{
  g_free(row->name);
  g_free(row->unit);
  g_free(row->text);
  g_free(row->comparison);
  g_free(row->expected);
  g_free(row->outcome);
  g_free(row);
}

/* Frees one step row and its measurements. */
static void step_row_free(StepRow *row)
{
  g_free(row->group);
  g_free(row->name);
  g_free(row->outcome);
  g_free(row->message);
  g_free(row->started_at);
  g_free(row->ended_at);
  g_ptr_array_unref(row->measurements);
  g_free(row);
}

/* Frees a run detail from store_get_run(); NULL is ignored. */
void run_detail_free(RunDetail *detail)
{
  if (detail == NULL)
    return;
  run_row_clear(&detail->run);
  if (detail->steps != NULL)
    g_ptr_array_unref(detail->steps);
  g_free(detail);
}

/* Returns up to limit runs (all when limit <= 0), most recent first, of one serial or of all
 * boards when serial is NULL; a GPtrArray of RunRow* that frees them. */
GPtrArray *store_list_runs(Store *store, int limit, const char *serial, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  const char *doing = "listing runs";
  g_autoptr(GPtrArray) runs = g_ptr_array_new_with_free_func((GDestroyNotify)run_row_free);
  gboolean ok = FALSE;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (prepare(store,
              "SELECT " RUN_COLUMNS " FROM runs WHERE (?1 IS NULL OR serial = ?1) "
              "ORDER BY started_at DESC, id DESC LIMIT ?2",
              &statement, doing, error)) {
    bind_text(statement, 1, serial);
    sqlite3_bind_int(statement, 2, limit > 0 ? limit : -1);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      RunRow *row = g_new0(RunRow, 1);
      read_run_row(statement, row);
      g_ptr_array_add(runs, row);
    }
    if (rc == SQLITE_DONE)
      ok = TRUE;
    else
      set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok ? g_steal_pointer(&runs) : NULL;
}

/* Reads the run row of detail; FALSE with STORE_ERROR_NOT_FOUND when there is none. */
static gboolean read_run(Store *store, gint64 run_id, RunDetail *detail, const char *doing,
                         GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!prepare(store, "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1", &statement, doing,
               error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, run_id);
  int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW)
    read_run_row(statement, &detail->run);
  else if (rc == SQLITE_DONE)
    g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                "there is no run %" G_GINT64_FORMAT " in %s (station runs lists them)", run_id,
                store->path);
  else
    set_sql_error(store, error, rc, doing);
  sqlite3_finalize(statement);
  return rc == SQLITE_ROW;
}

/* Reads the steps of a run in sequence order, indexing them by id into steps_by_id. */
static gboolean read_steps(Store *store, gint64 run_id, RunDetail *detail,
                           GHashTable *steps_by_id, const char *doing, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!prepare(store,
               "SELECT id, idx, grp, name, outcome, message, started_at, ended_at "
               "FROM steps WHERE run_id = ?1 ORDER BY idx, id", &statement, doing, error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, run_id);
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    StepRow *step = g_new0(StepRow, 1);
    step->id = sqlite3_column_int64(statement, 0);
    step->index = sqlite3_column_int(statement, 1);
    step->group = column_text(statement, 2);
    step->name = column_text(statement, 3);
    step->outcome = column_text(statement, 4);
    step->message = column_text(statement, 5);
    step->started_at = column_text(statement, 6);
    step->ended_at = column_text(statement, 7);
    step->measurements =
        g_ptr_array_new_with_free_func((GDestroyNotify)measurement_row_free);
    g_ptr_array_add(detail->steps, step);
    g_hash_table_insert(steps_by_id, &step->id, step);
  }
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) {
    set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

/* Reads the measurements of a run's steps, in the order they were taken. */
static gboolean read_measurements(Store *store, gint64 run_id, GHashTable *steps_by_id,
                                  const char *doing, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!prepare(store,
               "SELECT m.step_id, m.name, m.unit, m.value, m.text, m.low, m.high, "
               "m.comparison, m.expected, m.outcome FROM measurements AS m "
               "JOIN steps AS s ON s.id = m.step_id WHERE s.run_id = ?1 ORDER BY m.id",
               &statement, doing, error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, run_id);
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    gint64 step_id = sqlite3_column_int64(statement, 0);
    StepRow *step = g_hash_table_lookup(steps_by_id, &step_id);
    if (step == NULL)
      continue;
    MeasurementRow *m = g_new0(MeasurementRow, 1);
    m->name = column_text(statement, 1);
    m->unit = column_text(statement, 2);
    m->value = column_number(statement, 3);
    m->text = column_text(statement, 4);
    m->low = column_number(statement, 5);
    m->high = column_number(statement, 6);
    m->comparison = column_text(statement, 7);
    m->expected = column_text(statement, 8);
    m->outcome = column_text(statement, 9);
    g_ptr_array_add(step->measurements, m);
  }
  sqlite3_finalize(statement);
  if (rc != SQLITE_DONE) {
    set_sql_error(store, error, rc, doing);
    return FALSE;
  }
  return TRUE;
}

/* Returns a run with its steps (sequence order) and their measurements (taken order), read
 * in one consistent snapshot; STORE_ERROR_NOT_FOUND when there is no such run. */
RunDetail *store_get_run(Store *store, gint64 run_id, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  g_autofree char *doing = g_strdup_printf("reading run %" G_GINT64_FORMAT, run_id);
  g_autoptr(RunDetail) detail = g_new0(RunDetail, 1);
  detail->steps = g_ptr_array_new_with_free_func((GDestroyNotify)step_row_free);
  g_autoptr(GHashTable) steps_by_id = g_hash_table_new(g_int64_hash, g_int64_equal);

  g_mutex_lock(&store->lock);
  gboolean ok = exec_plain(store, "BEGIN", doing, error) &&
                read_run(store, run_id, detail, doing, error) &&
                read_steps(store, run_id, detail, steps_by_id, doing, error) &&
                read_measurements(store, run_id, steps_by_id, doing, error) &&
                exec_plain(store, "COMMIT", doing, error);
  if (!ok)
    rollback(store);
  g_mutex_unlock(&store->lock);
  return ok ? g_steal_pointer(&detail) : NULL;
}

/* Returns the contact cycles counted for a fixture (one per run begun on it), or -1 with
 * STORE_ERROR_NOT_FOUND when no run has used it. */
gint64 store_fixture_contact_cycles(Store *store, const char *fixture_id, GError **error)
{
  g_return_val_if_fail(store != NULL && fixture_id != NULL, -1);
  g_autofree char *doing = g_strdup_printf("reading the contact cycles of fixture '%s'",
                                           fixture_id);
  gint64 cycles = -1;

  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (prepare(store, "SELECT contact_cycles FROM fixtures WHERE id = ?1", &statement, doing,
              error)) {
    bind_text(statement, 1, fixture_id);
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW)
      cycles = sqlite3_column_int64(statement, 0);
    else if (rc == SQLITE_DONE)
      g_set_error(error, STORE_ERROR, STORE_ERROR_NOT_FOUND,
                  "no run has used fixture '%s' in %s", fixture_id, store->path);
    else
      set_sql_error(store, error, rc, doing);
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return cycles;
}

/* ---- for db/ modules that extend the store (db/store_private.h) ---- */

sqlite3 *store_lock_connection(Store *store)
{
  g_mutex_lock(&store->lock);
  return store->db;
}

void store_unlock_connection(Store *store)
{
  g_mutex_unlock(&store->lock);
}

const char *store_path(const Store *store)
{
  return store->path;
}

void store_set_sql_error(Store *store, GError **error, int rc, const char *doing)
{
  set_sql_error(store, error, rc, doing);
}
