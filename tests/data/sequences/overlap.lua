-- Overlaps for the system test of wait_overlapped() and step{overlaps}: main step "recovery"
-- pauses in a 2 s overlapped wait, in which "quick" (0.3 s) and "long" (2.5 s, so the
-- paused step goes on inside its wait) run; "after" runs alone. The board's serial picks the
-- case: ...-00062 an overlapping step that errs, ...-00063 one that waits 30 s (the test
-- aborts it), any other a good run.
sequence { name = "overlap" }

local function case() return board.serial:match("%-(%d%d%d%d%d)$") end

step {
  name = "recovery",
  run = function()
    local started = clock()
    local ok, err = pcall(function()
      wait_overlapped(2)
      -- The deadline is kept on the fixture clock, whatever the overlapping steps do.
      measure { name = "resumed_after", unit = "s", value = clock() - started, low = 2,
                high = 2.02 }
      wait(0.5)
    end)
    -- Its cleanup runs also when it is stopped in its wait.
    measure { name = "recovery_cleanup", value = "ran", expected = "ran" }
    if not ok then error(err, 0) end
  end,
}

step {
  name = "quick",
  overlaps = "recovery",
  run = function()
    if case() == "00062" then error("the quick check cannot be completed", 0) end
    wait(case() == "00063" and 30 or 0.3)
    measure { name = "quick_done", value = "yes", expected = "yes" }
  end,
}

step {
  name = "long",
  overlaps = "recovery",
  run = function()
    local started = clock()
    wait(2.5)
    -- The paused step went on inside this wait and ended before it: this wait is as long.
    measure { name = "long_wait", unit = "s", value = clock() - started, low = 2.5,
              high = 2.52 }
  end,
}

step {
  name = "after",
  run = function() wait(0.1) end,
}

teardown {
  name = "after-all",
  run = function() measure { name = "teardown_ran", value = "yes", expected = "yes" } end,
}
