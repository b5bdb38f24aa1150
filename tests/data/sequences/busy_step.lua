-- A step that never ends by itself: it energises the cells, then spins in a loop that
-- swallows every error it can. Only the station's interrupt (abort, time limit) ends it; the
-- teardown must still run. For the system tests of interrupts and step time limits.
sequence { name = "busy-step" }

step {
  name = "energise",
  run = function()
    fixture.cells:set_voltages(1, board.cell_count, 3.3)
    fixture.cells:output(1, board.cell_count, true)
    log("cells energised")
  end,
}

step {
  name = "spin",
  run = function()
    log("spinning")
    local n = 0
    while true do
      pcall(function() n = n + 1 end)
    end
  end,
}

teardown {
  name = "after-spin",
  run = function()
    measure { name = "teardown_ran", value = "yes", expected = "yes" }
  end,
}
