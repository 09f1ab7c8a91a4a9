/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvdecrypt: the GStreamer side of reading a clip. Pads, events,
 * caps (by typefinding the plaintext), the keystore lookup, errors and the
 * truncation message live here; chunk authentication is clip.c (clip.h).
 */

/**
 * SECTION:element-seecitvdecrypt
 * @title: seecitvdecrypt
 *
 * Takes the bytes of a clip written by seecitvcryptsink (docs/clip-format.md)
 * and outputs the container bytes that were given to the sink. The clip's
 * data key comes from #SeecitvDecrypt:keystore (unlocked by the master key
 * file `KEYSTORE.key` beside it, or by #SeecitvDecrypt:passphrase-file),
 * looked up by the clip id in the header.
 *
 * Plaintext leaves the element only after the chunk holding it has
 * authenticated, so nothing tampered with ever reaches downstream. The
 * output caps are found by typefinding the first plaintext bytes (for a
 * seecitv recording, `video/x-matroska`), `application/octet-stream` when
 * nothing matches; the output segment is in bytes. The element does not
 * seek.
 *
 * Every reading is written to the keystore's access log (time, clip id,
 * device, file, user and process; `seecitv audit` prints it, and entries
 * older than three months are removed at every write) once the clip
 * header has been read and before the first plaintext byte leaves the
 * element, as #SeecitvDecrypt:purpose says (`play` unless a tool says
 * `export` or `sheet`). When the entry cannot be written, nothing is
 * played: the element fails with RESOURCE / WRITE.
 *
 * A wrong key, a clip the keystore has no key for, and any tampering with
 * the clip are errors. A clip stops before its final chunk after a crash
 * (`kill -9`, power loss), a failed write, or when it is read while being
 * recorded; the keystore's index says which clips may: those whose state
 * is `recording` or `truncated` (clip states: `recording`, `complete`,
 * `truncated`, the same in `seecitv list` and `verify`). Such a clip is
 * not an error: the element delivers every authentic byte, then posts one
 * warning and a "seecitvdecrypt-truncated" message, then sends EOS, so
 * that the recording up to its last sync plays. A clip the index records
 * as `complete` (its state when the reading started) that ends before its
 * final chunk had its end cut off: every authentic byte is delivered, then
 * the element fails (STREAM / DECRYPT, `reason` `truncated`).
 *
 * ## Messages
 *
 * "seecitvdecrypt-truncated", an element message posted before EOS when
 * the clip has no final chunk:
 *
 * * `bytes` (guint64): plaintext bytes delivered, all authentic.
 * * `chunks` (guint64): chunks delivered.
 * * `clip-id` (gchararray): the clip id, 32 lowercase hex digits ("" when
 *   not even the header was complete).
 *
 * The warning posted just before it (STREAM / DECODE) carries the same
 * fields as details.
 *
 * ## Errors
 *
 * * STREAM / DECRYPT: the clip does not authenticate: wrong key (reason
 *   `wrong-key`, `key-mismatch`), a tampered, reordered or forged chunk
 *   (`auth`), a malformed chunk or header (`corrupt`, `unsupported-version`,
 *   `trailing-data`, `too-long`), a clip indexed as complete whose end is
 *   missing (`truncated`). Details: `reason` (gchararray),
 *   `chunk-index` (guint64, the chunk that failed, counting from 0; for
 *   `truncated`, the missing one), `clip-id` (gchararray, when the header
 *   was read).
 * * STREAM / DECRYPT_NOKEY: the keystore has no key for this clip (another
 *   keystore, or the clip was deleted or its device forgotten). Details:
 *   `reason` (`no-key`), `clip-id`.
 * * STREAM / WRONG_TYPE: the input is not a clip (`reason` `bad-magic`).
 * * RESOURCE / OPEN_READ: the keystore cannot be opened or unlocked
 *   (details: `keystore`, `reason`).
 * * RESOURCE / WRITE: the access log entry cannot be written (details:
 *   `keystore`, `reason`, `clip-id`).
 * * LIBRARY / FAILED: OpenSSL failed.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 filesrc location=clip.mkv.sctv ! \
 *     seecitvdecrypt keystore=keys.db ! matroskademux ! h264parse ! \
 *     avdec_h264 ! videoconvert ! autovideosink
 * ]| Plays a clip.
 * |[
 * gst-launch-1.0 filesrc location=clip.mkv.sctv ! \
 *     seecitvdecrypt keystore=keys.db ! filesink location=clip.mkv
 * ]| Writes the clear (streamable) Matroska bytes; `seecitv export` also
 * remuxes them into a seekable file.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseecitvdecrypt.h"
#include <seecitv/gstproperty.h>
#include <seecitv/reason.h>

#include <string.h>

#include <gst/base/gsttypefindhelper.h>
#include <openssl/crypto.h>

GST_DEBUG_CATEGORY_STATIC (seecitv_decrypt_debug);
#define GST_CAT_DEFAULT seecitv_decrypt_debug

#define DEFAULT_KEYSTORE NULL
#define DEFAULT_PASSPHRASE_FILE NULL
#define DEFAULT_PURPOSE SEECITV_ACCESS_PLAY

/* Plaintext held back before the first push, so that typefinding sees
 * enough (a sync can make the first chunk tiny). */
#define TYPEFIND_MIN_BYTES 4096

enum
{
  PROP_0,
  PROP_KEYSTORE,
  PROP_PASSPHRASE_FILE,
  PROP_PURPOSE,
};

#define SEECITV_TYPE_DECRYPT_PURPOSE (seecitv_decrypt_purpose_get_type ())
static GType
seecitv_decrypt_purpose_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {SEECITV_ACCESS_PLAY, "Playback", "play"},
    {SEECITV_ACCESS_EXPORT, "Export to a file in clear (seecitv export)",
        "export"},
    {SEECITV_ACCESS_SHEET, "Contact sheet (seecitv sheet)", "sheet"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("SeecitvDecryptPurpose", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS_ANY);

#define seecitv_decrypt_parent_class parent_class
G_DEFINE_TYPE (SeecitvDecrypt, seecitv_decrypt, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE (seecitvdecrypt, "seecitvdecrypt",
    GST_RANK_NONE, SEECITV_TYPE_DECRYPT);

static void seecitv_decrypt_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void seecitv_decrypt_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void seecitv_decrypt_finalize (GObject * object);
static GstStateChangeReturn seecitv_decrypt_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn seecitv_decrypt_chain (GstPad * pad, GstObject * parent,
    GstBuffer * buffer);
static gboolean seecitv_decrypt_sink_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean seecitv_decrypt_src_event (GstPad * pad, GstObject * parent,
    GstEvent * event);
static gboolean seecitv_decrypt_src_query (GstPad * pad, GstObject * parent,
    GstQuery * query);

static void
seecitv_decrypt_class_init (SeecitvDecryptClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);

  gobject_class->set_property = seecitv_decrypt_set_property;
  gobject_class->get_property = seecitv_decrypt_get_property;
  gobject_class->finalize = seecitv_decrypt_finalize;

  g_object_class_install_property (gobject_class, PROP_KEYSTORE,
      g_param_spec_string ("keystore", "Keystore",
          "The keystore holding the clip's key. It is unlocked by its master "
          "key file, the same path with \".key\" appended, unless "
          "passphrase-file is set", DEFAULT_KEYSTORE,
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
  g_object_class_install_property (gobject_class, PROP_PURPOSE,
      g_param_spec_enum ("purpose", "Purpose",
          "What the keystore's access log records this reading as",
          SEECITV_TYPE_DECRYPT_PURPOSE, DEFAULT_PURPOSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "seecitv clip decrypter", "Decoder/Decryptor",
      "Decrypts a seecitv clip, passing on only authenticated bytes",
      "seecitv contributors");

  element_class->change_state =
      GST_DEBUG_FUNCPTR (seecitv_decrypt_change_state);

  GST_DEBUG_CATEGORY_INIT (seecitv_decrypt_debug, "seecitvdecrypt", 0,
      "seecitv clip decrypter");
}

static void
seecitv_decrypt_init (SeecitvDecrypt * self)
{
  self->sinkpad = gst_pad_new_from_static_template (&sink_template, "sink");
  gst_pad_set_chain_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (seecitv_decrypt_chain));
  gst_pad_set_event_function (self->sinkpad,
      GST_DEBUG_FUNCPTR (seecitv_decrypt_sink_event));
  gst_element_add_pad (GST_ELEMENT (self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template (&src_template, "src");
  gst_pad_set_event_function (self->srcpad,
      GST_DEBUG_FUNCPTR (seecitv_decrypt_src_event));
  gst_pad_set_query_function (self->srcpad,
      GST_DEBUG_FUNCPTR (seecitv_decrypt_src_query));
  gst_element_add_pad (GST_ELEMENT (self), self->srcpad);

  self->keystore = g_strdup (DEFAULT_KEYSTORE);
  self->passphrase_file = g_strdup (DEFAULT_PASSPHRASE_FILE);
  self->purpose = DEFAULT_PURPOSE;
}

static void
seecitv_decrypt_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  SeecitvDecrypt *self = SEECITV_DECRYPT (object);

  GST_OBJECT_LOCK (self);
  if (self->started) {
    /* The keystore is opened at READY->PAUSED: refused whole. */
    GST_OBJECT_UNLOCK (self);
    seecitv_warn_property_refused (GST_ELEMENT (self), pspec);
    return;
  }
  switch (prop_id) {
    case PROP_KEYSTORE:
      g_free (self->keystore);
      self->keystore = g_value_dup_string (value);
      break;
    case PROP_PASSPHRASE_FILE:
      g_free (self->passphrase_file);
      self->passphrase_file = g_value_dup_string (value);
      break;
    case PROP_PURPOSE:
      self->purpose = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
seecitv_decrypt_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  SeecitvDecrypt *self = SEECITV_DECRYPT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_KEYSTORE:
      g_value_set_string (value, self->keystore);
      break;
    case PROP_PASSPHRASE_FILE:
      g_value_set_string (value, self->passphrase_file);
      break;
    case PROP_PURPOSE:
      g_value_set_enum (value, self->purpose);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
seecitv_decrypt_reset (SeecitvDecrypt * self)
{
  g_clear_pointer (&self->reader, seecitv_clip_reader_free);
  g_clear_pointer (&self->ks, seecitv_keystore_free);
  if (self->out != NULL) {
    g_byte_array_unref (self->out);
    self->out = NULL;
  }
  self->caps_sent = FALSE;
  self->failed = FALSE;
  self->logged = FALSE;
  self->index_state = SEECITV_CLIP_STATE_RECORDING;
  self->offset = 0;
}

static void
seecitv_decrypt_finalize (GObject * object)
{
  SeecitvDecrypt *self = SEECITV_DECRYPT (object);

  seecitv_decrypt_reset (self);
  g_free (self->keystore);
  g_free (self->passphrase_file);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static gboolean
seecitv_decrypt_start (SeecitvDecrypt * self)
{
  gchar *keystore, *passphrase_file;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  keystore = g_strdup (self->keystore);
  passphrase_file = g_strdup (self->passphrase_file);
  self->cur_purpose = self->purpose;
  self->started = TRUE;
  GST_OBJECT_UNLOCK (self);

  seecitv_decrypt_reset (self);
  if (keystore == NULL || keystore[0] == '\0') {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("No keystore specified."), (NULL),
        ("property", G_TYPE_STRING, "keystore", NULL));
    goto fail;
  }
  self->ks = seecitv_keystore_open_default (keystore, passphrase_file, &err);
  if (self->ks == NULL) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_READ,
        ("Cannot open the keystore."), ("%s", err->message),
        ("keystore", G_TYPE_STRING, keystore,
            SEECITV_KEYSTORE_ERROR_DETAILS (err), NULL));
    g_clear_error (&err);
    goto fail;
  }
  /* An older keystore put back would give back purged keys and drop
   * newer access entries: nothing is played from it. */
  if (!seecitv_keystore_check_rollback (self->ks, &err)) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_READ,
        ("The keystore was rolled back to an older copy."),
        ("%s", err->message), ("keystore", G_TYPE_STRING, keystore,
            "reason", G_TYPE_STRING, SEECITV_REASON_ROLLBACK,
            "keystore-error", G_TYPE_INT, seecitv_keystore_error_code (err),
            "message", G_TYPE_STRING, err->message, NULL));
    g_clear_error (&err);
    g_clear_pointer (&self->ks, seecitv_keystore_free);
    goto fail;
  }
  /* Prefix mode: a cut clip is delivered up to its last chunk, and the
   * truncation is reported at EOS. Authentication failures stay errors. */
  self->reader = seecitv_clip_reader_new (seecitv_keystore_clip_key_func,
      self->ks, NULL, SEECITV_CLIP_READER_ALLOW_PREFIX);
  self->out = g_byte_array_new ();
  g_free (keystore);
  g_free (passphrase_file);
  return TRUE;

fail:
  g_free (keystore);
  g_free (passphrase_file);
  GST_OBJECT_LOCK (self);
  self->started = FALSE;
  GST_OBJECT_UNLOCK (self);
  return FALSE;
}

static GstStateChangeReturn
seecitv_decrypt_change_state (GstElement * element, GstStateChange transition)
{
  SeecitvDecrypt *self = SEECITV_DECRYPT (element);
  GstStateChangeReturn ret;

  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED &&
      !seecitv_decrypt_start (self))
    return GST_STATE_CHANGE_FAILURE;

  ret = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);

  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY ||
      (transition == GST_STATE_CHANGE_READY_TO_PAUSED &&
          ret == GST_STATE_CHANGE_FAILURE)) {
    seecitv_decrypt_reset (self);
    GST_OBJECT_LOCK (self);
    self->started = FALSE;
    GST_OBJECT_UNLOCK (self);
  }
  return ret;
}

/* Fills @clip_id with the header's clip id in hex, or "" if none yet. */
static void
format_clip_id (SeecitvDecrypt * self, gchar * clip_id)
{
  const SeecitvClipHeader *h = NULL;
  int i;

  if (self->reader != NULL)
    h = seecitv_clip_reader_get_header (self->reader);
  clip_id[0] = '\0';
  if (h == NULL)
    return;
  for (i = 0; i < SEECITV_CLIP_ID_SIZE; i++)
    g_snprintf (clip_id + 2 * i, 3, "%02x", h->ids.clip_id[i]);
}

static const gchar *
clip_error_reason (GError * err)
{
  if (err->domain == SEECITV_KEYSTORE_ERROR) {
    switch (err->code) {
      case SEECITV_KEYSTORE_ERROR_NOT_FOUND:
        return "no-key";
      case SEECITV_KEYSTORE_ERROR_KEY_MISMATCH:
        return "key-mismatch";
      case SEECITV_KEYSTORE_ERROR_CRYPTO:
        return "crypto";
      default:
        return "keystore";
    }
  }
  if (err->domain == SEECITV_CLIP_ERROR) {
    switch (err->code) {
      case SEECITV_CLIP_ERROR_BAD_MAGIC:
        return "bad-magic";
      case SEECITV_CLIP_ERROR_UNSUPPORTED_VERSION:
        return "unsupported-version";
      case SEECITV_CLIP_ERROR_CORRUPT:
        return "corrupt";
      case SEECITV_CLIP_ERROR_WRONG_KEY:
        return "wrong-key";
      case SEECITV_CLIP_ERROR_AUTH:
        return "auth";
      case SEECITV_CLIP_ERROR_TRUNCATED:
        return "truncated";
      case SEECITV_CLIP_ERROR_TRAILING_DATA:
        return "trailing-data";
      case SEECITV_CLIP_ERROR_TOO_LONG:
        return "too-long";
      case SEECITV_CLIP_ERROR_CRYPTO:
        return "crypto";
      default:
        return "failed";
    }
  }
  return "failed";
}

/* Posts the error for a failed push or finish of the reader. */
static void
post_clip_error (SeecitvDecrypt * self, GError * err)
{
  gchar clip_id[2 * SEECITV_CLIP_ID_SIZE + 1];
  const gchar *reason = clip_error_reason (err);
  guint64 chunk = seecitv_clip_reader_get_chunks_verified (self->reader);

  format_clip_id (self, clip_id);
  if (g_str_equal (reason, "crypto"))
    GST_ELEMENT_ERROR_WITH_DETAILS (self, LIBRARY, FAILED,
        ("OpenSSL failed while decrypting the clip."), ("%s", err->message),
        ("reason", G_TYPE_STRING, reason, "clip-id", G_TYPE_STRING, clip_id,
            NULL));
  else if (g_str_equal (reason, "no-key"))
    GST_ELEMENT_ERROR_WITH_DETAILS (self, STREAM, DECRYPT_NOKEY,
        ("The keystore has no key for this clip."), ("%s", err->message),
        ("reason", G_TYPE_STRING, reason, "clip-id", G_TYPE_STRING, clip_id,
            NULL));
  else if (g_str_equal (reason, "bad-magic"))
    GST_ELEMENT_ERROR_WITH_DETAILS (self, STREAM, WRONG_TYPE,
        ("This is not a seecitv clip."), ("%s", err->message),
        ("reason", G_TYPE_STRING, reason, NULL));
  else
    GST_ELEMENT_ERROR_WITH_DETAILS (self, STREAM, DECRYPT,
        ("The clip does not authenticate: wrong key, or tampered with."),
        ("chunk %" G_GUINT64_FORMAT ": %s", chunk, err->message),
        ("reason", G_TYPE_STRING, reason,
            "chunk-index", G_TYPE_UINT64, chunk,
            "clip-id", G_TYPE_STRING, clip_id, NULL));
}

/* Returns: (transfer full) (nullable): the local file upstream reads, else
 * its URI */
static gchar *
query_upstream_location (SeecitvDecrypt * self)
{
  GstQuery *query = gst_query_new_uri ();
  gchar *uri = NULL, *location = NULL;

  if (gst_pad_peer_query (self->sinkpad, query))
    gst_query_parse_uri (query, &uri);
  gst_query_unref (query);
  if (uri != NULL && g_str_has_prefix (uri, "file:"))
    location = g_filename_from_uri (uri, NULL, NULL);
  if (location == NULL)
    location = g_steal_pointer (&uri);
  g_free (uri);
  return location;
}

/* Writes the access log entry, once, as soon as the header names the clip.
 * Returns FALSE after posting an error. */
static gboolean
log_access (SeecitvDecrypt * self)
{
  const SeecitvClipHeader *h;
  gchar *location;
  GError *err = NULL;
  gboolean ok;

  if (self->logged)
    return TRUE;
  h = seecitv_clip_reader_get_header (self->reader);
  if (h == NULL)
    return TRUE;
  location = query_upstream_location (self);
  ok = seecitv_keystore_record_access (self->ks, self->cur_purpose,
      h->ids.clip_id, location, &err);
  g_free (location);
  /* Saving drew random bytes (the keystore's nonce) in this streaming
   * thread, which made OpenSSL give it thread-local generators; pooled
   * GStreamer threads may never exit, so free them now (as
   * seecitvcryptsink does; they are remade on the next use). */
  OPENSSL_thread_stop ();
  if (!ok) {
    gchar clip_id[2 * SEECITV_CLIP_ID_SIZE + 1];
    gchar *keystore;

    format_clip_id (self, clip_id);
    GST_OBJECT_LOCK (self);
    keystore = g_strdup (self->keystore);
    GST_OBJECT_UNLOCK (self);
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, WRITE,
        ("Cannot write the access log: the clip is not played."),
        ("%s", err->message), ("keystore", G_TYPE_STRING, keystore,
            SEECITV_KEYSTORE_ERROR_DETAILS (err),
            "clip-id", G_TYPE_STRING, clip_id, NULL));
    g_free (keystore);
    g_clear_error (&err);
    self->failed = TRUE;
    return FALSE;
  }
  /* The state as of this reading's start: a clip sealed since, while we
   * read its earlier bytes, was not complete when it was read. */
  if (!seecitv_keystore_get_clip_state (self->ks, h->ids.clip_id,
          &self->index_state))
    self->index_state = SEECITV_CLIP_STATE_RECORDING;
  self->logged = TRUE;
  return TRUE;
}

/* Pushes the held plaintext, preceded by caps and a segment the first
 * time. */
static GstFlowReturn
push_out (SeecitvDecrypt * self)
{
  GstBuffer *buffer;
  gsize len = self->out->len;

  if (len > 0 && !log_access (self))
    return GST_FLOW_ERROR;

  if (!self->caps_sent) {
    GstTypeFindProbability prob = GST_TYPE_FIND_NONE;
    GstCaps *caps = NULL;
    GstSegment segment;

    if (len > 0)
      caps = gst_type_find_helper_for_data (GST_OBJECT (self),
          self->out->data, len, &prob);
    if (caps == NULL)
      caps = gst_caps_new_empty_simple ("application/octet-stream");
    GST_DEBUG_OBJECT (self, "output caps %" GST_PTR_FORMAT, caps);
    gst_pad_push_event (self->srcpad, gst_event_new_caps (caps));
    gst_caps_unref (caps);
    gst_segment_init (&segment, GST_FORMAT_BYTES);
    gst_pad_push_event (self->srcpad, gst_event_new_segment (&segment));
    self->caps_sent = TRUE;
  }
  if (len == 0)
    return GST_FLOW_OK;

  buffer = gst_buffer_new_wrapped (g_byte_array_free (self->out, FALSE), len);
  self->out = g_byte_array_new ();
  GST_BUFFER_OFFSET (buffer) = self->offset;
  GST_BUFFER_OFFSET_END (buffer) = self->offset + len;
  self->offset += len;
  return gst_pad_push (self->srcpad, buffer);
}

static GstFlowReturn
seecitv_decrypt_chain (GstPad * pad, GstObject * parent, GstBuffer * buffer)
{
  SeecitvDecrypt *self = SEECITV_DECRYPT (parent);
  GError *err = NULL;
  GstMapInfo map;
  gboolean ok;

  if (self->failed || self->reader == NULL) {
    gst_buffer_unref (buffer);
    return GST_FLOW_ERROR;
  }
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    gst_buffer_unref (buffer);
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Cannot map a buffer."), (NULL));
    return GST_FLOW_ERROR;
  }
  ok = seecitv_clip_reader_push (self->reader, map.data, map.size, self->out,
      &err);
  gst_buffer_unmap (buffer, &map);
  gst_buffer_unref (buffer);

  if (!ok) {
    /* What came out before the failing chunk is authentic: deliver it,
     * then fail. */
    self->failed = TRUE;
    push_out (self);
    post_clip_error (self, err);
    g_clear_error (&err);
    return GST_FLOW_ERROR;
  }
  if (!self->caps_sent && self->out->len < TYPEFIND_MIN_BYTES)
    return GST_FLOW_OK;
  return push_out (self);
}

/* EOS: the clip must have ended with its final chunk, or be a prefix. */
static gboolean
seecitv_decrypt_eos (SeecitvDecrypt * self, GstEvent * event)
{
  SeecitvClipEnd end = SEECITV_CLIP_END_COMPLETE;
  GError *err = NULL;
  GstFlowReturn ret;

  if (self->failed || self->reader == NULL) {
    gst_event_unref (event);
    return FALSE;
  }
  if (!seecitv_clip_reader_finish (self->reader, &end, &err)) {
    self->failed = TRUE;
    push_out (self);
    post_clip_error (self, err);
    g_clear_error (&err);
    gst_event_unref (event);
    return FALSE;
  }
  /* A clip with no plaintext is a reading too. */
  if (!log_access (self)) {
    gst_event_unref (event);
    return FALSE;
  }
  ret = push_out (self);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_FLUSHING && ret != GST_FLOW_EOS)
    GST_DEBUG_OBJECT (self, "last push: %s", gst_flow_get_name (ret));

  if (end == SEECITV_CLIP_END_PREFIX) {
    guint64 bytes = seecitv_clip_reader_get_bytes_verified (self->reader);
    guint64 chunks = seecitv_clip_reader_get_chunks_verified (self->reader);
    gchar clip_id[2 * SEECITV_CLIP_ID_SIZE + 1];

    format_clip_id (self, clip_id);
    if (self->index_state == SEECITV_CLIP_STATE_COMPLETE) {
      /* Sealed complete, so no crash made this prefix: its end was cut
       * off (a cut copy, an attack that hides the end). */
      self->failed = TRUE;
      GST_ELEMENT_ERROR_WITH_DETAILS (self, STREAM, DECRYPT,
          ("The clip's end is missing: the keystore's index says it was "
              "sealed complete, but it ends before its final chunk."),
          ("%" G_GUINT64_FORMAT " bytes in %" G_GUINT64_FORMAT
              " chunks delivered", bytes, chunks),
          ("reason", G_TYPE_STRING, "truncated",
              "chunk-index", G_TYPE_UINT64, chunks,
              "clip-id", G_TYPE_STRING, clip_id, NULL));
      gst_event_unref (event);
      return FALSE;
    }
    GST_ELEMENT_WARNING_WITH_DETAILS (self, STREAM, DECODE,
        ("The clip is truncated: it ends before its final chunk (a crash "
            "or a cut copy); everything up to there was delivered."),
        ("%" G_GUINT64_FORMAT " bytes in %" G_GUINT64_FORMAT " chunks",
            bytes, chunks),
        ("bytes", G_TYPE_UINT64, bytes, "chunks", G_TYPE_UINT64, chunks,
            "clip-id", G_TYPE_STRING, clip_id, NULL));
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("seecitvdecrypt-truncated",
                "bytes", G_TYPE_UINT64, bytes,
                "chunks", G_TYPE_UINT64, chunks,
                "clip-id", G_TYPE_STRING, clip_id, NULL)));
  }
  return gst_pad_push_event (self->srcpad, event);
}

static gboolean
seecitv_decrypt_sink_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  SeecitvDecrypt *self = SEECITV_DECRYPT (parent);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:
    case GST_EVENT_SEGMENT:
      /* Ours differ: set when the first plaintext goes out. */
      gst_event_unref (event);
      return TRUE;
    case GST_EVENT_EOS:
      return seecitv_decrypt_eos (self, event);
    default:
      return gst_pad_event_default (pad, parent, event);
  }
}

static gboolean
seecitv_decrypt_src_event (GstPad * pad, GstObject * parent, GstEvent * event)
{
  if (GST_EVENT_TYPE (event) == GST_EVENT_SEEK) {
    /* Plaintext offsets are not ciphertext offsets, and a clip is read
     * from its start: no seeking. */
    gst_event_unref (event);
    return FALSE;
  }
  return gst_pad_event_default (pad, parent, event);
}

static gboolean
seecitv_decrypt_src_query (GstPad * pad, GstObject * parent, GstQuery * query)
{
  switch (GST_QUERY_TYPE (query)) {
    case GST_QUERY_SEEKING:{
      GstFormat fmt;

      gst_query_parse_seeking (query, &fmt, NULL, NULL, NULL);
      gst_query_set_seeking (query, fmt, FALSE, 0, -1);
      return TRUE;
    }
    case GST_QUERY_DURATION:
    case GST_QUERY_POSITION:{
      GstFormat fmt;

      /* Upstream would answer in ciphertext bytes. */
      if (GST_QUERY_TYPE (query) == GST_QUERY_DURATION)
        gst_query_parse_duration (query, &fmt, NULL);
      else
        gst_query_parse_position (query, &fmt, NULL);
      if (fmt == GST_FORMAT_BYTES)
        return FALSE;
      return gst_pad_query_default (pad, parent, query);
    }
    default:
      return gst_pad_query_default (pad, parent, query);
  }
}
