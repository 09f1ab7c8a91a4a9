/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvredact's scan scheduling (ext/opencv/seecitvredactscan.c): the
 * tile pyramid covers the frame so that every face up to the finest
 * level's overlap lies whole in a tile, every tile comes up once in any
 * detect-interval consecutive frames (all of them on frame 0), and the
 * thumbnail check tells noise from change.
 */
#include <gst/check/gstcheck.h>

#include "seecitvredactscan.h"

/* BlazeFace: a 256 px input, faces of 17 px found reliably. */
#define INPUT 256
#define INPUT_FACE 17

/* TRUE when some tile holds the whole box. */
static gboolean
held_whole (SeecitvScan * scan, gint x, gint y, gint w, gint h)
{
  for (guint i = 0; i < seecitv_scan_n_tiles (scan); i++) {
    const SeecitvBox *t = seecitv_scan_tile (scan, i);
    if (t->x <= x && t->y <= y && x + w <= t->x + t->w &&
        y + h <= t->y + t->h)
      return TRUE;
  }
  return FALSE;
}

/* The scale at which the tile holding (x, y, w, h) whole with the most
 * detail sees it: its side over the detector's input. */
static gdouble
best_scale (SeecitvScan * scan, gint x, gint y, gint w, gint h)
{
  gdouble best = 0.0;

  for (guint i = 0; i < seecitv_scan_n_tiles (scan); i++) {
    const SeecitvBox *t = seecitv_scan_tile (scan, i);
    if (t->x <= x && t->y <= y && x + w <= t->x + t->w &&
        y + h <= t->y + t->h)
      best = MAX (best, (gdouble) INPUT / MAX (t->w, t->h));
  }
  return best;
}

GST_START_TEST (test_tiles_cover_every_face_size)
{
  static const gint sizes[][2] = { {1920, 1080}, {1280, 720}, {640, 360},
  {3840, 2160}, {320, 240}, {1080, 1920}
  };

  for (guint k = 0; k < G_N_ELEMENTS (sizes); k++) {
    gint w = sizes[k][0], h = sizes[k][1];
    SeecitvScan *scan = seecitv_scan_new (w, h, 32, INPUT, INPUT_FACE, 15);

    /* the whole frame is always the last tile */
    const SeecitvBox *last = seecitv_scan_tile (scan,
        seecitv_scan_n_tiles (scan) - 1);
    fail_unless (last->x == 0 && last->y == 0 && last->w == w &&
        last->h == h);
    /* every face from 32 px to a third of the frame, anywhere on a grid,
     * lies whole in a tile that shows it at INPUT_FACE pixels or more
     * (less a tenth: see seecitvredactscan.h) */
    for (gint face = 32; face <= MIN (w, h) / 3; face += 13) {
      for (gint y = 0; y + face <= h; y += 37) {
        for (gint x = 0; x + face <= w; x += 41) {
          fail_unless (held_whole (scan, x, y, face, face),
              "%dx%d: face %d at %d,%d in no tile", w, h, face, x, y);
          fail_unless (face * best_scale (scan, x, y, face, face) >=
              INPUT_FACE * 0.9, "%dx%d: face %d at %d,%d too small (%.1f)",
              w, h, face, x, y, face * best_scale (scan, x, y, face, face));
        }
      }
    }
    seecitv_scan_free (scan);
  }
}

GST_END_TEST;

GST_START_TEST (test_1080p_tile_count)
{
  SeecitvScan *scan = seecitv_scan_new (1920, 1080, 32, INPUT, INPUT_FACE,
      15);

  /* 5 x 3 tiles of 481 px, and the whole frame */
  fail_unless_equals_int (seecitv_scan_n_tiles (scan), 16);
  seecitv_scan_free (scan);
}

GST_END_TEST;

GST_START_TEST (test_every_tile_once_per_interval)
{
  static const guint intervals[] = { 1, 4, 15, 16, 40 };

  for (guint k = 0; k < G_N_ELEMENTS (intervals); k++) {
    guint interval = intervals[k];
    SeecitvScan *scan = seecitv_scan_new (1920, 1080, 32, INPUT, INPUT_FACE,
        interval);
    guint n = seecitv_scan_n_tiles (scan);
    guint *due = g_new0 (guint, n);
    guint *count = g_new0 (guint, n);
    guint64 *last = g_new0 (guint64, n);

    /* frame 0: all of them */
    fail_unless_equals_int (seecitv_scan_due (scan, 0, due), n);
    for (guint64 f = 1; f <= 10 * interval; f++) {
      guint m = seecitv_scan_due (scan, f, due);

      fail_unless (m <= (n + interval - 1) / interval);
      for (guint i = 0; i < m; i++) {
        fail_unless (due[i] < n);
        /* never more than interval frames between two turns */
        fail_unless (f - last[due[i]] <= interval, "tile %u: %"
            G_GUINT64_FORMAT " after %" G_GUINT64_FORMAT, due[i], f,
            last[due[i]]);
        last[due[i]] = f;
        count[due[i]]++;
      }
    }
    for (guint i = 0; i < n; i++)
      fail_unless_equals_int (count[i], 10);
    g_free (due);
    g_free (count);
    g_free (last);
    seecitv_scan_free (scan);
  }
}

GST_END_TEST;

GST_START_TEST (test_thumbnail_change)
{
  SeecitvScan *scan = seecitv_scan_new (640, 360, 32, INPUT, INPUT_FACE, 4);
  gint tw, th;
  guint8 *thumb = seecitv_scan_thumb (scan, 0, &tw, &th);

  fail_unless (tw > 0 && th > 0);
  memset (thumb, 100, tw * th);
  /* never scanned: changed */
  fail_unless (seecitv_scan_changed (scan, 0, 10));
  seecitv_scan_accept (scan, 0);
  fail_if (seecitv_scan_changed (scan, 0, 10));
  /* noise within the threshold */
  for (gint i = 0; i < tw * th; i++)
    thumb[i] = 100 + (i % 21) - 10;
  fail_if (seecitv_scan_changed (scan, 0, 10));
  /* one pixel is not a face */
  memset (thumb, 100, tw * th);
  thumb[5] = 200;
  fail_if (seecitv_scan_changed (scan, 0, 10));
  /* two are */
  thumb[6] = 10;
  fail_unless (seecitv_scan_changed (scan, 0, 10));
  /* forgotten: scanned again */
  memset (thumb, 100, tw * th);
  fail_if (seecitv_scan_changed (scan, 0, 10));
  seecitv_scan_forget (scan);
  fail_unless (seecitv_scan_changed (scan, 0, 10));
  seecitv_scan_free (scan);
}

GST_END_TEST;

static Suite *
redactscan_suite (void)
{
  Suite *s = suite_create ("redactscan");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_tiles_cover_every_face_size);
  tcase_add_test (tc, test_1080p_tile_count);
  tcase_add_test (tc, test_every_tile_once_per_interval);
  tcase_add_test (tc, test_thumbnail_change);
  return s;
}

GST_CHECK_MAIN (redactscan);
