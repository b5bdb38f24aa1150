/* The fixture as a sequence sees it: one Lua table per instrument role, whose methods call
 * the station's drivers. Instrument errors become Lua errors naming the role and the script
 * line; a refusal by the board (a Modbus exception) is a result the script can judge. */
#include "station/lua_fixture.h"
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
  {NULL, NULL},
};

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
  lua_pushstring(L, fixture->id);
  lua_setfield(L, -2, "id");
}
