#!/usr/bin/env bash
# The shift start: once an engineer registers golden boards for a fixture, a production run on
# it is refused before anything is touched (exit 2, one sentence naming the fixture, the shift
# and the command to run) until every golden board's check of the shift passed: the known
# good board passing with its measurements where its reference run had them, the known bad
# board failing. A check that failed refuses them too, and so does an instrument past its
# calibration due date. [shift_start] golden_check = required refuses a fixture without
# golden boards; registering and removing them needs the engineer role and is audited.
. "$(dirname "$0")/lib.sh"
GOOD=B2A24S15P-2648-90001
BAD=B2A24S15P-2648-90002
start_twin --fault-rule "$BAD=cell-offset:3:12"
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
fixture_id=$(sed -n 's/^id = //p' "$WORK/fixture.conf" | head -1)
SHIFT='shift [123] of [0-9]{4}-[0-9]{2}-[0-9]{2}'

# golden ARGS...: station golden on the test database; GOLDEN_STATUS, output in golden.out.
golden() {
  set +e
  "$STATION" golden "$@" --db "$WORK/results.db" >"$WORK/golden.out" 2>&1
  GOLDEN_STATUS=$?
  set -e
  cat "$WORK/golden.out"
}
# golden_check SERIAL [options...]: station golden check of the board on the test fixture.
golden_check() {
  local serial=$1
  shift
  set +e
  timeout 120 "$STATION" golden check --fixture "$WORK/fixture.conf" --serial "$serial" \
    --db "$WORK/results.db" --trusted-keys "$TRUSTED" --quiet "$@" >"$WORK/run.out" 2>&1
  RUN_STATUS=$?
  set -e
  cat "$WORK/run.out"
}
runs() { sql "select count(*) from runs"; }
no_step_began() { grep -qE 'setup|main ' "$WORK/run.out" && fail "$1: a step began" || true; }

# No golden board: production runs as before, unless the station requires the check.
printf '[shift_start]\ngolden_check = required\n' >"$WORK/required.conf"
station_run B2A24S15P-2648-00017 --quiet --config "$WORK/required.conf"
expect_eq "$RUN_STATUS" 2 "exit status without golden boards on a station that requires them"
expect_grep "fixture $fixture_id has no golden board, and this station tests production boards only after the shift's golden check \($SHIFT\): an engineer registers one with station golden add SERIAL --expect pass --fixture $fixture_id" \
  "$WORK/run.out"
no_step_began "required without golden boards"
station_run B2A24S15P-2648-00017 --quiet
expect_eq "$RUN_STATUS" 0 "exit status of a production run without golden boards"

# The golden boards are the engineers'.
"$STATION" user add boss --role admin --db "$WORK/results.db" --user boss >/dev/null
"$STATION" user add erin --role engineer --db "$WORK/results.db" --user boss >/dev/null
"$STATION" user add oscar --role operator --db "$WORK/results.db" --user boss >/dev/null
golden add "$GOOD" --expect pass --fixture "$fixture_id" --user oscar
expect_eq "$GOLDEN_STATUS" 64 "exit status of an operator registering a golden board"
expect_grep 'needs the engineer role' "$WORK/golden.out"
golden add "$GOOD" --expect maybe --user erin
expect_eq "$GOLDEN_STATUS" 64 "exit status of --expect maybe"
golden add "$GOOD" --expect pass --fixture "$fixture_id" --user erin
expect_eq "$GOLDEN_STATUS" 0 "exit status of registering the good board"
golden add "$BAD" --expect fail --user erin
expect_eq "$GOLDEN_STATUS" 0 "exit status of registering the bad board"

# No check yet in this shift: refused, naming both boards' commands.
before=$(runs)
station_run B2A24S15P-2648-00018 --quiet --user oscar
expect_eq "$RUN_STATUS" 2 "exit status without the shift's golden check"
expect_grep "fixture $fixture_id has no golden check for $SHIFT: run station golden check --serial $GOOD --fixture $WORK/fixture.conf and station golden check --serial $BAD --fixture $WORK/fixture.conf before testing production boards" \
  "$WORK/run.out"
no_step_began "without the golden check"
expect_eq "$(runs)" "$before" "runs stored after the refused one"

# A production serial is not a golden check.
golden_check B2A24S15P-2648-00018 --user oscar
expect_eq "$RUN_STATUS" 64 "exit status of golden check of a production board"
expect_grep "B2A24S15P-2648-00018 is not a golden board of fixture $fixture_id" "$WORK/run.out"

# The good board's first check passes and gives its reference values; the bad one is missing.
golden_check "$GOOD" --user oscar
expect_eq "$RUN_STATUS" 0 "exit status of the good board's first check"
expect_grep "Golden check of fixture $fixture_id, $SHIFT: PASS, passed; the board had no reference values" \
  "$WORK/run.out"
good_run=$(sql "select max(id) from runs where serial = '$GOOD'")
expect_eq "$(sql "select reference_run_id from golden_boards where serial = '$GOOD'")" \
  "$good_run" "the good board's reference run"
station_run B2A24S15P-2648-00018 --quiet --user oscar
expect_eq "$RUN_STATUS" 2 "exit status with the bad board not checked"
expect_grep "has no golden check for $SHIFT: run station golden check --serial $BAD --fixture" \
  "$WORK/run.out"
grep -q -- "--serial $GOOD" "$WORK/run.out" && fail "the checked good board is asked again"

# The bad board fails its run, so its check passes; production runs.
golden_check "$BAD" --user oscar
expect_eq "$RUN_STATUS" 0 "exit status of the bad board's check"
expect_grep "^FAIL  $BAD" "$WORK/run.out"
expect_grep "PASS, the known bad board failed as expected, at cell-voltage-accuracy" \
  "$WORK/run.out"
golden_check "$GOOD" --user oscar
expect_eq "$RUN_STATUS" 0 "exit status of the good board's check against its reference"
expect_grep "PASS, passed, all [0-9]+ measurements within 25 % of their band of the reference run $good_run" \
  "$WORK/run.out"
station_run B2A24S15P-2648-00018 --quiet --user oscar
expect_eq "$RUN_STATUS" 0 "exit status of a production run after the shift's golden check"
expect_eq "$(sql "select outcome || ' ' || serial from golden_checks where run_id = (select max(run_id) from golden_checks)")" \
  "PASS $GOOD" "the latest check stored"
expect_eq "$(sql "select count(distinct day || shift) from golden_checks where fixture_id = '$fixture_id'")" \
  1 "the checks' shift"

# An instrument past its calibration date refuses production however the checks went.
cp "$WORK/fixture.conf" "$WORK/fixture.calibrated"
yesterday=$(date -u -d yesterday +%F)
sed -i "/^\[dmm\]/a cal_due = $yesterday" "$WORK/fixture.conf"
station_run B2A24S15P-2648-00019 --quiet --user oscar
expect_eq "$RUN_STATUS" 2 "exit status with the DMM past its calibration date"
expect_grep "the .* \[dmm\] of fixture $fixture_id was due for calibration on $yesterday: have it calibrated" \
  "$WORK/run.out"
no_step_began "with the DMM out of calibration"
cp "$WORK/fixture.calibrated" "$WORK/fixture.conf"

# The fixture drifts: the same good board now reads cell 3 5 mV higher, well inside its
# limits but far from its reference. Its check fails, and production is refused.
kill "$TWIN_PID" && wait "$TWIN_PID" 2>/dev/null || true
rm -f "$WORK/twin.out"
start_twin --fault-rule "$BAD=cell-offset:3:12" --fault-rule "$GOOD=cell-offset:3:5"
echo "clock = virtual" >>"$WORK/fixture.conf"
golden_check "$GOOD" --user oscar
expect_eq "$RUN_STATUS" 1 "exit status of a failed golden check"
expect_grep "^PASS  $GOOD" "$WORK/run.out"
expect_grep "Golden check of fixture $fixture_id, $SHIFT: FAIL, [0-9]+ of [0-9]+ measurements moved from the reference run $good_run by more than 25 % of their band: .*cell_03_error_at" \
  "$WORK/run.out"
station_run B2A24S15P-2648-00019 --quiet --user oscar
expect_eq "$RUN_STATUS" 2 "exit status after a failed golden check"
expect_grep "the golden check of fixture $fixture_id failed in $SHIFT \($GOOD: [0-9]+ of [0-9]+ measurements moved .*\): have the fixture looked at, then run station golden check --serial $GOOD --fixture $WORK/fixture.conf" \
  "$WORK/run.out"
no_step_began "after a failed golden check"

# The station's switch lets an engineering station run without checks.
printf '[shift_start]\ngolden_check = off\n' >"$WORK/off.conf"
station_run B2A24S15P-2648-00019 --quiet --user oscar --config "$WORK/off.conf"
expect_eq "$RUN_STATUS" 0 "exit status with golden_check = off"
printf '[shift_start]\ngolden_check = sometimes\n' >"$WORK/wrong.conf"
station_run B2A24S15P-2648-00019 --quiet --user oscar --config "$WORK/wrong.conf"
expect_eq "$RUN_STATUS" 2 "exit status with golden_check = sometimes"
expect_grep "\[shift_start\] golden_check = 'sometimes' is not registered, required or off" \
  "$WORK/run.out"

# The list, and the audit of who registered and removed which board.
golden list
expect_grep "^$GOOD +pass +$fixture_id +run $good_run " "$WORK/golden.out"
expect_grep "^$BAD +fail +\(every\) +- " "$WORK/golden.out"
expect_grep "^  $fixture_id +$GOOD +$SHIFT +FAIL " "$WORK/golden.out"
golden remove "$BAD" --user oscar
expect_eq "$GOLDEN_STATUS" 64 "exit status of an operator removing a golden board"
golden remove "$BAD" --user erin
expect_eq "$GOLDEN_STATUS" 0 "exit status of removing the bad board"
expect_eq "$(sql "select group_concat(action || ' ' || actor || ' ' || coalesce(new_value, '-'), '|')
                  from (select * from audit_log where subject = '$BAD' order by id)")" \
  "golden.add erin expect=fail fixture=any reference=none|golden.remove erin -" \
  "the bad board's audit"
echo "golden boards and the shift's check: ok"
