-- Helpers every step group uses: readings, cleanup, the instruments of the power path, the
-- rest state. The run's globals (board, limits, fixture) exist only while steps run, so
-- these are functions called from steps, never evaluated at load time.
local pack = require "eol.pack"
local M = {}

function M.sum_of(values)
  local total = 0
  for i = 1, #values do total = total + values[i] end
  return total
end

function M.round(x) return math.tointeger(math.floor(x + 0.5)) end
function M.on_off(flag) return flag and "on" or "off" end
function M.set_clear(alarms, bit) return (alarms & bit) ~= 0 and "set" or "clear" end

-- The mean of several board current readings (A, + = charging).
function M.board_current_mean(readings)
  local sum = 0
  for _ = 1, readings do sum = sum + fixture.dut:read_live().current_a end
  return sum / readings
end

-- The instrument of a role, or an ERROR naming what the fixture description lacks.
function M.need(role)
  local instrument = fixture[role]
  if not instrument then
    error(string.format("the fixture has no %s (add a [%s] group to its description)", role,
                        role), 2)
  end
  return instrument
end

-- Runs body(), then cleanup() (the step's instruments off, its relays open) whatever
-- happened. A failure, skip or error of the body ends the step as it would have (a cleanup
-- that fails as well is left to the teardown's safe state); a cleanup error after a body
-- that went well is the step's error.
function M.with_cleanup(body, cleanup)
  local ok, err = pcall(body)
  if ok then
    cleanup()
    return
  end
  pcall(cleanup)
  error(err, 0)
end

-- Flashes the run's image (firmware.flash: through the MCU's ROM bootloader, BOOT0 and NRST
-- from the switch unit, then a reset into it) and verifies it without reading it all back:
-- the header is read back, the rest is the image's CRC-32 the board's boot code checks, and
-- the board must answer with the image's version `power_on.boot_s` after the reset (a board
-- that stays silent is read back whole, so a damaged byte is named by its address). Records
-- the bytes written, how they were verified and the retries. A board whose bootloader does
-- not answer, or whose flash does not take the image, fails the step. Returns the flasher's
-- report, the board started.
function M.flash()
  local report, why = firmware.flash { boot_s = limits.power_on.boot_s }
  if not report then fail("the board could not be flashed: " .. why) end
  measure { name = "flash_bytes", unit = "B", value = report.bytes }
  measure { name = "flash_read_back", unit = "B", value = report.read_back }
  measure { name = "flash_crc_checked", unit = "B", value = report.crc_checked }
  measure { name = "flash_retries", unit = "commands", value = report.retries,
            high = limits.flash.max_retries }
  return report
end

-- Records measurement m; when it fails, ends the step FAIL with the symptom.
function M.expect(m, symptom)
  if not measure(m) then fail(symptom) end
end

function M.rest_v() return limits.rest["cells_" .. board.chemistry .. "_v"] end

-- All cells to the rest voltage; returns the pack voltage the cell simulator measures (V).
function M.cells_to_rest()
  local n = board.cell_count
  pack.set_cells(1, n, M.rest_v())
  return M.sum_of(fixture.cells:measure_voltages(1, n))
end

-- Ohms of the board's NTC at `celsius` (Beta equation).
function M.ntc_ohm(celsius)
  local lim = limits.temperature
  local kelvin, k25 = celsius + 273.15, 25 + 273.15
  return lim.ntc_r25_ohm * math.exp(lim.ntc_beta_k * (1 / kelvin - 1 / k25))
end

-- All three NTC inputs to one temperature (°C).
function M.ntc_all(celsius)
  for sensor = 1, 3 do M.need("switch"):set_ntc(sensor, M.ntc_ohm(celsius)) end
end

-- The charger across P+/P- in constant current at `amps`, set above the pack.
function M.charger_on(amps, pack_v)
  M.need("switch"):close(fixture.relays.charger)
  M.need("charger"):set_current(amps)
  fixture.charger:set_voltage(pack_v + limits.charger.headroom_v)
  fixture.charger:output(true)
end

function M.charger_off()
  M.need("charger"):output(false)
  M.need("switch"):open(fixture.relays.charger)
end

-- The load across P+/P- drawing `amps`.
function M.load_on(amps)
  M.need("switch"):close(fixture.relays.load)
  M.need("load"):set_current(amps)
  fixture.load:input(true)
end

function M.load_off()
  M.need("load"):input(false)
  fixture.load:set_current(0)
  M.need("switch"):open(fixture.relays.load)
end

return M
