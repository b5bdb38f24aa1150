/* Test harness for the twin: starts fixture-sim as a child process with ephemeral ports and
 * a private pty directory, learns its resources from the lines it prints, and talks raw
 * bytes to it (SCPI lines over TCP, Modbus RTU frames over the pty), every read bounded by a
 * deadline so that a silent twin fails a test instead of hanging it. */
#pragma once
#include <gio/gio.h>

#define HARNESS_TIMEOUT_MS 5000       /* ms, longest wait for an answer that must come */
#define HARNESS_SILENCE_MS 300        /* ms, how long "no answer" is listened for */
#define HARNESS_MAX_LINES 96          /* start-up lines read at most (the last is "ready") */
#define HARNESS_MAX_SLOTS 8

typedef struct {
  GSubprocess *process;
  char *pty_dir;                /* private directory, removed by harness_stop */
  char *lines[HARNESS_MAX_LINES + 1]; /* the start-up lines as printed, without LF;
                                    NULL-terminated */
  guint n_lines;                /* lines read, "ready" included */
  guint16 cellsim_port;
  guint16 control_port;
  guint16 eload_port;           /* 0 when the twin printed no such line */
  guint16 charger_port;
  guint16 dmm_port;
  guint16 switch_port;
  guint16 battery_port;
  char *rs485_path;             /* <pty_dir>/rs485 */
  /* Per slot of a twin started with --slots N (its lines "slot<k>.<role> …"), index k - 1;
   * slot 1's are also the fields above. */
  guint16 slot_cellsim_port[HARNESS_MAX_SLOTS];
  guint16 slot_control_port[HARNESS_MAX_SLOTS];
  char *slot_rs485_path[HARNESS_MAX_SLOTS];
  guint n_slots;                /* slots seen in the lines (1 without prefixes) */
} SimHarness;

/* Starts fixture-sim --cellsim-port 0 --control-port 0 --pty-dir <tmp> plus `extra_args`
 * (NULL-terminated, may be NULL) and reads its resource lines up to "ready" (in any order;
 * cellsim, control and rs485 must be among them). NULL with *error set on failure. */
SimHarness *harness_start(const char *const *extra_args, GError **error);
/* Sends SIGTERM, waits for the exit and frees everything. Returns the exit status, or -1
 * when the process did not exit normally. *link_removed (may be NULL) tells whether the twin
 * removed its rs485 symlink itself. */
int harness_stop(SimHarness *harness, gboolean *link_removed);
/* Runs fixture-sim with `args` to completion; returns its exit status and its stderr in
 * *stderr_text (newly allocated). */
int harness_run(const char *const *args, char **stderr_text);

/* TCP connection to 127.0.0.1:port, -1 on failure. */
int harness_connect(guint16 port);
/* Writes the whole text. */
gboolean harness_send(int fd, const char *text);
/* Reads one LF-terminated line (without the LF); NULL when none comes within timeout_ms. */
char *harness_read_line(int fd, int timeout_ms);
/* Sends `command` plus LF and reads the answer line (NULL on timeout). */
char *harness_query(int fd, const char *command);

/* Opens a serial device in raw mode, non-blocking. -1 on failure. */
int harness_open_serial(const char *path);
/* Sends `request` (CRC included) and reads one Modbus answer: returns its length, or 0 when
 * nothing arrives within timeout_ms. */
gsize harness_modbus(int fd, const guint8 *request, gsize length, guint8 *answer,
                     gsize answer_max, int timeout_ms);
/* Builds a request from `pdu` (address, function, data) plus its CRC into `out`; returns the
 * frame length. */
gsize harness_frame(const guint8 *pdu, gsize length, guint8 *out);
/* Reads `count` holding registers at `start` from slave 1 into values[]; FALSE (with the
 * exception code in *exception, 0 on silence) when the board does not answer with data. */
gboolean harness_read_registers(int fd, guint16 start, guint16 count, guint16 *values,
                                guint8 *exception);
/* Writes registers at `start` to slave 1; returns 0 on success, the exception code, or
 * 0xFF on silence. */
guint8 harness_write_registers(int fd, guint16 start, const guint16 *values, guint16 count);
