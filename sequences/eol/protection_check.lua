-- How a protection is checked: the stimulus stepped around its thresholds, over-current
-- held below and above its threshold for its delay.
local common = require "eol.common"
local registers = require "eol.registers"
local on_off = common.on_off
local set_clear = common.set_clear
local expect = common.expect
local program = registers.program

local M = {}

-- Steps a stimulus (one cell's voltage, the NTC temperature) to the four points around a
-- protection's trip and release thresholds and checks the board at each: short of the trip
-- nothing happens; past it the protection holds (alarm set, MOSFET off, and the current
-- `blocked()` reads within its limit); short of the release it still holds; past the release
-- it lets go. t = {trip, release, direction (+1 trips above, -1 below), step, unit,
-- settle_s, set = function(level), effects = {{key, label, alarm, mos}, ...},
-- blocked = function() -> A (optional), blocked_max_a}. mos is "charge" or "discharge".
function M.protection_test(t)
  local points = {
    { name = "short_of_trip", level = t.trip - t.direction * t.step, holds = false },
    { name = "past_trip", level = t.trip + t.direction * t.step, holds = true },
    { name = "short_of_release", level = t.release + t.direction * t.step, holds = true },
    { name = "past_release", level = t.release - t.direction * t.step, holds = false },
  }
  local symptoms = {
    short_of_trip = "%s trips at %g %s, short of its %g %s threshold",
    past_trip = "%s does not trip at %g %s (threshold %g %s)",
    short_of_release = "%s releases at %g %s, short of its %g %s release",
    past_release = "%s does not release at %g %s (release %g %s)",
  }
  for _, point in ipairs(points) do
    t.set(point.level)
    wait(t.settle_s)
    local live = fixture.dut:read_live()
    local threshold = point.name:find("trip") and t.trip or t.release
    for _, e in ipairs(t.effects) do
      local prefix = e.key .. "_" .. point.name
      expect({ name = prefix .. "_alarm", value = set_clear(live.alarms, e.alarm),
               expected = point.holds and "set" or "clear" },
             string.format(symptoms[point.name], e.label, point.level, t.unit, threshold,
                           t.unit))
      local mos_on = live[e.mos .. "_mos"]
      expect({ name = prefix .. "_" .. e.mos .. "_mos", value = on_off(mos_on),
               expected = point.holds and "off" or "on" },
             string.format("%s MOSFET %s at %g %s while %s %s", e.mos, on_off(mos_on),
                           point.level, t.unit, e.label,
                           point.holds and "holds" or "is released"))
      if point.holds and point.name == "past_trip" and t.blocked then
        local amps = t.blocked()
        expect({ name = prefix .. "_" .. e.mos .. "_current", unit = "A", value = amps,
                 high = t.blocked_max_a },
               string.format("%s MOSFET still conducts after %s: %.2f A flows", e.mos,
                             e.label, amps))
      end
    end
  end
end

-- Over-current at a test threshold with the shortest delay and recovery: no trip below it
-- for the whole delay; above it, no trip before the delay less its tolerance, a trip by the
-- delay plus its tolerance, and the MOSFET back on within the recovery's tolerance.
-- t = {lim, key, label, alarm, mos, regs = {threshold, delay, recovery}, start(A), set(A),
--      current() -> A, stop()}.
function M.overcurrent_test(t)
  local lim = t.lim
  local below = lim.threshold_a * (1 - lim.below_pct / 100)
  local above = lim.threshold_a * (1 + lim.above_pct / 100)
  program({ { t.regs[1], lim.threshold_a * 1000, t.label .. " threshold (mA)" },
            { t.regs[2], lim.delay_s, t.label .. " delay (s)" },
            { t.regs[3], lim.recovery_s, t.label .. " recovery (s)" } })
  local function state(name, holds, symptom)
    local live = fixture.dut:read_live()
    expect({ name = t.key .. "_" .. name .. "_alarm", value = set_clear(live.alarms, t.alarm),
             expected = holds and "set" or "clear" }, symptom)
    local mos_on = live[t.mos .. "_mos"]
    expect({ name = t.key .. "_" .. name .. "_" .. t.mos .. "_mos", value = on_off(mos_on),
             expected = holds and "off" or "on" },
           string.format("%s MOSFET %s while %s %s", t.mos, on_off(mos_on), t.label,
                         holds and "holds" or "is released"))
  end

  -- wait(seconds, required): the part the physics needs (a delay, a recovery) and the margin.
  t.start(below)
  wait(lim.delay_s + lim.delay_tolerance_s, lim.delay_s)
  state("below_threshold", false,
        string.format("%s trips at %.1f A, below its %.1f A threshold", t.label, below,
                      lim.threshold_a))
  local amps = t.current()
  expect({ name = t.key .. "_below_threshold_current", unit = "A", value = amps,
           low = below * lim.flowing_min_pct / 100 },
         string.format("%.2f A flows of the %.2f A set below the threshold", amps, below))

  t.set(above)
  wait(lim.delay_s - lim.delay_tolerance_s)
  state("before_delay", false,
        string.format("%s trips at %.1f A before %.1f s, its delay is %g s", t.label, above,
                      lim.delay_s - lim.delay_tolerance_s, lim.delay_s))
  wait(2 * lim.delay_tolerance_s, lim.delay_tolerance_s)
  state("after_delay", true,
        string.format("%s protection does not trip: %.1f A for %.1f s (threshold %.1f A, "
                      .. "delay %g s)", t.label, above, lim.delay_s + lim.delay_tolerance_s,
                      lim.threshold_a, lim.delay_s))
  amps = t.current()
  expect({ name = t.key .. "_after_delay_current", unit = "A", value = amps,
           high = lim.blocked_max_a },
         string.format("%s MOSFET still conducts after %s: %.2f A flows", t.mos, t.label,
                       amps))

  -- The trip came by the delay, one tolerance before it was seen: the recovery needs that much
  -- less from here.
  t.stop()
  wait(math.max(0, lim.recovery_s - 2 * lim.recovery_tolerance_s))
  state("before_recovery", true,
        string.format("%s recovers before its %g s recovery", t.label, lim.recovery_s))
  wait(2 * lim.recovery_tolerance_s, lim.recovery_tolerance_s)
  state("after_recovery", false,
        string.format("%s does not recover within its %g s recovery", t.label,
                      lim.recovery_s))
end

return M
