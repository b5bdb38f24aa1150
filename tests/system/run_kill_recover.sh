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
# The killed run ends at its last result: after it started, before the next run started, and
# no earlier than the last measurement it stored.
expect_eq "$(sql "select count(*) from runs r where serial = 'B2A24S15P-2648-00017'
                  and ended_at is not null and ended_at >= started_at
                  and ended_at <= (select started_at from runs
                                   where serial = 'B2A24S15P-2648-00018')
                  and ended_at >= coalesce((select max(m.taken_at) from measurements m
                                            join steps s on s.id = m.step_id
                                            where s.run_id = r.id), started_at)")" 1 \
  "the killed run's end is the time of its last result"
expect_eq "$(sql "select count(*) from steps s join runs r on r.id = s.run_id
                  where r.serial = 'B2A24S15P-2648-00017' and s.ended_at is null")" 0 \
  "every step of the killed run has an end"
echo "ok"
