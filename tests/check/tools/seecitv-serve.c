/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-serve run as a subprocess (127.0.0.1 only):
 * - a config of two devices, each a seecitv-device subprocess (HTTPS with
 *   a pinned self-signed certificate and the seecitv protocol, its moving
 *   ball scene), runs two pipelines: both mounts stream to rtspsrc, both
 *   devices' motion reaches a loopback webhook receiver signed, the
 *   recording device leaves a clip, the motion-ends sent at SIGTERM say
 *   "reason":"shutdown", and no secret shows in the output;
 * - RTSP authentication: no or wrong credentials are refused (RESOURCE /
 *   NOT_AUTHORIZED from rtspsrc), right ones receive frames; failed
 *   logins are logged and, after too many wrong ones, refused with 503
 *   and Retry-After for a while (raw DESCRIBE requests);
 * - a bad config or a credentials file readable by others: exit status 2
 *   and a message naming file, group and key.
 * The face check on a real face is in seecitv-serve_media.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include <seecitv/crypto/keystore.h>
#include "serve-common.h"
#include "../common/testkeystore.h"
#include "../elements/seecitvsrc_device.h"

#define USER "nvr"
#define PASS "correct-horse-battery"
#define HOOK_SECRET "webhook-secret-0123456789abcdef"
#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = test_tmpdir_new ("seecitv-serve-XXXXXX");
}

static void
teardown (void)
{
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* ---- seecitv-device as a subprocess (as in elements/seecitvsrc.c) ---- */

static TestDevice *
device_start (const gchar * id, const gchar * key_file)
{
  gchar *key_arg = g_strdup_printf ("--key-file=%s", key_file);
  gchar *id_arg = g_strdup_printf ("--device-id=%s", id);
  TestDevice *d = test_device_start ("--tls-generate", key_arg, id_arg, NULL);

  g_free (key_arg);
  g_free (id_arg);
  return d;
}

static gchar *
make_keystore (void)
{
  gchar *path = g_build_filename (tmpdir, "keystore", NULL);

  test_keystore_create (path, NULL);
  return path;
}

static guint
count_files (const gchar * dir, const gchar * suffix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *n;
  guint count = 0;

  while (d != NULL && (n = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (n, suffix))
      count++;
  if (d)
    g_dir_close (d);
  return count;
}

/* The receiver got a signed motion-start of @device. */
static gboolean
got_motion (Receiver * r, const gchar * device)
{
  gchar *needle = g_strdup_printf ("\"device\":\"%s\",\"event\":"
      "\"motion-start\"", device);
  gboolean found = FALSE;

  g_mutex_lock (&r->lock);
  for (guint i = 0; i < r->received->len && !found; i++) {
    Received *rec = g_ptr_array_index (r->received, i);
    gchar *id_field = g_strdup_printf ("{\"id\":\"%s\",", rec->id);

    fail_unless (rec->signature_ok, "unsigned webhook %s", rec->body);
    fail_unless (g_str_has_prefix (rec->body, id_field), "%s", rec->body);
    found = strstr (rec->body, needle) != NULL;
    g_free (id_field);
  }
  g_mutex_unlock (&r->lock);
  g_free (needle);
  return found;
}

GST_START_TEST (test_two_devices)
{
  gchar *key_a = write_file (tmpdir, "a.key", KEY_A);
  gchar *key_b = write_file (tmpdir, "b.key", KEY_B);
  gchar *creds = write_file (tmpdir, "rtsp.credentials", USER ":" PASS "\n");
  gchar *secret = write_file (tmpdir, "hook.secret", HOOK_SECRET "\n");
  gchar *keystore = make_keystore ();
  gchar *clips = g_build_filename (tmpdir, "clips", NULL);
  TestDevice *a = device_start ("cam-a", key_a);
  TestDevice *b = device_start ("cam-b", key_b);
  Receiver *r = receiver_new (0, HOOK_SECRET);
  gchar *text, *config;
  Serve *s;
  gint64 end;

  fail_unless_equals_int (g_mkdir (clips, 0700), 0);
  receiver_up (r);
  text = g_strdup_printf ("[rtsp]\naddress=127.0.0.1\nport=0\n"
      "credentials-file=%s\n\n"
      "[webhook]\nurl=http://127.0.0.1:%u/hook\nsecret-file=%s\n"
      "retry-initial=0.2\nretry-max=1\n\n"
      "[device cam-a]\nurl=%s\npin=%s\nkey-file=%s\n"
      "zones=0,0 0.3,0 0.3,0.3 0,0.3\nmotion-zones=yard:0.5:0,0 1,0 1,1 0,1\n\n"
      "[device cam-b]\nurl=%s\npin=%s\nkey-file=%s\n"
      "recording-dir=%s\nkeystore=%s\nrecord=continuous\nkey-interval=10\n",
      creds, r->port, secret, a->url, a->pin, key_a, b->url, b->pin, key_b,
      clips, keystore);
  config = write_file (tmpdir, "serve.conf", text);

  /* two seecitvsrc, recording, delivered webhooks, many threads: the
   * tool's leaks are checked by test_rtsp_auth and seecitv-serve_media */
  s = serve_start_busy (config, 2);
  fail_unless (g_hash_table_size (s->urls) == 2, "%s", s->output->str);

  /* two mounts, each with its own stream */
  for (guint i = 0; i < 2; i++) {
    const gchar *id = i == 0 ? "cam-a" : "cam-b";
    const gchar *url = g_hash_table_lookup (s->urls, id);
    GError *err = NULL;

    fail_unless (url != NULL);
    fail_unless (g_str_has_prefix (url, "rtsp://127.0.0.1:"));
    fail_unless_equals_int (rtsp_receive (url, USER, PASS, 5, 30, NULL,
            NULL, &err), 5);
    fail_unless (err == NULL, "%s: %s", id, err ? err->message : "");
  }

  /* both pipelines analyse motion: the balls move */
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while ((!got_motion (r, "cam-a") || !got_motion (r, "cam-b")) &&
      g_get_monotonic_time () < end)
    g_usleep (100 * 1000);
  fail_unless (got_motion (r, "cam-a"), "no motion webhook from cam-a");
  /* cam-a's motion zone is reported */
  g_mutex_lock (&r->lock);
  {
    gboolean zone = FALSE;

    for (guint i = 0; i < r->received->len; i++) {
      Received *rec = g_ptr_array_index (r->received, i);

      zone |= strstr (rec->body, "\"device\":\"cam-a\"") != NULL &&
          strstr (rec->body, "\"zones\":[\"yard\"]") != NULL;
    }
    fail_unless (zone, "no webhook of cam-a names its zone");
  }
  g_mutex_unlock (&r->lock);
  fail_unless (got_motion (r, "cam-b"), "no motion webhook from cam-b");

  {
    gint status = serve_stop (s);

    fail_unless (status == 0, "exit status %d:\n%s", status, s->output->str);
  }
  fail_unless (strstr (s->output->str, "device cam-a: playing") != NULL,
      "%s", s->output->str);
  /* the balls were still moving: the ends sent at SIGTERM say why */
  g_mutex_lock (&r->lock);
  {
    guint shutdown_ends = 0;

    for (guint i = 0; i < r->received->len; i++) {
      Received *rec = g_ptr_array_index (r->received, i);

      if (strstr (rec->body, "\"event\":\"motion-end\"") != NULL &&
          strstr (rec->body, "\"reason\":\"shutdown\"") != NULL)
        shutdown_ends++;
    }
    fail_unless (shutdown_ends >= 1, "no motion-end with reason shutdown:\n%s",
        s->output->str);
  }
  g_mutex_unlock (&r->lock);
  fail_unless (strstr (s->output->str, "device cam-b: playing") != NULL);
  /* cam-b records; its clip is closed at the end */
  fail_unless (count_files (clips, ".seecitv") >= 1, "%s", s->output->str);
  /* no secret in what the tool printed */
  fail_unless (strstr (s->output->str, PASS) == NULL);
  fail_unless (strstr (s->output->str, HOOK_SECRET) == NULL);
  fail_unless (strstr (s->output->str, KEY_A) == NULL);
  fail_unless (strstr (s->output->str, KEY_B + 2) == NULL);

  serve_free (s);
  receiver_free (r);
  test_device_stop (a);
  test_device_stop (b);
  g_free (text);
  g_free (config);
  g_free (clips);
  g_free (keystore);
  g_free (secret);
  g_free (creds);
  g_free (key_a);
  g_free (key_b);
}

GST_END_TEST;

GST_START_TEST (test_rtsp_auth)
{
  gchar *creds = write_file (tmpdir, "rtsp.credentials", USER ":" PASS "\n"
      "second:another-password\n");
  gchar *text = g_strdup_printf ("[rtsp]\naddress=127.0.0.1\nport=0\n"
      "credentials-file=%s\n[device test]\npipeline=videotestsrc "
      "is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! "
      "queue\ndetect-faces=false\n", creds);
  gchar *config = write_file (tmpdir, "serve.conf", text);
  Serve *s = serve_start (config, 1);
  const gchar *url = g_hash_table_lookup (s->urls, "test");
  gchar *other_mount;
  GError *err = NULL;

  fail_unless (url != NULL, "%s", s->output->str);

  /* wrong password, unknown user, none at all: refused */
  fail_unless_equals_int (rtsp_receive (url, USER, "wrong", 1, 20, NULL,
          NULL, &err), 0);
  fail_unless (err != NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  g_clear_error (&err);
  fail_unless_equals_int (rtsp_receive (url, "mallory", PASS, 1, 20, NULL,
          NULL, &err), 0);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED));
  g_clear_error (&err);
  fail_unless_equals_int (rtsp_receive (url, NULL, NULL, 1, 20, NULL, NULL,
          &err), 0);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED));
  g_clear_error (&err);

  /* right credentials, either user: frames */
  fail_unless_equals_int (rtsp_receive (url, USER, PASS, 10, 30, NULL, NULL,
          &err), 10);
  fail_unless (err == NULL);
  fail_unless_equals_int (rtsp_receive (url, "second", "another-password",
          3, 30, NULL, NULL, &err), 3);
  fail_unless (err == NULL);

  /* a mount that is not a device */
  other_mount = g_strdup_printf ("%.*s/other", (gint) (strrchr (url, '/') -
          url), url);
  fail_unless_equals_int (rtsp_receive (other_mount, USER, PASS, 1, 20, NULL,
          NULL, &err), 0);
  fail_unless (err != NULL);
  g_clear_error (&err);

  {
    gint status = serve_stop (s);

    fail_unless (status == 0, "exit status %d:\n%s", status, s->output->str);
  }
  fail_unless (strstr (s->output->str, PASS) == NULL);
  serve_free (s);
  g_free (other_mount);
  g_free (config);
  g_free (text);
  g_free (creds);
}

GST_END_TEST;

static gchar *
md5_hex (const gchar * a, const gchar * b, const gchar * c)
{
  gchar *in = c ? g_strjoin (":", a, b, c, NULL) : g_strjoin (":", a, b,
      NULL);
  gchar *out = g_compute_checksum_for_string (G_CHECKSUM_MD5, in, -1);

  g_free (in);
  return out;
}

/* Reads a response's status line and headers: the status; Retry-After
 * into *@retry_after, the Digest challenge's realm and nonce (g_free ()). */
static guint
read_response (GDataInputStream * in, guint * retry_after, gchar ** realm,
    gchar ** nonce)
{
  guint status = 0;
  gchar *line;

  *retry_after = 0;
  while ((line = g_data_input_stream_read_line (in, NULL, NULL, NULL))) {
    if (*line == '\0') {
      g_free (line);
      break;
    }
    if (status == 0)
      fail_unless (sscanf (line, "RTSP/1.0 %u", &status) == 1, "%s", line);
    else if (g_ascii_strncasecmp (line, "Retry-After:", 12) == 0)
      *retry_after = (guint) g_ascii_strtoull (line + 12, NULL, 10);
    else if (g_ascii_strncasecmp (line, "WWW-Authenticate: Digest ", 25) == 0) {
      gchar *r = strstr (line, "realm=\""), *n = strstr (line, "nonce=\"");

      fail_unless (r != NULL && n != NULL, "%s", line);
      *realm = g_strndup (r + 7, strchr (r + 7, '"') - (r + 7));
      *nonce = g_strndup (n + 7, strchr (n + 7, '"') - (n + 7));
    }
    g_free (line);
  }
  return status;
}

/* DESCRIBE @url on a connection of its own: without credentials, then,
 * if answered 401 and @user is given, again with Digest credentials (on
 * the same connection, as clients do). With @basic, once with Basic
 * credentials instead. Returns the last status; *@retry_after gets the
 * Retry-After header's value (0 if none). */
static guint
rtsp_describe (const gchar * url, const gchar * user, const gchar * pass,
    gboolean basic, guint * retry_after)
{
  GUri *uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  GSocketClient *client = g_socket_client_new ();
  GSocketConnection *conn;
  GOutputStream *out;
  GDataInputStream *in;
  GError *err = NULL;
  gchar *req, *authz = NULL, *realm = NULL, *nonce = NULL;
  guint status;

  fail_unless (uri != NULL, "%s", url);
  conn = g_socket_client_connect_to_host (client, g_uri_get_host (uri),
      g_uri_get_port (uri), NULL, &err);
  fail_unless (conn != NULL, "%s", err ? err->message : "");
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM
          (conn)));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  if (basic) {
    gchar *up = g_strconcat (user, ":", pass, NULL);
    gchar *b64 = g_base64_encode ((const guchar *) up, strlen (up));

    authz = g_strconcat ("Basic ", b64, NULL);
    g_free (b64);
    g_free (up);
  }
  req = g_strdup_printf ("DESCRIBE %s RTSP/1.0\r\nCSeq: 1\r\n"
      "Accept: application/sdp\r\n%s%s%s\r\n", url,
      authz ? "Authorization: " : "", authz ? authz : "", authz ? "\r\n" : "");
  fail_unless (g_output_stream_write_all (out, req, strlen (req), NULL, NULL,
          NULL));
  status = read_response (in, retry_after, &realm, &nonce);
  if (status == 401 && user != NULL && !basic) {
    gchar *ha1, *ha2, *response;

    fail_unless (nonce != NULL);
    ha1 = md5_hex (user, realm, pass);
    ha2 = md5_hex ("DESCRIBE", url, NULL);
    response = md5_hex (ha1, nonce, ha2);
    g_free (req);
    req = g_strdup_printf ("DESCRIBE %s RTSP/1.0\r\nCSeq: 2\r\n"
        "Accept: application/sdp\r\nAuthorization: Digest username=\"%s\", "
        "realm=\"%s\", nonce=\"%s\", uri=\"%s\", response=\"%s\"\r\n\r\n",
        url, user, realm, nonce, url, response);
    fail_unless (g_output_stream_write_all (out, req, strlen (req), NULL,
            NULL, NULL));
    g_clear_pointer (&realm, g_free);
    g_clear_pointer (&nonce, g_free);
    status = read_response (in, retry_after, &realm, &nonce);
    g_free (response);
    g_free (ha2);
    g_free (ha1);
  }
  g_object_unref (in);
  g_object_unref (conn);
  g_object_unref (client);
  g_uri_unref (uri);
  g_free (realm);
  g_free (nonce);
  g_free (authz);
  g_free (req);
  return status;
}

/* Failed logins are logged (no password, no unknown user name) and, after
 * max-auth-failures wrong ones, the address gets 503 with Retry-After,
 * right credentials too, until the lock-out ends. Requests without
 * credentials (every client's first) do not count. */
GST_START_TEST (test_login_brake)
{
  gchar *creds = write_file (tmpdir, "rtsp.credentials", USER ":" PASS "\n");
  gchar *text = g_strdup_printf ("[rtsp]\naddress=127.0.0.1\nport=0\n"
      "credentials-file=%s\nmax-auth-failures=3\nlockout=2\n"
      "[device test]\npipeline=videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=15/1 ! queue\n"
      "detect-faces=false\n", creds);
  gchar *config = write_file (tmpdir, "serve.conf", text);
  Serve *s = serve_start (config, 1);
  const gchar *url = g_hash_table_lookup (s->urls, "test");
  GError *err = NULL;
  guint retry = 0;

  fail_unless (url != NULL, "%s", s->output->str);
  fail_unless (serve_wait_line (s, "device test: playing"));

  /* no credentials: 401, never counted */
  for (guint i = 0; i < 6; i++)
    fail_unless_equals_int (rtsp_describe (url, NULL, NULL, FALSE, &retry),
        401);
  fail_unless_equals_int (rtsp_describe (url, USER, PASS, FALSE, &retry),
      200);
  /* Basic, even with the right password: refused outside TLS */
  fail_unless_equals_int (rtsp_describe (url, USER, PASS, TRUE, &retry), 401);
  /* rtspsrc retries a refused password on its connection: one failure */
  fail_unless_equals_int (rtsp_receive (url, USER, "wrong-pass-123", 1, 20,
          NULL, NULL, &err), 0);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s", err->message);
  g_clear_error (&err);
  fail_unless_equals_int (rtsp_describe (url, USER, PASS, FALSE, &retry),
      200);

  /* three wrong ones (one naming a user nobody configured): locked out */
  fail_unless_equals_int (rtsp_describe (url, USER, "wrong-pass-456", FALSE,
          &retry), 401);
  fail_unless_equals_int (rtsp_describe (url, "Sup3rSecret", "x", FALSE,
          &retry), 401);
  fail_unless_equals_int (rtsp_describe (url, USER, "wrong-pass-789", FALSE,
          &retry), 401);
  fail_unless_equals_int (rtsp_describe (url, USER, PASS, FALSE, &retry),
      503);
  fail_unless (retry >= 1 && retry <= 2, "Retry-After: %u", retry);
  fail_unless_equals_int (rtsp_describe (url, NULL, NULL, FALSE, &retry),
      503);

  /* once it has passed, the right credentials are welcome again */
  g_usleep ((retry * 1000 + 300) * 1000);
  fail_unless_equals_int (rtsp_describe (url, USER, PASS, FALSE, &retry),
      200);

  fail_unless_equals_int (serve_stop (s), 0);
  fail_unless (strstr (s->output->str, "rtsp: login failed from 127.0.0.1 "
          "(user " USER ")") != NULL, "%s", s->output->str);
  fail_unless (strstr (s->output->str, "rtsp: login failed from 127.0.0.1 "
          "(an unknown user)") != NULL, "%s", s->output->str);
  fail_unless (strstr (s->output->str, "rtsp: locking out 127.0.0.1") !=
      NULL, "%s", s->output->str);
  fail_unless (strstr (s->output->str, "wrong-pass-") == NULL);
  fail_unless (strstr (s->output->str, "Sup3rSecret") == NULL);
  fail_unless (strstr (s->output->str, PASS) == NULL);
  serve_free (s);
  g_free (config);
  g_free (text);
  g_free (creds);
}

GST_END_TEST;

/* A device failing again and again names its first failure when later
 * ones differ: here a file that is no video, then no file at all. */
GST_START_TEST (test_first_failure)
{
  gchar *junk = write_file (tmpdir, "junk", "this is not a video file\n");
  gchar *text = g_strdup_printf ("[device porch]\npipeline=filesrc "
      "location=%s ! decodebin ! queue\ndetect-faces=false\n", junk);
  gchar *config = write_file (tmpdir, "serve.conf", text);
  Serve *s = serve_start (config, 0);
  const gchar *first;

  fail_unless (serve_wait_line (s, "device porch: restarting in 2 s"), "%s",
      s->output->str);
  first = strstr (s->output->str, "device porch: error from ");
  fail_unless (first != NULL, "%s", s->output->str);
  fail_unless_equals_int (g_unlink (junk), 0);
  fail_unless (serve_wait_line (s, "device porch: restarting in 4 s "
          "(first failure: typefind: "), "%s", s->output->str);
  fail_unless_equals_int (serve_stop (s), 0);
  serve_free (s);
  g_free (config);
  g_free (text);
  g_free (junk);
}

GST_END_TEST;

/* Runs the tool on a config of [rtsp] with @creds and a [device porch]
 * with @device_keys; returns its exit status and output (g_free ()). */
static gint
run_config (const gchar * creds, const gchar * device_keys,
    const gchar * first_arg, gchar ** output)
{
  gchar *text = g_strdup_printf ("[rtsp]\ncredentials-file=%s\n"
      "[device porch]\n%s", creds, device_keys);
  gchar *config = write_file (tmpdir, "serve.conf", text);
  const gchar *args[] = { first_arg, "--config", config, NULL };
  gint status = serve_run (first_arg ? args : args + 1, output);

  /* every message names the file */
  if (status != 0)
    fail_unless (strstr (*output, config) != NULL, "%s", *output);
  g_free (config);
  g_free (text);
  return status;
}

GST_START_TEST (test_bad_config)
{
  gchar *creds = write_file (tmpdir, "rtsp.credentials", USER ":" PASS "\n");
  gchar *output = NULL;

  /* a typo in a key */
  fail_unless_equals_int (run_config (creds, "pipeline=videotestsrc ! queue\n"
          "zone=0,0 1,0 1,1\n", NULL, &output), 2);
  fail_unless (strstr (output, "[device porch] zone") != NULL, "%s", output);
  g_clear_pointer (&output, g_free);

  /* a pipeline that does not parse */
  fail_unless_equals_int (run_config (creds, "pipeline=nosuchelement ! "
          "queue\n", NULL, &output), 2);
  fail_unless (strstr (output, "[device porch] pipeline") != NULL, "%s",
      output);
  g_clear_pointer (&output, g_free);

  /* the credentials file readable by others: refused, not printed */
  fail_unless_equals_int (g_chmod (creds, 0644), 0);
  fail_unless_equals_int (run_config (creds, "pipeline=videotestsrc ! "
          "queue\n", NULL, &output), 2);
  fail_unless (strstr (output, "[rtsp] credentials-file") != NULL, "%s",
      output);
  fail_unless (strstr (output, PASS) == NULL);
  g_clear_pointer (&output, g_free);

  /* and --check accepts it once it is private */
  fail_unless_equals_int (g_chmod (creds, 0600), 0);
  fail_unless_equals_int (run_config (creds, "pipeline=videotestsrc ! "
          "queue\n", "--check", &output), 0);
  fail_unless (strstr (output, "OK, 1 device(s), RTSP") != NULL, "%s",
      output);
  g_clear_pointer (&output, g_free);

  /* a plain http:// webhook: one warning, the URL (which may carry a
   * token) and the secret not printed */
  {
    gchar *secret = write_file (tmpdir, "hook.secret", HOOK_SECRET "\n");
    gchar *keys = g_strdup_printf ("pipeline=videotestsrc ! queue\n"
        "[webhook]\nurl=http://127.0.0.1:9/hook-token-42\nsecret-file=%s\n",
        secret);
    const gchar *at;

    fail_unless_equals_int (run_config (creds, keys, "--check", &output), 0);
    at = strstr (output, "[webhook] url is plain http://");
    fail_unless (at != NULL, "%s", output);
    fail_unless (strstr (at + 1, "[webhook] url is plain http://") == NULL,
        "%s", output);
    fail_unless (strstr (output, "hook-token-42") == NULL, "%s", output);
    fail_unless (strstr (output, HOOK_SECRET) == NULL, "%s", output);
    g_clear_pointer (&output, g_free);
    g_free (keys);
    g_free (secret);
  }
  g_free (creds);
}

GST_END_TEST;

static Suite *
serve_suite (void)
{
  Suite *s = suite_create ("seecitv-serve");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 180);
  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_bad_config);
  tcase_add_test (tc, test_rtsp_auth);
  tcase_add_test (tc, test_login_brake);
  tcase_add_test (tc, test_first_failure);
  tcase_add_test (tc, test_two_devices);
  return s;
}

GST_CHECK_MAIN (serve);
