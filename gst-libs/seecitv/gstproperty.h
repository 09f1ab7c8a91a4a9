/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * GStreamer-side helpers for element properties, shared by every plugin
 * (the rest of gst-libs/seecitv is pure C over GLib; this part links
 * GStreamer and lives in its own static library, libseecitvgst).
 */
#ifndef __SEECITV_GST_PROPERTY_H__
#define __SEECITV_GST_PROPERTY_H__

#include <gst/gst.h>

G_BEGIN_DECLS

/* Posts the one warning for a property that cannot change while the
 * element runs and was therefore refused whole (the old value stays):
 * CORE/STATE_CHANGE with a "property" detail. Call without the object
 * lock. */
void seecitv_warn_property_refused (GstElement * element, GParamSpec * pspec);

G_END_DECLS

#endif /* __SEECITV_GST_PROPERTY_H__ */
