/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tests of seecitvredact that need no media: exact pixels of zones and
 * regions in every format, untouched pixels elsewhere, failure policies,
 * latency, messages. Faces on real pictures are in seecitvredact_media.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <string.h>

#define W 320
#define H 240

/* BT.601 limited-range YCbCr of pure green (0, 255, 0): Y 145, Cb 54,
 * Cr 34 (ITU-R BT.601 matrix, rounded). */
static const guint8 GREEN_YUV[3] = { 145, 54, 34 };

static const gchar *all_formats[] = { "I420", "YV12", "NV12", "NV21", "Y42B",
  "Y444", "GRAY8", "YUY2", "UYVY", "RGB", "BGR", "RGBx", "BGRx", "xRGB",
  "xBGR", "RGBA", "BGRA", "ARGB", "ABGR"
};

/* A frame of random bytes in @format (padding included). */
static GstBuffer *
random_frame (GstVideoInfo * info, guint32 seed, guint n)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GRand *rand = g_rand_new_with_seed (seed);
  GstMapInfo map;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
  for (gsize i = 0; i < map.size; i++)
    map.data[i] = g_rand_int_range (rand, 0, 256);
  gst_buffer_unmap (buf, &map);
  g_rand_free (rand);
  GST_BUFFER_PTS (buf) = n * GST_SECOND / 15;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 15;
  return buf;
}

/* Value of component @c at frame pixel (@x, @y). */
static guint8
comp_at (GstVideoFrame * f, gint c, gint x, gint y)
{
  const GstVideoFormatInfo *finfo = f->info.finfo;
  gint cx = x >> GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
  gint cy = y >> GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
  const guint8 *data = GST_VIDEO_FRAME_COMP_DATA (f, c);

  return data[cy * GST_VIDEO_FRAME_COMP_STRIDE (f, c) +
      cx * GST_VIDEO_FRAME_COMP_PSTRIDE (f, c)];
}

static guint8
expected_green (const GstVideoFormatInfo * finfo, gint c)
{
  if (GST_VIDEO_FORMAT_INFO_IS_RGB (finfo)) {
    static const guint8 rgba[4] = { 0, 255, 0, 255 };
    return rgba[c];
  }
  return GREEN_YUV[c];
}

/* Pushes one random frame through @h and returns input and output frames
 * mapped (caller unmaps and unrefs). */
static void
push_one (GstHarness * h, GstVideoInfo * info, GstBuffer ** in,
    GstBuffer ** out)
{
  GstBuffer *buf = random_frame (info, 7, 0);

  *in = gst_buffer_copy_deep (buf);
  fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  *out = gst_harness_pull (h);
  fail_unless (*out != NULL);
}

static GstHarness *
harness_for (const gchar * desc, const gchar * format, GstVideoInfo * info)
{
  GstElement *element = gst_parse_launch (desc, NULL);
  GstHarness *h;
  gchar *caps;

  fail_unless (element != NULL, "%s", desc);
  h = gst_harness_new_with_element (element, "sink", "src");
  /* GstHarness reports a live upstream by default; these tests are about
   * what is redacted, not about keeping up with a clock (valgrind is
   * slow): see test_live_too_slow_hides for that. */
  gst_harness_set_live (h, FALSE);
  gst_object_unref (element);
  caps = g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=15/1", format, W, H);
  {
    GstCaps *c = gst_caps_from_string (caps);
    fail_unless (gst_video_info_from_caps (info, c));
    gst_caps_unref (c);
  }
  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  return h;
}

GST_START_TEST (test_zone_fill_exact_every_plane)
{
  /* The zone is x 0.25-0.75, y 0.25-0.75: pixels 80-240 x 60-180. */
  for (guint i = 0; i < G_N_ELEMENTS (all_formats); i++) {
    GstVideoInfo info;
    GstHarness *h = harness_for ("seecitvredact detect=false method=fill "
        "fill-color=0xff00ff00 zones=\"0.25,0.25 0.75,0.25 0.75,0.75 "
        "0.25,0.75\"", all_formats[i], &info);
    GstBuffer *in, *out;
    GstVideoFrame fi, fo;
    const GstVideoFormatInfo *finfo = info.finfo;
    guint n_comp = GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo);
    guint n_bad = 0;
    gchar *first_bad = NULL;

    push_one (h, &info, &in, &out);
    fail_unless (gst_video_frame_map (&fi, &info, in, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
    for (gint y = 0; y < H; y++)
      for (gint x = 0; x < W; x++) {
        /* inside, one pixel (one chroma sample) away from the edge */
        gboolean inside = x >= 82 && x < 238 && y >= 62 && y < 178;
        /* outside the zone grown by alignment and chroma cover */
        gboolean outside = x < 76 || x >= 244 || y < 56 || y >= 184;

        for (guint c = 0; c < n_comp; c++) {
          guint8 got = comp_at (&fo, c, x, y), want;

          if (GST_VIDEO_FORMAT_INFO_HAS_ALPHA (finfo) && c == 3 && inside)
            continue;
          if (inside)
            want = expected_green (finfo, c);
          else if (outside)
            want = comp_at (&fi, c, x, y);
          else
            continue;
          /* one assertion per format below: per-sample assertions cost
           * minutes under ASan */
          if (got != want && n_bad++ == 0)
            first_bad = g_strdup_printf ("%s: component %u at %d,%d is "
                "0x%02x, not 0x%02x (%s)", all_formats[i], c, x, y, got,
                want, inside ? "inside" : "outside");
        }
      }
    fail_unless (n_bad == 0, "%u bad samples, first: %s", n_bad, first_bad);
    g_free (first_bad);
    gst_video_frame_unmap (&fi);
    gst_video_frame_unmap (&fo);
    gst_buffer_unref (in);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* An upstream region of interest of type @type at 100,60 120x120. */
static GstBuffer *
with_roi (GstBuffer * buf, const gchar * type)
{
  gst_buffer_add_video_region_of_interest_meta (buf, type, 100, 60, 120,
      120);
  return buf;
}

GST_START_TEST (test_roi_pixelate_uniform_blocks)
{
  /* A 120x120 region is cut into blocks of 120 / 6 = 20 pixels from its
   * corner (100, 60): every block is uniform in every component. */
  for (guint i = 0; i < G_N_ELEMENTS (all_formats); i++) {
    GstVideoInfo info;
    GstHarness *h = harness_for ("seecitvredact detect=false",
        all_formats[i], &info);
    GstBuffer *in = with_roi (random_frame (&info, 9, 0), "face");
    GstBuffer *copy = gst_buffer_copy_deep (in), *out;
    GstVideoFrame fi, fo;
    const GstVideoFormatInfo *finfo = info.finfo;
    guint n_comp = GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo);
    GstVideoRegionOfInterestMeta *meta;
    gpointer state = NULL;
    gboolean found = FALSE;
    guint n_bad = 0;

    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
    out = gst_harness_pull (h);
    fail_unless (out != NULL);
    fail_unless (gst_video_frame_map (&fi, &info, copy, GST_MAP_READ));
    fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));

    for (gint by = 60; by < 180; by += 20)
      for (gint bx = 100; bx < 220; bx += 20)
        for (guint c = 0; c < n_comp; c++) {
          guint8 v = comp_at (&fo, c, bx, by);
          for (gint y = by; y < by + 20; y++)
            for (gint x = bx; x < bx + 20; x++)
              n_bad += comp_at (&fo, c, x, y) != v;
        }
    fail_unless (n_bad == 0, "%s: %u samples differ from their block",
        all_formats[i], n_bad);
    for (gint y = 0; y < H; y++)
      for (gint x = 0; x < W; x++) {
        if (x >= 100 && x < 220 && y >= 60 && y < 180)
          continue;
        for (guint c = 0; c < n_comp; c++)
          n_bad += comp_at (&fo, c, x, y) != comp_at (&fi, c, x, y);
      }
    fail_unless (n_bad == 0, "%s: %u samples outside the region changed",
        all_formats[i], n_bad);

    while ((meta = (GstVideoRegionOfInterestMeta *)
            gst_buffer_iterate_meta_filtered (out, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
      if (meta->roi_type == g_quark_from_string ("redacted"))
        found = meta->x == 100 && meta->y == 60 && meta->w == 120 &&
            meta->h == 120;
    fail_unless (found, "%s: no redacted meta", all_formats[i]);

    gst_video_frame_unmap (&fi);
    gst_video_frame_unmap (&fo);
    gst_buffer_unref (copy);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_blur_changes_only_region)
{
  GstVideoInfo info;
  GstHarness *h = harness_for ("seecitvredact detect=false method=blur",
      "I420", &info);
  GstBuffer *in = with_roi (random_frame (&info, 11, 0), "face");
  GstBuffer *copy = gst_buffer_copy_deep (in), *out;
  GstVideoFrame fi, fo;
  guint changed = 0, n_bad = 0;

  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  out = gst_harness_pull (h);
  fail_unless (gst_video_frame_map (&fi, &info, copy, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
  for (gint y = 0; y < H; y++)
    for (gint x = 0; x < W; x++) {
      gboolean in_region = x >= 100 && x < 220 && y >= 60 && y < 180;
      for (gint c = 0; c < 3; c++) {
        if (!in_region)
          n_bad += comp_at (&fo, c, x, y) != comp_at (&fi, c, x, y);
        else if (comp_at (&fo, c, x, y) != comp_at (&fi, c, x, y))
          changed++;
      }
    }
  fail_unless_equals_int (n_bad, 0);
  /* random noise blurred: nearly every sample changes */
  fail_unless (changed > 120 * 120 * 3 / 2 * 9 / 10, "%u", changed);
  gst_video_frame_unmap (&fi);
  gst_video_frame_unmap (&fo);
  gst_buffer_unref (copy);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_nothing_to_do_bit_identical)
{
  GstVideoInfo info;
  /* Detection on, on random noise: no face; a "motion" region is not in
   * roi-types. Every frame comes out, bit-identical. */
  GstHarness *h = harness_for ("seecitvredact", "I420", &info);
  GstBuffer *copies[12];
  guint n;

  for (n = 0; n < G_N_ELEMENTS (copies); n++) {
    GstBuffer *in = with_roi (random_frame (&info, 20 + n, n), "motion");

    copies[n] = gst_buffer_copy_deep (in);
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_received (h),
      G_N_ELEMENTS (copies));
  for (n = 0; n < G_N_ELEMENTS (copies); n++) {
    GstBuffer *out = gst_harness_pull (h);
    GstMapInfo a, b;

    fail_unless (gst_buffer_map (out, &a, GST_MAP_READ));
    fail_unless (gst_buffer_map (copies[n], &b, GST_MAP_READ));
    fail_unless (a.size == b.size && memcmp (a.data, b.data, a.size) == 0,
        "frame %u changed", n);
    fail_unless_equals_uint64 (GST_BUFFER_PTS (out),
        GST_BUFFER_PTS (copies[n]));
    gst_buffer_unmap (out, &a);
    gst_buffer_unmap (copies[n], &b);
    gst_buffer_unref (out);
    gst_buffer_unref (copies[n]);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_lookahead_holds_interval_frames)
{
  GstVideoInfo info;
  GstHarness *h = harness_for ("seecitvredact detect-interval=4", "I420",
      &info);
  GstClockTime min, max;
  gboolean live;
  GstQuery *query;
  guint n;

  /* Frame 0 runs the detector and waits for nothing before it... */
  fail_unless_equals_int (gst_harness_push (h, random_frame (&info, 1, 0)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 1);
  /* ...frames 1-3 wait for the run on frame 4, which releases them all. */
  for (n = 1; n < 4; n++) {
    fail_unless_equals_int (gst_harness_push (h, random_frame (&info, 1, n)),
        GST_FLOW_OK);
    fail_unless_equals_int (gst_harness_buffers_received (h), 1);
  }
  fail_unless_equals_int (gst_harness_push (h, random_frame (&info, 1, 4)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 5);
  /* EOS drains what is held */
  fail_unless_equals_int (gst_harness_push (h, random_frame (&info, 1, 5)),
      GST_FLOW_OK);
  fail_unless_equals_int (gst_harness_buffers_received (h), 5);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_received (h), 6);

  /* The latency says 4 frames at 15 fps. */
  query = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (h->sinkpad, query));
  gst_query_parse_latency (query, &live, &min, &max);
  fail_unless_equals_uint64 (min, gst_util_uint64_scale (4, GST_SECOND, 15));
  gst_query_unref (query);
  gst_harness_teardown (h);
}

GST_END_TEST;

static GstBus *
harness_bus (GstHarness * h)
{
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  return bus;
}

GST_START_TEST (test_missing_cascade_hides_frames)
{
  GstVideoInfo info;
  GstHarness *h;
  GstBus *bus;
  GstMessage *msg;
  GstBuffer *out;
  GstVideoFrame fo;
  GError *err = NULL;

  h = harness_for ("seecitvredact detector=cascade cascade=/nonexistent/cascade.xml "
      "fill-color=0xff00ff00", "I420", &info);
  bus = harness_bus (h);
  /* harness_for started the element before the bus was set: restart */
  gst_element_set_state (h->element, GST_STATE_NULL);
  gst_element_set_state (h->element, GST_STATE_PLAYING);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=I420,width=320,"
      "height=240,framerate=15/1");
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (err->domain == GST_LIBRARY_ERROR);
  fail_unless_equals_int (err->code, GST_LIBRARY_ERROR_INIT);
  g_error_free (err);
  gst_message_unref (msg);

  for (guint n = 0; n < 3; n++)
    fail_unless_equals_int (gst_harness_push (h, random_frame (&info, 3, n)),
        GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_received (h), 3);
  for (guint n = 0; n < 3; n++) {
    out = gst_harness_pull (h);
    fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
    for (gint y = 0; y < H; y += 7)
      for (gint x = 0; x < W; x += 5)
        for (gint c = 0; c < 3; c++)
          fail_unless_equals_int (comp_at (&fo, c, x, y), GREEN_YUV[c]);
    gst_video_frame_unmap (&fo);
    gst_buffer_unref (out);
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_missing_cascade_error)
{
  GstElement *pipeline;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  const GstStructure *details = NULL;

  pipeline = gst_parse_launch ("videotestsrc num-buffers=3 ! seecitvredact "
      "detector=cascade cascade=/nonexistent/cascade.xml on-failure=error ! fakesink", NULL);
  bus = gst_element_get_bus (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  gst_message_parse_error_details (msg, &details);
  fail_unless (err->domain == GST_LIBRARY_ERROR);
  fail_unless_equals_int (err->code, GST_LIBRARY_ERROR_INIT);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "detector-unavailable");
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_missing_model_error)
{
  GstElement *pipeline;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  /* No DNN model ships with Debian: only the missing and invalid paths
   * can be tested here. */
  static const gchar *models[] = { "/nonexistent/yunet.onnx",
    SEECITV_OPENCV_DATA_DIR "/haarcascades/haarcascade_frontalface_default.xml"
  };

  for (guint i = 0; i < G_N_ELEMENTS (models); i++) {
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! "
        "seecitvredact model=\"%s\" on-failure=error ! fakesink", models[i]);

    pipeline = gst_parse_launch (desc, NULL);
    g_free (desc);
    bus = gst_element_get_bus (pipeline);
    fail_unless_equals_int (gst_element_set_state (pipeline,
            GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL);
    gst_message_parse_error (msg, &err, NULL);
    fail_unless (err->domain == GST_LIBRARY_ERROR);
    g_clear_error (&err);
    gst_message_unref (msg);
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (bus);
    gst_object_unref (pipeline);
  }
}

GST_END_TEST;

GST_START_TEST (test_pass_on_failure_warns_and_passes)
{
  GstVideoInfo info;
  GstHarness *h;
  GstBuffer *in, *copy, *out;
  GstMapInfo a, b;

  h = harness_for ("seecitvredact detector=cascade cascade=/nonexistent/cascade.xml "
      "on-failure=pass", "I420", &info);
  in = random_frame (&info, 5, 0);
  copy = gst_buffer_copy_deep (in);
  fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  out = gst_harness_pull (h);
  fail_unless (gst_buffer_map (out, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (copy, &b, GST_MAP_READ));
  fail_unless (memcmp (a.data, b.data, a.size) == 0);
  gst_buffer_unmap (out, &a);
  gst_buffer_unmap (copy, &b);
  gst_buffer_unref (out);
  gst_buffer_unref (copy);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_draw_warns)
{
  GstVideoInfo info;
  GstHarness *h = harness_for ("seecitvredact detect=false draw=true",
      "I420", &info);
  GstBus *bus = harness_bus (h);
  GstMessage *msg;
  GError *err = NULL;

  fail_unless_equals_int (gst_harness_push (h, with_roi (random_frame (&info,
                  6, 0), "face")), GST_FLOW_OK);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, "NOT redacted") != NULL);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_stats_message)
{
  GstVideoInfo info;
  GstHarness *h = harness_for ("seecitvredact detect=false", "I420", &info);
  GstBus *bus = harness_bus (h);
  GstMessage *msg;
  guint n_stats = 0, frames = 0;

  /* 3 s at 15 fps: a message per second of running time, at most */
  for (guint n = 0; n < 45; n++)
    fail_unless_equals_int (gst_harness_push (h, with_roi (random_frame
                (&info, n, n), "face")), GST_FLOW_OK);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);
    guint f = 0;

    if (gst_structure_has_name (s, "seecitvredact-stats")) {
      n_stats++;
      fail_unless (gst_structure_get_uint (s, "frames", &f));
      frames += f;
    }
    gst_message_unref (msg);
  }
  fail_unless (n_stats >= 2 && n_stats <= 3, "%u", n_stats);
  fail_unless (frames >= 29 && frames <= 45, "%u", frames);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_bad_zones)
{
  GstElement *pipeline, *r;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  pipeline = gst_parse_launch ("videotestsrc num-buffers=3 ! "
      "seecitvredact name=r detect=false ! fakesink", NULL);
  r = gst_bin_get_by_name (GST_BIN (pipeline), "r");
  g_object_set (r, "zones", "0,0 1,1", NULL);
  bus = gst_element_get_bus (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (err->code, GST_RESOURCE_ERROR_SETTINGS);
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (r);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_live_too_slow_hides)
{
  /* Live at 10000 fps with a run every frame: 0.1 ms of look-ahead, which no
   * Haar run on 320x240 fits in. Frames are hidden, with one warning. */
  GstElement *element = gst_parse_launch ("seecitvredact detect-interval=1 "
      "fill-color=0xff00ff00", NULL);
  GstHarness *h = gst_harness_new_with_element (element, "sink", "src");
  GstBus *bus = harness_bus (h);
  GstVideoInfo info;
  GstMessage *msg;
  GError *err = NULL;
  const GstStructure *details;
  guint n_warnings = 0;

  gst_object_unref (element);
  gst_harness_set_live (h, TRUE);
  gst_harness_set_upstream_latency (h, 0);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=I420,width=320,"
      "height=240,framerate=10000/1");
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, W, H);
  for (guint n = 0; n < 4; n++)
    fail_unless_equals_int (gst_harness_push (h, random_frame (&info, n, n)),
        GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  for (guint n = 0; n < 4; n++) {
    GstBuffer *out = gst_harness_pull (h);
    GstVideoFrame fo;

    fail_unless (gst_video_frame_map (&fo, &info, out, GST_MAP_READ));
    fail_unless_equals_int (comp_at (&fo, 0, 100, 100), GREEN_YUV[0]);
    gst_video_frame_unmap (&fo);
    gst_buffer_unref (out);
  }
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    gst_message_parse_warning (msg, &err, NULL);
    gst_message_parse_warning_details (msg, &details);
    fail_unless_equals_string (gst_structure_get_string (details, "reason"),
        "too-slow");
    g_clear_error (&err);
    gst_message_unref (msg);
    n_warnings++;
  }
  fail_unless_equals_int (n_warnings, 1);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_ready_only_properties_refused_while_running)
{
  GstVideoInfo info;
  GstHarness *h = harness_for ("seecitvredact detect-interval=4", "I420",
      &info);
  GstBus *bus = harness_bus (h);
  GstMessage *msg;
  const GstStructure *details;
  guint interval = 0;

  fail_unless_equals_int (gst_harness_push (h, random_frame (&info, 1, 0)),
      GST_FLOW_OK);
  g_object_set (h->element, "detect-interval", 9, NULL);
  g_object_get (h->element, "detect-interval", &interval, NULL);
  fail_unless_equals_int (interval, 4);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_parse_warning_details (msg, &details);
  fail_unless_equals_string (gst_structure_get_string (details, "property"),
      "detect-interval");
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
seecitvredact_suite (void)
{
  Suite *s = suite_create ("seecitvredact");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_zone_fill_exact_every_plane);
  tcase_add_test (tc, test_roi_pixelate_uniform_blocks);
  tcase_add_test (tc, test_blur_changes_only_region);
  tcase_add_test (tc, test_nothing_to_do_bit_identical);
  tcase_add_test (tc, test_lookahead_holds_interval_frames);
  tcase_add_test (tc, test_missing_cascade_hides_frames);
  tcase_add_test (tc, test_missing_cascade_error);
  tcase_add_test (tc, test_missing_model_error);
  tcase_add_test (tc, test_pass_on_failure_warns_and_passes);
  tcase_add_test (tc, test_draw_warns);
  tcase_add_test (tc, test_stats_message);
  tcase_add_test (tc, test_bad_zones);
  tcase_add_test (tc, test_live_too_slow_hides);
  tcase_add_test (tc, test_ready_only_properties_refused_while_running);
  return s;
}

GST_CHECK_MAIN (seecitvredact);
