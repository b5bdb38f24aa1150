-- The pack as the fixture builds it: the cell simulator's channels on the board's cell taps
-- (sense and balance leads, each within its small current limit) and the battery emulator on
-- B+/B- in parallel with them, which carries the pack current. Every cell voltage the
-- sequence sets goes through here, so the emulator follows the sum of the channels at once
-- and the channels carry only their tap currents. Its current limits are set per step from
-- the currents the step drives (the driver refuses any beyond the unit's ratings).
local M = {}

-- V, each channel's set-point as this run gave it (channels 1..cell_count).
local set_v = {}

-- The emulator to the sum of the channels' set-points: the stack's open-circuit voltage.
local function track()
  local sum = 0
  for i = 1, board.cell_count do sum = sum + (set_v[i] or 0) end
  fixture.battery:set_voltage(sum)
end

-- Channels first..first+count-1 to `volts`, the emulator after them.
function M.set_cells(first, count, volts)
  fixture.cells:set_voltages(first, count, volts)
  for i = first, first + count - 1 do set_v[i] = volts end
  track()
end

-- One channel to `volts`, the emulator after it.
function M.set_cell(channel, volts)
  fixture.cells:set_voltage(channel, volts)
  set_v[channel] = volts
  track()
end

-- Each channel i to `levels[i]` (V), the emulator once after them all.
function M.set_levels(levels)
  for i = 1, #levels do
    fixture.cells:set_voltage(i, levels[i])
    set_v[i] = levels[i]
  end
  track()
end

-- The emulator's limits for a step that drives `source_a` out of the pack (load, heater) and
-- `sink_a` into it (charger), A: the planned current with a margin, plus what flows at rest.
-- A current beyond them is not planned: the emulator goes to its limit and the compliance
-- check after the next wait ends the run ERROR.
function M.allow(source_a, sink_a)
  local lim = limits.battery
  local function limit(amps) return amps * (1 + lim.margin_pct / 100) + lim.rest_a end
  fixture.battery:set_limits(limit(source_a), limit(sink_a))
end

-- The limits of a step that drives no pack current.
function M.at_rest() M.allow(0, 0) end

-- Setup: every cell of the order at `volts` and on, then the emulator at their sum with the
-- rest limits and on. The taps come first, so the board never sees its pack without cells.
function M.power_on(volts)
  local n = board.cell_count
  set_v = {}
  M.set_cells(1, n, volts)
  fixture.cells:output(1, n, true)
  M.at_rest()
  fixture.battery:output(true)
end

-- The emulator off (the stack alone on B+/B-, every channel then carrying what the board
-- draws from B+) or on again beside the stack.
function M.emulator(on) fixture.battery:output(on) end

-- The board without supply: the emulator off first (it carries the pack), then the taps,
-- the reverse of power_on.
function M.power_off()
  fixture.battery:output(false)
  fixture.cells:output(1, board.cell_count, false)
end

return M
