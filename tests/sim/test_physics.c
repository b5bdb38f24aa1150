/* Tests of the fixture's circuit in the twin (sim_physics.h) through the instruments, with the
 * twin in-process on its virtual clock: Ohm's law through the board's main path (load CC and
 * the DMM across the path), the charger's CV/CC, a MOSFET that does not conduct, the
 * short-circuit protection timed by the load's digitizer and by the fixture's short switch,
 * the heater through its load bank (no 3 A limiter), NTC resistances as the board's
 * temperatures, a short on the battery-emulator fixture fed by its energy store, the balancer's
 * currents at the cell simulator with its current limit, and determinism: the same script
 * gives the same bytes in two twins, in-process and as two fixture-sim processes; the
 * short-circuit module (its peak, its energy and pulse limits) and the digitizer's trace of the
 * board's cut-off; an instrument that hangs; the board's own supply current in its B+ lead. */
#include "tests/cunit_main.h"
#include "tests/sim/sim_harness.h"
#include "fixtures/sim/sim_board_map.h"
#include "fixtures/sim/sim_short.h"
#include "fixtures/sim/sim_twin.h"
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#define SERIAL "B2A24S15P-2648-00017"     /* 24 cells, 0.47 mΩ, 2 A balancer, heater */
#define SMALL_SERIAL "B2A8S20P-2648-00005" /* 8 cells, heater */
#define CELL_V 3.3

typedef struct {
  SimTwin *twin;
  char *dir;                    /* private pty directory */
} Bench;

/* A twin on its virtual clock, built with `path`, with the board `serial` (NULL: none) and
 * `faults` inserted. */
static Bench *bench_new_built(const char *serial, const char *faults, SimPowerPath path)
{
  Bench *bench = g_new0(Bench, 1);
  bench->dir = g_dir_make_tmp("sim-physics-XXXXXX", NULL);
  SimTwinOptions options = {.host = "127.0.0.1", .pty_dir = bench->dir, .rs485_processing_ms = 2,
                            .power_path = path};
  g_autoptr(GError) error = NULL;
  bench->twin = sim_twin_new(&options, &error);
  if (!bench->twin)
    fprintf(stderr, "\n  twin did not start: %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bench->twin);
  GString *reply = g_string_new(NULL);
  sim_scpi_execute_line(sim_twin_instrument(bench->twin, "control"), "SIM:CLOCK:MODE VIRTUAL",
                        strlen("SIM:CLOCK:MODE VIRTUAL"), reply);
  g_string_free(reply, TRUE);
  if (serial && !sim_twin_insert_board(bench->twin, serial, faults, &error))
    fprintf(stderr, "\n  board %s not inserted: %s\n", serial, error->message);
  return bench;
}

/* The same on the stack-as-pack fixture. */
static Bench *bench_new(const char *serial, const char *faults)
{
  return bench_new_built(serial, faults, SIM_POWER_PATH_CELLS);
}

static void bench_free(Bench *bench)
{
  sim_twin_free(bench->twin);
  g_rmdir(bench->dir);
  g_free(bench->dir);
  g_free(bench);
}

/* Executes a line on an instrument; returns the reply without its LF ("" when none). */
static char *run(Bench *bench, const char *role, const char *line)
{
  GString *reply = g_string_new(NULL);
  sim_scpi_execute_line(sim_twin_instrument(bench->twin, role), line, strlen(line), reply);
  if (reply->len > 0)
    g_string_truncate(reply, reply->len - 1);
  return g_string_free(reply, FALSE);
}

/* Executes setting commands and asserts that the instrument queued no error. */
static void cmd(Bench *bench, const char *role, const char *line)
{
  g_free(run(bench, role, line));
  g_autofree char *error = run(bench, role, "SYST:ERR?");
  if (strcmp(error, "0,\"No error\"") != 0)
    fprintf(stderr, "\n  %s: '%s' gave %s\n", role, line, error);
  CU_ASSERT_STRING_EQUAL(error, "0,\"No error\"");
}

/* A numeric answer. */
static double num(Bench *bench, const char *role, const char *query)
{
  g_autofree char *answer = run(bench, role, query);
  char *end = NULL;
  double value = g_ascii_strtod(answer, &end);
  if (end == answer)
    fprintf(stderr, "\n  %s: '%s' answered '%s'\n", role, query, answer);
  CU_ASSERT_TRUE(end != answer);
  return value;
}

/* The present solution of the circuit. */
static const SimFixtureState *state_of(Bench *bench)
{
  sim_twin_update(bench->twin);
  return sim_physics_state(sim_twin_physics(bench->twin));
}

/* Sets `count` cells to volts and switches them on. */
static void cells_on(Bench *bench, int count, double volts)
{
  g_autofree char *line = g_strdup_printf("SOUR:VOLT %.4f,(@1:%d);OUTP:ONOFF 1,(@1:%d)", volts,
                                          count, count);
  cmd(bench, "cellsim", line);
}

/* Writes a UINT32 setting of the board in the fixture. */
static void write_setting(Bench *bench, guint16 reg, guint32 value)
{
  guint8 bytes[4] = {(guint8)(value >> 24), (guint8)(value >> 16), (guint8)(value >> 8),
                     (guint8)value};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_TRUE(sim_board_write_settings(sim_twin_board(bench->twin), reg - SIM_JK_REG_SETTINGS,
                                          bytes, sizeof bytes, &error));
}

/* The alarm word in SIM:TRUTH:STATE?. */
static guint32 truth_alarms(Bench *bench)
{
  g_autofree char *state = run(bench, "control", "SIM:TRUTH:STATE?");
  const char *at = strstr(state, "alarms=0x");
  CU_ASSERT_PTR_NOT_NULL_FATAL(at);
  return (guint32)g_ascii_strtoull(at + strlen("alarms=0x"), NULL, 16);
}

/* A key=value of SIM:TRUTH:STATE? as text ("" when absent). */
static char *truth_field(Bench *bench, const char *key)
{
  g_autofree char *state = run(bench, "control", "SIM:TRUTH:STATE?");
  g_auto(GStrv) pairs = g_strsplit(state, ",", -1);
  for (guint i = 0; pairs[i]; i++)
    if (g_str_has_prefix(pairs[i], key) && pairs[i][strlen(key)] == '=')
      return g_strdup(pairs[i] + strlen(key) + 1);
  return g_strdup("");
}

/* NTC resistance at `celsius` (10 kΩ, B 3435 K). */
static double ntc_ohm(double celsius)
{
  return 10000.0 * exp(3435.0 * (1.0 / (celsius + 273.15) - 1.0 / 298.15));
}

static void test_load_ohms_law(void)
{
  Bench *bench = bench_new(SERIAL, NULL);
  SimBoard *board = sim_twin_board(bench->twin);
  double ohm = sim_board_path_resistance_ohm(board);
  CU_ASSERT_DOUBLE_EQUAL(ohm, 0.47e-3, 0.05 * 0.47e-3);
  cells_on(bench, 24, CELL_V);
  cmd(bench, "switch", "ROUT:CLOS (@101)");
  cmd(bench, "eload", "FUNC CURR;CURR 10;INP ON");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.5");

  /* The load's CC level within its set accuracy, through the path by Ohm's law. */
  double amps = num(bench, "control", "SIM:TRUTH:CURR?");
  CU_ASSERT_DOUBLE_EQUAL(amps, -10.0, 0.01);
  const SimFixtureState *state = state_of(bench);
  CU_ASSERT_DOUBLE_EQUAL(state->path_drop_v, -state->path_current_a * ohm, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(state->terminal_v, state->pack_v - state->path_drop_v, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(state->pack_v, 24 * CELL_V, 0.012);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "control", "SIM:TRUTH:PACK?"), state->pack_v, 1e-6);

  /* The instruments see it within their accuracy. */
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "eload", "MEAS:CURR?"), 10.0, 0.02);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "eload", "MEAS:VOLT?"), state->terminal_v, 0.03);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "cellsim", "MEAS1:CURR?"), 10000.0, 15.0);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "cellsim", "MEAS24:CURR?"), 10000.0, 15.0);

  /* The DMM across the path (relay 105) measures I×R to a few µV: the path-resistance test. */
  cmd(bench, "switch", "ROUT:CLOS (@105)");
  double drop = num(bench, "dmm", "MEAS:VOLT:DC?");
  CU_ASSERT_DOUBLE_EQUAL(drop, state_of(bench)->path_drop_v, 1e-5);
  CU_ASSERT_DOUBLE_EQUAL(drop / num(bench, "eload", "MEAS:CURR?"), ohm, 0.01 * ohm);
  /* Relay 106 instead: the pack. */
  cmd(bench, "switch", "ROUT:OPEN (@105);ROUT:CLOS (@106)");
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "dmm", "MEAS:VOLT:DC?"), state_of(bench)->pack_v, 0.002);

  /* Input off: nothing flows. */
  cmd(bench, "eload", "INP OFF");
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "control", "SIM:TRUTH:CURR?"), 0.0, 1e-4);
  bench_free(bench);
}

/* ---- the buildable fixture: a battery emulator on B+/B- carries the pack current ---- */

/* An order of fewer cells than the board's cell count setting: the stack on B+/B- is the
 * channels the fixture switched on (those above are open taps), so the pack is there before
 * the sequence has written the order's cell count; written, the pack carries current. */
static void test_stack_is_the_channels_on(void)
{
  Bench *bench = bench_new(SERIAL, NULL);                /* factory setting: 24 cells */
  cells_on(bench, 8, CELL_V);
  CU_ASSERT_EQUAL(sim_physics_stack_cells(sim_twin_physics(bench->twin)), 8);
  CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->pack_v, 8 * CELL_V, 0.012);
  write_setting(bench, SIM_JK_REG_CELL_COUNT, 8);
  cmd(bench, "switch", "ROUT:CLOS (@101)");
  cmd(bench, "eload", "FUNC CURR;CURR 10;INP ON");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.5");
  CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->path_current_a, -10.0, 0.01);
  /* A channel switched off inside the stack opens it. */
  cmd(bench, "cellsim", "OUTP:ONOFF 0,(@4)");
  CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->path_current_a, 0.0, 0.01);
  bench_free(bench);
}

static void test_battery_carries_pack_current(void)
{
  Bench *bench = bench_new_built(SERIAL, NULL, SIM_POWER_PATH_BATTERY);
  cells_on(bench, 24, CELL_V);
  cmd(bench, "cellsim", "SOUR:OUTCURR 0.5,(@1:24)");
  /* The emulator at the sum of the cells it reads back, limits ±20 A. */
  g_autofree char *volts = run(bench, "cellsim", "MEAS:VOLT? (@1:24)");
  g_auto(GStrv) each = g_strsplit(volts, ",", -1);
  double sum = 0;
  for (guint i = 0; each[i]; i++)
    sum += g_ascii_strtod(each[i], NULL);
  g_autofree char *setup = g_strdup_printf("VOLT %.4f;CURR:LIM 20;CURR:LIM:NEG -20;OUTP ON", sum);
  cmd(bench, "battery", setup);
  cmd(bench, "switch", "ROUT:CLOS (@101)");
  cmd(bench, "eload", "FUNC CURR;CURR 10;INP ON");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.5");

  /* 10 A out of the emulator; the channels carry only the small gap current, in CV. */
  const SimFixtureState *state = state_of(bench);
  CU_ASSERT_DOUBLE_EQUAL(state->path_current_a, -10.0, 0.01);
  CU_ASSERT_DOUBLE_EQUAL(state->battery_current_a, 10.0, 0.5);
  CU_ASSERT_TRUE(fabs(state->stack_current_a) < 0.5);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "battery", "MEAS:CURR?"), 10.0, 0.6);
  CU_ASSERT_TRUE(fabs(num(bench, "cellsim", "MEAS1:CURR?")) < 500.0);
  g_autofree char *modes = run(bench, "cellsim", "OUTP:MODE? (@1:3)");
  CU_ASSERT_STRING_EQUAL(modes, "CV,CV,CV");
  CU_ASSERT_EQUAL(num(bench, "battery", "STAT:OPER:COND?"), 1 << 8);     /* CV */
  CU_ASSERT_EQUAL(num(bench, "battery", "STAT:QUES:COND?"), 0);
  /* The cells the board reads stay where the channels are set. */
  CU_ASSERT_DOUBLE_EQUAL(sim_cellsim_output_v(sim_twin_cellsim(bench->twin), 5), CELL_V, 0.003);

  /* Charging 5 A: the emulator sinks it (regenerative). */
  cmd(bench, "eload", "INP OFF");
  cmd(bench, "switch", "ROUT:CLOS (@102)");
  cmd(bench, "charger", ":SOUR:VOLT 85;:SOUR:CURR 5;:OUTP ON");
  CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->path_current_a, 5.0, 0.01);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "battery", "MEAS:CURR?"), -5.0, 0.6);

  /* A sink limit below the charge current: the emulator goes CC-, says so, the pack rises
   * and the cell channels take the rest up to their limit (CC, voltage up). */
  cmd(bench, "battery", "CURR:LIM:NEG -4");
  CU_ASSERT_EQUAL(num(bench, "battery", "STAT:OPER:COND?"), 1 << 11);
  CU_ASSERT_EQUAL(num(bench, "battery", "STAT:QUES:COND?"), 2);
  /* The stack's series current is held by the channel at its limit; the others sit below
   * theirs by what the board's input leaks across their cell (a few µA at most). */
  g_autofree char *cc = run(bench, "cellsim", "OUTP:MODE? (@1:24)");
  CU_ASSERT_PTR_NOT_NULL(strstr(cc, "CC"));
  for (int i = 0; i < 24; i++)
    CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->cell_current_a[i], -0.5, 5e-6);
  CU_ASSERT_EQUAL(num(bench, "cellsim", "STAT:QUES:COND?"), 2);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "cellsim", "MEAS2:CURR?"), -500.0, 2.0);
  CU_ASSERT_TRUE(state_of(bench)->pack_v > sum + 0.01);
  /* Ratings: 500 V, 90 A. */
  g_free(run(bench, "battery", "VOLT 600"));
  g_autofree char *error = run(bench, "battery", "SYST:ERR?");
  CU_ASSERT_TRUE(g_str_has_prefix(error, "-222"));
  bench_free(bench);
}

static void test_channels_limit_without_battery(void)
{
  /* The emulator off: the load's current can only come through the channels, which hold
   * their limit; the pack sags and the cell simulator reports CC. 72 Ω would take 1.1 A
   * from the 79.2 V pack; the channels give 1 A at 72 V (3.0 V a cell, above UVP). */
  Bench *bench = bench_new_built(SERIAL, NULL, SIM_POWER_PATH_BATTERY);
  cells_on(bench, 24, CELL_V);
  cmd(bench, "cellsim", "SOUR:OUTCURR 1,(@1:24)");
  cmd(bench, "switch", "ROUT:CLOS (@101)");
  cmd(bench, "eload", "FUNC RES;RES 72;INP ON");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.1");
  const SimFixtureState *state = state_of(bench);
  CU_ASSERT_TRUE(fabs(state->path_current_a) <= 1.0 + 1e-6);
  CU_ASSERT_TRUE(state->pack_v < 24 * CELL_V - 1.0);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "cellsim", "MEAS7:CURR?"), 1000.0, 2.0);
  g_autofree char *cc = run(bench, "cellsim", "OUTP7:MODE?");
  CU_ASSERT_STRING_EQUAL(cc, "CC");
  CU_ASSERT_TRUE(sim_cellsim_output_v(sim_twin_cellsim(bench->twin), 7) < CELL_V - 0.05);
  /* A small load within the limit: CV, the cells where they are set. */
  cmd(bench, "eload", "FUNC CURR;CURR 0.3");
  g_autofree char *cv = run(bench, "cellsim", "OUTP7:MODE?");
  CU_ASSERT_STRING_EQUAL(cv, "CV");
  CU_ASSERT_DOUBLE_EQUAL(sim_cellsim_output_v(sim_twin_cellsim(bench->twin), 7), CELL_V, 0.01);
  double ma = num(bench, "cellsim", "MEAS7:CURR?");
  if (fabs(ma - 300.0) > 6.0)   /* the load's CC set accuracy */
    fprintf(stderr, "\n  channel 7 at %.1f mA\n", ma);
  CU_ASSERT_DOUBLE_EQUAL(ma, 300.0, 6.0);
  bench_free(bench);
}

static void test_battery_short_from_store(void)
{
  /* A short on the buildable fixture: the emulator stops at its source limit and the
   * short-circuit energy store beside it delivers the peak, far above the board's SCP
   * threshold (3 x 150 A); once the board cuts off, the store rests and the emulator is back
   * in CV. */
  Bench *bench = bench_new_built(SERIAL, NULL, SIM_POWER_PATH_BATTERY);
  cells_on(bench, 24, CELL_V);
  g_autofree char *setup = g_strdup_printf("VOLT %.4f;CURR:LIM 2;CURR:LIM:NEG -2;OUTP ON",
                                           24 * CELL_V);
  cmd(bench, "battery", setup);
  cmd(bench, "switch", "ROUT:CLOS (@101)");
  cmd(bench, "eload", "FUNC CURR;CURR 0;INP ON");
  CU_ASSERT_TRUE(fabs(state_of(bench)->store_current_a) < 1e-9);
  cmd(bench, "eload", "INP:SHOR ON");
  const SimFixtureState *state = state_of(bench);
  CU_ASSERT_TRUE(state->load_current_a > 1000.0);
  CU_ASSERT_TRUE(state->store_current_a > 1000.0);
  CU_ASSERT_DOUBLE_EQUAL(state->battery_current_a, 2.0, 1e-9);
  CU_ASSERT_EQUAL(num(bench, "battery", "STAT:QUES:COND?"), 2);
  cmd(bench, "control", "SIM:CLOCK:ADV 0.01");
  state = state_of(bench);
  CU_ASSERT_TRUE(truth_alarms(bench) & SIM_JK_ALARM_DSG_SCP);
  CU_ASSERT_TRUE(fabs(state->load_current_a) < 0.01);
  CU_ASSERT_TRUE(fabs(state->store_current_a) < 1e-9);
  CU_ASSERT_EQUAL(num(bench, "battery", "STAT:QUES:COND?"), 0);
  bench_free(bench);
}

static void test_charger_cv_cc(void)
{
  Bench *bench = bench_new(SERIAL, NULL);
  SimBoard *board = sim_twin_board(bench->twin);
  double ohm = sim_board_path_resistance_ohm(board);
  cells_on(bench, 24, CELL_V);
  cmd(bench, "switch", "ROUT:CLOS (@102)");
  cmd(bench, "charger", ":SOUR:VOLT 85;:SOUR:CURR 5;:OUTP ON");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.5");

  /* Set well above the pack: the current limit holds the charge current. */
  g_autofree char *mode = run(bench, "charger", ":OUTP:MODE?");
  CU_ASSERT_STRING_EQUAL(mode, "CC");
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "control", "SIM:TRUTH:CURR?"), 5.0, 0.005);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "charger", ":MEAS:CURR?"), 5.0, 0.01);
  const SimFixtureState *state = state_of(bench);
  CU_ASSERT_DOUBLE_EQUAL(state->terminal_v, state->pack_v + state->path_current_a * ohm, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "charger", ":MEAS:VOLT?"), state->terminal_v, 0.03);
  /* The stack takes the charge current less what the board draws for its own supply. */
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "cellsim", "MEAS3:CURR?"),
                         -5000.0 + 1000.0 * state->board_supply_a, 10.0);

  /* Without the board the charger drives the load alone: CV into 100 Ω, CC into 10 Ω. */
  sim_twin_remove_board(bench->twin);
  cmd(bench, "switch", "ROUT:CLOS (@101)");
  cmd(bench, "eload", "FUNC RES;RES 100;INP ON");
  g_autofree char *cv = run(bench, "charger", ":OUTP:MODE?");
  CU_ASSERT_STRING_EQUAL(cv, "CV");
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "charger", ":MEAS:VOLT?"), 85.0, 0.05);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "eload", "MEAS:CURR?"), 0.85, 0.01);
  cmd(bench, "eload", "RES 10");
  g_autofree char *cc = run(bench, "charger", ":OUTP:MODE?");
  CU_ASSERT_STRING_EQUAL(cc, "CC");
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "charger", ":MEAS:VOLT?"), 50.0, 0.2);
  bench_free(bench);
}

static void test_mosfet_off_blocks(void)
{
  Bench *bench = bench_new(SERIAL, "dsg-fet-open");
  SimBoard *board = sim_twin_board(bench->twin);
  cells_on(bench, 24, CELL_V);
  cmd(bench, "control", "SIM:CLOCK:ADV 0.1");
  CU_ASSERT_FALSE(sim_board_conducts_discharge(board));
  CU_ASSERT_TRUE(sim_board_conducts_charge(board));

  /* Discharge: the load finds no source; its input collapses. */
  cmd(bench, "switch", "ROUT:CLOS (@101)");
  cmd(bench, "eload", "FUNC CURR;CURR 10;INP ON");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.1");
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "control", "SIM:TRUTH:CURR?"), 0.0, 1e-3);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "eload", "MEAS:CURR?"), 0.0, 0.02);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "eload", "MEAS:VOLT?"), 0.0, 0.05);

  /* Charge still flows (the charge MOSFET is on). */
  cmd(bench, "eload", "INP OFF");
  cmd(bench, "switch", "ROUT:CLOS (@102)");
  cmd(bench, "charger", ":SOUR:VOLT 85;:SOUR:CURR 3;:OUTP ON");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.1");
  if (sim_board_conducts_charge(board))
    CU_ASSERT_DOUBLE_EQUAL(num(bench, "control", "SIM:TRUTH:CURR?"), 3.0, 0.005);
  bench_free(bench);
}

/* Counts the samples of a FETC:ARR:CURR? answer above `amps`; *count the samples. */
static guint samples_above(const char *answer, double amps, guint *count)
{
  g_auto(GStrv) values = g_strsplit(answer, ",", -1);
  guint above = 0;
  *count = g_strv_length(values);
  for (guint i = 0; values[i]; i++)
    above += g_ascii_strtod(values[i], NULL) > amps ? 1 : 0;
  return above;
}

static void test_short_timed_by_digitizer(void)
{
  Bench *bench = bench_new(SERIAL, NULL);
  SimBoard *board = sim_twin_board(bench->twin);
  cells_on(bench, 24, CELL_V);
  write_setting(bench, SIM_JK_REG_SCP_DELAY_US, 300);
  cmd(bench, "switch", "ROUT:CLOS (@101)");
  cmd(bench, "eload", "SENS:SWE:POIN 500;SENS:SWE:TINT 2e-6;INIT:ACQ");
  cmd(bench, "eload", "FUNC CURR;CURR 0;INP ON;INP:SHOR ON");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.01");

  /* The load's short draws its rated current, far above the trip level, for the board's
   * comparator latency plus 300 µs on its timer plus at most one timer tick. */
  CU_ASSERT_TRUE(SIM_PHYSICS_LOAD_MAX_A > sim_board_scp_threshold_a(board));
  const SimBoardConstants *k = sim_board_constants(board);
  double earliest_us = 1e6 * k->scp_latency_s + 300.0 * k->scp_timer_ratio;
  double latest_us = earliest_us + 1e6 * SIM_BOARD_SCP_JITTER_S;
  g_autofree char *answer = run(bench, "eload", "FETC:ARR:CURR?");
  guint count = 0;
  guint above = samples_above(answer, 100.0, &count);
  CU_ASSERT_EQUAL(count, 500);
  if (above < earliest_us / 2 - 1 || above > latest_us / 2 + 1)
    fprintf(stderr, "\n  %u samples of 2 us above 100 A, expected %.0f..%.0f\n", above,
            earliest_us / 2, latest_us / 2);
  CU_ASSERT_TRUE(above >= earliest_us / 2 - 1 && above <= latest_us / 2 + 1);
  CU_ASSERT_TRUE(above > 300 / 2 + 5);   /* the latency shows: later than the setting */
  g_auto(GStrv) values = g_strsplit(answer, ",", -1);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(values[0], NULL), SIM_PHYSICS_LOAD_MAX_A, 5.0);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(values[499], NULL), 0.0, 0.1);
  g_autofree char *error = run(bench, "eload", "SYST:ERR?");
  CU_ASSERT_STRING_EQUAL(error, "0,\"No error\"");
  CU_ASSERT_TRUE(truth_alarms(bench) & SIM_JK_ALARM_DSG_SCP);
  g_autofree char *dsg = truth_field(bench, "dsg_mos");
  CU_ASSERT_STRING_EQUAL(dsg, "0");
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "control", "SIM:TRUTH:CURR?"), 0.0, 1e-3);

  /* A fetch before the acquisition has filled: NaN for the rest, and -230. */
  cmd(bench, "eload", "INP:SHOR OFF;SENS:SWE:POIN 10;INIT:ACQ;TRIG:ACQ");
  g_autofree char *early = run(bench, "eload", "FETC:ARR:CURR?");
  CU_ASSERT_TRUE(g_str_has_prefix(early, "9.910000E+37,"));
  g_autofree char *stale = run(bench, "eload", "SYST:ERR?");
  CU_ASSERT_TRUE(g_str_has_prefix(stale, "-230,"));
  bench_free(bench);
}

static void test_short_switch_trips(void)
{
  Bench *bench = bench_new(SERIAL, NULL);
  cells_on(bench, 24, CELL_V);
  write_setting(bench, SIM_JK_REG_SCP_DELAY_US, 300);
  cmd(bench, "control", "SIM:CLOCK:ADV 0.1");
  CU_ASSERT_EQUAL(truth_alarms(bench) & SIM_JK_ALARM_DSG_SCP, 0);
  const SimBoardConstants *k = sim_board_constants(sim_twin_board(bench->twin));
  double earliest_s = k->scp_latency_s + 300e-6 * k->scp_timer_ratio;
  cmd(bench, "switch", "ROUT:CLOS (@103)");
  g_autofree char *before = g_strdup_printf("SIM:CLOCK:ADV %.9f", earliest_s - 1e-6);
  cmd(bench, "control", before);
  CU_ASSERT_TRUE(num(bench, "control", "SIM:TRUTH:CURR?") < -1000.0);
  g_autofree char *after = g_strdup_printf("SIM:CLOCK:ADV %.9f", SIM_BOARD_SCP_JITTER_S + 2e-6);
  cmd(bench, "control", after);
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "control", "SIM:TRUTH:CURR?"), 0.0, 1e-3);
  CU_ASSERT_TRUE(truth_alarms(bench) & SIM_JK_ALARM_DSG_SCP);
  bench_free(bench);
}

/* The short-circuit module and the digitizer armed as the station arms them: 1 µs per point
 * over 2 ms (RAW points mode: NORMal takes no more than 1000 points), 100 µs before the
 * trigger, the trigger on the rising current at 1000 A; the trigger arms at :SING. */
static void arm_short_and_digitizer(Bench *bench, const char *pulse_us)
{
  cmd(bench, "digitizer", ":TIM:SCAL 2E-4;:TIM:REF LEFT;:TIM:POS -1E-4");
  cmd(bench, "digitizer", ":CHAN1:SCAL 550;:CHAN1:OFFS 2000");
  cmd(bench, "digitizer", ":TRIG:MODE EDGE;:TRIG:EDGE:SOUR CHAN1;:TRIG:EDGE:LEV 1000");
  cmd(bench, "digitizer", ":TRIG:EDGE:SLOP POS;:WAV:SOUR CHAN1;:WAV:FORM ASC");
  /* As the programming guide has it: NORMal points mode refuses what is not an even
   * divisor of 1000, RAW takes the guide's larger counts. */
  g_free(run(bench, "digitizer", ":WAV:POIN:MODE NORM;:WAV:POIN 1100"));
  g_autofree char *refused = run(bench, "digitizer", "SYST:ERR?");
  CU_ASSERT_TRUE(g_str_has_prefix(refused, "-222,"));
  cmd(bench, "digitizer", ":WAV:POIN 1000;:WAV:POIN:MODE RAW;:WAV:POIN 2000");
  CU_ASSERT_EQUAL(num(bench, "digitizer", ":AER?"), 0);
  cmd(bench, "digitizer", ":SING");
  CU_ASSERT_EQUAL(num(bench, "digitizer", ":AER?"), 1);
  CU_ASSERT_EQUAL(num(bench, "digitizer", ":AER?"), 0);   /* reading clears it */
  g_autofree char *pulse = g_strdup_printf("SHOR:PULS %s", pulse_us);
  cmd(bench, "short", pulse);
}

/* The digitizer's trace after :WAV:DATA?: its values (block header checked). */
static GStrv fetch_trace(Bench *bench)
{
  g_autofree char *data = run(bench, "digitizer", ":WAV:DATA?");
  CU_ASSERT_TRUE(g_str_has_prefix(data, "#8"));
  g_autofree char *length = g_strndup(data + 2, 8);
  CU_ASSERT_EQUAL(strlen(data), 10 + g_ascii_strtoull(length, NULL, 10));
  return g_strsplit(data + 10, ",", -1);
}

static void test_module_short_timed_by_digitizer(void)
{
  /* On the buildable fixture the module closes P+/P- through its resistance, the store
   * delivers the peak, the board cuts off after its delay and the module reports DONE; the
   * digitizer's trace shows the current from the edge to the cut-off. */
  Bench *bench = bench_new_built(SERIAL, NULL, SIM_POWER_PATH_BATTERY);
  SimBoard *board = sim_twin_board(bench->twin);
  cells_on(bench, 24, CELL_V);
  g_autofree char *setup = g_strdup_printf("VOLT %.4f;CURR:LIM 2;CURR:LIM:NEG -2;OUTP ON",
                                           24 * CELL_V);
  cmd(bench, "battery", setup);
  write_setting(bench, SIM_JK_REG_SCP_DELAY_US, 300);
  cmd(bench, "control", "SIM:CLOCK:ADV 0.1");
  arm_short_and_digitizer(bench, "1000");
  g_autofree char *armed = run(bench, "short", "SHOR:STAT?");
  CU_ASSERT_STRING_EQUAL(armed, "ARMED");
  CU_ASSERT_EQUAL(num(bench, "digitizer", ":OPER:COND?"), 8 + 32);   /* Run, Wait Trig */
  CU_ASSERT_EQUAL(num(bench, "digitizer", ":TER?"), 0);
  cmd(bench, "short", "SHOR:TRIG");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.00001");
  CU_ASSERT_EQUAL(num(bench, "digitizer", ":OPER:COND?"), 8);        /* filling: Run */
  /* Ohm's law through the module, capped at its limit: 79 V over a few mΩ is more. */
  const SimFixtureState *state = state_of(bench);
  CU_ASSERT_DOUBLE_EQUAL(state->short_current_a, SIM_SHORT_LIMIT_A, 1e-6);
  CU_ASSERT_TRUE(state->short_current_a > sim_board_scp_threshold_a(board));
  cmd(bench, "control", "SIM:CLOCK:ADV 0.002");
  g_autofree char *done = run(bench, "short", "SHOR:STAT?");
  CU_ASSERT_STRING_EQUAL(done, "DONE");
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "short", "SHOR:PEAK?"), SIM_SHORT_LIMIT_A, 40.0);
  double joules = num(bench, "short", "SHOR:ENER?");
  CU_ASSERT_TRUE(joules > 10.0 && joules < SIM_SHORT_ENERGY_J);
  CU_ASSERT_TRUE(truth_alarms(bench) & SIM_JK_ALARM_DSG_SCP);

  CU_ASSERT_EQUAL(num(bench, "digitizer", ":TER?"), 1);
  CU_ASSERT_EQUAL(num(bench, "digitizer", ":TER?"), 0);   /* reading clears it */
  CU_ASSERT_EQUAL(num(bench, "digitizer", ":OPER:COND?"), 0);
  g_autofree char *preamble = run(bench, "digitizer", ":WAV:PRE?");
  g_auto(GStrv) fields = g_strsplit(preamble, ",", -1);
  CU_ASSERT_EQUAL(g_strv_length(fields), 10);
  CU_ASSERT_EQUAL(atoi(fields[2]), 2000);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(fields[4], NULL), 1e-6, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(fields[5], NULL), -1e-4, 1e-12);
  g_auto(GStrv) values = fetch_trace(bench);
  CU_ASSERT_EQUAL_FATAL(g_strv_length(values), 2000);
  const SimBoardConstants *k = sim_board_constants(board);
  double earliest_us = 1e6 * k->scp_latency_s + 300.0 * k->scp_timer_ratio;
  double latest_us = earliest_us + 1e6 * SIM_BOARD_SCP_JITTER_S;
  guint above = 0, first = 0;
  for (guint i = 0; i < 2000; i++) {
    double amps = g_ascii_strtod(values[i], NULL);
    if (amps > SIM_SHORT_LIMIT_A / 2 && above++ == 0)
      first = i;
    if (i < 100)
      CU_ASSERT_TRUE(fabs(amps) < 30.0);   /* before the trigger: offset, noise, codes */
  }
  CU_ASSERT_EQUAL(first, 100);             /* the edge at the trigger */
  if (above < earliest_us - 1 || above > latest_us + 1)
    fprintf(stderr, "\n  %u µs above half the limit, expected %.0f..%.0f\n", above, earliest_us,
            latest_us);
  CU_ASSERT_TRUE(above >= earliest_us - 1 && above <= latest_us + 1);
  /* 8-bit codes: each value is the offset plus a whole number of steps. */
  double step = 8 * 550.0 / 256;
  double codes = (g_ascii_strtod(values[500], NULL) - 2000) / step;
  CU_ASSERT_DOUBLE_EQUAL(codes, round(codes), 1e-3);

  /* Without a pulse armed the trigger is ignored; a new :SING forgets the trace. */
  g_free(run(bench, "short", "SHOR:TRIG"));
  g_autofree char *ignored = run(bench, "short", "SYST:ERR?");
  CU_ASSERT_TRUE(g_str_has_prefix(ignored, "-211,"));
  cmd(bench, "digitizer", ":SING");
  g_autofree char *empty = run(bench, "digitizer", ":WAV:DATA?");
  CU_ASSERT_STRING_EQUAL(empty, "#800000000");
  g_autofree char *stale = run(bench, "digitizer", "SYST:ERR?");
  CU_ASSERT_TRUE(g_str_has_prefix(stale, "-230,"));
  bench_free(bench);
}

/* A board whose SCP never cuts off: the module opens at its energy limit (a 24-cell pack) or
 * at the end of its pulse (an 8-cell one) and reports LIMIT; the trace conducts to the end. */
static void module_limit(const char *serial, int cells, gboolean energy_first)
{
  Bench *bench = bench_new_built(serial, "scp-dead", SIM_POWER_PATH_BATTERY);
  cells_on(bench, cells, CELL_V);
  g_autofree char *setup = g_strdup_printf("VOLT %.4f;CURR:LIM 2;CURR:LIM:NEG -2;OUTP ON",
                                           cells * CELL_V);
  cmd(bench, "battery", setup);
  cmd(bench, "control", "SIM:CLOCK:ADV 0.1");
  arm_short_and_digitizer(bench, "1000");
  cmd(bench, "short", "SHOR:TRIG");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.002");
  g_autofree char *status = run(bench, "short", "SHOR:STAT?");
  CU_ASSERT_STRING_EQUAL(status, "LIMIT");
  double joules = num(bench, "short", "SHOR:ENER?");
  if (energy_first) {
    CU_ASSERT_DOUBLE_EQUAL(joules, SIM_SHORT_ENERGY_J, 0.01 * SIM_SHORT_ENERGY_J);
  } else {
    CU_ASSERT_TRUE(joules < 0.9 * SIM_SHORT_ENERGY_J);
  }
  CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->short_current_a, 0.0, 1e-9);
  CU_ASSERT_EQUAL(truth_alarms(bench) & SIM_JK_ALARM_DSG_SCP, 0);
  g_auto(GStrv) values = fetch_trace(bench);
  guint above = 0;
  for (guint i = 0; values[i]; i++)
    above += g_ascii_strtod(values[i], NULL) > 1000.0;
  if (energy_first) {
    CU_ASSERT_TRUE(above > 600 && above < 1000);
  } else {
    CU_ASSERT_EQUAL(above, 1000);
  }
  bench_free(bench);
}

static void test_module_limit_energy(void)
{
  module_limit(SERIAL, 24, TRUE);
}

static void test_module_limit_pulse(void)
{
  module_limit(SMALL_SERIAL, 8, FALSE);
}

static void test_instrument_hangs(void)
{
  /* SIM:INST:HANG: the digitizer takes lines and answers nothing until released. */
  Bench *bench = bench_new_built(NULL, NULL, SIM_POWER_PATH_BATTERY);
  cmd(bench, "control", "SIM:INST:HANG \"digitizer\",ON");
  g_autofree char *silent = run(bench, "digitizer", "*IDN?");
  CU_ASSERT_STRING_EQUAL(silent, "");
  cmd(bench, "control", "SIM:INST:HANG \"digitizer\",OFF");
  g_autofree char *idn = run(bench, "digitizer", "*IDN?");
  CU_ASSERT_TRUE(g_str_has_prefix(idn, "KEYSIGHT TECHNOLOGIES,DSOX3024T,"));
  g_free(run(bench, "control", "SIM:INST:HANG \"nothing\",ON"));
  g_autofree char *refused = run(bench, "control", "SYST:ERR?");
  CU_ASSERT_TRUE(g_str_has_prefix(refused, "-224,"));
  bench_free(bench);
}

/* Ω of the heater load bank's resistor behind relay `relay`. */
static double heater_load_ohm(int relay)
{
  static const struct { int relay; double ohm; } loads[SIM_HEATER_LOAD_COUNT] = SIM_HEATER_LOADS;
  for (int i = 0; i < SIM_HEATER_LOAD_COUNT; i++)
    if (loads[i].relay == relay)
      return loads[i].ohm;
  return NAN;
}

static void test_heater_through_load_bank(void)
{
  Bench *bench = bench_new(SMALL_SERIAL, NULL);
  cells_on(bench, 8, CELL_V);
  guint8 enable[2] = {0, 1};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_TRUE(sim_board_write_settings(sim_twin_board(bench->twin),
                                          SIM_JK_REG_CONTROL_BITS - SIM_JK_REG_SETTINGS, enable, 2,
                                          &error));
  /* -10 °C on every NTC: below the charge under-temperature limit (0 °C). */
  g_autofree char *cold = g_strdup_printf("SOUR:RES %.1f,(@201:203)", ntc_ohm(-10));
  cmd(bench, "switch", cold);
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  g_autofree char *heater = truth_field(bench, "heater");
  CU_ASSERT_STRING_EQUAL(heater, "1");
  g_autofree char *chg = truth_field(bench, "chg_mos");
  CU_ASSERT_STRING_EQUAL(chg, "0");
  CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->heater_current_a, 0.0, 1e-12); /* relay 104 open */

  cmd(bench, "switch", "ROUT:CLOS (@104)");
  const SimFixtureState *state = state_of(bench);
  /* U over the load and the board's heater switch. */
  double load = heater_load_ohm(104);
  double switch_ohm = sim_board_constants(sim_twin_board(bench->twin))->heater_switch_ohm;
  double ohm = load + switch_ohm;
  CU_ASSERT_DOUBLE_EQUAL(state->heater_current_a, state->pack_v / ohm, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(state->heater_current_a, 8 * CELL_V / ohm, 0.001);
  CU_ASSERT_TRUE(state->heater_current_a < 8 * CELL_V / load * 0.99);
  CU_ASSERT_DOUBLE_EQUAL(state->heater_v, state->pack_v * load / ohm, 1e-9);
  /* Relay 108 puts the DMM across the load: the pack less the board's switch drop. */
  cmd(bench, "switch", "ROUT:CLOS (@108)");
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "dmm", "MEAS:VOLT:DC?"), state_of(bench)->heater_v, 0.002);
  cmd(bench, "switch", "ROUT:OPEN (@108)");
  /* A second resistor of the bank (relay 110) in parallel: U over both and the switch. */
  cmd(bench, "switch", "ROUT:CLOS (@110)");
  double both = 1.0 / (1.0 / load + 1.0 / heater_load_ohm(110));
  CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->heater_current_a,
                         state_of(bench)->pack_v / (both + switch_ohm), 1e-9);
  cmd(bench, "switch", "ROUT:OPEN (@110)");
  /* The heater's current comes out of every cell of the stack. */
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "cellsim", "MEAS4:CURR?"),
                         1000.0 * (state->heater_current_a + state->board_supply_a), 0.1);
  g_autofree char *amps = truth_field(bench, "heater_a");
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(amps, NULL), state->heater_current_a, 1e-6);

  /* Warm again (25 °C, above the 5 °C recovery): the heater stops. */
  cmd(bench, "switch", "SOUR:RES 10000,(@201:203)");
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->heater_current_a, 0.0, 1e-12);
  bench_free(bench);

  /* A 24-cell pack drives 6.5 A into the 12 Ω load: nothing limits it at 3 A, so the station
   * must never apply a load that small. */
  bench = bench_new(SERIAL, NULL);
  cells_on(bench, 24, CELL_V);
  CU_ASSERT_TRUE(sim_board_write_settings(sim_twin_board(bench->twin),
                                          SIM_JK_REG_CONTROL_BITS - SIM_JK_REG_SETTINGS, enable, 2,
                                          &error));
  cmd(bench, "switch", cold);
  cmd(bench, "switch", "ROUT:CLOS (@104)");
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  double ohm24 = heater_load_ohm(104) +
                 sim_board_constants(sim_twin_board(bench->twin))->heater_switch_ohm;
  CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->heater_current_a, state_of(bench)->pack_v / ohm24, 1e-9);
  CU_ASSERT_TRUE(state_of(bench)->heater_current_a > 6.0);
  bench_free(bench);
}

/* The INT16 0.1 °C register at `reg` of the board. */
static double register_celsius(SimBoard *board, guint16 reg)
{
  guint8 bytes[2] = {0, 0};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_EQUAL(sim_board_map_read(board, reg, 1, bytes, &error), 0);
  return (gint16)(bytes[0] << 8 | bytes[1]) / 10.0;
}

static void test_ntc_temperatures(void)
{
  Bench *bench = bench_new(SERIAL, NULL);
  cells_on(bench, 24, CELL_V);
  SimBoard *board = sim_twin_board(bench->twin);
  const double celsius[3] = {0.0, 25.0, 50.0};
  for (int i = 0; i < 3; i++) {
    g_autofree char *line = g_strdup_printf("SOUR:RES %.1f,(@%d)", ntc_ohm(celsius[i]), 201 + i);
    cmd(bench, "switch", line);
  }
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  const guint16 registers[3] = {SIM_JK_REG_T1, SIM_JK_REG_T2, SIM_JK_REG_T3};
  /* Within the board's sensor errors (R25, B, offset) and its reading noise. */
  for (int i = 0; i < 3; i++) {
    CU_ASSERT_DOUBLE_EQUAL(sim_board_temperature_c(board, i), celsius[i], 1.5);
    CU_ASSERT_DOUBLE_EQUAL(register_celsius(board, registers[i]),
                           sim_board_temperature_c(board, i), 1e-9);
  }
  g_autofree char *truth = run(bench, "control", "SIM:TRUTH:TEMP? (@1:3)");
  g_auto(GStrv) values = g_strsplit(truth, ",", -1);
  CU_ASSERT_EQUAL_FATAL(g_strv_length(values), 3);
  for (int i = 0; i < 3; i++)
    CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(values[i], NULL), celsius[i], 0.03);

  /* An open input: the board reads -40.0 °C, the truth is not a number. */
  cmd(bench, "switch", "SOUR:RES INF,(@201)");
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  CU_ASSERT_DOUBLE_EQUAL(register_celsius(board, SIM_JK_REG_T1), -40.0, 1e-9);
  g_autofree char *open = run(bench, "control", "SIM:TRUTH:TEMP? (@1)");
  CU_ASSERT_STRING_EQUAL(open, "9.91E+37");
  g_autofree char *programmed = run(bench, "switch", "SOUR:RES? (@201,202)");
  g_autofree char *expected = g_strdup_printf("9.9E+37,%.1f", ntc_ohm(25.0));
  CU_ASSERT_STRING_EQUAL(programmed, expected);
  bench_free(bench);
}

/* Reads the DMM's current input (relay 112 puts it in the board's B+ lead). */
static double supply_a(Bench *bench)
{
  return num(bench, "dmm", "MEAS:CURR:DC?");
}

/* The board's own supply current through the DMM in its B+ lead: awake with its MOSFETs
 * on, standby with them off (more with standby-current), asleep in µA after 0x1604; without
 * its pack it is off after its hold-up and powers up again from cold. */
static void test_board_supply_current(void)
{
  Bench *bench = bench_new(SERIAL, NULL);
  SimBoard *board = sim_twin_board(bench->twin);
  cells_on(bench, 24, CELL_V);
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  CU_ASSERT_DOUBLE_EQUAL(supply_a(bench), 0.0, 1e-6);        /* relay 112 open */
  cmd(bench, "switch", "ROUT:CLOS (@112)");
  double awake = supply_a(bench);
  CU_ASSERT_DOUBLE_EQUAL(awake, state_of(bench)->board_supply_a, 0.001 * awake + 5e-6);
  CU_ASSERT_TRUE(awake > 6e-3 && awake < 12e-3);
  /* The stack delivers it: every channel carries it in series. */
  CU_ASSERT_DOUBLE_EQUAL(state_of(bench)->stack_current_a, state_of(bench)->board_supply_a, 1e-9);

  write_setting(bench, SIM_JK_REG_CHARGE_ENABLE, 0);
  write_setting(bench, SIM_JK_REG_DISCHARGE_ENABLE, 0);
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  double standby = supply_a(bench);
  CU_ASSERT_TRUE(standby > 4.25e-3 && standby < 5.75e-3);
  CU_ASSERT_TRUE(awake - standby > 2e-3);

  /* Asleep at the sample after 0x1604, its current falling from standby with a time
   * constant of 20..40 ms: still far above its sleep current a sample later, within 0.3 µA
   * of it 0.5 s after the command. A 24-tap board sleeps at 25 + 24 x 1.5 µA ±25 %. */
  sim_board_shutdown(board);
  cmd(bench, "control", "SIM:CLOCK:ADV 0.12");
  CU_ASSERT_TRUE(sim_board_sleeping(board));
  double falling = supply_a(bench);
  cmd(bench, "control", "SIM:CLOCK:ADV 0.38");
  double asleep = supply_a(bench);
  CU_ASSERT_TRUE(asleep > 45.75e-6 && asleep < 76.25e-6);
  CU_ASSERT_TRUE(falling > asleep + 1e-6 && falling < standby);
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  CU_ASSERT_DOUBLE_EQUAL(supply_a(bench), asleep, 0.3e-6);

  /* The pack switched off: off after the hold-up (0.2 s at most), nothing drawn; back on,
   * one more power-on and awake again. */
  guint32 power_ons = sim_board_power_on_count(board);
  cmd(bench, "cellsim", "OUTP:ONOFF 0,(@1:24)");
  cmd(bench, "control", "SIM:CLOCK:ADV 0.3");
  state_of(bench);
  CU_ASSERT_FALSE(sim_board_powered(board));
  CU_ASSERT_FALSE(sim_board_firmware_running(board));
  CU_ASSERT_DOUBLE_EQUAL(supply_a(bench), 0.0, 1e-6);
  cells_on(bench, 24, CELL_V);
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  CU_ASSERT_TRUE(sim_board_powered(board));
  CU_ASSERT_FALSE(sim_board_sleeping(board));
  CU_ASSERT_EQUAL(sim_board_power_on_count(board), power_ons + 1);
  CU_ASSERT_TRUE(supply_a(bench) > 4e-3);
  bench_free(bench);

  /* standby-current:2000: 2 mA more with both MOSFETs off, nothing more with them on. */
  bench = bench_new(SERIAL, "standby-current:2000");
  cells_on(bench, 24, CELL_V);
  cmd(bench, "switch", "ROUT:CLOS (@112)");
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  CU_ASSERT_DOUBLE_EQUAL(supply_a(bench), awake, 0.08 * awake);
  write_setting(bench, SIM_JK_REG_CHARGE_ENABLE, 0);
  write_setting(bench, SIM_JK_REG_DISCHARGE_ENABLE, 0);
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  CU_ASSERT_DOUBLE_EQUAL(supply_a(bench) - standby, 2e-3, 0.5e-3);
  bench_free(bench);

  /* sleep-current:200: 200 µA more asleep, nothing more awake. */
  bench = bench_new(SERIAL, "sleep-current:200");
  board = sim_twin_board(bench->twin);
  cells_on(bench, 24, CELL_V);
  cmd(bench, "switch", "ROUT:CLOS (@112)");
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  CU_ASSERT_DOUBLE_EQUAL(supply_a(bench), awake, 0.08 * awake);
  sim_board_shutdown(board);
  cmd(bench, "control", "SIM:CLOCK:ADV 1");
  CU_ASSERT_DOUBLE_EQUAL(supply_a(bench) - asleep, 200e-6, 0.3e-6);
  bench_free(bench);
}

static void test_balancer_at_cell_channels(void)
{
  Bench *bench = bench_new(SERIAL, NULL);
  cells_on(bench, 24, CELL_V);
  cmd(bench, "cellsim", "SOUR5:VOLT 3.45");
  cmd(bench, "control", "SIM:CLOCK:ADV 2");
  g_autofree char *balancing = truth_field(bench, "balancing");
  CU_ASSERT_STRING_EQUAL(balancing, "1");

  /* The model moves 2 A; the cell simulator's default 1 A limit holds each tap. */
  double total = 0, high = 0, low = 0;
  g_autofree char *list = run(bench, "cellsim", "MEAS:CURR? (@1:24)");
  g_auto(GStrv) values = g_strsplit(list, ",", -1);
  CU_ASSERT_EQUAL_FATAL(g_strv_length(values), 24);
  for (int i = 0; i < 24; i++) {
    double ma = g_ascii_strtod(values[i], NULL);
    total += ma;
    high = MAX(high, ma);
    low = MIN(low, ma);
  }
  /* Each channel also carries the stack's series current: the board's own supply. */
  double series = 1000.0 * state_of(bench)->stack_current_a;
  CU_ASSERT_TRUE(series > 1.0);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(values[4], NULL), 1000.0 + series, 0.1);
  CU_ASSERT_DOUBLE_EQUAL(high, 1000.0 + series, 0.1);
  CU_ASSERT_DOUBLE_EQUAL(low, -1000.0 + series, 0.1);
  CU_ASSERT_DOUBLE_EQUAL(total, 24 * series, 1.0);

  /* With the limit raised the full balance current flows: the model's 2 A times the
   * channel's own ratio and the balancer's noise. */
  cmd(bench, "cellsim", "SOUR:OUTCURR 5,(@1:24)");
  double ratio = sim_board_constants(sim_twin_board(bench->twin))->balance_out_ratio[4];
  CU_ASSERT_DOUBLE_EQUAL(num(bench, "cellsim", "MEAS5:CURR?"), 2000.0 * ratio, 2000.0 * 0.02);
  bench_free(bench);
}

/* A script over every instrument, answers concatenated. */
static const char *const script[][2] = {
  {"cellsim", "SOUR:VOLT 3.3,(@1:24);OUTP:ONOFF 1,(@1:24);SOUR7:VOLT 3.42"},
  {"switch", "ROUT:CLOS (@101,105)"},
  {"eload", "SENS:SWE:POIN 200;SENS:SWE:TINT 1e-5;INIT:ACQ;FUNC CURR;CURR 12.5;INP ON"},
  {"control", "SIM:CLOCK:ADV 0.25"},
  {"eload", "MEAS:CURR?;MEAS:VOLT?;TRIG:ACQ"},
  {"dmm", "MEAS:VOLT:DC?;READ?"},
  {"cellsim", "MEAS:VOLT? (@1:24);MEAS:CURR? (@1:24)"},
  {"eload", "INP:SHOR ON"},
  {"control", "SIM:CLOCK:ADV 0.01"},
  {"eload", "FETC:ARR:CURR?"},
  {"control", "SIM:TRUTH:STATE?;SIM:TRUTH:CURR?;SIM:CLOCK?"},
  {"switch", "ROUT:OPEN (@101);ROUT:CLOS (@102)"},
  {"charger", ":APPL CH1,86,4;:OUTP ON"},
  {"control", "SIM:CLOCK:ADV 70"},
  {"charger", ":MEAS:ALL?;:OUTP:MODE?"},
  {"control", "SIM:TRUTH:STATE?;SIM:CLOCK?"},
};

/* Runs the script on a fresh in-process twin; returns every answer. */
static char *script_in_process(void)
{
  Bench *bench = bench_new(SERIAL, NULL);
  GString *all = g_string_new(NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(script); i++) {
    g_autofree char *answer = run(bench, script[i][0], script[i][1]);
    g_string_append_printf(all, "%s|%s\n", script[i][0], answer);
  }
  SimCellReading reading;
  sim_board_read_cells(sim_twin_board(bench->twin), &reading);
  for (int c = 0; c < 24; c++)
    g_string_append_printf(all, "%u ", reading.cell_mv[c]);
  bench_free(bench);
  return g_string_free(all, FALSE);
}

static void test_determinism_in_process(void)
{
  g_autofree char *first = script_in_process();
  g_autofree char *second = script_in_process();
  CU_ASSERT_STRING_EQUAL(first, second);
  /* The script did what it says: the short tripped SCP, the charger charged after the
   * recovery, the digitizer filled. */
  CU_ASSERT_PTR_NOT_NULL(strstr(first, "board=" SERIAL));
  CU_ASSERT_PTR_NOT_NULL(strstr(first, "alarms=0x00004000"));
  CU_ASSERT_PTR_NOT_NULL(strstr(first, "path_a=3.99"));
  CU_ASSERT_PTR_NULL(strstr(first, "9.910000E+37"));
}

/* Runs the script against a fixture-sim process over TCP; returns every answer. */
static char *script_over_tcp(void)
{
  /* The stack-as-pack fixture, as bench_new() builds in process. */
  const char *args[] = {"--quiet", "--power-path", "cells", "--board", SERIAL, NULL};
  g_autoptr(GError) error = NULL;
  SimHarness *harness = harness_start(args, &error);
  if (!harness)
    fprintf(stderr, "\n  fixture-sim did not start: %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(harness);
  const struct {
    const char *role;
    guint16 port;
  } ports[] = {
    {"cellsim", harness->cellsim_port}, {"control", harness->control_port},
    {"eload", harness->eload_port},     {"charger", harness->charger_port},
    {"dmm", harness->dmm_port},         {"switch", harness->switch_port},
  };
  int fds[G_N_ELEMENTS(ports)];
  for (gsize p = 0; p < G_N_ELEMENTS(ports); p++) {
    fds[p] = harness_connect(ports[p].port);
    CU_ASSERT_TRUE_FATAL(fds[p] >= 0);
  }
  GString *all = g_string_new(NULL);
  g_autofree char *mode = harness_query(fds[1], "SIM:CLOCK:MODE VIRTUAL;SIM:CLOCK:MODE?");
  CU_ASSERT_STRING_EQUAL(mode, "VIRTUAL");
  for (gsize i = 0; i < G_N_ELEMENTS(script); i++) {
    gsize p = 0;
    while (strcmp(ports[p].role, script[i][0]) != 0)
      p++;
    /* Every line ends with a query so that its answer marks that it was executed. */
    g_autofree char *line = g_strconcat(script[i][1], ";*OPC?", NULL);
    g_autofree char *answer = harness_query(fds[p], line);
    CU_ASSERT_PTR_NOT_NULL(answer);
    g_string_append_printf(all, "%s|%s\n", script[i][0], answer ? answer : "(none)");
  }
  for (gsize p = 0; p < G_N_ELEMENTS(ports); p++)
    close(fds[p]);
  CU_ASSERT_EQUAL(harness_stop(harness, NULL), 0);
  return g_string_free(all, FALSE);
}

static void test_determinism_two_processes(void)
{
  g_autofree char *first = script_over_tcp();
  g_autofree char *second = script_over_tcp();
  CU_ASSERT_STRING_EQUAL(first, second);
  CU_ASSERT_PTR_NOT_NULL(strstr(first, "alarms=0x00004000"));
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("sim_physics", NULL, NULL);
  CU_add_test(suite, "load CC: Ohm's law through the main path, DMM across it",
              test_load_ohms_law);
  CU_add_test(suite, "charger: CC above the pack, CV and CC into the load", test_charger_cv_cc);
  CU_add_test(suite, "the stack is the channels switched on, not the board's cell count",
              test_stack_is_the_channels_on);
  CU_add_test(suite, "battery emulator carries the pack current; its limits reported",
              test_battery_carries_pack_current);
  CU_add_test(suite, "short on the battery fixture: the store delivers the peak",
              test_battery_short_from_store);
  CU_add_test(suite, "cell channels deliver at most their limit (CC, sag)",
              test_channels_limit_without_battery);
  CU_add_test(suite, "discharge MOSFET open: no discharge, charge still flows",
              test_mosfet_off_blocks);
  CU_add_test(suite, "load short: SCP after the board's delay, digitizer pulse width",
              test_short_timed_by_digitizer);
  CU_add_test(suite, "short switch (relay 103) trips SCP at the delay", test_short_switch_trips);
  CU_add_test(suite, "short-circuit module: peak, DONE; digitizer trace of the cut-off",
              test_module_short_timed_by_digitizer);
  CU_add_test(suite, "scp-dead: the module opens at its energy limit, LIMIT",
              test_module_limit_energy);
  CU_add_test(suite, "scp-dead on a small pack: the pulse ends conducting, LIMIT",
              test_module_limit_pulse);
  CU_add_test(suite, "SIM:INST:HANG: an instrument stops answering", test_instrument_hangs);
  CU_add_test(suite, "heater: U/R through the load bank, DMM across it", test_heater_through_load_bank);
  CU_add_test(suite, "board supply current: awake, standby, asleep, power cycle",
              test_board_supply_current);
  CU_add_test(suite, "NTC resistances become the board's temperatures", test_ntc_temperatures);
  CU_add_test(suite, "balancer currents at the cell channels, OUTCURR limit",
              test_balancer_at_cell_channels);
  CU_add_test(suite, "virtual clock: same script, same bytes (in-process)",
              test_determinism_in_process);
  CU_add_test(suite, "virtual clock: same script, same bytes (two processes)",
              test_determinism_two_processes);
  return cunit_run_all();
}
