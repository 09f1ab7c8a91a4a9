/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the capture-time reader (gst-libs/seecitv/frametiming.c)
 * with made-up capture and arrival times: the rate measured (regular,
 * with dropped frames, jittery, too few, missing times, slow senders),
 * PTS that follow capture times and not arrival, durations at fixed and
 * variable rates, reconnection and clock jumps.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <seecitv/frametiming.h>

#define MS G_GUINT64_CONSTANT (1000000)
#define NONE SEECITV_FRAME_TIME_NONE

static gboolean
rate_of (const guint64 * t, guint n, gint * num, gint * den)
{
  return seecitv_frame_timing_measure_rate (t, n, num, den);
}

GST_START_TEST (test_rate_regular)
{
  /* 10 fps on a monotonic clock, 0.3 ms of jitter */
  guint64 t[] = { 5000 * MS, 5100 * MS + 300000, 5200 * MS, 5300 * MS - 200000,
    5400 * MS
  };
  gint num, den;

  fail_unless (rate_of (t, 5, &num, &den));
  fail_unless_equals_int (num, 10);
  fail_unless_equals_int (den, 1);
  /* exactly RATE_FRAMES are enough, one fewer is not */
  fail_unless (rate_of (t, SEECITV_FRAME_TIMING_RATE_FRAMES, &num, &den));
  fail_if (rate_of (t, SEECITV_FRAME_TIMING_RATE_FRAMES - 1, &num, &den));
  fail_unless_equals_int (num, 0);
  fail_unless_equals_int (den, 1);
}

GST_END_TEST;

GST_START_TEST (test_rate_dropped_frames)
{
  /* 25 fps with one frame and then two frames not sent: gaps of 2 and 3
   * periods are still 25 fps */
  guint64 t[] = { 0, 40 * MS, 120 * MS, 160 * MS, 280 * MS, 320 * MS };
  gint num, den;

  fail_unless (rate_of (t, G_N_ELEMENTS (t), &num, &den));
  fail_unless_equals_int (num, 25);
  fail_unless_equals_int (den, 1);
}

GST_END_TEST;

GST_START_TEST (test_rate_irregular)
{
  /* 130 ms, 70 ms, 130 ms...: no period explains both */
  guint64 alt[] = { 0, 130 * MS, 200 * MS, 330 * MS, 400 * MS };
  /* a period of 100 ms but only one interval of one period */
  guint64 one[] = { 0, 100 * MS, 300 * MS, 500 * MS };
  /* ustreamer's send times: 1 to 50 ms after a 10 fps capture */
  guint64 send[] = { 1 * MS, 150 * MS, 203 * MS, 349 * MS, 402 * MS };
  /* a gap longer than 4 periods */
  guint64 gap[] = { 0, 100 * MS, 200 * MS, 900 * MS };
  gint num, den;

  fail_if (rate_of (alt, G_N_ELEMENTS (alt), &num, &den));
  fail_unless (num == 0 && den == 1);
  fail_if (rate_of (one, G_N_ELEMENTS (one), &num, &den));
  fail_if (rate_of (send, G_N_ELEMENTS (send), &num, &den));
  fail_if (rate_of (gap, G_N_ELEMENTS (gap), &num, &den));
}

GST_END_TEST;

GST_START_TEST (test_rate_missing_or_unordered)
{
  guint64 missing[] = { 0, 100 * MS, NONE, 300 * MS, 400 * MS };
  guint64 same[] = { 0, 100 * MS, 100 * MS, 200 * MS, 300 * MS };
  guint64 back[] = { 0, 100 * MS, 50 * MS, 200 * MS, 300 * MS };
  gint num, den;

  fail_if (rate_of (missing, G_N_ELEMENTS (missing), &num, &den));
  fail_if (rate_of (same, G_N_ELEMENTS (same), &num, &den));
  fail_if (rate_of (back, G_N_ELEMENTS (back), &num, &den));
  fail_if (rate_of (NULL, 0, &num, &den));
}

GST_END_TEST;

GST_START_TEST (test_rate_fractions)
{
  /* one frame every 2 s: 1/2, not a rounded 0 or 1 */
  guint64 slow[] = { 0, 2000 * MS, 4000 * MS, 6000 * MS };
  /* 7.5 fps: 15/2 */
  guint64 odd[] = { 0, 133333333, 266666667, 400 * MS, 533333333 };
  /* 30000/1001 is within 1 % of 30 */
  guint64 ntsc[] = { 0, 33366667, 66733333, 100100 * 1000, 133466667 };
  gint num, den;

  fail_unless (rate_of (slow, G_N_ELEMENTS (slow), &num, &den));
  fail_unless (num == 1 && den == 2, "%d/%d", num, den);
  fail_unless (rate_of (odd, G_N_ELEMENTS (odd), &num, &den));
  fail_unless (num == 15 && den == 2, "%d/%d", num, den);
  fail_unless (rate_of (ntsc, G_N_ELEMENTS (ntsc), &num, &den));
  fail_unless (num == 30 && den == 1, "%d/%d", num, den);
}

GST_END_TEST;

/* A frame captured at @capture (on a sender clock that reads
 * @capture_epoch at 0) arriving after 20 ms plus @jitter of network
 * delay, on a pipeline whose running time is the wall clock minus 1 s. */
static guint64
stamp (SeecitvFrameTiming * t, guint64 capture, guint64 capture_epoch,
    gint64 jitter, gboolean reconnected, guint64 * duration, gint64 * jump)
{
  SeecitvFrameArrival a;
  gint64 real = (gint64) (capture + 20 * MS) + jitter + 5000 * (gint64) MS;

  a.capture_ns = capture == NONE ? NONE : capture + capture_epoch;
  a.arrival_real_ns = real;
  a.arrival_running = (guint64) real - 1000 * (gint64) MS;
  a.reconnected = reconnected;
  return seecitv_frame_timing_stamp (t, &a, NULL, 0, duration, jump);
}

GST_START_TEST (test_pts_follow_capture)
{
  SeecitvFrameTiming *t = seecitv_frame_timing_new ();
  /* irregular captures, arrivals with up to 30 ms of network jitter */
  guint64 cap[] = { 0, 130 * MS, 200 * MS, 330 * MS, 400 * MS, 530 * MS };
  gint64 jit[] = { 0, 30 * MS, 10 * MS, 0, 25 * MS, 5 * MS };
  guint64 pts[G_N_ELEMENTS (cap)], dur;
  gint64 jump;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cap); i++) {
    /* a sender whose clock is its own monotonic one, near 0 */
    pts[i] = stamp (t, cap[i], 77 * MS, jit[i], i == 0, &dur, &jump);
    fail_unless_equals_int64 (jump, 0);
    if (i == 0) {
      fail_unless_equals_uint64 (dur, NONE);
    } else {
      fail_unless_equals_uint64 (dur, pts[i] - pts[i - 1]);
    }
  }
  /* the first frame was the fastest: every PTS is its capture time on
   * the first frame's arrival */
  for (i = 0; i < G_N_ELEMENTS (cap); i++)
    fail_unless_equals_uint64 (pts[i] - pts[0], cap[i]);
  seecitv_frame_timing_free (t);
}

GST_END_TEST;

static SeecitvFrameArrival
arrival (guint64 capture, gint64 jitter, gboolean reconnected)
{
  SeecitvFrameArrival a;

  a.capture_ns = capture;
  a.arrival_real_ns = (gint64) (capture + 20 * MS) + jitter;
  a.arrival_running = (guint64) a.arrival_real_ns + 3 * MS;
  a.reconnected = reconnected;
  return a;
}

GST_START_TEST (test_frames_behind)
{
  SeecitvFrameTiming *t = seecitv_frame_timing_new ();
  /* the first frame was held up 40 ms on the way, the next ones not */
  SeecitvFrameArrival q[] = { arrival (1000 * MS, 40 * MS, TRUE),
    arrival (1100 * MS, 0, FALSE), arrival (1200 * MS, 0, FALSE),
    /* another connection: says nothing of this one's route */
    arrival (5000 * MS, -15 * MS, TRUE)
  };
  guint64 p0, p1, p2;

  /* what is queued behind the first frame, up to the reconnection */
  p0 = seecitv_frame_timing_stamp (t, &q[0], &q[1], 2, NULL, NULL);
  p1 = seecitv_frame_timing_stamp (t, &q[1], &q[2], 1, NULL, NULL);
  p2 = seecitv_frame_timing_stamp (t, &q[2], NULL, 0, NULL, NULL);
  fail_unless_equals_uint64 (p1 - p0, 100 * MS);
  fail_unless_equals_uint64 (p2 - p1, 100 * MS);
  fail_unless_equals_uint64 (p0, q[0].arrival_running - 40 * MS);

  /* without them, the first frame is stamped at its late arrival, and
   * the faster ones after it come down to theirs by at most 1/128 of
   * each capture interval (0.78 ms in 100): never out of step */
  seecitv_frame_timing_free (t);
  t = seecitv_frame_timing_new ();
  p0 = seecitv_frame_timing_stamp (t, &q[0], NULL, 0, NULL, NULL);
  fail_unless_equals_uint64 (p0, q[0].arrival_running);
  p1 = seecitv_frame_timing_stamp (t, &q[1], NULL, 0, NULL, NULL);
  fail_unless_equals_uint64 (p1 - p0, 100 * MS - 100 * MS / 128);
  /* stamped after its arrival while the floor comes down */
  fail_unless (p1 > q[1].arrival_running);
  p2 = seecitv_frame_timing_stamp (t, &q[2], NULL, 0, NULL, NULL);
  fail_unless_equals_uint64 (p2 - p1, 100 * MS - 100 * MS / 128);
  seecitv_frame_timing_free (t);
}

GST_END_TEST;

/* A first frame held up longer than the running time it arrived at (the
 * pipeline had just started): PTS 0, and the next frames in step with it
 * (a PTS clamped to 0 alone put the next one 75 ms after it, not 100). */
GST_START_TEST (test_no_pts_before_zero)
{
  SeecitvFrameTiming *t = seecitv_frame_timing_new ();
  SeecitvFrameArrival q[] = { arrival (1000 * MS, 40 * MS, TRUE),
    arrival (1100 * MS, 0, FALSE), arrival (1200 * MS, 0, FALSE)
  };
  guint64 p0, p1, p2;
  guint i;

  /* running time 10 ms at the first arrival */
  for (i = 0; i < G_N_ELEMENTS (q); i++)
    q[i].arrival_running = (guint64) (q[i].arrival_real_ns -
        q[0].arrival_real_ns) + 10 * MS;
  p0 = seecitv_frame_timing_stamp (t, &q[0], &q[1], 2, NULL, NULL);
  p1 = seecitv_frame_timing_stamp (t, &q[1], &q[2], 1, NULL, NULL);
  p2 = seecitv_frame_timing_stamp (t, &q[2], NULL, 0, NULL, NULL);
  fail_unless_equals_uint64 (p0, 0);
  fail_unless_equals_uint64 (p1 - p0, 100 * MS - 100 * MS / 128);
  fail_unless_equals_uint64 (p2 - p1, 100 * MS - 100 * MS / 128);
  seecitv_frame_timing_free (t);
}

GST_END_TEST;

GST_START_TEST (test_fixed_rate_durations)
{
  SeecitvFrameTiming *t = seecitv_frame_timing_new ();
  guint64 dur, p0, p1, p2;

  seecitv_frame_timing_set_rate (t, 10, 1);
  p0 = stamp (t, 0, 0, 0, TRUE, &dur, NULL);
  fail_unless_equals_uint64 (dur, 100 * MS);
  p1 = stamp (t, 100 * MS, 0, 3 * MS, FALSE, &dur, NULL);
  fail_unless_equals_uint64 (dur, 100 * MS);
  /* a frame the sender dropped: a gap, the duration stays one period */
  p2 = stamp (t, 300 * MS, 0, 1 * MS, FALSE, &dur, NULL);
  fail_unless_equals_uint64 (dur, 100 * MS);
  fail_unless_equals_uint64 (p1 - p0, 100 * MS);
  fail_unless_equals_uint64 (p2 - p0, 300 * MS);

  seecitv_frame_timing_set_rate (t, 30000, 1001);
  stamp (t, 400 * MS, 0, 0, FALSE, &dur, NULL);
  fail_unless_equals_uint64 (dur, 33366667);
  seecitv_frame_timing_free (t);
}

GST_END_TEST;

GST_START_TEST (test_without_capture_times)
{
  SeecitvFrameTiming *t = seecitv_frame_timing_new ();
  SeecitvFrameArrival a = { NONE, 0, 4000 * MS, TRUE };
  guint64 dur, p0, p1, p2;

  /* arrival it is, jitter and all */
  p0 = seecitv_frame_timing_stamp (t, &a, NULL, 0, &dur, NULL);
  fail_unless_equals_uint64 (p0, 4000 * MS);
  fail_unless_equals_uint64 (dur, NONE);
  a.reconnected = FALSE;
  a.arrival_running = p0 + 90 * MS;
  p1 = seecitv_frame_timing_stamp (t, &a, NULL, 0, &dur, NULL);
  fail_unless_equals_uint64 (p1 - p0, 90 * MS);
  fail_unless_equals_uint64 (dur, 90 * MS);
  /* never backwards, never twice the same */
  a.arrival_running = p0;
  p2 = seecitv_frame_timing_stamp (t, &a, NULL, 0, &dur, NULL);
  fail_unless_equals_uint64 (p2, p1 + 1);
  seecitv_frame_timing_free (t);
}

GST_END_TEST;

GST_START_TEST (test_reconnect_and_jump)
{
  SeecitvFrameTiming *t = seecitv_frame_timing_new ();
  guint64 epoch = 10000 * 1000 * MS, set_back = 6400 * 1000 * MS;
  guint64 dur, p0, p1, p2, p3;
  gint64 jump;

  p0 = stamp (t, 0, epoch, 0, TRUE, &dur, &jump);
  p1 = stamp (t, 100 * MS, epoch, 0, FALSE, &dur, &jump);
  fail_unless_equals_uint64 (dur, 100 * MS);
  fail_unless_equals_uint64 (p1 - p0, 100 * MS);
  /* after a reconnection over a slower route the first frame is not held
   * back against the old route's delay, and no interval spans the gap */
  p2 = stamp (t, 2000 * MS, epoch, 50 * MS, TRUE, &dur, &jump);
  fail_unless_equals_int64 (jump, 0);
  fail_unless_equals_uint64 (p2 - p0, 2050 * MS);
  fail_unless_equals_uint64 (dur, 100 * MS);
  /* the sender's clock set back an hour: one jump, PTS from arrival */
  p3 = stamp (t, 2100 * MS, set_back, 50 * MS, FALSE, &dur, &jump);
  fail_unless_equals_int64 (jump, (gint64) (epoch - set_back));
  fail_unless_equals_uint64 (p3 - p2, 100 * MS);
  stamp (t, 2200 * MS, set_back, 50 * MS, FALSE, &dur, &jump);
  fail_unless_equals_int64 (jump, 0);
  seecitv_frame_timing_free (t);
}

GST_END_TEST;

static Suite *
frametiming_suite (void)
{
  Suite *s = suite_create ("frametiming");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_rate_regular);
  tcase_add_test (tc, test_rate_dropped_frames);
  tcase_add_test (tc, test_rate_irregular);
  tcase_add_test (tc, test_rate_missing_or_unordered);
  tcase_add_test (tc, test_rate_fractions);
  tcase_add_test (tc, test_pts_follow_capture);
  tcase_add_test (tc, test_frames_behind);
  tcase_add_test (tc, test_no_pts_before_zero);
  tcase_add_test (tc, test_fixed_rate_durations);
  tcase_add_test (tc, test_without_capture_times);
  tcase_add_test (tc, test_reconnect_and_jump);
  return s;
}

GST_CHECK_MAIN (frametiming);
