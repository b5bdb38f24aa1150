#!/usr/bin/env bash
# Benchmark: from a fixture fault to the verdict on the operator's screen. The whole twin is
# stopped (SIGSTOP: every instrument and the board accept bytes and never answer) at several
# points of a real-time run; the time from the stop to the station's exit is the fault-to-
# verdict time (target: one instrument timeout, 1 s, + 1 s = 2 s). Each run must end ERROR
# and be stored. Prints each figure and the worst against the target; exits 1 when missed.
. "$(dirname "$0")/../system/lib.sh"
start_twin
release_firmware
missed=0 worst=0 n=0
printf '%-22s %10s  %s\n' "FAULT DURING" "SECONDS" VERDICT
for step in identify cell-connections charge-overcurrent balance; do
  n=$((n + 1))
  serial=$(printf 'B2A24S15P-2648-%05d' $((300 + n)))
  set +e
  station_start "$serial" "$WORK/run-$n.out"
  wait_for_step "$WORK/run-$n.out" "$step" 2400
  kill -STOP "$TWIN_PID"
  fault=$(date +%s.%N)
  wait "$STATION_PID"
  status=$?
  verdict=$(date +%s.%N)
  kill -CONT "$TWIN_PID"
  set -e
  grep -q "main     $step\$" "$WORK/run-$n.out" ||
    { cat "$WORK/run-$n.out"; fail "the run never reached $step"; }
  seconds=$(echo "$verdict - $fault" | bc)
  outcome=$(sql "select outcome from runs where serial = '$serial'")
  printf '%-22s %10.2f  %s (exit %d)\n' "$step" "$seconds" "$outcome" "$status"
  [ "$status" -eq 2 ] && [ "$outcome" = ERROR ] || { cat "$WORK/run-$n.out"; missed=1; }
  worst=$(awk -v a="$worst" -v b="$seconds" 'BEGIN {print (b > a) ? b : a}')
  # The twin answers again: let its instruments drain what the stopped run sent.
  sleep 1
done
echo
echo "fault to verdict, worst of $n: $worst s (target <= 2 s)"
awk -v s="$worst" 'BEGIN {exit !(s <= 2)}' || missed=1
exit $missed
