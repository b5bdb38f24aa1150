/* Report filters: the date bounds a quality engineer types, checked and turned into the
 * store's UTC time format, and the SQL condition every report shares (report_sql.h). */
#include "db/report.h"
#include "db/report_sql.h"
#include "db/store_sql.h"
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(report-error-quark, report_error)

/* Parses YYYY-MM-DD (*is_day TRUE) or an ISO 8601 time with a zone (as UTC); NULL with
 * REPORT_ERROR_DATE naming the text and what is valid. */
static GDateTime *parse_time(const char *option, const char *text, gboolean *is_day,
                             GError **error)
{
  int year = 0, month = 0, day = 0;
  char tail = 0;
  *is_day = sscanf(text, "%4d-%2d-%2d%c", &year, &month, &day, &tail) == 3 &&
            strlen(text) == 10;
  GDateTime *time = NULL;
  if (*is_day) {
    time = g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year)
               ? g_date_time_new_utc(year, month, day, 0, 0, 0)
               : NULL;
  } else {
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    time = g_date_time_new_from_iso8601(text, utc);
  }
  if (time == NULL)
    g_set_error(error, REPORT_ERROR, REPORT_ERROR_DATE,
                "%s '%s' is not a date: give YYYY-MM-DD (e.g. 2026-12-06) or an ISO 8601 time "
                "(e.g. 2026-12-06T14:00:00Z)", option, text);
  return time;
}

/* Returns a time as the store writes it, in UTC (freeing). */
static char *store_time(GDateTime *time)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc(time);
  return sql_timestamp_utc(g_date_time_to_unix(utc) * G_USEC_PER_SEC +
                           g_date_time_get_microsecond(utc));
}

gboolean report_filter_set_from(ReportFilter *filter, const char *text, GError **error)
{
  gboolean is_day;
  g_autoptr(GDateTime) time = parse_time("--from", text, &is_day, error);
  if (time == NULL)
    return FALSE;
  g_free(filter->from);
  filter->from = store_time(time);
  return TRUE;
}

gboolean report_filter_set_to(ReportFilter *filter, const char *text, GError **error)
{
  gboolean is_day;
  g_autoptr(GDateTime) time = parse_time("--to", text, &is_day, error);
  if (time == NULL)
    return FALSE;
  g_autoptr(GDateTime) end = is_day ? g_date_time_add_days(time, 1) : g_date_time_ref(time);
  g_free(filter->to);
  filter->to = store_time(end);
  return TRUE;
}

void report_filter_clear(ReportFilter *filter)
{
  g_clear_pointer(&filter->from, g_free);
  g_clear_pointer(&filter->to, g_free);
}

void report_bind_filter(sqlite3_stmt *statement, const ReportFilter *filter)
{
  sql_bind_text(statement, 1, filter->model);
  sql_bind_text(statement, 2, filter->station_id);
  sql_bind_text(statement, 3, filter->fixture_id);
  sql_bind_text(statement, 4, filter->operator_name);
  sql_bind_text(statement, 5, filter->order_id);
  sql_bind_text(statement, 6, filter->from);
  sql_bind_text(statement, 7, filter->to);
}
