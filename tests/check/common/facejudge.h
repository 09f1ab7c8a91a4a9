/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The quality measures of issue 13, on the luma of an input frame and the
 * redacted output of it:
 *
 * - a face "survives" a frame when the high-pass detail of the inner 70% of
 *   its box (the luma minus its Gaussian blur of sigma max (1, width / 40))
 *   still correlates above FACE_JUDGE_SURVIVES with the input's;
 * - a pixel has changed when its luma differs by more than
 *   FACE_JUDGE_CHANGED levels.
 *
 * Plain C on GstVideoFrame planes (any format whose plane 0 is 8-bit luma:
 * I420, NV12, GRAY8...). Nothing here knows about the element.
 */
#ifndef __SEECITV_FACE_JUDGE_H__
#define __SEECITV_FACE_JUDGE_H__

#include <gst/video/video.h>

#include "facescene.h"

G_BEGIN_DECLS

#define FACE_JUDGE_SURVIVES 0.5
#define FACE_JUDGE_CHANGED 12
/* Faces smaller than this (box width, pixels) are shown but not counted. */
#define FACE_JUDGE_MIN_FACE 40
/* "Outside the faces" starts beyond this multiple of their boxes. */
#define FACE_JUDGE_OUTSIDE 2.0

/* The centred part of @box of @fraction of its width and height. */
FaceSceneBox face_judge_inner (const FaceSceneBox * box, gdouble fraction);

/* @box grown by @factor about its centre. */
FaceSceneBox face_judge_grow (const FaceSceneBox * box, gdouble factor);

/* Part of @box inside a @width x @height frame, 0 to 1. */
gdouble face_judge_visible (const FaceSceneBox * box, gint width,
    gint height);

/* The correlation, -1 to 1, of the high-pass detail of @in and @out over
 * the inner 70% of @face (clipped to the frame), the blur's sigma taken
 * from the face's width. 0 when either is flat (nothing left to
 * correlate). Returns FALSE (and leaves *@corr alone) when less than 4x4
 * pixels of the inner box are in the frame. */
gboolean face_judge_detail (const GstVideoFrame * in,
    const GstVideoFrame * out, const FaceSceneBox * face, gdouble * corr);

/* Adds to *@changed the pixels of @region (NULL: the whole frame), except
 * those inside any of @exclude, whose luma differs between @in and @out by
 * more than FACE_JUDGE_CHANGED, and to *@total all the pixels counted. */
void face_judge_count_changed (const GstVideoFrame * in,
    const GstVideoFrame * out, const FaceSceneBox * region,
    const FaceSceneBox * exclude, guint n_exclude, guint64 * changed,
    guint64 * total);

G_END_DECLS

#endif /* __SEECITV_FACE_JUDGE_H__ */
