-- The first steps (DESIGN.md §7 steps 1 and 2): the released image flashed, the board
-- identified and its serial number written.

local common = require "eol.common"

step {
  name = "flash",
  instruments = {},
  critical = true,
  run = function()
    -- DESIGN.md §7 step 1: the released image through the MCU's ROM bootloader, verified by
    -- the header's read-back and the boot code's CRC-32, the board reset into it and given
    -- its boot time; a board that does not take it fails here.
    common.flash()
  end,
}

step {
  name = "identify",
  instruments = {},
  critical = true,
  run = function()
    -- The first words with the board: a board that never answers is a defective board (its
    -- transceiver, its firmware), not a station fault, so this is a FAIL.
    local answered, info = pcall(fixture.dut.device_info, fixture.dut)
    if not answered then fail("the board does not answer on RS485: " .. tostring(info)) end
    measure { name = "model", value = info.model, expected = "JK_" .. board.model.name }
    -- The PCB revision the model is built on: a board from another revision (its BOM, its
    -- layout) is not what this sequence's limits were made for.
    local hw = limits.identify.hw_version
    common.expect({ name = "hw_version", value = info.hw_version, expected = hw },
                  string.format("hardware version %s, the model is built on %s (a board of "
                                .. "another PCB revision)", info.hw_version, hw))
    measure { name = "sw_version", value = info.sw_version, expected = firmware.version }
    -- The board's serial field holds 16 bytes and the model is in its own field (0x1400), so
    -- the board keeps the label's serial without the model: <YYWW>-<NNNNN>.
    local board_serial = board.serial:sub(#board.model.name + 2)
    local ok, why = fixture.dut:write_serial(board_serial)
    if not ok then fail("the board refused its serial number: " .. why) end
    measure { name = "serial_written", value = fixture.dut:device_info().serial,
              expected = board_serial }
  end,
}
