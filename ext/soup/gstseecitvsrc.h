/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsrc: a live source that pulls a seecitv device's (or any MJPEG
 * server's) multipart stream over HTTP(S) with libsoup 3. See
 * gstseecitvsrc.c for the documentation.
 */
#ifndef __SEECITV_SRC_H__
#define __SEECITV_SRC_H__

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define SEECITV_TYPE_SRC (seecitv_src_get_type ())
G_DECLARE_FINAL_TYPE (SeecitvSrc, seecitv_src, SEECITV, SRC, GstPushSrc);

GST_ELEMENT_REGISTER_DECLARE (seecitvsrc);

/* The device id tag (a string, [A-Za-z0-9._-]{1,64}). */
#define SEECITV_TAG_DEVICE_ID "seecitv-device-id"

G_END_DECLS

#endif /* __SEECITV_SRC_H__ */
