/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-serve's rtsps certificate (docs/serve.md, "RTSP over TLS"): the
 * [rtsp] group's tls-cert-file and tls-key-file (PEM, the key 0600), or a
 * self-signed certificate generated once and kept, with its key, in
 * tls-self-signed-file (0600; default: rtsps.pem in systemd's
 * $STATE_DIRECTORY, else seecitv/serve-rtsps.pem in the user's state
 * directory) so that its pin stays the same across restarts. Certificate
 * and key are checked with OpenSSL before use: a missing, unreadable or
 * unparsable file, or a key that is not the certificate's, is an error
 * naming the key. Keys are wiped from memory once GIO has them.
 */
#ifndef __SEECITV_SERVE_TLS_H__
#define __SEECITV_SERVE_TLS_H__

#include "serve-config.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/* TRUE when @cfg serves rtsps. */
gboolean seecitv_serve_tls_enabled (const SeecitvServeConfig * cfg);

/* The certificate (with its key) for @cfg's rtsps, generating the
 * self-signed one if it does not exist yet and @create (else NULL, with
 * *@error unset: `--check` writes nothing). NULL with *@error set
 * ("PATH: [rtsp] KEY: ...") when a file is wrong. */
GTlsCertificate *seecitv_serve_tls_load (const SeecitvServeConfig * cfg,
    gboolean create, GError ** error);

G_END_DECLS

#endif /* __SEECITV_SERVE_TLS_H__ */
