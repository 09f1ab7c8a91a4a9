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
 * timestamps in running time (the device's capture time from
 * `X-Seecitv-Capture-Time` when present, relative to the fastest frame seen
 * since the last reconnection; the arrival time otherwise).
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
 * (`RESOURCE NOT_AUTHORIZED`), never retried.
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
 * `tls-untrusted`, `tls-pin-mismatch`, `http-status`, `gave-up`; with
 * `gave-up`, `last-failure`, string, what the last attempt met),
 * `http-status-code` (uint, when there was a response), `tls-fingerprint`
 * (string, for TLS refusals). Bad settings (both `device-key-file` and
 * `keystore`, either of them without `device-id`, `passphrase-file`
 * without `keystore`, an invalid device id or pin) are
 * `RESOURCE SETTINGS`; a keystore that cannot be
 * opened or has no pairing secret for the device is `RESOURCE OPEN_READ`
 * with details `reason` = `keystore` and `keystore-error` (int, the
 * SeecitvKeystoreError code).
 *
 * Element messages:
 * - `seecitvsrc-disconnected`: `reason` (string), a stream that delivered
 *   frames was lost.
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

#include "gstseecitvsrc.h"
#include <seecitv/gstproperty.h>
#include <seecitv/protocol/protocol.h>
#include <seecitv/crypto/keystore.h>

#include <seecitv/multipart.h>
#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (seecitv_src_debug);
#define GST_CAT_DEFAULT seecitv_src_debug

#define DEFAULT_LOCATION NULL
#define DEFAULT_DEVICE_ID NULL
#define DEFAULT_TIMEOUT (10 * GST_SECOND)
#define DEFAULT_RETRY_DELAY (500 * GST_MSECOND)
#define DEFAULT_MAX_RETRIES -1
#define DEFAULT_MAX_FRAME_SIZE (8 * 1024 * 1024)

/* Frames kept for a slow downstream; older ones are dropped (live). */
#define MAX_QUEUED_FRAMES 8
/* A frame later than this behind the fastest one (or earlier than it by
 * as much) is not network delay: the device's clock jumped. */
#define MAX_CAPTURE_LAG (5 * GST_SECOND)
/* Back-off grows up to this many times retry-delay. */
#define MAX_BACKOFF_FACTOR 32
#define READ_SIZE (64 * 1024)
/* A Retry-After beyond this is taken as this (seconds). */
#define MAX_RETRY_AFTER_S (24 * 3600)
/* Without a usable Retry-After, a 429 waits at least this (seconds). */
#define DEFAULT_RETRY_AFTER_S 5

#define SEECITV_TAG_DEVICE_NAME "seecitv-device-name"
#define SEECITV_TAG_MAC_PSEUDONYM "seecitv-device-mac-pseudonym"

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

typedef struct
{
  GBytes *jpeg;
  guint64 capture_ns;           /* device clock, G_MAXUINT64 if absent */
  gint64 arrival_real_ns;       /* our wall clock */
  GstClockTime arrival_clock;   /* element clock, NONE if none yet */
  gboolean discont;
} Frame;

/* What the worker thread works with: copied from the properties in
 * start (), then owned by the worker alone. */
typedef struct
{
  SeecitvSrc *src;              /* not a ref: the element joins us first */
  gchar *location;
  gchar *safe_location;         /* without user info: for messages */
  gchar *target;                /* path?query of location, for proofs */
  gchar *info_url;
  gchar *device_id;
  guint8 key[SEECITV_PROTOCOL_KEY_LEN];
  gboolean have_key;
  gchar *user_id;
  gchar *user_pw;
  gchar *tls_ca_file;
  gchar *tls_pin;
  guint64 timeout;
  guint64 retry_delay;
  gint max_retries;
  guint max_frame_size;

  SoupSession *session;
  SeecitvMultipartParser *parser;
  /* TLS: what the last handshake showed us */
  gchar *seen_fingerprint;
  gboolean pin_matched;
  gboolean auth_tried;          /* Basic/Digest credentials given once */
  guint dropped_parts;
  gboolean warned_drop;
  gboolean warned_format;
  guint64 retry_after;          /* ns a 429 asked us to wait, 0 if none */
  gboolean warned_rate_limit;
  gboolean lost;                /* a stream that gave frames was lost */
  guint since_loss;             /* connections tried since then */
} Worker;

struct _SeecitvSrc
{
  GstPushSrc parent;

  /* properties, protected by the object lock */
  gchar *location;
  gchar *device_id;
  gchar *device_key_file;
  gchar *keystore;
  gchar *passphrase_file;
  gchar *user_id;
  gchar *user_pw;
  gchar *tls_ca_file;
  gchar *tls_pin;
  guint64 timeout;
  guint64 retry_delay;
  gint max_retries;
  guint max_frame_size;

  /* the worker, started in start () and joined in stop () */
  GThread *thread;
  GCancellable *cancellable;
  Worker *worker;

  /* between the worker and create (), protected by qlock */
  GMutex qlock;
  GCond qcond;
  GQueue frames;                /* of Frame */
  GstTagList *pending_tags;
  gboolean flushing;            /* unlock () */
  gboolean stopping;            /* stop (): the worker must exit */
  gboolean failed;              /* the worker posted a fatal error */

  /* streaming thread only */
  gboolean caps_set;
  gboolean first_buffer;
  GstClockTime frame_duration;
  GstClockTime last_pts;
  gboolean have_min_delay;
  gint64 min_delay;
  gboolean warned_clock_jump;
};

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

/* ---- a TLS database that trusts nothing ----
 *
 * With a pin, every certificate must go through accept-certificate, which
 * libsoup 3 emits only when validation fails: so validation always fails,
 * and the pin alone decides. */

typedef struct
{
  GTlsDatabase parent;
} SeecitvNoTrustDatabase;

typedef struct
{
  GTlsDatabaseClass parent_class;
} SeecitvNoTrustDatabaseClass;

static GType seecitv_no_trust_database_get_type (void);
G_DEFINE_TYPE (SeecitvNoTrustDatabase, seecitv_no_trust_database,
    G_TYPE_TLS_DATABASE);

static GTlsCertificateFlags
no_trust_verify_chain (GTlsDatabase * db, GTlsCertificate * chain,
    const gchar * purpose, GSocketConnectable * identity,
    GTlsInteraction * interaction, GTlsDatabaseVerifyFlags flags,
    GCancellable * cancellable, GError ** error)
{
  return G_TLS_CERTIFICATE_UNKNOWN_CA;
}

static void
seecitv_no_trust_database_class_init (SeecitvNoTrustDatabaseClass * klass)
{
  G_TLS_DATABASE_CLASS (klass)->verify_chain = no_trust_verify_chain;
}

static void
seecitv_no_trust_database_init (SeecitvNoTrustDatabase * self)
{
}

/* ---- properties ---- */

static gboolean
pin_is_valid (const gchar * pin)
{
  gsize i;

  if (pin == NULL || !g_str_has_prefix (pin, "sha256:") ||
      strlen (pin) != 7 + 64)
    return FALSE;
  for (i = 7; i < 7 + 64; i++) {
    if (!g_ascii_isdigit (pin[i]) && !(pin[i] >= 'a' && pin[i] <= 'f'))
      return FALSE;
  }
  return TRUE;
}

static void
wipe_string (gchar ** s)
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
      wipe_string (&self->user_id);
      self->user_id = g_value_dup_string (value);
      break;
    case PROP_USER_PW:
      wipe_string (&self->user_pw);
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

static void
frame_free (Frame * f)
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
  wipe_string (&self->user_id);
  wipe_string (&self->user_pw);
  g_free (self->tls_ca_file);
  g_free (self->tls_pin);
  g_queue_clear_full (&self->frames, (GDestroyNotify) frame_free);
  g_clear_pointer (&self->pending_tags, gst_tag_list_unref);
  g_mutex_clear (&self->qlock);
  g_cond_clear (&self->qcond);

  G_OBJECT_CLASS (seecitv_src_parent_class)->finalize (object);
}

/* ---- the worker thread ---- */

typedef enum
{
  OUTCOME_STOPPED,              /* cancelled by stop () */
  OUTCOME_FATAL,                /* an error was posted: give up */
  OUTCOME_LOST,                 /* transient: retry */
  OUTCOME_SENT,                 /* a request got a response */
  OUTCOME_SKIP                  /* an optional request is not served */
} Outcome;

static void
worker_free (Worker * w)
{
  if (w == NULL)
    return;
  g_free (w->location);
  g_free (w->safe_location);
  g_free (w->target);
  g_free (w->info_url);
  g_free (w->device_id);
  OPENSSL_cleanse (w->key, sizeof (w->key));
  wipe_string (&w->user_id);
  wipe_string (&w->user_pw);
  g_free (w->tls_ca_file);
  g_free (w->tls_pin);
  g_free (w->seen_fingerprint);
  g_clear_object (&w->session);
  g_clear_pointer (&w->parser, seecitv_multipart_parser_free);
  g_free (w);
}

static gchar *
certificate_pin (GTlsCertificate * cert)
{
  GByteArray *der = NULL;
  gchar *hex, *pin;

  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL)
    return g_strdup ("sha256:unknown");
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  pin = g_strconcat ("sha256:", hex, NULL);
  g_free (hex);
  g_byte_array_unref (der);
  return pin;
}

/* Runs during the TLS handshake, before any request byte is written. */
static gboolean
accept_certificate_cb (SoupMessage * msg, GTlsCertificate * cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  Worker *w = user_data;

  g_free (w->seen_fingerprint);
  w->seen_fingerprint = certificate_pin (cert);
  w->pin_matched = w->tls_pin != NULL &&
      strlen (w->seen_fingerprint) == strlen (w->tls_pin) &&
      CRYPTO_memcmp (w->seen_fingerprint, w->tls_pin, strlen (w->tls_pin)) == 0;
  GST_INFO_OBJECT (w->src, "peer certificate %s (flags 0x%x): %s",
      w->seen_fingerprint, errors, w->pin_matched ? "pinned" : "refused");
  return w->pin_matched;
}

static gboolean
authenticate_cb (SoupMessage * msg, SoupAuth * auth, gboolean retrying,
    gpointer user_data)
{
  Worker *w = user_data;

  if (w->user_id == NULL || w->user_pw == NULL || retrying)
    return FALSE;
  w->auth_tried = TRUE;
  soup_auth_authenticate (auth, w->user_id, w->user_pw);
  return FALSE;
}

static SoupMessage *
new_message (Worker * w, const gchar * url)
{
  SoupMessage *msg = soup_message_new ("GET", url);

  /* a redirect could lead from https to http, or to another host: the
   * URL is exactly where the device is, or it is an error */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  g_signal_connect (msg, "accept-certificate",
      G_CALLBACK (accept_certificate_cb), w);
  g_signal_connect (msg, "authenticate", G_CALLBACK (authenticate_cb), w);
  return msg;
}

/* Posts a RESOURCE NOT_AUTHORIZED error with details. */
static void
post_auth_error (Worker * w, const gchar * reason, guint status,
    const gchar * text)
{
  GstStructure *details = gst_structure_new ("details", "reason",
      G_TYPE_STRING, reason, NULL);

  if (status != 0)
    gst_structure_set (details, "http-status-code", G_TYPE_UINT, status, NULL);
  if (w->seen_fingerprint != NULL && g_str_has_prefix (reason, "tls"))
    gst_structure_set (details, "tls-fingerprint", G_TYPE_STRING,
        w->seen_fingerprint, NULL);
  gst_element_message_full_with_details (GST_ELEMENT (w->src),
      GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED, g_strdup (text),
      g_strdup_printf ("%s (%s)", text, reason), __FILE__, GST_FUNCTION,
      __LINE__, details);
}

static void
closed_stream (GInputStream ** stream)
{
  if (*stream != NULL) {
    g_input_stream_close (*stream, NULL, NULL);
    g_clear_object (stream);
  }
}

/* Sends one GET; on failure classifies it. */
static Outcome
send_message (Worker * w, SoupMessage * msg, GCancellable * cancellable,
    GInputStream ** stream, gchar ** reason)
{
  GError *err = NULL;

  *stream = soup_session_send (w->session, msg, cancellable, &err);
  if (*stream != NULL)
    return OUTCOME_SENT;
  if (g_cancellable_is_cancelled (cancellable)) {
    g_clear_error (&err);
    return OUTCOME_STOPPED;
  }
  if (g_error_matches (err, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE) ||
      (w->seen_fingerprint != NULL && !w->pin_matched)) {
    if (w->tls_pin != NULL)
      post_auth_error (w, "tls-pin-mismatch", 0,
          "The device's TLS certificate does not match tls-pin");
    else
      post_auth_error (w, "tls-untrusted", 0,
          "The device's TLS certificate is not trusted");
    g_clear_error (&err);
    return OUTCOME_FATAL;
  }
  *reason = g_strdup (err->message);
  g_clear_error (&err);
  return OUTCOME_LOST;
}

/* The device answered 429 Too Many Requests (too many failed logins from
 * our address, maybe not ours): the next attempt waits at least its
 * Retry-After (delta-seconds; an HTTP date or garbage counts as
 * DEFAULT_RETRY_AFTER_S). One warning per episode. */
static void
rate_limited (Worker * w, SoupMessage * msg)
{
  const gchar *ra = soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "Retry-After");
  guint64 secs = DEFAULT_RETRY_AFTER_S;
  gchar *end = NULL;

  if (ra != NULL && g_ascii_isdigit (ra[0])) {
    guint64 v = g_ascii_strtoull (ra, &end, 10);

    if (end != NULL && *end == '\0')
      secs = MIN (v, MAX_RETRY_AFTER_S);
  }
  w->retry_after = MAX (secs, 1) * GST_SECOND;
  if (!w->warned_rate_limit) {
    GST_ELEMENT_WARNING_WITH_DETAILS (w->src, RESOURCE, BUSY,
        ("The device refuses logins from this address for %u s (too many "
            "failed attempts); waiting before trying again", (guint) secs),
        ("%s", w->safe_location), ("reason", G_TYPE_STRING, "rate-limited",
            "retry-after", G_TYPE_UINT, (guint) secs, "http-status-code",
            G_TYPE_UINT, 429u, NULL));
    w->warned_rate_limit = TRUE;
  }
}

/* GET @url, through the seecitv handshake when a key is set (a first
 * request for a challenge, then the proof, then the device's proof is
 * checked), or with Basic/Digest through libsoup. On OUTCOME_SENT returns
 * the 2xx body stream and message. */
static Outcome
authed_get (Worker * w, const gchar * url, const gchar * target,
    gboolean optional, GCancellable * cancellable, SoupMessage ** out_msg,
    GInputStream ** out_stream, gchar ** reason)
{
  SoupMessage *msg = new_message (w, url);
  GInputStream *stream = NULL;
  Outcome o;
  guint status;
  gchar *cnonce = NULL, *proof = NULL;
  SeecitvChallenge *ch = NULL;

  o = send_message (w, msg, cancellable, &stream, reason);
  if (o != OUTCOME_SENT)
    goto done;
  status = soup_message_get_status (msg);

  if (w->have_key && status == SOUP_STATUS_UNAUTHORIZED) {
    const gchar *www = soup_message_headers_get_list
        (soup_message_get_response_headers (msg), "WWW-Authenticate");
    SeecitvAuthorization a;
    gchar *authz;
    GError *err = NULL;

    ch = seecitv_protocol_parse_challenge (www, &err);
    if (ch == NULL) {
      GST_INFO_OBJECT (w->src, "no usable challenge: %s", err->message);
      g_clear_error (&err);
      post_auth_error (w, "not-seecitv", status,
          "The server does not speak the seecitv protocol");
      o = OUTCOME_FATAL;
      goto done;
    }
    if (strcmp (ch->device_id, w->device_id) != 0) {
      post_auth_error (w, "wrong-device", status,
          "The server is another device than device-id");
      o = OUTCOME_FATAL;
      goto done;
    }
    closed_stream (&stream);
    g_clear_object (&msg);

    cnonce = seecitv_protocol_random_hex (SEECITV_PROTOCOL_NONCE_LEN, &err);
    if (cnonce != NULL)
      proof = seecitv_protocol_compute_proof (SEECITV_PROOF_CLIENT, w->key,
          sizeof (w->key), w->device_id, ch->challenge, cnonce, "GET", target,
          &err);
    if (proof == NULL) {
      GST_ELEMENT_ERROR (w->src, LIBRARY, FAILED,
          ("Cannot compute the proof"), ("%s", err->message));
      g_clear_error (&err);
      o = OUTCOME_FATAL;
      goto done;
    }
    a.device_id = w->device_id;
    a.challenge = ch->challenge;
    a.cnonce = cnonce;
    a.proof = proof;
    authz = seecitv_protocol_format_authorization (&a);
    msg = new_message (w, url);
    soup_message_headers_replace (soup_message_get_request_headers (msg),
        "Authorization", authz);
    g_free (authz);
    o = send_message (w, msg, cancellable, &stream, reason);
    if (o != OUTCOME_SENT)
      goto done;
    status = soup_message_get_status (msg);
    if (status == SOUP_STATUS_UNAUTHORIZED) {
      post_auth_error (w, "wrong-secret", status,
          "The device refused our proof: wrong pairing secret?");
      o = OUTCOME_FATAL;
      goto done;
    }
  }

  if (status == 429) {
    rate_limited (w, msg);
    *reason = g_strdup ("rate-limited by the device (HTTP 429)");
    o = OUTCOME_LOST;
    goto done;
  }
  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN
      || status == SOUP_STATUS_PROXY_UNAUTHORIZED) {
    post_auth_error (w, "http-auth", status, w->auth_tried ?
        "The server refused user-id/user-pw" :
        "The server wants credentials (user-id/user-pw)");
    o = OUTCOME_FATAL;
    goto done;
  }
  if (status >= 500 || status == SOUP_STATUS_REQUEST_TIMEOUT) {
    *reason = g_strdup_printf ("HTTP status %u", status);
    o = OUTCOME_LOST;
    goto done;
  }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status) && optional) {
    o = OUTCOME_SKIP;
    goto done;
  }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status)) {
    gst_element_message_full_with_details (GST_ELEMENT (w->src),
        GST_MESSAGE_ERROR, GST_RESOURCE_ERROR,
        status == SOUP_STATUS_NOT_FOUND ? GST_RESOURCE_ERROR_NOT_FOUND :
        GST_RESOURCE_ERROR_OPEN_READ,
        g_strdup_printf ("The server answered HTTP %u", status),
        g_strdup (w->safe_location), __FILE__, GST_FUNCTION, __LINE__,
        gst_structure_new ("details", "reason", G_TYPE_STRING, "http-status",
            "http-status-code", G_TYPE_UINT, status, NULL));
    o = OUTCOME_FATAL;
    goto done;
  }

  if (w->have_key) {
    /* the device must prove the secret back, or it is an impostor */
    const gchar *ai = soup_message_headers_get_one
        (soup_message_get_response_headers (msg), "Authentication-Info");
    gchar *dproof = ai ? seecitv_protocol_parse_authentication_info (ai,
        NULL) : NULL;

    if (dproof == NULL || ch == NULL ||
        !seecitv_protocol_check_proof (SEECITV_PROOF_DEVICE, w->key,
            sizeof (w->key), w->device_id, ch->challenge, cnonce, "GET",
            target, dproof, NULL)) {
      g_free (dproof);
      post_auth_error (w, "impostor", status,
          "The server did not prove it knows the pairing secret");
      o = OUTCOME_FATAL;
      goto done;
    }
    g_free (dproof);
  }
  *out_msg = g_steal_pointer (&msg);
  *out_stream = g_steal_pointer (&stream);
  o = OUTCOME_SENT;

done:
  closed_stream (&stream);
  g_clear_object (&msg);
  seecitv_challenge_free (ch);
  g_free (cnonce);
  g_free (proof);
  return o;
}

/* Device info, once, as tags; failures other than trust just skip it. */
static Outcome
fetch_info (Worker * w, GCancellable * cancellable)
{
  SoupMessage *msg = NULL;
  GInputStream *stream = NULL;
  gchar *reason = NULL;
  Outcome o;
  gchar buf[SEECITV_PROTOCOL_MAX_INFO + 1];
  gsize n = 0;
  SeecitvDeviceInfo *info;
  GstTagList *tags;

  o = authed_get (w, w->info_url, SEECITV_PROTOCOL_INFO_PATH, TRUE,
      cancellable, &msg, &stream, &reason);
  if (o != OUTCOME_SENT) {
    GST_INFO_OBJECT (w->src, "no device info: %s", GST_STR_NULL (reason));
    g_free (reason);
    return o == OUTCOME_SKIP ? OUTCOME_SENT : o;
  }
  g_input_stream_read_all (stream, buf, sizeof (buf), &n, cancellable, NULL);
  closed_stream (&stream);
  g_object_unref (msg);
  info = seecitv_protocol_parse_info (buf, MIN (n, sizeof (buf) - 1), NULL);
  if (info == NULL) {
    GST_WARNING_OBJECT (w->src, "unusable device info");
    return OUTCOME_SENT;
  }
  if (strcmp (info->device_id, w->device_id) != 0) {
    seecitv_device_info_free (info);
    post_auth_error (w, "wrong-device", 0,
        "The device's info names another device");
    return OUTCOME_FATAL;
  }
  tags = gst_tag_list_new_empty ();
  if (info->model != NULL)
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, GST_TAG_DEVICE_MODEL,
        info->model, NULL);
  if (info->name != NULL)
    gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE, SEECITV_TAG_DEVICE_NAME,
        info->name, NULL);
  if (info->mac != NULL) {
    gchar *p = seecitv_protocol_pseudonymise_mac (w->key, sizeof (w->key),
        info->mac, NULL);
    if (p != NULL)
      gst_tag_list_add (tags, GST_TAG_MERGE_REPLACE,
          SEECITV_TAG_MAC_PSEUDONYM, p, NULL);
    g_free (p);
  }
  seecitv_device_info_free (info);

  g_mutex_lock (&w->src->qlock);
  if (w->src->pending_tags == NULL)
    w->src->pending_tags = gst_tag_list_new_empty ();
  gst_tag_list_insert (w->src->pending_tags, tags, GST_TAG_MERGE_REPLACE);
  g_mutex_unlock (&w->src->qlock);
  gst_tag_list_unref (tags);
  return OUTCOME_SENT;
}

static void
post_element_message (SeecitvSrc * src, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_element (GST_OBJECT (src), s));
}

static void
queue_frame (Worker * w, SeecitvMultipartPart * part, gboolean discont)
{
  SeecitvSrc *src = w->src;
  GstClock *clock = gst_element_get_clock (GST_ELEMENT (src));
  Frame *f = g_new0 (Frame, 1);

  f->jpeg = g_bytes_ref (part->payload);
  f->capture_ns = part->timestamp_source == SEECITV_MULTIPART_TIMESTAMP_SEECITV
      ? part->timestamp : G_MAXUINT64;
  f->arrival_real_ns = g_get_real_time () * 1000;
  f->arrival_clock = clock ? gst_clock_get_time (clock) : GST_CLOCK_TIME_NONE;
  f->discont = discont;
  if (clock != NULL)
    gst_object_unref (clock);

  g_mutex_lock (&src->qlock);
  while (g_queue_get_length (&src->frames) >= MAX_QUEUED_FRAMES) {
    Frame *old = g_queue_pop_head (&src->frames);

    /* keep the gap visible downstream */
    if (old->discont)
      f->discont = TRUE;
    frame_free (old);
  }
  g_queue_push_tail (&src->frames, f);
  g_cond_broadcast (&src->qcond);
  g_mutex_unlock (&src->qlock);
}

/* One connection: request, then parts until it ends. @n_frames counts the
 * frames it delivered. */
static Outcome
run_connection (Worker * w, GCancellable * cancellable, guint * n_frames,
    gchar ** reason)
{
  SoupMessage *msg = NULL;
  GInputStream *stream = NULL;
  Outcome o;
  const gchar *ct;
  gchar *boundary;
  guint8 *buf;
  GError *err = NULL;

  *n_frames = 0;
  o = authed_get (w, w->location, w->target, FALSE, cancellable, &msg,
      &stream, reason);
  if (o != OUTCOME_SENT)
    return o;

  ct = soup_message_headers_get_content_type
      (soup_message_get_response_headers (msg), NULL);
  {
    const gchar *full = soup_message_headers_get_one
        (soup_message_get_response_headers (msg), "Content-Type");
    boundary = full ? seecitv_multipart_boundary_from_content_type (full,
        NULL) : NULL;
  }
  GST_DEBUG_OBJECT (w->src, "connected, %s, boundary %s", GST_STR_NULL (ct),
      GST_STR_NULL (boundary));
  if (!seecitv_multipart_parser_set_boundary (w->parser, boundary, NULL))
    seecitv_multipart_parser_set_boundary (w->parser, NULL, NULL);
  g_free (boundary);

  buf = g_malloc (READ_SIZE);
  for (;;) {
    gssize n = g_input_stream_read (stream, buf, READ_SIZE, cancellable,
        &err);
    SeecitvMultipartPart *part;
    gboolean ok;

    if (n < 0) {
      o = g_cancellable_is_cancelled (cancellable) ? OUTCOME_STOPPED :
          OUTCOME_LOST;
      *reason = g_strdup (err->message);
      g_clear_error (&err);
      break;
    }
    if (n == 0) {
      ok = seecitv_multipart_parser_end (w->parser, &err);
    } else {
      ok = seecitv_multipart_parser_feed (w->parser, buf, n, &err);
    }
    while ((part = seecitv_multipart_parser_pop (w->parser)) != NULL) {
      gsize size;
      const guint8 *d = g_bytes_get_data (part->payload, &size);

      if (size < 2 || d[0] != 0xff || d[1] != 0xd8) {
        w->dropped_parts++;
        if (!w->warned_drop) {
          GST_ELEMENT_WARNING_WITH_DETAILS (w->src, STREAM, DECODE,
              ("Dropping parts that are not JPEG"), (NULL),
              ("dropped", G_TYPE_UINT, w->dropped_parts, NULL));
          w->warned_drop = TRUE;
        }
      } else {
        if (*n_frames == 0 && w->lost) {
          post_element_message (w->src,
              gst_structure_new ("seecitvsrc-reconnected", "attempts",
                  G_TYPE_UINT, w->since_loss, NULL));
          w->lost = FALSE;
        }
        /* every connection is a new stream: its first frame follows a gap */
        queue_frame (w, part, *n_frames == 0);
        (*n_frames)++;
      }
      seecitv_multipart_part_free (part);
    }
    if (!ok) {
      /* a part cut by a lost connection is no news; anything else
       * (oversized, endless headers, garbage) is the server's fault:
       * warned about once per run, counted always */
      if (err->code != SEECITV_MULTIPART_ERROR_TRUNCATED) {
        w->dropped_parts++;
        if (!w->warned_format) {
          GST_ELEMENT_WARNING_WITH_DETAILS (w->src, STREAM, FORMAT,
              ("Dropped a malformed or oversized part; reconnecting"),
              ("%s", err->message), ("dropped", G_TYPE_UINT,
                  w->dropped_parts, "multipart-error", G_TYPE_INT, err->code,
                  NULL));
          w->warned_format = TRUE;
        } else {
          GST_WARNING_OBJECT (w->src, "dropped part %u: %s",
              w->dropped_parts, err->message);
        }
      }
      *reason = g_strdup (err->message);
      g_clear_error (&err);
      o = OUTCOME_LOST;
      break;
    }
    if (n == 0) {
      *reason = g_strdup ("the server ended the stream");
      o = OUTCOME_LOST;
      break;
    }
  }
  g_free (buf);
  seecitv_multipart_parser_reset (w->parser);
  closed_stream (&stream);
  g_object_unref (msg);
  return o;
}

/* Waits @delay ns unless stop () comes first; FALSE if stopping. */
static gboolean
backoff_wait (SeecitvSrc * src, guint64 delay)
{
  gint64 end = g_get_monotonic_time () + delay / 1000;
  gboolean stopping;

  g_mutex_lock (&src->qlock);
  while (!src->stopping && g_cond_wait_until (&src->qcond, &src->qlock, end));
  stopping = src->stopping;
  g_mutex_unlock (&src->qlock);
  return !stopping;
}

static gpointer
worker_thread (gpointer data)
{
  SeecitvSrc *src = data;
  Worker *w = src->worker;
  GMainContext *ctx = g_main_context_new ();
  GCancellable *cancellable = src->cancellable;
  guint attempts = 0;
  gboolean info_done = !w->have_key;
  GError *err = NULL;

  /* libsoup 3: the session lives and dies in this thread's context */
  g_main_context_push_thread_default (ctx);
  w->session = soup_session_new_with_options ("timeout",
      (guint) ((w->timeout + GST_SECOND - 1) / GST_SECOND),
      "user-agent", "seecitvsrc/" VERSION, NULL);
  if (w->tls_pin != NULL) {
    GTlsDatabase *db = g_object_new (seecitv_no_trust_database_get_type (),
        NULL);
    soup_session_set_tls_database (w->session, db);
    g_object_unref (db);
  } else if (w->tls_ca_file != NULL) {
    GTlsDatabase *db = g_tls_file_database_new (w->tls_ca_file, &err);

    if (db == NULL) {
      GST_ELEMENT_ERROR (src, RESOURCE, SETTINGS,
          ("Cannot use tls-ca-file"), ("%s", err->message));
      g_clear_error (&err);
      goto fatal;
    }
    soup_session_set_tls_database (w->session, db);
    g_object_unref (db);
  }

  for (;;) {
    gchar *reason = NULL;
    guint n_frames = 0;
    guint64 delay;
    Outcome o = OUTCOME_SENT;

    if (!info_done) {
      o = fetch_info (w, cancellable);
      info_done = o == OUTCOME_SENT;
    }
    if (o == OUTCOME_SENT)
      o = run_connection (w, cancellable, &n_frames, &reason);
    if (o == OUTCOME_STOPPED) {
      g_free (reason);
      break;
    }
    if (o == OUTCOME_FATAL) {
      g_free (reason);
      goto fatal;
    }
    if (n_frames > 0) {
      w->warned_rate_limit = FALSE;
      post_element_message (src, gst_structure_new ("seecitvsrc-disconnected",
              "reason", G_TYPE_STRING, GST_STR_NULL (reason), NULL));
      w->lost = TRUE;
      w->since_loss = 0;
      attempts = 0;
    }
    w->since_loss++;
    attempts++;
    GST_INFO_OBJECT (src, "connection lost (%s), attempt %u",
        GST_STR_NULL (reason), attempts);
    if (w->max_retries >= 0 && attempts > (guint) w->max_retries) {
      GST_ELEMENT_ERROR_WITH_DETAILS (src, RESOURCE, READ,
          ("Could not reach the device after %u attempts", attempts),
          ("%s: %s", w->safe_location, GST_STR_NULL (reason)),
          ("reason", G_TYPE_STRING, "gave-up", "last-failure", G_TYPE_STRING,
              GST_STR_NULL (reason), NULL));
      g_free (reason);
      goto fatal;
    }
    g_free (reason);
    delay = w->retry_delay * MIN (1u << MIN (attempts - 1, 5u),
        MAX_BACKOFF_FACTOR);
    /* a device that rate-limits us is not hammered */
    delay = MAX (delay, w->retry_after);
    w->retry_after = 0;
    if (!backoff_wait (src, delay))
      break;
  }
  goto out;

fatal:
  g_mutex_lock (&src->qlock);
  src->failed = TRUE;
  g_cond_broadcast (&src->qcond);
  g_mutex_unlock (&src->qlock);

out:
  g_clear_object (&w->session);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
  return NULL;
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
        ("%s: %s", keystore, err->message), ("reason", G_TYPE_STRING,
            "keystore", "keystore-error", G_TYPE_INT, err->code, NULL));
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
  if (g_ascii_strcasecmp (scheme, "http") == 0)
    GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
        ("Plain HTTP: the stream is not encrypted"), ("%s", w->safe_location));
  g_uri_unref (uri);

  if (w->tls_pin != NULL && !pin_is_valid (w->tls_pin)) {
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
  self->frame_duration = GST_CLOCK_TIME_NONE;
  self->last_pts = GST_CLOCK_TIME_NONE;
  self->have_min_delay = FALSE;
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
  self->thread = g_thread_new ("seecitvsrc", worker_thread, self);
  return TRUE;

fail:
  g_free (key_file);
  g_free (keystore);
  g_free (passphrase_file);
  worker_free (w);
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
  g_clear_pointer (&self->worker, worker_free);
  g_mutex_lock (&self->qlock);
  g_queue_clear_full (&self->frames, (GDestroyNotify) frame_free);
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

static guint64
frame_time (const Frame * f)
{
  return f->capture_ns != G_MAXUINT64 ? f->capture_ns :
      (guint64) f->arrival_real_ns;
}

/* Called with qlock held: the first two frames give the framerate. */
static GstCaps *
make_caps (SeecitvSrc * self)
{
  Frame *a = g_queue_peek_nth (&self->frames, 0);
  Frame *b = g_queue_peek_nth (&self->frames, 1);
  gint num = 0, den = 1;

  if (a != NULL && b != NULL && frame_time (b) > frame_time (a)) {
    gdouble fps = (gdouble) GST_SECOND / (frame_time (b) - frame_time (a));

    if (fps >= 1 && ABS (fps - (gint) (fps + 0.5)) < 0.03 * fps) {
      /* arrival jitter: 9.8 fps is a 10 fps device */
      num = (gint) (fps + 0.5);
      den = 1;
    } else if (fps >= 0.01 && fps <= 1000) {
      gst_util_double_to_fraction (((gint) (fps * 1000 + 0.5)) / 1000.0,
          &num, &den);
    }
  }
  if (num > 0)
    self->frame_duration = gst_util_uint64_scale_int (GST_SECOND, den, num);
  return gst_caps_new_simple ("image/jpeg", "framerate", GST_TYPE_FRACTION,
      num, den, NULL);
}

static GstFlowReturn
seecitv_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  SeecitvSrc *self = SEECITV_SRC (psrc);
  GstClockTime base_time, pts = GST_CLOCK_TIME_NONE;
  GstCaps *caps = NULL;
  GstTagList *tags = NULL;
  GstBuffer *buf;
  Frame *f;
  gint64 first_wait = -1;
  gboolean dropped = FALSE;

  base_time = gst_element_get_base_time (GST_ELEMENT (self));
  g_mutex_lock (&self->qlock);
  for (;;) {
    guint need = self->caps_set ? 1 : 2;

    /* frames that came while we were not PLAYING are stale for a live
     * source: dropped, and the next buffer is DISCONT */
    while ((f = g_queue_peek_head (&self->frames)) != NULL &&
        (!GST_CLOCK_TIME_IS_VALID (f->arrival_clock) ||
            f->arrival_clock < base_time)) {
      frame_free (g_queue_pop_head (&self->frames));
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
    if (g_queue_get_length (&self->frames) == 1) {
      /* a device this slow: do not wait more than a second for caps */
      if (first_wait < 0)
        first_wait = g_get_monotonic_time ();
      else if (g_get_monotonic_time () - first_wait > G_USEC_PER_SEC)
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
  tags = g_steal_pointer (&self->pending_tags);
  g_mutex_unlock (&self->qlock);

  if (caps != NULL) {
    gboolean ok = gst_base_src_set_caps (GST_BASE_SRC (self), caps);

    gst_caps_unref (caps);
    if (!ok) {
      frame_free (f);
      if (tags)
        gst_tag_list_unref (tags);
      return GST_FLOW_NOT_NEGOTIATED;
    }
    self->caps_set = TRUE;
  }
  if (tags != NULL)
    gst_pad_push_event (GST_BASE_SRC_PAD (self), gst_event_new_tag (tags));

  /* running time at arrival, moved back by how much later than the
   * fastest frame since the last reconnection it took to arrive */
  if (GST_CLOCK_TIME_IS_VALID (f->arrival_clock) &&
      f->arrival_clock >= base_time) {
    pts = f->arrival_clock - base_time;
    if (f->discont)
      self->have_min_delay = FALSE;
    if (f->capture_ns != G_MAXUINT64) {
      gint64 delay = f->arrival_real_ns - (gint64) f->capture_ns;
      gint64 extra;

      if (self->have_min_delay && (delay - self->min_delay > MAX_CAPTURE_LAG
              || self->min_delay - delay > MAX_CAPTURE_LAG)) {
        /* the device's clock was set back or forth: timestamps start
         * again from this frame's arrival, never jump with it */
        if (!self->warned_clock_jump) {
          GST_ELEMENT_WARNING_WITH_DETAILS (self, STREAM, FORMAT,
              ("The device's clock jumped; timestamps follow arrival "
                  "from here"), ("back by %" G_GINT64_FORMAT " ns",
                  delay - self->min_delay), ("reason", G_TYPE_STRING,
                  "clock-jump", "jump", G_TYPE_INT64,
                  delay - self->min_delay, NULL));
          self->warned_clock_jump = TRUE;
        }
        self->have_min_delay = FALSE;
      }
      if (!self->have_min_delay || delay < self->min_delay) {
        self->min_delay = delay;
        self->have_min_delay = TRUE;
      }
      extra = delay - self->min_delay;
      pts = pts > (guint64) extra ? pts - extra : 0;
    }
    if (GST_CLOCK_TIME_IS_VALID (self->last_pts) && pts <= self->last_pts)
      pts = self->last_pts + 1;
    self->last_pts = pts;
  }

  buf = gst_buffer_new_wrapped_bytes (f->jpeg);
  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DTS (buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION (buf) = self->frame_duration;
  if (f->discont || dropped || self->first_buffer)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  self->first_buffer = FALSE;
  frame_free (f);
  *outbuf = buf;
  return GST_FLOW_OK;
}
