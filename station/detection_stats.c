/* Wilson score interval and crossing interpolation of detection curves (see
 * detection_stats.h). */
#include "station/detection_stats.h"
#include <math.h>

void detection_wilson(int detected, int boards, double z, double *low, double *high)
{
  double n = boards, p = (double)detected / n, z2 = z * z;
  double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  double half = z / (1 + z2 / n) * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  /* At 0 and n detected the interval ends exactly at 0 and 1; rounding must not move it. */
  *low = detected == 0 ? 0.0 : MAX(0.0, centre - half);
  *high = detected == boards ? 1.0 : MIN(1.0, centre + half);
}

CrossingKind detection_crossing(const double *sizes, const double *probabilities, int n,
                                double level, double *size)
{
  int below = -1;               /* the last point below the level */
  for (int i = 0; i < n; i++)
    if (probabilities[i] < level)
      below = i;
  if (below < 0) {
    *size = sizes[0];
    return CROSSING_AT_FIRST;
  }
  if (below == n - 1) {
    *size = sizes[n - 1];
    return CROSSING_NOT_REACHED;
  }
  double p0 = probabilities[below], p1 = probabilities[below + 1];
  double s0 = sizes[below], s1 = sizes[below + 1];
  *size = s0 + (level - p0) * (s1 - s0) / (p1 - p0);
  return CROSSING_BETWEEN;
}
