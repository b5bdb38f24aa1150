#!/usr/bin/env bash
# Benchmark of flashing (meson test --suite bench): the same 60 KiB image into the twin at
# 115200 baud, once with the station's flasher and once with stm32flash -m 8n1 -w -v, both
# timed on the twin's virtual clock (the time the real part and link would take). The bound
# is what AN3155 must move on the wire (write and verify, 256-byte blocks, 11 bit times a
# byte at 8E1) plus the part's page-erase and half-word programming times.
# Targets: the station within 1.05 x the bound, and never slower than stm32flash.
. "$(dirname "$0")/../system/lib.sh"
command -v stm32flash >/dev/null || { echo "stm32flash is not installed"; exit 77; }
serial=B2A24S15P-2648-00017
start_twin --board "$serial"
echo "clock = virtual" >>"$WORK/fixture.conf"
size=61440
"$STATION" firmware build-test-image --version 11.31 --models B2A24S15P --size $size \
  -o "$WORK/image.bin" >/dev/null

# SCPI to one of the twin's ports: scpi RESOURCE COMMAND [QUERY]
scpi() {
  local hostport=${1#TCPIP::} host port
  host=${hostport%%::*}; port=${hostport#*::}; port=${port%%::*}
  exec 5<>"/dev/tcp/$host/$port"
  printf '%s\n' "$2" >&5
  if [ -n "${3:-}" ]; then printf '%s\n' "$3" >&5; IFS= read -r -t 10 answer <&5; fi
  exec 5>&-
  echo "${answer:-}"
}
clock() { scpi "$CONTROL" "*CLS" "SIM:CLOCK?"; }
reset_mcu() {  # reset_mcu 1|0: BOOT0 high (bootloader) or low (application), 1 ms NRST pulse
  if [ "$1" = 1 ]; then scpi "${RESOURCE[switch]}" "ROUT:CLOS (@301)" >/dev/null
  else scpi "${RESOURCE[switch]}" "ROUT:OPEN (@301)" >/dev/null; fi
  scpi "${RESOURCE[switch]}" "ROUT:CLOS (@302)" >/dev/null
  scpi "$CONTROL" "SIM:CLOCK:ADV 0.001" >/dev/null
  scpi "${RESOURCE[switch]}" "ROUT:OPEN (@302)" "*OPC?" >/dev/null
}

"$STATION" firmware flash --fixture "$WORK/fixture.conf" --db "$WORK/results.db" \
  "$WORK/image.bin" >"$WORK/station.out" 2>&1 ||
  { cat "$WORK/station.out"; fail "the station's flasher failed"; }
station_s=$(sed -n 's/^fixture clock: \([0-9.]*\) s.*/\1/p' "$WORK/station.out")

reset_mcu 1
t0=$(clock)
boot_path=${RESOURCE[boot]#ASRL}
boot_path=${boot_path%%::*}
stm32flash -m 8n1 -b 115200 -w "$WORK/image.bin" -v "$boot_path" \
  >"$WORK/stm32flash.out" 2>&1 || { cat "$WORK/stm32flash.out"; fail "stm32flash failed"; }
reset_mcu 0
t1=$(clock)
stm32flash_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')

read -r bound wire erase program < <(awk -v n=$size 'BEGIN {
  blocks = int((n + 255) / 256); pages = int((n + 1023) / 1024)
  bytes = blocks * (2 + 1 + 5 + 1 + 258 + 1)        # Write Memory: cmd, ack, addr, ack, data, ack
  bytes += blocks * (2 + 1 + 5 + 1 + 2 + 1 + 256)   # Read Memory: cmd, ack, addr, ack, n, ack, data
  bytes += 2 + 1 + 1 + pages + 1 + 1                # Erase of the pages the image needs
  wire = bytes * 11 / 115200; erase = pages * 0.020; program = n / 2 * 52.5e-6
  printf "%.3f %.3f %.3f %.3f\n", wire + erase + program, wire, erase, program }')

cat "$WORK/station.out"
need_number "flash times and bound" "${station_s:-}" "${t0:-}" "${t1:-}" "${bound:-}"
printf '\n%-26s %9s\n' "" "seconds"
printf '%-26s %9s  (wire %s + erase %s + programming %s)\n' "bound" "$bound" "$wire" "$erase" "$program"
printf '%-26s %9s  ratio to bound %s\n' "station flasher" "$station_s" \
  "$(awk -v a="$station_s" -v b="$bound" 'BEGIN {printf "%.3f", a / b}')"
printf '%-26s %9s  ratio to bound %s\n' "stm32flash -m 8n1 -w -v" "$stm32flash_s" \
  "$(awk -v a="$stm32flash_s" -v b="$bound" 'BEGIN {printf "%.3f", a / b}')"
printf 'station / stm32flash: %s (target <= 1)\n' \
  "$(awk -v a="$station_s" -v b="$stm32flash_s" 'BEGIN {printf "%.3f", a / b}')"
missed=0
awk -v a="$station_s" -v b="$bound" 'BEGIN {exit !(a <= 1.05 * b)}' || { echo "MISSED: station above 1.05 x bound"; missed=1; }
awk -v a="$station_s" -v b="$stm32flash_s" 'BEGIN {exit !(a <= b)}' || { echo "MISSED: station slower than stm32flash"; missed=1; }
exit $missed
