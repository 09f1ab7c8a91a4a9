/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-serve: one command for the whole house (docs/serve.md). From a
 * config file (serve-config.h) it runs one pipeline per device,
 *
 *   seecitvsrc ! jpegdec ! videoconvert ! seecitvmotion ! seecitvredact !
 *   videoconvert ! x264enc ! h264parse ! tee
 *     tee. ! queue ! h264parse ! appsink         (with [rtsp])
 *     tee. ! queue ! seecitvsink                 (with recording-dir)
 *
 * (or the device's `pipeline` instead of seecitvsrc ! jpegdec, or for an
 * RTSP camera an appsrc fed by serve-camera.h), re-streams
 * every device, redacted, over RTSP with gst-rtsp-server at
 * rtsp://ADDRESS:PORT/<device-id> behind Digest authentication (or
 * rtsps://, over TLS only, Digest or Basic: serve-tls.h), and
 * sends each seecitvmotion-start/-end as a signed webhook (webhook.h).
 *
 * The device pipelines run whether or not anyone watches, so that motion
 * and recording never depend on an RTSP client. Each RTSP mount is a shared
 * media `appsrc ! h264parse ! rtph264pay`; the device's appsink hands each
 * encoded buffer to every prepared media's appsrc, starting at a keyframe
 * (one is asked for when a client arrives) and moved onto that media's
 * running time. A device whose pipeline fails is restarted with back-off
 * without disturbing the others.
 *
 * Prints, flushed, `rtsp: <URL>` for each mount once the server listens
 * (and with TLS `pin: sha256:<hex>`, its certificate's);
 * never prints a credential, a secret, a key or a device URL (which could
 * carry a password).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serve-auth.h"
#include "serve-camera.h"
#include "serve-capturetime.h"
#include "serve-config.h"
#include "serve-onvif.h"
#include "serve-source.h"
#include "serve-tls.h"
#include "webhook.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <seecitv/protocol/tlspin.h>
#include <openssl/crypto.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define EXIT_FAILURE_RUN 1
#define EXIT_USAGE 2

#define RESTART_INITIAL_S 2
#define RESTART_MAX_S 60
/* Playing this long counts as healthy: the next failure waits little. */
#define RESTART_RESET_S 30
#define STOP_TIMEOUT_S 5
#define DRAIN_TIMEOUT_S 5
/* A client whose stream lags its pipeline's clock by this much is
 * re-synchronised at the next keyframe (after its media was paused). */
#define MAX_LAG GST_SECOND
#define VIEWER_ROLE "viewer"

typedef struct _Serve Serve;

/* One prepared RTSP media of a device. */
typedef struct
{
  GstElement *appsrc;           /* owned */
  GstCaps *caps;                /* caps last set on appsrc */
  gboolean started;             /* a keyframe was pushed */
  GstClockTimeDiff offset;      /* device timestamp → media running time */
} Client;

typedef struct
{
  Serve *serve;
  const SeecitvServeDevice *cfg;
  GstElement *pipeline;
  GstElement *appsink;          /* NULL without RTSP */
  SeecitvServeCamera *camera;   /* for url=rtsp://, else NULL */
  guint bus_watch;
  guint restart_source;
  guint restart_delay_s;
  gboolean playing_reported;
  gint64 playing_since;         /* monotonic µs, 0 if not playing */
  gboolean eos;
  guint64 sequence;
  gchar *first_failure;         /* the first since it last ran well */

  GMutex lock;
  GList *clients;               /* of Client; protected by lock */
} Device;

struct _Serve
{
  SeecitvServeConfig *config;
  GMainLoop *loop;
  GstRTSPServer *server;
  SeecitvServeAuth *auth;       /* the server's, for ONVIF logins too */
  SeecitvServeOnvif *onvif;     /* with [onvif] */
  guint server_source;
  SeecitvWebhook *webhook;
  GPtrArray *devices;           /* of Device */
  gchar boot_id[17];
  gboolean stopping;
  guint stop_timeout;
  gint exit_code;
};

static void device_start (Device * d);

/* ---- RTSP side ---- */

static void
client_free (Client * c)
{
  gst_clear_object (&c->appsrc);
  gst_clear_caps (&c->caps);
  g_free (c);
}

static void
request_keyframe (Device * d)
{
  if (d->appsink != NULL)
    gst_element_send_event (d->appsink,
        gst_video_event_new_upstream_force_key_unit (GST_CLOCK_TIME_NONE,
            TRUE, 0));
}

static void
media_unprepared_cb (GstRTSPMedia * media, gpointer user_data)
{
  Device *d = user_data;
  GstElement *bin = gst_rtsp_media_get_element (media);
  GstElement *src = gst_bin_get_by_name (GST_BIN (bin), "src");
  Client *gone = NULL;

  g_mutex_lock (&d->lock);
  for (GList * l = d->clients; l != NULL; l = l->next) {
    Client *c = l->data;

    if (c->appsrc == src) {
      gone = c;
      d->clients = g_list_delete_link (d->clients, l);
      break;
    }
  }
  g_mutex_unlock (&d->lock);
  if (gone)
    client_free (gone);
  gst_clear_object (&src);
  gst_object_unref (bin);
}

static void
media_configure_cb (GstRTSPMediaFactory * factory, GstRTSPMedia * media,
    gpointer user_data)
{
  Device *d = user_data;
  GstElement *bin = gst_rtsp_media_get_element (media);
  GstElement *pay = gst_bin_get_by_name (GST_BIN (bin), "pay0");
  GstObject *pipeline = gst_object_get_parent (GST_OBJECT (bin));
  Client *c = g_new0 (Client, 1);

  /* each frame's capture time, for the NVR (serve-capturetime.h) */
  if (pay != NULL && pipeline != NULL &&
      !seecitv_serve_capture_time_add_extension (pay, GST_BIN (pipeline)))
    g_printerr ("note: no rtphdrextntp64 in GStreamer: %s is served "
        "without capture times\n", d->cfg->id);
  gst_clear_object (&pay);
  gst_clear_object (&pipeline);
  c->appsrc = gst_bin_get_by_name (GST_BIN (bin), "src");
  gst_object_unref (bin);
  if (c->appsrc == NULL) {
    g_free (c);
    return;
  }
  g_signal_connect (media, "unprepared", G_CALLBACK (media_unprepared_cb), d);
  g_mutex_lock (&d->lock);
  d->clients = g_list_prepend (d->clients, c);
  g_mutex_unlock (&d->lock);

  /* a new viewer should not wait for the next regular keyframe */
  request_keyframe (d);
}

typedef struct
{
  GstElement *appsrc;
  GstBuffer *buffer;
  GstCaps *caps;                /* to set first, or NULL */
} Push;

/* The appsink's streaming thread: one encoded access unit to every
 * prepared media. Decides under the lock, pushes outside it. */
static GstFlowReturn
new_sample_cb (GstAppSink * sink, gpointer user_data)
{
  Device *d = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstCaps *caps;
  GArray *pushes;
  gboolean keyframe;
  GstClockTime ts, ntp;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  caps = gst_sample_get_caps (sample);
  ntp = seecitv_serve_capture_time_of (buf, GST_ELEMENT (sink),
      gst_segment_to_running_time (gst_sample_get_segment (sample),
          GST_FORMAT_TIME, GST_BUFFER_PTS (buf)));
  keyframe = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  ts = GST_BUFFER_DTS_IS_VALID (buf) ? GST_BUFFER_DTS (buf) :
      GST_BUFFER_PTS (buf);
  pushes = g_array_new (FALSE, FALSE, sizeof (Push));

  g_mutex_lock (&d->lock);
  for (GList * l = d->clients; l != NULL && GST_CLOCK_TIME_IS_VALID (ts) &&
      caps != NULL; l = l->next) {
    Client *c = l->data;
    GstClock *clock = gst_element_get_clock (c->appsrc);
    GstClockTime now;
    GstClockTimeDiff out_ts;
    Push p = { NULL, NULL, NULL };

    if (clock == NULL)
      continue;                 /* its media is not running yet */
    now = gst_clock_get_time (clock) - gst_element_get_base_time (c->appsrc);
    gst_object_unref (clock);
    if (c->started && (GstClockTimeDiff) ts + c->offset +
        (GstClockTimeDiff) MAX_LAG < (GstClockTimeDiff) now)
      c->started = FALSE;
    if (!c->started) {
      if (!keyframe)
        continue;
      c->offset = GST_CLOCK_DIFF (ts, now);
      c->started = TRUE;
    }
    out_ts = (GstClockTimeDiff) ts + c->offset;
    if (out_ts < 0)
      continue;
    p.appsrc = gst_object_ref (c->appsrc);
    if (c->caps == NULL || !gst_caps_is_equal (c->caps, caps)) {
      gst_caps_replace (&c->caps, caps);
      p.caps = gst_caps_ref (caps);
    }
    p.buffer = gst_buffer_copy (buf);
    seecitv_serve_capture_time_set (p.buffer, ntp);
    if (GST_BUFFER_PTS_IS_VALID (buf))
      GST_BUFFER_PTS (p.buffer) = GST_BUFFER_PTS (buf) + c->offset;
    if (GST_BUFFER_DTS_IS_VALID (buf))
      GST_BUFFER_DTS (p.buffer) = GST_BUFFER_DTS (buf) + c->offset;
    g_array_append_val (pushes, p);
  }
  g_mutex_unlock (&d->lock);

  for (guint i = 0; i < pushes->len; i++) {
    Push *p = &g_array_index (pushes, Push, i);

    if (p->caps != NULL) {
      gst_app_src_set_caps (GST_APP_SRC (p->appsrc), p->caps);
      gst_caps_unref (p->caps);
    }
    /* a stopped media answers FLUSHING: it goes at "unprepared" */
    gst_app_src_push_buffer (GST_APP_SRC (p->appsrc), p->buffer);
    gst_object_unref (p->appsrc);
  }
  g_array_free (pushes, TRUE);
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

/* A client's PLAY: a viewer joining a shared media that is already
 * running should not wait for the next regular keyframe either (Frigate
 * opens two streams at once; `ffmpeg -c copy` drops all before the first
 * keyframe). Runs in the client's thread. */
static void
play_request_cb (GstRTSPClient * client, GstRTSPContext * ctx,
    gpointer user_data)
{
  Serve *s = user_data;
  const gchar *path = ctx->uri ? ctx->uri->abspath : NULL;

  for (guint i = 0; path != NULL && i < s->devices->len; i++) {
    Device *d = g_ptr_array_index (s->devices, i);
    gsize n = strlen (d->cfg->id);

    if (path[0] == '/' && strncmp (path + 1, d->cfg->id, n) == 0 &&
        (path[n + 1] == '\0' || path[n + 1] == '/')) {
      request_keyframe (d);
      break;
    }
  }
}

static void
client_connected_cb (GstRTSPServer * server, GstRTSPClient * client,
    gpointer user_data)
{
  g_signal_connect (client, "play-request", G_CALLBACK (play_request_cb),
      user_data);
}

/* With @cert (rtsps), every connection is TLS, RTP goes interleaved in it
 * only, and Basic is offered beside Digest. The ONVIF accounts
 * (@onvif_creds, may be NULL) are valid for the mounts too. */
static gboolean
server_setup (Serve * s, GPtrArray * creds, GPtrArray * onvif_creds,
    GTlsCertificate * cert, GError ** error)
{
  SeecitvServeConfig *cfg = s->config;
  SeecitvServeAuth *sauth = seecitv_serve_auth_new
      (cfg->rtsp_max_auth_failures, cfg->rtsp_lockout_ms);
  GstRTSPAuth *auth = GST_RTSP_AUTH (sauth);
  GstRTSPMountPoints *mounts;
  gchar *service = g_strdup_printf ("%u", cfg->rtsp_port);

  s->server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (s->server, cfg->rtsp_address);
  gst_rtsp_server_set_service (s->server, service);
  g_free (service);

  /* Basic sends the password itself: only inside TLS, where nobody on the
   * way reads it; Digest always. A plain rtsp:// request on a TLS port
   * fails the handshake and its connection is closed at once. */
  gst_rtsp_auth_set_supported_methods (auth, cert ? GST_RTSP_AUTH_DIGEST |
      GST_RTSP_AUTH_BASIC : GST_RTSP_AUTH_DIGEST);
  if (cert != NULL)
    gst_rtsp_auth_set_tls_certificate (auth, cert);
  gst_rtsp_auth_set_realm (auth, "seecitv");
  for (guint i = 0; i < creds->len + (onvif_creds ? onvif_creds->len : 0);
      i++) {
    SeecitvServeCredential *cr = i < creds->len ?
        g_ptr_array_index (creds, i) :
        g_ptr_array_index (onvif_creds, i - creds->len);
    GstRTSPToken *token = gst_rtsp_token_new (GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE,
        G_TYPE_STRING, VIEWER_ROLE, NULL);

    seecitv_serve_auth_add_user (sauth, cr->user, cr->password,
        cert != NULL, token);
    gst_rtsp_token_unref (token);
  }
  /* no default token: a request without valid credentials gets 401 */
  gst_rtsp_server_set_auth (s->server, auth);
  s->auth = sauth;              /* keeps the reference */

  mounts = gst_rtsp_server_get_mount_points (s->server);
  for (guint i = 0; i < s->devices->len; i++) {
    Device *d = g_ptr_array_index (s->devices, i);
    GstRTSPMediaFactory *f = gst_rtsp_media_factory_new ();
    gchar *path = g_strconcat ("/", d->cfg->id, NULL);

    /* leaky upstream: a stalled viewer loses frames, never the device.
     * The access units arrive with SPS/PPS in-band once, at their start
     * (the device pipeline's h264parse config-interval=-1): the payloader
     * must not add more, as config-interval=-1 would before every IDR
     * slice, which ffmpeg (Frigate, Scrypted, motion...) takes for the
     * start of a new frame when x264 cuts a keyframe into slices. */
    gst_rtsp_media_factory_set_launch (f, "( appsrc name=src is-live=true "
        "format=time max-bytes=4000000 leaky-type=upstream ! "
        "h264parse ! rtph264pay name=pay0 pt=96 config-interval=0 )");
    gst_rtsp_media_factory_set_shared (f, TRUE);
    /* rtsps: RTP interleaved in the TLS connection, never in clear UDP
     * beside it (a SETUP asking for UDP gets 461) */
    if (cert != NULL)
      gst_rtsp_media_factory_set_protocols (f, GST_RTSP_LOWER_TRANS_TCP);
    gst_rtsp_media_factory_add_role (f, VIEWER_ROLE,
        GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
        GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, NULL);
    g_signal_connect (f, "media-configure", G_CALLBACK (media_configure_cb),
        d);
    gst_rtsp_mount_points_add_factory (mounts, path, f);
    g_free (path);
  }
  g_object_unref (mounts);

  g_signal_connect (s->server, "client-connected",
      G_CALLBACK (client_connected_cb), s);
  s->server_source = gst_rtsp_server_attach (s->server, NULL);
  if (s->server_source == 0) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "%s: [rtsp] cannot listen on %s port %u (in use, or not this "
        "machine's address?)", cfg->path, cfg->rtsp_address, cfg->rtsp_port);
    return FALSE;
  }
  return TRUE;
}

/* Adds @a, ready for a URL (IPv6 in brackets), to @hosts. */
static void
add_host (GPtrArray * hosts, GInetAddress * a)
{
  gchar *str = g_inet_address_to_string (a);

  if (g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV6)
    g_ptr_array_add (hosts, g_strdup_printf ("[%s]", str));
  else
    g_ptr_array_add (hosts, g_strdup (str));
  g_free (str);
}

/* Where a client reaches a server listening on @listen (of strings, ready
 * for a URL): @listen itself; for a wildcard (0.0.0.0: IPv4, "::": both)
 * this machine's addresses, the loopback ones only when it has no other,
 * IPv6 link-local ones never (they need a zone). */
static GPtrArray *
url_hosts (const gchar * listen)
{
  GPtrArray *hosts = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *loopback = g_ptr_array_new_with_free_func (g_free);
  GInetAddress *la = g_inet_address_new_from_string (listen);
  gboolean v6 = g_inet_address_get_family (la) == G_SOCKET_FAMILY_IPV6;
  struct ifaddrs *ifa = NULL;

  if (!g_inet_address_get_is_any (la) || getifaddrs (&ifa) != 0)
    add_host (hosts, la);
  for (struct ifaddrs * i = ifa; i != NULL; i = i->ifa_next) {
    GSocketAddress *sa;
    GInetAddress *a;
    gsize len;

    if (i->ifa_addr == NULL || !(i->ifa_flags & IFF_UP))
      continue;
    if (i->ifa_addr->sa_family == AF_INET)
      len = sizeof (struct sockaddr_in);
    else if (i->ifa_addr->sa_family == AF_INET6 && v6)
      len = sizeof (struct sockaddr_in6);
    else
      continue;
    sa = g_socket_address_new_from_native (i->ifa_addr, len);
    if (sa == NULL)
      continue;
    a = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa));
    if (!g_inet_address_get_is_link_local (a))
      add_host (g_inet_address_get_is_loopback (a) ? loopback : hosts, a);
    g_object_unref (sa);
  }
  if (ifa != NULL)
    freeifaddrs (ifa);
  if (hosts->len == 0) {
    g_ptr_array_unref (hosts);
    hosts = g_ptr_array_ref (loopback);
  }
  g_ptr_array_unref (loopback);
  g_object_unref (la);
  return hosts;
}

static gboolean
session_cleanup_cb (gpointer user_data)
{
  Serve *s = user_data;
  GstRTSPSessionPool *pool = gst_rtsp_server_get_session_pool (s->server);

  gst_rtsp_session_pool_cleanup (pool);
  g_object_unref (pool);
  return G_SOURCE_CONTINUE;
}

/* ---- device pipelines ---- */

static GstElement *
make (const gchar * factory, const gchar * name, GError ** error)
{
  GstElement *e = gst_element_factory_make (factory, name);

  if (e == NULL)
    g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
        "element %s not found (set GST_PLUGIN_PATH to seecitv's plugins, "
        "and install gstreamer1.0-plugins-good/-bad/-ugly)", factory);
  return e;
}

/* The source of an RTSP camera: an appsrc that @d's camera feeds (its
 * password is read here; the camera keeps a copy, wiped when freed). */
static GstElement *
camera_source (Device * d, GError ** error)
{
  const SeecitvServeDevice *c = d->cfg;
  SeecitvServeCameraConfig cc = { 0, };
  GstElement *src = make ("appsrc", "source", error);
  gchar *pw = NULL;
  gsize len = 0;

  if (src == NULL)
    return NULL;
  if (c->user) {
    pw = seecitv_serve_secret_load (c->password_file, 1, &len, error);
    if (pw == NULL) {
      g_prefix_error (error, "%s: [%s] password-file: ",
          d->serve->config->path, c->group);
      gst_object_unref (src);
      return NULL;
    }
  }
  /* stamped on arrival: the camera's own timestamps restart with each
   * connection; a slow pipeline drops the oldest frames, never blocks the
   * camera */
  g_object_set (src, "is-live", TRUE, "do-timestamp", TRUE, "format",
      GST_FORMAT_TIME, "max-buffers", (guint64) 4, "block", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (src), "leaky-type", "downstream");
  cc.id = c->id;
  cc.group = c->group;
  cc.url = c->url;
  cc.user = c->user;
  cc.password = pw;
  cc.tcp = c->camera_tcp;
  cc.stream = c->camera_stream;
  cc.retry_initial_ms = c->camera_retry_initial_ms;
  cc.retry_max_ms = c->camera_retry_max_ms;
  cc.timeout_ms = c->camera_timeout_ms;
  d->camera = seecitv_serve_camera_new (&cc, src);
  if (pw != NULL)
    seecitv_serve_secret_free (pw, len);
  return src;
}

/* Builds @d's pipeline; secrets are read here and wiped after use. */
static gboolean
device_build (Device * d, GError ** error)
{
  const SeecitvServeDevice *c = d->cfg;
  Serve *s = d->serve;
  GstElement *pipe = gst_pipeline_new (c->id);
  GstElement *src, *conv, *motion, *redact, *conv2, *raw_caps, *enc, *parse,
      *h264_caps, *tee;
  GPtrArray *chain = g_ptr_array_new ();

  if (c->pipeline != NULL) {
    src = seecitv_serve_source_new (c->pipeline, error);
    if (src == NULL) {
      g_prefix_error (error, "%s: [%s] pipeline: ", s->config->path,
          c->group);
      goto fail;
    }
    gst_bin_add (GST_BIN (pipe), src);
    g_ptr_array_add (chain, src);
  } else if (c->camera) {
    if (!(src = camera_source (d, error)))
      goto fail;
    gst_bin_add (GST_BIN (pipe), src);
    g_ptr_array_add (chain, src);
  } else {
    GstElement *dec;

    if (!(src = make ("seecitvsrc", "source", error)))
      goto fail;
    gst_bin_add (GST_BIN (pipe), src);
    g_object_set (src, "location", c->url, "device-id", c->id, NULL);
    if (c->pin)
      g_object_set (src, "tls-pin", c->pin, NULL);
    if (c->key_file)
      g_object_set (src, "device-key-file", c->key_file, NULL);
    if (c->user) {
      gsize len = 0;
      gchar *pw = seecitv_serve_secret_load (c->password_file, 1, &len,
          error);

      if (pw == NULL) {
        g_prefix_error (error, "%s: [%s] password-file: ", s->config->path,
            c->group);
        goto fail;
      }
      g_object_set (src, "user-id", c->user, "user-pw", pw, NULL);
      seecitv_serve_secret_free (pw, len);
    }
    g_ptr_array_add (chain, src);
    if (!(dec = make ("jpegdec", NULL, error)))
      goto fail;
    gst_bin_add (GST_BIN (pipe), dec);
    g_ptr_array_add (chain, dec);
  }
  if (!(conv = make ("videoconvert", NULL, error)) ||
      !(motion = make ("seecitvmotion", "motion", error)) ||
      !(redact = make ("seecitvredact", "redact", error)) ||
      !(conv2 = make ("videoconvert", NULL, error)) ||
      !(raw_caps = make ("capsfilter", NULL, error)) ||
      !(enc = make ("x264enc", "encoder", error)) ||
      !(parse = make ("h264parse", NULL, error)) ||
      !(h264_caps = make ("capsfilter", NULL, error)) ||
      !(tee = make ("tee", "tee", error)))
    goto fail;
  gst_bin_add_many (GST_BIN (pipe), conv, motion, redact, conv2, raw_caps,
      enc, parse, h264_caps, tee, NULL);
  g_ptr_array_add (chain, conv);
  g_ptr_array_add (chain, motion);
  g_ptr_array_add (chain, redact);
  g_ptr_array_add (chain, conv2);
  g_ptr_array_add (chain, raw_caps);
  g_ptr_array_add (chain, enc);
  g_ptr_array_add (chain, parse);
  g_ptr_array_add (chain, h264_caps);
  g_ptr_array_add (chain, tee);
  /* 4:2:0, which every NVR decodes (x264enc would keep 4:4:4 input as
   * High 4:4:4); AVC for the recorder's matroskamux, which refuses
   * byte-stream although seecitvsink's template offers it (the RTSP branch
   * converts back with its own h264parse) */
  {
    GstCaps *raw = gst_caps_from_string ("video/x-raw,format=I420");
    GstCaps *avc = gst_caps_from_string ("video/x-h264,stream-format=avc,"
        "alignment=au");

    g_object_set (raw_caps, "caps", raw, NULL);
    g_object_set (h264_caps, "caps", avc, NULL);
    gst_caps_unref (raw);
    gst_caps_unref (avc);
  }
  if (c->motion_zones)
    g_object_set (motion, "zones", c->motion_zones, NULL);
  if (c->zones)
    g_object_set (redact, "zones", c->zones, NULL);
  /* ONVIF snapshots: what seecitvredact let through, never before it */
  if (s->onvif != NULL)
    seecitv_serve_onvif_watch (s->onvif, c->id, redact, enc);
  g_object_set (redact, "detect", c->detect_faces, NULL);
  gst_util_set_object_arg (G_OBJECT (enc), "tune", "zerolatency");
  gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", "veryfast");
  g_object_set (enc, "bitrate", c->bitrate, "key-int-max", c->key_interval,
      "bframes", 0, "threads", c->encoder_threads, NULL);
  for (guint i = 0; i + 1 < chain->len; i++) {
    if (!gst_element_link (chain->pdata[i], chain->pdata[i + 1])) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
          "%s: [%s] cannot link %s to %s%s", s->config->path, c->group,
          GST_OBJECT_NAME (chain->pdata[i]),
          GST_OBJECT_NAME (chain->pdata[i + 1]), i == 0 && c->pipeline ?
          " (does `pipeline` end in raw video?)" : "");
      goto fail;
    }
  }

  if (s->config->rtsp) {
    GstElement *q, *p2, *sink;
    GstCaps *caps = gst_caps_from_string ("video/x-h264,"
        "stream-format=byte-stream,alignment=au");
    GstAppSinkCallbacks cb = { NULL, NULL, new_sample_cb, };

    if (!(q = make ("queue", NULL, error)) ||
        !(p2 = make ("h264parse", NULL, error)) ||
        !(sink = make ("appsink", "rtsp", error))) {
      gst_caps_unref (caps);
      goto fail;
    }
    /* never let a slow RTSP branch hold back recording */
    gst_util_set_object_arg (G_OBJECT (q), "leaky", "downstream");
    /* SPS/PPS once per keyframe, at the start of its access unit (the
     * RTSP media's payloader adds none: see server_setup) */
    g_object_set (p2, "config-interval", -1, NULL);
    g_object_set (sink, "sync", FALSE, "async", FALSE, "caps", caps,
        "max-buffers", 16, "drop", TRUE, NULL);
    gst_caps_unref (caps);
    gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, d, NULL);
    gst_bin_add_many (GST_BIN (pipe), q, p2, sink, NULL);
    if (!gst_element_link_many (tee, q, p2, sink, NULL))
      goto link_fail;
    d->appsink = sink;
  }
  if (c->recording_dir) {
    GstElement *q, *rec;

    if (!(q = make ("queue", NULL, error)) ||
        !(rec = make ("seecitvsink", "recorder", error)))
      goto fail;
    g_object_set (rec, "location", c->recording_dir, "keystore",
        c->keystore, "device-id", c->id, NULL);
    gst_util_set_object_arg (G_OBJECT (rec), "trigger",
        c->record == SEECITV_SERVE_RECORD_CONTINUOUS ? "continuous" :
        "motion");
    gst_bin_add_many (GST_BIN (pipe), q, rec, NULL);
    if (!gst_element_link_many (tee, q, rec, NULL))
      goto link_fail;
  }
  if (!s->config->rtsp && c->recording_dir == NULL) {
    GstElement *sink;

    if (!(sink = make ("fakesink", NULL, error)))
      goto fail;
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (pipe), sink);
    if (!gst_element_link (tee, sink))
      goto link_fail;
  }
  g_ptr_array_free (chain, TRUE);
  d->pipeline = pipe;
  return TRUE;

link_fail:
  g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
      "%s: [%s] cannot link the output branches", s->config->path, c->group);
fail:
  g_ptr_array_free (chain, TRUE);
  d->appsink = NULL;
  g_clear_pointer (&d->camera, seecitv_serve_camera_free);
  gst_object_unref (pipe);
  return FALSE;
}

static gboolean
restart_cb (gpointer user_data)
{
  Device *d = user_data;

  d->restart_source = 0;
  device_start (d);
  return G_SOURCE_REMOVE;
}

/* @what failed (as printed). A device failing again and again says what
 * went wrong first, which later failures (a timeout after a malformed
 * stream, say) can hide. */
static void
device_schedule_restart (Device * d, const gchar * what)
{
  gst_element_set_state (d->pipeline, GST_STATE_NULL);
  if (d->serve->stopping || d->restart_source != 0)
    return;
  if (d->playing_since != 0 && g_get_monotonic_time () - d->playing_since >
      RESTART_RESET_S * G_USEC_PER_SEC) {
    d->restart_delay_s = RESTART_INITIAL_S;
    g_clear_pointer (&d->first_failure, g_free);
  }
  d->playing_since = 0;
  if (d->first_failure == NULL)
    d->first_failure = g_strdup (what);
  if (g_strcmp0 (d->first_failure, what) != 0)
    g_print ("device %s: restarting in %u s (first failure: %s)\n",
        d->cfg->id, d->restart_delay_s, d->first_failure);
  else
    g_print ("device %s: restarting in %u s\n", d->cfg->id,
        d->restart_delay_s);
  d->restart_source = g_timeout_add_seconds (d->restart_delay_s, restart_cb,
      d);
  d->restart_delay_s = MIN (d->restart_delay_s * 2, RESTART_MAX_S);
}

static gchar **
zones_from (const GstStructure * st)
{
  const GValue *v = gst_structure_get_value (st, "zones");
  GPtrArray *out = g_ptr_array_new ();

  if (v != NULL && GST_VALUE_HOLDS_ARRAY (v)) {
    for (guint i = 0; i < gst_value_array_get_size (v); i++) {
      const GValue *z = gst_value_array_get_value (v, i);

      if (G_VALUE_HOLDS_STRING (z))
        g_ptr_array_add (out, g_value_dup_string (z));
    }
  }
  g_ptr_array_add (out, NULL);
  return (gchar **) g_ptr_array_free (out, FALSE);
}

/* Why @d's motion just ended: seecitv-serve stopping ("shutdown": the
 * scene may still be moving), the device's stream ending ("stream-end":
 * seecitvmotion ends motion at EOS), or stillness ("still"). Main thread,
 * with the end message: its EOS, if any, has reached seecitvmotion. */
static const gchar *
end_reason (Device * d)
{
  GstElement *motion;
  GstPad *pad;
  gboolean eos = FALSE;

  if (d->serve->stopping)
    return "shutdown";
  motion = gst_bin_get_by_name (GST_BIN (d->pipeline), "motion");
  pad = motion ? gst_element_get_static_pad (motion, "sink") : NULL;
  if (pad != NULL) {
    eos = GST_PAD_IS_EOS (pad);
    gst_object_unref (pad);
  }
  gst_clear_object (&motion);
  return eos ? "stream-end" : "still";
}

static void
send_motion (Device * d, const GstStructure * st, gboolean start)
{
  Serve *s = d->serve;
  SeecitvWebhookEvent ev = { 0, };
  guint64 rt = 0, duration = G_MAXUINT64;
  gdouble score = 0;
  GstClock *clock = gst_element_get_clock (d->pipeline);
  gint64 now_us = g_get_real_time ();
  gchar **zones = zones_from (st);
  gchar *id, *json;

  gst_structure_get_uint64 (st, "running-time", &rt);
  gst_structure_get_double (st, "score", &score);
  if (!start)
    gst_structure_get_uint64 (st, "duration", &duration);
  ev.time_us = now_us;
  if (clock != NULL) {
    /* the event's running time, as wall-clock time */
    GstClockTime now_rt = gst_clock_get_time (clock) -
        gst_element_get_base_time (d->pipeline);

    if (now_rt > rt)
      ev.time_us = now_us - (gint64) ((now_rt - rt) / GST_USECOND);
    gst_object_unref (clock);
  }
  id = g_strdup_printf ("%s-%s-%" G_GUINT64_FORMAT, s->boot_id, d->cfg->id,
      ++d->sequence);
  ev.id = id;
  ev.device = d->cfg->id;
  ev.event = start ? "motion-start" : "motion-end";
  ev.sent_us = now_us;
  ev.running_time = rt;
  ev.duration = duration;
  ev.reason = start ? NULL : end_reason (d);
  ev.score = score;
  ev.zones = (const gchar * const *) zones;
  if (ev.reason != NULL)
    g_print ("device %s: %s (score %.3f, %s)\n", d->cfg->id, ev.event,
        score, ev.reason);
  else
    g_print ("device %s: %s (score %.3f)\n", d->cfg->id, ev.event, score);
  if (s->webhook) {
    json = seecitv_webhook_event_to_json (&ev);
    seecitv_webhook_post (s->webhook, id, json);
    g_free (json);
  }
  g_free (id);
  g_strfreev (zones);
}

static void
check_stopped (Serve * s)
{
  for (guint i = 0; i < s->devices->len; i++) {
    Device *d = g_ptr_array_index (s->devices, i);

    if (!d->eos && GST_STATE (d->pipeline) == GST_STATE_PLAYING)
      return;
  }
  g_main_loop_quit (s->loop);
}

/* "ELEMENT: message", and the error's `reason` and `last-failure` details
 * (seecitvsrc's give-up names its last failure there) when it has them
 * (g_free ()). Never the debug string: it can name a location. */
static gchar *
error_text (GstMessage * msg)
{
  GError *err = NULL;
  const GstStructure *details = NULL;
  const gchar *reason = NULL, *last = NULL;
  gchar *text;

  gst_message_parse_error (msg, &err, NULL);
  gst_message_parse_error_details (msg, &details);
  if (details != NULL) {
    reason = gst_structure_get_string (details, "reason");
    last = gst_structure_get_string (details, "last-failure");
  }
  text = g_strdup_printf ("%s: %s%s%s%s%s%s", GST_OBJECT_NAME
      (GST_MESSAGE_SRC (msg)), err->message, reason ? " [" : "",
      reason ? reason : "", reason ? "]" : "", last ? "; last failure: " : "",
      last ? last : "");
  g_error_free (err);
  return text;
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Device *d = user_data;
  Serve *s = d->serve;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *st = gst_message_get_structure (msg);

      if (gst_structure_has_name (st, "seecitvmotion-start"))
        send_motion (d, st, TRUE);
      else if (gst_structure_has_name (st, "seecitvmotion-end"))
        send_motion (d, st, FALSE);
      else if (gst_structure_has_name (st, "seecitvsink-clip-closed"))
        g_print ("device %s: clip %s\n", d->cfg->id,
            GST_STR_NULL (gst_structure_get_string (st, "path")));
      break;
    }
    case GST_MESSAGE_STATE_CHANGED:
      if (GST_MESSAGE_SRC (msg) == GST_OBJECT (d->pipeline)) {
        GstState new_state;

        gst_message_parse_state_changed (msg, NULL, &new_state, NULL);
        if (new_state == GST_STATE_PLAYING && !d->playing_reported) {
          g_print ("device %s: playing\n", d->cfg->id);
          d->playing_reported = TRUE;
          d->playing_since = g_get_monotonic_time ();
        }
      }
      break;
    case GST_MESSAGE_ERROR:{
      gchar *what = error_text (msg);

      g_printerr ("device %s: error from %s\n", d->cfg->id, what);
      if (s->stopping) {
        d->eos = TRUE;
        check_stopped (s);
      } else {
        device_schedule_restart (d, what);
      }
      g_free (what);
      break;
    }
    case GST_MESSAGE_WARNING:{
      GError *err = NULL;

      gst_message_parse_warning (msg, &err, NULL);
      g_printerr ("device %s: warning from %s: %s\n", d->cfg->id,
          GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
      g_error_free (err);
      break;
    }
    case GST_MESSAGE_EOS:
      d->eos = TRUE;
      if (s->stopping)
        check_stopped (s);
      else {
        g_printerr ("device %s: the stream ended\n", d->cfg->id);
        device_schedule_restart (d, "the stream ended");
      }
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static void
device_start (Device * d)
{
  d->eos = FALSE;
  d->playing_reported = FALSE;
  if (gst_element_set_state (d->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("device %s: cannot start its pipeline\n", d->cfg->id);
    device_schedule_restart (d, "cannot start its pipeline");
  }
  /* once: the camera keeps its connection across restarts of the device
   * pipeline, and reconnects by itself */
  if (d->camera != NULL)
    seecitv_serve_camera_start (d->camera);
}

/* ---- the whole process ---- */

static gboolean
stop_timeout_cb (gpointer user_data)
{
  Serve *s = user_data;

  s->stop_timeout = 0;
  g_printerr ("seecitv-serve: pipelines did not end within %d s\n",
      STOP_TIMEOUT_S);
  g_main_loop_quit (s->loop);
  return G_SOURCE_REMOVE;
}

/* SIGINT/SIGTERM: EOS through every pipeline, so that clips close. */
static gboolean
signal_cb (gpointer user_data)
{
  Serve *s = user_data;

  if (s->stopping) {
    g_main_loop_quit (s->loop);
    return G_SOURCE_CONTINUE;
  }
  g_print ("seecitv-serve: stopping\n");
  s->stopping = TRUE;
  for (guint i = 0; i < s->devices->len; i++) {
    Device *d = g_ptr_array_index (s->devices, i);

    if (d->restart_source) {
      g_source_remove (d->restart_source);
      d->restart_source = 0;
    }
    if (d->camera != NULL)
      seecitv_serve_camera_stop (d->camera);
    if (GST_STATE (d->pipeline) == GST_STATE_PLAYING)
      gst_element_send_event (d->pipeline, gst_event_new_eos ());
  }
  s->stop_timeout = g_timeout_add_seconds (STOP_TIMEOUT_S, stop_timeout_cb,
      s);
  check_stopped (s);
  return G_SOURCE_CONTINUE;
}

static gboolean
drain_tick_cb (gpointer user_data)
{
  Serve *s = user_data;
  SeecitvWebhookStats st;

  seecitv_webhook_get_stats (s->webhook, &st);
  if (st.queued == 0)
    g_main_loop_quit (s->loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* Gives queued webhooks up to DRAIN_TIMEOUT_S to go out. */
static void
drain_webhooks (Serve * s)
{
  SeecitvWebhookStats st;
  guint tick, timeout;

  seecitv_webhook_get_stats (s->webhook, &st);
  if (st.queued > 0) {
    tick = g_timeout_add (50, drain_tick_cb, s);
    timeout = g_timeout_add_seconds (DRAIN_TIMEOUT_S, quit_cb, s->loop);
    g_main_loop_run (s->loop);
    g_source_remove (tick);
    if (g_main_context_find_source_by_id (NULL, timeout))
      g_source_remove (timeout);
  }
  seecitv_webhook_get_stats (s->webhook, &st);
  g_print ("webhook: %" G_GUINT64_FORMAT " delivered, %" G_GUINT64_FORMAT
      " dropped, %" G_GUINT64_FORMAT " refused, %u undelivered\n",
      st.delivered, st.dropped, st.refused, st.queued);
}

static const gchar *const needed[] = {
  "seecitvmotion", "seecitvredact", "videoconvert", "x264enc", "h264parse",
  "tee", "queue",
};

static gboolean
check_elements (SeecitvServeConfig * cfg, GError ** error)
{
  GPtrArray *names = g_ptr_array_new ();
  gboolean ok = TRUE;

  for (guint i = 0; i < G_N_ELEMENTS (needed); i++)
    g_ptr_array_add (names, (gpointer) needed[i]);
  if (cfg->rtsp) {
    g_ptr_array_add (names, (gpointer) "appsink");
    g_ptr_array_add (names, (gpointer) "appsrc");
    g_ptr_array_add (names, (gpointer) "rtph264pay");
  }
  for (guint i = 0; i < cfg->devices->len; i++) {
    SeecitvServeDevice *d = g_ptr_array_index (cfg->devices, i);

    if (d->camera) {
      g_ptr_array_add (names, (gpointer) "rtspsrc");
      g_ptr_array_add (names, (gpointer) "decodebin");
      g_ptr_array_add (names, (gpointer) "appsrc");
      g_ptr_array_add (names, (gpointer) "appsink");
    } else if (d->url) {
      g_ptr_array_add (names, (gpointer) "seecitvsrc");
      g_ptr_array_add (names, (gpointer) "jpegdec");
    }
    if (d->recording_dir)
      g_ptr_array_add (names, (gpointer) "seecitvsink");
  }
  for (guint i = 0; i < names->len && ok; i++) {
    GstElementFactory *f = gst_element_factory_find (names->pdata[i]);

    if (f == NULL) {
      g_set_error (error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "element %s not found (set GST_PLUGIN_PATH to seecitv's plugins, "
          "or use `meson devenv`)", (gchar *) names->pdata[i]);
      ok = FALSE;
    }
    gst_clear_object (&f);
  }
  g_ptr_array_free (names, TRUE);
  return ok;
}

/* Reads a credentials file (refusing one readable by others). */
static GPtrArray *
load_credentials (SeecitvServeConfig * cfg, const gchar * path,
    const gchar * group, GError ** error)
{
  gsize len = 0;
  gchar *data = seecitv_serve_secret_load (path, 1, &len, error);
  GPtrArray *creds;

  if (data == NULL) {
    g_prefix_error (error, "%s: [%s] credentials-file: ", cfg->path, group);
    return NULL;
  }
  creds = seecitv_serve_credentials_parse (data, len, path, error);
  seecitv_serve_secret_free (data, len);
  return creds;
}

/* The ONVIF accounts are RTSP accounts too: one user with two passwords
 * would leave one of them refused. */
static GPtrArray *
load_onvif_credentials (SeecitvServeConfig * cfg, GPtrArray * rtsp,
    GError ** error)
{
  GPtrArray *creds = load_credentials (cfg, cfg->onvif_credentials_file,
      "onvif", error);

  for (guint i = 0; creds != NULL && i < creds->len; i++) {
    SeecitvServeCredential *o = g_ptr_array_index (creds, i);

    for (guint j = 0; j < rtsp->len; j++) {
      SeecitvServeCredential *r = g_ptr_array_index (rtsp, j);

      if (strcmp (o->user, r->user) == 0 &&
          strcmp (o->password, r->password) != 0) {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
            "%s: [onvif] credentials-file: user %s is also in [rtsp]'s, "
            "with another password", cfg->path, o->user);
        g_clear_pointer (&creds, g_ptr_array_unref);
        break;
      }
    }
  }
  return creds;
}

static SeecitvWebhook *
make_webhook (SeecitvServeConfig * cfg, GError ** error)
{
  SeecitvWebhookConfig wc = { 0, };
  SeecitvWebhook *wh;
  gsize len = 0;
  gchar *secret = seecitv_serve_secret_load (cfg->webhook_secret_file, 16,
      &len, error);

  if (secret == NULL) {
    g_prefix_error (error, "%s: [webhook] secret-file: ", cfg->path);
    return NULL;
  }
  wc.url = cfg->webhook_url;
  wc.secret = (const guint8 *) secret;
  wc.secret_len = len;
  wc.queue_size = cfg->webhook_queue_size;
  wc.retry_initial_ms = cfg->webhook_retry_initial_ms;
  wc.retry_max_ms = cfg->webhook_retry_max_ms;
  wc.timeout_s = cfg->webhook_timeout_s;
  wh = seecitv_webhook_new (&wc, NULL, error);
  seecitv_serve_secret_free (secret, len);
  if (wh == NULL) {
    g_prefix_error (error, "%s: [webhook] url: ", cfg->path);
    return NULL;
  }
  /* once, at start; the URL itself is not printed (it may hold a token) */
  if (g_ascii_strncasecmp (cfg->webhook_url, "http://", 7) == 0)
    g_printerr ("seecitv-serve: warning: %s: [webhook] url is plain "
        "http://: events travel unencrypted and a listener on the way can "
        "read them (the signature only proves who sent them); use "
        "https://\n", cfg->path);
  return wh;
}

static void
device_free (Device * d)
{
  if (d->restart_source)
    g_source_remove (d->restart_source);
  seecitv_serve_camera_free (d->camera);
  if (d->pipeline) {
    gst_element_set_state (d->pipeline, GST_STATE_NULL);
    if (d->bus_watch)
      g_source_remove (d->bus_watch);
    gst_object_unref (d->pipeline);
  }
  g_list_free_full (d->clients, (GDestroyNotify) client_free);
  g_mutex_clear (&d->lock);
  g_free (d->first_failure);
  g_free (d);
}

int
main (int argc, char **argv)
{
  gchar *config_path = NULL;
  gboolean check_only = FALSE;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
        "The configuration file (see docs/serve.md)", "FILE"},
    {"check", 0, 0, G_OPTION_ARG_NONE, &check_only,
          "Check the configuration, its files and the elements it needs, "
        "then exit", NULL},
    {NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  GPtrArray *creds = NULL, *onvif_creds = NULL, *hosts = NULL;
  GTlsCertificate *cert = NULL;
  Serve s = { 0, };
  guint sigint, sigterm, cleanup = 0;

  ctx = g_option_context_new ("- re-stream seecitv devices, redacted, over "
      "RTSP, with motion webhooks and recording");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("seecitv-serve: %s\n", err->message);
    g_error_free (err);
    g_option_context_free (ctx);
    return EXIT_USAGE;
  }
  g_option_context_free (ctx);
  if (config_path == NULL) {
    g_printerr ("seecitv-serve: --config FILE is required (see "
        "docs/serve.md)\n");
    return EXIT_USAGE;
  }

  s.config = seecitv_serve_config_load (config_path, &err);
  if (s.config == NULL ||
      (s.config->rtsp && !(creds = load_credentials (s.config,
                  s.config->rtsp_credentials_file, "rtsp", &err))) ||
      (s.config->onvif && !(onvif_creds = load_onvif_credentials (s.config,
                  creds, &err))) ||
      (seecitv_serve_tls_enabled (s.config) &&
          !(cert = seecitv_serve_tls_load (s.config, !check_only, &err)) &&
          err != NULL) ||
      (s.config->webhook_url && !(s.webhook = make_webhook (s.config,
                  &err)))) {
    g_printerr ("seecitv-serve: %s\n", err->message);
    s.exit_code = EXIT_USAGE;
    goto out;
  }
  if (!check_elements (s.config, &err)) {
    g_printerr ("seecitv-serve: %s\n", err->message);
    s.exit_code = EXIT_FAILURE_RUN;
    goto out;
  }

  {
    guint32 r[2] = { g_random_int (), g_random_int () };
    g_snprintf (s.boot_id, sizeof (s.boot_id), "%08x%08x", r[0], r[1]);
  }
  s.loop = g_main_loop_new (NULL, FALSE);
  s.devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  if (onvif_creds != NULL)
    s.onvif = seecitv_serve_onvif_new (s.config, onvif_creds);
  for (guint i = 0; i < s.config->devices->len; i++) {
    Device *d = g_new0 (Device, 1);

    d->serve = &s;
    d->cfg = g_ptr_array_index (s.config->devices, i);
    d->restart_delay_s = RESTART_INITIAL_S;
    g_mutex_init (&d->lock);
    g_ptr_array_add (s.devices, d);
    if (!device_build (d, &err)) {
      g_printerr ("seecitv-serve: %s\n", err->message);
      s.exit_code = EXIT_USAGE;
      goto out;
    }
  }
  if (check_only) {
    g_print ("%s: OK, %u device(s)%s%s%s\n", config_path, s.devices->len,
        !s.config->rtsp ? "" : seecitv_serve_tls_enabled (s.config) ?
        ", RTSPS" : ", RTSP", s.onvif ? ", ONVIF" : "",
        s.webhook ? ", webhooks" : "");
    goto out;
  }

  if (s.config->rtsp) {
    if (!server_setup (&s, creds, onvif_creds, cert, &err) ||
        (s.onvif && !seecitv_serve_onvif_start (s.onvif, s.auth,
                gst_rtsp_server_get_bound_port (s.server), cert != NULL,
                &err))) {
      g_printerr ("seecitv-serve: %s\n", err->message);
      s.exit_code = EXIT_FAILURE_RUN;
      goto out;
    }
    cleanup = g_timeout_add_seconds (2, session_cleanup_cb, &s);
  }
  g_clear_pointer (&creds, g_ptr_array_unref);
  g_clear_pointer (&onvif_creds, g_ptr_array_unref);

  /* one line per mount and address a client can use: a wildcard address
   * (0.0.0.0) in a URL reaches nothing */
  if (s.server)
    hosts = url_hosts (s.config->rtsp_address);
  for (guint i = 0; i < s.devices->len; i++) {
    Device *d = g_ptr_array_index (s.devices, i);
    GstBus *bus = gst_element_get_bus (d->pipeline);

    d->bus_watch = gst_bus_add_watch (bus, bus_cb, d);
    gst_object_unref (bus);
    for (guint j = 0; hosts != NULL && j < hosts->len; j++)
      g_print ("rtsp: %s://%s:%d/%s\n", cert ? "rtsps" : "rtsp",
          (gchar *) hosts->pdata[j],
          gst_rtsp_server_get_bound_port (s.server), d->cfg->id);
    device_start (d);
  }
  g_clear_pointer (&hosts, g_ptr_array_unref);
  if (s.onvif != NULL) {
    hosts = url_hosts (s.config->onvif_address);
    for (guint j = 0; j < hosts->len; j++)
      g_print ("onvif: http://%s:%u/onvif/device_service\n",
          (gchar *) hosts->pdata[j], seecitv_serve_onvif_get_port (s.onvif));
    g_clear_pointer (&hosts, g_ptr_array_unref);
  }
  if (cert != NULL) {
    /* what a client pins, and what openssl s_client shows (docs/serve.md) */
    gchar *pin = seecitv_tls_pin_from_certificate (cert);

    g_print ("pin: %s\n", pin);
    g_free (pin);
  }
  fflush (stdout);

  sigint = g_unix_signal_add (SIGINT, signal_cb, &s);
  sigterm = g_unix_signal_add (SIGTERM, signal_cb, &s);
  g_main_loop_run (s.loop);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  if (s.stop_timeout)
    g_source_remove (s.stop_timeout);
  for (guint i = 0; i < s.devices->len; i++)
    gst_element_set_state (((Device *) g_ptr_array_index (s.devices,
                i))->pipeline, GST_STATE_NULL);
  if (s.webhook)
    drain_webhooks (&s);

out:
  if (cleanup)
    g_source_remove (cleanup);
  if (s.server_source)
    g_source_remove (s.server_source);
  g_clear_pointer (&s.onvif, seecitv_serve_onvif_free);
  g_clear_pointer (&s.devices, g_ptr_array_unref);
  g_clear_object (&s.server);
  g_clear_object (&s.auth);
  g_clear_pointer (&s.webhook, seecitv_webhook_free);
  g_clear_pointer (&creds, g_ptr_array_unref);
  g_clear_pointer (&onvif_creds, g_ptr_array_unref);
  g_clear_object (&cert);
  g_clear_error (&err);
  g_clear_pointer (&s.loop, g_main_loop_unref);
  seecitv_serve_config_free (s.config);
  g_free (config_path);
  /* join the RTSP clients' threads and GLib's idle pool threads before
   * exit, so that nothing runs while the process tears down */
  gst_rtsp_thread_pool_cleanup ();
  g_thread_pool_stop_unused_threads ();
  fflush (stdout);
  return s.exit_code;
}
