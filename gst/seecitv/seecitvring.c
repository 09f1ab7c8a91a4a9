/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pre-roll ring (see seecitvring.h). Items live in a GQueue; trimming
 * scans only the first GOP per dropped GOP, so a push costs O(GOP).
 */
#include "seecitvring.h"

typedef struct
{
  gpointer item;
  guint64 rt;
  gboolean keyframe;
} Entry;

struct _SeecitvRing
{
  GQueue entries;               /* of Entry */
  GDestroyNotify free_func;
};

SeecitvRing *
seecitv_ring_new (GDestroyNotify free_func)
{
  SeecitvRing *ring = g_new0 (SeecitvRing, 1);

  g_queue_init (&ring->entries);
  ring->free_func = free_func;
  return ring;
}

static void
entry_free (SeecitvRing * ring, Entry * e)
{
  if (ring->free_func != NULL && e->item != NULL)
    ring->free_func (e->item);
  g_free (e);
}

void
seecitv_ring_clear (SeecitvRing * ring)
{
  Entry *e;

  while ((e = g_queue_pop_head (&ring->entries)) != NULL)
    entry_free (ring, e);
}

void
seecitv_ring_free (SeecitvRing * ring)
{
  if (ring == NULL)
    return;
  seecitv_ring_clear (ring);
  g_free (ring);
}

void
seecitv_ring_push (SeecitvRing * ring, gpointer item, guint64 rt,
    gboolean keyframe)
{
  Entry *e;

  if (!keyframe && g_queue_is_empty (&ring->entries)) {
    if (ring->free_func != NULL && item != NULL)
      ring->free_func (item);
    return;
  }
  e = g_new (Entry, 1);
  e->item = item;
  e->rt = rt;
  e->keyframe = keyframe;
  g_queue_push_tail (&ring->entries, e);
}

void
seecitv_ring_trim (SeecitvRing * ring, guint64 keep_from)
{
  GList *l, *next_key;

  for (;;) {
    /* The keyframe after the first GOP. */
    next_key = NULL;
    l = ring->entries.head;
    if (l == NULL)
      return;
    for (l = l->next; l != NULL; l = l->next) {
      if (((Entry *) l->data)->keyframe) {
        next_key = l;
        break;
      }
    }
    if (next_key == NULL || ((Entry *) next_key->data)->rt > keep_from)
      return;
    while (ring->entries.head != next_key)
      entry_free (ring, g_queue_pop_head (&ring->entries));
  }
}

guint64
seecitv_ring_first_time (SeecitvRing * ring)
{
  Entry *e = g_queue_peek_head (&ring->entries);

  return e != NULL ? e->rt : G_MAXUINT64;
}

guint
seecitv_ring_length (SeecitvRing * ring)
{
  return g_queue_get_length (&ring->entries);
}

gpointer
seecitv_ring_pop (SeecitvRing * ring)
{
  Entry *e = g_queue_pop_head (&ring->entries);
  gpointer item;

  if (e == NULL)
    return NULL;
  item = e->item;
  g_free (e);
  return item;
}
