/* The operator view of a fixture: one operator panel per slot the fixture file declares,
 * side by side (four to a row), each testing its board on its own. One scanner serves them
 * all: the focus is in an idle slot's scan field; when a run starts it moves on to the next
 * idle slot, and Alt+1 … Alt+8 put it in a slot's panel (Esc there aborts that slot's run).
 * On the twin, the twin of several slots is started once for all of them, off the main loop;
 * the panels wait until it runs. A fixture file that cannot be read, or whose slots cannot
 * be tested at once, is said in one sentence above a single panel. */
#pragma once
#include <gtk/gtk.h>
#include "ui/operator_panel.h"

#define SLOT_TYPE_PANELS (slot_panels_get_type())
G_DECLARE_FINAL_TYPE(SlotPanels, slot_panels, SLOT, PANELS, GtkWidget)

/* config as for one panel (config->request.fixture_path names the fixture file); the slot
 * and request.slot are each panel's own. Signals "run-started" and "run-finished" (the
 * OperatorPanel as argument) as each panel's, and "ready" (no argument) once the panels can
 * test. */
SlotPanels *slot_panels_new(const OperatorPanelConfig *config);
guint slot_panels_count(SlotPanels *panels);
OperatorPanel *slot_panels_get(SlotPanels *panels, guint index);
/* Whether the panels can test (the twin, if any, started), whether the twin is still being
 * started, and what stops them or what is wrong with the fixture file (NULL: nothing). */
gboolean slot_panels_is_ready(SlotPanels *panels);
gboolean slot_panels_is_starting(SlotPanels *panels);
const char *slot_panels_problem(SlotPanels *panels);
/* Whether any slot is running. */
gboolean slot_panels_is_running(SlotPanels *panels);
/* The logged-in user is the operator of every slot's next runs. */
void slot_panels_set_operator(SlotPanels *panels, const char *name);
/* Puts the focus in the first idle slot's scan field. */
void slot_panels_focus_idle(SlotPanels *panels);
