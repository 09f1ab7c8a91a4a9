/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvredact's face tracks (ext/opencv/seecitvredacttrack.c): joining
 * sightings, out-of-order sightings, what each frame covers (between
 * sightings, hold, lead), widening, pruning.
 */
#include <gst/check/gstcheck.h>

#include "seecitvredacttrack.h"

#define MS (G_GUINT64_CONSTANT (1000000))

/* TRUE when some box of @boxes holds @b whole. */
static gboolean
covered (GArray * boxes, const SeecitvBox * b)
{
  for (guint i = 0; i < boxes->len; i++) {
    SeecitvBox *c = &g_array_index (boxes, SeecitvBox, i);
    if (c->x <= b->x && c->y <= b->y && b->x + b->w <= c->x + c->w &&
        b->y + b->h <= c->y + c->h)
      return TRUE;
  }
  return FALSE;
}

static GArray *
cover (SeecitvTracks * t, guint64 frame, guint64 hold_ms, guint lead)
{
  GArray *boxes = g_array_new (FALSE, FALSE, sizeof (SeecitvBox));

  seecitv_tracks_cover (t, frame, frame * 66 * MS, hold_ms * MS, 15, lead,
      0.0, boxes, NULL);
  return boxes;
}

GST_START_TEST (test_walking_face_covered_between_sightings)
{
  SeecitvTracks *t = seecitv_tracks_new ();
  gboolean born;

  /* a face walking right 10 px per frame, seen every 5 frames */
  for (guint f = 0; f <= 30; f += 5) {
    SeecitvBox b = { 100 + 10 * f, 200, 60, 60 };
    seecitv_tracks_add (t, f, f * 66 * MS, &b, &born);
    fail_unless (born == (f == 0));
  }
  fail_unless_equals_int (seecitv_tracks_count (t), 1);
  for (guint f = 0; f <= 30; f++) {
    SeecitvBox truth = { 100 + 10 * f, 200, 60, 60 };
    GArray *boxes = cover (t, f, 0, 0);

    fail_unless_equals_int (boxes->len, 1);
    fail_unless (covered (boxes, &truth), "frame %u", f);
    g_array_unref (boxes);
  }
  seecitv_tracks_free (t);
}

GST_END_TEST;

GST_START_TEST (test_two_faces_two_tracks)
{
  SeecitvTracks *t = seecitv_tracks_new ();
  SeecitvBox a = { 100, 100, 50, 50 }, b = { 600, 100, 50, 50 };
  gboolean born;

  seecitv_tracks_add (t, 0, 0, &a, &born);
  fail_unless (born);
  seecitv_tracks_add (t, 0, 0, &b, &born);
  fail_unless (born);
  a.x += 5;
  seecitv_tracks_add (t, 3, 3 * 66 * MS, &a, &born);
  fail_if (born);
  fail_unless_equals_int (seecitv_tracks_count (t), 2);
  seecitv_tracks_free (t);
}

GST_END_TEST;

GST_START_TEST (test_sightings_out_of_order)
{
  SeecitvTracks *t = seecitv_tracks_new ();
  SeecitvTrack *track;
  gboolean born;

  /* first found on frame 10, then traced back to frames 9..6 */
  for (gint f = 10; f >= 6; f--) {
    SeecitvBox b = { 300 - 8 * (10 - f), 100, 40, 40 };
    track = seecitv_tracks_add (t, f, f * 66 * MS, &b, &born);
    fail_unless (born == (f == 10));
  }
  fail_unless_equals_uint64 (seecitv_track_first (track), 6);
  fail_unless_equals_uint64 (seecitv_track_last (track), 10);
  /* the lead: two frames before the first sighting, nothing before */
  {
    GArray *boxes = cover (t, 4, 0, 2);
    fail_unless_equals_int (boxes->len, 1);
    g_array_unref (boxes);
    boxes = cover (t, 3, 0, 2);
    fail_unless_equals_int (boxes->len, 0);
    g_array_unref (boxes);
  }
  seecitv_tracks_free (t);
}

GST_END_TEST;

GST_START_TEST (test_hold_follows_motion_then_ends)
{
  SeecitvTracks *t = seecitv_tracks_new ();
  SeecitvBox b0 = { 100, 100, 40, 40 }, b1 = { 130, 100, 40, 40 };
  GArray *boxes;

  seecitv_tracks_add (t, 0, 0, &b0, NULL);
  seecitv_tracks_add (t, 3, 3 * 66 * MS, &b1, NULL);
  /* lost after frame 3: held for 500 ms, covering where it was and where
   * it was going (10 px per frame)... */
  boxes = cover (t, 6, 500, 0);
  {
    SeecitvBox there = { 160, 100, 40, 40 };
    fail_unless (covered (boxes, &b1));
    fail_unless (covered (boxes, &there));
  }
  g_array_unref (boxes);
  /* ...but never further than its own size from where it was last seen */
  boxes = cover (t, 9, 500, 0);
  {
    SeecitvBox there = { 170, 100, 40, 40 }, beyond = { 190, 100, 40, 40 };
    fail_unless (covered (boxes, &b1));
    fail_unless (covered (boxes, &there));
    fail_if (covered (boxes, &beyond));
  }
  g_array_unref (boxes);
  boxes = cover (t, 12, 500, 0);
  fail_unless_equals_int (boxes->len, 0);
  g_array_unref (boxes);
  /* and pruned once past the hold */
  seecitv_tracks_prune (t, 12, 12 * 66 * MS, 500 * MS, 15);
  fail_unless_equals_int (seecitv_tracks_count (t), 0);
  seecitv_tracks_free (t);
}

GST_END_TEST;

GST_START_TEST (test_widen_and_margin)
{
  SeecitvTracks *t = seecitv_tracks_new ();
  SeecitvBox b = { 100, 100, 100, 100 };
  SeecitvTrack *track = seecitv_tracks_add (t, 0, 0, &b, NULL);
  GArray *boxes = g_array_new (FALSE, FALSE, sizeof (SeecitvBox));
  SeecitvBox *c;

  seecitv_track_widen (track, 0.3, 0.0, 0.0, 0.25);
  seecitv_track_widen (track, 0.1, 0.0, 0.0, 0.0);   /* never shrinks */
  seecitv_track_widen (track, 0.0, 0.0, 0.0, 5.0);   /* at most 0.35 */
  seecitv_tracks_cover (t, 0, 0, 0, 0, 0, 0.1, boxes, NULL);
  fail_unless_equals_int (boxes->len, 1);
  c = &g_array_index (boxes, SeecitvBox, 0);
  fail_unless_equals_int (c->x, 100 - 10 - 30);
  fail_unless_equals_int (c->y, 100 - 10);
  fail_unless_equals_int (c->w, 100 + 20 + 30);
  fail_unless_equals_int (c->h, 100 + 20 + 35);
  g_array_unref (boxes);
  seecitv_tracks_free (t);
}

GST_END_TEST;

GST_START_TEST (test_prune_keeps_what_frames_need)
{
  SeecitvTracks *t = seecitv_tracks_new ();

  for (guint f = 0; f <= 20; f += 2) {
    SeecitvBox b = { 100 + f, 100, 40, 40 };
    seecitv_tracks_add (t, f, f * 66 * MS, &b, NULL);
  }
  seecitv_tracks_prune (t, 11, 11 * 66 * MS, 1000 * MS, 15);
  fail_unless_equals_int (seecitv_tracks_count (t), 1);
  /* frame 11 is still bracketed by the sightings of 10 and 12 */
  {
    SeecitvBox truth = { 111, 100, 40, 40 };
    GArray *boxes = cover (t, 11, 0, 0);
    fail_unless (covered (boxes, &truth));
    g_array_unref (boxes);
  }
  seecitv_tracks_free (t);
}

GST_END_TEST;

static Suite *
redacttrack_suite (void)
{
  Suite *s = suite_create ("redacttrack");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_walking_face_covered_between_sightings);
  tcase_add_test (tc, test_two_faces_two_tracks);
  tcase_add_test (tc, test_sightings_out_of_order);
  tcase_add_test (tc, test_hold_follows_motion_then_ends);
  tcase_add_test (tc, test_widen_and_margin);
  tcase_add_test (tc, test_prune_keeps_what_frames_need);
  return s;
}

GST_CHECK_MAIN (redacttrack);
