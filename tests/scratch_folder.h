/* A temporary folder per test (database, keys, images), removed with all it holds: the
 * store leaves lock files beside its database. */
#pragma once
#include <glib.h>

/* A new folder under the temporary directory, named from prefix (freeing). */
char *scratch_folder_new(const char *prefix);
/* Removes path and everything in it. */
void scratch_folder_remove(const char *path);
