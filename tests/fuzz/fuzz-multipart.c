/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the multipart/x-mixed-replace parser and the
 * Content-Type boundary helper (gst-libs/seecitv/multipart.c). The first
 * four bytes choose the boundary mode, two cut points and small limits; the
 * rest is the body, parsed once whole and once cut in three, then again
 * after a reset. Beyond "no crash, no leak, no hang" it checks that every
 * split gives the same parts and error, that each payload is the input's
 * bytes at the part's offset (so payloads never exceed the input), and that
 * the limits hold. Hand-written cases live in tests/check/libs/multipart.c.
 */
#include <seecitv/multipart.h>

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

typedef struct
{
  GPtrArray *parts;
  gint error_code;              /* -1: none */
} Outcome;

static SeecitvMultipartParser *
make_parser (guint8 mode, gsize max_part, gsize max_header)
{
  static const gchar *boundaries[] = { "b", "--fz", "BoundaryString" };
  SeecitvMultipartParser *p;
  const gchar *boundary = (mode & 3) == 3 ? NULL : boundaries[mode & 3];

  p = seecitv_multipart_parser_new (boundary, NULL);
  CHECK (p != NULL);
  seecitv_multipart_parser_set_max_part_size (p, max_part);
  seecitv_multipart_parser_set_max_header_size (p, max_header);
  return p;
}

static void
outcome_clear (Outcome * o)
{
  g_ptr_array_unref (o->parts);
}

/* Feeds body[0, len) cut at @cuts (increasing, last == len). */
static void
run (SeecitvMultipartParser * p, const guint8 * body, gsize len,
    const gsize * cuts, guint n_cuts, Outcome * o)
{
  SeecitvMultipartPart *part;
  GError *err = NULL;
  gsize from = 0;
  guint i;

  o->parts = g_ptr_array_new_with_free_func ((GDestroyNotify)
      seecitv_multipart_part_free);
  o->error_code = -1;
  for (i = 0; i < n_cuts; i++) {
    gboolean ok = seecitv_multipart_parser_feed (p, body + from,
        cuts[i] - from, &err);

    CHECK (ok == (err == NULL));
    while ((part = seecitv_multipart_parser_pop (p)) != NULL)
      g_ptr_array_add (o->parts, part);
    from = cuts[i];
    if (!ok) {
      CHECK (err->domain == SEECITV_MULTIPART_ERROR);
      o->error_code = err->code;
      g_clear_error (&err);
      /* stuck until reset */
      CHECK (!seecitv_multipart_parser_feed (p, body, len, &err));
      CHECK (g_error_matches (err, SEECITV_MULTIPART_ERROR,
              SEECITV_MULTIPART_ERROR_STATE));
      g_clear_error (&err);
      CHECK (seecitv_multipart_parser_pop (p) == NULL);
      break;
    }
  }
}

static void
check_outcome (const Outcome * o, const guint8 * body, gsize len,
    gsize max_part)
{
  guint64 total = 0, next_offset = 0;
  guint i;

  CHECK (o->error_code == -1 ||
      (o->error_code >= SEECITV_MULTIPART_ERROR_SYNTAX &&
          o->error_code <= SEECITV_MULTIPART_ERROR_NO_BOUNDARY));
  for (i = 0; i < o->parts->len; i++) {
    SeecitvMultipartPart *part = g_ptr_array_index (o->parts, i);
    gsize n;
    const guint8 *d = g_bytes_get_data (part->payload, &n);

    CHECK (n <= max_part);
    CHECK (part->offset >= next_offset);
    CHECK (part->offset <= len && n <= len - part->offset);
    CHECK (n == 0 || memcmp (d, body + part->offset, n) == 0);
    next_offset = part->offset + n;
    total += n;
    CHECK (part->content_length == G_MAXUINT64 || part->content_length == n);
    CHECK ((part->timestamp == G_MAXUINT64) ==
        (part->timestamp_source == SEECITV_MULTIPART_TIMESTAMP_NONE));
    CHECK (part->junk_bytes <= len);
    if (part->content_type != NULL) {
      const gchar *c;

      for (c = part->content_type; *c != '\0'; c++)
        CHECK ((guint8) * c >= 0x20 && (guint8) * c <= 0x7e);
    }
  }
  CHECK (total <= len);
}

static void
check_same (const Outcome * a, const Outcome * b)
{
  guint i;

  CHECK (a->error_code == b->error_code);
  CHECK (a->parts->len == b->parts->len);
  for (i = 0; i < a->parts->len; i++) {
    SeecitvMultipartPart *x = g_ptr_array_index (a->parts, i);
    SeecitvMultipartPart *y = g_ptr_array_index (b->parts, i);

    CHECK (g_bytes_equal (x->payload, y->payload));
    CHECK (g_strcmp0 (x->content_type, y->content_type) == 0);
    CHECK (x->content_length == y->content_length);
    CHECK (x->timestamp == y->timestamp);
    CHECK (x->timestamp_source == y->timestamp_source);
    CHECK (x->junk_bytes == y->junk_bytes);
    CHECK (x->offset == y->offset);
  }
}

/* The first line of the input as a Content-Type value. */
static void
fuzz_content_type (const guint8 * body, gsize len)
{
  gsize n = 0;
  gchar *value, *boundary;
  GError *err = NULL;
  SeecitvMultipartParser *p;

  while (n < len && n < 512 && body[n] != '\n')
    n++;
  value = g_strndup ((const gchar *) body, n);
  boundary = seecitv_multipart_boundary_from_content_type (value, &err);
  CHECK ((boundary == NULL) == (err != NULL));
  if (boundary != NULL) {
    gsize blen = strlen (boundary);
    const gchar *c;

    CHECK (blen >= 1 && blen <= SEECITV_MULTIPART_MAX_BOUNDARY_LEN);
    for (c = boundary; *c != '\0'; c++)
      CHECK (*c >= 0x20 && *c <= 0x7e);
    p = seecitv_multipart_parser_new (boundary, NULL);
    CHECK (p != NULL);
    seecitv_multipart_parser_free (p);
  } else {
    CHECK (g_error_matches (err, SEECITV_MULTIPART_ERROR,
            SEECITV_MULTIPART_ERROR_CONTENT_TYPE));
    g_clear_error (&err);
  }
  g_free (boundary);
  g_free (value);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  SeecitvMultipartParser *p;
  const guint8 *body;
  gsize len, max_part, max_header, cuts[3], whole[1];
  Outcome a, b, c;
  GError *err = NULL;

  if (size < 4)
    return 0;
  body = data + 4;
  len = size - 4;
  /* small limits, so that the fuzzer reaches them */
  max_part = 1 + (data[3] & 0x0f) * 64;
  max_header = 1 + (data[3] >> 4) * 32;
  cuts[0] = len * data[1] / 255;
  cuts[1] = cuts[0] + (len - cuts[0]) * data[2] / 255;
  cuts[2] = len;
  whole[0] = len;

  fuzz_content_type (body, len);

  p = make_parser (data[0], max_part, max_header);
  run (p, body, len, whole, 1, &a);
  check_outcome (&a, body, len, max_part);
  seecitv_multipart_parser_free (p);

  p = make_parser (data[0], max_part, max_header);
  run (p, body, len, cuts, 3, &b);
  check_same (&a, &b);

  /* end () never fails other than by the codes it documents */
  if (b.error_code == -1) {
    if (!seecitv_multipart_parser_end (p, &err)) {
      CHECK (g_error_matches (err, SEECITV_MULTIPART_ERROR,
              SEECITV_MULTIPART_ERROR_TRUNCATED));
      g_clear_error (&err);
    }
  }

  /* a reset parser is as good as new, also with one-byte pieces early on */
  seecitv_multipart_parser_reset (p);
  {
    gsize bytewise[64 + 1];
    guint n = 0;

    while (n < 64 && n < len) {
      bytewise[n] = n + 1;
      n++;
    }
    bytewise[n++] = len;
    run (p, body, len, bytewise, n, &c);
  }
  check_same (&a, &c);
  seecitv_multipart_parser_free (p);

  outcome_clear (&a);
  outcome_clear (&b);
  outcome_clear (&c);
  return 0;
}
