/* station report yield|pareto|stats|history|run|export: the quality engineer's reports,
 * printed from the db/ report queries (db/report.h), with the same filters everywhere:
 * --model --station --fixture --operator --order --from --to. A wrong model, serial, run,
 * measurement or date is refused with one sentence saying what is valid. */
#include "station/cli/cli.h"
#include "db/report.h"
#include "db/factory.h"
#include "station/station_config.h"
#include "sequences/catalog.h"
#include "station/serial_number.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* The options every report takes. */
typedef struct {
  char *db, *model, *station, *fixture, *operator_name, *order, *from, *to, *config;
  gboolean factory;             /* from the factory database instead of the local one */
  gboolean explain;             /* with factory: print the plans of its queries too */
} ReportOptions;

static void report_options_clear(ReportOptions *o)
{
  g_free(o->db);
  g_free(o->model);
  g_free(o->station);
  g_free(o->fixture);
  g_free(o->operator_name);
  g_free(o->order);
  g_free(o->from);
  g_free(o->to);
  g_free(o->config);
}

/* Adds the shared options to a context as their own group. */
static void add_filter_options(GOptionContext *context, ReportOptions *o)
{
  GOptionEntry entries[] = {
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &o->db, "Results database (default: user data dir)",
     "FILE"},
    {"model", 0, 0, G_OPTION_ARG_STRING, &o->model, "Only this board model", "MODEL"},
    {"station", 0, 0, G_OPTION_ARG_STRING, &o->station, "Only this station id", "ID"},
    {"fixture", 0, 0, G_OPTION_ARG_STRING, &o->fixture, "Only this fixture id", "ID"},
    {"operator", 0, 0, G_OPTION_ARG_STRING, &o->operator_name, "Only this operator", "NAME"},
    {"order", 0, 0, G_OPTION_ARG_STRING, &o->order, "Only this production order", "ID"},
    {"from", 0, 0, G_OPTION_ARG_STRING, &o->from, "From this day or time (UTC)", "DATE"},
    {"to", 0, 0, G_OPTION_ARG_STRING, &o->to, "Up to this day (included) or time", "DATE"},
    {"factory", 0, 0, G_OPTION_ARG_NONE, &o->factory, "yield, pareto: over every station's "
     "runs in the factory database", NULL},
    {"explain", 0, 0, G_OPTION_ARG_NONE, &o->explain, "With --factory: print the factory "
     "database's plan of each query after the report (EXPLAIN ANALYZE)", NULL},
    {"config", 0, 0, G_OPTION_ARG_FILENAME, &o->config, "The station's configuration naming "
     "the factory database (default: the user's config dir)", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  g_option_context_add_main_entries(context, entries, NULL);
}

/* Checks the options and fills the filter (borrowing the option strings); FALSE after
 * printing what was wrong. */
static gboolean make_filter(const ReportOptions *o, ReportFilter *filter)
{
  g_autoptr(GError) error = NULL;
  if (o->model) {
    g_autoptr(Catalog) catalog = catalog_load_default(&error);
    if (!catalog || !catalog_find(catalog, o->model, &error)) {
      cli_error("%s", error->message);
      return FALSE;
    }
  }
  *filter = (ReportFilter){
    .model = o->model, .station_id = o->station, .fixture_id = o->fixture,
    .operator_name = o->operator_name, .order_id = o->order,
  };
  if ((o->from && !report_filter_set_from(filter, o->from, &error)) ||
      (o->to && !report_filter_set_to(filter, o->to, &error))) {
    cli_error("%s", error->message);
    report_filter_clear(filter);
    return FALSE;
  }
  return TRUE;
}

/* A share as a percentage text, "-" when there is none. */
static const char *percent(double share, char *buffer, gsize size)
{
  if (isnan(share))
    return "-";
  g_snprintf(buffer, size, "%.2f%%", share * 100);
  return buffer;
}

/* Parses --by for the yield: a comma list of model, day, shift, station, operator. */
static gboolean yield_grouping(const char *by, YieldGrouping *grouping)
{
  static const struct { const char *name; YieldGrouping flag; } NAMES[] = {
    {"model", YIELD_BY_MODEL}, {"day", YIELD_BY_DAY}, {"shift", YIELD_BY_SHIFT | YIELD_BY_DAY},
    {"station", YIELD_BY_STATION}, {"operator", YIELD_BY_OPERATOR}, {"total", 0},
  };
  g_auto(GStrv) parts = g_strsplit(by, ",", -1);
  *grouping = 0;
  for (guint i = 0; parts[i]; i++) {
    gboolean known = FALSE;
    for (guint j = 0; j < G_N_ELEMENTS(NAMES); j++)
      if (strcmp(g_strstrip(parts[i]), NAMES[j].name) == 0) {
        *grouping |= NAMES[j].flag;
        known = TRUE;
      }
    if (!known) {
      cli_error("--by '%s' is not a grouping: use a comma list of model, day, shift, station, "
                "operator (or total)", parts[i]);
      return FALSE;
    }
  }
  return TRUE;
}

static void print_yield_row(const YieldRow *row)
{
  char fpy[16], fy[16];
  g_autofree char *shift = row->shift ? g_strdup_printf("%d", row->shift) : g_strdup("");
  printf("%-12s %-10s %-5s %-10s %-10s %8" G_GINT64_FORMAT " %9s %9s %7" G_GINT64_FORMAT
         " %6" G_GINT64_FORMAT "\n", row->model ? row->model : "", row->day ? row->day : "",
         shift, row->station_id ? row->station_id : "",
         row->operator_name ? row->operator_name : "", row->boards,
         percent(row->first_pass_yield, fpy, sizeof fpy), percent(row->final_yield, fy, sizeof fy),
         row->retests, row->station_errors);
}

static int report_yield_command(Store *store, FactoryDb *factory, const ReportFilter *filter,
                                const char *by)
{
  YieldGrouping grouping;
  if (!yield_grouping(by ? by : "model,day", &grouping))
    return EXIT_USAGE;
  g_autoptr(GError) error = NULL;
  YieldRow total = {0};
  g_autoptr(GPtrArray) rows = factory ? factory_report_yield(factory, filter, grouping, &total,
                                                             &error)
                                       : report_yield(store, filter, grouping, &total, &error);
  if (!rows) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  printf("%-12s %-10s %-5s %-10s %-10s %8s %9s %9s %7s %6s\n", "model", "day", "shift",
         "station", "operator", "boards", "FPY", "final", "retests", "errors");
  for (guint i = 0; i < rows->len; i++)
    print_yield_row(g_ptr_array_index(rows, i));
  total.model = g_strdup("all");
  print_yield_row(&total);
  yield_row_clear(&total);
  printf("FPY: boards that passed their first run; final: boards whose latest run passed; "
         "errors: ERROR/ABORTED runs, not counted in yield.\n");
  return EXIT_PASS;
}

static int report_pareto_command(Store *store, FactoryDb *factory, const ReportFilter *filter,
                                 const char *by)
{
  ParetoKind kind;
  if (!by || strcmp(by, "step") == 0) {
    kind = PARETO_BY_STEP;
  } else if (strcmp(by, "measurement") == 0) {
    kind = PARETO_BY_MEASUREMENT;
  } else {
    cli_error("--by '%s' is not a Pareto: use step or measurement", by);
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  gint64 failing = 0;
  g_autoptr(GPtrArray) rows = factory ? factory_report_pareto(factory, filter, kind, &failing,
                                                              &error)
                                       : report_pareto(store, filter, kind, &failing, &error);
  if (!rows) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  printf("%" G_GINT64_FORMAT " failing runs, by %s\n", failing,
         kind == PARETO_BY_STEP ? "first failing step" : "failing measurement");
  gint64 widest = rows->len ? ((ParetoRow *)g_ptr_array_index(rows, 0))->count : 1;
  for (guint i = 0; i < rows->len; i++) {
    const ParetoRow *row = g_ptr_array_index(rows, i);
    int bar = (int)(40.0 * row->count / widest + 0.5);
    printf("%-34s %8" G_GINT64_FORMAT " %6.1f%% %6.1f%%  %.*s\n", row->name, row->count,
           row->share * 100, row->cumulative * 100, bar,
           "########################################");
  }
  return EXIT_PASS;
}

/* Prints the histogram with the limits marked where they fall. */
static void print_histogram(const MeasurementStats *s)
{
  gint64 most = 1;
  for (guint i = 0; i < s->bins; i++)
    most = MAX(most, s->counts[i]);
  double width = (s->hist_high - s->hist_low) / s->bins;
  for (guint i = 0; i < s->bins; i++) {
    double from = s->hist_low + i * width, to = from + width;
    const char *mark = "";
    if (!isnan(s->low) && s->low >= from && (s->low < to || i == s->bins - 1))
      mark = "  <- low limit";
    if (!isnan(s->high) && s->high >= from && (s->high < to || i == s->bins - 1))
      mark = *mark ? "  <- both limits" : "  <- high limit";
    int bar = (int)(50.0 * s->counts[i] / most + 0.5);
    printf("  %12.6g .. %-12.6g %8" G_GINT64_FORMAT " |%.*s%s\n", from, to, s->counts[i], bar,
           "##################################################", mark);
  }
}

/* Prints the I-MR chart's limits and its last `shown` points, flagging those out of
 * control. */
static void print_control_chart(const MeasurementStats *s, guint shown)
{
  printf("I-MR chart: X = %.6g, UCL %.6g, LCL %.6g; MR = %.6g, UCL %.6g; %" G_GINT64_FORMAT
         " of %" G_GINT64_FORMAT " points out of control\n", s->i_center, s->i_ucl, s->i_lcl,
         s->mr_center, s->mr_ucl, s->out_of_control, s->n);
  guint first = s->points->len > shown ? s->points->len - shown : 0;
  double span = s->i_ucl - s->i_lcl;
  for (guint i = first; i < s->points->len; i++) {
    const ControlPoint *p = &g_array_index(s->points, ControlPoint, i);
    char line[42];
    memset(line, ' ', 41);
    line[0] = line[40] = '|';
    line[20] = ':';
    line[41] = '\0';
    double at = span > 0 ? (p->value - s->i_lcl) / span * 40 : 20;
    line[(int)CLAMP(at + 0.5, 0, 40)] = p->out_of_control ? 'X' : '*';
    printf("  run %-8" G_GINT64_FORMAT " %-22s %12.6g %s%s\n", p->run_id, p->serial, p->value,
           line, p->out_of_control ? "  out of control" : "");
  }
}

static int report_stats_command(Store *store, const ReportFilter *filter, const char *name,
                                int bins, int points)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MeasurementStats) s = report_stats(store, filter, name, (guint)bins, &error);
  if (!s) {
    cli_error("%s", error->message);
    return g_error_matches(error, STORE_ERROR, STORE_ERROR_SQL) ? EXIT_ERROR : EXIT_USAGE;
  }
  printf("%s [%s]: n %" G_GINT64_FORMAT ", mean %.6g, sigma %.6g, min %.6g, max %.6g\n",
         s->name, s->unit ? s->unit : "", s->n, s->mean, s->sigma, s->min, s->max);
  printf("limits: low %.6g, high %.6g%s; %" G_GINT64_FORMAT " below, %" G_GINT64_FORMAT
         " above\n", s->low, s->high,
         s->limit_sets > 1 ? " (the latest; the limits changed in the selection)" : "",
         s->below_low, s->above_high);
  printf("Cp %.3f, Cpk %.3f (sigma within %.6g, from the moving range); "
         "Pp %.3f, Ppk %.3f (overall sigma)\n", s->cp, s->cpk, s->sigma_within, s->pp, s->ppk);
  print_histogram(s);
  print_control_chart(s, (guint)points);
  return EXIT_PASS;
}

static int report_history_command(Store *store, const char *serial)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  SerialNumber parsed;
  if (!catalog || !serial_number_parse(serial, catalog, &parsed, &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  g_autoptr(GPtrArray) runs = report_history(store, serial, &error);
  if (!runs) {
    cli_error("%s", error->message);
    return g_error_matches(error, REPORT_ERROR, REPORT_ERROR_UNKNOWN) ? EXIT_USAGE : EXIT_ERROR;
  }
  printf("%s: %u runs, oldest first\n", serial, runs->len);
  for (guint i = 0; i < runs->len; i++) {
    const RunRow *r = g_ptr_array_index(runs, i);
    printf("  run %-6" G_GINT64_FORMAT " %s  %-8s %-10s %-10s %-10s %s\n", r->id, r->started_at,
           r->outcome, r->station_id ? r->station_id : "-",
           r->operator_name ? r->operator_name : "-", r->order_id ? r->order_id : "-",
           r->first_failure ? r->first_failure : "");
  }
  return EXIT_PASS;
}

static int report_run_command(Store *store, const char *text, gboolean json)
{
  char *end = NULL;
  gint64 run_id = g_ascii_strtoll(text, &end, 10);
  if (*end || run_id <= 0) {
    cli_error("'%s' is not a run number: give the number 'station runs' lists", text);
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(RunDetail) detail = store_get_run(store, run_id, &error);
  if (!detail) {
    cli_error("%s", error->message);
    return g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND) ? EXIT_USAGE : EXIT_ERROR;
  }
  if (json) {
    g_autofree char *record = report_run_json(detail, TRUE);
    printf("%s\n", record);
  } else {
    cli_print_run(detail);
  }
  return EXIT_PASS;
}

/* Writes one export line to the FILE in user_data; FALSE (stop) when it cannot. */
static gboolean write_line(const char *line, gpointer user_data)
{
  return fprintf(user_data, "%s\n", line) >= 0;
}

static int report_export_command(Store *store, const ReportFilter *filter, const char *format,
                                 const char *output)
{
  gboolean json = format && strcmp(format, "json") == 0;
  if (format && !json && strcmp(format, "csv") != 0) {
    cli_error("--format '%s' is not an export format: use csv or json", format);
    return EXIT_USAGE;
  }
  FILE *out = output ? fopen(output, "w") : stdout;
  if (!out) {
    cli_error("cannot write %s: %s", output, g_strerror(errno));
    return EXIT_ERROR;
  }
  g_autoptr(GError) error = NULL;
  gboolean ok = json ? report_export_json(store, filter, write_line, out, &error)
                     : report_export_csv(store, filter, write_line, out, &error);
  gboolean written = fflush(out) == 0 && !ferror(out);
  if (output)
    written = fclose(out) == 0 && written;
  if (!ok)
    cli_error("%s", error->message);
  else if (!written)
    cli_error("cannot write %s: %s", output ? output : "the output", g_strerror(errno));
  return ok && written ? EXIT_PASS : EXIT_ERROR;
}

/* Connects to the factory database the station's configuration names; NULL after saying
 * why not. */
static FactoryDb *open_factory(const char *config_path)
{
  g_autoptr(GError) error = NULL;
  g_auto(StationConfig) config = {0};
  if (!station_config_load(config_path, &config, &error)) {
    cli_error("%s", error->message);
    return NULL;
  }
  if (!config.has_factory) {
    g_autofree char *path = config.path ? g_strdup(config.path) : station_config_default_path();
    cli_error("--factory: no factory database is configured; give [factory] database in %s",
              path);
    return NULL;
  }
  FactoryDb *factory = factory_open(&config.factory, &error);
  if (factory == NULL)
    cli_error("%s", error->message);
  return factory;
}

/* Runs one report with its parsed options. */
static int run_report(const char *what, int argc, char **argv, ReportOptions *o,
                      const char *by, const char *format, const char *output, int bins,
                      int points, gboolean json)
{
  static const char *const ONE_ARGUMENT[] = {"stats", "history", "run"};
  gboolean wants_argument = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS(ONE_ARGUMENT); i++)
    wants_argument |= strcmp(what, ONE_ARGUMENT[i]) == 0;
  if (argc != (wants_argument ? 2 : 1)) {
    cli_error("usage: station report %s%s [filters] (see --help)", what,
              strcmp(what, "stats") == 0 ? " MEASUREMENT"
              : strcmp(what, "history") == 0 ? " SERIAL"
              : strcmp(what, "run") == 0 ? " RUN" : "");
    return EXIT_USAGE;
  }
  gboolean plant_wide = strcmp(what, "yield") == 0 || strcmp(what, "pareto") == 0;
  if (o->factory && !plant_wide) {
    cli_error("--factory: only the yield and pareto reports run on the factory database");
    return EXIT_USAGE;
  }
  if (o->explain && !o->factory) {
    cli_error("--explain: only the reports on the factory database (--factory) have plans to "
              "print");
    return EXIT_USAGE;
  }
  ReportFilter filter;
  if (!make_filter(o, &filter))
    return EXIT_USAGE;
  if (o->factory) {
    int code = EXIT_ERROR;
    g_autoptr(FactoryDb) factory = open_factory(o->config);
    if (factory && o->explain)
      factory_explain_reports(factory);
    if (factory && strcmp(what, "yield") == 0)
      code = report_yield_command(NULL, factory, &filter, by);
    else if (factory)
      code = report_pareto_command(NULL, factory, &filter, by);
    if (factory && o->explain && code == EXIT_PASS)
      printf("plan in the factory database:\n%s", factory_report_plans(factory));
    report_filter_clear(&filter);
    return code;
  }
  g_autoptr(Store) store = cli_open_store(o->db);
  int code = EXIT_ERROR;
  if (store && strcmp(what, "yield") == 0)
    code = report_yield_command(store, NULL, &filter, by);
  else if (store && strcmp(what, "pareto") == 0)
    code = report_pareto_command(store, NULL, &filter, by);
  else if (store && strcmp(what, "stats") == 0)
    code = report_stats_command(store, &filter, argv[1], bins, points);
  else if (store && strcmp(what, "history") == 0)
    code = report_history_command(store, argv[1]);
  else if (store && strcmp(what, "run") == 0)
    code = report_run_command(store, argv[1], json);
  else if (store)
    code = report_export_command(store, &filter, format, output);
  report_filter_clear(&filter);
  return code;
}

int cli_report(int argc, char **argv)
{
  static const char *const REPORTS[] = {"yield", "pareto", "stats", "history", "run", "export"};
  const char *what = argc >= 2 ? argv[1] : "";
  gboolean known = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS(REPORTS); i++)
    known |= strcmp(what, REPORTS[i]) == 0;
  if (!known) {
    cli_error("'%s' is not a report: use station report yield, pareto, stats MEASUREMENT, "
              "history SERIAL, run RUN or export", what);
    return EXIT_USAGE;
  }
  ReportOptions o = {0};
  g_autofree char *by = NULL, *format = NULL, *output = NULL;
  int bins = 20, points = 30;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    {"by", 0, 0, G_OPTION_ARG_STRING, &by,
     "yield: model,day,shift,station,operator (default model,day); pareto: step|measurement",
     "GROUPS"},
    {"bins", 0, 0, G_OPTION_ARG_INT, &bins, "stats: histogram bins (default 20)", "N"},
    {"points", 0, 0, G_OPTION_ARG_INT, &points, "stats: control chart points shown (30)", "N"},
    {"format", 0, 0, G_OPTION_ARG_STRING, &format, "export: csv (default) or json", "FORMAT"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "export: file (default stdout)", "FILE"},
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "run: the OpenHTF record as JSON", NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new(what);
  g_option_context_set_summary(context, "Quality reports over the stored runs.");
  g_option_context_add_main_entries(context, entries, NULL);
  add_filter_options(context, &o);
  int code = EXIT_USAGE;
  argc--;
  argv++;
  if (cli_parse(context, &argc, &argv)) {
    if (bins < 1 || bins > 200 || points < 0)
      cli_error("--bins must be 1..200 and --points 0 or more");
    else
      code = run_report(what, argc, argv, &o, by, format, output, bins, points, json);
  }
  report_options_clear(&o);
  return code;
}
