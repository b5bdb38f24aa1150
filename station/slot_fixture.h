/* What a station that tests the slots of one fixture independently (the app's panels, a
 * batch of boards) needs of the fixture file beyond each slot's run: the slots the file
 * declares, and on the twin one process and one clock for all of them, started once and kept
 * running while any slot may test (a slot's own run would otherwise stop the twin it started
 * as that run ends, under the other slots' feet). */
#pragma once
#include <glib.h>
#include "fixtures/fixture.h"

typedef struct SlotFixture SlotFixture;

/* Reads the fixture file (no instrument is touched) and checks that its slots can be tested
 * at once: on the twin that needs the real clock (a virtual clock would be moved on by every
 * slot's waits at once). Errors name the file and what to change (STATION_ERROR_USAGE). */
SlotFixture *slot_fixture_load(const char *path, GError **error);
/* The slots the file declares, ascending (a file without [slot N] groups has one). */
int slot_fixture_count(const SlotFixture *fixture);
int slot_fixture_slot(const SlotFixture *fixture, int index);
/* Whether the fixture is the twin with several slots: one twin to start for all of them. */
gboolean slot_fixture_shares_twin(const SlotFixture *fixture);
/* On the twin with several slots: starts the twin, unless it runs already, and keeps it
 * until slot_fixture_close. Nothing to do for a real fixture or one slot. Blocks: call it
 * off a UI's main loop. */
gboolean slot_fixture_start_twin(SlotFixture *fixture, GError **error);
void slot_fixture_close(SlotFixture *fixture);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlotFixture, slot_fixture_close)
