/* The shift's counts for the operator: production runs today (rework flash runs are left
 * out), how many passed, failed or could not test, and first-pass yield (boards whose first
 * run today passed, over boards tested). Read through db/'s run list; the UI holds no SQL. */
#pragma once
#include <glib.h>

typedef struct {
  int runs, pass, fail, other;
  int boards, first_pass;
} ShiftCounts;

gboolean shift_counts_load(const char *db_path, ShiftCounts *out, GError **error);
/* "Shift: 12 runs · 10 PASS · 2 FAIL · 0 other · first-pass yield 83 %" */
char *shift_counts_describe(const ShiftCounts *counts);
/* Mean duration in s of the model's recent PASS runs, 0 when there is none. */
double shift_counts_expected_cycle(const char *db_path, const char *model);
