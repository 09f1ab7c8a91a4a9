/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See testfs.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "testfs.h"

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

gchar *
test_tmpdir_new (const gchar * tmpl)
{
  gchar *dir = g_dir_make_tmp (tmpl, NULL);

  fail_unless (dir != NULL);
  return dir;
}

void
test_remove_tree (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *n;

  while (d != NULL && (n = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (path, n, NULL);

    if (g_file_test (p, G_FILE_TEST_IS_DIR) &&
        !g_file_test (p, G_FILE_TEST_IS_SYMLINK))
      test_remove_tree (p);
    else
      g_unlink (p);
    g_free (p);
  }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (path);
}
