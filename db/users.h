/* The station's users and their roles (table users, schema version 3): operators test
 * boards, engineers change limits and orders, admins manage users, the firmware team imports
 * and releases firmware. A user has a name (the login name, or as given with --user) and a
 * badge code the scanner reads. Adding and removing users is written to the audit log with
 * who did it and the value before and after. Roles are checked once the station has an
 * admin: a new station has none, and adding the first admin turns the checks on. */
#pragma once
#include <glib.h>
#include "db/store.h"

typedef enum {
  USER_ROLE_OPERATOR,
  USER_ROLE_ENGINEER,
  USER_ROLE_ADMIN,
  USER_ROLE_FIRMWARE,
} UserRole;

#define USER_ERROR (user_error_quark())
GQuark user_error_quark(void);
typedef enum {
  USER_ERROR_ROLE,               /* not a role */
  USER_ERROR_UNKNOWN,            /* no such user */
  USER_ERROR_EXISTS,             /* name or badge already taken */
  USER_ERROR_DENIED,             /* the user's role does not allow it */
} UserErrorCode;

const char *user_role_name(UserRole role);            /* "operator", ... */
/* Parses a role name; USER_ERROR_ROLE naming the valid ones. */
gboolean user_role_from_string(const char *text, UserRole *role, GError **error);

typedef struct {
  char *name, *badge, *created_at, *created_by;
  UserRole role;
} UserRow;
void user_row_free(UserRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(UserRow, user_row_free)

/* Adds a user (or gives a removed one back a role), audited as done by actor. */
gboolean store_user_add(Store *store, const char *actor, const char *name, UserRole role,
                        const char *badge, GError **error);
/* Removes a user (kept as history), audited; USER_ERROR_UNKNOWN when there is none. */
gboolean store_user_remove(Store *store, const char *actor, const char *name, GError **error);
/* The users who may work, by name (UserRow*). */
GPtrArray *store_user_list(Store *store, GError **error);
/* The user with this name or badge code, or NULL (USER_ERROR_UNKNOWN). */
UserRow *store_user_find(Store *store, const char *name_or_badge, GError **error);
/* Checks that the user may do what needs `needed`: TRUE when the station has no admin yet or
 * the user has that role (any user for USER_ROLE_OPERATOR); else USER_ERROR_DENIED (or UNKNOWN) in one sentence naming the
 * role needed for `what`. */
gboolean store_user_authorize(Store *store, const char *name_or_badge, UserRole needed,
                              const char *what, GError **error);
