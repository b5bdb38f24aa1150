#!/usr/bin/env bash
# The station killed with SIGKILL at random points of real runs on the twin (the station starts
# the twin itself, in virtual time), KILLS times (default 100). After each kill: the database's
# integrity check is ok; a run that had shown its verdict is stored with that verdict, every
# step and every measurement it printed; an interrupted run is ABORTED once the store is
# opened again and every step of it has an end; no twin process is left; the next run starts.
# At the end a good board PASSes. SEED repeats a sequence of kill times.
. "$(dirname "$0")/lib.sh"
kills=${KILLS:-100}
seed=${SEED:-$$}
RANDOM=$seed
echo "kills: $kills, seed: $seed"

# The twin as sim.conf starts it, on free ports (the station starts and stops it), the
# fixture's id this test's own.
autostart_fixture
control_port=$CONTROL_PORT
sed -i "s/^id = SIM-01$/id = KILL-$$/" "$WORK/fixture.conf"
release_firmware

twin_listening() { ( exec 3<>"/dev/tcp/127.0.0.1/$control_port" ) 2>/dev/null; }
twin_left() { pgrep -f -- "--control-port $control_port " >/dev/null; }

# Waits (up to 5 s) until no twin of this test runs; fails naming the kill otherwise.
expect_no_twin() {
  local _
  for _ in $(seq 100); do
    twin_left || twin_listening || return 0
    sleep 0.05
  done
  fail "a twin process was left after $1: $(pgrep -af -- "--control-port $control_port ")"
}

# Whole runs first: how long one takes, so the kill points cover all of it. The shorter of
# two: on a loaded machine one run can take twice as long as the next, and a window set by
# the slow one puts most kills after the verdict.
start=$(date +%s%N)
station_run B2A24S15P-2648-00003 --quiet
expect_eq "$RUN_STATUS" 0 "exit status of the first good board"
first_ms=$(( ($(date +%s%N) - start) / 1000000 ))
start=$(date +%s%N)
station_run B2A24S15P-2648-00001
expect_eq "$RUN_STATUS" 0 "exit status of the second good board"
run_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$first_ms" -lt "$run_ms" ] && run_ms=$first_ms
expect_no_twin "the first runs"
echo "a whole run takes $run_ms ms; kills at random points up to $((run_ms * 2)) ms"

# The steps a run printed as ended, "group name outcome" each, in the order they ended.
printed_steps() {
  sed -nE 's/^\[ *[0-9.]+ s\] (setup|main|teardown) +([^ ]+) +(PASS|FAIL|SKIP|ERROR)(:.*)?$/\1 \2 \3/p' "$1"
}
# How many measurements a run printed (a verdict or blank for a logged value, then the name).
printed_measurements() {
  grep -cE '^             (PASS |FAIL |ERROR|SKIP |     ) [A-Za-z0-9_.]+ ' "$1" || true
}
# The check of the first run's output against its record proves the parsers.
# A step that runs in another's overlapped wait ends before it, so the steps are compared
# as sets (sorted), not in the order they began.
stored_steps() {
  sql "select grp || ' ' || name || ' ' || outcome from steps where run_id = $1" | sort
}
expect_eq "$(printed_steps "$WORK/run.out" | sort)" "$(stored_steps 2)" \
  "the first run's steps as printed and stored"
expect_eq "$(printed_measurements "$WORK/run.out")" \
  "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id where s.run_id = 2")" \
  "the first run's measurements as printed and stored"

verdicts=0 finished=0 interrupted=0 before_row=0
for i in $(seq "$kills"); do
  serial=$(printf 'B2A24S15P-2648-%05d' $((100 + i)))
  out=$WORK/kill-$i.out
  delay_ms=$(( (RANDOM * 32768 + RANDOM) % (run_ms * 2 + 1) ))
  "$STATION" run --fixture "$WORK/fixture.conf" --serial "$serial" --db "$WORK/results.db" \
    --trusted-keys "$TRUSTED" >"$out" 2>&1 &
  pid=$!
  # Waits until the kill point, or until the run ends before it: a run that ends gives its
  # duration, which sets the window from here on. The machine's load changes while the test
  # runs (other tests start and end), and with it how long a run takes.
  began=$(date +%s%N)
  while kill -0 "$pid" 2>/dev/null; do
    elapsed_ms=$(( ($(date +%s%N) - began) / 1000000 ))
    [ "$elapsed_ms" -ge "$delay_ms" ] && break
    sleep 0.01
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  else
    wait "$pid" 2>/dev/null || true
    ended_ms=$(( ($(date +%s%N) - began) / 1000000 ))
    # bash reaps its children as they end, so the run ended at most 10 ms before this; the
    # window follows the mean of the last runs, not one odd run
    run_ms=$(( (run_ms + ended_ms) / 2 ))
  fi
  expect_no_twin "kill $i at $delay_ms ms"
  # Opening the store alone marks the killed run ABORTED.
  "$STATION" runs --db "$WORK/results.db" --limit 1 >/dev/null ||
    fail "the store does not open after kill $i"
  expect_eq "$(sql "pragma integrity_check")" ok "integrity after kill $i at $delay_ms ms"
  expect_eq "$(sql "select count(*) from runs where outcome = 'RUNNING'
                    or id in (select run_id from steps where outcome = 'RUNNING' or ended_at is null)")" \
    0 "runs or steps left going after kill $i"
  run_id=$(sed -nE "s/^Run ([0-9]+): $serial .*/\1/p" "$out")
  stored=$(sql "select outcome from runs where serial = '$serial'")
  shown=$(sed -nE "s/^(PASS|FAIL|ERROR|ABORTED)  $serial  .* stored in .*/\1/p" "$out")
  if [ -n "$shown" ]; then
    verdicts=$((verdicts + 1))
    expect_eq "$stored" "$shown" "the stored verdict of $serial (kill $i at $delay_ms ms)"
    expect_eq "$(printed_steps "$out" | sort)" "$(stored_steps "$run_id")" \
      "the steps of $serial, whose verdict was shown (kill $i)"
    expect_eq "$(printed_measurements "$out")" \
      "$(sql "select count(*) from measurements m join steps s on s.id = m.step_id where s.run_id = $run_id")" \
      "the measurements of $serial, whose verdict was shown (kill $i)"
  elif [ -n "$stored" ] && [ "$stored" != ABORTED ]; then
    # killed after its final commit, before it printed the verdict: stored whole
    finished=$((finished + 1))
    expect_eq "$(sql "select count(*) from runs where id = $run_id and ended_at is not null
                      and outcome in ('PASS', 'FAIL', 'ERROR')
                      and (select count(*) from steps where run_id = $run_id and grp = 'teardown'
                           and name = 'safe-state') = 1")" 1 \
      "the finished run of $serial, killed before its verdict was shown (kill $i)"
  elif [ -n "$stored" ]; then
    interrupted=$((interrupted + 1))
    # what it printed as done is stored as done
    while read -r group name outcome; do
      [ "$(sql "select outcome from steps where run_id = $run_id and grp = '$group'
                and name = '$name'")" = "$outcome" ] ||
        fail "step $group $name of the interrupted $serial (kill $i): printed $outcome"
    done < <(printed_steps "$out")
  else
    before_row=$((before_row + 1))
    grep -q "^Run [0-9]*: $serial" "$out" && fail "run of $serial shown begun but not stored"
  fi
done
echo "the last runs took $run_ms ms"
echo "$kills kills: $verdicts after the verdict was shown, $finished after the final commit" \
  "but before the verdict was shown, $interrupted runs interrupted, $before_row before the" \
  "run was stored"
[ "$interrupted" -ge $((kills / 4)) ] ||
  fail "only $interrupted of $kills kills interrupted a run: the kill points miss the runs"

station_run B2A24S15P-2648-00002 --quiet
expect_eq "$RUN_STATUS" 0 "exit status of the good board after the kills"
expect_no_twin "the last run"
expect_eq "$(sql "pragma integrity_check")" ok "integrity at the end"
echo "ok"
