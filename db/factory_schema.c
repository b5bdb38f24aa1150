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

/* Version 3: the yield summary the yield report reads instead of every run (db/SCHEMA.md, "What
 * counts"). boards holds each serial's first and latest verdict run in the order of the
 * report (start time, then station and the station's run id); yield_cells counts, per
 * production day, shift, model, station, fixture, operator and order ('' for none), the boards
 * first tested there, how many passed first time and finally, retests and station errors.
 * A trigger keeps both up to date in the transaction that ships a run, whatever order the
 * stations' runs arrive in: a run older than a board's first makes that one a retest, a run
 * newer than its latest changes its final outcome. yield_cells_from_runs computes the same
 * cells from the runs (the migration fills the summary from it; yield_summary_rebuild()
 * does it again). */
#define CELL_KEY_COLUMNS "day, shift, model, station_id, fixture_id, operator, order_id"
static const char MIGRATION_3[] =
  "CREATE FUNCTION yield_day(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS "
  "  $$ SELECT to_char((t AT TIME ZONE 'UTC') - interval '6 hours', 'YYYY-MM-DD') $$;"
  "CREATE FUNCTION yield_shift(t timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE AS "
  "  $$ SELECT CASE WHEN extract(hour FROM t AT TIME ZONE 'UTC') BETWEEN 6 AND 13 THEN 1"
  "     WHEN extract(hour FROM t AT TIME ZONE 'UTC') BETWEEN 14 AND 21 THEN 2 ELSE 3 END $$;"

  "CREATE TABLE boards ("
  "  serial text PRIMARY KEY,"
  "  first_run_id bigint NOT NULL REFERENCES runs(id),"   /* first verdict run */
  "  final_run_id bigint NOT NULL REFERENCES runs(id));"  /* latest verdict run */
  "CREATE TABLE yield_cells ("
  "  day text NOT NULL,"                        /* production day: date(started_at - 6 h) */
  "  shift integer NOT NULL,"                   /* 1: 06-14, 2: 14-22, 3: 22-06 UTC */
  "  model text NOT NULL, station_id text NOT NULL, fixture_id text NOT NULL,"
  "  operator text NOT NULL, order_id text NOT NULL,"
  "  boards bigint NOT NULL DEFAULT 0,"         /* boards whose first verdict run is here */
  "  first_pass bigint NOT NULL DEFAULT 0,"
  "  final_pass bigint NOT NULL DEFAULT 0,"
  "  retests bigint NOT NULL DEFAULT 0,"        /* verdict runs after a board's first */
  "  station_errors bigint NOT NULL DEFAULT 0," /* ERROR and ABORTED runs */
  "  PRIMARY KEY (" CELL_KEY_COLUMNS "));"
  "CREATE INDEX yield_cells_station ON yield_cells (station_id, day);"

  "CREATE VIEW yield_cells_from_runs AS "
  "WITH verdicts AS ("
  "  SELECT r.*, row_number() OVER board AS attempt,"
  "    last_value(r.outcome) OVER (board ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED "
  "    FOLLOWING) AS final_outcome"
  "  FROM runs AS r WHERE r.purpose = 'eol' AND r.outcome IN ('PASS', 'FAIL')"
  "  WINDOW board AS (PARTITION BY r.serial ORDER BY r.started_at, r.station_id, r.local_id)),"
  "cells AS ("
  "  SELECT r.started_at, r.model, r.station_id, r.fixture_id, r.operator, r.order_id,"
  "    (attempt = 1)::int AS boards, (attempt = 1 AND outcome = 'PASS')::int AS first_pass,"
  "    (attempt = 1 AND final_outcome = 'PASS')::int AS final_pass,"
  "    (attempt > 1)::int AS retests, 0 AS station_errors FROM verdicts AS r"
  "  UNION ALL"
  "  SELECT r.started_at, r.model, r.station_id, r.fixture_id, r.operator, r.order_id,"
  "    0, 0, 0, 0, 1 FROM runs AS r"
  "  WHERE r.purpose = 'eol' AND r.outcome IN ('ERROR', 'ABORTED')) "
  "SELECT yield_day(started_at) AS day, yield_shift(started_at) AS shift, model, station_id,"
  "  coalesce(fixture_id, '') AS fixture_id, coalesce(operator, '') AS operator,"
  "  coalesce(order_id, '') AS order_id, sum(boards)::bigint AS boards,"
  "  sum(first_pass)::bigint AS first_pass, sum(final_pass)::bigint AS final_pass,"
  "  sum(retests)::bigint AS retests, sum(station_errors)::bigint AS station_errors "
  "FROM cells GROUP BY 1, 2, 3, 4, 5, 6, 7;"

  /* adds counts to the cell of run r */
  "CREATE FUNCTION yield_cell_add(r runs, d_boards integer, d_first integer, d_final integer,"
  "  d_retests integer, d_errors integer) RETURNS void LANGUAGE sql AS $$"
  "  INSERT INTO yield_cells AS c VALUES (yield_day(r.started_at), yield_shift(r.started_at),"
  "    r.model, r.station_id, coalesce(r.fixture_id, ''), coalesce(r.operator, ''),"
  "    coalesce(r.order_id, ''), d_boards, d_first, d_final, d_retests, d_errors)"
  "  ON CONFLICT (" CELL_KEY_COLUMNS ") DO UPDATE SET boards = c.boards + excluded.boards,"
  "    first_pass = c.first_pass + excluded.first_pass,"
  "    final_pass = c.final_pass + excluded.final_pass, retests = c.retests + excluded.retests,"
  "    station_errors = c.station_errors + excluded.station_errors $$;"

  "CREATE FUNCTION runs_yield() RETURNS trigger LANGUAGE plpgsql AS $$"
  "DECLARE b boards; f runs; l runs; passed integer := (NEW.outcome = 'PASS')::int;"
  "BEGIN"
  "  IF NEW.outcome IN ('ERROR', 'ABORTED') THEN"
  "    PERFORM yield_cell_add(NEW, 0, 0, 0, 0, 1);"
  "    RETURN NULL;"
  "  END IF;"
  "  INSERT INTO boards VALUES (NEW.serial, NEW.id, NEW.id) ON CONFLICT (serial) DO NOTHING;"
  "  IF FOUND THEN"                             /* the board's first verdict run */
  "    PERFORM yield_cell_add(NEW, 1, passed, passed, 0, 0);"
  "    RETURN NULL;"
  "  END IF;"
  "  SELECT * INTO b FROM boards WHERE serial = NEW.serial FOR UPDATE;"
  "  SELECT * INTO f FROM runs WHERE id = b.first_run_id;"
  "  SELECT * INTO l FROM runs WHERE id = b.final_run_id;"
  "  IF (NEW.started_at, NEW.station_id, NEW.local_id) < (f.started_at, f.station_id, f.local_id)"
  "  THEN"                                      /* older than its first: that one a retest */
  "    PERFORM yield_cell_add(f, -1, -(f.outcome = 'PASS')::int, -(l.outcome = 'PASS')::int,"
  "      1, 0);"
  "    PERFORM yield_cell_add(NEW, 1, passed, (l.outcome = 'PASS')::int, 0, 0);"
  "    UPDATE boards SET first_run_id = NEW.id WHERE serial = NEW.serial;"
  "  ELSE"
  "    PERFORM yield_cell_add(NEW, 0, 0, 0, 1, 0);"
  "    IF (NEW.started_at, NEW.station_id, NEW.local_id) > (l.started_at, l.station_id,"
  "        l.local_id) THEN"                    /* its latest: the final outcome changes */
  "      PERFORM yield_cell_add(f, 0, 0, passed - (l.outcome = 'PASS')::int, 0, 0);"
  "      UPDATE boards SET final_run_id = NEW.id WHERE serial = NEW.serial;"
  "    END IF;"
  "  END IF;"
  "  RETURN NULL;"
  "END $$;"
  "CREATE TRIGGER runs_yield AFTER INSERT ON runs FOR EACH ROW WHEN (NEW.purpose = 'eol')"
  "  EXECUTE FUNCTION runs_yield();"

  "CREATE FUNCTION yield_summary_rebuild() RETURNS void LANGUAGE sql SET work_mem = '256MB' "
  "AS $$"
  "  TRUNCATE boards, yield_cells;"
  "  INSERT INTO boards SELECT DISTINCT ON (serial) serial, first_value(id) OVER board,"
  "    last_value(id) OVER (board ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
  "    FROM runs WHERE purpose = 'eol' AND outcome IN ('PASS', 'FAIL')"
  "    WINDOW board AS (PARTITION BY serial ORDER BY started_at, station_id, local_id);"
  "  INSERT INTO yield_cells SELECT * FROM yield_cells_from_runs;"
  "$$;"
  "SELECT yield_summary_rebuild();";

typedef struct {
  int version;
  const char *summary;
  const char *sql;
} FactoryMigration;

static const FactoryMigration MIGRATIONS[] = {
  { 1, "runs of every station with steps, measurements, calibrations and instruments",
    MIGRATION_1 },
  { 2, "firmware releases distributed to the stations", MIGRATION_2 },
  { 3, "the yield summary, kept up to date as runs arrive", MIGRATION_3 },
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
                "the factory database %s has schema version %d, newer than the %d this "
                "station knows: update this station's software to the version that migrated "
                "it", factory->description, version, factory_schema_latest_version());
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
