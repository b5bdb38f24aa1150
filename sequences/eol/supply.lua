-- The board's own consumption from its supply (DESIGN.md §7, "board current consumption"):
-- the DMM's current input in series with the board's B+ lead (relay_dmm_supply; the lead is
-- bridged while the relay is open, so the board never loses its supply when it switches),
-- read with the board awake and both MOSFETs driven (operating: MCU, AFE, RS485 and the gate
-- drive) and with both held off (standby). What the gate drive takes is their difference.
-- It runs after the protections, temperatures and balance are proven, with the cells at rest:
-- a board whose own protection holds a MOSFET off (a cell above its OVP setting, an NTC that
-- reads cold) draws the standby current plus half the gate drive, which would read as a weak
-- gate driver here instead of failing the step that tests that protection.
local common = require "eol.common"
local registers = require "eol.registers"
local need = common.need
local with_cleanup = common.with_cleanup
local expect = common.expect
local pack = require "eol.pack"
local REG = registers.REG

-- mA, the mean of the DMM's readings, one per board sample: the board's current changes at
-- each of its 100 ms samples, so readings within one sample would average nothing.
local function supply_ma(lim)
  local sum = 0
  for _ = 1, lim.readings do
    wait(lim.reading_interval_s)
    sum = sum + fixture.dmm:read()
  end
  return sum / lim.readings * 1000
end

-- The alarm bits the board reports, by name, for a message.
local function alarm_names(alarms)
  local names = {}
  for name, bit in pairs(registers.ALARM) do
    if alarms & bit ~= 0 then table.insert(names, name) end
  end
  table.sort(names)
  return #names > 0 and table.concat(names, ", ") or "none"
end

-- Both MOSFET enables to `charge` and `discharge` (0 or 1); FALSE and why on a refusal.
local function enables(charge, discharge)
  local ok, why = fixture.dut:write_u32(REG.CHARGE_ENABLE, charge)
  if ok then ok, why = fixture.dut:write_u32(REG.DISCHARGE_ENABLE, discharge) end
  return ok, why
end

step {
  name = "supply-current",
  instruments = { "battery", "dmm" },
  run = function()
    local lim = limits.supply
    local relay = fixture.relays and fixture.relays.dmm_supply
    if not relay then
      error("the fixture file has no [switch] relay_dmm_supply (the DMM's current input in "
            .. "the board's B+ lead): the board's supply current cannot be measured", 0)
    end
    local charge, discharge = registers.read("CHARGE_ENABLE"), registers.read("DISCHARGE_ENABLE")
    with_cleanup(function()
      common.cells_to_rest()
      need("dmm"):configure_current(lim.dmm_range_a, lim.dmm_nplc)
      need("switch"):close(relay)
      wait(lim.settle_s)
      local live = fixture.dut:read_live()
      if not (live.charge_mos and live.discharge_mos) then
        fail(string.format("the board holds its MOSFETs %s/%s (charge/discharge) with both "
                           .. "enabled and its cells at rest (alarms: %s): its operating "
                           .. "current cannot be measured", common.on_off(live.charge_mos),
                           common.on_off(live.discharge_mos), alarm_names(live.alarms)))
      end
      local operating = supply_ma(lim)
      expect({ name = "supply_operating_current", unit = "mA", value = operating,
               low = lim.operating_min_ma, high = lim.operating_max_ma },
             string.format("the board draws %.2f mA from B+ awake with its MOSFETs %s/%s, "
                           .. "%.2f..%.2f mA allowed", operating,
                           common.on_off(live.charge_mos), common.on_off(live.discharge_mos),
                           lim.operating_min_ma, lim.operating_max_ma))

      local ok, why = enables(0, 0)
      if not ok then fail("the board refused its MOSFET enables off: " .. tostring(why)) end
      wait(lim.mos_settle_s)
      local standby = supply_ma(lim)
      expect({ name = "supply_standby_current", unit = "mA", value = standby,
               low = lim.standby_min_ma, high = lim.standby_max_ma },
             string.format("the board draws %.2f mA from B+ with both MOSFETs off, %.2f..%.2f "
                           .. "mA allowed (a leaking gate network or regulator)", standby,
                           lim.standby_min_ma, lim.standby_max_ma))
      local gate = operating - standby
      expect({ name = "supply_gate_drive_current", unit = "mA", value = gate,
               low = lim.gate_drive_min_ma },
             string.format("the MOSFETs' gate drive takes %.2f mA, at least %.2f mA expected "
                           .. "(gate driver or charge pump not running)", gate,
                           lim.gate_drive_min_ma))
      ok, why = enables(charge, discharge)
      if not ok then fail("the board refused its MOSFET enables back: " .. tostring(why)) end
      wait(lim.mos_settle_s)
      fixture.switch:open(relay)
    end, function()
      enables(charge, discharge)
      fixture.switch:open(relay)
    end)
  end,
}

-- Each cell input's leakage (µA), read with the board asleep and the stack alone on B+/B-:
-- every channel then gives what the board draws from B+ (the DMM in its B+ lead reads it)
-- and, on top, what its own cell input leaks across its cell, a loop that closes inside the
-- channel. The channels read such currents on their low range, ±(0.05 % + 30 nA).
local function input_leakage(lim)
  wait(lim.leak_settle_s)
  local n = board.cell_count
  local total, supply = {}, 0
  for i = 1, n do total[i] = 0 end
  for _ = 1, lim.readings do
    supply = supply + fixture.dmm:read()
    local amps = need("cells"):measure_currents(1, n)
    for i = 1, n do total[i] = total[i] + amps[i] end
  end
  supply = supply / lim.readings
  -- Every cell is recorded; the message names the worst one.
  local worst, worst_ua
  for i = 1, n do
    local leak_ua = (total[i] / lim.readings - supply) * 1e6
    if not measure { name = string.format("cell_%02d_input_leakage", i), unit = "uA",
                     value = leak_ua, low = lim.leak_min_ua, high = lim.leak_max_ua }
       and (not worst or math.abs(leak_ua) > math.abs(worst_ua)) then
      worst, worst_ua = i, leak_ua
    end
  end
  if worst then
    fail(string.format("cell input %d leaks %.2f µA across its cell, %.2f..%.2f µA allowed%s",
                       worst, worst_ua, lim.leak_min_ua, lim.leak_max_ua,
                       worst_ua > lim.leak_max_ua
                       and ": a part on its sense or balance lead leaks (filter capacitor, "
                           .. "balance switch)"
                       or ": the channel's current does not add up (check the tap contact)"))
  end
end

step {
  name = "sleep-current",
  instruments = { "battery", "dmm" },
  run = function()
    -- The board's low-power state is the one its shutdown command 0x1604 puts it in
    -- (DESIGN.md §5): both MOSFETs off, asleep from its next sample, RS485 silent, until a
    -- reset or a power-on. Its current is read on the DMM's lowest range once it has fallen
    -- from the standby mA; NRST from the switch unit wakes the board again (the cleanup too,
    -- when the step ends early, so the steps after it find the board awake). Still asleep,
    -- its cell inputs' leakage is read: below the board's µA the channels' low range reads it.
    local lim = limits.sleep
    local relay = fixture.relays and fixture.relays.dmm_supply
    if not relay then
      error("the fixture file has no [switch] relay_dmm_supply (the DMM's current input in "
            .. "the board's B+ lead): the board's sleep current cannot be measured", 0)
    end
    local function wake()
      fixture.switch:reset(true)
      wait(lim.reset_pulse_s)
      fixture.switch:reset(false)
      wait(lim.wake_s)
    end
    local asleep, stack_alone = false, false
    with_cleanup(function()
      need("dmm"):configure_current(lim.dmm_range_a, lim.dmm_nplc)
      need("switch"):close(relay)
      local ok, why = fixture.dut:write_u16(REG.CMD_SHUTDOWN, 1)
      if not ok then fail("the board refused its shutdown command (0x1604): " .. tostring(why)) end
      asleep = true
      wait(lim.entry_s)
      local sum = 0
      for _ = 1, lim.readings do sum = sum + fixture.dmm:read() end
      local sleep_ua = sum / lim.readings * 1e6
      expect({ name = "supply_sleep_current", unit = "uA", value = sleep_ua,
               low = lim.min_ua, high = lim.max_ua },
             string.format("the board draws %.1f µA from B+ asleep, %.1f..%.1f µA allowed%s",
                           sleep_ua, lim.min_ua, lim.max_ua,
                           sleep_ua > lim.max_ua and " (a part on its always-on rail leaks)"
                           or " (not asleep through the DMM)"))
      stack_alone = true
      pack.emulator(false)
      input_leakage(lim)
      pack.emulator(true)
      stack_alone = false
      wake()
      asleep = false
      fixture.switch:open(relay)
      local live = fixture.dut:read_live()
      if not (live.charge_mos and live.discharge_mos) then
        fail(string.format("after its wake-up reset the board holds its MOSFETs %s/%s",
                           common.on_off(live.charge_mos), common.on_off(live.discharge_mos)))
      end
    end, function()
      if stack_alone then pack.emulator(true) end
      if asleep then wake() end
      fixture.switch:open(relay)
    end)
  end,
}
