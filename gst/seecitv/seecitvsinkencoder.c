/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink's inner encoder for raw input: videoconvert, the encoder
 * named by the encoder/encoder-element properties (or the first installed
 * default, behind a 4:2:0 capsfilter) and a parser for H.264/H.265,
 * between the sink pad and the gate pad.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvsink-private.h"

#include <string.h>

#define GST_CAT_DEFAULT seecitv_sink_debug

/* Tried in this order when #SeecitvSink:encoder is not set. */
static const gchar *const default_encoders[] = {
  "x264enc tune=zerolatency",
  "openh264enc",
  "vp8enc deadline=1",
};

/* In front of a default encoder: x264enc prefers the input's own chroma
 * and would record 4:4:4 input (videotestsrc's default) as High 4:4:4,
 * which browsers and most hardware decoders cannot play. 4:2:0 plays
 * everywhere; an encoder the user names gets what it asks for. */
#define DEFAULT_ENCODER_CAPS "video/x-raw,format=(string){ I420, NV12 }"

/* Makes the encoder named by @desc: a factory name, a single element with
 * properties, or a launch line of several elements. */
static GstElement *
make_encoder (const gchar * desc, GError ** err)
{
  if (strchr (desc, '!') != NULL)
    return gst_parse_bin_from_description (desc, TRUE, err);
  return gst_parse_launch (desc, err);
}

static gboolean
factory_exists (const gchar * desc)
{
  gchar **words = g_strsplit (desc, " ", 2);
  GstElementFactory *f = gst_element_factory_find (words[0]);

  g_strfreev (words);
  if (f == NULL)
    return FALSE;
  gst_object_unref (f);
  return TRUE;
}

/* Streaming thread, on raw caps: puts videoconvert, the encoder and a
 * parser for H.264 or H.265 between the sink pad and the gate. */
gboolean
seecitv_sink_setup_encoder (SeecitvSink * self)
{
  GstElement *enc, *parse = NULL, *convert, *filter = NULL, *last;
  GstPad *pad;
  GstCaps *caps;
  gchar *desc;
  GError *err = NULL;
  gboolean chosen = FALSE;
  guint i;

  GST_OBJECT_LOCK (self);
  enc = self->encoder_element ? gst_object_ref (self->encoder_element) : NULL;
  desc = g_strdup (self->encoder_desc);
  GST_OBJECT_UNLOCK (self);

  if (enc == NULL && desc == NULL) {
    for (i = 0; i < G_N_ELEMENTS (default_encoders) && desc == NULL; i++)
      if (factory_exists (default_encoders[i]))
        desc = g_strdup (default_encoders[i]);
    chosen = desc != NULL;
    if (desc == NULL) {
      GST_ELEMENT_ERROR_WITH_DETAILS (self, CORE, MISSING_PLUGIN,
          ("No encoder for raw video is installed (x264enc, openh264enc or "
              "vp8enc); set \"encoder\""), (NULL),
          ("element", G_TYPE_STRING, "x264enc", NULL));
      return FALSE;
    }
  }
  if (enc == NULL) {
    enc = make_encoder (desc, &err);
    if (enc == NULL || err != NULL) {
      GST_ELEMENT_ERROR_WITH_DETAILS (self, CORE, MISSING_PLUGIN,
          ("Cannot make the encoder \"%s\".", desc),
          ("%s", err ? err->message : "unknown"),
          ("element", G_TYPE_STRING, desc, NULL));
      g_clear_error (&err);
      gst_clear_object (&enc);
      g_free (desc);
      return FALSE;
    }
    /* A single element comes back floating or not, depending on how
     * gst_parse_launch () got it: own exactly one reference. */
    if (g_object_is_floating (enc))
      gst_object_ref_sink (enc);
  }
  g_free (desc);

  /* A parser after H.264 and H.265 encoders: the muxer takes only avc
   * and hvc1 forms with complete access units. */
  pad = gst_element_get_static_pad (enc, "src");
  caps = pad ? gst_pad_query_caps (pad, NULL) : NULL;
  if (caps != NULL && !gst_caps_is_empty (caps) && !gst_caps_is_any (caps)) {
    const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps,
            0));

    if (strcmp (name, "video/x-h264") == 0)
      parse = seecitv_sink_make (self, "h264parse");
    else if (strcmp (name, "video/x-h265") == 0)
      parse = seecitv_sink_make (self, "h265parse");
  }
  gst_clear_caps (&caps);
  gst_clear_object (&pad);

  /* Any raw format in: converted to what the encoder takes (passthrough
   * when it takes it as it is). */
  convert = seecitv_sink_make (self, "videoconvert");
  if (chosen && convert != NULL) {
    filter = seecitv_sink_make (self, "capsfilter");
    if (filter != NULL) {
      caps = gst_caps_from_string (DEFAULT_ENCODER_CAPS);
      g_object_set (filter, "caps", caps, NULL);
      gst_caps_unref (caps);
    }
  }
  if (convert == NULL || (chosen && filter == NULL) ||
      GST_OBJECT_PARENT (enc) != NULL) {
    if (convert != NULL && (!chosen || filter != NULL))
      GST_ELEMENT_ERROR (self, CORE, FAILED, ("Could not add the encoder "
              "(is it in another bin already?)"), (NULL));
    gst_object_unref (enc);
    gst_clear_object (&parse);
    gst_clear_object (&convert);
    gst_clear_object (&filter);
    return FALSE;
  }
  /* @enc is not floating: the bin takes a reference of its own. */
  gst_bin_add (GST_BIN (self), enc);
  self->encoders = g_list_prepend (self->encoders, enc);
  gst_bin_add (GST_BIN (self), gst_object_ref (convert));
  self->encoders = g_list_prepend (self->encoders, convert);
  if (filter != NULL) {
    gst_bin_add (GST_BIN (self), gst_object_ref (filter));
    self->encoders = g_list_prepend (self->encoders, filter);
    if (!gst_element_link_many (convert, filter, enc, NULL))
      goto link_failed;
  } else if (!gst_element_link (convert, enc))
    goto link_failed;
  last = enc;
  if (parse != NULL) {
    gst_bin_add (GST_BIN (self), gst_object_ref (parse));
    self->encoders = g_list_prepend (self->encoders, parse);
    if (!gst_element_link (enc, parse))
      goto link_failed;
    last = parse;
  }
  pad = gst_element_get_static_pad (convert, "sink");
  if (pad == NULL || GST_PAD_LINK_FAILED (gst_pad_link (self->raw_srcpad,
              pad))) {
    gst_clear_object (&pad);
    goto link_failed;
  }
  gst_object_unref (pad);
  pad = gst_element_get_static_pad (last, "src");
  if (pad == NULL || GST_PAD_LINK_FAILED (gst_pad_link (pad,
              self->gate_pad))) {
    gst_clear_object (&pad);
    goto link_failed;
  }
  gst_object_unref (pad);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
  if (parse != NULL)
    gst_element_sync_state_with_parent (parse);
  if (filter != NULL)
    gst_element_sync_state_with_parent (filter);
  if (!gst_element_sync_state_with_parent (enc) ||
      !gst_element_sync_state_with_parent (convert)) {
    GST_ELEMENT_ERROR (self, CORE, STATE_CHANGE,
        ("Could not start the encoder"), (NULL));
    return FALSE;
  }
  GST_INFO_OBJECT (self, "raw input: encoding with %" GST_PTR_FORMAT, enc);
  return TRUE;

link_failed:
  GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
      ("The encoder does not output a format the sink takes (H.264, H.265, "
          "JPEG, VP8, VP9)"), (NULL));
  return FALSE;
}
