#!/usr/bin/env bash
# With the twin not running, the station starts it as the fixture file says, tests the
# board and stops the twin again.
. "$(dirname "$0")/lib.sh"
# Free ports for the control port and the eight instruments, in place of sim.conf's fixed ones.
ports=($(/usr/bin/python3 -c 'import socket
s=[socket.socket() for _ in range(9)]
[x.bind(("127.0.0.1",0)) for x in s]
print(*[x.getsockname()[1] for x in s])'))
control_port=${ports[8]}
sed -e "s/15025/${ports[0]}/g" -e "s/15026/${ports[1]}/g" -e "s/15027/${ports[2]}/g" \
    -e "s/15028/${ports[3]}/g" -e "s/15029/${ports[4]}/g" -e "s/15030/${ports[5]}/g" \
    -e "s/15031/${ports[6]}/g" -e "s/15032/${ports[7]}/g" \
    -e "s/15099/$control_port/g" \
    -e "s|\${RUNTIME_DIR}/jk-eol-sim|$WORK/pty|g" \
    -e "s|^program = .*|program = $FIXTURE_SIM|" -e "s|^clock = real|clock = virtual|" \
    "$SOURCE_ROOT/fixtures/sim.conf" >"$WORK/fixture.conf"
grep -qE '::150[0-9][0-9]::|port 150[0-9][0-9]' "$WORK/fixture.conf" &&
  fail "a fixed port is left in the fixture file"
release_firmware
station_run BD4A8S4P-2648-00001
expect_eq "$RUN_STATUS" 0 "exit status"
expect_eq "$(sql "select count(*) from measurements where name like 'cell_%_error_at_%'")" 24 \
  "8 cells x 3 points"
if ( exec 3<>"/dev/tcp/127.0.0.1/$control_port" ) 2>/dev/null; then
  fail "the twin still runs after the station stopped"
fi
echo "ok"
