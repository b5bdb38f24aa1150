/* The factory database's insides, shared by db/factory*.c (not for code outside db/). */
#pragma once
#include <libpq-fe.h>
#include "db/factory.h"

struct FactoryDb {
  PGconn *conn;                 /* owned */
  char *description;            /* host, port, database, user */
  int schema_version;
};

/* Sets FACTORY_ERROR_LINK when the connection is gone, else FACTORY_ERROR_REJECTED,
 * "<doing> in the factory database <description>: <server's words>". */
void factory_set_error(FactoryDb *factory, GError **error, const PGresult *result,
                       const char *doing);
/* Runs a command without parameters; FALSE with the error. */
gboolean factory_exec(FactoryDb *factory, const char *sql, const char *doing, GError **error);
/* The latest schema version this station knows. */
int factory_schema_latest_version(void);
/* Creates or migrates the factory schema in one transaction, serialised between stations by
 * an advisory lock; sets factory->schema_version. FACTORY_ERROR_SCHEMA on failure. */
gboolean factory_schema_migrate(FactoryDb *factory, GError **error);
