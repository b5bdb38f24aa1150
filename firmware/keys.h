/* Ed25519 keys for signing firmware release manifests (libsodium). The firmware team keeps
 * the private key (KEYBASE.key, mode 0600) and gives stations the public key (KEYBASE.pub);
 * a station trusts the public keys found in its trusted-keys folder. A key's id is the first
 * 8 bytes of the SHA-256 of its public key, in hex: it names the signer in manifests, in the
 * database and in messages. Private keys never enter the database. */
#pragma once
#include <glib.h>

#define FIRMWARE_PUBLIC_KEY_BYTES 32
#define FIRMWARE_SECRET_KEY_BYTES 64
#define FIRMWARE_SIGNATURE_BYTES 64
#define FIRMWARE_KEY_ID_CHARS 16

typedef struct {
  char key_id[FIRMWARE_KEY_ID_CHARS + 1];           /* hex, NUL terminated */
  guint8 public_key[FIRMWARE_PUBLIC_KEY_BYTES];
  char *path;                                       /* file it came from, owned; NULL if none */
} FirmwarePublicKey;

typedef struct {
  char key_id[FIRMWARE_KEY_ID_CHARS + 1];
  guint8 secret_key[FIRMWARE_SECRET_KEY_BYTES];     /* libsodium's: seed and public key */
} FirmwareSigningKey;

/* Initialises libsodium once; FIRMWARE_ERROR_KEY when it cannot start. */
gboolean firmware_crypto_init(GError **error);

/* Makes a new key pair and writes base + ".key" (0600) and base + ".pub"; refuses to
 * overwrite either file. On success *key_id (when not NULL) is the new key's id (freeing). */
gboolean firmware_keygen(const char *base, char **key_id, GError **error);
/* Reads a private key file. */
FirmwareSigningKey *firmware_signing_key_load(const char *path, GError **error);
void firmware_signing_key_free(FirmwareSigningKey *key);   /* wipes the key */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FirmwareSigningKey, firmware_signing_key_free)
/* Reads a public key file. */
FirmwarePublicKey *firmware_public_key_load(const char *path, GError **error);
void firmware_public_key_free(FirmwarePublicKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FirmwarePublicKey, firmware_public_key_free)

/* The public keys a station trusts. */
typedef struct {
  GPtrArray *keys;              /* of FirmwarePublicKey*, owned */
  char *folder;                 /* where they were read, owned */
} FirmwareTrustedKeys;

/* <user config dir>/jk-eol-station/trusted-keys (freeing). */
char *firmware_trusted_keys_default_folder(void);
/* Reads every *.pub file in folder (none, or no folder: an empty set). A malformed key file
 * is an error naming it, not skipped. */
FirmwareTrustedKeys *firmware_trusted_keys_load(const char *folder, GError **error);
void firmware_trusted_keys_free(FirmwareTrustedKeys *trusted);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FirmwareTrustedKeys, firmware_trusted_keys_free)
/* The trusted key with that id, or NULL. */
const FirmwarePublicKey *firmware_trusted_keys_find(const FirmwareTrustedKeys *trusted,
                                                    const char *key_id);

/* The id of a public key (key_id gets FIRMWARE_KEY_ID_CHARS + 1 bytes). */
void firmware_key_id(const guint8 public_key[FIRMWARE_PUBLIC_KEY_BYTES],
                     char key_id[FIRMWARE_KEY_ID_CHARS + 1]);
