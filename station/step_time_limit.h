/* A step's time limit: the sequence's own (`time_limit`), else one derived from the step's
 * planned time for the run's model and order (station/plan_store.h), else a fixed default for
 * a step the plan cannot bound. Past it the step is ERROR and the run goes to teardown. */
#pragma once
#include <glib.h>

/* s a step may take when neither the sequence nor the plan says: a step the plan never ran
 * (a new step, a model or order not planned yet, another sequence or limits). */
#define STEP_TIME_LIMIT_FALLBACK_S 120.0

/* The derivation from the plan, limit = max(FLOOR, FACTOR x planned + MARGIN), planned being
 * the step's time on the fixture clock when the plan ran it (never below its physical bound).
 * Why these numbers: a real-time step's wall time is its fixture-clock time (waits really
 * elapse, the twin paces its links as the real ones) plus the station's and instruments'
 * processing, which a loaded station PC can multiply: FACTOR 3 leaves two thirds of the
 * limit for that. MARGIN covers instrument timeouts that a good board can meet without
 * failing: a few retried Modbus requests (200 ms each) and one SCPI answer past its time
 * (1 s) in the step. FLOOR: the shortest steps (a few ms of link time) also run Lua,
 * connect and log; 15 s is more than 30 times the slowest such step on the twin of a loaded
 * machine (station validate prints it) and still stops a hung step within seconds of the
 * slowest real one. */
#define STEP_TIME_LIMIT_FACTOR 3.0
#define STEP_TIME_LIMIT_MARGIN_S 5.0
#define STEP_TIME_LIMIT_FLOOR_S 15.0

typedef enum {
  STEP_TIME_LIMIT_SEQUENCE,     /* the step's own time_limit */
  STEP_TIME_LIMIT_PLAN,         /* derived from its planned time */
  STEP_TIME_LIMIT_DEFAULT,      /* STEP_TIME_LIMIT_FALLBACK_S: the plan cannot bound it */
} StepTimeLimitSource;

typedef struct {
  double limit_s;
  StepTimeLimitSource source;
  double planned_s;             /* PLAN: the planned time it derives from */
} StepTimeLimit;

/* The limit derived from a planned time of planned_s. */
double step_time_limit_from_plan(double planned_s);
/* The limit of a step with its own time_limit own_s (0: none) and planned time planned_s
 * (NAN: not planned). */
StepTimeLimit step_time_limit_choose(double own_s, double planned_s);
/* "sequence", "plan", "default". */
const char *step_time_limit_source_name(StepTimeLimitSource source);
/* Where the limit comes from, in words: "the sequence's", "the plan's: 3 x 11.6 s + 5 s",
 * "the default for a step the plan cannot bound". Free with g_free. */
char *step_time_limit_describe(const StepTimeLimit *limit);
