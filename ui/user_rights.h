/* What a user may do in the app: the role a task needs, or admin, since the station's admins
 * may do everything in the app. Built on store_user_authorize (db/users.h), so a station
 * without an admin checks no roles, as the command line does not. */
#pragma once
#include <glib.h>
#include "db/users.h"

/* TRUE when user (a name or badge) may do what (e.g. "releasing firmware"), which needs the
 * role needed; else USER_ERROR_DENIED in one sentence naming the role needed. */
gboolean user_rights_check(Store *store, const char *user, UserRole needed, const char *what,
                           GError **error);
