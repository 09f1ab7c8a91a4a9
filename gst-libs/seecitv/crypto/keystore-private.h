/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test-only entry points of the keystore (keystore-file.c,
 * keystore-format.c): a failure injected between writing the temporary
 * file and renaming it (the atomic-save test) or, in a key
 * rotation, between replacing the keystore and replacing the master key
 * file (the state a crash there leaves), and sealing an
 * arbitrary payload under a master key, parsing a generation marker (its
 * fuzz target), in the current or any other format
 * version (the fuzz target, to reach the inner parser; the version tests);
 * and the access log's clock (keystore-access.c), which in-process tests of
 * the expiry move. None of these is reachable from the environment.
 * Nothing but tests and fuzzers may include this.
 */
#ifndef __SEECITV_KEYSTORE_PRIVATE_H__
#define __SEECITV_KEYSTORE_PRIVATE_H__

#include "keystore.h"

G_BEGIN_DECLS

void seecitv_keystore_set_fail_before_rename (gboolean fail);
/* NULL: the real time again. Microseconds since the Unix epoch. */
typedef gint64 (*SeecitvKeystoreClock) (void);
void seecitv_keystore_set_access_clock (SeecitvKeystoreClock clock);
void seecitv_keystore_set_fail_before_key_commit (gboolean fail);
/* As a crash after replacing the keystore, before committing its
 * generation marker, would leave it. */
void seecitv_keystore_set_fail_before_marker_commit (gboolean fail);
#define SEECITV_KEYSTORE_MARKER_SIZE 64
gboolean seecitv_keystore_marker_seal (guint8 * data,
    const guint8 * master_key, GError ** error);
gboolean seecitv_keystore_marker_parse (const guint8 * data, gsize len,
    const guint8 * master_key, guint64 * generation, guint8 * nonce,
    GError ** error);
guint8 *seecitv_keystore_seal_payload (const guint8 * payload, gsize len,
    const guint8 * master_key, gsize * out_len, GError ** error);
guint8 *seecitv_keystore_seal_payload_version (const guint8 * payload,
    gsize len, guint version, const guint8 * master_key, gsize * out_len,
    GError ** error);

G_END_DECLS

#endif /* __SEECITV_KEYSTORE_PRIVATE_H__ */
