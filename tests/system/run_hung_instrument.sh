#!/usr/bin/env bash
# A fixture that hangs mid-run (the twin stopped with SIGSTOP: every instrument accepts bytes
# and never answers) costs each instrument one timeout: the run reaches an ERROR verdict in
# bounded time, shows and stores it, and says what could not be made safe. After the fixture
# recovers (SIGCONT) the next board passes.
. "$(dirname "$0")/lib.sh"
start_twin
release_firmware
set +e
station_start B2A24S15P-2648-00017 "$WORK/run.out"
wait_for_step "$WORK/run.out" cell-connections
kill -STOP "$TWIN_PID"
fault=$(date +%s.%N)
wait "$STATION_PID"
status=$?
verdict=$(date +%s.%N)
kill -CONT "$TWIN_PID"
set -e
cat "$WORK/run.out"
seconds=$(echo "$verdict - $fault" | bc)
echo "fault to verdict: $seconds s (target: the instrument timeout, 1 s, + 1 s)"
expect_eq "$status" 2 "exit status with the fixture hung"
expect_grep "^ERROR +B2A24S15P-2648-00017 .* stored in" "$WORK/run.out"
expect_eq "$(sql "select outcome from runs")" ERROR "stored outcome"
sql "select message from runs" | grep -q "could not be made safe" ||
  fail "the stored message does not say the fixture could not be made safe"
# A hang guard, not the benchmark (bench_fault_to_verdict.sh): without the bounds it took
# 26 s, with the fixture watch under 2 s.
awk -v s="$seconds" 'BEGIN { exit !(s < 5) }' || fail "the verdict took $seconds s"

station_run B2A24S15P-2648-00018
expect_eq "$RUN_STATUS" 0 "the next board after the fixture recovered"
echo "ok"
