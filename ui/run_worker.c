/* A run on a GTask thread with coalesced event delivery (see run_worker.h). */
#include "ui/run_worker.h"
#include "station/run_overrides.h"

struct RunWorker {
  const Catalog *catalog;
  char *db_path;
  RunRequest request;           /* strings owned */
  Engine *engine;               /* set on the worker thread while the run lasts */
  GMutex lock;                  /* guards pending, flush_scheduled, engine, abort_requested */
  GPtrArray *pending;           /* EngineEvent* copies not yet delivered */
  gboolean flush_scheduled;
  gboolean abort_requested;
  RunWorkerEventsFunc events_func;
  gpointer user_data;
  GAsyncReadyCallback done;
};

static void request_copy(RunRequest *to, const RunRequest *from)
{
  *to = *from;
  to->fixture_path = g_strdup(from->fixture_path);
  to->serial = g_strdup(from->serial);
  to->sequence_path = g_strdup(from->sequence_path);
  to->limits_path = g_strdup(from->limits_path);
  to->operator_name = g_strdup(from->operator_name);
  to->station_id = g_strdup(from->station_id);
  to->chemistry = g_strdup(from->chemistry);
  to->trusted_keys_dir = g_strdup(from->trusted_keys_dir);
}

static void request_clear(RunRequest *r)
{
  g_free((char *)r->fixture_path);
  g_free((char *)r->serial);
  g_free((char *)r->sequence_path);
  g_free((char *)r->limits_path);
  g_free((char *)r->operator_name);
  g_free((char *)r->station_id);
  g_free((char *)r->chemistry);
  g_free((char *)r->trusted_keys_dir);
}

static void worker_clear(RunWorker *w)
{
  request_clear(&w->request);
  g_free(w->db_path);
  g_ptr_array_unref(w->pending);
  g_mutex_clear(&w->lock);
}

RunWorker *run_worker_ref(RunWorker *worker)
{
  return g_atomic_rc_box_acquire(worker);
}

void run_worker_unref(RunWorker *worker)
{
  g_atomic_rc_box_release_full(worker, (GDestroyNotify)worker_clear);
}

/* Main loop: hands every queued event to the panel in one call. */
static gboolean flush_events(gpointer data)
{
  RunWorker *w = data;
  g_mutex_lock(&w->lock);
  GPtrArray *batch = w->pending;
  w->pending = g_ptr_array_new_with_free_func((GDestroyNotify)engine_event_free);
  w->flush_scheduled = FALSE;
  g_mutex_unlock(&w->lock);
  if (batch->len > 0)
    w->events_func(batch, w->user_data);
  g_ptr_array_unref(batch);
  return G_SOURCE_REMOVE;
}

/* Worker thread: queue a copy; schedule one flush if none is pending. */
static void on_engine_event(const EngineEvent *event, gpointer data)
{
  RunWorker *w = data;
  g_mutex_lock(&w->lock);
  g_ptr_array_add(w->pending, engine_event_copy(event));
  gboolean schedule = !w->flush_scheduled;
  w->flush_scheduled = TRUE;
  g_mutex_unlock(&w->lock);
  if (schedule)
    g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, flush_events, run_worker_ref(w),
                    (GDestroyNotify)run_worker_unref);
}

static void result_free(gpointer data)
{
  run_result_clear(data);
  g_free(data);
}

static void run_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancel)
{
  RunWorker *w = data;
  GError *error = NULL;
  Store *store = store_open(w->db_path, &error);
  if (!store) {
    g_task_return_error(task, error);
    return;
  }
  /* A sequence or limits other than the station's: an engineer's, audited (as station run). */
  const char *user = w->request.operator_name ? w->request.operator_name : g_get_user_name();
  if (!run_overrides_authorize(store, user, &w->request, NULL, &error)) {
    store_close(store);
    g_task_return_error(task, error);
    return;
  }
  Engine *engine = engine_new(w->catalog, store);
  engine_set_event_handler(engine, on_engine_event, w);
  g_mutex_lock(&w->lock);
  w->engine = engine;
  if (w->abort_requested)
    engine_abort(engine);
  g_mutex_unlock(&w->lock);

  RunResult *result = g_new0(RunResult, 1);
  gboolean started = engine_run(engine, &w->request, result, &error);
  g_mutex_lock(&w->lock);
  w->engine = NULL;
  g_mutex_unlock(&w->lock);
  engine_free(engine);
  store_close(store);
  if (!started) {
    g_free(result);
    g_task_return_error(task, error);
    return;
  }
  g_task_return_pointer(task, result, result_free);
}

/* Main loop: deliver the last events before the verdict. */
static void on_task_done(GObject *source, GAsyncResult *res, gpointer data)
{
  RunWorker *w = g_task_get_task_data(G_TASK(res));
  flush_events(w);
  w->done(source, res, w->user_data);
}

RunWorker *run_worker_start(const Catalog *catalog, const char *db_path,
                            const RunRequest *request, RunWorkerEventsFunc events_func,
                            GAsyncReadyCallback done, gpointer user_data)
{
  RunWorker *w = g_atomic_rc_box_new0(RunWorker);
  w->catalog = catalog;
  w->db_path = g_strdup(db_path);
  request_copy(&w->request, request);
  g_mutex_init(&w->lock);
  w->pending = g_ptr_array_new_with_free_func((GDestroyNotify)engine_event_free);
  w->events_func = events_func;
  w->user_data = user_data;
  w->done = done;
  g_autoptr(GTask) task = g_task_new(NULL, NULL, on_task_done, NULL);
  g_task_set_task_data(task, run_worker_ref(w), (GDestroyNotify)run_worker_unref);
  g_task_run_in_thread(task, run_thread);
  return w;
}

gboolean run_worker_finish(GAsyncResult *result, RunResult *out, GError **error)
{
  RunResult *r = g_task_propagate_pointer(G_TASK(result), error);
  if (!r)
    return FALSE;
  *out = *r;
  g_free(r);
  return TRUE;
}

void run_worker_abort(RunWorker *worker)
{
  g_mutex_lock(&worker->lock);
  worker->abort_requested = TRUE;
  if (worker->engine)
    engine_abort(worker->engine);
  g_mutex_unlock(&worker->lock);
}
