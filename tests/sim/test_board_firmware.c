/* Tests of the twin board's firmware, called directly with a cell simulator and SimBoardInputs
 * as the physics would give them: the firmware decides on its own 100 ms samples (trip times
 * on the board's sample grid, debounce: a glitch shorter than it does not trip), every
 * protection trips after its delay and not before, holds until its recovery time or release
 * threshold, trip times spread over boards and over repeated trips, the balancer moves the
 * model's current times each channel's own ratio, the heater drives U over the load and its
 * switch (no limiter at 3 A), on heater models only, NTC readings with the board's sensor errors,
 * MOS heating, the coulomb counter, and the symptom of each board fault. */
#include "tests/cunit_main.h"
#include "tests/sim/board_rig.h"
#include "fixtures/sim/sim_board_map.h"
#include "fixtures/sim/sim_common.h"
#include "fixtures/sim/sim_faults.h"
#include <math.h>
#include <string.h>

#define SERIAL "B2A24S15P-2648-00017"   /* 2 A balancer, 150 A OCP, heater option */
#define EPS_S 1e-3                        /* s, "just before" / "just after" a delay */
#define EPS_SCP_S 1e-6                    /* s, the same for µs delays */

/* Suite set-up: the board rig on the virtual clock. */
static int setup(void)
{
  return board_rig_open(SIM_CLOCK_VIRTUAL);
}

/* V at channel `cell` (1-based) that `board` reads as `mv` (its ADC's transfer undone). */
static double volts_read_as(const SimBoard *board, int cell, double mv)
{
  const SimBoardConstants *k = sim_board_constants(board);
  double true_mv = mv;
  for (int i = 0; i < 4; i++)   /* the transfer is nearly linear: a few steps converge */
    true_mv += mv - sim_board_cell_transfer_mv(k, cell, true_mv);
  return true_mv / 1000.0;
}

/* Sets channel `cell` so that the board reads `mv`. */
static void set_cell_reading(const SimBoard *board, int cell, double mv)
{
  g_autofree char *line = g_strdup_printf("SOUR%d:VOLT %.6f", cell, volts_read_as(board, cell, mv));
  board_rig_cellsim(line);
}

/* Sets every channel so that the board reads `mv` on each. */
static void set_all_readings(const SimBoard *board, double mv)
{
  for (int cell = 1; cell <= SIM_CELLSIM_CHANNELS; cell++)
    set_cell_reading(board, cell, mv);
}

/* A board of `serial`'s model inserted with `faults`, all cells reading 3300 mV. */
static SimBoard *new_board(const char *serial, const char *faults)
{
  SimBoard *board = board_rig_new_board(serial, faults);
  set_all_readings(board, 3300);
  SimBoardInputs rest;
  sim_board_default_inputs(&rest);
  sim_board_advance(board, &rest, sim_board_time_s(board));
  return board;
}

/* Writes one UINT32 (or INT32) setting; asserts it was accepted. */
static void write_setting(SimBoard *board, guint16 reg, gint32 value)
{
  guint8 bytes[4] = {(guint8)((guint32)value >> 24), (guint8)((guint32)value >> 16),
                     (guint8)((guint32)value >> 8), (guint8)value};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_TRUE(sim_board_write_settings(board, reg - SIM_JK_REG_SETTINGS, bytes, 4, &error));
  if (error)
    fprintf(stderr, "write 0x%04X: %s\n", reg, error->message);
}

/* Inputs at rest with `amps` through the main path (+ = charging). */
static SimBoardInputs with_current(double amps)
{
  SimBoardInputs in;
  sim_board_default_inputs(&in);
  in.current_a = amps;
  in.path_drop_v = -amps * 0.0005;
  return in;
}

/* Ω of the NTC at `celsius` (Beta equation, 10 kΩ, B = 3435 K). */
static double ntc_ohm(double celsius)
{
  return 10000.0 * exp(3435.0 * (1.0 / (celsius + 273.15) - 1.0 / 298.15));
}

/* Holds `in` on the board from its present time for `seconds`. */
static void hold(SimBoard *board, const SimBoardInputs *in, double seconds)
{
  double t = sim_board_time_s(board);
  sim_board_advance(board, in, t);
  sim_board_advance(board, in, t + seconds);
}

/* ---- voltage protections ---- */

static void test_cell_ovp_and_uvp(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  SimBoardInputs rest = with_current(0);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  CU_ASSERT_TRUE(sim_board_discharge_mos_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);

  /* LiFePO4 defaults: OVP 3600, release below 3400. */
  set_cell_reading(board, 7, 3595);
  hold(board, &rest, 1);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  set_cell_reading(board, 7, 3605);
  hold(board, &rest, 1);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  CU_ASSERT_FALSE(sim_board_conducts_charge(board));
  CU_ASSERT_TRUE(sim_board_discharge_mos_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_CELL_OVP);
  set_cell_reading(board, 7, 3405);           /* between release and trip: still off */
  hold(board, &rest, 100);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  set_cell_reading(board, 7, 3395);
  hold(board, &rest, 1);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);

  /* UVP 2600, release above 3000. */
  set_cell_reading(board, 2, 2605);
  hold(board, &rest, 1);
  CU_ASSERT_TRUE(sim_board_discharge_mos_on(board));
  set_cell_reading(board, 2, 2595);
  hold(board, &rest, 1);
  CU_ASSERT_FALSE(sim_board_discharge_mos_on(board));
  CU_ASSERT_FALSE(sim_board_conducts_discharge(board));
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_CELL_UVP);
  set_cell_reading(board, 2, 2995);
  hold(board, &rest, 100);
  CU_ASSERT_FALSE(sim_board_discharge_mos_on(board));
  set_cell_reading(board, 2, 3005);
  hold(board, &rest, 1);
  CU_ASSERT_TRUE(sim_board_discharge_mos_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);

  /* Cells beyond the cell count do not count. */
  write_setting(board, SIM_JK_REG_CELL_COUNT, 16);
  set_cell_reading(board, 20, 4000);
  hold(board, &rest, 1);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  sim_board_free(board);
}

/* ---- timed protections ---- */

/* s on the twin clock of the first of the board's samples at or after `t`. */
static double sample_at_or_after(const SimBoard *board, double t)
{
  double next = sim_board_next_sample_s(board);
  return next + MAX(0.0, ceil((t - next) / SIM_BOARD_SAMPLE_S - 1e-6)) * SIM_BOARD_SAMPLE_S;
}

/* s from applying a short at the board's time until its trip, as the board's constants say,
 * before the timer's jitter. */
static double scp_trip_s(const SimBoard *board, double delay_us, double late_us)
{
  const SimBoardConstants *k = sim_board_constants(board);
  return k->scp_latency_s + delay_us * 1e-6 * k->scp_timer_ratio + late_us * 1e-6;
}

/* The trip time of a timed protection whose condition `in` is applied now: over-current on
 * the delay's number of samples from the next sample on; short circuit (`scp_us` >= 0: the
 * setting plus scp-slow) when the hardware timer ends, asserted within the board's latency,
 * timer error and one timer tick. */
static double expected_trip_s(SimBoard *board, double delay_s, double scp_us)
{
  double t0 = sim_board_time_s(board);
  if (scp_us < 0) {
    double samples = MAX(1.0, round(delay_s / SIM_BOARD_SAMPLE_S));
    return sim_board_next_sample_s(board) + (samples - 1) * SIM_BOARD_SAMPLE_S;
  }
  double trip = sim_board_next_event_s(board);
  double earliest = t0 + scp_trip_s(board, scp_us, 0);
  CU_ASSERT_TRUE(trip >= earliest - 1e-9 && trip <= earliest + SIM_BOARD_SCP_JITTER_S + 1e-9);
  return trip;
}

/* Checks one timed protection: `in` applied at t0 trips at its trip time (expected_trip_s),
 * not before, the MOSFET stays off until the first sample after trip + recovery, then the
 * firmware retries. */
static void check_timed(SimBoard *board, SimBoardInputs in, double delay_s, double scp_us,
                        double recovery_s, double eps_s, guint32 alarm, gboolean charge_side)
{
  gboolean (*mos_on)(const SimBoard *) =
      charge_side ? sim_board_charge_mos_on : sim_board_discharge_mos_on;
  gboolean (*other_on)(const SimBoard *) =
      charge_side ? sim_board_discharge_mos_on : sim_board_charge_mos_on;
  SimBoardInputs rest = with_current(0);
  double t0 = sim_board_time_s(board);
  sim_board_advance(board, &in, t0);
  double trip = expected_trip_s(board, delay_s, scp_us);
  CU_ASSERT_TRUE(trip - t0 > delay_s - SIM_BOARD_SAMPLE_S);
  CU_ASSERT_TRUE(trip - t0 <= delay_s + SIM_BOARD_SAMPLE_S);
  sim_board_advance(board, &in, trip - eps_s);
  CU_ASSERT_TRUE(mos_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board) & alarm, 0);
  sim_board_advance(board, &in, trip + eps_s);
  CU_ASSERT_FALSE(mos_on(board));
  CU_ASSERT_TRUE(other_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), alarm);
  /* The MOSFET is off: the physics says no current flows now. The firmware lets go at its
   * first sample after the recovery. */
  sim_board_advance(board, &rest, trip + eps_s);
  double recovered = sample_at_or_after(board, trip + recovery_s);
  CU_ASSERT_TRUE(recovered - trip < recovery_s + SIM_BOARD_SAMPLE_S + 1e-9);
  sim_board_advance(board, &rest, recovered - MIN(eps_s, 1e-3));
  CU_ASSERT_FALSE(mos_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), alarm);
  sim_board_advance(board, &rest, recovered + MIN(eps_s, 1e-3));
  CU_ASSERT_TRUE(mos_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);

  /* The fault still there at the retry: trips again after a whole delay. */
  sim_board_advance(board, &in, sim_board_time_s(board));
  double again = expected_trip_s(board, delay_s, scp_us);
  sim_board_advance(board, &in, again - eps_s);
  CU_ASSERT_TRUE(mos_on(board));
  sim_board_advance(board, &in, again + eps_s);
  CU_ASSERT_FALSE(mos_on(board));
  sim_board_advance(board, &rest, again + eps_s);
  sim_board_advance(board, &rest, again + recovery_s + 1);
  CU_ASSERT_TRUE(mos_on(board));
}

static void test_charge_ocp(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  write_setting(board, SIM_JK_REG_CHG_OCP_MA, 20000);
  write_setting(board, SIM_JK_REG_CHG_OCP_DELAY_S, 2);
  write_setting(board, SIM_JK_REG_CHG_OCP_RECOVERY_S, 60);
  /* Below the threshold (an uncalibrated board's gain error is up to ±8 %): never trips;
   * the firmware still samples. */
  SimBoardInputs below = with_current(18.0);
  hold(board, &below, 1000);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  CU_ASSERT_TRUE(sim_board_next_event_s(board) <= sim_board_time_s(board) + SIM_BOARD_SAMPLE_S);
  /* A pulse shorter than the delay: no trip. */
  SimBoardInputs above = with_current(22.5);
  hold(board, &above, 1.5);
  hold(board, &below, 1.5);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  check_timed(board, above, 2, -1, 60, EPS_S, SIM_JK_ALARM_CHG_OCP, TRUE);
  sim_board_free(board);
}

static void test_discharge_ocp(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  write_setting(board, SIM_JK_REG_DSG_OCP_MA, 100000);
  write_setting(board, SIM_JK_REG_DSG_OCP_DELAY_S, 5);
  write_setting(board, SIM_JK_REG_DSG_OCP_RECOVERY_S, 30);
  SimBoardInputs below = with_current(-90.0);
  hold(board, &below, 1000);
  CU_ASSERT_TRUE(sim_board_discharge_mos_on(board));
  /* A charge current above the discharge threshold is not a discharge over-current. */
  SimBoardInputs charging = with_current(112.0);
  write_setting(board, SIM_JK_REG_CHG_OCP_MA, 150000);
  hold(board, &charging, 1000);
  CU_ASSERT_TRUE(sim_board_discharge_mos_on(board));
  check_timed(board, with_current(-112.0), 5, -1, 30, EPS_S, SIM_JK_ALARM_DSG_OCP, FALSE);
  sim_board_free(board);
}

static void test_short_circuit(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  /* 3 x 150 A continuous discharge: 450 A, times the board's comparator spread. */
  double threshold = sim_board_scp_threshold_a(board);
  CU_ASSERT_DOUBLE_EQUAL(threshold, 450.0 * sim_board_constants(board)->scp_threshold_ratio, 1e-9);
  CU_ASSERT_TRUE(threshold >= 405.0 && threshold <= 495.0);
  write_setting(board, SIM_JK_REG_SCP_DELAY_US, 300);
  write_setting(board, SIM_JK_REG_SCP_RECOVERY_S, 10);
  /* Discharge OCP would trip too after seconds; the SCP comes first. */
  SimBoardInputs below = with_current(-0.97 * threshold);
  hold(board, &below, 0.01);
  CU_ASSERT_EQUAL(sim_board_alarms(board) & SIM_JK_ALARM_DSG_SCP, 0);
  SimBoardInputs rest = with_current(0);
  hold(board, &rest, 100);
  check_timed(board, with_current(-2000.0), 300e-6, 300, 10, EPS_SCP_S, SIM_JK_ALARM_DSG_SCP,
              FALSE);
  /* A short during charge trips the charge side (bit 7). */
  hold(board, &rest, 100);
  check_timed(board, with_current(2000.0), 300e-6, 300, 10, EPS_SCP_S, SIM_JK_ALARM_CHG_SCP, TRUE);
  sim_board_free(board);

  /* scp-slow:800 trips 800 µs late. */
  board = new_board(SERIAL, "scp-slow:800");
  write_setting(board, SIM_JK_REG_SCP_DELAY_US, 300);
  write_setting(board, SIM_JK_REG_SCP_RECOVERY_S, 10);
  check_timed(board, with_current(-2000.0), 1100e-6, 1100, 10, EPS_SCP_S, SIM_JK_ALARM_DSG_SCP,
              FALSE);
  sim_board_free(board);
}

/* The trip time does not depend on how the physics steps: two boards of one serial, one held
 * in 1 ms steps and one in a single step, trip at the same sample, and stepping to
 * next_event_s lands exactly on it. */
static void test_stepping(void)
{
  SimBoard *fine = new_board(SERIAL, NULL);
  SimBoard *coarse = new_board(SERIAL, NULL);
  SimBoard *boards[2] = {fine, coarse};
  SimBoardInputs above = with_current(30);
  for (int b = 0; b < 2; b++) {
    write_setting(boards[b], SIM_JK_REG_CHG_OCP_MA, 20000);
    write_setting(boards[b], SIM_JK_REG_CHG_OCP_DELAY_S, 2);
    sim_board_advance(boards[b], &above, sim_board_time_s(boards[b]));
  }
  double t0 = sim_board_time_s(fine);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_time_s(coarse), t0, 1e-12);
  double trip = expected_trip_s(fine, 2, -1);
  for (int i = 1; i < 1900; i++)
    sim_board_advance(fine, &above, t0 + i * 1e-3);
  sim_board_advance(coarse, &above, t0 + 1.899);
  while (sim_board_next_event_s(fine) < trip - 1e-9) {
    CU_ASSERT_TRUE(sim_board_charge_mos_on(fine));
    sim_board_advance(fine, &above, sim_board_next_event_s(fine));
  }
  CU_ASSERT_TRUE(sim_board_charge_mos_on(fine));
  CU_ASSERT_DOUBLE_EQUAL(sim_board_next_event_s(fine), trip, 1e-9);
  sim_board_advance(fine, &above, sim_board_next_event_s(fine));
  CU_ASSERT_FALSE(sim_board_charge_mos_on(fine));
  sim_board_advance(coarse, &above, trip - 1e-6);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(coarse));
  sim_board_advance(coarse, &above, trip);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(coarse));
  /* A time before the board's own only latches the inputs. */
  sim_board_advance(fine, &above, t0);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_time_s(fine), trip, 1e-12);
  sim_board_free(fine);
  sim_board_free(coarse);
}

/* ---- the sample grid, debounce and spread ---- */

/* s from raising cell 7 above OVP on `board` (at its present time) until the charge MOSFET
 * goes off, found by stepping event to event (*trip_s: when, may be NULL); the cell is put
 * back and the release waited for. */
static double ovp_delay_s(SimBoard *board, double *trip_s)
{
  SimBoardInputs rest = with_current(0);
  double t0 = sim_board_time_s(board);
  set_cell_reading(board, 7, 3650);
  sim_board_advance(board, &rest, t0);
  while (sim_board_charge_mos_on(board) && sim_board_time_s(board) < t0 + 10)
    sim_board_advance(board, &rest, sim_board_next_event_s(board));
  double delay = sim_board_time_s(board) - t0;
  if (trip_s)
    *trip_s = sim_board_time_s(board);
  set_cell_reading(board, 7, 3300);
  hold(board, &rest, 1);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  return delay;
}

static void test_trips_on_sample_grid(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  /* The grid: one sample every 100 ms at the board's phase on the twin clock. */
  double phase = sim_board_constants(board)->sample_phase_s;
  CU_ASSERT_TRUE(phase >= 0 && phase < SIM_BOARD_SAMPLE_S);
  SimBoardInputs rest = with_current(0);
  hold(board, &rest, 0.537);
  for (int i = 0; i < 5; i++) {
    double trip;
    double delay = ovp_delay_s(board, &trip);
    /* Two samples in a row above the threshold: the second one falls 0.1..0.2 s after. */
    CU_ASSERT_TRUE(delay > SIM_BOARD_SAMPLE_S - 1e-9 && delay <= 2 * SIM_BOARD_SAMPLE_S + 1e-9);
    /* The trip happened on the grid. */
    double samples = (trip - phase) / SIM_BOARD_SAMPLE_S;
    CU_ASSERT_DOUBLE_EQUAL(samples, round(samples), 1e-6);
    hold(board, &rest, 0.013 + 0.021 * i);   /* the next step at another point of the grid */
  }
  sim_board_free(board);
}

static void test_debounce(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  SimBoardInputs rest = with_current(0);
  hold(board, &rest, 1);
  /* A glitch above OVP seen by one sample only: no trip. */
  for (int i = 0; i < 20; i++) {
    double next = sim_board_next_sample_s(board);
    sim_board_advance(board, &rest, next - 0.01);
    set_cell_reading(board, 7, 3700);
    sim_board_advance(board, &rest, sim_board_time_s(board));
    sim_board_advance(board, &rest, next + 0.01);
    CU_ASSERT_TRUE(sim_board_charge_mos_on(board));   /* the sample saw it: no trip yet */
    set_cell_reading(board, 7, 3300);
    sim_board_advance(board, &rest, sim_board_time_s(board));
    sim_board_advance(board, &rest, next + 0.25);
    CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
    CU_ASSERT_EQUAL(sim_board_alarms(board), 0);
  }
  /* Two samples: it trips. */
  double next = sim_board_next_sample_s(board);
  set_cell_reading(board, 7, 3700);
  sim_board_advance(board, &rest, sim_board_time_s(board));
  sim_board_advance(board, &rest, next + SIM_BOARD_SAMPLE_S + 0.01);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  /* Released only after two samples below the release as well. */
  set_cell_reading(board, 7, 3300);
  sim_board_advance(board, &rest, sim_board_time_s(board));
  next = sim_board_next_sample_s(board);
  sim_board_advance(board, &rest, next + 0.01);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  sim_board_advance(board, &rest, next + SIM_BOARD_SAMPLE_S + 0.01);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));

  /* A temperature glitch (one sample at 80 °C) does not trip the OTP either. */
  SimBoardInputs hot = rest;
  hot.ntc_ohm[0] = ntc_ohm(80);
  next = sim_board_next_sample_s(board);
  sim_board_advance(board, &rest, next - 0.01);
  sim_board_advance(board, &hot, next - 0.01);
  sim_board_advance(board, &hot, next + 0.01);
  sim_board_advance(board, &rest, next + 0.01);
  sim_board_advance(board, &rest, next + 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);
  sim_board_free(board);
}

/* Good boards of one model differ: their protection delays (sample phase), short-circuit
 * trip times (latency, timer) and repeated trips of one board (timer jitter) spread. */
static void test_trip_spread(void)
{
  double delays[12], scp[12];
  double delay_sum = 0, scp_sum = 0;
  for (int i = 0; i < 12; i++) {
    g_autofree char *serial = g_strdup_printf("B2A24S15P-2648-%05d", 100 + i);
    SimBoard *board = new_board(serial, NULL);
    SimBoardInputs rest = with_current(0);
    hold(board, &rest, 1);
    delays[i] = ovp_delay_s(board, NULL);
    write_setting(board, SIM_JK_REG_SCP_DELAY_US, 300);
    SimBoardInputs shorted = with_current(-2000);
    double t0 = sim_board_time_s(board);
    sim_board_advance(board, &shorted, t0);
    scp[i] = sim_board_next_event_s(board) - t0;
    CU_ASSERT_TRUE(scp[i] > 300e-6 * 0.99 + 20e-6 - 1e-9 && scp[i] < 300e-6 * 1.01 + 70e-6);
    delay_sum += delays[i];
    scp_sum += scp[i];
    sim_board_free(board);
  }
  double delay_var = 0, scp_var = 0;
  for (int i = 0; i < 12; i++) {
    delay_var += pow(delays[i] - delay_sum / 12, 2) / 12;
    scp_var += pow(scp[i] - scp_sum / 12, 2) / 12;
  }
  CU_ASSERT_TRUE(sqrt(delay_var) > 0.01);     /* s: the phase spreads them over a sample */
  CU_ASSERT_TRUE(sqrt(scp_var) > 5e-6);       /* s: 20..60 µs of latency */

  /* One board shorted again and again: the timer's tick jitters the trip. */
  SimBoard *board = new_board(SERIAL, NULL);
  write_setting(board, SIM_JK_REG_SCP_DELAY_US, 300);
  write_setting(board, SIM_JK_REG_SCP_RECOVERY_S, 2);
  double first = NAN, spread = 0;
  for (int i = 0; i < 10; i++) {
    SimBoardInputs rest = with_current(0), shorted = with_current(-2000);
    hold(board, &rest, 3);
    double t0 = sim_board_time_s(board);
    sim_board_advance(board, &shorted, t0);
    double trip = sim_board_next_event_s(board) - t0;
    sim_board_advance(board, &shorted, t0 + trip);
    CU_ASSERT_FALSE(sim_board_discharge_mos_on(board));
    if (isnan(first))
      first = trip;
    spread = MAX(spread, fabs(trip - first));
  }
  CU_ASSERT_TRUE(spread > 0.5e-6 && spread <= SIM_BOARD_SCP_JITTER_S);
  sim_board_free(board);
}

/* ---- temperatures ---- */

/* Ω at NTC input `sensor` (0..2) that `board` reads as `celsius` (its R25, B and offset
 * undone; noise aside). */
static double ohm_read_as(const SimBoard *board, int sensor, double celsius)
{
  const SimBoardConstants *k = sim_board_constants(board);
  double kelvin = celsius - k->ntc_offset_c[sensor] + 273.15;
  return 10000.0 * k->ntc_r25_ratio[sensor] *
         exp(3435.0 * k->ntc_beta_ratio[sensor] * (1.0 / kelvin - 1.0 / 298.15));
}

/* Sets NTC input `sensor` of `in` so that `board` reads `celsius`. */
static void set_reading_c(const SimBoard *board, SimBoardInputs *in, int sensor, double celsius)
{
  in->ntc_ohm[sensor] = ohm_read_as(board, sensor, celsius);
}

static void test_ntc_and_temperature_protections(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  SimBoardInputs in = with_current(0);
  /* The board's errors: its readings differ from the Beta equation's, within 1.5 °C. */
  const double points[] = {-20, 0, 25, 45, 60, 85};
  for (gsize i = 0; i < G_N_ELEMENTS(points); i++) {
    in.ntc_ohm[1] = ntc_ohm(points[i]);
    hold(board, &in, SIM_BOARD_SAMPLE_S);
    CU_ASSERT_DOUBLE_EQUAL(sim_board_temperature_c(board, 1), points[i], 1.5);
    set_reading_c(board, &in, 1, points[i]);
    hold(board, &in, SIM_BOARD_SAMPLE_S);
    CU_ASSERT_DOUBLE_EQUAL(sim_board_temperature_c(board, 1), points[i], 1.3); /* noise */
  }
  CU_ASSERT_DOUBLE_EQUAL(sim_board_temperature_c(board, 0), 25.0, 1.5);
  in.ntc_ohm[1] = ntc_ohm(25);                /* 85 °C tripped the OTPs: release them */
  hold(board, &in, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);

  /* Charge and discharge OTP 70.0 °C, released below 60.0, on the board's readings. */
  set_reading_c(board, &in, 2, 68.5);
  hold(board, &in, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);
  set_reading_c(board, &in, 2, 71.5);
  hold(board, &in, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_CHG_OTP | SIM_JK_ALARM_DSG_OTP);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  CU_ASSERT_FALSE(sim_board_discharge_mos_on(board));
  set_reading_c(board, &in, 2, 61.5);
  hold(board, &in, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_CHG_OTP | SIM_JK_ALARM_DSG_OTP);
  set_reading_c(board, &in, 2, 58.5);
  hold(board, &in, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));

  /* Separate thresholds: discharge OTP at 50 °C. */
  write_setting(board, SIM_JK_REG_DSG_OTP, 500);
  write_setting(board, SIM_JK_REG_DSG_OTPR, 450);
  in.ntc_ohm[0] = ntc_ohm(55);
  hold(board, &in, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_DSG_OTP);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  CU_ASSERT_FALSE(sim_board_discharge_mos_on(board));
  in.ntc_ohm[0] = ntc_ohm(25);
  in.ntc_ohm[2] = ntc_ohm(25);

  /* Charge under-temperature 0.0 °C, released above 5.0. */
  set_reading_c(board, &in, 0, 1.5);
  hold(board, &in, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);
  set_reading_c(board, &in, 0, -1.5);
  hold(board, &in, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_CHG_UTP);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  CU_ASSERT_TRUE(sim_board_discharge_mos_on(board));
  set_reading_c(board, &in, 0, 3.5);
  hold(board, &in, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_CHG_UTP);
  set_reading_c(board, &in, 0, 6.5);
  hold(board, &in, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);

  /* An open input reads -40.0 °C, raises the sensor alarm and is left out of the
   * protections (no under-temperature trip). */
  in.ntc_ohm[2] = INFINITY;
  hold(board, &in, 1);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_temperature_c(board, 2), -40.0, 1e-9);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_BOARD_ALARM_TEMP_SENSOR);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  sim_board_free(board);

  /* ntc-open:2: T2 is open whatever the fixture applies. */
  board = new_board(SERIAL, "ntc-open:2");
  in = with_current(0);
  hold(board, &in, 1);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_temperature_c(board, 0), 25.0, 1.5);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_temperature_c(board, 1), -40.0, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_temperature_c(board, 2), 25.0, 1.5);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_BOARD_ALARM_TEMP_SENSOR);
  sim_board_free(board);
}

/* Every reading carries noise: repeated samples of one input at one temperature differ, and
 * boards differ from each other at the same temperature. */
static void test_temperature_noise_and_spread(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  SimBoardInputs in = with_current(0);
  double sum = 0, sum2 = 0;
  for (int i = 0; i < 200; i++) {
    hold(board, &in, SIM_BOARD_SAMPLE_S);
    double c = sim_board_temperature_c(board, 0);
    sum += c;
    sum2 += c * c;
  }
  double sigma = sqrt(sum2 / 200 - pow(sum / 200, 2));
  CU_ASSERT_TRUE(sigma > 0.05 && sigma < 0.4);
  CU_ASSERT_DOUBLE_EQUAL(sigma, sim_board_constants(board)->ntc_noise_c, 0.08);
  sim_board_free(board);

  double offsets[8], mean = 0;
  for (int i = 0; i < 8; i++) {
    g_autofree char *serial = g_strdup_printf("B2A24S15P-2648-%05d", 200 + i);
    board = new_board(serial, NULL);
    const SimBoardConstants *k = sim_board_constants(board);
    /* 40 °C through the board's own conversion, noise aside. */
    double kelvin = 1.0 / (1.0 / 298.15 + log(ntc_ohm(40) / (10000.0 * k->ntc_r25_ratio[0])) /
                                            (3435.0 * k->ntc_beta_ratio[0]));
    offsets[i] = kelvin - 273.15 + k->ntc_offset_c[0] - 40.0;
    CU_ASSERT_TRUE(fabs(offsets[i]) < 1.0);
    mean += offsets[i] / 8;
    sim_board_free(board);
  }
  double var = 0;
  for (int i = 0; i < 8; i++)
    var += pow(offsets[i] - mean, 2) / 8;
  CU_ASSERT_TRUE(sqrt(var) > 0.05);
}

/* s the MOSFETs take from `from_c` to `to_c` heading for `target_c` (first order). */
static double heating_s(double target_c, double from_c, double to_c)
{
  return SIM_BOARD_MOS_TAU_S * log((target_c - from_c) / (target_c - to_c));
}

static void test_mos_temperature(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  const SimBoardConstants *k = sim_board_constants(board);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_mos_true_temperature_c(board), SIM_BOARD_AMBIENT_C, 1e-9);
  /* The sensor reads with the board's offset and its noise. */
  CU_ASSERT_DOUBLE_EQUAL(sim_board_mos_temperature_c(board), SIM_BOARD_AMBIENT_C + k->mos_offset_c,
                         1.0);
  write_setting(board, SIM_JK_REG_MOS_OTP, 300);
  write_setting(board, SIM_JK_REG_MOS_OTPR, 280);
  write_setting(board, SIM_JK_REG_CHG_OCP_MA, 150000);
  double r = sim_board_path_resistance_ohm(board);
  double amps = 140;
  double target = SIM_BOARD_AMBIENT_C + amps * amps * r * SIM_BOARD_MOS_K_PER_W;
  /* The true temperatures at which the reading is 1 °C short of and past 30.0 °C. */
  double trip_c = 30.0 - k->mos_offset_c;
  CU_ASSERT_TRUE_FATAL(target > trip_c + 1.5);

  SimBoardInputs in = with_current(amps);
  double t0 = sim_board_time_s(board);
  sim_board_advance(board, &in, t0);
  sim_board_advance(board, &in, t0 + heating_s(target, 25.0, trip_c - 1.0));
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  CU_ASSERT_TRUE(sim_board_mos_true_temperature_c(board) < trip_c);
  sim_board_advance(board, &in, t0 + heating_s(target, 25.0, trip_c + 1.0) +
                                    2 * SIM_BOARD_SAMPLE_S);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_MOS_OTP);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  CU_ASSERT_FALSE(sim_board_discharge_mos_on(board));
  guint8 regs[2];
  CU_ASSERT_EQUAL(sim_board_map_read(board, SIM_JK_REG_MOS_TEMP, 1, regs, NULL), 0);
  CU_ASSERT_DOUBLE_EQUAL((gint16)(regs[0] << 8 | regs[1]) / 10.0,
                         sim_board_mos_true_temperature_c(board) + k->mos_offset_c, 1.0);
  /* No current: it cools with the time constant and releases at 28.0 °C read. */
  SimBoardInputs rest = with_current(0);
  double t1 = sim_board_time_s(board);
  sim_board_advance(board, &rest, t1);
  double from = sim_board_mos_true_temperature_c(board);
  double release_c = 28.0 - k->mos_offset_c;
  CU_ASSERT_TRUE_FATAL(release_c - 1.0 > SIM_BOARD_AMBIENT_C + 0.3);
  sim_board_advance(board, &rest, t1 + heating_s(SIM_BOARD_AMBIENT_C, from, release_c + 1.0));
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  sim_board_advance(board, &rest, t1 + heating_s(SIM_BOARD_AMBIENT_C, from, release_c - 1.0) +
                                      2 * SIM_BOARD_SAMPLE_S);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);
  sim_board_free(board);
}

/* ---- balancer ---- */

/* On a board of `serial`, cell 5 100 mV above the others: the balancer moves the model's
 * current times the channels' own ratios out of cell 5 into the lowest cell, nothing
 * elsewhere. */
static void check_balance(const char *serial, double expected_a)
{
  SimBoard *board = new_board(serial, NULL);
  const SimBoardConstants *k = sim_board_constants(board);
  guint count = sim_board_setting(board, SIM_JK_REG_CELL_COUNT);
  SimBoardInputs rest = with_current(0);
  set_all_readings(board, 3450);
  set_cell_reading(board, 3, 3440);
  set_cell_reading(board, 5, 3550);
  hold(board, &rest, 1);
  CU_ASSERT_TRUE(sim_board_balancing(board));
  double out = sim_board_balance_current_a(board, 5);
  double in = -sim_board_balance_current_a(board, 3);
  CU_ASSERT_DOUBLE_EQUAL(out, expected_a * k->balance_out_ratio[4], expected_a * 0.02);
  CU_ASSERT_DOUBLE_EQUAL(in, expected_a * k->balance_in_ratio[2], expected_a * 0.02);
  CU_ASSERT_TRUE(fabs(out / expected_a - 1) <= 0.07 && fabs(in / expected_a - 1) <= 0.07);
  for (guint cell = 1; cell <= count; cell++)
    if (cell != 3 && cell != 5)
      CU_ASSERT_EQUAL(sim_board_balance_current_a(board, (int)cell), 0);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_balance_moving_a(board), out, 1e-12);
  /* 0x12A4 / 0x12A6 show it. */
  guint8 regs[4];
  CU_ASSERT_EQUAL(sim_board_map_read(board, SIM_JK_REG_BALANCE_MA, 2, regs, NULL), 0);
  CU_ASSERT_EQUAL((gint16)(regs[0] << 8 | regs[1]), (gint16)lround(out * 1000));
  CU_ASSERT_EQUAL(regs[2], 1);
  /* The current moves a little from sample to sample (the balancer's regulation). */
  hold(board, &rest, SIM_BOARD_SAMPLE_S);
  CU_ASSERT_NOT_EQUAL(sim_board_balance_current_a(board, 5), out);
  sim_board_free(board);
}

static void test_balancer_current_per_model(void)
{
  check_balance("BD4A8S4P-2648-00001", 0.4);
  check_balance(SERIAL, 2.0);
  check_balance("B5A25S60P-2648-00001", 5.0);
}

static void test_balancer_conditions(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  const SimBoardConstants *k = sim_board_constants(board);
  SimBoardInputs rest = with_current(0);
  set_all_readings(board, 3450);
  set_cell_reading(board, 5, 3455);          /* 5 mV above: below the 10 mV trigger */
  hold(board, &rest, 1);
  CU_ASSERT_FALSE(sim_board_balancing(board));
  CU_ASSERT_EQUAL(sim_board_balance_current_a(board, 5), 0);
  set_cell_reading(board, 5, 3470);
  hold(board, &rest, 1);
  CU_ASSERT_TRUE(sim_board_balancing(board));
  /* Below the start voltage (3400): off. */
  set_all_readings(board, 3300);
  set_cell_reading(board, 5, 3390);
  hold(board, &rest, 1);
  CU_ASSERT_FALSE(sim_board_balancing(board));
  /* Disabled (0x1078 = 0): off. */
  set_cell_reading(board, 5, 3500);
  write_setting(board, SIM_JK_REG_BALANCE_ENABLE, 0);
  hold(board, &rest, 1);
  CU_ASSERT_FALSE(sim_board_balancing(board));
  CU_ASSERT_EQUAL(sim_board_balance_current_a(board, 5), 0);
  /* Limited by 0x1048. */
  write_setting(board, SIM_JK_REG_BALANCE_ENABLE, 1);
  write_setting(board, SIM_JK_REG_MAX_BALANCE_MA, 1200);
  hold(board, &rest, 1);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_balance_current_a(board, 5), 1.2 * k->balance_out_ratio[4],
                         1.2 * 0.02);
  sim_board_free(board);

  /* balance-dead:5: the firmware balances but that channel moves nothing. */
  board = new_board(SERIAL, "balance-dead:5");
  k = sim_board_constants(board);
  set_all_readings(board, 3450);
  set_cell_reading(board, 5, 3550);
  hold(board, &rest, 1);
  CU_ASSERT_TRUE(sim_board_balancing(board));
  CU_ASSERT_EQUAL(sim_board_balance_current_a(board, 5), 0);
  CU_ASSERT_EQUAL(sim_board_balance_moving_a(board), 0);
  set_cell_reading(board, 5, 3450);
  set_cell_reading(board, 6, 3550);
  hold(board, &rest, 1);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_balance_current_a(board, 6), 2.0 * k->balance_out_ratio[5],
                         2.0 * 0.02);
  sim_board_free(board);
}

/* ---- heater ---- */

static void test_heater(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  SimBoardInputs cold = with_current(0);
  cold.ntc_ohm[0] = ntc_ohm(-10);
  cold.heater_supply_v = 40;
  cold.heater_load_ohm = 20;
  /* Heater not enabled: charging off, no heating. */
  hold(board, &cold, 1);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  CU_ASSERT_FALSE(sim_board_heater_on(board));
  CU_ASSERT_EQUAL(sim_board_heater_current_a(board, 40, 20), 0);
  /* Enabled (0x1114 bit 0): U over the load and the board's switch. */
  double ohm = 20 + sim_board_constants(board)->heater_switch_ohm;
  guint8 bits[2] = {0x00, 0x01};
  CU_ASSERT_TRUE(sim_board_write_settings(board, SIM_JK_REG_CONTROL_BITS - SIM_JK_REG_SETTINGS, bits, 2,
                                          NULL));
  hold(board, &cold, 1);
  CU_ASSERT_TRUE(sim_board_heater_on(board));
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  CU_ASSERT_DOUBLE_EQUAL(sim_board_heater_current_a(board, 40, 20), 40 / ohm, 1e-12);
  CU_ASSERT_TRUE(40 / ohm < 2.0 * 0.995 && 40 / ohm > 2.0 * 0.97);
  /* No limiter at 3 A: a load too small for the pack draws U/R beyond it. */
  CU_ASSERT_DOUBLE_EQUAL(sim_board_heater_current_a(board, 79.2, 20), 79.2 / ohm, 1e-12);
  CU_ASSERT_EQUAL(sim_board_heater_current_a(board, 40, INFINITY), 0);
  guint8 regs[2];
  CU_ASSERT_EQUAL(sim_board_map_read(board, SIM_JK_REG_HEATER_MA, 1, regs, NULL), 0);
  CU_ASSERT_EQUAL(regs[0] << 8 | regs[1], lround(40 / ohm * 1000));
  CU_ASSERT_EQUAL(sim_board_map_read(board, SIM_JK_REG_HEATER_ON - 1, 1, regs, NULL), 0);
  CU_ASSERT_EQUAL(regs[1], 1);
  /* Warm again (above the 5.0 °C recovery): heater off, charging on. */
  SimBoardInputs warm = cold;
  warm.ntc_ohm[0] = ntc_ohm(6);
  hold(board, &warm, 1);
  CU_ASSERT_FALSE(sim_board_heater_on(board));
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  CU_ASSERT_EQUAL(sim_board_heater_current_a(board, 40, 20), 0);
  sim_board_free(board);

  /* A model without the heater option never heats. */
  board = new_board("B5A25S60P-2648-00001", NULL);
  CU_ASSERT_TRUE(sim_board_write_settings(board, SIM_JK_REG_CONTROL_BITS - SIM_JK_REG_SETTINGS, bits, 2,
                                          NULL));
  hold(board, &cold, 1);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  CU_ASSERT_FALSE(sim_board_heater_on(board));
  CU_ASSERT_EQUAL(sim_board_heater_current_a(board, 40, 20), 0);
  sim_board_free(board);

  /* heater-open: commanded on, no current. */
  board = new_board(SERIAL, "heater-open");
  CU_ASSERT_TRUE(sim_board_write_settings(board, SIM_JK_REG_CONTROL_BITS - SIM_JK_REG_SETTINGS, bits, 2,
                                          NULL));
  hold(board, &cold, 1);
  CU_ASSERT_TRUE(sim_board_heater_on(board));
  CU_ASSERT_EQUAL(sim_board_heater_current_a(board, 40, 20), 0);
  sim_board_free(board);

  /* heater-stuck-on: current at 25 °C with the heater commanded off. */
  board = new_board(SERIAL, "heater-stuck-on");
  hold(board, &warm, 1);
  CU_ASSERT_FALSE(sim_board_heater_on(board));
  CU_ASSERT_DOUBLE_EQUAL(sim_board_heater_current_a(board, 40, 20),
                         40 / (20 + sim_board_constants(board)->heater_switch_ohm), 1e-12);
  sim_board_free(board);
}

/* ---- coulomb counter ---- */

static void test_coulomb_counter(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  /* Start: the average cell voltage between SOC-0 % (3000) and SOC-100 % (3450). */
  set_all_readings(board, 3225);
  sim_board_reset(board, FALSE, SIM_BOARD_DEFAULT_VERSION);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_soc_pct(board), 50.0, 0.3);
  double before = sim_board_remaining_mah(board);
  /* One hour at 10 A: 10 Ah more, as the board measures the current. */
  SimBoardInputs in = with_current(10);
  hold(board, &in, 3600);
  const SimBoardConstants *k = sim_board_constants(board);
  double measured_ma = k->current_gain * 10000 + k->current_offset_ma;
  CU_ASSERT_DOUBLE_EQUAL(sim_board_remaining_mah(board) - before, measured_ma, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_soc_pct(board), 60.0, 0.6);
  /* A cell at SOC-100 % sets it full. */
  set_cell_reading(board, 1, 3455);
  hold(board, &in, 1);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_soc_pct(board), 100.0, 1e-9);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_remaining_mah(board), 100000.0, 1e-9);
  sim_board_free(board);
}

/* ---- faults ---- */

static void test_mosfet_faults(void)
{
  /* chg-fet-short: charging continues with the charge MOSFET off; the firmware sees the
   * current and raises bit 16. */
  SimBoard *board = new_board(SERIAL, "chg-fet-short");
  write_setting(board, SIM_JK_REG_CHARGE_ENABLE, 0);
  SimBoardInputs rest = with_current(0);
  hold(board, &rest, 1);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  CU_ASSERT_TRUE(sim_board_conducts_charge(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);
  SimBoardInputs charging = with_current(5);
  hold(board, &charging, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_CHG_MOS_FAULT);
  sim_board_free(board);

  /* A healthy board tripping with current still flowing (the physics not yet re-solved) does
   * not raise the MOSFET fault. */
  board = new_board(SERIAL, NULL);
  write_setting(board, SIM_JK_REG_CHG_OCP_MA, 20000);
  write_setting(board, SIM_JK_REG_CHG_OCP_DELAY_S, 2);
  SimBoardInputs above = with_current(25);
  hold(board, &above, 10);
  CU_ASSERT_FALSE(sim_board_conducts_charge(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_CHG_OCP);
  sim_board_free(board);

  /* dsg-fet-open: the discharge path never conducts; with a load, P- rises to the pack and
   * the firmware raises bit 17. */
  board = new_board(SERIAL, "dsg-fet-open");
  CU_ASSERT_TRUE(sim_board_discharge_mos_on(board));
  CU_ASSERT_FALSE(sim_board_conducts_discharge(board));
  CU_ASSERT_TRUE(sim_board_conducts_charge(board));
  SimBoardInputs open_path = with_current(0);
  open_path.path_drop_v = 79.0;
  hold(board, &open_path, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_DSG_MOS_FAULT);
  sim_board_free(board);

  /* A healthy board carrying a large current: the drop is I·R, no fault. */
  board = new_board(SERIAL, NULL);
  SimBoardInputs heavy = with_current(-300);
  heavy.path_drop_v = 300 * sim_board_path_resistance_ohm(board);
  hold(board, &heavy, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board) & SIM_JK_ALARM_DSG_MOS_FAULT, 0);
  sim_board_free(board);
}

static void test_ocp_dead(void)
{
  SimBoard *board = new_board(SERIAL, "ocp-dead");
  write_setting(board, SIM_JK_REG_CHG_OCP_MA, 20000);
  write_setting(board, SIM_JK_REG_DSG_OCP_MA, 20000);
  SimBoardInputs charge = with_current(100);
  hold(board, &charge, 1000);
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  SimBoardInputs discharge = with_current(-100);
  hold(board, &discharge, 1000);
  CU_ASSERT_TRUE(sim_board_discharge_mos_on(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);
  /* The short-circuit comparator still works. */
  SimBoardInputs shorted = with_current(-2000);
  hold(board, &shorted, 0.01);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_DSG_SCP);
  sim_board_free(board);
}

static void test_shunt_and_path_faults(void)
{
  SimBoard *healthy = new_board(SERIAL, NULL);
  SimBoard *shunt = new_board(SERIAL, "shunt:3");
  SimBoardInputs in = with_current(20);
  hold(healthy, &in, 0);
  hold(shunt, &in, 0);
  double a = 0, b = 0;
  for (int i = 0; i < 50; i++) {
    a += sim_board_read_current_ma(healthy);
    b += sim_board_read_current_ma(shunt);
  }
  const SimBoardConstants *k = sim_board_constants(healthy);
  CU_ASSERT_DOUBLE_EQUAL(b / 50 - k->current_offset_ma,
                         (a / 50 - k->current_offset_ma) * 1.03, 10);
  /* Gain and shunt error within ±10 %: calibration corrects it. */
  CU_ASSERT(k->current_gain * 1.03 > 0.9 && k->current_gain * 1.03 < 1.1);
  CU_ASSERT_TRUE(sim_board_calibrate_current(shunt, 20000, NULL));
  CU_ASSERT_DOUBLE_EQUAL(sim_board_read_current_ma(shunt), 20000, 30);
  sim_board_free(shunt);
  /* Beyond: calibration refuses it (25 % is beyond whatever the board's own gain adds). */
  shunt = new_board(SERIAL, "shunt:25");
  hold(shunt, &in, 0);
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(sim_board_calibrate_current(shunt, 20000, &error));
  CU_ASSERT_EQUAL(sim_board_current_factor(shunt), 1.0f);
  sim_board_free(shunt);

  /* Path resistance: the datasheet's 0.47 mΩ within ±5 %, times the path-res factor. */
  double r = sim_board_path_resistance_ohm(healthy);
  CU_ASSERT_DOUBLE_EQUAL(r, 0.47e-3, 0.47e-3 * 0.05);
  SimBoard *slow = new_board(SERIAL, "path-res:2.5");
  CU_ASSERT_DOUBLE_EQUAL(sim_board_path_resistance_ohm(slow), 2.5 * r, 1e-12);
  sim_board_free(slow);
  sim_board_free(healthy);
}

/* ---- firmware state ---- */

static void test_reset_and_silence(void)
{
  SimBoard *board = new_board(SERIAL, NULL);
  CU_ASSERT_TRUE(sim_board_firmware_running(board));
  CU_ASSERT_STRING_EQUAL(sim_board_sw_version(board), "11.26");
  /* A trip is live state: a reset clears it. */
  set_cell_reading(board, 4, 3700);
  SimBoardInputs rest = with_current(0);
  hold(board, &rest, 1);
  CU_ASSERT_EQUAL(sim_board_alarms(board), SIM_JK_ALARM_CELL_OVP);
  set_cell_reading(board, 4, 3300);
  sim_board_reset(board, TRUE, NULL);        /* ROM bootloader: nothing runs */
  CU_ASSERT_FALSE(sim_board_firmware_running(board));
  CU_ASSERT_FALSE(sim_board_answers_rs485(board));
  CU_ASSERT_FALSE(sim_board_conducts_charge(board));
  CU_ASSERT_FALSE(sim_board_conducts_discharge(board));
  CU_ASSERT_EQUAL(sim_board_next_event_s(board), INFINITY);
  sim_board_reset(board, FALSE, NULL);       /* no valid image: silent */
  CU_ASSERT_FALSE(sim_board_answers_rs485(board));
  sim_board_reset(board, FALSE, "11.31");
  CU_ASSERT_TRUE(sim_board_answers_rs485(board));
  CU_ASSERT_STRING_EQUAL(sim_board_sw_version(board), "11.31");
  CU_ASSERT_TRUE(sim_board_conducts_charge(board));
  CU_ASSERT_EQUAL(sim_board_alarms(board), 0);
  /* Shutdown: both off until the next reset. */
  sim_board_shutdown(board);
  hold(board, &rest, 100);
  CU_ASSERT_FALSE(sim_board_charge_mos_on(board));
  CU_ASSERT_FALSE(sim_board_discharge_mos_on(board));
  sim_board_reset(board, FALSE, "11.31");
  CU_ASSERT_TRUE(sim_board_charge_mos_on(board));
  /* Taken out, the board is dead; put back, the same image boots. */
  sim_board_remove(board);
  CU_ASSERT_FALSE(sim_board_conducts_charge(board));
  g_autoptr(GArray) none = g_array_new(FALSE, FALSE, sizeof(SimFault));
  sim_board_insert(board, board_rig.cells, board_rig.clock, none);
  CU_ASSERT_STRING_EQUAL(sim_board_sw_version(board), "11.31");
  CU_ASSERT_TRUE(sim_board_answers_rs485(board));
  sim_board_free(board);
}

/* Every board fault of the catalog is modelled (the flash faults belong to the MCU). */
static void test_faults_modelled(void)
{
  const SimFaultKind board_faults[] = {
    SIM_FAULT_CELL_OFFSET, SIM_FAULT_VREF, SIM_FAULT_OPEN_SENSE, SIM_FAULT_CHG_FET_SHORT,
    SIM_FAULT_DSG_FET_OPEN, SIM_FAULT_OCP_DEAD, SIM_FAULT_SCP_SLOW, SIM_FAULT_NTC_OPEN,
    SIM_FAULT_BALANCE_DEAD, SIM_FAULT_HEATER_OPEN, SIM_FAULT_HEATER_STUCK_ON, SIM_FAULT_SHUNT,
    SIM_FAULT_RS485_DEAD, SIM_FAULT_PATH_RES,
  };
  for (gsize i = 0; i < G_N_ELEMENTS(board_faults); i++)
    CU_ASSERT_TRUE(sim_fault_is_modelled(board_faults[i]));
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("sim_board_firmware", setup, board_rig_close);
  CU_add_test(suite, "cell OVP/UVP trip and release thresholds", test_cell_ovp_and_uvp);
  CU_add_test(suite, "charge OCP: delay, recovery, retry", test_charge_ocp);
  CU_add_test(suite, "discharge OCP: delay, recovery, retry", test_discharge_ocp);
  CU_add_test(suite, "short circuit: us delay, recovery, scp-slow", test_short_circuit);
  CU_add_test(suite, "trip time independent of the physics' steps", test_stepping);
  CU_add_test(suite, "trips on the board's 100 ms sample grid", test_trips_on_sample_grid);
  CU_add_test(suite, "debounce: a glitch shorter than it does not trip", test_debounce);
  CU_add_test(suite, "trip times spread over boards and repeated trips", test_trip_spread);
  CU_add_test(suite, "NTC readings and temperature protections", test_ntc_and_temperature_protections);
  CU_add_test(suite, "temperature noise and spread over boards", test_temperature_noise_and_spread);
  CU_add_test(suite, "MOS temperature and MOS OTP", test_mos_temperature);
  CU_add_test(suite, "balance current per model", test_balancer_current_per_model);
  CU_add_test(suite, "balancer conditions and balance-dead", test_balancer_conditions);
  CU_add_test(suite, "heater U/R with no 3 A limiter, heater models and faults", test_heater);
  CU_add_test(suite, "coulomb counter", test_coulomb_counter);
  CU_add_test(suite, "chg-fet-short and dsg-fet-open", test_mosfet_faults);
  CU_add_test(suite, "ocp-dead", test_ocp_dead);
  CU_add_test(suite, "shunt and path-res faults", test_shunt_and_path_faults);
  CU_add_test(suite, "reset, bootloader, shutdown, reinsertion", test_reset_and_silence);
  CU_add_test(suite, "every board fault is modelled", test_faults_modelled);
  return cunit_run_all();
}
