/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * serve-onvif.h: the ONVIF device and media (ver10) services of
 * seecitv-serve, over libsoup 3; SOAP itself is serve-onvif-soap.c's.
 * Request bodies are bounded before they are read (Content-Length at most
 * SEECITV_ONVIF_MAX_BODY, else 413 or 411), every answer is built from
 * the configuration, the Host header and what the device pipelines really
 * produce (the caps after seecitvredact and the encoder's), escaped.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serve-onvif.h"
#include "serve-onvif-soap.h"

#include <seecitv/protocol/protocol.h>

#include <gst/video/video.h>
#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>

#define REALM "seecitv"
/* UsernameToken Created: this old at most, this far ahead at most */
#define TOKEN_MAX_AGE_S 300
#define TOKEN_SKEW_S 30
#define MAX_NONCES 4096
#define DIGEST_NONCE_MAX_AGE_S 300
#define SNAPSHOT_TIMEOUT (3 * GST_SECOND)
#define DEVICE_PATH "/onvif/device_service"
#define MEDIA_PATH "/onvif/media_service"
#define SNAPSHOT_PATH "/onvif/snapshot/"

typedef struct
{
  const SeecitvServeDevice *cfg;
  GMutex lock;
  GstSample *last;              /* the latest redacted frame; lock */
  GstPad *pad;                  /* seecitvredact's src pad, or NULL */
  gulong probe;
  GstElement *encoder;
} Dev;

struct _SeecitvServeOnvif
{
  const SeecitvServeConfig *cfg;
  GPtrArray *creds;             /* of SeecitvServeCredential */
  Dev *devs;
  guint n_devs;
  SoupServer *server;
  SeecitvServeAuth *auth;
  guint port;
  guint rtsp_port;
  gboolean tls;
  GHashTable *nonces;           /* UsernameToken nonce → expiry (real µs) */
  guint8 key[32];               /* HTTP Digest nonces' HMAC key */
};

typedef struct
{
  SeecitvServeOnvif *self;
  SeecitvOnvifRequest *req;
  SoupServerMessage *msg;
  gchar *base;                  /* http://HOST:PORT */
  gchar *host;                  /* HOST, [v6] bracketed */
  guint flags;                  /* the operation's (Op) */
} Call;

#define CONF_ENCODER 1
#define CONF_ONE 2

/* ---- answers ---- */

static void
reply (SoupServerMessage * msg, guint status, gchar * xml)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/soap+xml; "
      "charset=utf-8", SOUP_MEMORY_TAKE, xml, strlen (xml));
}

/* SOAP 1.2 over HTTP: Sender faults are 400, Receiver faults 500. */
static void
fault (SoupServerMessage * msg, guint status, const gchar * code,
    const gchar * sub1, const gchar * sub2, const gchar * reason)
{
  reply (msg, status, seecitv_onvif_fault (code, sub1, sub2, reason));
}

static void
not_authorized (SoupServerMessage * msg, guint status, const gchar * why)
{
  fault (msg, status, "env:Sender", "ter:NotAuthorized", NULL, why);
}

static void
add_challenge (SeecitvServeOnvif * self, SoupServerMessage * msg,
    gboolean stale)
{
  gchar *t = g_strdup_printf ("%016" G_GINT64_MODIFIER "x",
      g_get_real_time () / G_USEC_PER_SEC);
  gchar *mac = g_compute_hmac_for_string (G_CHECKSUM_SHA256, self->key,
      sizeof (self->key), t, -1);
  gchar *h = g_strdup_printf ("Digest realm=\"" REALM "\", qop=\"auth\", "
      "algorithm=MD5, nonce=\"%s%.32s\"%s", t, mac,
      stale ? ", stale=true" : "");

  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "WWW-Authenticate", h);
  g_free (h);
  g_free (mac);
  g_free (t);
}

static void
locked_out (SoupServerMessage * msg, gint64 left)
{
  gchar *secs = g_strdup_printf ("%u",
      seecitv_rate_limiter_retry_after (left));

  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Retry-After", secs);
  g_free (secs);
  not_authorized (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
      "too many failed logins from this address: try again later");
}

/* ---- logins ---- */

static const gchar *
password_of (SeecitvServeOnvif * self, const gchar * user)
{
  for (guint i = 0; user != NULL && i < self->creds->len; i++) {
    SeecitvServeCredential *c = g_ptr_array_index (self->creds, i);

    if (strcmp (c->user, user) == 0)
      return c->password;
  }
  return NULL;
}

static gboolean
same (const gchar * a, const gchar * b)
{
  gsize n = strlen (a);

  return n == strlen (b) && CRYPTO_memcmp (a, b, n) == 0;
}

static gchar *
md5_join (const gchar * first, ...)
{
  GChecksum *md5 = g_checksum_new (G_CHECKSUM_MD5);
  va_list ap;
  gchar *out;

  va_start (ap, first);
  for (const gchar * s = first; s != NULL; s = va_arg (ap, const gchar *)) {
    if (s != first)
      g_checksum_update (md5, (const guchar *) ":", 1);
    g_checksum_update (md5, (const guchar *) s, -1);
  }
  va_end (ap);
  out = g_strdup (g_checksum_get_string (md5));
  g_checksum_free (md5);
  return out;
}

typedef enum
{
  LOGIN_OK,
  LOGIN_NONE,                   /* no credentials: 401 with a challenge */
  LOGIN_STALE,                  /* an old Digest nonce: a new challenge */
  LOGIN_REFUSED,                /* refused, not counted */
  LOGIN_WRONG,                  /* wrong credentials: counted */
} Login;

/* RFC 7616 Digest (MD5, qop=auth or none) with our stateless nonces. */
static Login
check_digest (SeecitvServeOnvif * self, SoupServerMessage * msg,
    gchar ** user_out)
{
  const gchar *authz =
      soup_message_headers_get_one (soup_server_message_get_request_headers
      (msg), "Authorization");
  GHashTable *p;
  const gchar *user, *nonce, *uri, *resp, *qop, *pw;
  Login r = LOGIN_WRONG;

  if (authz == NULL || g_ascii_strncasecmp (authz, "Digest ", 7) != 0)
    return LOGIN_NONE;
  p = soup_header_parse_param_list (authz + 7);
  user = g_hash_table_lookup (p, "username");
  nonce = g_hash_table_lookup (p, "nonce");
  uri = g_hash_table_lookup (p, "uri");
  resp = g_hash_table_lookup (p, "response");
  qop = g_hash_table_lookup (p, "qop");
  *user_out = g_strdup (user);
  if (user == NULL || nonce == NULL || uri == NULL || resp == NULL ||
      g_strcmp0 (g_hash_table_lookup (p, "realm"), REALM) != 0 ||
      strlen (nonce) != 48) {
    r = LOGIN_REFUSED;
    goto out;
  }
  {
    gchar *t = g_strndup (nonce, 16);
    gchar *mac = g_compute_hmac_for_string (G_CHECKSUM_SHA256, self->key,
        sizeof (self->key), t, -1);
    gint64 when = g_ascii_strtoll (t, NULL, 16);
    gboolean ours = CRYPTO_memcmp (mac, nonce + 16, 32) == 0;

    g_free (mac);
    g_free (t);
    if (!ours)
      goto out;
    if (g_get_real_time () / G_USEC_PER_SEC - when > DIGEST_NONCE_MAX_AGE_S) {
      r = LOGIN_STALE;
      goto out;
    }
  }
  {
    const gchar *path = g_uri_get_path (soup_server_message_get_uri (msg));

    if (!g_str_has_prefix (uri, path)) {
      r = LOGIN_REFUSED;
      goto out;
    }
  }
  if ((pw = password_of (self, user)) != NULL) {
    gchar *ha1 = md5_join (user, REALM, pw, NULL);
    gchar *ha2 = md5_join (soup_server_message_get_method (msg), uri, NULL);
    gchar *want = qop != NULL ? md5_join (ha1, nonce,
        (const gchar *) g_hash_table_lookup (p, "nc") ?: "",
        (const gchar *) g_hash_table_lookup (p, "cnonce") ?: "", qop, ha2,
        NULL) : md5_join (ha1, nonce, ha2, NULL);

    if ((qop == NULL || strcmp (qop, "auth") == 0) && same (want, resp))
      r = LOGIN_OK;
    OPENSSL_cleanse (ha1, strlen (ha1));
    g_free (ha1);
    g_free (ha2);
    g_free (want);
  }
out:
  soup_header_free_param_list (p);
  return r;
}

/* A UsernameToken nonce seen in the last TOKEN_MAX_AGE_S + TOKEN_SKEW_S:
 * TRUE if @nonce is new (and now remembered). Bounded: when full of
 * live nonces, a new one is refused too. */
static gboolean
nonce_fresh (SeecitvServeOnvif * self, const gchar * nonce, gint64 now)
{
  GHashTableIter it;
  gpointer k, v;

  if (g_hash_table_contains (self->nonces, nonce))
    return FALSE;
  if (g_hash_table_size (self->nonces) >= MAX_NONCES) {
    g_hash_table_iter_init (&it, self->nonces);
    while (g_hash_table_iter_next (&it, &k, &v))
      if (*(gint64 *) v < now)
        g_hash_table_iter_remove (&it);
    if (g_hash_table_size (self->nonces) >= MAX_NONCES) {
      g_printerr ("onvif: %u UsernameToken nonces in %d s: refusing more\n",
          MAX_NONCES, TOKEN_MAX_AGE_S + TOKEN_SKEW_S);
      return FALSE;
    }
  }
  {
    gint64 *exp = g_new (gint64, 1);

    *exp = now + (gint64) (TOKEN_MAX_AGE_S + TOKEN_SKEW_S) * G_USEC_PER_SEC;
    g_hash_table_insert (self->nonces, g_strdup (nonce), exp);
  }
  return TRUE;
}

static Login
check_token (SeecitvServeOnvif * self, const SeecitvOnvifRequest * req,
    const gchar ** why)
{
  const gchar *pw = password_of (self, req->username);
  gint64 now = g_get_real_time ();

  if (!req->password_digest) {
    *why = "only PasswordDigest UsernameTokens are accepted";
    return LOGIN_REFUSED;
  }
  switch (seecitv_onvif_token_check (req, pw ? pw : "", now,
          TOKEN_MAX_AGE_S, TOKEN_SKEW_S)) {
    case SEECITV_ONVIF_TOKEN_OK:
      if (pw == NULL)
        break;
      if (!nonce_fresh (self, req->nonce, now)) {
        *why = "the UsernameToken's nonce was used before";
        return LOGIN_WRONG;
      }
      return LOGIN_OK;
    case SEECITV_ONVIF_TOKEN_MALFORMED:
      *why = "malformed UsernameToken (Nonce, Created, Password)";
      return LOGIN_REFUSED;
    case SEECITV_ONVIF_TOKEN_EXPIRED:
      *why = "the UsernameToken's Created is too old (clocks apart? see "
          "GetSystemDateAndTime)";
      return LOGIN_REFUSED;
    case SEECITV_ONVIF_TOKEN_FUTURE:
      *why = "the UsernameToken's Created is in the future (clocks apart? "
          "see GetSystemDateAndTime)";
      return LOGIN_REFUSED;
    case SEECITV_ONVIF_TOKEN_WRONG:
      break;
  }
  *why = "wrong user name or password";
  return LOGIN_WRONG;
}

/* Authenticates @msg (with @req's token if any, else HTTP Digest); on
 * refusal answers it and returns FALSE. */
static gboolean
authenticate (SeecitvServeOnvif * self, SoupServerMessage * msg,
    const SeecitvOnvifRequest * req)
{
  const gchar *ip = soup_server_message_get_remote_host (msg);
  const gchar *why = "wrong user name or password";
  gchar *user = NULL;
  gint64 left;
  Login r;

  if (ip == NULL)
    ip = "?";
  if ((left = seecitv_serve_auth_locked_out (self->auth, ip)) > 0) {
    locked_out (msg, left);
    return FALSE;
  }
  if (req != NULL && req->has_token) {
    r = check_token (self, req, &why);
    user = g_strdup (req->username);
  } else {
    r = check_digest (self, msg, &user);
  }
  switch (r) {
    case LOGIN_OK:
      seecitv_serve_auth_succeeded (self->auth, ip);
      break;
    case LOGIN_NONE:
      add_challenge (self, msg, FALSE);
      not_authorized (msg, SOUP_STATUS_UNAUTHORIZED, "authentication "
          "required (WS-Security UsernameToken or HTTP Digest)");
      break;
    case LOGIN_STALE:
      add_challenge (self, msg, TRUE);
      not_authorized (msg, SOUP_STATUS_UNAUTHORIZED, "stale nonce");
      break;
    case LOGIN_REFUSED:
      if (req == NULL || !req->has_token)
        add_challenge (self, msg, FALSE);
      not_authorized (msg, req && req->has_token ? SOUP_STATUS_BAD_REQUEST :
          SOUP_STATUS_UNAUTHORIZED, why);
      break;
    case LOGIN_WRONG:
      left = seecitv_serve_auth_failed (self->auth, "onvif", ip, user);
      if (left > 0)
        locked_out (msg, left);
      else {
        if (req == NULL || !req->has_token)
          add_challenge (self, msg, FALSE);
        not_authorized (msg, req && req->has_token ?
            SOUP_STATUS_BAD_REQUEST : SOUP_STATUS_UNAUTHORIZED, why);
      }
      break;
  }
  g_free (user);
  return r == LOGIN_OK;
}

/* ---- what the devices really send ---- */

typedef struct
{
  gint width, height, fps;      /* 0 until a frame was seen */
  const gchar *profile;         /* H264Profile */
} Video;

static void
video_of (Dev * d, Video * v)
{
  GstCaps *caps = NULL;
  GstPad *src;

  memset (v, 0, sizeof (*v));
  v->profile = "High";
  g_mutex_lock (&d->lock);
  if (d->last != NULL && gst_sample_get_caps (d->last) != NULL)
    caps = gst_caps_ref (gst_sample_get_caps (d->last));
  g_mutex_unlock (&d->lock);
  if (caps == NULL && d->pad != NULL)
    caps = gst_pad_get_current_caps (d->pad);
  if (caps != NULL) {
    GstVideoInfo info;

    if (gst_video_info_from_caps (&info, caps)) {
      v->width = GST_VIDEO_INFO_WIDTH (&info);
      v->height = GST_VIDEO_INFO_HEIGHT (&info);
      if (GST_VIDEO_INFO_FPS_D (&info) > 0)
        v->fps = (GST_VIDEO_INFO_FPS_N (&info) + GST_VIDEO_INFO_FPS_D (&info)
            - 1) / GST_VIDEO_INFO_FPS_D (&info);
    }
    gst_caps_unref (caps);
  }
  src = d->encoder ? gst_element_get_static_pad (d->encoder, "src") : NULL;
  if (src != NULL && (caps = gst_pad_get_current_caps (src)) != NULL) {
    const gchar *p = gst_structure_get_string (gst_caps_get_structure (caps,
            0), "profile");

    if (p != NULL && (strcmp (p, "baseline") == 0 ||
            strcmp (p, "constrained-baseline") == 0))
      v->profile = "Baseline";
    else if (g_strcmp0 (p, "main") == 0)
      v->profile = "Main";
    else if (g_strcmp0 (p, "extended") == 0)
      v->profile = "Extended";
    gst_caps_unref (caps);
  }
  gst_clear_object (&src);
}

static Dev *
dev_by_token (SeecitvServeOnvif * self, const gchar * token)
{
  for (guint i = 0; token != NULL && i < self->n_devs; i++)
    if (strcmp (self->devs[i].cfg->id, token) == 0)
      return &self->devs[i];
  return NULL;
}

/* Device ids are [A-Za-z0-9._-]: tokens and names as they are. */
static void
source_config (GString * s, const gchar * el, Dev * d, const Video * v)
{
  const gchar *id = d->cfg->id;

  g_string_append_printf (s, "<%s token=\"%s\"><tt:Name>%s</tt:Name>"
      "<tt:UseCount>1</tt:UseCount><tt:SourceToken>%s</tt:SourceToken>"
      "<tt:Bounds x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/></%s>", el, id,
      id, id, v->width, v->height, el);
}

static void
encoder_config (GString * s, const gchar * el, Dev * d, const Video * v)
{
  g_string_append_printf (s, "<%s token=\"%s\"><tt:Name>%s</tt:Name>"
      "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding>"
      "<tt:Resolution><tt:Width>%d</tt:Width><tt:Height>%d</tt:Height>"
      "</tt:Resolution><tt:Quality>5</tt:Quality><tt:RateControl>"
      "<tt:FrameRateLimit>%d</tt:FrameRateLimit><tt:EncodingInterval>1"
      "</tt:EncodingInterval><tt:BitrateLimit>%u</tt:BitrateLimit>"
      "</tt:RateControl><tt:H264><tt:GovLength>%u</tt:GovLength>"
      "<tt:H264Profile>%s</tt:H264Profile></tt:H264><tt:Multicast>"
      "<tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0"
      "</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>0</tt:TTL>"
      "<tt:AutoStart>false</tt:AutoStart></tt:Multicast>"
      "<tt:SessionTimeout>PT60S</tt:SessionTimeout></%s>", el, d->cfg->id,
      d->cfg->id, v->width, v->height, v->fps, d->cfg->bitrate,
      d->cfg->key_interval, v->profile, el);
}

static void
profile (GString * s, const gchar * el, Dev * d)
{
  Video v;

  video_of (d, &v);
  g_string_append_printf (s, "<%s token=\"%s\" fixed=\"true\"><tt:Name>%s"
      "</tt:Name>", el, d->cfg->id, d->cfg->id);
  source_config (s, "tt:VideoSourceConfiguration", d, &v);
  encoder_config (s, "tt:VideoEncoderConfiguration", d, &v);
  g_string_append_printf (s, "</%s>", el);
}

/* ---- device service ---- */

static void
device_capabilities (GString * s)
{
  g_string_append (s, "<tds:Capabilities><tds:Network IPFilter=\"false\" "
      "ZeroConfiguration=\"false\" IPVersion6=\"false\" DynDNS=\"false\"/>"
      "<tds:Security UsernameToken=\"true\" HttpDigest=\"true\"/>"
      "<tds:System DiscoveryResolve=\"false\" DiscoveryBye=\"false\" "
      "RemoteDiscovery=\"false\" SystemBackup=\"false\" "
      "SystemLogging=\"false\" FirmwareUpgrade=\"false\"/>"
      "</tds:Capabilities>");
}

static void
media_capabilities (GString * s, guint n)
{
  g_string_append_printf (s, "<trt:Capabilities SnapshotUri=\"true\" "
      "Rotation=\"false\" VideoSourceMode=\"false\" OSD=\"false\">"
      "<trt:ProfileCapabilities MaximumNumberOfProfiles=\"%u\"/>"
      "<trt:StreamingCapabilities RTPMulticast=\"false\" RTP_TCP=\"true\" "
      "RTP_RTSP_TCP=\"true\" NonAggregateControl=\"false\" "
      "NoRTSPStreaming=\"false\"/></trt:Capabilities>", n);
}

static gboolean
op_date_time (Call * c, GString * s)
{
  GDateTime *now = g_date_time_new_now_utc ();

  g_string_append_printf (s, "<tds:GetSystemDateAndTimeResponse>"
      "<tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType>"
      "<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>"
      "UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime><tt:Time><tt:Hour>%d"
      "</tt:Hour><tt:Minute>%d</tt:Minute><tt:Second>%d</tt:Second>"
      "</tt:Time><tt:Date><tt:Year>%d</tt:Year><tt:Month>%d</tt:Month>"
      "<tt:Day>%d</tt:Day></tt:Date></tt:UTCDateTime>"
      "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>",
      g_date_time_get_hour (now), g_date_time_get_minute (now),
      g_date_time_get_second (now), g_date_time_get_year (now),
      g_date_time_get_month (now), g_date_time_get_day_of_month (now));
  g_date_time_unref (now);
  return TRUE;
}

static gboolean
op_device_information (Call * c, GString * s)
{
  /* a serial number NVRs can tell installations apart by: a hash of the
   * name and the host name (never a MAC address) */
  gchar *in = g_strconcat (c->self->cfg->onvif_name, "\n",
      g_get_host_name (), NULL);
  gchar *serial = g_compute_checksum_for_string (G_CHECKSUM_SHA256, in, -1);
  gchar *name = g_markup_escape_text (c->self->cfg->onvif_name, -1);

  g_free (in);
  g_string_append_printf (s, "<tds:GetDeviceInformationResponse>"
      "<tds:Manufacturer>seecitv</tds:Manufacturer><tds:Model>%s"
      "</tds:Model><tds:FirmwareVersion>%s</tds:FirmwareVersion>"
      "<tds:SerialNumber>%.16s</tds:SerialNumber><tds:HardwareId>"
      "seecitv-serve</tds:HardwareId></tds:GetDeviceInformationResponse>",
      name, PACKAGE_VERSION, serial);
  g_free (name);
  g_free (serial);
  return TRUE;
}

static gboolean
op_capabilities (Call * c, GString * s)
{
  g_string_append_printf (s, "<tds:GetCapabilitiesResponse>"
      "<tds:Capabilities><tt:Device><tt:XAddr>%s" DEVICE_PATH "</tt:XAddr>"
      "<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>"
      "false</tt:ZeroConfiguration><tt:IPVersion6>false</tt:IPVersion6>"
      "<tt:DynDNS>false</tt:DynDNS></tt:Network><tt:System>"
      "<tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>"
      "false</tt:DiscoveryBye><tt:RemoteDiscovery>false</tt:RemoteDiscovery>"
      "<tt:SystemBackup>false</tt:SystemBackup><tt:SystemLogging>false"
      "</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>"
      "<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>0</tt:Minor>"
      "</tt:SupportedVersions></tt:System></tt:Device><tt:Media><tt:XAddr>"
      "%s" MEDIA_PATH "</tt:XAddr><tt:StreamingCapabilities>"
      "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
      "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities>"
      "</tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>",
      c->base, c->base);
  return TRUE;
}

static gboolean
op_services (Call * c, GString * s)
{
  g_string_append_printf (s, "<tds:GetServicesResponse><tds:Service>"
      "<tds:Namespace>" SEECITV_ONVIF_NS_DEVICE "</tds:Namespace><tds:XAddr>"
      "%s" DEVICE_PATH "</tds:XAddr>", c->base);
  if (c->req->include_capability) {
    g_string_append (s, "<tds:Capabilities>");
    device_capabilities (s);
    g_string_append (s, "</tds:Capabilities>");
  }
  g_string_append_printf (s, "<tds:Version><tt:Major>2</tt:Major>"
      "<tt:Minor>0</tt:Minor></tds:Version></tds:Service><tds:Service>"
      "<tds:Namespace>" SEECITV_ONVIF_NS_MEDIA "</tds:Namespace><tds:XAddr>"
      "%s" MEDIA_PATH "</tds:XAddr>", c->base);
  if (c->req->include_capability) {
    g_string_append (s, "<tds:Capabilities>");
    media_capabilities (s, c->self->n_devs);
    g_string_append (s, "</tds:Capabilities>");
  }
  g_string_append (s, "<tds:Version><tt:Major>2</tt:Major><tt:Minor>0"
      "</tt:Minor></tds:Version></tds:Service></tds:GetServicesResponse>");
  return TRUE;
}

static gboolean
op_device_service_capabilities (Call * c, GString * s)
{
  g_string_append (s, "<tds:GetServiceCapabilitiesResponse>");
  device_capabilities (s);
  g_string_append (s, "</tds:GetServiceCapabilitiesResponse>");
  return TRUE;
}

static gboolean
op_scopes (Call * c, GString * s)
{
  gchar *name = g_uri_escape_string (c->self->cfg->onvif_name, NULL, FALSE);
  const gchar *items[] = { "Profile/Streaming", "type/video_encoder",
    "hardware/seecitv-serve", NULL
  };

  g_string_append (s, "<tds:GetScopesResponse>");
  for (guint i = 0; items[i] != NULL; i++)
    g_string_append_printf (s, "<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef>"
        "<tt:ScopeItem>onvif://www.onvif.org/%s</tt:ScopeItem></tds:Scopes>",
        items[i]);
  g_string_append_printf (s, "<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef>"
      "<tt:ScopeItem>onvif://www.onvif.org/name/%s</tt:ScopeItem>"
      "</tds:Scopes></tds:GetScopesResponse>", name);
  g_free (name);
  return TRUE;
}

/* The prefix length of the local address @a, from getifaddrs (). */
static guint
prefix_of (GInetAddress * a)
{
  struct ifaddrs *ifa = NULL;
  guint prefix = 24;

  if (getifaddrs (&ifa) != 0)
    return prefix;
  for (struct ifaddrs * i = ifa; i != NULL; i = i->ifa_next) {
    if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
        i->ifa_addr->sa_family != AF_INET)
      continue;
    if (memcmp (&((struct sockaddr_in *) i->ifa_addr)->sin_addr,
            g_inet_address_to_bytes (a), 4) == 0) {
      guint32 m = ntohl (((struct sockaddr_in *) i->ifa_netmask)->
          sin_addr.s_addr);

      prefix = 0;
      while (m & 0x80000000u) {
        prefix++;
        m <<= 1;
      }
      break;
    }
  }
  freeifaddrs (ifa);
  return prefix;
}

/* The interface the request came in on, as far as NVRs look at it: its
 * address (no hardware address: a MAC is never given out). */
static gboolean
op_network_interfaces (Call * c, GString * s)
{
  GSocketAddress *sa = soup_server_message_get_local_address (c->msg);
  GInetAddress *a = sa && G_IS_INET_SOCKET_ADDRESS (sa) ?
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (sa)) : NULL;

  g_string_append (s, "<tds:GetNetworkInterfacesResponse>"
      "<tds:NetworkInterfaces token=\"if0\"><tt:Enabled>true</tt:Enabled>");
  if (a != NULL && g_inet_address_get_family (a) == G_SOCKET_FAMILY_IPV4) {
    gchar *str = g_inet_address_to_string (a);

    g_string_append_printf (s, "<tt:IPv4><tt:Enabled>true</tt:Enabled>"
        "<tt:Config><tt:Manual><tt:Address>%s</tt:Address><tt:PrefixLength>"
        "%u</tt:PrefixLength></tt:Manual><tt:DHCP>false</tt:DHCP>"
        "</tt:Config></tt:IPv4>", str, prefix_of (a));
    g_free (str);
  }
  g_string_append (s, "</tds:NetworkInterfaces>"
      "</tds:GetNetworkInterfacesResponse>");
  return TRUE;
}

/* ---- media service ---- */

static gboolean
no_profile (Call * c)
{
  fault (c->msg, SOUP_STATUS_BAD_REQUEST, "env:Sender", "ter:InvalidArgVal",
      "ter:NoProfile", "no such profile");
  return FALSE;
}

static gboolean
op_profiles (Call * c, GString * s)
{
  g_string_append (s, "<trt:GetProfilesResponse>");
  for (guint i = 0; i < c->self->n_devs; i++)
    profile (s, "trt:Profiles", &c->self->devs[i]);
  g_string_append (s, "</trt:GetProfilesResponse>");
  return TRUE;
}

static gboolean
op_profile (Call * c, GString * s)
{
  Dev *d = dev_by_token (c->self, c->req->profile_token);

  if (d == NULL)
    return no_profile (c);
  g_string_append (s, "<trt:GetProfileResponse>");
  profile (s, "trt:Profile", d);
  g_string_append (s, "</trt:GetProfileResponse>");
  return TRUE;
}

static gboolean
op_video_sources (Call * c, GString * s)
{
  g_string_append (s, "<trt:GetVideoSourcesResponse>");
  for (guint i = 0; i < c->self->n_devs; i++) {
    Video v;

    video_of (&c->self->devs[i], &v);
    g_string_append_printf (s, "<trt:VideoSources token=\"%s\">"
        "<tt:Framerate>%d</tt:Framerate><tt:Resolution><tt:Width>%d"
        "</tt:Width><tt:Height>%d</tt:Height></tt:Resolution>"
        "</trt:VideoSources>", c->self->devs[i].cfg->id, v.fps, v.width,
        v.height);
  }
  g_string_append (s, "</trt:GetVideoSourcesResponse>");
  return TRUE;
}

/* GetVideoSourceConfiguration(s), GetVideoEncoderConfiguration(s): Op's
 * flags say which */
static gboolean
configurations (Call * c, GString * s, gboolean encoder, gboolean one)
{
  const gchar *what = encoder ? "VideoEncoder" : "VideoSource";
  Dev *d = one ? dev_by_token (c->self, c->req->configuration_token) : NULL;

  if (one && d == NULL) {
    fault (c->msg, SOUP_STATUS_BAD_REQUEST, "env:Sender",
        "ter:InvalidArgVal", "ter:NoConfig", "no such configuration");
    return FALSE;
  }
  g_string_append_printf (s, "<trt:Get%sConfiguration%sResponse>", what,
      one ? "" : "s");
  for (guint i = 0; i < c->self->n_devs; i++) {
    Video v;

    if (one && d != &c->self->devs[i])
      continue;
    video_of (&c->self->devs[i], &v);
    (encoder ? encoder_config : source_config) (s, one ?
        "trt:Configuration" : "trt:Configurations", &c->self->devs[i], &v);
  }
  g_string_append_printf (s, "</trt:Get%sConfiguration%sResponse>", what,
      one ? "" : "s");
  return TRUE;
}

static gboolean
op_configurations (Call * c, GString * s)
{
  return configurations (c, s, (c->flags & CONF_ENCODER) != 0,
      (c->flags & CONF_ONE) != 0);
}

static gboolean
op_stream_uri (Call * c, GString * s)
{
  Dev *d = dev_by_token (c->self, c->req->profile_token);
  const gchar *proto = c->req->protocol;

  if (d == NULL)
    return no_profile (c);
  /* RTP unicast over UDP, over TCP (interleaved), or RTSP (the same);
   * neither multicast nor RTSP over HTTP */
  if ((c->req->stream && strcmp (c->req->stream, "RTP-Unicast") != 0) ||
      (proto && strcmp (proto, "UDP") != 0 && strcmp (proto, "TCP") != 0 &&
          strcmp (proto, "RTSP") != 0)) {
    fault (c->msg, SOUP_STATUS_BAD_REQUEST, "env:Sender",
        "ter:InvalidArgVal", "ter:InvalidStreamSetup", "only RTP-Unicast "
        "over UDP, TCP or RTSP");
    return FALSE;
  }
  g_string_append_printf (s, "<trt:GetStreamUriResponse><trt:MediaUri>"
      "<tt:Uri>%s://%s:%u/%s</tt:Uri><tt:InvalidAfterConnect>false"
      "</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false"
      "</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
      "</trt:GetStreamUriResponse>", c->self->tls ? "rtsps" : "rtsp",
      c->host, c->self->rtsp_port, d->cfg->id);
  return TRUE;
}

static gboolean
op_snapshot_uri (Call * c, GString * s)
{
  Dev *d = dev_by_token (c->self, c->req->profile_token);

  if (d == NULL)
    return no_profile (c);
  g_string_append_printf (s, "<trt:GetSnapshotUriResponse><trt:MediaUri>"
      "<tt:Uri>%s" SNAPSHOT_PATH "%s</tt:Uri><tt:InvalidAfterConnect>false"
      "</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false"
      "</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
      "</trt:GetSnapshotUriResponse>", c->base, d->cfg->id);
  return TRUE;
}

static gboolean
op_media_service_capabilities (Call * c, GString * s)
{
  g_string_append (s, "<trt:GetServiceCapabilitiesResponse>");
  media_capabilities (s, c->self->n_devs);
  g_string_append (s, "</trt:GetServiceCapabilitiesResponse>");
  return TRUE;
}

typedef struct
{
  const gchar *ns;
  const gchar *op;
  gboolean pre_auth;            /* ONVIF Core's PRE_AUTH access class */
  gboolean (*fn) (Call * c, GString * s);
  guint flags;                  /* for fn, as Call's */
} Op;

static const Op ops[] = {
  {SEECITV_ONVIF_NS_DEVICE, "GetSystemDateAndTime", TRUE, op_date_time},
  {SEECITV_ONVIF_NS_DEVICE, "GetCapabilities", TRUE, op_capabilities},
  {SEECITV_ONVIF_NS_DEVICE, "GetServices", TRUE, op_services},
  {SEECITV_ONVIF_NS_DEVICE, "GetServiceCapabilities", TRUE,
      op_device_service_capabilities},
  {SEECITV_ONVIF_NS_DEVICE, "GetDeviceInformation", FALSE,
      op_device_information},
  {SEECITV_ONVIF_NS_DEVICE, "GetScopes", FALSE, op_scopes},
  {SEECITV_ONVIF_NS_DEVICE, "GetNetworkInterfaces", FALSE,
      op_network_interfaces},
  {SEECITV_ONVIF_NS_MEDIA, "GetProfiles", FALSE, op_profiles},
  {SEECITV_ONVIF_NS_MEDIA, "GetProfile", FALSE, op_profile},
  {SEECITV_ONVIF_NS_MEDIA, "GetVideoSources", FALSE, op_video_sources},
  {SEECITV_ONVIF_NS_MEDIA, "GetVideoSourceConfigurations", FALSE,
      op_configurations, 0},
  {SEECITV_ONVIF_NS_MEDIA, "GetVideoSourceConfiguration", FALSE,
      op_configurations, CONF_ONE},
  {SEECITV_ONVIF_NS_MEDIA, "GetVideoEncoderConfigurations", FALSE,
      op_configurations, CONF_ENCODER},
  {SEECITV_ONVIF_NS_MEDIA, "GetVideoEncoderConfiguration", FALSE,
      op_configurations, CONF_ENCODER | CONF_ONE},
  {SEECITV_ONVIF_NS_MEDIA, "GetStreamUri", FALSE, op_stream_uri},
  {SEECITV_ONVIF_NS_MEDIA, "GetSnapshotUri", FALSE, op_snapshot_uri},
  {SEECITV_ONVIF_NS_MEDIA, "GetServiceCapabilities", FALSE,
      op_media_service_capabilities},
};

/* ---- HTTP ---- */

/* http://HOST:PORT of the Host header (IPv6 bracketed), or NULL when it
 * has none or holds anything but a host name or address. */
static gchar *
request_host (SeecitvServeOnvif * self, SoupServerMessage * msg,
    gchar ** base)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const gchar *h = uri ? g_uri_get_host (uri) : NULL;
  gint port = uri ? g_uri_get_port (uri) : -1;
  gchar *host;

  if (h == NULL || *h == '\0' || strlen (h) > 255)
    return NULL;
  for (const gchar * p = h; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != ':' &&
        *p != '_')
      return NULL;
  if (port <= 0)
    port = self->port;
  host = strchr (h, ':') ? g_strdup_printf ("[%s]", h) : g_strdup (h);
  *base = g_strdup_printf ("http://%s:%d", host, port);
  return host;
}

/* POST /onvif/device_service and /onvif/media_service: either service's
 * operations at either path (by the operation's namespace). */
static void
soap_cb (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  Call c = { user_data, NULL, msg, NULL, NULL, 0 };
  const Op *op = NULL;
  GError *err = NULL;
  SeecitvServeOnvif *self = c.self;
  SoupMessageBody *body;
  GBytes *bytes;
  GString *s;

  if (strcmp (soup_server_message_get_method (msg), "POST") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        NULL);
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Allow", "POST");
    return;
  }
  body = soup_server_message_get_request_body (msg);
  /* curl --digest and others first send no body, for a challenge */
  if (body->length == 0 && !authenticate (self, msg, NULL))
    return;
  bytes = soup_message_body_flatten (body);
  c.req = seecitv_onvif_request_parse (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), &err);
  g_bytes_unref (bytes);
  if (c.req == NULL) {
    if (err->code == SEECITV_ONVIF_ERROR_VERSION)
      fault (msg, SOUP_STATUS_BAD_REQUEST, "env:VersionMismatch", NULL, NULL,
          err->message);
    else
      fault (msg, SOUP_STATUS_BAD_REQUEST, "env:Sender", "ter:WellFormed",
          NULL, err->message);
    g_error_free (err);
    return;
  }
  if ((c.host = request_host (self, msg, &c.base)) == NULL) {
    fault (msg, SOUP_STATUS_BAD_REQUEST, "env:Sender", "ter:InvalidArgVal",
        NULL, "no usable Host header");
    goto out;
  }
  for (guint i = 0; i < G_N_ELEMENTS (ops) && op == NULL; i++)
    if (strcmp (ops[i].ns, c.req->ns) == 0 &&
        strcmp (ops[i].op, c.req->op) == 0)
      op = &ops[i];
  /* only the PRE_AUTH operations answer before a login; an unknown one
   * is refused after it, so that it tells nothing to a stranger */
  if ((op == NULL || !op->pre_auth) && !authenticate (self, msg, c.req))
    goto out;
  if (op == NULL) {
    fault (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "env:Receiver",
        "ter:ActionNotSupported", NULL, "operation not supported");
    goto out;
  }
  s = g_string_new (NULL);
  c.flags = op->flags;
  if (op->fn (&c, s))
    reply (msg, SOUP_STATUS_OK, seecitv_onvif_envelope (s->str));
  g_string_free (s, TRUE);
out:
  seecitv_onvif_request_free (c.req);
  g_free (c.host);
  g_free (c.base);
}

static void
snapshot_done (GstSample * jpeg, GError * err, gpointer user_data)
{
  SoupServerMessage *msg = user_data;
  GstBuffer *buf = jpeg ? gst_sample_get_buffer (jpeg) : NULL;
  GstMapInfo map;

  if (buf != NULL && gst_buffer_map (buf, &map, GST_MAP_READ)) {
    soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    soup_server_message_set_response (msg, "image/jpeg", SOUP_MEMORY_COPY,
        (const gchar *) map.data, map.size);
    gst_buffer_unmap (buf, &map);
  } else {
    g_printerr ("onvif: snapshot failed: %s\n", err ? err->message :
        "no image");
    soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        NULL);
  }
  if (jpeg != NULL)
    gst_sample_unref (jpeg);
  if (err != NULL)
    g_error_free (err);
  soup_server_message_unpause (msg);
}

/* GET /onvif/snapshot/<id>: the latest frame after seecitvredact, as
 * JPEG; HTTP Digest as the SOAP services. */
static void
snapshot_cb (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  SeecitvServeOnvif *self = user_data;
  const gchar *method = soup_server_message_get_method (msg);
  Dev *d = dev_by_token (self, path + strlen (SNAPSHOT_PATH));
  GstSample *last = NULL;
  GstCaps *caps;

  if (strcmp (method, "GET") != 0 && strcmp (method, "HEAD") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
        NULL);
    return;
  }
  if (!authenticate (self, msg, NULL))
    return;
  if (d == NULL) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    return;
  }
  g_mutex_lock (&d->lock);
  if (d->last != NULL)
    last = gst_sample_ref (d->last);
  g_mutex_unlock (&d->lock);
  if (last == NULL) {
    soup_server_message_set_status (msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
        "no frame yet");
    soup_message_headers_replace (soup_server_message_get_response_headers
        (msg), "Retry-After", "2");
    return;
  }
  caps = gst_caps_new_empty_simple ("image/jpeg");
  soup_server_message_pause (msg);
  gst_video_convert_sample_async (last, caps, SNAPSHOT_TIMEOUT,
      snapshot_done, g_object_ref (msg), g_object_unref);
  gst_caps_unref (caps);
  gst_sample_unref (last);
}

/* Bounds a request before its body is read. */
static void
got_headers_cb (SoupServerMessage * msg, gpointer user_data)
{
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);

  if (strcmp (soup_server_message_get_method (msg), "POST") != 0)
    return;
  if (soup_message_headers_get_encoding (h) != SOUP_ENCODING_CONTENT_LENGTH)
    soup_server_message_set_status (msg, SOUP_STATUS_LENGTH_REQUIRED, NULL);
  else if (soup_message_headers_get_content_length (h) >
      SEECITV_ONVIF_MAX_BODY)
    soup_server_message_set_status (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        NULL);
}

static void
request_started_cb (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers_cb), NULL);
}

/* ---- life ---- */

static GstPadProbeReturn
frame_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Dev *d = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  GstSample *s = gst_sample_new (GST_PAD_PROBE_INFO_BUFFER (info), caps,
      NULL, NULL);
  GstSample *old;

  g_mutex_lock (&d->lock);
  old = d->last;
  d->last = s;
  g_mutex_unlock (&d->lock);
  if (old != NULL)
    gst_sample_unref (old);
  if (caps != NULL)
    gst_caps_unref (caps);
  return GST_PAD_PROBE_OK;
}

SeecitvServeOnvif *
seecitv_serve_onvif_new (const SeecitvServeConfig * cfg, GPtrArray * creds)
{
  SeecitvServeOnvif *self = g_new0 (SeecitvServeOnvif, 1);

  self->cfg = cfg;
  self->creds = g_ptr_array_ref (creds);
  self->n_devs = cfg->devices->len;
  self->devs = g_new0 (Dev, self->n_devs);
  for (guint i = 0; i < self->n_devs; i++) {
    self->devs[i].cfg = g_ptr_array_index (cfg->devices, i);
    g_mutex_init (&self->devs[i].lock);
  }
  self->nonces = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  if (RAND_bytes (self->key, sizeof (self->key)) != 1)
    g_error ("seecitv-serve: no random bytes from OpenSSL");
  return self;
}

void
seecitv_serve_onvif_watch (SeecitvServeOnvif * self, const gchar * id,
    GstElement * redacted, GstElement * encoder)
{
  Dev *d = dev_by_token (self, id);

  g_return_if_fail (d != NULL && d->pad == NULL);
  d->pad = gst_element_get_static_pad (redacted, "src");
  d->probe = gst_pad_add_probe (d->pad, GST_PAD_PROBE_TYPE_BUFFER,
      frame_probe, d, NULL);
  d->encoder = gst_object_ref (encoder);
}

gboolean
seecitv_serve_onvif_start (SeecitvServeOnvif * self,
    SeecitvServeAuth * auth, guint rtsp_port, gboolean tls, GError ** error)
{
  const SeecitvServeConfig *cfg = self->cfg;
  GSocketAddress *sa = g_inet_socket_address_new_from_string
      (cfg->onvif_address, cfg->onvif_port);
  GSList *listeners;
  gboolean ok;

  self->auth = g_object_ref (auth);
  self->rtsp_port = rtsp_port;
  self->tls = tls;
  self->server = soup_server_new ("server-header", "seecitv-serve", NULL);
  g_signal_connect (self->server, "request-started",
      G_CALLBACK (request_started_cb), self);
  soup_server_add_handler (self->server, DEVICE_PATH, soap_cb, self, NULL);
  soup_server_add_handler (self->server, MEDIA_PATH, soap_cb, self, NULL);
  soup_server_add_handler (self->server, SNAPSHOT_PATH, snapshot_cb, self,
      NULL);
  ok = sa != NULL && soup_server_listen (self->server, sa, 0, NULL);
  g_clear_object (&sa);
  if (!ok) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "%s: [onvif] cannot listen on %s port %u (in use, or not this "
        "machine's address?)", cfg->path, cfg->onvif_address,
        cfg->onvif_port);
    return FALSE;
  }
  listeners = soup_server_get_listeners (self->server);
  if (listeners != NULL) {
    GSocketAddress *local = g_socket_get_local_address (listeners->data,
        NULL);

    if (local != NULL) {
      self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
          (local));
      g_object_unref (local);
    }
  }
  g_slist_free (listeners);
  return TRUE;
}

guint
seecitv_serve_onvif_get_port (SeecitvServeOnvif * self)
{
  return self->port;
}

void
seecitv_serve_onvif_free (SeecitvServeOnvif * self)
{
  if (self == NULL)
    return;
  if (self->server != NULL) {
    soup_server_disconnect (self->server);
    g_object_unref (self->server);
  }
  for (guint i = 0; i < self->n_devs; i++) {
    Dev *d = &self->devs[i];

    if (d->pad != NULL) {
      gst_pad_remove_probe (d->pad, d->probe);
      gst_object_unref (d->pad);
    }
    gst_clear_object (&d->encoder);
    if (d->last != NULL)
      gst_sample_unref (d->last);
    g_mutex_clear (&d->lock);
  }
  g_free (self->devs);
  g_clear_object (&self->auth);
  g_ptr_array_unref (self->creds);
  g_hash_table_unref (self->nonces);
  OPENSSL_cleanse (self->key, sizeof (self->key));
  g_free (self);
}
