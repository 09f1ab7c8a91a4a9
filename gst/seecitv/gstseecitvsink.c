/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink, the recording bin: the GObject glue, the gate (which frames
 * go into a clip, decided in the sink pad's chain function), the encoder
 * for raw input, the management of one splitmuxsink per clip, the final
 * names of closed clips, and retention (age, size, disk full: a thread
 * plus the streaming thread when a write fails with ENOSPC). The pre-roll
 * ring itself is pure C in gst-libs/seecitv/ring.c; key deletion uses the keystore
 * core of ext/openssl when the build has OpenSSL.
 */

/**
 * SECTION:element-seecitvsink
 * @title: seecitvsink
 *
 * Records video into encrypted clips: parsed H.264 (`avc`/`avc3`), parsed
 * H.265 (`hvc1`/`hev1`), JPEG, VP8 or VP9 as they come, and raw video
 * encoded inside by #SeecitvSink:encoder (or #SeecitvSink:encoder-element)
 * behind a videoconvert (passthrough when the encoder takes the format).
 * A pre-roll gate keeps a ring of whole encoded GOPs covering at least
 * #SeecitvSink:pre-roll of running time, and when a clip starts the ring
 * is replayed from the newest keyframe at or before onset − pre-roll (the
 * oldest keyframe in the ring if none is that old). Each clip is written
 * by its own splitmuxsink over `matroskamux streamable=true` into
 * `seecitvcryptsink` (plugin seecitvcrypto, found by name at run time),
 * split on keyframes at #SeecitvSink:max-clip-duration with no frame lost
 * or duplicated.
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
 * ## Files
 *
 * A clip is written as `.NAME.part` and renamed to `NAME` once complete
 * and synced, where NAME is `DEVICE-YYYYMMDDTHHMMSS.mmmZ.seecitv` (UTC
 * wall-clock time at opening) in #SeecitvSink:location, so the directory
 * holds only finished clips and dot files. The keystore's clip index is
 * updated to the final name. A clip stopped without EOS (the element set
 * to READY or NULL, gst-launch-1.0 interrupted without `-e`) is a
 * deliberate end of recording: seecitvcryptsink seals it complete
 * (#SeecitvCryptSink:seal-on-stop), with its end time in the index, and it
 * is renamed and announced like any other. A clip whose write failed
 * (ENOSPC) is renamed too but stays truncated: it decrypts up to its last
 * sync. After a crash (kill -9, power loss) the interrupted clip keeps its
 * dot name and is truncated; it decrypts up to its last sync as well
 * (`seecitv verify`).
 *
 * The keystore is unlocked by its master key file `KEYSTORE.key`, or by
 * the passphrase in #SeecitvSink:passphrase-file (given to each clip's
 * seecitvcryptsink too); it is opened once when the element starts, so a
 * missing or wrong key or passphrase fails then, before anything is
 * recorded.
 *
 * DEVICE is #SeecitvSink:device-id if set, else the `seecitv-device-id`
 * tag from upstream (seecitvsrc posts it) if one came before the clip
 * opened, else "default".
 *
 * ## Retention
 *
 * Finished clips (`*.seecitv` files not starting with a dot) in
 * #SeecitvSink:location, of any device, are deleted oldest first when
 * older than #SeecitvSink:retention, then while they take more than
 * #SeecitvSink:max-size bytes (the newest one is always kept), then while
 * the file system has less free space than twice the largest clip closed
 * so far (at least 1 MiB), so that the next clip fits. Checked when the element starts, when a clip closes (before
 * its EOS counts) and every 60 s. Deleting a clip deletes its data key from the keystore first
 * (saved), then the file: any copy of it becomes unreadable. If the
 * keystore cannot be saved the file is kept, except when the disk is full:
 * then the file goes and its key deletion is retried at every later check.
 *
 * A clip's age is the wall-clock time since its file's modification time,
 * except for clips closed by this element since it started, whose age is
 * measured on the monotonic clock since they closed: a wall-clock jump
 * never makes a just-closed clip old. A file modified "in the future" has
 * age 0. The clip being written is never a candidate. A temporary file
 * left by a crash (`.NAME.part`, not ours) is deleted by age only, once
 * older than both #SeecitvSink:retention and 10 minutes.
 *
 * When a write fails all the same with ENOSPC (something else filled the
 * disk), the open clip ends there (it decrypts up to its last sync and is
 * renamed like any other), the oldest clips are deleted as above, and
 * recording resumes at the next keyframe. The first time clips are
 * deleted for space, one warning is posted (RESOURCE / NO_SPACE_LEFT,
 * details `location`, `deleted`). Clips already
 * finished are never written again. If nothing is left to delete, that is
 * an error (RESOURCE / NO_SPACE_LEFT).
 *
 * ## Messages
 *
 * "seecitvsink-clip-opened", when a clip file is opened:
 *
 * * `path` (gchararray): the clip's final file name (it is written as
 *   `.NAME.part` beside it until it closes).
 * * `running-time` (guint64): running time of the clip's first frame, as
 *   splitmuxsink reports it.
 *
 * "seecitvsink-clip-closed", when a clip file is complete, synced and
 * renamed to its final name (also for a clip stopped without EOS):
 *
 * * `path` (gchararray): the clip file.
 * * `start-running-time` (guint64): as in "seecitvsink-clip-opened".
 * * `end-running-time` (guint64): running time of the clip's end, as
 *   splitmuxsink reports it (the next split's start, or the last frame's
 *   timestamp at EOS); GST_CLOCK_TIME_NONE for a clip stopped without EOS.
 * * `duration` (guint64): end minus start, in ns (GST_CLOCK_TIME_NONE when
 *   the end is unknown).
 * * `bytes` (guint64): container bytes written, from seecitvcryptsink
 *   (0 if it did not say).
 *
 * "seecitvsink-deleted", when retention deleted a clip (key, then file):
 *
 * * `path` (gchararray): the clip file.
 * * `reason` (gchararray): "retention", "max-size" or "disk-full".
 *
 * With #SeecitvSink:upload set, "seecitvsink-upload-done" and
 * "seecitvsink-upload-failed" report each upload (fields in
 * seecitvsinkupload.c and docs/upload.md).
 *
 * ## Errors
 *
 * * CORE / MISSING_PLUGIN: splitmuxsink, matroskamux, seecitvcryptsink or
 *   the encoder is not installed.
 * * RESOURCE / SETTINGS: no location or keystore, or location is not a
 *   directory.
 * * RESOURCE / OPEN_READ: at start, the keystore, its master key file or
 *   the passphrase file cannot be read, or does not authenticate (details:
 *   `keystore`, `reason`).
 * * RESOURCE / NO_SPACE_LEFT: the disk is full and no clip is left to
 *   delete.
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
#include <seecitv/ring.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/statvfs.h>
#include <glib/gstdio.h>

#include "seecitv/deviceid.h"
#include "seecitv/gstproperty.h"
#include "seecitvsinkupload.h"

#ifdef SEECITV_HAVE_KEYSTORE
#include <openssl/crypto.h>

#include <seecitv/crypto/keystore.h>
#endif

GST_DEBUG_CATEGORY_STATIC (seecitv_sink_debug);
#define GST_CAT_DEFAULT seecitv_sink_debug

#define DEFAULT_LOCATION NULL
#define DEFAULT_KEYSTORE NULL
#define DEFAULT_PASSPHRASE_FILE NULL
#define DEFAULT_DEVICE_ID "default"
#define DEFAULT_TRIGGER SEECITV_SINK_TRIGGER_MOTION
#define DEFAULT_PRE_ROLL (5 * GST_SECOND)
#define DEFAULT_POST_ROLL (5 * GST_SECOND)
#define DEFAULT_MAX_CLIP_DURATION (600 * GST_SECOND)
#define DEFAULT_SYNC_INTERVAL GST_SECOND
#define DEFAULT_RETENTION 0
#define DEFAULT_MAX_SIZE 0
#define DEFAULT_ENCODER NULL
#define DEFAULT_ENCODER_ELEMENT NULL

/* Tried in this order when #SeecitvSink:encoder is not set. */
static const gchar *const default_encoders[] = {
  "x264enc tune=zerolatency",
  "openh264enc",
  "vp8enc deadline=1",
};

#define SEECITV_TAG_DEVICE_ID "seecitv-device-id"
#define CLIP_SUFFIX ".seecitv"
#define TEMP_SUFFIX ".part"

/* How often retention runs besides when clips close (µs). */
#define RETENTION_INTERVAL (60 * G_USEC_PER_SEC)
/* After ENOSPC, free at least this much (or the interrupted clip's size). */
#define DISK_FULL_MIN_FREE (1024 * 1024)
/* A temporary file untouched this long (ns) is a crash's leftover. */
#define STALE_TEMP_AGE (600 * GST_SECOND)

/* The ring keeps this much more than pre-roll: the motion event arrives
 * after its onset (confirmation frames, encoder and parser latency). */
#define RING_SLACK (3 * GST_SECOND)

#define MOTION_EVENT_NAME "seecitv-motion"

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_KEYSTORE,
  PROP_PASSPHRASE_FILE,
  PROP_DEVICE_ID,
  PROP_TRIGGER,
  PROP_PRE_ROLL,
  PROP_POST_ROLL,
  PROP_MAX_CLIP_DURATION,
  PROP_SYNC_INTERVAL,
  PROP_RETENTION,
  PROP_MAX_SIZE,
  PROP_ENCODER,
  PROP_ENCODER_ELEMENT,
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

/* A clip being written, by its temporary path. */
typedef struct
{
  gchar *final;
  guint64 start;
  guint64 bytes;
} ClipInfo;

static void
clip_info_free (ClipInfo * info)
{
  g_free (info->final);
  g_free (info);
}

struct _SeecitvSink
{
  GstBin parent;

  GstPad *sinkpad;
  /* Not an element pad: linked to the open clip's splitmuxsink. */
  GstPad *srcpad;

  /* Properties, protected by the object lock. */
  gchar *location;
  gchar *keystore;
  gchar *passphrase_file;
  gchar *device_id;
  gboolean device_id_set;       /* set explicitly: wins over the tag */
  gchar *tag_device_id;         /* from upstream, or NULL */
  SeecitvSinkTrigger trigger;
  guint64 pre_roll;
  guint64 post_roll;
  guint64 max_clip_duration;
  guint64 sync_interval;
  guint64 retention;
  guint64 max_size;
  gchar *encoder_desc;
  GstElement *encoder_element;

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
  gboolean raw;                 /* raw input, encoded inside */
  GstPad *raw_srcpad;           /* not an element pad: into the encoder */
  GstPad *gate_pad;             /* not an element pad: from the encoder */
  GList *encoders;              /* encoder and parser in the bin, owned */

  /* Set by the bus handler when the open clip's write failed with ENOSPC
   * (atomic): the streaming thread then purges and goes on. */
  gint disk_full;
  /* ENOSPC handled without deleting anything since a clip last closed
   * (atomic). */
  gint nospace_idle;

  /* Protected by clips_lock. */
  GMutex clips_lock;
  GList *closing;               /* splitmuxsinks sent EOS, owned refs */
  GHashTable *infos;            /* path -> ClipInfo */
  gboolean final_eos;
  guint32 eos_seqnum;
  gchar *last_path;
  GHashTable *recent;           /* final path -> monotonic close time */
  GHashTable *announcing;       /* final paths not announced closed yet */
  guint64 max_clip_bytes;       /* largest clip closed since we started */
  GThread *retention_thread;
  GCond retention_cond;
  gboolean retention_stop;
  gboolean retention_kick;
  guint64 purge_need;           /* bytes to free (disk full), for the thread */

  /* Serialises purges; guards pending_keys. */
  GMutex purge_lock;
  GPtrArray *pending_keys;      /* clip ids (g_bytes) whose deletion failed */
  gboolean disk_full_warned;
};

/* What matroskamux takes among what cameras and encoders give. */
#define ENCODED_CAPS "video/x-h264, stream-format = (string) { avc, avc3 }, " \
    "alignment = (string) au; " \
    "video/x-h265, stream-format = (string) { hvc1, hev1 }, " \
    "alignment = (string) au; " \
    "image/jpeg; video/x-vp8; video/x-vp9"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (ENCODED_CAPS "; video/x-raw"));

/* What the gate takes from the inner encoder. */
static GstStaticPadTemplate gate_template = GST_STATIC_PAD_TEMPLATE ("gate",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (ENCODED_CAPS));

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
static GstFlowReturn seecitv_sink_gate_chain (GstPad * pad,
    GstObject * parent, GstBuffer * buf);
static gboolean seecitv_sink_gate_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean seecitv_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static void seecitv_sink_start (SeecitvSink * self);
static void clip_ended (SeecitvSink * self, GstElement * split);
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
          "clips; a clip is written as .NAME.part and renamed when "
          "complete)", DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_KEYSTORE,
      g_param_spec_string ("keystore", "Keystore",
          "Keystore file given to seecitvcryptsink (it must exist; its "
          "master key file is PATH.key unless passphrase-file is set)",
          DEFAULT_KEYSTORE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_PASSPHRASE_FILE,
      g_param_spec_string ("passphrase-file", "Passphrase file",
          "A file holding the keystore's passphrase (one trailing newline "
          "ignored; mode 0600), for a keystore protected by a passphrase "
          "instead of a master key file. NULL: use KEYSTORE.key",
          DEFAULT_PASSPHRASE_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_DEVICE_ID,
      g_param_spec_string ("device-id", "Device id",
          "Device the clips belong to, [A-Za-z0-9._-]{1,64}, also the file "
          "name prefix (anything else is refused). Unset: the upstream "
          "seecitv-device-id tag, else \"default\"", DEFAULT_DEVICE_ID,
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
  g_object_class_install_property (gobject_class, PROP_RETENTION,
      g_param_spec_uint64 ("retention", "Retention",
          "Delete finished clips in location older than this (ns; 0 = keep "
          "forever): key first, then file", 0, G_MAXUINT64, DEFAULT_RETENTION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_SIZE,
      g_param_spec_uint64 ("max-size", "Maximum size",
          "Delete the oldest finished clips in location while they take "
          "more than this many bytes (0 = no limit; the newest is kept)", 0,
          G_MAXUINT64, DEFAULT_MAX_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ENCODER,
      g_param_spec_string ("encoder", "Encoder",
          "For raw video input: an encoder factory name or a launch line "
          "(e.g. \"x264enc tune=zerolatency key-int-max=30\"); H.264 and "
          "H.265 get h264parse/h265parse behind it. NULL: the first of "
          "\"x264enc tune=zerolatency\", openh264enc, \"vp8enc "
          "deadline=1\" that is installed", DEFAULT_ENCODER,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_ENCODER_ELEMENT,
      g_param_spec_object ("encoder-element", "Encoder element",
          "For raw video input: the encoder element to use (wins over "
          "\"encoder\"); it must output one of the encoded formats the sink "
          "takes", GST_TYPE_ELEMENT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
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
      "Records H.264, H.265, JPEG, VP8, VP9 or raw video into encrypted "
      "Matroska clips, with pre-roll, on motion, continuously or on "
      "demand, with retention",
      "seecitv contributors <seecitv@example.invalid>");

  element_class->change_state = GST_DEBUG_FUNCPTR (seecitv_sink_change_state);
  bin_class->handle_message = GST_DEBUG_FUNCPTR (seecitv_sink_handle_message);

  gst_type_mark_as_plugin_api (SEECITV_TYPE_SINK_TRIGGER, 0);
  /* seecitvsrc registers it the same way; whichever comes first wins. */
  gst_tag_register (SEECITV_TAG_DEVICE_ID, GST_TAG_FLAG_META, G_TYPE_STRING,
      "seecitv device id", "The seecitv device the stream came from", NULL);
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
  self->raw_srcpad = gst_pad_new_from_static_template (&internal_template,
      "raw");
  self->gate_pad = gst_pad_new_from_static_template (&gate_template, "gate");
  gst_pad_set_element_private (self->gate_pad, self);
  gst_pad_set_chain_function (self->gate_pad,
      GST_DEBUG_FUNCPTR (seecitv_sink_gate_chain));
  gst_pad_set_event_function (self->gate_pad,
      GST_DEBUG_FUNCPTR (seecitv_sink_gate_event));

  self->location = g_strdup (DEFAULT_LOCATION);
  self->keystore = g_strdup (DEFAULT_KEYSTORE);
  self->passphrase_file = g_strdup (DEFAULT_PASSPHRASE_FILE);
  self->device_id = g_strdup (DEFAULT_DEVICE_ID);
  self->trigger = DEFAULT_TRIGGER;
  self->pre_roll = DEFAULT_PRE_ROLL;
  self->post_roll = DEFAULT_POST_ROLL;
  self->max_clip_duration = DEFAULT_MAX_CLIP_DURATION;
  self->sync_interval = DEFAULT_SYNC_INTERVAL;
  self->retention = DEFAULT_RETENTION;
  self->max_size = DEFAULT_MAX_SIZE;
  self->encoder_desc = g_strdup (DEFAULT_ENCODER);
  seecitv_sink_upload_init (GST_ELEMENT (self));

  g_mutex_init (&self->trigger_lock);
  g_mutex_init (&self->clips_lock);
  self->stop_at = GST_CLOCK_TIME_NONE;
  self->last_rt = GST_CLOCK_TIME_NONE;
  gst_segment_init (&self->segment, GST_FORMAT_TIME);
  self->ring = seecitv_ring_new ((GDestroyNotify) gst_buffer_unref);
  self->infos = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) clip_info_free);
  self->recent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  self->announcing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  g_cond_init (&self->retention_cond);
  g_mutex_init (&self->purge_lock);
  self->pending_keys = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_bytes_unref);

  /* Clips come and go; the bin is a sink all along. */
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
}

static void
seecitv_sink_finalize (GObject * object)
{
  SeecitvSink *self = SEECITV_SINK (object);

  g_free (self->location);
  g_free (self->keystore);
  g_free (self->passphrase_file);
  g_free (self->device_id);
  g_free (self->tag_device_id);
  g_free (self->encoder_desc);
  gst_clear_object (&self->encoder_element);
  g_free (self->last_path);
  g_hash_table_unref (self->recent);
  g_hash_table_unref (self->announcing);
  g_ptr_array_unref (self->pending_keys);
  g_cond_clear (&self->retention_cond);
  g_mutex_clear (&self->purge_lock);
  gst_clear_object (&self->raw_srcpad);
  gst_clear_object (&self->gate_pad);
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
    case PROP_PASSPHRASE_FILE:
      g_free (self->passphrase_file);
      self->passphrase_file = g_value_dup_string (value);
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
      self->device_id_set = TRUE;
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
    case PROP_RETENTION:
      self->retention = g_value_get_uint64 (value);
      break;
    case PROP_MAX_SIZE:
      self->max_size = g_value_get_uint64 (value);
      break;
    case PROP_ENCODER:
      g_free (self->encoder_desc);
      self->encoder_desc = g_value_dup_string (value);
      break;
    case PROP_ENCODER_ELEMENT:
      gst_clear_object (&self->encoder_element);
      /* Takes a floating reference, as gst_bin_add () does. */
      self->encoder_element = g_value_get_object (value);
      if (self->encoder_element != NULL)
        gst_object_ref_sink (self->encoder_element);
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
    case PROP_PASSPHRASE_FILE:
      g_value_set_string (value, self->passphrase_file);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, (self->device_id_set ||
              self->tag_device_id == NULL) ? self->device_id :
          self->tag_device_id);
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
    case PROP_RETENTION:
      g_value_set_uint64 (value, self->retention);
      break;
    case PROP_MAX_SIZE:
      g_value_set_uint64 (value, self->max_size);
      break;
    case PROP_ENCODER:
      g_value_set_string (value, self->encoder_desc);
      break;
    case PROP_ENCODER_ELEMENT:
      g_value_set_object (value, self->encoder_element);
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

/* The device id clips are named and keyed by. Called with the object
 * lock held. */
static const gchar *
effective_device_id_unlocked (SeecitvSink * self)
{
  if (self->device_id_set || self->tag_device_id == NULL)
    return self->device_id;
  return self->tag_device_id;
}

/* From splitmuxsink's streaming thread. Returns a newly allocated path:
 * the temporary `.NAME.part`; NAME is recorded as the clip's final name.
 * The split remembers its current temporary path ("seecitv-temp"). */
static gchar *
format_location (GstElement * split, guint fragment, SeecitvSink * self)
{
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  gchar *dir, *base, *name, *path, *temp, *tname;
  ClipInfo *info;
  guint n = 0;

  GST_OBJECT_LOCK (self);
  dir = g_strdup (self->location);
  base = g_strdup_printf ("%s-%s.%03dZ", effective_device_id_unlocked (self),
      stamp, g_date_time_get_microsecond (now) / 1000);
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->clips_lock);
  for (;;) {
    name = n == 0 ? g_strdup_printf ("%s%s", base, CLIP_SUFFIX) :
        g_strdup_printf ("%s-%u%s", base, n, CLIP_SUFFIX);
    tname = g_strdup_printf (".%s%s", name, TEMP_SUFFIX);
    path = g_build_filename (dir, name, NULL);
    temp = g_build_filename (dir, tname, NULL);
    g_free (name);
    g_free (tname);
    if (!g_file_test (path, G_FILE_TEST_EXISTS) &&
        !g_file_test (temp, G_FILE_TEST_EXISTS) &&
        g_strcmp0 (path, self->last_path) != 0)
      break;
    g_free (path);
    g_free (temp);
    n++;
  }
  g_free (self->last_path);
  self->last_path = g_strdup (path);
  info = g_new0 (ClipInfo, 1);
  info->final = path;
  g_hash_table_replace (self->infos, g_strdup (temp), info);
  g_object_set_data_full (G_OBJECT (split), "seecitv-temp", g_strdup (temp),
      g_free);
  g_mutex_unlock (&self->clips_lock);
  GST_DEBUG_OBJECT (self, "fragment %u of %" GST_PTR_FORMAT ": %s", fragment,
      split, temp);

  g_free (dir);
  g_free (base);
  g_free (stamp);
  g_date_time_unref (now);
  return temp;
}

/* ---- finished clips: final names, the keystore, retention ---- */

#ifdef SEECITV_HAVE_KEYSTORE
/* Reads the clip id from @path's header. */
static gboolean
read_clip_id (const gchar * path, guint8 * clip_id)
{
  guint8 buf[SEECITV_CLIP_HEADER_SIZE];
  SeecitvClipHeader header;
  FILE *f = g_fopen (path, "rbe");
  gsize n;

  if (f == NULL)
    return FALSE;
  n = fread (buf, 1, sizeof (buf), f);
  fclose (f);
  if (!seecitv_clip_header_parse (buf, n, &header, NULL))
    return FALSE;
  memcpy (clip_id, header.ids.clip_id, SEECITV_CLIP_ID_SIZE);
  return TRUE;
}

/* Opens @keystore (with @passphrase_file, or its master key file when
 * NULL) once and applies @change through seecitv_keystore_update(). */
static gboolean
keystore_update (const gchar * keystore, const gchar * passphrase_file,
    SeecitvKeystoreChangeFunc change, gpointer data, GError ** err)
{
  SeecitvKeystore *ks = seecitv_keystore_open_default (keystore,
      passphrase_file, err);
  gboolean ok = FALSE;

  if (ks != NULL) {
    ok = seecitv_keystore_update (ks, change, data, err);
    seecitv_keystore_free (ks);
  }
  /* Saving drew random bytes in this (often pooled, long-lived) thread,
   * which made OpenSSL give it thread-local generators: free them now,
   * as seecitvcryptsink does (they are remade on the next use). */
  OPENSSL_thread_stop ();
  return ok;
}

typedef struct
{
  const guint8 *clip_id;
  const gchar *path;
} IndexPath;

/* Points the clip's index entry at its final name, keeping its end time. */
static gboolean
index_set_path (SeecitvKeystore * ks, gpointer data, GError ** err)
{
  IndexPath *ip = data;
  GPtrArray *clips = seecitv_keystore_list_clips (ks, NULL);
  gboolean ok = TRUE;
  guint i;

  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *c = clips->pdata[i];

    if (memcmp (c->ids.clip_id, ip->clip_id, SEECITV_CLIP_ID_SIZE) == 0) {
      ok = seecitv_keystore_set_clip_info (ks, ip->clip_id, ip->path,
          c->end_time, err);
      break;
    }
  }
  g_ptr_array_unref (clips);
  return ok;
}

typedef struct
{
  GPtrArray *ids;               /* GBytes clip ids */
  GPtrArray *paths;             /* indexed paths of clips without header */
} DeleteKeys;

/* Deletes the keys of the clips named; keys already gone are fine. */
static gboolean
delete_keys (SeecitvKeystore * ks, gpointer data, GError ** err)
{
  DeleteKeys *dk = data;
  GPtrArray *clips;
  gboolean ok = TRUE;
  guint i, j;

  for (i = 0; i < dk->ids->len && ok; i++) {
    ok = seecitv_keystore_delete_clip_key (ks,
        g_bytes_get_data (dk->ids->pdata[i], NULL), err);
    if (!ok && g_error_matches (*err, SEECITV_KEYSTORE_ERROR,
            SEECITV_KEYSTORE_ERROR_NOT_FOUND)) {
      g_clear_error (err);
      ok = TRUE;
    }
  }
  clips = seecitv_keystore_list_clips (ks, NULL);
  for (i = 0; i < clips->len && ok; i++) {
    SeecitvKeystoreClipInfo *c = clips->pdata[i];

    for (j = 0; j < dk->paths->len && ok; j++)
      if (g_strcmp0 (c->path, dk->paths->pdata[j]) == 0)
        ok = seecitv_keystore_delete_clip_key (ks, c->ids.clip_id, err);
  }
  g_ptr_array_unref (clips);
  return ok;
}
#endif /* SEECITV_HAVE_KEYSTORE */

static void
sync_dir (const gchar * path)
{
  gchar *dir = g_path_get_dirname (path);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
  g_free (dir);
}

/* Renames @temp to *@final without ever replacing a file (another sink
 * could have taken the name): a hard link, then the temporary name goes;
 * "-rN" is added before the suffix while the name is taken. Where hard
 * links are not supported, a plain rename. errno is set on failure. */
static gboolean
publish (const gchar * temp, gchar ** final)
{
  gchar *base = g_strndup (*final, strlen (*final) - strlen (CLIP_SUFFIX));
  guint n = 0;

  while (link (temp, *final) != 0) {
    if (errno != EEXIST) {
      int e = errno;
      gboolean ok = (e == EPERM || e == ENOTSUP || e == EXDEV ||
          e == EMLINK) && !g_file_test (*final, G_FILE_TEST_EXISTS) &&
          g_rename (temp, *final) == 0;

      g_free (base);
      if (!ok && errno == 0)
        errno = e;
      return ok;
    }
    g_free (*final);
    *final = g_strdup_printf ("%s-r%u%s", base, ++n, CLIP_SUFFIX);
  }
  g_free (base);
  g_unlink (temp);
  return TRUE;
}

/* Gives the clip written at @temp its final name, records it in the
 * keystore's index and among the recent clips. Any thread but with no
 * lock held. Returns the final path (transfer full), NULL if @temp is not
 * a clip of ours (or was finished already); @info receives start and
 * bytes when not NULL. The caller posts "-clip-closed", then calls
 * announced (). */
static gchar *
finish_clip_file (SeecitvSink * self, const gchar * temp, ClipInfo * out)
{
  ClipInfo *info = NULL;
  gchar *final = NULL, *keystore, *passphrase_file;
  gint64 *closed;
  guint64 size;
  GStatBuf st;

  gchar *key = NULL;

  g_mutex_lock (&self->clips_lock);
  if (temp != NULL)
    g_hash_table_steal_extended (self->infos, temp, (gpointer *) & key,
        (gpointer *) & info);
  g_mutex_unlock (&self->clips_lock);
  g_free (key);
  if (info == NULL)
    return NULL;
  final = g_steal_pointer (&info->final);
  if (out != NULL)
    *out = *info;
  g_free (info);

  if (!publish (temp, &final)) {
    int e = errno;

    if (e != ENOENT)
      GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, WRITE,
          ("Cannot give the clip its final name."),
          ("%s -> %s: %s", temp, final, g_strerror (e)),
          ("location", G_TYPE_STRING, temp,
              "reason", G_TYPE_STRING, g_strerror (e), NULL));
    g_free (final);
    return NULL;
  }
  sync_dir (final);

  GST_OBJECT_LOCK (self);
  keystore = g_strdup (self->keystore);
  passphrase_file = g_strdup (self->passphrase_file);
  GST_OBJECT_UNLOCK (self);
#ifdef SEECITV_HAVE_KEYSTORE
  {
    guint8 clip_id[SEECITV_CLIP_ID_SIZE];
    IndexPath ip = { clip_id, final };
    GError *err = NULL;

    if (read_clip_id (final, clip_id) &&
        !keystore_update (keystore, passphrase_file, index_set_path, &ip,
            &err)) {
      GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, WRITE,
          ("Cannot record the clip's final name in the keystore."),
          ("%s", err->message), ("location", G_TYPE_STRING, final,
              "keystore", G_TYPE_STRING, keystore,
              "reason", G_TYPE_STRING, err->message, NULL));
      g_clear_error (&err);
    }
  }
#endif
  g_free (keystore);
  g_free (passphrase_file);

  closed = g_new (gint64, 1);
  *closed = g_get_monotonic_time ();
  size = g_stat (final, &st) == 0 ? (guint64) st.st_size : 0;
  g_mutex_lock (&self->clips_lock);
  g_hash_table_replace (self->recent, g_strdup (final), closed);
  /* Not deleted before "-clip-closed" tells about it. */
  g_hash_table_add (self->announcing, g_strdup (final));
  self->max_clip_bytes = MAX (self->max_clip_bytes, size);
  g_mutex_unlock (&self->clips_lock);
  GST_INFO_OBJECT (self, "clip finished: %s", final);
  return final;
}

static void
announced (SeecitvSink * self, const gchar * path)
{
  g_mutex_lock (&self->clips_lock);
  g_hash_table_remove (self->announcing, path);
  g_mutex_unlock (&self->clips_lock);
}

/* Free space to keep in location: room for the next clip. */
static guint64
reserve (SeecitvSink * self)
{
  guint64 ret;

  g_mutex_lock (&self->clips_lock);
  ret = MAX (DISK_FULL_MIN_FREE, 2 * self->max_clip_bytes);
  g_mutex_unlock (&self->clips_lock);
  return ret;
}

typedef struct
{
  gchar *path;
  gint64 mtime;                 /* µs since the epoch */
  guint64 size;                 /* bytes */
  guint64 disk;                 /* bytes on disk */
  gboolean recent;              /* closed by us since we started */
  gboolean stale;               /* a temporary file left by a crash */
  gint64 closed;                /* monotonic µs, if recent */
  const gchar *reason;          /* set when chosen for deletion */
} Candidate;

static void
candidate_free (Candidate * c)
{
  g_free (c->path);
  g_free (c);
}

/* Oldest first: clips from before we started by modification time, then
 * ours in the order they closed. */
static gint
compare_candidates (gconstpointer a, gconstpointer b)
{
  const Candidate *x = *(Candidate **) a, *y = *(Candidate **) b;
  gint64 tx, ty;

  if (x->recent != y->recent)
    return x->recent ? 1 : -1;
  tx = x->recent ? x->closed : x->mtime;
  ty = y->recent ? y->closed : y->mtime;
  if (tx != ty)
    return tx < ty ? -1 : 1;
  return strcmp (x->path, y->path);
}

/* The finished clips in @dir, oldest first. */
static GPtrArray *
list_candidates (SeecitvSink * self, const gchar * dir)
{
  GPtrArray *cands = g_ptr_array_new_with_free_func ((GDestroyNotify)
      candidate_free);
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return cands;
  g_mutex_lock (&self->clips_lock);
  while ((name = g_dir_read_name (d)) != NULL) {
    Candidate *c;
    GStatBuf st;
    gchar *path;
    gint64 *closed;

    gboolean temp = name[0] == '.';

    if (temp ? !g_str_has_suffix (name, CLIP_SUFFIX TEMP_SUFFIX) :
        !g_str_has_suffix (name, CLIP_SUFFIX))
      continue;
    path = g_build_filename (dir, name, NULL);
    /* Ours being written, or not announced yet: never. */
    if (g_hash_table_contains (self->announcing, path) ||
        (temp && g_hash_table_contains (self->infos, path)) ||
        g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode)) {
      g_free (path);
      continue;
    }
    c = g_new0 (Candidate, 1);
    c->stale = temp;
    c->path = path;
    c->mtime = (gint64) st.st_mtime * G_USEC_PER_SEC;
    c->size = st.st_size;
    c->disk = (guint64) st.st_blocks * 512;
    closed = g_hash_table_lookup (self->recent, path);
    c->recent = closed != NULL;
    c->closed = closed ? *closed : 0;
    g_ptr_array_add (cands, c);
  }
  g_mutex_unlock (&self->clips_lock);
  g_dir_close (d);
  g_ptr_array_sort (cands, compare_candidates);
  return cands;
}

static guint64
free_space (const gchar * dir)
{
  struct statvfs st;

  if (statvfs (dir, &st) != 0)
    return 0;
  return (guint64) st.f_bavail * st.f_frsize;
}

/* Chooses what retention deletes now: by age, then size, then until
 * @need_free bytes are free. */
static void
choose_victims (GPtrArray * cands, guint64 retention, guint64 max_size,
    guint64 need_free, guint64 avail)
{
  gint64 now_wall = g_get_real_time (), now_mono = g_get_monotonic_time ();
  guint64 total = 0, freed = 0;
  gint newest = -1;
  guint i;

  for (i = 0; i < cands->len; i++) {
    Candidate *c = cands->pdata[i];
    gint64 age = c->recent ? now_mono - c->closed : now_wall - c->mtime;

    age = CLAMP (age, 0, G_MAXINT64 / GST_USECOND);
    if (c->stale) {
      /* Left by a crash: only by age, and only long untouched (another
       * process may be writing it; it syncs far more often). */
      if (retention > 0 && (guint64) age * GST_USECOND > MAX (retention,
              STALE_TEMP_AGE))
        c->reason = "retention";
    } else if (retention > 0 && (guint64) age * GST_USECOND > retention) {
      c->reason = "retention";
      freed += c->disk;
    } else {
      total += c->size;
      newest = i;
    }
  }
  for (i = 0; max_size > 0 && total > max_size && (gint) i < newest; i++) {
    Candidate *c = cands->pdata[i];

    if (c->reason != NULL || c->stale)
      continue;
    c->reason = "max-size";
    total -= c->size;
    freed += c->disk;
  }
  for (i = 0; need_free > 0 && avail + freed < need_free &&
      i < cands->len; i++) {
    Candidate *c = cands->pdata[i];

    if (c->reason != NULL || c->stale)
      continue;
    c->reason = "disk-full";
    freed += c->disk;
  }
}

/* Applies retention; with @need_free > 0 (after ENOSPC) also deletes the
 * oldest clips until that much is free. Any thread, no lock held. Returns
 * how many clips were deleted. */
static guint
purge (SeecitvSink * self, guint64 need_free)
{
  gchar *location, *keystore, *passphrase_file;
  guint64 retention, max_size;
  GPtrArray *cands, *ids, *paths, *posts;
  gboolean keys_ok = FALSE, warn_full;
  GError *err = NULL;
  guint i, deleted = 0, full = 0;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  keystore = g_strdup (self->keystore);
  passphrase_file = g_strdup (self->passphrase_file);
  retention = self->retention;
  max_size = self->max_size;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->purge_lock);
  /* Only room to keep and there is room: no need to list the clips. */
  if (location != NULL && retention == 0 && max_size == 0 &&
      self->pending_keys->len == 0 && free_space (location) >= need_free)
    need_free = 0;
  if (location == NULL || keystore == NULL || (retention == 0 &&
          max_size == 0 && need_free == 0 && self->pending_keys->len == 0)) {
    g_mutex_unlock (&self->purge_lock);
    g_free (location);
    g_free (keystore);
    g_free (passphrase_file);
    return 0;
  }

  cands = list_candidates (self, location);
  choose_victims (cands, retention, max_size, need_free,
      need_free > 0 ? free_space (location) : 0);
  ids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  paths = g_ptr_array_new ();
  posts = g_ptr_array_new ();
  for (i = 0; i < self->pending_keys->len; i++)
    g_ptr_array_add (ids, g_bytes_ref (self->pending_keys->pdata[i]));

#ifdef SEECITV_HAVE_KEYSTORE
  for (i = 0; i < cands->len; i++) {
    Candidate *c = cands->pdata[i];
    guint8 clip_id[SEECITV_CLIP_ID_SIZE];

    if (c->reason == NULL)
      continue;
    if (read_clip_id (c->path, clip_id))
      g_ptr_array_add (ids, g_bytes_new (clip_id, sizeof (clip_id)));
    else
      g_ptr_array_add (paths, c->path);
  }
  if (ids->len > 0 || paths->len > 0) {
    DeleteKeys dk = { ids, paths };

    keys_ok = keystore_update (keystore, passphrase_file, delete_keys, &dk,
        &err);
  } else {
    keys_ok = TRUE;
  }
#else
  g_set_error_literal (&err, G_FILE_ERROR, G_FILE_ERROR_NOSYS,
      "built without OpenSSL: no keystore");
#endif
  if (keys_ok)
    g_ptr_array_set_size (self->pending_keys, 0);

  for (i = 0; i < cands->len; i++) {
    Candidate *c = cands->pdata[i];

    if (c->reason == NULL)
      continue;
    /* The key first: without it gone, only a full disk deletes a file. */
    if (!keys_ok && strcmp (c->reason, "disk-full") != 0)
      continue;
#ifdef SEECITV_HAVE_KEYSTORE
    if (!keys_ok) {
      guint8 clip_id[SEECITV_CLIP_ID_SIZE];

      if (read_clip_id (c->path, clip_id))
        g_ptr_array_add (self->pending_keys, g_bytes_new (clip_id,
                sizeof (clip_id)));
    }
#endif
    if (g_unlink (c->path) != 0) {
      GST_WARNING_OBJECT (self, "cannot delete %s: %s", c->path,
          g_strerror (errno));
      continue;
    }
    GST_INFO_OBJECT (self, "deleted %s (%s)", c->path, c->reason);
    deleted++;
    g_mutex_lock (&self->clips_lock);
    g_hash_table_remove (self->recent, c->path);
    g_mutex_unlock (&self->clips_lock);
    g_ptr_array_add (posts, gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("seecitvsink-deleted",
                "path", G_TYPE_STRING, c->path,
                "reason", G_TYPE_STRING, c->reason, NULL)));
    if (strcmp (c->reason, "disk-full") == 0)
      full++;
  }
  warn_full = full > 0 && !self->disk_full_warned;
  if (warn_full)
    self->disk_full_warned = TRUE;
  g_mutex_unlock (&self->purge_lock);

  if (warn_full)
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, NO_SPACE_LEFT,
        ("The disk is full: deleting the oldest clips to go on recording."),
        ("%s: %u clips deleted", location, full),
        ("location", G_TYPE_STRING, location,
            "deleted", G_TYPE_UINT, full, NULL));
  if (!keys_ok)
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, WRITE,
        ("Cannot delete clip keys from the keystore: the clips retention "
            "chose are kept (unless the disk is full)."), ("%s",
            err->message), ("keystore", G_TYPE_STRING, keystore,
            "reason", G_TYPE_STRING, err->message, NULL));
  for (i = 0; i < posts->len; i++)
    gst_element_post_message (GST_ELEMENT (self), posts->pdata[i]);

  g_clear_error (&err);
  g_ptr_array_unref (posts);
  g_ptr_array_unref (paths);
  g_ptr_array_unref (ids);
  g_ptr_array_unref (cands);
  g_free (location);
  g_free (keystore);
  g_free (passphrase_file);
  return deleted;
}

static gpointer
retention_loop (gpointer data)
{
  SeecitvSink *self = data;

  /* On a kick or at the interval (the first run is at start). */
  g_mutex_lock (&self->clips_lock);
  for (;;) {
    gint64 deadline = g_get_monotonic_time () + RETENTION_INTERVAL;
    guint64 need;

    while (!self->retention_stop && !self->retention_kick)
      if (!g_cond_wait_until (&self->retention_cond, &self->clips_lock,
              deadline))
        break;
    if (self->retention_stop && !self->retention_kick)
      break;
    need = self->purge_need;
    self->retention_kick = FALSE;
    self->purge_need = 0;
    g_mutex_unlock (&self->clips_lock);
    purge (self, MAX (need, reserve (self)));
    g_mutex_lock (&self->clips_lock);
  }
  g_mutex_unlock (&self->clips_lock);
  return NULL;
}

static void
retention_start (SeecitvSink * self)
{
  self->retention_stop = FALSE;
  self->retention_kick = FALSE;
  self->purge_need = 0;
  self->retention_thread = g_thread_new ("seecitvsink-retention",
      retention_loop, self);
}

static void
retention_stop (SeecitvSink * self)
{
  if (self->retention_thread == NULL)
    return;
  g_mutex_lock (&self->clips_lock);
  self->retention_stop = TRUE;
  g_cond_signal (&self->retention_cond);
  g_mutex_unlock (&self->clips_lock);
  g_thread_join (self->retention_thread);
  self->retention_thread = NULL;
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
  gchar *keystore, *passphrase_file, *device_id;
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
  passphrase_file = g_strdup (self->passphrase_file);
  device_id = g_strdup (effective_device_id_unlocked (self));
  max_dur = self->max_clip_duration;
  sync_interval = self->sync_interval;
  GST_OBJECT_UNLOCK (self);

  g_object_set (mux, "streamable", TRUE, NULL);
  /* A stop without EOS (Ctrl-C without -e, the pipeline set to NULL) is a
   * deliberate end of recording: the clip is sealed complete. */
  g_object_set (sink, "keystore", keystore, "passphrase-file",
      passphrase_file, "device-id", device_id, "sync-interval",
      sync_interval, "seal-on-stop", TRUE, "async", FALSE, "sync", FALSE,
      NULL);
  g_object_set (split, "muxer", mux, "sink", sink, "max-size-time", max_dur,
      NULL);
  g_free (keystore);
  g_free (passphrase_file);
  g_free (device_id);
  g_object_set_data (G_OBJECT (split), "seecitv-clip", GINT_TO_POINTER (1));
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
  self->current = split;
  if (!gst_element_sync_state_with_parent (split)) {
    /* A full disk is handled by the next push (see disk_full ()). */
    if (g_atomic_int_get (&self->disk_full))
      return TRUE;
    GST_ELEMENT_ERROR (self, CORE, STATE_CHANGE,
        ("Could not start splitmuxsink"), (NULL));
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "clip opened");
  return TRUE;
}

/* Streaming thread: ends the open clip (EOS into its splitmuxsink). The
 * element is removed when its EOS message comes back, or at once if it
 * failed for lack of space. */
static void
close_clip (SeecitvSink * self)
{
  GstElement *split = self->current;
  gboolean failed;
  GstPad *peer;

  if (split == NULL)
    return;
  self->current = NULL;
  g_mutex_lock (&self->clips_lock);
  self->closing = g_list_prepend (self->closing, gst_object_ref (split));
  failed = g_object_get_data (G_OBJECT (split), "seecitv-nospace") != NULL;
  g_mutex_unlock (&self->clips_lock);

  peer = gst_pad_get_peer (self->srcpad);
  if (peer != NULL) {
    gst_pad_unlink (self->srcpad, peer);
    if (!failed)
      gst_pad_send_event (peer, gst_event_new_eos ());
    gst_object_unref (peer);
  }
  if (failed)
    clip_ended (self, split);
  GST_DEBUG_OBJECT (self, "clip closing");
}

/* Gives the clip @split was writing its final name if it stopped without
 * EOS (nothing happens if it was finished already: finish_clip_file ()
 * takes each clip once). Called after @split went to NULL, where its
 * seecitvcryptsink sealed the clip (seal-on-stop) unless a write had
 * failed, and its "seecitvcryptsink-closed" gave the bytes. */
static void
finish_stopped_clip (SeecitvSink * self, GstElement * split)
{
  ClipInfo info = { NULL, 0, 0 };
  gchar *temp, *path;

  g_mutex_lock (&self->clips_lock);
  temp = g_strdup (g_object_get_data (G_OBJECT (split), "seecitv-temp"));
  g_mutex_unlock (&self->clips_lock);
  path = finish_clip_file (self, temp, &info);
  if (path != NULL) {
    GST_INFO_OBJECT (self, "clip stopped without EOS: %s", path);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("seecitvsink-clip-closed",
                "path", G_TYPE_STRING, path,
                "start-running-time", G_TYPE_UINT64, info.start,
                "end-running-time", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
                "duration", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
                "bytes", G_TYPE_UINT64, info.bytes, NULL)));
    announced (self, path);
  }
  g_free (path);
  g_free (temp);
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
  finish_stopped_clip (self, split);
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

/* The clip element (a child of ours) @obj is in, or NULL (transfer
 * full). */
static GstElement *
clip_of (SeecitvSink * self, GstObject * obj)
{
  GstObject *o = obj ? gst_object_ref (obj) : NULL;

  while (o != NULL) {
    GstObject *parent = gst_object_get_parent (o);

    if (parent == GST_OBJECT (self)) {
      gst_object_unref (parent);
      if (g_object_get_data (G_OBJECT (o), "seecitv-clip") != NULL)
        return GST_ELEMENT (o);
      break;
    }
    gst_object_unref (o);
    o = parent;
  }
  gst_clear_object (&o);
  return NULL;
}

/* A clip element is done (its EOS came back, or it failed): it is removed
 * asynchronously, and our EOS posted if it was the last one. */
static void
clip_ended (SeecitvSink * self, GstElement * split)
{
  GstMessage *eos;
  guint pending;

  g_mutex_lock (&self->clips_lock);
  if (g_object_get_data (G_OBJECT (split), "seecitv-eos")) {
    g_mutex_unlock (&self->clips_lock);
    return;
  }
  g_object_set_data (G_OBJECT (split), "seecitv-eos", GINT_TO_POINTER (1));
  pending = count_closing_unlocked (self, split);
  eos = maybe_eos_unlocked (self, pending);
  g_mutex_unlock (&self->clips_lock);
  gst_element_call_async (GST_ELEMENT (self), remove_clip,
      gst_object_ref (split), gst_object_unref);
  if (eos != NULL)
    gst_element_post_message (GST_ELEMENT (self), eos);
}

static void
seecitv_sink_handle_message (GstBin * bin, GstMessage * msg)
{
  SeecitvSink *self = SEECITV_SINK (bin);
  const GstStructure *s = gst_message_get_structure (msg);
  GstMessage *post = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      /* A clip is complete: its EOS is ours to keep. */
      clip_ended (self, GST_ELEMENT (GST_MESSAGE_SRC (msg)));
      gst_message_unref (msg);
      return;
    case GST_MESSAGE_ERROR:{
      GstElement *split = clip_of (self, GST_MESSAGE_SRC (msg));
      GError *err = NULL;
      gboolean nospace, ended = FALSE;

      if (split == NULL)
        break;
      gst_message_parse_error (msg, &err, NULL);
      nospace = g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NO_SPACE_LEFT);
      g_clear_error (&err);
      g_mutex_lock (&self->clips_lock);
      if (nospace && !g_object_get_data (G_OBJECT (split), "seecitv-nospace")) {
        g_object_set_data (G_OBJECT (split), "seecitv-nospace",
            GINT_TO_POINTER (1));
        if (g_list_find (self->closing, split) != NULL) {
          /* Its EOS will not come: done, and the thread makes room. */
          ended = TRUE;
          self->purge_need = MAX (self->purge_need, DISK_FULL_MIN_FREE);
          self->retention_kick = TRUE;
          g_cond_signal (&self->retention_cond);
        } else {
          g_atomic_int_set (&self->disk_full, 1);
        }
      }
      nospace = g_object_get_data (G_OBJECT (split), "seecitv-nospace") !=
          NULL;
      g_mutex_unlock (&self->clips_lock);
      if (ended) {
        GST_WARNING_OBJECT (self, "disk full while closing a clip");
        clip_ended (self, split);
      }
      gst_object_unref (split);
      if (nospace) {
        /* Handled here: recording goes on (see disk_full ()). */
        gst_message_unref (msg);
        return;
      }
      break;
    }
    case GST_MESSAGE_ELEMENT:
      if (gst_structure_has_name (s, "splitmuxsink-fragment-opened")) {
        const gchar *temp = gst_structure_get_string (s, "location");
        guint64 start = 0;
        gchar *path = NULL;
        ClipInfo *info;

        gst_structure_get_uint64 (s, "running-time", &start);
        g_mutex_lock (&self->clips_lock);
        info = temp ? g_hash_table_lookup (self->infos, temp) : NULL;
        if (info != NULL) {
          info->start = start;
          path = g_strdup (info->final);
        }
        g_mutex_unlock (&self->clips_lock);
        if (path != NULL)
          post = gst_message_new_element (GST_OBJECT (self),
              gst_structure_new ("seecitvsink-clip-opened",
                  "path", G_TYPE_STRING, path,
                  "running-time", G_TYPE_UINT64, start, NULL));
        g_free (path);
      } else if (gst_structure_has_name (s, "seecitvcryptsink-closed")) {
        const gchar *path = gst_structure_get_string (s, "location");
        ClipInfo *info;

        g_mutex_lock (&self->clips_lock);
        info = path ? g_hash_table_lookup (self->infos, path) : NULL;
        if (info != NULL)
          gst_structure_get_uint64 (s, "bytes", &info->bytes);
        g_mutex_unlock (&self->clips_lock);
      } else if (gst_structure_has_name (s, "splitmuxsink-fragment-closed")) {
        const gchar *temp = gst_structure_get_string (s, "location");
        guint64 end = GST_CLOCK_TIME_NONE;
        ClipInfo info = { NULL, 0, 0 };
        gchar *path;

        gst_structure_get_uint64 (s, "running-time", &end);
        path = finish_clip_file (self, temp, &info);
        /* A clip closed normally: writing works again. */
        g_atomic_int_set (&self->nospace_idle, 0);
        if (path != NULL)
          post = gst_message_new_element (GST_OBJECT (self),
              gst_structure_new ("seecitvsink-clip-closed",
                  "path", G_TYPE_STRING, path,
                  "start-running-time", G_TYPE_UINT64, info.start,
                  "end-running-time", G_TYPE_UINT64, end,
                  "duration", G_TYPE_UINT64,
                  (GST_CLOCK_TIME_IS_VALID (end) && end >= info.start) ?
                  end - info.start : GST_CLOCK_TIME_NONE,
                  "bytes", G_TYPE_UINT64, info.bytes, NULL));
        g_free (path);
      }
      break;
    default:
      break;
  }

  GST_BIN_CLASS (parent_class)->handle_message (bin, msg);
  if (post != NULL) {
    gboolean closed = gst_message_has_name (post, "seecitvsink-clip-closed");

    gchar *path = closed ? g_strdup (gst_structure_get_string
        (gst_message_get_structure (post), "path")) : NULL;

    gst_element_post_message (GST_ELEMENT (self), post);
    /* Before the clip's EOS counts: retention is done when we are, and
     * there is room for the next clip. */
    if (closed) {
      announced (self, path);
      purge (self, reserve (self));
    }
    g_free (path);
  }
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

/* Streaming thread: the open clip's write failed with ENOSPC. It ends
 * there (its file is renamed like any other), the oldest clips make room,
 * and recording resumes at the next keyframe. */
static GstFlowReturn
disk_full (SeecitvSink * self)
{
  GstElement *split = self->current;
  guint64 need = reserve (self);
  gchar *location;
  guint deleted;

  g_atomic_int_set (&self->disk_full, 0);
  if (split != NULL) {
    gchar *temp;
    GStatBuf st;

    g_mutex_lock (&self->clips_lock);
    temp = g_strdup (g_object_get_data (G_OBJECT (split), "seecitv-temp"));
    /* Also when the bus message has not marked it yet. */
    g_object_set_data (G_OBJECT (split), "seecitv-nospace",
        GINT_TO_POINTER (1));
    g_mutex_unlock (&self->clips_lock);
    if (temp != NULL && g_stat (temp, &st) == 0)
      need = MAX (need, (guint64) st.st_size);
    g_free (temp);
    close_clip (self);
  }

  deleted = purge (self, need);
  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);
  /* Nothing deleted: go on only if there is room now and the last try did
   * not end the same way (inodes or a quota, not bytes, may be short). */
  if (deleted == 0 && (free_space (location) < need ||
          g_atomic_int_add (&self->nospace_idle, 1) > 0)) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, NO_SPACE_LEFT,
        ("The disk is full and there is no clip left to delete."),
        ("%s", location), ("location", G_TYPE_STRING, location, NULL));
    g_free (location);
    return GST_FLOW_ERROR;
  }
  if (deleted > 0)
    g_atomic_int_set (&self->nospace_idle, 0);
  g_free (location);

  g_mutex_lock (&self->trigger_lock);
  if (!self->want_start) {
    /* A new clip at the next keyframe; a pending end stays. */
    self->want_start = TRUE;
    self->onset = GST_CLOCK_TIME_IS_VALID (self->last_rt) ? self->last_rt : 0;
  }
  g_mutex_unlock (&self->trigger_lock);
  return GST_FLOW_OK;
}

/* Streaming thread: sends @buf into the open clip. */
static GstFlowReturn
push_frame (SeecitvSink * self, GstBuffer * buf)
{
  GstFlowReturn ret;

  if (g_atomic_int_get (&self->disk_full)) {
    gst_buffer_unref (buf);
    return disk_full (self);
  }
  ret = gst_pad_push (self->srcpad, buf);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING &&
      g_atomic_int_get (&self->disk_full))
    ret = disk_full (self);
  return ret;
}

/* Streaming thread: sends the ring's frames into the open clip. */
static GstFlowReturn
flush_ring (SeecitvSink * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *buf;

  while ((buf = seecitv_ring_pop (self->ring)) != NULL) {
    if (ret == GST_FLOW_OK && self->current != NULL)
      ret = push_frame (self, buf);
    else
      gst_buffer_unref (buf);
  }
  return ret;
}

/* The gate: which encoded frames go into a clip. */
static GstFlowReturn
gate_chain (SeecitvSink * self, GstBuffer * buf)
{
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
    return push_frame (self, buf);
  }

  if (self->current != NULL) {
    if (closing) {
      /* This keyframe starts the next GOP: it belongs to the ring. */
      close_clip (self);
    } else {
      self->clip_rt = rt;
      return push_frame (self, buf);
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

static GstFlowReturn
seecitv_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  SeecitvSink *self = SEECITV_SINK (parent);

  if (self->raw)
    return gst_pad_push (self->raw_srcpad, buf);
  return gate_chain (self, buf);
}

/* The inner encoder's output. */
static GstFlowReturn
seecitv_sink_gate_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  return gate_chain (gst_pad_get_element_private (pad), buf);
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
gate_event (SeecitvSink * self, GstEvent * event)
{
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

static gboolean
seecitv_sink_gate_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  return gate_event (gst_pad_get_element_private (pad), event);
}

/* The device id tag from upstream: used when the property is not set. */
static void
handle_tag (SeecitvSink * self, GstEvent * event)
{
  GstTagList *tags = NULL;
  gchar *id = NULL;

  gst_event_parse_tag (event, &tags);
  if (tags == NULL || !gst_tag_list_get_string (tags, SEECITV_TAG_DEVICE_ID,
          &id))
    return;
  if (!seecitv_device_id_is_valid (id)) {
    GST_ELEMENT_WARNING_WITH_DETAILS (self, STREAM, FORMAT,
        ("Invalid %s tag (allowed: [A-Za-z0-9._-]{1,64}); ignored",
            SEECITV_TAG_DEVICE_ID), (NULL),
        ("tag", G_TYPE_STRING, SEECITV_TAG_DEVICE_ID, NULL));
    g_free (id);
    return;
  }
  GST_OBJECT_LOCK (self);
  if (g_strcmp0 (self->tag_device_id, id) != 0) {
    GST_INFO_OBJECT (self, "device id from upstream: %s", id);
    g_free (self->tag_device_id);
    self->tag_device_id = g_steal_pointer (&id);
  }
  GST_OBJECT_UNLOCK (self);
  g_free (id);
}

/* Makes the encoder named by @desc: a factory name, a single element with
 * properties, or a launch line of several elements. */
static GstElement *
make_encoder (const gchar * desc, GError ** err)
{
  if (strchr (desc, '!') != NULL)
    return gst_parse_bin_from_description (desc, TRUE, err);
  return gst_parse_launch (desc, err);
}

static gboolean
factory_exists (const gchar * desc)
{
  gchar **words = g_strsplit (desc, " ", 2);
  GstElementFactory *f = gst_element_factory_find (words[0]);

  g_strfreev (words);
  if (f == NULL)
    return FALSE;
  gst_object_unref (f);
  return TRUE;
}

/* Streaming thread, on raw caps: puts videoconvert, the encoder and a
 * parser for H.264 or H.265 between the sink pad and the gate. */
static gboolean
setup_encoder (SeecitvSink * self)
{
  GstElement *enc, *parse = NULL, *convert, *last;
  GstPad *pad;
  GstCaps *caps;
  gchar *desc;
  GError *err = NULL;
  guint i;

  GST_OBJECT_LOCK (self);
  enc = self->encoder_element ? gst_object_ref (self->encoder_element) : NULL;
  desc = g_strdup (self->encoder_desc);
  GST_OBJECT_UNLOCK (self);

  if (enc == NULL && desc == NULL) {
    for (i = 0; i < G_N_ELEMENTS (default_encoders) && desc == NULL; i++)
      if (factory_exists (default_encoders[i]))
        desc = g_strdup (default_encoders[i]);
    if (desc == NULL) {
      GST_ELEMENT_ERROR_WITH_DETAILS (self, CORE, MISSING_PLUGIN,
          ("No encoder for raw video is installed (x264enc, openh264enc or "
              "vp8enc); set \"encoder\""), (NULL),
          ("element", G_TYPE_STRING, "x264enc", NULL));
      return FALSE;
    }
  }
  if (enc == NULL) {
    enc = make_encoder (desc, &err);
    if (enc == NULL || err != NULL) {
      GST_ELEMENT_ERROR_WITH_DETAILS (self, CORE, MISSING_PLUGIN,
          ("Cannot make the encoder \"%s\".", desc),
          ("%s", err ? err->message : "unknown"),
          ("element", G_TYPE_STRING, desc, NULL));
      g_clear_error (&err);
      gst_clear_object (&enc);
      g_free (desc);
      return FALSE;
    }
    /* A single element comes back floating or not, depending on how
     * gst_parse_launch () got it: own exactly one reference. */
    if (g_object_is_floating (enc))
      gst_object_ref_sink (enc);
  }
  g_free (desc);

  /* A parser after H.264 and H.265 encoders: the muxer takes only avc
   * and hvc1 forms with complete access units. */
  pad = gst_element_get_static_pad (enc, "src");
  caps = pad ? gst_pad_query_caps (pad, NULL) : NULL;
  if (caps != NULL && !gst_caps_is_empty (caps) && !gst_caps_is_any (caps)) {
    const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps,
            0));

    if (strcmp (name, "video/x-h264") == 0)
      parse = make (self, "h264parse");
    else if (strcmp (name, "video/x-h265") == 0)
      parse = make (self, "h265parse");
  }
  gst_clear_caps (&caps);
  gst_clear_object (&pad);

  /* Any raw format in: converted to what the encoder takes (passthrough
   * when it takes it as it is). */
  convert = make (self, "videoconvert");
  if (convert == NULL || GST_OBJECT_PARENT (enc) != NULL) {
    if (convert != NULL)
      GST_ELEMENT_ERROR (self, CORE, FAILED, ("Could not add the encoder "
              "(is it in another bin already?)"), (NULL));
    gst_object_unref (enc);
    gst_clear_object (&parse);
    gst_clear_object (&convert);
    return FALSE;
  }
  /* @enc is not floating: the bin takes a reference of its own. */
  gst_bin_add (GST_BIN (self), enc);
  self->encoders = g_list_prepend (self->encoders, enc);
  gst_bin_add (GST_BIN (self), gst_object_ref (convert));
  self->encoders = g_list_prepend (self->encoders, convert);
  if (!gst_element_link (convert, enc))
    goto link_failed;
  last = enc;
  if (parse != NULL) {
    gst_bin_add (GST_BIN (self), gst_object_ref (parse));
    self->encoders = g_list_prepend (self->encoders, parse);
    if (!gst_element_link (enc, parse))
      goto link_failed;
    last = parse;
  }
  pad = gst_element_get_static_pad (convert, "sink");
  if (pad == NULL || GST_PAD_LINK_FAILED (gst_pad_link (self->raw_srcpad,
              pad))) {
    gst_clear_object (&pad);
    goto link_failed;
  }
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (last, "src");
  if (pad == NULL || GST_PAD_LINK_FAILED (gst_pad_link (pad,
              self->gate_pad))) {
    gst_clear_object (&pad);
    goto link_failed;
  }
  gst_object_unref (pad);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
  if (parse != NULL)
    gst_element_sync_state_with_parent (parse);
  if (!gst_element_sync_state_with_parent (enc) ||
      !gst_element_sync_state_with_parent (convert)) {
    GST_ELEMENT_ERROR (self, CORE, STATE_CHANGE,
        ("Could not start the encoder"), (NULL));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "raw input: encoding with %" GST_PTR_FORMAT, enc);
  return TRUE;

link_failed:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("The encoder does not output a format the sink takes (H.264, H.265, "
          "JPEG, VP8, VP9)"), (NULL));
  return FALSE;
}

static gboolean
seecitv_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  SeecitvSink *self = SEECITV_SINK (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_TAG:
      handle_tag (self, event);
      break;
    case GST_EVENT_CAPS:{
      GstCaps *caps;
      gboolean raw;

      gst_event_parse_caps (event, &caps);
      raw = gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/x-raw");
      if (raw && self->encoders == NULL) {
        GstEvent *start;

        if (!setup_encoder (self)) {
          gst_event_unref (event);
          return FALSE;
        }
        /* The encoder's sticky events, in order, before its caps. */
        start = gst_pad_get_sticky_event (pad, GST_EVENT_STREAM_START, 0);
        if (start != NULL)
          gst_pad_push_event (self->raw_srcpad, start);
      } else if (raw != self->raw) {
        GST_ELEMENT_ERROR (self, STREAM, FORMAT,
            ("The input changed between raw and encoded video"), (NULL));
        gst_event_unref (event);
        return FALSE;
      }
      self->raw = raw;
      break;
    }
    default:
      break;
  }
  if (self->raw)
    return gst_pad_push_event (self->raw_srcpad, event);
  return gate_event (self, event);
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

/* Opens the keystore as each clip's seecitvcryptsink and retention will,
 * so that a missing or wrong passphrase file (or master key file) fails
 * at start, not at the first clip. The error names files and causes,
 * never the passphrase. */
static gboolean
check_keystore (SeecitvSink * self)
{
#ifdef SEECITV_HAVE_KEYSTORE
  gchar *keystore, *passphrase_file;
  SeecitvKeystore *ks;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  keystore = g_strdup (self->keystore);
  passphrase_file = g_strdup (self->passphrase_file);
  GST_OBJECT_UNLOCK (self);

  if (keystore == NULL) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("No keystore specified."), (NULL),
        ("property", G_TYPE_STRING, "keystore", NULL));
    g_free (passphrase_file);
    return FALSE;
  }
  ks = seecitv_keystore_open_default (keystore, passphrase_file, &err);
  if (ks == NULL) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_READ,
        ("Cannot open the keystore."), ("%s", err->message),
        ("keystore", G_TYPE_STRING, keystore,
            "reason", G_TYPE_STRING, err->message, NULL));
    g_clear_error (&err);
  }
  g_free (keystore);
  g_free (passphrase_file);
  if (ks == NULL)
    return FALSE;
  seecitv_keystore_free (ks);
#endif
  return TRUE;
}

/* After PAUSED->READY: drops every clip element, the encoder and the
 * stream state; clips stopped mid-way get their final names. */
static void
reset (SeecitvSink * self)
{
  GList *closing, *encoders, *l;
  GstElement *current = self->current;

  self->current = NULL;
  encoders = self->encoders;
  self->encoders = NULL;
  self->raw = FALSE;
  g_atomic_int_set (&self->disk_full, 0);
  g_atomic_int_set (&self->nospace_idle, 0);
  seecitv_ring_clear (self->ring);
  gst_segment_init (&self->segment, GST_FORMAT_TIME);

  GST_OBJECT_LOCK (self);
  g_clear_pointer (&self->tag_device_id, g_free);
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->trigger_lock);
  self->want_start = FALSE;
  self->stop_at = GST_CLOCK_TIME_NONE;
  self->last_rt = GST_CLOCK_TIME_NONE;
  g_mutex_unlock (&self->trigger_lock);

  g_mutex_lock (&self->clips_lock);
  closing = self->closing;
  self->closing = NULL;
  self->final_eos = FALSE;
  g_mutex_unlock (&self->clips_lock);

  if (current != NULL)
    closing = g_list_prepend (closing, gst_object_ref (current));
  for (l = closing; l != NULL; l = l->next) {
    GstElement *split = l->data;

    gst_element_set_state (split, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (split) == GST_OBJECT (self))
      gst_bin_remove (GST_BIN (self), split);
    finish_stopped_clip (self, split);
  }
  g_list_free_full (closing, gst_object_unref);
  for (l = encoders; l != NULL; l = l->next) {
    gst_element_set_state (l->data, GST_STATE_NULL);
    if (GST_OBJECT_PARENT (l->data) == GST_OBJECT (self))
      gst_bin_remove (GST_BIN (self), l->data);
  }
  g_list_free_full (encoders, gst_object_unref);

  g_mutex_lock (&self->clips_lock);
  g_hash_table_remove_all (self->infos);
  g_hash_table_remove_all (self->recent);
  g_hash_table_remove_all (self->announcing);
  self->max_clip_bytes = 0;
  g_mutex_unlock (&self->clips_lock);
  g_mutex_lock (&self->purge_lock);
  self->disk_full_warned = FALSE;
  g_mutex_unlock (&self->purge_lock);
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
      if (!check_keystore (self))
        return GST_STATE_CHANGE_FAILURE;
      if (!seecitv_sink_upload_start (element, self->keystore))
        return GST_STATE_CHANGE_FAILURE;
      gst_pad_set_active (self->srcpad, TRUE);
      gst_pad_set_active (self->raw_srcpad, TRUE);
      gst_pad_set_active (self->gate_pad, TRUE);
      /* What is due already goes before anything is recorded. */
      purge (self, reserve (self));
      retention_start (self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      /* An EOS drain must not keep the streaming thread we stop. */
      seecitv_sink_upload_interrupt (element);
      break;
    default:
      break;
  }

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
      retention_stop (self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_pad_set_active (self->srcpad, FALSE);
      gst_pad_set_active (self->raw_srcpad, FALSE);
      gst_pad_set_active (self->gate_pad, FALSE);
      reset (self);
      retention_stop (self);
      seecitv_sink_upload_stop (element);
      break;
    default:
      break;
  }
  return ret;
}
