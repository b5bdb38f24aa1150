/* Bulk loading of finished runs into the result store: many runs in one transaction through
 * prepared statements, for importing runs from elsewhere and for generated data sets (the
 * database benchmark). Runs arrive finished (PASS, FAIL, ERROR, ABORTED) with their times;
 * the yield summary (boards, yield_cells) is rebuilt once at the commit. Nothing is visible to
 * other connections before store_bulk_commit(); store_bulk_free() without a commit rolls all
 * of it back. Only EOL runs may be loaded (the summary rebuild counts every run). */
#pragma once
#include "db/store.h"

typedef struct StoreBulk StoreBulk;

/* Begins the load (an IMMEDIATE transaction holding the Store's lock until commit or free). */
StoreBulk *store_bulk_begin(Store *store, GError **error);
/* A finished run: run->started_at is required; returns its id, 0 with the error. */
gint64 store_bulk_run(StoreBulk *bulk, const RunStart *run, const char *outcome,
                      const char *first_failure, const char *message, const char *ended_at,
                      double duration_s, GError **error);
gint64 store_bulk_step(StoreBulk *bulk, gint64 run_id, int index, const char *group,
                       const char *name, const char *outcome, const char *started_at,
                       const char *ended_at, GError **error);
gboolean store_bulk_measurement(StoreBulk *bulk, gint64 step_id, const MeasurementRecord *m,
                                const char *taken_at, GError **error);
/* Rebuilds the yield summary and commits. */
gboolean store_bulk_commit(StoreBulk *bulk, GError **error);
void store_bulk_free(StoreBulk *bulk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoreBulk, store_bulk_free)
