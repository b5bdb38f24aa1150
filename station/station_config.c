/* The station's configuration file (station_config.h). */
#include "station/station_config.h"
#include "station/station_error.h"

char *station_config_default_path(void)
{
  return g_build_filename(g_get_user_config_dir(), "jk-eol-station", "station.conf", NULL);
}

void station_config_clear(StationConfig *config)
{
  g_clear_pointer(&config->path, g_free);
  factory_config_clear(&config->factory);
  config->has_factory = FALSE;
}

/* The groups and keys the station knows. */
static const struct {
  const char *group;
  const char *keys[4];          /* NULL-terminated */
  const char *known;            /* for the message */
} KNOWN_KEYS[] = {
  {"factory", {"database", "passfile", "ship_wait_s", NULL}, "database, passfile, ship_wait_s"},
  {"shift_start", {"golden_check", NULL}, "golden_check"},
};

/* Refuses groups and keys the station does not know (a typing error would else be a
 * factory database silently not used, or a check silently not required). */
static gboolean check_known_keys(GKeyFile *file, const char *path, GError **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups(file, NULL);
  for (guint i = 0; groups[i]; i++) {
    guint g = 0;
    while (g < G_N_ELEMENTS(KNOWN_KEYS) && !g_str_equal(groups[i], KNOWN_KEYS[g].group))
      g++;
    if (g == G_N_ELEMENTS(KNOWN_KEYS)) {
      g_set_error(error, STATION_ERROR, STATION_ERROR_CONFIG,
                  "%s: unknown group [%s]; the station's configuration has [factory] and "
                  "[shift_start]", path, groups[i]);
      return FALSE;
    }
    g_auto(GStrv) keys = g_key_file_get_keys(file, groups[i], NULL, NULL);
    for (guint k = 0; keys && keys[k]; k++) {
      gboolean known = FALSE;
      for (guint j = 0; KNOWN_KEYS[g].keys[j]; j++)
        known |= g_str_equal(keys[k], KNOWN_KEYS[g].keys[j]);
      if (!known) {
        g_set_error(error, STATION_ERROR, STATION_ERROR_CONFIG,
                    "%s: unknown key '%s' in [%s]; known: %s", path, keys[k], groups[i],
                    KNOWN_KEYS[g].known);
        return FALSE;
      }
    }
  }
  return TRUE;
}

/* Reads [shift_start] from the loaded file. */
static gboolean read_shift_start(GKeyFile *file, const char *path, StationConfig *config,
                                 GError **error)
{
  g_autofree char *policy = g_key_file_get_string(file, "shift_start", "golden_check", NULL);
  if (!policy || golden_policy_from_string(g_strstrip(policy), &config->golden_policy))
    return TRUE;
  g_set_error(error, STATION_ERROR, STATION_ERROR_CONFIG,
              "%s: [shift_start] golden_check = '%s' is not registered, required or off", path,
              policy);
  return FALSE;
}

/* Reads [factory] from the loaded file. */
static gboolean read_factory(GKeyFile *file, const char *path, StationConfig *config,
                             GError **error)
{
  if (!g_key_file_has_key(file, "factory", "database", NULL))
    return TRUE;
  g_autofree char *database = g_key_file_get_string(file, "factory", "database", NULL);
  if (database == NULL || *g_strstrip(database) == '\0') {
    g_set_error(error, STATION_ERROR, STATION_ERROR_CONFIG,
                "%s: [factory] database is empty; give a libpq connection string such as "
                "\"host=db.plant dbname=eol user=station\"", path);
    return FALSE;
  }
  config->factory.conninfo = g_steal_pointer(&database);
  config->factory.origin = g_strdup(path);
  g_autofree char *passfile = g_key_file_get_string(file, "factory", "passfile", NULL);
  if (passfile && *g_strstrip(passfile)) {
    if (g_path_is_absolute(passfile)) {
      config->factory.passfile = g_steal_pointer(&passfile);
    } else {
      g_autofree char *folder = g_path_get_dirname(path);
      config->factory.passfile = g_build_filename(folder, passfile, NULL);
    }
    g_autoptr(GError) local = NULL;
    if (!factory_passfile_check(&config->factory, &local)) {
      g_set_error_literal(error, STATION_ERROR, STATION_ERROR_CONFIG, local->message);
      return FALSE;
    }
  }
  if (g_key_file_has_key(file, "factory", "ship_wait_s", NULL)) {
    g_autoptr(GError) local = NULL;
    double wait = g_key_file_get_double(file, "factory", "ship_wait_s", &local);
    if (local || wait < 0 || wait > 60) {
      g_set_error(error, STATION_ERROR, STATION_ERROR_CONFIG,
                  "%s: [factory] ship_wait_s must be a number of seconds from 0 to 60", path);
      return FALSE;
    }
    config->ship_wait_s = wait;
  }
  config->has_factory = TRUE;
  return TRUE;
}

gboolean station_config_load(const char *path, StationConfig *config, GError **error)
{
  *config = (StationConfig){.ship_wait_s = STATION_CONFIG_SHIP_WAIT_S};
  g_autofree char *file_path = path ? g_strdup(path) : station_config_default_path();
  if (path == NULL && !g_file_test(file_path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_autoptr(GKeyFile) file = g_key_file_new();
  g_autoptr(GError) local = NULL;
  if (!g_key_file_load_from_file(file, file_path, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_CONFIG,
                "cannot read the station's configuration %s: %s", file_path, local->message);
    return FALSE;
  }
  config->path = g_strdup(file_path);
  if (!check_known_keys(file, file_path, error) ||
      !read_factory(file, file_path, config, error) ||
      !read_shift_start(file, file_path, config, error)) {
    station_config_clear(config);
    return FALSE;
  }
  return TRUE;
}
