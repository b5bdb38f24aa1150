/* The factory database's schema (PostgreSQL), versioned like the stations' own: the table
 * station_schema holds the version, each migration takes it from N-1 to N in one transaction
 * with the new version, and an advisory lock makes stations that connect at once migrate one
 * after the other. A migration is never edited once released; a new version appends one. */
#include "db/factory_private.h"
#include <stdlib.h>

/* Any number that no other program takes an advisory lock on: "JKEOL" in ASCII. */
#define SCHEMA_LOCK_KEY "74757969767"

/* Version 1: the runs of every station, keyed by their globally unique id (uid) and also
 * known by the station's own id (station_id, local_id); steps by their run and the station's
 * step id (step_no), measurements, calibrations and instruments by those, as the station
 * stores them (db/SCHEMA.md). Times are timestamptz. Indexes serve the reports: the verdict
 * runs of each board in time order (yield), runs by model and time, the failing runs with the
 * filter columns and the failing measurements by run (Pareto), each measurement's series. */
static const char MIGRATION_1[] =
  "CREATE TABLE stations ("
  "  id text PRIMARY KEY,"
  "  first_shipped_at timestamptz NOT NULL DEFAULT now(),"
  "  last_shipped_at timestamptz NOT NULL DEFAULT now());"

  "CREATE TABLE runs ("
  "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
  "  uid uuid NOT NULL UNIQUE,"
  "  station_id text NOT NULL REFERENCES stations(id),"
  "  local_id bigint NOT NULL,"                 /* the run's id in its station's database */
  "  purpose text NOT NULL CHECK (purpose IN ('eol', 'flash')),"
  "  serial text NOT NULL,"
  "  model text NOT NULL,"
  "  fixture_id text,"
  "  slot integer NOT NULL DEFAULT 0,"
  "  operator text,"
  "  order_id text,"
  "  chemistry text,"
  "  cell_count integer,"
  "  heater boolean,"
  "  profile text,"
  "  sequence_name text,"
  "  sequence_sha256 text,"
  "  limits_sha256 text,"
  "  firmware_sha256 text,"
  "  app_version text,"
  "  outcome text NOT NULL CHECK (outcome IN ('PASS', 'FAIL', 'ERROR', 'ABORTED')),"
  "  first_failure text,"
  "  message text,"
  "  started_at timestamptz NOT NULL,"
  "  ended_at timestamptz,"
  "  duration_s double precision,"
  "  shipped_at timestamptz NOT NULL DEFAULT now());"
  "CREATE INDEX runs_board_verdicts ON runs (serial, started_at, station_id, local_id)"
  "  INCLUDE (outcome) WHERE purpose = 'eol' AND outcome IN ('PASS', 'FAIL');"
  "CREATE INDEX runs_model_started_at ON runs (model, started_at);"
  "CREATE INDEX runs_station_started_at ON runs (station_id, started_at);"
  "CREATE INDEX runs_failed ON runs (first_failure, model, station_id, fixture_id, operator,"
  "  order_id, started_at) WHERE outcome = 'FAIL' AND purpose = 'eol';"

  "CREATE TABLE steps ("
  "  run_id bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
  "  step_no bigint NOT NULL,"                  /* the step's id in its station's database */
  "  idx integer NOT NULL,"
  "  grp text NOT NULL,"
  "  name text NOT NULL,"
  "  outcome text NOT NULL,"
  "  message text,"
  "  started_at timestamptz NOT NULL,"
  "  ended_at timestamptz,"
  "  PRIMARY KEY (run_id, step_no));"

  "CREATE TABLE measurements ("
  "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
  "  run_id bigint NOT NULL,"
  "  step_no bigint NOT NULL,"
  "  name text NOT NULL,"
  "  unit text NOT NULL DEFAULT '',"
  "  value double precision,"
  "  text text,"
  "  low double precision,"
  "  high double precision,"
  "  comparison text,"
  "  expected text,"
  "  outcome text NOT NULL,"
  "  taken_at timestamptz,"
  "  FOREIGN KEY (run_id, step_no) REFERENCES steps(run_id, step_no) ON DELETE CASCADE);"
  "CREATE INDEX measurements_run_id ON measurements (run_id);"
  "CREATE INDEX measurements_series ON measurements (name, run_id) INCLUDE (value, low, high);"
  "CREATE INDEX measurements_failed ON measurements (run_id, name) WHERE outcome = 'FAIL';"

  "CREATE TABLE calibrations ("
  "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
  "  run_id bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
  "  step_no bigint,"                           /* NULL: not made by a recorded step */
  "  kind text NOT NULL CHECK (kind IN ('voltage', 'current')),"
  "  unit text NOT NULL,"
  "  reference double precision NOT NULL,"
  "  reading_before double precision,"
  "  reading_after double precision,"
  "  factor double precision,"
  "  outcome text NOT NULL,"
  "  taken_at timestamptz NOT NULL);"
  "CREATE INDEX calibrations_run_id ON calibrations (run_id);"

  "CREATE TABLE run_instruments ("              /* identities (*IDN?) are measurements */
  "  run_id bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
  "  role text NOT NULL,"
  "  driver text NOT NULL,"
  "  resource text NOT NULL,"
  "  cal_due date,"
  "  PRIMARY KEY (run_id, role));";

/* Version 2: firmware releases distributed to the stations. An image is stored once with its
 * signed manifest (each station checks the signature against its own trusted keys before it
 * takes it); a release makes an image the one for a model until a newer release supersedes
 * it; a fetch records that a station took a release, so it is not taken again. */
static const char MIGRATION_2[] =
  "CREATE TABLE firmware_images ("
  "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
  "  version text NOT NULL UNIQUE,"
  "  sha256 text NOT NULL UNIQUE,"              /* lower-case hex of the image */
  "  models text NOT NULL,"                     /* as the manifest lists them, comma separated */
  "  signer_key_id text NOT NULL,"
  "  manifest text NOT NULL,"                   /* the signed manifest, key-file text */
  "  image bytea NOT NULL,"
  "  published_at timestamptz NOT NULL DEFAULT now(),"
  "  published_by text NOT NULL);"

  "CREATE TABLE firmware_releases ("
  "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
  "  model text NOT NULL,"
  "  image_id bigint NOT NULL REFERENCES firmware_images(id),"
  "  released_at timestamptz NOT NULL DEFAULT now(),"
  "  released_by text NOT NULL,"
  "  superseded_at timestamptz);"
  "CREATE UNIQUE INDEX firmware_releases_current ON firmware_releases (model)"
  "  WHERE superseded_at IS NULL;"

  "CREATE TABLE firmware_fetches ("
  "  release_id bigint NOT NULL REFERENCES firmware_releases(id),"
  "  station_id text NOT NULL,"
  "  fetched_at timestamptz NOT NULL DEFAULT now(),"
  "  PRIMARY KEY (release_id, station_id));";

typedef struct {
  int version;
  const char *summary;
  const char *sql;
} FactoryMigration;

static const FactoryMigration MIGRATIONS[] = {
  { 1, "runs of every station with steps, measurements, calibrations and instruments",
    MIGRATION_1 },
  { 2, "firmware releases distributed to the stations", MIGRATION_2 },
};

int factory_schema_latest_version(void)
{
  return MIGRATIONS[G_N_ELEMENTS(MIGRATIONS) - 1].version;
}

/* Reads the version in the open transaction (0: a database without the station's schema). */
static gboolean read_version(FactoryDb *factory, int *version, GError **error)
{
  const char *doing = "reading the schema version";
  if (!factory_exec(factory, "CREATE TABLE IF NOT EXISTS station_schema ("
                             "  version integer NOT NULL,"
                             "  migrated_at timestamptz NOT NULL DEFAULT now())", doing, error))
    return FALSE;
  PGresult *result = PQexec(factory->conn, "SELECT max(version) FROM station_schema");
  gboolean ok = PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) == 1;
  if (ok)
    *version = PQgetisnull(result, 0, 0) ? 0 : atoi(PQgetvalue(result, 0, 0));
  else
    factory_set_error(factory, error, result, doing);
  PQclear(result);
  return ok;
}

/* Applies the missing migrations in the open transaction. */
static gboolean apply_migrations(FactoryDb *factory, GError **error)
{
  int version = 0;
  if (!read_version(factory, &version, error))
    return FALSE;
  if (version > factory_schema_latest_version()) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_SCHEMA,
                "the factory database %s has schema version %d, newer than this station's "
                "(%d): update the station", factory->description, version,
                factory_schema_latest_version());
    return FALSE;
  }
  for (guint i = 0; i < G_N_ELEMENTS(MIGRATIONS); i++) {
    const FactoryMigration *migration = &MIGRATIONS[i];
    if (migration->version <= version)
      continue;
    g_autofree char *doing = g_strdup_printf("migrating to schema version %d (%s)",
                                             migration->version, migration->summary);
    g_autofree char *record = g_strdup_printf("INSERT INTO station_schema (version) VALUES "
                                              "(%d)", migration->version);
    if (!factory_exec(factory, migration->sql, doing, error) ||
        !factory_exec(factory, record, doing, error))
      return FALSE;
    version = migration->version;
  }
  factory->schema_version = version;
  return TRUE;
}

gboolean factory_schema_migrate(FactoryDb *factory, GError **error)
{
  g_autoptr(GError) local = NULL;
  gboolean ok = factory_exec(factory, "BEGIN", "starting the schema migration", &local) &&
                factory_exec(factory, "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK_KEY ")",
                             "waiting for another station's schema migration", &local) &&
                apply_migrations(factory, &local) &&
                factory_exec(factory, "COMMIT", "committing the schema migration", &local);
  if (ok)
    return TRUE;
  PQclear(PQexec(factory->conn, "ROLLBACK"));
  if (local->domain == FACTORY_ERROR && local->code == FACTORY_ERROR_SCHEMA) {
    g_propagate_error(error, g_steal_pointer(&local));
  } else {
    g_set_error(error, FACTORY_ERROR, factory_connected(factory) ? FACTORY_ERROR_SCHEMA
                                                                   : FACTORY_ERROR_LINK,
                "%s; the factory database is unchanged", local->message);
  }
  return FALSE;
}
