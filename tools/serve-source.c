/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The `pipeline=` source bin of serve-source.h. gst_parse's own ghosting
 * cannot expose a pad that does not exist yet (uridecodebin ends a
 * description: "cannot link"), and its delayed linking takes the first pad
 * that appears, audio as well ("uridecodebin ! queue": the audio pad wins,
 * then "Delayed linking failed" and not-linked for ever). Here the
 * dynamic elements are told to offer video only, and the bin's "src" is
 * a ghost pad whose target is set when the first video pad appears.
 * Signal handlers run in streaming threads; they touch only the bin's
 * ghost pad (its own lock) and add fakesinks (the bin's).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serve-source.h"

#include <string.h>

#define GHOST_NAME "src"
#define VIDEO_CAPS "video/x-raw(ANY)"

/* rtspsrc::select-stream: @caps describe one SDP media; video only. */
static gboolean
select_stream_cb (GstElement * src, guint num, GstCaps * caps,
    gpointer user_data)
{
  const GstStructure *st = caps && gst_caps_get_size (caps) > 0 ?
      gst_caps_get_structure (caps, 0) : NULL;

  return st != NULL && g_strcmp0 (gst_structure_get_string (st, "media"),
      "video") == 0;
}

/* Makes @e, if it is one of the dynamic elements we know, offer video
 * only. */
static void
restrict_element (GstElement * e)
{
  GstElementFactory *f = gst_element_get_factory (e);
  const gchar *name = f ? gst_plugin_feature_get_name (f) : NULL;

  if (name == NULL)
    return;
  if (strcmp (name, "rtspsrc") == 0) {
    g_signal_connect (e, "select-stream", G_CALLBACK (select_stream_cb),
        NULL);
  } else if (strcmp (name, "uridecodebin") == 0 ||
      strcmp (name, "decodebin") == 0) {
    GstCaps *caps = gst_caps_from_string (VIDEO_CAPS);

    g_object_set (e, "caps", caps, "expose-all-streams", FALSE, NULL);
    gst_caps_unref (caps);
  }
}

/* Elements made later inside the bin's children (uridecodebin's rtspsrc,
 * its decodebin) are restricted as they are added, before they start. */
static void
deep_element_added_cb (GstBin * bin, GstBin * sub_bin, GstElement * e,
    gpointer user_data)
{
  restrict_element (e);
}

static gboolean
pad_is_video (GstPad * pad)
{
  GstCaps *caps = gst_pad_get_current_caps (pad);
  const GstStructure *st;
  gboolean video = FALSE;

  if (caps == NULL)
    caps = gst_pad_query_caps (pad, NULL);
  if (caps != NULL && !gst_caps_is_any (caps) && gst_caps_get_size (caps) > 0) {
    st = gst_caps_get_structure (caps, 0);
    video = g_str_has_prefix (gst_structure_get_name (st), "video/") ||
        (gst_structure_has_name (st, "application/x-rtp") &&
        g_strcmp0 (gst_structure_get_string (st, "media"), "video") == 0);
  }
  gst_clear_caps (&caps);
  return video;
}

/* Drops what @pad sends: nothing may stay not-linked. */
static void
drop_pad (GstElement * bin, GstPad * pad)
{
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstPad *sinkpad;

  if (sink == NULL)
    return;
  g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
  gst_bin_add (GST_BIN (bin), sink);
  sinkpad = gst_element_get_static_pad (sink, "sink");
  gst_pad_link (pad, sinkpad);
  gst_object_unref (sinkpad);
  gst_element_sync_state_with_parent (sink);
}

static void
pad_added_cb (GstElement * tail, GstPad * pad, gpointer user_data)
{
  GstElement *bin = user_data;
  GstPad *ghost;
  GstPad *target;

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  ghost = gst_element_get_static_pad (bin, GHOST_NAME);
  target = gst_ghost_pad_get_target (GST_GHOST_PAD (ghost));
  if (target == NULL && pad_is_video (pad))
    gst_ghost_pad_set_target (GST_GHOST_PAD (ghost), pad);
  else
    drop_pad (bin, pad);
  gst_clear_object (&target);
  gst_object_unref (ghost);
}

static void
no_more_pads_cb (GstElement * tail, gpointer user_data)
{
  GstElement *bin = user_data;
  GstPad *ghost = gst_element_get_static_pad (bin, GHOST_NAME);
  GstPad *target = gst_ghost_pad_get_target (GST_GHOST_PAD (ghost));

  if (target == NULL) {
    GError *err = g_error_new (GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
        "pipeline: %s has no video stream", GST_OBJECT_NAME (tail));

    gst_element_post_message (bin, gst_message_new_error_with_details
        (GST_OBJECT (bin), err, NULL, gst_structure_new ("details",
                "reason", G_TYPE_STRING, "no-video", NULL)));
    g_error_free (err);
  }
  gst_clear_object (&target);
  gst_object_unref (ghost);
}

/* The element the description ends in (gst_bin_add prepends: the newest
 * child) if its source pads come later, else NULL. */
static GstElement *
dynamic_tail (GstBin * bin)
{
  GstElement *last = NULL;
  const GList *t;

  GST_OBJECT_LOCK (bin);
  if (GST_BIN_CHILDREN (bin) != NULL)
    last = gst_object_ref (GST_BIN_CHILDREN (bin)->data);
  GST_OBJECT_UNLOCK (bin);
  if (last == NULL)
    return NULL;
  for (t = gst_element_class_get_pad_template_list (GST_ELEMENT_GET_CLASS
          (last)); t != NULL; t = t->next) {
    GstPadTemplate *tmpl = t->data;

    if (GST_PAD_TEMPLATE_DIRECTION (tmpl) == GST_PAD_SRC &&
        GST_PAD_TEMPLATE_PRESENCE (tmpl) == GST_PAD_SOMETIMES)
      return last;
  }
  gst_object_unref (last);
  return NULL;
}

/* An unlinked source pad of one of @bin's own children (not of their
 * children: decodebin's typefind has one for a moment), or NULL. */
static GstPad *
unlinked_src_pad (GstBin * bin)
{
  GstIterator *it = gst_bin_iterate_elements (bin);
  GValue v = G_VALUE_INIT;
  GstPad *found = NULL;

  while (found == NULL && gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    GstElement *e = g_value_get_object (&v);
    GstIterator *pit = gst_element_iterate_src_pads (e);
    GValue pv = G_VALUE_INIT;

    while (found == NULL && gst_iterator_next (pit, &pv) == GST_ITERATOR_OK) {
      GstPad *pad = g_value_get_object (&pv);

      if (!gst_pad_is_linked (pad))
        found = gst_object_ref (pad);
      g_value_reset (&pv);
    }
    g_value_unset (&pv);
    gst_iterator_free (pit);
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
  return found;
}

static void
restrict_all (GstBin * bin)
{
  GstIterator *it = gst_bin_iterate_recurse (bin);
  GValue v = G_VALUE_INIT;

  while (gst_iterator_next (it, &v) == GST_ITERATOR_OK) {
    restrict_element (g_value_get_object (&v));
    g_value_reset (&v);
  }
  g_value_unset (&v);
  gst_iterator_free (it);
}

GstElement *
seecitv_serve_source_new (const gchar * description, GError ** error)
{
  GstElement *bin = gst_parse_bin_from_description_full (description, FALSE,
      NULL, GST_PARSE_FLAG_NONE, error);
  GstElement *tail = NULL;
  GstPad *pad, *ghost;

  if (bin == NULL)
    return NULL;
  restrict_all (GST_BIN (bin));
  g_signal_connect (bin, "deep-element-added",
      G_CALLBACK (deep_element_added_cb), NULL);
  pad = unlinked_src_pad (GST_BIN (bin));
  if (pad != NULL) {
    ghost = gst_ghost_pad_new (GHOST_NAME, pad);
    gst_object_unref (pad);
  } else if ((tail = dynamic_tail (GST_BIN (bin))) != NULL) {
    ghost = gst_ghost_pad_new_no_target (GHOST_NAME, GST_PAD_SRC);
    g_signal_connect (tail, "pad-added", G_CALLBACK (pad_added_cb), bin);
    g_signal_connect (tail, "no-more-pads", G_CALLBACK (no_more_pads_cb),
        bin);
    gst_object_unref (tail);
  } else {
    g_set_error (error, GST_PARSE_ERROR, GST_PARSE_ERROR_LINK,
        "ends in no element with a free source pad");
    gst_object_unref (bin);
    return NULL;
  }
  gst_element_add_pad (bin, ghost);
  return bin;
}
