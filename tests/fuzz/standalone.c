/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A main () for fuzz targets in builds without libFuzzer: it feeds every
 * file of the corpus directories (or files) given on the command line to
 * LLVMFuzzerTestOneInput () once, so that `meson test` replays the committed
 * corpus under the normal, valgrind and ASan builds. It does not mutate
 * anything: real fuzzing needs -Dfuzzing=true (clang, libFuzzer).
 */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static int
run_file (const gchar * path)
{
  gchar *contents = NULL;
  gsize len = 0;
  GError *err = NULL;

  if (!g_file_get_contents (path, &contents, &len, &err)) {
    fprintf (stderr, "%s: %s\n", path, err->message);
    g_error_free (err);
    return 1;
  }
  LLVMFuzzerTestOneInput ((const uint8_t *) contents, len);
  g_free (contents);
  return 0;
}

int
main (int argc, char **argv)
{
  guint n_files = 0;
  int i, failures = 0;

  for (i = 1; i < argc; i++) {
    GDir *dir;
    const gchar *name;

    if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
      failures += run_file (argv[i]);
      n_files++;
      continue;
    }
    dir = g_dir_open (argv[i], 0, NULL);
    if (dir == NULL) {
      fprintf (stderr, "%s: cannot open\n", argv[i]);
      return 1;
    }
    while ((name = g_dir_read_name (dir)) != NULL) {
      gchar *path = g_build_filename (argv[i], name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
        failures += run_file (path);
        n_files++;
      }
      g_free (path);
    }
    g_dir_close (dir);
  }

  /* An empty corpus means a broken checkout, not a pass. */
  if (n_files == 0) {
    fprintf (stderr, "no corpus file found\n");
    return 1;
  }
  printf ("replayed %u corpus files\n", n_files);
  return failures ? 1 : 0;
}
