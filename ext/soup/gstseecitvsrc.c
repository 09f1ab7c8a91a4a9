/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsrc, the element: properties, the libsoup 3 session in its own
 * thread, the seecitv protocol handshake (the pure logic is in protocol.c),
 * TLS trust, reconnection, and turning multipart parts (parsed by
 * gst-libs/seecitv/multipart.c) into timestamped buffers. It does not parse
 * anything itself.
 */
/**
 * SECTION:element-seecitvsrc
 * @title: seecitvsrc
 *
 * A live source that pulls `multipart/x-mixed-replace` MJPEG over HTTP or
 * HTTPS and outputs one `image/jpeg` buffer per part, with a framerate and
 * timestamps in running time from the sender's capture times
 * (`X-Seecitv-Capture-Time`, ustreamer's `X-UStreamer-Grab-Time` with
 * `extra_headers=1` in the URL, `X-Timestamp`), relative to the fastest
 * frame since the last reconnection; the arrival time without them. The
 * framerate is measured from the first 4 frames' capture times when they
 * are regular (a dropped frame allowed), and is 0/1 (variable) otherwise;
 * never from arrival times. At a fixed rate a buffer lasts one period, at
 * a variable rate the interval since the buffer before it
 * (docs/elements.md, "Timestamps and framerate").
 *
 * With `device-id` and the device's pairing secret it speaks the seecitv
 * device protocol (docs/protocol.md). The secret comes from exactly one of
 * `device-key-file` (64 hex digits) or `keystore` (the keystore's pairing
 * secret for `device-id`, unlocked by `KEYSTORE.key` beside it or by
 * `passphrase-file`, as seecitvcryptsink does). The device's single-use
 * challenge is
 * answered with an HMAC-SHA256 proof keyed by the pairing secret, and the
 * device must prove the secret back, so an impostor is refused even over
 * plain HTTP. With `user-id`/`user-pw` it answers HTTP Basic or Digest, for
 * third-party servers. Authentication failures are immediate errors
 * (`RESOURCE NOT_AUTHORIZED`), never retried, with one exception: a
 * device that refuses our proof gets a second one over the fresh
 * challenge of its refusal (the first may have expired on the way or
 * been issued before the device restarted) before the secret is called
 * wrong (`wrong-secret`). A device that answers 503 with Retry-After
 * (too many logins at once) is waited for like any lost connection,
 * at least that long.
 *
 * TLS is strict: the system's trust, or `tls-ca-file`, or `tls-pin`
 * (`sha256:<hex>` of the DER certificate; when set it alone decides, and is
 * checked during the handshake, before any request byte). A refused
 * certificate is a `RESOURCE NOT_AUTHORIZED` error whose details carry the
 * `tls-fingerprint` seen.
 *
 * Every other failure (refused connection, reset, empty reply, stall longer
 * than `timeout`, end of stream) is retried with exponential back-off from
 * `retry-delay`, up to `max-retries` consecutive failures (-1: forever);
 * the first buffer after a gap has the DISCONT flag.
 *
 * A device whose clock jumps (its capture times move by more than 5 s
 * against their arrival) gets one `STREAM FORMAT` warning (details:
 * `reason` = `clock-jump`, `jump`, int64 ns, positive when backwards);
 * timestamps then follow arrival from that frame on, so they stay
 * monotonic and close to real time.
 *
 * A device that rate-limits us (HTTP 429 Too Many Requests, after too many
 * failed logins from our address) is not hammered: the source posts one
 * `RESOURCE BUSY` warning (details: `reason` = `rate-limited`,
 * `retry-after`, uint seconds) and waits at least the `Retry-After` the
 * device asked for (or the back-off, whichever is longer) before the next
 * attempt, which counts towards `max-retries`.
 *
 * Error details (GstStructure on the error message): `reason` (string:
 * `wrong-secret`, `impostor`, `wrong-device`, `not-seecitv`, `http-auth`,
 * `tls-untrusted`, `tls-pin-mismatch`, `tls-pin-plain-http`, `http-status`,
 * `gave-up`; with `gave-up`, `last-failure`, string, what the last attempt
 * met),
 * `http-status-code` (uint, when there was a response), `tls-fingerprint`
 * (string, for TLS refusals). Bad settings (both `device-key-file` and
 * `keystore`, either of them without `device-id`, `passphrase-file`
 * without `keystore`, an invalid device id or pin, a `tls-pin` with an
 * `http://` location, `reason` `tls-pin-plain-http`) are
 * `RESOURCE SETTINGS`; a keystore that cannot be
 * opened or has no pairing secret for the device is `RESOURCE OPEN_READ`
 * with details `reason` = `keystore`, `keystore-error` (int, the
 * SeecitvKeystoreError code) and `message` (docs/elements.md, "Error
 * details").
 *
 * Element messages:
 * - `seecitvsrc-disconnected`: `reason` (string: `network`,
 *   `end-of-stream`, `rate-limited`, `http-status`) and `message`
 *   (string), a stream that delivered frames was lost.
 * - `seecitvsrc-reconnected`: `attempts` (uint, connections tried since the
 *   loss), frames flow again.
 *
 * Tags: `seecitv-device-id` (the `device-id` property); with the seecitv
 * protocol also the device's model (`device-model`), name
 * (`seecitv-device-name`) and a keyed pseudonym of its MAC
 * (`seecitv-device-mac-pseudonym`): the MAC itself never leaves the element.
 *
 * ## Example launch line
 * |[
 * seecitv-device --port 8080 --key-file cam-1.key -d cam-1 &
 * gst-launch-1.0 seecitvsrc location=http://127.0.0.1:8080/seecitv/v1/stream \
 *     device-id=cam-1 device-key-file=cam-1.key num-buffers=50 \
 *     ! jpegdec ! fakesink
 * ]|
 * With the secret in a keystore (`KEYSTORE.key` beside it):
 * |[
 * gst-launch-1.0 seecitvsrc location=https://cam-1.lan:8443/seecitv/v1/stream \
 *     device-id=cam-1 keystore=keys.db tls-pin=sha256:... ! jpegdec ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvsrc-private.h"
#include <seecitv/gstproperty.h>
#include <seecitv/protocol/protocol.h>
#include <seecitv/protocol/tlspin.h>
#include <seecitv/crypto/keystore.h>

#include <seecitv/multipart.h>
#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <string.h>

GST_DEBUG_CATEGORY (seecitv_src_debug);
#define GST_CAT_DEFAULT seecitv_src_debug

#define DEFAULT_LOCATION NULL
#define DEFAULT_DEVICE_ID NULL
#define DEFAULT_TIMEOUT (10 * GST_SECOND)
#define DEFAULT_RETRY_DELAY (500 * GST_MSECOND)
#define DEFAULT_MAX_RETRIES -1
#define DEFAULT_MAX_FRAME_SIZE (8 * 1024 * 1024)

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_DEVICE_ID,
  PROP_DEVICE_KEY_FILE,
  PROP_KEYSTORE,
  PROP_PASSPHRASE_FILE,
  PROP_USER_ID,
  PROP_USER_PW,
  PROP_TLS_CA_FILE,
  PROP_TLS_PIN,
  PROP_TIMEOUT,
  PROP_RETRY_DELAY,
  PROP_MAX_RETRIES,
  PROP_MAX_FRAME_SIZE,
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("image/jpeg"));


G_DEFINE_TYPE (SeecitvSrc, seecitv_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE (seecitvsrc, "seecitvsrc", GST_RANK_NONE,
    SEECITV_TYPE_SRC);

static void seecitv_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void seecitv_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void seecitv_src_finalize (GObject * object);
static gboolean seecitv_src_start (GstBaseSrc * bsrc);
static gboolean seecitv_src_stop (GstBaseSrc * bsrc);
static gboolean seecitv_src_unlock (GstBaseSrc * bsrc);
static gboolean seecitv_src_unlock_stop (GstBaseSrc * bsrc);
static gboolean seecitv_src_negotiate (GstBaseSrc * bsrc);
static GstFlowReturn seecitv_src_create (GstPushSrc * psrc,
    GstBuffer ** outbuf);

/* ---- properties ---- */


void
seecitv_src_wipe_string (gchar ** s)
{
  if (*s != NULL) {
    OPENSSL_cleanse (*s, strlen (*s));
    g_clear_pointer (s, g_free);
  }
}

static void
seecitv_src_class_init (SeecitvSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);
  const GParamFlags rw_ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  gobject_class->set_property = seecitv_src_set_property;
  gobject_class->get_property = seecitv_src_get_property;
  gobject_class->finalize = seecitv_src_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "http:// or https:// URL of the multipart MJPEG stream",
          DEFAULT_LOCATION, rw_ready));
  g_object_class_install_property (gobject_class, PROP_DEVICE_ID,
      g_param_spec_string ("device-id", "Device id",
          "The device's id ([A-Za-z0-9._-]{1,64}); with device-key-file or "
          "keystore, use the seecitv protocol; also the seecitv-device-id tag",
          DEFAULT_DEVICE_ID, rw_ready));
  g_object_class_install_property (gobject_class, PROP_DEVICE_KEY_FILE,
      g_param_spec_string ("device-key-file", "Device key file",
          "File holding the device's pairing secret (64 hex digits, mode "
          "0600); exclusive with keystore", NULL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_KEYSTORE,
      g_param_spec_string ("keystore", "Keystore",
          "Keystore file holding the pairing secret for device-id (unlocked "
          "by KEYSTORE.key beside it unless passphrase-file is set); "
          "exclusive with device-key-file", NULL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_PASSPHRASE_FILE,
      g_param_spec_string ("passphrase-file", "Passphrase file",
          "File holding the keystore's passphrase (mode 0600), for a "
          "keystore protected by a passphrase instead of a key file", NULL,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_USER_ID,
      g_param_spec_string ("user-id", "User id",
          "User name for HTTP Basic/Digest authentication (write-only)",
          NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_USER_PW,
      g_param_spec_string ("user-pw", "User password",
          "Password for HTTP Basic/Digest authentication (write-only)",
          NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file",
          "PEM file of the CA (or the self-signed device certificate) to "
          "trust instead of the system's", NULL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_TLS_PIN,
      g_param_spec_string ("tls-pin", "TLS pin",
          "sha256:<64 lowercase hex> of the device's DER certificate; when "
          "set, the only certificate accepted", NULL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint64 ("timeout", "Timeout",
          "Connection and stall timeout in nanoseconds (rounded up to whole "
          "seconds)", GST_SECOND, 3600 * GST_SECOND, DEFAULT_TIMEOUT,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_RETRY_DELAY,
      g_param_spec_uint64 ("retry-delay", "Retry delay",
          "First back-off before reconnecting, in nanoseconds; doubles at "
          "each failed attempt, up to 32 times", GST_MSECOND,
          600 * GST_SECOND, DEFAULT_RETRY_DELAY, rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_RETRIES,
      g_param_spec_int ("max-retries", "Max retries",
          "Consecutive failed connection attempts before an error "
          "(-1: forever)", -1, G_MAXINT, DEFAULT_MAX_RETRIES, rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_FRAME_SIZE,
      g_param_spec_uint ("max-frame-size", "Max frame size",
          "Largest part in bytes; a larger one is dropped with the "
          "connection (counted warning)", 1024,
          SEECITV_MULTIPART_MAX_PART_SIZE_LIMIT, DEFAULT_MAX_FRAME_SIZE,
          rw_ready));

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "seecitv device source", "Source/Network",
      "Pulls a device's MJPEG stream over HTTP(S) with mutual "
      "authentication, TLS pinning and reconnection", "seecitv contributors");

  basesrc_class->start = GST_DEBUG_FUNCPTR (seecitv_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (seecitv_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (seecitv_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (seecitv_src_unlock_stop);
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR (seecitv_src_negotiate);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (seecitv_src_create);

  gst_tag_register (SEECITV_TAG_DEVICE_ID, GST_TAG_FLAG_META, G_TYPE_STRING,
      "seecitv device id", "The seecitv device the stream came from", NULL);
  gst_tag_register (SEECITV_TAG_DEVICE_NAME, GST_TAG_FLAG_META,
      G_TYPE_STRING, "seecitv device name", "The device's own name", NULL);
  gst_tag_register (SEECITV_TAG_MAC_PSEUDONYM, GST_TAG_FLAG_META,
      G_TYPE_STRING, "seecitv device MAC pseudonym",
      "Keyed hash of the device's MAC address", NULL);

  GST_DEBUG_CATEGORY_INIT (seecitv_src_debug, "seecitvsrc", 0,
      "seecitv device source");
}

static void
seecitv_src_init (SeecitvSrc * self)
{
  self->timeout = DEFAULT_TIMEOUT;
  self->retry_delay = DEFAULT_RETRY_DELAY;
  self->max_retries = DEFAULT_MAX_RETRIES;
  self->max_frame_size = DEFAULT_MAX_FRAME_SIZE;
  g_mutex_init (&self->qlock);
  g_cond_init (&self->qcond);
  g_queue_init (&self->frames);
  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

static void
seecitv_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  SeecitvSrc *self = SEECITV_SRC (object);

  GST_OBJECT_LOCK (self);
  if (GST_STATE (self) > GST_STATE_READY) {
    /* everything is copied to the worker at start: refused whole */
    GST_OBJECT_UNLOCK (self);
    seecitv_warn_property_refused (GST_ELEMENT (self), pspec);
    return;
  }
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_DEVICE_ID:
      g_free (self->device_id);
      self->device_id = g_value_dup_string (value);
      break;
    case PROP_DEVICE_KEY_FILE:
      g_free (self->device_key_file);
      self->device_key_file = g_value_dup_string (value);
      break;
    case PROP_KEYSTORE:
      g_free (self->keystore);
      self->keystore = g_value_dup_string (value);
      break;
    case PROP_PASSPHRASE_FILE:
      g_free (self->passphrase_file);
      self->passphrase_file = g_value_dup_string (value);
      break;
    case PROP_USER_ID:
      seecitv_src_wipe_string (&self->user_id);
      self->user_id = g_value_dup_string (value);
      break;
    case PROP_USER_PW:
      seecitv_src_wipe_string (&self->user_pw);
      self->user_pw = g_value_dup_string (value);
      break;
    case PROP_TLS_CA_FILE:
      g_free (self->tls_ca_file);
      self->tls_ca_file = g_value_dup_string (value);
      break;
    case PROP_TLS_PIN:
      g_free (self->tls_pin);
      self->tls_pin = g_value_dup_string (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint64 (value);
      break;
    case PROP_RETRY_DELAY:
      self->retry_delay = g_value_get_uint64 (value);
      break;
    case PROP_MAX_RETRIES:
      self->max_retries = g_value_get_int (value);
      break;
    case PROP_MAX_FRAME_SIZE:
      self->max_frame_size = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
seecitv_src_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  SeecitvSrc *self = SEECITV_SRC (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_DEVICE_ID:
      g_value_set_string (value, self->device_id);
      break;
    case PROP_DEVICE_KEY_FILE:
      g_value_set_string (value, self->device_key_file);
      break;
    case PROP_KEYSTORE:
      g_value_set_string (value, self->keystore);
      break;
    case PROP_PASSPHRASE_FILE:
      g_value_set_string (value, self->passphrase_file);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    case PROP_TLS_PIN:
      g_value_set_string (value, self->tls_pin);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint64 (value, self->timeout);
      break;
    case PROP_RETRY_DELAY:
      g_value_set_uint64 (value, self->retry_delay);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_int (value, self->max_retries);
      break;
    case PROP_MAX_FRAME_SIZE:
      g_value_set_uint (value, self->max_frame_size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

void
seecitv_src_frame_free (Frame * f)
{
  g_bytes_unref (f->jpeg);
  g_free (f);
}

static void
seecitv_src_finalize (GObject * object)
{
  SeecitvSrc *self = SEECITV_SRC (object);

  g_free (self->location);
  g_free (self->device_id);
  g_free (self->device_key_file);
  g_free (self->keystore);
  g_free (self->passphrase_file);
  seecitv_src_wipe_string (&self->user_id);
  seecitv_src_wipe_string (&self->user_pw);
  g_free (self->tls_ca_file);
  g_free (self->tls_pin);
  g_queue_clear_full (&self->frames, (GDestroyNotify) seecitv_src_frame_free);
  g_clear_pointer (&self->pending_tags, gst_tag_list_unref);
  g_mutex_clear (&self->qlock);
  g_cond_clear (&self->qcond);

  G_OBJECT_CLASS (seecitv_src_parent_class)->finalize (object);
}

/* ---- GstBaseSrc ---- */

/* Reads device-id's pairing secret from @keystore into @key; on failure
 * posts the error and returns FALSE. The secret never leaves @key (the
 * keystore's copy is wiped with it when freed). */
static gboolean
load_keystore_secret (SeecitvSrc * self, const gchar * keystore,
    const gchar * passphrase_file, const gchar * device_id, guint8 * key)
{
  guint8 secret[SEECITV_KEYSTORE_MAX_SECRET_SIZE];
  SeecitvKeystore *ks;
  GError *err = NULL;
  gssize len = -1;

  ks = seecitv_keystore_open_default (keystore, passphrase_file, &err);
  if (ks != NULL) {
    len = seecitv_keystore_get_pairing_secret (ks, device_id, secret,
        sizeof (secret), &err);
    seecitv_keystore_free (ks);
  }
  if (len >= 0 && len != SEECITV_PROTOCOL_KEY_LEN) {
    g_set_error (&err, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID,
        "the pairing secret for this device is %" G_GSSIZE_FORMAT
        " bytes, not %d", len, SEECITV_PROTOCOL_KEY_LEN);
    len = -1;
  }
  if (len < 0) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, OPEN_READ,
        ("Cannot get the device's pairing secret from the keystore"),
        ("%s: %s", keystore, err->message),
        (SEECITV_KEYSTORE_ERROR_DETAILS (err), NULL));
    g_clear_error (&err);
    OPENSSL_cleanse (secret, sizeof (secret));
    return FALSE;
  }
  memcpy (key, secret, SEECITV_PROTOCOL_KEY_LEN);
  OPENSSL_cleanse (secret, sizeof (secret));
  return TRUE;
}

static gboolean
seecitv_src_start (GstBaseSrc * bsrc)
{
  SeecitvSrc *self = SEECITV_SRC (bsrc);
  Worker *w = g_new0 (Worker, 1);
  gchar *key_file, *keystore, *passphrase_file;
  GUri *uri;
  GError *err = NULL;
  const gchar *scheme;

  GST_OBJECT_LOCK (self);
  w->src = self;
  w->location = g_strdup (self->location);
  w->device_id = g_strdup (self->device_id);
  w->user_id = g_strdup (self->user_id);
  w->user_pw = g_strdup (self->user_pw);
  w->tls_ca_file = g_strdup (self->tls_ca_file);
  w->tls_pin = g_strdup (self->tls_pin);
  w->timeout = self->timeout;
  w->retry_delay = self->retry_delay;
  w->max_retries = self->max_retries;
  w->max_frame_size = self->max_frame_size;
  key_file = g_strdup (self->device_key_file);
  keystore = g_strdup (self->keystore);
  passphrase_file = g_strdup (self->passphrase_file);
  GST_OBJECT_UNLOCK (self);

  if (w->location == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No location set"), (NULL));
    goto fail;
  }
  uri = g_uri_parse (w->location, SOUP_HTTP_URI_FLAGS, &err);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || (g_ascii_strcasecmp (scheme, "http") != 0 &&
          g_ascii_strcasecmp (scheme, "https") != 0)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("location must be an http:// or https:// URL"),
        ("%s", err ? err->message : "unsupported scheme"));
    g_clear_error (&err);
    if (uri != NULL)
      g_uri_unref (uri);
    goto fail;
  }
  w->target = g_uri_get_query (uri) ? g_strconcat (g_uri_get_path (uri),
      "?", g_uri_get_query (uri), NULL) : g_strdup (g_uri_get_path (uri));
  if (w->target[0] == '\0') {
    g_free (w->target);
    w->target = g_strdup ("/");
  }
  {
    GUri *info = g_uri_build (g_uri_get_flags (uri), scheme,
        g_uri_get_userinfo (uri), g_uri_get_host (uri), g_uri_get_port (uri),
        SEECITV_PROTOCOL_INFO_PATH, NULL, NULL);
    w->info_url = g_uri_to_string (info);
    g_uri_unref (info);
  }
  w->safe_location = g_uri_to_string_partial (uri, G_URI_HIDE_USERINFO);
  /* A pin on plain HTTP would be silently ignored: no certificate is ever
   * seen, so the user would believe in a protection that is not there. */
  if (g_ascii_strcasecmp (scheme, "http") == 0 && w->tls_pin != NULL) {
    GST_ELEMENT_ERROR_WITH_DETAILS (self, RESOURCE, SETTINGS,
        ("tls-pin is set but the location is plain http://: a pin needs "
            "https://"), ("%s", w->safe_location), ("reason", G_TYPE_STRING,
            "tls-pin-plain-http", NULL));
    g_uri_unref (uri);
    goto fail;
  }
  if (g_ascii_strcasecmp (scheme, "http") == 0)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Plain HTTP: the stream is not encrypted"), ("%s", w->safe_location));
  g_uri_unref (uri);

  if (w->tls_pin != NULL && !seecitv_tls_pin_is_valid (w->tls_pin)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("tls-pin must be sha256:<64 lowercase hex digits>"), (NULL));
    goto fail;
  }
  if (w->device_id != NULL &&
      !seecitv_protocol_device_id_is_valid (w->device_id)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("device-id must be 1 to 64 of [A-Za-z0-9._-]"), (NULL));
    goto fail;
  }
  if (key_file != NULL && keystore != NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Set either device-key-file or keystore, not both"), (NULL));
    goto fail;
  }
  if (passphrase_file != NULL && keystore == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("passphrase-file is for a keystore: keystore is not set"), (NULL));
    goto fail;
  }
  if (keystore != NULL) {
    if (w->device_id == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("keystore needs device-id (whose pairing secret to use)"), (NULL));
      goto fail;
    }
    if (!load_keystore_secret (self, keystore, passphrase_file,
            w->device_id, w->key))
      goto fail;
    w->have_key = TRUE;
  }
  if (key_file != NULL) {
    if (w->device_id == NULL) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("device-key-file needs device-id"), (NULL));
      goto fail;
    }
    if (!seecitv_protocol_load_key_file (key_file, w->key, &err)) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Cannot use the device key file"), ("%s: %s", key_file,
              err->message));
      g_clear_error (&err);
      goto fail;
    }
    w->have_key = TRUE;
  }
  g_clear_pointer (&key_file, g_free);
  g_clear_pointer (&keystore, g_free);
  g_clear_pointer (&passphrase_file, g_free);

  w->parser = seecitv_multipart_parser_new (NULL, NULL);
  seecitv_multipart_parser_set_max_part_size (w->parser, w->max_frame_size);

  self->caps_set = FALSE;
  self->first_buffer = TRUE;
  g_clear_pointer (&self->timing, seecitv_frame_timing_free);
  self->timing = seecitv_frame_timing_new ();
  self->warned_clock_jump = FALSE;
  g_mutex_lock (&self->qlock);
  self->stopping = FALSE;
  self->failed = FALSE;
  g_clear_pointer (&self->pending_tags, gst_tag_list_unref);
  if (w->device_id != NULL)
    self->pending_tags = gst_tag_list_new (SEECITV_TAG_DEVICE_ID,
        w->device_id, NULL);
  g_mutex_unlock (&self->qlock);

  self->worker = w;
  self->cancellable = g_cancellable_new ();
  self->thread = g_thread_new ("seecitvsrc", seecitv_src_worker_thread, self);
  return TRUE;

fail:
  g_free (key_file);
  g_free (keystore);
  g_free (passphrase_file);
  seecitv_src_worker_free (w);
  return FALSE;
}

static gboolean
seecitv_src_stop (GstBaseSrc * bsrc)
{
  SeecitvSrc *self = SEECITV_SRC (bsrc);

  if (self->thread != NULL) {
    g_mutex_lock (&self->qlock);
    self->stopping = TRUE;
    g_cond_broadcast (&self->qcond);
    g_mutex_unlock (&self->qlock);
    g_cancellable_cancel (self->cancellable);
    g_thread_join (self->thread);
    self->thread = NULL;
  }
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->worker, seecitv_src_worker_free);
  g_clear_pointer (&self->timing, seecitv_frame_timing_free);
  g_mutex_lock (&self->qlock);
  g_queue_clear_full (&self->frames, (GDestroyNotify) seecitv_src_frame_free);
  g_clear_pointer (&self->pending_tags, gst_tag_list_unref);
  g_mutex_unlock (&self->qlock);
  return TRUE;
}

static gboolean
seecitv_src_unlock (GstBaseSrc * bsrc)
{
  SeecitvSrc *self = SEECITV_SRC (bsrc);

  g_mutex_lock (&self->qlock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->qcond);
  g_mutex_unlock (&self->qlock);
  return TRUE;
}

static gboolean
seecitv_src_unlock_stop (GstBaseSrc * bsrc)
{
  SeecitvSrc *self = SEECITV_SRC (bsrc);

  g_mutex_lock (&self->qlock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->qlock);
  return TRUE;
}

/* The caps (with the framerate) are known only from the first frames:
 * create () sets them. */
static gboolean
seecitv_src_negotiate (GstBaseSrc * bsrc)
{
  return TRUE;
}

/* Called with qlock held: how many frames the caps wait for. Without
 * capture times the rate is variable and the first frame is enough;
 * with them, the first frames of its connection measure it. */
static guint
frames_for_caps (SeecitvSrc * self)
{
  Frame *first = g_queue_peek_head (&self->frames);
  guint n = 0;
  GList *l;

  if (first == NULL || first->capture_ns == G_MAXUINT64)
    return 1;
  for (l = self->frames.head; l != NULL; l = l->next) {
    Frame *f = l->data;

    if (n > 0 && (f->discont || f->capture_ns == G_MAXUINT64))
      return n;               /* all there is to measure */
    n++;
  }
  return SEECITV_FRAME_TIMING_RATE_FRAMES;
}

/* Called with qlock held: the rate is measured from the capture times of
 * the first frames of one connection, never from their arrival. */
static GstCaps *
make_caps (SeecitvSrc * self)
{
  guint64 times[SEECITV_FRAME_TIMING_RATE_FRAMES];
  gint num = 0, den = 1;
  guint n = 0;
  GList *l;

  for (l = self->frames.head; l != NULL && n < G_N_ELEMENTS (times);
      l = l->next) {
    Frame *f = l->data;

    if (n > 0 && f->discont)
      break;
    times[n++] = f->capture_ns;
  }
  if (!seecitv_frame_timing_measure_rate (times, n, &num, &den)) {
    num = 0;
    den = 1;
  }
  GST_INFO_OBJECT (self, "framerate %d/%d from %u capture times", num, den,
      n);
  seecitv_frame_timing_set_rate (self->timing, num, den);
  return gst_caps_new_simple ("image/jpeg", "framerate", GST_TYPE_FRACTION,
      num, den, NULL);
}

static void
arrival_of (const Frame * f, GstClockTime base_time, SeecitvFrameArrival * a)
{
  a->capture_ns = f->capture_ns;
  a->arrival_real_ns = f->arrival_real_ns;
  a->arrival_running = f->arrival_clock - base_time;
  a->reconnected = f->discont;
}

/* Called with qlock held: the frames of this connection waiting behind
 * the one being stamped, which tell how fast the route can be. Returns
 * how many were put in @later (MAX_QUEUED_FRAMES at most). */
static guint
frames_behind (SeecitvSrc * self, SeecitvFrameArrival * later)
{
  GstClockTime base_time = gst_element_get_base_time (GST_ELEMENT (self));
  guint n = 0;
  GList *l;

  for (l = self->frames.head; l != NULL && n < MAX_QUEUED_FRAMES;
      l = l->next) {
    Frame *f = l->data;

    if (f->discont)
      break;
    if (!GST_CLOCK_TIME_IS_VALID (f->arrival_clock) ||
        f->arrival_clock < base_time)
      continue;
    arrival_of (f, base_time, &later[n++]);
  }
  return n;
}

static GstFlowReturn
seecitv_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  SeecitvSrc *self = SEECITV_SRC (psrc);
  GstClockTime base_time, pts = GST_CLOCK_TIME_NONE;
  GstClockTime duration = GST_CLOCK_TIME_NONE;
  GstCaps *caps = NULL;
  GstTagList *tags = NULL;
  GstBuffer *buf;
  Frame *f;
  SeecitvFrameArrival later[MAX_QUEUED_FRAMES];
  guint n_later;
  gint64 first_wait = -1;
  gboolean dropped = FALSE;

  base_time = gst_element_get_base_time (GST_ELEMENT (self));
  g_mutex_lock (&self->qlock);
  for (;;) {
    guint need = self->caps_set ? 1 : frames_for_caps (self);

    /* frames that came while we were not PLAYING are stale for a live
     * source: dropped, and the next buffer is DISCONT */
    while ((f = g_queue_peek_head (&self->frames)) != NULL &&
        (!GST_CLOCK_TIME_IS_VALID (f->arrival_clock) ||
            f->arrival_clock < base_time)) {
      seecitv_src_frame_free (g_queue_pop_head (&self->frames));
      dropped = TRUE;
    }
    if (self->flushing) {
      g_mutex_unlock (&self->qlock);
      return GST_FLOW_FLUSHING;
    }
    if (self->failed) {
      g_mutex_unlock (&self->qlock);
      return GST_FLOW_ERROR;
    }
    if (g_queue_get_length (&self->frames) >= need)
      break;
    if (g_queue_get_length (&self->frames) >= 1) {
      /* a device this slow: do not wait more than a second for caps */
      if (first_wait < 0)
        first_wait = g_get_monotonic_time ();
      else if (g_get_monotonic_time () - first_wait > RATE_WAIT)
        break;
      g_cond_wait_until (&self->qcond, &self->qlock,
          g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND);
    } else {
      g_cond_wait (&self->qcond, &self->qlock);
    }
  }
  if (!self->caps_set)
    caps = make_caps (self);
  f = g_queue_pop_head (&self->frames);
  n_later = frames_behind (self, later);
  tags = g_steal_pointer (&self->pending_tags);
  g_mutex_unlock (&self->qlock);

  if (caps != NULL) {
    gboolean ok = gst_base_src_set_caps (GST_BASE_SRC (self), caps);

    gst_caps_unref (caps);
    if (!ok) {
      seecitv_src_frame_free (f);
      if (tags)
        gst_tag_list_unref (tags);
      return GST_FLOW_NOT_NEGOTIATED;
    }
    self->caps_set = TRUE;
  }
  if (tags != NULL)
    gst_pad_push_event (GST_BASE_SRC_PAD (self), gst_event_new_tag (tags));

  if (GST_CLOCK_TIME_IS_VALID (f->arrival_clock) &&
      f->arrival_clock >= base_time) {
    SeecitvFrameArrival a;
    gint64 jump = 0;

    arrival_of (f, base_time, &a);
    pts = seecitv_frame_timing_stamp (self->timing, &a, later, n_later,
        &duration, &jump);
    if (jump != 0 && !self->warned_clock_jump) {
      GST_ELEMENT_WARNING_WITH_DETAILS (self, STREAM, FORMAT,
          ("The device's clock jumped; timestamps follow arrival "
              "from here"), ("back by %" G_GINT64_FORMAT " ns", jump),
          ("reason", G_TYPE_STRING, "clock-jump", "jump", G_TYPE_INT64,
              jump, NULL));
      self->warned_clock_jump = TRUE;
    }
  }

  buf = gst_buffer_new_wrapped_bytes (f->jpeg);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buf) = duration;
  if (f->discont || dropped || self->first_buffer)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  self->first_buffer = FALSE;
  seecitv_src_frame_free (f);
  *outbuf = buf;
  return GST_FLOW_OK;
}
