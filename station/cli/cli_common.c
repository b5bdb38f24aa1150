/* Helpers shared by the subcommands: option parsing (with the options every command takes)
 * and error printing. */
#include "station/cli/cli.h"
#include "db/store.h"
#include "db/users.h"
#include "fixtures/wire_trace.h"
#include <stdio.h>

void cli_error(const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *text = g_strdup_vprintf(format, args);
  va_end(args);
  fprintf(stderr, "station: %s\n", text);
}

gboolean cli_parse(GOptionContext *context, int *argc, char ***argv)
{
  static gboolean trace;
  static const GOptionEntry common[] = {
    {"trace", 0, 0, G_OPTION_ARG_NONE, &trace, CLI_TRACE_HELP, NULL},
    {NULL},
  };
  g_option_context_add_main_entries(context, common, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, argc, argv, &error)) {
    cli_error("%s (see --help)", error->message);
    return FALSE;
  }
  if (trace)
    wire_trace_show();
  return TRUE;
}

Store *cli_open_store(const char *db_path)
{
  g_autofree char *path = db_path ? g_strdup(db_path) : store_default_path();
  g_autoptr(GError) error = NULL;
  Store *store = store_open(path, &error);
  if (!store)
    cli_error("%s", error->message);
  return store;
}

char *cli_user_name(Store *store, const char *given)
{
  const char *name = given ? given : g_get_user_name();
  g_autoptr(UserRow) user = store_user_find(store, name, NULL);
  return g_strdup(user ? user->name : name);
}

Store *cli_subcommand_store(int *argc, char ***argv, const char *parameters, const char *summary,
                            const GOptionEntry *entries, gboolean listing, char *const *db,
                            const char *usage, int *status)
{
  *status = EXIT_USAGE;
  g_autoptr(GOptionContext) context = g_option_context_new(parameters);
  g_option_context_set_summary(context, summary);
  g_option_context_add_main_entries(context, entries, NULL);
  if (*argc >= 2 && (*argv)[1][0] != '-') {
    (*argc)--;
    (*argv)++;
  }
  if (!cli_parse(context, argc, argv))
    return NULL;
  if (*argc != (listing ? 1 : 2)) {
    cli_error("usage: %s", usage);
    return NULL;
  }
  Store *store = cli_open_store(*db);
  if (!store)
    *status = EXIT_ERROR;
  return store;
}
