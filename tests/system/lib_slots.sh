# Shared by the tests of several slots: start_slots_twin N [fixture-sim options...] starts a
# private twin of N slots on ephemeral ports, waits for "ready" and writes
# $WORK/fixture.conf with a [slot k] group and its own instruments per slot, wired as
# fixtures/sim.conf wires one (autostart off: the test owns the twin; the real clock, as
# slots tested at once need). Sourced after tests/system/lib.sh.
start_slots_twin() {
  local slots=$1 line k
  shift
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
  {
    printf '[fixture]\nid = TEST-SLOTS-%s\nsafe_cell_voltage = 3.3\n' "$$"
    printf '[dut]\ndriver = jk-modbus\naddress = 1\n[boot]\ndriver = stm32-rom\n'
    for k in $(seq 1 "$slots"); do
      r() { echo "${RESOURCE[slot$k.$1]}"; }
      printf '[slot %d]\ndut = %s\nboot = %s?baud=115200\ntwin_control = %s\n' "$k" \
        "$(r rs485)" "$(r boot)" "$(r control)"
      printf '[slot %d cells]\ndriver = ngi-n83624\nresource = %s\n' "$k" "$(r cellsim)"
      printf '[slot %d load]\ndriver = keysight-n3300a\nresource = %s\n' "$k" "$(r eload)"
      printf '[slot %d charger]\ndriver = rigol-dp800\nresource = %s\n' "$k" "$(r charger)"
      printf '[slot %d dmm]\ndriver = keysight-34461a\nresource = %s\n' "$k" "$(r dmm)"
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
    printf '[twin]\nautostart = false\nclock = real\n'
  } >"$WORK/fixture.conf"
}
