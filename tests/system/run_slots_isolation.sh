#!/usr/bin/env bash
# One slot's trouble stays in its slot. Four boards tested at once on a twin of four slots
# sharing its electronic load, charger and DMM: slot 2's board falls silent after identify
# (its run ends ERROR naming the board link) and slot 3's run is aborted by the operator
# ("abort 3" on the batch's standard input) while it holds the shared load and DMM for the
# path-resistance step. Slots 1 and 4 still pass and are stored, each run is stored with its
# own outcome, and every slot ends in its own safe state: each safe-state step passes and
# each slot's switch unit has its relays and routes open.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_slots.sh"
BOARDS=(B2A24S15P-2648-00021 B2A24S15P-2648-00022 B2A24S15P-2648-00023 B2A24S15P-2648-00024)

slots_test 4 --shared eload,charger,dmm
port_of() { local p=${1#TCPIP::*::}; echo "${p%%::*}"; }
twin_command() { # slot resource-name command
  exec 6<>"/dev/tcp/127.0.0.1/$(port_of "${RESOURCE[slot$1.$2]}")"
  printf '%s\n' "$3" >&6
  [ "${4:-}" = answer ] && { read -r -t 5 ANSWER <&6; ANSWER=${ANSWER%$'\r'}; }
  exec 6>&-
}

mkfifo "$WORK/commands"
args=()
for b in "${BOARDS[@]}"; do args+=(--serial "$b"); done
set +e
timeout 600 "$STATION" run --fixture "$WORK/fixture.conf" --db "$WORK/results.db" \
  --trusted-keys "$TRUSTED" "${args[@]}" <"$WORK/commands" >"$WORK/run.out" 2>&1 &
station_pid=$!
exec 5>"$WORK/commands"
set -e
wait_line() { # pattern: waits for it in the batch's output
  for _ in $(seq 6000); do
    grep -qE -- "$1" "$WORK/run.out" && return 0
    kill -0 "$station_pid" 2>/dev/null || break
    sleep 0.05
  done
  cat "$WORK/run.out"
  fail "the batch never printed /$1/"
}
wait_line '^slot 2  .*main +identify +PASS'
twin_command 2 control 'SIM:BOARD:LINK OFF'
wait_line '^slot 3  .*main +path-resistance$'
printf 'abort 3\n' >&5
set +e
wait "$station_pid"
status=$?
set -e
exec 5>&-
cat "$WORK/run.out"
expect_eq "$status" 3 "exit status of the batch (the worst: an aborted run)"
expect_stored_runs "1:${BOARDS[0]}:PASS" "2:${BOARDS[1]}:ERROR" "3:${BOARDS[2]}:ABORTED" \
  "4:${BOARDS[3]}:PASS"
expect_grep "^slot 1  PASS  ${BOARDS[0]} " "$WORK/run.out"
expect_grep "^slot 4  PASS  ${BOARDS[3]} " "$WORK/run.out"
sql "select message from runs where slot = 2 and id > $before" | grep -q 'fixture.dut' ||
  fail "slot 2's stored message does not name its board link"
expect_eq "$(sql "select group_concat(state) from (select r.slot || ':' || s.outcome as state
                  from steps s join runs r on r.id = s.run_id
                  where r.id > $before and s.name = 'safe-state' order by r.slot)")" \
  "1:PASS,2:PASS,3:PASS,4:PASS" "safe states"
for k in 1 2 3 4; do
  twin_command "$k" switch 'ROUT:CLOS? (@101,102,103,105,106,107,108,112,401,402,403)' answer
  expect_eq "$ANSWER" "0,0,0,0,0,0,0,0,0,0,0" "slot $k's relays and routes after the batch"
done
echo "ok: slots 1 and 4 passed beside an error in slot 2 and an abort in slot 3"
