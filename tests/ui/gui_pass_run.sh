#!/usr/bin/env bash
# A good board through the operator view: the scanner types the serial and Enter (the model
# is recognised), Enter starts, the banner says PASS, the step list holds every step, and the
# run is stored as PASS. Saves the operator view after the run.
. "$(dirname "$0")/lib_gui.sh"
serial=B2A24S15P-2648-00017
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
station_gui --scan "$serial" --screenshot "$ARTIFACTS/operator-pass.png" --view operator
expect_eq "$GUI_STATUS" 0 "exit status of a passing run"
expect_grep "^PASS   $serial run [0-9]+: Scan the next board" "$WORK/gui.out"
expect_eq "$(sql "select outcome from runs")" PASS "stored verdict"
expect_eq "$(sql "select count(*) from steps where outcome = 'PASS'") -gt 10" \
  "$(sql "select count(*) from steps where outcome = 'PASS'") -gt 10" "steps"
[ "$(sql "select count(*) from steps")" -gt 10 ] || fail "fewer than 11 steps stored"
[ -s "$ARTIFACTS/operator-pass.png" ] || fail "no screenshot saved"
echo ok
