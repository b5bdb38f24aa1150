#!/usr/bin/env bash
# Good boards pass the whole EOL sequence: a heater model with every step PASS, a model
# without the heater option (B5A25S60P) with the heater step SKIP and the path resistance
# judged against its characterised value, and a Li-ion order whose every step leaves the
# fixture idle. The twin's clock runs virtual: the waits cost no wall time.
. "$(dirname "$0")/lib.sh"
start_twin
release_firmware
printf 'clock = virtual\n' >>"$WORK/fixture.conf"   # [twin] is the file's last group
main_steps="flash,identify,order,mos-temperature,cell-connections,voltage-calibration,\
cell-voltage-accuracy,current-calibration,path-resistance,overcharge,overdischarge,\
charge-overcurrent,discharge-overcurrent,short-circuit,temperature,temperature-protections,heater,mos-overtemperature,balance,supply-current,sleep-current,\
final-configuration,power-cycle"

# A heater model: every step passes, every measurement passes and has its unit.
station_run B2A8S20P-2648-00021
expect_eq "$RUN_STATUS" 0 "exit status of a good heater model"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome from runs where id = $run")" PASS "stored outcome"
expect_eq "$(sql "select group_concat(name, ',') from (select name from steps
                  where run_id = $run and grp = 'main' order by idx)")" \
  "$main_steps" "main steps in order"
expect_eq "$(sql "select count(*) from steps where run_id = $run and outcome != 'PASS'")" 0 \
  "steps that did not pass"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.outcome != 'PASS'")" 0 "failing measurements"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.value is not null and m.unit = ''
                  and s.name not in ('connect-fixture')")" 0 "numeric measurements without unit"
# The B2A8S20P's order (8 LiFePO4 cells, at most 8 x 3.65 = 29.2 V) gets the bank's 12.07 Ohm:
# the smallest that keeps 3 A (9.7 Ohm) and 100 W (8.5 Ohm). The heater gave the pack's
# voltage less the board's heater switch (0.1..0.5 Ohm) across it, drew U/R of what the DMM
# measured (the battery emulator's readback noise is 10 mA rms), and its power is U x I.
heater_v=$(sql "select value from measurements m join steps s on s.id = m.step_id
                where s.run_id = $run and m.name = 'heater_voltage'")
expect_eq "$(awk -v v="$heater_v" 'BEGIN { r = 8 * 3.3 * 12.07; print (v > r / 12.6 && v < r / 12.15) }')" 1 \
  "heater voltage (8 x 3.30 V over 12.07 Ohm of 12.07 + 0.1..0.5 Ohm): $heater_v V"
heater=$(sql "select abs(value - $heater_v / 12.07) < 0.04
              from measurements m join steps s on s.id = m.step_id
              where s.run_id = $run and m.name = 'heater_current'")
expect_eq "$heater" 1 "heater current U/R of the 12.07 Ohm load within 0.04 A"
expect_eq "$(sql "select abs(p.value - v.value * i.value) < 1e-6
                  from measurements p join steps s on s.id = p.step_id
                  join measurements v on v.step_id = s.id and v.name = 'heater_voltage'
                  join measurements i on i.step_id = s.id and i.name = 'heater_current'
                  where s.run_id = $run and p.name = 'heater_power'")" 1 \
  "heater power is the measured U x I"
expect_eq "$(sql "select high from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name = 'heater_power'")" 100.0 \
  "the B2A8S20P's heater power limit"
# Final configuration: the LiFePO4 production settings and the model's 8 cells read back.
expect_eq "$(sql "select group_concat(cast(value as int), ',') from (select value
                  from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name in ('cell_count_setting', 'cell_ovp_setting',
                                 'cell_uvp_setting')
                  order by m.id)")" "8,3600,2600" "cell count, OVP, UVP written and read back"

# A model without heater option and without a datasheet path resistance.
station_run B5A25S60P-2648-00022
expect_eq "$RUN_STATUS" 0 "exit status of a good B5A25S60P"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select group_concat(name || '=' || outcome, ',') from steps
                  where run_id = $run and outcome != 'PASS'")" "heater=SKIP" \
  "only the heater step is skipped"
expect_grep "heater +SKIP: order has no heater" "$WORK/run.out"
expect_eq "$(sql "select printf('%g,%g', low, high) from measurements m
                  join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name = 'path_resistance'")" "0.1875,0.3125" \
  "path resistance limits from the characterised 0.25 mOhm"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name like 'cell_%_balance_out'
                  and m.value between 4.5 and 5.5")" 25 "5 A out of every cell of 25"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name like 'cell_%_balance_in'
                  and m.value between 4.5 and 5.5")" 25 "5 A into every cell of 25"

# A Li-ion order; every main step leaves the relays open and nothing switched on.
# The wrapped sequence sits beside a copy of the sequence's modules: require finds modules
# only in the folder of the sequence it runs.
cp -r "$SOURCE_ROOT/sequences/eol" "$WORK/"
cat "$SOURCE_ROOT/tests/data/sequences/idle_after_steps.lua" \
  "$SOURCE_ROOT/sequences/eol.lua" >"$WORK/eol_idle.lua"
station_run BD6A24S8P-2648-00023 --chemistry liion --sequence "$WORK/eol_idle.lua"
expect_eq "$RUN_STATUS" 0 "exit status of a good Li-ion order"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name like '%_after_step'
                  and m.outcome = 'PASS'")" 92 "23 main steps x 4 idle checks pass"
expect_eq "$(sql "select cast(value as int) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name = 'cell_ovp_setting'")" 4200 "Li-ion OVP"
echo "ok"
