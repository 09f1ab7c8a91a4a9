/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-serve's rtsps certificate (see serve-tls.h). OpenSSL parses and
 * pairs the PEM (X509_check_private_key), GIO then builds the
 * GTlsCertificate that gst-rtsp-server serves; the self-signed certificate
 * comes from gst-libs/seecitv/protocol/tlspin.c, as seecitv-device's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serve-tls.h"

#include <seecitv/protocol/tlspin.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <errno.h>
#include <string.h>

#define SELF_SIGNED_CN "seecitv-serve"

gboolean
seecitv_serve_tls_enabled (const SeecitvServeConfig * cfg)
{
  return cfg->rtsp && (cfg->rtsp_tls_cert_file != NULL ||
      cfg->rtsp_tls_self_signed);
}

/* A PEM pass phrase callback that gives none: an encrypted key is refused
 * instead of asked for on the terminal. */
static int
no_passphrase (char *buf, int size, int rwflag, void *u)
{
  return 0;
}

/* Checks that @cert_pem starts a certificate (chain) and @key_pem holds
 * the private key of its first certificate; sets "KEY: what" on failure,
 * naming @cert_key or @key_key. */
static gboolean
check_pair (const gchar * cert_pem, gsize cert_len, const gchar * key_pem,
    gsize key_len, const gchar * cert_key, const gchar * key_key,
    GError ** error)
{
  BIO *cb = BIO_new_mem_buf (cert_pem, (int) cert_len);
  BIO *kb = BIO_new_mem_buf (key_pem, (int) key_len);
  X509 *x = cb ? PEM_read_bio_X509 (cb, NULL, no_passphrase, NULL) : NULL;
  EVP_PKEY *pkey = kb ? PEM_read_bio_PrivateKey (kb, NULL, no_passphrase,
      NULL) : NULL;
  gboolean ok = FALSE;

  if (x == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: no PEM certificate in the file", cert_key);
  else if (pkey == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: no unencrypted PEM private key in the file", key_key);
  else if (X509_check_private_key (x, pkey) != 1)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
        "%s: the key does not match the certificate of %s", key_key,
        cert_key);
  else
    ok = TRUE;
  EVP_PKEY_free (pkey);
  X509_free (x);
  BIO_free (kb);
  BIO_free (cb);
  return ok;
}

/* A GTlsCertificate from @cert_pem (a chain) and @key_pem. */
static GTlsCertificate *
make_certificate (const gchar * cert_pem, const gchar * key_pem,
    const gchar * key_key, GError ** error)
{
  gchar *both = g_strconcat (cert_pem, "\n", key_pem, NULL);
  GTlsCertificate *cert = g_tls_certificate_new_from_pem (both, -1, error);

  OPENSSL_cleanse (both, strlen (both));
  g_free (both);
  if (cert == NULL)
    g_prefix_error (error, "%s: ", key_key);
  return cert;
}

static GTlsCertificate *
load_files (const SeecitvServeConfig * cfg, GError ** error)
{
  gchar *cert_pem = NULL, *key_pem;
  gsize cert_len = 0, key_len = 0;
  GTlsCertificate *cert = NULL;

  if (!g_file_get_contents (cfg->rtsp_tls_cert_file, &cert_pem, &cert_len,
          error)) {
    g_prefix_error (error, "tls-cert-file: ");
    return NULL;
  }
  key_pem = seecitv_serve_secret_load (cfg->rtsp_tls_key_file, 1, &key_len,
      error);
  if (key_pem == NULL)
    g_prefix_error (error, "tls-key-file: ");
  else if (check_pair (cert_pem, cert_len, key_pem, key_len,
          "tls-cert-file", "tls-key-file", error))
    cert = make_certificate (cert_pem, key_pem, "tls-key-file", error);
  seecitv_serve_secret_free (key_pem, key_len);
  g_free (cert_pem);
  return cert;
}

/* Where the self-signed certificate is kept (g_free ()). */
static gchar *
self_signed_path (const SeecitvServeConfig * cfg)
{
  const gchar *state = g_getenv ("STATE_DIRECTORY");

  if (cfg->rtsp_tls_self_signed_file != NULL)
    return g_strdup (cfg->rtsp_tls_self_signed_file);
  if (state != NULL && *state == '/') {
    /* systemd's StateDirectory=: the first, if it lists several */
    gchar **dirs = g_strsplit (state, ":", 2);
    gchar *path = g_build_filename (dirs[0], "rtsps.pem", NULL);

    g_strfreev (dirs);
    return path;
  }
  return g_build_filename (g_get_user_state_dir (), "seecitv",
      "serve-rtsps.pem", NULL);
}

/* Makes a certificate and its key and keeps them in @path, mode 0600
 * (the directory, if new, 0700). */
static gboolean
generate (const gchar * path, GError ** error)
{
  gchar *pem = seecitv_tls_generate_self_signed (SELF_SIGNED_CN);
  gchar *dir = g_path_get_dirname (path);
  gboolean ok = FALSE;

  if (pem == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
        "cannot generate a certificate (OpenSSL)");
  else if (g_mkdir_with_parents (dir, 0700) != 0)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
        "%s: cannot create: %s", dir, g_strerror (errno));
  else
    ok = g_file_set_contents_full (path, pem, -1,
        G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  if (pem != NULL)
    OPENSSL_cleanse (pem, strlen (pem));
  g_free (pem);
  g_free (dir);
  return ok;
}

static GTlsCertificate *
load_self_signed (const SeecitvServeConfig * cfg, gboolean create,
    GError ** error)
{
  gchar *path = self_signed_path (cfg);
  GTlsCertificate *cert = NULL;
  GError *err = NULL;
  gsize len = 0;
  gchar *pem = seecitv_serve_secret_load (path, 1, &len, &err);

  if (pem == NULL && g_error_matches (err, G_FILE_ERROR, G_FILE_ERROR_NOENT)
      && create) {
    g_clear_error (&err);
    if (generate (path, &err)) {
      g_printerr ("seecitv-serve: generated a self-signed certificate for "
          "rtsps in %s\n", path);
      pem = seecitv_serve_secret_load (path, 1, &len, &err);
    }
  } else if (pem == NULL && g_error_matches (err, G_FILE_ERROR,
          G_FILE_ERROR_NOENT)) {
    g_clear_error (&err);       /* --check: made at the first start */
    g_free (path);
    return NULL;
  }
  if (pem != NULL && check_pair (pem, len, pem, len, "tls-self-signed-file",
          "tls-self-signed-file", &err))
    cert = make_certificate (pem, "", "tls-self-signed-file", &err);
  else if (pem == NULL)
    g_prefix_error (&err, "tls-self-signed-file: ");
  if (err != NULL)
    g_propagate_error (error, err);
  seecitv_serve_secret_free (pem, len);
  g_free (path);
  return cert;
}

GTlsCertificate *
seecitv_serve_tls_load (const SeecitvServeConfig * cfg, gboolean create,
    GError ** error)
{
  GTlsCertificate *cert = NULL;
  GError *err = NULL;

  if (cfg->rtsp_tls_cert_file != NULL)
    cert = load_files (cfg, &err);
  else if (cfg->rtsp_tls_self_signed)
    cert = load_self_signed (cfg, create, &err);
  if (err != NULL) {
    g_propagate_prefixed_error (error, err, "%s: [rtsp] ", cfg->path);
    g_clear_object (&cert);
  }
  return cert;
}
