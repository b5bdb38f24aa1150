#!/usr/bin/env bash
# Benchmark of the EOL sequence on the twin (meson test --suite bench):
#  - per model: cycle time on the twin in virtual time against the physical lower bound of
#    the overlapped plan of `station plan` (target ratio <= 1.10), that bound against the
#    serial one, every step's bound added as the plan was without overlaps (target: below it
#    for every model), with the wall time of that one run for reference;
#  - `station validate` over BENCH_BOARDS boards (default 1000): target 0 escapes and 0
#    false fails, and the mean wall time per board in virtual-time mode (target < 0.5 s;
#    a mean over many boards, since single runs on a shared machine are noisy).
# Prints a table and the figures against their targets; exits 1 when a target is missed.
. "$(dirname "$0")/../system/lib.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
missed=0
printf '%-11s %10s %10s %9s %10s %7s %9s\n' MODEL "SERIAL s" "BOUND s" "SAVED s" "CYCLE s" \
  RATIO "WALL s"
worst_ratio=0 worst_wall=0 least_saved= not_saved=
models=$("$STATION" models | awk 'NR > 1 {print $1}')
[ -n "$models" ] || fail "station models listed no model"
for model in $models; do
  "$STATION" plan --model "$model" --fixture "$WORK/fixture.conf" >"$WORK/plan.out" 2>&1 ||
    { cat "$WORK/plan.out"; fail "plan for $model did not pass"; }
  read -r bound expected ratio < <(sed -n 's/^physical lower bound \([0-9.]*\) s, expected cycle time \([0-9.]*\) s, ratio \([0-9.]*\)$/\1 \2 \3/p' "$WORK/plan.out")
  serial=$(sed -n 's/^serial bound \([0-9.]*\) s .*$/\1/p' "$WORK/plan.out")
  wall=$(sed -n 's/^(measured on the twin in virtual time: \([0-9.]*\) s of wall time)$/\1/p' "$WORK/plan.out")
  need_number "plan figures of $model" "${bound:-}" "${expected:-}" "${ratio:-}" "${wall:-}" \
    "${serial:-}"
  saved=$(awk -v s="$serial" -v b="$bound" 'BEGIN {printf "%.3f", s - b}')
  printf '%-11s %10s %10s %9s %10s %7s %9s\n' "$model" "$serial" "$bound" "$saved" "$expected" \
    "$ratio" "$wall"
  worst_ratio=$(awk -v a="$worst_ratio" -v b="$ratio" 'BEGIN {print (b > a) ? b : a}')
  worst_wall=$(awk -v a="$worst_wall" -v b="$wall" 'BEGIN {print (b > a) ? b : a}')
  least_saved=$(awk -v a="${least_saved:-$saved}" -v b="$saved" 'BEGIN {print (b < a) ? b : a}')
  awk -v s="$saved" 'BEGIN {exit !(s > 0)}' || not_saved="$not_saved $model"
done
echo
echo "cycle time / bound of the overlapped plan, worst model: $worst_ratio (target <= 1.10)"
echo "bound of the overlapped plan below the serial bound, least saved: $least_saved s" \
  "(target > 0 for every model${not_saved:+; missed by$not_saved})"
echo "wall time of one planning run, slowest model: $worst_wall s (for reference)"
awk -v r="$worst_ratio" 'BEGIN {exit !(r <= 1.10)}' || missed=1
[ -z "$not_saved" ] || missed=1

boards=${BENCH_BOARDS:-1000}
faults=${BENCH_FAULTS:-}
"$STATION" validate --boards "$boards" --seed 2026 --fixture "$WORK/fixture.conf" \
  ${faults:+--faults "$faults"} >"$WORK/validate.out" 2>&1
tail -n 22 "$WORK/validate.out"
line=$(grep '^escapes:' "$WORK/validate.out")
escapes=$(sed -n 's/^escapes: \([0-9]*\),.*/\1/p' <<<"$line")
false_fails=$(sed -n 's/.*false fails: \([0-9]*\),.*/\1/p' <<<"$line")
per_board=$(sed -n 's/^Validation: .* (\([0-9.]*\) s per board)$/\1/p' "$WORK/validate.out")
echo "validation over $boards boards: $escapes escapes (target 0), $false_fails false fails (target 0)"
echo "wall time per board in virtual-time mode, mean over $boards boards: $per_board s (target < 0.5 s)"
need_number "validation figures" "$escapes" "$false_fails" "$per_board"
[ "$escapes" = 0 ] && [ "$false_fails" = 0 ] || missed=1
awk -v w="$per_board" 'BEGIN {exit !(w < 0.5)}' || missed=1
exit $missed
