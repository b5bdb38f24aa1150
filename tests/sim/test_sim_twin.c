/* End-to-end tests of fixture-sim as a process: each test starts the twin with ephemeral
 * ports and a private pty directory, reads its resource lines, and talks raw bytes to it:
 * SCPI lines to the cell simulator and the control port, Modbus RTU frames on the RS485
 * pty. Board constants are checked against the library's model of the same serial. */
#include "tests/cunit_main.h"
#include "tests/sim/sim_harness.h"
#include "fixtures/sim/sim_jk_registers.h"
#include "fixtures/sim/sim_board.h"
#include <glib/gstdio.h>
#include <math.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define SERIAL "B2A24S15P-2648-00017"
#define CELLS 24

static Catalog *catalog;

/* Starts the twin with extra arguments; fails the test (fatally) when it does not start. */
static SimHarness *start(const char *const *extra_args)
{
  g_autoptr(GError) error = NULL;
  SimHarness *harness = harness_start(extra_args, &error);
  if (!harness)
    fprintf(stderr, "\n  fixture-sim did not start: %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(harness);
  return harness;
}

/* Stops the twin and asserts a clean exit (status 0, symlink removed). */
static void stop(SimHarness *harness)
{
  gboolean link_removed = FALSE;
  CU_ASSERT_EQUAL(harness_stop(harness, &link_removed), 0);
  CU_ASSERT_TRUE(link_removed);
}

/* Sends a line and asserts it answers exactly `expected`. */
static void expect(int fd, const char *command, const char *expected)
{
  g_autofree char *answer = harness_query(fd, command);
  if (g_strcmp0(answer, expected) != 0)
    fprintf(stderr, "\n  '%s' answered '%s', expected '%s'\n", command, answer, expected);
  CU_ASSERT_STRING_EQUAL(answer ? answer : "(no answer)", expected);
}

/* Asserts that the next error of the instrument on `fd` has `code` and mentions `text`. */
static void expect_error(int fd, int code, const char *text)
{
  g_autofree char *entry = harness_query(fd, "SYST:ERR?");
  g_autofree char *prefix = g_strdup_printf("%d,\"", code);
  gboolean ok = entry && g_str_has_prefix(entry, prefix) && (!text || strstr(entry, text));
  if (!ok)
    fprintf(stderr, "\n  error queue gave '%s', expected %d mentioning '%s'\n", entry, code,
            text ? text : "");
  CU_ASSERT_TRUE(ok);
}

/* Sets channels 1..CELLS to `volts` with their outputs on, and waits for completion. */
static void set_cells(int cellsim, double volts)
{
  char line[80];
  g_snprintf(line, sizeof line, "SOUR:VOLT %.4f,(@1:%d);OUTP:ONOFF 1,(@1:%d)\n", volts, CELLS,
             CELLS);
  CU_ASSERT_TRUE(harness_send(cellsim, line));
  expect(cellsim, "*OPC?", "1");
}

/* The true cell voltages (mV) from the control port. */
static void read_truth(int control, double *truth_mv)
{
  g_autofree char *answer = harness_query(control, "SIM:TRUTH:CELL? (@1:24)");
  CU_ASSERT_PTR_NOT_NULL_FATAL(answer);
  g_auto(GStrv) values = g_strsplit(answer, ",", -1);
  CU_ASSERT_EQUAL_FATAL(g_strv_length(values), CELLS);
  for (int i = 0; i < CELLS; i++)
    truth_mv[i] = g_ascii_strtod(values[i], NULL) * 1000.0;
}

/* Reads the 24 cell registers at 0x1200. */
static void read_cells(int rs485, guint16 *cells_mv)
{
  guint8 exception = 0;
  CU_ASSERT_TRUE_FATAL(harness_read_registers(rs485, SIM_JK_REG_LIVE, CELLS, cells_mv, &exception));
}

/* The seeded constants the library gives a board of this serial. */
static SimBoardConstants constants_of(const char *serial)
{
  g_auto(GStrv) parts = g_strsplit(serial, "-", 2);
  SimBoard *board = sim_board_new(serial, catalog_find(catalog, parts[0], NULL));
  SimBoardConstants constants = *sim_board_constants(board);
  sim_board_free(board);
  return constants;
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

static void test_startup_lines(void)
{
  SimHarness *harness = start(NULL);
  g_autoptr(GRegex) tcp = g_regex_new("^(cellsim|control|eload|charger|dmm|switch) "
                                      "TCPIP::127\\.0\\.0\\.1::[1-9][0-9]*::SOCKET$",
                                      0, 0, NULL);
  guint tcp_lines = 0;
  for (guint i = 0; i < harness->n_lines; i++)
    tcp_lines += g_regex_match(tcp, harness->lines[i], 0, NULL) ? 1 : 0;
  CU_ASSERT_EQUAL(tcp_lines, 6);
  CU_ASSERT_TRUE(harness->eload_port && harness->charger_port && harness->dmm_port &&
                 harness->switch_port);
  g_autofree char *link = g_build_filename(harness->pty_dir, "rs485", NULL);
  CU_ASSERT_STRING_EQUAL(harness->rs485_path, link);
  g_autofree char *target = g_file_read_link(link, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(target);
  CU_ASSERT_TRUE(g_str_has_prefix(target, "/dev/pts/"));
  CU_ASSERT_STRING_EQUAL(harness->lines[harness->n_lines - 1], "ready");
  stop(harness);
}

static void test_scpi_over_tcp(void)
{
  SimHarness *harness = start(NULL);
  int a = harness_connect(harness->cellsim_port);
  int b = harness_connect(harness->cellsim_port);
  int control = harness_connect(harness->control_port);
  CU_ASSERT_TRUE_FATAL(a >= 0 && b >= 0 && control >= 0);

  g_autofree char *idn = harness_query(a, "*IDN?");
  CU_ASSERT_TRUE(idn && g_str_has_prefix(idn, "NGI,N83624,SIM"));
  expect(b, "*idn?\r", idn);
  expect(a, "SYST:CHAN?", "25");

  /* The error queue belongs to the instrument: -113 from one client, read by another. */
  CU_ASSERT_TRUE(harness_send(a, "BOGUS:HEADER 1\n"));
  expect_error(b, -113, "BOGUS:HEADER");
  expect_error(a, 0, "No error");

  /* Channel lists over the wire. */
  CU_ASSERT_TRUE(harness_send(a, "SOUR:VOLT 2.0,(@1,3,5:8)\n"));
  expect(a, "SOUR:VOLT? (@1:9)",
         "2.00000,0.00000,2.00000,0.00000,2.00000,2.00000,2.00000,2.00000,0.00000");
  CU_ASSERT_TRUE(harness_send(a, "SOUR:VOLT 2.0,(@20:26)\n"));
  expect_error(a, -222, NULL);

  /* A long answer arrives in one burst: one read takes the whole line. */
  set_cells(a, 3.3);
  CU_ASSERT_TRUE(harness_send(a, "MEAS:VOLT? (@1:25)\n"));
  struct pollfd pfd = {.fd = a, .events = POLLIN};
  CU_ASSERT_EQUAL(poll(&pfd, 1, HARNESS_TIMEOUT_MS), 1);
  char burst[1024];
  ssize_t got = read(a, burst, sizeof burst);
  CU_ASSERT_TRUE_FATAL(got > 0);
  CU_ASSERT_EQUAL(burst[got - 1], '\n');
  CU_ASSERT_EQUAL(memchr(burst, '\n', (size_t)got), burst + got - 1);
  burst[got - 1] = '\0';
  g_auto(GStrv) values = g_strsplit(burst, ",", -1);
  CU_ASSERT_EQUAL(g_strv_length(values), 25);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(values[0], NULL), 3.3, 0.001);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(values[24], NULL), 0.0, 1e-9); /* channel 25 is off */

  /* The control port. */
  g_autofree char *control_idn = harness_query(control, "*IDN?");
  g_autofree char *expected_idn = g_strdup_printf("JK-EOL,fixture-sim,%s,",
                                                  g_subprocess_get_identifier(harness->process));
  CU_ASSERT_TRUE(control_idn && g_str_has_prefix(control_idn, expected_idn));
  expect(control, "SIM:BOARD?", "NONE");
  CU_ASSERT_TRUE(harness_send(control, "SIM:NOTHING\n"));
  expect_error(control, -113, "SIM:NOTHING");
  close(a);
  close(b);
  close(control);
  stop(harness);
}

static void test_board_readings_and_calibration(void)
{
  const char *args[] = {"--board", SERIAL, NULL};
  SimHarness *harness = start(args);
  int cellsim = harness_connect(harness->cellsim_port);
  int control = harness_connect(harness->control_port);
  int rs485 = harness_open_serial(harness->rs485_path);
  CU_ASSERT_TRUE_FATAL(cellsim >= 0 && control >= 0 && rs485 >= 0);
  set_cells(cellsim, 3.3);
  double truth[CELLS];
  read_truth(control, truth);
  guint16 cells[CELLS];

  /* Before calibration the readings follow the ADC model of this serial: gain, offset,
   * noise (0.5 mV rms) and rounding. */
  SimBoardConstants k = constants_of(SERIAL);
  read_cells(rs485, cells);
  for (int i = 0; i < CELLS; i++) {
    double model = k.gain * truth[i] + k.offset_mv[i];
    if (fabs(cells[i] - model) > 2.6)
      fprintf(stderr, "\n  cell %d: %u mV, model %.2f mV\n", i + 1, cells[i], model);
    CU_ASSERT_DOUBLE_EQUAL(cells[i], model, 2.6);
  }

  /* A board with a 1 % reference error reads 33 mV high at 3.3 V until calibrated. */
  expect(control, "SIM:BOARD:INSERT \"B2A24S15P-2648-00099\",\"vref:1\";SIM:BOARD?",
         "B2A24S15P-2648-00099");
  read_cells(rs485, cells);
  double mean_error = 0;
  for (int i = 0; i < CELLS; i++)
    mean_error += (cells[i] - truth[i]) / CELLS;
  CU_ASSERT_DOUBLE_EQUAL(mean_error, 33.0, 2.0);

  /* Voltage calibration with the true pack voltage (JK command 0x1600, UINT32 mV). */
  double pack = 0;
  for (int i = 0; i < CELLS; i++)
    pack += truth[i];
  guint32 pack_mv = (guint32)lround(pack);
  guint16 command[2] = {(guint16)(pack_mv >> 16), (guint16)pack_mv};
  CU_ASSERT_EQUAL(harness_write_registers(rs485, SIM_JK_REG_CMD_VOLTAGE_CAL, command, 2), 0);
  read_cells(rs485, cells);
  for (int i = 0; i < CELLS; i++) {
    if (fabs(cells[i] - truth[i]) > 3.0)
      fprintf(stderr, "\n  calibrated cell %d: %u mV, truth %.2f mV\n", i + 1, cells[i], truth[i]);
    CU_ASSERT_DOUBLE_EQUAL(cells[i], truth[i], 3.0);
  }
  /* The correction value (FLOAT at 0x12DC, 3.000 × the gain correction, as real boards read
   * about 3.0) and the pack voltage (UINT32 at 0x1290). */
  guint16 words[2];
  guint8 exception = 0;
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_VOLTAGE_VALUE, 2, words, &exception));
  guint32 bits = (guint32)words[0] << 16 | words[1];
  float value;
  memcpy(&value, &bits, sizeof value);
  CU_ASSERT_DOUBLE_EQUAL(value, 3.0 / 1.01, 0.003);
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_PACK_MV, 2, words, &exception));
  CU_ASSERT_DOUBLE_EQUAL((double)((guint32)words[0] << 16 | words[1]), pack, 24 * 3.0);

  /* A reference beyond the calibration range: the command is refused (exception 03). */
  expect(control, "SIM:BOARD:INSERT \"B2A24S15P-2648-00098\",\"vref:4\";SIM:BOARD:FAULTS?",
         "\"vref:4\"");
  CU_ASSERT_EQUAL(harness_write_registers(rs485, SIM_JK_REG_CMD_VOLTAGE_CAL, command, 2), 0x03);

  /* cell-offset:3:12 shows ~12 mV on cell 3 only (uncalibrated board, known gain). */
  const char *offset_serial = "B2A24S15P-2648-00100";
  k = constants_of(offset_serial);
  expect(control, "SIM:BOARD:INSERT \"B2A24S15P-2648-00100\",\"cell-offset:3:12\";*OPC?", "1");
  read_cells(rs485, cells);
  for (int i = 0; i < CELLS; i++) {
    double excess = cells[i] - k.gain * truth[i];
    if (i == 2) {
      CU_ASSERT_DOUBLE_EQUAL(excess, 12.0, 2.6);
    } else {
      CU_ASSERT_TRUE(fabs(excess) < 4.6);
    }
  }

  /* open-sense:5: cell 5 reads ~0 and its bit is clear in the mask. */
  expect(control, "SIM:BOARD:INSERT \"B2A24S15P-2648-00100\",\"open-sense:5\";*OPC?", "1");
  read_cells(rs485, cells);
  CU_ASSERT_TRUE(cells[4] < 5);
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_CELLS_PRESENT, 2, words, &exception));
  CU_ASSERT_EQUAL((guint32)words[0] << 16 | words[1], 0xFFFFFFu & ~(1u << 4));
  close(rs485);
  close(cellsim);
  close(control);
  stop(harness);
}

/* Sends a read request of slave `address`; returns the bytes of the answer (0 = silence). */
static gsize read_raw(int rs485, guint8 address, guint16 start, guint16 count, gboolean bad_crc,
                      int timeout_ms)
{
  guint8 pdu[6] = {address, 0x03, (guint8)(start >> 8), (guint8)start, (guint8)(count >> 8),
                   (guint8)count};
  guint8 frame[8], answer[300];
  harness_frame(pdu, sizeof pdu, frame);
  if (bad_crc)
    frame[7] ^= 0xA5;
  return harness_modbus(rs485, frame, sizeof frame, answer, sizeof answer, timeout_ms);
}

static void test_modbus_link(void)
{
  const char *args[] = {"--board", SERIAL, NULL};
  SimHarness *harness = start(args);
  int cellsim = harness_connect(harness->cellsim_port);
  int control = harness_connect(harness->control_port);
  int rs485 = harness_open_serial(harness->rs485_path);
  CU_ASSERT_TRUE_FATAL(cellsim >= 0 && control >= 0 && rs485 >= 0);
  set_cells(cellsim, 3.3);      /* the board runs from its pack */

  /* A good request is answered; a bad CRC and a foreign address get silence; the line
   * works again afterwards. */
  CU_ASSERT_EQUAL(read_raw(rs485, 1, SIM_JK_REG_CELL_COUNT, 2, FALSE, HARNESS_TIMEOUT_MS), 9);
  CU_ASSERT_EQUAL(read_raw(rs485, 1, SIM_JK_REG_CELL_COUNT, 2, TRUE, HARNESS_SILENCE_MS), 0);
  CU_ASSERT_EQUAL(read_raw(rs485, 2, SIM_JK_REG_CELL_COUNT, 2, FALSE, HARNESS_SILENCE_MS), 0);
  CU_ASSERT_EQUAL(read_raw(rs485, 1, SIM_JK_REG_CELL_COUNT, 2, FALSE, HARNESS_TIMEOUT_MS), 9);

  /* Exceptions 01, 02, 03. */
  guint16 values[4];
  guint8 exception = 0;
  CU_ASSERT_FALSE(harness_read_registers(rs485, SIM_JK_REG_CMD_VOLTAGE_CAL, 2, values, &exception));
  CU_ASSERT_EQUAL(exception, 0x02);
  CU_ASSERT_FALSE(harness_read_registers(rs485, 0x3000, 1, values, &exception));
  CU_ASSERT_EQUAL(exception, 0x02);
  CU_ASSERT_FALSE(harness_read_registers(rs485, SIM_JK_REG_LIVE, 0, values, &exception));
  CU_ASSERT_EQUAL(exception, 0x03);
  CU_ASSERT_FALSE(harness_read_registers(rs485, SIM_JK_REG_LIVE, 126, values, &exception));
  CU_ASSERT_EQUAL(exception, 0x03);
  const guint16 one = 1;
  CU_ASSERT_EQUAL(harness_write_registers(rs485, SIM_JK_REG_LIVE, &one, 1), 0x02);
  CU_ASSERT_EQUAL(harness_write_registers(rs485, SIM_JK_REG_MODEL, &one, 1), 0x02);
  guint8 pdu[6] = {1, 0x04, 0x12, 0x00, 0x00, 0x01};
  guint8 frame[8], answer[16];
  harness_frame(pdu, sizeof pdu, frame);
  CU_ASSERT_EQUAL(harness_modbus(rs485, frame, sizeof frame, answer, sizeof answer,
                                 HARNESS_TIMEOUT_MS), 5);
  CU_ASSERT_EQUAL(answer[1], 0x84);
  CU_ASSERT_EQUAL(answer[2], 0x01);

  /* A setting out of range is refused and not applied; one in range is. */
  const guint16 count30[2] = {0, 30};
  CU_ASSERT_EQUAL(harness_write_registers(rs485, SIM_JK_REG_CELL_COUNT, count30, 2), 0x03);
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_CELL_COUNT, 2, values, &exception));
  CU_ASSERT_EQUAL(values[1], 24);
  const guint16 count16[2] = {0, 16};
  CU_ASSERT_EQUAL(harness_write_registers(rs485, SIM_JK_REG_CELL_COUNT, count16, 2), 0);
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_CELL_COUNT, 2, values, &exception));
  CU_ASSERT_EQUAL(values[1], 16);

  /* Device information. */
  guint16 info[8];
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_MODEL, 8, info, &exception));
  CU_ASSERT_EQUAL(info[0], ('J' << 8) | 'K');
  CU_ASSERT_EQUAL(info[1], ('_' << 8) | 'B');
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_SW_VERSION, 4, info, &exception));
  CU_ASSERT_EQUAL(info[0], ('1' << 8) | '1');
  CU_ASSERT_EQUAL(info[1], ('.' << 8) | '2');

  /* rs485-dead: silence; an empty fixture: silence; a good board again: answers. */
  expect(control, "SIM:BOARD:INSERT \"" SERIAL "\",\"rs485-dead\";*OPC?", "1");
  CU_ASSERT_EQUAL(read_raw(rs485, 1, SIM_JK_REG_CELL_COUNT, 2, FALSE, HARNESS_SILENCE_MS), 0);
  expect(control, "SIM:BOARD:REMOVE;SIM:BOARD?", "NONE");
  CU_ASSERT_EQUAL(read_raw(rs485, 1, SIM_JK_REG_CELL_COUNT, 2, FALSE, HARNESS_SILENCE_MS), 0);
  expect(control, "SIM:BOARD:INSERT \"" SERIAL "\";*OPC?", "1");
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_CELL_COUNT, 2, values, &exception));
  /* The board kept its settings while it was out (its EEPROM). */
  CU_ASSERT_EQUAL(values[1], 16);

  /* Garbage that claims a long write does not swallow the good request behind it. */
  const guint8 garbage[] = {0x01, 0x10, 0x10, 0x00, 0x00, 0x7B, 0xF6, 0x12, 0x34};
  CU_ASSERT_EQUAL(write(rs485, garbage, sizeof garbage), (ssize_t)sizeof garbage);
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_CELL_COUNT, 2, values, &exception));

  /* Without its pack the board is off after its hold-up: silence; with it back, it powers
   * up from cold and answers, its settings kept. */
  CU_ASSERT_TRUE(harness_send(cellsim, "OUTP:ONOFF 0,(@1:24)\n"));
  expect(cellsim, "*OPC?", "1");
  g_usleep(400000);
  CU_ASSERT_EQUAL(read_raw(rs485, 1, SIM_JK_REG_CELL_COUNT, 2, FALSE, HARNESS_SILENCE_MS), 0);
  set_cells(cellsim, 3.3);
  g_usleep(400000);
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_CELL_COUNT, 2, values, &exception));
  CU_ASSERT_EQUAL(values[1], 16);
  close(rs485);
  close(control);
  close(cellsim);
  stop(harness);
}

/* Reads the 24 cells three times from a fresh twin with `serial`, raw. */
static void readings_of(const char *serial, guint16 out[3][CELLS])
{
  const char *args[] = {"--board", serial, "--quiet", NULL};
  SimHarness *harness = start(args);
  int cellsim = harness_connect(harness->cellsim_port);
  int rs485 = harness_open_serial(harness->rs485_path);
  CU_ASSERT_TRUE_FATAL(cellsim >= 0 && rs485 >= 0);
  set_cells(cellsim, 3.2);
  for (int r = 0; r < 3; r++)
    read_cells(rs485, out[r]);
  close(rs485);
  close(cellsim);
  stop(harness);
}

static void test_same_serial_same_board(void)
{
  guint16 first[3][CELLS], second[3][CELLS], other[3][CELLS];
  readings_of(SERIAL, first);
  readings_of(SERIAL, second);
  readings_of("B2A24S15P-2648-00018", other);
  CU_ASSERT_EQUAL(memcmp(first, second, sizeof first), 0);
  CU_ASSERT_NOT_EQUAL(memcmp(first, other, sizeof first), 0);
}

static void test_clock(void)
{
  const char *args[] = {"--board", SERIAL, NULL};
  SimHarness *harness = start(args);
  int cellsim = harness_connect(harness->cellsim_port);
  int control = harness_connect(harness->control_port);
  int rs485 = harness_open_serial(harness->rs485_path);
  CU_ASSERT_TRUE_FATAL(cellsim >= 0 && control >= 0 && rs485 >= 0);
  set_cells(cellsim, 3.3);      /* the board runs from its pack */
  expect(control, "SIM:CLOCK:MODE?", "REAL");
  CU_ASSERT_TRUE(harness_send(control, "SIM:CLOCK:ADV 1\n"));
  expect_error(control, -221, "VIRTUAL");
  CU_ASSERT_TRUE(harness_send(control, "SIM:CLOCK:MODE VIRTUAL\n"));
  expect(control, "SIM:CLOCK:MODE?", "VIRTUAL");

  /* A Modbus exchange costs its time on the wire and the board's processing on the
   * virtual clock: 8 request + 9 answer bytes at 115200 8N1, plus 2 ms. */
  g_autofree char *before_read = harness_query(control, "SIM:CLOCK?");
  guint16 before[2], after[2];
  guint8 exception = 0;
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_RUN_TIME_S, 2, before, &exception));
  g_autofree char *t0 = harness_query(control, "SIM:CLOCK?");
  CU_ASSERT_TRUE_FATAL(before_read && t0);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(t0, NULL) - g_ascii_strtod(before_read, NULL),
                         17 * 10 / 115200.0 + 0.002, 1e-4);
  CU_ASSERT_TRUE(harness_send(control, "SIM:CLOCK:ADV 60\n"));
  g_autofree char *t1 = harness_query(control, "SIM:CLOCK?");
  CU_ASSERT_TRUE_FATAL(t0 && t1);
  CU_ASSERT_DOUBLE_EQUAL(g_ascii_strtod(t1, NULL) - g_ascii_strtod(t0, NULL), 60.0, 1e-6);
  CU_ASSERT_TRUE(harness_read_registers(rs485, SIM_JK_REG_RUN_TIME_S, 2, after, &exception));
  guint32 run0 = (guint32)before[0] << 16 | before[1];
  guint32 run1 = (guint32)after[0] << 16 | after[1];
  CU_ASSERT_TRUE(run1 - run0 >= 59 && run1 - run0 <= 61);

  CU_ASSERT_TRUE(harness_send(control, "SIM:CLOCK:ADV -1\n"));
  expect_error(control, -222, NULL);
  CU_ASSERT_TRUE(harness_send(control, "SIM:CLOCK:MODE SOMETIMES\n"));
  expect_error(control, -224, "SOMETIMES");
  close(rs485);
  close(control);
  close(cellsim);
  stop(harness);
}

static void test_control_errors_and_fault_rules(void)
{
  const char *args[] = {"--fault-rule", "b2a24s15p-2648-0000*=rs485-dead", "--fault-rule",
                        "B2A24S15P-2648-00003=cell-offset:3:12", NULL};
  SimHarness *harness = start(args);
  int control = harness_connect(harness->control_port);
  int rs485 = harness_open_serial(harness->rs485_path);
  CU_ASSERT_TRUE_FATAL(control >= 0 && rs485 >= 0);

  CU_ASSERT_TRUE(harness_send(control, "SIM:BOARD:INSERT \"NOPE9-2648-00001\"\n"));
  expect_error(control, -222, "NOPE9");
  CU_ASSERT_TRUE(harness_send(control, "SIM:BOARD:INSERT \"garbage\"\n"));
  expect_error(control, -224, "garbage");
  CU_ASSERT_TRUE(harness_send(control, "SIM:BOARD:INSERT \"" SERIAL "\",\"melted\"\n"));
  expect_error(control, -224, "melted");
  CU_ASSERT_TRUE(harness_send(control, "SIM:BOARD:INSERT\n"));
  expect_error(control, -109, NULL);
  expect(control, "SIM:BOARD?", "NONE");

  /* Both rules match this serial (the glob is case-insensitive); the insert adds its own. */
  expect(control, "SIM:BOARD:INSERT \"b2a24s15p-2648-00003\",\"vref:0.5\";SIM:BOARD?",
         "B2A24S15P-2648-00003");
  expect(control, "SIM:BOARD:FAULTS?", "\"rs485-dead,cell-offset:3:12,vref:0.5\"");
  CU_ASSERT_EQUAL(read_raw(rs485, 1, SIM_JK_REG_CELL_COUNT, 2, FALSE, HARNESS_SILENCE_MS), 0);
  expect(control, "SIM:BOARD:INSERT \"" SERIAL "\";SIM:BOARD:FAULTS?", "\"\"");
  CU_ASSERT_EQUAL(read_raw(rs485, 1, SIM_JK_REG_CELL_COUNT, 2, FALSE, HARNESS_TIMEOUT_MS), 9);
  expect_error(control, 0, "No error");
  close(rs485);
  close(control);
  stop(harness);
}

static void test_startup_errors(void)
{
  SimHarness *first = start(NULL);
  g_autofree char *port = g_strdup_printf("%u", first->cellsim_port);
  g_autofree char *dir = g_dir_make_tmp("sim-test-XXXXXX", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(dir);

  const char *in_use[] = {"--cellsim-port", port, "--control-port", "0", "--pty-dir", dir, NULL};
  g_autofree char *message = NULL;
  CU_ASSERT_EQUAL(harness_run(in_use, &message), 2);
  CU_ASSERT_TRUE(message && strstr(message, "already in use") && strstr(message, port));
  stop(first);

  const char *bad_rule[] = {"--cellsim-port", "0", "--control-port", "0", "--pty-dir", dir,
                            "--fault-rule", "B2A24S15P-2648-00001=cell-offset:99:1", NULL};
  g_autofree char *rule_message = NULL;
  CU_ASSERT_EQUAL(harness_run(bad_rule, &rule_message), 2);
  CU_ASSERT_TRUE(rule_message && strstr(rule_message, "cell-offset:99:1"));

  const char *bad_board[] = {"--cellsim-port", "0", "--control-port", "0", "--pty-dir", dir,
                             "--board", "XYZ-2648-00001", NULL};
  g_autofree char *board_message = NULL;
  CU_ASSERT_EQUAL(harness_run(bad_board, &board_message), 2);
  CU_ASSERT_TRUE(board_message && strstr(board_message, "unknown model XYZ"));
  g_autofree char *link = g_build_filename(dir, "rs485", NULL);
  CU_ASSERT_FALSE(g_file_test(link, G_FILE_TEST_EXISTS) ||
                  g_file_test(link, G_FILE_TEST_IS_SYMLINK));
  g_rmdir(dir);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("fixture-sim", setup, teardown);
  CU_add_test(suite, "start-up lines, pty symlink, clean exit", test_startup_lines);
  CU_add_test(suite, "SCPI over TCP: clients, error queue, lists, bursts", test_scpi_over_tcp);
  CU_add_test(suite, "board readings, gain error, calibration, faults",
              test_board_readings_and_calibration);
  CU_add_test(suite, "Modbus link: silence, exceptions, settings, presence", test_modbus_link);
  CU_add_test(suite, "same serial gives the same board in every run",
              test_same_serial_same_board);
  CU_add_test(suite, "real and virtual clock", test_clock);
  CU_add_test(suite, "control port errors and fault rules", test_control_errors_and_fault_rules);
  CU_add_test(suite, "start-up errors exit 2 with a clear message", test_startup_errors);
  return cunit_run_all();
}
