/* The shift start's golden-board rule (golden_rule.h). */
#include "station/golden_rule.h"
#include "station/station_error.h"
#include "fixtures/fixture.h"
#include <math.h>
#include <string.h>

/* How many drifted measurements a failed check names. */
#define NAMED_DRIFTS 3

gboolean golden_policy_from_string(const char *text, GoldenPolicy *out)
{
  static const char *const NAMES[] = {"registered", "required", "off"};
  for (guint i = 0; i < G_N_ELEMENTS(NAMES); i++)
    if (g_strcmp0(text, NAMES[i]) == 0) {
      *out = (GoldenPolicy)i;
      return TRUE;
    }
  return FALSE;
}

/* A time, found by polling (golden_rule.h: not compared with its reference). */
static gboolean is_time(const MeasurementRow *m)
{
  static const char *const UNITS[] = {"s", "ms", "us", "µs"};
  for (guint i = 0; m->unit && i < G_N_ELEMENTS(UNITS); i++)
    if (strcmp(m->unit, UNITS[i]) == 0)
      return TRUE;
  return FALSE;
}

/* A measurement with a band to compare a drift with: a number between two limits, not a
 * time. */
static gboolean has_band(const MeasurementRow *m)
{
  return !is_time(m) && isfinite(m->value) && isfinite(m->low) && isfinite(m->high) &&
         m->high > m->low && m->comparison &&
         (strcmp(m->comparison, "GELE") == 0 || strcmp(m->comparison, "GTLT") == 0);
}

/* The run's measurements with a band by "step/name" (borrowed MeasurementRow*). */
static GHashTable *banded_measurements(const RunDetail *run)
{
  GHashTable *by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint s = 0; s < run->steps->len; s++) {
    const StepRow *step = g_ptr_array_index(run->steps, s);
    for (guint i = 0; step->measurements && i < step->measurements->len; i++) {
      const MeasurementRow *m = g_ptr_array_index(step->measurements, i);
      if (has_band(m))
        g_hash_table_insert(by_key, g_strdup_printf("%s/%s", step->name, m->name), (gpointer)m);
    }
  }
  return by_key;
}

/* A known good board that passed, against its reference run. */
static gboolean judge_against_reference(const RunDetail *run, const RunDetail *reference,
                                        char **reason)
{
  g_autoptr(GHashTable) now = banded_measurements(run);
  g_autoptr(GHashTable) before = banded_measurements(reference);
  g_autoptr(GString) drifts = g_string_new(NULL);
  int compared = 0, drifted = 0;
  GHashTableIter iter;
  gpointer key, value;
  g_hash_table_iter_init(&iter, now);
  while (g_hash_table_iter_next(&iter, &key, &value)) {
    const MeasurementRow *m = value, *r = g_hash_table_lookup(before, key);
    if (!r)
      continue;
    compared++;
    double tolerance = GOLDEN_TOLERANCE_OF_BAND * (m->high - m->low);
    if (fabs(m->value - r->value) <= tolerance)
      continue;
    if (++drifted <= NAMED_DRIFTS)
      g_string_append_printf(drifts, "%s%s %.6g %s where the reference read %.6g (tolerance "
                             "±%.3g)", drifted > 1 ? "; " : "", m->name, m->value,
                             m->unit ? m->unit : "", r->value, tolerance);
  }
  if (compared == 0) {
    *reason = g_strdup_printf("passed, but none of its measurements is in its reference run "
                              "%" G_GINT64_FORMAT " to compare with", reference->run.id);
    return FALSE;
  }
  if (drifted) {
    *reason = g_strdup_printf("%d of %d measurements moved from the reference run %"
                              G_GINT64_FORMAT " by more than %.0f %% of their band: %s%s",
                              drifted, compared, reference->run.id,
                              100 * GOLDEN_TOLERANCE_OF_BAND, drifts->str,
                              drifted > NAMED_DRIFTS ? "; ..." : "");
    return FALSE;
  }
  *reason = g_strdup_printf("passed, all %d measurements within %.0f %% of their band of the "
                            "reference run %" G_GINT64_FORMAT, compared,
                            100 * GOLDEN_TOLERANCE_OF_BAND, reference->run.id);
  return TRUE;
}

gboolean golden_judge(const char *expect, Outcome outcome, const char *first_failure,
                      const char *message, const RunDetail *run, const RunDetail *reference,
                      char **reason)
{
  gboolean bad = g_strcmp0(expect, "fail") == 0;
  const char *why = message ? message : "no reason given";
  if (outcome != OUTCOME_PASS && outcome != OUTCOME_FAIL) {
    *reason = g_strdup_printf("the run ended %s, so the fixture could not show it tests: %s",
                              outcome_name(outcome), why);
    return FALSE;
  }
  if (bad) {
    *reason = outcome == OUTCOME_FAIL
        ? g_strdup_printf("the known bad board failed as expected, at %s",
                          first_failure ? first_failure : "a step")
        : g_strdup("the known bad board passed: the fixture no longer catches its defect");
    return outcome == OUTCOME_FAIL;
  }
  if (outcome == OUTCOME_FAIL) {
    *reason = g_strdup_printf("the known good board failed at %s: %s",
                              first_failure ? first_failure : "a step", why);
    return FALSE;
  }
  if (!reference) {
    *reason = g_strdup("passed; the board had no reference values, this run gives them to "
                       "the next checks");
    return TRUE;
  }
  return judge_against_reference(run, reference, reason);
}

static const GoldenCheckRow *check_of(const GPtrArray *checks, const char *serial)
{
  for (guint i = 0; checks && i < checks->len; i++) {
    const GoldenCheckRow *check = g_ptr_array_index(checks, i);
    if (g_strcmp0(check->serial, serial) == 0)
      return check;
  }
  return NULL;
}

/* "station golden check --serial A --fixture F and station golden check --serial B ..." */
static void append_commands(GString *out, const GPtrArray *serials, const char *fixture_path)
{
  for (guint i = 0; i < serials->len; i++)
    g_string_append_printf(out, "%sstation golden check --serial %s --fixture %s",
                           i == 0 ? "" : i + 1 == serials->len ? " and " : ", ",
                           (const char *)g_ptr_array_index(serials, i), fixture_path);
}

gboolean golden_gate(GoldenPolicy policy, const char *fixture_id, const char *fixture_path,
                     const Shift *shift, const GPtrArray *boards, const GPtrArray *checks,
                     GError **error)
{
  if (policy == GOLDEN_POLICY_OFF)
    return TRUE;
  g_autofree char *when = shift_describe(shift);
  if (!boards || boards->len == 0) {
    if (policy == GOLDEN_POLICY_REGISTERED)
      return TRUE;
    g_set_error(error, STATION_ERROR, STATION_ERROR_SHIFT_START,
                "fixture %s has no golden board, and this station tests production boards "
                "only after the shift's golden check (%s): an engineer registers one with "
                "station golden add SERIAL --expect pass --fixture %s, then runs station "
                "golden check --serial SERIAL --fixture %s", fixture_id, when, fixture_id,
                fixture_path);
    return FALSE;
  }
  g_autoptr(GPtrArray) missing = g_ptr_array_new();
  for (guint i = 0; i < boards->len; i++) {
    const GoldenBoardRow *board = g_ptr_array_index(boards, i);
    const GoldenCheckRow *check = check_of(checks, board->serial);
    if (!check) {
      g_ptr_array_add(missing, board->serial);
      continue;
    }
    if (g_strcmp0(check->outcome, "PASS") == 0)
      continue;
    g_autoptr(GPtrArray) again = g_ptr_array_new();
    g_ptr_array_add(again, board->serial);
    g_autoptr(GString) command = g_string_new(NULL);
    append_commands(command, again, fixture_path);
    g_set_error(error, STATION_ERROR, STATION_ERROR_SHIFT_START,
                "the golden check of fixture %s failed in %s (%s: %s): have the fixture "
                "looked at, then run %s", fixture_id, when, board->serial,
                check->reason ? check->reason : "no reason stored", command->str);
    return FALSE;
  }
  if (missing->len == 0)
    return TRUE;
  g_autoptr(GString) commands = g_string_new(NULL);
  append_commands(commands, missing, fixture_path);
  g_set_error(error, STATION_ERROR, STATION_ERROR_SHIFT_START,
              "fixture %s has no golden check for %s: run %s before testing production boards",
              fixture_id, when, commands->str);
  return FALSE;
}

gboolean golden_gate_from_store(Store *store, GoldenPolicy policy, const char *fixture_id,
                                const char *fixture_path, const Shift *shift,
                                gboolean *needed, GError **error)
{
  if (needed)
    *needed = FALSE;
  if (policy == GOLDEN_POLICY_OFF)
    return TRUE;
  g_autoptr(GPtrArray) boards = store_golden_list(store, fixture_id, error);
  if (!boards)
    return FALSE;
  if (needed)
    *needed = boards->len > 0 || policy == GOLDEN_POLICY_REQUIRED;
  g_autoptr(GPtrArray) checks = boards->len == 0 ? NULL
      : store_golden_latest_checks(store, fixture_id, shift->day, shift->number, error);
  if (boards->len > 0 && !checks)
    return FALSE;
  return golden_gate(policy, fixture_id, fixture_path, shift, boards, checks, error);
}

char *golden_status_line(const char *db_path, GoldenPolicy policy, const char *fixture_path,
                         int slot)
{
  g_autoptr(GError) error = NULL;
  Fixture *fixture = fixture_load_slot(fixture_path, slot, &error);
  if (!fixture)
    return NULL;              /* the run says what is wrong with the file */
  g_autoptr(Store) store = store_open(db_path, &error);
  Shift shift = shift_now();
  gboolean needed = FALSE;
  char *line = NULL;
  if (!store)
    line = g_strdup_printf("Golden check: %s", error->message);
  else if (!golden_gate_from_store(store, policy, fixture->id, fixture->path, &shift, &needed,
                                   &error))
    line = g_strdup_printf("Golden check: %s.", error->message);
  else if (needed)
    line = g_strdup_printf("Golden check: passed for shift %d of %s.", shift.number, shift.day);
  fixture_close(fixture);
  return line;
}
