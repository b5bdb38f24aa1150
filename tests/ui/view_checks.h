/* Checks shared by the views' tests: that a widget built from a .ui template has every
 * object the template names (id="...") bound to its instance, so no child the code uses is
 * missing and no named child is left unused by the code; and finding a control by the name
 * the template gives it, as a test that acts like a person looks for it. */
#pragma once
#include <gtk/gtk.h>

/* Asserts that every id in the template at resource_path is bound in widget (of type) and
 * built; returns how many ids there are. */
guint view_checks_all_bound(GtkWidget *widget, GType type, const char *resource_path);
/* The widget below root (or root) with this name, NULL when none. */
GtkWidget *view_checks_find_named(GtkWidget *root, const char *name);
