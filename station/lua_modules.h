/* The sequence's own modules: a `require` that finds Lua text files in the folder of the
 * sequence's main file and nowhere else, and the digest of every file the sequence loaded. */
#pragma once
#include <glib.h>
#include <lua.h>

typedef struct LuaModules LuaModules;

/* The modules of the sequence whose main file is main_path: they live in its folder. */
LuaModules *lua_modules_new(const char *main_path, GError **error);
void lua_modules_free(LuaModules *modules);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LuaModules, lua_modules_free)

/* Installs the global require(name): "eol.flash" is <folder>/eol/flash.lua, loaded once, run
 * with (name, file) and its result (true when it returns nothing) returned and kept. A name
 * is letters, digits and '_' joined by dots: no path, no "..", no file outside the folder
 * (symbolic links included), no binary chunk, no C module. */
void lua_modules_install(LuaModules *modules, lua_State *L);

/* Loads one file of the sequence (the main file, or a module) as a text chunk named by its
 * path within the folder ("@eol/flash.lua", so errors carry that file and line) and adds it
 * to the digest. Pushes the chunk and returns LUA_OK, or pushes the error message and
 * returns an error status. */
int lua_modules_load(LuaModules *modules, lua_State *L, const char *path);

/* SHA-256 (hex) of every file loaded so far, in load order: each file's path within the
 * folder, its length and its bytes. What the run records as the sequence's hash. */
char *lua_modules_sha256(const LuaModules *modules);
