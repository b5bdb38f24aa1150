/* station validate --curve DEFECT: prints the detection probability of one defect against
 * its size, with its 95 % interval, and where it crosses 50 % and 95 %. */
#include "station/cli/cli.h"
#include "station/cli/cli_validate_curve.h"
#include "station/station_error.h"
#include <stdio.h>

/* "50 %: 4.213 mV", "50 %: at or below 2.000 mV", "50 %: not reached by 8.000 mV". */
static void print_crossing(int percent, CrossingKind kind, double size, const char *unit)
{
  printf("crossing %d %%: ", percent);
  switch (kind) {
  case CROSSING_BETWEEN: printf("%.3f %s\n", size, unit); break;
  case CROSSING_AT_FIRST: printf("at or below %.3f %s\n", size, unit); break;
  case CROSSING_NOT_REACHED: printf("not reached by %.3f %s\n", size, unit); break;
  }
}

static void print_point(const CurvePoint *p)
{
  printf("%12.3f  %-9s %6d %8d %7d %6.3f  [%.4f, %.4f]", p->size,
         detection_curve_zone_name(p->zone), p->boards, p->detected, p->at_step,
         p->boards > 0 ? (double)p->detected / p->boards : 0.0, p->low, p->high);
  if (p->zone == ZONE_HARMLESS && p->detected > 0)
    printf("  FALSE FAIL: %d boards inside the limits failed", p->detected);
  if (p->zone == ZONE_GROSS && p->detected < p->boards)
    printf("  ESCAPE: %d boards beyond the limits passed", p->boards - p->detected);
  if (p->errors > 0)
    printf("  could not test %d", p->errors);
  printf("\n");
}

int cli_validate_curve(const Catalog *catalog, const CurveRequest *request,
                       ValidateProgressFunc progress)
{
  g_autoptr(GError) error = NULL;
  CurveResult result;
  gint64 start = g_get_monotonic_time();
  if (!detection_curve_run(catalog, request, &result, progress, NULL, &error)) {
    cli_error("%s", error->message);
    return g_error_matches(error, STATION_ERROR, STATION_ERROR_USAGE) ? EXIT_USAGE
                                                                       : EXIT_ERROR;
  }
  double seconds = (double)(g_get_monotonic_time() - start) / G_USEC_PER_SEC;
  const CurveScale *s = result.scale;
  printf("Detection curve of %s (%s): %d sizes x %d boards, seed %u, %.1f s\n", s->defect,
         s->unit, request->sizes, request->boards_per_size, request->seed, seconds);
  printf("limit: %g %s (%s)\n", s->limit, s->unit, s->limit_source);
  printf("harmless up to %g %s (every board must pass), gross from %g %s (every board "
         "must fail)\n\n", s->harmless, s->unit, s->gross, s->unit);
  g_autofree char *size_title = g_strdup_printf("SIZE %s", s->unit);
  printf("%12s  %-9s %6s %8s %7s %6s  %s\n", size_title, "ZONE", "BOARDS", "DETECTED",
         "AT STEP", "P", "95 % INTERVAL");
  for (guint i = 0; i < result.points->len; i++)
    print_point(&g_array_index(result.points, CurvePoint, i));
  printf("\n");
  print_crossing(50, result.kind50, result.size50, s->unit);
  print_crossing(95, result.kind95, result.size95, s->unit);
  printf("false fails at the harmless size: %d, escapes at the gross size: %d, could not "
         "test: %d\n", result.false_fails, result.gross_escapes, result.errors);
  int status = result.false_fails || result.gross_escapes || result.errors ? EXIT_FAIL
                                                                           : EXIT_PASS;
  detection_curve_result_clear(&result);
  return status;
}
