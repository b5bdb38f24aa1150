/* Spread of measurements over good boards (see spread.h). Sums are kept with Welford's
 * update, so σ of thousands of readings near 3.3 V does not lose its digits. */
#include "station/spread.h"

#include <math.h>
#include <string.h>

typedef struct {
  char *name;
  char *unit;
  guint n;
  double mean, m2, min, max;
  gboolean has_limits, exact;
} Family;

struct SpreadTable {
  GHashTable *families;         /* name -> Family */
  GArray *rows;                 /* SpreadRow, rebuilt by spread_table_rows */
};

/* Units of counts: an integer that is the same on every good board is right. */
static const char *const COUNT_UNITS[] = { "commands", "flag", "count", "cells", NULL };

static void family_free(Family *f)
{
  g_free(f->name);
  g_free(f->unit);
  g_free(f);
}

SpreadTable *spread_table_new(void)
{
  SpreadTable *table = g_new0(SpreadTable, 1);
  table->families = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify)family_free);
  table->rows = g_array_new(FALSE, TRUE, sizeof(SpreadRow));
  return table;
}

void spread_table_free(SpreadTable *table)
{
  if (!table)
    return;
  g_hash_table_unref(table->families);
  g_array_unref(table->rows);
  g_free(table);
}

char *spread_family(const char *name)
{
  GString *out = g_string_new(NULL);
  for (const char *p = name; *p;) {
    if (g_str_has_prefix(p, "cell_") && g_ascii_isdigit(p[5])) {
      g_string_append(out, "cell_NN");
      p += 5;
      while (g_ascii_isdigit(*p))
        p++;
      continue;
    }
    g_string_append_c(out, *p++);
  }
  return g_string_free(out, FALSE);
}

static gboolean is_exact(const Measurement *m)
{
  if (m->expected)
    return TRUE;
  if (!isnan(m->low) && !isnan(m->high) && m->low == m->high)
    return TRUE;
  return m->unit && g_strv_contains(COUNT_UNITS, m->unit);
}

void spread_table_add(SpreadTable *table, const Measurement *m)
{
  if (m->text || isnan(m->value))
    return;
  g_autofree char *name = spread_family(m->name);
  Family *f = g_hash_table_lookup(table->families, name);
  if (!f) {
    f = g_new0(Family, 1);
    f->name = g_steal_pointer(&name);
    f->unit = g_strdup(m->unit ? m->unit : "");
    f->min = INFINITY;
    f->max = -INFINITY;
    f->exact = TRUE;
    g_hash_table_insert(table->families, f->name, f);
  }
  f->n++;
  double delta = m->value - f->mean;
  f->mean += delta / f->n;
  f->m2 += delta * (m->value - f->mean);
  f->min = MIN(f->min, m->value);
  f->max = MAX(f->max, m->value);
  f->has_limits |= !isnan(m->low) || !isnan(m->high);
  f->exact &= is_exact(m);
}

static gint by_name(gconstpointer a, gconstpointer b)
{
  return strcmp(((const SpreadRow *)a)->name, ((const SpreadRow *)b)->name);
}

GArray *spread_table_rows(SpreadTable *table)
{
  g_array_set_size(table->rows, 0);
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, table->families);
  while (g_hash_table_iter_next(&iter, NULL, &value)) {
    const Family *f = value;
    SpreadRow row = {
      .name = f->name, .unit = f->unit, .n = f->n, .mean = f->mean,
      .sigma = f->n > 1 ? sqrt(f->m2 / (f->n - 1)) : 0.0, .min = f->min, .max = f->max,
      .has_limits = f->has_limits, .exact = f->exact,
    };
    /* No spread: σ below 10 ppm of the value, which is what a quantity the station fixes
     * itself (its own poll period, a set temperature) shows, whatever rounding adds. */
    row.no_spread = f->has_limits && !f->exact && f->n >= 2 &&
                    (f->max == f->min || row.sigma <= 1e-5 * fabs(row.mean));
    g_array_append_val(table->rows, row);
  }
  g_array_sort(table->rows, by_name);
  return table->rows;
}

guint spread_table_flagged(SpreadTable *table)
{
  GArray *rows = spread_table_rows(table);
  guint flagged = 0;
  for (guint i = 0; i < rows->len; i++)
    flagged += g_array_index(rows, SpreadRow, i).no_spread;
  return flagged;
}
