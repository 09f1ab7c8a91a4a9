/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Face tracks for seecitvredact: plain logic, no GStreamer and no OpenCV,
 * unit-tested on its own (tests/check/libs/redacttrack.c).
 *
 * A track is one face seen on some frames (its sightings, sorted by frame
 * number). Detections arrive out of order: scans of later frames, then
 * crops of earlier held frames when a new face is traced back. What a frame
 * must cover follows from the sightings around it: interpolated between the
 * two that enclose it, kept (and carried along its motion) for a hold time
 * after the last one, and reached back a few frames before the first. All
 * boxes are in full-frame pixels. The caller owns the locking (the element
 * uses it from its streaming thread only).
 */
#ifndef __SEECITV_REDACT_TRACK_H__
#define __SEECITV_REDACT_TRACK_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  gint x;
  gint y;
  gint w;
  gint h;
} SeecitvBox;

/* A running time that is not known. */
#define SEECITV_TIME_NONE G_MAXUINT64

typedef struct _SeecitvTracks SeecitvTracks;
typedef struct _SeecitvTrack SeecitvTrack;

SeecitvTracks *seecitv_tracks_new (void);
void seecitv_tracks_free (SeecitvTracks * tracks);
/* Forgets every track (flush, new caps). */
void seecitv_tracks_clear (SeecitvTracks * tracks);

/* Records a face seen on @frame (running time @time, or
 * SEECITV_TIME_NONE). It joins the track whose expected box on @frame it
 * overlaps best (or whose expected box it has its centre within a face's
 * size of), else it starts a new track and
 * *@born (may be NULL) is set. A second sighting of a track on one frame
 * widens that sighting to the union. Returns the track (owned by @tracks,
 * valid until the next prune or clear). */
SeecitvTrack *seecitv_tracks_add (SeecitvTracks * tracks, guint64 frame,
    guint64 time, const SeecitvBox * box, gboolean * born);

guint seecitv_tracks_count (SeecitvTracks * tracks);
SeecitvTrack *seecitv_tracks_nth (SeecitvTracks * tracks, guint i);

/* Frame numbers of the track's first and last sightings. */
guint64 seecitv_track_first (const SeecitvTrack * track);
guint64 seecitv_track_last (const SeecitvTrack * track);

/* Where the face is expected on @frame: interpolated between the
 * sightings around it, else moved on (or back) from the nearest sighting
 * at the speed of the last (first) two. */
void seecitv_track_expect (const SeecitvTrack * track, guint64 frame,
    SeecitvBox * box);

/* Grows every box the track covers by these fractions of the box's size
 * (left, top, right, bottom), beyond the margin; the largest seen so far
 * is kept. What a second detector saw of the same head beyond the first
 * one's box. */
void seecitv_track_widen (SeecitvTrack * track, gdouble left, gdouble top,
    gdouble right, gdouble bottom);

/* Frames before its first sighting the track covers with its first box,
 * beyond seecitv_tracks_cover ()'s @lead: a face first seen at the edge
 * of the frame came in from there, and was partly in view before a
 * detector could see it. */
void seecitv_track_set_lead (SeecitvTrack * track, guint frames);

/* The frame of the last crop that looked for this face (0: none yet);
 * the element's scheduling state, kept with the track. */
guint64 seecitv_track_get_tried (const SeecitvTrack * track);
void seecitv_track_set_tried (SeecitvTrack * track, guint64 frame);

/* Appends to @boxes (SeecitvBox) what @frame (running time @time) must
 * cover: for every track with sightings on both sides of @frame, the
 * interpolated box; for a track last seen before @frame within @hold ns
 * (or @hold_frames frames when a time is unknown), the last box and where
 * the face's motion would have carried it; for a track first seen at most
 * @lead frames after @frame, its first box. Each is grown by @margin of its
 * size on every side, plus a quarter of the distance the face moved
 * between the two sightings used. *@n_held (may be NULL) counts the boxes
 * there only because of @hold. */
void seecitv_tracks_cover (SeecitvTracks * tracks, guint64 frame,
    guint64 time, guint64 hold, guint hold_frames, guint lead,
    gdouble margin, GArray * boxes, guint * n_held);

/* Drops what no frame from @oldest on can need: sightings before the last
 * one at or before @oldest, and tracks last seen before @oldest by more
 * than @hold ns (or @hold_frames frames when a time is unknown), measured
 * at @oldest_time. */
void seecitv_tracks_prune (SeecitvTracks * tracks, guint64 oldest,
    guint64 oldest_time, guint64 hold, guint hold_frames);

/* Intersection over union of two boxes, 0 when either is empty. */
gdouble seecitv_box_iou (const SeecitvBox * a, const SeecitvBox * b);

G_END_DECLS

#endif /* __SEECITV_REDACT_TRACK_H__ */
