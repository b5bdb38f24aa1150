-- The order's configuration written and every production setting read back (DESIGN.md
-- §7 step 14).
local common = require "eol.common"
local registers = require "eol.registers"
local production = require "eol.production"
local REG = jk.REG
local round = common.round
local program = registers.program
local control_bits = registers.control_bits
local write_control_bits = registers.write_control_bits
local load_chemistry_defaults = registers.load_chemistry_defaults
local HEATER_ENABLE_BIT = registers.HEATER_ENABLE_BIT

step {
  name = "final-configuration",
  instruments = {},
  run = function()
    -- The order: the board's one-key defaults of its chemistry, then every production
    -- setting of its protection profile and its cell count written, the heater off; then
    -- every setting read back against the limits.
    local prod = limits.production
    local expected = production.settings()
    load_chemistry_defaults()
    local settings = {}
    for _, e in ipairs(expected) do
      table.insert(settings, { REG[e[2]], e[3], e[1] .. " (" .. e[4] .. ")" })
    end
    program(settings)
    local heater_bit = prod.heater_enable ~= 0 and HEATER_ENABLE_BIT or 0
    write_control_bits((control_bits() & ~HEATER_ENABLE_BIT) | heater_bit)
    local wrong
    local names = {}
    for _, e in ipairs(expected) do table.insert(names, e[2]) end
    local read_back = registers.read_many(names)
    for _, e in ipairs(expected) do
      local value = read_back[e[2]]
      if not measure { name = e[1] .. "_setting", unit = e[4], value = value, low = e[3], high = e[3] } then
        wrong = wrong or string.format("setting %s (0x%04X) reads %d, production is %d", e[1],
                                       REG[e[2]], value, round(e[3]))
      end
    end
    local heater = control_bits() & HEATER_ENABLE_BIT
    if not measure { name = "heater_enable_setting", unit = "flag", value = heater,
                     low = prod.heater_enable,
                     high = prod.heater_enable } then
      wrong = wrong or string.format("heater enable reads %d, production is %d", heater,
                                     prod.heater_enable)
    end
    if wrong then fail(wrong) end
  end,
}
