#!/usr/bin/env bash
# The factory database dies in the middle of a run's transaction: `station sync` says it
# could not ship (exit 2), every run stays queued with the reason; once the server is back
# the next sync ships each run exactly once, the one cut off included.
. "$SOURCE_ROOT/tests/system/lib.sh"
. "$FACTORY_LIB"
pg_start "$1"
factory_config "$WORK/station.conf"
DB=$WORK/results.db
"$MAKE_RUNS" "$DB" EOL-1 12 4

# the schema first, then a server that takes its time over every run row
"$STATION" sync status --db "$DB" --config "$WORK/station.conf" >/dev/null
"$STATION" sync --db "$WORK/empty.db" --config "$WORK/station.conf" >/dev/null
pg_admin -d factory -c "CREATE FUNCTION slow_run() RETURNS trigger LANGUAGE plpgsql AS
  \$\$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END \$\$;
  CREATE TRIGGER slow_run AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION slow_run();"

set +e
"$STATION" sync --db "$DB" --config "$WORK/station.conf" >"$WORK/sync.out" 2>&1 &
sync_pid=$!
set -e
# wait until the station's transaction is inside the run row's insert
for _ in $(seq 200); do
  [ "$(pg_value "select count(*) from pg_stat_activity where application_name =
      'jk-eol-station' and wait_event = 'PgSleep'")" = 1 ] && break
  sleep 0.05
done
expect_eq "$(pg_value "select count(*) from pg_stat_activity where application_name =
    'jk-eol-station' and wait_event = 'PgSleep'")" 1 "a station transaction under way"
pg_server_kill
set +e
timeout 20 tail --pid=$sync_pid -f /dev/null
wait $sync_pid
status=$?
set -e
cat "$WORK/sync.out"
expect_eq "$status" 2 "exit status of a sync cut off by the server's death"
expect_grep 'connection was lost|terminat|server closed' "$WORK/sync.out"
expect_eq "$(sql "select count(*) from outbox")" 12 "runs still queued"
expect_eq "$(sql "select count(*) from outbox where last_error is not null")" 1 \
  "runs with the reason of the failed attempt"

pg_server_start
expect_eq "$(pg_value "select count(*) from runs")" 0 "runs the dead server kept"
pg_admin -d factory -c "DROP TRIGGER slow_run ON runs"
set +e
"$STATION" sync --db "$DB" --config "$WORK/station.conf" >"$WORK/sync.out" 2>&1
status=$?
set -e
cat "$WORK/sync.out"
expect_eq "$status" 0 "exit status of the sync after the restart"
expect_eq "$(sql "select count(*) from outbox")" 0 "runs queued after the restart"
expect_eq "$(pg_value "select count(*) || ' ' || count(distinct uid) from runs")" "12 12" \
  "runs in the factory database, each once"
expect_eq "$(pg_value "select count(*) from measurements")" \
  "$(sql "select count(*) from measurements")" "measurements, each once"
echo ok
