/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * scale-bench: how many 1080p 15 fps cameras one core carries through
 * seecitvmotion ! seecitvredact ! seecitvsink, and how the cost grows from
 * 1 to 16 cameras in one process (issue 7, "Scale"). Every camera is its
 * own pipeline in this process, fed by appsrc from a pool of frames
 * rendered once: testdata/vtest.avi (people walking in a hall) cropped to
 * 16:9 and scaled to 1920x1080, with astronaut.png composited as a face
 * the detector finds. Two modes:
 *
 *  a  decode and encode excluded: the raw frames go through
 *     seecitvmotion ! seecitvredact ! fakesink, and the same frames,
 *     encoded once beforehand, go into seecitvsink from a second appsrc.
 *  b  decode and encode included: JPEG (encoded once beforehand) ! jpegdec
 *     ! seecitvmotion ! seecitvredact ! x264enc ! h264parse ! seecitvsink.
 *
 * Nothing waits for the clock: the CPU time of the whole process from
 * PLAYING to the last EOS, over a short and a long run (the difference
 * cancels start-up: cascade loading, clip and keystore opening), divided by
 * the frames of all cameras, is the cost of one frame of one camera; one
 * core carries 1 s / (15 x that) cameras at 15 fps. The gst-plugins-bad
 * peers (motioncells ! faceblur ! splitmuxsink) run in the same process on
 * the same frames, one camera, and are reported as ratios. Run it pinned to
 * one CPU (bench/scale.sh does, with taskset). The figures never change the
 * exit status: this is a measurement, not a test. No element code lives
 * here.
 */

/* sched_getaffinity () and the CPU_* macros */
#define _GNU_SOURCE

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/app/app.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>

#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include "benchcommon.h"
#include <seecitv/crypto/keystore.h>

#ifndef SEECITV_TESTDATA_DIR
#define SEECITV_TESTDATA_DIR "testdata"
#endif

#define WIDTH 1920
#define HEIGHT 1080
#define FPS 15
/* One keyframe every 2 s, as cameras are commonly set up. */
#define GOP 30
/* seecitvredact's detect-interval (default): run lengths per camera are
 * multiples of it, so that short and long runs end the same way. */
#define STEP 5

/* The astronaut's picture, as a square of this many pixels at 1080p (its
 * face is then about 110 px high, above seecitvredact's smallest face at
 * its default detect-height). */
#define FACE_SQUARE 400

/* Encoder settings of mode b and of the pre-encoded stream of mode a. */
#define DEFAULT_X264 "tune=zerolatency speed-preset=veryfast bitrate=4000 " \
  "threads=1"

typedef enum
{
  MODE_RAW,                     /* a: decode and encode excluded */
  MODE_CODEC,                   /* b: included */
  N_MODES
} Mode;

static const gchar *mode_names[N_MODES] = { "a", "b" };

static const gchar *mode_titles[N_MODES] = {
  "a: decode and encode excluded (raw frames in; the recorder gets the "
      "same frames pre-encoded)",
  "b: decode and encode included (JPEG in, jpegdec ... x264enc ! "
      "h264parse into the recorder)"
};

typedef enum
{
  IMPL_HARNESS,                 /* appsrc ! fakesink: what feeding costs */
  IMPL_SEECITV,                 /* default settings */
  IMPL_SEECITV_EQ,              /* seecitvmotion max-analysis-rate=5 */
  IMPL_PEER,                    /* motioncells ! faceblur ! splitmuxsink */
  /* where the time goes, one camera: one part of the chain alone */
  IMPL_PART_MOTION,
  IMPL_PART_REDACT,
  IMPL_PART_REC,
  IMPL_PART_CODEC,
  N_IMPLS
} Impl;

static const gchar *impl_names[N_IMPLS] = {
  "harness", "seecitv", "seecitv-eq", "peer", "only-motion", "only-redact",
  "only-recorder", "only-decode-encode"
};

/* One camera's pipeline (NULL: not measured in this mode); camera_new ()
 * sets names, paths and the encoder's settings. */
static const gchar *chains[N_MODES][N_IMPLS] = {
  {
        "appsrc name=raw ! fakesink name=rawsink sync=false "
        "appsrc name=enc ! fakesink name=encsink sync=false",
        "appsrc name=raw ! seecitvmotion name=motion ! seecitvredact "
        "name=redact ! fakesink name=rawsink sync=false "
        "appsrc name=enc ! seecitvsink name=rec trigger=continuous",
        "appsrc name=raw ! seecitvmotion name=motion max-analysis-rate=5 ! "
        "seecitvredact name=redact ! fakesink name=rawsink sync=false "
        "appsrc name=enc ! seecitvsink name=rec trigger=continuous",
        "appsrc name=raw ! videoconvert ! video/x-raw,format=RGB ! "
        "motioncells name=motion ! faceblur name=redact ! videoconvert ! "
        "video/x-raw,format=I420 ! fakesink name=rawsink sync=false "
        "appsrc name=enc ! splitmuxsink name=rec muxer-factory=matroskamux",
        "appsrc name=raw ! seecitvmotion name=motion ! fakesink sync=false "
        "appsrc name=enc ! fakesink name=encsink sync=false",
        "appsrc name=raw ! seecitvredact name=redact ! fakesink sync=false "
        "appsrc name=enc ! fakesink name=encsink sync=false",
        "appsrc name=raw ! fakesink name=rawsink sync=false "
        "appsrc name=enc ! seecitvsink name=rec trigger=continuous",
        NULL,
      },
  {
        "appsrc name=jpg ! fakesink name=encsink sync=false",
        "appsrc name=jpg ! jpegdec ! seecitvmotion name=motion ! "
        "seecitvredact name=redact ! x264enc name=x264 ! h264parse ! "
        "seecitvsink name=rec trigger=continuous",
        "appsrc name=jpg ! jpegdec ! seecitvmotion name=motion "
        "max-analysis-rate=5 ! seecitvredact name=redact ! x264enc name=x264 "
        "! h264parse ! seecitvsink name=rec trigger=continuous",
        "appsrc name=jpg ! jpegdec ! videoconvert ! video/x-raw,format=RGB ! "
        "motioncells name=motion ! faceblur name=redact ! videoconvert ! "
        "video/x-raw,format=I420 ! x264enc name=x264 ! h264parse ! "
        "splitmuxsink name=rec muxer-factory=matroskamux",
        NULL, NULL, NULL,
        "appsrc name=jpg ! jpegdec ! x264enc name=x264 ! h264parse ! "
        "fakesink name=encsink sync=false",
      },
};

/* The frames, rendered once. */
typedef struct
{
  GPtrArray *raw;               /* I420 GstBuffer */
  GPtrArray *h264;              /* one access unit each */
  GPtrArray *jpeg;
  GstCaps *raw_caps, *h264_caps, *jpeg_caps;
  guint64 h264_bytes, jpeg_bytes;
} Pool;

typedef enum
{
  STREAM_RAW,
  STREAM_ENC,
  STREAM_JPEG,
  N_STREAMS
} StreamKind;

typedef struct _Camera Camera;

typedef struct
{
  Camera *cam;
  StreamKind kind;
  gboolean used;                /* this camera has this stream */
  GstAppSrc *src;               /* owned by the pipeline */
  GMutex lock;
  guint pushed;                 /* protected by lock */
  gboolean waiting;             /* asked for data before the start */
} Feed;

/* Set when every camera is ready: until then need-data pushes nothing, so
 * that start-up (cascades loading, elements starting) is not timed and
 * every camera starts at once. */
static gint go;
static gint feeds_waiting;

/* What a run saw; written by streaming threads, read after EOS. */
typedef struct
{
  gint raw_out;                 /* raw frames out of the redaction */
  gint redacted;                /* "redacted" ROI metas on them */
  gint rec_in;                  /* buffers into the recorder */
  gint clips;                   /* clips closed (-closed messages) */
  gint warnings;
} Counts;

struct _Camera
{
  GstElement *pipeline;
  const Pool *pool;
  guint frames;                 /* per stream */
  guint offset;                 /* where in the pool this camera starts */
  Feed feeds[N_STREAMS];
  Counts counts;                /* atomics */
  GMutex lock;
  gchar *error;                 /* first error, protected by lock */
};

typedef struct
{
  gint64 wall_ns, cpu_ns;
  glong nivcsw;                 /* involuntary context switches */
  Counts counts;                /* summed over the cameras */
  guint64 clip_bytes;           /* in the recordings directory */
  guint clip_files;
  gboolean ok;
} RunResult;

/* Options */
static gboolean opt_quick = FALSE;
static gchar *opt_cameras = NULL;
static gchar *opt_modes = NULL;
static gint opt_total_short = 90;
static gint opt_total_long = 270;
static gint opt_peer_short = 2;
static gint opt_peer_long = 6;
static gint opt_repeats = 3;
static gint opt_pool = 60;
static gchar *opt_x264 = NULL;
static gchar *opt_dir = NULL;
static gchar *opt_testdata = NULL;
static gchar *opt_keystore_clips = NULL;
static gboolean opt_no_peer = FALSE;
static gboolean opt_verbose = FALSE;

static GOptionEntry entries[] = {
  {"quick", 'q', 0, G_OPTION_ARG_NONE, &opt_quick,
        "A look in about half a minute: 1 and 2 cameras, one repeat, short "
        "runs, a 30-frame pool (explicit options still win)", NULL},
  {"cameras", 'n', 0, G_OPTION_ARG_STRING, &opt_cameras,
      "Camera counts (default 1,2,4,8,16)", "N[,N...]"},
  {"modes", 'm', 0, G_OPTION_ARG_STRING, &opt_modes,
      "a (decode/encode excluded), b (included) or a,b (default)", "M"},
  {"short", 's', 0, G_OPTION_ARG_INT, &opt_total_short,
        "Frames of all cameras together in a short run (default 90; each "
        "camera gets a multiple of 5, at least 10)", "F"},
  {"long", 'l', 0, G_OPTION_ARG_INT, &opt_total_long,
        "Frames of all cameras together in a long run (default 270; at "
        "least 10 per camera more than the short run)", "F"},
  {"peer-short", 0, 0, G_OPTION_ARG_INT, &opt_peer_short,
      "Frames in a short run of the peer (one camera; default 2)", "F"},
  {"peer-long", 0, 0, G_OPTION_ARG_INT, &opt_peer_long,
      "Frames in a long run of the peer (default 6)", "F"},
  {"repeats", 'r', 0, G_OPTION_ARG_INT, &opt_repeats,
      "Runs of each length; the median is kept (default 3)", "R"},
  {"pool", 'p', 0, G_OPTION_ARG_INT, &opt_pool,
      "Distinct frames rendered, a multiple of 30 (default 60)", "K"},
  {"x264", 0, 0, G_OPTION_ARG_STRING, &opt_x264,
      "x264enc settings (default \"" DEFAULT_X264 "\"; key-int-max=30 is "
        "always added)", "PROPS"},
  {"dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir,
      "Where recordings and keystores go (a new directory in it, emptied "
        "after each run; default $TMPDIR)", "DIR"},
  {"testdata", 0, 0, G_OPTION_ARG_FILENAME, &opt_testdata,
      "Directory with vtest.avi and astronaut.png (default "
        SEECITV_TESTDATA_DIR ")", "DIR"},
  {"keystore-clips", 0, 0, G_OPTION_ARG_STRING, &opt_keystore_clips,
      "Time a clip's keystore work (opening: new clip key; closing: end "
        "time) with this many clips already indexed (default "
        "0,1000,10000; quick 0,1000)", "K[,K...]"},
  {"no-peer", 0, 0, G_OPTION_ARG_NONE, &opt_no_peer,
      "Leave out the gst-plugins-bad peer", NULL},
  {"verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
      "Print every run as it ends", NULL},
  {NULL}
};

/* ---- machine ---- */

/* Returns a newly allocated list of the CPUs this process may run on, and
 * their number in @count. */
static gchar *
allowed_cpus (gint * count)
{
  cpu_set_t set;
  GString *s = g_string_new (NULL);

  *count = 0;
  if (sched_getaffinity (0, sizeof (set), &set) != 0)
    return g_string_free (s, FALSE);
  for (gint c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET (c, &set)) {
      g_string_append_printf (s, "%s%d", *count ? "," : "", c);
      (*count)++;
    }
  return g_string_free (s, FALSE);
}

/* ---- frames ---- */

static gboolean
pull_all (GstElement * pipeline, const gchar * sink_name, guint max,
    GPtrArray * out, GstCaps ** caps, guint64 * bytes)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), sink_name);
  GstSample *sample;

  while (out->len < max &&
      (sample = gst_app_sink_pull_sample (GST_APP_SINK (sink))) != NULL) {
    GstBuffer *buf = gst_sample_get_buffer (sample);

    if (*caps == NULL)
      *caps = gst_caps_ref (gst_sample_get_caps (sample));
    if (bytes != NULL)
      *bytes += gst_buffer_get_size (buf);
    /* Deep: nothing of the producer's buffer pool is kept. */
    g_ptr_array_add (out, gst_buffer_copy_deep (buf));
    gst_sample_unref (sample);
  }
  gst_object_unref (sink);
  return out->len == max;
}

static GstElement *
launch (const gchar * desc)
{
  GError *error = NULL;
  GstElement *p = gst_parse_launch (desc, &error);

  if (p == NULL) {
    g_printerr ("cannot build \"%s\": %s\n", desc, error->message);
    g_error_free (error);
    exit (2);
  }
  return p;
}

/* Encodes the raw pool through @chain ("appsrc name=src ! ... ! appsink
 * name=sink"). */
static gboolean
encode_pool (Pool * pool, const gchar * chain, GPtrArray * out,
    GstCaps ** caps, guint64 * bytes)
{
  GstElement *p = launch (chain);
  GstElement *src = gst_bin_get_by_name (GST_BIN (p), "src");
  gboolean ok;

  g_object_set (src, "caps", pool->raw_caps, "format", GST_FORMAT_TIME,
      "max-bytes", (guint64) 0, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  for (guint i = 0; i < pool->raw->len; i++) {
    GstBuffer *buf = gst_buffer_copy (g_ptr_array_index (pool->raw, i));

    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) =
        gst_util_uint64_scale (i, GST_SECOND, FPS);
    GST_BUFFER_DURATION (buf) = GST_SECOND / FPS;
    gst_app_src_push_buffer (GST_APP_SRC (src), buf);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  ok = pull_all (p, "sink", pool->raw->len, out, caps, bytes);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (p);
  return ok;
}

/* The raw frames: vtest.avi (768x576, 10 fps) cropped to 16:9 and scaled
 * to 1080p, each of its frames once, with the astronaut composited on the
 * right; then the same frames as JPEG and as H.264 (one access unit per
 * frame, a keyframe every GOP frames). */
static Pool *
pool_new (const gchar * testdata, guint k, const gchar * x264)
{
  Pool *pool = g_new0 (Pool, 1);
  gchar *vtest = g_build_filename (testdata, "vtest.avi", NULL);
  gchar *face = g_build_filename (testdata, "astronaut.png", NULL);
  gchar *desc, *enc;
  GstElement *p;
  gboolean ok;

  pool->raw = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  pool->h264 = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  pool->jpeg = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);

  if (!g_file_test (vtest, G_FILE_TEST_EXISTS) ||
      !g_file_test (face, G_FILE_TEST_EXISTS)) {
    g_printerr ("%s and %s are needed (./run testdata fetches them)\n",
        vtest, face);
    exit (2);
  }
  desc = g_strdup_printf ("compositor name=mix sink_1::xpos=%d "
      "sink_1::ypos=%d ! video/x-raw,format=I420,width=%d,height=%d,"
      "framerate=10/1 ! appsink name=sink sync=false "
      "filesrc location=\"%s\" ! decodebin ! videoconvert ! "
      "aspectratiocrop aspect-ratio=16/9 ! videoscale ! "
      "video/x-raw,width=%d,height=%d,pixel-aspect-ratio=1/1 ! mix.sink_0 "
      "filesrc location=\"%s\" ! decodebin ! imagefreeze ! videoconvert ! "
      "videoscale ! video/x-raw,width=%d,height=%d ! mix.sink_1",
      WIDTH - FACE_SQUARE - 160, HEIGHT / 2 - FACE_SQUARE / 2, WIDTH, HEIGHT,
      vtest, WIDTH, HEIGHT, face, FACE_SQUARE, FACE_SQUARE);
  p = launch (desc);
  gst_element_set_state (p, GST_STATE_PLAYING);
  ok = pull_all (p, "sink", k, pool->raw, &pool->raw_caps, NULL);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (p);
  g_free (desc);
  if (!ok) {
    g_printerr ("could render only %u of %u frames from %s\n",
        pool->raw->len, k, vtest);
    exit (2);
  }
  /* Announce the camera's rate: the frames are pushed at 15 fps. */
  pool->raw_caps = gst_caps_make_writable (pool->raw_caps);
  gst_caps_set_simple (pool->raw_caps, "framerate", GST_TYPE_FRACTION, FPS,
      1, NULL);

  ok = encode_pool (pool, "appsrc name=src ! jpegenc quality=85 ! "
      "appsink name=sink sync=false", pool->jpeg, &pool->jpeg_caps,
      &pool->jpeg_bytes);
  enc = g_strdup_printf ("appsrc name=src ! x264enc %s key-int-max=%d ! "
      "h264parse ! video/x-h264,stream-format=avc,alignment=au ! "
      "appsink name=sink sync=false", x264, GOP);
  ok = ok && encode_pool (pool, enc, pool->h264, &pool->h264_caps,
      &pool->h264_bytes);
  g_free (enc);
  if (!ok) {
    g_printerr ("cannot encode the frame pool\n");
    exit (2);
  }
  for (guint i = 0; i < pool->h264->len; i++) {
    gboolean key = !GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (pool->h264,
            i), GST_BUFFER_FLAG_DELTA_UNIT);

    if (key != (i % GOP == 0)) {
      g_printerr ("H.264 frame %u is %sa keyframe: the pool cannot be "
          "cycled\n", i, key ? "" : "not ");
      exit (2);
    }
  }
  g_free (vtest);
  g_free (face);
  return pool;
}

static void
pool_free (Pool * pool)
{
  g_ptr_array_unref (pool->raw);
  g_ptr_array_unref (pool->h264);
  g_ptr_array_unref (pool->jpeg);
  gst_caps_unref (pool->raw_caps);
  gst_caps_unref (pool->h264_caps);
  gst_caps_unref (pool->jpeg_caps);
  g_free (pool);
}

/* ---- one camera ---- */

/* Pushes the next frame of @feed into @src, or ends the stream. */
static void
push_next (Feed * feed)
{
  const Pool *pool = feed->cam->pool;
  GPtrArray *frames = feed->kind == STREAM_RAW ? pool->raw :
      feed->kind == STREAM_ENC ? pool->h264 : pool->jpeg;
  GstBuffer *buf = NULL;
  guint i;

  g_mutex_lock (&feed->lock);
  if (feed->pushed < feed->cam->frames) {
    /* the recorder's stream starts on a keyframe */
    guint offset = feed->kind == STREAM_ENC ?
        feed->cam->offset / GOP * GOP : feed->cam->offset;

    i = (offset + feed->pushed) % frames->len;
    /* Shallow: the memory is shared with the pool (an in-place element
     * pays one copy-on-write for it). */
    buf = gst_buffer_copy (g_ptr_array_index (frames, i));
    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) =
        gst_util_uint64_scale (feed->pushed, GST_SECOND, FPS);
    GST_BUFFER_DURATION (buf) = GST_SECOND / FPS;
  }
  feed->pushed++;
  g_mutex_unlock (&feed->lock);
  if (buf != NULL)
    gst_app_src_push_buffer (feed->src, buf);
  else
    gst_app_src_end_of_stream (feed->src);
}

/* appsrc's need-data, in its streaming thread, called when its queue is
 * empty. Before the start it only says it is ready. */
static void
need_data (GstAppSrc * src, guint length, gpointer user_data)
{
  Feed *feed = user_data;

  if (!g_atomic_int_get (&go)) {
    g_mutex_lock (&feed->lock);
    if (!feed->waiting) {
      feed->waiting = TRUE;
      g_atomic_int_inc (&feeds_waiting);
    }
    g_mutex_unlock (&feed->lock);
    return;
  }
  push_next (feed);
}

static gboolean
count_redacted (GstBuffer * buf, GstMeta ** meta, gpointer user_data)
{
  gint *n = user_data;

  if ((*meta)->info->api == GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE &&
      ((GstVideoRegionOfInterestMeta *) * meta)->roi_type ==
      g_quark_from_static_string ("redacted"))
    (*n)++;
  return TRUE;
}

static GstPadProbeReturn
raw_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Camera *cam = user_data;
  gint n = 0;

  gst_buffer_foreach_meta (GST_PAD_PROBE_INFO_BUFFER (info), count_redacted,
      &n);
  g_atomic_int_inc (&cam->counts.raw_out);
  g_atomic_int_add (&cam->counts.redacted, n);
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn
rec_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Camera *cam = user_data;

  g_atomic_int_inc (&cam->counts.rec_in);
  return GST_PAD_PROBE_OK;
}

static GstBusSyncReply
bus_sync (GstBus * bus, GstMessage * message, gpointer user_data)
{
  Camera *cam = user_data;
  const GstStructure *s;
  GError *err = NULL;
  gchar *debug = NULL;

  switch (GST_MESSAGE_TYPE (message)) {
    case GST_MESSAGE_ELEMENT:
      s = gst_message_get_structure (message);
      /* seecitvsink's inner splitmuxsink posts its own -closed too */
      if (gst_structure_has_name (s, "seecitvsink-clip-closed") ||
          (gst_structure_has_name (s, "splitmuxsink-fragment-closed") &&
              g_strcmp0 (GST_MESSAGE_SRC_NAME (message), "rec") == 0))
        g_atomic_int_inc (&cam->counts.clips);
      gst_message_unref (message);
      return GST_BUS_DROP;
    case GST_MESSAGE_WARNING:
      g_atomic_int_inc (&cam->counts.warnings);
      if (opt_verbose) {
        gst_message_parse_warning (message, &err, &debug);
        g_print ("    warning from %s: %s\n", GST_MESSAGE_SRC_NAME (message),
            err->message);
        g_clear_error (&err);
        g_free (debug);
      }
      gst_message_unref (message);
      return GST_BUS_DROP;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (message, &err, &debug);
      g_mutex_lock (&cam->lock);
      if (cam->error == NULL) {
        cam->error = g_strdup_printf ("%s: %s (%s)",
            GST_MESSAGE_SRC_NAME (message), err->message,
            debug ? debug : "");
        gst_element_call_async (cam->pipeline, stop_pipeline, NULL, NULL);
      }
      g_mutex_unlock (&cam->lock);
      g_clear_error (&err);
      g_free (debug);
      return GST_BUS_PASS;
    default:
      return GST_BUS_PASS;
  }
}

static void
probe_pad (GstElement * pipeline, const gchar * name,
    const gchar * pad_name, GstPadProbeCallback callback, Camera * cam)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline), name);
  GstPad *pad;

  if (e == NULL)
    return;
  /* splitmuxsink's pad is the request pad "video" */
  pad = gst_element_get_static_pad (e, pad_name);
  if (pad == NULL)
    pad = gst_element_get_static_pad (e, "video");
  if (pad != NULL) {
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, callback, cam, NULL);
    gst_object_unref (pad);
  }
  gst_object_unref (e);
}

static Camera *
camera_new (Mode mode, Impl impl, guint index, guint n_cameras,
    const Pool * pool, guint frames, const gchar * run_dir,
    const gchar * cascade, const gchar * x264)
{
  static const gchar *src_names[N_STREAMS] = { "raw", "enc", "jpg" };
  Camera *cam = g_new0 (Camera, 1);
  GstElement *e;
  GstBus *bus;

  cam->pool = pool;
  cam->frames = frames;
  /* Cameras are not in lock-step. */
  cam->offset = index * pool->raw->len / n_cameras;
  g_mutex_init (&cam->lock);
  for (gint k = 0; k < N_STREAMS; k++)
    g_mutex_init (&cam->feeds[k].lock);
  cam->pipeline = launch (chains[mode][impl]);

  for (gint k = 0; k < N_STREAMS; k++) {
    GstAppSrcCallbacks callbacks = { need_data, NULL, NULL };
    GstCaps *caps = k == STREAM_RAW ? pool->raw_caps :
        k == STREAM_ENC ? pool->h264_caps : pool->jpeg_caps;

    e = gst_bin_get_by_name (GST_BIN (cam->pipeline), src_names[k]);
    if (e == NULL)
      continue;
    cam->feeds[k].cam = cam;
    cam->feeds[k].kind = k;
    cam->feeds[k].used = TRUE;
    cam->feeds[k].src = GST_APP_SRC (e);
    g_object_set (e, "caps", caps, "format", GST_FORMAT_TIME,
        "is-live", FALSE, "block", FALSE, NULL);
    gst_app_src_set_callbacks (GST_APP_SRC (e), &callbacks, &cam->feeds[k],
        NULL);
    gst_object_unref (e);
  }

  if ((e = gst_bin_get_by_name (GST_BIN (cam->pipeline), "rec")) != NULL) {
    gchar *device = g_strdup_printf ("cam%02u", index);

    if (impl == IMPL_PEER) {
      gchar *loc = g_strdup_printf ("%s/clips/%s-%%05d.mkv", run_dir, device);

      g_object_set (e, "location", loc, NULL);
      g_free (loc);
    } else {
      gchar *loc = g_build_filename (run_dir, "clips", NULL);
      gchar *ks = g_build_filename (run_dir, "keys", "keystore", NULL);

      g_object_set (e, "location", loc, "keystore", ks, "device-id", device,
          NULL);
      g_free (loc);
      g_free (ks);
    }
    g_free (device);
    gst_object_unref (e);
  }
  if (impl == IMPL_PEER) {
    e = gst_bin_get_by_name (GST_BIN (cam->pipeline), "redact");
    g_object_set (e, "profile", cascade, NULL);
    gst_object_unref (e);
  }
  if ((e = gst_bin_get_by_name (GST_BIN (cam->pipeline), "x264")) != NULL) {
    gchar **props = g_strsplit (x264, " ", -1);

    for (gchar ** p = props; *p != NULL; p++) {
      gchar **kv = g_strsplit (*p, "=", 2);

      if (kv[0] != NULL && kv[1] != NULL)
        gst_util_set_object_arg (G_OBJECT (e), kv[0], kv[1]);
      g_strfreev (kv);
    }
    g_strfreev (props);
    g_object_set (e, "key-int-max", (guint) GOP, NULL);
    gst_object_unref (e);
  }

  /* after the redaction, in both modes (the harness: its sink) */
  if (impl == IMPL_HARNESS || impl == IMPL_PART_REC)
    probe_pad (cam->pipeline, "rawsink", "sink", raw_probe, cam);
  else
    probe_pad (cam->pipeline, "redact", "src", raw_probe, cam);
  probe_pad (cam->pipeline, "rec", "sink", rec_probe, cam);
  probe_pad (cam->pipeline, "encsink", "sink", rec_probe, cam);

  bus = gst_element_get_bus (cam->pipeline);
  gst_bus_set_sync_handler (bus, bus_sync, cam, NULL);
  gst_object_unref (bus);
  return cam;
}

static void
camera_free (Camera * cam)
{
  GstBus *bus = gst_element_get_bus (cam->pipeline);

  gst_element_set_state (cam->pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);
  gst_object_unref (bus);
  gst_object_unref (cam->pipeline);
  g_mutex_clear (&cam->lock);
  for (gint k = 0; k < N_STREAMS; k++)
    g_mutex_clear (&cam->feeds[k].lock);
  g_free (cam->error);
  g_free (cam);
}

/* ---- one run ---- */

/* Empties @dir (flat: clips, or a keystore and its key). Returns the bytes
 * and files that were there. */
static guint64
empty_dir (const gchar * dir, guint * files)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  guint64 bytes = 0;

  if (d == NULL)
    return 0;
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);
    GStatBuf st;

    if (g_stat (path, &st) == 0) {
      bytes += st.st_size;
      if (files != NULL)
        (*files)++;
    }
    g_unlink (path);
    g_free (path);
  }
  g_dir_close (d);
  return bytes;
}

/* A fresh keystore for every run: opening a clip rewrites the whole
 * keystore, so its size would otherwise grow with the runs. */
static void
fresh_keystore (const gchar * run_dir)
{
  gchar *keys = g_build_filename (run_dir, "keys", NULL);
  gchar *ks_path = g_build_filename (keys, "keystore", NULL);
  gchar *key_path = seecitv_keystore_default_key_path (ks_path);
  guint8 master[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  SeecitvKeystore *ks;
  GError *error = NULL;

  empty_dir (keys, NULL);
  if (!seecitv_keystore_master_key_create (key_path, master, &error) ||
      (ks = seecitv_keystore_create_with_key (ks_path, master,
              &error)) == NULL) {
    g_printerr ("cannot create the keystore %s: %s\n", ks_path,
        error->message);
    exit (2);
  }
  seecitv_keystore_free (ks);
  memset (master, 0, sizeof (master));
  g_free (key_path);
  g_free (ks_path);
  g_free (keys);
}

/* @n cameras, @frames frames per stream each, from PLAYING to the last
 * EOS; @print_settings: print camera 0's elements' settings after it. */
static gboolean
run_once (Mode mode, Impl impl, guint n, guint frames, const Pool * pool,
    const gchar * run_dir, const gchar * cascade, const gchar * x264,
    gboolean print_settings, RunResult * r)
{
  Camera **cams = g_new0 (Camera *, n);
  gchar *clips = g_build_filename (run_dir, "clips", NULL);
  struct rusage ru0, ru1;
  gint64 w0, c0;
  gboolean ok = TRUE;
  gint n_feeds = 0;

  memset (r, 0, sizeof (*r));
  if (strstr (chains[mode][impl], "seecitvsink") != NULL)
    fresh_keystore (run_dir);
  for (guint i = 0; i < n; i++)
    cams[i] = camera_new (mode, impl, i, n, pool, frames, run_dir, cascade,
        x264);

  g_atomic_int_set (&go, FALSE);
  g_atomic_int_set (&feeds_waiting, 0);
  for (guint i = 0; i < n; i++) {
    if (gst_element_set_state (cams[i]->pipeline, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE)
      ok = FALSE;
    for (gint k = 0; k < N_STREAMS; k++)
      n_feeds += cams[i]->feeds[k].used;
  }
  /* Every element started and every appsrc asking for data (or an
   * error: the pipeline stopped). */
  for (gint t = 0; ok && g_atomic_int_get (&feeds_waiting) < n_feeds; t++) {
    if (t > 120000) {
      g_print ("    the cameras did not start within 120 s\n");
      ok = FALSE;
    }
    for (guint i = 0; i < n; i++)
      if (cams[i]->error != NULL)
        ok = FALSE;
    g_usleep (1000);
  }

  getrusage (RUSAGE_SELF, &ru0);
  w0 = clock_ns (CLOCK_MONOTONIC);
  c0 = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
  g_atomic_int_set (&go, TRUE);
  for (guint i = 0; i < n && ok; i++)
    for (gint k = 0; k < N_STREAMS; k++)
      if (cams[i]->feeds[k].used) {
        push_next (&cams[i]->feeds[k]);
      }
  for (guint i = 0; i < n && ok; i++) {
    GstBus *bus = gst_element_get_bus (cams[i]->pipeline);
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 600 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

    if (m == NULL || GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
      ok = FALSE;
    gst_clear_message (&m);
    gst_object_unref (bus);
  }
  r->cpu_ns = clock_ns (CLOCK_PROCESS_CPUTIME_ID) - c0;
  r->wall_ns = clock_ns (CLOCK_MONOTONIC) - w0;
  getrusage (RUSAGE_SELF, &ru1);
  r->nivcsw = ru1.ru_nivcsw - ru0.ru_nivcsw;

  for (guint i = 0; i < n; i++) {
    Counts *c = &cams[i]->counts;

    if (cams[i]->error != NULL) {
      g_print ("    camera %u failed: %s\n", i, cams[i]->error);
      ok = FALSE;
    }
    r->counts.raw_out += c->raw_out;
    r->counts.redacted += c->redacted;
    r->counts.rec_in += c->rec_in;
    r->counts.clips += c->clips;
    r->counts.warnings += c->warnings;
  }
  if (print_settings) {
    static const gchar *names[] = { "motion", "redact", "x264", "rec" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
      GstElement *e = gst_bin_get_by_name (GST_BIN (cams[0]->pipeline),
          names[i]);

      if (e != NULL) {
        print_element_settings (e);
        gst_object_unref (e);
      }
    }
  }
  for (guint i = 0; i < n; i++)
    camera_free (cams[i]);
  /* Closed: count and remove the clips (not timed). */
  r->clip_bytes = empty_dir (clips, &r->clip_files);
  g_free (clips);
  g_free (cams);
  r->ok = ok;
  return ok;
}

/* ---- the keystore as it grows ---- */

/* Every clip costs the recorder two keystore rewrites (seecitvcryptsink:
 * open, new clip key, save when a clip opens; open, end time, save when it
 * closes), each reading, decrypting, re-encrypting and syncing the whole
 * file: the cost grows with the clips indexed. Times both, median of
 * STEP runs, for each count of clips already in the keystore. */
static void
keystore_costs (const gchar * run_dir, GArray * counts)
{
  gchar *path = g_build_filename (run_dir, "keys", "keystore", NULL);

  g_print ("\n== keystore work per clip (seecitvcryptsink's pattern: open, "
      "change, save with fsync), %d runs each, median ==\n", STEP);
  g_print ("  %-8s %-10s %-22s %-22s\n", "clips", "file KB",
      "clip opens: cpu (wall)", "clip closes: cpu (wall)");
  for (guint c = 0; c < counts->len; c++) {
    guint k = g_array_index (counts, guint, c);
    gint64 cpu[2][STEP], wall[2][STEP];
    SeecitvKeystore *ks;
    GError *error = NULL;
    guint8 key[SEECITV_CLIP_KEY_SIZE];
    SeecitvClipIds ids;
    GStatBuf st;
    gboolean ok = TRUE;

    fresh_keystore (run_dir);
    ks = seecitv_keystore_open_default (path, NULL, &error);
    ok = ks != NULL && seecitv_keystore_add_device (ks, "cam00", &error);
    for (guint i = 0; ok && i < k; i++) {
      gchar *clip = g_strdup_printf ("/srv/recordings/cam00-%08u.seecitv",
          i);

      ok = seecitv_keystore_new_clip_key (ks, "cam00", clip,
          g_get_real_time (), key, &ids, &error) &&
          seecitv_keystore_set_clip_info (ks, ids.clip_id, clip,
          g_get_real_time (), &error);
      g_free (clip);
    }
    ok = ok && seecitv_keystore_save (ks, &error);
    if (ks != NULL)
      seecitv_keystore_free (ks);
    for (gint r = 0; ok && r < STEP; r++) {
      for (gint w = 0; ok && w < 2; w++) {
        gint64 c0 = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
        gint64 w0 = clock_ns (CLOCK_MONOTONIC);

        ks = seecitv_keystore_open_default (path, NULL, &error);
        if (ks == NULL) {
          ok = FALSE;
          break;
        }
        if (w == 0)
          ok = seecitv_keystore_new_clip_key (ks, "cam00",
              "/srv/recordings/new.seecitv", g_get_real_time (), key, &ids,
              &error);
        else
          ok = seecitv_keystore_set_clip_info (ks, ids.clip_id,
              "/srv/recordings/new.seecitv", g_get_real_time (), &error);
        ok = ok && seecitv_keystore_save (ks, &error);
        seecitv_keystore_free (ks);
        cpu[w][r] = clock_ns (CLOCK_PROCESS_CPUTIME_ID) - c0;
        wall[w][r] = clock_ns (CLOCK_MONOTONIC) - w0;
      }
    }
    memset (key, 0, sizeof (key));
    if (!ok) {
      g_print ("  %-8u failed: %s\n", k, error ? error->message : "?");
      g_clear_error (&error);
      continue;
    }
    if (g_stat (path, &st) != 0)
      st.st_size = 0;
    g_print ("  %-8u %-10.0f %6.2f (%6.2f) ms       %6.2f (%6.2f) ms\n", k,
        st.st_size / 1024.0, median_ms (cpu[0], STEP),
        median_ms (wall[0], STEP), median_ms (cpu[1], STEP),
        median_ms (wall[1], STEP));
  }
  g_free (path);
}

/* ---- the measurement ---- */

typedef struct
{
  Mode mode;
  Impl impl;
  guint cameras;
  guint frames[2];              /* per camera: short, long */
  gint64 *wall[2], *cpu[2];     /* per repeat */
  glong nivcsw;                 /* long runs, summed */
  RunResult last;               /* the last long run */
  gboolean failed;
  /* results */
  gdouble cpu_ms, wall_ms;      /* per frame per camera */
} Config;

static void
config_free (Config * c)
{
  for (gint k = 0; k < 2; k++) {
    g_free (c->wall[k]);
    g_free (c->cpu[k]);
  }
  g_free (c);
}

/* Frames per camera for a total of @total over @n cameras: a multiple of
 * STEP, at least @min. */
static guint
per_camera (gint total, guint n, guint min)
{
  guint f = (guint) floor ((gdouble) total / n / STEP + 0.5) * STEP;

  return MAX (f, min);
}

static gboolean
parse_list (const gchar * str, guint64 min, guint64 max, GArray * out)
{
  gchar **parts = g_strsplit (str, ",", -1);
  gboolean ok = TRUE;

  for (gchar ** p = parts; *p != NULL && ok; p++) {
    gchar *end = NULL;
    guint64 v = g_ascii_strtoull (*p, &end, 10);

    if (end == *p || *end != '\0' || v < min || v > max)
      ok = FALSE;
    else {
      guint u = v;

      g_array_append_val (out, u);
    }
  }
  g_strfreev (parts);
  return ok && out->len > 0;
}

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

static void
print_config_runs (const Config * c)
{
  for (gint k = 0; k < 2; k++) {
    g_print ("    %u frames/camera: cpu ms", c->frames[k]);
    for (gint r = 0; r < opt_repeats; r++)
      g_print (" %.0f", c->cpu[k][r] / 1e6);
    g_print ("  wall ms");
    for (gint r = 0; r < opt_repeats; r++)
      g_print (" %.0f", c->wall[k][r] / 1e6);
    g_print ("\n");
  }
}

static gdouble
cameras_per_core (gdouble cpu_ms)
{
  return cpu_ms > 0 ? 1000.0 / (FPS * cpu_ms) : 0;
}

int
main (int argc, char **argv)
{
  static const gchar *needed[] = { "seecitvmotion", "seecitvredact",
    "seecitvsink", "seecitvcryptsink", "motioncells", "faceblur",
    "splitmuxsink", "matroskamux", "x264enc", "h264parse", "jpegdec",
    "jpegenc", "compositor", "imagefreeze", "aspectratiocrop"
  };
  GOptionContext *context;
  GError *error = NULL;
  GArray *cameras = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *keystore_clips = g_array_new (FALSE, FALSE, sizeof (guint));
  gboolean modes[N_MODES] = { FALSE, FALSE };
  GPtrArray *configs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      config_free);
  gchar *cpus, *load, *cascade, *run_dir, *dir, *x264, *testdata;
  struct utsname u;
  gint n_cpus;
  Pool *pool;
  gint64 start = g_get_monotonic_time (), t0;
  gboolean all_ok = TRUE;
  guint major, minor, micro, nano;

  setvbuf (stdout, NULL, _IOLBF, 0);
  context = g_option_context_new ("- 1080p cameras per core through "
      "seecitvmotion ! seecitvredact ! seecitvsink, 1 to 16 cameras");
  g_option_context_set_description (context, "Run through bench/scale.sh, "
      "which sets GST_PLUGIN_PATH and pins the process to one CPU.\n"
      "The exit status is 0 unless a pipeline failed.");
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_set_ignore_unknown_options (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return 2;
  }
  g_option_context_free (context);
  if (opt_quick) {
    /* Only what was not given explicitly; GOption leaves defaults. */
    if (opt_cameras == NULL)
      opt_cameras = g_strdup ("1,2");
    if (opt_total_short == 90 && opt_total_long == 270) {
      opt_total_short = 10;
      opt_total_long = 20;
    }
    if (opt_repeats == 3)
      opt_repeats = 1;
    if (opt_pool == 60)
      opt_pool = 30;
    if (opt_peer_short == 2 && opt_peer_long == 6) {
      opt_peer_short = 1;
      opt_peer_long = 2;
    }
  }
  if (!parse_list (opt_cameras ? opt_cameras : "1,2,4,8,16", 1, 64,
          cameras)) {
    g_printerr ("--cameras: a list of counts from 1 to 64\n");
    return 2;
  }
  if (!parse_list (opt_keystore_clips ? opt_keystore_clips : opt_quick ?
          "0,1000" : "0,1000,10000", 0, 1000000, keystore_clips)) {
    g_printerr ("--keystore-clips: a list of counts from 0 to 1000000\n");
    return 2;
  }
  {
    gchar **m = g_strsplit (opt_modes ? opt_modes : "a,b", ",", -1);

    for (gchar ** p = m; *p != NULL; p++) {
      if (strcmp (*p, "a") == 0)
        modes[MODE_RAW] = TRUE;
      else if (strcmp (*p, "b") == 0)
        modes[MODE_CODEC] = TRUE;
      else {
        g_printerr ("--modes: a, b or a,b\n");
        return 2;
      }
    }
    g_strfreev (m);
  }
  if (opt_total_short < 1 || opt_total_long <= opt_total_short ||
      opt_peer_short < 1 || opt_peer_long <= opt_peer_short ||
      opt_repeats < 1 || opt_pool < GOP || opt_pool % GOP != 0) {
    g_printerr ("need 1 <= --short < --long, 1 <= --peer-short < "
        "--peer-long, --repeats >= 1, --pool a multiple of %d\n", GOP);
    return 2;
  }
  x264 = g_strdup (opt_x264 ? opt_x264 : DEFAULT_X264);
  testdata = g_strdup (opt_testdata ? opt_testdata : SEECITV_TESTDATA_DIR);

  gst_init (&argc, &argv);
  for (guint i = 0; i < G_N_ELEMENTS (needed); i++) {
    GstElementFactory *factory = gst_element_factory_find (needed[i]);

    if (factory == NULL) {
      g_printerr ("element %s not found (bench/scale.sh sets "
          "GST_PLUGIN_PATH for the project's plugins)\n", needed[i]);
      return 2;
    }
    gst_object_unref (factory);
  }
  cascade = default_string ("seecitvredact", "cascade");

  if (opt_dir != NULL) {
    dir = g_strdup (opt_dir);
    run_dir = g_build_filename (dir, "seecitv-scale-XXXXXX", NULL);
  } else {
    dir = NULL;
    run_dir = g_build_filename (g_get_tmp_dir (), "seecitv-scale-XXXXXX",
        NULL);
  }
  if (g_mkdtemp_full (run_dir, 0700) == NULL) {
    g_printerr ("cannot make %s\n", run_dir);
    return 2;
  }
  {
    gchar *sub = g_build_filename (run_dir, "clips", NULL);

    g_mkdir (sub, 0700);
    g_free (sub);
    sub = g_build_filename (run_dir, "keys", NULL);
    g_mkdir (sub, 0700);
    g_free (sub);
  }

  /* ---- header ---- */
  cpus = allowed_cpus (&n_cpus);
  load = load_average ();
  {
    gchar *model = cpu_model ();

    gst_version (&major, &minor, &micro, &nano);
    if (uname (&u) != 0)
      memset (&u, 0, sizeof (u));
    g_print ("scale-bench: 1080p %d fps cameras per core, seecitvmotion ! "
        "seecitvredact ! seecitvsink, N cameras in one process\n", FPS);
    g_print ("machine: %s; nproc %u; %s %s %s\n", model,
        g_get_num_processors (), u.sysname, u.release, u.machine);
    g_print ("CPUs this process may use: %s%s\n", cpus, n_cpus == 1 ?
        " (pinned: CPU time is one core's)" : "  NOT PINNED: run through "
        "bench/scale.sh (taskset) for the one-core figure");
    g_print ("GStreamer %u.%u.%u; OPENCV_FOR_THREADS_NUM=%s\n", major, minor,
        micro, g_getenv ("OPENCV_FOR_THREADS_NUM") ?
        g_getenv ("OPENCV_FOR_THREADS_NUM") : "(unset)");
    g_print ("load average at start: %s\n", load);
    g_free (model);
  }
  g_free (load);

  t0 = g_get_monotonic_time ();
  pool = pool_new (testdata, opt_pool, x264);
  g_print ("frames: %u of %s/vtest.avi cropped to 16:9, scaled to %dx%d, "
      "astronaut.png composited (%d px square, face ~%d px high), "
      "rendered once (%.1f s); pushed in a cycle at %d fps, each camera "
      "from its own offset, as shallow copies\n", pool->raw->len, testdata,
      WIDTH, HEIGHT, FACE_SQUARE, FACE_SQUARE * 28 / 100,
      (g_get_monotonic_time () - t0) / 1e6, FPS);
  g_print ("  JPEG (jpegenc quality=85): %.0f KB per frame; H.264 (x264enc "
      "%s key-int-max=%d): %.0f KB per frame, %.1f Mbit/s at %d fps\n",
      pool->jpeg_bytes / 1024.0 / pool->jpeg->len, x264, GOP,
      pool->h264_bytes / 1024.0 / pool->h264->len,
      pool->h264_bytes * 8.0 * FPS / pool->h264->len / 1e6, FPS);
  g_print ("recordings and keystores in %s (emptied after each run, a new "
      "keystore per run)\n", run_dir);
  g_print ("faceblur profile=%s (the cascade seecitvredact uses)\n",
      cascade);
  g_print ("runs: per camera count N, a short and a long run; frames per "
      "camera = total/N in multiples of %d, at least %d, the long run at "
      "least %d more (totals %d and %d); the peer %d and %d frames, one "
      "camera; %d repeats, median; cost per frame per camera = (cpu long - "
      "cpu short) / (N x (frames long - frames short)), cpu = "
      "CLOCK_PROCESS_CPUTIME_ID (every thread), timed from the moment every "
      "camera's elements have started and its appsrc asks for data to the "
      "last EOS\n", STEP, 2 * STEP, 2 * STEP, opt_total_short,
      opt_total_long, opt_peer_short, opt_peer_long, opt_repeats);

  /* ---- the configurations ---- */
  for (gint m = 0; m < N_MODES; m++) {
    if (!modes[m])
      continue;
    for (gint impl = 0; impl < N_IMPLS; impl++) {
      guint n_list = impl == IMPL_SEECITV ? cameras->len : 1;

      if ((impl == IMPL_PEER && opt_no_peer) || chains[m][impl] == NULL)
        continue;
      for (guint i = 0; i < n_list; i++) {
        Config *c = g_new0 (Config, 1);

        c->mode = m;
        c->impl = impl;
        c->cameras = impl == IMPL_SEECITV ?
            g_array_index (cameras, guint, i) : 1;
        if (impl == IMPL_PEER) {
          c->frames[0] = opt_peer_short;
          c->frames[1] = opt_peer_long;
        } else {
          /* at least two detection intervals in each, and between them */
          c->frames[0] = per_camera (opt_total_short, c->cameras, 2 * STEP);
          c->frames[1] = per_camera (opt_total_long, c->cameras,
              c->frames[0] + 2 * STEP);
        }
        for (gint k = 0; k < 2; k++) {
          c->wall[k] = g_new0 (gint64, opt_repeats);
          c->cpu[k] = g_new0 (gint64, opt_repeats);
        }
        g_ptr_array_add (configs, c);
      }
    }
  }

  g_print ("\nsettings of the measured elements (camera 0, read after a "
      "run; \"not as created\" marks what the harness or the pipeline "
      "set):\n");
  for (gint m = 0; m < N_MODES; m++) {
    RunResult r;

    if (!modes[m])
      continue;
    for (gint impl = IMPL_SEECITV; impl < N_IMPLS; impl++) {
      if ((impl == IMPL_PEER && opt_no_peer) || impl == IMPL_SEECITV_EQ ||
          impl >= IMPL_PART_MOTION)
        continue;
      g_print (" mode %s, %s: %s\n", mode_names[m], impl_names[impl],
          chains[m][impl]);
      if (!run_once (m, impl, 1, STEP, pool, run_dir, cascade, x264, TRUE,
              &r))
        all_ok = FALSE;
      g_print ("  (verification: %d raw frames redacted, %d regions, "
          "%d buffers into the recorder, %d clips closed, %u files, "
          "%" G_GUINT64_FORMAT " bytes, %d warnings)\n", r.counts.raw_out,
          r.counts.redacted, r.counts.rec_in, r.counts.clips, r.clip_files,
          r.clip_bytes, r.counts.warnings);
    }
  }

  /* Repeats outermost: a slow spell of the shared machine is spread over
   * every configuration. */
  for (gint rep = 0; rep < opt_repeats; rep++) {
    for (guint i = 0; i < configs->len; i++) {
      Config *c = g_ptr_array_index (configs, i);

      for (gint k = 0; k < 2 && !c->failed; k++) {
        RunResult r;

        if (!run_once (c->mode, c->impl, c->cameras, c->frames[k], pool,
                run_dir, cascade, x264, FALSE, &r)) {
          c->failed = TRUE;
          all_ok = FALSE;
          g_print ("  mode %s %s N=%u: FAILED\n", mode_names[c->mode],
              impl_names[c->impl], c->cameras);
          continue;
        }
        c->wall[k][rep] = r.wall_ns;
        c->cpu[k][rep] = r.cpu_ns;
        if (k == 1) {
          c->nivcsw += r.nivcsw;
          c->last = r;
        }
        if (opt_verbose)
          g_print ("  run %d mode %s %-10s N=%-2u %3u frames/camera: wall "
              "%8.1f ms cpu %8.1f ms\n", rep, mode_names[c->mode],
              impl_names[c->impl], c->cameras, c->frames[k], r.wall_ns / 1e6,
              r.cpu_ns / 1e6);
      }
    }
    g_print ("  repeat %d of %d done (%.0f s so far)\n", rep + 1,
        opt_repeats, (g_get_monotonic_time () - start) / 1e6);
  }

  /* ---- raw times ---- */
  for (guint i = 0; i < configs->len; i++) {
    Config *c = g_ptr_array_index (configs, i);
    gdouble frames;

    if (c->failed)
      continue;
    frames = (gdouble) c->cameras * (c->frames[1] - c->frames[0]);
    c->cpu_ms = (median_ms (c->cpu[1], opt_repeats) -
        median_ms (c->cpu[0], opt_repeats)) / frames;
    c->wall_ms = (median_ms (c->wall[1], opt_repeats) -
        median_ms (c->wall[0], opt_repeats)) / frames;
  }
  g_print ("\n== raw times of whole runs (ms, every repeat), and what the "
      "last long run saw ==\n");
  for (guint i = 0; i < configs->len; i++) {
    Config *c = g_ptr_array_index (configs, i);
    const RunResult *r = &c->last;

    g_print ("  mode %s %s N=%u%s\n", mode_names[c->mode],
        impl_names[c->impl], c->cameras, c->failed ? ": FAILED" : "");
    if (c->failed)
      continue;
    print_config_runs (c);
    g_print ("    last long run: %d raw frames redacted, %d regions, %d "
        "buffers into the recorder, %d clips closed, %u files of %.1f MB, "
        "%d warnings; involuntary context switches in long runs %ld\n",
        r->counts.raw_out, r->counts.redacted, r->counts.rec_in,
        r->counts.clips, r->clip_files, r->clip_bytes / 1e6,
        r->counts.warnings, c->nivcsw);
  }

  /* ---- summary ---- */
  for (gint m = 0; m < N_MODES; m++) {
    const Config *one = NULL, *eq = NULL, *peer = NULL, *harness = NULL;
    GString *parts = g_string_new (NULL);
    gdouble parts_sum = 0;
    gchar ratio[32];

    if (!modes[m])
      continue;
    g_print ("\n== mode %s ==\n", mode_titles[m]);
    g_print ("  %-3s %-12s %-14s %-10s %-10s %-9s %s\n", "N",
        "frames/cam", "cpu ms/frame", "vs N=1", "wall ms", "cpu/wall",
        "cameras per core at 15 fps");
    for (guint i = 0; i < configs->len; i++) {
      const Config *c = g_ptr_array_index (configs, i);

      if (c->mode != (Mode) m)
        continue;
      if (c->impl == IMPL_HARNESS)
        harness = c;
      if (c->impl == IMPL_SEECITV_EQ)
        eq = c;
      if (c->impl == IMPL_PEER)
        peer = c;
      if (c->impl >= IMPL_PART_MOTION && !c->failed) {
        g_string_append_printf (parts, " %s %.2f,", impl_names[c->impl],
            c->cpu_ms);
        parts_sum += c->cpu_ms;
      }
      if (c->impl != IMPL_SEECITV)
        continue;
      if (c->cameras == 1)
        one = c;
      if (c->failed) {
        g_print ("  %-3u failed\n", c->cameras);
        continue;
      }
      if (one != NULL && !one->failed)
        g_snprintf (ratio, sizeof (ratio), "%.3f", c->cpu_ms / one->cpu_ms);
      else
        g_strlcpy (ratio, "-", sizeof (ratio));
      g_print ("  %-3u %3u, %-7u %-14.2f %-10s %-10.2f %-9.2f %.2f\n",
          c->cameras, c->frames[0], c->frames[1], c->cpu_ms, ratio,
          c->wall_ms, c->wall_ms > 0 ? c->cpu_ms / c->wall_ms : 0,
          cameras_per_core (c->cpu_ms));
    }
    if (harness && !harness->failed)
      g_print ("  harness alone (appsrc ! fakesink for the same streams): "
          "%.3f ms per frame per camera, included above\n",
          harness->cpu_ms);
    if (parts->len > 0) {
      g_print ("  where the time goes (N=1, one part alone, cpu ms per "
          "frame):%s sum %.2f", parts->str, parts_sum);
      if (one != NULL && !one->failed)
        g_print (" (the whole chain: %.2f)", one->cpu_ms);
      g_print ("\n");
    }
    g_string_free (parts, TRUE);
    if (eq && !eq->failed)
      g_print ("  seecitv-eq (N=1, seecitvmotion max-analysis-rate=5, the "
          "rate motioncells analyses at 15 fps): %.2f ms, %.2f cameras per "
          "core\n", eq->cpu_ms, cameras_per_core (eq->cpu_ms));
    if (peer && !peer->failed) {
      g_print ("  peer (N=1, %s): %.2f ms, %.2f cameras per core\n",
          chains[m][IMPL_PEER], peer->cpu_ms, cameras_per_core (peer->cpu_ms));
      if (eq && !eq->failed)
        g_print ("  RATIO peer / seecitv at equal analysis rate: %.1f\n",
            peer->cpu_ms / eq->cpu_ms);
      if (one && !one->failed)
        g_print ("  RATIO peer / seecitv default (seecitvmotion analyses "
            "every frame, 3x as many as motioncells): %.1f\n",
            peer->cpu_ms / one->cpu_ms);
    }
  }

  keystore_costs (run_dir, keystore_clips);

  load = load_average ();
  g_print ("\nload average at end: %s; total time %.0f s\n", load,
      (g_get_monotonic_time () - start) / 1e6);
  g_free (load);

  for (gint k = 0; k < 2; k++) {
    gchar *sub = g_build_filename (run_dir, k ? "keys" : "clips", NULL);

    empty_dir (sub, NULL);
    g_rmdir (sub);
    g_free (sub);
  }
  g_rmdir (run_dir);
  pool_free (pool);
  g_ptr_array_unref (configs);
  g_array_unref (cameras);
  g_array_unref (keystore_clips);
  g_free (cpus);
  g_free (cascade);
  g_free (run_dir);
  g_free (dir);
  g_free (x264);
  g_free (testdata);
  return all_ok ? 0 : 1;
}
