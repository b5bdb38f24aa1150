#!/usr/bin/env bash
# Current calibration at two points: the zero-current offset, then the gain from a known
# current charging and discharging, written to the board (0x1606, factor in 0x12D6) and
# checked at a third current in each direction. A good board's factor is the inverse of its
# sense's measured gain and its readings then agree; a board whose amplifier is offset, or
# whose shunt is so far off that the board cannot correct it, fails the step saying so.
. "$(dirname "$0")/lib.sh"
good=B2A24S15P-2648-00121
offset=B2A24S15P-2648-00122
shunt=B2A24S15P-2648-00123
# A measurement of a board by name.
value() {
  sql "select m.value from measurements m join steps s on s.id = m.step_id
       join runs r on r.id = s.run_id where r.serial = '$1' and m.name = '$2'"
}
start_twin --fault-rule "$offset=current-offset:240" --fault-rule "$shunt=shunt:-30"
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware

station_run "$good"
expect_eq "$RUN_STATUS" 0 "exit status of the good board"
expect_eq "$(sql "select s.outcome from steps s join runs r on r.id = s.run_id
                  where r.serial = '$good' and s.name = 'current-calibration'")" PASS \
  "current calibration of the good board"
gain=$(value "$good" current_sense_gain)
factor=$(value "$good" current_factor)
# The board keeps the inverse of its sense's gain, in thousandths.
expect_eq "$(awk -v g="$gain" -v f="$factor" 'BEGIN { print (f * g > 0.9985 && f * g < 1.0015) }')" 1 \
  "factor $factor against the sense's gain $gain"
# Before calibration the board read the gain's error; the calibration record says so.
expect_eq "$(sql "select abs(reading_before / reference - $gain) < 0.003 from calibrations c
                  join runs r on r.id = c.run_id where r.serial = '$good' and c.kind = 'current'")" 1 \
  "reading before calibration off by the sense's gain"
for direction in charge discharge; do
  expect_eq "$(awk -v v="$(value "$good" ${direction}_verify_current)" 'BEGIN { print (v > 7.9 && v < 8.1) }')" 1 \
    "$direction verification at the third current, 8 A"
  expect_eq "$(sql "select m.outcome from measurements m join steps s on s.id = m.step_id
                    join runs r on r.id = s.run_id
                    where r.serial = '$good' and m.name = '${direction}_verify_error'")" PASS \
    "$direction reading after calibration"
done
expect_eq "$(awk -v v="$(value "$good" current_offset)" 'BEGIN { print (v > -35 && v < 35) }')" 1 \
  "zero-current offset of the good board"

station_run "$offset"
expect_eq "$RUN_STATUS" 1 "exit status of the offset board"
expect_grep "current-calibration: current reads 2[0-9]{2} mA with no current flowing \(amplifier offset\)" \
  "$WORK/run.out"
expect_eq "$(sql "select first_failure from runs where serial = '$offset'")" current-calibration \
  "first failing step of the offset board"

station_run "$shunt"
expect_eq "$RUN_STATUS" 1 "exit status of the shunt board"
expect_grep "current-calibration: current reading needs a correction of 1\.[3-6][0-9]*: shunt or amplifier out of tolerance" \
  "$WORK/run.out"
expect_eq "$(sql "select count(*) from calibrations c join runs r on r.id = c.run_id
                  where r.serial = '$shunt' and c.kind = 'current' and c.outcome = 'FAIL'")" 1 \
  "the refused current calibration is recorded"
echo "ok"
