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
-- Each step names the instruments it uses besides the cell simulator, the board's links and
-- the switch unit (instruments = {...}): on a fixture whose slots share an instrument, a run
-- holds it for the steps that name it, and a step that uses one it does not name ends ERROR.
-- The steps live in eol/, one module per step group, declared in the order they run. The
-- run's globals (board, limits, fixture) exist only while steps run: the modules' top levels
-- declare steps and helpers, they do not touch them.
--
-- Overlaps (DESIGN.md §7: overlap what the physics allows). A step's wait that only lets the
-- board's own timer run (a recovery, a settling) is a wait_overlapped(); a step declared with
-- overlaps = that step runs inside it (the engine pauses the waiting step, runs the
-- overlapping one as a step of its own, and resumes the waiting step at its wait's end on
-- the fixture clock). A step may overlap a wait only when it touches neither the current
-- path (P+/P-, B+/B-, the MOSFETs) nor the protection being timed, and nothing the waiting
-- step does can disturb what it measures:
--   order's settle (the new cell count, the open taps above it)   mos-temperature: one
--       read of the MOS sensor on the heat sink, nothing has flowed yet;
--   short-circuit's recovery (discharge MOSFET off, nothing on P+/P-, the board's recovery
--       timer)   temperature: the NTC emulation at 10/25/40 degC, inside every temperature
--       protection's window, and the three sensors read.
-- Protection ramps, current steps and the balancer touch the current path or a protection's
-- thresholds, and the power cycle powers the board off: they never overlap. A step that
-- overlaps is not critical, and runs at its own place when the wait is never reached (the
-- step before it failed first).

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
require "eol.temperature"       -- NTC inputs (in the short circuit's recovery), temperature
                                -- protections, heater
require "eol.mos_overtemperature" -- MOS OTP at test settings around the MOS sensor
require "eol.balance"           -- balancer on every channel
require "eol.supply"            -- the board's own supply current, operating and standby
require "eol.configuration"     -- the order's configuration, read back
require "eol.power_cycle"       -- power cycle, calibration and settings read back
