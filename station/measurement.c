/* Judging measurements against structured limits. */
#include "station/measurement.h"
#include "station/station_error.h"
#include <math.h>

static const char *const outcome_names[] = {
  [OUTCOME_RUNNING] = "RUNNING", [OUTCOME_PASS] = "PASS", [OUTCOME_FAIL] = "FAIL",
  [OUTCOME_ERROR] = "ERROR", [OUTCOME_ABORTED] = "ABORTED", [OUTCOME_SKIP] = "SKIP",
};

const char *outcome_name(Outcome outcome)
{
  return outcome_names[outcome];
}

static const char *const comparison_names[] = {
  [COMPARE_GELE] = "GELE", [COMPARE_GTLT] = "GTLT", [COMPARE_GE] = "GE", [COMPARE_GT] = "GT",
  [COMPARE_LE] = "LE", [COMPARE_LT] = "LT", [COMPARE_EQ] = "EQ", [COMPARE_NE] = "NE",
  [COMPARE_LOG] = "LOG",
};

const char *comparison_name(Comparison comparison)
{
  return comparison_names[comparison];
}

gboolean comparison_from_string(const char *text, Comparison *out)
{
  for (guint i = 0; i < G_N_ELEMENTS(comparison_names); i++) {
    if (g_ascii_strcasecmp(text, comparison_names[i]) == 0) {
      *out = (Comparison)i;
      return TRUE;
    }
  }
  return FALSE;
}

static Measurement *measurement_alloc(const char *name)
{
  Measurement *m = g_new0(Measurement, 1);
  m->name = g_strdup(name);
  m->unit = g_strdup("");
  m->value = NAN;
  m->low = m->high = NAN;
  m->marginal_low = m->marginal_high = NAN;
  m->comparison = COMPARE_LOG;
  m->outcome = OUTCOME_PASS;
  return m;
}

Measurement *measurement_new(const char *name, const char *unit, double value)
{
  Measurement *m = measurement_alloc(name);
  g_free(m->unit);
  m->unit = g_strdup(unit ? unit : "");
  m->value = value;
  return m;
}

Measurement *measurement_copy(const Measurement *m)
{
  Measurement *copy = g_new(Measurement, 1);
  *copy = *m;
  copy->name = g_strdup(m->name);
  copy->unit = g_strdup(m->unit);
  copy->text = g_strdup(m->text);
  copy->expected = g_strdup(m->expected);
  return copy;
}

Measurement *measurement_new_text(const char *name, const char *text)
{
  Measurement *m = measurement_alloc(name);
  m->text = g_strdup(text ? text : "");
  return m;
}

void measurement_free(Measurement *m)
{
  if (!m)
    return;
  g_free(m->name);
  g_free(m->unit);
  g_free(m->text);
  g_free(m->expected);
  g_free(m);
}

gboolean measurement_limits_valid(const Measurement *m, GError **error)
{
  gboolean needs_low = FALSE, needs_high = FALSE;
  switch (m->comparison) {
  case COMPARE_GELE: case COMPARE_GTLT: needs_low = needs_high = TRUE; break;
  case COMPARE_GE: case COMPARE_GT: needs_low = TRUE; break;
  case COMPARE_LE: case COMPARE_LT: needs_high = TRUE; break;
  case COMPARE_EQ: case COMPARE_NE:
    if (m->text ? m->expected == NULL : isnan(m->low)) {
      g_set_error(error, STATION_ERROR, STATION_ERROR_SEQUENCE,
                  "measurement '%s': %s needs %s", m->name, comparison_name(m->comparison),
                  m->text ? "an expected text" : "a value to compare with (low)");
      return FALSE;
    }
    return TRUE;
  case COMPARE_LOG: return TRUE;
  }
  if ((needs_low && isnan(m->low)) || (needs_high && isnan(m->high))) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SEQUENCE,
                "measurement '%s': comparison %s needs %s%s%s", m->name,
                comparison_name(m->comparison), needs_low ? "low" : "",
                needs_low && needs_high ? " and " : "", needs_high ? "high" : "");
    return FALSE;
  }
  if (needs_low && needs_high && m->low > m->high) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SEQUENCE,
                "measurement '%s': low limit %g is above high limit %g", m->name, m->low,
                m->high);
    return FALSE;
  }
  return TRUE;
}

static gboolean numeric_passes(const Measurement *m)
{
  double v = m->value;
  if (isnan(v))
    return m->comparison == COMPARE_LOG;
  switch (m->comparison) {
  case COMPARE_GELE: return v >= m->low && v <= m->high;
  case COMPARE_GTLT: return v > m->low && v < m->high;
  case COMPARE_GE: return v >= m->low;
  case COMPARE_GT: return v > m->low;
  case COMPARE_LE: return v <= m->high;
  case COMPARE_LT: return v < m->high;
  case COMPARE_EQ: return v == m->low;
  case COMPARE_NE: return v != m->low;
  case COMPARE_LOG: return TRUE;
  }
  return FALSE;
}

Outcome measurement_judge(Measurement *m)
{
  gboolean pass;
  if (m->text) {
    gboolean equal = g_strcmp0(m->text, m->expected) == 0;
    pass = m->comparison == COMPARE_EQ   ? equal
         : m->comparison == COMPARE_NE   ? !equal
         : m->comparison == COMPARE_LOG;
  } else {
    pass = numeric_passes(m);
  }
  m->outcome = pass ? OUTCOME_PASS : OUTCOME_FAIL;
  m->marginal = pass && !m->text &&
                ((!isnan(m->marginal_low) && m->value < m->marginal_low) ||
                 (!isnan(m->marginal_high) && m->value > m->marginal_high));
  return m->outcome;
}

char *measurement_describe(const Measurement *m)
{
  if (m->text) {
    if (m->comparison == COMPARE_LOG)
      return g_strdup_printf("'%s'", m->text);
    return g_strdup_printf("'%s' %s '%s'", m->text,
                           m->comparison == COMPARE_EQ ? "expected" : "must differ from",
                           m->expected ? m->expected : "");
  }
  const char *u = m->unit;
  const char *sp = *u ? " " : "";
  switch (m->comparison) {
  case COMPARE_GELE:
    return g_strdup_printf("%.4g%s%s in [%.4g, %.4g]", m->value, sp, u, m->low, m->high);
  case COMPARE_GTLT:
    return g_strdup_printf("%.4g%s%s in (%.4g, %.4g)", m->value, sp, u, m->low, m->high);
  case COMPARE_GE: return g_strdup_printf("%.4g%s%s >= %.4g", m->value, sp, u, m->low);
  case COMPARE_GT: return g_strdup_printf("%.4g%s%s > %.4g", m->value, sp, u, m->low);
  case COMPARE_LE: return g_strdup_printf("%.4g%s%s <= %.4g", m->value, sp, u, m->high);
  case COMPARE_LT: return g_strdup_printf("%.4g%s%s < %.4g", m->value, sp, u, m->high);
  case COMPARE_EQ: return g_strdup_printf("%.4g%s%s == %.4g", m->value, sp, u, m->low);
  case COMPARE_NE: return g_strdup_printf("%.4g%s%s != %.4g", m->value, sp, u, m->low);
  case COMPARE_LOG: return g_strdup_printf("%.6g%s%s", m->value, sp, u);
  }
  return g_strdup("?");
}
