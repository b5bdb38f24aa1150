/* The shift start's golden-board rule: what a golden board's run must show for the fixture's
 * check to pass, and whether a production run may start on a fixture in this shift.
 *
 * A golden check passes when a known bad board fails (FAIL: the station still catches a
 * defect; an ERROR is a station that could not test, not a catch) and when a known good board
 * passes with every two-sided measurement other than a time within GOLDEN_TOLERANCE_OF_BAND
 * of its band from the value its reference run gave (the board's first passing check, or a
 * run an engineer named). A production run on a fixture is allowed when the latest check
 * this shift of every golden board of the fixture passed; the policy (the station's
 * configuration) says what a fixture without golden boards gets. */
#pragma once
#include <glib.h>
#include "db/golden.h"
#include "db/store.h"
#include "station/measurement.h"
#include "station/shift.h"

typedef enum {
  GOLDEN_POLICY_REGISTERED,     /* a fixture with golden boards needs the shift's check */
  GOLDEN_POLICY_REQUIRED,       /* every fixture needs it: one without golden boards refuses */
  GOLDEN_POLICY_OFF,            /* no check is needed (engineering stations, bring-up) */
} GoldenPolicy;

gboolean golden_policy_from_string(const char *text, GoldenPolicy *out);

/* Why a reference run and not the limits narrowed to the middle of their band: a golden check
 * is there to see the fixture change (an instrument drifting, worn contacts adding
 * resistance), and a good board's readings do not sit in the middle of every band (a
 * programmed delay sits where it is programmed, a heater voltage where U/R puts it), so a
 * narrowed band fails good boards for where they are and still misses a drift that keeps
 * them inside it. The same board measured again on a sound fixture repeats its own values.
 *
 * Why a quarter of the band: the tolerance must hold what the measurement itself repeats, or
 * a sound fixture fails its check and stops the line. AIAG MSA calls a measurement system
 * whose spread is 10 to 30 % of the tolerance acceptable for some uses, and the twin's good
 * boards measured again and again repeat within 19 % of the band at most (the heater current,
 * the pack voltage, trip points found at their search resolution), so 25 % passes a sound
 * fixture and catches a change of a quarter of the band, long before a production board
 * would fail on it. Times (unit s, ms, us) are not compared: the station finds them by
 * polling the board, so they repeat only within a poll period, which is up to a whole band
 * of a delay; they are judged against their limits, as every measurement is. */
#define GOLDEN_TOLERANCE_OF_BAND 0.25

/* Judges a golden board's run: expect "pass" or "fail", the run's outcome, first failing step
 * and message, its stored record and that of the reference run (NULL: none yet). TRUE when
 * the check passes; reason says what was judged or why it failed (freeing). */
gboolean golden_judge(const char *expect, Outcome outcome, const char *first_failure,
                      const char *message, const RunDetail *run, const RunDetail *reference,
                      char **reason);

/* Whether a production run may start on fixture_id (its file fixture_path, for the command
 * to run) in shift: boards are the fixture's golden boards (GoldenBoardRow*), checks the
 * latest check of each on the fixture in this shift (GoldenCheckRow*). FALSE with
 * STATION_ERROR_SHIFT_START in one sentence naming the fixture, the shift and the command. */
gboolean golden_gate(GoldenPolicy policy, const char *fixture_id, const char *fixture_path,
                     const Shift *shift, const GPtrArray *boards, const GPtrArray *checks,
                     GError **error);

/* golden_gate on what the store holds: the golden boards of fixture_id and their latest checks
 * in shift; *needed (may be NULL) is set to whether the fixture needs a check at all. FALSE
 * with the gate's error, or the store's. */
gboolean golden_gate_from_store(Store *store, GoldenPolicy policy, const char *fixture_id,
                                const char *fixture_path, const Shift *shift,
                                gboolean *needed, GError **error);
/* The operator's line on the fixture's shift start now: "Golden check: passed for shift 2 of
 * 2026-12-07.", or the sentence a production run would be refused with; NULL when the fixture
 * needs no check. The fixture file (slot 0: its first) is read, no instrument touched. */
char *golden_status_line(const char *db_path, GoldenPolicy policy, const char *fixture_path,
                         int slot);
