-- Prepended to a sequence by tests/system/run_sequence_good.sh: wraps every main step so
-- that, once the step's own run has ended, it records whether the step left the fixture idle:
-- every relay open, the charger's output off, no current out of any cell channel (load,
-- heater, balancer all off). A step must leave things so itself; the teardown's safe state
-- is only the backstop.
local declare_step = step
step = function(t)
  local run = t.run
  t.run = function()
    run()
    local closed = 0
    for _, relay in pairs(fixture.relays) do
      if fixture.switch:is_closed(relay) then closed = closed + 1 end
    end
    measure { name = "relays_closed_after_step", unit = "relays", value = closed, high = 0 }
    measure { name = "charger_current_after_step", unit = "A",
              value = fixture.charger:measure_current(), low = -0.005, high = 0.005 }
    local largest = 0
    for _, amps in ipairs(fixture.cells:measure_currents(1, board.cell_count)) do
      largest = math.max(largest, math.abs(amps))
    end
    measure { name = "cell_current_after_step", unit = "A", value = largest, high = 0.005 }
  end
  declare_step(t)
end
