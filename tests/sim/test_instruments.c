/* Tests of the SCPI dialects of the twin's electronic load, charger supply, DMM and switch
 * unit (and the new control-port queries), in-process on the virtual clock: for each, the
 * *IDN?, good commands and their queries, an unknown header (-113), bad values (-222/-224),
 * and the behaviour a station driver relies on (DL3000 spellings, digitizer arming, CV/CC/UR,
 * NPLC rounding and overload, channel classes and the NRST reset hook), and the latched
 * protections of the supplies and the load: a trip after its delay switches the output off,
 * shows in the status queries and holds until cleared. */
#include "tests/cunit_main.h"
#include "fixtures/sim/sim_twin.h"
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static SimTwin *twin;
static char *pty_dir;

static int setup(void)
{
  pty_dir = g_dir_make_tmp("sim-instruments-XXXXXX", NULL);
  SimTwinOptions options = {.host = "127.0.0.1", .pty_dir = pty_dir, .rs485_processing_ms = 2};
  g_autoptr(GError) error = NULL;
  twin = sim_twin_new(&options, &error);
  if (!twin)
    fprintf(stderr, "twin did not start: %s\n", error->message);
  return twin ? 0 : 1;
}

static int teardown(void)
{
  sim_twin_free(twin);
  g_rmdir(pty_dir);
  g_free(pty_dir);
  return 0;
}

/* Executes a line; returns the reply without its LF ("" when none) and checks the framing. */
static char *run(const char *role, const char *line)
{
  GString *reply = g_string_new(NULL);
  sim_scpi_execute_line(sim_twin_instrument(twin, role), line, strlen(line), reply);
  if (reply->len > 0) {
    CU_ASSERT_EQUAL(reply->str[reply->len - 1], '\n');
    CU_ASSERT_PTR_NULL(memchr(reply->str, '\n', reply->len - 1));
    g_string_truncate(reply, reply->len - 1);
  }
  return g_string_free(reply, FALSE);
}

static void expect(const char *role, const char *line, const char *expected)
{
  g_autofree char *answer = run(role, line);
  if (strcmp(answer, expected) != 0)
    fprintf(stderr, "\n  %s: '%s' answered '%s', expected '%s'\n", role, line, answer, expected);
  CU_ASSERT_STRING_EQUAL(answer, expected);
}

/* Asserts that the next error of the instrument has `code` (0: the queue is empty). */
static void expect_error(const char *role, int code)
{
  g_autofree char *entry = run(role, "SYST:ERR?");
  g_autofree char *prefix = g_strdup_printf("%d,\"", code);
  if (!g_str_has_prefix(entry, prefix))
    fprintf(stderr, "\n  %s: error queue gave '%s', expected code %d\n", role, entry, code);
  CU_ASSERT_TRUE(g_str_has_prefix(entry, prefix));
}

static double num(const char *role, const char *query)
{
  g_autofree char *answer = run(role, query);
  return g_ascii_strtod(answer, NULL);
}

static void test_idn_all(void)
{
  static const char *const idn[][2] = {
    {"cellsim", "NGI,N83624,"},
    {"eload", "Keysight Technologies,N3300A,"},
    {"charger", "RIGOL TECHNOLOGIES,DP811A,"},
    {"dmm", "Keysight Technologies,34461A,"},
    {"switch", "Keysight Technologies,34980A,"},
    {"control", "JK-EOL,fixture-sim,"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(idn); i++) {
    g_autofree char *answer = run(idn[i][0], "*IDN?");
    CU_ASSERT_TRUE(g_str_has_prefix(answer, idn[i][1]));
    /* Every instrument: unknown header -113, then an empty queue. */
    g_free(run(idn[i][0], "BOGUS:HEADER 1"));
    expect_error(idn[i][0], -113);
    expect_error(idn[i][0], 0);
    expect(idn[i][0], "*OPC?", "1");
  }
}

static void test_eload(void)
{
  expect("eload", "*RST;FUNC?;INP?;INP:SHOR?", "CURR;0;0");
  expect("eload", "FUNC VOLT;FUNC?;VOLT 55.5;VOLT?", "VOLT;5.550000E+01");
  expect("eload", "FUNC RES;FUNC?;RES 12;RES?", "RES;1.200000E+01");
  expect("eload", "FUNC CURR;CURR 2.5;CURR?", "2.500000E+00");
  /* Rigol DL3000 spellings of the same. */
  expect("eload", ":SOUR:FUNC CURR;:SOUR:CURR:LEV 3.25;:SOUR:CURR:LEV?", "3.250000E+00");
  expect("eload", ":INP:STAT ON;:INP:STAT?;:INP:STAT OFF;INP?", "1;0");
  expect("eload", "INP:SHOR ON;INP:SHOR?;INP:SHOR OFF", "1");
  /* Transients: accepted and kept. */
  expect("eload", "TRAN:MODE PULS;TRAN:MODE?;TRAN:TWID 0.002;TRAN:TWID?;CURR:TLEV 5;CURR:TLEV?",
         "PULS;2.000000E-03;5.000000E+00");
  expect("eload", "CURR:TRAN:MODE TOGG;CURR:TRAN:ALEV 1;CURR:TRAN:BLEV 4;TRAN:LEV?;TRAN ON;TRAN?",
         "4.000000E+00;1");
  expect_error("eload", 0);
  /* Bad values. */
  expect("eload", "CURR -1", "");
  expect_error("eload", -222);
  expect("eload", "FUNC POW", "");
  expect_error("eload", -224);
  expect("eload", "INP MAYBE", "");
  expect_error("eload", -224);
  expect("eload", "SENS:SWE:TINT 1e-6", "");
  expect_error("eload", -222);
  expect("eload", "SENS:SWE:POIN 2.5", "");
  expect_error("eload", -224);
  /* Digitizer settings and arming. */
  expect("eload", "SENS:SWE:POIN 64;SWE:POIN?;SWE:TINT 2e-6;SENS:SWE:TINT?", "64;2.000000E-06");
  expect("eload", "TRIG:ACQ", "");
  expect_error("eload", -211);
  expect("eload", "TRIG:ACQ:SOUR INT;TRIG:ACQ:SOUR?;TRIG:ACQ:LEV:CURR 1;TRIG:ACQ:SLOP:CURR NEG;"
                  "TRIG:ACQ:SLOP:CURR?", "INT;NEG");
  g_autofree char *fetched = run("eload", "FETC:ARR:CURR?");
  g_auto(GStrv) values = g_strsplit(fetched, ",", -1);
  CU_ASSERT_EQUAL(g_strv_length(values), 64);
  expect_error("eload", -230);
  /* Measurements answer numbers (no board: nothing flows). */
  CU_ASSERT_DOUBLE_EQUAL(num("eload", "MEAS:CURR?"), 0.0, 0.02);
  expect("eload", "*RST", "");
}

static void test_charger(void)
{
  expect("charger", "*RST;:OUTP?;:OUTP:MODE?;:SOUR:CURR?", "OFF;UR;1.0000");
  expect("charger", ":SOUR:VOLT 14.6;:SOUR:VOLT?;:SOUR1:CURR 2;:SOUR1:CURR?", "14.6000;2.0000");
  expect("charger", ":VOLT 12;:VOLT?", "12.0000");
  expect("charger", ":APPL CH1,20,3;:APPL? CH1", "CH1:120V/30A,20.0000,3.0000");
  expect("charger", ":OUTP CH1,ON;:OUTP? CH1;:OUTP:MODE? CH1", "ON;CV");
  /* Unloaded (no relay): CV at the set voltage, no current. */
  CU_ASSERT_DOUBLE_EQUAL(num("charger", ":MEAS:VOLT? CH1"), 20.0, 0.01);
  CU_ASSERT_DOUBLE_EQUAL(num("charger", ":MEAS:CURR?"), 0.0, 0.005);
  g_autofree char *all = run("charger", ":MEAS:ALL?");
  g_auto(GStrv) parts = g_strsplit(all, ",", -1);
  CU_ASSERT_EQUAL(g_strv_length(parts), 3);
  expect("charger", ":OUTP OFF;:OUTP?", "OFF");
  expect("charger", ":INST CH1;:INST?;:INST:NSEL?", "CH1;1");
  expect_error("charger", 0);
  /* Another channel, out of range values, a bad state. */
  expect("charger", ":SOUR2:VOLT 5", "");
  expect_error("charger", -114);
  expect("charger", ":OUTP CH2,ON", "");
  expect_error("charger", -222);
  expect("charger", ":SOUR:VOLT 500", "");
  expect_error("charger", -222);
  expect("charger", ":OUTP SOMETIMES", "");
  expect_error("charger", -224);
  expect("charger", "*RST", "");
}

static void test_protections(void)
{
  expect("control", "SIM:CLOCK:MODE VIRTUAL", "");
  /* The charger, unloaded at 20 V with its OVP at 10 V: it trips after its delay. */
  expect("charger", "*RST;:OUTP:OVP:VAL? CH1;:OUTP:OVP?;:OUTP:OCP:VAL?", "132.0000;ON;33.0000");
  expect("charger", ":VOLT 20;:OUTP:OVP:VAL CH1,10;:OUTP ON;:OUTP:OVP:QUES?;:OUTP?", "NO;ON");
  expect("control", "SIM:CLOCK:ADV 0.01", "");
  expect("charger", ":OUTP:OVP:QUES?;:OUTP:OCP:QUES? CH1;:OUTP?;:OUTP:MODE?", "YES;NO;OFF;UR");
  expect("charger", ":OUTP ON", "");
  expect_error("charger", -221);
  expect("charger", ":OUTP:OVP:CLEAR;:OUTP:OVP:QUES?;:OUTP?", "NO;OFF");
  /* With OVP off the same output stays on. */
  expect("charger", ":OUTP:OVP OFF;:OUTP ON", "");
  expect("control", "SIM:CLOCK:ADV 0.01", "");
  expect("charger", ":OUTP:OVP:QUES?;:OUTP?", "NO;ON");
  expect("charger", "*RST", "");
  expect_error("charger", 0);

  /* The load's levels, its status register and PROT:CLE; the control port changes a level
   * behind its back and refuses what no instrument has. */
  expect("eload", "*RST;POW:PROT?;CURR:PROT 60;CURR:PROT?;VOLT:PROT?;STAT:QUES:COND?",
         "3.000000E+04;6.000000E+01;1.500000E+02;0");
  expect("control", "SIM:INST:PROT \"eload\",\"OPP\",150", "");
  expect("eload", "POW:PROT?;PROT:CLE", "1.500000E+02");
  expect_error("eload", 0);
  expect("control", "SIM:INST:PROT \"eload\",\"OVX\",1", "");
  expect_error("control", -224);
  expect("control", "SIM:INST:PROT \"dmm\",\"OVP\",1", "");
  expect_error("control", -224);
  expect("battery", "*RST;VOLT:PROT?;CURR:PROT 50;CURR:PROT?;STAT:QUES:COND?",
         "550.0000;50.0000;0");
  expect("eload", "*RST", "");
  expect("battery", "*RST", "");
  expect("control", "SIM:CLOCK:MODE REAL", "");
}

static void test_dmm(void)
{
  expect("dmm", "*RST;CONF?", "\"VOLT +1.00000000E+01,+1.00000000E-05\"");
  /* Open input: about 0 V, in the answer format of the 34461A. */
  g_autofree char *reading = run("dmm", "MEAS:VOLT:DC?");
  CU_ASSERT_EQUAL(strlen(reading), strlen("+1.23456789E+00"));
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(reading, NULL), 0.0, 1e-5);
  /* The driver's configured form: CONF, then NPLC (rounded up to the instrument's steps). */
  expect("dmm", "CONF:VOLT:DC 0.1;VOLT:DC:NPLC 0.5;VOLT:DC:NPLC?", "+1.00000000E+00");
  expect("dmm", "CONF?", "\"VOLT +1.00000000E-01,+3.16227766E-07\"");
  expect("dmm", "VOLT:DC:NPLC 100;SENS:VOLT:DC:NPLC?", "+1.00000000E+02");
  CU_ASSERT_DOUBLE_EQUAL(num("dmm", "READ?"), 0.0, 1e-5);
  expect("dmm", "INIT", "");
  CU_ASSERT_DOUBLE_EQUAL(num("dmm", "FETC?"), 0.0, 1e-5);
  expect("dmm", "CONF:CURR:DC AUTO;CURR:DC:NPLC 1;FUNC?", "\"CURR\"");
  CU_ASSERT_DOUBLE_EQUAL(num("dmm", "READ?"), 0.0, 1e-6);
  CU_ASSERT_DOUBLE_EQUAL(num("dmm", "MEAS:CURR:DC?"), 0.0, 1e-6);
  expect("dmm", "FUNC \"VOLT\";FUNC?;VOLT:RANG 10;VOLT:RANG?;VOLT:RANG:AUTO?", "\"VOLT\";"
         "+1.00000000E+01;0");
  expect_error("dmm", 0);
  /* Bad values. */
  expect("dmm", "VOLT:DC:NPLC 1000", "");
  expect_error("dmm", -222);
  expect("dmm", "CONF:VOLT:DC 5000", "");
  expect_error("dmm", -222);
  expect("dmm", "FUNC \"FREQ\"", "");
  expect_error("dmm", -224);

  /* A fixed range too small for the input: overload. 24 V across the pack on 1 V. */
  g_free(run("cellsim", "SOUR:VOLT 1,(@1:24);OUTP:ONOFF 1,(@1:24)"));
  expect("switch", "ROUT:CLOS (@106)", "");
  expect("dmm", "CONF:VOLT:DC 1;READ?", "+9.90000000E+37");
  CU_ASSERT_DOUBLE_EQUAL(num("dmm", "MEAS:VOLT:DC?"), 24.0, 0.01);
  expect("switch", "*RST", "");
  expect("cellsim", "*RST", "");
  expect("dmm", "*RST", "");
}

static int resets;                /* NRST releases seen by the hook */
static gboolean last_boot0;       /* BOOT0 at the last release */

static void on_reset(gpointer data, gboolean boot0_high)
{
  resets++;
  last_boot0 = boot0_high;
}

static void test_switch(void)
{
  expect("switch", "*RST;ROUT:CLOS? (@101:106)", "0,0,0,0,0,0");
  expect("switch", "ROUT:CLOS (@101,103);ROUT:CLOS? (@101,102,103);ROUT:OPEN? (@101)", "1,0,1;0");
  const SimFixtureInputs *in = sim_physics_inputs(sim_twin_physics(twin));
  CU_ASSERT_TRUE(in->relay_closed[0] && in->relay_closed[2] && !in->relay_closed[1]);
  expect("switch", "ROUT:OPEN:ALL;ROUT:CLOS? (@101,103)", "0,0");
  expect("switch", "SOUR:RES 4700,(@201:203);SOUR:RES? (@201,203)", "4700.0,4700.0");
  CU_ASSERT_DOUBLE_EQUAL(in->ntc_ohm[1], 4700.0, 4700.0 * 0.0005);
  expect_error("switch", 0);

  /* Channel classes and ranges. */
  expect("switch", "ROUT:CLOS (@201)", "");
  expect_error("switch", -221);
  expect("switch", "SOUR:RES 1000,(@101)", "");
  expect_error("switch", -221);
  expect("switch", "ROUT:CLOS (@150)", "");
  expect_error("switch", -222);
  expect("switch", "ROUT:CLOS (@999)", "");
  expect_error("switch", -222);
  expect("switch", "SOUR:RES -5,(@201)", "");
  expect_error("switch", -222);
  expect("switch", "ROUT:CLOS 101", "");
  expect_error("switch", -224);

  /* NRST: released after being held, with BOOT0 as it is then. */
  sim_twin_set_mcu_reset_hook(twin, on_reset, NULL);
  resets = 0;
  expect("switch", "ROUT:OPEN (@302)", "");
  CU_ASSERT_EQUAL(resets, 0);                 /* it was not held */
  expect("switch", "ROUT:CLOS (@301,302);ROUT:CLOS? (@301,302)", "1,1");
  CU_ASSERT_TRUE(in->boot0_high && in->nrst_low);
  CU_ASSERT_EQUAL(resets, 0);
  expect("switch", "ROUT:OPEN (@302)", "");
  CU_ASSERT_EQUAL(resets, 1);
  CU_ASSERT_TRUE(last_boot0);
  expect("switch", "ROUT:CLOS (@302);ROUT:OPEN (@301);ROUT:OPEN (@302)", "");
  CU_ASSERT_EQUAL(resets, 2);
  CU_ASSERT_FALSE(last_boot0);
  sim_twin_set_mcu_reset_hook(twin, NULL, NULL);
  expect("switch", "*RST", "");
}

static void test_control_truth(void)
{
  expect("control", "SIM:CLOCK:MODE VIRTUAL;SIM:BOARD?", "NONE");
  g_autofree char *clock = run("control", "SIM:CLOCK?");
  double seconds = g_ascii_strtod(clock, NULL);
  CU_ASSERT_DOUBLE_EQUAL(seconds, round(seconds), 1e-9);   /* VIRTUAL starts on a second */
  g_autofree char *empty = g_strdup_printf("board=NONE,path_a=0.000000,heater_a=0.000000,"
                                           "pack_v=0.000000,terminal_v=0.000000,time_s=%.6f",
                                           seconds);
  expect("control", "SIM:TRUTH:STATE?", empty);
  /* 10 kΩ on each input after *RST (within the unit's 0.05 %): 25 °C. */
  g_autofree char *temps = run("control", "SIM:TRUTH:TEMP?");
  g_auto(GStrv) celsius = g_strsplit(temps, ",", -1);
  CU_ASSERT_EQUAL_FATAL(g_strv_length(celsius), 3);
  for (int i = 0; i < 3; i++)
    CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(celsius[i], NULL), 25.0, 0.015);
  g_free(run("cellsim", "SOUR:VOLT 3.3,(@1:2);OUTP:ONOFF 1,(@1:2)"));
  CU_ASSERT_DOUBLE_EQUAL(num("control", "SIM:TRUTH:PACK?"), 6.6, 0.002);
  expect("control", "SIM:BOARD:INSERT \"B2A8S20P-2648-00005\";SIM:BOARD?", "B2A8S20P-2648-00005");
  g_autofree char *state = run("control", "SIM:TRUTH:STATE?");
  CU_ASSERT_TRUE(g_str_has_prefix(state, "board=B2A8S20P-2648-00005,firmware="));
  CU_ASSERT_PTR_NOT_NULL(strstr(state, ",alarms=0x"));
  expect("control", "SIM:TRUTH:TEMP? (@4)", "");
  expect_error("control", -222);
  expect("control", "SIM:BOARD:REMOVE;*RST", "");
  expect("cellsim", "*RST", "");
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("sim_instruments", setup, teardown);
  CU_add_test(suite, "*IDN? and -113 on every instrument", test_idn_all);
  CU_add_test(suite, "electronic load: N3300A/IT8800, DL3000 spellings, digitizer", test_eload);
  CU_add_test(suite, "charger: DP800 dialect", test_charger);
  CU_add_test(suite, "DMM: 34461A dialect", test_dmm);
  CU_add_test(suite, "switch unit: relays, NTC emulation, BOOT0/NRST", test_switch);
  CU_add_test(suite, "control port: truth queries", test_control_truth);
  CU_add_test(suite, "latched protections of the supplies and the load", test_protections);
  return cunit_run_all();
}
