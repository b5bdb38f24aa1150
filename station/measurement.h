/* Outcomes, structured limits and measurements: the vocabulary of a run (OpenHTF's words).
 * A measurement has a value (a number with a unit, or a text), limits with a comparison, an
 * optional marginal band inside the limits, and the outcome judged from them. */
#pragma once
#include <glib.h>

typedef enum {
  OUTCOME_RUNNING,
  OUTCOME_PASS,
  OUTCOME_FAIL,
  OUTCOME_ERROR,      /* the station could not test: instrument fault, script error */
  OUTCOME_ABORTED,    /* the operator stopped the run */
  OUTCOME_SKIP,
} Outcome;

const char *outcome_name(Outcome outcome);   /* "PASS", "FAIL", ... */

typedef enum {
  COMPARE_GELE,       /* low <= value <= high */
  COMPARE_GTLT,       /* low < value < high */
  COMPARE_GE,         /* value >= low */
  COMPARE_GT,
  COMPARE_LE,         /* value <= high */
  COMPARE_LT,
  COMPARE_EQ,         /* value == low (numbers) or text == expected */
  COMPARE_NE,
  COMPARE_LOG,        /* recorded, never fails */
} Comparison;

const char *comparison_name(Comparison comparison);
gboolean comparison_from_string(const char *text, Comparison *out);

typedef struct {
  char *name;            /* unique within its step, e.g. "cell_07_error_at_3.300V" */
  char *unit;            /* "V", "mV", "A", "" */
  double value;          /* NAN for a textual measurement */
  char *text;            /* textual value, NULL when numeric */
  Comparison comparison;
  double low;            /* NAN when the comparison has no lower limit */
  double high;           /* NAN when no upper limit */
  double marginal_low;   /* inside [low, marginal_low) the outcome is PASS but marginal */
  double marginal_high;  /* NAN when no marginal band */
  char *expected;        /* textual EQ/NE, else NULL */
  Outcome outcome;       /* PASS or FAIL, set by measurement_judge() */
  gboolean marginal;
} Measurement;

/* A numeric measurement with no limits (COMPARE_LOG). Strings are copied. */
Measurement *measurement_new(const char *name, const char *unit, double value);
Measurement *measurement_new_text(const char *name, const char *text);
/* A deep copy (every string duplicated). */
Measurement *measurement_copy(const Measurement *m);
void measurement_free(Measurement *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Measurement, measurement_free)

/* Checks the limits are coherent for the comparison (e.g. GELE needs low <= high). */
gboolean measurement_limits_valid(const Measurement *m, GError **error);
/* Sets outcome (and marginal) from value and limits; returns the outcome. */
Outcome measurement_judge(Measurement *m);
/* "3.2971 V in [3.2950, 3.3050]" style text for people. */
char *measurement_describe(const Measurement *m);
