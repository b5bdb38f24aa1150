#!/usr/bin/env bash
# Lua code is interruptible everywhere: one SIGINT or SIGTERM ends a step that spins in a
# loop swallowing errors, or a sequence whose top level never ends, ABORTED (exit 3) within
# a second, with the teardown run and the fixture made safe. A step past its time limit
# (spinning, or waiting longer than the limit) ends ERROR at the limit, and teardown runs.
. "$(dirname "$0")/lib.sh"
start_twin
seqs=$SOURCE_ROOT/tests/data/sequences

# start_station SEQUENCE SERIAL: the station in the background; sets station_pid.
start_station() {
  "$STATION" run --fixture "$WORK/fixture.conf" --serial "$2" --db "$WORK/results.db" \
    --sequence "$seqs/$1" >"$WORK/run.out" 2>&1 &
  station_pid=$!
}
# interrupt SIGNAL [PATTERN]: once PATTERN is in the output (or after a second), sends
# SIGNAL and waits for the station; sets status, and took: seconds from the signal to exit.
interrupt() {
  if [ -n "${2:-}" ]; then
    for _ in $(seq 200); do
      grep -q -- "$2" "$WORK/run.out" && break
      sleep 0.05
    done
    grep -q -- "$2" "$WORK/run.out" || { cat "$WORK/run.out"; fail "never saw /$2/"; }
  fi
  sleep 0.5
  local start=$(date +%s.%N)
  kill -"$1" "$station_pid"
  set +e
  wait "$station_pid"
  status=$?
  set -e
  took=$(echo "$(date +%s.%N) - $start" | bc)
  cat "$WORK/run.out"
}
expect_fast() {
  [ -n "$took" ] && [ "$(echo "$took < 1.5" | bc)" = 1 ] || fail "$1 took ${took:-?} s"
}

n=0
for signal in INT TERM; do
  n=$((n + 1))
  serial=B2A24S15P-2648-0003$n
  start_station busy_step.lua "$serial"
  interrupt "$signal" 'log: spinning'
  expect_eq "$status" 3 "exit status after SIG$signal in a busy step"
  expect_fast "SIG$signal in a busy step"
  expect_grep '^ABORTED  '"$serial" "$WORK/run.out"
  run="select id from runs where serial = '$serial'"
  expect_eq "$(sql "select outcome from runs where serial = '$serial'")" ABORTED "stored outcome"
  expect_eq "$(sql "select outcome from steps where run_id = ($run) and name = 'spin'")" \
    ERROR "the interrupted step"
  expect_eq "$(sql "select outcome from steps where run_id = ($run) and name = 'after-spin'")" \
    PASS "teardown after SIG$signal"
  expect_eq "$(sql "select outcome from steps where run_id = ($run) and name = 'safe-state'")" \
    PASS "safe state after SIG$signal"
  expect_eq "$(printf 'OUTP1:ONOFF?\n' | timeout 5 /usr/bin/python3 -c '
import socket, sys
host, port = sys.argv[1].split("::")[1:3]
s = socket.create_connection((host, int(port)))
s.sendall(b"OUTP1:ONOFF?\n")
print(s.makefile().readline().strip())' "${RESOURCE[cellsim]}")" 0 "cell 1 output after SIG$signal"
done

# The top level of the sequence file: nothing stored, nothing touched.
start_station busy_top_level.lua B2A24S15P-2648-00040
interrupt INT
expect_eq "$status" 3 "exit status after SIGINT at the top level"
expect_fast "SIGINT at the top level"
expect_grep 'aborted by the operator while the sequence was loading' "$WORK/run.out"
expect_eq "$(sql "select count(*) from runs where serial = 'B2A24S15P-2648-00040'")" 0 \
  "runs stored for an aborted load"

# Time limits.
serial=B2A24S15P-2648-00041
start=$(date +%s.%N)
station_run "$serial" --sequence "$seqs/busy_step_limited.lua"
took=$(echo "$(date +%s.%N) - $start" | bc)
expect_eq "$RUN_STATUS" 2 "exit status of a run with a step past its limit"
expect_grep 'spin: busy_step_limited.lua:9: the step took longer than its time limit of 1 s' \
  "$WORK/run.out"
run="select id from runs where serial = '$serial'"
expect_eq "$(sql "select outcome from steps where run_id = ($run) and name = 'long-wait'")" \
  ERROR "a wait past the step's limit"
sql "select message from steps where run_id = ($run) and name = 'long-wait'" >"$WORK/msg"
expect_grep 'took longer than its time limit of 1 s' "$WORK/msg"
expect_eq "$(sql "select outcome from steps where run_id = ($run) and name = 'safe-state'")" \
  PASS "safe state after steps past their limits"
[ "$(echo "$took < 8" | bc)" = 1 ] || fail "two 1 s limits took $took s"
echo ok
