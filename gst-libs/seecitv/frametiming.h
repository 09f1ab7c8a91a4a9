/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Timestamps of a live source from the capture times its sender puts on
 * each frame (seecitv-device's X-Seecitv-Capture-Time, ustreamer's grab
 * time, mjpg-streamer's X-Timestamp): the framerate to announce, and each
 * frame's PTS and duration. Pure C over GLib: no GStreamer, no clock of
 * its own (the caller passes the arrival times), so it is unit tested
 * with made-up times. Reading the headers is the multipart parser's job;
 * pushing buffers and posting warnings is seecitvsrc's.
 *
 * The sender's clock may have any epoch (a Unix time, a monotonic clock):
 * only differences between its capture times are used. A frame's PTS is
 * its arrival in running time, moved back by how much longer than the
 * fastest frame since the last reconnection it took to arrive, so PTS
 * differences are capture-time differences and network jitter is gone.
 * When a frame comes faster than all before it, that floor comes down by
 * at most 1/128 of each capture interval (PTS spacing stays within 0.8 %
 * of capture spacing; meanwhile a frame may be stamped a little after its
 * arrival), and a first frame held up longer than the running time it
 * arrived at gets PTS 0 with the floor raised to match.
 * The framerate is never guessed from arrival: without capture times, or
 * when the first capture intervals are not regular, it is 0/1 (variable).
 * Not thread-safe: one caller at a time.
 */
#ifndef __SEECITV_FRAME_TIMING_H__
#define __SEECITV_FRAME_TIMING_H__

#include <glib.h>

G_BEGIN_DECLS

/* "No time", as GST_CLOCK_TIME_NONE. */
#define SEECITV_FRAME_TIME_NONE G_MAXUINT64

/* Frames the rate is measured over: this many give RATE_FRAMES - 1
 * intervals. */
#define SEECITV_FRAME_TIMING_RATE_FRAMES 4

/* Capture times this far off their arrival (against the fastest frame's)
 * are not network delay: the sender's clock jumped. */
#define SEECITV_FRAME_TIMING_MAX_LAG (G_GUINT64_CONSTANT (5000000000))

/* Returns TRUE with a fixed rate in @num/@den (both > 0) when the @n
 * capture times @capture_ns (ns, increasing, SEECITV_FRAME_TIME_NONE for a
 * frame that had none) show one: at least SEECITV_FRAME_TIMING_RATE_FRAMES
 * times, none missing, every interval within 4 % (and 1 ms) of a whole
 * multiple (1 to 4, a frame the sender dropped) of one period, at least two
 * intervals of exactly one period. The rate is snapped to a whole number
 * of frames per second (or, under 1 fps, to one frame every whole number of
 * seconds) when within 1 %. Returns FALSE with 0/1 otherwise. */
gboolean seecitv_frame_timing_measure_rate (const guint64 * capture_ns,
    guint n, gint * num, gint * den);

typedef struct _SeecitvFrameTiming SeecitvFrameTiming;

/* A new reader, with a variable rate (0/1) until set_rate (). Free with
 * seecitv_frame_timing_free (). */
SeecitvFrameTiming *seecitv_frame_timing_new (void);
void seecitv_frame_timing_free (SeecitvFrameTiming * timing);

/* The rate announced downstream (0/1: variable). A fixed rate makes every
 * duration one period; a variable one makes a frame's duration the
 * interval since the frame before it on the same connection (the source
 * does not hold a frame back to learn the next one's time). */
void seecitv_frame_timing_set_rate (SeecitvFrameTiming * timing, gint num,
    gint den);

typedef struct
{
  guint64 capture_ns;           /* sender's clock, FRAME_TIME_NONE if none */
  gint64 arrival_real_ns;       /* our wall clock when it arrived */
  guint64 arrival_running;      /* running time when it arrived */
  gboolean reconnected;         /* first frame of a new connection */
} SeecitvFrameArrival;

/* The PTS (running time, ns) of the next frame, never below or equal to
 * the previous one's; *@duration (may be NULL) gets its duration or
 * SEECITV_FRAME_TIME_NONE when unknown (at a variable rate, until two
 * frames of one connection were seen). @later (may be NULL when
 * @n_later is 0) are frames of the same connection that already arrived
 * after this one and wait their turn: one that came faster says this one
 * was held up on the way (used for the delay, not stamped; a frame
 * behind a reconnection is not of the same connection). When the
 * sender's clock jumped (see MAX_LAG), *@jump (may be NULL) gets the jump
 * in ns (positive: set back) and timestamps start again from this frame's
 * arrival; else 0. */
guint64 seecitv_frame_timing_stamp (SeecitvFrameTiming * timing,
    const SeecitvFrameArrival * frame, const SeecitvFrameArrival * later,
    guint n_later, guint64 * duration, gint64 * jump);

G_END_DECLS

#endif /* __SEECITV_FRAME_TIMING_H__ */
