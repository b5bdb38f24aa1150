/* The fixture as a sequence sees it: one Lua table per instrument role the fixture has,
 * each pushed by its role's binding (the role table, fixtures/roles.h; the methods of each
 * role are listed in its driver folder's <driver>_role.h), plus:
 *   fixture.relays   relay channels by what they connect, from the fixture file's wiring
 *                    ([switch] relay_<name> keys); empty without a switch unit
 *   fixture.id       the fixture's id
 *   firmware         version, sha256 of the image the run flashes (the model's release, or
 *                    a flash run's own image); flash() writes it into the board through
 *                    the [boot] link (BOOT0/NRST by the switch unit), verifies it and
 *                    resets the board into it, announcing each phase's progress; flash{
 *                    boot_s = S } verifies by the board's boot code (fixture_flash.h): the
 *                    header read back, the rest by the image's CRC-32 the boot code checks,
 *                    the board answering with the image's version S after the reset
 * Instrument errors become Lua errors naming the role and the script line; a refusal by the
 * board (a Modbus exception) is a result the script can judge. */
#include "station/lua_fixture.h"
#include "firmware/firmware_error.h"
#include "firmware/fixture_flash.h"
#include <lauxlib.h>

/* ---- firmware ---------------------------------------------------------------------- */

static const char *const phase_names[] = {"erase", "write", "verify"};

/* A flash's progress as the run announces it: once per whole percent of a phase. */
typedef struct {
  Run *run;
  int phase;                     /* the phase last announced, -1 before the first */
  int percent;                   /* its percentage last announced */
} FlashProgress;

/* Announces the flash's progress; stops the flash when the operator aborts. */
static gboolean flash_progress(gpointer data, Stm32Phase phase, gsize done, gsize total)
{
  FlashProgress *progress = data;
  int percent = total ? (int)(done * 100 / total) : 100;
  if ((int)phase != progress->phase || percent != progress->percent) {
    progress->phase = (int)phase;
    progress->percent = percent;
    run_progress(progress->run, phase < G_N_ELEMENTS(phase_names) ? phase_names[phase] : "",
                 (double)done, (double)total);
  }
  return !run_abort_requested(progress->run);
}

/* What the board did wrong while being flashed (a result), as opposed to the station's
 * own link failing (an error). */
static gboolean board_flash_failure(const GError *error)
{
  return g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_NO_SYNC) ||
         g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_CHIP) ||
         g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_BOOTLOADER) ||
         g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_VERIFY);
}

static gboolean flash_wait(gpointer data, double seconds, GError **error)
{
  return run_wait(data, seconds, seconds, error);
}

static const char *const boot_check_names[] = {"not asked", "accepted", "silent"};

/* firmware.flash([{boot_s = S}]): a report table, or false and why the board could not be
 * flashed. */
static int l_firmware_flash(lua_State *L)
{
  Run *run = lua_run_of(L);
  if (!run->release)
    return luaL_error(L, "firmware.flash(): the sequence did not declare "
                         "sequence{firmware = true}, so no image was loaded");
  FlashProgress progress = {.run = run, .phase = -1, .percent = -1};
  FixtureFlashOptions options = {
    .wait = flash_wait, .wait_data = run,
    .progress = flash_progress, .progress_data = &progress,
  };
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "boot_s");
    options.boot_s = luaL_optnumber(L, -1, 0);
    lua_pop(L, 1);
    if (options.boot_s < 0 || options.boot_s > 60)
      return luaL_error(L, "firmware.flash{boot_s = %f}: boot_s must be within 0..60 s",
                        options.boot_s);
  }
  FixtureFlashReport report;
  GError *error = NULL;
  if (!fixture_flash(run->fixture, run->release->image, &options, &report, &error)) {
    if (run_abort_requested(run)) {
      g_error_free(error);
      return luaL_error(L, "aborted by the operator");
    }
    if (!board_flash_failure(error))
      return lua_raise_error(L, "firmware.flash", error);
    lua_pushboolean(L, FALSE);
    lua_pushstring(L, error->message);
    g_error_free(error);
    return 2;
  }
  const Stm32FlashReport *flashed = &report.flasher;
  /* Accepted by the boot code, every byte is verified: the CRC-32 covers the image up to its
   * header's length, the read-back the header and what lies past that length. */
  gsize verified = report.boot_check == FIXTURE_BOOT_ACCEPTED ? run->release->image->length
                                                              : flashed->bytes_verified;
  lua_createtable(L, 0, 10);
  lua_pushinteger(L, (lua_Integer)flashed->bytes_written);
  lua_setfield(L, -2, "bytes");
  lua_pushinteger(L, (lua_Integer)verified);
  lua_setfield(L, -2, "verified");
  lua_pushinteger(L, (lua_Integer)flashed->bytes_verified);
  lua_setfield(L, -2, "read_back");
  lua_pushinteger(L, (lua_Integer)report.crc_checked);
  lua_setfield(L, -2, "crc_checked");
  lua_pushstring(L, boot_check_names[report.boot_check]);
  lua_setfield(L, -2, "boot_check");
  lua_pushinteger(L, flashed->pages_erased);
  lua_setfield(L, -2, "pages_erased");
  lua_pushinteger(L, (lua_Integer)flashed->link_bytes);
  lua_setfield(L, -2, "link_bytes");
  lua_pushnumber(L, flashed->link_seconds);
  lua_setfield(L, -2, "link_seconds");
  lua_pushinteger(L, flashed->retries);
  lua_setfield(L, -2, "retries");
  lua_pushinteger(L, flashed->chip_id);
  lua_setfield(L, -2, "chip_id");
  return 1;
}

void lua_firmware_push(lua_State *L, const FirmwareRelease *release)
{
  lua_newtable(L);
  if (release) {
    lua_pushstring(L, release->version);
    lua_setfield(L, -2, "version");
    lua_pushstring(L, release->sha256);
    lua_setfield(L, -2, "sha256");
  }
  lua_pushcfunction(L, l_firmware_flash);
  lua_setfield(L, -2, "flash");
}

/* A method of a shared instrument: only while the run holds it for the step. Upvalues: the
 * FixtureInstrument, the driver's method. */
static int l_shared_guard(lua_State *L)
{
  const FixtureInstrument *item = lua_touserdata(L, lua_upvalueindex(1));
  if (!item->shared_lock)
    return luaL_error(L, "the %s [%s] is shared by the slots and this step does not hold it: "
                      "name \"%s\" in the step's instruments = {...}", item->role->title,
                      item->role->name, item->role->name);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_insert(L, 1);
  if (lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0) != LUA_OK) {
    /* The driver's message names the script's line as if it had been called from there. */
    if (lua_type(L, -1) == LUA_TSTRING) {
      luaL_where(L, 1);
      lua_insert(L, -2);
      lua_concat(L, 2);
    }
    return lua_error(L);
  }
  return lua_gettop(L);
}

/* Replaces every method of the role's table on top of the stack by its guard. */
static void guard_shared(lua_State *L, const FixtureInstrument *item)
{
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    if (lua_isfunction(L, -1)) {
      lua_pushlightuserdata(L, (gpointer)item);
      lua_insert(L, -2);
      lua_pushcclosure(L, l_shared_guard, 2);
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    } else {
      lua_pop(L, 1);
    }
  }
}

void lua_fixture_push(lua_State *L, const Fixture *fixture)
{
  lua_newtable(L);
  /* Roles the fixture does not have are absent from the table. */
  for (guint i = 0; i < fixture->instruments->len; i++) {
    const FixtureInstrument *item = g_ptr_array_index(fixture->instruments, i);
    if (!item->instrument || !item->role->lua_push)
      continue;
    item->role->lua_push(L, item->instrument);
    if (item->shared)
      guard_shared(L, item);
    lua_setfield(L, -2, item->role->name);
  }
  /* The switch unit's relays by name, also as fixture.relays. */
  if (lua_getfield(L, -1, "switch") == LUA_TTABLE)
    lua_getfield(L, -1, "relays");
  else
    lua_newtable(L);
  lua_setfield(L, -3, "relays");
  lua_pop(L, 1);
  lua_pushstring(L, fixture->id);
  lua_setfield(L, -2, "id");
}
