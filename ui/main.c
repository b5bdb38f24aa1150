/* station-gui: the station's GTK app (see ui/station_app.h). */
#include "ui/station_app.h"

int main(int argc, char **argv)
{
  g_log_writer_default_set_use_stderr(TRUE); /* stdout carries the --scan result line */
  g_autoptr(StationApp) app = station_app_new();
  int status = g_application_run(G_APPLICATION(app), argc, argv);
  return status ? status : station_app_exit_status(app);
}
