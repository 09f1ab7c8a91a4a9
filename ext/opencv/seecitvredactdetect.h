/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The face-finding side of seecitvredact, between the element (caps,
 * properties, the queue of held frames, messages) and the plain-C OpenCV
 * adapter: which regions of which frames the detector looks at, when a
 * held frame may leave, and what each frame must cover. No GObject here;
 * GStreamer only for buffers and video frames. Used from the element's
 * streaming thread only.
 *
 * On every new frame: the scan tiles whose turn it is (seecitvredactscan.h:
 * all of them on the first frame after a reset), each skipped when its
 * pixels have not changed since its last scan; a close crop around every
 * tracked face whose turn it is (every track-interval frames); with
 * seecitvmotion upstream, a crop around each moving region that no tracked
 * face explains. A face seen for the first time is traced back through the
 * held frames with close crops, so that it is covered from the frame it
 * appeared on. A frame may leave once every tile has been looked at on it
 * or after it.
 */
#ifndef __SEECITV_REDACT_DETECT_H__
#define __SEECITV_REDACT_DETECT_H__

#include <gst/gst.h>
#include <gst/video/video.h>

#include "seecitvcv.h"
#include "seecitvredacttrack.h"

G_BEGIN_DECLS

/* A frame held back until the scans after it are done. */
typedef struct
{
  GstBuffer *buffer;
  guint64 frame;                /* number since start, flush or new caps */
  GstClockTime running_time;
  gboolean failed;              /* a detection it depends on failed */
} SeecitvHeld;

typedef struct
{
  guint interval;               /* frames a full scan spans */
  guint track_interval;         /* frames between crops of a tracked face */
  gint min_face;                /* smallest face a scan must find, pixels */
  gdouble threshold;            /* detector score */
  GstClockTime hold;
  gdouble margin;
} SeecitvDetectSettings;

typedef struct
{
  guint runs;                   /* detector calls */
  gint64 run_us;                /* their CPU-independent wall time, sum */
  guint tiles_unchanged;        /* tiles skipped: no change since scanned */
  guint faces;                  /* faces the calls found */
  guint second_opinions;        /* second detector's looks at new faces */
  gint64 second_us;             /* their wall time, sum */
} SeecitvDetectStats;

typedef struct _SeecitvDetect SeecitvDetect;

/* Takes ownership of @faces and of @second (may be NULL): a cascade whose
 * view of each face found (in a crop around it) widens what is covered of
 * that face, so that what a cascade still takes for a face is covered
 * too. */
SeecitvDetect *seecitv_detect_new (SeecitvCvFaces * faces,
    SeecitvCvFaces * second);
void seecitv_detect_free (SeecitvDetect * detect);

const gchar *seecitv_detect_kind (SeecitvDetect * detect);

/* New caps, new settings (hold and margin may change at any time; the
 * others restart the scan) or a flush: the next frame is scanned whole. */
void seecitv_detect_configure (SeecitvDetect * detect,
    const GstVideoInfo * info, const SeecitvDetectSettings * settings);
void seecitv_detect_reset (SeecitvDetect * detect);

/* Upstream seecitvmotion's sticky event was seen: its "motion" regions
 * are worth a look between scans. */
void seecitv_detect_set_motion_upstream (SeecitvDetect * detect,
    gboolean upstream);

/* Runs what is due on @newest (already pushed on @held, the queue of
 * SeecitvHeld, oldest first). Detector failures mark the frames that
 * depend on them failed. */
void seecitv_detect_frame (SeecitvDetect * detect, GQueue * held,
    SeecitvHeld * newest);

/* At EOS or before new caps: looks at every tile on @newest, so that all
 * of @held may leave. */
void seecitv_detect_finish (SeecitvDetect * detect, GQueue * held,
    SeecitvHeld * newest);

/* Marks every frame of @held from @from on failed: the frames that were
 * waiting for the work just done, in a live pipeline whose detection fell
 * behind. */
void seecitv_detect_fail_from (SeecitvDetect * detect, GQueue * held,
    guint64 from);

/* The number of the oldest frame of @held not looked at whole yet
 * (G_MAXUINT64: none). */
guint64 seecitv_detect_first_pending (SeecitvDetect * detect,
    GQueue * held);

/* TRUE when @frame has been looked at whole (every tile on it or after). */
gboolean seecitv_detect_ready (SeecitvDetect * detect, guint64 frame);

/* Appends (GstVideoRectangle) what @held must cover, grown by the margin;
 * *@n_held counts those there only because of hold. */
void seecitv_detect_cover (SeecitvDetect * detect, const SeecitvHeld * held,
    GArray * boxes, guint * n_held);

/* Forgets what no frame from @next on needs (NULL: no frame is held). */
void seecitv_detect_prune (SeecitvDetect * detect, const SeecitvHeld * next);

/* Copies and zeroes the statistics. */
void seecitv_detect_take_stats (SeecitvDetect * detect,
    SeecitvDetectStats * stats);

G_END_DECLS

#endif /* __SEECITV_REDACT_DETECT_H__ */
