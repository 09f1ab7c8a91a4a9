/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the multipart/x-mixed-replace parser and the Content-Type
 * boundary helper (gst-libs/seecitv/multipart.c). Nearly every stream is run
 * through run_all_splits (), which feeds it whole, one byte at a time, cut in
 * two at every position (short streams) and in random pieces, and fails
 * unless every split gives the same parts and the same error. Samples shaped
 * like what motion, ffmpeg's mpjpeg muxer and mjpg-streamer send are written
 * here from their documented formats. Errors are checked by domain and code,
 * never by wording. The fuzz target (tests/fuzz/fuzz-multipart.c) covers
 * the inputs nobody thought of.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <seecitv/multipart.h>

#include <string.h>

#define NONE G_MAXUINT64

/* What a parse produced: the parts in order, then the error if any. */
typedef struct
{
  GPtrArray *parts;             /* of SeecitvMultipartPart */
  GError *error;
} Result;

typedef struct
{
  gsize max_part_size;          /* 0: default */
  gsize max_header_size;        /* 0: default */
} Limits;

static void
result_free (Result * r)
{
  g_ptr_array_unref (r->parts);
  g_clear_error (&r->error);
  g_free (r);
}

static SeecitvMultipartParser *
new_parser (const gchar * boundary, const Limits * limits)
{
  GError *err = NULL;
  SeecitvMultipartParser *p = seecitv_multipart_parser_new (boundary, &err);

  if (p == NULL)
    fail ("boundary '%s' refused: %s", boundary, err->message);
  if (limits != NULL && limits->max_part_size > 0)
    seecitv_multipart_parser_set_max_part_size (p, limits->max_part_size);
  if (limits != NULL && limits->max_header_size > 0)
    seecitv_multipart_parser_set_max_header_size (p, limits->max_header_size);
  return p;
}

static gboolean
feed_str (SeecitvMultipartParser * p, const gchar * s, GError ** error)
{
  return seecitv_multipart_parser_feed (p, (const guint8 *) s, strlen (s),
      error);
}

static void
drain (SeecitvMultipartParser * p, Result * r)
{
  SeecitvMultipartPart *part;

  while ((part = seecitv_multipart_parser_pop (p)) != NULL)
    g_ptr_array_add (r->parts, part);
}

/* Feeds @data cut at @cuts (increasing offsets, the last one is @len). */
static Result *
run_cuts (const gchar * boundary, const Limits * limits, const guint8 * data,
    gsize len, const gsize * cuts, guint n_cuts)
{
  SeecitvMultipartParser *p = new_parser (boundary, limits);
  Result *r = g_new0 (Result, 1);
  gsize from = 0;
  guint i;

  r->parts = g_ptr_array_new_with_free_func ((GDestroyNotify)
      seecitv_multipart_part_free);
  for (i = 0; i < n_cuts; i++) {
    gboolean ok;

    fail_unless (cuts[i] >= from && cuts[i] <= len);
    ok = seecitv_multipart_parser_feed (p, data + from, cuts[i] - from,
        &r->error);
    fail_unless (ok == (r->error == NULL));
    drain (p, r);
    from = cuts[i];
    if (!ok)
      break;
  }
  seecitv_multipart_parser_free (p);
  return r;
}

static Result *
run_whole (const gchar * boundary, const Limits * limits, const guint8 * data,
    gsize len)
{
  return run_cuts (boundary, limits, data, len, &len, 1);
}

static Result *
run_bytewise (const gchar * boundary, const Limits * limits,
    const guint8 * data, gsize len)
{
  gsize *cuts = g_new (gsize, len + 1);
  Result *r;
  gsize i;

  for (i = 0; i < len; i++)
    cuts[i] = i + 1;
  cuts[len] = len;
  r = run_cuts (boundary, limits, data, len, cuts, len + 1);
  g_free (cuts);
  return r;
}

static Result *
run_random (const gchar * boundary, const Limits * limits,
    const guint8 * data, gsize len, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);
  GArray *cuts = g_array_new (FALSE, FALSE, sizeof (gsize));
  gsize at = 0;
  Result *r;

  while (at < len) {
    /* mostly short pieces, sometimes long ones */
    gsize step = g_rand_boolean (rand) ? g_rand_int_range (rand, 0, 8) :
        g_rand_int_range (rand, 1, 600);

    at = MIN (len, at + step);
    g_array_append_val (cuts, at);
  }
  g_array_append_val (cuts, len);
  r = run_cuts (boundary, limits, data, len, (gsize *) cuts->data, cuts->len);
  g_array_free (cuts, TRUE);
  g_rand_free (rand);
  return r;
}

static void
assert_same (const Result * a, const Result * b, const gchar * how)
{
  guint i;

  if (a->parts->len != b->parts->len)
    fail ("%s: %u parts instead of %u", how, b->parts->len, a->parts->len);
  for (i = 0; i < a->parts->len; i++) {
    SeecitvMultipartPart *x = g_ptr_array_index (a->parts, i);
    SeecitvMultipartPart *y = g_ptr_array_index (b->parts, i);

    if (!g_bytes_equal (x->payload, y->payload))
      fail ("%s: part %u payload differs", how, i);
    fail_unless_equals_string (x->content_type, y->content_type);
    fail_unless_equals_uint64 (x->content_length, y->content_length);
    fail_unless_equals_uint64 (x->timestamp, y->timestamp);
    fail_unless_equals_int (x->timestamp_source, y->timestamp_source);
    fail_unless_equals_uint64 (x->junk_bytes, y->junk_bytes);
    fail_unless_equals_uint64 (x->offset, y->offset);
  }
  if ((a->error == NULL) != (b->error == NULL))
    fail ("%s: error %s instead of %s", how,
        b->error ? b->error->message : "none",
        a->error ? a->error->message : "none");
  if (a->error != NULL) {
    fail_unless (b->error->domain == a->error->domain);
    if (a->error->code != b->error->code)
      fail ("%s: error '%s' instead of '%s'", how, b->error->message,
          a->error->message);
  }
}

/* Parses @data whole and checks that every other split gives the same.
 * Returns the whole parse. */
static Result *
run_all_splits (const gchar * boundary, const Limits * limits,
    const guint8 * data, gsize len)
{
  Result *whole = run_whole (boundary, limits, data, len);
  Result *other;
  guint32 seed;

  other = run_bytewise (boundary, limits, data, len);
  assert_same (whole, other, "one byte at a time");
  result_free (other);

  for (seed = 1; seed <= 8; seed++) {
    other = run_random (boundary, limits, data, len, seed);
    assert_same (whole, other, "random split");
    result_free (other);
  }

  if (len <= 1024) {
    gsize k;

    for (k = 0; k <= len; k++) {
      gsize cuts[2] = { k, len };

      other = run_cuts (boundary, limits, data, len, cuts, 2);
      assert_same (whole, other, "cut in two");
      result_free (other);
    }
  }
  return whole;
}

static Result *
run_str (const gchar * boundary, const Limits * limits, const gchar * s)
{
  return run_all_splits (boundary, limits, (const guint8 *) s, strlen (s));
}

static SeecitvMultipartPart *
part_at (Result * r, guint i)
{
  fail_unless (i < r->parts->len);
  return g_ptr_array_index (r->parts, i);
}

static void
assert_payload (Result * r, guint i, const void *data, gsize len)
{
  SeecitvMultipartPart *part = part_at (r, i);
  gsize n;
  const guint8 *d = g_bytes_get_data (part->payload, &n);

  if (n != len || (len > 0 && memcmp (d, data, len) != 0))
    fail ("part %u: payload of %" G_GSIZE_FORMAT " bytes differs from the "
        "%" G_GSIZE_FORMAT " expected", i, n, len);
}

static void
assert_payload_str (Result * r, guint i, const gchar * s)
{
  assert_payload (r, i, s, strlen (s));
}

static void
assert_ok (Result * r, guint n_parts)
{
  if (r->error != NULL)
    fail ("unexpected error: %s", r->error->message);
  fail_unless_equals_int (r->parts->len, n_parts);
}

static void
assert_error (Result * r, guint n_parts, SeecitvMultipartError code)
{
  fail_unless (r->error != NULL, "no error");
  fail_unless (r->error->domain == SEECITV_MULTIPART_ERROR);
  if (r->error->code != (gint) code)
    fail ("error code %d instead of %d: %s", r->error->code, code,
        r->error->message);
  fail_unless_equals_int (r->parts->len, n_parts);
}

/* A fake JPEG of @len bytes: SOI, bytes that trip naive scanners (CRLF,
 * dashes, a boundary prefix), EOI. Never contains a full line
 * "--<anything>". */
static GBytes *
fake_jpeg (gsize len, guint seed)
{
  static const guint8 tricky[] = "\r\n-\r\n--\n-x--b\r\r\n\n\n-";
  guint8 *d = g_malloc (len);
  GRand *rand = g_rand_new_with_seed (seed);
  gsize i;

  g_assert (len >= 4);
  for (i = 0; i < len; i++) {
    guint8 c = g_rand_int_range (rand, 0, 256);

    /* a '-' after a '\n' could start a delimiter line: avoid it */
    if (c == '-' && i > 0 && d[i - 1] == '\n')
      c = 'x';
    d[i] = c;
  }
  for (i = 0; i + sizeof (tricky) < len && i < 40; i += sizeof (tricky))
    memcpy (d + 2 + i, tricky, MIN (sizeof (tricky) - 1, len - 4 - i));
  d[0] = 0xff;
  d[1] = 0xd8;
  d[len - 2] = 0xff;
  d[len - 1] = 0xd9;
  g_rand_free (rand);
  return g_bytes_new_take (d, len);
}

static void
append_bytes (GByteArray * a, GBytes * b)
{
  gsize n;
  const guint8 *d = g_bytes_get_data (b, &n);

  g_byte_array_append (a, d, n);
}

static void
append_str (GByteArray * a, const gchar * s)
{
  g_byte_array_append (a, (const guint8 *) s, strlen (s));
}

static void
append_printf (GByteArray * a, const gchar * format, ...) G_GNUC_PRINTF (2, 3);

static void
append_printf (GByteArray * a, const gchar * format, ...)
{
  va_list args;
  gchar *s;

  va_start (args, format);
  s = g_strdup_vprintf (format, args);
  va_end (args);
  append_str (a, s);
  g_free (s);
}

/* Content-Type */

static gchar *
boundary_ok (const gchar * ct)
{
  GError *err = NULL;
  gchar *b = seecitv_multipart_boundary_from_content_type (ct, &err);

  if (b == NULL)
    fail ("'%s' refused: %s", ct, err->message);
  fail_unless (err == NULL);
  return b;
}

static void
assert_boundary (const gchar * ct, const gchar * expected)
{
  gchar *b = boundary_ok (ct);

  fail_unless_equals_string (b, expected);
  g_free (b);
}

static void
assert_boundary_error (const gchar * ct)
{
  GError *err = NULL;
  gchar *b = seecitv_multipart_boundary_from_content_type (ct, &err);

  if (b != NULL)
    fail ("'%s' accepted as '%s'", ct, b);
  fail_unless (err != NULL);
  fail_unless (err->domain == SEECITV_MULTIPART_ERROR);
  fail_unless_equals_int (err->code, SEECITV_MULTIPART_ERROR_CONTENT_TYPE);
  g_error_free (err);
}

GST_START_TEST (test_boundary_from_content_type)
{
  gchar *long_ok, *long_bad, *ct;

  /* as real servers send them */
  assert_boundary ("multipart/x-mixed-replace;boundary=ffmpeg", "ffmpeg");
  assert_boundary ("multipart/x-mixed-replace; boundary=BoundaryString",
      "BoundaryString");
  assert_boundary ("multipart/x-mixed-replace;boundary=boundarydonotcross",
      "boundarydonotcross");
  assert_boundary ("multipart/x-mixed-replace;boundary=--myboundary",
      "--myboundary");
  assert_boundary ("multipart/x-mixed-replace; boundary=\"quoted b\"",
      "quoted b");
  /* case, spaces, other parameters, other subtypes */
  assert_boundary ("Multipart/X-Mixed-Replace; BOUNDARY=abc", "abc");
  assert_boundary ("  multipart/x-mixed-replace ;  boundary = abc  ", "abc");
  assert_boundary ("multipart/x-mixed-replace;charset=utf-8;boundary=abc;x=y",
      "abc");
  assert_boundary ("multipart/x-mixed-replace;x=\"a;b\";boundary=abc", "abc");
  assert_boundary ("multipart/mixed; boundary=abc", "abc");
  assert_boundary ("multipart/x-mixed-replace;;flag; boundary=abc;", "abc");
  assert_boundary ("multipart/x-mixed-replace;boundary=\"a\\\"b\\\\c\"",
      "a\"b\\c");
  assert_boundary ("multipart/x-mixed-replace;boundary=\"a;b\" ; x=1",
      "a;b");
  assert_boundary ("multipart/x-mixed-replace;boundary=a=b:c/d", "a=b:c/d");
  assert_boundary ("multipart/x-mixed-replace;boundary=-x", "-x");

  long_ok = g_strnfill (SEECITV_MULTIPART_MAX_BOUNDARY_LEN, 'b');
  ct = g_strconcat ("multipart/x-mixed-replace;boundary=", long_ok, NULL);
  assert_boundary (ct, long_ok);
  g_free (ct);
  long_bad = g_strnfill (SEECITV_MULTIPART_MAX_BOUNDARY_LEN + 1, 'b');
  ct = g_strconcat ("multipart/x-mixed-replace;boundary=", long_bad, NULL);
  assert_boundary_error (ct);
  g_free (ct);
  g_free (long_ok);
  g_free (long_bad);

  assert_boundary_error ("");
  assert_boundary_error ("image/jpeg");
  assert_boundary_error ("multipart");
  assert_boundary_error ("multipart/");
  assert_boundary_error ("multipartx/mixed;boundary=a");
  assert_boundary_error ("text/multipart;boundary=a");
  assert_boundary_error ("multipart/x-mixed-replace");
  assert_boundary_error ("multipart/x-mixed-replace;");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=\"\"");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=--");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=\"----\"");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=\"abc");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=\"abc\\");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=\"abc\"x");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=ab\"c");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=a;boundary=b");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=a\tb\x01");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=\"a\r\nb\"");
  assert_boundary_error ("multipart/x-mixed-replace;boundary=caf\xc3\xa9");
  assert_boundary_error ("multipart/x-mixed-replace boundary=a");
}

GST_END_TEST;

GST_START_TEST (test_new_refuses_bad_boundary)
{
  GError *err = NULL;
  SeecitvMultipartParser *p;
  gchar *long_bad = g_strnfill (SEECITV_MULTIPART_MAX_BOUNDARY_LEN + 1, 'b');
  const gchar *bad[] = { "", "--", "a\r\nb", "\x7f", long_bad };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    p = seecitv_multipart_parser_new (bad[i], &err);
    fail_unless (p == NULL);
    fail_unless (g_error_matches (err, SEECITV_MULTIPART_ERROR,
            SEECITV_MULTIPART_ERROR_CONTENT_TYPE));
    g_clear_error (&err);
  }
  g_free (long_bad);

  p = seecitv_multipart_parser_new ("ok", &err);
  fail_unless (p != NULL);
  fail_if (seecitv_multipart_parser_set_boundary (p, "--", &err));
  fail_unless (g_error_matches (err, SEECITV_MULTIPART_ERROR,
          SEECITV_MULTIPART_ERROR_CONTENT_TYPE));
  g_clear_error (&err);
  seecitv_multipart_parser_free (p);
}

GST_END_TEST;

/* Framing */

GST_START_TEST (test_content_length)
{
  Result *r;

  /* the second payload holds a delimiter line: with Content-Length it is
   * never scanned, so it is payload */
  r = run_str ("b", NULL,
      "--b\r\n"
      "Content-Type: image/jpeg\r\n"
      "Content-Length: 5\r\n"
      "\r\n"
      "hello\r\n"
      "--b\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Length: 11\r\n"
      "\r\n"
      "a\r\n--b\r\nxyz\r\n"
      "--b\r\n"
      "Content-Length: 0\r\n"
      "\r\n" "\r\n" "--b\r\n");
  assert_ok (r, 3);
  assert_payload_str (r, 0, "hello");
  fail_unless_equals_string (part_at (r, 0)->content_type, "image/jpeg");
  fail_unless_equals_uint64 (part_at (r, 0)->content_length, 5);
  fail_unless_equals_uint64 (part_at (r, 0)->timestamp, NONE);
  fail_unless_equals_int (part_at (r, 0)->timestamp_source,
      SEECITV_MULTIPART_TIMESTAMP_NONE);
  fail_unless_equals_uint64 (part_at (r, 0)->junk_bytes, 0);
  fail_unless_equals_uint64 (part_at (r, 0)->offset, 5 + 26 + 19 + 2);
  assert_payload_str (r, 1, "a\r\n--b\r\nxyz");
  fail_unless_equals_string (part_at (r, 1)->content_type, "text/plain");
  assert_payload_str (r, 2, "");
  fail_unless (part_at (r, 2)->content_type == NULL);
  fail_unless_equals_uint64 (part_at (r, 2)->content_length, 0);
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_scan)
{
  Result *r;

  r = run_str ("b", NULL,
      "--b\r\n"
      "Content-Type: image/jpeg\r\n"
      "\r\n"
      "hel\r\nlo\r\n--bb\r\n-- b\r\n--\r\n"
      "--b\r\n"
      "\r\n"
      "\r\n"
      "--b\r\n"
      "\r\n"
      "x\n"
      "--b\r\n" "\r\n" "tail\r\r\n" "--b--\r\n");
  assert_ok (r, 4);
  assert_payload_str (r, 0, "hel\r\nlo\r\n--bb\r\n-- b\r\n--");
  fail_unless_equals_string (part_at (r, 0)->content_type, "image/jpeg");
  fail_unless_equals_uint64 (part_at (r, 0)->content_length, NONE);
  /* an empty payload: the line break before the delimiter is not payload */
  assert_payload_str (r, 1, "");
  fail_unless (part_at (r, 1)->content_type == NULL);
  assert_payload_str (r, 2, "x");
  assert_payload_str (r, 3, "tail\r");
  result_free (r);

  /* a delimiter right after the blank line, without a line break */
  r = run_str ("b", NULL, "--b\r\n\r\n--b\r\n\r\nz\r\n--b\r\n");
  assert_ok (r, 2);
  assert_payload_str (r, 0, "");
  assert_payload_str (r, 1, "z");
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_mixed_framing)
{
  Result *r;

  r = run_str ("mix", NULL,
      "--mix\r\nContent-Length: 3\r\n\r\nabc\r\n"
      "--mix\r\n\r\ndef\r\n"
      "--mix\r\nContent-Length: 3\r\n\r\nghi"
      "--mix\r\n\r\njkl\r\n" "--mix\r\n");
  assert_ok (r, 4);
  assert_payload_str (r, 0, "abc");
  assert_payload_str (r, 1, "def");
  assert_payload_str (r, 2, "ghi");
  assert_payload_str (r, 3, "jkl");
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_lf_only)
{
  Result *r;

  r = run_str ("--cheapcam", NULL,
      "--cheapcam\n"
      "Content-Type: image/jpeg\n"
      "\n"
      "one\n"
      "--cheapcam\n"
      "Content-Type: image/jpeg\n"
      "Content-Length: 3\n"
      "\n" "two\n" "--cheapcam\n" "Content-type: image/jpeg\n" "\n"
      "three\r\n" "--cheapcam\r\n" "\n" "four\n" "--cheapcam\n");
  assert_ok (r, 4);
  assert_payload_str (r, 0, "one");
  assert_payload_str (r, 1, "two");
  assert_payload_str (r, 2, "three");
  assert_payload_str (r, 3, "four");
  fail_unless_equals_string (part_at (r, 2)->content_type, "image/jpeg");
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_missing_crlf_after_payload)
{
  Result *r;

  r = run_str ("b", NULL,
      "--b\r\nContent-Length: 2\r\n\r\nAB--b\r\nContent-Length: 2\r\n\r\nCD"
      "\r\n\r\n\n\r\n--b\r\nContent-Length: 2\r\n\r\nEF");
  assert_ok (r, 3);
  assert_payload_str (r, 0, "AB");
  assert_payload_str (r, 1, "CD");
  assert_payload_str (r, 2, "EF");
  /* blank lines are no junk */
  fail_unless_equals_uint64 (part_at (r, 2)->junk_bytes, 0);
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_preamble_epilogue)
{
  SeecitvMultipartParser *p;
  SeecitvMultipartPart *part;
  GError *err = NULL;
  Result *r;
  const gchar *after = "more junk\r\n--b\r\n\r\nignored\r\n--b\r\n";
  const gchar *closing = "--b\r\n\r\nlast\r\n--b--";

  r = run_str ("b", NULL,
      "This is a preamble.\r\n"
      "--bb is not it\r\n"
      "-- b neither\r\n"
      "\r\n"
      "--b\r\n"
      "Content-Length: 1\r\n"
      "\r\n"
      "1\r\n"
      "junk between parts\r\n"
      "--b   \t \r\n"
      "\r\n"
      "2\r\n" "--b--\r\n" "epilogue\r\n" "--b\r\n\r\nnot a part\r\n--b\r\n");
  assert_ok (r, 2);
  assert_payload_str (r, 0, "1");
  fail_unless_equals_uint64 (part_at (r, 0)->junk_bytes, 21 + 16 + 14);
  assert_payload_str (r, 1, "2");
  fail_unless_equals_uint64 (part_at (r, 1)->junk_bytes, 20);
  result_free (r);

  /* the close delimiter does not wait for its line ending, and everything
   * after it is accepted and dropped */
  p = new_parser ("b", NULL);
  fail_unless (seecitv_multipart_parser_feed (p, (const guint8 *) closing,
          strlen (closing), &err));
  fail_unless (seecitv_multipart_parser_is_closed (p));
  part = seecitv_multipart_parser_pop (p);
  fail_unless (part != NULL);
  fail_unless (seecitv_multipart_parser_pop (p) == NULL);
  seecitv_multipart_part_free (part);
  fail_unless (seecitv_multipart_parser_feed (p, (const guint8 *) after,
          strlen (after), &err));
  fail_unless (seecitv_multipart_parser_pop (p) == NULL);
  fail_unless (seecitv_multipart_parser_end (p, &err));
  seecitv_multipart_parser_reset (p);
  fail_if (seecitv_multipart_parser_is_closed (p));
  seecitv_multipart_parser_free (p);

  /* a close delimiter with no part at all */
  r = run_str ("b", NULL, "\r\n--b--");
  assert_ok (r, 0);
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_leading_dashes)
{
  Result *r;

  /* boundary=--myboundary: servers use "--myboundary" (the value as is)
   * or "----myboundary" (RFC 2046), sometimes both */
  r = run_str ("--myboundary", NULL,
      "--myboundary\r\n\r\none\r\n"
      "----myboundary\r\n\r\ntwo\r\n"
      "------myboundary\r\n" "---myboundary\r\n" "--myboundary\r\n"
      "Content-Length: 5\r\n\r\nthree" "----myboundary--");
  assert_ok (r, 3);
  assert_payload_str (r, 0, "one");
  assert_payload_str (r, 1, "two\r\n------myboundary\r\n---myboundary");
  assert_payload_str (r, 2, "three");
  result_free (r);

  /* without dashes in the value, only "--" value is a delimiter */
  r = run_str ("myb", NULL,
      "myb\r\n----myb\r\n--myb\r\n\r\none\r\n----myb\r\nmyb\r\n--myb\r\n");
  assert_ok (r, 1);
  assert_payload_str (r, 0, "one\r\n----myb\r\nmyb");
  fail_unless_equals_uint64 (part_at (r, 0)->junk_bytes, 5 + 9);
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_learn_boundary)
{
  Result *r;

  /* no boundary given: the first line starting with "--" is the delimiter,
   * exactly */
  r = run_str (NULL, NULL,
      "preamble\r\n"
      "-\r\n"
      "--\r\n"
      "--learnt  \r\n"
      "\r\nA\r\n"
      "----learnt\r\n"
      "--learnt\n" "Content-Length: 1\n\nB" "--learnt--");
  assert_ok (r, 2);
  assert_payload_str (r, 0, "A\r\n----learnt");
  assert_payload_str (r, 1, "B");
  fail_unless_equals_uint64 (part_at (r, 0)->junk_bytes, 10 + 3 + 4);
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_headers)
{
  Result *r;

  r = run_str ("b", NULL,
      "--b\r\n"
      "content-TYPE :  image/jpeg ; q=1  \r\n"
      "Content-type: text/plain\r\n"
      "X-Folded: a\r\n"
      " b\r\n"
      "\t c\r\n"
      "CONTENT-LENGTH:    3\r\n"
      "Content-Length: 003\r\n"
      "X-Empty:\r\n" "X-Odd: \xc3\xa9t\xc3\xa9\r\n" "\r\n" "abc" "--b--");
  assert_ok (r, 1);
  /* the first Content-Type wins, trimmed */
  fail_unless_equals_string (part_at (r, 0)->content_type,
      "image/jpeg ; q=1");
  fail_unless_equals_uint64 (part_at (r, 0)->content_length, 3);
  assert_payload_str (r, 0, "abc");
  result_free (r);

  /* a header line of spaces ends the block like a blank line */
  r = run_str ("b", NULL, "--b\r\nContent-Length: 1\r\n  \t\r\nx--b--");
  assert_ok (r, 1);
  assert_payload_str (r, 0, "x");
  result_free (r);

  /* tabs inside a Content-Type become spaces */
  r = run_str ("b", NULL, "--b\r\nContent-Type:\timage/jpeg;\tq=1\t\r\n\r\n"
      "x\r\n--b--");
  assert_ok (r, 1);
  fail_unless_equals_string (part_at (r, 0)->content_type,
      "image/jpeg; q=1");
  result_free (r);

  /* folded Content-Length */
  r = run_str ("b", NULL, "--b\r\nContent-Length:\r\n 2\r\n\r\nxy--b--");
  assert_ok (r, 1);
  assert_payload_str (r, 0, "xy");
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_padding)
{
  Result *r;
  GString *s = g_string_new ("--b\r\n\r\none\r\n--b");
  guint i;

  /* up to 64 spaces and tabs after a delimiter */
  for (i = 0; i < 64; i++)
    g_string_append_c (s, i % 3 ? ' ' : '\t');
  g_string_append (s, "\r\n\r\ntwo\r\n--b");
  for (i = 0; i < 65; i++)
    g_string_append_c (s, i % 3 ? ' ' : '\t');
  g_string_append (s, "\r\nstill two\r\n--b--");
  r = run_str ("b", NULL, s->str);
  assert_ok (r, 2);
  assert_payload_str (r, 0, "one");
  fail_unless_equals_uint64 (g_bytes_get_size (part_at (r, 1)->payload),
      3 + 2 + 3 + 65 + 2 + 9);
  result_free (r);
  g_string_free (s, TRUE);

  /* anything else after the boundary: not a delimiter */
  r = run_str ("b", NULL,
      "--b\r\n\r\n1\r\n--b x\r\n--b\t-\r\n--b\r-\r\n--b-x\r\n--b--");
  assert_ok (r, 1);
  assert_payload_str (r, 0, "1\r\n--b x\r\n--b\t-\r\n--b\r-\r\n--b-x");
  result_free (r);
}

GST_END_TEST;

/* Timestamps */

GST_START_TEST (test_timestamps)
{
  Result *r;

  r = run_str ("b", NULL,
      "--b\r\nX-Timestamp: 1700000000.123456\r\n\r\n1\r\n"
      "--b\r\nx-timestamp:  12.5 \r\n\r\n2\r\n"
      "--b\r\nX-Timestamp: 7\r\n\r\n3\r\n"
      "--b\r\nX-Timestamp: 1.1234567891234\r\n\r\n4\r\n"
      "--b\r\nX-Seecitv-Capture-Time: 1700000000123456789\r\n\r\n5\r\n"
      "--b\r\nX-Timestamp: 1.5\r\nX-SEECITV-Capture-Time: 42\r\n\r\n6\r\n"
      "--b\r\nX-Seecitv-Capture-Time: 0\r\nX-Timestamp: 1.5\r\n\r\n7\r\n"
      /* third-party timestamps we cannot read are no timestamps */
      "--b\r\nX-Timestamp: -1.5\r\n\r\n8\r\n"
      "--b\r\nX-Timestamp: 1,5\r\n\r\n9\r\n"
      "--b\r\nX-Timestamp: .\r\n\r\n10\r\n"
      "--b\r\nX-Timestamp: 18446744073.5\r\n\r\n11\r\n"
      "--b\r\nX-Timestamp: 18446744072.999999999\r\n\r\n12\r\n"
      "--b\r\nX-Timestamp: \r\nX-Timestamp: 3.25\r\n\r\n13\r\n"
      "--b\r\nX-Timestamp: .25\r\n\r\n14\r\n"
      /* ustreamer: the grab time before its send time, whatever the order */
      "--b\r\nX-Timestamp: 1700000000.5\r\n"
      "X-UStreamer-Grab-Time: 1234.000250\r\n\r\n15\r\n"
      "--b\r\nx-ustreamer-grab-begin-time: 99.5\r\n"
      "X-Timestamp: 1.5\r\n\r\n16\r\n"
      "--b\r\nX-UStreamer-Grab-Timestamp: 7.25\r\n"
      "X-Seecitv-Capture-Time: 5\r\n\r\n17\r\n"
      "--b\r\nX-UStreamer-Grab-Time: bad\r\nX-Timestamp: 2\r\n\r\n18\r\n"
      "--b--");
  assert_ok (r, 18);
  fail_unless_equals_uint64 (part_at (r, 0)->timestamp,
      G_GUINT64_CONSTANT (1700000000123456000));
  fail_unless_equals_int (part_at (r, 0)->timestamp_source,
      SEECITV_MULTIPART_TIMESTAMP_X_TIMESTAMP);
  fail_unless_equals_uint64 (part_at (r, 1)->timestamp, 12500000000);
  fail_unless_equals_uint64 (part_at (r, 2)->timestamp, 7000000000);
  fail_unless_equals_uint64 (part_at (r, 3)->timestamp, 1123456789);
  fail_unless_equals_uint64 (part_at (r, 4)->timestamp,
      G_GUINT64_CONSTANT (1700000000123456789));
  fail_unless_equals_int (part_at (r, 4)->timestamp_source,
      SEECITV_MULTIPART_TIMESTAMP_SEECITV);
  fail_unless_equals_uint64 (part_at (r, 5)->timestamp, 42);
  fail_unless_equals_int (part_at (r, 5)->timestamp_source,
      SEECITV_MULTIPART_TIMESTAMP_SEECITV);
  fail_unless_equals_uint64 (part_at (r, 6)->timestamp, 0);
  fail_unless_equals_int (part_at (r, 6)->timestamp_source,
      SEECITV_MULTIPART_TIMESTAMP_SEECITV);
  fail_unless_equals_uint64 (part_at (r, 7)->timestamp, NONE);
  fail_unless_equals_int (part_at (r, 7)->timestamp_source,
      SEECITV_MULTIPART_TIMESTAMP_NONE);
  fail_unless_equals_uint64 (part_at (r, 8)->timestamp, NONE);
  fail_unless_equals_uint64 (part_at (r, 9)->timestamp, NONE);
  fail_unless_equals_uint64 (part_at (r, 10)->timestamp, NONE);
  fail_unless_equals_uint64 (part_at (r, 11)->timestamp,
      G_GUINT64_CONSTANT (18446744072999999999));
  fail_unless_equals_uint64 (part_at (r, 12)->timestamp, 3250000000);
  fail_unless_equals_uint64 (part_at (r, 13)->timestamp, 250000000);
  fail_unless_equals_uint64 (part_at (r, 14)->timestamp, 1234000250000);
  fail_unless_equals_int (part_at (r, 14)->timestamp_source,
      SEECITV_MULTIPART_TIMESTAMP_USTREAMER_GRAB);
  fail_unless_equals_uint64 (part_at (r, 15)->timestamp, 99500000000);
  fail_unless_equals_int (part_at (r, 15)->timestamp_source,
      SEECITV_MULTIPART_TIMESTAMP_USTREAMER_GRAB);
  fail_unless_equals_uint64 (part_at (r, 16)->timestamp, 5);
  fail_unless_equals_int (part_at (r, 16)->timestamp_source,
      SEECITV_MULTIPART_TIMESTAMP_SEECITV);
  fail_unless_equals_uint64 (part_at (r, 17)->timestamp, 2000000000);
  fail_unless_equals_int (part_at (r, 17)->timestamp_source,
      SEECITV_MULTIPART_TIMESTAMP_X_TIMESTAMP);
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_capture_time_errors)
{
  const gchar *bad[] = {
    "--b\r\nX-Seecitv-Capture-Time: 1.5\r\n\r\nx\r\n--b--",
    "--b\r\nX-Seecitv-Capture-Time: -1\r\n\r\nx\r\n--b--",
    "--b\r\nX-Seecitv-Capture-Time:\r\n\r\nx\r\n--b--",
    "--b\r\nX-Seecitv-Capture-Time: 18446744073709551615\r\n\r\nx\r\n--b--",
    "--b\r\nX-Seecitv-Capture-Time: 18446744073709551616\r\n\r\nx\r\n--b--",
    "--b\r\nX-Seecitv-Capture-Time: 1\r\n"
        "X-Seecitv-Capture-Time: 2\r\n\r\nx\r\n--b--",
  };
  guint i;
  Result *r;

  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    r = run_str ("b", NULL, bad[i]);
    assert_error (r, 0, SEECITV_MULTIPART_ERROR_SYNTAX);
    result_free (r);
  }
  r = run_str ("b", NULL,
      "--b\r\nX-Seecitv-Capture-Time: 18446744073709551614\r\n"
      "X-Seecitv-Capture-Time: 18446744073709551614\r\n\r\nx\r\n--b--");
  assert_ok (r, 1);
  fail_unless_equals_uint64 (part_at (r, 0)->timestamp,
      G_GUINT64_CONSTANT (18446744073709551614));
  result_free (r);
}

GST_END_TEST;

/* Limits and errors */

GST_START_TEST (test_header_too_large)
{
  /* "--b\r\n" then a block of exactly 64 bytes, blank line included */
  const gchar *head = "--b\r\n";
  GString *block = g_string_new ("X-Pad: ");
  GString *s;
  Limits limits = { 0, 64 };
  Result *r;

  while (block->len < 64 - 4)
    g_string_append_c (block, 'p');
  g_string_append (block, "\r\n\r\n");
  fail_unless_equals_int (block->len, 64);

  s = g_string_new (head);
  g_string_append (s, block->str);
  g_string_append (s, "ok\r\n--b--");
  r = run_str ("b", &limits, s->str);
  assert_ok (r, 1);
  assert_payload_str (r, 0, "ok");
  result_free (r);

  /* one byte more */
  g_string_insert_c (s, strlen (head), 'X');
  r = run_str ("b", &limits, s->str);
  assert_error (r, 0, SEECITV_MULTIPART_ERROR_HEADER_TOO_LARGE);
  result_free (r);

  /* endless header bytes without a line break, after a good part */
  g_string_assign (s, "--b\r\n\r\nfirst\r\n--b\r\n");
  while (s->len < 4000)
    g_string_append_c (s, 'h');
  r = run_str ("b", &limits, s->str);
  assert_error (r, 1, SEECITV_MULTIPART_ERROR_HEADER_TOO_LARGE);
  assert_payload_str (r, 0, "first");
  result_free (r);

  /* endless short header lines */
  g_string_assign (s, "--b\r\n");
  while (s->len < 4000)
    g_string_append (s, "A: b\r\n");
  r = run_str ("b", &limits, s->str);
  assert_error (r, 0, SEECITV_MULTIPART_ERROR_HEADER_TOO_LARGE);
  result_free (r);

  g_string_free (s, TRUE);
  g_string_free (block, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_part_too_large)
{
  Limits limits = { 10, 0 };
  Result *r;

  /* Content-Length: exactly the limit, then one more (refused at once) */
  r = run_str ("b", &limits,
      "--b\r\nContent-Length: 10\r\n\r\n0123456789\r\n"
      "--b\r\nContent-Length: 11\r\n\r\n");
  assert_error (r, 1, SEECITV_MULTIPART_ERROR_PART_TOO_LARGE);
  assert_payload_str (r, 0, "0123456789");
  result_free (r);

  r = run_str ("b", &limits,
      "--b\r\nContent-Length: 99999999999999999999999999\r\n\r\n");
  assert_error (r, 0, SEECITV_MULTIPART_ERROR_PART_TOO_LARGE);
  result_free (r);

  /* without Content-Length: the same limit, known before the delimiter */
  r = run_str ("b", &limits,
      "--b\r\n\r\n0123456789\r\n--b\r\n\r\n0123456789\r\n--b\r\n"
      "\r\n0123456789\r");
  assert_ok (r, 2);
  result_free (r);

  r = run_str ("b", &limits,
      "--b\r\n\r\n0123456789\r\n--b\r\n\r\n0123456789A\r\n--b\r\n");
  assert_error (r, 1, SEECITV_MULTIPART_ERROR_PART_TOO_LARGE);
  result_free (r);

  r = run_str ("b", &limits, "--b\r\n\r\n0123456789A");
  assert_error (r, 0, SEECITV_MULTIPART_ERROR_PART_TOO_LARGE);
  result_free (r);

  /* the last '\n' belongs to the delimiter: 10 then 11 bytes of payload */
  r = run_str ("b", &limits, "--b\r\n\r\n\n\n\n\n\n\n\n\n\n\n\n--b\r\n");
  assert_ok (r, 1);
  assert_payload_str (r, 0, "\n\n\n\n\n\n\n\n\n\n");
  result_free (r);
  r = run_str ("b", &limits, "--b\r\n\r\n\n\n\n\n\n\n\n\n\n\n\n\n--b\r\n");
  assert_error (r, 0, SEECITV_MULTIPART_ERROR_PART_TOO_LARGE);
  result_free (r);
}

GST_END_TEST;

GST_START_TEST (test_large_part_memory_bounded)
{
  /* 3 MiB without Content-Length against a 1 MiB limit, fed in 64 KiB
   * chunks: the error comes within about one chunk of the limit. */
  SeecitvMultipartParser *p = new_parser ("b", NULL);
  guint8 *chunk = g_malloc (64 * 1024);
  GError *err = NULL;
  gsize fed = 0;

  seecitv_multipart_parser_set_max_part_size (p, 1024 * 1024);
  memset (chunk, 'x', 64 * 1024);
  fail_unless (feed_str (p, "--b\r\n\r\n", &err));
  while (fed < 3 * 1024 * 1024) {
    if (!seecitv_multipart_parser_feed (p, chunk, 64 * 1024, &err))
      break;
    fed += 64 * 1024;
  }
  fail_unless (g_error_matches (err, SEECITV_MULTIPART_ERROR,
          SEECITV_MULTIPART_ERROR_PART_TOO_LARGE));
  fail_unless (fed <= 1024 * 1024 + 64 * 1024);
  g_clear_error (&err);
  seecitv_multipart_parser_free (p);
  g_free (chunk);
}

GST_END_TEST;

GST_START_TEST (test_garbage)
{
  Limits limits = { 0, 256 };
  const gchar *syntax[] = {
    "--b\r\nno colon here\r\n\r\nx\r\n--b--",
    "--b\r\n: no name\r\n\r\nx\r\n--b--",
    "--b\r\nbad name: x\r\n\r\nx\r\n--b--",
    "--b\r\nbad\x01name: x\r\n\r\nx\r\n--b--",
    "--b\r\nX-A: nul\x00here\r\n\r\nx\r\n--b--",
    "--b\r\nX-A: bare\rcr\r\n\r\nx\r\n--b--",
    "--b\r\nX-A: del\x7f\r\n\r\nx\r\n--b--",
    "--b\r\n continuation first\r\n\r\nx\r\n--b--",
    "--b\r\nContent-Length: 1a\r\n\r\nx\r\n--b--",
    "--b\r\nContent-Length: -1\r\n\r\nx\r\n--b--",
    "--b\r\nContent-Length: +1\r\n\r\nx\r\n--b--",
    "--b\r\nContent-Length:\r\n\r\nx\r\n--b--",
    "--b\r\nContent-Length: 1 2\r\n\r\nx\r\n--b--",
    "--b\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nx\r\n--b--",
    "--b\r\nContent-Type: caf\xc3\xa9\r\n\r\nx\r\n--b--",
    /* a JPEG right after the delimiter, without headers */
    "--b\r\n\xff\xd8\xff\xe0\r\n\r\n--b--",
  };
  GString *s;
  GRand *rand;
  Result *r;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (syntax); i++) {
    /* the NUL case has an explicit length */
    gsize len = i == 4 ? 30 : strlen (syntax[i]);

    r = run_all_splits ("b", &limits, (const guint8 *) syntax[i], len);
    if (r->error == NULL)
      fail ("stream %u: no error", i);
    assert_error (r, 0, SEECITV_MULTIPART_ERROR_SYNTAX);
    result_free (r);
  }

  /* text without a boundary */
  s = g_string_new (NULL);
  while (s->len < 1000)
    g_string_append (s, "HTTP/1.1 200 OK garbage garbage\r\n");
  r = run_str ("b", &limits, s->str);
  assert_error (r, 0, SEECITV_MULTIPART_ERROR_NO_BOUNDARY);
  result_free (r);

  /* junk between parts is bounded the same way */
  g_string_assign (s, "--b\r\nContent-Length: 1\r\n\r\nx");
  while (s->len < 1000)
    g_string_append (s, "junk");
  r = run_str ("b", &limits, s->str);
  assert_error (r, 1, SEECITV_MULTIPART_ERROR_NO_BOUNDARY);
  result_free (r);

  /* random bytes: an error, whatever the split */
  rand = g_rand_new_with_seed (7);
  g_string_truncate (s, 0);
  for (i = 0; i < 3000; i++)
    g_string_append_c (s, (gchar) g_rand_int_range (rand, 0, 256));
  r = run_all_splits ("b", &limits, (const guint8 *) s->str, s->len);
  assert_error (r, 0, SEECITV_MULTIPART_ERROR_NO_BOUNDARY);
  result_free (r);
  g_rand_free (rand);
  g_string_free (s, TRUE);

  /* junk up to exactly the limit is fine */
  s = g_string_new (NULL);
  while (s->len < 256 - 2)
    g_string_append_c (s, 'j');
  g_string_append (s, "\r\n--b\r\n\r\nx\r\n--b--");
  r = run_str ("b", &limits, s->str);
  assert_ok (r, 1);
  fail_unless_equals_uint64 (part_at (r, 0)->junk_bytes, 256);
  result_free (r);
  g_string_insert_c (s, 0, 'j');
  r = run_str ("b", &limits, s->str);
  assert_error (r, 0, SEECITV_MULTIPART_ERROR_NO_BOUNDARY);
  result_free (r);
  g_string_free (s, TRUE);
}

GST_END_TEST;

GST_START_TEST (test_reset_after_error)
{
  SeecitvMultipartParser *p = new_parser ("b", NULL);
  SeecitvMultipartPart *part;
  GError *err = NULL;
  const gchar *bad = "--b\r\nContent-Length: 2\r\n\r\nAB--b\r\nbroken\r\n\r\n";
  const gchar *good = "--b\r\nContent-Length: 2\r\n\r\nCD--b--";

  fail_if (seecitv_multipart_parser_feed (p, (const guint8 *) bad,
          strlen (bad), &err));
  fail_unless (g_error_matches (err, SEECITV_MULTIPART_ERROR,
          SEECITV_MULTIPART_ERROR_SYNTAX));
  g_clear_error (&err);

  /* the part before the error is still there */
  part = seecitv_multipart_parser_pop (p);
  fail_unless (part != NULL);
  fail_unless_equals_int (g_bytes_get_size (part->payload), 2);
  seecitv_multipart_part_free (part);

  /* stuck until reset */
  fail_if (seecitv_multipart_parser_feed (p, (const guint8 *) good,
          strlen (good), &err));
  fail_unless (g_error_matches (err, SEECITV_MULTIPART_ERROR,
          SEECITV_MULTIPART_ERROR_STATE));
  g_clear_error (&err);
  fail_if (seecitv_multipart_parser_end (p, &err));
  fail_unless (g_error_matches (err, SEECITV_MULTIPART_ERROR,
          SEECITV_MULTIPART_ERROR_STATE));
  g_clear_error (&err);
  fail_unless (seecitv_multipart_parser_pop (p) == NULL);

  seecitv_multipart_parser_reset (p);
  fail_unless (seecitv_multipart_parser_feed (p, (const guint8 *) good,
          strlen (good), &err));
  part = seecitv_multipart_parser_pop (p);
  fail_unless (part != NULL);
  fail_unless (memcmp (g_bytes_get_data (part->payload, NULL), "CD", 2) == 0);
  /* offsets restart with the new stream */
  fail_unless_equals_uint64 (part->offset, 26);
  seecitv_multipart_part_free (part);
  fail_unless (seecitv_multipart_parser_is_closed (p));

  /* reset also drops queued parts and a half-read part */
  seecitv_multipart_parser_reset (p);
  fail_unless (feed_str (p, "--b\r\n\r\nA\r\n--b\r\n\r\nhalf", &err));
  seecitv_multipart_parser_reset (p);
  fail_unless (seecitv_multipart_parser_pop (p) == NULL);
  fail_unless (feed_str (p, "\r\n--b\r\n\r\nB\r\n--b\r\n", &err));
  part = seecitv_multipart_parser_pop (p);
  fail_unless (part != NULL);
  fail_unless_equals_int (g_bytes_get_size (part->payload), 1);
  seecitv_multipart_part_free (part);

  /* a new boundary after a reconnection */
  fail_unless (seecitv_multipart_parser_set_boundary (p, "new", &err));
  fail_unless (feed_str (p,
          "--b\r\n\r\nX\r\n--new\r\n\r\nY\r\n--new\r\n", &err));
  part = seecitv_multipart_parser_pop (p);
  fail_unless (part != NULL);
  fail_unless (memcmp (g_bytes_get_data (part->payload, NULL), "Y", 1) == 0);
  fail_unless_equals_uint64 (part->junk_bytes, 5 + 3);
  seecitv_multipart_part_free (part);
  fail_unless (seecitv_multipart_parser_pop (p) == NULL);
  seecitv_multipart_parser_free (p);
}

GST_END_TEST;

GST_START_TEST (test_reset_forgets_learnt_boundary)
{
  SeecitvMultipartParser *p = new_parser (NULL, NULL);
  SeecitvMultipartPart *part;
  GError *err = NULL;

  fail_unless (feed_str (p, "--one\r\n\r\nA\r\n--one\r\n", &err));
  part = seecitv_multipart_parser_pop (p);
  fail_unless (part != NULL);
  seecitv_multipart_part_free (part);
  seecitv_multipart_parser_reset (p);
  fail_unless (feed_str (p, "--two\r\n\r\nB\r\n--one\r\n--two\r\n", &err));
  part = seecitv_multipart_parser_pop (p);
  fail_unless (part != NULL);
  fail_unless_equals_int (g_bytes_get_size (part->payload), 1 + 2 + 5);
  seecitv_multipart_part_free (part);
  seecitv_multipart_parser_free (p);
}

GST_END_TEST;

static void
check_end (const gchar * stream, gboolean expect_ok, guint n_parts)
{
  SeecitvMultipartParser *p = new_parser ("b", NULL);
  SeecitvMultipartPart *part;
  GError *err = NULL;
  guint n = 0;

  fail_unless (seecitv_multipart_parser_feed (p, (const guint8 *) stream,
          strlen (stream), &err));
  if (expect_ok) {
    if (!seecitv_multipart_parser_end (p, &err))
      fail ("'%s': %s", stream, err->message);
  } else {
    fail_if (seecitv_multipart_parser_end (p, &err), "'%s' ended", stream);
    fail_unless (g_error_matches (err, SEECITV_MULTIPART_ERROR,
            SEECITV_MULTIPART_ERROR_TRUNCATED));
    g_clear_error (&err);
  }
  while ((part = seecitv_multipart_parser_pop (p)) != NULL) {
    seecitv_multipart_part_free (part);
    n++;
  }
  fail_unless_equals_int (n, n_parts);
  /* ended: refuses input until reset */
  fail_if (feed_str (p, "x", &err));
  fail_unless (g_error_matches (err, SEECITV_MULTIPART_ERROR,
          SEECITV_MULTIPART_ERROR_STATE));
  g_clear_error (&err);
  seecitv_multipart_parser_reset (p);
  fail_unless (feed_str (p, "x", &err));
  seecitv_multipart_parser_free (p);
}

GST_START_TEST (test_end)
{
  check_end ("", TRUE, 0);
  check_end ("preamble", TRUE, 0);
  check_end ("--b", TRUE, 0);
  check_end ("--b\r\n", TRUE, 0);
  check_end ("--b\r\nContent-Length: 1\r\n\r\nx", TRUE, 1);
  check_end ("--b\r\nContent-Length: 1\r\n\r\nx\r\n--b\r\n", TRUE, 1);
  check_end ("--b\r\n\r\nx\r\n--b--\r\n", TRUE, 1);
  check_end ("--b\r\nContent-Le", FALSE, 0);
  check_end ("--b\r\nContent-Length: 2\r\n\r\nx", FALSE, 0);
  check_end ("--b\r\n\r\nx\r\n--b\r\n\r\nscanned", FALSE, 1);
  check_end ("--b\r\n\r\nx\r\n--b\r\n\r\n", FALSE, 1);
}

GST_END_TEST;

/* Realistic streams */

/* motion (webcam daemon): Content-Type multipart/x-mixed-replace;
 * boundary=BoundaryString. Each frame is "--BoundaryString", lower-case
 * "Content-type", a Content-Length padded to 9 characters ("%9ld"), and,
 * depending on the version, a CRLF before the delimiter or CRLF CRLF after
 * the image. */
GST_START_TEST (test_motion_sample)
{
  GByteArray *a = g_byte_array_new ();
  GBytes *frames[6];
  gchar *boundary;
  Result *r;
  guint i;

  boundary = boundary_ok ("multipart/x-mixed-replace; boundary=BoundaryString");
  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    frames[i] = fake_jpeg (300 + i * 97, i);
    if (i < 3) {
      /* motion 3.x */
      append_str (a, "--BoundaryString\r\n");
      append_str (a, "Content-type: image/jpeg\r\n");
      append_printf (a, "Content-Length: %9" G_GSIZE_FORMAT "\r\n\r\n",
          g_bytes_get_size (frames[i]));
      append_bytes (a, frames[i]);
      append_str (a, "\r\n\r\n");
    } else {
      /* motion 4.x */
      append_str (a, "\r\n--BoundaryString\r\n");
      append_str (a, "Content-type: image/jpeg\r\n");
      append_printf (a, "Content-Length: %9" G_GSIZE_FORMAT "\r\n\r\n",
          g_bytes_get_size (frames[i]));
      append_bytes (a, frames[i]);
    }
  }
  r = run_all_splits (boundary, NULL, a->data, a->len);
  assert_ok (r, G_N_ELEMENTS (frames));
  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    fail_unless (g_bytes_equal (part_at (r, i)->payload, frames[i]));
    fail_unless_equals_string (part_at (r, i)->content_type, "image/jpeg");
    fail_unless_equals_uint64 (part_at (r, i)->content_length,
        g_bytes_get_size (frames[i]));
    fail_unless_equals_uint64 (part_at (r, i)->junk_bytes, 0);
    g_bytes_unref (frames[i]);
  }
  result_free (r);
  g_byte_array_unref (a);
  g_free (boundary);
}

GST_END_TEST;

/* ffmpeg -f mpjpeg: "--ffmpeg" first, then per frame "Content-type",
 * "Content-length", the image and "\r\n--ffmpeg\r\n"; a file ends right
 * after a delimiter. The same stream with the lengths taken out (as simple
 * servers do) must give the same frames by scanning. */
GST_START_TEST (test_ffmpeg_sample)
{
  GByteArray *a = g_byte_array_new (), *b = g_byte_array_new ();
  GBytes *frames[5];
  gchar *boundary;
  SeecitvMultipartParser *p;
  GError *err = NULL;
  Result *r;
  guint i;

  boundary = boundary_ok ("multipart/x-mixed-replace;boundary=ffmpeg");
  append_str (a, "--ffmpeg\r\n");
  append_str (b, "--ffmpeg\r\n");
  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    frames[i] = fake_jpeg (1000 + i * 1234, 100 + i);
    append_str (a, "Content-type: image/jpeg\r\n");
    append_printf (a, "Content-length: %" G_GSIZE_FORMAT "\r\n\r\n",
        g_bytes_get_size (frames[i]));
    append_bytes (a, frames[i]);
    append_str (a, "\r\n--ffmpeg\r\n");
    append_str (b, "Content-type: image/jpeg\r\n\r\n");
    append_bytes (b, frames[i]);
    append_str (b, "\r\n--ffmpeg\r\n");
  }
  r = run_all_splits (boundary, NULL, a->data, a->len);
  assert_ok (r, G_N_ELEMENTS (frames));
  for (i = 0; i < G_N_ELEMENTS (frames); i++)
    fail_unless (g_bytes_equal (part_at (r, i)->payload, frames[i]));
  result_free (r);

  r = run_all_splits (boundary, NULL, b->data, b->len);
  assert_ok (r, G_N_ELEMENTS (frames));
  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    fail_unless (g_bytes_equal (part_at (r, i)->payload, frames[i]));
    fail_unless_equals_uint64 (part_at (r, i)->content_length, NONE);
  }
  result_free (r);

  /* the file's end after the last delimiter is a clean end */
  p = new_parser (boundary, NULL);
  fail_unless (seecitv_multipart_parser_feed (p, a->data, a->len, &err));
  fail_unless (seecitv_multipart_parser_end (p, &err));
  seecitv_multipart_parser_free (p);

  for (i = 0; i < G_N_ELEMENTS (frames); i++)
    g_bytes_unref (frames[i]);
  g_byte_array_unref (a);
  g_byte_array_unref (b);
  g_free (boundary);
}

GST_END_TEST;

/* mjpg-streamer: boundary "boundarydonotcross", X-Timestamp in seconds and
 * microseconds ("%d.%06d"). */
GST_START_TEST (test_mjpg_streamer_sample)
{
  GByteArray *a = g_byte_array_new ();
  GBytes *frames[4];
  Result *r;
  guint i;

  append_str (a, "--boundarydonotcross\r\n");
  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    frames[i] = fake_jpeg (500 + i, 200 + i);
    append_str (a, "Content-Type: image/jpeg\r\n");
    append_printf (a, "Content-Length: %" G_GSIZE_FORMAT "\r\n",
        g_bytes_get_size (frames[i]));
    append_printf (a, "X-Timestamp: %d.%06d\r\n\r\n", 1700000000 + i,
        i * 33333);
    append_bytes (a, frames[i]);
    append_str (a, "\r\n--boundarydonotcross\r\n");
  }
  r = run_all_splits ("boundarydonotcross", NULL, a->data, a->len);
  assert_ok (r, G_N_ELEMENTS (frames));
  for (i = 0; i < G_N_ELEMENTS (frames); i++) {
    fail_unless (g_bytes_equal (part_at (r, i)->payload, frames[i]));
    fail_unless_equals_int (part_at (r, i)->timestamp_source,
        SEECITV_MULTIPART_TIMESTAMP_X_TIMESTAMP);
    fail_unless_equals_uint64 (part_at (r, i)->timestamp,
        (1700000000 + i) * GST_SECOND + i * 33333 * GST_USECOND);
    g_bytes_unref (frames[i]);
  }
  result_free (r);
  g_byte_array_unref (a);
}

GST_END_TEST;

/* Cost */

GST_START_TEST (test_linear_time)
{
  /* 256 KiB of near-miss delimiter lines without Content-Length, fed one
   * byte at a time: a parser that rescanned its buffer per byte would take
   * hours (kept small for valgrind). */
  GByteArray *a = g_byte_array_new ();
  SeecitvMultipartParser *p;
  SeecitvMultipartPart *part;
  GError *err = NULL;
  gsize i, head_len, payload_len;
  gint64 start;

  append_str (a, "--a-fairly-long-boundary-string\r\n\r\n");
  head_len = a->len;
  while (a->len < 256 * 1024)
    append_str (a, "\r\n--a-fairly-long-boundary-strinG\r\n--a-fairly-long-");
  payload_len = a->len - head_len;
  append_str (a, "\r\n--a-fairly-long-boundary-string--");

  start = g_get_monotonic_time ();
  p = new_parser ("a-fairly-long-boundary-string", NULL);
  for (i = 0; i < a->len; i++)
    fail_unless (seecitv_multipart_parser_feed (p, a->data + i, 1, &err));
  part = seecitv_multipart_parser_pop (p);
  fail_unless (part != NULL);
  fail_unless_equals_uint64 (g_bytes_get_size (part->payload), payload_len);
  seecitv_multipart_part_free (part);
  seecitv_multipart_parser_free (p);
  GST_INFO ("256 KiB byte by byte: %" G_GINT64_FORMAT " us",
      g_get_monotonic_time () - start);

  /* a part's header block fed one byte at a time, near the limit */
  p = new_parser ("b", NULL);
  seecitv_multipart_parser_set_max_header_size (p, 1024 * 1024);
  fail_unless (seecitv_multipart_parser_feed (p, (const guint8 *) "--b\r\n",
          5, &err));
  for (i = 0; i < 256 * 1000; i++)
    fail_unless (feed_str (p, "h", &err));
  seecitv_multipart_parser_free (p);

  g_byte_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (test_many_parts_in_one_chunk)
{
  GByteArray *a = g_byte_array_new ();
  SeecitvMultipartParser *p = new_parser ("b", NULL);
  SeecitvMultipartPart *part;
  GError *err = NULL;
  guint i, n = 0;
  guint64 total = 0;

  for (i = 0; i < 20000; i++) {
    if (i % 2)
      append_printf (a, "--b\r\nContent-Length: %u\r\n\r\n%08u\r\n", 8, i);
    else
      append_printf (a, "--b\r\n\r\n%08u\r\n", i);
  }
  append_str (a, "--b--");
  fail_unless (seecitv_multipart_parser_feed (p, a->data, a->len, &err));
  while ((part = seecitv_multipart_parser_pop (p)) != NULL) {
    gchar expected[9];

    g_snprintf (expected, sizeof (expected), "%08u", n);
    fail_unless_equals_int (g_bytes_get_size (part->payload), 8);
    fail_unless (memcmp (g_bytes_get_data (part->payload, NULL), expected,
            8) == 0);
    total += g_bytes_get_size (part->payload);
    seecitv_multipart_part_free (part);
    n++;
  }
  fail_unless_equals_int (n, 20000);
  fail_unless_equals_uint64 (total, 8 * 20000);
  fail_unless (seecitv_multipart_parser_is_closed (p));
  seecitv_multipart_parser_free (p);
  g_byte_array_unref (a);
}

GST_END_TEST;

GST_START_TEST (test_part_ownership)
{
  SeecitvMultipartParser *p = new_parser ("b", NULL);
  g_autoptr (SeecitvMultipartPart) part = NULL;
  GBytes *kept;
  GError *err = NULL;

  fail_unless (feed_str (p, "--b\r\nContent-Length: 4\r\n\r\ndata--b--", &err));
  part = seecitv_multipart_parser_pop (p);
  fail_unless (part != NULL);
  kept = g_bytes_ref (part->payload);
  /* the payload outlives the parser and the part */
  seecitv_multipart_parser_free (p);
  g_clear_pointer (&part, seecitv_multipart_part_free);
  fail_unless (memcmp (g_bytes_get_data (kept, NULL), "data", 4) == 0);
  g_bytes_unref (kept);
}

GST_END_TEST;

GST_START_TEST (test_error_quark)
{
  fail_unless (SEECITV_MULTIPART_ERROR != 0);
  fail_unless_equals_string (g_quark_to_string (SEECITV_MULTIPART_ERROR),
      "seecitv-multipart-error-quark");
}

GST_END_TEST;

static Suite *
multipart_suite (void)
{
  Suite *s = suite_create ("multipart");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_boundary_from_content_type);
  tcase_add_test (tc, test_new_refuses_bad_boundary);
  tcase_add_test (tc, test_content_length);
  tcase_add_test (tc, test_scan);
  tcase_add_test (tc, test_mixed_framing);
  tcase_add_test (tc, test_lf_only);
  tcase_add_test (tc, test_missing_crlf_after_payload);
  tcase_add_test (tc, test_preamble_epilogue);
  tcase_add_test (tc, test_leading_dashes);
  tcase_add_test (tc, test_learn_boundary);
  tcase_add_test (tc, test_headers);
  tcase_add_test (tc, test_padding);
  tcase_add_test (tc, test_timestamps);
  tcase_add_test (tc, test_capture_time_errors);
  tcase_add_test (tc, test_header_too_large);
  tcase_add_test (tc, test_part_too_large);
  tcase_add_test (tc, test_large_part_memory_bounded);
  tcase_add_test (tc, test_garbage);
  tcase_add_test (tc, test_reset_after_error);
  tcase_add_test (tc, test_reset_forgets_learnt_boundary);
  tcase_add_test (tc, test_end);
  tcase_add_test (tc, test_motion_sample);
  tcase_add_test (tc, test_ffmpeg_sample);
  tcase_add_test (tc, test_mjpg_streamer_sample);
  tcase_add_test (tc, test_linear_time);
  tcase_add_test (tc, test_many_parts_in_one_chunk);
  tcase_add_test (tc, test_part_ownership);
  tcase_add_test (tc, test_error_quark);
  return s;
}

GST_CHECK_MAIN (multipart);
