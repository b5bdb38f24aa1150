/* The log-in in front of a station window: while nobody is logged in only the login view is
 * offered; once someone is, the views their role allows (operator for every user, quality for
 * engineers, firmware for the firmware team, all of them for admins), their name and a
 * "Log out" button in the header bar, and their name handed to the views that record who did
 * what (the operator of runs, who imports and releases firmware). Log out (action
 * win.log-out) is disabled while a run is active in any slot. A station without an admin has its default
 * name logged in and offers no log-out. */
#pragma once
#include "ui/station_window.h"
#include "ui/login_panel.h"
#include "ui/slot_panels.h"
#include "ui/firmware_view.h"

/* Adds the login view to window and keeps the window's views and actions in step with
 * login; the gate lives as long as the window. The panels are borrowed (window's views). */
void login_gate_attach(StationWindow *window, LoginPanel *login, SlotPanels *operator_view,
                       FirmwareView *firmware);
