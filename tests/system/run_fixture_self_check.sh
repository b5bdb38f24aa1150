#!/usr/bin/env bash
# The fixture checks itself before it judges a board: on a sound fixture the cell simulator
# and the DMM agree and the run goes on; when the cell simulator's readback has drifted (on
# the tap the DMM reads, or on any channel, seen across the pack) the run is ERROR naming
# the cell simulator, the board is not flashed or judged, and the fixture is made safe.
. "$(dirname "$0")/lib.sh"
start_twin
release_firmware
host_port=${CONTROL#TCPIP::}
host=${host_port%%::*}; port=${host_port#*::}; port=${port%%::*}
# twin COMMAND: one command on the twin's control port.
twin() { exec 6<>"/dev/tcp/$host/$port"; printf '%s\n' "$1" >&6; exec 6>&-; }
run_id() { sql "select max(id) from runs"; }

station_run B2A24S15P-2648-00017
expect_eq "$RUN_STATUS" 0 "exit status on a sound fixture"
expect_eq "$(sql "select outcome from steps where run_id = $(run_id)
                  and name = 'fixture-self-check'")" PASS "self-check on a sound fixture"
tap=$(sql "select value from measurements m join steps s on s.id = m.step_id
           where s.run_id = $(run_id) and m.name = 'self_check_tap_diff'")
need_number "tap difference" "$tap"
awk -v d="$tap" 'BEGIN { exit !(d > -1 && d < 1 && d != 0) }' ||
  fail "tap difference $tap mV is not a small non-zero reading"

# check DRIFT WHERE: the run with a drifted cell simulator is ERROR, nothing of the board ran.
check() {
  twin "SIM:INST:CELLS:DRIFT $1"
  station_run B2A24S15P-2648-00018
  twin "SIM:INST:CELLS:DRIFT ${1%%,*},0"
  local run
  run=$(run_id)
  expect_eq "$RUN_STATUS" 2 "exit status with the cell simulator drifted ($1)"
  expect_eq "$(sql "select outcome from runs where id = $run")" ERROR "stored outcome ($1)"
  sql "select message from runs where id = $run" |
    grep -qE "^fixture-self-check: the cell simulator reads .* $2" ||
    fail "the message does not name the cell simulator ($1): $(sql "select message from runs where id = $run")"
  expect_eq "$(sql "select count(*) from steps where run_id = $run and name = 'flash'
                    and outcome != 'SKIP'")" 0 "the board is not flashed ($1)"
  expect_eq "$(sql "select count(*) from steps where run_id = $run and outcome = 'FAIL'")" 0 \
    "no step of the board FAILs ($1)"
  expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'safe-state'")" \
    PASS "the fixture is made safe ($1)"
}
check 1,0.003 "on channel 1"
check 7,0.010 "over its 24 channels"

# The next board on the repaired fixture passes.
station_run B2A24S15P-2648-00019
expect_eq "$RUN_STATUS" 0 "exit status after the drift is gone"
echo "ok"
