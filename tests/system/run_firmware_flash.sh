#!/usr/bin/env bash
# station firmware flash is a run of the engine: the image given by hand is flashed into the
# board (power-on, flash, verify, reset, the board runs it), the run is stored as a flash run
# (never a verdict on the board) and audited, and the fixture ends in its safe state, also
# when the flash fails or the operator presses Ctrl-C. An image that cannot be read, is not
# one the board would run, or is built for another model is refused before anything is
# touched or stored.
. "$(dirname "$0")/lib.sh"
serial=B2A24S15P-2648-00017
bad=B2A24S15P-2648-00066
start_twin --fault-rule "$bad=flash-bad:0x08001004"
DB=(--db "$WORK/results.db")
"$STATION" firmware build-test-image --version 11.31 --models B2A24S15P --size 16384 \
  -o "$WORK/image.bin" >/dev/null
sha=$(sha256sum "$WORK/image.bin" | cut -d' ' -f1)

# flash [options...] IMAGE: sets FLASH_STATUS, output in $WORK/flash.out.
flash() {
  set +e
  timeout 120 "$STATION" firmware flash --fixture "$WORK/fixture.conf" "${DB[@]}" "$@" \
    >"$WORK/flash.out" 2>&1
  FLASH_STATUS=$?
  set -e
  cat "$WORK/flash.out"
}
# query RESOURCE COMMAND: one SCPI query to an instrument of the twin.
query() {
  timeout 5 /usr/bin/python3 -c '
import socket, sys
host, port = sys.argv[1].split("::")[1:3]
s = socket.create_connection((host, int(port)))
s.sendall(sys.argv[2].encode() + b"\n")
print(s.makefile().readline().strip())' "$1" "$2"
}
# expect_safe WHAT: the cells are off and BOOT0 is low (the board back to its application).
expect_safe() {
  expect_eq "$(query "${RESOURCE[cellsim]}" "OUTP1:ONOFF?")" 0 "cell 1 output after $1"
  expect_eq "$(query "${RESOURCE[switch]}" "ROUT:CLOS? (@301)")" 0 "BOOT0 after $1"
}
last_run="(select max(id) from runs)"
runs() { sql "select count(*) from runs"; }

# Ctrl-C in the middle of the flash (first, on the twin's real clock, so it takes seconds):
# ABORTED, exit 3, stored and audited, and the fixture safe.
: >"$WORK/abort.out"
"$STATION" firmware flash --fixture "$WORK/fixture.conf" "${DB[@]}" --serial "$serial" \
  "$WORK/image.bin" >>"$WORK/abort.out" 2>&1 &
pid=$!
for _ in $(seq 200); do
  grep -qE 'erase +100 %' "$WORK/abort.out" && break
  sleep 0.05
done
set +e
kill -INT "$pid"
wait "$pid"
FLASH_STATUS=$?
set -e
cat "$WORK/abort.out"
expect_eq "$FLASH_STATUS" 3 "exit status after Ctrl-C during the flash"
expect_eq "$(sql "select purpose || ' ' || outcome from runs where id = $last_run")" \
  "flash ABORTED" "the stored aborted flash"
expect_eq "$(sql "select group_concat(name || ':' || outcome, ' ') from (select * from steps
  where run_id = $last_run and name in ('flash', 'boot', 'safe-state') order by idx)")" \
  "flash:ERROR boot:SKIP safe-state:PASS" "the steps of the aborted flash"
expect_safe "Ctrl-C during the flash"
expect_grep "run [0-9]+: ABORTED" \
  <(sql "select detail from audit_log where action = 'firmware.flash' order by id desc limit 1")

# The rest on the twin's virtual clock.
echo "clock = virtual" >>"$WORK/fixture.conf"

# A good flash: PASS, stored as a flash run with the operator, the image and what was done.
flash --serial "$serial" --operator alice "$WORK/image.bin"
expect_eq "$FLASH_STATUS" 0 "exit status of a good flash"
expect_grep 'write +100 % \(16384 of 16384 bytes\)' "$WORK/flash.out"
expect_grep 'verify +100 %' "$WORK/flash.out"
expect_grep '^fixture clock: [0-9.]+ s' "$WORK/flash.out"
expect_eq "$(sql "select purpose || ' ' || serial || ' ' || operator || ' ' || outcome
  from runs where id = $last_run")" "flash $serial alice PASS" "the stored flash run"
expect_eq "$(sql "select firmware_sha256 from runs where id = $last_run")" "$sha" \
  "the run records the image's SHA-256"
m() { sql "select coalesce(m.text, m.value) || ' ' || m.outcome from measurements m join steps s
  on s.id = m.step_id where s.run_id = $last_run and m.name = '$1'"; }
expect_eq "$(m firmware_version)" "11.31 PASS" "the image's version"
expect_eq "$(m flash_bytes)" "16384.0 PASS" "bytes written"
expect_eq "$(m flash_verified)" "16384.0 PASS" "bytes verified"
expect_eq "$(m sw_version)" "11.31 PASS" "the board runs the image"
expect_eq "$(sql "select outcome from steps where run_id = $last_run and name = 'safe-state'")" \
  PASS "the safe state step"
expect_safe "a good flash"
expect_eq "$(sql "select actor || ' ' || subject from audit_log where action = 'firmware.flash'
  order by id desc limit 1")" "alice $serial" "the audit log names who flashed which board"
expect_grep "version 11.31 \(sha256 $sha\) from .*image.bin, run [0-9]+: PASS" \
  <(sql "select detail from audit_log where action = 'firmware.flash' order by id desc limit 1")
expect_eq "$(sql "select count(*) from boards") $(sql "select coalesce(sum(boards), 0) +
  coalesce(sum(station_errors), 0) from yield_cells")" "0 0" "a flash run is not in the yield"
"$STATION" runs "${DB[@]}" >"$WORK/runs.out"
expect_grep "$serial +B2A24S15P +flash +PASS" "$WORK/runs.out"
"$STATION" show "${DB[@]}" "$(sql "select $last_run")" >"$WORK/show.out"
expect_grep 'flash run' "$WORK/show.out"
expect_grep 'flash_verified' "$WORK/show.out"

# Without a serial the model is the image's; the board in the fixture is flashed as it is.
flash "$WORK/image.bin"
expect_eq "$FLASH_STATUS" 0 "exit status of a flash without a serial"
expect_eq "$(sql "select serial || '|' || model from runs where id = $last_run")" "|B2A24S15P" \
  "a flash run without a serial"

# A board whose flash does not take the image: FAIL, stored, and the fixture still safe.
flash --serial "$bad" "$WORK/image.bin"
expect_eq "$FLASH_STATUS" 1 "exit status of a board whose flash does not program"
expect_grep 'flash: the board could not be flashed: verify mismatch at address 0x08001004' \
  "$WORK/flash.out"
expect_eq "$(sql "select purpose || ' ' || outcome || ' ' || first_failure from runs
  where id = $last_run")" "flash FAIL flash" "the stored failed flash"
expect_safe "a failed flash"
expect_grep "run [0-9]+: FAIL" \
  <(sql "select detail from audit_log where action = 'firmware.flash' order by id desc limit 1")

# Refused before anything is touched or stored: a missing file, a corrupt image, an image for
# another model, an image of several models without a serial; and a wrong command line.
before=$(runs)
flash --serial "$serial" "$WORK/no-such.bin"
expect_eq "$FLASH_STATUS" 2 "exit status for a missing image file"
expect_grep 'no-such.bin' "$WORK/flash.out"
cp "$WORK/image.bin" "$WORK/corrupt.bin"
printf '\xff\x00\xff\x00' | dd of="$WORK/corrupt.bin" bs=1 seek=8000 conv=notrunc status=none
flash --serial "$serial" "$WORK/corrupt.bin"
expect_eq "$FLASH_STATUS" 2 "exit status for a corrupt image"
expect_grep 'corrupt.bin is not an image the board would run: .*CRC' "$WORK/flash.out"
"$STATION" firmware build-test-image --version 11.31 --models B1A8S10P -o "$WORK/other.bin" \
  >/dev/null
flash --serial "$serial" "$WORK/other.bin"
expect_eq "$FLASH_STATUS" 2 "exit status for an image of another model"
expect_grep 'is built for B1A8S10P, not for the board.s model B2A24S15P' "$WORK/flash.out"
"$STATION" firmware build-test-image --version 11.31 --models B2A24S15P,B1A8S10P \
  -o "$WORK/two.bin" >/dev/null
flash "$WORK/two.bin"
expect_eq "$FLASH_STATUS" 64 "exit status for an image of two models without a serial"
expect_grep "several models .*give the board's serial number" "$WORK/flash.out"
flash
expect_eq "$FLASH_STATUS" 64 "exit status without an image"
expect_eq "$(runs)" "$before" "runs stored by refused flashes"
echo "ok"
