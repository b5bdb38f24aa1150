/* Proves the shared CUnit ending reports failure: this program has one failing test, and
 * meson expects it to exit non-zero (should_fail). If cunit_run_all() ever returned 0 after
 * a failure, every suite in the project would hide its failures, and this test would say so. */
#include "tests/cunit_main.h"

static void test_that_fails(void)
{
  CU_ASSERT_EQUAL(1 + 1, 3);
}

static void test_that_passes(void)
{
  CU_ASSERT_EQUAL(1 + 1, 2);
}

int main(void)
{
  CU_initialize_registry();
  CU_pSuite suite = CU_add_suite("runner", NULL, NULL);
  CU_add_test(suite, "passes", test_that_passes);
  CU_add_test(suite, "fails on purpose", test_that_fails);
  return cunit_run_all();
}
