/* Firmware releases in the factory database: the firmware team publishes a signed image
 * released for some models there once, and every station fetches the releases it has not
 * taken yet. This layer stores and reads; the signature is checked by the station that takes
 * an image, against its own trusted keys (firmware/factory_fetch.h), never here. */
#pragma once
#include <glib.h>
#include "db/factory.h"
#include "db/firmware_store.h"

/* Publishes the image of record (a stored image with its manifest and bytes) and releases it
 * for each model, superseding the model's release in the factory database; one transaction.
 * The same version with other bytes there is FACTORY_ERROR_REJECTED. Returns a GPtrArray of
 * FirmwareReleaseChange* (freeing), or NULL. */
GPtrArray *factory_firmware_publish(FactoryDb *factory, const FirmwareImageRecord *record,
                                    const char *const *models, const char *actor,
                                    GError **error);

/* A model's current release in the factory database. */
typedef struct {
  gint64 id;                    /* the release's row */
  char *model;
  char *version;
  char *sha256;
  char *released_by;
  gboolean fetched;             /* the station asked about has taken it */
} FactoryFirmwareRelease;

void factory_firmware_release_free(FactoryFirmwareRelease *release);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FactoryFirmwareRelease, factory_firmware_release_free)

/* Every model's current release, by model, with whether station_id has fetched it
 * (GPtrArray of FactoryFirmwareRelease*, freeing), or NULL. */
GPtrArray *factory_firmware_releases(FactoryDb *factory, const char *station_id,
                                     GError **error);
/* The image of a release as published: manifest, signature, bytes, for the station to check
 * (freeing), or NULL. */
FirmwareImageRecord *factory_firmware_image(FactoryDb *factory, gint64 release_id,
                                            GError **error);
/* Records that station_id has taken the release (again: nothing changes). */
gboolean factory_firmware_fetched(FactoryDb *factory, gint64 release_id, const char *station_id,
                                  GError **error);
