/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AWS Signature Version 4 (header-based), its pure logic over GLib and
 * OpenSSL EVP: URI encoding, the canonical request, the string to sign, the
 * signing key and the Authorization header value, plus the SHA-256 and MD5
 * digests an S3 request carries (x-amz-content-sha256, Content-MD5). No
 * libsoup and no I/O: tested against the published AWS vectors in
 * tests/check/libs/s3sigv4.c. Sending requests lives in s3client.c.
 *
 * Every returned string is newly allocated (g_free ()). Hex is lowercase.
 */
#ifndef __SEECITV_S3SIGV4_H__
#define __SEECITV_S3SIGV4_H__

#include <glib.h>

G_BEGIN_DECLS

#define SEECITV_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* SHA-256 of the empty string: the payload hash of a request with no body. */
#define SEECITV_SIGV4_EMPTY_SHA256 \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct
{
  const gchar *name;            /* any case; canonicalised to lower case */
  const gchar *value;           /* trimmed, inner runs of spaces folded */
} SeecitvSigV4Header;

typedef struct
{
  const gchar *method;          /* "GET", "PUT", ... */
  /* The path, encoded here exactly once (RFC 3986, '/' kept). For S3 give
   * the object path unencoded ("/bucket/a b"); for the other AWS services
   * (whose canonical URI encodes the path as sent a second time) give the
   * request line's path as it is. No dot-segment normalisation: S3 keys may
   * contain "./". */
  const gchar *path;
  /* "a=b&c=d" or NULL. Each name and value is percent-decoded and encoded
   * again strictly, then the pairs are sorted, as the canonical form wants;
   * a name without '=' gets an empty value. */
  const gchar *query;
  const SeecitvSigV4Header *headers;    /* every header to sign, Host too */
  guint n_headers;
  const gchar *payload_hash;    /* hex SHA-256 of the body */
} SeecitvSigV4Request;

/* RFC 3986 unreserved characters stay, every other byte becomes %XX
 * (upper-case hex); '/' stays unless encode_slash. */
gchar *seecitv_sigv4_uri_encode (const gchar * s, gssize len,
    gboolean encode_slash);

/* Canonical request; *signed_headers (if not NULL) gets "host;x-amz-date". */
gchar *seecitv_sigv4_canonical_request (const SeecitvSigV4Request * req,
    gchar ** signed_headers);

/* scope is "<yyyymmdd>/<region>/<service>/aws4_request". */
gchar *seecitv_sigv4_scope (const gchar * amz_date, const gchar * region,
    const gchar * service);
gchar *seecitv_sigv4_string_to_sign (const gchar * amz_date,
    const gchar * scope, const gchar * canonical_request);

/* The derived key: HMAC chain over date, region, service, "aws4_request". */
gboolean seecitv_sigv4_signing_key (const gchar * secret_key,
    const gchar * amz_date, const gchar * region, const gchar * service,
    guint8 out[32]);

/* The whole signature; returns the Authorization header value, or NULL if
 * OpenSSL failed. amz_date is "YYYYMMDDTHHMMSSZ" and must also be among the
 * request's headers (x-amz-date). canonical and string_to_sign, when not
 * NULL, receive the intermediate texts (for tests). */
gchar *seecitv_sigv4_authorization (const SeecitvSigV4Request * req,
    const gchar * access_key_id, const gchar * secret_key,
    const gchar * region, const gchar * service, const gchar * amz_date,
    gchar ** canonical, gchar ** string_to_sign);

/* "YYYYMMDDTHHMMSSZ" for dt (UTC). */
gchar *seecitv_sigv4_amz_date (GDateTime * dt);

/* Digests of a buffer. */
gchar *seecitv_sigv4_sha256_hex (const guint8 * data, gsize len);
gboolean seecitv_sigv4_sha256 (const guint8 * data, gsize len, guint8 out[32]);
gboolean seecitv_sigv4_md5 (const guint8 * data, gsize len, guint8 out[16]);
/* base64 of MD5, the Content-MD5 header value. */
gchar *seecitv_sigv4_content_md5 (const guint8 * data, gsize len);

G_END_DECLS

#endif /* __SEECITV_S3SIGV4_H__ */
