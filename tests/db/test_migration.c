/* Tests of the result store's schema history and traceability: a database written by every
 * earlier schema version, with data in it, opens and is migrated to the latest version
 * keeping every run, step, measurement, calibration, operator, audit entry and firmware
 * image; a run records its order, chemistry and cell count, and its calibrations come back
 * with the step that made them. */
#include "db/store.h"
#include "db/schema.h"
#include "tests/cunit_main.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>

static char *scratch_dir;

/* What a station of schema version 1 wrote (and a version 2 station writes the same way). */
static const char DATA_V1[] =
  "INSERT INTO stations VALUES ('EOL-1', '', '2025-01-02T08:00:00.000Z', "
  "  '2025-01-02T08:00:00.000Z');"
  "INSERT INTO fixtures (id, station_id, contact_cycles, first_seen, last_seen) VALUES "
  "  ('FX-1', 'EOL-1', 1, '2025-01-02T08:00:00.000Z', '2025-01-02T08:00:00.000Z');"
  "INSERT INTO runs (id, serial, model, station_id, fixture_id, slot, operator, outcome, "
  "  first_failure, started_at, ended_at, duration_s) VALUES (1, 'B2A24S15P-2501-00001', "
  "  'B2A24S15P', 'EOL-1', 'FX-1', 1, 'bob', 'FAIL', 'overcharge', "
  "  '2025-01-02T08:00:00.000Z', '2025-01-02T08:01:00.000Z', 60.0);"
  "INSERT INTO steps VALUES (1, 1, 1, 'main', 'voltage-calibration', 'PASS', NULL, "
  "  '2025-01-02T08:00:10.000Z', '2025-01-02T08:00:20.000Z');"
  "INSERT INTO steps VALUES (2, 1, 2, 'main', 'overcharge', 'FAIL', 'trip late', "
  "  '2025-01-02T08:00:20.000Z', '2025-01-02T08:00:30.000Z');"
  "INSERT INTO measurements (step_id, name, unit, value, low, high, comparison, outcome, "
  "  taken_at) VALUES (2, 'ovp_trip', 'V', 3.71, 3.60, 3.70, 'GELE', 'FAIL', "
  "  '2025-01-02T08:00:25.000Z');"
  "INSERT INTO calibrations (run_id, kind, unit, reference, reading_before, reading_after, "
  "  factor, outcome, taken_at) VALUES (1, 'voltage', 'mV', 53000, 53100, 53002, 1.002, "
  "  'PASS', '2025-01-02T08:00:15.000Z');"
  "INSERT INTO audit_log (at, actor, action, subject, detail) VALUES "
  "  ('2025-01-02T07:00:00.000Z', 'bob', 'operator.role', 'bob', 'engineer');";

/* The engineer, in the operators table of versions 1 and 2 and the users table after. */
static const char ENGINEER_V1[] =
  "INSERT INTO operators VALUES ('bob', 'engineer', '2025-01-02T08:00:00.000Z');";
static const char ENGINEER_V3[] =
  "INSERT INTO users (name, role, created_at) VALUES ('bob', 'engineer', "
  "  '2025-01-02T08:00:00.000Z');";

/* What a version 2 station added: a signed, released firmware image. */
static const char DATA_V2[] =
  "INSERT INTO firmware_images (id, version, models, sha256, image, size_bytes, released, "
  "  imported_at, notes, manifest, signer_key_id) VALUES (1, '11.30', 'B2A24S15P', "
  "  'ab', x'00', 1, 1, '2025-01-01T00:00:00.000Z', 'n', 'm', '0011223344556677');"
  "INSERT INTO firmware_releases (image_id, model, released_at) VALUES (1, 'B2A24S15P', "
  "  '2025-01-01T00:00:00.000Z');";

/* Makes at path the database a station of schema version `version` wrote, with data. */
static void make_old_database(const char *path, int version)
{
  sqlite3 *db = NULL;
  CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
  g_autoptr(GError) error = NULL;
  int reached = 0;
  CU_ASSERT_TRUE_FATAL(schema_migrate_to(db, path, version, &reached, &error));
  CU_ASSERT_EQUAL(reached, version);
  char *message = NULL;
  int rc = sqlite3_exec(db, DATA_V1, NULL, NULL, &message);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(db, version >= 3 ? ENGINEER_V3 : ENGINEER_V1, NULL, NULL, &message);
  if (rc == SQLITE_OK && version >= 2)
    rc = sqlite3_exec(db, DATA_V2, NULL, NULL, &message);
  /* The data's runs are written finished, so the triggers of version 4 did not see them end:
   * the yield summary is filled as a bulk load fills it. */
  if (rc == SQLITE_OK && version >= 4)
    rc = sqlite3_exec(db, SCHEMA_YIELD_REBUILD_SQL, NULL, NULL, &message);
  /* a station of version 8 and later writes each measurement with its run */
  if (rc == SQLITE_OK && version >= 8)
    rc = sqlite3_exec(db, "UPDATE measurements SET run_id = (SELECT run_id FROM steps WHERE "
                      "steps.id = measurements.step_id)", NULL, NULL, &message);
  /* a station of version 9 and later keeps each fixture's latest run */
  if (rc == SQLITE_OK && version >= 9)
    rc = sqlite3_exec(db, "UPDATE fixtures SET last_run_id = (SELECT max(id) FROM runs WHERE "
                      "runs.fixture_id = fixtures.id)", NULL, NULL, &message);
  if (rc != SQLITE_OK)
    printf("\n  data of version %d: %s\n", version, message);
  CU_ASSERT_EQUAL(rc, SQLITE_OK);
  sqlite3_free(message);
  sqlite3_close(db);
}

/* One integer from the file through the SQLite library; -1 when the query fails. */
static int int_on_file(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *statement = NULL;
  int value = -1;
  CU_ASSERT_EQUAL_FATAL(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &statement, NULL) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW)
    value = sqlite3_column_int(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

/* The old run as the migrated store reads it. */
static void check_old_run(Store *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RunDetail) run = store_get_run(store, 1, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(run);
  CU_ASSERT_STRING_EQUAL(run->run.serial, "B2A24S15P-2501-00001");
  CU_ASSERT_STRING_EQUAL(run->run.first_failure, "overcharge");
  CU_ASSERT_PTR_NULL(run->run.chemistry);
  CU_ASSERT_PTR_NULL(run->run.order_id);
  CU_ASSERT_EQUAL(run->run.cell_count, 0);
  CU_ASSERT_EQUAL(run->run.heater, RUN_HEATER_UNKNOWN);
  CU_ASSERT_PTR_NULL(run->run.profile);
  CU_ASSERT_EQUAL_FATAL(run->steps->len, 2);
  const StepRow *failing = g_ptr_array_index(run->steps, 1);
  CU_ASSERT_EQUAL_FATAL(failing->measurements->len, 1);
  const MeasurementRow *m = g_ptr_array_index(failing->measurements, 0);
  CU_ASSERT_DOUBLE_EQUAL(m->value, 3.71, 1e-12);
  CU_ASSERT_EQUAL_FATAL(run->calibrations->len, 1);
  const CalibrationRow *c = g_ptr_array_index(run->calibrations, 0);
  CU_ASSERT_STRING_EQUAL(c->kind, "voltage");
  CU_ASSERT_DOUBLE_EQUAL(c->reference, 53000, 1e-9);
  CU_ASSERT_EQUAL(c->step_id, 0);
}

/* Every earlier version, with data, migrates to the latest and keeps all of it. */
static void test_migrate_every_version(void)
{
  for (int version = 1; version < schema_latest_version(); version++) {
    g_autofree char *name = g_strdup_printf("v%d.db", version);
    g_autofree char *path = g_build_filename(scratch_dir, name, NULL);
    make_old_database(path, version);

    g_autoptr(GError) error = NULL;
    g_autoptr(Store) store = store_open(path, &error);
    if (error)
      printf("\n  version %d: %s\n", version, error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(store);
    CU_ASSERT_EQUAL(store_schema_version(store), schema_latest_version());
    check_old_run(store);
    CU_ASSERT_EQUAL(store_fixture_contact_cycles(store, "FX-1", NULL), 1);
    {
      /* the old run is its fixture's latest */
      g_autoptr(GPtrArray) old_fixtures = store_list_fixtures(store, NULL);
      CU_ASSERT_PTR_NOT_NULL_FATAL(old_fixtures);
      CU_ASSERT_EQUAL(((const FixtureRow *)g_ptr_array_index(old_fixtures, 0))->last_run_id, 1);
    }

    /* a new run on the migrated database records what the new schema adds */
    RunStart start = {.serial = "B2A24S15P-2501-00002", .model = "B2A24S15P",
                      .station_id = "EOL-1", .fixture_id = "FX-1", .operator_name = "carol",
                      .order_id = "PO-42", .chemistry = "lto", .cell_count = 24,
                      .heater = RUN_HEATER_NO, .profile = "cold"};
    const RunInstrument instruments[] = {
      {.role = "cells", .driver = "ngi-n83624", .resource = "TCPIP::cs::5025::SOCKET"},
      {.role = "dmm", .driver = "keysight-34461a", .resource = "TCPIP::dmm::5025::SOCKET",
       .cal_due = "2027-03-01"},
    };
    start.instruments = instruments;
    start.n_instruments = G_N_ELEMENTS(instruments);
    start.contact_cycles_max = 50000;
    gint64 run_id = store_run_begin(store, &start, &error);
    CU_ASSERT_TRUE_FATAL(run_id > 0);
    g_autoptr(RunDetail) stored = store_get_run(store, run_id, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(stored);
    CU_ASSERT_EQUAL_FATAL(stored->instruments->len, 2);
    const RunInstrumentRow *dmm = g_ptr_array_index(stored->instruments, 1);
    CU_ASSERT_STRING_EQUAL(dmm->role, "dmm");
    CU_ASSERT_STRING_EQUAL(dmm->cal_due, "2027-03-01");
    CU_ASSERT_PTR_NULL(((const RunInstrumentRow *)g_ptr_array_index(stored->instruments, 0))
                           ->cal_due);
    /* the old fixture's one cycle and the new run's, and the rating the new run gave */
    g_autoptr(GPtrArray) fixtures = store_list_fixtures(store, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fixtures);
    CU_ASSERT_EQUAL_FATAL(fixtures->len, 1);
    const FixtureRow *fixture = g_ptr_array_index(fixtures, 0);
    CU_ASSERT_EQUAL(fixture->contact_cycles, 2);
    CU_ASSERT_EQUAL(fixture->contact_cycles_max, 50000);
    CU_ASSERT_EQUAL(fixture->last_run_id, run_id);
    CU_ASSERT_EQUAL(fixture->instruments->len, 2);
    CU_ASSERT_EQUAL(stored->run.heater, RUN_HEATER_NO);
    CU_ASSERT_STRING_EQUAL(stored->run.profile, "cold");
    /* a rework flash of the old board, passed: stored as a flash run, not a verdict */
    RunStart flash = {.serial = "B2A24S15P-2501-00001", .model = "B2A24S15P",
                      .station_id = "EOL-1", .fixture_id = "FX-1", .operator_name = "carol",
                      .purpose = "flash"};
    gint64 flash_id = store_run_begin(store, &flash, &error);
    CU_ASSERT_TRUE_FATAL(flash_id > 0);
    CU_ASSERT_TRUE(store_run_end(store, flash_id, "PASS", NULL, NULL, &error));
    store_close(g_steal_pointer(&store));

    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM users WHERE name = 'bob' AND "
                                      "role = 'engineer'"), 1);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM users WHERE name = 'carol' AND "
                                      "role = 'operator'"), 1);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM audit_log WHERE actor = 'bob' "
                                      "AND old_value IS NULL"), 1);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM runs WHERE order_id = 'PO-42' "
                                      "AND chemistry = 'lto' AND cell_count = 24 AND heater = 0 "
                                      "AND profile = 'cold'"), 1);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM firmware_images"),
                    version >= 2 ? 1 : 0);
    CU_ASSERT_EQUAL(int_on_file(path, "PRAGMA user_version"), schema_latest_version());
    /* the yield summary counts the old failed board: one board, not passed first time */
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT sum(boards) * 10 + sum(first_pass) FROM "
                                      "yield_cells WHERE model = 'B2A24S15P'"), 10);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    /* every measurement knows its run, the old ones included */
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM measurements AS m JOIN steps AS s "
                                      "ON s.id = m.step_id WHERE m.run_id IS NOT s.run_id"), 0);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM measurements WHERE run_id = 1"), 1);
    /* the runs of before are EOL runs; the flash run changed neither the board's verdict nor
     * the station errors */
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM runs WHERE purpose = 'eol'"), 2);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM runs WHERE purpose = 'flash' AND "
                                      "outcome = 'PASS'"), 1);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM boards WHERE final_outcome = "
                                      "'FAIL' AND verdict_runs = 1"), 1);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT sum(retests) + sum(station_errors) FROM "
                                      "yield_cells"), 0);
    /* every run has its own uid, and the finished ones are queued for the factory: the old
     * run by the migration, the flash run as it ended; the running one is not */
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(DISTINCT uid) FROM runs WHERE uid LIKE "
                                      "'________-____-4___-____-____________'"), 3);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM outbox WHERE run_id IN (1, "
                                      "(SELECT id FROM runs WHERE purpose = 'flash'))"), 2);
    CU_ASSERT_EQUAL(int_on_file(path, "SELECT count(*) FROM outbox"), 2);
  }
}

/* A calibration is stored with its run and step; one for an unknown run is refused. */
static void test_calibration_round_trip(void)
{
  g_autofree char *path = g_build_filename(scratch_dir, "calibration.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(path, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(store);
  RunStart start = {.serial = "B2A24S15P-2501-00003", .model = "B2A24S15P",
                    .chemistry = "lfp", .cell_count = 24, .order_id = "PO-1"};
  gint64 run_id = store_run_begin(store, &start, &error);
  gint64 step_id = store_step_begin(store, run_id, 1, "main", "current-calibration", &error);
  CU_ASSERT_TRUE_FATAL(step_id > 0);
  CalibrationRecord record = {.kind = "current", .unit = "mA", .reference = 9996,
                              .reading_before = 9868, .reading_after = NAN, .factor = 1.013,
                              .outcome = "FAIL"};
  CU_ASSERT_TRUE(store_calibration_add(store, run_id, step_id, &record, &error));
  CU_ASSERT_FALSE(store_calibration_add(store, run_id + 7, 0, &record, &error));
  CU_ASSERT_TRUE(g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND));

  g_autoptr(RunDetail) run = store_get_run(store, run_id, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(run);
  CU_ASSERT_STRING_EQUAL(run->run.chemistry, "lfp");
  CU_ASSERT_STRING_EQUAL(run->run.order_id, "PO-1");
  CU_ASSERT_EQUAL(run->run.cell_count, 24);
  CU_ASSERT_EQUAL_FATAL(run->calibrations->len, 1);
  const CalibrationRow *c = g_ptr_array_index(run->calibrations, 0);
  CU_ASSERT_EQUAL(c->step_id, step_id);
  CU_ASSERT_STRING_EQUAL(c->unit, "mA");
  CU_ASSERT_STRING_EQUAL(c->outcome, "FAIL");
  CU_ASSERT_DOUBLE_EQUAL(c->reading_before, 9868, 1e-9);
  CU_ASSERT_TRUE(isnan(c->reading_after));
  CU_ASSERT_DOUBLE_EQUAL(c->factor, 1.013, 1e-12);
}

static int make_scratch(void)
{
  scratch_dir = g_dir_make_tmp("test-migration-XXXXXX", NULL);
  return scratch_dir ? 0 : 1;
}

/* Removes the scratch folder's files (flat) and the folder. */
static int remove_scratch(void)
{
  g_autoptr(GDir) dir = g_dir_open(scratch_dir, 0, NULL);
  const char *name;
  while (dir && (name = g_dir_read_name(dir))) {
    g_autofree char *file = g_build_filename(scratch_dir, name, NULL);
    g_remove(file);
  }
  int rc = g_rmdir(scratch_dir);
  g_clear_pointer(&scratch_dir, g_free);
  return rc == 0 ? 0 : 1;
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("schema migrations", make_scratch, remove_scratch);
  CU_add_test(suite, "every earlier version migrates with its data",
              test_migrate_every_version);
  CU_add_test(suite, "calibration round trip", test_calibration_round_trip);
  return cunit_run_all();
}
