"""pyvisa-py against every SCPI socket of the twin: *IDN?, a measurement query and the error
queue of the cell simulator, electronic load, charger supply, DMM, switch unit and control
port, and one reading that crosses instruments (the DMM across the pack that the cell
simulator makes, routed by the switch unit).
Usage: pyvisa_socket.py CELLSIM CONTROL ELOAD CHARGER DMM SWITCH (VISA resource strings)"""
import os
import sys

import pyvisa


def open_socket(rm, resource):
    return rm.open_resource(resource, read_termination="\n", write_termination="\n",
                            timeout=5000)


def expect_no_error(instrument, name):
    error = instrument.query("SYST:ERR?")
    assert error == '0,"No error"', f"{name}: SYST:ERR? gave {error!r}"


def main():
    cellsim_resource, control_resource, eload_resource, charger_resource, dmm_resource, \
        switch_resource = sys.argv[1:7]
    rm = pyvisa.ResourceManager("@py")

    cells = open_socket(rm, cellsim_resource)
    idn = cells.query("*IDN?")
    assert idn.startswith("NGI,N83624,SIM"), f"cell simulator *IDN? gave {idn!r}"
    cells.write("SOUR:VOLT 3.3,(@1:3);OUTP:ONOFF 1,(@1:3)")
    volts = [float(v) for v in cells.query("MEAS:VOLT? (@1:3)").split(",")]
    assert len(volts) == 3, f"MEAS:VOLT? (@1:3) gave {volts}"
    assert all(abs(v - 3.3) < 0.001 for v in volts), f"MEAS:VOLT? (@1:3) gave {volts}"
    expect_no_error(cells, "cell simulator")
    cells.write("SOUR:VOLT 9,(@1)")
    error = cells.query("SYST:ERR?")
    assert error.startswith("-222,"), f"out-of-range voltage gave {error!r}"

    eload = open_socket(rm, eload_resource)
    eload_idn = eload.query("*IDN?")
    assert eload_idn.startswith("Keysight Technologies,N3300A,"), f"load *IDN? gave {eload_idn!r}"
    eload.write("FUNC CURR;CURR 0")
    assert eload.query("FUNC?") == "CURR"
    load_amps = float(eload.query("MEAS:CURR?"))
    assert abs(load_amps) < 0.02, f"load MEAS:CURR? with the input off gave {load_amps}"
    float(eload.query("MEAS:VOLT?"))
    expect_no_error(eload, "load")
    eload.write("INP:BOGUS ON")
    error = eload.query("SYST:ERR?")
    assert error.startswith("-113,"), f"unknown load header gave {error!r}"

    charger = open_socket(rm, charger_resource)
    charger_idn = charger.query("*IDN?")
    assert charger_idn.startswith("RIGOL TECHNOLOGIES,DP811A,"), \
        f"charger *IDN? gave {charger_idn!r}"
    assert charger.query(":OUTP:MODE? CH1") == "UR"
    charger_volts = float(charger.query(":MEAS:VOLT? CH1"))
    assert charger_volts == 0.0, f"charger :MEAS:VOLT? with the output off gave {charger_volts}"
    expect_no_error(charger, "charger")

    switch = open_socket(rm, switch_resource)
    switch_idn = switch.query("*IDN?")
    assert switch_idn.startswith("Keysight Technologies,34980A,"), \
        f"switch unit *IDN? gave {switch_idn!r}"
    switch.write("ROUT:CLOS (@106)")
    assert switch.query("ROUT:CLOS? (@106,101)") == "1,0"
    switch.write("SOUR:RES 12000,(@201)")
    assert float(switch.query("SOUR:RES? (@201)")) == 12000.0
    expect_no_error(switch, "switch unit")

    dmm = open_socket(rm, dmm_resource)
    dmm_idn = dmm.query("*IDN?")
    assert dmm_idn.startswith("Keysight Technologies,34461A,"), f"DMM *IDN? gave {dmm_idn!r}"
    # Without a board the stack is every channel: three at 3.3 V, the rest off.
    pack = float(dmm.query("MEAS:VOLT:DC?"))
    assert abs(pack - 9.9) < 0.003, f"DMM across the pack gave {pack} V, expected 9.9 V"
    expect_no_error(dmm, "DMM")

    control = open_socket(rm, control_resource)
    control_idn = control.query("*IDN?")
    assert control_idn.startswith("JK-EOL,fixture-sim,"), f"control *IDN? gave {control_idn!r}"
    truth = float(control.query("SIM:TRUTH:PACK?"))
    assert abs(truth - pack) < 0.001, f"SIM:TRUTH:PACK? {truth} V against the DMM's {pack} V"
    assert control.query("SIM:BOARD?") == "NONE"
    control.write("SIM:BOARD:INSERT \"B2A24S15P-2648-00017\"")
    assert control.query("SIM:BOARD?") == "B2A24S15P-2648-00017"
    expect_no_error(control, "control")

    for instrument in (cells, eload, charger, switch, dmm, control):
        instrument.close()
    rm.close()
    print(f"PASS: {idn} / {eload_idn} / {charger_idn} / {dmm_idn} / {switch_idn} / "
          f"{control_idn} (pyvisa {pyvisa.__version__}, pid {os.getpid()})")


if __name__ == "__main__":
    main()
