/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-serve as an ONVIF device (Profile S streaming, docs/onvif.md):
 * a libsoup 3 server for the [onvif] group with the device service at
 * /onvif/device_service, the media service (ver10) at
 * /onvif/media_service, and a JPEG snapshot of each device's redacted
 * stream at /onvif/snapshot/<device-id>. One media profile, video source
 * and encoder configuration per [device]; the stream URI is the device's
 * RTSP mount. Every XAddr and URI uses the host of the request's Host
 * header. Logins (WS-Security UsernameToken PasswordDigest, HTTP Digest)
 * go through the RTSP side's brake and log (serve-auth.h). Main thread
 * only, except seecitv_serve_onvif_watch ()'s probe.
 */
#ifndef __SEECITV_SERVE_ONVIF_H__
#define __SEECITV_SERVE_ONVIF_H__

#include "serve-auth.h"
#include "serve-config.h"

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _SeecitvServeOnvif SeecitvServeOnvif;

/* For @cfg (kept, as @creds: ONVIF accounts, SeecitvServeCredential). */
SeecitvServeOnvif *seecitv_serve_onvif_new (const SeecitvServeConfig * cfg,
    GPtrArray * creds);

/* The device @id: its snapshots are taken from @redacted's
 * src pad (after seecitvredact), its encoder settings read from
 * @encoder's. */
void seecitv_serve_onvif_watch (SeecitvServeOnvif * onvif,
    const gchar * id, GstElement * redacted, GstElement * encoder);

/* Listens; logins share @auth's brake. Stream URIs point at @rtsp_port,
 * rtsps:// if @tls. */
gboolean seecitv_serve_onvif_start (SeecitvServeOnvif * onvif,
    SeecitvServeAuth * auth, guint rtsp_port, gboolean tls,
    GError ** error);

/* The port it listens on (after start). */
guint seecitv_serve_onvif_get_port (SeecitvServeOnvif * onvif);

void seecitv_serve_onvif_free (SeecitvServeOnvif * onvif);

G_END_DECLS

#endif /* __SEECITV_SERVE_ONVIF_H__ */
