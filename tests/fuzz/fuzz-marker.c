/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the keystore's generation marker reader
 * (gst-libs/seecitv/crypto/keystore-marker.c), with a fixed master key. The
 * first input byte picks the mode: even, the rest is a marker file as read
 * from disk (random bytes rarely carry a valid MAC); odd, the rest is a
 * marker whose MAC is computed here over its first 32 bytes, so that the
 * checks behind the MAC are reached. A failure must be a
 * SEECITV_KEYSTORE_ERROR of the marker's three kinds; a success needs
 * exactly 64 bytes that authenticate, and gives back the generation and
 * nonce that are in them. Any broken contract abort ()s.
 */
#include <glib.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seecitv/crypto/keystore.h>
#include <seecitv/crypto/keystore-private.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static const guint8 fuzz_master[SEECITV_KEYSTORE_MASTER_KEY_SIZE] = {
  0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
  0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
  0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57,
  0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f
};

static void
die (const char *what)
{
  fprintf (stderr, "fuzz-marker: %s\n", what);
  abort ();
}

static guint64
load_be64 (const guint8 * p)
{
  guint64 v = 0;
  guint i;

  for (i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  guint8 sealed[SEECITV_KEYSTORE_MARKER_SIZE];
  guint8 nonce[12];
  const guint8 *marker;
  gsize len;
  guint64 gen = 0;
  GError *err = NULL;

  if (size < 1)
    return 0;
  marker = data + 1;
  len = size - 1;
  if ((data[0] & 1) && len == sizeof (sealed)) {
    memcpy (sealed, marker, sizeof (sealed));
    if (!seecitv_keystore_marker_seal (sealed, fuzz_master, NULL))
      die ("sealing a marker failed");
    marker = sealed;
  }
  if (seecitv_keystore_marker_parse (marker, len, fuzz_master, &gen, nonce,
          &err)) {
    if (len != SEECITV_KEYSTORE_MARKER_SIZE || memcmp (marker, "SCTVMARK", 8))
      die ("a marker of the wrong size or magic was accepted");
    if (gen != load_be64 (marker + 12) || memcmp (nonce, marker + 20, 12))
      die ("the marker's fields came back changed");
    return 0;
  }
  if (err == NULL || err->domain != SEECITV_KEYSTORE_ERROR ||
      (err->code != SEECITV_KEYSTORE_ERROR_BAD_FORMAT &&
          err->code != SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION &&
          err->code != SEECITV_KEYSTORE_ERROR_AUTH) ||
      !g_utf8_validate (err->message, -1, NULL))
    die ("malformed error");
  /* A marker sealed here with its fields right must authenticate. */
  if (marker == sealed && err->code == SEECITV_KEYSTORE_ERROR_AUTH)
    die ("a correctly sealed marker did not authenticate");
  g_error_free (err);
  return 0;
}
