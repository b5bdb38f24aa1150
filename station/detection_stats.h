/* The statistics of a detection curve: how sure a count of detected boards makes the
 * detection probability (the Wilson score interval), and where a curve of probability
 * against defect size crosses a level (linear interpolation between measured sizes). */
#pragma once
#include <glib.h>

/* z of a two-sided 95 % interval of the normal distribution. */
#define DETECTION_Z95 1.959963984540054

/* The Wilson score interval of `detected` out of `boards` (boards > 0) at z (DETECTION_Z95
 * for 95 %): *low and *high within 0..1, [0, 0.2775] for 0 of 10, [0.7225, 1] for 10 of 10. */
void detection_wilson(int detected, int boards, double z, double *low, double *high);

typedef enum {
  CROSSING_BETWEEN,             /* between two measured sizes, interpolated */
  CROSSING_AT_FIRST,            /* already at the first (smallest) size or below it */
  CROSSING_NOT_REACHED          /* still below the level at the last (largest) size */
} CrossingKind;

/* Where the curve (n points of increasing size with their probabilities 0..1) reaches
 * `level` for good: between the last point below the level and the next one, linearly
 * interpolated, so a dip below the level after a first crossing moves the crossing on to
 * where the curve stays at or above it. *size is that size for CROSSING_BETWEEN, the first
 * size for CROSSING_AT_FIRST and the last for CROSSING_NOT_REACHED. n >= 1. */
CrossingKind detection_crossing(const double *sizes, const double *probabilities, int n,
                                double level, double *size);
