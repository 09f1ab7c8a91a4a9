/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The capture times of serve-capturetime.h: the reference timestamp meta
 * read or made, and the header extension put on a payloader.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serve-capturetime.h"

#include <gst/rtp/gstrtphdrext.h>

/* Seconds from the NTP epoch (1900) to the Unix one (1970). */
#define NTP_UNIX_OFFSET_S G_GUINT64_CONSTANT (2208988800)

static GstCaps *
ntp_caps (void)
{
  static GstStaticCaps caps = GST_STATIC_CAPS ("timestamp/x-ntp");

  return gst_static_caps_get (&caps);
}

static void
element_added_cb (GstBin * bin, GstElement * element, gpointer user_data)
{
  GstElementFactory *f = gst_element_get_factory (element);

  /* rtpbin would put its own clock in every extension it sends */
  if (f != NULL && g_strcmp0 (GST_OBJECT_NAME (f), "rtpbin") == 0 &&
      g_object_class_find_property (G_OBJECT_GET_CLASS (element),
          "update-ntp64-header-ext") != NULL)
    g_object_set (element, "update-ntp64-header-ext", FALSE, NULL);
}

gboolean
seecitv_serve_capture_time_add_extension (GstElement * payloader,
    GstBin * pipeline)
{
  GstRTPHeaderExtension *ext =
      gst_rtp_header_extension_create_from_uri (GST_RTP_HDREXT_BASE
      GST_RTP_HDREXT_NTP_64);

  if (ext == NULL)
    return FALSE;
  gst_rtp_header_extension_set_id (ext, SEECITV_SERVE_NTP_EXTENSION_ID);
  g_signal_connect (pipeline, "element-added", G_CALLBACK (element_added_cb),
      NULL);
  g_signal_emit_by_name (payloader, "add-extension", ext);
  gst_object_unref (ext);
  return TRUE;
}

GstClockTime
seecitv_serve_capture_time_of (GstBuffer * buf, GstElement * element,
    GstClockTime running_time)
{
  GstCaps *caps = ntp_caps ();
  GstReferenceTimestampMeta *meta =
      gst_buffer_get_reference_timestamp_meta (buf, caps);
  GstClockTime ntp = GST_CLOCK_TIME_NONE;
  GstClock *clock;

  gst_caps_unref (caps);
  if (meta != NULL)
    return meta->timestamp;
  clock = gst_element_get_clock (element);
  if (clock != NULL && GST_CLOCK_TIME_IS_VALID (running_time)) {
    /* how long ago, on the pipeline's clock, the frame was stamped,
     * taken from the wall clock now */
    GstClockTime at = gst_element_get_base_time (element) + running_time;
    GstClockTime now = gst_clock_get_time (clock);
    guint64 real = (guint64) g_get_real_time () * 1000;
    GstClockTimeDiff ago = GST_CLOCK_DIFF (at, now);

    if (ago >= 0 && (guint64) ago < real)
      ntp = real - ago + NTP_UNIX_OFFSET_S * GST_SECOND;
  }
  if (clock != NULL)
    gst_object_unref (clock);
  return ntp;
}

void
seecitv_serve_capture_time_set (GstBuffer * buf, GstClockTime ntp)
{
  GstCaps *caps;

  if (!GST_CLOCK_TIME_IS_VALID (ntp))
    return;
  caps = ntp_caps ();
  if (gst_buffer_get_reference_timestamp_meta (buf, caps) == NULL)
    gst_buffer_add_reference_timestamp_meta (buf, caps, ntp,
        GST_CLOCK_TIME_NONE);
  gst_caps_unref (caps);
}
