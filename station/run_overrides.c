/* Who may run with a sequence, limits or profile other than the station's (run_overrides.h). */
#include "station/run_overrides.h"
#include "station/limit_table.h"
#include "sequences/data_path.h"
#include "db/audit.h"
#include "db/orders.h"
#include "db/users.h"
#include <stdlib.h>

typedef struct {
  const char *action;           /* audit action */
  char *before;                 /* the default, as audited */
  char *after;                  /* what is used instead */
  char *named;                  /* what is used, as the refusal names it: "the sequence X" */
} Override;

static void override_clear(gpointer data)
{
  Override *o = data;
  g_free(o->before);
  g_free(o->after);
  g_free(o->named);
}

/* The file's path as the system resolves it (links, "..") to compare it with the default's;
 * the path as given when it does not exist (the run refuses it later). */
static char *resolved(const char *path)
{
  char *real = realpath(path, NULL);
  char *copy = g_strdup(real ? real : path);
  free(real);
  return copy;
}

/* "PATH sha256=HEX" of a file. */
static char *file_identity(const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length;
  if (!g_file_get_contents(path, &contents, &length, error))
    return NULL;
  g_autofree char *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                                     (const guchar *)contents, length);
  return g_strdup_printf("%s sha256=%s", path, sha);
}

/* Adds the file given for `what` when it is not the station's default file. */
static gboolean add_file(GArray *overrides, const char *action, const char *what,
                         const char *given, const char *default_name, GError **error)
{
  if (!given)
    return TRUE;
  g_autofree char *fallback = sequences_path(default_name);
  g_autofree char *given_real = resolved(given), *default_real = resolved(fallback);
  if (g_str_equal(given_real, default_real))
    return TRUE;
  Override o = {.action = action, .named = g_strdup_printf("%s %s", what, given)};
  o.after = file_identity(given, error);
  o.before = o.after ? file_identity(fallback, error) : NULL;
  if (!o.before) {
    override_clear(&o);
    return FALSE;
  }
  g_array_append_val(overrides, o);
  return TRUE;
}

/* Adds the order when its values are not those of an order registered on the station. */
static gboolean add_order(GArray *overrides, const RunRequest *request,
                          const RunOrderSource *order, GError **error)
{
  if (!order->file && !order->options)
    return TRUE;
  g_autofree char *values = order_values_describe(request->cells, request->chemistry,
                                                  request->heater, request->profile);
  if (order->registered && g_str_equal(values, order->registered))
    return TRUE; /* the registered order's own values, repeated */
  Override o = {.action = "run.order"};
  if (order->file) {
    g_autofree char *file = file_identity(order->file, error);
    if (!file)
      return FALSE;
    o.after = g_strdup_printf("%s from %s", values, file);
    o.named = g_strdup_printf("the order file %s", order->file);
  } else {
    o.after = g_strdup(values);
    o.named = g_strdup_printf("the order %s given on the command line", values);
  }
  o.before = order->registered
                 ? g_strdup_printf("order %s: %s", order->registered_id, order->registered)
                 : g_strdup("the model's default order");
  g_array_append_val(overrides, o);
  return TRUE;
}

/* "the sequence X, the limits Y and the protection profile cold" */
static char *describe(const GArray *overrides)
{
  GString *text = g_string_new(NULL);
  for (guint i = 0; i < overrides->len; i++) {
    const Override *o = &g_array_index(overrides, Override, i);
    if (i > 0)
      g_string_append(text, i + 1 == overrides->len ? " and " : ", ");
    g_string_append(text, o->named);
  }
  return g_string_free(text, FALSE);
}

gboolean run_overrides_authorize(Store *store, const char *user, const RunRequest *request,
                                 const RunOrderSource *order, GError **error)
{
  g_autoptr(GArray) overrides = g_array_new(FALSE, TRUE, sizeof(Override));
  g_array_set_clear_func(overrides, override_clear);
  if (!add_file(overrides, "run.sequence", "the sequence", request->sequence_path, "eol.lua",
                error) ||
      !add_file(overrides, "run.limits", "the limits", request->limits_path, "limits.conf",
                error))
    return FALSE;
  if (request->profile && !g_str_equal(request->profile, LIMITS_DEFAULT_PROFILE) &&
      !(order && g_strcmp0(order->registered_profile, request->profile) == 0)) {
    Override o = {.action = "run.profile",
                  .named = g_strdup_printf("the protection profile %s", request->profile),
                  .before = g_strdup("profile=" LIMITS_DEFAULT_PROFILE),
                  .after = g_strdup_printf("profile=%s", request->profile)};
    g_array_append_val(overrides, o);
  }
  if (order && !add_order(overrides, request, order, error))
    return FALSE;
  if (overrides->len == 0)
    return TRUE;
  g_autofree char *used = describe(overrides);
  g_autofree char *doing = g_strdup_printf("testing a board with %s instead of the "
                                           "station's", used);
  if (!store_user_authorize(store, user, USER_ROLE_ENGINEER, doing, error))
    return FALSE;
  for (guint i = 0; i < overrides->len; i++) {
    const Override *o = &g_array_index(overrides, Override, i);
    if (!store_audit_add(store, user, o->action, request->serial ? request->serial : "",
                         o->before, o->after, error))
      return FALSE;
  }
  return TRUE;
}
