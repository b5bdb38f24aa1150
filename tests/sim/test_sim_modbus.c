/* Tests of the twin's board and its Modbus RTU slave, called directly (no process, no pty):
 * CRC, the framer's resynchronisation and silence rule, the request handler's answers and
 * exceptions, the board's seeded constants and settings checks, the fault catalog, and fuzz
 * runs of random bytes and random well-formed requests. */
#include "tests/cunit_main.h"
#include "tests/sim/board_rig.h"
#include "fixtures/sim/sim_board_map.h"
#include "fixtures/sim/sim_common.h"
#include "fixtures/sim/sim_faults.h"
#include "fixtures/sim/sim_modbus.h"
#include <math.h>
#include <string.h>

#define SERIAL "B2A24S15P-2648-00017"

/* Suite set-up: the board rig, its clock running in real time. */
static int setup(void)
{
  return board_rig_open(SIM_CLOCK_REAL);
}

/* Builds a frame from a PDU (address first) with its CRC. */
static GByteArray *frame_of(const guint8 *pdu, gsize length)
{
  GByteArray *frame = g_byte_array_new();
  g_byte_array_append(frame, pdu, (guint)length);
  sim_modbus_append_crc(frame);
  return frame;
}

static void test_crc(void)
{
  /* Reference frames: read 1 register at 0 from slave 1, read 10 registers. */
  const guint8 read1[] = {0x01, 0x03, 0x00, 0x00, 0x00, 0x01};
  CU_ASSERT_EQUAL(sim_modbus_crc16(read1, sizeof read1), 0x0A84);
  const guint8 read10[] = {0x01, 0x03, 0x00, 0x00, 0x00, 0x0A};
  CU_ASSERT_EQUAL(sim_modbus_crc16(read10, sizeof read10), 0xCDC5);
  g_autoptr(GByteArray) frame = frame_of(read1, sizeof read1);
  CU_ASSERT_EQUAL(frame->data[6], 0x84);
  CU_ASSERT_EQUAL(frame->data[7], 0x0A);
  CU_ASSERT_EQUAL(sim_modbus_crc16(frame->data, frame->len), 0);
}

typedef struct {
  GPtrArray *frames;            /* GByteArray * */
} Collected;

static void collect(const guint8 *frame, gsize length, gpointer user_data)
{
  Collected *collected = user_data;
  GByteArray *copy = g_byte_array_new();
  g_byte_array_append(copy, frame, (guint)length);
  g_ptr_array_add(collected->frames, copy);
}

static void test_framer(void)
{
  const guint8 read[] = {0x01, 0x03, 0x12, 0x00, 0x00, 0x18};
  g_autoptr(GByteArray) good = frame_of(read, sizeof read);
  const guint8 write[] = {0x01, 0x10, 0x10, 0x6C, 0x00, 0x02, 0x04, 0x00, 0x00, 0x00, 0x10};
  g_autoptr(GByteArray) good_write = frame_of(write, sizeof write);
  Collected collected = {g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref)};
  SimModbusFramer framer;
  sim_modbus_framer_init(&framer);

  /* Byte by byte, then garbage before a frame, then two frames in one burst. */
  for (guint i = 0; i < good->len; i++)
    sim_modbus_framer_feed(&framer, good->data + i, 1, 1000 + i, collect, &collected);
  CU_ASSERT_EQUAL(collected.frames->len, 1);
  const guint8 garbage[] = {0xFF, 0x00, 0x83, 0x42, 0x07};
  sim_modbus_framer_feed(&framer, garbage, sizeof garbage, 2000, collect, &collected);
  sim_modbus_framer_feed(&framer, good->data, good->len, 2001, collect, &collected);
  CU_ASSERT_EQUAL(collected.frames->len, 2);
  g_autoptr(GByteArray) burst = g_byte_array_new();
  g_byte_array_append(burst, good_write->data, good_write->len);
  g_byte_array_append(burst, good->data, good->len);
  sim_modbus_framer_feed(&framer, burst->data, burst->len, 3000, collect, &collected);
  CU_ASSERT_EQUAL_FATAL(collected.frames->len, 4);
  GByteArray *third = collected.frames->pdata[2];
  CU_ASSERT_EQUAL(third->len, good_write->len);
  CU_ASSERT_EQUAL(memcmp(third->data, good_write->data, third->len), 0);

  /* A frame with a bad CRC is not delivered; the next good one is. */
  g_autoptr(GByteArray) bad = frame_of(read, sizeof read);
  bad->data[bad->len - 1] ^= 0x55;
  sim_modbus_framer_feed(&framer, bad->data, bad->len, 4000, collect, &collected);
  sim_modbus_framer_feed(&framer, good->data, good->len, 4001, collect, &collected);
  CU_ASSERT_EQUAL(collected.frames->len, 5);

  /* A partial frame followed by more than 50 ms of silence is dropped: its tail, arriving
   * late, does not complete it. */
  sim_modbus_framer_feed(&framer, good->data, 4, 10000, collect, &collected);
  sim_modbus_framer_feed(&framer, good->data + 4, good->len - 4,
                         10000 + SIM_MODBUS_SILENCE_US + 1, collect, &collected);
  CU_ASSERT_EQUAL(collected.frames->len, 5);
  /* Within 50 ms it completes. */
  sim_modbus_framer_feed(&framer, good->data, 4, 200000, collect, &collected);
  sim_modbus_framer_feed(&framer, good->data + 4, good->len - 4,
                         200000 + SIM_MODBUS_SILENCE_US - 1000, collect, &collected);
  CU_ASSERT_EQUAL(collected.frames->len, 6);

  /* A header that claims a long write (garbage) does not swallow a good frame behind it. */
  const guint8 claim[] = {0x05, 0x10, 0x00, 0x00, 0x00, 0x7B, 0xF6};
  sim_modbus_framer_feed(&framer, claim, sizeof claim, 300000, collect, &collected);
  sim_modbus_framer_feed(&framer, good->data, good->len, 300001, collect, &collected);
  CU_ASSERT_EQUAL(collected.frames->len, 7);
  g_ptr_array_unref(collected.frames);
}

/* Sends a request PDU to the board; returns the answer (NULL when silent). */
static GByteArray *transact(SimBoard *board, const guint8 *pdu, gsize length)
{
  g_autoptr(GByteArray) frame = frame_of(pdu, length);
  GByteArray *reply = g_byte_array_new();
  if (!sim_modbus_handle_request(board, frame->data, frame->len, reply)) {
    CU_ASSERT_EQUAL(reply->len, 0);
    g_byte_array_unref(reply);
    return NULL;
  }
  CU_ASSERT_EQUAL(sim_modbus_crc16(reply->data, reply->len), 0);
  return reply;
}

/* The exception code of the answer to `pdu`, 0 for a normal answer, -1 for silence. */
static int exception_of(SimBoard *board, const guint8 *pdu, gsize length)
{
  g_autoptr(GByteArray) reply = transact(board, pdu, length);
  if (!reply)
    return -1;
  if (reply->data[1] & 0x80) {
    CU_ASSERT_EQUAL(reply->len, 5);
    CU_ASSERT_EQUAL(reply->data[1], pdu[1] | 0x80);
    return reply->data[2];
  }
  return 0;
}

static void test_requests(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, NULL);
  /* Read cell count (UINT32 at 0x106C): 24 for B2A24S15P (its LiFePO4 maximum). */
  const guint8 read_count[] = {0x01, 0x03, 0x10, 0x6C, 0x00, 0x02};
  g_autoptr(GByteArray) reply = transact(board, read_count, sizeof read_count);
  CU_ASSERT_PTR_NOT_NULL_FATAL(reply);
  CU_ASSERT_EQUAL(reply->len, 9);
  CU_ASSERT_EQUAL(reply->data[2], 4);
  CU_ASSERT_EQUAL(reply->data[6], 24);

  /* Model string at 0x1400: "JK_B2A24S15P" NUL padded. */
  const guint8 read_model[] = {0x01, 0x03, 0x14, 0x00, 0x00, 0x08};
  g_autoptr(GByteArray) model = transact(board, read_model, sizeof read_model);
  CU_ASSERT_PTR_NOT_NULL_FATAL(model);
  CU_ASSERT_EQUAL(memcmp(model->data + 3, "JK_B2A24S15P\0\0\0\0", 16), 0);
  /* Half a UINT32 from its second register (byte offset +2). */
  const guint8 read_low[] = {0x01, 0x03, 0x10, 0x6E, 0x00, 0x01};
  g_autoptr(GByteArray) low = transact(board, read_low, sizeof read_low);
  CU_ASSERT_PTR_NOT_NULL_FATAL(low);
  CU_ASSERT_EQUAL(low->data[4], 24);

  /* Foreign address and broadcast reads: silence. A bad CRC: silence. */
  const guint8 foreign[] = {0x02, 0x03, 0x10, 0x6C, 0x00, 0x02};
  CU_ASSERT_EQUAL(exception_of(board, foreign, sizeof foreign), -1);
  const guint8 broadcast[] = {0x00, 0x03, 0x10, 0x6C, 0x00, 0x02};
  CU_ASSERT_EQUAL(exception_of(board, broadcast, sizeof broadcast), -1);
  g_autoptr(GByteArray) bad = frame_of(read_count, sizeof read_count);
  bad->data[3] ^= 1;
  g_autoptr(GByteArray) silent = g_byte_array_new();
  CU_ASSERT_FALSE(sim_modbus_handle_request(board, bad->data, bad->len, silent));

  /* Exceptions. */
  const guint8 function4[] = {0x01, 0x04, 0x12, 0x00, 0x00, 0x01};
  CU_ASSERT_EQUAL(exception_of(board, function4, sizeof function4), 0x01);
  const guint8 count0[] = {0x01, 0x03, 0x12, 0x00, 0x00, 0x00};
  CU_ASSERT_EQUAL(exception_of(board, count0, sizeof count0), 0x03);
  const guint8 count126[] = {0x01, 0x03, 0x12, 0x00, 0x00, 0x7E};
  CU_ASSERT_EQUAL(exception_of(board, count126, sizeof count126), 0x03);
  const guint8 count125[] = {0x01, 0x03, 0x10, 0x00, 0x00, 0x7D};
  CU_ASSERT_EQUAL(exception_of(board, count125, sizeof count125), 0);
  const guint8 unknown[] = {0x01, 0x03, 0x30, 0x00, 0x00, 0x01};
  CU_ASSERT_EQUAL(exception_of(board, unknown, sizeof unknown), 0x02);
  const guint8 past_end[] = {0x01, 0x03, 0x12, 0xF0, 0x00, 0x10};   /* to 0x1310 */
  CU_ASSERT_EQUAL(exception_of(board, past_end, sizeof past_end), 0x02);
  const guint8 read_command[] = {0x01, 0x03, 0x16, 0x00, 0x00, 0x02};
  CU_ASSERT_EQUAL(exception_of(board, read_command, sizeof read_command), 0x02);
  const guint8 write_live[] = {0x01, 0x10, 0x12, 0x00, 0x00, 0x01, 0x02, 0x0C, 0xE4};
  CU_ASSERT_EQUAL(exception_of(board, write_live, sizeof write_live), 0x02);
  const guint8 write_model[] = {0x01, 0x10, 0x14, 0x00, 0x00, 0x01, 0x02, 0x41, 0x41};
  CU_ASSERT_EQUAL(exception_of(board, write_model, sizeof write_model), 0x02);
  const guint8 byte_count[] = {0x01, 0x10, 0x10, 0x6C, 0x00, 0x02, 0x02, 0x00, 0x10};
  CU_ASSERT_EQUAL(exception_of(board, byte_count, sizeof byte_count), 0x03);
  const guint8 reserved[] = {0x01, 0x10, 0x11, 0x0C, 0x00, 0x01, 0x02, 0x00, 0x01};
  CU_ASSERT_EQUAL(exception_of(board, reserved, sizeof reserved), 0x02);

  /* Out-of-range setting: exception 03 and not applied; in range: applied. */
  const guint8 count30[] = {0x01, 0x10, 0x10, 0x6C, 0x00, 0x02, 0x04, 0x00, 0x00, 0x00, 30};
  CU_ASSERT_EQUAL(exception_of(board, count30, sizeof count30), 0x03);
  CU_ASSERT_EQUAL(sim_board_setting(board, SIM_JK_REG_CELL_COUNT), 24);
  const guint8 count16[] = {0x01, 0x10, 0x10, 0x6C, 0x00, 0x02, 0x04, 0x00, 0x00, 0x00, 16};
  g_autoptr(GByteArray) echo = transact(board, count16, sizeof count16);
  CU_ASSERT_PTR_NOT_NULL_FATAL(echo);
  CU_ASSERT_EQUAL(echo->len, 8);
  CU_ASSERT_EQUAL(memcmp(echo->data, count16, 6), 0);
  CU_ASSERT_EQUAL(sim_board_setting(board, SIM_JK_REG_CELL_COUNT), 16);
  /* A write of several fields is checked as a whole: one bad field, nothing applied. */
  const guint8 ovp_bad[] = {0x01, 0x10, 0x10, 0x0C, 0x00, 0x04, 0x08, 0x00, 0x00, 0x0E, 0x42,
                            0x00, 0x00, 0x00, 0x05};
  CU_ASSERT_EQUAL(exception_of(board, ovp_bad, sizeof ovp_bad), 0x03);
  CU_ASSERT_EQUAL(sim_board_setting(board, SIM_JK_REG_CELL_OVP_MV), 3600);
  /* Temperatures are signed: -10.0 °C is a valid charge under-temperature. */
  const guint8 utp[] = {0x01, 0x10, 0x10, 0x5C, 0x00, 0x02, 0x04, 0xFF, 0xFF, 0xFF, 0x9C};
  CU_ASSERT_EQUAL(exception_of(board, utp, sizeof utp), 0);
  CU_ASSERT_EQUAL((gint32)sim_board_setting(board, SIM_JK_REG_CHG_UTP), -100);

  /* Only cells 1..cell count are reported. */
  SimCellReading reading;
  sim_board_read_cells(board, &reading);
  CU_ASSERT_EQUAL(reading.present_mask, 0xFFFFu);
  CU_ASSERT_EQUAL(reading.cell_mv[16], 0);
  CU_ASSERT_TRUE(reading.cell_mv[15] > 3200);

  /* The serial number field is writable and reads back. */
  const guint8 serial[] = {0x01, 0x10, 0x14, 0x50, 0x00, 0x02, 0x04, 'B', '2', 'A', '2'};
  CU_ASSERT_EQUAL(exception_of(board, serial, sizeof serial), 0);
  CU_ASSERT_EQUAL(memcmp(sim_board_serial_field(board), "B2A2", 4), 0);

  /* rs485-dead: never answers. */
  sim_board_free(board);
  board = board_rig_new_board(SERIAL, "rs485-dead");
  CU_ASSERT_EQUAL(exception_of(board, read_count, sizeof read_count), -1);
  sim_board_free(board);
  /* No board: never answers. */
  CU_ASSERT_EQUAL(exception_of(NULL, read_count, sizeof read_count), -1);
}

static void test_constants_are_seeded(void)
{
  SimBoard *a = board_rig_new_board(SERIAL, NULL);
  SimBoard *b = board_rig_new_board(SERIAL, NULL);
  SimBoard *c = board_rig_new_board("B2A24S15P-2648-00018", NULL);
  const SimBoardConstants *ka = sim_board_constants(a);
  CU_ASSERT_EQUAL(memcmp(ka, sim_board_constants(b), sizeof *ka), 0);
  CU_ASSERT_NOT_EQUAL(memcmp(ka, sim_board_constants(c), sizeof *ka), 0);
  CU_ASSERT_TRUE(fabs(ka->gain - 1) <= 0.01);
  for (int i = 0; i < SIM_BOARD_MAX_CELLS; i++)
    CU_ASSERT_TRUE(fabs(ka->offset_mv[i]) <= 2.0);
  CU_ASSERT_TRUE(fabs(ka->current_offset_ma) <= 30.0);
  /* Same serial, same reading sequence: the same numbers, noise included. */
  for (int r = 0; r < 3; r++) {
    SimCellReading ra, rb;
    sim_board_read_cells(a, &ra);
    sim_board_read_cells(b, &rb);
    CU_ASSERT_EQUAL(memcmp(&ra, &rb, sizeof ra), 0);
  }
  sim_board_free(a);
  sim_board_free(b);
  sim_board_free(c);
}

static void test_adc_model_and_calibration(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, "vref:0.8,cell-offset:3:12,open-sense:5");
  const SimBoardConstants *k = sim_board_constants(board);
  double truth[SIM_BOARD_MAX_CELLS];
  for (int i = 0; i < 24; i++)
    truth[i] = sim_cellsim_output_v(board_rig.cells, (guint)i + 1) * 1000;
  /* Average 20 readings to see the constants under the noise. */
  double mean[SIM_BOARD_MAX_CELLS] = {0};
  SimCellReading reading;
  for (int r = 0; r < 20; r++) {
    sim_board_read_cells(board, &reading);
    for (int i = 0; i < 24; i++)
      mean[i] += reading.cell_mv[i] / 20.0;
  }
  CU_ASSERT_EQUAL(reading.present_mask, 0xFFFFFFu & ~(1u << 4));
  CU_ASSERT_TRUE(mean[4] < 3.0);   /* open sense wire: ~0 */
  for (int i = 0; i < 24; i++) {
    if (i == 4)
      continue;
    SimBoardConstants faulty = *k;       /* vref:0.8 and cell-offset:3:12 applied */
    faulty.gain = 1.008;
    faulty.offset_mv[2] = 12.0;
    double expected = sim_board_cell_transfer_mv(&faulty, i + 1, truth[i]);
    if (fabs(mean[i] - expected) > 0.6)
      fprintf(stderr, "\n  cell %d: mean %.2f mV, expected %.2f mV\n", i + 1, mean[i], expected);
    CU_ASSERT_DOUBLE_EQUAL(mean[i], expected, 0.6);
  }

  /* Calibration against the true pack: factor near 1/1.008, then cells within ±3 mV except
   * the faulty ones. */
  double true_pack = 0;
  for (int i = 0; i < 24; i++)
    if (i != 4)
      true_pack += truth[i];
  CU_ASSERT_TRUE(sim_board_calibrate_voltage(board, (guint32)lround(true_pack), NULL));
  CU_ASSERT_DOUBLE_EQUAL(sim_board_voltage_factor(board), 1 / 1.008, 0.001);
  sim_board_read_cells(board, &reading);
  for (int i = 0; i < 24; i++)
    if (i != 2 && i != 4)
      CU_ASSERT_DOUBLE_EQUAL(reading.cell_mv[i], truth[i], 3.0);
  CU_ASSERT_TRUE(reading.cell_mv[2] > truth[2] + 8);

  /* A calibration the reference range cannot reach is refused and changes nothing. */
  double before = sim_board_voltage_factor(board);
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(sim_board_calibrate_voltage(board, (guint32)lround(true_pack * 1.05), &error));
  CU_ASSERT_TRUE(g_error_matches(error, SIM_ERROR, SIM_ERROR_VALUE));
  CU_ASSERT_EQUAL(sim_board_voltage_factor(board), before);
  sim_board_free(board);

  /* vref beyond the calibration range: the station's calibration is refused. */
  board = board_rig_new_board(SERIAL, "vref:4");
  true_pack = 0;
  for (int i = 0; i < 24; i++)
    true_pack += truth[i];
  CU_ASSERT_FALSE(sim_board_calibrate_voltage(board, (guint32)lround(true_pack), NULL));
  /* Current calibration needs at least 1 A of true current. */
  CU_ASSERT_FALSE(sim_board_calibrate_current(board, 500, NULL));
  sim_board_free(board);
}

static void test_fault_catalog(void)
{
  g_autoptr(GArray) faults = g_array_new(FALSE, FALSE, sizeof(SimFault));
  CU_ASSERT_TRUE(sim_faults_parse(" cell-offset:3:12 , vref:-0.5,open-sense:2,chg-fet-short,"
                                  "dsg-fet-open,ocp-dead,scp-slow:800,ntc-open:3,balance-dead:7,"
                                  "heater-open,heater-stuck-on,shunt:3,flash-bad:0x08000400,"
                                  "rs485-dead,path-res:1.5,blank-flash,hw-rev:10,scp-dead,sense-swap:4,"
                                  "noisy-channel:7:6.5,standby-current:150,leaky-input:5:2.5,mos-otp-dead,"
                                  "current-offset:-250,eeprom-dead,sleep-current:40",
                                  faults, NULL));
  CU_ASSERT_EQUAL(faults->len, SIM_FAULT_COUNT);
  g_autofree char *text = sim_faults_to_string(faults);
  CU_ASSERT_STRING_EQUAL(text, "cell-offset:3:12,vref:-0.5,open-sense:2,chg-fet-short,"
                               "dsg-fet-open,ocp-dead,scp-slow:800,ntc-open:3,balance-dead:7,"
                               "heater-open,heater-stuck-on,shunt:3,flash-bad:0x08000400,"
                               "rs485-dead,path-res:1.5,blank-flash,hw-rev:10,scp-dead,sense-swap:4,"
                               "noisy-channel:7:6.5,standby-current:150,leaky-input:5:2.5,mos-otp-dead,"
                               "current-offset:-250,eeprom-dead,sleep-current:40");
  const char *bad[] = {"cell-offset:3", "cell-offset:0:5", "cell-offset:33:5", "vref",
                       "vref:abc", "open-sense", "rs485-dead:1", "ntc-open:4", "flash-bad:0x1000",
                       "sense-swap:32", "noisy-channel:7", "noisy-channel:7:101",
                       "standby-current", "standby-current:-1", "leaky-input:5",
                       "leaky-input:33:1", "current-offset", "current-offset:9000",
                       "sleep-current", "sleep-current:-5",
                       "melted", "vref:2,melted"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    guint before = faults->len;
    CU_ASSERT_FALSE(sim_faults_parse(bad[i], faults, &error));
    CU_ASSERT_EQUAL(faults->len, before);
    CU_ASSERT_PTR_NOT_NULL(error);
    if (error && i >= G_N_ELEMENTS(bad) - 2)
      CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "unknown fault 'melted'"));
  }
  CU_ASSERT_TRUE(sim_fault_is_modelled(SIM_FAULT_CELL_OFFSET));
  CU_ASSERT_TRUE(sim_fault_is_modelled(SIM_FAULT_RS485_DEAD));
  CU_ASSERT_TRUE(sim_fault_is_modelled(SIM_FAULT_OCP_DEAD));
}

/* Random bytes into the framer, every delivered frame into the handler: nothing crashes and
 * a good request after a silence still gets its answer. Then random requests with valid
 * CRCs go straight to the handler, exercising every function and exception path. */
static void test_fuzz(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, NULL);
  GRand *rng = g_rand_new_with_seed(424242);
  SimModbusFramer framer;
  sim_modbus_framer_init(&framer);
  Collected collected = {g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref)};
  gint64 now = 0;
  for (int i = 0; i < 5000; i++) {
    guint8 bytes[300];
    gsize length = (gsize)g_rand_int_range(rng, 1, sizeof bytes);
    for (gsize k = 0; k < length; k++)
      bytes[k] = (guint8)g_rand_int_range(rng, 0, 256);
    /* Bias towards this slave and the functions it knows. */
    if (length > 2 && g_rand_boolean(rng)) {
      bytes[0] = 1;
      bytes[1] = g_rand_boolean(rng) ? 0x03 : 0x10;
    }
    now += g_rand_int_range(rng, 0, 2 * SIM_MODBUS_SILENCE_US);
    sim_modbus_framer_feed(&framer, bytes, length, now, collect, &collected);
    CU_ASSERT_TRUE(framer.length <= SIM_MODBUS_ADU_MAX);
  }
  g_autoptr(GByteArray) reply = g_byte_array_new();
  for (guint i = 0; i < collected.frames->len; i++) {
    GByteArray *frame = collected.frames->pdata[i];
    CU_ASSERT_EQUAL(sim_modbus_crc16(frame->data, frame->len), 0);
    if (sim_modbus_handle_request(board, frame->data, frame->len, reply))
      CU_ASSERT_EQUAL(sim_modbus_crc16(reply->data, reply->len), 0);
  }

  guint answered_reads = 0, answered_writes = 0, exceptions[4] = {0};
  for (int i = 0; i < 20000; i++) {
    guint8 pdu[262];
    gsize length = (gsize)g_rand_int_range(rng, 2, 258);
    for (gsize k = 0; k < length; k++)
      pdu[k] = (guint8)g_rand_int_range(rng, 0, 256);
    pdu[0] = 1;
    pdu[1] = (guint8)(g_rand_int_range(rng, 0, 4) == 0 ? g_rand_int_range(rng, 0, 256)
                                                       : g_rand_boolean(rng) ? 0x03 : 0x10);
    if (length >= 6) {
      pdu[2] = (guint8)(0x10 + 2 * g_rand_int_range(rng, 0, 4) + g_rand_int_range(rng, 0, 2));
      pdu[4] = 0;
      pdu[5] = (guint8)g_rand_int_range(rng, 0, 130);
    }
    if (length >= 7 && pdu[1] == 0x10 && g_rand_boolean(rng)) {
      pdu[6] = (guint8)(2 * pdu[5]);
      length = MIN(7u + pdu[6], sizeof pdu - 2);
    }
    g_autoptr(GByteArray) frame = frame_of(pdu, length);
    if (!sim_modbus_handle_request(board, frame->data, frame->len, reply))
      continue;
    CU_ASSERT_EQUAL(sim_modbus_crc16(reply->data, reply->len), 0);
    if (reply->data[1] == 0x03)
      answered_reads++;
    else if (reply->data[1] == 0x10)
      answered_writes++;
    else if ((reply->data[1] & 0x80) && reply->data[2] >= 1 && reply->data[2] <= 3)
      exceptions[reply->data[2]]++;
  }
  g_rand_free(rng);
  /* The run reached every kind of answer. */
  CU_ASSERT_TRUE(answered_reads > 0 && answered_writes > 0);
  CU_ASSERT_TRUE(exceptions[1] > 0 && exceptions[2] > 0 && exceptions[3] > 0);

  /* After a silence, a good request is delivered and answered. */
  g_ptr_array_set_size(collected.frames, 0);
  const guint8 read[] = {0x01, 0x03, 0x14, 0x00, 0x00, 0x02};
  g_autoptr(GByteArray) good = frame_of(read, sizeof read);
  now += SIM_MODBUS_SILENCE_US + 1;
  sim_modbus_framer_feed(&framer, good->data, good->len, now, collect, &collected);
  CU_ASSERT_EQUAL_FATAL(collected.frames->len, 1);
  GByteArray *frame = collected.frames->pdata[0];
  guint8 address = sim_board_address(board);
  if (address == 1) {
    CU_ASSERT_TRUE(sim_modbus_handle_request(board, frame->data, frame->len, reply));
    CU_ASSERT_EQUAL(reply->len, 9);
    CU_ASSERT_EQUAL(memcmp(reply->data + 3, "JK_B", 4), 0);
  } else {
    /* The fuzz wrote a new device address: the board answers there now. */
    guint8 moved[8];
    memcpy(moved, read, sizeof read);
    moved[0] = address;
    g_autoptr(GByteArray) again = frame_of(moved, sizeof read);
    CU_ASSERT_TRUE(sim_modbus_handle_request(board, again->data, again->len, reply));
  }
  g_ptr_array_unref(collected.frames);
  sim_board_free(board);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("sim_modbus", setup, board_rig_close);
  CU_add_test(suite, "CRC-16 reference values", test_crc);
  CU_add_test(suite, "framer: resync, bursts, bad CRC, 50 ms silence", test_framer);
  CU_add_test(suite, "requests, exceptions and settings checks", test_requests);
  CU_add_test(suite, "board constants are seeded from the serial", test_constants_are_seeded);
  CU_add_test(suite, "ADC model, faults and voltage calibration", test_adc_model_and_calibration);
  CU_add_test(suite, "fault catalog parsing", test_fault_catalog);
  CU_add_test(suite, "fuzz: random bytes and random requests", test_fuzz);
  return cunit_run_all();
}
