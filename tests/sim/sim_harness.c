/* Test harness for the twin (see sim_harness.h). */
#include "tests/sim/sim_harness.h"
#include "fixtures/sim/sim_modbus.h"
#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* Milliseconds left until `deadline_us` (monotonic), at least 0. */
static int remaining_ms(gint64 deadline_us)
{
  gint64 left = (deadline_us - g_get_monotonic_time()) / 1000;
  return left > 0 ? (int)left : 0;
}

/* Reads one line from `fd` byte by byte until LF or the deadline. */
static char *read_line_until(int fd, gint64 deadline_us)
{
  GString *line = g_string_new(NULL);
  for (;;) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, remaining_ms(deadline_us));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      break;
    char c;
    ssize_t got = read(fd, &c, 1);
    if (got < 0 && (errno == EAGAIN || errno == EINTR))
      continue;
    if (got <= 0)
      break;
    if (c == '\n')
      return g_string_free(line, FALSE);
    g_string_append_c(line, c);
  }
  g_string_free(line, TRUE);
  return NULL;
}

/* The port number in "TCPIP::127.0.0.1::<port>::SOCKET", 0 when malformed. */
static guint16 port_of(const char *resource)
{
  g_auto(GStrv) parts = g_strsplit(resource, "::", -1);
  if (g_strv_length(parts) != 4)
    return 0;
  return (guint16)g_ascii_strtoull(parts[2], NULL, 10);
}

/* A resource line, "<role> <resource>" or "slot<k>.<role> <resource>" of a twin of slots. */
static void note_line(SimHarness *harness, const char *line)
{
  guint slot = 1;
  if (g_str_has_prefix(line, "slot") && strchr(line, '.')) {
    slot = (guint)g_ascii_strtoull(line + strlen("slot"), NULL, 10);
    line = strchr(line, '.') + 1;
  }
  if (slot < 1 || slot > HARNESS_MAX_SLOTS)
    return;
  harness->n_slots = MAX(harness->n_slots, slot);
  if (g_str_has_prefix(line, "cellsim "))
    harness->slot_cellsim_port[slot - 1] = port_of(line + strlen("cellsim "));
  else if (g_str_has_prefix(line, "control "))
    harness->slot_control_port[slot - 1] = port_of(line + strlen("control "));
  else if (g_str_has_prefix(line, "rs485 ASRL") && g_str_has_suffix(line, "::INSTR") &&
           !harness->slot_rs485_path[slot - 1])
    harness->slot_rs485_path[slot - 1] = g_strndup(
        line + strlen("rs485 ASRL"), strlen(line) - strlen("rs485 ASRL") - strlen("::INSTR"));
  if (slot != 1)
    return;
  if (g_str_has_prefix(line, "eload "))
    harness->eload_port = port_of(line + strlen("eload "));
  else if (g_str_has_prefix(line, "charger "))
    harness->charger_port = port_of(line + strlen("charger "));
  else if (g_str_has_prefix(line, "dmm "))
    harness->dmm_port = port_of(line + strlen("dmm "));
  else if (g_str_has_prefix(line, "switch "))
    harness->switch_port = port_of(line + strlen("switch "));
  else if (g_str_has_prefix(line, "battery "))
    harness->battery_port = port_of(line + strlen("battery "));
  harness->cellsim_port = harness->slot_cellsim_port[0];
  harness->control_port = harness->slot_control_port[0];
  if (!harness->rs485_path && harness->slot_rs485_path[0])
    harness->rs485_path = g_strdup(harness->slot_rs485_path[0]);
}

SimHarness *harness_start(const char *const *extra_args, GError **error)
{
  SimHarness *harness = g_new0(SimHarness, 1);
  harness->pty_dir = g_dir_make_tmp("sim-test-XXXXXX", error);
  if (!harness->pty_dir) {
    g_free(harness);
    return NULL;
  }
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)FIXTURE_SIM_PATH);
  g_ptr_array_add(argv, (gpointer)"--cellsim-port");
  g_ptr_array_add(argv, (gpointer)"0");
  g_ptr_array_add(argv, (gpointer)"--control-port");
  g_ptr_array_add(argv, (gpointer)"0");
  g_ptr_array_add(argv, (gpointer)"--pty-dir");
  g_ptr_array_add(argv, harness->pty_dir);
  for (guint i = 0; extra_args && extra_args[i]; i++)
    g_ptr_array_add(argv, (gpointer)extra_args[i]);
  g_ptr_array_add(argv, NULL);
  harness->process = g_subprocess_newv((const char *const *)argv->pdata,
                                       G_SUBPROCESS_FLAGS_STDOUT_PIPE, error);
  g_ptr_array_free(argv, TRUE);
  if (!harness->process) {
    harness_stop(harness, NULL);
    return NULL;
  }
  int out = g_unix_input_stream_get_fd(
      G_UNIX_INPUT_STREAM(g_subprocess_get_stdout_pipe(harness->process)));
  gint64 deadline = g_get_monotonic_time() + HARNESS_TIMEOUT_MS * 1000;
  gboolean ready = FALSE;
  while (!ready && harness->n_lines < HARNESS_MAX_LINES) {
    char *line = read_line_until(out, deadline);
    if (!line)
      break;
    harness->lines[harness->n_lines++] = line;
    ready = strcmp(line, "ready") == 0;
    note_line(harness, line);
  }
  if (!ready || !harness->cellsim_port || !harness->control_port || !harness->rs485_path) {
    g_autofree char *seen = g_strjoinv(" | ", harness->lines);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "fixture-sim start-up lines lack ready, cellsim, control or rs485 (exited or "
                "timed out?): %s", seen);
    harness_stop(harness, NULL);
    return NULL;
  }
  return harness;
}

int harness_stop(SimHarness *harness, gboolean *link_removed)
{
  int status = -1;
  if (harness->process) {
    g_subprocess_send_signal(harness->process, SIGTERM);
    g_subprocess_wait(harness->process, NULL, NULL);
    if (g_subprocess_get_if_exited(harness->process))
      status = g_subprocess_get_exit_status(harness->process);
    g_object_unref(harness->process);
  }
  if (harness->pty_dir) {
    /* Whatever the twin left behind; a clean twin has removed its symlink already. */
    g_autofree char *link = g_build_filename(harness->pty_dir, "rs485", NULL);
    GStatBuf st;
    gboolean left = g_lstat(link, &st) == 0;
    if (link_removed)
      *link_removed = !left;
    if (left)
      g_unlink(link);
    for (guint k = 1; k <= HARNESS_MAX_SLOTS; k++) {
      g_autofree char *name = g_strdup_printf("slot%u", k);
      g_autofree char *dir = g_build_filename(harness->pty_dir, name, NULL);
      g_rmdir(dir);
    }
    g_rmdir(harness->pty_dir);
  }
  for (guint i = 0; i < harness->n_lines; i++)
    g_free(harness->lines[i]);
  g_free(harness->rs485_path);
  for (guint k = 0; k < HARNESS_MAX_SLOTS; k++)
    g_free(harness->slot_rs485_path[k]);
  g_free(harness->pty_dir);
  g_free(harness);
  return status;
}

int harness_run(const char *const *args, char **stderr_text)
{
  GPtrArray *argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)FIXTURE_SIM_PATH);
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add(argv, (gpointer)args[i]);
  g_ptr_array_add(argv, NULL);
  g_autoptr(GSubprocess) process = g_subprocess_newv(
      (const char *const *)argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, NULL);
  g_ptr_array_free(argv, TRUE);
  *stderr_text = NULL;
  if (!process)
    return -1;
  if (!g_subprocess_communicate_utf8(process, NULL, NULL, NULL, stderr_text, NULL))
    return -1;
  return g_subprocess_get_if_exited(process) ? g_subprocess_get_exit_status(process) : -1;
}

int harness_connect(guint16 port)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

gboolean harness_send(int fd, const char *text)
{
  gsize length = strlen(text), done = 0;
  while (done < length) {
    ssize_t written = write(fd, text + done, length - done);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      return FALSE;
    done += (gsize)written;
  }
  return TRUE;
}

char *harness_read_line(int fd, int timeout_ms)
{
  return read_line_until(fd, g_get_monotonic_time() + (gint64)timeout_ms * 1000);
}

char *harness_query(int fd, const char *command)
{
  g_autofree char *line = g_strconcat(command, "\n", NULL);
  if (!harness_send(fd, line))
    return NULL;
  return harness_read_line(fd, HARNESS_TIMEOUT_MS);
}

int harness_open_serial(const char *path)
{
  int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return -1;
  struct termios tio;
  if (tcgetattr(fd, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(fd, TCSANOW, &tio);
  }
  return fd;
}

gsize harness_frame(const guint8 *pdu, gsize length, guint8 *out)
{
  memcpy(out, pdu, length);
  guint16 crc = sim_modbus_crc16(pdu, length);
  out[length] = (guint8)(crc & 0xFF);
  out[length + 1] = (guint8)(crc >> 8);
  return length + 2;
}

/* Length of a complete answer given its first bytes, 0 while unknown. */
static gsize answer_length(const guint8 *answer, gsize have)
{
  if (have < 2)
    return 0;
  if (answer[1] & 0x80)
    return 5;
  if (answer[1] == 0x03)
    return have < 3 ? 0 : 5u + answer[2];
  return 8;
}

gsize harness_modbus(int fd, const guint8 *request, gsize length, guint8 *answer,
                     gsize answer_max, int timeout_ms)
{
  if (write(fd, request, length) != (ssize_t)length)
    return 0;
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  gsize have = 0;
  for (;;) {
    gsize need = answer_length(answer, have);
    if (need && have >= need)
      return have;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, remaining_ms(deadline));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      return have;
    ssize_t got = read(fd, answer + have, answer_max - have);
    if (got > 0)
      have += (gsize)got;
    else if (got < 0 && errno != EAGAIN && errno != EINTR)
      return have;
    if (have == answer_max)
      return have;
  }
}

gboolean harness_read_registers(int fd, guint16 start, guint16 count, guint16 *values,
                                guint8 *exception)
{
  guint8 pdu[6] = {1, 0x03, (guint8)(start >> 8), (guint8)start, (guint8)(count >> 8),
                   (guint8)count};
  guint8 request[8], answer[300];
  harness_frame(pdu, sizeof pdu, request);
  gsize got = harness_modbus(fd, request, sizeof request, answer, sizeof answer,
                             HARNESS_TIMEOUT_MS);
  *exception = 0;
  if (got == 5 && answer[1] == 0x83) {
    *exception = answer[2];
    return FALSE;
  }
  if (got != 5u + 2u * count || answer[1] != 0x03 || answer[2] != 2 * count ||
      sim_modbus_crc16(answer, got) != 0)
    return FALSE;
  for (guint i = 0; i < count; i++)
    values[i] = (guint16)(answer[3 + 2 * i] << 8 | answer[4 + 2 * i]);
  return TRUE;
}

guint8 harness_write_registers(int fd, guint16 start, const guint16 *values, guint16 count)
{
  guint8 pdu[7 + 2 * 123];
  pdu[0] = 1;
  pdu[1] = 0x10;
  pdu[2] = (guint8)(start >> 8);
  pdu[3] = (guint8)start;
  pdu[4] = (guint8)(count >> 8);
  pdu[5] = (guint8)count;
  pdu[6] = (guint8)(2 * count);
  for (guint i = 0; i < count; i++) {
    pdu[7 + 2 * i] = (guint8)(values[i] >> 8);
    pdu[8 + 2 * i] = (guint8)values[i];
  }
  guint8 request[sizeof pdu + 2], answer[16];
  gsize length = harness_frame(pdu, 7u + 2u * count, request);
  gsize got = harness_modbus(fd, request, length, answer, sizeof answer, HARNESS_TIMEOUT_MS);
  if (got == 5 && answer[1] == 0x90)
    return answer[2];
  if (got == 8 && answer[1] == 0x10 && sim_modbus_crc16(answer, got) == 0)
    return 0;
  return 0xFF;
}
