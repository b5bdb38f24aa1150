/* Tests of the twin board's JK register map through the Modbus request handler, called
 * directly: every setting's range (out of range refused with exception 03 and nothing
 * changed), the one-key chemistry defaults, the 0x55AA frame triggers (300 bytes, checksum,
 * little-endian body, then the normal answer), the live block's fields, shutdown, device
 * information after a reset, settings kept across resets and reinsertion, and the sync hook
 * that lets the physics bring the board up to date. */
#include "tests/cunit_main.h"
#include "tests/sim/board_rig.h"
#include "fixtures/sim/sim_board_map.h"
#include "fixtures/sim/sim_common.h"
#include "fixtures/sim/sim_faults.h"
#include "fixtures/sim/sim_modbus.h"
#include <math.h>
#include <string.h>

#define SERIAL "B2A24S15P-2648-00017"   /* 2 A balancer, OCP 10..150 A, 7..24 cells */

/* Suite set-up: the board rig on the virtual clock. */
static int setup(void)
{
  return board_rig_open(SIM_CLOCK_VIRTUAL);
}

/* Sends a request PDU (address first) with its CRC; returns the answer or NULL (silent). */
static GByteArray *transact(SimBoard *board, const guint8 *pdu, gsize length)
{
  g_autoptr(GByteArray) frame = g_byte_array_new();
  g_byte_array_append(frame, pdu, (guint)length);
  sim_modbus_append_crc(frame);
  GByteArray *reply = g_byte_array_new();
  if (!sim_modbus_handle_request(board, frame->data, frame->len, reply)) {
    g_byte_array_unref(reply);
    return NULL;
  }
  return reply;
}

/* Writes `length` bytes at `reg`; returns 0 or the exception code (-1 when silent). */
static int write_bytes(SimBoard *board, guint16 reg, const guint8 *data, gsize length)
{
  guint8 pdu[7 + 246] = {1, 0x10, (guint8)(reg >> 8), (guint8)reg, 0, (guint8)(length / 2),
                         (guint8)length};
  memcpy(pdu + 7, data, length);
  g_autoptr(GByteArray) reply = transact(board, pdu, 7 + length);
  if (!reply)
    return -1;
  if (reply->data[1] & 0x80)
    return reply->data[2];
  CU_ASSERT_EQUAL(reply->len, 8);
  return 0;
}

/* Writes one UINT32/INT32 register pair; returns 0 or the exception code. */
static int write_u32(SimBoard *board, guint16 reg, gint64 value)
{
  guint32 v = (guint32)value;
  guint8 bytes[4] = {(guint8)(v >> 24), (guint8)(v >> 16), (guint8)(v >> 8), (guint8)v};
  return write_bytes(board, reg, bytes, 4);
}

/* Writes one register; returns 0 or the exception code. */
static int write_u16(SimBoard *board, guint16 reg, guint16 value)
{
  guint8 bytes[2] = {(guint8)(value >> 8), (guint8)value};
  return write_bytes(board, reg, bytes, 2);
}

/* Reads `count` registers at `reg` into out (2·count bytes); asserts the board answered. */
static void read_regs(SimBoard *board, guint16 reg, guint16 count, guint8 *out)
{
  guint8 pdu[6] = {1, 0x03, (guint8)(reg >> 8), (guint8)reg, 0, (guint8)count};
  g_autoptr(GByteArray) reply = transact(board, pdu, sizeof pdu);
  CU_ASSERT_PTR_NOT_NULL_FATAL(reply);
  CU_ASSERT_EQUAL_FATAL(reply->data[1], 0x03);
  CU_ASSERT_EQUAL_FATAL(reply->len, 5u + 2u * count);
  memcpy(out, reply->data + 3, 2u * count);
}

/* Reads the INT32 at `reg` (two registers). */
static gint32 read_i32(SimBoard *board, guint16 reg)
{
  guint8 b[4];
  read_regs(board, reg, 2, b);
  return (gint32)((guint32)b[0] << 24 | (guint32)b[1] << 16 | (guint32)b[2] << 8 | b[3]);
}

/* ---- settings ---- */

typedef struct {
  guint16 reg;
  gint64 min, max;              /* accepted range for B2A24S15P */
} Range;

static const Range ranges[] = {
  {SIM_JK_REG_SMART_SLEEP_MV, 1200, 4350},
  {SIM_JK_REG_CELL_UVP_MV, 1200, 4350},
  {SIM_JK_REG_CELL_UVPR_MV, 1200, 4350},
  {SIM_JK_REG_CELL_OVP_MV, 1200, 4350},
  {SIM_JK_REG_CELL_OVPR_MV, 1200, 4350},
  {SIM_JK_REG_BALANCE_TRIGGER_MV, 3, 1000},
  {SIM_JK_REG_SOC100_MV, 1200, 4350},
  {SIM_JK_REG_SOC0_MV, 1200, 4350},
  {SIM_JK_REG_POWER_OFF_MV, 1200, 4350},
  {SIM_JK_REG_CHG_OCP_MA, 10000, 150000},
  {SIM_JK_REG_CHG_OCP_DELAY_S, 2, 120},
  {SIM_JK_REG_CHG_OCP_RECOVERY_S, 2, 600},
  {SIM_JK_REG_DSG_OCP_MA, 10000, 150000},
  {SIM_JK_REG_DSG_OCP_DELAY_S, 2, 120},
  {SIM_JK_REG_DSG_OCP_RECOVERY_S, 2, 600},
  {SIM_JK_REG_SCP_RECOVERY_S, 2, 600},
  {SIM_JK_REG_MAX_BALANCE_MA, 0, 2000},
  {SIM_JK_REG_CHG_OTP, 200, 1000},
  {SIM_JK_REG_CHG_OTPR, 200, 1000},
  {SIM_JK_REG_DSG_OTP, 200, 1000},
  {SIM_JK_REG_DSG_OTPR, 200, 1000},
  {SIM_JK_REG_CHG_UTP, -400, 200},
  {SIM_JK_REG_CHG_UTPR, -400, 200},
  {SIM_JK_REG_MOS_OTP, 200, 1200},
  {SIM_JK_REG_MOS_OTPR, 200, 1200},
  {SIM_JK_REG_CELL_COUNT, 7, 24},
  {SIM_JK_REG_CHARGE_ENABLE, 0, 1},
  {SIM_JK_REG_DISCHARGE_ENABLE, 0, 1},
  {SIM_JK_REG_BALANCE_ENABLE, 0, 1},
  {SIM_JK_REG_CAPACITY_MAH, 1000, 10000000},
  {SIM_JK_REG_SCP_DELAY_US, 10, 10000},
  {SIM_JK_REG_BALANCE_START_MV, 1200, 4350},
  {SIM_JK_REG_WIRE_RES(0), 0, 1000},
  {SIM_JK_REG_WIRE_RES(31), 0, 1000},
  {SIM_JK_REG_DEVICE_ADDRESS, 1, 247},
};

static void test_setting_ranges(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS(ranges); i++) {
    const Range *r = &ranges[i];
    if (r->reg == SIM_JK_REG_DEVICE_ADDRESS)
      continue;                 /* moving the address is checked below */
    guint32 before = sim_board_setting(board, r->reg);
    CU_ASSERT_EQUAL(write_u32(board, r->reg, r->min - 1), 0x03);
    CU_ASSERT_EQUAL(sim_board_setting(board, r->reg), before);
    CU_ASSERT_EQUAL(write_u32(board, r->reg, r->max + 1), 0x03);
    CU_ASSERT_EQUAL(sim_board_setting(board, r->reg), before);
    CU_ASSERT_EQUAL(write_u32(board, r->reg, r->min), 0);
    CU_ASSERT_EQUAL((gint32)sim_board_setting(board, r->reg), r->min);
    CU_ASSERT_EQUAL(write_u32(board, r->reg, r->max), 0);
    CU_ASSERT_EQUAL((gint32)sim_board_setting(board, r->reg), r->max);
    if (r->min != (gint32)before || r->max != (gint32)before)
      CU_ASSERT_EQUAL(write_u32(board, r->reg, (gint32)before), 0);
    if (sim_board_setting(board, r->reg) != before)
      fprintf(stderr, "0x%04X not restored\n", r->reg);
  }
  /* The error names the register and the range. */
  guint8 bytes[4] = {0, 0, 0, 1};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(sim_board_write_settings(board, SIM_JK_REG_CHG_OCP_DELAY_S - SIM_JK_REG_SETTINGS,
                                           bytes, 4, &error));
  CU_ASSERT_PTR_NOT_NULL_FATAL(error);
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "0x1030"));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "2..120"));
  /* Heater enable bits (UINT16). */
  CU_ASSERT_EQUAL(write_u16(board, SIM_JK_REG_CONTROL_BITS, 1), 0);
  CU_ASSERT_EQUAL(sim_board_settings(board)[SIM_JK_REG_CONTROL_BITS - SIM_JK_REG_SETTINGS + 1], 1);
  /* The model's own ranges: a 0.4 A board takes no more than 400 mA of balance current. */
  SimBoard *small = board_rig_new_board("BD4A8S4P-2648-00001", NULL);
  CU_ASSERT_EQUAL(write_u32(small, SIM_JK_REG_MAX_BALANCE_MA, 401), 0x03);
  CU_ASSERT_EQUAL(write_u32(small, SIM_JK_REG_MAX_BALANCE_MA, 400), 0);
  CU_ASSERT_EQUAL(write_u32(small, SIM_JK_REG_CHG_OCP_MA, 40001), 0x03);
  CU_ASSERT_EQUAL(write_u32(small, SIM_JK_REG_CELL_COUNT, 9), 0x03);
  CU_ASSERT_EQUAL(write_u32(small, SIM_JK_REG_CELL_COUNT, 3), 0);
  sim_board_free(small);
  /* The address moves the slave. */
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_DEVICE_ADDRESS, 0), 0x03);
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_DEVICE_ADDRESS, 7), 0);
  CU_ASSERT_EQUAL(sim_board_address(board), 7);
  sim_board_free(board);
}

static void test_one_key_defaults(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, NULL);
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_CELL_COUNT, 13), 0);
  const struct {
    guint16 command;
    guint32 ovp, ovpr, uvp, uvpr;
  } chemistries[] = {
    {SIM_JK_REG_CMD_DEFAULTS_LIION, 4200, 4100, 2900, 3200},
    {SIM_JK_REG_CMD_DEFAULTS_LFP, 3600, 3400, 2600, 3000},
    {SIM_JK_REG_CMD_DEFAULTS_LTO, 2700, 2400, 1800, 2000},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(chemistries); i++) {
    CU_ASSERT_EQUAL(write_u16(board, chemistries[i].command, 1), 0);
    CU_ASSERT_EQUAL(sim_board_setting(board, SIM_JK_REG_CELL_OVP_MV), chemistries[i].ovp);
    CU_ASSERT_EQUAL(sim_board_setting(board, SIM_JK_REG_CELL_OVPR_MV), chemistries[i].ovpr);
    CU_ASSERT_EQUAL(sim_board_setting(board, SIM_JK_REG_CELL_UVP_MV), chemistries[i].uvp);
    CU_ASSERT_EQUAL(sim_board_setting(board, SIM_JK_REG_CELL_UVPR_MV), chemistries[i].uvpr);
    CU_ASSERT_EQUAL(sim_board_setting(board, SIM_JK_REG_CELL_COUNT), 13);
    /* Every default is itself a value the board accepts (0x1020..0x1027 and 0x110C..0x1113
     * are reserved). */
    guint8 image[SIM_JK_SETTINGS_BYTES];
    memcpy(image, sim_board_settings(board), sizeof image);
    CU_ASSERT_TRUE(sim_board_write_settings(board, 0, image, 0x20, NULL));
    CU_ASSERT_TRUE(sim_board_write_settings(board, 0x28, image + 0x28, 0x10C - 0x28, NULL));
  }
  /* A new board carries the LiFePO4 defaults. */
  SimBoard *fresh = board_rig_new_board("B2A24S15P-2648-00018", NULL);
  CU_ASSERT_EQUAL(sim_board_setting(fresh, SIM_JK_REG_CELL_OVP_MV), 3600);
  CU_ASSERT_EQUAL(sim_board_setting(fresh, SIM_JK_REG_CELL_UVP_MV), 2600);
  sim_board_free(fresh);
  sim_board_free(board);
}

/* ---- frames ---- */

/* Triggers a frame with `command`; checks framing and returns the 300 frame bytes. */
static void trigger_frame(SimBoard *board, guint16 command, guint8 type, guint8 *out)
{
  guint8 pdu[9] = {1, 0x10, (guint8)(command >> 8), (guint8)command, 0, 1, 2, 0, 0};
  g_autoptr(GByteArray) reply = transact(board, pdu, sizeof pdu);
  CU_ASSERT_PTR_NOT_NULL_FATAL(reply);
  CU_ASSERT_EQUAL_FATAL(reply->len, SIM_BOARD_FRAME_BYTES + 8);
  const guint8 magic[4] = {0x55, 0xAA, 0xEB, 0x90};
  CU_ASSERT_EQUAL(memcmp(reply->data, magic, 4), 0);
  CU_ASSERT_EQUAL(reply->data[4], type);
  guint8 sum = 0;
  for (int i = 0; i < SIM_BOARD_FRAME_BYTES - 1; i++)
    sum = (guint8)(sum + reply->data[i]);
  CU_ASSERT_EQUAL(reply->data[SIM_BOARD_FRAME_BYTES - 1], sum);
  /* Then the normal 0x10 answer with its CRC. */
  const guint8 *answer = reply->data + SIM_BOARD_FRAME_BYTES;
  CU_ASSERT_EQUAL(memcmp(answer, pdu, 6), 0);
  CU_ASSERT_EQUAL(sim_modbus_crc16(answer, 8), 0);
  memcpy(out, reply->data, SIM_BOARD_FRAME_BYTES);
}

/* Little-endian UINT32 and UINT16 at p. */
static guint32 le32(const guint8 *p)
{
  return (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
}

static guint16 le16(const guint8 *p)
{
  return (guint16)(p[0] | p[1] << 8);
}

static void test_frames(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, NULL);
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_CELL_OVP_MV, 3550), 0);
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_CHG_UTP, -50), 0);
  CU_ASSERT_EQUAL(write_u16(board, SIM_JK_REG_CONTROL_BITS, 0x0101), 0);

  /* Settings: every UINT32 of the block, little-endian from byte 6. */
  guint8 frame[SIM_BOARD_FRAME_BYTES];
  trigger_frame(board, SIM_JK_REG_CMD_FRAME_SETTINGS, SIM_BOARD_FRAME_SETTINGS, frame);
  const guint8 *body = frame + 6;
  for (guint reg = SIM_JK_REG_SETTINGS; reg < SIM_JK_REG_CONTROL_BITS; reg += 4)
    CU_ASSERT_EQUAL(le32(body + (reg - SIM_JK_REG_SETTINGS)), sim_board_setting(board, (guint16)reg));
  CU_ASSERT_EQUAL(le32(body + (SIM_JK_REG_CELL_OVP_MV - SIM_JK_REG_SETTINGS)), 3550);
  CU_ASSERT_EQUAL((gint32)le32(body + (SIM_JK_REG_CHG_UTP - SIM_JK_REG_SETTINGS)), -50);
  CU_ASSERT_EQUAL(le16(body + (SIM_JK_REG_CONTROL_BITS - SIM_JK_REG_SETTINGS)), 0x0101);
  for (int i = 6 + SIM_JK_SETTINGS_BYTES; i < SIM_BOARD_FRAME_BYTES - 1; i++)
    CU_ASSERT_EQUAL(frame[i], 0);
  guint8 first_number = frame[5];

  /* Device info: ASCII as is, run time and power-on count little-endian. */
  trigger_frame(board, SIM_JK_REG_CMD_FRAME_INFO, SIM_BOARD_FRAME_INFO, frame);
  body = frame + 6;
  CU_ASSERT_EQUAL(frame[5], (guint8)(first_number + 1));
  CU_ASSERT_EQUAL(memcmp(body, "JK_B2A24S15P", 13), 0);
  CU_ASSERT_EQUAL(memcmp(body + (SIM_JK_REG_SW_VERSION - SIM_JK_REG_INFO), "11.26", 6), 0);
  CU_ASSERT_EQUAL(le32(body + (SIM_JK_REG_RUN_TIME_S - SIM_JK_REG_INFO)), sim_board_run_time_s(board));
  CU_ASSERT_EQUAL(le32(body + (SIM_JK_REG_POWER_ON_COUNT - SIM_JK_REG_INFO)),
                  sim_board_power_on_count(board));

  /* Live data: cells, MOS states, temperatures, factors, little-endian. */
  trigger_frame(board, SIM_JK_REG_CMD_FRAME_LIVE, SIM_BOARD_FRAME_LIVE, frame);
  body = frame + 6;
  for (int i = 0; i < 24; i++) {
    guint16 mv = le16(body + (SIM_JK_REG_CELL_MV(i) - SIM_JK_REG_LIVE));
    CU_ASSERT_TRUE(mv > 3250 && mv < 3350);
  }
  CU_ASSERT_EQUAL(le16(body + (SIM_JK_REG_CELL_MV(24) - SIM_JK_REG_LIVE)), 0);
  CU_ASSERT_EQUAL(le32(body + (SIM_JK_REG_CELLS_PRESENT - SIM_JK_REG_LIVE)), 0xFFFFFFu);
  /* 25 °C within the board's sensor errors and noise, as its registers show them. */
  CU_ASSERT_TRUE(abs((gint16)le16(body + (SIM_JK_REG_T1 - SIM_JK_REG_LIVE)) - 250) <= 15);
  CU_ASSERT_TRUE(abs((gint16)le16(body + (SIM_JK_REG_T3 - SIM_JK_REG_LIVE)) - 250) <= 15);
  CU_ASSERT_EQUAL((gint16)le16(body + (SIM_JK_REG_T3 - SIM_JK_REG_LIVE)),
                  lround(sim_board_temperature_c(board, 2) * 10));
  /* The MOS sensor: 25 °C within its offset (±1.5 °C) and its noise. */
  CU_ASSERT_TRUE(abs((gint16)le16(body + (SIM_JK_REG_MOS_TEMP - SIM_JK_REG_LIVE)) - 250) <= 25);
  CU_ASSERT_EQUAL(body[SIM_JK_REG_CHG_MOS - SIM_JK_REG_LIVE], 1);
  CU_ASSERT_EQUAL(body[SIM_JK_REG_DSG_MOS - SIM_JK_REG_LIVE], 1);
  CU_ASSERT_EQUAL(le32(body + (SIM_JK_REG_ALARMS - SIM_JK_REG_LIVE)), 0);
  guint32 bits = le32(body + (SIM_JK_REG_VOLTAGE_VALUE - SIM_JK_REG_LIVE));
  float value;
  memcpy(&value, &bits, sizeof value);
  CU_ASSERT_EQUAL(value, 3.0f);                 /* uncalibrated: 3.000 */
  CU_ASSERT_EQUAL(le16(body + (SIM_JK_REG_CURRENT_FACTOR - SIM_JK_REG_LIVE)), 1000);
  guint32 pack = le32(body + (SIM_JK_REG_PACK_MV - SIM_JK_REG_LIVE));
  CU_ASSERT_TRUE(pack > 24 * 3250 && pack < 24 * 3350);

  /* A trigger takes 0; anything else is exception 03 and no frame. */
  CU_ASSERT_EQUAL(write_u16(board, SIM_JK_REG_CMD_FRAME_LIVE, 1), 0x03);
  sim_board_free(board);
}

/* ---- live block and commands ---- */

static void test_live_block(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, NULL);
  SimBoardInputs in;
  sim_board_default_inputs(&in);
  in.ntc_ohm[0] = 10000.0 * exp(3435.0 * (1.0 / (273.15 + 40) - 1.0 / 298.15));
  in.ntc_ohm[2] = INFINITY;
  in.current_a = -20;
  sim_board_advance(board, &in, sim_board_time_s(board));
  /* The registers show the firmware's samples: two of them with these inputs. */
  sim_clock_advance(board_rig.clock, 2 * SIM_BOARD_SAMPLE_S);
  guint8 regs[4];
  read_regs(board, SIM_JK_REG_T1, 2, regs);
  CU_ASSERT_TRUE(abs((gint16)(regs[0] << 8 | regs[1]) - 400) <= 15);
  CU_ASSERT_TRUE(abs((gint16)(regs[2] << 8 | regs[3]) - 250) <= 15);
  read_regs(board, SIM_JK_REG_T3, 1, regs);
  CU_ASSERT_EQUAL((gint16)(regs[0] << 8 | regs[1]), -400);
  CU_ASSERT_EQUAL((guint32)read_i32(board, SIM_JK_REG_ALARMS), SIM_BOARD_ALARM_TEMP_SENSOR);
  gint32 current = read_i32(board, SIM_JK_REG_CURRENT_MA);
  /* Uncalibrated: the board's own gain error (up to ±8 %) is in the reading. */
  CU_ASSERT_TRUE(current < -18300 && current > -21700);
  gint32 power = read_i32(board, SIM_JK_REG_POWER_MW);
  CU_ASSERT_TRUE(power > 18.3 * 79000 && power < 21.7 * 80000);
  /* Coulomb counter registers. */
  CU_ASSERT_EQUAL(read_i32(board, SIM_BOARD_REG_FULL_MAH), 100000);
  gint32 remaining = read_i32(board, SIM_BOARD_REG_REMAINING_MAH);
  read_regs(board, SIM_JK_REG_BALANCE_STATE, 1, regs);
  CU_ASSERT_EQUAL(regs[1], (guint8)lround(sim_board_soc_pct(board)));
  CU_ASSERT_EQUAL(remaining, (gint32)lround(sim_board_remaining_mah(board)));
  /* Wire resistances mirror the compensation settings. */
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_WIRE_RES(3), 42), 0);
  read_regs(board, SIM_JK_REG_WIRE_RES_MOHM(3), 1, regs);
  CU_ASSERT_EQUAL(regs[0] << 8 | regs[1], 42);

  /* A settings write acts at once: charging disabled turns the charge MOSFET off. */
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_CHARGE_ENABLE, 0), 0);
  read_regs(board, SIM_JK_REG_CHG_MOS, 1, regs);
  CU_ASSERT_EQUAL(regs[0], 0);
  CU_ASSERT_EQUAL(regs[1], 1);
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_CHARGE_ENABLE, 1), 0);
  /* Shutdown (0x1604): both off, and the board keeps answering. */
  CU_ASSERT_EQUAL(write_u16(board, SIM_JK_REG_CMD_SHUTDOWN, 1), 0);
  read_regs(board, SIM_JK_REG_CHG_MOS, 1, regs);
  CU_ASSERT_EQUAL(regs[0], 0);
  CU_ASSERT_EQUAL(regs[1], 0);
  CU_ASSERT_FALSE(sim_board_conducts_discharge(board));
  sim_board_free(board);
}

/* ---- persistence and versions ---- */

static void test_reset_keeps_settings(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, NULL);
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_CELL_OVP_MV, 3550), 0);
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_CELL_COUNT, 16), 0);
  guint8 serial[4] = {'B', '2', 'A', '2'};
  CU_ASSERT_EQUAL(write_bytes(board, SIM_JK_REG_SERIAL, serial, 4), 0);
  /* Voltage calibration with a true pack 0.5 % above the reading. */
  SimCellReading reading;
  sim_board_read_cells(board, &reading);
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_CMD_VOLTAGE_CAL, lround(reading.raw_pack_mv * 1.005)), 0);
  double factor = sim_board_voltage_factor(board);
  CU_ASSERT_DOUBLE_EQUAL(factor, 1.005, 0.001);

  sim_board_reset(board, FALSE, "11.30");
  CU_ASSERT_EQUAL(sim_board_setting(board, SIM_JK_REG_CELL_OVP_MV), 3550);
  CU_ASSERT_EQUAL(sim_board_setting(board, SIM_JK_REG_CELL_COUNT), 16);
  CU_ASSERT_EQUAL(sim_board_voltage_factor(board), factor);
  guint8 version[8];
  read_regs(board, SIM_JK_REG_SW_VERSION, 4, version);
  CU_ASSERT_EQUAL(memcmp(version, "11.30\0\0\0", 8), 0);

  /* Silent without an image and in the bootloader; settings survive that too. */
  const guint8 read_count[6] = {1, 0x03, 0x10, 0x6C, 0x00, 0x02};
  sim_board_reset(board, FALSE, NULL);
  CU_ASSERT_PTR_NULL(transact(board, read_count, sizeof read_count));
  sim_board_reset(board, TRUE, NULL);
  CU_ASSERT_PTR_NULL(transact(board, read_count, sizeof read_count));
  sim_board_reset(board, FALSE, "11.31");
  CU_ASSERT_EQUAL(read_i32(board, SIM_JK_REG_CELL_COUNT), 16);

  /* Out of the fixture and back: the EEPROM is kept. */
  sim_board_remove(board);
  CU_ASSERT_PTR_NULL(transact(board, read_count, sizeof read_count));
  g_autoptr(GArray) none = g_array_new(FALSE, FALSE, sizeof(SimFault));
  sim_board_insert(board, board_rig.cells, board_rig.clock, none);
  CU_ASSERT_EQUAL(read_i32(board, SIM_JK_REG_CELL_OVP_MV), 3550);
  CU_ASSERT_EQUAL(memcmp(sim_board_serial_field(board), "B2A2", 4), 0);
  CU_ASSERT_EQUAL(sim_board_voltage_factor(board), factor);
  read_regs(board, SIM_JK_REG_SW_VERSION, 4, version);
  CU_ASSERT_EQUAL(memcmp(version, "11.31\0\0\0", 8), 0);
  sim_board_free(board);
}

/* ---- fields as real boards have them (addresses as DESIGN.md §5 documents them) ---- */

/* Reads the big-endian FLOAT at `reg`. */
static float read_float(SimBoard *board, guint16 reg)
{
  gint32 bits = read_i32(board, reg);
  float value;
  memcpy(&value, &bits, sizeof value);
  return value;
}

/* Reads the UINT16 at `reg`. */
static guint16 read_u16(SimBoard *board, guint16 reg)
{
  guint8 b[2];
  read_regs(board, reg, 1, b);
  return (guint16)(b[0] << 8 | b[1]);
}

static void test_correction_fields(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, NULL);
  CU_ASSERT_EQUAL(read_u16(board, 0x12D6), 1000);          /* UINT16, 1000 = 1.000 */
  CU_ASSERT_EQUAL(read_float(board, 0x12DC), 3.0f);        /* FLOAT, about 3.0 */

  /* Voltage calibration 0x1600 with the pack 0.4 % above the raw reading: the value becomes
   * 3.000 × 1.004 and the cell readings scale by the same ratio. */
  SimCellReading reading;
  sim_board_read_cells(board, &reading);
  CU_ASSERT_EQUAL(write_u32(board, 0x1600, lround(reading.raw_pack_mv * 1.004)), 0);
  CU_ASSERT_DOUBLE_EQUAL(read_float(board, 0x12DC), 3.012, 0.002);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_voltage_factor(board), 1.004, 0.001);

  /* Current calibration 0x1606 at 10 A: the factor is whole thousandths of true / raw. */
  SimBoardInputs in;
  sim_board_default_inputs(&in);
  in.current_a = 10.0;
  sim_board_advance(board, &in, sim_clock_now(board_rig.clock));
  const SimBoardConstants *k = sim_board_constants(board);
  double raw_ma = k->current_gain * 10000.0 + k->current_offset_ma;
  CU_ASSERT_EQUAL(write_u32(board, 0x1606, 10000), 0);
  guint16 permille = read_u16(board, 0x12D6);
  CU_ASSERT_TRUE(abs((int)permille - (int)lround(10000.0 / raw_ma * 1000.0)) <= 1);
  CU_ASSERT_EQUAL(sim_board_current_factor(board), permille / 1000.0);
  sim_board_free(board);
}

static void test_serial_and_user_data(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, NULL);
  const guint8 serial[16] = "2648-00017";
  const guint8 user[16] = "line 3 slot A";
  CU_ASSERT_EQUAL(write_bytes(board, 0x1450, serial, 16), 0);
  CU_ASSERT_EQUAL(write_bytes(board, 0x1460, user, 16), 0);
  guint8 field[32];
  read_regs(board, 0x1450, 16, field);
  CU_ASSERT_EQUAL(memcmp(field, serial, 16), 0);
  CU_ASSERT_EQUAL(memcmp(field + 16, user, 16), 0);

  /* A 32-byte serial runs into the user data: refused whole (02), both fields unchanged. */
  guint8 too_long[32];
  memset(too_long, 'X', sizeof too_long);
  CU_ASSERT_EQUAL(write_bytes(board, 0x1450, too_long, 32), 0x02);
  CU_ASSERT_EQUAL(write_bytes(board, 0x1458, too_long, 10), 0x02);
  read_regs(board, 0x1450, 16, field);
  CU_ASSERT_EQUAL(memcmp(field, serial, 16), 0);
  CU_ASSERT_EQUAL(memcmp(field + 16, user, 16), 0);
  /* The rest of the device information stays read-only. */
  CU_ASSERT_EQUAL(write_bytes(board, 0x1400, too_long, 16), 0x02);
  sim_board_free(board);
}

/* ---- sync hook ---- */

typedef struct {
  int updates;                  /* calls with resolve FALSE */
  int resolves;                 /* calls with resolve TRUE */
} SyncCount;

/* Sync function that counts its calls. */
static void count_sync(gpointer data, gboolean resolve)
{
  SyncCount *count = data;
  if (resolve)
    count->resolves++;
  else
    count->updates++;
}

static void test_sync_hook(void)
{
  SimBoard *board = board_rig_new_board(SERIAL, NULL);
  /* Without a hook the board runs alone up to its clock. */
  SimBoardInputs in;
  sim_board_default_inputs(&in);
  sim_board_advance(board, &in, sim_clock_now(board_rig.clock));
  double before = sim_board_time_s(board);
  sim_clock_advance(board_rig.clock, 5);
  guint8 regs[2];
  read_regs(board, SIM_JK_REG_CELL_MV(0), 1, regs);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_time_s(board), before + 5, 1e-9);

  /* With one, reads update through it and writes re-solve through it. */
  SyncCount count = {0};
  sim_board_set_sync_func(board, count_sync, &count);
  sim_clock_advance(board_rig.clock, 5);
  read_regs(board, SIM_JK_REG_CELL_MV(0), 1, regs);
  CU_ASSERT_EQUAL(count.updates, 1);
  CU_ASSERT_EQUAL(count.resolves, 0);
  CU_ASSERT_DOUBLE_EQUAL(sim_board_time_s(board), before + 5, 1e-9);
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_CHARGE_ENABLE, 0), 0);
  CU_ASSERT_EQUAL(count.updates, 2);
  CU_ASSERT_EQUAL(count.resolves, 1);
  /* A refused write changes nothing: no re-solve. */
  CU_ASSERT_EQUAL(write_u32(board, SIM_JK_REG_CHARGE_ENABLE, 2), 0x03);
  CU_ASSERT_EQUAL(count.resolves, 1);
  sim_board_set_sync_func(board, NULL, NULL);
  sim_board_free(board);
}

/* The MOS sensor's reading at 25 °C: its offset within ±1.5 °C plus its noise (0.2 °C rms),
 * the same for a serial every time, and not the same on every board (a limit on it must see
 * spread). */
static void test_mos_sensor_spread(void)
{
  int lowest = G_MAXINT, highest = G_MININT;
  for (int n = 1; n <= 20; n++) {
    g_autofree char *serial = g_strdup_printf("B2A24S15P-2648-%05d", n);
    int reading[2];
    for (int again = 0; again < 2; again++) {
      SimBoard *board = board_rig_new_board(serial, NULL);
      guint8 regs[2];
      read_regs(board, SIM_JK_REG_MOS_TEMP, 1, regs);
      reading[again] = (gint16)(regs[0] << 8 | regs[1]);
      sim_board_free(board);
    }
    CU_ASSERT_EQUAL(reading[0], reading[1]);
    CU_ASSERT_TRUE(abs(reading[0] - 250) <= 15 + 8);
    lowest = MIN(lowest, reading[0]);
    highest = MAX(highest, reading[0]);
  }
  CU_ASSERT_TRUE(highest - lowest >= 10);        /* 1 °C or more over 20 boards */
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("sim_board_map", setup, board_rig_close);
  CU_add_test(suite, "every setting's range: refused and unchanged", test_setting_ranges);
  CU_add_test(suite, "one-key chemistry defaults", test_one_key_defaults);
  CU_add_test(suite, "0x55AA frame triggers", test_frames);
  CU_add_test(suite, "live block fields, settings act at once, shutdown", test_live_block);
  CU_add_test(suite, "reset and reinsertion keep settings; versions", test_reset_keeps_settings);
  CU_add_test(suite, "0x12D6 UINT16 and 0x12DC about 3.0, through calibration",
              test_correction_fields);
  CU_add_test(suite, "serial 16 bytes, user data 16 bytes, no overrun", test_serial_and_user_data);
  CU_add_test(suite, "sync hook", test_sync_hook);
  CU_add_test(suite, "MOS sensor: per-board offset", test_mos_sensor_spread);
  return cunit_run_all();
}
