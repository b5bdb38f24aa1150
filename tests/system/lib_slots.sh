# Shared by the tests of several slots: start_slots_twin N [fixture-sim options...] starts a
# private twin of N slots on ephemeral ports, waits for "ready" and writes
# $WORK/fixture.conf with a [slot k] group and its own instruments per slot, wired as
# fixtures/sim.conf wires one (autostart off: the test owns the twin; the real clock, as
# slots tested at once need). With --shared LIST (eload, charger, dmm) among the options,
# those instruments are the twin's shared ones: one group each marked shared = yes, and each
# slot routes them with relay_shared_<role> = 401 (load), 402 (charger), 403 (dmm).
# Sourced after tests/system/lib.sh.
start_slots_twin() {
  local slots=$1 line k shared="" arg
  shift
  for arg in "$@"; do
    [ "$shared" = next ] && shared=",$arg,"
    [ "$arg" = --shared ] && shared=next
  done
  mkfifo "$WORK/twin.out"
  "$FIXTURE_SIM" --slots "$slots" --cellsim-port 0 --control-port 0 --eload-port 0 \
    --charger-port 0 --dmm-port 0 --switch-port 0 --battery-port 0 --short-port 0 \
    --digitizer-port 0 --power-path battery --pty-dir "$WORK/pty" "$@" \
    >"$WORK/twin.out" 2>"$WORK/twin.err" &
  TWIN_PID=$!
  exec 7<"$WORK/twin.out"
  declare -gA RESOURCE=()
  while IFS= read -r -t 10 line <&7; do
    [ "$line" = ready ] && break
    RESOURCE[${line%% *}]=${line#* }
  done
  [ -n "${RESOURCE[slot$slots.control]:-}" ] ||
    fail "the twin of $slots slots did not start: $(cat "$WORK/twin.err")"
  cat <&7 >/dev/null &
  exec 7<&-
  sim_section() { sed -n "/^\[$1\]/,/^\[/{/^$2/p}" "$SOURCE_ROOT/fixtures/sim.conf"; }
  is_shared() { case $shared in *,$1,*) return 0 ;; esac; return 1; }
  # An instrument: the slot's own group, or (shared) one group for all and the slot's route.
  instrument() {
    local role=$1 twin_name=$2 driver=$3 route=$4
    if is_shared "$twin_name"; then
      printf 'relay_shared_%s = %s\n' "$role" "$route" >>"$WORK/routes.$k"
      if [ "$k" = 1 ]; then
        printf '[%s]\ndriver = %s\nresource = %s\nshared = yes\n' "$role" "$driver" \
          "${RESOURCE[shared.$twin_name]}" >>"$WORK/shared.conf"
      fi
    else
      printf '[slot %d %s]\ndriver = %s\nresource = %s\n' "$k" "$role" "$driver" "$(r "$twin_name")"
    fi
  }
  : >"$WORK/shared.conf"
  {
    printf '[fixture]\nid = TEST-SLOTS-%s\nsafe_cell_voltage = 3.3\n' "$$"
    printf '[dut]\ndriver = jk-modbus\naddress = 1\n[boot]\ndriver = stm32-rom\n'
    for k in $(seq 1 "$slots"); do
      r() { echo "${RESOURCE[slot$k.$1]}"; }
      : >"$WORK/routes.$k"
      instrument load eload keysight-n3300a 401
      instrument charger charger rigol-dp800 402
      instrument dmm dmm keysight-34461a 403
      printf '[slot %d]\ndut = %s\nboot = %s?baud=115200\ntwin_control = %s\n' "$k" \
        "$(r rs485)" "$(r boot)" "$(r control)"
      cat "$WORK/routes.$k"
      printf '[slot %d cells]\ndriver = ngi-n83624\nresource = %s\n' "$k" "$(r cellsim)"
      printf '[slot %d switch]\ndriver = keysight-34980a\nresource = %s\n%s\n' "$k" \
        "$(r switch)" "$(sim_section switch 'relay_\|heater_load_\|ntc_\|boot0\|nrst')"
      printf '[slot %d battery]\ndriver = itech-it6000c\nresource = %s\n%s\n' "$k" \
        "$(r battery)" "$(sim_section battery rated_)"
      printf '[slot %d short]\ndriver = jk-eol-scm\nresource = %s\n%s\n' "$k" "$(r short)" \
        "$(sim_section short rated_)"
      printf '[slot %d digitizer]\ndriver = keysight-infiniivision\nresource = %s\n' "$k" \
        "$(r digitizer)"
      printf 'channel = 1\n'
    done
    cat "$WORK/shared.conf"
    printf '[twin]\nautostart = false\nclock = real\n'
  } >"$WORK/fixture.conf"
}

# slots_test N [fixture-sim options...]: start_slots_twin, the test firmware released, and in
# $before the count of runs stored so far.
slots_test() {
  start_slots_twin "$@"
  release_firmware
  before=$(sql "select count(*) from runs")
}

# batch FIXTURE ARGS...: station run --quiet of the fixture with ARGS, its output in
# $WORK/run.out, its exit status in RUN_STATUS.
batch() {
  set +e
  timeout 600 "$STATION" run --fixture "$1" --db "$WORK/results.db" --trusted-keys "$TRUSTED" \
    --quiet "${@:2}" >"$WORK/run.out" 2>&1
  RUN_STATUS=$?
  set -e
}

# expect_stored_runs SLOT:SERIAL:OUTCOME...: the runs stored since $before, by slot.
expect_stored_runs() {
  expect_eq "$(sql "select slot || ':' || serial || ':' || outcome from runs where id > $before
                    order by slot")" "$(printf '%s\n' "$@")" "stored runs of the batch"
}
