/* Verdict validation, the station testing itself: run many twin boards over all models, some
 * good (with the realistic board-to-board variance the twin seeds from each serial) and some
 * with one production defect drawn from the twin's fault catalog, and count for each defect
 * how often the sequence caught it at the step that tests it, caught it elsewhere, let it
 * escape, or could not test. A good board that fails is a false fail. */
#pragma once
#include <glib.h>
#include "sequences/catalog.h"
#include "station/spread.h"

typedef struct {
  const char *fixture_path;     /* a fixture description with a [twin] group */
  int boards;                   /* how many boards to run */
  guint32 seed;                 /* draws of models, defects and their parameters */
  const char *const *faults;    /* only these defects (catalog names); NULL = all */
  double good_share;            /* share of boards without a defect, 0..1 */
  const char *db_path;          /* where the runs are stored; NULL = a temporary database */
  SpreadTable *spread;          /* when set, gets every measurement of good boards that
                                 * passed (caller-owned) */
} ValidateRequest;

typedef struct {
  char *fault;                  /* defect name; "good" for boards without one */
  char *expected_step;          /* the step that must catch it; NULL for good boards */
  int boards;                   /* boards run with it */
  int caught;                   /* FAIL with the expected step first (good boards: PASS) */
  int elsewhere;                /* FAIL at another step first (good boards: false fails) */
  int escaped;                  /* PASS although defective */
  int errors;                   /* the run ended ERROR or ABORTED */
} ValidateRow;

/* Called after each board: its number (1-based), serial, defect text ("" when good), the
 * outcome name and the first failing step (or NULL). */
typedef void (*ValidateProgressFunc)(int index, const char *serial, const char *fault,
                                     const char *outcome, const char *first_failure,
                                     gpointer user_data);

/* Runs the validation; rows (ValidateRow*, good boards first, then defects in catalog order)
 * go to *rows. FALSE only when it could not run (fixture, database, unknown defect name). */
gboolean validate_run(const Catalog *catalog, const ValidateRequest *request, GPtrArray **rows,
                      ValidateProgressFunc progress, gpointer user_data, GError **error);
void validate_row_free(ValidateRow *row);
/* The defect names validation knows, in catalog order (NULL-terminated). */
const char *const *validate_fault_names(void);
