#!/usr/bin/env bash
# Overlapped waits (wait_overlapped, step{overlaps}): the steps declared to overlap a step run
# in its wait, each stored as a step of its own in the order begun; the paused step goes on at
# its wait's end on the fixture clock, also inside an overlapping step's wait; station plan
# marks the overlaps and gives the bound with and without them. An overlapping step that errs
# or an abort stops the paused step at once, its cleanup run, the fixture made safe.
. "$(dirname "$0")/lib.sh"
start_twin
seq=$SOURCE_ROOT/tests/data/sequences/overlap.lua
printf 'clock = virtual\n' >>"$WORK/fixture.conf"   # [twin] is the file's last group

# A good run: every step PASS, in the order begun; the paused step's timing its own.
station_run B2A24S15P-2648-00061 --sequence "$seq"
expect_eq "$RUN_STATUS" 0 "exit status of a good run with overlaps"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select group_concat(name || '=' || outcome, ',') from (select name, outcome
                  from steps where run_id = $run and grp = 'main' order by idx)")" \
  "recovery=PASS,quick=PASS,long=PASS,after=PASS" "main steps in the order begun"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.outcome = 'PASS' and
                  (s.name, m.name) in (values ('recovery', 'resumed_after'),
                    ('recovery', 'recovery_cleanup'), ('quick', 'quick_done'),
                    ('long', 'long_wait'))")" 4 "each measurement stored with its step"
# The events: quick ends in recovery's wait, recovery inside long's wait, then long.
expect_eq "$(grep -oE '^\[ *[0-9.]+ s\] main +(recovery|quick|long|after) +PASS' "$WORK/run.out" |
             awk '{print $5}' | paste -sd,)" "quick,recovery,long,after" "steps in the order ended"

# station plan: the overlaps marked, the bound with them (recovery 2.5 s beside quick and
# long, 2.8 s) and without (5.3 s), the cycle as it ran (2.8 s).
"$STATION" plan --model B2A24S15P --sequence "$seq" --fixture "$WORK/fixture.conf" \
  >"$WORK/plan.out" 2>&1 || { cat "$WORK/plan.out"; fail "station plan failed"; }
cat "$WORK/plan.out"
expect_grep '^main +quick .* in recovery.s wait$' "$WORK/plan.out"
expect_grep '^main +long .* in recovery.s wait$' "$WORK/plan.out"
expect_grep '^main +recovery .* its wait of 2\.000 s \(2\.000 required\) overlapped$' "$WORK/plan.out"
expect_grep '^overlap: quick, long \(bound 2\.8[0-9]* s\) in recovery.s wait of 2\.000 s' \
  "$WORK/plan.out"
read -r bound expected < <(sed -n 's/^physical lower bound \([0-9.]*\) s, expected cycle time \([0-9.]*\) s, .*$/\1 \2/p' "$WORK/plan.out")
serial=$(sed -n 's/^serial bound \([0-9.]*\) s .*$/\1/p' "$WORK/plan.out")
need_number "bounds and cycle of the overlap plan" "${bound:-}" "${expected:-}" "${serial:-}"
awk -v b="$bound" -v e="$expected" -v s="$serial" \
  'BEGIN {exit !(b > 2.9 && b < 3.0 && s > 5.4 && s < 5.5 && e >= b && e < b + 0.05)}' ||
  fail "overlap plan: bound $bound s (2.9 expected), serial $serial s (5.4), cycle $expected s"

# An overlapping step that errs: the paused step stops at once (its cleanup runs), the later
# steps are skipped, the fixture made safe.
station_run B2A24S15P-2648-00062 --sequence "$seq"
expect_eq "$RUN_STATUS" 2 "exit status of a run whose overlapping step errs"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome || ',' || first_failure from runs where id = $run")" \
  "ERROR,quick" "verdict of a run whose overlapping step errs"
expect_eq "$(sql "select group_concat(name || '=' || outcome, ',') from (select name, outcome
                  from steps where run_id = $run and grp = 'main' order by idx)")" \
  "recovery=ERROR,quick=ERROR,long=SKIP,after=SKIP" "steps of a run whose overlapping step errs"
expect_grep 'recovery +ERROR: .*stopped before the wait.s end: quick, which ran in this step.s wait, could not be completed' \
  "$WORK/run.out"
expect_eq "$(sql "select m.outcome from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name = 'recovery_cleanup'")" PASS \
  "the stopped step's cleanup"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name = 'resumed_after'")" 0 \
  "the stopped step did not go on"
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'safe-state'")" \
  PASS "safe state after an overlapping step's error"

# Ctrl-C in an overlapping step's wait (the twin in real time): ABORTED at once, not after
# the wait.
sed -i 's/^clock = virtual$/clock = real/' "$WORK/fixture.conf"
set +e
started=$(date +%s.%N)
"$STATION" run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2648-00063 --sequence "$seq" \
  --db "$WORK/results.db" >"$WORK/abort.out" 2>&1 &
STATION_PID=$!
wait_for_step "$WORK/abort.out" quick 200
sleep 0.3
kill -INT "$STATION_PID"
wait "$STATION_PID"
status=$?
set -e
took=$(echo "$(date +%s.%N) - $started" | bc)
cat "$WORK/abort.out"
expect_eq "$status" 3 "exit status of a run aborted in an overlapping step"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome from runs where id = $run")" ABORTED "stored outcome"
expect_eq "$(sql "select group_concat(name || '=' || outcome, ',') from (select name, outcome
                  from steps where run_id = $run and grp = 'main' order by idx)")" \
  "recovery=ERROR,quick=ERROR,long=SKIP,after=SKIP" "steps of a run aborted in an overlap"
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'safe-state'")" \
  PASS "safe state after an abort in an overlap"
awk -v t="$took" 'BEGIN {exit !(t < 10)}' || fail "an abort in a 30 s overlapping wait took $t s"
echo "ok"
