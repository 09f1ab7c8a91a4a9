/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The parser and printer of the polygon and zone grammar documented in
 * polygon.h: one hand-written, single-pass, left-to-right scanner over a
 * NUL-terminated string, and a printer whose output always parses back.
 * Every error has one format, "at character N: <what was expected>, got
 * '<c>'" (or "got end of input"), N counting bytes from 1, non-printable
 * bytes escaped as \xNN. The first mistake from the left wins. N is the
 * offending byte, except where a whole token is wrong: a number out of range
 * or a duplicate zone name is quoted whole and N is its first byte. A zone
 * name with a character outside [A-Za-z0-9_-] is a NAME error, a name cut
 * short by ';' or the end a SYNTAX one. Zero items parse to a NULL array.
 * Rasterising, and anything else that needs more than GLib, lives elsewhere.
 */

#include "polygon.h"

#include <string.h>

G_DEFINE_QUARK (seecitv-parse-error-quark, seecitv_parse_error);

/* How much of a token an error message quotes: a hostile string must not
 * turn into a megabyte-long message. */
#define MAX_QUOTED_LEN 32

typedef struct
{
  const gchar *str;             /* start of the input, for positions */
  const gchar *p;               /* next byte to read */
  GError **error;
} Parser;

static inline gboolean
is_ws (gchar c)
{
  return c == ' ' || c == '\t';
}

static inline gboolean
is_digit (gchar c)
{
  return c >= '0' && c <= '9';
}

static inline gboolean
is_name_char (gchar c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-';
}

static inline gboolean
is_item_end (gchar c)
{
  return c == ';' || c == '\0';
}

static void
skip_ws (Parser * ps)
{
  while (is_ws (*ps->p))
    ps->p++;
}

/* Appends @len bytes of @s to @out, quoted, escaping what is not printable
 * ASCII so that the message stays valid UTF-8 whatever the input was. */
static void
append_quoted (GString * out, const gchar * s, gsize len)
{
  gsize i;

  g_string_append_c (out, '\'');
  for (i = 0; i < len && i < MAX_QUOTED_LEN; i++) {
    guchar c = (guchar) s[i];

    if (c == '\'' || c == '\\')
      g_string_append_printf (out, "\\%c", c);
    else if (c >= 0x20 && c < 0x7f)
      g_string_append_c (out, c);
    else
      g_string_append_printf (out, "\\x%02x", c);
  }
  if (len > MAX_QUOTED_LEN)
    g_string_append (out, "...");
  g_string_append_c (out, '\'');
}

/* Fails at @at, quoting @got_len bytes from there (0: the single byte at
 * @at, or "end of input"). Always returns FALSE, for tail calls. */
static gboolean
fail_full (Parser * ps, const gchar * at, SeecitvParseError code,
    const gchar * expected, gsize got_len)
{
  GString *msg;

  if (ps->error == NULL)
    return FALSE;

  msg = g_string_new (NULL);
  g_string_append_printf (msg, "at character %" G_GSIZE_FORMAT ": %s, got ",
      (gsize) (at - ps->str) + 1, expected);
  if (*at == '\0')
    g_string_append (msg, "end of input");
  else
    append_quoted (msg, at, got_len ? got_len : 1);
  g_set_error_literal (ps->error, SEECITV_PARSE_ERROR, code, msg->str);
  g_string_free (msg, TRUE);
  return FALSE;
}

static gboolean
fail (Parser * ps, SeecitvParseError code, const gchar * expected)
{
  return fail_full (ps, ps->p, code, expected, 0);
}

/* number = digits ["." digits] | "." digits, in [0,1]. The range is checked
 * on the text, not on the double: "1.0000000000000000001" rounds to 1.0 but
 * is still out of range. */
static gboolean
parse_number (Parser * ps, gdouble * out)
{
  const gchar *start = ps->p;
  const gchar *int_start, *int_end;
  gboolean in_range;
  gchar buf[64];
  gsize len;

  if (!is_digit (*ps->p) && *ps->p != '.')
    return fail (ps, SEECITV_PARSE_ERROR_SYNTAX, "expected a number");

  while (*ps->p == '0')
    ps->p++;
  int_start = ps->p;
  while (is_digit (*ps->p))
    ps->p++;
  int_end = ps->p;

  /* Leading zeros skipped: the integer part is "" (zero) or "1", or the
   * number is above 1 whatever its fraction. */
  in_range = int_end == int_start ||
      (int_end == int_start + 1 && *int_start == '1');

  if (*ps->p == '.') {
    gboolean fraction_is_zero = TRUE;

    ps->p++;
    if (!is_digit (*ps->p))
      return fail (ps, SEECITV_PARSE_ERROR_SYNTAX, "expected a digit");
    while (is_digit (*ps->p)) {
      if (*ps->p != '0')
        fraction_is_zero = FALSE;
      ps->p++;
    }
    if (int_end != int_start && !fraction_is_zero)
      in_range = FALSE;
  }

  if (!in_range)
    return fail_full (ps, start, SEECITV_PARSE_ERROR_RANGE,
        "expected a number between 0 and 1", ps->p - start);

  /* A copy, so that g_ascii_strtod () sees exactly the token (it would
   * otherwise also accept an exponent after it); on the stack unless it is
   * unusually long. */
  len = ps->p - start;
  if (len < sizeof (buf)) {
    memcpy (buf, start, len);
    buf[len] = '\0';
    *out = g_ascii_strtod (buf, NULL);
  } else {
    gchar *text = g_strndup (start, len);

    *out = g_ascii_strtod (text, NULL);
    g_free (text);
  }
  return TRUE;
}

/* polygon = point (SP point){2,}; stops before the ';' or the end of input
 * that ends the item. On failure @out is untouched. */
static gboolean
parse_polygon (Parser * ps, SeecitvPolygon * out)
{
  GArray *points = g_array_new (FALSE, FALSE, sizeof (SeecitvPoint));

  skip_ws (ps);
  if (is_item_end (*ps->p)) {
    fail (ps, SEECITV_PARSE_ERROR_SYNTAX, "expected a number");
    goto error;
  }

  for (;;) {
    SeecitvPoint pt;
    const gchar *after_point;

    if (points->len == SEECITV_MAX_POINTS) {
      fail (ps, SEECITV_PARSE_ERROR_TOO_LARGE,
          "expected at most " G_STRINGIFY (SEECITV_MAX_POINTS)
          " points in a polygon");
      goto error;
    }
    if (!parse_number (ps, &pt.x))
      goto error;
    skip_ws (ps);
    if (*ps->p != ',') {
      fail (ps, SEECITV_PARSE_ERROR_SYNTAX, "expected ','");
      goto error;
    }
    ps->p++;
    skip_ws (ps);
    if (!parse_number (ps, &pt.y))
      goto error;
    g_array_append_val (points, pt);

    after_point = ps->p;
    skip_ws (ps);
    if (is_item_end (*ps->p)) {
      if (points->len < 3) {
        fail (ps, SEECITV_PARSE_ERROR_POINTS,
            "expected at least 3 points in a polygon");
        goto error;
      }
      break;
    }
    if (ps->p == after_point) {
      fail (ps, SEECITV_PARSE_ERROR_SYNTAX,
          "expected ' ', ';' or end of input");
      goto error;
    }
    if (!is_digit (*ps->p) && *ps->p != '.') {
      fail (ps, SEECITV_PARSE_ERROR_SYNTAX, points->len < 3 ?
          "expected a number" : "expected a number, ';' or end of input");
      goto error;
    }
  }

  out->n_points = points->len;
  out->points = (SeecitvPoint *) g_array_free (points, FALSE);
  return TRUE;

error:
  g_array_free (points, TRUE);
  return FALSE;
}

static void
polygon_clear (SeecitvPolygon * polygon)
{
  g_clear_pointer (&polygon->points, g_free);
  polygon->n_points = 0;
}

static void
zone_clear (SeecitvZone * zone)
{
  g_clear_pointer (&zone->name, g_free);
  polygon_clear (&zone->polygon);
}

/* Moves to the first byte of the next item, or fails on an empty one. Also
 * enforces the item count, @n_items being the number already parsed. */
static gboolean
begin_item (Parser * ps, guint n_items, const gchar * what,
    const gchar * too_many)
{
  skip_ws (ps);
  if (is_item_end (*ps->p))
    return fail (ps, SEECITV_PARSE_ERROR_SYNTAX, what);
  if (n_items == SEECITV_MAX_POLYGONS)
    return fail (ps, SEECITV_PARSE_ERROR_TOO_LARGE, too_many);
  return TRUE;
}

/* Called after an item: TRUE with more set when a ';' was eaten. */
static void
end_item (Parser * ps, gboolean * more)
{
  g_assert (is_item_end (*ps->p));
  *more = *ps->p == ';';
  if (*more)
    ps->p++;
}

gboolean
seecitv_polygons_parse (const gchar * str, SeecitvPolygon ** polygons,
    guint * n_polygons, GError ** error)
{
  Parser ps = { str ? str : "", str ? str : "", error };
  GArray *items;
  gboolean more = TRUE;

  g_return_val_if_fail (polygons != NULL, FALSE);
  g_return_val_if_fail (n_polygons != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  skip_ws (&ps);
  if (*ps.p == '\0') {
    *polygons = NULL;
    *n_polygons = 0;
    return TRUE;
  }

  items = g_array_new (FALSE, TRUE, sizeof (SeecitvPolygon));
  g_array_set_clear_func (items, (GDestroyNotify) polygon_clear);

  while (more) {
    SeecitvPolygon polygon = { 0, NULL };

    if (!begin_item (&ps, items->len, "expected a number",
            "expected at most " G_STRINGIFY (SEECITV_MAX_POLYGONS)
            " polygons"))
      goto error;
    if (!parse_polygon (&ps, &polygon))
      goto error;
    g_array_append_val (items, polygon);
    end_item (&ps, &more);
  }

  *n_polygons = items->len;
  g_array_set_clear_func (items, NULL);
  *polygons = (SeecitvPolygon *) g_array_free (items, FALSE);
  return TRUE;

error:
  g_array_free (items, TRUE);
  return FALSE;
}

void
seecitv_polygons_free (SeecitvPolygon * polygons, guint n_polygons)
{
  guint i;

  if (polygons == NULL)
    return;
  for (i = 0; i < n_polygons; i++)
    polygon_clear (&polygons[i]);
  g_free (polygons);
}

/* name ":" — leaves ps->p after the ':'. The name must not be one of the
 * @n_zones already parsed. */
static gboolean
parse_zone_name (Parser * ps, const SeecitvZone * zones, guint n_zones,
    gchar ** out)
{
  const gchar *start = ps->p;
  gsize len;
  guint i;

  while (is_name_char (*ps->p)) {
    if (ps->p - start == SEECITV_MAX_NAME_LEN)
      return fail (ps, SEECITV_PARSE_ERROR_TOO_LARGE,
          "expected at most " G_STRINGIFY (SEECITV_MAX_NAME_LEN)
          " characters in a zone name");
    ps->p++;
  }
  len = ps->p - start;
  if (len == 0)
    return fail (ps, SEECITV_PARSE_ERROR_NAME, "expected a zone name");

  if (!is_ws (*ps->p) && *ps->p != ':') {
    if (is_item_end (*ps->p))
      return fail (ps, SEECITV_PARSE_ERROR_SYNTAX, "expected ':'");
    return fail (ps, SEECITV_PARSE_ERROR_NAME,
        "expected a zone name character (A-Z a-z 0-9 _ -) or ':'");
  }

  for (i = 0; i < n_zones; i++) {
    if (strlen (zones[i].name) == len &&
        memcmp (zones[i].name, start, len) == 0)
      return fail_full (ps, start, SEECITV_PARSE_ERROR_NAME,
          "expected a unique zone name", len);
  }

  skip_ws (ps);
  if (*ps->p != ':') {
    /* "front door:": the name goes on after a blank. */
    return fail (ps, is_item_end (*ps->p) ? SEECITV_PARSE_ERROR_SYNTAX :
        SEECITV_PARSE_ERROR_NAME, "expected ':'");
  }
  ps->p++;

  *out = g_strndup (start, len);
  return TRUE;
}

/* zone = name ":" number ":" polygon. On failure @out is untouched. */
static gboolean
parse_zone (Parser * ps, const SeecitvZone * zones, guint n_zones,
    SeecitvZone * out)
{
  gchar *name = NULL;
  gdouble sensitivity;
  SeecitvPolygon polygon = { 0, NULL };

  if (!parse_zone_name (ps, zones, n_zones, &name))
    return FALSE;
  skip_ws (ps);
  if (!parse_number (ps, &sensitivity))
    goto error;
  skip_ws (ps);
  if (*ps->p != ':') {
    fail (ps, SEECITV_PARSE_ERROR_SYNTAX, "expected ':'");
    goto error;
  }
  ps->p++;
  if (!parse_polygon (ps, &polygon))
    goto error;

  out->name = name;
  out->sensitivity = sensitivity;
  out->polygon = polygon;
  return TRUE;

error:
  g_free (name);
  return FALSE;
}

gboolean
seecitv_zones_parse (const gchar * str, SeecitvZone ** zones,
    guint * n_zones, GError ** error)
{
  Parser ps = { str ? str : "", str ? str : "", error };
  GArray *items;
  gboolean more = TRUE;

  g_return_val_if_fail (zones != NULL, FALSE);
  g_return_val_if_fail (n_zones != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  skip_ws (&ps);
  if (*ps.p == '\0') {
    *zones = NULL;
    *n_zones = 0;
    return TRUE;
  }

  items = g_array_new (FALSE, TRUE, sizeof (SeecitvZone));
  g_array_set_clear_func (items, (GDestroyNotify) zone_clear);

  while (more) {
    SeecitvZone zone = { NULL, 0.0, {0, NULL} };

    if (!begin_item (&ps, items->len, "expected a zone name",
            "expected at most " G_STRINGIFY (SEECITV_MAX_POLYGONS)
            " zones"))
      goto error;
    if (!parse_zone (&ps, (const SeecitvZone *) items->data, items->len,
            &zone))
      goto error;
    g_array_append_val (items, zone);
    end_item (&ps, &more);
  }

  *n_zones = items->len;
  g_array_set_clear_func (items, NULL);
  *zones = (SeecitvZone *) g_array_free (items, FALSE);
  return TRUE;

error:
  g_array_free (items, TRUE);
  return FALSE;
}

void
seecitv_zones_free (SeecitvZone * zones, guint n_zones)
{
  guint i;

  if (zones == NULL)
    return;
  for (i = 0; i < n_zones; i++)
    zone_clear (&zones[i]);
  g_free (zones);
}

gboolean
seecitv_name_is_valid (const gchar * name)
{
  gsize len = 0;

  if (name == NULL)
    return FALSE;
  for (; name[len] != '\0'; len++) {
    if (len == SEECITV_MAX_NAME_LEN || !is_name_char (name[len]))
      return FALSE;
  }
  return len > 0;
}

/* Printing */

static gboolean
number_is_valid (gdouble v)
{
  /* FALSE for NaN too. */
  return v >= 0.0 && v <= 1.0;
}

static gboolean
polygon_is_valid (const SeecitvPolygon * polygon)
{
  guint i;

  if (polygon->n_points < 3 || polygon->n_points > SEECITV_MAX_POINTS ||
      polygon->points == NULL)
    return FALSE;
  for (i = 0; i < polygon->n_points; i++) {
    if (!number_is_valid (polygon->points[i].x) ||
        !number_is_valid (polygon->points[i].y))
      return FALSE;
  }
  return TRUE;
}

static gboolean
polygons_are_valid (const SeecitvPolygon * polygons, guint n_polygons)
{
  guint i;

  if (n_polygons > SEECITV_MAX_POLYGONS ||
      (polygons == NULL && n_polygons > 0))
    return FALSE;
  for (i = 0; i < n_polygons; i++) {
    if (!polygon_is_valid (&polygons[i]))
      return FALSE;
  }
  return TRUE;
}

static gboolean
zones_are_valid (const SeecitvZone * zones, guint n_zones)
{
  guint i, j;

  if (n_zones > SEECITV_MAX_POLYGONS || (zones == NULL && n_zones > 0))
    return FALSE;
  for (i = 0; i < n_zones; i++) {
    if (!seecitv_name_is_valid (zones[i].name) ||
        !number_is_valid (zones[i].sensitivity) ||
        !polygon_is_valid (&zones[i].polygon))
      return FALSE;
    for (j = 0; j < i; j++) {
      if (strcmp (zones[i].name, zones[j].name) == 0)
        return FALSE;
    }
  }
  return TRUE;
}

/* Appends @v, in [0,1], as the shortest decimal that reads back as the same
 * double, in plain notation since the grammar has no exponent. The digits
 * come from "%.<p>e" for the smallest precision that round-trips, then are
 * placed around the decimal point by hand. */
static void
append_number (GString * out, gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
  gchar digits[G_ASCII_DTOSTR_BUF_SIZE];
  gsize n_digits = 0;
  gint prec, exponent, i;
  const gchar *s;

  if (v == 0.0) {
    g_string_append_c (out, '0');
    return;
  }

  for (prec = 0; prec < 17; prec++) {
    gchar format[16];

    g_snprintf (format, sizeof (format), "%%.%de", prec);
    g_ascii_formatd (buf, sizeof (buf), format, v);
    if (g_ascii_strtod (buf, NULL) == v)
      break;
  }

  /* buf is "d[.ddd]e(+|-)dd": collect the digits, then the exponent. */
  for (s = buf; *s != 'e' && *s != '\0'; s++) {
    if (is_digit (*s))
      digits[n_digits++] = *s;
  }
  exponent = *s == 'e' ? (gint) g_ascii_strtoll (s + 1, NULL, 10) : 0;
  while (n_digits > 1 && digits[n_digits - 1] == '0')
    n_digits--;

  /* The value is 0.d1d2d3... * 10^(exponent + 1). */
  if (exponent < 0) {
    g_string_append (out, "0.");
    for (i = 0; i < -exponent - 1; i++)
      g_string_append_c (out, '0');
    g_string_append_len (out, digits, n_digits);
  } else {
    for (i = 0; i <= exponent; i++)
      g_string_append_c (out, (gsize) i < n_digits ? digits[i] : '0');
    if ((gsize) exponent + 1 < n_digits) {
      g_string_append_c (out, '.');
      g_string_append_len (out, digits + exponent + 1,
          n_digits - exponent - 1);
    }
  }
}

static void
append_polygon (GString * out, const SeecitvPolygon * polygon)
{
  guint i;

  for (i = 0; i < polygon->n_points; i++) {
    if (i > 0)
      g_string_append_c (out, ' ');
    append_number (out, polygon->points[i].x);
    g_string_append_c (out, ',');
    append_number (out, polygon->points[i].y);
  }
}

/* Both printers refuse (g_return_val_if_fail, NULL) what the parser would
 * refuse, so that their output always parses back. */
gchar *
seecitv_polygons_to_string (const SeecitvPolygon * polygons,
    guint n_polygons)
{
  GString *out;
  guint i;

  g_return_val_if_fail (polygons_are_valid (polygons, n_polygons), NULL);

  out = g_string_new (NULL);
  for (i = 0; i < n_polygons; i++) {
    if (i > 0)
      g_string_append_c (out, ';');
    append_polygon (out, &polygons[i]);
  }
  return g_string_free (out, FALSE);
}

gchar *
seecitv_zones_to_string (const SeecitvZone * zones, guint n_zones)
{
  GString *out;
  guint i;

  g_return_val_if_fail (zones_are_valid (zones, n_zones), NULL);

  out = g_string_new (NULL);
  for (i = 0; i < n_zones; i++) {
    if (i > 0)
      g_string_append_c (out, ';');
    g_string_append (out, zones[i].name);
    g_string_append_c (out, ':');
    append_number (out, zones[i].sensitivity);
    g_string_append_c (out, ':');
    append_polygon (out, &zones[i].polygon);
  }
  return g_string_free (out, FALSE);
}
