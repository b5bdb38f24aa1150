-- Reports the cell voltages the station reads from the board, for the conformance test that
-- compares them with what mbpoll reads from the same registers.
sequence { name = "report-cells" }

setup {
  name = "power-on",
  run = function()
    fixture.cells:set_voltages(1, board.cell_count, 3.3)
    fixture.cells:output(1, board.cell_count, true)
    wait(0.3)
  end,
}

step {
  name = "report-cells",
  run = function()
    local n, reads, sum = board.cell_count, 8, {}
    for _ = 1, reads do
      local cells = fixture.dut:read_cells(n)
      for i = 1, n do sum[i] = (sum[i] or 0) + cells[i] end
    end
    for i = 1, n do
      measure { name = string.format("cell_%02d", i), unit = "mV", value = sum[i] / reads * 1000 }
    end
  end,
}
