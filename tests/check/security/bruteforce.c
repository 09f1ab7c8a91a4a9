/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Brute-force of logins is rate-limited on the device side (issue 7):
 * the pure rate limiter of gst-libs/seecitv/protocol/protocol.c with a clock the test
 * drives; then seecitv-device (a subprocess, 127.0.0.1) under guessing
 * attacks on the seecitv protocol, HTTP Basic and HTTP Digest: after N
 * failures from an address it answers 429 with Retry-After, without
 * checking credentials (not even right ones) until the lock-out ends; and
 * seecitvsrc meeting a 429: one clear warning, it waits the Retry-After
 * instead of hammering, then streams. Checked on statuses, headers and
 * structured details, never on message text.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include <seecitv/protocol/protocol.h>
#include "../elements/seecitvsrc_device.h"
#include "../common/testfs.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define DEVICE "cam-1"
#define S (G_USEC_PER_SEC)

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = test_tmpdir_new ("bruteforce-XXXXXX");
}

static void
teardown (void)
{
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* ---- the rate limiter alone ---- */

GST_START_TEST (test_limiter_locks_after_n)
{
  SeecitvRateLimiter *r = seecitv_rate_limiter_new (3, 60 * S, 10 * S, 16);
  gint64 t = 1000 * S;

  fail_unless_equals_int64 (seecitv_rate_limiter_check (r, "10.0.0.1", t), 0);
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "10.0.0.1", t), 0);
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "10.0.0.1", t + S),
      0);
  /* the third failure locks for 10 s from then */
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "10.0.0.1",
          t + 2 * S), 10 * S);
  fail_unless_equals_int64 (seecitv_rate_limiter_check (r, "10.0.0.1",
          t + 3 * S), 9 * S);
  /* another address is not concerned */
  fail_unless_equals_int64 (seecitv_rate_limiter_check (r, "10.0.0.2",
          t + 3 * S), 0);
  /* failures while locked do not extend the lock */
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "10.0.0.1",
          t + 4 * S), 8 * S);
  /* the lock ends */
  fail_unless_equals_int64 (seecitv_rate_limiter_check (r, "10.0.0.1",
          t + 12 * S), 0);
  /* a repeat offender: the next failure locks again, twice as long */
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "10.0.0.1",
          t + 13 * S), 20 * S);
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "10.0.0.1",
          t + 34 * S), 40 * S);
  /* a success forgets everything */
  seecitv_rate_limiter_succeed (r, "10.0.0.1");
  fail_unless_equals_int64 (seecitv_rate_limiter_check (r, "10.0.0.1",
          t + 35 * S), 0);
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "10.0.0.1",
          t + 35 * S), 0);
  fail_unless_equals_int (seecitv_rate_limiter_retry_after (1), 1);
  fail_unless_equals_int (seecitv_rate_limiter_retry_after (10 * S), 10);
  fail_unless_equals_int (seecitv_rate_limiter_retry_after (10 * S + 1), 11);
  seecitv_rate_limiter_free (r);
}

GST_END_TEST;

/* Failures further apart than the window do not add up; after a quiet
 * window a past offender starts from the first lock-out again. The
 * doubling stops at 32 times. */
GST_START_TEST (test_limiter_window)
{
  SeecitvRateLimiter *r = seecitv_rate_limiter_new (2, 60 * S, 10 * S, 16);
  gint64 t = 1000 * S;
  guint i;

  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "a", t), 0);
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "a", t + 61 * S),
      0);
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "a", t + 62 * S),
      10 * S);
  /* quiet for longer than the window after the lock-out: back to 10 s */
  t += 62 * S + 10 * S + 61 * S;
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "a", t), 0);
  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "a", t), 10 * S);
  for (i = 1; i < 10; i++) {
    gint64 left;

    t += 10 * S << MIN (i - 1, 5);
    left = seecitv_rate_limiter_fail (r, "a", t);
    fail_unless_equals_int64 (left, (10 * S) << MIN (i, 5));
  }
  seecitv_rate_limiter_free (r);
}

GST_END_TEST;

/* Memory is bounded whatever addresses come; unlocked entries are
 * forgotten before locked ones. */
GST_START_TEST (test_limiter_bounded)
{
  SeecitvRateLimiter *r = seecitv_rate_limiter_new (2, 60 * S, 100 * S, 8);
  gint64 t = 1000 * S;
  guint i;

  fail_unless_equals_int64 (seecitv_rate_limiter_fail (r, "locked", t), 0);
  fail_unless (seecitv_rate_limiter_fail (r, "locked", t) > 0);
  for (i = 0; i < 1000; i++) {
    gchar addr[32];

    g_snprintf (addr, sizeof (addr), "192.0.2.%u", i);
    seecitv_rate_limiter_fail (r, addr, t + i);
    fail_unless (seecitv_rate_limiter_size (r) <= 8);
  }
  fail_unless (seecitv_rate_limiter_check (r, "locked", t + 1000) > 0);
  seecitv_rate_limiter_free (r);
}

GST_END_TEST;

/* ---- seecitv-device ---- */

/* The device without a face in its scene: the tests look at logins. */
static TestDevice *
device_start (const gchar * first_arg, ...)
{
  GPtrArray *args = g_ptr_array_new ();
  const gchar *a;
  TestDevice *d;
  va_list ap;

  g_ptr_array_add (args, (gpointer) "--no-face");
  va_start (ap, first_arg);
  for (a = first_arg; a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  d = test_device_startv ((const gchar * const *) args->pdata);
  g_ptr_array_free (args, TRUE);
  return d;
}

static gchar *
write_key (const gchar * name, const gchar * hex)
{
  gchar *path = g_build_filename (tmpdir, name, NULL);

  fail_unless (g_file_set_contents (path, hex, -1, NULL));
  fail_unless_equals_int (g_chmod (path, 0600), 0);
  return path;
}

typedef struct
{
  guint status;
  gchar *www;                   /* WWW-Authenticate */
  gchar *retry_after;
} Reply;

static void
reply_clear (Reply * r)
{
  g_clear_pointer (&r->www, g_free);
  g_clear_pointer (&r->retry_after, g_free);
}

/* GET @url on a fresh connection with @authz (may be NULL). */
static Reply
raw_get (const gchar * url, const gchar * authz)
{
  SoupSession *session = soup_session_new ();
  SoupMessage *msg = soup_message_new ("GET", url);
  SoupMessageHeaders *h;
  GBytes *body;
  Reply r;

  if (authz != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", authz);
  body = soup_session_send_and_read (session, msg, NULL, NULL);
  fail_unless (body != NULL);
  g_bytes_unref (body);
  h = soup_message_get_response_headers (msg);
  r.status = soup_message_get_status (msg);
  r.www = g_strdup (soup_message_headers_get_one (h, "WWW-Authenticate"));
  r.retry_after = g_strdup (soup_message_headers_get_one (h, "Retry-After"));
  g_object_unref (msg);
  g_object_unref (session);
  return r;
}

/* One seecitv login to the info endpoint with @hex as the secret: the
 * challenge request, then the proof. Returns the second status (or the
 * first one if it was not a 401 challenge). */
static guint
seecitv_login (const gchar * info_url, const gchar * hex)
{
  Reply r = raw_get (info_url, NULL);
  SeecitvChallenge *ch;
  SeecitvAuthorization a;
  guint8 k[32];
  gchar *authz;
  guint status;

  if (r.status != 401) {
    status = r.status;
    reply_clear (&r);
    return status;
  }
  ch = seecitv_protocol_parse_challenge (r.www, NULL);
  fail_unless (ch != NULL);
  fail_unless (seecitv_protocol_parse_key (hex, 64, k, NULL));
  a.device_id = (gchar *) DEVICE;
  a.challenge = ch->challenge;
  a.cnonce = seecitv_protocol_random_hex (16, NULL);
  a.proof = seecitv_protocol_compute_proof (SEECITV_PROOF_CLIENT, k, 32,
      DEVICE, ch->challenge, a.cnonce, "GET", SEECITV_PROTOCOL_INFO_PATH,
      NULL);
  authz = seecitv_protocol_format_authorization (&a);
  reply_clear (&r);
  r = raw_get (info_url, authz);
  status = r.status;
  reply_clear (&r);
  g_free (authz);
  g_free (a.cnonce);
  g_free (a.proof);
  seecitv_challenge_free (ch);
  return status;
}

/* 429 with a Retry-After of 1..@max_s seconds and no challenge to work
 * on. */
static void
expect_locked (const gchar * url, const gchar * authz, guint max_s)
{
  Reply r = raw_get (url, authz);
  guint64 secs;

  fail_unless_equals_int (r.status, 429);
  fail_unless (r.www == NULL, "a locked-out client got a challenge");
  fail_unless (r.retry_after != NULL);
  secs = g_ascii_strtoull (r.retry_after, NULL, 10);
  fail_unless (secs >= 1 && secs <= max_s, "Retry-After %s", r.retry_after);
  reply_clear (&r);
}

/* Guessing the pairing secret: 3 wrong proofs, then 429 even for the
 * right secret; after the lock-out the right secret works. */
GST_START_TEST (test_device_seecitv_bruteforce)
{
  gchar *key = write_key ("a.key", KEY_A);
  TestDevice *d = device_start ("--key-file", key, "--device-id", DEVICE,
      "--max-auth-failures", "3", "--lockout", "3", NULL);
  gchar *info = test_device_info_url (d);
  guint i;

  /* challenges alone are not failures */
  for (i = 0; i < 5; i++) {
    Reply r = raw_get (info, NULL);

    fail_unless_equals_int (r.status, 401);
    reply_clear (&r);
  }
  fail_unless_equals_int (seecitv_login (info, KEY_A), 200);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (seecitv_login (info, KEY_B), 401);
  /* locked out: not even a challenge, and the right secret is not looked
   * at; the stream path as much as the info path */
  expect_locked (info, NULL, 3);
  fail_unless_equals_int (seecitv_login (info, KEY_A), 429);
  expect_locked (d->url, NULL, 3);
  /* the lock-out ends (3 s: long enough for a loaded machine to make the
   * checks above in time) */
  g_usleep (3100 * 1000);
  fail_unless_equals_int (seecitv_login (info, KEY_A), 200);
  test_device_stop (d);
  g_free (info);
  g_free (key);
}

GST_END_TEST;

static gboolean
auth_once_cb (SoupMessage * msg, SoupAuth * auth, gboolean retrying,
    gpointer pass)
{
  if (!retrying)
    soup_auth_authenticate (auth, "admin", pass);
  return FALSE;
}

/* One HTTP login (Basic or Digest, as the device asks) through libsoup;
 * the final status. */
static guint
http_login (const gchar * url, const gchar * pass)
{
  SoupSession *session = soup_session_new ();
  SoupMessage *msg = soup_message_new ("GET", url);
  GInputStream *in;
  guint status;

  g_signal_connect (msg, "authenticate", G_CALLBACK (auth_once_cb),
      (gpointer) pass);
  in = soup_session_send (session, msg, NULL, NULL);
  fail_unless (in != NULL);
  status = soup_message_get_status (msg);
  g_input_stream_close (in, NULL, NULL);
  g_object_unref (in);
  g_object_unref (msg);
  g_object_unref (session);
  return status;
}

static void
check_http_bruteforce (const gchar * mode)
{
  TestDevice *d = device_start (mode, "admin:s3cret", "--max-auth-failures",
      "3", "--lockout", "3", NULL);
  guint i;

  fail_unless_equals_int (http_login (d->url, "s3cret"), 200);
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (http_login (d->url, "guess"), 401);
  /* locked out: right credentials get 429 too, and no challenge */
  fail_unless_equals_int (http_login (d->url, "s3cret"), 429);
  expect_locked (d->url, NULL, 3);
  if (strcmp (mode, "--basic") == 0)
    /* admin:s3cret */
    expect_locked (d->url, "Basic YWRtaW46czNjcmV0", 3);
  /* the lock-out ends (3 s: long enough for a loaded machine to make the
   * checks above in time) */
  g_usleep (3100 * 1000);
  fail_unless_equals_int (http_login (d->url, "s3cret"), 200);
  test_device_stop (d);
}

GST_START_TEST (test_device_basic_bruteforce)
{
  check_http_bruteforce ("--basic");
}

GST_END_TEST;

GST_START_TEST (test_device_digest_bruteforce)
{
  check_http_bruteforce ("--digest");
}

GST_END_TEST;

/* --max-auth-failures 0: no limit (for a device behind its own brake). */
GST_START_TEST (test_device_no_limit)
{
  TestDevice *d = device_start ("--basic", "admin:s3cret",
      "--max-auth-failures", "0", NULL);
  guint i;

  for (i = 0; i < 8; i++)
    fail_unless_equals_int (http_login (d->url, "guess"), 401);
  fail_unless_equals_int (http_login (d->url, "s3cret"), 200);
  test_device_stop (d);
}

GST_END_TEST;

/* ---- seecitvsrc meeting a rate-limiting device ---- */

static TestPipe
pipe_new (const gchar * url)
{
  return test_pipe_new ("seecitvsrc name=src retry-delay=10000000 "
      "timeout=5000000000 ! appsink name=sink sync=false", url);
}

/* Pops the bus: counts RESOURCE BUSY warnings with reason=rate-limited
 * (returns their retry-after in @retry_after); fails on an error. */
static guint
count_rate_limit_warnings (TestPipe * p, guint * retry_after)
{
  GstBus *bus = gst_element_get_bus (p->pipeline);
  GstMessage *m;
  guint n = 0;

  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING |
              GST_MESSAGE_ERROR)) != NULL) {
    GError *err = NULL;
    const GstStructure *details = NULL;

    fail_if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR);
    gst_message_parse_warning (m, &err, NULL);
    gst_message_parse_warning_details (m, &details);
    if (err->domain == GST_RESOURCE_ERROR &&
        err->code == GST_RESOURCE_ERROR_BUSY) {
      fail_unless (details != NULL);
      fail_unless_equals_string (gst_structure_get_string (details,
              "reason"), "rate-limited");
      fail_unless (gst_structure_get_uint (details, "retry-after",
              retry_after));
      n++;
    }
    g_error_free (err);
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  return n;
}

/* The real device, locked out for our address by someone guessing: the
 * source with the right secret warns once, waits, then streams. */
GST_START_TEST (test_src_waits_for_lockout)
{
  gchar *key = write_key ("a.key", KEY_A);
  TestDevice *d = device_start ("--key-file", key, "--device-id", DEVICE,
      "--max-auth-failures", "2", "--lockout", "2", NULL);
  TestPipe p = pipe_new (d->url);
  gchar *info = test_device_info_url (d);
  GstSample *sample;
  guint retry_after = 0;

  fail_unless_equals_int (seecitv_login (info, KEY_B), 401);
  fail_unless_equals_int (seecitv_login (info, KEY_B), 401);
  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink),
      20 * GST_SECOND);
  fail_unless (sample != NULL, "no frame after the lock-out");
  gst_sample_unref (sample);
  fail_unless_equals_int (count_rate_limit_warnings (&p, &retry_after), 1);
  fail_unless (retry_after >= 1 && retry_after <= 2);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (info);
  g_free (key);
}

GST_END_TEST;

static Suite *
bruteforce_suite (void)
{
  Suite *s = suite_create ("bruteforce");
  TCase *tc = tcase_create ("general");

  test_no_proxy ();
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_limiter_locks_after_n);
  tcase_add_test (tc, test_limiter_window);
  tcase_add_test (tc, test_limiter_bounded);
  tcase_add_test (tc, test_device_seecitv_bruteforce);
  tcase_add_test (tc, test_device_basic_bruteforce);
  tcase_add_test (tc, test_device_digest_bruteforce);
  tcase_add_test (tc, test_device_no_limit);
  tcase_add_test (tc, test_src_waits_for_lockout);
  return s;
}

GST_CHECK_MAIN (bruteforce);
