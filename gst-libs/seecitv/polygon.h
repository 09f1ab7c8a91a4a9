/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The polygon and zone grammar shared by every element and tool (see
 * ARCHITECTURE.md, "Polygons"). Pure C over GLib: no GObject, no GStreamer,
 * so it is unit tested and fuzzed on its own. Rasterising polygons is not
 * here: that is OpenCV's job in ext/opencv.
 *
 *   point    = number "," number          (normalised, each in [0,1])
 *   polygon  = point (SP point){2,}       (at least 3 points)
 *   polygons = polygon (";" polygon)*     (empty string: no polygon)
 *   zone     = name ":" number ":" polygon
 *   zones    = zone (";" zone)*           (empty string: no zone)
 *   name     = [A-Za-z0-9_-]+
 *   number   = digits ["." digits] | "." digits   (no sign, no exponent)
 *
 * White space (space, tab) is allowed around every token.
 */
#ifndef __SEECITV_POLYGON_H__
#define __SEECITV_POLYGON_H__

#include <glib.h>

G_BEGIN_DECLS

#define SEECITV_PARSE_ERROR (seecitv_parse_error_quark ())
GQuark seecitv_parse_error_quark (void);

typedef enum
{
  SEECITV_PARSE_ERROR_SYNTAX,   /* unexpected character or end of input */
  SEECITV_PARSE_ERROR_RANGE,    /* a number outside [0,1] */
  SEECITV_PARSE_ERROR_POINTS,   /* a polygon with fewer than 3 points */
  SEECITV_PARSE_ERROR_NAME,     /* bad or duplicate zone name */
  SEECITV_PARSE_ERROR_TOO_LARGE /* more than SEECITV_MAX_* items */
} SeecitvParseError;

/* Bounds that keep a hostile string from costing unbounded memory. */
#define SEECITV_MAX_POLYGONS 64
#define SEECITV_MAX_POINTS 256
#define SEECITV_MAX_NAME_LEN 64

typedef struct
{
  gdouble x;
  gdouble y;
} SeecitvPoint;

typedef struct
{
  guint n_points;
  SeecitvPoint *points;         /* n_points, owned */
} SeecitvPolygon;

typedef struct
{
  gchar *name;                  /* owned, matches [A-Za-z0-9_-]{1,64} */
  gdouble sensitivity;          /* [0,1] */
  SeecitvPolygon polygon;
} SeecitvZone;

/* Parses @str (may be NULL or empty: zero polygons). On success returns TRUE
 * and stores a newly allocated array of polygons (free with
 * seecitv_polygons_free ()) in @polygons and its length in @n_polygons.
 * On failure returns FALSE, sets @error (SEECITV_PARSE_ERROR) with a message
 * "at character N: ..." and leaves the outputs untouched. */
gboolean seecitv_polygons_parse (const gchar * str,
    SeecitvPolygon ** polygons, guint * n_polygons, GError ** error);

void seecitv_polygons_free (SeecitvPolygon * polygons, guint n_polygons);

/* Same contract for zones; names must be unique. Free with
 * seecitv_zones_free (). */
gboolean seecitv_zones_parse (const gchar * str,
    SeecitvZone ** zones, guint * n_zones, GError ** error);

void seecitv_zones_free (SeecitvZone * zones, guint n_zones);

/* Serialises back to the canonical form of the grammar (shortest decimal
 * that round-trips, single spaces). Returns a newly allocated string,
 * free with g_free (); "" for zero items. */
gchar *seecitv_polygons_to_string (const SeecitvPolygon * polygons,
    guint n_polygons);
gchar *seecitv_zones_to_string (const SeecitvZone * zones, guint n_zones);

/* TRUE when @name matches [A-Za-z0-9_-]{1,SEECITV_MAX_NAME_LEN}. */
gboolean seecitv_name_is_valid (const gchar * name);

G_END_DECLS

#endif /* __SEECITV_POLYGON_H__ */
