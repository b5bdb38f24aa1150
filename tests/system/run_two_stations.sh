#!/usr/bin/env bash
# Two stations on one fixture: the second run is refused at once, naming the process that
# holds the fixture, without touching the board or the instruments; the first run is not
# disturbed and PASSes.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = real" >>"$WORK/fixture.conf"
release_firmware
set +e
"$STATION" run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2648-00017 \
  --db "$WORK/results.db" --trusted-keys "$TRUSTED" --quiet >"$WORK/first.out" 2>&1 &
first_pid=$!
for _ in $(seq 600); do
  grep -q 'setup    power-on' "$WORK/first.out" && break
  sleep 0.05
done
start=$(date +%s.%N)
station_run B2A24S15P-2648-00099 --quiet
second_status=$RUN_STATUS
took=$(echo "$(date +%s.%N) - $start" | bc)
wait "$first_pid"
first_status=$?
set -e
cat "$WORK/first.out"
expect_eq "$second_status" 2 "exit status of the second run"
expect_grep "is in use by another station process \(pid $first_pid on " "$WORK/run.out"
need_number "time to refuse the second run" "$took"
awk -v t="$took" 'BEGIN {exit !(t < 5)}' || fail "the second run took $t s to be refused"
expect_eq "$first_status" 0 "exit status of the first run"
expect_eq "$(sql "select outcome from runs where serial = 'B2A24S15P-2648-00017'")" PASS \
  "the first run"
expect_eq "$(sql "select count(*) from steps s join runs r on r.id = s.run_id
                  where r.serial = 'B2A24S15P-2648-00099' and s.outcome = 'PASS'
                  and s.name not in ('firmware-release', 'safe-state')")" 0 \
  "the second run did nothing on the fixture"
echo "ok"
