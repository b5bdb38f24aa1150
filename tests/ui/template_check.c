/* The template checks (see template_check.h). */
#include "tests/ui/template_check.h"

guint template_check_all_bound(GtkWidget *widget, GType type, const char *resource_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_resources_lookup_data(resource_path, 0, &error);
  g_assert_no_error(error);
  g_autoptr(GRegex) ids = g_regex_new("\\bid=\"([^\"]+)\"", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  gsize length;
  const char *text = g_bytes_get_data(bytes, &length);
  g_autofree char *xml = g_strndup(text, length);
  guint count = 0;
  for (g_regex_match(ids, xml, 0, &match); g_match_info_matches(match);
       g_match_info_next(match, NULL), count++) {
    g_autofree char *id = g_match_info_fetch(match, 1);
    GObject *child = gtk_widget_get_template_child(widget, type, id);
    if (!child)
      g_error("the template's '%s' is not bound to %s", id, g_type_name(type));
  }
  g_assert_cmpuint(count, >, 0);
  return count;
}
