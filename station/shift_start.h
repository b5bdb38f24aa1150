/* The shift start in a run (private to the engine): before anything is touched, a production
 * run on a fixture is refused unless the fixture's golden check of the shift passed
 * (golden_rule.h, by the request's policy); a run of a golden board of the fixture is that
 * check instead, judged once the run is stored and stored per fixture and shift. Flash runs
 * and runs without a store are neither. */
#pragma once
#include "station/run.h"

/* store: the engine's (NULL: neither). Finds whether the run's board is a golden board of its
 * fixture, and refuses a production run the shift's check does not allow
 * (STATION_ERROR_SHIFT_START) or a golden-only request for a board that is not one
 * (STATION_ERROR_USAGE). */
gboolean shift_start_check(Run *run, Store *store, GError **error);
/* A golden board's run, ended and stored: judges and stores the check, sets result's golden
 * fields. An aborted run is no check. */
void shift_start_record(Run *run, Store *store, RunResult *result);
