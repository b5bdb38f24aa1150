#!/usr/bin/env bash
# The sleep-current step: after the shutdown command the DMM in the board's B+ lead reads a
# good board's sleep current in µA within the model's limits and the board is woken by NRST
# (the configuration after it passes); a board that draws 300 µA more asleep fails there with
# the symptom, and the board after it passes. Asleep, with the stack alone feeding the board,
# each cell input's leakage is its channel's current less the DMM's: a good board's inputs
# leak well under a µA, a board whose cell input 7 leaks 4 µA more fails there naming it.
# The twin's clock runs virtual.
. "$(dirname "$0")/lib.sh"
start_twin --fault-rule 'B2A24S15P-2648-00312=sleep-current:300' \
  --fault-rule 'B2A24S15P-2648-00314=leaky-input:7:4'
release_firmware
printf 'clock = virtual\n' >>"$WORK/fixture.conf"   # [twin] is the file's last group

# figure RUN NAME: value,outcome,high of a stored measurement.
figure() {
  sql "select m.value || ',' || m.outcome || ',' || m.high from measurements m
       join steps s on s.id = m.step_id where s.run_id = $1 and m.name = '$2'"
}

station_run B2A24S15P-2648-00311
expect_eq "$RUN_STATUS" 0 "exit status of a good board"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select group_concat(name || '=' || outcome, ',') from steps where run_id = $run
                  and name in ('sleep-current', 'final-configuration')")" \
  "sleep-current=PASS,final-configuration=PASS" "the sleep step and the step after it"
IFS=, read -r sleep outcome high <<<"$(figure "$run" supply_sleep_current)"
need_number supply_sleep_current "$sleep"
expect_eq "$outcome,$high" "PASS,90.0" "outcome and limit of a good 24S board"
# A 24-tap board: 25 + 24 x 1.5 µA ±25 %.
awk -v s="$sleep" 'BEGIN { exit !(s > 45 && s < 77) }' || fail "good board asleep: $sleep uA"
expect_eq "$(sql "select unit from measurements where name = 'supply_sleep_current' limit 1")" \
  uA "unit of supply_sleep_current"
# Every cell input of the order, each leaking 0.5 µA ±40 % at 3.3 V (with ±0.2 µA of reading).
leaks=$(sql "select count(*) || ',' || sum(m.outcome = 'PASS') || ',' || (min(m.value) > 0.1)
             || ',' || (max(m.value) < 1.2) || ',' || min(m.unit) || ',' || max(m.high)
             from measurements m join steps s on s.id = m.step_id
             where s.run_id = $run and m.name like 'cell\___\_input\_leakage' escape '\'")
expect_eq "$leaks" "24,24,1,1,uA,1.5" "input leakage of each of 24 cells"

station_run B2A24S15P-2648-00312
expect_eq "$RUN_STATUS" 1 "exit status of a board with 300 uA more asleep"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome || ',' || first_failure from runs where id = $run")" \
  "FAIL,sleep-current" "verdict of the sleep-current board"
sql "select message from runs where id = $run" |
  grep -qE "^sleep-current: the board draws [0-9.]+ µA from B\+ asleep, 15.0..90.0 µA allowed \(a part on its always-on rail leaks\)" ||
  fail "sleep-current board: message '$(sql "select message from runs where id = $run")'"
IFS=, read -r bad outcome high <<<"$(figure "$run" supply_sleep_current)"
expect_eq "$outcome" FAIL "supply_sleep_current outcome of the sleep-current board"
awk -v b="$bad" 'BEGIN { exit !(b > 345 && b < 377) }' || fail "sleep-current board: $bad uA"
# The board was woken and its relay opened: the configuration after it ran, the next passes.
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'final-configuration'")" \
  PASS "the configuration after a failed sleep step"
station_run B2A24S15P-2648-00313
expect_eq "$RUN_STATUS" 0 "the board after the sleep-current board"

station_run B2A24S15P-2648-00314
expect_eq "$RUN_STATUS" 1 "exit status of a board with a leaky cell input 7"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome || ',' || first_failure from runs where id = $run")" \
  "FAIL,sleep-current" "verdict of the leaky-input board"
sql "select message from runs where id = $run" |
  grep -qE "^sleep-current: cell input 7 leaks [0-9.]+ µA across its cell, -0.30..1.50 µA allowed: a part on its sense or balance lead leaks" ||
  fail "leaky-input board: message '$(sql "select message from runs where id = $run")'"
IFS=, read -r leak outcome high <<<"$(figure "$run" cell_07_input_leakage)"
expect_eq "$outcome" FAIL "cell_07_input_leakage outcome of the leaky-input board"
awk -v l="$leak" 'BEGIN { exit !(l > 4.1 && l < 5.2) }' || fail "leaky input 7: $leak uA"
expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                  where s.run_id = $run and m.name like 'cell%input_leakage'
                  and m.outcome = 'FAIL'")" 1 "only cell input 7 fails"
# The emulator went back on and the board was woken: the configuration after it passes.
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'final-configuration'")" \
  PASS "the configuration after a leaky input"
echo "ok"
