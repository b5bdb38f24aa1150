-- Cell connections, voltage calibration and accuracy, current calibration (DESIGN.md §7
-- steps 3 and 4).
local common = require "eol.common"
local pack = require "eol.pack"
local set_cells = pack.set_cells
local registers = require "eol.registers"
local sum_of = common.sum_of
local board_cells_mean = common.board_cells_mean
local board_current_mean = common.board_current_mean
local with_cleanup = common.with_cleanup
local expect = common.expect
local cells_to_rest = common.cells_to_rest
local charger_on = common.charger_on
local charger_off = common.charger_off
local load_on = common.load_on
local load_off = common.load_off
local load_chemistry_defaults = registers.load_chemistry_defaults

step {
  name = "cell-connections",
  critical = true,
  run = function()
    -- Every cell input must see its cell before calibration. Each reading is compared with
    -- the median of all cells' reading/reference ratios, so the board's common gain error
    -- (which calibration corrects) cancels and a cell that reads wrong alone stands out.
    local n, chem = board.cell_count, board.chemistry
    local lim = limits.cell_connections
    set_cells(1, n, limits.voltage_calibration["point_" .. chem .. "_v"])
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
    measure { name = "cells_present", unit = "cells", value = present, low = n, high = n }
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
    set_cells(1, n, lim["point_" .. chem .. "_v"])
    wait(limits.cell_voltage.settle_s)
    local pack_v = sum_of(fixture.cells:measure_voltages(1, n))
    local before = fixture.dut:read_live().pack_v
    local ok, why = fixture.dut:calibrate_voltage(pack_v)
    measure { name = "calibration_accepted", value = ok and "accepted" or ("refused: " .. why),
              expected = "accepted" }
    if not ok then
      calibration { kind = "voltage", unit = "mV", reference = pack_v * 1000,
                    before = before * 1000, passed = false }
      return
    end
    local live = fixture.dut:read_live()
    local factor_ok = measure { name = "voltage_factor", unit = "ratio",
                                value = live.voltage_factor, low = lim.factor_min,
                                high = lim.factor_max }
    local error_ok = measure { name = "pack_voltage_error", unit = "mV",
                               value = (live.pack_v - pack_v) * 1000, low = -lim.pack_error_mv,
                               high = lim.pack_error_mv }
    calibration { kind = "voltage", unit = "mV", reference = pack_v * 1000, before = before * 1000,
                  after = live.pack_v * 1000, factor = live.voltage_factor,
                  passed = factor_ok and error_ok }
  end,
}

step {
  name = "cell-voltage-accuracy",
  run = function()
    local n, chem = board.cell_count, board.chemistry
    local lim = limits.cell_voltage
    local bound = lim.accuracy_mv - lim.reference_uncertainty_mv
    for _, volts in ipairs(lim["points_" .. chem .. "_v"]) do
      set_cells(1, n, volts)
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

step {
  name = "current-calibration",
  critical = true,
  run = function()
    -- Known currents from the instruments: calibrate (0x1606) while the charger drives the
    -- test current, then check the board's reading charging and discharging. A MOSFET that
    -- does not conduct shows here first: the test current does not flow.
    local lim = limits.current_calibration
    local amps = lim.test_a
    local flowing = amps * lim.flowing_min_pct / 100
    local bound = lim.accuracy_pct - lim.reference_uncertainty_pct
    load_chemistry_defaults()
    local pack_v = cells_to_rest()
    pack.allow(amps, amps)
    with_cleanup(function()
      charger_on(amps, pack_v)
      wait(lim.settle_s)
      local truth = fixture.charger:measure_current()
      expect({ name = "charge_current", unit = "A", value = truth, low = flowing },
             string.format("no charge current flows: %.2f A of %.2f A (charge MOSFET open?)",
                           truth, amps))
      local before = fixture.dut:read_live().current_a
      local ok, why = fixture.dut:calibrate_current(truth)
      local written = truth
      local function record(after, factor, passed)
        calibration { kind = "current", unit = "mA", reference = written * 1000,
                      before = before * 1000, after = after and after * 1000, factor = factor,
                      passed = passed }
      end
      if not ok then record(nil, nil, false) end
      expect({ name = "calibration_accepted", value = ok and "accepted" or "refused",
               expected = "accepted" },
             "the board refused current calibration: " .. tostring(why))
      local factor = fixture.dut:read_live().current_factor
      local factor_ok = measure { name = "current_factor", unit = "ratio", value = factor,
                                  low = lim.factor_min, high = lim.factor_max }
      if not factor_ok then
        record(nil, factor, false)
        fail(string.format("current reading needs a correction of %.3f: shunt or amplifier "
                           .. "out of tolerance", factor))
      end
      local reading = board_current_mean(lim.readings)
      truth = fixture.charger:measure_current()
      local error_pct = (reading - truth) / truth * 100
      record(reading, factor, error_pct >= -bound and error_pct <= bound)
      expect({ name = "charge_current_error", unit = "%", value = error_pct, low = -bound,
               high = bound },
             string.format("charge current reads %.3f A, %.3f A flows", reading, truth))
      charger_off()

      load_on(amps)
      wait(lim.settle_s)
      truth = fixture.load:measure_current()
      expect({ name = "discharge_current", unit = "A", value = truth, low = flowing },
             string.format("discharge MOSFET does not conduct: %.2f A of %.2f A into the load",
                           truth, amps))
      reading = board_current_mean(lim.readings)
      truth = fixture.load:measure_current()
      error_pct = (-reading - truth) / truth * 100
      expect({ name = "discharge_current_error", unit = "%", value = error_pct, low = -bound,
               high = bound },
             string.format("discharge current reads %.3f A, %.3f A flows", -reading, truth))
      load_off()
    end, function()
      charger_off()
      load_off()
      pack.at_rest()
    end)
  end,
}
