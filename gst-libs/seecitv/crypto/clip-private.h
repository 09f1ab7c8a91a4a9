/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test-only entry points of clip.c: the unit test's fixed test vector and
 * the fuzz target need a writer with a chosen nonce prefix. Nothing else
 * may include this: reusing a nonce prefix under one key breaks GCM.
 */
#ifndef __SEECITV_CLIP_PRIVATE_H__
#define __SEECITV_CLIP_PRIVATE_H__

#include "clip.h"

G_BEGIN_DECLS

SeecitvClipWriter *seecitv_clip_writer_new_with_nonce_prefix (const guint8 *
    key, const SeecitvClipIds * ids, const guint8 * nonce_prefix,
    gsize chunk_size, SeecitvClipWriteFunc func, gpointer user_data,
    GError ** error);

G_END_DECLS

#endif /* __SEECITV_CLIP_PRIVATE_H__ */
