/* The board rig of the in-process twin tests: the model catalog, a cell simulator (seed 7)
 * and the twin's clock, made once per test program in its suite set-up, plus the steps that
 * put a board into that rig (its model looked up from the serial, its faults parsed, the
 * cell simulator's 25 channels powered at 3.3 V). Failures are CUnit assertions, so a board
 * that cannot be made stops the test that asked for it. */
#pragma once
#include <glib.h>
#include "fixtures/sim/sim_board.h"
#include "fixtures/sim/sim_cellsim.h"
#include "fixtures/sim/sim_clock.h"
#include "sequences/catalog.h"

typedef struct {
  Catalog *catalog;             /* the shipped model catalog */
  SimCellsim *cells;            /* the cell simulator every board is inserted on, seed 7 */
  SimClock *clock;              /* the twin's clock, in the mode board_rig_open was given */
} BoardRig;

/* The one rig of this test program: empty until board_rig_open, emptied by board_rig_close. */
extern BoardRig board_rig;

/* Loads the catalog, makes the cell simulator and a clock in `clock_mode`; 0, or 1 with the
 * reason on stderr (a CUnit suite set-up's result). */
int board_rig_open(SimClockMode clock_mode);
/* Frees what board_rig_open made; always 0 (usable as a CUnit suite clean-up). */
int board_rig_close(void);
/* Runs SCPI `line` (commands separated by ';') on the cell simulator; the answer is dropped. */
void board_rig_cellsim(const char *line);
/* Parses `faults` (catalog syntax, NULL for none; asserted) and inserts `board` into the
 * rig's cell simulator and clock with them. */
void board_rig_insert(SimBoard *board, const char *faults);
/* A new board of `serial`'s model (the serial's first field, asserted to be in the catalog),
 * inserted with `faults` after the cell simulator is reset and all 25 channels output
 * 3.3 V. The caller frees it with sim_board_free. */
SimBoard *board_rig_new_board(const char *serial, const char *faults);
