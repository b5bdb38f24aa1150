/* A step's time limit from the sequence, the plan or the fallback (step_time_limit.h). */
#include "station/step_time_limit.h"
#include <math.h>

double step_time_limit_from_plan(double planned_s)
{
  return MAX(STEP_TIME_LIMIT_FLOOR_S,
             STEP_TIME_LIMIT_FACTOR * MAX(0.0, planned_s) + STEP_TIME_LIMIT_MARGIN_S);
}

StepTimeLimit step_time_limit_choose(double own_s, double planned_s)
{
  if (own_s > 0)
    return (StepTimeLimit){.limit_s = own_s, .source = STEP_TIME_LIMIT_SEQUENCE,
                           .planned_s = NAN};
  if (!isnan(planned_s))
    return (StepTimeLimit){.limit_s = step_time_limit_from_plan(planned_s),
                           .source = STEP_TIME_LIMIT_PLAN, .planned_s = planned_s};
  return (StepTimeLimit){.limit_s = STEP_TIME_LIMIT_FALLBACK_S,
                         .source = STEP_TIME_LIMIT_DEFAULT, .planned_s = NAN};
}

const char *step_time_limit_source_name(StepTimeLimitSource source)
{
  switch (source) {
  case STEP_TIME_LIMIT_SEQUENCE: return "sequence";
  case STEP_TIME_LIMIT_PLAN: return "plan";
  case STEP_TIME_LIMIT_DEFAULT: break;
  }
  return "default";
}

char *step_time_limit_describe(const StepTimeLimit *limit)
{
  switch (limit->source) {
  case STEP_TIME_LIMIT_SEQUENCE:
    return g_strdup("the sequence's");
  case STEP_TIME_LIMIT_PLAN:
    if (limit->limit_s <= STEP_TIME_LIMIT_FLOOR_S)
      return g_strdup_printf("the plan's: at least %g s for a step planned at %.3g s",
                             STEP_TIME_LIMIT_FLOOR_S, limit->planned_s);
    return g_strdup_printf("the plan's: %g x %.3g s + %g s", STEP_TIME_LIMIT_FACTOR,
                           limit->planned_s, STEP_TIME_LIMIT_MARGIN_S);
  case STEP_TIME_LIMIT_DEFAULT:
    break;
  }
  return g_strdup("the default for a step the plan cannot bound");
}
