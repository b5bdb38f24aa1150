/* The app's window: a header bar with a switcher over the views (operator, and the others
 * the app adds by name), one view shown at a time. Views are plain widgets; the window knows
 * none of them. A view can be hidden from the switcher (a role that may not use it). */
#pragma once
#include <gtk/gtk.h>

#define STATION_TYPE_WINDOW (station_window_get_type())
G_DECLARE_FINAL_TYPE(StationWindow, station_window, STATION, WINDOW, GtkApplicationWindow)

StationWindow *station_window_new(GtkApplication *app);
/* Adds a view under a name (for --view and tests) and a title (for the switcher). */
void station_window_add_view(StationWindow *window, const char *name, const char *title,
                             GtkWidget *view);
/* Shows the named view; FALSE when there is no such view or it is hidden. */
gboolean station_window_show_view(StationWindow *window, const char *name);
/* Offers the named view in the switcher or hides it (the shown view moves to the first one
 * still offered). */
void station_window_set_view_offered(StationWindow *window, const char *name, gboolean offered);
/* The names of the views offered, in order, separated by ", " (for messages). */
char *station_window_view_names(StationWindow *window);
/* The view shown now, or NULL. */
const char *station_window_shown_view(StationWindow *window);
