/* Running the cycle-time plan of a model on the twin. */
#include "station/plan.h"
#include "station/station_error.h"
#include "station/scratch_line.h"
#include "fixtures/fixture.h"
#include <math.h>
#include <string.h>

double step_timing_link_s(const StepTiming *timing)
{
  return isnan(timing->clock_s) ? 0 : MAX(0.0, timing->clock_s - timing->wait_s);
}

double step_timing_bound_s(const StepTiming *timing)
{
  return isnan(timing->clock_s) ? 0 : timing->required_s + step_timing_link_s(timing);
}

double plan_overlapping_bound_s(const PlanResult *plan, const StepTiming *timing)
{
  double sum = 0;
  for (guint i = 0; i < plan->steps->len; i++) {
    const StepTiming *t = &g_array_index(plan->steps, StepTiming, i);
    if (t->overlapped && g_str_equal(t->overlapped, timing->name))
      sum += step_timing_bound_s(t);
  }
  return sum;
}

static gint by_index(gconstpointer a, gconstpointer b)
{
  return ((const StepTiming *)a)->index - ((const StepTiming *)b)->index;
}

void plan_result_clear(PlanResult *result)
{
  g_clear_pointer(&result->model, g_free);
  g_clear_pointer(&result->message, g_free);
  g_clear_pointer(&result->steps, g_array_unref);
  g_clear_pointer(&result->plan_path, g_free);
}

gboolean plan_run(const Catalog *catalog, const char *fixture_path, const ModelInfo *model,
                  const RunRequest *what, PlanResult *out, GError **error)
{
  memset(out, 0, sizeof *out);
  /* The twin is started (or found) once here; the run below finds it running. */
  g_autoptr(Fixture) fixture = fixture_load(fixture_path, error);
  if (!fixture)
    return FALSE;
  if (!fixture_is_simulated(fixture)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                "%s has no [twin] group: the plan is measured on the twin in virtual time",
                fixture_path);
    return FALSE;
  }
  g_autofree char *serial = g_strdup_printf("%s-2601-99999", model->name);
  if (!fixture_connect(fixture, error) || !fixture_set_virtual_clock(fixture, TRUE, error) ||
      !fixture_insert_board(fixture, serial, NULL, error))
    return FALSE;

  ScratchLine line;
  if (!scratch_line_open(&line, catalog, NULL, error))
    return FALSE;
  g_autoptr(Engine) engine = engine_new(catalog, line.store);
  RunRequest request = {.fixture = fixture, .serial = serial, .operator_name = "plan",
                        .trusted_keys_dir = line.trusted_keys_dir, .save_plan = TRUE};
  if (what) {
    request.chemistry = what->chemistry;
    request.cells = what->cells;
    request.heater = what->heater;
    request.profile = what->profile;
    request.sequence_path = what->sequence_path;
    request.limits_path = what->limits_path;
    request.plan_dir = what->plan_dir;
  }
  RunResult result;
  gboolean ran = engine_run(engine, &request, &result, error);
  g_clear_pointer(&engine, engine_free);
  scratch_line_close(&line);
  if (!ran)
    return FALSE;
  out->model = g_strdup(model->name);
  out->outcome = result.outcome;
  out->message = g_strdup(result.message);
  out->wall_s = result.duration_s;
  out->steps = g_steal_pointer(&result.timings);
  out->plan_path = g_steal_pointer(&result.plan_path);
  g_array_sort(out->steps, by_index);
  double overlapped = 0;
  for (guint i = 0; i < out->steps->len; i++) {
    const StepTiming *t = &g_array_index(out->steps, StepTiming, i);
    if (isnan(t->clock_s))
      continue;
    out->serial_bound_s += step_timing_bound_s(t);
    out->expected_s += t->clock_s - t->overlap_saved_s;
    if (t->overlap_wait_s > 0)
      overlapped += MIN(t->overlap_tail_bound_s, plan_overlapping_bound_s(out, t));
  }
  out->bound_s = out->serial_bound_s - overlapped;
  run_result_clear(&result);
  return TRUE;
}
