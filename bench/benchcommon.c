/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See benchcommon.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "benchcommon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
compare_int64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

gint64
clock_ns (clockid_t id)
{
  struct timespec ts;

  clock_gettime (id, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

gdouble
median_ms (const gint64 * values, gint n)
{
  gint64 *sorted = g_memdup2 (values, sizeof (gint64) * n);
  gdouble m;

  qsort (sorted, n, sizeof (gint64), compare_int64);
  if (n % 2)
    m = sorted[n / 2] / 1e6;
  else
    m = (sorted[n / 2 - 1] + sorted[n / 2]) / 2e6;
  g_free (sorted);
  return m;
}

/* Returns a newly allocated string for @value, at most about 400 bytes. */
gchar *
value_string (const GValue * value)
{
  gchar *str = NULL;

  if (G_VALUE_HOLDS_BOXED (value) && g_value_get_boxed (value) == NULL)
    return g_strdup ("NULL");
  if (G_VALUE_HOLDS (value, GST_TYPE_SAMPLE)) {
    GstSample *sample = g_value_get_boxed (value);
    GstBuffer *buf = gst_sample_get_buffer (sample);

    return g_strdup_printf ("(GstSample) buffer of %" G_GSIZE_FORMAT
        " bytes", buf ? gst_buffer_get_size (buf) : 0);
  }
  if (!G_VALUE_HOLDS_OBJECT (value))
    str = gst_value_serialize (value);
  if (str == NULL)
    str = g_strdup_value_contents (value);
  if (strlen (str) > 400) {
    gchar *cut = g_strdup_printf ("%.300s... (%" G_GSIZE_FORMAT " chars)",
        str, strlen (str));

    g_free (str);
    str = cut;
  }
  return str;
}

/* Prints every readable property of @element; writable ones that differ
 * from a new instance of the same factory (the harness set them, or the
 * element changed them itself) are marked. */
void
print_element_settings (GstElement * element)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  GstElement *fresh = gst_element_factory_create (factory, NULL);
  GParamSpec **specs;
  guint n_specs;

  g_print ("  %s (plugin %s):\n", GST_OBJECT_NAME (factory),
      gst_plugin_feature_get_plugin_name (GST_PLUGIN_FEATURE (factory)));
  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (element),
      &n_specs);
  for (guint i = 0; i < n_specs; i++) {
    GValue value = G_VALUE_INIT, initial = G_VALUE_INIT;
    gchar *str, *initial_str;
    gboolean mark;

    if (!(specs[i]->flags & G_PARAM_READABLE))
      continue;
    g_value_init (&value, specs[i]->value_type);
    g_value_init (&initial, specs[i]->value_type);
    g_object_get_property (G_OBJECT (element), specs[i]->name, &value);
    g_object_get_property (G_OBJECT (fresh), specs[i]->name, &initial);
    str = value_string (&value);
    initial_str = value_string (&initial);
    mark = (specs[i]->flags & G_PARAM_WRITABLE) &&
        strcmp (specs[i]->name, "name") != 0 &&
        strcmp (specs[i]->name, "parent") != 0 &&
        strcmp (str, initial_str) != 0;
    g_print ("    %s=%s%s\n", specs[i]->name, str, mark ?
        "   <- not as created" : "");
    g_free (str);
    g_free (initial_str);
    g_value_unset (&value);
    g_value_unset (&initial);
  }
  g_free (specs);
  gst_object_unref (fresh);
}

/* Returns a newly allocated string: the first "model name" of
 * /proc/cpuinfo, or "unknown". */
gchar *
cpu_model (void)
{
  gchar *contents = NULL, *model = NULL;
  gchar **lines;

  if (!g_file_get_contents ("/proc/cpuinfo", &contents, NULL, NULL))
    return g_strdup ("unknown");
  lines = g_strsplit (contents, "\n", -1);
  for (gchar ** l = lines; *l != NULL && model == NULL; l++) {
    if (g_str_has_prefix (*l, "model name")) {
      const gchar *colon = strchr (*l, ':');

      if (colon != NULL)
        model = g_strstrip (g_strdup (colon + 1));
    }
  }
  g_strfreev (lines);
  g_free (contents);
  return model != NULL ? model : g_strdup ("unknown");
}

/* Returns a newly allocated string: /proc/loadavg without its newline. */
gchar *
load_average (void)
{
  gchar *contents = NULL;

  if (!g_file_get_contents ("/proc/loadavg", &contents, NULL, NULL))
    return g_strdup ("unknown");
  return g_strstrip (contents);
}

/* What an in-place filter pays for a buffer whose memory the harness also
 * holds: mapping it writable copies the memory (copy-on-write). */
GstPadProbeReturn
cow_probe (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  GstMapInfo map;

  GST_PAD_PROBE_INFO_DATA (info) = buf;
  if (gst_buffer_map (buf, &map, GST_MAP_READWRITE))
    gst_buffer_unmap (buf, &map);
  return GST_PAD_PROBE_OK;
}

void
stop_pipeline (GstElement * pipeline, gpointer user_data)
{
  /* READY flushes appsrc, which unblocks the pushing thread. */
  gst_element_set_state (pipeline, GST_STATE_READY);
}

const gchar *
verdict (gboolean pass)
{
  return pass ? "PASS" : "MISS";
}
