/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plugin seecitvsoup: registers the elements that need libsoup 3. Nothing
 * else lives here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseecitvsrc.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  return GST_ELEMENT_REGISTER (seecitvsrc, plugin);
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, seecitvsoup,
    "seecitv elements built on libsoup 3: the authenticated device source",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
