#!/usr/bin/env bash
# Ctrl-C during a run: ABORTED, remaining steps skipped, the fixture put in its safe state.
. "$(dirname "$0")/lib.sh"
start_twin
release_firmware
set +e
"$STATION" run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2648-00017 \
  --db "$WORK/results.db" --trusted-keys "$TRUSTED" >"$WORK/run.out" 2>&1 &
station_pid=$!
for _ in $(seq 200); do
  grep -q 'main     voltage-calibration$' "$WORK/run.out" && break
  sleep 0.05
done
kill -INT "$station_pid"
wait "$station_pid"
status=$?
set -e
cat "$WORK/run.out"
expect_eq "$status" 3 "exit status of an aborted run"
expect_eq "$(sql "select outcome from runs")" ABORTED "stored outcome"
expect_eq "$(sql "select outcome from steps where name = 'cell-voltage-accuracy'")" SKIP \
  "steps after the abort"
expect_eq "$(sql "select outcome from steps where name = 'safe-state'")" PASS "safe state"
echo "ok"
