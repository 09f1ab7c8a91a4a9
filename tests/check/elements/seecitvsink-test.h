/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Helpers shared by the seecitvsink tests (seecitvsink.c,
 * seecitvsink_diskfull.c): a fresh keystore with its master key file
 * beside it.
 */
#ifndef __SEECITVSINK_TEST_H__
#define __SEECITVSINK_TEST_H__

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>

#include <seecitv/crypto/keystore.h>
#include "../common/testfs.h"
#include "../common/testkeystore.h"

/* Creates the keystore @path (replacing any) and its master key file. */
static void
make_keystore (const gchar * path)
{
  gchar *key_path = seecitv_keystore_default_key_path (path);

  g_unlink (path);
  g_unlink (key_path);
  g_free (key_path);
  test_keystore_create (path, NULL);
}

#endif /* __SEECITVSINK_TEST_H__ */
