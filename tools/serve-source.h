/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The source of a seecitv-serve device given as `pipeline=` (a gst-launch
 * description of a raw-video source): a bin with one "src" pad, video
 * only, whatever the description ends in, including an element whose pads
 * appear later (uridecodebin, decodebin, a demuxer): its first video pad
 * becomes the bin's "src", any other pad is dropped into a fakesink.
 * Audio never leaves the bin: rtspsrc (alone or inside uridecodebin) sets
 * up video streams only, decodebin and uridecodebin expose raw video only
 * (`caps`, `expose-all-streams=false`), so a camera's microphone is not
 * even received or decoded. GStreamer only.
 */
#ifndef __SEECITV_SERVE_SOURCE_H__
#define __SEECITV_SERVE_SOURCE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* A new floating bin from @description, or NULL with @error set (the
 * parser's error). Without any video stream, the bin posts a STREAM /
 * WRONG_TYPE error with the detail `reason` = "no-video" once its dynamic
 * element has all its pads. */
GstElement *seecitv_serve_source_new (const gchar * description,
    GError ** error);

G_END_DECLS

#endif /* __SEECITV_SERVE_SOURCE_H__ */
