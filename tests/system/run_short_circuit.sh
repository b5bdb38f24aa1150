#!/usr/bin/env bash
# The short-circuit step on the fixture's short-circuit module and current digitizer: a board
# whose short-circuit protection never cuts off fails there (the module opened at its own
# limit), and a digitizer that stops answering mid-run ends the run ERROR naming the
# digitizer, the fixture made safe and the module open (not armed, not conducting). The twin's clock runs virtual.
. "$(dirname "$0")/lib.sh"
start_twin --fault-rule 'B2A24S15P-2648-00201=scp-dead' --fault-rule 'BD4A8S4P-2648-00202=scp-dead'
release_firmware
printf 'clock = virtual\n' >>"$WORK/fixture.conf"   # [twin] is the file's last group

# A 24-cell pack drives the module to its energy limit, an 8-cell one to its pulse's end.
for serial in B2A24S15P-2648-00201 BD4A8S4P-2648-00202; do
  station_run "$serial"
  expect_eq "$RUN_STATUS" 1 "exit status of $serial (scp-dead)"
  run=$(sql "select max(id) from runs")
  expect_eq "$(sql "select outcome || ',' || first_failure from runs where id = $run")" \
    "FAIL,short-circuit" "verdict of $serial"
  sql "select message from runs where id = $run" |
    grep -qE "^short-circuit: the board does not cut the short off: the short-circuit module opened it at its own limit after [0-9]+ us, [0-9]+ J \(LIMIT\)" ||
    fail "$serial: message '$(sql "select message from runs where id = $run")'"
  # The delay stored as the time the current flowed, beyond its limit.
  delay=$(sql "select m.value || ',' || m.outcome from measurements m join steps s
               on s.id = m.step_id where s.run_id = $run and m.name = 'short_circuit_delay'")
  need_number short_circuit_delay "${delay%,*}"
  expect_eq "${delay#*,}" FAIL "short_circuit_delay outcome of $serial"
  awk -v d="${delay%,*}" 'BEGIN { exit !(d > 500) }' || fail "$serial conducted only $delay us"
  expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'safe-state'")" \
    PASS "safe state after $serial"
done

# The digitizer hangs once the run has connected to it (the station held while the twin is
# told): the short-circuit step is ERROR naming the digitizer, the module open afterwards.
set +e
station_start B2A24S15P-2648-00203 "$WORK/hang.out"
wait_for_step "$WORK/hang.out" flash || fail "the run never reached flash: $(cat "$WORK/hang.out")"
kill -STOP "$STATION_PID"
grep -q "main     short-circuit" "$WORK/hang.out" && fail "the run was past short-circuit already"
control=${CONTROL#TCPIP::}
host=${control%%::*}
port=${control#*::}
port=${port%%::*}
exec 5<>"/dev/tcp/$host/$port"
printf 'SIM:INST:HANG "digitizer",ON\nSYST:ERR?\n' >&5
read -r -t 5 answer <&5
kill -CONT "$STATION_PID"
wait "$STATION_PID"
status=$?
set -e
cat "$WORK/hang.out"
expect_eq "${answer%%,*}" 0 "the twin took SIM:INST:HANG"
expect_eq "$status" 2 "exit status with the digitizer hung"
run=$(sql "select max(id) from runs")
expect_eq "$(sql "select outcome from runs where id = $run")" ERROR "stored outcome"
expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'short-circuit'")" \
  ERROR "the short-circuit step"
sql "select message from runs where id = $run" | grep -qE "fixture\.digitizer: .*TCPIP::.*no answer" ||
  fail "the message does not name the digitizer: $(sql "select message from runs where id = $run")"
module=${RESOURCE[short]#TCPIP::}
mport=${module#*::}
mport=${mport%%::*}
exec 6<>"/dev/tcp/${module%%::*}/$mport"
printf 'SHOR:STAT?\n' >&6
read -r -t 5 state <&6
# The step had armed the module before it armed the digitizer: disarmed again.
expect_eq "$state" IDLE "the short-circuit module after the run"

# Released, the digitizer serves the next board, which passes.
printf 'SIM:INST:HANG "digitizer",OFF\n' >&5
station_run B2A24S15P-2648-00204
expect_eq "$RUN_STATUS" 0 "the next board after the digitizer recovered"
echo "ok"
