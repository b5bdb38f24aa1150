/* The spread table of validation: per-cell names pooled, n / mean / σ right, and the flag
 * that says a limited measurement shows no spread over good boards, but not for exact
 * read-backs, counts or measurements without limits. */
#include "station/spread.h"
#include "tests/cunit_main.h"

#include <math.h>

static void add(SpreadTable *t, const char *name, const char *unit, double value, double low,
                double high)
{
  g_autoptr(Measurement) m = measurement_new(name, unit, value);
  m->low = low;
  m->high = high;
  m->comparison = COMPARE_GELE;
  spread_table_add(t, m);
}

static const SpreadRow *row(SpreadTable *t, const char *name)
{
  GArray *rows = spread_table_rows(t);
  for (guint i = 0; i < rows->len; i++)
    if (g_str_equal(g_array_index(rows, SpreadRow, i).name, name))
      return &g_array_index(rows, SpreadRow, i);
  return NULL;
}

static void test_family_names(void)
{
  g_autofree char *a = spread_family("cell_07_error_at_3.300V");
  g_autofree char *b = spread_family("cell_12_ovp_trip");
  g_autofree char *c = spread_family("t1_temperature");
  CU_ASSERT_STRING_EQUAL(a, "cell_NN_error_at_3.300V");
  CU_ASSERT_STRING_EQUAL(b, "cell_NN_ovp_trip");
  CU_ASSERT_STRING_EQUAL(c, "t1_temperature");
}

static void test_statistics_and_flags(void)
{
  g_autoptr(SpreadTable) t = spread_table_new();
  /* Two cells of two boards pool into one family: 1, 2, 3, 4 mV. */
  add(t, "cell_01_error", "mV", 1, -5, 5);
  add(t, "cell_02_error", "mV", 2, -5, 5);
  add(t, "cell_01_error", "mV", 3, -5, 5);
  add(t, "cell_02_error", "mV", 4, -5, 5);
  const SpreadRow *r = row(t, "cell_NN_error");
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_EQUAL(r->n, 4);
  CU_ASSERT_DOUBLE_EQUAL(r->mean, 2.5, 1e-12);
  CU_ASSERT_DOUBLE_EQUAL(r->sigma, sqrt(5.0 / 3.0), 1e-12);
  CU_ASSERT_FALSE(r->no_spread);

  /* A set temperature read back as a measurement: limited, constant, flagged. */
  add(t, "t1_temperature", "degC", 25, 20, 30);
  add(t, "t1_temperature", "degC", 25, 20, 30);
  CU_ASSERT_TRUE(row(t, "t1_temperature")->no_spread);
  /* A delay that is the station's own poll period (σ of 0.2 ppm): flagged. */
  add(t, "charge_otp_delay", "s", 0.042572, 0, 0.3);
  add(t, "charge_otp_delay", "s", 0.0425721, 0, 0.3);
  CU_ASSERT_TRUE(row(t, "charge_otp_delay")->no_spread);
  /* Exact read-backs, counts and measurements without limits: never flagged. */
  add(t, "cell_ovp_setting", "mV", 3600, 3600, 3600);
  add(t, "cell_ovp_setting", "mV", 3600, 3600, 3600);
  add(t, "flash_retries", "commands", 0, NAN, 3);
  add(t, "flash_retries", "commands", 0, NAN, 3);
  add(t, "flash_bytes", "B", 20000, NAN, NAN);
  add(t, "flash_bytes", "B", 20000, NAN, NAN);
  CU_ASSERT_FALSE(row(t, "cell_ovp_setting")->no_spread);
  CU_ASSERT_TRUE(row(t, "cell_ovp_setting")->exact);
  CU_ASSERT_FALSE(row(t, "flash_retries")->no_spread);
  CU_ASSERT_FALSE(row(t, "flash_bytes")->no_spread);
  CU_ASSERT_FALSE(row(t, "flash_bytes")->has_limits);
  /* One board says nothing yet. */
  add(t, "short_circuit_delay", "us", 300, 0, 1500);
  CU_ASSERT_FALSE(row(t, "short_circuit_delay")->no_spread);
  CU_ASSERT_EQUAL(spread_table_flagged(t), 2);

  /* Text measurements are not numbers to spread. */
  g_autoptr(Measurement) text = measurement_new_text("hw_version", "V19");
  spread_table_add(t, text);
  CU_ASSERT_PTR_NULL(row(t, "hw_version"));
}

int main(void)
{
  CU_initialize_registry();
  CU_pSuite suite = CU_add_suite("spread", NULL, NULL);
  CU_add_test(suite, "per-cell names pool into families", test_family_names);
  CU_add_test(suite, "n, mean, sigma and the no-spread flag", test_statistics_and_flags);
  return cunit_run_all();
}
