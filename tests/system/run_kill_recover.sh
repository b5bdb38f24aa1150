#!/usr/bin/env bash
# A station killed (kill -9) while the fixture is energised leaves the fixture up: the next
# run makes every instrument safe on connection, and the next good board PASSes. The killed
# run is not left RUNNING once the store is opened again.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = real" >>"$WORK/fixture.conf"
release_firmware
set +e
"$STATION" run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2648-00017 \
  --db "$WORK/results.db" --trusted-keys "$TRUSTED" >"$WORK/killed.out" 2>&1 &
station_pid=$!
for _ in $(seq 600); do
  grep -q 'main     charge-overcurrent$' "$WORK/killed.out" && break
  sleep 0.05
done
sleep 0.5
kill -9 "$station_pid"
wait "$station_pid"
set -e
grep -q 'main     charge-overcurrent$' "$WORK/killed.out" || fail "the run never got to the charger"
# The charger was left on by the killed run.
left_on=$(/usr/bin/python3 - "${RESOURCE[charger]}" <<'PY'
import socket, sys
_, host, port, _ = sys.argv[1].split("::")
with socket.create_connection((host, int(port)), timeout=5) as s:
    s.sendall(b":OUTP? CH1\n")
    print(s.makefile().readline().strip())
PY
)
echo "charger output after the kill: $left_on"
station_run B2A24S15P-2648-00018 --quiet
expect_eq "$RUN_STATUS" 0 "exit status of the next good board"
expect_eq "$(sql "select outcome from runs where serial = 'B2A24S15P-2648-00018'")" PASS \
  "the next good board"
expect_eq "$(sql "select outcome from runs where serial = 'B2A24S15P-2648-00017'")" ABORTED \
  "the killed run"
echo "ok"
