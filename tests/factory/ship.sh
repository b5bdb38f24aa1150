#!/usr/bin/env bash
# Shipping to a real PostgreSQL: every finished run is queued as it ends, `station sync` ships
# each with its steps, measurements, calibrations and instruments as stored; a run sent again
# is refused as a duplicate and taken off the queue; a row the server refuses leaves that run
# queued with the reason while the others ship; a password in the connection string is
# refused, and a wrong login leaves every run queued.
. "$SOURCE_ROOT/tests/system/lib.sh"
. "$FACTORY_LIB"
pg_start "$1"
factory_config "$WORK/station.conf"
DB=$WORK/results.db
sync() {
  set +e
  "$STATION" sync --db "$DB" --config "$WORK/station.conf" "$@" >"$WORK/sync.out" 2>&1
  SYNC_STATUS=$?
  set -e
  cat "$WORK/sync.out"
}

"$MAKE_RUNS" "$DB" EOL-1 30 1
expect_eq "$(sql "select count(*) from outbox")" 30 "runs queued as they ended"
expect_eq "$(sql "select count(*) from runs where uid is null")" 0 "runs without uid"
sync status
expect_grep '^queued: 30 runs' "$WORK/sync.out"

sync
expect_eq "$SYNC_STATUS" 0 "exit status of a sync that shipped everything"
expect_grep '^shipped 30 runs .* 0 still queued' "$WORK/sync.out"
expect_eq "$(sql "select count(*) from outbox")" 0 "runs queued after the sync"
expect_eq "$(pg_value "select string_agg(version::text, ',' order by version) from station_schema")" \
  1,2,3 "factory schema versions"
for table in steps measurements calibrations run_instruments; do
  expect_eq "$(pg_value "select count(*) from $table")" "$(sql "select count(*) from $table")" \
    "$table shipped"
done
# what was stored is what the factory has, run by run (uid), value by value
local_runs=$(sql "select uid, serial, outcome, coalesce(first_failure, ''), started_at
                  from runs order by uid" | tr '|' ' ')
factory_runs=$(pg_value "select uid, serial, outcome, coalesce(first_failure, ''),
    to_char(started_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') from runs order by uid::text" |
  tr '|' ' ')
expect_eq "$factory_runs" "$local_runs" "the runs in the factory database"
# the factory's values read back into SQLite equal the stored ones exactly
pg_value "select r.uid, m.name, coalesce(m.value::text, ''), coalesce(m.text, '')
    from measurements m join runs r on r.id = m.run_id" >"$WORK/factory_values.txt"
sqlite3 "$WORK/compare.db" "create table f (uid text, name text, value text, text text)" \
  ".import $WORK/factory_values.txt f"
expect_eq "$(sqlite3 "$WORK/compare.db" "attach '$DB' as s; select count(*) from f
    join s.runs r on r.uid = f.uid join s.measurements m on m.run_id = r.id and m.name = f.name
    where (m.value is null and f.value = '') or m.value = cast(f.value as real)")" \
  "$(sql "select count(*) from measurements")" "measurement values equal to the stored ones"
expect_eq "$(pg_value "select count(*) from measurements where text like '%'||chr(9)||'tab'")" \
  "$(sql "select count(*) from measurements where text like '%'||char(9)||'tab'")" \
  "texts with a tab"
expect_eq "$(pg_value "select count(*) from run_instruments where cal_due = '2027-03-01'")" 30 \
  "instruments with their calibration due dates"
expect_eq "$(pg_value "select string_agg(distinct station_id, ',') from runs")" EOL-1 "station"
sync status
expect_grep '^queued: 0 runs' "$WORK/sync.out"
expect_grep '^shipped: 30 runs' "$WORK/sync.out"

# a resend (the answer to a commit lost): nothing duplicated, the queue emptied
sql "insert into outbox (run_id, queued_at) select id, 'x' from runs"
sync
expect_eq "$SYNC_STATUS" 0 "exit status of a resend"
expect_grep '^shipped 0 runs .*\(30 it had already\)' "$WORK/sync.out"
expect_eq "$(pg_value "select count(*) from runs")" 30 "runs after a resend"
expect_eq "$(pg_value "select count(*) from measurements")" \
  "$(sql "select count(*) from measurements")" "measurements after a resend"
expect_eq "$(sql "select count(*) from outbox")" 0 "queue after a resend"

# the server refuses one run: it stays queued with the reason, the others ship
"$MAKE_RUNS" "$DB" EOL-1 5 2
refused=$(sql "select serial from runs order by id desc limit 1 offset 2")
pg_admin -d factory -c "ALTER TABLE runs ADD CONSTRAINT refuse_one CHECK (serial <> '$refused')"
sync
expect_eq "$SYNC_STATUS" 1 "exit status of a sync with a refused run"
expect_grep 'refuse_one' "$WORK/sync.out"
expect_eq "$(sql "select count(*) from outbox")" 1 "runs left queued"
expect_eq "$(sql "select r.serial from outbox o join runs r on r.id = o.run_id")" "$refused" \
  "the refused run"
expect_eq "$(sql "select attempts from outbox")" 1 "attempts of the refused run"
expect_grep 'refuse_one' <(sql "select last_error from outbox")
sync status
expect_grep '^last refused: run [0-9]+: .*refuse_one' "$WORK/sync.out"
pg_admin -d factory -c "ALTER TABLE runs DROP CONSTRAINT refuse_one"
sync
expect_eq "$SYNC_STATUS" 0 "exit status once the server takes it"
expect_eq "$(pg_value "select count(*) from runs")" 35 "runs in the factory database"

# a password in the connection string is refused and never shown
printf '[factory]\ndatabase = host=127.0.0.1 port=%s dbname=factory user=station password=eol-secret-7\n' \
  "$PG_PORT" >"$WORK/bad.conf"
"$MAKE_RUNS" "$DB" EOL-1 1 3
set +e
"$STATION" sync --db "$DB" --config "$WORK/bad.conf" >"$WORK/bad.out" 2>&1
status=$?
set -e
cat "$WORK/bad.out"
expect_eq "$status" 2 "exit status with a password in the configuration"
expect_grep 'holds a password' "$WORK/bad.out"
grep -q eol-secret-7 "$WORK/bad.out" && fail "the password was printed"
# without the password file the login fails: the run stays queued, the reason in the status
printf '[factory]\ndatabase = host=127.0.0.1 port=%s dbname=factory user=station\npassfile = %s\n' \
  "$PG_PORT" "$WORK/empty.pgpass" >"$WORK/nopass.conf"
: >"$WORK/empty.pgpass"
chmod 600 "$WORK/empty.pgpass"
set +e
"$STATION" sync --db "$DB" --config "$WORK/nopass.conf" >"$WORK/bad.out" 2>&1
status=$?
set -e
cat "$WORK/bad.out"
expect_eq "$status" 2 "exit status when the login fails"
expect_grep "the factory database server 127.0.0.1 port $PG_PORT asks a password for user 'station'" "$WORK/bad.out"
expect_eq "$(sql "select count(*) from outbox")" 1 "runs queued after a failed login"
"$STATION" sync status --db "$DB" --config "$WORK/nopass.conf" >"$WORK/sync.out"
cat "$WORK/sync.out"
expect_grep "^last attempt: .*asks a password for user 'station'" "$WORK/sync.out"
echo "ok"
