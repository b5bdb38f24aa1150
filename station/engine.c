/* The engine: one run of a sequence on one board. It owns the order of things: check the
 * request before touching anything, record the run, connect the fixture, run the setup, main
 * and teardown steps, put the fixture in its safe state, judge and store the outcome. Every
 * step and measurement is stored as it happens and announced as an event. */
#include "station/engine.h"
#include "station/heater_load.h"
#include "station/limit_types.h"
#include "station/lua_host.h"
#include "station/lua_interrupt.h"
#include "station/order.h"
#include "station/plan_store.h"
#include "station/shared_hold.h"
#include "station/step_time_limit.h"
#include "station/shift_start.h"
#include "station/station_error.h"
#include "sequences/data_path.h"
#include "fixtures/fixture_error.h"
#include "fixtures/fixture_watch.h"
#include "db/firmware_store.h"
#include "firmware/firmware_error.h"
#include <math.h>
#include <string.h>

#define WAIT_SLICE_S 0.05
/* s between two checks of the fixture by its watch in a real-time run: a fault is found at
 * most this long after it happened, plus the instrument's timeout. A check is one query per
 * idle instrument, all at once (~1 ms), beside the sequence: a good run is no slower. */
#define WATCH_INTERVAL_S 0.2
/* s the top level of a sequence file may run: it only declares steps. */
#define TOP_LEVEL_TIME_LIMIT_S 10.0

struct Engine {
  const Catalog *catalog;
  Store *store;                  /* may be NULL */
  EngineEventFunc on_event;
  gpointer on_event_data;
  volatile gint abort_requested;
};

static void step_timing_clear(gpointer data)
{
  StepTiming *timing = data;
  g_free(timing->group);
  g_free(timing->name);
  g_free(timing->overlapped);
}

void run_result_clear(RunResult *result)
{
  g_clear_pointer(&result->first_failure, g_free);
  g_clear_pointer(&result->message, g_free);
  g_clear_pointer(&result->timings, g_array_unref);
  g_clear_pointer(&result->plan_path, g_free);
  g_clear_pointer(&result->golden_message, g_free);
}

/* The fixture clock, or NAN when it cannot be read (no fixture, twin gone or hung). A clock
 * that failed once is not asked again in this run: each try would wait out its timeout. */
static double clock_now(Run *run)
{
  double now;
  if (run->clock_failed || !run->fixture || !fixture_is_connected(run->fixture))
    return NAN;
  if (!fixture_clock_now(run->fixture, &now, NULL)) {
    run->clock_failed = TRUE;
    return NAN;
  }
  return now;
}

Engine *engine_new(const Catalog *catalog, Store *store)
{
  Engine *engine = g_new0(Engine, 1);
  engine->catalog = catalog;
  engine->store = store;
  return engine;
}

void engine_free(Engine *engine)
{
  g_free(engine);
}

EngineEvent *engine_event_copy(const EngineEvent *event)
{
  EngineEvent *copy = g_new(EngineEvent, 1);
  *copy = *event;
  copy->serial = g_strdup(event->serial);
  copy->model = g_strdup(event->model);
  copy->group = g_strdup(event->group);
  copy->step = g_strdup(event->step);
  copy->message = g_strdup(event->message);
  copy->measurement = event->measurement ? measurement_copy(event->measurement) : NULL;
  return copy;
}

void engine_event_free(EngineEvent *event)
{
  if (!event)
    return;
  g_free((char *)event->serial);
  g_free((char *)event->model);
  g_free((char *)event->group);
  g_free((char *)event->step);
  g_free((char *)event->message);
  measurement_free((Measurement *)event->measurement);
  g_free(event);
}

void engine_set_event_handler(Engine *engine, EngineEventFunc func, gpointer user_data)
{
  engine->on_event = func;
  engine->on_event_data = user_data;
}

void engine_abort(Engine *engine)
{
  g_atomic_int_set(&engine->abort_requested, 1);
}

gboolean run_abort_requested(const Run *run)
{
  return g_atomic_int_get(&run->engine->abort_requested) != 0;
}

/* ---- events --------------------------------------------------------------------------- */

static double run_elapsed(const Run *run)
{
  return (double)(g_get_monotonic_time() - run->started_us) / G_USEC_PER_SEC;
}

/* Sends event, with the run's and the current step's fields filled in. */
static void emit_event(Run *run, EngineEvent *event)
{
  if (!run->engine->on_event)
    return;
  event->run_id = run->run_id;
  event->serial = run->serial.text;
  event->model = run->serial.model->name;
  event->group = run->step.group;
  event->step = run->step.name;
  event->step_index = run->step.index;
  event->elapsed_s = run_elapsed(run);
  run->engine->on_event(event, run->engine->on_event_data);
}

static void emit(Run *run, EngineEventKind kind, const Measurement *m, Outcome outcome,
                 const char *message)
{
  EngineEvent event = {.kind = kind, .measurement = m, .outcome = outcome, .message = message};
  emit_event(run, &event);
}

void run_progress(Run *run, const char *what, double done, double total)
{
  EngineEvent event = {.kind = EVENT_PROGRESS, .outcome = OUTCOME_RUNNING, .message = what,
                       .done = done, .total = total};
  emit_event(run, &event);
}

void run_log(Run *run, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *text = g_strdup_vprintf(format, args);
  va_end(args);
  emit(run, EVENT_LOG, NULL, OUTCOME_RUNNING, text);
}

/* A store failure does not stop the test (the fixture still goes through teardown to its
 * safe state), but the run can no longer be PASS or FAIL: what was measured is not all
 * stored. The first failure is kept for the verdict. */
static void store_failed(Run *run, GError *error)
{
  run_log(run, "result store: %s", error->message);
  if (!run->store_problem)
    run->store_problem = g_strdup(error->message);
  g_error_free(error);
}

typedef struct {
  Outcome outcome;               /* worst so far: PASS < FAIL < ERROR */
  char *first_failure;           /* step name */
  char *message;                 /* why */
} Verdict;

/* A main step paused in wait_overlapped() while the steps declared with overlaps = its name
 * run (see "overlaps" below). */
typedef struct Overlap {
  LuaHost *host;
  LuaStepThread *thread;         /* the paused step's coroutine, owned */
  const char *name;              /* its name (its SequenceStep's) */
  StepState state;               /* its bookkeeping while the others run */
  double limit_s;                /* its time limit, as the interrupt had it */
  const char *limit_what;
  const char *limit_note;
  gint64 limit_deadline_us;
  Verdict *verdict;
  double paused_at;              /* s, fixture clock when it paused */
  double deadline;               /* s, fixture clock when its wait ends */
  double wait_s;                 /* s, its overlapped wait */
  double required_s;             /* s of that wait the physics requires */
  double before_bound_s;         /* s of its bound before it paused (waits required, link) */
  guint first_timing;            /* run->timings' length when it paused */
  gboolean running;              /* resumed, it runs again */
  gboolean ended;                /* its step has ended */
  Outcome outcome;               /* then: its outcome */
  char *stop_reason;             /* resume it only to stop, for this reason; owned */
} Overlap;

static void step_state_clear(StepState *state)
{
  g_clear_pointer(&state->first_failure, g_free);
  g_clear_pointer(&state->limit_note, g_free);
}

/* ---- steps and measurements ------------------------------------------------------------ */

void run_record_calibration(Run *run, const CalibrationRecord *calibration)
{
  if (!run->engine->store || !run->run_id)
    return;
  GError *error = NULL;
  if (!store_calibration_add(run->engine->store, run->run_id, run->step.id, calibration,
                             &error))
    store_failed(run, error);
}

Outcome run_record(Run *run, Measurement *m)
{
  measurement_judge(m);
  if (m->outcome != OUTCOME_PASS) {
    run->step.failed_measurements++;
    if (!run->step.first_failure) {
      g_autofree char *described = measurement_describe(m);
      run->step.first_failure = g_strdup_printf("%s = %s", m->name, described);
    }
  }
  if (run->engine->store && run->step.id) {
    MeasurementRecord record = {
      .name = m->name, .unit = m->unit, .value = m->value, .text = m->text,
      .low = m->low, .high = m->high, .comparison = comparison_name(m->comparison),
      .expected = m->expected, .outcome = outcome_name(m->outcome),
    };
    GError *error = NULL;
    if (!store_measurement_add(run->engine->store, run->step.id, &record, &error))
      store_failed(run, error);
  }
  emit(run, EVENT_MEASUREMENT, m, m->outcome, NULL);
  Outcome outcome = m->outcome;
  measurement_free(m);
  return outcome;
}

static void step_begin(Run *run, const char *group, const char *name)
{
  run->step.index = ++run->steps_begun;
  run->step.group = group;
  run->step.name = name;
  run->step.failed_measurements = 0;
  run->step.wait_s = run->step.required_s = run->step.held_s = 0;
  run->step.clock_start = clock_now(run);
  run->step.started_us = g_get_monotonic_time();
  g_clear_pointer(&run->step.first_failure, g_free);
  run->step.id = 0;
  if (run->engine->store) {
    GError *error = NULL;
    run->step.id = store_step_begin(run->engine->store, run->run_id, run->step.index, group,
                                    name, &error);
    if (!run->step.id)
      store_failed(run, error);
  }
  emit(run, EVENT_STEP_STARTED, NULL, OUTCOME_RUNNING, NULL);
}

/* The step's timing is its own time: the time it was held while a step paused in its wait
 * went on is not (a step paused in its own overlapped wait is timed as if it had waited
 * alone). */
static void step_end(Run *run, Outcome outcome, const char *message)
{
  const Overlap *overlap = run->overlap;
  gboolean own = overlap && overlap->running;
  double clock_s = clock_now(run) - run->step.clock_start - run->step.held_s;
  double bound_s = run->step.required_s + MAX(0.0, clock_s - run->step.wait_s);
  StepTiming timing = {
    .group = g_strdup(run->step.group), .name = g_strdup(run->step.name),
    .index = run->step.index,
    .clock_s = clock_s, .wait_s = run->step.wait_s, .required_s = run->step.required_s,
    .wall_s = (double)(g_get_monotonic_time() - run->step.started_us) / G_USEC_PER_SEC,
    .time_limit_s = run->step.limit_s, .time_limit_from = run->step.limit_from,
    .overlapped = overlap && !own ? g_strdup(overlap->name) : NULL,
    .overlap_wait_s = own ? overlap->wait_s : 0,
    .overlap_required_s = own ? overlap->required_s : 0,
    .overlap_tail_bound_s = own && isfinite(bound_s) ? bound_s - overlap->before_bound_s : 0,
  };
  g_array_append_val(run->timings, timing);
  if (run->engine->store && run->step.id) {
    GError *error = NULL;
    if (!store_step_end(run->engine->store, run->step.id, outcome_name(outcome), message,
                        &error))
      store_failed(run, error);
  }
  emit(run, EVENT_STEP_ENDED, NULL, outcome, message);
  run->step.id = 0;
}

/* Sleeps the wait out on the real clock in slices; a fault the fixture's watch found ends
 * it at once (an instrument that stopped answering is seen within its timeout, not at the
 * next command after the wait). */
static gboolean wait_real(Run *run, double seconds, GError **error)
{
  gint64 end = g_get_monotonic_time() + (gint64)(seconds * G_USEC_PER_SEC);
  for (;;) {
    if (lua_interrupt_pending(error))   /* abort (not in teardown), the step's limit */
      return FALSE;
    GError *fault = run->watch ? fixture_watch_fault(run->watch) : NULL;
    if (fault) {
      g_propagate_prefixed_error(error, fault, "during a wait of %.3g s: ", seconds);
      return FALSE;
    }
    gint64 now = g_get_monotonic_time();
    if (now >= end)
      return TRUE;
    double slice = MIN((double)(end - now) / G_USEC_PER_SEC, WAIT_SLICE_S);
    if (!fixture_wait(run->fixture, slice, error))
      return FALSE;
  }
}

/* Waits on the fixture clock, not counted as any step's wait. */
static gboolean clock_wait(Run *run, double seconds, GError **error)
{
  if (fixture_clock_is_virtual(run->fixture))
    return fixture_wait(run->fixture, seconds, error);
  return seconds <= 0 || wait_real(run, seconds, error);
}

static void overlap_resume(Run *run);

/* A wait of the running step. When a step paused in its overlapped wait is due before this
 * wait's end, it goes on at its deadline and runs to its end; this wait then ends when it
 * would have, or at once when the paused step took longer (the difference is not this
 * step's time: held_s). */
gboolean run_wait(Run *run, double seconds, double required, GError **error)
{
  run->step.wait_s += seconds;
  run->step.required_s += required;
  Overlap *overlap = run->overlap;
  double now = overlap && !overlap->running && !overlap->ended ? clock_now(run) : NAN;
  if (isnan(now) || overlap->deadline >= now + seconds)
    return clock_wait(run, seconds, error);
  double end = now + seconds;
  if (overlap->deadline > now && !clock_wait(run, overlap->deadline - now, error))
    return FALSE;
  overlap_resume(run);
  double after = clock_now(run);
  if (isnan(after))
    return TRUE;
  if (after >= end) {
    run->step.held_s += after - end;
    return TRUE;
  }
  return clock_wait(run, end - after, error);
}

gboolean run_overlap_begin(Run *run, double seconds, double required)
{
  if (!run->overlap_allowed)
    return FALSE;
  run->overlap_allowed = FALSE;   /* once per step: its first overlapped wait */
  double now = clock_now(run);
  if (isnan(now))
    return FALSE;
  Overlap *overlap = g_new0(Overlap, 1);
  overlap->paused_at = now;
  overlap->deadline = now + seconds;
  overlap->wait_s = seconds;
  overlap->required_s = required;
  overlap->before_bound_s =
      run->step.required_s + MAX(0.0, now - run->step.clock_start - run->step.wait_s);
  run->step.wait_s += seconds;
  run->step.required_s += required;
  run->overlap = overlap;
  return TRUE;
}

const char *run_overlap_stop_reason(const Run *run)
{
  return run->overlap ? run->overlap->stop_reason : NULL;
}

/* ---- preparing a run ------------------------------------------------------------------- */

static char *file_sha256(const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length;
  if (!g_file_get_contents(path, &contents, &length, error))
    return NULL;
  return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)contents, length);
}

/* A flash run's image, read and checked (its header, as the board's boot code checks it)
 * before anything is touched. A production run flashes only its model's release. */
static gboolean prepare_image(const RunRequest *request, Run *run, GError **error)
{
  if (!request->image_path)
    return TRUE;
  if (request->purpose != RUN_PURPOSE_FLASH) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                "a production run flashes only the image released for the board's model, not "
                "an image given by hand (%s)", request->image_path);
    return FALSE;
  }
  run->release = firmware_release_from_file(request->image_path, error);
  return run->release != NULL;
}

/* The board: its scanned serial or, for a flash run without one, the model its image is
 * built for (the model says how the board is powered). An image given by hand must be built
 * for the board's model: the board's boot code would not run it otherwise. */
static gboolean prepare_board(Engine *engine, const RunRequest *request, Run *run,
                              GError **error)
{
  const FirmwareHeader *header = run->release ? &run->release->header : NULL;
  g_auto(GStrv) image_models = header ? firmware_header_models(header) : NULL;
  g_autofree char *model_list = image_models ? g_strjoinv(", ", image_models) : NULL;
  if (request->serial) {
    if (!serial_number_parse(request->serial, engine->catalog, &run->serial, error))
      return FALSE;
  } else if (request->image_path && header->model_count == 1) {
    run->serial.model = catalog_find(engine->catalog, header->models[0], error);
    if (!run->serial.model) {
      g_prefix_error(error, "%s is built for model %s, which the station does not know: ",
                     request->image_path, header->models[0]);
      return FALSE;
    }
  } else if (request->image_path) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                "%s is built for several models (%s): give the board's serial number, which "
                "names its model", request->image_path, model_list);
    return FALSE;
  } else {
    g_set_error_literal(error, STATION_ERROR, STATION_ERROR_USAGE,
                        "a run needs the board's serial number");
    return FALSE;
  }
  if (header && !firmware_header_has_model(header, run->serial.model->name)) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER,
                "%s (version %s) is built for %s, not for the board's model %s: the board "
                "would not run it", request->image_path, header->version, model_list,
                run->serial.model->name);
    return FALSE;
  }
  return TRUE;
}

static gboolean prepare(Engine *engine, const RunRequest *request, Run *run, GError **error)
{
  run->engine = engine;
  run->request = request;
  if (!prepare_image(request, run, error) || !prepare_board(engine, request, run, error))
    return FALSE;
  Order order;
  if (!order_resolve(run->serial.model, request->chemistry, request->cells, request->heater,
                     &order, error))
    return FALSE;
  run->chemistry = order.chemistry;
  run->cell_count = order.cell_count;
  run->heater = order.heater;

  run->sequence_path = request->sequence_path ? g_strdup(request->sequence_path)
                       : sequences_path(request->purpose == RUN_PURPOSE_FLASH
                                            ? "flash_image.lua" : "eol.lua");
  run->sequence_sha256 = file_sha256(run->sequence_path, error);
  if (!run->sequence_sha256) {
    g_prefix_error(error, "sequence: ");
    return FALSE;
  }
  g_autofree char *limits_path = request->limits_path ? g_strdup(request->limits_path)
                                                      : sequences_path("limits.conf");
  run->limits = limits_resolve(limits_path, engine->catalog, run->serial.model,
                               request->profile, error);
  if (!run->limits)
    return FALSE;
  /* Every limit the sequence will read, of the kind it reads it as, before anything moves. */
  g_autofree char *types_path = limit_types_path_for(limits_path);
  if (!limit_types_check(run->limits, limits_path, types_path, error))
    return FALSE;
  if (request->fixture) {
    run->fixture = request->fixture;
    run->fixture_borrowed = TRUE;
  } else {
    run->fixture = fixture_load_slot(request->fixture_path, request->slot, error);
  }
  return run->fixture != NULL;
}

/* Every role the sequence declared it needs is in the fixture file: a fixture without one
 * refuses the run before the board is touched, instead of every board ending ERROR at the
 * step that uses it. */
static gboolean check_needed_roles(Run *run, LuaHost *host, GError **error)
{
  GPtrArray *roles = lua_host_needed_roles(host);
  for (guint i = 0; i < roles->len; i++) {
    const char *name = g_ptr_array_index(roles, i);
    if (fixture_has_role(run->fixture, name))
      continue;
    const FixtureRole *role = fixture_role_find(name);
    g_set_error(error, FIXTURE_ERROR, FIXTURE_ERROR_CONFIG,
                "%s: no [%s] group; sequence %s needs the fixture's %s ([%s] with driver and "
                "resource)", run->fixture->path, name, lua_host_sequence_name(host),
                role ? role->title : name, name);
    return FALSE;
  }
  return TRUE;
}

/* The fixture's heater load for the order, when the sequence drives the heater: a bank with
 * no load that fits refuses the run before the board is touched. */
static gboolean choose_heater_load(Run *run, LuaHost *host, GError **error)
{
  return !run->heater || !lua_host_needs_heater_load(host) ||
         heater_load_for_order(run->fixture, run->serial.model, run->chemistry,
                               run->cell_count, run->limits, &run->heater_load, error);
}

/* The fixture's instruments judged by their calibration due dates (today's UTC date), and
 * the rated contact cycles of its contacts ([fixture] contact_cycles_max, a whole number),
 * before the board is touched. */
static gboolean check_fixture_service(Run *run, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *today = g_date_time_format(now, "%Y-%m-%d");
  if (!instrument_calibration_check(run->fixture, today, &run->calibration, error))
    return FALSE;
  double max = 0;
  if (!fixture_get_number(run->fixture, "fixture", "contact_cycles_max", 0, &max, error))
    return FALSE;
  if (max < 0 || max != floor(max) || max > 1e15) {
    g_set_error(error, FIXTURE_ERROR, FIXTURE_ERROR_CONFIG,
                "%s: [fixture] contact_cycles_max = %g is not a whole number of insertions",
                run->fixture->path, max);
    return FALSE;
  }
  run->contact_cycles_max = (gint64)max;
  return TRUE;
}

/* Warnings at the start of a run: instruments let run past their calibration date, and a
 * fixture whose contacts have made the cycles they are rated for. */
static void warn_fixture_service(Engine *engine, Run *run)
{
  for (guint i = 0; run->calibration.warnings && i < run->calibration.warnings->len; i++)
    run_log(run, "warning: %s", (const char *)g_ptr_array_index(run->calibration.warnings, i));
  if (!engine->store || run->contact_cycles_max <= 0)
    return;
  gint64 cycles = store_fixture_contact_cycles(engine->store, run->fixture->id, NULL);
  if (cycles >= run->contact_cycles_max)
    run_log(run, "warning: fixture %s has made %" G_GINT64_FORMAT " contact cycles, its "
            "contacts are rated for %" G_GINT64_FORMAT " (contact_cycles_max in %s): have "
            "its contacts serviced", run->fixture->id, cycles, run->contact_cycles_max,
            run->fixture->path);
}

/* The image released for the board's model, checked again (signature, hash, header). When
 * there is none the run still starts, and ends ERROR before the board is touched. */
static void load_release(Engine *engine, const RunRequest *request, Run *run)
{
  const char *model = run->serial.model->name;
  if (!engine->store) {
    run->release_problem = g_strdup("the sequence flashes firmware, which needs the station's "
                                    "database");
    return;
  }
  g_autofree char *folder = request->trusted_keys_dir ? g_strdup(request->trusted_keys_dir)
                                                      : firmware_trusted_keys_default_folder();
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareTrustedKeys) trusted = firmware_trusted_keys_load(folder, &error);
  if (trusted)
    run->release = firmware_release_load(engine->store, model, trusted, &error);
  if (run->release)
    return;
  if (g_error_matches(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_NOT_FOUND))
    run->release_problem = g_strdup_printf(
        "no firmware is released for model %s: the firmware team must import a signed image "
        "(station firmware import) and release it for this model (station firmware release "
        "VERSION --models %s)", model, model);
  else
    run->release_problem = g_strdup_printf("%s; tell the firmware team", error->message);
}

static void run_clear(Run *run)
{
  g_clear_pointer(&run->release, firmware_release_free);
  g_clear_pointer(&run->release_problem, g_free);
  g_clear_pointer(&run->operator_name, g_free);
  shared_hold_clear(run);
  if (run->fixture_borrowed)
    run->fixture = NULL;
  g_clear_pointer(&run->fixture, fixture_close);
  instrument_calibration_clear(&run->calibration);
  g_clear_pointer(&run->golden, golden_board_row_free);
  g_clear_pointer(&run->limits, limit_table_free);
  g_free(run->sequence_path);
  g_free(run->sequence_sha256);
  g_free(run->step.first_failure);
  g_free(run->store_problem);
  g_free(run->unsafe);
  g_clear_pointer(&run->timings, g_array_unref);
  g_clear_pointer(&run->step.limit_note, g_free);
  g_clear_pointer(&run->plan, g_hash_table_unref);
  g_clear_pointer(&run->ran_overlapped, g_hash_table_unref);
}

/* Runs the sequence file's top level within its time limit. An abort meanwhile is
 * STATION_ERROR_ABORTED: nothing was touched. */
static LuaHost *load_sequence(Run *run, GError **error)
{
  lua_interrupt_set_limit(&run->interrupt, "the sequence's top level", TOP_LEVEL_TIME_LIMIT_S);
  GError *load_error = NULL;
  LuaHost *host = lua_host_load(run->sequence_path, &load_error);
  lua_interrupt_set_limit(&run->interrupt, NULL, 0);
  if (host)
    return host;
  if (run_abort_requested(run)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ABORTED,
                "aborted by the operator while the sequence was loading; the board was not "
                "touched");
    g_error_free(load_error);
  } else {
    g_propagate_error(error, load_error);
  }
  return NULL;
}

/* ---- running ----------------------------------------------------------------------------- */

/* Records what each connected instrument is (its *IDN? words) as <role>_idn, and the
 * resource it was reached at as <role>_link; at_end: the roles identified after the main
 * steps (the board), whose silence is recorded, not judged. */
static void record_identities(Run *run, gboolean at_end)
{
  for (guint i = 0; i < run->fixture->instruments->len; i++) {
    const FixtureInstrument *item = g_ptr_array_index(run->fixture->instruments, i);
    if (!item->instrument || item->role->identify_at_end != at_end)
      continue;
    g_autofree char *link_name = g_strdup_printf("%s_link", item->role->name);
    if (!at_end)
      run_record(run, measurement_new_text(link_name, item->resource));
    InstrumentIdentity identity = {0};
    g_autoptr(GError) error = NULL;
    g_autofree char *idn_name = g_strdup_printf("%s_idn", item->role->name);
    /* After the watch found the fixture silent the board is not asked at the end: on a hung
     * fixture its retries would only delay the verdict, and its words are not judged. */
    g_autoptr(GError) fault = at_end && run->watch ? fixture_watch_fault(run->watch) : NULL;
    g_autofree char *text =
        fault ? g_strdup("not asked: the fixture stopped answering")
        : item->role->identify(item->instrument, &identity, &error)
            ? instrument_identity_describe(&identity)
            : g_strdup_printf("no answer: %s", error->message);
    run_record(run, measurement_new_text(idn_name, text));
    instrument_identity_clear(&identity);
  }
}

/* The fixture's own setup step: connect every instrument, record what they are, and have the
 * board presented. */
static Outcome connect_step(Run *run, char **message)
{
  GError *error = NULL;
  /* A board without a serial (a flash run) is presented as it is. */
  if (!fixture_connect(run->fixture, &error) ||
      (run->serial.text[0] &&
       !fixture_present_board(run->fixture, run->serial.text, &error))) {
    *message = g_strdup(error->message);
    g_error_free(error);
    return OUTCOME_ERROR;
  }
  record_identities(run, FALSE);
  return OUTCOME_PASS;
}

/* The teardown's first built-in step: what the board itself says it is (the roles identified
 * at the end: it has no firmware before the flash step). Its silence is recorded, not judged. */
static Outcome board_identity_step(Run *run, char **message)
{
  record_identities(run, TRUE);
  return OUTCOME_PASS;
}

/* The release to flash, recorded in the run before anything is touched. */
static Outcome release_step(Run *run, char **message)
{
  if (!run->release) {
    *message = g_strdup(run->release_problem);
    return OUTCOME_ERROR;
  }
  run_record(run, measurement_new_text("firmware_version", run->release->version));
  run_record(run, measurement_new_text("firmware_sha256", run->release->sha256));
  if (run->release->signer_key_id)
    run_record(run, measurement_new_text("firmware_signer", run->release->signer_key_id));
  else
    run_record(run, measurement_new_text("firmware_file", run->request->image_path));
  return OUTCOME_PASS;
}

static Outcome safe_state_step(Run *run, char **message)
{
  if (!fixture_is_connected(run->fixture))
    return OUTCOME_PASS; /* nothing was ever switched on */
  GError *error = NULL;
  if (!fixture_safe_state(run->fixture, &error)) {
    *message = g_strdup(error->message);
    run->unsafe = g_strdup(error->message);
    g_error_free(error);
    return OUTCOME_ERROR;
  }
  return OUTCOME_PASS;
}


static void verdict_add(Verdict *verdict, const char *step, Outcome outcome, const char *why)
{
  if (outcome != OUTCOME_FAIL && outcome != OUTCOME_ERROR)
    return;
  if (!verdict->first_failure) {
    verdict->first_failure = g_strdup(step);
    verdict->message = g_strdup_printf("%s: %s", step, why ? why : outcome_name(outcome));
  }
  if (outcome == OUTCOME_ERROR || verdict->outcome == OUTCOME_PASS)
    verdict->outcome = outcome;
}

/* The roles of a built-in step that touches no shared instrument. */
static const char *const no_roles[] = {NULL};

/* The teardown's last built-in step on a fixture with shared instruments: what the run
 * waited for them and held them. */
static Outcome shared_instruments_step(Run *run, char **message)
{
  shared_hold_record(run);
  return OUTCOME_PASS;
}

/* Lets the shared instruments the run holds go. A route that could not be opened leaves the
 * fixture unsafe; FALSE with *message (replaced) saying why. */
static gboolean release_shared(Run *run, char **message)
{
  g_autoptr(GError) release_error = NULL;
  if (shared_hold_release(run, &release_error))
    return TRUE;
  g_free(*message);
  *message = g_strdup(release_error->message);
  if (!run->unsafe)
    run->unsafe = g_strdup(release_error->message);
  return FALSE;
}

/* The end of a step: its outcome judged (a fault the watch found, a failing measurement),
 * stored, announced and added to the verdict. Takes message. The shared instruments go here,
 * except while a step paused in its overlapped wait holds them: they go with it (run_one). */
static Outcome step_finish(Run *run, Outcome outcome, char *message, Verdict *verdict)
{
  lua_interrupt_set_limit(&run->interrupt, NULL, 0);
  if (!run->overlap && !release_shared(run, &message))
    outcome = OUTCOME_ERROR;
  /* An instrument the watch found silent during the step is a station fault, whatever the
   * step made of the others' answers; it is reported once, by the step it happened in. */
  g_autoptr(GError) fault = run->watch && !run->watch_reported
                                ? fixture_watch_fault(run->watch) : NULL;
  if (fault) {
    run->watch_reported = TRUE;
    if (outcome != OUTCOME_ERROR) {
      outcome = OUTCOME_ERROR;
      g_free(message);
      message = g_strdup(fault->message);
    }
  }
  if (outcome == OUTCOME_PASS && run->step.failed_measurements > 0) {
    outcome = OUTCOME_FAIL;
    g_free(message);
    message = run->step.failed_measurements > 1
                  ? g_strdup_printf("%s (and %d more)", run->step.first_failure,
                                    run->step.failed_measurements - 1)
                  : g_strdup(run->step.first_failure);
  }
  if (outcome == OUTCOME_ERROR && message && strchr(message, '\n')) {
    /* Keep the traceback in the log; the step's message is its first line. */
    run_log(run, "%s", message);
    *strchr(message, '\n') = '\0';
  }
  step_end(run, outcome, message);
  verdict_add(verdict, run->step.name, outcome, message);
  g_free(message);
  return outcome;
}

/* ---- overlaps ----------------------------------------------------------------------------
 * A main step may pause in wait_overlapped(): the steps declared with overlaps = its name
 * (and not run yet) run meanwhile, in the order declared, each a step of its own, stored and
 * announced as it happens. The paused step goes on at its wait's end on the fixture clock:
 * in the main loop once they have run, or inside one of their waits when the end comes
 * first (it then runs to its end there, and that wait goes on after it), so its own timing
 * (a recovery it measures) is what it would be alone. An abort, or an overlapping step that
 * could not be completed, resumes it at once to stop: its wait raises an error, its cleanup
 * runs, and the run stops as after any ERROR. Which steps may overlap which waits is the
 * sequence's to say (sequences/eol.lua: the physics that allows each). */

/* Steps declared to overlap `step` that have not run yet. */
static gboolean overlappers_waiting(Run *run, LuaHost *host, const SequenceStep *step)
{
  GPtrArray *steps = lua_host_steps(host);
  for (guint i = 0; step->group == GROUP_MAIN && i < steps->len; i++) {
    const SequenceStep *other = g_ptr_array_index(steps, i);
    if (other->overlaps && g_str_equal(other->overlaps, step->name) &&
        !g_hash_table_contains(run->ran_overlapped, other))
      return TRUE;
  }
  return FALSE;
}

/* The paused step goes on (to stop, when overlap->stop_reason is set) and runs to its end;
 * the running step's state is put back after it. */
static void overlap_resume(Run *run)
{
  Overlap *overlap = run->overlap;
  StepState current = run->step;
  LuaInterrupt limit = run->interrupt;
  run->step = overlap->state;
  double now = clock_now(run);
  if (!isnan(now))
    run->step.held_s += MAX(0.0, now - overlap->paused_at - overlap->wait_s);
  run->interrupt.limit_s = overlap->limit_s;
  run->interrupt.what = overlap->limit_what;
  run->interrupt.note = overlap->limit_note;
  run->interrupt.deadline_us = overlap->limit_deadline_us;
  overlap->running = TRUE;
  Outcome outcome;
  char *message = NULL;
  if (lua_host_step_resume(overlap->host, overlap->thread, &outcome, &message)) {
    outcome = OUTCOME_ERROR;   /* it cannot pause again: run_overlap_begin allows one */
    message = g_strdup("wait_overlapped: paused twice");
  }
  overlap->outcome = step_finish(run, outcome, message, overlap->verdict);
  overlap->running = FALSE;
  overlap->ended = TRUE;
  overlap->state = run->step;
  run->step = current;
  run->interrupt.limit_s = limit.limit_s;
  run->interrupt.what = limit.what;
  run->interrupt.note = limit.note;
  run->interrupt.deadline_us = limit.deadline_us;
}

static Outcome run_one(Run *run, LuaHost *host, const SequenceStep *step, const char *group,
                       const char *name, Outcome (*builtin)(Run *, char **),
                       const char *const *roles, Verdict *verdict);

/* Runs `step` (begun) as a coroutine; when it pauses in wait_overlapped(), the steps waiting
 * to overlap it run, then it goes on at its wait's end. Returns its outcome, its step ended;
 * its timing gets what the overlap saved. */
static Outcome run_overlapping(Run *run, LuaHost *host, const SequenceStep *step,
                               Verdict *verdict)
{
  LuaStepThread *thread = NULL;
  Outcome outcome;
  char *message = NULL;
  run->overlap_allowed = TRUE;
  gboolean paused = lua_host_step_start(host, step, &thread, &outcome, &message);
  run->overlap_allowed = FALSE;
  if (!paused) {
    lua_host_step_thread_free(host, thread);
    return step_finish(run, outcome, message, verdict);
  }
  Overlap *overlap = run->overlap;
  overlap->host = host;
  overlap->thread = thread;
  overlap->name = step->name;
  overlap->verdict = verdict;
  overlap->state = run->step;
  memset(&run->step, 0, sizeof run->step);
  overlap->limit_s = run->interrupt.limit_s;
  overlap->limit_what = run->interrupt.what;
  overlap->limit_note = run->interrupt.note;
  overlap->limit_deadline_us = run->interrupt.deadline_us;
  overlap->first_timing = run->timings->len;
  double started = overlap->state.clock_start;

  GPtrArray *steps = lua_host_steps(host);
  for (guint i = 0; i < steps->len && !overlap->ended && !overlap->stop_reason; i++) {
    const SequenceStep *other = g_ptr_array_index(steps, i);
    if (!other->overlaps || !g_str_equal(other->overlaps, step->name) ||
        g_hash_table_contains(run->ran_overlapped, other))
      continue;
    g_hash_table_add(run->ran_overlapped, (gpointer)other);
    Outcome ran = run_one(run, host, other, step_group_name(other->group), other->name, NULL,
                          NULL, verdict);
    if (run_abort_requested(run))
      overlap->stop_reason = g_strdup("aborted by the operator");
    else if (ran == OUTCOME_ERROR)
      overlap->stop_reason = g_strdup_printf("%s, which ran in this step's wait, could not "
                                             "be completed", other->name);
  }
  if (!overlap->ended) {
    double now = clock_now(run);
    GError *error = NULL;
    if (!overlap->stop_reason && !isnan(now) && overlap->deadline > now &&
        !clock_wait(run, overlap->deadline - now, &error)) {
      overlap->stop_reason = g_strdup(error->message);
      g_error_free(error);
    }
    overlap_resume(run);
  }
  /* What the overlap saved: the steps' own times, less the time they took together. */
  double serial = 0;
  StepTiming *own = NULL;
  for (guint i = overlap->first_timing; i < run->timings->len; i++) {
    StepTiming *t = &g_array_index(run->timings, StepTiming, i);
    serial += t->clock_s;
    if (!t->overlapped)
      own = t;
  }
  double saved = serial - (clock_now(run) - started);
  if (own && isfinite(saved))
    own->overlap_saved_s = MAX(0.0, saved);
  outcome = overlap->outcome;
  lua_host_step_thread_free(host, overlap->thread);
  step_state_clear(&overlap->state);
  g_free(overlap->stop_reason);
  g_clear_pointer(&run->overlap, g_free);
  return outcome;
}

/* Runs one step (built in or from the sequence) with its bookkeeping, holding the shared
 * instruments of roles (NULL: every one; a sequence step: those it names) around it. */
static Outcome run_one(Run *run, LuaHost *host, const SequenceStep *step, const char *group,
                       const char *name, Outcome (*builtin)(Run *, char **),
                       const char *const *roles, Verdict *verdict)
{
  run->step.limit_s = 0;
  run->step.limit_from = NULL;
  g_clear_pointer(&run->step.limit_note, g_free);
  if (step) {
    StepTimeLimit limit = step_time_limit_choose(step->time_limit_s,
                                                 plan_store_planned_s(run->plan, group, name));
    run->step.limit_s = limit.limit_s;
    run->step.limit_from = step_time_limit_source_name(limit.source);
    run->step.limit_note = step_time_limit_describe(&limit);
  }
  /* Taken before the step begins: what it waits for another slot is not its own time. */
  g_autoptr(GError) hold_error = NULL;
  gboolean held = shared_hold_take(run, step ? (const char *const *)step->instruments : roles,
                                   &hold_error);
  step_begin(run, group, name);
  char *message = NULL;
  if (step) {
    lua_interrupt_set_limit(&run->interrupt, "the step", run->step.limit_s);
    run->interrupt.note = run->step.limit_note;
  }
  if (!held)
    return step_finish(run, OUTCOME_ERROR, g_strdup(hold_error->message), verdict);
  if (step && overlappers_waiting(run, host, step)) {
    Outcome outcome = run_overlapping(run, host, step, verdict);
    /* the step and those in its wait have ended: what they held goes now */
    if (!release_shared(run, &message)) {
      run_log(run, "%s", message);
      outcome = OUTCOME_ERROR;
    }
    g_free(message);
    return outcome;
  }
  Outcome outcome = builtin ? builtin(run, &message) : lua_host_run_step(host, step, &message);
  return step_finish(run, outcome, message, verdict);
}

static void skip_step(Run *run, const char *group, const char *name, const char *why)
{
  step_begin(run, group, name);
  step_end(run, OUTCOME_SKIP, why);
}

static void run_steps(Run *run, LuaHost *host, Verdict *verdict)
{
  GPtrArray *steps = lua_host_steps(host);
  const char *stop_reason = NULL;

  if (lua_host_needs_firmware(host) &&
      run_one(run, host, NULL, "setup", "firmware-release", release_step, no_roles,
              verdict) != OUTCOME_PASS)
    stop_reason = "there is no firmware to flash; the board was not touched";
  if (stop_reason)
    skip_step(run, "setup", "connect-fixture", stop_reason);
  else if (run_one(run, host, NULL, "setup", "connect-fixture", connect_step, NULL,
                   verdict) != OUTCOME_PASS)
    stop_reason = "the fixture could not be connected";
  else
    lua_host_bind(host, run);
  if (!stop_reason && !fixture_clock_is_virtual(run->fixture))
    run->watch = fixture_watch_start(run->fixture, WATCH_INTERVAL_S);

  for (int pass = GROUP_SETUP; pass <= GROUP_MAIN; pass++) {
    for (guint i = 0; i < steps->len; i++) {
      const SequenceStep *step = g_ptr_array_index(steps, i);
      if ((int)step->group != pass || g_hash_table_contains(run->ran_overlapped, step))
        continue;   /* another group's, or it ran in the wait of the step it overlaps */
      if (!stop_reason && run_abort_requested(run))
        stop_reason = "aborted by the operator";
      if (stop_reason) {
        skip_step(run, step_group_name(step->group), step->name, stop_reason);
        continue;
      }
      Outcome outcome = run_one(run, host, step, step_group_name(step->group), step->name,
                                NULL, NULL, verdict);
      if (run_abort_requested(run))
        stop_reason = "aborted by the operator";
      else if (outcome == OUTCOME_ERROR)
        stop_reason = "an earlier step could not be completed";
      else if (outcome == OUTCOME_FAIL && (step->critical || step->group == GROUP_SETUP))
        stop_reason = "a critical step failed";
    }
  }

  run->in_teardown = TRUE;
  run->interrupt.ignore_abort = TRUE;
  if (fixture_is_connected(run->fixture))
    run_one(run, host, NULL, "teardown", "board-identity", board_identity_step, no_roles,
            verdict);
  for (guint i = 0; i < steps->len; i++) {
    const SequenceStep *step = g_ptr_array_index(steps, i);
    if (step->group != GROUP_TEARDOWN)
      continue;
    if (!fixture_is_connected(run->fixture))
      skip_step(run, "teardown", step->name, "the fixture was never connected");
    else
      run_one(run, host, step, "teardown", step->name, NULL, NULL, verdict);
  }
  run_one(run, host, NULL, "teardown", "safe-state", safe_state_step, NULL, verdict);
  if (shared_hold_any(run))
    run_one(run, host, NULL, "teardown", "shared-instruments", shared_instruments_step,
            no_roles, verdict);
  g_clear_pointer(&run->watch, fixture_watch_stop);
}

/* Appends "; <text>" to *message (or sets it). */
static void message_append(char **message, const char *text)
{
  char *joined = *message ? g_strdup_printf("%s; %s", *message, text) : g_strdup(text);
  g_free(*message);
  *message = joined;
}

/* The image the sequence flashes: a flash run's own, else the model's release. An image given
 * to a sequence that flashes nothing is refused: it would never be written. */
static gboolean choose_firmware(Engine *engine, const RunRequest *request, Run *run,
                                LuaHost *host, GError **error)
{
  if (!lua_host_needs_firmware(host)) {
    if (!run->release)
      return TRUE;
    g_set_error(error, STATION_ERROR, STATION_ERROR_SEQUENCE,
                "sequence %s flashes no firmware (it does not declare sequence{firmware = "
                "true}), so it cannot take the image %s", run->sequence_path,
                request->image_path);
    return FALSE;
  }
  if (!run->release)
    load_release(engine, request, run);
  return TRUE;
}

/* The run's row, written before anything is touched. */
static gboolean begin_stored_run(Engine *engine, Run *run, LuaHost *host, GError **error)
{
  const RunRequest *request = run->request;
  g_autofree char *station_id = g_strdup(request->station_id ? request->station_id
                                                             : g_get_host_name());
  RunStart start = {
    .serial = run->serial.text, .model = run->serial.model->name, .station_id = station_id,
    .fixture_id = run->fixture->id, .slot = run->fixture->slot,
    .operator_name = run->operator_name, .sequence_name = lua_host_sequence_name(host),
    .sequence_sha256 = run->sequence_sha256, .limits_sha256 = run->limits->sha256,
    .firmware_sha256 = run->release ? run->release->sha256 : NULL,
    .app_version = STATION_VERSION, .order_id = request->order_id,
    .chemistry = chemistry_key(run->chemistry), .cell_count = run->cell_count,
    .heater = run->heater ? RUN_HEATER_YES : RUN_HEATER_NO, .profile = run->limits->profile,
    .purpose = request->purpose == RUN_PURPOSE_FLASH ? "flash" : "eol",
    .instruments = (const RunInstrument *)run->calibration.instruments->data,
    .n_instruments = run->calibration.instruments->len,
    .contact_cycles_max = run->contact_cycles_max,
  };
  run->run_id = store_run_begin(engine->store, &start, error);
  return run->run_id != 0;
}

/* A flash run in the audit log: who flashed which image into which board, and how it went.
 * Written whatever the outcome, also when the board was never touched. */
static void audit_flash(Engine *engine, Run *run, Outcome outcome)
{
  if (run->request->purpose != RUN_PURPOSE_FLASH || !run->release)
    return;
  FirmwareFlashAudit flash = {
    .actor = run->operator_name, .serial = run->serial.text,
    .version = run->release->version, .sha256 = run->release->sha256,
    .source = run->request->image_path ? run->request->image_path
                                       : "the model's release",
    .run_id = run->run_id, .outcome = outcome_name(outcome),
  };
  GError *error = NULL;
  if (!firmware_store_audit_flash(engine->store, &flash, &error))
    store_failed(run, error);
}

/* The verdict's last words, and the run's end stored. A safe state not reached is always in
 * the message. A store that failed at any point makes the run ERROR: it is PASS or FAIL only
 * when everything measured is stored, and "stored" (result->stored) only after the final
 * commit. */
static void end_run(Engine *engine, Run *run, RunResult *result)
{
  if (run->unsafe && !(result->message && g_str_has_prefix(result->message, "safe-state:"))) {
    g_autofree char *text = g_strdup_printf("safe-state: %s", run->unsafe);
    message_append(&result->message, text);
  }
  if (!engine->store)
    return;
  audit_flash(engine, run, result->outcome);
  if (run->store_problem) {
    result->outcome = OUTCOME_ERROR;
    g_autofree char *text = g_strdup_printf("the result could not be stored (%s)",
                                            run->store_problem);
    message_append(&result->message, text);
  }
  GError *store_error = NULL;
  if (!store_run_end(engine->store, run->run_id, outcome_name(result->outcome),
                     result->first_failure, result->message, &store_error)) {
    result->outcome = OUTCOME_ERROR;
    g_autofree char *text = g_strdup_printf("the result could not be stored (%s)",
                                            store_error->message);
    message_append(&result->message, text);
    store_failed(run, store_error);
    return;
  }
  result->stored = !run->store_problem;
}

/* What the run's plan is stored under: its model, order, sequence and limits. */
static PlanKey run_plan_key(const Run *run)
{
  return (PlanKey){
    .model = run->serial.model->name, .chemistry = chemistry_key(run->chemistry),
    .cell_count = run->cell_count, .heater = run->heater, .profile = run->limits->profile,
    .sequence_sha256 = run->sequence_sha256, .limits_sha256 = run->limits->sha256,
  };
}

/* The planned step times the steps' time limits derive from; without them every step
 * without its own time_limit gets the fallback, and the log says so. */
static void load_plan(Run *run)
{
  PlanKey key = run_plan_key(run);
  g_autofree char *why = NULL;
  run->plan = plan_store_load(run->request->plan_dir, &key, &why);
  if (!run->plan)
    run_log(run, "%s: a step without a time_limit of its own may take %g s (station plan "
            "stores the plan of a model and order; so does this run if it passes)", why,
            STEP_TIME_LIMIT_FALLBACK_S);
}

/* Keeps a passing run's step times as the plan of its model, order, sequence and limits. */
static void save_plan(Run *run, RunResult *result)
{
  PlanKey key = run_plan_key(run);
  g_autoptr(GError) error = NULL;
  if (!plan_store_save(run->request->plan_dir, &key, result->timings, &result->plan_path,
                       &error))
    message_append(&result->message, error->message);
}

gboolean engine_run(Engine *engine, const RunRequest *request, RunResult *result,
                    GError **error)
{
  memset(result, 0, sizeof *result);
  g_atomic_int_set(&engine->abort_requested, 0);
  Run run = {.interrupt.abort_requested = &engine->abort_requested};
  g_autoptr(LuaHost) host = NULL;
  lua_interrupt_begin(&run.interrupt);
  if (!prepare(engine, request, &run, error) || !(host = load_sequence(&run, error)) ||
      !choose_firmware(engine, request, &run, host, error) ||
      !check_needed_roles(&run, host, error) || !choose_heater_load(&run, host, error) ||
      !check_fixture_service(&run, error) || !shift_start_check(&run, engine->store, error)) {
    lua_interrupt_end();
    run_clear(&run);
    return FALSE;
  }

  /* The recorded hash covers every module the sequence loaded, not only its main file. */
  g_free(run.sequence_sha256);
  run.sequence_sha256 = lua_host_sequence_sha256(host);
  run.operator_name = g_strdup(request->operator_name ? request->operator_name
                                                      : g_get_user_name());
  run.started_us = g_get_monotonic_time();
  run.timings = g_array_new(FALSE, TRUE, sizeof(StepTiming));
  run.ran_overlapped = g_hash_table_new(NULL, NULL);
  g_array_set_clear_func(run.timings, step_timing_clear);
  if (engine->store && !begin_stored_run(engine, &run, host, error)) {
    g_prefix_error(error, "cannot record the run, so the board is not tested: ");
    lua_interrupt_end();
    run_clear(&run);
    return FALSE;
  }
  emit(&run, EVENT_RUN_STARTED, NULL, OUTCOME_RUNNING, NULL);
  warn_fixture_service(engine, &run);
  load_plan(&run);

  Verdict verdict = {.outcome = OUTCOME_PASS};
  run_steps(&run, host, &verdict);
  run.step.group = run.step.name = NULL;
  run.step.index = 0;

  result->outcome = run_abort_requested(&run) ? OUTCOME_ABORTED : verdict.outcome;
  if (result->outcome == OUTCOME_ABORTED && !verdict.message)
    verdict.message = g_strdup("aborted by the operator");
  result->run_id = run.run_id;
  result->first_failure = verdict.first_failure;
  result->message = verdict.message;
  result->duration_s = run_elapsed(&run);
  for (guint i = 0; i < run.timings->len; i++) {
    const StepTiming *t = &g_array_index(run.timings, StepTiming, i);
    if (!isnan(t->clock_s))
      result->clock_s += t->clock_s - t->overlap_saved_s;
  }
  result->timings = g_steal_pointer(&run.timings);
  end_run(engine, &run, result);
  shift_start_record(&run, engine->store, result);
  /* A passing run of a model and order without a plan gives the plan: its step times are
   * what `station plan` would have measured, so the next runs' steps get limits from them. */
  if (result->outcome == OUTCOME_PASS && (request->save_plan || !run.plan)) {
    save_plan(&run, result);
    if (!request->save_plan && result->plan_path)
      run_log(&run, "no plan was stored for this model and order: this run's step times are "
              "its plan now (%s)", result->plan_path);
  }
  lua_interrupt_end();
  run_clear(&run);
  emit(&run, EVENT_RUN_ENDED, NULL, result->outcome, result->message);
  return TRUE;
}
