#!/usr/bin/env bash
# Two slots tested at once (station run --serial A --serial B) on a twin of two slots: a good
# board in slot 1 passes while a board with an AFE channel out of spec in slot 2 fails, each
# run printed with its slot's number and stored with its slot. What cannot be a batch is
# refused before anything is touched: a serial scanned twice, more boards than slots, a slot
# the fixture does not have, and slots on the twin's virtual clock.
. "$(dirname "$0")/lib.sh"
GOOD=B2A24S15P-2648-00017
BAD=B2A8S20P-2650-00042

mkfifo "$WORK/twin.out"
"$FIXTURE_SIM" --slots 2 --cellsim-port 0 --control-port 0 --eload-port 0 --charger-port 0 \
  --dmm-port 0 --switch-port 0 --battery-port 0 --short-port 0 --digitizer-port 0 \
  --power-path battery --pty-dir "$WORK/pty" --fault-rule "$BAD=cell-offset:3:12" \
  >"$WORK/twin.out" 2>"$WORK/twin.err" &
TWIN_PID=$!
exec 7<"$WORK/twin.out"
declare -A RESOURCE=()
while IFS= read -r -t 10 line <&7; do
  [ "$line" = ready ] && break
  RESOURCE[${line%% *}]=${line#* }
done
[ -n "${RESOURCE[slot2.control]:-}" ] || fail "the twin of two slots did not start: $(cat "$WORK/twin.err")"
cat <&7 >/dev/null &
exec 7<&-

section() { sed -n "/^\[$1\]/,/^\[/{/^$2/p}" "$SOURCE_ROOT/fixtures/sim.conf"; }
{
  printf '[fixture]\nid = TEST-SLOTS-%s\nsafe_cell_voltage = 3.3\n' "$$"
  printf '[dut]\ndriver = jk-modbus\naddress = 1\n[boot]\ndriver = stm32-rom\n'
  for k in 1 2; do
    r() { echo "${RESOURCE[slot$k.$1]}"; }
    printf '[slot %d]\ndut = %s\nboot = %s?baud=115200\ntwin_control = %s\n' "$k" \
      "$(r rs485)" "$(r boot)" "$(r control)"
    printf '[slot %d cells]\ndriver = ngi-n83624\nresource = %s\n' "$k" "$(r cellsim)"
    printf '[slot %d load]\ndriver = keysight-n3300a\nresource = %s\n' "$k" "$(r eload)"
    printf '[slot %d charger]\ndriver = rigol-dp800\nresource = %s\n' "$k" "$(r charger)"
    printf '[slot %d dmm]\ndriver = keysight-34461a\nresource = %s\n' "$k" "$(r dmm)"
    printf '[slot %d switch]\ndriver = keysight-34980a\nresource = %s\n%s\n' "$k" "$(r switch)" \
      "$(section switch 'relay_\|heater_load_\|ntc_\|boot0\|nrst')"
    printf '[slot %d battery]\ndriver = itech-it6000c\nresource = %s\n%s\n' "$k" "$(r battery)" \
      "$(section battery rated_)"
    printf '[slot %d short]\ndriver = jk-eol-scm\nresource = %s\n%s\n' "$k" "$(r short)" \
      "$(section short rated_)"
    printf '[slot %d digitizer]\ndriver = keysight-infiniivision\nresource = %s\nchannel = 1\n' \
      "$k" "$(r digitizer)"
  done
  printf '[twin]\nautostart = false\nclock = real\n'
} >"$WORK/fixture.conf"
release_firmware
before=$(sql "select count(*) from runs")

batch() {
  set +e
  timeout 300 "$STATION" run --fixture "$1" --db "$WORK/results.db" --trusted-keys "$TRUSTED" \
    --quiet "${@:2}" >"$WORK/run.out" 2>&1
  RUN_STATUS=$?
  set -e
}

# Refused before anything is touched: nothing stored, no board put in.
batch "$WORK/fixture.conf" --serial "$GOOD" --serial "${GOOD,,}"
expect_eq "$RUN_STATUS" 64 "exit status of a serial scanned twice"
expect_grep "serial $GOOD is scanned twice \(boards 1 and 2 of the batch\)" "$WORK/run.out"
batch "$WORK/fixture.conf" --serial "$GOOD" --serial "$BAD" --serial B2A24S15P-2648-00019
expect_eq "$RUN_STATUS" 64 "exit status of more boards than slots"
expect_grep "3 boards scanned, but the fixture .* has 2 slots" "$WORK/run.out"
batch "$WORK/fixture.conf" --serial "$GOOD" --slot 3
expect_eq "$RUN_STATUS" 2 "exit status of a slot the fixture lacks"
expect_grep "has no slot 3; its slots: 1, 2" "$WORK/run.out"
sed 's/^clock = real/clock = virtual/' "$WORK/fixture.conf" >"$WORK/virtual.conf"
batch "$WORK/virtual.conf" --serial "$GOOD" --serial "$BAD"
expect_eq "$RUN_STATUS" 64 "exit status of a batch on the virtual clock"
expect_grep "clock = virtual" "$WORK/run.out"
expect_eq "$(sql "select count(*) from runs")" "$before" "runs stored by refused batches"
exec 8<>/dev/tcp/127.0.0.1/"$(echo "${RESOURCE[slot1.control]}" | cut -d: -f5)"
echo 'SIM:BOARD?' >&8
read -r -t 5 board <&8
exec 8<&-
expect_eq "${board%$'\r'}" NONE "board in slot 1 after the refused batches"

# The batch: both at once, each line with its slot, each run stored with its slot.
start=$(date +%s)
batch "$WORK/fixture.conf" --serial "$GOOD" --serial "$BAD"
took=$(($(date +%s) - start))
cat "$WORK/run.out"
expect_eq "$RUN_STATUS" 1 "exit status of a batch with a failing board"
expect_grep "^slot 1  PASS  $GOOD " "$WORK/run.out"
expect_grep "^slot 2  FAIL  $BAD " "$WORK/run.out"
expect_grep "^slot 2    cell-voltage-accuracy: " "$WORK/run.out"
grep -v '^slot [12]  ' "$WORK/run.out" && fail "a line without its slot's number"
expect_eq "$(sql "select slot || ':' || serial || ':' || outcome from runs where id > $before order by slot")" \
  "1:$GOOD:PASS
2:$BAD:FAIL" "stored runs of the batch"
# Each slot went to its own safe state.
expect_eq "$(sql "select count(*) from steps s join runs r on r.id = s.run_id
                  where r.id > $before and s.name = 'safe-state' and s.outcome = 'PASS'")" 2 \
  "safe states"
# At once: each run began before the other ended.
expect_eq "$(sql "select count(*) from runs a join runs b on a.slot = 1 and b.slot = 2
                  where a.id > $before and b.id > $before
                    and a.started_at < b.ended_at and b.started_at < a.ended_at")" 1 \
  "the two runs overlap in time"
echo "batch of two slots: $took s; $(sql "select group_concat('slot ' || slot || ' ' ||
  round(duration_s, 1) || ' s', ', ') from runs where id > $before")"
