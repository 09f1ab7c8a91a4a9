/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef __SEECITV_REDACT_H__
#define __SEECITV_REDACT_H__

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define SEECITV_TYPE_REDACT (seecitv_redact_get_type ())
G_DECLARE_FINAL_TYPE (SeecitvRedact, seecitv_redact, SEECITV, REDACT,
    GstVideoFilter);

typedef enum
{
  SEECITV_REDACT_METHOD_PIXELATE,
  SEECITV_REDACT_METHOD_BLUR,
  SEECITV_REDACT_METHOD_FILL,
} SeecitvRedactMethod;

typedef enum
{
  SEECITV_REDACT_ON_FAILURE_HIDE_FRAME,
  SEECITV_REDACT_ON_FAILURE_ERROR,
  SEECITV_REDACT_ON_FAILURE_PASS,
} SeecitvRedactOnFailure;

typedef enum
{
  SEECITV_REDACT_DETECTOR_AUTO,
  SEECITV_REDACT_DETECTOR_BLAZEFACE,
  SEECITV_REDACT_DETECTOR_CASCADE,
  SEECITV_REDACT_DETECTOR_YUNET,
} SeecitvRedactDetector;

GST_ELEMENT_REGISTER_DECLARE (seecitvredact);

G_END_DECLS

#endif /* __SEECITV_REDACT_H__ */
