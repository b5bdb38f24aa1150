/* station instruments: the USB instruments (USBTMC) and FTDI chips (one entry per channel)
 * connected to the station, with the resource string a fixture file names each by. */
#include "station/cli/cli.h"
#include "fixtures/usb_devices.h"
#include <stdio.h>

static void print_instrument(const UsbInstrument *instrument)
{
  printf("%04x:%04x  bus %03u device %03u  interface %d  %s\n", instrument->vid,
         instrument->pid, instrument->bus, instrument->address, instrument->interface,
         instrument->kind);
  printf("  manufacturer  %s\n", instrument->manufacturer ? instrument->manufacturer : "?");
  printf("  product       %s\n", instrument->product ? instrument->product : "?");
  printf("  serial        %s\n", instrument->serial ? instrument->serial : "?");
  if (instrument->resource)
    printf("  resource      %s\n", instrument->resource);
  if (instrument->problem)
    printf("  problem       %s\n", instrument->problem);
}

int cli_instruments(int argc, char **argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new(NULL);
  g_option_context_set_summary(context, "Lists the USBTMC instruments and the FTDI chips "
                                        "(each channel) connected by USB, with the resource "
                                        "string to put in a fixture file.");
  if (!cli_parse(context, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1) {
    cli_error("usage: station instruments");
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = usb_instruments_list(&error);
  if (!found) {
    cli_error("cannot list USB instruments: %s", error->message);
    return EXIT_ERROR;
  }
  if (found->len == 0) {
    printf("No USBTMC instrument or FTDI chip is connected by USB.\n");
    return EXIT_PASS;
  }
  for (guint i = 0; i < found->len; i++)
    print_instrument(g_ptr_array_index(found, i));
  return EXIT_PASS;
}
