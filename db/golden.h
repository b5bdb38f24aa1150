/* The shift start's golden boards (tables golden_boards and golden_checks, schema version
 * 12). A golden board is a board an engineer keeps to check a fixture at the start of every
 * shift: a known good one, expected to pass with its measurements where they were in its
 * reference run, or a known bad one, expected to fail. Registering, changing and removing one
 * are written to the audit log (golden.add, golden.change, golden.remove) with who and the
 * values before and after; a removed board stays as history and registering it again revives
 * it. Every check is stored per fixture and production shift with the run it judged. */
#pragma once
#include <glib.h>
#include "db/store.h"

typedef struct {
  char *serial;
  char *expect;                 /* "pass" or "fail" */
  char *fixture_id;             /* NULL: a golden board of every fixture */
  gint64 reference_run_id;      /* the run of its reference values, 0: none yet */
  char *changed_at, *changed_by;
} GoldenBoardRow;
void golden_board_row_free(GoldenBoardRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GoldenBoardRow, golden_board_row_free)

typedef struct {
  gint64 id;
  char *fixture_id;
  char *day;                    /* production day, YYYY-MM-DD */
  int shift;                    /* 1..3 */
  char *serial, *expect;
  gint64 run_id;                /* 0: the run is gone */
  char *outcome;                /* the check's: "PASS" or "FAIL" */
  char *reason;                 /* what it judged, or why it failed */
  char *checked_at, *checked_by;
} GoldenCheckRow;
void golden_check_row_free(GoldenCheckRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GoldenCheckRow, golden_check_row_free)

/* The values as the audit log shows them: "expect=pass fixture=SIM-01 reference=run 12"
 * ("fixture=any", "reference=none"). Free with g_free. */
char *golden_board_describe(const GoldenBoardRow *board);

/* Registers board (serial, expect, fixture_id, reference_run_id; changed_at/by are set here)
 * as actor, replacing a registered board's values; audited with the values before and after.
 * A reference run must be a stored PASS run of the serial (STORE_ERROR_NOT_FOUND else). */
gboolean store_golden_put(Store *store, const char *actor, const GoldenBoardRow *board,
                          GError **error);
/* Removes a golden board, audited; STORE_ERROR_NOT_FOUND when there is none. */
gboolean store_golden_remove(Store *store, const char *actor, const char *serial,
                             GError **error);
/* The golden board of this serial, or NULL: STORE_ERROR_NOT_FOUND when there is none. */
GoldenBoardRow *store_golden_find(Store *store, const char *serial, GError **error);
/* The golden boards by serial (GoldenBoardRow*): all of them (fixture_id NULL), or those of a
 * fixture (registered for it or for every fixture). */
GPtrArray *store_golden_list(Store *store, const char *fixture_id, GError **error);

/* Stores a check (its id is set here); a passing check of a known good board without
 * reference values makes its run the board's reference. */
gboolean store_golden_check_add(Store *store, const GoldenCheckRow *check, GError **error);
/* The latest check of each board on each fixture (GoldenCheckRow*, by serial and fixture),
 * only of fixture_id, day and shift when given (NULL, NULL, 0: every one). */
GPtrArray *store_golden_latest_checks(Store *store, const char *fixture_id, const char *day,
                                      int shift, GError **error);
