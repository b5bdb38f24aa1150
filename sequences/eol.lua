-- End-of-line test of a JK Smart Active BMS board (DESIGN.md §7).
-- Globals given by the station: board, limits, fixture, measure, wait, log, fail, skip.
-- Cell voltages are in V on the instruments; errors are reported in mV.

sequence { name = "jk-eol", version = "0.2" }

-- The run's globals (board, limits, fixture) exist only while steps run: the top level of
-- this file declares steps and helpers, it does not touch them.

-- The mean of several board readings per cell: the board's ADC has ~0.5 mV rms of noise.
local function board_cells_mean(readings)
  local n = board.cell_count
  local sum = {}
  for _ = 1, readings do
    local cells = fixture.dut:read_cells(n)
    for i = 1, n do sum[i] = (sum[i] or 0) + cells[i] end
  end
  for i = 1, n do sum[i] = sum[i] / readings end
  return sum
end

local function sum_of(values)
  local total = 0
  for i = 1, #values do total = total + values[i] end
  return total
end

setup {
  name = "power-on",
  run = function()
    local n, chem = board.cell_count, board.chemistry
    fixture.cells:set_voltages(1, n, limits.voltage_calibration["point_" .. chem .. "_v"])
    fixture.cells:output(1, n, true)
    wait(limits.power_on.boot_s)
  end,
}

step {
  name = "identify",
  critical = true,
  run = function()
    -- The first words with the board: a board that never answers is a defective board (its
    -- transceiver, its firmware), not a station fault, so this is a FAIL.
    local answered, info = pcall(fixture.dut.device_info, fixture.dut)
    if not answered then fail("the board does not answer on RS485: " .. tostring(info)) end
    measure { name = "model", value = info.model, expected = "JK_" .. board.model.name }
    measure { name = "hw_version", value = info.hw_version }
    measure { name = "sw_version", value = info.sw_version }
    local ok, why = fixture.dut:write_serial(board.serial)
    if not ok then fail("the board refused its serial number: " .. why) end
    measure { name = "serial_written", value = fixture.dut:device_info().serial,
              expected = board.serial }
  end,
}

step {
  name = "cell-connections",
  critical = true,
  run = function()
    -- Every cell input must see its cell before calibration. Each reading is compared with
    -- the median of all cells' reading/reference ratios, so the board's common gain error
    -- (which calibration corrects) cancels and a cell that reads wrong alone stands out.
    local n, chem = board.cell_count, board.chemistry
    local lim = limits.cell_connections
    fixture.cells:set_voltages(1, n, limits.voltage_calibration["point_" .. chem .. "_v"])
    wait(limits.cell_voltage.settle_s)
    local reference = fixture.cells:measure_voltages(1, n)
    local live = fixture.dut:read_live()
    local ratios = {}
    for i = 1, n do ratios[i] = live.cells[i] / reference[i] end
    local sorted = { table.unpack(ratios) }
    table.sort(sorted)
    local median = sorted[(n + 1) // 2]
    local present = 0
    for i = 1, n do
      if live.cells_present & (1 << (i - 1)) ~= 0 then present = present + 1 end
    end
    measure { name = "cells_present", value = present, low = n, high = n }
    for i = 1, n do
      measure { name = string.format("cell_%02d_deviation", i), unit = "%",
                value = (ratios[i] / median - 1) * 100,
                low = -lim.deviation_pct, high = lim.deviation_pct }
    end
  end,
}

step {
  name = "voltage-calibration",
  critical = true,
  run = function()
    local n, chem = board.cell_count, board.chemistry
    local lim = limits.voltage_calibration
    fixture.cells:set_voltages(1, n, lim["point_" .. chem .. "_v"])
    wait(limits.cell_voltage.settle_s)
    local pack = sum_of(fixture.cells:measure_voltages(1, n))
    local ok, why = fixture.dut:calibrate_voltage(pack)
    measure { name = "calibration_accepted", value = ok and "accepted" or ("refused: " .. why),
              expected = "accepted" }
    if not ok then return end
    local live = fixture.dut:read_live()
    measure { name = "voltage_factor", value = live.voltage_factor,
              low = lim.factor_min, high = lim.factor_max }
    measure { name = "pack_voltage_error", unit = "mV", value = (live.pack_v - pack) * 1000,
              low = -lim.pack_error_mv, high = lim.pack_error_mv }
  end,
}

step {
  name = "cell-voltage-accuracy",
  run = function()
    local n, chem = board.cell_count, board.chemistry
    local lim = limits.cell_voltage
    local bound = lim.accuracy_mv - lim.reference_uncertainty_mv
    for _, volts in ipairs(lim["points_" .. chem .. "_v"]) do
      fixture.cells:set_voltages(1, n, volts)
      wait(lim.settle_s)
      local reference = fixture.cells:measure_voltages(1, n)
      local reading = board_cells_mean(lim.readings)
      for i = 1, n do
        measure { name = string.format("cell_%02d_error_at_%.2fV", i, volts), unit = "mV",
                  value = (reading[i] - reference[i]) * 1000, low = -bound, high = bound }
      end
    end
  end,
}
