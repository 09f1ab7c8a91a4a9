/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See testkeystore.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "testkeystore.h"

#include <gst/check/gstcheck.h>
#include <string.h>

#include <seecitv/crypto/keystore.h>

void
test_keystore_create (const gchar * path, guint8 * master)
{
  gchar *key_path = seecitv_keystore_default_key_path (path);
  guint8 key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  SeecitvKeystore *ks;
  GError *err = NULL;

  fail_unless (seecitv_keystore_master_key_create (key_path, key, &err),
      "%s", err ? err->message : "");
  ks = seecitv_keystore_create_with_key (path, key, &err);
  fail_unless (ks != NULL, "%s", err ? err->message : "");
  seecitv_keystore_free (ks);
  if (master != NULL)
    memcpy (master, key, sizeof (key));
  g_free (key_path);
}
