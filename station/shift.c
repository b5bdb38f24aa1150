/* The production shift of a moment (shift.h). */
#include "station/shift.h"

Shift shift_of(GDateTime *time)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc(time);
  g_autoptr(GDateTime) day_start = g_date_time_add_hours(utc, -6);
  int hour = g_date_time_get_hour(utc);
  Shift shift = {.number = hour >= 6 && hour < 14 ? 1 : hour >= 14 && hour < 22 ? 2 : 3};
  g_autofree char *day = g_date_time_format(day_start, "%Y-%m-%d");
  g_strlcpy(shift.day, day, sizeof shift.day);
  return shift;
}

Shift shift_now(void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  return shift_of(now);
}

char *shift_describe(const Shift *shift)
{
  return g_strdup_printf("shift %d of %s", shift->number, shift->day);
}
