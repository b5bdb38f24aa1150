#!/usr/bin/env bash
# The short-circuit step on the fixture's short-circuit module and current digitizer: a board
# whose short-circuit protection never cuts off fails there (the module opened at its own
# limit); a digitizer or a module that stops answering mid-run ends the run ERROR naming it,
# with the module disarmed, or, when the module itself hangs, the run saying it could not be
# made safe; a short the module is not rated for (its expected peak current or energy) is
# refused before the pulse. The twin's clock runs virtual.
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

# refused_short KEY VALUE SERIAL MESSAGE: with the fixture file declaring the module rated
# KEY = VALUE, the run of SERIAL ends ERROR at the short-circuit step before any pulse, its
# message naming the module and matching MESSAGE.
refused_short() {
  local key=$1 value=$2 serial=$3 message=$4 status run
  sed "s/^$key = .*/$key = $value/" "$WORK/fixture.conf" >"$WORK/low-$key.conf"
  set +e
  timeout 120 "$STATION" run --fixture "$WORK/low-$key.conf" --serial "$serial" \
    --db "$WORK/results.db" --trusted-keys "$TRUSTED" >"$WORK/low-$key.out" 2>&1
  status=$?
  set -e
  cat "$WORK/low-$key.out"
  expect_eq "$status" 2 "exit status with $key = $value"
  run=$(sql "select max(id) from runs")
  expect_eq "$(sql "select outcome || ',' || first_failure from runs where id = $run")" \
    "ERROR,short-circuit" "verdict with $key = $value"
  sql "select message from runs where id = $run" | grep -qE "^short-circuit: fixture\.short: $message" ||
    fail "$key = $value: message '$(sql "select message from runs where id = $run")'"
  # Refused before the pulse: nothing was measured at the step.
  expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                    where s.run_id = $run and s.name = 'short-circuit'")" 0 \
    "measurements of the refused short ($key = $value)"
  expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'safe-state'")" \
    PASS "safe state after the refused short ($key = $value)"
}
# The twin's module limits at 4000 A and 250 J over 3 mOhm: a 24-cell pack would peak at its
# current limit, more than a module rated 3000 A may take, and a board that never cut off
# would leave it 250 J, more than a module rated 100 J may take.
refused_short rated_peak_current 3000 B2A24S15P-2648-00207 \
  "a short of the [0-9.]+ V pack through the short-circuit module's [0-9.]+ mOhm \(its current limit 4000 A\) would peak at 4000 A, above the 3000 A the module is rated for \(rated_peak_current\)"
refused_short rated_energy 100 B2A24S15P-2648-00208 \
  "a short of the [0-9.]+ V pack .* would take up to 250 J in its 1000 us pulse, above the 100 J the module is rated for \(rated_energy\)"

control=${CONTROL#TCPIP::}
port=${control#*::}
exec 5<>"/dev/tcp/${control%%::*}/${port%%::*}"

# hang_during_run ROLE SERIAL: ROLE hangs once the run of SERIAL has connected to it (the
# station held while the twin is told); the run must end ERROR at the short-circuit step,
# its message naming fixture.ROLE. Output in $WORK/hang-ROLE.out.
hang_during_run() {
  local role=$1 serial=$2 out=$WORK/hang-$1.out answer status run
  set +e
  station_start "$serial" "$out"
  wait_for_step "$out" flash || fail "the run never reached flash: $(cat "$out")"
  kill -STOP "$STATION_PID"
  grep -q "main     short-circuit" "$out" && fail "the run was past short-circuit already"
  printf 'SIM:INST:HANG "%s",ON\nSYST:ERR?\n' "$role" >&5
  read -r -t 5 answer <&5
  kill -CONT "$STATION_PID"
  wait "$STATION_PID"
  status=$?
  set -e
  cat "$out"
  expect_eq "${answer%%,*}" 0 "the twin took SIM:INST:HANG $role"
  expect_eq "$status" 2 "exit status with the $role hung"
  run=$(sql "select max(id) from runs")
  expect_eq "$(sql "select outcome from runs where id = $run")" ERROR "stored outcome ($role)"
  expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'short-circuit'")" \
    ERROR "the short-circuit step ($role hung)"
  sql "select message from runs where id = $run" |
    grep -qE "^short-circuit: .*fixture\.$role: .*TCPIP::.*no answer" ||
    fail "the message does not name the $role: $(sql "select message from runs where id = $run")"
  printf 'SIM:INST:HANG "%s",OFF\n' "$role" >&5
}

# The digitizer: the step had armed the module before the digitizer, so the module must have
# been disarmed again.
hang_during_run digitizer B2A24S15P-2648-00203
module=${RESOURCE[short]#TCPIP::}
mport=${module#*::}
exec 6<>"/dev/tcp/${module%%::*}/${mport%%::*}"
printf 'SHOR:STAT?\n' >&6
read -r -t 5 state <&6
expect_eq "$state" IDLE "the short-circuit module after the run"
# Released, the digitizer serves the next board, which passes.
station_run B2A24S15P-2648-00204
expect_eq "$RUN_STATUS" 0 "the next board after the digitizer recovered"

# The short-circuit module itself: ERROR naming it, and the stored message says the module
# could not be made safe.
hang_during_run short B2A24S15P-2648-00205
sql "select message from runs where serial = 'B2A24S15P-2648-00205'" |
  grep -q "could not be made safe (short-circuit module" ||
  fail "the stored message does not say the short-circuit module could not be made safe"
station_run B2A24S15P-2648-00206
expect_eq "$RUN_STATUS" 0 "the next board after the module recovered"
echo "ok"
