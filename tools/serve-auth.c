/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * SeecitvServeAuth (serve-auth.h): a GstRTSPAuth that counts and logs
 * failed logins and refuses a locked-out address before any check. Its
 * methods run in the RTSP clients' threads: the limiter and the user names
 * are guarded by `lock`. Credentials themselves are checked by
 * gst-rtsp-server (the parent class); this file only looks at which user a
 * refused request claimed, and wipes the decoded Basic string at once.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serve-auth.h"
#include <seecitv/protocol/protocol.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

struct _SeecitvServeAuth
{
  GstRTSPAuth parent;

  guint8 key[32];               /* random, for last_failed; set at init */

  GMutex lock;
  SeecitvRateLimiter *limiter;  /* NULL: no brake; protected by lock */
  GHashTable *users;            /* configured user names; lock */
  GHashTable *last_failed;      /* address → keyed hash of its last wrong
                                 * Authorization value; lock */
};

G_DEFINE_TYPE (SeecitvServeAuth, seecitv_serve_auth, GST_TYPE_RTSP_AUTH);

/* The user that @ctx's Authorization header names (g_free ()), or NULL. */
static gchar *
claimed_user (GstRTSPContext * ctx)
{
  GstRTSPAuthCredential **creds =
      gst_rtsp_message_parse_auth_credentials (ctx->request,
      GST_RTSP_HDR_AUTHORIZATION);
  gchar *user = NULL;

  for (GstRTSPAuthCredential ** c = creds; c && *c && !user; c++) {
    if ((*c)->scheme == GST_RTSP_AUTH_BASIC && (*c)->authorization) {
      gsize len = 0;
      guchar *dec = g_base64_decode ((*c)->authorization, &len);
      guchar *colon = dec ? memchr (dec, ':', len) : NULL;

      if (colon != NULL)
        user = g_strndup ((const gchar *) dec, colon - dec);
      if (dec != NULL)
        OPENSSL_cleanse (dec, len);
      g_free (dec);
    } else if ((*c)->scheme == GST_RTSP_AUTH_DIGEST) {
      for (GstRTSPAuthParam ** p = (*c)->params; p && *p; p++)
        if (g_strcmp0 ((*p)->name, "username") == 0 && (*p)->value) {
          user = g_strdup ((*p)->value);
          break;
        }
    }
  }
  if (creds != NULL)
    gst_rtsp_auth_credentials_free (creds);
  return user;
}

static gboolean
seecitv_serve_auth_authenticate (GstRTSPAuth * auth, GstRTSPContext * ctx)
{
  SeecitvServeAuth *self = SEECITV_SERVE_AUTH (auth);
  gboolean ok = GST_RTSP_AUTH_CLASS (seecitv_serve_auth_parent_class)->
      authenticate (auth, ctx);
  const gchar *ip = ctx->conn ? gst_rtsp_connection_get_ip (ctx->conn) : NULL;
  gchar *authz = NULL, *user, *hash;

  if (!ok || ip == NULL || gst_rtsp_message_get_header (ctx->request,
          GST_RTSP_HDR_AUTHORIZATION, &authz, 0) != GST_RTSP_OK)
    return ok;                  /* no credentials: a 401 that does not count */
  if (ctx->token != NULL) {
    seecitv_serve_auth_succeeded (self, ip);
    return ok;
  }
  /* The same wrong credentials again are one mistake, not a guess: rtspsrc
   * retries a refused password several times per connection, an NVR every
   * few seconds. Counted and logged once (a keyed hash: no password kept). */
  user = claimed_user (ctx);
  {
    /* a Digest response differs at each try (a new nonce each time): the
     * same user again on the same connection is the same mistake */
    gchar *same = g_str_has_prefix (authz, "Digest ") ||
        g_str_has_prefix (authz, "digest ") ?
        g_strdup_printf ("digest %p %s", ctx->client, GST_STR_NULL (user)) :
        g_strdup (authz);

    hash = g_compute_hmac_for_string (G_CHECKSUM_SHA256, self->key,
        sizeof (self->key), same, -1);
    g_free (same);
  }
  g_mutex_lock (&self->lock);
  if (g_strcmp0 (g_hash_table_lookup (self->last_failed, ip), hash) == 0) {
    g_mutex_unlock (&self->lock);
    g_free (hash);
    g_free (user);
    return ok;
  }
  if (g_hash_table_size (self->last_failed) >= SEECITV_SERVE_AUTH_MAX_ADDRESSES)
    g_hash_table_remove_all (self->last_failed);
  g_hash_table_replace (self->last_failed, g_strdup (ip), hash);
  g_mutex_unlock (&self->lock);
  seecitv_serve_auth_failed (self, "rtsp", ip, user);
  g_free (user);
  return ok;
}

gint64
seecitv_serve_auth_failed (SeecitvServeAuth * self, const gchar * service,
    const gchar * ip, const gchar * user)
{
  gboolean known;
  gint64 left = 0;

  g_mutex_lock (&self->lock);
  known = user != NULL && g_hash_table_contains (self->users, user);
  if (self->limiter)
    left = seecitv_rate_limiter_fail (self->limiter, ip,
        g_get_monotonic_time ());
  g_mutex_unlock (&self->lock);
  g_printerr ("%s: login failed from %s (%s%s)\n", service, ip,
      known ? "user " : "an unknown user", known ? user : "");
  if (left > 0)
    g_printerr ("%s: locking out %s for %u s after failed logins\n",
        service, ip, seecitv_rate_limiter_retry_after (left));
  return left;
}

void
seecitv_serve_auth_succeeded (SeecitvServeAuth * self, const gchar * ip)
{
  g_mutex_lock (&self->lock);
  if (self->limiter)
    seecitv_rate_limiter_succeed (self->limiter, ip);
  g_hash_table_remove (self->last_failed, ip);
  g_mutex_unlock (&self->lock);
}

gint64
seecitv_serve_auth_locked_out (SeecitvServeAuth * self, const gchar * ip)
{
  gint64 left = 0;

  g_mutex_lock (&self->lock);
  if (self->limiter)
    left = seecitv_rate_limiter_check (self->limiter, ip,
        g_get_monotonic_time ());
  g_mutex_unlock (&self->lock);
  return left;
}

/* 503 with Retry-After, and no challenge: nothing to work on. */
static void
refuse_locked_out (GstRTSPContext * ctx, gint64 left_us)
{
  gchar *secs = g_strdup_printf ("%u",
      seecitv_rate_limiter_retry_after (left_us));

  gst_rtsp_message_init_response (ctx->response,
      GST_RTSP_STS_SERVICE_UNAVAILABLE,
      gst_rtsp_status_as_text (GST_RTSP_STS_SERVICE_UNAVAILABLE),
      ctx->request);
  gst_rtsp_message_add_header (ctx->response, GST_RTSP_HDR_RETRY_AFTER, secs);
  gst_rtsp_client_send_message (ctx->client, ctx->session, ctx->response);
  g_free (secs);
}

/* The URL and media factory checks are the ones that authenticate (and
 * answer themselves when they refuse): a locked-out address is refused
 * there, before its credentials are looked at. */
static gboolean
seecitv_serve_auth_check (GstRTSPAuth * auth, GstRTSPContext * ctx,
    const gchar * check)
{
  SeecitvServeAuth *self = SEECITV_SERVE_AUTH (auth);
  const gchar *ip = ctx->conn ? gst_rtsp_connection_get_ip (ctx->conn) : NULL;
  gint64 left = 0;

  if (ip != NULL && ctx->response != NULL &&
      (g_str_equal (check, GST_RTSP_AUTH_CHECK_URL) ||
          g_str_has_prefix (check, "auth.check.media.factory."))) {
    left = seecitv_serve_auth_locked_out (self, ip);
    if (left > 0) {
      refuse_locked_out (ctx, left);
      return FALSE;
    }
  }
  return GST_RTSP_AUTH_CLASS (seecitv_serve_auth_parent_class)->check (auth,
      ctx, check);
}

static void
seecitv_serve_auth_finalize (GObject * object)
{
  SeecitvServeAuth *self = SEECITV_SERVE_AUTH (object);

  g_clear_pointer (&self->limiter, seecitv_rate_limiter_free);
  g_hash_table_unref (self->users);
  g_hash_table_unref (self->last_failed);
  OPENSSL_cleanse (self->key, sizeof (self->key));
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (seecitv_serve_auth_parent_class)->finalize (object);
}

static void
seecitv_serve_auth_class_init (SeecitvServeAuthClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstRTSPAuthClass *auth_class = GST_RTSP_AUTH_CLASS (klass);

  gobject_class->finalize = seecitv_serve_auth_finalize;
  auth_class->authenticate = seecitv_serve_auth_authenticate;
  auth_class->check = seecitv_serve_auth_check;
}

static void
seecitv_serve_auth_init (SeecitvServeAuth * self)
{
  g_mutex_init (&self->lock);
  self->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  self->last_failed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  if (RAND_bytes (self->key, sizeof (self->key)) != 1)
    g_error ("seecitv-serve: no random bytes from OpenSSL");
}

SeecitvServeAuth *
seecitv_serve_auth_new (guint max_failures, guint lockout_ms)
{
  SeecitvServeAuth *self = g_object_new (SEECITV_TYPE_SERVE_AUTH, NULL);

  if (max_failures > 0)
    self->limiter = seecitv_rate_limiter_new (max_failures,
        (gint64) SEECITV_SERVE_AUTH_WINDOW_S * G_USEC_PER_SEC,
        (gint64) MAX (lockout_ms, 1) * 1000, SEECITV_SERVE_AUTH_MAX_ADDRESSES);
  return self;
}

void
seecitv_serve_auth_add_user (SeecitvServeAuth * self, const gchar * user,
    const gchar * password, gboolean basic, GstRTSPToken * token)
{
  gst_rtsp_auth_add_digest (GST_RTSP_AUTH (self), user, password, token);
  if (basic) {
    gchar *b = gst_rtsp_auth_make_basic (user, password);

    gst_rtsp_auth_add_basic (GST_RTSP_AUTH (self), b, token);
    OPENSSL_cleanse (b, strlen (b));
    g_free (b);
  }
  g_mutex_lock (&self->lock);
  g_hash_table_add (self->users, g_strdup (user));
  g_mutex_unlock (&self->lock);
}
