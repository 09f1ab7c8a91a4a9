/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * TLS pins (ARCHITECTURE.md, "TLS pin"): `sha256:<64 lowercase hex>` of a
 * certificate's DER, as seecitv-device prints it and seecitvsrc's
 * `tls-pin` takes it. Comparing a pin is the caller's, in constant time.
 */
#ifndef __SEECITV_TLS_PIN_H__
#define __SEECITV_TLS_PIN_H__

#include <gio/gio.h>

G_BEGIN_DECLS

#define SEECITV_TLS_PIN_PREFIX "sha256:"
/* strlen of a pin */
#define SEECITV_TLS_PIN_LEN (7 + 64)

gboolean seecitv_tls_pin_is_valid (const gchar * pin);
/* Returns: (transfer full): the pin of @cert, "sha256:unknown" when it
 * has no DER. */
gchar *seecitv_tls_pin_from_certificate (GTlsCertificate * cert);

/* A fresh P-256 key and a self-signed certificate for @cn valid for a
 * year, with 127.0.0.1 and localhost as subject alternative names (as
 * seecitv-device --tls-generate and seecitv-serve's rtsps use them: a
 * client checks them by their pin). Returns the PEM of both, certificate
 * first (wipe with OPENSSL_cleanse, then g_free ()), or NULL. */
gchar *seecitv_tls_generate_self_signed (const gchar * cn);

G_END_DECLS

#endif /* __SEECITV_TLS_PIN_H__ */
