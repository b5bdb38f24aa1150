-- Cell over- and under-voltage, charge and discharge over-current, short circuit
-- (DESIGN.md §7 steps 6 to 10).
local common = require "eol.common"
local pack = require "eol.pack"
local registers = require "eol.registers"
local REG = jk.REG
local ALARM = jk.ALARM
local round = common.round
local on_off = common.on_off
local set_clear = common.set_clear
local with_cleanup = common.with_cleanup
local expect = common.expect
local rest_v = common.rest_v
local cells_to_rest = common.cells_to_rest
local charger_on = common.charger_on
local charger_off = common.charger_off
local load_on = common.load_on
local load_off = common.load_off
local program = registers.program
local protection_check = require "eol.protection_check"
local threshold_test = protection_check.threshold_test
local overcurrent_test = protection_check.overcurrent_test

-- The cells a cell protection is measured on: the first and the last of the order (the two
-- ends of the stack, where a crossed or open tap shows first).
local function measured_cells()
  if board.cell_count == 1 then return { 1 } end
  return { 1, board.cell_count }
end

-- A cell protection (OVP or UVP) measured on each end cell at the chemistry's production
-- settings, while a test current is offered. p = {lim, trip, release, direction, name,
-- label, alarm, mos, blocked = function() -> A}.
local function cell_protection(p)
  local lim = p.lim
  for _, cell in ipairs(measured_cells()) do
    local volts_at = function(mv) pack.set_cell(cell, mv / 1000) end
    threshold_test {
      trip = p.trip, release = p.release, direction = p.direction, window = lim.window_mv,
      resolution = lim.resolution_mv, tolerance = lim.tolerance_mv, unit = "mV",
      settle_s = lim.settle_s, poll_s = lim.poll_s, delay_max_s = lim.delay_max_s,
      set = volts_at,
      reference = function() return fixture.cells:measure_voltages(cell, 1)[1] * 1000 end,
      effects = { { key = string.format("cell_%02d_%s", cell, p.name),
                    label = string.format("cell %d %s", cell, p.label), alarm = p.alarm,
                    mos = p.mos, blocked = p.blocked, blocked_max_a = lim.blocked_max_a } },
    }
    -- Back at rest the protection must let go before the next cell: the board releases
    -- only after its debounce, on its own samples.
    pack.set_cell(cell, rest_v())
    wait(lim.settle_s)
  end
end

step {
  name = "overcharge",
  instruments = { "battery", "charger" },
  run = function()
    -- Cell over-voltage at the chemistry's production thresholds, measured on the first and
    -- the last cell while the charger offers current: a charge MOSFET that stays shorted
    -- lets it flow.
    local lim, prod, chem = limits.overcharge, limits.production, board.chemistry
    local trip, release = prod["cell_ovp_" .. chem .. "_mv"], prod["cell_ovpr_" .. chem .. "_mv"]
    program({ { REG.CELL_OVP_MV, trip, "cell OVP (mV)" },
              { REG.CELL_OVPR_MV, release, "cell OVP release (mV)" } })
    local pack_v = cells_to_rest()
    pack.allow(0, lim.charge_test_a)
    with_cleanup(function()
      charger_on(lim.charge_test_a, pack_v)
      cell_protection {
        lim = lim, trip = trip, release = release, direction = 1, name = "ovp",
        label = "OVP", alarm = ALARM.CELL_OVP, mos = "charge",
        blocked = function() return fixture.charger:measure_current() end,
      }
    end, function()
      charger_off()
      cells_to_rest()
      pack.at_rest()
    end)
  end,
}

step {
  name = "overdischarge",
  instruments = { "battery", "load" },
  run = function()
    -- Cell under-voltage at the chemistry's production thresholds, measured on the first and
    -- the last cell while the load draws current: the discharge MOSFET must block it once
    -- UVP holds.
    local lim, prod, chem = limits.overdischarge, limits.production, board.chemistry
    local trip, release = prod["cell_uvp_" .. chem .. "_mv"], prod["cell_uvpr_" .. chem .. "_mv"]
    program({ { REG.CELL_UVP_MV, trip, "cell UVP (mV)" },
              { REG.CELL_UVPR_MV, release, "cell UVP release (mV)" } })
    cells_to_rest()
    pack.allow(lim.discharge_test_a, 0)
    with_cleanup(function()
      load_on(lim.discharge_test_a)
      cell_protection {
        lim = lim, trip = trip, release = release, direction = -1, name = "uvp",
        label = "UVP", alarm = ALARM.CELL_UVP, mos = "discharge",
        blocked = function() return fixture.load:measure_current() end,
      }
    end, function()
      load_off()
      cells_to_rest()
      pack.at_rest()
    end)
  end,
}

step {
  name = "charge-overcurrent",
  instruments = { "battery", "charger" },
  run = function()
    local lim = limits.charge_ocp
    local pack_v = cells_to_rest()
    pack.allow(0, lim.threshold_a * (1 + lim.above_pct / 100))
    with_cleanup(function()
      overcurrent_test {
        lim = lim, key = "charge_ocp", label = "charge over-current",
        alarm = ALARM.CHG_OCP, mos = "charge",
        regs = { REG.CHG_OCP_MA, REG.CHG_OCP_DELAY_S, REG.CHG_OCP_RECOVERY_S },
        start = function(amps) charger_on(amps, pack_v) end,
        set = function(amps) fixture.charger:set_current(amps) end,
        current = function() return fixture.charger:measure_current() end,
        stop = function() fixture.charger:output(false) end,
      }
    end, function()
      charger_off()
      pack.at_rest()
    end)
  end,
}

step {
  name = "discharge-overcurrent",
  instruments = { "battery", "load" },
  run = function()
    local lim = limits.discharge_ocp
    cells_to_rest()
    pack.allow(lim.threshold_a * (1 + lim.above_pct / 100), 0)
    with_cleanup(function()
      overcurrent_test {
        lim = lim, key = "discharge_ocp", label = "discharge over-current",
        alarm = ALARM.DSG_OCP, mos = "discharge",
        regs = { REG.DSG_OCP_MA, REG.DSG_OCP_DELAY_S,
                 REG.DSG_OCP_RECOVERY_S },
        start = load_on,
        set = function(amps) fixture.load:set_current(amps) end,
        current = function() return fixture.load:measure_current() end,
        stop = function() fixture.load:input(false) end,
      }
    end, function()
      load_off()
      pack.at_rest()
    end)
  end,
}

-- Where the digitizer's trace first crosses `level` (A) in direction `dir` (1 rising, -1
-- falling) at or after point `from`: the time after the trigger (s, between the two samples
-- around the crossing) and the point's index; nil when it never does.
local function crossing(trace, level, dir, from)
  local amps = trace.amps
  for i = math.max(from, 2), #amps do
    if dir * (amps[i] - level) >= 0 and dir * (amps[i - 1] - level) < 0 then
      local share = (level - amps[i - 1]) / (amps[i] - amps[i - 1])
      return trace.origin_s + (i - 2 + share) * trace.interval_s, i
    end
  end
end

-- The board's cut-off time from the trace (µs from the current's rise through `level` to
-- its fall through it), and whether the current still flowed at the trace's end; nil when
-- the trace shows no rise.
local function cut_off_us(trace, level)
  local rise_s, rise_i = crossing(trace, level, 1, 1)
  if not rise_s then return nil end
  local fall_s = crossing(trace, level, -1, rise_i)
  if fall_s then return (fall_s - rise_s) * 1e6, false end
  local end_s = trace.origin_s + #trace.amps * trace.interval_s
  return (end_s - rise_s) * 1e6, true
end

-- Refuses (a station fault) a short the module is not rated for, before the board is touched:
-- its peak is the pack's voltage over the module's resistance, at most its current limit
-- (both as the module says now); a good board's short lasts until its latest acceptable
-- cut-off, which must come before the module's own energy limit opens it; one that never
-- cuts off lasts the pulse or until that limit. The peak must also trip any board.
local function check_module_rating(module, pack_v, least_a)
  local lim = limits.short_circuit
  local rated, own = module:ratings(), module:rating()
  local peak_a = math.min(pack_v / own.ohm, own.limit_a)
  local watts = pack_v * peak_a
  local good_j = watts * (lim.delay_us + lim.late_max_us) * 1e-6
  local worst_j = math.min(watts * lim.window_us * 1e-6, own.limit_j)
  local short = string.format("a short of the %.1f V pack through the short-circuit module's "
                              .. "%.2f mOhm (its current limit %.0f A)", pack_v,
                              own.ohm * 1000, own.limit_a)
  if peak_a > rated.peak_a then
    error(string.format("fixture.short: %s would peak at %.0f A, above the %.0f A the module "
                        .. "is rated for (rated_peak_current)", short, peak_a, rated.peak_a), 0)
  end
  if peak_a < least_a then
    error(string.format("fixture.short: %s would peak at %.0f A, less than the %.0f A a board "
                        .. "may trip at", short, peak_a, least_a), 0)
  end
  if worst_j > rated.energy_j then
    error(string.format("fixture.short: %s would take up to %.0f J in its %g us pulse, above "
                        .. "the %.0f J the module is rated for (rated_energy)", short, worst_j,
                        lim.window_us, rated.energy_j), 0)
  end
  if good_j > own.limit_j then
    error(string.format("fixture.short: %s takes %.0f J by a good board's latest cut-off "
                        .. "(%g us), above the module's own %.0f J energy limit", short, good_j,
                        lim.delay_us + lim.late_max_us, own.limit_j), 0)
  end
end

step {
  name = "short-circuit",
  instruments = { "battery", "digitizer", "short" },
  run = function()
    -- The fixture's short-circuit module closes P+/P- for one pulse (its series resistance
    -- and current limit set the peak); the digitizer's probe on the module's lead records the
    -- current from before the edge to the pulse's end, and its trace times the board's
    -- cut-off. A board that does not cut off leaves the module to open at its own limit
    -- (LIMIT). Then the discharge MOSFET must come back after the recovery.
    local lim = limits.short_circuit
    local module, digitizer = common.need("short"), common.need("digitizer")
    local trip_a = lim.trip_per_continuous * lim.continuous_a
    local least_a = trip_a * (1 + lim.trip_tolerance_pct / 100)
    check_module_rating(module, board.cell_count * rest_v(), least_a)
    program({ { REG.SCP_DELAY_US, lim.delay_us, "short-circuit delay (us)" },
              { REG.SCP_RECOVERY_S, lim.recovery_s, "short-circuit recovery (s)" } })
    cells_to_rest()
    local level_a = lim.flowing_fraction * trip_a
    with_cleanup(function()
      -- The module first: its pulse is checked against its rating before anything else is
      -- set up; from here on the cleanup (and the teardown's safe state) disarms it.
      module:arm(lim.window_us)
      local screen_us = lim.pretrigger_us + lim.window_us
      digitizer:arm { window_s = screen_us * 1e-6, pretrigger_s = lim.pretrigger_us * 1e-6,
                      points = round(screen_us / lim.sample_us), level_a = level_a,
                      full_scale_a = module:ratings().peak_a }
      module:fire()
      wait((lim.window_us + lim.record_margin_us) * 1e-6, lim.delay_us * 1e-6)
      local state = module:state()
      if state ~= "DONE" and state ~= "LIMIT" then
        error(string.format("fixture.short: the short-circuit module says %s after its %g us "
                            .. "pulse, not DONE or LIMIT", state, lim.window_us), 0)
      end
      local peak = module:peak()
      -- The current steps before proved the board's discharge path: a peak below the highest
      -- trip current means the fixture did not short the board, a station fault.
      if not measure { name = "short_circuit_trip", unit = "A", value = peak, low = least_a } then
        error(string.format("fixture.short: the short-circuit module drew %.0f A, less than the "
                            .. "%.0f A a board may trip at (the fixture did not short the board: "
                            .. "check the module's leads and its current limit)", peak, least_a),
              0)
      end
      local energy = module:energy()
      measure { name = "short_circuit_energy", unit = "J", value = energy }
      -- The digitizer's single acquisition ends a screen after its trigger: asked until it
      -- has (or never triggers), not assumed from the wait.
      local polled = 0
      while digitizer:acquiring() and polled < lim.acquisition_timeout_s do
        wait(lim.acquisition_poll_s)
        polled = polled + lim.acquisition_poll_s
      end
      if not digitizer:triggered() then
        error(string.format("fixture.digitizer: the current digitizer did not trigger at %.0f A "
                            .. "on a %.0f A short (check its probe and channel)", level_a,
                            peak), 0)
      end
      local trace = digitizer:fetch()
      local cut_us, conducting = cut_off_us(trace, level_a)
      if not cut_us then
        error(string.format("fixture.digitizer: the current digitizer triggered but its trace "
                            .. "never rises through %.0f A", level_a), 0)
      end
      local in_time = measure { name = "short_circuit_delay", unit = "us", value = cut_us,
                                low = lim.delay_us - lim.early_max_us,
                                high = lim.delay_us + lim.late_max_us }
      if state == "LIMIT" then
        -- The module's word alone does not fail the board: its trace must agree that the
        -- current still flowed at the end or fell after the delay window.
        if conducting or cut_us > lim.delay_us + lim.late_max_us then
          fail(string.format("the board does not cut the short off: the short-circuit module "
                             .. "opened it at its own limit after %.0f us, %.0f J (LIMIT)",
                             cut_us, energy))
        end
        error(string.format("fixture.short, fixture.digitizer: the short-circuit module says it "
                            .. "opened the short at its own limit (LIMIT), the current digitizer "
                            .. "saw the current fall after %.0f us, inside the %g us delay's "
                            .. "window", cut_us, lim.delay_us), 0)
      end
      if conducting then
        error(string.format("fixture.digitizer: the current digitizer still sees %.0f A at the "
                            .. "end of its trace, the short-circuit module says the current "
                            .. "stopped (DONE)", trace.amps[#trace.amps]), 0)
      end
      if not in_time then
        fail(string.format("short-circuit trip takes %.0f us, programmed %g us", cut_us,
                           lim.delay_us))
      end
      local live = fixture.dut:read_live()
      expect({ name = "short_alarm", value = set_clear(live.alarms, ALARM.DSG_SCP),
               expected = "set" }, "no short-circuit alarm after the short")
      expect({ name = "short_discharge_mos", value = on_off(live.discharge_mos),
               expected = "off" }, "discharge MOSFET on after the short")
      -- The recovery runs on the board's own timer with the discharge MOSFET off and nothing
      -- on P+/P-: the steps declared to overlap this one (eol.lua) run in it.
      wait_overlapped(math.max(0, lim.recovery_s - lim.recovery_tolerance_s))
      live = fixture.dut:read_live()
      expect({ name = "before_recovery_discharge_mos", value = on_off(live.discharge_mos),
               expected = "off" },
             string.format("short-circuit protection recovers before its %g s recovery",
                           lim.recovery_s))
      wait(2 * lim.recovery_tolerance_s, lim.recovery_tolerance_s)
      live = fixture.dut:read_live()
      expect({ name = "after_recovery_discharge_mos", value = on_off(live.discharge_mos),
               expected = "on" },
             string.format("discharge MOSFET not back %g s after the short",
                           lim.recovery_s + lim.recovery_tolerance_s))
      expect({ name = "after_recovery_alarm", value = set_clear(live.alarms,
                                                                ALARM.DSG_SCP),
               expected = "clear" }, "short-circuit alarm stays after the recovery")
    end, function() module:abort() end)
  end,
}
