/* station limits show MODEL: every limit the station applies to a model (and an order's
 * protection profile), where each value comes from (generic, model override, catalog,
 * profile) and why (the comment in the limits file). */
#include "station/cli/cli.h"
#include "station/limit_types.h"
#include "station/limit_table.h"
#include "station/station_error.h"
#include "sequences/data_path.h"
#include <stdio.h>

int cli_limits(int argc, char **argv)
{
  g_autofree char *limits_path = NULL, *profile = NULL;
  GOptionEntry entries[] = {
    {"profile", 0, 0, G_OPTION_ARG_STRING, &profile,
     "Protection profile of the order (default: [production] as it is)", "NAME"},
    {"limits", 0, 0, G_OPTION_ARG_FILENAME, &limits_path,
     "Limits file (default sequences/limits.conf)", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("show MODEL");
  g_option_context_set_summary(context, "Prints the limits the station applies to a model.");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 3 || !g_str_equal(argv[1], "show")) {
    cli_error("usage: station limits show MODEL [--profile NAME] [--limits FILE]");
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  if (!catalog) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  g_autofree char *name = g_ascii_strup(argv[2], -1);
  const ModelInfo *model = catalog_find(catalog, name, &error);
  if (!model) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  if (!limits_path)
    limits_path = sequences_path("limits.conf");
  g_autoptr(LimitTable) table = limits_resolve(limits_path, catalog, model, profile, &error);
  g_autofree char *types_path = limit_types_path_for(limits_path);
  if (!table || !limit_types_check(table, limits_path, types_path, &error)) {
    cli_error("%s", error->message);
    return g_error_matches(error, STATION_ERROR, STATION_ERROR_ORDER) ? EXIT_USAGE
                                                                      : EXIT_ERROR;
  }
  printf("Limits for %s, profile %s, from %s\nsha256 %s (recorded with each run)\n",
         model->name, table->profile, limits_path, table->sha256);
  const char *group = NULL;
  for (guint i = 0; i < table->limits->len; i++) {
    const Limit *limit = g_ptr_array_index(table->limits, i);
    if (!group || !g_str_equal(group, limit->group)) {
      group = limit->group;
      printf("\n[%s]\n", group);
    }
    if (limit->comment)
      printf("  %-28s %-22s %-15s %s\n", limit->key, limit->value,
             limit_source_name(limit->source), limit->comment);
    else
      printf("  %-28s %-22s %s\n", limit->key, limit->value, limit_source_name(limit->source));
  }
  return EXIT_PASS;
}
