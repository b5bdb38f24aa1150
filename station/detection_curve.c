/* Detection curves (see detection_curve.h): the scales of the defects with a size, and the
 * runs of one defect's boards at every size of its scale through validation. */
#include "station/detection_curve.h"
#include "station/station_error.h"

/* Each scale from the limits (sequences/limits.conf) and the twin's good-board spreads
 * (fixtures/sim/sim_board*.c): harmless is the margin the worst good board leaves to the
 * limit, limit where a board of nominal values reaches it, gross the size that takes the
 * best good board beyond it. */
static const CurveScale scales[] = {
  {"cell-offset", "mV", 2.0, 4.4, 8.0,
   "cell_voltage accuracy 5 mV less its 0.6 mV guard band; a good channel's offset is "
   "within 2 mV, its gain, bow and noise add up to 1.5 mV more"},
  {"vref", "%", 1.0, 3.0, 4.5,
   "voltage_calibration factor 2.91..3.09 (3.000 +-3 %); a good reference is within 1 %"},
  {"noisy-channel", "mVrms", 0.5, 2.0, 6.0,
   "cell_voltage_noise sigma_max 2 mV over 6 readings; a good channel has 0.5 mV rms and "
   "the 1 mV resolution"},
  {"scp-slow", "us", 20, 60, 110,
   "short_circuit late_max 100 us; a good board's latency is 20..60 us, its tick 10 us and "
   "its timer +-1 %"},
  {"shunt", "%", 1.0, 10.0, 22.0,
   "current_calibration factor 0.90..1.10; a good board's current gain is within +-8 %"},
  {"current-offset", "mA", 15, 50, 90,
   "current_calibration offset_max 50 mA; a good amplifier is within +-30 mA, its reading "
   "+-3 mA"},
  {"path-res", "x", 1.15, 1.25, 1.35,
   "path_resistance max_ratio 1.25 of the nominal; a good path is within +-5 %"},
  {"standby-current", "uA", 500, 1500, 2600,
   "supply standby_max 6.5 mA; a good board draws 4.25..5.75 mA held off"},
  {"sleep-current", "uA", 5, 32, 60,
   "sleep max 90 uA (55 uA on 8-tap boards); good boards draw 38..78 uA (28..46 uA)"},
  {"leaky-input", "uA", 0.2, 1.0, 1.7,
   "sleep leak_max 1.5 uA; a good input leaks 0.26..1.06 uA (0.5 uA nominal at 3.3 V), "
   "read to +-0.2 uA"},
};

const CurveScale *detection_curve_scale(const char *defect)
{
  for (guint i = 0; i < G_N_ELEMENTS(scales); i++)
    if (g_str_equal(scales[i].defect, defect))
      return &scales[i];
  return NULL;
}

const char *const *detection_curve_defects(void)
{
  static const char *names[G_N_ELEMENTS(scales) + 1];
  if (!names[0]) {
    guint n = 0;
    for (const char *const *f = validate_fault_names(); *f; f++)
      if (detection_curve_scale(*f))
        names[n++] = *f;
  }
  return names;
}

const char *detection_curve_zone_name(CurveZone zone)
{
  switch (zone) {
  case ZONE_HARMLESS: return "harmless";
  case ZONE_GROSS: return "gross";
  default: return "marginal";
  }
}

void detection_curve_result_clear(CurveResult *result)
{
  g_clear_pointer(&result->points, g_array_unref);
}

/* The point of one size from validation's row of the defect. */
static CurvePoint point_of(double size, CurveZone zone, const ValidateRow *row)
{
  CurvePoint point = {.size = size, .zone = zone, .errors = row->errors,
                      .boards = row->boards - row->errors,
                      .detected = row->caught + row->elsewhere, .at_step = row->caught};
  if (point.boards > 0)
    detection_wilson(point.detected, point.boards, DETECTION_Z95, &point.low, &point.high);
  else
    point.high = 1.0;           /* nothing tested: nothing known */
  return point;
}

gboolean detection_curve_run(const Catalog *catalog, const CurveRequest *request,
                             CurveResult *result, ValidateProgressFunc progress,
                             gpointer user_data, GError **error)
{
  *result = (CurveResult){.scale = detection_curve_scale(request->defect)};
  const CurveScale *scale = result->scale;
  if (!scale || !validate_fault_has_size(request->defect)) {
    g_autofree char *known = g_strjoinv(", ", (char **)detection_curve_defects());
    g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                "defect '%s' has no size to draw a curve of; these have: %s", request->defect,
                known);
    return FALSE;
  }
  g_return_val_if_fail(request->sizes >= 2 && request->boards_per_size >= 1, FALSE);
  const char *faults[] = {request->defect, NULL};
  result->points = g_array_new(FALSE, FALSE, sizeof(CurvePoint));
  for (int i = 0; i < request->sizes; i++) {
    double size = scale->harmless + (scale->gross - scale->harmless) * i / (request->sizes - 1);
    CurveZone zone = i == 0 ? ZONE_HARMLESS : i == request->sizes - 1 ? ZONE_GROSS
                                                                       : ZONE_MARGINAL;
    /* One seed for every size: the same boards, orders, cells and signs each time. */
    ValidateRequest run = {.fixture_path = request->fixture_path,
                           .boards = request->boards_per_size, .seed = request->seed,
                           .faults = faults, .good_share = 0, .size = size};
    g_autoptr(GPtrArray) rows = NULL;
    if (!validate_run(catalog, &run, &rows, progress, user_data, error)) {
      detection_curve_result_clear(result);
      return FALSE;
    }
    /* Row 0 is the good boards' (none here), row 1 the defect's. */
    CurvePoint point = point_of(size, zone, g_ptr_array_index(rows, 1));
    g_array_append_val(result->points, point);
    result->false_fails += zone == ZONE_HARMLESS ? point.detected : 0;
    result->gross_escapes += zone == ZONE_GROSS ? point.boards - point.detected : 0;
    result->errors += point.errors;
  }
  guint n = result->points->len;
  g_autofree double *sizes = g_new(double, n), *probabilities = g_new(double, n);
  for (guint i = 0; i < n; i++) {
    const CurvePoint *p = &g_array_index(result->points, CurvePoint, i);
    sizes[i] = p->size;
    probabilities[i] = p->boards > 0 ? (double)p->detected / p->boards : 0;
  }
  result->kind50 = detection_crossing(sizes, probabilities, (int)n, 0.50, &result->size50);
  result->kind95 = detection_crossing(sizes, probabilities, (int)n, 0.95, &result->size95);
  return TRUE;
}
