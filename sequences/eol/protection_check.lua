-- How a protection is checked: the stimulus stepped around its thresholds, over-current
-- held below and above its threshold for its delay.
local common = require "eol.common"
local registers = require "eol.registers"
local on_off = common.on_off
local set_clear = common.set_clear
local expect = common.expect
local program = registers.program

local M = {}

-- Measures a protection's trip point, delay and release with a stimulus (one cell's
-- voltage, the NTC temperature) near its settings, and records them as numbers with limits
-- (`<key>_trip`, `<key>_delay`, `<key>_release`) for every effect:
--  1. short of the trip by the window nothing holds;
--  2. past the trip by the window the protection holds within its delay (timed on the
--     fixture clock by polling), its MOSFET is off and (blocked()) no current flows;
--  3. short of the release by the window it still holds; a ramp toward the release at the
--     resolution finds where it lets go (MOSFET back on);
--  4. a ramp from short of the trip at the resolution finds where it trips.
-- Each ramp step dwells settle_s or, when the board takes longer to act, the delay measured
-- in 2 plus one poll. The trip and release are the reference's reading of the stimulus
-- (reference()) less half a step (the board acted within the last step), judged within
-- `tolerance` of the settings.
-- Within fine_band of the setting a ramp steps by fine_resolution instead (both optional):
-- the same few steps where nothing happens, a finer point where the board acts.
-- t = {trip, release, direction (+1 trips above, -1 below), window, resolution, tolerance,
--      fine_band, fine_resolution, unit, settle_s, poll_s, delay_max_s, set = function(level), reference = function(),
--      effects = {{key, label, alarm, mos, blocked = function() -> A, blocked_max_a}, ...}}
function M.threshold_test(t)
  local dir = t.direction
  local function fmt(...) return string.format(...) end
  local function holding(live, e) return (live.alarms & e.alarm) ~= 0 end
  local function all(live, want)
    for _, e in ipairs(t.effects) do
      if holding(live, e) ~= want then return false end
    end
    return true
  end
  local function judge(e, what, value, setting, symptom)
    expect({ name = e.key .. "_" .. what, unit = t.unit, value = value,
             low = setting - t.tolerance, high = setting + t.tolerance }, symptom)
  end
  -- The next ramp step from level (dir_step: the sign of the move): the fine resolution
  -- while the level is within fine_band of target or a coarse step would land there.
  local function step_size(level, target, dir_step)
    local fine = t.fine_resolution
    local function near(v) return math.abs(v - target) < t.fine_band end
    if fine and (near(level) or near(level + dir_step * t.resolution)) then return fine end
    return t.resolution
  end
  local function mos_is(e, live, want, symptom)
    local on = live[e.mos .. "_mos"]
    local state = want == "off" and "_tripped_" or "_released_"
    expect({ name = e.key .. state .. e.mos .. "_mos", value = on_off(on), expected = want },
           fmt("%s MOSFET %s while %s %s", e.mos, on_off(on), e.label, symptom))
  end

  -- 1. Short of the trip: nothing holds.
  local short_of_trip = t.trip - dir * t.window
  t.set(short_of_trip)
  wait(t.settle_s)
  local live = fixture.dut:read_live()
  for _, e in ipairs(t.effects) do
    if holding(live, e) then
      local level = t.reference()
      judge(e, "trip", level, t.trip, fmt("%s trips at %.1f %s, %g %s short of its %g %s "
                                          .. "threshold", e.label, level, t.unit, t.window,
                                          t.unit, t.trip, t.unit))
      fail(fmt("%s holds at %.1f %s, short of its %g %s threshold", e.label, level, t.unit,
               t.trip, t.unit))
    end
  end

  -- 2. Past the trip: the delay until every effect holds.
  t.set(t.trip + dir * t.window)
  local started = clock()
  local elapsed
  repeat
    wait(t.poll_s)
    live = fixture.dut:read_live()
    elapsed = clock() - started
  until all(live, true) or elapsed > t.delay_max_s
  for _, e in ipairs(t.effects) do
    expect({ name = e.key .. "_delay", unit = "s", value = elapsed, low = 0,
             high = t.delay_max_s },
           holding(live, e)
             and fmt("%s takes %.2f s to act, at most %g s", e.label, elapsed, t.delay_max_s)
             or fmt("%s does not trip at %g %s (threshold %g %s)", e.label,
                    t.trip + dir * t.window, t.unit, t.trip, t.unit))
    mos_is(e, live, "off", "holds")
    if e.blocked then
      local amps = e.blocked()
      expect({ name = e.key .. "_" .. e.mos .. "_current", unit = "A", value = amps,
               high = e.blocked_max_a },
             fmt("%s MOSFET still conducts after %s: %.2f A flows", e.mos, e.label, amps))
    end
  end
  local dwell = math.max(t.settle_s, elapsed + t.poll_s)

  -- 3. Toward the release: where each effect lets go.
  local level = t.release + dir * t.window
  t.set(level)
  wait(dwell)
  live = fixture.dut:read_live()
  local pending = {}
  for _, e in ipairs(t.effects) do
    if not holding(live, e) then
      local at = t.reference()
      judge(e, "release", at, t.release,
            fmt("%s releases at %.1f %s, short of its %g %s release", e.label, at, t.unit,
                t.release, t.unit))
    end
    pending[e] = true
  end
  local last = t.release - dir * t.window
  while next(pending) and dir * (level - last) > 0 do
    local step = step_size(level, t.release, -dir)
    level = level - dir * step
    t.set(level)
    wait(dwell)
    live = fixture.dut:read_live()
    for _, e in ipairs(t.effects) do
      if pending[e] and not holding(live, e) then
        pending[e] = nil
        local at = t.reference() + dir * step / 2   -- it let go within the last step
        judge(e, "release", at, t.release,
              fmt("%s releases at %.1f %s, its release is %g %s", e.label, at, t.unit,
                  t.release, t.unit))
        mos_is(e, live, "on", "is released")
      end
    end
  end
  for _, e in ipairs(t.effects) do
    if pending[e] then
      judge(e, "release", t.reference(), t.release,
            fmt("%s does not release at %g %s (release %g %s)", e.label, level, t.unit,
                t.release, t.unit))
    end
  end

  -- 4. Toward the trip again, from short of it: where each effect trips.
  level = short_of_trip
  t.set(level)
  wait(dwell)
  for _, e in ipairs(t.effects) do pending[e] = true end
  last = t.trip + dir * t.window
  while next(pending) and dir * (last - level) > 0 do
    local step = step_size(level, t.trip, dir)
    level = level + dir * step
    t.set(level)
    wait(dwell)
    live = fixture.dut:read_live()
    for _, e in ipairs(t.effects) do
      if pending[e] and holding(live, e) then
        pending[e] = nil
        local at = t.reference() - dir * step / 2   -- it tripped within the last step
        judge(e, "trip", at, t.trip, fmt("%s trips at %.1f %s, its threshold is %g %s",
                                         e.label, at, t.unit, t.trip, t.unit))
      end
    end
  end
  for _, e in ipairs(t.effects) do
    if pending[e] then
      judge(e, "trip", t.reference(), t.trip,
            fmt("%s does not trip at %g %s on a slow ramp (threshold %g %s)", e.label, level,
                t.unit, t.trip, t.unit))
    end
  end
end

-- Over-current at a test setting (the lowest threshold and the shortest delay and recovery
-- the board accepts: a production threshold of hundreds of amperes cannot be driven, it is
-- verified by read-back in final-configuration), measured:
--  1. the delay: from the test current above the threshold switched on until the MOSFET is
--     off (polled on the fixture clock); the MOSFET blocks the current;
--  2. the recovery: from the trip until the MOSFET is back, the current off;
--  3. the trip point: below the threshold for the whole delay nothing trips (the current
--     flows), then a staircase up through the threshold; the trip came one delay (as
--     measured in 1) after the current first crossed it, so the step on at that moment is
--     the first above the threshold;
--  4. the recovery is waited for again, so that the MOSFET is on for the next step.
-- t = {lim, key, label, alarm, mos, regs = {threshold, delay, recovery}, start(A), set(A),
--      current() -> A, stop()}.
function M.overcurrent_test(t)
  local lim = t.lim
  local fmt = string.format
  local threshold = lim.threshold_a
  local below = threshold * (1 - lim.below_pct / 100)
  local above = threshold * (1 + lim.above_pct / 100)
  program({ { t.regs[1], threshold * 1000, t.label .. " threshold (mA)" },
            { t.regs[2], lim.delay_s, t.label .. " delay (s)" },
            { t.regs[3], lim.recovery_s, t.label .. " recovery (s)" } })
  measure { name = t.key .. "_test_setting", unit = "A", value = threshold }
  log(fmt("%s measured at the %g A test setting; the production setting is verified by "
          .. "read-back in final-configuration", t.label, threshold))
  local function holds(live) return (live.alarms & t.alarm) ~= 0 and not live[t.mos .. "_mos"] end
  -- Polls from `started` (fixture clock) until holds(live) == want or `latest` s have passed;
  -- waits `earliest` s first without reading. Returns the seconds elapsed and the last read.
  local function poll_until(want, started, earliest, latest)
    wait(earliest)
    local live, elapsed
    repeat
      wait(lim.poll_s)
      live = fixture.dut:read_live()
      elapsed = clock() - started
    until holds(live) == want or elapsed > latest
    return elapsed, live
  end

  -- 1. The delay.
  t.start(above)
  local started = clock()
  local delay, live = poll_until(true, started, lim.delay_s - lim.delay_tolerance_s,
                                 lim.delay_s + lim.delay_tolerance_s)
  expect({ name = t.key .. "_delay", unit = "s", value = delay,
           low = lim.delay_s - lim.delay_tolerance_s, high = lim.delay_s + lim.delay_tolerance_s },
         holds(live)
           and fmt("%s trips after %.2f s, its delay is %g s", t.label, delay, lim.delay_s)
           or fmt("%s protection does not trip: %.1f A for %.1f s (threshold %.1f A, delay "
                  .. "%g s)", t.label, above, delay, threshold, lim.delay_s))
  local tripped_at = started + delay
  local amps = t.current()
  expect({ name = t.key .. "_tripped_current", unit = "A", value = amps,
           high = lim.blocked_max_a },
         fmt("%s MOSFET still conducts after %s: %.2f A flows", t.mos, t.label, amps))

  -- 2. The recovery.
  t.stop()
  local function recovery()
    local since = clock() - tripped_at
    local elapsed, back = poll_until(false, tripped_at,
                                     math.max(0, lim.recovery_s - lim.recovery_tolerance_s
                                                 - since),
                                     lim.recovery_s + lim.recovery_tolerance_s)
    return elapsed, back
  end
  local recovered, back = recovery()
  expect({ name = t.key .. "_recovery", unit = "s", value = recovered,
           low = lim.recovery_s - lim.recovery_tolerance_s,
           high = lim.recovery_s + lim.recovery_tolerance_s },
         holds(back)
           and fmt("%s does not recover within its %g s recovery", t.label, lim.recovery_s)
           or fmt("%s recovers after %.2f s, its recovery is %g s", t.label, recovered,
                  lim.recovery_s))

  -- 3. The trip point: below it for the whole delay, then the staircase.
  t.start(below)
  wait(lim.delay_s + lim.delay_tolerance_s, lim.delay_s)
  live = fixture.dut:read_live()
  amps = t.current()
  expect({ name = t.key .. "_below_threshold_current", unit = "A", value = amps,
           low = below * lim.flowing_min_pct / 100 },
         holds(live)
           and fmt("%s trips at %.1f A, below its %.1f A threshold", t.label, below, threshold)
           or fmt("%.2f A flows of the %.2f A set below the threshold", amps, below))
  local step_a = threshold * lim.resolution_pct / 100
  local top = threshold * (1 + lim.window_pct / 100)
  local staircase = {}
  local level = threshold * (1 - lim.window_pct / 100)
  local trip_seen
  while not trip_seen do
    if level <= top + step_a / 2 then
      t.set(level)
      table.insert(staircase, { at = clock(), amps = level })
      level = level + step_a
    end
    wait(lim.ramp_dwell_s)
    live = fixture.dut:read_live()
    if holds(live) then trip_seen = clock() end
    if not trip_seen and clock() - staircase[#staircase].at > delay + lim.delay_tolerance_s then
      break
    end
  end
  local crossed = trip_seen and trip_seen - delay
  local trip_a = top + step_a
  for _, stair in ipairs(staircase) do
    if crossed and stair.at <= crossed then trip_a = stair.amps - step_a / 2 end
  end
  tripped_at = trip_seen or clock()
  t.stop()
  local tolerance = threshold * lim.tolerance_pct / 100
  expect({ name = t.key .. "_trip", unit = "A", value = trip_a, low = threshold - tolerance,
           high = threshold + tolerance },
         trip_seen and fmt("%s trips at %.2f A, its threshold is %.1f A", t.label, trip_a,
                           threshold)
           or fmt("%s does not trip on a staircase to %.1f A (threshold %.1f A)", t.label, top,
                  threshold))

  -- 4. Back on for what follows.
  recovered, back = recovery()
  expect({ name = t.key .. "_recovered_" .. t.mos .. "_mos", value = on_off(back[t.mos .. "_mos"]),
           expected = "on" },
         fmt("%s does not recover within its %g s recovery", t.label, lim.recovery_s))
end

return M
