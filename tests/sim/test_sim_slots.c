/* fixture-sim --slots 2 as a process: a fixture of two slots on one clock. Each slot has its
 * own control port, cell simulator and RS485 link; two boards put in through their slots'
 * control ports answer on their own links with their own identities (model string and the
 * ADC constants seeded from their own serials), and the clock is one. With --shared, one
 * instrument serves both slots, reaching only the slot that routes it. */
#include "tests/cunit_main.h"
#include "tests/sim/sim_harness.h"
#include "fixtures/sim/sim_jk_registers.h"
#include "fixtures/sim/sim_board.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CELLS 8                 /* read on both boards: the smaller model has 8 */

static const char *const serials[2] = {"B2A24S15P-2648-00017", "B2A8S20P-2650-00042"};
static Catalog *catalog;

static SimBoard *library_board(const char *serial)
{
  g_auto(GStrv) parts = g_strsplit(serial, "-", 2);
  return sim_board_new(serial, catalog_find(catalog, parts[0], NULL));
}

static void expect(int fd, const char *command, const char *expected)
{
  g_autofree char *answer = harness_query(fd, command);
  if (g_strcmp0(answer, expected) != 0)
    fprintf(stderr, "\n  '%s' answered '%s', expected '%s'\n", command, answer, expected);
  CU_ASSERT_STRING_EQUAL(answer ? answer : "(no answer)", expected);
}

static double query_number(int fd, const char *command)
{
  g_autofree char *answer = harness_query(fd, command);
  CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
  return g_ascii_strtod(answer, NULL);
}

/* The board on this link is the one of this serial: its model string, and cell readings that
 * follow its own seeded gain and offsets (the true voltages from its slot's control port). */
static void expect_board(int rs485, int control, const char *serial)
{
  SimBoard *model_board = library_board(serial);
  char model[16];
  sim_board_model_string(model_board, model);
  guint16 info[8];
  guint8 exception = 0;
  CU_ASSERT_TRUE_FATAL(harness_read_registers(rs485, SIM_JK_REG_MODEL, 8, info, &exception));
  for (int i = 0; i < 8; i++)
    CU_ASSERT_EQUAL(info[i], ((guint8)model[2 * i] << 8) | (guint8)model[2 * i + 1]);

  g_autofree char *truth = harness_query(control, "SIM:TRUTH:CELL? (@1:8)");
  CU_ASSERT_PTR_NOT_NULL_FATAL(truth);
  g_auto(GStrv) values = g_strsplit(truth, ",", -1);
  CU_ASSERT_EQUAL_FATAL(g_strv_length(values), CELLS);
  guint16 cells[CELLS];
  CU_ASSERT_TRUE_FATAL(harness_read_registers(rs485, SIM_JK_REG_LIVE, CELLS, cells, &exception));
  const SimBoardConstants *k = sim_board_constants(model_board);
  for (int i = 0; i < CELLS; i++) {
    double expected = k->gain * g_ascii_strtod(values[i], NULL) * 1000.0 + k->offset_mv[i];
    if (fabs(cells[i] - expected) > 2.6)
      fprintf(stderr, "\n  %s cell %d: %u mV, its model %.2f mV\n", serial, i + 1, cells[i],
              expected);
    CU_ASSERT_DOUBLE_EQUAL(cells[i], expected, 2.6);
  }
  sim_board_free(model_board);
}

static void test_two_slots(void)
{
  const char *args[] = {"--slots", "2", NULL};
  g_autoptr(GError) error = NULL;
  SimHarness *harness = harness_start(args, &error);
  if (!harness)
    fprintf(stderr, "\n  fixture-sim did not start: %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(harness);
  CU_ASSERT_EQUAL(harness->n_slots, 2);
  int control[2], cellsim[2], rs485[2];
  for (int s = 0; s < 2; s++) {
    g_autofree char *tail = g_strdup_printf("/slot%d/rs485", s + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(harness->slot_rs485_path[s]);
    CU_ASSERT_TRUE(g_str_has_suffix(harness->slot_rs485_path[s], tail));
    control[s] = harness_connect(harness->slot_control_port[s]);
    cellsim[s] = harness_connect(harness->slot_cellsim_port[s]);
    rs485[s] = harness_open_serial(harness->slot_rs485_path[s]);
    CU_ASSERT_TRUE_FATAL(control[s] >= 0 && cellsim[s] >= 0 && rs485[s] >= 0);
  }
  CU_ASSERT_NOT_EQUAL(harness->slot_control_port[0], harness->slot_control_port[1]);

  for (int s = 0; s < 2; s++) {
    g_autofree char *insert = g_strdup_printf("SIM:BOARD:INSERT \"%s\";SIM:BOARD?", serials[s]);
    expect(control[s], insert, serials[s]);
    /* Slightly different cell voltages per slot: each board sees its own simulator. */
    g_autofree char *cells = g_strdup_printf("SOUR:VOLT %.4f,(@1:25);OUTP:ONOFF 1,(@1:25)\n",
                                             3.3 + 0.1 * s);
    CU_ASSERT_TRUE(harness_send(cellsim[s], cells));
    expect(cellsim[s], "*OPC?", "1");
  }
  for (int s = 0; s < 2; s++)
    expect_board(rs485[s], control[s], serials[s]);
  double slot2_cell = query_number(control[1], "SIM:TRUTH:CELL? (@1)");
  CU_ASSERT_DOUBLE_EQUAL(slot2_cell, 3.4, 0.05);

  /* One clock: the mode set through one slot is every slot's, and time advanced through
   * slot 2 has passed for slot 1. */
  expect(control[0], "SIM:CLOCK:MODE VIRTUAL;SIM:CLOCK:MODE?", "VIRTUAL");
  expect(control[1], "SIM:CLOCK:MODE?", "VIRTUAL");
  double before = query_number(control[0], "SIM:CLOCK?");
  expect(control[1], "SIM:CLOCK:ADV 5;*OPC?", "1");
  CU_ASSERT_DOUBLE_EQUAL(query_number(control[0], "SIM:CLOCK?") - before, 5.0, 1e-6);

  /* Taking slot 2's board out leaves slot 1's answering. */
  expect(control[1], "SIM:BOARD:REMOVE;SIM:BOARD?", "NONE");
  expect(control[0], "SIM:BOARD?", serials[0]);
  expect_board(rs485[0], control[0], serials[0]);

  for (int s = 0; s < 2; s++) {
    close(control[s]);
    close(cellsim[s]);
    close(rs485[s]);
  }
  char *links[2] = {g_strdup(harness->slot_rs485_path[0]),
                               g_strdup(harness->slot_rs485_path[1])};
  CU_ASSERT_EQUAL(harness_stop(harness, NULL), 0);
  for (int s = 0; s < 2; s++)
    CU_ASSERT_FALSE(g_file_test(links[s], G_FILE_TEST_EXISTS));
  g_free(links[0]);
  g_free(links[1]);
}

/* The port of the resource line "<name> TCPIP::127.0.0.1::<port>::SOCKET", 0 when none. */
static guint16 line_port(const SimHarness *harness, const char *name)
{
  g_autofree char *prefix = g_strdup_printf("%s TCPIP::", name);
  for (guint i = 0; i < harness->n_lines; i++)
    if (g_str_has_prefix(harness->lines[i], prefix)) {
      const char *port = strrchr(harness->lines[i], ':');
      g_autofree char *text = g_strndup(harness->lines[i], (gsize)(port - harness->lines[i] - 1));
      return (guint16)atoi(strrchr(text, ':') + 1);
    }
  return 0;
}

static void expect_volts(int fd, double volts, const char *what)
{
  double read = query_number(fd, "MEAS:VOLT:DC?");
  if (fabs(read - volts) > 0.01)
    fprintf(stderr, "\n  %s: the shared DMM read %.4f V, expected %.4f V\n", what, read, volts);
  CU_ASSERT_DOUBLE_EQUAL(read, volts, 0.01);
}

/* --shared dmm: one DMM for both slots, whose input reaches only the slot whose switch unit
 * closes its route (403): each slot's first tap through it, and an open circuit without a
 * route or with both slots' at once. */
static void test_shared_dmm(void)
{
  const char *args[] = {"--slots", "2", "--shared", "dmm", NULL};
  g_autoptr(GError) error = NULL;
  SimHarness *harness = harness_start(args, &error);
  if (!harness)
    fprintf(stderr, "\n  fixture-sim did not start: %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(harness);
  CU_ASSERT_EQUAL(line_port(harness, "slot1.dmm"), 0);
  CU_ASSERT_EQUAL(line_port(harness, "slot2.dmm"), 0);
  int dmm = harness_connect(line_port(harness, "shared.dmm"));
  int sw[2], cellsim[2];
  for (int s = 0; s < 2; s++) {
    g_autofree char *name = g_strdup_printf("slot%d.switch", s + 1);
    sw[s] = harness_connect(line_port(harness, name));
    cellsim[s] = harness_connect(harness->slot_cellsim_port[s]);
    CU_ASSERT_TRUE_FATAL(sw[s] >= 0 && cellsim[s] >= 0);
    g_autofree char *cells = g_strdup_printf("SOUR:VOLT %.4f,(@1:25);OUTP:ONOFF 1,(@1:25)\n",
                                             3.3 + 0.1 * s);
    CU_ASSERT_TRUE(harness_send(cellsim[s], cells));
    expect(cellsim[s], "*OPC?", "1");
    /* The DMM's relay across the first tap, in each slot. */
    expect(sw[s], "ROUT:CLOS (@107);*OPC?", "1");
  }
  CU_ASSERT_TRUE_FATAL(dmm >= 0);
  expect_volts(dmm, 0.0, "no slot routed");
  expect(sw[0], "ROUT:CLOS (@403);ROUT:CLOS? (@403)", "1");
  expect_volts(dmm, 3.3, "routed to slot 1");
  expect(sw[1], "ROUT:CLOS (@403);*OPC?", "1");
  expect_volts(dmm, 0.0, "routed to both slots");
  expect(sw[0], "ROUT:OPEN (@403);*OPC?", "1");
  expect_volts(dmm, 3.4, "routed to slot 2");
  expect(sw[1], "*RST;ROUT:CLOS? (@403)", "0");
  expect_volts(dmm, 0.0, "slot 2's switch unit reset");
  close(dmm);
  for (int s = 0; s < 2; s++) {
    close(sw[s]);
    close(cellsim[s]);
  }
  CU_ASSERT_EQUAL(harness_stop(harness, NULL), 0);
}

static void test_bad_slot_count(void)
{
  const char *nine[] = {"--slots", "9", NULL};
  g_autofree char *message = NULL;
  CU_ASSERT_EQUAL(harness_run(nine, &message), 2);
  CU_ASSERT_PTR_NOT_NULL(message && strstr(message, "--slots 9: a fixture has 1..8 slots"));
}

static int setup(void)
{
  catalog = catalog_load_default(NULL);
  return catalog ? 0 : 1;
}

static int teardown(void)
{
  catalog_free(catalog);
  return 0;
}

int main(void)
{
  CU_initialize_registry();
  CU_pSuite suite = CU_add_suite("twin of two slots", setup, teardown);
  CU_add_test(suite, "two boards on their own links with their own identities, one clock",
              test_two_slots);
  CU_add_test(suite, "a DMM shared by the slots reaches the one its route is closed for",
              test_shared_dmm);
  CU_add_test(suite, "a slot count outside 1..8 is refused", test_bad_slot_count);
  return cunit_run_all();
}
