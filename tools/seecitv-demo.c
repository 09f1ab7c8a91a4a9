/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-demo: the main job on a built-in default, run by `./run demo`.
 * It renders a synthetic scene (a textured room with sensor noise, a person
 * who walks in, stands still, walks out, then the lights dim) and runs it
 * through seecitvmotion and seecitvredact (a privacy zone over the
 * neighbour's window), printing each motion start and end, and writing
 * under the output directory: events.log (one line per event) and
 * overlay.mkv (the redacted scene with seecitvmotion's debug overlay,
 * H.264).
 *
 * It grows into the whole chain (device, source, redaction, encrypted
 * recording) as those elements land.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define W 640
#define H 360
#define FPS 15

/* The neighbour's window, top right: redacted in every frame. */
#define PRIVATE_ZONE "0.78,0.05 0.97,0.05 0.97,0.35 0.78,0.35"

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *src;
  FILE *log;
  guint8 *texture;
  GRand *rand;
  guint n_frames;
  guint frame;
  guint n_start;
  guint n_end;
  gboolean failed;
} Demo;

/* Where the person's left edge is at time @t (s), or G_MININT if absent. */
static gint
person_x (gdouble t)
{
  if (t < 3.0)
    return G_MININT;
  if (t < 8.0)
    return (gint) (-40 + (t - 3.0) * 68);      /* walks in */
  if (t < 12.0)
    return 300;                 /* stands still */
  if (t < 16.0)
    return (gint) (300 + (t - 12.0) * 95);     /* walks out */
  return G_MININT;
}

static void
render (Demo * d, guint8 * y_plane, gint stride, gdouble t)
{
  gint px = person_x (t);
  gdouble light = t < 17.0 ? 1.0 : 0.6;  /* lights dim at 17 s */

  for (gint y = 0; y < H; y++)
    for (gint x = 0; x < W; x++) {
      gdouble v = d->texture[y * W + x] * light;

      if (px != G_MININT && x >= px && x < px + 40) {
        gint dx = x - px - 20;
        /* head, shirt, trousers */
        if (y >= 150 && y < 180 && dx * dx + (y - 165) * (y - 165) < 15 * 15)
          v = 200 * light;
        else if (y >= 180 && y < 240)
          v = 60 * light;
        else if (y >= 240 && y < 300 && (dx < -4 || dx > 4))
          v = 35 * light;
      }
      v += 3.0 * g_rand_double_range (d->rand, -1.0, 1.0);
      y_plane[y * stride + x] = (guint8) CLAMP (v, 0, 255);
    }
}

static void
need_data (GstAppSrc * src, guint length, gpointer user_data)
{
  Demo *d = user_data;
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;

  if (d->frame >= d->n_frames) {
    gst_app_src_end_of_stream (src);
    return;
  }
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, W, H);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE);
  render (d, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), (gdouble) d->frame / FPS);
  for (gint p = 1; p < 3; p++)
    memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, p), 128,
        GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p) *
        GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p));
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (d->frame, GST_SECOND, FPS);
  GST_BUFFER_DURATION (buf) = GST_SECOND / FPS;
  d->frame++;
  gst_app_src_push_buffer (src, buf);
}

static void
report (Demo * d, const GstStructure * s)
{
  gboolean start = gst_structure_has_name (s, "seecitvmotion-start");
  guint64 rt = GST_CLOCK_TIME_NONE, duration = GST_CLOCK_TIME_NONE;
  gdouble score = 0;
  const GValue *regions = gst_structure_get_value (s, "regions");
  gchar *line;

  gst_structure_get_uint64 (s, "running-time", &rt);
  gst_structure_get_uint64 (s, "duration", &duration);
  gst_structure_get_double (s, "score", &score);

  if (start) {
    gint x = 0, y = 0, w = 0, h = 0;

    if (regions && gst_value_array_get_size (regions) > 0)
      gst_structure_get (gst_value_get_structure (gst_value_array_get_value
              (regions, 0)), "x", G_TYPE_INT, &x, "y", G_TYPE_INT, &y,
          "width", G_TYPE_INT, &w, "height", G_TYPE_INT, &h, NULL);
    line = g_strdup_printf ("motion start at %" GST_TIME_FORMAT
        "  score %.3f  region %dx%d at (%d,%d)", GST_TIME_ARGS (rt), score,
        w, h, x, y);
    d->n_start++;
  } else {
    line = g_strdup_printf ("motion end   at %" GST_TIME_FORMAT
        "  lasted %" GST_TIME_FORMAT "  peak score %.3f", GST_TIME_ARGS (rt),
        GST_TIME_ARGS (duration), score);
    d->n_end++;
  }
  g_print ("%s\n", line);
  fprintf (d->log, "%s\n", line);
  g_free (line);
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Demo *d = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);
      if (gst_structure_has_name (s, "seecitvmotion-start") ||
          gst_structure_has_name (s, "seecitvmotion-end"))
        report (d, s);
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
          err->message, dbg ? dbg : "");
      g_error_free (err);
      g_free (dbg);
      d->failed = TRUE;
      g_main_loop_quit (d->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (d->loop);
      break;
    default:
      break;
  }
  return TRUE;
}

int
main (int argc, char **argv)
{
  gchar *output = NULL;
  gdouble duration = 20.0;
  GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
        "Directory for what the demo writes (default: ./seecitv-demo)", "DIR"},
    {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration,
        "Seconds of scene (default: 20)", "S"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  Demo d = { 0, };
  gchar *log_path, *video_path, *desc;
  GstBus *bus;

  ctx = g_option_context_new ("- seecitv's main job on a synthetic scene");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (output == NULL)
    output = g_strdup ("seecitv-demo");
  if (g_mkdir_with_parents (output, 0700) != 0) {
    g_printerr ("cannot create %s\n", output);
    return 1;
  }

  if (gst_registry_find_feature (gst_registry_get (), "seecitvmotion",
          GST_TYPE_ELEMENT_FACTORY) == NULL) {
    g_printerr ("seecitvmotion not found: set GST_PLUGIN_PATH to the build's "
        "ext/opencv, or use `meson devenv`\n");
    return 1;
  }

  log_path = g_build_filename (output, "events.log", NULL);
  video_path = g_build_filename (output, "overlay.mkv", NULL);
  d.log = fopen (log_path, "w");
  if (d.log == NULL) {
    g_printerr ("cannot write %s\n", log_path);
    return 1;
  }
  d.n_frames = (guint) (duration * FPS);
  d.rand = g_rand_new_with_seed (1);
  d.texture = g_malloc (W * H);
  for (gint y = 0; y < H; y++)
    for (gint x = 0; x < W; x++) {
      /* smooth walls: the chequered one of the first version made the
       * face cascade see a face in it */
      gdouble v = 120 + 30 * sin (x / 29.0) + 20 * cos (y / 13.0);
      d.texture[y * W + x] = (guint8) CLAMP (v, 0, 255);
    }

  desc = g_strdup_printf ("appsrc name=src format=time is-live=false "
      "caps=video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! "
      "seecitvmotion draw=true ! seecitvredact zones=\"%s\" ! "
      "x264enc speed-preset=ultrafast ! "
      "h264parse ! matroskamux ! filesink location=\"%s\"", W, H, FPS,
      PRIVATE_ZONE, video_path);
  d.pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (d.pipeline == NULL) {
    g_printerr ("cannot build the pipeline: %s\n", err->message);
    return 1;
  }
  d.src = gst_bin_get_by_name (GST_BIN (d.pipeline), "src");
  g_signal_connect (d.src, "need-data", G_CALLBACK (need_data), &d);

  d.loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (d.pipeline);
  gst_bus_add_watch (bus, on_message, &d);

  g_print ("seecitv demo: %.0f s synthetic scene (a person walks in at 3 s, "
      "stands still 8-12 s, walks out by 16 s; lights dim at 17 s; the "
      "neighbour's window is a privacy zone)\n", duration);
  gst_element_set_state (d.pipeline, GST_STATE_PLAYING);
  g_main_loop_run (d.loop);
  gst_element_set_state (d.pipeline, GST_STATE_NULL);

  fclose (d.log);
  if (!d.failed) {
    g_print ("%u motion start(s), %u end(s)\n", d.n_start, d.n_end);
    g_print ("wrote %s\n      %s\n", log_path, video_path);
  }

  gst_bus_remove_watch (bus);
  gst_object_unref (bus);
  gst_object_unref (d.src);
  gst_object_unref (d.pipeline);
  g_main_loop_unref (d.loop);
  g_rand_free (d.rand);
  g_free (d.texture);
  g_free (log_path);
  g_free (video_path);
  g_free (output);
  return d.failed || d.n_start == 0 ? 1 : 0;
}
