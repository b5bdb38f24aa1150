/* A scratch line for the station's self-tests on the twin (validate, plan): a database of
 * their own (temporary unless a path is given) with test firmware released for every model,
 * and the folder of keys that trusts it. Removed again by scratch_line_close(). */
#pragma once
#include <glib.h>
#include "db/store.h"
#include "sequences/catalog.h"

typedef struct {
  char *folder;                 /* temporary folder, removed at close */
  Store *store;                 /* owned */
  char *trusted_keys_dir;       /* inside folder */
} ScratchLine;

gboolean scratch_line_open(ScratchLine *line, const Catalog *catalog, const char *db_path,
                           GError **error);
void scratch_line_close(ScratchLine *line);
