#!/usr/bin/env bash
# Conformance: mbpoll reads the same cell voltages from the board's registers (0x1200) as the
# station reports. The station runs a sequence that records its own readings (mean of 8 per
# cell); then, with the cells at the same voltage again, mbpoll reads the registers 8 times.
# The means must agree within 1 mV (the board's noise is ~0.5 mV rms per reading).
. "$(dirname "$0")/../system/lib.sh"
command -v mbpoll >/dev/null || { echo "mbpoll is not installed: skipped"; exit 77; }
serial=B2A24S15P-2648-00017
start_twin
station_run "$serial" --sequence "$SOURCE_ROOT/tests/data/sequences/report_cells.lua"
expect_eq "$RUN_STATUS" 0 "exit status of the reporting run"
station_mv=$(sql "select value from measurements where name like 'cell_%' order by name")

# The run's safe state switched the cells off: the same 3.3 V again, as in the run.
host_port=${RESOURCE[cellsim]#TCPIP::}
host=${host_port%%::*}; port=${host_port#*::}; port=${port%%::*}
exec 6<>"/dev/tcp/$host/$port"
printf 'SOUR:VOLT 3.3,(@1:24);OUTP:ONOFF 1,(@1:24)\n*OPC?\n' >&6
IFS= read -r -t 10 done <&6
exec 6>&-
[ "${done%$'\r'}" = 1 ] || fail "the cell simulator did not confirm"

rs485=${RESOURCE[rs485]#ASRL}
rs485=${rs485%%::*}
for _ in 1 2 3 4 5 6 7 8; do
  mbpoll -m rtu -a 1 -b 115200 -P none -0 -1 -o 2 -t 4 -r 0x1200 -c 24 "$rs485" |
    awk '/^\[[0-9]+\]:/ { print $2 }'
done >"$WORK/mbpoll.out"
mbpoll_mv=$(awk '{ sum[(NR - 1) % 24] += $1 } END { for (i = 0; i < 24; i++) print sum[i] / 8 }' \
  "$WORK/mbpoll.out")
paste <(echo "$station_mv") <(echo "$mbpoll_mv") | awk '
  { n++; d = $1 - $2; printf "cell %2d: station %.2f mV, mbpoll %.2f mV\n", n, $1, $2
    if (d < -1 || d > 1) bad++ }
  END { if (n != 24) { print "expected 24 cells, got " n; exit 1 } exit bad > 0 }' ||
  fail "the station and mbpoll disagree by more than 1 mV"
echo "ok"
