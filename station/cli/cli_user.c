/* station user add|list|remove: the station's users and their roles (db/users.h). Adding and
 * removing needs the admin role once the station has an admin; the first admin can be added
 * by anyone, which turns the role checks on. Who does it comes from --user (a name or badge)
 * or the login name, and is written to the audit log with the value before and after. */
#include "station/cli/cli.h"
#include "db/users.h"
#include <stdio.h>
#include <string.h>

static int user_list(Store *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = store_user_list(store, &error);
  if (!users) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  printf("%-20s %-9s %-14s %-25s %s\n", "name", "role", "badge", "since", "added by");
  for (guint i = 0; i < users->len; i++) {
    const UserRow *u = g_ptr_array_index(users, i);
    printf("%-20s %-9s %-14s %-25s %s\n", u->name, user_role_name(u->role),
           u->badge ? u->badge : "-", u->created_at, u->created_by ? u->created_by : "-");
  }
  return EXIT_PASS;
}

/* Adds or removes argv[1] as `actor`, after checking that actor is an admin. */
static int user_change(Store *store, const char *what, const char *name, const char *actor,
                       const char *role_text, const char *badge)
{
  g_autoptr(GError) error = NULL;
  gboolean adding = strcmp(what, "add") == 0;
  UserRole role = USER_ROLE_OPERATOR;
  if (adding && !user_role_from_string(role_text ? role_text : "operator", &role, &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  g_autofree char *doing = g_strdup_printf("%s user %s", adding ? "adding" : "removing", name);
  if (!store_user_authorize(store, actor, USER_ROLE_ADMIN, doing, &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  gboolean ok = adding ? store_user_add(store, actor, name, role, badge, &error)
                       : store_user_remove(store, actor, name, &error);
  if (!ok) {
    cli_error("%s", error->message);
    return error->domain == USER_ERROR ? EXIT_USAGE : EXIT_ERROR;
  }
  if (adding)
    printf("added %s as %s%s%s\n", name, user_role_name(role), badge ? ", badge " : "",
           badge ? badge : "");
  else
    printf("removed %s\n", name);
  return EXIT_PASS;
}

int cli_user(int argc, char **argv)
{
  const char *what = argc >= 2 ? argv[1] : "";
  if (strcmp(what, "add") != 0 && strcmp(what, "list") != 0 && strcmp(what, "remove") != 0) {
    cli_error("'%s' is not a user command: use station user add NAME --role ROLE [--badge "
              "CODE], station user list or station user remove NAME", what);
    return EXIT_USAGE;
  }
  g_autofree char *db = NULL, *user = NULL, *role = NULL, *badge = NULL;
  GOptionEntry entries[] = {
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Results database (default: user data dir)",
     "FILE"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &user,
     "Who does it: user name or badge (default: the login name)", "NAME"},
    {"role", 'r', 0, G_OPTION_ARG_STRING, &role,
     "add: operator (default), engineer, admin or firmware", "ROLE"},
    {"badge", 'b', 0, G_OPTION_ARG_STRING, &badge, "add: the user's badge code", "CODE"},
    G_OPTION_ENTRY_NULL,
  };
  gboolean listing = strcmp(what, "list") == 0;
  g_autofree char *usage = g_strdup_printf("station user %s%s [--db FILE] [--user NAME]", what,
                                           listing ? "" : " NAME");
  int status;
  g_autoptr(Store) store = cli_subcommand_store(&argc, &argv, what,
      "The station's users and their roles.",
      entries, listing, &db, usage,
                                                &status);
  if (!store)
    return status;
  if (listing)
    return user_list(store);
  g_autofree char *actor = cli_user_name(store, user);
  return user_change(store, what, argv[1], actor, role, badge);
}
