/* Signing keys and the trusted key set (see keys.h). Key files are GLib key files:
 *
 *   KEYBASE.key  [jk-firmware-signing-key]  key-id=<hex>  secret-key=<base64, 64 bytes>
 *   KEYBASE.pub  [jk-firmware-public-key]   key-id=<hex>  public-key=<base64, 32 bytes>
 *
 * The key id in a file must match the key it holds, so a key file edited by hand is refused. */
#include "firmware/keys.h"
#include "firmware/firmware_error.h"
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#define SECRET_GROUP "jk-firmware-signing-key"
#define PUBLIC_GROUP "jk-firmware-public-key"

gboolean firmware_crypto_init(GError **error)
{
  static gsize result = 0;   /* 1 ready, 2 failed */
  if (g_once_init_enter(&result))
    g_once_init_leave(&result, sodium_init() < 0 ? 2 : 1);
  if (result == 2) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_KEY,
                "libsodium could not start (no entropy source?); signatures cannot be made or "
                "checked");
    return FALSE;
  }
  return TRUE;
}

void firmware_key_id(const guint8 public_key[FIRMWARE_PUBLIC_KEY_BYTES],
                     char key_id[FIRMWARE_KEY_ID_CHARS + 1])
{
  guint8 digest[32];
  gsize digest_length = sizeof digest;
  GChecksum *checksum = g_checksum_new(G_CHECKSUM_SHA256);
  g_checksum_update(checksum, public_key, FIRMWARE_PUBLIC_KEY_BYTES);
  g_checksum_get_digest(checksum, digest, &digest_length);
  g_checksum_free(checksum);
  for (int i = 0; i < FIRMWARE_KEY_ID_CHARS / 2; i++)
    g_snprintf(key_id + 2 * i, 3, "%02x", digest[i]);
}

/* Writes text to a new file with mode; refuses an existing file. */
static gboolean write_new_file(const char *path, const char *text, int mode, GError **error)
{
  int fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    int saved = errno;
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_IO, "cannot create %s: %s%s", path,
                g_strerror(saved),
                saved == EEXIST ? " (keys are never overwritten; choose another name)" : "");
    return FALSE;
  }
  gsize length = strlen(text);
  gsize done = 0;
  while (done < length) {
    ssize_t n = write(fd, text + done, length - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int saved = errno;
      close(fd);
      g_unlink(path);
      g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_IO, "cannot write %s: %s", path,
                  g_strerror(saved));
      return FALSE;
    }
    done += (gsize)n;
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    int saved = errno;
    g_unlink(path);
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_IO, "cannot write %s: %s", path,
                g_strerror(saved));
    return FALSE;
  }
  return TRUE;
}

gboolean firmware_keygen(const char *base, char **key_id, GError **error)
{
  if (!firmware_crypto_init(error))
    return FALSE;
  guint8 public_key[FIRMWARE_PUBLIC_KEY_BYTES];
  guint8 secret_key[FIRMWARE_SECRET_KEY_BYTES];
  crypto_sign_keypair(public_key, secret_key);
  char id[FIRMWARE_KEY_ID_CHARS + 1];
  firmware_key_id(public_key, id);

  g_autofree char *secret_b64 = g_base64_encode(secret_key, sizeof secret_key);
  g_autofree char *public_b64 = g_base64_encode(public_key, sizeof public_key);
  sodium_memzero(secret_key, sizeof secret_key);
  g_autofree char *secret_text = g_strdup_printf(
      "# JK EOL station: firmware release signing key (Ed25519, PRIVATE). Keep it secret; a\n"
      "# station needs only the .pub file beside it.\n"
      "[" SECRET_GROUP "]\nkey-id=%s\nsecret-key=%s\n", id, secret_b64);
  sodium_memzero(secret_b64, strlen(secret_b64));
  g_autofree char *public_text = g_strdup_printf(
      "# JK EOL station: firmware release public key (Ed25519). Stations that should accept\n"
      "# releases signed by it keep a copy in their trusted-keys folder.\n"
      "[" PUBLIC_GROUP "]\nkey-id=%s\npublic-key=%s\n", id, public_b64);

  g_autofree char *secret_path = g_strconcat(base, ".key", NULL);
  g_autofree char *public_path = g_strconcat(base, ".pub", NULL);
  gboolean ok = FALSE;
  if (g_file_test(public_path, G_FILE_TEST_EXISTS))
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_IO, "cannot create %s: it exists (keys "
                "are never overwritten; choose another name)", public_path);
  else if (write_new_file(secret_path, secret_text, 0600, error)) {
    ok = write_new_file(public_path, public_text, 0644, error);
    if (!ok)
      g_unlink(secret_path);
  }
  sodium_memzero(secret_text, strlen(secret_text));
  if (ok && key_id)
    *key_id = g_strdup(id);
  return ok;
}

/* Reads group's key-id and the base64 key of exactly `size` bytes from a key file into out;
 * FIRMWARE_ERROR_KEY names the file and what is wrong. */
static gboolean read_key_file(const char *path, const char *group, const char *key_name,
                              guint8 *out, gsize size, char key_id[FIRMWARE_KEY_ID_CHARS + 1],
                              GError **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, FIRMWARE_ERROR,
                g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? FIRMWARE_ERROR_IO
                                                                         : FIRMWARE_ERROR_KEY,
                "key file %s: %s", path, local->message);
    return FALSE;
  }
  g_autofree char *id = g_key_file_get_string(file, group, "key-id", NULL);
  g_autofree char *encoded = g_key_file_get_string(file, group, key_name, NULL);
  if (id == NULL || encoded == NULL) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_KEY,
                "key file %s has no [%s] group with key-id and %s; is it the right kind of key "
                "file?", path, group, key_name);
    return FALSE;
  }
  gsize length = 0;
  g_autofree guint8 *decoded = g_base64_decode(g_strstrip(encoded), &length);
  if (length != size) {
    if (decoded)
      sodium_memzero(decoded, length);
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_KEY,
                "key file %s: %s is %zu bytes, expected %zu", path, key_name, length, size);
    return FALSE;
  }
  memcpy(out, decoded, size);
  sodium_memzero(decoded, length);
  sodium_memzero(encoded, strlen(encoded));
  g_strlcpy(key_id, g_strstrip(id), FIRMWARE_KEY_ID_CHARS + 1);
  return TRUE;
}

FirmwareSigningKey *firmware_signing_key_load(const char *path, GError **error)
{
  if (!firmware_crypto_init(error))
    return NULL;
  FirmwareSigningKey *key = sodium_malloc(sizeof *key);
  if (key == NULL) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_KEY, "no memory for the signing key");
    return NULL;
  }
  memset(key, 0, sizeof *key);
  if (!read_key_file(path, SECRET_GROUP, "secret-key", key->secret_key, sizeof key->secret_key,
                     key->key_id, error)) {
    firmware_signing_key_free(key);
    return NULL;
  }
  guint8 public_key[FIRMWARE_PUBLIC_KEY_BYTES];
  char id[FIRMWARE_KEY_ID_CHARS + 1];
  crypto_sign_ed25519_sk_to_pk(public_key, key->secret_key);
  firmware_key_id(public_key, id);
  if (strcmp(id, key->key_id) != 0) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_KEY,
                "key file %s: key-id %s does not belong to the key it holds (%s); the file was "
                "edited", path, key->key_id, id);
    firmware_signing_key_free(key);
    return NULL;
  }
  return key;
}

void firmware_signing_key_free(FirmwareSigningKey *key)
{
  if (key != NULL)
    sodium_free(key);   /* wipes the memory */
}

FirmwarePublicKey *firmware_public_key_load(const char *path, GError **error)
{
  g_autoptr(FirmwarePublicKey) key = g_new0(FirmwarePublicKey, 1);
  if (!read_key_file(path, PUBLIC_GROUP, "public-key", key->public_key, sizeof key->public_key,
                     key->key_id, error))
    return NULL;
  char id[FIRMWARE_KEY_ID_CHARS + 1];
  firmware_key_id(key->public_key, id);
  if (strcmp(id, key->key_id) != 0) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_KEY,
                "key file %s: key-id %s does not belong to the key it holds (%s); the file was "
                "edited", path, key->key_id, id);
    return NULL;
  }
  key->path = g_strdup(path);
  return g_steal_pointer(&key);
}

void firmware_public_key_free(FirmwarePublicKey *key)
{
  if (key == NULL)
    return;
  g_free(key->path);
  g_free(key);
}

char *firmware_trusted_keys_default_folder(void)
{
  return g_build_filename(g_get_user_config_dir(), "jk-eol-station", "trusted-keys", NULL);
}

/* Sorts file names so the key set does not depend on the directory's order. */
static gint compare_names(gconstpointer a, gconstpointer b)
{
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

FirmwareTrustedKeys *firmware_trusted_keys_load(const char *folder, GError **error)
{
  g_autoptr(FirmwareTrustedKeys) trusted = g_new0(FirmwareTrustedKeys, 1);
  trusted->keys = g_ptr_array_new_with_free_func((GDestroyNotify)firmware_public_key_free);
  trusted->folder = g_strdup(folder);
  if (!g_file_test(folder, G_FILE_TEST_EXISTS))
    return g_steal_pointer(&trusted);
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) dir = g_dir_open(folder, 0, &local);
  if (dir == NULL) {
    g_set_error(error, FIRMWARE_ERROR, FIRMWARE_ERROR_IO, "cannot read the trusted keys: %s",
                local->message);
    return NULL;
  }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL)
    if (g_str_has_suffix(name, ".pub"))
      g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, compare_names);
  for (guint i = 0; i < names->len; i++) {
    g_autofree char *path = g_build_filename(folder, g_ptr_array_index(names, i), NULL);
    FirmwarePublicKey *key = firmware_public_key_load(path, error);
    if (key == NULL)
      return NULL;
    g_ptr_array_add(trusted->keys, key);
  }
  return g_steal_pointer(&trusted);
}

void firmware_trusted_keys_free(FirmwareTrustedKeys *trusted)
{
  if (trusted == NULL)
    return;
  g_ptr_array_unref(trusted->keys);
  g_free(trusted->folder);
  g_free(trusted);
}

const FirmwarePublicKey *firmware_trusted_keys_find(const FirmwareTrustedKeys *trusted,
                                                    const char *key_id)
{
  for (guint i = 0; i < trusted->keys->len; i++) {
    const FirmwarePublicKey *key = g_ptr_array_index(trusted->keys, i);
    if (g_strcmp0(key->key_id, key_id) == 0)
      return key;
  }
  return NULL;
}
