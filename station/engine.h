/* The engine: runs a test sequence on one board in one fixture and stores what happens.
 * A run is setup / main / teardown groups of steps (teardown always runs); steps record
 * measurements; the engine judges outcomes, emits events as things happen, stores them, and
 * leaves the fixture in its safe state however the run ends. It knows no GTK: the CLI and the
 * UI are clients that listen to its events. engine_run() blocks; call it on a worker thread
 * from a UI. engine_abort() may be called from any thread or from a signal handler.
 * Steps run one at a time, except that a main step paused in its wait_overlapped() lets the
 * steps declared to overlap it run meanwhile (engine.c, "overlaps"): their events come
 * between its STEP_STARTED and STEP_ENDED, each with its own step_index.
 *
 * Who is at fault, the board or the station (a FAIL ships no board; an ERROR says the
 * station could not judge it, so the board is retested, not scrapped):
 *   FAIL   the board showed something wrong that the station measured: a measurement
 *          outside its limits, an answer the board should not give (a refused calibration, a
 *          wrong identity, a flash that does not verify, a bootloader that stays silent on a
 *          link the fixture proves sound). The sequence decides these (fail(), measure()).
 *   ERROR  the station could not test: an instrument that errs, times out or is at a
 *          compliance limit; a fixture file that is wrong (links swapped, a missing role);
 *          a fixture that fails its self-check; a script, limits or firmware problem found
 *          before the board is touched; a board that stops answering after it answered
 *          (testing could not finish); the result store failing; a safe state not reached.
 *          Lua errors raised by instrument calls (FIXTURE_ERROR) are ERROR unless a step
 *          catches them, and the fixture's own checks (firmware/fixture_flash.c for swapped
 *          links) turn what would look like a board's silence into a FIXTURE_ERROR. */
#pragma once
#include <glib.h>
#include "station/measurement.h"
#include "sequences/catalog.h"
#include "db/store.h"
#include "station/golden_rule.h"

typedef enum {
  EVENT_RUN_STARTED,
  EVENT_STEP_STARTED,
  EVENT_MEASUREMENT,
  EVENT_STEP_ENDED,
  EVENT_RUN_ENDED,
  EVENT_LOG,
  EVENT_PROGRESS,                 /* a long action inside a step moved on (a flash's erase,
                                     write, verify): message names it, done of total */
} EngineEventKind;

typedef struct {
  EngineEventKind kind;
  gint64 run_id;                  /* 0 when the store is not used */
  const char *serial;
  const char *model;
  const char *group;              /* step events: "setup", "main", "teardown" */
  const char *step;               /* step events: the step name */
  int step_index;                 /* 1-based position in the run */
  const Measurement *measurement; /* EVENT_MEASUREMENT */
  Outcome outcome;                /* STEP_ENDED, RUN_ENDED */
  const char *message;            /* LOG text; why a step or run did not pass */
  double elapsed_s;               /* s since the run started */
  double done, total;             /* EVENT_PROGRESS: how far the action is (bytes for a
                                     flash); done == total when it is complete */
} EngineEvent;

/* An event and everything it points to are valid only during the handler's call. A handler
 * that hands the event to another thread (a UI's main loop) queues a copy: every string and
 * the measurement are duplicated and owned by the copy. */
EngineEvent *engine_event_copy(const EngineEvent *event);
void engine_event_free(EngineEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EngineEvent, engine_event_free)

typedef void (*EngineEventFunc)(const EngineEvent *event, gpointer user_data);

typedef struct Fixture Fixture;

/* What a run is for; stored with it. Only EOL runs are verdicts on a board (the yield). */
typedef enum {
  RUN_PURPOSE_EOL,                /* the production end-of-line test */
  RUN_PURPOSE_FLASH,              /* rework or bring-up: an image given by hand is flashed */
} RunPurpose;

typedef struct {
  RunPurpose purpose;             /* RUN_PURPOSE_EOL unless set */
  const char *fixture_path;       /* fixture description file */
  int slot;                       /* the slot of that file to test in (fixture_slots.h); 0:
                                     its first */
  Fixture *fixture;               /* or a fixture already loaded and connected (borrowed; the
                                     run uses it as it is and leaves it open): self-tests
                                     that prepare a simulated board first */
  const char *serial;             /* as scanned; NULL only for a flash run, whose board's
                                     model is then the one the image is built for */
  const char *image_path;         /* flash runs: the image (.bin or .hex) firmware.flash()
                                     writes instead of the model's released one; checked
                                     before anything is touched */
  const char *sequence_path;      /* NULL: sequences/eol.lua (flash runs:
                                     sequences/flash_image.lua) */
  const char *limits_path;        /* NULL: sequences/limits.conf */
  const char *operator_name;      /* NULL: the login name */
  const char *station_id;         /* NULL: the host name */
  /* The order (station/order.h), checked against the model before anything is touched: */
  const char *chemistry;          /* "lfp" (default), "liion", "lto" */
  const char *cells;              /* cells in series, as text; NULL: the model's maximum */
  const char *heater;             /* "yes" / "no"; NULL: as the model (its heater option) */
  const char *profile;            /* protection profile of the limits file; NULL: default */
  const char *order_id;           /* production order the board is built for; NULL: none */
  const char *trusted_keys_dir;   /* public keys of the firmware team; NULL: the default */
  const char *plan_dir;           /* stored plans (station/plan_store.h) the steps' time
                                     limits come from; NULL: the default folder */
  gboolean save_plan;             /* a PASS stores its step times as the plan of its model,
                                     order, sequence and limits (station plan) */
  /* The shift start (station/shift_start.h), for EOL runs with a store: */
  GoldenPolicy golden_policy;     /* when a production run needs the shift's golden check */
  gboolean golden_only;           /* the board must be a golden board of the fixture (station
                                     golden check) */
} RunRequest;

/* Where a step's time went, on the fixture clock. */
typedef struct {
  char *group;
  char *name;
  int index;                      /* 1-based position in the run (steps are timed as they
                                     end: one that ran in another's wait ends first) */
  double clock_s;                 /* s the step took on the fixture clock */
  double wait_s;                  /* s of it spent in wait() */
  double required_s;              /* s of those waits the physics requires (the rest is
                                     margin): delays and recoveries that must elapse, settling */
  double wall_s;                  /* s of wall time the step took */
  double time_limit_s;            /* s of wall time it was allowed (0: a built-in step) */
  const char *time_limit_from;    /* "sequence", "plan", "default" (static); NULL: built in */
  /* Overlaps (wait_overlapped and step{overlaps}): clock_s of a step is its own time, as if
   * it had run alone; a step that ran in another's wait names that one. */
  char *overlapped;               /* the step whose overlapped wait this one ran in, or NULL */
  double overlap_wait_s;          /* s of this step's own overlapped wait (0: none) */
  double overlap_required_s;      /* s of that wait the physics requires */
  double overlap_tail_bound_s;    /* s of this step's bound from that wait on (its required
                                     part and what the step did after it), which the
                                     overlapping steps ran beside */
  double overlap_saved_s;         /* s of fixture clock the overlap saved: this step's time
                                     and the overlapping steps' less the time they took
                                     together */
} StepTiming;

typedef struct {
  gint64 run_id;                  /* stored run, 0 if the run never started */
  Outcome outcome;
  char *first_failure;            /* first failing step, or NULL */
  char *message;                  /* why it did not pass, or NULL */
  double duration_s;              /* s of wall time */
  double clock_s;                 /* s on the fixture clock (virtual on the twin): the
                                     cycle, overlaps counted once */
  GArray *timings;                /* StepTiming per step run, in order */
  gboolean stored;                /* the whole run is in the store (its final commit done) */
  char *plan_path;                /* request->save_plan: the plan file written, or NULL */
  gboolean golden_checked;        /* the board is a golden board: its run was the fixture's
                                     golden check, stored for the shift */
  gboolean golden_passed;         /* the check passed (a known bad board failed, a good one
                                     passed as its reference run) */
  char *golden_message;           /* "Golden check of fixture ...: PASS, ..." or NULL */
} RunResult;

void run_result_clear(RunResult *result);

typedef struct Engine Engine;

/* store may be NULL (nothing stored); catalog is borrowed. */
Engine *engine_new(const Catalog *catalog, Store *store);
void engine_free(Engine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Engine, engine_free)
void engine_set_event_handler(Engine *engine, EngineEventFunc func, gpointer user_data);

/* Runs one board. Returns FALSE only when the run could not start at all (bad serial, an
 * order the model cannot take (STATION_ERROR_ORDER), a fixture whose heater load bank has
 * no load for the order (FIXTURE_ERROR_CONFIG),
 * missing sequence or limits file, a flash run's image that cannot be read or is not one the
 * board runs or is not built for its model, an abort while the sequence loaded:
 * STATION_ERROR_ABORTED): nothing was touched and nothing stored. Otherwise TRUE,
 * with the outcome (PASS, FAIL, ERROR, ABORTED) in result. A flash run is also written to
 * the audit log (who flashed which image into which board). */
gboolean engine_run(Engine *engine, const RunRequest *request, RunResult *result,
                    GError **error);
/* Asks the running run to stop: it ends ABORTED after its teardown. Async-signal-safe. */
void engine_abort(Engine *engine);
