/* Resolving the limits file for one model: generic layer, [group@MODEL] overrides, the
 * order's [group:PROFILE] layer, and @catalog.<field> references to the model's datasheet
 * values. */
#include "station/limit_table.h"
#include "station/station_error.h"
#include <math.h>
#include <string.h>

#define CATALOG_PREFIX "@catalog."

static void limit_free(gpointer data)
{
  Limit *limit = data;
  g_free(limit->group);
  g_free(limit->key);
  g_free(limit->value);
  g_free(limit->comment);
  g_free(limit);
}

void limit_table_free(LimitTable *table)
{
  if (!table)
    return;
  g_free(table->model);
  g_free(table->profile);
  g_ptr_array_unref(table->limits);
  g_free(table->sha256);
  g_free(table);
}

const char *limit_source_name(LimitSource source)
{
  static const char *const names[] = {"generic", "model override", "catalog", "profile"};
  return names[source];
}

/* Resolves one raw value; sets *source to CATALOG when it was a reference. */
static char *resolve_value(const char *path, const char *group, const char *key,
                           const char *raw, const ModelInfo *model, LimitSource *source,
                           GError **error)
{
  if (!g_str_has_prefix(raw, CATALOG_PREFIX))
    return g_strdup(raw);
  g_autofree char *field = g_strdup(raw + strlen(CATALOG_PREFIX));
  gboolean optional = g_str_has_suffix(field, "?");
  if (optional)
    field[strlen(field) - 1] = '\0';
  double value;
  if (!model_info_number(model, field, &value)) {
    g_autofree char *known = g_strjoinv(", ", (char **)model_info_number_fields());
    g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS,
                "%s: [%s] %s refers to catalog field '%s', which does not exist (fields: %s)",
                path, group, key, field, known);
    return NULL;
  }
  if (isnan(value) && optional) {
    *source = LIMIT_FROM_CATALOG;
    return NULL; /* the limit does not apply to this model */
  }
  if (isnan(value)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS,
                "%s: [%s] %s needs the datasheet's %s, which model %s does not give; add a "
                "[%s@%s] override with a value", path, group, key, field, model->name, group,
                model->name);
    return NULL;
  }
  *source = LIMIT_FROM_CATALOG;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.6g", value));
}

static Limit *find_limit(GPtrArray *limits, const char *group, const char *key)
{
  for (guint i = 0; i < limits->len; i++) {
    Limit *limit = g_ptr_array_index(limits, i);
    if (g_str_equal(limit->group, group) && g_str_equal(limit->key, key))
      return limit;
  }
  return NULL;
}

static char *clean_comment(char *comment)
{
  if (!comment)
    return NULL;
  g_autoptr(GString) out = g_string_new(NULL);
  g_auto(GStrv) lines = g_strsplit(comment, "\n", -1);
  for (char **line = lines; *line; line++) {
    const char *text = g_strstrip(*line);
    if (*text == '#')
      text++;
    text = g_strstrip((char *)text);
    if (*text)
      g_string_append_printf(out, "%s%s", out->len ? " " : "", text);
  }
  g_free(comment);
  return out->len ? g_string_free(g_steal_pointer(&out), FALSE) : NULL;
}

/* Reads the keys of file group `name` into the table as layer `source` of `group`: the
 * generic layer adds keys, a model override or a profile replaces keys the generic layer
 * has. */
static gboolean apply_group(GKeyFile *kf, const char *path, const char *name, const char *group,
                            LimitSource layer, const ModelInfo *model, LimitTable *table,
                            GError **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys(kf, name, NULL, NULL);
  for (char **k = keys; k && *k; k++) {
    g_autofree char *raw = g_key_file_get_value(kf, name, *k, NULL);
    LimitSource source = layer;
    GError *resolve_error = NULL;
    char *value = resolve_value(path, name, *k, g_strstrip(raw), model, &source, &resolve_error);
    if (resolve_error) {
      g_propagate_error(error, resolve_error);
      return FALSE;
    }
    if (!value)
      continue; /* an optional catalog value this model does not have */
    Limit *existing = find_limit(table->limits, group, *k);
    if (layer != LIMIT_FROM_GENERIC && !existing) {
      g_free(value);
      g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS,
                  "%s: [%s] overrides '%s', which the generic [%s] does not have", path, name,
                  *k, group);
      return FALSE;
    }
    if (existing) {
      g_free(existing->value);
      existing->value = value;
      existing->source = source;
      continue;
    }
    Limit *limit = g_new0(Limit, 1);
    limit->group = g_strdup(group);
    limit->key = g_strdup(*k);
    limit->value = value;
    limit->source = source;
    limit->comment = clean_comment(g_key_file_get_comment(kf, name, *k, NULL));
    g_ptr_array_add(table->limits, limit);
  }
  return TRUE;
}

/* The layer a file group belongs to: generic [group], model override [group@MODEL] or
 * profile [group:PROFILE]; *group gets the limits group it changes, *target the model or
 * profile. */
static LimitSource group_layer(const char *name, char **group, const char **target)
{
  const char *at = strchr(name, '@'), *colon = strchr(name, ':');
  const char *mark = at ? at : colon;
  *group = mark ? g_strndup(name, mark - name) : g_strdup(name);
  *target = mark ? mark + 1 : NULL;
  return at ? LIMIT_FROM_OVERRIDE : colon ? LIMIT_FROM_PROFILE : LIMIT_FROM_GENERIC;
}

gboolean limits_has_profile(GKeyFile *kf, const char *profile)
{
  if (!profile || g_str_equal(profile, LIMITS_DEFAULT_PROFILE))
    return TRUE;
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    const char *colon = strchr(*g, ':');
    if (colon && !strchr(*g, '@') && g_str_equal(colon + 1, profile))
      return TRUE;
  }
  return FALSE;
}

char **limits_profiles(GKeyFile *kf)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new();
  g_ptr_array_add(names, g_strdup(LIMITS_DEFAULT_PROFILE));
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    const char *colon = strchr(*g, ':');
    if (!colon || strchr(*g, '@'))
      continue;
    gboolean seen = FALSE;
    for (guint i = 0; i < names->len && !seen; i++)
      seen = g_str_equal(g_ptr_array_index(names, i), colon + 1);
    if (!seen)
      g_ptr_array_add(names, g_strdup(colon + 1));
  }
  g_ptr_array_add(names, NULL);
  return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

LimitTable *limits_resolve(const char *path, const Catalog *catalog, const ModelInfo *model,
                           const char *profile, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, &local)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS, "cannot read limits %s: %s",
                path, local->message);
    return NULL;
  }
  if (!limits_has_profile(kf, profile)) {
    g_auto(GStrv) known = limits_profiles(kf);
    g_autofree char *list = g_strjoinv(", ", known);
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "unknown protection profile '%s': %s has the profiles %s", profile, path, list);
    return NULL;
  }
  g_autoptr(LimitTable) table = g_new0(LimitTable, 1);
  table->model = g_strdup(model->name);
  table->profile = g_strdup(profile ? profile : LIMITS_DEFAULT_PROFILE);
  table->limits = g_ptr_array_new_with_free_func(limit_free);
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

  /* Generic layer first, then the model's overrides, then the profile, so an override may
   * sit anywhere in the file and the order's profile has the last word. */
  static const LimitSource passes[] = {LIMIT_FROM_GENERIC, LIMIT_FROM_OVERRIDE,
                                       LIMIT_FROM_PROFILE};
  for (guint pass = 0; pass < G_N_ELEMENTS(passes); pass++) {
    for (char **g = groups; *g; g++) {
      g_autofree char *group = NULL;
      const char *target;
      LimitSource layer = group_layer(*g, &group, &target);
      if (layer != passes[pass])
        continue;
      if (layer == LIMIT_FROM_OVERRIDE && !catalog_find(catalog, target, NULL)) {
        g_set_error(error, STATION_ERROR, STATION_ERROR_LIMITS,
                    "%s: [%s] overrides limits for model '%s', which is not in the catalog",
                    path, *g, target);
        return NULL;
      }
      if ((layer == LIMIT_FROM_OVERRIDE && !g_str_equal(target, model->name)) ||
          (layer == LIMIT_FROM_PROFILE && !g_str_equal(target, table->profile)))
        continue;
      if (!apply_group(kf, path, *g, group, layer, model, table, error))
        return NULL;
    }
  }
  g_autofree char *canonical = limit_table_canonical(table);
  table->sha256 = g_compute_checksum_for_string(G_CHECKSUM_SHA256, canonical, -1);
  return g_steal_pointer(&table);
}

const char *limit_table_get(const LimitTable *table, const char *group, const char *key)
{
  Limit *limit = find_limit(table->limits, group, key);
  return limit ? limit->value : NULL;
}

static int compare_lines(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *limit_table_canonical(const LimitTable *table)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; i < table->limits->len; i++) {
    const Limit *limit = g_ptr_array_index(table->limits, i);
    g_ptr_array_add(lines, g_strdup_printf("%s.%s = %s\n", limit->group, limit->key,
                                           limit->value));
  }
  g_ptr_array_sort(lines, compare_lines);
  g_autoptr(GString) text = g_string_new(NULL);
  g_string_append_printf(text, "model = %s\n", table->model);
  /* The default profile adds no line: its tables hash as they did before profiles. */
  if (table->profile && !g_str_equal(table->profile, LIMITS_DEFAULT_PROFILE))
    g_string_append_printf(text, "profile = %s\n", table->profile);
  for (guint i = 0; i < lines->len; i++)
    g_string_append(text, g_ptr_array_index(lines, i));
  return g_string_free(g_steal_pointer(&text), FALSE);
}
