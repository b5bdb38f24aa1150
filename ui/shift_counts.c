/* The shift's counts from the store's run list (see shift_counts.h). */
#include "ui/shift_counts.h"
#include "db/store.h"
#include <math.h>

#define RECENT_RUNS 2000

/* A production test: flash runs (rework) are neither counted nor a cycle to compare with. */
static gboolean is_eol(const RunRow *r)
{
  return !r->purpose || g_str_equal(r->purpose, "eol");
}

static GPtrArray *recent_runs(const char *db_path, GError **error)
{
  g_autoptr(Store) store = store_open(db_path, error);
  if (!store)
    return NULL;
  return store_list_runs(store, RECENT_RUNS, NULL, error);
}

gboolean shift_counts_load(const char *db_path, ShiftCounts *out, GError **error)
{
  *out = (ShiftCounts){0};
  g_autoptr(GPtrArray) runs = recent_runs(db_path, error);
  if (!runs)
    return FALSE;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *today = g_date_time_format(now, "%Y-%m-%d");
  g_autoptr(GHashTable) first = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = runs->len; i-- > 0;) {   /* oldest first: the first run of a board wins */
    const RunRow *r = runs->pdata[i];
    if (!is_eol(r) || !r->started_at || !g_str_has_prefix(r->started_at, today) ||
        !r->outcome)
      continue;
    out->runs++;
    if (g_str_equal(r->outcome, "PASS")) out->pass++;
    else if (g_str_equal(r->outcome, "FAIL")) out->fail++;
    else out->other++;
    if (!g_hash_table_contains(first, r->serial)) {
      g_hash_table_insert(first, r->serial, r->outcome);
      out->boards++;
      if (g_str_equal(r->outcome, "PASS"))
        out->first_pass++;
    }
  }
  return TRUE;
}

char *shift_counts_describe(const ShiftCounts *c)
{
  if (c->boards == 0)
    return g_strdup("Shift: no board tested yet today.");
  return g_strdup_printf("Shift: %d run%s · %d PASS · %d FAIL · %d other · first-pass yield "
                         "%.0f %% of %d board%s", c->runs, c->runs == 1 ? "" : "s", c->pass,
                         c->fail, c->other, 100.0 * c->first_pass / c->boards, c->boards,
                         c->boards == 1 ? "" : "s");
}

double shift_counts_expected_cycle(const char *db_path, const char *model)
{
  g_autoptr(GPtrArray) runs = recent_runs(db_path, NULL);
  if (!runs)
    return 0;
  double sum = 0;
  int n = 0;
  for (guint i = 0; i < runs->len && n < 20; i++) {
    const RunRow *r = runs->pdata[i];
    if (is_eol(r) && r->outcome && g_str_equal(r->outcome, "PASS") &&
        g_strcmp0(r->model, model) == 0 && isfinite(r->duration_s)) {
      sum += r->duration_s;
      n++;
    }
  }
  return n ? sum / n : 0;
}
