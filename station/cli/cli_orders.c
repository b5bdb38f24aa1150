/* station orders [list] | add FILE | remove ID: the production orders registered on the
 * station (db/orders.h). An engineer registers an order from its order file (the format of
 * station run --order-file, with its id), after it is checked; operators then run it by its
 * id (station run --order ID) without writing it. Adding, changing and removing are
 * audited with who and the values before and after. */
#include "station/cli/cli.h"
#include "station/limit_table.h"
#include "station/order.h"
#include "station/station_error.h"
#include "sequences/catalog.h"
#include "sequences/data_path.h"
#include "db/orders.h"
#include "db/users.h"
#include <stdio.h>
#include <string.h>

static int orders_list(Store *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) orders = store_order_list(store, &error);
  if (!orders) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  printf("%-16s %-6s %-9s %-7s %-10s %-25s %s\n", "order", "cells", "chemistry", "heater",
         "profile", "registered (UTC)", "by");
  for (guint i = 0; i < orders->len; i++) {
    const OrderRow *o = g_ptr_array_index(orders, i);
    printf("%-16s %-6s %-9s %-7s %-10s %-25s %s\n", o->id, o->cells ? o->cells : "-",
           o->chemistry ? o->chemistry : "-", o->heater ? o->heater : "-",
           o->profile ? o->profile : "-", o->changed_at, o->changed_by ? o->changed_by : "-");
  }
  if (orders->len == 0)
    printf("(no order is registered)\n");
  return EXIT_PASS;
}

/* The order file's values as a model-independent check can judge them: an id, a known
 * chemistry, yes/no, a whole cell count, a profile the station's limits have. The cell count
 * against a model is checked when a board of the order is run. */
static gboolean check_order(const char *path, const OrderFile *file, GError **error)
{
  Chemistry chemistry;
  char *end = NULL;
  if (!file->id || !*file->id) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "the order file %s has no id: a registered order is run by its id", path);
    return FALSE;
  }
  if (file->chemistry && !chemistry_from_string(file->chemistry, &chemistry)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "the order file %s: chemistry '%s' is not one of lfp, liion, lto", path,
                file->chemistry);
    return FALSE;
  }
  if (file->heater && strcmp(file->heater, "yes") != 0 && strcmp(file->heater, "no") != 0) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "the order file %s: heater '%s' is not yes or no", path, file->heater);
    return FALSE;
  }
  if (file->cells && (g_ascii_strtoll(file->cells, &end, 10) <= 0 || *end)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "the order file %s: cells '%s' is not a count of cells in series", path,
                file->cells);
    return FALSE;
  }
  if (!file->profile)
    return TRUE;
  g_autofree char *limits_path = sequences_path("limits.conf");
  g_autoptr(GKeyFile) limits = g_key_file_new();
  if (!g_key_file_load_from_file(limits, limits_path, G_KEY_FILE_NONE, error))
    return FALSE;
  if (!limits_has_profile(limits, file->profile)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_ORDER,
                "the order file %s: the station's limits %s have no protection profile '%s'",
                path, limits_path, file->profile);
    return FALSE;
  }
  return TRUE;
}

static int orders_add(Store *store, const char *path, const char *actor)
{
  g_autoptr(GError) error = NULL;
  OrderFile file;
  if (!order_file_load(path, &file, &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autofree char *doing = g_strdup_printf("registering order %s", file.id ? file.id : path);
  gboolean ok = check_order(path, &file, &error) &&
                g_file_get_contents(path, &contents, &length, &error);
  int code = ok ? EXIT_PASS : EXIT_USAGE;
  if (ok && !store_user_authorize(store, actor, USER_ROLE_ENGINEER, doing, &error)) {
    ok = FALSE;
    code = EXIT_USAGE;
  }
  g_autofree char *sha = ok ? g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                                          (const guchar *)contents, length)
                            : NULL;
  OrderRow row = {.id = file.id, .cells = file.cells, .chemistry = file.chemistry,
                  .heater = file.heater, .profile = file.profile, .source_sha256 = sha};
  if (ok && !store_order_put(store, actor, &row, &error)) {
    ok = FALSE;
    code = EXIT_ERROR;
  }
  if (ok) {
    g_autofree char *values = order_values_describe(file.cells, file.chemistry, file.heater,
                                                    file.profile);
    printf("order %s registered: %s (by %s)\n", file.id, values, actor);
  } else {
    cli_error("%s", error->message);
  }
  order_file_clear(&file);
  return code;
}

static int orders_remove(Store *store, const char *id, const char *actor)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *doing = g_strdup_printf("removing order %s", id);
  if (!store_user_authorize(store, actor, USER_ROLE_ENGINEER, doing, &error)) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  if (!store_order_remove(store, actor, id, &error)) {
    cli_error("%s", error->message);
    return g_error_matches(error, STORE_ERROR, STORE_ERROR_NOT_FOUND) ? EXIT_USAGE : EXIT_ERROR;
  }
  printf("order %s removed (by %s)\n", id, actor);
  return EXIT_PASS;
}

int cli_orders(int argc, char **argv)
{
  const char *what = argc >= 2 && argv[1][0] != '-' ? argv[1] : "list";
  if (strcmp(what, "add") != 0 && strcmp(what, "list") != 0 && strcmp(what, "remove") != 0) {
    cli_error("'%s' is not an orders command: use station orders [list], station orders add "
              "FILE or station orders remove ID", what);
    return EXIT_USAGE;
  }
  g_autofree char *db = NULL, *user = NULL;
  GOptionEntry entries[] = {
    {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Results database (default: user data dir)",
     "FILE"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &user,
     "add, remove: who does it, user name or badge (default: the login name)", "NAME"},
    G_OPTION_ENTRY_NULL,
  };
  gboolean listing = strcmp(what, "list") == 0;
  int status;
  g_autoptr(Store) store = cli_subcommand_store(&argc, &argv, "[list | add FILE | remove ID]",
      "The production orders registered on the station: an engineer registers an order from "
      "its order file ([order] id, cells, chemistry, heater, profile) and operators run it by "
      "its id (station run --order ID). Adding, changing and removing are audited.",
      entries, listing, &db,
      "station orders [list | add FILE | remove ID] [--db FILE] [--user NAME]", &status);
  if (!store)
    return status;
  if (listing)
    return orders_list(store);
  g_autofree char *actor = cli_user_name(store, user);
  return strcmp(what, "add") == 0 ? orders_add(store, argv[1], actor)
                                  : orders_remove(store, argv[1], actor);
}
