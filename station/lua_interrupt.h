/* Lua code that can always be stopped: an instruction-count hook, installed on every Lua
 * state of the host, that raises an error when the operator aborted or the running code's
 * time limit has passed. It covers all Lua code, the top level of a sequence file included,
 * because the hook reads the interrupt the engine has begun on this thread
 * (lua_interrupt_begin), not anything bound into the state later. An error raised by the hook
 * is raised again at every later check, so a script's pcall cannot swallow it for long. The
 * station's own waits (run_wait) ask the same interrupt, so a long wait() stops too. */
#pragma once
#include <glib.h>
#include <lua.h>

typedef struct {
  const volatile gint *abort_requested;   /* non-zero: the operator aborted; may be NULL */
  gboolean ignore_abort;                  /* teardown: an abort does not stop it */
  gint64 deadline_us;                     /* monotonic µs the running code must end by; 0:
                                             none */
  double limit_s;                         /* s, that limit (for the message) */
  const char *what;                       /* what has the limit: "the step", "the sequence's
                                             top level" (static) */
  const char *note;                       /* where the limit comes from, or NULL (borrowed
                                             while the limit is set) */
} LuaInterrupt;

/* Installs the hook on L (the host's sandbox calls this once per state). */
void lua_interrupt_install(lua_State *L);
/* From now on, Lua code on this thread is stopped as interrupt says (borrowed until
 * lua_interrupt_end). */
void lua_interrupt_begin(LuaInterrupt *interrupt);
void lua_interrupt_end(void);
/* Sets the deadline of the running code: limit_s from now (0: none); clears the note. */
void lua_interrupt_set_limit(LuaInterrupt *interrupt, const char *what, double limit_s);
/* The reason the code on this thread must stop now, or NULL: "aborted by the operator",
 * "the step took longer than its time limit of N s". Static or thread-local storage. */
const char *lua_interrupt_reason(void);
/* TRUE, with STATION_ERROR_ABORTED or STATION_ERROR_TIME_LIMIT in error, when the code on
 * this thread must stop now. */
gboolean lua_interrupt_pending(GError **error);
