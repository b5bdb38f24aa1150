#!/usr/bin/env bash
# A run configures exactly the order: good boards at the smallest cell count of LiFePO4 (8S)
# and of Li-ion (7S) on a 17S model pass, with the order (cell count, chemistry, heater
# option, protection profile) stored with the run and the cell count read back from the
# board; an order the model cannot take is refused with exit 64, naming the value and what
# the model allows, before anything is touched or stored.
. "$(dirname "$0")/lib.sh"
start_twin
release_firmware
printf 'clock = virtual\n' >>"$WORK/fixture.conf"   # [twin] is the file's last group

# m RUN NAME: the value of measurement NAME in run RUN, as an integer.
m() {
  sql "select cast(value as int) from measurements m join steps s on s.id = m.step_id
       where s.run_id = $1 and m.name = '$2'"
}

# good_order ORDER CELLS: the last run passed; its stored order (id,chemistry,cells,heater,
# profile) is ORDER and the board read back CELLS after the order step and at the end. Sets run.
good_order() {
  expect_eq "$RUN_STATUS" 0 "exit status of a good board with the order $1"
  run=$(sql "select max(id) from runs")
  expect_eq "$(sql "select order_id || ',' || chemistry || ',' || cell_count || ',' || heater ||
                    ',' || profile from runs where id = $run")" "$1" "stored order"
  expect_eq "$(m "$run" order_cell_count_setting)" "$2" "cell count read back in step order"
  expect_eq "$(m "$run" cell_count_setting)" "$2" "cell count read back in final-configuration"
}

# LiFePO4 at its minimum, from the command line; heater and profile as the model's default.
station_run BD4A17S4P-2648-00041 --cells 8 --order PO-8S
good_order PO-8S,lfp,8,1,default 8
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name like 'cell_%_error_at_%'")" 24 \
  "8 cells x 3 points measured, no more"
expect_eq "$(sql "select group_concat(name, ',') from (select m.name from measurements m
                  join steps s on s.id = m.step_id where s.run_id = $run
                  and m.name like 'cell_%_ovp_trip' order by m.id)")" \
  "cell_01_ovp_trip,cell_08_ovp_trip" "OVP measured on the order's first and last cell"
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'heater'")" PASS \
  "heater tested: the model's option"
# The 8-cell order (at most 29.2 V) gets the bank's 12.07 Ohm, not the 56.22 Ohm the model's
# full 24 cells need: U/R of the 8-cell pack into it, as the battery emulator sees it (its
# readback noise is 10 mA rms), less the board's heater switch (0.1..0.5 Ohm).
expect_eq "$(sql "select abs(value - 8 * 3.3 / 12.37) < 0.04 from measurements m join steps s
                  on s.id = m.step_id where s.run_id = $run and m.name = 'heater_current'")" 1 \
  "heater current of 8 x 3.30 V into 12.07 Ohm within 0.04 A"

# Li-ion at its minimum, from an order file: no heater, the cold protection profile.
printf '[order]\nid = PO-7S\ncells = 7\nchemistry = liion\nheater = no\nprofile = cold\n' \
  >"$WORK/order.conf"
station_run BD4A17S4P-2648-00042 --order-file "$WORK/order.conf"
good_order PO-7S,liion,7,0,cold 7
expect_eq "$(m "$run" cell_ovp_setting)" 4200 "Li-ion OVP configured"
expect_eq "$(m "$run" charge_utp_setting)" 50 "the cold profile's charge UTP (0.1 degC)"
expect_eq "$(sql "select outcome || ': ' || message from steps
                  where run_id = $run and name = 'heater'")" "SKIP: order has no heater" \
  "heater step skipped with the order's reason"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name like 'cell_%_balance_%'
                  and cast(substr(m.name, 6, 2) as int) between 1 and 7")" 14 \
  "balance: each of the 7 cells out and in once, no other cell"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name like 'cell_%_balance_%'")" 14 \
  "balance measurements of the 7S board"
# The command line overrides the order file.
station_run BD4A17S4P-2648-00043 --order-file "$WORK/order.conf" --cells 9 --profile default
good_order PO-7S,liion,9,0,default 9

# Refused orders: exit 64, a sentence naming the value and the range, nothing stored.
runs=$(sql "select count(*) from runs")
refuse() {
  local words=$1
  shift
  station_run "$@"
  expect_eq "$RUN_STATUS" 64 "exit status of the order $*"
  expect_grep "$words" "$WORK/run.out"
  expect_eq "$(sql "select count(*) from runs")" "$runs" "runs stored after the order $*"
}
refuse "cell count '25' does not fit model BD4A17S4P: it takes 8 to 17 cells in series of \
LiFePO4" BD4A17S4P-2648-00044 --cells 25
refuse "cell count '6' does not fit model BD4A17S4P: it takes 7 to 17 cells in series of \
Li-ion" BD4A17S4P-2648-00044 --cells 6 --chemistry liion
refuse "heater 'yes' does not fit model B5A25S60P: it has no heater option" \
  B5A25S60P-2648-00045 --heater yes
refuse "heater 'maybe' is not an option: give yes or no" BD4A17S4P-2648-00044 --heater maybe
refuse "unknown protection profile 'arctic': .* has the profiles default, cold" \
  BD4A17S4P-2648-00044 --profile arctic
printf '[order]\ncell = 8\n' >"$WORK/typo.conf"
refuse "unknown key 'cell' in \[order\]" BD4A17S4P-2648-00044 --order-file "$WORK/typo.conf"

# A heater load bank with no load for the order: refused before the board is touched, as a
# station fault (exit 2) naming the fixture file, the model, the voltage and the resistance
# needed; nothing stored. 24 LiFePO4 cells reach 87.6 V, which needs 38.4 Ohm for 200 W; this
# fixture's largest load is 27.14 Ohm.
cp "$WORK/fixture.conf" "$WORK/fixture.full.conf"
grep -v '^heater_load_[34] ' "$WORK/fixture.full.conf" >"$WORK/fixture.conf"
station_run BD4A24S4P-2648-00046 --cells 24
expect_eq "$RUN_STATUS" 2 "exit status of an order the fixture's heater loads cannot take"
expect_grep "fixture.conf has no heater load for model BD4A24S4P: at 87.6 V \\(24 cells x 3.65 V \
LiFePO4\\) the heater needs a load of at least 38.4 Ohm" "$WORK/run.out"
expect_eq "$(sql "select count(*) from runs")" "$runs" "runs stored after the refused heater load"
# The same fixture takes an order without the heater.
station_run BD4A24S4P-2648-00046 --cells 24 --heater no
expect_eq "$RUN_STATUS" 0 "exit status of the order without heater on that fixture"
cp "$WORK/fixture.full.conf" "$WORK/fixture.conf"
echo "ok"
