-- A power cycle after calibration and configuration (DESIGN.md §7): what the board was given
-- must be in its EEPROM, not only in the firmware's RAM. The pack and the taps are switched
-- off for longer than the board's hold-up, then on; the board must have restarted (its
-- power-on count), and its calibration, serial number and every production setting must
-- read as before. A board that loses them ships with the chemistry defaults and uncalibrated
-- readings.
local common = require "eol.common"
local pack = require "eol.pack"
local production = require "eol.production"
local registers = require "eol.registers"

step {
  name = "power-cycle",
  instruments = { "battery" },
  run = function()
    local lim = limits.power_cycle
    local before = fixture.dut:read_live()
    local info = fixture.dut:device_info()
    common.with_cleanup(function()
      pack.power_off()
      wait(lim.off_s)
    end, function()
      pack.power_on(common.rest_v())
      wait(limits.power_on.boot_s)
    end)
    local answered, after_info = pcall(fixture.dut.device_info, fixture.dut)
    if not answered then
      fail("the board does not answer on RS485 after a power cycle: " .. tostring(after_info))
    end
    local lost = {}
    local restarts = after_info.power_on_count - info.power_on_count
    if not measure { name = "power_cycle_restarts", unit = "count", value = restarts,
                     low = 1, high = 1 } then
      fail(string.format("the board restarted %d times in a power cycle of %.2f s without "
                         .. "supply (its power-on count), once expected", restarts, lim.off_s))
    end
    if not measure { name = "serial_after_power_cycle", value = after_info.serial,
                     expected = info.serial } then
      table.insert(lost, string.format("the serial number (%q, was %q)", after_info.serial,
                                       info.serial))
    end
    local after = fixture.dut:read_live()
    local factors = {
      { "voltage_factor", "voltage calibration factor 0x12DC", "%.4f" },
      { "current_factor", "current calibration factor 0x12D6", "%.3f" },
    }
    for _, f in ipairs(factors) do
      local was, now = before[f[1]], after[f[1]]
      if not measure { name = f[1] .. "_after_power_cycle", unit = "ratio", value = now,
                       low = was, high = was } then
        table.insert(lost, string.format("the %s (" .. f[3] .. ", was " .. f[3] .. ")", f[2],
                                         now, was))
      end
    end
    local settings = production.settings()
    local names = {}
    for _, e in ipairs(settings) do table.insert(names, e[2]) end
    local read_back = registers.read_many(names)
    for _, e in ipairs(settings) do
      local value = read_back[e[2]]
      if not measure { name = e[1] .. "_after_power_cycle", unit = e[4], value = value,
                       low = e[3], high = e[3] } then
        table.insert(lost, string.format("setting %s (%d, production %d)", e[1], value,
                                         common.round(e[3])))
      end
    end
    local heater = registers.control_bits() & registers.HEATER_ENABLE_BIT
    local prod = limits.production
    if not measure { name = "heater_enable_after_power_cycle", unit = "flag", value = heater,
                     low = prod.heater_enable, high = prod.heater_enable } then
      table.insert(lost, string.format("the heater enable bit (%d, production %d)", heater,
                                       prod.heater_enable))
    end
    if #lost > 0 then
      fail("the board did not keep " .. table.concat(lost, ", ", 1, math.min(#lost, 3))
           .. (#lost > 3 and string.format(" and %d more", #lost - 3) or "")
           .. " across a power cycle: its settings EEPROM does not store")
    end
  end,
}
