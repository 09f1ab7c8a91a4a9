/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Plugin seecitvcrypto: registers the elements that need OpenSSL. Nothing
 * else lives here.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstseecitvcryptsink.h"
#include "gstseecitvdecrypt.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (seecitvcryptsink, plugin);
  ret |= GST_ELEMENT_REGISTER (seecitvdecrypt, plugin);

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, seecitvcrypto,
    "seecitv elements built on OpenSSL: encrypted clip writing and reading",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
