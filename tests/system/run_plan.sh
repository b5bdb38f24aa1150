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
# Each step's time limit comes from the plan (the sequence sets none): three times its
# planned time plus 5 s, at least 15 s; the built-in steps have none.
read -r longest limit < <(sed -n 's/^longest step \([0-9.]*\) s, its time limit \([0-9.]*\) s; .*$/\1 \2/p' "$WORK/plan.out")
need_number "longest step and its time limit" "${longest:-}" "${limit:-}"
awk -v l="$longest" -v d="$limit" 'BEGIN {exit !(l > 1 && d >= 3 * l + 5 - 0.1)}' ||
  fail "the longest step ($longest s) has a time limit of $limit s, below 3 x it + 5 s"
awk '$9 == "built-in" { next }
     $1 == "setup" || $1 == "main" {
       if ($9 != "plan") { print "no plan limit: " $0; bad = 1 }
       want = 3 * $4 + 5; if (want < 15) want = 15
       if (($8 - want)^2 > 0.01) { print "limit " $8 " for a step of " $4 " s: " $0; bad = 1 }
       n++
     }
     END { exit bad || n < 20 }' "$WORK/plan.out" || fail "a step's time limit is not the plan's"
for step in firmware-release connect-fixture board-identity safe-state; do
  grep -qE "^[a-z]+ +$step .* built-in *$" "$WORK/plan.out" ||
    fail "built-in step $step shown with a time limit"
done
grep -q '^plan stored in ' "$WORK/plan.out" || fail "the plan was not stored"
echo "ok"
