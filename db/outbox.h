/* The outbox of the result store: the finished runs waiting to be shipped to the factory
 * database. A run is queued by the store in the transaction that ends it (schema version 10)
 * and leaves the queue only when the factory database has it; a failed attempt keeps it
 * queued with the reason and a time before which the background shipper does not try it
 * again (back-off). */
#pragma once
#include <glib.h>
#include "db/store.h"

/* The queued runs after after_run_id (gint64 local run ids, oldest first), at most limit of
 * them: every one when due_only is FALSE (`station sync`), else those whose back-off has
 * passed. NULL on error. */
GArray *store_outbox_runs(Store *store, gboolean due_only, gint64 after_run_id, guint limit,
                          GError **error);
/* The run is in the factory database: off the queue, counted as shipped. */
gboolean store_outbox_shipped(Store *store, gint64 run_id, GError **error);
/* An attempt to ship the run failed for reason: it stays queued, its attempts counted, not
 * tried again by the background shipper before its back-off (1 s doubled per failed attempt,
 * at most 10 min) has passed. */
gboolean store_outbox_failed(Store *store, gint64 run_id, const char *reason, GError **error);
/* Records an attempt to ship that failed before any run (the factory database could not be
 * reached, reason) or, with reason NULL, an attempt that reached it. */
gboolean store_outbox_attempted(Store *store, const char *reason, GError **error);

/* What `station sync status` shows. */
typedef struct {
  gint64 queued;                /* runs waiting */
  gint64 oldest_run_id;         /* the oldest waiting run, 0 when none */
  char *oldest_uid;             /* its uid */
  char *oldest_queued_at;       /* when it was queued */
  gint64 failed;                /* waiting runs that failed at least once */
  gint64 shipped;               /* runs shipped from this database */
  char *last_attempt_at;        /* NULL: never tried */
  char *last_success_at;        /* NULL: nothing shipped yet */
  char *last_error;             /* why the last attempt failed, NULL when it did not */
  char *last_run_error;         /* the latest reason a waiting run was not taken, NULL: none */
  gint64 last_run_error_id;     /* that run */
} OutboxStatus;

gboolean store_outbox_status(Store *store, OutboxStatus *status, GError **error);
void outbox_status_clear(OutboxStatus *status);

/* The back-off of a run that failed `attempts` times, in seconds. */
int outbox_backoff_s(gint64 attempts);
