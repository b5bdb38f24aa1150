"""pyvisa-py against the twin's SCPI sockets: *IDN? and a channel-list measurement from the
cell simulator, *IDN? and the error queue from the control port.
Usage: pyvisa_socket.py CELLSIM-RESOURCE CONTROL-RESOURCE"""
import os
import sys

import pyvisa


def open_socket(rm, resource):
    return rm.open_resource(resource, read_termination="\n", write_termination="\n",
                            timeout=5000)


def main():
    cellsim_resource, control_resource = sys.argv[1:3]
    rm = pyvisa.ResourceManager("@py")

    cells = open_socket(rm, cellsim_resource)
    idn = cells.query("*IDN?")
    assert idn.startswith("NGI,N83624,SIM"), f"cell simulator *IDN? gave {idn!r}"
    cells.write("SOUR:VOLT 3.3,(@1:3);OUTP:ONOFF 1,(@1:3)")
    volts = [float(v) for v in cells.query("MEAS:VOLT? (@1:3)").split(",")]
    assert len(volts) == 3, f"MEAS:VOLT? (@1:3) gave {volts}"
    assert all(abs(v - 3.3) < 0.001 for v in volts), f"MEAS:VOLT? (@1:3) gave {volts}"
    assert cells.query("SYST:ERR?") == '0,"No error"'
    cells.write("SOUR:VOLT 9,(@1)")
    error = cells.query("SYST:ERR?")
    assert error.startswith("-222,"), f"out-of-range voltage gave {error!r}"

    control = open_socket(rm, control_resource)
    control_idn = control.query("*IDN?")
    assert control_idn.startswith("JK-EOL,fixture-sim,"), f"control *IDN? gave {control_idn!r}"
    assert control.query("SIM:BOARD?") == "NONE"
    control.write("SIM:BOARD:INSERT \"B2A24S15P-2648-00017\"")
    assert control.query("SIM:BOARD?") == '"B2A24S15P-2648-00017"'
    assert control.query("SYST:ERR?") == '0,"No error"'

    cells.close()
    control.close()
    rm.close()
    print(f"PASS: {idn} / {control_idn} (pyvisa {pyvisa.__version__}, pid {os.getpid()})")


if __name__ == "__main__":
    main()
