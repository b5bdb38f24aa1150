/* Who owns a RUNNING run: the process that started it holds a write lock on one byte of a
 * lock file beside the database (<path>.runs, byte offset = run id) for as long as the run
 * goes on. The lock is an open-file-description lock, so the kernel drops it when the owner
 * dies (kill -9, crash) and another station, with the database still open by others, can
 * tell a run that stopped from one that is going on. */
#pragma once
#include <glib.h>

/* Opens (creating) the lock file of the database at db_path; -1 with the error. */
int run_owner_open(const char *db_path, GError **error);
/* Takes the run's byte; FALSE with the error when it cannot (another process holds it). */
gboolean run_owner_claim(int fd, gint64 run_id, const char *db_path, GError **error);
/* Gives the run's byte back (the run has ended). */
void run_owner_release(int fd, gint64 run_id);
/* TRUE when a process other than this file description holds the run's byte. */
gboolean run_owner_alive(int fd, gint64 run_id);
