#!/usr/bin/env bash
# The quality view of the app on a database of real twin runs (good boards, a board with an
# offset cell channel that fails and fails again on its retest): station-gui opens it with
# --view quality, waits for its reports and saves it as a picture.
. "$(dirname "$0")/lib_gui.sh"
bad=B2A24S15P-2648-00098
start_twin --fault-rule "$bad=cell-offset:3:12"
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
for serial in B2A24S15P-2648-00001 B2A24S15P-2648-00002 "$bad" B2A24S15P-2648-00003 "$bad"; do
  station_run "$serial" >/dev/null
done
expect_eq "$(sql "select count(*) from runs where outcome in ('PASS', 'FAIL')")" 5 "runs stored"
station_gui --screenshot "$ARTIFACTS/quality.png" --view quality
expect_eq "$GUI_STATUS" 0 "exit status of the quality view's screenshot"
[ -s "$ARTIFACTS/quality.png" ] || fail "no screenshot saved"
echo ok
