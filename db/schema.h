/* The result store's schema (private to db/): the list of forward migrations that take a
 * database from any older PRAGMA user_version to the one this station knows. */
#pragma once
#include <glib.h>
#include <sqlite3.h>

/* The schema version this station writes (the last migration's number). */
int schema_latest_version(void);
/* Brings the open database at path up to schema_latest_version() (STORE_ERROR_SCHEMA when it
 * is newer, is some other program's database, or a migration fails; nothing is changed then).
 * On success *version is the database's schema version. */
gboolean schema_migrate(sqlite3 *db, const char *path, int *version, GError **error);
