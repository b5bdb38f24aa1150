/* The stored plans, one key file per model, order, sequence and limits (plan_store.h). */
#include "station/plan_store.h"
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>
#include <math.h>

#define PLAN_GROUP "plan"

static char *key_text(const PlanKey *key)
{
  return g_strdup_printf("model=%s\nchemistry=%s\ncells=%d\nheater=%s\nprofile=%s\n"
                         "sequence=%s\nlimits=%s\n", key->model, key->chemistry,
                         key->cell_count, key->heater ? "yes" : "no",
                         key->profile ? key->profile : "", key->sequence_sha256,
                         key->limits_sha256);
}

char *plan_store_key(const PlanKey *key)
{
  g_autofree char *text = key_text(key);
  return g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
}

char *plan_store_default_dir(void)
{
  return g_build_filename(g_get_user_data_dir(), "jk-eol-station", "plans", NULL);
}

static char *plan_path(const char *dir, const PlanKey *key)
{
  g_autofree char *folder = dir ? g_strdup(dir) : plan_store_default_dir();
  g_autofree char *hex = plan_store_key(key);
  g_autofree char *name = g_strdup_printf("%s.plan", hex);
  return g_build_filename(folder, name, NULL);
}

static char *step_group(const char *group, const char *name)
{
  return g_strdup_printf("step %s/%s", group, name);
}

gboolean plan_store_save(const char *dir, const PlanKey *key, const GArray *timings,
                         char **path, GError **error)
{
  g_autofree char *file = plan_path(dir, key);
  g_autofree char *folder = g_path_get_dirname(file);
  if (g_mkdir_with_parents(folder, 0755) != 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                "cannot create the plan folder %s: %s", folder, g_strerror(errno));
    return FALSE;
  }
  g_autoptr(GKeyFile) plan = g_key_file_new();
  g_key_file_set_string(plan, PLAN_GROUP, "model", key->model);
  g_key_file_set_string(plan, PLAN_GROUP, "chemistry", key->chemistry);
  g_key_file_set_integer(plan, PLAN_GROUP, "cells", key->cell_count);
  g_key_file_set_string(plan, PLAN_GROUP, "heater", key->heater ? "yes" : "no");
  g_key_file_set_string(plan, PLAN_GROUP, "profile", key->profile ? key->profile : "");
  g_key_file_set_string(plan, PLAN_GROUP, "sequence_sha256", key->sequence_sha256);
  g_key_file_set_string(plan, PLAN_GROUP, "limits_sha256", key->limits_sha256);
  for (guint i = 0; i < timings->len; i++) {
    const StepTiming *t = &g_array_index(timings, StepTiming, i);
    if (isnan(t->clock_s))
      continue;
    g_autofree char *group = step_group(t->group, t->name);
    g_key_file_set_double(plan, group, "planned_s", t->clock_s);
    g_key_file_set_double(plan, group, "required_s", t->required_s);
  }
  gsize length;
  g_autofree char *text = g_key_file_to_data(plan, &length, NULL);
  if (!g_file_set_contents(file, text, (gssize)length, error))
    return FALSE;
  if (path)
    *path = g_steal_pointer(&file);
  return TRUE;
}

GHashTable *plan_store_load(const char *dir, const PlanKey *key, char **why)
{
  g_autofree char *file = plan_path(dir, key);
  g_autoptr(GKeyFile) plan = g_key_file_new();
  g_autoptr(GError) error = NULL;
  if (!g_key_file_load_from_file(plan, file, G_KEY_FILE_NONE, &error)) {
    if (why)
      *why = g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                 ? g_strdup_printf("no plan for %s %s %dS heater %s profile %s with this "
                                   "sequence and these limits", key->model, key->chemistry,
                                   key->cell_count, key->heater ? "yes" : "no",
                                   key->profile ? key->profile : "default")
                 : g_strdup_printf("plan %s unreadable: %s", file, error->message);
    return NULL;
  }
  GHashTable *steps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) groups = g_key_file_get_groups(plan, NULL);
  for (char **group = groups; *group; group++) {
    if (!g_str_has_prefix(*group, "step "))
      continue;
    g_autoptr(GError) bad = NULL;
    double planned = g_key_file_get_double(plan, *group, "planned_s", &bad);
    if (bad || !isfinite(planned) || planned < 0)
      continue; /* a step without a usable time is one the plan cannot bound */
    g_hash_table_insert(steps, g_strdup(*group + strlen("step ")), g_memdup2(&planned,
                                                                            sizeof planned));
  }
  return steps;
}

double plan_store_planned_s(GHashTable *plan, const char *group, const char *name)
{
  if (!plan)
    return NAN;
  g_autofree char *step = g_strdup_printf("%s/%s", group, name);
  const double *planned = g_hash_table_lookup(plan, step);
  return planned ? *planned : NAN;
}
