#!/bin/bash
# Conformance: mbpoll (libmodbus), a real third-party Modbus RTU master, against the twin's
# RS485 pseudo-terminal. It reads the 24 cell registers at 0x1200 after a voltage
# calibration it writes itself (within ±3 mV of the true cell voltages that the cells were
# set to over SCPI), and writes a setting (0x106C cell count), reads it back, and sees an
# out-of-range write refused. Usage: mbpoll_rtu.sh PATH-TO-fixture-sim
set -euo pipefail
sim=${1:?usage: $0 PATH-TO-fixture-sim}
if ! command -v mbpoll >/dev/null; then
  echo "mbpoll is not installed: skipped"
  exit 77
fi
source "$(dirname "$0")/sim_session.sh"
start_sim "$sim" --board B2A24S15P-2648-00017

# mbpoll picks Modbus/TCP for a path it does not recognise as a serial port: -m rtu.
modbus=(mbpoll -m rtu -a 1 -b 115200 -P none -0 -1 -o 2)

exec {cells}<>"/dev/tcp/127.0.0.1/$cellsim_port"
exec {control}<>"/dev/tcp/127.0.0.1/$control_port"
scpi "$cells" 'SOUR:VOLT 3.3,(@1:24);OUTP:ONOFF 1,(@1:24)'
[[ $(scpi "$cells" '*OPC?') == 1 ]] || fail "cell simulator did not complete"
truth=$(scpi "$control" 'SIM:TRUTH:CELL? (@1:24)')
pack_mv=$(awk -F, '{ for (i = 1; i <= NF; i++) s += $i * 1000; printf "%d\n", s + 0.5 }' <<<"$truth")
echo "true cells: $truth (pack $pack_mv mV)"

# Voltage calibration: UINT32 true pack voltage at 0x1600, high word first (-B).
"${modbus[@]}" -t 4:int -B -r 0x1600 "$rs485_path" "$pack_mv" >/dev/null ||
  fail "mbpoll could not write the voltage calibration"

hex=$("${modbus[@]}" -t 4:hex -r 0x1200 -c 24 "$rs485_path" | awk '/^\[[0-9]+\]:/ { print $2 }')
readings=$(for word in $hex; do echo $((word)); done)
echo "board cells (mV): $(tr '\n' ' ' <<<"$readings")"
awk -v truth="$truth" '
  BEGIN { n = split(truth, t, ",") }
  { i++; mv = $1; d = mv - t[i] * 1000
    if (d < -3 || d > 3) { printf "cell %d reads %d mV, truth %.2f mV\n", i, mv, t[i] * 1000; bad++ } }
  END { if (i != 24) { printf "mbpoll returned %d cells, expected 24\n", i; exit 1 }
        exit bad > 0 }' <<<"$readings" || fail "cell readings outside ±3 mV of the truth"

# A setting: write 16 to the cell count (UINT32 at 0x106C), read it back.
"${modbus[@]}" -t 4:int -B -r 0x106C "$rs485_path" 16 >/dev/null || fail "write of 0x106C failed"
count=$("${modbus[@]}" -t 4:int -B -r 0x106C "$rs485_path" | awk '/^\[[0-9]+\]:/ { print $2 }')
[[ $count == 16 ]] || fail "cell count reads '$count' after writing 16"
# Out of range for this model (7..24): refused with exception 03, value unchanged.
if "${modbus[@]}" -t 4:int -B -r 0x106C "$rs485_path" 30 >/dev/null 2>&1; then
  fail "a cell count of 30 was accepted"
fi
count=$("${modbus[@]}" -t 4:int -B -r 0x106C "$rs485_path" | awk '/^\[[0-9]+\]:/ { print $2 }')
[[ $count == 16 ]] || fail "cell count reads '$count' after a refused write"
echo "PASS"
