/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __SEECITV_MOTION_H__
#define __SEECITV_MOTION_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define SEECITV_TYPE_MOTION (seecitv_motion_get_type ())
G_DECLARE_FINAL_TYPE (SeecitvMotion, seecitv_motion, SEECITV, MOTION,
    GstVideoFilter);

GST_ELEMENT_REGISTER_DECLARE (seecitvmotion);

G_END_DECLS

#endif /* __SEECITV_MOTION_H__ */
