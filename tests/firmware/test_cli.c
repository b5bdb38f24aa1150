/* `station firmware ...` as the firmware team and the engineers run it: build-test-image,
 * keygen, sign, import (a good release, the same again, a tampered image), release with
 * supersede, list and show, each checked by exit code and output. */
#include "tests/cunit_main.h"
#include "tests/scratch_folder.h"
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  int status;                   /* exit code */
  char *out, *err;
} Result;

static void result_clear(Result *r)
{
  g_free(r->out);
  g_free(r->err);
}

static char *folder;
static char *db_path;
static char *trusted_folder;

/* Runs the station with arguments (NULL-terminated) in the test folder. */
static Result station(const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)STATION_EXE);
  va_list args;
  va_start(args, first);
  for (const char *arg = first; arg; arg = va_arg(args, const char *))
    g_ptr_array_add(argv, (gpointer)arg);
  va_end(args);
  g_ptr_array_add(argv, NULL);
  Result r = {-1, NULL, NULL};
  int wait_status = 0;
  g_autoptr(GError) error = NULL;
  /* hermetic: no trusted keys or databases from the user's own folders */
  g_auto(GStrv) env = g_environ_setenv(g_get_environ(), "XDG_CONFIG_HOME", folder, TRUE);
  env = g_environ_setenv(env, "XDG_DATA_HOME", folder, TRUE);
  if (!g_spawn_sync(folder, (char **)argv->pdata, env, G_SPAWN_DEFAULT, NULL, NULL, &r.out,
                    &r.err, &wait_status, &error)) {
    printf("\n    cannot run the station: %s", error->message);
    return r;
  }
  r.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  return r;
}

static void expect(Result *r, int status, const char *in_out, const char *in_err)
{
  gboolean ok = r->status == status && (!in_out || (r->out && strstr(r->out, in_out))) &&
                (!in_err || (r->err && strstr(r->err, in_err)));
  if (!ok)
    printf("\n    exit %d (expected %d)\n    stdout: %s\n    stderr: %s", r->status, status,
           r->out, r->err);
  CU_ASSERT_TRUE(ok);
  result_clear(r);
}

static int setup(void)
{
  folder = g_dir_make_tmp("firmware-cli-XXXXXX", NULL);
  db_path = g_build_filename(folder, "results.db", NULL);
  trusted_folder = g_build_filename(folder, "trusted", NULL);
  return folder ? 0 : 1;
}

static int teardown(void)
{
  scratch_folder_remove(folder);
  g_free(folder);
  g_free(db_path);
  g_free(trusted_folder);
  return 0;
}

static void test_release_flow(void)
{
  Result r;
  r = station("firmware", "build-test-image", "--version", "11.25", "--models",
              "B2A24S15P,B2A8S20P", "--size", "8192", "--build-date", "20251001", "-o",
              "old.bin", NULL);
  expect(&r, 0, "test image 11.25 (8192 bytes, raw binary): old.bin", NULL);
  r = station("firmware", "build-test-image", "--version", "11.26", "--models",
              "B2A24S15P,B2A8S20P", "--size", "9000", "--build-date", "20251120", "-o",
              "new.hex", NULL);
  expect(&r, 0, "(9000 bytes, Intel HEX)", NULL);
  r = station("firmware", "keygen", "--out", "team", NULL);
  expect(&r, 0, "private key team.key, public key team.pub", NULL);
  g_mkdir(trusted_folder, 0755);
  g_autofree char *pub = NULL;
  g_autofree char *pub_path = g_build_filename(folder, "team.pub", NULL);
  g_autofree char *trusted_pub = g_build_filename(trusted_folder, "team.pub", NULL);
  CU_ASSERT_TRUE_FATAL(g_file_get_contents(pub_path, &pub, NULL, NULL));
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(trusted_pub, pub, -1, NULL));

  /* sign checks the header agrees */
  r = station("firmware", "sign", "--key", "team.key", "--image", "old.bin", "--version",
              "11.24", "--models", "B2A24S15P", "-o", "old.manifest", NULL);
  expect(&r, 2, NULL, "the image header says version 11.25, not 11.24");
  r = station("firmware", "sign", "--key", "team.key", "--image", "old.bin", "--version",
              "11.25", "--models", "B2A20S20P", "-o", "old.manifest", NULL);
  expect(&r, 2, NULL, "model B2A20S20P is not one the image header lists");
  r = station("firmware", "sign", "--key", "team.key", "--image", "old.bin", "--version",
              "11.25", "--models", "B2A24S15P,B2A8S20P", "--notes", "old one", "-o",
              "old.manifest", NULL);
  expect(&r, 0, "signed 11.25 for B2A24S15P,B2A8S20P with key", NULL);
  r = station("firmware", "sign", "--key", "team.key", "--image", "new.hex", "--version",
              "11.26", "--models", "B2A24S15P,B2A8S20P", "--notes", "new one", "-o",
              "new.manifest", NULL);
  expect(&r, 0, "signed 11.26", NULL);

  /* import: without the trusted key refused; then accepted; again: nothing changes */
  r = station("firmware", "import", "--db", db_path, "--trusted-keys", "no-such-folder",
              "old.manifest", NULL);
  expect(&r, 2, NULL, "which this station does not trust");
  r = station("firmware", "import", "--db", db_path, "--trusted-keys", trusted_folder,
              "old.manifest", NULL);
  expect(&r, 0, "imported 11.25 (sha256 ", NULL);
  r = station("firmware", "import", "--db", db_path, "--trusted-keys", trusted_folder,
              "old.manifest", NULL);
  expect(&r, 0, "11.25 is already imported", NULL);

  /* a tampered image is refused */
  g_autofree char *hex_path = g_build_filename(folder, "new.hex", NULL);
  g_autofree char *hex = NULL;
  CU_ASSERT_TRUE_FATAL(g_file_get_contents(hex_path, &hex, NULL, NULL));
  g_autofree char *tampered_path = g_build_filename(folder, "tampered.bin", NULL);
  g_autofree char *bin_path = g_build_filename(folder, "old.bin", NULL);
  g_autofree char *bin = NULL;
  gsize bin_length = 0;
  CU_ASSERT_TRUE_FATAL(g_file_get_contents(bin_path, &bin, &bin_length, NULL));
  bin[5000] ^= 1;
  CU_ASSERT_TRUE_FATAL(g_file_set_contents(tampered_path, bin, (gssize)bin_length, NULL));
  r = station("firmware", "import", "--db", db_path, "--trusted-keys", trusted_folder,
              "--image", "tampered.bin", "old.manifest", NULL);
  expect(&r, 2, NULL, "import of old.manifest refused: ");
  r = station("firmware", "import", "--db", db_path, "--trusted-keys", trusted_folder,
              "new.manifest", NULL);
  expect(&r, 0, "imported 11.26", NULL);

  /* release, supersede, list, show */
  r = station("firmware", "release", "11.25", "--models", "B2A24S15P,B2A8S20P", "--db", db_path,
              "--trusted-keys", trusted_folder, "--user", "eng", NULL);
  expect(&r, 0, "B2A8S20P: 11.25 released", NULL);
  r = station("firmware", "release", "11.26", "--models", "B2A24S15P", "--db", db_path,
              "--trusted-keys", trusted_folder, "--user", "eng", NULL);
  expect(&r, 0, "B2A24S15P: 11.26 released, supersedes 11.25", NULL);
  r = station("firmware", "release", "11.26", "--models", "B2A20S20P", "--db", db_path,
              "--trusted-keys", trusted_folder, NULL);
  expect(&r, 2, NULL, "is not built for model B2A20S20P");
  r = station("firmware", "list", "--db", db_path, NULL);
  expect(&r, 0, "11.26            B2A24S15P,B2A8S20P           B2A24S15P", NULL);
  r = station("firmware", "show", "11.25", "--db", db_path, "--trusted-keys", trusted_folder,
              NULL);
  expect(&r, 0, "released for  B2A8S20P\n", NULL);
  r = station("firmware", "show", "11.25", "--db", db_path, "--trusted-keys", trusted_folder,
              NULL);
  expect(&r, 0, "signature valid (trusted key", NULL);
  r = station("firmware", "show", "9.9", "--db", db_path, NULL);
  expect(&r, 2, NULL, "no firmware image of version 9.9");
  r = station("firmware", "frobnicate", NULL);
  expect(&r, 64, NULL, "unknown firmware subcommand 'frobnicate'");
}

int main(void)
{
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite suite = CU_add_suite("firmware_cli", setup, teardown);
  CU_add_test(suite, "keygen, sign, import, release, list, show", test_release_flow);
  return cunit_run_all();
}
