/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * redact-bench: speed and face recall of seecitvredact next to
 * gst-plugins-bad's faceblur, on the same frames in one run. It decodes
 * messi5.jpg and astronaut.png once, composes a short sequence of I420
 * frames per size (the football picture panning slowly behind two
 * astronauts that drift a few pixels per frame), converts it once to RGB
 * for faceblur's conversion-free variant, and pushes the frames through
 * appsrc into each pipeline a short and a long number of times. The cost
 * per frame is the difference of the medians divided by the difference of
 * the frame counts, in wall and process CPU time, so that start-up cancels
 * out; the process runs on one CPU, since Debian's OpenCV spreads a
 * detection over every CPU it may use. An untimed run of each element over
 * consecutive frames is judged by a third cascade that neither element
 * uses, at full resolution: a face the judge finds in an input frame counts
 * as hidden when the judge finds no face overlapping its box in the output
 * frame; knowing where the pictures were pasted tells the judge's false
 * positives apart. The issue 3 targets are printed as PASS/MISS but never
 * change the exit status: this is a measurement, not a test. No element
 * code lives here; the judge is the project's plain-C OpenCV adapter
 * (seecitvcv.h).
 */

/* sched_setaffinity () and the CPU_* macros */
#define _GNU_SOURCE

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/app/app.h>
#include <gst/video/video.h>

#include "seecitvcv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sched.h>
#include <sys/utsname.h>

#include "benchcommon.h"

#ifndef SEECITV_TESTDATA_DIR
#define SEECITV_TESTDATA_DIR "testdata"
#endif

/* Caps rate: what a camera sends, and what the real-time target is for.
 * Nothing waits for the timestamps. */
#define FPS_N 30
#define FPS_D 1

#define DEFAULT_SHORT 10
#define DEFAULT_LONG 70
#define DEFAULT_PEER_SHORT 2
#define DEFAULT_PEER_LONG 10
#define DEFAULT_REPEATS 5
#define DEFAULT_POOL 30
#define DEFAULT_RECALL_FRAMES 10
#define DEFAULT_SIZES "1920x1080,1280x720"
#define DEFAULT_JUDGE "haarcascades/haarcascade_frontalface_alt2.xml"
#define DEFAULT_JUDGE_MIN_SIZE 0
#define DEFAULT_CORES 1

/* Targets of issue 3, at 1080p. */
#define TARGET_RATIO 10.0
#define TARGET_MS (1000.0 / 30.0)

/* A luma difference above this marks a pixel as changed by an element
 * (faceblur's RGB round trip moves levels by one or two). */
#define CHANGED_LEVEL 12

/* A judge box in the output is the same face as one in the input when
 * their intersection over union reaches this: a slightly shifted box of a
 * blurred face matches, a neighbouring face does not. */
#define MATCH_IOU 0.3

/* A face the judge loses counts as hidden only if at least this fraction
 * of its box changed by more than CHANGED_LEVEL. */
#define TOUCHED 0.02

typedef enum
{
  B_BASE,
  B_BASE_COW,
  B_BASE_RGB_COW,
  B_ROUNDTRIP,
  B_REDACT,
  B_FACEBLUR_CONVERT,
  B_FACEBLUR_RGB,
  N_BENCH
} BenchId;

typedef struct
{
  const gchar *name;            /* label in the output */
  const gchar *chain;           /* between appsrc and fakesink, or NULL */
  gboolean rgb;                 /* fed with the pre-converted RGB frames */
  gboolean cow;                 /* the sink maps each buffer writable */
  gboolean peer;                /* slow: uses the faceblur frame counts */
  gint baseline;                /* bench it is differenced with, or -1 */
} Bench;

/* "dut" is the element under test; faceblur's profile is set by name after
 * parsing, to the cascade seecitvredact uses. */
static const Bench benches[N_BENCH] = {
  {"baseline", NULL, FALSE, FALSE, FALSE, -1},
  {"baseline-cow", NULL, FALSE, TRUE, FALSE, -1},
  {"baseline-rgb-cow", NULL, TRUE, TRUE, FALSE, -1},
  {"convert-roundtrip", "videoconvert ! video/x-raw,format=RGB ! "
        "videoconvert ! video/x-raw,format=I420", FALSE, FALSE, FALSE,
      B_BASE},
  {"seecitvredact", "seecitvredact name=dut", FALSE, FALSE, FALSE,
      B_BASE_COW},
  {"faceblur+convert", "videoconvert ! video/x-raw,format=RGB ! "
        "faceblur name=dut ! videoconvert ! video/x-raw,format=I420", FALSE,
      FALSE, TRUE, B_ROUNDTRIP},
  {"faceblur-rgb", "faceblur name=dut", TRUE, FALSE, TRUE, B_BASE_RGB_COW},
};

/* What one run saw. Written by the streaming thread (probe, sync handler)
 * before EOS, read by the main thread after it. */
typedef struct
{
  guint buffers;                /* reaching the sink */
  guint redacted_buffers;       /* with at least one "redacted" ROI meta */
  guint regions;                /* "redacted" ROI metas in all */
  guint hidden_frames;          /* of them, whole frames hidden */
  guint stats_messages;         /* seecitvredact-stats */
  guint faces_found;            /* their faces-found, summed */
  guint warnings;               /* WARNING messages on the bus */
} Counts;

typedef struct
{
  gint64 wall_ns;
  gint64 cpu_ns;
  Counts counts;
} RunResult;

/* Where the pasted faces are, to tell the judge's false positives apart.
 * Normalised boxes inside each picture, generous around the face (the
 * judge's box of it fits well inside). */
typedef enum
{
  FACE_MESSI,
  FACE_BIG,
  FACE_SMALL,
  FACE_OTHER,                   /* the judge found a face where none is */
  N_FACES
} FaceClass;

static const gchar *face_names[N_FACES] = {
  "messi (background)", "astronaut, 46% of height",
  "astronaut, 24% of height", "elsewhere (judge false positives)"
};

/* The pasted faces of one frame, in frame pixels. */
typedef SeecitvCvRect TruthBoxes[FACE_OTHER];

/* x0, y0, x1, y1 */
static const gdouble messi_face[4] = { 0.40, 0.25, 0.50, 0.40 };
static const gdouble astronaut_face[4] = { 0.30, 0.08, 0.58, 0.36 };

typedef struct
{
  gint width;
  gint height;
  GstVideoInfo info;            /* I420 */
  TruthBoxes *truth;            /* per pool frame */
  GPtrArray *i420;              /* GstBuffer, owned */
  GPtrArray *rgb;               /* GstBuffer, owned */
  GstCaps *i420_caps;
  GstCaps *rgb_caps;
  GArray **judged;              /* per pool frame: SeecitvCvRect, or NULL */
} FrameSet;

typedef struct
{
  gdouble wall_ms;              /* per frame */
  gdouble cpu_ms;
  gdouble start_wall_ms;        /* fixed cost of a run */
  gdouble start_cpu_ms;
} Cost;

typedef struct
{
  gboolean done;
  guint faces[N_FACES];         /* judge faces in the input frames */
  guint hidden[N_FACES];        /* of them, hidden in the output */
  guint64 heights[N_FACES];     /* sum of their heights */
  guint extra;                  /* output faces matching no input face */
  guint untouched;              /* lost by the judge, but not changed */
  guint frames;
  gdouble changed;              /* fraction of luma pixels changed */
  guint hidden_frames;          /* seecitvredact: frames hidden whole */
  guint regions;                /* seecitvredact: "redacted" metas */
} Recall;

/* Options */
static gint opt_short = DEFAULT_SHORT;
static gint opt_long = DEFAULT_LONG;
static gint opt_peer_short = DEFAULT_PEER_SHORT;
static gint opt_peer_long = DEFAULT_PEER_LONG;
static gint opt_repeats = DEFAULT_REPEATS;
static gint opt_pool = DEFAULT_POOL;
static gint opt_recall_frames = DEFAULT_RECALL_FRAMES;
static gchar *opt_sizes = NULL;
static gchar *opt_judge = NULL;
static gint opt_judge_min_size = DEFAULT_JUDGE_MIN_SIZE;
static gchar *opt_testdata = NULL;
static gint opt_cores = DEFAULT_CORES;
static gboolean opt_verbose = FALSE;
static gchar *opt_only = NULL;
static gchar *opt_dump = NULL;
static gboolean selected[N_BENCH];

/* The cascade seecitvredact loads by default, read from a new instance;
 * faceblur gets the same file as its profile. */
static gchar *cascade_path = NULL;

static GOptionEntry entries[] = {
  {"short", 's', 0, G_OPTION_ARG_INT, &opt_short,
        "Frames in a short run of seecitvredact and the baselines (default 10)",
      "N"},
  {"long", 'l', 0, G_OPTION_ARG_INT, &opt_long,
        "Frames in a long run of seecitvredact and the baselines (default 70)",
      "N"},
  {"faceblur-short", 0, 0, G_OPTION_ARG_INT, &opt_peer_short,
      "Frames in a short run of faceblur (default 2)", "N"},
  {"faceblur-long", 0, 0, G_OPTION_ARG_INT, &opt_peer_long,
      "Frames in a long run of faceblur (default 10)", "N"},
  {"repeats", 'r', 0, G_OPTION_ARG_INT, &opt_repeats,
      "Runs of each length per pipeline; the median is kept (default 5)", "R"},
  {"pool", 'p', 0, G_OPTION_ARG_INT, &opt_pool,
        "Distinct frames composed per size, pushed in a cycle (default 30)",
      "K"},
  {"recall-frames", 0, 0, G_OPTION_ARG_INT, &opt_recall_frames,
      "Consecutive frames judged per element and size (default 10; 0 "
        "skips recall)", "N"},
  {"sizes", 0, 0, G_OPTION_ARG_STRING, &opt_sizes,
      "Frame sizes (default " DEFAULT_SIZES ")", "WxH[,WxH...]"},
  {"judge", 'j', 0, G_OPTION_ARG_FILENAME, &opt_judge,
      "Cascade of the judge (default " SEECITV_OPENCV_DATA_DIR "/"
        DEFAULT_JUDGE ")", "FILE"},
  {"judge-min-size", 0, 0, G_OPTION_ARG_INT, &opt_judge_min_size,
      "Smallest face the judge looks for, in frame pixels (default 0: its "
        "cascade's window)", "PX"},
  {"testdata", 0, 0, G_OPTION_ARG_FILENAME, &opt_testdata,
      "Directory with messi5.jpg and astronaut.png (default "
        SEECITV_TESTDATA_DIR ")", "DIR"},
  {"cores", 'c', 0, G_OPTION_ARG_INT, &opt_cores,
      "Run the whole process on this many CPUs (default 1: Debian's "
        "OpenCV spreads detection over every CPU it may use, whatever "
        "OPENCV_FOR_THREADS_NUM says); 0 leaves the affinity alone", "N"},
  {"only", 0, 0, G_OPTION_ARG_STRING, &opt_only,
        "Run only these pipelines (names as printed), e.g. to profile one",
      "NAME[,NAME...]"},
  {"dump", 0, 0, G_OPTION_ARG_FILENAME, &opt_dump,
      "Write the last judged input frame and each element's output of "
        "it as PNG files into DIR", "DIR"},
  {"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
      "Print every run as it finishes and every judged frame", NULL},
  {NULL}
};


/* ---- machine ---- */



/* Restricts the process (every thread started from now on, OpenCV's TBB
 * workers included) to the first @n CPUs it may use. Returns a newly
 * allocated description. */
static gchar *
restrict_cpus (gint n)
{
  cpu_set_t allowed, use;
  GString *desc = g_string_new (NULL);
  gint count = 0;

  if (sched_getaffinity (0, sizeof (allowed), &allowed) != 0)
    return g_string_free (desc, FALSE);
  CPU_ZERO (&use);
  for (gint c = 0; c < CPU_SETSIZE; c++) {
    if (!CPU_ISSET (c, &allowed))
      continue;
    if (count < n || n <= 0) {
      CPU_SET (c, &use);
      g_string_append_printf (desc, "%s%d", count ? "," : "", c);
      count++;
    }
  }
  if (n > 0 && sched_setaffinity (0, sizeof (use), &use) != 0)
    g_string_assign (desc, "(could not set the affinity)");
  return g_string_free (desc, FALSE);
}

static void
print_machine (const gchar * cpus)
{
  struct utsname u;
  gchar *model = cpu_model ();
  gchar *load = load_average ();
  guint major, minor, micro, nano;

  gst_version (&major, &minor, &micro, &nano);
  if (uname (&u) != 0)
    memset (&u, 0, sizeof (u));
  g_print ("machine: %s; %s %s %s\n", model, u.sysname, u.release, u.machine);
  g_print ("CPUs used: %s (--cores %d)\n", cpus, opt_cores);
  g_print ("GStreamer %u.%u.%u; OPENCV_FOR_THREADS_NUM=%s; "
      "OPENCV_LOG_LEVEL=%s\n", major, minor, micro,
      g_getenv ("OPENCV_FOR_THREADS_NUM") ?
      g_getenv ("OPENCV_FOR_THREADS_NUM") : "(unset)",
      g_getenv ("OPENCV_LOG_LEVEL") ? g_getenv ("OPENCV_LOG_LEVEL") :
      "(unset)");
  g_print ("load average at start: %s\n", load);
  g_free (model);
  g_free (load);
}

/* ---- frames ---- */

/* Decodes the image at @path to I420 at its own size. Returns the buffer
 * (caller owns it) and fills @info, or returns NULL after printing why. */
static GstBuffer *
decode_image (const gchar * path, GstVideoInfo * info)
{
  GstElement *pipeline, *src, *sink;
  GstSample *sample;
  GstBuffer *buf = NULL;
  GError *error = NULL;

  pipeline = gst_parse_launch ("filesrc name=src ! decodebin ! videoconvert "
      "! video/x-raw,format=I420 ! appsink name=sink sync=false", &error);
  if (pipeline == NULL) {
    g_printerr ("cannot build a decoder: %s\n", error->message);
    g_error_free (error);
    return NULL;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "location", path, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  sample = gst_app_sink_pull_sample (GST_APP_SINK (sink));
  if (sample != NULL) {
    if (gst_video_info_from_caps (info, gst_sample_get_caps (sample)))
      buf = gst_buffer_copy_deep (gst_sample_get_buffer (sample));
    gst_sample_unref (sample);
  }
  if (buf == NULL)
    g_printerr ("cannot decode %s\n", path);

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return buf;
}

/* Returns a new I420 buffer holding @src (described by @src_info) scaled
 * to @width x @height, and fills @info. */
static GstBuffer *
scale_image (GstBuffer * src, const GstVideoInfo * src_info, gint width,
    gint height, GstVideoInfo * info)
{
  GstVideoConverter *convert;
  GstVideoFrame in, out;
  GstBuffer *buf;

  gst_video_info_set_format (info, GST_VIDEO_FORMAT_I420, width, height);
  buf = gst_buffer_new_allocate (NULL, info->size, NULL);
  convert = gst_video_converter_new ((GstVideoInfo *) src_info, info, NULL);
  gst_video_frame_map (&in, src_info, src, GST_MAP_READ);
  gst_video_frame_map (&out, info, buf, GST_MAP_WRITE);
  gst_video_converter_frame (convert, &in, &out);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  gst_video_converter_free (convert);
  return buf;
}

/* Copies the @w x @h rectangle at (@sx, @sy) of @src to (@dx, @dy) of @dst,
 * every plane; I420, all coordinates even, everything inside both. */
static void
copy_rect (GstVideoFrame * dst, gint dx, gint dy, GstVideoFrame * src,
    gint sx, gint sy, gint w, gint h)
{
  for (gint c = 0; c < 3; c++) {
    const gint shift = c == 0 ? 0 : 1;
    const gint ds = GST_VIDEO_FRAME_COMP_STRIDE (dst, c);
    const gint ss = GST_VIDEO_FRAME_COMP_STRIDE (src, c);
    guint8 *d = GST_VIDEO_FRAME_COMP_DATA (dst, c);
    const guint8 *s = GST_VIDEO_FRAME_COMP_DATA (src, c);

    for (gint y = 0; y < h >> shift; y++)
      memcpy (d + (gsize) ((dy >> shift) + y) * ds + (dx >> shift),
          s + (gsize) ((sy >> shift) + y) * ss + (sx >> shift), w >> shift);
  }
}

static inline gint
even (gdouble v)
{
  return 2 * (gint) floor (v / 2.0 + 0.5);
}

/* 0 at frame 0, 1 half way through the pool, back to 0 at its end: the
 * pool cycles without a jump. */
static gdouble
triangle (gint index, gint pool)
{
  gdouble phase = (gdouble) (index % pool) / pool;

  return phase < 0.5 ? 2.0 * phase : 2.0 - 2.0 * phase;
}

/* Converts the I420 pool with videoconvert, as faceblur+convert does, so
 * that faceblur sees the same pixels with and without conversion. */
static gboolean
convert_pool (FrameSet * set)
{
  GstElement *pipeline, *src, *sink;
  GstSample *sample;
  GError *error = NULL;

  pipeline = gst_parse_launch ("appsrc name=src format=time block=false "
      "! videoconvert ! video/x-raw,format=RGB ! appsink name=sink "
      "sync=false", &error);
  if (pipeline == NULL) {
    g_printerr ("cannot build the RGB conversion: %s\n", error->message);
    g_error_free (error);
    return FALSE;
  }
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "caps", set->i420_caps, "max-bytes", (guint64) 0, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);

  for (guint i = 0; i < set->i420->len; i++)
    gst_app_src_push_buffer (GST_APP_SRC (src),
        gst_buffer_ref (g_ptr_array_index (set->i420, i)));
  gst_app_src_end_of_stream (GST_APP_SRC (src));

  while ((sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))) != NULL) {
    if (set->rgb_caps == NULL)
      set->rgb_caps = gst_caps_ref (gst_sample_get_caps (sample));
    /* A deep copy, so that nothing of the converter's pool is kept. */
    g_ptr_array_add (set->rgb,
        gst_buffer_copy_deep (gst_sample_get_buffer (sample)));
    gst_sample_unref (sample);
  }

  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return set->rgb->len == set->i420->len;
}

/* Places the normalised box @norm of a picture pasted at (@x, @y) with
 * size @w x @h. */
static void
set_truth (SeecitvCvRect * r, const gdouble norm[4], gint x, gint y, gint w,
    gint h)
{
  r->x = x + (gint) (norm[0] * w);
  r->y = y + (gint) (norm[1] * h);
  r->width = (gint) ((norm[2] - norm[0]) * w);
  r->height = (gint) ((norm[3] - norm[1]) * h);
  r->score = 1;
}

/* The pictures, decoded once. */
typedef struct
{
  GstBuffer *background;        /* messi5.jpg */
  GstVideoInfo background_info;
  GstBuffer *person;            /* astronaut.png */
  GstVideoInfo person_info;
} Pictures;

/* Composes the pool of one size: messi5 scaled to cover the frame with a
 * margin, panning 2 px per frame (1 px vertically), a large astronaut on
 * the right drifting 4 px per frame and a small one at the bottom left
 * drifting 2 px per frame the other way. Every motion is a triangle over
 * the pool, so cycling it stays smooth. */
static FrameSet *
frame_set_new (const Pictures * pics, gint width, gint height, gint pool)
{
  FrameSet *set = g_new0 (FrameSet, 1);
  const gint pan = pool;        /* 2 px per frame over half a pool */
  const gint big = even (0.46 * height), small = even (0.24 * height);
  GstVideoInfo bg_info, big_info, small_info;
  GstBuffer *bg, *big_buf, *small_buf;
  GstVideoFrame bgf, bigf, smallf;
  gdouble cover;
  gint bg_w, bg_h;

  set->width = width;
  set->height = height;
  set->i420 = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  set->rgb = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  set->judged = g_new0 (GArray *, pool);
  set->truth = g_new0 (TruthBoxes, pool);

  gst_video_info_set_format (&set->info, GST_VIDEO_FORMAT_I420, width, height);
  GST_VIDEO_INFO_FPS_N (&set->info) = FPS_N;
  GST_VIDEO_INFO_FPS_D (&set->info) = FPS_D;
  set->i420_caps = gst_video_info_to_caps (&set->info);

  cover = MAX ((gdouble) (width + 2 * pan) /
      GST_VIDEO_INFO_WIDTH (&pics->background_info),
      (gdouble) (height + 2 * pan) /
      GST_VIDEO_INFO_HEIGHT (&pics->background_info));
  bg_w = even (cover * GST_VIDEO_INFO_WIDTH (&pics->background_info) + 1);
  bg_h = even (cover * GST_VIDEO_INFO_HEIGHT (&pics->background_info) + 1);
  bg = scale_image (pics->background, &pics->background_info, bg_w, bg_h,
      &bg_info);
  big_buf = scale_image (pics->person, &pics->person_info, big, big, &big_info);
  small_buf = scale_image (pics->person, &pics->person_info, small, small,
      &small_info);
  gst_video_frame_map (&bgf, &bg_info, bg, GST_MAP_READ);
  gst_video_frame_map (&bigf, &big_info, big_buf, GST_MAP_READ);
  gst_video_frame_map (&smallf, &small_info, small_buf, GST_MAP_READ);

  for (gint i = 0; i < pool; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, set->info.size, NULL);
    gdouble t = triangle (i, pool);
    GstVideoFrame frame;

    const gint cx = even ((bg_w - width - pan) / 2.0 + t * pan);
    const gint cy = even ((bg_h - height - pan / 2) / 2.0 + t * pan / 2);
    const gint bx = even (0.60 * width + t * 2 * pan);
    const gint by = even (0.05 * height + (1 - t) * pan);
    const gint sx = even (0.04 * width + (1 - t) * pan);
    const gint sy = even (0.70 * height - t * pan / 2);

    gst_video_frame_map (&frame, &set->info, buf, GST_MAP_WRITE);
    copy_rect (&frame, 0, 0, &bgf, cx, cy, width, height);
    copy_rect (&frame, bx, by, &bigf, 0, 0, big, big);
    copy_rect (&frame, sx, sy, &smallf, 0, 0, small, small);
    gst_video_frame_unmap (&frame);
    set_truth (&set->truth[i][FACE_MESSI], messi_face, -cx, -cy, bg_w, bg_h);
    set_truth (&set->truth[i][FACE_BIG], astronaut_face, bx, by, big, big);
    set_truth (&set->truth[i][FACE_SMALL], astronaut_face, sx, sy, small,
        small);
    g_ptr_array_add (set->i420, buf);
  }

  gst_video_frame_unmap (&bgf);
  gst_video_frame_unmap (&bigf);
  gst_video_frame_unmap (&smallf);
  gst_buffer_unref (bg);
  gst_buffer_unref (big_buf);
  gst_buffer_unref (small_buf);

  if (!convert_pool (set)) {
    g_printerr ("cannot pre-convert the frames to RGB\n");
    exit (2);
  }
  return set;
}

static void
frame_set_free (FrameSet * set, gint pool)
{
  for (gint i = 0; i < pool; i++)
    if (set->judged[i] != NULL)
      g_array_unref (set->judged[i]);
  g_free (set->judged);
  g_free (set->truth);
  g_ptr_array_unref (set->i420);
  g_ptr_array_unref (set->rgb);
  gst_caps_unref (set->i420_caps);
  gst_clear_caps (&set->rgb_caps);
  g_free (set);
}

/* ---- one run ---- */

typedef struct
{
  GstElement *pipeline;
  Counts counts;
  GPtrArray *collect;           /* deep copies of the output, or NULL */
  GstMessage *error;            /* first error, protected by lock */
  GMutex lock;
} RunState;

static GstPadProbeReturn
sink_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  RunState *state = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GQuark redacted = g_quark_from_static_string ("redacted");
  GstVideoRegionOfInterestMeta *meta;
  gpointer iter = NULL;
  gboolean any = FALSE;

  state->counts.buffers++;
  while ((meta = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &iter,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) != NULL) {
    GstStructure *s;
    const gchar *source;

    if (meta->roi_type != redacted)
      continue;
    any = TRUE;
    state->counts.regions++;
    s = gst_video_region_of_interest_meta_get_param (meta, "seecitv-redact");
    source = s ? gst_structure_get_string (s, "source") : NULL;
    if (g_strcmp0 (source, "hidden-frame") == 0)
      state->counts.hidden_frames++;
  }
  if (any)
    state->counts.redacted_buffers++;
  /* Untimed runs only: a deep copy keeps nothing of an element's pool. */
  if (state->collect != NULL)
    g_ptr_array_add (state->collect, gst_buffer_copy_deep (buf));
  return GST_PAD_PROBE_OK;
}



static GstBusSyncReply
bus_sync (GstBus * bus, GstMessage * message, gpointer user_data)
{
  RunState *state = user_data;
  const GstStructure *s;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ELEMENT:
      s = gst_message_get_structure (message);
      if (gst_structure_has_name (s, "seecitvredact-stats")) {
        guint faces = 0;

        state->counts.stats_messages++;
        if (gst_structure_get_uint (s, "faces-found", &faces))
          state->counts.faces_found += faces;
      }
      gst_message_unref (message);
      return GST_BUS_DROP;
    case GST_MESSAGE_WARNING:{
      GError *error = NULL;
      gchar *debug = NULL;

      state->counts.warnings++;
      gst_message_parse_warning (message, &error, &debug);
      g_printerr ("warning from %s: %s (%s)\n", GST_MESSAGE_SRC_NAME (message),
          error->message, debug ? debug : "");
      g_error_free (error);
      g_free (debug);
      gst_message_unref (message);
      return GST_BUS_DROP;
    }
    case GST_MESSAGE_ERROR:
      g_mutex_lock (&state->lock);
      if (state->error == NULL) {
        state->error = gst_message_ref (message);
        gst_element_call_async (state->pipeline, stop_pipeline, NULL, NULL);
      }
      g_mutex_unlock (&state->lock);
      return GST_BUS_PASS;
    default:
      return GST_BUS_PASS;
  }
}

static gchar *
describe (const Bench * bench)
{
  return g_strdup_printf ("appsrc ! %s%sfakesink", bench->chain ?
      bench->chain : "", bench->chain ? " ! " : "");
}

static void print_settings (GstElement * pipeline, GHashTable * printed);

/* Runs @bench over @n frames of @set, starting at pool frame 0. With
 * @collect, deep copies of the buffers reaching the sink are appended to
 * it. Returns FALSE (and prints why) when the pipeline failed. */
static gboolean
run_once (const Bench * bench, FrameSet * set, guint n, GPtrArray * collect,
    RunResult * result, GHashTable * print_settings_of)
{
  RunState state;
  GstElement *src, *sink, *dut;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  GError *error = NULL;
  GPtrArray *frames = bench->rgb ? set->rgb : set->i420;
  gchar *desc, *launch;
  gint64 wall0, cpu0;
  gboolean ok = TRUE;

  memset (&state, 0, sizeof (state));
  state.collect = collect;
  g_mutex_init (&state.lock);

  desc = describe (bench);
  launch = g_strdup_printf ("appsrc name=src is-live=false format=time "
      "block=true ! %s%sfakesink name=sink sync=false",
      bench->chain ? bench->chain : "", bench->chain ? " ! " : "");
  state.pipeline = gst_parse_launch (launch, &error);
  g_free (launch);
  if (state.pipeline == NULL || error != NULL) {
    g_printerr ("cannot build \"%s\": %s\n", desc,
        error ? error->message : "unknown error");
    g_clear_error (&error);
    gst_clear_object (&state.pipeline);
    g_free (desc);
    return FALSE;
  }

  src = gst_bin_get_by_name (GST_BIN (state.pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (state.pipeline), "sink");
  dut = gst_bin_get_by_name (GST_BIN (state.pipeline), "dut");
  /* faceblur loads its profile here, before the clock starts; its default
   * path is broken on 1.22 (it then passes frames unblurred). */
  if (dut != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (dut),
          "profile") != NULL)
    g_object_set (dut, "profile", cascade_path, NULL);
  g_object_set (src, "caps", bench->rgb ? set->rgb_caps : set->i420_caps, NULL);
  pad = gst_element_get_static_pad (sink, "sink");
  if (bench->cow)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, cow_probe, NULL, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, sink_probe, &state, NULL);
  gst_object_unref (pad);
  bus = gst_element_get_bus (state.pipeline);
  gst_bus_set_sync_handler (bus, bus_sync, &state, NULL);

  wall0 = clock_ns (CLOCK_MONOTONIC);
  cpu0 = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
  gst_element_set_state (state.pipeline, GST_STATE_PLAYING);

  for (guint i = 0; i < n; i++) {
    /* A shallow copy (metadata only, memory shared) gets this frame's
     * timestamps; the pool itself is never written. */
    GstBuffer *buf = gst_buffer_copy (g_ptr_array_index (frames,
            i % frames->len));

    GST_BUFFER_PTS (buf) = gst_util_uint64_scale (i, GST_SECOND * FPS_D, FPS_N);
    GST_BUFFER_DURATION (buf) = gst_util_uint64_scale (1,
        GST_SECOND * FPS_D, FPS_N);
    if (gst_app_src_push_buffer (GST_APP_SRC (src), buf) != GST_FLOW_OK)
      break;
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));

  msg = gst_bus_timed_pop_filtered (bus, 10 * 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  result->wall_ns = clock_ns (CLOCK_MONOTONIC) - wall0;
  result->cpu_ns = clock_ns (CLOCK_PROCESS_CPUTIME_ID) - cpu0;

  if (msg == NULL || GST_MESSAGE_TYPE (msg) != GST_MESSAGE_EOS ||
      state.error != NULL) {
    GstMessage *err = state.error ? state.error : msg;
    gchar *debug = NULL;

    if (err != NULL && GST_MESSAGE_TYPE (err) == GST_MESSAGE_ERROR) {
      gst_message_parse_error (err, &error, &debug);
      g_printerr ("\"%s\" failed: %s (%s)\n", desc, error->message,
          debug ? debug : "");
      g_clear_error (&error);
      g_free (debug);
    } else {
      g_printerr ("\"%s\" did not reach EOS\n", desc);
    }
    ok = FALSE;
  } else if (print_settings_of != NULL) {
    print_settings (state.pipeline, print_settings_of);
  }
  g_clear_pointer (&msg, gst_message_unref);

  gst_element_set_state (state.pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  g_clear_pointer (&state.error, gst_message_unref);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_clear_object (&dut);
  gst_object_unref (state.pipeline);
  g_mutex_clear (&state.lock);
  g_free (desc);

  result->counts = state.counts;
  return ok;
}

/* ---- settings ---- */



/* Prints the settings of each element of @pipeline whose factory is not
 * in @printed yet, and adds it there. */
static void
print_settings (GstElement * pipeline, GHashTable * printed)
{
  GstIterator *it = gst_bin_iterate_sorted (GST_BIN (pipeline));
  GValue item = G_VALUE_INIT;
  gboolean done = FALSE;
  GPtrArray *elements = g_ptr_array_new_with_free_func (gst_object_unref);

  while (!done) {
    switch (gst_iterator_next (it, &item)) {
      case GST_ITERATOR_OK:
        g_ptr_array_add (elements, g_value_dup_object (&item));
        g_value_reset (&item);
        break;
      case GST_ITERATOR_RESYNC:
        g_ptr_array_set_size (elements, 0);
        gst_iterator_resync (it);
        break;
      default:
        done = TRUE;
        break;
    }
  }
  g_value_unset (&item);
  gst_iterator_free (it);

  /* sorted is sink first: print in data-flow order */
  for (gint i = (gint) elements->len - 1; i >= 0; i--) {
    GstElement *e = g_ptr_array_index (elements, i);
    const gchar *factory = GST_OBJECT_NAME (gst_element_get_factory (e));

    if (g_hash_table_contains (printed, factory))
      continue;
    g_hash_table_add (printed, g_strdup (factory));
    print_element_settings (e);
  }
  g_ptr_array_unref (elements);
}

/* ---- the judge ---- */

/* The judge's faces in the luma of @buf (I420, @info), at full
 * resolution. Returns a new array of SeecitvCvRect, or NULL on error. */
static gint64 judge_cpu_ns;
static guint judge_calls;

static GArray *
judge_faces (SeecitvCvFaces * judge, GstBuffer * buf, const GstVideoInfo * info)
{
  gint64 cpu0 = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
  GstVideoFrame frame;
  SeecitvCvImage image;
  const SeecitvCvRect *found;
  guint n_found;
  GError *error = NULL;
  GArray *faces = NULL;

  if (!gst_video_frame_map (&frame, info, buf, GST_MAP_READ))
    return NULL;
  memset (&image, 0, sizeof (image));
  image.data = GST_VIDEO_FRAME_COMP_DATA (&frame, 0);
  image.width = GST_VIDEO_FRAME_WIDTH (&frame);
  image.height = GST_VIDEO_FRAME_HEIGHT (&frame);
  image.stride = GST_VIDEO_FRAME_COMP_STRIDE (&frame, 0);
  image.channels = 1;
  image.luma_weights[0] = 1.0f;
  /* detect_height 0: never scaled down */
  if (seecitv_cv_faces_detect (judge, &image, 0, opt_judge_min_size, &found,
          &n_found, &error)) {
    faces = g_array_sized_new (FALSE, FALSE, sizeof (SeecitvCvRect), n_found);
    g_array_append_vals (faces, found, n_found);
  } else {
    g_printerr ("the judge failed: %s\n", error->message);
    g_error_free (error);
  }
  gst_video_frame_unmap (&frame);
  judge_cpu_ns += clock_ns (CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  judge_calls++;
  return faces;
}

/* The same face: intersection over union at least MATCH_IOU. */
static gboolean
same_face (const SeecitvCvRect * a, const SeecitvCvRect * b)
{
  gint w = MIN (a->x + a->width, b->x + b->width) - MAX (a->x, b->x);
  gint h = MIN (a->y + a->height, b->y + b->height) - MAX (a->y, b->y);
  gdouble inter, uni;

  if (w <= 0 || h <= 0)
    return FALSE;
  inter = w * (gdouble) h;
  uni = (gdouble) a->width * a->height + (gdouble) b->width * b->height - inter;
  return inter >= MATCH_IOU * uni;
}

/* Fraction of luma pixels of @out that differ from @in by more than
 * CHANGED_LEVEL, in @box (clipped to the frame) or, when NULL, in the whole
 * frame. */
static gdouble
changed_fraction (GstBuffer * in, GstBuffer * out, const GstVideoInfo * info,
    const SeecitvCvRect * box)
{
  GstVideoFrame a, b;
  guint64 changed = 0;
  gint x0 = 0, y0 = 0;
  gint x1 = GST_VIDEO_INFO_WIDTH (info), y1 = GST_VIDEO_INFO_HEIGHT (info);

  if (box != NULL) {
    x0 = CLAMP (box->x, 0, x1);
    y0 = CLAMP (box->y, 0, y1);
    x1 = CLAMP (box->x + box->width, x0, x1);
    y1 = CLAMP (box->y + box->height, y0, y1);
  }
  if (x1 <= x0 || y1 <= y0)
    return 0;

  if (!gst_video_frame_map (&a, info, in, GST_MAP_READ))
    return 0;
  if (!gst_video_frame_map (&b, info, out, GST_MAP_READ)) {
    gst_video_frame_unmap (&a);
    return 0;
  }
  for (gint y = y0; y < y1; y++) {
    const guint8 *p = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&a, 0) +
        (gsize) y * GST_VIDEO_FRAME_COMP_STRIDE (&a, 0);
    const guint8 *q = (const guint8 *) GST_VIDEO_FRAME_COMP_DATA (&b, 0) +
        (gsize) y * GST_VIDEO_FRAME_COMP_STRIDE (&b, 0);

    for (gint x = x0; x < x1; x++)
      changed += ABS ((gint) p[x] - (gint) q[x]) > CHANGED_LEVEL;
  }
  gst_video_frame_unmap (&a);
  gst_video_frame_unmap (&b);
  return (gdouble) changed / ((gdouble) (x1 - x0) * (y1 - y0));
}

/* Writes @buf (I420, @info) as a PNG file DIR/WxH-@what.png. */
static void
dump_frame (GstBuffer * buf, const GstVideoInfo * info, const gchar * what)
{
  GstElement *pipeline, *src, *sink;
  GstCaps *caps = gst_video_info_to_caps (info);
  gchar *name, *path;
  GstMessage *msg;

  pipeline = gst_parse_launch ("appsrc name=src format=time ! videoconvert "
      "! pngenc ! filesink name=sink", NULL);
  if (pipeline == NULL) {
    gst_caps_unref (caps);
    return;
  }
  g_mkdir_with_parents (opt_dump, 0755);
  name = g_strdup_printf ("%dx%d-%s.png", GST_VIDEO_INFO_WIDTH (info),
      GST_VIDEO_INFO_HEIGHT (info), what);
  path = g_build_filename (opt_dump, name, NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_object_set (src, "caps", caps, NULL);
  g_object_set (sink, "location", path, NULL);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer (GST_APP_SRC (src), gst_buffer_copy (buf));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (msg == NULL || GST_MESSAGE_TYPE (msg) != GST_MESSAGE_EOS)
    g_printerr ("could not write %s\n", path);
  g_clear_pointer (&msg, gst_message_unref);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  gst_caps_unref (caps);
  g_free (name);
  g_free (path);
}

/* Which pasted face the judge's box @r is (its centre inside the face's
 * box), or FACE_OTHER. */
static FaceClass
classify (const SeecitvCvRect * r, const SeecitvCvRect truth[FACE_OTHER])
{
  gint cx = r->x + r->width / 2, cy = r->y + r->height / 2;

  for (gint c = 0; c < FACE_OTHER; c++)
    if (cx >= truth[c].x && cx < truth[c].x + truth[c].width &&
        cy >= truth[c].y && cy < truth[c].y + truth[c].height)
      return c;
  return FACE_OTHER;
}

/* Runs @bench over opt_recall_frames frames plus @tail (so that the last
 * judged frame is not the end of the stream, where seecitvredact runs its
 * detector once more) and judges the first opt_recall_frames output
 * frames against their input. */
static void
measure_recall (BenchId id, FrameSet * set, SeecitvCvFaces * judge,
    guint tail, Recall * recall)
{
  const Bench *bench = &benches[id];
  GPtrArray *out = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  const guint n = opt_recall_frames + tail;
  RunResult r;
  gdouble changed = 0;

  memset (recall, 0, sizeof (*recall));
  if (!run_once (bench, set, n, out, &r, NULL)) {
    g_ptr_array_unref (out);
    return;
  }
  if (out->len != n) {
    g_printerr ("%s gave %u frames for %u\n", bench->name, out->len, n);
    g_ptr_array_unref (out);
    return;
  }

  for (gint i = 0; i < opt_recall_frames; i++) {
    guint k = i % set->i420->len;
    GArray *in_faces, *out_faces;

    if (set->judged[k] == NULL)
      set->judged[k] = judge_faces (judge, g_ptr_array_index (set->i420, k),
          &set->info);
    in_faces = set->judged[k];
    out_faces = judge_faces (judge, g_ptr_array_index (out, i), &set->info);
    if (in_faces == NULL || out_faces == NULL) {
      g_clear_pointer (&out_faces, g_array_unref);
      g_ptr_array_unref (out);
      return;
    }

    if (opt_verbose)
      g_print ("      frame %2d:", i);
    for (guint f = 0; f < in_faces->len; f++) {
      const SeecitvCvRect *a = &g_array_index (in_faces, SeecitvCvRect, f);
      FaceClass c = classify (a, set->truth[k]);
      gboolean seen = FALSE, untouched = FALSE;

      for (guint g = 0; g < out_faces->len && !seen; g++)
        seen = same_face (a, &g_array_index (out_faces, SeecitvCvRect, g));
      /* The judge equalises the histogram of the whole frame, so redacting
       * one face can make it lose another, untouched one: that face is not
       * hidden. */
      if (!seen && changed_fraction (g_ptr_array_index (set->i420, k),
              g_ptr_array_index (out, i), &set->info, a) < TOUCHED) {
        seen = untouched = TRUE;
        recall->untouched++;
      }
      recall->faces[c]++;
      recall->hidden[c] += !seen;
      recall->heights[c] += a->height;
      if (opt_verbose)
        g_print (" [%s %dx%d@%d,%d %s]", c == FACE_OTHER ? "other" :
            c == FACE_MESSI ? "messi" : c == FACE_BIG ? "big" : "small",
            a->width, a->height, a->x, a->y, untouched ? "lost, untouched" :
            seen ? "SEEN" : "hidden");
    }
    for (guint g = 0; g < out_faces->len; g++) {
      const SeecitvCvRect *b = &g_array_index (out_faces, SeecitvCvRect, g);
      gboolean known = FALSE;

      for (guint f = 0; f < in_faces->len && !known; f++)
        known = same_face (b, &g_array_index (in_faces, SeecitvCvRect, f));
      recall->extra += !known;
      if (opt_verbose && !known)
        g_print (" [new in output %dx%d@%d,%d]", b->width, b->height, b->x,
            b->y);
    }
    if (opt_verbose)
      g_print ("\n");
    changed += changed_fraction (g_ptr_array_index (set->i420, k),
        g_ptr_array_index (out, i), &set->info, NULL);
    g_array_unref (out_faces);
  }

  if (opt_dump != NULL) {
    guint last = opt_recall_frames - 1;

    dump_frame (g_ptr_array_index (set->i420, last % set->i420->len),
        &set->info, "input");
    dump_frame (g_ptr_array_index (out, last), &set->info, bench->name);
  }
  recall->frames = opt_recall_frames;
  recall->changed = changed / opt_recall_frames;
  recall->hidden_frames = r.counts.hidden_frames;
  recall->regions = r.counts.regions;
  recall->done = TRUE;
  g_ptr_array_unref (out);
}

/* Recall over every judge face (@real FALSE: the definition of the issue)
 * or over the pasted faces only (TRUE: the judge's false positives left
 * out). Returns -1 when there is no face. */
static gdouble
recall_of (const Recall * r, gboolean real)
{
  guint faces = 0, hidden = 0;

  for (gint c = 0; c < N_FACES; c++) {
    if (real && c == FACE_OTHER)
      continue;
    faces += r->faces[c];
    hidden += r->hidden[c];
  }
  return faces > 0 ? (gdouble) hidden / faces : -1;
}

/* Prints the recall of @n elements side by side, per face. */
static void
print_recall (const Recall * r, const BenchId * ids, gint n)
{
  const Recall *first = NULL;

  for (gint j = 0; j < n && first == NULL; j++)
    if (r[j].done)
      first = &r[j];
  if (first == NULL)
    return;

  g_print ("    %-36s %11s", "face", "judge found");
  for (gint j = 0; j < n; j++)
    g_print (" %18s", benches[ids[j]].name);
  g_print ("\n");
  for (gint c = 0; c < N_FACES; c++) {
    g_print ("    %-36s %5u ", face_names[c], first->faces[c]);
    if (first->faces[c] > 0)
      g_print ("%3u px", (guint) (first->heights[c] / first->faces[c]));
    else
      g_print ("%6s", "");
    for (gint j = 0; j < n; j++) {
      if (r[j].done)
        g_print ("      %5u hidden", r[j].hidden[c]);
      else
        g_print (" %18s", selected[ids[j]] ? "failed" : "-");
    }
    g_print ("\n");
  }
  g_print ("    %-36s %11s", "recall, every judge face", "");
  for (gint j = 0; j < n; j++)
    g_print (" %18.3f", r[j].done ? recall_of (&r[j], FALSE) : -1);
  g_print ("\n    %-36s %11s", "recall, pasted faces only", "");
  for (gint j = 0; j < n; j++)
    g_print (" %18.3f", r[j].done ? recall_of (&r[j], TRUE) : -1);
  g_print ("\n    %-36s %11s", "lost by the judge but untouched", "");
  for (gint j = 0; j < n; j++)
    g_print (" %18u", r[j].untouched);
  g_print ("\n    %-36s %11s", "output faces matching no input face", "");
  for (gint j = 0; j < n; j++)
    g_print (" %18u", r[j].extra);
  g_print ("\n    %-36s %11s", "luma changed by > " G_STRINGIFY (CHANGED_LEVEL)
      " levels", "");
  for (gint j = 0; j < n; j++)
    g_print (" %17.1f%%", 100.0 * r[j].changed);
  g_print ("\n    %-36s %11s", "\"redacted\" metas / hidden frames", "");
  for (gint j = 0; j < n; j++) {
    gchar *v = g_strdup_printf ("%u / %u", r[j].regions, r[j].hidden_frames);

    g_print (" %18s", ids[j] == B_REDACT ? v : "-");
    g_free (v);
  }
  g_print ("\n");
}


/* CPU time of one run of seecitvredact's detector (the same adapter call
 * with the same cascade and detect-height) on each of the first frames of
 * the pool; returns the median in ms, or -1. Explains where the element's
 * time goes. */
static gdouble
time_detector (FrameSet * set, gint detect_height, guint * n_faces)
{
  GError *error = NULL;
  SeecitvCvFaces *faces = seecitv_cv_faces_new_cascade (cascade_path, &error);
  const gint n = MIN (5, (gint) set->i420->len);
  gint64 times[5];
  gdouble median;

  *n_faces = 0;
  if (faces == NULL) {
    g_printerr ("cannot load %s: %s\n", cascade_path, error->message);
    g_error_free (error);
    return -1;
  }
  for (gint i = 0; i < n; i++) {
    GstVideoFrame frame;
    SeecitvCvImage image;
    const SeecitvCvRect *found;
    guint n_found = 0;
    gint64 cpu0;

    gst_video_frame_map (&frame, &set->info, g_ptr_array_index (set->i420,
            i), GST_MAP_READ);
    memset (&image, 0, sizeof (image));
    image.data = GST_VIDEO_FRAME_COMP_DATA (&frame, 0);
    image.width = GST_VIDEO_FRAME_WIDTH (&frame);
    image.height = GST_VIDEO_FRAME_HEIGHT (&frame);
    image.stride = GST_VIDEO_FRAME_COMP_STRIDE (&frame, 0);
    image.channels = 1;
    image.luma_weights[0] = 1.0f;
    cpu0 = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
    if (!seecitv_cv_faces_detect (faces, &image, detect_height, 0, &found,
            &n_found, NULL))
      n_found = 0;
    times[i] = clock_ns (CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    *n_faces += n_found;
    gst_video_frame_unmap (&frame);
  }
  seecitv_cv_faces_free (faces);
  median = median_ms (times, n);
  return median;
}

/* ---- statistics ---- */



static void
print_runs (const gchar * what, const gint64 * values, gint n)
{
  g_print ("%s", what);
  for (gint i = 0; i < n; i++)
    g_print (" %.1f", values[i] / 1e6);
  g_print (" | median %.1f\n", median_ms (values, n));
}

/* ---- the benchmark ---- */

typedef struct
{
  gint64 *wall[2];              /* [short, long][repeat] */
  gint64 *cpu[2];
  Counts counts[2];             /* of the last run */
  gboolean failed;
} Samples;

static void
frame_counts (const Bench * bench, guint counts[2])
{
  counts[0] = bench->peer ? opt_peer_short : opt_short;
  counts[1] = bench->peer ? opt_peer_long : opt_long;
}

static void
print_counts (const Bench * bench, const Counts * c, guint n)
{
  g_print ("      sink got %u/%u buffers", c->buffers, n);
  if (bench - benches == B_REDACT)
    g_print (", %u with \"redacted\" metas (%u regions, %u frames hidden "
        "whole), %u seecitvredact-stats messages (%u faces found)",
        c->redacted_buffers, c->regions, c->hidden_frames,
        c->stats_messages, c->faces_found);
  if (c->warnings > 0)
    g_print (", %u warnings", c->warnings);
  g_print ("\n");
}

static void
measure_size (FrameSet * set, Cost costs[N_BENCH], gboolean ok[N_BENCH])
{
  Samples samples[N_BENCH];

  for (gint b = 0; b < N_BENCH; b++) {
    for (gint k = 0; k < 2; k++) {
      samples[b].wall[k] = g_new0 (gint64, opt_repeats);
      samples[b].cpu[k] = g_new0 (gint64, opt_repeats);
    }
    samples[b].failed = FALSE;
  }

  /* Repeats outermost, so that a slow spell of a noisy machine is spread
   * over every pipeline instead of hitting one. */
  for (gint rep = 0; rep < opt_repeats; rep++) {
    for (gint b = 0; b < N_BENCH; b++) {
      guint counts[2];

      frame_counts (&benches[b], counts);
      for (gint k = 0; k < 2; k++) {
        RunResult r;

        if (!selected[b] || samples[b].failed)
          continue;
        if (!run_once (&benches[b], set, counts[k], NULL, &r, NULL)) {
          samples[b].failed = TRUE;
          continue;
        }
        samples[b].wall[k][rep] = r.wall_ns;
        samples[b].cpu[k][rep] = r.cpu_ns;
        samples[b].counts[k] = r.counts;
        if (opt_verbose)
          g_print ("  run %d %-18s n=%-4u wall %8.1f ms cpu %8.1f ms\n",
              rep, benches[b].name, counts[k], r.wall_ns / 1e6, r.cpu_ns / 1e6);
      }
    }
  }

  g_print ("\n== %dx%d: raw times of whole runs (ms; %d repeats, then the "
      "median) ==\n", set->width, set->height, opt_repeats);
  for (gint b = 0; b < N_BENCH; b++) {
    guint counts[2];
    gchar *desc;

    ok[b] = selected[b] && !samples[b].failed;
    if (!selected[b])
      continue;
    frame_counts (&benches[b], counts);
    desc = describe (&benches[b]);
    g_print ("  %s: %s%s\n", benches[b].name, desc, benches[b].rgb ?
        "  [pre-converted RGB frames]" : "");
    if (benches[b].cow)
      g_print ("    (the sink maps each buffer writable: the copy-on-write "
          "an in-place element pays for frames the harness keeps)\n");
    g_free (desc);
    if (!ok[b]) {
      g_print ("    FAILED\n");
      continue;
    }
    for (gint k = 0; k < 2; k++) {
      gchar *what;

      what = g_strdup_printf ("    n=%-4u wall", counts[k]);
      print_runs (what, samples[b].wall[k], opt_repeats);
      g_free (what);
      what = g_strdup_printf ("    n=%-4u cpu ", counts[k]);
      print_runs (what, samples[b].cpu[k], opt_repeats);
      g_free (what);
    }
    print_counts (&benches[b], &samples[b].counts[1], counts[1]);
  }

  for (gint b = 0; b < N_BENCH; b++) {
    guint counts[2];
    gdouble ws, wl, cs, cl;
    Cost *c = &costs[b];

    frame_counts (&benches[b], counts);
    if (ok[b]) {
      ws = median_ms (samples[b].wall[0], opt_repeats);
      wl = median_ms (samples[b].wall[1], opt_repeats);
      cs = median_ms (samples[b].cpu[0], opt_repeats);
      cl = median_ms (samples[b].cpu[1], opt_repeats);
      c->wall_ms = (wl - ws) / (counts[1] - counts[0]);
      c->cpu_ms = (cl - cs) / (counts[1] - counts[0]);
      c->start_wall_ms = ws - counts[0] * c->wall_ms;
      c->start_cpu_ms = cs - counts[0] * c->cpu_ms;
    }
    for (gint k = 0; k < 2; k++) {
      g_free (samples[b].wall[k]);
      g_free (samples[b].cpu[k]);
    }
  }

  g_print ("\n== %dx%d: per frame = (median long - median short) / "
      "(long - short) ==\n", set->width, set->height);
  g_print ("  %-18s %9s %9s %8s %8s %10s %10s   %s\n", "pipeline", "wall ms",
      "cpu ms", "cpu fps", "cpu/wall", "start wall", "start cpu",
      "cpu ms minus its baseline");
  for (gint b = 0; b < N_BENCH; b++) {
    const Cost *c = &costs[b];
    gint base = benches[b].baseline;

    if (!ok[b])
      continue;
    g_print ("  %-18s %9.3f %9.3f %8.1f %8.2f %10.1f %10.1f",
        benches[b].name, c->wall_ms, c->cpu_ms,
        c->cpu_ms > 0 ? 1000.0 / c->cpu_ms : 0,
        c->wall_ms > 0 ? c->cpu_ms / c->wall_ms : 0, c->start_wall_ms,
        c->start_cpu_ms);
    if (base >= 0 && ok[base])
      g_print ("   %.3f - %.3f (%s) = %.3f", c->cpu_ms, costs[base].cpu_ms,
          benches[base].name, c->cpu_ms - costs[base].cpu_ms);
    g_print ("\n");
  }
}

static gboolean
parse_sizes (const gchar * str, GArray * sizes)
{
  gchar **parts = g_strsplit (str, ",", -1);
  gboolean ok = TRUE;

  for (gchar ** p = parts; *p != NULL && ok; p++) {
    gint wh[2];

    if (sscanf (*p, "%dx%d", &wh[0], &wh[1]) != 2 || wh[0] < 320 ||
        wh[1] < 240 || wh[0] % 2 || wh[1] % 2)
      ok = FALSE;
    else
      g_array_append_vals (sizes, wh, 2);
  }
  g_strfreev (parts);
  return ok && sizes->len > 0;
}


/* Reads a property of a new instance of @factory_name. Returns a newly
 * allocated string, or NULL. */
static gchar *
default_string (const gchar * factory_name, const gchar * property)
{
  GstElement *e = gst_element_factory_make (factory_name, NULL);
  gchar *value = NULL;

  if (e != NULL) {
    g_object_get (e, property, &value, NULL);
    gst_object_unref (e);
  }
  return value;
}

static gint
default_int (const gchar * factory_name, const gchar * property)
{
  GstElement *e = gst_element_factory_make (factory_name, NULL);
  gint value = 0;

  if (e != NULL) {
    g_object_get (e, property, &value, NULL);
    gst_object_unref (e);
  }
  return value;
}

static guint
default_uint (const gchar * factory_name, const gchar * property)
{
  GstElement *e = gst_element_factory_make (factory_name, NULL);
  guint value = 0;

  if (e != NULL) {
    g_object_get (e, property, &value, NULL);
    gst_object_unref (e);
  }
  return value;
}

static gchar *
format_cost (const Cost * c, gboolean ok, gboolean wanted)
{
  if (!ok)
    return g_strdup (wanted ? "failed" : "-");
  return g_strdup_printf ("%.2f (%.2f) %.1f", c->cpu_ms, c->wall_ms,
      c->cpu_ms > 0 ? 1000.0 / c->cpu_ms : 0);
}

int
main (int argc, char **argv)
{
  static const gchar *needed[] = { "seecitvredact", "faceblur",
    "videoconvert"
  };
  GOptionContext *context;
  GError *error = NULL;
  GArray *sizes = g_array_new (FALSE, FALSE, sizeof (gint));
  Cost (*costs)[N_BENCH];
  gboolean (*ok)[N_BENCH];
  Recall (*recalls)[2];
  GHashTable *printed;
  SeecitvCvFaces *judge = NULL;
  Pictures pics;
  gint64 start = g_get_monotonic_time ();
  guint n_sizes;
  gint detect_height, detect_interval;
  gchar *path, *load, *cpus;

  /* Progress shows through a pipe (| tee) as the runs go. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  context = g_option_context_new ("- seecitvredact vs faceblur: speed and "
      "face recall");
  g_option_context_set_description (context, "Needs GST_PLUGIN_PATH to "
      "hold the build's ext/opencv (bench/redact.sh sets it).\n"
      "The targets are printed as PASS/MISS; the exit status is 0 unless "
      "a pipeline failed.");
  g_option_context_add_main_entries (context, entries, NULL);
  /* GStreamer's own options (--gst-debug...) are left for gst_init (),
   * which must come after the CPUs are chosen below. */
  g_option_context_set_ignore_unknown_options (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (context);
  if (opt_short < 1 || opt_long <= opt_short || opt_peer_short < 1 ||
      opt_peer_long <= opt_peer_short || opt_repeats < 1 || opt_pool < 2 ||
      opt_recall_frames < 0 || opt_judge_min_size < 0 ||
      !parse_sizes (opt_sizes ? opt_sizes : DEFAULT_SIZES, sizes)) {
    g_printerr ("need 1 <= --short < --long, 1 <= --faceblur-short < "
        "--faceblur-long, --repeats >= 1, --pool >= 2, --recall-frames >= 0 "
        "and --sizes like 1920x1080,1280x720 (even, at least 320x240)\n");
    return 2;
  }
  for (gint b = 0; b < N_BENCH; b++)
    selected[b] = opt_only == NULL;
  if (opt_only != NULL) {
    gchar **names = g_strsplit (opt_only, ",", -1);

    for (gchar ** n = names; *n != NULL; n++) {
      gint b;

      for (b = 0; b < N_BENCH && strcmp (*n, benches[b].name) != 0; b++);
      if (b == N_BENCH) {
        g_printerr ("unknown pipeline \"%s\"; the names are:", *n);
        for (b = 0; b < N_BENCH; b++)
          g_printerr (" %s", benches[b].name);
        g_printerr ("\n");
        return 2;
      }
      selected[b] = TRUE;
    }
    g_strfreev (names);
  }
  /* Before any thread exists, so that every later one inherits it. */
  cpus = restrict_cpus (opt_cores);
  gst_init (&argc, &argv);

  for (guint i = 0; i < G_N_ELEMENTS (needed); i++) {
    GstElementFactory *factory = gst_element_factory_find (needed[i]);

    if (factory == NULL) {
      g_printerr ("element %s not found%s\n", needed[i], i == 0 ?
          ": set GST_PLUGIN_PATH to the build's ext/opencv, or use "
          "bench/redact.sh" : "");
      return 2;
    }
    gst_object_unref (factory);
  }
  cascade_path = default_string ("seecitvredact", "cascade");
  detect_height = default_int ("seecitvredact", "detect-height");
  detect_interval = default_uint ("seecitvredact", "detect-interval");
  if (cascade_path == NULL || detect_height <= 0) {
    g_printerr ("cannot read seecitvredact's default cascade\n");
    return 2;
  }
  if (opt_judge == NULL)
    opt_judge = g_build_filename (SEECITV_OPENCV_DATA_DIR, DEFAULT_JUDGE, NULL);
  if (strcmp (opt_judge, cascade_path) == 0) {
    g_printerr ("the judge must not be the cascade both elements use\n");
    return 2;
  }
  if (opt_recall_frames > 0) {
    judge = seecitv_cv_faces_new_cascade (opt_judge, &error);
    if (judge == NULL) {
      g_printerr ("cannot load the judge: %s\n", error->message);
      return 2;
    }
  }

  if (opt_testdata == NULL)
    opt_testdata = g_strdup (SEECITV_TESTDATA_DIR);
  path = g_build_filename (opt_testdata, "messi5.jpg", NULL);
  pics.background = decode_image (path, &pics.background_info);
  g_free (path);
  path = g_build_filename (opt_testdata, "astronaut.png", NULL);
  pics.person = decode_image (path, &pics.person_info);
  g_free (path);
  if (pics.background == NULL || pics.person == NULL) {
    g_printerr ("messi5.jpg and astronaut.png are needed in %s (./run "
        "testdata fetches them; or --testdata DIR)\n", opt_testdata);
    return 2;
  }

  n_sizes = sizes->len / 2;
  costs = g_malloc0 (sizeof (*costs) * n_sizes);
  ok = g_malloc0 (sizeof (*ok) * n_sizes);
  recalls = g_malloc0 (sizeof (*recalls) * n_sizes);
  printed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_print ("redact-bench: seecitvredact against faceblur (gst-plugins-bad), "
      "same frames, one run\n");
  print_machine (cpus);
  g_print ("frames: %d distinct I420 frames composed per size from "
      "messi5.jpg (panning 2 px/frame) and astronaut.png twice (46%% and "
      "24%% of the height, drifting 4 and 2 px/frame), pushed in a cycle; "
      "also converted once to RGB by videoconvert\n", opt_pool);
  g_print ("runs: seecitvredact and baselines %d and %d frames, faceblur "
      "%d and %d frames; %d repeats each, median; caps framerate=%d/%d\n",
      opt_short, opt_long, opt_peer_short, opt_peer_long, opt_repeats,
      FPS_N, FPS_D);
  g_print ("appsrc is-live=false format=time block=true; fakesink "
      "sync=false; cpu = CLOCK_PROCESS_CPUTIME_ID of the whole process\n");
  g_print ("cascade of both elements: %s (faceblur profile= set to it)\n",
      cascade_path);
  if (opt_recall_frames > 0)
    g_print ("recall: %d consecutive frames per element and size, judged by "
        "%s at full resolution (min size %d). A face the judge finds in an "
        "input frame is HIDDEN when the judge finds no face overlapping "
        "its box in the output frame (overlapping: intersection over union "
        ">= %.1f, so that a neighbouring face does not count) and at least "
        "%.0f%% of its box changed by more than %d levels (the judge "
        "equalises the whole frame, so it may lose a face nobody touched: "
        "such a face is counted as not hidden); recall = hidden / found. "
        "The faces are also told apart by where the pictures were pasted, "
        "which shows the judge's false positives "
        "(\"elsewhere\"); px = mean judge box height. seecitvredact finds "
        "no face under 24 rows at detect-height=%d (the default cascade's "
        "window), i.e. %d px at 1080p and %d px at 720p.\n",
        opt_recall_frames, opt_judge, opt_judge_min_size, MATCH_IOU,
        100 * TOUCHED, CHANGED_LEVEL, detect_height,
        24 * 1080 / detect_height, 24 * 720 / detect_height);

  for (guint s = 0; s < n_sizes; s++) {
    gint w = g_array_index (sizes, gint, 2 * s);
    gint h = g_array_index (sizes, gint, 2 * s + 1);
    gint64 t0 = g_get_monotonic_time ();
    FrameSet *set = frame_set_new (&pics, w, h, opt_pool);
    gchar *i420_caps = gst_caps_to_string (set->i420_caps);
    gchar *rgb_caps = gst_caps_to_string (set->rgb_caps);

    g_print ("\n######## %dx%d (%d frames composed and converted in %.1f "
        "s)\n  caps %s\n  RGB caps %s\n", w, h, opt_pool,
        (g_get_monotonic_time () - t0) / 1e6, i420_caps, rgb_caps);
    g_free (i420_caps);
    g_free (rgb_caps);

    if (s == 0) {
      RunResult r;

      g_print ("\nsettings of every element (read after a short run; \"not "
          "as created\" marks writable properties that differ from a new "
          "instance):\n");
      for (gint b = 0; b < N_BENCH; b++)
        if (selected[b])
          run_once (&benches[b], set, 2, NULL, &r, printed);
    }

    if (judge != NULL) {
      const BenchId judged[2] = { B_REDACT, B_FACEBLUR_CONVERT };

      t0 = g_get_monotonic_time ();
      g_print ("\nrecall at %dx%d (untimed; %d frames pushed, frames 0-%d "
          "judged):\n", w, h, opt_recall_frames + detect_interval,
          opt_recall_frames - 1);
      for (gint j = 0; j < 2; j++) {
        if (!selected[judged[j]])
          continue;
        if (opt_verbose)
          g_print ("    %s:\n", benches[judged[j]].name);
        measure_recall (judged[j], set, judge, detect_interval, &recalls[s][j]);
      }
      print_recall (recalls[s], judged, 2);
      g_print ("    (runs and judging took %.1f s; the judge ran %u times, "
          "%.0f ms of cpu each)\n", (g_get_monotonic_time () - t0) / 1e6,
          judge_calls, judge_calls ? judge_cpu_ns / 1e6 / judge_calls : 0.0);
      judge_calls = 0;
      judge_cpu_ns = 0;
    }

    measure_size (set, costs[s], ok[s]);
    if (selected[B_REDACT] && ok[s][B_REDACT]) {
      guint n_faces;
      gdouble run_ms = time_detector (set, detect_height, &n_faces);

      if (run_ms >= 0)
        g_print ("  where seecitvredact's time goes: its detector alone "
            "(same adapter call, cascade and detect-height=%d) takes %.1f ms "
            "of cpu per run (median of 5 frames, %.1f faces per run), i.e. "
            "%.2f ms per frame at detect-interval=%u; everything else "
            "(redaction, copy-on-write, look-ahead queue, harness): %.2f ms "
            "per frame\n", detect_height, run_ms,
            n_faces / 5.0, run_ms / detect_interval, detect_interval,
            costs[s][B_REDACT].cpu_ms - run_ms / detect_interval);
    }
    frame_set_free (set, opt_pool);
  }

  g_print ("\n== summary: cpu ms per frame (wall ms in brackets) and fps on "
      "one core (1000 / cpu ms); raw: harness overhead included ==\n");
  g_print ("  A  seecitvredact       I420 in and out, default settings\n"
      "  B  faceblur+convert    I420 in and out, videoconvert to RGB and "
      "back charged (as a user must run it)\n"
      "  C  faceblur, no conversion: faceblur-rgb minus baseline-rgb-cow "
      "(pre-converted RGB in; the copy-on-write the harness forces is "
      "removed)\n"
      "  C' the same from B: faceblur+convert minus convert-roundtrip\n"
      "  recall: every judge face / pasted faces only (without the judge's "
      "false positives)\n");
  g_print ("  %-10s %-22s %-22s %-9s %-9s %6s %6s %6s %11s %11s\n",
      "resolution", "A ms (wall) fps", "B ms (wall) fps", "C ms", "C' ms",
      "B/A", "C/A", "C'/A", "recall A", "recall B");
  for (guint s = 0; s < n_sizes; s++) {
    const Cost *c = costs[s];
    const gboolean *k = ok[s];
    gchar *res = g_strdup_printf ("%dx%d", g_array_index (sizes, gint,
            2 * s), g_array_index (sizes, gint, 2 * s + 1));
    gchar *a = format_cost (&c[B_REDACT], k[B_REDACT], selected[B_REDACT]);
    gchar *b = format_cost (&c[B_FACEBLUR_CONVERT], k[B_FACEBLUR_CONVERT],
        selected[B_FACEBLUR_CONVERT]);
    gdouble cc = -1, cp = -1;
    gchar *cs, *cps;

    if (k[B_FACEBLUR_RGB] && k[B_BASE_RGB_COW])
      cc = c[B_FACEBLUR_RGB].cpu_ms - c[B_BASE_RGB_COW].cpu_ms;
    if (k[B_FACEBLUR_CONVERT] && k[B_ROUNDTRIP])
      cp = c[B_FACEBLUR_CONVERT].cpu_ms - c[B_ROUNDTRIP].cpu_ms;
    cs = cc >= 0 ? g_strdup_printf ("%.2f", cc) : g_strdup ("-");
    cps = cp >= 0 ? g_strdup_printf ("%.2f", cp) : g_strdup ("-");
    g_print ("  %-10s %-22s %-22s %-9s %-9s", res, a, b, cs, cps);
    if (k[B_REDACT] && c[B_REDACT].cpu_ms > 0) {
      gdouble base = c[B_REDACT].cpu_ms;

      if (k[B_FACEBLUR_CONVERT])
        g_print (" %6.1f", c[B_FACEBLUR_CONVERT].cpu_ms / base);
      else
        g_print (" %6s", "-");
      if (cc >= 0)
        g_print (" %6.1f", cc / base);
      else
        g_print (" %6s", "-");
      if (cp >= 0)
        g_print (" %6.1f", cp / base);
      else
        g_print (" %6s", "-");
    } else {
      g_print (" %6s %6s %6s", "-", "-", "-");
    }
    for (gint j = 0; j < 2; j++) {
      if (recalls[s][j].done)
        g_print ("   %.2f/%.2f", recall_of (&recalls[s][j], FALSE),
            recall_of (&recalls[s][j], TRUE));
      else
        g_print (" %11s", "-");
    }
    g_print ("\n");
    g_free (res);
    g_free (a);
    g_free (b);
    g_free (cs);
    g_free (cps);
  }

  g_print ("\n  harness and conversion alone, cpu ms per frame:\n");
  for (guint s = 0; s < n_sizes; s++) {
    const BenchId ids[4] = { B_BASE, B_BASE_COW, B_BASE_RGB_COW, B_ROUNDTRIP };

    g_print ("  %dx%d:", g_array_index (sizes, gint, 2 * s),
        g_array_index (sizes, gint, 2 * s + 1));
    for (gint i = 0; i < 4; i++)
      if (ok[s][ids[i]])
        g_print (" %s %.3f", benches[ids[i]].name, costs[s][ids[i]].cpu_ms);
    g_print ("\n");
  }

  g_print ("\n== issue 3 targets (cpu time, raw; informative, exit status "
      "does not depend on them) ==\n");
  {
    gint s1080 = -1;

    for (guint s = 0; s < n_sizes; s++)
      if (g_array_index (sizes, gint, 2 * s) == 1920 &&
          g_array_index (sizes, gint, 2 * s + 1) == 1080)
        s1080 = s;
    if (s1080 < 0) {
      g_print ("  1920x1080 was not measured\n");
    } else {
      const Cost *c = costs[s1080];
      const gboolean *k = ok[s1080];
      const Recall *ra = &recalls[s1080][0], *rb = &recalls[s1080][1];

      if (k[B_REDACT] && k[B_FACEBLUR_CONVERT]) {
        gdouble ratio = c[B_FACEBLUR_CONVERT].cpu_ms / c[B_REDACT].cpu_ms;

        g_print ("  %s  fps seecitvredact / faceblur+convert at 1080p = "
            "%.1f (target >= %.0f)\n", verdict (ratio >= TARGET_RATIO),
            ratio, TARGET_RATIO);
      }
      if (ra->done && rb->done) {
        g_print ("  %s  recall at 1080p, every judge face: seecitvredact "
            "%.3f, faceblur %.3f (target: no lower than faceblur's)\n",
            verdict (recall_of (ra, FALSE) >= recall_of (rb, FALSE)),
            recall_of (ra, FALSE), recall_of (rb, FALSE));
        g_print ("  (same target)  pasted faces only: seecitvredact %.3f, "
            "faceblur %.3f: %s\n", recall_of (ra, TRUE),
            recall_of (rb, TRUE),
            verdict (recall_of (ra, TRUE) >= recall_of (rb, TRUE)));
      } else
        g_print ("  recall at 1080p was not measured\n");
      if (k[B_REDACT])
        g_print ("  %s  seecitvredact at 1080p = %.2f ms cpu per frame, "
            "%.1f fps on one core (target < %.1f ms, 30 fps; wall %.2f "
            "ms)\n", verdict (c[B_REDACT].cpu_ms < TARGET_MS),
            c[B_REDACT].cpu_ms, 1000.0 / c[B_REDACT].cpu_ms, TARGET_MS,
            c[B_REDACT].wall_ms);
      if (k[B_REDACT] && k[B_BASE_COW])
        g_print ("  (no target)  the same without the copy-on-write the "
            "harness forces: %.2f ms\n",
            c[B_REDACT].cpu_ms - c[B_BASE_COW].cpu_ms);
    }
  }

  load = load_average ();
  g_print ("\nload average at end: %s; total time %.0f s\n", load,
      (g_get_monotonic_time () - start) / 1e6);
  g_free (load);

  {
    gboolean all_ok = TRUE;

    for (guint s = 0; s < n_sizes; s++) {
      for (gint b = 0; b < N_BENCH; b++)
        all_ok = all_ok && (ok[s][b] || !selected[b]);
      for (gint j = 0; j < 2 && judge != NULL; j++)
        all_ok = all_ok && (recalls[s][j].done ||
            !selected[j == 0 ? B_REDACT : B_FACEBLUR_CONVERT]);
    }
    g_clear_pointer (&judge, seecitv_cv_faces_free);
    gst_buffer_unref (pics.background);
    gst_buffer_unref (pics.person);
    g_hash_table_unref (printed);
    g_free (costs);
    g_free (ok);
    g_free (recalls);
    g_array_unref (sizes);
    g_free (opt_sizes);
    g_free (opt_judge);
    g_free (opt_testdata);
    g_free (opt_only);
    g_free (cascade_path);
    g_free (cpus);
    return all_ok ? 0 : 1;
  }
}
