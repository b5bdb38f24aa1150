#!/usr/bin/env bash
# station plan: the sequence run once on the twin in virtual time, even when the fixture
# file says real time, with every step's bound and expected time; the expected cycle is
# never below the physical bound, and the margins are the only difference.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = real" >>"$WORK/fixture.conf"
"$STATION" plan --model B2A8S20P --fixture "$WORK/fixture.conf" >"$WORK/plan.out" 2>&1 ||
  { cat "$WORK/plan.out"; fail "station plan failed"; }
cat "$WORK/plan.out"
for step in flash overcharge charge-overcurrent short-circuit heater balance; do
  grep -qE "^main +$step " "$WORK/plan.out" || fail "step $step missing from the plan"
done
read -r bound expected ratio < <(sed -n 's/^physical lower bound \([0-9.]*\) s, expected cycle time \([0-9.]*\) s, ratio \([0-9.]*\)$/\1 \2 \3/p' "$WORK/plan.out")
wall=$(sed -n 's/^(measured on the twin in virtual time: \([0-9.]*\) s of wall time)$/\1/p' "$WORK/plan.out")
need_number "bound, expected cycle, ratio and wall time in the plan" "${bound:-}" \
  "${expected:-}" "${ratio:-}" "${wall:-}"
awk -v b="$bound" -v e="$expected" 'BEGIN {exit !(b > 10 && e >= b)}' ||
  fail "expected cycle $expected s below the bound $bound s"
# The over-current delays alone take seconds of fixture time: a wall time far below the
# cycle time shows the plan ran on the virtual clock.
awk -v w="$wall" -v e="$expected" 'BEGIN {exit !(w < e / 5)}' ||
  fail "the plan took $wall s of wall time for a $expected s cycle: not virtual time"
# The default step time limit leaves room for the slowest real-time step: five times it.
read -r longest limit < <(sed -n 's/^longest step \([0-9.]*\) s; a step without a time_limit of its own is stopped after \([0-9]*\) s$/\1 \2/p' "$WORK/plan.out")
need_number "longest step and default step time limit" "${longest:-}" "${limit:-}"
awk -v l="$longest" -v d="$limit" 'BEGIN {exit !(l > 1 && 5 * l <= d)}' ||
  fail "the default step time limit of $limit s is below five times the longest step ($longest s)"
echo "ok"
