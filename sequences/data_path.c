/* Where the station finds its data files (Lua sequences, the model catalog, limit tables).
 * An explicit $STATION_DATA_DIR wins; otherwise an installed station uses its installed data
 * directory, and a station run from its build tree uses the source tree it was built from.
 * SEQUENCES_INSTALL_DIR and SEQUENCES_SOURCE_DIR are set by sequences/meson.build. */
#include "sequences/data_path.h"

#ifndef SEQUENCES_INSTALL_DIR
#error "SEQUENCES_INSTALL_DIR must be defined by the build"
#endif
#ifndef SEQUENCES_SOURCE_DIR
#error "SEQUENCES_SOURCE_DIR must be defined by the build"
#endif

/* Returns the sequences directory; not cached, so a changed $STATION_DATA_DIR is seen. */
const char *sequences_dir(void)
{
  const char *from_environment = g_getenv("STATION_DATA_DIR");
  if (from_environment != NULL && from_environment[0] != '\0')
    return from_environment;

  g_autofree char *installed_catalog =
      g_build_filename(SEQUENCES_INSTALL_DIR, "models.tsv", NULL);
  if (g_file_test(installed_catalog, G_FILE_TEST_IS_REGULAR))
    return SEQUENCES_INSTALL_DIR;
  return SEQUENCES_SOURCE_DIR;
}

/* Returns sequences_dir()/name, newly allocated. */
char *sequences_path(const char *name)
{
  g_return_val_if_fail(name != NULL, NULL);
  return g_build_filename(sequences_dir(), name, NULL);
}

char *default_fixture_path(void)
{
  const char *from_environment = g_getenv("STATION_FIXTURE");
  if (from_environment != NULL && from_environment[0] != '\0')
    return g_strdup(from_environment);
  g_autofree char *parent = g_path_get_dirname(sequences_dir());
  return g_build_filename(parent, "fixtures", "sim.conf", NULL);
}
