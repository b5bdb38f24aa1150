/* What a production run puts in effect besides the station's defaults: a sequence other than
 * sequences/eol.lua, a limits file other than sequences/limits.conf, or a protection profile
 * other than [production] as it is (given on the command line or by the order file). Each
 * changes the limits a board is judged by or the settings it ships with, so only engineers
 * may, and each is written to the audit log (run.sequence, run.limits, run.profile: who, the
 * board, the default and what was used instead, files with their SHA-256) before the board is
 * touched. The rest of an order (cell count, chemistry, heater) is the product the board is
 * built as, checked against the model's catalog: any user who tests boards runs it. */
#pragma once
#include <glib.h>
#include "db/store.h"
#include "station/engine.h"

/* Checks that user may run request (the engineer role for any override; roles are checked
 * once the station has an admin, db/users.h) and audits every override. FALSE with
 * USER_ERROR_DENIED naming the role needed, or why a file could not be read or the audit
 * written; nothing is audited then. */
gboolean run_overrides_authorize(Store *store, const char *user, const RunRequest *request,
                                 GError **error);
