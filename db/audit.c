/* Audit log entries of their own (audit.h). */
#include "db/audit.h"
#include "db/store_sql.h"

gboolean store_audit_add(Store *store, const char *actor, const char *action,
                         const char *subject, const char *before, const char *after,
                         GError **error)
{
  g_return_val_if_fail(store != NULL && action != NULL && subject != NULL, FALSE);
  g_autofree char *now = sql_timestamp_now();
  g_autofree char *doing = g_strdup_printf("writing %s of %s to the audit log", action, subject);
  g_mutex_lock(&store->lock);
  gboolean ok = sql_exec(store, "BEGIN IMMEDIATE", doing, error) &&
                sql_audit_change(store, now, actor, action, subject, before, after, error) &&
                sql_exec(store, "COMMIT", doing, error);
  if (!ok)
    sql_rollback(store);
  g_mutex_unlock(&store->lock);
  return ok;
}
