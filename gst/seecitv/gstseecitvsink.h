/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink: the recording bin (see gstseecitvsink.c).
 */
#ifndef __SEECITV_SINK_H__
#define __SEECITV_SINK_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define SEECITV_TYPE_SINK (seecitv_sink_get_type ())
G_DECLARE_FINAL_TYPE (SeecitvSink, seecitv_sink, SEECITV, SINK, GstBin)

#define SEECITV_TYPE_SINK_TRIGGER (seecitv_sink_trigger_get_type ())
GType seecitv_sink_trigger_get_type (void);

typedef enum
{
  SEECITV_SINK_TRIGGER_CONTINUOUS,
  SEECITV_SINK_TRIGGER_MOTION,
  SEECITV_SINK_TRIGGER_MANUAL,
} SeecitvSinkTrigger;

GST_ELEMENT_REGISTER_DECLARE (seecitvsink);

G_END_DECLS

#endif /* __SEECITV_SINK_H__ */
