/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the polygon and zone grammar (gst-libs/seecitv/polygon.c):
 * valid inputs, every error code with the position it reports, the size
 * bounds, and the parse -> to_string -> parse round trip. Errors are checked
 * by domain, code and the "at character N:" prefix, not by their wording.
 * The fuzz target (tests/fuzz/fuzz-polygon.c) covers the inputs nobody
 * thought of; this file covers the ones somebody did.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <seecitv/polygon.h>

#include <string.h>

/* GstCheck only catches criticals of the GLib and GStreamer log domains;
 * the library logs in the project's, G_LOG_DOMAIN. */
static gboolean expecting_critical;
static guint n_criticals;

static void
critical_handler (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  if (!expecting_critical)
    fail ("unexpected critical/warning: %s", message);
  n_criticals++;
}

#define ASSERT_SEECITV_CRITICAL(code) G_STMT_START {                   \
  n_criticals = 0;                                                      \
  expecting_critical = TRUE;                                            \
  code;                                                                 \
  expecting_critical = FALSE;                                           \
  fail_unless (n_criticals == 1, "expected a critical from: " #code);  \
} G_STMT_END

/* Sentinels: a failed parse must leave the outputs exactly as they were. */
static SeecitvPolygon sentinel_polygon;
static SeecitvZone sentinel_zone;
#define SENTINEL_COUNT 4242

static SeecitvPolygon *
parse_polygons_ok (const gchar * str, guint * n)
{
  SeecitvPolygon *polygons = &sentinel_polygon;
  GError *err = NULL;

  *n = SENTINEL_COUNT;
  if (!seecitv_polygons_parse (str, &polygons, n, &err))
    fail ("'%s' did not parse: %s", str, err->message);
  fail_unless (err == NULL);
  fail_if (polygons == &sentinel_polygon);
  fail_if (*n == SENTINEL_COUNT);
  fail_unless ((*n == 0) == (polygons == NULL));
  return polygons;
}

static SeecitvZone *
parse_zones_ok (const gchar * str, guint * n)
{
  SeecitvZone *zones = &sentinel_zone;
  GError *err = NULL;

  *n = SENTINEL_COUNT;
  if (!seecitv_zones_parse (str, &zones, n, &err))
    fail ("'%s' did not parse: %s", str, err->message);
  fail_unless (err == NULL);
  fail_if (zones == &sentinel_zone);
  fail_if (*n == SENTINEL_COUNT);
  fail_unless ((*n == 0) == (zones == NULL));
  return zones;
}

static void
check_error (const gchar * str, GError * err, SeecitvParseError code,
    guint position)
{
  gchar *prefix;

  fail_unless (err != NULL, "'%s': no error set", str);
  fail_unless (err->domain == SEECITV_PARSE_ERROR,
      "'%s': wrong domain %s", str, g_quark_to_string (err->domain));
  fail_unless (err->code == (gint) code, "'%s': code %d, expected %d", str,
      err->code, code);
  fail_unless (g_utf8_validate (err->message, -1, NULL));
  prefix = g_strdup_printf ("at character %u: ", position);
  fail_unless (g_str_has_prefix (err->message, prefix),
      "'%s': expected position %u, message is '%s'", str, position,
      err->message);
  fail_unless (strstr (err->message, ", got ") != NULL,
      "'%s': message '%s' does not say what it got", str, err->message);
  g_free (prefix);
}

/* Returns the message, to be freed, for the tests that look at it. */
static gchar *
parse_polygons_fail (const gchar * str, SeecitvParseError code,
    guint position)
{
  SeecitvPolygon *polygons = &sentinel_polygon;
  guint n = SENTINEL_COUNT;
  GError *err = NULL;
  gchar *message;

  fail_if (seecitv_polygons_parse (str, &polygons, &n, &err),
      "'%s' parsed as polygons", str);
  fail_unless (polygons == &sentinel_polygon);
  fail_unless_equals_int (n, SENTINEL_COUNT);
  check_error (str, err, code, position);
  message = g_strdup (err->message);
  g_error_free (err);

  /* The same failure without a GError must not crash. */
  fail_if (seecitv_polygons_parse (str, &polygons, &n, NULL));
  fail_unless (polygons == &sentinel_polygon);
  return message;
}

static void
polygons_fail (const gchar * str, SeecitvParseError code, guint position)
{
  g_free (parse_polygons_fail (str, code, position));
}

static void
zones_fail (const gchar * str, SeecitvParseError code, guint position)
{
  SeecitvZone *zones = &sentinel_zone;
  guint n = SENTINEL_COUNT;
  GError *err = NULL;

  fail_if (seecitv_zones_parse (str, &zones, &n, &err),
      "'%s' parsed as zones", str);
  fail_unless (zones == &sentinel_zone);
  fail_unless_equals_int (n, SENTINEL_COUNT);
  check_error (str, err, code, position);
  g_error_free (err);

  fail_if (seecitv_zones_parse (str, &zones, &n, NULL));
  fail_unless (zones == &sentinel_zone);
}

static void
assert_point (const SeecitvPolygon * polygon, guint i, gdouble x, gdouble y)
{
  fail_unless (i < polygon->n_points);
  fail_unless (polygon->points[i].x == x && polygon->points[i].y == y,
      "point %u is %.17g,%.17g, expected %.17g,%.17g", i,
      polygon->points[i].x, polygon->points[i].y, x, y);
}

/* "x,y x,y ..." with @n points, spread over [0,1]. */
static gchar *
make_polygon_string (guint n)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < n; i++)
    g_string_append_printf (s, "%s0.%u,0.%u", i ? " " : "", i % 10,
        (i / 10) % 10);
  return g_string_free (s, FALSE);
}

static gchar *
make_repeated (const gchar * item, guint n, const gchar * sep)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < n; i++)
    g_string_append_printf (s, "%s%s", i ? sep : "", item);
  return g_string_free (s, FALSE);
}

static gchar *
make_zones_string (guint n)
{
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < n; i++)
    g_string_append_printf (s, "%szone%u:0.5:0,0 1,0 1,1", i ? ";" : "", i);
  return g_string_free (s, FALSE);
}

GST_START_TEST (test_polygons_valid)
{
  SeecitvPolygon *p;
  guint n;

  p = parse_polygons_ok ("0,0 1,0 1,1", &n);
  fail_unless_equals_int (n, 1);
  fail_unless_equals_int (p[0].n_points, 3);
  assert_point (&p[0], 0, 0, 0);
  assert_point (&p[0], 1, 1, 0);
  assert_point (&p[0], 2, 1, 1);
  seecitv_polygons_free (p, n);

  p = parse_polygons_ok ("0.25,.5 0.75,0.5 .5,0.125 0.5,1", &n);
  fail_unless_equals_int (n, 1);
  fail_unless_equals_int (p[0].n_points, 4);
  assert_point (&p[0], 0, 0.25, 0.5);
  assert_point (&p[0], 2, 0.5, 0.125);
  assert_point (&p[0], 3, 0.5, 1);
  seecitv_polygons_free (p, n);

  p = parse_polygons_ok ("0,0 1,0 1,1;0.1,0.1 0.2,0.2 0.3,0.1 0.4,0.4;"
      "0.5,0.5 0.6,0.6 0.7,0.5", &n);
  fail_unless_equals_int (n, 3);
  fail_unless_equals_int (p[0].n_points, 3);
  fail_unless_equals_int (p[1].n_points, 4);
  fail_unless_equals_int (p[2].n_points, 3);
  assert_point (&p[1], 3, 0.4, 0.4);
  assert_point (&p[2], 2, 0.7, 0.5);
  seecitv_polygons_free (p, n);
}

GST_END_TEST;

GST_START_TEST (test_polygons_whitespace)
{
  const gchar *variants[] = {
    "0.1,0.2 0.3,0.4 0.5,0.6;0.7,0.8 0.9,1 0,0",
    "  0.1,0.2 0.3,0.4 0.5,0.6;0.7,0.8 0.9,1 0,0  ",
    "\t0.1 , 0.2\t0.3 ,0.4   0.5,\t0.6 ; 0.7,0.8 0.9,1 0,0\t",
    "0.1\t,\t0.2 \t 0.3,0.4 0.5,0.6\t;\t0.7,0.8 0.9,1 0,0",
    "0.1 ,0.2 0.3, 0.4 0.5 , 0.6 ;0.7,0.8 0.9,1 0,0",
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (variants); i++) {
    SeecitvPolygon *p;
    guint n;

    p = parse_polygons_ok (variants[i], &n);
    fail_unless_equals_int (n, 2);
    fail_unless_equals_int (p[0].n_points, 3);
    fail_unless_equals_int (p[1].n_points, 3);
    assert_point (&p[0], 0, 0.1, 0.2);
    assert_point (&p[0], 2, 0.5, 0.6);
    assert_point (&p[1], 1, 0.9, 1);
    assert_point (&p[1], 2, 0, 0);
    seecitv_polygons_free (p, n);
  }
}

GST_END_TEST;

GST_START_TEST (test_polygons_boundaries)
{
  SeecitvPolygon *p;
  gchar *zeros, *str;
  guint n;

  p = parse_polygons_ok ("0,0 1,1 0.0,1.0", &n);
  assert_point (&p[0], 0, 0, 0);
  assert_point (&p[0], 1, 1, 1);
  assert_point (&p[0], 2, 0, 1);
  seecitv_polygons_free (p, n);

  /* Leading and trailing zeros are still 0 and 1. */
  p = parse_polygons_ok ("000.000,001.000 1.0000000000000000000000,.0 "
      "0000,00001", &n);
  assert_point (&p[0], 0, 0, 1);
  assert_point (&p[0], 1, 1, 0);
  assert_point (&p[0], 2, 0, 1);
  seecitv_polygons_free (p, n);

  /* Closest to the ends without touching them. */
  p = parse_polygons_ok ("0.9999999999999999,0.0000000000000001 "
      "0.99999999999999999999999,0.000000000000000000000000000000001 "
      ".5,.5", &n);
  fail_unless (p[0].points[0].x < 1.0);
  fail_unless (p[0].points[0].y > 0.0);
  /* Textually below 1, rounds to 1.0: accepted, it is in range. */
  fail_unless (p[0].points[1].x == 1.0);
  fail_unless (p[0].points[1].y > 0.0);
  seecitv_polygons_free (p, n);

  /* Numbers of any length: 0.5 followed by 1000 zeros, 1e-100. */
  zeros = g_strnfill (1000, '0');
  str = g_strdup_printf ("0.5%s,0.%s1 1,0 0,%s.%s", zeros, zeros + 901,
      zeros, zeros);
  p = parse_polygons_ok (str, &n);
  assert_point (&p[0], 0, 0.5, 1e-100);
  assert_point (&p[0], 2, 0, 0);
  seecitv_polygons_free (p, n);
  g_free (str);
  g_free (zeros);
}

GST_END_TEST;

GST_START_TEST (test_polygons_empty)
{
  const gchar *empty[] = { "", " ", "\t", " \t  \t " };
  SeecitvPolygon *p;
  guint i, n;

  p = parse_polygons_ok (NULL, &n);
  fail_unless_equals_int (n, 0);
  fail_unless (p == NULL);

  for (i = 0; i < G_N_ELEMENTS (empty); i++) {
    SeecitvZone *z;

    p = parse_polygons_ok (empty[i], &n);
    fail_unless_equals_int (n, 0);
    seecitv_polygons_free (p, n);

    z = parse_zones_ok (empty[i], &n);
    fail_unless_equals_int (n, 0);
    seecitv_zones_free (z, n);
  }

  /* Freeing nothing is fine. */
  seecitv_polygons_free (NULL, 0);
  seecitv_zones_free (NULL, 0);
}

GST_END_TEST;

GST_START_TEST (test_polygons_syntax_errors)
{
  gchar *msg;

  /* Empty items. */
  polygons_fail (";", SEECITV_PARSE_ERROR_SYNTAX, 1);
  polygons_fail ("  ;", SEECITV_PARSE_ERROR_SYNTAX, 3);
  polygons_fail ("0,0 1,0 1,1;", SEECITV_PARSE_ERROR_SYNTAX, 13);
  polygons_fail ("0,0 1,0 1,1 ; ", SEECITV_PARSE_ERROR_SYNTAX, 15);
  polygons_fail ("0,0 1,0 1,1;;0,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 13);
  polygons_fail ("0,0 1,0 1,1; ;0,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX,
      14);
  polygons_fail (";0,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 1);

  /* Numbers: no sign, exponent, hex, nan, inf, missing digits. */
  polygons_fail ("-0,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 1);
  polygons_fail ("+0.5,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 1);
  polygons_fail ("0,-0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 3);
  polygons_fail ("1e0,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 2);
  polygons_fail ("0,0 1E-1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 6);
  polygons_fail ("0x1,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 2);
  polygons_fail ("nan,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 1);
  polygons_fail ("inf,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 1);
  polygons_fail ("0,0 1,0 1.,1", SEECITV_PARSE_ERROR_SYNTAX, 11);
  polygons_fail ("0,0 1,0 .,1", SEECITV_PARSE_ERROR_SYNTAX, 10);
  polygons_fail ("0,0 1,0 0.5.5,1", SEECITV_PARSE_ERROR_SYNTAX, 12);
  polygons_fail ("0,0 1,0 0,.5,1", SEECITV_PARSE_ERROR_SYNTAX, 13);
  polygons_fail ("0,0 1,0 1 1", SEECITV_PARSE_ERROR_SYNTAX, 11);
  polygons_fail ("0,0 1,0 1,", SEECITV_PARSE_ERROR_SYNTAX, 11);
  polygons_fail ("0,0 1,0 1", SEECITV_PARSE_ERROR_SYNTAX, 10);
  polygons_fail ("0,0 1,0 ,1", SEECITV_PARSE_ERROR_SYNTAX, 9);

  /* Separators: points need a blank, nothing else is a blank. */
  polygons_fail ("0,0,1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 4);
  polygons_fail ("0,0 1,0 1,1x", SEECITV_PARSE_ERROR_SYNTAX, 12);
  polygons_fail ("0,0 1,0 1,1 x", SEECITV_PARSE_ERROR_SYNTAX, 13);
  polygons_fail ("0,0 1,0 x", SEECITV_PARSE_ERROR_SYNTAX, 9);
  polygons_fail ("0,0\n1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 4);
  polygons_fail ("0,0 1,0 1,1\r\n", SEECITV_PARSE_ERROR_SYNTAX, 12);
  polygons_fail ("0,0 1,0 1,1:", SEECITV_PARSE_ERROR_SYNTAX, 12);
  polygons_fail ("0;0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 2);
  polygons_fail ("0, 0 1 ,0 1,1, 0", SEECITV_PARSE_ERROR_SYNTAX, 14);

  /* What the message quotes. */
  msg = parse_polygons_fail ("0,0 1,0 1,", SEECITV_PARSE_ERROR_SYNTAX, 11);
  fail_unless (g_str_has_suffix (msg, ", got end of input"), "%s", msg);
  g_free (msg);
  msg = parse_polygons_fail ("0,0 1,0 1,1x", SEECITV_PARSE_ERROR_SYNTAX, 12);
  fail_unless (g_str_has_suffix (msg, ", got 'x'"), "%s", msg);
  g_free (msg);
  msg = parse_polygons_fail ("0,0 1,0 1,1\001", SEECITV_PARSE_ERROR_SYNTAX,
      12);
  fail_unless (g_str_has_suffix (msg, ", got '\\x01'"), "%s", msg);
  g_free (msg);
  msg = parse_polygons_fail ("0,0 1,0 1,1\303\251", SEECITV_PARSE_ERROR_SYNTAX,
      12);
  fail_unless (g_str_has_suffix (msg, ", got '\\xc3'"), "%s", msg);
  g_free (msg);
}

GST_END_TEST;

GST_START_TEST (test_polygons_range_errors)
{
  gchar *msg, *long_number;

  polygons_fail ("1.5,0 1,0 1,1", SEECITV_PARSE_ERROR_RANGE, 1);
  polygons_fail ("0,2 1,0 1,1", SEECITV_PARSE_ERROR_RANGE, 3);
  polygons_fail ("0,0 10,0 1,1", SEECITV_PARSE_ERROR_RANGE, 5);
  polygons_fail ("0,0 1,0 01.5,1", SEECITV_PARSE_ERROR_RANGE, 9);
  polygons_fail ("0,0 1,0 1, 1.0001", SEECITV_PARSE_ERROR_RANGE, 12);
  /* Rounds to 1.0 as a double, but is above 1. */
  polygons_fail ("0,0 1.0000000000000000001,0 1,1",
      SEECITV_PARSE_ERROR_RANGE, 5);
  polygons_fail ("0,0 1,0 1,99999999999999999999999999999999",
      SEECITV_PARSE_ERROR_RANGE, 11);

  msg = parse_polygons_fail ("0,0 1.5,0 1,1", SEECITV_PARSE_ERROR_RANGE, 5);
  fail_unless (g_str_has_suffix (msg, ", got '1.5'"), "%s", msg);
  g_free (msg);

  /* A huge number is quoted, not copied whole into the message. */
  long_number = g_strnfill (100000, '9');
  msg = parse_polygons_fail (long_number, SEECITV_PARSE_ERROR_RANGE, 1);
  fail_unless (strlen (msg) < 200, "%s", msg);
  g_free (msg);
  g_free (long_number);
}

GST_END_TEST;

GST_START_TEST (test_polygons_points_errors)
{
  polygons_fail ("0,0", SEECITV_PARSE_ERROR_POINTS, 4);
  polygons_fail ("0,0 1,1", SEECITV_PARSE_ERROR_POINTS, 8);
  polygons_fail ("0,0 1,1  ", SEECITV_PARSE_ERROR_POINTS, 10);
  polygons_fail ("0,0 1,1;0,0 1,0 1,1", SEECITV_PARSE_ERROR_POINTS, 8);
  polygons_fail ("0,0 1,0 1,1; 0,0 1,1 ;0,0 1,0 1,1",
      SEECITV_PARSE_ERROR_POINTS, 22);
}

GST_END_TEST;

GST_START_TEST (test_polygons_bounds)
{
  SeecitvPolygon *p;
  gchar *poly, *str, *tail;
  guint n, len;

  /* Exactly SEECITV_MAX_POINTS points. */
  poly = make_polygon_string (SEECITV_MAX_POINTS);
  p = parse_polygons_ok (poly, &n);
  fail_unless_equals_int (n, 1);
  fail_unless_equals_int (p[0].n_points, SEECITV_MAX_POINTS);
  seecitv_polygons_free (p, n);

  /* One more: the error points at the extra point. */
  len = strlen (poly);
  str = g_strconcat (poly, " 0.5,0.5", NULL);
  polygons_fail (str, SEECITV_PARSE_ERROR_TOO_LARGE, len + 2);
  g_free (str);
  /* Even when garbage follows it. */
  str = g_strconcat (poly, " 0.5,0.5 junk", NULL);
  polygons_fail (str, SEECITV_PARSE_ERROR_TOO_LARGE, len + 2);
  g_free (str);
  /* ... but not when the extra thing is not a point. */
  str = g_strconcat (poly, " junk", NULL);
  polygons_fail (str, SEECITV_PARSE_ERROR_SYNTAX, len + 2);
  g_free (str);
  g_free (poly);

  /* Exactly SEECITV_MAX_POLYGONS polygons. */
  str = make_repeated ("0,0 1,0 1,1", SEECITV_MAX_POLYGONS, ";");
  p = parse_polygons_ok (str, &n);
  fail_unless_equals_int (n, SEECITV_MAX_POLYGONS);
  seecitv_polygons_free (p, n);

  /* One more, the error at its first character. */
  len = strlen (str);
  tail = g_strconcat (str, "; 0,0 1,0 1,1", NULL);
  polygons_fail (tail, SEECITV_PARSE_ERROR_TOO_LARGE, len + 3);
  g_free (tail);
  /* A trailing ';' is still a syntax error, not a size one. */
  tail = g_strconcat (str, ";", NULL);
  polygons_fail (tail, SEECITV_PARSE_ERROR_SYNTAX, len + 2);
  g_free (tail);
  g_free (str);

  /* Many points in many polygons, still within bounds. */
  poly = make_polygon_string (SEECITV_MAX_POINTS);
  str = make_repeated (poly, SEECITV_MAX_POLYGONS, " ; ");
  p = parse_polygons_ok (str, &n);
  fail_unless_equals_int (n, SEECITV_MAX_POLYGONS);
  fail_unless_equals_int (p[SEECITV_MAX_POLYGONS - 1].n_points,
      SEECITV_MAX_POINTS);
  seecitv_polygons_free (p, n);
  g_free (str);
  g_free (poly);
}

GST_END_TEST;

GST_START_TEST (test_zones_valid)
{
  SeecitvZone *z;
  guint n;

  z = parse_zones_ok ("door:0.5:0,0 1,0 1,1", &n);
  fail_unless_equals_int (n, 1);
  fail_unless_equals_string (z[0].name, "door");
  fail_unless (z[0].sensitivity == 0.5);
  fail_unless_equals_int (z[0].polygon.n_points, 3);
  assert_point (&z[0].polygon, 1, 1, 0);
  seecitv_zones_free (z, n);

  z = parse_zones_ok (" front_door-2 : 1 : 0,0 1,0 1,1 ;\tWindow:0:"
      ".1,.1 .2,.2 .3,.1 .4,.4\t; a:.25:0,0 0,1 1,1", &n);
  fail_unless_equals_int (n, 3);
  fail_unless_equals_string (z[0].name, "front_door-2");
  fail_unless (z[0].sensitivity == 1.0);
  fail_unless_equals_string (z[1].name, "Window");
  fail_unless (z[1].sensitivity == 0.0);
  fail_unless_equals_int (z[1].polygon.n_points, 4);
  assert_point (&z[1].polygon, 3, 0.4, 0.4);
  fail_unless_equals_string (z[2].name, "a");
  fail_unless (z[2].sensitivity == 0.25);
  seecitv_zones_free (z, n);

  /* Names are case sensitive, digits and '-' may come first. */
  z = parse_zones_ok ("a:0:0,0 1,0 1,1;A:0:0,0 1,0 1,1;-1:0:0,0 1,0 1,1", &n);
  fail_unless_equals_int (n, 3);
  fail_unless_equals_string (z[2].name, "-1");
  seecitv_zones_free (z, n);
}

GST_END_TEST;

GST_START_TEST (test_zones_errors)
{
  gchar *name, *str;

  /* SYNTAX */
  zones_fail (";", SEECITV_PARSE_ERROR_SYNTAX, 1);
  zones_fail ("door", SEECITV_PARSE_ERROR_SYNTAX, 5);
  zones_fail ("door ", SEECITV_PARSE_ERROR_SYNTAX, 6);
  zones_fail ("door;a:0:0,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 5);
  zones_fail ("door:", SEECITV_PARSE_ERROR_SYNTAX, 6);
  zones_fail ("door:0.5", SEECITV_PARSE_ERROR_SYNTAX, 9);
  zones_fail ("door:0.5 0,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 10);
  zones_fail ("door:0.5:", SEECITV_PARSE_ERROR_SYNTAX, 10);
  zones_fail ("door:0.5: ;", SEECITV_PARSE_ERROR_SYNTAX, 11);
  zones_fail ("door:-1:0,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 6);
  zones_fail ("door:0.5:0,0 1,0 1,1;", SEECITV_PARSE_ERROR_SYNTAX, 22);
  zones_fail ("door:0.5:0,0 1,0 1,1;;b:0:0,0 1,0 1,1",
      SEECITV_PARSE_ERROR_SYNTAX, 22);
  zones_fail ("door:0.5:0,0 1,0 1,1:", SEECITV_PARSE_ERROR_SYNTAX, 21);
  zones_fail ("door::0,0 1,0 1,1", SEECITV_PARSE_ERROR_SYNTAX, 6);
  zones_fail ("door:0.5:0,0 1,0 1,1 x", SEECITV_PARSE_ERROR_SYNTAX, 22);

  /* RANGE */
  zones_fail ("door:2:0,0 1,0 1,1", SEECITV_PARSE_ERROR_RANGE, 6);
  zones_fail ("door:0.5:0,0 1,0 1,1.5", SEECITV_PARSE_ERROR_RANGE, 20);

  /* POINTS */
  zones_fail ("door:0.5:0,0 1,1", SEECITV_PARSE_ERROR_POINTS, 17);
  zones_fail ("door:0.5:0,0;b:0:0,0 1,0 1,1", SEECITV_PARSE_ERROR_POINTS,
      13);

  /* NAME: missing, bad characters, duplicates. */
  zones_fail (":0.5:0,0 1,0 1,1", SEECITV_PARSE_ERROR_NAME, 1);
  zones_fail ("  :0.5:0,0 1,0 1,1", SEECITV_PARSE_ERROR_NAME, 3);
  zones_fail ("!door:0.5:0,0 1,0 1,1", SEECITV_PARSE_ERROR_NAME, 1);
  zones_fail ("door!:0.5:0,0 1,0 1,1", SEECITV_PARSE_ERROR_NAME, 5);
  zones_fail ("front door:0.5:0,0 1,0 1,1", SEECITV_PARSE_ERROR_NAME, 7);
  zones_fail ("d.oor:0.5:0,0 1,0 1,1", SEECITV_PARSE_ERROR_NAME, 2);
  zones_fail ("d\303\266r:0.5:0,0 1,0 1,1", SEECITV_PARSE_ERROR_NAME, 2);
  zones_fail ("door:0.5:0,0 1,0 1,1;door:0.5:0,0 1,0 1,1",
      SEECITV_PARSE_ERROR_NAME, 22);
  zones_fail ("a:0:0,0 1,0 1,1; b:0:0,0 1,0 1,1;  a :0:0,0 1,0 1,1",
      SEECITV_PARSE_ERROR_NAME, 36);

  /* TOO_LARGE: names */
  name = g_strnfill (SEECITV_MAX_NAME_LEN + 1, 'n');
  str = g_strconcat (name, ":0.5:0,0 1,0 1,1", NULL);
  zones_fail (str, SEECITV_PARSE_ERROR_TOO_LARGE, SEECITV_MAX_NAME_LEN + 1);
  g_free (str);
  g_free (name);
  name = g_strnfill (100000, 'n');
  zones_fail (name, SEECITV_PARSE_ERROR_TOO_LARGE, SEECITV_MAX_NAME_LEN + 1);
  g_free (name);
}

GST_END_TEST;

GST_START_TEST (test_zones_bounds)
{
  SeecitvZone *z;
  gchar *name, *str, *tail;
  guint n, len;

  name = g_strnfill (SEECITV_MAX_NAME_LEN, 'n');
  str = g_strconcat (name, ":0.5:0,0 1,0 1,1", NULL);
  z = parse_zones_ok (str, &n);
  fail_unless_equals_int (n, 1);
  fail_unless_equals_string (z[0].name, name);
  seecitv_zones_free (z, n);
  g_free (str);
  g_free (name);

  str = make_zones_string (SEECITV_MAX_POLYGONS);
  z = parse_zones_ok (str, &n);
  fail_unless_equals_int (n, SEECITV_MAX_POLYGONS);
  fail_unless_equals_string (z[SEECITV_MAX_POLYGONS - 1].name, "zone63");
  seecitv_zones_free (z, n);

  len = strlen (str);
  tail = g_strconcat (str, ";extra:0.5:0,0 1,0 1,1", NULL);
  zones_fail (tail, SEECITV_PARSE_ERROR_TOO_LARGE, len + 2);
  g_free (tail);
  g_free (str);

  /* The error is at the first character of point SEECITV_MAX_POINTS + 1. */
  str = make_polygon_string (SEECITV_MAX_POINTS);
  len = strlen ("z:0:") + strlen (str);
  g_free (str);
  str = make_polygon_string (SEECITV_MAX_POINTS + 1);
  tail = g_strconcat ("z:0:", str, NULL);
  zones_fail (tail, SEECITV_PARSE_ERROR_TOO_LARGE, len + 2);
  g_free (tail);
  g_free (str);
}

GST_END_TEST;

static gboolean
polygons_equal (const SeecitvPolygon * a, const SeecitvPolygon * b)
{
  guint i;

  if (a->n_points != b->n_points)
    return FALSE;
  for (i = 0; i < a->n_points; i++) {
    if (a->points[i].x != b->points[i].x || a->points[i].y != b->points[i].y)
      return FALSE;
  }
  return TRUE;
}

static void
polygons_round_trip (const SeecitvPolygon * p, guint n, gchar ** canonical)
{
  SeecitvPolygon *p2;
  gchar *s, *s2;
  guint i, n2;

  s = seecitv_polygons_to_string (p, n);
  fail_unless (s != NULL);
  fail_if (strchr (s, 'e') != NULL, "exponent in '%s'", s);
  p2 = parse_polygons_ok (s, &n2);
  fail_unless_equals_int (n2, n);
  for (i = 0; i < n; i++)
    fail_unless (polygons_equal (&p[i], &p2[i]), "'%s' changed", s);
  /* Canonical: printing again gives the same string. */
  s2 = seecitv_polygons_to_string (p2, n2);
  fail_unless_equals_string (s2, s);
  g_free (s2);
  seecitv_polygons_free (p2, n2);
  if (canonical)
    *canonical = s;
  else
    g_free (s);
}

GST_START_TEST (test_round_trip)
{
  const struct
  {
    const gchar *in;
    const gchar *canonical;
  } polygons[] = {
    {"", ""},
    {"0,0 1,0 1,1", "0,0 1,0 1,1"},
    {"  0.50 , .25\t1.000,0.0   0,1 ", "0.5,0.25 1,0 0,1"},
    {"0.1,0.2 0.3,0.4 0.5,0.6 ; 0.7,0.8 0.9,1 0,0",
        "0.1,0.2 0.3,0.4 0.5,0.6;0.7,0.8 0.9,1 0,0"},
    {"0.3333333333333333333333,0.1 0.00001,0.000000000001 1,1",
        "0.3333333333333333,0.1 0.00001,0.000000000001 1,1"},
  }, zones[] = {
    {"", ""},
    {" door : 0.50 : 0,0 1,0  1,1 ; w:1:.5,.5 .25,.75 1,1",
        "door:0.5:0,0 1,0 1,1;w:1:0.5,0.5 0.25,0.75 1,1"},
    {"a-b_C9:.000125:0,0 1,0 1,1", "a-b_C9:0.000125:0,0 1,0 1,1"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (polygons); i++) {
    SeecitvPolygon *p;
    gchar *s;
    guint n;

    p = parse_polygons_ok (polygons[i].in, &n);
    polygons_round_trip (p, n, &s);
    fail_unless_equals_string (s, polygons[i].canonical);
    g_free (s);
    seecitv_polygons_free (p, n);
  }

  for (i = 0; i < G_N_ELEMENTS (zones); i++) {
    SeecitvZone *z, *z2;
    gchar *s, *s2;
    guint j, n, n2;

    z = parse_zones_ok (zones[i].in, &n);
    s = seecitv_zones_to_string (z, n);
    fail_unless_equals_string (s, zones[i].canonical);
    z2 = parse_zones_ok (s, &n2);
    fail_unless_equals_int (n2, n);
    for (j = 0; j < n; j++) {
      fail_unless_equals_string (z2[j].name, z[j].name);
      fail_unless (z2[j].sensitivity == z[j].sensitivity);
      fail_unless (polygons_equal (&z2[j].polygon, &z[j].polygon));
    }
    s2 = seecitv_zones_to_string (z2, n2);
    fail_unless_equals_string (s2, s);
    g_free (s);
    g_free (s2);
    seecitv_zones_free (z, n);
    seecitv_zones_free (z2, n2);
  }
}

GST_END_TEST;

/* The next double from @v towards @to, without libm (the tests do not link
 * it): for finite non-negative doubles, the next bit pattern is the next
 * value. */
static gdouble
next_double (gdouble v, gdouble to)
{
  union
  {
    gdouble d;
    guint64 u;
  } bits = { v };

  if (v == to)
    return v;
  if (v < to)
    bits.u++;
  else
    bits.u--;
  return bits.d;
}

/* About @v * 2^-@exp (rounded once in the subnormals), without libm. */
static gdouble
scale_down (gdouble v, gint exp)
{
  while (exp-- > 0)
    v *= 0.5;
  return v;
}

static gboolean
subnormals_work (void)
{
  volatile gdouble smallest = 5e-324;

  return smallest != 0.0;
}

/* Doubles the grammar cannot write with few digits: thirds, the smallest
 * subnormal, the neighbours of 0 and 1, and random ones. */
GST_START_TEST (test_round_trip_hard_values)
{
  gdouble values[] = {
    1.0 / 3.0, 2.0 / 3.0, 0.1, 0.2, 0.3, 1e-5, 1e-300, 5e-324,
    G_MINDOUBLE, 0.5, 1.0, 0.0,
  };
  SeecitvPoint points[3];
  SeecitvPolygon polygon = { 3, points };
  GRand *rand = g_rand_new_with_seed (42);
  gchar *s;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (values); i++) {
    points[0].x = values[i];
    points[0].y = next_double (values[i], 0.5);
    points[1].x = values[i];
    points[1].y = 1.0 - values[i];
    points[2].x = next_double (1.0, 0.0);
    points[2].y = next_double (0.0, 1.0);
    polygons_round_trip (&polygon, 1, NULL);
  }

  for (i = 0; i < 3000; i++) {
    guint j;

    for (j = 0; j < 3; j++) {
      points[j].x = g_rand_double (rand);
      /* Also values spread over the exponents, not only near 1. */
      points[j].y = scale_down (g_rand_double (rand),
          g_rand_int_range (rand, 0, 1070));
    }
    polygons_round_trip (&polygon, 1, NULL);
  }
  g_rand_free (rand);

  /* Shortest: 0.1 prints as 0.1, not 0.10000000000000001. */
  points[0].x = 0.1;
  points[0].y = 1.0 / 3.0;
  points[1].x = 1e-5;
  points[1].y = 0.5;
  points[2].x = 5e-324;
  points[2].y = 1.0;
  polygons_round_trip (&polygon, 1, &s);
  fail_unless (g_str_has_prefix (s, "0.1,0.3333333333333333 0.00001,0.5 "),
      "%s", s);
  /* A library built with -ffast-math that some plugin loaded into this
   * process (the ASan setup scans the registry in-process) may have switched
   * the FPU to treat subnormals as zero: then 5e-324 is 0, and prints so. */
  if (subnormals_work ()) {
    fail_unless (strstr (s, ",0.5 0.000") != NULL, "%s", s);
    fail_unless (g_str_has_suffix (s, "0005,1"), "%s", s);
    fail_unless_equals_int (strlen (s), strlen ("0.1,0.3333333333333333 "
            "0.00001,0.5 0.") + 323 + strlen ("5,1"));
  } else {
    GST_INFO ("subnormals are flushed to zero in this process");
    fail_unless (g_str_has_suffix (s, " 0,1"), "%s", s);
  }
  g_free (s);
}

GST_END_TEST;

GST_START_TEST (test_to_string_refuses_invalid)
{
  SeecitvPoint points[3] = { {0, 0}, {1, 0}, {1, 1} };
  SeecitvPolygon polygon = { 3, points };
  SeecitvZone zones[2] = {
    {(gchar *) "a", 0.5, {3, points}},
    {(gchar *) "b", 0.5, {3, points}},
  };
  gchar *s = NULL;

  s = seecitv_polygons_to_string (NULL, 0);
  fail_unless_equals_string (s, "");
  g_free (s);
  s = seecitv_zones_to_string (NULL, 0);
  fail_unless_equals_string (s, "");
  g_free (s);
  s = seecitv_zones_to_string (zones, 2);
  fail_unless_equals_string (s, "a:0.5:0,0 1,0 1,1;b:0.5:0,0 1,0 1,1");
  g_free (s);

  /* What could not be parsed back is not printed. */
  points[1].x = 1.5;
  ASSERT_SEECITV_CRITICAL (s = seecitv_polygons_to_string (&polygon, 1));
  fail_unless (s == NULL);
  points[1].x = g_strtod ("nan", NULL);
  ASSERT_SEECITV_CRITICAL (s = seecitv_polygons_to_string (&polygon, 1));
  fail_unless (s == NULL);
  points[1].x = 1.0;

  polygon.n_points = 2;
  ASSERT_SEECITV_CRITICAL (s = seecitv_polygons_to_string (&polygon, 1));
  fail_unless (s == NULL);
  polygon.n_points = 3;

  zones[1].name = (gchar *) "a";
  ASSERT_SEECITV_CRITICAL (s = seecitv_zones_to_string (zones, 2));
  fail_unless (s == NULL);
  zones[1].name = (gchar *) "a b";
  ASSERT_SEECITV_CRITICAL (s = seecitv_zones_to_string (zones, 2));
  fail_unless (s == NULL);
  zones[1].name = (gchar *) "b";
  zones[1].sensitivity = -0.5;
  ASSERT_SEECITV_CRITICAL (s = seecitv_zones_to_string (zones, 2));
  fail_unless (s == NULL);
}

GST_END_TEST;

GST_START_TEST (test_name_is_valid)
{
  gchar *name;

  fail_unless (seecitv_name_is_valid ("a"));
  fail_unless (seecitv_name_is_valid ("Front_door-2"));
  fail_unless (seecitv_name_is_valid ("-_"));
  fail_unless (seecitv_name_is_valid ("0"));

  fail_if (seecitv_name_is_valid (NULL));
  fail_if (seecitv_name_is_valid (""));
  fail_if (seecitv_name_is_valid ("a b"));
  fail_if (seecitv_name_is_valid ("a:b"));
  fail_if (seecitv_name_is_valid ("a;b"));
  fail_if (seecitv_name_is_valid ("a.b"));
  fail_if (seecitv_name_is_valid ("../etc"));
  fail_if (seecitv_name_is_valid ("d\303\266r"));
  fail_if (seecitv_name_is_valid ("tab\t"));

  name = g_strnfill (SEECITV_MAX_NAME_LEN, 'x');
  fail_unless (seecitv_name_is_valid (name));
  g_free (name);
  name = g_strnfill (SEECITV_MAX_NAME_LEN + 1, 'x');
  fail_if (seecitv_name_is_valid (name));
  g_free (name);
}

GST_END_TEST;

GST_START_TEST (test_error_quark)
{
  fail_unless (SEECITV_PARSE_ERROR != 0);
  fail_unless (SEECITV_PARSE_ERROR == seecitv_parse_error_quark ());
  fail_unless_equals_string (g_quark_to_string (SEECITV_PARSE_ERROR),
      "seecitv-parse-error-quark");
}

GST_END_TEST;

static Suite *
polygon_suite (void)
{
  Suite *s = suite_create ("polygon");
  TCase *tc = tcase_create ("general");

  g_log_set_handler (G_LOG_DOMAIN, G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING,
      critical_handler, NULL);

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_polygons_valid);
  tcase_add_test (tc, test_polygons_whitespace);
  tcase_add_test (tc, test_polygons_boundaries);
  tcase_add_test (tc, test_polygons_empty);
  tcase_add_test (tc, test_polygons_syntax_errors);
  tcase_add_test (tc, test_polygons_range_errors);
  tcase_add_test (tc, test_polygons_points_errors);
  tcase_add_test (tc, test_polygons_bounds);
  tcase_add_test (tc, test_zones_valid);
  tcase_add_test (tc, test_zones_errors);
  tcase_add_test (tc, test_zones_bounds);
  tcase_add_test (tc, test_round_trip);
  tcase_add_test (tc, test_round_trip_hard_values);
  tcase_add_test (tc, test_to_string_refuses_invalid);
  tcase_add_test (tc, test_name_is_valid);
  tcase_add_test (tc, test_error_quark);
  return s;
}

GST_CHECK_MAIN (polygon);
