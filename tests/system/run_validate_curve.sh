#!/usr/bin/env bash
# The detection curves of two defects on the twin, few boards per size: the same boards at
# every size from harmless to gross, none failed at the harmless size, all at the gross size,
# the detected share never falling below the interval of the size before, and the 50 % and
# 95 % crossings within the scale. A defect without a size is refused with the ones that
# have one, and so are the options of a drawn validation.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
for defect in cell-offset vref; do
  set +e
  "$STATION" validate --curve "$defect" --sizes 4 --boards-per-size 3 --seed 5 \
    --fixture "$WORK/fixture.conf" -v >"$WORK/$defect.out" 2>&1
  status=$?
  set -e
  cat "$WORK/$defect.out"
  expect_eq "$status" 0 "exit status of the $defect curve"
  expect_grep "^Detection curve of $defect \\([^)]*\\): 4 sizes x 3 boards, seed 5" "$WORK/$defect.out"
  expect_grep '^false fails at the harmless size: 0, escapes at the gross size: 0, could not test: 0$' \
    "$WORK/$defect.out"
  # The table: four sizes rising from harmless to gross, 3 boards each; the harmless end
  # none detected, the gross end all; each share at least the low end of the interval of
  # the size before it.
  awk '
    /^ +SIZE / {table = 1; next}
    table && NF == 0 {table = 0}
    table {
      rows++
      size = $1; zone = $2; boards = $3; detected = $4; p = $6
      low = $7; gsub(/[\[,]/, "", low); low += 0; p += 0; size += 0
      if (boards != 3) {print "row " rows ": " boards " boards"; bad = 1}
      if (rows > 1 && size <= last_size) {print "sizes do not rise at row " rows; bad = 1}
      if (rows > 1 && p < last_low) {print "the share falls below the interval at row " rows; bad = 1}
      if (rows == 1 && (zone != "harmless" || detected != 0)) {print "harmless end: " $0; bad = 1}
      last_size = size; last_low = low; last_zone = zone; last_detected = detected
    }
    END {
      if (rows != 4) {print rows " rows"; bad = 1}
      if (last_zone != "gross" || last_detected != 3) {print "gross end not all detected"; bad = 1}
      exit bad
    }' "$WORK/$defect.out" || fail "the $defect curve has the wrong shape"
  # The same boards at every size: board N has one serial, order, cell and sign at all four.
  awk -v defect="$defect" '$1 ~ /^[0-9]+$/ && $2 ~ /-[0-9]+$/ {
         key = ""
         for (i = 2; i <= NF && index($i, defect ":") != 1; i++) key = key " " $i
         fault = $i; sub(/[0-9.]+$/, "", fault); key = key " " fault
         if ($1 in seen && seen[$1] != key) {print "board " $1 ":" seen[$1] " then" key; bad = 1}
         seen[$1] = key; runs++
       }
       END {if (runs != 12) {print runs " boards run"; bad = 1}; exit bad}' "$WORK/$defect.out" ||
    fail "the $defect curve did not run the same boards at every size"
  # Both crossings are sizes of the scale, between the harmless and the gross end.
  read -r harmless gross < <(sed -n 's/^harmless up to \([^ ]*\) .* gross from \([^ ]*\) .*/\1 \2/p' "$WORK/$defect.out")
  for level in 50 95; do
    crossing=$(sed -n "s/^crossing $level %: \([0-9.]*\) .*/\1/p" "$WORK/$defect.out")
    need_number "$level % crossing of $defect" "$crossing"
    awk -v c="$crossing" -v h="$harmless" -v g="$gross" 'BEGIN {exit !(c > h && c <= g)}' ||
      fail "$level % crossing of $defect at $crossing outside $harmless..$gross"
  done
done
set +e
"$STATION" validate --curve chg-fet-short --fixture "$WORK/fixture.conf" >"$WORK/whole.out" 2>&1
status=$?
set -e
expect_eq "$status" 64 "exit status for a defect without a size"
expect_grep "defect 'chg-fet-short' has no size to draw a curve of; these have: cell-offset, vref" \
  "$WORK/whole.out"
# The options of a drawn validation do not go with a curve, nor a single size.
for options in "--boards 5" "--faults vref" "--sizes 1"; do
  set +e
  "$STATION" validate --curve vref $options --fixture "$WORK/fixture.conf" >"$WORK/usage.out" 2>&1
  status=$?
  set -e
  expect_eq "$status" 64 "exit status of --curve with $options"
  expect_grep "usage: station validate --curve DEFECT" "$WORK/usage.out"
done
echo "ok"
