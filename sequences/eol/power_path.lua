-- The main path's resistance at a test current (DESIGN.md §7 step 5).
local common = require "eol.common"
local pack = require "eol.pack"
local need = common.need
local with_cleanup = common.with_cleanup
local expect = common.expect
local cells_to_rest = common.cells_to_rest
local load_on = common.load_on
local load_off = common.load_off

step {
  name = "path-resistance",
  instruments = { "battery", "dmm", "load" },
  run = function()
    -- The DMM across the main path (B- to P-) while the load draws the test current.
    local lim = limits.path_resistance
    local nominal = lim.nominal_mohm or tonumber(lim.characterised_mohm)
    if not nominal then
      error("no path resistance for " .. board.model.name .. ": the datasheet gives none; "
            .. "add [path_resistance@" .. board.model.name .. "] characterised_mohm", 0)
    end
    cells_to_rest()
    pack.allow(lim.test_a, 0)
    with_cleanup(function()
      need("dmm"):configure_voltage(lim.dmm_range_v, lim.dmm_nplc)
      need("switch"):close(fixture.relays.dmm_path)
      load_on(lim.test_a)
      wait(lim.settle_s)
      local amps = fixture.load:measure_current()
      local volts = fixture.dmm:read()
      local amps_after = fixture.load:measure_current()
      amps = (amps + amps_after) / 2
      expect({ name = "path_current", unit = "A", value = amps,
               low = lim.test_a * lim.flowing_min_pct / 100 },
             string.format("the test current does not flow: %.2f A of %.2f A", amps,
                           lim.test_a))
      local mohm = volts / amps * 1000
      expect({ name = "path_resistance", unit = "mOhm", value = mohm,
               low = nominal * lim.min_ratio, high = nominal * lim.max_ratio },
             string.format("main path resistance %.3f mOhm, nominal %.3f mOhm: MOSFET, shunt "
                           .. "or busbar joint", mohm, nominal))
      load_off()
      fixture.switch:open(fixture.relays.dmm_path)
    end, function()
      load_off()
      fixture.switch:open(fixture.relays.dmm_path)
      pack.at_rest()
    end)
  end,
}
