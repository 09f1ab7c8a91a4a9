/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plugin seecitvopencv: registers the elements that need OpenCV. Nothing
 * else lives here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseecitvmotion.h"
#include "gstseecitvredact.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (seecitvmotion, plugin);
  ret |= GST_ELEMENT_REGISTER (seecitvredact, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, seecitvopencv,
    "seecitv elements built on OpenCV: motion detection and redaction",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
