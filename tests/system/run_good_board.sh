#!/usr/bin/env bash
# A good board passes, and the sqlite3 shell reads the stored PASS with every measurement.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
station_run B2A24S15P-2648-00017
expect_eq "$RUN_STATUS" 0 "exit status of a passing run"
expect_grep '^PASS  B2A24S15P-2648-00017' "$WORK/run.out"
expect_eq "$(sql "select outcome from runs")" PASS "stored outcome"
expect_eq "$(sql "select model from runs")" B2A24S15P "stored model"
# 24 cells x 3 points, each within the guard-banded ±5 mV.
expect_eq "$(sql "select count(*) from measurements where name like 'cell_%_error_at_%'")" 72 \
  "cell accuracy measurements"
expect_eq "$(sql "select count(*) from measurements where outcome != 'PASS'")" 0 \
  "failing measurements"
expect_eq "$(sql "select group_concat(name, ',') from (select name from steps order by idx)")" \
  "firmware-release,connect-fixture,power-on,flash,identify,cell-connections,\
voltage-calibration,cell-voltage-accuracy,current-calibration,path-resistance,overcharge,\
overdischarge,charge-overcurrent,discharge-overcurrent,short-circuit,temperature,heater,\
balance,final-configuration,board-identity,safe-state" \
  "steps in order"
expect_eq "$(sql "select length(sequence_sha256) || ',' || length(limits_sha256) from runs")" \
  "64,64" "sequence and limits hashes"
# station runs / show read the same database.
"$STATION" runs --db "$WORK/results.db" >"$WORK/runs.out"
grep -q "B2A24S15P-2648-00017.*PASS" "$WORK/runs.out" || fail "station runs does not list the run"
"$STATION" show --db "$WORK/results.db" 1 >"$WORK/show.out"
grep -q "cell_24_error_at_3.60V" "$WORK/show.out" ||
  fail "station show does not print the measurements"
echo "ok"
