# Shared by the conformance scripts (sourced, not run): starts fixture-sim in the background
# with ephemeral ports and a private pty directory, and reads its resource lines (in any
# order, up to "ready") into $cellsim_port, $control_port, $eload_port, $charger_port,
# $dmm_port, $switch_port and $rs485_path, and the matching $<role>_resource strings. The EXIT
# trap stops the twin and removes the directory; a twin that did not exit cleanly (status 0,
# symlink removed) fails the test.

# start_sim PATH-TO-fixture-sim [EXTRA ARGUMENTS...]
start_sim() {
  local sim=$1
  shift
  sim_dir=$(mktemp -d)
  coproc SIM_PROC { exec "$sim" --cellsim-port 0 --control-port 0 --pty-dir "$sim_dir" "$@"; }
  sim_pid=$SIM_PROC_PID
  trap stop_sim EXIT
  local line n=0 port
  cellsim_port= control_port= eload_port= charger_port= dmm_port= switch_port= rs485_path=
  while :; do
    if ! IFS= read -r -t 10 -u "${SIM_PROC[0]}" line; then
      echo "fixture-sim printed only $n start-up lines" >&2
      exit 1
    fi
    n=$((n + 1))
    port=${line#*::*::}
    port=${port%%::*}
    case $line in
      "cellsim TCPIP::"*) cellsim_port=$port ;;
      "control TCPIP::"*) control_port=$port ;;
      "eload TCPIP::"*) eload_port=$port ;;
      "charger TCPIP::"*) charger_port=$port ;;
      "dmm TCPIP::"*) dmm_port=$port ;;
      "switch TCPIP::"*) switch_port=$port ;;
      "rs485 ASRL"*"::INSTR") rs485_path=${line#rs485 ASRL}; rs485_path=${rs485_path%::INSTR} ;;
      ready) break ;;
      *) ;;   # resources this script does not use
    esac
  done
  for role in cellsim control eload charger dmm switch; do
    local var=${role}_port
    if [[ -z ${!var} ]]; then
      echo "fixture-sim printed no $role resource line" >&2
      exit 1
    fi
    printf -v "${role}_resource" 'TCPIP::127.0.0.1::%s::SOCKET' "${!var}"
  done
  [[ -n $rs485_path ]] || { echo "fixture-sim printed no rs485 resource line" >&2; exit 1; }
}

stop_sim() {
  local status=$?
  if [[ -n ${sim_pid:-} ]]; then
    kill -TERM "$sim_pid" 2>/dev/null || true
    local sim_status=0
    wait "$sim_pid" || sim_status=$?
    if (( sim_status != 0 )); then
      echo "fixture-sim exited with status $sim_status" >&2
      status=1
    fi
    if [[ -L $sim_dir/rs485 ]]; then
      echo "fixture-sim left its symlink $sim_dir/rs485 behind" >&2
      status=1
    fi
  fi
  rm -rf "$sim_dir"
  exit "$status"
}

# scpi FD COMMAND: sends a line; for a query, prints the answer line.
scpi() {
  printf '%s\n' "$2" >&"$1"
  if [[ $2 == *\?* ]]; then
    local answer
    if ! IFS= read -r -t 5 -u "$1" answer; then
      echo "no answer to '$2'" >&2
      exit 1
    fi
    printf '%s\n' "$answer"
  fi
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
