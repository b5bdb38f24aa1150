-- The balancer on every channel (DESIGN.md §7 step 13).
local common = require "eol.common"
local pack = require "eol.pack"
local registers = require "eol.registers"
local REG = jk.REG
local with_cleanup = common.with_cleanup
local expect = common.expect
local rest_v = common.rest_v
local cells_to_rest = common.cells_to_rest
local program = registers.program

-- The channels' tap currents while cells `high` and `low` are the pair (A, + = out of the
-- channel). Each channel also carries the stack's series current, which the stack shares with
-- the battery emulator beside it (their set-points differ by a few mV); the channels outside
-- the pair carry only that, so their median is taken off every channel.
local function tap_currents(high, low)
  local n = board.cell_count
  local currents = fixture.cells:measure_currents(1, n)
  local others = {}
  for i = 1, n do
    if i ~= high and i ~= low then table.insert(others, currents[i]) end
  end
  table.sort(others)
  local series = #others > 0 and others[(#others + 1) // 2] or 0
  for i = 1, n do currents[i] = currents[i] - series end
  return currents
end

step {
  name = "balance",
  instruments = { "battery" },
  run = function()
    -- Cells in pairs, one raised and one lowered: the balancer must move the model's current
    -- out of the raised cell into the lowered one, as the two cell simulator channels see
    -- it. The pairs go round the stack (1 into 2, 2 into 3, ..., n into 1), so every channel
    -- gives current once and takes it once: a channel dead in one direction is caught.
    local lim, n = limits.balance, board.cell_count
    local rest = rest_v()
    program({ { REG.BALANCE_START_MV, rest * 1000, "balance start (mV)" },
              { REG.BALANCE_TRIGGER_MV, lim.trigger_mv, "balance trigger (mV)" },
              { REG.MAX_BALANCE_MA, lim.current_a * 1000, "maximum balance current (mA)" },
              { REG.BALANCE_ENABLE, limits.production.balance_enable, "balance enable" } })
    cells_to_rest()
    with_cleanup(function()
      fixture.cells:set_current_limit(1, n, lim.cells_current_limit_a)
      local low_a = lim.current_a * (1 - lim.tolerance_pct / 100)
      local high_a = lim.current_a * (1 + lim.tolerance_pct / 100)
      for high = 1, n do
        local low = high < n and high + 1 or 1
        pack.set_cell(high, rest + lim.offset_mv / 1000)
        pack.set_cell(low, rest - lim.offset_mv / 1000)
        wait(lim.settle_s)
        local currents = tap_currents(high, low)
        local symptom = string.format("balancer moves %.3f A out of cell %d and %.3f A into "
                                      .. "cell %d, the model's current is %.2f A",
                                      currents[high], high, -currents[low], low, lim.current_a)
        expect({ name = string.format("cell_%02d_balance_out", high), unit = "A",
                 value = currents[high], low = low_a, high = high_a }, symptom)
        expect({ name = string.format("cell_%02d_balance_in", low), unit = "A",
                 value = -currents[low], low = low_a, high = high_a }, symptom)
        pack.set_cell(high, rest)
        pack.set_cell(low, rest)
      end
    end, function()
      cells_to_rest()
      wait(lim.settle_s)   -- the balancer stops at its next sample, not at once
      fixture.cells:set_current_limit(1, n, limits.rest.cells_current_limit_a)
    end)
  end,
}
