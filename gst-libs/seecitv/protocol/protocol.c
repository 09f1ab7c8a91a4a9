/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The seecitv device protocol's pure logic (see protocol.h and
 * docs/protocol.md). Parsers are strict and bounded: every input is limited
 * in length before it is looked at, every field is checked against its
 * grammar, and nothing from the wire is ever used as a format string or a
 * path. No I/O other than reading a key file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "protocol.h"

#include <seecitv/deviceid.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

G_DEFINE_QUARK (seecitv-protocol-error-quark, seecitv_protocol_error);

#define PROOF_LABEL_CLIENT "seecitv-v1 client-proof\n"
#define PROOF_LABEL_DEVICE "seecitv-v1 device-proof\n"
#define MAC_LABEL "seecitv-v1 mac\n"
#define MAX_EXPIRES 3600

/* ---- small validators ---- */

gboolean
seecitv_protocol_device_id_is_valid (const gchar * device_id)
{
  return seecitv_device_id_is_valid (device_id);
}

static gboolean
is_tchar (gchar c)
{
  return g_ascii_isalnum (c) || (c != '\0' && strchr ("!#$%&'*+-.^_`|~",
          c) != NULL);
}

gboolean
seecitv_protocol_method_is_valid (const gchar * method)
{
  gsize i;

  if (method == NULL || method[0] == '\0')
    return FALSE;
  for (i = 0; method[i] != '\0'; i++) {
    if (i >= 32 || !is_tchar (method[i]))
      return FALSE;
  }
  return TRUE;
}

gboolean
seecitv_protocol_path_is_valid (const gchar * path)
{
  gsize i;

  if (path == NULL || path[0] != '/')
    return FALSE;
  for (i = 0; path[i] != '\0'; i++) {
    if (i >= SEECITV_PROTOCOL_MAX_HEADER || path[i] <= ' ' ||
        (guchar) path[i] >= 0x7f)
      return FALSE;
  }
  return TRUE;
}

/* Exactly @len lowercase hex characters. */
static gboolean
is_lower_hex (const gchar * s, gsize len)
{
  gsize i;

  if (s == NULL)
    return FALSE;
  for (i = 0; i < len; i++) {
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return FALSE;
  }
  return s[len] == '\0';
}

static gchar *
to_hex (const guint8 * data, gsize len)
{
  static const gchar digits[] = "0123456789abcdef";
  gchar *out = g_malloc (2 * len + 1);
  gsize i;

  for (i = 0; i < len; i++) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  out[2 * len] = '\0';
  return out;
}

/* @s must have passed a hex check (either case) of 2 * @len characters. */
static void
from_hex (const gchar * s, guint8 * out, gsize len)
{
  gsize i;

  for (i = 0; i < len; i++)
    out[i] = (g_ascii_xdigit_value (s[2 * i]) << 4) |
        g_ascii_xdigit_value (s[2 * i + 1]);
}

static void
set_crypto_error (GError ** error, const gchar * what)
{
  unsigned long e = ERR_get_error ();
  gchar buf[256] = "no detail from OpenSSL";

  if (e != 0)
    ERR_error_string_n (e, buf, sizeof (buf));
  ERR_clear_error ();
  g_set_error (error, SEECITV_PROTOCOL_ERROR, SEECITV_PROTOCOL_ERROR_CRYPTO,
      "%s failed: %s", what, buf);
}

gchar *
seecitv_protocol_random_hex (gsize len, GError ** error)
{
  guint8 buf[64];
  gchar *hex;

  g_return_val_if_fail (len > 0 && len <= sizeof (buf), NULL);
  ERR_clear_error ();
  if (RAND_bytes (buf, (int) len) != 1) {
    set_crypto_error (error, "RAND_bytes");
    return NULL;
  }
  hex = to_hex (buf, len);
  OPENSSL_cleanse (buf, sizeof (buf));
  return hex;
}

/* ---- auth-param lists (RFC 9110 section 11) ---- */

static void
skip_ows (const gchar ** p)
{
  while (**p == ' ' || **p == '\t')
    (*p)++;
}

static gchar *
read_token (const gchar ** p)
{
  const gchar *start = *p;

  while (is_tchar (**p))
    (*p)++;
  return *p > start ? g_strndup (start, *p - start) : NULL;
}

/* A quoted-string at *p (which is '"'), unescaped. NULL if unterminated or
 * holding a control character. */
static gchar *
read_quoted (const gchar ** p)
{
  GString *s = g_string_new (NULL);
  const gchar *q = *p + 1;

  for (;;) {
    gchar c = *q;

    if (c == '"') {
      *p = q + 1;
      return g_string_free (s, FALSE);
    }
    if (c == '\\') {
      q++;
      c = *q;
    }
    if (c == '\0' || ((guchar) c < 0x20 && c != '\t') || c == 0x7f) {
      g_string_free (s, TRUE);
      return NULL;
    }
    g_string_append_c (s, c);
    q++;
  }
}

static gboolean
syntax_error (GError ** error, const gchar * what)
{
  g_set_error (error, SEECITV_PROTOCOL_ERROR, SEECITV_PROTOCOL_ERROR_SYNTAX,
      "%s", what);
  return FALSE;
}

/* Parses @value as a list of challenges/credentials (@with_scheme: `scheme
 * params, scheme params`, and the params of the first Seecitv one are
 * returned) or as a bare auth-param list (Authentication-Info). Parameter
 * names are returned lowercase; a duplicate is an error. */
static GHashTable *
parse_auth_params (const gchar * value, gboolean with_scheme, GError ** error)
{
  GHashTable *params = NULL;
  gboolean collecting = !with_scheme, seen_scheme = FALSE;
  const gchar *p = value;

  if (value == NULL || strnlen (value, SEECITV_PROTOCOL_MAX_HEADER + 1) >
      SEECITV_PROTOCOL_MAX_HEADER) {
    syntax_error (error, "header value missing or too long");
    return NULL;
  }
  if (!with_scheme)
    params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (;;) {
    gchar *name;
    const gchar *q;

    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    if (*p == '\0')
      break;
    name = read_token (&p);
    if (name == NULL) {
      syntax_error (error, "unexpected character");
      goto fail;
    }
    q = p;
    skip_ows (&q);
    if (*q == '=') {
      gchar *val, *lower;

      if (with_scheme && !seen_scheme) {
        g_free (name);
        syntax_error (error, "parameter before any scheme");
        goto fail;
      }
      p = q + 1;
      skip_ows (&p);
      val = (*p == '"') ? read_quoted (&p) : read_token (&p);
      if (val == NULL) {
        g_free (name);
        syntax_error (error, "bad parameter value");
        goto fail;
      }
      skip_ows (&p);
      if (*p != ',' && *p != '\0') {
        g_free (name);
        g_free (val);
        syntax_error (error, "junk after parameter value");
        goto fail;
      }
      lower = g_ascii_strdown (name, -1);
      g_free (name);
      if (collecting) {
        if (g_hash_table_contains (params, lower)) {
          g_free (lower);
          g_free (val);
          syntax_error (error, "duplicate parameter");
          goto fail;
        }
        g_hash_table_insert (params, lower, val);
      } else {
        g_free (lower);
        g_free (val);
      }
    } else {
      /* a scheme name: starts a new challenge */
      if (!with_scheme) {
        g_free (name);
        syntax_error (error, "expected a parameter");
        goto fail;
      }
      seen_scheme = TRUE;
      if (g_ascii_strcasecmp (name, SEECITV_PROTOCOL_SCHEME) == 0) {
        if (params != NULL) {
          g_free (name);
          syntax_error (error, "more than one Seecitv challenge");
          goto fail;
        }
        params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
            g_free);
        collecting = TRUE;
      } else {
        collecting = FALSE;
      }
      g_free (name);
      p = q;
    }
  }

  if (params == NULL) {
    syntax_error (error, "no Seecitv scheme");
    return NULL;
  }
  return params;

fail:
  if (params != NULL)
    g_hash_table_unref (params);
  return NULL;
}

static const gchar *
get_param (GHashTable * params, const gchar * name, GError ** error)
{
  const gchar *v = g_hash_table_lookup (params, name);

  if (v == NULL)
    g_set_error (error, SEECITV_PROTOCOL_ERROR,
        SEECITV_PROTOCOL_ERROR_SYNTAX, "missing parameter %s", name);
  return v;
}

static gboolean
check_field (const gchar * v, gsize hex_len, const gchar * name,
    GError ** error)
{
  if (!is_lower_hex (v, hex_len)) {
    g_set_error (error, SEECITV_PROTOCOL_ERROR,
        SEECITV_PROTOCOL_ERROR_SYNTAX, "%s is not %" G_GSIZE_FORMAT
        " lowercase hex digits", name, hex_len);
    return FALSE;
  }
  return TRUE;
}

static gboolean
check_device_id (const gchar * v, GError ** error)
{
  if (!seecitv_protocol_device_id_is_valid (v)) {
    g_set_error (error, SEECITV_PROTOCOL_ERROR,
        SEECITV_PROTOCOL_ERROR_DEVICE_ID,
        "device id is not 1 to 64 of [A-Za-z0-9._-]");
    return FALSE;
  }
  return TRUE;
}

/* ---- challenge ---- */

void
seecitv_challenge_free (SeecitvChallenge * c)
{
  if (c == NULL)
    return;
  g_free (c->device_id);
  g_free (c->challenge);
  g_free (c);
}

gchar *
seecitv_protocol_format_challenge (const SeecitvChallenge * c)
{
  g_return_val_if_fail (seecitv_protocol_device_id_is_valid (c->device_id),
      NULL);
  g_return_val_if_fail (is_lower_hex (c->challenge,
          2 * SEECITV_PROTOCOL_NONCE_LEN), NULL);
  return g_strdup_printf (SEECITV_PROTOCOL_SCHEME " realm=\"seecitv\", "
      "device=\"%s\", challenge=\"%s\", expires=%u", c->device_id,
      c->challenge, c->expires);
}

SeecitvChallenge *
seecitv_protocol_parse_challenge (const gchar * value, GError ** error)
{
  GHashTable *params = parse_auth_params (value, TRUE, error);
  const gchar *device, *challenge, *expires;
  SeecitvChallenge *c = NULL;
  guint64 exp;

  if (params == NULL)
    return NULL;
  if ((device = get_param (params, "device", error)) == NULL ||
      (challenge = get_param (params, "challenge", error)) == NULL ||
      (expires = get_param (params, "expires", error)) == NULL)
    goto out;
  if (!check_device_id (device, error) ||
      !check_field (challenge, 2 * SEECITV_PROTOCOL_NONCE_LEN, "challenge",
          error))
    goto out;
  if (!g_ascii_string_to_unsigned (expires, 10, 1, MAX_EXPIRES, &exp, NULL)) {
    syntax_error (error, "expires is not 1 to 3600 seconds");
    goto out;
  }
  c = g_new0 (SeecitvChallenge, 1);
  c->device_id = g_strdup (device);
  c->challenge = g_strdup (challenge);
  c->expires = (guint) exp;
out:
  g_hash_table_unref (params);
  return c;
}

/* ---- authorization ---- */

void
seecitv_authorization_free (SeecitvAuthorization * a)
{
  if (a == NULL)
    return;
  g_free (a->device_id);
  g_free (a->challenge);
  g_free (a->cnonce);
  g_free (a->proof);
  g_free (a);
}

gchar *
seecitv_protocol_format_authorization (const SeecitvAuthorization * a)
{
  g_return_val_if_fail (seecitv_protocol_device_id_is_valid (a->device_id),
      NULL);
  g_return_val_if_fail (is_lower_hex (a->challenge,
          2 * SEECITV_PROTOCOL_NONCE_LEN), NULL);
  g_return_val_if_fail (is_lower_hex (a->cnonce,
          2 * SEECITV_PROTOCOL_NONCE_LEN), NULL);
  g_return_val_if_fail (is_lower_hex (a->proof,
          2 * SEECITV_PROTOCOL_PROOF_LEN), NULL);
  return g_strdup_printf (SEECITV_PROTOCOL_SCHEME " device=\"%s\", "
      "challenge=\"%s\", cnonce=\"%s\", proof=\"%s\"", a->device_id,
      a->challenge, a->cnonce, a->proof);
}

SeecitvAuthorization *
seecitv_protocol_parse_authorization (const gchar * value, GError ** error)
{
  GHashTable *params = parse_auth_params (value, TRUE, error);
  const gchar *device, *challenge, *cnonce, *proof;
  SeecitvAuthorization *a = NULL;

  if (params == NULL)
    return NULL;
  if ((device = get_param (params, "device", error)) == NULL ||
      (challenge = get_param (params, "challenge", error)) == NULL ||
      (cnonce = get_param (params, "cnonce", error)) == NULL ||
      (proof = get_param (params, "proof", error)) == NULL)
    goto out;
  if (!check_device_id (device, error) ||
      !check_field (challenge, 2 * SEECITV_PROTOCOL_NONCE_LEN, "challenge",
          error) ||
      !check_field (cnonce, 2 * SEECITV_PROTOCOL_NONCE_LEN, "cnonce", error)
      || !check_field (proof, 2 * SEECITV_PROTOCOL_PROOF_LEN, "proof", error))
    goto out;
  a = g_new0 (SeecitvAuthorization, 1);
  a->device_id = g_strdup (device);
  a->challenge = g_strdup (challenge);
  a->cnonce = g_strdup (cnonce);
  a->proof = g_strdup (proof);
out:
  g_hash_table_unref (params);
  return a;
}

gchar *
seecitv_protocol_format_authentication_info (const gchar * proof)
{
  g_return_val_if_fail (is_lower_hex (proof, 2 * SEECITV_PROTOCOL_PROOF_LEN),
      NULL);
  return g_strdup_printf ("proof=\"%s\"", proof);
}

gchar *
seecitv_protocol_parse_authentication_info (const gchar * value,
    GError ** error)
{
  GHashTable *params = parse_auth_params (value, FALSE, error);
  const gchar *proof;
  gchar *result = NULL;

  if (params == NULL)
    return NULL;
  if ((proof = get_param (params, "proof", error)) != NULL &&
      check_field (proof, 2 * SEECITV_PROTOCOL_PROOF_LEN, "proof", error))
    result = g_strdup (proof);
  g_hash_table_unref (params);
  return result;
}

/* ---- proofs ---- */

static gboolean
hmac_sha256 (const guint8 * key, gsize key_len, const guint8 * data,
    gsize len, guint8 out[32], GError ** error)
{
  unsigned int out_len = 0;

  ERR_clear_error ();
  if (key_len < 16 || key_len > G_MAXINT) {
    g_set_error (error, SEECITV_PROTOCOL_ERROR,
        SEECITV_PROTOCOL_ERROR_CRYPTO, "pairing secret shorter than 16 bytes");
    return FALSE;
  }
  if (HMAC (EVP_sha256 (), key, (int) key_len, data, len, out,
          &out_len) == NULL || out_len != 32) {
    set_crypto_error (error, "HMAC-SHA256");
    return FALSE;
  }
  return TRUE;
}

static gboolean
compute_proof_bytes (SeecitvProofRole role, const guint8 * key,
    gsize key_len, const gchar * device_id, const gchar * challenge,
    const gchar * cnonce, const gchar * method, const gchar * path,
    guint8 out[32], GError ** error)
{
  gchar *msg;
  gboolean ok;

  if (!check_device_id (device_id, error) ||
      !check_field (challenge, 2 * SEECITV_PROTOCOL_NONCE_LEN, "challenge",
          error) ||
      !check_field (cnonce, 2 * SEECITV_PROTOCOL_NONCE_LEN, "cnonce", error))
    return FALSE;
  if (!seecitv_protocol_method_is_valid (method) ||
      !seecitv_protocol_path_is_valid (path))
    return syntax_error (error, "bad method or path");

  /* Every field is newline-free by the checks above, so this encoding is
   * unambiguous; the label keeps a client proof from ever being a valid
   * device proof (no reflection). */
  msg = g_strconcat (role == SEECITV_PROOF_CLIENT ? PROOF_LABEL_CLIENT :
      PROOF_LABEL_DEVICE, device_id, "\n", challenge, "\n", cnonce, "\n",
      method, "\n", path, "\n", NULL);
  ok = hmac_sha256 (key, key_len, (const guint8 *) msg, strlen (msg), out,
      error);
  g_free (msg);
  return ok;
}

gchar *
seecitv_protocol_compute_proof (SeecitvProofRole role, const guint8 * key,
    gsize key_len, const gchar * device_id, const gchar * challenge,
    const gchar * cnonce, const gchar * method, const gchar * path,
    GError ** error)
{
  guint8 mac[32];
  gchar *hex;

  if (!compute_proof_bytes (role, key, key_len, device_id, challenge, cnonce,
          method, path, mac, error))
    return NULL;
  hex = to_hex (mac, sizeof (mac));
  OPENSSL_cleanse (mac, sizeof (mac));
  return hex;
}

gboolean
seecitv_protocol_check_proof (SeecitvProofRole role, const guint8 * key,
    gsize key_len, const gchar * device_id, const gchar * challenge,
    const gchar * cnonce, const gchar * method, const gchar * path,
    const gchar * proof, GError ** error)
{
  guint8 expected[32], got[32];
  gboolean ok;

  if (!check_field (proof, 2 * SEECITV_PROTOCOL_PROOF_LEN, "proof", error))
    return FALSE;
  if (!compute_proof_bytes (role, key, key_len, device_id, challenge, cnonce,
          method, path, expected, error))
    return FALSE;
  from_hex (proof, got, sizeof (got));
  ok = CRYPTO_memcmp (expected, got, sizeof (got)) == 0;
  OPENSSL_cleanse (expected, sizeof (expected));
  if (!ok)
    g_set_error (error, SEECITV_PROTOCOL_ERROR, SEECITV_PROTOCOL_ERROR_PROOF,
        "%s proof does not match the pairing secret",
        role == SEECITV_PROOF_CLIENT ? "client" : "device");
  return ok;
}

/* ---- challenges: stateless, with a set of used ones ---- */

/* A challenge's 16 bytes: the issue time in whole seconds of the caller's
 * monotonic clock (big-endian, 32 bits: wraps after 136 years), a counter
 * (32 bits, so that one second's challenges differ), then the first
 * CHALLENGE_TAG_LEN bytes of HMAC-SHA256 under the store's key over
 * CHALLENGE_LABEL, those 8 bytes and the client's address. */
#define CHALLENGE_LABEL "seecitv-v1 challenge\n"
#define CHALLENGE_TAG_LEN 8
#define CHALLENGE_DATA_LEN (SEECITV_PROTOCOL_NONCE_LEN - CHALLENGE_TAG_LEN)

typedef struct
{
  gchar challenge[2 * SEECITV_PROTOCOL_NONCE_LEN + 1];
  gint64 expires_us;            /* refused anyway from then on */
} Used;

struct _SeecitvChallengeStore
{
  EVP_MAC *mac;
  EVP_MAC_CTX *base;            /* keyed; duplicated for every MAC */
  guint32 counter;
  guint lifetime_s;
  guint max_used;
  GQueue used;                  /* of Used *, in order of use */
  GHashTable *used_set;         /* challenge hex (owned by used) -> Used */
};

SeecitvChallengeStore *
seecitv_challenge_store_new (guint max_used, guint lifetime_s,
    GError ** error)
{
  SeecitvChallengeStore *s;
  guint8 key[32];
  OSSL_PARAM params[2];

  g_return_val_if_fail (max_used > 0 && lifetime_s > 0 &&
      lifetime_s <= MAX_EXPIRES, NULL);
  s = g_new0 (SeecitvChallengeStore, 1);
  s->max_used = max_used;
  s->lifetime_s = lifetime_s;
  g_queue_init (&s->used);
  s->used_set = g_hash_table_new (g_str_hash, g_str_equal);
  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST,
      (char *) "SHA256", 0);
  params[1] = OSSL_PARAM_construct_end ();
  ERR_clear_error ();
  s->mac = EVP_MAC_fetch (NULL, "HMAC", NULL);
  s->base = s->mac != NULL ? EVP_MAC_CTX_new (s->mac) : NULL;
  if (s->base == NULL || RAND_priv_bytes (key, sizeof (key)) != 1 ||
      EVP_MAC_init (s->base, key, sizeof (key), params) != 1) {
    OPENSSL_cleanse (key, sizeof (key));
    set_crypto_error (error, "the challenge key");
    seecitv_challenge_store_free (s);
    return NULL;
  }
  OPENSSL_cleanse (key, sizeof (key));
  return s;
}

void
seecitv_challenge_store_free (SeecitvChallengeStore * s)
{
  if (s == NULL)
    return;
  EVP_MAC_CTX_free (s->base);
  EVP_MAC_free (s->mac);
  g_hash_table_unref (s->used_set);
  g_queue_clear_full (&s->used, g_free);
  g_free (s);
}

/* The tag of @data (CHALLENGE_DATA_LEN bytes) for @address. */
static gboolean
challenge_tag (SeecitvChallengeStore * s, const guint8 * data,
    const gchar * address, guint8 tag[CHALLENGE_TAG_LEN], GError ** error)
{
  EVP_MAC_CTX *c;
  guint8 out[32];
  gsize out_len = 0;
  gboolean ok;

  ERR_clear_error ();
  c = EVP_MAC_CTX_dup (s->base);
  ok = c != NULL &&
      EVP_MAC_update (c, (const guint8 *) CHALLENGE_LABEL,
      strlen (CHALLENGE_LABEL)) == 1 &&
      EVP_MAC_update (c, data, CHALLENGE_DATA_LEN) == 1 &&
      EVP_MAC_update (c, (const guint8 *) address, strlen (address)) == 1 &&
      EVP_MAC_final (c, out, &out_len, sizeof (out)) == 1 && out_len == 32;
  EVP_MAC_CTX_free (c);
  if (!ok) {
    set_crypto_error (error, "HMAC-SHA256 of a challenge");
    return FALSE;
  }
  memcpy (tag, out, CHALLENGE_TAG_LEN);
  OPENSSL_cleanse (out, sizeof (out));
  return TRUE;
}

static guint32
seconds_of (gint64 now_us)
{
  return (guint32) (now_us / G_USEC_PER_SEC);
}

gchar *
seecitv_challenge_store_issue (SeecitvChallengeStore * s,
    const gchar * address, gint64 now_us, GError ** error)
{
  guint8 raw[SEECITV_PROTOCOL_NONCE_LEN];
  guint32 t = GUINT32_TO_BE (seconds_of (now_us)), n;

  g_return_val_if_fail (s != NULL && address != NULL, NULL);
  n = GUINT32_TO_BE (s->counter);
  s->counter++;
  memcpy (raw, &t, 4);
  memcpy (raw + 4, &n, 4);
  if (!challenge_tag (s, raw, address, raw + CHALLENGE_DATA_LEN, error))
    return NULL;
  return to_hex (raw, sizeof (raw));
}

static gboolean
challenge_error (GError ** error, SeecitvProtocolError code,
    const gchar * what)
{
  g_set_error (error, SEECITV_PROTOCOL_ERROR, code, "%s", what);
  return FALSE;
}

/* Forgets the used challenges that have expired (they are refused by
 * their time now). */
static void
used_expire (SeecitvChallengeStore * s, gint64 now_us)
{
  Used *u;

  while ((u = g_queue_peek_head (&s->used)) != NULL &&
      u->expires_us <= now_us) {
    g_hash_table_remove (s->used_set, u->challenge);
    g_free (g_queue_pop_head (&s->used));
  }
}

/* FALSE with CHALLENGE if @challenge is used, with BUSY if the set of used
 * ones is full. */
static gboolean
used_allows (SeecitvChallengeStore * s, const gchar * challenge,
    gint64 now_us, GError ** error)
{
  used_expire (s, now_us);
  if (g_hash_table_contains (s->used_set, challenge))
    return challenge_error (error, SEECITV_PROTOCOL_ERROR_CHALLENGE,
        "challenge already used");
  if (g_queue_get_length (&s->used) >= s->max_used)
    return challenge_error (error, SEECITV_PROTOCOL_ERROR_BUSY,
        "too many logins in a challenge lifetime");
  return TRUE;
}

gboolean
seecitv_challenge_store_check (SeecitvChallengeStore * s,
    const gchar * challenge, const gchar * address, gint64 now_us,
    GError ** error)
{
  guint8 raw[SEECITV_PROTOCOL_NONCE_LEN], tag[CHALLENGE_TAG_LEN];
  guint32 t;

  g_return_val_if_fail (s != NULL && address != NULL, FALSE);
  if (!is_lower_hex (challenge, 2 * SEECITV_PROTOCOL_NONCE_LEN))
    return challenge_error (error, SEECITV_PROTOCOL_ERROR_CHALLENGE,
        "not a challenge");
  from_hex (challenge, raw, sizeof (raw));
  if (!challenge_tag (s, raw, address, tag, error))
    return FALSE;
  /* another device's (or a restarted one's), forged, or another
   * address's */
  if (CRYPTO_memcmp (tag, raw + CHALLENGE_DATA_LEN, sizeof (tag)) != 0)
    return challenge_error (error, SEECITV_PROTOCOL_ERROR_CHALLENGE,
        "not a challenge issued to this address");
  memcpy (&t, raw, 4);
  /* unsigned: a time in the future is a huge age */
  if (seconds_of (now_us) - GUINT32_FROM_BE (t) >= s->lifetime_s)
    return challenge_error (error, SEECITV_PROTOCOL_ERROR_CHALLENGE,
        "challenge expired");
  return used_allows (s, challenge, now_us, error);
}

gboolean
seecitv_challenge_store_use (SeecitvChallengeStore * s,
    const gchar * challenge, gint64 now_us, GError ** error)
{
  Used *u;

  g_return_val_if_fail (is_lower_hex (challenge,
          2 * SEECITV_PROTOCOL_NONCE_LEN), FALSE);
  if (!used_allows (s, challenge, now_us, error))
    return FALSE;
  u = g_new (Used, 1);
  memcpy (u->challenge, challenge, sizeof (u->challenge));
  /* it was issued no later than this second, so from the end of its
   * lifetime counted from this second on, its time refuses it */
  u->expires_us = ((gint64) (now_us / G_USEC_PER_SEC) + s->lifetime_s) *
      G_USEC_PER_SEC;
  g_queue_push_tail (&s->used, u);
  g_hash_table_add (s->used_set, u->challenge);
  return TRUE;
}

guint
seecitv_challenge_store_used (SeecitvChallengeStore * s)
{
  return g_queue_get_length (&s->used);
}

gint64
seecitv_challenge_store_busy (SeecitvChallengeStore * s, gint64 now_us)
{
  Used *u;

  used_expire (s, now_us);
  if (g_queue_get_length (&s->used) < s->max_used ||
      (u = g_queue_peek_head (&s->used)) == NULL)
    return 0;
  return u->expires_us - now_us;
}

gchar *
seecitv_protocol_device_verify (SeecitvChallengeStore * store,
    const guint8 * key, gsize key_len, const gchar * device_id,
    const gchar * address, const gchar * method, const gchar * path,
    const gchar * authorization, gint64 now_us, GError ** error)
{
  g_autoptr (SeecitvAuthorization) auth = NULL;
  gchar *device_proof, *info;

  if (authorization == NULL) {
    g_set_error (error, SEECITV_PROTOCOL_ERROR,
        SEECITV_PROTOCOL_ERROR_CHALLENGE, "no Authorization");
    return NULL;
  }
  auth = seecitv_protocol_parse_authorization (authorization, error);
  if (auth == NULL)
    return NULL;
  if (strcmp (auth->device_id, device_id) != 0) {
    g_set_error (error, SEECITV_PROTOCOL_ERROR,
        SEECITV_PROTOCOL_ERROR_DEVICE_ID, "request is for another device");
    return NULL;
  }
  /* the challenge first: a proof over a challenge that is not (or no
   * longer) good is not looked at, so it tells nothing about the secret
   * and is no guess to count */
  if (!seecitv_challenge_store_check (store, auth->challenge, address,
          now_us, error))
    return NULL;
  if (!seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, key_len,
          device_id, auth->challenge, auth->cnonce, method, path, auth->proof,
          error))
    return NULL;
  /* only a verified proof uses its challenge up: nobody without the
   * secret can use up someone else's */
  if (!seecitv_challenge_store_use (store, auth->challenge, now_us, error))
    return NULL;
  device_proof = seecitv_protocol_compute_proof (SEECITV_PROOF_DEVICE, key,
      key_len, device_id, auth->challenge, auth->cnonce, method, path, error);
  if (device_proof == NULL)
    return NULL;
  info = seecitv_protocol_format_authentication_info (device_proof);
  g_free (device_proof);
  return info;
}

/* ---- device info ---- */

void
seecitv_device_info_free (SeecitvDeviceInfo * info)
{
  if (info == NULL)
    return;
  g_free (info->device_id);
  g_free (info->model);
  g_free (info->name);
  g_free (info->mac);
  g_free (info);
}

static gboolean
mac_is_valid (const gchar * mac)
{
  gint i;

  for (i = 0; i < 17; i++) {
    gchar c = mac[i];

    if (i % 3 == 2) {
      if (c != ':')
        return FALSE;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return FALSE;
    }
  }
  return mac[17] == '\0';
}

static gboolean
info_value_is_valid (const gchar * v)
{
  const gchar *p;

  if (strlen (v) > SEECITV_PROTOCOL_INFO_VALUE_MAX ||
      !g_utf8_validate (v, -1, NULL))
    return FALSE;
  for (p = v; *p != '\0'; p++) {
    if ((guchar) * p < 0x20 || *p == 0x7f)
      return FALSE;
  }
  return TRUE;
}

gchar *
seecitv_protocol_format_info (const SeecitvDeviceInfo * info, GError ** error)
{
  GString *s;

  if (!check_device_id (info->device_id, error))
    return NULL;
  if ((info->model != NULL && !info_value_is_valid (info->model)) ||
      (info->name != NULL && !info_value_is_valid (info->name)) ||
      (info->mac != NULL && !mac_is_valid (info->mac))) {
    syntax_error (error, "bad device info value");
    return NULL;
  }
  s = g_string_new (NULL);
  g_string_append_printf (s, "device-id=%s\n", info->device_id);
  if (info->model != NULL)
    g_string_append_printf (s, "model=%s\n", info->model);
  if (info->name != NULL)
    g_string_append_printf (s, "name=%s\n", info->name);
  if (info->mac != NULL)
    g_string_append_printf (s, "mac=%s\n", info->mac);
  return g_string_free (s, FALSE);
}

SeecitvDeviceInfo *
seecitv_protocol_parse_info (const gchar * data, gsize len, GError ** error)
{
  g_autoptr (SeecitvDeviceInfo) info = g_new0 (SeecitvDeviceInfo, 1);
  gsize pos = 0;

  if (len > SEECITV_PROTOCOL_MAX_INFO) {
    syntax_error (error, "device info too large");
    return NULL;
  }
  while (pos < len) {
    const gchar *line = data + pos, *nl, *eq;
    gsize line_len;
    g_autofree gchar *key = NULL, *value = NULL;
    gchar **slot = NULL;

    nl = memchr (line, '\n', len - pos);
    line_len = nl != NULL ? (gsize) (nl - line) : len - pos;
    pos += line_len + (nl != NULL ? 1 : 0);
    if (line_len > 0 && line[line_len - 1] == '\r')
      line_len--;
    if (line_len == 0)
      continue;
    if (memchr (line, '\0', line_len) != NULL) {
      syntax_error (error, "NUL in device info");
      return NULL;
    }
    eq = memchr (line, '=', line_len);
    if (eq == NULL) {
      syntax_error (error, "device info line without '='");
      return NULL;
    }
    key = g_strndup (line, eq - line);
    value = g_strndup (eq + 1, line_len - (eq - line) - 1);
    if (!info_value_is_valid (value)) {
      syntax_error (error, "bad device info value");
      return NULL;
    }
    if (strcmp (key, "device-id") == 0)
      slot = &info->device_id;
    else if (strcmp (key, "model") == 0)
      slot = &info->model;
    else if (strcmp (key, "name") == 0)
      slot = &info->name;
    else if (strcmp (key, "mac") == 0)
      slot = &info->mac;
    if (slot == NULL)
      continue;
    if (*slot != NULL) {
      syntax_error (error, "duplicate device info key");
      return NULL;
    }
    *slot = g_steal_pointer (&value);
  }
  if (info->device_id == NULL) {
    syntax_error (error, "device info without device-id");
    return NULL;
  }
  if (!check_device_id (info->device_id, error))
    return NULL;
  if (info->mac != NULL && !mac_is_valid (info->mac)) {
    syntax_error (error, "mac is not xx:xx:xx:xx:xx:xx in lowercase hex");
    return NULL;
  }
  return g_steal_pointer (&info);
}

gchar *
seecitv_protocol_pseudonymise_mac (const guint8 * key, gsize key_len,
    const gchar * mac, GError ** error)
{
  guint8 out[32];
  gchar *msg, *hex;
  gboolean ok;

  if (mac == NULL || !mac_is_valid (mac)) {
    syntax_error (error, "mac is not xx:xx:xx:xx:xx:xx in lowercase hex");
    return NULL;
  }
  msg = g_strconcat (MAC_LABEL, mac, NULL);
  ok = hmac_sha256 (key, key_len, (const guint8 *) msg, strlen (msg), out,
      error);
  g_free (msg);
  if (!ok)
    return NULL;
  hex = to_hex (out, 16);
  OPENSSL_cleanse (out, sizeof (out));
  return hex;
}

/* ---- key files ---- */

gboolean
seecitv_protocol_parse_key (const gchar * text, gsize len, guint8 * key,
    GError ** error)
{
  gsize start = 0, end = len, i;

  while (start < end && g_ascii_isspace (text[start]))
    start++;
  while (end > start && g_ascii_isspace (text[end - 1]))
    end--;
  if (end - start != 2 * SEECITV_PROTOCOL_KEY_LEN)
    goto bad;
  for (i = start; i < end; i++) {
    if (!g_ascii_isxdigit (text[i]))
      goto bad;
  }
  from_hex (text + start, key, SEECITV_PROTOCOL_KEY_LEN);
  return TRUE;

bad:
  g_set_error (error, SEECITV_PROTOCOL_ERROR,
      SEECITV_PROTOCOL_ERROR_KEY_FILE,
      "a pairing secret is 64 hex digits and nothing else");
  return FALSE;
}

gboolean
seecitv_protocol_load_key_file (const gchar * path, guint8 * key,
    GError ** error)
{
  GStatBuf st;
  gchar *contents = NULL;
  gsize len = 0;
  GError *err = NULL;
  gboolean ok;

  if (g_stat (path, &st) != 0) {
    int e = errno;

    g_set_error (error, SEECITV_PROTOCOL_ERROR,
        SEECITV_PROTOCOL_ERROR_KEY_FILE, "cannot read key file: %s",
        g_strerror (e));
    return FALSE;
  }
  if (!S_ISREG (st.st_mode) || (st.st_mode & 077) != 0 || st.st_size > 4096) {
    g_set_error (error, SEECITV_PROTOCOL_ERROR,
        SEECITV_PROTOCOL_ERROR_KEY_FILE,
        "key file must be a small regular file readable only by its owner "
        "(chmod 600)");
    return FALSE;
  }
  if (!g_file_get_contents (path, &contents, &len, &err)) {
    g_set_error (error, SEECITV_PROTOCOL_ERROR,
        SEECITV_PROTOCOL_ERROR_KEY_FILE, "cannot read key file: %s",
        err->message);
    g_error_free (err);
    return FALSE;
  }
  ok = seecitv_protocol_parse_key (contents, len, key, error);
  OPENSSL_cleanse (contents, len);
  g_free (contents);
  return ok;
}

/* ---- the device's brute-force brake ---- */

typedef struct
{
  guint failures;               /* since the last lock-out or quiet window */
  gint64 last_failure_us;
  gint64 locked_until_us;       /* 0: not locked */
  guint lockouts;               /* consecutive ones: the back-off exponent */
  gint64 last_seen_us;
} Attempts;

struct _SeecitvRateLimiter
{
  GHashTable *addresses;        /* gchar * -> Attempts * */
  guint max_failures;
  gint64 window_us;
  gint64 lockout_us;
  guint max_addresses;
};

#define RATE_LIMITER_MAX_DOUBLINGS 5

SeecitvRateLimiter *
seecitv_rate_limiter_new (guint max_failures, gint64 window_us,
    gint64 lockout_us, guint max_addresses)
{
  SeecitvRateLimiter *r;

  g_return_val_if_fail (max_failures > 0 && window_us > 0 && lockout_us > 0
      && max_addresses > 0, NULL);
  r = g_new0 (SeecitvRateLimiter, 1);
  r->addresses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  r->max_failures = max_failures;
  r->window_us = window_us;
  r->lockout_us = lockout_us;
  r->max_addresses = max_addresses;
  return r;
}

void
seecitv_rate_limiter_free (SeecitvRateLimiter * r)
{
  if (r == NULL)
    return;
  g_hash_table_unref (r->addresses);
  g_free (r);
}

gint64
seecitv_rate_limiter_check (SeecitvRateLimiter * r, const gchar * address,
    gint64 now_us)
{
  Attempts *a;

  g_return_val_if_fail (r != NULL && address != NULL, 0);
  a = g_hash_table_lookup (r->addresses, address);
  if (a == NULL || a->locked_until_us <= now_us)
    return 0;
  return a->locked_until_us - now_us;
}

/* Makes room for one more address: forgets the least recently seen one
 * that is not locked out, or failing that the one whose lock-out ends
 * first. */
static void
rate_limiter_evict (SeecitvRateLimiter * r, gint64 now_us)
{
  GHashTableIter it;
  gpointer k, v;
  gpointer victim = NULL;
  gboolean victim_locked = TRUE;
  gint64 victim_time = G_MAXINT64;

  g_hash_table_iter_init (&it, r->addresses);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    Attempts *a = v;
    gboolean locked = a->locked_until_us > now_us;
    gint64 t = locked ? a->locked_until_us : a->last_seen_us;

    if ((victim_locked && !locked) || (locked == victim_locked &&
            t < victim_time)) {
      victim = k;
      victim_locked = locked;
      victim_time = t;
    }
  }
  if (victim != NULL)
    g_hash_table_remove (r->addresses, victim);
}

gint64
seecitv_rate_limiter_fail (SeecitvRateLimiter * r, const gchar * address,
    gint64 now_us)
{
  Attempts *a;

  g_return_val_if_fail (r != NULL && address != NULL, 0);
  a = g_hash_table_lookup (r->addresses, address);
  if (a == NULL) {
    if (g_hash_table_size (r->addresses) >= r->max_addresses)
      rate_limiter_evict (r, now_us);
    a = g_new0 (Attempts, 1);
    g_hash_table_insert (r->addresses, g_strdup (address), a);
  }
  a->last_seen_us = now_us;
  if (a->locked_until_us > now_us)
    return a->locked_until_us - now_us;
  /* a quiet window (or a quiet lock-out period) starts over */
  if (a->failures > 0 && now_us - a->last_failure_us > r->window_us)
    a->failures = 0;
  if (a->locked_until_us != 0 && now_us - a->locked_until_us > r->window_us) {
    a->lockouts = 0;
    a->locked_until_us = 0;
  }
  a->failures++;
  a->last_failure_us = now_us;
  if (a->failures < r->max_failures && a->locked_until_us == 0)
    return 0;
  /* the limit reached, or the first failure after a lock-out: lock again,
   * longer each time */
  a->locked_until_us = now_us + (r->lockout_us <<
      MIN (a->lockouts, RATE_LIMITER_MAX_DOUBLINGS));
  a->lockouts++;
  a->failures = 0;
  return a->locked_until_us - now_us;
}

void
seecitv_rate_limiter_succeed (SeecitvRateLimiter * r, const gchar * address)
{
  g_return_if_fail (r != NULL && address != NULL);
  g_hash_table_remove (r->addresses, address);
}

guint
seecitv_rate_limiter_size (SeecitvRateLimiter * r)
{
  g_return_val_if_fail (r != NULL, 0);
  return g_hash_table_size (r->addresses);
}

guint
seecitv_rate_limiter_retry_after (gint64 remaining_us)
{
  gint64 s = (remaining_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;

  return (guint) CLAMP (s, 1, G_MAXUINT32);
}
