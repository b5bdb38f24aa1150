/* The engine's hold of the fixture's shared instruments, per step (shared_hold.h). */
#include "station/shared_hold.h"
#include "fixtures/fixture_shared.h"

struct SharedSums {
  guint count;                   /* fixture->instruments->len */
  double *wait_s;                /* s waited for each instrument (by its index), owned */
  double *hold_s;                /* s held */
  gint64 *since_us;              /* monotonic µs it was taken; 0: not held */
};

gboolean shared_hold_any(const Run *run)
{
  for (guint i = 0; run->fixture && i < run->fixture->instruments->len; i++)
    if (((FixtureInstrument *)g_ptr_array_index(run->fixture->instruments, i))->shared)
      return TRUE;
  return FALSE;
}

static SharedSums *sums_of(Run *run)
{
  if (!run->shared) {
    guint count = run->fixture->instruments->len;
    run->shared = g_new0(SharedSums, 1);
    run->shared->count = count;
    run->shared->wait_s = g_new0(double, count);
    run->shared->hold_s = g_new0(double, count);
    run->shared->since_us = g_new0(gint64, count);
  }
  return run->shared;
}

/* The wait goes on unless the operator aborts (the teardown always waits: the slot must be
 * made safe). */
static gboolean keep_waiting(gpointer data)
{
  Run *run = data;
  return run->in_teardown || !run_abort_requested(run);
}

static gboolean uses(const char *const *roles, const char *role)
{
  return !roles || g_strv_contains(roles, role);
}

gboolean shared_hold_take(Run *run, const char *const *roles, GError **error)
{
  if (!shared_hold_any(run))
    return TRUE;
  SharedSums *sums = sums_of(run);
  /* fixture->instruments is in the role table's order: the one order every slot takes. */
  for (guint i = 0; i < sums->count; i++) {
    FixtureInstrument *item = g_ptr_array_index(run->fixture->instruments, i);
    if (!item->shared || item->shared_lock || !uses(roles, item->role->name))
      continue;
    double waited = 0;
    if (!fixture_shared_take(run->fixture, item, keep_waiting, run, &waited, error)) {
      shared_hold_release(run, NULL);
      return FALSE;
    }
    sums->wait_s[i] += waited;
    sums->since_us[i] = g_get_monotonic_time();
  }
  return TRUE;
}

gboolean shared_hold_release(Run *run, GError **error)
{
  if (!run->shared)
    return TRUE;
  gboolean ok = TRUE;
  SharedSums *sums = run->shared;
  for (guint i = sums->count; i-- > 0;) {
    FixtureInstrument *item = g_ptr_array_index(run->fixture->instruments, i);
    if (!item->shared_lock)
      continue;
    GError *local = NULL;
    if (!fixture_shared_release(run->fixture, item, &local)) {
      if (ok)
        g_propagate_error(error, local);
      else
        g_error_free(local);
      ok = FALSE;
      continue;
    }
    sums->hold_s[i] += (double)(g_get_monotonic_time() - sums->since_us[i]) / G_USEC_PER_SEC;
    sums->since_us[i] = 0;
  }
  return ok;
}

void shared_hold_record(Run *run)
{
  if (!run->shared)
    return;
  double wait = 0, hold = 0;
  for (guint i = 0; i < run->shared->count; i++) {
    const FixtureInstrument *item = g_ptr_array_index(run->fixture->instruments, i);
    if (!item->shared)
      continue;
    wait += run->shared->wait_s[i];
    hold += run->shared->hold_s[i];
    g_autofree char *wait_name = g_strdup_printf("shared_%s_wait_s", item->role->name);
    g_autofree char *hold_name = g_strdup_printf("shared_%s_hold_s", item->role->name);
    run_record(run, measurement_new(wait_name, "s", run->shared->wait_s[i]));
    run_record(run, measurement_new(hold_name, "s", run->shared->hold_s[i]));
  }
  run_record(run, measurement_new("shared_instrument_wait_s", "s", wait));
  run_record(run, measurement_new("shared_instrument_hold_s", "s", hold));
}

void shared_hold_clear(Run *run)
{
  if (!run->shared)
    return;
  g_free(run->shared->wait_s);
  g_free(run->shared->hold_s);
  g_free(run->shared->since_us);
  g_clear_pointer(&run->shared, g_free);
}
