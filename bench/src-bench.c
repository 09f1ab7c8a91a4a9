/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * src-bench: seecitvsrc against `souphttpsrc ! multipartdemux` (the
 * gst-plugins-good way) on the same local MJPEG stream, and seecitvsrc's
 * time from a device restart to its next frame. The device is
 * tools/seecitv-device, a subprocess on 127.0.0.1, plain HTTP without
 * authentication (souphttpsrc cannot do the seecitv protocol), serving a
 * videotestsrc scene as JPEG. Issue 4's targets: seecitvsrc's CPU per frame
 * at most souphttpsrc's; restart to frame within one back-off interval +
 * 200 ms. See bench/README.md.
 *
 * 1. CPU per frame: each pipeline `<source> ! fakesink` runs until N
 *    frames reached the sink; the process's CPU time (all threads, getrusage
 *    via CLOCK_PROCESS_CPUTIME_ID) over the run, divided by N. The device's
 *    own CPU is in another process and not counted. Pipelines alternate,
 *    R repeats each, the median is kept.
 * 2. Restart: seecitvsrc streams from the device on a fixed port; the
 *    device is killed (SIGKILL), stays down D ms (D/2 to 3D/2 at random,
 *    so that runs meet the retry schedule at different points), is started
 *    again on the
 *    same port; the time from its listening again (it prints its url) to
 *    the next frame at the sink, against the back-off interval in effect
 *    (retry-delay doubled per failed attempt).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "benchcommon.h"

#include <gio/gio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct
{
  GMutex lock;
  GCond cond;
  guint frames;
  guint target;
  gint64 last_frame_us;         /* monotonic */
} Counter;

static void
handoff_cb (GstElement * sink, GstBuffer * buf, GstPad * pad, gpointer data)
{
  Counter *c = data;

  g_mutex_lock (&c->lock);
  c->frames++;
  c->last_frame_us = g_get_monotonic_time ();
  g_cond_broadcast (&c->cond);
  g_mutex_unlock (&c->lock);
}

/* Waits until @c counted @n frames or @timeout_s passed; TRUE if it did. */
static gboolean
wait_frames (Counter * c, guint n, gint timeout_s)
{
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  gboolean ok;

  g_mutex_lock (&c->lock);
  while (c->frames < n && g_cond_wait_until (&c->cond, &c->lock, end));
  ok = c->frames >= n;
  g_mutex_unlock (&c->lock);
  return ok;
}

static GSubprocess *
device_start (const gchar * tool, guint port, const gchar * source,
    gchar ** url)
{
  gchar *port_arg = g_strdup_printf ("--port=%u", port);
  GError *err = NULL;
  GSubprocess *p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err, tool, port_arg, "--source",
      source, NULL);
  GDataInputStream *out;
  gchar *line;

  g_free (port_arg);
  if (p == NULL) {
    g_printerr ("cannot start %s: %s\n", tool, err->message);
    exit (1);
  }
  *url = NULL;
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p));
  while (*url == NULL &&
      (line = g_data_input_stream_read_line (out, NULL, NULL, NULL))) {
    if (g_str_has_prefix (line, "url: "))
      *url = g_strdup (line + 5);
    g_free (line);
  }
  g_object_unref (out);
  if (*url == NULL) {
    g_printerr ("the device printed no url\n");
    exit (1);
  }
  return p;
}

static void
device_kill (GSubprocess * p, gint sig)
{
  g_subprocess_send_signal (p, sig);
  g_subprocess_wait (p, NULL, NULL);
  g_object_unref (p);
}

static GstElement *
make_pipeline (const gchar * desc, const gchar * url, Counter * c)
{
  GError *err = NULL;
  gchar *full = g_strdup_printf (desc, url);
  GstElement *p = gst_parse_launch (full, &err);
  GstElement *sink;

  if (p == NULL) {
    g_printerr ("%s: %s\n", full, err->message);
    exit (1);
  }
  g_free (full);
  sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (handoff_cb), c);
  gst_object_unref (sink);
  return p;
}

/* One run of @desc for @n frames; the CPU ns per frame, or -1. */
static gint64
cpu_run (const gchar * desc, const gchar * url, guint n)
{
  Counter c = { 0 };
  GstElement *p;
  gint64 cpu0, cpu1;
  gboolean ok;

  g_mutex_init (&c.lock);
  g_cond_init (&c.cond);
  p = make_pipeline (desc, url, &c);
  cpu0 = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
  gst_element_set_state (p, GST_STATE_PLAYING);
  ok = wait_frames (&c, n, 120);
  cpu1 = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_mutex_clear (&c.lock);
  g_cond_clear (&c.cond);
  return ok ? (cpu1 - cpu0) / n : -1;
}

static guint16
free_port (void)
{
  GSocketListener *l = g_socket_listener_new ();
  GSocketAddress *sa = g_inet_socket_address_new_from_string ("127.0.0.1",
      0), *effective = NULL;
  guint16 port = 0;

  if (g_socket_listener_add_address (l, sa, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL, &effective, NULL)) {
    port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
        (effective));
    g_object_unref (effective);
  }
  g_socket_listener_close (l);
  g_object_unref (l);
  g_object_unref (sa);
  return port;
}

/* The back-off interval seecitvsrc is in @down_ms after it lost the
 * device, when every attempt since was refused at once: retry-delay,
 * doubled after each failed attempt, at most 32 times. An attempt falling
 * exactly on @down_ms is taken as refused (the device was not listening
 * yet). */
static gdouble
backoff_in_effect_ms (gdouble retry_ms, gdouble down_ms)
{
  gdouble t = 0, interval = retry_ms;
  guint k = 0;

  while (t + interval <= down_ms) {
    t += interval;
    k++;
    interval = retry_ms * MIN (1u << MIN (k, 5u), 32u);
  }
  return interval;
}

int
main (int argc, char **argv)
{
  gint frames = 300, repeats = 3, width = 640, height = 480, fps = 60;
  gint restarts = 3, down_ms = 1500;
  gchar *retry_delays = g_strdup ("100,500");
  gchar *tool = g_strdup (SEECITV_DEVICE_TOOL), *source, *url = NULL;
  gchar *cpu = NULL, *load = NULL;
  GOptionEntry entries[] = {
    {"frames", 'n', 0, G_OPTION_ARG_INT, &frames, "Frames per run (300)",
        "N"},
    {"repeats", 'r', 0, G_OPTION_ARG_INT, &repeats,
        "Runs per pipeline, the median kept (3)", "R"},
    {"width", 0, 0, G_OPTION_ARG_INT, &width, "Frame width (640)", "W"},
    {"height", 0, 0, G_OPTION_ARG_INT, &height, "Frame height (480)", "H"},
    {"fps", 0, 0, G_OPTION_ARG_INT, &fps, "Device frame rate (60)", "F"},
    {"restarts", 0, 0, G_OPTION_ARG_INT, &restarts,
        "Device restarts per retry-delay (3)", "K"},
    {"down", 0, 0, G_OPTION_ARG_INT, &down_ms,
        "How long the device stays down, ms, +-50% at random (1500)", "MS"},
    {"retry-delays", 0, 0, G_OPTION_ARG_STRING, &retry_delays,
        "seecitvsrc retry-delay values to try, ms (100,500)", "MS,..."},
    {"device", 0, 0, G_OPTION_ARG_FILENAME, &tool,
        "seecitv-device to run", "PATH"},
    {NULL}
  };
  static const struct
  {
    const gchar *name;
    const gchar *desc;
  } pipelines[] = {
    {"seecitvsrc", "seecitvsrc location=%s ! fakesink name=sink "
          "signal-handoffs=true sync=false"},
    {"souphttpsrc+multipartdemux", "souphttpsrc location=%s is-live=true "
          "! multipartdemux ! fakesink name=sink signal-handoffs=true "
          "sync=false"},
  };
  gint64 *cpu_ns[G_N_ELEMENTS (pipelines)];
  gdouble med[G_N_ELEMENTS (pipelines)];
  GOptionContext *ctx;
  GError *err = NULL;
  GSubprocess *dev;
  gchar **delays;
  guint i, j;

  ctx = g_option_context_new ("- seecitvsrc vs souphttpsrc ! multipartdemux");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (frames < 10 || repeats < 1 || restarts < 0 || down_ms < 0) {
    g_printerr ("bad arguments\n");
    return 2;
  }
  /* everything is on 127.0.0.1 */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);

  cpu = cpu_model ();
  load = load_average ();
  g_print ("src-bench: %s, load average %s at start\n", cpu, load);
  g_free (load);

  /* 1. CPU per frame */
  source = g_strdup_printf ("videotestsrc is-live=true pattern=smpte "
      "! video/x-raw,width=%d,height=%d,framerate=%d/1", width, height, fps);
  dev = device_start (tool, 0, source, &url);
  g_print ("\n1. CPU per frame: %dx%d JPEG at up to %d fps from seecitv-device "
      "(plain HTTP, no auth), %d frames per run, median of %d\n", width,
      height, fps, frames, repeats);
  for (j = 0; j < G_N_ELEMENTS (pipelines); j++)
    cpu_ns[j] = g_new0 (gint64, repeats);
  /* warm-up: plugin loading and the first TLS-less connection */
  cpu_run (pipelines[0].desc, url, 10);
  cpu_run (pipelines[1].desc, url, 10);
  for (i = 0; i < (guint) repeats; i++) {
    for (j = 0; j < G_N_ELEMENTS (pipelines); j++) {
      cpu_ns[j][i] = cpu_run (pipelines[j].desc, url, frames);
      if (cpu_ns[j][i] < 0) {
        g_printerr ("%s: no %d frames within 120 s\n", pipelines[j].name,
            frames);
        return 1;
      }
    }
  }
  for (j = 0; j < G_N_ELEMENTS (pipelines); j++) {
    med[j] = median_ms (cpu_ns[j], repeats);
    g_print ("  %-28s %8.3f ms CPU per frame (runs:", pipelines[j].name,
        med[j]);
    for (i = 0; i < (guint) repeats; i++)
      g_print (" %.3f", cpu_ns[j][i] / 1e6);
    g_print (")\n");
    g_free (cpu_ns[j]);
  }
  g_print ("  ratio seecitvsrc / souphttpsrc+multipartdemux: %.2f "
      "(target <= 1.00: %s)\n", med[0] / med[1], verdict (med[0] <= med[1]));
  device_kill (dev, SIGTERM);
  g_free (url);

  /* 2. restart to frame */
  g_print ("\n2. Device restart to next frame (device down %d-%d ms, "
      "SIGKILL; 320x240 at 10 fps)\n", down_ms / 2, down_ms * 3 / 2);
  g_free (source);
  source = g_strdup ("videotestsrc is-live=true pattern=ball "
      "! video/x-raw,width=320,height=240,framerate=10/1");
  delays = g_strsplit (retry_delays, ",", -1);
  for (i = 0; delays[i] != NULL; i++) {
    gdouble retry_ms = g_ascii_strtod (delays[i], NULL);
    gdouble *interval = g_new0 (gdouble, MAX (restarts, 1));
    guint16 port = free_port ();
    gint64 *lat = g_new0 (gint64, MAX (restarts, 1));
    gchar *desc = g_strdup_printf ("seecitvsrc location=%%s retry-delay=%"
        G_GUINT64_FORMAT " ! fakesink name=sink signal-handoffs=true "
        "sync=false", (guint64) (retry_ms * GST_MSECOND));
    Counter c = { 0 };
    GstElement *p;
    gint k, worst = 0, met = 0;

    if (retry_ms <= 0 || restarts == 0)
      continue;
    g_mutex_init (&c.lock);
    g_cond_init (&c.cond);
    dev = device_start (tool, port, source, &url);
    p = make_pipeline (desc, url, &c);
    gst_element_set_state (p, GST_STATE_PLAYING);
    if (!wait_frames (&c, 5, 30)) {
      g_printerr ("no frames\n");
      return 1;
    }
    for (k = 0; k < restarts; k++) {
      gint64 t_up, t_down;
      guint before;

      t_down = g_get_monotonic_time ();
      device_kill (dev, SIGKILL);
      g_free (url);
      /* a down time anywhere in [D/2, 3D/2): a fixed one would meet the
       * retry schedule at the same point every time */
      g_usleep ((gulong) g_random_int_range (down_ms / 2,
              down_ms * 3 / 2 + 1) * 1000);
      g_mutex_lock (&c.lock);
      before = c.frames;
      g_mutex_unlock (&c.lock);
      dev = device_start (tool, port, source, &url);
      t_up = g_get_monotonic_time ();
      if (!wait_frames (&c, before + 1, 60)) {
        g_printerr ("no frame after restart %d\n", k);
        return 1;
      }
      g_mutex_lock (&c.lock);
      lat[k] = (c.last_frame_us - t_up) * 1000;
      g_mutex_unlock (&c.lock);
      /* the interval the source was in when the device listened again */
      interval[k] = backoff_in_effect_ms (retry_ms, (t_up - t_down) / 1e3);
      if (lat[k] / 1e6 <= interval[k] + 200)
        met++;
      if (lat[k] > lat[worst])
        worst = k;
      wait_frames (&c, c.frames + 3, 10);
    }
    g_print ("  retry-delay %.0f ms: restart to frame median %.0f ms, worst "
        "%.0f ms; per run, restart to frame / back-off interval in effect:",
        retry_ms, median_ms (lat, restarts), lat[worst] / 1e6);
    for (k = 0; k < restarts; k++)
      g_print (" %.0f/%.0f", lat[k] / 1e6, interval[k]);
    g_print ("\n    target <= interval + 200 ms: met in %d of %d runs: %s\n",
        met, restarts, verdict (met == restarts));
    gst_element_set_state (p, GST_STATE_NULL);
    gst_object_unref (p);
    device_kill (dev, SIGTERM);
    g_free (url);
    g_free (desc);
    g_free (lat);
    g_free (interval);
    g_mutex_clear (&c.lock);
    g_cond_clear (&c.cond);
  }
  g_strfreev (delays);
  load = load_average ();
  g_print ("\nload average %s at the end\n", load);
  g_free (load);
  g_free (cpu);
  g_free (source);
  g_free (tool);
  g_free (retry_delays);
  return 0;
}
