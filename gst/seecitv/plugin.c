/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plugin seecitv: registers the elements that need only GStreamer. Nothing
 * else lives here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseecitvsink.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (seecitvsink, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, seecitv,
    "seecitv elements that need only GStreamer: motion-triggered recording",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
