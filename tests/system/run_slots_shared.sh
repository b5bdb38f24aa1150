#!/usr/bin/env bash
# Four slots tested at once (station run --serial A ... --serial D) on a twin of four slots
# whose electronic load, charger and DMM are shared (fixture-sim --shared eload,charger,dmm):
# one of each, reaching only the slot whose switch unit routes it. Boards of four models with
# different path resistances all pass with their own model's values (a reading of another
# slot's board, or of no board, fails the path-resistance, current-calibration or
# self-check limits), each run recording what it waited for the shared instruments and how
# long it held them, and at least one slot waited. What cannot be shared is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_slots.sh"
BOARDS=(BD4A17S4P-2648-00011 BD6A17S6P-2648-00012 B1A17S12P-2648-00013 B2A20S20P-2648-00014)

slots_test 4 --shared eload,charger,dmm

# Refused before anything is touched: a shared switch unit, a slot without its route.
sed 's/^\[slot 1 switch\]/[switch]\nshared = yes\n[slot 1 switch]/' "$WORK/fixture.conf" \
  >"$WORK/shared-switch.conf"
batch "$WORK/shared-switch.conf" --serial "${BOARDS[0]}"
expect_eq "$RUN_STATUS" 2 "exit status of a shared switch unit"
expect_grep "\[switch\] shared = yes: the switch unit cannot be shared" "$WORK/run.out"
sed '/^relay_shared_dmm = 403$/{x;s/^/x/;/^x\{2\}$/{x;d};x}' "$WORK/fixture.conf" \
  >"$WORK/no-route.conf"
batch "$WORK/no-route.conf" --serial "${BOARDS[0]}"
expect_eq "$RUN_STATUS" 2 "exit status of a slot without its route"
expect_grep "slot 2 uses the shared DMM \[dmm\] but has no route relay" "$WORK/run.out"
expect_eq "$(sql "select count(*) from runs")" "$before" "runs stored by refused runs"

args=()
for b in "${BOARDS[@]}"; do args+=(--serial "$b"); done
start=$(date +%s)
batch "$WORK/fixture.conf" "${args[@]}"
took=$(($(date +%s) - start))
cat "$WORK/run.out"
expect_eq "$RUN_STATUS" 0 "exit status of four good boards on shared instruments"
for k in 1 2 3 4; do
  expect_grep "^slot $k  PASS  ${BOARDS[k - 1]} " "$WORK/run.out"
done
expect_stored_runs "1:${BOARDS[0]}:PASS" "2:${BOARDS[1]}:PASS" "3:${BOARDS[2]}:PASS" \
  "4:${BOARDS[3]}:PASS"
# Each board's path resistance is its own model's (the shared load's current and the shared
# DMM's drop were of that slot's board).
m() { sql "select round(m.value, 3) from measurements m join steps s on s.id = m.step_id
           join runs r on r.id = s.run_id where r.id > $before and r.slot = $1
           and m.name = '$2'"; }
for k in 1 2 3 4; do
  model=${BOARDS[k - 1]%%-*}
  datasheet=$(awk -F'\t' -v m="$model" '$1 == m {print $9}' "$SOURCE_ROOT/sequences/models.tsv")
  value=$(m "$k" path_resistance)
  awk -v v="$value" -v d="$datasheet" 'BEGIN {exit !(v > 0.8 * d && v < 1.25 * d)}' ||
    fail "slot $k ($model): path resistance $value mOhm is not its model's $datasheet mOhm"
  for what in wait hold; do
    [ -n "$(m "$k" shared_instrument_${what}_s)" ] || fail "slot $k recorded no shared $what"
  done
  awk -v v="$(m "$k" shared_instrument_hold_s)" 'BEGIN {exit !(v > 0)}' ||
    fail "slot $k held no shared instrument"
done
expect_eq "$(sql "select count(distinct m.text) from measurements m join steps s on
                  s.id = m.step_id join runs r on r.id = s.run_id
                  where r.id > $before and m.name = 'load_link'")" 1 "load links of the runs"
waited=$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
              join runs r on r.id = s.run_id where r.id > $before
              and m.name = 'shared_instrument_wait_s' and m.value > 0.5")
[ "$waited" -ge 1 ] || fail "no slot waited for a shared instrument"
# Each slot made itself safe without touching the others' runs.
expect_eq "$(sql "select count(*) from steps s join runs r on r.id = s.run_id
                  where r.id > $before and s.name = 'safe-state' and s.outcome = 'PASS'")" 4 \
  "safe states"
echo "batch of four slots on shared instruments: $took s; $(sql "select group_concat('slot ' ||
  r.slot || ' waited ' || round(m.value, 1) || ' s', ', ') from measurements m join steps s on
  s.id = m.step_id join runs r on r.id = s.run_id where r.id > $before
  and m.name = 'shared_instrument_wait_s'")"
