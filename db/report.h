/* The quality engineer's reports over the result store, as plain structs for the CLI
 * (`station report ...`) and the app: yield, failure Pareto, measurement statistics with
 * capability and an I-MR control chart, a board's history, exports. Nothing here prints.
 *
 * Which runs count: a run with a verdict is PASS or FAIL. ERROR (the station could not test)
 * and ABORTED runs are no verdict on the board: they are counted as station errors and left
 * out of every yield. A board's first run is its first run with a verdict; first-pass yield
 * is the share of boards whose first run passed, final yield the share whose latest run
 * passed; a retest is every verdict run of a board after its first. Yield is attributed to
 * the day, shift, model, station, fixture, operator and order of the board's first run;
 * retests and station errors to their own run's. Days and shifts are UTC: shift 1 is
 * 06:00-14:00, 2 is 14:00-22:00, 3 is 22:00-06:00, and a night shift belongs to the day it
 * began (the production day is the date of started_at - 6 h). */
#pragma once
#include <glib.h>
#include "db/store.h"

#define REPORT_ERROR (report_error_quark())
GQuark report_error_quark(void);
typedef enum {
  REPORT_ERROR_DATE,             /* a date that is not YYYY-MM-DD or ISO 8601 */
  REPORT_ERROR_UNKNOWN,          /* no such serial, measurement, run */
  REPORT_ERROR_NOT_NUMERIC,      /* statistics of a textual measurement */
} ReportErrorCode;

/* Which runs a report covers; NULL fields do not filter. */
typedef struct {
  const char *model;
  const char *station_id;
  const char *fixture_id;
  const char *operator_name;
  const char *order_id;
  char *from;                    /* first UTC time included, store format, owned */
  char *to;                      /* first UTC time excluded, store format, owned */
} ReportFilter;

/* Sets filter->from from a date (YYYY-MM-DD: from that day's start) or an ISO 8601 time;
 * REPORT_ERROR_DATE naming the text and what is valid. */
gboolean report_filter_set_from(ReportFilter *filter, const char *text, GError **error);
/* Sets filter->to: a date includes that whole day, an ISO 8601 time ends there. */
gboolean report_filter_set_to(ReportFilter *filter, const char *text, GError **error);
void report_filter_clear(ReportFilter *filter);

typedef enum {
  YIELD_BY_MODEL = 1 << 0,
  YIELD_BY_DAY = 1 << 1,
  YIELD_BY_SHIFT = 1 << 2,       /* with YIELD_BY_DAY: per day and shift */
  YIELD_BY_STATION = 1 << 3,
  YIELD_BY_OPERATOR = 1 << 4,
} YieldGrouping;

typedef struct {
  char *model, *day, *station_id, *operator_name;  /* NULL when not grouped by it */
  int shift;                     /* 1..3, 0 when not grouped by it */
  gint64 boards;                 /* boards whose first verdict run is in the group */
  gint64 first_pass;             /* of those, passed at their first run */
  gint64 final_pass;             /* of those, passed at their latest run */
  gint64 retests;                /* verdict runs after a board's first, in the group */
  gint64 station_errors;         /* ERROR and ABORTED runs in the group */
  double first_pass_yield;       /* first_pass / boards, NAN with no board */
  double final_yield;            /* final_pass / boards, NAN with no board */
} YieldRow;

/* Yield rows, one per group, ordered by the grouping keys; the totals over all of them in
 * *total when total is not NULL. GPtrArray of YieldRow* (freeing). */
GPtrArray *report_yield(Store *store, const ReportFilter *filter, YieldGrouping grouping,
                        YieldRow *total, GError **error);
void yield_row_clear(YieldRow *row);

typedef enum {
  PARETO_BY_STEP,                /* failing runs by their first failing step */
  PARETO_BY_MEASUREMENT,         /* failing runs by each measurement that failed in them */
} ParetoKind;

typedef struct {
  char *name;                    /* step or measurement name */
  gint64 count;                  /* failing runs */
  double share;                  /* of all failing runs in the selection, 0..1 */
  double cumulative;             /* this cause's and the ones above it, of all causes counted,
                                  * 0..1 (by measurement a run counts once per measurement) */
} ParetoRow;

/* Pareto rows, most frequent first (ties by name); *failing_runs: the FAIL runs selected.
 * GPtrArray of ParetoRow* (freeing). */
GPtrArray *report_pareto(Store *store, const ReportFilter *filter, ParetoKind kind,
                         gint64 *failing_runs, GError **error);

/* Fills share and cumulative of Pareto rows holding their counts, failing: the runs they
 * count from. */
void report_pareto_shares(GPtrArray *rows, gint64 failing);

typedef struct {
  gint64 run_id;
  char *serial;
  char *started_at;
  double value;
  double moving_range;           /* |value - previous value|, NAN for the first */
  gboolean out_of_control;       /* value outside the I chart's limits or MR above its UCL */
} ControlPoint;

typedef struct {
  char *name, *unit;
  gint64 n;
  double mean, sigma, min, max;  /* sigma: sample standard deviation (n - 1) */
  double low, high;              /* limits of the latest measurement, NAN: none */
  gint64 limit_sets;             /* distinct (low, high) pairs seen (1: limits never changed) */
  double sigma_within;           /* mean moving range / 1.128 (the I-MR chart's estimate) */
  double cp, cpk;                /* with sigma_within; NAN when a limit or sigma is missing */
  double pp, ppk;                /* with sigma (overall) */
  gint64 below_low, above_high;  /* values outside the limits */
  /* Histogram: bins equal in width from hist_low to hist_high (which span the values and
   * the limits). */
  double hist_low, hist_high;
  guint bins;
  gint64 *counts;                /* bins entries */
  /* I-MR chart, points in run order. */
  double i_center, i_ucl, i_lcl, mr_center, mr_ucl;
  GArray *points;                /* of ControlPoint */
  gint64 out_of_control;         /* points flagged */
} MeasurementStats;

/* Statistics of one numeric measurement over the selected runs (ERROR and ABORTED runs
 * included: a value measured is a value). REPORT_ERROR_UNKNOWN naming measurements that exist
 * when there is none by that name, REPORT_ERROR_NOT_NUMERIC when it has no numeric value. */
MeasurementStats *report_stats(Store *store, const ReportFilter *filter, const char *name,
                               guint bins, GError **error);
void measurement_stats_free(MeasurementStats *stats);
/* Names of the measurements with a numeric value in the selected runs, sorted (char*,
 * freeing): what report_stats() can be asked about. */
GPtrArray *report_measurement_names(Store *store, const ReportFilter *filter, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MeasurementStats, measurement_stats_free)

/* The runs of one serial, oldest first (RunRow*); REPORT_ERROR_UNKNOWN when it has none. */
GPtrArray *report_history(Store *store, const char *serial, GError **error);

/* Export: called once per line of output, in run order; returns FALSE to stop. */
typedef gboolean (*ReportLineFunc)(const char *line, gpointer user_data);
/* CSV: a header line, then one line per measurement of the selected runs (run, serial,
 * model, station, fixture, operator, order, chemistry, run outcome, started, step,
 * measurement, value or text, unit, low, high, outcome). */
gboolean report_export_csv(Store *store, const ReportFilter *filter, ReportLineFunc func,
                           gpointer user_data, GError **error);
/* JSON: one OpenHTF test record per finished run, one line each (JSON Lines). */
gboolean report_export_json(Store *store, const ReportFilter *filter, ReportLineFunc func,
                            gpointer user_data, GError **error);
/* One run's OpenHTF record as JSON text (freeing). */
char *report_run_json(const RunDetail *run, gboolean pretty);
