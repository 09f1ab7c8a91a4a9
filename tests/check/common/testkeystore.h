/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A fresh keystore for the tests that record (the keystore of gst-libs/seecitv/crypto).
 * GstCheck asserts inside.
 */
#ifndef __SEECITV_TESTKEYSTORE_H__
#define __SEECITV_TESTKEYSTORE_H__

#include <glib.h>

G_BEGIN_DECLS

/* Creates the empty keystore @path and a new master key in its default
 * key file (seecitv_keystore_default_key_path ()); both must not exist.
 * With @master (SEECITV_KEYSTORE_MASTER_KEY_SIZE bytes), the key is
 * copied there. */
void test_keystore_create (const gchar * path, guint8 * master);

G_END_DECLS

#endif /* __SEECITV_TESTKEYSTORE_H__ */
