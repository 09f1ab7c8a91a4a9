/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * SeecitvServeAuth: the GstRTSPAuth of seecitv-serve's mounts. On top of
 * gst-rtsp-server's own checks it logs every failed login (the client's
 * address and, when it is one of the configured users, the user; never a
 * password nor a user name nobody configured, which could be a password
 * typed in the wrong field) and brakes guessing per address with the
 * device's limiter (SeecitvRateLimiter, protocol.h): after too many wrong
 * credentials, every request from that address is answered 503 Service
 * Unavailable with Retry-After, right credentials included, until the
 * lock-out ends. Only wrong credentials count: a request without any (the
 * first of every client) is answered 401 as always, and the same wrong
 * credentials sent again from the same address (a client retrying: for
 * Digest, the same user again on one connection) count and are logged
 * once.
 */
#ifndef __SEECITV_SERVE_AUTH_H__
#define __SEECITV_SERVE_AUTH_H__

#include <gst/rtsp-server/rtsp-server.h>

G_BEGIN_DECLS

#define SEECITV_TYPE_SERVE_AUTH (seecitv_serve_auth_get_type ())
G_DECLARE_FINAL_TYPE (SeecitvServeAuth, seecitv_serve_auth, SEECITV,
    SERVE_AUTH, GstRTSPAuth);

/* Failures further apart than this do not add up (as on the device). */
#define SEECITV_SERVE_AUTH_WINDOW_S 300
#define SEECITV_SERVE_AUTH_MAX_ADDRESSES 1024

/* @max_failures wrong logins (0: no brake) lock an address out for
 * @lockout_ms, doubling for repeat offenders. */
SeecitvServeAuth *seecitv_serve_auth_new (guint max_failures,
    guint lockout_ms);

/* Accepts @user with @password by Digest, and by Basic too if @basic
 * (only inside TLS: Basic sends the password itself), granting @token.
 * The caller sets the supported methods to match. */
void seecitv_serve_auth_add_user (SeecitvServeAuth * auth,
    const gchar * user, const gchar * password, gboolean basic,
    GstRTSPToken * token);

/* The same brake and log for another service (ONVIF, serve-onvif.h):
 * a wrong login from @ip claiming @user (may be NULL; printed only when
 * configured), as "@service: login failed from …". Returns the
 * lock-out left (µs), 0 if none. Thread-safe, as the three below. */
gint64 seecitv_serve_auth_failed (SeecitvServeAuth * auth,
    const gchar * service, const gchar * ip, const gchar * user);
/* A right login from @ip: its failures are forgotten. */
void seecitv_serve_auth_succeeded (SeecitvServeAuth * auth,
    const gchar * ip);
/* 0 if @ip may log in now, else the µs left of its lock-out. */
gint64 seecitv_serve_auth_locked_out (SeecitvServeAuth * auth,
    const gchar * ip);

G_END_DECLS

#endif /* __SEECITV_SERVE_AUTH_H__ */
