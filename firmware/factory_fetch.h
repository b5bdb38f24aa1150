/* Taking the firmware releases of the factory database onto a station: each model's current
 * release there that the station has not taken yet is checked as a local import checks a
 * file (its manifest's signature against the station's trusted keys, the image's SHA-256
 * and header against the manifest), stored and released for its model. An image that fails
 * a check is refused, with the reason, and nothing changes on the station; it is offered
 * again at the next fetch. A release taken once is not taken again, so an engineer's later
 * local release for the model stands until the factory database has a newer one. */
#pragma once
#include <glib.h>
#include "db/factory.h"
#include "db/store.h"
#include "firmware/keys.h"

typedef struct {
  guint released;               /* releases taken and released on the station */
  guint current;                /* already the station's release for their model */
  guint kept;                   /* taken before, the station has released another since */
  guint refused;                /* failed a check or could not be stored: nothing changed */
  GPtrArray *lines;             /* one sentence per release taken, kept or refused (char*) */
} FirmwareFetchReport;

void firmware_fetch_report_clear(FirmwareFetchReport *report);

/* Fetches what station_id has not taken from the factory database. FALSE with the error only
 * when the factory database or the station's database failed (a refused release is in the
 * report, not an error). */
gboolean firmware_fetch_releases(Store *store, FactoryDb *factory,
                                 const FirmwareTrustedKeys *trusted, const char *station_id,
                                 FirmwareFetchReport *report, GError **error);
