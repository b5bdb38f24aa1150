#!/usr/bin/env bash
# Two slots in the operator view on a twin of two slots: a board scanned into each panel
# (the scanner's focus moves on to the idle slot), both tested at once; slot 1's good board
# PASSes and slot 2's board with an AFE channel out of spec FAILs, each verdict on its own
# panel and each run stored with its slot. Saves the operator view of both verdicts.
. "$(dirname "$0")/lib_gui.sh"
. "$SOURCE_ROOT/tests/system/lib_slots.sh"
GOOD=B2A24S15P-2648-00017
BAD=B2A8S20P-2650-00042
start_slots_twin 2 --fault-rule "$BAD=cell-offset:3:12"
release_firmware
station_gui --scan "$GOOD" --scan "$BAD" --screenshot "$ARTIFACTS/operator-slots.png" \
  --view operator
expect_eq "$GUI_STATUS" 1 "exit status with a failing board in one slot"
expect_grep "^slot 1: PASS   $GOOD run [0-9]+: Scan the next board" "$WORK/gui.out"
expect_grep "^slot 2: FAIL   $BAD run [0-9]+: Scan the next board" "$WORK/gui.out"
expect_eq "$(sql "select slot || ':' || serial || ':' || outcome from runs order by slot")" \
  "1:$GOOD:PASS
2:$BAD:FAIL" "stored runs of the two slots"
expect_eq "$(sql "select count(*) from runs a join runs b on a.slot = 1 and b.slot = 2
                  where a.started_at < b.ended_at and b.started_at < a.ended_at")" 1 \
  "the two runs overlap in time"
[ -s "$ARTIFACTS/operator-slots.png" ] || fail "no screenshot saved"

# More boards than slots: refused before anything is tested.
before=$(sql "select count(*) from runs")
station_gui --scan "$GOOD" --scan "$BAD" --scan B2A24S15P-2648-00019 --view operator
expect_eq "$GUI_STATUS" 64 "exit status of more boards than slots"
expect_grep "3 boards scanned, but the fixture has 2 slots" "$WORK/gui.out"
expect_eq "$(sql "select count(*) from runs")" "$before" "runs stored by the refused scans"
echo ok
