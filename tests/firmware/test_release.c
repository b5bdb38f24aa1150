/* Signed releases in the database: keys, manifests, import (every refusal leaves the database
 * exactly as it was: rows counted before and after), release and supersede per model, and
 * loading the released image for flashing with every check made again, also after the
 * database was edited by hand. */
#include "tests/cunit_main.h"
#include "tests/scratch_folder.h"
#include "db/firmware_store.h"
#include "firmware/firmware_error.h"
#include "firmware/manifest.h"
#include "firmware/release.h"
#include "firmware/test_image.h"
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

#define ASSERT_CONTAINS(message, part)                                                      \
  do {                                                                                     \
    const char *message_ = (message);                                                      \
    if (message_ == NULL || strstr(message_, (part)) == NULL)                              \
      printf("\n    '%s'\n    does not contain '%s'\n", message_ ? message_ : "(null)",   \
             (part));                                                                      \
    CU_ASSERT_TRUE(message_ != NULL && strstr(message_, (part)) != NULL);                  \
  } while (0)

static const char *const BOTH[] = {"B2A24S15P", "B2A8S20P", NULL};
static const char *const FIRST[] = {"B2A24S15P", NULL};

/* A folder with a trusted key pair ("team", trusted), an untrusted one ("other"), the trusted
 * keys folder and a database; removed by fixture_free. */
typedef struct {
  char *folder;
  char *trusted_folder;
  char *db_path;
  FirmwareTrustedKeys *trusted;
  FirmwareSigningKey *team;
  FirmwareSigningKey *other;
  Store *store;
} Fixture;

static Fixture *fixture_new(void)
{
  Fixture *f = g_new0(Fixture, 1);
  g_autoptr(GError) error = NULL;
  f->folder = g_dir_make_tmp("firmware-release-XXXXXX", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->folder);
  f->trusted_folder = g_build_filename(f->folder, "trusted", NULL);
  g_mkdir(f->trusted_folder, 0755);
  g_autofree char *team = g_build_filename(f->folder, "team", NULL);
  g_autofree char *other = g_build_filename(f->folder, "other", NULL);
  CU_ASSERT_TRUE_FATAL(firmware_keygen(team, NULL, &error));
  CU_ASSERT_TRUE_FATAL(firmware_keygen(other, NULL, &error));
  g_autofree char *team_pub = g_strconcat(team, ".pub", NULL);
  g_autofree char *team_key = g_strconcat(team, ".key", NULL);
  g_autofree char *other_key = g_strconcat(other, ".key", NULL);
  g_autofree char *text = NULL;
  CU_ASSERT_TRUE_FATAL(g_file_get_contents(team_pub, &text, NULL, NULL));
  g_autofree char *trusted_pub = g_build_filename(f->trusted_folder, "team.pub", NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(trusted_pub, text, -1, NULL));
  f->trusted = firmware_trusted_keys_load(f->trusted_folder, &error);
  f->team = firmware_signing_key_load(team_key, &error);
  f->other = firmware_signing_key_load(other_key, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->trusted);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->team);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->other);
  f->db_path = g_build_filename(f->folder, "results.db", NULL);
  f->store = store_open(f->db_path, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->store);
  return f;
}

static void fixture_free(Fixture *f)
{
  store_close(f->store);
  firmware_trusted_keys_free(f->trusted);
  firmware_signing_key_free(f->team);
  firmware_signing_key_free(f->other);
  scratch_folder_remove(f->folder);
  g_free(f->folder);
  g_free(f->trusted_folder);
  g_free(f->db_path);
  g_free(f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Fixture, fixture_free)

/* Writes <version>.bin (a test image for header_models) and, signed by key (NULL: unsigned),
 * <version>.manifest listing models; returns the manifest's path (freeing). */
static char *write_release(Fixture *f, const char *version, const char *const *header_models,
                           const char *const *models, const FirmwareSigningKey *key,
                           guint32 seed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImage) image = firmware_build_test_image(version, header_models, 6000,
                                                             20251120, seed, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(image);
  FirmwareHeader header;
  CU_ASSERT_TRUE_FATAL(firmware_header_check(image, &header, &error));
  g_autofree char *image_name = g_strdup_printf("%s.bin", version);
  g_autofree char *image_path = g_build_filename(f->folder, image_name, NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(image_path, (const char *)image->bytes,
                                           (gssize)image->length, NULL));
  g_autoptr(FirmwareManifest) manifest = firmware_manifest_new(
      image, &header, version, models, "Notes for the release.\nSecond line.", image_name,
      &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(manifest);
  if (key)
    CU_ASSERT_TRUE_FATAL(firmware_manifest_sign(manifest, key, &error));
  g_autofree char *text = firmware_manifest_to_text(manifest);
  g_autofree char *manifest_name = g_strdup_printf("%s.manifest", version);
  char *manifest_path = g_build_filename(f->folder, manifest_name, NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(manifest_path, text, -1, NULL));
  return manifest_path;
}

typedef struct {
  gint64 images, releases, audit;
} Counts;

static Counts count_rows(Fixture *f)
{
  Counts c = {-1, -1, -1};
  g_autoptr(GError) error = NULL;
  CU_ASSERT_TRUE(firmware_store_count_rows(f->store, &c.images, &c.releases, &c.audit, &error));
  return c;
}

/* Imports and expects a refusal with `part` in its message and no row changed. */
static void expect_refused(Fixture *f, const char *manifest_path, const char *image_path,
                           GQuark domain, int code, const char *part)
{
  Counts before = count_rows(f);
  FirmwareImportResult result;
  g_autoptr(GError) error = NULL;
  CU_ASSERT_FALSE(firmware_import(f->store, manifest_path, image_path, f->trusted, "tester",
                                  &result, &error));
  CU_ASSERT_TRUE(g_error_matches(error, domain, code));
  ASSERT_CONTAINS(error ? error->message : NULL, part);
  Counts after = count_rows(f);
  CU_ASSERT_EQUAL(before.images, after.images);
  CU_ASSERT_EQUAL(before.releases, after.releases);
  CU_ASSERT_EQUAL(before.audit, after.audit);
}

static gboolean import_ok(Fixture *f, const char *manifest_path, FirmwareImportResult *result)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = firmware_import(f->store, manifest_path, NULL, f->trusted, "tester", result,
                                &error);
  if (!ok)
    printf("\n    import failed: %s", error->message);
  return ok;
}

/* Key files: ids agree, the private key is 0600, an edited public key is refused, keys are
 * never overwritten. */
static void test_keys(void)
{
  g_autoptr(Fixture) f = fixture_new();
  g_autofree char *team_key = g_build_filename(f->folder, "team.key", NULL);
  g_autofree char *team_pub = g_build_filename(f->folder, "team.pub", NULL);
  struct stat st;
  CU_ASSERT_EQUAL(g_stat(team_key, &st), 0);
  CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
  CU_ASSERT_EQUAL(f->trusted->keys->len, 1);
  const FirmwarePublicKey *key = g_ptr_array_index(f->trusted->keys, 0);
  CU_ASSERT_STRING_EQUAL(key->key_id, f->team->key_id);

  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_build_filename(f->folder, "team", NULL);
  CU_ASSERT_FALSE(firmware_keygen(base, NULL, &error));
  ASSERT_CONTAINS(error ? error->message : NULL, "keys are never overwritten");
  g_clear_error(&error);

  g_autofree char *text = NULL;
  CU_ASSERT_TRUE_FATAL(g_file_get_contents(team_pub, &text, NULL, NULL));
  char *id = strstr(text, "key-id=");
  CU_ASSERT_PTR_NOT_NULL_FATAL(id);
  id[7] = id[7] == 'a' ? 'b' : 'a';
  g_autofree char *edited = g_build_filename(f->folder, "edited.pub", NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(edited, text, -1, NULL));
  g_autoptr(FirmwarePublicKey) bad = firmware_public_key_load(edited, &error);
  CU_ASSERT_PTR_NULL(bad);
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_KEY));
  ASSERT_CONTAINS(error ? error->message : NULL, "does not belong to the key it holds");
  g_clear_error(&error);
  /* a malformed key file in the trusted folder is an error naming it, not skipped */
  g_autofree char *bad_trusted = g_build_filename(f->trusted_folder, "broken.pub", NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(bad_trusted, "[jk-firmware-public-key]\n", -1, NULL));
  g_autoptr(FirmwareTrustedKeys) none = firmware_trusted_keys_load(f->trusted_folder, &error);
  CU_ASSERT_PTR_NULL(none);
  ASSERT_CONTAINS(error ? error->message : NULL, "broken.pub");
}

/* A manifest round-trips through its text; the signature covers every field. */
static void test_manifest_sign_verify(void)
{
  g_autoptr(Fixture) f = fixture_new();
  g_autofree char *path = write_release(f, "11.26", BOTH, BOTH, f->team, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareManifest) manifest = firmware_manifest_load(path, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(manifest);
  CU_ASSERT_STRING_EQUAL(manifest->version, "11.26");
  CU_ASSERT_STRING_EQUAL(manifest->models[1], "B2A8S20P");
  CU_ASSERT_STRING_EQUAL(manifest->build_date, "2025-11-20");
  CU_ASSERT_STRING_EQUAL(manifest->notes, "Notes for the release.\nSecond line.");
  CU_ASSERT_PTR_NOT_NULL(firmware_manifest_verify(manifest, f->trusted, &error));

  char **fields[] = {&manifest->version, &manifest->build_date, &manifest->notes,
                     &manifest->image_file, &manifest->image_sha256, &manifest->models[0]};
  for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
    char *saved = *fields[i];
    *fields[i] = g_strconcat(saved, "x", NULL);
    CU_ASSERT_PTR_NULL(firmware_manifest_verify(manifest, f->trusted, &error));
    CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE));
    g_clear_error(&error);
    g_free(*fields[i]);
    *fields[i] = saved;
  }
  CU_ASSERT_PTR_NOT_NULL(firmware_manifest_verify(manifest, f->trusted, &error));
}

/* Import stores image, manifest, signature and signer; importing it again changes nothing. */
static void test_import(void)
{
  g_autoptr(Fixture) f = fixture_new();
  g_autofree char *path = write_release(f, "11.26", BOTH, BOTH, f->team, 1);
  FirmwareImportResult result;
  CU_ASSERT_TRUE_FATAL(import_ok(f, path, &result));
  CU_ASSERT_FALSE(result.already_stored);
  CU_ASSERT_STRING_EQUAL(result.signer_key_id, f->team->key_id);
  Counts counts = count_rows(f);
  CU_ASSERT_EQUAL(counts.images, 1);
  CU_ASSERT_EQUAL(counts.audit, 1);

  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImageRecord) record = firmware_store_get_by_version(f->store, "11.26",
                                                                        &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(record);
  CU_ASSERT_STRING_EQUAL(record->sha256, result.sha256);
  CU_ASSERT_STRING_EQUAL(record->signer_key_id, f->team->key_id);
  CU_ASSERT_EQUAL(record->size_bytes, 6000);
  CU_ASSERT_EQUAL(g_bytes_get_size(record->image), 6000);
  CU_ASSERT_EQUAL(g_bytes_get_size(record->signature), 64);
  CU_ASSERT_STRING_EQUAL(record->notes, "Notes for the release.\nSecond line.");
  CU_ASSERT_PTR_NULL(record->released_for[0]);
  g_autoptr(FirmwareImageRecord) by_hash = firmware_store_get_by_sha256(f->store, result.sha256,
                                                                        &error);
  CU_ASSERT_PTR_NOT_NULL(by_hash);
  firmware_import_result_clear(&result);

  CU_ASSERT_TRUE(import_ok(f, path, &result));
  CU_ASSERT_TRUE(result.already_stored);
  firmware_import_result_clear(&result);
  Counts again = count_rows(f);
  CU_ASSERT_EQUAL(again.images, 1);
  CU_ASSERT_EQUAL(again.audit, 1);
}

/* Rewrites a file with one substring replaced. */
static void edit_file(const char *path, const char *from, const char *to)
{
  g_autofree char *text = NULL;
  CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, NULL, NULL));
  char *at = strstr(text, from);
  CU_ASSERT_PTR_NOT_NULL_FATAL(at);
  g_autoptr(GString) edited = g_string_new_len(text, at - text);
  g_string_append(edited, to);
  g_string_append(edited, at + strlen(from));
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, edited->str, -1, NULL));
}

/* Tampered image byte, tampered manifest field, wrong key, unsigned, unknown signer, malformed
 * image, a version already imported with other bytes: all refused, nothing stored. */
static void test_import_refusals(void)
{
  g_autoptr(Fixture) f = fixture_new();
  /* something in the database already, so "unchanged" is not just "empty" */
  g_autofree char *first = write_release(f, "11.25", BOTH, BOTH, f->team, 5);
  FirmwareImportResult result;
  CU_ASSERT_TRUE_FATAL(import_ok(f, first, &result));
  firmware_import_result_clear(&result);

  /* one image byte changed after signing */
  g_autofree char *path = write_release(f, "11.26", BOTH, BOTH, f->team, 1);
  g_autofree char *image_path = g_build_filename(f->folder, "11.26.bin", NULL);
  g_autofree char *bytes = NULL;
  gsize length = 0;
  CU_ASSERT_TRUE_FATAL(g_file_get_contents(image_path, &bytes, &length, NULL));
  bytes[4000] ^= 0x20;
  g_autofree char *tampered_image = g_build_filename(f->folder, "tampered.bin", NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(tampered_image, bytes, (gssize)length, NULL));
  expect_refused(f, path, tampered_image, FIRMWARE_ERROR, FIRMWARE_ERROR_MANIFEST,
                 "image hash mismatch");

  /* a manifest field changed after signing */
  g_autofree char *changed = write_release(f, "11.27", BOTH, BOTH, f->team, 2);
  edit_file(changed, "notes=Notes", "notes=Other notes");
  expect_refused(f, changed, NULL, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE,
                 "has a wrong signature for key");
  g_autofree char *models_changed = write_release(f, "11.28", BOTH, FIRST, f->team, 3);
  edit_file(models_changed, "models=B2A24S15P", "models=B2A24S15P,B2A8S20P");
  expect_refused(f, models_changed, NULL, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE,
                 "has a wrong signature for key");

  /* signed with another key that claims the trusted key's id */
  g_autofree char *forged = write_release(f, "11.29", BOTH, BOTH, f->other, 4);
  edit_file(forged, f->other->key_id, f->team->key_id);
  expect_refused(f, forged, NULL, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE,
                 "has a wrong signature for key");

  /* signed by a key the station does not trust */
  g_autofree char *unknown = write_release(f, "11.30", BOTH, BOTH, f->other, 6);
  expect_refused(f, unknown, NULL, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE,
                 "which this station does not trust");

  /* not signed at all */
  g_autofree char *unsigned_path = write_release(f, "11.31", BOTH, BOTH, NULL, 7);
  expect_refused(f, unsigned_path, NULL, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE,
                 "is not signed");

  /* a properly signed manifest over an image whose header is broken */
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImage) broken = firmware_build_test_image("11.32", BOTH, 6000, 20251120, 8,
                                                              &error);
  broken->bytes[5000] ^= 1;   /* CRC no longer matches */
  g_autofree char *broken_path = g_build_filename(f->folder, "11.32.bin", NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(broken_path, (const char *)broken->bytes,
                                           (gssize)broken->length, NULL));
  g_autoptr(FirmwareManifest) manifest = g_new0(FirmwareManifest, 1);
  manifest->version = g_strdup("11.32");
  manifest->models = g_strdupv((char **)BOTH);
  manifest->build_date = g_strdup("2025-11-20");
  manifest->notes = g_strdup("");
  manifest->image_file = g_strdup("11.32.bin");
  manifest->image_sha256 = firmware_image_sha256(broken);
  CU_ASSERT_TRUE(firmware_manifest_sign(manifest, f->team, &error));
  g_autofree char *text = firmware_manifest_to_text(manifest);
  g_autofree char *broken_manifest = g_build_filename(f->folder, "11.32.manifest", NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(broken_manifest, text, -1, NULL));
  expect_refused(f, broken_manifest, NULL, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER,
                 "11.32.bin: CRC mismatch: header says 0x");

  /* a signed manifest naming a model the image header does not list */
  g_autoptr(FirmwareImage) one_model = firmware_build_test_image("11.33", FIRST, 6000, 20251120,
                                                                 9, &error);
  g_autofree char *one_path = g_build_filename(f->folder, "11.33.bin", NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(one_path, (const char *)one_model->bytes,
                                           (gssize)one_model->length, NULL));
  g_free(manifest->version);
  manifest->version = g_strdup("11.33");
  g_free(manifest->image_file);
  manifest->image_file = g_strdup("11.33.bin");
  g_free(manifest->image_sha256);
  manifest->image_sha256 = firmware_image_sha256(one_model);
  CU_ASSERT_TRUE(firmware_manifest_sign(manifest, f->team, &error));
  g_autofree char *text2 = firmware_manifest_to_text(manifest);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(broken_manifest, text2, -1, NULL));
  expect_refused(f, broken_manifest, NULL, FIRMWARE_ERROR, FIRMWARE_ERROR_MANIFEST,
                 "the manifest lists model B2A8S20P, which the image header does not");

  /* the image file is not a JK image at all */
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(image_path, "", 0, NULL));
  expect_refused(f, path, NULL, FIRMWARE_ERROR, FIRMWARE_ERROR_FORMAT, "empty image file");

  /* a version already imported, with other bytes */
  g_autofree char *other_build = write_release(f, "11.25", BOTH, BOTH, f->team, 99);
  expect_refused(f, other_build, NULL, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_CONFLICT,
                 "version 11.25 is already imported with another image");

  /* a manifest file that is not a manifest */
  g_autofree char *garbage = g_build_filename(f->folder, "garbage.manifest", NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(garbage, "[firmware-manifest]\nformat=1\n", -1,
                                           NULL));
  expect_refused(f, garbage, NULL, FIRMWARE_ERROR, FIRMWARE_ERROR_MANIFEST, "field version");
}

/* Release per model; a new release supersedes the old one, recorded in the audit log; a model
 * the image is not built for is refused with nothing changed. */
static void test_release_supersede(void)
{
  g_autoptr(Fixture) f = fixture_new();
  g_autofree char *old_path = write_release(f, "11.25", BOTH, BOTH, f->team, 1);
  g_autofree char *new_path = write_release(f, "11.26", BOTH, BOTH, f->team, 2);
  g_autofree char *only_path = write_release(f, "11.27", FIRST, FIRST, f->team, 3);
  FirmwareImportResult result;
  CU_ASSERT_TRUE_FATAL(import_ok(f, old_path, &result));
  firmware_import_result_clear(&result);
  CU_ASSERT_TRUE_FATAL(import_ok(f, new_path, &result));
  firmware_import_result_clear(&result);
  CU_ASSERT_TRUE_FATAL(import_ok(f, only_path, &result));
  firmware_import_result_clear(&result);

  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImageRecord) none = firmware_store_released_for_model(f->store, "B2A24S15P",
                                                                          &error);
  CU_ASSERT_PTR_NULL(none);
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_NOT_FOUND));
  ASSERT_CONTAINS(error ? error->message : NULL,
                  "no firmware image is released for model B2A24S15P");
  g_clear_error(&error);

  g_autoptr(GPtrArray) first = firmware_store_release(f->store, "11.25", BOTH, "eng", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(first);
  CU_ASSERT_EQUAL(first->len, 2);
  g_autoptr(FirmwareImageRecord) a = firmware_store_released_for_model(f->store, "B2A24S15P",
                                                                       &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(a);
  CU_ASSERT_STRING_EQUAL(a->version, "11.25");
  CU_ASSERT_EQUAL(g_bytes_get_size(a->image), 6000);

  g_autoptr(GPtrArray) second = firmware_store_release(f->store, "11.26", FIRST, "eng", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(second);
  const FirmwareReleaseChange *change = g_ptr_array_index(second, 0);
  CU_ASSERT_STRING_EQUAL(change->previous_version, "11.25");
  CU_ASSERT_FALSE(change->unchanged);
  g_autoptr(FirmwareImageRecord) a2 = firmware_store_released_for_model(f->store, "B2A24S15P",
                                                                        &error);
  g_autoptr(FirmwareImageRecord) b2 = firmware_store_released_for_model(f->store, "B2A8S20P",
                                                                        &error);
  CU_ASSERT_STRING_EQUAL(a2->version, "11.26");
  CU_ASSERT_STRING_EQUAL(b2->version, "11.25");
  CU_ASSERT_STRING_EQUAL(b2->released_for[0], "B2A8S20P");
  CU_ASSERT_PTR_NULL(b2->released_for[1]);

  /* the same release again changes nothing */
  Counts before = count_rows(f);
  g_autoptr(GPtrArray) again = firmware_store_release(f->store, "11.26", FIRST, "eng", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(again);
  CU_ASSERT_TRUE(((FirmwareReleaseChange *)g_ptr_array_index(again, 0))->unchanged);
  Counts after = count_rows(f);
  CU_ASSERT_EQUAL(before.releases, after.releases);
  CU_ASSERT_EQUAL(before.audit, after.audit);

  /* 11.27 is built for the first model only: releasing it for both changes nothing */
  g_autoptr(GPtrArray) refused = firmware_store_release(f->store, "11.27", BOTH, "eng", &error);
  CU_ASSERT_PTR_NULL(refused);
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_MODEL));
  ASSERT_CONTAINS(error ? error->message : NULL, "firmware 11.27 is not built for model "
                  "B2A8S20P");
  g_clear_error(&error);
  Counts unchanged = count_rows(f);
  CU_ASSERT_EQUAL(unchanged.releases, after.releases);
  CU_ASSERT_EQUAL(unchanged.audit, after.audit);
  g_autoptr(GPtrArray) missing = firmware_store_release(f->store, "9.99", FIRST, "eng", &error);
  CU_ASSERT_PTR_NULL(missing);
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_NOT_FOUND));
  g_clear_error(&error);

  /* history: 3 releases, one superseded (linked to its successor); 3 imports + 3 releases in
   * the audit log, the supersede named */
  CU_ASSERT_EQUAL(after.releases, 3);
  CU_ASSERT_EQUAL(after.audit, 6);
  sqlite3 *db = NULL;
  CU_ASSERT_EQUAL_FATAL(sqlite3_open(f->db_path, &db), SQLITE_OK);
  sqlite3_stmt *statement = NULL;
  CU_ASSERT_EQUAL(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit_log WHERE action = "
                                     "'firmware.release' AND subject = 'B2A24S15P' AND detail "
                                     "LIKE '%supersedes 11.25'", -1, &statement, NULL),
                  SQLITE_OK);
  CU_ASSERT_EQUAL(sqlite3_step(statement), SQLITE_ROW);
  CU_ASSERT_EQUAL(sqlite3_column_int(statement, 0), 1);
  sqlite3_finalize(statement);
  CU_ASSERT_EQUAL(sqlite3_prepare_v2(db, "SELECT count(*) FROM firmware_releases WHERE "
                                     "superseded_at IS NOT NULL AND superseded_by IS NOT NULL",
                                     -1, &statement, NULL), SQLITE_OK);
  CU_ASSERT_EQUAL(sqlite3_step(statement), SQLITE_ROW);
  CU_ASSERT_EQUAL(sqlite3_column_int(statement, 0), 1);
  sqlite3_finalize(statement);
  sqlite3_close(db);

  g_autoptr(GPtrArray) list = firmware_store_list(f->store, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(list);
  CU_ASSERT_EQUAL(list->len, 3);
}

/* Runs one statement on the database file behind the station's back. */
static void edit_database(Fixture *f, const char *sql)
{
  sqlite3 *db = NULL;
  CU_ASSERT_EQUAL_FATAL(sqlite3_open(f->db_path, &db), SQLITE_OK);
  char *message = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
    printf("\n    %s: %s", sql, message);
  sqlite3_free(message);
  sqlite3_close(db);
}

/* Loading for flashing checks everything again: a hand-edited image, hash, model list or an
 * untrusted signer is refused. */
static void test_load_reverifies(void)
{
  g_autoptr(Fixture) f = fixture_new();
  g_autofree char *path = write_release(f, "11.26", BOTH, FIRST, f->team, 1);
  FirmwareImportResult result;
  CU_ASSERT_TRUE_FATAL(import_ok(f, path, &result));
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) done = firmware_store_release(f->store, "11.26", FIRST, "eng", &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(done);

  g_autoptr(FirmwareRelease) release = firmware_release_load(f->store, "B2A24S15P", f->trusted,
                                                             &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(release);
  CU_ASSERT_STRING_EQUAL(release->version, "11.26");
  CU_ASSERT_STRING_EQUAL(release->sha256, result.sha256);
  CU_ASSERT_EQUAL(release->image->base_address, 0x08000000u);
  CU_ASSERT_EQUAL(release->image->length, 6000);

  /* a station that does not trust the signer refuses to flash it */
  g_autofree char *empty = g_build_filename(f->folder, "no-keys", NULL);
  g_autoptr(FirmwareTrustedKeys) nobody = firmware_trusted_keys_load(empty, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(nobody);
  g_autoptr(FirmwareRelease) untrusted = firmware_release_load(f->store, "B2A24S15P", nobody,
                                                               &error);
  CU_ASSERT_PTR_NULL(untrusted);
  ASSERT_CONTAINS(error ? error->message : NULL, "which this station does not trust");
  g_clear_error(&error);

  /* the model list widened by hand: B2A8S20P is in the header but not in the signed manifest */
  edit_database(f, "UPDATE firmware_images SET models = 'B2A24S15P,B2A8S20P';"
                   "INSERT INTO firmware_releases (image_id, model, released_at) VALUES "
                   "(1, 'B2A8S20P', 'now')");
  g_autoptr(FirmwareRelease) widened = firmware_release_load(f->store, "B2A8S20P", f->trusted,
                                                             &error);
  CU_ASSERT_PTR_NULL(widened);
  ASSERT_CONTAINS(error ? error->message : NULL, "does not match its signed manifest");
  g_clear_error(&error);
  edit_database(f, "UPDATE firmware_images SET models = 'B2A24S15P'");

  /* one image byte changed by hand: the stored hash no longer matches */
  edit_database(f, "UPDATE firmware_images SET image = "
                   "substr(image, 1, 1000) || x'00' || substr(image, 1002)");
  g_autoptr(FirmwareRelease) damaged = firmware_release_load(f->store, "B2A24S15P", f->trusted,
                                                             &error);
  CU_ASSERT_PTR_NULL(damaged);
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_STORE_ERROR, FIRMWARE_STORE_ERROR_CORRUPT));
  ASSERT_CONTAINS(error ? error->message : NULL, "is damaged");
  g_clear_error(&error);

  /* ... and the hash column updated to match: the signed manifest still names the old hash */
  {
    sqlite3 *db = NULL;
    sqlite3_open(f->db_path, &db);
    sqlite3_stmt *statement = NULL;
    sqlite3_prepare_v2(db, "SELECT image FROM firmware_images", -1, &statement, NULL);
    CU_ASSERT_EQUAL(sqlite3_step(statement), SQLITE_ROW);
    g_autofree char *sha = g_compute_checksum_for_data(
        G_CHECKSUM_SHA256, sqlite3_column_blob(statement, 0),
        (gsize)sqlite3_column_bytes(statement, 0));
    sqlite3_finalize(statement);
    sqlite3_close(db);
    g_autofree char *sql = g_strdup_printf("UPDATE firmware_images SET sha256 = '%s'", sha);
    edit_database(f, sql);
  }
  g_autoptr(FirmwareRelease) forged = firmware_release_load(f->store, "B2A24S15P", f->trusted,
                                                            &error);
  CU_ASSERT_PTR_NULL(forged);
  ASSERT_CONTAINS(error ? error->message : NULL, "does not match its signed manifest");
  firmware_import_result_clear(&result);
}

/* An image given by hand (a flash run's): read and header-checked, its version the header's,
 * its SHA-256 that of the file, no signer; a missing or corrupt file is refused naming it;
 * the audit log records who flashed it into which board. */
static void test_image_from_file(void)
{
  g_autoptr(Fixture) f = fixture_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImage) image = firmware_build_test_image("11.40", FIRST, 6000, 20251120,
                                                             7, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(image);
  g_autofree char *path = g_build_filename(f->folder, "rework.bin", NULL);
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, (const char *)image->bytes,
                                           (gssize)image->length, NULL));
  g_autoptr(FirmwareRelease) release = firmware_release_from_file(path, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL(release);
  CU_ASSERT_STRING_EQUAL(release->version, "11.40");
  g_autofree char *sha = firmware_image_sha256(image);
  CU_ASSERT_STRING_EQUAL(release->sha256, sha);
  CU_ASSERT_PTR_NULL(release->signer_key_id);
  CU_ASSERT_TRUE(firmware_header_has_model(&release->header, "B2A24S15P"));

  g_autofree char *missing = g_build_filename(f->folder, "missing.bin", NULL);
  CU_ASSERT_PTR_NULL(firmware_release_from_file(missing, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_IO));
  ASSERT_CONTAINS(error ? error->message : NULL, "missing.bin");
  g_clear_error(&error);
  image->bytes[5000] ^= 0x55;   /* a byte changed after the build: the CRC no longer holds */
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, (const char *)image->bytes,
                                           (gssize)image->length, NULL));
  CU_ASSERT_PTR_NULL(firmware_release_from_file(path, &error));
  CU_ASSERT_TRUE(g_error_matches(error, FIRMWARE_ERROR, FIRMWARE_ERROR_HEADER));
  ASSERT_CONTAINS(error ? error->message : NULL, "rework.bin is not an image the board would run");
  g_clear_error(&error);

  Counts before = count_rows(f);
  FirmwareFlashAudit flash = {.actor = "alice", .serial = "B2A24S15P-2648-00017",
                              .version = "11.40", .sha256 = sha, .source = path, .run_id = 9,
                              .outcome = "PASS"};
  CU_ASSERT_TRUE(firmware_store_audit_flash(f->store, &flash, &error));
  CU_ASSERT_EQUAL(count_rows(f).audit, before.audit + 1);
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("firmware_release", NULL, NULL);
  CU_add_test(suite, "keys", test_keys);
  CU_add_test(suite, "manifest sign and verify", test_manifest_sign_verify);
  CU_add_test(suite, "import", test_import);
  CU_add_test(suite, "import refusals leave the database unchanged", test_import_refusals);
  CU_add_test(suite, "release and supersede", test_release_supersede);
  CU_add_test(suite, "load for flashing checks again", test_load_reverifies);
  CU_add_test(suite, "an image given by hand", test_image_from_file);
  return cunit_run_all();
}
