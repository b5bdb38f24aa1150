-- A step without a time limit of its own that takes 4 s on the planning board and never
-- ends on any other: `station plan` measures it, and a run past its planned limit ends it
-- ERROR at that limit; the teardown and safe state still run. For the system test of the
-- time limits the plan gives.
sequence { name = "plan-overrun" }

step {
  name = "settle",
  run = function()
    if board.serial:match("%-2601%-99999$") then
      wait(4)
    else
      log("waiting for ever")
      wait(3600)
    end
  end,
}

teardown {
  name = "after-settle",
  run = function()
    measure { name = "teardown_ran", value = "yes", expected = "yes" }
  end,
}
