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
 * breaks, and how its parameters are drawn. A defect with a size (mV, %, µs, µA, factor) is
 * written by `at` for any size, and validation draws its size between low and high, beyond
 * what calibration can correct, so that a board with it is truly defective; the others are
 * drawn whole by `draw`. */
typedef struct {
  const char *name;
  const char *step;
  const char *earlier_step;     /* a step before it that may catch it first, or NULL */
  gboolean heater_only;         /* only on models with the heater option */
  char *(*draw)(GRand *rand, int cells);
  char *(*at)(GRand *rand, int cells, double size);
  double low, high;             /* the sizes validation draws, in the defect's unit */
} FaultKind;

static double random_sign(GRand *rand, double magnitude)
{
  return g_rand_boolean(rand) ? magnitude : -magnitude;
}

static int random_cell(GRand *rand, int cells)
{
  return g_rand_int_range(rand, 1, cells + 1);
}

static char *cell_offset_at(GRand *rand, int cells, double mv)
{
  int cell = random_cell(rand, cells);
  return g_strdup_printf("cell-offset:%d:%.3f", cell, random_sign(rand, mv));
}

static char *vref_at(GRand *rand, int cells, double pct)
{
  return g_strdup_printf("vref:%.3f", random_sign(rand, pct));
}

static char *draw_cell(GRand *rand, int cells, const char *name)
{
  return g_strdup_printf("%s:%d", name, random_cell(rand, cells));
}

static char *draw_open_sense(GRand *rand, int cells) { return draw_cell(rand, cells, "open-sense"); }
static char *draw_balance_dead(GRand *rand, int cells) { return draw_cell(rand, cells, "balance-dead"); }

static char *draw_sense_swap(GRand *rand, int cells)
{
  /* The first cell of a neighbouring pair within the order's cells. */
  return g_strdup_printf("sense-swap:%d", g_rand_int_range(rand, 1, MAX(cells, 2)));
}

static char *noisy_channel_at(GRand *rand, int cells, double mv_rms)
{
  /* Switching noise on an input without its filter capacitor. */
  return g_strdup_printf("noisy-channel:%d:%.3f", random_cell(rand, cells), mv_rms);
}

static char *draw_ntc_open(GRand *rand, int cells)
{
  return g_strdup_printf("ntc-open:%d", g_rand_int_range(rand, 1, 4));
}

static char *scp_slow_at(GRand *rand, int cells, double us)
{
  return g_strdup_printf("scp-slow:%.1f", us);
}

static char *shunt_at(GRand *rand, int cells, double pct)
{
  return g_strdup_printf("shunt:%.3f", random_sign(rand, pct));
}

static char *current_offset_at(GRand *rand, int cells, double ma)
{
  /* An amplifier offset of either sign. */
  return g_strdup_printf("current-offset:%.2f", random_sign(rand, ma));
}

static char *path_res_at(GRand *rand, int cells, double factor)
{
  return g_strdup_printf("path-res:%.4f", factor);
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

static char *standby_current_at(GRand *rand, int cells, double ua)
{
  return g_strdup_printf("standby-current:%.1f", ua);
}

static char *sleep_current_at(GRand *rand, int cells, double ua)
{
  return g_strdup_printf("sleep-current:%.2f", ua);
}

static char *leaky_input_at(GRand *rand, int cells, double ua)
{
  /* On any cell of the order. */
  return g_strdup_printf("leaky-input:%d:%.3f", random_cell(rand, cells), ua);
}

/* The sizes validation draws: channel offsets of 8..30 mV, reference errors of 3.5..6 %,
 * several mV rms of switching noise, cut-offs 150..1000 µs late, shunts 25..45 % off,
 * amplifier offsets of 150..600 mA, path resistances 1.5..3 times the datasheet's; supply
 * currents more than the limit's margin over the lowest good board can hide (standby 6.5 -
 * 4.25 mA, sleep 90 - 38 µA on a 17S board), input leakage more than the leakage limit's
 * margin over the lowest good input (1.5 - 0.26 µA, with the reading's ±0.2 µA). */
static const FaultKind fault_kinds[] = {
  {"cell-offset", "cell-voltage-accuracy", NULL, FALSE, NULL, cell_offset_at, 8.0, 30.0},
  {"vref", "voltage-calibration", NULL, FALSE, NULL, vref_at, 3.5, 6.0},
  {"open-sense", "cell-connections", NULL, FALSE, draw_open_sense, NULL, 0, 0},
  {"sense-swap", "cell-voltage-accuracy", NULL, FALSE, draw_sense_swap, NULL, 0, 0},
  /* A channel noisier than the calibration's own readings can take is caught there first. */
  {"noisy-channel", "cell-voltage-accuracy", "voltage-calibration", FALSE, NULL,
   noisy_channel_at, 4.0, 15.0},
  {"chg-fet-short", "overcharge", NULL, FALSE, NULL, NULL, 0, 0},
  {"dsg-fet-open", "current-calibration", NULL, FALSE, NULL, NULL, 0, 0},
  {"ocp-dead", "charge-overcurrent", NULL, FALSE, NULL, NULL, 0, 0},
  {"scp-slow", "short-circuit", NULL, FALSE, NULL, scp_slow_at, 150, 1000},
  {"scp-dead", "short-circuit", NULL, FALSE, NULL, NULL, 0, 0},
  {"ntc-open", "temperature", NULL, FALSE, draw_ntc_open, NULL, 0, 0},
  {"balance-dead", "balance", NULL, FALSE, draw_balance_dead, NULL, 0, 0},
  {"heater-open", "heater", NULL, TRUE, NULL, NULL, 0, 0},
  {"heater-stuck-on", "heater", NULL, TRUE, NULL, NULL, 0, 0},
  {"shunt", "current-calibration", NULL, FALSE, NULL, shunt_at, 25.0, 45.0},
  {"current-offset", "current-calibration", NULL, FALSE, NULL, current_offset_at, 150, 600},
  {"flash-bad", "flash", NULL, FALSE, draw_flash_bad, NULL, 0, 0},
  {"rs485-dead", "identify", NULL, FALSE, NULL, NULL, 0, 0},
  {"hw-rev", "identify", NULL, FALSE, draw_hw_rev, NULL, 0, 0},
  {"path-res", "path-resistance", NULL, FALSE, NULL, path_res_at, 1.5, 3.0},
  {"mos-otp-dead", "mos-overtemperature", NULL, FALSE, NULL, NULL, 0, 0},
  {"standby-current", "supply-current", NULL, FALSE, NULL, standby_current_at, 2500, 10000},
  {"eeprom-dead", "power-cycle", NULL, FALSE, NULL, NULL, 0, 0},
  {"sleep-current", "sleep-current", NULL, FALSE, NULL, sleep_current_at, 60, 1000},
  {"leaky-input", "sleep-current", NULL, FALSE, NULL, leaky_input_at, 1.7, 50.0},
};

/* The defect text of one board: at the request's size when it has one, else drawn. */
static char *fault_text(const FaultKind *kind, GRand *rand, int cells, double size)
{
  if (kind->at)
    return kind->at(rand, cells, size > 0 ? size
                                          : g_rand_double_range(rand, kind->low, kind->high));
  return kind->draw ? kind->draw(rand, cells) : g_strdup(kind->name);
}

gboolean validate_fault_has_size(const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS(fault_kinds); i++)
    if (g_str_equal(fault_kinds[i].name, name))
      return fault_kinds[i].at != NULL;
  return FALSE;
}

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
    if (!request->faults || g_strv_contains(request->faults, fault_kinds[i].name)) {
      if (request->size > 0 && !fault_kinds[i].at) {
        g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                    "defect '%s' has no size", fault_kinds[i].name);
        g_ptr_array_unref(kinds);
        return NULL;
      }
      g_ptr_array_add(kinds, (gpointer)&fault_kinds[i]);
    }
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
    g_autofree char *fault = kind ? fault_text(kind, rand, cells, request->size) : g_strdup("");
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
