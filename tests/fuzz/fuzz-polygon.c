/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the polygon and zone grammar (gst-libs/seecitv/polygon.c).
 * Every input is parsed both as polygons and as zones. Besides the memory
 * errors the sanitizers catch, it checks the parser's own contracts and
 * abort ()s when one breaks: a failure sets a SEECITV_PARSE_ERROR with an
 * "at character N:" message inside the input and leaves the outputs alone;
 * a success prints back (to_string) into a string that parses again to the
 * very same values and prints identically.
 */
#include <glib.h>
#include <seecitv/polygon.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
die (const char *what, const gchar * input)
{
  fprintf (stderr, "fuzz-polygon: %s (input '%s')\n", what, input);
  abort ();
}

/* A failed parse: the error must be well formed and point into the input
 * (or one past its end). */
static void
check_error (GError * err, const gchar * input)
{
  guint64 position;
  gchar *end = NULL;

  if (err == NULL || err->domain != SEECITV_PARSE_ERROR ||
      err->code < SEECITV_PARSE_ERROR_SYNTAX ||
      err->code > SEECITV_PARSE_ERROR_TOO_LARGE)
    die ("failure without a SEECITV_PARSE_ERROR", input);
  if (!g_str_has_prefix (err->message, "at character "))
    die ("error message in the wrong format", input);
  position = g_ascii_strtoull (err->message + strlen ("at character "),
      &end, 10);
  if (end == NULL || *end != ':' || position < 1 ||
      position > strlen (input) + 1)
    die ("error position outside the input", input);
  if (!g_utf8_validate (err->message, -1, NULL))
    die ("error message is not UTF-8", input);
  g_error_free (err);
}

static gboolean
polygons_equal (const SeecitvPolygon * a, guint n_a,
    const SeecitvPolygon * b, guint n_b)
{
  guint i, j;

  if (n_a != n_b)
    return FALSE;
  for (i = 0; i < n_a; i++) {
    if (a[i].n_points != b[i].n_points)
      return FALSE;
    for (j = 0; j < a[i].n_points; j++) {
      if (a[i].points[j].x != b[i].points[j].x ||
          a[i].points[j].y != b[i].points[j].y)
        return FALSE;
    }
  }
  return TRUE;
}

static void
fuzz_polygons (const gchar * input)
{
  SeecitvPolygon *polygons = NULL, *again = NULL;
  guint n = G_MAXUINT, n_again = 0;
  GError *err = NULL;
  gchar *s, *s_again;

  if (!seecitv_polygons_parse (input, &polygons, &n, &err)) {
    if (polygons != NULL || n != G_MAXUINT)
      die ("outputs changed by a failed polygons parse", input);
    check_error (err, input);
    return;
  }
  if (err != NULL || n > SEECITV_MAX_POLYGONS)
    die ("polygons parse: inconsistent success", input);

  s = seecitv_polygons_to_string (polygons, n);
  if (s == NULL)
    die ("polygons_to_string refused what the parser gave", input);
  if (!seecitv_polygons_parse (s, &again, &n_again, &err)) {
    fprintf (stderr, "printed as '%s': %s\n", s, err->message);
    die ("printed polygons do not parse", input);
  }
  if (!polygons_equal (polygons, n, again, n_again))
    die ("printed polygons parse to other values", input);
  s_again = seecitv_polygons_to_string (again, n_again);
  if (g_strcmp0 (s, s_again) != 0)
    die ("polygons_to_string is not canonical", input);

  g_free (s_again);
  g_free (s);
  seecitv_polygons_free (again, n_again);
  seecitv_polygons_free (polygons, n);
}

static void
fuzz_zones (const gchar * input)
{
  SeecitvZone *zones = NULL, *again = NULL;
  guint i, n = G_MAXUINT, n_again = 0;
  GError *err = NULL;
  gchar *s, *s_again;

  if (!seecitv_zones_parse (input, &zones, &n, &err)) {
    if (zones != NULL || n != G_MAXUINT)
      die ("outputs changed by a failed zones parse", input);
    check_error (err, input);
    return;
  }
  if (err != NULL || n > SEECITV_MAX_POLYGONS)
    die ("zones parse: inconsistent success", input);
  for (i = 0; i < n; i++) {
    if (!seecitv_name_is_valid (zones[i].name))
      die ("parsed zone name is not valid", input);
  }

  s = seecitv_zones_to_string (zones, n);
  if (s == NULL)
    die ("zones_to_string refused what the parser gave", input);
  if (!seecitv_zones_parse (s, &again, &n_again, &err)) {
    fprintf (stderr, "printed as '%s': %s\n", s, err->message);
    die ("printed zones do not parse", input);
  }
  if (n_again != n)
    die ("printed zones parse to another count", input);
  for (i = 0; i < n; i++) {
    if (strcmp (zones[i].name, again[i].name) != 0 ||
        zones[i].sensitivity != again[i].sensitivity ||
        !polygons_equal (&zones[i].polygon, 1, &again[i].polygon, 1))
      die ("printed zones parse to other values", input);
  }
  s_again = seecitv_zones_to_string (again, n_again);
  if (g_strcmp0 (s, s_again) != 0)
    die ("zones_to_string is not canonical", input);

  g_free (s_again);
  g_free (s);
  seecitv_zones_free (again, n_again);
  seecitv_zones_free (zones, n);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  /* The parsers take C strings: anything after a NUL byte is not seen. */
  gchar *input = g_strndup ((const gchar *) data, size);

  fuzz_polygons (input);
  fuzz_zones (input);
  g_free (input);
  return 0;
}
