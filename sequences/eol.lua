-- End-of-line test of a JK Smart Active BMS board (DESIGN.md §7).
-- Globals given by the station: board, limits, fixture, firmware, measure, wait, log, fail,
-- skip.
-- Cell voltages are in V on the instruments; errors are reported in mV.
--
-- Every number a step uses comes from limits.conf (limits.<group>.<key>); every wait is a
-- limits key of the step's group (settle_s, delay_s, recovery_s and their tolerances), so the
-- cycle time can be planned from the limits. A step that fails ends with the symptom the
-- board shows ("charge MOSFET still conducts after cell OVP"), after the measurement that
-- shows it is stored. Each step switches off what it switched on and opens the relays it
-- closed, also when it fails; the teardown's safe state is the backstop.

-- firmware = true: the station loads the image released for the board's model (checked
-- again: signature, hash, header) before the run starts, and records its SHA-256 and version.
sequence { name = "jk-eol", version = "0.4", firmware = true }

-- The run's globals (board, limits, fixture) exist only while steps run: the top level of
-- this file declares steps and helpers, it does not touch them.

-- ---- The board's registers and alarm bits (JK "RS485 Modbus" V1.1, DESIGN.md §5) --------

local REG = {
  smart_sleep_mv = 0x1000, cell_uvp_mv = 0x1004, cell_uvpr_mv = 0x1008,
  cell_ovp_mv = 0x100C, cell_ovpr_mv = 0x1010, balance_trigger_mv = 0x1014,
  soc100_mv = 0x1018, soc0_mv = 0x101C, power_off_mv = 0x1028,
  charge_ocp_ma = 0x102C, charge_ocp_delay_s = 0x1030, charge_ocp_recovery_s = 0x1034,
  discharge_ocp_ma = 0x1038, discharge_ocp_delay_s = 0x103C,
  discharge_ocp_recovery_s = 0x1040, short_circuit_recovery_s = 0x1044,
  max_balance_ma = 0x1048,
  charge_otp = 0x104C, charge_otpr = 0x1050, discharge_otp = 0x1054, discharge_otpr = 0x1058,
  charge_utp = 0x105C, charge_utpr = 0x1060, mos_otp = 0x1064, mos_otpr = 0x1068,
  cell_count = 0x106C, charge_enable = 0x1070, discharge_enable = 0x1074,
  balance_enable = 0x1078, short_circuit_delay_us = 0x1080, balance_start_mv = 0x1084,
  control_bits = 0x1114,                 -- UINT16 bits; bit 0 heater enable
  t1_t2 = 0x129C, t3 = 0x12F8,           -- INT16 0.1 °C
  -- One-key defaults per chemistry (UINT16 commands, triggered by writing 1).
  defaults = { liion = 0x160A, lfp = 0x160C, lto = 0x160E },
}
local HEATER_ENABLE_BIT = 1
local COMMAND_TRIGGER = 1
local ALARM = {
  cell_ovp = 1 << 4, charge_ocp = 1 << 6, charge_otp = 1 << 8, charge_utp = 1 << 9,
  cell_uvp = 1 << 11, discharge_ocp = 1 << 13, discharge_scp = 1 << 14,
  discharge_otp = 1 << 15,
}
-- The station functions this sequence needs besides the board's and instruments' basics.
local STATION_API = { { "dut", "write_u16" }, { "cells", "set_current_limit" } }

-- ---- Helpers ------------------------------------------------------------------------------

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

-- The instrument of a role, or an ERROR naming what the fixture description lacks.
local function need(role)
  local instrument = fixture[role]
  if not instrument then
    error(string.format("the fixture has no %s (add a [%s] group to its description)", role,
                        role), 2)
  end
  return instrument
end

-- Runs body(), then cleanup() (the step's instruments off, its relays open) whatever
-- happened. A failure, skip or error of the body ends the step as it would have (a cleanup
-- that fails as well is left to the teardown's safe state); a cleanup error after a body
-- that went well is the step's error.
local function with_cleanup(body, cleanup)
  local ok, err = pcall(body)
  if ok then
    cleanup()
    return
  end
  pcall(cleanup)
  error(err, 0)
end

-- Records measurement m; when it fails, ends the step FAIL with the symptom.
local function expect(m, symptom)
  if not measure(m) then fail(symptom) end
end

local function round(x) return math.tointeger(math.floor(x + 0.5)) end
local function on_off(flag) return flag and "on" or "off" end
local function set_clear(alarms, bit) return (alarms & bit) ~= 0 and "set" or "clear" end

-- Writes settings {register, value, name} in order; a refusal ends the step FAIL.
local function program(settings)
  for _, s in ipairs(settings) do
    local value = round(s[2])
    local ok, why = fixture.dut:write_u32(s[1], value & 0xFFFFFFFF)
    if not ok then
      fail(string.format("the board refused %s = %d: %s", s[3], value, tostring(why)))
    end
  end
end

-- A setting as the board holds it (INT32 for the temperatures).
local function read_setting(reg, signed)
  local v = fixture.dut:read_u32(reg)
  if signed and v >= 0x80000000 then v = v - 0x100000000 end
  return v
end

-- A 16-bit half of a register read, as INT16.
local function int16(v)
  if v >= 0x8000 then return v - 0x10000 end
  return v
end

local function control_bits() return fixture.dut:read_u32(REG.control_bits) >> 16 end

local function write_control_bits(bits)
  local ok, why = fixture.dut:write_u16(REG.control_bits, bits)
  if not ok then fail("the board refused its control bits 0x1114: " .. tostring(why)) end
end

local function rest_v() return limits.rest["cells_" .. board.chemistry .. "_v"] end

-- All cells to the rest voltage; returns the pack voltage the cell simulator measures (V).
local function cells_to_rest()
  local n = board.cell_count
  fixture.cells:set_voltages(1, n, rest_v())
  return sum_of(fixture.cells:measure_voltages(1, n))
end

-- Ohms of the board's NTC at `celsius` (Beta equation).
local function ntc_ohm(celsius)
  local lim = limits.temperature
  local kelvin, k25 = celsius + 273.15, 25 + 273.15
  return lim.ntc_r25_ohm * math.exp(lim.ntc_beta_k * (1 / kelvin - 1 / k25))
end

-- All three NTC inputs to one temperature (°C).
local function ntc_all(celsius)
  for sensor = 1, 3 do need("switch"):set_ntc(sensor, ntc_ohm(celsius)) end
end

-- The charger across P+/P- in constant current at `amps`, set above the pack.
local function charger_on(amps, pack_v)
  need("switch"):close(fixture.relays.charger)
  need("charger"):set_current(amps)
  fixture.charger:set_voltage(pack_v + limits.charger.headroom_v)
  fixture.charger:output(true)
end

local function charger_off()
  need("charger"):output(false)
  need("switch"):open(fixture.relays.charger)
end

-- The load across P+/P- drawing `amps`.
local function load_on(amps)
  need("switch"):close(fixture.relays.load)
  need("load"):set_current(amps)
  fixture.load:input(true)
end

local function load_off()
  need("load"):short(false)
  fixture.load:input(false)
  fixture.load:set_current(0)
  need("switch"):open(fixture.relays.load)
end

-- The board's one-key defaults of the order's chemistry (its protections then match the
-- cells the fixture gives it); the cell count is kept.
local function load_chemistry_defaults()
  local chem = board.chemistry
  local ok, why = fixture.dut:write_u16(REG.defaults[chem], COMMAND_TRIGGER)
  if not ok then fail("the board refused its " .. chem .. " defaults: " .. tostring(why)) end
end

-- The mean of several board current readings (A, + = charging).
local function board_current_mean(readings)
  local sum = 0
  for _ = 1, readings do sum = sum + fixture.dut:read_live().current_a end
  return sum / readings
end

-- ---- Setup and the first steps --------------------------------------------------------------

setup {
  name = "power-on",
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
    local n, chem = board.cell_count, board.chemistry
    fixture.cells:set_voltages(1, n, limits.voltage_calibration["point_" .. chem .. "_v"])
    fixture.cells:output(1, n, true)
    wait(limits.power_on.boot_s)
  end,
}

step {
  name = "flash",
  critical = true,
  run = function()
    -- DESIGN.md §7 step 1: the released image through the MCU's ROM bootloader (BOOT0 and
    -- NRST from the switch unit), every byte verified, then a reset into it. A board whose
    -- bootloader does not answer, or whose flash does not take the image, fails here.
    local report, why = firmware.flash()
    if not report then fail("the board could not be flashed: " .. why) end
    measure { name = "flash_bytes", unit = "B", value = report.bytes }
    measure { name = "flash_retries", unit = "commands", value = report.retries,
              high = limits.flash.max_retries }
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
    measure { name = "sw_version", value = info.sw_version, expected = firmware.version }
    -- The board's serial field holds 16 bytes and the model is in its own field (0x1400), so
    -- the board keeps the label's serial without the model: <YYWW>-<NNNNN>.
    local board_serial = board.serial:sub(#board.model.name + 2)
    local ok, why = fixture.dut:write_serial(board_serial)
    if not ok then fail("the board refused its serial number: " .. why) end
    measure { name = "serial_written", value = fixture.dut:device_info().serial,
              expected = board_serial }
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
    fixture.cells:set_voltages(1, n, lim["point_" .. chem .. "_v"])
    wait(limits.cell_voltage.settle_s)
    local pack = sum_of(fixture.cells:measure_voltages(1, n))
    local ok, why = fixture.dut:calibrate_voltage(pack)
    measure { name = "calibration_accepted", value = ok and "accepted" or ("refused: " .. why),
              expected = "accepted" }
    if not ok then return end
    local live = fixture.dut:read_live()
    measure { name = "voltage_factor", unit = "ratio", value = live.voltage_factor,
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
    with_cleanup(function()
      charger_on(amps, pack_v)
      wait(lim.settle_s)
      local truth = fixture.charger:measure_current()
      expect({ name = "charge_current", unit = "A", value = truth, low = flowing },
             string.format("no charge current flows: %.2f A of %.2f A (charge MOSFET open?)",
                           truth, amps))
      local ok, why = fixture.dut:calibrate_current(truth)
      expect({ name = "calibration_accepted", value = ok and "accepted" or "refused",
               expected = "accepted" },
             "the board refused current calibration: " .. tostring(why))
      local factor = fixture.dut:read_live().current_factor
      expect({ name = "current_factor", unit = "ratio", value = factor, low = lim.factor_min,
               high = lim.factor_max },
             string.format("current reading needs a correction of %.3f: shunt or amplifier "
                           .. "out of tolerance", factor))
      local reading = board_current_mean(lim.readings)
      truth = fixture.charger:measure_current()
      local error_pct = (reading - truth) / truth * 100
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
    end)
  end,
}

step {
  name = "path-resistance",
  run = function()
    -- The DMM across the main path (B- to P-) while the load draws the test current.
    local lim = limits.path_resistance
    local nominal = lim.nominal_mohm or tonumber(lim.characterised_mohm)
    if not nominal then
      error("no path resistance for " .. board.model.name .. ": the datasheet gives none; "
            .. "add [path_resistance@" .. board.model.name .. "] characterised_mohm", 0)
    end
    cells_to_rest()
    with_cleanup(function()
      need("dmm"):configure_voltage(lim.dmm_range_v, lim.dmm_nplc)
      need("switch"):close(fixture.relays.dmm_path)
      load_on(lim.test_a)
      wait(lim.settle_s)
      local amps = fixture.load:measure_current()
      local volts = fixture.dmm:read()
      local amps_after = fixture.load:measure_current()
      amps = (amps + amps_after) / 2
      expect({ name = "path_current", unit = "A", value = amps,
               low = lim.test_a * lim.flowing_min_pct / 100 },
             string.format("the test current does not flow: %.2f A of %.2f A", amps,
                           lim.test_a))
      local mohm = volts / amps * 1000
      expect({ name = "path_resistance", unit = "mOhm", value = mohm,
               low = nominal * lim.min_ratio, high = nominal * lim.max_ratio },
             string.format("main path resistance %.3f mOhm, nominal %.3f mOhm: MOSFET, shunt "
                           .. "or busbar joint", mohm, nominal))
      load_off()
      fixture.switch:open(fixture.relays.dmm_path)
    end, function()
      load_off()
      fixture.switch:open(fixture.relays.dmm_path)
    end)
  end,
}

-- ---- Protections -------------------------------------------------------------------------

-- Steps a stimulus (one cell's voltage, the NTC temperature) to the four points around a
-- protection's trip and release thresholds and checks the board at each: short of the trip
-- nothing happens; past it the protection holds (alarm set, MOSFET off, and the current
-- `blocked()` reads within its limit); short of the release it still holds; past the release
-- it lets go. t = {trip, release, direction (+1 trips above, -1 below), step, unit,
-- settle_s, set = function(level), effects = {{key, label, alarm, mos}, ...},
-- blocked = function() -> A (optional), blocked_max_a}. mos is "charge" or "discharge".
local function protection_test(t)
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

step {
  name = "overcharge",
  run = function()
    -- Cell over-voltage at the chemistry's production thresholds, one cell stepped while the
    -- charger offers current: a charge MOSFET that stays shorted lets it flow.
    local lim, prod, chem = limits.overcharge, limits.production, board.chemistry
    local trip, release = prod["cell_ovp_" .. chem .. "_mv"], prod["cell_ovpr_" .. chem .. "_mv"]
    program({ { REG.cell_ovp_mv, trip, "cell OVP (mV)" },
              { REG.cell_ovpr_mv, release, "cell OVP release (mV)" } })
    local pack_v = cells_to_rest()
    with_cleanup(function()
      charger_on(lim.charge_test_a, pack_v)
      protection_test {
        trip = trip, release = release, direction = 1, step = lim.step_mv, unit = "mV",
        settle_s = lim.settle_s,
        set = function(mv) fixture.cells:set_voltage(lim.cell, mv / 1000) end,
        effects = { { key = "ovp", label = "cell OVP", alarm = ALARM.cell_ovp,
                      mos = "charge" } },
        blocked = function() return fixture.charger:measure_current() end,
        blocked_max_a = lim.blocked_max_a,
      }
    end, function()
      charger_off()
      fixture.cells:set_voltage(lim.cell, rest_v())
    end)
  end,
}

step {
  name = "overdischarge",
  run = function()
    -- Cell under-voltage at the chemistry's production thresholds, one cell stepped while the
    -- load draws current: the discharge MOSFET must block it once UVP holds.
    local lim, prod, chem = limits.overdischarge, limits.production, board.chemistry
    local trip, release = prod["cell_uvp_" .. chem .. "_mv"], prod["cell_uvpr_" .. chem .. "_mv"]
    program({ { REG.cell_uvp_mv, trip, "cell UVP (mV)" },
              { REG.cell_uvpr_mv, release, "cell UVP release (mV)" } })
    cells_to_rest()
    with_cleanup(function()
      load_on(lim.discharge_test_a)
      protection_test {
        trip = trip, release = release, direction = -1, step = lim.step_mv, unit = "mV",
        settle_s = lim.settle_s,
        set = function(mv) fixture.cells:set_voltage(lim.cell, mv / 1000) end,
        effects = { { key = "uvp", label = "cell UVP", alarm = ALARM.cell_uvp,
                      mos = "discharge" } },
        blocked = function() return fixture.load:measure_current() end,
        blocked_max_a = lim.blocked_max_a,
      }
    end, function()
      load_off()
      fixture.cells:set_voltage(lim.cell, rest_v())
    end)
  end,
}

-- Over-current at a test threshold with the shortest delay and recovery: no trip below it
-- for the whole delay; above it, no trip before the delay less its tolerance, a trip by the
-- delay plus its tolerance, and the MOSFET back on within the recovery's tolerance.
-- t = {lim, key, label, alarm, mos, regs = {threshold, delay, recovery}, start(A), set(A),
--      current() -> A, stop()}.
local function overcurrent_test(t)
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

step {
  name = "charge-overcurrent",
  run = function()
    local pack_v = cells_to_rest()
    with_cleanup(function()
      overcurrent_test {
        lim = limits.charge_ocp, key = "charge_ocp", label = "charge over-current",
        alarm = ALARM.charge_ocp, mos = "charge",
        regs = { REG.charge_ocp_ma, REG.charge_ocp_delay_s, REG.charge_ocp_recovery_s },
        start = function(amps) charger_on(amps, pack_v) end,
        set = function(amps) fixture.charger:set_current(amps) end,
        current = function() return fixture.charger:measure_current() end,
        stop = function() fixture.charger:output(false) end,
      }
    end, charger_off)
  end,
}

step {
  name = "discharge-overcurrent",
  run = function()
    cells_to_rest()
    with_cleanup(function()
      overcurrent_test {
        lim = limits.discharge_ocp, key = "discharge_ocp", label = "discharge over-current",
        alarm = ALARM.discharge_ocp, mos = "discharge",
        regs = { REG.discharge_ocp_ma, REG.discharge_ocp_delay_s,
                 REG.discharge_ocp_recovery_s },
        start = load_on,
        set = function(amps) fixture.load:set_current(amps) end,
        current = function() return fixture.load:measure_current() end,
        stop = function() fixture.load:input(false) end,
      }
    end, load_off)
  end,
}

step {
  name = "short-circuit",
  run = function()
    -- The load's short mode closes across P+/P- and triggers its digitizer; the time current
    -- flows is the board's trip time. Then the discharge MOSFET must come back after the
    -- recovery.
    local lim = limits.short_circuit
    program({ { REG.short_circuit_delay_us, lim.delay_us, "short-circuit delay (us)" },
              { REG.short_circuit_recovery_s, lim.recovery_s, "short-circuit recovery (s)" } })
    cells_to_rest()
    local trip_a = lim.trip_per_continuous * lim.continuous_a
    with_cleanup(function()
      load_on(0)
      local points = round(lim.window_us / lim.sample_us)
      fixture.load:capture_arm(points, lim.sample_us * 1e-6)
      fixture.load:short(true)
      wait(lim.window_us * 1e-6, lim.delay_us * 1e-6)
      fixture.load:short(false)
      local samples = fixture.load:capture_fetch()
      fixture.load:input(false)
      local peak, flowing = 0, 0
      for _, amps in ipairs(samples) do
        peak = math.max(peak, amps)
        if amps > trip_a * lim.flowing_fraction then flowing = flowing + 1 end
      end
      expect({ name = "short_peak_current", unit = "A", value = peak, low = trip_a },
             string.format("the short drew %.0f A, less than the %.0f A the board trips at "
                           .. "(check the load's short path)", peak, trip_a))
      local trip_us = flowing * lim.sample_us
      expect({ name = "short_trip_time", unit = "us", value = trip_us,
               low = lim.delay_us - lim.early_max_us, high = lim.delay_us + lim.late_max_us },
             flowing == #samples
               and string.format("short-circuit protection does not trip within %g us",
                                 lim.window_us)
               or string.format("short-circuit trip takes %g us, programmed %g us", trip_us,
                                lim.delay_us))
      local live = fixture.dut:read_live()
      expect({ name = "short_alarm", value = set_clear(live.alarms, ALARM.discharge_scp),
               expected = "set" }, "no short-circuit alarm after the short")
      expect({ name = "short_discharge_mos", value = on_off(live.discharge_mos),
               expected = "off" }, "discharge MOSFET on after the short")
      wait(math.max(0, lim.recovery_s - lim.recovery_tolerance_s))
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
                                                                ALARM.discharge_scp),
               expected = "clear" }, "short-circuit alarm stays after the recovery")
    end, load_off)
  end,
}

step {
  name = "temperature",
  run = function()
    -- The NTC emulation of the switch unit: each sensor reads its own temperature, then the
    -- over- and under-temperature protections at the production thresholds.
    local lim, prod = limits.temperature, limits.production
    program({ { REG.charge_otp, prod.charge_otp_c * 10, "charge OTP (0.1 degC)" },
              { REG.charge_otpr, prod.charge_otpr_c * 10, "charge OTP release (0.1 degC)" },
              { REG.discharge_otp, prod.discharge_otp_c * 10, "discharge OTP (0.1 degC)" },
              { REG.discharge_otpr, prod.discharge_otpr_c * 10,
                "discharge OTP release (0.1 degC)" },
              { REG.charge_utp, prod.charge_utp_c * 10, "charge UTP (0.1 degC)" },
              { REG.charge_utpr, prod.charge_utpr_c * 10, "charge UTP release (0.1 degC)" } })
    cells_to_rest()
    with_cleanup(function()
      local points = lim.sensor_points_c
      for sensor = 1, 3 do need("switch"):set_ntc(sensor, ntc_ohm(points[sensor])) end
      wait(lim.settle_s)
      local t12 = fixture.dut:read_u32(REG.t1_t2)
      local readings = { int16(t12 >> 16) / 10, int16(t12 & 0xFFFF) / 10,
                         int16(fixture.dut:read_u32(REG.t3) >> 16) / 10 }
      for sensor = 1, 3 do
        local reading = readings[sensor]
        local open = reading <= lim.open_reading_c and " (input open)" or ""
        expect({ name = string.format("t%d_temperature", sensor), unit = "degC",
                 value = reading, low = points[sensor] - lim.accuracy_c,
                 high = points[sensor] + lim.accuracy_c },
               string.format("temperature sensor T%d reads %.1f degC at %.1f degC%s", sensor,
                             reading, points[sensor], open))
      end
      local otp = {
        { key = "charge_otp", label = "charge over-temperature", alarm = ALARM.charge_otp,
          mos = "charge", trip = prod.charge_otp_c, release = prod.charge_otpr_c },
        { key = "discharge_otp", label = "discharge over-temperature",
          alarm = ALARM.discharge_otp, mos = "discharge", trip = prod.discharge_otp_c,
          release = prod.discharge_otpr_c },
      }
      -- Protections with the same thresholds are stepped together.
      local passes = { { otp[1] } }
      if otp[2].trip == otp[1].trip and otp[2].release == otp[1].release then
        table.insert(passes[1], otp[2])
      else
        table.insert(passes, { otp[2] })
      end
      for _, effects in ipairs(passes) do
        protection_test {
          trip = effects[1].trip, release = effects[1].release, direction = 1,
          step = lim.step_c, unit = "degC", settle_s = lim.settle_s, set = ntc_all,
          effects = effects,
        }
      end
      protection_test {
        trip = prod.charge_utp_c, release = prod.charge_utpr_c, direction = -1,
        step = lim.step_c, unit = "degC", settle_s = lim.settle_s, set = ntc_all,
        effects = { { key = "charge_utp", label = "charge under-temperature",
                      alarm = ALARM.charge_utp, mos = "charge" } },
      }
    end, function() ntc_all(limits.rest.temperature_c) end)
  end,
}

step {
  name = "heater",
  run = function()
    -- Below the charge under-temperature threshold the board stops charging and drives its
    -- heater output into the fixture's load: U/R of the pack, at most 3 A, within the
    -- model's power. Above it, the heater must be off.
    if not board.model.heater then
      skip("model " .. board.model.name .. " has no heater option")
    end
    local lim, prod = limits.heater, limits.production
    local n = board.cell_count
    local bits = control_bits()
    local cold_c = prod.charge_utp_c - limits.temperature.step_c
    -- The heater current is what every cell channel sources besides the (idle) stack.
    local function heater_a()
      return sum_of(fixture.cells:measure_currents(1, n)) / n
    end
    local pack_v = cells_to_rest()
    with_cleanup(function()
      program({ { REG.charge_utp, prod.charge_utp_c * 10, "charge UTP (0.1 degC)" },
                { REG.charge_utpr, prod.charge_utpr_c * 10, "charge UTP release (0.1 degC)" } })
      write_control_bits(bits | HEATER_ENABLE_BIT)
      need("switch"):close(fixture.relays.heater)
      wait(lim.settle_s)
      local amps = heater_a()
      expect({ name = "heater_current_warm", unit = "A", value = amps, high = lim.off_max_a },
             string.format("heater conducts at %.1f degC: %.2f A (heater switch stuck on)",
                           limits.rest.temperature_c, amps))

      ntc_all(cold_c)
      wait(lim.settle_s)
      local live = fixture.dut:read_live()
      expect({ name = "charge_mos_cold", value = on_off(live.charge_mos), expected = "off" },
             string.format("charging not off at %.1f degC", cold_c))
      amps = heater_a()
      local expected = math.min(pack_v / lim.load_ohm, lim.max_a)
      expect({ name = "heater_current", unit = "A", value = amps,
               low = expected * (1 - lim.tolerance_pct / 100),
               high = expected * (1 + lim.tolerance_pct / 100) },
             string.format("heater draws %.2f A at %.1f degC, U/R is %.2f A%s", amps, cold_c,
                           expected, amps < lim.off_max_a and " (heater output open)" or ""))
      expect({ name = "heater_current_max", unit = "A", value = amps,
               high = lim.max_a + lim.max_uncertainty_a },
             string.format("heater current %.2f A above the board's %.1f A", amps, lim.max_a))
      local watts = amps * amps * lim.load_ohm
      expect({ name = "heater_power", unit = "W", value = watts, high = lim.max_w },
             string.format("heater power %.0f W above the model's %.0f W", watts, lim.max_w))

      ntc_all(limits.rest.temperature_c)
      wait(lim.settle_s)
      amps = heater_a()
      expect({ name = "heater_current_rewarmed", unit = "A", value = amps,
               high = lim.off_max_a },
             string.format("heater stays on at %.1f degC: %.2f A", limits.rest.temperature_c,
                           amps))
    end, function()
      fixture.switch:open(fixture.relays.heater)
      ntc_all(limits.rest.temperature_c)
      write_control_bits(bits)
    end)
  end,
}

step {
  name = "balance",
  run = function()
    -- Cells in pairs, one raised and one lowered: the balancer must move the model's current
    -- out of the raised cell into the lowered one, as the two cell simulator channels see
    -- it. Every channel is at one end of a pair once.
    local lim, n = limits.balance, board.cell_count
    local rest = rest_v()
    program({ { REG.balance_start_mv, rest * 1000, "balance start (mV)" },
              { REG.balance_trigger_mv, lim.trigger_mv, "balance trigger (mV)" },
              { REG.max_balance_ma, lim.current_a * 1000, "maximum balance current (mA)" },
              { REG.balance_enable, limits.production.balance_enable, "balance enable" } })
    cells_to_rest()
    with_cleanup(function()
      fixture.cells:set_current_limit(1, n, lim.cells_current_limit_a)
      local low_a = lim.current_a * (1 - lim.tolerance_pct / 100)
      local high_a = lim.current_a * (1 + lim.tolerance_pct / 100)
      for high = 1, n, 2 do
        local low = high < n and high + 1 or 1
        fixture.cells:set_voltage(high, rest + lim.offset_mv / 1000)
        fixture.cells:set_voltage(low, rest - lim.offset_mv / 1000)
        wait(lim.settle_s)
        local currents = fixture.cells:measure_currents(1, n)
        local symptom = string.format("balancer moves %.3f A out of cell %d and %.3f A into "
                                      .. "cell %d, the model's current is %.2f A",
                                      currents[high], high, -currents[low], low, lim.current_a)
        expect({ name = string.format("cell_%02d_balance_out", high), unit = "A",
                 value = currents[high], low = low_a, high = high_a }, symptom)
        expect({ name = string.format("cell_%02d_balance_in", low), unit = "A",
                 value = -currents[low], low = low_a, high = high_a }, symptom)
        fixture.cells:set_voltage(high, rest)
        fixture.cells:set_voltage(low, rest)
      end
    end, function()
      cells_to_rest()
      fixture.cells:set_current_limit(1, n, limits.rest.cells_current_limit_a)
    end)
  end,
}

step {
  name = "final-configuration",
  run = function()
    -- The order's chemistry: the board's one-key defaults, the cell count, the heater off;
    -- then every production setting read back against the limits.
    local prod, chem = limits.production, board.chemistry
    load_chemistry_defaults()
    program({ { REG.cell_count, board.cell_count, "cell count" } })
    local heater_bit = prod.heater_enable ~= 0 and HEATER_ENABLE_BIT or 0
    write_control_bits((control_bits() & ~HEATER_ENABLE_BIT) | heater_bit)
    local function mv(name) return prod[name .. "_" .. chem .. "_mv"] end
    local expected = {
      { "cell_count", REG.cell_count, board.cell_count, "cells" },
      { "cell_ovp", REG.cell_ovp_mv, mv("cell_ovp"), "mV" },
      { "cell_ovpr", REG.cell_ovpr_mv, mv("cell_ovpr"), "mV" },
      { "cell_uvp", REG.cell_uvp_mv, mv("cell_uvp"), "mV" },
      { "cell_uvpr", REG.cell_uvpr_mv, mv("cell_uvpr"), "mV" },
      { "soc100", REG.soc100_mv, mv("soc100"), "mV" },
      { "soc0", REG.soc0_mv, mv("soc0"), "mV" },
      { "balance_start", REG.balance_start_mv, mv("balance_start"), "mV" },
      { "smart_sleep", REG.smart_sleep_mv, mv("smart_sleep"), "mV" },
      { "power_off", REG.power_off_mv, mv("power_off"), "mV" },
      { "balance_trigger", REG.balance_trigger_mv, prod.balance_trigger_mv, "mV" },
      { "max_balance", REG.max_balance_ma, prod.max_balance_a * 1000, "mA" },
      { "charge_ocp", REG.charge_ocp_ma, prod.charge_ocp_a * 1000, "mA" },
      { "charge_ocp_delay", REG.charge_ocp_delay_s, prod.charge_ocp_delay_s, "s" },
      { "charge_ocp_recovery", REG.charge_ocp_recovery_s, prod.charge_ocp_recovery_s, "s" },
      { "discharge_ocp", REG.discharge_ocp_ma, prod.discharge_ocp_a * 1000, "mA" },
      { "discharge_ocp_delay", REG.discharge_ocp_delay_s, prod.discharge_ocp_delay_s, "s" },
      { "discharge_ocp_recovery", REG.discharge_ocp_recovery_s,
        prod.discharge_ocp_recovery_s, "s" },
      { "short_circuit_delay", REG.short_circuit_delay_us, prod.short_circuit_delay_us, "us" },
      { "short_circuit_recovery", REG.short_circuit_recovery_s,
        prod.short_circuit_recovery_s, "s" },
      { "charge_otp", REG.charge_otp, prod.charge_otp_c * 10, "0.1degC", true },
      { "charge_otpr", REG.charge_otpr, prod.charge_otpr_c * 10, "0.1degC", true },
      { "discharge_otp", REG.discharge_otp, prod.discharge_otp_c * 10, "0.1degC", true },
      { "discharge_otpr", REG.discharge_otpr, prod.discharge_otpr_c * 10, "0.1degC", true },
      { "charge_utp", REG.charge_utp, prod.charge_utp_c * 10, "0.1degC", true },
      { "charge_utpr", REG.charge_utpr, prod.charge_utpr_c * 10, "0.1degC", true },
      { "mos_otp", REG.mos_otp, prod.mos_otp_c * 10, "0.1degC", true },
      { "mos_otpr", REG.mos_otpr, prod.mos_otpr_c * 10, "0.1degC", true },
      { "charge_enable", REG.charge_enable, prod.charge_enable, "flag" },
      { "discharge_enable", REG.discharge_enable, prod.discharge_enable, "flag" },
      { "balance_enable", REG.balance_enable, prod.balance_enable, "flag" },
    }
    local wrong
    for _, e in ipairs(expected) do
      local value = read_setting(e[2], e[5])
      if not measure { name = e[1], unit = e[4], value = value, low = e[3], high = e[3] } then
        wrong = wrong or string.format("setting %s (0x%04X) reads %d, production is %d", e[1],
                                       e[2], value, round(e[3]))
      end
    end
    local heater = control_bits() & HEATER_ENABLE_BIT
    if not measure { name = "heater_enable", unit = "flag", value = heater,
                     low = prod.heater_enable,
                     high = prod.heater_enable } then
      wrong = wrong or string.format("heater enable reads %d, production is %d", heater,
                                     prod.heater_enable)
    end
    if wrong then fail(wrong) end
  end,
}
