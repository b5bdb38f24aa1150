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
  event->group = run->step_group;
  event->step = run->step_name;
  event->step_index = run->step_index;
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

/* ---- steps and measurements ------------------------------------------------------------ */

void run_record_calibration(Run *run, const CalibrationRecord *calibration)
{
  if (!run->engine->store || !run->run_id)
    return;
  GError *error = NULL;
  if (!store_calibration_add(run->engine->store, run->run_id, run->step_id, calibration,
                             &error))
    store_failed(run, error);
}

Outcome run_record(Run *run, Measurement *m)
{
  measurement_judge(m);
  if (m->outcome != OUTCOME_PASS) {
    run->step_failed_measurements++;
    if (!run->step_first_failure) {
      g_autofree char *described = measurement_describe(m);
      run->step_first_failure = g_strdup_printf("%s = %s", m->name, described);
    }
  }
  if (run->engine->store && run->step_id) {
    MeasurementRecord record = {
      .name = m->name, .unit = m->unit, .value = m->value, .text = m->text,
      .low = m->low, .high = m->high, .comparison = comparison_name(m->comparison),
      .expected = m->expected, .outcome = outcome_name(m->outcome),
    };
    GError *error = NULL;
    if (!store_measurement_add(run->engine->store, run->step_id, &record, &error))
      store_failed(run, error);
  }
  emit(run, EVENT_MEASUREMENT, m, m->outcome, NULL);
  Outcome outcome = m->outcome;
  measurement_free(m);
  return outcome;
}

static void step_begin(Run *run, const char *group, const char *name)
{
  run->step_index++;
  run->step_group = group;
  run->step_name = name;
  run->step_failed_measurements = 0;
  run->step_wait_s = run->step_required_s = 0;
  run->step_clock_start = clock_now(run);
  run->step_started_us = g_get_monotonic_time();
  g_clear_pointer(&run->step_first_failure, g_free);
  run->step_id = 0;
  if (run->engine->store) {
    GError *error = NULL;
    run->step_id = store_step_begin(run->engine->store, run->run_id, run->step_index, group,
                                    name, &error);
    if (!run->step_id)
      store_failed(run, error);
  }
  emit(run, EVENT_STEP_STARTED, NULL, OUTCOME_RUNNING, NULL);
}

static void step_end(Run *run, Outcome outcome, const char *message)
{
  StepTiming timing = {
    .group = g_strdup(run->step_group), .name = g_strdup(run->step_name),
    .clock_s = clock_now(run) - run->step_clock_start, .wait_s = run->step_wait_s,
    .required_s = run->step_required_s,
    .wall_s = (double)(g_get_monotonic_time() - run->step_started_us) / G_USEC_PER_SEC,
    .time_limit_s = run->step_limit_s, .time_limit_from = run->step_limit_from,
  };
  g_array_append_val(run->timings, timing);
  if (run->engine->store && run->step_id) {
    GError *error = NULL;
    if (!store_step_end(run->engine->store, run->step_id, outcome_name(outcome), message,
                        &error))
      store_failed(run, error);
  }
  emit(run, EVENT_STEP_ENDED, NULL, outcome, message);
  run->step_id = 0;
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

gboolean run_wait(Run *run, double seconds, double required, GError **error)
{
  run->step_wait_s += seconds;
  run->step_required_s += required;
  if (fixture_clock_is_virtual(run->fixture))
    return fixture_wait(run->fixture, seconds, error);
  return seconds <= 0 || wait_real(run, seconds, error);
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
  if (run->fixture_borrowed)
    run->fixture = NULL;
  g_clear_pointer(&run->fixture, fixture_close);
  instrument_calibration_clear(&run->calibration);
  g_clear_pointer(&run->golden, golden_board_row_free);
  g_clear_pointer(&run->limits, limit_table_free);
  g_free(run->sequence_path);
  g_free(run->sequence_sha256);
  g_free(run->step_first_failure);
  g_free(run->store_problem);
  g_free(run->unsafe);
  g_clear_pointer(&run->timings, g_array_unref);
  g_clear_pointer(&run->step_limit_note, g_free);
  g_clear_pointer(&run->plan, g_hash_table_unref);
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

typedef struct {
  Outcome outcome;               /* worst so far: PASS < FAIL < ERROR */
  char *first_failure;           /* step name */
  char *message;                 /* why */
} Verdict;

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

/* Runs one step (built in or from the sequence) with its bookkeeping. */
static Outcome run_one(Run *run, LuaHost *host, const SequenceStep *step, const char *group,
                       const char *name, Outcome (*builtin)(Run *, char **), Verdict *verdict)
{
  run->step_limit_s = 0;
  run->step_limit_from = NULL;
  g_clear_pointer(&run->step_limit_note, g_free);
  if (step) {
    StepTimeLimit limit = step_time_limit_choose(step->time_limit_s,
                                                 plan_store_planned_s(run->plan, group, name));
    run->step_limit_s = limit.limit_s;
    run->step_limit_from = step_time_limit_source_name(limit.source);
    run->step_limit_note = step_time_limit_describe(&limit);
  }
  step_begin(run, group, name);
  g_autofree char *message = NULL;
  if (step) {
    lua_interrupt_set_limit(&run->interrupt, "the step", run->step_limit_s);
    run->interrupt.note = run->step_limit_note;
  }
  Outcome outcome = builtin ? builtin(run, &message) : lua_host_run_step(host, step, &message);
  lua_interrupt_set_limit(&run->interrupt, NULL, 0);
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
  if (outcome == OUTCOME_PASS && run->step_failed_measurements > 0) {
    outcome = OUTCOME_FAIL;
    g_free(message);
    message = run->step_failed_measurements > 1
                  ? g_strdup_printf("%s (and %d more)", run->step_first_failure,
                                    run->step_failed_measurements - 1)
                  : g_strdup(run->step_first_failure);
  }
  if (outcome == OUTCOME_ERROR && message && strchr(message, '\n')) {
    /* Keep the traceback in the log; the step's message is its first line. */
    run_log(run, "%s", message);
    *strchr(message, '\n') = '\0';
  }
  step_end(run, outcome, message);
  verdict_add(verdict, name, outcome, message);
  return outcome;
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
      run_one(run, host, NULL, "setup", "firmware-release", release_step, verdict) !=
          OUTCOME_PASS)
    stop_reason = "there is no firmware to flash; the board was not touched";
  if (stop_reason)
    skip_step(run, "setup", "connect-fixture", stop_reason);
  else if (run_one(run, host, NULL, "setup", "connect-fixture", connect_step, verdict) !=
           OUTCOME_PASS)
    stop_reason = "the fixture could not be connected";
  else
    lua_host_bind(host, run);
  if (!stop_reason && !fixture_clock_is_virtual(run->fixture))
    run->watch = fixture_watch_start(run->fixture, WATCH_INTERVAL_S);

  for (int pass = GROUP_SETUP; pass <= GROUP_MAIN; pass++) {
    for (guint i = 0; i < steps->len; i++) {
      const SequenceStep *step = g_ptr_array_index(steps, i);
      if ((int)step->group != pass)
        continue;
      if (!stop_reason && run_abort_requested(run))
        stop_reason = "aborted by the operator";
      if (stop_reason) {
        skip_step(run, step_group_name(step->group), step->name, stop_reason);
        continue;
      }
      Outcome outcome = run_one(run, host, step, step_group_name(step->group), step->name,
                                NULL, verdict);
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
    run_one(run, host, NULL, "teardown", "board-identity", board_identity_step, verdict);
  for (guint i = 0; i < steps->len; i++) {
    const SequenceStep *step = g_ptr_array_index(steps, i);
    if (step->group != GROUP_TEARDOWN)
      continue;
    if (!fixture_is_connected(run->fixture))
      skip_step(run, "teardown", step->name, "the fixture was never connected");
    else
      run_one(run, host, step, "teardown", step->name, NULL, verdict);
  }
  run_one(run, host, NULL, "teardown", "safe-state", safe_state_step, verdict);
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
  run.step_group = run.step_name = NULL;
  run.step_index = 0;

  result->outcome = run_abort_requested(&run) ? OUTCOME_ABORTED : verdict.outcome;
  if (result->outcome == OUTCOME_ABORTED && !verdict.message)
    verdict.message = g_strdup("aborted by the operator");
  result->run_id = run.run_id;
  result->first_failure = verdict.first_failure;
  result->message = verdict.message;
  result->duration_s = run_elapsed(&run);
  for (guint i = 0; i < run.timings->len; i++) {
    double step_clock = g_array_index(run.timings, StepTiming, i).clock_s;
    if (!isnan(step_clock))
      result->clock_s += step_clock;
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
