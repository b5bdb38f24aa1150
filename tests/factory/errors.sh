#!/usr/bin/env bash
# What a station says when it cannot use its factory database, one sentence each naming what
# was wrong and what to do, the runs staying queued: the server down (connection refused), a
# host name not known, a server that does not answer, a wrong password, no password for the
# user, the login refused by the server's rules, a database not there, a password file that
# is missing or open to others (libpq ignores such a file, so the station refuses it first),
# a schema newer than the station knows. A password in the connection string is refused, and
# the password is never printed or stored.
. "$SOURCE_ROOT/tests/system/lib.sh"
. "$FACTORY_LIB"
pg_start "$1"
factory_config "$WORK/station.conf"
DB=$WORK/results.db
SECRET=eol-secret-7
: >"$WORK/all.out"
# sync CONFIG [args]: station sync with that configuration, output in sync.out (and all.out)
sync() {
  local conf=$1
  shift
  set +e
  "$STATION" sync --db "$DB" --config "$conf" "$@" >"$WORK/sync.out" 2>&1
  SYNC_STATUS=$?
  set -e
  cat "$WORK/sync.out" | tee -a "$WORK/all.out"
}
# config FILE CONNINFO [PASSFILE]
config() {
  printf '[factory]\ndatabase = %s\n' "$2" >"$1"
  [ -z "${3:-}" ] || printf 'passfile = %s\n' "$3" >>"$1"
}
conninfo="host=127.0.0.1 port=$PG_PORT dbname=factory user=station connect_timeout=2"
"$MAKE_RUNS" "$DB" EOL-1 3 1
queued() { expect_eq "$(sql "select count(*) from outbox")" 3 "runs queued after: $1"; }

# the server down: connection refused
pg_server_kill
sync "$WORK/station.conf"
expect_eq "$SYNC_STATUS" 2 "exit status with the server down"
expect_grep "^station: the factory database server 127.0.0.1 port $PG_PORT cannot be reached \(Connection refused\): check that it is running and accepts connections from this station there, or correct host and port in \[factory\] database of $WORK/station.conf; the runs stay queued$" "$WORK/sync.out"
queued "the server down"
"$STATION" sync status --db "$DB" --config "$WORK/station.conf" >"$WORK/status.out"
expect_grep "^last attempt: .*cannot be reached \(Connection refused\)" "$WORK/status.out"
pg_server_start

# a host name not known
config "$WORK/host.conf" "host=no-such-host.invalid port=$PG_PORT dbname=factory user=station" \
  "$PG_PASSFILE"
sync "$WORK/host.conf"
expect_eq "$SYNC_STATUS" 2 "exit status with a host not known"
expect_grep "^station: the factory database's host 'no-such-host.invalid' is not known to this station \(.+\): correct host in \[factory\] database of $WORK/host.conf, or add the name to the station's DNS or /etc/hosts; the runs stay queued$" "$WORK/sync.out"
queued "a host not known"

# a server that takes the connection and never answers: refused after connect_timeout
/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True); time.sleep(60)' >"$WORK/mute.port" &
mute_pid=$!
for _ in $(seq 100); do [ -s "$WORK/mute.port" ] && break; sleep 0.05; done
config "$WORK/mute.conf" "host=127.0.0.1 port=$(cat "$WORK/mute.port") dbname=factory user=station connect_timeout=2" "$PG_PASSFILE"
started=$(date +%s%N)
sync "$WORK/mute.conf"
took_ms=$((($(date +%s%N) - started) / 1000000))
kill $mute_pid
expect_eq "$SYNC_STATUS" 2 "exit status with a server that does not answer"
expect_grep "^station: the factory database server 127.0.0.1 port [0-9]+ did not answer the login within 2 s \(connect_timeout\): check that it is running and reachable from this station, or correct host and port in \[factory\] database of $WORK/mute.conf" "$WORK/sync.out"
[ "$took_ms" -lt 4000 ] || fail "the silent server held the sync for $took_ms ms"
queued "a server that does not answer"

# a wrong password
echo "127.0.0.1:$PG_PORT:factory:station:not-the-password" >"$WORK/wrong.pgpass"
chmod 600 "$WORK/wrong.pgpass"
config "$WORK/wrong.conf" "$conninfo" "$WORK/wrong.pgpass"
sync "$WORK/wrong.conf"
expect_eq "$SYNC_STATUS" 2 "exit status with a wrong password"
expect_grep "^station: the factory database server 127.0.0.1 port $PG_PORT refused the login of user 'station', authentication failed with the password from $WORK/wrong.pgpass \(.*\): correct that password there, or ask the database's administrator for the right one; the runs stay queued$" "$WORK/sync.out"
grep -q not-the-password "$WORK/sync.out" && fail "the wrong password was printed"
queued "a wrong password"

# no password for the user in the file
echo "127.0.0.1:$PG_PORT:factory:someone-else:$SECRET" >"$WORK/other.pgpass"
chmod 600 "$WORK/other.pgpass"
config "$WORK/other.conf" "$conninfo" "$WORK/other.pgpass"
sync "$WORK/other.conf"
expect_eq "$SYNC_STATUS" 2 "exit status without a password for the user"
expect_grep "^station: the factory database server 127.0.0.1 port $PG_PORT asks a password for user 'station' and the password file $WORK/other.pgpass \(passfile in \[factory\] of $WORK/other.conf\) has none for it: add the line 127.0.0.1:$PG_PORT:factory:station:PASSWORD there; the runs stay queued$" "$WORK/sync.out"
queued "no password for the user"

# the login refused by the server's rules (a role that may not log in), a database not there
pg_admin -d postgres -c "CREATE ROLE visitor NOLOGIN PASSWORD '$SECRET'" >/dev/null
echo "127.0.0.1:$PG_PORT:*:*:$SECRET" >"$WORK/any.pgpass"
chmod 600 "$WORK/any.pgpass"
config "$WORK/role.conf" "host=127.0.0.1 port=$PG_PORT dbname=factory user=visitor" \
  "$WORK/any.pgpass"
sync "$WORK/role.conf"
expect_eq "$SYNC_STATUS" 2 "exit status with a role that may not log in"
expect_grep "^station: the factory database server 127.0.0.1 port $PG_PORT refused the login of user 'visitor' to database 'factory' \(.*visitor.*\): ask the database's administrator to let this station in \(pg_hba.conf, the role\), or correct user and dbname in \[factory\] database of $WORK/role.conf; the runs stay queued$" "$WORK/sync.out"
config "$WORK/nodb.conf" "host=127.0.0.1 port=$PG_PORT dbname=nowhere user=station" \
  "$WORK/any.pgpass"
sync "$WORK/nodb.conf"
expect_eq "$SYNC_STATUS" 2 "exit status with a database not there"
expect_grep "^station: the factory database server 127.0.0.1 port $PG_PORT has no database 'nowhere' \(.*nowhere.*\): correct dbname in \[factory\] database of $WORK/nodb.conf, or ask the database's administrator to create it; the runs stay queued$" "$WORK/sync.out"
queued "the login refused"

# a password file that does not exist: named by the configuration, or by PGPASSFILE
config "$WORK/missing.conf" "$conninfo" "$WORK/missing.pgpass"
sync "$WORK/missing.conf"
expect_eq "$SYNC_STATUS" 2 "exit status with a password file missing"
expect_grep "^station: the factory database's password file $WORK/missing.pgpass \(passfile in \[factory\] of $WORK/missing.conf\) does not exist: create it with the line host:port:dbname:user:password and make it private \(chmod 600\)$" "$WORK/sync.out"
config "$WORK/env.conf" "$conninfo"
PGPASSFILE=$WORK/missing.pgpass sync "$WORK/env.conf"
expect_eq "$SYNC_STATUS" 2 "exit status with PGPASSFILE missing"
expect_grep "^station: the factory database's password file $WORK/missing.pgpass \(the environment's PGPASSFILE\) does not exist" "$WORK/sync.out"
queued "a password file missing"

# a password file open to its group or others, which libpq would ignore
cp "$PG_PASSFILE" "$WORK/open.pgpass"
chmod 640 "$WORK/open.pgpass"
config "$WORK/open.conf" "$conninfo" "$WORK/open.pgpass"
sync "$WORK/open.conf"
expect_eq "$SYNC_STATUS" 2 "exit status with a password file its group reads"
expect_grep "^station: the factory database's password file $WORK/open.pgpass \(passfile in \[factory\] of $WORK/open.conf\) is open to its group or others \(mode 0640\), and libpq ignores such a file: make it private with chmod 600 $WORK/open.pgpass$" "$WORK/sync.out"
chmod 604 "$WORK/open.pgpass"
PGPASSFILE=$WORK/open.pgpass sync "$WORK/env.conf"
expect_eq "$SYNC_STATUS" 2 "exit status with PGPASSFILE readable by all"
expect_grep "^station: the factory database's password file $WORK/open.pgpass \(the environment's PGPASSFILE\) is open to its group or others \(mode 0604\)" "$WORK/sync.out"
grep -q WARNING "$WORK/sync.out" && fail "libpq's own warning was printed"
queued "a password file open to others"
# made private, the same file works, named by PGPASSFILE
chmod 600 "$WORK/open.pgpass"
PGPASSFILE=$WORK/open.pgpass sync "$WORK/env.conf"
expect_eq "$SYNC_STATUS" 0 "exit status once the password file is private"
expect_eq "$(pg_value "select count(*) from runs")" 3 "runs shipped"

# a schema newer than the station knows: nothing is written, the runs stay queued
"$MAKE_RUNS" "$DB" EOL-1 3 2
latest=$(pg_value "select max(version) from station_schema")
pg_value "insert into station_schema (version) values ($((latest + 1)))" >/dev/null
sync "$WORK/station.conf"
expect_eq "$SYNC_STATUS" 2 "exit status with a newer schema"
expect_grep "^station: the factory database host=127.0.0.1 port=$PG_PORT dbname=factory user=station has schema version $((latest + 1)), newer than the $latest this station knows: update this station's software to the version that migrated it; the runs stay queued$" "$WORK/sync.out"
queued "a newer schema"
expect_eq "$(pg_value "select count(*) from runs")" 3 "runs in the factory database"
"$STATION" report yield --factory --config "$WORK/station.conf" >"$WORK/report.out" 2>&1 &&
  fail "a report ran on a newer schema"
cat "$WORK/report.out" >>"$WORK/all.out"
expect_grep "newer than the $latest this station knows" "$WORK/report.out"
pg_value "delete from station_schema where version > $latest" >/dev/null

# a password in the connection string, in any form, is refused and never shown
for form in "host=127.0.0.1 port=$PG_PORT dbname=factory user=station password=$SECRET" \
            "postgresql://station:$SECRET@127.0.0.1:$PG_PORT/factory" \
            "postgresql://station@127.0.0.1:$PG_PORT/factory?password=$SECRET" \
            "postgresql://station:$SECRET@[::1:$PG_PORT/factory"; do
  config "$WORK/password.conf" "$form"
  sync "$WORK/password.conf"
  expect_eq "$SYNC_STATUS" 2 "exit status with a password in '${form/$SECRET/***}'"
  expect_grep "^station: the factory database's connection string in $WORK/password.conf holds a password: remove it and put the password in a password file" "$WORK/sync.out"
  "$STATION" sync status --db "$DB" --config "$WORK/password.conf" >>"$WORK/all.out" 2>&1
  "$STATION" report yield --factory --config "$WORK/password.conf" >>"$WORK/all.out" 2>&1 &&
    fail "a report ran with a password in the connection string"
done
queued "a password in the connection string"
grep -n "$SECRET" "$WORK/all.out" && fail "the password was printed"
sqlite3 "$DB" .dump | grep -q "$SECRET" && fail "the password was stored in the result database"
sync "$WORK/station.conf"
expect_eq "$SYNC_STATUS" 0 "exit status once all is right"
expect_eq "$(pg_value "select count(*) from runs")" 6 "runs shipped"
echo "ok"
