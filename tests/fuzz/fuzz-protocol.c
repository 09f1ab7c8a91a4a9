/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the seecitv device protocol's parsers
 * (gst-libs/seecitv/protocol/protocol.c): the WWW-Authenticate, Authorization and
 * Authentication-Info values, the device-info document, key text, and the
 * device's whole check of a request. The first byte picks the parser, the
 * rest is the input. Beyond "no crash, no leak, no hang" it checks that
 * whatever parses formats back into something that parses to the same
 * fields, that parsed fields obey their grammar, and that no input gets a
 * request past the device without the key. Hand-written cases live in
 * tests/check/libs/protocol.c.
 */
#include <seecitv/protocol/protocol.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) G_STMT_START { \
  if (!(cond)) { \
    fprintf (stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
        #cond); \
    abort (); \
  } \
} G_STMT_END

static const guint8 key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
};

static void
fuzz_challenge (const gchar * s)
{
  GError *err = NULL;
  SeecitvChallenge *c = seecitv_protocol_parse_challenge (s, &err), *again;
  gchar *text;

  CHECK ((c == NULL) == (err != NULL));
  if (c == NULL) {
    CHECK (err->domain == SEECITV_PROTOCOL_ERROR);
    g_error_free (err);
    return;
  }
  CHECK (seecitv_protocol_device_id_is_valid (c->device_id));
  CHECK (strlen (c->challenge) == 2 * SEECITV_PROTOCOL_NONCE_LEN);
  CHECK (c->expires >= 1 && c->expires <= 3600);
  text = seecitv_protocol_format_challenge (c);
  again = seecitv_protocol_parse_challenge (text, NULL);
  CHECK (again != NULL);
  CHECK (strcmp (again->device_id, c->device_id) == 0);
  CHECK (strcmp (again->challenge, c->challenge) == 0);
  CHECK (again->expires == c->expires);
  seecitv_challenge_free (again);
  seecitv_challenge_free (c);
  g_free (text);
}

static void
fuzz_authorization (const gchar * s)
{
  GError *err = NULL;
  SeecitvAuthorization *a = seecitv_protocol_parse_authorization (s, &err);
  SeecitvAuthorization *again;
  gchar *text;

  CHECK ((a == NULL) == (err != NULL));
  if (a == NULL) {
    g_error_free (err);
    return;
  }
  CHECK (seecitv_protocol_device_id_is_valid (a->device_id));
  text = seecitv_protocol_format_authorization (a);
  CHECK (text != NULL);
  again = seecitv_protocol_parse_authorization (text, NULL);
  CHECK (again != NULL);
  CHECK (strcmp (again->proof, a->proof) == 0);
  CHECK (strcmp (again->cnonce, a->cnonce) == 0);
  seecitv_authorization_free (again);
  seecitv_authorization_free (a);
  g_free (text);
}

static void
fuzz_authentication_info (const gchar * s)
{
  GError *err = NULL;
  gchar *proof = seecitv_protocol_parse_authentication_info (s, &err);
  gchar *real;

  CHECK ((proof == NULL) == (err != NULL));
  if (proof == NULL) {
    g_error_free (err);
    return;
  }
  CHECK (strlen (proof) == 2 * SEECITV_PROTOCOL_PROOF_LEN);
  /* a proof from the wire passes exactly when it is the key's HMAC */
  real = seecitv_protocol_compute_proof (SEECITV_PROOF_DEVICE, key, 32,
      "cam-1", "000102030405060708090a0b0c0d0e0f",
      "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "GET", "/seecitv/v1/stream", NULL);
  CHECK (real != NULL);
  CHECK (seecitv_protocol_check_proof (SEECITV_PROOF_DEVICE, key, 32,
          "cam-1", "000102030405060708090a0b0c0d0e0f",
          "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "GET", "/seecitv/v1/stream",
          proof, NULL) == (strcmp (proof, real) == 0));
  g_free (real);
  g_free (proof);
}

static void
fuzz_info (const uint8_t * data, size_t size)
{
  GError *err = NULL;
  SeecitvDeviceInfo *info, *again;
  gchar *text;

  info = seecitv_protocol_parse_info ((const gchar *) data, size, &err);
  CHECK ((info == NULL) == (err != NULL));
  if (info == NULL) {
    g_error_free (err);
    return;
  }
  text = seecitv_protocol_format_info (info, NULL);
  CHECK (text != NULL);
  again = seecitv_protocol_parse_info (text, strlen (text), NULL);
  CHECK (again != NULL);
  CHECK (strcmp (again->device_id, info->device_id) == 0);
  CHECK (g_strcmp0 (again->model, info->model) == 0);
  CHECK (g_strcmp0 (again->name, info->name) == 0);
  CHECK (g_strcmp0 (again->mac, info->mac) == 0);
  if (info->mac != NULL) {
    gchar *p = seecitv_protocol_pseudonymise_mac (key, 32, info->mac, NULL);
    CHECK (p != NULL && strlen (p) == 32);
    g_free (p);
  }
  seecitv_device_info_free (again);
  seecitv_device_info_free (info);
  g_free (text);
}

/* The device's whole check, and its check of a challenge alone: the
 * fuzzer knows neither the store's key nor the pairing secret, so nothing
 * it writes may be accepted (a challenge it could forge would be a
 * finding too). One store for the run: issuing keeps no state. */
static void
fuzz_verify (const gchar * s)
{
  static SeecitvChallengeStore *store;
  GError *err = NULL;
  gchar *info;

  if (store == NULL)
    store = seecitv_challenge_store_new (4, 30, NULL);
  CHECK (store != NULL);
  g_free (seecitv_challenge_store_issue (store, "127.0.0.1", 0, NULL));
  info = seecitv_protocol_device_verify (store, key, 32, "cam-1",
      "127.0.0.1", "GET", "/seecitv/v1/stream", s, 1, &err);
  CHECK (info == NULL && err != NULL);
  g_clear_error (&err);
  CHECK (!seecitv_challenge_store_check (store, s, "127.0.0.1", 1, &err));
  CHECK (err != NULL);
  g_error_free (err);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gchar *s;
  guint8 k[32];

  if (size < 1)
    return 0;
  s = g_strndup ((const gchar *) data + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
      fuzz_challenge (s);
      break;
    case 1:
      fuzz_authorization (s);
      break;
    case 2:
      fuzz_authentication_info (s);
      break;
    case 3:
      fuzz_info (data + 1, size - 1);
      break;
    case 4:
      if (seecitv_protocol_parse_key ((const gchar *) data + 1, size - 1, k,
              NULL))
        CHECK (size - 1 >= 64);
      break;
    default:
      fuzz_verify (s);
      break;
  }
  g_free (s);
  return 0;
}
