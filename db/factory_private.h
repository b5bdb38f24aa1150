/* The factory database's insides, shared by db/factory*.c (not for code outside db/). */
#pragma once
#include <libpq-fe.h>
#include "db/factory.h"

struct FactoryDb {
  PGconn *conn;                 /* owned */
  char *description;            /* host, port, database, user */
  int schema_version;
  GString *plans;               /* owned; the report queries' plans, NULL: not explaining */
};

/* Parses the station's connection string; NULL with FACTORY_ERROR_CONFIG when libpq cannot
 * read it or it holds a password (then libpq's words, which may quote it, are not shown). */
PQconninfoOption *factory_parse_conninfo(const FactoryConfig *config, GError **error);
/* The value of a parsed keyword, NULL when not given (borrowed). */
const char *factory_option_value(const PQconninfoOption *options, const char *keyword);

/* Connects with libpq's keywords and values (expand_dbname: the first value is the whole
 * connection string; options parsed from it), waiting at most timeout_s; the password file
 * is checked first (factory_passfile_check). NULL with FACTORY_ERROR_CONNECT in one sentence
 * that names what failed and what to do: the server not reached (connection refused, host
 * unknown, no answer in time), the login refused (a wrong password, none for the user in the
 * password file, or the server's rules), the connection refused after the login; or with
 * FACTORY_ERROR_CONFIG from the password file's check. */
PGconn *factory_connect(const FactoryConfig *config, const PQconninfoOption *options,
                        const char *const *keywords, const char *const *values,
                        const char *description, GError **error);

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
