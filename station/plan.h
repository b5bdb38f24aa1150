/* The cycle-time plan of the sequence for one model: the sequence is run once on the twin in
 * virtual time with a good board, and every step's fixture-clock time is split into the
 * waits the physics requires (protection delays and recoveries that must elapse, settling),
 * the margins added to them, and link time (bytes on the wire at link speed, the board's
 * processing, flash programming). The physical lower bound is required waits + link time;
 * the expected cycle time is what the steps took. Steps that ran in another's overlapped
 * wait (wait_overlapped, step{overlaps}) count once: the serial bound adds every step's
 * bound, the bound of the overlapped plan counts of a step paused in its overlapped wait and
 * the steps that ran in it the longer of the two side by side: the paused step's bound from
 * that wait on (the wait's required part and what it did after), and their bounds' sum. */
#pragma once
#include <glib.h>
#include "station/engine.h"

typedef struct {
  char *model;
  Outcome outcome;              /* of the planning run: PASS expected */
  char *message;                /* why not, when not PASS */
  GArray *steps;                /* StepTiming, in the order the steps began */
  double bound_s;               /* s, physical lower bound of the overlapped plan */
  double serial_bound_s;        /* s, the same without overlaps: every step's bound added */
  double expected_s;            /* s, cycle time on the fixture clock, overlaps counted
                                   once */
  double wall_s;                /* s of wall time the run took on the twin */
  char *plan_path;              /* where the plan was stored (a PASS), or NULL */
} PlanResult;

/* Runs the plan for `model` on the twin of `fixture_path`, for the order, sequence, limits
 * and plan folder `what` gives (its other fields are not used; NULL: the defaults), and
 * stores it (plan_store.h) when the planning board passes. */
gboolean plan_run(const Catalog *catalog, const char *fixture_path, const ModelInfo *model,
                  const RunRequest *what, PlanResult *out, GError **error);
void plan_result_clear(PlanResult *result);
/* Link time of one step: what its clock time was not spent waiting. */
double step_timing_link_s(const StepTiming *timing);
/* A step's physical lower bound: its required waits and its link time (0: not timed). */
double step_timing_bound_s(const StepTiming *timing);
/* s of the bound of the steps that ran in `timing`'s overlapped wait (0: none ran). */
double plan_overlapping_bound_s(const PlanResult *plan, const StepTiming *timing);
