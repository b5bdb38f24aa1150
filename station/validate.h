/* Verdict validation, the station testing itself: run many twin boards over all models, some
 * good (with the realistic board-to-board variance the twin seeds from each serial) and some
 * with one production defect drawn from the twin's fault catalog, and count for each defect
 * how often the sequence caught it at the step that tests it, caught it elsewhere, let it
 * escape, or could not test. A good board that fails is a false fail. */
#pragma once
#include <glib.h>
#include "sequences/catalog.h"
#include "station/spread.h"

/* How many boards of each order validation ran (its orders are drawn: every chemistry, cell
 * counts from the chemistry's minimum to the model's maximum, the heater on or off). */
typedef struct {
  int boards[CHEMISTRY_COUNT];  /* boards per chemistry */
  int at_minimum[CHEMISTRY_COUNT]; /* of them, at the chemistry's minimum cell count */
  int at_maximum[CHEMISTRY_COUNT]; /* of them, at the model's maximum */
  int heater_off;               /* boards of a heater model ordered without it */
} ValidateOrders;

/* The slowest step of a good board in wall time, against its time limit: how much room the
 * limits leave a good board on this machine. */
typedef struct {
  double wall_s;                /* s of wall time it took; 0: no step ran */
  double limit_s;               /* s its time limit was */
  char step[64];
  char serial[32];
  double worst_share;           /* the highest share of its limit any good board's step took */
} ValidateSlowest;

typedef struct {
  const char *fixture_path;     /* a fixture description with a [twin] group */
  int boards;                   /* how many boards to run */
  guint32 seed;                 /* draws of models, defects and their parameters */
  const char *const *faults;    /* only these defects (catalog names); NULL = all */
  double good_share;            /* share of boards without a defect, 0..1 */
  const char *db_path;          /* where the runs are stored; NULL = a temporary database */
  SpreadTable *spread;          /* when set, gets every measurement of good boards that
                                 * passed (caller-owned) */
  gboolean default_orders;      /* every board at its model's default order (LiFePO4, the
                                 * maximum cell count, the model's heater option) */
  ValidateOrders *orders;       /* when set, counts the orders run (caller-owned) */
  ValidateSlowest *slowest;     /* when set, gets the good boards' slowest step */
  double size;                  /* > 0: every defect at this size (in its unit, see
                                 * validate_fault_has_size) instead of drawn beyond its
                                 * limit; the boards, orders and the rest of each defect
                                 * (cell, sign) are the same for every size of one seed */
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

/* Called after each board: its number (1-based), serial, its order ("lfp 16S heater"),
 * defect text ("" when good), the outcome name and the first failing step (or NULL). */
typedef void (*ValidateProgressFunc)(int index, const char *serial, const char *order,
                                     const char *fault, const char *outcome,
                                     const char *first_failure, gpointer user_data);

/* Runs the validation; rows (ValidateRow*, good boards first, then defects in catalog order)
 * go to *rows. FALSE only when it could not run (fixture, database, unknown defect name). */
gboolean validate_run(const Catalog *catalog, const ValidateRequest *request, GPtrArray **rows,
                      ValidateProgressFunc progress, gpointer user_data, GError **error);
void validate_row_free(ValidateRow *row);
/* The defect names validation knows, in catalog order (NULL-terminated). */
const char *const *validate_fault_names(void);
/* TRUE when the defect has a size (a channel offset in mV, a reference error in %, a cut-off
 * delay in µs, …) that a request's size sets; FALSE for whole defects (an open lead, a dead
 * part) and unknown names. */
gboolean validate_fault_has_size(const char *name);
