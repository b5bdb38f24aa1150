/* Taking the factory database's firmware releases onto a station (factory_fetch.h). */
#include "firmware/factory_fetch.h"
#include "db/factory_firmware.h"
#include "firmware/release.h"
#include <string.h>

void firmware_fetch_report_clear(FirmwareFetchReport *report)
{
  g_clear_pointer(&report->lines, g_ptr_array_unref);
  memset(report, 0, sizeof *report);
}

static void add_line(FirmwareFetchReport *report, char *line)
{
  g_ptr_array_add(report->lines, line);
}

/* Checks, stores and releases one release; FALSE with the error when a database failed,
 * TRUE with *refusal set when the release was refused. */
static gboolean take_release(Store *store, FactoryDb *factory,
                             const FirmwareTrustedKeys *trusted,
                             const FactoryFirmwareRelease *release, char **previous,
                             char **refusal, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(FirmwareImageRecord) record = factory_firmware_image(factory, release->id, &local);
  if (record == NULL) {
    if (!factory_connected(factory)) {
      g_propagate_error(error, g_steal_pointer(&local));
      return FALSE;
    }
    *refusal = g_strdup(local->message);
    return TRUE;
  }
  g_autofree char *actor = g_strdup_printf("%s via the factory database", release->released_by);
  FirmwareImportResult imported;
  if (!firmware_import_record(store, record, trusted, actor, &imported, &local)) {
    *refusal = g_strdup(local->message);
    return TRUE;
  }
  gboolean same_image = g_strcmp0(imported.sha256, release->sha256) == 0;
  firmware_import_result_clear(&imported);
  if (!same_image) {
    *refusal = g_strdup("the image differs from the one the factory database names for the "
                        "release");
    return TRUE;
  }
  const char *models[] = {release->model, NULL};
  g_autoptr(GPtrArray) changes =
      firmware_store_release(store, release->version, models, actor, &local);
  if (changes == NULL) {
    *refusal = g_strdup(local->message);
    return TRUE;
  }
  const FirmwareReleaseChange *change = g_ptr_array_index(changes, 0);
  *previous = g_strdup(change->previous_version);
  return TRUE;
}

gboolean firmware_fetch_releases(Store *store, FactoryDb *factory,
                                 const FirmwareTrustedKeys *trusted, const char *station_id,
                                 FirmwareFetchReport *report, GError **error)
{
  memset(report, 0, sizeof *report);
  report->lines = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) releases = factory_firmware_releases(factory, station_id, error);
  if (releases == NULL)
    return FALSE;
  for (guint i = 0; i < releases->len; i++) {
    const FactoryFirmwareRelease *release = g_ptr_array_index(releases, i);
    g_autoptr(GError) local = NULL;
    g_autoptr(FirmwareImageRecord) mine =
        firmware_store_released_for_model(store, release->model, &local);
    if (mine && strcmp(mine->sha256, release->sha256) == 0) {
      report->current++;
    } else if (mine && release->fetched) {
      report->kept++;
      add_line(report, g_strdup_printf("%s: keeps its release %s (the factory database's %s "
                                       "was taken before)", release->model, mine->version,
                                       release->version));
      continue;
    } else {
      g_autofree char *previous = NULL, *refusal = NULL;
      if (!take_release(store, factory, trusted, release, &previous, &refusal, error))
        return FALSE;
      if (refusal) {
        report->refused++;
        add_line(report, g_strdup_printf("%s: firmware %s from the factory database %s "
                                         "refused, not released on this station: %s",
                                         release->model, release->version,
                                         factory_description(factory), refusal));
        continue;
      }
      report->released++;
      add_line(report, previous
                           ? g_strdup_printf("%s: %s released from the factory database "
                                             "(published by %s), supersedes %s",
                                             release->model, release->version,
                                             release->released_by, previous)
                           : g_strdup_printf("%s: %s released from the factory database "
                                             "(published by %s)", release->model,
                                             release->version, release->released_by));
    }
    if (!release->fetched &&
        !factory_firmware_fetched(factory, release->id, station_id, error))
      return FALSE;
  }
  return TRUE;
}
