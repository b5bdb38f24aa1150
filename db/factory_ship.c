/* Shipping the outbox to the factory database (factory_ship.h). */
#include "db/factory_ship.h"
#include "db/outbox.h"

#define SHIP_BATCH 256
#define RECONNECT_MAX_S 60

gboolean factory_ship_queue(Store *store, FactoryDb *factory, gboolean due_only,
                            ShipTally *tally, char **rejection, GError **error)
{
  g_return_val_if_fail(store != NULL && factory != NULL && tally != NULL, FALSE);
  *tally = (ShipTally){0};
  /* a rejected run stays queued: it is passed over in this pass, not tried again */
  gint64 after = 0;
  for (;;) {
    g_autoptr(GArray) runs = store_outbox_runs(store, due_only, after, SHIP_BATCH, error);
    if (runs == NULL)
      return FALSE;
    if (runs->len == 0)
      break;
    for (guint i = 0; i < runs->len; i++) {
      gint64 run_id = g_array_index(runs, gint64, i);
      after = run_id;
      g_autoptr(GError) local = NULL;
      g_autoptr(RunDetail) run = store_get_run(store, run_id, &local);
      gboolean already = FALSE;
      if (run && factory_ship_run(factory, run, &already, &local)) {
        if (!store_outbox_shipped(store, run_id, error))
          return FALSE;
        if (already)
          tally->already++;
        else
          tally->shipped++;
        continue;
      }
      if (!store_outbox_failed(store, run_id, local->message, error))
        return FALSE;
      if (g_error_matches(local, FACTORY_ERROR, FACTORY_ERROR_LINK)) {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
      }
      tally->rejected++;
      g_debug("%s", local->message);
      if (rejection) {
        g_free(*rejection);
        *rejection = g_strdup(local->message);
      }
    }
  }
  OutboxStatus status;
  if (!store_outbox_status(store, &status, error))
    return FALSE;
  tally->remaining = status.queued;
  outbox_status_clear(&status);
  return TRUE;
}

/* ---- the background shipper ---- */

struct FactoryShipper {
  GThread *thread;
  char *db_path;
  FactoryConfig config;         /* a copy */
  FactoryShipperTask task;      /* run NULL: none */
  GMutex lock;
  GCond changed;
  gboolean nudged;              /* a run was queued since the last pass */
  gboolean stopping;            /* finish: ship what is queued, then end */
  gboolean idle;                /* the last pass left nothing due (with stopping: done) */
  gboolean queue_empty;         /* ... and nothing queued at all */
  gboolean ended;               /* the thread has returned */
};

/* Waits until nudged, stopping or delay_s passed; TRUE when it should go on. */
static gboolean wait_for_work(FactoryShipper *shipper, double delay_s)
{
  gint64 until = g_get_monotonic_time() + (gint64)(delay_s * G_USEC_PER_SEC);
  g_mutex_lock(&shipper->lock);
  while (!shipper->nudged && !shipper->stopping)
    if (!g_cond_wait_until(&shipper->changed, &shipper->lock, until))
      break;
  /* a run queued since the last pass is shipped, stopping or not */
  gboolean go_on = shipper->nudged || !shipper->stopping;
  shipper->nudged = FALSE;
  g_mutex_unlock(&shipper->lock);
  return go_on;
}

static void set_idle(FactoryShipper *shipper, gboolean idle, gboolean queue_empty)
{
  g_mutex_lock(&shipper->lock);
  shipper->idle = idle;
  shipper->queue_empty = queue_empty;
  g_cond_broadcast(&shipper->changed);
  g_mutex_unlock(&shipper->lock);
}

/* Runs the task when it is due and the shipper is not finishing; a connection the task
 * broke is closed, to be opened again by the next pass. */
static void run_task_when_due(FactoryShipper *shipper, Store *store, FactoryDb **factory,
                              gint64 *ran_at)
{
  if (shipper->task.run == NULL)
    return;
  g_mutex_lock(&shipper->lock);
  gboolean stopping = shipper->stopping;
  g_mutex_unlock(&shipper->lock);
  gint64 now = g_get_monotonic_time();
  if (stopping ||
      (*ran_at >= 0 && now - *ran_at < (gint64)(shipper->task.interval_s * G_USEC_PER_SEC)))
    return;
  shipper->task.run(store, *factory, shipper->task.data);
  *ran_at = now;
  if (!factory_connected(*factory))
    g_clear_pointer(factory, factory_close);
}

static gpointer shipper_main(gpointer data)
{
  FactoryShipper *shipper = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(Store) store = store_open_beside(shipper->db_path, &error);
  if (store == NULL)
    g_warning("factory shipper: %s", error->message);
  FactoryDb *factory = NULL;
  double backoff_s = 1;
  gint64 task_ran_at = -1;
  while (store != NULL) {
    g_clear_error(&error);
    if (factory == NULL) {
      factory = factory_open(&shipper->config, &error);
      if (factory == NULL) {
        g_message("%s; the runs stay queued, trying again in %.0f s", error->message,
                  backoff_s);
        store_outbox_attempted(store, error->message, NULL);
        set_idle(shipper, TRUE, FALSE);
        if (!wait_for_work(shipper, backoff_s))
          break;
        backoff_s = MIN(backoff_s * 2, RECONNECT_MAX_S);
        continue;
      }
      backoff_s = 1;
    }
    set_idle(shipper, FALSE, FALSE);
    ShipTally tally;
    if (!factory_ship_queue(store, factory, TRUE, &tally, NULL, &error)) {
      g_message("%s; the runs stay queued", error->message);
      g_clear_pointer(&factory, factory_close);
      set_idle(shipper, TRUE, FALSE);
      if (!wait_for_work(shipper, backoff_s))
        break;
      backoff_s = MIN(backoff_s * 2, RECONNECT_MAX_S);
      continue;
    }
    run_task_when_due(shipper, store, &factory, &task_ran_at);
    set_idle(shipper, TRUE, tally.remaining == 0);
    /* rejected runs come due after their own back-off */
    if (!wait_for_work(shipper, tally.remaining ? 1.0 : 30.0))
      break;
  }
  factory_close(factory);
  g_mutex_lock(&shipper->lock);
  shipper->ended = TRUE;
  g_cond_broadcast(&shipper->changed);
  g_mutex_unlock(&shipper->lock);
  return NULL;
}

FactoryShipper *factory_shipper_start(const char *db_path, const FactoryConfig *config,
                                      const FactoryShipperTask *task)
{
  FactoryShipper *shipper = g_new0(FactoryShipper, 1);
  if (task)
    shipper->task = *task;
  shipper->db_path = g_strdup(db_path);
  shipper->config.conninfo = g_strdup(config->conninfo);
  shipper->config.passfile = g_strdup(config->passfile);
  shipper->config.origin = g_strdup(config->origin);
  g_mutex_init(&shipper->lock);
  g_cond_init(&shipper->changed);
  shipper->thread = g_thread_new("factory-shipper", shipper_main, shipper);
  return shipper;
}

void factory_shipper_nudge(FactoryShipper *shipper)
{
  g_mutex_lock(&shipper->lock);
  shipper->nudged = TRUE;
  shipper->idle = FALSE;
  g_cond_broadcast(&shipper->changed);
  g_mutex_unlock(&shipper->lock);
}

static void shipper_free(FactoryShipper *shipper)
{
  g_free(shipper->db_path);
  if (shipper->task.destroy)
    shipper->task.destroy(shipper->task.data);
  factory_config_clear(&shipper->config);
  g_mutex_clear(&shipper->lock);
  g_cond_clear(&shipper->changed);
  g_free(shipper);
}

gboolean factory_shipper_finish(FactoryShipper *shipper, double wait_s)
{
  gint64 until = g_get_monotonic_time() + (gint64)(wait_s * G_USEC_PER_SEC);
  g_mutex_lock(&shipper->lock);
  shipper->stopping = TRUE;
  g_cond_broadcast(&shipper->changed);
  while (!shipper->ended)
    if (!g_cond_wait_until(&shipper->changed, &shipper->lock, until))
      break;
  gboolean ended = shipper->ended;
  gboolean empty = shipper->queue_empty;
  g_mutex_unlock(&shipper->lock);
  if (!ended) {
    /* inside a connection attempt or a transaction: left to the process's exit */
    g_thread_unref(shipper->thread);
    return FALSE;
  }
  g_thread_join(shipper->thread);
  shipper_free(shipper);
  return empty;
}
