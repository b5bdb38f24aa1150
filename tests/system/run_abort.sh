#!/usr/bin/env bash
# Ctrl-C during a run: ABORTED, remaining steps skipped, the fixture put in its safe state.
. "$(dirname "$0")/lib.sh"
start_twin
release_firmware
set +e
station_start B2A24S15P-2648-00017 "$WORK/run.out"
wait_for_step "$WORK/run.out" voltage-calibration 200
kill -INT "$STATION_PID"
wait "$STATION_PID"
status=$?
set -e
cat "$WORK/run.out"
expect_eq "$status" 3 "exit status of an aborted run"
expect_eq "$(sql "select outcome from runs")" ABORTED "stored outcome"
expect_eq "$(sql "select outcome from steps where name = 'cell-voltage-accuracy'")" SKIP \
  "steps after the abort"
expect_eq "$(sql "select outcome from steps where name = 'safe-state'")" PASS "safe state"
echo "ok"
