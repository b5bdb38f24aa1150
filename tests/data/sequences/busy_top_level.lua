-- A sequence whose top level never ends (it should only declare steps): one SIGINT or
-- SIGTERM must still end the station, ABORTED, without touching the board.
sequence { name = "busy-top-level" }

step { name = "never", run = function() end }

local n = 0
while true do
  n = n + 1
end
