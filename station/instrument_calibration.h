/* The calibration of the fixture's instruments, checked before a run touches the board. Each
 * instrument group of the fixture file may say until when its calibration holds:
 * `cal_due = YYYY-MM-DD` (the last day it may be used). A run with an instrument past its
 * date is refused, naming the instrument, its date and the file; `[fixture]
 * calibration_overdue = warn` (the fixture engineer's decision, e.g. while the instrument's
 * replacement is on its way) lets it run, with a warning in its log. The instruments and their
 * dates are stored with every run. */
#pragma once
#include "db/store.h"
#include "fixtures/fixture.h"

typedef struct {
  GArray *instruments;          /* RunInstrument, their strings in `owned` */
  GPtrArray *owned;             /* the strings the instruments point at */
  GPtrArray *warnings;          /* char*: one sentence per overdue instrument let run */
} InstrumentCalibration;

/* Reads the fixture's instruments and their due dates and judges them against today (UTC
 * date `today`, "YYYY-MM-DD"); FALSE with FIXTURE_ERROR_CONFIG for a malformed date or key,
 * or for an overdue instrument unless the fixture file lets it run. */
gboolean instrument_calibration_check(const Fixture *fixture, const char *today,
                                      InstrumentCalibration *out, GError **error);
void instrument_calibration_clear(InstrumentCalibration *calibration);
