#!/bin/bash
# Conformance: stm32flash, a real third-party client of the STM32 ROM bootloader, against the
# board MCU of the twin on its "boot" pseudo-terminal. The fixture enters the bootloader the
# way the real one does, through the switch unit (BOOT0 = channel 301 closed, NRST = channel
# 302 closed then opened); stm32flash reads the chip ID (0x0410), writes and verifies a new
# image; a reset with BOOT0 low runs it and mbpoll reads its version at 0x1418. A board with
# a flash-bad fault then fails stm32flash's verify at that address. The clock runs VIRTUAL, so
# the flash costs no wall time and the twin's clock shows what the real fixture would take.
# ptys cannot carry parity: stm32flash runs with -m 8n1 (the twin paces the line at 8E1).
# Usage: stm32flash.sh PATH-TO-fixture-sim PATH-TO-make-test-image
set -euo pipefail
sim=${1:?usage: $0 PATH-TO-fixture-sim PATH-TO-make-test-image}
make_image=${2:?usage: $0 PATH-TO-fixture-sim PATH-TO-make-test-image}
for client in stm32flash mbpoll; do
  if ! command -v "$client" >/dev/null; then
    echo "$client is not installed: skipped"
    exit 77
  fi
done
source "$(dirname "$0")/sim_session.sh"

# Pulses NRST with BOOT0 high (bootloader) or low (application).
reset_mcu() {
  local boot0=$1
  if [[ $boot0 == high ]]; then
    scpi "$switch" 'ROUT:CLOS (@301)'
  else
    scpi "$switch" 'ROUT:OPEN (@301)'
  fi
  scpi "$switch" 'ROUT:CLOS (@302)'
  scpi "$switch" 'ROUT:OPEN (@302)'
  [[ $(scpi "$switch" 'SYST:ERR?') == 0,* ]] || fail "the switch unit refused the BOOT0/NRST commands"
}

# The software version at 0x1418 (8 ASCII bytes, 4 registers) read with mbpoll.
read_version() {
  local words
  words=$(mbpoll -m rtu -a 1 -b 115200 -P none -0 -1 -o 2 -t 4:hex -r 0x1418 -c 4 "$rs485_path" |
          awk '/^\[[0-9]+\]:/ { print $2 }') || return 1
  local text="" word
  for word in $words; do
    for byte in $(( (word >> 8) & 0xFF )) $(( word & 0xFF )); do
      (( byte )) && text+=$(printf "\\x$(printf %02x "$byte")")
    done
  done
  printf '%s\n' "$text"
}

start_sim "$sim" --board B2A24S15P-2648-00017
boot_path=$sim_dir/boot                 # printed as "boot ASRL<pty-dir>/boot::INSTR"
[[ -L $boot_path ]] || fail "fixture-sim has no boot line at $boot_path"
exec {switch}<>"/dev/tcp/127.0.0.1/$switch_port"
exec {control}<>"/dev/tcp/127.0.0.1/$control_port"
exec {cells}<>"/dev/tcp/127.0.0.1/$cellsim_port"
scpi "$control" 'SIM:CLOCK:MODE VIRTUAL'
# The board runs from its pack: without it, it is off.
scpi "$cells" 'SOUR:VOLT 3.3,(@1:24);OUTP:ONOFF 1,(@1:24)'
[[ $(scpi "$cells" '*OPC?') == 1 ]] || fail "cell simulator did not complete"

version=$(read_version) || fail "mbpoll could not read 0x1418 of the factory-new board"
[[ $version == 11.26 ]] || fail "the factory image reports '$version' at 0x1418, expected 11.26"

image=$sim_dir/jk-11.30.bin             # removed with the twin's directory
"$make_image" "$image" 11.30 40960 B2A24S15P B2A24S20P
# The CRC-32 in the header, checked independently of the twin's code when Python is there.
if [[ -x /usr/bin/python3 ]]; then
  /usr/bin/python3 - "$image" <<'EOF' || fail "the generated image's header CRC is not zlib's crc32"
import struct, sys, zlib
data = bytearray(open(sys.argv[1], "rb").read())
magic, hdr, count, length, crc = struct.unpack_from("<IHHII", data, 0x200)
assert magic == 0x57464B4A and hdr == 1 and count == 2 and length == len(data), "header"
data[0x20C:0x210] = bytes(4)
assert zlib.crc32(bytes(data[:length])) == crc, "crc"
EOF
fi

# Bootloader: chip ID.
reset_mcu high
out=$(stm32flash -m 8n1 -b 115200 "$boot_path" 2>&1) || { echo "$out"; fail "stm32flash could not identify the chip"; }
echo "$out"
grep -q 'Device ID    : 0x0410' <<<"$out" || fail "stm32flash did not read device ID 0x0410"
grep -q 'Version      : 0x22' <<<"$out" || fail "stm32flash did not read bootloader version 0x22"

# Write and verify the new image. The bootloader was left synchronised by the run above;
# reset it as the station does before each session.
reset_mcu high
t0=$(scpi "$control" 'SIM:CLOCK?')
out=$(stm32flash -m 8n1 -b 115200 -w "$image" -v "$boot_path" 2>&1) || { echo "$out"; fail "stm32flash could not write and verify the image"; }
t1=$(scpi "$control" 'SIM:CLOCK?')
echo "$out" | tr '\r' '\n' | tail -n 3
grep -q 'Wrote and verified address 0x0800a000' <<<"$out" || fail "stm32flash did not verify up to 0x0800a000"
# On a real fixture: 40 erases (0.8 s), 160 x 256 bytes programmed (1.1 s), the write and
# the read-back on the wire at 115200 8E1 (about 8 s).
flash_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
echo "flash time on the twin's clock: $flash_s s"
awk -v t="$flash_s" 'BEGIN { exit !(t > 8 && t < 13) }' || fail "the flash took $flash_s s on the twin's clock, expected 8..13 s"

# Reset with BOOT0 low: the new image runs and reports its version.
reset_mcu low
version=$(read_version) || fail "mbpoll got no answer after booting the new image"
[[ $version == 11.30 ]] || fail "the board reports '$version' at 0x1418 after flashing 11.30"

# A board whose flash word 0x08004004 does not program: stm32flash's verify fails there.
scpi "$control" 'SIM:BOARD:INSERT "B2A24S15P-2648-00018","flash-bad:0x08004004"'
reset_mcu high
if out=$(stm32flash -m 8n1 -b 115200 -n 1 -w "$image" -v "$boot_path" 2>&1); then
  fail "stm32flash verified an image on a board with a bad flash word"
fi
grep -q 'Failed to verify at address 0x0800400[4-7]' <<<"$out" ||
  { echo "$out" | tail -n 3; fail "stm32flash did not report the bad word at 0x08004004"; }
reset_mcu low
if version=$(read_version 2>/dev/null) && [[ $version == 11.30 ]]; then
  fail "a board whose flash failed verify boots the new image"
fi
echo "PASS"
