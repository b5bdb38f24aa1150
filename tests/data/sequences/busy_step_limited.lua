-- A step with a time limit of 1 s that spins, and a teardown step that waits far longer than
-- its limit of 1 s: each ends ERROR at its limit, and the teardown and safe state still run.
sequence { name = "busy-step-limited" }

step {
  name = "spin",
  time_limit = 1,
  run = function()
    while true do end
  end,
}

teardown {
  name = "long-wait",
  time_limit = 1,
  run = function()
    wait(30)
  end,
}
