/* The factory database: the central PostgreSQL that holds the finished runs of every station
 * of a plant (each station keeps its own SQLite result store and ships its runs there through
 * the outbox, db/outbox.h), reached through libpq. A run is known there by its globally
 * unique id (runs.uid), so sending one again after a lost answer never duplicates it. */
#pragma once
#include <glib.h>
#include "db/store.h"
#include "db/report.h"

#define FACTORY_ERROR (factory_error_quark())
GQuark factory_error_quark(void);
typedef enum {
  FACTORY_ERROR_CONFIG,         /* the connection string is malformed or holds a password, or
                                   the password file is missing or open to others */
  FACTORY_ERROR_CONNECT,        /* the server cannot be reached or refused the login */
  FACTORY_ERROR_SCHEMA,         /* its schema is newer than this station's, or migrating failed */
  FACTORY_ERROR_LINK,           /* the connection broke during a statement: not shipped, or
                                   (a lost answer to the commit) not known */
  FACTORY_ERROR_REJECTED,       /* the server refused a row of the run */
} FactoryErrorCode;

/* Where the factory database is, as the station's configuration names it. */
typedef struct {
  char *conninfo;               /* libpq connection string (keywords or URI), without password */
  char *passfile;               /* the password file (PGPASSFILE format); NULL: libpq's own
                                   choice, PGPASSFILE or ~/.pgpass */
  char *origin;                 /* where it was configured, for messages (the file's path) */
} FactoryConfig;

void factory_config_clear(FactoryConfig *config);
/* Checks the connection string: FACTORY_ERROR_CONFIG when libpq cannot parse it or it holds
 * a password (which belongs in the password file, never in the configuration, on the
 * command line or in a log). Returns what may be shown of it: host, port, database and user
 * (freeing). */
char *factory_config_describe(const FactoryConfig *config, GError **error);

/* Checks the password file libpq would read: passfile (the configuration's, else the
 * connection string's), else PGPASSFILE, else ~/.pgpass, which alone may be missing.
 * FACTORY_ERROR_CONFIG in one sentence naming the file and what to do when it does not exist,
 * is not a plain file, cannot be read, or is open to its group or others (libpq ignores such
 * a file: it must be mode 0600 or less). */
gboolean factory_passfile_check(const FactoryConfig *config, GError **error);

typedef struct FactoryDb FactoryDb;

/* Connects (the connection string's connect_timeout, 5 s when it gives none) and creates or
 * migrates the factory schema; NULL with the error, one sentence saying what was wrong and
 * what to do (factory_private.h, factory_connect()). */
FactoryDb *factory_open(const FactoryConfig *config, GError **error);
void factory_close(FactoryDb *factory);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FactoryDb, factory_close)
/* The schema version of the factory database (factory_schema.c). */
int factory_schema_version(FactoryDb *factory);
/* Host, port, database and user, as factory_config_describe() gives them (borrowed). */
const char *factory_description(FactoryDb *factory);

/* Ships one finished run with its steps, measurements, calibrations and instruments in one
 * transaction. *already is TRUE when the factory database had the run (its uid) before: then
 * nothing is written. FACTORY_ERROR_LINK when the connection broke (the FactoryDb is then of
 * no further use), FACTORY_ERROR_REJECTED when the server refused a row. */
gboolean factory_ship_run(FactoryDb *factory, const RunDetail *run, gboolean *already,
                          GError **error);
/* Whether the connection is still usable after an error. */
gboolean factory_connected(FactoryDb *factory);

/* The reports of db/report.h over the runs of every station in the factory database; for the
 * runs of one station the numbers equal the station's own. A board's first run is its
 * earliest by start time across stations. */
GPtrArray *factory_report_yield(FactoryDb *factory, const ReportFilter *filter,
                                YieldGrouping grouping, YieldRow *total, GError **error);
GPtrArray *factory_report_pareto(FactoryDb *factory, const ReportFilter *filter,
                                 ParetoKind kind, gint64 *failing_runs, GError **error);
/* From now on the report queries above are each run as EXPLAIN (ANALYZE, BUFFERS) first and
 * their plans kept, for a look at how the factory database answers them (which tables and
 * indexes they read). */
void factory_explain_reports(FactoryDb *factory);
/* The plans of the report queries run since factory_explain_reports(), one line per plan
 * line (borrowed); NULL when not explaining. */
const char *factory_report_plans(FactoryDb *factory);
