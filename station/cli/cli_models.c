/* station models [show MODEL]: the model catalog for quality engineers and operators. */
#include "station/cli/cli.h"
#include "sequences/catalog.h"
#include <math.h>
#include <stdio.h>

static void print_number(const char *label, double value, const char *unit)
{
  if (isnan(value))
    printf("  %-30s not given in the datasheet\n", label);
  else
    printf("  %-30s %g %s\n", label, value, unit);
}

static void print_model(const ModelInfo *m)
{
  printf("%s\n", m->name);
  print_number("balance current", m->balance_a, "A");
  for (int c = 0; c < CHEMISTRY_COUNT; c++) {
    g_autofree char *label = g_strdup_printf("cells in series, %s", chemistry_name(c));
    printf("  %-30s %d..%d\n", label, m->strings[c].min, m->strings[c].max);
  }
  print_number("main path resistance", m->path_mohm, "mΩ");
  print_number("continuous discharge current", m->cont_discharge_a, "A");
  print_number("continuous charge current", m->cont_charge_a, "A");
  print_number("max discharge current (2 min)", m->max_discharge_2min_a, "A");
  printf("  %-30s %g..%g A\n", "over-current threshold range", m->ocp_min_a, m->ocp_max_a);
  printf("  %-30s %s\n", "ports", m->default_ports);
  printf("  %-30s %s\n", "customizable ports", *m->custom_ports ? m->custom_ports : "none");
  printf("  %-30s %s\n", "heater option", m->heater ? "yes" : "no");
  if (m->heater)
    print_number("max heating power", m->heater_max_w, "W");
  printf("  %-30s %s\n", "size", *m->size_mm ? m->size_mm : "not given");
  printf("  %-30s %s\n", "wiring", m->wiring);
}

static void print_table(const Catalog *catalog)
{
  printf("%-11s %9s %8s %8s %8s %9s %8s %11s %6s\n", "MODEL", "BALANCE", "LI-ION", "LIFEPO4",
         "LTO", "PATH", "CONT", "OCP RANGE", "HEATER");
  for (guint i = 0; i < catalog_count(catalog); i++) {
    const ModelInfo *m = catalog_nth(catalog, i);
    g_autofree char *path = isnan(m->path_mohm) ? g_strdup("-")
                                                : g_strdup_printf("%.2f mΩ", m->path_mohm);
    char *ranges[CHEMISTRY_COUNT];
    for (int c = 0; c < CHEMISTRY_COUNT; c++)
      ranges[c] = g_strdup_printf("%dS-%dS", m->strings[c].min, m->strings[c].max);
    g_autofree char *ocp = g_strdup_printf("%g-%g A", m->ocp_min_a, m->ocp_max_a);
    /* "mΩ" is two bytes wider than it looks: widen its column by one. */
    printf("%-11s %7.1f A %8s %8s %8s %*s %6g A %11s %6s\n", m->name, m->balance_a,
           ranges[CHEMISTRY_LIION], ranges[CHEMISTRY_LFP], ranges[CHEMISTRY_LTO],
           isnan(m->path_mohm) ? 9 : 10, path, m->cont_discharge_a, ocp,
           m->heater ? "yes" : "no");
    for (int c = 0; c < CHEMISTRY_COUNT; c++)
      g_free(ranges[c]);
  }
}

int cli_models(int argc, char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new("[show MODEL]");
  g_option_context_set_summary(context, "Lists the models the station tests, with the "
                                        "datasheet values their limits come from.");
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  if (!catalog) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  if (argc == 1) {
    print_table(catalog);
    return EXIT_PASS;
  }
  if (argc == 3 && g_str_equal(argv[1], "show")) {
    g_autofree char *name = g_ascii_strup(argv[2], -1);
    const ModelInfo *model = catalog_find(catalog, name, &error);
    if (!model) {
      cli_error("%s", error->message);
      return EXIT_USAGE;
    }
    print_model(model);
    return EXIT_PASS;
  }
  cli_error("usage: station models [show MODEL]");
  return EXIT_USAGE;
}
