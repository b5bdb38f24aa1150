/* Checks shared by the views' tests: that a widget built from a .ui template has every
 * object the template names (id="...") bound to its instance, so no child the code uses is
 * missing and no named child is left unused by the code. */
#pragma once
#include <gtk/gtk.h>

/* Asserts that every id in the template at resource_path is bound in widget (of type) and
 * built; returns how many ids there are. */
guint template_check_all_bound(GtkWidget *widget, GType type, const char *resource_path);
