/* The fixture's instruments and their calibration due dates (instrument_calibration.h). */
#include "station/instrument_calibration.h"
#include "fixtures/fixture_error.h"

/* Whether text is a real calendar date written YYYY-MM-DD. */
static gboolean is_iso_date(const char *text)
{
  if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit(text[i]))
      return FALSE;
  int year = atoi(text), month = atoi(text + 5), day = atoi(text + 8);
  return g_date_valid_dmy((GDateDay)day, (GDateMonth)month, (GDateYear)year);
}

/* The fixture file's answer to an overdue instrument: FALSE refuse (the default), TRUE warn. */
static gboolean overdue_allowed(const Fixture *fixture, GError **error)
{
  g_autofree char *policy = fixture_get_string(fixture, "fixture", "calibration_overdue", FALSE,
                                               NULL);
  if (!policy || g_str_equal(policy, "refuse"))
    return FALSE;
  if (g_str_equal(policy, "warn"))
    return TRUE;
  g_set_error(error, FIXTURE_ERROR, FIXTURE_ERROR_CONFIG,
              "%s: [fixture] calibration_overdue = '%s' is neither refuse nor warn",
              fixture->path, policy);
  return FALSE;
}

static const char *keep(InstrumentCalibration *out, char *text)
{
  if (text)
    g_ptr_array_add(out->owned, text);
  return text;
}

gboolean instrument_calibration_check(const Fixture *fixture, const char *today,
                                      InstrumentCalibration *out, GError **error)
{
  out->instruments = g_array_new(FALSE, TRUE, sizeof(RunInstrument));
  out->owned = g_ptr_array_new_with_free_func(g_free);
  out->warnings = g_ptr_array_new_with_free_func(g_free);
  GError *policy_error = NULL;
  gboolean allowed = overdue_allowed(fixture, &policy_error);
  if (policy_error) {
    g_propagate_error(error, policy_error);
    return FALSE;
  }
  for (guint i = 0; i < fixture->instruments->len; i++) {
    const FixtureInstrument *instrument = g_ptr_array_index(fixture->instruments, i);
    const char *group = instrument->role->name;
    char *due = fixture_get_string(fixture, group, "cal_due", FALSE, NULL);
    if (due && !is_iso_date(due)) {
      g_set_error(error, FIXTURE_ERROR, FIXTURE_ERROR_CONFIG,
                  "%s: [%s] cal_due = '%s' is not a date; write it YYYY-MM-DD, e.g. 2027-03-01",
                  fixture->path, group, due);
      g_free(due);
      return FALSE;
    }
    RunInstrument record = {.role = group, .driver = instrument->driver,
                            .resource = instrument->resource, .cal_due = keep(out, due)};
    g_array_append_val(out->instruments, record);
    if (!due || strcmp(due, today) >= 0)
      continue;
    if (!allowed) {
      g_set_error(error, FIXTURE_ERROR, FIXTURE_ERROR_CONFIG,
                  "the %s [%s] of fixture %s was due for calibration on %s: have it "
                  "calibrated and its cal_due in %s updated (an engineer may let the fixture "
                  "run meanwhile with [fixture] calibration_overdue = warn)",
                  instrument->role->title, group, fixture->id, due, fixture->path);
      return FALSE;
    }
    g_ptr_array_add(out->warnings,
                    g_strdup_printf("the %s [%s] of fixture %s was due for calibration on %s; "
                                    "it runs because %s says calibration_overdue = warn",
                                    instrument->role->title, group, fixture->id, due,
                                    fixture->path));
  }
  return TRUE;
}

void instrument_calibration_clear(InstrumentCalibration *calibration)
{
  g_clear_pointer(&calibration->instruments, g_array_unref);
  g_clear_pointer(&calibration->owned, g_ptr_array_unref);
  g_clear_pointer(&calibration->warnings, g_ptr_array_unref);
}
