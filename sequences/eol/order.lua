-- The order configured before anything is measured (DESIGN.md §7): the board reads exactly
-- the order's cells in series, and the cell simulator's channels above them are
-- disconnected, as the taps above a pack's top cell are on a real battery.
local registers = require "eol.registers"
local REG = jk.REG

-- The most cells in series the model takes in any chemistry: the channels a fixture for it
-- wires to the board's taps.
local function model_max_cells()
  local most = 0
  for _, range in pairs(board.model.strings) do most = math.max(most, range.max) end
  return most
end

step {
  name = "order",
  instruments = {},
  critical = true,
  run = function()
    local n, lim = board.cell_count, limits.order
    local taps = model_max_cells()
    if taps > n then
      fixture.cells:set_voltages(n + 1, taps - n, 0)
      fixture.cells:output(n + 1, taps - n, false)
    end
    registers.program({ { REG.CELL_COUNT, n, "cell count" } })
    -- The board takes its new cell count and the open taps at its next samples: the steps
    -- declared to overlap this one (eol.lua) run meanwhile.
    wait_overlapped(lim.settle_s)
    local setting = registers.read("CELL_COUNT")
    if not measure { name = "order_cell_count_setting", unit = "cells", value = setting,
                     low = n, high = n } then
      fail(string.format("the board keeps %d cells in series, the order has %d", setting, n))
    end
  end,
}
