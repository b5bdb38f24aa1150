#!/usr/bin/env bash
# The flash is verified without reading the image back whole: the header is read back and the
# rest is the image's CRC-32, which the board's boot code checks after the reset (a board
# whose image fails stays silent on RS485). A word of flash that does not program is caught
# wherever it is, and the flash step names its address: in the first page (the vector table),
# in the header (its CRC field, which the CRC itself cannot cover), in the middle, at the last
# byte. A board whose flash is right but whose RS485 is dead is read back whole: its flash
# passes and the next step that talks to it fails it.
. "$(dirname "$0")/lib.sh"
size=16384
last_word=$(printf '0x%08X' $((0x08000000 + size - 4)))
declare -A at=(
  [first-page]=0x08000004 [header-crc]=0x0800020C [middle]=0x08002000 [last-byte]=$last_word
)
declare -A serial_of=(
  [first-page]=B2A24S15P-2648-00061 [header-crc]=B2A24S15P-2648-00062
  [middle]=B2A24S15P-2648-00063 [last-byte]=B2A24S15P-2648-00064
)
good=B2A24S15P-2648-00017
dead=B2A24S15P-2648-00065
rules=(--fault-rule "$dead=rs485-dead")
for where in "${!at[@]}"; do
  rules+=(--fault-rule "${serial_of[$where]}=flash-bad:${at[$where]}")
done
start_twin "${rules[@]}"
echo "clock = virtual" >>"$WORK/fixture.conf"
"$STATION" firmware build-test-image --version 11.31 --models B2A24S15P --size $size \
  -o "$WORK/image.bin" >/dev/null
# The last word holds image bytes other than 0xFF (the erased value), so its damage shows.
expect_eq "$(od -An -tx1 -j $((size - 4)) -N 4 "$WORK/image.bin" | grep -c -v 'ff ff ff ff')" 1 \
  "the image's last word is programmed"

# flash SERIAL: sets FLASH_STATUS, output in $WORK/flash.out.
flash() {
  set +e
  timeout 120 "$STATION" firmware flash --fixture "$WORK/fixture.conf" --db "$WORK/results.db" \
    --serial "$1" "$WORK/image.bin" >"$WORK/flash.out" 2>&1
  FLASH_STATUS=$?
  set -e
  cat "$WORK/flash.out"
}
m() { sql "select coalesce(m.text, m.value) || ' ' || m.outcome from measurements m join steps s
  on s.id = m.step_id where s.run_id = (select max(id) from runs) and m.name = '$1'"; }

# A good board: the header read back, every other byte by the boot code's CRC-32.
flash "$good"
expect_eq "$FLASH_STATUS" 0 "exit status of a good flash"
expect_eq "$(m flash_read_back)" "256.0 PASS" "bytes read back: the header"
expect_eq "$(m flash_crc_checked)" "$size.0 PASS" "bytes the boot code's CRC-32 covered"
expect_eq "$(m flash_verified)" "$size.0 PASS" "bytes verified"
expect_grep "every byte verified: 256 read back, $size by the board's boot code" "$WORK/flash.out"

for where in first-page header-crc middle last-byte; do
  flash "${serial_of[$where]}"
  expect_eq "$FLASH_STATUS" 1 "exit status of a damaged word at ${at[$where]} ($where)"
  prefix=${at[$where]%?}
  expect_grep "flash +FAIL: the board could not be flashed: verify mismatch at address $prefix[0-9A-F]" \
    "$WORK/flash.out"
  expect_eq "$(sql "select first_failure from runs order by id desc limit 1")" flash \
    "the step that fails a damaged word at ${at[$where]}"
  if [ "$where" = header-crc ]; then
    # The CRC field: the read-back of the header catches it before the board is reset.
    grep -q "boot code rejected" "$WORK/flash.out" && fail "the header CRC field was left to the boot code"
  else
    expect_grep "boot code rejected the image: no answer on RS485" "$WORK/flash.out"
  fi
done

# RS485 dead, flash right: read back whole, the flash passes, the boot step fails the board.
flash "$dead"
expect_eq "$FLASH_STATUS" 1 "exit status of a board with a dead RS485"
expect_eq "$(m flash_read_back)" "$size.0 PASS" "a silent board is read back whole"
expect_eq "$(m flash_crc_checked)" "0.0 PASS" "no CRC verdict from a silent board"
expect_eq "$(sql "select first_failure from runs order by id desc limit 1")" boot \
  "the step that fails a board with a dead RS485"
echo "ok"
