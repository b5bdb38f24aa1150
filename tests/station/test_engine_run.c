/* The engine in process, on a dummy fixture (a scripted cell simulator and a silent board
 * link, tests/fixtures): small Lua sequences show that the teardown always runs (after a
 * failure, an error and an abort), that a critical step's failure stops the main group, that
 * the fixture is put in its safe state after the sequence's last command, that events
 * arrive in order: run start, each step's start, measurements and end, run end, and that a
 * flash run's image is checked before the fixture is touched. */
#include "station/engine.h"
#include "station/station_error.h"
#include "firmware/firmware_error.h"
#include "firmware/test_image.h"
#include "tests/cunit_main.h"
#include "tests/fixtures/fake_scpi.h"
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

static Catalog *catalog;
static char *tmpdir;

/* The dummy fixture of one test: its instruments and its description file. */
typedef struct {
  FakeScpi *cells;
  Peer *board;                  /* silent: the board's own identity is recorded as silence */
  char *path;
} Bench;

static GBytes *silent_board(const guint8 *frame, gsize len, gpointer user_data)
{
  return NULL;
}

static void bench_start(Bench *bench)
{
  bench->cells = fake_scpi_start("NGI,N83624,SN2301,V1.20");
  bench->board = peer_modbus_start(silent_board, NULL);
  bench->path = g_build_filename(tmpdir, "dummy.conf", NULL);
  g_autofree char *text = g_strdup_printf(
      "[fixture]\nid = ENGINE-TEST-%d\nsafe_cell_voltage = 3.0\n"
      "[cells]\ndriver = ngi-n83624\nresource = %s\n"
      "[dut]\ndriver = jk-modbus\nresource = %s\n",
      (int)getpid(), fake_scpi_resource(bench->cells), peer_resource(bench->board));
  g_assert(g_file_set_contents(bench->path, text, -1, NULL));
}

static void bench_stop(Bench *bench)
{
  fake_scpi_stop(bench->cells);
  peer_stop(bench->board);
  g_unlink(bench->path);
  g_free(bench->path);
}

/* What the event handler saw, one line per event, and when to abort. */
typedef struct {
  GString *events;
  Engine *engine;
  const char *abort_at_step;    /* engine_abort() when this step starts; NULL: never */
  FakeScpi *cells;              /* the bench's cell simulator */
  const char *silence_at_step;  /* the cell simulator stops answering when this step starts */
} Listener;

static void on_event(const EngineEvent *e, gpointer data)
{
  Listener *listener = data;
  switch (e->kind) {
  case EVENT_RUN_STARTED:
    g_string_append(listener->events, "run-start\n");
    break;
  case EVENT_STEP_STARTED:
    g_string_append_printf(listener->events, "start %s/%s #%d\n", e->group, e->step,
                           e->step_index);
    if (g_strcmp0(e->step, listener->silence_at_step) == 0)
      fake_scpi_set_silent(listener->cells, TRUE);
    if (g_strcmp0(e->step, listener->abort_at_step) == 0)
      engine_abort(listener->engine);
    break;
  case EVENT_MEASUREMENT:
    /* Identities and links are the instruments' words: only their names are compared. */
    g_string_append_printf(listener->events, "  %s %s\n", e->measurement->name,
                           outcome_name(e->outcome));
    break;
  case EVENT_STEP_ENDED:
    g_string_append_printf(listener->events, "end %s %s\n", e->step, outcome_name(e->outcome));
    break;
  case EVENT_RUN_ENDED:
    g_string_append_printf(listener->events, "run-end %s\n", outcome_name(e->outcome));
    break;
  case EVENT_LOG:
  case EVENT_PROGRESS:
    break;
  }
}

/* The sequence of these tests, with `bad_step` as the second main step's body and its
 * `critical` flag. */
static char *write_sequence(const char *bad_step, gboolean critical)
{
  g_autofree char *text = g_strdup_printf(
      "sequence { name = 'engine-test', api = 2 }\n"
      "setup { name = 'power', run = function() fixture.cells:set_voltages(1, 4, 3.7) end }\n"
      "step { name = 'good', run = function()\n"
      "  measure { name = 'v', unit = 'V', value = 1.0, low = 0, high = 2 } end }\n"
      "step { name = 'bad', critical = %s, run = function() %s end }\n"
      "step { name = 'after', run = function()\n"
      "  measure { name = 'x', value = 1, low = 0, high = 2 } end }\n"
      "teardown { name = 'tidy', run = function()\n"
      "  measure { name = 'tidy_ran', value = 'yes', expected = 'yes' } end }\n",
      critical ? "true" : "false", bad_step);
  char *path = g_build_filename(tmpdir, "engine_test.lua", NULL);
  g_assert(g_file_set_contents(path, text, -1, NULL));
  return path;
}

/* Runs the test sequence on a new dummy fixture; returns the events and fills result. The
 * cell simulator's lines after the sequence's own 3.7 V command go to *cells_after. */
static const char *silence_at;   /* run_sequence: Listener.silence_at_step */

static char *run_sequence(const char *bad_step, gboolean critical, const char *abort_at,
                          RunResult *result, char **cells_after)
{
  Bench bench;
  bench_start(&bench);
  g_autofree char *sequence = write_sequence(bad_step, critical);
  g_autoptr(Engine) engine = engine_new(catalog, NULL);
  Listener listener = {.events = g_string_new(""), .engine = engine,
                       .abort_at_step = abort_at, .cells = bench.cells,
                       .silence_at_step = silence_at};
  engine_set_event_handler(engine, on_event, &listener);
  RunRequest request = {.fixture_path = bench.path, .serial = "B2A24S15P-2648-00017",
                        .sequence_path = sequence, .operator_name = "test",
                        .station_id = "test"};
  g_autoptr(GError) error = NULL;
  gboolean started = engine_run(engine, &request, result, &error);
  if (error)
    printf("\n  %s\n", error->message);
  CU_ASSERT_TRUE(started);
  g_autofree char *sent = fake_scpi_sent_since(bench.cells, 0);
  const char *own = strstr(sent, "3.7");
  *cells_after = g_strdup(own ? own : "");
  bench_stop(&bench);
  g_unlink(sequence);
  return g_string_free(listener.events, FALSE);
}

static void expect_text(const char *got, const char *want)
{
  if (strcmp(got, want) != 0)
    printf("\n  got:\n%s\n  expected:\n%s\n", got, want);
  CU_ASSERT_STRING_EQUAL(got, want);
}

/* The events of the steps around the one under test. */
#define EVENTS_BEFORE                                                                        \
  "run-start\n"                                                                              \
  "start setup/connect-fixture #1\n  cells_link PASS\n  cells_idn PASS\nend connect-fixture PASS\n" \
  "start setup/power #2\nend power PASS\n"                                                   \
  "start main/good #3\n  v PASS\nend good PASS\n"
/* After the step that stopped the main group: the rest skipped, the teardown. */
#define EVENTS_SKIPPED_THEN_TEARDOWN                                                         \
  "start main/after #5\nend after SKIP\n"                                                     \
  "start teardown/board-identity #6\n  dut_idn PASS\nend board-identity PASS\n"              \
  "start teardown/tidy #7\n  tidy_ran PASS\nend tidy PASS\n"                                 \
  "start teardown/safe-state #8\nend safe-state PASS\n"

/* The safe state's command to the cell simulator came after the sequence's own. */
static void expect_safe_after(const char *cells_after)
{
  gboolean safe = cells_after && strstr(cells_after, "SOUR:VOLT 3.0000,(@1:25)");
  if (!safe)
    printf("\n  cell simulator after the sequence's command: %s\n",
           cells_after ? cells_after : "(nothing)");
  CU_ASSERT_TRUE(safe);
}

static void test_critical_failure_stops_the_run(void)
{
  RunResult result;
  g_autofree char *cells = NULL;
  g_autofree char *events = run_sequence(
      "measure { name = 'w', value = 5, low = 0, high = 2 }", TRUE, NULL, &result, &cells);
  expect_text(events,
              EVENTS_BEFORE
              "start main/bad #4\n  w FAIL\nend bad FAIL\n"
              EVENTS_SKIPPED_THEN_TEARDOWN
              "run-end FAIL\n");
  CU_ASSERT_EQUAL(result.outcome, OUTCOME_FAIL);
  CU_ASSERT_STRING_EQUAL(result.first_failure, "bad");
  expect_safe_after(cells);
  run_result_clear(&result);
}

static void test_non_critical_failure_goes_on(void)
{
  RunResult result;
  g_autofree char *cells = NULL;
  g_autofree char *events = run_sequence(
      "measure { name = 'w', value = 5, low = 0, high = 2 }", FALSE, NULL, &result, &cells);
  CU_ASSERT_PTR_NOT_NULL(strstr(events, "end bad FAIL\nstart main/after #5\n  x PASS\n"
                                        "end after PASS\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(events, "end tidy PASS\n"));
  CU_ASSERT_EQUAL(result.outcome, OUTCOME_FAIL);
  run_result_clear(&result);
}

static void test_error_runs_teardown(void)
{
  RunResult result;
  g_autofree char *cells = NULL;
  g_autofree char *events = run_sequence("error('boom')", FALSE, NULL, &result, &cells);
  expect_text(events,
              EVENTS_BEFORE
              "start main/bad #4\nend bad ERROR\n"
              EVENTS_SKIPPED_THEN_TEARDOWN
              "run-end ERROR\n");
  CU_ASSERT_EQUAL(result.outcome, OUTCOME_ERROR);
  CU_ASSERT_PTR_NOT_NULL(result.message && strstr(result.message, "engine_test.lua:5: boom"));
  expect_safe_after(cells);
  run_result_clear(&result);
}

/* An abort while a step spins in Lua: the step is stopped, the rest skipped, teardown runs. */
static void test_abort_runs_teardown(void)
{
  RunResult result;
  g_autofree char *cells = NULL;
  g_autofree char *events = run_sequence("while true do pcall(function() end) end", FALSE,
                                         "bad", &result, &cells);
  expect_text(events,
              EVENTS_BEFORE
              "start main/bad #4\nend bad ERROR\n"
              EVENTS_SKIPPED_THEN_TEARDOWN
              "run-end ABORTED\n");
  CU_ASSERT_EQUAL(result.outcome, OUTCOME_ABORTED);
  expect_safe_after(cells);
  run_result_clear(&result);
}

/* An instrument that stops answering while a step waits ends the wait within its timeout
 * (1 s) and the watch's interval, not after the wait: the step is ERROR naming it. */
static void test_silent_instrument_ends_a_wait(void)
{
  RunResult result;
  g_autofree char *cells = NULL;
  silence_at = "bad";
  g_autofree char *events = run_sequence("wait(20)", FALSE, NULL, &result, &cells);
  silence_at = NULL;
  CU_ASSERT_EQUAL(result.outcome, OUTCOME_ERROR);
  CU_ASSERT_STRING_EQUAL(result.first_failure, "bad");
  if (!result.message || !strstr(result.message, "cell simulator"))
    printf("\n  %s\n", result.message);
  CU_ASSERT_PTR_NOT_NULL(result.message && strstr(result.message, "during a wait of 20 s"));
  CU_ASSERT_PTR_NOT_NULL(result.message && strstr(result.message, "cell simulator"));
  CU_ASSERT_PTR_NOT_NULL(result.message && strstr(result.message, "stopped answering"));
  /* Timeout 1 s + interval 0.2 s, then the safe state fails at once (the simulator is taken
   * as hung) and the silent board costs its timeouts. */
  if (!(result.duration_s < 4))
    printf("\n  the run took %.2f s\n", result.duration_s);
  CU_ASSERT_TRUE(result.duration_s < 4);
  run_result_clear(&result);
}

/* Writes a test image for models (comma list) to tmpdir/name; corrupt: one byte changed after
 * the build, so its header's CRC no longer holds. Returns the path (freeing). */
static char *write_image(const char *name, const char *models, gboolean corrupt)
{
  g_auto(GStrv) model_list = g_strsplit(models, ",", -1);
  g_autoptr(FirmwareImage) image = firmware_build_test_image(
      "11.40", (const char *const *)model_list, 4096, 20261207, 1, NULL);
  g_assert(image);
  if (corrupt)
    image->bytes[3000] ^= 0x01;
  char *path = g_build_filename(tmpdir, name, NULL);
  g_assert(g_file_set_contents(path, (const char *)image->bytes, (gssize)image->length, NULL));
  return path;
}

/* Runs request on a new dummy fixture; expects the run refused with domain and code, and the
 * cell simulator never spoken to. */
static void expect_refused(RunRequest *request, GQuark domain, int code, const char *part)
{
  Bench bench;
  bench_start(&bench);
  request->fixture_path = bench.path;
  g_autoptr(Engine) engine = engine_new(catalog, NULL);
  RunResult result;
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(engine_run(engine, request, &result, &error));
  CU_ASSERT_TRUE(g_error_matches(error, domain, code));
  if (!error || !strstr(error->message, part))
    printf("\n  '%s' does not say '%s'\n", error ? error->message : "(no error)", part);
  CU_ASSERT_TRUE(error && strstr(error->message, part));
  CU_ASSERT_EQUAL(fake_scpi_count(bench.cells), 0);
  bench_stop(&bench);
}

/* A flash run's image that is corrupt, missing, for another model, of several models without
 * a serial, given to a production run or to a sequence that flashes nothing: refused before
 * the fixture is touched. */
static void test_flash_image_checked_first(void)
{
  g_autofree char *good = write_image("good.bin", "B2A24S15P", FALSE);
  g_autofree char *corrupt = write_image("corrupt.bin", "B2A24S15P", TRUE);
  g_autofree char *other = write_image("other.bin", "B1A8S10P", FALSE);
  g_autofree char *two = write_image("two.bin", "B2A24S15P,B1A8S10P", FALSE);
  g_autofree char *missing = g_build_filename(tmpdir, "missing.bin", NULL);
  g_autofree char *no_flash = write_sequence("", FALSE);
  const char *serial = "B2A24S15P-2648-00017";
  RunRequest request = {.purpose = RUN_PURPOSE_FLASH, .serial = serial, .image_path = corrupt};
  expect_refused(&request, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER,
                 "is not an image the board would run");
  request.image_path = missing;
  expect_refused(&request, FIRMWARE_ERROR, FIRMWARE_ERROR_IO, "missing.bin");
  request.image_path = other;
  expect_refused(&request, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER,
                 "is built for B1A8S10P, not for the board's model B2A24S15P");
  request = (RunRequest){.purpose = RUN_PURPOSE_FLASH, .image_path = two};
  expect_refused(&request, STATION_ERROR, STATION_ERROR_USAGE, "give the board's serial");
  request = (RunRequest){.serial = serial, .image_path = good};
  expect_refused(&request, STATION_ERROR, STATION_ERROR_USAGE,
                 "a production run flashes only the image released");
  request = (RunRequest){.purpose = RUN_PURPOSE_FLASH, .serial = serial, .image_path = good,
                         .sequence_path = no_flash};
  expect_refused(&request, STATION_ERROR, STATION_ERROR_SEQUENCE, "flashes no firmware");
  g_unlink(no_flash);
  for (const char *const *path = (const char *const[]){good, corrupt, other, two, NULL}; *path;
       path++)
    g_unlink(*path);
}

int main(void)
{
  catalog = catalog_load_default(NULL);
  tmpdir = g_dir_make_tmp("engine-run-XXXXXX", NULL);
  if (!catalog || !tmpdir) {
    fprintf(stderr, "cannot load the model catalog or make a temporary folder\n");
    return 1;
  }
  CU_initialize_registry();
  CU_pSuite suite = CU_add_suite("engine run", NULL, NULL);
  CU_add_test(suite, "a critical step's failure stops the run, teardown runs",
              test_critical_failure_stops_the_run);
  CU_add_test(suite, "a non-critical failure lets the run go on",
              test_non_critical_failure_goes_on);
  CU_add_test(suite, "a script error: ERROR, teardown and safe state",
              test_error_runs_teardown);
  CU_add_test(suite, "an abort stops a spinning step, teardown and safe state",
              test_abort_runs_teardown);
  CU_add_test(suite, "a silent instrument ends a wait within its timeout",
              test_silent_instrument_ends_a_wait);
  CU_add_test(suite, "a flash run's image is checked before anything is touched",
              test_flash_image_checked_first);
  int status = cunit_run_all();
  catalog_free(catalog);
  g_rmdir(tmpdir);
  g_free(tmpdir);
  return status;
}
