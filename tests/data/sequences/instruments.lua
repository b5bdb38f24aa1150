-- A sequence that uses every instrument of the fixture, for the system tests: what a
-- sequence sees through fixture.load / charger / dmm / switch must obey the board's physics.
sequence { name = "instruments" }

step {
  name = "discharge-through-path",
  run = function()
    local n = board.cell_count
    fixture.cells:set_voltages(1, n, 3.3)
    fixture.cells:output(1, n, true)
    -- The battery emulator on B+/B- carries the pack current, the cells only their taps.
    fixture.battery:set_voltage(n * 3.3)
    fixture.battery:set_limits(12, 7)
    fixture.battery:output(true)
    wait(0.3)
    fixture.switch:close(fixture.relays.load, fixture.relays.dmm_path)
    fixture.load:set_current(10)
    fixture.load:input(true)
    wait(0.2)
    local amps = fixture.load:measure_current()
    local drop = fixture.dmm:measure_voltage()
    fixture.load:input(false)
    fixture.switch:open(fixture.relays.load, fixture.relays.dmm_path)
    measure { name = "load_current", unit = "A", value = amps, low = 9.9, high = 10.1 }
    -- Ohm's law across the main path: |V| / I is the path resistance, near the datasheet.
    local mohm = math.abs(drop) / amps * 1000
    measure { name = "path_resistance", unit = "mOhm", value = mohm,
              low = board.model.path_mohm * 0.8, high = board.model.path_mohm * 1.2 }
  end,
}

step {
  name = "charge-limited-by-cc",
  run = function()
    local n = board.cell_count
    fixture.switch:close(fixture.relays.charger)
    fixture.charger:set_voltage(n * 3.3 + 2.0)
    fixture.charger:set_current(5.0)
    fixture.charger:output(true)
    wait(0.2)
    measure { name = "charger_mode", value = fixture.charger:mode(), expected = "CC" }
    measure { name = "charger_current", unit = "A", value = fixture.charger:measure_current(),
              low = 4.9, high = 5.1 }
    local live = fixture.dut:read_live()
    measure { name = "board_sees_charging", unit = "A", value = live.current_a,
              low = 4.0, high = 6.0 }
    fixture.charger:output(false)
    fixture.switch:open(fixture.relays.charger)
  end,
}

step {
  name = "ntc-emulation",
  run = function()
    fixture.switch:set_ntc(1, 10000)   -- 25 °C for a 10 kΩ, B 3435 K thermistor
    fixture.switch:set_ntc(2, 27280)   -- about 0 °C
    fixture.switch:set_ntc(3, 4160)    -- about 45 °C
    wait(0.5)
    measure { name = "relay_state_readback", value = tostring(fixture.switch:is_closed(101)),
              expected = "false" }
  end,
}
