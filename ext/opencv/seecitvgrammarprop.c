/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See seecitvgrammarprop.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvgrammarprop.h"

#include <seecitv/polygon.h>

GST_DEBUG_CATEGORY_STATIC (seecitv_grammar_prop_debug);
#define GST_CAT_DEFAULT seecitv_grammar_prop_debug

void
seecitv_grammar_prop_init (SeecitvGrammarProp * prop)
{
  prop->value = g_strdup ("");
  prop->error = NULL;
}

void
seecitv_grammar_prop_clear (SeecitvGrammarProp * prop)
{
  g_clear_pointer (&prop->value, g_free);
  g_clear_error (&prop->error);
}

gboolean
seecitv_grammar_prop_set (SeecitvGrammarProp * prop, const gchar * str,
    gboolean zones, gboolean running, GError ** error)
{
  GError *err = NULL;
  gchar *canonical;

  if (zones) {
    SeecitvZone *list;
    guint n;

    if (!seecitv_zones_parse (str, &list, &n, &err))
      goto failed;
    canonical = seecitv_zones_to_string (list, n);
    seecitv_zones_free (list, n);
  } else {
    SeecitvPolygon *list;
    guint n;

    if (!seecitv_polygons_parse (str, &list, &n, &err))
      goto failed;
    canonical = seecitv_polygons_to_string (list, n);
    seecitv_polygons_free (list, n);
  }

  g_free (prop->value);
  prop->value = canonical;
  g_clear_error (&prop->error);
  return TRUE;

failed:
  if (!running) {
    g_clear_error (&prop->error);
    prop->error = g_error_copy (err);
  }
  g_propagate_error (error, err);
  return FALSE;
}

void
seecitv_grammar_prop_report (GstElement * element, const gchar * name,
    const GError * error, gboolean running)
{
  if (running) {
    GST_ELEMENT_WARNING_WITH_DETAILS (element, RESOURCE, SETTINGS,
        ("Invalid \"%s\" property, keeping the previous value: %s", name,
            error->message), (NULL),
        ("property", G_TYPE_STRING, name,
            "parse-error", G_TYPE_INT, error->code, NULL));
  } else {
    if (!seecitv_grammar_prop_debug)
      GST_DEBUG_CATEGORY_INIT (seecitv_grammar_prop_debug, "seecitvprop", 0,
          "seecitv grammar properties");
    GST_WARNING_OBJECT (element, "invalid \"%s\": %s (reported at start)",
        name, error->message);
  }
}

gboolean
seecitv_grammar_prop_check (GstElement * element, const gchar * name,
    const GError * error)
{
  if (error == NULL)
    return TRUE;
  GST_ELEMENT_ERROR_WITH_DETAILS (element, RESOURCE, SETTINGS,
      ("Invalid \"%s\" property: %s", name, error->message), (NULL),
      ("property", G_TYPE_STRING, name,
          "parse-error", G_TYPE_INT, error->code, NULL));
  return FALSE;
}
