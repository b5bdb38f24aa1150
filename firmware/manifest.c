/* Release manifests: parsing, writing, the canonical signed message, signing and checking
 * (see manifest.h). Every field is checked for form when a manifest is parsed, so a manifest
 * that parses is one the station can show and store. */
#include "firmware/manifest.h"
#include "firmware/firmware_error.h"
#include <sodium.h>
#include <string.h>

#define MANIFEST_GROUP "firmware-manifest"
#define SIGNATURE_GROUP "signature"
#define SIGNED_MESSAGE_TITLE "jk-eol-station firmware manifest 1\n"
#define SHA256_HEX_CHARS 64

void firmware_manifest_free(FirmwareManifest *manifest)
{
  if (manifest == NULL)
    return;
  g_free(manifest->version);
  g_strfreev(manifest->models);
  g_free(manifest->build_date);
  g_free(manifest->notes);
  g_free(manifest->image_file);
  g_free(manifest->image_sha256);
  g_free(manifest);
}

/* ---- field checks, shared by new and parse ---- */

/* FALSE with FIRMWARE_ERROR_MANIFEST "<name>: <message>". */
static gboolean manifest_error(GError **error, const char *name, const char *format, ...)
    G_GNUC_PRINTF(3, 4);
static gboolean manifest_error(GError **error, const char *name, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *message = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_MANIFEST, "%s: %s", name, message);
  return FALSE;
}

/* TRUE when text is a header name: 1..16 printable characters without blanks. */
static gboolean is_header_name(const char *text)
{
  gsize length = strlen(text);
  if (length == 0 || length > JK_IMAGE_NAME_SIZE)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isgraph(text[i]))
      return FALSE;
  return TRUE;
}

/* TRUE when text is exactly `digits` lower-case hex digits. */
static gboolean is_lower_hex(const char *text, gsize digits)
{
  if (strlen(text) != digits)
    return FALSE;
  for (gsize i = 0; i < digits; i++)
    if (!g_ascii_isxdigit(text[i]) || g_ascii_isupper(text[i]))
      return FALSE;
  return TRUE;
}

/* TRUE when text is a date YYYY-MM-DD. */
static gboolean is_date(const char *text)
{
  guint year, month, day;
  char tail;
  if (strlen(text) != 10 || text[4] != '-' || text[7] != '-' ||
      sscanf(text, "%4u-%2u-%2u%c", &year, &month, &day, &tail) != 3)
    return FALSE;
  return year >= 2000 && year <= 2099 &&
         g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year);
}

/* Checks the version, model list and image file name. */
static gboolean check_names(const char *name, const char *version, char *const *models,
                            const char *image_file, GError **error)
{
  if (!is_header_name(version))
    return manifest_error(error, name, "version '%s' must be 1..16 printable characters "
                          "without blanks", version);
  guint count = g_strv_length((char **)models);
  if (count < 1 || count > JK_IMAGE_MAX_MODELS)
    return manifest_error(error, name, "a manifest lists 1..%u models, not %u",
                          JK_IMAGE_MAX_MODELS, count);
  for (guint i = 0; i < count; i++) {
    if (!is_header_name(models[i]))
      return manifest_error(error, name, "model '%s' must be 1..16 printable characters "
                            "without blanks", models[i]);
    for (guint j = 0; j < i; j++)
      if (strcmp(models[i], models[j]) == 0)
        return manifest_error(error, name, "model %s is listed twice", models[i]);
  }
  if (image_file[0] == '\0' || strchr(image_file, '/') || strchr(image_file, '\\') ||
      strcmp(image_file, ".") == 0 || strcmp(image_file, "..") == 0)
    return manifest_error(error, name, "image-file '%s' must be a plain file name (the image "
                          "sits beside the manifest)", image_file);
  return TRUE;
}

char **firmware_split_models(const char *text)
{
  g_auto(GStrv) parts = g_strsplit(text ? text : "", ",", -1);
  GPtrArray *models = g_ptr_array_new();
  for (guint i = 0; parts[i]; i++) {
    g_strstrip(parts[i]);
    if (parts[i][0] != '\0')
      g_ptr_array_add(models, g_strdup(parts[i]));
  }
  g_ptr_array_add(models, NULL);
  return (char **)g_ptr_array_free(models, FALSE);
}

char *firmware_manifest_models_text(const FirmwareManifest *manifest)
{
  return g_strjoinv(",", manifest->models);
}

/* The header's build date YYYYMMDD as YYYY-MM-DD (freeing). */
static char *header_build_date(const FirmwareHeader *header)
{
  guint32 d = header->build_date;
  return g_strdup_printf("%04u-%02u-%02u", d / 10000, d / 100 % 100, d % 100);
}

/* ---- making and parsing ---- */

FirmwareManifest *firmware_manifest_new(const FirmwareImage *image, const FirmwareHeader *header,
                                        const char *version, const char *const *models,
                                        const char *notes, const char *image_file,
                                        GError **error)
{
  if (!check_names("new manifest", version, (char *const *)models, image_file, error))
    return NULL;
  if (strcmp(version, header->version) != 0) {
    manifest_error(error, image_file, "the image header says version %s, not %s",
                   header->version, version);
    return NULL;
  }
  for (guint i = 0; models[i]; i++) {
    if (!firmware_header_has_model(header, models[i])) {
      g_auto(GStrv) listed = firmware_header_models(header);
      g_autofree char *list = g_strjoinv(",", listed);
      manifest_error(error, image_file, "model %s is not one the image header lists (%s)",
                     models[i], list);
      return NULL;
    }
  }
  FirmwareManifest *manifest = g_new0(FirmwareManifest, 1);
  manifest->version = g_strdup(version);
  manifest->models = g_strdupv((char **)models);
  manifest->build_date = header_build_date(header);
  manifest->notes = g_strdup(notes ? notes : "");
  manifest->image_file = g_strdup(image_file);
  manifest->image_sha256 = firmware_image_sha256(image);
  return manifest;
}

/* Reads a required string field of the manifest group. */
static char *required_field(GKeyFile *file, const char *name, const char *key, GError **error)
{
  g_autoptr(GError) local = NULL;
  char *value = g_key_file_get_string(file, MANIFEST_GROUP, key, &local);
  if (value == NULL)
    manifest_error(error, name, "field %s: %s", key, local->message);
  return value;
}

/* Reads the [signature] group, when there is one, into manifest. */
static gboolean parse_signature(GKeyFile *file, const char *name, FirmwareManifest *manifest,
                                GError **error)
{
  if (!g_key_file_has_group(file, SIGNATURE_GROUP))
    return TRUE;
  g_autofree char *key_id = g_key_file_get_string(file, SIGNATURE_GROUP, "key-id", NULL);
  g_autofree char *encoded = g_key_file_get_string(file, SIGNATURE_GROUP, "ed25519", NULL);
  if (key_id == NULL || !is_lower_hex(key_id, FIRMWARE_KEY_ID_CHARS))
    return manifest_error(error, name, "[signature] key-id must be %d lower-case hex digits",
                          FIRMWARE_KEY_ID_CHARS);
  gsize length = 0;
  g_autofree guint8 *signature = encoded ? g_base64_decode(encoded, &length) : NULL;
  if (signature == NULL || length != FIRMWARE_SIGNATURE_BYTES)
    return manifest_error(error, name, "[signature] ed25519 must be %d bytes in base64",
                          FIRMWARE_SIGNATURE_BYTES);
  memcpy(manifest->key_id, key_id, FIRMWARE_KEY_ID_CHARS + 1);
  memcpy(manifest->signature, signature, FIRMWARE_SIGNATURE_BYTES);
  manifest->has_signature = TRUE;
  return TRUE;
}

FirmwareManifest *firmware_manifest_parse(const char *text, gsize length, const char *name,
                                          GError **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_data(file, text, length, G_KEY_FILE_NONE, &local)) {
    manifest_error(error, name, "not a manifest key file: %s", local->message);
    return NULL;
  }
  if (!g_key_file_has_group(file, MANIFEST_GROUP)) {
    manifest_error(error, name, "no [" MANIFEST_GROUP "] group; is this a release manifest?");
    return NULL;
  }
  g_autofree char *format = required_field(file, name, "format", error);
  if (format == NULL)
    return NULL;
  if (strcmp(g_strstrip(format), "1") != 0) {
    manifest_error(error, name, "manifest format %s; this station reads format %d", format,
                   FIRMWARE_MANIFEST_FORMAT);
    return NULL;
  }
  g_autoptr(FirmwareManifest) manifest = g_new0(FirmwareManifest, 1);
  g_autofree char *models = NULL;
  if (!(manifest->version = required_field(file, name, "version", error)) ||
      !(models = required_field(file, name, "models", error)) ||
      !(manifest->build_date = required_field(file, name, "build-date", error)) ||
      !(manifest->image_file = required_field(file, name, "image-file", error)) ||
      !(manifest->image_sha256 = required_field(file, name, "image-sha256", error)))
    return NULL;
  manifest->notes = g_key_file_get_string(file, MANIFEST_GROUP, "notes", NULL);
  if (manifest->notes == NULL)
    manifest->notes = g_strdup("");
  manifest->models = firmware_split_models(models);
  if (!check_names(name, manifest->version, manifest->models, manifest->image_file, error))
    return NULL;
  if (!is_date(manifest->build_date)) {
    manifest_error(error, name, "build-date '%s' must be a date YYYY-MM-DD",
                   manifest->build_date);
    return NULL;
  }
  if (!is_lower_hex(manifest->image_sha256, SHA256_HEX_CHARS)) {
    manifest_error(error, name, "image-sha256 must be %d lower-case hex digits",
                   SHA256_HEX_CHARS);
    return NULL;
  }
  if (!parse_signature(file, name, manifest, error))
    return NULL;
  return g_steal_pointer(&manifest);
}

FirmwareManifest *firmware_manifest_load(const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, &length, &local)) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_IO, "cannot read the manifest: %s",
                local->message);
    return NULL;
  }
  return firmware_manifest_parse(text, length, path, error);
}

char *firmware_manifest_to_text(const FirmwareManifest *manifest)
{
  g_autoptr(GKeyFile) file = g_key_file_new();
  g_autofree char *models = firmware_manifest_models_text(manifest);
  g_key_file_set_string(file, MANIFEST_GROUP, "format", "1");
  g_key_file_set_string(file, MANIFEST_GROUP, "version", manifest->version);
  g_key_file_set_string(file, MANIFEST_GROUP, "models", models);
  g_key_file_set_string(file, MANIFEST_GROUP, "build-date", manifest->build_date);
  g_key_file_set_string(file, MANIFEST_GROUP, "notes", manifest->notes);
  g_key_file_set_string(file, MANIFEST_GROUP, "image-file", manifest->image_file);
  g_key_file_set_string(file, MANIFEST_GROUP, "image-sha256", manifest->image_sha256);
  g_key_file_set_comment(file, NULL, NULL,
                         " JK board firmware release manifest (JK EOL station). The signature "
                         "covers\n every field above it and, through image-sha256, the image.",
                         NULL);
  if (manifest->has_signature) {
    g_autofree char *signature = g_base64_encode(manifest->signature, FIRMWARE_SIGNATURE_BYTES);
    g_key_file_set_string(file, SIGNATURE_GROUP, "key-id", manifest->key_id);
    g_key_file_set_string(file, SIGNATURE_GROUP, "ed25519", signature);
  }
  return g_key_file_to_data(file, NULL, NULL);
}

/* Appends "<name> <byte count>\n<value>\n": unambiguous whatever the value holds. */
static void append_field(GString *message, const char *name, const char *value)
{
  g_string_append_printf(message, "%s %zu\n", name, strlen(value));
  g_string_append(message, value);
  g_string_append_c(message, '\n');
}

GBytes *firmware_manifest_signed_message(const FirmwareManifest *manifest)
{
  GString *message = g_string_new(SIGNED_MESSAGE_TITLE);
  g_autofree char *models = firmware_manifest_models_text(manifest);
  append_field(message, "version", manifest->version);
  append_field(message, "models", models);
  append_field(message, "build-date", manifest->build_date);
  append_field(message, "notes", manifest->notes);
  append_field(message, "image-file", manifest->image_file);
  append_field(message, "image-sha256", manifest->image_sha256);
  return g_string_free_to_bytes(message);
}

/* ---- signing and checking ---- */

gboolean firmware_manifest_sign(FirmwareManifest *manifest, const FirmwareSigningKey *key,
                                GError **error)
{
  if (!firmware_crypto_init(error))
    return FALSE;
  g_autoptr(GBytes) message = firmware_manifest_signed_message(manifest);
  gsize length = 0;
  const guint8 *data = g_bytes_get_data(message, &length);
  crypto_sign_detached(manifest->signature, NULL, data, length, key->secret_key);
  memcpy(manifest->key_id, key->key_id, sizeof manifest->key_id);
  manifest->has_signature = TRUE;
  return TRUE;
}

const FirmwarePublicKey *firmware_manifest_verify(const FirmwareManifest *manifest,
                                                  const FirmwareTrustedKeys *trusted,
                                                  GError **error)
{
  if (!firmware_crypto_init(error))
    return NULL;
  if (!manifest->has_signature) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE,
                "the manifest of %s is not signed; only signed releases are accepted "
                "('station firmware sign')", manifest->version);
    return NULL;
  }
  const FirmwarePublicKey *key = firmware_trusted_keys_find(trusted, manifest->key_id);
  if (key == NULL) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE,
                "the manifest of %s is signed by key %s, which this station does not trust "
                "(%u trusted keys in %s); add the firmware team's .pub file there if the key "
                "is theirs", manifest->version, manifest->key_id, trusted->keys->len,
                trusted->folder);
    return NULL;
  }
  g_autoptr(GBytes) message = firmware_manifest_signed_message(manifest);
  gsize length = 0;
  const guint8 *data = g_bytes_get_data(message, &length);
  if (crypto_sign_verify_detached(manifest->signature, data, length, key->public_key) != 0) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_SIGNATURE,
                "the manifest of %s has a wrong signature for key %s: it was changed after "
                "signing, or signed with another key", manifest->version, manifest->key_id);
    return NULL;
  }
  return key;
}

gboolean firmware_manifest_check_image(const FirmwareManifest *manifest,
                                       const FirmwareImage *image, const char *image_name,
                                       FirmwareHeader *header, GError **error)
{
  const char *name = image_name ? image_name : manifest->image_file;
  g_autofree char *sha256 = firmware_image_sha256(image);
  if (strcmp(sha256, manifest->image_sha256) != 0)
    return manifest_error(error, name,
                          "image hash mismatch: the manifest says SHA-256 %s, the image has %s "
                          "(the image was changed after signing, or is another build)",
                          manifest->image_sha256, sha256);
  FirmwareHeader found;
  if (!firmware_header_check(image, &found, error)) {
    g_prefix_error(error, "%s: ", name);
    return FALSE;
  }
  if (strcmp(found.version, manifest->version) != 0)
    return manifest_error(error, name, "the image header says version %s, the "
                          "manifest %s", found.version, manifest->version);
  g_autofree char *date = header_build_date(&found);
  if (strcmp(date, manifest->build_date) != 0)
    return manifest_error(error, name, "the image header says build date %s, "
                          "the manifest %s", date, manifest->build_date);
  for (guint i = 0; manifest->models[i]; i++)
    if (!firmware_header_has_model(&found, manifest->models[i]))
      return manifest_error(error, name, "the manifest lists model %s, which "
                            "the image header does not", manifest->models[i]);
  if (header)
    *header = found;
  return TRUE;
}
