/* The board rig of the in-process twin tests: one catalog, cell simulator and clock per test
 * program, and the steps that make a board and put it into them (see board_rig.h). */
#include "tests/sim/board_rig.h"
#include "fixtures/sim/sim_faults.h"
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#define RIG_CELLSIM_SEED 7            /* seed of the rig's cell simulator */

BoardRig board_rig;

int board_rig_open(SimClockMode clock_mode)
{
  g_autoptr(GError) error = NULL;
  board_rig.catalog = catalog_load_default(&error);
  if (!board_rig.catalog) {
    fprintf(stderr, "catalog: %s\n", error->message);
    return 1;
  }
  board_rig.cells = sim_cellsim_new(RIG_CELLSIM_SEED);
  board_rig.clock = sim_clock_new();
  sim_clock_set_mode(board_rig.clock, clock_mode);
  return 0;
}

int board_rig_close(void)
{
  g_clear_pointer(&board_rig.clock, sim_clock_free);
  g_clear_pointer(&board_rig.cells, sim_cellsim_free);
  g_clear_pointer(&board_rig.catalog, catalog_free);
  return 0;
}

void board_rig_cellsim(const char *line)
{
  GString *reply = g_string_new(NULL);
  sim_scpi_execute_line(sim_cellsim_scpi(board_rig.cells), line, strlen(line), reply);
  g_string_free(reply, TRUE);
}

void board_rig_insert(SimBoard *board, const char *faults)
{
  g_autoptr(GArray) list = g_array_new(FALSE, FALSE, sizeof(SimFault));
  CU_ASSERT_TRUE_FATAL(sim_faults_parse(faults ? faults : "", list, NULL));
  sim_board_insert(board, board_rig.cells, board_rig.clock, list);
}

SimBoard *board_rig_new_board(const char *serial, const char *faults)
{
  g_auto(GStrv) parts = g_strsplit(serial, "-", 2);
  const ModelInfo *model = catalog_find(board_rig.catalog, parts[0], NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(model);
  SimBoard *board = sim_board_new(serial, model);
  board_rig_cellsim("*RST;SOUR:VOLT 3.3,(@1:25);OUTP:ONOFF 1,(@1:25)");
  board_rig_insert(board, faults);
  return board;
}
