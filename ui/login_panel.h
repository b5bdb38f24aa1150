/* The log-in, made for a badge scanner: one entry with the focus (the scanner types the badge
 * code and presses Enter; a person may type a name), the user found by name or badge, or one
 * sentence saying why not. Once the station has an admin (roles are checked, db/users.h),
 * someone logs in before working; a station without one (runs record their operators as
 * users, so "without users" means without an admin) has the default name (the login name)
 * logged in from the start, as before. The logged-in user is the operator of runs and what their role allows decides
 * which views and actions the app enables (login_panel_allows). */
#pragma once
#include <gtk/gtk.h>
#include "db/users.h"

#define LOGIN_TYPE_PANEL (login_panel_get_type())
G_DECLARE_FINAL_TYPE(LoginPanel, login_panel, LOGIN, PANEL, GtkWidget)

/* A log-in to the database at db_path; default_name (NULL: the login name) is who works on a
 * station without an admin. Strings are copied. */
LoginPanel *login_panel_new(const char *db_path, const char *default_name);
/* What a badge scanner does: types text into the entry and presses Enter. On success
 * "logged-in" is emitted. */
void login_panel_scan(LoginPanel *panel, const char *text);
/* Ends the session ("logged-out" is emitted): the next person logs in. A station without
 * an admin keeps its default name logged in. */
void login_panel_log_out(LoginPanel *panel);
/* The logged-in user's name, or NULL when nobody is. */
const char *login_panel_user(LoginPanel *panel);
/* TRUE when the station has an admin, so roles are checked and people log in and out. */
gboolean login_panel_checks_roles(LoginPanel *panel);
/* The logged-in user may use what needs the role needed (ui/user_rights.h: the role, or
 * admin; anything while the station has no admin); FALSE when nobody is logged in. */
gboolean login_panel_allows(LoginPanel *panel, UserRole needed);
/* The one-sentence status line, for tests and logs. */
const char *login_panel_status_text(LoginPanel *panel);
