/* The production shift a moment belongs to, as the yield reports count them (db/report.h):
 * UTC, shift 1 is 06:00-14:00, 2 is 14:00-22:00, 3 is 22:00-06:00, and a night shift belongs
 * to the production day it began on (the date of the time minus 6 hours). */
#pragma once
#include <glib.h>

typedef struct {
  char day[11];                 /* production day, YYYY-MM-DD */
  int number;                   /* 1..3 */
} Shift;

/* The shift of time (any time zone; judged in UTC). */
Shift shift_of(GDateTime *time);
/* The shift going on now. */
Shift shift_now(void);
/* "shift 3 of 2026-12-07" (freeing). */
char *shift_describe(const Shift *shift);
