/* The operator's panel for one fixture slot, made for a barcode scanner and a keyboard: the
 * scan field (focused whenever no run is active), the model recognised or what is wrong with
 * the barcode, Enter to start, Esc twice to abort, the live step list with measurements, the
 * verdict banner with the first failure in words, elapsed and expected cycle time, a
 * progress bar, and the shift's counts and first-pass yield. */
#pragma once
#include <gtk/gtk.h>
#include "station/engine.h"

#define OPERATOR_TYPE_PANEL (operator_panel_get_type())
G_DECLARE_FINAL_TYPE(OperatorPanel, operator_panel, OPERATOR, PANEL, GtkWidget)

/* What every run of this panel uses; strings are copied. request->serial is ignored. */
typedef struct {
  const Catalog *catalog;       /* borrowed, outlives the panel */
  const char *db_path;
  RunRequest request;
  int slot;
} OperatorPanelConfig;

OperatorPanel *operator_panel_new(const OperatorPanelConfig *config);
/* Signals "run-started" and "run-finished" (no arguments) mark each run's start and end. */

/* Who the next runs' operator is (the logged-in user); NULL: the login name. */
void operator_panel_set_operator(OperatorPanel *panel, const char *name);
/* Whether the scan field grabs the focus whenever no run is active (the default); a view of
 * several slots turns it off and moves the focus itself. */
void operator_panel_set_takes_focus(OperatorPanel *panel, gboolean takes_focus);
/* Reads the shift's counts again (another slot's run has ended). */
void operator_panel_refresh_shift(OperatorPanel *panel);
/* Puts the keyboard's (the scanner's) focus in the scan field. */
void operator_panel_focus_scan(OperatorPanel *panel);
/* The slot number shown in the panel's title. */
int operator_panel_slot(OperatorPanel *panel);
/* What a scanner does: types text into the scan field and presses Enter. */
void operator_panel_scan(OperatorPanel *panel, const char *text);
gboolean operator_panel_is_running(OperatorPanel *panel);
/* A scanned board is identified and Enter would start it. */
gboolean operator_panel_is_ready(OperatorPanel *panel);
/* The last verdict (OUTCOME_RUNNING before the first run ends) and its stored run id. */
Outcome operator_panel_last_outcome(OperatorPanel *panel, gint64 *run_id);
/* Texts shown, for tests and logs: the banner, the one-sentence status line, the line
 * under the banner (the first failure, or why the run could not start), and the shift's
 * counts with the fixture's golden check. */
const char *operator_panel_banner_text(OperatorPanel *panel);
const char *operator_panel_status_text(OperatorPanel *panel);
const char *operator_panel_detail_text(OperatorPanel *panel);
const char *operator_panel_shift_text(OperatorPanel *panel);
guint operator_panel_step_count(OperatorPanel *panel);
