#!/usr/bin/env bash
# Roles for the limits in effect: a run with a sequence, limits or a protection profile other
# than the station's (on the command line or from an order file) needs the engineer role; an
# operator is refused before anything is touched, in a sentence naming the role, and nothing is
# stored or audited. An engineer's run is audited first: who, the board, the default and what
# was used, files with their SHA-256. The rest of an order, and the default files named by
# their path, are any tester's.
. "$(dirname "$0")/lib.sh"
start_twin
DB=(--db "$WORK/results.db")
st() {
  set +e
  "$STATION" "$@" "${DB[@]}" >"$WORK/out" 2>&1
  STATUS=$?
  set -e
}
seqs=$SOURCE_ROOT/tests/data/sequences
defaults=$SOURCE_ROOT/sequences
cp "$defaults/limits.conf" "$defaults/limits.types" "$WORK/"
st user add alice --role admin --user nobody-yet
st user add erin --role engineer --badge 0200 --user alice
st user add oscar --badge 0100 --user alice
expect_eq "$STATUS" 0 "an admin adds an operator"
run=(run --fixture "$WORK/fixture.conf")
audited() { sql "select count(*) from audit_log where action like 'run.%'"; }

st "${run[@]}" --serial B2A24S15P-2648-00061 --sequence "$seqs/instruments.lua" --user oscar
cat "$WORK/out"
expect_eq "$STATUS" 64 "an operator running another sequence"
expect_grep "testing a board with the sequence $seqs/instruments.lua instead of the station's needs the engineer role and oscar is operator" "$WORK/out"
# A copy of the default limits is another file: the station cannot know who edited it.
st "${run[@]}" --serial B2A24S15P-2648-00062 --limits "$WORK/limits.conf" --user 0100
expect_eq "$STATUS" 64 "an operator running other limits"
expect_grep "with the limits $WORK/limits.conf instead of the station's needs the engineer role" "$WORK/out"
printf '[order]\nid = PO-1\ncells = 16\nprofile = cold\n' >"$WORK/cold.order"
st "${run[@]}" --serial B2A24S15P-2648-00063 --order-file "$WORK/cold.order" --user oscar
expect_eq "$STATUS" 64 "an operator running an order with a protection profile"
expect_grep "with the protection profile cold instead of the station's needs the engineer role and oscar is operator" "$WORK/out"
expect_eq "$(sql "select count(*) from runs")" 0 "runs stored for refused overrides"
expect_eq "$(audited)" 0 "audit entries of refused overrides"

# The rest of an order and the default files by their path are an operator's: the run gets
# past the roles (and ends at the firmware release this database does not have).
printf '[order]\nid = PO-2\ncells = 16\nheater = no\n' >"$WORK/plain.order"
st "${run[@]}" --serial B2A24S15P-2648-00064 --order-file "$WORK/plain.order" \
  --limits "$defaults/limits.conf" --sequence "$defaults/eol.lua" --user oscar
cat "$WORK/out"
expect_eq "$STATUS" 2 "an operator's order run without firmware"
expect_grep "firmware-release" "$WORK/out"
expect_eq "$(audited)" 0 "audit entries of default files"

st "${run[@]}" --serial B2A24S15P-2648-00065 --sequence "$seqs/instruments.lua" \
  --limits "$WORK/limits.conf" --profile cold --user 0200
cat "$WORK/out"
expect_eq "$STATUS" 0 "an engineer's run with other sequence, limits and profile"
sha() { sha256sum "$1" | cut -d' ' -f1; }
expect_eq "$(sql "select actor || '|' || subject || '|' || old_value || '|' || new_value
  from audit_log where action = 'run.sequence'")" \
  "erin|B2A24S15P-2648-00065|$defaults/eol.lua sha256=$(sha "$defaults/eol.lua")|$seqs/instruments.lua sha256=$(sha "$seqs/instruments.lua")" \
  "the sequence in the audit log"
expect_eq "$(sql "select actor || '|' || old_value || '|' || new_value
  from audit_log where action = 'run.limits'")" \
  "erin|$defaults/limits.conf sha256=$(sha "$defaults/limits.conf")|$WORK/limits.conf sha256=$(sha "$WORK/limits.conf")" \
  "the limits in the audit log"
expect_eq "$(sql "select actor || '|' || old_value || '|' || new_value
  from audit_log where action = 'run.profile'")" "erin|profile=default|profile=cold" \
  "the profile in the audit log"
expect_eq "$(sql "select operator || ' ' || profile from runs where serial = 'B2A24S15P-2648-00065'")" \
  "erin cold" "the engineer's run"
echo ok
