/* The Lua interrupt hook (lua_interrupt.h). */
#include "station/lua_interrupt.h"
#include "station/station_error.h"
#include <lauxlib.h>

/* Instructions between checks: a check costs a clock read; 1000 keeps a busy loop's stop
 * within microseconds. */
#define CHECK_EVERY_INSTRUCTIONS 1000

static _Thread_local LuaInterrupt *current;
static _Thread_local char reason[256];

void lua_interrupt_begin(LuaInterrupt *interrupt)
{
  current = interrupt;
}

void lua_interrupt_end(void)
{
  current = NULL;
}

void lua_interrupt_set_limit(LuaInterrupt *interrupt, const char *what, double limit_s)
{
  interrupt->what = what;
  interrupt->limit_s = limit_s;
  interrupt->note = NULL;
  interrupt->deadline_us = limit_s > 0 ? g_get_monotonic_time() +
                                             (gint64)(limit_s * G_USEC_PER_SEC)
                                       : 0;
}

static gboolean aborted(void)
{
  return !current->ignore_abort && current->abort_requested &&
         g_atomic_int_get(current->abort_requested);
}

const char *lua_interrupt_reason(void)
{
  if (!current)
    return NULL;
  if (aborted())
    return "aborted by the operator";
  if (current->deadline_us && g_get_monotonic_time() > current->deadline_us) {
    g_snprintf(reason, sizeof reason, "%s took longer than its time limit of %g s%s%s%s",
               current->what ? current->what : "the step", current->limit_s,
               current->note ? " (" : "", current->note ? current->note : "",
               current->note ? ")" : "");
    return reason;
  }
  return NULL;
}

gboolean lua_interrupt_pending(GError **error)
{
  const char *why = lua_interrupt_reason();
  if (!why)
    return FALSE;
  g_set_error_literal(error, STATION_ERROR,
                      aborted() ? STATION_ERROR_ABORTED : STATION_ERROR_TIME_LIMIT, why);
  return TRUE;
}

/* Raises the reason at the script line that was running (level 0: the hook has no frame). */
static void interrupt_hook(lua_State *L, lua_Debug *ar)
{
  const char *why = lua_interrupt_reason();
  if (!why)
    return;
  luaL_where(L, 0);
  lua_pushfstring(L, "%s%s", lua_tostring(L, -1), why);
  lua_error(L);
}

void lua_interrupt_install(lua_State *L)
{
  lua_sethook(L, interrupt_hook, LUA_MASKCOUNT, CHECK_EVERY_INSTRUCTIONS);
}
