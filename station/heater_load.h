/* The heater load a run applies: from the fixture's heater load bank
 * (fixtures/switchunit/heater_bank.h), the one of the largest power that keeps the heater
 * within the board's design current ([heater] max_a) and the model's maximum power
 * ([heater] max_w) at the highest pack voltage the order allows (its cell count times the
 * chemistry's highest cell voltage, [heater] cell_max_<chemistry>_v). Chosen before the
 * board is touched: a fixture with no such load cannot test the order. */
#pragma once
#include "fixtures/switchunit/heater_bank.h"
#include "sequences/catalog.h"
#include "station/limit_table.h"

/* FIXTURE_ERROR_CONFIG, one sentence naming the fixture file, the model, the voltage and the
 * resistance needed, when the bank has no load that fits. */
gboolean heater_load_for_order(const Fixture *fixture, const ModelInfo *model,
                               Chemistry chemistry, int cell_count, const LimitTable *limits,
                               HeaterLoad *out, GError **error);
