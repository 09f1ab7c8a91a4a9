/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-device: the device side of the seecitv protocol
 * (docs/protocol.md). It runs a GStreamer source, encodes it to JPEG and
 * serves it over HTTP or HTTPS with libsoup 3 as multipart/x-mixed-replace
 * MJPEG on /seecitv/v1/stream, each part with X-Seecitv-Capture-Time, and
 * the device-info document on /seecitv/v1/info.
 *
 * The source is one of:
 * - by default, a synthetic live scene (320x240, 10 fps): a still gradient
 *   "wall", two objects moving across it (a ball and a box) and a face
 *   image walking slowly left and right, composited by `compositor`. The
 *   face is `--face FILE` (any image decodebin reads), else the build's
 *   test media `astronaut.png` (meson option testdata-dir) when that file
 *   exists. Without either (or with --no-face) the scene has the moving
 *   objects only, and a line on stderr says so;
 * - `--source "<raw video pipeline>"` (or --pipeline);
 * - `--file PATH`: a video file decoded and played in real time; the
 *   device exits when it ends.
 *
 * Authentication: with --key-file every request must pass the mutual HMAC
 * authentication; --basic USER:PASS and --digest USER:PASS add HTTP Basic
 * and Digest (a third-party server's ways; both may be given). Failed
 * logins of every kind are rate-limited per client address
 * (--max-auth-failures, --lockout): a locked-out address gets 429 Too Many
 * Requests with Retry-After, without its credentials being checked. A
 * seecitv login fails only when its proof verifies as wrong; challenges
 * are stateless (protocol.h), so requests without credentials cost
 * nothing and push nobody's challenge out, however many come.
 *
 * With --tls-generate it makes a self-signed certificate (or loads one
 * with --tls-cert/--tls-key) and prints its pin. Fault injection for
 * tests: --drop-after N closes each connection after N frames,
 * --stall-after N stops sending on it (the connection stays open),
 * --corrupt-every N replaces every Nth part with bytes that are not JPEG,
 * --time-jump-after N --time-jump SECONDS shifts the capture-time header of
 * every part from the Nth of each connection on (a device clock set
 * backwards or forwards), --skip-every N sends no one the source's every
 * Nth frame (a camera that drops frames), --capture-jitter MS stamps
 * every second frame MS later than it was captured (irregular capture).
 *
 * On start it prints, one per line and flushed, `url: <stream URL>` and,
 * with TLS, `pin: sha256:<hex>`: tests and scripts read these.
 *
 * Everything HTTP runs in the default main context (libsoup 3 objects stay
 * in the context that made them); frames reach it from appsink's streaming
 * thread through g_main_context_invoke ().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <seecitv/protocol/protocol.h>
#include <seecitv/protocol/tlspin.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOUNDARY "seecitvframe"
#define SCENE_W 320
#define SCENE_H 240
#define SCENE_FPS 10
#define FACE_SIZE 80
#define OBJECT_SIZE 40
/* How often the moving things move (ms). */
#define SCENE_TICK_MS 40
#define DEFAULT_MAX_AUTH_FAILURES 5
#define DEFAULT_LOCKOUT_S 30
/* Failures further apart than this do not add up. */
#define AUTH_FAILURE_WINDOW_S 300
#define MAX_TRACKED_ADDRESSES 1024
#define CHALLENGE_LIFETIME_S 30
/* Logins (verified proofs) remembered for a challenge lifetime, against
 * replay; beyond that many in 30 s, new logins get 503 until the oldest
 * expires. Only holders of the pairing secret can fill it. */
#define MAX_USED_CHALLENGES 4096
/* Frames queued for one client beyond which new frames skip it. */
#define MAX_CLIENT_BACKLOG 4

typedef struct
{
  SoupServerMessage *msg;       /* not owned: valid until finished/aborted */
  guint queued;                 /* parts appended, not yet written */
  guint sent;                   /* parts appended in total */
  gboolean dropping;
} Client;

typedef struct
{
  GMainLoop *loop;
  SoupServer *server;
  GstElement *pipeline;
  GList *clients;               /* of Client */
  SeecitvChallengeStore *challenges;
  guint8 key[SEECITV_PROTOCOL_KEY_LEN];
  gboolean auth;
  SeecitvDeviceInfo info;
  gchar *basic_user;
  gchar *basic_pass;
  gchar *digest_user;
  gchar *digest_pass;
  SeecitvRateLimiter *limiter;  /* NULL: no limit */
  GstPad *scene_pads[3];        /* face, ball, box; NULL if absent */
  gint64 scene_start;
  gint drop_after;
  gint stall_after;
  gint corrupt_every;
  gint time_jump_after;
  gint64 time_jump_ns;
  gint skip_every;
  gint64 capture_jitter_ns;
  guint64 frames;               /* frames the source gave, main context */
  gboolean verbose;
  gint exit_code;
} Device;

typedef struct
{
  Device *dev;
  GBytes *jpeg;
  guint64 capture_ns;
} Frame;

/* ---- authentication ---- */

/* The request path as bound into the proofs: path and query, as sent. */
static gchar *
request_target (SoupServerMessage * msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const gchar *query = g_uri_get_query (uri);

  return query != NULL ? g_strconcat (g_uri_get_path (uri), "?", query,
      NULL) : g_strdup (g_uri_get_path (uri));
}

/* Answers @status (429 or 503) with Retry-After for @remaining_us and
 * @body. Whatever an auth domain put in the response (its challenge)
 * goes: a client told to wait gets nothing to work on. */
static void
answer_retry_later (SoupServerMessage * msg, guint status,
    gint64 remaining_us, const gchar * body)
{
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  gchar *secs = g_strdup_printf ("%u",
      seecitv_rate_limiter_retry_after (remaining_us));

  soup_message_headers_remove (resp, "WWW-Authenticate");
  soup_message_headers_remove (resp, "Authentication-Info");
  soup_message_headers_replace (resp, "Retry-After", secs);
  soup_server_message_set_status (msg, status, status == 429 ?
      "Too Many Requests" : NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
      body, strlen (body));
  g_free (secs);
}

/* 429 Too Many Requests: @remaining_us of the address's lock-out are
 * left. */
static void
answer_locked_out (SoupServerMessage * msg, gint64 remaining_us)
{
  answer_retry_later (msg, 429, remaining_us,
      "too many failed logins from this address\n");
}

/* A failed login from @msg's address: after too many, a lock-out. */
static void
count_failure (Device * dev, SoupServerMessage * msg)
{
  const gchar *addr = soup_server_message_get_remote_host (msg);
  gint64 left;

  if (dev->limiter == NULL || addr == NULL)
    return;
  left = seecitv_rate_limiter_fail (dev->limiter, addr,
      g_get_monotonic_time ());
  if (left > 0)
    g_printerr ("locking out %s for %u s after failed logins\n", addr,
        seecitv_rate_limiter_retry_after (left));
}

/* Runs once a request is read, after the Basic/Digest domains had their
 * say (a 401 status if they refused) and before any handler: a locked-out
 * address is answered 429 here, whatever its credentials; a refused
 * Basic/Digest login counts as a failure. */
static void
request_read_cb (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  Device *dev = user_data;
  const gchar *addr = soup_server_message_get_remote_host (msg);
  const gchar *authz;
  gint64 left;

  if (dev->limiter == NULL || addr == NULL)
    return;
  left = seecitv_rate_limiter_check (dev->limiter, addr,
      g_get_monotonic_time ());
  if (left > 0) {
    answer_locked_out (msg, left);
    return;
  }
  authz = soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg), "Authorization");
  if (authz == NULL)
    return;
  if (soup_server_message_get_status (msg) == SOUP_STATUS_UNAUTHORIZED) {
    g_printerr ("refused %s: wrong HTTP credentials\n", addr);
    count_failure (dev, msg);
  } else if (soup_server_message_get_status (msg) == 0 && !dev->auth) {
    /* accepted by the Basic/Digest domain (with the seecitv protocol,
     * check_auth () decides) */
    seecitv_rate_limiter_succeed (dev->limiter, addr);
  }
}

/* Checks the seecitv credentials. On success adds Authentication-Info and
 * returns TRUE; else answers 401 with a fresh challenge (503 while the
 * used challenges are full). Only a proof that verifies as wrong is a
 * failed login: a request without one, or over a challenge that is not
 * good (expired, used, issued to another address or before a restart),
 * never looked at the secret, so it costs its address nothing (the flood
 * of issue 15 came from the victim's own address). */
static gboolean
check_auth (Device * dev, SoupServerMessage * msg)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  const gchar *authz = soup_message_headers_get_one (req, "Authorization");
  const gchar *addr = soup_server_message_get_remote_host (msg);
  gchar *target, *ainfo, *www;
  GError *err = NULL;
  SeecitvChallenge c = { dev->info.device_id, NULL, CHALLENGE_LIFETIME_S };
  gint64 now = g_get_monotonic_time ();

  if (!dev->auth)
    return TRUE;
  if (addr == NULL)
    addr = "";

  target = request_target (msg);
  ainfo = seecitv_protocol_device_verify (dev->challenges, dev->key,
      sizeof (dev->key), dev->info.device_id, addr,
      soup_server_message_get_method (msg), target, authz, now, &err);
  g_free (target);
  if (ainfo != NULL) {
    soup_message_headers_replace (resp, "Authentication-Info", ainfo);
    g_free (ainfo);
    if (dev->limiter != NULL)
      seecitv_rate_limiter_succeed (dev->limiter, addr);
    return TRUE;
  }
  if (g_error_matches (err, SEECITV_PROTOCOL_ERROR,
          SEECITV_PROTOCOL_ERROR_BUSY)) {
    g_printerr ("refused %s: %s\n", addr, err->message);
    g_clear_error (&err);
    /* every challenge used in the last lifetime is remembered and the
     * set is full: later, rather than forget one */
    answer_retry_later (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        seecitv_challenge_store_busy (dev->challenges, now),
        "too many logins, try again later\n");
    return FALSE;
  }
  /* only say why on our own stderr, never to the client */
  if (authz != NULL)
    g_printerr ("refused %s: %s\n", addr, err->message);
  if (g_error_matches (err, SEECITV_PROTOCOL_ERROR,
          SEECITV_PROTOCOL_ERROR_PROOF))
    count_failure (dev, msg);
  g_clear_error (&err);

  c.challenge = seecitv_challenge_store_issue (dev->challenges, addr, now,
      &err);
  if (c.challenge == NULL) {
    g_printerr ("cannot issue a challenge: %s\n", err->message);
    g_clear_error (&err);
    soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        NULL);
    return FALSE;
  }
  www = seecitv_protocol_format_challenge (&c);
  soup_message_headers_replace (resp, "WWW-Authenticate", www);
  soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
  g_free (www);
  g_free (c.challenge);
  return FALSE;
}

static gboolean
basic_auth_cb (SoupAuthDomain * domain, SoupServerMessage * msg,
    const char *user, const char *password, gpointer user_data)
{
  Device *dev = user_data;
  gsize ul = strlen (user), pl = strlen (password);

  /* constant time on the password; the lengths are not secret enough to
   * matter for a test device */
  return ul == strlen (dev->basic_user) && pl == strlen (dev->basic_pass) &&
      CRYPTO_memcmp (user, dev->basic_user, ul) == 0 &&
      CRYPTO_memcmp (password, dev->basic_pass, pl) == 0;
}

static char *
digest_auth_cb (SoupAuthDomain * domain, SoupServerMessage * msg,
    const char *user, gpointer user_data)
{
  Device *dev = user_data;
  gsize ul = strlen (user);

  /* the password check itself is libsoup's (it compares the digests) */
  if (ul != strlen (dev->digest_user) ||
      CRYPTO_memcmp (user, dev->digest_user, ul) != 0)
    return NULL;
  return soup_auth_domain_digest_encode_password (user,
      soup_auth_domain_get_realm (domain), dev->digest_pass);
}

/* ---- handlers ---- */

/* A GET that passed authentication; else the answer is set. */
static gboolean
allowed_get (Device * dev, SoupServerMessage * msg)
{
  if (strcmp (soup_server_message_get_method (msg), "GET") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return FALSE;
  }
  return check_auth (dev, msg);
}

static void
info_cb (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  Device *dev = user_data;
  gchar *doc;

  if (!allowed_get (dev, msg))
    return;
  doc = seecitv_protocol_format_info (&dev->info, NULL);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8",
      SOUP_MEMORY_TAKE, doc, strlen (doc));
}

static Client *
find_client (Device * dev, SoupServerMessage * msg)
{
  GList *l;

  for (l = dev->clients; l != NULL; l = l->next) {
    Client *c = l->data;
    if (c->msg == msg)
      return c;
  }
  return NULL;
}

static void
wrote_chunk_cb (SoupServerMessage * msg, gpointer user_data)
{
  Device *dev = user_data;
  Client *c = find_client (dev, msg);

  if (c != NULL && c->queued > 0)
    c->queued--;
}

static void
stream_cb (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  Device *dev = user_data;
  gchar *ct;
  Client *c;

  if (!allowed_get (dev, msg))
    return;

  ct = g_strdup_printf ("multipart/x-mixed-replace; boundary=%s", BOUNDARY);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Content-Type", ct);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-cache, no-store");
  g_free (ct);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers
      (msg), SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body
      (msg), FALSE);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), dev);

  c = g_new0 (Client, 1);
  c->msg = msg;
  dev->clients = g_list_prepend (dev->clients, c);
  if (dev->verbose)
    g_printerr ("client %s connected\n",
        soup_server_message_get_remote_host (msg));
  /* nothing to send until the next frame */
  soup_server_message_pause (msg);
}

static void
request_done_cb (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  Device *dev = user_data;
  Client *c = find_client (dev, msg);

  if (c == NULL)
    return;
  if (dev->verbose)
    g_printerr ("client disconnected after %u frames\n", c->sent);
  dev->clients = g_list_remove (dev->clients, c);
  g_free (c);
}

/* Fault injection: a connection lost mid-stream. Runs from a timeout so
 * that libsoup is not inside its own write when the stream goes away, and
 * the last part has been written. A stolen message gets no
 * request-finished: the client is forgotten here. */
typedef struct
{
  Device *dev;
  SoupServerMessage *msg;       /* owned */
} Drop;

static gboolean
drop_client_cb (gpointer user_data)
{
  Drop *d = user_data;
  Client *c = find_client (d->dev, d->msg);

  if (c != NULL) {
    GIOStream *stream;

    d->dev->clients = g_list_remove (d->dev->clients, c);
    g_free (c);
    stream = soup_server_message_steal_connection (d->msg);
    if (stream != NULL) {
      g_io_stream_close (stream, NULL, NULL);
      g_object_unref (stream);
    }
    if (d->dev->verbose)
      g_printerr ("dropped a client\n");
  }
  g_object_unref (d->msg);
  g_free (d);
  return G_SOURCE_REMOVE;
}

static gchar *
part_head (gsize size, guint64 capture_ns)
{
  return g_strdup_printf ("--" BOUNDARY "\r\nContent-Type: image/jpeg\r\n"
      "Content-Length: %" G_GSIZE_FORMAT "\r\n"
      SEECITV_PROTOCOL_CAPTURE_TIME_HEADER ": %" G_GUINT64_FORMAT "\r\n\r\n",
      size, capture_ns);
}

static gboolean
deliver_frame (gpointer user_data)
{
  Frame *f = user_data;
  Device *dev = f->dev;
  GList *l, *next;
  gchar *head, *jumped_head = NULL;
  gsize size = g_bytes_get_size (f->jpeg);

  dev->frames++;
  if (dev->skip_every > 0 && dev->frames % dev->skip_every == 0)
    return G_SOURCE_REMOVE;
  if (dev->frames % 2 == 0)
    f->capture_ns += dev->capture_jitter_ns;
  head = part_head (size, f->capture_ns);
  if (dev->time_jump_after > 0) {
    /* the device's clock set backwards or forwards, as seen in its parts */
    gint64 t = (gint64) f->capture_ns + dev->time_jump_ns;

    jumped_head = part_head (size, t > 0 ? (guint64) t : 0);
  }
  for (l = dev->clients; l != NULL; l = next) {
    Client *c = l->data;
    SoupMessageBody *body = soup_server_message_get_response_body (c->msg);

    next = l->next;
    if (c->dropping || c->queued >= MAX_CLIENT_BACKLOG)
      continue;
    if (dev->stall_after > 0 && c->sent >= (guint) dev->stall_after)
      continue;
    if (dev->corrupt_every > 0 && (c->sent + 1) % dev->corrupt_every == 0) {
      static const gchar junk[] = "this part is not a JPEG";
      gchar *jh = g_strdup_printf ("--" BOUNDARY "\r\nContent-Type: "
          "image/jpeg\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
          sizeof (junk) - 1);

      soup_message_body_append (body, SOUP_MEMORY_TAKE, jh, strlen (jh));
      soup_message_body_append (body, SOUP_MEMORY_STATIC, junk,
          sizeof (junk) - 1);
    } else {
      const gchar *h = jumped_head != NULL &&
          c->sent + 1 >= (guint) dev->time_jump_after ? jumped_head : head;

      soup_message_body_append (body, SOUP_MEMORY_COPY, h, strlen (h));
      soup_message_body_append_bytes (body, f->jpeg);
    }
    soup_message_body_append (body, SOUP_MEMORY_STATIC, "\r\n", 2);
    c->queued += 3;
    c->sent++;
    soup_server_message_unpause (c->msg);
    if (dev->drop_after > 0 && c->sent >= (guint) dev->drop_after) {
      c->dropping = TRUE;
      Drop *d = g_new0 (Drop, 1);

      d->dev = dev;
      d->msg = g_object_ref (c->msg);
      /* let the last part go out first */
      g_timeout_add (50, drop_client_cb, d);
    }
  }
  g_free (head);
  g_free (jumped_head);
  return G_SOURCE_REMOVE;
}

static void
frame_free (gpointer data)
{
  Frame *f = data;

  g_bytes_unref (f->jpeg);
  g_free (f);
}

/* appsink streaming thread: copy the JPEG, work out its capture time on
 * the wall clock, hand it to the main context. */
static GstFlowReturn
new_sample_cb (GstAppSink * sink, gpointer user_data)
{
  Device *dev = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstMapInfo map;
  Frame *f;
  guint64 now_real = (guint64) g_get_real_time () * 1000;
  GstClock *clock;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  if (buf == NULL || !gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_sample_unref (sample);
    return GST_FLOW_OK;
  }
  f = g_new0 (Frame, 1);
  f->dev = dev;
  f->jpeg = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buf, &map);
  f->capture_ns = now_real;

  /* the frame was captured at base-time + running-time on the pipeline
   * clock: subtract how long ago that was from the wall clock */
  clock = gst_element_get_clock (GST_ELEMENT (sink));
  if (clock != NULL && GST_BUFFER_PTS_IS_VALID (buf)) {
    const GstSegment *seg = gst_sample_get_segment (sample);
    guint64 rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
    GstClockTime now = gst_clock_get_time (clock);
    GstClockTime at = gst_element_get_base_time (GST_ELEMENT (sink)) + rt;

    if (rt != GST_CLOCK_TIME_NONE && now > at && now - at < now_real)
      f->capture_ns = now_real - (now - at);
  }
  if (clock != NULL)
    gst_object_unref (clock);
  gst_sample_unref (sample);

  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, deliver_frame, f,
      frame_free);
  return GST_FLOW_OK;
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Device *dev = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("pipeline error: %s (%s)\n", err->message, dbg ? dbg : "");
      g_clear_error (&err);
      g_free (dbg);
      dev->exit_code = 1;
      g_main_loop_quit (dev->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_printerr ("source ended\n");
      g_main_loop_quit (dev->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

/* ---- the synthetic scene ---- */

/* The face image to use: --face, else the build's test media, else none
 * (NULL). */
static gchar *
find_face (const gchar * face_arg, gboolean no_face)
{
  if (no_face)
    return NULL;
  if (face_arg != NULL)
    return g_strdup (face_arg);
#ifdef SEECITV_TESTDATA_DIR
  gchar *path = g_build_filename (SEECITV_TESTDATA_DIR, "astronaut.png", NULL);
  if (SEECITV_TESTDATA_DIR[0] != '\0' &&
      g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return path;
  g_free (path);
#endif
  return NULL;
}

/* The scene's description: a still background and, composited over it,
 * a ball, a box and (with @face) the face image, each on a compositor pad
 * named so that scene_tick () can move it. */
static gchar *
scene_description (gboolean face)
{
  GString *d = g_string_new (NULL);

  g_string_append_printf (d, "videotestsrc is-live=true pattern=gradient "
      "foreground-color=0xffc8c8b4 background-color=0xff505a64 "
      "! video/x-raw,width=%d,height=%d,framerate=%d/1 ! scene.sink_0 "
      "videotestsrc is-live=true pattern=ball "
      "background-color=0x00000000 foreground-color=0xffe0a020 "
      "! video/x-raw,format=AYUV,width=%d,height=%d,framerate=%d/1 "
      "! scene.sink_1 "
      "videotestsrc is-live=true pattern=solid-color "
      "foreground-color=0xff2050d0 "
      "! video/x-raw,format=AYUV,width=%d,height=%d,framerate=%d/1 "
      "! scene.sink_2 ",
      SCENE_W, SCENE_H, SCENE_FPS, OBJECT_SIZE, OBJECT_SIZE, SCENE_FPS, OBJECT_SIZE, OBJECT_SIZE * 3 / 2,
      SCENE_FPS);
  if (face)
    g_string_append_printf (d, "filesrc name=face ! decodebin "
        "! imagefreeze is-live=true ! videoconvert ! videoscale "
        "! video/x-raw,format=AYUV,width=%d,height=%d,framerate=%d/1 "
        "! scene.sink_3 ", FACE_SIZE, FACE_SIZE, SCENE_FPS);
  /* last: the caller links the scene's output on */
  g_string_append_printf (d, "compositor name=scene background=black "
      "! video/x-raw,width=%d,height=%d,framerate=%d/1",
      SCENE_W, SCENE_H, SCENE_FPS);
  return g_string_free (d, FALSE);
}

/* Moves the objects: the ball on an ellipse, the box back and forth on
 * a diagonal, the face walking left and right along the bottom (periods
 * of 6, 9 and 12 s). */
static gboolean
scene_tick (gpointer user_data)
{
  Device *dev = user_data;
  gdouble t = (g_get_monotonic_time () - dev->scene_start) /
      (gdouble) G_USEC_PER_SEC;
  gdouble a = 2 * G_PI * t;
  gint x, y;

  if (dev->scene_pads[0] != NULL) {
    x = (gint) ((SCENE_W - OBJECT_SIZE) * (0.5 + 0.4 * cos (a / 6)));
    y = (gint) ((SCENE_H - OBJECT_SIZE) * (0.4 + 0.3 * sin (a / 6)));
    g_object_set (dev->scene_pads[0], "xpos", x, "ypos", y, NULL);
  }
  if (dev->scene_pads[1] != NULL) {
    gdouble u = fabs (fmod (t / 4.5, 2.0) - 1.0);

    x = (gint) ((SCENE_W - OBJECT_SIZE) * u);
    y = (gint) ((SCENE_H - OBJECT_SIZE * 3 / 2) * (1 - u));
    g_object_set (dev->scene_pads[1], "xpos", x, "ypos", y, NULL);
  }
  if (dev->scene_pads[2] != NULL) {
    x = (gint) ((SCENE_W - FACE_SIZE) * (0.5 + 0.5 * sin (a / 12)));
    g_object_set (dev->scene_pads[2], "xpos", x, "ypos",
        SCENE_H - FACE_SIZE - 8, NULL);
  }
  return G_SOURCE_CONTINUE;
}

/* Finds the scene's moving pads in @pipeline and sets the face file. */
static void
scene_setup (Device * dev, GstElement * pipeline, const gchar * face)
{
  GstElement *comp = gst_bin_get_by_name (GST_BIN (pipeline), "scene");
  static const gchar *const names[] = { "sink_1", "sink_2", "sink_3" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    dev->scene_pads[i] = gst_element_get_static_pad (comp, names[i]);
  gst_object_unref (comp);
  if (face != NULL) {
    GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "face");

    g_object_set (src, "location", face, NULL);
    gst_object_unref (src);
  }
  dev->scene_start = g_get_monotonic_time ();
  scene_tick (dev);
}

static gboolean
quit_cb (gpointer user_data)
{
  Device *dev = user_data;

  g_main_loop_quit (dev->loop);
  return G_SOURCE_CONTINUE;
}

/* The command line, parsed by parse_options (). */
typedef struct
{
  gchar *pipeline_desc, *key_file, *address;
  gchar *tls_cert, *tls_key, *tls_cert_out;
  gchar *basic, *digest, *file, *face_arg;
  gchar *face;                  /* the face image found for the scene */
  gboolean no_face;
  gint max_auth_failures;
  gint lockout_s;
  gdouble time_jump_s;
  gint capture_jitter_ms;
  gchar *device_id, *model, *name, *mac;
  gboolean tls_generate;
  gint port;
} Options;

/* Returns: 0, else the exit status after printing why. */
static int
parse_options (Options * o, Device * dev, int argc, char **argv)
{
  GError *err = NULL;
  GOptionContext *ctx;
  GOptionEntry entries[] = {
    {"pipeline", 'p', 0, G_OPTION_ARG_STRING, &o->pipeline_desc,
        "Source pipeline producing raw video (default: the synthetic "
          "scene)", "DESC"},
    {"source", 0, 0, G_OPTION_ARG_STRING, &o->pipeline_desc,
        "Same as --pipeline", "DESC"},
    {"file", 'f', 0, G_OPTION_ARG_FILENAME, &o->file,
        "Serve this video file, played in real time (exits at its end)",
        "FILE"},
    {"face", 0, 0, G_OPTION_ARG_FILENAME, &o->face_arg,
          "Face image in the synthetic scene (default: astronaut.png from "
          "the build's testdata-dir, if there)", "FILE"},
    {"no-face", 0, 0, G_OPTION_ARG_NONE, &o->no_face,
        "A synthetic scene without a face", NULL},
    {"address", 'a', 0, G_OPTION_ARG_STRING, &o->address,
        "Address to listen on (default 127.0.0.1)", "ADDR"},
    {"port", 0, 0, G_OPTION_ARG_INT, &o->port,
        "TCP port (default 8080, 0: any free port)", "PORT"},
    {"device-id", 'd', 0, G_OPTION_ARG_STRING, &o->device_id,
        "Device id (default seecitv-device)", "ID"},
    {"key-file", 'k', 0, G_OPTION_ARG_FILENAME, &o->key_file,
        "Pairing secret (64 hex digits, mode 0600): require the seecitv "
          "protocol", "FILE"},
    {"basic", 0, 0, G_OPTION_ARG_STRING, &o->basic,
        "Require HTTP Basic authentication", "USER:PASS"},
    {"digest", 0, 0, G_OPTION_ARG_STRING, &o->digest,
        "Require HTTP Digest authentication", "USER:PASS"},
    {"max-auth-failures", 0, 0, G_OPTION_ARG_INT, &o->max_auth_failures,
          "Failed logins from one address before it is locked out (default "
          G_STRINGIFY (DEFAULT_MAX_AUTH_FAILURES) ", 0: no limit)", "N"},
    {"lockout", 0, 0, G_OPTION_ARG_INT, &o->lockout_s,
          "First lock-out in seconds (default "
          G_STRINGIFY (DEFAULT_LOCKOUT_S) "; doubles for repeat offenders)",
        "S"},
    {"model", 0, 0, G_OPTION_ARG_STRING, &o->model, "Device info: model",
        "S"},
    {"name", 0, 0, G_OPTION_ARG_STRING, &o->name, "Device info: name", "S"},
    {"mac", 0, 0, G_OPTION_ARG_STRING, &o->mac,
        "Device info: MAC (xx:xx:xx:xx:xx:xx)", "MAC"},
    {"tls-generate", 0, 0, G_OPTION_ARG_NONE, &o->tls_generate,
        "Serve HTTPS with a fresh self-signed certificate", NULL},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_cert,
        "Serve HTTPS with this PEM certificate", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_key,
        "PEM private key for --tls-cert (default: in the same file)", "FILE"},
    {"tls-cert-out", 0, 0, G_OPTION_ARG_FILENAME, &o->tls_cert_out,
          "Write the certificate (PEM, no key) here, e.g. as a CA file",
        "FILE"},
    {"drop-after", 0, 0, G_OPTION_ARG_INT, &dev->drop_after,
        "Fault injection: close each connection after N frames", "N"},
    {"stall-after", 0, 0, G_OPTION_ARG_INT, &dev->stall_after,
          "Fault injection: stop sending on each connection after N frames",
        "N"},
    {"corrupt-every", 0, 0, G_OPTION_ARG_INT, &dev->corrupt_every,
        "Fault injection: every Nth part is not a JPEG", "N"},
    {"time-jump-after", 0, 0, G_OPTION_ARG_INT, &dev->time_jump_after,
          "Fault injection: from the Nth part of each connection on, shift "
          "the capture time by --time-jump", "N"},
    {"time-jump", 0, 0, G_OPTION_ARG_DOUBLE, &o->time_jump_s,
        "Fault injection: the shift in seconds (negative: backwards)", "S"},
    {"skip-every", 0, 0, G_OPTION_ARG_INT, &dev->skip_every,
          "Fault injection: every Nth frame of the source is not sent to "
          "anyone (a camera that drops frames)", "N"},
    {"capture-jitter", 0, 0, G_OPTION_ARG_INT, &o->capture_jitter_ms,
          "Fault injection: every second frame's capture time is MS "
          "milliseconds later (irregular capture)", "MS"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &dev->verbose,
        "Log connections on stderr", NULL},
    {NULL}
  };

  ctx = g_option_context_new ("- serve a GStreamer source as a seecitv "
      "device");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  dev->time_jump_ns = (gint64) (o->time_jump_s * GST_SECOND);
  dev->capture_jitter_ns = (gint64) o->capture_jitter_ms * GST_MSECOND;
  if (dev->skip_every < 0 || o->capture_jitter_ms < 0) {
    g_printerr ("--skip-every and --capture-jitter must be >= 0\n");
    return 2;
  }
  if ((o->pipeline_desc != NULL) + (o->file != NULL) > 1) {
    g_printerr ("--source/--pipeline and --file are exclusive\n");
    return 2;
  }
  if (o->max_auth_failures < 0 || o->lockout_s < 1) {
    g_printerr ("--max-auth-failures must be >= 0 and --lockout >= 1\n");
    return 2;
  }
  if (o->max_auth_failures > 0)
    dev->limiter = seecitv_rate_limiter_new (o->max_auth_failures,
        AUTH_FAILURE_WINDOW_S * G_USEC_PER_SEC, o->lockout_s * G_USEC_PER_SEC,
        MAX_TRACKED_ADDRESSES);

  return 0;
}

/* USER:PASS of @option (@value NULL: not given, nothing set) into *@user
 * and *@pass (g_free ()). FALSE, after printing why, without a colon. */
static gboolean
split_credentials (const gchar * option, const gchar * value, gchar ** user,
    gchar ** pass)
{
  const gchar *colon;

  if (value == NULL)
    return TRUE;
  if ((colon = strchr (value, ':')) == NULL) {
    g_printerr ("%s wants USER:PASS\n", option);
    return FALSE;
  }
  *user = g_strndup (value, colon - value);
  *pass = g_strdup (colon + 1);
  return TRUE;
}

/* The device info and how clients authenticate. Returns: 0, else the
 * exit status after printing why. */
static int
setup_auth (Options * o, Device * dev)
{
  GError *err = NULL;
  gchar *desc;

  dev->info.device_id = o->device_id ? o->device_id :
      g_strdup ("seecitv-device");
  dev->info.model = o->model ? o->model : g_strdup ("seecitv-device");
  dev->info.name = o->name;
  dev->info.mac = o->mac;
  desc = seecitv_protocol_format_info (&dev->info, &err);
  if (desc == NULL) {
    g_printerr ("bad device info: %s\n", err->message);
    return 2;
  }
  g_free (desc);

  if (o->key_file != NULL) {
    if (!seecitv_protocol_load_key_file (o->key_file, dev->key, &err)) {
      g_printerr ("%s: %s\n", o->key_file, err->message);
      return 2;
    }
    dev->auth = TRUE;
    dev->challenges = seecitv_challenge_store_new (MAX_USED_CHALLENGES,
        CHALLENGE_LIFETIME_S, &err);
    if (dev->challenges == NULL) {
      g_printerr ("%s\n", err->message);
      g_clear_error (&err);
      return 1;
    }
  }
  if (!split_credentials ("--basic", o->basic, &dev->basic_user,
          &dev->basic_pass) || !split_credentials ("--digest", o->digest,
          &dev->digest_user, &dev->digest_pass))
    return 2;
  if (!dev->auth && o->basic == NULL && o->digest == NULL)
    g_printerr ("warning: serving without authentication\n");
  return 0;
}

/* The TLS certificate (NULL: plain HTTP) in *@cert. Returns: 0, else the
 * exit status after printing why. */
static int
load_certificate (Options * o, Device * dev, GTlsCertificate ** cert_out)
{
  GTlsCertificate *cert = NULL;
  GError *err = NULL;

  if (o->tls_generate) {
    gchar *pem = seecitv_tls_generate_self_signed (dev->info.device_id);

    if (pem == NULL) {
      g_printerr ("cannot generate a certificate\n");
      return 1;
    }
    cert = g_tls_certificate_new_from_pem (pem, -1, &err);
    OPENSSL_cleanse (pem, strlen (pem));
    g_free (pem);
  } else if (o->tls_cert != NULL) {
    cert = o->tls_key ? g_tls_certificate_new_from_files (o->tls_cert,
        o->tls_key, &err) : g_tls_certificate_new_from_file (o->tls_cert,
        &err);
  }
  if ((o->tls_generate || o->tls_cert != NULL) && cert == NULL) {
    g_printerr ("TLS certificate: %s\n", err->message);
    return 1;
  }
  if (cert != NULL && o->tls_cert_out != NULL) {
    gchar *pem = NULL;

    g_object_get (cert, "certificate-pem", &pem, NULL);
    if (!g_file_set_contents (o->tls_cert_out, pem, -1, &err)) {
      g_printerr ("%s: %s\n", o->tls_cert_out, err->message);
      return 1;
    }
    g_free (pem);
  }
  *cert_out = cert;
  return 0;
}

/* HTTP Digest (@digest) or Basic for every path of the server. */
static void
add_auth_domain (Device * dev, gboolean digest)
{
  SoupAuthDomain *domain;

  if (digest) {
    domain = soup_auth_domain_digest_new ("realm", "seecitv", NULL);
    soup_auth_domain_digest_set_auth_callback (domain, digest_auth_cb, dev,
        NULL);
  } else {
    domain = soup_auth_domain_basic_new ("realm", "seecitv", NULL);
    soup_auth_domain_basic_set_auth_callback (domain, basic_auth_cb, dev,
        NULL);
  }
  soup_auth_domain_add_path (domain, "/");
  soup_server_add_auth_domain (dev->server, domain);
  g_object_unref (domain);
}

/* The server, its authentication domains and handlers, listening.
 * Returns: 0, else the exit status after printing why. */
static int
start_server (Options * o, Device * dev, GTlsCertificate * cert)
{
  GError *err = NULL;
  GSocketAddress *sa;

  dev->server = soup_server_new ("server-header", "seecitv-device ",
      "tls-certificate", cert, NULL);
  if (dev->server == NULL) {
    g_printerr ("cannot make the server (is glib-networking installed?)\n");
    return 1;
  }
  if (o->basic != NULL)
    add_auth_domain (dev, FALSE);
  if (o->digest != NULL)
    add_auth_domain (dev, TRUE);
  g_signal_connect (dev->server, "request-read",
      G_CALLBACK (request_read_cb), dev);
  soup_server_add_handler (dev->server, SEECITV_PROTOCOL_STREAM_PATH,
      stream_cb, dev, NULL);
  soup_server_add_handler (dev->server, SEECITV_PROTOCOL_INFO_PATH, info_cb,
      dev, NULL);
  g_signal_connect (dev->server, "request-finished",
      G_CALLBACK (request_done_cb), dev);
  g_signal_connect (dev->server, "request-aborted",
      G_CALLBACK (request_done_cb), dev);

  sa = g_inet_socket_address_new_from_string (o->address ? o->address :
      "127.0.0.1", o->port);
  if (sa == NULL) {
    g_printerr ("bad address\n");
    return 2;
  }
  if (!soup_server_listen (dev->server, sa,
          cert != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, &err)) {
    g_printerr ("cannot listen: %s\n", err->message);
    return 1;
  }
  g_object_unref (sa);
  return 0;
}

/* The source pipeline into the appsink. Returns: 0, else the exit status
 * after printing why. */
static int
make_pipeline (Options * o, Device * dev)
{
  GstAppSinkCallbacks callbacks = { NULL, NULL, new_sample_cb };
  GError *err = NULL;
  GstElement *sink;
  gchar *desc;

  if (o->pipeline_desc != NULL) {
    desc = g_strdup (o->pipeline_desc);
  } else if (o->file != NULL) {
    /* the location is set as a property: no quoting games with the path */
    desc = g_strdup ("filesrc name=file ! decodebin ! videoconvert "
        "! identity sync=true");
  } else {
    o->face = find_face (o->face_arg, o->no_face);
    if (o->face_arg != NULL && !o->no_face &&
        !g_file_test (o->face_arg, G_FILE_TEST_IS_REGULAR)) {
      g_printerr ("--face %s: no such file\n", o->face_arg);
      return 2;
    }
    if (o->face == NULL && !o->no_face)
      g_printerr ("note: no face image (--face, or astronaut.png in the "
          "build's testdata-dir): the scene has moving objects only\n");
    desc = scene_description (o->face != NULL);
  }
  {
    gchar *full = g_strdup_printf ("%s ! videoconvert ! jpegenc quality=85 "
        "! appsink name=seecitvsink sync=false max-buffers=2 drop=true",
        desc);

    g_free (desc);
    dev->pipeline = gst_parse_launch (full, &err);
    g_free (full);
  }
  if (dev->pipeline == NULL) {
    g_printerr ("bad pipeline: %s\n", err->message);
    return 2;
  }
  if (o->file != NULL) {
    GstElement *src = gst_bin_get_by_name (GST_BIN (dev->pipeline), "file");

    g_object_set (src, "location", o->file, NULL);
    gst_object_unref (src);
  } else if (o->pipeline_desc == NULL) {
    scene_setup (dev, dev->pipeline, o->face);
    g_timeout_add (SCENE_TICK_MS, scene_tick, dev);
  }
  sink = gst_bin_get_by_name (GST_BIN (dev->pipeline), "seecitvsink");
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, dev, NULL);
  gst_object_unref (sink);
  return 0;
}

/* Prints "url: ..." and, with TLS, "pin: ...": tests and scripts read
 * these. */
static void
print_address (Device * dev, GTlsCertificate * cert)
{
  GSList *listeners;

  /* the URL from the listening socket itself: soup_server_get_uris ()
   * leaks an o->address in libsoup 3.2 */
  listeners = soup_server_get_listeners (dev->server);
  if (listeners != NULL) {
    GSocketAddress *local = g_socket_get_local_address (listeners->data,
        NULL);

    if (local != NULL) {
      GInetSocketAddress *isa = G_INET_SOCKET_ADDRESS (local);
      GInetAddress *ia = g_inet_socket_address_get_address (isa);
      gchar *host = g_inet_address_to_string (ia);
      gboolean v6 = g_inet_address_get_family (ia) == G_SOCKET_FAMILY_IPV6;

      g_print ("url: %s://%s%s%s:%u%s\n", cert != NULL ? "https" : "http",
          v6 ? "[" : "", host, v6 ? "]" : "",
          g_inet_socket_address_get_port (isa), SEECITV_PROTOCOL_STREAM_PATH);
      g_free (host);
      g_object_unref (local);
    }
  }
  g_slist_free (listeners);
  if (cert != NULL) {
    gchar *pin = seecitv_tls_pin_from_certificate (cert);
    g_print ("pin: %s\n", pin);
    g_free (pin);
  }
  fflush (stdout);
}

static void
free_all (Options * o, Device * dev, GTlsCertificate * cert)
{
  for (guint i = 0; i < G_N_ELEMENTS (dev->scene_pads); i++)
    gst_clear_object (&dev->scene_pads[i]);

  gst_element_set_state (dev->pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (GST_ELEMENT_BUS (dev->pipeline));
  gst_object_unref (dev->pipeline);
  soup_server_disconnect (dev->server);
  g_object_unref (dev->server);
  g_clear_object (&cert);
  g_list_free_full (dev->clients, g_free);
  g_main_loop_unref (dev->loop);
  seecitv_challenge_store_free (dev->challenges);
  OPENSSL_cleanse (dev->key, sizeof (dev->key));
  if (dev->basic_pass != NULL)
    OPENSSL_cleanse (dev->basic_pass, strlen (dev->basic_pass));
  g_free (dev->basic_user);
  g_free (dev->basic_pass);
  g_free (o->basic);
  if (dev->digest_pass != NULL)
    OPENSSL_cleanse (dev->digest_pass, strlen (dev->digest_pass));
  g_free (dev->digest_user);
  g_free (dev->digest_pass);
  if (o->digest != NULL)
    OPENSSL_cleanse (o->digest, strlen (o->digest));
  g_free (o->digest);
  seecitv_rate_limiter_free (dev->limiter);
  g_free (o->file);
  g_free (o->face);
  g_free (o->face_arg);
  g_free (dev->info.device_id);
  g_free (dev->info.model);
  g_free (dev->info.name);
  g_free (dev->info.mac);
  g_free (o->pipeline_desc);
  g_free (o->key_file);
  g_free (o->address);
  g_free (o->tls_cert);
  g_free (o->tls_key);
  g_free (o->tls_cert_out);
}

int
main (int argc, char **argv)
{
  Options options = { NULL };
  Options *o = &options;
  Device device = { 0 };
  Device *dev = &device;
  GTlsCertificate *cert = NULL;
  int ret;

  o->max_auth_failures = DEFAULT_MAX_AUTH_FAILURES;
  o->lockout_s = DEFAULT_LOCKOUT_S;
  o->port = 8080;
  if ((ret = parse_options (o, dev, argc, argv)) != 0 ||
      (ret = setup_auth (o, dev)) != 0 ||
      (ret = load_certificate (o, dev, &cert)) != 0 ||
      (ret = start_server (o, dev, cert)) != 0 ||
      (ret = make_pipeline (o, dev)) != 0)
    return ret;

  dev->loop = g_main_loop_new (NULL, FALSE);
  gst_bus_add_watch (GST_ELEMENT_BUS (dev->pipeline), bus_cb, dev);
  g_unix_signal_add (SIGINT, quit_cb, dev);
  g_unix_signal_add (SIGTERM, quit_cb, dev);

  print_address (dev, cert);
  if (gst_element_set_state (dev->pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("cannot start the pipeline\n");
    return 1;
  }
  g_main_loop_run (dev->loop);

  free_all (o, dev, cert);
  return dev->exit_code;
}
