/* station plan --model M: the physical lower bound of the sequence's cycle time for a model
 * and the expected cycle time, step by step (see plan.h). */
#include "station/cli/cli.h"
#include "station/plan.h"
#include "sequences/data_path.h"
#include <math.h>
#include <stdio.h>

int cli_plan(int argc, char **argv)
{
  g_autofree char *model_name = NULL, *fixture = NULL, *chemistry = NULL;
  GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_STRING, &model_name, "The model", "MODEL"},
    {"chemistry", 'c', 0, G_OPTION_ARG_STRING, &chemistry, "lfp (default), liion, lto", "CHEM"},
    {"fixture", 'f', 0, G_OPTION_ARG_FILENAME, &fixture,
     "Fixture description with a [twin] group (default fixtures/sim.conf)", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("");
  g_option_context_set_summary(context,
      "Runs the sequence once on the twin in virtual time with a good board and prints, per\n"
      "step, the waits the physics requires, their margins and the link time: the physical\n"
      "lower bound of the cycle and the expected cycle time.");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1 || !model_name) {
    cli_error("usage: station plan --model MODEL [--chemistry CHEM] [--fixture FILE]");
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(Catalog) catalog = catalog_load_default(&error);
  if (!catalog) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  g_autofree char *upper = g_ascii_strup(model_name, -1);
  const ModelInfo *model = catalog_find(catalog, upper, &error);
  if (!model) {
    cli_error("%s", error->message);
    return EXIT_USAGE;
  }
  g_autofree char *fixture_path = fixture ? g_strdup(fixture) : default_fixture_path();
  PlanResult plan;
  if (!plan_run(catalog, fixture_path, model, chemistry, &plan, &error)) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  printf("Plan for %s (%s cells)\n\n", plan.model, chemistry ? chemistry : "lfp");
  printf("%-9s %-24s %9s %9s %9s %9s %9s\n", "GROUP", "STEP", "BOUND s", "TAKES s",
         "REQUIRED", "MARGIN", "LINK s");
  double longest_s = 0;
  for (guint i = 0; i < plan.steps->len; i++) {
    const StepTiming *t = &g_array_index(plan.steps, StepTiming, i);
    if (isnan(t->clock_s))
      continue;
    longest_s = MAX(longest_s, t->clock_s);
    double link = step_timing_link_s(t);
    printf("%-9s %-24s %9.3f %9.3f %9.3f %9.3f %9.3f\n", t->group, t->name,
           t->required_s + link, t->clock_s, t->required_s, t->wait_s - t->required_s, link);
  }
  printf("\nphysical lower bound %.3f s, expected cycle time %.3f s, ratio %.3f\n",
         plan.bound_s, plan.expected_s, plan.bound_s > 0 ? plan.expected_s / plan.bound_s : 0);
  printf("(measured on the twin in virtual time: %.3f s of wall time)\n", plan.wall_s);
  printf("longest step %.3f s; a step without a time_limit of its own is stopped after "
         "%.0f s\n", longest_s, ENGINE_DEFAULT_STEP_TIME_LIMIT_S);
  int code = EXIT_PASS;
  if (plan.outcome != OUTCOME_PASS) {
    printf("\nthe planning board did not pass (%s): %s\n", outcome_name(plan.outcome),
           plan.message ? plan.message : "");
    code = EXIT_ERROR;
  }
  plan_result_clear(&plan);
  return code;
}
