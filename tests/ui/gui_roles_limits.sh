#!/usr/bin/env bash
# The app applies station run's rule to the user logged in: a sequence other than the
# station's is refused to an operator before the board is touched, naming the role needed,
# and run by an engineer with the change in the audit log.
. "$(dirname "$0")/lib_gui.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
seq=$SOURCE_ROOT/tests/data/sequences/instruments.lua
for user in "alice --role admin" "erin --role engineer" "oscar"; do
  "$STATION" user add $user --user alice --db "$WORK/results.db" >/dev/null
done
station_gui --user oscar --scan B2A24S15P-2648-00081 --sequence "$seq" --view operator
expect_eq "$GUI_STATUS" 2 "exit status of an operator's run of another sequence"
expect_grep "needs the engineer role and oscar is operator" "$WORK/gui.out"
expect_eq "$(sql "select count(*) from runs")" 0 "runs of a refused sequence"
expect_eq "$(sql "select count(*) from audit_log where action like 'run.%'")" 0 \
  "audit entries of a refused sequence"
station_gui --user erin --scan B2A24S15P-2648-00082 --sequence "$seq" --view operator
expect_eq "$GUI_STATUS" 0 "exit status of an engineer's run of another sequence"
expect_eq "$(sql "select actor || ' ' || subject from audit_log where action = 'run.sequence'")" \
  "erin B2A24S15P-2648-00082" "the engineer's sequence in the audit log"
echo ok
