#!/usr/bin/env bash
# Benchmark of flashing (meson test --suite bench): the same 60 KiB image into the twin at
# 115200 baud, once with the station (station firmware flash: written, the header read back,
# the rest verified by the CRC-32 the board's boot code checks, the board answering with the
# image's version after power_on.boot_s) and once with stm32flash -m 8n1 -w -v (written and
# read back whole), both timed on the twin's virtual clock (the time the real part and link
# would take). Each has its bound: what AN3155 must move on the wire (256-byte blocks, 11 bit
# times a byte at 8E1) plus the part's page-erase and half-word programming times, and for the
# station the boot time and the RS485 read of the version (8 + 13 bytes, 10 bit times).
# Then a board whose flash damages a word mid-image must fail the station's flash step.
# Targets: station / stm32flash <= 0.67, the station within 1.05 x its bound, the damaged
# word caught at the flash step naming its address.
. "$(dirname "$0")/../system/lib.sh"
command -v stm32flash >/dev/null || { echo "stm32flash is not installed"; exit 77; }
serial=B2A24S15P-2648-00017
damaged=B2A24S15P-2648-00066
damaged_at=0x08007800
start_twin --board "$serial" --fault-rule "$damaged=flash-bad:$damaged_at"
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

boot_s=$(awk -F' *= *' '/^\[/ {group = $0} group == "[power_on]" && $1 == "boot_s" {print $2}' \
  "$SOURCE_ROOT/sequences/limits.conf")
# bounds SIZE READ_BACK_BYTES VERDICT_S: bound wire erase programming, in seconds.
bounds() {
  awk -v n="$1" -v back="$2" -v verdict="$3" 'BEGIN {
    blocks = int((n + 255) / 256); pages = int((n + 1023) / 1024); reads = int((back + 255) / 256)
    bytes = blocks * (2 + 1 + 5 + 1 + 258 + 1)        # Write Memory: cmd, ack, addr, ack, data, ack
    bytes += reads * (2 + 1 + 5 + 1 + 2 + 1) + back   # Read Memory: cmd, ack, addr, ack, n, ack, data
    bytes += 2 + 1 + 1 + pages + 1 + 1                # Erase of the pages the image needs
    wire = bytes * 11 / 115200; erase = pages * 0.020; program = n / 2 * 52.5e-6
    printf "%.3f %.3f %.3f %.3f\n", wire + erase + program + verdict, wire, erase, program }'
}
read_back=$(sed -n 's/^ *flash_read_back *\([0-9]*\) B.*/\1/p' "$WORK/station.out")
need_number "bytes the station read back and boot time" "${read_back:-}" "${boot_s:-}"
verdict_s=$(awk -v b="$boot_s" 'BEGIN {printf "%.4f", b + (8 + 13) * 10 / 115200}')
read -r bound wire erase program < <(bounds $size "$read_back" "$verdict_s")
read -r bound_v wire_v erase_v program_v < <(bounds $size $size 0)

# The damaged word: the board's boot code rejects the image, the read-back names the address.
set +e
"$STATION" firmware flash --fixture "$WORK/fixture.conf" --db "$WORK/results.db" \
  --serial "$damaged" "$WORK/image.bin" >"$WORK/damaged.out" 2>&1
damaged_status=$?
set -e

cat "$WORK/station.out"; cat "$WORK/damaged.out" >&2
need_number "flash times and bounds" "${station_s:-}" "${t0:-}" "${t1:-}" "${bound:-}" "${bound_v:-}"
ratio=$(awk -v a="$station_s" -v b="$stm32flash_s" 'BEGIN {printf "%.3f", a / b}')
printf '\n%-30s %9s\n' "" "seconds"
printf '%-30s %9s  (wire %s + erase %s + programming %s + boot and version %s)\n' \
  "bound, station" "$bound" "$wire" "$erase" "$program" "$verdict_s"
printf '%-30s %9s  ratio to its bound %s (target <= 1.05); %s B read back\n' \
  "station (boot code CRC-32)" "$station_s" \
  "$(awk -v a="$station_s" -v b="$bound" 'BEGIN {printf "%.3f", a / b}')" "$read_back"
printf '%-30s %9s  (wire %s + erase %s + programming %s)\n' \
  "bound, write and read back" "$bound_v" "$wire_v" "$erase_v" "$program_v"
printf '%-30s %9s  ratio to its bound %s\n' "stm32flash -m 8n1 -w -v" "$stm32flash_s" \
  "$(awk -v a="$stm32flash_s" -v b="$bound_v" 'BEGIN {printf "%.3f", a / b}')"
printf 'station / stm32flash: %s (target <= 0.67)\n' "$ratio"
missed=0
if [ "$damaged_status" = 1 ] && grep -q "flash: .*verify mismatch at address $damaged_at" "$WORK/damaged.out" &&
   grep -q "boot code rejected the image" "$WORK/damaged.out"; then
  printf 'damaged word at %s: caught, %s\n' "$damaged_at" \
    "$(grep -o "verify mismatch at address $damaged_at[^(]*" "$WORK/damaged.out" | head -1)"
else
  cat "$WORK/damaged.out"
  echo "MISSED: the damaged word at $damaged_at was not caught at the flash step (exit $damaged_status)"
  missed=1
fi
awk -v a="$station_s" -v b="$bound" 'BEGIN {exit !(a <= 1.05 * b)}' || { echo "MISSED: station above 1.05 x its bound"; missed=1; }
awk -v r="$ratio" 'BEGIN {exit !(r <= 0.67)}' || { echo "MISSED: station / stm32flash above 0.67"; missed=1; }
exit $missed
