/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvcryptsink: the GStreamer side of writing a clip. Properties, the
 * keystore bookkeeping at start and EOS, the file, the sync policy, errors
 * and messages live here; the chunk sealing is clip.c (clip.h) and the key
 * storage keystore.c (keystore.h).
 */

/**
 * SECTION:element-seecitvcryptsink
 * @title: seecitvcryptsink
 *
 * Writes what it receives to #SeecitvCryptSink:location as an encrypted clip
 * (docs/clip-format.md): an 88-byte header holding only identifiers, then
 * AES-256-GCM chunks of at most #SeecitvCryptSink:chunk-size bytes of
 * plaintext, each authenticated, in the STREAM construction (chunk index
 * and last-chunk flag in the nonce), so that tampering, reordering and
 * truncation are all detected by seecitvdecrypt.
 *
 * The file is written append-only and never seeked: put Matroska in it
 * with `matroskamux streamable=true`. An existing file is never
 * overwritten (the element fails instead), and the file is created with
 * mode 0600.
 *
 * When going from NULL to READY (GstBaseSink's start), the element opens
 * the keystore (#SeecitvCryptSink:keystore, unlocked by the master key
 * file `KEYSTORE.key` beside it, or by #SeecitvCryptSink:passphrase-file),
 * adds the device #SeecitvCryptSink:device-id if the keystore does not
 * know it yet (which creates the device's key-encryption key), creates the
 * clip's data key, stores it wrapped by the device key with an index entry
 * (path, device, start time), and saves the keystore — all before the
 * first byte of the clip is written. The keystore must exist already
 * (`seecitv keys init`).
 *
 * Sync: buffered bytes are sealed into a (possibly short) chunk, written
 * and fsync'ed as soon as a buffer arrives #SeecitvCryptSink:sync-interval
 * or more after the last sync, measured in running time (the buffer's
 * timestamp in the segment) *or* in monotonic wall-clock time, whichever
 * passes first; so after a crash or power loss everything up to the last
 * sync decrypts (a prefix-mode reader or seecitvdecrypt recovers it). The
 * check runs when a buffer arrives: a stream that stops sending buffers is
 * synced at its next buffer, or at EOS. Set the interval to 0 to sync after
 * every buffer.
 *
 * On EOS the element seals the final chunk, fsyncs the file, records the
 * end time in the keystore's clip index and posts
 * "seecitvcryptsink-closed". Stopping without EOS (set to NULL mid-stream)
 * flushes and fsyncs what was received, but by default writes no final
 * chunk: the clip then reads as truncated, as after a crash. With
 * #SeecitvCryptSink:seal-on-stop the stop is taken as the end of the
 * recording instead, and does what EOS does (final chunk, fsync, end time,
 * "seecitvcryptsink-closed"); a failure there is a warning, and the clip
 * reads as truncated. A clip that already lost data (a write or sync
 * failed) is never sealed. A crash (kill -9, power loss) always leaves a
 * truncated clip.
 *
 * The element may be used as splitmuxsink's #GstSplitMuxSink:sink:
 * #SeecitvCryptSink:location (and the other settings) can be changed in the
 * NULL and READY states, and each file becomes a clip with its own data
 * key.
 *
 * ## Messages
 *
 * "seecitvcryptsink-closed", an element message posted at EOS after the
 * clip is complete and synced, before the EOS message (or, with
 * #SeecitvCryptSink:seal-on-stop, when a stop sealed the clip):
 *
 * * `location` (gchararray): the clip file.
 * * `clip-id` (gchararray): the clip id, 32 lowercase hex digits, as the
 *   keystore indexes it.
 * * `device-id` (gchararray): the device the clip's key belongs to.
 * * `bytes` (guint64): plaintext bytes written (what was received).
 * * `file-size` (guint64): bytes of the clip file.
 * * `running-time` (guint64): running time of the EOS (the segment's end
 *   position; at a stop, of the last data received), or
 *   GST_CLOCK_TIME_NONE when unknown.
 *
 * ## Errors
 *
 * Details carry a `reason` token and a `message` (docs/elements.md, "Error
 * details"); a keystore failure is reason `keystore` with
 * `keystore-error`.
 *
 * * RESOURCE / SETTINGS: no location or keystore, or an invalid device id.
 * * RESOURCE / OPEN_READ: the keystore, its master key file or the
 *   passphrase file cannot be read, or does not authenticate (details:
 *   `keystore`, `reason`).
 * * RESOURCE / OPEN_WRITE: the clip file exists or cannot be created, or
 *   the keystore cannot be saved (details: `location` or `keystore`,
 *   `reason`).
 * * RESOURCE / WRITE, NO_SPACE_LEFT (ENOSPC), SYNC: writing or syncing the
 *   clip failed (details: `location`, `reason`); the file ends at the last
 *   chunk written in full.
 * * LIBRARY / ENCODE (reason `crypto`): OpenSSL failed.
 *
 * Key material never appears in a log line, a message or an error.
 *
 * ## Example launch lines
 * |[
 * seecitv --keystore keys.db keys init
 * gst-launch-1.0 -e videotestsrc num-buffers=100 ! x264enc ! h264parse ! \
 *     matroskamux streamable=true ! \
 *     seecitvcryptsink location=clip.mkv.sctv keystore=keys.db
 * ]| Records 100 frames of H.264 in Matroska as an encrypted clip.
 * |[
 * gst-launch-1.0 -e videotestsrc num-buffers=300 ! x264enc key-int-max=30 ! \
 *     h264parse ! splitmuxsink async-finalize=true \
 *     muxer-factory=matroskamux muxer-properties="properties,streamable=true" \
 *     sink-factory=seecitvcryptsink \
 *     sink-properties="properties,keystore=keys.db,device-id=door" \
 *     location=clip%05d.sctv max-size-time=2000000000
 * ]| Records 10 s in clips of 2 s, each with its own key. (`sink=` with one
 * reused sink works too, but in GStreamer 1.22 gst-launch then sometimes
 * never sees the final EOS, with filesink as well.)
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseecitvcryptsink.h"
#include <seecitv/gstproperty.h>
#include <seecitv/reason.h>
#include <seecitv/crypto/keystore.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <openssl/crypto.h>

GST_DEBUG_CATEGORY_STATIC (seecitv_crypt_sink_debug);
#define GST_CAT_DEFAULT seecitv_crypt_sink_debug

#define DEFAULT_LOCATION NULL
#define DEFAULT_KEYSTORE NULL
#define DEFAULT_PASSPHRASE_FILE NULL
#define DEFAULT_DEVICE_ID "default"
#define DEFAULT_SYNC_INTERVAL GST_SECOND
#define DEFAULT_CHUNK_SIZE SEECITV_CLIP_DEFAULT_CHUNK_SIZE
#define DEFAULT_SEAL_ON_STOP FALSE

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_KEYSTORE,
  PROP_PASSPHRASE_FILE,
  PROP_DEVICE_ID,
  PROP_SYNC_INTERVAL,
  PROP_CHUNK_SIZE,
  PROP_SEAL_ON_STOP,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

#define seecitv_crypt_sink_parent_class parent_class
G_DEFINE_TYPE (SeecitvCryptSink, seecitv_crypt_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (seecitvcryptsink, "seecitvcryptsink",
    GST_RANK_NONE, SEECITV_TYPE_CRYPT_SINK);

static void seecitv_crypt_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void seecitv_crypt_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void seecitv_crypt_sink_finalize (GObject * object);
static gboolean seecitv_crypt_sink_start (GstBaseSink * sink);
static gboolean seecitv_crypt_sink_stop (GstBaseSink * sink);
static gboolean seecitv_crypt_sink_query (GstBaseSink * sink, GstQuery * query);
static gboolean seecitv_crypt_sink_event (GstBaseSink * sink, GstEvent * event);
static GstFlowReturn seecitv_crypt_sink_render (GstBaseSink * sink,
    GstBuffer * buffer);
static GstFlowReturn seecitv_crypt_sink_render_list (GstBaseSink * sink,
    GstBufferList * list);
static gboolean seecitv_crypt_sink_finish (SeecitvCryptSink * self,
    gboolean fatal);

static void
seecitv_crypt_sink_class_init (SeecitvCryptSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->set_property = seecitv_crypt_sink_set_property;
  gobject_class->get_property = seecitv_crypt_sink_get_property;
  gobject_class->finalize = seecitv_crypt_sink_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "The clip file to write. Must not exist: it is created with mode "
          "0600 and never overwritten. Changeable in NULL and READY (as "
          "splitmuxsink does between files)", DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_KEYSTORE,
      g_param_spec_string ("keystore", "Keystore",
          "The keystore file (created by `seecitv keys init`). It is unlocked "
          "by its master key file, the same path with \".key\" appended, "
          "unless passphrase-file is set. The clip's data key is stored "
          "there before the first byte of the clip is written",
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
          "The device the clip belongs to, [A-Za-z0-9._-]{1,64} (not \".\" "
          "or \"..\"; anything else is refused). Added to the keystore, "
          "with a new device key, if missing", DEFAULT_DEVICE_ID,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SYNC_INTERVAL,
      g_param_spec_uint64 ("sync-interval", "Sync interval",
          "Seal the buffered bytes, write and fsync them when a buffer "
          "arrives this long (in ns) after the last sync, in running time "
          "or in monotonic wall-clock time, whichever passes first; 0: after "
          "every buffer. Everything up to the last sync survives a crash",
          0, G_MAXUINT64, DEFAULT_SYNC_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CHUNK_SIZE,
      g_param_spec_uint ("chunk-size", "Chunk size",
          "Plaintext bytes in a full chunk (each chunk costs 20 bytes)", 1,
          SEECITV_CLIP_MAX_CHUNK_SIZE, DEFAULT_CHUNK_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SEAL_ON_STOP,
      g_param_spec_boolean ("seal-on-stop", "Seal on stop",
          "When the element is stopped without EOS (set to NULL mid-stream), "
          "seal the clip as complete, as EOS does, instead of leaving it "
          "truncated as after a crash. For recorders where a stop is the "
          "deliberate end of a recording", DEFAULT_SEAL_ON_STOP,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class,
      "seecitv encrypting file sink", "Sink/File",
      "Writes an append-only AES-256-GCM encrypted clip, its key kept in a "
      "keystore", "seecitv contributors");

  basesink_class->start = GST_DEBUG_FUNCPTR (seecitv_crypt_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (seecitv_crypt_sink_stop);
  basesink_class->query = GST_DEBUG_FUNCPTR (seecitv_crypt_sink_query);
  basesink_class->event = GST_DEBUG_FUNCPTR (seecitv_crypt_sink_event);
  basesink_class->render = GST_DEBUG_FUNCPTR (seecitv_crypt_sink_render);
  basesink_class->render_list =
      GST_DEBUG_FUNCPTR (seecitv_crypt_sink_render_list);

  GST_DEBUG_CATEGORY_INIT (seecitv_crypt_sink_debug, "seecitvcryptsink", 0,
      "seecitv encrypting file sink");
}

static void
seecitv_crypt_sink_init (SeecitvCryptSink * self)
{
  self->location = g_strdup (DEFAULT_LOCATION);
  self->keystore = g_strdup (DEFAULT_KEYSTORE);
  self->passphrase_file = g_strdup (DEFAULT_PASSPHRASE_FILE);
  self->device_id = g_strdup (DEFAULT_DEVICE_ID);
  self->sync_interval = DEFAULT_SYNC_INTERVAL;
  self->chunk_size = DEFAULT_CHUNK_SIZE;
  self->seal_on_stop = DEFAULT_SEAL_ON_STOP;
  self->fd = -1;
  self->last_sync_rt = GST_CLOCK_TIME_NONE;

  /* A file sink: write as fast as data comes, do not wait for the clock. */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}

static void
seecitv_crypt_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  SeecitvCryptSink *self = SEECITV_CRYPT_SINK (object);

  GST_OBJECT_LOCK (self);
  if (self->started && !(pspec->flags & GST_PARAM_MUTABLE_PLAYING)) {
    /* The clip, its key and its keystore entry were made at start:
     * refused whole, not half applied. */
    GST_OBJECT_UNLOCK (self);
    seecitv_warn_property_refused (GST_ELEMENT (self), pspec);
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

      if (id == NULL || !seecitv_keystore_device_id_is_valid (id)) {
        GST_OBJECT_UNLOCK (self);
        GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, SETTINGS,
            ("Invalid device id: it must be 1 to 64 of A-Z a-z 0-9 . _ - "
                "(not \".\" or \"..\"); ignored"), (NULL),
            ("property", G_TYPE_STRING, "device-id", NULL));
        return;
      }
      g_free (self->device_id);
      self->device_id = g_strdup (id);
      break;
    }
    case PROP_SYNC_INTERVAL:
      self->sync_interval = g_value_get_uint64 (value);
      break;
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint (value);
      break;
    case PROP_SEAL_ON_STOP:
      self->seal_on_stop = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
seecitv_crypt_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  SeecitvCryptSink *self = SEECITV_CRYPT_SINK (object);

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
      g_value_set_string (value, self->device_id);
      break;
    case PROP_SYNC_INTERVAL:
      g_value_set_uint64 (value, self->sync_interval);
      break;
    case PROP_CHUNK_SIZE:
      g_value_set_uint (value, self->chunk_size);
      break;
    case PROP_SEAL_ON_STOP:
      g_value_set_boolean (value, self->seal_on_stop);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
seecitv_crypt_sink_finalize (GObject * object)
{
  SeecitvCryptSink *self = SEECITV_CRYPT_SINK (object);

  g_free (self->location);
  g_free (self->keystore);
  g_free (self->passphrase_file);
  g_free (self->device_id);
  g_free (self->cur_location);
  g_free (self->cur_keystore);
  g_free (self->cur_passphrase_file);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---- keystore ---- */

/* Posts the RESOURCE error for a keystore that cannot be opened or saved.
 * Keystore error messages name files and causes, never key material. */
static void
post_keystore_error (SeecitvCryptSink * self, const gchar * keystore,
    GError * err, gboolean saving)
{
  if (saving)
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_WRITE,
        ("Cannot save the keystore."), ("%s", err->message),
        ("keystore", G_TYPE_STRING, keystore,
            SEECITV_KEYSTORE_ERROR_DETAILS (err), NULL));
  else
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_READ,
        ("Cannot open the keystore."), ("%s", err->message),
        ("keystore", G_TYPE_STRING, keystore,
            SEECITV_KEYSTORE_ERROR_DETAILS (err), NULL));
}

typedef struct
{
  SeecitvCryptSink *self;
  const gchar *device_id;
  const gchar *location;
  gint64 now;
  guint8 *key;
  gboolean change_failed;       /* the change itself, not the save */
  gboolean save_failed;         /* the save, for another reason than a race */
} ClipKeyChange;

static gboolean
clip_key_change (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  ClipKeyChange *c = data;

  if (!seecitv_keystore_has_device (ks, c->device_id)) {
    GST_INFO_OBJECT (c->self, "adding device %s to the keystore",
        c->device_id);
    if (!seecitv_keystore_add_device (ks, c->device_id, error))
      goto failed;
  }
  if (seecitv_keystore_new_clip_key (ks, c->device_id, c->location, c->now,
          c->key, &c->self->ids, error))
    return TRUE;
failed:
  c->change_failed = TRUE;
  return FALSE;
}

static gboolean
clip_key_commit (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  ClipKeyChange *c = data;
  GError *err = NULL;

  if (seecitv_keystore_save (ks, &err))
    return TRUE;
  OPENSSL_cleanse (c->key, SEECITV_CLIP_KEY_SIZE);
  if (g_error_matches (err, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CHANGED))
    GST_INFO_OBJECT (c->self, "keystore changed meanwhile, redoing: %s",
        err->message);
  else
    c->save_failed = TRUE;
  g_propagate_error (error, err);
  return FALSE;
}

/* Creates the clip's data key in the keystore and saves it. @key receives
 * the data key. Posts an error on failure. */
static gboolean
create_clip_key (SeecitvCryptSink * self, const gchar * keystore,
    const gchar * passphrase_file, const gchar * device_id,
    const gchar * location, guint8 * key)
{
  ClipKeyChange c = { self, device_id, location, g_get_real_time (), key };
  GError *err = NULL;
  SeecitvKeystore *ks;
  gboolean ok;

  ks = seecitv_keystore_open_default (keystore, passphrase_file, &err);
  if (ks == NULL) {
    post_keystore_error (self, keystore, err, FALSE);
    g_clear_error (&err);
    return FALSE;
  }
  ok = seecitv_keystore_update_full (ks, clip_key_change, clip_key_commit,
      &c, &err);
  seecitv_keystore_free (ks);
  if (ok)
    return TRUE;
  OPENSSL_cleanse (key, SEECITV_CLIP_KEY_SIZE);
  if (c.change_failed && g_error_matches (err, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CRYPTO))
    GST_ELEMENT_ERROR_WITH_DETAILS (self, LIBRARY, ENCODE,
        ("OpenSSL failed while creating the clip key."), ("%s",
            err->message), ("reason", G_TYPE_STRING, SEECITV_REASON_CRYPTO,
            "message", G_TYPE_STRING, err->message, NULL));
  else if (c.change_failed || c.save_failed)
    post_keystore_error (self, keystore, err, TRUE);
  else if (g_error_matches (err, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CHANGED))
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_WRITE,
        ("Cannot save the keystore: other processes keep changing it."),
        (NULL), ("keystore", G_TYPE_STRING, keystore,
            SEECITV_KEYSTORE_ERROR_DETAILS (err), NULL));
  else                          /* reading it again failed */
    post_keystore_error (self, keystore, err, FALSE);
  g_clear_error (&err);
  return FALSE;
}

typedef struct
{
  const guint8 *clip_id;
  const gchar *location;
  gint64 now;
} EndTimeChange;

static gboolean
end_time_change (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  EndTimeChange *e = data;

  return seecitv_keystore_set_clip_info (ks, e->clip_id, e->location, e->now,
      error) && seecitv_keystore_set_clip_state (ks, e->clip_id,
      SEECITV_CLIP_STATE_COMPLETE, error);
}

/* Records the clip's end time and state (complete) in the index, once its
 * final chunk is synced. Not fatal: the clip itself is complete, so a
 * failure is a warning (the index then still says recording, which
 * seecitvdecrypt plays as after a crash). */
static void
record_end_time (SeecitvCryptSink * self)
{
  EndTimeChange e = { self->ids.clip_id, self->cur_location,
    g_get_real_time ()
  };
  GError *err = NULL;
  SeecitvKeystore *ks;

  ks = seecitv_keystore_open_default (self->cur_keystore,
      self->cur_passphrase_file, &err);
  if (ks != NULL) {
    gboolean ok = seecitv_keystore_update (ks, end_time_change, &e, &err);

    seecitv_keystore_free (ks);
    if (ok)
      return;
  }
  GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, WRITE,
      ("Cannot record the clip's end time in the keystore."),
      ("%s", err->message), ("keystore", G_TYPE_STRING, self->cur_keystore,
          SEECITV_KEYSTORE_ERROR_DETAILS (err), NULL));
  g_clear_error (&err);
}

/* ---- the file ---- */

/* An error while streaming; a warning when stop() seals the clip: the
 * pipeline is shutting down anyway, and the clip stays what was synced. */
#define POST_PROBLEM(self, fatal, domain, code, text, debug, details)     \
  G_STMT_START {                                                        \
    if (fatal)                                                          \
      GST_ELEMENT_ERROR_WITH_DETAILS (self, domain, code, text, debug,  \
          details);                                                     \
    else                                                                \
      GST_ELEMENT_WARNING_WITH_DETAILS (self, domain, code, text, debug, \
          details);                                                     \
  } G_STMT_END

/* Posts the problem for a failed write, flush or finish of the writer (an
 * error if @fatal, else a warning). The clip lost data: never sealed. */
static void
post_write_error (SeecitvCryptSink * self, GError * err, gboolean fatal)
{
  self->lost = TRUE;
  if (g_error_matches (err, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_CRYPTO))
    POST_PROBLEM (self, fatal, LIBRARY, ENCODE,
        ("OpenSSL failed while sealing the clip."), ("%s", err->message),
        ("location", G_TYPE_STRING, self->cur_location,
            "reason", G_TYPE_STRING, SEECITV_REASON_CRYPTO,
            "message", G_TYPE_STRING, err->message, NULL));
  else if (g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOSPC))
    POST_PROBLEM (self, fatal, RESOURCE, NO_SPACE_LEFT,
        ("No space left on the device to write the clip."),
        ("%s", err->message),
        ("location", G_TYPE_STRING, self->cur_location,
            "reason", G_TYPE_STRING, SEECITV_REASON_NO_SPACE,
            "message", G_TYPE_STRING, err->message, NULL));
  else
    POST_PROBLEM (self, fatal, RESOURCE, WRITE,
        ("Cannot write the clip."), ("%s", err->message),
        ("location", G_TYPE_STRING, self->cur_location,
            "reason", G_TYPE_STRING, seecitv_reason_from_file_error (err),
            "message", G_TYPE_STRING, err->message, NULL));
}

/* fsync()s the clip; on failure posts an error if @fatal, else a
 * warning. */
static gboolean
sync_fd (SeecitvCryptSink * self, gboolean fatal)
{
  int err;

  if (fsync (self->fd) == 0)
    return TRUE;
  err = errno;
  self->lost = TRUE;
  if (err == ENOSPC)
    POST_PROBLEM (self, fatal, RESOURCE, NO_SPACE_LEFT,
        ("No space left on the device to write the clip."),
        ("fsync: %s", g_strerror (err)),
        ("location", G_TYPE_STRING, self->cur_location,
            "reason", G_TYPE_STRING, SEECITV_REASON_NO_SPACE,
            "message", G_TYPE_STRING, g_strerror (err), NULL));
  else
    POST_PROBLEM (self, fatal, RESOURCE, SYNC,
        ("Cannot sync the clip to disk."), ("fsync: %s", g_strerror (err)),
        ("location", G_TYPE_STRING, self->cur_location,
            "reason", G_TYPE_STRING, seecitv_reason_from_errno (err),
            "message", G_TYPE_STRING, g_strerror (err), NULL));
  return FALSE;
}

/* Makes the new file's directory entry durable. */
static void
sync_parent_dir (SeecitvCryptSink * self)
{
  gchar *dir = g_path_get_dirname (self->cur_location);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd < 0 || fsync (fd) != 0)
    GST_WARNING_OBJECT (self, "cannot sync directory %s: %s", dir,
        g_strerror (errno));
  if (fd >= 0)
    close (fd);
  g_free (dir);
}

static gboolean
seecitv_crypt_sink_start (GstBaseSink * sink)
{
  SeecitvCryptSink *self = SEECITV_CRYPT_SINK (sink);
  guint8 key[SEECITV_CLIP_KEY_SIZE];
  gchar *device_id;
  guint chunk_size;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  g_free (self->cur_location);
  self->cur_location = g_strdup (self->location);
  g_free (self->cur_keystore);
  self->cur_keystore = g_strdup (self->keystore);
  g_free (self->cur_passphrase_file);
  self->cur_passphrase_file = g_strdup (self->passphrase_file);
  device_id = g_strdup (self->device_id);
  chunk_size = self->chunk_size;
  self->started = TRUE;
  GST_OBJECT_UNLOCK (self);

  self->finished = FALSE;
  self->lost = FALSE;
  self->dirty = FALSE;
  self->last_sync_rt = GST_CLOCK_TIME_NONE;
  self->last_sync_mono = g_get_monotonic_time ();
  memset (&self->ids, 0, sizeof (self->ids));

  if (self->cur_location == NULL || self->cur_location[0] == '\0') {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("No file name specified for writing."), (NULL),
        ("property", G_TYPE_STRING, "location", NULL));
    goto fail;
  }
  if (self->cur_keystore == NULL || self->cur_keystore[0] == '\0') {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("No keystore specified."), (NULL),
        ("property", G_TYPE_STRING, "keystore", NULL));
    goto fail;
  }

  /* The file first: an existing file fails before any key is made. */
  self->fd = g_open (self->cur_location,
      O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (self->fd < 0) {
    int e = errno;

    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_WRITE,
        (e == EEXIST ? "The clip file exists already; not overwriting it." :
            "Could not open the clip file for writing."),
        ("%s: %s", self->cur_location, g_strerror (e)),
        ("location", G_TYPE_STRING, self->cur_location,
            "reason", G_TYPE_STRING, seecitv_reason_from_errno (e),
            "message", G_TYPE_STRING, g_strerror (e), NULL));
    goto fail;
  }
  /* Held while the file is open (released when it closes or the process
   * dies): seecitvsink recovers only the unlocked leftovers of a crash,
   * never a file another live writer has open. */
  if (flock (self->fd, LOCK_EX | LOCK_NB) != 0)
    GST_DEBUG_OBJECT (self, "cannot lock %s: %s", self->cur_location,
        g_strerror (errno));

  if (!create_clip_key (self, self->cur_keystore, self->cur_passphrase_file,
          device_id, self->cur_location, key))
    goto fail_unlink;

  self->writer = seecitv_clip_writer_new_for_fd (key, &self->ids, chunk_size,
      self->fd, &err);
  OPENSSL_cleanse (key, sizeof (key));
  if (self->writer == NULL) {
    post_write_error (self, err, TRUE);
    g_clear_error (&err);
    goto fail_unlink;
  }
  if (!sync_fd (self, TRUE))
    goto fail_unlink;
  sync_parent_dir (self);

  GST_INFO_OBJECT (self, "writing clip %s for device %s", self->cur_location,
      device_id);
  g_free (device_id);
  return TRUE;

fail_unlink:
  /* Nothing of the clip was written yet (or only its header): no clip. The
   * key, if made, stays indexed: `seecitv purge` finds its file missing. */
  g_clear_pointer (&self->writer, seecitv_clip_writer_free);
  close (self->fd);
  self->fd = -1;
  g_unlink (self->cur_location);
fail:
  g_free (device_id);
  GST_OBJECT_LOCK (self);
  self->started = FALSE;
  GST_OBJECT_UNLOCK (self);
  return FALSE;
}

static gboolean
seecitv_crypt_sink_stop (GstBaseSink * sink)
{
  SeecitvCryptSink *self = SEECITV_CRYPT_SINK (sink);
  GError *err = NULL;
  gboolean seal;

  GST_OBJECT_LOCK (self);
  seal = self->seal_on_stop;
  GST_OBJECT_UNLOCK (self);

  /* READY to NULL: the streaming thread is gone, nothing races us. */
  if (seal && self->writer != NULL && !self->finished && !self->lost) {
    /* The stop ends the recording: complete, as at EOS. On failure the
     * clip is what was synced, a truncated clip, and a warning says so. */
    GST_INFO_OBJECT (self, "stopped before EOS: sealing %s",
        self->cur_location);
    seecitv_crypt_sink_finish (self, FALSE);
  } else if (self->writer != NULL && !self->finished) {
    /* No EOS: keep what came, as a truncated clip. */
    GST_INFO_OBJECT (self, "stopped before EOS: %s stays truncated",
        self->cur_location);
    if (!seecitv_clip_writer_flush (self->writer, &err)) {
      GST_WARNING_OBJECT (self, "final flush failed: %s",
          err != NULL ? err->message : "writer unusable");
      g_clear_error (&err);
    } else if (fsync (self->fd) != 0) {
      GST_WARNING_OBJECT (self, "final fsync failed: %s", g_strerror (errno));
    }
  }
  g_clear_pointer (&self->writer, seecitv_clip_writer_free);
  if (self->fd >= 0) {
    close (self->fd);
    self->fd = -1;
  }
  memset (&self->ids, 0, sizeof (self->ids));

  GST_OBJECT_LOCK (self);
  self->started = FALSE;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
seecitv_crypt_sink_query (GstBaseSink * sink, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_SEEKING:{
      GstFormat fmt;

      /* Append-only: never seekable, whatever the format. */
      gst_query_parse_seeking (query, &fmt, NULL, NULL, NULL);
      gst_query_set_seeking (query, fmt, FALSE, 0, -1);
      return TRUE;
    }
    default:
      return GST_BASE_SINK_CLASS (parent_class)->query (sink, query);
  }
}

/* Seals and syncs if the interval passed. @rt is the running time of the
 * data just appended, or NONE. */
static gboolean
maybe_sync (SeecitvCryptSink * self, GstClockTime rt)
{
  GError *err = NULL;
  guint64 interval;
  gint64 now = g_get_monotonic_time ();
  gboolean due;

  GST_OBJECT_LOCK (self);
  interval = self->sync_interval;
  GST_OBJECT_UNLOCK (self);

  if (GST_CLOCK_TIME_IS_VALID (rt) &&
      !GST_CLOCK_TIME_IS_VALID (self->last_sync_rt))
    self->last_sync_rt = rt;

  due = interval == 0 ||
      (guint64) (now - self->last_sync_mono) * GST_USECOND >= interval ||
      (GST_CLOCK_TIME_IS_VALID (rt) && rt >= self->last_sync_rt &&
      rt - self->last_sync_rt >= interval);
  if (!due || !self->dirty)
    return TRUE;

  GST_LOG_OBJECT (self, "sync at running time %" GST_TIME_FORMAT,
      GST_TIME_ARGS (rt));
  if (!seecitv_clip_writer_flush (self->writer, &err)) {
    post_write_error (self, err, TRUE);
    g_clear_error (&err);
    return FALSE;
  }
  if (!sync_fd (self, TRUE))
    return FALSE;
  self->dirty = FALSE;
  self->last_sync_mono = now;
  if (GST_CLOCK_TIME_IS_VALID (rt))
    self->last_sync_rt = rt;
  return TRUE;
}

static GstClockTime
buffer_running_time (SeecitvCryptSink * self, GstBuffer * buffer)
{
  GstSegment *segment = &GST_BASE_SINK (self)->segment;
  GstClockTime ts = GST_BUFFER_DTS_OR_PTS (buffer);

  if (!GST_CLOCK_TIME_IS_VALID (ts) || segment->format != GST_FORMAT_TIME)
    return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time (segment, GST_FORMAT_TIME, ts);
}

static GstFlowReturn
seecitv_crypt_sink_append (SeecitvCryptSink * self, GstBuffer * buffer)
{
  GError *err = NULL;
  guint i, n;

  if (self->writer == NULL || self->finished) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Data after the end of the clip."), (NULL));
    return GST_FLOW_ERROR;
  }
  /* Each memory on its own: gst_buffer_map() would first copy a buffer of
   * several memories into one. */
  n = gst_buffer_n_memory (buffer);
  for (i = 0; i < n; i++) {
    GstMemory *mem = gst_buffer_peek_memory (buffer, i);
    GstMapInfo map;
    gboolean ok;

    if (!gst_memory_map (mem, &map, GST_MAP_READ)) {
      GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Cannot map a buffer."),
          (NULL));
      return GST_FLOW_ERROR;
    }
    ok = seecitv_clip_writer_append (self->writer, map.data, map.size, &err);
    gst_memory_unmap (mem, &map);
    if (!ok) {
      post_write_error (self, err, TRUE);
      g_clear_error (&err);
      return GST_FLOW_ERROR;
    }
    if (map.size > 0)
      self->dirty = TRUE;
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
seecitv_crypt_sink_render (GstBaseSink * sink, GstBuffer * buffer)
{
  SeecitvCryptSink *self = SEECITV_CRYPT_SINK (sink);
  GstFlowReturn ret;

  ret = seecitv_crypt_sink_append (self, buffer);
  if (ret != GST_FLOW_OK)
    return ret;
  if (!maybe_sync (self, buffer_running_time (self, buffer)))
    return GST_FLOW_ERROR;
  return GST_FLOW_OK;
}

static GstFlowReturn
seecitv_crypt_sink_render_list (GstBaseSink * sink, GstBufferList * list)
{
  SeecitvCryptSink *self = SEECITV_CRYPT_SINK (sink);
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  guint i, n = gst_buffer_list_length (list);

  for (i = 0; i < n; i++) {
    GstBuffer *buffer = gst_buffer_list_get (list, i);
    GstClockTime t = buffer_running_time (self, buffer);
    GstFlowReturn ret = seecitv_crypt_sink_append (self, buffer);

    if (ret != GST_FLOW_OK)
      return ret;
    if (GST_CLOCK_TIME_IS_VALID (t))
      rt = t;
  }
  if (!maybe_sync (self, rt))
    return GST_FLOW_ERROR;
  return GST_FLOW_OK;
}

/* Seals the final chunk, syncs, records the end time and posts
 * "seecitvcryptsink-closed": at EOS (@fatal: failures are errors) or when
 * seal-on-stop ends the clip at stop() (failures are warnings). */
static gboolean
seecitv_crypt_sink_finish (SeecitvCryptSink * self, gboolean fatal)
{
  GstSegment *segment = &GST_BASE_SINK (self)->segment;
  GstClockTime rt = GST_CLOCK_TIME_NONE;
  GError *err = NULL;
  GstStructure *s;
  gchar clip_id[2 * SEECITV_CLIP_ID_SIZE + 1];
  gchar *device_id;
  guint64 bytes, file_size;
  int i;

  if (self->writer == NULL || self->finished)
    return TRUE;
  /* Finished even when sealing fails (disk full): the writer takes no more
   * data, and the clip stays what was synced, a truncated clip. */
  self->finished = TRUE;
  if (!seecitv_clip_writer_finish (self->writer, &err)) {
    post_write_error (self, err, fatal);
    g_clear_error (&err);
    return FALSE;
  }
  if (!sync_fd (self, fatal))
    return FALSE;
  record_end_time (self);
  /* Saving drew random bytes in this streaming thread, which made OpenSSL
   * give it thread-local generators; pooled GStreamer threads may never
   * exit, so free them now (they are remade on the next use). */
  OPENSSL_thread_stop ();

  for (i = 0; i < SEECITV_CLIP_ID_SIZE; i++)
    g_snprintf (clip_id + 2 * i, 3, "%02x", self->ids.clip_id[i]);
  bytes = seecitv_clip_writer_get_bytes_appended (self->writer);
  file_size = seecitv_clip_writer_get_bytes_written (self->writer);
  if (segment->format == GST_FORMAT_TIME &&
      GST_CLOCK_TIME_IS_VALID (segment->position))
    rt = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
        segment->position);
  GST_OBJECT_LOCK (self);
  device_id = g_strdup (self->device_id);
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "clip %s complete: %" G_GUINT64_FORMAT " bytes",
      self->cur_location, bytes);
  s = gst_structure_new ("seecitvcryptsink-closed",
      "location", G_TYPE_STRING, self->cur_location,
      "clip-id", G_TYPE_STRING, clip_id,
      "device-id", G_TYPE_STRING, device_id,
      "bytes", G_TYPE_UINT64, bytes,
      "file-size", G_TYPE_UINT64, file_size,
      "running-time", G_TYPE_UINT64, rt, NULL);
  g_free (device_id);
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
  return TRUE;
}

static gboolean
seecitv_crypt_sink_event (GstBaseSink * sink, GstEvent * event)
{
  SeecitvCryptSink *self = SEECITV_CRYPT_SINK (sink);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS &&
      !seecitv_crypt_sink_finish (self, TRUE)) {
    gst_event_unref (event);
    return FALSE;
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}
