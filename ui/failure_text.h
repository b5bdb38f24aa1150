/* The verdict and the first failure in words for the person at the fixture: what was
 * measured, how far off it was, and what to do next. */
#pragma once
#include "station/measurement.h"

/* "cell_03_error_at_3.300V reads 12.1 mV, above its limit 5.0 mV" for a failed measurement. */
char *failure_text_explain(const Measurement *m);
/* The line under the banner: what happened and what to do. first_measurement may be NULL. */
char *failure_text_verdict(Outcome outcome, const char *first_failure, const char *message,
                           const char *first_measurement);
