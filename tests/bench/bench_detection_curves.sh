#!/usr/bin/env bash
# Benchmark of the station's smallest defects (meson test --suite bench): for every defect
# with a size, `station validate --curve` over BENCH_SIZES sizes (default 8) from harmless to
# gross with BENCH_BOARDS_PER_SIZE boards each (default 8), and a table of where each curve
# crosses 50 % and 95 % against the defect's limit. Exits 1 when a curve fails a board at its
# harmless size, passes one at its gross size or could not test a board.
. "$(dirname "$0")/../system/lib.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
sizes=${BENCH_SIZES:-8}
boards=${BENCH_BOARDS_PER_SIZE:-8}
# The defects with a size, as the station names them when asked for a whole one.
"$STATION" validate --curve chg-fet-short --fixture "$WORK/fixture.conf" >"$WORK/list.out" 2>&1 || true
defects=$(sed -n 's/.*these have: //p' "$WORK/list.out" | tr -d ',')
[ -n "$defects" ] || { cat "$WORK/list.out"; fail "the station named no defect with a size"; }
missed=0
table=$(printf '%-16s %-6s %9s %9s %9s %-16s %-16s %s\n' DEFECT UNIT HARMLESS LIMIT GROSS \
  "50 % CROSSING" "95 % CROSSING" "FALSE FAILS / ESCAPES")
for defect in $defects; do
  status=0
  "$STATION" validate --curve "$defect" --sizes "$sizes" --boards-per-size "$boards" \
    --seed 2026 --fixture "$WORK/fixture.conf" >"$WORK/$defect.out" 2>&1 || status=$?
  cat "$WORK/$defect.out"
  echo
  unit=$(sed -n 's/^Detection curve of [^ ]* (\([^)]*\)).*/\1/p' "$WORK/$defect.out")
  limit=$(sed -n 's/^limit: \([^ ]*\) .*/\1/p' "$WORK/$defect.out")
  read -r harmless gross < <(sed -n 's/^harmless up to \([^ ]*\) .* gross from \([^ ]*\) .*/\1 \2/p' "$WORK/$defect.out")
  c50=$(sed -n 's/^crossing 50 %: //p' "$WORK/$defect.out")
  c95=$(sed -n 's/^crossing 95 %: //p' "$WORK/$defect.out")
  counts=$(sed -n 's/^false fails at the harmless size: \([0-9]*\), escapes at the gross size: \([0-9]*\), could not test: \([0-9]*\)$/\1 \/ \2 (could not test \3)/p' "$WORK/$defect.out")
  need_number "limits of $defect" "${limit:-}" "${harmless:-}" "${gross:-}"
  [ -n "$c50" ] && [ -n "$c95" ] && [ -n "$counts" ] || fail "no curve of $defect"
  [ "$status" = 0 ] || missed=1
  table+=$(printf '\n%-16s %-6s %9s %9s %9s %-16s %-16s %s' "$defect" "$unit" "$harmless" \
    "$limit" "$gross" "${c50% *}" "${c95% *}" "$counts")
done
echo "Detection curves, $sizes sizes x $boards boards each (target: 0 false fails at the harmless size, 0 escapes at the gross size):"
echo "$table"
exit $missed
