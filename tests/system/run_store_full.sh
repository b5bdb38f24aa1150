#!/usr/bin/env bash
# A result store that fills up mid-run (the database's files may not grow: a full disk) makes
# the run ERROR with a non-zero exit and says the result could not be stored; "stored" is
# never printed for it. The fixture still goes through teardown to its safe state.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
sqlite3 "$WORK/results.db" "pragma wal_checkpoint(truncate)" >/dev/null
set +e
# Files may grow to 64 KiB: the WAL overflows a few steps into the run. SIGXFSZ ignored, so
# a write that does not fit fails as it does on a full disk.
( trap '' XFSZ; ulimit -f 64; exec "$STATION" run --fixture "$WORK/fixture.conf" \
    --serial B2A24S15P-2648-00017 --db "$WORK/results.db" --trusted-keys "$TRUSTED" ) \
  >"$WORK/run.out" 2>&1
status=$?
set -e
cat "$WORK/run.out"
expect_eq "$status" 2 "exit status when the result could not be stored"
expect_grep '^ERROR  B2A24S15P-2648-00017 .* could not be stored' "$WORK/run.out"
expect_grep 'the result could not be stored' "$WORK/run.out"
grep -qE 'run [0-9]+ stored in ' "$WORK/run.out" && fail "'stored' printed for a run that was not"
# Teardown still ran to the safe state on the instruments.
expect_grep 'teardown safe-state +PASS' "$WORK/run.out"
echo "ok"
