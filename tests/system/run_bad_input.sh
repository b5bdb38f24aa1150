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

# Limits are checked before the board is touched: a value of the wrong kind, a key whose name
# is misspelt and a key the sequence reads that is missing are each refused at start, naming
# the file, the group and the key; no run is stored and the cells stay off.
limits=$SOURCE_ROOT/sequences/limits.conf
sed 's/^headroom_v = .*/headroom_v = abc/' "$limits" >"$WORK/wrong_kind.conf"
sed '0,/^boot_s = /s//boot_sec = /' "$limits" >"$WORK/misspelt.conf"
sed '/^boot_s = /d' "$limits" >"$WORK/missing.conf"
check_limits() {
  local before
  before=$(sql "select count(*) from runs")
  station_run B2A24S15P-2648-00017 --limits "$WORK/$1"
  expect_eq "$RUN_STATUS" 2 "exit status with $1"
  expect_grep "$2" "$WORK/run.out"
  expect_eq "$(sql "select count(*) from runs")" "$before" "no run stored with $1"
  grep -q "power-on" "$WORK/run.out" && fail "the board was powered with $1"
  return 0
}
check_limits wrong_kind.conf "wrong_kind.conf: \\[charger\\] headroom_v = 'abc' is not a number"
check_limits misspelt.conf "misspelt.conf: \\[power_on\\] boot_sec is not a limit the sequence reads"
check_limits missing.conf "missing.conf: \\[power_on\\] has no boot_s, which the sequence reads as number"

# The board link and the boot link swapped in the fixture file: the station's fault, so the
# run is ERROR naming both links, never a FAIL of the board.
release_firmware
awk -v dut="${RESOURCE[rs485]}" -v boot="${RESOURCE[boot]}" '
  /^\[/ { group = $0 }
  group == "[dut]" && /^resource/ { print "resource = " boot "?baud=115200"; next }
  group == "[boot]" && /^resource/ { print "resource = " dut "?baud=115200"; next }
  { print }' "$WORK/fixture.conf" >"$WORK/swapped.conf"
# run_on_fixture FILE SERIAL: a run on another fixture file; its exit status in $status.
run_on_fixture() {
  set +e
  timeout 120 "$STATION" run --fixture "$WORK/$1" --serial "$2" \
    --db "$WORK/results.db" --trusted-keys "$TRUSTED" >"$WORK/run.out" 2>&1
  status=$?
  set -e
  cat "$WORK/run.out"
}
run_on_fixture swapped.conf B2A24S15P-2648-00021
expect_eq "$status" 2 "exit status with the links swapped"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome from runs where id = $run")" ERROR "stored outcome, links swapped"
sql "select message from runs where id = $run" |
  grep -q "the fixture file has the two links swapped" ||
  fail "the message does not say the links are swapped: $(sql "select message from runs where id = $run")"
expect_eq "$(sql "select count(*) from steps where run_id = $run and outcome = 'FAIL'")" 0 \
  "no step FAILs with the links swapped"
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'safe-state'")" \
  PASS "safe state with the links swapped"

# A fixture file without the current digitizer the short-circuit step needs: refused before
# the board is touched (exit 2), naming the file and the missing group; nothing stored.
awk '/^\[/ { group = $0 } group != "[digitizer]" { print }' "$WORK/fixture.conf" \
  >"$WORK/no_digitizer.conf"
runs=$(sql "select count(*) from runs")
run_on_fixture no_digitizer.conf B2A24S15P-2648-00022
expect_eq "$status" 2 "exit status without a [digitizer] group"
expect_grep "no_digitizer.conf: no \\[digitizer\\] group; sequence jk-eol needs the fixture's \
current digitizer" "$WORK/run.out"
grep -q "power-on" "$WORK/run.out" && fail "the board was powered without a digitizer"
expect_eq "$(sql "select count(*) from runs")" "$runs" "runs stored without a digitizer"
echo "ok"
