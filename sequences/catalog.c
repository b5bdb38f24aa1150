/* The model catalog: loads the model table (sequences/models.tsv, tab-separated, one header
 * row naming the columns, one row per model) into ModelInfo records and answers look-ups.
 * Columns are found by their header name, so their order may change; a missing column, a row
 * with the wrong number of fields, or a value that does not read as its column's type is
 * refused with a message naming the file, the line and the column. A '-' cell means the
 * datasheet gives no value: NAN for a number, "" for text; only the columns that the
 * datasheet leaves blank for some models accept it. */
#include "sequences/catalog.h"
#include "sequences/data_path.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#define CATALOG_MAX_CELLS 32  /* the board reports at most 32 cell voltages (0x1200 block) */

G_DEFINE_QUARK(catalog-error-quark, catalog_error)

struct Catalog {
  GPtrArray *models;            /* of ModelInfo*, in file order, owning */
};

typedef enum {
  COLUMN_TEXT,                  /* char *, '-' gives "" when optional */
  COLUMN_NUMBER,                /* double above 0, '-' gives NAN when optional */
  COLUMN_CELLS,                 /* int, series cell count 1..CATALOG_MAX_CELLS */
  COLUMN_YES_NO                 /* gboolean */
} ColumnKind;

typedef struct {
  const char *name;             /* header name */
  ColumnKind kind;
  size_t offset;                /* of the field in ModelInfo */
  gboolean optional;            /* '-' accepted */
} ColumnSpec;

static const ColumnSpec COLUMNS[] = {
  { "model",                COLUMN_TEXT,   offsetof(ModelInfo, name),                 FALSE },
  { "balance_A",            COLUMN_NUMBER, offsetof(ModelInfo, balance_a),            FALSE },
  { "liion_min",            COLUMN_CELLS,  offsetof(ModelInfo, strings[CHEMISTRY_LIION].min), FALSE },
  { "liion_max",            COLUMN_CELLS,  offsetof(ModelInfo, strings[CHEMISTRY_LIION].max), FALSE },
  { "lfp_min",              COLUMN_CELLS,  offsetof(ModelInfo, strings[CHEMISTRY_LFP].min),   FALSE },
  { "lfp_max",              COLUMN_CELLS,  offsetof(ModelInfo, strings[CHEMISTRY_LFP].max),   FALSE },
  { "lto_min",              COLUMN_CELLS,  offsetof(ModelInfo, strings[CHEMISTRY_LTO].min),   FALSE },
  { "lto_max",              COLUMN_CELLS,  offsetof(ModelInfo, strings[CHEMISTRY_LTO].max),   FALSE },
  { "path_mohm",            COLUMN_NUMBER, offsetof(ModelInfo, path_mohm),            TRUE },
  { "cont_discharge_A",     COLUMN_NUMBER, offsetof(ModelInfo, cont_discharge_a),     FALSE },
  { "cont_charge_A",        COLUMN_NUMBER, offsetof(ModelInfo, cont_charge_a),        FALSE },
  { "max_discharge_2min_A", COLUMN_NUMBER, offsetof(ModelInfo, max_discharge_2min_a), TRUE },
  { "ocp_min_A",            COLUMN_NUMBER, offsetof(ModelInfo, ocp_min_a),            FALSE },
  { "ocp_max_A",            COLUMN_NUMBER, offsetof(ModelInfo, ocp_max_a),            FALSE },
  { "default_ports",        COLUMN_TEXT,   offsetof(ModelInfo, default_ports),        FALSE },
  { "custom_ports",         COLUMN_TEXT,   offsetof(ModelInfo, custom_ports),         TRUE },
  { "heater",               COLUMN_YES_NO, offsetof(ModelInfo, heater),               FALSE },
  { "heater_max_W",         COLUMN_NUMBER, offsetof(ModelInfo, heater_max_w),         TRUE },
  { "size_mm",              COLUMN_TEXT,   offsetof(ModelInfo, size_mm),              TRUE },
  { "wiring",               COLUMN_TEXT,   offsetof(ModelInfo, wiring),               FALSE },
};
#define COLUMN_COUNT G_N_ELEMENTS(COLUMNS)

/* Sets a CATALOG_ERROR_FORMAT error "<path> line <n>[, column '<c>']: <detail>". */
static void set_format_error(GError **error, const char *path, guint line, const char *column,
                             const char *format, ...) G_GNUC_PRINTF(5, 6);
static void set_format_error(GError **error, const char *path, guint line, const char *column,
                             const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *detail = g_strdup_vprintf(format, args);
  va_end(args);
  if (column != NULL)
    g_set_error(error, CATALOG_ERROR, CATALOG_ERROR_FORMAT, "%s line %u, column '%s': %s",
                path, line, column, detail);
  else
    g_set_error(error, CATALOG_ERROR, CATALOG_ERROR_FORMAT, "%s line %u: %s", path, line,
                detail);
}

/* Frees one model record and its strings. */
static void model_info_free(ModelInfo *model)
{
  if (model == NULL)
    return;
  g_free(model->name);
  g_free(model->default_ports);
  g_free(model->custom_ports);
  g_free(model->size_mm);
  g_free(model->wiring);
  g_free(model);
}

/* Stores one cell's text into its field of model; FALSE with the error on a bad value. */
static gboolean parse_cell(const ColumnSpec *column, const char *text, ModelInfo *model,
                           const char *path, guint line, GError **error)
{
  char *field = (char *)model + column->offset;
  gboolean no_value = g_str_equal(text, "-");

  if (text[0] == '\0') {
    set_format_error(error, path, line, column->name,
                     "the cell is empty; write '-' where the datasheet gives no value");
    return FALSE;
  }
  if (g_ascii_isspace(text[0]) || g_ascii_isspace(text[strlen(text) - 1])) {
    set_format_error(error, path, line, column->name,
                     "'%s' has blanks around it; remove them", text);
    return FALSE;
  }
  if (no_value && !column->optional) {
    set_format_error(error, path, line, column->name,
                     "'-' (no value) is not allowed in this column; every model needs one");
    return FALSE;
  }

  switch (column->kind) {
  case COLUMN_TEXT:
    *(char **)field = g_strdup(no_value ? "" : text);
    return TRUE;

  case COLUMN_NUMBER: {
    if (no_value) {
      *(double *)field = NAN;
      return TRUE;
    }
    char *end = NULL;
    errno = 0;
    double value = g_ascii_strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(value)) {
      set_format_error(error, path, line, column->name, "'%s' is not a number", text);
      return FALSE;
    }
    if (value <= 0.0) {
      set_format_error(error, path, line, column->name, "'%s' must be above 0", text);
      return FALSE;
    }
    *(double *)field = value;
    return TRUE;
  }

  case COLUMN_CELLS: {
    guint64 cells = 0;
    g_autoptr(GError) number_error = NULL;
    if (!g_ascii_string_to_unsigned(text, 10, 1, CATALOG_MAX_CELLS, &cells, &number_error)) {
      set_format_error(error, path, line, column->name,
                       "'%s' is not a cell count from 1 to %d", text, CATALOG_MAX_CELLS);
      return FALSE;
    }
    *(int *)field = (int)cells;
    return TRUE;
  }

  case COLUMN_YES_NO:
    if (g_str_equal(text, "yes")) {
      *(gboolean *)field = TRUE;
    } else if (g_str_equal(text, "no")) {
      *(gboolean *)field = FALSE;
    } else {
      set_format_error(error, path, line, column->name, "'%s' is neither 'yes' nor 'no'",
                       text);
      return FALSE;
    }
    return TRUE;
  }
  g_assert_not_reached();
}

/* Checks the relations between one model's values; FALSE with the error naming the column. */
static gboolean check_model(const ModelInfo *model, const char *path, guint line,
                            GError **error)
{
  static const char *const MAX_COLUMN[CHEMISTRY_COUNT] = { "liion_max", "lfp_max", "lto_max" };
  for (int chemistry = 0; chemistry < CHEMISTRY_COUNT; chemistry++) {
    const CellRange *range = &model->strings[chemistry];
    if (range->min > range->max) {
      set_format_error(error, path, line, MAX_COLUMN[chemistry],
                       "%s maximum %d cells is below the minimum %d",
                       chemistry_name((Chemistry)chemistry), range->max, range->min);
      return FALSE;
    }
  }
  if (model->ocp_min_a > model->ocp_max_a) {
    set_format_error(error, path, line, "ocp_max_A", "%g A is below ocp_min_A %g A",
                     model->ocp_max_a, model->ocp_min_a);
    return FALSE;
  }
  if (model->heater && isnan(model->heater_max_w)) {
    set_format_error(error, path, line, "heater_max_W",
                     "a model with the heater option needs its maximum heating power");
    return FALSE;
  }
  if (!model->heater && !isnan(model->heater_max_w)) {
    set_format_error(error, path, line, "heater_max_W",
                     "a model without the heater option must have '-' here");
    return FALSE;
  }
  if (!g_str_equal(model->wiring, "common") && !g_str_equal(model->wiring, "split")) {
    set_format_error(error, path, line, "wiring", "'%s' is neither 'common' nor 'split'",
                     model->wiring);
    return FALSE;
  }
  return TRUE;
}

/* Returns TRUE when the line holds nothing but blanks. */
static gboolean is_blank(const char *text)
{
  for (; *text != '\0'; text++) {
    if (!g_ascii_isspace(*text))
      return FALSE;
  }
  return TRUE;
}

/* Maps each known column to its field index in the header; FALSE naming a missing column. */
static gboolean read_header(char **fields, const char *path, guint line,
                            int field_of_column[COLUMN_COUNT], GError **error)
{
  guint field_count = g_strv_length(fields);
  for (guint c = 0; c < COLUMN_COUNT; c++) {
    field_of_column[c] = -1;
    for (guint f = 0; f < field_count; f++) {
      if (!g_str_equal(fields[f], COLUMNS[c].name))
        continue;
      if (field_of_column[c] >= 0) {
        set_format_error(error, path, line, COLUMNS[c].name,
                         "the header names this column twice (fields %d and %u)",
                         field_of_column[c] + 1, f + 1);
        return FALSE;
      }
      field_of_column[c] = (int)f;
    }
    if (field_of_column[c] < 0) {
      set_format_error(error, path, line, COLUMNS[c].name,
                       "the header has no such column; the catalog needs it");
      return FALSE;
    }
  }
  return TRUE;
}

/* Loads a catalog table; NULL with CATALOG_ERROR_FILE or CATALOG_ERROR_FORMAT. */
Catalog *catalog_load(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);

  g_autofree char *contents = NULL;
  g_autoptr(GError) read_error = NULL;
  if (!g_file_get_contents(path, &contents, NULL, &read_error)) {
    g_set_error(error, CATALOG_ERROR, CATALOG_ERROR_FILE,
                "cannot read the model catalog: %s (set STATION_DATA_DIR to the folder "
                "holding models.tsv)", read_error->message);
    return NULL;
  }

  g_autoptr(Catalog) catalog = g_new0(Catalog, 1);
  catalog->models = g_ptr_array_new_with_free_func((GDestroyNotify)model_info_free);

  /* a byte-order mark, as some editors write, is not part of the first column's name */
  const char *text_start = g_str_has_prefix(contents, "\xEF\xBB\xBF") ? contents + 3 : contents;
  g_auto(GStrv) lines = g_strsplit(text_start, "\n", -1);
  g_auto(GStrv) header = NULL;   /* the header's column names, in file order */
  guint header_fields = 0;
  int field_of_column[COLUMN_COUNT];

  for (guint i = 0; lines[i] != NULL; i++) {
    guint line = i + 1;
    char *text = lines[i];
    gsize length = strlen(text);
    if (length > 0 && text[length - 1] == '\r')
      text[length - 1] = '\0';
    if (is_blank(text))
      continue;

    g_auto(GStrv) fields = g_strsplit(text, "\t", -1);
    guint field_count = g_strv_length(fields);

    if (header == NULL) {
      if (!read_header(fields, path, line, field_of_column, error))
        return NULL;
      header = g_steal_pointer(&fields);
      header_fields = field_count;
      continue;
    }

    if (field_count < header_fields) {
      set_format_error(error, path, line, header[field_count],
                       "the row has %u fields, the header has %u (fields are separated "
                       "by tabs); this column and those after it are missing",
                       field_count, header_fields);
      return NULL;
    }
    if (field_count > header_fields) {
      set_format_error(error, path, line, NULL,
                       "the row has %u fields, the header has %u (fields are separated "
                       "by tabs)", field_count, header_fields);
      return NULL;
    }

    ModelInfo *model = g_new0(ModelInfo, 1);
    g_ptr_array_add(catalog->models, model);
    for (guint c = 0; c < COLUMN_COUNT; c++) {
      if (!parse_cell(&COLUMNS[c], fields[field_of_column[c]], model, path, line, error))
        return NULL;
    }
    if (!check_model(model, path, line, error))
      return NULL;
    for (guint m = 0; m + 1 < catalog->models->len; m++) {
      const ModelInfo *earlier = g_ptr_array_index(catalog->models, m);
      if (g_str_equal(earlier->name, model->name)) {
        set_format_error(error, path, line, "model", "'%s' is listed twice", model->name);
        return NULL;
      }
    }
  }

  if (header == NULL) {
    g_set_error(error, CATALOG_ERROR, CATALOG_ERROR_FORMAT,
                "%s line 1: the file is empty; the catalog needs a header row and one row "
                "per model", path);
    return NULL;
  }
  if (catalog->models->len == 0) {
    g_set_error(error, CATALOG_ERROR, CATALOG_ERROR_FORMAT,
                "%s: the table has a header but no models", path);
    return NULL;
  }
  return g_steal_pointer(&catalog);
}

/* Loads models.tsv from the sequences directory. */
Catalog *catalog_load_default(GError **error)
{
  g_autofree char *path = sequences_path("models.tsv");
  return catalog_load(path, error);
}

/* Frees the catalog and every ModelInfo it handed out. */
void catalog_free(Catalog *catalog)
{
  if (catalog == NULL)
    return;
  if (catalog->models != NULL)
    g_ptr_array_unref(catalog->models);
  g_free(catalog);
}

/* Returns the number of models. */
guint catalog_count(const Catalog *catalog)
{
  g_return_val_if_fail(catalog != NULL, 0);
  return catalog->models->len;
}

/* Returns the index-th model in table order, owned by the catalog. */
const ModelInfo *catalog_nth(const Catalog *catalog, guint index)
{
  g_return_val_if_fail(catalog != NULL, NULL);
  g_return_val_if_fail(index < catalog->models->len, NULL);
  return g_ptr_array_index(catalog->models, index);
}

/* Returns the part of a model name up to and including the 'S' after the cell count
 * ("B2A24S" of "B2A24S15P"), newly allocated and upper-case; NULL when there is no 'S'. */
static char *name_series_prefix(const char *name)
{
  const char *s = strpbrk(name, "Ss");
  if (s == NULL)
    return NULL;
  return g_ascii_strup(name, s - name + 1);
}

/* Looks up a model by its exact name; NULL with CATALOG_ERROR_UNKNOWN_MODEL suggesting
 * the models of the same family (same name up to the S) or a case-only difference. */
const ModelInfo *catalog_find(const Catalog *catalog, const char *name, GError **error)
{
  g_return_val_if_fail(catalog != NULL, NULL);
  g_return_val_if_fail(name != NULL, NULL);

  for (guint i = 0; i < catalog->models->len; i++) {
    const ModelInfo *model = g_ptr_array_index(catalog->models, i);
    if (g_str_equal(model->name, name))
      return model;
  }

  g_autofree char *wanted_prefix = name_series_prefix(name);
  g_autoptr(GString) suggestions = g_string_new(NULL);
  guint suggestion_count = 0;
  for (guint i = 0; i < catalog->models->len; i++) {
    const ModelInfo *model = g_ptr_array_index(catalog->models, i);
    g_autofree char *prefix = name_series_prefix(model->name);
    gboolean close = g_ascii_strcasecmp(model->name, name) == 0 ||
                     (wanted_prefix != NULL && prefix != NULL &&
                      g_str_equal(prefix, wanted_prefix));
    if (!close)
      continue;
    g_string_append_printf(suggestions, "%s'%s'", suggestion_count > 0 ? " or " : "",
                           model->name);
    suggestion_count++;
  }

  if (suggestion_count > 0)
    g_set_error(error, CATALOG_ERROR, CATALOG_ERROR_UNKNOWN_MODEL,
                "unknown model '%s': the catalog has %u models (station models lists "
                "them); did you mean %s?", name, catalog->models->len, suggestions->str);
  else
    g_set_error(error, CATALOG_ERROR, CATALOG_ERROR_UNKNOWN_MODEL,
                "unknown model '%s': the catalog has %u models (station models lists them)",
                name, catalog->models->len);
  return NULL;
}

static const struct {
  const char *name;             /* as the datasheet and the operator say it */
  const char *key;              /* as configuration files and the CLI write it */
} CHEMISTRIES[CHEMISTRY_COUNT] = {
  [CHEMISTRY_LIION] = { "Li-ion", "liion" },
  [CHEMISTRY_LFP] = { "LiFePO4", "lfp" },
  [CHEMISTRY_LTO] = { "LTO", "lto" },
};

/* Returns the chemistry's display name, or "unknown" for a value out of range. */
const char *chemistry_name(Chemistry chemistry)
{
  if ((unsigned)chemistry >= CHEMISTRY_COUNT)
    return "unknown";
  return CHEMISTRIES[chemistry].name;
}

/* Returns the chemistry's key, or "unknown" for a value out of range. */
const char *chemistry_key(Chemistry chemistry)
{
  if ((unsigned)chemistry >= CHEMISTRY_COUNT)
    return "unknown";
  return CHEMISTRIES[chemistry].key;
}

/* Reads a chemistry from its key or name, ignoring case; FALSE (out untouched) otherwise. */
gboolean chemistry_from_string(const char *text, Chemistry *out)
{
  if (text == NULL)
    return FALSE;
  for (int c = 0; c < CHEMISTRY_COUNT; c++) {
    if (g_ascii_strcasecmp(text, CHEMISTRIES[c].key) == 0 ||
        g_ascii_strcasecmp(text, CHEMISTRIES[c].name) == 0) {
      if (out != NULL)
        *out = (Chemistry)c;
      return TRUE;
    }
  }
  return FALSE;
}

static const struct {
  const char *name;
  gsize offset;
} number_fields[] = {
  {"balance_a", G_STRUCT_OFFSET(ModelInfo, balance_a)},
  {"path_mohm", G_STRUCT_OFFSET(ModelInfo, path_mohm)},
  {"cont_discharge_a", G_STRUCT_OFFSET(ModelInfo, cont_discharge_a)},
  {"cont_charge_a", G_STRUCT_OFFSET(ModelInfo, cont_charge_a)},
  {"max_discharge_2min_a", G_STRUCT_OFFSET(ModelInfo, max_discharge_2min_a)},
  {"ocp_min_a", G_STRUCT_OFFSET(ModelInfo, ocp_min_a)},
  {"ocp_max_a", G_STRUCT_OFFSET(ModelInfo, ocp_max_a)},
  {"heater_max_w", G_STRUCT_OFFSET(ModelInfo, heater_max_w)},
};

const char *const *model_info_number_fields(void)
{
  static const char *names[G_N_ELEMENTS(number_fields) + 1];
  if (!names[0])
    for (guint i = 0; i < G_N_ELEMENTS(number_fields); i++)
      names[i] = number_fields[i].name;
  return names;
}

gboolean model_info_number(const ModelInfo *model, const char *field, double *out)
{
  for (guint i = 0; i < G_N_ELEMENTS(number_fields); i++) {
    if (g_str_equal(field, number_fields[i].name)) {
      *out = G_STRUCT_MEMBER(double, model, number_fields[i].offset);
      return TRUE;
    }
  }
  return FALSE;
}
