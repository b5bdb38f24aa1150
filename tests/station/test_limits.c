/* Limits resolution: generic layer, model overrides, catalog references, the hash, and the
 * errors a quality engineer gets for a wrong limits file. */
#include "station/limit_table.h"
#include "station/limit_types.h"
#include "station/station_error.h"
#include "tests/cunit_main.h"
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

static Catalog *catalog;
static char *tmpdir;

static char *write_limits(const char *contents)
{
  char *path = g_build_filename(tmpdir, "limits.conf", NULL);
  g_assert(g_file_set_contents(path, contents, -1, NULL));
  return path;
}

static LimitTable *resolve_profile(const char *contents, const char *model,
                                   const char *profile, GError **error)
{
  g_autofree char *path = write_limits(contents);
  const ModelInfo *info = catalog_find(catalog, model, NULL);
  g_assert(info);
  return limits_resolve(path, catalog, info, profile, error);
}

static LimitTable *resolve(const char *contents, const char *model, GError **error)
{
  return resolve_profile(contents, model, NULL, error);
}

static const char *const sample =
    "[heater]\n"
    "# Datasheet: 200 W, 100 W for B2A8S20P.\n"
    "max_power_w = @catalog.heater_max_w?\n"
    "max_current_a = 3.0\n"
    "[balance]\n"
    "current_a = @catalog.balance_a\n"
    "tolerance_pct = 10\n"
    "[balance@B5A25S60P]\n"
    "tolerance_pct = 8\n";

static void test_layers(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LimitTable) b2 = resolve(sample, "B2A8S20P", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b2);
  CU_ASSERT_STRING_EQUAL(limit_table_get(b2, "heater", "max_power_w"), "100");
  CU_ASSERT_STRING_EQUAL(limit_table_get(b2, "balance", "current_a"), "2");
  CU_ASSERT_STRING_EQUAL(limit_table_get(b2, "balance", "tolerance_pct"), "10");

  g_autoptr(LimitTable) b5 = resolve(sample, "B5A25S60P", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b5);
  CU_ASSERT_PTR_NULL(limit_table_get(b5, "heater", "max_power_w")); /* no heater option */
  CU_ASSERT_STRING_EQUAL(limit_table_get(b5, "balance", "current_a"), "5");
  CU_ASSERT_STRING_EQUAL(limit_table_get(b5, "balance", "tolerance_pct"), "8");
  const Limit *l = NULL;
  for (guint i = 0; i < b5->limits->len; i++) {
    l = g_ptr_array_index(b5->limits, i);
    if (g_str_equal(l->key, "tolerance_pct"))
      break;
  }
  CU_ASSERT_EQUAL(l->source, LIMIT_FROM_OVERRIDE);

  g_autoptr(LimitTable) bd4 = resolve(sample, "BD4A8S4P", &error);
  CU_ASSERT_STRING_EQUAL(limit_table_get(bd4, "heater", "max_power_w"), "200");
  /* Different models, different tables, different hashes; same input, same hash. */
  CU_ASSERT_STRING_NOT_EQUAL(b2->sha256, bd4->sha256);
  g_autoptr(LimitTable) again = resolve(sample, "B2A8S20P", &error);
  CU_ASSERT_STRING_EQUAL(b2->sha256, again->sha256);
  CU_ASSERT_EQUAL(strlen(b2->sha256), 64);
}

static const char *const profiled =
    "[production]\n"
    "charge_utp_c = 0\n"
    "cell_ovp_lfp_mv = 3600\n"
    "[production@B2A8S20P]\n"
    "charge_utp_c = 2\n"
    "cell_ovp_lfp_mv = 3550\n"
    "[production:cold]\n"
    "charge_utp_c = 5\n";

/* A profile replaces the keys it names, over the model's overrides; the others stay; the
 * default profile is the file without the layer and hashes as a file without profiles. */
static void test_profiles(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LimitTable) cold = resolve_profile(profiled, "B2A8S20P", "cold", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(cold);
  CU_ASSERT_STRING_EQUAL(cold->profile, "cold");
  CU_ASSERT_STRING_EQUAL(limit_table_get(cold, "production", "charge_utp_c"), "5");
  CU_ASSERT_STRING_EQUAL(limit_table_get(cold, "production", "cell_ovp_lfp_mv"), "3550");
  CU_ASSERT_PTR_NULL(limit_table_get(cold, "production:cold", "charge_utp_c"));
  g_autoptr(LimitTable) plain = resolve_profile(profiled, "B2A8S20P", "default", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
  CU_ASSERT_STRING_EQUAL(plain->profile, "default");
  CU_ASSERT_STRING_EQUAL(limit_table_get(plain, "production", "charge_utp_c"), "2");
  CU_ASSERT_STRING_NOT_EQUAL(cold->sha256, plain->sha256);
  g_autoptr(LimitTable) unprofiled = resolve(
      "[production]\ncharge_utp_c = 0\ncell_ovp_lfp_mv = 3600\n"
      "[production@B2A8S20P]\ncharge_utp_c = 2\ncell_ovp_lfp_mv = 3550\n", "B2A8S20P", &error);
  CU_ASSERT_STRING_EQUAL(plain->sha256, unprofiled->sha256);

  g_autoptr(LimitTable) none = resolve_profile(profiled, "B2A8S20P", "hot", &error);
  CU_ASSERT_PTR_NULL(none);
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, STATION_ERROR, STATION_ERROR_ORDER));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "unknown protection profile 'hot'"));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "default, cold"));
  g_clear_error(&error);
  g_autoptr(LimitTable) bad = resolve_profile("[a]\nx = 1\n[a:cold]\ny = 2\n", "B2A8S20P",
                                              "cold", &error);
  CU_ASSERT_PTR_NULL(bad);
  CU_ASSERT_TRUE(g_error_matches(error, STATION_ERROR, STATION_ERROR_LIMITS));
}

static void expect_error(const char *contents, const char *model, const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(LimitTable) table = resolve(contents, model, &error);
  CU_ASSERT_PTR_NULL(table);
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, STATION_ERROR, STATION_ERROR_LIMITS));
  if (!strstr(error->message, words))
    printf("\n  message lacks '%s': %s\n", words, error->message);
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, words));
}

static void test_errors(void)
{
  expect_error("[a]\nx = @catalog.nonsense\n", "B2A8S20P", "does not exist");
  expect_error("[a]\nx = @catalog.path_mohm\n", "B5A25S60P", "does not give");
  expect_error("[a]\nx = 1\n[a@B2A8S20P]\ny = 2\n", "B2A8S20P", "does not have");
  expect_error("[a]\nx = 1\n[a@NOSUCH]\nx = 2\n", "B2A8S20P", "not in the catalog");
  expect_error("[a\nx = 1\n", "B2A8S20P", "cannot read limits");
}

/* The shipped limits file resolves for every model in the catalog. */
static void test_shipped_file_all_models(void)
{
  g_autofree char *path = g_build_filename(g_getenv("STATION_DATA_DIR"), "limits.conf", NULL);
  g_autoptr(GKeyFile) kf = g_key_file_new();
  CU_ASSERT_TRUE_FATAL(g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL));
  g_auto(GStrv) profiles = limits_profiles(kf);
  CU_ASSERT_TRUE(g_strv_length(profiles) >= 2); /* default and the shipped cold profile */
  for (guint i = 0; i < catalog_count(catalog); i++) {
    for (char **profile = profiles; *profile; profile++) {
      g_autoptr(GError) error = NULL;
      g_autoptr(LimitTable) table = limits_resolve(path, catalog, catalog_nth(catalog, i),
                                                    *profile, &error);
      if (!table)
        printf("\n  %s, %s: %s\n", catalog_nth(catalog, i)->name, *profile, error->message);
      CU_ASSERT_PTR_NOT_NULL(table);
    }
  }
}

/* Every model's resolved limits, with and without the shipped profile, are what
 * limits.types says the sequence reads: a key added to limits.conf without its kind, or a
 * kind without its key, fails here first. */
static void test_shipped_kinds_all_models(void)
{
  g_autofree char *path = g_build_filename(g_getenv("STATION_DATA_DIR"), "limits.conf", NULL);
  g_autofree char *types = limit_types_path_for(path);
  CU_ASSERT_TRUE(g_str_has_suffix(types, "limits.types"));
  static const char *const profiles[] = {NULL, "cold"};
  for (guint i = 0; i < catalog_count(catalog); i++) {
    for (guint p = 0; p < G_N_ELEMENTS(profiles); p++) {
      g_autoptr(GError) error = NULL;
      g_autoptr(LimitTable) table = limits_resolve(path, catalog, catalog_nth(catalog, i),
                                                    profiles[p], NULL);
      CU_ASSERT_PTR_NOT_NULL_FATAL(table);
      gboolean ok = limit_types_check(table, path, types, &error);
      if (!ok)
        printf("\n  %s, %s: %s\n", catalog_nth(catalog, i)->name, table->profile,
               error->message);
      CU_ASSERT_TRUE(ok);
    }
  }
}

int main(void)
{
  catalog = catalog_load_default(NULL);
  if (!catalog)
    return 1;
  tmpdir = g_dir_make_tmp("station-limits-XXXXXX", NULL);
  CU_initialize_registry();
  CU_pSuite suite = CU_add_suite("limits", NULL, NULL);
  CU_add_test(suite, "generic, override and catalog layers", test_layers);
  CU_add_test(suite, "errors name file, group and key", test_errors);
  CU_add_test(suite, "a profile is a layer over the model's limits", test_profiles);
  CU_add_test(suite, "shipped limits resolve for all models", test_shipped_file_all_models);
  CU_add_test(suite, "shipped limits have the kinds the sequence reads",
              test_shipped_kinds_all_models);
  int status = cunit_run_all();
  g_autofree char *path = g_build_filename(tmpdir, "limits.conf", NULL);
  g_remove(path);
  g_rmdir(tmpdir);
  g_free(tmpdir);
  catalog_free(catalog);
  return status;
}
