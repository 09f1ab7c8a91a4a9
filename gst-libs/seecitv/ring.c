/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pre-roll ring (see seecitvring.h). Entries live in a circular array
 * that only grows (doubling), so a push allocates nothing once the ring
 * has reached its working size; trimming scans only the first GOP per
 * dropped GOP, and nothing while the ring holds a single GOP.
 */
#include "ring.h"

#define MIN_CAPACITY 64

typedef struct
{
  gpointer item;
  guint64 rt;
  gboolean keyframe;
} Entry;

struct _SeecitvRing
{
  Entry *entries;               /* capacity slots, circular */
  guint capacity;
  guint head;                   /* index of the first entry */
  guint length;
  guint keyframes;              /* entries that are keyframes */
  GDestroyNotify free_func;
};

SeecitvRing *
seecitv_ring_new (GDestroyNotify free_func)
{
  SeecitvRing *ring = g_new0 (SeecitvRing, 1);

  ring->free_func = free_func;
  return ring;
}

static Entry *
entry_at (SeecitvRing * ring, guint i)
{
  return &ring->entries[(ring->head + i) % ring->capacity];
}

/* Removes the first entry and returns its item (the caller owns it). */
static gpointer
pop_head (SeecitvRing * ring)
{
  Entry *e = entry_at (ring, 0);
  gpointer item = e->item;

  if (e->keyframe)
    ring->keyframes--;
  e->item = NULL;
  ring->head = (ring->head + 1) % ring->capacity;
  ring->length--;
  return item;
}

static void
drop_head (SeecitvRing * ring)
{
  gpointer item = pop_head (ring);

  if (ring->free_func != NULL && item != NULL)
    ring->free_func (item);
}

void
seecitv_ring_clear (SeecitvRing * ring)
{
  while (ring->length > 0)
    drop_head (ring);
  /* Give back what a long GOP made it grow to. */
  if (ring->capacity > 4 * MIN_CAPACITY) {
    g_clear_pointer (&ring->entries, g_free);
    ring->capacity = 0;
    ring->head = 0;
  }
}

void
seecitv_ring_free (SeecitvRing * ring)
{
  if (ring == NULL)
    return;
  seecitv_ring_clear (ring);
  g_free (ring->entries);
  g_free (ring);
}

static void
grow (SeecitvRing * ring)
{
  guint capacity = MAX (MIN_CAPACITY, ring->capacity * 2);
  Entry *entries = g_new (Entry, capacity);
  guint i;

  for (i = 0; i < ring->length; i++)
    entries[i] = *entry_at (ring, i);
  g_free (ring->entries);
  ring->entries = entries;
  ring->capacity = capacity;
  ring->head = 0;
}

void
seecitv_ring_push (SeecitvRing * ring, gpointer item, guint64 rt,
    gboolean keyframe)
{
  Entry *e;

  if (!keyframe && ring->length == 0) {
    if (ring->free_func != NULL && item != NULL)
      ring->free_func (item);
    return;
  }
  if (ring->length == ring->capacity)
    grow (ring);
  e = entry_at (ring, ring->length);
  e->item = item;
  e->rt = rt;
  e->keyframe = keyframe;
  ring->length++;
  if (keyframe)
    ring->keyframes++;
}

void
seecitv_ring_trim (SeecitvRing * ring, guint64 keep_from)
{
  for (;;) {
    guint i, next_key = 0;

    /* The keyframe after the first GOP; none unless another keyframe
     * follows the first entry. */
    if (ring->length == 0 ||
        ring->keyframes < (entry_at (ring, 0)->keyframe ? 2u : 1u))
      return;
    for (i = 1; i < ring->length; i++) {
      if (entry_at (ring, i)->keyframe) {
        next_key = i;
        break;
      }
    }
    if (next_key == 0 || entry_at (ring, next_key)->rt > keep_from)
      return;
    while (next_key-- > 0)
      drop_head (ring);
  }
}

guint64
seecitv_ring_first_time (SeecitvRing * ring)
{
  return ring->length > 0 ? entry_at (ring, 0)->rt : G_MAXUINT64;
}

guint
seecitv_ring_length (SeecitvRing * ring)
{
  return ring->length;
}

gpointer
seecitv_ring_pop (SeecitvRing * ring)
{
  if (ring->length == 0)
    return NULL;
  return pop_head (ring);
}
