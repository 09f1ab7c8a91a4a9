/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink, the recording bin: its documentation, GObject glue
 * (properties, signals), the sink pad's events, state changes and the
 * bin's message handler, which hands clip messages to seecitvsinkclip.c.
 * The gate, clips, inner encoder, retention and upload live in their own
 * files; seecitvsink-private.h has the instance struct, the threads and
 * the lock order.
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
 * wall-clock time at opening) in #SeecitvSink:location (created at start,
 * 0700 with its parents, if missing), so the directory
 * holds only finished clips and dot files. The keystore's clip index is
 * updated to the final name and, when the clip's media end is known, to
 * an end time of its start time plus its media duration (what
 * `seecitv list` shows as its duration). A clip stopped without EOS (the element set
 * to READY or NULL, gst-launch-1.0 interrupted without `-e`) is a
 * deliberate end of recording: seecitvcryptsink seals it complete
 * (#SeecitvCryptSink:seal-on-stop), with its end time in the index, and it
 * is renamed and announced like any other. A clip whose write failed
 * (ENOSPC) is renamed too but stays truncated: it decrypts up to its last
 * sync. After a crash (kill -9, power loss) the interrupted clip is
 * truncated; it decrypts up to its last sync as well (`seecitv verify`).
 * When the element starts again, every `.NAME.part` in
 * #SeecitvSink:location that no live writer holds locked (seecitvcryptsink
 * holds an flock(2) on the file it writes) is such a clip: it is renamed
 * to `NAME` (never replacing a file), the directory fsynced, its index
 * entry pointed at the new name with the state `truncated` (its end time
 * stays unknown; a clip renamed at close that was not sealed complete, after
 * a failed write, is `truncated` too) and
 * "seecitvsink-clip-recovered" posted; nothing is deleted.
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
 * age 0. The clip being written is never a candidate, nor is another
 * writer's (a `.NAME.part` its seecitvcryptsink holds locked). A temporary
 * file that is not ours, not locked and was not recovered at start is
 * deleted by age only, once older than both #SeecitvSink:retention and
 * 10 minutes.
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
 *   splitmuxsink reports it (the next split's start), or at EOS the end
 *   of the last frame (its timestamp plus its duration);
 *   GST_CLOCK_TIME_NONE for a clip stopped without EOS.
 * * `duration` (guint64): end minus start, in ns (GST_CLOCK_TIME_NONE when
 *   the end is unknown).
 * * `bytes` (guint64): container bytes written, from seecitvcryptsink
 *   (0 if it did not say).
 *
 * "seecitvsink-clip-recovered", at start, for each clip a crash
 * interrupted, once renamed to its final name:
 *
 * * `path` (gchararray): the clip file (truncated: it decrypts up to its
 *   last sync).
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
 * * RESOURCE / SETTINGS: #SeecitvSink:location or #SeecitvSink:keystore
 *   is not set (details: `property`, `reason` `not-set`).
 * * RESOURCE / OPEN_WRITE: #SeecitvSink:location is not a directory
 *   (`reason` `not-a-directory`), or it is missing and cannot be created,
 *   or it cannot be written into (`reason` from the errno, such as
 *   `permission-denied`, and `message`); details: `location`. A missing
 *   location is created, with its missing parents, mode 0700.
 * * RESOURCE / OPEN_READ: at start, the keystore, its master key file or
 *   the passphrase file cannot be read, or does not authenticate (details:
 *   `keystore`, `reason` `keystore`, `keystore-error`, `message`: see
 *   docs/elements.md, "Error details").
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

#include "seecitvsink-private.h"
#include "seecitvsinkupload.h"

#include <seecitv/deviceid.h>
#include <seecitv/gstproperty.h>
#include <seecitv/reason.h>

#include <errno.h>
#include <unistd.h>
#include <glib/gstdio.h>

GST_DEBUG_CATEGORY (seecitv_sink_debug);
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
          "deadline=1\" that is installed, fed 4:2:0 (I420 or NV12)",
          DEFAULT_ENCODER,
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
      (GDestroyNotify) seecitv_sink_file_free);
  self->recent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  self->announcing = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  g_cond_init (&self->retention_cond);
  g_mutex_init (&self->purge_lock);
  g_mutex_init (&self->sink_flag_lock);
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
  g_mutex_clear (&self->sink_flag_lock);
  gst_clear_object (&self->raw_srcpad);
  gst_clear_object (&self->gate_pad);
  seecitv_ring_free (self->ring);
  g_hash_table_unref (self->infos);
  gst_clear_message (&self->held_eos);
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

static void
seecitv_sink_start (SeecitvSink * self)
{
  if (!seecitv_sink_trigger_is (self, SEECITV_SINK_TRIGGER_MANUAL)) {
    GST_WARNING_OBJECT (self, "\"start\" ignored: trigger is not manual");
    return;
  }
  g_mutex_lock (&self->trigger_lock);
  seecitv_sink_request_start (self, GST_CLOCK_TIME_IS_VALID (self->last_rt) ?
      self->last_rt : 0);
  g_mutex_unlock (&self->trigger_lock);
}

static void
seecitv_sink_stop (SeecitvSink * self)
{
  guint64 post_roll = seecitv_sink_get_post_roll (self);

  if (!seecitv_sink_trigger_is (self, SEECITV_SINK_TRIGGER_MANUAL)) {
    GST_WARNING_OBJECT (self, "\"stop\" ignored: trigger is not manual");
    return;
  }
  g_mutex_lock (&self->trigger_lock);
  self->want_start = FALSE;
  seecitv_sink_request_stop (self, GST_CLOCK_TIME_IS_VALID (self->last_rt) ?
      self->last_rt : 0, post_roll);
  g_mutex_unlock (&self->trigger_lock);
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

static GstFlowReturn
seecitv_sink_chain (GstPad * pad, GstObject * parent, GstBuffer * buf)
{
  SeecitvSink *self = SEECITV_SINK (parent);

  if (self->raw)
    return gst_pad_push (self->raw_srcpad, buf);
  return seecitv_sink_gate_push (self, buf);
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

        if (!seecitv_sink_setup_encoder (self)) {
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
  return seecitv_sink_gate_handle_event (self, event);
}

static void
seecitv_sink_handle_message (GstBin * bin, GstMessage * msg)
{
  SeecitvSink *self = SEECITV_SINK (bin);
  GstMessage *post = NULL;

  if (seecitv_sink_clip_message (self, msg, &post))
    return;
  GST_BIN_CLASS (parent_class)->handle_message (bin, msg);
  /* Retention runs on its own thread, woken here; our EOS waits for it. */
  if (post != NULL)
    seecitv_sink_post_clip_message (self, post, TRUE);
}

/* ---- states ---- */

/* One error per problem: a property not set, location not a directory,
 * location missing and not creatable (created like `mkdir -p`, 0700), or
 * not writable. */
static gboolean
check_location (SeecitvSink * self, const gchar * location,
    gboolean have_keystore)
{
  int e;

  if (location == NULL || *location == '\0') {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("No location specified: set \"location\" to the clip directory."),
        (NULL), ("property", G_TYPE_STRING, "location",
            "reason", G_TYPE_STRING, SEECITV_REASON_NOT_SET, NULL));
    return FALSE;
  }
  if (!have_keystore) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("No keystore specified: set \"keystore\"."), (NULL),
        ("property", G_TYPE_STRING, "keystore",
            "reason", G_TYPE_STRING, SEECITV_REASON_NOT_SET, NULL));
    return FALSE;
  }
  if (g_file_test (location, G_FILE_TEST_EXISTS) &&
      !g_file_test (location, G_FILE_TEST_IS_DIR)) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_WRITE,
        ("\"location\" %s is not a directory.", location), (NULL),
        ("location", G_TYPE_STRING, location,
            "reason", G_TYPE_STRING, SEECITV_REASON_NOT_A_DIRECTORY, NULL));
    return FALSE;
  }
  if (g_mkdir_with_parents (location, 0700) != 0) {
    e = errno;
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_WRITE,
        ("Cannot create the directory %s: %s", location, g_strerror (e)),
        (NULL), ("location", G_TYPE_STRING, location,
            "reason", G_TYPE_STRING, seecitv_reason_from_errno (e),
            "message", G_TYPE_STRING, g_strerror (e), NULL));
    return FALSE;
  }
  if (g_access (location, W_OK | X_OK) != 0) {
    e = errno;
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_WRITE,
        ("Cannot write into the directory %s: %s", location,
            g_strerror (e)), (NULL), ("location", G_TYPE_STRING, location,
            "reason", G_TYPE_STRING, seecitv_reason_from_errno (e),
            "message", G_TYPE_STRING, g_strerror (e), NULL));
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_setup (SeecitvSink * self)
{
  const gchar *factories[] = { "splitmuxsink", "matroskamux",
    "seecitvcryptsink"
  };
  gchar *location;
  gboolean ok, have_keystore;
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
  location = g_strdup (self->location);
  have_keystore = self->keystore != NULL;
  GST_OBJECT_UNLOCK (self);
  ok = check_location (self, location, have_keystore);
  g_free (location);
  return ok;
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
            SEECITV_KEYSTORE_ERROR_DETAILS (err), NULL));
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
    seecitv_sink_remove_clip_element (self, split);
    seecitv_sink_finish_stopped_clip (self, split);
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
      seecitv_sink_recover_clips (self);
      /* What is due already goes before anything is recorded. */
      seecitv_sink_purge (self, seecitv_sink_reserve (self));
      seecitv_sink_retention_start (self);
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
      seecitv_sink_retention_stop (self);
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_pad_set_active (self->srcpad, FALSE);
      gst_pad_set_active (self->raw_srcpad, FALSE);
      gst_pad_set_active (self->gate_pad, FALSE);
      reset (self);
      seecitv_sink_retention_stop (self);
      seecitv_sink_upload_stop (element);
      break;
    default:
      break;
  }
  return ret;
}
