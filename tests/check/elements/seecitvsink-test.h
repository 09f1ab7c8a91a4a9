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

#include "keystore.h"
#include "../common/testfs.h"

/* Creates the keystore @path (replacing any) and its master key file. */
static void
make_keystore (const gchar * path)
{
  gchar *key_path = seecitv_keystore_default_key_path (path);
  guint8 key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  SeecitvKeystore *ks;
  GError *err = NULL;

  g_unlink (path);
  g_unlink (key_path);
  fail_unless (seecitv_keystore_master_key_create (key_path, key, &err),
      "%s", err ? err->message : "");
  ks = seecitv_keystore_create_with_key (path, key, &err);
  fail_unless (ks != NULL, "%s", err ? err->message : "");
  seecitv_keystore_free (ks);
  g_free (key_path);
}

#endif /* __SEECITVSINK_TEST_H__ */
