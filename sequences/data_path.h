/* Where the station's data (sequences, catalog, limits) is found: $STATION_DATA_DIR if set,
 * else the installed data directory, else the source tree the program was built from. */
#pragma once
#include <glib.h>

/* Returns the path of a file under the sequences directory, e.g. "models.tsv". Newly
 * allocated; the file may not exist (the caller's open reports that). */
char *sequences_path(const char *name);
/* The sequences directory itself. */
const char *sequences_dir(void);
/* The fixture description used when none is named: $STATION_FIXTURE if set, else the twin's
 * fixtures/sim.conf beside the sequences directory (source tree or installed data). */
char *default_fixture_path(void);
