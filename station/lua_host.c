/* The Lua host. A sequence runs in a sandbox: the base library without file or code loading,
 * string, table, math and utf8; no io, os, package or debug. What it may touch is given to it
 * as globals:
 *   station.api_version                  this host's API (STATION_LUA_API_VERSION)
 *   sequence{name = ..., firmware = true, heater = true, roles = {...}, api = N}
 *                                        names the sequence; firmware = true: the run needs
 *                                        an image, the model's release or a flash run's own
 *                                        (firmware.flash); heater = true: it drives the
 *                                        board's heater, so an order with the heater needs a
 *                                        load from the fixture's bank (board.heater_load);
 *                                        roles: the fixture roles it needs besides the
 *                                        required ones, a fixture without one is refused; api:
 *                                        the API the sequence is written for, refused when
 *                                        it is not this host's
 *   require(name)                        a module of the sequence's folder (lua_modules.h)
 *   jk                                   the board's register map (lua_registers.h)
 *   setup{...} step{...} teardown{...}   declare steps: name, run = function, critical,
 *                                        time_limit (s of wall time; past it the step is
 *                                        ERROR; default: from the plan, step_time_limit.h),
 *                                        overlaps = NAME (main steps: runs in the
 *                                        wait_overlapped() of main step NAME declared
 *                                        before it, or at its own place when NAME never
 *                                        gets there; it may not be critical)
 *                                        instruments (the fixture roles it uses, e.g.
 *                                        {"load", "dmm"}: a run holds those of them that the
 *                                        slots share for the step; default: every role)
 *   measure{name, value, unit, low, high, comparison, expected, marginal_low, marginal_high}
 *                                        records a measurement, returns true when it passes
 *   calibration{kind, unit, reference, before, after, factor, passed}
 *                                        records the board's calibration made by the step
 *   fail(msg) skip(msg)                  end the step FAIL / SKIP
 *   log(...) print(...)                  a log line in the run
 *   clock()                              seconds on the fixture clock (timing a trip)
 *   wait(s [, required])                 waits on the fixture clock; `required` is the part
 *                                        the physics needs (default: all of it), the rest
 *                                        is margin (station plan reports both)
 *   wait_overlapped(s [, required])      the same wait, during which the steps declared
 *                                        with overlaps = this step run (once, at the
 *                                        step's first such wait); the step goes on at the
 *                                        wait's end on the fixture clock (engine.c)
 *   board                                serial, model (catalog entry), and the order:
 *                                        chemistry, cell_count, heater (boolean), profile;
 *                                        with the heater and sequence{heater = true},
 *                                        heater_load = {name, relay, ohm}: the fixture's
 *                                        load the run applies (heater_load.h)
 *   limits                               the limits file: limits.group.key
 *   fixture.cells, fixture.dut           the instruments (lua_fixture.c)
 * An instrument error raises a Lua error naming the instrument and the script line; it ends
 * the step (and the run) ERROR unless the script catches it. */
#include "station/lua_host.h"
#include "station/lua_fixture.h"
#include "station/lua_interrupt.h"
#include "station/lua_modules.h"
#include "station/lua_registers.h"
#include "station/station_error.h"
#include "fixtures/fixture_error.h"
#include "fixtures/roles.h"
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <string.h>

struct LuaHost {
  lua_State *L;
  LuaModules *modules;           /* the sequence's folder, its require and digest */
  char *sequence_name;
  gboolean needs_firmware;       /* sequence{firmware = true}: flashes the released image */
  gboolean needs_heater_load;    /* sequence{heater = true}: drives the board's heater */
  GPtrArray *needed_roles;       /* sequence{roles = {...}}: of char*, role names */
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
  g_free(step->overlaps);
  g_strfreev(step->instruments);
  g_free(step);
}

/* ---- declaring steps ---------------------------------------------------------------- */

/* step{overlaps = NAME} (the value on the top of the stack): NAME is a main step declared
 * before this main step that itself overlaps none, and this one is not critical (its failure
 * could not stop the step it runs within). */
static int declare_overlap(lua_State *L, LuaHost *host, SequenceStep *step)
{
  const char *within = lua_tostring(L, -1);
  if (!within || step->group != GROUP_MAIN)
    return luaL_error(L, "step '%s': overlaps = the name of a main step, and only a main step "
                      "may overlap one", step->name);
  if (step->critical)
    return luaL_error(L, "step '%s' overlaps '%s' and cannot be critical: it runs while "
                      "'%s' waits", step->name, within, within);
  for (guint i = 0; i + 1 < host->steps->len; i++) {
    const SequenceStep *other = g_ptr_array_index(host->steps, i);
    if (!g_str_equal(other->name, within))
      continue;
    if (other->group != GROUP_MAIN || other->overlaps)
      return luaL_error(L, "step '%s' overlaps '%s', which is not a main step that overlaps "
                        "none", step->name, within);
    step->overlaps = g_strdup(within);
    return 0;
  }
  return luaL_error(L, "step '%s' overlaps '%s', which is not a step declared before it",
                    step->name, within);
}

/* The step's instruments = {"load", ...}: roles the station knows. */
static int declare_instruments(lua_State *L, SequenceStep *step)
{
  if (lua_getfield(L, 1, "instruments") == LUA_TNIL)
    return 0;
  if (!lua_istable(L, -1))
    return luaL_error(L, "step '%s': instruments is a list of fixture roles, e.g. "
                      "{\"load\", \"dmm\"}", step->name);
  lua_Integer count = luaL_len(L, -1);
  step->instruments = g_new0(char *, count + 1);
  for (lua_Integer i = 1; i <= count; i++) {
    lua_geti(L, -1, i);
    const char *role = lua_tostring(L, -1);
    if (!role || !fixture_role_find(role))
      return luaL_error(L, "step '%s': instruments: '%s' is not a fixture role", step->name,
                        role ? role : luaL_typename(L, -1));
    step->instruments[i - 1] = g_strdup(role);
    lua_pop(L, 1);
  }
  return 0;
}

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
  lua_getfield(L, 1, "time_limit");
  if (!lua_isnil(L, -1)) {
    int is_number = 0;
    step->time_limit_s = lua_tonumberx(L, -1, &is_number);
    if (!is_number || !(step->time_limit_s > 0) || step->time_limit_s > 24 * 3600)
      return luaL_error(L, "step '%s': time_limit is seconds, a number above 0 and at most "
                        "86400", name);
  }
  declare_instruments(L, step);
  lua_getfield(L, 1, "overlaps");
  if (!lua_isnil(L, -1))
    return declare_overlap(L, host, step);
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
  lua_getfield(L, 1, "firmware");
  host->needs_firmware = lua_toboolean(L, -1);
  lua_getfield(L, 1, "heater");
  host->needs_heater_load = lua_toboolean(L, -1);
  lua_getfield(L, 1, "roles");
  g_ptr_array_set_size(host->needed_roles, 0);
  if (!lua_isnil(L, -1)) {
    luaL_checktype(L, -1, LUA_TTABLE);
    for (lua_Integer i = 1; lua_geti(L, -1, i) != LUA_TNIL; i++) {
      const char *role = lua_tostring(L, -1);
      if (!role || !fixture_role_find(role))
        return luaL_error(L, "sequence{roles = ...}: entry %d is not a fixture role this "
                          "station knows", (int)i);
      g_ptr_array_add(host->needed_roles, g_strdup(role));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  lua_getfield(L, 1, "api");
  if (!lua_isnil(L, -1)) {
    int is_integer = 0;
    lua_Integer api = lua_tointegerx(L, -1, &is_integer);
    if (!is_integer)
      return luaL_error(L, "sequence{api = ...}: the API version is a whole number");
    if (api != STATION_LUA_API_VERSION)
      return luaL_error(L, "sequence '%s' is written for station Lua API %d, this station "
                        "provides API %d: use a sequence for API %d or a station for API %d",
                        name, (int)api, STATION_LUA_API_VERSION, STATION_LUA_API_VERSION,
                        (int)api);
  }
  return 0;
}

/* ---- what a step may do -------------------------------------------------------------- */

Run *lua_run_of(lua_State *L)
{
  LuaHost *host = host_of(L);
  if (!host->run)
    luaL_error(L, "instruments and measurements are only available inside a step");
  return host->run;
}

/* Raises a GError as a Lua error at the calling script line, naming the instrument. */
int lua_raise_error(lua_State *L, const char *who, GError *error)
{
  luaL_where(L, 1);
  lua_pushfstring(L, "%s%s: %s", lua_tostring(L, -1), who, error->message);
  g_error_free(error);
  return lua_error(L);
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
  Run *run = lua_run_of(L);
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

/* calibration{kind = "voltage"|"current", unit, reference, before, after, factor, passed}:
 * stores the board's calibration the step made (the true value written, its readings before
 * and after, the factor it reports; passed: it took the calibration and it verified). */
static int l_calibration(lua_State *L)
{
  Run *run = lua_run_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "kind");
  const char *kind = lua_tostring(L, -1);
  if (g_strcmp0(kind, "voltage") != 0 && g_strcmp0(kind, "current") != 0)
    return luaL_error(L, "calibration{}: kind must be \"voltage\" or \"current\", not %s",
                      kind ? kind : "missing");
  lua_getfield(L, 1, "unit");
  const char *unit = lua_tostring(L, -1);
  if (!unit)
    return luaL_error(L, "calibration{kind = '%s'}: a unit is needed (mV, mA)", kind);
  CalibrationRecord record = {
    .kind = kind, .unit = unit, .reference = opt_number_field(L, 1, "reference"),
    .reading_before = opt_number_field(L, 1, "before"),
    .reading_after = opt_number_field(L, 1, "after"),
    .factor = opt_number_field(L, 1, "factor"),
  };
  if (isnan(record.reference))
    return luaL_error(L, "calibration{kind = '%s'}: the reference written is needed", kind);
  lua_getfield(L, 1, "passed");
  record.outcome = lua_toboolean(L, -1) ? "PASS" : "FAIL";
  run_record_calibration(run, &record);
  return 0;
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
  Run *run = lua_run_of(L);
  int n = lua_gettop(L);   /* before luaL_buffinit, which may push a placeholder */
  luaL_Buffer b;
  luaL_buffinit(L, &b);
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

/* The arguments of wait() and wait_overlapped(): seconds and the required part of them. */
static void wait_arguments(lua_State *L, double *seconds, double *required)
{
  *seconds = luaL_checknumber(L, 1);
  *required = luaL_optnumber(L, 2, *seconds);
  if (*seconds < 0 || *seconds > 3600)
    luaL_error(L, "wait(%f): seconds must be within 0..3600", *seconds);
  if (*required < 0 || *required > *seconds)
    luaL_error(L, "wait(%f, %f): the required part must be within 0..seconds", *seconds,
               *required);
}

static int l_wait(lua_State *L)
{
  Run *run = lua_run_of(L);
  double seconds, required;
  wait_arguments(L, &seconds, &required);
  GError *error = NULL;
  if (!run_wait(run, seconds, required, &error))
    return lua_raise_error(L, "wait", error);
  return 0;
}

/* Where a step paused in wait_overlapped() goes on: at the wait's end, or stopped (an abort,
 * an overlapping step that could not be completed). */
static int wait_overlapped_resumed(lua_State *L, int status, lua_KContext context)
{
  (void)status;
  (void)context;
  const char *why = run_overlap_stop_reason(lua_run_of(L));
  if (why)
    return luaL_error(L, "wait_overlapped: stopped before the wait's end: %s", why);
  return 0;
}

/* wait_overlapped(s [, required]): a wait the steps declared to overlap this one run in; a
 * plain wait where none is waiting to (or the step cannot pause here). */
static int l_wait_overlapped(lua_State *L)
{
  Run *run = lua_run_of(L);
  double seconds, required;
  wait_arguments(L, &seconds, &required);
  if (lua_isyieldable(L) && run_overlap_begin(run, seconds, required))
    return lua_yieldk(L, 0, 0, wait_overlapped_resumed);
  GError *error = NULL;
  if (!run_wait(run, seconds, required, &error))
    return lua_raise_error(L, "wait_overlapped", error);
  return 0;
}

/* clock(): seconds on the fixture clock (the twin's, virtual or real, or the monotonic clock
 * of a real fixture), for timing what the board does between two reads. */
static int l_clock(lua_State *L)
{
  Run *run = lua_run_of(L);
  double now;
  GError *error = NULL;
  if (!fixture_clock_now(run->fixture, &now, &error))
    return lua_raise_error(L, "clock", error);
  lua_pushnumber(L, now);
  return 1;
}

/* ---- the sandbox ------------------------------------------------------------------------- */

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
    {"measure", l_measure}, {"calibration", l_calibration}, {"fail", l_fail}, {"skip", l_skip}, {"log", l_log},
    {"print", l_log}, {"wait", l_wait}, {"wait_overlapped", l_wait_overlapped},
    {"clock", l_clock}, {NULL, NULL},
  };
  lua_pushglobaltable(L);
  luaL_setfuncs(L, globals, 0);
  lua_pop(L, 1);
  lua_createtable(L, 0, 1);
  lua_pushinteger(L, STATION_LUA_API_VERSION);
  lua_setfield(L, -2, "api_version");
  lua_setglobal(L, "station");
  lua_registers_push(L);
  lua_setglobal(L, "jk");
  lua_interrupt_install(L);   /* abort and step time limits, top level included */
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
  host->needed_roles = g_ptr_array_new_with_free_func(g_free);
  host->L = luaL_newstate();
  *(LuaHost **)lua_getextraspace(host->L) = host;
  open_sandbox(host->L);
  lua_State *L = host->L;

  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SEQUENCE,
                "cannot read sequence: %s is not a file", path);
    return NULL;
  }
  host->modules = lua_modules_new(path, error);
  if (!host->modules)
    return NULL;
  lua_modules_install(host->modules, L);
  g_autofree char *base = g_path_get_basename(path);
  lua_pushcfunction(L, message_handler);
  if (lua_modules_load(host->modules, L, path) != LUA_OK || lua_pcall(L, 0, 0, -2) != LUA_OK) {
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
  lua_modules_free(host->modules);
  g_ptr_array_unref(host->steps);
  g_ptr_array_unref(host->needed_roles);
  g_free(host->sequence_name);
  g_free(host);
}

gboolean lua_host_needs_firmware(const LuaHost *host)
{
  return host->needs_firmware;
}

gboolean lua_host_needs_heater_load(const LuaHost *host)
{
  return host->needs_heater_load;
}

GPtrArray *lua_host_needed_roles(const LuaHost *host)
{
  return host->needed_roles;
}

char *lua_host_sequence_sha256(const LuaHost *host)
{
  return lua_modules_sha256(host->modules);
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
  lua_pushboolean(L, run->heater);
  lua_setfield(L, -2, "heater");
  if (run->heater_load.channel) {
    lua_createtable(L, 0, 3);
    g_autofree char *name = g_strdup_printf("heater_load_%d", run->heater_load.number);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, run->heater_load.channel);
    lua_setfield(L, -2, "relay");
    lua_pushnumber(L, run->heater_load.ohm);
    lua_setfield(L, -2, "ohm");
    lua_setfield(L, -2, "heater_load");
  }
  lua_pushstring(L, run->limits->profile);
  lua_setfield(L, -2, "profile");
  lua_setglobal(L, "board");

  push_limits(L, run->limits);
  lua_setglobal(L, "limits");

  lua_fixture_push(L, run->fixture);
  lua_setglobal(L, "fixture");
  lua_firmware_push(L, run->release);
  lua_setglobal(L, "firmware");
}

/* The outcome of a step whose run raised `status` with the error value on the top of L (a
 * traceback from `traceback`'s stack added to a Lua error when traceback is given). */
static Outcome step_error_outcome(lua_State *L, lua_State *traceback, char **message)
{
  if (lua_touserdata(L, -1) == &fail_sentinel || lua_touserdata(L, -1) == &skip_sentinel) {
    Outcome outcome = lua_touserdata(L, -1) == &fail_sentinel ? OUTCOME_FAIL : OUTCOME_SKIP;
    lua_getfield(L, LUA_REGISTRYINDEX, "station.step_message");
    *message = g_strdup(lua_tostring(L, -1));
    return outcome;
  }
  const char *text = lua_tostring(L, -1);
  if (traceback) {
    luaL_traceback(L, traceback, text ? text : "unknown error", 0);
    text = lua_tostring(L, -1);
  }
  *message = g_strdup(text ? text : "unknown error");
  return OUTCOME_ERROR;
}

Outcome lua_host_run_step(LuaHost *host, const SequenceStep *step, char **message)
{
  lua_State *L = host->L;
  *message = NULL;
  lua_settop(L, 0);
  lua_pushcfunction(L, message_handler);
  lua_rawgeti(L, LUA_REGISTRYINDEX, step->function_ref);
  int status = lua_pcall(L, 0, 0, 1);
  Outcome outcome = status == LUA_OK ? OUTCOME_PASS /* the engine turns it into FAIL if a
                                                       measurement failed */
                                     : step_error_outcome(L, NULL, message);
  lua_settop(L, 0);
  return outcome;
}

struct LuaStepThread {
  lua_State *co;                 /* the step's coroutine */
  int ref;                       /* its registry reference (keeps it alive) */
};

/* Runs the coroutine until it pauses (TRUE) or ends (FALSE, outcome and message set). */
static gboolean step_thread_run(LuaHost *host, LuaStepThread *thread, Outcome *outcome,
                                char **message)
{
  int results = 0;
  *message = NULL;
  int status = lua_resume(thread->co, host->L, 0, &results);
  if (status == LUA_YIELD) {
    lua_pop(thread->co, results);
    return TRUE;
  }
  if (status == LUA_OK) {
    *outcome = OUTCOME_PASS;
    return FALSE;
  }
  /* The error value read beside the traceback on the host's stack, which may be the stack of
   * a step running now (this one was resumed in its wait): left as it was found. */
  int top = lua_gettop(host->L);
  lua_xmove(thread->co, host->L, 1);
  *outcome = step_error_outcome(host->L, thread->co, message);
  lua_settop(host->L, top);
  return FALSE;
}

gboolean lua_host_step_start(LuaHost *host, const SequenceStep *step, LuaStepThread **thread,
                             Outcome *outcome, char **message)
{
  lua_State *L = host->L;
  LuaStepThread *t = g_new0(LuaStepThread, 1);
  t->co = lua_newthread(L);
  t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_rawgeti(t->co, LUA_REGISTRYINDEX, step->function_ref);
  *thread = t;
  return step_thread_run(host, t, outcome, message);
}

gboolean lua_host_step_resume(LuaHost *host, LuaStepThread *thread, Outcome *outcome,
                              char **message)
{
  return step_thread_run(host, thread, outcome, message);
}

void lua_host_step_thread_free(LuaHost *host, LuaStepThread *thread)
{
  if (!thread)
    return;
  luaL_unref(host->L, LUA_REGISTRYINDEX, thread->ref);
  g_free(thread);
}
