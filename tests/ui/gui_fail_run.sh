#!/usr/bin/env bash
# A board whose cell 3 ADC channel is 12 mV off, through the operator view: the banner says
# FAIL, the step that failed is named, the run is stored as FAIL. Saves the view.
. "$(dirname "$0")/lib_gui.sh"
serial=B2A24S15P-2648-00099
start_twin --fault-rule "$serial=cell-offset:3:12"
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
station_gui --scan "$serial" --screenshot "$ARTIFACTS/operator-fail.png" --view operator
expect_eq "$GUI_STATUS" 1 "exit status of a failing run"
expect_grep "^FAIL   $serial run [0-9]+" "$WORK/gui.out"
expect_eq "$(sql "select outcome || ',' || first_failure from runs")" \
  "FAIL,cell-voltage-accuracy" "stored verdict"
[ -s "$ARTIFACTS/operator-fail.png" ] || fail "no screenshot saved"
echo ok
