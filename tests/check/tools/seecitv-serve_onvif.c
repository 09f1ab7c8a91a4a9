/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-serve as an ONVIF device (issue 18, docs/onvif.md), over HTTP
 * to its [onvif] port, with two videotestsrc devices:
 * - GetSystemDateAndTime answers without a login (PRE_AUTH);
 * - GetProfiles without one gets 401 with a Digest challenge and an
 *   env:Sender ter:NotAuthorized fault; with a UsernameToken
 *   PasswordDigest of the ONVIF account, one profile per device;
 * - GetCapabilities' XAddrs and GetStreamUri's URI use the Host header's
 *   host (localhost here, never 0.0.0.0 nor the listening address), and
 *   that URI plays with rtspsrc and the ONVIF credentials;
 * - GetProfiles with HTTP Digest instead;
 * - the same UsernameToken twice: the second is refused (replay); a
 *   Created 10 min old or 2 min ahead is refused, and not counted;
 * - wrong passwords: NotAuthorized, then, after max-auth-failures, 503
 *   with Retry-After, the right password included;
 * - GetSnapshotUri's URI, fetched with HTTP Digest, is a JPEG of the
 *   redacted stream: the privacy zone (left half) of a 1-pixel
 *   checkerboard is pixelated flat in it, the rest is not;
 * - an oversized request is refused (413) and a deeply nested one gets a
 *   ter:WellFormed fault, the tool still answering after both;
 * - `--check`: one user with two passwords in the two credential files,
 *   and an ONVIF credentials file others can read, are config errors.
 * With --npm (test tools/seecitv-serve_onvif-npm), a real client instead:
 * the npm `onvif` 0.8.3 (onvif-client.js) connects, lists both profiles
 * and their stream and snapshot URIs, and ffprobe decodes a stream URI
 * with the ONVIF account; skipped (77) without node or the package.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#include "serve-common.h"

#define USER "admin"
#define PASS "onvif-0123456789"
#define NS_DEVICE "http://www.onvif.org/ver10/device/wsdl"
#define NS_MEDIA "http://www.onvif.org/ver10/media/wsdl"

static gchar *tmpdir;
static Serve *serve;
static guint port;
static SoupSession *session;

static void
setup (void)
{
  gchar *rtsp, *onvif, *text, *config;
  const gchar *line;

  tmpdir = test_tmpdir_new ("seecitv-serve-onvif-XXXXXX");
  rtsp = write_file (tmpdir, "rtsp.credentials", "nvr:rtsp-only-pass\n");
  onvif = write_file (tmpdir, "onvif.credentials", USER ":" PASS "\n");
  text = g_strdup_printf ("[rtsp]\naddress=127.0.0.1\nport=0\n"
      "credentials-file=%s\nmax-auth-failures=3\nlockout=60\n"
      "[onvif]\naddress=127.0.0.1\nport=0\ncredentials-file=%s\n"
      "name=Test House\n"
      "[device cam-1]\npipeline=videotestsrc is-live=true pattern=checkers-1 "
      "! video/x-raw,width=160,height=120,framerate=15/1 ! queue\n"
      "detect-faces=false\nzones=0,0 0.5,0 0.5,1 0,1\n"
      "[device cam-2]\npipeline=videotestsrc is-live=true "
      "! video/x-raw,width=160,height=120,framerate=15/1 ! queue\n"
      "detect-faces=false\n", rtsp, onvif);
  config = write_file (tmpdir, "serve.conf", text);
  serve = serve_start (config, 2);
  fail_unless (serve_wait_line (serve, "onvif: http://"), "%s",
      serve->output->str);
  line = strstr (serve->output->str, "onvif: http://127.0.0.1:");
  fail_unless (line != NULL, "%s", serve->output->str);
  port = atoi (line + strlen ("onvif: http://127.0.0.1:"));
  fail_unless (port > 0);
  fail_unless (serve_wait_line (serve, "device cam-1: playing"));
  fail_unless (serve_wait_line (serve, "device cam-2: playing"));
  session = soup_session_new ();
  g_free (config);
  g_free (text);
  g_free (onvif);
  g_free (rtsp);
}

static void
teardown (void)
{
  g_clear_object (&session);
  fail_unless_equals_int (serve_stop (serve), 0);
  serve_free (serve);
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* A UsernameToken for @pass, with @nonce (16 bytes) and Created @age_s
 * seconds ago. */
static gchar *
token (const gchar * pass, const guint8 * nonce, gint age_s)
{
  GDateTime *now_utc = g_date_time_new_now_utc ();
  GDateTime *now = g_date_time_add_seconds (now_utc, -age_s);
  gchar *created = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.000Z");
  GChecksum *sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize len = sizeof (digest);
  gchar *d64, *n64, *out;

  g_checksum_update (sha1, nonce, 16);
  g_checksum_update (sha1, (const guchar *) created, -1);
  g_checksum_update (sha1, (const guchar *) pass, -1);
  g_checksum_get_digest (sha1, digest, &len);
  d64 = g_base64_encode (digest, len);
  n64 = g_base64_encode (nonce, 16);
  out = g_strdup_printf ("<s:Header><Security s:mustUnderstand=\"1\" "
      "xmlns=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-"
      "wssecurity-secext-1.0.xsd\"><UsernameToken><Username>" USER
      "</Username><Password Type=\"http://docs.oasis-open.org/wss/2004/01/"
      "oasis-200401-wss-username-token-profile-1.0#PasswordDigest\">%s"
      "</Password><Nonce>%s</Nonce><Created xmlns=\"http://docs.oasis-open"
      ".org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\">%s"
      "</Created></UsernameToken></Security></s:Header>", d64, n64, created);
  g_free (d64);
  g_free (n64);
  g_free (created);
  g_checksum_free (sha1);
  g_date_time_unref (now);
  g_date_time_unref (now_utc);
  return out;
}

static gchar *
envelope (const gchar * header, const gchar * ns, const gchar * op,
    const gchar * args)
{
  return g_strdup_printf ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">%s"
      "<s:Body><%s xmlns=\"%s\">%s</%s></s:Body></s:Envelope>",
      header ? header : "", op, ns, args ? args : "", op);
}

/* POSTs @xml to http://@host:port/onvif/device_service; returns the body,
 * the status in *@status. */
static gchar *
post_raw (const gchar * host, const gchar * xml, guint * status)
{
  gchar *url = g_strdup_printf ("http://%s:%u/onvif/device_service", host,
      port);
  SoupMessage *msg = soup_message_new ("POST", url);
  GBytes *req = g_bytes_new (xml, strlen (xml));
  GError *err = NULL;
  GBytes *body;
  gchar *out;

  soup_message_set_request_body_from_bytes (msg, "application/soap+xml",
      req);
  body = soup_session_send_and_read (session, msg, NULL, &err);
  fail_unless (body != NULL, "%s", err ? err->message : "");
  *status = soup_message_get_status (msg);
  out = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_bytes_unref (body);
  g_bytes_unref (req);
  g_object_unref (msg);
  g_free (url);
  return out;
}

/* @op of @ns, with a fresh UsernameToken for @pass (NULL: none). */
static gchar *
call (const gchar * pass, const gchar * ns, const gchar * op,
    const gchar * args, guint * status)
{
  guint8 nonce[16];
  gchar *hdr = NULL, *xml, *out;

  for (guint i = 0; i < 4; i++)
    ((guint32 *) nonce)[i] = g_random_int ();
  if (pass != NULL)
    hdr = token (pass, nonce, 0);
  xml = envelope (hdr, ns, op, args);
  out = post_raw ("localhost", xml, status);
  g_free (xml);
  g_free (hdr);
  return out;
}

static guint
count (const gchar * hay, const gchar * needle)
{
  guint n = 0;

  for (const gchar * p = strstr (hay, needle); p; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* The text of the first <tt:Uri> in @xml (g_free ()). */
static gchar *
uri_in (const gchar * xml)
{
  const gchar *a = strstr (xml, "<tt:Uri>");
  const gchar *b = a ? strstr (a, "</tt:Uri>") : NULL;

  fail_unless (b != NULL, "%s", xml);
  return g_strndup (a + 8, b - a - 8);
}

/* Until both devices' first frames went through (their sizes are known). */
static void
wait_frames (void)
{
  gchar *r = NULL;
  guint st;

  for (guint i = 0; i < 100; i++) {
    g_free (r);
    r = call (PASS, NS_MEDIA, "GetVideoSources", NULL, &st);
    if (count (r, "<tt:Width>160</tt:Width>") == 2)
      break;
    g_usleep (50 * 1000);
  }
  fail_unless (count (r, "<tt:Width>160</tt:Width>") == 2, "%s", r);
  g_free (r);
}

GST_START_TEST (test_date_time_without_login)
{
  guint st;
  gchar *r = call (NULL, NS_DEVICE, "GetSystemDateAndTime", NULL, &st);

  fail_unless_equals_int (st, 200);
  fail_unless (strstr (r, "<tt:UTCDateTime>") != NULL, "%s", r);
  g_free (r);
}

GST_END_TEST;

static void
authenticate_cb (SoupMessage * msg, SoupAuth * auth, gboolean retrying,
    gpointer user_data)
{
  if (!retrying)
    soup_auth_authenticate (auth, USER, PASS);
}

GST_START_TEST (test_profiles_need_login)
{
  guint st;
  gchar *r = call (NULL, NS_MEDIA, "GetProfiles", NULL, &st);

  fail_unless_equals_int (st, 401);
  fail_unless (strstr (r, "<env:Value>env:Sender</env:Value>") != NULL &&
      strstr (r, "ter:NotAuthorized") != NULL, "%s", r);
  g_free (r);

  wait_frames ();
  r = call (PASS, NS_MEDIA, "GetProfiles", NULL, &st);
  fail_unless_equals_int (st, 200);
  fail_unless_equals_int (count (r, "<trt:Profiles "), 2);
  fail_unless (strstr (r, "<trt:Profiles token=\"cam-1\"") != NULL, "%s", r);
  fail_unless (strstr (r, "<tt:Width>160</tt:Width>") != NULL, "%s", r);
  fail_unless (strstr (r, "<tt:BitrateLimit>2048</tt:BitrateLimit>") != NULL,
      "%s", r);
  g_free (r);
  /* HTTP Digest instead of a UsernameToken. libsoup (3.2)'s retry after
   * the 401 reaches the server without a parsable body (answered
   * ter:WellFormed, as curl --digest's and the npm client's requests are
   * not); once libsoup holds the challenge, the next request carries the
   * Digest and its body at once. */
  {
    gchar *url = g_strdup_printf ("http://localhost:%u/onvif/media_service",
        port);
    gchar *xml = envelope (NULL, NS_MEDIA, "GetProfiles", NULL);

    for (guint i = 0; i < 2; i++) {
      SoupMessage *msg = soup_message_new ("POST", url);
      GBytes *req = g_bytes_new (xml, strlen (xml)), *body;

      soup_message_set_request_body_from_bytes (msg, "application/soap+xml",
          req);
      g_signal_connect (msg, "authenticate", G_CALLBACK (authenticate_cb),
          NULL);
      body = soup_session_send_and_read (session, msg, NULL, NULL);
      fail_unless (body != NULL);
      if (i == 1) {
        gchar *text = g_strndup (g_bytes_get_data (body, NULL),
            g_bytes_get_size (body));

        fail_unless_equals_int (soup_message_get_status (msg), 200);
        fail_unless_equals_int (count (text, "<trt:Profiles "), 2);
        g_free (text);
      }
      g_bytes_unref (body);
      g_bytes_unref (req);
      g_object_unref (msg);
    }
    g_free (xml);
    g_free (url);
  }
  /* an operation it does not have, after the login */
  r = call (PASS, NS_DEVICE, "SystemReboot", NULL, &st);
  fail_unless_equals_int (st, 500);
  fail_unless (strstr (r, "ter:ActionNotSupported") != NULL, "%s", r);
  g_free (r);
}

GST_END_TEST;

GST_START_TEST (test_stream_uri_plays)
{
  guint st, frames;
  GError *err = NULL;
  gchar *r, *uri, *want;

  r = call (PASS, NS_DEVICE, "GetCapabilities", NULL, &st);
  fail_unless_equals_int (st, 200);
  want = g_strdup_printf ("<tt:XAddr>http://localhost:%u/onvif/"
      "media_service</tt:XAddr>", port);
  fail_unless (strstr (r, want) != NULL, "%s", r);
  fail_if (strstr (r, "0.0.0.0") != NULL || strstr (r, "127.0.0.1"), "%s",
      r);
  g_free (want);
  g_free (r);

  r = call (PASS, NS_MEDIA, "GetStreamUri", "<StreamSetup><Stream xmlns="
      "\"http://www.onvif.org/ver10/schema\">RTP-Unicast</Stream><Transport "
      "xmlns=\"http://www.onvif.org/ver10/schema\"><Protocol>RTSP</Protocol>"
      "</Transport></StreamSetup><ProfileToken>cam-2</ProfileToken>", &st);
  fail_unless_equals_int (st, 200);
  uri = uri_in (r);
  fail_unless (g_str_has_prefix (uri, "rtsp://localhost:") &&
      g_str_has_suffix (uri, "/cam-2"), "%s", uri);
  frames = rtsp_receive (uri, USER, PASS, 5, 20, NULL, NULL, &err);
  fail_unless (frames >= 5, "%u frames from %s: %s", frames, uri,
      err ? err->message : "");
  g_free (uri);
  g_free (r);
  /* an unknown profile */
  r = call (PASS, NS_MEDIA, "GetStreamUri", "<ProfileToken>nope"
      "</ProfileToken>", &st);
  fail_unless_equals_int (st, 400);
  fail_unless (strstr (r, "ter:NoProfile") != NULL, "%s", r);
  g_free (r);
}

GST_END_TEST;

GST_START_TEST (test_replayed_nonce)
{
  guint8 nonce[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
  gchar *hdr = token (PASS, nonce, 0);
  gchar *xml = envelope (hdr, NS_DEVICE, "GetDeviceInformation", NULL);
  guint st;
  gchar *r = post_raw ("localhost", xml, &st);

  fail_unless_equals_int (st, 200);
  fail_unless (strstr (r, "<tds:Model>Test House</tds:Model>") != NULL, "%s",
      r);
  g_free (r);
  r = post_raw ("localhost", xml, &st);
  fail_unless_equals_int (st, 400);
  fail_unless (strstr (r, "ter:NotAuthorized") != NULL &&
      strstr (r, "used before") != NULL, "%s", r);
  g_free (r);
  g_free (xml);
  g_free (hdr);

  /* Created 10 minutes ago, and 2 minutes ahead: refused, not counted */
  for (guint i = 0; i < 2; i++) {
    nonce[15] = 100 + i;
    hdr = token (PASS, nonce, i == 0 ? 600 : -120);
    xml = envelope (hdr, NS_DEVICE, "GetDeviceInformation", NULL);
    r = post_raw ("localhost", xml, &st);
    fail_unless_equals_int (st, 400);
    fail_unless (strstr (r, "ter:NotAuthorized") != NULL &&
        strstr (r, i == 0 ? "too old" : "in the future") != NULL, "%s", r);
    g_free (r);
    g_free (xml);
    g_free (hdr);
  }
  fail_if (strstr (serve->output->str, "login failed") != NULL, "%s",
      serve->output->str);
}

GST_END_TEST;

GST_START_TEST (test_wrong_password_braked)
{
  guint st;
  gchar *r;

  for (guint i = 0; i < 2; i++) {
    r = call ("wrong", NS_MEDIA, "GetProfiles", NULL, &st);
    fail_unless_equals_int (st, 400);
    fail_unless (strstr (r, "ter:NotAuthorized") != NULL, "%s", r);
    g_free (r);
  }
  /* the third locks the address out: the right password too */
  r = call ("wrong", NS_MEDIA, "GetProfiles", NULL, &st);
  g_free (r);
  r = call (PASS, NS_MEDIA, "GetProfiles", NULL, &st);
  fail_unless_equals_int (st, 503);
  fail_unless (strstr (r, "ter:NotAuthorized") != NULL, "%s", r);
  g_free (r);
  fail_unless (serve_wait_line (serve, "onvif: locking out 127.0.0.1"));
  fail_unless (strstr (serve->output->str, "onvif: login failed from "
          "127.0.0.1 (user " USER ")") != NULL, "%s", serve->output->str);
  fail_if (strstr (serve->output->str, PASS) != NULL);
  /* still answers what needs no login */
  r = call (NULL, NS_DEVICE, "GetSystemDateAndTime", NULL, &st);
  fail_unless_equals_int (st, 200);
  g_free (r);
}

GST_END_TEST;

/* Standard deviation of @gray's columns [@x0, @x1). */
static gdouble
spread (const GstVideoFrame * f, gint x0, gint x1)
{
  gdouble sum = 0, sq = 0, n = 0;

  for (gint y = 0; y < GST_VIDEO_FRAME_HEIGHT (f); y++) {
    const guint8 *row = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);

    for (gint x = x0; x < x1; x++) {
      sum += row[x];
      sq += row[x] * row[x];
      n++;
    }
  }
  return sqrt (sq / n - (sum / n) * (sum / n));
}

/* @jpeg decoded to GRAY8 by jpegdec. */
static GstSample *
decode_gray (GBytes * jpeg)
{
  GstElement *pipe = gst_parse_launch ("appsrc name=src caps=image/jpeg ! "
      "jpegdec ! videoconvert ! video/x-raw,format=GRAY8 ! appsink name=sink",
      NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstSample *out;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (src),
      gst_buffer_new_wrapped_bytes (jpeg));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  out = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 5 * GST_SECOND);
  fail_unless (out != NULL, "the snapshot does not decode");
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return out;
}

GST_START_TEST (test_snapshot_is_redacted)
{
  guint st;
  gchar *r = call (PASS, NS_MEDIA, "GetSnapshotUri",
      "<ProfileToken>cam-1</ProfileToken>", &st);
  gchar *uri = uri_in (r);
  SoupMessage *msg;
  GBytes *jpeg;
  GError *err = NULL;
  GstSample *out;
  GstVideoInfo info;
  GstVideoFrame frame;
  gdouble zone, rest;

  fail_unless_equals_int (st, 200);
  fail_unless (g_str_has_prefix (uri, "http://localhost:"), "%s", uri);
  msg = soup_message_new ("GET", uri);
  jpeg = soup_session_send_and_read (session, msg, NULL, &err);
  fail_unless_equals_int (soup_message_get_status (msg), 401);
  g_bytes_unref (jpeg);
  g_object_unref (msg);

  /* 503 with Retry-After until the device's first frame went through */
  for (guint i = 0; i < 50; i++) {
    msg = soup_message_new ("GET", uri);
    g_signal_connect (msg, "authenticate", G_CALLBACK (authenticate_cb),
        NULL);
    jpeg = soup_session_send_and_read (session, msg, NULL, &err);
    fail_unless (jpeg != NULL, "%s", err ? err->message : "");
    if (soup_message_get_status (msg) != 503)
      break;
    g_bytes_unref (jpeg);
    g_object_unref (msg);
    g_usleep (100 * 1000);
  }
  fail_unless (soup_message_get_status (msg) == 200, "%u %s",
      soup_message_get_status (msg), soup_message_get_reason_phrase (msg));
  fail_unless_equals_string (soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL), "image/jpeg");
  fail_unless (g_bytes_get_size (jpeg) > 2 &&
      memcmp (g_bytes_get_data (jpeg, NULL), "\xff\xd8", 2) == 0);

  out = decode_gray (jpeg);
  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (out)));
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), 160);
  fail_unless (gst_video_frame_map (&frame, &info, gst_sample_get_buffer (out),
          GST_MAP_READ));
  /* the zone is x < 0.5; keep off the border */
  zone = spread (&frame, 0, 72);
  rest = spread (&frame, 88, 160);
  gst_video_frame_unmap (&frame);
  fail_unless (zone < 8 && rest > 15, "zone spread %.1f, rest %.1f", zone,
      rest);
  gst_sample_unref (out);
  g_bytes_unref (jpeg);
  g_object_unref (msg);
  g_free (uri);
  g_free (r);
}

GST_END_TEST;

GST_START_TEST (test_bounded_requests)
{
  GString *deep = g_string_new (NULL);
  gchar *big = g_strnfill (70 * 1024, ' ');
  gchar *xml, *r;
  guint st;

  for (guint i = 0; i < 40; i++)
    g_string_append (deep, "<a>");
  for (guint i = 0; i < 40; i++)
    g_string_append (deep, "</a>");
  xml = envelope (NULL, NS_DEVICE, "GetSystemDateAndTime", deep->str);
  r = post_raw ("localhost", xml, &st);
  fail_unless_equals_int (st, 400);
  fail_unless (strstr (r, "ter:WellFormed") != NULL, "%s", r);
  g_free (r);
  g_free (xml);
  xml = envelope (NULL, NS_DEVICE, "GetSystemDateAndTime", big);
  r = post_raw ("localhost", xml, &st);
  fail_unless_equals_int (st, 413);
  g_free (r);
  g_free (xml);
  r = call (NULL, NS_DEVICE, "GetSystemDateAndTime", NULL, &st);
  fail_unless_equals_int (st, 200);
  g_free (r);
  g_free (big);
  g_string_free (deep, TRUE);
}

GST_END_TEST;

/* The npm `onvif` client's directory (node_modules), or NULL. */
static gchar *
npm_dir (void)
{
  const gchar *env = g_getenv ("SEECITV_ONVIF_NPM");
  gchar *dir = g_strdup (env ? env : SEECITV_ONVIF_NPM_DEFAULT);
  gchar *pkg = g_build_filename (dir, "onvif", "package.json", NULL);

  if (!g_file_test (pkg, G_FILE_TEST_EXISTS))
    g_clear_pointer (&dir, g_free);
  g_free (pkg);
  return dir;
}

/* Runs @argv; returns its stdout and stderr (g_free ()), its status in
 * *@status. */
static gchar *
run (const gchar * const *argv, gint * status)
{
  GError *err = NULL;
  GSubprocessLauncher *l =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_MERGE);
  GSubprocess *p;
  gchar *out = NULL;

  /* node and ffprobe are not ours: not under the ASan runtime the tests
   * preload (node fails under it) */
  g_subprocess_launcher_unsetenv (l, "LD_PRELOAD");
  p = g_subprocess_launcher_spawnv (l, argv, &err);
  g_object_unref (l);
  fail_unless (p != NULL, "%s", err ? err->message : "");
  fail_unless (g_subprocess_communicate_utf8 (p, NULL, NULL, &out, NULL,
          &err), "%s", err ? err->message : "");
  *status = g_subprocess_get_if_exited (p) ?
      g_subprocess_get_exit_status (p) : -1;
  g_object_unref (p);
  /* what a failed check prints: libcheck refuses messages over 4 KiB */
  if (out != NULL && strlen (out) > 3000)
    out[3000] = '\0';
  return out;
}

/* The npm `onvif` client connects, lists the profiles and their stream
 * URIs (on the Host it was given), which ffprobe decodes. */
GST_START_TEST (test_npm_client)
{
  gchar *dir = npm_dir (), *node = g_find_program_in_path ("node");
  gchar *ffprobe = g_find_program_in_path ("ffprobe");
  gchar *port_str = g_strdup_printf ("%u", port), *out, *url;
  const gchar *line;
  gint status;

  wait_frames ();
  {
    const gchar *argv[] = { node, SEECITV_ONVIF_CLIENT_JS, dir, "localhost",
      port_str, USER, PASS, NULL
    };
    out = run (argv, &status);
  }
  fail_unless (status == 0, "%s", out);
  fail_unless (strstr (out, "model: Test House\n") != NULL, "%s", out);
  fail_unless (strstr (out, "profiles: 2\n") != NULL, "%s", out);
  fail_unless (strstr (out, "snapshot cam-2: http://localhost:") != NULL,
      "%s", out);
  line = strstr (out, "stream cam-1: rtsp://localhost:");
  fail_unless (line != NULL, "%s", out);
  line += strlen ("stream cam-1: ");
  url = g_strndup (line, strcspn (line, "\n"));
  g_free (out);
  if (ffprobe != NULL) {
    /* the ONVIF account, in the URL as NVRs give it to ffmpeg */
    gchar *with = g_strdup_printf ("rtsp://" USER ":" PASS "@%s",
        url + strlen ("rtsp://"));
    const gchar *argv[] = { ffprobe, "-v", "error", "-rtsp_transport", "tcp",
      "-show_entries", "stream=codec_name", "-of", "csv=p=0", with, NULL
    };

    out = run (argv, &status);
    fail_unless (status == 0 && g_str_has_prefix (out, "h264"), "%s", out);
    g_free (out);
    g_free (with);
  }
  g_free (url);
  g_free (port_str);
  g_free (ffprobe);
  g_free (node);
  g_free (dir);
}

GST_END_TEST;

/* One user in both credential files with two passwords, and an ONVIF
 * credentials file others can read: config errors (exit 2) naming the
 * group and key, never a password. */
GST_START_TEST (test_credential_errors)
{
  gchar *dir = test_tmpdir_new ("seecitv-serve-onvif-XXXXXX");
  gchar *rtsp = write_file (dir, "rtsp.credentials", USER ":rtsp-pass-1\n");
  gchar *onvif = write_file (dir, "onvif.credentials", USER ":" PASS "\n");
  gchar *text = g_strdup_printf ("[rtsp]\ncredentials-file=%s\n[onvif]\n"
      "credentials-file=%s\n[device a]\npipeline=videotestsrc ! queue\n",
      rtsp, onvif);
  gchar *config = write_file (dir, "serve.conf", text);
  const gchar *args[] = { "--config", config, "--check", NULL };
  gchar *out = NULL;

  fail_unless_equals_int (serve_run (args, &out), 2);
  fail_unless (strstr (out, "[onvif] credentials-file: user " USER) != NULL,
      "%s", out);
  fail_if (strstr (out, PASS) != NULL || strstr (out, "rtsp-pass-1"), "%s",
      out);
  g_free (out);
  g_free (write_file (dir, "rtsp.credentials", USER ":" PASS "\n"));
  fail_unless_equals_int (serve_run (args, &out), 0);
  fail_unless (strstr (out, ", ONVIF") != NULL, "%s", out);
  g_free (out);
  fail_unless (g_chmod (onvif, 0644) == 0);
  fail_unless_equals_int (serve_run (args, &out), 2);
  fail_unless (strstr (out, "[onvif] credentials-file") != NULL, "%s", out);
  g_free (out);
  g_free (config);
  g_free (text);
  g_free (onvif);
  g_free (rtsp);
  test_remove_tree (dir);
  g_free (dir);
}

GST_END_TEST;

static Suite *
seecitv_serve_onvif_npm_suite (void)
{
  Suite *s = suite_create ("seecitv-serve_onvif-npm");
  TCase *tc = tcase_create ("npm");

  tcase_set_timeout (tc, 90);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_npm_client);
  suite_add_tcase (s, tc);
  return s;
}

static Suite *
seecitv_serve_onvif_suite (void)
{
  Suite *s = suite_create ("seecitv-serve_onvif");
  TCase *tc = tcase_create ("onvif");

  tcase_set_timeout (tc, 90);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_date_time_without_login);
  tcase_add_test (tc, test_profiles_need_login);
  tcase_add_test (tc, test_stream_uri_plays);
  tcase_add_test (tc, test_replayed_nonce);
  tcase_add_test (tc, test_wrong_password_braked);
  tcase_add_test (tc, test_snapshot_is_redacted);
  tcase_add_test (tc, test_bounded_requests);
  suite_add_tcase (s, tc);
  tc = tcase_create ("config");
  tcase_add_test (tc, test_credential_errors);
  suite_add_tcase (s, tc);
  return s;
}

/* --npm: the npm client's case only, skipped (77) without node or the
 * package (./run test installs it into build/onvif-npm). */
int
main (int argc, char **argv)
{
  gboolean npm = argc > 1 && strcmp (argv[1], "--npm") == 0;

  /* ours, not an option GStreamer's parser knows */
  if (npm) {
    argv[1] = argv[0];
    argv++;
    argc--;
  }
  gst_check_init (&argc, &argv);
  if (npm) {
    gchar *dir = npm_dir (), *node = g_find_program_in_path ("node");
    gboolean have = dir != NULL && node != NULL;

    g_free (dir);
    g_free (node);
    if (!have) {
      g_print ("no node or no npm onvif package (SEECITV_ONVIF_NPM): "
          "skipped\n");
      return 77;
    }
    return gst_check_run_suite (seecitv_serve_onvif_npm_suite (),
        "seecitv-serve_onvif-npm", __FILE__);
  }
  return gst_check_run_suite (seecitv_serve_onvif_suite (),
      "seecitv-serve_onvif", __FILE__);
}
