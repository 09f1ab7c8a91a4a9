/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the clip reader and writer (gst-libs/seecitv/crypto/clip.c), with a
 * fixed key. The first input byte picks the mode:
 *
 * - even: the rest (after a piece-size byte) is a clip file. It is read
 *   whole and in pieces, strictly and in prefix mode; all four readings
 *   must agree, deliver the same authenticated bytes, and fail only with a
 *   SEECITV_CLIP_ERROR.
 * - odd: the rest is a script for the writer (chunk size, appends,
 *   flushes, whether to finish, then a cut and a flipped byte). The clip it
 *   writes must read back exactly; cut, it must yield a chunk-aligned prefix
 *   of the plaintext; with one byte changed, it must never read as a whole
 *   clip and never deliver a byte that was not written.
 *
 * Any broken contract abort ()s. Seeds: corpus/clip/ (made by a one-off
 * generator from the public API and the writer).
 */
#include <glib.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <seecitv/crypto/clip.h>
#include <seecitv/crypto/clip-private.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static const guint8 fuzz_key[SEECITV_CLIP_KEY_SIZE] = {
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
  16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
};

static void
die (const char *what)
{
  fprintf (stderr, "fuzz-clip: %s\n", what);
  abort ();
}

typedef struct
{
  gboolean ok;
  gint code;                    /* -1 on success */
  SeecitvClipEnd end;
  GByteArray *out;
  guint64 chunks;
} Reading;

static Reading
read_clip (const guint8 * data, gsize len, gsize piece,
    SeecitvClipReaderFlags flags)
{
  SeecitvClipReader *r = seecitv_clip_reader_new_with_key (fuzz_key, flags);
  Reading res = { FALSE, -1, SEECITV_CLIP_END_COMPLETE, g_byte_array_new (),
    0
  };
  GError *err = NULL;
  gsize off = 0;

  while (off < len) {
    gsize n = MIN (piece, len - off);

    if (!seecitv_clip_reader_push (r, data + off, n, res.out, &err))
      break;
    off += n;
  }
  if (err == NULL)
    res.ok = seecitv_clip_reader_finish (r, &res.end, &err);

  if (res.ok != (err == NULL))
    die ("return value and error disagree");
  if (err != NULL) {
    if (err->domain != SEECITV_CLIP_ERROR ||
        err->code < SEECITV_CLIP_ERROR_BAD_MAGIC ||
        err->code > SEECITV_CLIP_ERROR_FAILED ||
        !g_utf8_validate (err->message, -1, NULL))
      die ("malformed error");
    res.code = err->code;
    g_error_free (err);
  }
  if (seecitv_clip_reader_get_bytes_verified (r) != res.out->len)
    die ("bytes verified differs from bytes delivered");
  if (res.ok && res.end == SEECITV_CLIP_END_COMPLETE &&
      !seecitv_clip_reader_is_complete (r))
    die ("complete without the final chunk");
  res.chunks = seecitv_clip_reader_get_chunks_verified (r);
  seecitv_clip_reader_free (r);
  return res;
}

/* memcmp () must not see the NULL data of an empty GByteArray. */
static gboolean
is_prefix (GByteArray * a, GByteArray * b)
{
  return a->len <= b->len && (a->len == 0 ||
      memcmp (a->data, b->data, a->len) == 0);
}

static gboolean
same_bytes (GByteArray * a, GByteArray * b)
{
  return a->len == b->len && is_prefix (a, b);
}

static void
fuzz_file (const guint8 * data, gsize size)
{
  gsize piece;
  Reading whole, pieces, prefix, prefix_pieces;

  if (size < 1)
    return;
  piece = data[0] + 1;
  data++;
  size--;

  whole = read_clip (data, size, MAX (size, 1), 0);
  pieces = read_clip (data, size, piece, 0);
  prefix = read_clip (data, size, MAX (size, 1),
      SEECITV_CLIP_READER_ALLOW_PREFIX);
  prefix_pieces = read_clip (data, size, piece,
      SEECITV_CLIP_READER_ALLOW_PREFIX);

  /* How the bytes arrive changes nothing. */
  if (whole.ok != pieces.ok || whole.code != pieces.code ||
      !same_bytes (whole.out, pieces.out) || whole.chunks != pieces.chunks)
    die ("whole and piecewise readings differ");
  if (prefix.ok != prefix_pieces.ok || prefix.code != prefix_pieces.code ||
      prefix.end != prefix_pieces.end ||
      !same_bytes (prefix.out, prefix_pieces.out))
    die ("whole and piecewise prefix readings differ");

  /* Prefix mode forgives exactly a missing end, and delivers the same. */
  if (!same_bytes (whole.out, prefix.out))
    die ("strict and prefix modes delivered different bytes");
  if (whole.ok) {
    if (!prefix.ok || prefix.end != SEECITV_CLIP_END_COMPLETE)
      die ("a complete clip is not complete in prefix mode");
  } else if (whole.code == SEECITV_CLIP_ERROR_TRUNCATED) {
    if (!prefix.ok || prefix.end != SEECITV_CLIP_END_PREFIX)
      die ("a truncated clip is not a prefix in prefix mode");
  } else if (prefix.ok || prefix.code != whole.code) {
    die ("prefix mode forgave something other than truncation");
  }

  g_byte_array_unref (whole.out);
  g_byte_array_unref (pieces.out);
  g_byte_array_unref (prefix.out);
  g_byte_array_unref (prefix_pieces.out);
}

static gboolean
append_to_array (const guint8 * data, gsize len, gpointer user_data,
    GError ** error)
{
  g_byte_array_append (user_data, data, len);
  return TRUE;
}

typedef struct
{
  const guint8 *p;
  gsize left;
} Script;

static guint
next (Script * s)
{
  if (s->left == 0)
    return 0;
  s->left--;
  return *s->p++;
}

static void
fuzz_script (const guint8 * data, gsize size)
{
  static const guint8 prefix[SEECITV_CLIP_NONCE_PREFIX_SIZE] = { 7, 6, 5, 4,
    3, 2, 1
  };
  Script s = { data, size };
  SeecitvClipIds ids;
  SeecitvClipWriter *w;
  GByteArray *file = g_byte_array_new ();
  GByteArray *plain = g_byte_array_new ();
  /* Chunk ends in the plaintext: where a prefix may stop. */
  GArray *boundaries = g_array_new (FALSE, FALSE, sizeof (gsize));
  GError *err = NULL;
  gsize chunk_size, zero = 0, cut, flip, i;
  gboolean finish = TRUE;
  Reading r;
  guint op;

  memset (&ids, 0xab, sizeof (ids));
  chunk_size = 1 + next (&s) % 64;
  w = seecitv_clip_writer_new_with_nonce_prefix (fuzz_key, &ids, prefix,
      chunk_size, append_to_array, file, &err);
  if (w == NULL)
    die ("writer refused a valid setup");
  g_array_append_val (boundaries, zero);

  /* Ops until a 0xff byte or the end of the script. */
  while (s.left > 0 && (op = next (&s)) != 0xff) {
    if (op == 0xfe) {
      finish = FALSE;
    } else if (op >= 0xc0) {
      gsize before = plain->len - g_array_index (boundaries, gsize,
          boundaries->len - 1);

      if (!seecitv_clip_writer_flush (w, &err))
        die ("flush failed");
      if (before != 0) {
        gsize b = plain->len;

        g_array_append_val (boundaries, b);
      }
    } else {
      gsize n = op * 3, start = plain->len, buffered;

      /* Keep runs fast: a few hundred chunks say all there is to say. */
      if (start + n > MIN (16384, 300 * chunk_size))
        break;

      for (i = 0; i < n; i++)
        g_byte_array_append (plain, (const guint8 *) &i, 1);
      if (n > 0 && !seecitv_clip_writer_append (w, plain->data + start, n,
              &err))
        die ("append failed");
      /* Full chunks sealed by this append. */
      buffered = start - g_array_index (boundaries, gsize, boundaries->len - 1);
      for (i = chunk_size - buffered; i <= n; i += chunk_size) {
        gsize b = start + i;

        g_array_append_val (boundaries, b);
      }
    }
  }
  if (finish) {
    gsize b = plain->len;

    if (!seecitv_clip_writer_finish (w, &err))
      die ("finish failed");
    g_array_append_val (boundaries, b);
  }
  /* Unfinished: what was still buffered was never written. */
  g_byte_array_set_size (plain, g_array_index (boundaries, gsize,
          boundaries->len - 1));
  if (seecitv_clip_writer_get_bytes_written (w) != file->len)
    die ("bytes written miscounted");
  seecitv_clip_writer_free (w);

  /* Read back. */
  r = read_clip (file->data, file->len, file->len,
      SEECITV_CLIP_READER_ALLOW_PREFIX);
  if (!r.ok || !same_bytes (r.out, plain) ||
      r.end != (finish ? SEECITV_CLIP_END_COMPLETE : SEECITV_CLIP_END_PREFIX))
    die ("a written clip does not read back");
  g_byte_array_unref (r.out);

  /* Cut: a chunk-aligned prefix. */
  cut = ((gsize) next (&s) << 8 | next (&s)) % (file->len + 1);
  r = read_clip (file->data, cut, 1 + next (&s),
      SEECITV_CLIP_READER_ALLOW_PREFIX);
  if (!r.ok || !is_prefix (r.out, plain))
    die ("a cut clip does not give a prefix of the plaintext");
  for (i = 0; i < boundaries->len; i++)
    if (g_array_index (boundaries, gsize, i) == r.out->len)
      break;
  if (i == boundaries->len)
    die ("a cut clip gives a prefix that is not chunk-aligned");
  g_byte_array_unref (r.out);

  /* One changed byte: never whole, never a byte that was not written. */
  if (file->len > 0) {
    guint8 mask = next (&s) | 1;

    flip = ((gsize) next (&s) << 8 | next (&s)) % file->len;
    file->data[flip] ^= mask;
    r = read_clip (file->data, file->len, file->len, 0);
    if (r.ok)
      die ("a changed clip reads as intact");
    if (!is_prefix (r.out, plain))
      die ("a changed clip delivered bytes that were not written");
    g_byte_array_unref (r.out);
  }

  g_array_unref (boundaries);
  g_byte_array_unref (plain);
  g_byte_array_unref (file);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  if (size < 1)
    return 0;
  if (data[0] & 1)
    fuzz_script (data + 1, size - 1);
  else
    fuzz_file (data + 1, size - 1);
  return 0;
}
