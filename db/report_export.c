/* Exports and a board's history: the selected finished runs as CSV (one line per
 * measurement) or as OpenHTF test records (one JSON object per run and line, made with
 * json-glib), so that spreadsheet users and existing OpenHTF tools read them. A record has
 * dut_id, station_id, start_time_millis, end_time_millis, outcome, outcome_details, metadata
 * and phases; a phase has name, outcome, times and measurements; a measurement has name,
 * outcome, measured_value, units (name, UNECE code, suffix) and validators. */
#include "db/report.h"
#include "db/report_sql.h"
#include "db/store_sql.h"
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

GPtrArray *report_history(Store *store, const char *serial, GError **error)
{
  g_return_val_if_fail(store != NULL && serial != NULL, NULL);
  GPtrArray *runs = store_list_runs(store, 0, serial, error);
  if (runs == NULL)
    return NULL;
  if (runs->len == 0) {
    g_set_error(error, REPORT_ERROR, REPORT_ERROR_UNKNOWN,
                "no run of serial '%s' is stored in %s (station runs lists the boards tested)",
                serial, store_path(store));
    g_ptr_array_unref(runs);
    return NULL;
  }
  /* store_list_runs gives the newest first; a history reads oldest first */
  for (guint i = 0, j = runs->len - 1; i < j; i++, j--) {
    gpointer swap = runs->pdata[i];
    runs->pdata[i] = runs->pdata[j];
    runs->pdata[j] = swap;
  }
  return runs;
}

/* The ids of the selected finished runs in run order (GArray of gint64), or NULL. */
static GArray *selected_runs(Store *store, const ReportFilter *filter, GError **error)
{
  GArray *ids = g_array_new(FALSE, FALSE, sizeof(gint64));
  gboolean ok = FALSE;
  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store, "SELECT r.id FROM runs AS r WHERE r.outcome <> 'RUNNING' AND "
                  REPORT_RUN_FILTER_SQL " ORDER BY r.started_at, r.id", &statement,
                  "selecting runs to export", error)) {
    report_bind_filter(statement, filter);
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      gint64 id = sqlite3_column_int64(statement, 0);
      g_array_append_val(ids, id);
    }
    ok = rc == SQLITE_DONE;
    if (!ok)
      store_set_sql_error(store, error, rc, "selecting runs to export");
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  if (!ok)
    g_clear_pointer(&ids, g_array_unref);
  return ids;
}

/* Calls line_of(run) for every selected run and passes each line to func. */
static gboolean export_runs(Store *store, const ReportFilter *filter,
                            void (*lines_of)(const RunDetail *, GPtrArray *),
                            ReportLineFunc func, gpointer user_data, GError **error)
{
  g_autoptr(GArray) ids = selected_runs(store, filter, error);
  if (ids == NULL)
    return FALSE;
  for (guint i = 0; i < ids->len; i++) {
    g_autoptr(RunDetail) run = store_get_run(store, g_array_index(ids, gint64, i), error);
    if (run == NULL)
      return FALSE;
    g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
    lines_of(run, lines);
    for (guint j = 0; j < lines->len; j++)
      if (!func(g_ptr_array_index(lines, j), user_data))
        return TRUE;
  }
  return TRUE;
}

/* ---- CSV ---- */

#define CSV_HEADER                                                                            \
  "run,serial,model,station,fixture,operator,order,chemistry,run_outcome,started_at,step,"    \
  "measurement,value,unit,low,high,outcome"

/* Appends a CSV field, quoted when it holds a comma, quote or line break. */
static void csv_field(GString *line, const char *text)
{
  if (line->len)
    g_string_append_c(line, ',');
  if (text == NULL)
    return;
  if (strpbrk(text, ",\"\r\n") == NULL) {
    g_string_append(line, text);
    return;
  }
  g_string_append_c(line, '"');
  for (const char *c = text; *c; c++) {
    if (*c == '"')
      g_string_append_c(line, '"');
    g_string_append_c(line, *c);
  }
  g_string_append_c(line, '"');
}

/* Appends a number field, empty for NAN, with all the digits a double needs. */
static void csv_number(GString *line, double value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  csv_field(line, isnan(value) ? "" : g_ascii_formatd(text, sizeof text, "%.15g", value));
}

static void csv_lines(const RunDetail *run, GPtrArray *lines)
{
  const RunRow *r = &run->run;
  g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, r->id);
  for (guint i = 0; i < run->steps->len; i++) {
    const StepRow *step = g_ptr_array_index(run->steps, i);
    for (guint j = 0; j < step->measurements->len; j++) {
      const MeasurementRow *m = g_ptr_array_index(step->measurements, j);
      GString *line = g_string_new("");
      const char *run_fields[] = { id, r->serial, r->model, r->station_id, r->fixture_id,
                                   r->operator_name, r->order_id, r->chemistry, r->outcome,
                                   r->started_at, step->name, m->name };
      for (guint k = 0; k < G_N_ELEMENTS(run_fields); k++)
        csv_field(line, run_fields[k] ? run_fields[k] : "");
      if (m->text)
        csv_field(line, m->text);
      else
        csv_number(line, m->value);
      csv_field(line, m->unit);
      csv_number(line, m->low);
      csv_number(line, m->high);
      csv_field(line, m->outcome);
      g_ptr_array_add(lines, g_string_free(line, FALSE));
    }
  }
}

gboolean report_export_csv(Store *store, const ReportFilter *filter, ReportLineFunc func,
                           gpointer user_data, GError **error)
{
  g_return_val_if_fail(store != NULL && filter != NULL && func != NULL, FALSE);
  if (!func(CSV_HEADER, user_data))
    return TRUE;
  return export_runs(store, filter, csv_lines, func, user_data, error);
}

/* ---- OpenHTF records ---- */

/* The unit of a measurement as OpenHTF writes it: name, UNECE rec. 20 code, suffix. */
static const struct {
  const char *suffix, *name, *code;
} UNITS[] = {
  {"V", "volt", "VLT"},        {"mV", "millivolt", "2Z"},   {"A", "ampere", "AMP"},
  {"mA", "milliampere", "4K"}, {"s", "second", "SEC"},      {"us", "microsecond", "B98"},
  {"%", "percent", "P1"},      {"mOhm", "milliohm", "H44"}, {"W", "watt", "WTT"},
  {"degC", "degree Celsius", "CEL"}, {"B", "byte", "AD"},
};

static void add_units(JsonBuilder *builder, const char *suffix)
{
  json_builder_set_member_name(builder, "units");
  if (suffix == NULL || *suffix == '\0') {
    json_builder_add_null_value(builder);
    return;
  }
  const char *name = suffix, *code = NULL;
  for (guint i = 0; i < G_N_ELEMENTS(UNITS); i++)
    if (strcmp(UNITS[i].suffix, suffix) == 0) {
      name = UNITS[i].name;
      code = UNITS[i].code;
    }
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "name");
  json_builder_add_string_value(builder, name);
  json_builder_set_member_name(builder, "code");
  if (code)
    json_builder_add_string_value(builder, code);
  else
    json_builder_add_null_value(builder);
  json_builder_set_member_name(builder, "suffix");
  json_builder_add_string_value(builder, suffix);
  json_builder_end_object(builder);
}

/* Milliseconds since the epoch of a stored time, or -1 when it is missing. */
static gint64 millis(const char *time)
{
  g_autoptr(GDateTime) parsed = time ? g_date_time_new_from_iso8601(time, NULL) : NULL;
  if (parsed == NULL)
    return -1;
  return g_date_time_to_unix(parsed) * 1000 + g_date_time_get_microsecond(parsed) / 1000;
}

static void add_member_string(JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name(builder, name);
  if (value)
    json_builder_add_string_value(builder, value);
  else
    json_builder_add_null_value(builder);
}

static void add_member_millis(JsonBuilder *builder, const char *name, const char *time)
{
  json_builder_set_member_name(builder, name);
  gint64 ms = millis(time);
  if (ms >= 0)
    json_builder_add_int_value(builder, ms);
  else
    json_builder_add_null_value(builder);
}

/* The validator text OpenHTF shows for a measurement's limits, or NULL when none. */
static char *validator(const MeasurementRow *m)
{
  if (m->expected)
    return g_strdup_printf("x == '%s'", m->expected);
  if (!isnan(m->low) && !isnan(m->high))
    return g_strdup_printf("%.15g <= x <= %.15g", m->low, m->high);
  if (!isnan(m->low))
    return g_strdup_printf("x >= %.15g", m->low);
  if (!isnan(m->high))
    return g_strdup_printf("x <= %.15g", m->high);
  return NULL;
}

static void add_measurement(JsonBuilder *builder, const MeasurementRow *m)
{
  json_builder_set_member_name(builder, m->name);
  json_builder_begin_object(builder);
  add_member_string(builder, "name", m->name);
  add_member_string(builder, "outcome", g_strcmp0(m->outcome, "PASS") == 0 ? "PASS"
                                        : g_strcmp0(m->outcome, "FAIL") == 0 ? "FAIL"
                                                                             : "UNSET");
  json_builder_set_member_name(builder, "measured_value");
  if (m->text)
    json_builder_add_string_value(builder, m->text);
  else if (!isnan(m->value))
    json_builder_add_double_value(builder, m->value);
  else
    json_builder_add_null_value(builder);
  add_units(builder, m->unit);
  json_builder_set_member_name(builder, "validators");
  json_builder_begin_array(builder);
  g_autofree char *text = validator(m);
  if (text)
    json_builder_add_string_value(builder, text);
  json_builder_end_array(builder);
  json_builder_end_object(builder);
}

static void add_phase(JsonBuilder *builder, const StepRow *step)
{
  json_builder_begin_object(builder);
  add_member_string(builder, "name", step->name);
  add_member_string(builder, "group", step->group);
  add_member_string(builder, "outcome", step->outcome);
  add_member_millis(builder, "start_time_millis", step->started_at);
  add_member_millis(builder, "end_time_millis", step->ended_at);
  json_builder_set_member_name(builder, "measurements");
  json_builder_begin_object(builder);
  for (guint j = 0; j < step->measurements->len; j++)
    add_measurement(builder, g_ptr_array_index(step->measurements, j));
  json_builder_end_object(builder);
  json_builder_set_member_name(builder, "attachments");
  json_builder_begin_object(builder);
  json_builder_end_object(builder);
  json_builder_end_object(builder);
}

/* The run's record outside its phases: metadata and outcome details. */
static void add_metadata(JsonBuilder *builder, const RunRow *r)
{
  json_builder_set_member_name(builder, "outcome_details");
  json_builder_begin_array(builder);
  if (r->first_failure || r->message) {
    json_builder_begin_object(builder);
    add_member_string(builder, "code", r->first_failure ? r->first_failure : r->outcome);
    add_member_string(builder, "description", r->message ? r->message : "");
    json_builder_end_object(builder);
  }
  json_builder_end_array(builder);
  json_builder_set_member_name(builder, "metadata");
  json_builder_begin_object(builder);
  add_member_string(builder, "test_name", r->sequence_name);
  add_member_string(builder, "model", r->model);
  add_member_string(builder, "fixture_id", r->fixture_id);
  add_member_string(builder, "operator_name", r->operator_name);
  add_member_string(builder, "order_id", r->order_id);
  add_member_string(builder, "chemistry", r->chemistry);
  add_member_string(builder, "sequence_sha256", r->sequence_sha256);
  add_member_string(builder, "limits_sha256", r->limits_sha256);
  add_member_string(builder, "firmware_sha256", r->firmware_sha256);
  add_member_string(builder, "station_version", r->app_version);
  json_builder_set_member_name(builder, "run_id");
  json_builder_add_int_value(builder, r->id);
  json_builder_end_object(builder);
}

char *report_run_json(const RunDetail *run, gboolean pretty)
{
  const RunRow *r = &run->run;
  g_autoptr(JsonBuilder) builder = json_builder_new();
  json_builder_begin_object(builder);
  add_member_string(builder, "dut_id", r->serial);
  add_member_string(builder, "station_id", r->station_id);
  add_member_millis(builder, "start_time_millis", r->started_at);
  add_member_millis(builder, "end_time_millis", r->ended_at);
  add_member_string(builder, "outcome", r->outcome);
  add_metadata(builder, r);
  json_builder_set_member_name(builder, "phases");
  json_builder_begin_array(builder);
  for (guint i = 0; i < run->steps->len; i++)
    add_phase(builder, g_ptr_array_index(run->steps, i));
  json_builder_end_array(builder);
  json_builder_set_member_name(builder, "log_records");
  json_builder_begin_array(builder);
  json_builder_end_array(builder);
  json_builder_end_object(builder);

  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  g_autoptr(JsonGenerator) generator = json_generator_new();
  json_generator_set_pretty(generator, pretty);
  json_generator_set_root(generator, root);
  return json_generator_to_data(generator, NULL);
}

static void json_lines(const RunDetail *run, GPtrArray *lines)
{
  g_ptr_array_add(lines, report_run_json(run, FALSE));
}

gboolean report_export_json(Store *store, const ReportFilter *filter, ReportLineFunc func,
                            gpointer user_data, GError **error)
{
  g_return_val_if_fail(store != NULL && filter != NULL && func != NULL, FALSE);
  return export_runs(store, filter, json_lines, func, user_data, error);
}
