/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The S3 client (see s3client.h): credentials, request signing and the
 * four operations over libsoup 3's synchronous API. Request bodies are
 * memory-mapped clip files, so a clip is never copied into memory; reply
 * bodies other than GET's are bounded. XML lives in s3xml.c, signing in
 * s3sigv4.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "s3client.h"
#include "s3sigv4.h"

#include <libsoup/soup.h>
#include <openssl/crypto.h>

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK (seecitv-s3-error-quark, seecitv_s3_error);

#define DEFAULT_REGION "us-east-1"
#define DEFAULT_TIMEOUT 60
/* Longest error or listing reply read into memory. */
#define MAX_REPLY SEECITV_S3XML_MAX_BODY
/* Longest server text quoted in an error message. */
#define MAX_QUOTE 200

struct _SeecitvS3Client
{
  SoupSession *session;
  gchar *bucket;
  gchar *prefix;                /* without leading/trailing '/', or "" */
  gchar *base;                  /* "https://host:port" without a '/' */
  gchar *host_header;           /* what libsoup sends as Host */
  gboolean plain_http;
  gchar *region;
  gchar *access_key_id;
  gchar *secret;                /* wiped on free */
  gchar *session_token;         /* wiped on free */
  guint64 threshold;
  guint64 part_size;
};

/* ---- configuration ---- */

gboolean
seecitv_s3_target_parse (const gchar * target, gchar ** bucket,
    gchar ** prefix, GError ** error)
{
  const gchar *p, *slash;
  gchar *b, *pre;
  gsize i, blen;

  if (target == NULL || !g_str_has_prefix (target, "s3://")) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_CONFIG,
        "upload target must look like s3://bucket/prefix");
    return FALSE;
  }
  p = target + 5;
  slash = strchr (p, '/');
  blen = slash ? (gsize) (slash - p) : strlen (p);
  /* S3 bucket names: 3-63 of [a-z0-9.-]; be a little more lenient about
   * case for other servers, never about '/', '?', '#' or spaces. */
  if (blen < 3 || blen > 63) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_CONFIG,
        "bucket name in the upload target must have 3 to 63 characters");
    return FALSE;
  }
  for (i = 0; i < blen; i++) {
    if (!g_ascii_isalnum (p[i]) && p[i] != '-' && p[i] != '.'
        && p[i] != '_') {
      g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_CONFIG,
          "bucket name in the upload target has a character S3 does not "
          "allow");
      return FALSE;
    }
  }
  b = g_strndup (p, blen);
  pre = g_strdup (slash ? slash + 1 : "");
  /* Trim slashes so that keys never start with or double a '/'. */
  g_strdelimit (pre, "\\", '/');
  while (pre[0] != '\0' && pre[strlen (pre) - 1] == '/')
    pre[strlen (pre) - 1] = '\0';
  if (pre[0] == '/' || strstr (pre, "//") != NULL
      || strstr (pre, "..") != NULL || !g_utf8_validate (pre, -1, NULL)) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_CONFIG,
        "prefix in the upload target must be a plain relative path");
    g_free (b);
    g_free (pre);
    return FALSE;
  }
  if (bucket)
    *bucket = b;
  else
    g_free (b);
  if (prefix)
    *prefix = pre;
  else
    g_free (pre);
  return TRUE;
}

static gchar *
dup_env (const gchar * name)
{
  const gchar *v = g_getenv (name);
  return v && *v ? g_strdup (v) : NULL;
}

static void
wipe_free (gchar * s)
{
  if (s) {
    OPENSSL_cleanse (s, strlen (s));
    g_free (s);
  }
}

/* Fills the credentials from the environment, then the shared file. */
static gboolean
load_credentials (SeecitvS3Client * c, GError ** error)
{
  gchar *file_region = NULL;

  c->access_key_id = dup_env ("AWS_ACCESS_KEY_ID");
  c->secret = dup_env ("AWS_SECRET_ACCESS_KEY");
  c->session_token = dup_env ("AWS_SESSION_TOKEN");

  if (c->access_key_id == NULL || c->secret == NULL) {
    gchar *path = dup_env ("AWS_SHARED_CREDENTIALS_FILE");
    gchar *profile = dup_env ("AWS_PROFILE");
    GKeyFile *kf = g_key_file_new ();

    if (path == NULL)
      path = g_build_filename (g_get_home_dir (), ".aws", "credentials", NULL);
    if (profile == NULL)
      profile = g_strdup ("default");
    if (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL)) {
      g_clear_pointer (&c->access_key_id, g_free);
      g_clear_pointer (&c->secret, wipe_free);
      g_clear_pointer (&c->session_token, wipe_free);
      c->access_key_id = g_key_file_get_string (kf, profile,
          "aws_access_key_id", NULL);
      c->secret = g_key_file_get_string (kf, profile,
          "aws_secret_access_key", NULL);
      c->session_token = g_key_file_get_string (kf, profile,
          "aws_session_token", NULL);
      file_region = g_key_file_get_string (kf, profile, "region", NULL);
    }
    /* The file held secrets in GKeyFile's own buffers: free it now. */
    g_key_file_free (kf);
    g_free (path);
    g_free (profile);
  }
  if (c->access_key_id == NULL || c->secret == NULL
      || c->access_key_id[0] == '\0' || c->secret[0] == '\0') {
    g_free (file_region);
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_CONFIG,
        "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
        "or write them to the shared credentials file "
        "(AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials)");
    return FALSE;
  }
  c->region = dup_env ("AWS_REGION");
  if (c->region == NULL)
    c->region = dup_env ("AWS_DEFAULT_REGION");
  if (c->region == NULL)
    c->region = file_region ? file_region : g_strdup (DEFAULT_REGION);
  else
    g_free (file_region);
  return TRUE;
}

static gboolean
parse_endpoint (SeecitvS3Client * c, const gchar * endpoint, GError ** error)
{
  gchar *given = endpoint && *endpoint ? g_strdup (endpoint) :
      g_strdup_printf ("https://s3.%s.amazonaws.com", c->region);
  GUri *uri = g_uri_parse (given, G_URI_FLAGS_NONE, NULL);
  const gchar *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  const gchar *host = uri ? g_uri_get_host (uri) : NULL;
  gint port = uri ? g_uri_get_port (uri) : -1;
  gboolean ok = FALSE;

  if (uri == NULL || host == NULL || *host == '\0' || scheme == NULL
      || (g_ascii_strcasecmp (scheme, "https") != 0
          && g_ascii_strcasecmp (scheme, "http") != 0)
      || g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL
      || (g_uri_get_path (uri)[0] != '\0'
          && strcmp (g_uri_get_path (uri), "/") != 0)) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_CONFIG,
        "upload endpoint must look like https://host[:port] (or http:// "
        "to opt in to plain HTTP)");
    goto out;
  }
  c->plain_http = g_ascii_strcasecmp (scheme, "http") == 0;
  {
    gboolean v6 = strchr (host, ':') != NULL;
    gboolean dflt = port < 0 || (c->plain_http && port == 80)
        || (!c->plain_http && port == 443);
    gchar *h = v6 ? g_strdup_printf ("[%s]", host) : g_strdup (host);

    c->host_header = dflt ? g_strdup (h) : g_strdup_printf ("%s:%d", h, port);
    c->base = g_strdup_printf ("%s://%s", c->plain_http ? "http" : "https",
        c->host_header);
    g_free (h);
  }
  ok = TRUE;
out:
  if (uri)
    g_uri_unref (uri);
  g_free (given);
  return ok;
}

/* The proxy from https_proxy / http_proxy (and no_proxy), as command-line
 * tools do, or none: never the desktop's proxy settings (libproxy), which a
 * recorder running as a service does not have. */
static GProxyResolver *
env_proxy_resolver (gboolean plain_http)
{
  const gchar *names[] = { plain_http ? "http_proxy" : "https_proxy",
    plain_http ? "HTTP_PROXY" : "HTTPS_PROXY"
  };
  const gchar *proxy = NULL, *no;
  gchar **ignore = NULL;
  GProxyResolver *r;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names) && (proxy == NULL || !*proxy); i++)
    proxy = g_getenv (names[i]);
  if (proxy == NULL || *proxy == '\0')
    return NULL;
  no = g_getenv ("no_proxy");
  if (no == NULL)
    no = g_getenv ("NO_PROXY");
  if (no != NULL && *no != '\0')
    ignore = g_strsplit (no, ",", -1);
  r = g_simple_proxy_resolver_new (proxy, ignore);
  g_strfreev (ignore);
  return r;
}

SeecitvS3Client *
seecitv_s3_client_new (const gchar * target, const gchar * endpoint,
    GError ** error)
{
  GProxyResolver *proxy;

  SeecitvS3Client *c = g_new0 (SeecitvS3Client, 1);

  c->threshold = SEECITV_S3_DEFAULT_MULTIPART_THRESHOLD;
  c->part_size = SEECITV_S3_DEFAULT_MULTIPART_THRESHOLD;
  if (!seecitv_s3_target_parse (target, &c->bucket, &c->prefix, error)
      || !load_credentials (c, error) || !parse_endpoint (c, endpoint, error)) {
    seecitv_s3_client_free (c);
    return NULL;
  }
  proxy = env_proxy_resolver (c->plain_http);
  c->session = soup_session_new_with_options ("timeout", DEFAULT_TIMEOUT,
      "idle-timeout", DEFAULT_TIMEOUT, "user-agent", "seecitv/" VERSION,
      "proxy-resolver", proxy, NULL);
  g_clear_object (&proxy);
  return c;
}

void
seecitv_s3_client_free (SeecitvS3Client * c)
{
  if (c == NULL)
    return;
  g_clear_object (&c->session);
  g_free (c->bucket);
  g_free (c->prefix);
  g_free (c->base);
  g_free (c->host_header);
  g_free (c->region);
  g_free (c->access_key_id);
  wipe_free (c->secret);
  wipe_free (c->session_token);
  g_free (c);
}

gboolean
seecitv_s3_client_is_plain_http (SeecitvS3Client * c)
{
  return c->plain_http;
}

const gchar *
seecitv_s3_client_get_bucket (SeecitvS3Client * c)
{
  return c->bucket;
}

gchar *
seecitv_s3_client_object_key (SeecitvS3Client * c, const gchar * name)
{
  if (c->prefix[0] == '\0')
    return g_strdup (name);
  return g_strconcat (c->prefix, "/", name, NULL);
}

gchar *
seecitv_s3_client_object_uri (SeecitvS3Client * c, const gchar * key)
{
  return g_strdup_printf ("s3://%s/%s", c->bucket, key);
}

void
seecitv_s3_client_set_multipart (SeecitvS3Client * c, guint64 threshold,
    guint64 part_size)
{
  c->threshold = threshold;
  c->part_size = MAX (part_size, SEECITV_S3_MIN_PART_SIZE);
}

void
seecitv_s3_client_set_timeout (SeecitvS3Client * c, guint seconds)
{
  g_object_set (c->session, "timeout", seconds, "idle-timeout", seconds,
      NULL);
}

/* ---- requests ---- */

typedef struct
{
  const gchar *method;
  const gchar *key;             /* NULL: the bucket itself */
  const gchar *query;           /* canonical-encoded, or NULL */
  GBytes *body;                 /* or NULL */
  GOutputStream *sink;          /* 2xx body goes here (GET), or NULL */
  /* Results */
  guint status;
  GBytes *reply;                /* body of a reply not sent to sink */
  gchar *etag;                  /* ETag header of the reply */
} Request;

static void
request_clear (Request * r)
{
  g_clear_pointer (&r->reply, g_bytes_unref);
  g_clear_pointer (&r->etag, g_free);
}

static gchar *
quote_server_text (const gchar * s)
{
  gchar *v = g_utf8_make_valid (s ? s : "", -1), *p;

  for (p = v; *p; p++)
    if ((guchar) * p < 0x20)
      *p = ' ';
  if (g_utf8_strlen (v, -1) > MAX_QUOTE) {
    gchar *t = g_utf8_substring (v, 0, MAX_QUOTE);
    g_free (v);
    v = t;
  }
  return v;
}

/* Builds the error of a non-2xx reply from its XML body. */
static void
set_http_error (SeecitvS3Client * c, Request * r, GError ** error)
{
  gchar *code = NULL, *message = NULL, *uri, *qc, *qm;
  gsize len = 0;
  const gchar *xml = r->reply ? g_bytes_get_data (r->reply, &len) : NULL;

  if (xml == NULL || !seecitv_s3xml_parse_error (xml, len, &code, &message,
          NULL)) {
    code = NULL;
    message = NULL;
  }
  uri = r->key ? seecitv_s3_client_object_uri (c, r->key) :
      g_strdup_printf ("s3://%s", c->bucket);
  qc = quote_server_text (code ? code : soup_status_get_phrase (r->status));
  qm = quote_server_text (message);
  g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_HTTP,
      "S3 %s %s: HTTP %u %s%s%s%s", r->method, uri, r->status, qc,
      qm[0] ? ": " : "", qm, SOUP_STATUS_IS_REDIRECTION (r->status) ?
      " (a redirect, not followed: check the endpoint and region)" : "");
  g_free (qc);
  g_free (qm);
  g_free (uri);
  g_free (code);
  g_free (message);
}

static GBytes *
read_bounded (GInputStream * in, GCancellable * cancellable, GError ** error)
{
  GByteArray *all = g_byte_array_new ();

  while (TRUE) {
    GBytes *b = g_input_stream_read_bytes (in, 65536, cancellable, error);
    gsize n;
    if (b == NULL) {
      g_byte_array_unref (all);
      return NULL;
    }
    n = g_bytes_get_size (b);
    if (n == 0) {
      g_bytes_unref (b);
      break;
    }
    if (all->len + n > MAX_REPLY) {
      g_bytes_unref (b);
      g_byte_array_unref (all);
      g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_REPLY,
          "S3 reply too large");
      return NULL;
    }
    g_byte_array_append (all, g_bytes_get_data (b, NULL), n);
    g_bytes_unref (b);
  }
  return g_byte_array_free_to_bytes (all);
}

/* Signs and sends one request; TRUE when the server answered 2xx. */
static gboolean
send_request (SeecitvS3Client * c, Request * r, GCancellable * cancellable,
    GError ** error)
{
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *amz_date = seecitv_sigv4_amz_date (now);
  gchar *path, *enc_path, *url, *payload, *md5 = NULL, *auth;
  SeecitvSigV4Header hdrs[6];
  guint n = 0;
  SeecitvSigV4Request sreq;
  SoupMessage *msg;
  SoupMessageHeaders *h;
  GInputStream *in;
  const guint8 *data = NULL;
  gsize len = 0;
  gboolean ok = FALSE;
  GError *err = NULL;

  g_date_time_unref (now);
  r->status = 0;
  if (r->body)
    data = g_bytes_get_data (r->body, &len);
  payload = seecitv_sigv4_sha256_hex (data ? data : (const guint8 *) "", len);
  if (r->body)
    md5 = seecitv_sigv4_content_md5 (data ? data : (const guint8 *) "", len);

  path = r->key ? g_strdup_printf ("/%s/%s", c->bucket, r->key) :
      g_strdup_printf ("/%s", c->bucket);
  enc_path = seecitv_sigv4_uri_encode (path, -1, FALSE);
  url = g_strdup_printf ("%s%s%s%s", c->base, enc_path, r->query ? "?" : "",
      r->query ? r->query : "");

  if (md5)
    hdrs[n++] = (SeecitvSigV4Header) {
    "content-md5", md5};
  hdrs[n++] = (SeecitvSigV4Header) {
  "host", c->host_header};
  hdrs[n++] = (SeecitvSigV4Header) {
  "x-amz-content-sha256", payload};
  hdrs[n++] = (SeecitvSigV4Header) {
  "x-amz-date", amz_date};
  if (c->session_token)
    hdrs[n++] = (SeecitvSigV4Header) {
    "x-amz-security-token", c->session_token};
  sreq = (SeecitvSigV4Request) {
  r->method, path, r->query, hdrs, n, payload};
  auth = seecitv_sigv4_authorization (&sreq, c->access_key_id, c->secret,
      c->region, "s3", amz_date, NULL, NULL);

  msg = auth ? soup_message_new (r->method, url) : NULL;
  if (msg == NULL) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_CONFIG,
        "cannot build the S3 request for %s", r->key ? r->key : c->bucket);
    goto out;
  }
  /* A redirect would carry the signed headers, x-amz-security-token
   * included, to whatever host it names: a 3xx is an error instead. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  h = soup_message_get_request_headers (msg);
  soup_message_headers_replace (h, "Authorization", auth);
  soup_message_headers_replace (h, "x-amz-content-sha256", payload);
  soup_message_headers_replace (h, "x-amz-date", amz_date);
  if (c->session_token)
    soup_message_headers_replace (h, "x-amz-security-token",
        c->session_token);
  if (md5)
    soup_message_headers_replace (h, "Content-MD5", md5);
  if (r->body)
    soup_message_set_request_body_from_bytes (msg,
        "application/octet-stream", r->body);

  in = soup_session_send (c->session, msg, cancellable, &err);
  if (in == NULL) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_NETWORK,
        "S3 %s s3://%s/%s: %s", r->method, c->bucket, r->key ? r->key : "",
        err->message);
    g_clear_error (&err);
    g_object_unref (msg);
    goto out;
  }
  r->status = soup_message_get_status (msg);
  g_free (r->etag);
  r->etag = g_strdup (soup_message_headers_get_one
      (soup_message_get_response_headers (msg), "ETag"));
  if (SOUP_STATUS_IS_SUCCESSFUL (r->status) && r->sink) {
    ok = g_output_stream_splice (r->sink, in,
        G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE, cancellable, &err) >= 0;
    if (!ok) {
      g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_NETWORK,
          "S3 %s s3://%s/%s: %s", r->method, c->bucket, r->key ? r->key : "",
          err->message);
      g_clear_error (&err);
    }
  } else {
    r->reply = read_bounded (in, cancellable, &err);
    g_input_stream_close (in, NULL, NULL);
    if (r->reply == NULL) {
      g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_NETWORK,
          "S3 %s s3://%s/%s: %s", r->method, c->bucket, r->key ? r->key : "",
          err->message);
      g_clear_error (&err);
    } else if (!SOUP_STATUS_IS_SUCCESSFUL (r->status)) {
      set_http_error (c, r, error);
    } else {
      ok = TRUE;
    }
  }
  g_object_unref (in);
  g_object_unref (msg);
out:
  g_free (auth);
  g_free (url);
  g_free (enc_path);
  g_free (path);
  g_free (payload);
  g_free (md5);
  g_free (amz_date);
  return ok;
}

/* The ETag of a single PUT is the MD5 of the body (servers that encrypt
 * with KMS answer something else: only a 32-hex ETag is compared). */
static gboolean
check_etag (SeecitvS3Client * c, Request * r, GBytes * body, GError ** error)
{
  guint8 d[16];
  gchar hexd[33];
  gsize len, i;
  const guint8 *data = g_bytes_get_data (body, &len);
  gchar *e;

  if (r->etag == NULL)
    return TRUE;
  e = g_strdup (r->etag);
  g_strstrip (e);
  if (e[0] == '"' && strlen (e) >= 2) {
    memmove (e, e + 1, strlen (e));
    e[strlen (e) - 1] = '\0';
  }
  if (strlen (e) != 32 || !seecitv_sigv4_md5 (data ? data :
          (const guint8 *) "", len, d)) {
    g_free (e);
    return TRUE;
  }
  for (i = 0; i < 16; i++)
    g_snprintf (hexd + 2 * i, 3, "%02x", d[i]);
  if (g_ascii_strcasecmp (e, hexd) != 0) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_INTEGRITY,
        "S3 PUT s3://%s/%s: the server stored different bytes (ETag does "
        "not match the MD5 of the clip)", c->bucket, r->key);
    g_free (e);
    return FALSE;
  }
  g_free (e);
  return TRUE;
}

static gboolean
put_multipart (SeecitvS3Client * c, const gchar * key, GBytes * all,
    GCancellable * cancellable, guint * http_status, GError ** error)
{
  Request r = { "POST", key, "uploads=" };
  gchar *upload_id, *enc_id, *q, *xml;
  GPtrArray *etags = g_ptr_array_new_with_free_func (g_free);
  gsize total = g_bytes_get_size (all), off;
  gboolean ok = FALSE;
  GBytes *xb;

  if (!send_request (c, &r, cancellable, error))
    goto done;
  upload_id = seecitv_s3xml_parse_upload_id (g_bytes_get_data (r.reply, NULL),
      g_bytes_get_size (r.reply), NULL);
  request_clear (&r);
  if (upload_id == NULL) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_REPLY,
        "S3 multipart upload of s3://%s/%s: no upload id in the reply",
        c->bucket, key);
    goto done;
  }
  enc_id = seecitv_sigv4_uri_encode (upload_id, -1, TRUE);
  g_free (upload_id);

  for (off = 0; off < total; off += c->part_size) {
    gsize n = MIN ((gsize) c->part_size, total - off);
    GBytes *part = g_bytes_new_from_bytes (all, off, n);
    Request pr = { "PUT", key };
    gboolean part_ok;

    pr.query = q = g_strdup_printf ("partNumber=%u&uploadId=%s",
        etags->len + 1, enc_id);
    pr.body = part;
    part_ok = send_request (c, &pr, cancellable, error)
        && check_etag (c, &pr, part, error);
    r.status = pr.status;
    if (part_ok && pr.etag == NULL) {
      g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_REPLY,
          "S3 upload of part %u of s3://%s/%s: no ETag in the reply",
          etags->len + 1, c->bucket, key);
      part_ok = FALSE;
    }
    if (part_ok)
      g_ptr_array_add (etags, g_strdup (pr.etag));
    request_clear (&pr);
    g_free (q);
    g_bytes_unref (part);
    if (!part_ok)
      goto abort;
  }

  xml = seecitv_s3xml_complete_multipart ((const gchar * const *)
      etags->pdata, etags->len);
  xb = g_bytes_new_take (xml, strlen (xml));
  {
    Request cr = { "POST", key };
    cr.query = q = g_strdup_printf ("uploadId=%s", enc_id);
    cr.body = xb;
    ok = send_request (c, &cr, cancellable, error);
    /* S3 may answer 200 with an <Error> body to a completion. */
    if (ok && cr.reply && g_bytes_get_size (cr.reply) > 0) {
      gchar *code = NULL, *message = NULL;
      if (seecitv_s3xml_parse_error (g_bytes_get_data (cr.reply, NULL),
              g_bytes_get_size (cr.reply), &code, &message, NULL)) {
        cr.status = 500;
        set_http_error (c, &cr, error);
        ok = FALSE;
      }
      g_free (code);
      g_free (message);
    }
    r.status = cr.status;
    request_clear (&cr);
    g_free (q);
  }
  g_bytes_unref (xb);
  if (ok)
    goto done_id;

abort:
  {
    /* Leave no half upload behind (storage costs); best effort. */
    Request ar = { "DELETE", key };
    guint keep = r.status;
    ar.query = q = g_strdup_printf ("uploadId=%s", enc_id);
    send_request (c, &ar, cancellable, NULL);
    request_clear (&ar);
    g_free (q);
    r.status = keep;
  }
done_id:
  g_free (enc_id);
done:
  if (http_status)
    *http_status = r.status;
  request_clear (&r);
  g_ptr_array_unref (etags);
  return ok;
}

gboolean
seecitv_s3_client_put_file (SeecitvS3Client * c, const gchar * key,
    const gchar * path, GCancellable * cancellable, guint * http_status,
    GError ** error)
{
  GError *err = NULL;
  GMappedFile *mf;
  GBytes *body;
  gboolean ok;

  if (http_status)
    *http_status = 0;
  mf = g_mapped_file_new (path, FALSE, &err);
  if (mf == NULL) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_LOCAL,
        "cannot read %s: %s", path, err->message);
    g_clear_error (&err);
    return FALSE;
  }
  body = g_mapped_file_get_bytes (mf);
  g_mapped_file_unref (mf);
  ok = seecitv_s3_client_put_bytes (c, key, body, cancellable, http_status,
      error);
  g_bytes_unref (body);
  return ok;
}

gboolean
seecitv_s3_client_put_bytes (SeecitvS3Client * c, const gchar * key,
    GBytes * body, GCancellable * cancellable, guint * http_status,
    GError ** error)
{
  gboolean ok;

  if (http_status)
    *http_status = 0;
  if (g_bytes_get_size (body) > c->threshold) {
    ok = put_multipart (c, key, body, cancellable, http_status, error);
  } else {
    Request r = { "PUT", key };
    r.body = body;
    ok = send_request (c, &r, cancellable, error)
        && check_etag (c, &r, body, error);
    if (http_status)
      *http_status = r.status;
    request_clear (&r);
  }
  return ok;
}

GBytes *
seecitv_s3_client_get_bytes (SeecitvS3Client * c, const gchar * key,
    GCancellable * cancellable, guint * http_status, GError ** error)
{
  Request r = { "GET", key };
  GBytes *out = NULL;

  /* No sink: the body is read into memory, bounded. */
  if (send_request (c, &r, cancellable, error))
    out = g_steal_pointer (&r.reply);
  if (http_status)
    *http_status = r.status;
  request_clear (&r);
  return out;
}

gboolean
seecitv_s3_client_get_file (SeecitvS3Client * c, const gchar * key,
    const gchar * path, GCancellable * cancellable, guint * http_status,
    GError ** error)
{
  GFile *f = g_file_new_for_path (path);
  GError *err = NULL;
  GFileOutputStream *out = g_file_replace (f, NULL, FALSE,
      G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION, cancellable,
      &err);
  Request r = { "GET", key };
  gboolean ok;

  if (http_status)
    *http_status = 0;
  if (out == NULL) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_LOCAL,
        "cannot write %s: %s", path, err->message);
    g_clear_error (&err);
    g_object_unref (f);
    return FALSE;
  }
  r.sink = G_OUTPUT_STREAM (out);
  ok = send_request (c, &r, cancellable, error);
  if (!g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &err)) {
    if (ok)
      g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_LOCAL,
          "cannot write %s: %s", path, err->message);
    g_clear_error (&err);
    ok = FALSE;
  }
  if (!ok)
    g_file_delete (f, NULL, NULL);
  if (http_status)
    *http_status = r.status;
  request_clear (&r);
  g_object_unref (out);
  g_object_unref (f);
  return ok;
}

gboolean
seecitv_s3_client_delete (SeecitvS3Client * c, const gchar * key,
    GCancellable * cancellable, guint * http_status, GError ** error)
{
  Request r = { "DELETE", key };
  gboolean ok = send_request (c, &r, cancellable, error);

  if (!ok && r.status == SOUP_STATUS_NOT_FOUND && r.reply != NULL) {
    gchar *code = NULL, *message = NULL;
    if (seecitv_s3xml_parse_error (g_bytes_get_data (r.reply, NULL),
            g_bytes_get_size (r.reply), &code, &message, NULL)
        && g_strcmp0 (code, "NoSuchKey") == 0) {
      g_clear_error (error);
      ok = TRUE;
    }
    g_free (code);
    g_free (message);
  }
  if (http_status)
    *http_status = r.status;
  request_clear (&r);
  return ok;
}

GPtrArray *
seecitv_s3_client_list (SeecitvS3Client * c, const gchar * prefix,
    GCancellable * cancellable, guint * http_status, GError ** error)
{
  GPtrArray *all =
      g_ptr_array_new_with_free_func ((GDestroyNotify) seecitv_s3_object_free);
  gchar *token = NULL, *full, *enc_prefix;
  guint pages = 0;

  full = prefix && *prefix ? seecitv_s3_client_object_key (c, prefix) :
      (c->prefix[0] ? g_strconcat (c->prefix, "/", NULL) : g_strdup (""));
  enc_prefix = seecitv_sigv4_uri_encode (full, -1, TRUE);
  g_free (full);

  do {
    Request r = { "GET", NULL };
    gchar *enc_token = token ? seecitv_sigv4_uri_encode (token, -1, TRUE) :
        NULL;
    SeecitvS3ListResult *res;
    GError *err = NULL;
    gboolean ok;

    /* Parameters in canonical (sorted) order. */
    r.query = full = g_strdup_printf ("%s%s%slist-type=2&prefix=%s",
        enc_token ? "continuation-token=" : "", enc_token ? enc_token : "",
        enc_token ? "&" : "", enc_prefix);
    ok = send_request (c, &r, cancellable, error);
    g_free (enc_token);
    g_free (full);
    if (http_status)
      *http_status = r.status;
    res = ok ? seecitv_s3xml_parse_list (g_bytes_get_data (r.reply, NULL),
        g_bytes_get_size (r.reply), &err) : NULL;
    request_clear (&r);
    if (res == NULL) {
      if (ok) {
        g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_REPLY,
            "S3 listing of s3://%s: %s", c->bucket, err->message);
        g_clear_error (&err);
      }
      g_free (token);
      g_free (enc_prefix);
      g_ptr_array_unref (all);
      return NULL;
    }
    while (res->objects->len > 0)
      g_ptr_array_add (all, g_ptr_array_steal_index (res->objects, 0));
    g_free (token);
    token = res->truncated ? g_strdup (res->next_token) : NULL;
    seecitv_s3_list_result_free (res);
  } while (token != NULL && ++pages < 100000);
  g_free (token);
  g_free (enc_prefix);
  return all;
}
