/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tests of seecitvsrc over real loopback sockets (127.0.0.1 only). Two
 * kinds of peer: the seecitv-device tool run as a subprocess (the real
 * device side of the protocol: right and wrong secrets, reconnection after
 * dropped connections), and an in-process SoupServer running in a thread
 * of its own with its own main context (what no honest device would do: an
 * impostor that skips the proof, a plain Basic-auth MJPEG server, HTTPS
 * with a certificate made here, counting the requests it receives).
 * Failures are checked on the error's domain, code and details, never on
 * its text.
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
#include "seecitvsrc_device.h"
#include <seecitv/crypto/keystore.h>
#include "../common/testfs.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define DEVICE "cam-1"

static gchar *tmpdir;

static gchar *
write_key (const gchar * name, const gchar * hex)
{
  return test_write_key (tmpdir, name, hex);
}

static void
setup (void)
{
  tmpdir = test_tmpdir_new ("seecitvsrc-XXXXXX");
}

static void
teardown (void)
{
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* ---- an in-process server ---- */

typedef enum
{
  MODE_PLAIN,                   /* MJPEG, no protocol */
  MODE_IMPOSTOR,                /* challenges, then streams without proof */
  MODE_ENDLESS_HEADERS,         /* one part header that never ends */
  MODE_RATE_LIMITED,            /* 429, Retry-After: 2, then MJPEG */
  MODE_REDIRECT                 /* 302 to redirect_to */
} Mode;

typedef struct
{
  Mode mode;
  gboolean digest;              /* Digest instead of Basic */
  const gchar *basic_user;
  const gchar *basic_pass;
  GTlsCertificate *cert;
  const gchar *redirect_to;     /* MODE_REDIRECT */

  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  SoupServer *server;
  GList *clients;               /* of SoupServerMessage, server thread only */
  gint requests;                /* atomic */
  GMutex lock;
  GCond cond;
  gchar *url;
} Server;

static gboolean
server_basic_cb (SoupAuthDomain * domain, SoupServerMessage * msg,
    const char *user, const char *password, gpointer user_data)
{
  Server *s = user_data;

  return strcmp (user, s->basic_user) == 0 &&
      strcmp (password, s->basic_pass) == 0;
}

static char *
server_digest_cb (SoupAuthDomain * domain, SoupServerMessage * msg,
    const char *user, gpointer user_data)
{
  Server *s = user_data;

  if (strcmp (user, s->basic_user) != 0)
    return NULL;
  return soup_auth_domain_digest_encode_password (user, "test", s->basic_pass);
}

static void
server_request_read_cb (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  Server *s = user_data;

  g_atomic_int_inc (&s->requests);
}

static void
server_done_cb (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  Server *s = user_data;

  s->clients = g_list_remove (s->clients, msg);
}

static void
server_stream_cb (SoupServer * server, SoupServerMessage * msg,
    const char *path, GHashTable * query, gpointer user_data)
{
  Server *s = user_data;
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);

  if (s->mode == MODE_IMPOSTOR &&
      soup_message_headers_get_one (soup_server_message_get_request_headers
          (msg), "Authorization") == NULL) {
    /* a well-formed challenge: the impostor knows the device id */
    soup_message_headers_replace (resp, "WWW-Authenticate",
        "Seecitv realm=\"seecitv\", device=\"" DEVICE "\", challenge="
        "\"000102030405060708090a0b0c0d0e0f\", expires=30");
    soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
    return;
  }
  if (s->mode == MODE_REDIRECT) {
    soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, s->redirect_to);
    return;
  }
  if (s->mode == MODE_RATE_LIMITED &&
      g_atomic_int_get (&s->requests) == 1) {
    soup_message_headers_replace (resp, "Retry-After", "2");
    soup_server_message_set_status (msg, 429, NULL);
    return;
  }
  if (s->mode == MODE_IMPOSTOR)
    soup_message_headers_replace (resp, "Authentication-Info", "proof=\""
        "84014fcf3d7433e3244906d27edeb02b29e86833b52c5c946b68bbbafff1df35\"");
  soup_message_headers_replace (resp, "Content-Type",
      "multipart/x-mixed-replace; boundary=frame");
  soup_message_headers_set_encoding (resp, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body
      (msg), FALSE);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  s->clients = g_list_prepend (s->clients, msg);
  soup_server_message_pause (msg);
}

/* A minimal "JPEG": SOI, some bytes, EOI. seecitvsrc checks the start. */
static gboolean
server_tick (gpointer user_data)
{
  Server *s = user_data;
  static const guint8 jpeg[] = { 0xff, 0xd8, 1, 2, 3, 4, 5, 6, 0xff, 0xd9 };
  GList *l;

  for (l = s->clients; l != NULL; l = l->next) {
    SoupServerMessage *msg = l->data;
    SoupMessageBody *body = soup_server_message_get_response_body (msg);
    gchar *head;

    if (s->mode == MODE_ENDLESS_HEADERS) {
      gchar *line = g_strnfill (1024, 'a');

      if (g_object_get_data (G_OBJECT (msg), "started") == NULL) {
        soup_message_body_append (body, SOUP_MEMORY_STATIC,
            "--frame\r\nContent-Type: image/jpeg\r\n", 35);
        g_object_set_data (G_OBJECT (msg), "started", GINT_TO_POINTER (1));
      }
      line[0] = 'X';
      line[1] = ':';
      line[1022] = '\r';
      line[1023] = '\n';
      soup_message_body_append (body, SOUP_MEMORY_TAKE, line, 1024);
      soup_server_message_unpause (msg);
      continue;
    }
    head = g_strdup_printf ("--frame\r\nContent-Type: image/jpeg\r\n"
        "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n", sizeof (jpeg));

    soup_message_body_append (body, SOUP_MEMORY_TAKE, head, strlen (head));
    soup_message_body_append (body, SOUP_MEMORY_STATIC, jpeg, sizeof (jpeg));
    soup_message_body_append (body, SOUP_MEMORY_STATIC, "\r\n", 2);
    soup_server_message_unpause (msg);
  }
  return G_SOURCE_CONTINUE;
}

static gpointer
server_thread (gpointer data)
{
  Server *s = data;
  GSocketAddress *sa, *local;
  GSList *listeners;
  GError *err = NULL;
  GSource *tick;

  g_main_context_push_thread_default (s->ctx);
  s->server = soup_server_new ("tls-certificate", s->cert, NULL);
  if (s->basic_user != NULL) {
    SoupAuthDomain *domain;

    if (s->digest) {
      domain = soup_auth_domain_digest_new ("realm", "test", NULL);
      soup_auth_domain_digest_set_auth_callback (domain, server_digest_cb, s,
          NULL);
    } else {
      domain = soup_auth_domain_basic_new ("realm", "test", NULL);
      soup_auth_domain_basic_set_auth_callback (domain, server_basic_cb, s,
          NULL);
    }
    soup_auth_domain_add_path (domain, "/");
    soup_server_add_auth_domain (s->server, domain);
    g_object_unref (domain);
  }
  soup_server_add_handler (s->server, "/stream", server_stream_cb, s, NULL);
  /* request-started fires when a connection is accepted, before the TLS
   * handshake; request-read only once a request has arrived */
  g_signal_connect (s->server, "request-read",
      G_CALLBACK (server_request_read_cb), s);
  g_signal_connect (s->server, "request-finished",
      G_CALLBACK (server_done_cb), s);
  g_signal_connect (s->server, "request-aborted",
      G_CALLBACK (server_done_cb), s);
  sa = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  fail_unless (soup_server_listen (s->server, sa,
          s->cert ? SOUP_SERVER_LISTEN_HTTPS : 0, &err), "%s",
      err ? err->message : "");
  g_object_unref (sa);
  listeners = soup_server_get_listeners (s->server);
  local = g_socket_get_local_address (listeners->data, NULL);
  g_slist_free (listeners);
  tick = g_timeout_source_new (40);
  g_source_set_callback (tick, server_tick, s, NULL);
  g_source_attach (tick, s->ctx);

  g_mutex_lock (&s->lock);
  s->url = g_strdup_printf ("%s://127.0.0.1:%u/stream",
      s->cert ? "https" : "http",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
  g_cond_signal (&s->cond);
  g_mutex_unlock (&s->lock);
  g_object_unref (local);

  g_main_loop_run (s->loop);

  g_source_destroy (tick);
  g_source_unref (tick);
  /* end the paused streams properly, so that their connections go */
  while (s->clients != NULL) {
    SoupServerMessage *msg = s->clients->data;

    s->clients = g_list_delete_link (s->clients, s->clients);
    soup_message_body_complete (soup_server_message_get_response_body (msg));
    soup_server_message_unpause (msg);
  }
  while (g_main_context_iteration (s->ctx, FALSE));
  soup_server_disconnect (s->server);
  g_object_unref (s->server);
  /* let the closed connections' sources run and drop their refs */
  while (g_main_context_iteration (s->ctx, FALSE));
  g_main_context_pop_thread_default (s->ctx);
  return NULL;
}

static Server *
server_start_full (Mode mode, GTlsCertificate * cert, const gchar * user,
    const gchar * pass, gboolean digest)
{
  Server *s = g_new0 (Server, 1);

  s->digest = digest;
  s->mode = mode;
  s->cert = cert;
  s->basic_user = user;
  s->basic_pass = pass;
  s->ctx = g_main_context_new ();
  s->loop = g_main_loop_new (s->ctx, FALSE);
  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->thread = g_thread_new ("test-server", server_thread, s);
  g_mutex_lock (&s->lock);
  while (s->url == NULL)
    g_cond_wait (&s->cond, &s->lock);
  g_mutex_unlock (&s->lock);
  return s;
}

static Server *
server_start (Mode mode, GTlsCertificate * cert, const gchar * user,
    const gchar * pass)
{
  return server_start_full (mode, cert, user, pass, FALSE);
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
server_stop (Server * s)
{
  g_main_context_invoke (s->ctx, quit_loop, s->loop);
  g_thread_join (s->thread);
  g_main_loop_unref (s->loop);
  g_main_context_unref (s->ctx);
  g_list_free (s->clients);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s->url);
  g_free (s);
}

static GTlsCertificate *
make_certificate (void)
{
  gchar *pem = test_make_certificate_pem ();
  GTlsCertificate *cert = g_tls_certificate_new_from_pem (pem, -1, NULL);

  fail_unless (cert != NULL);
  g_free (pem);
  return cert;
}

/* ---- the pipeline ---- */

static TestPipe
pipe_new (const gchar * url)
{
  return test_pipe_new ("seecitvsrc name=src retry-delay=50000000 "
      "timeout=5000000000 ! appsink name=sink sync=false", url);
}

static GstSample *
pull (TestPipe * p)
{
  return gst_app_sink_try_pull_sample (GST_APP_SINK (p->sink), 20 * GST_SECOND);
}

/* Waits for the pipeline's error; checks RESOURCE NOT_AUTHORIZED and the
 * `reason` detail; returns the details (free them). */
static GstStructure *
expect_auth_error (TestPipe * p, const gchar * reason)
{
  GstBus *bus = gst_element_get_bus (p->pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_ERROR | GST_MESSAGE_EOS);
  GError *err = NULL;
  const GstStructure *details = NULL;
  GstStructure *copy;

  fail_unless (msg != NULL, "no error within 20 s");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (err->code, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  gst_message_parse_error_details (msg, &details);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      reason);
  copy = gst_structure_copy (details);
  g_error_free (err);
  gst_message_unref (msg);
  gst_object_unref (bus);
  return copy;
}

/* ---- tests ---- */

GST_START_TEST (test_frames_with_timestamps)
{
  gchar *key = write_key ("a.key", KEY_A);
  TestDevice *d = test_device_start ("--key-file", key, "--device-id", DEVICE,
      "--mac", "02:00:5e:10:00:01", "--name", "porch", NULL);
  TestPipe p = pipe_new (d->url);
  GstClockTime last = GST_CLOCK_TIME_NONE;
  GstTagList *tags = NULL;
  gchar *s = NULL;
  GstPad *pad;
  GstEvent *ev;
  guint i;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  fail_unless (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < 10; i++) {
    GstSample *sample = pull (&p);
    GstBuffer *buf;
    GstMapInfo map;

    fail_unless (sample != NULL, "no frame %u", i);
    buf = gst_sample_get_buffer (sample);
    fail_unless (GST_BUFFER_PTS_IS_VALID (buf));
    if (i > 0)
      fail_unless (GST_BUFFER_PTS (buf) > last);
    last = GST_BUFFER_PTS (buf);
    fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
    fail_unless (map.size > 100 && map.data[0] == 0xff && map.data[1] == 0xd8);
    gst_buffer_unmap (buf, &map);
    if (i == 0) {
      const GstStructure *st =
          gst_caps_get_structure (gst_sample_get_caps (sample), 0);
      gint n = 0, dd = 0;

      fail_unless (gst_structure_has_name (st, "image/jpeg"));
      fail_unless (gst_structure_get_fraction (st, "framerate", &n, &dd));
      /* the device's default scene is 10 fps */
      fail_unless (n > 0 && ABS ((gdouble) n / dd - 10.0) < 1.0,
          "framerate %d/%d", n, dd);
      fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
    } else {
      fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
    }
    gst_sample_unref (sample);
  }
  /* 10 frames at 10 fps span about a second of capture time */
  fail_unless (last > 500 * GST_MSECOND && last < 5 * GST_SECOND,
      "last pts %" GST_TIME_FORMAT, GST_TIME_ARGS (last));

  pad = gst_element_get_static_pad (p.sink, "sink");
  ev = gst_pad_get_sticky_event (pad, GST_EVENT_TAG, 0);
  fail_unless (ev != NULL);
  gst_event_parse_tag (ev, &tags);
  fail_unless (gst_tag_list_get_string (tags, "seecitv-device-id", &s));
  fail_unless_equals_string (s, DEVICE);
  g_free (s);
  fail_unless (gst_tag_list_get_string (tags, "seecitv-device-name", &s));
  fail_unless_equals_string (s, "porch");
  g_free (s);
  /* the MAC only as its pseudonym (docs/protocol.md vector's key is
   * KEY_A: the same value) */
  fail_unless (gst_tag_list_get_string (tags,
          "seecitv-device-mac-pseudonym", &s));
  fail_unless_equals_string (s, "b95252b2a86dc054a1a92beb9b26c54b");
  g_free (s);
  gst_event_unref (ev);
  gst_object_unref (pad);

  test_pipe_free (&p);
  test_device_stop (d);
  g_free (key);
}

GST_END_TEST;

GST_START_TEST (test_wrong_secret)
{
  gchar *key_a = write_key ("a.key", KEY_A);
  gchar *key_b = write_key ("b.key", KEY_B);
  TestDevice *d = test_device_start ("--key-file", key_a, "--device-id", DEVICE,
      NULL);
  TestPipe p = pipe_new (d->url);
  GstStructure *details;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key_b, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  details = expect_auth_error (&p, "wrong-secret");
  gst_structure_free (details);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (key_a);
  g_free (key_b);
}

GST_END_TEST;

/* A device with another id is not the one we paired with. */
GST_START_TEST (test_wrong_device)
{
  gchar *key = write_key ("a.key", KEY_A);
  TestDevice *d = test_device_start ("--key-file", key, "--device-id", "cam-2", NULL);
  TestPipe p = pipe_new (d->url);
  GstStructure *details;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  details = expect_auth_error (&p, "wrong-device");
  gst_structure_free (details);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (key);
}

GST_END_TEST;

/* A server that challenges like a device, then accepts anything and
 * streams with a replayed device proof (the vector's): refused. */
GST_START_TEST (test_impostor)
{
  gchar *key = write_key ("a.key", KEY_A);
  Server *s = server_start (MODE_IMPOSTOR, NULL, NULL, NULL);
  TestPipe p = pipe_new (s->url);
  GstStructure *details;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  details = expect_auth_error (&p, "impostor");
  gst_structure_free (details);
  /* and no frame got through */
  fail_unless (gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink), 0) == NULL);
  test_pipe_free (&p);
  server_stop (s);
  g_free (key);
}

GST_END_TEST;

/* A plain MJPEG server (no seecitv protocol) with a key set: refused. */
GST_START_TEST (test_not_seecitv)
{
  gchar *key = write_key ("a.key", KEY_A);
  Server *s = server_start (MODE_PLAIN, NULL, NULL, NULL);
  TestPipe p = pipe_new (s->url);
  GstStructure *details;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  details = expect_auth_error (&p, "impostor");
  gst_structure_free (details);
  test_pipe_free (&p);
  server_stop (s);
  g_free (key);
}

GST_END_TEST;

static gboolean
has_message (GList * msgs, const gchar * name)
{
  for (; msgs != NULL; msgs = msgs->next) {
    const GstStructure *st = gst_message_get_structure (msgs->data);
    if (st != NULL && gst_structure_has_name (st, name))
      return TRUE;
  }
  return FALSE;
}

GST_START_TEST (test_reconnect)
{
  gchar *key = write_key ("a.key", KEY_A);
  TestDevice *d = test_device_start ("--key-file", key, "--device-id", DEVICE,
      "--drop-after", "4", NULL);
  TestPipe p = pipe_new (d->url);
  GstBus *bus;
  GstMessage *m;
  GList *msgs = NULL;
  guint i, disconts = 0;
  GstClockTime last = 0;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 14; i++) {
    GstSample *sample = pull (&p);
    GstBuffer *buf;

    fail_unless (sample != NULL, "no frame %u", i);
    buf = gst_sample_get_buffer (sample);
    if (i > 0 && GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
      disconts++;
    if (i > 0)
      fail_unless (GST_BUFFER_PTS (buf) > last);
    last = GST_BUFFER_PTS (buf);
    gst_sample_unref (sample);
  }
  /* 4 frames per connection: at least two gaps within 14 frames */
  fail_unless (disconts >= 2, "%u DISCONT", disconts);
  fail_if (gst_app_sink_is_eos (GST_APP_SINK (p.sink)));

  bus = gst_element_get_bus (p.pipeline);
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT |
              GST_MESSAGE_ERROR | GST_MESSAGE_EOS)) != NULL) {
    fail_if (GST_MESSAGE_TYPE (m) != GST_MESSAGE_ELEMENT);
    msgs = g_list_prepend (msgs, m);
  }
  fail_unless (has_message (msgs, "seecitvsrc-disconnected"));
  fail_unless (has_message (msgs, "seecitvsrc-reconnected"));
  g_list_free_full (msgs, (GDestroyNotify) gst_message_unref);
  gst_object_unref (bus);

  test_pipe_free (&p);
  test_device_stop (d);
  g_free (key);
}

GST_END_TEST;

/* The device stops sending but keeps the connection: after `timeout` the
 * source reconnects, and frames continue after a DISCONT. */
GST_START_TEST (test_stall)
{
  gchar *key = write_key ("a.key", KEY_A);
  TestDevice *d = test_device_start ("--key-file", key, "--device-id", DEVICE,
      "--stall-after", "3", NULL);
  TestPipe p = pipe_new (d->url);
  guint i, disconts = 0;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key,
      "timeout", GST_SECOND, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 7; i++) {
    GstSample *sample = pull (&p);

    fail_unless (sample != NULL, "no frame %u", i);
    if (i > 0 && GST_BUFFER_FLAG_IS_SET (gst_sample_get_buffer (sample),
            GST_BUFFER_FLAG_DISCONT))
      disconts++;
    gst_sample_unref (sample);
  }
  fail_unless (disconts >= 1);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (key);
}

GST_END_TEST;

/* Parts that are not JPEG are dropped and counted, once warned about. */
GST_START_TEST (test_corrupt_parts)
{
  gchar *key = write_key ("a.key", KEY_A);
  TestDevice *d = test_device_start ("--key-file", key, "--device-id", DEVICE,
      "--corrupt-every", "2", NULL);
  TestPipe p = pipe_new (d->url);
  GstBus *bus;
  GstMessage *m;
  guint i, warnings = 0;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 6; i++) {
    GstSample *sample = pull (&p);
    GstMapInfo map;

    fail_unless (sample != NULL, "no frame %u", i);
    fail_unless (gst_buffer_map (gst_sample_get_buffer (sample), &map,
            GST_MAP_READ));
    fail_unless (map.size > 2 && map.data[0] == 0xff && map.data[1] == 0xd8);
    gst_buffer_unmap (gst_sample_get_buffer (sample), &map);
    gst_sample_unref (sample);
  }
  bus = gst_element_get_bus (p.pipeline);
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING)) != NULL) {
    GError *err = NULL;
    const GstStructure *details = NULL;
    guint dropped = 0;

    gst_message_parse_warning (m, &err, NULL);
    gst_message_parse_warning_details (m, &details);
    if (err->domain == GST_STREAM_ERROR) {
      fail_unless_equals_int (err->code, GST_STREAM_ERROR_DECODE);
      fail_unless (details != NULL &&
          gst_structure_get_uint (details, "dropped", &dropped));
      fail_unless (dropped >= 1);
      warnings++;
    }
    g_error_free (err);
    gst_message_unref (m);
  }
  /* one warning, not one per part */
  fail_unless_equals_int (warnings, 1);
  gst_object_unref (bus);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (key);
}

GST_END_TEST;

/* Every part is larger than max-frame-size: dropped with a warning, the
 * connection retried, and after max-retries an error; memory stays bounded
 * by max-frame-size. */
GST_START_TEST (test_oversized_parts)
{
  gchar *key = write_key ("a.key", KEY_A);
  TestDevice *d = test_device_start ("--key-file", key, "--device-id", DEVICE, NULL);
  TestPipe p = pipe_new (d->url);
  GstBus *bus;
  GstMessage *m;
  GError *err = NULL;
  const GstStructure *details = NULL;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key,
      "max-frame-size", 1024, "max-retries", 2, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (p.pipeline);
  /* the first warning is about plain HTTP */
  for (;;) {
    gboolean stream;

    m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_WARNING);
    fail_unless (m != NULL, "no STREAM warning");
    gst_message_parse_warning (m, &err, NULL);
    stream = err->domain == GST_STREAM_ERROR;
    g_clear_error (&err);
    gst_message_unref (m);
    if (stream)
      break;
  }
  m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (err->code, GST_RESOURCE_ERROR_READ);
  gst_message_parse_error_details (m, &details);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "gave-up");
  g_clear_error (&err);
  gst_message_unref (m);
  fail_unless (gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink), 0) == NULL);
  gst_object_unref (bus);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (key);
}

GST_END_TEST;

/* A part header that never ends: the parser's header limit stops it, the
 * source warns (STREAM FORMAT, counted), retries, and gives up after
 * max-retries. */
GST_START_TEST (test_endless_headers)
{
  Server *s = server_start (MODE_ENDLESS_HEADERS, NULL, NULL, NULL);
  TestPipe p = pipe_new (s->url);
  GstBus *bus;
  GstMessage *m;
  GError *err = NULL;
  guint stream_warnings = 0;

  g_object_set (p.src, "max-retries", 1, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (p.pipeline);
  /* popping with a filter discards the rest: take both kinds */
  while ((m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
              GST_MESSAGE_ERROR | GST_MESSAGE_WARNING)) != NULL) {
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (m, &err, NULL);
      fail_unless (err->domain == GST_RESOURCE_ERROR);
      fail_unless_equals_int (err->code, GST_RESOURCE_ERROR_READ);
      g_clear_error (&err);
      gst_message_unref (m);
      break;
    }
    gst_message_parse_warning (m, &err, NULL);
    if (err->domain == GST_STREAM_ERROR) {
      fail_unless_equals_int (err->code, GST_STREAM_ERROR_FORMAT);
      stream_warnings++;
    }
    g_clear_error (&err);
    gst_message_unref (m);
  }
  fail_unless (m != NULL, "no error within 20 s");
  /* two connections failed the same way: one warning */
  fail_unless_equals_int (stream_warnings, 1);
  fail_unless (gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink), 0) == NULL);
  gst_object_unref (bus);
  test_pipe_free (&p);
  server_stop (s);
}

GST_END_TEST;

/* The device is killed mid-stream and comes back on the same port: frames
 * flow again, no EOS, a DISCONT, both messages. */
GST_START_TEST (test_device_restart)
{
  gchar *key = write_key ("a.key", KEY_A);
  gchar *port_arg = g_strdup_printf ("--port=%u", test_free_port ());
  TestDevice *d = test_device_start ("--key-file", key, "--device-id", DEVICE,
      port_arg, NULL);
  TestPipe p = pipe_new (d->url);
  GstSample *sample;
  GstBus *bus;
  GstMessage *m;
  GList *msgs = NULL;
  guint i;
  gboolean discont = FALSE;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 3; i++) {
    sample = pull (&p);
    fail_unless (sample != NULL);
    gst_sample_unref (sample);
  }
  test_device_stop (d);
  /* frames queued before the kill may still come: drain them */
  while ((sample = gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink),
              300 * GST_MSECOND)) != NULL)
    gst_sample_unref (sample);
  d = test_device_start ("--key-file", key, "--device-id", DEVICE, port_arg, NULL);
  for (i = 0; i < 3; i++) {
    sample = pull (&p);
    fail_unless (sample != NULL, "no frame after the restart");
    if (GST_BUFFER_FLAG_IS_SET (gst_sample_get_buffer (sample),
            GST_BUFFER_FLAG_DISCONT))
      discont = TRUE;
    gst_sample_unref (sample);
  }
  fail_unless (discont);
  fail_if (gst_app_sink_is_eos (GST_APP_SINK (p.sink)));
  bus = gst_element_get_bus (p.pipeline);
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT |
              GST_MESSAGE_ERROR | GST_MESSAGE_EOS)) != NULL) {
    fail_if (GST_MESSAGE_TYPE (m) != GST_MESSAGE_ELEMENT);
    msgs = g_list_prepend (msgs, m);
  }
  fail_unless (has_message (msgs, "seecitvsrc-disconnected"));
  fail_unless (has_message (msgs, "seecitvsrc-reconnected"));
  g_list_free_full (msgs, (GDestroyNotify) gst_message_unref);
  gst_object_unref (bus);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (port_arg);
  g_free (key);
}

GST_END_TEST;

/* GET @url with @authz (may be NULL); returns the status, and the
 * response's WWW-Authenticate in @www if asked. */
static guint
raw_get (SoupSession * session, const gchar * url, const gchar * authz,
    gchar ** www)
{
  SoupMessage *msg = soup_message_new ("GET", url);
  GInputStream *in;
  guint status;

  if (authz != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", authz);
  in = soup_session_send (session, msg, NULL, NULL);
  fail_unless (in != NULL);
  status = soup_message_get_status (msg);
  if (www != NULL)
    *www = g_strdup (soup_message_headers_get_one
        (soup_message_get_response_headers (msg), "WWW-Authenticate"));
  g_input_stream_close (in, NULL, NULL);
  g_object_unref (in);
  g_object_unref (msg);
  return status;
}

/* The device side, through the real tool: a proper exchange works once; the
 * same Authorization replayed is refused, also after a device restart. */
GST_START_TEST (test_replay_refused)
{
  gchar *key = write_key ("a.key", KEY_A);
  gchar *port_arg = g_strdup_printf ("--port=%u", test_free_port ());
  TestDevice *d = test_device_start ("--key-file", key, "--device-id", DEVICE,
      port_arg, NULL);
  gchar *info_url = g_strdup (d->url);
  SoupSession *session = soup_session_new ();
  guint8 k[32];
  gchar *www = NULL, *cnonce, *authz;
  SeecitvChallenge *ch;
  SeecitvAuthorization a;

  fail_unless (seecitv_protocol_parse_key (KEY_A, 64, k, NULL));
  strcpy (strstr (info_url, SEECITV_PROTOCOL_STREAM_PATH),
      SEECITV_PROTOCOL_INFO_PATH);
  fail_unless_equals_int (raw_get (session, info_url, NULL, &www), 401);
  ch = seecitv_protocol_parse_challenge (www, NULL);
  fail_unless (ch != NULL);
  cnonce = seecitv_protocol_random_hex (16, NULL);
  a.device_id = (gchar *) DEVICE;
  a.challenge = ch->challenge;
  a.cnonce = cnonce;
  a.proof = seecitv_protocol_compute_proof (SEECITV_PROOF_CLIENT, k, 32,
      DEVICE, ch->challenge, cnonce, "GET", SEECITV_PROTOCOL_INFO_PATH, NULL);
  authz = seecitv_protocol_format_authorization (&a);

  fail_unless_equals_int (raw_get (session, info_url, authz, NULL), 200);
  /* replayed */
  fail_unless_equals_int (raw_get (session, info_url, authz, NULL), 401);
  /* replayed to the restarted device */
  test_device_stop (d);
  d = test_device_start ("--key-file", key, "--device-id", DEVICE, port_arg, NULL);
  g_object_unref (session);
  session = soup_session_new ();
  fail_unless_equals_int (raw_get (session, info_url, authz, NULL), 401);

  g_object_unref (session);
  test_device_stop (d);
  seecitv_challenge_free (ch);
  g_free (a.proof);
  g_free (authz);
  g_free (cnonce);
  g_free (www);
  g_free (info_url);
  g_free (port_arg);
  g_free (key);
}

GST_END_TEST;

/* The device is not up yet when the pipeline starts: frames flow once it
 * is. */
GST_START_TEST (test_server_starts_late)
{
  gchar *key = write_key ("a.key", KEY_A), *url, *port_arg;
  guint16 port = test_free_port ();
  TestDevice *d;
  TestPipe p;
  GstSample *sample;

  url = g_strdup_printf ("http://127.0.0.1:%u/seecitv/v1/stream", port);
  p = pipe_new (url);
  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  g_usleep (500 * 1000);
  port_arg = g_strdup_printf ("--port=%u", port);
  /* the later --port wins over device_start's --port=0 */
  d = test_device_start ("--key-file", key, "--device-id", DEVICE, port_arg, NULL);
  sample = pull (&p);
  fail_unless (sample != NULL);
  gst_sample_unref (sample);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (port_arg);
  g_free (url);
  g_free (key);
}

GST_END_TEST;

GST_START_TEST (test_tls_pin)
{
  GTlsCertificate *cert = make_certificate ();
  gchar *pin = test_certificate_pin (cert);
  Server *s = server_start (MODE_PLAIN, cert, NULL, NULL);
  TestPipe p = pipe_new (s->url);
  GstSample *sample;

  fail_unless (g_str_has_prefix (s->url, "https://"));
  g_object_set (p.src, "tls-pin", pin, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  sample = pull (&p);
  fail_unless (sample != NULL);
  gst_sample_unref (sample);
  fail_unless (g_atomic_int_get (&s->requests) >= 1);
  test_pipe_free (&p);
  server_stop (s);
  g_object_unref (cert);
  g_free (pin);
}

GST_END_TEST;

GST_START_TEST (test_tls_pin_mismatch)
{
  GTlsCertificate *cert = make_certificate ();
  gchar *pin = test_certificate_pin (cert);
  Server *s = server_start (MODE_PLAIN, cert, "user", "secret");
  TestPipe p = pipe_new (s->url);
  GstStructure *details;

  g_object_set (p.src, "tls-pin", "sha256:"
      "0000000000000000000000000000000000000000000000000000000000000000",
      "user-id", "user", "user-pw", "secret", NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  details = expect_auth_error (&p, "tls-pin-mismatch");
  fail_unless_equals_string (gst_structure_get_string (details,
          "tls-fingerprint"), pin);
  gst_structure_free (details);
  /* the handshake failed: not one request (let alone credentials) */
  fail_unless_equals_int (g_atomic_int_get (&s->requests), 0);
  test_pipe_free (&p);
  server_stop (s);
  g_object_unref (cert);
  g_free (pin);
}

GST_END_TEST;

/* No pin, no CA file: a self-signed certificate is not trusted. */
GST_START_TEST (test_tls_untrusted)
{
  GTlsCertificate *cert = make_certificate ();
  gchar *pin = test_certificate_pin (cert);
  Server *s = server_start (MODE_PLAIN, cert, NULL, NULL);
  TestPipe p = pipe_new (s->url);
  GstStructure *details;

  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  details = expect_auth_error (&p, "tls-untrusted");
  fail_unless_equals_string (gst_structure_get_string (details,
          "tls-fingerprint"), pin);
  gst_structure_free (details);
  fail_unless_equals_int (g_atomic_int_get (&s->requests), 0);
  test_pipe_free (&p);
  server_stop (s);
  g_object_unref (cert);
  g_free (pin);
}

GST_END_TEST;

/* HTTPS through tls-ca-file: seecitv-device's own certificate as the CA. */
GST_START_TEST (test_tls_ca_file)
{
  gchar *key = write_key ("a.key", KEY_A);
  gchar *ca = g_build_filename (tmpdir, "ca.pem", NULL);
  TestDevice *d = test_device_start ("--key-file", key, "--device-id", DEVICE,
      "--tls-generate", "--tls-cert-out", ca, NULL);
  TestPipe p = pipe_new (d->url);
  GstSample *sample;

  fail_unless (g_str_has_prefix (d->url, "https://127.0.0.1:"));
  fail_unless (d->pin != NULL && strlen (d->pin) == 7 + 64);
  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key,
      "tls-ca-file", ca, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  sample = pull (&p);
  fail_unless (sample != NULL);
  gst_sample_unref (sample);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (ca);
  g_free (key);
}

GST_END_TEST;

GST_START_TEST (test_basic_auth)
{
  Server *s = server_start (MODE_PLAIN, NULL, "user", "secret");
  TestPipe p = pipe_new (s->url);
  GstSample *sample;
  guint i;

  g_object_set (p.src, "user-id", "user", "user-pw", "secret", NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 3; i++) {
    sample = pull (&p);
    fail_unless (sample != NULL);
    gst_sample_unref (sample);
  }
  test_pipe_free (&p);
  server_stop (s);
}

GST_END_TEST;

GST_START_TEST (test_basic_auth_wrong)
{
  Server *s = server_start (MODE_PLAIN, NULL, "user", "secret");
  TestPipe p = pipe_new (s->url);
  GstStructure *details;

  g_object_set (p.src, "user-id", "user", "user-pw", "wrong", NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  details = expect_auth_error (&p, "http-auth");
  {
    guint status = 0;
    fail_unless (gst_structure_get_uint (details, "http-status-code", &status));
    fail_unless_equals_int (status, 401);
  }
  gst_structure_free (details);
  test_pipe_free (&p);
  server_stop (s);
}

GST_END_TEST;

GST_START_TEST (test_digest_auth)
{
  Server *s = server_start_full (MODE_PLAIN, NULL, "user", "secret", TRUE);
  TestPipe p = pipe_new (s->url);
  GstSample *sample;

  g_object_set (p.src, "user-id", "user", "user-pw", "secret", NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  sample = pull (&p);
  fail_unless (sample != NULL);
  gst_sample_unref (sample);
  test_pipe_free (&p);
  server_stop (s);
}

GST_END_TEST;

GST_START_TEST (test_digest_auth_wrong)
{
  Server *s = server_start_full (MODE_PLAIN, NULL, "user", "secret", TRUE);
  TestPipe p = pipe_new (s->url);
  GstStructure *details;

  g_object_set (p.src, "user-id", "user", "user-pw", "wrong", NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  details = expect_auth_error (&p, "http-auth");
  gst_structure_free (details);
  test_pipe_free (&p);
  server_stop (s);
}

GST_END_TEST;

/* ---- the pairing secret from the keystore ---- */

/* Makes a key-file keystore (master key beside it) under tmpdir holding
 * @hex (64 hex digits, or NULL for none) as @device's pairing secret. */
static gchar *
make_keystore (const gchar * device, const gchar * hex)
{
  gchar *path = g_build_filename (tmpdir, "keys.db", NULL);
  gchar *key_path = seecitv_keystore_default_key_path (path);
  guint8 master[SEECITV_KEYSTORE_MASTER_KEY_SIZE], secret[32];
  SeecitvKeystore *ks;
  GError *err = NULL;

  fail_unless (seecitv_keystore_master_key_create (key_path, master, &err),
      "%s", err ? err->message : "");
  ks = seecitv_keystore_create_with_key (path, master, &err);
  fail_unless (ks != NULL, "%s", err ? err->message : "");
  fail_unless (seecitv_keystore_add_device (ks, device, &err));
  if (hex != NULL) {
    fail_unless (seecitv_protocol_parse_key (hex, 64, secret, NULL));
    fail_unless (seecitv_keystore_set_pairing_secret (ks, device, secret,
            sizeof (secret), &err), "%s", err ? err->message : "");
  }
  fail_unless (seecitv_keystore_save (ks, &err), "%s",
      err ? err->message : "");
  seecitv_keystore_free (ks);
  g_free (key_path);
  return path;
}

/* Waits for the pipeline's error; checks its domain and code; returns
 * the details (free them; NULL if none) and, when @message is not NULL,
 * the error's text (free it). */
static GstStructure *
expect_error_message (TestPipe * p, GQuark domain, gint code,
    gchar ** message)
{
  GstBus *bus = gst_element_get_bus (p->pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
      GST_MESSAGE_ERROR);
  const GstStructure *details = NULL;
  GstStructure *copy;
  GError *err = NULL;

  fail_unless (msg != NULL, "no error within 20 s");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (err->domain == domain, "error domain %s",
      g_quark_to_string (err->domain));
  fail_unless_equals_int (err->code, code);
  gst_message_parse_error_details (msg, &details);
  copy = details ? gst_structure_copy (details) : NULL;
  if (message != NULL)
    *message = g_strdup (err->message);
  g_error_free (err);
  gst_message_unref (msg);
  gst_object_unref (bus);
  return copy;
}

static GstStructure *
expect_error (TestPipe * p, GQuark domain, gint code)
{
  return expect_error_message (p, domain, code, NULL);
}

/* Counts the "not encrypted" warnings (RESOURCE SETTINGS) on the bus once
 * three frames have arrived. */
static guint
count_plain_http_warnings (TestPipe * p)
{
  GstBus *bus = gst_element_get_bus (p->pipeline);
  GstMessage *msg;
  guint n = 0, i;

  gst_element_set_state (p->pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 3; i++) {
    GstSample *sample = pull (p);

    fail_unless (sample != NULL, "frame %u did not arrive", i);
    gst_sample_unref (sample);
  }
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING)) != NULL) {
    GError *err = NULL;

    gst_message_parse_warning (msg, &err, NULL);
    if (err->domain == GST_RESOURCE_ERROR &&
        err->code == GST_RESOURCE_ERROR_SETTINGS &&
        strstr (err->message, "not encrypted") != NULL)
      n++;
    g_error_free (err);
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  return n;
}

/* Plain http:// works, with exactly one warning that the stream is not
 * encrypted; https:// gives none. */
GST_START_TEST (test_plain_http_warning)
{
  GTlsCertificate *cert = make_certificate ();
  gchar *pin = test_certificate_pin (cert);
  Server *plain = server_start (MODE_PLAIN, NULL, NULL, NULL);
  Server *tls = server_start (MODE_PLAIN, cert, NULL, NULL);
  TestPipe p;

  fail_unless (g_str_has_prefix (plain->url, "http://"));
  p = pipe_new (plain->url);
  fail_unless_equals_int (count_plain_http_warnings (&p), 1);
  test_pipe_free (&p);

  p = pipe_new (tls->url);
  g_object_set (p.src, "tls-pin", pin, NULL);
  fail_unless_equals_int (count_plain_http_warnings (&p), 0);
  test_pipe_free (&p);

  server_stop (plain);
  server_stop (tls);
  g_object_unref (cert);
  g_free (pin);
}

GST_END_TEST;

/* A pin on a plain http:// location would protect nothing: the
 * combination is refused at start (RESOURCE SETTINGS, reason
 * tls-pin-plain-http, "pin" in the message) and the server is never
 * contacted, where it used to stream unprotected. */
GST_START_TEST (test_tls_pin_plain_http)
{
  GTlsCertificate *cert = make_certificate ();
  gchar *pin = test_certificate_pin (cert);
  Server *plain = server_start (MODE_PLAIN, NULL, NULL, NULL);
  GstStructure *details;
  gchar *message = NULL;
  TestPipe p;

  fail_unless (g_str_has_prefix (plain->url, "http://"));
  p = pipe_new (plain->url);
  g_object_set (p.src, "tls-pin", pin, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  details = expect_error_message (&p, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_SETTINGS, &message);
  fail_unless (strstr (message, "pin") != NULL, "%s", message);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "tls-pin-plain-http");
  gst_structure_free (details);
  g_free (message);
  test_pipe_free (&p);
  fail_unless_equals_int (g_atomic_int_get (&plain->requests), 0);
  server_stop (plain);
  g_object_unref (cert);
  g_free (pin);
}

GST_END_TEST;

/* A device that redirects elsewhere (here from its pinned HTTPS to plain
 * HTTP on another server) is an error naming the status; the redirect is
 * not followed: the other server receives no request. */
GST_START_TEST (test_redirect_refused)
{
  GTlsCertificate *cert = make_certificate ();
  gchar *pin = test_certificate_pin (cert);
  Server *target = server_start (MODE_PLAIN, NULL, NULL, NULL);
  Server *device = server_start (MODE_REDIRECT, cert, NULL, NULL);
  TestPipe p;
  GstStructure *details;
  guint code = 0;

  device->redirect_to = target->url;
  p = pipe_new (device->url);
  g_object_set (p.src, "tls-pin", pin, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  details = expect_error (&p, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "http-status");
  fail_unless (gst_structure_get_uint (details, "http-status-code", &code));
  fail_unless_equals_int (code, SOUP_STATUS_FOUND);
  gst_structure_free (details);
  test_pipe_free (&p);
  fail_unless (g_atomic_int_get (&device->requests) >= 1);
  fail_unless_equals_int (g_atomic_int_get (&target->requests), 0);
  server_stop (device);
  server_stop (target);
  g_object_unref (cert);
  g_free (pin);
}

GST_END_TEST;

/* The pairing secret from the keystore: the device (KEY_A in its key
 * file) accepts us, and a keystore holding another secret is refused by
 * the device, which shows the secret really came from the keystore. */
GST_START_TEST (test_keystore)
{
  gchar *key = write_key ("a.key", KEY_A);
  gchar *ks = make_keystore (DEVICE, KEY_A);
  TestDevice *d = test_device_start ("--key-file", key, "--device-id", DEVICE, NULL);
  TestPipe p = pipe_new (d->url);
  GstSample *sample;
  gchar *got = NULL;

  g_object_set (p.src, "device-id", DEVICE, "keystore", ks, NULL);
  g_object_get (p.src, "keystore", &got, NULL);
  fail_unless_equals_string (got, ks);
  g_free (got);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  sample = pull (&p);
  fail_unless (sample != NULL);
  gst_sample_unref (sample);
  test_pipe_free (&p);
  test_device_stop (d);

  /* the same keystore against a device paired with KEY_B: refused */
  g_free (key);
  key = write_key ("b.key", KEY_B);
  d = test_device_start ("--key-file", key, "--device-id", DEVICE, NULL);
  p = pipe_new (d->url);
  g_object_set (p.src, "device-id", DEVICE, "keystore", ks, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  gst_structure_free (expect_auth_error (&p, "wrong-secret"));
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (ks);
  g_free (key);
}

GST_END_TEST;

/* A keystore behind a passphrase (cheap scrypt for the test), unlocked
 * through passphrase-file. */
GST_START_TEST (test_keystore_passphrase)
{
  gchar *key = write_key ("a.key", KEY_A);
  gchar *ks_path = g_build_filename (tmpdir, "pass.db", NULL);
  gchar *pass_file = write_key ("pass.txt", "correct horse battery\n");
  SeecitvKeystoreKdfParams kdf = { 10, 8, 1 };
  const gchar *pass = "correct horse battery";
  guint8 secret[32];
  SeecitvKeystore *ks;
  GError *err = NULL;
  TestDevice *d;
  GstSample *sample;
  TestPipe p;

  ks = seecitv_keystore_create_with_passphrase (ks_path, pass, strlen (pass),
      &kdf, &err);
  fail_unless (ks != NULL, "%s", err ? err->message : "");
  fail_unless (seecitv_keystore_add_device (ks, DEVICE, NULL));
  fail_unless (seecitv_protocol_parse_key (KEY_A, 64, secret, NULL));
  fail_unless (seecitv_keystore_set_pairing_secret (ks, DEVICE, secret,
          sizeof (secret), NULL));
  fail_unless (seecitv_keystore_save (ks, &err), "%s",
      err ? err->message : "");
  seecitv_keystore_free (ks);

  d = test_device_start ("--key-file", key, "--device-id", DEVICE, NULL);
  p = pipe_new (d->url);
  g_object_set (p.src, "device-id", DEVICE, "keystore", ks_path,
      "passphrase-file", pass_file, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  sample = pull (&p);
  fail_unless (sample != NULL);
  gst_sample_unref (sample);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (pass_file);
  g_free (ks_path);
  g_free (key);
}

GST_END_TEST;

/* Both secrets, or a keystore without device-id, or a passphrase file
 * without a keystore: RESOURCE SETTINGS at once, nothing contacted. */
GST_START_TEST (test_keystore_settings)
{
  gchar *key = write_key ("a.key", KEY_A);
  gchar *ks = make_keystore (DEVICE, KEY_A);
  TestPipe p;
  guint i;

  for (i = 0; i < 3; i++) {
    p = pipe_new ("http://127.0.0.1:9/seecitv/v1/stream");
    if (i == 0)
      g_object_set (p.src, "device-id", DEVICE, "keystore", ks,
          "device-key-file", key, NULL);
    else if (i == 1)
      g_object_set (p.src, "keystore", ks, NULL);
    else
      g_object_set (p.src, "device-id", DEVICE, "device-key-file", key,
          "passphrase-file", key, NULL);
    fail_unless_equals_int (gst_element_set_state (p.pipeline,
            GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    {
      GstStructure *details = expect_error (&p, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_SETTINGS);

      gst_clear_structure (&details);
    }
    test_pipe_free (&p);
  }
  g_free (ks);
  g_free (key);
}

GST_END_TEST;

/* A keystore that has no secret for the device, or is missing:
 * RESOURCE OPEN_READ with reason=keystore and the keystore error code. */
GST_START_TEST (test_keystore_no_secret)
{
  gchar *ks = make_keystore (DEVICE, NULL);
  gchar *missing = g_build_filename (tmpdir, "none.db", NULL);
  GstStructure *details;
  TestPipe p;
  gint code = -1;

  p = pipe_new ("http://127.0.0.1:9/seecitv/v1/stream");
  g_object_set (p.src, "device-id", DEVICE, "keystore", ks, NULL);
  fail_unless_equals_int (gst_element_set_state (p.pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  details = expect_error (&p, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "keystore");
  fail_unless (gst_structure_get_int (details, "keystore-error", &code));
  fail_unless_equals_int (code, SEECITV_KEYSTORE_ERROR_NOT_FOUND);
  gst_structure_free (details);
  test_pipe_free (&p);

  /* another device id: not in the keystore */
  p = pipe_new ("http://127.0.0.1:9/seecitv/v1/stream");
  g_object_set (p.src, "device-id", "cam-9", "keystore", ks, NULL);
  fail_unless_equals_int (gst_element_set_state (p.pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  details = expect_error (&p, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ);
  fail_unless (gst_structure_get_int (details, "keystore-error", &code));
  fail_unless_equals_int (code, SEECITV_KEYSTORE_ERROR_NOT_FOUND);
  gst_structure_free (details);
  test_pipe_free (&p);

  p = pipe_new ("http://127.0.0.1:9/seecitv/v1/stream");
  g_object_set (p.src, "device-id", DEVICE, "keystore", missing, NULL);
  fail_unless_equals_int (gst_element_set_state (p.pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  details = expect_error (&p, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "keystore");
  gst_structure_free (details);
  test_pipe_free (&p);
  g_free (missing);
  g_free (ks);
}

GST_END_TEST;

/* A device that rate-limits us (429, Retry-After: 2): one RESOURCE BUSY
 * warning with the details, and no new request before the Retry-After,
 * whatever retry-delay (50 ms) says; then frames. */
GST_START_TEST (test_rate_limited)
{
  Server *s = server_start (MODE_RATE_LIMITED, NULL, NULL, NULL);
  TestPipe p = pipe_new (s->url);
  GstSample *sample;
  GstBus *bus;
  GstMessage *m;
  guint warnings = 0, retry_after = 0;
  gint64 t0, waited;

  t0 = g_get_monotonic_time ();
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  sample = pull (&p);
  fail_unless (sample != NULL);
  gst_sample_unref (sample);
  waited = g_get_monotonic_time () - t0;
  /* one refused request, one that streams: a source ignoring Retry-After
   * would have come back several times within 2 s */
  fail_unless_equals_int (g_atomic_int_get (&s->requests), 2);
  /* a lower bound, not a speed target: it did wait */
  fail_unless (waited >= 2 * G_USEC_PER_SEC - 100 * 1000,
      "first frame after %" G_GINT64_FORMAT " us", waited);
  bus = gst_element_get_bus (p.pipeline);
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING |
              GST_MESSAGE_ERROR)) != NULL) {
    GError *err = NULL;
    const GstStructure *details = NULL;

    fail_if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR);
    gst_message_parse_warning (m, &err, NULL);
    gst_message_parse_warning_details (m, &details);
    if (err->domain == GST_RESOURCE_ERROR &&
        err->code == GST_RESOURCE_ERROR_BUSY) {
      fail_unless_equals_string (gst_structure_get_string (details,
              "reason"), "rate-limited");
      fail_unless (gst_structure_get_uint (details, "retry-after",
              &retry_after));
      warnings++;
    }
    g_error_free (err);
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  fail_unless_equals_int (warnings, 1);
  fail_unless_equals_int (retry_after, 2);
  test_pipe_free (&p);
  server_stop (s);
}

GST_END_TEST;

/* ---- Basic and Digest on the device side (seecitv-device) ---- */

/* @mode is "--basic" or "--digest"; right credentials stream, wrong ones
 * are a NOT_AUTHORIZED error with the 401, no credentials too. */
static void
check_device_http_auth (const gchar * mode)
{
  TestDevice *d = test_device_start (mode, "admin:s3cret", NULL);
  const gchar *pw[] = { "s3cret", "wrong", NULL };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (pw); i++) {
    TestPipe p = pipe_new (d->url);

    if (pw[i] != NULL)
      g_object_set (p.src, "user-id", "admin", "user-pw", pw[i], NULL);
    gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
    if (i == 0) {
      GstSample *sample = pull (&p);

      fail_unless (sample != NULL, "%s: no frame", mode);
      gst_sample_unref (sample);
    } else {
      GstStructure *details = expect_auth_error (&p, "http-auth");
      guint status = 0;

      fail_unless (gst_structure_get_uint (details, "http-status-code",
              &status));
      fail_unless_equals_int (status, 401);
      gst_structure_free (details);
    }
    test_pipe_free (&p);
  }
  test_device_stop (d);
}

GST_START_TEST (test_device_basic)
{
  check_device_http_auth ("--basic");
}

GST_END_TEST;

GST_START_TEST (test_device_digest)
{
  check_device_http_auth ("--digest");
}

GST_END_TEST;

/* A server that accepts the connection and never answers: NULL returns at
 * once, not after `timeout`. */
GST_START_TEST (test_stop_while_waiting)
{
  GSocketListener *l = g_socket_listener_new ();
  GSocketAddress *sa = g_inet_socket_address_new_from_string ("127.0.0.1",
      0), *effective = NULL;
  gchar *url;
  TestPipe p;
  gint64 t;

  /* listening, never accepting: the kernel completes the handshake */
  fail_unless (g_socket_listener_add_address (l, sa, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL, &effective, NULL));
  url = g_strdup_printf ("http://127.0.0.1:%u/stream",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  p = pipe_new (url);
  g_object_set (p.src, "timeout", 60 * GST_SECOND, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  g_usleep (500 * 1000);
  t = g_get_monotonic_time ();
  test_pipe_free (&p);
  fail_unless (g_get_monotonic_time () - t < G_USEC_PER_SEC);
  g_socket_listener_close (l);
  g_object_unref (l);
  g_object_unref (sa);
  g_object_unref (effective);
  g_free (url);
}

GST_END_TEST;

/* NULL while the connection is still being retried returns at once. */
GST_START_TEST (test_stop_while_connecting)
{
  TestPipe p = pipe_new ("http://127.0.0.1:9/stream");
  gint64 t;

  g_object_set (p.src, "retry-delay", 10 * GST_SECOND, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  g_usleep (300 * 1000);
  t = g_get_monotonic_time ();
  test_pipe_free (&p);
  fail_unless (g_get_monotonic_time () - t < G_USEC_PER_SEC);
}

GST_END_TEST;

static Suite *
seecitvsrc_suite (void)
{
  Suite *s = suite_create ("seecitvsrc");
  TCase *tc = tcase_create ("general");

  test_no_proxy ();
  test_asan_no_fork ();

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_frames_with_timestamps);
  tcase_add_test (tc, test_wrong_secret);
  tcase_add_test (tc, test_wrong_device);
  tcase_add_test (tc, test_impostor);
  tcase_add_test (tc, test_not_seecitv);
  tcase_add_test (tc, test_reconnect);
  tcase_add_test (tc, test_stall);
  tcase_add_test (tc, test_corrupt_parts);
  tcase_add_test (tc, test_oversized_parts);
  tcase_add_test (tc, test_endless_headers);
  tcase_add_test (tc, test_server_starts_late);
  tcase_add_test (tc, test_device_restart);
  tcase_add_test (tc, test_replay_refused);
  tcase_add_test (tc, test_tls_pin);
  tcase_add_test (tc, test_tls_pin_mismatch);
  tcase_add_test (tc, test_tls_untrusted);
  tcase_add_test (tc, test_tls_ca_file);
  tcase_add_test (tc, test_plain_http_warning);
  tcase_add_test (tc, test_tls_pin_plain_http);
  tcase_add_test (tc, test_redirect_refused);
  tcase_add_test (tc, test_basic_auth);
  tcase_add_test (tc, test_basic_auth_wrong);
  tcase_add_test (tc, test_digest_auth);
  tcase_add_test (tc, test_digest_auth_wrong);
  tcase_add_test (tc, test_rate_limited);
  tcase_add_test (tc, test_keystore);
  tcase_add_test (tc, test_keystore_passphrase);
  tcase_add_test (tc, test_keystore_settings);
  tcase_add_test (tc, test_keystore_no_secret);
  tcase_add_test (tc, test_device_basic);
  tcase_add_test (tc, test_device_digest);
  tcase_add_test (tc, test_stop_while_connecting);
  tcase_add_test (tc, test_stop_while_waiting);
  return s;
}

GST_CHECK_MAIN (seecitvsrc);
