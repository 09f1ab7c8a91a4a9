/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The capture-time reader declared in frametiming.h: the rate measured
 * over the first frames and the PTS/duration of each frame. Integer
 * nanoseconds throughout, except the snapping of the rate.
 */
#include "frametiming.h"

#include <math.h>

#define MAX_MULTIPLE 4
#define TOLERANCE_PERCENT 4
#define MIN_TOLERANCE_NS G_GUINT64_CONSTANT (1000000)
#define SNAP_FRACTION 0.01
#define MAX_RATE 1000.0
#define MIN_RATE (1.0 / 3600.0)
/* A faster frame moves the delay floor down by at most this share of the
 * capture interval before it: PTS spacing stays within 0.8% of capture
 * spacing (under ASan the first frames of a run came in 94 ms slower than
 * the fifth, and a floor that moved at once stamped two frames 6.5 ms
 * apart). */
#define SLEW_SHARE 128

struct _SeecitvFrameTiming
{
  gint rate_num, rate_den;      /* 0/1: variable */
  guint64 period;               /* ns, 0 when variable */
  gboolean have_min_delay;
  gint64 min_delay;             /* fastest arrival - capture seen */
  gint64 floor_delay;           /* the one stamped with, >= min_delay */
  guint64 last_capture;         /* of the last frame that had one */
  guint64 last_pts;             /* FRAME_TIME_NONE before the first */
  guint64 last_interval;        /* NONE until two frames of a connection */
  gboolean have_prev;           /* last_pts is of this connection */
};

static guint64
round_div (guint64 a, guint64 b)
{
  return (a + b / 2) / b;
}

static gboolean
multiples_of (const guint64 * d, guint n, guint64 period, guint64 * sum_d,
    guint64 * sum_k, guint * ones)
{
  guint i;

  *sum_d = *sum_k = *ones = 0;
  for (i = 0; i < n; i++) {
    guint64 k = round_div (d[i], period);
    guint64 tol = MAX (period * TOLERANCE_PERCENT / 100, MIN_TOLERANCE_NS);
    guint64 off;

    if (k < 1 || k > MAX_MULTIPLE)
      return FALSE;
    off = d[i] > k * period ? d[i] - k * period : k * period - d[i];
    if (off > tol)
      return FALSE;
    *sum_d += d[i];
    *sum_k += k;
    if (k == 1)
      (*ones)++;
  }
  return TRUE;
}

static void
snap_rate (guint64 period, gint * num, gint * den)
{
  gdouble rate = 1e9 / (gdouble) period;
  gdouble whole = floor (rate + 0.5);
  gdouble secs = floor (period / 1e9 + 0.5);

  if (whole >= 1 && fabs (rate - whole) <= SNAP_FRACTION * rate) {
    *num = (gint) whole;
    *den = 1;
  } else if (rate < 1 && secs >= 1 &&
      fabs (period / 1e9 - secs) <= SNAP_FRACTION * (period / 1e9)) {
    *num = 1;
    *den = (gint) secs;
  } else {
    gint n = (gint) floor (rate * 1000 + 0.5), d = 1000;
    gint a = n, b = d;

    while (b != 0) {
      gint t = a % b;

      a = b;
      b = t;
    }
    *num = n / a;
    *den = d / a;
  }
}

gboolean
seecitv_frame_timing_measure_rate (const guint64 * capture_ns, guint n,
    gint * num, gint * den)
{
  guint64 d[64], min = G_MAXUINT64, sum_d, sum_k, period;
  guint i, ones;
  gdouble rate;

  g_return_val_if_fail (num != NULL && den != NULL, FALSE);
  *num = 0;
  *den = 1;
  if (capture_ns == NULL || n < SEECITV_FRAME_TIMING_RATE_FRAMES)
    return FALSE;
  n = MIN (n, G_N_ELEMENTS (d) + 1);
  for (i = 0; i < n; i++)
    if (capture_ns[i] == SEECITV_FRAME_TIME_NONE)
      return FALSE;
  for (i = 1; i < n; i++) {
    if (capture_ns[i] <= capture_ns[i - 1])
      return FALSE;
    d[i - 1] = capture_ns[i] - capture_ns[i - 1];
    min = MIN (min, d[i - 1]);
  }
  /* the shortest interval is one period, give or take jitter: the mean
   * over the multiples it implies is a better one, checked again */
  if (!multiples_of (d, n - 1, min, &sum_d, &sum_k, &ones))
    return FALSE;
  period = round_div (sum_d, sum_k);
  if (period == 0 || !multiples_of (d, n - 1, period, &sum_d, &sum_k, &ones)
      || ones < 2)
    return FALSE;
  rate = 1e9 / (gdouble) period;
  if (rate > MAX_RATE || rate < MIN_RATE)
    return FALSE;
  snap_rate (period, num, den);
  return TRUE;
}

SeecitvFrameTiming *
seecitv_frame_timing_new (void)
{
  SeecitvFrameTiming *t = g_new0 (SeecitvFrameTiming, 1);

  t->rate_den = 1;
  t->last_pts = SEECITV_FRAME_TIME_NONE;
  t->last_interval = SEECITV_FRAME_TIME_NONE;
  return t;
}

void
seecitv_frame_timing_free (SeecitvFrameTiming * timing)
{
  g_free (timing);
}

void
seecitv_frame_timing_set_rate (SeecitvFrameTiming * timing, gint num,
    gint den)
{
  g_return_if_fail (timing != NULL);
  g_return_if_fail (num >= 0 && den > 0);

  timing->rate_num = num;
  timing->rate_den = den;
  timing->period = num > 0 ? round_div ((guint64) 1000000000 * den, num) : 0;
}

guint64
seecitv_frame_timing_stamp (SeecitvFrameTiming * t,
    const SeecitvFrameArrival * f, const SeecitvFrameArrival * later,
    guint n_later, guint64 * duration, gint64 * jump)
{
  guint64 pts = f->arrival_running;
  guint i;

  g_return_val_if_fail (t != NULL && f != NULL, SEECITV_FRAME_TIME_NONE);

  if (jump != NULL)
    *jump = 0;
  if (f->reconnected) {
    /* the fastest frame of the last connection says nothing about the
     * route of this one */
    t->have_min_delay = FALSE;
    t->have_prev = FALSE;
  }
  if (f->capture_ns != SEECITV_FRAME_TIME_NONE) {
    gint64 delay = f->arrival_real_ns - (gint64) f->capture_ns;
    gint64 extra;
    gboolean fresh;

    if (t->have_min_delay &&
        (delay - t->min_delay > (gint64) SEECITV_FRAME_TIMING_MAX_LAG ||
            t->min_delay - delay > (gint64) SEECITV_FRAME_TIMING_MAX_LAG)) {
      /* the sender's clock was set back or forth: timestamps start again
       * from this frame's arrival, they never jump with it */
      if (jump != NULL)
        *jump = delay - t->min_delay;
      t->have_min_delay = FALSE;
    }
    /* the first frame with a capture time since a (re)connection or a
     * jump */
    fresh = !t->have_min_delay;
    if (fresh) {
      t->min_delay = delay;
      t->have_min_delay = TRUE;
    } else if (delay < t->min_delay) {
      t->min_delay = delay;
    }
    for (i = 0; i < n_later; i++) {
      gint64 d = later[i].arrival_real_ns - (gint64) later[i].capture_ns;

      /* a jump among them is dealt with when its frame's turn comes */
      if (later[i].capture_ns != SEECITV_FRAME_TIME_NONE &&
          d < t->min_delay && t->min_delay - d <=
          (gint64) SEECITV_FRAME_TIMING_MAX_LAG)
        t->min_delay = d;
    }
    if (fresh) {
      /* what is queued behind it counts at once */
      t->floor_delay = t->min_delay;
    } else if (t->floor_delay > t->min_delay) {
      guint64 step = f->capture_ns > t->last_capture ?
          (f->capture_ns - t->last_capture) / SLEW_SHARE : 0;

      t->floor_delay -= (gint64) MIN ((guint64) (t->floor_delay -
              t->min_delay), MAX (step, 1));
    }
    t->last_capture = f->capture_ns;
    /* negative while the floor comes down: stamped a little after its
     * arrival, never out of step with its capture */
    extra = delay - t->floor_delay;
    if (extra > 0 && (guint64) extra > pts) {
      /* no PTS before 0: the floor goes up instead (and comes down as
       * above), so that the next frames stay in step with this one */
      t->floor_delay += extra - (gint64) pts;
      extra = (gint64) pts;
    }
    if (extra >= 0)
      pts -= (guint64) extra;
    else
      pts += (guint64) (-extra);
  }
  if (t->last_pts != SEECITV_FRAME_TIME_NONE && pts <= t->last_pts)
    pts = t->last_pts + 1;
  if (t->have_prev)
    t->last_interval = pts - t->last_pts;
  t->last_pts = pts;
  t->have_prev = TRUE;
  if (duration != NULL)
    *duration = t->period > 0 ? t->period : t->last_interval;
  return pts;
}
