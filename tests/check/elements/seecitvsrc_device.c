/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * See seecitvsrc_device.h. SEECITV_DEVICE_TOOL is the built tool's path.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvsrc_device.h"

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <string.h>

#include <seecitv/protocol/protocol.h>

TestDevice *
test_device_startv (const gchar * const *args)
{
  GPtrArray *argv = g_ptr_array_new ();
  TestDevice *d = g_new0 (TestDevice, 1);
  GError *err = NULL;
  GDataInputStream *out;
  gchar *line;

  g_ptr_array_add (argv, (gpointer) SEECITV_DEVICE_TOOL);
  g_ptr_array_add (argv, (gpointer) "--port=0");
  for (; *args != NULL; args++)
    g_ptr_array_add (argv, (gpointer) * args);
  g_ptr_array_add (argv, NULL);
  d->proc = g_subprocess_newv ((const gchar * const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err);
  g_ptr_array_free (argv, TRUE);
  fail_unless (d->proc != NULL, "%s", err ? err->message : "");

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (d->proc));
  while ((line = g_data_input_stream_read_line (out, NULL, NULL, NULL))) {
    if (g_str_has_prefix (line, "url: "))
      d->url = g_strdup (line + 5);
    else if (g_str_has_prefix (line, "pin: "))
      d->pin = g_strdup (line + 5);
    g_free (line);
    if (d->url != NULL && (d->pin != NULL ||
            !g_str_has_prefix (d->url, "https")))
      break;
  }
  g_object_unref (out);
  fail_unless (d->url != NULL, "seecitv-device printed no url");
  fail_unless (g_str_has_prefix (d->url, "http://127.0.0.1:") ||
      g_str_has_prefix (d->url, "https://127.0.0.1:"));
  fail_unless (d->pin != NULL || !g_str_has_prefix (d->url, "https"),
      "seecitv-device printed no pin");
  return d;
}

TestDevice *
test_device_start (const gchar * first_arg, ...)
{
  GPtrArray *args = g_ptr_array_new ();
  const gchar *a;
  TestDevice *d;
  va_list ap;

  va_start (ap, first_arg);
  for (a = first_arg; a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (args, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  d = test_device_startv ((const gchar * const *) args->pdata);
  g_ptr_array_free (args, TRUE);
  return d;
}

void
test_device_stop (TestDevice * d)
{
  g_subprocess_send_signal (d->proc, SIGTERM);
  g_subprocess_wait (d->proc, NULL, NULL);
  g_object_unref (d->proc);
  g_free (d->url);
  g_free (d->pin);
  g_free (d);
}

gchar *
test_device_info_url (TestDevice * d)
{
  gchar *url = g_strdup (d->url);
  gchar *at = strstr (url, SEECITV_PROTOCOL_STREAM_PATH);

  fail_unless (at != NULL);
  strcpy (at, SEECITV_PROTOCOL_INFO_PATH);
  return url;
}

/* The port of @url (which must have one). */
guint16
test_url_port (const gchar * url)
{
  GUri *uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  gint port;

  fail_unless (uri != NULL, "not a URL: %s", url);
  port = g_uri_get_port (uri);
  g_uri_unref (uri);
  fail_unless (port > 0 && port < 65536, "no port in %s", url);
  return (guint16) port;
}

/* Writes the pairing secret @hex to @dir/@name with mode 0600, as
 * seecitv-device and seecitvsrc require; returns the path. */
gchar *
test_write_key (const gchar * dir, const gchar * name, const gchar * hex)
{
  gchar *path = g_build_filename (dir, name, NULL);

  fail_unless (g_file_set_contents (path, hex, -1, NULL));
  fail_unless_equals_int (g_chmod (path, 0600), 0);
  return path;
}

guint16
test_free_port (void)
{
  GSocketListener *l = g_socket_listener_new ();
  GSocketAddress *sa = g_inet_socket_address_new_from_string ("127.0.0.1",
      0), *effective = NULL;
  guint16 port;

  fail_unless (g_socket_listener_add_address (l, sa, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL, &effective, NULL));
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_listener_close (l);
  g_object_unref (l);
  g_object_unref (sa);
  g_object_unref (effective);
  return port;
}

gchar *
test_make_certificate_pem (void)
{
  EVP_PKEY *pkey = EVP_EC_gen ("P-256");
  X509 *x = X509_new ();
  BIO *bio = BIO_new (BIO_s_mem ());
  X509_NAME *name;
  X509_EXTENSION *ext;
  X509V3_CTX ctx;
  char *data;
  long len;
  gchar *pem;

  fail_unless (pkey != NULL && x != NULL && bio != NULL);
  X509_set_version (x, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (x), 1);
  X509_gmtime_adj (X509_getm_notBefore (x), -3600);
  X509_gmtime_adj (X509_getm_notAfter (x), 3600);
  X509_set_pubkey (x, pkey);
  name = X509_get_subject_name (x);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC,
      (const unsigned char *) "127.0.0.1", -1, -1, 0);
  X509_set_issuer_name (x, name);
  /* for tls-ca-file: the name checked is the address */
  X509V3_set_ctx (&ctx, x, x, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_subject_alt_name,
      "IP:127.0.0.1");
  fail_unless (ext != NULL && X509_add_ext (x, ext, -1));
  X509_EXTENSION_free (ext);
  fail_unless (X509_sign (x, pkey, EVP_sha256 ()) > 0);
  fail_unless (PEM_write_bio_X509 (bio, x));
  fail_unless (PEM_write_bio_PrivateKey (bio, pkey, NULL, NULL, 0, NULL, NULL));
  len = BIO_get_mem_data (bio, &data);
  pem = g_strndup (data, len);
  BIO_free (bio);
  X509_free (x);
  EVP_PKEY_free (pkey);
  return pem;
}

gchar *
test_certificate_pin (GTlsCertificate * cert)
{
  GByteArray *der = NULL;
  gchar *hex, *pin;

  g_object_get (cert, "certificate", &der, NULL);
  fail_unless (der != NULL);
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  pin = g_strconcat ("sha256:", hex, NULL);
  g_free (hex);
  g_byte_array_unref (der);
  return pin;
}

TestPipe
test_pipe_new (const gchar * launch, const gchar * url)
{
  TestPipe p;

  p.pipeline = gst_parse_launch (launch, NULL);
  fail_unless (p.pipeline != NULL);
  p.src = gst_bin_get_by_name (GST_BIN (p.pipeline), "src");
  p.sink = gst_bin_get_by_name (GST_BIN (p.pipeline), "sink");
  g_object_set (p.src, "location", url, NULL);
  return p;
}

void
test_pipe_unref (TestPipe * p)
{
  gst_object_unref (p->src);
  gst_object_unref (p->sink);
  gst_object_unref (p->pipeline);
}

void
test_pipe_free (TestPipe * p)
{
  fail_unless_equals_int (gst_element_set_state (p->pipeline,
          GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  test_pipe_unref (p);
}

void
test_no_proxy (void)
{
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_unsetenv ("http_proxy");
  g_unsetenv ("https_proxy");
  g_unsetenv ("HTTP_PROXY");
  g_unsetenv ("HTTPS_PROXY");
}

void
test_asan_no_fork (void)
{
#ifdef __SANITIZE_ADDRESS__
  /* GnuTLS threads are still around in such a child: run the tests in
   * one process, leak-checked once at the end, unless told otherwise. */
  g_setenv ("CK_FORK", "no", FALSE);
#endif
}
