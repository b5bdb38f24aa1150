/* A run's hold of the instruments the slots of its fixture share (fixtures/fixture_shared.h):
 * for each step the engine holds the shared instruments the step uses (its instruments = {...},
 * all of them for a step that does not say, and for connecting the fixture and its safe
 * state), taken in the role table's order before the step begins and let go when it ends, so
 * the step's own times do not count the wait and two slots never wait on each other. What
 * the run waited for them and held them is summed, and recorded at its end. */
#pragma once
#include "station/run.h"

/* Whether the run's fixture has instruments the slots share. */
gboolean shared_hold_any(const Run *run);
/* Holds the shared instruments among roles (NULL: every one) for the next step. Waits while
 * the run is not aborted (in the teardown: however long it takes). On failure nothing is
 * held; the error names the instrument. */
gboolean shared_hold_take(Run *run, const char *const *roles, GError **error);
/* Lets the held ones go. One whose route could not be opened stays held (the error says so),
 * until the fixture is closed. */
gboolean shared_hold_release(Run *run, GError **error);
/* Records, as measurements of the current step (in s, no limits): shared_instrument_wait_s
 * and shared_instrument_hold_s over every shared instrument, and shared_<role>_wait_s and
 * shared_<role>_hold_s for each. */
void shared_hold_record(Run *run);
/* Frees the sums. */
void shared_hold_clear(Run *run);
