/* The fixture as a sequence sees it: one Lua table per instrument role, whose methods call
 * the station's drivers. Instrument errors become Lua errors naming the role and the script
 * line; a refusal by the board (a Modbus exception) is a result the script can judge.
 *   fixture.cells    set_voltage(ch, V), set_voltages(first, n, V), output(first, n, on),
 *                    set_current_limit(first, n, A), measure_voltages(first, n),
 *                    measure_currents(first, n)
 *   fixture.dut      device_info(), read_cells(n), read_live(), write_serial(s),
 *                    calibrate_voltage(V), calibrate_current(A), read_u32(reg),
 *                    write_u32(reg, v), write_u16(reg, v)
 *   fixture.load     set_current(A), input(on), short(on), measure_voltage(),
 *                    measure_current(), capture_arm(points, interval_s), capture_trigger(),
 *                    capture_fetch()
 *   fixture.charger  set_voltage(V), set_current(A), output(on), mode(), measure_voltage(),
 *                    measure_current()
 *   fixture.dmm      measure_voltage(), measure_current(), configure_voltage(range, nplc),
 *                    read()
 *   fixture.switch   close(ch, ...), open(ch, ...), is_closed(ch), set_ntc(n, ohm),
 *                    boot0(on), reset(held), reset_pulse(ms)
 *   fixture.relays   channel numbers: load, charger, short, heater, dmm_path, dmm_pack
 *   firmware         version, sha256 of the model's released image; flash() writes it into
 *                    the board through the [boot] link (BOOT0/NRST by the switch unit),
 *                    verifies every byte and resets the board into it */
#include "station/lua_fixture.h"
#include "firmware/firmware_error.h"
#include "firmware/fixture_flash.h"
#include <lauxlib.h>

/* For commands the board may refuse: true, or false and the board's reason when it answered
 * with a refusal (a test result); a dead link is still an error. */
static int device_result(lua_State *L, gboolean ok, GError *error)
{
  if (ok) {
    lua_pushboolean(L, TRUE);
    return 1;
  }
  if (g_error_matches(error, FIXTURE_ERROR, FIXTURE_ERROR_EXCEPTION)) {
    lua_pushboolean(L, FALSE);
    lua_pushstring(L, error->message);
    g_error_free(error);
    return 2;
  }
  return lua_raise_error(L, "fixture.dut", error);
}

static int check_channels(lua_State *L, Run *run, int first_arg, int *first, int *count)
{
  *first = (int)luaL_checkinteger(L, first_arg);
  *count = (int)luaL_checkinteger(L, first_arg + 1);
  int channels = cellsim_channel_count(run->fixture->cells);
  if (*first < 1 || *count < 1 || *first + *count - 1 > channels)
    return luaL_error(L, "cell simulator channels %d..%d: the instrument has channels 1..%d",
                      *first, *first + *count - 1, channels);
  return 0;
}

static int push_doubles(lua_State *L, const double *values, int count)
{
  lua_createtable(L, count, 0);
  for (int i = 0; i < count; i++) {
    lua_pushnumber(L, values[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int l_cells_set_voltage(lua_State *L)
{
  Run *run = lua_run_of(L);
  int channel = (int)luaL_checkinteger(L, 2);
  double volts = luaL_checknumber(L, 3);
  GError *error = NULL;
  if (!cellsim_set_voltage(run->fixture->cells, channel, volts, &error))
    return lua_raise_error(L, "fixture.cells", error);
  return 0;
}

static int l_cells_set_voltages(lua_State *L)
{
  Run *run = lua_run_of(L);
  int first, count;
  check_channels(L, run, 2, &first, &count);
  double volts = luaL_checknumber(L, 4);
  GError *error = NULL;
  if (!cellsim_set_voltages(run->fixture->cells, first, count, volts, &error))
    return lua_raise_error(L, "fixture.cells", error);
  return 0;
}

static int l_cells_output(lua_State *L)
{
  Run *run = lua_run_of(L);
  int first, count;
  check_channels(L, run, 2, &first, &count);
  luaL_checkany(L, 4);
  GError *error = NULL;
  if (!cellsim_set_output(run->fixture->cells, first, count, lua_toboolean(L, 4), &error))
    return lua_raise_error(L, "fixture.cells", error);
  return 0;
}

static int l_cells_set_current_limit(lua_State *L)
{
  Run *run = lua_run_of(L);
  int first, count;
  check_channels(L, run, 2, &first, &count);
  double amps = luaL_checknumber(L, 4);
  GError *error = NULL;
  if (!cellsim_set_current_limit(run->fixture->cells, first, count, amps, &error))
    return lua_raise_error(L, "fixture.cells", error);
  return 0;
}

static int l_cells_measure_voltages(lua_State *L)
{
  Run *run = lua_run_of(L);
  int first, count;
  check_channels(L, run, 2, &first, &count);
  double volts[CELLSIM_MAX_CHANNELS];
  GError *error = NULL;
  if (!cellsim_measure_voltages(run->fixture->cells, first, count, volts, &error))
    return lua_raise_error(L, "fixture.cells", error);
  return push_doubles(L, volts, count);
}

static int l_cells_measure_currents(lua_State *L)
{
  Run *run = lua_run_of(L);
  int first, count;
  check_channels(L, run, 2, &first, &count);
  double amps[CELLSIM_MAX_CHANNELS];
  GError *error = NULL;
  if (!cellsim_measure_currents(run->fixture->cells, first, count, amps, &error))
    return lua_raise_error(L, "fixture.cells", error);
  return push_doubles(L, amps, count);
}

static int l_dut_device_info(lua_State *L)
{
  Run *run = lua_run_of(L);
  JkDeviceInfo info;
  GError *error = NULL;
  if (!jkbms_read_device_info(run->fixture->dut, &info, &error))
    return lua_raise_error(L, "fixture.dut", error);
  lua_createtable(L, 0, 6);
  lua_pushstring(L, info.model);
  lua_setfield(L, -2, "model");
  lua_pushstring(L, info.hw_version);
  lua_setfield(L, -2, "hw_version");
  lua_pushstring(L, info.sw_version);
  lua_setfield(L, -2, "sw_version");
  lua_pushstring(L, info.serial);
  lua_setfield(L, -2, "serial");
  lua_pushinteger(L, info.run_time_s);
  lua_setfield(L, -2, "run_time_s");
  lua_pushinteger(L, info.power_on_count);
  lua_setfield(L, -2, "power_on_count");
  return 1;
}

static int l_dut_read_cells(lua_State *L)
{
  Run *run = lua_run_of(L);
  int count = (int)luaL_checkinteger(L, 2);
  luaL_argcheck(L, count >= 1 && count <= JK_MAX_CELLS, 2, "cell count must be 1..32");
  double volts[JK_MAX_CELLS];
  GError *error = NULL;
  if (!jkbms_read_cells(run->fixture->dut, count, volts, &error))
    return lua_raise_error(L, "fixture.dut", error);
  return push_doubles(L, volts, count);
}

static int l_dut_read_live(lua_State *L)
{
  Run *run = lua_run_of(L);
  JkLiveData live;
  GError *error = NULL;
  if (!jkbms_read_live(run->fixture->dut, &live, &error))
    return lua_raise_error(L, "fixture.dut", error);
  lua_createtable(L, 0, 9);
  push_doubles(L, live.cell_v, JK_MAX_CELLS);
  lua_setfield(L, -2, "cells");
  lua_pushinteger(L, live.cells_present);
  lua_setfield(L, -2, "cells_present");
  lua_pushnumber(L, live.pack_v);
  lua_setfield(L, -2, "pack_v");
  lua_pushnumber(L, live.current_a);
  lua_setfield(L, -2, "current_a");
  lua_pushinteger(L, live.alarms);
  lua_setfield(L, -2, "alarms");
  lua_pushboolean(L, live.charge_mos);
  lua_setfield(L, -2, "charge_mos");
  lua_pushboolean(L, live.discharge_mos);
  lua_setfield(L, -2, "discharge_mos");
  lua_pushnumber(L, live.voltage_factor);
  lua_setfield(L, -2, "voltage_factor");
  lua_pushnumber(L, live.current_factor);
  lua_setfield(L, -2, "current_factor");
  return 1;
}

static int l_dut_write_serial(lua_State *L)
{
  Run *run = lua_run_of(L);
  const char *serial = luaL_checkstring(L, 2);
  GError *error = NULL;
  gboolean ok = jkbms_write_serial(run->fixture->dut, serial, &error);
  return device_result(L, ok, error);
}

static int l_dut_calibrate_voltage(lua_State *L)
{
  Run *run = lua_run_of(L);
  double volts = luaL_checknumber(L, 2);
  GError *error = NULL;
  gboolean ok = jkbms_calibrate_voltage(run->fixture->dut, volts, &error);
  return device_result(L, ok, error);
}

static int l_dut_calibrate_current(lua_State *L)
{
  Run *run = lua_run_of(L);
  double amps = luaL_checknumber(L, 2);
  GError *error = NULL;
  gboolean ok = jkbms_calibrate_current(run->fixture->dut, amps, &error);
  return device_result(L, ok, error);
}

static int l_dut_read_u32(lua_State *L)
{
  Run *run = lua_run_of(L);
  lua_Integer reg = luaL_checkinteger(L, 2);
  luaL_argcheck(L, reg >= 0 && reg <= 0xFFFF, 2, "register must be 0..0xFFFF");
  guint32 value;
  GError *error = NULL;
  if (!jkbms_read_u32(run->fixture->dut, (guint16)reg, &value, &error))
    return lua_raise_error(L, "fixture.dut", error);
  lua_pushinteger(L, value);
  return 1;
}

/* A UINT16 register (one Modbus register): the bit fields such as 0x1114 and the one-key
 * commands 0x160A..0x160E; a refusal is a result, as for write_u32. */
static int l_dut_write_u16(lua_State *L)
{
  Run *run = lua_run_of(L);
  lua_Integer reg = luaL_checkinteger(L, 2);
  lua_Integer value = luaL_checkinteger(L, 3);
  luaL_argcheck(L, reg >= 0 && reg <= 0xFFFF, 2, "register must be 0..0xFFFF");
  luaL_argcheck(L, value >= 0 && value <= 0xFFFF, 3, "value must fit 16 bits");
  GError *error = NULL;
  gboolean ok = jkbms_write_u16(run->fixture->dut, (guint16)reg, (guint16)value, &error);
  return device_result(L, ok, error);
}

static int l_dut_write_u32(lua_State *L)
{
  Run *run = lua_run_of(L);
  lua_Integer reg = luaL_checkinteger(L, 2);
  lua_Integer value = luaL_checkinteger(L, 3);
  luaL_argcheck(L, reg >= 0 && reg <= 0xFFFF, 2, "register must be 0..0xFFFF");
  luaL_argcheck(L, value >= 0 && value <= 0xFFFFFFFF, 3, "value must fit 32 bits");
  GError *error = NULL;
  gboolean ok = jkbms_write_u32(run->fixture->dut, (guint16)reg, (guint32)value, &error);
  return device_result(L, ok, error);
}

static const luaL_Reg cells_methods[] = {
  {"set_voltage", l_cells_set_voltage},
  {"set_voltages", l_cells_set_voltages},
  {"output", l_cells_output},
  {"set_current_limit", l_cells_set_current_limit},
  {"measure_voltages", l_cells_measure_voltages},
  {"measure_currents", l_cells_measure_currents},
  {NULL, NULL},
};

static const luaL_Reg dut_methods[] = {
  {"device_info", l_dut_device_info},
  {"read_cells", l_dut_read_cells},
  {"read_live", l_dut_read_live},
  {"write_serial", l_dut_write_serial},
  {"calibrate_voltage", l_dut_calibrate_voltage},
  {"calibrate_current", l_dut_calibrate_current},
  {"read_u32", l_dut_read_u32},
  {"write_u32", l_dut_write_u32},
  {"write_u16", l_dut_write_u16},
  {NULL, NULL},
};

/* ---- electronic load, charger, DMM, switch unit ------------------------------------- */

/* Each returns its numeric reading, or raises naming the role. */
#define NUMBER_READING(fn, who, call)                                                        \
  static int fn(lua_State *L)                                                                \
  {                                                                                          \
    Run *run = lua_run_of(L);                                                                \
    double value;                                                                            \
    GError *error = NULL;                                                                    \
    if (!(call))                                                                             \
      return lua_raise_error(L, who, error);                                                 \
    lua_pushnumber(L, value);                                                                \
    return 1;                                                                                \
  }

/* Each applies its argument(s), or raises naming the role. */
#define SETTING(fn, who, call)                                                               \
  static int fn(lua_State *L)                                                                \
  {                                                                                          \
    Run *run = lua_run_of(L);                                                                \
    GError *error = NULL;                                                                    \
    if (!(call))                                                                             \
      return lua_raise_error(L, who, error);                                                 \
    return 0;                                                                                \
  }

SETTING(l_load_set_current, "fixture.load",
        eload_set_cc(run->fixture->load, luaL_checknumber(L, 2), &error))
SETTING(l_load_input, "fixture.load",
        eload_set_input(run->fixture->load, lua_toboolean(L, 2), &error))
SETTING(l_load_short, "fixture.load",
        eload_set_short(run->fixture->load, lua_toboolean(L, 2), &error))
NUMBER_READING(l_load_measure_voltage, "fixture.load",
               eload_measure_voltage(run->fixture->load, &value, &error))
NUMBER_READING(l_load_measure_current, "fixture.load",
               eload_measure_current(run->fixture->load, &value, &error))
SETTING(l_load_capture_arm, "fixture.load",
        eload_capture_arm(run->fixture->load, (int)luaL_checkinteger(L, 2),
                          luaL_checknumber(L, 3), &error))
SETTING(l_load_capture_trigger, "fixture.load",
        eload_capture_trigger(run->fixture->load, &error))

static int l_load_capture_fetch(lua_State *L)
{
  Run *run = lua_run_of(L);
  double *samples = NULL;
  int n = 0;
  GError *error = NULL;
  if (!eload_capture_fetch(run->fixture->load, &samples, &n, &error))
    return lua_raise_error(L, "fixture.load", error);
  push_doubles(L, samples, n);
  g_free(samples);
  return 1;
}

SETTING(l_charger_set_voltage, "fixture.charger",
        psu_set_voltage(run->fixture->charger, luaL_checknumber(L, 2), &error))
SETTING(l_charger_set_current, "fixture.charger",
        psu_set_current(run->fixture->charger, luaL_checknumber(L, 2), &error))
SETTING(l_charger_output, "fixture.charger",
        psu_set_output(run->fixture->charger, lua_toboolean(L, 2), &error))
NUMBER_READING(l_charger_measure_voltage, "fixture.charger",
               psu_measure_voltage(run->fixture->charger, &value, &error))
NUMBER_READING(l_charger_measure_current, "fixture.charger",
               psu_measure_current(run->fixture->charger, &value, &error))

static int l_charger_mode(lua_State *L)
{
  Run *run = lua_run_of(L);
  PsuMode mode;
  GError *error = NULL;
  if (!psu_mode(run->fixture->charger, &mode, &error))
    return lua_raise_error(L, "fixture.charger", error);
  lua_pushstring(L, mode == PSU_MODE_CV ? "CV" : mode == PSU_MODE_CC ? "CC" : "UR");
  return 1;
}

NUMBER_READING(l_dmm_measure_voltage, "fixture.dmm",
               dmm_measure_voltage_dc(run->fixture->dmm, &value, &error))
NUMBER_READING(l_dmm_measure_current, "fixture.dmm",
               dmm_measure_current_dc(run->fixture->dmm, &value, &error))
SETTING(l_dmm_configure_voltage, "fixture.dmm",
        dmm_configure_voltage_dc(run->fixture->dmm, luaL_optnumber(L, 2, 0),
                                 luaL_optnumber(L, 3, 1), &error))
NUMBER_READING(l_dmm_read, "fixture.dmm", dmm_read(run->fixture->dmm, &value, &error))

/* Channel arguments 2..top as an int array. */
static int check_channel_list(lua_State *L, int *channels)
{
  int count = lua_gettop(L) - 1;
  luaL_argcheck(L, count >= 1 && count <= SWITCHUNIT_MAX_LIST, 2, "channels expected");
  for (int i = 0; i < count; i++)
    channels[i] = (int)luaL_checkinteger(L, i + 2);
  return count;
}

static int l_switch_close(lua_State *L)
{
  Run *run = lua_run_of(L);
  int channels[SWITCHUNIT_MAX_LIST];
  int count = check_channel_list(L, channels);
  GError *error = NULL;
  if (!switchunit_close_channels(run->fixture->sw, channels, count, &error))
    return lua_raise_error(L, "fixture.switch", error);
  return 0;
}

static int l_switch_open(lua_State *L)
{
  Run *run = lua_run_of(L);
  int channels[SWITCHUNIT_MAX_LIST];
  int count = check_channel_list(L, channels);
  GError *error = NULL;
  if (!switchunit_open_channels(run->fixture->sw, channels, count, &error))
    return lua_raise_error(L, "fixture.switch", error);
  return 0;
}

static int l_switch_is_closed(lua_State *L)
{
  Run *run = lua_run_of(L);
  int channel = (int)luaL_checkinteger(L, 2);
  gboolean closed = FALSE;
  GError *error = NULL;
  if (!switchunit_query_closed(run->fixture->sw, &channel, 1, &closed, &error))
    return lua_raise_error(L, "fixture.switch", error);
  lua_pushboolean(L, closed);
  return 1;
}

SETTING(l_switch_set_ntc, "fixture.switch",
        switchunit_set_ntc(run->fixture->sw, (int)luaL_checkinteger(L, 2),
                           luaL_checknumber(L, 3), &error))
SETTING(l_switch_boot0, "fixture.switch",
        switchunit_set_boot0(run->fixture->sw, lua_toboolean(L, 2), &error))
SETTING(l_switch_reset, "fixture.switch",
        switchunit_set_reset(run->fixture->sw, lua_toboolean(L, 2), &error))
SETTING(l_switch_reset_pulse, "fixture.switch",
        switchunit_reset_pulse(run->fixture->sw, luaL_checknumber(L, 2), &error))

static const luaL_Reg load_methods[] = {
  {"set_current", l_load_set_current},
  {"input", l_load_input},
  {"short", l_load_short},
  {"measure_voltage", l_load_measure_voltage},
  {"measure_current", l_load_measure_current},
  {"capture_arm", l_load_capture_arm},
  {"capture_trigger", l_load_capture_trigger},
  {"capture_fetch", l_load_capture_fetch},
  {NULL, NULL},
};

static const luaL_Reg charger_methods[] = {
  {"set_voltage", l_charger_set_voltage},
  {"set_current", l_charger_set_current},
  {"output", l_charger_output},
  {"mode", l_charger_mode},
  {"measure_voltage", l_charger_measure_voltage},
  {"measure_current", l_charger_measure_current},
  {NULL, NULL},
};

static const luaL_Reg dmm_methods[] = {
  {"measure_voltage", l_dmm_measure_voltage},
  {"measure_current", l_dmm_measure_current},
  {"configure_voltage", l_dmm_configure_voltage},
  {"read", l_dmm_read},
  {NULL, NULL},
};

static const luaL_Reg switch_methods[] = {
  {"close", l_switch_close},
  {"open", l_switch_open},
  {"is_closed", l_switch_is_closed},
  {"set_ntc", l_switch_set_ntc},
  {"boot0", l_switch_boot0},
  {"reset", l_switch_reset},
  {"reset_pulse", l_switch_reset_pulse},
  {NULL, NULL},
};

/* The fixture's relay channels by what they connect (fixtures/switchunit/switchunit.h). */
static void push_relays(lua_State *L)
{
  static const struct { const char *name; int channel; } relays[] = {
    {"load", SWITCHUNIT_RELAY_LOAD}, {"charger", SWITCHUNIT_RELAY_CHARGER},
    {"short", SWITCHUNIT_RELAY_SHORT}, {"heater", SWITCHUNIT_RELAY_HEATER},
    {"dmm_path", SWITCHUNIT_RELAY_DMM_PATH}, {"dmm_pack", SWITCHUNIT_RELAY_DMM_PACK},
  };
  lua_createtable(L, 0, G_N_ELEMENTS(relays));
  for (guint i = 0; i < G_N_ELEMENTS(relays); i++) {
    lua_pushinteger(L, relays[i].channel);
    lua_setfield(L, -2, relays[i].name);
  }
}

/* ---- firmware ---------------------------------------------------------------------- */

/* Stops a flash when the operator aborts. */
static gboolean flash_progress(gpointer data, Stm32Phase phase, gsize done, gsize total)
{
  Run *run = data;
  return !run_abort_requested(run);
}

/* What the board did wrong while being flashed (a result), as opposed to the station's
 * own link failing (an error). */
static gboolean board_flash_failure(const GError *error)
{
  return g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_NO_SYNC) ||
         g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_CHIP) ||
         g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_BOOTLOADER) ||
         g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_VERIFY);
}

/* firmware.flash(): a report table, or false and why the board could not be flashed. */
static int l_firmware_flash(lua_State *L)
{
  Run *run = lua_run_of(L);
  if (!run->release)
    return luaL_error(L, "firmware.flash(): the sequence did not declare "
                         "sequence{firmware = true}, so no released image was loaded");
  Stm32FlashReport report = {0};
  GError *error = NULL;
  if (!fixture_flash(run->fixture, run->release->image, flash_progress, run, &report,
                     &error)) {
    if (run_abort_requested(run)) {
      g_error_free(error);
      return luaL_error(L, "aborted by the operator");
    }
    if (!board_flash_failure(error))
      return lua_raise_error(L, "firmware.flash", error);
    lua_pushboolean(L, FALSE);
    lua_pushstring(L, error->message);
    g_error_free(error);
    return 2;
  }
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, (lua_Integer)report.bytes_written);
  lua_setfield(L, -2, "bytes");
  lua_pushinteger(L, report.pages_erased);
  lua_setfield(L, -2, "pages_erased");
  lua_pushinteger(L, (lua_Integer)report.link_bytes);
  lua_setfield(L, -2, "link_bytes");
  lua_pushnumber(L, report.link_seconds);
  lua_setfield(L, -2, "link_seconds");
  lua_pushinteger(L, report.retries);
  lua_setfield(L, -2, "retries");
  lua_pushinteger(L, report.chip_id);
  lua_setfield(L, -2, "chip_id");
  return 1;
}

void lua_firmware_push(lua_State *L, const FirmwareRelease *release)
{
  lua_newtable(L);
  if (release) {
    lua_pushstring(L, release->version);
    lua_setfield(L, -2, "version");
    lua_pushstring(L, release->sha256);
    lua_setfield(L, -2, "sha256");
  }
  lua_pushcfunction(L, l_firmware_flash);
  lua_setfield(L, -2, "flash");
}

static void push_methods(lua_State *L, const luaL_Reg *methods)
{
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
}

void lua_fixture_push(lua_State *L, const Fixture *fixture)
{
  lua_newtable(L);
  push_methods(L, cells_methods);
  lua_setfield(L, -2, "cells");
  push_methods(L, dut_methods);
  lua_setfield(L, -2, "dut");
  /* Optional roles: absent from the table when the fixture has no such instrument. */
  if (fixture->load) {
    push_methods(L, load_methods);
    lua_setfield(L, -2, "load");
  }
  if (fixture->charger) {
    push_methods(L, charger_methods);
    lua_setfield(L, -2, "charger");
  }
  if (fixture->dmm) {
    push_methods(L, dmm_methods);
    lua_setfield(L, -2, "dmm");
  }
  if (fixture->sw) {
    push_methods(L, switch_methods);
    lua_setfield(L, -2, "switch");
  }
  push_relays(L);
  lua_setfield(L, -2, "relays");
  lua_pushstring(L, fixture->id);
  lua_setfield(L, -2, "id");
}
