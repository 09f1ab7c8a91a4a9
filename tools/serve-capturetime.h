/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Capture times on seecitv-serve's RTSP mounts: each frame is sent with
 * the RFC 6051 64-bit NTP header extension
 * (urn:ietf:params:rtp-hdrext:ntp-64, GStreamer's rtphdrextntp64), which
 * carries the frame's GstReferenceTimestampMeta of caps timestamp/x-ntp.
 * An RTSP camera's frames have one from rtspsrc once the camera's RTCP
 * sender reports map its RTP times to its NTP clock; every other frame
 * gets one here, from the wall-clock time the device pipeline stamped it
 * at. The RTCP sender reports of the mounts still map RTP times to
 * seecitv-serve's own clock when it sent them (gst-rtsp-server's). The
 * device pipeline (seecitv-serve.c) and the cameras
 * (serve-camera.c) are not here. GStreamer only.
 */
#ifndef __SEECITV_SERVE_CAPTURE_TIME_H__
#define __SEECITV_SERVE_CAPTURE_TIME_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* The extension's id in the SDP's a=extmap (1 to 14: one-byte headers). */
#define SEECITV_SERVE_NTP_EXTENSION_ID 1

/* Adds the NTP-64 header extension to @payloader (an RTP payloader, before
 * its caps are negotiated) and keeps the rtpbin that @pipeline (its media's
 * pipeline) will get from writing its own sending time over it (rtpbin's
 * update-ntp64-header-ext: the RTCP sender reports keep that time). FALSE
 * when GStreamer has no rtphdrextntp64: the mount works without it. */
gboolean seecitv_serve_capture_time_add_extension (GstElement * payloader,
    GstBin * pipeline);

/* The capture time (NTP ns, since 1900) of a frame at @running_time of
 * @element's pipeline: its camera's when @buf has a timestamp/x-ntp meta,
 * else the wall clock when the pipeline's clock read @running_time.
 * GST_CLOCK_TIME_NONE when neither is known (no clock yet). */
GstClockTime seecitv_serve_capture_time_of (GstBuffer * buf,
    GstElement * element, GstClockTime running_time);

/* Puts @ntp (from capture_time_of (); NONE: nothing) on @buf (writable) as
 * its timestamp/x-ntp meta, unless it has one. */
void seecitv_serve_capture_time_set (GstBuffer * buf, GstClockTime ntp);

G_END_DECLS

#endif /* __SEECITV_SERVE_CAPTURE_TIME_H__ */
