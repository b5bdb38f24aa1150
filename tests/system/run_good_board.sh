#!/usr/bin/env bash
# A good board passes, and the sqlite3 shell reads the stored PASS with every measurement.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
station_run B2A24S15P-2648-00017 --order PO-2648-7 --chemistry lfp
expect_eq "$RUN_STATUS" 0 "exit status of a passing run"
expect_grep '^PASS  B2A24S15P-2648-00017' "$WORK/run.out"
expect_eq "$(sql "select outcome from runs")" PASS "stored outcome"
expect_eq "$(sql "select model from runs")" B2A24S15P "stored model"
# 24 cells x 3 points, each within the guard-banded ±5 mV.
expect_eq "$(sql "select count(*) from measurements where name like 'cell_%_error_at_%'")" 72 \
  "cell accuracy measurements"
expect_eq "$(sql "select count(*) from measurements where outcome != 'PASS'")" 0 \
  "failing measurements"
# The short circuit on the short-circuit module, timed from the digitizer's trace, stored
# with its limits: the peak above the board's highest trip current (3 x 150 A + 10 %), the
# cut-off within the programmed 300 us -50/+100 us.
short_of() {
  sql "select m.value || ',' || ifnull(m.low, '') || ',' || ifnull(m.high, '') || ',' || m.unit
       from measurements m join steps s on s.id = m.step_id
       where s.name = 'short-circuit' and m.name = '$1' and m.outcome = 'PASS'"
}
IFS=, read -r trip trip_low trip_high trip_unit <<<"$(short_of short_circuit_trip)"
need_number short_circuit_trip "$trip"
expect_eq "$trip_low,$trip_high,$trip_unit" "495.0,,A" "short_circuit_trip limits"
IFS=, read -r delay delay_low delay_high delay_unit <<<"$(short_of short_circuit_delay)"
need_number short_circuit_delay "$delay"
expect_eq "$delay_low,$delay_high,$delay_unit" "250.0,400.0,us" "short_circuit_delay limits"
awk -v a="$trip" -v d="$delay" 'BEGIN { exit !(a > 3900 && a < 4100 && d > 300 && d < 400) }' ||
  fail "short circuit: $trip A, cut off after $delay us"
expect_eq "$(sql "select group_concat(name, ',') from (select name from steps order by idx)")" \
  "firmware-release,connect-fixture,power-on,fixture-self-check,flash,identify,order,\
mos-temperature,cell-connections,voltage-calibration,cell-voltage-accuracy,\
current-calibration,path-resistance,overcharge,overdischarge,charge-overcurrent,\
discharge-overcurrent,short-circuit,temperature,temperature-protections,heater,mos-overtemperature,balance,supply-current,sleep-current,final-configuration,\
power-cycle,\
board-identity,safe-state" \
  "steps in order"
expect_eq "$(sql "select length(sequence_sha256) || ',' || length(limits_sha256) from runs")" \
  "64,64" "sequence and limits hashes"
# Traceability: the order and chemistry, and both calibrations with the step that made them.
expect_eq "$(sql "select order_id || ',' || chemistry || ',' || cell_count from runs")" \
  "PO-2648-7,lfp,24" "order, chemistry and cell count"
expect_eq "$(sql "select group_concat(c.kind || ':' || c.unit || ':' || c.outcome || ':' || s.name,
  ',') from (select * from calibrations order by id) c join steps s on s.id = c.step_id")" \
  "voltage:mV:PASS:voltage-calibration,current:mA:PASS:current-calibration" "calibrations"
expect_eq "$(sql "select count(*) from calibrations where reference > 0 and factor > 0
  and reading_before is not null and reading_after is not null")" 2 "calibration values"
# station runs / show read the same database.
"$STATION" runs --db "$WORK/results.db" >"$WORK/runs.out"
grep -q "B2A24S15P-2648-00017.*PASS" "$WORK/runs.out" || fail "station runs does not list the run"
"$STATION" show --db "$WORK/results.db" 1 >"$WORK/show.out"
grep -q "cell_24_error_at_3.60V" "$WORK/show.out" ||
  fail "station show does not print the measurements"
# The quality reports read the run; bad input is one sentence naming what is valid.
DB=(--db "$WORK/results.db")
"$STATION" report yield "${DB[@]}" --by model >"$WORK/yield.out"
grep -q "^B2A24S15P .* 1 *100.00% *100.00%" "$WORK/yield.out" || fail "report yield: $(cat "$WORK/yield.out")"
"$STATION" report stats pack_voltage_error "${DB[@]}" >"$WORK/stats.out"
grep -q "^pack_voltage_error \[mV\]: n 1," "$WORK/stats.out" || fail "report stats"
"$STATION" report history B2A24S15P-2648-00017 "${DB[@]}" | grep -q "PASS .*PO-2648-7" ||
  fail "report history"
"$STATION" report export --format json "${DB[@]}" >"$WORK/export.jsonl"
python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert r["dut_id"] == "B2A24S15P-2648-00017" and r["outcome"] == "PASS" and r["phases"]' \
  "$WORK/export.jsonl" || fail "report export json"
for bad in "stats no_such_value" "yield --from 2026-02-30" "yield --model B2A99S99P" \
           "history B2A24S15P-2648-99999" "run 99"; do
  set +e
  "$STATION" report $bad "${DB[@]}" >"$WORK/bad.out" 2>&1
  status=$?
  set -e
  expect_eq "$status" 64 "exit status of station report $bad"
  expect_eq "$(wc -l <"$WORK/bad.out")" 1 "one sentence for station report $bad"
done
echo "ok"
