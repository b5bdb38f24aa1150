-- The MOS over-temperature protection (DESIGN.md §7, protections measured): the fixture
-- cannot heat the MOSFETs, so the protection is checked at test settings around what the
-- board's own MOS sensor reads. The release setting goes to the bottom of its range, then
-- the over-temperature setting steps down from above the reading until the board trips: it
-- must trip where the setting meets its reading, within its delay, with both MOSFETs off.
-- The production settings are written back at once (the board releases) and are verified by
-- read-back in final-configuration.
local common = require "eol.common"
local registers = require "eol.registers"
local REG = jk.REG
local ALARM = jk.ALARM
local on_off = common.on_off
local with_cleanup = common.with_cleanup
local expect = common.expect
local program = registers.program

local function holding(live) return (live.alarms & ALARM.MOS_OTP) ~= 0 end

step {
  name = "mos-overtemperature",
  instruments = {},
  run = function()
    local lim, prod = limits.mos_overtemperature, limits.production
    local fmt = string.format
    local function production()
      program({ { REG.MOS_OTP, prod.mos_otp_c * 10, "MOS OTP (0.1 degC)" },
                { REG.MOS_OTPR, prod.mos_otpr_c * 10, "MOS OTP release (0.1 degC)" } })
    end
    local reading = fixture.dut:read_live().mos_temp_c
    -- The trip setting must go below the reading while staying above the release setting.
    local lowest = lim.release_setting_c + lim.resolution_c
    if reading < lowest + lim.resolution_c then
      error(fmt("the MOS over-temperature cannot be tested: the board's MOS sensor reads "
                .. "%.1f degC, too close to the lowest setting it takes (%g degC); the fixture's "
                .. "air is too cold", reading, lowest), 0)
    end
    local bottom = math.max(reading - lim.window_c, lowest)
    log(fmt("MOS over-temperature measured at test settings around the sensor's %.1f degC; "
            .. "the production %g/%g degC are verified by read-back in final-configuration",
            reading, prod.mos_otp_c, prod.mos_otpr_c))
    -- Polls until the protection holds (want) or delay_max_s have passed since the setting;
    -- returns the seconds it took (nil: it did not) and the last read.
    local function poll_until(want)
      local started, live = clock()
      repeat
        wait(lim.poll_s)
        live = fixture.dut:read_live()
      until holding(live) == want or clock() - started > lim.delay_max_s
      return holding(live) == want and clock() - started or nil, live
    end
    local function set_trip(celsius)
      program({ { REG.MOS_OTP, celsius * 10, "MOS OTP (0.1 degC)" } })
    end
    -- The production settings back; the board must let go within its delay.
    local function release(what)
      production()
      local took, live = poll_until(false)
      if not took then
        fail(fmt("MOS over-temperature still holds %g s after the production settings (%s)",
                 lim.delay_max_s, what))
      end
      return took, live
    end
    with_cleanup(function()
      -- 1. The release below everything (the setting pair stays ordered), the trip setting
      --    above the reading: nothing holds.
      program({ { REG.MOS_OTPR, lim.release_setting_c * 10, "MOS OTP release (0.1 degC)" } })
      local setting = math.floor((reading + lim.window_c) / lim.resolution_c) * lim.resolution_c
      set_trip(setting)
      wait(lim.settle_s)
      local live = fixture.dut:read_live()
      if holding(live) then
        fail(fmt("MOS over-temperature trips at a %.1f degC setting, %.1f degC above its "
                 .. "sensor's %.1f degC", setting, setting - live.mos_temp_c, live.mos_temp_c))
      end
      -- 2. The trip setting steps down until the board trips: where it meets the reading.
      local tripped
      while not tripped and setting - lim.resolution_c >= bottom do
        setting = setting - lim.resolution_c
        set_trip(setting)
        tripped, live = poll_until(true)
      end
      -- It tripped within the last step; one that did not trips below the last setting, if
      -- at all.
      local trip = setting + (tripped and 1 or -1) * lim.resolution_c / 2
      local symptom = fmt("MOS over-temperature trips at a %.2f degC setting, its sensor reads "
                          .. "%.1f degC", trip, live.mos_temp_c)
      if not tripped then
        symptom = fmt("MOS over-temperature does not trip at a %.1f degC setting, its sensor "
                      .. "reads %.1f degC", setting, live.mos_temp_c)
      end
      expect({ name = "mos_otp_trip", unit = "degC", value = trip,
               low = live.mos_temp_c - lim.tolerance_c, high = live.mos_temp_c + lim.tolerance_c },
             symptom)
      if not tripped then fail(symptom) end
      release("after the trip point")
      -- 3. Well past the reading: the delay, both MOSFETs off, then the release delay.
      program({ { REG.MOS_OTPR, lim.release_setting_c * 10, "MOS OTP release (0.1 degC)" } })
      set_trip(bottom)
      local delay
      delay, live = poll_until(true)
      if not delay then
        fail(fmt("MOS over-temperature does not trip within %g s at a %.1f degC setting, its "
                 .. "sensor reads %.1f degC", lim.delay_max_s, bottom, live.mos_temp_c))
      end
      expect({ name = "mos_otp_delay", unit = "s", value = delay, low = 0,
               high = lim.delay_max_s },
             fmt("MOS over-temperature takes %.3f s to trip", delay))
      for _, mos in ipairs({ "charge", "discharge" }) do
        local on = live[mos .. "_mos"]
        expect({ name = "mos_otp_tripped_" .. mos .. "_mos", value = on_off(on),
                 expected = "off" },
               fmt("%s MOSFET %s while MOS over-temperature holds", mos, on_off(on)))
      end
      local took = release("after the delay")
      measure { name = "mos_otp_release_delay", unit = "s", value = took, low = 0,
                high = lim.delay_max_s }
    end, production)
  end,
}
