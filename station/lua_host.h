/* The Lua host: loads a sequence into a sandboxed Lua 5.4 state, collects its steps, and runs
 * each step with the fixture, the board's catalog entry and the limits exposed to it. */
#pragma once
#include "station/run.h"

/* The Lua API this host gives sequences (station.api_version; sequence{api = N} must match).
 * 2: require of the sequence's own modules, the register map as jk.REG / jk.REGISTER /
 * jk.ALARM, clock() on the fixture clock. */
#define STATION_LUA_API_VERSION 2

typedef enum { GROUP_SETUP, GROUP_MAIN, GROUP_TEARDOWN } StepGroup;

typedef struct {
  char *name;
  StepGroup group;
  gboolean critical;             /* a failure stops the main group */
  double time_limit_s;           /* s of wall time the step may take; 0: the default */
  char *overlaps;                /* step{overlaps = NAME}: the main step declared before it
                                    in whose wait_overlapped() it runs, or NULL */
  int function_ref;              /* registry reference of the step's function */
  char **instruments;            /* the roles the step uses (instruments = {...}), owned;
                                    NULL: not declared, taken to be every role */
} SequenceStep;

typedef struct LuaHost LuaHost;

const char *step_group_name(StepGroup group);

/* Loads and runs the sequence file's top level (which declares steps). Script errors come
 * back as STATION_ERROR_SEQUENCE with file:line. */
LuaHost *lua_host_load(const char *path, GError **error);
void lua_host_free(LuaHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LuaHost, lua_host_free)

const char *lua_host_sequence_name(const LuaHost *host);
/* SHA-256 (hex, newly allocated) of the main file and every module it loaded. */
char *lua_host_sequence_sha256(const LuaHost *host);
/* The sequence declared sequence{firmware = true}: the run needs an image (the model's
 * release, or a flash run's own). */
gboolean lua_host_needs_firmware(const LuaHost *host);
/* The sequence declared sequence{heater = true}: it drives the board's heater, so an order
 * with the heater needs a load from the fixture's heater load bank. */
gboolean lua_host_needs_heater_load(const LuaHost *host);
/* The fixture roles the sequence declared with sequence{roles = {...}} (of char*, borrowed):
 * a fixture without one of them is refused before the board is touched. */
GPtrArray *lua_host_needed_roles(const LuaHost *host);
GPtrArray *lua_host_steps(const LuaHost *host);     /* of SequenceStep*, borrowed */

/* Binds the run (board, fixture, limits) into the sequence's globals. */
void lua_host_bind(LuaHost *host, Run *run);
/* A step running as a coroutine, so that it can pause in wait_overlapped(). */
typedef struct LuaStepThread LuaStepThread;

/* Runs one step. Returns PASS, FAIL (a measurement failed or the step called fail()), SKIP,
 * or ERROR (script or instrument error, or abort); *message says why it did not pass. */
Outcome lua_host_run_step(LuaHost *host, const SequenceStep *step, char **message);
/* Runs one step as a coroutine until it ends (FALSE, with its outcome and message as
 * lua_host_run_step gives them) or pauses in wait_overlapped() (TRUE: resume it with
 * lua_host_step_resume). */
gboolean lua_host_step_start(LuaHost *host, const SequenceStep *step, LuaStepThread **thread,
                             Outcome *outcome, char **message);
/* Resumes a paused step; the same results as lua_host_step_start. */
gboolean lua_host_step_resume(LuaHost *host, LuaStepThread *thread, Outcome *outcome,
                              char **message);
void lua_host_step_thread_free(LuaHost *host, LuaStepThread *thread);
