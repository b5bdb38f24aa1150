/* One run on a worker thread, for the UI: engine_run() blocks, so it runs in a GTask thread
 * with a store of its own; the engine's events are copied under a mutex and handed to the
 * main loop in batches by one coalesced idle, so a burst of measurements costs one redraw. */
#pragma once
#include <gio/gio.h>
#include "station/engine.h"

typedef struct RunWorker RunWorker;

/* Called on the main loop with the events queued since the last call (EngineEvent*). */
typedef void (*RunWorkerEventsFunc)(GPtrArray *events, gpointer user_data);

/* Starts the run of request (copied) with the results database at db_path; events go to
 * events_func, then done runs on the main loop once engine_run() has returned (every event
 * delivered before it). catalog is borrowed and must outlive the worker. */
RunWorker *run_worker_start(const Catalog *catalog, const char *db_path,
                            const RunRequest *request, RunWorkerEventsFunc events_func,
                            GAsyncReadyCallback done, gpointer user_data);
/* The outcome of a finished run; FALSE with error when it could not start at all. */
gboolean run_worker_finish(GAsyncResult *result, RunResult *out, GError **error);
/* Asks the run to stop (it ends ABORTED after its teardown). Any thread. */
void run_worker_abort(RunWorker *worker);
RunWorker *run_worker_ref(RunWorker *worker);
void run_worker_unref(RunWorker *worker);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(RunWorker, run_worker_unref)
