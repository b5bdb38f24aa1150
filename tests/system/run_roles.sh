#!/usr/bin/env bash
# Roles: a new station lets anyone add the first admin; then only admins manage users, only
# the firmware role releases firmware, a removed user cannot test boards, and every change is
# in the audit log with who, what, before and after. Refusals name the role needed.
. "$(dirname "$0")/lib.sh"
DB=(--db "$WORK/results.db")
st() {
  set +e
  "$STATION" "$@" "${DB[@]}" >"$WORK/out" 2>&1
  STATUS=$?
  set -e
}
st user add alice --role admin --badge 0001 --user nobody-yet
expect_eq "$STATUS" 0 "the first admin is added by anyone"
st user add fred --role firmware --badge 0042 --user alice
expect_eq "$STATUS" 0 "an admin adds a firmware user"
st user add oscar --badge 0100 --user 0001
expect_eq "$STATUS" 0 "an admin known by badge adds an operator"
st user add mallory --role admin --user oscar
expect_eq "$STATUS" 64 "an operator adding a user"
expect_grep "adding user mallory needs the admin role and oscar is operator" "$WORK/out"
st user add eve --role wizard --user alice
expect_grep "'wizard' is not a role: use operator, engineer, admin or firmware" "$WORK/out"
st user add bob --badge 0042 --user alice
expect_grep "badge '0042' already belongs to another user" "$WORK/out"

"$STATION" firmware keygen --out "$WORK/team" >/dev/null
mkdir -p "$WORK/keys" && cp "$WORK/team.pub" "$WORK/keys/"
st firmware release 11.30 --models B2A24S15P --trusted-keys "$WORK/keys" --user oscar
expect_eq "$STATUS" 64 "an operator releasing firmware"
expect_grep "releasing firmware needs the firmware role and oscar is operator" "$WORK/out"
st firmware release 11.30 --models B2A24S15P --trusted-keys "$WORK/keys" --user 0042
expect_grep "11.30 not released" "$WORK/out"   # allowed, but there is no such image

st user list
expect_grep "^fred +firmware +0042 " "$WORK/out"
st user remove oscar --user alice
expect_eq "$STATUS" 0 "an admin removes a user"
st run --serial B2A24S15P-2648-00017 --user oscar
expect_eq "$STATUS" 64 "a removed user testing a board"
expect_grep "testing a board needs the operator role and 'oscar' is not a user" "$WORK/out"
expect_eq "$(sql "select count(*) from runs")" 0 "runs by a refused user"

expect_eq "$(sql "select group_concat(actor || ':' || subject || ':' || new_value, ' ')
  from (select * from audit_log where action = 'user.add' order by id)")" \
  "nobody-yet:alice:role=admin badge=0001 alice:fred:role=firmware badge=0042 alice:oscar:role=operator badge=0100" \
  "user additions in the audit log"
expect_eq "$(sql "select actor || '|' || old_value || '|' || coalesce(new_value, 'none')
  from audit_log where action = 'user.remove'")" "alice|role=operator badge=0100|none" \
  "the removal with the value before"
echo "ok"
