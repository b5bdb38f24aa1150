-- Cell connections, voltage calibration and accuracy, current calibration (DESIGN.md §7
-- steps 3 and 4).
local common = require "eol.common"
local pack = require "eol.pack"
local set_cells = pack.set_cells
local registers = require "eol.registers"
local sum_of = common.sum_of
local board_current_mean = common.board_current_mean
local with_cleanup = common.with_cleanup
local expect = common.expect
local cells_to_rest = common.cells_to_rest
local charger_on = common.charger_on
local charger_off = common.charger_off
local load_on = common.load_on
local load_off = common.load_off
local load_chemistry_defaults = registers.load_chemistry_defaults
local program = registers.program
local REG = jk.REG

step {
  name = "cell-connections",
  instruments = { "battery" },
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
  instruments = { "battery" },
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

-- The staircase around one test point (V per cell): every cell a different voltage, `step_mv`
-- apart in order, so that two exchanged or crossed sense leads read at least one step off.
-- At the lowest point it climbs, at the highest it descends and in between it is centred, so
-- no cell leaves the chemistry's range.
local function staircase(n, volts, index, points, step_mv)
  local span = (n - 1) * step_mv / 1000
  local base = volts - span / 2
  if index == 1 then base = volts elseif index == points then base = volts - span end
  local levels = {}
  for i = 1, n do levels[i] = base + (i - 1) * step_mv / 1000 end
  return levels
end

-- Mean and standard deviation of each cell over `count` readings taken on the board's sample
-- grid, so each one is a fresh sample and a noisy channel shows instead of being averaged.
local function cells_mean_and_sigma(n, count, interval_s)
  local sum, squares = {}, {}
  for i = 1, n do sum[i], squares[i] = 0, 0 end
  for k = 1, count do
    if k > 1 then wait(interval_s) end
    local cells = fixture.dut:read_cells(n)
    for i = 1, n do
      sum[i] = sum[i] + cells[i]
      squares[i] = squares[i] + cells[i] * cells[i]
    end
  end
  local mean, sigma = {}, {}
  for i = 1, n do
    mean[i] = sum[i] / count
    sigma[i] = math.sqrt(math.max(0, (squares[i] - count * mean[i] * mean[i]) / (count - 1)))
  end
  return mean, sigma
end

step {
  name = "cell-voltage-accuracy",
  instruments = { "battery" },
  run = function()
    -- At each point the cells stand on a staircase (a swapped or crossed sense lead reads a
    -- neighbour's voltage, steps away), and each is read several times: the mean is judged
    -- for accuracy, the spread for noise (a missing filter capacitor).
    local n, chem = board.cell_count, board.chemistry
    local lim = limits.cell_voltage
    local noise = limits.cell_voltage_noise
    local bound = lim.accuracy_mv - lim.reference_uncertainty_mv
    local points = lim["points_" .. chem .. "_v"]
    local symptoms = {}
    local function note(key, text)
      if not symptoms[key] then symptoms[#symptoms + 1], symptoms[key] = text, true end
    end
    -- Neighbours a step apart exceed the balance trigger delta: the balancer would start
    -- and its tap currents would move the readings. It is switched off for the staircase
    -- and back on once the cells stand level again.
    local balance_enable = registers.read("BALANCE_ENABLE")
    program({ { REG.BALANCE_ENABLE, 0, "balance enable" } })
    with_cleanup(function()
      for index, volts in ipairs(points) do
        local levels = staircase(n, volts, index, #points, lim.staircase_step_mv)
        pack.set_levels(levels)
        wait(lim.settle_s)
        local reference = fixture.cells:measure_voltages(1, n)
        local reading, sigma = cells_mean_and_sigma(n, noise.readings, noise.interval_s)
        local error_mv, good = {}, {}
        for i = 1, n do
          error_mv[i] = (reading[i] - reference[i]) * 1000
          good[i] = measure { name = string.format("cell_%02d_error_at_%.2fV", i, volts),
                              unit = "mV", value = error_mv[i], low = -bound, high = bound }
        end
        for i = 1, n do
          if not measure { name = string.format("cell_%02d_noise_at_%.2fV", i, volts),
                           unit = "mV rms", value = sigma[i] * 1000,
                           high = noise.sigma_max_mv } then
            note("noise " .. i, string.format("cell %d is noisy: %.1f mV rms of spread over %d "
                                .. "readings (input filter capacitor missing?)", i,
                                sigma[i] * 1000, noise.readings))
          end
        end
        -- Two neighbours off by about a step in opposite directions read each other's cell.
        local i = 1
        while i <= n do
          if not good[i] and i < n and not good[i + 1] and error_mv[i] * error_mv[i + 1] < 0 then
            note("swap " .. i, string.format("cells %d and %d read each other's voltage "
                               .. "(%+.0f and %+.0f mV): sense leads swapped", i, i + 1,
                               error_mv[i], error_mv[i + 1]))
            i = i + 2
          else
            if not good[i] then
              note("error " .. i, string.format("cell %d reads %+.1f mV off at %.2f V", i,
                                                error_mv[i], volts))
            end
            i = i + 1
          end
        end
      end
    end, function()
      cells_to_rest()
      program({ { REG.BALANCE_ENABLE, balance_enable, "balance enable" } })
    end)
    if #symptoms > 0 then fail(table.concat(symptoms, "; ")) end
  end,
}

-- The sense's reading (board units, A) per true ampere: the slope between a charging and a
-- discharging point, so the board's zero offset cancels.
local function slope(reading_charge, truth_charge, reading_discharge, truth_discharge)
  return (reading_charge - reading_discharge) / (truth_charge - truth_discharge)
end

step {
  name = "current-calibration",
  instruments = { "battery", "charger", "load" },
  critical = true,
  run = function()
    -- Two points: the reading with no current flowing is the board's zero offset, judged on
    -- its own; a known current charging (charger) and discharging (load) gives the sense's
    -- gain. The board corrects the gain only (0x1606: it takes the current written as the
    -- truth of its present reading, its factor in 0x12D6): the station writes the current
    -- on the measured slope, so the offset does not bend the gain. Then a third current in
    -- each direction is checked. A MOSFET that does not conduct shows here first: the test
    -- current does not flow.
    local lim = limits.current_calibration
    local flowing_pct = lim.flowing_min_pct / 100
    local bound = lim.accuracy_pct - lim.reference_uncertainty_pct
    load_chemistry_defaults()
    local pack_v = cells_to_rest()
    pack.allow(lim.test_a, lim.test_a)
    -- Truth and board reading (A, + = charging) with `amps` from the charger (sign +1) or
    -- into the load (-1), the truth recorded as `name`; the source stays on.
    local function known(sign, amps, name)
      if sign > 0 then charger_on(amps, pack_v) else load_on(amps) end
      wait(lim.settle_s)
      local truth = sign > 0 and fixture.charger:measure_current() or fixture.load:measure_current()
      expect({ name = name, unit = "A", value = truth, low = amps * flowing_pct },
             sign > 0 and string.format("no charge current flows: %.2f A of %.2f A (charge MOSFET "
                                        .. "open?)", truth, amps)
                      or string.format("discharge MOSFET does not conduct: %.2f A of %.2f A into "
                                       .. "the load", truth, amps))
      return sign * truth, board_current_mean(lim.readings)
    end
    local function off()
      charger_off()
      load_off()
    end
    with_cleanup(function()
      -- 1. Zero: the charger and the load are off and their relays open, nothing flows.
      wait(lim.settle_s)
      local zero = board_current_mean(lim.readings)
      expect({ name = "current_offset", unit = "mA", value = zero * 1000,
               low = -lim.offset_max_ma, high = lim.offset_max_ma },
             string.format("current reads %.0f mA with no current flowing (amplifier offset)",
                           zero * 1000))

      -- 2. Gain: the known current in both directions, charging last.
      local truth_discharge, reading_discharge = known(-1, lim.test_a, "discharge_current")
      load_off()
      local truth_charge, reading_charge = known(1, lim.test_a, "charge_current")
      local before_factor = fixture.dut:read_live().current_factor
      local per_amp = slope(reading_charge, truth_charge, reading_discharge, truth_discharge)
      local gain = per_amp / before_factor
      if not measure { name = "current_sense_gain", unit = "ratio", value = gain,
                       low = 1 / lim.factor_max, high = 1 / lim.factor_min } then
        calibration { kind = "current", unit = "mA", reference = truth_charge * 1000,
                      before = reading_charge * 1000, passed = false }
        fail(string.format("current reading needs a correction of %.3f: shunt or amplifier "
                           .. "out of tolerance", 1 / gain))
      end
      -- The charge current still flows. Written is the current the board's reading stands
      -- for on the slope (the true current plus the offset in amperes), so the factor the
      -- board derives from it corrects the gain alone.
      local reading = reading_charge
      local written = reading / per_amp
      local ok, why = fixture.dut:calibrate_current(written)
      local function record(after, factor, passed)
        calibration { kind = "current", unit = "mA", reference = truth_charge * 1000,
                      before = reading * 1000, after = after and after * 1000, factor = factor,
                      passed = passed }
      end
      if not ok then record(nil, nil, false) end
      expect({ name = "calibration_accepted", value = ok and "accepted" or "refused",
               expected = "accepted" },
             "the board refused current calibration: " .. tostring(why))
      local after = board_current_mean(lim.readings)
      charger_off()
      local factor = fixture.dut:read_live().current_factor
      local factor_ok = measure { name = "current_factor", unit = "ratio", value = factor,
                                  low = lim.factor_min, high = lim.factor_max }
      record(after, factor, factor_ok)
      if not factor_ok then
        fail(string.format("the board keeps a current correction of %.3f, %.3f is needed",
                           factor, before_factor / gain))
      end

      -- 3. Verification at a third current in each direction.
      for _, sign in ipairs({ 1, -1 }) do
        local direction = sign > 0 and "charge" or "discharge"
        local truth, board_a = known(sign, lim.verify_a, direction .. "_verify_current")
        off()
        local error_pct = (board_a - truth) / truth * 100
        expect({ name = direction .. "_verify_error", unit = "%", value = error_pct,
                 low = -bound, high = bound },
               string.format("%s current reads %.3f A, %.3f A flows", direction, sign * board_a,
                             sign * truth))
      end
    end, function()
      off()
      pack.at_rest()
    end)
  end,
}
