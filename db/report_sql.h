/* SQL shared by the report files (private to db/): the filter condition on a runs row and its
 * binding. Parameters ?1..?7 are the filter's; a report's own parameters start at ?8. */
#pragma once
#include <sqlite3.h>
#include "db/report.h"

/* The condition a runs row aliased `r` meets when the filter selects it; only production (EOL)
 * runs are reported, never rework flashing. */
#define REPORT_RUN_FILTER_SQL                                                                 \
  "(?1 IS NULL OR r.model = ?1) AND (?2 IS NULL OR r.station_id = ?2) AND "                  \
  "(?3 IS NULL OR r.fixture_id = ?3) AND (?4 IS NULL OR r.operator = ?4) AND "               \
  "(?5 IS NULL OR r.order_id = ?5) AND (?6 IS NULL OR r.started_at >= ?6) AND "             \
  "(?7 IS NULL OR r.started_at < ?7) AND r.purpose = 'eol'"

/* Binds the filter's fields to ?1..?7. */
void report_bind_filter(sqlite3_stmt *statement, const ReportFilter *filter);
