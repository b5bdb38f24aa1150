#!/usr/bin/env bash
# Bad input is refused with a message saying what was expected, and nothing is stored.
. "$(dirname "$0")/lib.sh"
start_twin
for serial in "B2A24S15P-2648-0017" "B2A24S15P-2660-00017" "B2A24S99P-2648-00017" "hello"; do
  station_run "$serial"
  expect_eq "$RUN_STATUS" 2 "exit status for serial '$serial'"
  expect_grep "serial" "$WORK/run.out"
done
station_run "B2A24S15P-2648-0017"
expect_grep 'expected five digits' "$WORK/run.out"
station_run "B2A24S99P-2648-00017"
expect_grep "unknown model 'B2A24S99P'" "$WORK/run.out"
[ ! -f "$WORK/results.db" ] || expect_eq "$(sql "select count(*) from runs")" 0 "stored runs"

# A sequence with a script error: ERROR naming the file and line, fixture made safe.
cat >"$WORK/broken.lua" <<'LUA'
sequence { name = "broken" }
step { name = "typo", run = function()
  fixture.cells:set_voltages(1, board.cell_count, 3.3)
  local x = nil
  return x.field
end }
LUA
station_run B2A24S15P-2648-00017 --sequence "$WORK/broken.lua"
expect_eq "$RUN_STATUS" 2 "exit status of a script error"
expect_grep 'broken.lua:5:' "$WORK/run.out"
expect_eq "$(sql "select outcome from steps where name = 'safe-state' order by id desc limit 1")" \
  PASS "safe state after a script error"

# A sequence that tries to leave its sandbox.
printf 'step { name = "escape", run = function() os.execute("true") end }\n' >"$WORK/escape.lua"
station_run B2A24S15P-2648-00017 --sequence "$WORK/escape.lua"
expect_eq "$RUN_STATUS" 2 "exit status of a sandbox escape"
expect_grep "escape.lua:1: .*global 'os'" "$WORK/run.out"
echo "ok"
