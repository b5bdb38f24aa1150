/* The Lua host. A sequence runs in a sandbox: the base library without file or code loading,
 * string, table, math and utf8; no io, os, package or debug. What it may touch is given to it
 * as globals:
 *   setup{...} step{...} teardown{...}   declare steps: name, run = function, critical
 *   sequence{name = ..., version = ...}  names the sequence
 *   measure{name, value, unit, low, high, comparison, expected, marginal_low, marginal_high}
 *                                        records a measurement, returns true when it passes
 *   fail(msg) skip(msg)                  end the step FAIL / SKIP
 *   log(...) print(...)                  a log line in the run
 *   wait(s)                              waits on the fixture clock
 *   board                                serial, model (catalog entry), chemistry, cell_count
 *   limits                               the limits file: limits.group.key
 *   fixture.cells, fixture.dut           the instruments (methods below)
 * An instrument error raises a Lua error naming the instrument and the script line; it ends
 * the step (and the run) ERROR unless the script catches it. */
#include "station/lua_host.h"
#include "station/station_error.h"
#include "fixtures/fixture_error.h"
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <string.h>

struct LuaHost {
  lua_State *L;
  char *sequence_name;
  GPtrArray *steps;              /* of SequenceStep* */
  Run *run;                      /* bound run, borrowed */
};

/* Sentinels raised as error values by fail() and skip(); the message waits in the host. */
static char fail_sentinel, skip_sentinel;

static const char *const group_names[] = {"setup", "main", "teardown"};

const char *step_group_name(StepGroup group)
{
  return group_names[group];
}

static LuaHost *host_of(lua_State *L)
{
  return *(LuaHost **)lua_getextraspace(L);
}

static void sequence_step_free(gpointer data)
{
  SequenceStep *step = data;
  g_free(step->name);
  g_free(step);
}

/* ---- declaring steps ---------------------------------------------------------------- */

static int declare_step(lua_State *L, StepGroup group)
{
  LuaHost *host = host_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "name");
  const char *name = lua_tostring(L, -1);
  if (!name || !*name)
    return luaL_error(L, "%s{}: a step needs a name", group_names[group]);
  for (guint i = 0; i < host->steps->len; i++) {
    SequenceStep *other = g_ptr_array_index(host->steps, i);
    if (g_str_equal(other->name, name))
      return luaL_error(L, "step '%s' is declared twice", name);
  }
  lua_getfield(L, 1, "run");
  if (!lua_isfunction(L, -1))
    return luaL_error(L, "step '%s' needs run = function() ... end", name);
  SequenceStep *step = g_new0(SequenceStep, 1);
  step->function_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  step->name = g_strdup(name);
  step->group = group;
  lua_getfield(L, 1, "critical");
  step->critical = lua_toboolean(L, -1);
  g_ptr_array_add(host->steps, step);
  return 0;
}

static int l_setup(lua_State *L) { return declare_step(L, GROUP_SETUP); }
static int l_step(lua_State *L) { return declare_step(L, GROUP_MAIN); }
static int l_teardown(lua_State *L) { return declare_step(L, GROUP_TEARDOWN); }

static int l_sequence(lua_State *L)
{
  LuaHost *host = host_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "name");
  const char *name = luaL_checkstring(L, -1);
  g_free(host->sequence_name);
  host->sequence_name = g_strdup(name);
  return 0;
}

/* ---- what a step may do -------------------------------------------------------------- */

static Run *run_of(lua_State *L)
{
  LuaHost *host = host_of(L);
  if (!host->run)
    luaL_error(L, "instruments and measurements are only available inside a step");
  return host->run;
}

/* Raises a GError as a Lua error at the calling script line, naming the instrument. */
static int raise_error(lua_State *L, const char *who, GError *error)
{
  luaL_where(L, 1);
  lua_pushfstring(L, "%s%s: %s", lua_tostring(L, -1), who, error->message);
  g_error_free(error);
  return lua_error(L);
}

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
  return raise_error(L, "fixture.dut", error);
}

static double opt_number_field(lua_State *L, int table, const char *key)
{
  lua_getfield(L, table, key);
  double v = NAN;
  if (!lua_isnil(L, -1)) {
    if (!lua_isnumber(L, -1))
      luaL_error(L, "measure{}: '%s' must be a number", key);
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

static int l_measure(lua_State *L)
{
  Run *run = run_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "name");
  const char *name = lua_tostring(L, -1);
  if (!name)
    return luaL_error(L, "measure{}: a measurement needs a name");
  lua_getfield(L, 1, "unit");
  const char *unit = luaL_optstring(L, -1, "");
  lua_getfield(L, 1, "value");
  int value_type = lua_type(L, -1);
  g_autoptr(Measurement) m = NULL;
  if (value_type == LUA_TNUMBER)
    m = measurement_new(name, unit, lua_tonumber(L, -1));
  else if (value_type == LUA_TSTRING)
    m = measurement_new_text(name, lua_tostring(L, -1));
  else
    return luaL_error(L, "measure{name = '%s'}: value must be a number or a string, not %s",
                      name, lua_typename(L, value_type));
  m->low = opt_number_field(L, 1, "low");
  m->high = opt_number_field(L, 1, "high");
  m->marginal_low = opt_number_field(L, 1, "marginal_low");
  m->marginal_high = opt_number_field(L, 1, "marginal_high");
  lua_getfield(L, 1, "expected");
  if (!lua_isnil(L, -1))
    m->expected = g_strdup(lua_tostring(L, -1));
  lua_getfield(L, 1, "comparison");
  const char *comparison = lua_tostring(L, -1);
  if (comparison) {
    if (!comparison_from_string(comparison, &m->comparison))
      return luaL_error(L, "measure{name = '%s'}: unknown comparison '%s' (GELE, GTLT, GE, "
                        "GT, LE, LT, EQ, NE, LOG)", name, comparison);
  } else if (m->expected) {
    m->comparison = COMPARE_EQ;
  } else if (!isnan(m->low) && !isnan(m->high)) {
    m->comparison = COMPARE_GELE;
  } else if (!isnan(m->low)) {
    m->comparison = COMPARE_GE;
  } else if (!isnan(m->high)) {
    m->comparison = COMPARE_LE;
  }
  GError *error = NULL;
  if (!measurement_limits_valid(m, &error)) {
    luaL_where(L, 1);
    lua_pushfstring(L, "%s%s", lua_tostring(L, -1), error->message);
    g_error_free(error);
    return lua_error(L);
  }
  Outcome outcome = run_record(run, g_steal_pointer(&m));
  lua_pushboolean(L, outcome == OUTCOME_PASS);
  return 1;
}

static int end_step(lua_State *L, void *sentinel)
{
  const char *message = luaL_optstring(L, 1, sentinel == &fail_sentinel ? "failed" : "skipped");
  lua_pushstring(L, message);
  lua_setfield(L, LUA_REGISTRYINDEX, "station.step_message");
  lua_pushlightuserdata(L, sentinel);
  return lua_error(L);
}

static int l_fail(lua_State *L) { return end_step(L, &fail_sentinel); }
static int l_skip(lua_State *L) { return end_step(L, &skip_sentinel); }

/* log(...) and print(...): arguments joined by spaces, as print does. */
static int l_log(lua_State *L)
{
  Run *run = run_of(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int n = lua_gettop(L);
  for (int i = 1; i <= n; i++) {
    if (i > 1)
      luaL_addchar(&b, ' ');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  run_log(run, "%s", lua_tostring(L, -1));
  return 0;
}

static int l_wait(lua_State *L)
{
  Run *run = run_of(L);
  double seconds = luaL_checknumber(L, 1);
  if (seconds < 0 || seconds > 3600)
    return luaL_error(L, "wait(%f): seconds must be within 0..3600", seconds);
  GError *error = NULL;
  if (!run_wait(run, seconds, &error))
    return raise_error(L, "wait", error);
  return 0;
}

/* ---- instruments ------------------------------------------------------------------------ */

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
  Run *run = run_of(L);
  int channel = (int)luaL_checkinteger(L, 2);
  double volts = luaL_checknumber(L, 3);
  GError *error = NULL;
  if (!cellsim_set_voltage(run->fixture->cells, channel, volts, &error))
    return raise_error(L, "fixture.cells", error);
  return 0;
}

static int l_cells_set_voltages(lua_State *L)
{
  Run *run = run_of(L);
  int first, count;
  check_channels(L, run, 2, &first, &count);
  double volts = luaL_checknumber(L, 4);
  GError *error = NULL;
  if (!cellsim_set_voltages(run->fixture->cells, first, count, volts, &error))
    return raise_error(L, "fixture.cells", error);
  return 0;
}

static int l_cells_output(lua_State *L)
{
  Run *run = run_of(L);
  int first, count;
  check_channels(L, run, 2, &first, &count);
  luaL_checkany(L, 4);
  GError *error = NULL;
  if (!cellsim_set_output(run->fixture->cells, first, count, lua_toboolean(L, 4), &error))
    return raise_error(L, "fixture.cells", error);
  return 0;
}

static int l_cells_measure_voltages(lua_State *L)
{
  Run *run = run_of(L);
  int first, count;
  check_channels(L, run, 2, &first, &count);
  double volts[CELLSIM_MAX_CHANNELS];
  GError *error = NULL;
  if (!cellsim_measure_voltages(run->fixture->cells, first, count, volts, &error))
    return raise_error(L, "fixture.cells", error);
  return push_doubles(L, volts, count);
}

static int l_cells_measure_currents(lua_State *L)
{
  Run *run = run_of(L);
  int first, count;
  check_channels(L, run, 2, &first, &count);
  double amps[CELLSIM_MAX_CHANNELS];
  GError *error = NULL;
  if (!cellsim_measure_currents(run->fixture->cells, first, count, amps, &error))
    return raise_error(L, "fixture.cells", error);
  return push_doubles(L, amps, count);
}

static int l_dut_device_info(lua_State *L)
{
  Run *run = run_of(L);
  JkDeviceInfo info;
  GError *error = NULL;
  if (!jkbms_read_device_info(run->fixture->dut, &info, &error))
    return raise_error(L, "fixture.dut", error);
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
  Run *run = run_of(L);
  int count = (int)luaL_checkinteger(L, 2);
  luaL_argcheck(L, count >= 1 && count <= JK_MAX_CELLS, 2, "cell count must be 1..32");
  double volts[JK_MAX_CELLS];
  GError *error = NULL;
  if (!jkbms_read_cells(run->fixture->dut, count, volts, &error))
    return raise_error(L, "fixture.dut", error);
  return push_doubles(L, volts, count);
}

static int l_dut_read_live(lua_State *L)
{
  Run *run = run_of(L);
  JkLiveData live;
  GError *error = NULL;
  if (!jkbms_read_live(run->fixture->dut, &live, &error))
    return raise_error(L, "fixture.dut", error);
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
  Run *run = run_of(L);
  const char *serial = luaL_checkstring(L, 2);
  GError *error = NULL;
  gboolean ok = jkbms_write_serial(run->fixture->dut, serial, &error);
  return device_result(L, ok, error);
}

static int l_dut_calibrate_voltage(lua_State *L)
{
  Run *run = run_of(L);
  double volts = luaL_checknumber(L, 2);
  GError *error = NULL;
  gboolean ok = jkbms_calibrate_voltage(run->fixture->dut, volts, &error);
  return device_result(L, ok, error);
}

static int l_dut_calibrate_current(lua_State *L)
{
  Run *run = run_of(L);
  double amps = luaL_checknumber(L, 2);
  GError *error = NULL;
  gboolean ok = jkbms_calibrate_current(run->fixture->dut, amps, &error);
  return device_result(L, ok, error);
}

static int l_dut_read_u32(lua_State *L)
{
  Run *run = run_of(L);
  lua_Integer reg = luaL_checkinteger(L, 2);
  luaL_argcheck(L, reg >= 0 && reg <= 0xFFFF, 2, "register must be 0..0xFFFF");
  guint32 value;
  GError *error = NULL;
  if (!jkbms_read_u32(run->fixture->dut, (guint16)reg, &value, &error))
    return raise_error(L, "fixture.dut", error);
  lua_pushinteger(L, value);
  return 1;
}

static int l_dut_write_u32(lua_State *L)
{
  Run *run = run_of(L);
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

/* ---- the sandbox ------------------------------------------------------------------------- */

static void abort_hook(lua_State *L, lua_Debug *ar)
{
  LuaHost *host = host_of(L);
  if (host->run && !host->run->in_teardown && run_abort_requested(host->run))
    luaL_error(L, "aborted by the operator");
}

static void open_sandbox(lua_State *L)
{
  luaL_openlibs(L);
  static const char *const removed[] = {
    "io", "os", "package", "debug", "require", "dofile", "loadfile", "load", "collectgarbage",
  };
  for (guint i = 0; i < G_N_ELEMENTS(removed); i++) {
    lua_pushnil(L);
    lua_setglobal(L, removed[i]);
  }
  static const luaL_Reg globals[] = {
    {"setup", l_setup}, {"step", l_step}, {"teardown", l_teardown}, {"sequence", l_sequence},
    {"measure", l_measure}, {"fail", l_fail}, {"skip", l_skip}, {"log", l_log},
    {"print", l_log}, {"wait", l_wait}, {NULL, NULL},
  };
  lua_pushglobaltable(L);
  luaL_setfuncs(L, globals, 0);
  lua_pop(L, 1);
  lua_sethook(L, abort_hook, LUA_MASKCOUNT, 10000);
}

/* Message handler: keeps the sentinels, adds a traceback to everything else. */
static int message_handler(lua_State *L)
{
  if (lua_islightuserdata(L, 1))
    return 1;
  const char *message = lua_tostring(L, 1);
  if (!message)
    message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  luaL_traceback(L, L, message, 1);
  return 1;
}

LuaHost *lua_host_load(const char *path, GError **error)
{
  g_autoptr(LuaHost) host = g_new0(LuaHost, 1);
  host->steps = g_ptr_array_new_with_free_func(sequence_step_free);
  host->L = luaL_newstate();
  *(LuaHost **)lua_getextraspace(host->L) = host;
  open_sandbox(host->L);
  lua_State *L = host->L;

  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) read_error = NULL;
  if (!g_file_get_contents(path, &contents, &length, &read_error)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SEQUENCE, "cannot read sequence: %s",
                read_error->message);
    return NULL;
  }
  g_autofree char *base = g_path_get_basename(path);
  g_autofree char *chunkname = g_strconcat("@", base, NULL);
  lua_pushcfunction(L, message_handler);
  if (luaL_loadbufferx(L, contents, length, chunkname, "t") != LUA_OK ||
      lua_pcall(L, 0, 0, -2) != LUA_OK) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SEQUENCE, "sequence error: %s",
                lua_tostring(L, -1));
    return NULL;
  }
  lua_pop(L, 1);
  if (!host->sequence_name)
    host->sequence_name = g_strdup(base);
  gboolean has_main = FALSE;
  for (guint i = 0; i < host->steps->len; i++)
    has_main |= ((SequenceStep *)g_ptr_array_index(host->steps, i))->group == GROUP_MAIN;
  if (!has_main) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SEQUENCE,
                "sequence %s declares no main step (step{name = ..., run = function() end})",
                base);
    return NULL;
  }
  return g_steal_pointer(&host);
}

void lua_host_free(LuaHost *host)
{
  if (!host)
    return;
  if (host->L)
    lua_close(host->L);
  g_ptr_array_unref(host->steps);
  g_free(host->sequence_name);
  g_free(host);
}

const char *lua_host_sequence_name(const LuaHost *host)
{
  return host->sequence_name;
}

GPtrArray *lua_host_steps(const LuaHost *host)
{
  return host->steps;
}

/* A limits value: a number, a list of numbers (';'-separated), or text. */
static void push_limit_value(lua_State *L, const char *text)
{
  g_auto(GStrv) parts = g_strsplit(text, ";", -1);
  guint n = g_strv_length(parts);
  if (n > 1 || strchr(text, ';')) {
    lua_createtable(L, (int)n, 0);
    int index = 0;
    for (guint i = 0; i < n; i++) {
      g_strstrip(parts[i]);
      if (!*parts[i])
        continue;
      char *end;
      double v = g_ascii_strtod(parts[i], &end);
      if (*end)
        lua_pushstring(L, parts[i]);
      else
        lua_pushnumber(L, v);
      lua_rawseti(L, -2, ++index);
    }
    return;
  }
  char *end;
  double v = g_ascii_strtod(text, &end);
  if (*text && !*end)
    lua_pushnumber(L, v);
  else
    lua_pushstring(L, text);
}

/* limits.<group>.<key>, from the table resolved for the board's model. */
static void push_limits(lua_State *L, const LimitTable *limits)
{
  lua_newtable(L);
  for (guint i = 0; i < limits->limits->len; i++) {
    const Limit *limit = g_ptr_array_index(limits->limits, i);
    if (lua_getfield(L, -1, limit->group) != LUA_TTABLE) {
      lua_pop(L, 1);
      lua_newtable(L);
      lua_pushvalue(L, -1);
      lua_setfield(L, -3, limit->group);
    }
    push_limit_value(L, limit->value);
    lua_setfield(L, -2, limit->key);
    lua_pop(L, 1);
  }
}

static void push_model(lua_State *L, const ModelInfo *model)
{
  lua_newtable(L);
  lua_pushstring(L, model->name);
  lua_setfield(L, -2, "name");
  lua_pushnumber(L, model->balance_a);
  lua_setfield(L, -2, "balance_a");
  lua_newtable(L);
  for (int c = 0; c < CHEMISTRY_COUNT; c++) {
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, model->strings[c].min);
    lua_setfield(L, -2, "min");
    lua_pushinteger(L, model->strings[c].max);
    lua_setfield(L, -2, "max");
    lua_setfield(L, -2, chemistry_key((Chemistry)c));
  }
  lua_setfield(L, -2, "strings");
  for (const char *const *field = model_info_number_fields(); *field; field++) {
    double v;
    model_info_number(model, *field, &v);
    if (isnan(v))
      continue; /* absent from the datasheet: nil in Lua */
    lua_pushnumber(L, v);
    lua_setfield(L, -2, *field);
  }
  lua_pushboolean(L, model->heater);
  lua_setfield(L, -2, "heater");
}

static void push_methods(lua_State *L, const luaL_Reg *methods)
{
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
}

void lua_host_bind(LuaHost *host, Run *run)
{
  lua_State *L = host->L;
  host->run = run;

  lua_newtable(L);
  lua_pushstring(L, run->serial.text);
  lua_setfield(L, -2, "serial");
  push_model(L, run->serial.model);
  lua_setfield(L, -2, "model");
  lua_pushstring(L, chemistry_key(run->chemistry));
  lua_setfield(L, -2, "chemistry");
  lua_pushinteger(L, run->cell_count);
  lua_setfield(L, -2, "cell_count");
  lua_setglobal(L, "board");

  push_limits(L, run->limits);
  lua_setglobal(L, "limits");

  lua_newtable(L);
  push_methods(L, cells_methods);
  lua_setfield(L, -2, "cells");
  push_methods(L, dut_methods);
  lua_setfield(L, -2, "dut");
  lua_pushstring(L, run->fixture->id);
  lua_setfield(L, -2, "id");
  lua_setglobal(L, "fixture");
}

Outcome lua_host_run_step(LuaHost *host, const SequenceStep *step, char **message)
{
  lua_State *L = host->L;
  *message = NULL;
  lua_settop(L, 0);
  lua_pushcfunction(L, message_handler);
  lua_rawgeti(L, LUA_REGISTRYINDEX, step->function_ref);
  int status = lua_pcall(L, 0, 0, 1);
  if (status == LUA_OK) {
    lua_settop(L, 0);
    return OUTCOME_PASS; /* the engine turns it into FAIL if a measurement failed */
  }
  Outcome outcome = OUTCOME_ERROR;
  if (lua_touserdata(L, -1) == &fail_sentinel || lua_touserdata(L, -1) == &skip_sentinel) {
    outcome = lua_touserdata(L, -1) == &fail_sentinel ? OUTCOME_FAIL : OUTCOME_SKIP;
    lua_getfield(L, LUA_REGISTRYINDEX, "station.step_message");
    *message = g_strdup(lua_tostring(L, -1));
  } else {
    const char *text = lua_tostring(L, -1);
    *message = g_strdup(text ? text : "unknown error");
  }
  lua_settop(L, 0);
  return outcome;
}
