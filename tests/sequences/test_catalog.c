/* Tests of the model catalog: every value of every model against the cleaned datasheet table
 * (the reference tests/data/datasheet/models.tsv, a copy of the datasheet's cleaned table read
 * here by the test's own parser, and a C copy of it below that must agree with it), the
 * look-up errors an operator sees, the refusal of malformed tables, the chemistry helpers and
 * the data directory. */
#include "sequences/catalog.h"
#include "sequences/data_path.h"
#include "tests/cunit_main.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_COUNT 24

/* One model as the datasheet table gives it. */
typedef struct {
  const char *name;
  double balance_a;             /* A */
  CellRange strings[CHEMISTRY_COUNT]; /* Li-ion, LiFePO4, LTO */
  double path_mohm;             /* mΩ, NAN when not given */
  double cont_discharge_a;      /* A */
  double cont_charge_a;         /* A */
  double max_discharge_2min_a;  /* A, NAN when not given */
  double ocp_min_a;             /* A */
  double ocp_max_a;             /* A */
  const char *default_ports;
  const char *custom_ports;     /* "" when none */
  gboolean heater;
  double heater_max_w;          /* W, NAN without heater */
  const char *size_mm;          /* "" when not given */
  const char *wiring;
} ExpectedModel;

/* Written once from the datasheet's cleaned table (24 rows, table order). */
static const ExpectedModel EXPECTED[MODEL_COUNT] = {
  { "BD4A17S4P", 0.4, {{7, 17}, {8, 17}, {12, 17}}, 2.8, 40, 40, 60, 10, 40,
    "RS485", "CANBUS,HEAT", TRUE, 200, "110x73x18", "common" },
  { "BD4A20S4P", 0.4, {{7, 20}, {8, 20}, {12, 20}}, 2.8, 40, 40, 60, 10, 40,
    "RS485", "CANBUS,HEAT", TRUE, 200, "110x73x18", "common" },
  { "BD4A24S4P", 0.4, {{7, 24}, {8, 24}, {12, 24}}, 2.8, 40, 40, 60, 10, 40,
    "RS485", "CANBUS,HEAT", TRUE, 200, "110x73x18", "common" },
  { "BD6A17S6P", 0.6, {{7, 17}, {8, 17}, {12, 17}}, 1.53, 60, 60, 100, 10, 60,
    "RS485", "CANBUS,HEAT", TRUE, 200, "116x83x18", "common" },
  { "BD6A20S6P", 0.6, {{7, 20}, {8, 20}, {12, 20}}, 1.53, 60, 60, 100, 10, 60,
    "RS485", "CANBUS,HEAT", TRUE, 200, "116x83x18", "common" },
  { "BD6A24S6P", 0.6, {{7, 24}, {8, 24}, {12, 24}}, 1.53, 60, 60, 100, 10, 60,
    "RS485", "CANBUS,HEAT", TRUE, 200, "116x83x18", "common" },
  { "BD6A17S8P", 0.6, {{7, 17}, {8, 17}, {12, 17}}, 1.2, 80, 80, 150, 10, 80,
    "RS485", "CANBUS,HEAT", TRUE, 200, "133x81x18", "common" },
  { "BD6A20S8P", 0.6, {{7, 20}, {8, 20}, {12, 20}}, 1.2, 80, 80, 150, 10, 80,
    "RS485", "CANBUS,HEAT", TRUE, 200, "133x81x18", "common" },
  { "BD6A24S8P", 0.6, {{7, 24}, {8, 24}, {12, 24}}, 1.2, 80, 80, 150, 10, 80,
    "RS485", "CANBUS,HEAT", TRUE, 200, "133x81x18", "common" },
  { "BD6A20S10P", 0.6, {{7, 20}, {8, 20}, {12, 20}}, 1.0, 100, 100, 200, 10, 100,
    "RS485", "CANBUS,HEAT", TRUE, 200, "162x102x20", "common" },
  { "BD6A24S10P", 0.6, {{7, 24}, {8, 24}, {12, 24}}, 1.0, 100, 100, 200, 10, 100,
    "RS485", "CANBUS,HEAT", TRUE, 200, "162x102x20", "common" },
  { "B1A17S12P", 0.6, {{7, 17}, {8, 17}, {12, 17}}, 0.65, 120, 120, 250, 10, 100,
    "RS485", "CANBUS,HEAT", TRUE, 200, "162x102x20", "common" },
  { "B1A20S12P", 0.6, {{7, 20}, {8, 20}, {12, 20}}, 0.65, 120, 120, 250, 10, 100,
    "RS485", "CANBUS,HEAT", TRUE, 200, "162x102x20", "common" },
  { "B1A20S15P", 1, {{7, 20}, {8, 20}, {12, 20}}, 0.65, 150, 150, 300, 10, 150,
    "RS485", "CANBUS,HEAT", TRUE, 200, "162x102x20", "common" },
  { "B1A24S15P", 1, {{7, 24}, {8, 24}, {12, 24}}, 0.65, 150, 150, 300, 10, 150,
    "RS485", "CANBUS,HEAT", TRUE, 200, "162x102x20", "common" },
  { "B2A24S15P", 2, {{7, 24}, {8, 24}, {12, 24}}, 0.47, 150, 150, 300, 10, 150,
    "RS485", "CANBUS,HEAT", TRUE, 200, "162x102x20", "common" },
  { "B2A20S20P", 2, {{7, 20}, {8, 20}, {12, 20}}, 0.47, 200, 200, 350, 10, 200,
    "RS485", "CANBUS,HEAT", TRUE, 200, "162x102x20", "common" },
  { "B2A24S20P", 2, {{7, 24}, {8, 24}, {12, 24}}, 0.47, 200, 200, 350, 10, 200,
    "RS485", "CANBUS,HEAT", TRUE, 200, "162x102x20", "common" },
  { "BD4A8S4P", 0.4, {{3, 8}, {4, 8}, {6, 8}}, 2.8, 40, 40, 60, 10, 40,
    "RS485", "CANBUS,HEAT", TRUE, 200, "110x73x18", "common" },
  { "B1A8S10P", 1, {{3, 8}, {4, 8}, {6, 8}}, 0.3, 100, 100, 200, 10, 100,
    "RS485", "CANBUS,HEAT", TRUE, 200, "", "common" },
  { "B1A8S20P", 1, {{3, 8}, {4, 8}, {6, 8}}, 0.3, 200, 200, 350, 10, 200,
    "RS485", "CANBUS,HEAT", TRUE, 200, "153x126x18", "common" },
  { "B2A8S20P", 2, {{3, 8}, {4, 8}, {6, 8}}, 0.3, 200, 200, 350, 10, 200,
    "RS485", "CANBUS,HEAT", TRUE, 100, "153x126x18", "common" },
  { "B2A25SRP", 2, {{8, 25}, {8, 25}, {12, 25}}, NAN, 1000, 1000, NAN, 10, 1000,
    "RS485,CANBUS", "", FALSE, NAN, "189x94x24", "split" },
  { "B5A25S60P", 5, {{8, 25}, {8, 25}, {12, 25}}, NAN, 500, 500, NAN, 10, 600,
    "RS485,CANBUS", "", FALSE, NAN, "234x134x32", "split" },
};

/* ---- comparing a loaded model with the expected one ---- */

static guint mismatches;        /* values that differ, reported on stdout */

/* Counts and reports a numeric difference; two NANs (no value) are equal. */
static void check_number(const char *model, const char *field, double got, double want)
{
  gboolean same = (isnan(got) && isnan(want)) ||
                  (!isnan(got) && !isnan(want) && fabs(got - want) <= 1e-12 * fabs(want));
  if (!same) {
    printf("\n  %s %s: catalog has %g, datasheet table has %g", model, field, got, want);
    mismatches++;
  }
}

/* Counts and reports a text difference. */
static void check_text(const char *model, const char *field, const char *got, const char *want)
{
  if (got == NULL || strcmp(got, want) != 0) {
    printf("\n  %s %s: catalog has '%s', datasheet table has '%s'", model, field,
           got ? got : "(null)", want);
    mismatches++;
  }
}

/* Compares every field of one model; returns the number of differences. */
static guint compare_model(const ModelInfo *got, const ExpectedModel *want)
{
  static const char *const MIN_FIELD[CHEMISTRY_COUNT] = { "liion_min", "lfp_min", "lto_min" };
  static const char *const MAX_FIELD[CHEMISTRY_COUNT] = { "liion_max", "lfp_max", "lto_max" };
  guint before = mismatches;
  const char *m = want->name;
  check_text(m, "model", got->name, want->name);
  check_number(m, "balance_A", got->balance_a, want->balance_a);
  for (int c = 0; c < CHEMISTRY_COUNT; c++) {
    check_number(m, MIN_FIELD[c], got->strings[c].min, want->strings[c].min);
    check_number(m, MAX_FIELD[c], got->strings[c].max, want->strings[c].max);
  }
  check_number(m, "path_mohm", got->path_mohm, want->path_mohm);
  check_number(m, "cont_discharge_A", got->cont_discharge_a, want->cont_discharge_a);
  check_number(m, "cont_charge_A", got->cont_charge_a, want->cont_charge_a);
  check_number(m, "max_discharge_2min_A", got->max_discharge_2min_a,
               want->max_discharge_2min_a);
  check_number(m, "ocp_min_A", got->ocp_min_a, want->ocp_min_a);
  check_number(m, "ocp_max_A", got->ocp_max_a, want->ocp_max_a);
  check_text(m, "default_ports", got->default_ports, want->default_ports);
  check_text(m, "custom_ports", got->custom_ports, want->custom_ports);
  check_number(m, "heater", got->heater ? 1 : 0, want->heater ? 1 : 0);
  check_number(m, "heater_max_W", got->heater_max_w, want->heater_max_w);
  check_text(m, "size_mm", got->size_mm, want->size_mm);
  check_text(m, "wiring", got->wiring, want->wiring);
  return mismatches - before;
}

/* Compares the catalog's first models, in order, with a list of expected models. */
static void check_catalog_against(const Catalog *catalog, const ExpectedModel *expected,
                                  guint expected_count)
{
  CU_ASSERT_TRUE_FATAL(catalog_count(catalog) >= expected_count);
  mismatches = 0;
  for (guint i = 0; i < expected_count; i++)
    compare_model(catalog_nth(catalog, i), &expected[i]);
  if (mismatches > 0)
    printf("\n  %u values differ\n", mismatches);
  CU_ASSERT_EQUAL(mismatches, 0);
}

/* ---- the reference table, read by the test's own parser ---- */

/* The reference's columns, in the order the cleaned datasheet table writes them. */
static const char *const REFERENCE_COLUMNS[] = {
  "model", "balance_A", "liion_min", "liion_max", "lfp_min", "lfp_max", "lto_min", "lto_max",
  "path_mohm", "cont_discharge_A", "cont_charge_A", "max_discharge_2min_A", "ocp_min_A",
  "ocp_max_A", "default_ports", "custom_ports", "heater", "heater_max_W", "size_mm", "wiring",
};
#define REFERENCE_COLUMN_COUNT G_N_ELEMENTS(REFERENCE_COLUMNS)

/* Reads the reference table into expected models (strings point into the returned lines,
 * freed with them); returns the row count, or -1 after a CUnit failure. */
static int read_reference(const char *path, char ***lines_out, ExpectedModel *rows, int capacity)
{
  char *contents = NULL;
  CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &contents, NULL, NULL));
  char **lines = g_strsplit(contents, "\n", -1);
  g_free(contents);
  *lines_out = lines;

  char **header = g_strsplit(lines[0], "\t", -1);
  CU_ASSERT_EQUAL(g_strv_length(header), REFERENCE_COLUMN_COUNT);
  for (guint c = 0; c < REFERENCE_COLUMN_COUNT && header[c] != NULL; c++) {
    if (strcmp(header[c], REFERENCE_COLUMNS[c]) != 0)
      printf("\n  reference column %u is '%s', the test expects '%s'", c + 1, header[c],
             REFERENCE_COLUMNS[c]);
    CU_ASSERT_STRING_EQUAL(header[c], REFERENCE_COLUMNS[c]);
  }
  g_strfreev(header);

  int count = 0;
  for (guint i = 1; lines[i] != NULL; i++) {
    if (lines[i][0] == '\0')
      continue;
    CU_ASSERT_TRUE_FATAL(count < capacity);
    char *f[REFERENCE_COLUMN_COUNT];
    char *cursor = lines[i];
    guint n = 0;
    for (; n < REFERENCE_COLUMN_COUNT && cursor != NULL; n++) {
      f[n] = cursor;
      cursor = strchr(cursor, '\t');
      if (cursor != NULL)
        *cursor++ = '\0';
    }
    CU_ASSERT_EQUAL_FATAL(n, REFERENCE_COLUMN_COUNT);
    CU_ASSERT_PTR_NULL_FATAL(cursor);

    ExpectedModel *r = &rows[count++];
#define REF_NUMBER(i) (strcmp(f[i], "-") == 0 ? NAN : strtod(f[i], NULL))
#define REF_TEXT(i) (strcmp(f[i], "-") == 0 ? "" : f[i])
    r->name = f[0];
    r->balance_a = REF_NUMBER(1);
    for (int c = 0; c < CHEMISTRY_COUNT; c++) {
      r->strings[c].min = atoi(f[2 + 2 * c]);
      r->strings[c].max = atoi(f[3 + 2 * c]);
    }
    r->path_mohm = REF_NUMBER(8);
    r->cont_discharge_a = REF_NUMBER(9);
    r->cont_charge_a = REF_NUMBER(10);
    r->max_discharge_2min_a = REF_NUMBER(11);
    r->ocp_min_a = REF_NUMBER(12);
    r->ocp_max_a = REF_NUMBER(13);
    r->default_ports = REF_TEXT(14);
    r->custom_ports = REF_TEXT(15);
    CU_ASSERT_TRUE(strcmp(f[16], "yes") == 0 || strcmp(f[16], "no") == 0);
    r->heater = strcmp(f[16], "yes") == 0;
    r->heater_max_w = REF_NUMBER(17);
    r->size_mm = REF_TEXT(18);
    r->wiring = REF_TEXT(19);
#undef REF_NUMBER
#undef REF_TEXT
  }
  return count;
}

/* The path of the reference table (CATALOG_REFERENCE), or NULL after reporting why there is
 * none: a missing reference is a failure, never a pass. */
static const char *reference_path(void)
{
  const char *path = g_getenv("CATALOG_REFERENCE");
  if (path == NULL || !g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
    printf("\n  reference table not found (CATALOG_REFERENCE=%s): run the test through meson, "
           "which points it at tests/data/datasheet/models.tsv\n", path ? path : "unset");
    return NULL;
  }
  return path;
}

/* ---- tests ---- */

/* The installed catalog holds exactly the 24 models of the embedded table, every value. */
static void test_every_value_matches_embedded_table(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  if (error != NULL)
    printf("\n  %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(catalog);
  CU_ASSERT_EQUAL(catalog_count(catalog), MODEL_COUNT);
  check_catalog_against(catalog, EXPECTED, MODEL_COUNT);
}

/* The catalog and the embedded table both match the reference datasheet table. */
static void test_every_value_matches_reference(void)
{
  const char *path = reference_path();
  CU_ASSERT_PTR_NOT_NULL_FATAL(path);
  ExpectedModel rows[MODEL_COUNT + 8];
  char **lines = NULL;
  int count = read_reference(path, &lines, rows, (int)G_N_ELEMENTS(rows));
  CU_ASSERT_EQUAL(count, MODEL_COUNT);

  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  CU_ASSERT_PTR_NOT_NULL(catalog);
  if (catalog != NULL)
    CU_ASSERT_EQUAL(catalog_count(catalog), (guint)count);
  if (catalog != NULL && count >= 0 && catalog_count(catalog) >= (guint)count)
    check_catalog_against(catalog, rows, (guint)count);

  /* the embedded copy must not drift from the reference either */
  mismatches = 0;
  for (int i = 0; i < count && i < MODEL_COUNT; i++) {
    ModelInfo embedded = {
      .name = (char *)EXPECTED[i].name, .balance_a = EXPECTED[i].balance_a,
      .path_mohm = EXPECTED[i].path_mohm, .cont_discharge_a = EXPECTED[i].cont_discharge_a,
      .cont_charge_a = EXPECTED[i].cont_charge_a,
      .max_discharge_2min_a = EXPECTED[i].max_discharge_2min_a,
      .ocp_min_a = EXPECTED[i].ocp_min_a, .ocp_max_a = EXPECTED[i].ocp_max_a,
      .default_ports = (char *)EXPECTED[i].default_ports,
      .custom_ports = (char *)EXPECTED[i].custom_ports, .heater = EXPECTED[i].heater,
      .heater_max_w = EXPECTED[i].heater_max_w, .size_mm = (char *)EXPECTED[i].size_mm,
      .wiring = (char *)EXPECTED[i].wiring,
    };
    memcpy(embedded.strings, EXPECTED[i].strings, sizeof embedded.strings);
    compare_model(&embedded, &rows[i]);
  }
  if (mismatches > 0)
    printf("\n  the test's embedded table differs from the reference in %u values\n",
           mismatches);
  CU_ASSERT_EQUAL(mismatches, 0);
  g_strfreev(lines);
}

/* Every model is found by its exact name; the record is the catalog's own. */
static void test_find_every_model(void)
{
  g_autoptr(Catalog) catalog = catalog_load_default(NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(catalog);
  for (guint i = 0; i < MODEL_COUNT; i++) {
    g_autoptr(GError) error = NULL;
    const ModelInfo *model = catalog_find(catalog, EXPECTED[i].name, &error);
    CU_ASSERT_PTR_EQUAL(model, catalog_nth(catalog, i));
    CU_ASSERT_PTR_NULL(error);
  }
  const ModelInfo *b2a8 = catalog_find(catalog, "B2A8S20P", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(b2a8);
  CU_ASSERT_DOUBLE_EQUAL(b2a8->heater_max_w, 100.0, 1e-9);
}

/* An unknown name says how many models there are and where to list them. */
static void test_unknown_model(void)
{
  g_autoptr(Catalog) catalog = catalog_load_default(NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(catalog);
  g_autoptr(GError) error = NULL;
  CU_ASSERT_PTR_NULL(catalog_find(catalog, "XYZ123", &error));
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, CATALOG_ERROR, CATALOG_ERROR_UNKNOWN_MODEL));
  CU_ASSERT_STRING_EQUAL(error->message, "unknown model 'XYZ123': the catalog has 24 models "
                                         "(station models lists them)");
}

/* A name of a known family (same up to the S) suggests the family's models. */
static void test_unknown_model_suggests_family(void)
{
  g_autoptr(Catalog) catalog = catalog_load_default(NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(catalog);
  g_autoptr(GError) error = NULL;
  CU_ASSERT_PTR_NULL(catalog_find(catalog, "B2A24S16P", &error));
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, CATALOG_ERROR, CATALOG_ERROR_UNKNOWN_MODEL));
  CU_ASSERT_STRING_EQUAL(error->message,
                         "unknown model 'B2A24S16P': the catalog has 24 models (station "
                         "models lists them); did you mean 'B2A24S15P' or 'B2A24S20P'?");

  /* look-up is case-sensitive, but the right spelling is offered */
  g_clear_error(&error);
  CU_ASSERT_PTR_NULL(catalog_find(catalog, "b5a25s60p", &error));
  CU_ASSERT_PTR_NOT_NULL_FATAL(error);
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "did you mean 'B5A25S60P'?"));
}

/* ---- malformed tables ---- */

static const char VALID_TABLE[] =
  "model\tbalance_A\tliion_min\tliion_max\tlfp_min\tlfp_max\tlto_min\tlto_max\tpath_mohm\t"
  "cont_discharge_A\tcont_charge_A\tmax_discharge_2min_A\tocp_min_A\tocp_max_A\t"
  "default_ports\tcustom_ports\theater\theater_max_W\tsize_mm\twiring\n"
  "BD4A17S4P\t0.4\t7\t17\t8\t17\t12\t17\t2.8\t40\t40\t60\t10\t40\tRS485\tCANBUS,HEAT\tyes\t"
  "200\t110x73x18\tcommon\n"
  "B2A25SRP\t2\t8\t25\t8\t25\t12\t25\t-\t1000\t1000\t-\t10\t1000\tRS485,CANBUS\t-\tno\t-\t"
  "189x94x24\tsplit\n";

static char *scratch_dir;       /* per-run temporary folder for table files */

/* Writes text to a new file in the scratch folder; returns its path (freeing). */
static char *write_table(const char *name, const char *text)
{
  char *path = g_build_filename(scratch_dir, name, NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, text, -1, NULL));
  return path;
}

/* Loads text as a table expecting CATALOG_ERROR_FORMAT whose message holds each of the
 * given fragments (NULL-terminated) and the file's path. */
static void expect_format_error(const char *name, const char *text, ...)
{
  g_autofree char *path = write_table(name, text);
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load(path, &error);
  CU_ASSERT_PTR_NULL(catalog);
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, CATALOG_ERROR, CATALOG_ERROR_FORMAT));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
  va_list args;
  va_start(args, text);
  for (const char *fragment = va_arg(args, const char *); fragment != NULL;
       fragment = va_arg(args, const char *)) {
    if (strstr(error->message, fragment) == NULL)
      printf("\n  '%s' lacks '%s'", error->message, fragment);
    CU_ASSERT_PTR_NOT_NULL(strstr(error->message, fragment));
  }
  va_end(args);
}

/* Returns VALID_TABLE with one replacement made (freeing). */
static char *valid_table_with(const char *find, const char *replace)
{
  GString *text = g_string_new(VALID_TABLE);
  CU_ASSERT_EQUAL_FATAL(g_string_replace(text, find, replace, 1), 1);
  return g_string_free(text, FALSE);
}

/* The small valid table loads, with '-' read as no value. */
static void test_valid_small_table(void)
{
  g_autofree char *path = write_table("valid.tsv", VALID_TABLE);
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load(path, &error);
  CU_ASSERT_PTR_NULL(error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(catalog);
  CU_ASSERT_EQUAL(catalog_count(catalog), 2);
  check_catalog_against(catalog, &EXPECTED[0], 1);
  const ModelInfo *relay = catalog_nth(catalog, 1);
  CU_ASSERT_TRUE(isnan(relay->path_mohm));
  CU_ASSERT_TRUE(isnan(relay->heater_max_w));
  CU_ASSERT_STRING_EQUAL(relay->custom_ports, "");
  CU_ASSERT_FALSE(relay->heater);
}

/* Columns are found by the header: a table with its columns in another order, with CRLF line
 * ends, a byte-order mark and an extra column, loads the same values. */
static void test_columns_found_by_header(void)
{
  g_autoptr(GString) text = g_string_new("\xEF\xBB\xBF");
  g_auto(GStrv) lines = g_strsplit(VALID_TABLE, "\n", -1);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    g_auto(GStrv) f = g_strsplit(lines[i], "\t", -1);
    /* reversed column order, plus a trailing note column */
    for (int c = (int)g_strv_length(f) - 1; c >= 0; c--)
      g_string_append_printf(text, "%s\t", f[c]);
    g_string_append(text, i == 0 ? "note\r\n" : "-\r\n");
  }
  g_autofree char *path = write_table("reordered.tsv", text->str);
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load(path, &error);
  if (error != NULL)
    printf("\n  %s\n", error->message);
  CU_ASSERT_PTR_NOT_NULL_FATAL(catalog);
  CU_ASSERT_EQUAL(catalog_count(catalog), 2);
  check_catalog_against(catalog, &EXPECTED[0], 1);
}

/* A table without one of the catalog's columns is refused naming the column. */
static void test_missing_column(void)
{
  g_autofree char *text = valid_table_with("\tocp_max_A\t", "\tocp_limit_A\t");
  expect_format_error("missing-column.tsv", text, "line 1", "'ocp_max_A'", NULL);
}

/* A cell that is not a number is refused naming line, column and the text. */
static void test_bad_number(void)
{
  g_autofree char *text = valid_table_with("\t2.8\t40\t", "\t2,8\t40\t");
  expect_format_error("bad-number.tsv", text, "line 2", "'path_mohm'", "'2,8' is not a number",
                      NULL);
}

/* A row with a field too few is refused naming the line and the first missing column. */
static void test_short_row(void)
{
  g_autofree char *text = valid_table_with("\t189x94x24\tsplit\n", "\t189x94x24\n");
  expect_format_error("short-row.tsv", text, "line 3", "'wiring'", "19 fields",
                      "header has 20", NULL);
}

/* A row with a field too many is refused naming the line. */
static void test_long_row(void)
{
  g_autofree char *text = valid_table_with("\tsplit\n", "\tsplit\textra\n");
  expect_format_error("long-row.tsv", text, "line 3", "21 fields", NULL);
}

/* Other malformed cells: '-' where a value is required, an empty cell, a bad yes/no, a cell
 * count out of range, a duplicate model, an empty file, a header without rows. */
static void test_other_bad_cells(void)
{
  g_autofree char *dash = valid_table_with("\t0.4\t", "\t-\t");
  expect_format_error("dash.tsv", dash, "line 2", "'balance_A'", "'-'", NULL);
  g_autofree char *empty_cell = valid_table_with("\t0.4\t", "\t\t");
  expect_format_error("empty-cell.tsv", empty_cell, "line 2", "'balance_A'", "empty", NULL);
  g_autofree char *yes_no = valid_table_with("\tyes\t", "\tYes\t");
  expect_format_error("yes-no.tsv", yes_no, "line 2", "'heater'", "'Yes'", NULL);
  g_autofree char *cells = valid_table_with("\t7\t17\t", "\t7\t33\t");
  expect_format_error("cells.tsv", cells, "line 2", "'liion_max'", "'33'", NULL);
  g_autofree char *duplicate = valid_table_with("B2A25SRP", "BD4A17S4P");
  expect_format_error("duplicate.tsv", duplicate, "line 3", "'model'", "twice", NULL);
  g_autofree char *no_heater_power = valid_table_with("\tyes\t200\t", "\tyes\t-\t");
  expect_format_error("heater.tsv", no_heater_power, "line 2", "'heater_max_W'", NULL);
  g_autofree char *blanks = valid_table_with("\tsplit\n", "\tsplit \n");
  expect_format_error("blanks.tsv", blanks, "line 3", "'wiring'", "blanks", NULL);
  expect_format_error("empty.tsv", "", "line 1", "empty", NULL);
  const char *header_end = strchr(VALID_TABLE, '\n');
  g_autofree char *header_only = g_strndup(VALID_TABLE, header_end - VALID_TABLE + 1);
  expect_format_error("header-only.tsv", header_only, "no models", NULL);
}

/* A table that cannot be read is CATALOG_ERROR_FILE naming the path. */
static void test_missing_file(void)
{
  g_autofree char *path = g_build_filename(scratch_dir, "absent.tsv", NULL);
  g_autoptr(GError) error = NULL;
  CU_ASSERT_PTR_NULL(catalog_load(path, &error));
  CU_ASSERT_TRUE_FATAL(g_error_matches(error, CATALOG_ERROR, CATALOG_ERROR_FILE));
  CU_ASSERT_PTR_NOT_NULL(strstr(error->message, path));
}

/* ---- chemistry helpers and the data directory ---- */

/* Names, keys and parsing of the three chemistries. */
static void test_chemistry_helpers(void)
{
  CU_ASSERT_STRING_EQUAL(chemistry_name(CHEMISTRY_LIION), "Li-ion");
  CU_ASSERT_STRING_EQUAL(chemistry_name(CHEMISTRY_LFP), "LiFePO4");
  CU_ASSERT_STRING_EQUAL(chemistry_name(CHEMISTRY_LTO), "LTO");
  CU_ASSERT_STRING_EQUAL(chemistry_key(CHEMISTRY_LIION), "liion");
  CU_ASSERT_STRING_EQUAL(chemistry_key(CHEMISTRY_LFP), "lfp");
  CU_ASSERT_STRING_EQUAL(chemistry_key(CHEMISTRY_LTO), "lto");
  for (int c = 0; c < CHEMISTRY_COUNT; c++) {
    Chemistry by_key = CHEMISTRY_COUNT, by_name = CHEMISTRY_COUNT;
    CU_ASSERT_TRUE(chemistry_from_string(chemistry_key((Chemistry)c), &by_key));
    CU_ASSERT_TRUE(chemistry_from_string(chemistry_name((Chemistry)c), &by_name));
    CU_ASSERT_EQUAL(by_key, c);
    CU_ASSERT_EQUAL(by_name, c);
  }
  Chemistry chemistry = CHEMISTRY_COUNT;
  CU_ASSERT_TRUE(chemistry_from_string("LFP", &chemistry));
  CU_ASSERT_EQUAL(chemistry, CHEMISTRY_LFP);
  CU_ASSERT_TRUE(chemistry_from_string("lifepo4", &chemistry));
  CU_ASSERT_EQUAL(chemistry, CHEMISTRY_LFP);
  chemistry = CHEMISTRY_LTO;
  CU_ASSERT_FALSE(chemistry_from_string("NiMH", &chemistry));
  CU_ASSERT_FALSE(chemistry_from_string("", &chemistry));
  CU_ASSERT_FALSE(chemistry_from_string(NULL, &chemistry));
  CU_ASSERT_EQUAL(chemistry, CHEMISTRY_LTO);
  CU_ASSERT_STRING_EQUAL(chemistry_name(CHEMISTRY_COUNT), "unknown");
}

/* $STATION_DATA_DIR wins; without it the build's own data folder holds models.tsv. */
static void test_data_dir(void)
{
  g_autofree char *saved = g_strdup(g_getenv("STATION_DATA_DIR"));
  g_setenv("STATION_DATA_DIR", scratch_dir, TRUE);
  CU_ASSERT_STRING_EQUAL(sequences_dir(), scratch_dir);
  g_autofree char *in_scratch = sequences_path("models.tsv");
  g_autofree char *expected = g_build_filename(scratch_dir, "models.tsv", NULL);
  CU_ASSERT_STRING_EQUAL(in_scratch, expected);

  g_unsetenv("STATION_DATA_DIR");
  g_autofree char *fallback = sequences_path("models.tsv");
  CU_ASSERT_TRUE(g_file_test(fallback, G_FILE_TEST_IS_REGULAR));
  g_autoptr(Catalog) catalog = catalog_load_default(NULL);
  CU_ASSERT_PTR_NOT_NULL(catalog);
  if (saved != NULL)
    g_setenv("STATION_DATA_DIR", saved, TRUE);
}

/* ---- registration ---- */

/* Makes the scratch folder for table files. */
static int make_scratch(void)
{
  scratch_dir = g_dir_make_tmp("test-catalog-XXXXXX", NULL);
  return scratch_dir == NULL;
}

/* Removes the scratch folder and the table files written into it. */
static int remove_scratch(void)
{
  GDir *dir = g_dir_open(scratch_dir, 0, NULL);
  if (dir != NULL) {
    for (const char *name = g_dir_read_name(dir); name != NULL; name = g_dir_read_name(dir)) {
      g_autofree char *path = g_build_filename(scratch_dir, name, NULL);
      g_remove(path);
    }
    g_dir_close(dir);
  }
  int failed = g_rmdir(scratch_dir);
  g_clear_pointer(&scratch_dir, g_free);
  return failed;
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite values = CU_add_suite("catalog values", NULL, NULL);
  CU_add_test(values, "every value matches the embedded table",
              test_every_value_matches_embedded_table);
  CU_add_test(values, "every value matches the reference table",
              test_every_value_matches_reference);
  CU_add_test(values, "every model is found", test_find_every_model);
  CU_add_test(values, "unknown model", test_unknown_model);
  CU_add_test(values, "unknown model suggests its family", test_unknown_model_suggests_family);

  CU_pSuite tables = CU_add_suite("catalog tables", make_scratch, remove_scratch);
  CU_add_test(tables, "small valid table", test_valid_small_table);
  CU_add_test(tables, "columns found by the header", test_columns_found_by_header);
  CU_add_test(tables, "missing column", test_missing_column);
  CU_add_test(tables, "bad number", test_bad_number);
  CU_add_test(tables, "short row", test_short_row);
  CU_add_test(tables, "long row", test_long_row);
  CU_add_test(tables, "other bad cells", test_other_bad_cells);
  CU_add_test(tables, "missing file", test_missing_file);
  CU_add_test(tables, "data directory", test_data_dir);

  CU_pSuite chemistry = CU_add_suite("chemistry", NULL, NULL);
  CU_add_test(chemistry, "names, keys and parsing", test_chemistry_helpers);
  return cunit_run_all();
}
