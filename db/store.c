/* The result store: opening a database (creating it and its folders, WAL mode, schema
 * migration), recovering runs interrupted by a stopped station, and closing. Writing runs is
 * in store_write.c, reading them in store_read.c; the SQL helpers they share are in
 * store_sql.c. The database is in WAL mode with foreign keys on, a 5 s busy timeout and
 * synchronous=FULL, and every write is its own transaction, so whatever a call wrote is on
 * disk when it returns. All SQL uses prepared statements with bound values.
 *
 * Interrupted runs: a run left RUNNING by a station that stopped (crash, power loss) is
 * marked ABORTED by the next store_open(). So that `station runs` opened while a test is
 * going does not abort the live run, every open Store holds a shared flock() on a lock file
 * beside the database (<path>.lock) and only an opener that can take it exclusively, that
 * is when no other Store has the database open, marks every RUNNING run ABORTED. An opener
 * that shares the database marks only the runs whose owner has died: each run going on holds
 * its own byte lock (run_owner.h). The kernel drops the locks of a process that dies, so its
 * runs are recovered by the next start, even while other stations have the database open.
 *
 * One Store may be shared by threads (the engine's worker and the UI): each call holds the
 * Store's mutex. */
#include "db/store.h"
#include "db/schema.h"
#include "db/store_sql.h"
#include "db/run_owner.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/file.h>
#include <unistd.h>

#define STORE_BUSY_TIMEOUT_MS 5000
#define INTERRUPTED_RUN_MESSAGE "station stopped during the run"
#define INTERRUPTED_STEP_MESSAGE "station stopped during the step"

G_DEFINE_QUARK(store-error-quark, store_error)

/* ---- opening ---- */

/* Returns <user data dir>/jk-eol-station/results.db, creating its folder when it can (a
 * failure is reported by store_open()). */
char *store_default_path(void)
{
  g_autofree char *folder = g_build_filename(g_get_user_data_dir(), "jk-eol-station", NULL);
  g_mkdir_with_parents(folder, 0755);
  return g_build_filename(folder, "results.db", NULL);
}

/* Refuses a database the station could not write: a read-only file, or a read-only folder
 * (SQLite keeps the WAL and its index beside the file). Checked before SQLite opens it, which
 * would otherwise open a read-only file for reading only and fail at the first result. */
static gboolean check_writable(const char *path, const char *folder, GError **error)
{
  if (g_access(path, F_OK) == 0 && g_access(path, W_OK) != 0) {
    int saved_errno = errno;
    g_set_error(error, STORE_ERROR, STORE_ERROR_READ_ONLY,
                "the result database %s is read-only (%s), so no run can be stored: make it "
                "writable for this user or choose another file with --db", path,
                g_strerror(saved_errno));
    return FALSE;
  }
  if (g_access(folder, W_OK) != 0) {
    int saved_errno = errno;
    g_set_error(error, STORE_ERROR, STORE_ERROR_READ_ONLY,
                "the folder %s of the result database is read-only (%s), so SQLite cannot "
                "keep its journal beside the file: make the folder writable for this user or "
                "choose another file with --db", folder, g_strerror(saved_errno));
    return FALSE;
  }
  return TRUE;
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
                store->path, sqlite3_errmsg(store->db), sql_hint(rc));
    return FALSE;
  }
  return TRUE;
}

/* Sets foreign keys, WAL and full synchronisation; STORE_ERROR_OPEN when WAL is refused. */
static gboolean configure_connection(Store *store, GError **error)
{
  if (!sql_exec(store, "PRAGMA foreign_keys = ON", "turning on foreign keys", error) ||
      !sql_exec(store, "PRAGMA synchronous = FULL", "setting synchronous writes", error))
    return FALSE;

  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "PRAGMA journal_mode = WAL", &statement, "switching to WAL mode", error))
    return FALSE;
  int rc = sqlite3_step(statement);
  g_autofree char *mode = rc == SQLITE_ROW ? sql_column_text(statement, 0) : NULL;
  sqlite3_finalize(statement);
  if (rc != SQLITE_ROW) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot switch %s to WAL mode: %s%s",
                store->path, sqlite3_errmsg(store->db), sql_hint(rc));
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

/* Marks RUNNING runs ABORTED and their RUNNING steps ERROR, in one transaction; each gets
 * the time of its last result as its end (a step: its last measurement, else its start; a
 * run: the end of its last step, else its start). All of them when nobody else has the
 * database open, else only those whose owner process has died (run_owner.h). */
static gboolean abort_interrupted_runs(Store *store, gboolean only_dead_owners, GError **error)
{
  const char *doing = "marking interrupted runs ABORTED";
  int begun = sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  if ((begun & 0xff) == SQLITE_BUSY || (begun & 0xff) == SQLITE_LOCKED) {
    /* the first write of every open: another program holds the write lock */
    g_set_error(error, STORE_ERROR, STORE_ERROR_LOCKED,
                "the result database %s is locked by another program for more than %d s "
                "(a sqlite3 shell or a backup with a write transaction open), so no run can "
                "be stored: end that program's transaction and start again", store->path,
                STORE_BUSY_TIMEOUT_MS / 1000);
    return FALSE;
  }
  if (begun != SQLITE_OK) {
    store_set_sql_error(store, error, begun, doing);
    return FALSE;
  }

  sqlite3_stmt *running = NULL, *steps = NULL, *runs = NULL;
  gboolean ok =
      sql_prepare(store, "SELECT id FROM runs WHERE outcome = 'RUNNING'", &running, doing,
                  error) &&
      sql_prepare(store,
                  "UPDATE steps SET outcome = 'ERROR', message = ?1, ended_at = "
                  "COALESCE(ended_at, (SELECT MAX(m.taken_at) FROM measurements m "
                  "WHERE m.step_id = steps.id), started_at) WHERE outcome = 'RUNNING' "
                  "AND run_id = ?2", &steps, doing, error) &&
      sql_prepare(store, "UPDATE runs SET outcome = 'ABORTED', message = ?1, ended_at = "
                     "COALESCE(ended_at, (SELECT MAX(COALESCE(s.ended_at, s.started_at)) "
                     "FROM steps s WHERE s.run_id = runs.id), started_at) "
                     "WHERE outcome = 'RUNNING' AND id = ?2", &runs, doing, error);
  g_autoptr(GArray) dead = g_array_new(FALSE, FALSE, sizeof(gint64));
  int rc = SQLITE_DONE;
  while (ok && (rc = sqlite3_step(running)) == SQLITE_ROW) {
    gint64 id = sqlite3_column_int64(running, 0);
    if (!only_dead_owners || !run_owner_alive(store->run_owner_fd, id))
      g_array_append_val(dead, id);
  }
  if (ok && rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, doing);
    ok = FALSE;
  }
  for (guint i = 0; ok && i < dead->len; i++) {
    gint64 id = g_array_index(dead, gint64, i);
    sqlite3_reset(steps);
    sqlite3_reset(runs);
    sql_bind_text(steps, 1, INTERRUPTED_STEP_MESSAGE);
    sqlite3_bind_int64(steps, 2, id);
    sql_bind_text(runs, 1, INTERRUPTED_RUN_MESSAGE);
    sqlite3_bind_int64(runs, 2, id);
    rc = sqlite3_step(steps);
    if (rc == SQLITE_DONE)
      rc = sqlite3_step(runs);
    if (rc != SQLITE_DONE) {
      store_set_sql_error(store, error, rc, doing);
      ok = FALSE;
    }
  }
  sqlite3_finalize(running);
  sqlite3_finalize(steps);
  sqlite3_finalize(runs);
  if (ok)
    ok = sql_exec(store, "COMMIT", doing, error);
  if (!ok)
    sql_rollback(store);
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

  store->run_owner_fd = run_owner_open(store->path, error);
  if (store->run_owner_fd < 0)
    return FALSE;
  /* Nobody else has the database open: every RUNNING run belongs to a station that stopped.
   * Others have: only the runs whose owner has died. */
  gboolean alone = flock(store->owner_lock_fd, LOCK_EX | LOCK_NB) == 0;
  if (!abort_interrupted_runs(store, !alone, error))
    return FALSE;
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

/* Opens the connection of a new Store: folders, file, WAL and schema; NULL with the error. */
static Store *open_connection(const char *path, GError **error)
{
  g_autofree char *folder = g_path_get_dirname(path);
  if (g_mkdir_with_parents(folder, 0755) != 0) {
    int saved_errno = errno;
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
                "cannot create the folder %s for the result database: %s", folder,
                g_strerror(saved_errno));
    return NULL;
  }

  if (!check_writable(path, folder, error))
    return NULL;

  g_autoptr(Store) store = g_new0(Store, 1);
  g_mutex_init(&store->lock);
  store->path = g_strdup(path);
  store->owner_lock_fd = -1;
  store->run_owner_fd = -1;
  store->run_started_us = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);

  int rc = sqlite3_open_v2(path, &store->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           NULL);
  if (rc != SQLITE_OK) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN, "cannot open the result database %s: %s%s",
                path, store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc),
                sql_hint(rc));
    return NULL;
  }
  sqlite3_extended_result_codes(store->db, 1);
  sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS);

  if (!check_is_database(store, error) || !configure_connection(store, error) ||
      !schema_migrate(store->db, path, &store->schema_version, error))
    return NULL;
  return g_steal_pointer(&store);
}

/* Opens (creating folders, file and schema as needed) the result database at path, brings
 * its schema up to date and marks runs interrupted by a stopped station ABORTED. */
Store *store_open(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  g_autoptr(Store) store = open_connection(path, error);
  if (store == NULL || !take_owner_lock(store, error))
    return NULL;
  return g_steal_pointer(&store);
}

/* Opens a second connection to a database this process has open with store_open(), for a
 * thread of its own; see store.h. */
Store *store_open_beside(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  return open_connection(path, error);
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
  if (store->run_owner_fd >= 0)
    close(store->run_owner_fd);     /* drops the runs' owner locks */
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
  g_set_error(error, STORE_ERROR, STORE_ERROR_SQL, "%s in %s: %s%s", doing, store->path,
              sqlite3_errmsg(store->db), sql_hint(rc));
}
