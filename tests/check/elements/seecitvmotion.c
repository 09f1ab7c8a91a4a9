/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tests of seecitvmotion on synthetic scenes made here (textured background,
 * sensor noise, lighting changes, moving boxes), through GstHarness, plus
 * short pipelines for the formats and for the event crossing encoders.
 * Recorded media (vtest.avi) is in seecitvmotion_media.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#define W 640
#define H 360
#define FPS 15
#define FRAME_DUR (GST_SECOND / FPS)

typedef struct
{
  gint x, y, w, h;
  guint8 luma;
} Box;

/* Standard normal samples, drawn once: Box-Muller per pixel made the 30 s
 * noise test take most of a minute (several under ASan). Each frame reads
 * the table from a random offset, so the noise differs frame to frame. */
#define NOISE_TABLE_SIZE (1 << 20)

typedef struct
{
  GRand *rand;
  gdouble noise_sigma;          /* luma levels */
  gdouble gain;                 /* applied to the background */
  gdouble offset;               /* added to the background */
  guint8 *texture;              /* W x H */
  gfloat *noise;                /* NOISE_TABLE_SIZE standard normals */
} Scene;

static gdouble gaussian (GRand * rand);

static void
scene_init (Scene * s, guint32 seed, gdouble noise_sigma)
{
  s->rand = g_rand_new_with_seed (seed);
  s->noise_sigma = noise_sigma;
  s->gain = 1.0;
  s->offset = 0.0;
  s->noise = g_new (gfloat, NOISE_TABLE_SIZE);
  for (guint i = 0; i < NOISE_TABLE_SIZE; i++)
    s->noise[i] = (gfloat) gaussian (s->rand);
  s->texture = g_malloc (W * H);
  for (gint y = 0; y < H; y++)
    for (gint x = 0; x < W; x++) {
      gdouble v = 110 + 35 * sin (x / 23.0) + 25 * cos (y / 17.0)
          + (((x / 40) + (y / 40)) % 2 ? 15 : -15);
      s->texture[y * W + x] = (guint8) CLAMP (v, 0, 255);
    }
}

static void
scene_clear (Scene * s)
{
  g_rand_free (s->rand);
  g_free (s->texture);
  g_free (s->noise);
}

static gdouble
gaussian (GRand * rand)
{
  gdouble u1 = g_rand_double_range (rand, 1e-12, 1.0);
  gdouble u2 = g_rand_double (rand);
  return sqrt (-2.0 * log (u1)) * cos (2 * G_PI * u2);
}

/* Renders luma into @y (stride @stride) and returns nothing else: the
 * caller owns the memory layout. */
static void
scene_render_luma (Scene * s, guint8 * y, gint stride, const Box * boxes,
    guint n_boxes)
{
  guint k = g_rand_int_range (s->rand, 0, NOISE_TABLE_SIZE);

  for (gint row = 0; row < H; row++)
    for (gint x = 0; x < W; x++) {
      gdouble v = s->texture[row * W + x] * s->gain + s->offset;
      for (guint b = 0; b < n_boxes; b++) {
        const Box *box = &boxes[b];
        if (x >= box->x && x < box->x + box->w && row >= box->y &&
            row < box->y + box->h)
          v = box->luma;
      }
      if (s->noise_sigma > 0) {
        v += s->noise_sigma * s->noise[k];
        k = (k + 1) & (NOISE_TABLE_SIZE - 1);
      }
      y[row * stride + x] = (guint8) CLAMP (lround (v), 0, 255);
    }
}

/* An I420 buffer of the scene at frame @n. */
static GstBuffer *
scene_buffer (Scene * s, guint n, const Box * boxes, guint n_boxes)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, W, H);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  scene_render_luma (s, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), boxes, n_boxes);
  for (gint p = 1; p < 3; p++)
    memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, p), 128,
        GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p) *
        GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p));
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buf) = n * FRAME_DUR;
  GST_BUFFER_DURATION (buf) = FRAME_DUR;
  return buf;
}

typedef struct
{
  GstHarness *h;
  GstBus *bus;
  GList *messages;              /* element messages, oldest first */
  GList *events;                /* seecitv-motion events, oldest first,
                                 * after the first-frame one */
  GstEvent *announced;          /* the event before the first frame */
  guint n_pushed;
} Run;

static void
run_init (Run * r, const gchar * props)
{
  gchar *desc = g_strdup_printf ("seecitvmotion %s", props ? props : "");
  GError *err = NULL;
  GstElement *element;

  memset (r, 0, sizeof (*r));
  /* gst_parse_launch () sets the properties exactly as gst-launch-1.0
   * would, and returns the element itself for a single element. */
  element = gst_parse_launch (desc, &err);
  fail_unless (element != NULL && err == NULL, "%s", desc);
  g_free (desc);
  r->h = gst_harness_new_with_element (element, "sink", "src");
  gst_object_unref (element);
  r->bus = gst_bus_new ();
  gst_element_set_bus (r->h->element, r->bus);
  gst_harness_set_src_caps_str (r->h, "video/x-raw,format=I420,"
      "width=640,height=360,framerate=15/1");
}

static void
run_collect (Run * r)
{
  GstMessage *msg;
  GstEvent *ev;

  while ((msg = gst_bus_pop_filtered (r->bus, GST_MESSAGE_ELEMENT)))
    r->messages = g_list_append (r->messages, msg);
  while ((ev = gst_harness_try_pull_event (r->h))) {
    const GstStructure *s = gst_event_get_structure (ev);
    gboolean active = TRUE;

    if (GST_EVENT_TYPE (ev) != GST_EVENT_CUSTOM_DOWNSTREAM_STICKY ||
        !gst_structure_has_name (s, "seecitv-motion")) {
      gst_event_unref (ev);
    } else if (r->announced == NULL) {
      /* the first one comes with the first frame and says "no motion" */
      fail_unless (gst_structure_get_boolean (s, "active", &active));
      fail_if (active);
      fail_unless_equals_int (r->n_pushed, 1);
      r->announced = ev;
    } else {
      r->events = g_list_append (r->events, ev);
    }
  }
}

/* Pushes one frame, returns the output buffer (caller unrefs). */
static GstBuffer *
run_push (Run * r, GstBuffer * buf)
{
  GstBuffer *out;

  fail_unless_equals_int (gst_harness_push (r->h, buf), GST_FLOW_OK);
  out = gst_harness_pull (r->h);
  fail_unless (out != NULL);
  r->n_pushed++;
  run_collect (r);
  return out;
}

static void
run_clear (Run * r)
{
  g_list_free_full (r->messages, (GDestroyNotify) gst_message_unref);
  g_list_free_full (r->events, (GDestroyNotify) gst_event_unref);
  if (r->announced)
    gst_event_unref (r->announced);
  gst_element_set_bus (r->h->element, NULL);
  gst_object_unref (r->bus);
  gst_harness_teardown (r->h);
}

static guint
count_messages (Run * r, const gchar * name)
{
  guint n = 0;

  for (GList * l = r->messages; l; l = l->next)
    if (gst_structure_has_name (gst_message_get_structure (l->data), name))
      n++;
  return n;
}

static const GstStructure *
nth_message (Run * r, const gchar * name, guint nth)
{
  for (GList * l = r->messages; l; l = l->next) {
    const GstStructure *s = gst_message_get_structure (l->data);
    if (gst_structure_has_name (s, name) && nth-- == 0)
      return s;
  }
  return NULL;
}

static guint64
get_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = 0;
  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s in %"
      GST_PTR_FORMAT, field, s);
  return v;
}

static gdouble
iou (gint ax, gint ay, gint aw, gint ah, gint bx, gint by, gint bw, gint bh)
{
  gint x0 = MAX (ax, bx), y0 = MAX (ay, by);
  gint x1 = MIN (ax + aw, bx + bw), y1 = MIN (ay + ah, by + bh);
  gdouble inter = (x1 > x0 && y1 > y0) ? (gdouble) (x1 - x0) * (y1 - y0) : 0;
  return inter / ((gdouble) aw * ah + (gdouble) bw * bh - inter);
}

/* Pushes @n frames of the static scene. */
static void
push_static (Run * r, Scene * s, guint first, guint n, const Box * boxes,
    guint n_boxes)
{
  for (guint i = first; i < first + n; i++)
    gst_buffer_unref (run_push (r, scene_buffer (s, i, boxes, n_boxes)));
}

GST_START_TEST (test_static_noise_no_event)
{
  /* 30 s of a static textured scene with sensor noise, twice: typical and
   * heavy noise (sigma 3 and 7 luma levels). */
  static const gdouble sigmas[] = { 3.0, 7.0 };

  for (guint k = 0; k < G_N_ELEMENTS (sigmas); k++) {
    Run r;
    Scene s;

    run_init (&r, NULL);
    scene_init (&s, 42 + k, sigmas[k]);
    push_static (&r, &s, 0, 30 * FPS, NULL, 0);
    fail_unless_equals_int (count_messages (&r, "seecitvmotion-start"), 0);
    /* only the first-frame event, which says "no motion" */
    fail_unless (r.announced != NULL);
    fail_unless (r.events == NULL);
    scene_clear (&s);
    run_clear (&r);
  }
}

GST_END_TEST;

GST_START_TEST (test_lighting_step_no_event)
{
  Run r;
  Scene s;
  guint i;

  run_init (&r, NULL);
  scene_init (&s, 7, 3.0);
  push_static (&r, &s, 0, 30, NULL, 0);
  /* lights on: +70 levels everywhere at once */
  s.offset = 70;
  push_static (&r, &s, 30, 60, NULL, 0);
  /* lights off again, and an IR-cut-like gain drop */
  s.offset = 0;
  s.gain = 0.5;
  push_static (&r, &s, 90, 60, NULL, 0);
  fail_unless_equals_int (count_messages (&r, "seecitvmotion-start"), 0);

  /* The detector still works after re-learning: a box enters. */
  for (i = 150; i < 170; i++) {
    Box b = { 100 + (i - 150) * 8, 150, 60, 60, 250 };
    gst_buffer_unref (run_push (&r, scene_buffer (&s, i, &b, 1)));
  }
  fail_unless_equals_int (count_messages (&r, "seecitvmotion-start"), 1);
  scene_clear (&s);
  run_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_lighting_ramp_no_event)
{
  Run r;
  Scene s;
  guint i;

  /* Dusk to night and back: gain from 1.0 to 0.35 over 20 s, then up
   * again over 10 s, with noise. */
  run_init (&r, NULL);
  scene_init (&s, 9, 3.0);
  for (i = 0; i < 30 * FPS; i++) {
    gdouble t = (gdouble) i / FPS;
    s.gain = t < 20 ? 1.0 - 0.65 * t / 20 : 0.35 + 0.65 * (t - 20) / 10;
    gst_buffer_unref (run_push (&r, scene_buffer (&s, i, NULL, 0)));
  }
  fail_unless_equals_int (count_messages (&r, "seecitvmotion-start"), 0);
  scene_clear (&s);
  run_clear (&r);
}

GST_END_TEST;

/* A dark box sits still for @onset frames, then moves right at 6 px per
 * frame; returns the box at frame @i. */
static Box
moving_box (guint i, guint onset)
{
  Box b = { 200, 140, 48, 64, 20 };

  if (i > onset)
    b.x += (i - onset) * 6;
  return b;
}

GST_START_TEST (test_onset_timing_and_region)
{
  const guint onset = 45;       /* first frame where the box has moved */
  Run r;
  Scene s;
  guint i, posted_at = 0;
  const GstStructure *start, *region;
  const GValue *regions;
  gint x, y, w, h;
  gdouble best = 0;

  run_init (&r, "min-frames=3");
  scene_init (&s, 11, 3.0);
  for (i = 0; i < onset + 30; i++) {
    Box b = moving_box (i + 1, onset + 1);      /* moves from frame onset */
    GstBuffer *out = run_push (&r, scene_buffer (&s, i, &b, 1));

    if (posted_at == 0 && count_messages (&r, "seecitvmotion-start") == 1)
      posted_at = i;
    gst_buffer_unref (out);
  }

  fail_unless_equals_int (count_messages (&r, "seecitvmotion-start"), 1);
  start = nth_message (&r, "seecitvmotion-start", 0);
  GST_INFO ("start %" GST_PTR_FORMAT ", posted after frame %u", start,
      posted_at);
  /* onset within 2 analysed frames of the true one */
  fail_unless (ABS ((gint64) get_u64 (start, "running-time") -
          (gint64) (onset * FRAME_DUR)) <= (gint64) (2 * FRAME_DUR));
  fail_unless_equals_uint64 (get_u64 (start, "timestamp"),
      get_u64 (start, "running-time"));
  /* posted no later than min-frames + 2 analysed frames after the onset */
  fail_unless (posted_at <= onset + 3 + 2, "posted at %u", posted_at);

  /* the region of the confirming frame overlaps the box (IoU >= 0.5) */
  regions = gst_structure_get_value (start, "regions");
  fail_unless (regions != NULL && gst_value_array_get_size (regions) >= 1);
  for (guint k = 0; k < gst_value_array_get_size (regions); k++) {
    Box b = moving_box (posted_at + 1, onset + 1);

    region = gst_value_get_structure (gst_value_array_get_value (regions, k));
    fail_unless (gst_structure_get (region, "x", G_TYPE_INT, &x, "y",
            G_TYPE_INT, &y, "width", G_TYPE_INT, &w, "height", G_TYPE_INT,
            &h, NULL));
    best = MAX (best, iou (x, y, w, h, b.x, b.y, b.w, b.h));
  }
  fail_unless (best >= 0.5, "IoU %f, start posted after frame %u", best,
      posted_at);

  /* the sticky event carries the onset running time */
  fail_unless_equals_int (g_list_length (r.events), 1);
  {
    const GstStructure *es = gst_event_get_structure (r.events->data);
    gboolean active = FALSE;
    fail_unless (gst_structure_get_boolean (es, "active", &active));
    fail_unless (active);
    fail_unless_equals_uint64 (get_u64 (es, "running-time"),
        get_u64 (start, "running-time"));
  }

  scene_clear (&s);
  run_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_region_metas_and_passthrough)
{
  Run r;
  Scene s;
  guint i, with_meta = 0;

  run_init (&r, NULL);
  scene_init (&s, 12, 2.0);
  for (i = 0; i < 40; i++) {
    Box b = { 50 + i * 10, 100, 40, 80, 240 };
    GstBuffer *in = scene_buffer (&s, i, &b, 1);
    GstMapInfo a, c;
    GstBuffer *copy = gst_buffer_copy_deep (in);
    GstBuffer *out = run_push (&r, in);
    GstVideoRegionOfInterestMeta *meta;
    gpointer state = NULL;
    guint holding = 0, n_metas = 0;

    /* pixels untouched */
    fail_unless (gst_buffer_map (out, &a, GST_MAP_READ));
    fail_unless (gst_buffer_map (copy, &c, GST_MAP_READ));
    fail_unless_equals_int (a.size, c.size);
    fail_unless (memcmp (a.data, c.data, a.size) == 0);
    gst_buffer_unmap (out, &a);
    gst_buffer_unmap (copy, &c);
    gst_buffer_unref (copy);

    while ((meta = (GstVideoRegionOfInterestMeta *)
            gst_buffer_iterate_meta_filtered (out, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
      GstStructure *p;
      gdouble score = -1;

      fail_unless_equals_string (g_quark_to_string (meta->roi_type),
          "motion");
      p = gst_video_region_of_interest_meta_get_param (meta, "seecitv-motion");
      fail_unless (p != NULL);
      fail_unless (gst_structure_get_double (p, "score", &score));
      fail_unless (score > 0 && score <= 1.0);
      fail_unless (meta->x + meta->w <= W && meta->y + meta->h <= H);
      /* One region holds the box (others may hold the ghost that the
       * running average keeps where it started, until it fades). */
      if ((gint) meta->x <= b.x + 2 && (gint) meta->y <= b.y + 2
          && (gint) (meta->x + meta->w) + 2 >= b.x + b.w
          && (gint) (meta->y + meta->h) + 2 >= b.y + b.h)
        holding++;
      n_metas++;
    }
    if (i > 0) {
      fail_unless (holding == 1, "frame %u: %u of %u regions hold the box",
          i, holding, n_metas);
      with_meta++;
    }
    gst_buffer_unref (out);
  }
  fail_unless_equals_int (with_meta, 39);
  scene_clear (&s);
  run_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_end_after_delay)
{
  Run r;
  Scene s;
  guint i;
  const GstStructure *end;
  const guint stop = 30;        /* first frame where the box is still */
  guint posted_at = 0;

  run_init (&r, "end-delay=1000000000");
  scene_init (&s, 13, 3.0);
  for (i = 0; i < stop + 5 * FPS; i++) {
    Box b = { 40 + MIN (i, stop) * 8, 100, 40, 80, 240 };
    gst_buffer_unref (run_push (&r, scene_buffer (&s, i, &b, 1)));
    /* no end before one second of stillness */
    if (i < stop + FPS)
      fail_unless_equals_int (count_messages (&r, "seecitvmotion-end"), 0);
    if (count_messages (&r, "seecitvmotion-end") == 1 && posted_at == 0)
      posted_at = i;
  }
  fail_unless_equals_int (count_messages (&r, "seecitvmotion-start"), 1);
  fail_unless_equals_int (count_messages (&r, "seecitvmotion-end"), 1);
  end = nth_message (&r, "seecitvmotion-end", 0);
  /* The box stops at frame `stop`; the running average (learning-rate
   * 0.05) takes about 26 analysed frames to absorb a contrast of 130 below
   * the threshold, so stillness starts within 3 s of it, and the end is
   * that first still frame, not the frame that posted it. */
  fail_unless (get_u64 (end, "running-time") > stop * FRAME_DUR);
  fail_unless (get_u64 (end, "running-time") <= (stop + 3 * FPS) *
      FRAME_DUR);
  /* posted end-delay (1 s) after the first still frame */
  fail_unless (posted_at * FRAME_DUR >= get_u64 (end, "running-time") +
      GST_SECOND - FRAME_DUR);
  fail_unless (posted_at * FRAME_DUR <= get_u64 (end, "running-time") +
      GST_SECOND + FRAME_DUR);
  fail_unless (get_u64 (end, "duration") > 0);
  fail_unless_equals_int (g_list_length (r.events), 2);
  scene_clear (&s);
  run_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_end_at_eos)
{
  Run r;
  Scene s;
  guint i;
  const GstStructure *end;

  run_init (&r, NULL);
  scene_init (&s, 14, 2.0);
  for (i = 0; i < 20; i++) {
    Box b = { 40 + i * 8, 100, 40, 80, 240 };
    gst_buffer_unref (run_push (&r, scene_buffer (&s, i, &b, 1)));
  }
  fail_unless (gst_harness_push_event (r.h, gst_event_new_eos ()));
  run_collect (&r);
  fail_unless_equals_int (count_messages (&r, "seecitvmotion-end"), 1);
  end = nth_message (&r, "seecitvmotion-end", 0);
  fail_unless_equals_uint64 (get_u64 (end, "running-time"), 20 * FRAME_DUR);
  fail_unless_equals_int (g_list_length (r.events), 2);
  scene_clear (&s);
  run_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_mask_and_zones)
{
  Run r;
  Scene s;
  guint i;
  const GstStructure *start;
  const GValue *zones;

  /* The box moves only inside the left third: masked, nothing. */
  run_init (&r, "mask=\"0,0 0.4,0 0.4,1 0,1\"");
  scene_init (&s, 15, 3.0);
  for (i = 0; i < 60; i++) {
    Box b = { 20 + (i % 20) * 8, 120, 40, 60, 240 };
    gst_buffer_unref (run_push (&r, scene_buffer (&s, i, &b, 1)));
  }
  fail_unless_equals_int (count_messages (&r, "seecitvmotion-start"), 0);
  run_clear (&r);

  /* Same motion with a zone there instead: the zone is named. */
  run_init (&r, "zones=\"door:0.6:0,0 0.4,0 0.4,1 0,1;yard:0.5:0.6,0 1,0 "
      "1,1 0.6,1\"");
  for (i = 0; i < 60; i++) {
    Box b = { 20 + (i % 20) * 8, 120, 40, 60, 240 };
    GstBuffer *out = run_push (&r, scene_buffer (&s, i, &b, 1));
    GstVideoRegionOfInterestMeta *meta =
        gst_buffer_get_video_region_of_interest_meta_id (out, 0);

    if (meta) {
      GstStructure *p =
          gst_video_region_of_interest_meta_get_param (meta, "seecitv-motion");
      const GValue *z = gst_structure_get_value (p, "zones");
      fail_unless (z && gst_value_array_get_size (z) == 1);
      fail_unless_equals_string (g_value_get_string
          (gst_value_array_get_value (z, 0)), "door");
    }
    gst_buffer_unref (out);
  }
  fail_unless (count_messages (&r, "seecitvmotion-start") >= 1);
  start = nth_message (&r, "seecitvmotion-start", 0);
  zones = gst_structure_get_value (start, "zones");
  fail_unless (zones != NULL);
  fail_unless_equals_int (gst_value_array_get_size (zones), 1);
  fail_unless_equals_string (g_value_get_string (gst_value_array_get_value
          (zones, 0)), "door");

  /* A zone with sensitivity 0 ignores motion like a mask. */
  run_clear (&r);
  run_init (&r, "zones=\"door:0:0,0 0.4,0 0.4,1 0,1\"");
  for (i = 0; i < 60; i++) {
    Box b = { 20 + (i % 20) * 8, 120, 40, 60, 240 };
    gst_buffer_unref (run_push (&r, scene_buffer (&s, i, &b, 1)));
  }
  fail_unless_equals_int (count_messages (&r, "seecitvmotion-start"), 0);

  scene_clear (&s);
  run_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_max_analysis_rate)
{
  Run r;
  Scene s;
  guint i, with_meta = 0;

  /* 15 fps in, 5 analysed frames per second: one frame in three. */
  run_init (&r, "max-analysis-rate=5");
  scene_init (&s, 16, 2.0);
  for (i = 0; i < 60; i++) {
    Box b = { 40 + i * 8, 100, 40, 80, 240 };
    GstBuffer *out = run_push (&r, scene_buffer (&s, i, &b, 1));
    if (gst_buffer_get_video_region_of_interest_meta_id (out, 0))
      with_meta++;
    gst_buffer_unref (out);
  }
  /* 20 analysed, the first learns the background */
  fail_unless (with_meta >= 17 && with_meta <= 20, "%u", with_meta);
  fail_unless_equals_int (count_messages (&r, "seecitvmotion-start"), 1);
  scene_clear (&s);
  run_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_stride_padding_ignored)
{
  /* GRAY8 frames whose rows are padded with noise that changes every
   * frame: a stride-blind reader would see motion. */
  GstHarness *h = gst_harness_new ("seecitvmotion");
  GstBus *bus = gst_bus_new ();
  GRand *rand = g_rand_new_with_seed (3);
  const gint w = 320, hgt = 240, stride = 320 + 96;
  GstMessage *msg;
  guint n_start = 0;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=GRAY8,width=320,"
      "height=240,framerate=15/1");
  for (guint i = 0; i < 60; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, stride * hgt, NULL);
    gsize offset[4] = { 0, };
    gint strides[4] = { stride, };
    GstMapInfo map;

    fail_unless (gst_buffer_map (buf, &map, GST_MAP_WRITE));
    for (gint y = 0; y < hgt; y++)
      for (gint x = 0; x < stride; x++)
        map.data[y * stride + x] = x < w ? (guint8) (100 + (x / 20) * 5)
            : (guint8) g_rand_int_range (rand, 0, 256);
    gst_buffer_unmap (buf, &map);
    gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE,
        GST_VIDEO_FORMAT_GRAY8, w, hgt, 1, offset, strides);
    GST_BUFFER_PTS (buf) = i * FRAME_DUR;
    GST_BUFFER_DURATION (buf) = FRAME_DUR;
    fail_unless_equals_int (gst_harness_push (h, buf), GST_FLOW_OK);
    buf = gst_harness_pull (h);
    fail_if (gst_buffer_get_video_region_of_interest_meta_id (buf, 0) != NULL,
        "motion found in the padding at frame %u", i);
    gst_buffer_unref (buf);
  }
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT))) {
    n_start++;
    gst_message_unref (msg);
  }
  fail_unless_equals_int (n_start, 0);
  g_rand_free (rand);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Runs videotestsrc's moving ball through seecitvmotion in @format at a
 * width whose rows need padding, and returns the number of start messages;
 * checks that a region meta lies on the ball. */
static guint
run_format (const gchar * format, gboolean draw)
{
  gchar *desc;
  GstElement *pipeline, *sink;
  GstBus *bus;
  GstMessage *msg;
  guint n_start = 0, n_meta = 0;
  gboolean done = FALSE;

  desc = g_strdup_printf ("videotestsrc pattern=ball num-buffers=45 "
      "background-color=0xff303030 ! video/x-raw,format=%s,width=318,"
      "height=240,framerate=15/1 ! seecitvmotion name=m draw=%d ! "
      "appsink name=sink sync=false", format, draw);
  pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  bus = gst_element_get_bus (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_ASYNC);

  while (!done) {
    GstSample *sample = NULL;

    g_signal_emit_by_name (sink, "try-pull-sample", 5 * GST_SECOND, &sample);
    if (sample == NULL)
      break;
    if (gst_buffer_get_video_region_of_interest_meta_id (gst_sample_get_buffer
            (sample), 0))
      n_meta++;
    gst_sample_unref (sample);
  }
  while ((msg = gst_bus_pop (bus))) {
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = NULL;
      gst_message_parse_error (msg, &err, NULL);
      fail ("%s: error %s", format, err->message);
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT &&
        gst_message_has_name (msg, "seecitvmotion-start"))
      n_start++;
    gst_message_unref (msg);
  }
  fail_unless (n_meta >= 30, "%s: only %u frames with regions", format,
      n_meta);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return n_start;
}

GST_START_TEST (test_formats)
{
  static const gchar *formats[] = { "GRAY8", "I420", "YV12", "NV12", "NV21",
    "Y42B", "Y444", "YUY2", "UYVY", "RGB", "BGR", "RGBx", "BGRx", "xRGB",
    "xBGR", "RGBA", "BGRA", "ARGB", "ABGR"
  };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    fail_unless_equals_int (run_format (formats[i], FALSE), 1);
    fail_unless_equals_int (run_format (formats[i], TRUE), 1);
  }
}

GST_END_TEST;

GST_START_TEST (test_draw_changes_pixels)
{
  Run r;
  Scene s;
  guint i, changed = 0;

  run_init (&r, "draw=true zones=\"a:0.5:0.1,0.1 0.9,0.1 0.5,0.9\"");
  scene_init (&s, 17, 0.0);
  for (i = 0; i < 10; i++) {
    Box b = { 40 + i * 8, 100, 40, 80, 240 };
    GstBuffer *in = scene_buffer (&s, i, &b, 1);
    GstBuffer *copy = gst_buffer_copy_deep (in);
    GstBuffer *out = run_push (&r, in);
    GstMapInfo a, c;

    fail_unless (gst_buffer_map (out, &a, GST_MAP_READ));
    fail_unless (gst_buffer_map (copy, &c, GST_MAP_READ));
    if (memcmp (a.data, c.data, a.size) != 0)
      changed++;
    gst_buffer_unmap (out, &a);
    gst_buffer_unmap (copy, &c);
    gst_buffer_unref (copy);
    gst_buffer_unref (out);
  }
  /* the zone outline is drawn on every analysed frame */
  fail_unless_equals_int (changed, 10);
  scene_clear (&s);
  run_clear (&r);
}

GST_END_TEST;

static GstMessage *
start_with_bad_property (const gchar * prop, const gchar * value)
{
  GstElement *pipeline, *m;
  GstBus *bus;
  GstMessage *msg;

  pipeline = gst_parse_launch ("videotestsrc num-buffers=5 ! "
      "seecitvmotion name=m ! fakesink", NULL);
  m = gst_bin_get_by_name (GST_BIN (pipeline), "m");
  g_object_set (m, prop, value, NULL);
  bus = gst_element_get_bus (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (m);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return msg;
}

GST_START_TEST (test_bad_strings)
{
  static const gchar *bad[][2] = {
    {"mask", "0,0 1,0"},        /* two points */
    {"mask", "0,0 1,0 1,1;"},   /* trailing separator */
    {"mask", "0,0 1.5,0 1,1"},  /* out of range */
    {"mask", "nan,0 1,0 1,1"},
    {"zones", "door:0.5"},
    {"zones", "do or:0.5:0,0 1,0 1,1"},
    {"zones", "a:0.5:0,0 1,0 1,1;a:0.5:0,0 1,0 1,1"},
    {"zones", "a:2:0,0 1,0 1,1"},
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    GstMessage *msg = start_with_bad_property (bad[i][0], bad[i][1]);
    GError *err = NULL;
    const GstStructure *details = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error (msg, &err, &dbg);
    gst_message_parse_error_details (msg, &details);
    fail_unless (err->domain == GST_RESOURCE_ERROR);
    fail_unless_equals_int (err->code, GST_RESOURCE_ERROR_SETTINGS);
    fail_unless (details != NULL);
    fail_unless_equals_string (gst_structure_get_string (details, "property"),
        bad[i][0]);
    fail_unless (strstr (err->message, "at character") != NULL, "%s",
        err->message);
    g_error_free (err);
    g_free (dbg);
    gst_message_unref (msg);
  }
}

GST_END_TEST;

GST_START_TEST (test_bad_string_while_running_keeps_value)
{
  Run r;
  Scene s;
  gchar *mask = NULL;
  GstMessage *msg;
  GError *err = NULL;
  const GstStructure *details;

  run_init (&r, "mask=\"0,0 0.5,0 0.5,0.5\"");
  scene_init (&s, 18, 2.0);
  push_static (&r, &s, 0, 3, NULL, 0);
  g_object_set (r.h->element, "mask", "0,0 0.5", NULL);
  g_object_get (r.h->element, "mask", &mask, NULL);
  fail_unless_equals_string (mask, "0,0 0.5,0 0.5,0.5");
  g_free (mask);
  msg = gst_bus_pop_filtered (r.bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  gst_message_parse_warning (msg, &err, NULL);
  gst_message_parse_warning_details (msg, &details);
  fail_unless (err->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_string (gst_structure_get_string (details, "property"),
      "mask");
  g_error_free (err);
  gst_message_unref (msg);
  /* still flowing */
  push_static (&r, &s, 3, 3, NULL, 0);
  scene_clear (&s);
  run_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_unsupported_caps)
{
  GstHarness *h = gst_harness_new ("seecitvmotion");
  GstCaps *caps;

  caps = gst_caps_from_string ("video/x-raw,format=RGB16,width=64,height=64,"
      "framerate=15/1");
  fail_if (gst_pad_query_accept_caps (h->srcpad->peer, caps));
  gst_caps_unref (caps);
  caps = gst_caps_from_string ("image/jpeg,width=64,height=64");
  fail_if (gst_pad_query_accept_caps (h->srcpad->peer, caps));
  gst_caps_unref (caps);

  /* Caps it cannot take, then data: not negotiated, no crash. */
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB16,width=64,"
      "height=64,framerate=15/1");
  fail_unless_equals_int (gst_harness_push (h, gst_buffer_new_allocate (NULL,
              64 * 64 * 2, NULL)), GST_FLOW_NOT_NEGOTIATED);
  gst_harness_teardown (h);
}

GST_END_TEST;

typedef struct
{
  GMutex lock;
  GArray *active;               /* running times of active events */
  GArray *inactive;             /* running times of end events */
  guint announced;              /* first-frame events (active false) */
} EventLog;

static GstPadProbeReturn
log_motion_event (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  EventLog *log = user_data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  const GstStructure *s = gst_event_get_structure (event);
  gboolean active;
  guint64 rt;

  if (GST_EVENT_TYPE (event) == GST_EVENT_CUSTOM_DOWNSTREAM_STICKY &&
      gst_structure_has_name (s, "seecitv-motion") &&
      gst_structure_get_boolean (s, "active", &active) &&
      gst_structure_get_uint64 (s, "running-time", &rt)) {
    g_mutex_lock (&log->lock);
    if (log->announced == 0 && log->active->len == 0) {
      /* before the first frame: "no motion yet" */
      fail_if (active);
      log->announced++;
    } else {
      g_array_append_val (active ? log->active : log->inactive, rt);
    }
    g_mutex_unlock (&log->lock);
  }
  return GST_PAD_PROBE_OK;
}

/* Runs the ball through seecitvmotion and @encoder, and checks that the
 * seecitv-motion events come out of the encoder with the running times of
 * the messages. */
static void
check_event_crosses (const gchar * encoder)
{
  gchar *desc = g_strdup_printf ("videotestsrc pattern=ball num-buffers=60 "
      "! video/x-raw,format=I420,width=320,height=240,framerate=15/1 ! "
      "seecitvmotion ! %s ! fakesink name=sink", encoder);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  guint64 start_rt = GST_CLOCK_TIME_NONE, end_rt = GST_CLOCK_TIME_NONE;
  EventLog log;

  g_free (desc);
  g_mutex_init (&log.lock);
  log.active = g_array_new (FALSE, FALSE, sizeof (guint64));
  log.inactive = g_array_new (FALSE, FALSE, sizeof (guint64));
  log.announced = 0;
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      log_motion_event, &log, NULL);

  fail_unless_equals_int (gst_element_set_state (pipeline,
          GST_STATE_PLAYING), GST_STATE_CHANGE_ASYNC);
  while ((msg = gst_bus_timed_pop (bus, 60 * GST_SECOND))) {
    const GstStructure *s = gst_message_get_structure (msg);
    GstMessageType type = GST_MESSAGE_TYPE (msg);

    fail_if (type == GST_MESSAGE_ERROR);
    if (type == GST_MESSAGE_ELEMENT &&
        gst_structure_has_name (s, "seecitvmotion-start"))
      start_rt = get_u64 (s, "running-time");
    else if (type == GST_MESSAGE_ELEMENT &&
        gst_structure_has_name (s, "seecitvmotion-end"))
      end_rt = get_u64 (s, "running-time");
    gst_message_unref (msg);
    if (type == GST_MESSAGE_EOS)
      break;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);

  /* The ball never stops: one start, and the end that EOS brings. */
  fail_unless (GST_CLOCK_TIME_IS_VALID (start_rt));
  fail_unless (GST_CLOCK_TIME_IS_VALID (end_rt));
  fail_unless_equals_int (log.announced, 1);
  fail_unless_equals_int (log.active->len, 1);
  fail_unless_equals_int (log.inactive->len, 1);
  fail_unless_equals_uint64 (g_array_index (log.active, guint64, 0),
      start_rt);
  fail_unless_equals_uint64 (g_array_index (log.inactive, guint64, 0),
      end_rt);

  g_array_unref (log.active);
  g_array_unref (log.inactive);
  g_mutex_clear (&log.lock);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_event_crosses_encoders)
{
  check_event_crosses ("x264enc speed-preset=ultrafast ! h264parse");
  check_event_crosses ("jpegenc");
}

GST_END_TEST;

static Suite *
seecitvmotion_suite (void)
{
  Suite *s = suite_create ("seecitvmotion");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 300);
  tcase_add_test (tc, test_static_noise_no_event);
  tcase_add_test (tc, test_lighting_step_no_event);
  tcase_add_test (tc, test_lighting_ramp_no_event);
  tcase_add_test (tc, test_onset_timing_and_region);
  tcase_add_test (tc, test_region_metas_and_passthrough);
  tcase_add_test (tc, test_end_after_delay);
  tcase_add_test (tc, test_end_at_eos);
  tcase_add_test (tc, test_mask_and_zones);
  tcase_add_test (tc, test_max_analysis_rate);
  tcase_add_test (tc, test_stride_padding_ignored);
  tcase_add_test (tc, test_formats);
  tcase_add_test (tc, test_draw_changes_pixels);
  tcase_add_test (tc, test_bad_strings);
  tcase_add_test (tc, test_bad_string_while_running_keeps_value);
  tcase_add_test (tc, test_unsupported_caps);
  tcase_add_test (tc, test_event_crosses_encoders);
  return s;
}

GST_CHECK_MAIN (seecitvmotion);
