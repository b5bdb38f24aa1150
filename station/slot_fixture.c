/* The fixture whose slots are tested independently (see slot_fixture.h). */
#include "station/slot_fixture.h"
#include "station/station_error.h"

struct SlotFixture {
  Fixture *fixture;             /* the file, opened for its first slot; holds the twin */
};

SlotFixture *slot_fixture_load(const char *path, GError **error)
{
  g_autoptr(Fixture) fixture = fixture_load(path, error);
  if (!fixture)
    return NULL;
  g_autofree char *clock = fixture_get_string(fixture, "twin", "clock", FALSE, NULL);
  if (fixture->slot_count > 1 && fixture_is_simulated(fixture) &&
      g_strcmp0(clock, "virtual") == 0) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_USAGE,
                "%s: [twin] clock = virtual: the twin's one clock would be moved on by every "
                "slot's waits and links at once, so slots tested together run in real time: "
                "set clock = real, or test one slot at a time (--slot N)", path);
    return NULL;
  }
  SlotFixture *self = g_new0(SlotFixture, 1);
  self->fixture = g_steal_pointer(&fixture);
  return self;
}

int slot_fixture_count(const SlotFixture *self)
{
  return self->fixture->slot_count;
}

int slot_fixture_slot(const SlotFixture *self, int index)
{
  g_return_val_if_fail(index >= 0 && index < self->fixture->slot_count, 0);
  return self->fixture->slots[index];
}

gboolean slot_fixture_shares_twin(const SlotFixture *self)
{
  return self->fixture->slot_count > 1 && fixture_is_simulated(self->fixture);
}

gboolean slot_fixture_start_twin(SlotFixture *self, GError **error)
{
  if (!slot_fixture_shares_twin(self))
    return TRUE;
  return fixture_connect_twin(self->fixture, error);
}

void slot_fixture_close(SlotFixture *self)
{
  if (!self)
    return;
  fixture_close(self->fixture);
  g_free(self);
}
