-- The NTC inputs and the temperature protections, and the heater option (DESIGN.md §7
-- steps 11 and 12).
local common = require "eol.common"
local pack = require "eol.pack"
local registers = require "eol.registers"
local REG = jk.REG
local ALARM = jk.ALARM
local on_off = common.on_off
local need = common.need
local with_cleanup = common.with_cleanup
local expect = common.expect
local cells_to_rest = common.cells_to_rest
local ntc_ohm = common.ntc_ohm
local ntc_all = common.ntc_all
local program = registers.program
local int16 = registers.int16
local control_bits = registers.control_bits
local write_control_bits = registers.write_control_bits
local HEATER_ENABLE_BIT = registers.HEATER_ENABLE_BIT
local protection_check = require "eol.protection_check"
local threshold_test = protection_check.threshold_test

step {
  name = "temperature",
  -- Runs in the short-circuit step's recovery (eol.lua: overlaps): it sets the NTC
  -- emulation's resistances to temperatures inside every temperature protection's window and
  -- reads the board's three sensors, touching neither the current path nor the
  -- short-circuit protection.
  overlaps = "short-circuit",
  instruments = {},
  run = function()
    -- The NTC emulation of the switch unit: each sensor reads its own temperature.
    local lim = limits.temperature
    with_cleanup(function()
      local points = lim.sensor_points_c
      for sensor = 1, 3 do need("switch"):set_ntc(sensor, ntc_ohm(points[sensor])) end
      wait(lim.settle_s)
      local t12 = fixture.dut:read_u32(REG.T1)
      local readings = { int16(t12 >> 16) / 10, int16(t12 & 0xFFFF) / 10,
                         int16(fixture.dut:read_u32(REG.T3) >> 16) / 10 }
      for sensor = 1, 3 do
        local reading = readings[sensor]
        local open = reading <= lim.open_reading_c and " (input open)" or ""
        expect({ name = string.format("t%d_temperature", sensor), unit = "degC",
                 value = reading, low = points[sensor] - lim.accuracy_c,
                 high = points[sensor] + lim.accuracy_c },
               string.format("temperature sensor T%d reads %.1f degC at %.1f degC%s", sensor,
                             reading, points[sensor], open))
      end
    end, function() ntc_all(limits.rest.temperature_c) end)
  end,
}

step {
  name = "temperature-protections",
  instruments = { "battery" },
  run = function()
    -- The over- and under-temperature protections at the production thresholds, the NTC
    -- emulation ramping all three sensors.
    local lim, prod = limits.temperature, limits.production
    program({ { REG.CHG_OTP, prod.charge_otp_c * 10, "charge OTP (0.1 degC)" },
              { REG.CHG_OTPR, prod.charge_otpr_c * 10, "charge OTP release (0.1 degC)" },
              { REG.DSG_OTP, prod.discharge_otp_c * 10, "discharge OTP (0.1 degC)" },
              { REG.DSG_OTPR, prod.discharge_otpr_c * 10,
                "discharge OTP release (0.1 degC)" },
              { REG.CHG_UTP, prod.charge_utp_c * 10, "charge UTP (0.1 degC)" },
              { REG.CHG_UTPR, prod.charge_utpr_c * 10, "charge UTP release (0.1 degC)" } })
    cells_to_rest()
    with_cleanup(function()
      -- The NTC emulation is the reference: the temperature its resistance stands for.
      local level_c = limits.rest.temperature_c
      local function set_c(celsius)
        level_c = celsius
        ntc_all(celsius)
      end
      local function measure_temperature(trip, release, direction, effects)
        threshold_test {
          trip = trip, release = release, direction = direction, window = lim.window_c,
          resolution = lim.resolution_c, tolerance = lim.tolerance_c, unit = "degC",
          fine_band = lim.fine_band_c, fine_resolution = lim.fine_resolution_c,
          settle_s = lim.settle_s, poll_s = lim.poll_s, delay_max_s = lim.delay_max_s,
          set = set_c, reference = function() return level_c end, effects = effects,
        }
      end
      local otp = {
        { key = "charge_otp", label = "charge over-temperature", alarm = ALARM.CHG_OTP,
          mos = "charge", trip = prod.charge_otp_c, release = prod.charge_otpr_c },
        { key = "discharge_otp", label = "discharge over-temperature",
          alarm = ALARM.DSG_OTP, mos = "discharge", trip = prod.discharge_otp_c,
          release = prod.discharge_otpr_c },
      }
      -- Protections with the same thresholds are measured on one ramp.
      if otp[2].trip == otp[1].trip and otp[2].release == otp[1].release then
        measure_temperature(otp[1].trip, otp[1].release, 1, otp)
      else
        measure_temperature(otp[1].trip, otp[1].release, 1, { otp[1] })
        measure_temperature(otp[2].trip, otp[2].release, 1, { otp[2] })
      end
      measure_temperature(prod.charge_utp_c, prod.charge_utpr_c, -1,
                          { { key = "charge_utp", label = "charge under-temperature",
                              alarm = ALARM.CHG_UTP, mos = "charge" } })
      set_c(limits.rest.temperature_c)
    end, function() ntc_all(limits.rest.temperature_c) end)
  end,
}

step {
  name = "heater",
  instruments = { "battery", "dmm" },
  run = function()
    -- Below the charge under-temperature threshold the board stops charging and drives its
    -- heater output into the fixture's load the station chose for the order
    -- (board.heater_load: within 3 A and the model's power at the order's highest pack
    -- voltage). The heater's voltage across the load (the DMM) and its current (what the
    -- pack sources) are measured, its power is their product. Above it, the heater is off.
    if not board.heater then skip("order has no heater") end
    local lim, prod = limits.heater, limits.production
    local load = board.heater_load
    local dmm_relay = fixture.relays and fixture.relays.dmm_heater
    if not dmm_relay then
      error("the fixture file has no [switch] relay_dmm_heater (the DMM across the heater "
            .. "load): the heater voltage cannot be measured", 0)
    end
    local bits = control_bits()
    local cold_c = prod.charge_utp_c - limits.temperature.step_c
    local pack_v = cells_to_rest()
    -- The heater is fed from the pack: the battery emulator sources its current, at most
    -- U/R of the load.
    pack.allow(pack_v / load.ohm, 0)
    -- What the pack sources: the emulator's current (a mean of readings) and the cell
    -- stack's series current, which every channel carries (the median channel: the balancer
    -- is idle).
    local function pack_a()
      local currents = fixture.cells:measure_currents(1, board.cell_count)
      table.sort(currents)
      local sum = 0
      for _ = 1, lim.readings do sum = sum + fixture.battery:measure_current() end
      return sum / lim.readings + currents[(#currents + 1) // 2]
    end
    -- The heater current is what the pack sources beyond its idle current (the board's own
    -- supply).
    local idle_a
    local function heater_a() return pack_a() - idle_a end
    with_cleanup(function()
      program({ { REG.CHG_UTP, prod.charge_utp_c * 10, "charge UTP (0.1 degC)" },
                { REG.CHG_UTPR, prod.charge_utpr_c * 10, "charge UTP release (0.1 degC)" } })
      write_control_bits(bits | HEATER_ENABLE_BIT)
      need("dmm"):configure_voltage(lim.dmm_range_v, lim.dmm_nplc)
      idle_a = pack_a()
      need("switch"):close(load.relay, dmm_relay)
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
      local volts = fixture.dmm:read()
      local open = amps < lim.off_max_a and " (heater output open)" or ""
      expect({ name = "heater_voltage", unit = "V", value = volts,
               low = pack_v * (1 - lim.voltage_drop_max_pct / 100),
               high = pack_v * (1 + lim.voltage_over_max_pct / 100) },
             string.format("heater gives %.2f V across the %.2f Ohm load of a %.2f V pack at "
                           .. "%.1f degC%s", volts, load.ohm, pack_v, cold_c, open))
      local expected = volts / load.ohm
      expect({ name = "heater_current", unit = "A", value = amps,
               low = expected * (1 - lim.tolerance_pct / 100),
               high = math.min(expected * (1 + lim.tolerance_pct / 100),
                               lim.max_a + lim.max_uncertainty_a) },
             string.format("heater draws %.2f A at %.2f V over %.2f Ohm, U/R is %.2f A, the "
                           .. "board's maximum %.1f A%s", amps, volts, load.ohm, expected,
                           lim.max_a, open))
      local watts = volts * amps
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
      fixture.switch:open(load.relay, dmm_relay)
      ntc_all(limits.rest.temperature_c)
      write_control_bits(bits)
      pack.at_rest()
    end)
  end,
}
