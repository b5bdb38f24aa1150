/* Audit log entries of changes that are not a table's own: a run that puts a sequence, limits
 * or a protection profile other than the station's defaults in effect (run.sequence,
 * run.limits, run.profile). The changes of users, firmware and fixtures write theirs in the
 * same transaction as the change (users.c, firmware_store.c, store_fixtures.c). */
#pragma once
#include <glib.h>
#include "db/store.h"

/* Writes one audit_log row: actor did action to subject, the value before and after (NULL:
 * none), in a transaction of its own, committed when it returns TRUE. */
gboolean store_audit_add(Store *store, const char *actor, const char *action,
                         const char *subject, const char *before, const char *after,
                         GError **error);
