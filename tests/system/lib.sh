# Shared by the system tests: start a private twin on ephemeral ports, write a fixture
# description for it, and check results. Sourced; expects STATION, FIXTURE_SIM, SOURCE_ROOT.
set -euo pipefail

WORK=$(mktemp -d "${TMPDIR:-/tmp}/station-test.XXXXXX")
TWIN_PID=
cleanup() {
  [ -n "$TWIN_PID" ] && kill "$TWIN_PID" 2>/dev/null && wait "$TWIN_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
# The station's data folder (stored plans) is the test's own, not the user's.
export XDG_DATA_HOME=$WORK/data

fail() { echo "FAILED: $*" >&2; exit 1; }

# start_twin [fixture-sim options...]: starts the twin (the buildable fixture: a battery
# emulator on B+/B-), waits for "ready", writes $WORK/fixture.conf describing it (autostart
# off: the test owns the twin), the battery emulator's and the short-circuit module's ratings
# as fixtures/sim.conf has them.
start_twin() {
  mkfifo "$WORK/twin.out"
  "$FIXTURE_SIM" --cellsim-port 0 --control-port 0 --eload-port 0 --charger-port 0 \
    --dmm-port 0 --switch-port 0 --battery-port 0 --short-port 0 --digitizer-port 0 \
    --power-path battery --pty-dir "$WORK/pty" \
    "$@" \
    >"$WORK/twin.out" 2>"$WORK/twin.err" &
  TWIN_PID=$!
  exec 7<"$WORK/twin.out"
  local line name
  declare -gA RESOURCE=()
  while IFS= read -r -t 10 line <&7; do
    [ "$line" = ready ] && break
    name=${line%% *}
    RESOURCE[$name]=${line#* }
  done
  [ -n "${RESOURCE[cellsim]:-}" ] && [ -n "${RESOURCE[control]:-}" ] &&
    [ -n "${RESOURCE[rs485]:-}" ] || fail "the twin did not start: $(cat "$WORK/twin.err")"
  # Keep draining the twin's output so it never blocks on a full pipe.
  cat <&7 >/dev/null &
  exec 7<&-
  {
    printf '[fixture]\nid = TEST-%s\nslot = 1\nsafe_cell_voltage = 3.3\n' "$$"
    printf '[cells]\ndriver = ngi-n83624\nresource = %s\n' "${RESOURCE[cellsim]}"
    printf '[dut]\ndriver = jk-modbus\nresource = %s\n' "${RESOURCE[rs485]}"
    [ -n "${RESOURCE[eload]:-}" ] &&
      printf '[load]\ndriver = keysight-n3300a\nresource = %s\n' "${RESOURCE[eload]}"
    [ -n "${RESOURCE[charger]:-}" ] &&
      printf '[charger]\ndriver = rigol-dp800\nresource = %s\n' "${RESOURCE[charger]}"
    [ -n "${RESOURCE[dmm]:-}" ] &&
      printf '[dmm]\ndriver = keysight-34461a\nresource = %s\n' "${RESOURCE[dmm]}"
    [ -n "${RESOURCE[switch]:-}" ] &&
      printf '[switch]\ndriver = keysight-34980a\nresource = %s\n%s\n' "${RESOURCE[switch]}" \
        "$(sed -n '/^relay_\|^heater_load_\|^ntc_\|^boot0\|^nrst/p' "$SOURCE_ROOT/fixtures/sim.conf")"
    [ -n "${RESOURCE[battery]:-}" ] &&
      printf '[battery]\ndriver = itech-it6000c\nresource = %s\n%s\n' "${RESOURCE[battery]}" \
        "$(sed -n '/^\[battery\]/,/^\[/{/^rated_/p}' "$SOURCE_ROOT/fixtures/sim.conf")"
    [ -n "${RESOURCE[short]:-}" ] &&
      printf '[short]\ndriver = jk-eol-scm\nresource = %s\n%s\n' "${RESOURCE[short]}" \
        "$(sed -n '/^\[short\]/,/^\[/{/^rated_/p}' "$SOURCE_ROOT/fixtures/sim.conf")"
    [ -n "${RESOURCE[digitizer]:-}" ] &&
      printf '[digitizer]\ndriver = keysight-infiniivision\nresource = %s\nchannel = 1\n' \
        "${RESOURCE[digitizer]}"
    [ -n "${RESOURCE[boot]:-}" ] &&
      printf '[boot]\ndriver = stm32-rom\nresource = %s?baud=115200\n' \
        "${RESOURCE[boot]}"
    printf '[twin]\ncontrol = %s\nautostart = false\n' "${RESOURCE[control]}"
  } >"$WORK/fixture.conf"
  CONTROL=${RESOURCE[control]}
}

# autostart_fixture: writes $WORK/fixture.conf as fixtures/sim.conf, the station starting the
# twin itself, with a free port for each of sim.conf's fixed ones (150xx) and in virtual time;
# sets CONTROL_PORT (the twin's control port).
autostart_fixture() {
  local fixed free edits=() i
  fixed=($(grep -oE '\b150[0-9]{2}\b' "$SOURCE_ROOT/fixtures/sim.conf" | sort -u))
  free=($(/usr/bin/python3 -c 'import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])' "${#fixed[@]}"))
  for i in "${!fixed[@]}"; do
    edits+=(-e "s/\b${fixed[$i]}\b/${free[$i]}/g")
    [ "${fixed[$i]}" = 15099 ] && CONTROL_PORT=${free[$i]}
  done
  sed "${edits[@]}" -e "s|\${RUNTIME_DIR}/jk-eol-sim|$WORK/pty|g" \
      -e "s|^program = .*|program = $FIXTURE_SIM|" -e "s|^clock = real|clock = virtual|" \
      "$SOURCE_ROOT/fixtures/sim.conf" >"$WORK/fixture.conf"
  grep -qE '::150[0-9][0-9]::|port 150[0-9][0-9]' "$WORK/fixture.conf" &&
    fail "a fixed port is left in the fixture file"
  return 0
}

# station_run SERIAL [options...]: runs the station on the test fixture; sets RUN_STATUS,
# output in $WORK/run.out. After release_firmware the run trusts the test release's key.
station_run() {
  local serial=$1
  shift
  set +e
  timeout 120 "$STATION" run --fixture "$WORK/fixture.conf" --serial "$serial" \
    --db "$WORK/results.db" ${TRUSTED:+--trusted-keys "$TRUSTED"} "$@" >"$WORK/run.out" 2>&1
  RUN_STATUS=$?
  set -e
  cat "$WORK/run.out"
}

# station_start SERIAL OUT: starts a run of the test fixture in the background, its output in
# OUT; sets STATION_PID (the caller waits for it).
station_start() {
  "$STATION" run --fixture "$WORK/fixture.conf" --serial "$1" --db "$WORK/results.db" \
    ${TRUSTED:+--trusted-keys "$TRUSTED"} >"$2" 2>&1 &
  STATION_PID=$!
}

# wait_for_step OUT STEP [TRIES]: waits until the run writing OUT has begun main step STEP,
# trying every 0.05 s (default 400 tries); status 1 when it never did.
wait_for_step() {
  local _
  for _ in $(seq "${3:-400}"); do
    grep -q "main     $2\$" "$1" && return 0
    sleep 0.05
  done
  return 1
}

# sql QUERY: one query on the test database through the sqlite3 shell.
sql() { sqlite3 "$WORK/results.db" "$1"; }

# need_number NAME VALUE...: each VALUE is a decimal number; a missing or empty figure fails
# the test naming it (awk would compare an empty one as true).
need_number() {
  local name=$1 value
  shift
  [ $# -gt 0 ] || fail "$name: no figure"
  for value in "$@"; do
    [[ $value =~ ^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$ ]] ||
      fail "$name: expected a number, got '$value'"
  done
}

expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
expect_grep() { grep -qE -- "$1" "$2" || fail "expected /$1/ in $2"; }

# release_firmware [VERSION]: the firmware team's part (scripts/release-test-firmware):
# signed images for every model imported into the test database and released. Sets TRUSTED
# to the folder of keys the station must trust.
release_firmware() {
  "$SOURCE_ROOT/scripts/release-test-firmware" "$STATION" "$WORK/results.db" "$WORK/fw" \
    "${1:-11.30}"
  TRUSTED=$WORK/fw/trusted-keys
}
