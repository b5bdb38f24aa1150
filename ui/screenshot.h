/* Renders a widget as it is drawn now into a PNG file, for documentation and tests. */
#pragma once
#include <gtk/gtk.h>

gboolean screenshot_save(GtkWidget *widget, const char *path, GError **error);
