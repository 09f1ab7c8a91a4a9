/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvredact on real faces: messi5.jpg (opencv-doc), astronaut.png and
 * camera.png (python3-skimage), which `./run testdata` fetches into
 * testdata/. The judge is OpenCV run by the test itself through seecitvcv.h:
 * the element's default cascade at full resolution, and two other cascades
 * from opencv-data. Without the media this test exits 77 (SKIPPED).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <string.h>

#include "seecitvcv.h"

static const gchar *datadir;

#define CASCADES SEECITV_OPENCV_DATA_DIR
static const gchar *judges[] = {
  CASCADES "/haarcascades/haarcascade_frontalface_default.xml",
  CASCADES "/haarcascades/haarcascade_frontalface_alt2.xml",
  CASCADES "/lbpcascades/lbpcascade_frontalface_improved.xml",
};

/* Decodes @name from the test media into one I420 buffer. */
static GstBuffer *
load_image (const gchar * name, GstVideoInfo * info)
{
  gchar *path = g_build_filename (datadir, name, NULL);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "videoconvert ! video/x-raw,format=I420 ! appsink name=sink", path);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstSample *sample;
  GstBuffer *buf;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  sample = gst_app_sink_pull_sample (GST_APP_SINK (sink));
  fail_unless (sample != NULL, "cannot decode %s", path);
  fail_unless (gst_video_info_from_caps (info, gst_sample_get_caps (sample)));
  buf = gst_buffer_copy_deep (gst_sample_get_buffer (sample));
  gst_sample_unref (sample);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  g_free (path);
  GST_BUFFER_PTS (buf) = 0;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 15;
  return buf;
}

/* Faces found by cascade @judge at full resolution on @buf. */
static GArray *
judge_faces (const gchar * judge, GstBuffer * buf, GstVideoInfo * info)
{
  SeecitvCvFaces *faces;
  GError *error = NULL;
  GstVideoFrame frame;
  SeecitvCvImage image = { 0, };
  const SeecitvCvRect *found;
  guint n;
  GArray *out = g_array_new (FALSE, FALSE, sizeof (SeecitvCvRect));

  faces = seecitv_cv_faces_new_cascade (judge, &error);
  fail_unless (faces != NULL, "%s", error ? error->message : "");
  fail_unless (gst_video_frame_map (&frame, info, buf, GST_MAP_READ));
  image.data = GST_VIDEO_FRAME_PLANE_DATA (&frame, 0);
  image.width = GST_VIDEO_FRAME_WIDTH (&frame);
  image.height = GST_VIDEO_FRAME_HEIGHT (&frame);
  image.stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0);
  image.channels = 1;
  image.luma_weights[0] = 1.0f;
  fail_unless (seecitv_cv_faces_detect (faces, &image, 0, 0, &found, &n,
          &error));
  g_array_append_vals (out, found, n);
  gst_video_frame_unmap (&frame);
  seecitv_cv_faces_free (faces);
  return out;
}

static gboolean
intersects (const SeecitvCvRect * a, gint x, gint y, gint w, gint h)
{
  return a->x < x + w && x < a->x + a->width && a->y < y + h &&
      y < a->y + a->height;
}

/* Runs @in through seecitvredact @props and returns the output. */
static GstBuffer *
redact_one (GstBuffer * in, GstVideoInfo * info, const gchar * props)
{
  gchar *desc = g_strdup_printf ("seecitvredact %s", props);
  GstElement *element = gst_parse_launch (desc, NULL);
  GstHarness *h = gst_harness_new_with_element (element, "sink", "src");
  /* GstHarness reports a live upstream by default; these tests are about
   * what is redacted, not about keeping up with a clock (valgrind is
   * slow): see test_live_too_slow_hides for that. */
  gst_harness_set_live (h, FALSE);
  GstCaps *caps = gst_video_info_to_caps (info);
  GstBuffer *out;

  gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, 15, 1, NULL);
  gst_harness_set_src_caps (h, caps);
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_ref (in)),
      GST_FLOW_OK);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  out = gst_harness_pull (h);
  fail_unless (out != NULL);
  gst_harness_teardown (h);
  gst_object_unref (element);
  g_free (desc);
  return out;
}

/* TRUE when @a overlaps a face some judge found in the input. */
static gboolean
near_a_face (const SeecitvCvRect * a, GArray ** before)
{
  for (guint j = 0; j < G_N_ELEMENTS (judges); j++) {
    for (guint i = 0; i < before[j]->len; i++) {
      SeecitvCvRect *b = &g_array_index (before[j], SeecitvCvRect, i);
      if (intersects (a, b->x, b->y, b->width, b->height))
        return TRUE;
    }
  }
  return FALSE;
}

/* Every face any judge finds in the input is gone from the output: no
 * judge finds a face overlapping it. A judge's detection that overlaps no
 * face it or another judge found in the input is not one of them: the
 * cascades equalise the histogram of the whole picture, so redacting a
 * face moves the levels everywhere and can wake a false positive on the
 * other side of the picture (astronaut.png's helmet). */
static void
check_still (const gchar * name)
{
  GstVideoInfo info;
  GstBuffer *in = load_image (name, &info), *out;
  GArray *before[G_N_ELEMENTS (judges)];

  for (guint j = 0; j < G_N_ELEMENTS (judges); j++)
    before[j] = judge_faces (judges[j], in, &info);
  GST_INFO ("%s: %u faces before", name, before[0]->len);
  fail_unless (before[0]->len >= 1, "%s: the judge finds no face", name);

  out = redact_one (in, &info, "");
  for (guint j = 0; j < G_N_ELEMENTS (judges); j++) {
    GArray *after = judge_faces (judges[j], out, &info);
    guint faces = 0;

    for (guint i = 0; i < after->len; i++) {
      SeecitvCvRect *a = &g_array_index (after, SeecitvCvRect, i);
      gboolean face = near_a_face (a, before);

      GST_INFO ("%s: %s finds %d,%d %dx%d after%s", name, judges[j], a->x,
          a->y, a->width, a->height, face ? "" : " (no face there before)");
      faces += face;
    }
    fail_unless_equals_int (faces, 0);
    g_array_unref (after);
  }
  for (guint j = 0; j < G_N_ELEMENTS (judges); j++)
    g_array_unref (before[j]);
  gst_buffer_unref (in);
  gst_buffer_unref (out);
}

GST_START_TEST (test_messi_faces_gone)
{
  check_still ("messi5.jpg");
}

GST_END_TEST;

GST_START_TEST (test_astronaut_face_gone)
{
  check_still ("astronaut.png");
}

GST_END_TEST;

/* A 640x360 I420 scene: grey room, and from @first to @last the astronaut's
 * face pasted at (FACE_X, FACE_Y), except on frames @hide_from..@hide_to
 * where a grey box occludes it. */
#define SW 640
#define SH 360
#define FACE_X 240
#define FACE_Y 40

typedef struct
{
  GstBuffer *face;              /* I420 crop */
  GstVideoInfo face_info;
} FaceSource;

static void
face_source_init (FaceSource * fs)
{
  GstVideoInfo info;
  GstBuffer *img = load_image ("astronaut.png", &info);
  GArray *faces = judge_faces (judges[0], img, &info);
  SeecitvCvRect *f;
  GstVideoFrame src, dst;
  gint x0, y0, size;

  fail_unless (faces->len >= 1);
  f = &g_array_index (faces, SeecitvCvRect, 0);
  /* the face with some forehead and chin, even-aligned */
  size = MIN (MIN (f->width, f->height) * 2, 280) & ~1;
  x0 = CLAMP (f->x + f->width / 2 - size / 2, 0, info.width - size) & ~1;
  y0 = CLAMP (f->y + f->height / 2 - size / 2, 0, info.height - size) & ~1;
  gst_video_info_set_format (&fs->face_info, GST_VIDEO_FORMAT_I420, size,
      size);
  fs->face = gst_buffer_new_allocate (NULL, fs->face_info.size, NULL);
  fail_unless (gst_video_frame_map (&src, &info, img, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&dst, &fs->face_info, fs->face,
          GST_MAP_WRITE));
  for (gint p = 0; p < 3; p++) {
    gint sub = p ? 1 : 0;
    for (gint y = 0; y < size >> sub; y++)
      memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&dst, p) +
          y * GST_VIDEO_FRAME_PLANE_STRIDE (&dst, p),
          (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&src, p) +
          ((y0 >> sub) + y) * GST_VIDEO_FRAME_PLANE_STRIDE (&src, p) +
          (x0 >> sub), size >> sub);
  }
  gst_video_frame_unmap (&src);
  gst_video_frame_unmap (&dst);
  g_array_unref (faces);
  gst_buffer_unref (img);
}

static GstBuffer *
scene_frame (FaceSource * fs, GstVideoInfo * info, guint n, gboolean face,
    gboolean occluded)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  GstVideoFrame dst, src;
  gint size = fs->face_info.width;

  fail_unless (gst_video_frame_map (&dst, info, buf, GST_MAP_WRITE));
  for (gint p = 0; p < 3; p++)
    memset (GST_VIDEO_FRAME_PLANE_DATA (&dst, p), p ? 128 : 110,
        GST_VIDEO_FRAME_PLANE_STRIDE (&dst, p) *
        GST_VIDEO_FRAME_COMP_HEIGHT (&dst, p));
  if (face && !occluded) {
    fail_unless (gst_video_frame_map (&src, &fs->face_info, fs->face,
            GST_MAP_READ));
    for (gint p = 0; p < 3; p++) {
      gint sub = p ? 1 : 0;
      for (gint y = 0; y < size >> sub; y++)
        memcpy ((guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&dst, p) +
            ((FACE_Y >> sub) + y) * GST_VIDEO_FRAME_PLANE_STRIDE (&dst, p) +
            (FACE_X >> sub), (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&src, p) +
            y * GST_VIDEO_FRAME_PLANE_STRIDE (&src, p), size >> sub);
    }
    gst_video_frame_unmap (&src);
  }
  gst_video_frame_unmap (&dst);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (n, GST_SECOND, 15);
  GST_BUFFER_DURATION (buf) = GST_SECOND / 15;
  return buf;
}

/* TRUE when @buf carries a "redacted" region covering the pasted face. */
static gboolean
face_covered (GstBuffer * buf, gint size)
{
  GstVideoRegionOfInterestMeta *meta;
  gpointer state = NULL;

  while ((meta = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    if (meta->roi_type != g_quark_from_string ("redacted"))
      continue;
    /* the face proper is the middle two thirds of the crop */
    if ((gint) meta->x <= FACE_X + size / 6 &&
        (gint) meta->y <= FACE_Y + size / 6 &&
        (gint) (meta->x + meta->w) >= FACE_X + size * 5 / 6 &&
        (gint) (meta->y + meta->h) >= FACE_Y + size * 5 / 6)
      return TRUE;
  }
  return FALSE;
}

/* Pushes frames 0..@n_frames-1 (face on frames @first..@last, occluded on
 * @hide_from..@hide_to) and checks each output frame. */
static void
run_sequence (guint n_frames, guint first, guint last, guint hide_from,
    guint hide_to)
{
  FaceSource fs;
  GstVideoInfo info;
  GstElement *element = gst_parse_launch ("seecitvredact detect-interval=5",
      NULL);
  GstHarness *h = gst_harness_new_with_element (element, "sink", "src");
  /* GstHarness reports a live upstream by default; these tests are about
   * what is redacted, not about keeping up with a clock (valgrind is
   * slow): see test_live_too_slow_hides for that. */
  gst_harness_set_live (h, FALSE);
  guint n;

  face_source_init (&fs);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, SW, SH);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=I420,width=640,"
      "height=360,framerate=15/1");
  for (n = 0; n < n_frames; n++) {
    gboolean face = n >= first && n <= last;
    gboolean occluded = n >= hide_from && n <= hide_to;
    GstBuffer *in = scene_frame (&fs, &info, n, face, occluded);

    /* the judge sees the face in the input */
    if (face && !occluded) {
      GArray *found = judge_faces (judges[0], in, &info);
      fail_unless (found->len >= 1, "frame %u: no face in the input", n);
      g_array_unref (found);
    }
    fail_unless_equals_int (gst_harness_push (h, in), GST_FLOW_OK);
  }
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (gst_harness_buffers_received (h), n_frames);

  for (n = 0; n < n_frames; n++) {
    GstBuffer *out = gst_harness_pull (h);
    gboolean face = n >= first && n <= last;

    if (face) {
      GArray *found = judge_faces (judges[0], out, &info);

      fail_unless (face_covered (out, fs.face_info.width),
          "frame %u: the face is not covered", n);
      for (guint i = 0; i < found->len; i++)
        fail_if (intersects (&g_array_index (found, SeecitvCvRect, i),
                FACE_X, FACE_Y, fs.face_info.width, fs.face_info.height),
            "frame %u: a face is still found", n);
      g_array_unref (found);
    }
    gst_buffer_unref (out);
  }
  gst_buffer_unref (fs.face);
  gst_harness_teardown (h);
  gst_object_unref (element);
}

GST_START_TEST (test_face_right_after_run)
{
  /* Detection runs on frames 0, 5, 10...; the face appears on frame 1 and
   * must be covered from that frame on. */
  run_sequence (16, 1, 15, G_MAXUINT, 0);
}

GST_END_TEST;

GST_START_TEST (test_face_missed_by_runs_stays_covered)
{
  /* Visible on frames 1-30, occluded on 10-12 (the run on frame 10 finds
   * nothing): covered on every frame 1-30. */
  run_sequence (32, 1, 30, 10, 12);
}

GST_END_TEST;

static Suite *
seecitvredact_media_suite (void)
{
  Suite *s = suite_create ("seecitvredact_media");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_messi_faces_gone);
  tcase_add_test (tc, test_astronaut_face_gone);
  tcase_add_test (tc, test_face_right_after_run);
  tcase_add_test (tc, test_face_missed_by_runs_stays_covered);
  return s;
}

int
main (int argc, char **argv)
{
  static const gchar *needed[] = { "messi5.jpg", "astronaut.png",
    "camera.png"
  };
  Suite *s;

  datadir = g_getenv ("SEECITV_TESTDATA_DIR");
  for (guint i = 0; i < G_N_ELEMENTS (needed); i++) {
    gchar *path = g_build_filename (datadir ? datadir : "", needed[i], NULL);
    gboolean ok = datadir && *datadir &&
        g_file_test (path, G_FILE_TEST_IS_REGULAR);
    g_free (path);
    if (!ok) {
      g_print ("SKIP: no %s in SEECITV_TESTDATA_DIR (%s); run ./run "
          "testdata\n", needed[i], datadir ? datadir : "unset");
      return 77;
    }
  }
  gst_check_init (&argc, &argv);
  s = seecitvredact_media_suite ();
  return gst_check_run_suite (s, "seecitvredact_media", __FILE__);
}
