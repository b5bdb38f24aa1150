#!/usr/bin/env bash
# Two boards with a sense-input defect fail the accuracy step naming the cell and the symptom:
# one whose cells 4 and 5 have their sense leads swapped (the staircase shows them reading
# each other's voltage), one whose cell 7 input lacks its filter (the spread of its readings).
# A good board passes the same step with every cell's spread recorded.
. "$(dirname "$0")/lib.sh"
swapped=B2A24S15P-2648-00097
noisy=B2A24S15P-2648-00098
good=B2A24S15P-2648-00096
start_twin --fault-rule "$swapped=sense-swap:4" --fault-rule "$noisy=noisy-channel:7:6"
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware

station_run "$swapped"
expect_eq "$RUN_STATUS" 1 "exit status of the swapped-leads board"
expect_grep "^FAIL  $swapped" "$WORK/run.out"
expect_grep "cells 4 and 5 read each other's voltage .*sense leads swapped" "$WORK/run.out"
expect_eq "$(sql "select first_failure from runs where serial = '$swapped'")" \
  "cell-voltage-accuracy" "first failing step of the swapped-leads board"
expect_eq "$(sql "select group_concat(cell) from (select distinct substr(m.name, 1, 7) as cell
                  from measurements m
                  join steps s on s.id = m.step_id join runs r on r.id = s.run_id
                  where r.serial = '$swapped' and m.outcome = 'FAIL' order by cell)")" \
  "cell_04,cell_05" "cells failing on the swapped-leads board"

station_run "$noisy"
expect_eq "$RUN_STATUS" 1 "exit status of the noisy board"
expect_grep "^FAIL  $noisy" "$WORK/run.out"
expect_grep "cell 7 is noisy: [0-9.]* mV rms" "$WORK/run.out"
expect_eq "$(sql "select first_failure from runs where serial = '$noisy'")" \
  "cell-voltage-accuracy" "first failing step of the noisy board"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id join runs r on r.id = s.run_id
                  where r.serial = '$noisy' and m.outcome = 'FAIL'
                  and m.name like 'cell_07_noise_at_%'")" 3 "cell 7 noisy at each point"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id join runs r on r.id = s.run_id
                  where r.serial = '$noisy' and m.outcome = 'FAIL'
                  and m.name like '%noise%' and m.name not like 'cell_07_%'")" \
  0 "noise failures on other cells"

station_run "$good"
expect_eq "$RUN_STATUS" 0 "exit status of the good board"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id join runs r on r.id = s.run_id
                  where r.serial = '$good' and m.name like 'cell_%_noise_at_%'
                  and m.outcome = 'PASS'")" 72 "noise recorded on 24 cells x 3"
# Spread is measured, not assumed: the quiet channels do not all read the same.
expect_eq "$(sql "select max(m.value) > min(m.value) and max(m.value) < 2 from measurements m
                  join steps s on s.id = m.step_id join runs r on r.id = s.run_id
                  where r.serial = '$good' and m.name like 'cell_%_noise_at_%'")" 1 \
  "noise of the good board's channels"
echo "ok"
