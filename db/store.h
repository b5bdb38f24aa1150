/* The result store: every run, step and measurement in SQLite (WAL mode, schema versioned by
 * PRAGMA user_version with forward migrations). The only code that speaks SQL is in db/.
 * A run row is written when the run starts (outcome RUNNING) and completed at its end; steps
 * and measurements are written as they happen, so a crash leaves a RUNNING run that the next
 * store_open() marks ABORTED, and a finished run is never lost. Outcomes are the engine's
 * words as text: PASS, FAIL, ERROR, ABORTED (runs); PASS, FAIL, SKIP, ERROR (steps and
 * measurements). Times are ISO 8601 UTC text. */
#pragma once
#include <glib.h>

#define STORE_ERROR (store_error_quark())
GQuark store_error_quark(void);
typedef enum {
  STORE_ERROR_OPEN,      /* cannot open or create the database file */
  STORE_ERROR_SCHEMA,    /* newer schema than this program knows, or migration failed */
  STORE_ERROR_SQL,       /* a statement failed (message has SQLite's words) */
  STORE_ERROR_NOT_FOUND, /* no such run */
  STORE_ERROR_READ_ONLY, /* the database file or its folder cannot be written */
  STORE_ERROR_LOCKED,    /* another program held the write lock beyond the busy timeout */
  STORE_ERROR_FULL       /* the disk has no room for a run */
} StoreErrorCode;

typedef struct Store Store;

/* Default database: <user data dir>/jk-eol-station/results.db (directories created). */
char *store_default_path(void);
Store *store_open(const char *path, GError **error);
/* Another connection to a database this process has open with store_open() (as the factory
 * shipper's thread has, so that it never waits on the run's connection): the same schema, but
 * no recovery of interrupted runs, since the runs going on in this process are alive. */
Store *store_open_beside(const char *path, GError **error);
void store_close(Store *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Store, store_close)
int store_schema_version(Store *store);

/* Whether the board of a run has its heater option, as its order says. */
typedef enum {
  RUN_HEATER_UNKNOWN,           /* not recorded (runs before the order had it): NULL */
  RUN_HEATER_NO,                /* 0 */
  RUN_HEATER_YES,               /* 1 */
} RunHeater;

/* An instrument a run uses, as the fixture file describes it. */
typedef struct {
  const char *role;             /* the fixture file's group: "cells", "load" ... */
  const char *driver;
  const char *resource;
  const char *cal_due;          /* YYYY-MM-DD, NULL when the file gives none */
} RunInstrument;

typedef struct {
  const char *serial;
  const char *model;
  const char *station_id;
  const char *fixture_id;
  int slot;
  const char *operator_name;
  const char *sequence_name;
  const char *sequence_sha256;
  const char *limits_sha256;    /* NULL when none */
  const char *firmware_sha256;  /* NULL when none */
  const char *app_version;
  const char *order_id;         /* production order, NULL when none */
  const char *chemistry;        /* "lfp", "liion", "lto" the board is configured for */
  int cell_count;               /* cells in series tested, 0 when unknown */
  RunHeater heater;             /* the order's heater option */
  const char *profile;          /* protection profile configured, NULL when unknown */
  const char *purpose;          /* "eol" (NULL: the same): a production test, counted in the
                                   yield; "flash": rework flashing, never a verdict */
  const char *started_at;       /* NULL: now; else a stored-format UTC time (runs imported
                                   from elsewhere, generated data) */
  const RunInstrument *instruments;   /* the fixture's instruments, n_instruments of them */
  guint n_instruments;
  gint64 contact_cycles_max;    /* the fixture's rated contact cycles, 0 when not given */
} RunStart;

typedef struct {
  const char *name;
  const char *unit;             /* "V", "mV", "" ... */
  double value;                 /* NAN when the measurement is textual */
  const char *text;             /* textual value, NULL when numeric */
  double low;                   /* NAN when no lower limit */
  double high;                  /* NAN when no upper limit */
  const char *comparison;       /* "GELE", "GE", "LE", "EQ", "LOG" ... */
  const char *expected;         /* for textual EQ, else NULL */
  const char *outcome;          /* PASS / FAIL / ... */
} MeasurementRecord;

gint64 store_run_begin(Store *store, const RunStart *run, GError **error);
gint64 store_step_begin(Store *store, gint64 run_id, int index, const char *group,
                        const char *name, GError **error);
gboolean store_step_end(Store *store, gint64 step_id, const char *outcome, const char *message,
                        GError **error);
gboolean store_measurement_add(Store *store, gint64 step_id, const MeasurementRecord *m,
                               GError **error);
/* A board's calibration as a step made it: the true value written to the board, its reading
 * before and after, the correction factor it reports; NAN when not known. */
typedef struct {
  const char *kind;             /* "voltage" or "current" */
  const char *unit;             /* of reference and readings: "mV", "mA" */
  double reference;
  double reading_before;
  double reading_after;
  double factor;
  const char *outcome;          /* PASS when the board took it and it verified, else FAIL */
} CalibrationRecord;

/* Writes a calibration of a run made by a step (step_id 0: none); STORE_ERROR_NOT_FOUND
 * when the run does not exist. */
gboolean store_calibration_add(Store *store, gint64 run_id, gint64 step_id,
                               const CalibrationRecord *calibration, GError **error);
/* first_failure: name of the first failing step, NULL when none; message: why (may be NULL) */
gboolean store_run_end(Store *store, gint64 run_id, const char *outcome,
                       const char *first_failure, const char *message, GError **error);

/* Read side, for `station runs` / `station show` and the UI. */
typedef struct {
  gint64 id;
  char *serial, *model, *outcome, *started_at, *ended_at, *first_failure, *message;
  char *station_id, *fixture_id, *operator_name, *sequence_name, *sequence_sha256;
  char *limits_sha256, *firmware_sha256, *app_version;
  char *order_id, *chemistry;   /* NULL when not recorded */
  char *purpose;                /* "eol" or "flash" */
  int slot;
  int cell_count;               /* 0 when not recorded */
  RunHeater heater;             /* RUN_HEATER_UNKNOWN when not recorded */
  char *profile;                /* NULL when not recorded */
  char *uid;                    /* globally unique id (UUID) the factory database knows it by */
  double duration_s;            /* s, NAN while running */
} RunRow;

typedef struct {
  gint64 id;
  int index;
  char *group, *name, *outcome, *message, *started_at, *ended_at;
  GPtrArray *measurements;      /* of MeasurementRow* */
} StepRow;

typedef struct {
  char *name, *unit, *text, *comparison, *expected, *outcome;
  char *taken_at;
  double value, low, high;
} MeasurementRow;

typedef struct {
  gint64 step_id;               /* 0 when not recorded */
  char *kind, *unit, *outcome, *taken_at;
  double reference, reading_before, reading_after, factor;
} CalibrationRow;

typedef struct {
  char *role, *driver, *resource;
  char *cal_due;                /* NULL when not recorded */
} RunInstrumentRow;
void run_instrument_row_free(RunInstrumentRow *row);

typedef struct {
  RunRow run;
  GPtrArray *instruments;       /* of RunInstrumentRow*, by role */
  GPtrArray *steps;             /* of StepRow* */
  GPtrArray *calibrations;      /* of CalibrationRow*, in the order they were made */
} RunDetail;

/* Most recent first; serial may be NULL (all). Returns GPtrArray of RunRow* (freeing). */
GPtrArray *store_list_runs(Store *store, int limit, const char *serial, GError **error);
RunDetail *store_get_run(Store *store, gint64 run_id, GError **error);
void run_row_free(RunRow *row);
void run_detail_free(RunDetail *detail);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RunDetail, run_detail_free)

/* Fixtures: contact cycles counted for a fixture (one per run begun on it), or -1 with
 * STORE_ERROR_NOT_FOUND when no run has used it. */
gint64 store_fixture_contact_cycles(Store *store, const char *fixture_id, GError **error);

/* A fixture as the runs on it left it. */
typedef struct {
  char *id, *station_id, *first_seen, *last_seen;
  gint64 contact_cycles;        /* boards inserted since its contacts were last replaced */
  gint64 contact_cycles_max;    /* as its fixture file last gave it, 0 when not given */
  char *contacts_reset_at;      /* when its contacts were last replaced, NULL: never */
  gint64 last_run_id;           /* its latest run, 0 when not known (before schema 9) */
  GPtrArray *instruments;       /* RunInstrumentRow*: those its latest run recorded, by role */
} FixtureRow;

/* Every fixture that has been used, by id; GPtrArray of FixtureRow* (freeing). */
GPtrArray *store_list_fixtures(Store *store, GError **error);
void fixture_row_free(FixtureRow *row);

/* Sets a fixture's contact cycles back to 0 when its contacts (the bed of nails) are
 * replaced, written to the audit log (fixture.reset_contacts) as done by actor with the
 * cycles before and after; *cycles_before (may be NULL) the count it had.
 * STORE_ERROR_NOT_FOUND when no run has used the fixture. */
gboolean store_fixture_reset_contacts(Store *store, const char *actor, const char *fixture_id,
                                      gint64 *cycles_before, GError **error);
