#!/usr/bin/env bash
# Esc twice during a run aborts it (stored ABORTED, exit 3); a malformed barcode is refused
# in one sentence before anything is touched (exit 64, nothing stored); a database that
# cannot be opened ends the app with one sentence (exit 2).
. "$(dirname "$0")/lib_gui.sh"
start_twin
release_firmware
station_gui --scan B2A24S15P-2648-00018 --abort-after 1.5 \
  --screenshot "$ARTIFACTS/operator-aborted.png"
expect_eq "$GUI_STATUS" 3 "exit status of an aborted run"
expect_grep "^ABORTED" "$WORK/gui.out"
expect_eq "$(sql "select outcome from runs")" ABORTED "stored verdict"
station_gui --scan NOT-A-SERIAL
expect_eq "$GUI_STATUS" 64 "exit status of a wrong barcode"
expect_grep "^station-gui: .*NOT-A-SERIAL.*" "$WORK/gui.out"
expect_eq "$(grep -c '^station-gui:' "$WORK/gui.out")" 1 "one sentence"
expect_eq "$(sql "select count(*) from runs")" 1 "runs stored"
echo "not a folder" >"$WORK/plainfile"   # a parent that is a file: no database there, root or not
set +e
timeout 60 xvfb-run -a "$STATION_GUI" --db "$WORK/plainfile/results.db" >"$WORK/ro.out" 2>&1
status=$?
set -e
expect_eq "$status" 2 "exit status with a database that cannot be opened"
expect_eq "$(grep -c '^station-gui:' "$WORK/ro.out")" 1 "one sentence"
echo ok
