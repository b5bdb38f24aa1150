#!/usr/bin/env bash
# `station run` with a factory database configured: the run is in the factory database when
# the command has returned; with the server dead the run still ends at once with its verdict
# and stays queued; the next run once the server is back ships both.
. "$SOURCE_ROOT/tests/system/lib.sh"
. "$FACTORY_LIB"
pg_start "$1"
factory_config "$WORK/station.conf"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware

station_run B2A24S15P-2649-00101 --config "$WORK/station.conf"
expect_eq "$RUN_STATUS" 0 "exit status of a passing run"
expect_grep '^PASS  B2A24S15P-2649-00101' "$WORK/run.out"
uid=$(sql "select uid from runs where serial = 'B2A24S15P-2649-00101'")
expect_eq "$(pg_value "select outcome || ' ' || serial from runs where uid = '$uid'")" \
  "PASS B2A24S15P-2649-00101" "the run in the factory database"
expect_eq "$(pg_value "select count(*) from measurements m join runs r on r.id = m.run_id
    where r.uid = '$uid'")" "$(sql "select count(*) from measurements")" "its measurements"
expect_eq "$(pg_value "select count(*) from run_instruments")" \
  "$(sql "select count(*) from run_instruments")" "its instruments"
expect_eq "$(sql "select count(*) from outbox")" 0 "runs queued"

# the server dies: the run's verdict and exit are not held up, the run stays queued
pg_server_kill
started=$(date +%s%N)
station_run B2A24S15P-2649-00102 --config "$WORK/station.conf"
ended=$(date +%s%N)
expect_eq "$RUN_STATUS" 0 "exit status of a passing run with the server dead"
expect_grep '^PASS  B2A24S15P-2649-00102' "$WORK/run.out"
expect_eq "$(sql "select count(*) from outbox")" 1 "runs queued with the server dead"
"$STATION" sync status --db "$WORK/results.db" --config "$WORK/station.conf" >"$WORK/status.out"
cat "$WORK/status.out"
expect_grep '^queued: 1 runs' "$WORK/status.out"
expect_grep '^last attempt: .*the factory database server 127.0.0.1 port [0-9]+ cannot be reached' \
  "$WORK/status.out"
# the same run without a factory database, for the time a run takes
rm -f "$WORK/empty.conf"; touch "$WORK/empty.conf"
started_plain=$(date +%s%N)
station_run B2A24S15P-2649-00103 --config "$WORK/empty.conf" >/dev/null
ended_plain=$(date +%s%N)
echo "run with the server dead: $(((ended - started) / 1000000)) ms; without a factory: $(((ended_plain - started_plain) / 1000000)) ms"
[ $(((ended - started) - (ended_plain - started_plain))) -lt 2500000000 ] ||
  fail "the dead server held the run up by more than its ship wait"

pg_server_start
station_run B2A24S15P-2649-00104 --config "$WORK/station.conf"
expect_eq "$RUN_STATUS" 0 "exit status once the server is back"
expect_eq "$(sql "select count(*) from outbox")" 0 "runs queued once the server is back"
expect_eq "$(pg_value "select string_agg(serial, ',' order by local_id) from runs")" \
  "B2A24S15P-2649-00101,B2A24S15P-2649-00102,B2A24S15P-2649-00103,B2A24S15P-2649-00104" \
  "runs in the factory database"
echo ok
