/* Private to the engine: the state of one run, shared by engine.c (bookkeeping, storage,
 * events) and lua_host.c (the sequence's view of the run). */
#pragma once
#include "station/engine.h"
#include "station/serial_number.h"
#include "fixtures/fixture.h"
#include "fixtures/fixture_watch.h"
#include "station/limit_table.h"
#include "firmware/release.h"
#include "fixtures/switchunit/heater_bank.h"
#include "station/lua_interrupt.h"
#include "station/instrument_calibration.h"
#include "station/shift.h"
#include "db/golden.h"

/* One step's bookkeeping while it runs. */
typedef struct {
  gint64 id;                     /* its stored row, 0: not stored */
  int index;                     /* 1-based position in the run */
  const char *group;
  const char *name;
  int failed_measurements;
  char *first_failure;           /* description of the first failing measurement, owned */
  double clock_start;            /* s, fixture clock when the step began (NAN: unreadable) */
  double wait_s;                 /* s waited in this step */
  double required_s;             /* s of those waits the physics requires */
  double held_s;                 /* s of fixture clock it spent held while another step ran
                                    in its stead (beyond its own wait): not its own time */
  gint64 started_us;             /* monotonic µs when the step began */
  double limit_s;                /* s of wall time the step may take (0: built in) */
  const char *limit_from;        /* where that limit comes from (static), NULL: built in */
  char *limit_note;              /* the same in words for its message, owned */
  gint64 limit_deadline_us;      /* its time limit's deadline while another step runs */
} StepState;

typedef struct SharedSums SharedSums;

typedef struct {
  Engine *engine;
  const RunRequest *request;
  SerialNumber serial;
  Chemistry chemistry;           /* the order's */
  int cell_count;                /* cells in series the order has, configured and tested */
  gboolean heater;               /* the order has the heater option: its steps run */
  HeaterLoad heater_load;        /* with the heater, when the sequence drives it: the bank's
                                    load the run applies (channel 0: none) */
  LimitTable *limits;            /* resolved for the board's model and the order's protection
                                    profile (limits->profile), owned */
  char *sequence_path;           /* owned */
  char *sequence_sha256;         /* owned */
  Fixture *fixture;              /* owned unless the request lent it */
  gboolean fixture_borrowed;     /* the request's fixture: not closed by the run */
  InstrumentCalibration calibration;  /* the fixture's instruments and their due dates */
  gint64 contact_cycles_max;     /* the fixture's rated contact cycles, 0: not given */
  GoldenBoardRow *golden;        /* the board is a golden board of the fixture (owned): the
                                    run is its check for `shift` */
  Shift shift;                   /* the production shift the run began in */
  FirmwareRelease *release;      /* the image firmware.flash() writes: the model's release
                                    when the sequence needs one, or a flash run's own image */
  char *release_problem;         /* why there is none, when the sequence needs one */
  char *operator_name;           /* who runs it, owned */
  gint64 run_id;
  gint64 started_us;             /* monotonic µs */
  gboolean in_teardown;          /* abort requests no longer interrupt the sequence */
  FixtureWatch *watch;           /* checks the instruments in a real-time run, owned */
  gboolean watch_reported;       /* its fault was made a step's ERROR */
  LuaInterrupt interrupt;        /* what stops the sequence's Lua code: abort, step limit */
  /* The step being run (while a step runs in another's overlapped wait, that one's state
   * waits in the overlap, station/engine.c). */
  StepState step;
  int steps_begun;               /* steps begun so far: the next one's index less one */
  gboolean clock_failed;         /* the fixture clock could not be read: not asked again */
  struct Overlap *overlap;       /* the step waiting while others run in its wait, or NULL
                                    (engine.c) */
  gboolean overlap_allowed;      /* the running step may start an overlapped wait: it is
                                    run as a coroutine and steps wait to run in its wait */
  GHashTable *ran_overlapped;     /* SequenceStep* that ran in another step's wait (set) */
  GHashTable *plan;              /* planned s per step for this model, order, sequence and
                                    limits (station/plan_store.h); NULL: none stored */
  GArray *timings;               /* StepTiming, owned until handed to the result */
  char *store_problem;           /* the first failed store write, owned; NULL: none */
  char *unsafe;                  /* why the safe state was not reached, owned; NULL: it was */
  SharedSums *shared;            /* what the run waited for and held the fixture's shared
                                    instruments (shared_hold.h), owned; NULL: none yet */
} Run;

/* Judges and stores a measurement of the current step, emits its event; takes ownership.
 * Returns its outcome. */
Outcome run_record(Run *run, Measurement *m);
/* Stores a calibration the current step made (a failed write makes the run ERROR). */
void run_record_calibration(Run *run, const CalibrationRecord *calibration);
void run_log(Run *run, const char *format, ...) G_GNUC_PRINTF(2, 3);
/* Waits on the fixture clock, in slices so an abort is seen; FALSE with
 * STATION_ERROR_ABORTED on abort. `required` (<= seconds) is the part of the wait the
 * physics needs (a protection delay, a recovery, settling); the rest is margin. */
gboolean run_wait(Run *run, double seconds, double required, GError **error);
/* wait_overlapped() in the running step: TRUE when the step is to pause now (the Lua host
 * yields its coroutine) while the steps declared to overlap it run, and go on `seconds`
 * from now on the fixture clock (the wait counted as the step's, `required` of it the
 * physics'); FALSE: the step waits as run_wait() does (no step waits to overlap it, it
 * overlapped once already, or the fixture clock cannot be read). */
gboolean run_overlap_begin(Run *run, double seconds, double required);
/* Why a step resumed from its overlapped wait must stop instead of going on (an abort, an
 * overlapping step that could not be completed), or NULL. */
const char *run_overlap_stop_reason(const Run *run);
gboolean run_abort_requested(const Run *run);
/* Announces how far a long action of the current step is (EVENT_PROGRESS); not stored. */
void run_progress(Run *run, const char *what, double done, double total);
