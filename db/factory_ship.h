/* Shipping the outbox to the factory database: each queued run in its own transaction, in
 * the order the runs were made; the background shipper (a GLib thread with its own
 * connections) for commands that test boards. A run leaves the queue only once the factory
 * database has it; a failure keeps it queued with the reason. */
#pragma once
#include <glib.h>
#include "db/factory.h"
#include "db/store.h"

typedef struct {
  gint64 shipped;               /* runs written to the factory database */
  gint64 already;               /* runs it had already (a resend): taken off the queue */
  gint64 rejected;              /* runs it refused: still queued with the reason */
  gint64 remaining;             /* runs still queued after the pass */
} ShipTally;

/* Ships the queued runs (every one, or only those whose back-off has passed) until none is
 * left or the connection breaks. FALSE with the error when the connection broke or the local
 * database failed (the runs not shipped stay queued); TRUE otherwise, rejected runs counted in
 * the tally (the last reason in *rejection when not NULL). */
gboolean factory_ship_queue(Store *store, FactoryDb *factory, gboolean due_only,
                            ShipTally *tally, char **rejection, GError **error);

typedef struct FactoryShipper FactoryShipper;

/* Work the shipper does besides shipping, on its own connections (the station takes the
 * factory database's firmware releases so): after a pass that reached the factory database,
 * first at once and then at most every interval_s, never while it is finishing. */
typedef struct {
  void (*run)(Store *store, FactoryDb *factory, gpointer data);
  gpointer data;                /* the shipper's from the start: freed with destroy */
  GDestroyNotify destroy;
  double interval_s;
} FactoryShipperTask;

/* Starts the shipper's thread on the result database at db_path (open in this process): it
 * connects, ships what is due, and keeps retrying with back-off (1 s doubled up to 60 s)
 * while the factory database cannot be reached; it never touches the caller's connection.
 * task (copied; NULL: none) runs beside the shipping. */
FactoryShipper *factory_shipper_start(const char *db_path, const FactoryConfig *config,
                                      const FactoryShipperTask *task);
/* A run has been queued: ship it now (a shipper waiting out its back-off tries at once). */
void factory_shipper_nudge(FactoryShipper *shipper);
/* Lets the shipper ship what is queued for at most wait_s seconds, then stops it; TRUE when
 * the queue was empty at the end. A shipper still inside a transaction then is left to the
 * process's exit (the server rolls it back; the run stays queued). */
gboolean factory_shipper_finish(FactoryShipper *shipper, double wait_s);
