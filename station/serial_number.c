/* Parsing of the scanned serial number <MODEL>-<YYWW>-<NNNNN>. A barcode scanner types the
 * serial and Enter; anything else (a mis-scan, a label of another product) is refused with a
 * message that shows the expected form, so the operator knows to rescan rather than retry. */
#include "station/serial_number.h"
#include "station/station_error.h"
#include <string.h>

#define SERIAL_FORM "<MODEL>-<YYWW>-<NNNNN>, e.g. B2A24S15P-2648-00017"

static gboolean all_digits(const char *text, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isdigit(text[i]))
      return FALSE;
  return TRUE;
}

gboolean serial_number_parse(const char *text, const Catalog *catalog, SerialNumber *out,
                             GError **error)
{
  g_autofree char *clean = g_ascii_strup(text ? text : "", -1);
  g_strstrip(clean);
  if (*clean == '\0') {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SERIAL,
                "no serial number given: scan the board's label (" SERIAL_FORM ")");
    return FALSE;
  }
  if (strlen(clean) >= sizeof out->text) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SERIAL,
                "serial '%.20s…' is too long: expected " SERIAL_FORM, clean);
    return FALSE;
  }
  g_auto(GStrv) parts = g_strsplit(clean, "-", -1);
  if (g_strv_length(parts) != 3) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SERIAL,
                "serial '%s' has %u part(s): expected three joined by '-', " SERIAL_FORM,
                clean, g_strv_length(parts));
    return FALSE;
  }
  const char *model_name = parts[0], *yyww = parts[1], *unit = parts[2];
  if (strlen(yyww) != 4 || !all_digits(yyww, 4)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SERIAL,
                "serial '%s': '%s' is not a date code; expected four digits YYWW (year, week), "
                SERIAL_FORM, clean, yyww);
    return FALSE;
  }
  int week = (yyww[2] - '0') * 10 + (yyww[3] - '0');
  if (week < 1 || week > 53) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SERIAL,
                "serial '%s': week %02d does not exist; expected 01..53 in YYWW, " SERIAL_FORM,
                clean, week);
    return FALSE;
  }
  if (strlen(unit) != 5 || !all_digits(unit, 5)) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SERIAL,
                "serial '%s': '%s' is not a unit number; expected five digits, " SERIAL_FORM,
                clean, unit);
    return FALSE;
  }
  GError *lookup_error = NULL;
  const ModelInfo *model = catalog_find(catalog, model_name, &lookup_error);
  if (!model) {
    g_set_error(error, STATION_ERROR, STATION_ERROR_SERIAL, "serial '%s': %s", clean,
                lookup_error->message);
    g_error_free(lookup_error);
    return FALSE;
  }
  memset(out, 0, sizeof *out);
  g_strlcpy(out->text, clean, sizeof out->text);
  out->model = model;
  out->year = 2000 + (yyww[0] - '0') * 10 + (yyww[1] - '0');
  out->week = week;
  out->unit = (int)g_ascii_strtoll(unit, NULL, 10);
  return TRUE;
}
