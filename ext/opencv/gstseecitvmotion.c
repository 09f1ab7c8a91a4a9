/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvmotion: the GStreamer side of motion detection. Caps, properties,
 * the start/end state machine, metas, messages and the sticky event live
 * here; the image work is in seecitvcv.cpp behind seecitvcv.h, and the
 * polygon grammar in gst-libs/seecitv/polygon.c.
 */

/**
 * SECTION:element-seecitvmotion
 * @title: seecitvmotion
 *
 * Finds moving regions in raw video and says when motion starts and ends,
 * so that a recorder (seecitvsink) or an application can act on it. Frames
 * pass through untouched: only metadata is added (and a debug overlay when
 * #SeecitvMotion:draw is on).
 *
 * The analysis runs on luma only, read straight from the frame for YUV and
 * grey formats (no colour conversion) and computed for packed RGB, on a copy
 * decimated to about #SeecitvMotion:analysis-height rows: blur, running
 * average background, absolute difference, per-pixel threshold (from
 * #SeecitvMotion:sensitivity, the #SeecitvMotion:zones and the
 * #SeecitvMotion:mask), an opening against noise, dilation, and connected
 * regions of at least #SeecitvMotion:min-area. When more than
 * #SeecitvMotion:lighting-threshold of the frame changes at once (lights,
 * gain, IR cut filter), the background is re-learned and nothing starts.
 *
 * Motion starts after #SeecitvMotion:min-frames analysed frames in a row
 * with moving regions, and ends after #SeecitvMotion:end-delay of stillness.
 *
 * ## Region metas
 *
 * Each analysed buffer with motion carries one #GstVideoRegionOfInterestMeta
 * per region, `roi_type` "motion", with a "seecitv-motion" parameter
 * structure: `score` (double, changed fraction of the box) and `zones`
 * (#GstValueArray of strings, the zones the region touches).
 *
 * ## Messages
 *
 * Element messages, posted from the streaming thread:
 *
 * "seecitvmotion-start", when motion is confirmed:
 *
 * * `running-time` (guint64): running time of the *onset*, the first frame of
 *   the run that confirmed the motion, not the confirming frame.
 * * `stream-time` (guint64): stream time of the onset frame.
 * * `timestamp` (guint64): PTS of the onset frame.
 * * `score` (double): fraction of the analysed frame covered by moving
 *   regions, on the confirming frame.
 * * `zones` (#GstValueArray of strings): zones with motion so far.
 * * `regions` (#GstValueArray of #GstStructure "region" with `x`, `y`,
 *   `width`, `height` (int, pixels) and `score` (double)): the moving
 *   regions of the confirming frame.
 *
 * "seecitvmotion-end", after #SeecitvMotion:end-delay of stillness, or at
 * EOS while motion is active:
 *
 * * `running-time`, `stream-time`, `timestamp` (guint64): of the first
 *   analysed frame without motion (at EOS: the end of the last frame).
 * * `duration` (guint64): end running time minus onset running time.
 * * `score` (double): the highest score seen during the motion.
 * * `zones` (#GstValueArray of strings): every zone with motion during it.
 * * `regions`: the moving regions of the last frame with motion.
 *
 * ## Event
 *
 * A #GST_EVENT_CUSTOM_DOWNSTREAM_STICKY event with a "seecitv-motion"
 * structure is pushed downstream before the first frame (`active` FALSE,
 * so that downstream knows motion analysis runs upstream) and at each
 * start and end: `active` (boolean),
 * `running-time` (guint64, the onset for a start, the end for an end) and
 * `score` (double). It is sticky, so a branch linked late learns the current
 * state, and encoders and parsers carry it along; its position in the stream
 * is approximate after an encoder, so receivers use its `running-time`.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m videotestsrc pattern=ball num-buffers=300 ! \
 *     video/x-raw,width=640,height=360,framerate=15/1 ! seecitvmotion ! \
 *     fakesink
 * ]| Prints the motion start and end messages of a moving ball.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseecitvmotion.h"
#include "seecitvcv.h"
#include "seecitvgrammarprop.h"

#include <math.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (seecitv_motion_debug);
#define GST_CAT_DEFAULT seecitv_motion_debug

#define DEFAULT_SENSITIVITY 0.5
#define DEFAULT_MIN_AREA 0.001
#define DEFAULT_ANALYSIS_HEIGHT 180
#define DEFAULT_MASK ""
#define DEFAULT_ZONES ""
#define DEFAULT_MIN_FRAMES 3
#define DEFAULT_END_DELAY (2 * GST_SECOND)
#define DEFAULT_LIGHTING_THRESHOLD 0.5
#define DEFAULT_LEARNING_RATE 0.05
#define DEFAULT_MAX_ANALYSIS_RATE 0.0
#define DEFAULT_DRAW FALSE

enum
{
  PROP_0,
  PROP_SENSITIVITY,
  PROP_MIN_AREA,
  PROP_ANALYSIS_HEIGHT,
  PROP_MASK,
  PROP_ZONES,
  PROP_MIN_FRAMES,
  PROP_END_DELAY,
  PROP_LIGHTING_THRESHOLD,
  PROP_LEARNING_RATE,
  PROP_MAX_ANALYSIS_RATE,
  PROP_DRAW,
};

#define FORMATS "{ GRAY8, I420, YV12, NV12, NV21, Y42B, Y444, YUY2, UYVY, " \
    "RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

/* Times of one analysed frame. */
typedef struct
{
  GstClockTime running_time;
  GstClockTime stream_time;
  GstClockTime timestamp;
} FrameTimes;

struct _SeecitvMotion
{
  GstVideoFilter parent;

  /* properties, protected by the object lock */
  gdouble sensitivity;
  gdouble min_area;
  gint analysis_height;
  SeecitvGrammarProp mask;
  SeecitvGrammarProp zones;
  guint min_frames;
  GstClockTime end_delay;
  gdouble lighting_threshold;
  gdouble learning_rate;
  gdouble max_analysis_rate;
  gboolean draw;
  gboolean config_changed;      /* the streaming thread must reconfigure */

  /* streaming thread only; created in start (), freed in stop () */
  SeecitvCvMotion *cv;
  SeecitvPolygon *mask_polygons;
  guint n_mask_polygons;
  SeecitvZone *zone_list;
  guint n_zone_list;
  guint cur_min_frames;
  GstClockTime cur_end_delay;
  gdouble cur_max_analysis_rate;
  gboolean cur_draw;

  /* streaming thread only; the layout of the negotiated format */
  gint luma_plane;
  gint luma_channels;
  gfloat luma_weights[4];

  /* streaming thread only; the motion state machine */
  GstClockTime last_analysed;   /* running time */
  guint run_length;             /* analysed frames with motion in a row */
  FrameTimes onset;
  gboolean active;
  gboolean announced;           /* the first event (active=false) pushed */
  gboolean still;               /* active, and still since still_since */
  FrameTimes still_since;
  gdouble peak_score;
  guint64 event_zones;          /* zones seen during the run / event */
  GstStructure *last_regions;   /* "regions" array holder, owned */
  GstClockTime last_end;        /* end of the last buffer, running time */
};

#define seecitv_motion_parent_class parent_class
G_DEFINE_TYPE (SeecitvMotion, seecitv_motion, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (seecitvmotion, "seecitvmotion", GST_RANK_NONE,
    SEECITV_TYPE_MOTION);

static void seecitv_motion_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void seecitv_motion_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void seecitv_motion_finalize (GObject * object);
static gboolean seecitv_motion_start (GstBaseTransform * trans);
static gboolean seecitv_motion_stop (GstBaseTransform * trans);
static gboolean seecitv_motion_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn seecitv_motion_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);
static gboolean seecitv_motion_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);

static void
seecitv_motion_class_init (SeecitvMotionClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  gobject_class->set_property = seecitv_motion_set_property;
  gobject_class->get_property = seecitv_motion_get_property;
  gobject_class->finalize = seecitv_motion_finalize;

  g_object_class_install_property (gobject_class, PROP_SENSITIVITY,
      g_param_spec_double ("sensitivity", "Sensitivity",
          "How small a luma change counts as motion outside zones, from 0 "
          "(nothing counts) to 1 (the smallest change counts)",
          0.0, 1.0, DEFAULT_SENSITIVITY, flags));
  g_object_class_install_property (gobject_class, PROP_MIN_AREA,
      g_param_spec_double ("min-area", "Minimum area",
          "Smallest moving region, as a fraction of the frame area",
          0.0, 1.0, DEFAULT_MIN_AREA, flags));
  g_object_class_install_property (gobject_class, PROP_ANALYSIS_HEIGHT,
      g_param_spec_int ("analysis-height", "Analysis height",
          "Rows of the decimated copy that is analysed (the frame is "
          "decimated by the integer factor height / analysis-height); "
          "changing it re-learns the background",
          16, 4320, DEFAULT_ANALYSIS_HEIGHT, flags));
  g_object_class_install_property (gobject_class, PROP_MASK,
      g_param_spec_string ("mask", "Mask",
          "Polygons where motion is ignored, normalised coordinates: "
          "\"x,y x,y x,y[;x,y x,y x,y...]\"",
          DEFAULT_MASK, flags));
  g_object_class_install_property (gobject_class, PROP_ZONES,
      g_param_spec_string ("zones", "Zones",
          "Named polygons with their own sensitivity, reported in messages "
          "and metas: \"name:sensitivity:x,y x,y x,y[;...]\"; where zones "
          "overlap, the later one wins",
          DEFAULT_ZONES, flags));
  g_object_class_install_property (gobject_class, PROP_MIN_FRAMES,
      g_param_spec_uint ("min-frames", "Minimum frames",
          "Analysed frames in a row with motion before motion starts",
          1, 1000, DEFAULT_MIN_FRAMES, flags));
  g_object_class_install_property (gobject_class, PROP_END_DELAY,
      g_param_spec_uint64 ("end-delay", "End delay",
          "Stillness (in nanoseconds of running time) before motion ends",
          0, G_MAXUINT64, DEFAULT_END_DELAY, flags));
  g_object_class_install_property (gobject_class, PROP_LIGHTING_THRESHOLD,
      g_param_spec_double ("lighting-threshold", "Lighting threshold",
          "Fraction of the frame changing at once above which the change is "
          "taken as a lighting or gain change: the background is re-learned "
          "and no motion starts (1 disables)",
          0.0, 1.0, DEFAULT_LIGHTING_THRESHOLD, flags));
  g_object_class_install_property (gobject_class, PROP_LEARNING_RATE,
      g_param_spec_double ("learning-rate", "Learning rate",
          "Weight of each analysed frame in the running-average background",
          0.001, 1.0, DEFAULT_LEARNING_RATE, flags));
  g_object_class_install_property (gobject_class, PROP_MAX_ANALYSIS_RATE,
      g_param_spec_double ("max-analysis-rate", "Maximum analysis rate",
          "Analysed frames per second at most (0 = every frame)",
          0.0, 1000.0, DEFAULT_MAX_ANALYSIS_RATE, flags));
  g_object_class_install_property (gobject_class, PROP_DRAW,
      g_param_spec_boolean ("draw", "Draw",
          "Draw moving regions (bright), zones (grey) and the mask (dark) "
          "into the frames, for tuning", DEFAULT_DRAW, flags));

  gst_element_class_set_static_metadata (element_class,
      "seecitv motion detector", "Filter/Analyzer/Video",
      "Detects moving regions on luma; posts start/end messages, adds region "
      "metas and a sticky event that can drive recording",
      "seecitv contributors");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (seecitv_motion_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (seecitv_motion_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (seecitv_motion_sink_event);
  /* Not GstVideoFilter's transform_ip: it maps frames for writing, which
   * copies memory shared with other branches. This one maps for reading
   * unless it draws. */
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (seecitv_motion_transform_ip);
  filter_class->set_info = GST_DEBUG_FUNCPTR (seecitv_motion_set_info);

  GST_DEBUG_CATEGORY_INIT (seecitv_motion_debug, "seecitvmotion", 0,
      "seecitv motion detector");
}

static void
seecitv_motion_init (SeecitvMotion * self)
{
  self->sensitivity = DEFAULT_SENSITIVITY;
  self->min_area = DEFAULT_MIN_AREA;
  self->analysis_height = DEFAULT_ANALYSIS_HEIGHT;
  seecitv_grammar_prop_init (&self->mask);
  seecitv_grammar_prop_init (&self->zones);
  self->min_frames = DEFAULT_MIN_FRAMES;
  self->end_delay = DEFAULT_END_DELAY;
  self->lighting_threshold = DEFAULT_LIGHTING_THRESHOLD;
  self->learning_rate = DEFAULT_LEARNING_RATE;
  self->max_analysis_rate = DEFAULT_MAX_ANALYSIS_RATE;
  self->draw = DEFAULT_DRAW;
  self->config_changed = TRUE;

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  /* A detector that feeds a recorder must see every frame: no QoS drops. */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}

static void
seecitv_motion_finalize (GObject * object)
{
  SeecitvMotion *self = SEECITV_MOTION (object);

  seecitv_grammar_prop_clear (&self->mask);
  seecitv_grammar_prop_clear (&self->zones);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
seecitv_motion_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  SeecitvMotion *self = SEECITV_MOTION (object);
  GError *error = NULL;
  gboolean running;

  GST_OBJECT_LOCK (self);
  running = GST_STATE (self) > GST_STATE_READY;
  switch (prop_id) {
    case PROP_SENSITIVITY:
      self->sensitivity = g_value_get_double (value);
      break;
    case PROP_MIN_AREA:
      self->min_area = g_value_get_double (value);
      break;
    case PROP_ANALYSIS_HEIGHT:
      self->analysis_height = g_value_get_int (value);
      break;
    case PROP_MASK:
      seecitv_grammar_prop_set (&self->mask, g_value_get_string (value),
          FALSE, running, &error);
      break;
    case PROP_ZONES:
      seecitv_grammar_prop_set (&self->zones, g_value_get_string (value),
          TRUE, running, &error);
      break;
    case PROP_MIN_FRAMES:
      self->min_frames = g_value_get_uint (value);
      break;
    case PROP_END_DELAY:
      self->end_delay = g_value_get_uint64 (value);
      break;
    case PROP_LIGHTING_THRESHOLD:
      self->lighting_threshold = g_value_get_double (value);
      break;
    case PROP_LEARNING_RATE:
      self->learning_rate = g_value_get_double (value);
      break;
    case PROP_MAX_ANALYSIS_RATE:
      self->max_analysis_rate = g_value_get_double (value);
      break;
    case PROP_DRAW:
      self->draw = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  self->config_changed = TRUE;
  GST_OBJECT_UNLOCK (self);

  if (error != NULL) {
    seecitv_grammar_prop_report (GST_ELEMENT (self), pspec->name, error,
        running);
    g_error_free (error);
  }
}

static void
seecitv_motion_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  SeecitvMotion *self = SEECITV_MOTION (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_SENSITIVITY:
      g_value_set_double (value, self->sensitivity);
      break;
    case PROP_MIN_AREA:
      g_value_set_double (value, self->min_area);
      break;
    case PROP_ANALYSIS_HEIGHT:
      g_value_set_int (value, self->analysis_height);
      break;
    case PROP_MASK:
      g_value_set_string (value, self->mask.value);
      break;
    case PROP_ZONES:
      g_value_set_string (value, self->zones.value);
      break;
    case PROP_MIN_FRAMES:
      g_value_set_uint (value, self->min_frames);
      break;
    case PROP_END_DELAY:
      g_value_set_uint64 (value, self->end_delay);
      break;
    case PROP_LIGHTING_THRESHOLD:
      g_value_set_double (value, self->lighting_threshold);
      break;
    case PROP_LEARNING_RATE:
      g_value_set_double (value, self->learning_rate);
      break;
    case PROP_MAX_ANALYSIS_RATE:
      g_value_set_double (value, self->max_analysis_rate);
      break;
    case PROP_DRAW:
      g_value_set_boolean (value, self->draw);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Sensitivity 0..1 to a luma difference threshold; 0 means never. */
static gint
threshold_for (gdouble sensitivity)
{
  if (sensitivity <= 0.0)
    return 255;
  return (gint) lround (4.0 + (1.0 - sensitivity) * 60.0);
}

static void
reset_state (SeecitvMotion * self)
{
  self->last_analysed = GST_CLOCK_TIME_NONE;
  self->run_length = 0;
  self->active = FALSE;
  self->announced = FALSE;
  self->still = FALSE;
  self->peak_score = 0.0;
  self->event_zones = 0;
  self->last_end = GST_CLOCK_TIME_NONE;
  g_clear_pointer (&self->last_regions, gst_structure_free);
  if (self->cv)
    seecitv_cv_motion_reset (self->cv);
}

static void
clear_polygons (SeecitvMotion * self)
{
  seecitv_polygons_free (self->mask_polygons, self->n_mask_polygons);
  self->mask_polygons = NULL;
  self->n_mask_polygons = 0;
  seecitv_zones_free (self->zone_list, self->n_zone_list);
  self->zone_list = NULL;
  self->n_zone_list = 0;
}

/* Streaming thread. Takes a copy of the settings under the lock and applies
 * them outside it. The strings were validated by set_property (), so parsing
 * them again cannot fail except on memory exhaustion. */
static gboolean
reconfigure (SeecitvMotion * self, GError ** error)
{
  SeecitvCvMotionConfig config = { 0, };
  SeecitvCvZone zones[SEECITV_CV_MAX_ZONES];
  gchar *mask, *zone_str;
  gdouble sensitivity;
  gboolean ret;

  GST_OBJECT_LOCK (self);
  mask = g_strdup (self->mask.value);
  zone_str = g_strdup (self->zones.value);
  sensitivity = self->sensitivity;
  config.analysis_height = self->analysis_height;
  config.min_area = self->min_area;
  config.lighting_threshold = self->lighting_threshold;
  config.learning_rate = self->learning_rate;
  self->cur_min_frames = self->min_frames;
  self->cur_end_delay = self->end_delay;
  self->cur_max_analysis_rate = self->max_analysis_rate;
  self->cur_draw = self->draw;
  self->config_changed = FALSE;
  GST_OBJECT_UNLOCK (self);

  clear_polygons (self);
  ret = seecitv_polygons_parse (mask, &self->mask_polygons,
      &self->n_mask_polygons, error)
      && seecitv_zones_parse (zone_str, &self->zone_list,
      &self->n_zone_list, error);
  g_free (mask);
  g_free (zone_str);
  if (!ret)
    return FALSE;

  if (self->n_zone_list > SEECITV_CV_MAX_ZONES) {
    g_set_error (error, SEECITV_PARSE_ERROR, SEECITV_PARSE_ERROR_TOO_LARGE,
        "more than %d zones", SEECITV_CV_MAX_ZONES);
    return FALSE;
  }
  for (guint i = 0; i < self->n_zone_list; i++) {
    zones[i].polygon = &self->zone_list[i].polygon;
    zones[i].threshold = threshold_for (self->zone_list[i].sensitivity);
  }
  config.threshold = threshold_for (sensitivity);
  config.mask = self->mask_polygons;
  config.n_mask = self->n_mask_polygons;
  config.zones = zones;
  config.n_zones = self->n_zone_list;

  return seecitv_cv_motion_configure (self->cv, &config, error);
}

static gboolean
seecitv_motion_start (GstBaseTransform * trans)
{
  SeecitvMotion *self = SEECITV_MOTION (trans);
  GError *mask_error, *zones_error;
  gboolean ok;

  GST_OBJECT_LOCK (self);
  mask_error = self->mask.error ? g_error_copy (self->mask.error) : NULL;
  zones_error = self->zones.error ? g_error_copy (self->zones.error) : NULL;
  self->config_changed = TRUE;
  GST_OBJECT_UNLOCK (self);

  ok = seecitv_grammar_prop_check (GST_ELEMENT (self), "mask", mask_error)
      && seecitv_grammar_prop_check (GST_ELEMENT (self), "zones",
      zones_error);
  g_clear_error (&mask_error);
  g_clear_error (&zones_error);
  if (!ok)
    return FALSE;

  self->cv = seecitv_cv_motion_new ();
  reset_state (self);
  return TRUE;
}

static gboolean
seecitv_motion_stop (GstBaseTransform * trans)
{
  SeecitvMotion *self = SEECITV_MOTION (trans);

  reset_state (self);
  clear_polygons (self);
  g_clear_pointer (&self->cv, seecitv_cv_motion_free);
  return TRUE;
}

static gboolean
seecitv_motion_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  SeecitvMotion *self = SEECITV_MOTION (filter);
  static const gfloat kr = 0.299f, kg = 0.587f, kb = 0.114f;
  gfloat *w = self->luma_weights;

  memset (w, 0, sizeof (self->luma_weights));
  self->luma_plane = 0;

  switch (GST_VIDEO_INFO_FORMAT (in_info)) {
    case GST_VIDEO_FORMAT_GRAY8:
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_YV12:
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_NV21:
    case GST_VIDEO_FORMAT_Y42B:
    case GST_VIDEO_FORMAT_Y444:
      self->luma_channels = 1;
      w[0] = 1.0f;
      break;
    case GST_VIDEO_FORMAT_YUY2:
      self->luma_channels = 2;
      w[0] = 1.0f;
      break;
    case GST_VIDEO_FORMAT_UYVY:
      self->luma_channels = 2;
      w[1] = 1.0f;
      break;
    case GST_VIDEO_FORMAT_RGB:
      self->luma_channels = 3;
      w[0] = kr, w[1] = kg, w[2] = kb;
      break;
    case GST_VIDEO_FORMAT_BGR:
      self->luma_channels = 3;
      w[0] = kb, w[1] = kg, w[2] = kr;
      break;
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_RGBA:
      self->luma_channels = 4;
      w[0] = kr, w[1] = kg, w[2] = kb;
      break;
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_BGRA:
      self->luma_channels = 4;
      w[0] = kb, w[1] = kg, w[2] = kr;
      break;
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_ARGB:
      self->luma_channels = 4;
      w[1] = kr, w[2] = kg, w[3] = kb;
      break;
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_ABGR:
      self->luma_channels = 4;
      w[1] = kb, w[2] = kg, w[3] = kr;
      break;
    default:
      /* The pad templates make this unreachable. */
      GST_ERROR_OBJECT (self, "unsupported format %s",
          gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info)));
      return FALSE;
  }
  return TRUE;
}

static GValue *
zones_value (SeecitvMotion * self, guint64 bits, GValue * array)
{
  g_value_init (array, GST_TYPE_ARRAY);
  for (guint i = 0; i < self->n_zone_list && i < 64; i++) {
    GValue v = G_VALUE_INIT;

    if (!(bits & (G_GUINT64_CONSTANT (1) << i)))
      continue;
    g_value_init (&v, G_TYPE_STRING);
    g_value_set_string (&v, self->zone_list[i].name);
    gst_value_array_append_and_take_value (array, &v);
  }
  return array;
}

/* Returns a new structure holding a "regions" array of @result. */
static GstStructure *
regions_structure (const SeecitvCvMotionResult * result)
{
  GstStructure *holder = gst_structure_new_empty ("holder");
  GValue array = G_VALUE_INIT;

  g_value_init (&array, GST_TYPE_ARRAY);
  for (guint i = 0; i < result->n_regions; i++) {
    const SeecitvCvRegion *r = &result->regions[i];
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, gst_structure_new ("region",
            "x", G_TYPE_INT, r->x, "y", G_TYPE_INT, r->y,
            "width", G_TYPE_INT, r->width, "height", G_TYPE_INT, r->height,
            "score", G_TYPE_DOUBLE, r->score, NULL));
    gst_value_array_append_and_take_value (&array, &v);
  }
  gst_structure_take_value (holder, "regions", &array);
  return holder;
}

static void
post_and_push (SeecitvMotion * self, gboolean active, const FrameTimes * t,
    GstClockTime duration, gdouble score)
{
  GstStructure *s;
  GValue zones = G_VALUE_INIT;
  GstEvent *event;

  s = gst_structure_new (active ? "seecitvmotion-start" : "seecitvmotion-end",
      "running-time", G_TYPE_UINT64, t->running_time,
      "stream-time", G_TYPE_UINT64, t->stream_time,
      "timestamp", G_TYPE_UINT64, t->timestamp,
      "score", G_TYPE_DOUBLE, score, NULL);
  if (!active)
    gst_structure_set (s, "duration", G_TYPE_UINT64, duration, NULL);
  gst_structure_take_value (s, "zones", zones_value (self, self->event_zones,
          &zones));
  if (self->last_regions)
    gst_structure_set_value (s, "regions",
        gst_structure_get_value (self->last_regions, "regions"));

  GST_INFO_OBJECT (self, "motion %s at %" GST_TIME_FORMAT ", score %.4f",
      active ? "start" : "end", GST_TIME_ARGS (t->running_time), score);

  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));

  event = gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
      gst_structure_new ("seecitv-motion",
          "active", G_TYPE_BOOLEAN, active,
          "running-time", G_TYPE_UINT64, t->running_time,
          "score", G_TYPE_DOUBLE, score, NULL));
  gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self), event);
}

static void
end_motion (SeecitvMotion * self, const FrameTimes * t)
{
  GstClockTime duration = GST_CLOCK_TIME_NONE;

  if (GST_CLOCK_TIME_IS_VALID (t->running_time) &&
      GST_CLOCK_TIME_IS_VALID (self->onset.running_time) &&
      t->running_time >= self->onset.running_time)
    duration = t->running_time - self->onset.running_time;

  post_and_push (self, FALSE, t, duration, self->peak_score);
  self->active = FALSE;
  self->still = FALSE;
  self->run_length = 0;
  self->event_zones = 0;
  self->peak_score = 0.0;
  g_clear_pointer (&self->last_regions, gst_structure_free);
}

static void
add_metas (SeecitvMotion * self, GstBuffer * buf,
    const SeecitvCvMotionResult * result)
{
  for (guint i = 0; i < result->n_regions; i++) {
    const SeecitvCvRegion *r = &result->regions[i];
    GstVideoRegionOfInterestMeta *meta;
    GstStructure *params;
    GValue zones = G_VALUE_INIT;

    meta = gst_buffer_add_video_region_of_interest_meta (buf, "motion",
        r->x, r->y, r->width, r->height);
    params = gst_structure_new ("seecitv-motion",
        "score", G_TYPE_DOUBLE, r->score, NULL);
    gst_structure_take_value (params, "zones",
        zones_value (self, r->zones, &zones));
    gst_video_region_of_interest_meta_add_param (meta, params);
  }
}

/* Overlay for tuning: only called with a frame mapped for writing. */
static void
draw_overlay (SeecitvMotion * self, GstVideoFrame * frame,
    const SeecitvCvMotionResult * result)
{
  SeecitvCvCanvas canvas;
  guint8 bright[4], mid[4], dark[4];
  GError *error = NULL;
  gboolean ok = TRUE;
  gboolean yuv = GST_VIDEO_INFO_IS_YUV (&frame->info);
  gint c;

  canvas.data = GST_VIDEO_FRAME_PLANE_DATA (frame, self->luma_plane);
  canvas.stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, self->luma_plane);
  canvas.width = GST_VIDEO_FRAME_WIDTH (frame);
  canvas.height = GST_VIDEO_FRAME_HEIGHT (frame);
  canvas.channels = self->luma_channels;

  for (c = 0; c < 4; c++) {
    gboolean is_luma = self->luma_weights[c] > 0.0f || !yuv;
    bright[c] = is_luma ? (yuv ? 235 : 255) : 128;
    mid[c] = 128;
    dark[c] = is_luma ? (yuv ? 16 : 0) : 128;
  }

  for (guint i = 0; ok && i < self->n_mask_polygons; i++)
    ok = seecitv_cv_draw_polygon (&canvas, &self->mask_polygons[i], dark, 2,
        &error);
  for (guint i = 0; ok && i < self->n_zone_list; i++)
    ok = seecitv_cv_draw_polygon (&canvas, &self->zone_list[i].polygon, mid,
        2, &error);
  for (guint i = 0; ok && i < result->n_regions; i++) {
    const SeecitvCvRegion *r = &result->regions[i];
    ok = seecitv_cv_draw_rectangle (&canvas, r->x, r->y, r->width, r->height,
        bright, 2, &error);
  }
  if (!ok) {
    GST_WARNING_OBJECT (self, "overlay failed: %s", error->message);
    g_error_free (error);
  }
}

static void
frame_times (SeecitvMotion * self, GstBuffer * buf, FrameTimes * t)
{
  GstSegment *segment = &GST_BASE_TRANSFORM (self)->segment;
  GstClockTime pts = GST_BUFFER_PTS (buf);

  t->timestamp = pts;
  t->running_time = t->stream_time = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (pts) && segment->format == GST_FORMAT_TIME) {
    t->running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
        pts);
    t->stream_time = gst_segment_to_stream_time (segment, GST_FORMAT_TIME,
        pts);
  }
}

/* TRUE when the frame at @t should be analysed under max-analysis-rate. */
static gboolean
due_for_analysis (SeecitvMotion * self, const FrameTimes * t)
{
  GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
  GstClockTime interval, slack = 0;

  if (self->cur_max_analysis_rate <= 0.0 ||
      !GST_CLOCK_TIME_IS_VALID (t->running_time) ||
      !GST_CLOCK_TIME_IS_VALID (self->last_analysed))
    return TRUE;

  interval = (GstClockTime) (GST_SECOND / self->cur_max_analysis_rate);
  /* Half a frame of slack, so that jitter in timestamps does not skip a
   * frame that is due. */
  if (GST_VIDEO_INFO_FPS_N (info) > 0)
    slack = gst_util_uint64_scale (GST_SECOND / 2,
        GST_VIDEO_INFO_FPS_D (info), GST_VIDEO_INFO_FPS_N (info));
  return t->running_time + slack >= self->last_analysed + interval;
}

static void
update_state (SeecitvMotion * self, const FrameTimes * t,
    const SeecitvCvMotionResult * result)
{
  if (result->learning) {
    /* Nothing can be told from this frame: a run in progress does not
     * count it, and an active motion's stillness clock keeps running. */
    if (!self->active)
      self->run_length = 0;
    return;
  }

  if (result->n_regions > 0) {
    guint64 zones = 0;

    for (guint i = 0; i < result->n_regions; i++)
      zones |= result->regions[i].zones;

    if (self->run_length == 0 && !self->active) {
      self->onset = *t;
      self->event_zones = 0;
      self->peak_score = 0.0;
    }
    self->event_zones |= zones;
    self->peak_score = MAX (self->peak_score, result->score);
    g_clear_pointer (&self->last_regions, gst_structure_free);
    self->last_regions = regions_structure (result);
    self->still = FALSE;

    if (!self->active) {
      self->run_length++;
      if (self->run_length >= self->cur_min_frames) {
        self->active = TRUE;
        post_and_push (self, TRUE, &self->onset, GST_CLOCK_TIME_NONE,
            result->score);
      }
    }
    return;
  }

  if (!self->active) {
    self->run_length = 0;
    return;
  }

  if (!self->still) {
    self->still = TRUE;
    self->still_since = *t;
  }
  if (!GST_CLOCK_TIME_IS_VALID (t->running_time) ||
      !GST_CLOCK_TIME_IS_VALID (self->still_since.running_time) ||
      t->running_time >= self->still_since.running_time + self->cur_end_delay)
    end_motion (self, &self->still_since);
}

static GstFlowReturn
seecitv_motion_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  SeecitvMotion *self = SEECITV_MOTION (trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER (trans);
  SeecitvCvMotionResult result;
  SeecitvCvImage image;
  GstVideoFrame frame;
  GError *error = NULL;
  FrameTimes t;
  gboolean changed;

  if (G_UNLIKELY (!filter->negotiated)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("no format negotiated before the first buffer"));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  GST_OBJECT_LOCK (self);
  changed = self->config_changed;
  GST_OBJECT_UNLOCK (self);
  if (changed && !reconfigure (self, &error)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS, (NULL),
        ("cannot configure the motion detector: %s", error->message));
    g_error_free (error);
    return GST_FLOW_ERROR;
  }

  frame_times (self, buf, &t);
  if (!self->announced) {
    /* Before the first frame: downstream (seecitvredact, a recorder)
     * learns that motion analysis runs upstream, and that nothing moves
     * yet. */
    self->announced = TRUE;
    gst_pad_push_event (GST_BASE_TRANSFORM_SRC_PAD (self),
        gst_event_new_custom (GST_EVENT_CUSTOM_DOWNSTREAM_STICKY,
            gst_structure_new ("seecitv-motion",
                "active", G_TYPE_BOOLEAN, FALSE,
                "running-time", G_TYPE_UINT64, t.running_time,
                "score", G_TYPE_DOUBLE, 0.0, NULL)));
  }
  if (GST_CLOCK_TIME_IS_VALID (t.running_time)) {
    self->last_end = t.running_time;
    if (GST_BUFFER_DURATION_IS_VALID (buf))
      self->last_end += GST_BUFFER_DURATION (buf);
  }

  if (!due_for_analysis (self, &t))
    return GST_FLOW_OK;

  if (!gst_video_frame_map (&frame, &filter->in_info, buf,
          (self->cur_draw ? GST_MAP_READWRITE : GST_MAP_READ) |
          GST_VIDEO_FRAME_MAP_FLAG_NO_REF)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("cannot map a video frame (buffer smaller than the caps say?)"));
    return GST_FLOW_ERROR;
  }

  image.data = GST_VIDEO_FRAME_PLANE_DATA (&frame, self->luma_plane);
  image.width = GST_VIDEO_FRAME_WIDTH (&frame);
  image.height = GST_VIDEO_FRAME_HEIGHT (&frame);
  image.stride = GST_VIDEO_FRAME_PLANE_STRIDE (&frame, self->luma_plane);
  image.channels = self->luma_channels;
  memcpy (image.luma_weights, self->luma_weights, sizeof (image.luma_weights));

  if (!seecitv_cv_motion_process (self->cv, &image, &result, &error)) {
    gst_video_frame_unmap (&frame);
    GST_ELEMENT_ERROR (self, LIBRARY, FAILED, (NULL),
        ("motion analysis failed: %s", error->message));
    g_error_free (error);
    return GST_FLOW_ERROR;
  }
  self->last_analysed = t.running_time;

  if (self->cur_draw)
    draw_overlay (self, &frame, &result);
  gst_video_frame_unmap (&frame);

  if (result.lighting)
    GST_DEBUG_OBJECT (self, "global change (%.2f of the frame): "
        "background re-learned", result.changed);

  add_metas (self, buf, &result);
  update_state (self, &t, &result);

  return GST_FLOW_OK;
}

static gboolean
seecitv_motion_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  SeecitvMotion *self = SEECITV_MOTION (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      if (self->active) {
        FrameTimes t = { self->last_end, GST_CLOCK_TIME_NONE,
          GST_CLOCK_TIME_NONE
        };
        GstSegment *segment = &trans->segment;

        if (GST_CLOCK_TIME_IS_VALID (t.running_time) &&
            segment->format == GST_FORMAT_TIME) {
          guint64 position;

          if (gst_segment_position_from_running_time_full (segment,
                  GST_FORMAT_TIME, t.running_time, &position) > 0) {
            t.timestamp = position;
            t.stream_time = gst_segment_to_stream_time (segment,
                GST_FORMAT_TIME, position);
          }
        }
        end_motion (self, &t);
      }
      break;
    case GST_EVENT_FLUSH_STOP:{
      gboolean was_active = self->active;
      FrameTimes none = { GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE,
        GST_CLOCK_TIME_NONE
      };
      gboolean ret;

      /* Forward the flush first, then tell downstream (whose sticky
       * state survives flushes) that the motion it knew of is over. */
      ret = GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans,
          event);
      if (was_active)
        end_motion (self, &none);
      reset_state (self);
      return ret;
    }
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}
