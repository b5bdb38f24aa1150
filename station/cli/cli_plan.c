/* station plan --model M: the physical lower bound of the sequence's cycle time for a model
 * and the expected cycle time, step by step, with the steps that ran in another's overlapped
 * wait and the bound of the plan with and without those overlaps (see plan.h). */
#include "station/cli/cli.h"
#include "station/plan.h"
#include "station/step_time_limit.h"
#include "sequences/data_path.h"
#include <math.h>
#include <stdio.h>

int cli_plan(int argc, char **argv)
{
  g_autofree char *model_name = NULL, *fixture = NULL, *chemistry = NULL, *cells = NULL,
                  *heater = NULL, *profile = NULL, *sequence = NULL, *limits = NULL;
  GOptionEntry entries[] = {
    {"model", 'm', 0, G_OPTION_ARG_STRING, &model_name, "The model", "MODEL"},
    {"chemistry", 'c', 0, G_OPTION_ARG_STRING, &chemistry, "lfp (default), liion, lto", "CHEM"},
    {"cells", 0, 0, G_OPTION_ARG_STRING, &cells,
     "Cells in series of the order (default: the model's maximum)", "N"},
    {"heater", 0, 0, G_OPTION_ARG_STRING, &heater,
     "yes|no: the order's heater option (default: the model's)", "yes|no"},
    {"profile", 0, 0, G_OPTION_ARG_STRING, &profile,
     "Protection profile of the order (default: [production])", "NAME"},
    {"sequence", 0, 0, G_OPTION_ARG_FILENAME, &sequence,
     "Sequence to plan (default sequences/eol.lua)", "FILE"},
    {"limits", 0, 0, G_OPTION_ARG_FILENAME, &limits,
     "Limits file (default sequences/limits.conf)", "FILE"},
    {"fixture", 'f', 0, G_OPTION_ARG_FILENAME, &fixture,
     "Fixture description with a [twin] group (default fixtures/sim.conf)", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("");
  g_option_context_set_summary(context,
      "Runs the sequence once on the twin in virtual time with a good board and prints, per\n"
      "step, the waits the physics requires, their margins and the link time: the physical\n"
      "lower bound of the cycle and the expected cycle time, and each step's time limit.\n"
      "Steps the sequence lets run in another's wait (wait_overlapped, step{overlaps})\n"
      "are marked, and the bound is given with those overlaps and without (serial).\n"
      "A passing plan is stored: runs of the same model, order, sequence and limits take\n"
      "the time limits of their steps from it.");
  g_option_context_add_main_entries(context, entries, NULL);
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1 || !model_name) {
    cli_error("usage: station plan --model MODEL [--chemistry CHEM] [--cells N] "
              "[--heater yes|no] [--profile NAME] [--sequence FILE] [--limits FILE] "
              "[--fixture FILE]");
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
  RunRequest what = {.chemistry = chemistry, .cells = cells, .heater = heater,
                     .profile = profile, .sequence_path = sequence, .limits_path = limits};
  if (!plan_run(catalog, fixture_path, model, &what, &plan, &error)) {
    cli_error("%s", error->message);
    return EXIT_ERROR;
  }
  printf("Plan for %s (%s cells)\n\n", plan.model, chemistry ? chemistry : "lfp");
  printf("%-9s %-24s %9s %9s %9s %9s %9s %9s %-8s %s\n", "GROUP", "STEP", "BOUND s",
         "TAKES s", "REQUIRED", "MARGIN", "LINK s", "LIMIT s", "FROM", "OVERLAP");
  double longest_s = 0, longest_limit_s = 0;
  for (guint i = 0; i < plan.steps->len; i++) {
    const StepTiming *t = &g_array_index(plan.steps, StepTiming, i);
    if (isnan(t->clock_s))
      continue;
    double link = step_timing_link_s(t);
    /* The limit a run of this plan gives the step: the sequence's own, or the plan's. */
    g_autofree char *limit = NULL;
    const char *from = "built-in";
    double limit_s = 0;
    if (t->time_limit_from) {
      StepTimeLimit chosen = step_time_limit_choose(
          g_strcmp0(t->time_limit_from, "sequence") == 0 ? t->time_limit_s : 0, t->clock_s);
      limit_s = chosen.limit_s;
      from = step_time_limit_source_name(chosen.source);
    }
    limit = limit_s > 0 ? g_strdup_printf("%9.1f", limit_s) : g_strdup_printf("%9s", "-");
    if (t->clock_s >= longest_s && t->time_limit_from) {
      longest_s = t->clock_s;
      longest_limit_s = limit_s;
    }
    g_autofree char *overlap =
        t->overlapped ? g_strdup_printf("in %s's wait", t->overlapped)
        : t->overlap_wait_s > 0 ? g_strdup_printf("its wait of %.3f s (%.3f required) overlapped",
                                                  t->overlap_wait_s, t->overlap_required_s)
                                : g_strdup("");
    printf("%-9s %-24s %9.3f %9.3f %9.3f %9.3f %9.3f %s %-8s %s\n", t->group, t->name,
           t->required_s + link, t->clock_s, t->required_s, t->wait_s - t->required_s, link,
           limit, from, overlap);
  }
  printf("\n");
  for (guint i = 0; i < plan.steps->len; i++) {
    const StepTiming *t = &g_array_index(plan.steps, StepTiming, i);
    if (t->overlap_wait_s <= 0)
      continue;
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint j = 0; j < plan.steps->len; j++) {
      const StepTiming *o = &g_array_index(plan.steps, StepTiming, j);
      if (o->overlapped && g_str_equal(o->overlapped, t->name))
        g_string_append_printf(names, "%s%s", names->len ? ", " : "", o->name);
    }
    double inside = plan_overlapping_bound_s(&plan, t);
    printf("overlap: %s (bound %.3f s) in %s's wait of %.3f s (%.3f s required, %.3f s of its "
           "bound from there on): saves %.3f s of the bound, %.3f s of the cycle\n",
           names->str, inside, t->name, t->overlap_wait_s, t->overlap_required_s,
           t->overlap_tail_bound_s, MIN(inside, t->overlap_tail_bound_s), t->overlap_saved_s);
  }
  printf("physical lower bound %.3f s, expected cycle time %.3f s, ratio %.3f\n",
         plan.bound_s, plan.expected_s, plan.bound_s > 0 ? plan.expected_s / plan.bound_s : 0);
  printf("serial bound %.3f s (every step's bound added, no overlap); the overlaps take "
         "%.3f s off it\n", plan.serial_bound_s, plan.serial_bound_s - plan.bound_s);
  printf("(measured on the twin in virtual time: %.3f s of wall time)\n", plan.wall_s);
  printf("longest step %.3f s, its time limit %.1f s; a step without a time_limit of its "
         "own is stopped after %g x its planned time + %g s (at least %g s), one the plan "
         "cannot bound after %g s\n", longest_s, longest_limit_s, STEP_TIME_LIMIT_FACTOR,
         STEP_TIME_LIMIT_MARGIN_S, STEP_TIME_LIMIT_FLOOR_S, STEP_TIME_LIMIT_FALLBACK_S);
  if (plan.plan_path)
    printf("plan stored in %s\n", plan.plan_path);
  int code = EXIT_PASS;
  if (plan.outcome != OUTCOME_PASS) {
    printf("\nthe planning board did not pass (%s): %s\n", outcome_name(plan.outcome),
           plan.message ? plan.message : "");
    code = EXIT_ERROR;
  }
  plan_result_clear(&plan);
  return code;
}
