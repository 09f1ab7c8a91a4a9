/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The redaction survives the RTSP re-stream: seecitv-serve serves a still
 * of astronaut.png (python3-skimage, see `./run testdata`) as a live
 * device; frames read back with rtspsrc (right credentials) hold no face
 * that OpenCV's frontal-face cascades find (through ext/opencv/seecitvcv.h,
 * at full resolution), while the same cascades find the face in the source
 * (so the check can fail), and the frame is not simply hidden: away from
 * the face it matches the source. Without the media this test exits 77.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "seecitvcv.h"
#include "serve-common.h"

#define USER "nvr"
#define PASS "correct-horse-battery"

static const gchar *datadir;
static gchar *astronaut;

static const gchar *judges[] = {
  "haarcascades/haarcascade_frontalface_default.xml",
  "haarcascades/haarcascade_frontalface_alt2.xml",
};

static GArray *
faces_in (const gchar * judge, GstBuffer * buf, GstVideoInfo * info)
{
  const gchar *cv_dir = g_getenv ("SEECITV_OPENCV_DATA_DIR");
  gchar *path = g_build_filename (cv_dir ? cv_dir : "/usr/share/opencv4",
      judge, NULL);
  GError *error = NULL;
  SeecitvCvFaces *faces = seecitv_cv_faces_new_cascade (path, &error);
  SeecitvCvImage image = { 0, };
  const SeecitvCvRect *found;
  GstVideoFrame frame;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SeecitvCvRect));
  guint n;

  fail_unless (faces != NULL, "%s", error ? error->message : "");
  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_READ));
  image.data = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  image.width = GST_VIDEO_FRAME_WIDTH (&frame);
  image.height = GST_VIDEO_FRAME_HEIGHT (&frame);
  image.stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  image.channels = 1;
  image.luma_weights[0] = 1.0f;
  fail_unless (seecitv_cv_faces_detect (faces, &image, 0, 0, &found, &n,
          &error), "%s", error ? error->message : "");
  g_array_append_vals (out, found, n);
  gst_video_frame_unmap (&frame);
  seecitv_cv_faces_free (faces);
  g_free (path);
  return out;
}

/* The still as I420, decoded as the served pipeline decodes it. */
static GstBuffer *
load_source (GstVideoInfo * info)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! "
      "videoconvert ! video/x-raw,format=I420 ! appsink name=sink",
      astronaut);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstSample *sample;
  GstBuffer *buf;

  gst_element_set_state (pipe, GST_STATE_PLAYING);
  sample = gst_app_sink_pull_sample (GST_APP_SINK (sink));
  fail_unless (sample != NULL);
  fail_unless (gst_video_info_from_caps (info, gst_sample_get_caps (sample)));
  buf = gst_buffer_ref (gst_sample_get_buffer (sample));
  gst_sample_unref (sample);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  return buf;
}

/* Mean absolute luma difference between @a and @b (same size) over the
 * pixels inside (@inside) or outside the box. Also the luma standard
 * deviation of @b in *@stddev. */
static gdouble
luma_diff (GstBuffer * a, GstBuffer * b, GstVideoInfo * info,
    const SeecitvCvRect * box, gboolean inside, gdouble * stddev)
{
  GstVideoFrame fa, fb;
  gdouble sum = 0, s1 = 0, s2 = 0;
  guint64 n = 0, all = 0;

  fail_unless (gst_video_frame_map (&fa, info, a, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, info, b, GST_MAP_READ));
  for (gint y = 0; y < GST_VIDEO_INFO_HEIGHT (info); y++) {
    const guint8 *ra = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fa, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&fa, 0);
    const guint8 *rb = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&fb, 0) +
        y * GST_VIDEO_FRAME_PLANE_STRIDE (&fb, 0);

    for (gint x = 0; x < GST_VIDEO_INFO_WIDTH (info); x++) {
      gboolean in = x >= box->x && x < box->x + box->width &&
          y >= box->y && y < box->y + box->height;

      s1 += rb[x];
      s2 += (gdouble) rb[x] * rb[x];
      all++;
      if (in == inside) {
        sum += ABS ((gint) ra[x] - (gint) rb[x]);
        n++;
      }
    }
  }
  gst_video_frame_unmap (&fa);
  gst_video_frame_unmap (&fb);
  *stddev = sqrt (MAX (0.0, s2 / all - (s1 / all) * (s1 / all)));
  return n ? sum / n : 0;
}

GST_START_TEST (test_face_not_detectable)
{
  gchar *dir = g_dir_make_tmp ("seecitv-serve-media-XXXXXX", NULL);
  gchar *creds = write_file (dir, "rtsp.credentials", USER ":" PASS "\n");
  gchar *text = g_strdup_printf ("[rtsp]\naddress=127.0.0.1\nport=0\n"
      "credentials-file=%s\n[device astronaut]\npipeline=filesrc "
      "location=\"%s\" ! pngdec ! videoconvert ! imagefreeze is-live=true ! "
      "video/x-raw,framerate=10/1 ! queue\nbitrate=4000\n", creds,
      astronaut);
  gchar *config = write_file (dir, "serve.conf", text);
  GstVideoInfo src_info, out_info;
  GstBuffer *source = load_source (&src_info), *frame = NULL;
  SeecitvCvRect face, grown;
  GError *err = NULL;
  gdouble outside, stddev;
  Serve *s;
  const gchar *url;

  /* the judges see the face in the source */
  for (guint j = 0; j < G_N_ELEMENTS (judges); j++) {
    GArray *f = faces_in (judges[j], source, &src_info);

    fail_unless (f->len >= 1, "%s finds no face in the source", judges[j]);
    if (j == 0)
      face = g_array_index (f, SeecitvCvRect, 0);
    g_array_unref (f);
  }

  s = serve_start (config, 1);
  url = g_hash_table_lookup (s->urls, "astronaut");
  fail_unless (url != NULL, "%s", s->output->str);
  /* 20 frames: well past the redaction's look-ahead and the first GOP */
  fail_unless_equals_int (rtsp_receive (url, USER, PASS, 20, 60, &frame,
          &out_info, &err), 20);
  fail_unless (err == NULL, "%s", err ? err->message : "");
  {
    gint status = serve_stop (s);

    fail_unless (status == 0, "exit status %d:\n%s", status, s->output->str);
  }
  serve_free (s);

  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&out_info),
      GST_VIDEO_INFO_WIDTH (&src_info));
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&out_info),
      GST_VIDEO_INFO_HEIGHT (&src_info));
  for (guint j = 0; j < G_N_ELEMENTS (judges); j++) {
    GArray *f = faces_in (judges[j], frame, &out_info);

    fail_unless_equals_int (f->len, 0);
    g_array_unref (f);
  }
  /* not a hidden frame: away from the face (grown by half its size on each
   * side) the picture is the source's, H.264 losses aside */
  grown.x = face.x - face.width / 2;
  grown.y = face.y - face.height / 2;
  grown.width = face.width * 2;
  grown.height = face.height * 2;
  outside = luma_diff (source, frame, &out_info, &grown, FALSE, &stddev);
  GST_INFO ("outside the face: mean |diff| %.2f, stddev %.1f", outside,
      stddev);
  fail_unless (outside < 12.0, "the frame differs from the source away from "
      "the face (%.2f)", outside);
  fail_unless (stddev > 20.0, "the frame looks hidden (stddev %.1f)", stddev);

  gst_buffer_unref (frame);
  gst_buffer_unref (source);
  test_remove_tree (dir);
  g_free (config);
  g_free (text);
  g_free (creds);
  g_free (dir);
}

GST_END_TEST;

static Suite *
serve_media_suite (void)
{
  Suite *s = suite_create ("seecitv-serve_media");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 180);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_face_not_detectable);
  return s;
}

int
main (int argc, char **argv)
{
  Suite *s;
  gint ret;

  datadir = g_getenv ("SEECITV_TESTDATA_DIR");
  astronaut = g_build_filename (datadir ? datadir : "", "astronaut.png",
      NULL);
  if (datadir == NULL || *datadir == '\0' ||
      !g_file_test (astronaut, G_FILE_TEST_IS_REGULAR)) {
    g_print ("SKIP: no astronaut.png in SEECITV_TESTDATA_DIR (%s); run "
        "./run testdata\n", datadir ? datadir : "unset");
    g_free (astronaut);
    return 77;
  }
  gst_check_init (&argc, &argv);
  s = serve_media_suite ();
  ret = gst_check_run_suite (s, "seecitv-serve_media", __FILE__);
  g_free (astronaut);
  return ret;
}
