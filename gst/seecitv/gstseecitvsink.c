/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink, the recording bin: the GObject glue, the gate (which frames
 * go into a clip, decided in the sink pad's chain function) and the
 * management of one splitmuxsink per clip. The pre-roll ring itself is pure
 * C in seecitvring.c. Retention, max-size, codecs other than H.264 and raw
 * video input are not here yet.
 */

/**
 * SECTION:element-seecitvsink
 * @title: seecitvsink
 *
 * Records parsed H.264 into encrypted clips: a pre-roll gate keeps a ring of
 * whole encoded GOPs covering at least #SeecitvSink:pre-roll of running
 * time, and when a clip starts the ring is replayed from the newest
 * keyframe at or before onset − pre-roll (the oldest keyframe in the ring
 * if none is that old). Each clip is written by its own splitmuxsink over
 * `matroskamux streamable=true` into `seecitvcryptsink` (plugin
 * seecitvcrypto, found by name at run time), split on keyframes at
 * #SeecitvSink:max-clip-duration with no frame lost or duplicated.
 *
 * #SeecitvSink:trigger:
 *
 * * `motion` (default): a clip starts on the sticky custom downstream event
 *   `seecitv-motion` with `active` TRUE (its `running-time` field, the
 *   onset, is used, never the event's position in the stream) and closes
 *   on the first keyframe after the frame shown at the `running-time` of
 *   the `active` FALSE event plus #SeecitvSink:post-roll: that frame is in
 *   the clip's last GOP.
 * * `continuous`: everything from the first keyframe on is recorded.
 * * `manual`: the action signals #SeecitvSink::start and #SeecitvSink::stop
 *   act as motion start and end at the running time of the newest frame.
 *
 * Files are named `DEVICE-YYYYMMDDTHHMMSS.mmmZ.seecitv` (UTC wall-clock
 * time at opening) in #SeecitvSink:location.
 *
 * ## Messages
 *
 * "seecitvsink-clip-opened", when a clip file is opened:
 *
 * * `path` (gchararray): the clip file.
 * * `running-time` (guint64): running time of the clip's first frame, as
 *   splitmuxsink reports it.
 *
 * "seecitvsink-clip-closed", when a clip file is complete and synced:
 *
 * * `path` (gchararray): the clip file.
 * * `start-running-time` (guint64): as in "seecitvsink-clip-opened".
 * * `end-running-time` (guint64): running time of the clip's end, as
 *   splitmuxsink reports it (the next split's start, or the last frame's
 *   timestamp at EOS).
 * * `duration` (guint64): end minus start, in ns.
 * * `bytes` (guint64): container bytes written, from seecitvcryptsink
 *   (0 if it did not say).
 *
 * ## Errors
 *
 * * CORE / MISSING_PLUGIN: splitmuxsink, matroskamux or seecitvcryptsink
 *   is not installed.
 * * RESOURCE / SETTINGS: no location or keystore, or location is not a
 *   directory.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e videotestsrc is-live=true ! \
 *     video/x-raw,framerate=10/1 ! x264enc tune=zerolatency key-int-max=10 ! \
 *     h264parse ! seecitvsink trigger=continuous location=/tmp/clips \
 *     keystore=/tmp/keys.db max-clip-duration=10000000000
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseecitvsink.h"
#include "seecitvring.h"

#include <string.h>

#include "seecitv/deviceid.h"
#include "seecitv/gstproperty.h"
#include "seecitvsinkupload.h"

GST_DEBUG_CATEGORY_STATIC (seecitv_sink_debug);
#define GST_CAT_DEFAULT seecitv_sink_debug

#define DEFAULT_LOCATION NULL
#define DEFAULT_KEYSTORE NULL
#define DEFAULT_DEVICE_ID "default"
#define DEFAULT_TRIGGER SEECITV_SINK_TRIGGER_MOTION
#define DEFAULT_PRE_ROLL (5 * GST_SECOND)
#define DEFAULT_POST_ROLL (5 * GST_SECOND)
#define DEFAULT_MAX_CLIP_DURATION (600 * GST_SECOND)
#define DEFAULT_SYNC_INTERVAL GST_SECOND

/* The ring keeps this much more than pre-roll: the motion event arrives
 * after its onset (confirmation frames, encoder and parser latency). */
#define RING_SLACK (3 * GST_SECOND)

#define MOTION_EVENT_NAME "seecitv-motion"

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_KEYSTORE,
  PROP_DEVICE_ID,
  PROP_TRIGGER,
  PROP_PRE_ROLL,
  PROP_POST_ROLL,
  PROP_MAX_CLIP_DURATION,
  PROP_SYNC_INTERVAL,
  PROP_UPLOAD_FIRST,            /* seecitvsinkupload.c's properties */
  PROP_UPLOAD_LAST = PROP_UPLOAD_FIRST + SEECITV_SINK_UPLOAD_N_PROPS - 1,
};

enum
{
  SIGNAL_START,
  SIGNAL_STOP,
  LAST_SIGNAL
};

static guint signals[LAST_SIGNAL];

typedef struct
{
  guint64 start;
  guint64 bytes;
} ClipInfo;

struct _SeecitvSink
{
  GstBin parent;

  GstPad *sinkpad;
  /* Not an element pad: linked to the open clip's splitmuxsink. */
  GstPad *srcpad;

  /* Properties, protected by the object lock. */
  gchar *location;
  gchar *keystore;
  gchar *device_id;
  SeecitvSinkTrigger trigger;
  guint64 pre_roll;
  guint64 post_roll;
  guint64 max_clip_duration;
  guint64 sync_interval;

  /* Trigger requests, protected by trigger_lock (set by the event handler
   * and the action signals, read by the chain function). */
  GMutex trigger_lock;
  gboolean want_start;
  guint64 onset;
  guint64 stop_at;              /* GST_CLOCK_TIME_NONE: no end known */
  guint64 last_rt;              /* newest frame, for the signals */

  /* Streaming state, used by the streaming thread only (under the sink
   * pad's stream lock). */
  GstSegment segment;
  SeecitvRing *ring;
  GstElement *current;          /* the open clip's splitmuxsink, or NULL */
  guint64 clip_rt;              /* newest frame sent into the clip */

  /* Protected by clips_lock. */
  GMutex clips_lock;
  GList *closing;               /* splitmuxsinks sent EOS, owned refs */
  GHashTable *infos;            /* path -> ClipInfo */
  gboolean final_eos;
  guint32 eos_seqnum;
  gchar *last_path;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/x-h264, stream-format = (string) { avc, "
        "byte-stream }, alignment = (string) au"));

static GstStaticPadTemplate internal_template =
GST_STATIC_PAD_TEMPLATE ("internal",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

GType
seecitv_sink_trigger_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEECITV_SINK_TRIGGER_CONTINUOUS, "Record everything", "continuous"},
    {SEECITV_SINK_TRIGGER_MOTION, "Record on the seecitv-motion event",
        "motion"},
    {SEECITV_SINK_TRIGGER_MANUAL, "Record between the start and stop "
          "action signals", "manual"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("SeecitvSinkTrigger", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

#define seecitv_sink_parent_class parent_class
G_DEFINE_TYPE (SeecitvSink, seecitv_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (seecitvsink, "seecitvsink", GST_RANK_NONE,
    SEECITV_TYPE_SINK);

static void seecitv_sink_finalize (GObject * object);
static void seecitv_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void seecitv_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstStateChangeReturn seecitv_sink_change_state (GstElement * element,
    GstStateChange transition);
static void seecitv_sink_handle_message (GstBin * bin, GstMessage * msg);
static GstFlowReturn seecitv_sink_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buf);
static gboolean seecitv_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static void seecitv_sink_start (SeecitvSink * self);
static void seecitv_sink_stop (SeecitvSink * self);

static void
seecitv_sink_class_init (SeecitvSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBinClass *bin_class = GST_BIN_CLASS (klass);

  gobject_class->finalize = seecitv_sink_finalize;
  gobject_class->set_property = seecitv_sink_set_property;
  gobject_class->get_property = seecitv_sink_get_property;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Directory the clip files are written to (it should hold only "
          "clips)", DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_KEYSTORE,
      g_param_spec_string ("keystore", "Keystore",
          "Keystore file given to seecitvcryptsink (it must exist; its "
          "master key file is PATH.key)", DEFAULT_KEYSTORE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_DEVICE_ID,
      g_param_spec_string ("device-id", "Device id",
          "Device the clips belong to, [A-Za-z0-9._-]{1,64}, also the file "
          "name prefix (anything else is refused)", DEFAULT_DEVICE_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TRIGGER,
      g_param_spec_enum ("trigger", "Trigger",
          "What starts and ends a clip", SEECITV_TYPE_SINK_TRIGGER,
          DEFAULT_TRIGGER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_PRE_ROLL,
      g_param_spec_uint64 ("pre-roll", "Pre-roll",
          "A clip starts on a keyframe at least this long (ns) before the "
          "motion onset, if the ring holds one", 0, G_MAXUINT64,
          DEFAULT_PRE_ROLL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_POST_ROLL,
      g_param_spec_uint64 ("post-roll", "Post-roll",
          "A clip holds at least this long (ns) after the motion end, then "
          "ends before the next keyframe", 0, G_MAXUINT64, DEFAULT_POST_ROLL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_CLIP_DURATION,
      g_param_spec_uint64 ("max-clip-duration", "Maximum clip duration",
          "Split clips on a keyframe at this duration (ns; 0 = never). "
          "Takes effect at the next clip", 0, G_MAXUINT64,
          DEFAULT_MAX_CLIP_DURATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SYNC_INTERVAL,
      g_param_spec_uint64 ("sync-interval", "Sync interval",
          "seecitvcryptsink's sync-interval (ns): everything up to the last "
          "sync survives a crash. Takes effect at the next clip", 0,
          G_MAXUINT64, DEFAULT_SYNC_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  seecitv_sink_upload_class_init (element_class, PROP_UPLOAD_FIRST);

  /**
   * SeecitvSink::start:
   *
   * With trigger=manual: start a clip (with pre-roll) at the running time
   * of the newest frame received.
   */
  signals[SIGNAL_START] = g_signal_new_class_handler ("start",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (seecitv_sink_start), NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * SeecitvSink::stop:
   *
   * With trigger=manual: end the clip (with post-roll) at the running time
   * of the newest frame received.
   */
  signals[SIGNAL_STOP] = g_signal_new_class_handler ("stop",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION,
      G_CALLBACK (seecitv_sink_stop), NULL, NULL, NULL, G_TYPE_NONE, 0);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "seecitv recording sink", "Sink/Video",
      "Records H.264 into encrypted Matroska clips, with pre-roll, on "
      "motion, continuously or on demand",
      "seecitv contributors <seecitv@example.invalid>");

  element_class->change_state = GST_DEBUG_FUNCPTR (seecitv_sink_change_state);
  bin_class->handle_message = GST_DEBUG_FUNCPTR (seecitv_sink_handle_message);

  gst_type_mark_as_plugin_api (SEECITV_TYPE_SINK_TRIGGER, 0);
  GST_DEBUG_CATEGORY_INIT (seecitv_sink_debug, "seecitvsink", 0,
      "seecitv recording sink");
}

static void
seecitv_sink_init (SeecitvSink * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (seecitv_sink_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (seecitv_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&internal_template,
      "internal");

  self->location = g_strdup (DEFAULT_LOCATION);
  self->keystore = g_strdup (DEFAULT_KEYSTORE);
  self->device_id = g_strdup (DEFAULT_DEVICE_ID);
  self->trigger = DEFAULT_TRIGGER;
  self->pre_roll = DEFAULT_PRE_ROLL;
  self->post_roll = DEFAULT_POST_ROLL;
  self->max_clip_duration = DEFAULT_MAX_CLIP_DURATION;
  self->sync_interval = DEFAULT_SYNC_INTERVAL;
  seecitv_sink_upload_init (GST_ELEMENT (self));

  g_mutex_init (&self->trigger_lock);
  g_mutex_init (&self->clips_lock);
  self->stop_at = GST_CLOCK_TIME_NONE;
  self->last_rt = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->ring = seecitv_ring_new ((GDestroyNotify) gst_buffer_unref);
  self->infos = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);

  /* Clips come and go; the bin is a sink all along. */
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static void
seecitv_sink_finalize (GObject * object)
{
  SeecitvSink *self = SEECITV_SINK (object);

  g_free (self->location);
  g_free (self->keystore);
  g_free (self->device_id);
  g_free (self->last_path);
  seecitv_ring_free (self->ring);
  g_hash_table_unref (self->infos);
  g_list_free_full (self->closing, gst_object_unref);
  gst_clear_object (&self->srcpad);
  g_mutex_clear (&self->trigger_lock);
  g_mutex_clear (&self->clips_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
seecitv_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  SeecitvSink *self = SEECITV_SINK (object);

  GST_OBJECT_LOCK (self);
  if (GST_STATE (self) > GST_STATE_READY &&
      !(pspec->flags & GST_PARAM_MUTABLE_PLAYING)) {
    GST_OBJECT_UNLOCK (self);
    seecitv_warn_property_refused (GST_ELEMENT (self), pspec);
    return;
  }
  if (prop_id >= PROP_UPLOAD_FIRST && prop_id <= PROP_UPLOAD_LAST) {
    GST_OBJECT_UNLOCK (self);
    seecitv_sink_upload_set_property (GST_ELEMENT (self),
        prop_id - PROP_UPLOAD_FIRST, value);
    return;
  }
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_KEYSTORE:
      g_free (self->keystore);
      self->keystore = g_value_dup_string (value);
      break;
    case PROP_DEVICE_ID:{
      const gchar *id = g_value_get_string (value);

      if (!seecitv_device_id_is_valid (id)) {
        /* Never used as a path: refused whole, the old value stays. */
        GST_OBJECT_UNLOCK (self);
        GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, SETTINGS,
            ("Invalid device id (allowed: [A-Za-z0-9._-]{1,64}); ignored"),
            (NULL), ("property", G_TYPE_STRING, pspec->name, NULL));
        return;
      }
      g_free (self->device_id);
      self->device_id = g_strdup (id);
      break;
    }
    case PROP_TRIGGER:
      self->trigger = g_value_get_enum (value);
      break;
    case PROP_PRE_ROLL:
      self->pre_roll = g_value_get_uint64 (value);
      break;
    case PROP_POST_ROLL:
      self->post_roll = g_value_get_uint64 (value);
      break;
    case PROP_MAX_CLIP_DURATION:
      self->max_clip_duration = g_value_get_uint64 (value);
      break;
    case PROP_SYNC_INTERVAL:
      self->sync_interval = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
seecitv_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  SeecitvSink *self = SEECITV_SINK (object);

  if (prop_id >= PROP_UPLOAD_FIRST && prop_id <= PROP_UPLOAD_LAST) {
    seecitv_sink_upload_get_property (GST_ELEMENT (self),
        prop_id - PROP_UPLOAD_FIRST, value);
    return;
  }
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_KEYSTORE:
      g_value_set_string (value, self->keystore);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, self->device_id);
      break;
    case PROP_TRIGGER:
      g_value_set_enum (value, self->trigger);
      break;
    case PROP_PRE_ROLL:
      g_value_set_uint64 (value, self->pre_roll);
      break;
    case PROP_POST_ROLL:
      g_value_set_uint64 (value, self->post_roll);
      break;
    case PROP_MAX_CLIP_DURATION:
      g_value_set_uint64 (value, self->max_clip_duration);
      break;
    case PROP_SYNC_INTERVAL:
      g_value_set_uint64 (value, self->sync_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ---- trigger requests ---- */

/* Called with trigger_lock held. */
static void
request_start (SeecitvSink * self, guint64 onset)
{
  self->want_start = TRUE;
  self->onset = onset;
  self->stop_at = GST_CLOCK_TIME_NONE;
}

/* Called with trigger_lock held. */
static void
request_stop (SeecitvSink * self, guint64 end, guint64 post_roll)
{
  self->stop_at = end + MIN (post_roll, G_MAXUINT64 - end - 1);
}

static gboolean
trigger_is (SeecitvSink * self, SeecitvSinkTrigger trigger)
{
  gboolean ret;

  GST_OBJECT_LOCK (self);
  ret = self->trigger == trigger;
  GST_OBJECT_UNLOCK (self);
  return ret;
}

static guint64
get_post_roll (SeecitvSink * self)
{
  guint64 ret;

  GST_OBJECT_LOCK (self);
  ret = self->post_roll;
  GST_OBJECT_UNLOCK (self);
  return ret;
}

static void
seecitv_sink_start (SeecitvSink * self)
{
  if (!trigger_is (self, SEECITV_SINK_TRIGGER_MANUAL)) {
    GST_WARNING_OBJECT (self, "\"start\" ignored: trigger is not manual");
    return;
  }
  g_mutex_lock (&self->trigger_lock);
  request_start (self, GST_CLOCK_TIME_IS_VALID (self->last_rt) ?
      self->last_rt : 0);
  g_mutex_unlock (&self->trigger_lock);
}

static void
seecitv_sink_stop (SeecitvSink * self)
{
  guint64 post_roll = get_post_roll (self);

  if (!trigger_is (self, SEECITV_SINK_TRIGGER_MANUAL)) {
    GST_WARNING_OBJECT (self, "\"stop\" ignored: trigger is not manual");
    return;
  }
  g_mutex_lock (&self->trigger_lock);
  self->want_start = FALSE;
  request_stop (self, GST_CLOCK_TIME_IS_VALID (self->last_rt) ?
      self->last_rt : 0, post_roll);
  g_mutex_unlock (&self->trigger_lock);
}

/* ---- clips ---- */

/* From splitmuxsink's streaming thread. Returns a newly allocated path. */
static gchar *
format_location (GstElement * split, guint fragment, SeecitvSink * self)
{
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  gchar *base, *path;
  guint n = 0;

  GST_OBJECT_LOCK (self);
  base = g_strdup_printf ("%s/%s-%s.%03dZ", self->location, self->device_id,
      stamp, g_date_time_get_microsecond (now) / 1000);
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->clips_lock);
  path = g_strdup_printf ("%s.seecitv", base);
  while (g_file_test (path, G_FILE_TEST_EXISTS) ||
      g_strcmp0 (path, self->last_path) == 0) {
    g_free (path);
    path = g_strdup_printf ("%s-%u.seecitv", base, ++n);
  }
  g_free (self->last_path);
  self->last_path = g_strdup (path);
  g_mutex_unlock (&self->clips_lock);
  GST_DEBUG_OBJECT (self, "fragment %u of %" GST_PTR_FORMAT ": %s", fragment,
      split, path);

  g_free (base);
  g_free (stamp);
  g_date_time_unref (now);
  return path;
}

static GstElement *
make (SeecitvSink * self, const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL)
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("Element \"%s\" is missing: check the GStreamer installation and "
            "that the seecitvcrypto plugin is built", factory), (NULL));
  return e;
}

/* Streaming thread. Creates the clip's splitmuxsink and links the internal
 * pad to it. */
static gboolean
open_clip (SeecitvSink * self)
{
  GstElement *split, *mux, *sink;
  GstPad *pad;
  gchar *keystore, *device_id;
  guint64 max_dur, sync_interval;

  split = make (self, "splitmuxsink");
  mux = make (self, "matroskamux");
  sink = make (self, "seecitvcryptsink");
  if (split == NULL || mux == NULL || sink == NULL) {
    gst_clear_object (&split);
    gst_clear_object (&mux);
    gst_clear_object (&sink);
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  keystore = g_strdup (self->keystore);
  device_id = g_strdup (self->device_id);
  max_dur = self->max_clip_duration;
  sync_interval = self->sync_interval;
  GST_OBJECT_UNLOCK (self);

  g_object_set (mux, "streamable", TRUE, NULL);
  g_object_set (sink, "keystore", keystore, "device-id", device_id,
      "sync-interval", sync_interval, "async", FALSE, "sync", FALSE, NULL);
  g_object_set (split, "muxer", mux, "sink", sink, "max-size-time", max_dur,
      NULL);
  g_free (keystore);
  g_free (device_id);
  g_signal_connect (split, "format-location", G_CALLBACK (format_location),
      self);

  if (!gst_bin_add (GST_BIN (self), split)) {
    GST_ELEMENT_ERROR (self, CORE, FAILED, ("Could not add splitmuxsink"),
        (NULL));
    return FALSE;
  }
  pad = gst_element_request_pad_simple (split, "video");
  if (pad == NULL || GST_PAD_LINK_FAILED (gst_pad_link (self->srcpad, pad))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Could not link to splitmuxsink"), (NULL));
    gst_clear_object (&pad);
    gst_element_set_state (split, GST_STATE_NULL);
    gst_bin_remove (GST_BIN (self), split);
    GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
    return FALSE;
  }
  gst_object_unref (pad);
  if (!gst_element_sync_state_with_parent (split)) {
    GST_ELEMENT_ERROR (self, CORE, STATE_CHANGE,
        ("Could not start splitmuxsink"), (NULL));
    return FALSE;
  }
  self->current = split;
  GST_DEBUG_OBJECT (self, "clip opened");
  return TRUE;
}

/* Streaming thread: ends the open clip (EOS into its splitmuxsink). The
 * element is removed when its EOS message comes back. */
static void
close_clip (SeecitvSink * self)
{
  GstElement *split = self->current;
  GstPad *peer;

  if (split == NULL)
    return;
  self->current = NULL;
  g_mutex_lock (&self->clips_lock);
  self->closing = g_list_prepend (self->closing, gst_object_ref (split));
  g_mutex_unlock (&self->clips_lock);

  peer = gst_pad_get_peer (self->srcpad);
  if (peer != NULL) {
    gst_pad_unlink (self->srcpad, peer);
    gst_pad_send_event (peer, gst_event_new_eos ());
    gst_object_unref (peer);
  }
  GST_DEBUG_OBJECT (self, "clip closing");
}

static void
remove_clip (GstElement * element, gpointer user_data)
{
  SeecitvSink *self = SEECITV_SINK (element);
  GstElement *split = user_data;
  GList *l;

  /* Our state lock keeps a state change of the bin from walking its
   * children meanwhile: it would bring the finished clip back up, and its
   * seecitvcryptsink would then refuse to overwrite the file. */
  GST_STATE_LOCK (self);
  g_mutex_lock (&self->clips_lock);
  l = g_list_find (self->closing, split);
  if (l != NULL)
    self->closing = g_list_delete_link (self->closing, l);
  g_mutex_unlock (&self->clips_lock);
  if (l == NULL) {
    GST_STATE_UNLOCK (self);
    return;                     /* removed by a state change already */
  }

  gst_element_set_locked_state (split, TRUE);
  gst_element_set_state (split, GST_STATE_NULL);
  if (GST_OBJECT_PARENT (split) == GST_OBJECT (self))
    gst_bin_remove (GST_BIN (self), split);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
  GST_STATE_UNLOCK (self);
  gst_object_unref (split);
}

/* Posts our EOS when the input ended and every clip is closed. Called with
 * clips_lock held; returns the message to post (outside the lock). */
static GstMessage *
maybe_eos_unlocked (SeecitvSink * self, guint pending)
{
  GstMessage *msg;

  if (!self->final_eos || pending > 0)
    return NULL;
  self->final_eos = FALSE;
  msg = gst_message_new_eos (GST_OBJECT (self));
  gst_message_set_seqnum (msg, self->eos_seqnum);
  return msg;
}

static guint
count_closing_unlocked (SeecitvSink * self, GstElement * done)
{
  /* A closed element stays in the list until remove_clip runs; count
   * only those whose EOS has not come back. */
  guint n = 0;
  GList *l;

  for (l = self->closing; l != NULL; l = l->next)
    if (l->data != done && !g_object_get_data (l->data, "seecitv-eos"))
      n++;
  return n;
}

static void
seecitv_sink_handle_message (GstBin * bin, GstMessage * msg)
{
  SeecitvSink *self = SEECITV_SINK (bin);
  const GstStructure *s = gst_message_get_structure (msg);
  GstMessage *post = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:{
      GstElement *split = GST_ELEMENT (GST_MESSAGE_SRC (msg));
      GstMessage *eos;
      guint pending;

      /* A clip is complete: its EOS is ours to keep. */
      g_mutex_lock (&self->clips_lock);
      g_object_set_data (G_OBJECT (split), "seecitv-eos", GINT_TO_POINTER (1));
      pending = count_closing_unlocked (self, split);
      eos = maybe_eos_unlocked (self, pending);
      g_mutex_unlock (&self->clips_lock);
      gst_element_call_async (GST_ELEMENT (self), remove_clip,
          gst_object_ref (split), gst_object_unref);
      gst_message_unref (msg);
      if (eos != NULL)
        gst_element_post_message (GST_ELEMENT (self), eos);
      return;
    }
    case GST_MESSAGE_ELEMENT:
      if (gst_structure_has_name (s, "splitmuxsink-fragment-opened")) {
        const gchar *path = gst_structure_get_string (s, "location");
        ClipInfo *info = g_new0 (ClipInfo, 1);

        gst_structure_get_uint64 (s, "running-time", &info->start);
        g_mutex_lock (&self->clips_lock);
        g_hash_table_replace (self->infos, g_strdup (path), info);
        g_mutex_unlock (&self->clips_lock);
        post = gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("seecitvsink-clip-opened",
                "path", G_TYPE_STRING, path,
                "running-time", G_TYPE_UINT64, info->start, NULL));
      } else if (gst_structure_has_name (s, "seecitvcryptsink-closed")) {
        const gchar *path = gst_structure_get_string (s, "location");
        ClipInfo *info;

        g_mutex_lock (&self->clips_lock);
        info = path ? g_hash_table_lookup (self->infos, path) : NULL;
        if (info != NULL)
          gst_structure_get_uint64 (s, "bytes", &info->bytes);
        g_mutex_unlock (&self->clips_lock);
      } else if (gst_structure_has_name (s, "splitmuxsink-fragment-closed")) {
        const gchar *path = gst_structure_get_string (s, "location");
        guint64 end = GST_CLOCK_TIME_NONE, start = 0, bytes = 0;
        ClipInfo *info;

        gst_structure_get_uint64 (s, "running-time", &end);
        g_mutex_lock (&self->clips_lock);
        info = path ? g_hash_table_lookup (self->infos, path) : NULL;
        if (info != NULL) {
          start = info->start;
          bytes = info->bytes;
          g_hash_table_remove (self->infos, path);
        }
        g_mutex_unlock (&self->clips_lock);
        post = gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("seecitvsink-clip-closed",
                "path", G_TYPE_STRING, path,
                "start-running-time", G_TYPE_UINT64, start,
                "end-running-time", G_TYPE_UINT64, end,
                "duration", G_TYPE_UINT64,
                (GST_CLOCK_TIME_IS_VALID (end) && end >= start) ?
                end - start : GST_CLOCK_TIME_NONE,
                "bytes", G_TYPE_UINT64, bytes, NULL));
      }
      break;
    default:
      break;
  }

  GST_BIN_CLASS (parent_class)->handle_message (bin, msg);
  if (post != NULL)
    gst_element_post_message (GST_ELEMENT (self), post);
}

/* ---- streaming ---- */

static guint64
buffer_running_time (SeecitvSink * self, GstBuffer * buf)
{
  GstClockTime ts = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) :
      GST_BUFFER_DTS (buf);

  if (!GST_CLOCK_TIME_IS_VALID (ts) || self->segment.format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (&self->segment, GST_FORMAT_TIME, ts);
}

/* Streaming thread: sends the ring's frames into the open clip. */
static GstFlowReturn
flush_ring (SeecitvSink * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *buf;

  while ((buf = seecitv_ring_pop (self->ring)) != NULL) {
    if (ret == GST_FLOW_OK)
      ret = gst_pad_push (self->srcpad, buf);
    else
      gst_buffer_unref (buf);
  }
  return ret;
}

static GstFlowReturn
seecitv_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  SeecitvSink *self = SEECITV_SINK (parent);
  gboolean keyframe = !GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  guint64 rt = buffer_running_time (self, buf);
  SeecitvSinkTrigger trigger;
  guint64 pre_roll, stop_at, onset;
  gboolean want_start, closing;

  GST_OBJECT_LOCK (self);
  trigger = self->trigger;
  pre_roll = self->pre_roll;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->trigger_lock);
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    rt = GST_CLOCK_TIME_IS_VALID (self->last_rt) ? self->last_rt : 0;
  self->last_rt = rt;
  want_start = self->want_start;
  onset = self->onset;
  stop_at = self->stop_at;
  self->want_start = FALSE;
  /* The clip holds the frame shown at stop_at, then ends on a GOP. */
  closing = self->current != NULL && GST_CLOCK_TIME_IS_VALID (stop_at) &&
      keyframe && GST_CLOCK_TIME_IS_VALID (self->clip_rt) &&
      self->clip_rt >= stop_at;
  if (closing)
    self->stop_at = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&self->trigger_lock);

  if (trigger == SEECITV_SINK_TRIGGER_CONTINUOUS) {
    if (self->current == NULL) {
      if (!keyframe) {
        gst_buffer_unref (buf);
        return GST_FLOW_OK;
      }
      if (!open_clip (self)) {
        gst_buffer_unref (buf);
        return GST_FLOW_ERROR;
      }
    }
    return gst_pad_push (self->srcpad, buf);
  }

  if (self->current != NULL) {
    if (closing) {
      /* This keyframe starts the next GOP: it belongs to the ring. */
      close_clip (self);
    } else {
      self->clip_rt = rt;
      return gst_pad_push (self->srcpad, buf);
    }
  }

  seecitv_ring_push (self->ring, buf, rt, keyframe);
  if (!want_start) {
    seecitv_ring_trim (self->ring, rt > pre_roll + RING_SLACK ?
        rt - pre_roll - RING_SLACK : 0);
    return GST_FLOW_OK;
  }

  seecitv_ring_trim (self->ring, onset > pre_roll ? onset - pre_roll : 0);
  if (seecitv_ring_length (self->ring) == 0) {
    /* No keyframe yet: start at the next one. */
    g_mutex_lock (&self->trigger_lock);
    if (!self->want_start)
      request_start (self, rt);
    self->stop_at = stop_at;
    g_mutex_unlock (&self->trigger_lock);
    return GST_FLOW_OK;
  }
  self->clip_rt = rt;
  GST_INFO_OBJECT (self, "motion at %" GST_TIME_FORMAT ": clip from %"
      GST_TIME_FORMAT, GST_TIME_ARGS (onset),
      GST_TIME_ARGS (seecitv_ring_first_time (self->ring)));
  if (!open_clip (self)) {
    seecitv_ring_clear (self->ring);
    return GST_FLOW_ERROR;
  }
  return flush_ring (self);
}

static void
handle_motion (SeecitvSink * self, const GstStructure * s)
{
  gboolean active;
  guint64 rt, post_roll;

  if (!gst_structure_get_boolean (s, "active", &active) ||
      !gst_structure_get_uint64 (s, "running-time", &rt)) {
    GST_WARNING_OBJECT (self, "malformed %" GST_PTR_FORMAT, s);
    return;
  }
  if (!trigger_is (self, SEECITV_SINK_TRIGGER_MOTION))
    return;
  post_roll = get_post_roll (self);
  GST_DEBUG_OBJECT (self, "motion %s at %" GST_TIME_FORMAT,
      active ? "start" : "end", GST_TIME_ARGS (rt));
  g_mutex_lock (&self->trigger_lock);
  if (active)
    request_start (self, rt);
  else
    request_stop (self, rt, post_roll);
  g_mutex_unlock (&self->trigger_lock);
}

static gboolean
seecitv_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  SeecitvSink *self = SEECITV_SINK (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_SEGMENT:
      gst_event_copy_segment (event, &self->segment);
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM_STICKY:{
      const GstStructure *s = gst_event_get_structure (event);

      if (s != NULL && gst_structure_has_name (s, MOTION_EVENT_NAME)) {
        handle_motion (self, s);
        gst_event_unref (event);
        return TRUE;
      }
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      seecitv_ring_clear (self->ring);
      gst_segment_init (&self->segment, GST_FORMAT_TIME);
      break;
    case GST_EVENT_EOS:{
      GstMessage *eos;

      seecitv_ring_clear (self->ring);
      /* Close first, so that an older clip's EOS coming back meanwhile
       * cannot make us post EOS before this one is done. */
      close_clip (self);
      g_mutex_lock (&self->clips_lock);
      self->final_eos = TRUE;
      self->eos_seqnum = gst_event_get_seqnum (event);
      eos = maybe_eos_unlocked (self, count_closing_unlocked (self, NULL));
      g_mutex_unlock (&self->clips_lock);
      if (eos != NULL)
        gst_element_post_message (GST_ELEMENT (self), eos);
      gst_event_unref (event);
      return TRUE;
    }
    default:
      break;
  }
  /* Sticky events are kept on the internal pad even while no clip is open
   * and replayed into each new clip when it is linked. */
  gst_pad_push_event (self->srcpad, event);
  return TRUE;
}

/* ---- states ---- */

static gboolean
check_setup (SeecitvSink * self)
{
  const gchar *factories[] = { "splitmuxsink", "matroskamux",
    "seecitvcryptsink"
  };
  gboolean ok;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (factories); i++) {
    GstElementFactory *f = gst_element_factory_find (factories[i]);

    if (f == NULL) {
      GST_ELEMENT_ERROR_WITH_DETAILS (self, CORE, MISSING_PLUGIN,
          ("Element \"%s\" is missing: check the GStreamer installation "
              "and that the seecitvcrypto plugin is built", factories[i]),
          (NULL), ("element", G_TYPE_STRING, factories[i], NULL));
      return FALSE;
    }
    gst_object_unref (f);
  }

  GST_OBJECT_LOCK (self);
  ok = self->location != NULL && self->keystore != NULL &&
      g_file_test (self->location, G_FILE_TEST_IS_DIR);
  GST_OBJECT_UNLOCK (self);
  if (!ok) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("\"location\" must name a directory and \"keystore\" must be set"),
        (NULL));
    return FALSE;
  }
  return TRUE;
}

/* After PAUSED->READY: drops every clip element and the stream state. */
static void
reset (SeecitvSink * self)
{
  GList *closing, *l;
  GstElement *current = self->current;

  self->current = NULL;
  seecitv_ring_clear (self->ring);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);

  g_mutex_lock (&self->trigger_lock);
  self->want_start = FALSE;
  self->stop_at = GST_CLOCK_TIME_NONE;
  self->last_rt = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&self->trigger_lock);

  g_mutex_lock (&self->clips_lock);
  closing = self->closing;
  self->closing = NULL;
  self->final_eos = FALSE;
  g_hash_table_remove_all (self->infos);
  g_mutex_unlock (&self->clips_lock);

  if (current != NULL)
    closing = g_list_prepend (closing, gst_object_ref (current));
  for (l = closing; l != NULL; l = l->next) {
    GstElement *split = l->data;

    gst_element_set_state (split, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (split) == GST_OBJECT (self))
      gst_bin_remove (GST_BIN (self), split);
  }
  g_list_free_full (closing, gst_object_unref);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static GstStateChangeReturn
seecitv_sink_change_state (GstElement * element, GstStateChange transition)
{
  SeecitvSink *self = SEECITV_SINK (element);
  GstStateChangeReturn ret;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!check_setup (self))
        return GST_STATE_CHANGE_FAILURE;
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!seecitv_sink_upload_start (element, self->keystore))
        return GST_STATE_CHANGE_FAILURE;
      gst_pad_set_active (self->srcpad, TRUE);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* An EOS drain must not keep the streaming thread we stop. */
      seecitv_sink_upload_interrupt (element);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE)
    return ret;

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_pad_set_active (self->srcpad, FALSE);
      reset (self);
      seecitv_sink_upload_stop (element);
      break;
    default:
      break;
  }
  return ret;
}
