/* Private to the Lua host: the fixture's bindings (lua_fixture.c) and the helpers they share
 * with the host (lua_host.c). */
#pragma once
#include <lua.h>
#include "station/run.h"

/* The run bound to this Lua state; raises a Lua error outside a step. */
Run *lua_run_of(lua_State *L);
/* Raises `error` as a Lua error at the calling script line, prefixed by `who`; frees it. */
int lua_raise_error(lua_State *L, const char *who, GError *error);
/* Pushes the `fixture` table: one table per connected role, relays, id. */
void lua_fixture_push(lua_State *L, const Fixture *fixture);
/* Pushes the `firmware` table: version, sha256 and flash() of the released image; nil
 * values when the run has no release. */
void lua_firmware_push(lua_State *L, const FirmwareRelease *release);
