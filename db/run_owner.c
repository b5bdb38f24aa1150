/* Per-run owner locks (see run_owner.h). */
#include "db/run_owner.h"
#include "db/store.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static struct flock run_byte(short type, gint64 run_id)
{
  struct flock lock;
  memset(&lock, 0, sizeof lock);
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = (off_t)run_id;
  lock.l_len = 1;
  return lock;
}

int run_owner_open(const char *db_path, GError **error)
{
  g_autofree char *path = g_strconcat(db_path, ".runs", NULL);
  int fd = g_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    int saved_errno = errno;
    g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
                "cannot create the run lock file %s: %s (check that the folder is writable)",
                path, g_strerror(saved_errno));
  }
  return fd;
}

gboolean run_owner_claim(int fd, gint64 run_id, const char *db_path, GError **error)
{
  struct flock lock = run_byte(F_WRLCK, run_id);
  if (fcntl(fd, F_OFD_SETLK, &lock) == 0)
    return TRUE;
  int saved_errno = errno;
  g_set_error(error, STORE_ERROR, STORE_ERROR_OPEN,
              "cannot take the owner lock of run %" G_GINT64_FORMAT " in %s.runs: %s", run_id,
              db_path, g_strerror(saved_errno));
  return FALSE;
}

void run_owner_release(int fd, gint64 run_id)
{
  struct flock lock = run_byte(F_UNLCK, run_id);
  (void)fcntl(fd, F_OFD_SETLK, &lock);
}

gboolean run_owner_alive(int fd, gint64 run_id)
{
  struct flock lock = run_byte(F_WRLCK, run_id);
  if (fcntl(fd, F_OFD_GETLK, &lock) != 0)
    return TRUE;                /* cannot tell: leave the run alone */
  return lock.l_type != F_UNLCK;
}
