#!/usr/bin/env bash
# The station validates its own verdicts on the twin: good boards pass, each injected defect
# is caught at the step that tests it, over orders of every chemistry and cell count. Every
# defect of the catalog is drawn twice: defect kinds take turns, so 50 boards with a fifth of
# them good give about 40 defective boards; the benchmark runs many more.
. "$(dirname "$0")/lib.sh"
start_twin
defects=(cell-offset vref open-sense sense-swap noisy-channel chg-fet-short dsg-fet-open ocp-dead
         scp-slow scp-dead ntc-open balance-dead heater-open heater-stuck-on shunt flash-bad rs485-dead
         path-res hw-rev standby-current sleep-current leaky-input current-offset)
set +e
"$STATION" validate --boards 50 --seed 7 --good-share 0.2 \
  --faults "$(IFS=,; echo "${defects[*]}")" --fixture "$WORK/fixture.conf" -v \
  >"$WORK/validate.out" 2>&1
status=$?
set -e
cat "$WORK/validate.out"
expect_eq "$status" 0 "exit status of a clean validation"
expect_grep '^escapes: 0, false fails: 0, caught at another step: 0, could not test: 0$' \
  "$WORK/validate.out"
# The boards were built for drawn orders: every chemistry, some at its minimum cell count,
# some heater models without the heater.
for chemistry in lfp liion lto; do
  grep -qE "^Orders \(drawn\):.* $chemistry [1-9][0-9]* \([1-9][0-9]* at the minimum" \
    "$WORK/validate.out" || fail "no $chemistry order at its minimum cell count was run"
done
expect_grep '^Orders .* heater left out on [1-9]' "$WORK/validate.out"
# Good boards were among them and passed.
grep -qE '^\(good board\) +- \(must pass\) +[1-9][0-9]* +[1-9]' "$WORK/validate.out" ||
  fail "no good board was drawn or none passed"
# Every defect kind asked for was drawn at least once and caught where it must be.
for defect in "${defects[@]}"; do
  grep -qE "^$defect +[a-z-]+ +[1-9][0-9]* +[1-9]" "$WORK/validate.out" ||
    fail "$defect was not drawn or not caught"
done
# An unknown defect name is refused with the list of known ones.
set +e
"$STATION" validate --boards 1 --faults no-such-defect --fixture "$WORK/fixture.conf" \
  >"$WORK/bad.out" 2>&1
status=$?
set -e
expect_eq "$status" 2 "exit status for an unknown defect"
expect_grep "unknown defect 'no-such-defect'" "$WORK/bad.out"
echo "ok"
