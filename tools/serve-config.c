/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-serve's configuration file and RTSP credentials file parsers
 * (see serve-config.h). Strict on purpose: an unknown group or key is an
 * error, so that a typo ("zone=" for "zones=") cannot silently leave a
 * neighbour's window unredacted. Values are checked here with the same
 * grammar the elements use (gst-libs/seecitv polygon.c, deviceid.c), so a
 * bad value is reported with its file, group and key before any pipeline
 * is built. Values are never quoted in messages: some keys hold paths to
 * secrets, and a value could be a secret pasted in the wrong place.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serve-config.h"

#include <seecitv/deviceid.h>
#include <seecitv/polygon.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (seecitv-serve-config-error-quark, seecitv_serve_config_error);

#define DEVICE_PREFIX "device "
#define MAX_USER_LEN 64
#define MAX_PASSWORD_LEN 256
#define MAX_SECRET_FILE 4096

static const gchar *const rtsp_keys[] = {
  "address", "port", "credentials-file", "max-auth-failures", "lockout",
  "tls-cert-file", "tls-key-file", "tls-self-signed", "tls-self-signed-file",
  NULL
};

static const gchar *const onvif_keys[] = {
  "address", "port", "credentials-file", "name", NULL
};

static const gchar *const webhook_keys[] = {
  "url", "secret-file", "queue-size", "retry-initial", "retry-max",
  "timeout", NULL
};

static const gchar *const device_keys[] = {
  "id", "url", "pin", "key-file", "user", "password-file", "pipeline",
  "zones", "motion-zones", "recording-dir", "keystore", "record",
  "detect-faces", "bitrate", "key-interval", "encoder-threads",
  "transport", "stream", "retry-initial", "retry-max", "timeout", NULL
};

/* Device keys for an RTSP camera only. */
static const gchar *const camera_keys[] = {
  "transport", "stream", "retry-initial", "retry-max", "timeout", NULL
};

static void
wipe (gpointer p, gsize len)
{
  volatile guint8 *v = p;

  while (len--)
    *v++ = 0;
}

static void
device_free (SeecitvServeDevice * d)
{
  g_free (d->group);
  g_free (d->id);
  g_free (d->url);
  g_free (d->pin);
  g_free (d->key_file);
  g_free (d->user);
  g_free (d->password_file);
  g_free (d->pipeline);
  g_free (d->zones);
  g_free (d->motion_zones);
  g_free (d->recording_dir);
  g_free (d->keystore);
  g_free (d);
}

void
seecitv_serve_config_free (SeecitvServeConfig * c)
{
  if (c == NULL)
    return;
  g_free (c->path);
  g_free (c->rtsp_address);
  g_free (c->rtsp_credentials_file);
  g_free (c->rtsp_tls_cert_file);
  g_free (c->rtsp_tls_key_file);
  g_free (c->rtsp_tls_self_signed_file);
  g_free (c->webhook_url);
  g_free (c->webhook_secret_file);
  g_free (c->onvif_address);
  g_free (c->onvif_credentials_file);
  g_free (c->onvif_name);
  g_ptr_array_unref (c->devices);
  g_free (c);
}

/* A parse context: the key file and where messages point. */
typedef struct
{
  GKeyFile *kf;
  const gchar *path;
} Ctx;

static void set_error (Ctx * ctx, GError ** error, gint code,
    const gchar * group, const gchar * fmt, ...) G_GNUC_PRINTF (5, 6);

static void
set_error (Ctx * ctx, GError ** error, gint code, const gchar * group,
    const gchar * fmt, ...)
{
  va_list ap;
  gchar *what;

  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  if (group != NULL)
    g_set_error (error, SEECITV_SERVE_CONFIG_ERROR, code, "%s: [%s] %s",
        ctx->path, group, what);
  else
    g_set_error (error, SEECITV_SERVE_CONFIG_ERROR, code, "%s: %s",
        ctx->path, what);
  g_free (what);
}

/* Every key of @group is in @known. */
static gboolean
check_keys (Ctx * ctx, const gchar * group, const gchar * const *known,
    GError ** error)
{
  gchar **keys = g_key_file_get_keys (ctx->kf, group, NULL, NULL);
  gboolean ok = TRUE;

  for (guint i = 0; keys != NULL && keys[i] != NULL && ok; i++) {
    if (!g_strv_contains (known, keys[i])) {
      gchar *k = g_utf8_make_valid (keys[i], -1);

      set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_UNKNOWN, group,
          "%s: unknown key", k);
      g_free (k);
      ok = FALSE;
    }
  }
  g_strfreev (keys);
  return ok;
}

/* The string value of @key, or NULL when absent. An empty value counts as
 * absent. Sets @error only for a value that is not valid UTF-8. */
static gboolean
get_string (Ctx * ctx, const gchar * group, const gchar * key,
    gchar ** out, GError ** error)
{
  GError *err = NULL;
  gchar *v;

  *out = NULL;
  if (!g_key_file_has_key (ctx->kf, group, key, NULL))
    return TRUE;
  v = g_key_file_get_string (ctx->kf, group, key, &err);
  if (v == NULL) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, group,
        "%s: not a valid string", key);
    g_clear_error (&err);
    return FALSE;
  }
  if (*v == '\0') {
    g_free (v);
    return TRUE;
  }
  *out = v;
  return TRUE;
}

static gboolean
get_required (Ctx * ctx, const gchar * group, const gchar * key,
    gchar ** out, GError ** error)
{
  if (!get_string (ctx, group, key, out, error))
    return FALSE;
  if (*out == NULL) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_MISSING, group,
        "%s: required key missing or empty", key);
    return FALSE;
  }
  return TRUE;
}

/* A number of @unit (1: whole numbers; 1000: seconds, decimals allowed,
 * stored as milliseconds) in [@min, @max] (stored units), default @def
 * when absent. */
static gboolean
get_number (Ctx * ctx, const gchar * group, const gchar * key, guint unit,
    guint def, guint min, guint max, guint * out, GError ** error)
{
  gchar *v = NULL, *end = NULL;
  gboolean ok;
  gdouble n;

  if (!get_string (ctx, group, key, &v, error))
    return FALSE;
  if (v == NULL) {
    *out = def;
    return TRUE;
  }
  g_strstrip (v);
  errno = 0;
  if (unit == 1)
    n = (gdouble) g_ascii_strtoull (v, &end, 10);
  else
    n = g_ascii_strtod (v, &end) * unit;
  ok = g_ascii_isdigit (*v) && *end == '\0' && errno == 0 && n >= min &&
      n <= max;
  g_free (v);
  if (!ok) {
    if (unit == 1)
      set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, group,
          "%s: must be a whole number from %u to %u", key, min, max);
    else
      set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, group,
          "%s: must be a number of seconds from %g to %g", key,
          (gdouble) min / unit, (gdouble) max / unit);
    return FALSE;
  }
  *out = (guint) (n + 0.5);
  return TRUE;
}

#define get_uint(ctx, g, key, def, min, max, out, error) \
  get_number (ctx, g, key, 1, def, min, max, out, error)
#define get_seconds_ms(ctx, g, key, def, min, max, out, error) \
  get_number (ctx, g, key, 1000, def, min, max, out, error)

static gboolean
get_bool (Ctx * ctx, const gchar * group, const gchar * key, gboolean def,
    gboolean * out, GError ** error)
{
  gchar *v = NULL;

  if (!get_string (ctx, group, key, &v, error))
    return FALSE;
  if (v == NULL) {
    *out = def;
    return TRUE;
  }
  g_strstrip (v);
  if (strcmp (v, "true") == 0)
    *out = TRUE;
  else if (strcmp (v, "false") == 0)
    *out = FALSE;
  else {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, group,
        "%s: must be true or false", key);
    g_free (v);
    return FALSE;
  }
  g_free (v);
  return TRUE;
}

/* An http(s):// URL with a host; with @rtsp, rtsp:// and rtsps:// too. */
static gboolean
check_url (Ctx * ctx, const gchar * group, const gchar * key,
    const gchar * url, gboolean rtsp, GError ** error)
{
  GUri *uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const gchar *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  gboolean ok = uri != NULL && g_uri_get_host (uri) != NULL &&
      *g_uri_get_host (uri) != '\0' &&
      (g_ascii_strcasecmp (scheme, "http") == 0 ||
      g_ascii_strcasecmp (scheme, "https") == 0 || (rtsp &&
          (g_ascii_strcasecmp (scheme, "rtsp") == 0 ||
              g_ascii_strcasecmp (scheme, "rtsps") == 0)));

  if (uri)
    g_uri_unref (uri);
  if (!ok)
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, group,
        "%s: must be an http:// or https:// URL with a host%s", key,
        rtsp ? " (or rtsp://, rtsps:// for an IP camera)" : "");
  return ok;
}

/* Either a certificate and its key, or a self-signed one, or neither. */
static gboolean
check_tls (Ctx * ctx, SeecitvServeConfig * c, GError ** error)
{
  const gchar *g = "rtsp", *bad = NULL;

  if (c->rtsp_tls_cert_file != NULL && c->rtsp_tls_key_file == NULL)
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_MISSING, g,
        "tls-key-file: required with tls-cert-file");
  else if (c->rtsp_tls_key_file != NULL && c->rtsp_tls_cert_file == NULL)
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_MISSING, g,
        "tls-cert-file: required with tls-key-file");
  else if (c->rtsp_tls_self_signed && c->rtsp_tls_cert_file != NULL)
    bad = "tls-self-signed: not with tls-cert-file (one certificate)";
  else if (c->rtsp_tls_self_signed_file != NULL && !c->rtsp_tls_self_signed)
    bad = "tls-self-signed-file: only with tls-self-signed=true";
  else
    return TRUE;
  if (bad != NULL)
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g, "%s", bad);
  return FALSE;
}

static gboolean
parse_rtsp (Ctx * ctx, SeecitvServeConfig * c, GError ** error)
{
  const gchar *g = "rtsp";

  if (!g_key_file_has_group (ctx->kf, g))
    return TRUE;
  c->rtsp = TRUE;
  if (!check_keys (ctx, g, rtsp_keys, error) ||
      !get_string (ctx, g, "address", &c->rtsp_address, error) ||
      !get_uint (ctx, g, "port", SEECITV_SERVE_DEFAULT_RTSP_PORT, 0, 65535,
          &c->rtsp_port, error) ||
      !get_required (ctx, g, "credentials-file", &c->rtsp_credentials_file,
          error) ||
      !get_uint (ctx, g, "max-auth-failures",
          SEECITV_SERVE_DEFAULT_MAX_AUTH_FAILURES, 0, 1000,
          &c->rtsp_max_auth_failures, error) ||
      !get_seconds_ms (ctx, g, "lockout", SEECITV_SERVE_DEFAULT_LOCKOUT_MS,
          100, 24 * 3600 * 1000, &c->rtsp_lockout_ms, error) ||
      !get_string (ctx, g, "tls-cert-file", &c->rtsp_tls_cert_file, error) ||
      !get_string (ctx, g, "tls-key-file", &c->rtsp_tls_key_file, error) ||
      !get_bool (ctx, g, "tls-self-signed", FALSE, &c->rtsp_tls_self_signed,
          error) ||
      !get_string (ctx, g, "tls-self-signed-file",
          &c->rtsp_tls_self_signed_file, error) ||
      !check_tls (ctx, c, error))
    return FALSE;
  if (c->rtsp_address == NULL)
    c->rtsp_address = g_strdup ("0.0.0.0");
  else if (!g_hostname_is_ip_address (c->rtsp_address)) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "address: must be an IPv4 or IPv6 address");
    return FALSE;
  }
  return TRUE;
}

/* [onvif]: needs [rtsp] (its stream URIs are the RTSP mounts). */
static gboolean
name_is_valid (const gchar * n)
{
  gsize len = strlen (n);

  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (n[i]) && n[i] != '.' && n[i] != '_' &&
        n[i] != '-' && n[i] != ' ')
      return FALSE;
  return TRUE;
}

static gboolean
parse_onvif (Ctx * ctx, SeecitvServeConfig * c, GError ** error)
{
  const gchar *g = "onvif";

  if (!g_key_file_has_group (ctx->kf, g))
    return TRUE;
  c->onvif = TRUE;
  if (!check_keys (ctx, g, onvif_keys, error) ||
      !get_string (ctx, g, "address", &c->onvif_address, error) ||
      !get_uint (ctx, g, "port", SEECITV_SERVE_DEFAULT_ONVIF_PORT, 0, 65535,
          &c->onvif_port, error) ||
      !get_required (ctx, g, "credentials-file", &c->onvif_credentials_file,
          error) ||
      !get_string (ctx, g, "name", &c->onvif_name, error))
    return FALSE;
  if (!c->rtsp) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_MISSING, g,
        "needs an [rtsp] group (its stream URIs are the RTSP mounts)");
    return FALSE;
  }
  if (c->onvif_address == NULL)
    c->onvif_address = g_strdup ("0.0.0.0");
  else if (!g_hostname_is_ip_address (c->onvif_address)) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "address: must be an IPv4 or IPv6 address");
    return FALSE;
  }
  if (c->onvif_name == NULL)
    c->onvif_name = g_strdup ("seecitv");
  else if (!name_is_valid (c->onvif_name)) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "name: 1-64 characters of A-Z a-z 0-9 . _ - and space");
    return FALSE;
  }
  return TRUE;
}

static gboolean
parse_webhook (Ctx * ctx, SeecitvServeConfig * c, GError ** error)
{
  const gchar *g = "webhook";

  if (!g_key_file_has_group (ctx->kf, g))
    return TRUE;
  if (!check_keys (ctx, g, webhook_keys, error) ||
      !get_required (ctx, g, "url", &c->webhook_url, error) ||
      !check_url (ctx, g, "url", c->webhook_url, FALSE, error) ||
      !get_required (ctx, g, "secret-file", &c->webhook_secret_file, error) ||
      !get_uint (ctx, g, "queue-size", SEECITV_SERVE_DEFAULT_QUEUE_SIZE, 1,
          100000, &c->webhook_queue_size, error) ||
      !get_seconds_ms (ctx, g, "retry-initial",
          SEECITV_SERVE_DEFAULT_RETRY_INITIAL_MS, 10, 3600 * 1000,
          &c->webhook_retry_initial_ms, error) ||
      !get_seconds_ms (ctx, g, "retry-max",
          SEECITV_SERVE_DEFAULT_RETRY_MAX_MS, 10, 24 * 3600 * 1000,
          &c->webhook_retry_max_ms, error) ||
      !get_uint (ctx, g, "timeout", SEECITV_SERVE_DEFAULT_WEBHOOK_TIMEOUT_S,
          1, 600, &c->webhook_timeout_s, error))
    return FALSE;
  if (c->webhook_retry_max_ms < c->webhook_retry_initial_ms) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "retry-max: must not be less than retry-initial");
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_pin (const gchar * pin)
{
  if (!g_str_has_prefix (pin, "sha256:") || strlen (pin) != 7 + 64)
    return FALSE;
  for (const gchar * p = pin + 7; *p; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

/* The keys of an RTSP camera (`url=rtsp://…`), refused with any other
 * source; and what a camera does not take (a seecitv device's pin and
 * pairing key, a login inside the URL: rtspsrc would log it). */
static gboolean
parse_camera (Ctx * ctx, const gchar * g, SeecitvServeDevice * d,
    GError ** error)
{
  gchar *transport = NULL;
  GUri *uri;
  gboolean userinfo;

  d->camera = d->url != NULL &&
      (g_ascii_strncasecmp (d->url, "rtsp://", 7) == 0 ||
      g_ascii_strncasecmp (d->url, "rtsps://", 8) == 0);
  if (!d->camera) {
    for (guint i = 0; camera_keys[i] != NULL; i++) {
      if (g_key_file_has_key (ctx->kf, g, camera_keys[i], NULL)) {
        set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
            "%s: only meaningful with an rtsp:// `url`", camera_keys[i]);
        return FALSE;
      }
    }
    return TRUE;
  }
  if (d->pin != NULL || d->key_file != NULL) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "%s: only for a seecitv device (https://), not an RTSP camera",
        d->pin ? "pin" : "key-file");
    return FALSE;
  }
  uri = g_uri_parse (d->url, G_URI_FLAGS_NONE, NULL);
  userinfo = uri != NULL && g_uri_get_userinfo (uri) != NULL;
  if (uri != NULL)
    g_uri_unref (uri);
  if (userinfo) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "url: no login inside the URL: give `user` and `password-file`");
    return FALSE;
  }
  if (!get_string (ctx, g, "transport", &transport, error) ||
      !get_uint (ctx, g, "stream", 0, 0, SEECITV_SERVE_MAX_CAMERA_STREAM,
          &d->camera_stream, error) ||
      !get_seconds_ms (ctx, g, "retry-initial",
          SEECITV_SERVE_DEFAULT_CAMERA_RETRY_INITIAL_MS, 100, 3600 * 1000,
          &d->camera_retry_initial_ms, error) ||
      !get_seconds_ms (ctx, g, "retry-max",
          SEECITV_SERVE_DEFAULT_CAMERA_RETRY_MAX_MS, 100, 3600 * 1000,
          &d->camera_retry_max_ms, error) ||
      !get_seconds_ms (ctx, g, "timeout",
          SEECITV_SERVE_DEFAULT_CAMERA_TIMEOUT_MS, 500, 600 * 1000,
          &d->camera_timeout_ms, error))
    goto fail;
  if (d->camera_retry_max_ms < d->camera_retry_initial_ms) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "retry-max: must not be less than retry-initial");
    goto fail;
  }
  d->camera_tcp = transport == NULL || strcmp (transport, "tcp") == 0;
  if (!d->camera_tcp && strcmp (transport, "udp") != 0) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "transport: must be tcp or udp");
    goto fail;
  }
  g_free (transport);
  return TRUE;

fail:
  g_free (transport);
  return FALSE;
}

static gboolean
parse_device (Ctx * ctx, const gchar * g, SeecitvServeDevice * d,
    GError ** error)
{
  const gchar *name = g + strlen (DEVICE_PREFIX);
  gchar *record = NULL;
  GError *perr = NULL;

  d->group = g_strdup (g);
  if (!check_keys (ctx, g, device_keys, error) ||
      !get_string (ctx, g, "id", &d->id, error) ||
      !get_string (ctx, g, "url", &d->url, error) ||
      !get_string (ctx, g, "pin", &d->pin, error) ||
      !get_string (ctx, g, "key-file", &d->key_file, error) ||
      !get_string (ctx, g, "user", &d->user, error) ||
      !get_string (ctx, g, "password-file", &d->password_file, error) ||
      !get_string (ctx, g, "pipeline", &d->pipeline, error) ||
      !get_string (ctx, g, "zones", &d->zones, error) ||
      !get_string (ctx, g, "motion-zones", &d->motion_zones, error) ||
      !get_string (ctx, g, "recording-dir", &d->recording_dir, error) ||
      !get_string (ctx, g, "keystore", &d->keystore, error) ||
      !get_string (ctx, g, "record", &record, error) ||
      !get_bool (ctx, g, "detect-faces", TRUE, &d->detect_faces, error) ||
      !get_uint (ctx, g, "bitrate", SEECITV_SERVE_DEFAULT_BITRATE, 16,
          100000, &d->bitrate, error) ||
      !get_uint (ctx, g, "key-interval", SEECITV_SERVE_DEFAULT_KEY_INTERVAL,
          1, 1000, &d->key_interval, error) ||
      !get_uint (ctx, g, "encoder-threads", 0, 0,
          SEECITV_SERVE_MAX_ENCODER_THREADS, &d->encoder_threads, error))
    goto fail;

  if (d->id == NULL)
    d->id = g_strdup (name);
  if (!seecitv_device_id_is_valid (d->id)) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "%s: a device id is 1-64 characters of A-Z a-z 0-9 . _ - "
        "(and not \".\" or \"..\"): give a valid `id`", d->id == NULL ||
        g_key_file_has_key (ctx->kf, g, "id", NULL) ? "id" : "group name");
    goto fail;
  }
  if ((d->url == NULL) == (d->pipeline == NULL)) {
    set_error (ctx, error, d->url == NULL ?
        SEECITV_SERVE_CONFIG_ERROR_MISSING : SEECITV_SERVE_CONFIG_ERROR_INVALID,
        g, "url: give exactly one of `url` and `pipeline`");
    goto fail;
  }
  if ((d->url != NULL && !check_url (ctx, g, "url", d->url, TRUE, error)) ||
      !parse_camera (ctx, g, d, error))
    goto fail;
  if (d->pin != NULL && !check_pin (d->pin)) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "pin: must be sha256: and 64 lowercase hex digits");
    goto fail;
  }
  /* seecitvsrc refuses this too: over plain HTTP no certificate is seen,
   * so the pin would protect nothing while looking as if it did. */
  if (d->pin != NULL && d->url != NULL &&
      g_ascii_strncasecmp (d->url, "http://", 7) == 0) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "pin: a pin needs an https:// url; `url` is plain http://");
    goto fail;
  }
  if (d->url == NULL && (d->pin || d->key_file || d->user ||
          d->password_file)) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "%s: only meaningful with `url`", d->pin ? "pin" : d->key_file ?
        "key-file" : d->user ? "user" : "password-file");
    goto fail;
  }
  if ((d->user == NULL) != (d->password_file == NULL)) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_MISSING, g,
        "%s: `user` and `password-file` go together",
        d->user ? "password-file" : "user");
    goto fail;
  }
  if (d->zones != NULL) {
    SeecitvPolygon *p = NULL;
    guint n = 0;

    if (!seecitv_polygons_parse (d->zones, &p, &n, &perr)) {
      set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
          "zones: %s", perr->message);
      goto fail;
    }
    seecitv_polygons_free (p, n);
  }
  if (d->motion_zones != NULL) {
    SeecitvZone *z = NULL;
    guint n = 0;

    if (!seecitv_zones_parse (d->motion_zones, &z, &n, &perr)) {
      set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
          "motion-zones: %s", perr->message);
      goto fail;
    }
    seecitv_zones_free (z, n);
  }
  if ((d->recording_dir == NULL) != (d->keystore == NULL)) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_MISSING, g,
        "%s: recording needs both `recording-dir` and `keystore`",
        d->recording_dir ? "keystore" : "recording-dir");
    goto fail;
  }
  if (record == NULL || strcmp (record, "motion") == 0)
    d->record = SEECITV_SERVE_RECORD_MOTION;
  else if (strcmp (record, "continuous") == 0)
    d->record = SEECITV_SERVE_RECORD_CONTINUOUS;
  else {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
        "record: must be motion or continuous");
    goto fail;
  }
  if (record != NULL && d->recording_dir == NULL) {
    set_error (ctx, error, SEECITV_SERVE_CONFIG_ERROR_MISSING, g,
        "recording-dir: `record` needs `recording-dir` and `keystore`");
    goto fail;
  }
  g_free (record);
  return TRUE;

fail:
  g_clear_error (&perr);
  g_free (record);
  return FALSE;
}

SeecitvServeConfig *
seecitv_serve_config_parse (const gchar * data, gsize len,
    const gchar * path, GError ** error)
{
  SeecitvServeConfig *c = g_new0 (SeecitvServeConfig, 1);
  Ctx ctx = { g_key_file_new (), path };
  GError *err = NULL;
  gchar **groups = NULL;
  gboolean ok = FALSE;

  c->path = g_strdup (path);
  c->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  if (data == NULL)
    data = "";

  /* GKeyFile stops at a NUL byte without saying so: refuse it instead */
  if (memchr (data, '\0', len) != NULL || !g_utf8_validate (data, len, NULL)) {
    set_error (&ctx, error, SEECITV_SERVE_CONFIG_ERROR_SYNTAX, NULL,
        "not a text file (NUL byte or invalid UTF-8)");
    goto out;
  }
  if (!g_key_file_load_from_data (ctx.kf, data, len, G_KEY_FILE_NONE, &err)) {
    set_error (&ctx, error, SEECITV_SERVE_CONFIG_ERROR_SYNTAX, NULL,
        "%s", err->message);
    g_clear_error (&err);
    goto out;
  }
  if (!parse_rtsp (&ctx, c, error) || !parse_onvif (&ctx, c, error) ||
      !parse_webhook (&ctx, c, error))
    goto out;

  groups = g_key_file_get_groups (ctx.kf, NULL);
  for (guint i = 0; groups[i] != NULL; i++) {
    const gchar *g = groups[i];
    SeecitvServeDevice *d;

    if (strcmp (g, "rtsp") == 0 || strcmp (g, "webhook") == 0 ||
        strcmp (g, "onvif") == 0)
      continue;
    if (!g_str_has_prefix (g, DEVICE_PREFIX) || g[strlen (DEVICE_PREFIX)]
        == '\0') {
      gchar *gv = g_utf8_make_valid (g, -1);

      set_error (&ctx, error, SEECITV_SERVE_CONFIG_ERROR_UNKNOWN, gv,
          "unknown group (expected [rtsp], [onvif], [webhook] or "
          "[device NAME])");
      g_free (gv);
      goto out;
    }
    if (c->devices->len == SEECITV_SERVE_MAX_DEVICES) {
      set_error (&ctx, error, SEECITV_SERVE_CONFIG_ERROR_INVALID, g,
          "more than %u devices", SEECITV_SERVE_MAX_DEVICES);
      goto out;
    }
    d = g_new0 (SeecitvServeDevice, 1);
    g_ptr_array_add (c->devices, d);
    if (!parse_device (&ctx, g, d, error))
      goto out;
    for (guint j = 0; j + 1 < c->devices->len; j++) {
      SeecitvServeDevice *o = g_ptr_array_index (c->devices, j);

      if (strcmp (o->id, d->id) == 0) {
        set_error (&ctx, error, SEECITV_SERVE_CONFIG_ERROR_DUPLICATE, g,
            "id: device id %s is also used by [%s]", d->id, o->group);
        goto out;
      }
    }
  }
  if (c->devices->len == 0) {
    set_error (&ctx, error, SEECITV_SERVE_CONFIG_ERROR_NO_DEVICE, NULL,
        "no [device NAME] group: nothing to serve");
    goto out;
  }
  ok = TRUE;

out:
  g_strfreev (groups);
  g_key_file_free (ctx.kf);
  if (!ok)
    g_clear_pointer (&c, seecitv_serve_config_free);
  return c;
}

SeecitvServeConfig *
seecitv_serve_config_load (const gchar * path, GError ** error)
{
  gchar *data = NULL;
  gsize len = 0;
  SeecitvServeConfig *c;

  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  c = seecitv_serve_config_parse (data, len, path, error);
  g_free (data);
  return c;
}

static void
credential_free (SeecitvServeCredential * cr)
{
  g_free (cr->user);
  if (cr->password != NULL) {
    wipe (cr->password, strlen (cr->password));
    g_free (cr->password);
  }
  g_free (cr);
}

static gboolean
user_is_valid (const gchar * u, gsize len)
{
  if (len == 0 || len > MAX_USER_LEN)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalnum (u[i]) && u[i] != '.' && u[i] != '_' && u[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean
password_is_valid (const gchar * p, gsize len)
{
  const gchar *end = p + len;

  if (len == 0 || len > MAX_PASSWORD_LEN || !g_utf8_validate (p, len, NULL))
    return FALSE;
  for (; p < end; p = g_utf8_next_char (p))
    if (!g_unichar_isprint (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

GPtrArray *
seecitv_serve_credentials_parse (const gchar * data, gsize len,
    const gchar * path, GError ** error)
{
  GPtrArray *creds = g_ptr_array_new_with_free_func ((GDestroyNotify)
      credential_free);
  const gchar *p, *end;
  guint line = 0;

  if (data == NULL)
    data = "";
  p = data;
  end = data + len;

  while (p < end) {
    const gchar *nl = memchr (p, '\n', end - p);
    const gchar *e = nl ? nl : end, *colon;
    gsize n;

    line++;
    n = e - p;
    if (n > 0 && p[n - 1] == '\r')
      n--;
    if (n == 0 || p[0] == '#') {
      p = nl ? nl + 1 : end;
      continue;
    }
    colon = memchr (p, ':', n);
    if (colon == NULL || !user_is_valid (p, colon - p) ||
        !password_is_valid (colon + 1, n - (colon - p) - 1)) {
      g_set_error (error, SEECITV_SERVE_CONFIG_ERROR,
          SEECITV_SERVE_CONFIG_ERROR_INVALID, "%s: line %u: expected "
          "user:password (user 1-%d of A-Z a-z 0-9 . _ -, password 1-%d "
          "printable characters)", path, line, MAX_USER_LEN,
          MAX_PASSWORD_LEN);
      g_ptr_array_unref (creds);
      return NULL;
    }
    {
      SeecitvServeCredential *cr = g_new0 (SeecitvServeCredential, 1);

      cr->user = g_strndup (p, colon - p);
      cr->password = g_strndup (colon + 1, n - (colon - p) - 1);
      for (guint i = 0; i < creds->len; i++) {
        SeecitvServeCredential *o = g_ptr_array_index (creds, i);

        if (strcmp (o->user, cr->user) == 0) {
          g_set_error (error, SEECITV_SERVE_CONFIG_ERROR,
              SEECITV_SERVE_CONFIG_ERROR_DUPLICATE,
              "%s: line %u: user %s appears twice", path, line, cr->user);
          credential_free (cr);
          g_ptr_array_unref (creds);
          return NULL;
        }
      }
      g_ptr_array_add (creds, cr);
    }
    p = nl ? nl + 1 : end;
  }
  if (creds->len == 0) {
    g_set_error (error, SEECITV_SERVE_CONFIG_ERROR,
        SEECITV_SERVE_CONFIG_ERROR_MISSING, "%s: no user:password line",
        path);
    g_ptr_array_unref (creds);
    return NULL;
  }
  return creds;
}

gchar *
seecitv_serve_secret_load (const gchar * path, gsize min_len, gsize * len,
    GError ** error)
{
  struct stat st;
  gchar *buf;
  gssize n, total = 0;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int e = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "%s: cannot open: %s", path, g_strerror (e));
    return NULL;
  }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: not a regular file", path);
    close (fd);
    return NULL;
  }
  if ((st.st_mode & 077) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_PERM,
        "%s: readable by group or others (mode %03o): chmod 600 it",
        path, (guint) (st.st_mode & 0777));
    close (fd);
    return NULL;
  }
  buf = g_malloc (MAX_SECRET_FILE + 1);
  while ((n = read (fd, buf + total, MAX_SECRET_FILE + 1 - total)) > 0)
    total += n;
  close (fd);
  if (n < 0 || total > MAX_SECRET_FILE) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: %s", path, n < 0 ? "cannot read" : "larger than 4096 bytes");
    wipe (buf, MAX_SECRET_FILE + 1);
    g_free (buf);
    return NULL;
  }
  /* all trailing whitespace, as docs/serve.md says: editors add newlines,
   * CRs or spaces, and a secret that ends in one would be a trap */
  while (total > 0 && g_ascii_isspace (buf[total - 1]))
    total--;
  buf[total] = '\0';
  if ((gsize) total < MAX (min_len, 1)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: the secret is empty or shorter than %" G_GSIZE_FORMAT " bytes",
        path, MAX (min_len, 1));
    wipe (buf, MAX_SECRET_FILE + 1);
    g_free (buf);
    return NULL;
  }
  *len = total;
  return buf;
}

void
seecitv_serve_secret_free (gchar * secret, gsize len)
{
  if (secret == NULL)
    return;
  wipe (secret, len);
  g_free (secret);
}
