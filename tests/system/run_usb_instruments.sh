#!/usr/bin/env bash
# station instruments on this machine: with no USB subsystem it says so in one sentence and
# exits 2; with one it lists the USBTMC instruments (or says there are none) and exits 0.
# The listing itself is tested against played devices in fixtures_transport_usbtmc.
. "$(dirname "$0")/lib.sh"
status=0
"$STATION" instruments >"$WORK/out" 2>"$WORK/err" || status=$?
cat "$WORK/out" "$WORK/err"
if [ -d /sys/bus/usb ]; then
  [ "$status" -eq 0 ] || fail "station instruments exited $status on a machine with USB"
  grep -qE '^No USBTMC instrument is connected by USB\.$|^  resource  +USB0::' "$WORK/out" ||
    fail "neither a resource nor 'no instrument' printed"
else
  [ "$status" -eq 2 ] || fail "station instruments exited $status without a USB subsystem"
  grep -q "this machine has no USB subsystem (/sys/bus/usb is missing)" "$WORK/err" ||
    fail "the missing USB subsystem is not named"
  [ ! -s "$WORK/out" ] || fail "stdout is not empty without USB"
fi
status=0
"$STATION" instruments extra >/dev/null 2>&1 || status=$?
[ "$status" -eq 64 ] || fail "a stray argument gave exit $status, not 64"
echo "station instruments: ok"
