/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A flood of requests for challenges must not lock the real client out
 * (issue 15, item 2). seecitv-device (a subprocess, 127.0.0.1, the default
 * lock-out on) flooded with bare requests by three threads *from the
 * client's own address* while the client logs in ten times in a row: each
 * client login waits, between its challenge and its proof, until the
 * flood has had more requests answered than the old device kept
 * challenges (256), so a device that keeps a bounded list of outstanding
 * challenges loses every one of them. Bounded in count and time. Then
 * seecitvsrc's one retry: against an in-process device that restarts
 * between its challenge and the proof (its challenge key changes), the
 * source proves again over the fresh challenge and streams; against one
 * with another secret it gives up after exactly two proofs with
 * `wrong-secret`. Checked on statuses and structured details, never on
 * message text.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <libsoup/soup.h>
#include <string.h>

#include <seecitv/protocol/protocol.h>
#include "../elements/seecitvsrc_device.h"
#include "../common/testfs.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define DEVICE "cam-1"
#define FLOOD_THREADS 3
/* Each thread stops after this many requests or FLOOD_MAX_S seconds. */
#define FLOOD_MAX_REQUESTS 200000
#define FLOOD_MAX_S 120
/* Flood requests answered between a client's challenge and its proof:
 * more than the old device's 256 outstanding challenges. */
#define FLOOD_PER_LOGIN 600
#define LOGINS 10

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = test_tmpdir_new ("flood-XXXXXX");
}

static void
teardown (void)
{
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* ---- the flood against seecitv-device ---- */

typedef struct
{
  const gchar *url;
  gint stop;                    /* atomic */
  gint answered;                /* atomic: flood requests answered */
  gint not_401;                 /* atomic: answered otherwise than 401 */
} Flood;

/* Bare requests on one keep-alive connection, as fast as the device
 * answers them. */
static gpointer
flood_thread (gpointer data)
{
  Flood *f = data;
  SoupSession *session = soup_session_new ();
  gint64 end = g_get_monotonic_time () + FLOOD_MAX_S * G_USEC_PER_SEC;
  guint i;

  for (i = 0; i < FLOOD_MAX_REQUESTS && !g_atomic_int_get (&f->stop) &&
      g_get_monotonic_time () < end; i++) {
    SoupMessage *msg = soup_message_new ("GET", f->url);
    GBytes *body = soup_session_send_and_read (session, msg, NULL, NULL);

    if (body != NULL)
      g_bytes_unref (body);
    if (soup_message_get_status (msg) != SOUP_STATUS_UNAUTHORIZED)
      g_atomic_int_inc (&f->not_401);
    g_atomic_int_inc (&f->answered);
    g_object_unref (msg);
  }
  g_object_unref (session);
  return NULL;
}

/* GET @url on a fresh connection from @from (a loopback address; NULL:
 * any) with @authz (may be NULL); the status, and WWW-Authenticate in @www
 * if asked. */
static guint
raw_get_from (const gchar * from, const gchar * url, const gchar * authz,
    gchar ** www)
{
  GSocketAddress *local = from != NULL ?
      g_inet_socket_address_new_from_string (from, 0) : NULL;
  SoupSession *session = soup_session_new_with_options ("local-address",
      local, NULL);
  SoupMessage *msg = soup_message_new ("GET", url);
  GBytes *body;
  guint status;

  if (authz != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", authz);
  body = soup_session_send_and_read (session, msg, NULL, NULL);
  fail_unless (body != NULL);
  g_bytes_unref (body);
  status = soup_message_get_status (msg);
  if (www != NULL)
    *www = g_strdup (soup_message_headers_get_one
        (soup_message_get_response_headers (msg), "WWW-Authenticate"));
  g_object_unref (msg);
  g_object_unref (session);
  g_clear_object (&local);
  return status;
}

static guint
raw_get (const gchar * url, const gchar * authz, gchar ** www)
{
  return raw_get_from (NULL, url, authz, www);
}

/* The Authorization value over the challenge in @www, with @hex. */
static gchar *
make_authz (const gchar * www, const gchar * hex)
{
  SeecitvChallenge *ch = seecitv_protocol_parse_challenge (www, NULL);
  SeecitvAuthorization a;
  guint8 k[32];
  gchar *authz;

  fail_unless (ch != NULL);
  fail_unless (seecitv_protocol_parse_key (hex, 64, k, NULL));
  a.device_id = (gchar *) DEVICE;
  a.challenge = ch->challenge;
  a.cnonce = seecitv_protocol_random_hex (16, NULL);
  a.proof = seecitv_protocol_compute_proof (SEECITV_PROOF_CLIENT, k, 32,
      DEVICE, ch->challenge, a.cnonce, "GET", SEECITV_PROTOCOL_INFO_PATH,
      NULL);
  authz = seecitv_protocol_format_authorization (&a);
  g_free (a.cnonce);
  g_free (a.proof);
  seecitv_challenge_free (ch);
  return authz;
}

/* One login with the right secret, the flood answered FLOOD_PER_LOGIN
 * times between the challenge and the proof. Returns the proof's
 * status. */
static guint
login_under_flood (Flood * f, const gchar * info_url)
{
  gchar *www = NULL, *authz;
  guint status;
  gint start;
  gint64 end;

  fail_unless_equals_int (raw_get (info_url, NULL, &www), 401);
  start = g_atomic_int_get (&f->answered);
  end = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (g_atomic_int_get (&f->answered) - start < FLOOD_PER_LOGIN) {
    fail_unless (g_get_monotonic_time () < end, "the flood is too slow "
        "(%d requests in 20 s)", g_atomic_int_get (&f->answered) - start);
    g_usleep (5000);
  }
  authz = make_authz (www, KEY_A);
  status = raw_get (info_url, authz, NULL);
  g_free (authz);
  g_free (www);
  return status;
}

GST_START_TEST (test_logins_under_flood)
{
  gchar *key = test_write_key (tmpdir, "a.key", KEY_A);
  /* the default brake: 5 failures, 30 s */
  TestDevice *d = test_device_start ("--no-face", "--key-file", key,
      "--device-id", DEVICE, NULL);
  gchar *info = test_device_info_url (d);
  Flood f = { info, 0, 0, 0 };
  GThread *threads[FLOOD_THREADS];
  guint i, ok = 0;
  gint64 t0 = g_get_monotonic_time ();

  for (i = 0; i < FLOOD_THREADS; i++)
    threads[i] = g_thread_new ("flood", flood_thread, &f);
  for (i = 0; i < LOGINS; i++) {
    guint status = login_under_flood (&f, info);

    GST_INFO ("login %u: %u after %d flood requests", i, status,
        g_atomic_int_get (&f.answered));
    if (status == SOUP_STATUS_OK)
      ok++;
  }
  g_atomic_int_set (&f.stop, 1);
  for (i = 0; i < FLOOD_THREADS; i++)
    g_thread_join (threads[i]);
  GST_INFO ("%u of %u logins, %d flood requests in %" G_GINT64_FORMAT
      " ms", ok, LOGINS, f.answered, (g_get_monotonic_time () - t0) / 1000);
  fail_unless_equals_int (ok, LOGINS);
  fail_unless (f.answered >= LOGINS * FLOOD_PER_LOGIN);
  /* the flood itself got challenges, never a lock-out */
  fail_unless_equals_int (g_atomic_int_get (&f.not_401), 0);
  test_device_stop (d);
  g_free (info);
  g_free (key);
}

GST_END_TEST;

/* The real device, the brake at one failure: a challenge issued to
 * 127.0.0.2 is refused from 127.0.0.1 (and that refusal costs 127.0.0.1
 * nothing), still good from 127.0.0.2, then used up: replayed, refused
 * (free too). A wrong proof is the one thing that counts. */
GST_START_TEST (test_device_challenge_checks)
{
  gchar *key = test_write_key (tmpdir, "a.key", KEY_A);
  TestDevice *d = test_device_start ("--no-face", "--key-file", key,
      "--device-id", DEVICE, "--max-auth-failures", "1", NULL);
  gchar *info = test_device_info_url (d);
  gchar *www = NULL, *authz, *www2 = NULL, *wrong;

  fail_unless_equals_int (raw_get_from ("127.0.0.2", info, NULL, &www), 401);
  authz = make_authz (www, KEY_A);
  fail_unless_equals_int (raw_get_from ("127.0.0.1", info, authz, NULL),
      401);
  fail_unless_equals_int (raw_get_from ("127.0.0.2", info, authz, NULL),
      200);
  fail_unless_equals_int (raw_get_from ("127.0.0.2", info, authz, NULL),
      401);
  fail_unless_equals_int (raw_get_from ("127.0.0.2", info, authz, NULL),
      401);
  /* neither address was charged: both log in */
  fail_unless_equals_int (raw_get_from ("127.0.0.1", info, NULL, &www2),
      401);
  g_free (authz);
  authz = make_authz (www2, KEY_A);
  wrong = make_authz (www2, KEY_B);
  /* the wrong proof is charged, and the brake at 1 locks 127.0.0.1 out */
  fail_unless_equals_int (raw_get_from ("127.0.0.1", info, wrong, NULL),
      401);
  fail_unless_equals_int (raw_get_from ("127.0.0.1", info, authz, NULL),
      429);
  g_free (www2);
  www2 = NULL;
  fail_unless_equals_int (raw_get_from ("127.0.0.2", info, NULL, &www2),
      401);
  g_free (authz);
  authz = make_authz (www2, KEY_A);
  fail_unless_equals_int (raw_get_from ("127.0.0.2", info, authz, NULL),
      200);
  test_device_stop (d);
  g_free (wrong);
  g_free (authz);
  g_free (www);
  g_free (www2);
  g_free (info);
  g_free (key);
}

GST_END_TEST;

/* ---- seecitvsrc's one retry, against an in-process device ---- */

typedef struct
{
  guint8 key[32];
  gboolean restart_on_proof;    /* a new challenge key at the first proof */
  gboolean busy_on_proof;       /* 503, Retry-After: 1 to the first proof */
  gint64 busy_at;               /* protected by lock: when it said 503 */
  gint64 after_busy;            /* protected by lock: the next request */
  SeecitvChallengeStore *store; /* server thread only */
  gint proofs;                  /* atomic: requests with Authorization */

  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  GMutex lock;
  GCond cond;
  gchar *url;
} Fake;

static void
fake_challenge (Fake * s, SoupServerMessage * msg, const gchar * addr)
{
  SeecitvChallenge c = { (gchar *) DEVICE, NULL, 30 };
  gchar *www;

  c.challenge = seecitv_challenge_store_issue (s->store, addr,
      g_get_monotonic_time (), NULL);
  fail_unless (c.challenge != NULL);
  www = seecitv_protocol_format_challenge (&c);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "WWW-Authenticate", www);
  soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
  g_free (www);
  g_free (c.challenge);
}

/* The device's check (protocol.c), then three minimal parts and the end
 * of the response (the source reconnects). */
static void
fake_stream_cb (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  static const gchar jpeg[] = "\xff\xd8\x01\x02\x03\x04\x05\x06\xff\xd9";
  Fake *s = user_data;
  const gchar *authz = soup_message_headers_get_one
      (soup_server_message_get_request_headers (msg), "Authorization");
  const gchar *addr = soup_server_message_get_remote_host (msg);
  GString *body;
  gchar *ainfo;
  guint i;

  g_mutex_lock (&s->lock);
  if (s->busy_at != 0 && s->after_busy == 0)
    s->after_busy = g_get_monotonic_time ();
  g_mutex_unlock (&s->lock);
  if (authz == NULL) {
    fake_challenge (s, msg, addr);
    return;
  }
  if (s->busy_on_proof && g_atomic_int_get (&s->proofs) == 0) {
    /* what seecitv-device says while its used challenges are full */
    g_atomic_int_inc (&s->proofs);
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Retry-After", "1");
    soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        NULL);
    g_mutex_lock (&s->lock);
    s->busy_at = g_get_monotonic_time ();
    g_mutex_unlock (&s->lock);
    return;
  }
  if (g_atomic_int_add (&s->proofs, 1) == 0 && s->restart_on_proof) {
    /* what a device restart does: its outstanding challenges are no
     * longer its own */
    seecitv_challenge_store_free (s->store);
    s->store = seecitv_challenge_store_new (16, 30, NULL);
  }
  ainfo = seecitv_protocol_device_verify (s->store, s->key, 32, DEVICE, addr,
      "GET", path, authz, g_get_monotonic_time (), NULL);
  if (ainfo == NULL) {
    fake_challenge (s, msg, addr);
    return;
  }
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Authentication-Info", ainfo);
  g_free (ainfo);
  body = g_string_new (NULL);
  for (i = 0; i < 3; i++) {
    g_string_append_printf (body, "--frame\r\nContent-Type: image/jpeg\r\n"
        "Content-Length: %u\r\n\r\n", (guint) (sizeof (jpeg) - 1));
    g_string_append_len (body, jpeg, sizeof (jpeg) - 1);
    g_string_append (body, "\r\n");
  }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg,
      "multipart/x-mixed-replace; boundary=frame", SOUP_MEMORY_COPY,
      body->str, body->len);
  g_string_free (body, TRUE);
}

static gpointer
fake_thread (gpointer data)
{
  Fake *s = data;
  SoupServer *server;
  GSocketAddress *sa, *local;
  GSList *listeners;

  g_main_context_push_thread_default (s->ctx);
  s->store = seecitv_challenge_store_new (16, 30, NULL);
  fail_unless (s->store != NULL);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, SEECITV_PROTOCOL_STREAM_PATH,
      fake_stream_cb, s, NULL);
  sa = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  fail_unless (soup_server_listen (server, sa, 0, NULL));
  g_object_unref (sa);
  listeners = soup_server_get_listeners (server);
  local = g_socket_get_local_address (listeners->data, NULL);
  g_slist_free (listeners);
  g_mutex_lock (&s->lock);
  s->url = g_strdup_printf ("http://127.0.0.1:%u"
      SEECITV_PROTOCOL_STREAM_PATH,
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  g_cond_signal (&s->cond);
  g_mutex_unlock (&s->lock);
  g_object_unref (local);

  g_main_loop_run (s->loop);

  while (g_main_context_iteration (s->ctx, FALSE));
  soup_server_disconnect (server);
  g_object_unref (server);
  while (g_main_context_iteration (s->ctx, FALSE));
  seecitv_challenge_store_free (s->store);
  g_main_context_pop_thread_default (s->ctx);
  return NULL;
}

static Fake *
fake_start (const gchar * key_hex, gboolean restart_on_proof,
    gboolean busy_on_proof)
{
  Fake *s = g_new0 (Fake, 1);

  fail_unless (seecitv_protocol_parse_key (key_hex, 64, s->key, NULL));
  s->restart_on_proof = restart_on_proof;
  s->busy_on_proof = busy_on_proof;
  s->ctx = g_main_context_new ();
  s->loop = g_main_loop_new (s->ctx, FALSE);
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->thread = g_thread_new ("fake-device", fake_thread, s);
  g_mutex_lock (&s->lock);
  while (s->url == NULL)
    g_cond_wait (&s->cond, &s->lock);
  g_mutex_unlock (&s->lock);
  return s;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
fake_stop (Fake * s)
{
  g_main_context_invoke (s->ctx, quit_loop, s->loop);
  g_thread_join (s->thread);
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->ctx);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s->url);
  g_free (s);
}

static TestPipe
src_pipe (const gchar * url, const gchar * key)
{
  TestPipe p = test_pipe_new ("seecitvsrc name=src retry-delay=50000000 "
      "timeout=5000000000 ! appsink name=sink sync=false", url);

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  return p;
}

/* The first proof meets a restarted device: refused with a fresh
 * challenge, proved again, streams, no error. */
GST_START_TEST (test_src_retries_once)
{
  gchar *key = test_write_key (tmpdir, "a.key", KEY_A);
  Fake *s = fake_start (KEY_A, TRUE, FALSE);
  TestPipe p = src_pipe (s->url, key);
  GstSample *sample;
  GstMessage *m;
  GstBus *bus;

  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink),
      20 * GST_SECOND);
  fail_unless (sample != NULL, "no frame after the device restarted");
  gst_sample_unref (sample);
  fail_unless (g_atomic_int_get (&s->proofs) >= 2);
  bus = gst_element_get_bus (p.pipeline);
  m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (m == NULL, "an error after the retry");
  gst_object_unref (bus);
  test_pipe_free (&p);
  fake_stop (s);
  g_free (key);
}

GST_END_TEST;

/* A wrong secret is still called wrong, after exactly two proofs. */
GST_START_TEST (test_src_wrong_secret_after_two)
{
  gchar *key = test_write_key (tmpdir, "b.key", KEY_B);
  Fake *s = fake_start (KEY_A, FALSE, FALSE);
  TestPipe p = src_pipe (s->url, key);
  GstMessage *m;
  GstBus *bus;
  GError *err = NULL;
  const GstStructure *details = NULL;

  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (p.pipeline);
  m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (m != NULL, "no error within 20 s");
  gst_message_parse_error (m, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (err->code, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  gst_message_parse_error_details (m, &details);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "wrong-secret");
  fail_unless_equals_int (g_atomic_int_get (&s->proofs), 2);
  g_error_free (err);
  gst_message_unref (m);
  gst_object_unref (bus);
  test_pipe_free (&p);
  fake_stop (s);
  g_free (key);
}

GST_END_TEST;

/* A device whose used challenges are full says 503 with Retry-After:
 * the source waits that long (not its 50 ms retry-delay), then streams. */
GST_START_TEST (test_src_waits_when_busy)
{
  gchar *key = test_write_key (tmpdir, "a.key", KEY_A);
  Fake *s = fake_start (KEY_A, FALSE, TRUE);
  TestPipe p = src_pipe (s->url, key);
  GstSample *sample;
  gint64 waited;

  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink),
      20 * GST_SECOND);
  fail_unless (sample != NULL, "no frame after the 503");
  gst_sample_unref (sample);
  g_mutex_lock (&s->lock);
  waited = s->after_busy - s->busy_at;
  g_mutex_unlock (&s->lock);
  fail_unless (s->busy_at != 0);
  fail_unless (waited >= G_USEC_PER_SEC, "retried %" G_GINT64_FORMAT
      " us after a Retry-After of 1 s", waited);
  test_pipe_free (&p);
  fake_stop (s);
  g_free (key);
}

GST_END_TEST;

static Suite *
flood_suite (void)
{
  Suite *s = suite_create ("flood");
  TCase *tc = tcase_create ("general");

  test_no_proxy ();
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_logins_under_flood);
  tcase_add_test (tc, test_device_challenge_checks);
  tcase_add_test (tc, test_src_retries_once);
  tcase_add_test (tc, test_src_wrong_secret_after_two);
  tcase_add_test (tc, test_src_waits_when_busy);
  return s;
}

GST_CHECK_MAIN (flood);
