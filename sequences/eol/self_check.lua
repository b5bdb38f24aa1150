-- The fixture checks itself before it judges a board: the cell simulator's readback is the
-- reference every cell-voltage verdict rests on, so the DMM reads the same tap and the whole
-- stack through the switch unit and the two must agree within their combined uncertainty.
-- A disagreement is the fixture's fault, never the board's: the run ends ERROR and says
-- which instrument to check.
local common = require "eol.common"
local with_cleanup = common.with_cleanup

-- Ends the run ERROR: the fixture cannot be trusted to test boards.
local function fixture_fault(what, cells_v, dmm_v, tolerance_mv)
  error(string.format("the cell simulator reads %.4f V %s, the DMM %.4f V (%.2f mV apart, "
                      .. "allowed %.2f mV): the fixture cannot judge cell voltages; calibrate "
                      .. "the cell simulator and the DMM before testing boards", cells_v, what, dmm_v,
                      (cells_v - dmm_v) * 1000, tolerance_mv), 0)
end

-- Reads the DMM through relay `relay` after it settled.
local function dmm_through(relay, lim)
  fixture.switch:close(relay)
  wait(lim.settle_s)
  local volts = fixture.dmm:read()
  fixture.switch:open(relay)
  return volts
end

setup {
  name = "fixture-self-check",
  instruments = { "dmm" },
  run = function()
    local lim, n = limits.fixture_self_check, board.cell_count
    local relays = fixture.relays or {}
    if not (fixture.dmm and fixture.switch and relays.dmm_tap and relays.dmm_pack) then
      skip("the fixture has no DMM on a cell tap and across the pack (relay_dmm_tap, "
           .. "relay_dmm_pack): the cell simulator is not cross-checked")
    end
    with_cleanup(function()
      fixture.dmm:configure_voltage(lim.dmm_range_v, lim.dmm_nplc)
      local tap_dmm = dmm_through(relays.dmm_tap, lim)
      local tap_cells = fixture.cells:measure_voltages(1, 1)[1]
      measure { name = "self_check_tap_diff", unit = "mV", value = (tap_cells - tap_dmm) * 1000,
                low = -lim.tap_tolerance_mv, high = lim.tap_tolerance_mv }
      if math.abs(tap_cells - tap_dmm) * 1000 > lim.tap_tolerance_mv then
        fixture_fault("on channel 1", tap_cells, tap_dmm, lim.tap_tolerance_mv)
      end

      local pack_dmm = dmm_through(relays.dmm_pack, lim)
      local pack_cells = 0
      for _, v in ipairs(fixture.cells:measure_voltages(1, n)) do pack_cells = pack_cells + v end
      local pack_tolerance = lim.pack_tolerance_mv + lim.pack_tolerance_mv_per_cell * n
      measure { name = "self_check_pack_diff", unit = "mV",
                value = (pack_cells - pack_dmm) * 1000, low = -pack_tolerance,
                high = pack_tolerance }
      if math.abs(pack_cells - pack_dmm) * 1000 > pack_tolerance then
        fixture_fault(string.format("over its %d channels", n), pack_cells, pack_dmm,
                      pack_tolerance)
      end
    end, function()
      fixture.switch:open(relays.dmm_tap, relays.dmm_pack)
    end)
  end,
}
