/* A `require` for sequences (lua_modules.h). The standard one searches package.path and
 * package.cpath and can load C libraries; a sequence's modules are only the Lua files next
 * to it, so this one resolves a dotted name under the sequence's folder, checks the real
 * path stays there, and loads text only. Each loaded file also feeds the sequence's
 * digest, so the hash stored with a run covers every module it ran. */
#include "station/lua_modules.h"
#include "station/station_error.h"
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

struct LuaModules {
  char *folder;                 /* canonical folder of the main file, owned */
  GChecksum *digest;            /* over every file loaded, owned */
};

/* Marks a module whose top level is running, so that a cycle of requires is an error. */
static char loading_marker;

#define LOADED_KEY "station.modules"

LuaModules *lua_modules_new(const char *main_path, GError **error)
{
  g_autofree char *folder = g_path_get_dirname(main_path);
  char *canonical = realpath(folder, NULL);
  if (!canonical) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SEQUENCE,
                "cannot read sequence: its folder %s does not exist", folder);
    return NULL;
  }
  LuaModules *modules = g_new0(LuaModules, 1);
  modules->folder = g_strdup(canonical);
  free(canonical);
  modules->digest = g_checksum_new(G_CHECKSUM_SHA256);
  return modules;
}

void lua_modules_free(LuaModules *modules)
{
  if (!modules)
    return;
  g_checksum_free(modules->digest);
  g_free(modules->folder);
  g_free(modules);
}

char *lua_modules_sha256(const LuaModules *modules)
{
  GChecksum *copy = g_checksum_copy(modules->digest);
  char *hex = g_strdup(g_checksum_get_string(copy));
  g_checksum_free(copy);
  return hex;
}

/* The path of `path` within the folder, or NULL when its real path lies outside. */
static char *path_within(const LuaModules *modules, const char *path)
{
  char *real = realpath(path, NULL);
  if (!real)
    return NULL;
  gsize n = strlen(modules->folder);
  char *inside = NULL;
  if (strncmp(real, modules->folder, n) == 0 && real[n] == '/')
    inside = g_strdup(real + n + 1);
  free(real);
  return inside;
}

int lua_modules_load(LuaModules *modules, lua_State *L, const char *path)
{
  g_autofree char *relative = path_within(modules, path);
  if (!relative) {
    lua_pushfstring(L, "%s is not a file of the sequence's folder %s", path, modules->folder);
    return LUA_ERRFILE;
  }
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) read_error = NULL;
  if (!g_file_get_contents(path, &contents, &length, &read_error)) {
    lua_pushfstring(L, "cannot read %s: %s", relative, read_error->message);
    return LUA_ERRFILE;
  }
  g_autofree char *size = g_strdup_printf("%" G_GSIZE_FORMAT, length);
  g_checksum_update(modules->digest, (const guchar *)relative, (gssize)strlen(relative) + 1);
  g_checksum_update(modules->digest, (const guchar *)size, (gssize)strlen(size) + 1);
  g_checksum_update(modules->digest, (const guchar *)contents, (gssize)length);
  g_autofree char *chunkname = g_strconcat("@", relative, NULL);
  return luaL_loadbufferx(L, contents, length, chunkname, "t");
}

/* A module name: identifiers joined by single dots. */
static gboolean module_name_valid(const char *name)
{
  gboolean at_start = TRUE;
  for (const char *p = name; *p; p++) {
    if (*p == '.') {
      if (at_start)
        return FALSE;
      at_start = TRUE;
    } else if (g_ascii_isalpha(*p) || *p == '_' || (!at_start && g_ascii_isdigit(*p))) {
      at_start = FALSE;
    } else {
      return FALSE;
    }
  }
  return !at_start;
}

static int l_require(lua_State *L)
{
  LuaModules *modules = lua_touserdata(L, lua_upvalueindex(1));
  const char *name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  if (!module_name_valid(name))
    return luaL_error(L, "require '%s': a module name is names joined by dots "
                      "(e.g. \"eol.flash\" for eol/flash.lua next to the sequence)", name);
  lua_getfield(L, LUA_REGISTRYINDEX, LOADED_KEY);            /* 2: loaded */
  lua_getfield(L, 2, name);
  if (lua_touserdata(L, -1) == &loading_marker)
    return luaL_error(L, "require '%s': the module requires itself (a cycle of requires)",
                      name);
  if (!lua_isnil(L, -1))
    return 1;
  lua_pop(L, 1);

  /* Both names live on the Lua stack: luaL_error() and the module's own errors unwind with
   * longjmp, which would skip the release of a C allocation. */
  char *relative_c = g_strdelimit(g_strconcat(name, ".lua", NULL), ".", '/');
  relative_c[strlen(relative_c) - 4] = '.';                  /* the ".lua" suffix again */
  char *path_c = g_build_filename(modules->folder, relative_c, NULL);
  const char *relative = lua_pushstring(L, relative_c);      /* 3 */
  const char *path = lua_pushstring(L, path_c);              /* 4 */
  g_free(relative_c);
  g_free(path_c);
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
    return luaL_error(L, "require '%s': no module %s in the sequence's folder %s", name,
                      relative, modules->folder);
  if (lua_modules_load(modules, L, path) != LUA_OK)
    return luaL_error(L, "require '%s': %s", name, lua_tostring(L, -1));
  lua_pushlightuserdata(L, &loading_marker);
  lua_setfield(L, 2, name);
  lua_pushvalue(L, 1);
  lua_pushstring(L, relative);
  lua_call(L, 2, 1);          /* an error in the module keeps its own file:line */
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, 2, name);
  return 1;
}

void lua_modules_install(LuaModules *modules, lua_State *L)
{
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, LOADED_KEY);
  lua_pushlightuserdata(L, modules);
  lua_pushcclosure(L, l_require, 1);
  lua_setglobal(L, "require");
}
