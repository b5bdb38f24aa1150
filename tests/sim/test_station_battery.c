/* The station's battery emulator driver (fixtures/battery) against the twin's emulator in a
 * fixture-sim process built with the emulator on B+/B-: the pack current flows through the
 * emulator, the driver reads it and its regime, a limit reached mid-step is reported as a
 * compliance error naming the limit, a set-point beyond the fixture file's ratings is refused
 * before anything is sent, and the safe state switches the output off. */
#include "tests/cunit_main.h"
#include "tests/sim/sim_harness.h"
#include "fixtures/battery/battery.h"
#include "fixtures/fixture_error.h"
#include <math.h>
#include <string.h>
#include <unistd.h>

#define SERIAL "B2A24S15P-2648-00017"
#define CELLS 24
#define CELL_V 3.3

static const BatteryRatings ratings = {500, 90, 18000};

/* Sends a command line on an open instrument socket and checks its error queue is empty. */
static void command(int fd, const char *line)
{
  g_autofree char *text = g_strconcat(line, "\n", NULL);
  CU_ASSERT_TRUE(harness_send(fd, text));
  g_autofree char *error = harness_query(fd, "SYST:ERR?");
  if (!error || !g_str_has_prefix(error, "0,"))
    fprintf(stderr, "\n  '%s' gave %s\n", line, error ? error : "(nothing)");
  CU_ASSERT_TRUE(error && g_str_has_prefix(error, "0,"));
}

static void test_driver_on_the_twin(void)
{
  const char *args[] = {"--power-path", "battery", "--board", SERIAL, NULL};
  g_autoptr(GError) error = NULL;
  SimHarness *harness = harness_start(args, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(harness);
  CU_ASSERT_TRUE_FATAL(harness->battery_port != 0);
  int cells = harness_connect(harness->cellsim_port);
  int sw = harness_connect(harness->switch_port);
  int load = harness_connect(harness->eload_port);
  command(cells, "SOUR:VOLT 3.3,(@1:24);SOUR:OUTCURR 0.5,(@1:24);OUTP:ONOFF 1,(@1:24)");

  g_autofree char *resource = g_strdup_printf("TCPIP::127.0.0.1::%u::SOCKET",
                                              harness->battery_port);
  Battery *battery = battery_open(resource, &ratings, &error);
  g_assert_no_error(error);
  CU_ASSERT_STRING_EQUAL(battery_idn(battery)->manufacturer, "ITECH Ltd.");
  CU_ASSERT_TRUE(battery_set_voltage(battery, CELLS * CELL_V, &error));
  CU_ASSERT_TRUE(battery_set_limits(battery, 20, 20, &error));
  CU_ASSERT_TRUE(battery_set_output(battery, TRUE, &error));
  g_assert_no_error(error);

  /* 10 A into the load: out of the emulator, in CV. */
  command(sw, "ROUT:CLOS (@101)");
  command(load, "FUNC CURR;CURR 10;INP ON");
  double amps = 0, volts = 0;
  CU_ASSERT_TRUE(battery_measure_current(battery, &amps, &error));
  CU_ASSERT_TRUE(battery_measure_voltage(battery, &volts, &error));
  CU_ASSERT_DOUBLE_EQUAL(amps, 10.0, 0.7);
  CU_ASSERT_DOUBLE_EQUAL(volts, CELLS * CELL_V, 0.2);
  BatteryRegime regime = BATTERY_OFF;
  CU_ASSERT_TRUE(battery_regime(battery, &regime, &error));
  CU_ASSERT_EQUAL(regime, BATTERY_CV);
  CU_ASSERT_TRUE(battery_check_compliance(battery, &error));
  g_assert_no_error(error);

  /* A source limit just below what the load draws: CC+, the cell channels give the rest
   * within their limit (the pack sags a little), a compliance error names the limit: the
   * setting that reaches it reports it, and so does an explicit check. */
  CU_ASSERT_FALSE(battery_set_limits(battery, 9.8, 20, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIXTURE_ERROR, FIXTURE_ERROR_COMPLIANCE));
  CU_ASSERT_PTR_NOT_NULL(error ? strstr(error->message, "(limit 9.8 A)") : NULL);
  g_clear_error(&error);
  CU_ASSERT_TRUE(battery_regime(battery, &regime, &error));
  CU_ASSERT_EQUAL(regime, BATTERY_CC_SOURCE);
  CU_ASSERT_FALSE(battery_check_compliance(battery, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIXTURE_ERROR, FIXTURE_ERROR_COMPLIANCE));
  CU_ASSERT_PTR_NOT_NULL(error ? strstr(error->message, "source current limit") : NULL);
  g_clear_error(&error);

  /* Beyond the ratings: refused before sending. */
  CU_ASSERT_FALSE(battery_set_voltage(battery, 501, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIXTURE_ERROR, FIXTURE_ERROR_CONFIG));
  g_clear_error(&error);

  CU_ASSERT_TRUE(battery_safe_state(battery, &error));
  CU_ASSERT_TRUE(battery_regime(battery, &regime, &error));
  CU_ASSERT_EQUAL(regime, BATTERY_OFF);
  battery_close(battery);
  close(cells);
  close(sw);
  close(load);
  CU_ASSERT_EQUAL(harness_stop(harness, NULL), 0);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("station_battery", NULL, NULL);
  CU_add_test(suite, "battery emulator driver against the twin", test_driver_on_the_twin);
  return cunit_run_all();
}
