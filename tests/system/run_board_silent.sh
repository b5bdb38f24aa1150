#!/usr/bin/env bash
# A board that stops answering in the middle of a run (it answered at identify, then its
# link goes silent) ends the run ERROR, not FAIL: the station could not finish testing it.
# The message names the board link, the fixture is made safe and the results so far stay.
. "$(dirname "$0")/lib.sh"
start_twin
release_firmware
set +e
"$STATION" run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2648-00017 \
  --db "$WORK/results.db" --trusted-keys "$TRUSTED" >"$WORK/run.out" 2>&1 &
station_pid=$!
for _ in $(seq 400); do
  grep -q 'main     current-calibration$' "$WORK/run.out" && break
  sleep 0.05
done
# The board stays in the fixture but its RS485 link falls silent.
set -e
host_port=${CONTROL#TCPIP::}
host=${host_port%%::*}; port=${host_port#*::}; port=${port%%::*}
exec 6<>"/dev/tcp/$host/$port"
printf 'SIM:BOARD:LINK OFF\n' >&6
exec 6>&-
set +e
wait "$station_pid"
status=$?
set -e
cat "$WORK/run.out"
expect_eq "$status" 2 "exit status when the board falls silent"
expect_eq "$(sql "select outcome from runs")" ERROR "stored outcome"
sql "select message from runs" | grep -q 'fixture.dut' ||
  fail "the stored message does not name the board link"
expect_eq "$(sql "select outcome from steps where name = 'identify'")" PASS \
  "steps before the silence are kept"
expect_eq "$(sql "select outcome from steps where name = 'safe-state'")" PASS \
  "the fixture is made safe"
echo "ok"
