-- Prepended to a sequence by tests/system/run_sequence_good.sh: wraps every main step so
-- that, once the step's own run has ended, it records whether the step left the fixture idle:
-- every relay open, the charger's output off, no pack current (load, heater off) and no tap
-- current out of any cell channel (balancer off). A step must leave things so itself; the
-- teardown's safe state is only the backstop.
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
    -- Every channel carries the stack's series current (the stack shares the pack with the
    -- battery emulator); beyond it, a channel's tap current.
    local currents = fixture.cells:measure_currents(1, board.cell_count)
    local sorted = { table.unpack(currents) }
    table.sort(sorted)
    local series = sorted[(#sorted + 1) // 2]
    local largest = 0
    for _, amps in ipairs(currents) do largest = math.max(largest, math.abs(amps - series)) end
    measure { name = "cell_current_after_step", unit = "A", value = largest, high = 0.005 }
    -- What the pack sources: the emulator and the stack; its readback has 30 mA of offset.
    measure { name = "pack_current_after_step", unit = "A",
              value = fixture.battery:measure_current() + series, low = -0.1, high = 0.1 }
  end
  declare_step(t)
end
