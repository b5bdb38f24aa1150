-- The order's configuration written and every production setting read back (DESIGN.md
-- §7 step 14).
local common = require "eol.common"
local registers = require "eol.registers"
local REG = jk.REG
local round = common.round
local program = registers.program
local control_bits = registers.control_bits
local write_control_bits = registers.write_control_bits
local load_chemistry_defaults = registers.load_chemistry_defaults
local HEATER_ENABLE_BIT = registers.HEATER_ENABLE_BIT

step {
  name = "final-configuration",
  run = function()
    -- The order: the board's one-key defaults of its chemistry, then every production
    -- setting of its protection profile and its cell count written, the heater off; then
    -- every setting read back against the limits.
    local prod, chem = limits.production, board.chemistry
    local function mv(name) return prod[name .. "_" .. chem .. "_mv"] end
    local expected = {
      { "cell_count", "CELL_COUNT", board.cell_count, "cells" },
      { "cell_ovp", "CELL_OVP_MV", mv("cell_ovp"), "mV" },
      { "cell_ovpr", "CELL_OVPR_MV", mv("cell_ovpr"), "mV" },
      { "cell_uvp", "CELL_UVP_MV", mv("cell_uvp"), "mV" },
      { "cell_uvpr", "CELL_UVPR_MV", mv("cell_uvpr"), "mV" },
      { "soc100", "SOC100_MV", mv("soc100"), "mV" },
      { "soc0", "SOC0_MV", mv("soc0"), "mV" },
      { "balance_start", "BALANCE_START_MV", mv("balance_start"), "mV" },
      { "smart_sleep", "SMART_SLEEP_MV", mv("smart_sleep"), "mV" },
      { "power_off", "POWER_OFF_MV", mv("power_off"), "mV" },
      { "balance_trigger", "BALANCE_TRIGGER_MV", prod.balance_trigger_mv, "mV" },
      { "max_balance", "MAX_BALANCE_MA", prod.max_balance_a * 1000, "mA" },
      { "charge_ocp", "CHG_OCP_MA", prod.charge_ocp_a * 1000, "mA" },
      { "charge_ocp_delay", "CHG_OCP_DELAY_S", prod.charge_ocp_delay_s, "s" },
      { "charge_ocp_recovery", "CHG_OCP_RECOVERY_S", prod.charge_ocp_recovery_s, "s" },
      { "discharge_ocp", "DSG_OCP_MA", prod.discharge_ocp_a * 1000, "mA" },
      { "discharge_ocp_delay", "DSG_OCP_DELAY_S", prod.discharge_ocp_delay_s, "s" },
      { "discharge_ocp_recovery", "DSG_OCP_RECOVERY_S",
        prod.discharge_ocp_recovery_s, "s" },
      { "short_circuit_delay", "SCP_DELAY_US", prod.short_circuit_delay_us, "us" },
      { "short_circuit_recovery", "SCP_RECOVERY_S",
        prod.short_circuit_recovery_s, "s" },
      { "charge_otp", "CHG_OTP", prod.charge_otp_c * 10, "0.1degC" },
      { "charge_otpr", "CHG_OTPR", prod.charge_otpr_c * 10, "0.1degC" },
      { "discharge_otp", "DSG_OTP", prod.discharge_otp_c * 10, "0.1degC" },
      { "discharge_otpr", "DSG_OTPR", prod.discharge_otpr_c * 10, "0.1degC" },
      { "charge_utp", "CHG_UTP", prod.charge_utp_c * 10, "0.1degC" },
      { "charge_utpr", "CHG_UTPR", prod.charge_utpr_c * 10, "0.1degC" },
      { "mos_otp", "MOS_OTP", prod.mos_otp_c * 10, "0.1degC" },
      { "mos_otpr", "MOS_OTPR", prod.mos_otpr_c * 10, "0.1degC" },
      { "charge_enable", "CHARGE_ENABLE", prod.charge_enable, "flag" },
      { "discharge_enable", "DISCHARGE_ENABLE", prod.discharge_enable, "flag" },
      { "balance_enable", "BALANCE_ENABLE", prod.balance_enable, "flag" },
    }
    load_chemistry_defaults()
    local settings = {}
    for _, e in ipairs(expected) do
      table.insert(settings, { REG[e[2]], e[3], e[1] .. " (" .. e[4] .. ")" })
    end
    program(settings)
    local heater_bit = prod.heater_enable ~= 0 and HEATER_ENABLE_BIT or 0
    write_control_bits((control_bits() & ~HEATER_ENABLE_BIT) | heater_bit)
    local wrong
    for _, e in ipairs(expected) do
      local value = registers.read(e[2])
      if not measure { name = e[1] .. "_setting", unit = e[4], value = value, low = e[3], high = e[3] } then
        wrong = wrong or string.format("setting %s (0x%04X) reads %d, production is %d", e[1],
                                       REG[e[2]], value, round(e[3]))
      end
    end
    local heater = control_bits() & HEATER_ENABLE_BIT
    if not measure { name = "heater_enable_setting", unit = "flag", value = heater,
                     low = prod.heater_enable,
                     high = prod.heater_enable } then
      wrong = wrong or string.format("heater enable reads %d, production is %d", heater,
                                     prod.heater_enable)
    end
    if wrong then fail(wrong) end
  end,
}
