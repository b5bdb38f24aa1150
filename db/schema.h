/* The result store's schema (private to db/): the list of forward migrations that take a
 * database from any older PRAGMA user_version to the one this station knows. */
#pragma once
#include <glib.h>
#include <sqlite3.h>

/* The schema version this station writes (the last migration's number). */
int schema_latest_version(void);
/* Brings the open database at path up to schema_latest_version() (STORE_ERROR_SCHEMA when it
 * is newer, is some other program's database, or a migration fails; nothing is changed then).
 * On success *version is the database's schema version. */
gboolean schema_migrate(sqlite3 *db, const char *path, int *version, GError **error);
/* The same up to version target only (<= schema_latest_version()): for tests that make the
 * database an older station wrote. */
gboolean schema_migrate_to(sqlite3 *db, const char *path, int target, int *version,
                           GError **error);

/* Refills boards and yield_cells (schema version 4, when every run was an EOL run) from the
 * runs table, for that migration. It counts every run: a later bulk load that writes runs
 * directly must leave out those whose purpose is not 'eol'. */
#define SCHEMA_YIELD_REBUILD_SQL                                                              \
  "DELETE FROM boards; DELETE FROM yield_cells;"                                              \
  "INSERT INTO boards (serial, first_run_id, final_run_id, final_outcome, verdict_runs)"      \
  "  SELECT serial, min(id), max(id), '', count(*) FROM runs"                                 \
  "  WHERE outcome IN ('PASS', 'FAIL') GROUP BY serial;"                                      \
  "UPDATE boards SET final_outcome = (SELECT outcome FROM runs WHERE id = final_run_id);"     \
  "INSERT INTO yield_cells (day, shift, model, station_id, fixture_id, operator, order_id,"   \
  "  boards, first_pass, final_pass, retests, station_errors)"                                \
  "  SELECT date(r.started_at, '-6 hours'),"                                                  \
  "    CASE WHEN strftime('%H', r.started_at) BETWEEN '06' AND '13' THEN 1"                   \
  "    WHEN strftime('%H', r.started_at) BETWEEN '14' AND '21' THEN 2 ELSE 3 END,"            \
  "    r.model, coalesce(r.station_id, ''), coalesce(r.fixture_id, ''),"                      \
  "    coalesce(r.operator, ''), coalesce(r.order_id, ''),"                                   \
  "    count(*) FILTER (WHERE b.first_run_id = r.id),"                                        \
  "    count(*) FILTER (WHERE b.first_run_id = r.id AND r.outcome = 'PASS'),"                 \
  "    count(*) FILTER (WHERE b.first_run_id = r.id AND b.final_outcome = 'PASS'),"           \
  "    count(*) FILTER (WHERE r.outcome IN ('PASS', 'FAIL') AND b.first_run_id <> r.id),"     \
  "    count(*) FILTER (WHERE r.outcome IN ('ERROR', 'ABORTED'))"                             \
  "  FROM runs AS r LEFT JOIN boards AS b ON b.serial = r.serial"                             \
  "  WHERE r.outcome <> 'RUNNING' GROUP BY 1, 2, 3, 4, 5, 6, 7;"
