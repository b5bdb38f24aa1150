-- The flash step alone, for the system tests of flashing: the model's released image is
-- written through the boot link, verified, and the board must then run it.
sequence { name = "flash-only", firmware = true }

setup {
  name = "power-on",
  run = function()
    fixture.cells:set_voltages(1, board.cell_count, 3.3)
    fixture.cells:output(1, board.cell_count, true)
    wait(0.3)
  end,
}

step {
  name = "flash",
  critical = true,
  run = function()
    local report, why = firmware.flash { boot_s = 0.3 }
    if not report then fail("flashing failed: " .. why) end
    measure { name = "bytes_written", unit = "B", value = report.bytes }
    measure { name = "retries", value = report.retries, high = 3 }
  end,
}

step {
  name = "identify",
  run = function()
    wait(0.3)
    local info = fixture.dut:device_info()
    measure { name = "sw_version", value = info.sw_version, expected = firmware.version }
  end,
}
