/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AWS Signature Version 4 over OpenSSL EVP (see s3sigv4.h). The steps follow
 * AWS's "Create a signed AWS API request" documentation: canonical request,
 * string to sign, derived signing key, signature. Secrets only ever sit in
 * stack buffers wiped with OPENSSL_cleanse; nothing here logs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "s3sigv4.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string.h>

static gboolean
is_unreserved (guchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '_' || c == '.' || c == '~';
}

gchar *
seecitv_sigv4_uri_encode (const gchar * s, gssize len, gboolean encode_slash)
{
  GString *out;
  gsize i, n;

  if (s == NULL)
    return g_strdup ("");
  n = len < 0 ? strlen (s) : (gsize) len;
  out = g_string_sized_new (n + 8);
  for (i = 0; i < n; i++) {
    guchar c = (guchar) s[i];
    if (is_unreserved (c) || (c == '/' && !encode_slash))
      g_string_append_c (out, (gchar) c);
    else
      g_string_append_printf (out, "%%%02X", c);
  }
  return g_string_free (out, FALSE);
}

static gboolean
digest (const EVP_MD * md, const guint8 * data, gsize len, guint8 * out,
    unsigned int out_len)
{
  unsigned int n = 0;
  gboolean ok;

  ERR_clear_error ();
  ok = EVP_Digest (data, len, out, &n, md, NULL) == 1 && n == out_len;
  ERR_clear_error ();
  return ok;
}

gboolean
seecitv_sigv4_sha256 (const guint8 * data, gsize len, guint8 out[32])
{
  return digest (EVP_sha256 (), data, len, out, 32);
}

gboolean
seecitv_sigv4_md5 (const guint8 * data, gsize len, guint8 out[16])
{
  return digest (EVP_md5 (), data, len, out, 16);
}

static gchar *
hex (const guint8 * d, gsize len)
{
  static const gchar digits[] = "0123456789abcdef";
  gchar *s = g_malloc (len * 2 + 1);
  gsize i;

  for (i = 0; i < len; i++) {
    s[2 * i] = digits[d[i] >> 4];
    s[2 * i + 1] = digits[d[i] & 15];
  }
  s[len * 2] = '\0';
  return s;
}

gchar *
seecitv_sigv4_sha256_hex (const guint8 * data, gsize len)
{
  guint8 d[32];

  if (!seecitv_sigv4_sha256 (data, len, d))
    return NULL;
  return hex (d, 32);
}

gchar *
seecitv_sigv4_content_md5 (const guint8 * data, gsize len)
{
  guint8 d[16];

  if (!seecitv_sigv4_md5 (data, len, d))
    return NULL;
  return g_base64_encode (d, 16);
}

/* Percent-decodes s[0..len) (invalid escapes are kept as they are). */
static gchar *
uri_decode (const gchar * s, gsize len, gsize * out_len)
{
  gchar *out = g_malloc (len + 1);
  gsize i, o = 0;

  for (i = 0; i < len; i++) {
    if (s[i] == '%' && i + 2 < len && g_ascii_isxdigit (s[i + 1]) && g_ascii_isxdigit (s[i + 2])) {
      out[o++] = (gchar) ((g_ascii_xdigit_value (s[i + 1]) << 4)
          | g_ascii_xdigit_value (s[i + 2]));
      i += 2;
    } else {
      out[o++] = s[i];
    }
  }
  out[o] = '\0';
  *out_len = o;
  return out;
}

typedef struct
{
  gchar *name;
  gchar *value;
} Pair;

static gint
pair_cmp (gconstpointer a, gconstpointer b)
{
  const Pair *pa = a, *pb = b;
  gint r = strcmp (pa->name, pb->name);
  return r != 0 ? r : strcmp (pa->value, pb->value);
}

static void
pair_clear (gpointer p)
{
  Pair *pair = p;
  g_free (pair->name);
  g_free (pair->value);
}

static gchar *
canonical_query (const gchar * query)
{
  GArray *pairs;
  GString *out;
  const gchar *p;
  guint i;

  if (query == NULL || *query == '\0')
    return g_strdup ("");

  pairs = g_array_new (FALSE, FALSE, sizeof (Pair));
  g_array_set_clear_func (pairs, pair_clear);
  p = query;
  while (TRUE) {
    const gchar *end = strchr (p, '&'), *eq;
    gsize len = end ? (gsize) (end - p) : strlen (p), dlen;
    gchar *dec;
    Pair pair;

    if (len > 0) {
      eq = memchr (p, '=', len);
      dec = uri_decode (p, eq ? (gsize) (eq - p) : len, &dlen);
      pair.name = seecitv_sigv4_uri_encode (dec, dlen, TRUE);
      g_free (dec);
      if (eq) {
        dec = uri_decode (eq + 1, len - (eq + 1 - p), &dlen);
        pair.value = seecitv_sigv4_uri_encode (dec, dlen, TRUE);
        g_free (dec);
      } else {
        pair.value = g_strdup ("");
      }
      g_array_append_val (pairs, pair);
    }
    if (end == NULL)
      break;
    p = end + 1;
  }
  g_array_sort (pairs, pair_cmp);
  out = g_string_new (NULL);
  for (i = 0; i < pairs->len; i++) {
    Pair *pr = &g_array_index (pairs, Pair, i);
    if (i > 0)
      g_string_append_c (out, '&');
    g_string_append_printf (out, "%s=%s", pr->name, pr->value);
  }
  g_array_unref (pairs);
  return g_string_free (out, FALSE);
}

/* Trims the value and folds each run of spaces into one. */
static void
append_header_value (GString * out, const gchar * v)
{
  gboolean space = FALSE;
  gsize start = out->len;

  while (*v == ' ' || *v == '\t')
    v++;
  for (; *v; v++) {
    if (*v == ' ' || *v == '\t') {
      space = TRUE;
      continue;
    }
    if (space && out->len > start)
      g_string_append_c (out, ' ');
    space = FALSE;
    g_string_append_c (out, *v);
  }
}

static gint
header_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Pair *) a)->name, ((const Pair *) b)->name);
}

gchar *
seecitv_sigv4_canonical_request (const SeecitvSigV4Request * req,
    gchar ** signed_headers)
{
  GString *out, *names;
  GArray *hdrs;
  gchar *path, *query;
  guint i;

  g_return_val_if_fail (req != NULL && req->method != NULL, NULL);

  path = seecitv_sigv4_uri_encode (req->path && *req->path ? req->path : "/",
      -1, FALSE);
  query = canonical_query (req->query);

  /* Lower-case names, stable sort, then values of a repeated name joined by
   * ',' in the order given. */
  hdrs = g_array_new (FALSE, FALSE, sizeof (Pair));
  g_array_set_clear_func (hdrs, pair_clear);
  for (i = 0; i < req->n_headers; i++) {
    GString *v = g_string_new (NULL);
    Pair pair;
    append_header_value (v, req->headers[i].value ? req->headers[i].value : "");
    pair.name = g_ascii_strdown (req->headers[i].name, -1);
    pair.value = g_string_free (v, FALSE);
    g_array_append_val (hdrs, pair);
  }
  /* g_array_sort is not stable; insertion order matters for duplicates. */
  for (i = 1; i < hdrs->len; i++) {
    guint j = i;
    while (j > 0 && header_cmp (&g_array_index (hdrs, Pair, j - 1),
            &g_array_index (hdrs, Pair, j)) > 0) {
      Pair t = g_array_index (hdrs, Pair, j);
      g_array_index (hdrs, Pair, j) = g_array_index (hdrs, Pair, j - 1);
      g_array_index (hdrs, Pair, j - 1) = t;
      j--;
    }
  }

  out = g_string_new (NULL);
  names = g_string_new (NULL);
  g_string_append_printf (out, "%s\n%s\n%s\n", req->method, path, query);
  for (i = 0; i < hdrs->len; i++) {
    Pair *h = &g_array_index (hdrs, Pair, i);
    if (i > 0 && strcmp (h->name, g_array_index (hdrs, Pair, i - 1).name) == 0) {
      g_string_append_printf (out, ",%s", h->value);
      continue;
    }
    if (i > 0) {
      g_string_append_c (out, '\n');
      g_string_append_c (names, ';');
    }
    g_string_append_printf (out, "%s:%s", h->name, h->value);
    g_string_append (names, h->name);
  }
  g_string_append_printf (out, "\n\n%s\n%s", names->str,
      req->payload_hash ? req->payload_hash : SEECITV_SIGV4_EMPTY_SHA256);

  g_array_unref (hdrs);
  g_free (path);
  g_free (query);
  if (signed_headers)
    *signed_headers = g_string_free (names, FALSE);
  else
    g_string_free (names, TRUE);
  return g_string_free (out, FALSE);
}

gchar *
seecitv_sigv4_scope (const gchar * amz_date, const gchar * region,
    const gchar * service)
{
  g_return_val_if_fail (amz_date != NULL && strlen (amz_date) >= 8, NULL);
  return g_strdup_printf ("%.8s/%s/%s/aws4_request", amz_date, region,
      service);
}

gchar *
seecitv_sigv4_string_to_sign (const gchar * amz_date, const gchar * scope,
    const gchar * canonical_request)
{
  gchar *h = seecitv_sigv4_sha256_hex ((const guint8 *) canonical_request,
      strlen (canonical_request)), *s;

  if (h == NULL)
    return NULL;
  s = g_strdup_printf (SEECITV_SIGV4_ALGORITHM "\n%s\n%s\n%s", amz_date,
      scope, h);
  g_free (h);
  return s;
}

static gboolean
hmac (const guint8 * key, gsize key_len, const gchar * msg, gsize msg_len,
    guint8 out[32])
{
  unsigned int n = 0;
  gboolean ok;

  ERR_clear_error ();
  ok = HMAC (EVP_sha256 (), key, (int) key_len, (const guint8 *) msg,
      msg_len, out, &n) != NULL && n == 32;
  ERR_clear_error ();
  return ok;
}

gboolean
seecitv_sigv4_signing_key (const gchar * secret_key, const gchar * amz_date,
    const gchar * region, const gchar * service, guint8 out[32])
{
  gchar *k = g_strconcat ("AWS4", secret_key, NULL);
  guint8 a[32], b[32];
  gboolean ok;

  ok = strlen (amz_date) >= 8
      && hmac ((const guint8 *) k, strlen (k), amz_date, 8, a)
      && hmac (a, 32, region, strlen (region), b)
      && hmac (b, 32, service, strlen (service), a)
      && hmac (a, 32, "aws4_request", 12, out);
  OPENSSL_cleanse (k, strlen (k));
  g_free (k);
  OPENSSL_cleanse (a, sizeof (a));
  OPENSSL_cleanse (b, sizeof (b));
  return ok;
}

gchar *
seecitv_sigv4_authorization (const SeecitvSigV4Request * req,
    const gchar * access_key_id, const gchar * secret_key,
    const gchar * region, const gchar * service, const gchar * amz_date,
    gchar ** canonical, gchar ** string_to_sign)
{
  gchar *creq, *names = NULL, *scope, *sts, *sig_hex = NULL, *auth = NULL;
  guint8 key[32], sig[32];

  g_return_val_if_fail (access_key_id && secret_key && region && service
      && amz_date, NULL);

  creq = seecitv_sigv4_canonical_request (req, &names);
  scope = seecitv_sigv4_scope (amz_date, region, service);
  sts = creq && scope ? seecitv_sigv4_string_to_sign (amz_date, scope, creq)
      : NULL;
  if (sts && seecitv_sigv4_signing_key (secret_key, amz_date, region, service,
          key) && hmac (key, 32, sts, strlen (sts), sig)) {
    sig_hex = hex (sig, 32);
    auth = g_strdup_printf (SEECITV_SIGV4_ALGORITHM
        " Credential=%s/%s, SignedHeaders=%s, Signature=%s", access_key_id,
        scope, names, sig_hex);
  }
  OPENSSL_cleanse (key, sizeof (key));
  g_free (sig_hex);
  g_free (names);
  g_free (scope);
  if (canonical)
    *canonical = creq;
  else
    g_free (creq);
  if (string_to_sign)
    *string_to_sign = sts;
  else
    g_free (sts);
  return auth;
}

gchar *
seecitv_sigv4_amz_date (GDateTime * dt)
{
  GDateTime *utc = g_date_time_to_utc (dt);
  gchar *s = g_date_time_format (utc, "%Y%m%dT%H%M%SZ");

  g_date_time_unref (utc);
  return s;
}
