/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * TLS pins (see tlspin.h): the format, a certificate's pin, and a
 * self-signed certificate made with OpenSSL. Tested in
 * tests/check/libs/protocol.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tlspin.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
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

gchar *
seecitv_tls_generate_self_signed (const gchar * cn)
{
  EVP_PKEY *pkey = EVP_EC_gen ("P-256");
  X509 *x = X509_new ();
  X509_NAME *name;
  X509_EXTENSION *ext;
  X509V3_CTX ctx;
  BIO *bio = BIO_new (BIO_s_mem ());
  gchar *pem = NULL;
  guint8 serial[16];
  BIGNUM *bn = NULL;
  char *data;
  long len;

  if (pkey == NULL || x == NULL || bio == NULL)
    goto out;
  if (RAND_bytes (serial, sizeof (serial)) != 1)
    goto out;
  serial[0] &= 0x7f;
  bn = BN_bin2bn (serial, sizeof (serial), NULL);
  X509_set_version (x, 2);
  BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (x));
  X509_gmtime_adj (X509_getm_notBefore (x), -3600);
  X509_gmtime_adj (X509_getm_notAfter (x), 365L * 24 * 3600);
  X509_set_pubkey (x, pkey);
  name = X509_get_subject_name (x);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC,
      (const unsigned char *) cn, -1, -1, 0);
  X509_set_issuer_name (x, name);
  X509V3_set_ctx (&ctx, x, x, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_subject_alt_name,
      "IP:127.0.0.1,DNS:localhost");
  if (ext == NULL || !X509_add_ext (x, ext, -1)) {
    X509_EXTENSION_free (ext);
    goto out;
  }
  X509_EXTENSION_free (ext);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_basic_constraints,
      "critical,CA:TRUE");
  if (ext != NULL)
    X509_add_ext (x, ext, -1);
  X509_EXTENSION_free (ext);
  if (!X509_sign (x, pkey, EVP_sha256 ()))
    goto out;
  if (!PEM_write_bio_X509 (bio, x) ||
      !PEM_write_bio_PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL))
    goto out;
  len = BIO_get_mem_data (bio, &data);
  pem = g_strndup (data, len);
  OPENSSL_cleanse (data, len);

out:
  BN_free (bn);
  BIO_free (bio);
  X509_free (x);
  EVP_PKEY_free (pkey);
  return pem;
}
