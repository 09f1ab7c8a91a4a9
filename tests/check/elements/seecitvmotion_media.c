/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvmotion on recorded video: vtest.avi from Debian's opencv-doc
 * (people walking past a static camera, 768x576, 10 fps, 79.5 s), which
 * `./run testdata` fetches into testdata/. Without it this test exits 77,
 * which meson reports as SKIPPED, never as passed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

static gchar *vtest_path;

typedef struct
{
  guint n_buffers;
  guint n_with_regions;
} Counts;

static GstPadProbeReturn
count_regions (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Counts *counts = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);

  counts->n_buffers++;
  if (gst_buffer_get_video_region_of_interest_meta_id (buf, 0))
    counts->n_with_regions++;
  return GST_PAD_PROBE_OK;
}

GST_START_TEST (test_vtest_people_walking)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "seecitvmotion name=m ! fakesink name=sink", vtest_path);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstBus *bus = gst_element_get_bus (pipeline);
  Counts counts = { 0, 0 };
  guint n_start = 0, n_end = 0;
  GstMessage *msg;

  g_free (desc);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_regions, &counts,
      NULL);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while ((msg = gst_bus_timed_pop (bus, 120 * GST_SECOND))) {
    GstMessageType type = GST_MESSAGE_TYPE (msg);

    if (type == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gst_message_parse_error (msg, &err, NULL);
      fail ("error: %s", err->message);
    }
    if (type == GST_MESSAGE_ELEMENT) {
      if (gst_message_has_name (msg, "seecitvmotion-start"))
        n_start++;
      else if (gst_message_has_name (msg, "seecitvmotion-end"))
        n_end++;
    }
    gst_message_unref (msg);
    if (type == GST_MESSAGE_EOS)
      break;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  /* People are in view for almost the whole clip. */
  GST_INFO ("%u buffers, %u with regions, %u starts, %u ends",
      counts.n_buffers, counts.n_with_regions, n_start, n_end);
  fail_unless (counts.n_buffers > 700, "%u buffers", counts.n_buffers);
  fail_unless (n_start >= 1);
  fail_unless_equals_int (n_start, n_end);
  fail_unless (counts.n_with_regions * 10 >= counts.n_buffers * 8,
      "regions on %u of %u frames", counts.n_with_regions, counts.n_buffers);

  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_END_TEST;

static Suite *
seecitvmotion_media_suite (void)
{
  Suite *s = suite_create ("seecitvmotion_media");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 180);
  tcase_add_test (tc, test_vtest_people_walking);
  return s;
}

int
main (int argc, char **argv)
{
  const gchar *dir = g_getenv ("SEECITV_TESTDATA_DIR");
  Suite *s;
  int ret;

  vtest_path = g_build_filename (dir ? dir : "", "vtest.avi", NULL);
  if (dir == NULL || *dir == '\0' ||
      !g_file_test (vtest_path, G_FILE_TEST_IS_REGULAR)) {
    g_print ("SKIP: no vtest.avi in SEECITV_TESTDATA_DIR (%s); "
        "run ./run testdata\n", dir ? dir : "unset");
    g_free (vtest_path);
    return 77;
  }
  gst_check_init (&argc, &argv);
  s = seecitvmotion_media_suite ();
  ret = gst_check_run_suite (s, "seecitvmotion_media", __FILE__);
  g_free (vtest_path);
  return ret;
}
