/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink's off-site copies (docs/upload.md): its four upload-*
 * properties, the persistent queue it feeds when a clip closes, the drain
 * at EOS and the seecitvsink-upload-done / -failed messages. Kept out of
 * gstseecitvsink.c so that the sink only makes a few calls. The queue
 * itself (gst-libs/seecitv/s3/uploadqueue.c, libsoup 3 and OpenSSL) is a module
 * loaded with GModule when `upload` is set, so the plugin does not link
 * libsoup; without the module `upload` is refused at start with a clear
 * error.
 */
#ifndef __SEECITV_SINK_UPLOAD_H__
#define __SEECITV_SINK_UPLOAD_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define SEECITV_SINK_UPLOAD_N_PROPS 4

/* From the sink's class_init: installs upload, upload-endpoint,
 * upload-timeout, upload-delete-local as property ids first_id ..
 * first_id + 3. */
void seecitv_sink_upload_class_init (GstElementClass * klass,
    guint first_id);
/* From the sink's init: the per-instance state, freed with the sink. */
void seecitv_sink_upload_init (GstElement * sink);

/* index is prop_id - first_id. Called without the object lock. */
void seecitv_sink_upload_set_property (GstElement * sink, guint index,
    const GValue * value);
void seecitv_sink_upload_get_property (GstElement * sink, guint index,
    GValue * value);

/* READY->PAUSED: opens the queue beside keystore and resumes it. FALSE
 * after posting an error. Does nothing when `upload` is unset. */
gboolean seecitv_sink_upload_start (GstElement * sink,
    const gchar * keystore);
/* PAUSED->READY, before the children stop: ends a drain at once (it runs
 * in a streaming thread) and stops uploading; clips closing meanwhile are
 * still queued. */
void seecitv_sink_upload_interrupt (GstElement * sink);
/* PAUSED->READY, after: frees the queue; what is left stays queued. */
void seecitv_sink_upload_stop (GstElement * sink);

/* The sink calls these where it posts its own messages, with no lock
 * held. Before "seecitvsink-clip-opened": counts the clip (the EOS drain
 * waits for its close). */
void seecitv_sink_upload_clip_opened (GstElement * sink);
/* Before "seecitvsink-clip-closed": queues the clip @path as
 * "<device-id>/<file name>" (@device_id: the sink's effective id). */
void seecitv_sink_upload_clip_closed (GstElement * sink, const gchar * path,
    const gchar * device_id);
/* Instead of posting its EOS (transfer full): with a queue, the EOS is
 * posted from another thread once the queue is empty or upload-timeout
 * passed; without one, at once. */
void seecitv_sink_upload_post_eos (GstElement * sink, GstMessage * eos);

G_END_DECLS

#endif /* __SEECITV_SINK_UPLOAD_H__ */
