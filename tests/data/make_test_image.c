/* make-test-image: writes a well-formed JK firmware image (firmware/jk_image_format.h) for
 * tests that flash the twin with real clients.
 *
 *   make-test-image OUTPUT VERSION LENGTH MODEL [MODEL...]
 *
 * e.g. `make-test-image /tmp/fw.bin 11.30 40960 B2A24S15P` writes a 40 KiB image of version
 * 11.30 for B2A24S15P, build date 20250401. The same arguments always give the same bytes.
 * Exits 0 on success, 2 with a message on stderr when an argument or the write fails. */
#include "fixtures/sim/sim_image.h"
#include <stdio.h>
#include <stdlib.h>

#define BUILD_DATE 20250401u
#define EXIT_USAGE 2

int main(int argc, char **argv)
{
  if (argc < 5) {
    fprintf(stderr, "usage: %s OUTPUT VERSION LENGTH MODEL [MODEL...]\n", argv[0]);
    return EXIT_USAGE;
  }
  char *end = NULL;
  guint64 length = g_ascii_strtoull(argv[3], &end, 0);
  if (!*argv[3] || *end != '\0') {
    fprintf(stderr, "make-test-image: LENGTH '%s' is not a number of bytes\n", argv[3]);
    return EXIT_USAGE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) image = sim_image_build(argv[2], (const char *const *)argv + 4, BUILD_DATE,
                                            (gsize)length, &error);
  if (!image) {
    fprintf(stderr, "make-test-image: %s\n", error->message);
    return EXIT_USAGE;
  }
  gsize size = 0;
  const char *bytes = g_bytes_get_data(image, &size);
  if (!g_file_set_contents(argv[1], bytes, (gssize)size, &error)) {
    fprintf(stderr, "make-test-image: %s\n", error->message);
    return EXIT_USAGE;
  }
  return 0;
}
