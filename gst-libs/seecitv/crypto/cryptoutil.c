/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * OpenSSL error queue to GError, and RAND_bytes with a GError. The error
 * text comes from OpenSSL's reason strings, which never contain key
 * material; the queue is always left empty so that a later, unrelated
 * failure is not blamed on an old entry.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "cryptoutil.h"

#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

/* Called before every OpenSSL call sequence, once per chunk: peek first,
 * since ERR_clear_error () itself does 32 free ()s. */
void
seecitv_crypto_clear_errors (void)
{
  if (ERR_peek_error () != 0)
    ERR_clear_error ();
}

void
seecitv_crypto_set_error (GError ** error, GQuark domain, gint code,
    const gchar * operation)
{
  unsigned long e;
  GString *reasons = g_string_new (NULL);

  while ((e = ERR_get_error ()) != 0) {
    gchar buf[256];

    ERR_error_string_n (e, buf, sizeof (buf));
    if (reasons->len > 0)
      g_string_append (reasons, "; ");
    g_string_append (reasons, buf);
  }
  if (reasons->len == 0)
    g_string_append (reasons, "no detail from OpenSSL");

  g_set_error (error, domain, code, "%s failed: %s", operation, reasons->str);
  g_string_free (reasons, TRUE);
}

gboolean
seecitv_crypto_random (guint8 * buf, gsize len, GQuark domain, gint code,
    GError ** error)
{
  seecitv_crypto_clear_errors ();
  if (len > G_MAXINT || RAND_bytes (buf, (int) len) != 1) {
    seecitv_crypto_set_error (error, domain, code, "RAND_bytes");
    return FALSE;
  }
  return TRUE;
}

gboolean
seecitv_crypto_kdf (const gchar * name, gconstpointer params, guint8 * out,
    gsize len, GQuark domain, gint code, const gchar * operation,
    GError ** error)
{
  EVP_KDF *kdf;
  EVP_KDF_CTX *kctx = NULL;
  gboolean ok = FALSE;

  seecitv_crypto_clear_errors ();
  kdf = EVP_KDF_fetch (NULL, name, NULL);
  if (kdf != NULL)
    kctx = EVP_KDF_CTX_new (kdf);
  EVP_KDF_free (kdf);
  if (kctx != NULL)
    ok = EVP_KDF_derive (kctx, out, len, (const OSSL_PARAM *) params) == 1;
  if (!ok)
    seecitv_crypto_set_error (error, domain, code, operation);
  EVP_KDF_CTX_free (kctx);
  return ok;
}
