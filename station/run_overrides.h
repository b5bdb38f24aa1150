/* What a production run puts in effect besides the station's defaults: a sequence other than
 * sequences/eol.lua, a limits file other than sequences/limits.conf, a protection profile
 * other than [production] as it is, or an order other than one registered on the station
 * (db/orders.h: given by an order file or by values on the command line). Each changes the
 * limits a board is judged by or what it is built and shipped as, so only engineers may, and
 * each is written to the audit log (run.sequence, run.limits, run.profile, run.order: who,
 * the board, the default and what was used instead, files with their SHA-256) before the
 * board is touched. A registered order (its profile included) was put in effect by the
 * engineer who registered it: any tester runs it by its id, as the model's default order. */
#pragma once
#include <glib.h>
#include "db/store.h"
#include "station/engine.h"

/* Where the run's order comes from. */
typedef struct {
  const char *registered_id;    /* the order registered on the station that --order names,
                                   NULL: none */
  const char *registered;       /* its values (order_values_describe) */
  const char *registered_profile;  /* its profile, NULL: none */
  const char *file;             /* the order file given for the run, NULL: none */
  gboolean options;             /* order values given on the command line */
} RunOrderSource;

/* Checks that user may run request, its order from `order` (NULL: the model's default
 * order) (the engineer role for any override; roles are checked
 * once the station has an admin, db/users.h) and audits every override. FALSE with
 * USER_ERROR_DENIED naming the role needed, or why a file could not be read or the audit
 * written; nothing is audited then. */
gboolean run_overrides_authorize(Store *store, const char *user, const RunRequest *request,
                                 const RunOrderSource *order, GError **error);
