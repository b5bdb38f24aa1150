/* Test firmware for a simulated line: what `station validate` and `station plan` flash when
 * they run in a database of their own. A throwaway signing key is made in a folder, test
 * images covering every catalog model (JK_IMAGE_MAX_MODELS per image) are built, signed,
 * imported and released, through the same checks as the firmware team's releases. */
#pragma once
#include <glib.h>
#include "db/store.h"
#include "sequences/catalog.h"

/* Releases test images for every model of catalog into store; keys and files go to folder
 * (created), whose trusted-keys/ sub-folder holds the public key to trust. Returns that
 * sub-folder's path (freeing). */
char *firmware_release_test_line(Store *store, const Catalog *catalog, const char *folder,
                                 GError **error);
