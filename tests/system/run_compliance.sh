#!/usr/bin/env bash
# An instrument that reaches a compliance limit or trips its protection mid-step ends the run
# ERROR naming the instrument and the limit, never FAIL of the board, and the fixture is made
# safe; the next board on the restored fixture passes. Each case is set up on the twin's
# control port as it happens on a real fixture (a protection level changed on the
# instrument's front panel): the circuit trips it when a step drives more.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
# ask RESOURCE LINE: one line to a TCP instrument of the twin, its answer printed.
ask() {
  local host_port=${1#TCPIP::} host port answer
  host=${host_port%%::*}; port=${host_port#*::}; port=${port%%::*}
  exec 6<>"/dev/tcp/$host/$port"
  printf '%s\nSYST:ERR?\n' "$2" >&6
  [[ $2 == *\?* ]] && { IFS= read -r -t 5 answer <&6; printf '%s\n' "${answer%$'\r'}"; }
  IFS= read -r -t 5 answer <&6
  exec 6>&-
  [[ $answer == 0,* ]] || fail "the twin refused '$2': $answer"
}
twin() { ask "$CONTROL" "$1"; }
run_id() { sql "select max(id) from runs"; }

# A good board on the sound fixture: no compliance state of normal operation counts.
serial=17
station_run B2A24S15P-2648-000$serial
expect_eq "$RUN_STATUS" 0 "exit status of a good board on the sound fixture"

# check ROLE INJECT RESTORE STEP PATTERN OFF_QUERY OFF_ANSWER: with INJECT sent to the
# twin's control port the run ends ERROR at STEP (a regex) with the sentence PATTERN, shown and
# stored, no step FAILs, the instrument is off (OFF_QUERY answers OFF_ANSWER); after RESTORE
# the next board passes.
check() {
  local role=$1 inject=$2 restore=$3 step=$4 pattern=$5 query=$6 off=$7 run message
  twin "$inject"
  serial=$((serial + 1))
  station_run B2A24S15P-2648-000$serial
  run=$(run_id)
  message=$(sql "select message from runs where id = $run")
  expect_eq "$RUN_STATUS" 2 "exit status after $inject"
  expect_grep "^ERROR +B2A24S15P-2648-000$serial .* stored in" "$WORK/run.out"
  expect_eq "$(sql "select outcome from runs where id = $run")" ERROR "stored outcome ($role)"
  [[ $message =~ ^($step):\ .*$pattern ]] || fail "the stored message ($role) is '$message'"
  grep -qE -- "$pattern" "$WORK/run.out" || fail "the verdict does not say /$pattern/ ($role)"
  expect_eq "$(sql "select count(*) from steps where run_id = $run and outcome = 'FAIL'")" 0 \
    "no step of the board FAILs ($role)"
  expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'safe-state'")" \
    PASS "the safe-state step ($role)"
  expect_eq "$(ask "${RESOURCE[$role]}" "$query")" "$off" "the $role after the run"
  twin "$restore"
  serial=$((serial + 1))
  station_run B2A24S15P-2648-000$serial
  expect_eq "$RUN_STATUS" 0 "exit status of the next board after $restore"
}

# The electronic load's over-power protection set to 20 W on its front panel: the first step
# that draws more (10 A at the pack's 79 V) trips it, and the load switches its input off.
check eload 'SIM:INST:PROT "eload","OPP",20' 'SIM:INST:PROT "eload","OPP",30000' \
  current-calibration \
  'fixture\.load: over-power protection tripped at [0-9.]+ W \(10 A at [0-9.]+ V; limit 20 W\)' \
  'INP?' 0
# The charger's over-current protection at 1 A: the first charge current above it trips it.
check charger 'SIM:INST:PROT "charger","OCP",1' 'SIM:INST:PROT "charger","OCP",33' \
  current-calibration \
  'fixture\.charger: over-current protection tripped at up to [0-9.]+ A \(the current limit set; limit 1 A\)' \
  ':OUTP?' OFF
# The battery emulator's over-voltage protection at 50 V, below the 24-cell pack's 79 V: it
# trips as soon as the emulator powers the board.
check battery 'SIM:INST:PROT "battery","OVP",50' 'SIM:INST:PROT "battery","OVP",550' \
  '[a-z-]+' \
  'fixture\.battery: over-voltage protection tripped at up to [0-9.]+ V \(the voltage set; limit 50 V\)' \
  'OUTP?' 0
# A worn cell-simulator channel that delivers 0.2 A at most: the balance step reads it in
# constant current (the balancer moves more), so the balance current cannot be judged.
check cellsim 'SIM:INST:CELLS:CAPACITY 3,0.2' 'SIM:INST:CELLS:CAPACITY 3,0' balance \
  'fixture\.cells: channel 3 is in constant current at 0\.2[0-9]* A \(limit 6 A\)' \
  'OUTP3:ONOFF?' 0
echo "ok"
