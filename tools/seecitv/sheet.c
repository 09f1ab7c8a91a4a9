/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `seecitv sheet`: one pass over a clip (filesrc ! seecitvdecrypt
 * purpose=sheet ! matroskademux ! decodebin ! videoconvert ! videoscale !
 * seecitvmotion ! appsink) keeps thumbnail-sized frames spread across the
 * clip and the motion start/end messages, then the grid and the motion
 * strip are drawn into one RGB frame that pngenc writes. GStreamer does the
 * decoding, scaling, motion analysis and PNG encoding; only the layout is
 * here. The command line is in seecitv.c.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitv-sheet.h"
#include "seecitv-cli.h"

#include <glib/gstdio.h>

#include <string.h>

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

/* First spacing of the frames kept; doubled whenever twice as many frames
 * as thumbnails are held, so memory stays bounded whatever the length. */
#define FIRST_INTERVAL (40 * GST_MSECOND)
/* Longest wait for the next bus message before giving up. */
#define BUS_TIMEOUT (120 * GST_SECOND)

static const guint8 colour_background[3] = { 32, 32, 32 };
static const guint8 colour_still[3] = { 80, 80, 80 };
static const guint8 colour_motion[3] = { 230, 40, 40 };
static const guint8 colour_tick[3] = { 255, 255, 255 };

typedef struct
{
  GstClockTime time;            /* running time */
  GstSample *sample;
} Thumb;

typedef struct
{
  GMutex lock;
  /* protected by lock: */
  GArray *kept;                 /* Thumb, in time order */
  GstClockTime interval;
  GstClockTime next;
  GstClockTime end;             /* end of the last frame seen */
  guint max_kept;
} Collector;

typedef struct
{
  GstClockTime start;
  GstClockTime end;             /* GST_CLOCK_TIME_NONE while open */
} Run;

static void
thumb_clear (Thumb * t)
{
  g_clear_pointer (&t->sample, gst_sample_unref);
}

/* appsink's new-sample, from the streaming thread */
static GstFlowReturn
on_new_sample (GstAppSink * sink, gpointer user_data)
{
  Collector *c = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  const GstSegment *segment;
  GstClockTime t;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  segment = gst_sample_get_segment (sample);
  if (buf == NULL || !GST_BUFFER_PTS_IS_VALID (buf) || segment == NULL) {
    gst_sample_unref (sample);
    return GST_FLOW_OK;
  }
  t = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
      GST_BUFFER_PTS (buf));
  if (!GST_CLOCK_TIME_IS_VALID (t)) {
    gst_sample_unref (sample);
    return GST_FLOW_OK;
  }

  g_mutex_lock (&c->lock);
  c->end = MAX (c->end, t + (GST_BUFFER_DURATION_IS_VALID (buf) ?
          GST_BUFFER_DURATION (buf) : 0));
  if (c->kept->len == 0 || t >= c->next) {
    Thumb th = { t, g_steal_pointer (&sample) };

    g_array_append_val (c->kept, th);
    c->next = t + c->interval;
    if (c->kept->len > 2 * c->max_kept) {
      guint i, j = 0;

      /* Keep every other frame, the first included. */
      for (i = 0; i < c->kept->len; i++) {
        Thumb *x = &g_array_index (c->kept, Thumb, i);

        if (i % 2 == 0)
          g_array_index (c->kept, Thumb, j++) = *x;
        else
          thumb_clear (x);
      }
      /* The tail now holds moved or released samples: not to be freed
       * again by the array's clear function. */
      for (i = j; i < c->kept->len; i++)
        g_array_index (c->kept, Thumb, i).sample = NULL;
      g_array_set_size (c->kept, j);
      c->interval *= 2;
      c->next = g_array_index (c->kept, Thumb, j - 1).time + c->interval;
    }
  }
  g_mutex_unlock (&c->lock);
  if (sample != NULL)
    gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static gboolean
run_is_active (GArray * runs, GstClockTime t, GstClockTime end)
{
  guint i;

  for (i = 0; i < runs->len; i++) {
    Run *r = &g_array_index (runs, Run, i);
    GstClockTime e = GST_CLOCK_TIME_IS_VALID (r->end) ? r->end : end;

    if (t >= r->start && t < e)
      return TRUE;
  }
  return FALSE;
}

/* Runs the decoding pipeline to EOS. */
static gboolean
collect (const SeecitvSheetOptions * opts, Collector * c, GArray * runs,
    gboolean * motion_available, GError ** error)
{
  GstElement *pipeline, *src, *dec, *caps, *sink;
  GstCaps *filter;
  GstBus *bus;
  GError *err = NULL;
  gboolean ok = FALSE, done = FALSE;
  gchar *desc;

  *motion_available = gst_element_factory_find ("seecitvmotion") != NULL;
  if (*motion_available)
    gst_object_unref (gst_element_factory_find ("seecitvmotion"));
  desc = g_strdup_printf ("filesrc name=src ! seecitvdecrypt name=dec "
      "purpose=sheet ! matroskademux ! decodebin ! videoconvert ! "
      "videoscale ! capsfilter name=caps ! %s appsink name=sink sync=false",
      *motion_available ? "seecitvmotion !" : "");
  pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (pipeline == NULL) {
    g_propagate_prefixed_error (error, err, "cannot build the pipeline "
        "(are the seecitvcrypto plugin and gst-plugins-good present?): ");
    return FALSE;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  dec = gst_bin_get_by_name (GST_BIN (pipeline), "dec");
  caps = gst_bin_get_by_name (GST_BIN (pipeline), "caps");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", opts->clip, NULL);
  g_object_set (dec, "keystore", opts->keystore, "passphrase-file",
      opts->passphrase_file, NULL);
  filter = gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGB",
      "width", G_TYPE_INT, (gint) opts->thumb_width,
      "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
  g_object_set (caps, "caps", filter, NULL);
  gst_caps_unref (filter);
  {
    GstAppSinkCallbacks cb = { 0 };

    cb.new_sample = on_new_sample;
    gst_app_sink_set_callbacks (GST_APP_SINK (sink), &cb, c, NULL);
  }

  bus = gst_element_get_bus (pipeline);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    done = FALSE;
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, BUS_TIMEOUT,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);

    if (msg == NULL) {
      g_set_error_literal (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
          "the clip did not finish decoding");
      break;
    }
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        ok = done = TRUE;
        break;
      case GST_MESSAGE_ERROR:{
        gst_message_parse_error (msg, &err, NULL);
        g_propagate_error (error, err);
        done = TRUE;
        break;
      }
      case GST_MESSAGE_ELEMENT:{
        const GstStructure *s = gst_message_get_structure (msg);
        guint64 rt = 0;

        if (!gst_structure_get_uint64 (s, "running-time", &rt))
          break;
        if (gst_message_has_name (msg, "seecitvmotion-start")) {
          Run r = { rt, GST_CLOCK_TIME_NONE };

          g_array_append_val (runs, r);
        } else if (gst_message_has_name (msg, "seecitvmotion-end") &&
            runs->len > 0) {
          g_array_index (runs, Run, runs->len - 1).end = rt;
        }
        break;
      }
      default:
        break;
    }
    gst_message_unref (msg);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (dec);
  gst_object_unref (caps);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return ok;
}

static void
fill_rect (GstVideoFrame * f, guint x, guint y, guint w, guint h,
    const guint8 * rgb)
{
  guint8 *data = GST_VIDEO_FRAME_PLANE_DATA (f, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);
  guint i, j;

  for (j = y; j < y + h; j++)
    for (i = x; i < x + w; i++)
      memcpy (data + (gsize) j * stride + 3 * i, rgb, 3);
}

/* Copies @sample's RGB frame to (@x, @y) of @f, clipped to @w x @h. */
static void
blit (GstVideoFrame * f, guint x, guint y, guint w, guint h,
    GstSample * sample)
{
  GstVideoInfo info;
  GstVideoFrame src;
  guint8 *dst = GST_VIDEO_FRAME_PLANE_DATA (f, 0);
  gint dstride = GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);
  guint j, cw, ch;

  if (!gst_video_info_from_caps (&info, gst_sample_get_caps (sample)) ||
      !gst_video_frame_map (&src, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ))
    return;
  cw = MIN (w, (guint) GST_VIDEO_FRAME_WIDTH (&src));
  ch = MIN (h, (guint) GST_VIDEO_FRAME_HEIGHT (&src));
  for (j = 0; j < ch; j++)
    memcpy (dst + (gsize) (y + j) * dstride + 3 * x,
        (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&src, 0) +
        (gsize) j * GST_VIDEO_FRAME_PLANE_STRIDE (&src, 0), 3 * cw);
  gst_video_frame_unmap (&src);
}

static gboolean
write_png (GstBuffer * buf, const GstVideoInfo * info, const gchar * output,
    GError ** error)
{
  GstElement *pipeline, *src, *sink;
  GstCaps *caps;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  gboolean ok = FALSE;

  pipeline = gst_parse_launch ("appsrc name=src format=time ! videoconvert "
      "! pngenc ! filesink name=sink", &err);
  if (pipeline == NULL) {
    g_propagate_prefixed_error (error, err, "cannot build the PNG encoder: ");
    gst_buffer_unref (buf);
    return FALSE;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  caps = gst_video_info_to_caps (info);
  g_object_set (src, "caps", caps, NULL);
  gst_caps_unref (caps);
  g_object_set (sink, "location", output, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND;
  gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, BUS_TIMEOUT,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg == NULL) {
    g_set_error_literal (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "the PNG encoder did not finish");
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    gst_message_parse_error (msg, &err, NULL);
    g_propagate_prefixed_error (error, err, "writing the PNG: ");
  } else {
    ok = TRUE;
  }
  if (msg)
    gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return ok;
}

/**
 * seecitv_sheet_make:
 *
 * Writes the contact sheet of @opts->clip to @opts->output (see
 * #SeecitvSheetOptions for the layout). The reading is logged in the
 * keystore's access log as a `sheet`.
 */
gboolean
seecitv_sheet_make (const SeecitvSheetOptions * opts,
    SeecitvSheetResult * result, GError ** error)
{
  Collector c;
  GArray *runs = g_array_new (FALSE, FALSE, sizeof (Run));
  GstVideoInfo info, tinfo;
  GstVideoFrame frame;
  GstBuffer *buf;
  guint rows, n, i, th, tw, strip_y, strip_w;
  gboolean ok = FALSE;

  g_return_val_if_fail (opts->columns > 0 && opts->thumbs > 0, FALSE);
  g_return_val_if_fail (opts->thumb_width >= 16, FALSE);

  memset (result, 0, sizeof (*result));
  g_mutex_init (&c.lock);
  c.kept = g_array_new (FALSE, FALSE, sizeof (Thumb));
  g_array_set_clear_func (c.kept, (GDestroyNotify) thumb_clear);
  c.interval = FIRST_INTERVAL;
  c.next = 0;
  c.end = 0;
  c.max_kept = opts->thumbs;

  if (!collect (opts, &c, runs, &result->motion_available, error))
    goto out;
  if (c.kept->len == 0) {
    g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "the clip has no video frame");
    goto out;
  }

  /* Thumbnails evenly across the frames kept (themselves evenly spaced). */
  n = MIN (opts->thumbs, c.kept->len);
  if (!gst_video_info_from_caps (&tinfo,
          gst_sample_get_caps (g_array_index (c.kept, Thumb, 0).sample))) {
    g_set_error_literal (error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
        "unexpected thumbnail caps");
    goto out;
  }
  tw = opts->thumb_width;
  th = GST_VIDEO_INFO_HEIGHT (&tinfo);
  rows = (n + opts->columns - 1) / opts->columns;
  result->width = opts->columns * (tw + SEECITV_SHEET_GAP) + SEECITV_SHEET_GAP;
  result->height = rows * (th + SEECITV_SHEET_GAP) +
      SEECITV_SHEET_STRIP_HEIGHT + 2 * SEECITV_SHEET_GAP;
  result->thumbs = n;
  result->duration = c.end;
  result->motion_runs = runs->len;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, result->width,
      result->height);
  GST_VIDEO_INFO_FPS_N (&info) = 0;
  GST_VIDEO_INFO_FPS_D (&info) = 1;
  buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  if (!gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE)) {
    gst_buffer_unref (buf);
    g_set_error_literal (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED,
        "cannot map the sheet");
    goto out;
  }
  fill_rect (&frame, 0, 0, result->width, result->height, colour_background);

  strip_y = SEECITV_SHEET_GAP + rows * (th + SEECITV_SHEET_GAP);
  strip_w = result->width - 2 * SEECITV_SHEET_GAP;
  for (i = 0; i < strip_w; i++) {
    GstClockTime t = gst_util_uint64_scale (2 * i + 1, c.end, 2 * strip_w);
    gboolean active = run_is_active (runs, t, c.end);

    fill_rect (&frame, SEECITV_SHEET_GAP + i, strip_y, 1,
        SEECITV_SHEET_STRIP_HEIGHT, active ? colour_motion : colour_still);
  }
  for (i = 0; i < runs->len; i++) {
    Run *r = &g_array_index (runs, Run, i);
    GstClockTime e = GST_CLOCK_TIME_IS_VALID (r->end) ? r->end : c.end;

    if (e > r->start)
      result->motion += e - r->start;
  }

  for (i = 0; i < n; i++) {
    guint k = n > 1 ? (guint) gst_util_uint64_scale (i, c.kept->len - 1,
        n - 1) : 0;
    Thumb *t = &g_array_index (c.kept, Thumb, k);
    guint x = SEECITV_SHEET_GAP + (i % opts->columns) * (tw +
        SEECITV_SHEET_GAP);
    guint y = SEECITV_SHEET_GAP + (i / opts->columns) * (th +
        SEECITV_SHEET_GAP);
    guint tick = c.end > 0 ? (guint) gst_util_uint64_scale (t->time,
        strip_w - 1, c.end) : 0;

    blit (&frame, x, y, tw, th, t->sample);
    fill_rect (&frame, SEECITV_SHEET_GAP + MIN (tick, strip_w - 1), strip_y,
        1, SEECITV_SHEET_STRIP_HEIGHT / 2, colour_tick);
  }
  gst_video_frame_unmap (&frame);
  ok = write_png (buf, &info, opts->output, error);

out:
  g_array_unref (c.kept);
  g_mutex_clear (&c.lock);
  g_array_unref (runs);
  return ok;
}

/* ---- the command ---- */

int
cmd_sheet (int argc, char **argv)
{
  gchar *output = NULL;
  gboolean force = FALSE;
  gint columns = 4, thumbs = 12, width = 240;
  GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The PNG to write",
        "OUT"},
    {"force", 'f', 0, G_OPTION_ARG_NONE, &force,
        "Overwrite OUT if it exists", NULL},
    {"columns", 0, 0, G_OPTION_ARG_INT, &columns,
        "Thumbnails per row (1..16, default 4)", "N"},
    {"thumbs", 0, 0, G_OPTION_ARG_INT, &thumbs,
        "Thumbnails (1..64, default 12)", "N"},
    {"width", 0, 0, G_OPTION_ARG_INT, &width,
        "Thumbnail width in pixels (32..1920, even, default 240)", "W"},
    {NULL}
  };
  int status = EXIT_FAIL;
  SeecitvSheetOptions opts = { 0 };
  SeecitvSheetResult res;
  gchar *path = NULL;
  GError *err = NULL;
  gboolean created = FALSE;

  if (!parse_command ("sheet", entries, &argc, &argv, &status))
    goto out;
  if (argc != 2 || output == NULL) {
    status = usage_error (FALSE, "usage: seecitv sheet CLIP -o OUT.png");
    goto out;
  }
  if (columns < 1 || columns > 16 || thumbs < 1 || thumbs > 64 ||
      width < 32 || width > 1920 || width % 2 != 0) {
    status = usage_error (FALSE, "--columns must be 1..16, --thumbs 1..64, "
        "--width an even 32..1920");
    goto out;
  }
  path = open_clip_for_output ("sheet", argv[1], output, force);
  if (path == NULL)
    goto out;
  created = TRUE;

  opts.keystore = opt_keystore;
  opts.passphrase_file = opt_passphrase_file;
  opts.clip = path;
  opts.output = output;
  opts.columns = columns;
  opts.thumbs = thumbs;
  opts.thumb_width = width;
  if (!seecitv_sheet_make (&opts, &res, &err)) {
    print_error ("sheet failed", err);
    goto out;
  }
  if (!res.motion_available)
    g_printerr ("seecitv: warning: seecitvmotion (the seecitvopencv plugin) "
        "is missing: the motion strip is empty\n");
  g_print ("wrote %s (%ux%u, %u thumbnails over %.1f s, motion %.1f s in "
      "%u runs)\n", output, res.width, res.height, res.thumbs,
      res.duration / (double) GST_SECOND, res.motion / (double) GST_SECOND,
      res.motion_runs);
  status = EXIT_OK;

out:
  if (status != EXIT_OK && created)
    g_unlink (output);
  g_clear_error (&err);
  g_free (path);
  g_free (output);
  return status;
}
