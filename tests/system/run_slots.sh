#!/usr/bin/env bash
# Two slots tested at once (station run --serial A --serial B) on a twin of two slots: a good
# board in slot 1 passes while a board with an AFE channel out of spec in slot 2 fails, each
# run printed with its slot's number and stored with its slot. What cannot be a batch is
# refused before anything is touched: a serial scanned twice, more boards than slots, a slot
# the fixture does not have, and slots on the twin's virtual clock.
. "$(dirname "$0")/lib.sh"
GOOD=B2A24S15P-2648-00017
BAD=B2A8S20P-2650-00042

. "$(dirname "$0")/lib_slots.sh"
slots_test 2 --fault-rule "$BAD=cell-offset:3:12"

# Refused before anything is touched: nothing stored, no board put in.
batch "$WORK/fixture.conf" --serial "$GOOD" --serial "${GOOD,,}"
expect_eq "$RUN_STATUS" 64 "exit status of a serial scanned twice"
expect_grep "serial $GOOD is scanned twice \(boards 1 and 2 of the batch\)" "$WORK/run.out"
batch "$WORK/fixture.conf" --serial "$GOOD" --serial "$BAD" --serial B2A24S15P-2648-00019
expect_eq "$RUN_STATUS" 64 "exit status of more boards than slots"
expect_grep "3 boards scanned, but the fixture .* has 2 slots" "$WORK/run.out"
batch "$WORK/fixture.conf" --serial "$GOOD" --slot 3
expect_eq "$RUN_STATUS" 2 "exit status of a slot the fixture lacks"
expect_grep "has no slot 3; its slots: 1, 2" "$WORK/run.out"
sed 's/^clock = real/clock = virtual/' "$WORK/fixture.conf" >"$WORK/virtual.conf"
batch "$WORK/virtual.conf" --serial "$GOOD" --serial "$BAD"
expect_eq "$RUN_STATUS" 64 "exit status of a batch on the virtual clock"
expect_grep "clock = virtual" "$WORK/run.out"
expect_eq "$(sql "select count(*) from runs")" "$before" "runs stored by refused batches"
exec 8<>/dev/tcp/127.0.0.1/"$(echo "${RESOURCE[slot1.control]}" | cut -d: -f5)"
echo 'SIM:BOARD?' >&8
read -r -t 5 board <&8
exec 8<&-
expect_eq "${board%$'\r'}" NONE "board in slot 1 after the refused batches"

# The batch: both at once, each line with its slot, each run stored with its slot.
start=$(date +%s)
batch "$WORK/fixture.conf" --serial "$GOOD" --serial "$BAD"
took=$(($(date +%s) - start))
cat "$WORK/run.out"
expect_eq "$RUN_STATUS" 1 "exit status of a batch with a failing board"
expect_grep "^slot 1  PASS  $GOOD " "$WORK/run.out"
expect_grep "^slot 2  FAIL  $BAD " "$WORK/run.out"
expect_grep "^slot 2    cell-voltage-accuracy: " "$WORK/run.out"
grep -v '^slot [12]  ' "$WORK/run.out" && fail "a line without its slot's number"
expect_stored_runs "1:$GOOD:PASS" "2:$BAD:FAIL"
# Each slot went to its own safe state.
expect_eq "$(sql "select count(*) from steps s join runs r on r.id = s.run_id
                  where r.id > $before and s.name = 'safe-state' and s.outcome = 'PASS'")" 2 \
  "safe states"
# At once: each run began before the other ended.
expect_eq "$(sql "select count(*) from runs a join runs b on a.slot = 1 and b.slot = 2
                  where a.id > $before and b.id > $before
                    and a.started_at < b.ended_at and b.started_at < a.ended_at")" 1 \
  "the two runs overlap in time"
echo "batch of two slots: $took s; $(sql "select group_concat('slot ' || slot || ' ' ||
  round(duration_s, 1) || ' s', ', ') from runs where id > $before")"
