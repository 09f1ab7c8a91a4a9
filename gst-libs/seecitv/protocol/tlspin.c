/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * TLS pins (see tlspin.h): the format and a certificate's pin. Tested in
 * tests/check/libs/protocol.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tlspin.h"

#include <string.h>

gboolean
seecitv_tls_pin_is_valid (const gchar * pin)
{
  gsize i;

  if (pin == NULL || !g_str_has_prefix (pin, SEECITV_TLS_PIN_PREFIX) ||
      strlen (pin) != SEECITV_TLS_PIN_LEN)
    return FALSE;
  for (i = 7; i < SEECITV_TLS_PIN_LEN; i++) {
    if (!g_ascii_isdigit (pin[i]) && !(pin[i] >= 'a' && pin[i] <= 'f'))
      return FALSE;
  }
  return TRUE;
}

gchar *
seecitv_tls_pin_from_certificate (GTlsCertificate * cert)
{
  GByteArray *der = NULL;
  gchar *hex, *pin;

  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL)
    return g_strdup (SEECITV_TLS_PIN_PREFIX "unknown");
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  pin = g_strconcat (SEECITV_TLS_PIN_PREFIX, hex, NULL);
  g_free (hex);
  g_byte_array_unref (der);
  return pin;
}
