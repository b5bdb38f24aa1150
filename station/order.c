/* Checking an order against the board's model, and reading order files (order.h). */
#include "station/order.h"
#include "station/station_error.h"
#include <string.h>

static gboolean resolve_cells(const ModelInfo *model, const char *cells, Order *out,
                              GError **error)
{
  CellRange range = model->strings[out->chemistry];
  if (!cells) {
    out->cell_count = range.max;
    return TRUE;
  }
  gint64 count;
  if (!g_ascii_string_to_signed(cells, 10, G_MININT, G_MAXINT, &count, NULL) ||
      count < range.min || count > range.max) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "cell count '%s' does not fit model %s: it takes %d to %d cells in series of "
                "%s (%s)", cells, model->name, range.min, range.max,
                chemistry_name(out->chemistry), chemistry_key(out->chemistry));
    return FALSE;
  }
  out->cell_count = (int)count;
  return TRUE;
}

static gboolean resolve_heater(const ModelInfo *model, const char *heater, Order *out,
                               GError **error)
{
  if (!heater) {
    out->heater = model->heater;
    return TRUE;
  }
  if (!g_str_equal(heater, "yes") && !g_str_equal(heater, "no")) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "heater '%s' is not an option: give yes or no%s", heater,
                model->heater ? "" : " (model has no heater option: only no)");
    return FALSE;
  }
  out->heater = g_str_equal(heater, "yes");
  if (out->heater && !model->heater) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "heater 'yes' does not fit model %s: it has no heater option (only heater no)",
                model->name);
    return FALSE;
  }
  return TRUE;
}

gboolean order_resolve(const ModelInfo *model, const char *chemistry, const char *cells,
                       const char *heater, Order *out, GError **error)
{
  memset(out, 0, sizeof *out);
  const char *text = chemistry ? chemistry : "lfp";
  if (!chemistry_from_string(text, &out->chemistry)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "unknown chemistry '%s': use lfp (LiFePO4), liion (Li-ion) or lto (LTO)", text);
    return FALSE;
  }
  return resolve_cells(model, cells, out, error) && resolve_heater(model, heater, out, error);
}

void order_file_clear(OrderFile *file)
{
  g_clear_pointer(&file->id, g_free);
  g_clear_pointer(&file->cells, g_free);
  g_clear_pointer(&file->chemistry, g_free);
  g_clear_pointer(&file->heater, g_free);
  g_clear_pointer(&file->profile, g_free);
}

gboolean order_file_load(const char *path, OrderFile *out, GError **error)
{
  memset(out, 0, sizeof *out);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER, "cannot read the order file %s: %s",
                path, local->message);
    return FALSE;
  }
  static const char *const known[] = {"id", "cells", "chemistry", "heater", "profile", NULL};
  g_auto(GStrv) keys = g_key_file_get_keys(kf, "order", NULL, NULL);
  if (!keys) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "the order file %s has no [order] group", path);
    return FALSE;
  }
  for (char **k = keys; *k; k++) {
    if (!g_strv_contains(known, *k)) {
      g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                  "the order file %s has an unknown key '%s' in [order]: keys are id, cells, "
                  "chemistry, heater, profile", path, *k);
      return FALSE;
    }
  }
  char **fields[] = {&out->id, &out->cells, &out->chemistry, &out->heater, &out->profile};
  for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
    char *value = g_key_file_get_string(kf, "order", known[i], NULL);
    *fields[i] = value ? g_strstrip(value) : NULL;
  }
  return TRUE;
}
