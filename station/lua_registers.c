/* The board's register map given to the sequence as the table `jk` (lua_registers.h). The
 * rows come from JK_REGISTER_TABLE and JK_ALARM_TABLE, the same rows the station's driver
 * is compiled from: a register fixed there is fixed for the sequence too. */
#include "station/lua_registers.h"
#include "fixtures/jkbms/jk_registers.h"
#include <glib.h>
#include <lauxlib.h>

typedef struct {
  const char *name;
  int address;
  const char *type;
  int bytes;
  int count;
  const char *unit;
} RegisterRow;

#define REGISTER_ROW(name, address, type, bytes, count, unit) \
  {#name, address, #type, bytes, count, unit},
static const RegisterRow registers[] = { JK_REGISTER_TABLE(REGISTER_ROW) };

typedef struct {
  const char *name;
  int bit;
} AlarmRow;

#define ALARM_ROW(name, bit) {#name, bit},
static const AlarmRow alarms[] = { JK_ALARM_TABLE(ALARM_ROW) };

/* Reading a name the map does not have is a script error, so a mistyped register name
 * stops at its line instead of reaching the board as nil. */
static int read_known(lua_State *L)
{
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) == LUA_TNIL)
    return luaL_error(L, "jk.%s has no '%s' (the station's register map: "
                      "fixtures/jkbms/jk_registers.h)", lua_tostring(L, lua_upvalueindex(2)),
                      luaL_tolstring(L, 2, NULL));
  return 1;
}

/* A write to a read-only table: the sequence cannot change the station's map. */
static int refuse_write(lua_State *L)
{
  return luaL_error(L, "the board's register map (jk.%s) is the station's and read-only",
                    lua_tostring(L, lua_upvalueindex(1)));
}

/* next() over the table behind a proxy. */
static int next_field(lua_State *L)
{
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2);
  if (lua_next(L, 1))
    return 2;
  lua_pushnil(L);
  return 1;
}

/* pairs() over a proxy walks the table behind it. */
static int pairs_through(lua_State *L)
{
  lua_pushcfunction(L, next_field);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushnil(L);
  return 3;
}

/* Replaces the table on top of the stack by an empty proxy that reads through to it,
 * refuses unknown names and refuses writes. */
static void make_read_only(lua_State *L, const char *name)
{
  int table = lua_gettop(L);
  lua_newtable(L);              /* proxy */
  lua_createtable(L, 0, 4);     /* its metatable */
  lua_pushvalue(L, table);
  lua_pushstring(L, name);
  lua_pushcclosure(L, read_known, 2);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, name);
  lua_pushcclosure(L, refuse_write, 1);
  lua_setfield(L, -2, "__newindex");
  lua_pushvalue(L, table);
  lua_pushcclosure(L, pairs_through, 1);
  lua_setfield(L, -2, "__pairs");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_remove(L, table);
}

/* "U32" -> "u32": the type names as the sequence writes them. */
static void push_type_name(lua_State *L, const char *type)
{
  g_autofree char *lower = g_ascii_strdown(type, -1);
  lua_pushstring(L, lower);
}

static void push_registers(lua_State *L)
{
  lua_createtable(L, 0, G_N_ELEMENTS(registers));   /* REG */
  lua_createtable(L, 0, G_N_ELEMENTS(registers));   /* REGISTER */
  for (gsize i = 0; i < G_N_ELEMENTS(registers); i++) {
    const RegisterRow *row = &registers[i];
    lua_pushinteger(L, row->address);
    lua_setfield(L, -3, row->name);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, row->address);
    lua_setfield(L, -2, "address");
    push_type_name(L, row->type);
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, row->bytes);
    lua_setfield(L, -2, "bytes");
    lua_pushinteger(L, row->count);
    lua_setfield(L, -2, "count");
    lua_pushstring(L, row->unit);
    lua_setfield(L, -2, "unit");
    make_read_only(L, row->name);
    lua_setfield(L, -2, row->name);
  }
  make_read_only(L, "REGISTER");
  lua_setfield(L, -3, "REGISTER");
  make_read_only(L, "REG");
  lua_setfield(L, -2, "REG");
}

void lua_registers_push(lua_State *L)
{
  lua_createtable(L, 0, 3);
  push_registers(L);
  lua_createtable(L, 0, G_N_ELEMENTS(alarms));
  for (gsize i = 0; i < G_N_ELEMENTS(alarms); i++) {
    lua_pushinteger(L, (lua_Integer)1 << alarms[i].bit);
    lua_setfield(L, -2, alarms[i].name);
  }
  make_read_only(L, "ALARM");
  lua_setfield(L, -2, "ALARM");
  make_read_only(L, "jk");
}
