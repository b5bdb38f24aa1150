/* Firmware images and releases in the result store (see firmware_store.h): the tables
 * firmware_images and firmware_releases of schema version 2, and audit_log. Every call holds
 * the Store's lock; every change is one IMMEDIATE transaction, rolled back on any failure, so
 * an import or a release either happens completely or not at all. */
#include "db/firmware_store.h"
#include "db/store_sql.h"
#include <string.h>

G_DEFINE_QUARK(firmware-store-error-quark, firmware_store_error)

#define IMAGE_COLUMNS                                                                       \
  "id, version, models, build_date, notes, sha256, signer_key_id, manifest, signature, "   \
  "size_bytes, imported_at, imported_by"
#define IMAGE_COLUMN_COUNT 12         /* the image bytes, when asked for, come after these */

/* ---- helpers ---- */

/* Writes one audit_log row. */
static gboolean audit(Store *store, const char *now, const char *actor,
                      const char *action, const char *subject, const char *detail,
                      GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "INSERT INTO audit_log (at, actor, action, subject, detail) "
                   "VALUES (?1, ?2, ?3, ?4, ?5)", &statement, "writing the audit log", error))
    return FALSE;
  sql_bind_text(statement, 1, now);
  sql_bind_text(statement, 2, actor ? actor : "unknown");
  sql_bind_text(statement, 3, action);
  sql_bind_text(statement, 4, subject);
  sql_bind_text(statement, 5, detail);
  return sql_step_done(store, statement, "writing the audit log", error);
}

void firmware_image_record_free(FirmwareImageRecord *record)
{
  if (record == NULL)
    return;
  g_free(record->version);
  g_strfreev(record->models);
  g_free(record->build_date);
  g_free(record->notes);
  g_free(record->sha256);
  g_free(record->signer_key_id);
  g_free(record->manifest);
  if (record->signature)
    g_bytes_unref(record->signature);
  if (record->image)
    g_bytes_unref(record->image);
  g_free(record->imported_at);
  g_free(record->imported_by);
  g_strfreev(record->released_for);
  g_free(record);
}

void firmware_release_change_free(FirmwareReleaseChange *change)
{
  if (change == NULL)
    return;
  g_free(change->model);
  g_free(change->previous_version);
  g_free(change);
}

/* The models an image is released for now (NULL-terminated, freeing), or NULL on error. */
static char **read_released_for(Store *store, gint64 image_id, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT model FROM firmware_releases WHERE image_id = ?1 AND "
                   "superseded_at IS NULL ORDER BY model", &statement,
                   "reading firmware releases", error))
    return NULL;
  sqlite3_bind_int64(statement, 1, image_id);
  GPtrArray *models = g_ptr_array_new();
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
    g_ptr_array_add(models, sql_column_text(statement, 0));
  g_ptr_array_add(models, NULL);
  char **result = (char **)g_ptr_array_free(models, FALSE);
  if (rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, "reading firmware releases");
    g_strfreev(result);
    result = NULL;
  }
  sqlite3_finalize(statement);
  return result;
}

/* Builds a record from a row of IMAGE_COLUMNS (plus the image bytes when with_image). */
static FirmwareImageRecord *read_record(sqlite3_stmt *statement, gboolean with_image)
{
  FirmwareImageRecord *record = g_new0(FirmwareImageRecord, 1);
  record->id = sqlite3_column_int64(statement, 0);
  record->version = sql_column_text(statement, 1);
  g_autofree char *models = sql_column_text(statement, 2);
  record->models = g_strsplit(models ? models : "", ",", -1);
  record->build_date = sql_column_text(statement, 3);
  record->notes = sql_column_text(statement, 4);
  record->sha256 = sql_column_text(statement, 5);
  record->signer_key_id = sql_column_text(statement, 6);
  record->manifest = sql_column_text(statement, 7);
  record->signature = sql_column_bytes(statement, 8);
  record->size_bytes = sqlite3_column_int64(statement, 9);
  record->imported_at = sql_column_text(statement, 10);
  record->imported_by = sql_column_text(statement, 11);
  if (with_image)
    record->image = sql_column_bytes(statement, IMAGE_COLUMN_COUNT);
  return record;
}

/* Checks that a record's bytes still have its SHA-256; FIRMWARE_STORE_ERROR_CORRUPT. */
static gboolean check_image_hash(Store *store, const FirmwareImageRecord *record,
                                 GError **error)
{
  gsize length = 0;
  const guint8 *data = record->image ? g_bytes_get_data(record->image, &length) : NULL;
  g_autofree char *sha256 = data ? g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, length)
                                 : NULL;
  if (sha256 == NULL || g_strcmp0(sha256, record->sha256) != 0 ||
      (gint64)length != record->size_bytes) {
    g_set_error(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_CORRUPT,
                "firmware %s in %s is damaged: its stored bytes (%zu) hash to %s, not to its "
                "recorded SHA-256 %s; the database was changed outside the station, import the "
                "release again", record->version, store_path(store), length,
                sha256 ? sha256 : "(no image)", record->sha256);
    return FALSE;
  }
  return TRUE;
}

/* Reads one image (with bytes) selected by `where` (one text parameter); NOT_FOUND says
 * `what`. Call with the lock held. */
static FirmwareImageRecord *get_one(Store *store, const char *where,
                                    const char *value, const char *what, GError **error)
{
  g_autofree char *sql = g_strdup_printf("SELECT " IMAGE_COLUMNS ", image FROM firmware_images "
                                         "WHERE %s", where);
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, sql, &statement, "reading a firmware image", error))
    return NULL;
  sql_bind_text(statement, 1, value);
  int rc = sqlite3_step(statement);
  g_autoptr(FirmwareImageRecord) record = NULL;
  if (rc == SQLITE_ROW)
    record = read_record(statement, TRUE);
  else if (rc == SQLITE_DONE)
    g_set_error(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_NOT_FOUND,
                "no firmware image %s in %s ('station firmware list' shows them)", what,
                store_path(store));
  else
    store_set_sql_error(store, error, rc, "reading a firmware image");
  sqlite3_finalize(statement);
  if (record == NULL)
    return NULL;
  record->released_for = read_released_for(store, record->id, error);
  if (record->released_for == NULL || !check_image_hash(store, record, error))
    return NULL;
  return g_steal_pointer(&record);
}

/* ---- importing ---- */

/* Looks up an image by SHA-256 or version inside the transaction: its id (0 when none) and
 * the other key's value. */
static gboolean find_image(Store *store, const char *column, const char *value,
                           gint64 *id, char **other, GError **error)
{
  g_autofree char *sql = g_strdup_printf("SELECT id, %s FROM firmware_images WHERE %s = ?1",
                                         strcmp(column, "sha256") == 0 ? "version" : "sha256",
                                         column);
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, sql, &statement, "looking up a firmware image", error))
    return FALSE;
  sql_bind_text(statement, 1, value);
  int rc = sqlite3_step(statement);
  *id = 0;
  if (rc == SQLITE_ROW) {
    *id = sqlite3_column_int64(statement, 0);
    *other = sql_column_text(statement, 1);
  } else if (rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, "looking up a firmware image");
  }
  sqlite3_finalize(statement);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* Inserts the image row; its id in *id. */
static gboolean insert_image_row(Store *store, const FirmwareImageNew *image,
                                 const char *now, gint64 *id, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "INSERT INTO firmware_images (version, models, build_date, sha256, "
                   "signature, image, size_bytes, imported_at, imported_by, notes, manifest, "
                   "signer_key_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                   &statement, "storing a firmware image", error))
    return FALSE;
  g_autofree char *models = g_strjoinv(",", (char **)image->models);
  sql_bind_text(statement, 1, image->version);
  sql_bind_text(statement, 2, models);
  sql_bind_text(statement, 3, image->build_date);
  sql_bind_text(statement, 4, image->sha256);
  sqlite3_bind_blob(statement, 5, image->signature, (int)image->signature_length,
                    SQLITE_TRANSIENT);
  sqlite3_bind_blob(statement, 6, image->image, (int)image->image_length, SQLITE_TRANSIENT);
  sqlite3_bind_int64(statement, 7, (gint64)image->image_length);
  sql_bind_text(statement, 8, now);
  sql_bind_text(statement, 9, image->imported_by);
  sql_bind_text(statement, 10, image->notes ? image->notes : "");
  sql_bind_text(statement, 11, image->manifest);
  sql_bind_text(statement, 12, image->signer_key_id);
  if (!sql_step_done(store, statement, "storing a firmware image", error))
    return FALSE;
  *id = sqlite3_last_insert_rowid(store->db);
  return TRUE;
}

/* The body of firmware_store_insert, inside its transaction. */
static gint64 insert_in_transaction(Store *store, const FirmwareImageNew *image,
                                    gboolean *already_stored, GError **error)
{
  gint64 id = 0;
  g_autofree char *stored_version = NULL;
  g_autofree char *stored_sha256 = NULL;
  if (!find_image(store, "sha256", image->sha256, &id, &stored_version, error))
    return -1;
  if (id != 0) {
    *already_stored = TRUE;
    return id;
  }
  if (!find_image(store, "version", image->version, &id, &stored_sha256, error))
    return -1;
  if (id != 0) {
    g_set_error(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_CONFLICT,
                "version %s is already imported with another image (SHA-256 %.16s…, this one "
                "%.16s…); a new build needs a new version", image->version, stored_sha256,
                image->sha256);
    return -1;
  }
  g_autofree char *now = sql_timestamp_now();
  g_autofree char *detail = g_strdup_printf("sha256 %s, signed by key %s, %zu bytes",
                                            image->sha256, image->signer_key_id,
                                            image->image_length);
  if (!insert_image_row(store, image, now, &id, error) ||
      !audit(store, now, image->imported_by, "firmware.import", image->version, detail,
             error))
    return -1;
  return id;
}

gint64 firmware_store_insert(Store *store, const FirmwareImageNew *image,
                             gboolean *already_stored, GError **error)
{
  gboolean already = FALSE;
  g_mutex_lock(&store->lock);
  gint64 id = -1;
  if (sql_exec(store, "BEGIN IMMEDIATE", "starting a firmware import", error)) {
    id = insert_in_transaction(store, image, &already, error);
    if (id < 0 || already)
      sql_rollback(store);
    else if (!sql_exec(store, "COMMIT", "committing a firmware import", error)) {
      sql_rollback(store);
      id = -1;
    }
  }
  g_mutex_unlock(&store->lock);
  if (already_stored)
    *already_stored = id >= 0 && already;
  return id;
}

/* ---- reading ---- */

GPtrArray *firmware_store_list(Store *store, GError **error)
{
  g_mutex_lock(&store->lock);
  g_autoptr(GPtrArray) records =
      g_ptr_array_new_with_free_func((GDestroyNotify)firmware_image_record_free);
  sqlite3_stmt *statement = NULL;
  gboolean ok = sql_prepare(store, "SELECT " IMAGE_COLUMNS " FROM firmware_images ORDER BY "
                            "imported_at DESC, id DESC", &statement, "listing firmware images",
                            error);
  int rc = SQLITE_DONE;
  while (ok && (rc = sqlite3_step(statement)) == SQLITE_ROW)
    g_ptr_array_add(records, read_record(statement, FALSE));
  if (ok && rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, "listing firmware images");
    ok = FALSE;
  }
  sqlite3_finalize(statement);
  for (guint i = 0; ok && i < records->len; i++) {
    FirmwareImageRecord *record = g_ptr_array_index(records, i);
    record->released_for = read_released_for(store, record->id, error);
    ok = record->released_for != NULL;
  }
  g_mutex_unlock(&store->lock);
  return ok ? g_steal_pointer(&records) : NULL;
}

FirmwareImageRecord *firmware_store_get_by_version(Store *store, const char *version,
                                                   GError **error)
{
  g_autofree char *what = g_strdup_printf("of version %s", version);
  g_mutex_lock(&store->lock);
  FirmwareImageRecord *record = get_one(store, "version = ?1", version, what, error);
  g_mutex_unlock(&store->lock);
  return record;
}

FirmwareImageRecord *firmware_store_get_by_sha256(Store *store, const char *sha256,
                                                  GError **error)
{
  g_autofree char *lower = g_ascii_strdown(sha256, -1);
  g_autofree char *what = g_strdup_printf("with SHA-256 %s", lower);
  g_mutex_lock(&store->lock);
  FirmwareImageRecord *record = get_one(store, "sha256 = ?1", lower, what, error);
  g_mutex_unlock(&store->lock);
  return record;
}

FirmwareImageRecord *firmware_store_released_for_model(Store *store, const char *model,
                                                       GError **error)
{
  g_autofree char *what = g_strdup_printf("released for model %s", model);
  g_mutex_lock(&store->lock);
  FirmwareImageRecord *record = get_one(
      store, "id = (SELECT image_id FROM firmware_releases WHERE model = ?1 AND "
      "superseded_at IS NULL)", model, what, error);
  g_mutex_unlock(&store->lock);
  if (record == NULL && error && *error &&
      g_error_matches(*error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_NOT_FOUND)) {
    g_clear_error(error);
    g_set_error(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_NOT_FOUND,
                "no firmware image is released for model %s; an engineer releases one with "
                "'station firmware release VERSION --models %s'", model, model);
  }
  return record;
}

gboolean firmware_store_audit_flash(Store *store, const FirmwareFlashAudit *flash,
                                    GError **error)
{
  g_autofree char *now = sql_timestamp_now();
  g_autofree char *detail = g_strdup_printf(
      "version %s (sha256 %s) from %s, run %" G_GINT64_FORMAT ": %s", flash->version,
      flash->sha256, flash->source, flash->run_id, flash->outcome);
  g_mutex_lock(&store->lock);
  gboolean ok = audit(store, now, flash->actor, "firmware.flash", flash->serial, detail, error);
  g_mutex_unlock(&store->lock);
  return ok;
}

gboolean firmware_store_count_rows(Store *store, gint64 *images, gint64 *releases,
                                   gint64 *audit_entries, GError **error)
{
  static const char *const sql[3] = {
    "SELECT count(*) FROM firmware_images",
    "SELECT count(*) FROM firmware_releases",
    "SELECT count(*) FROM audit_log",
  };
  gint64 *out[3] = {images, releases, audit_entries};
  gboolean ok = TRUE;
  g_mutex_lock(&store->lock);
  for (int i = 0; ok && i < 3; i++) {
    sqlite3_stmt *statement = NULL;
    ok = sql_prepare(store, sql[i], &statement, "counting firmware rows", error);
    if (ok) {
      int rc = sqlite3_step(statement);
      if (rc == SQLITE_ROW)
        *out[i] = sqlite3_column_int64(statement, 0);
      else {
        store_set_sql_error(store, error, rc, "counting firmware rows");
        ok = FALSE;
      }
    }
    sqlite3_finalize(statement);
  }
  g_mutex_unlock(&store->lock);
  return ok;
}

/* ---- releasing ---- */

/* The model's current release: its row id, image id and image version (0, 0, NULL when
 * none). */
static gboolean current_release(Store *store, const char *model, gint64 *release_id,
                                gint64 *image_id, char **version, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT r.id, r.image_id, i.version FROM firmware_releases r JOIN "
                   "firmware_images i ON i.id = r.image_id WHERE r.model = ?1 AND "
                   "r.superseded_at IS NULL", &statement, "reading firmware releases", error))
    return FALSE;
  sql_bind_text(statement, 1, model);
  int rc = sqlite3_step(statement);
  *release_id = *image_id = 0;
  *version = NULL;
  if (rc == SQLITE_ROW) {
    *release_id = sqlite3_column_int64(statement, 0);
    *image_id = sqlite3_column_int64(statement, 1);
    *version = sql_column_text(statement, 2);
  } else if (rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, "reading firmware releases");
  }
  sqlite3_finalize(statement);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

/* Runs an UPDATE whose parameters are ?1 (text, may be NULL) and ?2 (a row id). */
static gboolean update_row(Store *store, const char *sql, const char *text,
                           gint64 row_id, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, sql, &statement, "recording a firmware release", error))
    return FALSE;
  sql_bind_text(statement, 1, text);
  sqlite3_bind_int64(statement, 2, row_id);
  return sql_step_done(store, statement, "recording a firmware release", error);
}

/* Runs an UPDATE whose parameters are ?1 and ?2, both row ids. */
static gboolean update_ids(Store *store, const char *sql, gint64 first,
                           gint64 second, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, sql, &statement, "recording a firmware release", error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, first);
  sqlite3_bind_int64(statement, 2, second);
  return sql_step_done(store, statement, "recording a firmware release", error);
}

/* Makes the image the model's release, superseding the current one. */
static gboolean release_one(Store *store, const FirmwareImageRecord *image,
                            const char *model, const char *actor, const char *now,
                            FirmwareReleaseChange *change, GError **error)
{
  gint64 old_release = 0, old_image = 0;
  if (!current_release(store, model, &old_release, &old_image, &change->previous_version,
                       error))
    return FALSE;
  if (old_image == image->id) {
    change->unchanged = TRUE;
    g_clear_pointer(&change->previous_version, g_free);
    return TRUE;
  }
  if (old_release != 0 &&
      !update_row(store, "UPDATE firmware_releases SET superseded_at = ?1 WHERE id = ?2",
                  now, old_release, error))
    return FALSE;
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "INSERT INTO firmware_releases (image_id, model, released_at, "
                   "released_by) VALUES (?1, ?2, ?3, ?4)", &statement,
                   "recording a firmware release", error))
    return FALSE;
  sqlite3_bind_int64(statement, 1, image->id);
  sql_bind_text(statement, 2, model);
  sql_bind_text(statement, 3, now);
  sql_bind_text(statement, 4, actor);
  if (!sql_step_done(store, statement, "recording a firmware release", error))
    return FALSE;
  gint64 new_release = sqlite3_last_insert_rowid(store->db);
  if (old_release != 0 &&
      (!update_ids(store, "UPDATE firmware_releases SET superseded_by = ?1 WHERE id = ?2",
                   new_release, old_release, error) ||
       !update_ids(store, "UPDATE firmware_images SET released = EXISTS (SELECT 1 FROM "
                   "firmware_releases WHERE image_id = ?1 AND superseded_at IS NULL) WHERE "
                   "id = ?2", old_image, old_image, error)))
    return FALSE;
  g_autofree char *detail =
      change->previous_version
          ? g_strdup_printf("version %s (sha256 %s) supersedes %s", image->version,
                            image->sha256, change->previous_version)
          : g_strdup_printf("version %s (sha256 %s), the model's first release",
                            image->version, image->sha256);
  return audit(store, now, actor, "firmware.release", model, detail, error);
}

/* The body of firmware_store_release, inside its transaction. */
static gboolean release_in_transaction(Store *store, const char *version,
                                       const char *const *models, const char *actor,
                                       GPtrArray *changes, GError **error)
{
  g_autofree char *what = g_strdup_printf("of version %s", version);
  g_autoptr(FirmwareImageRecord) image = get_one(store, "version = ?1", version, what,
                                                 error);
  if (image == NULL)
    return FALSE;
  if (models == NULL || models[0] == NULL) {
    g_set_error(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_MODEL,
                "no model given to release %s for", version);
    return FALSE;
  }
  const char *unbuilt = NULL;
  g_auto(GStrv) distinct = firmware_release_models(image->models, models, &unbuilt);
  if (!distinct) {
    g_autofree char *listed = g_strjoinv(",", image->models);
    g_set_error(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_MODEL,
                "firmware %s is not built for model %s (its signed manifest lists %s); "
                "nothing was released", version, unbuilt, listed);
    return FALSE;
  }
  g_autofree char *now = sql_timestamp_now();
  gboolean any_change = FALSE;
  for (guint i = 0; distinct[i]; i++) {
    FirmwareReleaseChange *change = g_new0(FirmwareReleaseChange, 1);
    change->model = g_strdup(distinct[i]);
    g_ptr_array_add(changes, change);
    if (!release_one(store, image, distinct[i], actor, now, change, error))
      return FALSE;
    any_change = any_change || !change->unchanged;
  }
  if (!any_change)
    return TRUE;
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "UPDATE firmware_images SET released = 1, released_at = ?1, "
                   "released_by = ?2 WHERE id = ?3", &statement, "recording a firmware release",
                   error))
    return FALSE;
  sql_bind_text(statement, 1, now);
  sql_bind_text(statement, 2, actor);
  sqlite3_bind_int64(statement, 3, image->id);
  return sql_step_done(store, statement, "recording a firmware release", error);
}

GPtrArray *firmware_store_release(Store *store, const char *version, const char *const *models,
                                  const char *actor, GError **error)
{
  g_autoptr(GPtrArray) changes =
      g_ptr_array_new_with_free_func((GDestroyNotify)firmware_release_change_free);
  g_mutex_lock(&store->lock);
  gboolean ok = sql_exec(store, "BEGIN IMMEDIATE", "starting a firmware release", error);
  if (ok)
    ok = release_in_transaction(store, version, models, actor, changes, error);
  if (ok)
    ok = sql_exec(store, "COMMIT", "committing a firmware release", error);
  if (!ok)
    sql_rollback(store);
  g_mutex_unlock(&store->lock);
  return ok ? g_steal_pointer(&changes) : NULL;
}

char **firmware_release_models(char *const *built, const char *const *models,
                               const char **unbuilt)
{
  GPtrArray *distinct = g_ptr_array_new_with_free_func(g_free);
  for (guint i = 0; models[i]; i++) {
    if (!g_strv_contains((const char *const *)built, models[i])) {
      *unbuilt = models[i];
      g_ptr_array_unref(distinct);
      return NULL;
    }
    gboolean seen = FALSE;
    for (guint j = 0; j < distinct->len && !seen; j++)
      seen = strcmp(g_ptr_array_index(distinct, j), models[i]) == 0;
    if (!seen)
      g_ptr_array_add(distinct, g_strdup(models[i]));
  }
  g_ptr_array_add(distinct, NULL);
  return (char **)g_ptr_array_free(distinct, FALSE);
}
