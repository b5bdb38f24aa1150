/* Verdict validation: the defects, the step that must catch each, and the loop that runs
 * boards through the engine on the twin. */
#include "station/validate.h"
#include "station/engine.h"
#include "station/station_error.h"
#include "station/scratch_line.h"
#include "fixtures/fixture.h"
#include "firmware/jk_image_format.h"
#include <glib/gstdio.h>
#include <math.h>

/* One kind of defect: its catalog name, the step of sequences/eol.lua that tests what it
 * breaks, and how its parameters are drawn (beyond what calibration can correct, so that a
 * board with it is truly defective). */
typedef struct {
  const char *name;
  const char *step;
  const char *earlier_step;     /* a step before it that may catch it first, or NULL */
  gboolean heater_only;         /* only on models with the heater option */
  char *(*draw)(GRand *rand, int cells);
} FaultKind;

static double signed_between(GRand *rand, double low, double high)
{
  double magnitude = g_rand_double_range(rand, low, high);
  return g_rand_boolean(rand) ? magnitude : -magnitude;
}

static char *draw_cell_offset(GRand *rand, int cells)
{
  return g_strdup_printf("cell-offset:%d:%.1f", g_rand_int_range(rand, 1, cells + 1),
                         signed_between(rand, 8.0, 30.0));
}

static char *draw_vref(GRand *rand, int cells)
{
  return g_strdup_printf("vref:%.2f", signed_between(rand, 3.5, 6.0));
}

static char *draw_cell(GRand *rand, int cells, const char *name)
{
  return g_strdup_printf("%s:%d", name, g_rand_int_range(rand, 1, cells + 1));
}

static char *draw_open_sense(GRand *rand, int cells) { return draw_cell(rand, cells, "open-sense"); }
static char *draw_balance_dead(GRand *rand, int cells) { return draw_cell(rand, cells, "balance-dead"); }

static char *draw_sense_swap(GRand *rand, int cells)
{
  /* The first cell of a neighbouring pair within the order's cells. */
  return g_strdup_printf("sense-swap:%d", g_rand_int_range(rand, 1, MAX(cells, 2)));
}

static char *draw_noisy_channel(GRand *rand, int cells)
{
  /* Switching noise on an input without its filter capacitor: several mV rms. */
  return g_strdup_printf("noisy-channel:%d:%.1f", g_rand_int_range(rand, 1, cells + 1),
                         g_rand_double_range(rand, 4.0, 15.0));
}

static char *draw_ntc_open(GRand *rand, int cells)
{
  return g_strdup_printf("ntc-open:%d", g_rand_int_range(rand, 1, 4));
}

static char *draw_scp_slow(GRand *rand, int cells)
{
  return g_strdup_printf("scp-slow:%d", g_rand_int_range(rand, 150, 1000));
}

static char *draw_shunt(GRand *rand, int cells)
{
  return g_strdup_printf("shunt:%.1f", signed_between(rand, 25.0, 45.0));
}

static char *draw_current_offset(GRand *rand, int cells)
{
  /* An amplifier offset well beyond the zero-current limit, either sign. */
  return g_strdup_printf("current-offset:%.0f", signed_between(rand, 150.0, 600.0));
}

static char *draw_path_res(GRand *rand, int cells)
{
  return g_strdup_printf("path-res:%.2f", g_rand_double_range(rand, 1.5, 3.0));
}

static char *draw_flash_bad(GRand *rand, int cells)
{
  /* A word inside any release image: past the header, within the first 16 KiB. */
  guint32 offset = (guint32)g_rand_int_range(rand, JK_IMAGE_MIN_LENGTH / 4, 16 * 1024 / 4) * 4;
  return g_strdup_printf("flash-bad:0x%08X", JK_IMAGE_FLASH_BASE + offset);
}

static char *draw_hw_rev(GRand *rand, int cells)
{
  /* A neighbouring PCB revision, earlier or later than the one the factory builds. */
  static const int revisions[] = {9, 10, 12, 13};
  return g_strdup_printf("hw-rev:%d", revisions[g_rand_int_range(rand, 0, 4)]);
}

static char *draw_standby_current(GRand *rand, int cells)
{
  /* µA more than the standby limit's margin over the lowest good board (6.5 - 4.25 mA) can
   * hide. */
  return g_strdup_printf("standby-current:%d", g_rand_int_range(rand, 2500, 10000));
}

static char *draw_sleep_current(GRand *rand, int cells)
{
  /* µA more than the sleep limit's margin over the lowest good board of a model (90 - 38 µA
   * on a 17S board) can hide. */
  return g_strdup_printf("sleep-current:%d", g_rand_int_range(rand, 60, 1000));
}

static char *draw_leaky_input(GRand *rand, int cells)
{
  /* µA more than the leakage limit's margin over the lowest good input (1.5 - 0.26 µA, with
   * the reading's ±0.2 µA) can hide, on any cell of the order. */
  return g_strdup_printf("leaky-input:%d:%.1f", g_rand_int_range(rand, 1, cells + 1),
                         g_rand_double_range(rand, 1.7, 50.0));
}

static const FaultKind fault_kinds[] = {
  {"cell-offset", "cell-voltage-accuracy", NULL, FALSE, draw_cell_offset},
  {"vref", "voltage-calibration", NULL, FALSE, draw_vref},
  {"open-sense", "cell-connections", NULL, FALSE, draw_open_sense},
  {"sense-swap", "cell-voltage-accuracy", NULL, FALSE, draw_sense_swap},
  /* A channel noisier than the calibration's own readings can take is caught there first. */
  {"noisy-channel", "cell-voltage-accuracy", "voltage-calibration", FALSE, draw_noisy_channel},
  {"chg-fet-short", "overcharge", NULL, FALSE, NULL},
  {"dsg-fet-open", "current-calibration", NULL, FALSE, NULL},
  {"ocp-dead", "charge-overcurrent", NULL, FALSE, NULL},
  {"scp-slow", "short-circuit", NULL, FALSE, draw_scp_slow},
  {"scp-dead", "short-circuit", NULL, FALSE, NULL},
  {"ntc-open", "temperature", NULL, FALSE, draw_ntc_open},
  {"balance-dead", "balance", NULL, FALSE, draw_balance_dead},
  {"heater-open", "heater", NULL, TRUE, NULL},
  {"heater-stuck-on", "heater", NULL, TRUE, NULL},
  {"shunt", "current-calibration", NULL, FALSE, draw_shunt},
  {"current-offset", "current-calibration", NULL, FALSE, draw_current_offset},
  {"flash-bad", "flash", NULL, FALSE, draw_flash_bad},
  {"rs485-dead", "identify", NULL, FALSE, NULL},
  {"hw-rev", "identify", NULL, FALSE, draw_hw_rev},
  {"path-res", "path-resistance", NULL, FALSE, draw_path_res},
  {"mos-otp-dead", "mos-overtemperature", NULL, FALSE, NULL},
  {"standby-current", "supply-current", NULL, FALSE, draw_standby_current},
  {"eeprom-dead", "power-cycle", NULL, FALSE, NULL},
  {"sleep-current", "sleep-current", NULL, FALSE, draw_sleep_current},
  {"leaky-input", "sleep-current", NULL, FALSE, draw_leaky_input},
};

const char *const *validate_fault_names(void)
{
  static const char *names[G_N_ELEMENTS(fault_kinds) + 1];
  if (!names[0])
    for (guint i = 0; i < G_N_ELEMENTS(fault_kinds); i++)
      names[i] = fault_kinds[i].name;
  return names;
}

void validate_row_free(ValidateRow *row)
{
  if (!row)
    return;
  g_free(row->fault);
  g_free(row->expected_step);
  g_free(row);
}

static ValidateRow *row_new(const char *fault, const char *step)
{
  ValidateRow *row = g_new0(ValidateRow, 1);
  row->fault = g_strdup(fault);
  row->expected_step = g_strdup(step);
  return row;
}

/* The kinds to draw from, checked against the request's list. */
static GPtrArray *chosen_kinds(const ValidateRequest *request, GError **error)
{
  GPtrArray *kinds = g_ptr_array_new();
  for (guint i = 0; i < G_N_ELEMENTS(fault_kinds); i++)
    if (!request->faults || g_strv_contains(request->faults, fault_kinds[i].name))
      g_ptr_array_add(kinds, (gpointer)&fault_kinds[i]);
  for (const char *const *f = request->faults; f && *f; f++) {
    if (!g_strv_contains(validate_fault_names(), *f)) {
      g_autofree char *known = g_strjoinv(", ", (char **)validate_fault_names());
      g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                  "unknown defect '%s'; the twin's catalog has: %s", *f, known);
      g_ptr_array_unref(kinds);
      return NULL;
    }
  }
  return kinds;
}

/* A drawn order for the model: the chemistry evenly, the cell count at the chemistry's
 * minimum, the model's maximum or between (a third each: the ends are where a sequence's
 * assumptions break), the heater ordered on three boards in four of a heater model. */
typedef struct {
  Chemistry chemistry;
  int cells;
  gboolean heater;
} DrawnOrder;

static DrawnOrder draw_order(GRand *rand, const ModelInfo *model, gboolean default_order)
{
  DrawnOrder order = {CHEMISTRY_LFP, model->strings[CHEMISTRY_LFP].max, model->heater};
  if (default_order)
    return order;
  order.chemistry = (Chemistry)g_rand_int_range(rand, 0, CHEMISTRY_COUNT);
  CellRange range = model->strings[order.chemistry];
  switch (g_rand_int_range(rand, 0, 3)) {
  case 0: order.cells = range.min; break;
  case 1: order.cells = range.max; break;
  default: order.cells = g_rand_int_range(rand, range.min, range.max + 1); break;
  }
  order.heater = model->heater && g_rand_double(rand) < 0.75;
  return order;
}

static void count_order(ValidateOrders *orders, const ModelInfo *model, DrawnOrder order)
{
  if (!orders)
    return;
  orders->boards[order.chemistry]++;
  orders->at_minimum[order.chemistry] += order.cells == model->strings[order.chemistry].min;
  orders->at_maximum[order.chemistry] += order.cells == model->strings[order.chemistry].max;
  orders->heater_off += model->heater && !order.heater;
}

/* Notes a good board's steps in the slowest step seen, against their time limits. */
static void note_slowest(ValidateSlowest *slowest, const char *serial, const GArray *timings)
{
  for (guint i = 0; slowest && i < timings->len; i++) {
    const StepTiming *t = &g_array_index(timings, StepTiming, i);
    if (t->time_limit_s <= 0)
      continue; /* built-in steps have no limit */
    slowest->worst_share = MAX(slowest->worst_share, t->wall_s / t->time_limit_s);
    if (t->wall_s <= slowest->wall_s)
      continue;
    slowest->wall_s = t->wall_s;
    slowest->limit_s = t->time_limit_s;
    g_strlcpy(slowest->step, t->name, sizeof slowest->step);
    g_strlcpy(slowest->serial, serial, sizeof slowest->serial);
  }
}

/* Keeps a copy of every measurement of the run in progress (for the spread table). */
static void keep_measurement(const EngineEvent *event, gpointer user_data)
{
  if (event->kind == EVENT_MEASUREMENT && event->measurement)
    g_ptr_array_add(user_data, measurement_copy(event->measurement));
}

/* Adds the run's measurements to the spread table when the board was good and passed. */
static void add_spread(SpreadTable *spread, GPtrArray *measurements, gboolean good_pass)
{
  for (guint i = 0; spread && good_pass && i < measurements->len; i++)
    spread_table_add(spread, g_ptr_array_index(measurements, i));
  g_ptr_array_set_size(measurements, 0);
}

gboolean validate_run(const Catalog *catalog, const ValidateRequest *request, GPtrArray **rows,
                      ValidateProgressFunc progress, gpointer user_data, GError **error)
{
  g_autoptr(GPtrArray) kinds = chosen_kinds(request, error);
  if (!kinds)
    return FALSE;
  /* One twin for all boards: started here if needed, found running by each run. */
  g_autoptr(Fixture) fixture = fixture_load(request->fixture_path, error);
  if (!fixture)
    return FALSE;
  if (!fixture_is_simulated(fixture)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                "%s has no [twin] group: validation injects defects, so it runs on the twin",
                request->fixture_path);
    return FALSE;
  }
  /* Verdicts, not waiting, are under test: the twin's clock runs virtual for every run. */
  if (!fixture_connect(fixture, error) || !fixture_set_virtual_clock(fixture, TRUE, error))
    return FALSE;
  ScratchLine line;
  if (!scratch_line_open(&line, catalog, request->db_path, error))
    return FALSE;
  g_autoptr(Engine) engine = engine_new(catalog, line.store);
  g_autoptr(GPtrArray) measurements =
      g_ptr_array_new_with_free_func((GDestroyNotify)measurement_free);
  if (request->spread)
    engine_set_event_handler(engine, keep_measurement, measurements);

  g_autoptr(GPtrArray) table = g_ptr_array_new_with_free_func((GDestroyNotify)validate_row_free);
  g_ptr_array_add(table, row_new("good", NULL));
  for (guint k = 0; k < kinds->len; k++) {
    const FaultKind *kind = g_ptr_array_index(kinds, k);
    g_ptr_array_add(table, row_new(kind->name, kind->step));
  }

  g_autoptr(GRand) rand = g_rand_new_with_seed(request->seed);
  guint next_kind = 0;
  gboolean ok = TRUE;
  for (int i = 0; i < request->boards && ok; i++) {
    const ModelInfo *model = catalog_nth(catalog, (guint)i % catalog_count(catalog));
    DrawnOrder order = draw_order(rand, model, request->default_orders);
    int cells = order.cells;
    /* The seed picks the date code, the index the unit: other seeds, other boards. */
    g_autofree char *serial =
        g_strdup_printf("%s-26%02u-%05d", model->name, 1 + request->seed % 52, i % 100000);
    /* Defective or good. Defect kinds take turns, so a small run covers them all; only
     * defects the board can have (the heater needs it in the order) are given to it. */
    const FaultKind *kind = NULL;
    if (kinds->len > 0 && g_rand_double(rand) >= request->good_share) {
      for (guint tries = 0; tries < kinds->len && !kind; tries++) {
        const FaultKind *candidate = g_ptr_array_index(kinds, next_kind++ % kinds->len);
        if (!candidate->heater_only || order.heater)
          kind = candidate;
      }
    }
    g_autofree char *fault = kind ? (kind->draw ? kind->draw(rand, cells)
                                                : g_strdup(kind->name))
                                  : g_strdup("");
    if (!fixture_insert_board(fixture, serial, fault, error)) {
      ok = FALSE;
      break;
    }
    g_autofree char *cells_text = g_strdup_printf("%d", order.cells);
    RunRequest run = {.fixture = fixture, .serial = serial,
                      .operator_name = "validation",
                      .trusted_keys_dir = line.trusted_keys_dir,
                      .chemistry = chemistry_key(order.chemistry), .cells = cells_text,
                      .heater = order.heater ? "yes" : "no"};
    count_order(request->orders, model, order);
    RunResult result;
    if (!engine_run(engine, &run, &result, error)) {
      ok = FALSE;
      break;
    }
    ValidateRow *row = NULL;
    for (guint r = 0; r < table->len; r++) {
      ValidateRow *candidate = g_ptr_array_index(table, r);
      if (g_str_equal(candidate->fault, kind ? kind->name : "good"))
        row = candidate;
    }
    row->boards++;
    add_spread(request->spread, measurements, !kind && result.outcome == OUTCOME_PASS);
    if (!kind)
      note_slowest(request->slowest, serial, result.timings);
    if (result.outcome == OUTCOME_ERROR || result.outcome == OUTCOME_ABORTED)
      row->errors++;
    else if (!kind)
      result.outcome == OUTCOME_PASS ? row->caught++ : row->elsewhere++;
    else if (result.outcome == OUTCOME_PASS)
      row->escaped++;
    else if (g_strcmp0(result.first_failure, kind->step) == 0 ||
             (kind->earlier_step && g_strcmp0(result.first_failure, kind->earlier_step) == 0))
      row->caught++;
    else
      row->elsewhere++;
    g_autofree char *order_text = g_strdup_printf("%s %dS%s", chemistry_key(order.chemistry),
                                                  order.cells, order.heater ? " heater" : "");
    if (progress)
      progress(i + 1, serial, order_text, fault, outcome_name(result.outcome), result.first_failure,
               user_data);
    run_result_clear(&result);
  }
  g_clear_pointer(&engine, engine_free);
  scratch_line_close(&line);
  if (!ok)
    return FALSE;
  *rows = g_steal_pointer(&table);
  return TRUE;
}
