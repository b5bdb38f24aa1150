-- Setup: the station offers what this sequence calls, the pack is on and the board boots.
local common = require "eol.common"
local pack = require "eol.pack"

-- The station functions this sequence needs besides the board's and instruments' basics
-- (station.api_version covers the globals; these are instrument methods).
local STATION_API = { { "dut", "write_u16" }, { "cells", "set_current_limit" },
                      { "battery", "set_limits" } }

setup {
  name = "power-on",
  instruments = { "battery" },
  run = function()
    -- A station without the functions this sequence calls cannot test: say so now, not in
    -- the middle of a step.
    local missing = {}
    for _, api in ipairs(STATION_API) do
      if not (fixture[api[1]] and fixture[api[1]][api[2]]) then
        table.insert(missing, "fixture." .. api[1] .. ":" .. api[2] .. "()")
      end
    end
    if #missing > 0 then
      error("this station lacks " .. table.concat(missing, ", ") .. ", which this sequence "
            .. "needs: update the station", 0)
    end
    -- The pack current flows through the battery emulator only: a fixture without one
    -- cannot test (its cell channels would have to carry it).
    common.need("battery")
    pack.power_on(limits.voltage_calibration["point_" .. board.chemistry .. "_v"])
    wait(limits.power_on.boot_s)
  end,
}
