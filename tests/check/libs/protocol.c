/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the seecitv device protocol core (gst-libs/seecitv/protocol/protocol.c):
 * docs/protocol.md's test vectors, the header formatters and their strict
 * parsers, the stateless challenges (address, expiry, single use by a
 * verified proof, a bounded used set that refuses rather than forgets),
 * the full device-side check, device info, key files and the MAC pseudonym. The
 * vectors were computed independently with Python's hmac module (the
 * command is in docs/protocol.md) and pasted here as constants. Errors are
 * checked by domain and code, never by wording. Arbitrary inputs are the
 * fuzz target's job (tests/fuzz/fuzz-protocol.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <seecitv/protocol/protocol.h>
#include <seecitv/protocol/tlspin.h>

#include <string.h>

/* docs/protocol.md, "Test vectors" */
static const gchar *KEY_HEX =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
#define DEV "cam-1"
#define CHAL "000102030405060708090a0b0c0d0e0f"
#define CNONCE "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
#define STREAM "/seecitv/v1/stream"
#define INFO "/seecitv/v1/info"
/* python3 -c 'import hmac,hashlib; k=bytes(range(32)); print(hmac.new(k,
 *   b"seecitv-v1 client-proof\ncam-1\n" + CHAL + b"\n" + CNONCE
 *   + b"\nGET\n/seecitv/v1/stream\n", hashlib.sha256).hexdigest())'
 * and likewise with "device-proof" and "/seecitv/v1/info". */
#define CLIENT_STREAM \
  "33d996a9beb9ab9870172a5b62a7f2673da8f4ff61d0d5169e9f2707cf32ad3a"
#define DEVICE_STREAM \
  "84014fcf3d7433e3244906d27edeb02b29e86833b52c5c946b68bbbafff1df35"
#define CLIENT_INFO \
  "c99892d55e95f0dda7bf3e4c94c53ee4911ec52e7226a6c0facb67b4dbcad27e"
#define DEVICE_INFO \
  "cb04575228d7c092d152661156b5d450a74aa88de2e7db29ecf1e739ec5a2683"
/* hmac.new(k, b"seecitv-v1 mac\n02:00:5e:10:00:01", sha256).hexdigest()[:32] */
#define MAC_PSEUDONYM "b95252b2a86dc054a1a92beb9b26c54b"

#define SEC G_GINT64_CONSTANT (1000000)

static guint8 key[SEECITV_PROTOCOL_KEY_LEN];

static void
setup_key (void)
{
  fail_unless (seecitv_protocol_parse_key (KEY_HEX, strlen (KEY_HEX), key,
          NULL));
}

#define assert_error(err, code_) G_STMT_START { \
  fail_unless ((err) != NULL, "expected error code %d", (code_)); \
  fail_unless_equals_int ((err)->domain, SEECITV_PROTOCOL_ERROR); \
  fail_unless_equals_int ((err)->code, (code_)); \
  g_clear_error (&(err)); \
} G_STMT_END

GST_START_TEST (test_vectors)
{
  guint8 i;
  gchar *p;

  setup_key ();
  for (i = 0; i < 32; i++)
    fail_unless_equals_int (key[i], i);

  p = seecitv_protocol_compute_proof (SEECITV_PROOF_CLIENT, key, 32, DEV,
      CHAL, CNONCE, "GET", STREAM, NULL);
  fail_unless_equals_string (p, CLIENT_STREAM);
  g_free (p);
  p = seecitv_protocol_compute_proof (SEECITV_PROOF_DEVICE, key, 32, DEV,
      CHAL, CNONCE, "GET", STREAM, NULL);
  fail_unless_equals_string (p, DEVICE_STREAM);
  g_free (p);
  p = seecitv_protocol_compute_proof (SEECITV_PROOF_CLIENT, key, 32, DEV,
      CHAL, CNONCE, "GET", INFO, NULL);
  fail_unless_equals_string (p, CLIENT_INFO);
  g_free (p);
  p = seecitv_protocol_compute_proof (SEECITV_PROOF_DEVICE, key, 32, DEV,
      CHAL, CNONCE, "GET", INFO, NULL);
  fail_unless_equals_string (p, DEVICE_INFO);
  g_free (p);
  p = seecitv_protocol_pseudonymise_mac (key, 32, "02:00:5e:10:00:01", NULL);
  fail_unless_equals_string (p, MAC_PSEUDONYM);
  g_free (p);
}

GST_END_TEST;

/* Every input that goes into the proof changes it; a proof for one role
 * never checks for the other. */
GST_START_TEST (test_check_proof)
{
  GError *err = NULL;
  guint8 other[32];

  setup_key ();
  fail_unless (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          DEV, CHAL, CNONCE, "GET", STREAM, CLIENT_STREAM, &err));
  fail_unless (err == NULL);
  fail_unless (seecitv_protocol_check_proof (SEECITV_PROOF_DEVICE, key, 32,
          DEV, CHAL, CNONCE, "GET", STREAM, DEVICE_STREAM, NULL));

  /* reflection */
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_DEVICE, key, 32,
          DEV, CHAL, CNONCE, "GET", STREAM, CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_PROOF);
  /* each field bound */
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          "cam-2", CHAL, CNONCE, "GET", STREAM, CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_PROOF);
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          DEV, "100102030405060708090a0b0c0d0e0f", CNONCE, "GET", STREAM,
          CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_PROOF);
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          DEV, CHAL, "b0a1a2a3a4a5a6a7a8a9aaabacadaeaf", "GET", STREAM,
          CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_PROOF);
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          DEV, CHAL, CNONCE, "HEAD", STREAM, CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_PROOF);
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          DEV, CHAL, CNONCE, "GET", INFO, CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_PROOF);
  memcpy (other, key, 32);
  other[31] ^= 1;
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, other, 32,
          DEV, CHAL, CNONCE, "GET", STREAM, CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_PROOF);

  /* malformed proofs and fields are syntax errors, not mismatches */
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          DEV, CHAL, CNONCE, "GET", STREAM,
          "33D996A9BEB9AB9870172A5B62A7F2673DA8F4FF61D0D5169E9F2707CF32AD3A",
          &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          DEV, CHAL, CNONCE, "GET", STREAM, "33d9", &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          DEV, CHAL, CNONCE, "GET", "/a b", CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          DEV, CHAL, CNONCE, "G\nET", STREAM, CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 32,
          "cam/1", CHAL, CNONCE, "GET", STREAM, CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_DEVICE_ID);
  /* a short key is refused */
  fail_if (seecitv_protocol_check_proof (SEECITV_PROOF_CLIENT, key, 8,
          DEV, CHAL, CNONCE, "GET", STREAM, CLIENT_STREAM, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CRYPTO);
}

GST_END_TEST;

GST_START_TEST (test_device_id)
{
  gchar long_id[66];

  fail_unless (seecitv_protocol_device_id_is_valid ("cam-1"));
  fail_unless (seecitv_protocol_device_id_is_valid ("A.b_c-9"));
  fail_if (seecitv_protocol_device_id_is_valid (""));
  fail_if (seecitv_protocol_device_id_is_valid (NULL));
  fail_if (seecitv_protocol_device_id_is_valid ("../x"));
  /* the shared contract: ids end up in file names */
  fail_if (seecitv_protocol_device_id_is_valid ("."));
  fail_if (seecitv_protocol_device_id_is_valid (".."));
  fail_if (seecitv_protocol_device_id_is_valid ("a b"));
  fail_if (seecitv_protocol_device_id_is_valid ("caf\xc3\xa9"));
  memset (long_id, 'a', 64);
  long_id[64] = '\0';
  fail_unless (seecitv_protocol_device_id_is_valid (long_id));
  long_id[64] = 'a';
  long_id[65] = '\0';
  fail_if (seecitv_protocol_device_id_is_valid (long_id));
}

GST_END_TEST;

GST_START_TEST (test_challenge_header)
{
  SeecitvChallenge c = { (gchar *) DEV, (gchar *) CHAL, 30 };
  g_autoptr (SeecitvChallenge) parsed = NULL;
  gchar *s;
  GError *err = NULL;

  s = seecitv_protocol_format_challenge (&c);
  fail_unless_equals_string (s, "Seecitv realm=\"seecitv\", device=\"cam-1\", "
      "challenge=\"" CHAL "\", expires=30");
  parsed = seecitv_protocol_parse_challenge (s, &err);
  g_free (s);
  fail_unless (parsed != NULL);
  fail_unless_equals_string (parsed->device_id, DEV);
  fail_unless_equals_string (parsed->challenge, CHAL);
  fail_unless_equals_int (parsed->expires, 30);
  g_clear_pointer (&parsed, seecitv_challenge_free);

  /* among other schemes, any case, token values, odd spacing */
  parsed = seecitv_protocol_parse_challenge ("Basic realm=\"x\", Digest "
      "realm=\"y\", nonce=\"n, \\\"q\", qop=auth ,  seecitv  DEVICE = cam-1 ,"
      "challenge=" CHAL ",expires=\"5\"", &err);
  fail_unless (parsed != NULL, "%s", err ? err->message : "");
  fail_unless_equals_string (parsed->device_id, DEV);
  fail_unless_equals_int (parsed->expires, 5);
  g_clear_pointer (&parsed, seecitv_challenge_free);

  /* refused */
  {
    static const struct
    {
      const gchar *value;
      gint code;
    } bad[] = {
      {"", SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Basic realm=\"x\"", SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=cam-1, expires=30", SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=cam-1, challenge=" CHAL,
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=cam-1, challenge=" CHAL ", expires=0",
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=cam-1, challenge=" CHAL ", expires=3601",
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=cam-1, challenge=" CHAL ", expires=-1",
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=cam-1, challenge=\"000102030405060708090A0B0C0D0E0F\""
            ", expires=30", SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=cam-1, challenge=\"0001\", expires=30",
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=\"a/b\", challenge=" CHAL ", expires=30",
          SEECITV_PROTOCOL_ERROR_DEVICE_ID},
      {"Seecitv device=cam-1, device=cam-2, challenge=" CHAL ", expires=30",
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=cam-1, challenge=" CHAL ", expires=30, Seecitv "
            "device=cam-2, challenge=" CHAL ", expires=30",
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=\"cam-1, challenge=" CHAL ", expires=30",
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=\"ca\x01m\", challenge=" CHAL ", expires=30",
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=cam-1 x, challenge=" CHAL ", expires=30",
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"device=cam-1, Seecitv challenge=" CHAL ", expires=30",
          SEECITV_PROTOCOL_ERROR_SYNTAX},
      {"Seecitv device=;", SEECITV_PROTOCOL_ERROR_SYNTAX},
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (bad); i++) {
      parsed = seecitv_protocol_parse_challenge (bad[i].value, &err);
      fail_unless (parsed == NULL, "accepted: %s", bad[i].value);
      fail_unless (err != NULL);
      fail_unless_equals_int (err->code, bad[i].code);
      g_clear_error (&err);
    }
  }
  /* bounded */
  {
    GString *big = g_string_new ("Seecitv device=cam-1, challenge=" CHAL
        ", expires=30, x=\"");
    while (big->len <= SEECITV_PROTOCOL_MAX_HEADER)
      g_string_append_c (big, 'a');
    g_string_append_c (big, '"');
    fail_unless (seecitv_protocol_parse_challenge (big->str, &err) == NULL);
    assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
    g_string_free (big, TRUE);
  }
}

GST_END_TEST;

GST_START_TEST (test_authorization_header)
{
  SeecitvAuthorization a = { (gchar *) DEV, (gchar *) CHAL, (gchar *) CNONCE,
    (gchar *) CLIENT_STREAM
  };
  g_autoptr (SeecitvAuthorization) parsed = NULL;
  gchar *s, *proof;
  GError *err = NULL;

  s = seecitv_protocol_format_authorization (&a);
  /* docs/protocol.md, the full headers */
  fail_unless_equals_string (s, "Seecitv device=\"cam-1\", challenge=\"" CHAL
      "\", cnonce=\"" CNONCE "\", proof=\"" CLIENT_STREAM "\"");
  parsed = seecitv_protocol_parse_authorization (s, &err);
  g_free (s);
  fail_unless (parsed != NULL);
  fail_unless_equals_string (parsed->device_id, DEV);
  fail_unless_equals_string (parsed->challenge, CHAL);
  fail_unless_equals_string (parsed->cnonce, CNONCE);
  fail_unless_equals_string (parsed->proof, CLIENT_STREAM);
  g_clear_pointer (&parsed, seecitv_authorization_free);

  fail_unless (seecitv_protocol_parse_authorization ("Seecitv device=cam-1, "
          "challenge=" CHAL ", cnonce=" CNONCE, &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
  fail_unless (seecitv_protocol_parse_authorization ("Seecitv device=cam-1, "
          "challenge=" CHAL ", cnonce=" CHAL "0, proof=" CLIENT_STREAM,
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
  fail_unless (seecitv_protocol_parse_authorization ("Basic Zm9vOmJhcg==",
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);

  s = seecitv_protocol_format_authentication_info (DEVICE_STREAM);
  fail_unless_equals_string (s, "proof=\"" DEVICE_STREAM "\"");
  proof = seecitv_protocol_parse_authentication_info (s, &err);
  fail_unless_equals_string (proof, DEVICE_STREAM);
  g_free (proof);
  g_free (s);
  proof = seecitv_protocol_parse_authentication_info ("nextnonce=\"x\", "
      "PROOF=" DEVICE_STREAM, &err);
  fail_unless_equals_string (proof, DEVICE_STREAM);
  g_free (proof);
  fail_unless (seecitv_protocol_parse_authentication_info ("Seecitv proof="
          DEVICE_STREAM, &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
  fail_unless (seecitv_protocol_parse_authentication_info ("rspauth=\"x\"",
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
  fail_unless (seecitv_protocol_parse_authentication_info (NULL, &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
}

GST_END_TEST;

#define ADDR_A "192.0.2.1"
#define ADDR_B "192.0.2.2"

/* A new store, asserted. */
static SeecitvChallengeStore *
store_new (guint max_used, guint lifetime_s)
{
  GError *err = NULL;
  SeecitvChallengeStore *s = seecitv_challenge_store_new (max_used,
      lifetime_s, &err);

  fail_unless (s != NULL, "%s", err ? err->message : "");
  return s;
}

static gchar *
issue (SeecitvChallengeStore * s, const gchar * address, gint64 now)
{
  GError *err = NULL;
  gchar *c = seecitv_challenge_store_issue (s, address, now, &err);

  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (strlen (c), 32);
  return c;
}

/* Issue 15: challenges are stateless, bound to an address and a time,
 * and once used by a verified proof refused until they expire; the used
 * set is bounded and, full, refuses rather than forgets. */
GST_START_TEST (test_challenge_store)
{
  g_autoptr (SeecitvChallengeStore) store = store_new (4, 30);
  g_autoptr (SeecitvChallengeStore) restarted = store_new (4, 30);
  GError *err = NULL;
  gchar *c1, *c2, *c3, *c4, *c5, *c6;
  gchar *t;
  guint i;

  c1 = issue (store, ADDR_A, 100 * SEC);
  c2 = issue (store, ADDR_A, 100 * SEC);
  fail_if (strcmp (c1, c2) == 0, "two challenges are equal");
  /* nothing is kept for an issued challenge, whatever the flood */
  for (i = 0; i < 1000; i++)
    g_free (issue (store, ADDR_A, 100 * SEC));
  fail_unless_equals_int (seecitv_challenge_store_used (store), 0);
  fail_unless (seecitv_challenge_store_check (store, c1, ADDR_A, 100 * SEC,
          &err), "%s", err ? err->message : "");

  /* issued to another address: refused */
  fail_if (seecitv_challenge_store_check (store, c1, ADDR_B, 100 * SEC,
          &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  /* altered (tag, then time), forged, from before a restart, garbage */
  t = g_strdup (c1);
  t[31] = t[31] == '0' ? '1' : '0';
  fail_if (seecitv_challenge_store_check (store, t, ADDR_A, 100 * SEC, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  g_free (t);
  t = g_strdup (c1);
  t[7] = t[7] == '0' ? '1' : '0';
  fail_if (seecitv_challenge_store_check (store, t, ADDR_A, 100 * SEC, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  g_free (t);
  fail_if (seecitv_challenge_store_check (store, CHAL, ADDR_A, 100 * SEC,
          &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  fail_if (seecitv_challenge_store_check (restarted, c1, ADDR_A, 100 * SEC,
          &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  fail_if (seecitv_challenge_store_check (store, "", ADDR_A, 100 * SEC,
          &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  t = g_ascii_strup (c1, -1);
  if (strcmp (t, c1) != 0) {
    fail_if (seecitv_challenge_store_check (store, t, ADDR_A, 100 * SEC,
            &err));
    assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  }
  g_free (t);

  /* the window, in whole seconds: issued in second 100, good for less
   * than 30 s, so up to the end of second 129; never in the future */
  fail_unless (seecitv_challenge_store_check (store, c1, ADDR_A,
          130 * SEC - 1, NULL));
  fail_if (seecitv_challenge_store_check (store, c1, ADDR_A, 130 * SEC,
          &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  fail_if (seecitv_challenge_store_check (store, c1, ADDR_A, 99 * SEC, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);

  /* used once: refused after, checking alone used nothing up */
  fail_unless (seecitv_challenge_store_check (store, c2, ADDR_A, 101 * SEC,
          NULL));
  fail_unless (seecitv_challenge_store_use (store, c1, 101 * SEC, NULL));
  fail_if (seecitv_challenge_store_check (store, c1, ADDR_A, 101 * SEC,
          &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  fail_if (seecitv_challenge_store_use (store, c1, 101 * SEC, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  fail_unless (seecitv_challenge_store_check (store, c2, ADDR_A, 101 * SEC,
          NULL));

  /* full: good challenges get BUSY, used ones stay refused (none is
   * forgotten before it expired), until the oldest expires */
  c3 = issue (store, ADDR_A, 101 * SEC);
  c4 = issue (store, ADDR_B, 101 * SEC);
  c5 = issue (store, ADDR_A, 102 * SEC);
  fail_unless (seecitv_challenge_store_use (store, c2, 101 * SEC, NULL));
  fail_unless (seecitv_challenge_store_use (store, c3, 101 * SEC, NULL));
  fail_unless (seecitv_challenge_store_use (store, c4, 102 * SEC, NULL));
  fail_unless_equals_int (seecitv_challenge_store_used (store), 4);
  fail_unless_equals_int64 (seecitv_challenge_store_busy (store, 110 * SEC),
      21 * SEC);
  fail_if (seecitv_challenge_store_check (store, c5, ADDR_A, 110 * SEC,
          &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_BUSY);
  fail_if (seecitv_challenge_store_use (store, c5, 110 * SEC, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_BUSY);
  fail_if (seecitv_challenge_store_check (store, c1, ADDR_A, 110 * SEC,
          &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  fail_unless_equals_int (seecitv_challenge_store_used (store), 4);
  /* c1..c3 were used in second 101: gone from the set from second 131,
   * when their own time refuses them */
  fail_unless_equals_int64 (seecitv_challenge_store_busy (store, 131 * SEC),
      0);
  fail_unless_equals_int (seecitv_challenge_store_used (store), 1);
  fail_if (seecitv_challenge_store_check (store, c1, ADDR_A, 131 * SEC,
          &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  fail_unless (seecitv_challenge_store_check (store, c5, ADDR_A, 131 * SEC,
          NULL));
  c6 = issue (store, ADDR_A, 131 * SEC);
  fail_unless (seecitv_challenge_store_use (store, c6, 131 * SEC, NULL));
  fail_unless_equals_int64 (seecitv_challenge_store_busy (store, 200 * SEC),
      0);
  fail_unless_equals_int (seecitv_challenge_store_used (store), 0);

  g_free (c1);
  g_free (c2);
  g_free (c3);
  g_free (c4);
  g_free (c5);
  g_free (c6);
}

GST_END_TEST;

/* The Authorization value a client with @k would send over @challenge. */
static gchar *
make_authz (const guint8 * k, const gchar * challenge, const gchar * path,
    gchar ** cnonce_out)
{
  SeecitvAuthorization a;
  gchar *authz;

  a.device_id = (gchar *) DEV;
  a.challenge = (gchar *) challenge;
  a.cnonce = seecitv_protocol_random_hex (SEECITV_PROTOCOL_NONCE_LEN, NULL);
  a.proof = seecitv_protocol_compute_proof (SEECITV_PROOF_CLIENT, k, 32,
      DEV, challenge, a.cnonce, "GET", path, NULL);
  fail_unless (a.proof != NULL);
  authz = seecitv_protocol_format_authorization (&a);
  if (cnonce_out != NULL)
    *cnonce_out = a.cnonce;
  else
    g_free (a.cnonce);
  g_free (a.proof);
  return authz;
}

static gchar *
verify (SeecitvChallengeStore * s, const guint8 * k, const gchar * device,
    const gchar * address, const gchar * path, const gchar * authz,
    gint64 now, GError ** err)
{
  return seecitv_protocol_device_verify (s, k, 32, device, address, "GET",
      path, authz, now, err);
}

/* The whole device-side check, then the ways a request is refused:
 * replay, expiry, another address, wrong path, wrong device, wrong secret,
 * restart, a full used set. Only a wrong proof is a PROOF error, and it
 * does not use the challenge up. */
GST_START_TEST (test_device_verify)
{
  g_autoptr (SeecitvChallengeStore) store = store_new (16, 30);
  GError *err = NULL;
  gchar *c, *authz, *info, *cnonce, *dproof;
  guint8 wrong[32];

  setup_key ();
  c = issue (store, ADDR_A, 0);
  authz = make_authz (key, c, STREAM, &cnonce);
  info = verify (store, key, DEV, ADDR_A, STREAM, authz, 10 * SEC, &err);
  fail_unless (info != NULL, "%s", err ? err->message : "");
  dproof = seecitv_protocol_parse_authentication_info (info, NULL);
  fail_unless (seecitv_protocol_check_proof (SEECITV_PROOF_DEVICE, key, 32,
          DEV, c, cnonce, "GET", STREAM, dproof, NULL));
  g_free (dproof);
  g_free (cnonce);
  g_free (info);

  /* replayed */
  fail_unless (verify (store, key, DEV, ADDR_A, STREAM, authz, 11 * SEC,
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  /* replayed after a restart: a new store refuses every old challenge */
  {
    g_autoptr (SeecitvChallengeStore) fresh = store_new (16, 30);

    fail_unless (verify (fresh, key, DEV, ADDR_A, STREAM, authz, 11 * SEC,
            &err) == NULL);
    assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  }
  g_free (authz);
  g_free (c);

  /* expired */
  c = issue (store, ADDR_A, 0);
  authz = make_authz (key, c, STREAM, NULL);
  fail_unless (verify (store, key, DEV, ADDR_A, STREAM, authz, 30 * SEC,
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  g_free (authz);
  g_free (c);

  /* issued to another address; then, wrong proofs (another path, another
   * secret) are PROOF errors; none of them used the challenge up */
  c = issue (store, ADDR_A, 0);
  authz = make_authz (key, c, STREAM, NULL);
  fail_unless (verify (store, key, DEV, ADDR_B, STREAM, authz, SEC,
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  fail_unless (verify (store, key, DEV, ADDR_A, INFO, authz, SEC,
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_PROOF);
  memset (wrong, 0x55, sizeof (wrong));
  fail_unless (verify (store, wrong, DEV, ADDR_A, STREAM, authz, SEC,
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_PROOF);
  fail_unless (verify (store, key, "cam-2", ADDR_A, STREAM, authz, SEC,
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_DEVICE_ID);
  info = verify (store, key, DEV, ADDR_A, STREAM, authz, SEC, &err);
  fail_unless (info != NULL, "%s", err ? err->message : "");
  g_free (info);
  g_free (authz);
  g_free (c);

  /* the vector's challenge was never issued by this store */
  fail_unless (verify (store, key, DEV, ADDR_A, STREAM, "Seecitv device="
          "\"cam-1\", challenge=\"" CHAL "\", cnonce=\"" CNONCE "\", proof=\""
          CLIENT_STREAM "\"", SEC, &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  /* no or garbled credentials */
  fail_unless (verify (store, key, DEV, ADDR_A, STREAM, NULL, SEC,
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
  fail_unless (verify (store, key, DEV, ADDR_A, STREAM, "Basic Zm9vOmJhcg==",
          SEC, &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);

  /* a full used set: BUSY for the right secret and a wrong one alike (no
   * proof is looked at), until room is made */
  {
    g_autoptr (SeecitvChallengeStore) small = store_new (1, 30);
    gchar *c1 = issue (small, ADDR_A, 0), *c2 = issue (small, ADDR_A, 0);
    gchar *a1 = make_authz (key, c1, STREAM, NULL);
    gchar *a2 = make_authz (key, c2, STREAM, NULL);

    info = verify (small, key, DEV, ADDR_A, STREAM, a1, 0, NULL);
    fail_unless (info != NULL);
    g_free (info);
    fail_unless (verify (small, key, DEV, ADDR_A, STREAM, a2, SEC,
            &err) == NULL);
    assert_error (err, SEECITV_PROTOCOL_ERROR_BUSY);
    fail_unless (verify (small, wrong, DEV, ADDR_A, STREAM, a2, SEC,
            &err) == NULL);
    assert_error (err, SEECITV_PROTOCOL_ERROR_BUSY);
    fail_unless (verify (small, key, DEV, ADDR_A, STREAM, a1, SEC,
            &err) == NULL);
    assert_error (err, SEECITV_PROTOCOL_ERROR_CHALLENGE);
    g_free (a1);
    g_free (a2);
    g_free (c1);
    g_free (c2);
  }
}

GST_END_TEST;

/* Both sides built from the API, with random nonces: the client's proof
 * passes the device, the device's proof passes the client. */
GST_START_TEST (test_round_trip)
{
  g_autoptr (SeecitvChallengeStore) store = store_new (16, 30);
  g_autoptr (SeecitvChallenge) ch = NULL;
  SeecitvAuthorization a = { 0 };
  gchar *www, *cnonce, *authz, *ainfo, *dproof;
  SeecitvChallenge issued = { (gchar *) DEV, NULL, 30 };

  setup_key ();
  issued.challenge = issue (store, ADDR_A, 5);
  www = seecitv_protocol_format_challenge (&issued);
  ch = seecitv_protocol_parse_challenge (www, NULL);
  fail_unless (ch != NULL);

  cnonce = seecitv_protocol_random_hex (SEECITV_PROTOCOL_NONCE_LEN, NULL);
  a.device_id = ch->device_id;
  a.challenge = ch->challenge;
  a.cnonce = cnonce;
  a.proof = seecitv_protocol_compute_proof (SEECITV_PROOF_CLIENT, key, 32,
      ch->device_id, ch->challenge, cnonce, "GET", "/s?x=1", NULL);
  authz = seecitv_protocol_format_authorization (&a);

  ainfo = seecitv_protocol_device_verify (store, key, 32, DEV, ADDR_A, "GET",
      "/s?x=1", authz, 6, NULL);
  fail_unless (ainfo != NULL);
  dproof = seecitv_protocol_parse_authentication_info (ainfo, NULL);
  fail_unless (seecitv_protocol_check_proof (SEECITV_PROOF_DEVICE, key, 32,
          DEV, ch->challenge, cnonce, "GET", "/s?x=1", dproof, NULL));

  g_free (issued.challenge);
  g_free (www);
  g_free (cnonce);
  g_free (a.proof);
  g_free (authz);
  g_free (ainfo);
  g_free (dproof);
}

GST_END_TEST;

GST_START_TEST (test_device_info)
{
  SeecitvDeviceInfo in = { (gchar *) DEV, (gchar *) "Pixel 7",
    (gchar *) "Front door \xe2\x80\x94 porch", (gchar *) "02:00:5e:10:00:01"
  };
  g_autoptr (SeecitvDeviceInfo) out = NULL;
  GError *err = NULL;
  gchar *text;

  text = seecitv_protocol_format_info (&in, &err);
  fail_unless_equals_string (text, "device-id=cam-1\nmodel=Pixel 7\n"
      "name=Front door \xe2\x80\x94 porch\nmac=02:00:5e:10:00:01\n");
  out = seecitv_protocol_parse_info (text, strlen (text), &err);
  g_free (text);
  fail_unless (out != NULL);
  fail_unless_equals_string (out->device_id, DEV);
  fail_unless_equals_string (out->model, "Pixel 7");
  fail_unless_equals_string (out->name, in.name);
  fail_unless_equals_string (out->mac, "02:00:5e:10:00:01");
  g_clear_pointer (&out, seecitv_device_info_free);

  /* CRLF, blank lines, unknown keys, '=' in values, only the id */
  text = (gchar *) "\r\nfuture=1\r\ndevice-id=x\r\nname=a=b\r\n";
  out = seecitv_protocol_parse_info (text, strlen (text), &err);
  fail_unless (out != NULL);
  fail_unless_equals_string (out->name, "a=b");
  fail_unless (out->model == NULL && out->mac == NULL);
  g_clear_pointer (&out, seecitv_device_info_free);

  {
    static const gchar *bad[] = {
      "",
      "model=x\n",
      "device-id=a b\n",
      "device-id=x\ndevice-id=y\n",
      "device-id=x\nname\n",
      "device-id=x\nmac=02:00:5E:10:00:01\n",
      "device-id=x\nmac=02:00:5e:10:00\n",
      "device-id=x\nname=\x01\n",
      "device-id=x\nname=\xff\xfe\n",
    };
    guint i;

    for (i = 0; i < G_N_ELEMENTS (bad); i++) {
      out = seecitv_protocol_parse_info (bad[i], strlen (bad[i]), &err);
      fail_unless (out == NULL, "accepted: %s", bad[i]);
      fail_unless (err != NULL);
      fail_unless_equals_int (err->domain, SEECITV_PROTOCOL_ERROR);
      g_clear_error (&err);
    }
  }
  /* a NUL inside is refused, not truncated */
  out = seecitv_protocol_parse_info ("device-id=x\0y\n", 14, &err);
  fail_unless (out == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
  /* value and document bounds */
  {
    GString *s = g_string_new ("device-id=x\nname=");
    while (s->len < 17 + SEECITV_PROTOCOL_INFO_VALUE_MAX + 1)
      g_string_append_c (s, 'n');
    fail_unless (seecitv_protocol_parse_info (s->str, s->len, &err) == NULL);
    assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
    g_string_truncate (s, 0);
    while (s->len <= SEECITV_PROTOCOL_MAX_INFO)
      g_string_append (s, "\n");
    g_string_append (s, "device-id=x\n");
    fail_unless (seecitv_protocol_parse_info (s->str, s->len, &err) == NULL);
    assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
    g_string_free (s, TRUE);
  }
  /* formatting refuses what parsing would */
  in.mac = (gchar *) "02-00-5e-10-00-01";
  fail_unless (seecitv_protocol_format_info (&in, &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
  fail_unless (seecitv_protocol_pseudonymise_mac (key, 32, in.mac,
          &err) == NULL);
  assert_error (err, SEECITV_PROTOCOL_ERROR_SYNTAX);
}

GST_END_TEST;

GST_START_TEST (test_key_file)
{
  g_autofree gchar *dir = g_dir_make_tmp ("seecitv-protocol-XXXXXX", NULL);
  g_autofree gchar *path = g_build_filename (dir, "cam-1.key", NULL);
  guint8 k[32];
  GError *err = NULL;
  gchar *text = g_strdup_printf ("  %s\n", KEY_HEX);
  guint i;

  fail_unless (dir != NULL);
  fail_unless (g_file_set_contents (path, text, -1, NULL));
  g_free (text);
  fail_unless_equals_int (g_chmod (path, 0600), 0);
  fail_unless (seecitv_protocol_load_key_file (path, k, &err));
  for (i = 0; i < 32; i++)
    fail_unless_equals_int (k[i], i);

  /* readable by others: refused */
  fail_unless_equals_int (g_chmod (path, 0644), 0);
  fail_if (seecitv_protocol_load_key_file (path, k, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_KEY_FILE);
  g_unlink (path);
  fail_if (seecitv_protocol_load_key_file (path, k, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_KEY_FILE);
  g_rmdir (dir);

  /* uppercase accepted in the file; anything else refused */
  fail_unless (seecitv_protocol_parse_key ("000102030405060708090A0B0C0D0E0F"
          "101112131415161718191A1B1C1D1E1F", 64, k, NULL));
  fail_unless_equals_int (k[31], 0x1f);
  fail_if (seecitv_protocol_parse_key (KEY_HEX, 62, k, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_KEY_FILE);
  fail_if (seecitv_protocol_parse_key ("zz0102030405060708090a0b0c0d0e0f"
          "101112131415161718191a1b1c1d1e1f", 64, k, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_KEY_FILE);
  fail_if (seecitv_protocol_parse_key ("00 0102030405060708090a0b0c0d0e0f"
          "101112131415161718191a1b1c1d1e1f", 65, k, &err));
  assert_error (err, SEECITV_PROTOCOL_ERROR_KEY_FILE);
}

GST_END_TEST;

/* A certificate made for this test (openssl req -x509, P-256); its pin is
 * the SHA-256 of its DER (openssl x509 -outform DER | sha256sum). */
static const gchar pin_test_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBezCCASGgAwIBAgIURPPyfP/9vJcxI8ZOibSlOjIYO/4wCgYIKoZIzj0EAwIw\n"
    "EzERMA8GA1UEAwwIcGluLXRlc3QwHhcNMjYxMjA3MDI1OTIwWhcNMzYxMjA0MDI1\n"
    "OTIwWjATMREwDwYDVQQDDAhwaW4tdGVzdDBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
    "A0IABL2d+G8d4vQzswX7iEhRhwINj0hx2DfLMNczhKVywnpIhyMmj2uKzMvHbwQc\n"
    "4mIh34HizyZyqAVJU4f3aO5/mgijUzBRMB0GA1UdDgQWBBRYRMcsWxgcgzIZ9x6f\n"
    "rIuW0a3e2TAfBgNVHSMEGDAWgBRYRMcsWxgcgzIZ9x6frIuW0a3e2TAPBgNVHRMB\n"
    "Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIC1JWt9LDzVUOjF7qRG1xyyQJjsh\n"
    "kiF6BnY4k4X1fc0zAiEAogQwh0lAvJjnoFUV8IE97bgs9RZYVtBSNMJHPTegLb0=\n"
    "-----END CERTIFICATE-----\n";

/* The TLS pin format and a certificate's pin (tlspin.c). */
GST_START_TEST (test_tls_pin)
{
  GError *err = NULL;
  GTlsCertificate *cert;
  gchar *pin;

  fail_unless (seecitv_tls_pin_is_valid ("sha256:"
          "97c2771c63435dccd310cf39eafbdb3c0d781488290be1c62b41166c61e2caf1"));
  fail_if (seecitv_tls_pin_is_valid (NULL));
  fail_if (seecitv_tls_pin_is_valid ("sha256:"));
  fail_if (seecitv_tls_pin_is_valid ("sha1:"
          "97c2771c63435dccd310cf39eafbdb3c0d781488290be1c62b41166c61e2caf1"));
  /* upper case, one digit short, one too many */
  fail_if (seecitv_tls_pin_is_valid ("sha256:"
          "97C2771C63435DCCD310CF39EAFBDB3C0D781488290BE1C62B41166C61E2CAF1"));
  fail_if (seecitv_tls_pin_is_valid ("sha256:"
          "97c2771c63435dccd310cf39eafbdb3c0d781488290be1c62b41166c61e2caf"));
  fail_if (seecitv_tls_pin_is_valid ("sha256:"
          "97c2771c63435dccd310cf39eafbdb3c0d781488290be1c62b41166c61e2caf10"));
  fail_if (seecitv_tls_pin_is_valid ("sha256:"
          "97c2771c63435dccd310cf39eafbdb3c0d781488290be1c62b41166c61e2cafg"));

  cert = g_tls_certificate_new_from_pem (pin_test_pem, -1, &err);
  g_assert_no_error (err);
  pin = seecitv_tls_pin_from_certificate (cert);
  fail_unless_equals_string (pin, "sha256:"
      "97c2771c63435dccd310cf39eafbdb3c0d781488290be1c62b41166c61e2caf1");
  fail_unless (seecitv_tls_pin_is_valid (pin));
  g_free (pin);
  g_object_unref (cert);
}

GST_END_TEST;

static Suite *
protocol_suite (void)
{
  Suite *s = suite_create ("protocol");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_vectors);
  tcase_add_test (tc, test_tls_pin);
  tcase_add_test (tc, test_check_proof);
  tcase_add_test (tc, test_device_id);
  tcase_add_test (tc, test_challenge_header);
  tcase_add_test (tc, test_authorization_header);
  tcase_add_test (tc, test_challenge_store);
  tcase_add_test (tc, test_device_verify);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_device_info);
  tcase_add_test (tc, test_key_file);
  return s;
}

GST_CHECK_MAIN (protocol);
