#!/usr/bin/env bash
# The supply-current step: the DMM's current input in the board's B+ lead reads what a good
# board draws awake with its MOSFETs on and in standby with them off, both stored within the
# model's limits; a board whose standby current is 3 mA too high fails there; a fixture file
# without relay_dmm_supply ends the run ERROR naming the key. The twin's clock runs virtual.
. "$(dirname "$0")/lib.sh"
start_twin --fault-rule 'B2A24S15P-2648-00302=standby-current:3000'
release_firmware
printf 'clock = virtual\n' >>"$WORK/fixture.conf"   # [twin] is the file's last group

# figure RUN NAME: value,outcome of a stored measurement.
figure() {
  sql "select m.value || ',' || m.outcome from measurements m join steps s on s.id = m.step_id
       where s.run_id = $1 and m.name = '$2'"
}

station_run B2A24S15P-2648-00301
expect_eq "$RUN_STATUS" 0 "exit status of a good board"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'supply-current'")" \
  PASS "the supply-current step of a good board"
operating=$(figure "$run" supply_operating_current)
standby=$(figure "$run" supply_standby_current)
gate=$(figure "$run" supply_gate_drive_current)
need_number supply_operating_current "${operating%,*}"
need_number supply_standby_current "${standby%,*}"
need_number supply_gate_drive_current "${gate%,*}"
expect_eq "${operating#*,},${standby#*,},${gate#*,}" PASS,PASS,PASS "outcomes of a good board"
# A 150 A board: 5 mA standby, 3.5 mA of gate drive, each ±15 %.
awk -v o="${operating%,*}" -v s="${standby%,*}" \
  'BEGIN { exit !(s > 4 && s < 6 && o - s > 2.5 && o - s < 4.5) }' ||
  fail "good board: operating $operating mA, standby $standby mA"
sql "select unit from measurements where name = 'supply_standby_current' limit 1" | grep -qx mA ||
  fail "supply_standby_current is not stored in mA"

station_run B2A24S15P-2648-00302
expect_eq "$RUN_STATUS" 1 "exit status of a board with 3 mA more standby current"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome || ',' || first_failure from runs where id = $run")" \
  "FAIL,supply-current" "verdict of the standby-current board"
sql "select message from runs where id = $run" |
  grep -qE "^supply-current: the board draws [0-9.]+ mA from B\+ with both MOSFETs off" ||
  fail "standby-current board: message '$(sql "select message from runs where id = $run")'"
bad=$(figure "$run" supply_standby_current)
expect_eq "${bad#*,}" FAIL "supply_standby_current outcome of the standby-current board"
awk -v b="${bad%,*}" 'BEGIN { exit !(b > 7.5 && b < 9) }' || fail "standby-current board: $bad mA"
# The relays the step closed are open again: the next board passes.
station_run B2A24S15P-2648-00303
expect_eq "$RUN_STATUS" 0 "the board after the standby-current board"

# A fixture file without the DMM in the B+ lead cannot test: ERROR naming the key.
grep -v '^relay_dmm_supply' "$WORK/fixture.conf" >"$WORK/no-supply.conf"
set +e
timeout 120 "$STATION" run --fixture "$WORK/no-supply.conf" --serial B2A24S15P-2648-00304 \
  --db "$WORK/results.db" --trusted-keys "$TRUSTED" >"$WORK/no-supply.out" 2>&1
status=$?
set -e
cat "$WORK/no-supply.out"
expect_eq "$status" 2 "exit status without relay_dmm_supply"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'supply-current'")" \
  ERROR "the supply-current step without relay_dmm_supply"
sql "select message from runs where id = $run" | grep -q "relay_dmm_supply" ||
  fail "the message does not name relay_dmm_supply"
echo "ok"
