/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsrc's worker thread (see seecitvsrc-private.h): one libsoup
 * session, used from this thread only (libsoup 3); TLS: the pin checked
 * during the handshake, in constant time, before any request byte, with a
 * TLS database that trusts nothing when a pin is set; the device protocol
 * (gst-libs/seecitv/protocol) or Basic/Digest; frames queued for create ()
 * with their timestamps; reconnection with back-off and Retry-After.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvsrc-private.h"

#include <seecitv/protocol/tlspin.h>

#include <openssl/crypto.h>
#include <string.h>

#define GST_CAT_DEFAULT seecitv_src_debug

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

/* ---- the worker thread ---- */

typedef enum
{
  OUTCOME_STOPPED,              /* cancelled by stop () */
  OUTCOME_FATAL,                /* an error was posted: give up */
  OUTCOME_LOST,                 /* transient: retry */
  OUTCOME_SENT,                 /* a request got a response */
  OUTCOME_SKIP                  /* an optional request is not served */
} Outcome;

void
seecitv_src_worker_free (Worker * w)
{
  if (w == NULL)
    return;
  g_free (w->location);
  g_free (w->safe_location);
  g_free (w->target);
  g_free (w->info_url);
  g_free (w->device_id);
  OPENSSL_cleanse (w->key, sizeof (w->key));
  seecitv_src_wipe_string (&w->user_id);
  seecitv_src_wipe_string (&w->user_pw);
  g_free (w->tls_ca_file);
  g_free (w->tls_pin);
  g_free (w->seen_fingerprint);
  g_clear_object (&w->session);
  g_clear_pointer (&w->parser, seecitv_multipart_parser_free);
  g_free (w);
}


/* Runs during the TLS handshake, before any request byte is written. */
static gboolean
accept_certificate_cb (SoupMessage * msg, GTlsCertificate * cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  Worker *w = user_data;

  g_free (w->seen_fingerprint);
  w->seen_fingerprint = seecitv_tls_pin_from_certificate (cert);
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
  w->lost_reason = "network";
  *reason = g_strdup (err->message);
  g_clear_error (&err);
  return OUTCOME_LOST;
}

/* @msg's Retry-After in seconds (delta-seconds; an HTTP date or garbage
 * counts as DEFAULT_RETRY_AFTER_S), at least 1, at most
 * MAX_RETRY_AFTER_S. */
static guint64
retry_after_of (SoupMessage * msg)
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
  return MAX (secs, 1);
}

/* The device answered 429 Too Many Requests (too many failed logins from
 * our address, maybe not ours): the next attempt waits at least its
 * Retry-After. One warning per episode. */
static void
rate_limited (Worker * w, SoupMessage * msg)
{
  guint64 secs = retry_after_of (msg);

  w->retry_after = secs * GST_SECOND;
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

/* Answers the challenge in *@msg (a 401, freed here with its *@stream)
 * with our proof: a new GET whose message and stream replace them, and
 * whose challenge and client nonce (replacing *@ch and *@cnonce) check
 * the device's proof. @again: *@msg was the device's 401 to a proof. */
static Outcome
answer_challenge (Worker * w, const gchar * url, const gchar * target,
    gboolean again, GCancellable * cancellable, SoupMessage ** msg,
    GInputStream ** stream, SeecitvChallenge ** ch, gchar ** cnonce,
    gchar ** reason)
{
  guint status = soup_message_get_status (*msg);
  const gchar *www = soup_message_headers_get_list
      (soup_message_get_response_headers (*msg), "WWW-Authenticate");
  SeecitvAuthorization a;
  gchar *authz, *proof = NULL;
  GError *err = NULL;

  seecitv_challenge_free (*ch);
  g_clear_pointer (cnonce, g_free);
  *ch = seecitv_protocol_parse_challenge (www, &err);
  if (*ch == NULL) {
    GST_INFO_OBJECT (w->src, "no usable challenge: %s", err->message);
    g_clear_error (&err);
    if (again)
      post_auth_error (w, "wrong-secret", status,
          "The device refused our proof: wrong pairing secret?");
    else
      post_auth_error (w, "not-seecitv", status,
          "The server does not speak the seecitv protocol");
    return OUTCOME_FATAL;
  }
  if (strcmp ((*ch)->device_id, w->device_id) != 0) {
    post_auth_error (w, "wrong-device", status,
        "The server is another device than device-id");
    return OUTCOME_FATAL;
  }
  closed_stream (stream);
  g_clear_object (msg);

  *cnonce = seecitv_protocol_random_hex (SEECITV_PROTOCOL_NONCE_LEN, &err);
  if (*cnonce != NULL)
    proof = seecitv_protocol_compute_proof (SEECITV_PROOF_CLIENT, w->key,
        sizeof (w->key), w->device_id, (*ch)->challenge, *cnonce, "GET",
        target, &err);
  if (proof == NULL) {
    GST_ELEMENT_ERROR (w->src, LIBRARY, FAILED,
        ("Cannot compute the proof"), ("%s", err->message));
    g_clear_error (&err);
    return OUTCOME_FATAL;
  }
  a.device_id = w->device_id;
  a.challenge = (*ch)->challenge;
  a.cnonce = *cnonce;
  a.proof = proof;
  authz = seecitv_protocol_format_authorization (&a);
  g_free (proof);
  *msg = new_message (w, url);
  soup_message_headers_replace (soup_message_get_request_headers (*msg),
      "Authorization", authz);
  g_free (authz);
  return send_message (w, *msg, cancellable, stream, reason);
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
  guint status, proofs;
  gchar *cnonce = NULL;
  SeecitvChallenge *ch = NULL;

  o = send_message (w, msg, cancellable, &stream, reason);
  if (o != OUTCOME_SENT)
    goto done;
  status = soup_message_get_status (msg);

  /* A 401 to our proof need not mean a wrong secret: the challenge may
   * have expired on the way, or come from before a device restart. The
   * 401 brings a fresh challenge: one more proof over it before the
   * secret is called wrong (which costs the device's brake at most two
   * failures per attempt). */
  for (proofs = 0; w->have_key && status == SOUP_STATUS_UNAUTHORIZED;
      proofs++) {
    if (proofs == 2) {
      post_auth_error (w, "wrong-secret", status,
          "The device refused our proof: wrong pairing secret?");
      o = OUTCOME_FATAL;
      goto done;
    }
    if (proofs == 1)
      GST_INFO_OBJECT (w->src, "proof refused, trying a fresh challenge");
    o = answer_challenge (w, url, target, proofs > 0, cancellable, &msg,
        &stream, &ch, &cnonce, reason);
    if (o != OUTCOME_SENT)
      goto done;
    status = soup_message_get_status (msg);
  }

  if (status == 429) {
    rate_limited (w, msg);
    w->lost_reason = "rate-limited";
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
    /* a seecitv device says 503 with Retry-After while it cannot take
     * logins; without the header, the back-off alone decides */
    if (status == SOUP_STATUS_SERVICE_UNAVAILABLE &&
        soup_message_headers_get_one (soup_message_get_response_headers
            (msg), "Retry-After") != NULL)
      w->retry_after = retry_after_of (msg) * GST_SECOND;
    w->lost_reason = "http-status";
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
  /* seecitv-device's capture time, ustreamer's grab time or an
   * X-Timestamp, whichever the part had (the parser picked the best) */
  f->capture_ns = part->timestamp;
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
    seecitv_src_frame_free (old);
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
      w->lost_reason = "network";
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
      w->lost_reason = "network";
      *reason = g_strdup (err->message);
      g_clear_error (&err);
      o = OUTCOME_LOST;
      break;
    }
    if (n == 0) {
      w->lost_reason = "end-of-stream";
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

gpointer
seecitv_src_worker_thread (gpointer data)
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
              "reason", G_TYPE_STRING,
              w->lost_reason ? w->lost_reason : "network",
              "message", G_TYPE_STRING, GST_STR_NULL (reason), NULL));
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
