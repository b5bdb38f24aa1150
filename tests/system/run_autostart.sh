#!/usr/bin/env bash
# With the twin not running, the station starts it as the fixture file says, tests the
# board and stops the twin again.
. "$(dirname "$0")/lib.sh"
autostart_fixture
control_port=$CONTROL_PORT
release_firmware
station_run BD4A8S4P-2648-00001
expect_eq "$RUN_STATUS" 0 "exit status"
expect_eq "$(sql "select count(*) from measurements where name like 'cell_%_error_at_%'")" 24 \
  "8 cells x 3 points"
if ( exec 3<>"/dev/tcp/127.0.0.1/$control_port" ) 2>/dev/null; then
  fail "the twin still runs after the station stopped"
fi
echo "ok"
