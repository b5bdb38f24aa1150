/* The station's configuration file: what a station keeps beyond one run's command line: its
 * factory database and its shift start. A GLib key file:
 *
 *   [factory]
 *   database = host=db.plant port=5432 dbname=eol user=station   (a libpq connection string)
 *   passfile = /etc/jk-eol-station/pgpass     (optional; else PGPASSFILE or ~/.pgpass)
 *   ship_wait_s = 2                           (optional: how long `station run` lets the
 *                                              shipper finish after the verdict)
 *   [shift_start]
 *   golden_check = registered                 (registered: a fixture with golden boards needs
 *                                              the shift's golden check; required: every
 *                                              fixture does; off: none does)
 *
 * The default file is <user config dir>/jk-eol-station/station.conf; when it does not exist
 * the station has no factory database. A password in the connection string is refused. */
#pragma once
#include <glib.h>
#include "db/factory.h"
#include "station/golden_rule.h"

#define STATION_CONFIG_SHIP_WAIT_S 2.0

typedef struct {
  char *path;                   /* the file read, NULL when none */
  gboolean has_factory;         /* [factory] database is given */
  FactoryConfig factory;
  double ship_wait_s;
  GoldenPolicy golden_policy;   /* [shift_start] golden_check, default registered */
} StationConfig;

/* Reads path (NULL: the default file, which may be missing); STATION_ERROR_CONFIG naming the
 * file and the key when it cannot be read or a value is wrong. */
gboolean station_config_load(const char *path, StationConfig *config, GError **error);
void station_config_clear(StationConfig *config);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(StationConfig, station_config_clear)
/* The default file's path (freeing). */
char *station_config_default_path(void);
