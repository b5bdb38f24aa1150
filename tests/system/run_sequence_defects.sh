#!/usr/bin/env bash
# Defective boards fail at the step that tests the defect, and the stored run names the
# symptom: the first failing step and its message, the failing measurement, the fixture
# made safe. The twin's clock runs virtual.
. "$(dirname "$0")/lib.sh"
declare -A defect=(
  [BD6A20S8P-2648-00101]=chg-fet-short
  [BD6A24S10P-2648-00102]=dsg-fet-open
  [B2A20S20P-2648-00103]=ocp-dead
  [B1A24S15P-2648-00104]=scp-slow:400
  [BD4A17S4P-2648-00105]=ntc-open:2
  [B2A24S20P-2648-00106]=heater-open
  [BD6A17S6P-2648-00107]=heater-stuck-on
  [B5A25S60P-2648-00108]=balance-dead:7
  [B1A8S10P-2648-00109]=path-res:2
  [BD4A8S4P-2648-00110]=shunt:35
  [B2A24S15P-2648-00111]=hw-rev:10
  [BD6A24S10P-2648-00112]=mos-otp-dead
)
rules=()
for serial in "${!defect[@]}"; do rules+=(--fault-rule "$serial=${defect[$serial]}"); done
start_twin "${rules[@]}"
release_firmware
printf 'clock = virtual\n' >>"$WORK/fixture.conf"   # [twin] is the file's last group

# check SERIAL STEP MESSAGE-PATTERN: the board fails at STEP and the stored message matches.
check() {
  station_run "$1"
  expect_eq "$RUN_STATUS" 1 "exit status of $1 (${defect[$1]})"
  local run
  run=$(sql "select max(id) from runs")
  expect_eq "$(sql "select outcome || ',' || first_failure from runs where id = $run")" \
    "FAIL,$2" "verdict of $1 (${defect[$1]})"
  sql "select message from runs where id = $run" | grep -qE -- "^$2: $3" ||
    fail "$1 (${defect[$1]}): message '$(sql "select message from runs where id = $run")'"
  expect_eq "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id
                    where s.run_id = $run and s.name = '$2' and m.outcome = 'FAIL'")" 1 \
    "the failing measurement of $1 is stored"
  expect_eq "$(sql "select outcome from steps where run_id = $run and name = 'safe-state'")" \
    PASS "safe state after $1"
}
check BD6A20S8P-2648-00101 overcharge \
  "charge MOSFET still conducts after cell 1 OVP: 1\.00 A flows"
check BD6A24S10P-2648-00102 current-calibration \
  "discharge MOSFET does not conduct: 0\.00 A of 10\.00 A into the load"
check B2A20S20P-2648-00103 charge-overcurrent \
  "charge over-current protection does not trip: 11\.0 A for [0-9.]+ s"
# 300 µs on the board's timer (±1 %), its comparator latency (20..60 µs), a timer tick and
# the defect's 400 µs.
check B1A24S15P-2648-00104 short-circuit "short-circuit trip takes 7[1-7][0-9] us, programmed 300 us"
check BD4A17S4P-2648-00105 temperature \
  "temperature sensor T2 reads -40\.0 degC at 25\.0 degC \(input open\)"
check B2A24S20P-2648-00106 heater "heater gives -?0\.0[0-9] V .*\(heater output open\)"
check BD6A17S6P-2648-00107 heater "heater conducts at 25\.0 degC: .* \(heater switch stuck on\)"
check B5A25S60P-2648-00108 balance "balancer moves .* (out of|into) cell 7"
check B1A8S10P-2648-00109 path-resistance "main path resistance 0\.[56][0-9]* mOhm, nominal 0\.300"
check BD4A8S4P-2648-00110 current-calibration \
  "current reading needs a correction of 0\.[678][0-9]+: shunt or amplifier out of tolerance"
check B2A24S15P-2648-00111 identify "hardware version 10\.XW, the model is built on 11\.XW"
check BD6A24S10P-2648-00112 mos-overtemperature \
  "MOS over-temperature does not trip at a [0-9.]+ degC setting, its sensor reads [0-9.]+ degC"
# A defective board's later steps still ran (only critical steps stop the run) ...
expect_eq "$(sql "select s.outcome from steps s join runs r on r.id = s.run_id
                  where r.serial = 'BD6A20S8P-2648-00101' and s.name = 'final-configuration'")" \
  PASS "steps after a non-critical failure"
# ... and a failing critical step stops it.
expect_eq "$(sql "select s.outcome from steps s join runs r on r.id = s.run_id
                  where r.serial = 'BD6A24S10P-2648-00102' and s.name = 'path-resistance'")" \
  SKIP "steps after a failed critical step"
echo "ok"
