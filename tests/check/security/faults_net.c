/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Network faults of issue 7's matrix, over real loopback sockets:
 *
 * - TLS handshake interrupted: a TCP server of our own (127.0.0.1) in
 *   front of seecitv-device --tls-generate that, for its first
 *   connections, reads the ClientHello and then either answers half a
 *   ServerHello record and closes, or says nothing at all (a stall); later
 *   connections are passed through to the device. seecitvsrc retries them
 *   like any lost connection (no crash, no trust error), streams once the
 *   device answers, and when it never does gives up with a gave-up error
 *   whose details say what it last met. A trust failure (wrong pin) is
 *   never retried: one connection only.
 * - Device clock jump: seecitv-device --time-jump-after/--time-jump moves
 *   the capture-time header an hour back or forth mid-stream; the output
 *   timestamps stay strictly increasing, spaced like the frames, and one
 *   STREAM FORMAT warning says so.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>
#include <string.h>

#include "../elements/seecitvsrc_device.h"
#include "../common/testfs.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define DEVICE "cam-1"

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = test_tmpdir_new ("faults-net-XXXXXX");
}

static void
teardown (void)
{
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static gchar *
write_key (void)
{
  return test_write_key (tmpdir, "a.key", KEY_A);
}

/* ---- the interrupting TCP server ---- */

typedef enum
{
  CUT_HALF_SERVER_HELLO,        /* half a record, then close */
  CUT_STALL                     /* read the ClientHello, answer nothing */
} Cut;

typedef struct
{
  Cut cut;
  gint faulty;                  /* connections to interrupt, -1: all */
  guint16 device_port;          /* pass later ones through to here */

  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  GSocketService *service;
  GList *held;                  /* of GIOStream, server thread only */
  gint connections;             /* atomic */
  guint16 port;
  GMutex lock;
  GCond cond;
  gboolean ready;
} Cutter;

typedef struct
{
  Cutter *c;
  GSocketConnection *conn;
  guint8 buf[2048];
} Pending;

/* A TLS 1.2 handshake record header announcing 64 bytes, and the start of
 * a ServerHello: the client waits for the rest, which never comes. */
static const guint8 half_server_hello[] = {
  0x16, 0x03, 0x03, 0x00, 0x40, 0x02, 0x00, 0x00, 0x3c, 0x03, 0x03
};

static void
client_hello_read_cb (GObject * source, GAsyncResult * res, gpointer data)
{
  Pending *p = data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), res, NULL);

  /* a TLS ClientHello starts with a handshake record */
  if (n > 0 && p->buf[0] != 0x16)
    g_printerr ("faults_net: not a ClientHello (0x%02x)\n", p->buf[0]);
  if (p->c->cut == CUT_STALL) {
    p->c->held = g_list_prepend (p->c->held, g_object_ref (p->conn));
  } else {
    GOutputStream *out =
        g_io_stream_get_output_stream (G_IO_STREAM (p->conn));

    g_output_stream_write_all (out, half_server_hello,
        sizeof (half_server_hello), NULL, NULL, NULL);
    g_io_stream_close (G_IO_STREAM (p->conn), NULL, NULL);
  }
  g_object_unref (p->conn);
  g_free (p);
}

static void
splice_done_cb (GObject * source, GAsyncResult * res, gpointer data)
{
  g_io_stream_splice_finish (res, NULL);
}

static gboolean
incoming_cb (GSocketService * service, GSocketConnection * conn,
    GObject * source, gpointer data)
{
  Cutter *c = data;
  gint n = g_atomic_int_add (&c->connections, 1);

  if (c->faulty < 0 || n < c->faulty) {
    Pending *p = g_new0 (Pending, 1);

    p->c = c;
    p->conn = g_object_ref (conn);
    g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM
            (conn)), p->buf, sizeof (p->buf), G_PRIORITY_DEFAULT, NULL,
        client_hello_read_cb, p);
  } else {
    GSocketClient *client = g_socket_client_new ();
    GSocketConnection *dev = g_socket_client_connect_to_host (client,
        "127.0.0.1", c->device_port, NULL, NULL);

    g_object_unref (client);
    if (dev == NULL)
      return TRUE;
    g_io_stream_splice_async (G_IO_STREAM (conn), G_IO_STREAM (dev),
        G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
        G_PRIORITY_DEFAULT, NULL, splice_done_cb, NULL);
    g_object_unref (dev);
  }
  return TRUE;
}

static gpointer
cutter_thread (gpointer data)
{
  Cutter *c = data;
  GSocketAddress *sa, *effective = NULL;

  g_main_context_push_thread_default (c->ctx);
  c->service = g_socket_service_new ();
  sa = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  fail_unless (g_socket_listener_add_address (G_SOCKET_LISTENER (c->service),
          sa, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
          NULL));
  g_object_unref (sa);
  c->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
      (effective));
  g_object_unref (effective);
  g_signal_connect (c->service, "incoming", G_CALLBACK (incoming_cb), c);
  g_socket_service_start (c->service);

  g_mutex_lock (&c->lock);
  c->ready = TRUE;
  g_cond_signal (&c->cond);
  g_mutex_unlock (&c->lock);

  g_main_loop_run (c->loop);

  g_socket_service_stop (c->service);
  g_socket_listener_close (G_SOCKET_LISTENER (c->service));
  g_object_unref (c->service);
  g_list_free_full (c->held, g_object_unref);
  c->held = NULL;
  while (g_main_context_iteration (c->ctx, FALSE));
  g_main_context_pop_thread_default (c->ctx);
  return NULL;
}

static Cutter *
cutter_start (Cut cut, gint faulty, guint16 device_port)
{
  Cutter *c = g_new0 (Cutter, 1);

  c->cut = cut;
  c->faulty = faulty;
  c->device_port = device_port;
  c->ctx = g_main_context_new ();
  c->loop = g_main_loop_new (c->ctx, FALSE);
  g_mutex_init (&c->lock);
  g_cond_init (&c->cond);
  c->thread = g_thread_new ("cutter", cutter_thread, c);
  g_mutex_lock (&c->lock);
  while (!c->ready)
    g_cond_wait (&c->cond, &c->lock);
  g_mutex_unlock (&c->lock);
  return c;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
cutter_stop (Cutter * c)
{
  g_main_context_invoke (c->ctx, quit_loop, c->loop);
  g_thread_join (c->thread);
  g_main_loop_unref (c->loop);
  g_main_context_unref (c->ctx);
  g_mutex_clear (&c->lock);
  g_cond_clear (&c->cond);
  g_free (c);
}

/* ---- the pipeline ---- */

static TestPipe
pipe_new (const gchar * url)
{
  return test_pipe_new ("seecitvsrc name=src retry-delay=50000000 "
      "timeout=1000000000 ! appsink name=sink sync=false", url);
}

/* The device's URL, through the cutter's port. */
static gchar *
cut_url (TestDevice * d, Cutter * c)
{
  const gchar *path = strstr (d->url + strlen ("https://"), "/");

  return g_strdup_printf ("https://127.0.0.1:%u%s", c->port, path);
}

/* No error on the bus (warnings about plain HTTP etc. are fine). */
static void
expect_no_error (TestPipe * p)
{
  GstBus *bus = gst_element_get_bus (p->pipeline);
  GstMessage *m = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

  if (m != NULL) {
    GError *err = NULL;

    gst_message_parse_error (m, &err, NULL);
    fail ("unexpected error: %s", err->message);
  }
  gst_object_unref (bus);
}

static void
check_interrupted_then_streams (Cut cut)
{
  gchar *key = write_key (), *url;
  TestDevice *d = test_device_start ("--key-file", key, "--device-id",
      DEVICE, "--tls-generate", "--no-face", NULL);
  Cutter *c = cutter_start (cut, 3, test_url_port (d->url));
  TestPipe p;
  GstSample *sample;

  url = cut_url (d, c);
  p = pipe_new (url);
  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key,
      "tls-pin", d->pin, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink),
      30 * GST_SECOND);
  fail_unless (sample != NULL, "no frame after interrupted handshakes");
  gst_sample_unref (sample);
  /* three interrupted, then the info request and the stream */
  fail_unless (g_atomic_int_get (&c->connections) >= 4, "%d connections",
      g_atomic_int_get (&c->connections));
  expect_no_error (&p);
  test_pipe_free (&p);
  cutter_stop (c);
  test_device_stop (d);
  g_free (url);
  g_free (key);
}

GST_START_TEST (test_handshake_cut)
{
  check_interrupted_then_streams (CUT_HALF_SERVER_HELLO);
}

GST_END_TEST;

GST_START_TEST (test_handshake_stall)
{
  check_interrupted_then_streams (CUT_STALL);
}

GST_END_TEST;

/* A handshake that never completes, max-retries=2: RESOURCE READ with
 * reason=gave-up and the last failure named, never NOT_AUTHORIZED. */
GST_START_TEST (test_handshake_always_cut)
{
  Cutter *c = cutter_start (CUT_HALF_SERVER_HELLO, -1, 0);
  gchar *url = g_strdup_printf ("https://127.0.0.1:%u/seecitv/v1/stream",
      c->port);
  TestPipe p = pipe_new (url);
  GstBus *bus = gst_element_get_bus (p.pipeline);
  const GstStructure *details = NULL;
  GstMessage *m;
  GError *err = NULL;
  const gchar *last;

  g_object_set (p.src, "max-retries", 2, "tls-pin", "sha256:"
      "0000000000000000000000000000000000000000000000000000000000000000",
      NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (err->code, GST_RESOURCE_ERROR_READ);
  gst_message_parse_error_details (m, &details);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "gave-up");
  last = gst_structure_get_string (details, "last-failure");
  fail_unless (last != NULL && *last != '\0');
  /* the first attempt and two retries */
  fail_unless_equals_int (g_atomic_int_get (&c->connections), 3);
  g_error_free (err);
  gst_message_unref (m);
  gst_object_unref (bus);
  test_pipe_free (&p);
  cutter_stop (c);
  g_free (url);
}

GST_END_TEST;

/* A completed handshake with the wrong certificate is a trust failure:
 * an error at once, and no second connection however long we wait. */
GST_START_TEST (test_trust_failure_not_retried)
{
  TestDevice *d = test_device_start ("--tls-generate", "--no-face", NULL);
  Cutter *c = cutter_start (CUT_STALL, 0, test_url_port (d->url));
  gchar *url = cut_url (d, c);
  TestPipe p = pipe_new (url);
  GstBus *bus = gst_element_get_bus (p.pipeline);
  const GstStructure *details = NULL;
  GstMessage *m;
  GError *err = NULL;

  g_object_set (p.src, "retry-delay", 10 * GST_MSECOND, "tls-pin", "sha256:"
      "0000000000000000000000000000000000000000000000000000000000000000",
      NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  m = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (m != NULL);
  gst_message_parse_error (m, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (err->code, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  gst_message_parse_error_details (m, &details);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "tls-pin-mismatch");
  fail_unless_equals_string (gst_structure_get_string (details,
          "tls-fingerprint"), d->pin);
  g_error_free (err);
  gst_message_unref (m);
  g_usleep (500 * 1000);
  fail_unless_equals_int (g_atomic_int_get (&c->connections), 1);
  gst_object_unref (bus);
  test_pipe_free (&p);
  cutter_stop (c);
  test_device_stop (d);
  g_free (url);
}

GST_END_TEST;

/* ---- the device's clock jumps ---- */

static void
check_clock_jump (const gchar * jump)
{
  gchar *key = write_key ();
  TestDevice *d = test_device_start ("--key-file", key, "--device-id",
      DEVICE, "--no-face", "--time-jump-after", "6", "--time-jump", jump,
      NULL);
  TestPipe p = pipe_new (d->url);
  GstClockTime pts[16];
  GstBus *bus;
  GstMessage *m;
  guint i, warnings = 0;

  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < G_N_ELEMENTS (pts); i++) {
    GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink),
        20 * GST_SECOND);

    fail_unless (s != NULL, "no frame %u", i);
    pts[i] = GST_BUFFER_PTS (gst_sample_get_buffer (s));
    gst_sample_unref (s);
    fail_unless (GST_CLOCK_TIME_IS_VALID (pts[i]));
    /* increasing, never an hour away */
    if (i > 0)
      fail_unless (pts[i] > pts[i - 1] && pts[i] < pts[i - 1] + GST_SECOND,
          "frame %u: %" GST_TIME_FORMAT " after %" GST_TIME_FORMAT, i,
          GST_TIME_ARGS (pts[i]), GST_TIME_ARGS (pts[i - 1]));
  }
  /* and still spaced like 10 fps after the jump (the 6th part): eight
   * frames span ~800 ms, not the nanoseconds of timestamps pinned to the
   * last one (which is what following the device's clock back gives); the
   * first frames may come bunched while the source learns the delay */
  fail_unless (pts[15] - pts[7] > 400 * GST_MSECOND, "frames 7..15 span %"
      GST_TIME_FORMAT, GST_TIME_ARGS (pts[15] - pts[7]));
  fail_unless (pts[15] - pts[0] < 5 * GST_SECOND);

  bus = gst_element_get_bus (p.pipeline);
  while ((m = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING |
              GST_MESSAGE_ERROR)) != NULL) {
    GError *err = NULL;
    const GstStructure *details = NULL;
    gint64 by = 0;

    fail_if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR);
    gst_message_parse_warning (m, &err, NULL);
    gst_message_parse_warning_details (m, &details);
    if (err->domain == GST_STREAM_ERROR) {
      fail_unless_equals_int (err->code, GST_STREAM_ERROR_FORMAT);
      fail_unless_equals_string (gst_structure_get_string (details,
              "reason"), "clock-jump");
      fail_unless (gst_structure_get_int64 (details, "jump", &by));
      /* positive when the clock went back; about an hour */
      if (jump[0] == '-')
        fail_unless (by > 3500 * GST_SECOND && by < 3700 * GST_SECOND);
      else
        fail_unless (by < -3500 * GST_SECOND && by > -3700 * GST_SECOND);
      warnings++;
    }
    g_error_free (err);
    gst_message_unref (m);
  }
  gst_object_unref (bus);
  fail_unless_equals_int (warnings, 1);
  test_pipe_free (&p);
  test_device_stop (d);
  g_free (key);
}

GST_START_TEST (test_clock_jump_back)
{
  check_clock_jump ("-3600");
}

GST_END_TEST;

GST_START_TEST (test_clock_jump_forward)
{
  check_clock_jump ("3600");
}

GST_END_TEST;

static Suite *
faults_net_suite (void)
{
  Suite *s = suite_create ("faults_net");
  TCase *tc = tcase_create ("general");

  test_no_proxy ();
  test_asan_no_fork ();
  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_handshake_cut);
  tcase_add_test (tc, test_handshake_stall);
  tcase_add_test (tc, test_handshake_always_cut);
  tcase_add_test (tc, test_trust_failure_not_retried);
  tcase_add_test (tc, test_clock_jump_back);
  tcase_add_test (tc, test_clock_jump_forward);
  return s;
}

GST_CHECK_MAIN (faults_net);
