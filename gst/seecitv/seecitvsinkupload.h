/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink's off-site copies (docs/upload.md): its four upload-*
 * properties, the persistent queue it feeds when a clip closes, the drain
 * at EOS and the seecitvsink-upload-done / -failed messages. Kept out of
 * gstseecitvsink.c so that the sink only makes a few calls. The queue
 * itself (ext/soup/uploadqueue.c, libsoup 3 and OpenSSL) is a module
 * loaded with GModule when `upload` is set, so the plugin does not link
 * libsoup; without the module `upload` is refused at start with a clear
 * error.
 */
#ifndef __SEECITV_SINK_UPLOAD_H__
#define __SEECITV_SINK_UPLOAD_H__

#include <gst/gst.h>

G_BEGIN_DECLS

#define SEECITV_SINK_UPLOAD_N_PROPS 4

typedef struct _SeecitvSinkUpload SeecitvSinkUpload;

/* Installs upload, upload-endpoint, upload-timeout, upload-delete-local
 * as property ids first_id .. first_id + 3. */
void seecitv_sink_upload_install_properties (GObjectClass * klass,
    guint first_id);

SeecitvSinkUpload *seecitv_sink_upload_new (GstElement * sink);
void seecitv_sink_upload_free (SeecitvSinkUpload * u);

/* index is prop_id - first_id. */
void seecitv_sink_upload_set_property (SeecitvSinkUpload * u, guint index,
    const GValue * value, GParamSpec * pspec);
void seecitv_sink_upload_get_property (SeecitvSinkUpload * u, guint index,
    GValue * value, GParamSpec * pspec);

/* READY->PAUSED: opens the queue beside keystore and resumes it. FALSE
 * after posting an error. Does nothing when `upload` is unset. */
gboolean seecitv_sink_upload_start (SeecitvSinkUpload * u,
    const gchar * keystore);
/* A clip file is complete: queue it (as "<device_id>/<file name>"). */
void seecitv_sink_upload_clip (SeecitvSinkUpload * u, const gchar * path,
    const gchar * device_id);
/* At EOS: waits up to upload-timeout for the queue to empty. */
void seecitv_sink_upload_drain (SeecitvSinkUpload * u);
/* PAUSED->READY, before the children stop: ends a drain at once (it runs
 * in a streaming thread) and stops uploading; clips closing meanwhile are
 * still queued. */
void seecitv_sink_upload_interrupt (SeecitvSinkUpload * u);
/* PAUSED->READY, after: frees the queue; what is left stays queued. */
void seecitv_sink_upload_stop (SeecitvSinkUpload * u);

G_END_DECLS

#endif /* __SEECITV_SINK_UPLOAD_H__ */
