#!/usr/bin/env bash
# Roles for the limits in effect: a run with a sequence, limits or a protection profile other
# than the station's, or an order not registered on the station (an order file, values on the
# command line), needs the engineer role; an
# operator is refused before anything is touched, in a sentence naming the role, and nothing is
# stored or audited. An engineer's run is audited first: who, the board, the default and what
# was used, files with their SHA-256. Engineers register orders (audited, before and after);
# a registered order, and the default files named by their path, are any tester's.
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
expect_grep "with the protection profile cold and the order file $WORK/cold.order instead of the station.s needs the engineer role and oscar is operator" "$WORK/out"

# An order file is an order the station does not hold: an engineer's too.
printf '[order]\nid = PO-2\ncells = 16\nheater = no\n' >"$WORK/plain.order"
st "${run[@]}" --serial B2A24S15P-2648-00064 --order-file "$WORK/plain.order" --user oscar
expect_eq "$STATUS" 64 "an operator running an order file"
expect_grep "with the order file $WORK/plain.order instead of the station's needs the engineer role" "$WORK/out"
st "${run[@]}" --serial B2A24S15P-2648-00064 --cells 12 --user oscar
expect_eq "$STATUS" 64 "an operator giving the order's values"
expect_grep "with the order cells=12 chemistry=- heater=- profile=- given on the command line instead of the station's needs the engineer role" "$WORK/out"

# Engineers register orders; operators run them by id. Each change is audited.
st orders add "$WORK/plain.order" --user oscar
expect_eq "$STATUS" 64 "an operator registering an order"
expect_grep "registering order PO-2 needs the engineer role and oscar is operator" "$WORK/out"
st orders add "$WORK/plain.order" --user erin
expect_eq "$STATUS" 0 "an engineer registering an order"
st orders add "$WORK/cold.order" --user erin
printf '[order]\nid = PO-2\ncells = 15\nheater = no\n' >"$WORK/plain.order"
st orders add "$WORK/plain.order" --user erin
st orders
cat "$WORK/out"
expect_grep "^PO-2 +15 +- +no +- " "$WORK/out"
expect_grep "^PO-1 +16 +- +- +cold " "$WORK/out"
expect_eq "$(sql "select group_concat(action || '|' || actor || '|' || subject || '|' ||
  coalesce(old_value, '') || '|' || new_value, ' / ') from (select * from audit_log
  where action like 'order.%' order by id)")" \
  "order.add|erin|PO-2||cells=16 chemistry=- heater=no profile=- / order.add|erin|PO-1||cells=16 chemistry=- heater=- profile=cold / order.change|erin|PO-2|cells=16 chemistry=- heater=no profile=-|cells=15 chemistry=- heater=no profile=-" \
  "the orders' changes in the audit log"
printf '[order]\nid = PO-4\nprofile = warm\n' >"$WORK/bad.order"
st orders add "$WORK/bad.order" --user erin
expect_eq "$STATUS" 64 "an order with a profile the limits do not have"
expect_grep "have no protection profile 'warm'" "$WORK/out"

# A registered order, its profile included, and the default files named by their path are
# any tester's: these runs get past the roles (and end at the firmware release this
# database does not have) with the registered order's values.
for order in PO-2 PO-1; do
  st "${run[@]}" --serial B2A24S15P-2648-0007${order#PO-} --order $order \
    --limits "$defaults/limits.conf" --sequence "$defaults/eol.lua" --user oscar
  expect_eq "$STATUS" 2 "an operator's run of registered order $order without firmware"
  expect_grep "firmware-release" "$WORK/out"
done
st "${run[@]}" --serial B2A24S15P-2648-00073 --order PO-2 --cells 15 --user oscar
expect_eq "$STATUS" 2 "an operator repeating the registered order's cell count"
expect_eq "$(sql "select group_concat(order_id || ' ' || cell_count || ' ' || profile, ', ')
  from runs where serial like 'B2A24S15P-2648-0007%'")" \
  "PO-2 15 default, PO-1 16 cold, PO-2 15 default" "the runs of registered orders"
expect_eq "$(audited)" 0 "audit entries of registered orders and default files"
st orders remove PO-1 --user erin
expect_eq "$STATUS" 0 "an engineer removing an order"
expect_eq "$(sql "select old_value from audit_log where action = 'order.remove'")" \
  "cells=16 chemistry=- heater=- profile=cold" "the removal with the values before"

expect_eq "$(sql "select count(*) from runs where serial not like 'B2A24S15P-2648-0007%'")" 0 \
  "runs stored for refused overrides"

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
printf '[order]\nid = PO-5\nprofile = cold\n' >"$WORK/eng.order"
st "${run[@]}" --serial B2A24S15P-2648-00066 --sequence "$seqs/instruments.lua" \
  --order-file "$WORK/eng.order" --user erin
cat "$WORK/out"
expect_eq "$STATUS" 0 "an engineer's run of an order file"
expect_eq "$(sql "select old_value || '|' || new_value from audit_log where action = 'run.order' order by id desc limit 1")" \
  "the model's default order|cells=- chemistry=- heater=- profile=cold from $WORK/eng.order sha256=$(sha "$WORK/eng.order")" \
  "the order file in the audit log"
echo ok
