/* station run --serial A --serial B ...: the boards go into the fixture's slots in order and
 * are tested at once, each run on its own worker thread with its own engine, fixture (the
 * slot's view, its own lock and safe state) and database connection, so an error or abort in
 * one slot never reaches another. Every line printed starts with the slot's number. Ctrl-C
 * aborts every run; a line "abort N" on standard input aborts slot N's alone. What cannot be
 * tested as a batch is refused before anything is touched. */
#include "station/cli/cli.h"
#include "fixtures/fixture.h"
#include "station/slot_fixture.h"
#include "station/serial_number.h"
#include "station/station_error.h"
#include <signal.h>
#include <stdio.h>

typedef struct {
  int slot;
  RunRequest request;
  Store *store;
  Engine *engine;
  CliPrinter printer;
  RunResult result;
  gboolean started;
  GError *error;
} SlotRun;

/* The engines of the batch, for Ctrl-C (engine_abort is async-signal-safe). */
static Engine *batch_engines[FIXTURE_MAX_SLOTS];
static int batch_slots[FIXTURE_MAX_SLOTS];
static int batch_count;
/* Held by the reader of standard input while it aborts a slot's engine, and by the batch
 * while it lets its engines go. */
static GMutex batch_lock;

/* Standard input, line by line until its end: "abort N" aborts slot N's run. The thread is
 * left reading when the batch ends (a terminal's line may never come). */
static gpointer read_commands(gpointer data)
{
  char line[128];
  while (fgets(line, sizeof line, stdin)) {
    int slot;
    char end;
    if (sscanf(line, " abort %d %c", &slot, &end) != 1) {
      fprintf(stderr, "station: '%s' is not a command of a batch (abort N: abort slot N's "
              "run)\n", g_strstrip(line));
      continue;
    }
    gboolean found = FALSE;
    g_mutex_lock(&batch_lock);
    for (int i = 0; i < batch_count; i++)
      if (batch_slots[i] == slot && batch_engines[i]) {
        engine_abort(batch_engines[i]);
        found = TRUE;
      }
    g_mutex_unlock(&batch_lock);
    if (!found)
      fprintf(stderr, "station: abort %d: no run of the batch is in slot %d\n", slot, slot);
  }
  return NULL;
}

static void abort_batch(int signum)
{
  for (int i = 0; i < batch_count; i++)
    if (batch_engines[i])
      engine_abort(batch_engines[i]);
}

static gpointer slot_run_thread(gpointer data)
{
  SlotRun *run = data;
  run->started = engine_run(run->engine, &run->request, &run->result, &run->error);
  return NULL;
}

/* Every serial well formed and none scanned twice. */
static gboolean check_serials(const Catalog *catalog, const char *const *serials,
                              GError **error)
{
  guint count = g_strv_length((char **)serials);
  if (count > FIXTURE_MAX_SLOTS) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                "%u boards scanned, but a fixture has at most %d slots", count,
                FIXTURE_MAX_SLOTS);
    return FALSE;
  }
  SerialNumber parsed[FIXTURE_MAX_SLOTS];
  for (guint i = 0; i < count; i++) {
    if (!serial_number_parse(serials[i], catalog, &parsed[i], error))
      return FALSE;
    for (guint j = 0; j < i; j++)
      if (g_str_equal(parsed[i].text, parsed[j].text)) {
        g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                    "serial %s is scanned twice (boards %u and %u of the batch): a board goes "
                    "into one slot; scan each board once", parsed[i].text, j + 1, i + 1);
        return FALSE;
      }
  }
  return TRUE;
}

/* Slots tested at once share no instrument but those the file marks shared (held per step,
 * fixtures/fixture_shared.h): each has its own, or the batch is refused. */
static gboolean check_no_shared_instrument(Fixture **views, int count, GError **error)
{
  for (int a = 0; a < count; a++)
    for (int b = a + 1; b < count; b++)
      for (guint i = 0; i < views[a]->instruments->len; i++) {
        const FixtureInstrument *mine = g_ptr_array_index(views[a]->instruments, i);
        if (mine->shared)
          continue;
        for (guint j = 0; j < views[b]->instruments->len; j++) {
          const FixtureInstrument *theirs = g_ptr_array_index(views[b]->instruments, j);
          if (!g_str_equal(mine->resource, theirs->resource))
            continue;
          g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                      "%s: slots %d and %d share the %s [%s] (%s); the station tests slots "
                      "that share an instrument one at a time (station run --slot N), unless "
                      "the file marks it shared (shared = yes) with a route relay per slot",
                      views[a]->path, views[a]->slot, views[b]->slot, mine->role->title,
                      mine->role->name, mine->resource);
          return FALSE;
        }
      }
  return TRUE;
}

/* What the batch will run, checked: the slots of the first boards, their views. */
static gboolean plan_batch(const Catalog *catalog, const RunRequest *base,
                           const char *const *serials, SlotFixture **first, Fixture **views,
                           int *count, GError **error)
{
  if (!check_serials(catalog, serials, error))
    return FALSE;
  *count = (int)g_strv_length((char **)serials);
  if (!(*first = slot_fixture_load(base->fixture_path, error)))
    return FALSE;
  int slots = slot_fixture_count(*first);
  if (*count > slots) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                "%d boards scanned, but the fixture %s has %d slot%s", *count,
                base->fixture_path, slots, slots == 1 ? "" : "s");
    return FALSE;
  }
  for (int i = 0; i < *count; i++)
    if (!(views[i] = fixture_load_slot(base->fixture_path, slot_fixture_slot(*first, i),
                                       error)))
      return FALSE;
  return check_no_shared_instrument(views, *count, error);
}

int cli_run_batch(const Catalog *catalog, const char *db_path, const RunRequest *base,
                  const char *const *serials, gboolean quiet)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SlotFixture) first = NULL;
  Fixture *views[FIXTURE_MAX_SLOTS] = {NULL};
  int count = 0;
  gboolean planned = plan_batch(catalog, base, serials, &first, views, &count, &error);
  for (int i = 0; i < FIXTURE_MAX_SLOTS; i++)
    fixture_close(views[i]);
  if (!planned) {
    cli_error("%s", error->message);
    return cli_refused_status(error);
  }
  /* The twin is started once for every slot, and stopped after the last run. */
  if (!slot_fixture_start_twin(first, &error)) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }

  SlotRun runs[FIXTURE_MAX_SLOTS] = {{0}};
  int code = EXIT_PASS;
  for (int i = 0; i < count; i++) {
    SlotRun *run = &runs[i];
    run->slot = slot_fixture_slot(first, i);
    run->request = *base;
    run->request.serial = serials[i];
    run->request.slot = run->slot;
    if (!(run->store = store_open(db_path, &error))) {
      cli_error("%s", error->message);
      code = EXIT_ERROR;
      break;
    }
    run->engine = engine_new(catalog, run->store);
    run->printer = (CliPrinter){.quiet = quiet, .last_percent = -10, .slot = run->slot};
    engine_set_event_handler(run->engine, cli_print_event, &run->printer);
  }
  if (code == EXIT_PASS) {
    g_mutex_lock(&batch_lock);
    for (int i = 0; i < count; i++) {
      batch_engines[i] = runs[i].engine;
      batch_slots[i] = runs[i].slot;
    }
    batch_count = count;
    g_mutex_unlock(&batch_lock);
    g_thread_unref(g_thread_new("batch-commands", read_commands, NULL));
    struct sigaction action = {.sa_handler = abort_batch, .sa_flags = SA_RESETHAND};
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    GThread *threads[FIXTURE_MAX_SLOTS];
    for (int i = 0; i < count; i++) {
      g_autofree char *name = g_strdup_printf("slot-%d", runs[i].slot);
      threads[i] = g_thread_new(name, slot_run_thread, &runs[i]);
    }
    for (int i = 0; i < count; i++)
      g_thread_join(threads[i]);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    g_mutex_lock(&batch_lock);
    batch_count = 0;
    g_mutex_unlock(&batch_lock);
    for (int i = 0; i < count; i++) {
      SlotRun *run = &runs[i];
      int slot_code;
      g_autoptr(GString) out = g_string_new(NULL);
      if (run->started) {
        cli_format_verdict(&run->result, serials[i], db_path, out);
        slot_code = cli_exit_code(run->result.outcome);
        run_result_clear(&run->result);
      } else {
        g_string_append_printf(out, "\nnot tested  %s: %s\n", serials[i], run->error->message);
        slot_code = cli_refused_status(run->error);
      }
      cli_print_lines(run->slot, out->str);
      code = MAX(code, slot_code);
    }
  }
  g_mutex_lock(&batch_lock);
  for (int i = 0; i < count; i++)
    batch_engines[i] = NULL;
  g_mutex_unlock(&batch_lock);
  for (int i = 0; i < count; i++) {
    g_clear_error(&runs[i].error);
    engine_free(runs[i].engine);
    store_close(runs[i].store);
  }
  return code;
}
