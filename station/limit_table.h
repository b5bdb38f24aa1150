/* Test limits per model. The limits file (sequences/limits.conf, a GLib key file) has a
 * generic layer, groups such as [cell_voltage], and model overrides, groups named
 * [<group>@<MODEL>] whose keys replace the generic ones for that model. A value may refer to
 * the model's catalog entry, `@catalog.<field>` (e.g. `@catalog.balance_a`), so limits that
 * the datasheet fixes follow the catalog; `@catalog.<field>?` is left out for a model whose
 * datasheet gives no such value (e.g. heater power on a model without heater). A protection
 * profile is a named layer on top, groups named [<group>:<PROFILE>] (e.g. [production:cold]),
 * chosen by the order; "default" is the file without any profile layer. Resolving for
 * one model gives a plain table; its SHA-256 over a canonical text is recorded with each run,
 * so any change of a limit, of an override or of the catalog value behind it shows in the
 * data. */
#pragma once
#include <glib.h>
#include "sequences/catalog.h"

typedef enum {
  LIMIT_FROM_GENERIC,           /* the generic layer */
  LIMIT_FROM_OVERRIDE,          /* a [group@MODEL] override */
  LIMIT_FROM_CATALOG,           /* a @catalog.<field> reference, resolved */
  LIMIT_FROM_PROFILE,           /* the order's [group:PROFILE] layer */
} LimitSource;

/* The profile of a file without a profile layer applied. */
#define LIMITS_DEFAULT_PROFILE "default"

typedef struct {
  char *group;
  char *key;                    /* unit in the name, e.g. accuracy_mv */
  char *value;                  /* resolved text: a number, a ';' list or a word */
  LimitSource source;
  char *comment;                /* the comment above the key in the file, or NULL */
} Limit;

typedef struct {
  char *model;                  /* the model resolved for */
  char *profile;                /* the protection profile resolved with ("default") */
  GPtrArray *limits;            /* of Limit*, in file order */
  char *sha256;                 /* of the canonical text */
} LimitTable;

/* Loads the file and resolves it for `model` and `profile` (NULL: "default"). Errors name
 * the file, group and key: an unknown catalog field, a reference to a value the datasheet
 * does not give for this model, an override of a key the generic layer lacks, an override
 * for a model not in the catalog; a profile the file does not have is STATION_ERROR_ORDER
 * naming the profiles it has. */
LimitTable *limits_resolve(const char *path, const Catalog *catalog, const ModelInfo *model,
                           const char *profile, GError **error);
/* Whether the loaded limits file has `profile` (NULL and "default" always). */
gboolean limits_has_profile(GKeyFile *kf, const char *profile);
/* The profiles of a loaded limits file, "default" first (NULL-terminated, free with
 * g_strfreev). */
char **limits_profiles(GKeyFile *kf);
void limit_table_free(LimitTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LimitTable, limit_table_free)

/* The value of group.key, or NULL. */
const char *limit_table_get(const LimitTable *table, const char *group, const char *key);
/* The canonical text that is hashed: "group.key = value" lines, sorted. */
char *limit_table_canonical(const LimitTable *table);
const char *limit_source_name(LimitSource source);
