#!/usr/bin/env bash
# A result store the station cannot write is refused before a run starts, in one sentence
# saying why and what to do, with exit status 2, and loses nothing already stored: a
# read-only database file, a read-only folder, a database another program keeps locked
# beyond the busy timeout, a database of a newer schema, a full disk. After each, the store
# made usable again takes the next run.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
station_run B2A24S15P-2648-00017 --quiet
expect_eq "$RUN_STATUS" 0 "exit status of the first good board"
chmod 755 "$WORK"

# As root every file is writable: the refused runs go as an unprivileged user then.
as_station_user() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
  else
    "$@"
  fi
}

# refused WHAT PATTERN [prefix...]: a run started (through the prefix command) is refused with
# exit status 2 and one line on stderr matching PATTERN, no step begun, the database's
# content unchanged.
refused() {
  local what=$1 pattern=$2
  shift 2
  local before
  before=$(sqlite3 "$WORK/results.db" .dump | sha256sum)
  set +e
  "$@" timeout 60 "$STATION" run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2648-00018 \
    --db "$WORK/results.db" --trusted-keys "$TRUSTED" >"$WORK/refused.out" 2>"$WORK/refused.err"
  local status=$?
  set -e
  cat "$WORK/refused.out" "$WORK/refused.err"
  expect_eq "$status" 2 "exit status with $what"
  expect_eq "$(wc -l <"$WORK/refused.err")" 1 "lines saying why with $what"
  expect_grep "$pattern" "$WORK/refused.err"
  grep -q 'setup\|main' "$WORK/refused.out" && fail "a step began with $what"
  expect_eq "$(sqlite3 "$WORK/results.db" .dump | sha256sum)" "$before" \
    "the stored results after $what"
}

chmod 444 "$WORK/results.db"
refused "a read-only database" "result database .*results.db is read-only .*make it writable" \
  as_station_user
chmod 644 "$WORK/results.db"

chmod a+w "$WORK/results.db" "$WORK/results.db.lock" "$WORK/results.db.runs"
chmod 555 "$WORK"
refused "a read-only folder" "folder .* of the result database is read-only .*make the folder writable" \
  as_station_user
chmod 755 "$WORK"

# Another program holds the write lock (a write transaction left open) for longer than the
# station's 5 s busy timeout.
mkfifo "$WORK/locker.out"
/usr/bin/python3 - "$WORK/results.db" >"$WORK/locker.out" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE stations SET description = description")
print("locked", flush=True)
time.sleep(20)
PY
locker=$!
read -r -t 10 line <"$WORK/locker.out" || fail "the locking program did not start"
start=$(date +%s.%N)
refused "a locked database" "is locked by another program for more than 5 s .*start again"
took=$(echo "$(date +%s.%N) - $start" | bc)
kill "$locker"
wait "$locker" 2>/dev/null || true
need_number "time to refuse a locked database" "$took"
awk -v t="$took" 'BEGIN {exit !(t < 10)}' || fail "refusing a locked database took $took s"

version=$(sql "pragma user_version")
sql "pragma user_version = $((version + 1))"
refused "a newer schema" "schema version $((version + 1)) is newer than this station \($version\); update the station"
sql "pragma user_version = $version"

# A full disk at the start: the database on a small file system of its own (a tmpfs in a
# private mount namespace), filled up to 1 MiB free by another file.
if ! unshare --user --map-root-user --mount true 2>/dev/null; then
  # a machine without user namespaces cannot mount the small file system: said, not hidden
  echo "NOT CHECKED: a full disk at the start (unshare --user --mount is not allowed here)"
else
mkdir "$WORK/small"
cat >"$WORK/full_disk.sh" <<'SH'
set -euo pipefail
mount -t tmpfs -o size=16m tmpfs "$WORK/small"
cp "$WORK/results.db" "$WORK/small/results.db"
free_kib=$(df -k --output=avail "$WORK/small" | tail -1)
head -c $(( (free_kib - 1024) * 1024 )) /dev/zero >"$WORK/small/filler"
before=$(sqlite3 "$WORK/small/results.db" .dump | sha256sum)
set +e
timeout 60 "$STATION" run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2648-00018 \
  --db "$WORK/small/results.db" --trusted-keys "$TRUSTED" >"$WORK/refused.out" 2>"$WORK/refused.err"
echo "status $?"
set -e
[ "$(sqlite3 "$WORK/small/results.db" .dump | sha256sum)" = "$before" ] && echo "unchanged"
SH
WORK=$WORK STATION=$STATION TRUSTED=$TRUSTED \
  unshare --user --map-root-user --mount bash "$WORK/full_disk.sh" >"$WORK/full_disk.out"
cat "$WORK/refused.out" "$WORK/refused.err" "$WORK/full_disk.out"
expect_grep "^status 2$" "$WORK/full_disk.out"
expect_eq "$(wc -l <"$WORK/refused.err")" 1 "lines saying why with a full disk"
expect_grep "disk holding the result database .* is full .*free space on it and start again" \
  "$WORK/refused.err"
grep -q 'setup\|main' "$WORK/refused.out" && fail "a step began with a full disk"
expect_grep "^unchanged$" "$WORK/full_disk.out"
fi

station_run B2A24S15P-2648-00018 --quiet
expect_eq "$RUN_STATUS" 0 "exit status of the next good board"
expect_eq "$(sql "select group_concat(outcome) from runs order by id")" "PASS,PASS" \
  "the runs stored"
expect_eq "$(sql "pragma integrity_check")" ok "integrity of the database"
echo "ok"
