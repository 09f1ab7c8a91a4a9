/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the clip format (gst-libs/seecitv/crypto/clip.c): round trips, split
 * feeding, tampering, reordering, truncation and prefix recovery, header
 * errors, and the fixed test vector that docs/clip-format.md publishes
 * (checked against the document itself). The keystore has its own test.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include <openssl/evp.h>

#include <seecitv/crypto/clip.h>
#include <seecitv/crypto/clip-private.h>

#define HDR SEECITV_CLIP_HEADER_SIZE
#define OVH SEECITV_CLIP_CHUNK_OVERHEAD

/* Byte-wise: read_be32 () loads unaligned words (UBSan). */
static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static void
write_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static guint8 test_key[SEECITV_CLIP_KEY_SIZE];
static SeecitvClipIds test_ids;

static void
setup_keys (void)
{
  guint i;

  for (i = 0; i < SEECITV_CLIP_KEY_SIZE; i++)
    test_key[i] = i;
  for (i = 0; i < SEECITV_CLIP_ID_SIZE; i++) {
    test_ids.clip_id[i] = 0x10 + i;
    test_ids.kek_id[i] = 0x20 + i;
    test_ids.data_key_id[i] = 0x30 + i;
  }
}

static gboolean
append_to_array (const guint8 * data, gsize len, gpointer user_data,
    GError ** error)
{
  g_byte_array_append (user_data, data, len);
  return TRUE;
}

/* memcmp () with the NULL data of an empty GByteArray is undefined. */
static gboolean
starts_with (const guint8 * data, const guint8 * prefix, gsize len)
{
  return len == 0 || memcmp (data, prefix, len) == 0;
}

static guint8 *
make_plaintext (gsize len, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  guint8 *p = g_malloc (MAX (len, 1));
  gsize i;

  for (i = 0; i < len; i++)
    p[i] = g_rand_int (rand);
  g_rand_free (rand);
  return p;
}

/* Writes @len bytes in one append, then finishes. */
static GByteArray *
write_clip (const guint8 * key, gsize chunk_size, const guint8 * data,
    gsize len)
{
  GByteArray *file = g_byte_array_new ();
  SeecitvClipWriter *w;
  GError *err = NULL;

  w = seecitv_clip_writer_new (key, &test_ids, chunk_size, append_to_array,
      file, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_clip_writer_append (w, data, len, &err));
  g_assert_no_error (err);
  fail_unless (seecitv_clip_writer_finish (w, &err));
  g_assert_no_error (err);
  fail_unless_equals_uint64 (seecitv_clip_writer_get_bytes_written (w),
      file->len);
  fail_unless_equals_uint64 (seecitv_clip_writer_get_bytes_appended (w), len);
  seecitv_clip_writer_free (w);
  return file;
}

typedef struct
{
  gboolean ok;
  GError *error;
  GByteArray *out;
  SeecitvClipEnd end;
  guint64 chunks;
} ReadResult;

static void
read_result_clear (ReadResult * r)
{
  g_clear_error (&r->error);
  g_byte_array_unref (r->out);
}

/* Feeds @data in pieces of at most @piece bytes (0: all at once). */
static ReadResult
read_clip (const guint8 * key, const guint8 * data, gsize len, gsize piece,
    SeecitvClipReaderFlags flags)
{
  SeecitvClipReader *r = seecitv_clip_reader_new_with_key (key, flags);
  ReadResult res = { FALSE, NULL, g_byte_array_new (), 0, 0 };
  gsize off = 0;

  if (piece == 0)
    piece = MAX (len, 1);
  while (off < len) {
    gsize n = MIN (piece, len - off);

    if (!seecitv_clip_reader_push (r, data + off, n, res.out, &res.error))
      goto done;
    off += n;
  }
  res.ok = seecitv_clip_reader_finish (r, &res.end, &res.error);
done:
  fail_unless (res.ok == (res.error == NULL));
  fail_unless_equals_uint64 (seecitv_clip_reader_get_bytes_verified (r),
      res.out->len);
  res.chunks = seecitv_clip_reader_get_chunks_verified (r);
  seecitv_clip_reader_free (r);
  return res;
}

GST_START_TEST (test_round_trip_sizes)
{
  const gsize chunk_sizes[] = { 1, 16, 1000, 0 };
  const gsize sizes[] = { 0, 1, 15, 16, 17, 32, 48, 999, 1000, 1001, 4000,
    65536, 65537, 200000
  };
  guint i, j;

  setup_keys ();
  for (i = 0; i < G_N_ELEMENTS (chunk_sizes); i++) {
    gsize cs = chunk_sizes[i] ? chunk_sizes[i] :
        SEECITV_CLIP_DEFAULT_CHUNK_SIZE;

    for (j = 0; j < G_N_ELEMENTS (sizes); j++) {
      gsize n = sizes[j];
      guint8 *plain;
      GByteArray *file;
      ReadResult res;
      guint64 n_chunks;

      /* One-byte chunks: keep the file small. */
      if (cs == 1 && n > 4000)
        continue;
      plain = make_plaintext (n, n);
      file = write_clip (test_key, chunk_sizes[i], plain, n);

      /* Full chunks, then a final one that may be empty. */
      n_chunks = n / cs + 1;
      fail_unless_equals_uint64 (file->len, HDR + n + n_chunks * OVH);

      res = read_clip (test_key, file->data, file->len, 0, 0);
      g_assert_no_error (res.error);
      fail_unless_equals_int (res.end, SEECITV_CLIP_END_COMPLETE);
      fail_unless_equals_uint64 (res.chunks, n_chunks);
      fail_unless_equals_uint64 (res.out->len, n);
      fail_unless (starts_with (res.out->data, plain, n));
      read_result_clear (&res);

      g_byte_array_unref (file);
      g_free (plain);
    }
  }
}

GST_END_TEST;

/* Random append sizes and flushes on the writer side, random piece sizes on
 * the reader side. */
GST_START_TEST (test_split_feeding)
{
  GRand *rand = g_rand_new_with_seed (42);
  guint round;

  setup_keys ();
  for (round = 0; round < 40; round++) {
    gsize n = g_rand_int_range (rand, 0, 5000);
    gsize cs = g_rand_int_range (rand, 1, 700);
    guint8 *plain = make_plaintext (n, round);
    GByteArray *file = g_byte_array_new ();
    SeecitvClipWriter *w;
    SeecitvClipReader *r;
    GByteArray *out = g_byte_array_new ();
    GError *err = NULL;
    SeecitvClipEnd end;
    gsize off = 0;

    w = seecitv_clip_writer_new (test_key, &test_ids, cs, append_to_array,
        file, &err);
    g_assert_no_error (err);
    while (off < n) {
      /* (MIN () would draw twice) */
      gsize k = g_rand_int_range (rand, 0, 3 * cs);

      k = MIN (k, n - off);

      fail_unless (seecitv_clip_writer_append (w, plain + off, k, &err));
      off += k;
      if (g_rand_int_range (rand, 0, 4) == 0)
        fail_unless (seecitv_clip_writer_flush (w, &err));
    }
    fail_unless (seecitv_clip_writer_finish (w, &err));
    g_assert_no_error (err);
    seecitv_clip_writer_free (w);

    r = seecitv_clip_reader_new_with_key (test_key, 0);
    off = 0;
    while (off < file->len) {
      gsize k = g_rand_int_range (rand, 1, 2 * cs + 40);

      k = MIN (k, file->len - off);

      fail_unless (seecitv_clip_reader_push (r, file->data + off, k, out,
              &err));
      g_assert_no_error (err);
      off += k;
      /* Plaintext only ever grows by whole authenticated chunks. */
      fail_unless (out->len <= n);
      fail_unless (starts_with (out->data, plain, out->len));
    }
    fail_unless (seecitv_clip_reader_finish (r, &end, &err));
    g_assert_no_error (err);
    fail_unless_equals_int (end, SEECITV_CLIP_END_COMPLETE);
    fail_unless (seecitv_clip_reader_is_complete (r));
    fail_unless_equals_uint64 (out->len, n);
    fail_unless (starts_with (out->data, plain, n));
    fail_unless (memcmp (seecitv_clip_reader_get_header (r)->ids.clip_id,
            test_ids.clip_id, SEECITV_CLIP_ID_SIZE) == 0);
    seecitv_clip_reader_free (r);

    /* Byte by byte too. */
    {
      ReadResult res = read_clip (test_key, file->data, file->len, 1, 0);

      g_assert_no_error (res.error);
      fail_unless_equals_uint64 (res.out->len, n);
      read_result_clear (&res);
    }

    g_byte_array_unref (out);
    g_byte_array_unref (file);
    g_free (plain);
  }
  g_rand_free (rand);
}

GST_END_TEST;

GST_START_TEST (test_flush)
{
  GByteArray *file = g_byte_array_new ();
  SeecitvClipWriter *w;
  GError *err = NULL;
  ReadResult res;
  guint len;

  setup_keys ();
  w = seecitv_clip_writer_new (test_key, &test_ids, 100, append_to_array,
      file, &err);
  g_assert_no_error (err);
  fail_unless_equals_int (file->len, HDR);

  /* Nothing buffered: nothing written. */
  fail_unless (seecitv_clip_writer_flush (w, &err));
  fail_unless_equals_int (file->len, HDR);

  fail_unless (seecitv_clip_writer_append (w, (const guint8 *) "hello", 5,
          &err));
  fail_unless_equals_int (file->len, HDR);
  fail_unless (seecitv_clip_writer_flush (w, &err));
  fail_unless_equals_int (file->len, HDR + 5 + OVH);

  /* What has been flushed reads back (as a prefix) before the end. */
  res = read_clip (test_key, file->data, file->len, 0,
      SEECITV_CLIP_READER_ALLOW_PREFIX);
  g_assert_no_error (res.error);
  fail_unless_equals_int (res.end, SEECITV_CLIP_END_PREFIX);
  fail_unless_equals_int (res.out->len, 5);
  read_result_clear (&res);

  fail_unless (seecitv_clip_writer_append (w, (const guint8 *) " world", 6,
          &err));
  len = file->len;
  fail_unless (seecitv_clip_writer_finish (w, &err));
  fail_unless_equals_int (file->len, len + 6 + OVH);
  seecitv_clip_writer_free (w);

  res = read_clip (test_key, file->data, file->len, 3, 0);
  g_assert_no_error (res.error);
  fail_unless_equals_int (res.out->len, 11);
  fail_unless (memcmp (res.out->data, "hello world", 11) == 0);
  fail_unless_equals_uint64 (res.chunks, 2);
  read_result_clear (&res);
  g_byte_array_unref (file);
}

GST_END_TEST;

/* Byte offsets of each chunk of @file (which must be intact). */
static GArray *
chunk_offsets (GByteArray * file)
{
  GArray *offs = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize off = HDR;

  while (off < file->len) {
    guint32 v = read_be32 (file->data + off);

    g_array_append_val (offs, off);
    off += 4 + (v & 0x7fffffff) + 16;
  }
  fail_unless_equals_uint64 (off, file->len);
  return offs;
}

GST_START_TEST (test_tamper_every_byte)
{
  const guint8 masks[] = { 0x01, 0x80, 0xff };
  const gsize cs = 16, n = 40;
  guint8 *plain = make_plaintext (n, 7);
  GByteArray *file;
  GArray *offs;
  gsize pos;
  guint m;

  setup_keys ();
  file = write_clip (test_key, cs, plain, n);
  offs = chunk_offsets (file);
  fail_unless_equals_int (offs->len, 3);

  for (pos = 0; pos < file->len; pos++) {
    for (m = 0; m < G_N_ELEMENTS (masks); m++) {
      guint8 *copy = g_memdup2 (file->data, file->len);
      ReadResult res;
      gint chunk = -1;
      gsize body_start = 0;
      guint i;

      copy[pos] ^= masks[m];
      res = read_clip (test_key, copy, file->len, 0, 0);
      fail_if (res.ok, "flipping byte %" G_GSIZE_FORMAT " went unnoticed", pos);
      fail_unless (res.error->domain == SEECITV_CLIP_ERROR);

      for (i = 0; i < offs->len; i++) {
        if (pos >= g_array_index (offs, gsize, i)) {
          chunk = i;
          body_start = g_array_index (offs, gsize, i) + 4;
        }
      }

      if (pos < 8) {
        fail_unless_equals_int (res.error->code, SEECITV_CLIP_ERROR_BAD_MAGIC);
      } else if (pos < 10) {
        fail_unless_equals_int (res.error->code,
            SEECITV_CLIP_ERROR_UNSUPPORTED_VERSION);
      } else if (pos < 12 || pos == 71) {
        fail_unless_equals_int (res.error->code, SEECITV_CLIP_ERROR_CORRUPT);
      } else if (pos < 16) {
        /* Chunk size: out of range, or in range and unauthentic. */
        fail_unless (res.error->code == SEECITV_CLIP_ERROR_CORRUPT ||
            res.error->code == SEECITV_CLIP_ERROR_WRONG_KEY);
      } else if (pos < HDR) {
        fail_unless_equals_int (res.error->code, SEECITV_CLIP_ERROR_WRONG_KEY);
      } else if (pos >= body_start) {
        /* Ciphertext or tag: that chunk, exactly. */
        fail_unless_equals_int (res.error->code, SEECITV_CLIP_ERROR_AUTH);
        fail_unless_equals_uint64 (res.chunks, chunk);
      } else {
        /* A length prefix: refused, cut short, or that chunk fails. */
        fail_unless (res.error->code == SEECITV_CLIP_ERROR_CORRUPT ||
            res.error->code == SEECITV_CLIP_ERROR_TRUNCATED ||
            (res.error->code == SEECITV_CLIP_ERROR_AUTH &&
                res.chunks == (guint64) chunk),
            "byte %" G_GSIZE_FORMAT ": %s", pos, res.error->message);
      }
      /* Nothing from the damaged chunk on was released. */
      if (chunk >= 0)
        fail_unless (res.out->len <= chunk * cs);
      else
        fail_unless_equals_int (res.out->len, 0);
      fail_unless (starts_with (res.out->data, plain, res.out->len));

      read_result_clear (&res);
      g_free (copy);
    }
  }
  g_array_unref (offs);
  g_byte_array_unref (file);
  g_free (plain);
}

GST_END_TEST;

/* Builds a file from @file's header and its chunks in the order of
 * @order (indexes, -1 ends). */
static GByteArray *
rearrange (GByteArray * file, const gint * order)
{
  GArray *offs = chunk_offsets (file);
  GByteArray *out = g_byte_array_new ();
  guint i;

  g_byte_array_append (out, file->data, HDR);
  for (i = 0; order[i] >= 0; i++) {
    gsize start = g_array_index (offs, gsize, order[i]);
    gsize end = (guint) order[i] + 1 < offs->len ?
        g_array_index (offs, gsize, order[i] + 1) : file->len;

    g_byte_array_append (out, file->data + start, end - start);
  }
  g_array_unref (offs);
  return out;
}

GST_START_TEST (test_reorder_drop)
{
  const gsize cs = 100, n = 500;        /* 0..4 full, 5 final and empty */
  guint8 *plain = make_plaintext (n, 3);
  GByteArray *file, *bad;
  ReadResult res;
  const gint swapped[] = { 0, 2, 1, 3, 4, 5, -1 };
  const gint dropped_middle[] = { 0, 1, 3, 4, 5, -1 };
  const gint dropped_last[] = { 0, 1, 2, 3, 4, -1 };
  const gint repeated[] = { 0, 1, 1, 2, 3, 4, 5, -1 };
  const gint final_moved[] = { 0, 1, 2, 3, 5, -1 };

  setup_keys ();
  file = write_clip (test_key, cs, plain, n);

  bad = rearrange (file, swapped);
  res = read_clip (test_key, bad->data, bad->len, 0, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_AUTH);
  fail_unless_equals_uint64 (res.chunks, 1);
  fail_unless_equals_int (res.out->len, cs);
  read_result_clear (&res);
  g_byte_array_unref (bad);

  bad = rearrange (file, dropped_middle);
  res = read_clip (test_key, bad->data, bad->len, 7, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_AUTH);
  fail_unless_equals_uint64 (res.chunks, 2);
  read_result_clear (&res);
  g_byte_array_unref (bad);

  bad = rearrange (file, repeated);
  res = read_clip (test_key, bad->data, bad->len, 0, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_AUTH);
  fail_unless_equals_uint64 (res.chunks, 2);
  read_result_clear (&res);
  g_byte_array_unref (bad);

  /* Truncation at a chunk boundary: the final chunk is missing. */
  bad = rearrange (file, dropped_last);
  res = read_clip (test_key, bad->data, bad->len, 0, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_TRUNCATED);
  fail_unless_equals_uint64 (res.chunks, 5);
  /* Streaming: what authenticated was delivered before the verdict. */
  fail_unless_equals_int (res.out->len, 5 * cs);
  read_result_clear (&res);
  res = read_clip (test_key, bad->data, bad->len, 0,
      SEECITV_CLIP_READER_ALLOW_PREFIX);
  g_assert_no_error (res.error);
  fail_unless_equals_int (res.end, SEECITV_CLIP_END_PREFIX);
  fail_unless_equals_int (res.out->len, 5 * cs);
  read_result_clear (&res);
  g_byte_array_unref (bad);

  /* The final chunk earlier than it was: its index no longer matches. */
  bad = rearrange (file, final_moved);
  res = read_clip (test_key, bad->data, bad->len, 0, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_AUTH);
  fail_unless_equals_uint64 (res.chunks, 4);
  read_result_clear (&res);
  g_byte_array_unref (bad);

  g_byte_array_unref (file);
  g_free (plain);
}

GST_END_TEST;

/* Chunks of one clip spliced after the header of another clip under the
 * same key: the header (nonce prefix, ids) is bound into every chunk. */
GST_START_TEST (test_splice_between_clips)
{
  const gsize cs = 64, n = 300;
  guint8 *plain = make_plaintext (n, 5);
  GByteArray *a, *b;
  ReadResult res;

  setup_keys ();
  a = write_clip (test_key, cs, plain, n);
  b = write_clip (test_key, cs, plain, n);
  fail_unless_equals_int (a->len, b->len);
  fail_if (memcmp (a->data, b->data, a->len) == 0);

  memcpy (a->data, b->data, HDR);
  res = read_clip (test_key, a->data, a->len, 0, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_AUTH);
  fail_unless_equals_uint64 (res.chunks, 0);
  fail_unless_equals_int (res.out->len, 0);
  read_result_clear (&res);

  g_byte_array_unref (a);
  g_byte_array_unref (b);
  g_free (plain);
}

GST_END_TEST;

/* A cut at every byte: prefix mode delivers exactly the complete chunks
 * before the cut; strict mode delivers the same and then says truncated. */
GST_START_TEST (test_prefix_recovery)
{
  const gsize cs = 50;
  guint8 *plain = make_plaintext (400, 11);
  GByteArray *file = g_byte_array_new ();
  SeecitvClipWriter *w;
  GError *err = NULL;
  GArray *offs;
  gsize cut;

  setup_keys ();
  w = seecitv_clip_writer_new (test_key, &test_ids, cs, append_to_array,
      file, &err);
  /* Flushed short chunks, as at sync intervals. */
  fail_unless (seecitv_clip_writer_append (w, plain, 30, &err));
  fail_unless (seecitv_clip_writer_flush (w, &err));
  fail_unless (seecitv_clip_writer_append (w, plain + 30, 170, &err));
  fail_unless (seecitv_clip_writer_flush (w, &err));
  fail_unless (seecitv_clip_writer_append (w, plain + 200, 200, &err));
  fail_unless (seecitv_clip_writer_finish (w, &err));
  g_assert_no_error (err);
  seecitv_clip_writer_free (w);
  offs = chunk_offsets (file);

  for (cut = 0; cut <= file->len; cut++) {
    ReadResult strict, prefix;
    gsize expect = 0;
    guint i;

    /* Plaintext of the chunks that end at or before the cut. */
    for (i = 0; i < offs->len; i++) {
      gsize start = g_array_index (offs, gsize, i);
      gsize end = i + 1 < offs->len ? g_array_index (offs, gsize, i + 1) :
          file->len;

      if (end <= cut)
        expect += end - start - OVH;
    }

    prefix = read_clip (test_key, file->data, cut, 13,
        SEECITV_CLIP_READER_ALLOW_PREFIX);
    g_assert_no_error (prefix.error);
    fail_unless_equals_int (prefix.end, cut == file->len ?
        SEECITV_CLIP_END_COMPLETE : SEECITV_CLIP_END_PREFIX);
    fail_unless_equals_uint64 (prefix.out->len, expect);
    fail_unless (starts_with (prefix.out->data, plain, expect));

    /* A cut inside the header (even inside the magic) is a truncation. */
    strict = read_clip (test_key, file->data, cut, 0, 0);
    if (cut == file->len)
      g_assert_no_error (strict.error);
    else
      g_assert_error (strict.error, SEECITV_CLIP_ERROR,
          SEECITV_CLIP_ERROR_TRUNCATED);
    fail_unless_equals_uint64 (strict.out->len, expect);

    read_result_clear (&prefix);
    read_result_clear (&strict);
  }
  g_array_unref (offs);
  g_byte_array_unref (file);
  g_free (plain);
}

GST_END_TEST;

GST_START_TEST (test_wrong_key)
{
  guint8 *plain = make_plaintext (1000, 1);
  guint8 other[SEECITV_CLIP_KEY_SIZE];
  GByteArray *file;
  ReadResult res;

  setup_keys ();
  memcpy (other, test_key, sizeof (other));
  other[31] ^= 1;
  file = write_clip (test_key, 128, plain, 1000);

  res = read_clip (other, file->data, file->len, 0, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_WRONG_KEY);
  fail_unless_equals_int (res.out->len, 0);
  read_result_clear (&res);

  /* Recovery mode does not turn a wrong key into an empty prefix. */
  res = read_clip (other, file->data, file->len, 0,
      SEECITV_CLIP_READER_ALLOW_PREFIX);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_WRONG_KEY);
  read_result_clear (&res);

  g_byte_array_unref (file);
  g_free (plain);
}

GST_END_TEST;

GST_START_TEST (test_header_errors)
{
  GByteArray *file;
  guint8 *copy;
  ReadResult res;
  SeecitvClipHeader h;
  GError *err = NULL;
  const guint8 mkv[] = { 0x1a, 0x45, 0xdf, 0xa3, 0x01, 0x00 };

  setup_keys ();
  file = write_clip (test_key, 16, (const guint8 *) "0123456789", 10);

  /* Not a clip: refused at the first byte, whatever follows. */
  res = read_clip (test_key, mkv, sizeof (mkv), 1, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_BAD_MAGIC);
  read_result_clear (&res);
  res = read_clip (test_key, mkv, 1, 0, SEECITV_CLIP_READER_ALLOW_PREFIX);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_BAD_MAGIC);
  read_result_clear (&res);

  copy = g_memdup2 (file->data, file->len);
  copy[9] = 2;
  res = read_clip (test_key, copy, file->len, 0, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR,
      SEECITV_CLIP_ERROR_UNSUPPORTED_VERSION);
  read_result_clear (&res);
  fail_if (seecitv_clip_header_parse (copy, file->len, &h, &err));
  g_assert_error (err, SEECITV_CLIP_ERROR,
      SEECITV_CLIP_ERROR_UNSUPPORTED_VERSION);
  g_clear_error (&err);
  g_free (copy);

  /* Chunk sizes outside 1 .. 4 MiB. */
  copy = g_memdup2 (file->data, file->len);
  write_be32 (copy + 12, 0);
  fail_if (seecitv_clip_header_parse (copy, file->len, &h, &err));
  g_assert_error (err, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_CORRUPT);
  g_clear_error (&err);
  write_be32 (copy + 12, SEECITV_CLIP_MAX_CHUNK_SIZE + 1);
  fail_if (seecitv_clip_header_parse (copy, file->len, &h, &err));
  g_assert_error (err, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_CORRUPT);
  g_clear_error (&err);
  g_free (copy);

  /* A short header. */
  fail_if (seecitv_clip_header_parse (file->data, HDR - 1, &h, &err));
  g_assert_error (err, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_TRUNCATED);
  g_clear_error (&err);

  fail_unless (seecitv_clip_header_parse (file->data, file->len, &h, &err));
  fail_unless_equals_int (h.version, 1);
  fail_unless_equals_int (h.chunk_size, 16);
  fail_unless (memcmp (&h.ids, &test_ids, sizeof (test_ids)) == 0);

  /* Bytes after the final chunk. */
  g_byte_array_append (file, (const guint8 *) "x", 1);
  res = read_clip (test_key, file->data, file->len, 0, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR,
      SEECITV_CLIP_ERROR_TRAILING_DATA);
  fail_unless_equals_int (res.out->len, 10);
  read_result_clear (&res);

  g_byte_array_unref (file);
}

GST_END_TEST;

/* Seals one chunk by hand, straight from docs/clip-format.md, with EVP. */
static void
seal_chunk (GByteArray * file, const guint8 * header, guint32 index,
    gboolean final, const guint8 * data, gsize len)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  guint8 nonce[12], word[4], tag[16];
  guint8 *ct = g_malloc (len + 1);
  int outl;

  memcpy (nonce, header + 64, 7);
  write_be32 (nonce + 7, index);
  nonce[11] = final ? 1 : 0;
  write_be32 (word, (guint32) len | (final ? 0x80000000u : 0));
  fail_unless (EVP_EncryptInit_ex2 (ctx, EVP_aes_256_gcm (), test_key, nonce,
          NULL) == 1);
  fail_unless (EVP_EncryptUpdate (ctx, NULL, &outl, header, HDR) == 1);
  if (len > 0)
    fail_unless (EVP_EncryptUpdate (ctx, ct, &outl, data, len) == 1);
  fail_unless (EVP_EncryptFinal_ex (ctx, ct + len, &outl) == 1);
  fail_unless (EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1);
  g_byte_array_append (file, word, 4);
  g_byte_array_append (file, ct, len);
  g_byte_array_append (file, tag, 16);
  EVP_CIPHER_CTX_free (ctx);
  g_free (ct);
}

/* An empty non-final chunk, correctly sealed, is still refused: the writer
 * never makes one, so it can only be a forgery attempt or a bug. The
 * control, the same chunk with one byte, reads fine (so the hand-made
 * sealing is right, and the reader agrees with the document). */
GST_START_TEST (test_empty_non_final_chunk)
{
  GByteArray *empty, *file;
  ReadResult res;

  setup_keys ();
  empty = write_clip (test_key, 16, NULL, 0);
  file = g_byte_array_new ();
  g_byte_array_append (file, empty->data, HDR);
  seal_chunk (file, empty->data, 0, FALSE, (const guint8 *) "x", 1);
  seal_chunk (file, empty->data, 1, TRUE, (const guint8 *) "yz", 2);
  res = read_clip (test_key, file->data, file->len, 0, 0);
  g_assert_no_error (res.error);
  fail_unless_equals_int (res.out->len, 3);
  fail_unless (memcmp (res.out->data, "xyz", 3) == 0);
  read_result_clear (&res);
  g_byte_array_unref (file);

  file = g_byte_array_new ();
  g_byte_array_append (file, empty->data, HDR);
  seal_chunk (file, empty->data, 0, FALSE, NULL, 0);
  seal_chunk (file, empty->data, 1, TRUE, (const guint8 *) "yz", 2);
  res = read_clip (test_key, file->data, file->len, 0, 0);
  g_assert_error (res.error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_CORRUPT);
  fail_unless_equals_uint64 (res.chunks, 0);
  read_result_clear (&res);
  g_byte_array_unref (file);

  g_byte_array_unref (empty);
}

GST_END_TEST;

typedef struct
{
  GByteArray *file;
  guint calls_left;
} FailingSink;

static gboolean
failing_write (const guint8 * data, gsize len, gpointer user_data,
    GError ** error)
{
  FailingSink *s = user_data;

  if (s->calls_left == 0) {
    g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "full");
    return FALSE;
  }
  s->calls_left--;
  g_byte_array_append (s->file, data, len);
  return TRUE;
}

GST_START_TEST (test_write_failure)
{
  guint8 *plain = make_plaintext (1000, 9);
  FailingSink sink = { g_byte_array_new (), 3 };        /* header + 2 chunks */
  SeecitvClipWriter *w;
  GError *err = NULL;
  ReadResult res;

  setup_keys ();
  w = seecitv_clip_writer_new (test_key, &test_ids, 100, failing_write,
      &sink, &err);
  g_assert_no_error (err);
  fail_if (seecitv_clip_writer_append (w, plain, 1000, &err));
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
  g_clear_error (&err);
  /* Unusable from now on. */
  fail_if (seecitv_clip_writer_flush (w, &err));
  g_assert_error (err, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_FAILED);
  g_clear_error (&err);
  seecitv_clip_writer_free (w);

  res = read_clip (test_key, sink.file->data, sink.file->len, 0,
      SEECITV_CLIP_READER_ALLOW_PREFIX);
  g_assert_no_error (res.error);
  fail_unless_equals_int (res.end, SEECITV_CLIP_END_PREFIX);
  fail_unless_equals_int (res.out->len, 200);
  read_result_clear (&res);

  /* Failing on the header: no writer at all. */
  sink.calls_left = 0;
  w = seecitv_clip_writer_new (test_key, &test_ids, 100, failing_write,
      &sink, &err);
  fail_unless (w == NULL);
  g_assert_error (err, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
  g_clear_error (&err);

  g_byte_array_unref (sink.file);
  g_free (plain);
}

GST_END_TEST;

GST_START_TEST (test_fd_and_verify_only)
{
  guint8 *plain = make_plaintext (300000, 4);
  gchar *path = NULL;
  gchar *contents;
  gsize len;
  SeecitvClipWriter *w;
  SeecitvClipReader *r;
  GError *err = NULL;
  SeecitvClipEnd end;
  int fd;

  setup_keys ();
  fd = g_file_open_tmp ("seecitv-clip-XXXXXX", &path, &err);
  g_assert_no_error (err);
  w = seecitv_clip_writer_new_for_fd (test_key, &test_ids, 0, fd, &err);
  g_assert_no_error (err);
  fail_unless (seecitv_clip_writer_append (w, plain, 300000, &err));
  fail_unless (seecitv_clip_writer_finish (w, &err));
  seecitv_clip_writer_free (w);
  close (fd);

  fail_unless (g_file_get_contents (path, &contents, &len, &err));
  fail_unless_equals_uint64 (len, HDR + 300000 + 5 * OVH);

  /* No output array: verification only. */
  r = seecitv_clip_reader_new_with_key (test_key, 0);
  fail_unless (seecitv_clip_reader_push (r, (const guint8 *) contents, len,
          NULL, &err));
  fail_unless (seecitv_clip_reader_finish (r, &end, &err));
  g_assert_no_error (err);
  fail_unless_equals_uint64 (seecitv_clip_reader_get_bytes_verified (r),
      300000);
  seecitv_clip_reader_free (r);

  /* A failed reader refuses everything after. */
  contents[len - 1] ^= 1;
  r = seecitv_clip_reader_new_with_key (test_key, 0);
  fail_if (seecitv_clip_reader_push (r, (const guint8 *) contents, len,
          NULL, &err));
  g_assert_error (err, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_AUTH);
  g_clear_error (&err);
  fail_if (seecitv_clip_reader_push (r, (const guint8 *) "", 0, NULL, &err));
  g_assert_error (err, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_FAILED);
  g_clear_error (&err);
  fail_if (seecitv_clip_reader_finish (r, &end, &err));
  g_assert_error (err, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_FAILED);
  g_clear_error (&err);
  seecitv_clip_reader_free (r);

  g_unlink (path);
  g_free (path);
  g_free (contents);
  g_free (plain);
}

GST_END_TEST;

/* ---- the published test vector ---- */

static const gchar vector_plaintext[] =
    "The seecitv clip format, test vector 1\n";

static const gchar vector_hex[] =
    "8953435456434c0a0001000000000010101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "a0a1a2a3a4a5a600f9f053162c0a525ed8a99b5dfb445773000000105eb97989"
    "e531205e0557b2a0fa6c3f1b804a9b1908595a8e294e98e6eec5eb7a00000010"
    "718478b5e05d82a3c0f9db07b902d8556ca15aa50ca42e5f22754441b3fe9eeb"
    "8000000782d9ee9cd6df153d7516ac71139abad60b1030e2ab3e94";

static gchar *
to_hex (const guint8 * data, gsize len)
{
  GString *s = g_string_new (NULL);
  gsize i;

  for (i = 0; i < len; i++)
    g_string_append_printf (s, "%02x", data[i]);
  return g_string_free (s, FALSE);
}

/* The hex digits between the markers of docs/clip-format.md. */
static gchar *
doc_vector_hex (const gchar * begin_marker)
{
  gchar *doc = NULL, *start, *end;
  GString *hex = g_string_new (NULL);
  GError *err = NULL;
  gchar **lines;
  guint i;

  fail_unless (g_file_get_contents (SEECITV_CLIP_FORMAT_DOC, &doc, NULL,
          &err), "%s", err ? err->message : "");
  start = strstr (doc, begin_marker);
  fail_unless (start != NULL, "no %s in the document", begin_marker);
  end = strstr (start, "<!-- end -->");
  fail_unless (end != NULL);
  *end = '\0';
  lines = g_strsplit (start + strlen (begin_marker), "\n", -1);
  for (i = 0; lines[i]; i++) {
    gchar *l = g_strstrip (lines[i]);
    guint j;

    if (g_str_has_prefix (l, "```"))
      continue;
    for (j = 0; l[j]; j++)
      if (g_ascii_isxdigit (l[j]))
        g_string_append_c (hex, l[j]);
  }
  g_strfreev (lines);
  g_free (doc);
  return g_string_free (hex, FALSE);
}

static const guint8 vector_nonce_prefix[] = {
  0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6
};

GST_START_TEST (test_vector)
{
  GByteArray *file = g_byte_array_new ();
  SeecitvClipWriter *w;
  GError *err = NULL;
  gchar *hex, *doc_hex;
  ReadResult res;

  setup_keys ();
  fail_unless_equals_int (strlen (vector_plaintext), 39);
  w = seecitv_clip_writer_new_with_nonce_prefix (test_key, &test_ids,
      vector_nonce_prefix, 16, append_to_array, file, &err);
  g_assert_no_error (err);
  /* 16 + 16 + final 7 */
  fail_unless (seecitv_clip_writer_append (w,
          (const guint8 *) vector_plaintext, 39, &err));
  fail_unless (seecitv_clip_writer_finish (w, &err));
  seecitv_clip_writer_free (w);

  hex = to_hex (file->data, file->len);
  if (g_getenv ("SEECITV_PRINT_TEST_VECTOR"))
    g_print ("%s\n", hex);
  fail_unless_equals_string (hex, vector_hex);

  doc_hex = doc_vector_hex ("<!-- test vector: clip -->");
  fail_unless_equals_string (doc_hex, vector_hex);
  g_free (doc_hex);

  doc_hex = doc_vector_hex ("<!-- test vector: plaintext -->");
  g_free (hex);
  hex = to_hex ((const guint8 *) vector_plaintext, 39);
  fail_unless_equals_string (doc_hex, hex);
  g_free (doc_hex);
  g_free (hex);

  res = read_clip (test_key, file->data, file->len, 0, 0);
  g_assert_no_error (res.error);
  fail_unless_equals_int (res.out->len, 39);
  fail_unless (memcmp (res.out->data, vector_plaintext, 39) == 0);
  read_result_clear (&res);
  g_byte_array_unref (file);
}

GST_END_TEST;

/* The writer encrypts appended bytes as they come (no plaintext kept): the
 * vector must come out the same however the plaintext is split. */
GST_START_TEST (test_vector_pieces)
{
  gsize piece;

  setup_keys ();
  for (piece = 1; piece <= 39; piece++) {
    GByteArray *file = g_byte_array_new ();
    SeecitvClipWriter *w;
    GError *err = NULL;
    gchar *hex;
    gsize off;

    w = seecitv_clip_writer_new_with_nonce_prefix (test_key, &test_ids,
        vector_nonce_prefix, 16, append_to_array, file, &err);
    g_assert_no_error (err);
    for (off = 0; off < 39; off += piece)
      fail_unless (seecitv_clip_writer_append (w,
              (const guint8 *) vector_plaintext + off, MIN (piece, 39 - off),
              &err));
    fail_unless (seecitv_clip_writer_finish (w, &err));
    g_assert_no_error (err);
    seecitv_clip_writer_free (w);
    hex = to_hex (file->data, file->len);
    fail_unless_equals_string (hex, vector_hex);
    g_free (hex);
    g_byte_array_unref (file);
  }
}

GST_END_TEST;

static Suite *
clip_suite (void)
{
  Suite *s = suite_create ("clip");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_round_trip_sizes);
  tcase_add_test (tc, test_split_feeding);
  tcase_add_test (tc, test_flush);
  tcase_add_test (tc, test_tamper_every_byte);
  tcase_add_test (tc, test_reorder_drop);
  tcase_add_test (tc, test_splice_between_clips);
  tcase_add_test (tc, test_prefix_recovery);
  tcase_add_test (tc, test_wrong_key);
  tcase_add_test (tc, test_header_errors);
  tcase_add_test (tc, test_empty_non_final_chunk);
  tcase_add_test (tc, test_write_failure);
  tcase_add_test (tc, test_fd_and_verify_only);
  tcase_add_test (tc, test_vector);
  tcase_add_test (tc, test_vector_pieces);
  return s;
}

GST_CHECK_MAIN (clip);
