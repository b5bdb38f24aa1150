/* Connecting to the factory database (factory_private.h), with every way it fails told in one
 * sentence that says what was wrong and what to do. The password file is checked first, as
 * libpq would read it (factory.h). The connection is then polled, not made in one blocking
 * call, to know whether it got to the server; then libpq says whether the server asked a
 * password and whether it had one, and the server's SQLSTATE (in libpq's verbose message)
 * what it refused. Those, not the words, which come in the station's and the server's
 * languages, pick the sentence; the reason given follows it in parentheses. No password is
 * ever in a message: the connection string holds none (factory_parse_conninfo) and libpq's
 * words never quote the password file's. */
#include "db/factory_private.h"
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the password file libpq reads comes from, in libpq's order; *named_by says where it
 * was named (for messages), *required whether it must exist (~/.pgpass need not). */
static char *passfile_path(const FactoryConfig *config, const PQconninfoOption *options,
                           char **named_by, gboolean *required)
{
  const char *origin = config->origin ? config->origin : "the station's configuration";
  *required = TRUE;
  if (config->passfile) {
    *named_by = g_strdup_printf("passfile in [factory] of %s", origin);
    return g_strdup(config->passfile);
  }
  const char *in_string = options ? factory_option_value(options, "passfile") : NULL;
  if (in_string) {
    *named_by = g_strdup_printf("passfile in the connection string of %s", origin);
    return g_strdup(in_string);
  }
  const char *env = g_getenv("PGPASSFILE");
  if (env && *env) {
    *named_by = g_strdup("the environment's PGPASSFILE");
    return g_strdup(env);
  }
  *required = FALSE;
  *named_by = g_strdup("libpq's default");
  return g_build_filename(g_get_home_dir(), ".pgpass", NULL);
}

/* Checks the password file as libpq would read it; FALSE with FACTORY_ERROR_CONFIG. */
static gboolean check_passfile(const char *path, const char *named_by, gboolean required,
                               GError **error)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    int saved_errno = errno;
    if (saved_errno == ENOENT && !required)
      return TRUE;              /* no password file: the server may not ask one */
    if (saved_errno == ENOENT)
      g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONFIG,
                  "the factory database's password file %s (%s) does not exist: create it "
                  "with the line host:port:dbname:user:password and make it private (chmod "
                  "600)", path, named_by);
    else
      g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONFIG,
                  "the factory database's password file %s (%s) cannot be read (%s): make it "
                  "readable by the station's user only (chmod 600)", path, named_by,
                  g_strerror(saved_errno));
    return FALSE;
  }
  if (!S_ISREG(st.st_mode)) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONFIG,
                "the factory database's password file %s (%s) is not a plain file, and libpq "
                "reads only a plain file: name a file holding the line "
                "host:port:dbname:user:password", path, named_by);
    return FALSE;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONFIG,
                "the factory database's password file %s (%s) is open to its group or others "
                "(mode %04o), and libpq ignores such a file: make it private with chmod 600 %s",
                path, named_by, (unsigned)(st.st_mode & 07777), path);
    return FALSE;
  }
  if (access(path, R_OK) != 0) {
    int saved_errno = errno;
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONFIG,
                "the factory database's password file %s (%s) cannot be read by user %s "
                "(%s): give it to that user (chown), private (chmod 600)", path, named_by,
                g_get_user_name(), g_strerror(saved_errno));
    return FALSE;
  }
  return TRUE;
}

gboolean factory_passfile_check(const FactoryConfig *config, GError **error)
{
  PQconninfoOption *options = config->conninfo ? factory_parse_conninfo(config, NULL) : NULL;
  g_autofree char *named_by = NULL;
  gboolean required;
  g_autofree char *path = passfile_path(config, options, &named_by, &required);
  PQconninfoFree(options);
  return check_passfile(path, named_by, required, error);
}

/* Whether the connection got to the server before it ended, by its states. */
static gboolean reached_server(ConnStatusType status)
{
  return status != CONNECTION_STARTED && status != CONNECTION_NEEDED &&
         status != CONNECTION_BAD;
}

/* The connection's time limit in s from connect_timeout, as libpq reads it (at least 2 s);
 * 0 for none (0 or not given). */
static int timeout_of(const PQconninfoOption *options, const char *const *keywords,
                      const char *const *values)
{
  const char *text = factory_option_value(options, "connect_timeout");
  for (guint i = 0; keywords[i]; i++)
    if (strcmp(keywords[i], "connect_timeout") == 0)
      text = values[i];
  int seconds = text ? atoi(text) : 0;
  return seconds <= 0 ? 0 : MAX(seconds, 2);
}

/* Polls the connection to its end; *reached whether it got to the server, *timed_out when
 * the deadline passed first. */
static void poll_connection(PGconn *conn, gint64 deadline, gboolean *reached,
                            gboolean *timed_out)
{
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  *reached = *timed_out = FALSE;
  for (;;) {
    ConnStatusType status = PQstatus(conn);
    *reached |= reached_server(status);
    if (status == CONNECTION_BAD || polling == PGRES_POLLING_FAILED ||
        polling == PGRES_POLLING_OK)
      return;
    struct pollfd wait = {.fd = PQsocket(conn),
                          .events = polling == PGRES_POLLING_READING ? POLLIN : POLLOUT};
    gint64 left_us = deadline < 0 ? -1 : deadline - g_get_monotonic_time();
    if (deadline >= 0 && left_us <= 0) {
      *timed_out = TRUE;
      return;
    }
    int ready = poll(&wait, 1, left_us < 0 ? -1 : (int)MAX(1, left_us / 1000));
    if (ready < 0 && errno != EINTR) {
      *timed_out = TRUE;        /* cannot wait: as good as no answer */
      return;
    }
    if (ready > 0)
      polling = PQconnectPoll(conn);
  }
}

/* The server's SQLSTATE and its words from libpq's verbose message ("connection to server at
 * ..., port 5432 failed: FATAL:  28P01: password authentication failed ..."), else libpq's
 * own reason without that preamble (what follows the port); *sqlstate "" when the server gave
 * none. The reason is freeing. */
static char *reason_of(PGconn *conn, char sqlstate[6])
{
  g_auto(GStrv) lines = g_strsplit(PQerrorMessage(conn), "\n", -1);
  /* an SQLSTATE has a digit, unlike a severity of five letters (FATAL, PANIC) */
  g_autoptr(GRegex) with_state = g_regex_new("\\s(?=[0-9A-Z]*[0-9])([0-9A-Z]{5}):\\s+(.*)$",
                                             0, 0, NULL);
  sqlstate[0] = '\0';
  for (guint i = 0; lines[i]; i++) {
    g_autoptr(GMatchInfo) match = NULL;
    if (g_regex_match(with_state, lines[i], 0, &match)) {
      g_autofree char *code = g_match_info_fetch(match, 1);
      g_strlcpy(sqlstate, code, 6);
      return g_strstrip(g_match_info_fetch(match, 2));
    }
  }
  const char *first = lines[0] && *lines[0] ? lines[0] : "no reason given";
  const char *port = PQport(conn);
  const char *after_port = port && *port ? strstr(first, port) : NULL;
  const char *colon = after_port ? strstr(after_port, ": ") : NULL;
  return g_strstrip(g_strdup(colon ? colon + 2 : first));
}

/* Whether the configured host is a name this station cannot resolve (one host, no hostaddr,
 * not a socket folder). */
static gboolean host_unknown(const PQconninfoOption *options, const char *host)
{
  if (host == NULL || *host == '\0' || *host == '/' || strchr(host, ',') ||
      factory_option_value(options, "hostaddr"))
    return FALSE;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *found = NULL;
  int failed = getaddrinfo(host, NULL, &hints, &found);
  if (found)
    freeaddrinfo(found);
  return failed == EAI_NONAME || failed == EAI_FAIL
#ifdef EAI_NODATA
         || failed == EAI_NODATA
#endif
      ;
}

/* Sets the error of a connection that failed: by whether it reached the server, what libpq
 * says of the password, then the server's SQLSTATE. */
static void set_connect_error(PGconn *conn, const FactoryConfig *config,
                              const PQconninfoOption *options, const char *description,
                              gboolean reached, int timed_out_s, GError **error)
{
  const char *origin = config->origin ? config->origin : "the station's configuration";
  const char *host = factory_option_value(options, "host");
  const char *port = factory_option_value(options, "port");
  const char *user = PQuser(conn) ? PQuser(conn) : "?";
  const char *dbname = PQdb(conn) ? PQdb(conn) : "?";
  char sqlstate[6];
  g_autofree char *reason = reason_of(conn, sqlstate);
  if (port == NULL && PQport(conn) && *PQport(conn))
    port = PQport(conn);
  g_autofree char *server = g_strdup_printf("%s port %s", host ? host : PQhost(conn),
                                            port ? port : "5432");
  g_autofree char *named_by = NULL;
  gboolean required;
  g_autofree char *passfile = passfile_path(config, options, &named_by, &required);
  if (timed_out_s) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONNECT,
                "the factory database server %s did not answer %s within %d s "
                "(connect_timeout): check that it is running and reachable from this station, "
                "or correct host and port in [factory] database of %s", server,
                reached ? "the login" : "the connection", timed_out_s, origin);
  } else if (!reached && host_unknown(options, host)) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONNECT,
                "the factory database's host '%s' is not known to this station (%s): "
                "correct host in [factory] database of %s, or add the name to the station's "
                "DNS or /etc/hosts", host, reason, origin);
  } else if (!reached) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONNECT,
                "the factory database server %s cannot be reached (%s): check that it is "
                "running and accepts connections from this station there, or correct host "
                "and port in [factory] database of %s", server, reason, origin);
  } else if (PQconnectionNeedsPassword(conn)) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONNECT,
                "the factory database server %s asks a password for user '%s' and the "
                "password file %s (%s) has none for it: add the line %s:%s:%s:%s:PASSWORD "
                "there", server, user, passfile, named_by, host ? host : "*",
                port ? port : "*", dbname, user);
  } else if (strcmp(sqlstate, "28P01") == 0 && PQconnectionUsedPassword(conn)) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONNECT,
                "the factory database server %s refused the login of user '%s', "
                "authentication failed with the password from %s (%s): correct that password "
                "there, or ask the database's administrator for the right one", server, user,
                passfile, reason);
  } else if (g_str_has_prefix(sqlstate, "28")) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONNECT,
                "the factory database server %s refused the login of user '%s' to database "
                "'%s' (%s): ask the database's administrator to let this station in "
                "(pg_hba.conf, the role), or correct user and dbname in [factory] database of "
                "%s", server, user, dbname, reason, origin);
  } else if (strcmp(sqlstate, "3D000") == 0) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONNECT,
                "the factory database server %s has no database '%s' (%s): correct dbname in "
                "[factory] database of %s, or ask the database's administrator to create it",
                server, dbname, reason, origin);
  } else {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONNECT,
                "cannot connect to the factory database %s (%s): correct [factory] database "
                "in %s, or ask the database's administrator", description, reason, origin);
  }
}

PGconn *factory_connect(const FactoryConfig *config, const PQconninfoOption *options,
                        const char *const *keywords, const char *const *values,
                        const char *description, GError **error)
{
  if (!factory_passfile_check(config, error))
    return NULL;
  int timeout_s = timeout_of(options, keywords, values);
  gint64 deadline = timeout_s ? g_get_monotonic_time() + timeout_s * G_USEC_PER_SEC : -1;
  PGconn *conn = PQconnectStartParams(keywords, values, 1);
  if (conn == NULL) {
    g_set_error(error, FACTORY_ERROR, FACTORY_ERROR_CONNECT,
                "cannot connect to the factory database %s: out of memory", description);
    return NULL;
  }
  /* the server's SQLSTATE in its messages, which tells what it refused in any language */
  PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
  gboolean reached, timed_out;
  poll_connection(conn, deadline, &reached, &timed_out);
  if (!timed_out && PQstatus(conn) == CONNECTION_OK) {
    PQsetErrorVerbosity(conn, PQERRORS_DEFAULT);
    return conn;
  }
  set_connect_error(conn, config, options, description, reached, timed_out ? timeout_s : 0,
                    error);
  PQfinish(conn);
  return NULL;
}
