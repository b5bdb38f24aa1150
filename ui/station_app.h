/* station-gui: the GtkApplication. It takes the CLI's options (--fixture, --db, --operator,
 * --station, --chemistry, --trusted-keys, --sequence, --limits), opens the model catalog and
 * shows a window of views (station_window.h): the operator panel and the others, by name.
 * For documentation, tests and unattended demos it can also scan a serial itself (--scan),
 * abort after a number of steps (--abort-after), show a view (--view NAME), save it as PNG
 * (--screenshot FILE) and quit after the run; its exit status is then the run's, as for
 * `station run`. */
#pragma once
#include <gtk/gtk.h>

#define STATION_TYPE_APP (station_app_get_type())
G_DECLARE_FINAL_TYPE(StationApp, station_app, STATION, APP, GtkApplication)

StationApp *station_app_new(void);
/* The status to exit with: the unattended run's, as `station run` (0 PASS, 1 FAIL, 2 ERROR,
 * 3 ABORTED), 0 otherwise. */
int station_app_exit_status(StationApp *app);
