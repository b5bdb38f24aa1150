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
charge-overcurrent,discharge-overcurrent,short-circuit,temperature,heater,balance,\
final-configuration"

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
# The heater drove the 8-cell pack's voltage over the fixture's 20 Ω and the board's heater
# switch (0.1..0.5 Ω) into the load, within its 100 W, as the battery emulator sees it (its
# readback noise is 10 mA rms).
heater=$(sql "select value between 8 * 3.3 / 20.5 - 0.04 and 8 * 3.3 / 20.1 + 0.04
              from measurements m join steps s on s.id = m.step_id
              where s.run_id = $run and m.name = 'heater_current'")
expect_eq "$heater" 1 "heater current (8 x 3.30 V / (20 + 0.1..0.5) Ohm) within 0.04 A"
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
                  and m.outcome = 'PASS'")" 72 "18 main steps x 4 idle checks pass"
expect_eq "$(sql "select cast(value as int) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name = 'cell_ovp_setting'")" 4200 "Li-ion OVP"
echo "ok"
