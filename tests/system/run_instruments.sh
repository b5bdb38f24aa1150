#!/usr/bin/env bash
# Every instrument of the fixture reached from a sequence, against the twin's physics:
# load current and Ohm's law across the main path, the charger in CC, relays, NTC emulation.
. "$(dirname "$0")/lib.sh"
start_twin
station_run B2A24S15P-2648-00017 --sequence "$SOURCE_ROOT/tests/data/sequences/instruments.lua"
expect_eq "$RUN_STATUS" 0 "exit status"
expect_eq "$(sql "select count(*) from measurements where outcome = 'PASS'")" \
  "$(sql "select count(*) from measurements")" "all measurements pass"
expect_eq "$(sql "select count(*) from steps where outcome = 'PASS'")" 6 \
  "connect, three steps, the board's identity and the safe state pass"
# The safe state left the load and the battery emulator off and every relay open.
python_check=$(/usr/bin/python3 - "${RESOURCE[switch]}" "${RESOURCE[eload]}" \
  "${RESOURCE[battery]}" <<'PY'
import socket, sys
def query(resource, text):
    _, host, port, _ = resource.split("::")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall((text + "\n").encode())
        return s.makefile().readline().strip()
print(query(sys.argv[1], "ROUT:CLOS? (@101,102,103,104,105,106,301,302)"),
      query(sys.argv[2], "INP?"), query(sys.argv[3], "OUTP?"))
PY
)
expect_eq "$python_check" "0,0,0,0,0,0,0,0 0 0" \
  "relays open, load and battery emulator off after the run"
echo "ok"
