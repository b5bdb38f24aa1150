/* Temporary folders of the tests (see scratch_folder.h). */
#include "tests/scratch_folder.h"
#include <glib/gstdio.h>

char *scratch_folder_new(const char *prefix)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pattern = g_strdup_printf("%s-XXXXXX", prefix);
  char *folder = g_dir_make_tmp(pattern, &error);
  g_assert_no_error(error);
  return folder;
}

void scratch_folder_remove(const char *path)
{
  if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name(dir)) != NULL) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      scratch_folder_remove(child);
    }
  }
  g_remove(path);
}
