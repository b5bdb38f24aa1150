/* Users, roles and their audit trail in the result store (see users.h). */
#include "db/users.h"
#include "db/store_sql.h"
#include <string.h>

G_DEFINE_QUARK(user-error-quark, user_error)

static const char *const ROLE_NAMES[] = {"operator", "engineer", "admin", "firmware"};

const char *user_role_name(UserRole role)
{
  return ROLE_NAMES[role];
}

gboolean user_role_from_string(const char *text, UserRole *role, GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS(ROLE_NAMES); i++)
    if (g_strcmp0(text, ROLE_NAMES[i]) == 0) {
      *role = (UserRole)i;
      return TRUE;
    }
  g_set_error(error, USER_ERROR, USER_ERROR_ROLE,
              "'%s' is not a role: use operator, engineer, admin or firmware",
              text ? text : "");
  return FALSE;
}

void user_row_free(UserRow *row)
{
  if (row == NULL)
    return;
  g_free(row->name);
  g_free(row->badge);
  g_free(row->created_at);
  g_free(row->created_by);
  g_free(row);
}

#define USER_COLUMNS "name, role, badge, created_at, created_by"

static UserRow *read_user(sqlite3_stmt *statement)
{
  UserRow *row = g_new0(UserRow, 1);
  row->name = sql_column_text(statement, 0);
  g_autofree char *role = sql_column_text(statement, 1);
  user_role_from_string(role, &row->role, NULL);
  row->badge = sql_column_text(statement, 2);
  row->created_at = sql_column_text(statement, 3);
  row->created_by = sql_column_text(statement, 4);
  return row;
}

/* The user row with this name (removed or not) or active badge; NULL when none. Locked. */
static UserRow *find_locked(Store *store, const char *key, gboolean active_only,
                            gboolean *removed, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT " USER_COLUMNS ", removed_at IS NOT NULL FROM users "
                   "WHERE (name = ?1 OR (badge = ?1 AND removed_at IS NULL)) "
                   "AND (?2 = 0 OR removed_at IS NULL) ORDER BY name = ?1 DESC LIMIT 1",
                   &statement, "looking up a user", error))
    return NULL;
  sql_bind_text(statement, 1, key);
  sqlite3_bind_int(statement, 2, active_only);
  int rc = sqlite3_step(statement);
  UserRow *row = NULL;
  if (rc == SQLITE_ROW) {
    row = read_user(statement);
    if (removed)
      *removed = sqlite3_column_int(statement, 5);
  } else if (rc == SQLITE_DONE) {
    g_set_error(error, USER_ERROR, USER_ERROR_UNKNOWN,
                "'%s' is not a user of this station (station user list shows them; an admin "
                "adds one with station user add)", key);
  } else {
    store_set_sql_error(store, error, rc, "looking up a user");
  }
  sqlite3_finalize(statement);
  return row;
}

/* The change as the audit log keeps it: "role=engineer badge=1234". */
static char *describe(UserRole role, const char *badge)
{
  return g_strdup_printf("role=%s badge=%s", user_role_name(role), badge ? badge : "-");
}

/* Inserts or revives the user and audits it; in the caller's transaction. */
static gboolean add_locked(Store *store, const char *actor, const char *name, UserRole role,
                           const char *badge, GError **error)
{
  gboolean removed = FALSE;
  g_autoptr(UserRow) old = find_locked(store, name, FALSE, &removed, NULL);
  if (old && !removed) {
    g_set_error(error, USER_ERROR, USER_ERROR_EXISTS,
                "user '%s' already exists as %s (station user remove %s first to change it)",
                name, user_role_name(old->role), name);
    return FALSE;
  }
  g_autofree char *now = sql_timestamp_now();
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "INSERT INTO users (name, role, badge, created_at, created_by) "
                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET "
                   "role = excluded.role, badge = excluded.badge, created_at = "
                   "excluded.created_at, created_by = excluded.created_by, removed_at = NULL, "
                   "removed_by = NULL", &statement, "adding a user", error))
    return FALSE;
  sql_bind_text(statement, 1, name);
  sql_bind_text(statement, 2, user_role_name(role));
  sql_bind_text(statement, 3, badge);
  sql_bind_text(statement, 4, now);
  sql_bind_text(statement, 5, actor);
  int rc = sqlite3_step(statement);
  sqlite3_finalize(statement);
  if (rc == SQLITE_CONSTRAINT_UNIQUE) {
    g_set_error(error, USER_ERROR, USER_ERROR_EXISTS,
                "badge '%s' already belongs to another user; give each user their own badge",
                badge);
    return FALSE;
  }
  if (rc != SQLITE_DONE) {
    store_set_sql_error(store, error, rc, "adding a user");
    return FALSE;
  }
  g_autofree char *before = old ? g_strdup_printf("removed, was %s", user_role_name(old->role))
                                : NULL;
  g_autofree char *after = describe(role, badge);
  return sql_audit_change(store, now, actor, "user.add", name, before, after, error);
}

/* Runs one change in an IMMEDIATE transaction under the lock. */
static gboolean in_transaction(Store *store, gboolean ok_to_start,
                               gboolean (*change)(Store *, gpointer, GError **),
                               gpointer data, GError **error)
{
  g_mutex_lock(&store->lock);
  gboolean ok = ok_to_start && sql_exec(store, "BEGIN IMMEDIATE", "changing users", error) &&
                change(store, data, error) && sql_exec(store, "COMMIT", "changing users", error);
  if (!ok)
    sql_rollback(store);
  g_mutex_unlock(&store->lock);
  return ok;
}

typedef struct {
  const char *actor, *name, *badge;
  UserRole role;
} UserChange;

static gboolean add_change(Store *store, gpointer data, GError **error)
{
  UserChange *c = data;
  return add_locked(store, c->actor, c->name, c->role, c->badge, error);
}

static gboolean remove_change(Store *store, gpointer data, GError **error)
{
  UserChange *c = data;
  g_autoptr(UserRow) old = find_locked(store, c->name, TRUE, NULL, error);
  if (!old)
    return FALSE;
  g_autofree char *now = sql_timestamp_now();
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "UPDATE users SET removed_at = ?2, removed_by = ?3 WHERE name = ?1",
                   &statement, "removing a user", error))
    return FALSE;
  sql_bind_text(statement, 1, old->name);
  sql_bind_text(statement, 2, now);
  sql_bind_text(statement, 3, c->actor);
  g_autofree char *before = describe(old->role, old->badge);
  return sql_step_done(store, statement, "removing a user", error) &&
         sql_audit_change(store, now, c->actor, "user.remove", old->name, before, NULL, error);
}

gboolean store_user_add(Store *store, const char *actor, const char *name, UserRole role,
                        const char *badge, GError **error)
{
  g_return_val_if_fail(store != NULL && name != NULL, FALSE);
  UserChange change = {.actor = actor, .name = name, .badge = badge, .role = role};
  return in_transaction(store, TRUE, add_change, &change, error);
}

gboolean store_user_remove(Store *store, const char *actor, const char *name, GError **error)
{
  g_return_val_if_fail(store != NULL && name != NULL, FALSE);
  UserChange change = {.actor = actor, .name = name};
  return in_transaction(store, TRUE, remove_change, &change, error);
}

GPtrArray *store_user_list(Store *store, GError **error)
{
  g_return_val_if_fail(store != NULL, NULL);
  g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func((GDestroyNotify)user_row_free);
  gboolean ok = FALSE;
  g_mutex_lock(&store->lock);
  sqlite3_stmt *statement = NULL;
  if (sql_prepare(store, "SELECT " USER_COLUMNS " FROM users WHERE removed_at IS NULL "
                  "ORDER BY name", &statement, "listing users", error)) {
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW)
      g_ptr_array_add(users, read_user(statement));
    ok = rc == SQLITE_DONE;
    if (!ok)
      store_set_sql_error(store, error, rc, "listing users");
  }
  sqlite3_finalize(statement);
  g_mutex_unlock(&store->lock);
  return ok ? g_steal_pointer(&users) : NULL;
}

UserRow *store_user_find(Store *store, const char *name_or_badge, GError **error)
{
  g_return_val_if_fail(store != NULL && name_or_badge != NULL, NULL);
  g_mutex_lock(&store->lock);
  UserRow *row = find_locked(store, name_or_badge, TRUE, NULL, error);
  g_mutex_unlock(&store->lock);
  return row;
}

/* TRUE when an active admin exists (roles are checked); -1 on error. */
static int has_admin(Store *store, GError **error)
{
  sqlite3_stmt *statement = NULL;
  if (!sql_prepare(store, "SELECT EXISTS (SELECT 1 FROM users WHERE role = 'admin' AND "
                   "removed_at IS NULL)", &statement, "checking roles", error))
    return -1;
  int rc = sqlite3_step(statement);
  int admin = rc == SQLITE_ROW ? sqlite3_column_int(statement, 0) : -1;
  if (rc != SQLITE_ROW)
    store_set_sql_error(store, error, rc, "checking roles");
  sqlite3_finalize(statement);
  return admin;
}

gboolean store_user_authorize(Store *store, const char *name_or_badge, UserRole needed,
                              const char *what, GError **error)
{
  g_return_val_if_fail(store != NULL && name_or_badge != NULL && what != NULL, FALSE);
  g_mutex_lock(&store->lock);
  int admin = has_admin(store, error);
  g_autoptr(UserRow) user = admin == 1 ? find_locked(store, name_or_badge, TRUE, NULL, NULL)
                                       : NULL;
  g_mutex_unlock(&store->lock);
  if (admin <= 0)
    return admin == 0;
  if (user && (user->role == needed || needed == USER_ROLE_OPERATOR))
    return TRUE;       /* every user may do what an operator does */
  if (user)
    g_set_error(error, USER_ERROR, USER_ERROR_DENIED,
                "%s needs the %s role and %s is %s (an admin gives roles with station user add)",
                what, user_role_name(needed), user->name, user_role_name(user->role));
  else
    g_set_error(error, USER_ERROR, USER_ERROR_DENIED,
                "%s needs the %s role and '%s' is not a user of this station (an admin adds "
                "users with station user add)", what, user_role_name(needed), name_or_badge);
  return FALSE;
}
