/* The Lua host's module loader, register map and API version: what a sequence may load and
 * what it is refused, the errors it gets (with the module's file and line), the hash that
 * covers every module, and the station's register map as the table `jk`. */
#include "station/lua_host.h"
#include "station/station_error.h"
#include "fixtures/jkbms/jk_registers.h"
#include "tests/cunit_main.h"
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char *tmpdir;

/* Writes folder/relative (creating its folders) and returns the path. */
static char *write_file(const char *folder, const char *relative, const char *contents)
{
  char *path = g_build_filename(folder, relative, NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  g_assert(g_mkdir_with_parents(dir, 0755) == 0);
  g_assert(g_file_set_contents(path, contents, -1, NULL));
  return path;
}

/* A fresh folder for one sequence. */
static char *new_folder(const char *name)
{
  char *folder = g_build_filename(tmpdir, name, NULL);
  g_assert(g_mkdir_with_parents(folder, 0755) == 0);
  return folder;
}

static void expect_error(const char *main_path, const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LuaHost) host = lua_host_load(main_path, &error);
  CU_ASSERT_PTR_NULL(host);
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, STATION_ERROR, STATION_ERROR_SEQUENCE));
  if (!strstr(error->message, words))
    printf("\n  message lacks '%s': %s\n", words, error->message);
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, words));
}

static const char *const one_step = "step { name = 'm', run = function() end }\n";

static void test_modules_load_in_order_once(void)
{
  g_autofree char *folder = new_folder("order");
  g_autofree char *a = write_file(folder, "lib/a.lua",
      "step { name = 'from-a', run = function() end }\nreturn { answer = 42 }\n");
  g_autofree char *b = write_file(folder, "lib/deep/b.lua",
      "local a = require 'lib.a'\nstep { name = 'from-b', run = function() end }\n"
      "return a.answer + 1\n");
  g_autofree char *main_path = write_file(folder, "seq.lua",
      "local a = require 'lib.a'\nassert(a.answer == 42)\n"
      "assert(require 'lib.deep.b' == 43)\nassert(require 'lib.a' == a)\n"
      "step { name = 'main', run = function() end }\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(LuaHost) host = lua_host_load(main_path, &error);
  if (error)
    printf("\n  %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(host);
  GPtrArray *steps = lua_host_steps(host);
  CU_ASSERT_EQUAL_FATAL(steps->len, 3);   /* a's step declared once */
  CU_ASSERT_STRING_EQUAL(((SequenceStep *)g_ptr_array_index(steps, 0))->name, "from-a");
  CU_ASSERT_STRING_EQUAL(((SequenceStep *)g_ptr_array_index(steps, 1))->name, "from-b");
  CU_ASSERT_STRING_EQUAL(((SequenceStep *)g_ptr_array_index(steps, 2))->name, "main");
}

static void test_module_errors_name_the_module(void)
{
  g_autofree char *folder = new_folder("errors");
  g_autofree char *bad = write_file(folder, "lib/bad.lua", "local x = 1\nerror('broken here')\n");
  g_autofree char *syntax = write_file(folder, "lib/syntax.lua", "local x = \n\n= 2\n");
  g_autofree char *main_bad = write_file(folder, "bad_main.lua", "require 'lib.bad'\n");
  expect_error(main_bad, "lib/bad.lua:2: broken here");
  g_autofree char *main_syntax = write_file(folder, "syntax_main.lua", "require 'lib.syntax'\n");
  expect_error(main_syntax, "lib/syntax.lua:3:");
  g_autofree char *main_missing = write_file(folder, "missing.lua",
                                             "\nrequire 'lib.absent'\n");
  expect_error(main_missing, "missing.lua:2: require 'lib.absent': no module lib/absent.lua");
  g_autofree char *c1 = write_file(folder, "cycle/one.lua", "require 'cycle.two'\n");
  g_autofree char *c2 = write_file(folder, "cycle/two.lua", "require 'cycle.one'\n");
  g_autofree char *main_cycle = write_file(folder, "cycle_main.lua", "require 'cycle.one'\n");
  expect_error(main_cycle, "cycle/two.lua:1: require 'cycle.one': the module requires itself");
}

static void test_require_stays_in_the_folder(void)
{
  g_autofree char *outside = write_file(tmpdir, "secret.lua", "return 'escaped'\n");
  g_autofree char *folder = new_folder("sandbox/seq");
  g_autofree char *link = g_build_filename(folder, "link.lua", NULL);
  CU_ASSERT_EQUAL_FATAL(symlink(outside, link), 0);
  static const char *const refused[][2] = {
    {"require '..secret'", "a module name is names joined by dots"},
    {"require '.secret'", "a module name is names joined by dots"},
    {"require 'a..b'", "a module name is names joined by dots"},
    {"require '../secret'", "a module name is names joined by dots"},
    {"require '/etc/passwd'", "a module name is names joined by dots"},
    {"require 'link'", "is not a file of the sequence's folder"},
    {"require 'string'", "no module string.lua"},
    {"assert(package == nil and loadfile == nil and dofile == nil and load == nil)\n"
     "error('no loaders')", "no loaders"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
    g_autofree char *main_path = write_file(folder, "seq.lua", refused[i][0]);
    expect_error(main_path, refused[i][1]);
  }
  /* Binary chunks are refused even under a module's name. */
  g_autofree char *binary = write_file(folder, "bin.lua", "\x1bLuaT\x00 garbage");
  g_autofree char *main_binary = write_file(folder, "seq.lua", "require 'bin'\n");
  expect_error(main_binary, "attempt to load a binary chunk");
}

/* The hash of the sequence changes when any module it loads changes. */
static void test_hash_covers_modules(void)
{
  g_autofree char *folder = new_folder("hash");
  g_autofree char *module = write_file(folder, "lib/m.lua", "return 1\n");
  g_autofree char *main_path = write_file(folder, "seq.lua", "require 'lib.m'\n"
                                          "step { name = 'main', run = function() end }\n");
  g_autoptr(LuaHost) first = lua_host_load(main_path, NULL);
  g_autoptr(LuaHost) same = lua_host_load(main_path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(first);
  CU_ASSERT_PTR_NOT_NULL_FATAL(same);
  g_assert(g_file_set_contents(module, "return 2\n", -1, NULL));
  g_autoptr(LuaHost) changed = lua_host_load(main_path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(changed);
  g_autofree char *h1 = lua_host_sequence_sha256(first);
  g_autofree char *h2 = lua_host_sequence_sha256(same);
  g_autofree char *h3 = lua_host_sequence_sha256(changed);
  CU_ASSERT_EQUAL(strlen(h1), 64);
  CU_ASSERT_STRING_EQUAL(h1, h2);
  CU_ASSERT_STRING_NOT_EQUAL(h1, h3);
}

static void test_api_version(void)
{
  g_autofree char *folder = new_folder("api");
  g_autofree char *script = g_strdup_printf("assert(station.api_version == %d)\n"
                                            "sequence { name = 'x', api = %d }\n%s",
                                            STATION_LUA_API_VERSION, STATION_LUA_API_VERSION,
                                            one_step);
  g_autofree char *good = write_file(folder, "good.lua", script);
  g_autoptr(LuaHost) host = lua_host_load(good, NULL);
  CU_ASSERT_PTR_NOT_NULL(host);
  g_autofree char *old = write_file(folder, "old.lua", "sequence { name = 'x', api = 1 }\n");
  expect_error(old, "old.lua:1: sequence 'x' is written for station Lua API 1, this station "
                    "provides API 2");
  g_autofree char *odd = write_file(folder, "odd.lua", "sequence { name = 'x', api = 2.5 }\n");
  expect_error(odd, "the API version is a whole number");
}

/* jk mirrors the station's map: the rows the C code is built from. */
static void test_register_map(void)
{
  g_autofree char *folder = new_folder("jk");
  g_autofree char *script = g_strdup_printf(
      "assert(jk.REG.CELL_OVP_MV == %d)\n"
      "assert(jk.REG.CURRENT_FACTOR == %d and jk.REG.SERIAL == %d)\n"
      "local t1 = jk.REGISTER.T1\n"
      "assert(t1.address == %d and t1.type == 'i16' and t1.bytes == 2 and t1.count == 1)\n"
      "assert(jk.REGISTER.CELL_MV.count == 32 and jk.REGISTER.CHG_OTP.type == 'i32')\n"
      "assert(jk.REGISTER.CHG_OTP.unit == '0.1degC')\n"
      "assert(jk.ALARM.CELL_OVP == %u and jk.ALARM.DSG_SCP == %u)\n"
      "local n = 0\nfor name, address in pairs(jk.REG) do\n"
      "  assert(jk.REGISTER[name].address == address)\n  n = n + 1\nend\n"
      "assert(n > 60, n)\n%s",
      JK_REG_CELL_OVP_MV, JK_REG_CURRENT_FACTOR, JK_REG_SERIAL, JK_REG_T1, JK_ALARM_CELL_OVP,
      JK_ALARM_DSG_SCP, one_step);
  g_autofree char *good = write_file(folder, "good.lua", script);
  g_autoptr(GError) error = NULL;
  g_autoptr(LuaHost) host = lua_host_load(good, &error);
  if (error)
    printf("\n  %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL(host);
  g_autofree char *typo = write_file(folder, "typo.lua", "local r = jk.REG.CELL_OVP\n");
  expect_error(typo, "typo.lua:1: jk.REG has no 'CELL_OVP'");
  g_autofree char *write = write_file(folder, "write.lua", "jk.REG.CELL_OVP_MV = 1\n");
  expect_error(write, "write.lua:1: the board's register map (jk.REG) is the station's");
  g_autofree char *meta = write_file(folder, "meta.lua", "setmetatable(jk.ALARM, {})\n");
  expect_error(meta, "cannot change a protected metatable");
}

int main(void)
{
  tmpdir = g_dir_make_tmp("lua-host-XXXXXX", NULL);
  CU_initialize_registry();
  CU_pSuite suite = CU_add_suite("lua_host", NULL, NULL);
  CU_add_test(suite, "modules load in order, once", test_modules_load_in_order_once);
  CU_add_test(suite, "module errors name the module", test_module_errors_name_the_module);
  CU_add_test(suite, "require stays in the folder", test_require_stays_in_the_folder);
  CU_add_test(suite, "the hash covers the modules", test_hash_covers_modules);
  CU_add_test(suite, "API version", test_api_version);
  CU_add_test(suite, "register map", test_register_map);
  int status = cunit_run_all();
  g_autofree char *command = g_strdup_printf("rm -rf '%s'", tmpdir);
  if (system(command) != 0)
    status = 1;
  g_free(tmpdir);
  return status;
}
