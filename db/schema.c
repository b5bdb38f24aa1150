/* The result store's schema, versioned by PRAGMA user_version. Each migration takes the
 * database from version N-1 to N and is applied in one transaction together with the new
 * user_version, so a database is always at exactly one known version. A new version appends
 * a migration to MIGRATIONS; an existing migration is never edited once released, because
 * stations in the field have already applied it. */
#include "db/schema.h"
#include "db/store.h"

typedef struct {
  int version;                  /* user_version after this migration */
  const char *summary;          /* what it adds, for error messages */
  const char *sql;              /* statements, run with sqlite3_exec (no parameters) */
} Migration;

/* Version 1: runs, steps and measurements as the engine writes them, plus the station,
 * fixture, operator, calibration, firmware and audit tables that later work fills in.
 * Times are ISO 8601 UTC text with milliseconds; a NULL REAL is "no value" (NAN in C). */
static const char MIGRATION_1[] =
  "CREATE TABLE stations ("
  "  id TEXT PRIMARY KEY,"                      /* station id from the station config */
  "  description TEXT NOT NULL DEFAULT '',"
  "  first_seen TEXT NOT NULL,"
  "  last_seen TEXT NOT NULL);"

  "CREATE TABLE fixtures ("
  "  id TEXT PRIMARY KEY,"                      /* fixture id from the fixture description */
  "  station_id TEXT REFERENCES stations(id),"  /* where it was last used */
  "  contact_cycles INTEGER NOT NULL DEFAULT 0 CHECK (contact_cycles >= 0),"
  "  contact_cycles_limit INTEGER,"             /* rated cycles of its contacts, NULL unknown */
  "  first_seen TEXT NOT NULL,"
  "  last_seen TEXT NOT NULL);"

  "CREATE TABLE operators ("
  "  name TEXT PRIMARY KEY,"
  "  role TEXT NOT NULL DEFAULT 'operator'"
  "    CHECK (role IN ('operator', 'engineer', 'admin')),"
  "  created_at TEXT NOT NULL);"

  "CREATE TABLE runs ("
  "  id INTEGER PRIMARY KEY,"
  "  serial TEXT NOT NULL,"
  "  model TEXT NOT NULL,"
  "  station_id TEXT,"
  "  fixture_id TEXT,"
  "  slot INTEGER NOT NULL DEFAULT 0,"
  "  operator TEXT,"
  "  sequence_name TEXT,"
  "  sequence_sha256 TEXT,"
  "  limits_sha256 TEXT,"
  "  firmware_sha256 TEXT,"
  "  app_version TEXT,"
  "  outcome TEXT NOT NULL,"                    /* RUNNING, PASS, FAIL, ERROR, ABORTED */
  "  first_failure TEXT,"                       /* name of the first failing step */
  "  message TEXT,"
  "  started_at TEXT NOT NULL,"
  "  ended_at TEXT,"
  "  duration_s REAL);"                         /* s, NULL while running */
  "CREATE INDEX runs_serial ON runs(serial);"
  "CREATE INDEX runs_started_at ON runs(started_at);"

  "CREATE TABLE steps ("
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
  "  idx INTEGER NOT NULL,"                     /* position in the sequence */
  "  grp TEXT NOT NULL,"                        /* setup, main, teardown */
  "  name TEXT NOT NULL,"
  "  outcome TEXT NOT NULL,"                    /* RUNNING, PASS, FAIL, SKIP, ERROR */
  "  message TEXT,"
  "  started_at TEXT NOT NULL,"
  "  ended_at TEXT);"
  "CREATE INDEX steps_run_id ON steps(run_id);"

  "CREATE TABLE measurements ("
  "  id INTEGER PRIMARY KEY,"
  "  step_id INTEGER NOT NULL REFERENCES steps(id) ON DELETE CASCADE,"
  "  name TEXT NOT NULL,"
  "  unit TEXT NOT NULL DEFAULT '',"
  "  value REAL,"                               /* NULL for a textual measurement */
  "  text TEXT,"                                /* NULL for a numeric measurement */
  "  low REAL,"                                 /* NULL: no lower limit */
  "  high REAL,"                                /* NULL: no upper limit */
  "  comparison TEXT,"                          /* GELE, GE, LE, EQ, LOG ... */
  "  expected TEXT,"                            /* expected text for a textual EQ */
  "  outcome TEXT NOT NULL,"
  "  taken_at TEXT NOT NULL);"
  "CREATE INDEX measurements_step_id ON measurements(step_id);"

  "CREATE TABLE calibrations ("                 /* the board's voltage and current calibration */
  "  id INTEGER PRIMARY KEY,"
  "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
  "  kind TEXT NOT NULL CHECK (kind IN ('voltage', 'current')),"
  "  unit TEXT NOT NULL,"                       /* mV or mA */
  "  reference REAL NOT NULL,"                  /* true value written (0x1600 / 0x1606) */
  "  reading_before REAL,"                      /* board's reading before calibration */
  "  reading_after REAL,"                       /* board's reading after */
  "  factor REAL,"                              /* correction factor read back (0x12DC / 0x12D6) */
  "  outcome TEXT NOT NULL,"
  "  taken_at TEXT NOT NULL);"
  "CREATE INDEX calibrations_run_id ON calibrations(run_id);"

  "CREATE TABLE firmware_images ("
  "  id INTEGER PRIMARY KEY,"
  "  version TEXT NOT NULL,"
  "  models TEXT NOT NULL,"                     /* comma list of catalog model names */
  "  build_date TEXT,"
  "  sha256 TEXT NOT NULL UNIQUE,"              /* hex, of the image bytes */
  "  signature BLOB,"                           /* Ed25519 over the image, 64 bytes */
  "  image BLOB,"                               /* the image itself, or NULL with path */
  "  path TEXT,"
  "  size_bytes INTEGER NOT NULL CHECK (size_bytes >= 0),"
  "  released INTEGER NOT NULL DEFAULT 0 CHECK (released IN (0, 1)),"
  "  imported_at TEXT NOT NULL,"
  "  imported_by TEXT,"
  "  released_at TEXT,"
  "  released_by TEXT,"
  "  CHECK (image IS NOT NULL OR path IS NOT NULL));"

  "CREATE TABLE audit_log ("                    /* who changed limits, firmware, roles */
  "  id INTEGER PRIMARY KEY,"
  "  at TEXT NOT NULL,"
  "  actor TEXT NOT NULL,"                      /* operator name */
  "  action TEXT NOT NULL,"                     /* e.g. firmware.release, operator.role */
  "  subject TEXT,"
  "  detail TEXT);"
  "CREATE INDEX audit_log_at ON audit_log(at);";

/* Version 2: signed firmware releases. An image row keeps its release manifest (the signed
 * key-file text, so the signature can be checked again whenever the image is loaded), the
 * signer's key id and the notes; versions are unique. firmware_releases records which image is
 * released for which model: at most one current row per model (superseded_at NULL), older
 * rows kept as history. firmware_images.released stays as "released for some model now". */
static const char MIGRATION_2[] =
  "ALTER TABLE firmware_images ADD COLUMN notes TEXT NOT NULL DEFAULT '';"
  "ALTER TABLE firmware_images ADD COLUMN manifest TEXT;"      /* signed manifest, key file */
  "ALTER TABLE firmware_images ADD COLUMN signer_key_id TEXT;" /* 16 hex digits */
  "CREATE UNIQUE INDEX firmware_images_version ON firmware_images(version);"

  "CREATE TABLE firmware_releases ("
  "  id INTEGER PRIMARY KEY,"
  "  image_id INTEGER NOT NULL REFERENCES firmware_images(id),"
  "  model TEXT NOT NULL,"
  "  released_at TEXT NOT NULL,"
  "  released_by TEXT,"
  "  superseded_at TEXT,"                       /* NULL while it is the model's release */
  "  superseded_by INTEGER REFERENCES firmware_releases(id));"
  "CREATE UNIQUE INDEX firmware_releases_current ON firmware_releases(model)"
  "  WHERE superseded_at IS NULL;"
  "CREATE INDEX firmware_releases_image_id ON firmware_releases(image_id);";

/* Version 3: traceability and roles. A run records the production order it was tested for
 * (order_id, NULL when none was given), the chemistry and cell count it was configured with;
 * a calibration row points at the step that made it. The operators table becomes users: a
 * role (operator, engineer, admin, firmware), a badge code, and removal kept as history;
 * a name first seen in a run is added as an operator. The audit log keeps the value before
 * and after a change. Indexes for the quality reports: runs by model and time, measurements
 * by name, failing runs, steps and measurements. */
static const char MIGRATION_3[] =
  "ALTER TABLE runs ADD COLUMN order_id TEXT;"
  "ALTER TABLE runs ADD COLUMN chemistry TEXT;"  /* lfp, liion, lto; NULL before version 3 */
  "ALTER TABLE runs ADD COLUMN cell_count INTEGER;"
  "CREATE INDEX runs_model_started_at ON runs(model, started_at);"
  "CREATE INDEX runs_order_id ON runs(order_id) WHERE order_id IS NOT NULL;"
  "ALTER TABLE calibrations ADD COLUMN step_id INTEGER REFERENCES steps(id) ON DELETE CASCADE;"
  "CREATE INDEX measurements_name ON measurements(name);"
  "CREATE INDEX measurements_failed ON measurements(step_id, name) WHERE outcome = 'FAIL';"
  "CREATE INDEX steps_failed ON steps(run_id) WHERE outcome = 'FAIL';"
  "CREATE INDEX runs_failed ON runs(first_failure, model, station_id, fixture_id, operator,"
  "  order_id, started_at) WHERE outcome = 'FAIL';"

  "CREATE TABLE users ("
  "  name TEXT PRIMARY KEY,"                    /* login name, or as given with --user */
  "  role TEXT NOT NULL DEFAULT 'operator'"
  "    CHECK (role IN ('operator', 'engineer', 'admin', 'firmware')),"
  "  badge TEXT UNIQUE,"                        /* badge code as the scanner reads it */
  "  created_at TEXT NOT NULL,"
  "  created_by TEXT,"
  "  removed_at TEXT,"                          /* NULL while the user may work */
  "  removed_by TEXT);"
  "INSERT INTO users (name, role, created_at) SELECT name, role, created_at FROM operators;"
  "DROP TABLE operators;"

  "ALTER TABLE audit_log ADD COLUMN old_value TEXT;"   /* before the change, NULL: none */
  "ALTER TABLE audit_log ADD COLUMN new_value TEXT;";  /* after the change, NULL: removed */

/* Version 4: the yield summary the reports read instead of every run (see db/report.h for
 * what counts). boards holds each serial's first and latest verdict run; yield_cells counts,
 * per production day, shift, model, station, fixture, operator and order ('' for none), the
 * boards first tested there, how many passed first time and finally, retests and station
 * errors. Triggers keep both up to date in the transaction that ends a run; the migration
 * fills them from the runs already stored (SCHEMA_YIELD_REBUILD_SQL). */
#define CELL_KEY_COLUMNS "day, shift, model, station_id, fixture_id, operator, order_id"
#define CELL_KEY_OF(t)                                                                        \
  "date(" t ".started_at, '-6 hours'), "                                                      \
  "CASE WHEN strftime('%H', " t ".started_at) BETWEEN '06' AND '13' THEN 1 "                 \
  "WHEN strftime('%H', " t ".started_at) BETWEEN '14' AND '21' THEN 2 ELSE 3 END, "          \
  t ".model, coalesce(" t ".station_id, ''), coalesce(" t ".fixture_id, ''), "               \
  "coalesce(" t ".operator, ''), coalesce(" t ".order_id, '')"
#define CELL_UPSERT(set) " ON CONFLICT (" CELL_KEY_COLUMNS ") DO UPDATE SET " set ";"

/* The bodies of the yield triggers, the same in version 4 and (with a condition on the run's
 * purpose) version 5. */
#define YIELD_VERDICT_TRIGGER_BODY                                                             \
  "  INSERT INTO yield_cells (" CELL_KEY_COLUMNS ", retests) SELECT " CELL_KEY_OF("NEW") ", 1" \
  "    WHERE EXISTS (SELECT 1 FROM boards WHERE serial = NEW.serial)"                          \
  CELL_UPSERT("retests = retests + 1")                                                         \
  "  UPDATE yield_cells SET final_pass = final_pass + (NEW.outcome = 'PASS')"                  \
  "    - ((SELECT final_outcome FROM boards WHERE serial = NEW.serial) = 'PASS')"              \
  "    WHERE (" CELL_KEY_COLUMNS ") = (SELECT " CELL_KEY_OF("f") " FROM boards AS b"           \
  "      JOIN runs AS f ON f.id = b.first_run_id WHERE b.serial = NEW.serial);"                \
  "  UPDATE boards SET final_run_id = NEW.id, final_outcome = NEW.outcome,"                    \
  "    verdict_runs = verdict_runs + 1 WHERE serial = NEW.serial;"                             \
  "  INSERT INTO yield_cells (" CELL_KEY_COLUMNS ", boards, first_pass, final_pass)"           \
  "    SELECT " CELL_KEY_OF("NEW") ", 1, NEW.outcome = 'PASS', NEW.outcome = 'PASS'"           \
  "    WHERE NOT EXISTS (SELECT 1 FROM boards WHERE serial = NEW.serial)"                      \
  CELL_UPSERT("boards = boards + 1, first_pass = first_pass + excluded.first_pass, "           \
              "final_pass = final_pass + excluded.final_pass")                                 \
  "  INSERT OR IGNORE INTO boards VALUES (NEW.serial, NEW.id, NEW.id, NEW.outcome, 1);"        \
  "END;"
#define YIELD_STATION_ERROR_TRIGGER_BODY                                                       \
  "  INSERT INTO yield_cells (" CELL_KEY_COLUMNS ", station_errors)"                           \
  "    SELECT " CELL_KEY_OF("NEW") ", 1 WHERE true"                                            \
  CELL_UPSERT("station_errors = station_errors + 1")                                           \
  "END;"

static const char MIGRATION_4[] =
  "CREATE TABLE boards ("
  "  serial TEXT PRIMARY KEY,"
  "  first_run_id INTEGER NOT NULL,"            /* first run with a verdict (PASS / FAIL) */
  "  final_run_id INTEGER NOT NULL,"            /* latest run with a verdict */
  "  final_outcome TEXT NOT NULL,"
  "  verdict_runs INTEGER NOT NULL);"
  "CREATE TABLE yield_cells ("
  "  day TEXT NOT NULL,"                        /* production day: date(started_at - 6 h) */
  "  shift INTEGER NOT NULL,"                   /* 1: 06-14, 2: 14-22, 3: 22-06 UTC */
  "  model TEXT NOT NULL, station_id TEXT NOT NULL, fixture_id TEXT NOT NULL,"
  "  operator TEXT NOT NULL, order_id TEXT NOT NULL,"
  "  boards INTEGER NOT NULL DEFAULT 0,"        /* boards whose first verdict run is here */
  "  first_pass INTEGER NOT NULL DEFAULT 0,"
  "  final_pass INTEGER NOT NULL DEFAULT 0,"
  "  retests INTEGER NOT NULL DEFAULT 0,"       /* verdict runs after a board's first */
  "  station_errors INTEGER NOT NULL DEFAULT 0," /* ERROR and ABORTED runs */
  "  PRIMARY KEY (" CELL_KEY_COLUMNS ")) WITHOUT ROWID;"

  "CREATE TRIGGER runs_yield_verdict AFTER UPDATE OF outcome ON runs"
  "  WHEN OLD.outcome = 'RUNNING' AND NEW.outcome IN ('PASS', 'FAIL') BEGIN"
  YIELD_VERDICT_TRIGGER_BODY

  "CREATE TRIGGER runs_yield_station_error AFTER UPDATE OF outcome ON runs"
  "  WHEN OLD.outcome = 'RUNNING' AND NEW.outcome IN ('ERROR', 'ABORTED') BEGIN"
  YIELD_STATION_ERROR_TRIGGER_BODY
  SCHEMA_YIELD_REBUILD_SQL;

/* Version 5: what a run is for. purpose 'eol' is a production end-of-line test (every run
 * before version 5); 'flash' is a rework or bring-up flash of an image given by hand. Only
 * EOL runs are verdicts on a board: the yield triggers now skip every other run (there was
 * none before, so the summary needs no rebuild). */
static const char MIGRATION_5[] =
  "ALTER TABLE runs ADD COLUMN purpose TEXT NOT NULL DEFAULT 'eol'"
  "  CHECK (purpose IN ('eol', 'flash'));"
  "DROP TRIGGER runs_yield_verdict;"
  "DROP TRIGGER runs_yield_station_error;"
  "CREATE TRIGGER runs_yield_verdict AFTER UPDATE OF outcome ON runs"
  "  WHEN OLD.outcome = 'RUNNING' AND NEW.outcome IN ('PASS', 'FAIL')"
  "  AND NEW.purpose = 'eol' BEGIN"
  YIELD_VERDICT_TRIGGER_BODY
  "CREATE TRIGGER runs_yield_station_error AFTER UPDATE OF outcome ON runs"
  "  WHEN OLD.outcome = 'RUNNING' AND NEW.outcome IN ('ERROR', 'ABORTED')"
  "  AND NEW.purpose = 'eol' BEGIN"
  YIELD_STATION_ERROR_TRIGGER_BODY;

/* Version 6: the rest of the order a run configured the board for: whether the board has
 * its heater option (1) or not (0), and the protection profile of production settings
 * (sequences/limits.conf, 'default' for the [production] group as it is). NULL before
 * version 6. */
static const char MIGRATION_6[] =
  "ALTER TABLE runs ADD COLUMN heater INTEGER CHECK (heater IN (0, 1));"
  "ALTER TABLE runs ADD COLUMN profile TEXT;";

/* Version 7: the instruments a run used, with the calibration due date the fixture file gives
 * each (YYYY-MM-DD, NULL when it gives none), so a run can be traced to instruments that were
 * in calibration. */
static const char MIGRATION_7[] =
  "CREATE TABLE run_instruments ("
  "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
  "  role TEXT NOT NULL,"                       /* the fixture file's group: cells, load ... */
  "  driver TEXT NOT NULL,"
  "  resource TEXT NOT NULL,"
  "  cal_due TEXT,"                             /* YYYY-MM-DD, NULL: not given */
  "  PRIMARY KEY (run_id, role)) WITHOUT ROWID;";

/* Version 8: a measurement knows its run, and one index holds the series of each numeric
 * measurement in run order with its limits and unit, so the statistics of a measurement read
 * one range of an index and the runs in id order instead of every page of the tables. It
 * replaces the index by name alone. The Pareto reports read only indexes: the failing EOL
 * runs with every filter column, and the failing measurements by run. */
static const char MIGRATION_8[] =
  "ALTER TABLE measurements ADD COLUMN run_id INTEGER;"
  "UPDATE measurements SET run_id = (SELECT run_id FROM steps WHERE steps.id = "
  "  measurements.step_id);"
  "DROP INDEX measurements_name;"
  "CREATE INDEX measurements_series ON measurements(name, run_id, value, low, high, unit);"
  "DROP INDEX runs_failed;"
  "CREATE INDEX runs_failed ON runs(first_failure, model, station_id, fixture_id, operator,"
  "  order_id, started_at) WHERE outcome = 'FAIL' AND purpose = 'eol';"
  "DROP INDEX measurements_failed;"
  "CREATE INDEX measurements_failed ON measurements(run_id, name, step_id)"
  "  WHERE outcome = 'FAIL';";

/* Version 9: a fixture knows its latest run (so `station fixtures` shows the instruments and
 * calibration due dates that run recorded without reading every run) and when its contacts
 * were last replaced (the contact cycles count from then); the runs a crash left RUNNING have
 * an index of their own, so opening a database of a year of runs does not read every run to
 * find them. */
static const char MIGRATION_9[] =
  "ALTER TABLE fixtures ADD COLUMN last_run_id INTEGER;"
  "ALTER TABLE fixtures ADD COLUMN contacts_reset_at TEXT;"  /* NULL: never since first use */
  "UPDATE fixtures SET last_run_id = latest.id FROM (SELECT fixture_id, max(id) AS id FROM runs"
  "  WHERE fixture_id IS NOT NULL GROUP BY fixture_id) AS latest"
  "  WHERE latest.fixture_id = fixtures.id;"
  "CREATE INDEX runs_running ON runs(id) WHERE outcome = 'RUNNING';";

/* Version 10: the production orders an engineer registered (db/orders.h): the values of each
 * as its order file gave them (NULL: not given, the run's default), the file's SHA-256, and
 * who changed it last; a removed order keeps its row with removed_at. */
static const char MIGRATION_10[] =
  "CREATE TABLE orders ("
  "  id TEXT PRIMARY KEY,"                      /* the production order's id, e.g. PO-4711 */
  "  cells TEXT,"                               /* cells in series, NULL: model's maximum */
  "  chemistry TEXT,"                           /* lfp, liion, lto; NULL: lfp */
  "  heater TEXT CHECK (heater IN ('yes', 'no')),"  /* NULL: the model's option */
  "  profile TEXT,"                             /* protection profile, NULL: default */
  "  source_sha256 TEXT,"                       /* of the order file registered */
  "  changed_at TEXT NOT NULL,"
  "  changed_by TEXT,"
  "  removed_at TEXT);";

/* Version 11: the factory. Every run has a globally unique id, uid (a random UUID, given by a
 * trigger as the run is written, whatever writes it; the runs of before get theirs here), by
 * which the factory database knows it wherever it was tested; and every finished run is
 * queued in the outbox, by a trigger in the transaction that ends it (or writes it finished,
 * as a bulk load does), until it is shipped to the factory database. The runs finished
 * before are queued too, so a station's whole history reaches the factory. factory_sync
 * keeps the last attempt to ship and its outcome for `station sync status`. */
#define RANDOM_UUID_SQL                                                                       \
  "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || "                         \
  "substr(hex(randomblob(2)), 2) || '-' || substr('89AB', 1 + abs(random() % 4), 1) || "      \
  "substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
#define NOW_SQL "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
static const char MIGRATION_11[] =
  "ALTER TABLE runs ADD COLUMN uid TEXT;"
  "UPDATE runs SET uid = " RANDOM_UUID_SQL ";"
  "CREATE UNIQUE INDEX runs_uid ON runs(uid);"
  "CREATE TRIGGER runs_uid AFTER INSERT ON runs WHEN NEW.uid IS NULL BEGIN"
  "  UPDATE runs SET uid = " RANDOM_UUID_SQL " WHERE id = NEW.id;"
  "END;"

  "CREATE TABLE outbox ("
  "  run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
  "  queued_at TEXT NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"     /* failed attempts to ship it */
  "  next_attempt_at TEXT,"                     /* NULL: at once; else not before (back-off) */
  "  last_attempt_at TEXT,"
  "  last_error TEXT);"                         /* why the last attempt failed */
  "INSERT INTO outbox (run_id, queued_at) SELECT id, " NOW_SQL " FROM runs"
  "  WHERE outcome <> 'RUNNING';"
  "CREATE TRIGGER runs_outbox_end AFTER UPDATE OF outcome ON runs"
  "  WHEN OLD.outcome = 'RUNNING' AND NEW.outcome <> 'RUNNING' BEGIN"
  "  INSERT OR IGNORE INTO outbox (run_id, queued_at) VALUES (NEW.id, " NOW_SQL ");"
  "END;"
  "CREATE TRIGGER runs_outbox_finished AFTER INSERT ON runs"
  "  WHEN NEW.outcome <> 'RUNNING' BEGIN"
  "  INSERT OR IGNORE INTO outbox (run_id, queued_at) VALUES (NEW.id, " NOW_SQL ");"
  "END;"

  "CREATE TABLE factory_sync ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  last_attempt_at TEXT,"                     /* when shipping was last tried */
  "  last_success_at TEXT,"                     /* when a run was last shipped */
  "  last_error TEXT,"                          /* why the last attempt failed, NULL: it did not */
  "  shipped INTEGER NOT NULL DEFAULT 0);"      /* runs shipped from this database */
  "INSERT INTO factory_sync (id) VALUES (1);";

/* Version 12: the shift start's golden boards (db/golden.h). golden_boards holds the boards an
 * engineer registered: each is expected to pass or to fail (a known bad board), on one fixture
 * or on every one (fixture_id NULL), with the run whose measurements are its reference values
 * (NULL: none yet; its first passing check gives them). golden_checks holds every check: the
 * fixture, the production day and shift it belongs to (as the yield's: UTC, shift 1 06-14,
 * 2 14-22, 3 22-06, a night on the day it began), the board, its run and the verdict. */
static const char MIGRATION_12[] =
  "CREATE TABLE golden_boards ("
  "  serial TEXT PRIMARY KEY,"
  "  expect TEXT NOT NULL CHECK (expect IN ('pass', 'fail')),"
  "  fixture_id TEXT,"                          /* NULL: a golden board of every fixture */
  "  reference_run_id INTEGER,"                 /* run of the reference values, NULL: none */
  "  changed_at TEXT NOT NULL,"
  "  changed_by TEXT,"
  "  removed_at TEXT);"                         /* NULL while registered */
  "CREATE TABLE golden_checks ("
  "  id INTEGER PRIMARY KEY,"
  "  fixture_id TEXT NOT NULL,"
  "  day TEXT NOT NULL,"                        /* production day, YYYY-MM-DD */
  "  shift INTEGER NOT NULL CHECK (shift BETWEEN 1 AND 3),"
  "  serial TEXT NOT NULL,"
  "  expect TEXT NOT NULL CHECK (expect IN ('pass', 'fail')),"
  "  run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
  "  outcome TEXT NOT NULL CHECK (outcome IN ('PASS', 'FAIL')),"  /* the check's, not the run's */
  "  reason TEXT,"                              /* why it failed, or what it judged */
  "  checked_at TEXT NOT NULL,"
  "  checked_by TEXT);"
  "CREATE INDEX golden_checks_shift ON golden_checks(fixture_id, day, shift, serial, id);";

static const Migration MIGRATIONS[] = {
  { 1, "runs, steps, measurements and the station tables", MIGRATION_1 },
  { 2, "signed firmware releases per model", MIGRATION_2 },
  { 3, "order, chemistry, calibrations per step, users with roles, audit values", MIGRATION_3 },
  { 4, "the yield summary per day, shift, model, station, fixture, operator and order",
    MIGRATION_4 },
  { 5, "the purpose of a run (EOL test or flash), only EOL runs in the yield", MIGRATION_5 },
  { 6, "the order's heater option and protection profile", MIGRATION_6 },
  { 7, "the instruments of each run with their calibration due dates", MIGRATION_7 },
  { 8, "each measurement's run, and the series index of the statistics", MIGRATION_8 },
  { 9, "each fixture's latest run and contact replacement, the index of running runs",
    MIGRATION_9 },
  { 10, "the production orders registered on the station", MIGRATION_10 },
  { 11, "a globally unique id per run and the outbox of runs for the factory database",
    MIGRATION_11 },
  { 12, "the shift start's golden boards and their checks per fixture and shift", MIGRATION_12 },
};

/* Returns the version of the last migration. */
int schema_latest_version(void)
{
  return MIGRATIONS[G_N_ELEMENTS(MIGRATIONS) - 1].version;
}

/* Reads PRAGMA user_version; FALSE with the SQLite message on failure. */
static gboolean read_user_version(sqlite3 *db, const char *path, int *version, GError **error)
{
  sqlite3_stmt *statement = NULL;
  int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step(statement);
  if (rc != SQLITE_ROW) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_SCHEMA,
                "cannot read the schema version of %s: %s", path, sqlite3_errmsg(db));
    sqlite3_finalize(statement);
    return FALSE;
  }
  *version = sqlite3_column_int(statement, 0);
  sqlite3_finalize(statement);
  return TRUE;
}

/* Counts the tables, indexes and views that are not SQLite's own; -1 on failure. */
static int count_user_objects(sqlite3 *db)
{
  sqlite3_stmt *statement = NULL;
  int count = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
                         -1, &statement, NULL) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW)
    count = sqlite3_column_int(statement, 0);
  sqlite3_finalize(statement);
  return count;
}

/* Refuses a version this station cannot use; TRUE when the database is usable or migratable. */
static gboolean check_version_known(int version, const char *path, GError **error)
{
  if (version > schema_latest_version()) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_SCHEMA,
                "%s: database schema version %d is newer than this station (%d); update the "
                "station", path, version, schema_latest_version());
    return FALSE;
  }
  if (version < 0) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_SCHEMA,
                "%s: database schema version %d is not one this station ever wrote; check "
                "the path", path, version);
    return FALSE;
  }
  return TRUE;
}

/* Applies the missing migrations inside one write transaction (held by the caller). */
static gboolean apply_migrations(sqlite3 *db, const char *path, int target, int *version,
                                 GError **error)
{
  if (!read_user_version(db, path, version, error))
    return FALSE;
  if (!check_version_known(*version, path, error))
    return FALSE;
  if (*version == 0 && count_user_objects(db) > 0) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_SCHEMA,
                "%s is an SQLite database of another program (it has tables but no station "
                "schema version); choose another path for the result store", path);
    return FALSE;
  }

  for (guint i = 0; i < G_N_ELEMENTS(MIGRATIONS); i++) {
    const Migration *migration = &MIGRATIONS[i];
    if (migration->version <= *version || migration->version > target)
      continue;
    char *sql_error = NULL;
    g_autofree char *set_version =
        g_strdup_printf("PRAGMA user_version = %d", migration->version);
    if (sqlite3_exec(db, migration->sql, NULL, NULL, &sql_error) != SQLITE_OK ||
        sqlite3_exec(db, set_version, NULL, NULL, &sql_error) != SQLITE_OK) {
      g_set_error(error, STORE_ERROR, STORE_ERROR_SCHEMA,
                  "%s: migrating to schema version %d (%s) failed: %s; the database is "
                  "unchanged", path, migration->version, migration->summary,
                  sql_error ? sql_error : sqlite3_errmsg(db));
      sqlite3_free(sql_error);
      return FALSE;
    }
    *version = migration->version;
  }
  return TRUE;
}

/* Brings the database up to date; see schema.h. */
gboolean schema_migrate(sqlite3 *db, const char *path, int *version, GError **error)
{
  return schema_migrate_to(db, path, schema_latest_version(), version, error);
}

/* Brings the database up to version target; see schema.h. */
gboolean schema_migrate_to(sqlite3 *db, const char *path, int target, int *version,
                           GError **error)
{
  int current = 0;
  if (!read_user_version(db, path, &current, error))
    return FALSE;
  if (!check_version_known(current, path, error))
    return FALSE;
  if (current >= target) {
    *version = current;
    return TRUE;
  }

  /* IMMEDIATE: two stations opening a new database at once migrate it one after the other */
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_SCHEMA,
                "%s: cannot start the schema migration: %s", path, sqlite3_errmsg(db));
    return FALSE;
  }
  if (!apply_migrations(db, path, target, &current, error)) {
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
  }
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    g_set_error(error, STORE_ERROR, STORE_ERROR_SCHEMA,
                "%s: cannot commit the schema migration: %s", path, sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
  }
  *version = current;
  return TRUE;
}
