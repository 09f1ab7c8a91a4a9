/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-serve with an IP camera as `pipeline=` (issue 17): a loopback
 * RTSP camera (gst-rtsp-server in this process, in a thread of its own)
 * sends H.264 video and Opus audio, as cameras with a microphone do. Two
 * devices read it through elements whose pads appear later:
 * - `uridecodebin uri=rtsp://…`, ending the description (gst_parse could
 *   not ghost a pad that does not exist yet: "cannot link");
 * - `rtspsrc … ! decodebin ! queue` (gst_parse's delayed linking took the
 *   first pad, audio as well: "Delayed linking failed" and restarts).
 * Both mounts stream; nothing says "Delayed linking failed"; and the
 * camera never gets a SETUP for its audio stream: the audio is not even
 * received.
 *
 * And the camera as `url=rtsp://` (tools/serve-camera.c), against a
 * camera process (rtsp-camera.c, Digest only) that the test kills and
 * starts again: frames on the mount, again within the back-off + 1 s
 * after the camera is back, no EOS and no restart of the device pipeline,
 * exactly one warning for the outage; a wrong password is one clear error
 * naming the device, and no password is ever printed; H.265 too.
 *
 * And the camera's capture time kept: a camera whose RTCP sender reports
 * give its own clock (70 years off ours) sends through seecitv-serve, and
 * the mount's RTP packets carry that clock in the RFC 6051 NTP-64 header
 * extension announced in the SDP.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/rtp/gstrtpbuffer.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <gst/sdp/gstsdpmessage.h>
#include <signal.h>
#include <string.h>

#include "serve-common.h"

#define USER "nvr"
#define PASS "camera-test-password-1"

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = test_tmpdir_new ("seecitv-serve-camera-XXXXXX");
}

static void
teardown (void)
{
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* ---- the camera ---- */

typedef struct
{
  GMainContext *ctx;
  GMainLoop *loop;
  GThread *thread;
  GstRTSPServer *server;
  guint port;
  gint video_setups;            /* atomic */
  gint audio_setups;            /* atomic */
} Camera;

static void
setup_request_cb (GstRTSPClient * client, GstRTSPContext * ctx,
    gpointer user_data)
{
  Camera *cam = user_data;
  const gchar *path = ctx->uri ? ctx->uri->abspath : "";

  if (g_str_has_suffix (path, "/stream=1"))
    g_atomic_int_inc (&cam->audio_setups);
  else if (g_str_has_suffix (path, "/stream=0"))
    g_atomic_int_inc (&cam->video_setups);
}

static void
client_connected_cb (GstRTSPServer * server, GstRTSPClient * client,
    gpointer user_data)
{
  g_signal_connect (client, "setup-request", G_CALLBACK (setup_request_cb),
      user_data);
}

static gpointer
camera_thread (gpointer data)
{
  Camera *cam = data;

  g_main_context_push_thread_default (cam->ctx);
  g_main_loop_run (cam->loop);
  g_main_context_pop_thread_default (cam->ctx);
  return NULL;
}

/* The camera's sender reports put Unix time where NTP time belongs (a
 * camera 70 years off): ntp-time-source on its rtpbin. */
static void
element_added_cb (GstBin * bin, GstElement * element, gpointer user_data)
{
  GstElementFactory *f = gst_element_get_factory (element);

  if (f != NULL && strcmp (GST_OBJECT_NAME (f), "rtpbin") == 0)
    gst_util_set_object_arg (G_OBJECT (element), "ntp-time-source",
        "unix");
}

static void
own_clock_cb (GstRTSPMediaFactory * factory, GstRTSPMedia * media,
    gpointer user_data)
{
  GstElement *element = gst_rtsp_media_get_element (media);
  GstObject *pipeline = gst_object_get_parent (GST_OBJECT (element));

  fail_unless (pipeline != NULL);
  g_signal_connect (pipeline, "element-added",
      G_CALLBACK (element_added_cb), NULL);
  gst_object_unref (pipeline);
  gst_object_unref (element);
}

static Camera *
camera_start_full (gboolean own_clock)
{
  Camera *cam = g_new0 (Camera, 1);
  GstRTSPMediaFactory *f = gst_rtsp_media_factory_new ();
  GstRTSPMountPoints *mounts;

  cam->ctx = g_main_context_new ();
  cam->loop = g_main_loop_new (cam->ctx, FALSE);
  cam->server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (cam->server, "127.0.0.1");
  gst_rtsp_server_set_service (cam->server, "0");
  /* The audio stream is never SET UP (that is the point): gst-rtsp-server
   * leaves its branch unlinked, and audiotestsrc then stopped the whole
   * shared media with not-linked in about one run of three, so that the
   * camera answered every later DESCRIBE with 503 ("can't prepare media").
   * A camera keeps its unused streams quiet; the tee does that here. */
  gst_rtsp_media_factory_set_launch (f, "( videotestsrc is-live=true "
      "pattern=ball ! video/x-raw,width=160,height=120,framerate=15/1 ! "
      "x264enc tune=zerolatency key-int-max=15 ! rtph264pay name=pay0 pt=96 "
      "audiotestsrc is-live=true ! audioconvert ! opusenc ! "
      "tee allow-not-linked=true ! rtpopuspay name=pay1 pt=97 )");
  gst_rtsp_media_factory_set_shared (f, TRUE);
  if (own_clock)
    g_signal_connect (f, "media-configure", G_CALLBACK (own_clock_cb), NULL);
  mounts = gst_rtsp_server_get_mount_points (cam->server);
  gst_rtsp_mount_points_add_factory (mounts, "/cam", f);
  g_object_unref (mounts);
  g_signal_connect (cam->server, "client-connected",
      G_CALLBACK (client_connected_cb), cam);
  fail_unless (gst_rtsp_server_attach (cam->server, cam->ctx) != 0);
  cam->port = gst_rtsp_server_get_bound_port (cam->server);
  cam->thread = g_thread_new ("camera", camera_thread, cam);
  return cam;
}

static Camera *
camera_start (void)
{
  return camera_start_full (FALSE);
}

static gboolean
quit_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
camera_stop (Camera * cam)
{
  GstRTSPSessionPool *pool = gst_rtsp_server_get_session_pool (cam->server);

  g_main_context_invoke (cam->ctx, quit_cb, cam->loop);
  g_thread_join (cam->thread);
  gst_rtsp_session_pool_cleanup (pool);
  g_object_unref (pool);
  g_object_unref (cam->server);
  while (g_main_context_iteration (cam->ctx, FALSE));
  g_main_loop_unref (cam->loop);
  g_main_context_unref (cam->ctx);
  g_free (cam);
}

GST_START_TEST (test_dynamic_pads_video_only)
{
  Camera *cam = camera_start ();
  gchar *creds = write_file (tmpdir, "rtsp.credentials", USER ":" PASS "\n");
  gchar *text = g_strdup_printf ("[rtsp]\naddress=127.0.0.1\nport=0\n"
      "credentials-file=%s\n"
      "[device tail]\npipeline=uridecodebin uri=rtsp://127.0.0.1:%u/cam\n"
      "detect-faces=false\n"
      "[device linked]\npipeline=rtspsrc location=rtsp://127.0.0.1:%u/cam "
      "latency=100 ! decodebin ! queue\ndetect-faces=false\n",
      creds, cam->port, cam->port);
  gchar *config = write_file (tmpdir, "serve.conf", text);
  Serve *s = serve_start (config, 2);
  const gchar *ids[] = { "tail", "linked" };

  fail_unless (g_hash_table_size (s->urls) == 2, "%s", s->output->str);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    const gchar *url = g_hash_table_lookup (s->urls, ids[i]);
    GError *err = NULL;

    guint got = rtsp_receive (url, USER, PASS, 5, 30, NULL, NULL, &err);

    fail_unless (got == 5, "%s: %u frames, %s\n%s", ids[i], got,
        err ? err->message : "", s->output->str);
    g_clear_error (&err);
  }
  fail_unless_equals_int (serve_stop (s), 0);
  fail_unless (strstr (s->output->str, "Delayed linking failed") == NULL,
      "%s", s->output->str);
  fail_unless (strstr (s->output->str, "restarting") == NULL, "%s",
      s->output->str);
  fail_unless (g_atomic_int_get (&cam->video_setups) >= 2);
  fail_unless_equals_int (g_atomic_int_get (&cam->audio_setups), 0);
  serve_free (s);
  camera_stop (cam);
  g_free (config);
  g_free (text);
  g_free (creds);
}

GST_END_TEST;

/* ---- the camera as a process, through url=rtsp:// ---- */

/* Starts rtsp-camera on *@port (0: any; set to the port it got), with
 * Digest (or with @auth "basic", Basic). */
static GSubprocess *
camproc_start_auth (guint * port, const gchar * pass, const gchar * codec,
    const gchar * auth)
{
  gchar *p = g_strdup_printf ("%u", *port);
  GError *err = NULL;
  GSubprocess *proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE,
      &err, RTSP_CAMERA_TOOL, p, USER, pass, codec, auth, NULL);
  GDataInputStream *in;
  gchar *line;

  fail_unless (proc != NULL, "%s", err ? err->message : "");
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  fail_unless (line != NULL && g_str_has_prefix (line, "camera: ready "),
      "camera: %s", GST_STR_NULL (line));
  *port = (guint) g_ascii_strtoull (line + strlen ("camera: ready "), NULL,
      10);
  g_free (line);
  g_object_unref (in);
  g_free (p);
  return proc;
}

static GSubprocess *
camproc_start (guint * port, const gchar * pass, const gchar * codec)
{
  return camproc_start_auth (port, pass, codec, "digest");
}

static void
camproc_kill (GSubprocess * proc)
{
  g_subprocess_force_exit (proc);
  g_subprocess_wait (proc, NULL, NULL);
  g_object_unref (proc);
}

static guint
count (const gchar * text, const gchar * needle)
{
  guint n = 0;

  for (const gchar * p = text; (p = strstr (p, needle)) != NULL; p++)
    n++;
  return n;
}

static gchar *
camera_config_with (guint port, const gchar * pass, const gchar * extra)
{
  gchar *creds = write_file (tmpdir, "rtsp.credentials", "viewer:" PASS
      "-viewer\n");
  gchar *pw = write_file (tmpdir, "cam.password", pass);
  gchar *text = g_strdup_printf ("[rtsp]\naddress=127.0.0.1\nport=0\n"
      "credentials-file=%s\n"
      "[device cam]\nurl=rtsp://127.0.0.1:%u/cam\nuser=" USER "\n"
      "password-file=%s\nretry-initial=1\nretry-max=2\n"
      "detect-faces=false\n%s", creds, port, pw, extra);
  gchar *config = write_file (tmpdir, "serve.conf", text);

  g_free (text);
  g_free (pw);
  g_free (creds);
  return config;
}

static gchar *
camera_config (guint port, const gchar * pass)
{
  return camera_config_with (port, pass, "");
}

static void
receive_frames (Serve * s, guint n)
{
  GError *err = NULL;
  guint got = rtsp_receive (g_hash_table_lookup (s->urls, "cam"), "viewer",
      PASS "-viewer", n, 30, NULL, NULL, &err);

  fail_unless (got == n, "%u frames, %s\n%s", got, err ? err->message : "",
      s->output->str);
  g_clear_error (&err);
}

GST_START_TEST (test_rtsp_camera_reconnects)
{
  guint port = 0;
  GSubprocess *cam = camproc_start (&port, PASS, "h264");
  gchar *config = camera_config (port, PASS);
  Serve *s = serve_start (config, 1);
  gint64 back;
  gdouble took;

  fail_unless (g_hash_table_size (s->urls) == 1, "%s", s->output->str);
  fail_unless (serve_wait_line (s, "device cam: camera connected"), "%s",
      s->output->str);
  receive_frames (s, 5);

  /* the camera's power goes; it is back 1.5 s later, after one failed
   * retry (1 s), so the next one comes 2 s after that */
  camproc_kill (cam);
  fail_unless (serve_wait_line (s, "device cam: warning: camera "
          "disconnected"), "%s", s->output->str);
  g_usleep (1500 * G_TIME_SPAN_MILLISECOND);
  cam = camproc_start (&port, PASS, "h264");
  back = g_get_monotonic_time ();
  fail_unless (serve_wait_line (s, "device cam: camera reconnected"), "%s",
      s->output->str);
  took = (g_get_monotonic_time () - back) / 1e6;
  g_print ("camera back: frames again after %.2f s\n", took);
  fail_unless (took <= 2.0 + 1.0, "frames again %.2f s after the camera "
      "came back\n%s", took, s->output->str);
  receive_frames (s, 5);
  fail_unless_equals_int (serve_stop (s), 0);

  fail_unless_equals_int (count (s->output->str, "device cam: warning"), 1);
  fail_unless (strstr (s->output->str, "error") == NULL, "%s",
      s->output->str);
  fail_unless (strstr (s->output->str, "the stream ended") == NULL, "%s",
      s->output->str);
  fail_unless (strstr (s->output->str, "restarting") == NULL, "%s",
      s->output->str);
  fail_unless (strstr (s->output->str, PASS) == NULL, "%s", s->output->str);
  serve_free (s);
  camproc_kill (cam);
  g_free (config);
}

GST_END_TEST;

/* A network cut: the camera stops answering (SIGSTOP) but its
 * connection stays open, so no error comes; the watchdog gives the
 * connection up after `timeout`, once, and the camera is back after
 * SIGCONT. */
GST_START_TEST (test_rtsp_camera_network_cut)
{
  guint port = 0;
  GSubprocess *cam = camproc_start (&port, PASS, "h264");
  gchar *config = camera_config_with (port, PASS, "timeout=1\n");
  Serve *s = serve_start (config, 1);
  gint64 back;
  gdouble took;

  fail_unless (serve_wait_line (s, "device cam: camera connected"), "%s",
      s->output->str);
  receive_frames (s, 5);
  g_subprocess_send_signal (cam, SIGSTOP);
  fail_unless (serve_wait_line (s, "device cam: warning: camera "
          "disconnected: no frame for 1.0 s"), "%s", s->output->str);
  g_usleep (2 * G_USEC_PER_SEC);
  g_subprocess_send_signal (cam, SIGCONT);
  back = g_get_monotonic_time ();
  fail_unless (serve_wait_line (s, "device cam: camera reconnected"), "%s",
      s->output->str);
  took = (g_get_monotonic_time () - back) / 1e6;
  g_print ("network back: frames again after %.2f s\n", took);
  /* a retry may be waiting for an answer when the network comes back:
   * the back-off, plus the attempt's own limit (10 s for a first frame) */
  fail_unless (took <= 2.0 + 10.0 + 1.0, "%.2f s\n%s", took,
      s->output->str);
  receive_frames (s, 5);
  fail_unless_equals_int (serve_stop (s), 0);
  fail_unless_equals_int (count (s->output->str, "device cam: warning"), 1);
  fail_unless (strstr (s->output->str, "the stream ended") == NULL, "%s",
      s->output->str);
  fail_unless (strstr (s->output->str, "restarting") == NULL, "%s",
      s->output->str);
  serve_free (s);
  camproc_kill (cam);
  g_free (config);
}

GST_END_TEST;

GST_START_TEST (test_rtsp_camera_wrong_password)
{
  guint port = 0;
  GSubprocess *cam = camproc_start (&port, PASS, "h264");
  gchar *config = camera_config (port, "not-the-" PASS);
  Serve *s = serve_start (config, 1);

  fail_unless (serve_wait_line (s, "device cam: error: the camera refused "
          "the login of user " USER " [not-authorized]"), "%s",
      s->output->str);
  /* it keeps trying (1 s, 2 s), quietly */
  g_usleep (3500 * G_TIME_SPAN_MILLISECOND);
  fail_unless_equals_int (serve_stop (s), 0);
  fail_unless_equals_int (count (s->output->str, "device cam: error"), 1);
  fail_unless (strstr (s->output->str, "camera connected") == NULL);
  fail_unless (strstr (s->output->str, PASS) == NULL, "%s", s->output->str);
  serve_free (s);
  camproc_kill (cam);
  g_free (config);
}

GST_END_TEST;

/* H.265, and a camera that asks for Basic (another login path). */
static void
check_camera_streams (const gchar * codec, const gchar * auth)
{
  guint port = 0;
  GSubprocess *cam = camproc_start_auth (&port, PASS, codec, auth);
  gchar *config = camera_config (port, PASS);
  Serve *s = serve_start (config, 1);

  fail_unless (serve_wait_line (s, "device cam: camera connected"), "%s",
      s->output->str);
  receive_frames (s, 5);
  fail_unless_equals_int (serve_stop (s), 0);
  fail_unless (strstr (s->output->str, "warning") == NULL, "%s",
      s->output->str);
  serve_free (s);
  camproc_kill (cam);
  g_free (config);
}

/* url=rtsp:// with a camera that has a microphone (and no login): video
 * only, the audio stream is never set up. */
/* A config with @cam (in this process, no login) as `url=rtsp://`. */
static gchar *
inprocess_camera_config (Camera * cam)
{
  gchar *creds = write_file (tmpdir, "rtsp.credentials", "viewer:" PASS
      "-viewer\n");
  gchar *text = g_strdup_printf ("[rtsp]\naddress=127.0.0.1\nport=0\n"
      "credentials-file=%s\n[device cam]\nurl=rtsp://127.0.0.1:%u/cam\n"
      "detect-faces=false\n", creds, cam->port);
  gchar *config = write_file (tmpdir, "serve.conf", text);

  g_free (text);
  g_free (creds);
  return config;
}

GST_START_TEST (test_rtsp_camera_no_audio)
{
  Camera *cam = camera_start ();
  gchar *config = inprocess_camera_config (cam);
  Serve *s = serve_start (config, 1);

  fail_unless (serve_wait_line (s, "device cam: camera connected"), "%s",
      s->output->str);
  receive_frames (s, 5);
  fail_unless_equals_int (serve_stop (s), 0);
  fail_unless (g_atomic_int_get (&cam->video_setups) >= 1);
  fail_unless_equals_int (g_atomic_int_get (&cam->audio_setups), 0);
  serve_free (s);
  camera_stop (cam);
  g_free (config);
}

GST_END_TEST;

GST_START_TEST (test_rtsp_camera_h265)
{
  check_camera_streams ("h265", "digest");
}

GST_END_TEST;

GST_START_TEST (test_rtsp_camera_basic)
{
  check_camera_streams ("h264", "basic");
}

GST_END_TEST;

/* ---- what an NVR reads: the NTP-64 header extension ---- */

typedef struct
{
  GMutex lock;
  GArray *ntp;                  /* of guint64, ns since 1900, per frame */
  guint32 last_rtp_ts;
  gboolean any;                 /* a packet was seen */
  guint without;                /* frames whose first packet had none */
  gboolean extmap;              /* the SDP announced it with id 1 */
} Ntp;

static GstPadProbeReturn
rtp_probe_cb (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Ntp *n = user_data;
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  gpointer data;
  guint size;
  guint32 ts;

  if (!gst_rtp_buffer_map (buf, GST_MAP_READ, &rtp))
    return GST_PAD_PROBE_OK;
  ts = gst_rtp_buffer_get_timestamp (&rtp);
  g_mutex_lock (&n->lock);
  if (!n->any || ts != n->last_rtp_ts) {
    /* the first packet of a frame */
    if (gst_rtp_buffer_get_extension_onebyte_header (&rtp, 1, 0, &data,
            &size) && size == 8) {
      guint64 v;

      /* the extension's bytes need not be 8-byte aligned (UBSan says
       * GST_READ_UINT64_BE reads them as if they were) */
      memcpy (&v, data, sizeof (v));
      v = GUINT64_FROM_BE (v);

      v = gst_util_uint64_scale (v, GST_SECOND, G_GUINT64_CONSTANT (1) << 32);
      g_array_append_val (n->ntp, v);
    } else if (n->any) {
      /* (the first packet seen may be the middle of a frame) */
      n->without++;
    }
  }
  n->any = TRUE;
  n->last_rtp_ts = ts;
  g_mutex_unlock (&n->lock);
  gst_rtp_buffer_unmap (&rtp);
  return GST_PAD_PROBE_OK;
}

static void
on_sdp_cb (GstElement * src, GstSDPMessage * sdp, gpointer user_data)
{
  Ntp *n = user_data;

  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
    const gchar *v;

    for (guint j = 0; (v = gst_sdp_media_get_attribute_val_n (m, "extmap",
                j)) != NULL; j++)
      if (strcmp (v, "1 urn:ietf:params:rtp-hdrext:ntp-64") == 0)
        n->extmap = TRUE;
  }
}

/* Reads @url's RTP for @secs and keeps each frame's NTP-64 time. */
static void
read_ntp (const gchar * url, guint secs, Ntp * n)
{
  GstElement *pipe = gst_parse_launch ("rtspsrc name=src protocols=tcp "
      "latency=200 ! rtph264depay name=depay ! fakesink", NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstElement *depay = gst_bin_get_by_name (GST_BIN (pipe), "depay");
  GstPad *pad = gst_element_get_static_pad (depay, "sink");

  g_object_set (src, "location", url, "user-id", "viewer", "user-pw",
      PASS "-viewer", NULL);
  g_signal_connect (src, "on-sdp", G_CALLBACK (on_sdp_cb), n);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, rtp_probe_cb, n, NULL);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  g_usleep (secs * G_USEC_PER_SEC);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pad);
  gst_object_unref (depay);
  gst_object_unref (src);
  gst_object_unref (pipe);
}

/* @t (ns, as the extension says) is a capture time during [@from, @to]
 * (Unix ns) on a clock whose epoch is @epoch_s seconds before Unix's. */
static gboolean
during (guint64 t, guint64 epoch_s, gint64 from, gint64 to)
{
  gint64 unix_ns = (gint64) (t - epoch_s * GST_SECOND);

  return unix_ns >= from && unix_ns <= to;
}

GST_START_TEST (test_rtsp_camera_capture_time)
{
  Camera *cam = camera_start_full (TRUE);
  gchar *config = inprocess_camera_config (cam);
  Serve *s = serve_start (config, 1);
  Ntp n = { 0, };
  guint first = G_MAXUINT, camera_frames = 0;
  gint64 from, to;

  fail_unless (serve_wait_line (s, "device cam: camera connected"), "%s",
      s->output->str);
  g_mutex_init (&n.lock);
  n.ntp = g_array_new (FALSE, FALSE, sizeof (guint64));
  /* frames reach the mount a little after their capture */
  from = g_get_real_time () * 1000 - 3 * (gint64) GST_SECOND;
  read_ntp (g_hash_table_lookup (s->urls, "cam"), 8, &n);
  to = g_get_real_time () * 1000;
  /* a client that reads the extension (rtpbin) is not upset by a capture
   * clock that disagrees with the mount's sender reports */
  receive_frames (s, 30);
  fail_unless_equals_int (serve_stop (s), 0);

  fail_unless (n.extmap, "no a=extmap:1 ...ntp-64 in the SDP");
  fail_unless (n.ntp->len >= 30, "%u frames with the extension",
      n.ntp->len);
  fail_unless_equals_int (n.without, 0);
  for (guint i = 0; i < n.ntp->len; i++) {
    guint64 t = g_array_index (n.ntp, guint64, i);

    if (first == G_MAXUINT && during (t, 0, from, to))
      first = i;
    if (first == G_MAXUINT) {
      /* before the camera's first sender report: when seecitv-serve got
       * the frame, on the true NTP clock */
      fail_unless (during (t, 2208988800, from, to), "frame %u: %"
          G_GUINT64_FORMAT, i, t);
      continue;
    }
    /* from then on the camera's clock only, one 15 fps frame (or a few,
     * dropped on the way) after the other */
    fail_unless (during (t, 0, from, to), "frame %u: %" G_GUINT64_FORMAT,
        i, t);
    if (i > first) {
      guint64 d = t - g_array_index (n.ntp, guint64, i - 1);
      guint64 k = (d + GST_SECOND / 30) / (GST_SECOND / 15);

      fail_unless (k >= 1 && ABS ((gint64) d - (gint64) (k * GST_SECOND /
                  15)) < 2 * (gint64) GST_MSECOND, "frame %u: %"
          G_GUINT64_FORMAT " ns after the one before", i, d);
    }
    camera_frames++;
  }
  g_print ("capture time: %u of %u frames on the camera's clock\n",
      camera_frames, n.ntp->len);
  fail_unless (camera_frames >= 15, "%u frames on the camera's clock",
      camera_frames);
  g_array_free (n.ntp, TRUE);
  g_mutex_clear (&n.lock);
  serve_free (s);
  camera_stop (cam);
  g_free (config);
}

GST_END_TEST;

static Suite *
serve_camera_suite (void)
{
  Suite *s = suite_create ("seecitv-serve_camera");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_dynamic_pads_video_only);
  tcase_add_test (tc, test_rtsp_camera_reconnects);
  tcase_add_test (tc, test_rtsp_camera_network_cut);
  tcase_add_test (tc, test_rtsp_camera_wrong_password);
  tcase_add_test (tc, test_rtsp_camera_no_audio);
  tcase_add_test (tc, test_rtsp_camera_h265);
  tcase_add_test (tc, test_rtsp_camera_basic);
  tcase_add_test (tc, test_rtsp_camera_capture_time);
  return s;
}

GST_CHECK_MAIN (serve_camera);
