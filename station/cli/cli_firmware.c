/* station firmware ...: the firmware team's and the engineers' tools for release images.
 * keygen makes a signing key pair, sign writes a signed manifest for an image, import checks a
 * signed release and stores it, release makes an imported image the one flashed on a model,
 * list and show print what is stored, flash writes an image into a board as a stored run of
 * the engine, build-test-image makes images for tests and demos. */
#include "station/cli/cli.h"
#include "db/users.h"
#include "db/firmware_store.h"
#include "db/factory_firmware.h"
#include "firmware/factory_fetch.h"
#include "station/station_config.h"
#include "firmware/firmware_error.h"
#include "firmware/image.h"
#include "firmware/image_header.h"
#include "firmware/keys.h"
#include "firmware/manifest.h"
#include "firmware/release.h"
#include "firmware/test_image.h"
#include "sequences/data_path.h"
#include "station/station_error.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#define SHA256_PREFIX_CHARS 12   /* hash prefix printed by list */

/* Options several subcommands share; parsed per subcommand. */
static char *db_path_option;
static char *trusted_keys_option;
static char *actor_option;

static GOptionEntry db_entry(void)
{
  return (GOptionEntry){"db", 0, 0, G_OPTION_ARG_FILENAME, &db_path_option,
                        "Results database", "FILE"};
}

/* --config, for the commands that reach the factory database. */
static GOptionEntry config_entry(char **path)
{
  return (GOptionEntry){"config", 0, 0, G_OPTION_ARG_FILENAME, path, "The station's "
                        "configuration naming the factory database (default: the user's "
                        "config dir, jk-eol-station/station.conf)", "FILE"};
}

static GOptionEntry trusted_keys_entry(void)
{
  return (GOptionEntry){"trusted-keys", 0, 0, G_OPTION_ARG_FILENAME, &trusted_keys_option,
                        "Folder of trusted public keys (*.pub; default "
                        "$XDG_CONFIG_HOME/jk-eol-station/trusted-keys)", "DIR"};
}

static GOptionEntry actor_entry(void)
{
  return (GOptionEntry){"user", 'u', 0, G_OPTION_ARG_STRING, &actor_option,
                        "Who does it: user name or badge (default: the login name)", "NAME"};
}

static FirmwareTrustedKeys *load_trusted_keys(void)
{
  g_autofree char *folder = trusted_keys_option ? g_strdup(trusted_keys_option)
                                                : firmware_trusted_keys_default_folder();
  g_autoptr(GError) error = NULL;
  FirmwareTrustedKeys *trusted = firmware_trusted_keys_load(folder, &error);
  if (!trusted)
    cli_error("%s", error->message);
  return trusted;
}

/* A new option context for "station firmware <name>" with its entries. */
static GOptionContext *new_context(const char *parameters, const char *summary,
                                   const GOptionEntry *entries)
{
  GOptionContext *context = g_option_context_new(parameters);
  g_option_context_set_summary(context, summary);
  g_option_context_add_main_entries(context, entries, NULL);
  return context;
}

/* Prints "station: <message>" for error and returns EXIT_ERROR. */
static int fail(const GError *error)
{
  cli_error("%s", error->message);
  return EXIT_ERROR;
}

/* ---- keygen ---- */

static int firmware_keygen_command(int argc, char **argv)
{
  g_autofree char *base = NULL;
  GOptionEntry entries[] = {
    {"out", 'o', 0, G_OPTION_ARG_FILENAME, &base, "Writes BASE.key and BASE.pub", "BASE"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = new_context(
      "", "Makes an Ed25519 key pair for signing firmware releases: BASE.key (private, mode "
      "0600: keep it with the firmware team, never on a station) and BASE.pub (copy it into "
      "each station's trusted-keys folder).", entries);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1 || base == NULL) {
    cli_error("usage: station firmware keygen --out BASE");
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *key_id = NULL;
  if (!firmware_keygen(base, &key_id, &error))
    return fail(error);
  printf("key %s: private key %s.key, public key %s.pub\n", key_id, base, base);
  return EXIT_PASS;
}

/* ---- sign ---- */

static int firmware_sign_command(int argc, char **argv)
{
  g_autofree char *key_path = NULL, *image_path = NULL, *version = NULL, *models = NULL;
  g_autofree char *notes = NULL, *output = NULL;
  GOptionEntry entries[] = {
    {"key", 'k', 0, G_OPTION_ARG_FILENAME, &key_path, "Private key file", "BASE.key"},
    {"image", 'i', 0, G_OPTION_ARG_FILENAME, &image_path, "Image (.bin or .hex)", "FILE"},
    {"version", 0, 0, G_OPTION_ARG_STRING, &version, "Version, as in the image header", "V"},
    {"models", 'm', 0, G_OPTION_ARG_STRING, &models, "Models, each listed by the header",
     "A,B"},
    {"notes", 'n', 0, G_OPTION_ARG_STRING, &notes, "Release notes", "TEXT"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Manifest to write", "MANIFEST"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = new_context(
      "", "Writes a signed release manifest for an image. The image must pass the header "
      "check and its header must agree with --version and --models. Keep the manifest beside "
      "the image: import finds the image by its file name.", entries);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1 || !key_path || !image_path || !version || !models || !output) {
    cli_error("usage: station firmware sign --key BASE.key --image IMG --version V "
              "--models A,B [--notes TEXT] -o MANIFEST");
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareSigningKey) key = firmware_signing_key_load(key_path, &error);
  g_autoptr(FirmwareImage) image =
      key ? firmware_image_load(image_path, FIRMWARE_FILE_AUTO, &error) : NULL;
  if (!image)
    return fail(error);
  FirmwareHeader header;
  if (!firmware_header_check(image, &header, &error)) {
    g_prefix_error(&error, "%s: ", image_path);
    return fail(error);
  }
  g_auto(GStrv) model_list = firmware_split_models(models);
  g_autofree char *image_file = g_path_get_basename(image_path);
  g_autoptr(FirmwareManifest) manifest = firmware_manifest_new(
      image, &header, version, (const char *const *)model_list, notes, image_file, &error);
  if (!manifest || !firmware_manifest_sign(manifest, key, &error))
    return fail(error);
  g_autofree char *text = firmware_manifest_to_text(manifest);
  if (!g_file_set_contents(output, text, -1, &error))
    return fail(error);
  g_autofree char *model_text = firmware_manifest_models_text(manifest);
  printf("signed %s for %s with key %s: %s (image %s, sha256 %s)\n", manifest->version,
         model_text, manifest->key_id, output, image_file, manifest->image_sha256);
  return EXIT_PASS;
}

/* ---- import ---- */

static int firmware_import_command(int argc, char **argv)
{
  g_autofree char *image_path = NULL;
  GOptionEntry entries[] = {
    db_entry(), trusted_keys_entry(), actor_entry(),
    {"image", 'i', 0, G_OPTION_ARG_FILENAME, &image_path,
     "The image, when it is not beside the manifest under its image-file name", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = new_context(
      "MANIFEST", "Imports a signed release: checks the manifest's signature against the "
      "trusted keys, the image's SHA-256 and header against the manifest, then stores image, "
      "manifest and signature. Anything wrong: refused, and nothing is stored.", entries);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2) {
    cli_error("usage: station firmware import [--trusted-keys DIR] [--db FILE] MANIFEST");
    return EXIT_USAGE;
  }
  g_autoptr(FirmwareTrustedKeys) trusted = load_trusted_keys();
  if (!trusted)
    return EXIT_ERROR;
  g_autoptr(Store) store = cli_open_store(db_path_option);
  if (!store)
    return EXIT_ERROR;
  g_autoptr(GError) error = NULL;
  g_autofree char *who = cli_user_name(store, actor_option);
  if (!store_user_authorize(store, who, USER_ROLE_FIRMWARE, "importing firmware", &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  FirmwareImportResult result;
  if (!firmware_import(store, argv[1], image_path, trusted, who, &result, &error)) {
    cli_error("import of %s refused: %s", argv[1], error->message);
    return EXIT_ERROR;
  }
  if (result.already_stored)
    printf("%s is already imported (sha256 %s): nothing changed\n", result.version,
           result.sha256);
  else
    printf("imported %s (sha256 %s), signed by key %s\n", result.version, result.sha256,
           result.signer_key_id);
  firmware_import_result_clear(&result);
  return EXIT_PASS;
}

/* ---- release ---- */

static int firmware_release_command(int argc, char **argv)
{
  g_autofree char *models = NULL;
  GOptionEntry entries[] = {
    db_entry(), trusted_keys_entry(), actor_entry(),
    {"models", 'm', 0, G_OPTION_ARG_STRING, &models, "Models to release it for", "A,B"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = new_context(
      "VERSION", "Makes an imported image the one flashed on boards of the given models (only "
      "models its header lists). It supersedes the image released for each model before; "
      "the change is written to the audit log. The signature is checked again first.",
      entries);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  g_auto(GStrv) model_list = firmware_split_models(models);
  if (argc != 2 || model_list[0] == NULL) {
    cli_error("usage: station firmware release VERSION --models A,B [--db FILE]");
    return EXIT_USAGE;
  }
  g_autoptr(FirmwareTrustedKeys) trusted = load_trusted_keys();
  if (!trusted)
    return EXIT_ERROR;
  g_autoptr(Store) store = cli_open_store(db_path_option);
  if (!store)
    return EXIT_ERROR;
  g_autoptr(GError) error = NULL;
  g_autofree char *who = cli_user_name(store, actor_option);
  if (!store_user_authorize(store, who, USER_ROLE_FIRMWARE, "releasing firmware",
                            &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  g_autoptr(FirmwareImageRecord) record = firmware_store_get_by_version(store, argv[1], &error);
  g_autoptr(FirmwareImage) image =
      record ? firmware_record_verify(record, trusted, NULL, &error) : NULL;
  if (!image) {
    cli_error("%s not released: %s", argv[1], error->message);
    return EXIT_ERROR;
  }
  g_autoptr(GPtrArray) changes = firmware_store_release(
      store, argv[1], (const char *const *)model_list, who, &error);
  if (!changes) {
    cli_error("%s not released: %s", argv[1], error->message);
    return EXIT_ERROR;
  }
  for (guint i = 0; i < changes->len; i++) {
    const FirmwareReleaseChange *change = g_ptr_array_index(changes, i);
    if (change->unchanged)
      printf("%s: %s was already the released image\n", change->model, argv[1]);
    else if (change->previous_version)
      printf("%s: %s released, supersedes %s\n", change->model, argv[1],
             change->previous_version);
    else
      printf("%s: %s released\n", change->model, argv[1]);
  }
  return EXIT_PASS;
}

/* ---- list and show ---- */

static int firmware_list_command(int argc, char **argv)
{
  GOptionEntry entries[] = {db_entry(), G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) context =
      new_context("", "Lists the imported firmware images, newest first.", entries);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1) {
    cli_error("usage: station firmware list [--db FILE]");
    return EXIT_USAGE;
  }
  g_autoptr(Store) store = cli_open_store(db_path_option);
  if (!store)
    return EXIT_ERROR;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = firmware_store_list(store, &error);
  if (!records)
    return fail(error);
  printf("%-16s %-28s %-28s %-14s %s\n", "VERSION", "MODELS", "RELEASED FOR", "SHA256",
         "IMPORTED (UTC)");
  for (guint i = 0; i < records->len; i++) {
    const FirmwareImageRecord *r = g_ptr_array_index(records, i);
    g_autofree char *models = g_strjoinv(",", r->models);
    g_autofree char *released = g_strjoinv(",", r->released_for);
    printf("%-16s %-28s %-28s %-14.*s %s\n", r->version, models, *released ? released : "-",
           SHA256_PREFIX_CHARS, r->sha256, r->imported_at);
  }
  if (records->len == 0)
    printf("(no firmware imported)\n");
  return EXIT_PASS;
}

static int firmware_show_command(int argc, char **argv)
{
  GOptionEntry entries[] = {db_entry(), trusted_keys_entry(), G_OPTION_ENTRY_NULL};
  g_autoptr(GOptionContext) context = new_context(
      "VERSION", "Prints one imported image: its manifest fields, signer, hash, releases, and "
      "whether its signature and header check out with this station's trusted keys.", entries);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2) {
    cli_error("usage: station firmware show VERSION [--db FILE]");
    return EXIT_USAGE;
  }
  g_autoptr(FirmwareTrustedKeys) trusted = load_trusted_keys();
  if (!trusted)
    return EXIT_ERROR;
  g_autoptr(Store) store = cli_open_store(db_path_option);
  if (!store)
    return EXIT_ERROR;
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImageRecord) r = firmware_store_get_by_version(store, argv[1], &error);
  if (!r)
    return fail(error);
  g_autofree char *models = g_strjoinv(",", r->models);
  g_autofree char *released = g_strjoinv(",", r->released_for);
  printf("Firmware %s\n", r->version);
  printf("  models        %s\n", models);
  printf("  released for  %s\n", *released ? released : "(none)");
  printf("  build date    %s\n", r->build_date ? r->build_date : "-");
  printf("  size          %" G_GINT64_FORMAT " bytes\n", r->size_bytes);
  printf("  sha256        %s\n", r->sha256);
  printf("  signer key    %s\n", r->signer_key_id ? r->signer_key_id : "-");
  printf("  imported      %s by %s\n", r->imported_at, r->imported_by ? r->imported_by : "-");
  g_autoptr(GError) check_error = NULL;
  FirmwareHeader header;
  g_autoptr(FirmwareImage) image = firmware_record_verify(r, trusted, &header, &check_error);
  if (image)
    printf("  check         signature valid (trusted key %s), hash and header OK, CRC-32 "
           "0x%08X\n", r->signer_key_id, header.crc32);
  else
    printf("  check         FAILED: %s\n", check_error->message);
  printf("  notes         %s\n", *r->notes ? r->notes : "-");
  return image ? EXIT_PASS : EXIT_ERROR;
}

/* ---- the factory database: publish and fetch ---- */

/* The station's configuration with its factory database, or FALSE with the reason printed. */
static gboolean load_factory_config(const char *config_path, StationConfig *config)
{
  g_autoptr(GError) error = NULL;
  if (!station_config_load(config_path, config, &error)) {
    cli_error("%s", error->message);
    return FALSE;
  }
  if (!config->has_factory) {
    g_autofree char *path = config->path ? g_strdup(config->path)
                                         : station_config_default_path();
    cli_error("no factory database is configured: give [factory] database in %s", path);
    return FALSE;
  }
  return TRUE;
}

int cli_fetch_firmware(Store *store, FactoryDb *factory, const char *trusted_dir,
                       const char *station_id, gboolean print)
{
  g_autofree char *folder = trusted_dir ? g_strdup(trusted_dir)
                                        : firmware_trusted_keys_default_folder();
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareTrustedKeys) trusted = firmware_trusted_keys_load(folder, &error);
  FirmwareFetchReport report = {0};
  if (trusted == NULL ||
      !firmware_fetch_releases(store, factory, trusted,
                               station_id ? station_id : g_get_host_name(), &report, &error)) {
    if (print)
      cli_error("firmware releases not fetched: %s", error->message);
    else
      g_message("firmware releases not fetched: %s", error->message);
    firmware_fetch_report_clear(&report);
    return -1;
  }
  for (guint i = 0; i < report.lines->len; i++) {
    const char *line = g_ptr_array_index(report.lines, i);
    if (print)
      printf("%s\n", line);
    else
      g_message("%s", line);
  }
  int refused = (int)report.refused;
  firmware_fetch_report_clear(&report);
  return refused;
}

static int firmware_publish_command(int argc, char **argv)
{
  g_autofree char *models = NULL, *config_path = NULL;
  GOptionEntry entries[] = {
    db_entry(), trusted_keys_entry(), actor_entry(),
    {"models", 'm', 0, G_OPTION_ARG_STRING, &models, "Models to release it for in the "
     "factory database (default: those it is released for on this station)", "A,B"},
    config_entry(&config_path),
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = new_context(
      "VERSION", "Publishes an imported image with its signed manifest to the factory "
      "database and releases it there for the models, superseding their releases; every "
      "station takes it at its next sync or run, checking the signature against its own "
      "trusted keys. The signature is checked here first.", entries);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2) {
    cli_error("usage: station firmware publish VERSION [--models A,B] [--db FILE] "
              "[--config FILE]");
    return EXIT_USAGE;
  }
  g_auto(StationConfig) config = {0};
  if (!load_factory_config(config_path, &config))
    return EXIT_ERROR;
  g_autoptr(FirmwareTrustedKeys) trusted = load_trusted_keys();
  if (!trusted)
    return EXIT_ERROR;
  g_autoptr(Store) store = cli_open_store(db_path_option);
  if (!store)
    return EXIT_ERROR;
  g_autoptr(GError) error = NULL;
  g_autofree char *who = cli_user_name(store, actor_option);
  if (!store_user_authorize(store, who, USER_ROLE_FIRMWARE, "publishing firmware", &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  g_autoptr(FirmwareImageRecord) record = firmware_store_get_by_version(store, argv[1], &error);
  g_autoptr(FirmwareImage) image =
      record ? firmware_record_verify(record, trusted, NULL, &error) : NULL;
  if (!image) {
    cli_error("%s not published: %s", argv[1], error->message);
    return EXIT_ERROR;
  }
  g_auto(GStrv) model_list = models ? firmware_split_models(models)
                                    : g_strdupv(record->released_for);
  if (model_list[0] == NULL) {
    cli_error("%s is released for no model on this station: give the models with --models",
              argv[1]);
    return EXIT_USAGE;
  }
  g_autoptr(FactoryDb) factory = factory_open(&config.factory, &error);
  g_autoptr(GPtrArray) changes =
      factory ? factory_firmware_publish(factory, record, (const char *const *)model_list,
                                         who, &error)
              : NULL;
  if (!changes) {
    cli_error("%s not published: %s", argv[1], error->message);
    return EXIT_ERROR;
  }
  for (guint i = 0; i < changes->len; i++) {
    const FirmwareReleaseChange *change = g_ptr_array_index(changes, i);
    if (change->unchanged)
      printf("%s: %s was already the release in the factory database\n", change->model,
             argv[1]);
    else if (change->previous_version)
      printf("%s: %s published to the factory database %s, supersedes %s\n", change->model,
             argv[1], factory_description(factory), change->previous_version);
    else
      printf("%s: %s published to the factory database %s\n", change->model, argv[1],
             factory_description(factory));
  }
  return EXIT_PASS;
}

static int firmware_fetch_command(int argc, char **argv)
{
  g_autofree char *config_path = NULL, *station_id = NULL;
  GOptionEntry entries[] = {
    db_entry(), trusted_keys_entry(),
    config_entry(&config_path),
    {"station", 0, 0, G_OPTION_ARG_STRING, &station_id, "Station id (default: host name)",
     "ID"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = new_context(
      "", "Takes the firmware releases of the factory database this station has not taken: "
      "each image is checked against the trusted keys as an import is, stored and released "
      "for its model; one that fails a check is refused and nothing changes.\n"
      "Exit status: 0 every release taken or current, 1 some refused, 2 the factory database "
      "could not be reached or none is configured.", entries);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1) {
    cli_error("usage: station firmware fetch [--db FILE] [--config FILE] [--trusted-keys DIR] "
              "[--station ID]");
    return EXIT_USAGE;
  }
  g_auto(StationConfig) config = {0};
  if (!load_factory_config(config_path, &config))
    return EXIT_ERROR;
  g_autoptr(Store) store = cli_open_store(db_path_option);
  if (!store)
    return EXIT_ERROR;
  g_autoptr(GError) error = NULL;
  g_autoptr(FactoryDb) factory = factory_open(&config.factory, &error);
  if (!factory)
    return fail(error);
  int refused = cli_fetch_firmware(store, factory, trusted_keys_option, station_id, TRUE);
  return refused < 0 ? EXIT_ERROR : refused > 0 ? EXIT_FAIL : EXIT_PASS;
}

/* ---- build-test-image ---- */

static int firmware_build_test_image_command(int argc, char **argv)
{
  g_autofree char *version = NULL, *models = NULL, *output = NULL;
  int size = 16 * 1024;
  int build_date = 0;
  int seed = -1;
  GOptionEntry entries[] = {
    {"version", 0, 0, G_OPTION_ARG_STRING, &version, "Version in the header", "V"},
    {"models", 'm', 0, G_OPTION_ARG_STRING, &models, "Models in the header", "M1,M2"},
    {"size", 's', 0, G_OPTION_ARG_INT, &size, "Image size in bytes (default 16384)", "N"},
    {"build-date", 0, 0, G_OPTION_ARG_INT, &build_date, "Build date (default today, UTC)",
     "YYYYMMDD"},
    {"seed", 0, 0, G_OPTION_ARG_INT, &seed, "Filler seed (default: from the version)", "N"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Image file (.hex: Intel HEX, else "
     "raw binary)", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = new_context(
      "", "Writes a well-formed JK image (vector table, header, filler code bytes from a "
      "seeded generator) for tests and demos of the twin. Real release images come from the "
      "firmware team's build, not from this command.", entries);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  g_auto(GStrv) model_list = firmware_split_models(models);
  if (argc != 1 || !version || !output || model_list[0] == NULL || size <= 0) {
    cli_error("usage: station firmware build-test-image --version V --models M1,M2 "
              "--size N -o FILE");
    return EXIT_USAGE;
  }
  if (build_date == 0) {
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    build_date = g_date_time_get_year(now) * 10000 + g_date_time_get_month(now) * 100 +
                 g_date_time_get_day_of_month(now);
  }
  guint32 filler_seed = seed >= 0 ? (guint32)seed : g_str_hash(version);
  g_autoptr(GError) error = NULL;
  g_autoptr(FirmwareImage) image = firmware_build_test_image(
      version, (const char *const *)model_list, (gsize)size, (guint32)build_date, filler_seed,
      &error);
  if (!image)
    return fail(error);
  gboolean hex = firmware_image_guess_format(output, NULL, 0) == FIRMWARE_FILE_HEX;
  gboolean ok;
  if (hex) {
    g_autofree char *text = firmware_image_to_hex(image);
    ok = g_file_set_contents(output, text, -1, &error);
  } else {
    ok = g_file_set_contents(output, (const char *)image->bytes, (gssize)image->length, &error);
  }
  if (!ok)
    return fail(error);
  g_autofree char *sha256 = firmware_image_sha256(image);
  printf("test image %s (%zu bytes, %s): %s, sha256 %s\n", version, image->length,
         hex ? "Intel HEX" : "raw binary", output, sha256);
  return EXIT_PASS;
}

/* ---- flash ---- */

/* The run's printer, and the flash step's figures it keeps for the summary. */
typedef struct {
  CliPrinter printer;
  double bytes;                 /* B written and verified; NAN until measured */
  double read_back;             /* B of them read back; NAN until measured */
  double crc_checked;           /* B of them the board's boot code's CRC-32 covered */
  double clock_s;               /* s the flash took on the fixture clock; NAN until measured */
} FlashPrinter;

static void print_flash_event(const EngineEvent *e, gpointer data)
{
  FlashPrinter *flash = data;
  cli_print_event(e, &flash->printer);
  if (e->kind != EVENT_MEASUREMENT || e->measurement->outcome != OUTCOME_PASS)
    return;
  if (g_str_equal(e->measurement->name, "flash_verified"))
    flash->bytes = e->measurement->value;
  else if (g_str_equal(e->measurement->name, "flash_read_back"))
    flash->read_back = e->measurement->value;
  else if (g_str_equal(e->measurement->name, "flash_crc_checked"))
    flash->crc_checked = e->measurement->value;
  else if (g_str_equal(e->measurement->name, "flash_clock"))
    flash->clock_s = e->measurement->value;
}

/* The exit status of a flash run that could not start: 64 for what the command line got
 * wrong (no serial for an image of several models), 3 aborted, else 2. */
static int refused_status(const GError *error)
{
  if (g_error_matches(error, STATION_ERROR, STATION_ERROR_USAGE))
    return EXIT_USAGE;
  return g_error_matches(error, STATION_ERROR, STATION_ERROR_ABORTED) ? EXIT_ABORTED
                                                                      : EXIT_ERROR;
}

/* Flashes an image file into the board in a fixture (rework, bring-up, benchmarks) as a run of
 * the engine: the sequence sequences/flash_image.lua powers the board, flashes, verifies and
 * resets it; the run is stored (purpose 'flash', never a verdict on the board) and audited,
 * and the fixture ends in its safe state however it ends. */
static int firmware_flash_command(int argc, char **argv)
{
  g_autofree char *fixture_path = NULL, *serial = NULL, *operator_name = NULL;
  GOptionEntry entries[] = {
    {"fixture", 'f', 0, G_OPTION_ARG_FILENAME, &fixture_path,
     "Fixture description (default fixtures/sim.conf)", "FILE"},
    {"serial", 's', 0, G_OPTION_ARG_STRING, &serial,
     "The board's serial number (default: none; the model is the image's)", "SERIAL"},
    db_entry(),
    {"operator", 'o', 0, G_OPTION_ARG_STRING, &operator_name, "Who flashes: user name or "
     "badge (default: the login name)", "NAME"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &operator_name, "The same as --operator", "NAME"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = new_context(
      "IMAGE", "Writes an image (.bin or .hex) into the board in the fixture through its ROM\n"
      "bootloader, verifies it (the header read back, the rest by the CRC-32 the board's\n"
      "boot code checks after the reset into it), as a stored run\n"
      "(station runs / station show) written to the audit log. For rework and bring-up:\n"
      "production runs flash the released image in their flash step.\n"
      "Exit status: 0 PASS, 1 FAIL, 2 ERROR, 3 ABORTED, 64 usage.", entries);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2) {
    cli_error("usage: station firmware flash [--fixture FILE] [--serial SERIAL] [--db FILE] "
              "[--operator NAME] IMAGE");
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  if (!catalog)
    return fail(error);
  g_autofree char *db_path = db_path_option ? g_strdup(db_path_option) : store_default_path();
  g_autoptr(Store) store = cli_open_store(db_path);
  if (!store)
    return EXIT_ERROR;
  g_autofree char *user = cli_user_name(store, operator_name);
  if (!store_user_authorize(store, user, USER_ROLE_OPERATOR, "flashing a board", &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  if (!fixture_path)
    fixture_path = default_fixture_path();

  FlashPrinter flash = {.printer.last_percent = -10, .bytes = NAN, .read_back = NAN,
                       .crc_checked = NAN, .clock_s = NAN};
  g_autoptr(Engine) engine = engine_new(catalog, store);
  engine_set_event_handler(engine, print_flash_event, &flash);
  RunRequest request = {
    .purpose = RUN_PURPOSE_FLASH, .fixture_path = fixture_path, .serial = serial,
    .image_path = argv[1], .operator_name = user,
  };
  RunResult result;
  if (!cli_engine_run(engine, &request, &result, &error)) {
    cli_error("%s", error->message);
    return refused_status(error);
  }
  cli_print_verdict(&result, serial, db_path);
  if (result.outcome == OUTCOME_PASS && !isnan(flash.bytes) && !isnan(flash.clock_s)) {
    if (flash.crc_checked > 0)
      printf("flashed %.0f bytes, every byte verified: %.0f read back, %.0f by the board's "
             "boot code (CRC-32)\n", flash.bytes, flash.read_back, flash.crc_checked);
    else
      printf("flashed %.0f bytes, every byte verified (read back)\n", flash.bytes);
    printf("fixture clock: %.3f s for the flash\n", flash.clock_s);
  }
  int code = cli_exit_code(result.outcome);
  run_result_clear(&result);
  return code;
}

/* ---- dispatch ---- */

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
} subcommands[] = {
  {"keygen", firmware_keygen_command, "make a signing key pair: keygen --out BASE"},
  {"sign", firmware_sign_command, "sign a release: sign --key K --image IMG --version V "
   "--models A,B -o MANIFEST"},
  {"import", firmware_import_command, "check and store a signed release: import MANIFEST"},
  {"release", firmware_release_command, "release an image for models: release VERSION "
   "--models A,B"},
  {"publish", firmware_publish_command, "publish an imported release to the factory "
   "database: publish VERSION [--models A,B]"},
  {"fetch", firmware_fetch_command, "take the factory database's releases: fetch"},
  {"list", firmware_list_command, "list imported images"},
  {"show", firmware_show_command, "print one image and check it: show VERSION"},
  {"flash", firmware_flash_command, "write an image into the board in a fixture, as a "
   "stored run: flash [--fixture F] [--serial S] IMAGE"},
  {"build-test-image", firmware_build_test_image_command, "write an image for tests and the "
   "twin (not a release build)"},
};

static void usage(FILE *out)
{
  fprintf(out, "Usage: station firmware SUBCOMMAND [OPTIONS]\n\nFirmware release images: "
               "signing, import, release per model.\n\nSubcommands:\n");
  for (guint i = 0; i < G_N_ELEMENTS(subcommands); i++)
    fprintf(out, "  %-17s %s\n", subcommands[i].name, subcommands[i].summary);
  fprintf(out, "\n'station firmware SUBCOMMAND --help' describes its options.\n");
}

int cli_firmware(int argc, char **argv)
{
  if (argc < 2) {
    usage(stderr);
    return EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return EXIT_PASS;
  }
  for (guint i = 0; i < G_N_ELEMENTS(subcommands); i++) {
    if (strcmp(argv[1], subcommands[i].name) != 0)
      continue;
    int status = subcommands[i].run(argc - 1, argv + 1);
    g_clear_pointer(&db_path_option, g_free);
    g_clear_pointer(&trusted_keys_option, g_free);
    g_clear_pointer(&actor_option, g_free);
    return status;
  }
  cli_error("unknown firmware subcommand '%s'", argv[1]);
  usage(stderr);
  return EXIT_USAGE;
}
