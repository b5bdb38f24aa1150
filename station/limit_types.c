/* Checking resolved limits against the kinds the sequence reads them as (limit_types.h). */
#include "station/limit_types.h"
#include "station/station_error.h"
#include "sequences/data_path.h"

#include <string.h>

/* TRUE when text is one decimal number (as the Lua host turns it into a number). */
static gboolean is_number(const char *text)
{
  char *end = NULL;
  g_ascii_strtod(text, &end);
  return end != text && *g_strstrip(end) == '\0';
}

/* TRUE when text is a ';' list of numbers (empty items allowed at the end). */
static gboolean is_number_list(const char *text)
{
  g_auto(GStrv) parts = g_strsplit(text, ";", -1);
  guint numbers = 0;
  for (char **p = parts; *p; p++) {
    g_strstrip(*p);
    if (**p == '\0')
      continue;
    if (!is_number(*p))
      return FALSE;
    numbers++;
  }
  return numbers > 0;
}

static gboolean is_word(const char *text)
{
  return *text && !strpbrk(text, " \t;");
}

/* TRUE when value is of kind; *known is FALSE for a kind the types file should not have. */
static gboolean value_fits(const char *kind, const char *value, gboolean *known)
{
  *known = TRUE;
  g_autofree char *text = g_strstrip(g_strdup(value));
  if (g_str_equal(kind, "number"))
    return is_number(text);
  if (g_str_equal(kind, "number?"))
    return *text == '\0' || is_number(text);
  if (g_str_equal(kind, "numbers"))
    return is_number_list(text);
  if (g_str_equal(kind, "word"))
    return is_word(text);
  *known = FALSE;
  return FALSE;
}

char *limit_types_path_for(const char *limits_path)
{
  if (g_str_has_suffix(limits_path, ".conf")) {
    g_autofree char *base = g_strndup(limits_path, strlen(limits_path) - strlen(".conf"));
    char *beside = g_strconcat(base, ".types", NULL);
    if (g_file_test(beside, G_FILE_TEST_EXISTS))
      return beside;
    g_free(beside);
  }
  return sequences_path("limits.types");
}

/* Where a limit came from, as the file names it: [group], [group@MODEL] or
 * [group:PROFILE]. */
static char *layer_name(const LimitTable *table, const Limit *limit)
{
  if (limit->source == LIMIT_FROM_OVERRIDE)
    return g_strdup_printf("[%s@%s]", limit->group, table->model);
  if (limit->source == LIMIT_FROM_PROFILE)
    return g_strdup_printf("[%s:%s]", limit->group, table->profile);
  return g_strdup_printf("[%s]", limit->group);
}

/* Every limit of the table is declared and of its kind. */
static gboolean check_values(const LimitTable *table, GKeyFile *types, const char *limits_path,
                             const char *types_path, GError **error)
{
  for (guint i = 0; i < table->limits->len; i++) {
    const Limit *limit = g_ptr_array_index(table->limits, i);
    g_autofree char *layer = layer_name(table, limit);
    g_autofree char *kind = g_key_file_get_string(types, limit->group, limit->key, NULL);
    if (!kind) {
      g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS,
                  "%s: %s %s is not a limit the sequence reads (%s declares none of that "
                  "name in [%s]): check its spelling, or declare it there",
                  limits_path, layer, limit->key, types_path, limit->group);
      return FALSE;
    }
    gboolean known;
    if (!value_fits(g_strstrip(kind), limit->value, &known)) {
      if (!known)
        g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS,
                    "%s: [%s] %s has the kind '%s'; use number, number?, numbers or word",
                    types_path, limit->group, limit->key, kind);
      else
        g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS,
                    "%s: %s %s = '%s' is not %s, which the sequence reads it as (model %s)",
                    limits_path, layer, limit->key, limit->value,
                    g_str_equal(kind, "numbers") ? "a ';' list of numbers"
                    : g_str_equal(kind, "word")  ? "one word"
                                                 : "a number",
                    table->model);
      return FALSE;
    }
  }
  return TRUE;
}

/* Every key the types declare (but the optional ones) is in the table. */
static gboolean check_present(const LimitTable *table, GKeyFile *types, const char *limits_path,
                              const char *types_path, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups(types, NULL);
  for (char **g = groups; *g; g++) {
    g_auto(GStrv) keys = g_key_file_get_keys(types, *g, NULL, NULL);
    for (char **k = keys; k && *k; k++) {
      g_autofree char *kind = g_key_file_get_string(types, *g, *k, NULL);
      if (limit_table_get(table, *g, *k) || g_str_equal(g_strstrip(kind), "number?"))
        continue;
      g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS,
                  "%s: [%s] has no %s, which the sequence reads as %s (%s): add it",
                  limits_path, *g, *k, kind, types_path);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean limit_types_check(const LimitTable *table, const char *limits_path,
                           const char *types_path, GError **error)
{
  g_autoptr(GKeyFile) types = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file(types, types_path, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS,
                "cannot read the kinds of the limits %s: %s", types_path, local->message);
    return FALSE;
  }
  return check_values(table, types, limits_path, types_path, error) &&
         check_present(table, types, limits_path, types_path, error);
}
