#!/bin/bash
# Conformance: pyvisa with its pure-Python backend (pyvisa-py), a real third-party VISA
# client, against every SCPI socket of the twin (cell simulator, electronic load, charger,
# DMM, switch unit and control port).
# Usage: pyvisa_socket.sh PATH-TO-fixture-sim PATH-TO-pyvisa_socket.py
set -euo pipefail
sim=${1:?usage: $0 PATH-TO-fixture-sim PATH-TO-pyvisa_socket.py}
script=${2:?usage: $0 PATH-TO-fixture-sim PATH-TO-pyvisa_socket.py}
# Debian's python3-pyvisa-py is installed for the system interpreter.
python=/usr/bin/python3
if [[ ! -x $python ]] || ! "$python" -c 'import pyvisa, pyvisa_py' 2>/dev/null; then
  echo "pyvisa-py is not installed for $python: skipped"
  exit 77
fi
source "$(dirname "$0")/sim_session.sh"
start_sim "$sim" --quiet
"$python" "$script" "$cellsim_resource" "$control_resource" "$eload_resource" \
  "$charger_resource" "$dmm_resource" "$switch_resource"
