-- The board's own sensors judged against the fixture (DESIGN.md §7, "MOS temperature"): the
-- MOSFETs' temperature sensor read before any current has warmed them.

step {
  name = "mos-temperature",
  -- Runs while the order step's new cell count settles (eol.lua: overlaps): one read of the
  -- MOS sensor, which touches neither the taps nor the cell count being taken.
  overlaps = "order",
  instruments = {},
  run = function()
    -- Right after identification nothing has flowed through the main path: the MOSFETs are
    -- at the fixture's air, and the sensor on their heat sink must say so.
    local ambient_c = limits.rest.temperature_c
    local tolerance_c = limits.mos_temperature.tolerance_c
    local reading = fixture.dut:read_live().mos_temp_c
    if not measure { name = "mos_temperature", unit = "degC", value = reading,
                     low = ambient_c - tolerance_c, high = ambient_c + tolerance_c } then
      fail(string.format("MOS temperature sensor reads %.1f degC, the fixture's air is %.1f "
                         .. "degC (within %.1f degC)", reading, ambient_c, tolerance_c))
    end
  end,
}
