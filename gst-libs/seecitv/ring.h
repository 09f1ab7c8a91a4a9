/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pre-roll ring of seecitvsink: a queue of encoded frames grouped into
 * whole GOPs (a GOP starts at a keyframe), trimmed by running time. Pure C
 * over GLib: it stores opaque pointers and knows nothing of GstBuffer, so
 * it can be tested without GStreamer. Not thread-safe: the caller locks.
 */
#ifndef __SEECITV_RING_H__
#define __SEECITV_RING_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SeecitvRing SeecitvRing;

/* @free_func frees the items the ring drops or is freed with. */
SeecitvRing *seecitv_ring_new (GDestroyNotify free_func);
void seecitv_ring_free (SeecitvRing * ring);

/* Appends @item with running time @rt (ns). An item that is not a keyframe
 * while the ring holds no keyframe is dropped at once (it could not be
 * decoded). */
void seecitv_ring_push (SeecitvRing * ring, gpointer item, guint64 rt,
    gboolean keyframe);

/* Drops whole GOPs from the front while the ring would still start at a
 * keyframe at or before @keep_from: afterwards the first item is the newest
 * keyframe at or before @keep_from (or the oldest keyframe if none is). */
void seecitv_ring_trim (SeecitvRing * ring, guint64 keep_from);

/* Running time of the first item, or G_MAXUINT64 when empty. */
guint64 seecitv_ring_first_time (SeecitvRing * ring);

guint seecitv_ring_length (SeecitvRing * ring);

/* Removes and returns the first item (the caller owns it), or NULL. */
gpointer seecitv_ring_pop (SeecitvRing * ring);

/* Drops everything. */
void seecitv_ring_clear (SeecitvRing * ring);

G_END_DECLS

#endif /* __SEECITV_RING_H__ */
