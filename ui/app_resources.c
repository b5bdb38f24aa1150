/* Registers the app's GResource once and loads its styles (see app_resources.h). */
#include "ui/app_resources.h"
#include "ui/ui-resources.h"
#include <gtk/gtk.h>

void app_resources_ensure(void)
{
  static gsize registered;
  if (g_once_init_enter(&registered))
    g_once_init_leave(&registered, (g_resources_register(station_gui_get_resource()), 1));
}

void app_resources_load_styles(void)
{
  app_resources_ensure();
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new();
  gtk_css_provider_load_from_resource(css, "/com/jkbms/EolStation/style.css");
  gtk_style_context_add_provider_for_display(gdk_display_get_default(), GTK_STYLE_PROVIDER(css),
                                             GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}
