#!/usr/bin/env bash
# A board whose cell 3 ADC channel is 12 mV off fails the accuracy step, naming the cell,
# and is stored as FAIL.
. "$(dirname "$0")/lib.sh"
serial=B2A24S15P-2648-00099
start_twin --fault-rule "$serial=cell-offset:3:12"
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
station_run "$serial"
expect_eq "$RUN_STATUS" 1 "exit status of a failing run"
expect_grep '^FAIL  B2A24S15P-2648-00099' "$WORK/run.out"
expect_grep 'cell-voltage-accuracy: cell 3 reads [+]1[0-9.]* mV off at' "$WORK/run.out"
expect_eq "$(sql "select outcome || ',' || first_failure from runs")" \
  "FAIL,cell-voltage-accuracy" "stored verdict"
expect_eq "$(sql "select count(*) from measurements where outcome = 'FAIL' and name not like 'cell_03_%'")" \
  0 "failures on other cells"
expect_eq "$(sql "select count(*) from measurements where outcome = 'FAIL' and name like 'cell_03_%'")" \
  3 "cell 3 fails at each point"
echo "ok"
