/* The stored plans: `station plan` keeps each step's planned time for a model and order, run
 * with one sequence and one set of limits, in a key file named by the SHA-256 of all of
 * them (in ~/.local/share/jk-eol-station/plans/ unless a folder is given). A run of the same
 * model, order, sequence and limits reads it for its steps' time limits; any change to the
 * sequence (a module included) or to the limits in effect is another key, so a plan never
 * outlives what it measured. */
#pragma once
#include <glib.h>
#include "station/engine.h"

typedef struct {
  const char *model;
  const char *chemistry;        /* key: "lfp", "liion", "lto" */
  int cell_count;
  gboolean heater;
  const char *profile;          /* NULL: the default production settings */
  const char *sequence_sha256;  /* of the sequence and every module it loaded */
  const char *limits_sha256;    /* of the limits resolved for the model and profile */
} PlanKey;

/* The key's SHA-256 in hex. Free with g_free. */
char *plan_store_key(const PlanKey *key);
/* The folder plans are kept in when none is given. Free with g_free. */
char *plan_store_default_dir(void);
/* Writes the plan of the steps timed (StepTiming, PASS run) under key in dir (NULL: the
 * default), replacing any plan of the same key atomically; the file's path in *path. */
gboolean plan_store_save(const char *dir, const PlanKey *key, const GArray *timings,
                         char **path, GError **error);
/* The planned s per step ("group/name" to a double), or NULL when the key has no plan (the
 * reason in *why, when why is given). */
GHashTable *plan_store_load(const char *dir, const PlanKey *key, char **why);
/* s the plan gives the step, or NAN when it has none. */
double plan_store_planned_s(GHashTable *plan, const char *group, const char *name);
