-- Rework and bring-up flashing (station firmware flash): the board powered as its EOL test
-- powers it, the image given by hand written through the MCU's ROM bootloader, verified (the
-- header read back, the rest by the CRC-32 the board's boot code checks), the board reset
-- into it and heard running it. The station gives the sequence
-- that image as `firmware` (instead of the model's release), stores the run as a flash run
-- (never a verdict on the board) and writes who flashed what into the audit log; the
-- teardown's safe state switches everything off however the run ends.

-- firmware = true: the run flashes an image (here the one given by hand, checked before the
-- board is touched). api: the station's Lua API this sequence is written for.
sequence { name = "flash-image", version = "1.0", firmware = true, api = 2 }

require "eol.setup"             -- power-on, as in the EOL test
local common = require "eol.common"

step {
  name = "flash",
  critical = true,
  run = function()
    local started = clock()
    local report = common.flash()
    measure { name = "flash_verified", unit = "B", value = report.verified,
              low = report.bytes, high = report.bytes }
    measure { name = "flash_pages_erased", unit = "pages", value = report.pages_erased }
    measure { name = "flash_chip_id", value = string.format("0x%04X", report.chip_id) }
    measure { name = "flash_clock", unit = "s", value = clock() - started }
  end,
}

step {
  name = "boot",
  run = function()
    -- The board reset into the image (and given its boot time by the flash) must run it: its
    -- firmware answers on RS485 with the image's version.
    local answered, info = pcall(fixture.dut.device_info, fixture.dut)
    if not answered then
      fail("the board does not answer on RS485 after the flash: " .. tostring(info))
    end
    measure { name = "sw_version", value = info.sw_version, expected = firmware.version }
  end,
}
