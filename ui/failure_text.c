/* Verdicts in words (see failure_text.h). */
#include "ui/failure_text.h"
#include <math.h>

char *failure_text_explain(const Measurement *m)
{
  if (m->text)
    return g_strdup_printf("%s reads \"%s\", expected \"%s\"", m->name, m->text,
                           m->expected ? m->expected : "?");
  const char *unit = m->unit ? m->unit : "";
  if (!isnan(m->high) && m->value > m->high)
    return g_strdup_printf("%s reads %.4g %s, %.3g %s above its upper limit %.4g %s", m->name,
                           m->value, unit, m->value - m->high, unit, m->high, unit);
  if (!isnan(m->low) && m->value < m->low)
    return g_strdup_printf("%s reads %.4g %s, %.3g %s below its lower limit %.4g %s", m->name,
                           m->value, unit, m->low - m->value, unit, m->low, unit);
  g_autofree char *d = measurement_describe(m);
  return g_strdup_printf("%s: %s", m->name, d);
}

char *failure_text_verdict(Outcome outcome, const char *first_failure, const char *message,
                           const char *first_measurement)
{
  switch (outcome) {
  case OUTCOME_PASS:
    return g_strdup("Every step passed and the run is stored: take the board out.");
  case OUTCOME_FAIL:
    return g_strdup_printf("Step %s failed: %s. Re-seat the board and retest once; if it fails "
                           "again, put it on the repair rack.",
                           first_failure ? first_failure : "?",
                           first_measurement ? first_measurement : message ? message : "?");
  case OUTCOME_ABORTED:
    return g_strdup("The run was aborted and the fixture is safe: the board is untested.");
  default:
    return g_strdup_printf("The station could not test this board (%s): the board is not "
                           "judged; call the line technician.",
                           message ? message : "station fault");
  }
}
