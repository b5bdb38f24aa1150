/* Choosing the heater load of a run (heater_load.h). */
#include "station/heater_load.h"
#include "fixtures/fixture.h"
#include "fixtures/fixture_error.h"
#include "station/station_error.h"
#include <math.h>

/* The switch unit's group of the fixture file, where the bank is declared. */
#define BANK_GROUP "switch"

/* [heater] key as a number; limit_types has checked it is one. */
static gboolean heater_limit(const LimitTable *limits, const char *key, double *out,
                             GError **error)
{
  const char *text = limit_table_get(limits, "heater", key);
  char *end = NULL;
  *out = text ? g_ascii_strtod(text, &end) : NAN;
  if (!text || end == text || !isfinite(*out)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS,
                "the limits for model %s have no number [heater] %s, which the heater load "
                "is chosen with", limits->model, key);
    return FALSE;
  }
  return TRUE;
}

gboolean heater_load_for_order(const Fixture *fixture, const ModelInfo *model,
                               Chemistry chemistry, int cell_count, const LimitTable *limits,
                               HeaterLoad *out, GError **error)
{
  g_autofree char *cell_key = g_strdup_printf("cell_max_%s_v", chemistry_key(chemistry));
  double cell_max_v, max_a, max_w;
  if (!heater_limit(limits, cell_key, &cell_max_v, error) ||
      !heater_limit(limits, "max_a", &max_a, error) ||
      !heater_limit(limits, "max_w", &max_w, error))
    return FALSE;
  HeaterBank bank;
  if (!heater_bank_read(fixture, BANK_GROUP, &bank, error))
    return FALSE;
  double volts = cell_count * cell_max_v;
  const HeaterLoad *load = heater_bank_choose(&bank, volts, max_a, max_w);
  if (load) {
    *out = *load;
    return TRUE;
  }
  g_autoptr(GString) have = g_string_new(NULL);
  for (int i = 0; i < bank.count; i++)
    g_string_append_printf(have, "%s%.2f", i ? ", " : "", bank.loads[i].ohm);
  g_string_append(have, bank.count ? " Ohm" : "no load");
  g_set_error(error, FIXTURE_ERROR, FIXTURE_ERROR_CONFIG,
              "%s has no heater load for model %s: at %.1f V (%d cells x %.2f V %s) the heater "
              "needs a load of at least %.1f Ohm to stay within %.1f A and %.0f W, and the "
              "bank [%s] heater_load_<n> has %s", fixture->path, model->name, volts, cell_count,
              cell_max_v, chemistry_name(chemistry), heater_bank_min_ohm(volts, max_a, max_w),
              max_a, max_w, BANK_GROUP, have->str);
  return FALSE;
}
