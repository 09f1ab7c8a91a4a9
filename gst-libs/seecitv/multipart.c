/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The multipart/x-mixed-replace parser and Content-Type helper declared and
 * documented in multipart.h. The parser is a state machine over one growable
 * buffer of not yet consumed bytes: every search resumes where the previous
 * one stopped, so each byte is looked at a bounded number of times whatever
 * the chunking. Content-Length payloads bypass that buffer and are copied
 * once, straight from the caller's chunk into the part's own memory. HTTP,
 * GStreamer buffers and anything else above the body bytes live elsewhere.
 */

#include "multipart.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK (seecitv-multipart-error-quark, seecitv_multipart_error);

/* Input is appended to the buffer at most this much at a time, so that a
 * huge chunk does not cost a second copy of itself. */
#define SLICE_SIZE (64 * 1024)
/* Spaces or tabs allowed after a delimiter (RFC 2046 transport padding).
 * Bounded so that deciding whether a line is a delimiter costs O(1). */
#define MAX_PADDING 64
/* Longest first line taken as a learnt delimiter: "--", the boundary,
 * padding, CRLF. */
#define MAX_LEARN_LINE \
    (2 + SEECITV_MULTIPART_MAX_BOUNDARY_LEN + MAX_PADDING + 2)
/* A buffer grown this large by one big part is shrunk once mostly empty. */
#define SHRINK_THRESHOLD (1024 * 1024)

typedef enum
{
  STATE_SEEK,                   /* preamble or junk: looking for a delimiter */
  STATE_HEADERS,                /* after a delimiter, reading part headers */
  STATE_BODY_LENGTH,            /* copying a Content-Length payload */
  STATE_BODY_SCAN,              /* scanning the payload for a delimiter */
  STATE_EPILOGUE,               /* after the close delimiter: discard */
  STATE_ERROR,                  /* until reset () */
  STATE_ENDED                   /* after end (), until reset () */
} State;

typedef enum
{
  MATCH_NO,
  MATCH_MORE,                   /* a delimiter prefix: need more bytes */
  MATCH_DELIM,
  MATCH_CLOSE
} Match;

typedef enum
{
  STEP_CONTINUE,
  STEP_WAIT,
  STEP_ERROR
} Step;

struct _SeecitvMultipartParser
{
  /* configuration */
  gchar *boundary;              /* as given, NULL: learn it */
  gsize max_part_size;
  gsize max_header_size;

  /* The delimiter lines accepted, without line ending: "--" boundary, and
   * the boundary alone when it starts with "--". None until learnt. */
  gchar *delim[2];
  gsize delim_len[2];
  guint n_delims;

  State state;
  gboolean closed;

  /* Bytes not consumed yet are buf[pos, len). base is the stream offset of
   * buf[0]. Indices below are absolute in buf and >= pos when in use. */
  guint8 *buf;
  gsize len;
  gsize alloc;
  gsize pos;
  guint64 base;
  gsize scan;                   /* where the next '\n' search resumes */
  gsize cand;                   /* BODY_SCAN: start of the line to match */
  gsize line_start;             /* HEADERS: start of the current line */
  gboolean checked;             /* the line at pos / cand is no delimiter */
  guint64 skipped;              /* SEEK: bytes skipped in this run */
  guint64 junk;                 /* non-blank bytes skipped before the part */

  /* The part being read */
  gchar *content_type;
  guint64 content_length;
  guint64 x_timestamp;
  guint64 grab_time;
  guint64 capture_time;
  guint64 part_offset;
  guint8 *body;                 /* BODY_LENGTH: content_length bytes */
  gsize body_filled;

  GQueue parts;                 /* of SeecitvMultipartPart, oldest first */
};

static gboolean
fail (SeecitvMultipartParser * p, GError ** error, gint code,
    const gchar * format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (SeecitvMultipartParser * p, GError ** error, gint code,
    const gchar * format, ...)
{
  va_list args;
  gchar *msg;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, SEECITV_MULTIPART_ERROR, code,
      "multipart stream, at byte %" G_GUINT64_FORMAT ": %s",
      p->base + p->pos, msg);
  g_free (msg);
  p->state = STATE_ERROR;
  return FALSE;
}

static inline gboolean
is_ws (guint8 c)
{
  return c == ' ' || c == '\t';
}

/* RFC 9110 tchar */
static inline gboolean
is_tchar (guint8 c)
{
  return g_ascii_isalnum (c) || (c != 0 && strchr ("!#$%&'*+-.^_`|~", c));
}

static gboolean
is_blank (const guint8 * d, gsize n)
{
  gsize i;

  for (i = 0; i < n; i++) {
    if (!is_ws (d[i]) && d[i] != '\r' && d[i] != '\n')
      return FALSE;
  }
  return TRUE;
}

static gboolean
validate_boundary (const gchar * b, gsize len, GError ** error)
{
  gboolean all_dashes = TRUE;
  gsize i;

  if (len == 0 || len > SEECITV_MULTIPART_MAX_BOUNDARY_LEN) {
    g_set_error (error, SEECITV_MULTIPART_ERROR,
        SEECITV_MULTIPART_ERROR_CONTENT_TYPE,
        "boundary must be 1 to %d characters long, not %" G_GSIZE_FORMAT,
        SEECITV_MULTIPART_MAX_BOUNDARY_LEN, len);
    return FALSE;
  }
  for (i = 0; i < len; i++) {
    guint8 c = b[i];

    if (c < 0x20 || c > 0x7e) {
      g_set_error (error, SEECITV_MULTIPART_ERROR,
          SEECITV_MULTIPART_ERROR_CONTENT_TYPE,
          "boundary has a byte 0x%02x that is not printable ASCII", c);
      return FALSE;
    }
    if (c != '-')
      all_dashes = FALSE;
  }
  if (all_dashes) {
    g_set_error_literal (error, SEECITV_MULTIPART_ERROR,
        SEECITV_MULTIPART_ERROR_CONTENT_TYPE,
        "boundary is made only of dashes");
    return FALSE;
  }
  return TRUE;
}

/* Content-Type */

static void
skip_ows (const gchar ** s)
{
  while (is_ws (**s))
    (*s)++;
}

static gboolean
ct_error (GError ** error, const gchar * what)
{
  g_set_error (error, SEECITV_MULTIPART_ERROR,
      SEECITV_MULTIPART_ERROR_CONTENT_TYPE, "Content-Type: %s", what);
  return FALSE;
}

/* Reads a parameter value at *s (after '=' and spaces) into @out and leaves
 * *s at the ';' or NUL that follows. */
static gboolean
ct_read_value (const gchar ** s, GString * out, GError ** error)
{
  const gchar *p = *s;

  g_string_truncate (out, 0);
  if (*p == '"') {
    p++;
    for (;;) {
      if (*p == '\0')
        return ct_error (error, "unterminated quoted string");
      if (*p == '"')
        break;
      if (*p == '\\') {
        p++;
        if (*p == '\0')
          return ct_error (error, "unterminated quoted string");
      }
      g_string_append_c (out, *p);
      p++;
    }
    p++;
    skip_ows (&p);
    if (*p != ';' && *p != '\0')
      return ct_error (error, "unexpected character after a quoted string");
  } else {
    const gchar *start = p, *end;

    while (*p != ';' && *p != '\0') {
      if (*p == '"')
        return ct_error (error, "stray quote in a parameter value");
      p++;
    }
    end = p;
    while (end > start && is_ws (end[-1]))
      end--;
    g_string_append_len (out, start, end - start);
  }
  *s = p;
  return TRUE;
}

gchar *
seecitv_multipart_boundary_from_content_type (const gchar * value,
    GError ** error)
{
  const gchar *s = value, *start;
  GString *v;
  gchar *boundary = NULL;

  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  skip_ows (&s);
  start = s;
  while (is_tchar (*s))
    s++;
  if (s - start != 9 || g_ascii_strncasecmp (start, "multipart", 9) != 0 ||
      *s != '/') {
    ct_error (error, "not a multipart type");
    return NULL;
  }
  s++;
  start = s;
  while (is_tchar (*s))
    s++;
  if (s == start) {
    ct_error (error, "no multipart subtype");
    return NULL;
  }
  skip_ows (&s);

  v = g_string_new (NULL);
  while (*s != '\0') {
    gsize name_len;

    if (*s != ';') {
      ct_error (error, "expected ';' before a parameter");
      goto failed;
    }
    s++;
    skip_ows (&s);
    start = s;
    while (is_tchar (*s))
      s++;
    name_len = s - start;
    skip_ows (&s);
    if (*s != '=') {
      /* Not a parameter we can read: skip it, as browsers do. */
      while (*s != ';' && *s != '\0')
        s++;
      continue;
    }
    s++;
    skip_ows (&s);
    if (!ct_read_value (&s, v, error))
      goto failed;
    if (name_len == 8 && g_ascii_strncasecmp (start, "boundary", 8) == 0) {
      if (boundary != NULL) {
        ct_error (error, "more than one boundary parameter");
        goto failed;
      }
      boundary = g_strndup (v->str, v->len);
      if (!validate_boundary (boundary, v->len, error))
        goto failed;
    }
  }
  g_string_free (v, TRUE);
  if (boundary == NULL)
    ct_error (error, "no boundary parameter");
  return boundary;

failed:
  g_string_free (v, TRUE);
  g_free (boundary);
  return NULL;
}

/* Parts */

void
seecitv_multipart_part_free (SeecitvMultipartPart * part)
{
  if (part == NULL)
    return;
  g_bytes_unref (part->payload);
  g_free (part->content_type);
  g_free (part);
}

/* Parser */

static void
clear_delims (SeecitvMultipartParser * p)
{
  g_clear_pointer (&p->delim[0], g_free);
  g_clear_pointer (&p->delim[1], g_free);
  p->delim_len[0] = p->delim_len[1] = 0;
  p->n_delims = 0;
}

static void
setup_delims (SeecitvMultipartParser * p)
{
  clear_delims (p);
  if (p->boundary == NULL)
    return;
  p->delim[0] = g_strconcat ("--", p->boundary, NULL);
  p->delim_len[0] = strlen (p->delim[0]);
  p->n_delims = 1;
  if (g_str_has_prefix (p->boundary, "--")) {
    p->delim[1] = g_strdup (p->boundary);
    p->delim_len[1] = strlen (p->delim[1]);
    p->n_delims = 2;
  }
}

static void
clear_part (SeecitvMultipartParser * p)
{
  g_clear_pointer (&p->content_type, g_free);
  g_clear_pointer (&p->body, g_free);
  p->content_length = G_MAXUINT64;
  p->x_timestamp = G_MAXUINT64;
  p->grab_time = G_MAXUINT64;
  p->capture_time = G_MAXUINT64;
  p->body_filled = 0;
  p->part_offset = 0;
}

static void
enter_seek (SeecitvMultipartParser * p)
{
  p->state = STATE_SEEK;
  p->checked = FALSE;
  p->skipped = 0;
  p->scan = p->pos;
}

static void
enter_headers (SeecitvMultipartParser * p)
{
  clear_part (p);
  p->state = STATE_HEADERS;
  p->checked = FALSE;
  p->scan = p->line_start = p->pos;
}

static void
enter_epilogue (SeecitvMultipartParser * p)
{
  clear_part (p);
  p->state = STATE_EPILOGUE;
  p->closed = TRUE;
  p->pos = p->len;
}

void
seecitv_multipart_parser_reset (SeecitvMultipartParser * p)
{
  g_return_if_fail (p != NULL);

  g_queue_clear_full (&p->parts, (GDestroyNotify) seecitv_multipart_part_free);
  clear_part (p);
  if (p->boundary == NULL)
    clear_delims (p);
  if (p->alloc > SHRINK_THRESHOLD) {
    g_clear_pointer (&p->buf, g_free);
    p->alloc = 0;
  }
  p->len = p->pos = 0;
  p->base = 0;
  p->cand = p->line_start = 0;
  p->junk = 0;
  p->closed = FALSE;
  enter_seek (p);
}

SeecitvMultipartParser *
seecitv_multipart_parser_new (const gchar * boundary, GError ** error)
{
  SeecitvMultipartParser *p;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (boundary != NULL &&
      !validate_boundary (boundary, strlen (boundary), error))
    return NULL;

  p = g_new0 (SeecitvMultipartParser, 1);
  p->boundary = g_strdup (boundary);
  p->max_part_size = SEECITV_MULTIPART_DEFAULT_MAX_PART_SIZE;
  p->max_header_size = SEECITV_MULTIPART_DEFAULT_MAX_HEADER_SIZE;
  g_queue_init (&p->parts);
  setup_delims (p);
  seecitv_multipart_parser_reset (p);
  return p;
}

void
seecitv_multipart_parser_free (SeecitvMultipartParser * p)
{
  if (p == NULL)
    return;
  g_queue_clear_full (&p->parts, (GDestroyNotify) seecitv_multipart_part_free);
  clear_part (p);
  clear_delims (p);
  g_free (p->boundary);
  g_free (p->buf);
  g_free (p);
}

gboolean
seecitv_multipart_parser_set_boundary (SeecitvMultipartParser * p,
    const gchar * boundary, GError ** error)
{
  g_return_val_if_fail (p != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (boundary != NULL &&
      !validate_boundary (boundary, strlen (boundary), error))
    return FALSE;
  g_free (p->boundary);
  p->boundary = g_strdup (boundary);
  setup_delims (p);
  seecitv_multipart_parser_reset (p);
  return TRUE;
}

void
seecitv_multipart_parser_set_max_part_size (SeecitvMultipartParser * p,
    gsize max_part_size)
{
  g_return_if_fail (p != NULL);
  g_return_if_fail (max_part_size > 0);
  g_return_if_fail (max_part_size <= SEECITV_MULTIPART_MAX_PART_SIZE_LIMIT);

  p->max_part_size = max_part_size;
}

void
seecitv_multipart_parser_set_max_header_size (SeecitvMultipartParser * p,
    gsize max_header_size)
{
  g_return_if_fail (p != NULL);
  g_return_if_fail (max_header_size > 0);
  g_return_if_fail (max_header_size <= SEECITV_MULTIPART_MAX_PART_SIZE_LIMIT);

  p->max_header_size = max_header_size;
}

gboolean
seecitv_multipart_parser_is_closed (SeecitvMultipartParser * p)
{
  g_return_val_if_fail (p != NULL, FALSE);

  return p->closed;
}

SeecitvMultipartPart *
seecitv_multipart_parser_pop (SeecitvMultipartParser * p)
{
  g_return_val_if_fail (p != NULL, NULL);

  return g_queue_pop_head (&p->parts);
}

/* Delimiter matching */

/* Is d[0, avail) the start of the delimiter line @delim? The line may go on
 * with "--" (close: the line ending is not waited for, the stream is over),
 * or with padding and CRLF / LF. */
static Match
match_one (const gchar * delim, gsize dlen, const guint8 * d, gsize avail,
    gsize * consumed)
{
  gsize t, pad = 0;

  if (memcmp (d, delim, MIN (avail, dlen)) != 0)
    return MATCH_NO;
  if (avail <= dlen)
    return MATCH_MORE;
  t = dlen;
  if (d[t] == '-') {
    if (t + 1 == avail)
      return MATCH_MORE;
    if (d[t + 1] != '-')
      return MATCH_NO;
    *consumed = t + 2;
    return MATCH_CLOSE;
  }
  while (t < avail && is_ws (d[t])) {
    if (++pad > MAX_PADDING)
      return MATCH_NO;
    t++;
  }
  if (t == avail)
    return MATCH_MORE;
  if (d[t] == '\r') {
    t++;
    if (t == avail)
      return MATCH_MORE;
  }
  if (d[t] != '\n')
    return MATCH_NO;
  *consumed = t + 1;
  return MATCH_DELIM;
}

/* Without a boundary, a complete first line "--<boundary>" defines the
 * delimiter. */
static Match
match_learn (SeecitvMultipartParser * p, const guint8 * d, gsize avail,
    gsize * consumed)
{
  const guint8 *lf;
  gsize end;

  if (avail == 0)
    return MATCH_MORE;
  if (d[0] != '-')
    return MATCH_NO;
  if (avail == 1)
    return MATCH_MORE;
  if (d[1] != '-')
    return MATCH_NO;
  lf = memchr (d, '\n', MIN (avail, MAX_LEARN_LINE));
  if (lf == NULL)
    return avail < MAX_LEARN_LINE ? MATCH_MORE : MATCH_NO;
  end = lf - d;
  while (end > 2 && (is_ws (d[end - 1]) || d[end - 1] == '\r'))
    end--;
  if (!validate_boundary ((const gchar *) d + 2, end - 2, NULL))
    return MATCH_NO;
  p->delim[0] = g_strndup ((const gchar *) d, end);
  p->delim_len[0] = end;
  p->n_delims = 1;
  *consumed = lf - d + 1;
  return MATCH_DELIM;
}

static Match
match_delim (SeecitvMultipartParser * p, const guint8 * d, gsize avail,
    gsize * consumed, gboolean may_learn)
{
  gboolean more = FALSE;
  guint i;

  if (p->n_delims == 0)
    return may_learn ? match_learn (p, d, avail, consumed) : MATCH_NO;
  /* The two delimiters differ at the first byte after the shorter one's
   * dashes, so at most one of them can match. */
  for (i = 0; i < p->n_delims; i++) {
    Match m = match_one (p->delim[i], p->delim_len[i], d, avail, consumed);

    if (m == MATCH_DELIM || m == MATCH_CLOSE)
      return m;
    if (m == MATCH_MORE)
      more = TRUE;
  }
  return more ? MATCH_MORE : MATCH_NO;
}

/* Headers */

static gboolean
parse_uint64 (const gchar * s, guint64 * out, gboolean * overflow)
{
  guint64 v = 0;

  *overflow = FALSE;
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++) {
    guint d;

    if (!g_ascii_isdigit (*s))
      return FALSE;
    d = *s - '0';
    if (v > (G_MAXUINT64 - d) / 10)
      *overflow = TRUE;
    else
      v = v * 10 + d;
  }
  *out = *overflow ? G_MAXUINT64 : v;
  return TRUE;
}

/* "<seconds>[.<fraction>]" to nanoseconds, below G_MAXUINT64. */
static gboolean
parse_seconds (const gchar * s, guint64 * out)
{
  guint64 sec = 0, frac = 0;
  guint n_sec = 0, n_frac = 0;

  /* sec <= limit keeps sec * 10^9 + 999999999 below G_MAXUINT64 */
  const guint64 limit = G_MAXUINT64 / G_GUINT64_CONSTANT (1000000000) - 1;

  for (; g_ascii_isdigit (*s); s++, n_sec++) {
    guint d = *s - '0';

    if (sec > (limit - d) / 10)
      return FALSE;
    sec = sec * 10 + d;
  }
  if (*s == '.') {
    for (s++; g_ascii_isdigit (*s); s++, n_frac++) {
      if (n_frac < 9)
        frac = frac * 10 + (*s - '0');
    }
  }
  if (*s != '\0' || n_sec + n_frac == 0)
    return FALSE;
  for (; n_frac < 9; n_frac++)
    frac *= 10;
  *out = sec * G_GUINT64_CONSTANT (1000000000) + frac;
  return TRUE;
}

/* One header, its value unfolded and trimmed (no control characters). */
static gboolean
interpret_header (SeecitvMultipartParser * p, const guint8 * name,
    gsize name_len, const gchar * value, GError ** error)
{
#define IS(n) (name_len == sizeof (n) - 1 && \
    g_ascii_strncasecmp ((const gchar *) name, n, name_len) == 0)
  guint64 v;
  gboolean overflow;

  if (IS ("content-type")) {
    const gchar *c;

    if (p->content_type != NULL)
      return TRUE;
    for (c = value; *c != '\0'; c++) {
      if ((guint8) * c > 0x7e)
        return fail (p, error, SEECITV_MULTIPART_ERROR_SYNTAX,
            "Content-Type of a part is not ASCII");
    }
    /* tabs inside become spaces: the value is printable ASCII */
    p->content_type = g_strdelimit (g_strdup (value), "\t", ' ');
  } else if (IS ("content-length")) {
    if (!parse_uint64 (value, &v, &overflow))
      return fail (p, error, SEECITV_MULTIPART_ERROR_SYNTAX,
          "bad Content-Length of a part");
    if (p->content_length != G_MAXUINT64 && p->content_length != v)
      return fail (p, error, SEECITV_MULTIPART_ERROR_SYNTAX,
          "conflicting Content-Length headers in a part");
    if (overflow)
      return fail (p, error, SEECITV_MULTIPART_ERROR_PART_TOO_LARGE,
          "part Content-Length does not fit in 64 bits");
    if (v > p->max_part_size)
      return fail (p, error, SEECITV_MULTIPART_ERROR_PART_TOO_LARGE,
          "part Content-Length %" G_GUINT64_FORMAT " is larger than the "
          "limit of %" G_GSIZE_FORMAT " bytes", v, p->max_part_size);
    p->content_length = v;
  } else if (IS ("x-seecitv-capture-time")) {
    if (!parse_uint64 (value, &v, &overflow) || overflow || v == G_MAXUINT64)
      return fail (p, error, SEECITV_MULTIPART_ERROR_SYNTAX,
          "bad X-Seecitv-Capture-Time of a part");
    if (p->capture_time != G_MAXUINT64 && p->capture_time != v)
      return fail (p, error, SEECITV_MULTIPART_ERROR_SYNTAX,
          "conflicting X-Seecitv-Capture-Time headers in a part");
    p->capture_time = v;
  } else if (IS ("x-timestamp")) {
    /* Third-party clocks: a value we cannot read is no timestamp. */
    if (p->x_timestamp == G_MAXUINT64 && parse_seconds (value, &v))
      p->x_timestamp = v;
  } else if (IS ("x-ustreamer-grab-time") ||
      IS ("x-ustreamer-grab-begin-time") || IS ("x-ustreamer-grab-timestamp")) {
    if (p->grab_time == G_MAXUINT64 && parse_seconds (value, &v))
      p->grab_time = v;
  }
  return TRUE;
#undef IS
}

/* Parses the header block d[0, n): complete lines, each ending in '\n', no
 * blank line. */
static gboolean
parse_headers (SeecitvMultipartParser * p, const guint8 * d, gsize n,
    GError ** error)
{
  const guint8 *line = d, *end = d + n;
  const guint8 *name = NULL;
  gsize name_len = 0;
  GString *value = g_string_sized_new (64);
  gboolean ok = TRUE;

  while (ok && line < end) {
    const guint8 *lf = memchr (line, '\n', end - line);
    const guint8 *stop = lf, *c, *v;

    g_assert (lf != NULL);
    if (stop > line && stop[-1] == '\r')
      stop--;
    for (c = line; c < stop; c++) {
      if ((*c < 0x20 && *c != '\t') || *c == 0x7f)
        break;
    }
    if (c < stop) {
      ok = fail (p, error, SEECITV_MULTIPART_ERROR_SYNTAX,
          "control character 0x%02x in a part header", *c);
      break;
    }
    while (stop > line && is_ws (stop[-1]))
      stop--;

    if (is_ws (*line)) {
      /* obs-fold: joined with one space, as HTTP clients do */
      if (name == NULL) {
        ok = fail (p, error, SEECITV_MULTIPART_ERROR_SYNTAX,
            "part header block starts with a continuation line");
        break;
      }
      for (v = line; v < stop && is_ws (*v); v++);
      if (v < stop) {
        if (value->len > 0)
          g_string_append_c (value, ' ');
        g_string_append_len (value, (const gchar *) v, stop - v);
      }
    } else {
      const guint8 *colon;

      if (name != NULL)
        ok = interpret_header (p, name, name_len, value->str, error);
      if (!ok)
        break;
      colon = memchr (line, ':', stop - line);
      if (colon == NULL) {
        ok = fail (p, error, SEECITV_MULTIPART_ERROR_SYNTAX,
            "part header line without ':'");
        break;
      }
      name = line;
      name_len = colon - line;
      while (name_len > 0 && is_ws (name[name_len - 1]))
        name_len--;
      for (c = name; c < name + name_len && is_tchar (*c); c++);
      if (name_len == 0 || c < name + name_len) {
        ok = fail (p, error, SEECITV_MULTIPART_ERROR_SYNTAX,
            "bad part header name");
        break;
      }
      for (v = colon + 1; v < stop && is_ws (*v); v++);
      g_string_truncate (value, 0);
      g_string_append_len (value, (const gchar *) v, stop - v);
    }
    line = lf + 1;
  }
  if (ok && name != NULL)
    ok = interpret_header (p, name, name_len, value->str, error);
  g_string_free (value, TRUE);
  return ok;
}

/* States */

static void
emit (SeecitvMultipartParser * p, GBytes * payload)
{
  SeecitvMultipartPart *part = g_new0 (SeecitvMultipartPart, 1);

  part->payload = payload;
  part->content_type = g_steal_pointer (&p->content_type);
  part->content_length = p->content_length;
  if (p->capture_time != G_MAXUINT64) {
    part->timestamp = p->capture_time;
    part->timestamp_source = SEECITV_MULTIPART_TIMESTAMP_SEECITV;
  } else if (p->grab_time != G_MAXUINT64) {
    part->timestamp = p->grab_time;
    part->timestamp_source = SEECITV_MULTIPART_TIMESTAMP_USTREAMER_GRAB;
  } else if (p->x_timestamp != G_MAXUINT64) {
    part->timestamp = p->x_timestamp;
    part->timestamp_source = SEECITV_MULTIPART_TIMESTAMP_X_TIMESTAMP;
  } else {
    part->timestamp = G_MAXUINT64;
    part->timestamp_source = SEECITV_MULTIPART_TIMESTAMP_NONE;
  }
  part->junk_bytes = p->junk;
  part->offset = p->part_offset;
  p->junk = 0;
  g_queue_push_tail (&p->parts, part);
  clear_part (p);
}

static void
finish_length_part (SeecitvMultipartParser * p)
{
  gsize n = p->content_length;

  emit (p, g_bytes_new_take (g_steal_pointer (&p->body), n));
  enter_seek (p);
}

static void
enter_body (SeecitvMultipartParser * p)
{
  p->part_offset = p->base + p->pos;
  if (p->content_length != G_MAXUINT64) {
    /* <= max_part_size, checked with the header */
    p->body = p->content_length > 0 ? g_malloc (p->content_length) : NULL;
    p->body_filled = 0;
    p->state = STATE_BODY_LENGTH;
  } else {
    p->state = STATE_BODY_SCAN;
    p->cand = p->scan = p->pos;
    p->checked = FALSE;
  }
}

static Step
step_seek (SeecitvMultipartParser * p, GError ** error)
{
  const guint8 *lf;
  gsize consumed = 0, end;

  if (!p->checked) {
    switch (match_delim (p, p->buf + p->pos, p->len - p->pos, &consumed,
            TRUE)) {
      case MATCH_MORE:
        return STEP_WAIT;
      case MATCH_DELIM:
        p->pos += consumed;
        enter_headers (p);
        return STEP_CONTINUE;
      case MATCH_CLOSE:
        p->pos += consumed;
        enter_epilogue (p);
        return STEP_CONTINUE;
      case MATCH_NO:
        p->checked = TRUE;
        p->scan = p->pos;
        break;
    }
  }

  /* A line that is not a delimiter: skip it, within bounds. */
  lf = memchr (p->buf + p->scan, '\n', p->len - p->scan);
  if (lf == NULL) {
    p->scan = p->len;
    /* the line will be at least one '\n' longer */
    if (p->skipped + (p->len - p->pos) + 1 > p->max_header_size)
      goto too_much;
    return STEP_WAIT;
  }
  end = lf - p->buf + 1;
  p->skipped += end - p->pos;
  if (p->skipped > p->max_header_size)
    goto too_much;
  if (!is_blank (p->buf + p->pos, end - p->pos))
    p->junk += end - p->pos;
  p->pos = end;
  p->checked = FALSE;
  return STEP_CONTINUE;

too_much:
  fail (p, error, SEECITV_MULTIPART_ERROR_NO_BOUNDARY,
      "no boundary delimiter in more than %" G_GSIZE_FORMAT " bytes",
      p->max_header_size);
  return STEP_ERROR;
}

static Step
step_headers (SeecitvMultipartParser * p, GError ** error)
{
  const guint8 *lf;
  gsize consumed = 0, i;

  if (!p->checked) {
    /* A delimiter where headers were expected: an empty part, skipped. */
    switch (match_delim (p, p->buf + p->pos, p->len - p->pos, &consumed,
            FALSE)) {
      case MATCH_MORE:
        return STEP_WAIT;
      case MATCH_DELIM:
        p->pos += consumed;
        enter_headers (p);
        return STEP_CONTINUE;
      case MATCH_CLOSE:
        p->pos += consumed;
        enter_epilogue (p);
        return STEP_CONTINUE;
      case MATCH_NO:
        p->checked = TRUE;
        break;
    }
  }

  lf = memchr (p->buf + p->scan, '\n', p->len - p->scan);
  if (lf == NULL) {
    p->scan = p->len;
    /* the block will be at least one '\n' longer */
    if (p->len - p->pos >= p->max_header_size)
      goto too_large;
    return STEP_WAIT;
  }
  i = lf - p->buf;
  if (!is_blank (p->buf + p->line_start, i - p->line_start)) {
    p->scan = p->line_start = i + 1;
    /* the blank line is still to come */
    if (i + 1 - p->pos >= p->max_header_size)
      goto too_large;
    return STEP_CONTINUE;
  }
  if (i + 1 - p->pos > p->max_header_size)
    goto too_large;
  if (!parse_headers (p, p->buf + p->pos, p->line_start - p->pos, error))
    return STEP_ERROR;
  p->pos = i + 1;
  enter_body (p);
  return STEP_CONTINUE;

too_large:
  fail (p, error, SEECITV_MULTIPART_ERROR_HEADER_TOO_LARGE,
      "part header block larger than %" G_GSIZE_FORMAT " bytes",
      p->max_header_size);
  return STEP_ERROR;
}

static Step
step_body_length (SeecitvMultipartParser * p)
{
  gsize n = MIN (p->len - p->pos, p->content_length - p->body_filled);

  if (n > 0) {
    memcpy (p->body + p->body_filled, p->buf + p->pos, n);
    p->body_filled += n;
    p->pos += n;
  }
  if (p->body_filled < p->content_length)
    return STEP_WAIT;
  finish_length_part (p);
  return STEP_CONTINUE;
}

/* Where the payload ends if the line at @cand is a delimiter: the line
 * break before it is not payload. */
static gsize
payload_end (SeecitvMultipartParser * p, gsize cand)
{
  gsize i;

  if (cand == p->pos)
    return p->pos;
  i = cand - 1;                 /* the '\n' */
  if (i > p->pos && p->buf[i - 1] == '\r')
    i--;
  return i;
}

static Step
step_body_scan (SeecitvMultipartParser * p, GError ** error)
{
  const guint8 *lf;
  gsize consumed = 0, end;
  Match m;

  for (;;) {
    if (!p->checked) {
      m = match_delim (p, p->buf + p->cand, p->len - p->cand, &consumed,
          FALSE);
      if (m == MATCH_MORE) {
        if (payload_end (p, p->cand) - p->pos > p->max_part_size)
          goto too_large;
        return STEP_WAIT;
      }
      if (m != MATCH_NO) {
        end = payload_end (p, p->cand);
        if (end - p->pos > p->max_part_size)
          goto too_large;
        emit (p, g_bytes_new (p->buf + p->pos, end - p->pos));
        p->pos = p->cand + consumed;
        if (m == MATCH_CLOSE)
          enter_epilogue (p);
        else
          enter_headers (p);
        return STEP_CONTINUE;
      }
      p->checked = TRUE;
      p->scan = p->cand;
    }
    lf = memchr (p->buf + p->scan, '\n', p->len - p->scan);
    if (lf == NULL) {
      p->scan = p->len;
      /* all of it is payload, but for a '\r' before a delimiter */
      end = p->len;
      if (end > p->pos && p->buf[end - 1] == '\r')
        end--;
      if (end - p->pos > p->max_part_size)
        goto too_large;
      return STEP_WAIT;
    }
    p->cand = lf - p->buf + 1;
    p->checked = FALSE;
  }

too_large:
  fail (p, error, SEECITV_MULTIPART_ERROR_PART_TOO_LARGE,
      "part without Content-Length larger than %" G_GSIZE_FORMAT " bytes",
      p->max_part_size);
  return STEP_ERROR;
}

static gboolean
process (SeecitvMultipartParser * p, GError ** error)
{
  for (;;) {
    Step s = STEP_WAIT;

    switch (p->state) {
      case STATE_SEEK:
        s = step_seek (p, error);
        break;
      case STATE_HEADERS:
        s = step_headers (p, error);
        break;
      case STATE_BODY_LENGTH:
        s = step_body_length (p);
        break;
      case STATE_BODY_SCAN:
        s = step_body_scan (p, error);
        break;
      case STATE_EPILOGUE:
        p->pos = p->len;
        s = STEP_WAIT;
        break;
      case STATE_ERROR:
      case STATE_ENDED:
        g_assert_not_reached ();
        break;
    }
    if (s == STEP_ERROR)
      return FALSE;
    if (s == STEP_WAIT)
      return TRUE;
  }
}

static inline gsize
rebase (gsize index, gsize by)
{
  return index >= by ? index - by : 0;
}

/* Drops the consumed bytes. Each byte is moved at most once or twice: pos
 * only moves past a complete unit (line, header block, part). */
static void
compact (SeecitvMultipartParser * p)
{
  gsize by = p->pos;

  if (by > 0) {
    memmove (p->buf, p->buf + by, p->len - by);
    p->len -= by;
    p->base += by;
    p->pos = 0;
    p->scan = rebase (p->scan, by);
    p->cand = rebase (p->cand, by);
    p->line_start = rebase (p->line_start, by);
  }
  if (p->alloc > SHRINK_THRESHOLD && p->len < p->alloc / 4) {
    p->alloc = MAX (p->len * 2, SLICE_SIZE);
    p->buf = g_realloc (p->buf, p->alloc);
  }
}

static void
append (SeecitvMultipartParser * p, const guint8 * data, gsize n)
{
  if (p->alloc - p->len < n) {
    gsize need = p->len + n;
    gsize alloc = MAX (p->alloc, 4096);

    /* bounded by the limits (at most 1 GiB each) and SLICE_SIZE */
    g_assert (need > p->len);
    while (alloc < need)
      alloc *= 2;
    p->buf = g_realloc (p->buf, alloc);
    p->alloc = alloc;
  }
  memcpy (p->buf + p->len, data, n);
  p->len += n;
}

gboolean
seecitv_multipart_parser_feed (SeecitvMultipartParser * p,
    const guint8 * data, gsize len, GError ** error)
{
  g_return_val_if_fail (p != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (p->state == STATE_ERROR || p->state == STATE_ENDED) {
    g_set_error (error, SEECITV_MULTIPART_ERROR, SEECITV_MULTIPART_ERROR_STATE,
        "multipart parser fed after %s without a reset",
        p->state == STATE_ERROR ? "an error" : "the end");
    return FALSE;
  }

  while (len > 0) {
    gsize n;

    if (p->state == STATE_EPILOGUE)
      break;
    if (p->state == STATE_BODY_LENGTH && p->pos == p->len) {
      /* fast path: straight into the part, not through buf */
      n = MIN (len, p->content_length - p->body_filled);
      memcpy (p->body + p->body_filled, data, n);
      p->body_filled += n;
      p->base += n;
      data += n;
      len -= n;
      if (p->body_filled == p->content_length)
        finish_length_part (p);
      continue;
    }
    n = MIN (len, SLICE_SIZE);
    append (p, data, n);
    data += n;
    len -= n;
    if (!process (p, error))
      return FALSE;
    compact (p);
  }
  return TRUE;
}

gboolean
seecitv_multipart_parser_end (SeecitvMultipartParser * p, GError ** error)
{
  gboolean in_part;

  g_return_val_if_fail (p != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (p->state == STATE_ERROR || p->state == STATE_ENDED) {
    g_set_error (error, SEECITV_MULTIPART_ERROR, SEECITV_MULTIPART_ERROR_STATE,
        "multipart parser ended after %s without a reset",
        p->state == STATE_ERROR ? "an error" : "the end");
    return FALSE;
  }
  /* A delimiter with nothing after it opened no part: ffmpeg's mpjpeg
   * muxer ends its files that way. */
  in_part = (p->state == STATE_HEADERS && p->len > p->pos) ||
      p->state == STATE_BODY_LENGTH || p->state == STATE_BODY_SCAN;
  if (in_part) {
    /* fail () marks the error state; the end state is what we want. */
    fail (p, error, SEECITV_MULTIPART_ERROR_TRUNCATED,
        "input ended inside a part");
  }
  clear_part (p);
  p->state = STATE_ENDED;
  return !in_part;
}
