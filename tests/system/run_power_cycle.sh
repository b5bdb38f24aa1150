#!/usr/bin/env bash
# The power cycle after configuration: a good board restarts once (its power-on count) and
# reads back its calibration, serial number and every production setting; a board whose
# settings EEPROM keeps no write comes back with its factory calibration and the one-key
# defaults, and fails the step naming what it lost; the fixture is made safe. Then the same
# good board again: the settings it was given are still there at its next power-up.
. "$(dirname "$0")/lib.sh"
good=BD4A17S4P-2648-00131
dead=BD4A17S4P-2648-00132
start_twin --fault-rule "$dead=eeprom-dead"
release_firmware
printf 'clock = virtual\n' >>"$WORK/fixture.conf"   # [twin] is the file's last group
value() {
  sql "select m.value from measurements m join steps s on s.id = m.step_id
       where s.run_id = $1 and m.name = '$2'"
}

station_run "$good"
expect_eq "$RUN_STATUS" 0 "exit status of the good board"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'power-cycle'")" \
  PASS "power cycle of the good board"
expect_eq "$(sql "select cast(m.value as int) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name = 'power_cycle_restarts'")" 1 "the good board restarted once"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and s.name = 'power-cycle'
                    and m.name like '%_after_power_cycle'")" 35 \
  "serial, 2 factors, 31 settings and the heater bit read back"
# The factor the calibration wrote is the one read after the power cycle.
factor() {
  sql "select m.value from measurements m join steps s on s.id = m.step_id
       where s.run_id = $run and m.name = '$1'"
}
expect_eq "$(factor voltage_factor_after_power_cycle)" "$(factor voltage_factor)" \
  "the voltage factor survives"

station_run "$dead"
expect_eq "$RUN_STATUS" 1 "exit status of the board whose EEPROM keeps nothing"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome || ',' || first_failure from runs where id = $run")" \
  "FAIL,power-cycle" "verdict of the board whose EEPROM keeps nothing"
message=$(sql "select message from runs where id = $run")
echo "$message" | grep -qE "^power-cycle: the board did not keep the serial number \(\"\", was \"2648-00132\"\), the voltage calibration factor 0x12DC \(3\.0000, was [0-9.]+\), the current calibration factor 0x12D6 \(1\.000, was [0-9.]+\) across a power cycle: its settings EEPROM does not store" ||
  fail "message: $message"
expect_eq "$(sql "select m.outcome from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name = 'power_cycle_restarts'")" PASS \
  "the board did restart"
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'safe-state'")" \
  PASS "safe state after the failing board"

# The good board once more: it powers up with what it was given last time.
station_run "$good"
expect_eq "$RUN_STATUS" 0 "exit status of the good board's second run"
