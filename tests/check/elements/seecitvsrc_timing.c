/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsrc's timestamps and framerate follow the capture times the
 * sender puts on its parts, never the arrival: against seecitv-device
 * (regular capture, dropped frames with --skip-every, irregular capture
 * with --capture-jitter) and against a fake ustreamer in a thread of its
 * own that sends parts with network-like jitter, with and without its
 * grab time. What is checked: the caps' framerate, each buffer's PTS
 * against the one before, each buffer's duration.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gio/gio.h>
#include <string.h>

#include "seecitvsrc_device.h"

#define MS GST_MSECOND
#define N_FRAMES 12

typedef struct
{
  gint num, den;
  GstClockTime pts[N_FRAMES];
  GstClockTime duration[N_FRAMES];
} Pulled;

static TestPipe
pipe_new (const gchar * url)
{
  return test_pipe_new ("seecitvsrc name=src retry-delay=50000000 "
      "timeout=5000000000 ! appsink name=sink sync=false "
      "max-buffers=100", url);
}

/* Plays @url and pulls N_FRAMES buffers. */
static void
pull_frames (const gchar * url, Pulled * out)
{
  TestPipe p = pipe_new (url);
  guint i;

  fail_unless (gst_element_set_state (p.pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < N_FRAMES; i++) {
    GstSample *sample =
        gst_app_sink_try_pull_sample (GST_APP_SINK (p.sink), 20 * GST_SECOND);
    GstBuffer *buf;

    fail_unless (sample != NULL, "no frame %u", i);
    buf = gst_sample_get_buffer (sample);
    out->pts[i] = GST_BUFFER_PTS (buf);
    out->duration[i] = GST_BUFFER_DURATION (buf);
    fail_unless (GST_CLOCK_TIME_IS_VALID (out->pts[i]));
    if (i > 0)
      fail_unless (out->pts[i] > out->pts[i - 1]);
    if (i == 0) {
      const GstStructure *st =
          gst_caps_get_structure (gst_sample_get_caps (sample), 0);

      fail_unless (gst_structure_get_fraction (st, "framerate", &out->num,
              &out->den));
    }
    GST_INFO ("pts %" GST_TIME_FORMAT " duration %" GST_TIME_FORMAT,
        GST_TIME_ARGS (out->pts[i]), GST_TIME_ARGS (out->duration[i]));
    gst_sample_unref (sample);
  }
  test_pipe_free (&p);
}

static GstClockTime
diff (const Pulled * p, guint i)
{
  return p->pts[i] - p->pts[i - 1];
}

static gboolean
near (GstClockTime a, GstClockTime b, GstClockTime tol)
{
  return a > b ? a - b <= tol : b - a <= tol;
}

GST_START_TEST (test_device_regular)
{
  const gchar *no_args[] = { NULL };
  TestDevice *d = test_device_startv (no_args);
  Pulled p;
  guint i;

  pull_frames (d->url, &p);
  /* the device's scene is 10 fps */
  fail_unless (p.num == 10 && p.den == 1, "framerate %d/%d", p.num, p.den);
  for (i = 0; i < N_FRAMES; i++)
    fail_unless_equals_uint64 (p.duration[i], 100 * MS);
  for (i = 1; i < N_FRAMES; i++) {
    GstClockTime k = (diff (&p, i) + 50 * MS) / (100 * MS);

    /* a frame the device's appsink dropped leaves a gap of whole periods */
    fail_unless (k >= 1 && near (diff (&p, i), k * 100 * MS, 3 * MS),
        "frame %u %" GST_TIME_FORMAT " after the one before", i,
        GST_TIME_ARGS (diff (&p, i)));
  }
  test_device_stop (d);
}

GST_END_TEST;

GST_START_TEST (test_device_skips_frames)
{
  TestDevice *d = test_device_start ("--skip-every", "3", NULL);
  Pulled p;
  guint i, gaps = 0;

  pull_frames (d->url, &p);
  /* a camera that drops every third frame is still a 10 fps camera */
  fail_unless (p.num == 10 && p.den == 1, "framerate %d/%d", p.num, p.den);
  for (i = 0; i < N_FRAMES; i++)
    fail_unless_equals_uint64 (p.duration[i], 100 * MS);
  for (i = 1; i < N_FRAMES; i++)
    if (near (diff (&p, i), 200 * MS, 3 * MS))
      gaps++;
  fail_unless (gaps >= N_FRAMES / 2 - 2, "%u gaps of two periods", gaps);
  test_device_stop (d);
}

GST_END_TEST;

GST_START_TEST (test_device_irregular)
{
  TestDevice *d = test_device_start ("--capture-jitter", "30", NULL);
  Pulled p;
  guint i, long_ones = 0, short_ones = 0;

  pull_frames (d->url, &p);
  /* captures 130 ms and 70 ms apart in turn: no fixed rate to announce */
  fail_unless (p.num == 0 && p.den == 1, "framerate %d/%d", p.num, p.den);
  fail_unless_equals_uint64 (p.duration[0], GST_CLOCK_TIME_NONE);
  for (i = 1; i < N_FRAMES; i++)
    fail_unless_equals_uint64 (p.duration[i], diff (&p, i));
  /* the first frames settle which one arrived fastest */
  for (i = 3; i < N_FRAMES; i++) {
    if (near (diff (&p, i), 130 * MS, 5 * MS))
      long_ones++;
    else if (near (diff (&p, i), 70 * MS, 5 * MS))
      short_ones++;
  }
  fail_unless (long_ones >= 3 && short_ones >= 3, "%u of 130 ms, %u of 70 ms",
      long_ones, short_ones);
  test_device_stop (d);
}

GST_END_TEST;

/* ---- a fake ustreamer: plain HTTP, parts every 100 ms of its clock, sent
 * 0 to 40 ms late ---- */

#define RESPONSE "HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace;" \
  "boundary=boundarydonotcross\r\n\r\n"

typedef struct
{
  GSocketListener *listener;
  GCancellable *cancel;
  GThread *thread;
  gboolean grab_time;
  gchar *url;
} Fake;

static gpointer
fake_thread (gpointer data)
{
  Fake *fk = data;
  static const guint8 jpeg[] = { 0xff, 0xd8, 0xff, 0xd9 };
  static const guint late_ms[] = { 0, 40, 5, 30, 10, 35, 0, 20 };
  GSocketConnection *conn;
  GOutputStream *out;
  gchar req[4096];
  gint64 start;
  guint i;

  conn = g_socket_listener_accept (fk->listener, NULL, fk->cancel, NULL);
  if (conn == NULL)
    return NULL;
  /* the request: read once, whatever it says */
  g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)),
      req, sizeof (req), fk->cancel, NULL);
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  if (!g_output_stream_write_all (out, RESPONSE, strlen (RESPONSE), NULL,
          fk->cancel, NULL))
    goto done;
  start = g_get_monotonic_time ();
  for (i = 0; !g_cancellable_is_cancelled (fk->cancel); i++) {
    gint64 grab = start + i * 100000;
    gint64 send = grab + late_ms[i % G_N_ELEMENTS (late_ms)] * 1000;
    gchar *head, *grab_line = NULL;
    gboolean ok;

    if (send > g_get_monotonic_time ())
      g_usleep (send - g_get_monotonic_time ());
    /* X-Timestamp is the send time, as ustreamer's; the grab time is on
     * its monotonic clock */
    if (fk->grab_time)
      grab_line = g_strdup_printf ("X-UStreamer-Grab-Time: %.6f\r\n",
          grab / 1e6);
    head = g_strdup_printf ("--boundarydonotcross\r\nContent-Type: "
        "image/jpeg\r\nContent-Length: %u\r\nX-Timestamp: %.6f\r\n%s\r\n",
        (guint) sizeof (jpeg), g_get_real_time () / 1e6,
        grab_line != NULL ? grab_line : "");
    g_free (grab_line);
    ok = g_output_stream_write_all (out, head, strlen (head), NULL,
        fk->cancel, NULL) && g_output_stream_write_all (out, jpeg,
        sizeof (jpeg), NULL, fk->cancel, NULL) &&
        g_output_stream_write_all (out, "\r\n", 2, NULL, fk->cancel, NULL);
    g_free (head);
    if (!ok)
      break;
  }
done:
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (conn);
  return NULL;
}

static Fake *
fake_start (gboolean grab_time)
{
  Fake *fk = g_new0 (Fake, 1);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  GSocketAddress *bound = NULL;

  fk->listener = g_socket_listener_new ();
  fk->cancel = g_cancellable_new ();
  fk->grab_time = grab_time;
  fail_unless (g_socket_listener_add_address (fk->listener, addr,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound, NULL));
  fk->url = g_strdup_printf ("http://127.0.0.1:%u/?action=stream",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  fk->thread = g_thread_new ("fake-ustreamer", fake_thread, fk);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (lo);
  return fk;
}

static void
fake_stop (Fake * fk)
{
  g_cancellable_cancel (fk->cancel);
  g_socket_listener_close (fk->listener);
  g_thread_join (fk->thread);
  g_object_unref (fk->listener);
  g_object_unref (fk->cancel);
  g_free (fk->url);
  g_free (fk);
}

GST_START_TEST (test_ustreamer_grab_time)
{
  Fake *fk = fake_start (TRUE);
  Pulled p;
  guint i;

  pull_frames (fk->url, &p);
  /* the grab times are 100 ms apart: sent up to 40 ms late, the frames
   * are still 100 ms apart */
  fail_unless (p.num == 10 && p.den == 1, "framerate %d/%d", p.num, p.den);
  for (i = 1; i < N_FRAMES; i++) {
    fail_unless_equals_uint64 (p.duration[i], 100 * MS);
    fail_unless (near (diff (&p, i), 100 * MS, 1 * MS), "frame %u %"
        GST_TIME_FORMAT " after the one before", i,
        GST_TIME_ARGS (diff (&p, i)));
  }
  fake_stop (fk);
}

GST_END_TEST;

GST_START_TEST (test_ustreamer_send_time_only)
{
  Fake *fk = fake_start (FALSE);
  Pulled p;

  pull_frames (fk->url, &p);
  /* its X-Timestamp is when it sent: jitter, not a rate */
  fail_unless (p.num == 0 && p.den == 1, "framerate %d/%d", p.num, p.den);
  fake_stop (fk);
}

GST_END_TEST;

static Suite *
seecitvsrc_timing_suite (void)
{
  Suite *s = suite_create ("seecitvsrc_timing");
  TCase *tc = tcase_create ("general");

  test_no_proxy ();
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 60);
  tcase_add_test (tc, test_device_regular);
  tcase_add_test (tc, test_device_skips_frames);
  tcase_add_test (tc, test_device_irregular);
  tcase_add_test (tc, test_ustreamer_grab_time);
  tcase_add_test (tc, test_ustreamer_send_time_only);
  return s;
}

GST_CHECK_MAIN (seecitvsrc_timing);
