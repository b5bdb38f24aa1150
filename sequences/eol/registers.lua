-- The board's registers as the steps use them. The map itself is the station's (the global
-- `jk`, made from fixtures/jkbms/jk_registers.h): jk.REG.<NAME> is an address,
-- jk.REGISTER.<NAME> its type and width, jk.ALARM.<NAME> a bit of the alarm word. This
-- module adds what the steps do with them: typed reads and writes, the one-key defaults per
-- chemistry, the control bits.
local common = require "eol.common"

local M = { REG = jk.REG, ALARM = jk.ALARM }
local REG = jk.REG

M.HEATER_ENABLE_BIT = 1                 -- bit 0 of the control bits (0x1114)
local COMMAND_TRIGGER = 1               -- written to a one-key command register
-- One-key defaults per chemistry.
local DEFAULTS = { liion = REG.CMD_DEFAULTS_LIION, lfp = REG.CMD_DEFAULTS_LFP,
                   lto = REG.CMD_DEFAULTS_LTO }

-- A setting by name as the board holds it: INT32 registers (the temperatures) are signed.
function M.read(name)
  local v = fixture.dut:read_u32(REG[name])
  if jk.REGISTER[name].type == "i32" and v >= 0x80000000 then v = v - 0x100000000 end
  return v
end

local MAX_BLOCK = 62                    -- UINT32 registers in one read (124 of Modbus' 125)

-- Settings by name, read as the board holds them in as few reads as the block allows (one
-- for the production settings): a map name -> value, INT32 ones signed.
function M.read_many(names)
  local sorted = {}
  for _, name in ipairs(names) do table.insert(sorted, name) end
  table.sort(sorted, function(a, b) return REG[a] < REG[b] end)
  local values, i = {}, 1
  while i <= #sorted do
    local first = REG[sorted[i]]
    local j = i
    while j < #sorted and (REG[sorted[j + 1]] - first) // 4 < MAX_BLOCK
          and (REG[sorted[j + 1]] - first) % 4 == 0 do
      j = j + 1
    end
    local block = fixture.dut:read_u32_block(first, (REG[sorted[j]] - first) // 4 + 1)
    for k = i, j do
      local name = sorted[k]
      local v = block[(REG[name] - first) // 4 + 1]
      if jk.REGISTER[name].type == "i32" and v >= 0x80000000 then v = v - 0x100000000 end
      values[name] = v
    end
    i = j + 1
  end
  return values
end

-- A 16-bit half of a register read, as INT16.
function M.int16(v)
  if v >= 0x8000 then return v - 0x10000 end
  return v
end

-- Writes settings {register, value, label} in order; a refusal ends the step FAIL.
function M.program(settings)
  for _, s in ipairs(settings) do
    local value = common.round(s[2])
    local ok, why = fixture.dut:write_u32(s[1], value & 0xFFFFFFFF)
    if not ok then
      fail(string.format("the board refused %s = %d: %s", s[3], value, tostring(why)))
    end
  end
end

-- The UINT16 control bits (0x1114): read as the upper half of a two-register read.
function M.control_bits() return fixture.dut:read_u32(REG.CONTROL_BITS) >> 16 end

function M.write_control_bits(bits)
  local ok, why = fixture.dut:write_u16(REG.CONTROL_BITS, bits)
  if not ok then fail("the board refused its control bits 0x1114: " .. tostring(why)) end
end

-- The board's one-key defaults of the order's chemistry (its protections then match the
-- cells the fixture gives it); the cell count is kept.
function M.load_chemistry_defaults()
  local chem = board.chemistry
  local ok, why = fixture.dut:write_u16(DEFAULTS[chem], COMMAND_TRIGGER)
  if not ok then fail("the board refused its " .. chem .. " defaults: " .. tostring(why)) end
end

return M
