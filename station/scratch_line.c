/* The scratch line of the station's self-tests. */
#include "station/scratch_line.h"
#include "firmware/line_test_release.h"
#include <glib/gstdio.h>
#include <string.h>

static void remove_tree(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name(dir))) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      remove_tree(child);
    }
    g_rmdir(path);
  } else {
    g_remove(path);
  }
}

gboolean scratch_line_open(ScratchLine *line, const Catalog *catalog, const char *db_path,
                           GError **error)
{
  memset(line, 0, sizeof *line);
  line->folder = g_dir_make_tmp("station-line-XXXXXX", error);
  if (!line->folder)
    return FALSE;
  g_autofree char *path = db_path ? g_strdup(db_path)
                                  : g_build_filename(line->folder, "runs.db", NULL);
  g_autofree char *firmware = g_build_filename(line->folder, "firmware", NULL);
  line->store = store_open(path, error);
  if (line->store)
    line->trusted_keys_dir = firmware_release_test_line(line->store, catalog, firmware, error);
  if (!line->trusted_keys_dir) {
    g_prefix_error(error, "cannot prepare the test line's firmware: ");
    scratch_line_close(line);
    return FALSE;
  }
  return TRUE;
}

void scratch_line_close(ScratchLine *line)
{
  g_clear_pointer(&line->store, store_close);
  if (line->folder)
    remove_tree(line->folder);
  g_clear_pointer(&line->folder, g_free);
  g_clear_pointer(&line->trusted_keys_dir, g_free);
}
