/* Tests of the twin's SCPI engine and cell simulator, called directly (no process, no
 * socket): syntax, header matching, common commands, the error queue, channel lists, the
 * N83624 commands, and a fuzz run of random lines. */
#include "tests/cunit_main.h"
#include "fixtures/sim/sim_cellsim.h"
#include "fixtures/sim/sim_scpi.h"
#include "fixtures/sim/sim_control.h"
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static SimCellsim *cellsim;

/* Executes one line on the cell simulator and returns its reply (without LF), "" if none. */
static char *run(const char *line)
{
  GString *reply = g_string_new(NULL);
  sim_scpi_execute_line(sim_cellsim_scpi(cellsim), line, strlen(line), reply);
  if (reply->len > 0) {
    CU_ASSERT_EQUAL(reply->str[reply->len - 1], '\n');
    CU_ASSERT_PTR_NULL(memchr(reply->str, '\n', reply->len - 1));
    g_string_truncate(reply, reply->len - 1);
  }
  return g_string_free(reply, FALSE);
}

/* Asserts that `line` answers exactly `expected`. */
static void expect(const char *line, const char *expected)
{
  g_autofree char *answer = run(line);
  if (strcmp(answer, expected) != 0)
    fprintf(stderr, "\n  '%s' answered '%s', expected '%s'\n", line, answer, expected);
  CU_ASSERT_STRING_EQUAL(answer, expected);
}

/* Asserts that the next queued error has this code. */
static void expect_error(int code)
{
  g_autofree char *entry = sim_scpi_pop_error(sim_cellsim_scpi(cellsim));
  g_autofree char *prefix = g_strdup_printf("%d,\"", code);
  if (!g_str_has_prefix(entry, prefix))
    fprintf(stderr, "\n  error queue gave '%s', expected code %d\n", entry, code);
  CU_ASSERT_TRUE(g_str_has_prefix(entry, prefix));
}

static int setup(void)
{
  cellsim = sim_cellsim_new(12345);
  return 0;
}

static int teardown(void)
{
  sim_cellsim_free(cellsim);
  return 0;
}

static void test_number_syntax(void)
{
  double v = 0;
  CU_ASSERT_TRUE(sim_scpi_parse_number("3.3", &v));
  CU_ASSERT_DOUBLE_EQUAL(v, 3.3, 1e-12);
  CU_ASSERT_TRUE(sim_scpi_parse_number(" -1.5e-3 ", &v));
  CU_ASSERT_DOUBLE_EQUAL(v, -1.5e-3, 1e-15);
  CU_ASSERT_TRUE(sim_scpi_parse_number(".5", &v));
  CU_ASSERT_FALSE(sim_scpi_parse_number("", &v));
  CU_ASSERT_FALSE(sim_scpi_parse_number("3.3V", &v));
  CU_ASSERT_FALSE(sim_scpi_parse_number("0x10", &v));
  CU_ASSERT_FALSE(sim_scpi_parse_number("nan", &v));
  CU_ASSERT_FALSE(sim_scpi_parse_number("inf", &v));
  CU_ASSERT_FALSE(sim_scpi_parse_number("1e999", &v));
}

/* Parses a list and returns it as "1,2,3" (or "ERR<code>"). */
static char *channels_of(const char *text, guint max)
{
  g_autoptr(GArray) channels = g_array_new(FALSE, FALSE, sizeof(guint));
  int code = 0;
  if (!sim_scpi_parse_channel_list(text, max, channels, &code)) {
    CU_ASSERT_EQUAL(channels->len, 0);
    return g_strdup_printf("ERR%d", code);
  }
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < channels->len; i++)
    g_string_append_printf(out, "%s%u", i ? "," : "", g_array_index(channels, guint, i));
  return g_string_free(out, FALSE);
}

static void expect_channels(const char *text, const char *expected)
{
  g_autofree char *got = channels_of(text, 25);
  if (strcmp(got, expected) != 0)
    fprintf(stderr, "\n  '%s' parsed as '%s', expected '%s'\n", text, got, expected);
  CU_ASSERT_STRING_EQUAL(got, expected);
}

static void test_channel_lists(void)
{
  expect_channels("(@1)", "1");
  expect_channels("(@1:4)", "1,2,3,4");
  expect_channels("(@1,3,5:8)", "1,3,5,6,7,8");
  expect_channels(" ( @ 2 , 4 : 5 ) ", "ERR-224");   /* "( @" is not a list opener */
  expect_channels("(@ 2 , 4 : 5 )", "2,4,5");
  expect_channels("(@4:2)", "4,3,2");
  expect_channels("(@25)", "25");
  expect_channels("(@0)", "ERR-222");
  expect_channels("(@1:26)", "ERR-222");
  expect_channels("(@)", "ERR-224");
  expect_channels("(@1,)", "ERR-224");
  expect_channels("(@1:)", "ERR-224");
  expect_channels("(@1", "ERR-224");
  expect_channels("(@1)x", "ERR-224");
  expect_channels("@1", "ERR-224");
  expect_channels("(@a)", "ERR-224");
  expect_channels("(@99999999999)", "ERR-224");
}

static void test_split(void)
{
  g_auto(GStrv) pieces = sim_scpi_split(" 3.3 , (@1,2) ,\"a,b;c\" ", ',');
  CU_ASSERT_EQUAL(g_strv_length(pieces), 3);
  CU_ASSERT_STRING_EQUAL(pieces[0], "3.3");
  CU_ASSERT_STRING_EQUAL(pieces[1], "(@1,2)");
  CU_ASSERT_STRING_EQUAL(pieces[2], "\"a,b;c\"");
  g_auto(GStrv) none = sim_scpi_split("   ", ',');
  CU_ASSERT_EQUAL(g_strv_length(none), 0);
}

static void test_common_commands(void)
{
  g_free(run("*CLS"));
  g_autofree char *idn = run("*IDN?");
  CU_ASSERT_TRUE(g_str_has_prefix(idn, "NGI,N83624,SIM"));
  CU_ASSERT_TRUE(g_str_has_suffix(idn, ",1.0.0-twin"));
  expect("*OPC?", "1");
  expect("*ESR?", "0");
  expect("*STB?", "0");
  expect("SYST:ERR?", "0,\"No error\"");

  /* An unknown header queues -113, sets the command error bit and the STB error bit. */
  expect("FOO:BAR 1", "");
  expect("*STB?", "4");
  expect("*ESR?", "32");
  expect("*ESR?", "0");
  expect("SYSTem:ERRor:NEXT?", "-113,\"Undefined header; FOO:BAR\"");
  expect("SYST:ERR?", "0,\"No error\"");

  /* Several commands on a line answer in one line joined by ';'; a trailing CR is ignored. */
  expect("*OPC?;SYST:CHAN?;*TST?\r", "1;25;0");
  /* A command error drops the rest of its line, a query there included (IEEE 488.2). */
  expect("FOO:BAR 1;:SYST:ERR?", "");
  expect("SYST:ERR?", "-113,\"Undefined header; FOO:BAR\"");
  expect("*OPC?;FOO;*OPC?", "1");
  expect("SYST:ERR?", "-113,\"Undefined header; FOO\"");
  expect("*IDN? 1", "");
  expect_error(-108);
  expect("*BOGUS?", "");
  expect_error(-113);
  expect("*ESE 255", "");
  expect("*ESE?", "255");
  expect("FOO", "");
  expect("*STB?", "36");
  g_free(run("*CLS"));
  expect("*STB?", "0");
  expect("*ESE 0", "");
  expect("SYST:ERR:COUN?", "0");
}

static void test_error_queue_overflow(void)
{
  g_free(run("*CLS"));
  for (int i = 0; i < SIM_SCPI_ERROR_QUEUE_MAX + 5; i++)
    g_free(run("NOPE"));
  CU_ASSERT_EQUAL(sim_scpi_error_count(sim_cellsim_scpi(cellsim)), SIM_SCPI_ERROR_QUEUE_MAX);
  for (int i = 0; i < SIM_SCPI_ERROR_QUEUE_MAX - 1; i++)
    expect_error(-113);
  expect_error(-350);
  expect_error(0);
}

static void test_headers(void)
{
  g_free(run("*RST"));
  /* Short and long forms, any case, optional leading colon. */
  expect("SOUR1:VOLT 1.5;sour2:volt 1.6;:Source3:Voltage 1.7;SOURCE4:VOLTAGE 1.8", "");
  expect("SOUR1:VOLT?;SOUR2:VOLT?;SOUR3:VOLT?;SOUR4:VOLT?", "1.50000;1.60000;1.70000;1.80000");
  /* No suffix means channel 1. */
  expect("SOUR:VOLT 2.5", "");
  expect("SOUR1:VOLT?", "2.50000");
  /* Partial mnemonics are neither short nor long forms. */
  expect("SOU1:VOLT 1", "");
  expect_error(-113);
  expect("SOURC1:VOLT 1", "");
  expect_error(-113);
  /* A set-only command used as query, and a query used as set. */
  expect("SOUR1:VOLT", "");
  expect_error(-109);
  expect("SYST:CHAN", "");
  expect_error(-113);
  /* Suffix out of the channel range. */
  expect("SOUR26:VOLT 1", "");
  expect_error(-114);
  expect("SOUR0:VOLT?", "");
  expect_error(-114);
  expect("SYST:ERR?", "0,\"No error\"");
}

static void test_cellsim_commands(void)
{
  g_free(run("*RST"));
  expect("SYST:CHAN?", "25");
  expect("SOUR:VOLT 2.0,(@1,3,5:8)", "");
  expect("SOUR:VOLT? (@1:9)",
         "2.00000,0.00000,2.00000,0.00000,2.00000,2.00000,2.00000,2.00000,0.00000");
  expect("OUTP:ONOFF 1,(@1:3)", "");
  expect("OUTP:ONOFF? (@1:4)", "1,1,1,0");
  expect("OUTP2:ONOFF OFF;OUTP4:ONOFF ON", "");
  expect("OUTP:ONOFF? (@1:4)", "1,0,1,1");
  expect("OUTP4:ONOFF?", "1");

  /* Out of range and bad parameters go to the queue and change nothing. */
  expect("SOUR1:VOLT 5.1", "");
  expect_error(-222);
  expect("SOUR1:VOLT -0.1", "");
  expect_error(-222);
  expect("SOUR1:VOLT abc", "");
  expect_error(-224);
  expect("SOUR:VOLT 1,(@0:3)", "");
  expect_error(-222);
  expect("SOUR:VOLT 1,(@x)", "");
  expect_error(-224);
  expect("SOUR2:VOLT 1,(@3)", "");
  expect_error(-108);
  expect("OUTP1:ONOFF maybe", "");
  expect_error(-224);
  expect("SOUR1:VOLT?", "2.00000");
  expect("SYST:ERR?", "0,\"No error\"");

  /* Readback follows the true output: set + source error (±0.5 mV) + readback error
   * (±0.2 mV) + noise (0.05 mV rms). */
  expect("SOUR1:VOLT 3.3;OUTP1:ONOFF 1", "");
  g_autofree char *measured = run("MEAS1:VOLT?");
  double v = g_ascii_strtod(measured, NULL);
  CU_ASSERT_DOUBLE_EQUAL(v, 3.3, 0.0009);
  CU_ASSERT_DOUBLE_EQUAL(sim_cellsim_output_v(cellsim, 1), 3.3, 0.0005);
  g_autofree char *list = run("MEAS:VOLT? (@1:3)");
  g_auto(GStrv) values = g_strsplit(list, ",", -1);
  CU_ASSERT_EQUAL(g_strv_length(values), 3);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(values[1], NULL), 0.0, 1e-9); /* output 2 is off */
  CU_ASSERT_DOUBLE_EQUAL(sim_cellsim_output_v(cellsim, 2), 0.0, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(values[2], NULL), 2.0, 0.0009);

  /* Current in mA: the load the board draws. */
  sim_cellsim_set_load_a(cellsim, 1, 0.25);
  g_autofree char *current = run("MEAS1:CURR?");
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(current, NULL), 250.0, 0.1);
  sim_cellsim_set_load_a(cellsim, 1, 0);

  expect("SOUR3:OUTCURR 0.5", "");
  expect("SOUR3:OUTCURR?", "0.5000");
  expect("SOUR3:OUTCURR 6.5", "");
  expect_error(-222);

  /* *RST: all outputs off at 0 V. */
  expect("*RST", "");
  expect("OUTP:ONOFF? (@1:3)", "0,0,0");
  expect("MEAS:VOLT? (@1)", "0.00000");
}

/* Random lines made mostly of SCPI-ish characters: the engine must neither crash nor leak,
 * keep its queue bounded, and still answer a good command afterwards. */
static void test_fuzz_lines(void)
{
  static const char alphabet[] = "SOURVLTMEACHNPF?*:;,()@ 0123456789.-+eE\"'\r\t#&x\xff";
  GRand *rng = g_rand_new_with_seed(20240611);
  SimScpi *scpi = sim_cellsim_scpi(cellsim);
  for (int i = 0; i < 20000; i++) {
    char line[200];
    gsize length = (gsize)g_rand_int_range(rng, 0, sizeof line);
    gboolean raw_bytes = g_rand_int_range(rng, 0, 4) == 0;
    for (gsize k = 0; k < length; k++)
      line[k] = raw_bytes ? (char)g_rand_int_range(rng, 0, 256)
                          : alphabet[g_rand_int_range(rng, 0, sizeof alphabet - 1)];
    GString *reply = g_string_new(NULL);
    sim_scpi_execute_line(scpi, line, length, reply);
    CU_ASSERT_TRUE(reply->len == 0 || reply->str[reply->len - 1] == '\n');
    g_string_free(reply, TRUE);
    CU_ASSERT_TRUE(sim_scpi_error_count(scpi) <= SIM_SCPI_ERROR_QUEUE_MAX);
  }
  g_rand_free(rng);
  g_free(run("*CLS"));
  g_autofree char *idn = run("*IDN?");
  CU_ASSERT_TRUE(g_str_has_prefix(idn, "NGI,N83624,SIM"));
  expect("SOUR5:VOLT 1.25;SOUR5:VOLT?", "1.25000");
}

/* Random sequences of control-port tokens (headers, serials, fault lists, numbers, channel
 * lists, separators) into an in-process twin's control engine: inserts, removals and clock
 * changes in any order must neither crash nor leak, and the port still answers. */
static void test_fuzz_control_lines(void)
{
  static const char *const tokens[] = {
    "SIM:BOARD:INSERT ", "SIM:BOARD:REMOVE", "SIM:BOARD?", "SIM:BOARD:FAULTS?", "SIM:CLOCK?",
    "SIM:CLOCK:MODE ", "SIM:CLOCK:MODE?", "SIM:CLOCK:ADV ", "SIM:TRUTH:CELL? ", "SYST:ERR?",
    "*IDN?", "*RST", "\"B2A24S15P-2648-00017\"", "\"b1a8s20p-2601-00001\"", "\"NOPE-2648-1\"",
    "\"cell-offset:3:12,vref:0.5\"", "\"open-sense:2,rs485-dead\"", "\"flash-bad:0x0800\"",
    "\"vref:\"", "REAL", "VIRTUAL", "60", "-1", "1e9", "(@1:25)", "(@3,1:2)", "(@0)", ",", ";",
    " ", ":", "\"", "'", "(", ")", "?", "\r",
  };
  g_autofree char *dir = g_dir_make_tmp("sim-fuzz-XXXXXX", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
  SimTwinOptions options = {.host = "127.0.0.1", .pty_dir = dir, .rs485_processing_ms = 2};
  g_autoptr(GError) error = NULL;
  SimTwin *twin = sim_twin_new(&options, &error);
  if (!twin)
    fprintf(stderr, "\n  twin did not start: %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(twin);
  SimScpi *control = sim_control_new(twin);
  GRand *rng = g_rand_new_with_seed(777);
  for (int i = 0; i < 5000; i++) {
    GString *line = g_string_new(NULL);
    int n = g_rand_int_range(rng, 1, 8);
    for (int k = 0; k < n; k++)
      g_string_append(line, tokens[g_rand_int_range(rng, 0, G_N_ELEMENTS(tokens))]);
    GString *reply = g_string_new(NULL);
    sim_scpi_execute_line(control, line->str, line->len, reply);
    CU_ASSERT_TRUE(reply->len == 0 || reply->str[reply->len - 1] == '\n');
    g_string_free(reply, TRUE);
    g_string_free(line, TRUE);
  }
  g_rand_free(rng);
  GString *reply = g_string_new(NULL);
  const char *check = "*CLS;SIM:BOARD:INSERT \"B2A24S15P-2648-00017\";SIM:BOARD?;SYST:ERR?";
  sim_scpi_execute_line(control, check, strlen(check), reply);
  CU_ASSERT_STRING_EQUAL(reply->str, "B2A24S15P-2648-00017;0,\"No error\"\n");
  g_string_free(reply, TRUE);
  sim_scpi_free(control);
  sim_twin_free(twin);
  g_rmdir(dir);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("sim_scpi", setup, teardown);
  CU_add_test(suite, "number syntax", test_number_syntax);
  CU_add_test(suite, "channel lists", test_channel_lists);
  CU_add_test(suite, "parameter and command splitting", test_split);
  CU_add_test(suite, "common commands and status bytes", test_common_commands);
  CU_add_test(suite, "error queue overflow gives -350", test_error_queue_overflow);
  CU_add_test(suite, "header forms, suffixes and mismatches", test_headers);
  CU_add_test(suite, "N83624 cell simulator commands", test_cellsim_commands);
  CU_add_test(suite, "fuzz: random lines", test_fuzz_lines);
  CU_add_test(suite, "fuzz: random control-port lines", test_fuzz_control_lines);
  return cunit_run_all();
}
