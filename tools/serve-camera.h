/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An IP camera given to seecitv-serve as `url=rtsp://…` (docs/serve.md,
 * "RTSP cameras"): a pipeline of its own, `rtspsrc ! decodebin !
 * videoconvert ! appsink`, whose raw frames are pushed into the device
 * pipeline's appsrc. A lost camera (restart, network cut, no frames for a
 * while) only rebuilds this small pipeline, after a back-off: the device
 * pipeline never sees an EOS or an error, only a gap and a DISCONT on the
 * first frame after it; the outage is printed once, and its end once.
 * H.264 and H.265 (whatever decodebin decodes); video only: the camera's
 * audio streams are never set up. The object lives in the main thread
 * (GMainContext default); only the appsink callback runs in a streaming
 * thread, and a lost attempt is stopped in a thread of its own (its
 * TEARDOWN may wait for a camera that is gone). GStreamer only.
 */
#ifndef __SEECITV_SERVE_CAMERA_H__
#define __SEECITV_SERVE_CAMERA_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _SeecitvServeCamera SeecitvServeCamera;

typedef struct
{
  const gchar *id;              /* device id, in the printed lines */
  const gchar *group;           /* "device NAME", in the printed lines */
  const gchar *url;             /* rtsp:// or rtsps://, no credentials */
  const gchar *user;            /* NULL: no login */
  const gchar *password;        /* copied; wiped when freed */
  gboolean tcp;                 /* RTP interleaved over the RTSP connection */
  guint stream;                 /* which of the camera's video streams */
  guint retry_initial_ms;       /* first back-off delay */
  guint retry_max_ms;           /* back-off ceiling */
  guint timeout_ms;             /* no frame this long: the camera is lost */
} SeecitvServeCameraConfig;

/* A camera feeding @appsrc (a reference is taken; its caps are set from
 * the camera's frames). Not started. */
SeecitvServeCamera *seecitv_serve_camera_new (const SeecitvServeCameraConfig
    * config, GstElement * appsrc);

/* Connects (once; later calls do nothing while it runs). */
void seecitv_serve_camera_start (SeecitvServeCamera * cam);

/* Stops the camera pipeline and every timer, waiting for attempts still
 * being stopped; no frame is pushed after it. */
void seecitv_serve_camera_stop (SeecitvServeCamera * cam);

void seecitv_serve_camera_free (SeecitvServeCamera * cam);

G_END_DECLS

#endif /* __SEECITV_SERVE_CAMERA_H__ */
