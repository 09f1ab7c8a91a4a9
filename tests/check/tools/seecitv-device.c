/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-device serving many clients, in turn and at once, over real
 * loopback sockets: sessions that end after a few frames (the pipeline set
 * to NULL in the middle of a part), raw connections dropped mid-part (some
 * with a reset), connections that send half a request or a TLS handshake
 * and go, and a client that stops reading while another one streams. After
 * each of these the device must go on serving every client: a fresh
 * session gets its frames, a client that stopped reading gets whole parts
 * again when it reads again, and a client that reads is never held up by
 * one that does not.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>

#include <seecitv/multipart.h>
#include "../elements/seecitvsrc_device.h"
#include "../common/testfs.h"

#define KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define DEVICE "cam-1"
#define BOUNDARY "seecitvframe"
#define USER "admin"
#define PASS "s3cret"

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = test_tmpdir_new ("seecitv-device-XXXXXX");
}

static void
teardown (void)
{
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* The device is still running: its process exists and is not a zombie. */
static void
check_alive (TestDevice * d)
{
  const gchar *id = g_subprocess_get_identifier (d->proc);
  gchar *path, *stat = NULL, *state;

  fail_unless (id != NULL, "seecitv-device has exited");
  path = g_strdup_printf ("/proc/%s/stat", id);
  fail_unless (g_file_get_contents (path, &stat, NULL, NULL),
      "seecitv-device has exited");
  state = strrchr (stat, ')');
  fail_unless (state != NULL && state[1] == ' ' && state[2] != 'Z',
      "seecitv-device has exited");
  g_free (stat);
  g_free (path);
}

/* ---- seecitvsrc sessions ---- */

static TestPipe
session_new (TestDevice * d, const gchar * key_file)
{
  TestPipe p = test_pipe_new ("seecitvsrc name=src retry-delay=50000000 "
      "timeout=5000000000 ! appsink name=sink sync=false max-buffers=4 "
      "drop=true", d->url);

  if (key_file != NULL)
    g_object_set (p.src, "device-id", DEVICE, "device-key-file", key_file,
        "tls-pin", d->pin, NULL);
  else
    g_object_set (p.src, "user-id", USER, "user-pw", PASS, NULL);
  return p;
}

/* Pulls @n frames, each a whole JPEG; fails if one does not come within
 * 20 s (far beyond the device's 100 ms between frames). */
static void
session_pull (TestPipe * p, guint n, const gchar * what)
{
  guint i;

  for (i = 0; i < n; i++) {
    GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (p->sink),
        20 * GST_SECOND);
    GstMapInfo map;
    GstBuffer *buf;

    fail_unless (s != NULL, "%s: frame %u of %u did not come", what, i + 1,
        n);
    buf = gst_sample_get_buffer (s);
    fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
    fail_unless (map.size > 4 && map.data[0] == 0xff && map.data[1] == 0xd8
        && map.data[map.size - 2] == 0xff && map.data[map.size - 1] == 0xd9,
        "%s: frame %u is not a whole JPEG", what, i + 1);
    gst_buffer_unmap (buf, &map);
    gst_sample_unref (s);
  }
}

/* Ends a session: it must not have lost its connection on the way (a
 * device that stopped sending would show as a stall and a reconnection). */
static void
session_end (TestPipe * p, const gchar * what)
{
  GstBus *bus = gst_element_get_bus (p->pipeline);
  GstMessage *msg;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT |
              GST_MESSAGE_ERROR)) != NULL) {
    const GstStructure *st = gst_message_get_structure (msg);

    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR, "%s: an error",
        what);
    fail_if (gst_structure_has_name (st, "seecitvsrc-disconnected"),
        "%s: the connection was lost (%s)", what,
        GST_STR_NULL (gst_structure_get_string (st, "reason")));
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
  test_pipe_free (p);
}

/* ---- raw HTTP clients (Basic auth, plain HTTP) ---- */

typedef struct
{
  GSocket *socket;
  GByteArray *raw;              /* received, not yet de-chunked */
  gboolean in_data;             /* inside a chunk's data */
  gsize chunk_left;
  SeecitvMultipartParser *parser;
  guint parts;                  /* whole JPEG parts received */
} RawClient;

/* Connects with a receive buffer of @rcvbuf bytes (0: the default), asks
 * for the stream with Basic auth and reads the response head. */
static RawClient *
raw_open (TestDevice * d, gint rcvbuf)
{
  RawClient *c = g_new0 (RawClient, 1);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *sa = g_inet_socket_address_new (lo, test_url_port (d->url));
  gchar *cred = g_base64_encode ((const guchar *) USER ":" PASS,
      strlen (USER ":" PASS));
  gchar *req = g_strdup_printf ("GET /seecitv/v1/stream HTTP/1.1\r\n"
      "Host: 127.0.0.1\r\nAuthorization: Basic %s\r\n\r\n", cred);
  GError *err = NULL;
  GString *head = g_string_new (NULL);
  gchar *end;

  c->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &err);
  fail_unless (c->socket != NULL, "%s", err ? err->message : "");
  if (rcvbuf > 0)
    fail_unless (g_socket_set_option (c->socket, SOL_SOCKET, SO_RCVBUF,
            rcvbuf, NULL));
  g_socket_set_timeout (c->socket, 20);
  fail_unless (g_socket_connect (c->socket, sa, NULL, &err), "%s",
      err ? err->message : "");
  fail_unless (g_socket_send (c->socket, req, strlen (req), NULL, NULL) ==
      (gssize) strlen (req));
  c->raw = g_byte_array_new ();
  /* the head, byte by byte so that nothing of the body is taken here */
  while ((end = strstr (head->str, "\r\n\r\n")) == NULL) {
    gchar ch;

    fail_unless (g_socket_receive (c->socket, &ch, 1, NULL, NULL) == 1,
        "the device closed the connection in the response head");
    g_string_append_c (head, ch);
    fail_unless (head->len < 8192);
  }
  fail_unless (g_str_has_prefix (head->str, "HTTP/1.1 200"), "%s", head->str);
  fail_unless (strstr (head->str, "chunked") != NULL, "%s", head->str);
  c->parser = seecitv_multipart_parser_new (BOUNDARY, NULL);
  fail_unless (c->parser != NULL);

  g_string_free (head, TRUE);
  g_free (req);
  g_free (cred);
  g_object_unref (sa);
  g_object_unref (lo);
  return c;
}

/* Takes what de-chunks from c->raw and feeds it to the multipart parser;
 * counts whole JPEG parts. A malformed stream fails the test. */
static void
raw_digest (RawClient * c)
{
  SeecitvMultipartPart *part;

  for (;;) {
    if (c->in_data) {
      gsize n = MIN (c->chunk_left, c->raw->len);
      GError *err = NULL;

      if (n == 0)
        break;
      fail_unless (seecitv_multipart_parser_feed (c->parser, c->raw->data,
              n, &err), "malformed stream: %s", err ? err->message : "");
      g_byte_array_remove_range (c->raw, 0, n);
      c->chunk_left -= n;
      if (c->chunk_left == 0)
        c->in_data = FALSE;
    } else {
      /* [CRLF after the previous chunk] size CRLF */
      guint8 *nl;
      gchar *line, *endp;
      guint64 size;
      gsize skip = 0;

      if (c->raw->len >= 2 && c->raw->data[0] == '\r' &&
          c->raw->data[1] == '\n')
        skip = 2;
      nl = memchr (c->raw->data + skip, '\n', c->raw->len - skip);
      if (nl == NULL)
        break;
      line = g_strndup ((gchar *) c->raw->data + skip,
          nl - (c->raw->data + skip));
      size = g_ascii_strtoull (line, &endp, 16);
      fail_unless (endp != line && (*endp == '\r' || *endp == ';'),
          "bad chunk size line '%s'", line);
      g_free (line);
      g_byte_array_remove_range (c->raw, 0, nl + 1 - c->raw->data);
      fail_unless (size > 0, "the device ended the stream");
      c->chunk_left = size;
      c->in_data = TRUE;
    }
  }
  while ((part = seecitv_multipart_parser_pop (c->parser)) != NULL) {
    gsize size;
    const guint8 *data = g_bytes_get_data (part->payload, &size);

    fail_unless (size > 4 && data[0] == 0xff && data[1] == 0xd8 &&
        data[size - 2] == 0xff && data[size - 1] == 0xd9,
        "part %u is not a whole JPEG", c->parts + 1);
    c->parts++;
    seecitv_multipart_part_free (part);
  }
}

/* Reads until @n more whole parts have arrived (each read waits at most
 * the socket's 20 s). */
static void
raw_read_parts (RawClient * c, guint n)
{
  guint target = c->parts + n;
  guint8 buf[16384];

  while (c->parts < target) {
    gssize got = g_socket_receive (c->socket, (gchar *) buf, sizeof (buf),
        NULL, NULL);

    fail_unless (got > 0, "no more data after %u parts", c->parts);
    g_byte_array_append (c->raw, buf, got);
    raw_digest (c);
  }
}

/* Reads about @bytes more bytes, whatever they cut. */
static void
raw_read_bytes (RawClient * c, gsize bytes)
{
  guint8 buf[4096];

  while (bytes > 0) {
    gssize got = g_socket_receive (c->socket, (gchar *) buf,
        MIN (sizeof (buf), bytes), NULL, NULL);

    fail_unless (got > 0);
    bytes -= got;
  }
}

/* Closes; with @reset the peer sees a RST instead of a FIN. */
static void
raw_close (RawClient * c, gboolean reset)
{
  if (reset) {
    struct linger l = { 1, 0 };

    fail_unless (setsockopt (g_socket_get_fd (c->socket), SOL_SOCKET,
            SO_LINGER, &l, sizeof (l)) == 0);
  }
  g_socket_close (c->socket, NULL);
  g_object_unref (c->socket);
  g_byte_array_unref (c->raw);
  seecitv_multipart_parser_free (c->parser);
  g_free (c);
}

/* A connection that sends @bytes and goes. */
static void
hit_and_run (TestDevice * d, const gchar * bytes, gsize len)
{
  GSocketClient *sc = g_socket_client_new ();
  GSocketConnection *conn = g_socket_client_connect_to_host (sc, "127.0.0.1",
      test_url_port (d->url), NULL, NULL);

  fail_unless (conn != NULL);
  if (len > 0)
    fail_unless (g_output_stream_write_all (g_io_stream_get_output_stream
            (G_IO_STREAM (conn)), bytes, len, NULL, NULL, NULL));
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (conn);
  g_object_unref (sc);
}

/* ---- tests ---- */

/* The cookbook's case: one device over HTTPS with the seecitv protocol,
 * 24 sessions in a row, each set to NULL after 1 to 4 frames (mostly in
 * the middle of a part), with half-requests and cut TLS handshakes in
 * between; then three sessions at once each get 10 frames. */
GST_START_TEST (test_sessions_in_turn)
{
  gchar *key = test_write_key (tmpdir, "pair.key", KEY);
  TestDevice *d = test_device_start ("--tls-generate", "--device-id", DEVICE,
      "--key-file", key, NULL);
  TestPipe at_once[3];
  guint i;

  for (i = 0; i < 24; i++) {
    TestPipe p = session_new (d, key);
    gchar *what = g_strdup_printf ("session %u", i + 1);

    fail_unless (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) !=
        GST_STATE_CHANGE_FAILURE);
    session_pull (&p, 1 + i % 4, what);
    session_end (&p, what);
    g_free (what);
    if (i % 6 == 2)
      hit_and_run (d, "GET /seecitv/v1/str", 19);
    else if (i % 6 == 5)
      /* the start of a TLS ClientHello, then nothing */
      hit_and_run (d, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  }
  check_alive (d);

  for (i = 0; i < G_N_ELEMENTS (at_once); i++) {
    at_once[i] = session_new (d, key);
    fail_unless (gst_element_set_state (at_once[i].pipeline,
            GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  }
  for (i = 0; i < G_N_ELEMENTS (at_once); i++) {
    gchar *what = g_strdup_printf ("concurrent session %u", i + 1);

    session_pull (&at_once[i], 10, what);
    g_free (what);
  }
  for (i = 0; i < G_N_ELEMENTS (at_once); i++)
    session_end (&at_once[i], "concurrent session");
  check_alive (d);
  test_device_stop (d);
  g_free (key);
}

GST_END_TEST;

/* Raw clients leave in the middle of a part, with a FIN or a reset, after
 * 1 to ~48 KiB; seecitvsrc sessions come and go in between. Every one of
 * them gets whole parts, and so does a last client. */
GST_START_TEST (test_clients_leave_mid_part)
{
  TestDevice *d = test_device_start ("--basic", USER ":" PASS, NULL);
  RawClient *c;
  guint i;

  for (i = 0; i < 16; i++) {
    c = raw_open (d, 0);
    raw_read_parts (c, 1);
    raw_read_bytes (c, 1 + (i * 3079) % 49152);
    raw_close (c, i % 2 == 1);
    if (i % 4 == 3) {
      TestPipe p = session_new (d, NULL);

      fail_unless (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) !=
          GST_STATE_CHANGE_FAILURE);
      session_pull (&p, 2, "session between raw clients");
      session_end (&p, "session between raw clients");
    }
  }
  check_alive (d);
  c = raw_open (d, 0);
  raw_read_parts (c, 10);
  raw_close (c, FALSE);
  test_device_stop (d);
}

GST_END_TEST;

/* A client that stops reading (a 4 KiB receive buffer, so that the
 * device's writes to it block within a few frames) holds up nobody: a
 * session streams 40 frames meanwhile. The device keeps a bounded backlog
 * for the slow client and skips frames for it; when it reads again it gets
 * whole parts, the stream still well-formed. */
GST_START_TEST (test_slow_client)
{
  TestDevice *d = test_device_start ("--basic", USER ":" PASS, NULL);
  RawClient *slow = raw_open (d, 4096);
  TestPipe p;

  raw_read_parts (slow, 2);
  /* now slow reads nothing while 40 frames (4 s at 10 fps) go to p: far
   * more than the socket buffers between the device and slow hold */
  p = session_new (d, NULL);
  fail_unless (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  session_pull (&p, 40, "session next to a client that does not read");
  raw_read_parts (slow, 10);
  session_pull (&p, 5, "session after the slow client read again");
  session_end (&p, "session next to the slow client");
  raw_close (slow, FALSE);
  check_alive (d);
  test_device_stop (d);
}

GST_END_TEST;

static Suite *
seecitv_device_suite (void)
{
  Suite *s = suite_create ("seecitv-device");
  TCase *tc = tcase_create ("general");

  test_no_proxy ();
  test_asan_no_fork ();
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_sessions_in_turn);
  tcase_add_test (tc, test_clients_leave_mid_part);
  tcase_add_test (tc, test_slow_client);
  return s;
}

GST_CHECK_MAIN (seecitv_device);
