/* The views' checks (see view_checks.h). */
#include "tests/ui/view_checks.h"

guint view_checks_all_bound(GtkWidget *widget, GType type, const char *resource_path)
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

GtkWidget *view_checks_find_named(GtkWidget *root, const char *name)
{
  if (g_strcmp0(gtk_widget_get_name(root), name) == 0)
    return root;
  for (GtkWidget *c = gtk_widget_get_first_child(root); c; c = gtk_widget_get_next_sibling(c)) {
    GtkWidget *found = view_checks_find_named(c, name);
    if (found)
      return found;
  }
  return NULL;
}
