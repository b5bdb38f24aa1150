#!/usr/bin/env bash
# Killing the twin mid-run gives an ERROR run that names the instrument it lost first (as the
# sequence's command to it saw it, or as the fixture's watch did): no crash, no hang, and the
# partial results are stored.
. "$(dirname "$0")/lib.sh"
start_twin
release_firmware
set +e
timeout 60 "$STATION" run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2648-00017 \
  --db "$WORK/results.db" --trusted-keys "$TRUSTED" >"$WORK/run.out" 2>&1 &
station_pid=$!
for _ in $(seq 200); do
  grep -q 'main     cell-voltage-accuracy$' "$WORK/run.out" && break
  sleep 0.05
done
kill -9 "$TWIN_PID"
wait "$station_pid"
status=$?
set -e
TWIN_PID=
cat "$WORK/run.out"
expect_eq "$status" 2 "exit status of an ERROR run"
expect_grep '^ERROR  B2A24S15P-2648-00017' "$WORK/run.out"
lost='fixture\.(cells|dut|battery)|the fixture stopped answering \((electronic load|charger supply|battery emulator|cell simulator)'
expect_grep "$lost" "$WORK/run.out"
expect_eq "$(sql "select outcome from runs")" ERROR "stored outcome"
sql "select message from runs" | grep -qE "$lost" ||
  fail "the stored message does not name the instrument"
expect_eq "$(sql "select outcome from steps where name = 'identify'")" PASS \
  "steps before the failure are kept"
expect_eq "$(sql "select outcome from steps where name = 'safe-state'")" ERROR \
  "the safe state was attempted and reported"
echo "ok"
