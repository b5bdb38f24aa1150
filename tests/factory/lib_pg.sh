# Shared by the factory tests: a real PostgreSQL server of their own (Debian's postgresql),
# made with initdb in a temporary folder and stopped at exit. The server refuses to run as
# root, so as root it runs as the postgres user (the package makes it), owning its folder.
# After pg_start: PG_DIR, PG_PORT, a role "station" with a password kept in a password file
# (PG_PASSFILE) and a database "factory" it owns; factory_config FILE writes a station
# configuration naming it. PG_SERVER_OPTIONS (e.g. "-c shared_buffers=512MB") are given to
# the server besides the tests' own.
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

# Runs a server program as the folder's owner.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# pg_start PORT: a new cluster in a temporary folder, listening on 127.0.0.1:PORT.
pg_start() {
  PG_PORT=$1
  [ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL server installed (postgresql)"; exit 77; }
  PG_DIR=$(mktemp -d /tmp/jk-factory-pg-XXXXXX)
  chmod 755 "$PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
  pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U admin --auth-local=trust \
    --auth-host=scram-sha-256 --locale=C.UTF-8 -E UTF8 >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log"; return 1; }
  pg_server_start || return 1
  pg_admin -d postgres -c "CREATE ROLE station LOGIN PASSWORD 'eol-secret-7'" >/dev/null &&
    pg_admin -d postgres -c "CREATE DATABASE factory OWNER station" >/dev/null || return 1
  PG_PASSFILE=$PG_DIR/pgpass
  echo "127.0.0.1:$PG_PORT:factory:station:eol-secret-7" >"$PG_PASSFILE"
  chmod 600 "$PG_PASSFILE"
  # the system tests' cleanup (tests/system/lib.sh) too, when it is sourced
  trap 'pg_cleanup; declare -F cleanup >/dev/null && cleanup' EXIT
}

pg_server_start() {
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off ${PG_SERVER_OPTIONS:-}" \
    start >/dev/null ||
    { cat "$PG_DIR/server.log"; return 1; }
}

# pg_server_kill: the server dies at once (no shutdown), as in a crash or power loss.
pg_server_kill() {
  pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null
}

# psql as the cluster's superuser over its socket.
pg_admin() {
  "$PG_BIN/psql" -h "$PG_DIR" -p "$PG_PORT" -U admin -X -q -v ON_ERROR_STOP=1 "$@"
}

# One value from the factory database.
pg_value() {
  pg_admin -d factory -At -c "$1"
}

# pg_database NAME: one more database owned by the role "station", its password in PG_PASSFILE.
pg_database() {
  pg_admin -d postgres -c "CREATE DATABASE $1 OWNER station" >/dev/null &&
    echo "127.0.0.1:$PG_PORT:$1:station:eol-secret-7" >>"$PG_PASSFILE"
}

# factory_config FILE [DBNAME]: the station configuration naming the test's factory database
# (default "factory").
factory_config() {
  cat >"$1" <<CONF
[factory]
database = host=127.0.0.1 port=$PG_PORT dbname=${2:-factory} user=station connect_timeout=3
passfile = $PG_PASSFILE
CONF
}

pg_cleanup() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$PG_DIR"
  fi
}
