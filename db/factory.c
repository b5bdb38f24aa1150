/* The factory database (factory.h): the connection, its errors, and shipping one run in one
 * transaction. The run row goes first with ON CONFLICT (uid) DO NOTHING: a run the factory
 * database already has (a resend after an answer lost with the connection) writes nothing.
 * Its steps, measurements, calibrations and instruments follow by COPY, each table in one
 * round trip, so that a run of 285 measurements costs a handful of them. */
#include "db/factory_private.h"
#include <math.h>
#include <string.h>

G_DEFINE_QUARK(factory-error-quark, factory_error)

#define DEFAULT_CONNECT_TIMEOUT_S "5"

void factory_config_clear(FactoryConfig *config)
{
  g_clear_pointer(&config->conninfo, g_free);
  g_clear_pointer(&config->passfile, g_free);
  g_clear_pointer(&config->origin, g_free);
}

/* Whether the connection string holds a password libpq would take: the keyword (also as a
 * URI's query parameter) or a URI's user:password@. Looked for before libpq parses it, so
 * that a string libpq cannot read, whose error message would quote it, is refused without
 * quoting it. */
static gboolean holds_password(const char *conninfo)
{
  return g_regex_match_simple("(^|[\\s?&])password\\s*=|"
                              "^\\s*postgres(ql)?://[^/?#@]*:[^/?#@]*@", conninfo,
                              G_REGEX_CASELESS, 0);
}

static void refuse_password(GError **error, const char *origin)
{
  g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONFIG,
              "the factory database's connection string in %s holds a password: remove it "
              "and put the password in a password file (passfile = FILE in [factory], or "
              "PGPASSFILE, or ~/.pgpass)", origin);
}

PQconninfoOption *factory_parse_conninfo(const FactoryConfig *config, GError **error)
{
  const char *conninfo = config->conninfo ? config->conninfo : "";
  const char *origin = config->origin ? config->origin : "the configuration";
  if (holds_password(conninfo)) {
    refuse_password(error, origin);
    return NULL;
  }
  char *message = NULL;
  PQconninfoOption *options = PQconninfoParse(conninfo, &message);
  if (options == NULL) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONFIG,
                "the factory database's connection string in %s is not one libpq reads "
                "(%s): give keywords such as \"host=db.plant port=5432 dbname=eol "
                "user=station\"", origin, message ? g_strstrip(message) : "out of memory");
    PQfreemem(message);
    return NULL;
  }
  if (factory_option_value(options, "password")) {
    refuse_password(error, origin);
    PQconninfoFree(options);
    return NULL;
  }
  return options;
}

const char *factory_option_value(const PQconninfoOption *options, const char *keyword)
{
  for (const PQconninfoOption *o = options; o->keyword; o++)
    if (strcmp(o->keyword, keyword) == 0)
      return o->val && *o->val ? o->val : NULL;
  return NULL;
}

char *factory_config_describe(const FactoryConfig *config, GError **error)
{
  PQconninfoOption *options = factory_parse_conninfo(config, error);
  if (options == NULL)
    return NULL;
  static const char *const SHOWN[] = {"host", "hostaddr", "port", "dbname", "user"};
  g_autoptr(GString) text = g_string_new("");
  for (guint i = 0; i < G_N_ELEMENTS(SHOWN); i++) {
    const char *value = factory_option_value(options, SHOWN[i]);
    if (value)
      g_string_append_printf(text, "%s%s=%s", text->len ? " " : "", SHOWN[i], value);
  }
  PQconninfoFree(options);
  if (text->len == 0)
    g_string_assign(text, "(libpq's defaults)");
  return g_string_free(g_steal_pointer(&text), FALSE);
}

/* libpq's words on one line: its newlines and tabs as single spaces (freeing). */
static char *one_line(const char *words)
{
  g_auto(GStrv) parts = g_strsplit_set(words, "\n\t", -1);
  g_autoptr(GString) line = g_string_new("");
  for (guint i = 0; parts[i]; i++) {
    g_strstrip(parts[i]);
    if (*parts[i])
      g_string_append_printf(line, "%s%s", line->len ? " " : "", parts[i]);
  }
  return g_string_free(g_steal_pointer(&line), FALSE);
}

gboolean factory_connected(FactoryDb *factory)
{
  return factory->conn && PQstatus(factory->conn) == CONNECTION_OK;
}

void factory_set_error(FactoryDb *factory, GError **error, const PGresult *result,
                       const char *doing)
{
  const char *words = result ? PQresultErrorMessage(result) : NULL;
  if (words == NULL || *words == '\0')
    words = PQerrorMessage(factory->conn);
  g_autofree char *clean = one_line(words && *words ? words : "no answer");
  gboolean gone = !factory_connected(factory);
  g_set_error(error, FACTORY_ERROR, gone ? FACTORY_ERROR_LINK : FACTORY_ERROR_REJECTED,
              "%s in the factory database %s: %s%s", doing, factory->description, clean,
              gone ? " (the connection was lost)" : "");
}

gboolean factory_exec(FactoryDb *factory, const char *sql, const char *doing, GError **error)
{
  PGresult *result = PQexec(factory->conn, sql);
  ExecStatusType status = PQresultStatus(result);
  gboolean ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  if (!ok)
    factory_set_error(factory, error, result, doing);
  PQclear(result);
  return ok;
}

/* The server's notices (e.g. that the schema table exists already) are for debugging, not
 * for the station's output. */
static void debug_notice(void *data, const char *message)
{
  (void)data;
  g_debug("factory database: %s", message);
}

FactoryDb *factory_open(const FactoryConfig *config, GError **error)
{
  g_return_val_if_fail(config != NULL, NULL);
  g_autofree char *description = factory_config_describe(config, error);
  if (description == NULL)
    return NULL;
  PQconninfoOption *parsed = factory_parse_conninfo(config, error);
  /* the configured string, then what the station adds where it gives none */
  const char *keywords[] = {"dbname", "passfile", "connect_timeout", "application_name",
                            NULL};
  const char *values[] = {config->conninfo, config->passfile,
                          factory_option_value(parsed, "connect_timeout")
                              ? NULL : DEFAULT_CONNECT_TIMEOUT_S,
                          factory_option_value(parsed, "application_name")
                              ? NULL : "jk-eol-station",
                          NULL};
  /* expand_dbname: the first value is the whole connection string; NULL values are skipped */
  const char *keys[5], *vals[5];
  guint n = 0;
  for (guint i = 0; keywords[i]; i++)
    if (values[i]) {
      keys[n] = keywords[i];
      vals[n++] = values[i];
    }
  keys[n] = vals[n] = NULL;

  g_autoptr(FactoryDb) factory = g_new0(FactoryDb, 1);
  factory->description = g_steal_pointer(&description);
  factory->conn = factory_connect(config, parsed, keys, vals, factory->description, error);
  PQconninfoFree(parsed);
  if (factory->conn == NULL)
    return NULL;
  PQsetNoticeProcessor(factory->conn, debug_notice, NULL);
  if (!factory_exec(factory, "SET TIME ZONE 'UTC'", "setting the time zone", error) ||
      !factory_schema_migrate(factory, error))
    return NULL;
  return g_steal_pointer(&factory);
}

void factory_close(FactoryDb *factory)
{
  if (factory == NULL)
    return;
  if (factory->conn)
    PQfinish(factory->conn);
  g_free(factory->description);
  if (factory->plans)
    g_string_free(factory->plans, TRUE);
  g_free(factory);
}

int factory_schema_version(FactoryDb *factory)
{
  return factory->schema_version;
}

const char *factory_description(FactoryDb *factory)
{
  return factory->description;
}

/* ---- shipping one run ---- */

/* A number as text that reads back to the same double, NULL for NAN (no value). */
static char *number_text(double value)
{
  if (isnan(value))
    return NULL;
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup(g_ascii_dtostr(buffer, sizeof buffer, value));
}

/* Appends a field of COPY's text format: escaped, \N for NULL, then the separator. */
static void copy_field(GString *line, const char *value, gboolean last)
{
  if (value == NULL) {
    g_string_append(line, "\\N");
  } else {
    for (const char *c = value; *c; c++) {
      switch (*c) {
      case '\\': g_string_append(line, "\\\\"); break;
      case '\t': g_string_append(line, "\\t"); break;
      case '\n': g_string_append(line, "\\n"); break;
      case '\r': g_string_append(line, "\\r"); break;
      default: g_string_append_c(line, *c);
      }
    }
  }
  g_string_append_c(line, last ? '\n' : '\t');
}

static void copy_number(GString *line, double value, gboolean last)
{
  g_autofree char *text = number_text(value);
  copy_field(line, text, last);
}

static void copy_integer(GString *line, gint64 value, gboolean last)
{
  char text[24];
  g_snprintf(text, sizeof text, "%" G_GINT64_FORMAT, value);
  copy_field(line, text, last);
}

/* Copies rows (text format, one line each) into table(columns); FALSE with the error. */
static gboolean copy_rows(FactoryDb *factory, const char *table_columns, const GString *rows,
                          const char *doing, GError **error)
{
  if (rows->len == 0)
    return TRUE;
  g_autofree char *sql = g_strdup_printf("COPY %s FROM STDIN", table_columns);
  PGresult *result = PQexec(factory->conn, sql);
  if (PQresultStatus(result) != PGRES_COPY_IN) {
    factory_set_error(factory, error, result, doing);
    PQclear(result);
    return FALSE;
  }
  PQclear(result);
  if (PQputCopyData(factory->conn, rows->str, (int)rows->len) != 1 ||
      PQputCopyEnd(factory->conn, NULL) != 1) {
    factory_set_error(factory, error, NULL, doing);
    return FALSE;
  }
  gboolean ok = TRUE;
  while ((result = PQgetResult(factory->conn)) != NULL) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK && ok) {
      factory_set_error(factory, error, result, doing);
      ok = FALSE;
    }
    PQclear(result);
  }
  return ok;
}

/* Inserts the run row unless its uid is there; *run_id the new row's id, 0 when it was. */
static gboolean insert_run(FactoryDb *factory, const RunRow *r, gint64 *run_id,
                           const char *doing, GError **error)
{
  static const char SQL[] =
    "WITH station AS (INSERT INTO stations (id) VALUES ($2) ON CONFLICT (id) DO UPDATE "
    "  SET last_shipped_at = now() RETURNING id) "
    "INSERT INTO runs (uid, station_id, local_id, purpose, serial, model, fixture_id, slot, "
    "operator, order_id, chemistry, cell_count, heater, profile, sequence_name, "
    "sequence_sha256, limits_sha256, firmware_sha256, app_version, outcome, first_failure, "
    "message, started_at, ended_at, duration_s) SELECT $1, station.id, $3, $4, $5, $6, $7, "
    "$8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25 "
    "FROM station ON CONFLICT (uid) DO NOTHING RETURNING id";
  g_autofree char *local_id = g_strdup_printf("%" G_GINT64_FORMAT, r->id);
  g_autofree char *slot = g_strdup_printf("%d", r->slot);
  g_autofree char *cells = r->cell_count ? g_strdup_printf("%d", r->cell_count) : NULL;
  g_autofree char *duration = number_text(r->duration_s);
  const char *heater = r->heater == RUN_HEATER_YES ? "t" : r->heater == RUN_HEATER_NO ? "f"
                                                                                       : NULL;
  const char *values[25] = {
    r->uid, r->station_id ? r->station_id : "", local_id, r->purpose, r->serial, r->model,
    r->fixture_id, slot, r->operator_name, r->order_id, r->chemistry, cells, heater,
    r->profile, r->sequence_name, r->sequence_sha256, r->limits_sha256, r->firmware_sha256,
    r->app_version, r->outcome, r->first_failure, r->message, r->started_at, r->ended_at,
    duration,
  };
  PGresult *result = PQexecParams(factory->conn, SQL, 25, NULL, values, NULL, NULL, 0);
  gboolean ok = PQresultStatus(result) == PGRES_TUPLES_OK;
  if (ok)
    *run_id = PQntuples(result) ? g_ascii_strtoll(PQgetvalue(result, 0, 0), NULL, 10) : 0;
  else
    factory_set_error(factory, error, result, doing);
  PQclear(result);
  return ok;
}

/* Copies the run's steps, measurements, calibrations and instruments under run_id. */
static gboolean copy_children(FactoryDb *factory, const RunDetail *run, gint64 run_id,
                              const char *doing, GError **error)
{
  g_autoptr(GString) steps = g_string_new("");
  g_autoptr(GString) measurements = g_string_new("");
  for (guint i = 0; i < run->steps->len; i++) {
    const StepRow *s = g_ptr_array_index(run->steps, i);
    copy_integer(steps, run_id, FALSE);
    copy_integer(steps, s->id, FALSE);
    copy_integer(steps, s->index, FALSE);
    copy_field(steps, s->group, FALSE);
    copy_field(steps, s->name, FALSE);
    copy_field(steps, s->outcome, FALSE);
    copy_field(steps, s->message, FALSE);
    copy_field(steps, s->started_at, FALSE);
    copy_field(steps, s->ended_at, TRUE);
    for (guint j = 0; j < s->measurements->len; j++) {
      const MeasurementRow *m = g_ptr_array_index(s->measurements, j);
      copy_integer(measurements, run_id, FALSE);
      copy_integer(measurements, s->id, FALSE);
      copy_field(measurements, m->name, FALSE);
      copy_field(measurements, m->unit ? m->unit : "", FALSE);
      copy_number(measurements, m->value, FALSE);
      copy_field(measurements, m->text, FALSE);
      copy_number(measurements, m->low, FALSE);
      copy_number(measurements, m->high, FALSE);
      copy_field(measurements, m->comparison, FALSE);
      copy_field(measurements, m->expected, FALSE);
      copy_field(measurements, m->outcome, FALSE);
      copy_field(measurements, m->taken_at, TRUE);
    }
  }
  g_autoptr(GString) calibrations = g_string_new("");
  for (guint i = 0; i < run->calibrations->len; i++) {
    const CalibrationRow *c = g_ptr_array_index(run->calibrations, i);
    copy_integer(calibrations, run_id, FALSE);
    if (c->step_id > 0)
      copy_integer(calibrations, c->step_id, FALSE);
    else
      copy_field(calibrations, NULL, FALSE);
    copy_field(calibrations, c->kind, FALSE);
    copy_field(calibrations, c->unit, FALSE);
    copy_number(calibrations, c->reference, FALSE);
    copy_number(calibrations, c->reading_before, FALSE);
    copy_number(calibrations, c->reading_after, FALSE);
    copy_number(calibrations, c->factor, FALSE);
    copy_field(calibrations, c->outcome, FALSE);
    copy_field(calibrations, c->taken_at, TRUE);
  }
  g_autoptr(GString) instruments = g_string_new("");
  for (guint i = 0; i < run->instruments->len; i++) {
    const RunInstrumentRow *instrument = g_ptr_array_index(run->instruments, i);
    copy_integer(instruments, run_id, FALSE);
    copy_field(instruments, instrument->role, FALSE);
    copy_field(instruments, instrument->driver, FALSE);
    copy_field(instruments, instrument->resource, FALSE);
    copy_field(instruments, instrument->cal_due, TRUE);
  }
  return copy_rows(factory, "steps (run_id, step_no, idx, grp, name, outcome, message, "
                   "started_at, ended_at)", steps, doing, error) &&
         copy_rows(factory, "measurements (run_id, step_no, name, unit, value, text, low, "
                   "high, comparison, expected, outcome, taken_at)", measurements, doing,
                   error) &&
         copy_rows(factory, "calibrations (run_id, step_no, kind, unit, reference, "
                   "reading_before, reading_after, factor, outcome, taken_at)", calibrations,
                   doing, error) &&
         copy_rows(factory, "run_instruments (run_id, role, driver, resource, cal_due)",
                   instruments, doing, error);
}

gboolean factory_ship_run(FactoryDb *factory, const RunDetail *run, gboolean *already,
                          GError **error)
{
  g_return_val_if_fail(factory != NULL && run != NULL, FALSE);
  g_autofree char *doing = g_strdup_printf("shipping run %" G_GINT64_FORMAT " (%s) of board "
                                           "'%s'", run->run.id, run->run.uid ? run->run.uid
                                                                             : "no uid",
                                           run->run.serial);
  if (run->run.uid == NULL || g_str_equal(run->run.outcome, "RUNNING")) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_REJECTED, "%s: %s", doing,
                run->run.uid ? "the run has not ended" : "the run has no uid");
    return FALSE;
  }
  gint64 run_id = 0;
  gboolean ok = factory_exec(factory, "BEGIN", doing, error) &&
                insert_run(factory, &run->run, &run_id, doing, error) &&
                (run_id == 0 || copy_children(factory, run, run_id, doing, error)) &&
                factory_exec(factory, "COMMIT", doing, error);
  if (!ok) {
    if (factory_connected(factory))
      PQclear(PQexec(factory->conn, "ROLLBACK"));
    return FALSE;
  }
  if (already)
    *already = run_id == 0;
  return TRUE;
}
