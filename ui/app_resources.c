/* Registers the app's GResource once (see app_resources.h). */
#include "ui/app_resources.h"
#include "ui/ui-resources.h"

void app_resources_ensure(void)
{
  static gsize registered;
  if (g_once_init_enter(&registered))
    g_once_init_leave(&registered, (g_resources_register(station_gui_get_resource()), 1));
}
