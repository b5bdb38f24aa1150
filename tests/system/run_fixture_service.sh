#!/usr/bin/env bash
# The fixture's service state with every run: each instrument's calibration due date
# (cal_due in its group) is stored with the run; an instrument past its date refuses the run
# before the board is touched, naming it, unless the fixture file says calibration_overdue =
# warn, when the run warns; a malformed date is refused naming the key. Every board inserted
# is a contact cycle of the fixture, counted in the database; at the fixture file's
# contact_cycles_max the run warns, and `station fixtures` shows the count and the rating.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
fixture_id=$(sed -n 's/^id = //p' "$WORK/fixture.conf" | head -1)
set_key() { # GROUP KEY VALUE: sets a key of the test fixture file's group
  awk -v group="[$1]" -v key="$2" -v value="$3" '
    /^\[/ { in_group = ($0 == group) }
    in_group && index($0, key " = ") == 1 { next }
    { print }
    $0 == group { print key " = " value }' "$WORK/fixture.conf" >"$WORK/fixture.new"
  mv "$WORK/fixture.new" "$WORK/fixture.conf"
}
set_key dmm cal_due 2099-12-31
set_key load cal_due 2098-01-31

station_run B2A24S15P-2648-00017 --quiet
expect_eq "$RUN_STATUS" 0 "exit status with every instrument in calibration"
expect_eq "$(sql "select role || '=' || coalesce(cal_due, '-') from run_instruments
                  where run_id = 1 and role in ('cells', 'dmm', 'load') order by role")" \
  "$(printf 'cells=-\ndmm=2099-12-31\nload=2098-01-31')" "the due dates stored with the run"
expect_eq "$(sql "select count(*) from run_instruments where run_id = 1")" \
  "$(grep -c '^driver = ' "$WORK/fixture.conf")" "every instrument of the fixture stored"
"$STATION" show 1 --db "$WORK/results.db" >"$WORK/show.out"
expect_grep '^  instrument dmm +keysight-34461a +TCPIP::.*, calibration due 2099-12-31$' \
  "$WORK/show.out"

yesterday=$(date -u -d yesterday +%F)
set_key dmm cal_due "$yesterday"
station_run B2A24S15P-2648-00018 --quiet
expect_eq "$RUN_STATUS" 2 "exit status with the DMM past its calibration date"
expect_grep "the .* \[dmm\] of fixture $fixture_id was due for calibration on $yesterday: have it calibrated" \
  "$WORK/run.out"
grep -q 'setup\|main' "$WORK/run.out" && fail "a step began with the DMM out of calibration"
expect_eq "$(sql "select count(*) from runs")" 1 "runs stored after the refused one"

set_key dmm cal_due 2027-13-01
station_run B2A24S15P-2648-00018 --quiet
expect_eq "$RUN_STATUS" 2 "exit status with a malformed due date"
expect_grep '\[dmm\] cal_due = .2027-13-01. is not a date; write it YYYY-MM-DD' "$WORK/run.out"

# The engineer lets the fixture run with the overdue DMM; the third insertion reaches the
# contacts' rating.
set_key dmm cal_due "$yesterday"
set_key fixture calibration_overdue warn
set_key fixture contact_cycles_max 3
station_run B2A24S15P-2648-00018 --quiet
expect_eq "$RUN_STATUS" 0 "exit status with the overdue DMM let run"
expect_grep "log: warning: the .* \[dmm\] of fixture $fixture_id was due for calibration on $yesterday; it runs" \
  "$WORK/run.out"
grep -q 'contact cycles' "$WORK/run.out" && fail "contact cycles warned below the rating"
expect_eq "$(sql "select cal_due from run_instruments r join runs u on u.id = r.run_id
                  where u.serial = 'B2A24S15P-2648-00018' and role = 'dmm'")" "$yesterday" \
  "the overdue date stored with the run"
station_run B2A24S15P-2648-00019 --quiet
expect_eq "$RUN_STATUS" 0 "exit status at the contacts' rating"
expect_grep "log: warning: fixture $fixture_id has made 3 contact cycles, its contacts are rated for 3" \
  "$WORK/run.out"
expect_eq "$(sql "select contact_cycles || '/' || contact_cycles_limit from fixtures
                  where id = '$fixture_id'")" 3/3 "the fixture's cycles in the database"
"$STATION" fixtures --db "$WORK/results.db" >"$WORK/fixtures.out"
cat "$WORK/fixtures.out"
expect_grep "^$fixture_id +[^ ]+ +3 +3 .*contacts due for service\$" "$WORK/fixtures.out"
expect_grep '^    dmm +keysight-34461a +TCPIP::[^ ]+ +calibration due [0-9-]+' "$WORK/fixtures.out"

set_key fixture contact_cycles_max 2.5
station_run B2A24S15P-2648-00020 --quiet
expect_eq "$RUN_STATUS" 2 "exit status with a fractional contact_cycles_max"
expect_grep 'contact_cycles_max = 2.5 is not a whole number' "$WORK/run.out"
echo "ok"
