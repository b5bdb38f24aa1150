-- The settings a board ships with, as the order gives them: one entry per setting register,
-- { name, register name, value, unit }, from limits.production and the board's chemistry and
-- cell count. Written by final-configuration, read back there and after the power cycle.
local M = {}

function M.settings()
  local prod, chem = limits.production, board.chemistry
  local function mv(name) return prod[name .. "_" .. chem .. "_mv"] end
  return {
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
    { "discharge_ocp_recovery", "DSG_OCP_RECOVERY_S", prod.discharge_ocp_recovery_s, "s" },
    { "short_circuit_delay", "SCP_DELAY_US", prod.short_circuit_delay_us, "us" },
    { "short_circuit_recovery", "SCP_RECOVERY_S", prod.short_circuit_recovery_s, "s" },
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
end

return M
