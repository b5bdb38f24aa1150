#!/usr/bin/env bash
# A step without a time_limit of its own gets one from the plan of the run's model and order:
# station plan stores each step's planned time and shows the limit it gives; a run whose step
# takes longer than that ends the step ERROR at the limit, naming the step and the limit, and
# reaches its teardown and safe state. Without a stored plan the step gets the fallback.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = real" >>"$WORK/fixture.conf"
seq=$SOURCE_ROOT/tests/data/sequences/plan_overrun.lua
serial=B2A24S15P-2648-00051

"$STATION" plan --model B2A24S15P --sequence "$seq" --fixture "$WORK/fixture.conf" \
  >"$WORK/plan.out" 2>&1 || { cat "$WORK/plan.out"; fail "station plan failed"; }
cat "$WORK/plan.out"
read -r takes limit from < <(awk '$1 == "main" && $2 == "settle" {print $4, $8, $9}' "$WORK/plan.out")
need_number "planned time and time limit of the step" "${takes:-}" "${limit:-}"
expect_eq "$from" plan "where the step's time limit comes from"
# 3 x the planned time + 5 s: above the 15 s floor for a 4 s step.
awk -v t="$takes" -v l="$limit" 'BEGIN {exit !(t >= 4 && t < 4.1 && (l - (3 * t + 5))^2 < 0.01)}' ||
  fail "a step planned at $takes s got a time limit of $limit s, not 3 x $takes + 5 s"
expect_grep '^teardown +safe-state .* built-in *$' "$WORK/plan.out"
expect_grep '^plan stored in ' "$WORK/plan.out"

start=$(date +%s.%N)
station_run "$serial" --sequence "$seq"
took=$(echo "$(date +%s.%N) - $start" | bc)
expect_eq "$RUN_STATUS" 2 "exit status of a run with a step past its planned limit"
expect_grep "settle: plan_overrun.lua:[0-9]+: (wait: )?the step took longer than its time limit of ${limit%.*}(\.[0-9]+)? s \(the plan's: 3 x " \
  "$WORK/run.out"
run="select id from runs where serial = '$serial'"
expect_eq "$(sql "select outcome from runs where serial = '$serial'")" ERROR "stored outcome"
expect_eq "$(sql "select outcome from steps where run_id = ($run) and name = 'settle'")" \
  ERROR "the step past its planned limit"
expect_eq "$(sql "select outcome from steps where run_id = ($run) and name = 'after-settle'")" \
  PASS "teardown after the step past its limit"
expect_eq "$(sql "select outcome from steps where run_id = ($run) and name = 'safe-state'")" \
  PASS "safe state after the step past its limit"
awk -v t="$took" -v l="$limit" 'BEGIN {exit !(t >= l && t < l + 10)}' ||
  fail "a run with a $limit s step limit took $took s"
grep -q 'no plan for' "$WORK/run.out" && fail "the run did not find the stored plan"

# Another order of the same model has no plan: its step gets the fallback, and the log says
# why. (It is aborted once the log is seen.) Its first passing board stores the plan.
"$STATION" run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2648-00052 --cells 16 \
  --db "$WORK/results.db" --sequence "$seq" >"$WORK/fallback.out" 2>&1 &
pid=$!
for _ in $(seq 200); do
  grep -q 'waiting for ever' "$WORK/fallback.out" && break
  sleep 0.05
done
kill -INT "$pid"
set +e
wait "$pid"
status=$?
set -e
cat "$WORK/fallback.out"
expect_eq "$status" 3 "exit status of the aborted run without a plan"
expect_grep 'no plan for B2A24S15P lfp 16S .*may take 120 s' "$WORK/fallback.out"

# The first board of that order that passes gives its plan: the next board's step gets the
# limit derived from the passing board's step time, not the fallback.
station_run B2A24S15P-2601-99999 --cells 16 --sequence "$seq"
expect_eq "$RUN_STATUS" 0 "exit status of the order's first passing board"
expect_grep "this run's step times are its plan now" "$WORK/run.out"
start=$(date +%s.%N)
station_run B2A24S15P-2648-00053 --cells 16 --sequence "$seq"
took=$(echo "$(date +%s.%N) - $start" | bc)
expect_eq "$RUN_STATUS" 2 "exit status of the next board past the learned limit"
expect_grep "settle: plan_overrun.lua:[0-9]+: (wait: )?the step took longer than its time limit of [0-9.]+ s \(the plan's: 3 x " \
  "$WORK/run.out"
grep -q 'no plan for' "$WORK/run.out" && fail "the next board did not find the learned plan"
awk -v t="$took" 'BEGIN {exit !(t >= 15 && t < 40)}' ||
  fail "a run with a learned limit of 3 x 4 s + 5 s took $took s"
echo ok
