#!/usr/bin/env bash
# The shift start in the app: on a fixture with a golden board, a production board's run is
# refused with the sentence naming the fixture, the shift and the command; the golden board's
# run is the fixture's check, its verdict shown under the board's; then production runs.
# Saves the operator view after the golden check.
. "$(dirname "$0")/lib_gui.sh"
GOOD=B2A24S15P-2648-90001
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
fixture_id=$(sed -n 's/^id = //p' "$WORK/fixture.conf" | head -1)
"$STATION" golden add "$GOOD" --expect pass --fixture "$fixture_id" --db "$WORK/results.db" \
  >/dev/null
station_gui --scan B2A24S15P-2648-00017
expect_eq "$GUI_STATUS" 2 "exit status of a production run without the shift's check"
expect_grep "fixture $fixture_id has no golden check for shift [123] of [0-9-]+: run station golden check --serial $GOOD" \
  "$WORK/gui.out"
expect_eq "$(sql "select count(*) from runs")" 0 "runs stored after the refused one"
station_gui --scan "$GOOD" --screenshot "$ARTIFACTS/operator-golden.png" --view operator
expect_eq "$GUI_STATUS" 0 "exit status of the golden board's run"
expect_grep "Golden check of fixture $fixture_id, shift [123] of [0-9-]+: PASS" "$WORK/gui.out"
expect_eq "$(sql "select outcome from golden_checks")" PASS "the stored check"
station_gui --scan B2A24S15P-2648-00017
expect_eq "$GUI_STATUS" 0 "exit status of a production run after the shift's check"
[ -s "$ARTIFACTS/operator-golden.png" ] || fail "no screenshot saved"
echo ok
