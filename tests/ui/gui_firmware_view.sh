#!/usr/bin/env bash
# The log-in and the firmware view in the app: a firmware engineer's badge opens the firmware
# view with the released images (saved as a picture); an operator's badge has no firmware
# view; an unknown badge is refused in one sentence; on a station with users an unattended
# run needs --user; without --user the app opens on the log-in.
. "$(dirname "$0")/lib_gui.sh"
release_firmware
db=$WORK/results.db
"$STATION" user add alice --role admin --badge 0001 --db "$db" >/dev/null
"$STATION" user add fred --role firmware --badge 0042 --db "$db" --user alice >/dev/null
"$STATION" user add oscar --role operator --badge 0100 --db "$db" --user alice >/dev/null
station_gui --user 0042 --view firmware --screenshot "$ARTIFACTS/firmware.png"
expect_eq "$GUI_STATUS" 0 "exit status of the firmware view's picture"
[ -s "$ARTIFACTS/firmware.png" ] || fail "no picture of the firmware view"
station_gui --user 0100 --view firmware --screenshot "$WORK/operator-firmware.png"
expect_eq "$GUI_STATUS" 64 "exit status of an operator asking for the firmware view"
expect_grep "^station-gui: unknown view 'firmware': the views are: operator$" "$WORK/gui.out"
[ ! -e "$WORK/operator-firmware.png" ] || fail "an operator's firmware view was drawn"
station_gui --user 9999 --screenshot "$WORK/unknown.png"
expect_eq "$GUI_STATUS" 64 "exit status of an unknown badge"
expect_grep "^station-gui: No user of this station has the badge or name '9999'" "$WORK/gui.out"
expect_eq "$(grep -c '^station-gui:' "$WORK/gui.out")" 1 "one sentence"
station_gui --scan B2A24S15P-2648-00017
expect_eq "$GUI_STATUS" 64 "exit status of an unattended run without a user"
expect_grep "^station-gui: this station's users log in: give --user too$" "$WORK/gui.out"
expect_eq "$(sql "select count(*) from runs")" 0 "runs stored"
station_gui --screenshot "$ARTIFACTS/login.png"
expect_eq "$GUI_STATUS" 0 "exit status of the log-in's picture"
echo ok
