/* Shared ending of every CUnit test program: run the registered suites verbosely and exit
 * non-zero when any test, assertion or suite set-up failed, so meson sees every failure. */
#pragma once
#include <CUnit/Basic.h>

static inline int cunit_run_all(void)
{
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed_tests = CU_get_number_of_tests_failed();
  unsigned failed_suites = CU_get_number_of_suites_failed();
  unsigned ran = CU_get_number_of_tests_run();
  CU_ErrorCode status = CU_get_error();
  CU_cleanup_registry();
  return (failed_tests || failed_suites || status != CUE_SUCCESS || ran == 0) ? 1 : 0;
}
