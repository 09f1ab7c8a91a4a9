/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Scan scheduling for seecitvredact (see seecitvredactscan.h): the tile
 * pyramid, the turn of each tile, and the thumbnails that tell a changed
 * tile from an unchanged one.
 */
#include "seecitvredactscan.h"

#include <stdlib.h>
#include <string.h>

typedef struct
{
  SeecitvBox box;
  gint thumb_w;
  gint thumb_h;
  guint8 *thumb;                /* written by the caller */
  guint8 *reference;            /* at the last scan */
  gboolean have_reference;
} Tile;

struct _SeecitvScan
{
  GArray *tiles;                /* Tile */
  guint interval;
};

/* Starts of @n tiles of @side along @length, evenly spread. */
static void
positions (gint length, gint side, gint overlap, gint * starts, gint * n)
{
  gint i, count;

  if (side >= length) {
    starts[0] = 0;
    *n = 1;
    return;
  }
  count = (length - overlap + (side - overlap) - 1) / (side - overlap);
  count = MAX (count, 2);
  for (i = 0; i < count; i++)
    starts[i] = (gint) ((gint64) i * (length - side) / (count - 1));
  *n = count;
}

static void
add_tile (SeecitvScan * scan, gint x, gint y, gint w, gint h)
{
  Tile t = { {x, y, w, h}, 0, 0, NULL, NULL, FALSE };

  t.thumb_w = MAX (1, w / SEECITV_SCAN_THUMB_BLOCK);
  t.thumb_h = MAX (1, h / SEECITV_SCAN_THUMB_BLOCK);
  t.thumb = g_malloc0 ((gsize) t.thumb_w * t.thumb_h);
  t.reference = g_malloc0 ((gsize) t.thumb_w * t.thumb_h);
  g_array_append_val (scan->tiles, t);
}

static void
add_level (SeecitvScan * scan, gint width, gint height, gint side)
{
  gint overlap = side / 4;
  gint n = (MAX (width, height) / MAX (1, side - overlap)) + 3;
  gint *xs = g_new (gint, n), *ys = g_new (gint, n);
  gint nx, ny;

  positions (width, side, overlap, xs, &nx);
  positions (height, side, overlap, ys, &ny);
  for (gint j = 0; j < ny; j++)
    for (gint i = 0; i < nx; i++)
      add_tile (scan, xs[i], ys[j], MIN (side, width), MIN (side, height));
  g_free (xs);
  g_free (ys);
}

SeecitvScan *
seecitv_scan_new (gint width, gint height, gint min_face, gint input,
    gint input_face, guint interval)
{
  SeecitvScan *scan = g_new0 (SeecitvScan, 1);
  gint longest = MAX (width, height);
  gint side;

  width = MAX (width, 1);
  height = MAX (height, 1);
  min_face = MAX (min_face, 1);
  input = MAX (input, 8);
  input_face = CLAMP (input_face, 1, input);
  scan->tiles = g_array_new (FALSE, FALSE, sizeof (Tile));

  /* the side at which the smallest face reaches input_face pixels */
  side = MAX (input, (gint) ((gint64) min_face * input / input_face));
  while (side < longest) {
    /* the faces the whole frame would find: at least this big */
    gint whole_min = (gint) ((gint64) input_face * longest / input);

    add_level (scan, width, height, side);
    /* this level's tiles hold faces up to their overlap whole; the next
     * level is needed only if the whole frame would miss those (within a
     * tenth: a face 10% under the detector's reliable size is still
     * found, at a lower score) */
    if (whole_min * 10 <= side / 4 * 11)
      break;
    side *= 2;
  }
  add_tile (scan, 0, 0, width, height);

  scan->interval = MAX (interval, 1);
  return scan;
}

void
seecitv_scan_free (SeecitvScan * scan)
{
  if (scan == NULL)
    return;
  for (guint i = 0; i < scan->tiles->len; i++) {
    Tile *t = &g_array_index (scan->tiles, Tile, i);
    g_free (t->thumb);
    g_free (t->reference);
  }
  g_array_unref (scan->tiles);
  g_free (scan);
}

guint
seecitv_scan_n_tiles (SeecitvScan * scan)
{
  return scan->tiles->len;
}

const SeecitvBox *
seecitv_scan_tile (SeecitvScan * scan, guint tile)
{
  return &g_array_index (scan->tiles, Tile, tile).box;
}

guint
seecitv_scan_due (SeecitvScan * scan, guint64 n, guint * tiles)
{
  guint total = scan->tiles->len, phase, from, to, i;

  if (n == 0) {
    from = 0;
    to = total;
  } else {
    /* tile i's turn is phase i * interval / total, rounded down: each
     * tile once per cycle, the cycle's tiles spread over its frames */
    phase = (guint) (n % scan->interval);
    from = (guint) (((guint64) phase * total + scan->interval - 1) /
        scan->interval);
    to = (guint) (((guint64) (phase + 1) * total + scan->interval - 1) /
        scan->interval);
  }
  for (i = from; i < to; i++)
    tiles[i - from] = i;
  return to - from;
}

guint8 *
seecitv_scan_thumb (SeecitvScan * scan, guint tile, gint * width,
    gint * height)
{
  Tile *t = &g_array_index (scan->tiles, Tile, tile);

  *width = t->thumb_w;
  *height = t->thumb_h;
  return t->thumb;
}

gboolean
seecitv_scan_changed (SeecitvScan * scan, guint tile, gint threshold)
{
  Tile *t = &g_array_index (scan->tiles, Tile, tile);
  gsize n = (gsize) t->thumb_w * t->thumb_h;
  guint differ = 0;

  if (!t->have_reference)
    return TRUE;
  for (gsize i = 0; i < n; i++) {
    if (abs ((gint) t->thumb[i] - (gint) t->reference[i]) > threshold &&
        ++differ >= 2)
      return TRUE;
  }
  return FALSE;
}

void
seecitv_scan_accept (SeecitvScan * scan, guint tile)
{
  Tile *t = &g_array_index (scan->tiles, Tile, tile);

  memcpy (t->reference, t->thumb, (gsize) t->thumb_w * t->thumb_h);
  t->have_reference = TRUE;
}

void
seecitv_scan_forget (SeecitvScan * scan)
{
  for (guint i = 0; i < scan->tiles->len; i++)
    g_array_index (scan->tiles, Tile, i).have_reference = FALSE;
}
