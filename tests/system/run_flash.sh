#!/usr/bin/env bash
# Flashing: the released image for the board's model goes in through the ROM bootloader and
# the board then runs it; a flash-bad board fails the flash step at its address; without a
# release the run ends ERROR before the board is touched, telling the firmware team why.
. "$(dirname "$0")/lib.sh"
serial=B2A24S15P-2648-00017
bad=B2A24S15P-2648-00066
start_twin --fault-rule "$bad=flash-bad:0x08001004"
echo "clock = virtual" >>"$WORK/fixture.conf"
seq=$SOURCE_ROOT/tests/data/sequences/flash.lua

# No release yet: ERROR, nothing touched, the message names what the firmware team must do.
station_run "$serial" --sequence "$seq"
expect_eq "$RUN_STATUS" 2 "exit status without a release"
expect_grep 'no firmware is released for model B2A24S15P' "$WORK/run.out"
expect_eq "$(sql "select outcome from steps where name = 'connect-fixture'")" SKIP \
  "the fixture is not touched without firmware"

release_firmware 11.30
station_run "$serial" --sequence "$seq"
expect_eq "$RUN_STATUS" 0 "exit status of a good flash"
version=$(sql "select text from measurements where name = 'firmware_version' order by id desc limit 1")
expect_eq "$(sql "select text from measurements where name = 'sw_version' order by id desc limit 1")" \
  "$version" "the board runs the released version"
expect_eq "$(sql "select firmware_sha256 from runs order by id desc limit 1")" \
  "$(sql "select text from measurements where name = 'firmware_sha256' order by id desc limit 1")" \
  "the run records the image's SHA-256"

station_run "$bad" --sequence "$seq"
expect_eq "$RUN_STATUS" 1 "exit status of a board whose flash does not program"
expect_grep 'flash: flashing failed: verify mismatch at address 0x08001004' "$WORK/run.out"
expect_eq "$(sql "select first_failure from runs order by id desc limit 1")" flash "first failure"

# A tampered database row is caught when the release is loaded, before the board is touched.
sql "update firmware_images set image = zeroblob(length(image)) where version = '$version'"
station_run "$serial" --sequence "$seq"
expect_eq "$RUN_STATUS" 2 "exit status with a tampered release"
expect_grep 'is damaged: .*changed outside the station' "$WORK/run.out"
echo "ok"
