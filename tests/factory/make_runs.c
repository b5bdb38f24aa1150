/* Writes finished runs into a station's result database through the store's normal API, as
 * `station run` writes them (each run queued in the outbox as it ends): make_runs DB STATION
 * N SEED [PER_STEP]. Boards of two models, a failure mix with retests of the failed boards, station
 * errors and aborts, each run with its steps, measurements (one failing in a FAIL run),
 * calibrations and instruments. Serial numbers are the station's own (SEED picks the range). */
#include "db/store.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const STEPS[] = {"connect-fixture", "identify", "voltage-calibration",
                                    "current-calibration", "overcharge", "balance"};
static const char *const MODELS[] = {"B2A24S15P", "B2A8S20P"};
static const char *const OPERATORS[] = {"ana", "ben", "chloe"};

static int per_step = 3;        /* numeric measurements per step */

static gboolean write_run(Store *store, GRand *rand, const char *station, const char *serial,
                          const char *model, const char *outcome, int failing_step,
                          GError **error)
{
  const RunInstrument instruments[] = {
    {.role = "cells", .driver = "ngi-n83624", .resource = "TCPIP::cs::5025::SOCKET",
     .cal_due = "2027-03-01"},
    {.role = "dmm", .driver = "keysight-34461a", .resource = "TCPIP::dmm::5025::SOCKET"},
  };
  g_autofree char *fixture = g_strdup_printf("FX-%s", station);
  RunStart start = {
    .serial = serial, .model = model, .station_id = station, .fixture_id = fixture, .slot = 1,
    .operator_name = OPERATORS[g_rand_int_range(rand, 0, G_N_ELEMENTS(OPERATORS))],
    .sequence_name = "eol", .sequence_sha256 = "5e1f", .limits_sha256 = "a1b2",
    .app_version = "0.1.0", .order_id = "PO-4711", .chemistry = "lfp", .cell_count = 16,
    .heater = RUN_HEATER_NO, .profile = "default", .instruments = instruments,
    .n_instruments = G_N_ELEMENTS(instruments),
  };
  gint64 run_id = store_run_begin(store, &start, error);
  if (!run_id)
    return FALSE;
  for (guint s = 0; s < G_N_ELEMENTS(STEPS); s++) {
    gint64 step_id = store_step_begin(store, run_id, (int)s + 1, s ? "main" : "setup",
                                      STEPS[s], error);
    if (!step_id)
      return FALSE;
    gboolean fails = (int)s == failing_step;
    for (int k = 0; k < per_step; k++) {
      g_autofree char *name = g_strdup_printf("%s_value_%d", STEPS[s], k + 1);
      double value = 100 + 2 * (g_rand_double(rand) - 0.5) + k;
      MeasurementRecord m = {.name = name, .unit = "mV", .value = fails && k == 1 ? 120 : value,
                             .low = 90, .high = 110, .comparison = "GELE",
                             .outcome = fails && k == 1 ? "FAIL" : "PASS"};
      if (!store_measurement_add(store, step_id, &m, error))
        return FALSE;
    }
    if (s == 0) {
      MeasurementRecord idn = {.name = "cells_idn", .unit = "", .value = NAN,
                               .text = "NGI,N83624,SIM-01,1.0\ttab", .low = NAN, .high = NAN,
                               .comparison = "LOG", .outcome = "PASS"};
      if (!store_measurement_add(store, step_id, &idn, error))
        return FALSE;
    }
    if (s == 2) {
      CalibrationRecord c = {.kind = "voltage", .unit = "mV", .reference = 53000,
                             .reading_before = 53000 + 100 * g_rand_double(rand),
                             .reading_after = 53001, .factor = 1.0 + g_rand_double(rand) / 100,
                             .outcome = "PASS"};
      if (!store_calibration_add(store, run_id, step_id, &c, error))
        return FALSE;
    }
    if (!store_step_end(store, step_id, fails ? "FAIL" : "PASS", fails ? "out of limits" : NULL,
                        error))
      return FALSE;
    if (fails || ((g_str_equal(outcome, "ERROR") || g_str_equal(outcome, "ABORTED")) && s == 3))
      break;
  }
  return store_run_end(store, run_id, outcome, failing_step >= 0 ? STEPS[failing_step] : NULL,
                       failing_step >= 0 ? "out of limits" : NULL, error);
}

int main(int argc, char **argv)
{
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: make_runs DB STATION N SEED [PER_STEP]\n");
    return 64;
  }
  if (argc == 6)
    per_step = MAX(2, atoi(argv[5]));
  int n = atoi(argv[3]);
  int seed = atoi(argv[4]);
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open(argv[1], &error);
  g_autoptr(GRand) rand = g_rand_new_with_seed((guint32)seed);
  char retest[40] = "";
  int board = 0;
  for (int i = 0; store && i < n && !error; i++) {
    char serial[40];
    const char *model = MODELS[i % 2];
    if (retest[0]) {
      g_strlcpy(serial, retest, sizeof serial);
      model = g_str_has_prefix(serial, MODELS[0]) ? MODELS[0] : MODELS[1];
    } else {
      g_snprintf(serial, sizeof serial, "%s-2649-%05d", model, seed * 1000 + ++board);
    }
    retest[0] = '\0';
    double u = g_rand_double(rand);
    const char *outcome = u < 0.05 ? "ERROR" : u < 0.07 ? "ABORTED" : u < 0.25 ? "FAIL" : "PASS";
    int failing = g_str_equal(outcome, "FAIL") ? g_rand_int_range(rand, 1, G_N_ELEMENTS(STEPS))
                                              : -1;
    write_run(store, rand, argv[2], serial, model, outcome, failing, &error);
    if (g_str_equal(outcome, "FAIL"))
      g_strlcpy(retest, serial, sizeof retest);
  }
  if (error || !store) {
    fprintf(stderr, "make_runs: %s\n", error ? error->message : "no store");
    return 2;
  }
  return 0;
}
