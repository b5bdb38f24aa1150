-- End-of-line test of a JK Smart Active BMS board (DESIGN.md §7).
-- Globals given by the station: board, limits, fixture, firmware, measure, wait, log, fail,
-- skip, the register map jk, require (modules of this folder only).
-- Cell voltages are in V on the instruments; errors are reported in mV.
--
-- Every number a step uses comes from limits.conf (limits.<group>.<key>); every wait is a
-- limits key of the step's group (settle_s, delay_s, recovery_s and their tolerances), so the
-- cycle time can be planned from the limits. A step that fails ends with the symptom the
-- board shows ("charge MOSFET still conducts after cell OVP"), after the measurement that
-- shows it is stored. Each step switches off what it switched on and opens the relays it
-- closed, also when it fails; the teardown's safe state is the backstop.
--
-- The steps live in eol/, one module per step group, declared in the order they run. The
-- run's globals (board, limits, fixture) exist only while steps run: the modules' top levels
-- declare steps and helpers, they do not touch them.

-- firmware = true: the station loads the image released for the board's model (checked
-- again: signature, hash, header) before the run starts, and records its SHA-256 and version.
-- roles: the fixture's instruments the steps use besides the cell simulator and the board
-- link; a fixture file without one of them is refused before the board is touched.
-- api: the station's Lua API this sequence is written for (station.api_version).
sequence { name = "jk-eol", version = "0.5", firmware = true, heater = true,
           roles = { "switch", "battery", "charger", "load", "dmm", "short", "digitizer" },
           api = 2 }

require "eol.setup"             -- power-on
require "eol.self_check"        -- the fixture's cell simulator against its DMM
require "eol.flash"             -- flash, identify
require "eol.order"             -- the order's cell count, taps above it disconnected
require "eol.board_sensors"     -- MOS temperature, before any current warms the MOSFETs
require "eol.calibration"       -- cell connections, voltage and current calibration
require "eol.power_path"        -- main path resistance
require "eol.protections"       -- cell OVP/UVP, charge/discharge OCP, short circuit
require "eol.temperature"       -- NTC inputs, temperature protections, heater
require "eol.mos_overtemperature" -- MOS OTP at test settings around the MOS sensor
require "eol.balance"           -- balancer on every channel
require "eol.supply"            -- the board's own supply current, operating and standby
require "eol.configuration"     -- the order's configuration, read back
require "eol.power_cycle"       -- power cycle, calibration and settings read back
