/* Firmware releases in the factory database (factory_firmware.h): tables firmware_images,
 * firmware_releases and firmware_fetches of factory schema version 2. */
#include "db/factory_firmware.h"
#include "db/factory_private.h"
#include <string.h>

/* Runs a statement with text parameters; the result (freeing with PQclear) when it
 * succeeded, else NULL with the error. result_format 1 asks for the values as sent by the
 * server (bytea as its bytes, text as it is). */
static PGresult *query(FactoryDb *factory, const char *sql, int n, const char *const *values,
                       const int *lengths, const int *formats, int result_format,
                       const char *doing, GError **error)
{
  PGresult *result = PQexecParams(factory->conn, sql, n, NULL, values, lengths, formats,
                                  result_format);
  ExecStatusType status = PQresultStatus(result);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
    return result;
  factory_set_error(factory, error, result, doing);
  PQclear(result);
  return NULL;
}

static gint64 id_value(const PGresult *result, int row, int column)
{
  return g_ascii_strtoll(PQgetvalue(result, row, column), NULL, 10);
}

/* ---- publishing ---- */

/* Stores the image unless its bytes are there; its row id in *image_id. */
static gboolean publish_image(FactoryDb *factory, const FirmwareImageRecord *record,
                              const char *actor, gint64 *image_id, const char *doing,
                              GError **error)
{
  const char *version[] = {record->version};
  PGresult *found = query(factory, "SELECT sha256 FROM firmware_images WHERE version = $1",
                          1, version, NULL, NULL, 0, doing, error);
  if (found == NULL)
    return FALSE;
  if (PQntuples(found) && strcmp(PQgetvalue(found, 0, 0), record->sha256) != 0) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_REJECTED,
                "%s: version %s is already published in the factory database %s with another "
                "image (SHA-256 %.16s…, this one %.16s…); a new build needs a new version",
                doing, record->version, factory->description, PQgetvalue(found, 0, 0),
                record->sha256);
    PQclear(found);
    return FALSE;
  }
  PQclear(found);
  gsize length = 0;
  const char *bytes = g_bytes_get_data(record->image, &length);
  g_autofree char *models = g_strjoinv(",", record->models);
  const char *values[] = {record->version, record->sha256, models, record->signer_key_id,
                          record->manifest, bytes, actor};
  const int lengths[] = {0, 0, 0, 0, 0, (int)length, 0};
  const int formats[] = {0, 0, 0, 0, 0, 1, 0};
  PGresult *inserted = query(
      factory, "WITH new AS (INSERT INTO firmware_images (version, sha256, models, "
      "signer_key_id, manifest, image, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT (sha256) DO NOTHING RETURNING id) SELECT id FROM new UNION ALL "
      "SELECT id FROM firmware_images WHERE sha256 = $2", 7, values, lengths, formats, 0,
      doing, error);
  if (inserted == NULL)
    return FALSE;
  *image_id = id_value(inserted, 0, 0);
  PQclear(inserted);
  return TRUE;
}

/* Makes the image the model's release, superseding the current one. */
static gboolean publish_release(FactoryDb *factory, gint64 image_id, const char *model,
                                const char *actor, FirmwareReleaseChange *change,
                                const char *doing, GError **error)
{
  const char *model_value[] = {model};
  PGresult *current = query(
      factory, "SELECT r.id, r.image_id, i.version FROM firmware_releases AS r JOIN "
      "firmware_images AS i ON i.id = r.image_id WHERE r.model = $1 AND r.superseded_at IS "
      "NULL FOR UPDATE OF r", 1, model_value, NULL, NULL, 0, doing, error);
  if (current == NULL)
    return FALSE;
  gint64 old_release = PQntuples(current) ? id_value(current, 0, 0) : 0;
  gint64 old_image = PQntuples(current) ? id_value(current, 0, 1) : 0;
  if (old_release)
    change->previous_version = g_strdup(PQgetvalue(current, 0, 2));
  PQclear(current);
  if (old_image == image_id) {
    change->unchanged = TRUE;
    g_clear_pointer(&change->previous_version, g_free);
    return TRUE;
  }
  g_autofree char *old_text = g_strdup_printf("%" G_GINT64_FORMAT, old_release);
  g_autofree char *image_text = g_strdup_printf("%" G_GINT64_FORMAT, image_id);
  const char *old_value[] = {old_text};
  const char *values[] = {model, image_text, actor};
  /* the old release first: the unique index allows one current release per model */
  PGresult *superseded = query(factory, "UPDATE firmware_releases SET superseded_at = now() "
                               "WHERE id = $1", 1, old_value, NULL, NULL, 0, doing, error);
  if (superseded == NULL)
    return FALSE;
  PQclear(superseded);
  PGresult *released = query(factory, "INSERT INTO firmware_releases (model, image_id, "
                             "released_by) VALUES ($1, $2, $3)", 3, values, NULL, NULL, 0,
                             doing, error);
  if (released == NULL)
    return FALSE;
  PQclear(released);
  return TRUE;
}

GPtrArray *factory_firmware_publish(FactoryDb *factory, const FirmwareImageRecord *record,
                                    const char *const *models, const char *actor,
                                    GError **error)
{
  g_return_val_if_fail(factory != NULL && record != NULL && record->image != NULL, NULL);
  g_autofree char *doing = g_strdup_printf("publishing firmware %s", record->version);
  g_autoptr(GPtrArray) changes =
      g_ptr_array_new_with_free_func((GDestroyNotify)firmware_release_change_free);
  const char *unbuilt = NULL;
  g_auto(GStrv) distinct = firmware_release_models(record->models, models, &unbuilt);
  if (!distinct) {
    g_autofree char *listed = g_strjoinv(",", record->models);
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_REJECTED,
                "%s: it is not built for model %s (its signed manifest lists %s); nothing "
                "was published", doing, unbuilt, listed);
    return NULL;
  }
  gint64 image_id = 0;
  gboolean ok = factory_exec(factory, "BEGIN", doing, error) &&
                publish_image(factory, record, actor, &image_id, doing, error);
  for (guint i = 0; ok && distinct[i]; i++) {
    FirmwareReleaseChange *change = g_new0(FirmwareReleaseChange, 1);
    change->model = g_strdup(distinct[i]);
    g_ptr_array_add(changes, change);
    ok = publish_release(factory, image_id, distinct[i], actor, change, doing, error);
  }
  ok = ok && factory_exec(factory, "COMMIT", doing, error);
  if (!ok) {
    if (factory_connected(factory))
      PQclear(PQexec(factory->conn, "ROLLBACK"));
    return NULL;
  }
  return g_steal_pointer(&changes);
}

/* ---- fetching ---- */

void factory_firmware_release_free(FactoryFirmwareRelease *release)
{
  if (release == NULL)
    return;
  g_free(release->model);
  g_free(release->version);
  g_free(release->sha256);
  g_free(release->released_by);
  g_free(release);
}

GPtrArray *factory_firmware_releases(FactoryDb *factory, const char *station_id,
                                     GError **error)
{
  const char *values[] = {station_id};
  PGresult *result = query(
      factory, "SELECT r.id, r.model, i.version, i.sha256, r.released_by, EXISTS (SELECT 1 "
      "FROM firmware_fetches AS f WHERE f.release_id = r.id AND f.station_id = $1) FROM "
      "firmware_releases AS r JOIN firmware_images AS i ON i.id = r.image_id WHERE "
      "r.superseded_at IS NULL ORDER BY r.model COLLATE \"C\"", 1, values, NULL, NULL, 0,
      "reading the firmware releases", error);
  if (result == NULL)
    return NULL;
  GPtrArray *releases =
      g_ptr_array_new_with_free_func((GDestroyNotify)factory_firmware_release_free);
  for (int r = 0; r < PQntuples(result); r++) {
    FactoryFirmwareRelease *release = g_new0(FactoryFirmwareRelease, 1);
    release->id = id_value(result, r, 0);
    release->model = g_strdup(PQgetvalue(result, r, 1));
    release->version = g_strdup(PQgetvalue(result, r, 2));
    release->sha256 = g_strdup(PQgetvalue(result, r, 3));
    release->released_by = g_strdup(PQgetvalue(result, r, 4));
    release->fetched = strcmp(PQgetvalue(result, r, 5), "t") == 0;
    g_ptr_array_add(releases, release);
  }
  PQclear(result);
  return releases;
}

FirmwareImageRecord *factory_firmware_image(FactoryDb *factory, gint64 release_id,
                                            GError **error)
{
  g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, release_id);
  const char *values[] = {id};
  /* binary results: text as it is, the image as its bytes */
  PGresult *result = query(
      factory, "SELECT i.version, i.models, i.sha256, i.signer_key_id, i.manifest, i.image, "
      "to_char(i.published_at, 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), i.published_by, r.model "
      "FROM firmware_releases AS r JOIN firmware_images AS i ON i.id = r.image_id WHERE "
      "r.id = $1", 1, values, NULL, NULL, 1, "reading a published firmware image", error);
  if (result == NULL)
    return NULL;
  if (PQntuples(result) != 1) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_REJECTED,
                "release %s is no longer in the factory database %s", id, factory->description);
    PQclear(result);
    return NULL;
  }
  FirmwareImageRecord *record = g_new0(FirmwareImageRecord, 1);
  record->version = g_strndup(PQgetvalue(result, 0, 0), PQgetlength(result, 0, 0));
  g_autofree char *models = g_strndup(PQgetvalue(result, 0, 1), PQgetlength(result, 0, 1));
  record->models = g_strsplit(models, ",", -1);
  record->sha256 = g_strndup(PQgetvalue(result, 0, 2), PQgetlength(result, 0, 2));
  record->signer_key_id = g_strndup(PQgetvalue(result, 0, 3), PQgetlength(result, 0, 3));
  record->manifest = g_strndup(PQgetvalue(result, 0, 4), PQgetlength(result, 0, 4));
  record->image = g_bytes_new(PQgetvalue(result, 0, 5), PQgetlength(result, 0, 5));
  record->size_bytes = PQgetlength(result, 0, 5);
  record->imported_at = g_strndup(PQgetvalue(result, 0, 6), PQgetlength(result, 0, 6));
  record->imported_by = g_strndup(PQgetvalue(result, 0, 7), PQgetlength(result, 0, 7));
  record->notes = g_strdup("");
  char *released[] = {g_strndup(PQgetvalue(result, 0, 8), PQgetlength(result, 0, 8)), NULL};
  record->released_for = g_strdupv(released);
  g_free(released[0]);
  PQclear(result);
  return record;
}

gboolean factory_firmware_fetched(FactoryDb *factory, gint64 release_id, const char *station_id,
                                  GError **error)
{
  g_autofree char *id = g_strdup_printf("%" G_GINT64_FORMAT, release_id);
  const char *values[] = {id, station_id};
  PGresult *result = query(factory, "INSERT INTO firmware_fetches (release_id, station_id) "
                           "VALUES ($1, $2) ON CONFLICT DO NOTHING", 2, values, NULL, NULL, 0,
                           "recording a firmware fetch", error);
  if (result == NULL)
    return FALSE;
  PQclear(result);
  return TRUE;
}
