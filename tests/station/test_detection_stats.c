/* The statistics of detection curves: the Wilson score interval against known values
 * (4 decimals), and where a curve crosses a level, interpolated between measured sizes. */
#include "station/detection_stats.h"
#include "station/detection_curve.h"
#include "tests/cunit_main.h"

#include <math.h>

#define ASSERT_4(actual, expected) CU_ASSERT_DOUBLE_EQUAL(actual, expected, 0.00005)

/* The interval of detected out of boards at 95 %, to 4 decimals. */
static void assert_wilson(int detected, int boards, double low, double high)
{
  double l, h;
  detection_wilson(detected, boards, DETECTION_Z95, &l, &h);
  ASSERT_4(l, low);
  ASSERT_4(h, high);
}

static void test_wilson(void)
{
  assert_wilson(5, 10, 0.2366, 0.7634);
  assert_wilson(0, 10, 0.0, 0.2775);
  assert_wilson(10, 10, 0.7225, 1.0);
  /* Narrower with more boards, still around the share detected. */
  assert_wilson(50, 100, 0.4038, 0.5962);
  assert_wilson(1, 1, 0.2065, 1.0);
  /* At none and all detected the interval ends exactly at 0 and 1. */
  double low, high;
  detection_wilson(0, 7, DETECTION_Z95, &low, &high);
  CU_ASSERT_EQUAL(low, 0.0);
  detection_wilson(7, 7, DETECTION_Z95, &low, &high);
  CU_ASSERT_EQUAL(high, 1.0);
}

static void test_crossing_between(void)
{
  const double sizes[] = {2, 3, 4, 5, 6};
  const double p[] = {0, 0.2, 0.6, 0.9, 1.0};
  double size = 0;
  CU_ASSERT_EQUAL(detection_crossing(sizes, p, 5, 0.5, &size), CROSSING_BETWEEN);
  ASSERT_4(size, 3.75);         /* 0.2 at 3, 0.6 at 4: 0.5 three quarters of the way */
  CU_ASSERT_EQUAL(detection_crossing(sizes, p, 5, 0.95, &size), CROSSING_BETWEEN);
  ASSERT_4(size, 5.5);
  /* Exactly at a measured point: that point's size. */
  CU_ASSERT_EQUAL(detection_crossing(sizes, p, 5, 0.6, &size), CROSSING_BETWEEN);
  ASSERT_4(size, 4.0);
}

static void test_crossing_after_a_dip(void)
{
  /* Up past 50 %, down below it again, up for good: the crossing is the last one. */
  const double sizes[] = {1, 2, 3, 4};
  const double p[] = {0, 0.6, 0.4, 1.0};
  double size = 0;
  CU_ASSERT_EQUAL(detection_crossing(sizes, p, 4, 0.5, &size), CROSSING_BETWEEN);
  ASSERT_4(size, 3.1667);
}

static void test_crossing_outside(void)
{
  const double sizes[] = {10, 20, 30};
  const double all[] = {1, 1, 1}, none[] = {0, 0.3, 0.94};
  double size = 0;
  CU_ASSERT_EQUAL(detection_crossing(sizes, all, 3, 0.5, &size), CROSSING_AT_FIRST);
  ASSERT_4(size, 10);
  CU_ASSERT_EQUAL(detection_crossing(sizes, none, 3, 0.95, &size), CROSSING_NOT_REACHED);
  ASSERT_4(size, 30);
  CU_ASSERT_EQUAL(detection_crossing(sizes, none, 3, 0.5, &size), CROSSING_BETWEEN);
  ASSERT_4(size, 23.1250);
}

static void test_scales(void)
{
  /* Every defect with a scale goes from harmless through its limit to gross; whole defects
   * have none. */
  const char *const *names = detection_curve_defects();
  CU_ASSERT_PTR_NOT_NULL_FATAL(names[0]);
  for (const char *const *n = names; *n; n++) {
    const CurveScale *s = detection_curve_scale(*n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_TRUE(s->harmless < s->limit && s->limit < s->gross);
    CU_ASSERT_TRUE(validate_fault_has_size(*n));
  }
  CU_ASSERT_PTR_NULL(detection_curve_scale("chg-fet-short"));
  CU_ASSERT_FALSE(validate_fault_has_size("chg-fet-short"));
  CU_ASSERT_PTR_NOT_NULL(detection_curve_scale("cell-offset"));
}

int main(void)
{
  CU_initialize_registry();
  CU_pSuite suite = CU_add_suite("detection_stats", NULL, NULL);
  CU_add_test(suite, "Wilson score interval", test_wilson);
  CU_add_test(suite, "crossing between measured sizes", test_crossing_between);
  CU_add_test(suite, "crossing after a dip below the level", test_crossing_after_a_dip);
  CU_add_test(suite, "crossing at the first size or never", test_crossing_outside);
  CU_add_test(suite, "every scale runs harmless < limit < gross", test_scales);
  return cunit_run_all();
}
