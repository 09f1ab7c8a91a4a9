/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RTSP camera of serve-camera.h: one camera pipeline per connection
 * attempt, its bus and a watchdog in the main thread, frames handed to the
 * device pipeline's appsrc from the appsink's streaming thread, and a lost
 * attempt stopped in a thread of its own. The
 * camera's own timestamps are not kept as PTS: the device pipeline's
 * appsrc stamps each frame on arrival (do-timestamp), which stays
 * monotonic across reconnections. Its capture time is kept where the
 * camera sends RTCP sender reports: rtspsrc puts it on each frame as a
 * timestamp/x-ntp reference timestamp meta, which the decoder, the
 * encoder and the copies here carry to the RTSP mounts
 * (serve-capturetime.h). Not here: the device pipeline (seecitv-serve.c),
 * the config keys (serve-config.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serve-camera.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <openssl/crypto.h>
#include <string.h>

#define TICK_MS 200
/* The first frame of a connection may take a camera's whole key interval
 * after PLAY: at least this long before a silent connection is given up. */
#define MIN_FIRST_FRAME_MS 10000
#define LATENCY_MS 200

/* decodebin needs the (ANY): with plain video/x-raw it finds no H.264
 * decoder ("Missing decoder", GStreamer 1.22) */
#define CAMERA_DESC "rtspsrc name=src ! " \
    "decodebin caps=\"video/x-raw(ANY)\" expose-all-streams=false ! " \
    "videoconvert ! " \
    "appsink name=sink caps=video/x-raw sync=false max-buffers=4 drop=true"

struct _SeecitvServeCamera
{
  gchar *id;
  gchar *group;
  gchar *url;
  gchar *user;
  gchar *password;              /* wiped on free */
  gboolean tcp;
  guint stream;
  guint retry_initial_ms;
  guint retry_max_ms;
  guint timeout_ms;

  /* main thread only */
  guint bus_watch;
  GThreadPool *closing;         /* stops old attempts; NULL once stopped */
  guint retry_source;
  guint tick_source;
  guint delay_ms;               /* the next back-off delay */
  gint64 attempt_since;         /* monotonic µs */
  gint64 outage_since;          /* monotonic µs; 0: no outage */
  gboolean reported;            /* this attempt's first frame was printed */
  gboolean auth_reported;       /* this outage's login failure was printed */
  gboolean ever_connected;
  guint video_seen;             /* rtspsrc::select-stream, this attempt */

  GMutex lock;
  GstElement *pipeline;         /* the current attempt, or NULL; written by
                                 * the main thread under lock */
  GstElement *appsrc;           /* owned; set once */
  GstCaps *caps;                /* last set on appsrc; lock */
  gboolean got_frame;           /* this attempt; lock */
  gint64 last_frame;            /* monotonic µs; lock */
  gboolean active;              /* frames may be pushed; lock */
};

static void camera_connect (SeecitvServeCamera * cam);
static void stop_pipeline (gpointer pipeline, gpointer unused);

SeecitvServeCamera *
seecitv_serve_camera_new (const SeecitvServeCameraConfig * c,
    GstElement * appsrc)
{
  SeecitvServeCamera *cam = g_new0 (SeecitvServeCamera, 1);

  cam->id = g_strdup (c->id);
  cam->group = g_strdup (c->group);
  cam->url = g_strdup (c->url);
  cam->user = g_strdup (c->user);
  cam->password = g_strdup (c->password);
  cam->tcp = c->tcp;
  cam->stream = c->stream;
  cam->retry_initial_ms = MAX (c->retry_initial_ms, 10);
  cam->retry_max_ms = MAX (c->retry_max_ms, cam->retry_initial_ms);
  cam->timeout_ms = MAX (c->timeout_ms, 100);
  cam->delay_ms = cam->retry_initial_ms;
  cam->appsrc = gst_object_ref (appsrc);
  cam->closing = g_thread_pool_new (stop_pipeline, NULL, 1, FALSE, NULL);
  g_mutex_init (&cam->lock);
  return cam;
}

/* rtspsrc::select-stream: only the chosen video stream is set up; audio
 * and every other stream are never received. */
static gboolean
select_stream_cb (GstElement * src, guint num, GstCaps * caps,
    gpointer user_data)
{
  SeecitvServeCamera *cam = user_data;
  const GstStructure *st = caps && gst_caps_get_size (caps) > 0 ?
      gst_caps_get_structure (caps, 0) : NULL;

  if (st == NULL || g_strcmp0 (gst_structure_get_string (st, "media"),
          "video") != 0)
    return FALSE;
  return cam->video_seen++ == cam->stream;
}

/* Streaming thread of the camera pipeline. */
static GstFlowReturn
new_sample_cb (GstAppSink * sink, gpointer user_data)
{
  SeecitvServeCamera *cam = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstCaps *caps;
  GstBuffer *buf;
  gboolean discont, set_caps;

  if (sample == NULL)
    return GST_FLOW_OK;
  caps = gst_sample_get_caps (sample);
  g_mutex_lock (&cam->lock);
  /* an attempt being stopped in its own thread pushes nothing more */
  if (!cam->active ||
      GST_OBJECT_PARENT (sink) != GST_OBJECT_CAST (cam->pipeline)) {
    g_mutex_unlock (&cam->lock);
    gst_sample_unref (sample);
    return GST_FLOW_FLUSHING;
  }
  discont = !cam->got_frame;
  cam->got_frame = TRUE;
  cam->last_frame = g_get_monotonic_time ();
  set_caps = caps != NULL && (cam->caps == NULL ||
      !gst_caps_is_equal (caps, cam->caps));
  if (set_caps)
    gst_caps_replace (&cam->caps, caps);
  g_mutex_unlock (&cam->lock);

  if (set_caps)
    gst_app_src_set_caps (GST_APP_SRC (cam->appsrc), caps);
  /* shares the memory and the metas (the capture time); appsrc stamps it
   * on arrival */
  buf = gst_buffer_copy (gst_sample_get_buffer (sample));
  GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buf) = GST_CLOCK_TIME_NONE;
  if (discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  /* the device pipeline being restarted (flushing) is no reason to drop
   * the camera's connection */
  gst_app_src_push_buffer (GST_APP_SRC (cam->appsrc), buf);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static void
stop_pipeline (gpointer pipeline, gpointer unused)
{
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* Ends the current attempt. Stopping rtspsrc sends a TEARDOWN and waits
 * for its answer (up to tcp-timeout): after a network cut that is long,
 * so unless @wait it happens in a thread of its own, not in the main
 * loop (which serves RTSP and every other device). */
static void
camera_teardown (SeecitvServeCamera * cam, gboolean wait)
{
  GstElement *pipeline;

  if (cam->bus_watch != 0) {
    g_source_remove (cam->bus_watch);
    cam->bus_watch = 0;
  }
  g_mutex_lock (&cam->lock);
  pipeline = cam->pipeline;
  cam->pipeline = NULL;
  g_mutex_unlock (&cam->lock);
  if (pipeline == NULL)
    return;
  if (wait || cam->closing == NULL)
    stop_pipeline (pipeline, NULL);
  else
    g_thread_pool_push (cam->closing, pipeline, NULL);
}

static gboolean
retry_cb (gpointer user_data)
{
  SeecitvServeCamera *cam = user_data;

  cam->retry_source = 0;
  camera_connect (cam);
  return G_SOURCE_REMOVE;
}

/* The camera is lost (or was never reached) because of @why: one line per
 * outage (and one more if a login is refused during it), then a retry
 * after the back-off. */
static void
camera_lost (SeecitvServeCamera * cam, const gchar * why, gboolean auth)
{
  camera_teardown (cam, FALSE);
  if (auth && !cam->auth_reported) {
    if (cam->user != NULL)
      g_printerr ("device %s: error: the camera refused the login of user "
          "%s [not-authorized]: check `user` and `password-file` in [%s]; "
          "retrying in %u ms\n", cam->id, cam->user, cam->group,
          cam->delay_ms);
    else
      g_printerr ("device %s: error: the camera asks for a login "
          "[not-authorized]: set `user` and `password-file` in [%s]; "
          "retrying in %u ms\n", cam->id, cam->group, cam->delay_ms);
    cam->auth_reported = TRUE;
  } else if (cam->outage_since == 0) {
    g_printerr ("device %s: warning: camera %s: %s; reconnecting in %u ms "
        "(then up to every %u ms)\n", cam->id, cam->ever_connected ?
        "disconnected" : "not reached", why, cam->delay_ms,
        cam->retry_max_ms);
  }
  if (cam->outage_since == 0)
    cam->outage_since = g_get_monotonic_time ();
  cam->retry_source = g_timeout_add (cam->delay_ms, retry_cb, cam);
  cam->delay_ms = MIN (cam->delay_ms * 2, cam->retry_max_ms);
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  SeecitvServeCamera *cam = user_data;
  GError *err = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:
      /* the message, never the debug text (it can hold the URL) */
      gst_message_parse_error (msg, &err, NULL);
      cam->bus_watch = 0;
      camera_lost (cam, err->message, g_error_matches (err,
              GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED));
      g_error_free (err);
      return G_SOURCE_REMOVE;
    case GST_MESSAGE_EOS:
      cam->bus_watch = 0;
      camera_lost (cam, "the camera ended the stream", FALSE);
      return G_SOURCE_REMOVE;
    default:
      return G_SOURCE_CONTINUE;
  }
}

/* Watchdog: prints a connection's first frame, and gives up a connection
 * that stays silent (a network cut sends no error for a long time). */
static gboolean
tick_cb (gpointer user_data)
{
  SeecitvServeCamera *cam = user_data;
  gint64 now = g_get_monotonic_time (), last, limit;
  gboolean got;
  gchar *why;

  g_mutex_lock (&cam->lock);
  if (cam->pipeline == NULL) {
    g_mutex_unlock (&cam->lock);
    return G_SOURCE_CONTINUE;
  }
  got = cam->got_frame;
  last = cam->last_frame;
  g_mutex_unlock (&cam->lock);
  if (got && !cam->reported) {
    cam->reported = TRUE;
    if (cam->outage_since != 0)
      g_print ("device %s: camera %s after %.1f s\n", cam->id,
          cam->ever_connected ? "reconnected" : "connected",
          (now - cam->outage_since) / 1e6);
    else
      g_print ("device %s: camera connected\n", cam->id);
    cam->ever_connected = TRUE;
    cam->outage_since = 0;
    cam->auth_reported = FALSE;
    cam->delay_ms = cam->retry_initial_ms;
  }
  limit = got ? cam->timeout_ms : MAX (cam->timeout_ms, MIN_FIRST_FRAME_MS);
  if (now - (got ? last : cam->attempt_since) > limit * 1000) {
    why = g_strdup_printf ("no frame for %.1f s", limit / 1000.0);
    camera_lost (cam, why, FALSE);
    g_free (why);
  }
  return G_SOURCE_CONTINUE;
}

static void
camera_connect (SeecitvServeCamera * cam)
{
  GError *err = NULL;
  GstElement *src, *sink;
  GstAppSinkCallbacks cb = { NULL, NULL, new_sample_cb, };
  GstElement *pipeline = gst_parse_launch (CAMERA_DESC, &err);
  GstBus *bus;

  if (pipeline == NULL || err != NULL) {
    gst_clear_object (&pipeline);
    camera_lost (cam, err ? err->message : "cannot make rtspsrc", FALSE);
    g_clear_error (&err);
    return;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  /* credentials as properties, never in the URL: rtspsrc logs its
   * location */
  g_object_set (src, "location", cam->url, "latency", LATENCY_MS,
      "tcp-timeout", (guint64) cam->timeout_ms * 1000,
      "add-reference-timestamp-meta", TRUE, NULL);
  if (cam->user != NULL)
    g_object_set (src, "user-id", cam->user, "user-pw", cam->password, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "protocols", cam->tcp ? "tcp" :
      "udp+udp-mcast+tcp");
  g_signal_connect (src, "select-stream", G_CALLBACK (select_stream_cb), cam);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, cam, NULL);
  gst_object_unref (src);
  gst_object_unref (sink);

  g_mutex_lock (&cam->lock);
  cam->pipeline = pipeline;
  cam->got_frame = FALSE;
  g_mutex_unlock (&cam->lock);
  cam->video_seen = 0;
  cam->reported = FALSE;
  cam->attempt_since = g_get_monotonic_time ();
  bus = gst_element_get_bus (pipeline);
  cam->bus_watch = gst_bus_add_watch (bus, bus_cb, cam);
  gst_object_unref (bus);
  /* a failure posts its error, which the bus watch takes; without one,
   * the watchdog gives the attempt up */
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
}

void
seecitv_serve_camera_start (SeecitvServeCamera * cam)
{
  if (cam->tick_source != 0)
    return;
  g_mutex_lock (&cam->lock);
  cam->active = TRUE;
  g_mutex_unlock (&cam->lock);
  cam->tick_source = g_timeout_add (TICK_MS, tick_cb, cam);
  camera_connect (cam);
}

void
seecitv_serve_camera_stop (SeecitvServeCamera * cam)
{
  g_mutex_lock (&cam->lock);
  cam->active = FALSE;
  g_mutex_unlock (&cam->lock);
  if (cam->tick_source != 0) {
    g_source_remove (cam->tick_source);
    cam->tick_source = 0;
  }
  if (cam->retry_source != 0) {
    g_source_remove (cam->retry_source);
    cam->retry_source = 0;
  }
  camera_teardown (cam, TRUE);
  /* waits: the old attempts' appsink callbacks use @cam */
  if (cam->closing != NULL) {
    g_thread_pool_free (cam->closing, FALSE, TRUE);
    cam->closing = NULL;
  }
}

void
seecitv_serve_camera_free (SeecitvServeCamera * cam)
{
  if (cam == NULL)
    return;
  seecitv_serve_camera_stop (cam);
  if (cam->password != NULL) {
    OPENSSL_cleanse (cam->password, strlen (cam->password));
    g_free (cam->password);
  }
  g_free (cam->id);
  g_free (cam->group);
  g_free (cam->url);
  g_free (cam->user);
  gst_clear_caps (&cam->caps);
  gst_clear_object (&cam->appsrc);
  g_mutex_clear (&cam->lock);
  g_free (cam);
}
