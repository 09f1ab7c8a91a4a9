/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Scan scheduling for seecitvredact: plain logic, no GStreamer and no
 * OpenCV, unit-tested on its own (tests/check/libs/redactscan.c).
 *
 * A full-frame scan is a set of tiles: the finest level at full resolution,
 * sized so that the smallest face wanted is big enough for the detector
 * once the tile is scaled to its input, overlapping by a quarter so that a
 * face up to that size lies whole in some tile; coarser levels (twice the
 * side each) only while the whole frame, scaled to the detector's input,
 * would still show faces that big more than a tenth under the detector's
 * reliable size; then the whole frame (16 tiles in all at 1080p). The tiles come up
 * in turn, a few per frame, so that a full scan completes every @interval
 * frames (and on the first frame, whole). A tile whose thumbnail (area averages of 8x8 pixels: sensor
 * noise averages out) has not changed since the tile was last scanned
 * keeps that scan's result without running the detector again. The
 * caller owns the locking (the element uses it from its streaming thread).
 */
#ifndef __SEECITV_REDACT_SCAN_H__
#define __SEECITV_REDACT_SCAN_H__

#include <glib.h>
#include "seecitvredacttrack.h"

G_BEGIN_DECLS

/* Thumbnail pixels are area averages of this many pixels square. */
#define SEECITV_SCAN_THUMB_BLOCK 8

typedef struct _SeecitvScan SeecitvScan;

/* Tiles for a @width x @height frame. @min_face: the smallest face (in
 * frame pixels) a scan must find; @input: the side of the detector's
 * square input; @input_face: the smallest face (in input pixels) the
 * detector finds reliably; @interval: frames a full scan may span (>= 1).
 * Never fails for sizes >= 1. */
SeecitvScan *seecitv_scan_new (gint width, gint height, gint min_face,
    gint input, gint input_face, guint interval);
void seecitv_scan_free (SeecitvScan * scan);

guint seecitv_scan_n_tiles (SeecitvScan * scan);
const SeecitvBox *seecitv_scan_tile (SeecitvScan * scan, guint tile);

/* The tiles whose turn it is on frame @n (counted from 0 at the start or
 * the last seecitv_scan_forget ()): every tile on frame 0, then the tiles
 * spread evenly over each run of @interval frames, so that every tile
 * comes up once in any @interval consecutive frames. Writes their indices
 * to @tiles (room for seecitv_scan_n_tiles ()) and returns how many. */
guint seecitv_scan_due (SeecitvScan * scan, guint64 n, guint * tiles);

/* Where the caller writes a tile's new thumbnail (rows packed), and its
 * size. */
guint8 *seecitv_scan_thumb (SeecitvScan * scan, guint tile, gint * width,
    gint * height);

/* TRUE when the thumbnail just written for @tile differs from the one it
 * had when last scanned (by more than @threshold luma levels in at least
 * two thumbnail pixels), or it was never scanned. */
gboolean seecitv_scan_changed (SeecitvScan * scan, guint tile,
    gint threshold);

/* The tile was scanned on the thumbnail just written: it becomes the
 * reference. */
void seecitv_scan_accept (SeecitvScan * scan, guint tile);

/* Every tile must be scanned again (a flush, a failed run). */
void seecitv_scan_forget (SeecitvScan * scan);

G_END_DECLS

#endif /* __SEECITV_REDACT_SCAN_H__ */
