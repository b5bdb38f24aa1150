/* The board's register map as the sequence sees it: the table `jk`, made from the station's
 * own map (fixtures/jkbms/jk_registers.h), so that a sequence holds no second copy of it. */
#pragma once
#include <lua.h>

/* Pushes the table
 *   jk.REG.<NAME>       the register address (integer), e.g. jk.REG.CELL_OVP_MV = 0x100C
 *   jk.REGISTER.<NAME>  {address, type = "u8" | "u16" | "i16" | "u32" | "i32" | "float" |
 *                        "ascii" | "command16" | "command32", bytes, count, unit}; count > 1
 *                        is an array of count fields of `bytes` each from address
 *   jk.ALARM.<NAME>     the bit mask of an alarm in the word at jk.REG.ALARMS
 * Every table is read-only. */
void lua_registers_push(lua_State *L);
