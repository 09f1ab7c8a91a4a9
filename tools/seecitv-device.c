/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-device: the device side of the seecitv protocol
 * (docs/protocol.md). It runs a GStreamer source (by default a synthetic
 * live scene from videotestsrc; or `--pipeline "<raw video pipeline>"`),
 * encodes it to JPEG and serves it over HTTP or HTTPS with libsoup 3 as
 * multipart/x-mixed-replace MJPEG on /seecitv/v1/stream, each part with
 * X-Seecitv-Capture-Time, and the device-info document on /seecitv/v1/info.
 * With --key-file every request must pass the mutual HMAC authentication;
 * --basic USER:PASS adds HTTP Basic (a third-party server's way). With
 * --tls-generate it makes a self-signed certificate (or loads one with
 * --tls-cert/--tls-key) and prints its pin. Fault injection for tests:
 * --drop-after N closes each connection after N frames, --stall-after N
 * stops sending on it (the connection stays open), --corrupt-every N
 * replaces every Nth part with bytes that are not JPEG.
 *
 * On start it prints, one per line and flushed, `url: <stream URL>` and,
 * with TLS, `pin: sha256:<hex>`: tests and scripts read these.
 *
 * Everything HTTP runs in the default main context (libsoup 3 objects stay
 * in the context that made them); frames reach it from appsink's streaming
 * thread through g_main_context_invoke ().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "protocol.h"

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BOUNDARY "seecitvframe"
#define DEFAULT_PIPELINE "videotestsrc is-live=true pattern=ball " \
  "! video/x-raw,width=320,height=240,framerate=10/1"
#define CHALLENGE_LIFETIME_S 30
#define MAX_CHALLENGES 256
/* Frames queued for one client beyond which new frames skip it. */
#define MAX_CLIENT_BACKLOG 4

typedef struct
{
  SoupServerMessage *msg;       /* not owned: valid until finished/aborted */
  guint queued;                 /* parts appended, not yet written */
  guint sent;                   /* parts appended in total */
  gboolean dropping;
} Client;

typedef struct
{
  GMainLoop *loop;
  SoupServer *server;
  GstElement *pipeline;
  GList *clients;               /* of Client */
  SeecitvChallengeStore *challenges;
  guint8 key[SEECITV_PROTOCOL_KEY_LEN];
  gboolean auth;
  SeecitvDeviceInfo info;
  gchar *basic_user;
  gchar *basic_pass;
  gint drop_after;
  gint stall_after;
  gint corrupt_every;
  gboolean verbose;
  gint exit_code;
} Device;

typedef struct
{
  Device *dev;
  GBytes *jpeg;
  guint64 capture_ns;
} Frame;

/* ---- TLS ---- */

/* A fresh P-256 key and a self-signed certificate for @cn valid for a
 * year, with 127.0.0.1 and localhost as subject alternative names. Returns
 * the PEM of both, concatenated (g_free ()), or NULL. */
static gchar *
generate_self_signed (const gchar * cn)
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

/* `sha256:<hex>` of the certificate's DER. */
static gchar *
certificate_pin (GTlsCertificate * cert)
{
  GByteArray *der = NULL;
  gchar *hex, *pin;

  g_object_get (cert, "certificate", &der, NULL);
  hex = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  pin = g_strconcat ("sha256:", hex, NULL);
  g_free (hex);
  g_byte_array_unref (der);
  return pin;
}

/* ---- authentication ---- */

/* The request path as bound into the proofs: path and query, as sent. */
static gchar *
request_target (SoupServerMessage * msg)
{
  GUri *uri = soup_server_message_get_uri (msg);
  const gchar *query = g_uri_get_query (uri);

  return query != NULL ? g_strconcat (g_uri_get_path (uri), "?", query,
      NULL) : g_strdup (g_uri_get_path (uri));
}

/* Checks the seecitv credentials. On success adds Authentication-Info and
 * returns TRUE; else answers 401 with a fresh challenge. */
static gboolean
check_auth (Device * dev, SoupServerMessage * msg)
{
  SoupMessageHeaders *req = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *resp = soup_server_message_get_response_headers (msg);
  const gchar *authz = soup_message_headers_get_one (req, "Authorization");
  gchar *target, *ainfo, *www;
  GError *err = NULL;
  SeecitvChallenge c = { dev->info.device_id, NULL, CHALLENGE_LIFETIME_S };

  if (!dev->auth)
    return TRUE;

  target = request_target (msg);
  ainfo = seecitv_protocol_device_verify (dev->challenges, dev->key,
      sizeof (dev->key), dev->info.device_id,
      soup_server_message_get_method (msg), target, authz,
      g_get_monotonic_time (), &err);
  g_free (target);
  if (ainfo != NULL) {
    soup_message_headers_replace (resp, "Authentication-Info", ainfo);
    g_free (ainfo);
    return TRUE;
  }
  /* only say why on our own stderr, never to the client */
  if (authz != NULL)
    g_printerr ("refused %s: %s\n", soup_server_message_get_remote_host (msg),
        err->message);
  g_clear_error (&err);

  c.challenge = seecitv_challenge_store_issue (dev->challenges,
      g_get_monotonic_time (), &err);
  if (c.challenge == NULL) {
    g_printerr ("cannot issue a challenge: %s\n", err->message);
    g_clear_error (&err);
    soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
        NULL);
    return FALSE;
  }
  www = seecitv_protocol_format_challenge (&c);
  soup_message_headers_replace (resp, "WWW-Authenticate", www);
  soup_server_message_set_status (msg, SOUP_STATUS_UNAUTHORIZED, NULL);
  g_free (www);
  g_free (c.challenge);
  return FALSE;
}

static gboolean
basic_auth_cb (SoupAuthDomain * domain, SoupServerMessage * msg,
    const char *user, const char *password, gpointer user_data)
{
  Device *dev = user_data;
  gsize ul = strlen (user), pl = strlen (password);

  /* constant time on the password; the lengths are not secret enough to
   * matter for a test device */
  return ul == strlen (dev->basic_user) && pl == strlen (dev->basic_pass) &&
      CRYPTO_memcmp (user, dev->basic_user, ul) == 0 &&
      CRYPTO_memcmp (password, dev->basic_pass, pl) == 0;
}

/* ---- handlers ---- */

static void
info_cb (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  Device *dev = user_data;
  gchar *doc;

  if (strcmp (soup_server_message_get_method (msg), "GET") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  if (!check_auth (dev, msg))
    return;
  doc = seecitv_protocol_format_info (&dev->info, NULL);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8",
      SOUP_MEMORY_TAKE, doc, strlen (doc));
}

static Client *
find_client (Device * dev, SoupServerMessage * msg)
{
  GList *l;

  for (l = dev->clients; l != NULL; l = l->next) {
    Client *c = l->data;
    if (c->msg == msg)
      return c;
  }
  return NULL;
}

static void
wrote_chunk_cb (SoupServerMessage * msg, gpointer user_data)
{
  Device *dev = user_data;
  Client *c = find_client (dev, msg);

  if (c != NULL && c->queued > 0)
    c->queued--;
}

static void
stream_cb (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  Device *dev = user_data;
  gchar *ct;
  Client *c;

  if (strcmp (soup_server_message_get_method (msg), "GET") != 0) {
    soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    return;
  }
  if (!check_auth (dev, msg))
    return;

  ct = g_strdup_printf ("multipart/x-mixed-replace; boundary=%s", BOUNDARY);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Content-Type", ct);
  soup_message_headers_replace (soup_server_message_get_response_headers
      (msg), "Cache-Control", "no-cache, no-store");
  g_free (ct);
  soup_message_headers_set_encoding (soup_server_message_get_response_headers
      (msg), SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate (soup_server_message_get_response_body
      (msg), FALSE);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), dev);

  c = g_new0 (Client, 1);
  c->msg = msg;
  dev->clients = g_list_prepend (dev->clients, c);
  if (dev->verbose)
    g_printerr ("client %s connected\n",
        soup_server_message_get_remote_host (msg));
  /* nothing to send until the next frame */
  soup_server_message_pause (msg);
}

static void
request_done_cb (SoupServer * server, SoupServerMessage * msg,
    gpointer user_data)
{
  Device *dev = user_data;
  Client *c = find_client (dev, msg);

  if (c == NULL)
    return;
  if (dev->verbose)
    g_printerr ("client disconnected after %u frames\n", c->sent);
  dev->clients = g_list_remove (dev->clients, c);
  g_free (c);
}

/* Fault injection: a connection lost mid-stream. Runs from a timeout so
 * that libsoup is not inside its own write when the stream goes away, and
 * the last part has been written. A stolen message gets no
 * request-finished: the client is forgotten here. */
typedef struct
{
  Device *dev;
  SoupServerMessage *msg;       /* owned */
} Drop;

static gboolean
drop_client_cb (gpointer user_data)
{
  Drop *d = user_data;
  Client *c = find_client (d->dev, d->msg);

  if (c != NULL) {
    GIOStream *stream;

    d->dev->clients = g_list_remove (d->dev->clients, c);
    g_free (c);
    stream = soup_server_message_steal_connection (d->msg);
    if (stream != NULL) {
      g_io_stream_close (stream, NULL, NULL);
      g_object_unref (stream);
    }
    if (d->dev->verbose)
      g_printerr ("dropped a client\n");
  }
  g_object_unref (d->msg);
  g_free (d);
  return G_SOURCE_REMOVE;
}

static gboolean
deliver_frame (gpointer user_data)
{
  Frame *f = user_data;
  Device *dev = f->dev;
  GList *l, *next;
  gchar *head;
  gsize size = g_bytes_get_size (f->jpeg);

  head = g_strdup_printf ("--" BOUNDARY "\r\nContent-Type: image/jpeg\r\n"
      "Content-Length: %" G_GSIZE_FORMAT "\r\n"
      SEECITV_PROTOCOL_CAPTURE_TIME_HEADER ": %" G_GUINT64_FORMAT "\r\n\r\n",
      size, f->capture_ns);
  for (l = dev->clients; l != NULL; l = next) {
    Client *c = l->data;
    SoupMessageBody *body = soup_server_message_get_response_body (c->msg);

    next = l->next;
    if (c->dropping || c->queued >= MAX_CLIENT_BACKLOG)
      continue;
    if (dev->stall_after > 0 && c->sent >= (guint) dev->stall_after)
      continue;
    if (dev->corrupt_every > 0 && (c->sent + 1) % dev->corrupt_every == 0) {
      static const gchar junk[] = "this part is not a JPEG";
      gchar *jh = g_strdup_printf ("--" BOUNDARY "\r\nContent-Type: "
          "image/jpeg\r\nContent-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
          sizeof (junk) - 1);

      soup_message_body_append (body, SOUP_MEMORY_TAKE, jh, strlen (jh));
      soup_message_body_append (body, SOUP_MEMORY_STATIC, junk,
          sizeof (junk) - 1);
    } else {
      soup_message_body_append (body, SOUP_MEMORY_COPY, head, strlen (head));
      soup_message_body_append_bytes (body, f->jpeg);
    }
    soup_message_body_append (body, SOUP_MEMORY_STATIC, "\r\n", 2);
    c->queued += 3;
    c->sent++;
    soup_server_message_unpause (c->msg);
    if (dev->drop_after > 0 && c->sent >= (guint) dev->drop_after) {
      c->dropping = TRUE;
      Drop *d = g_new0 (Drop, 1);

      d->dev = dev;
      d->msg = g_object_ref (c->msg);
      /* let the last part go out first */
      g_timeout_add (50, drop_client_cb, d);
    }
  }
  g_free (head);
  return G_SOURCE_REMOVE;
}

static void
frame_free (gpointer data)
{
  Frame *f = data;

  g_bytes_unref (f->jpeg);
  g_free (f);
}

/* appsink streaming thread: copy the JPEG, work out its capture time on
 * the wall clock, hand it to the main context. */
static GstFlowReturn
new_sample_cb (GstAppSink * sink, gpointer user_data)
{
  Device *dev = user_data;
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstMapInfo map;
  Frame *f;
  guint64 now_real = (guint64) g_get_real_time () * 1000;
  GstClock *clock;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  if (buf == NULL || !gst_buffer_map (buf, &map, GST_MAP_READ)) {
    gst_sample_unref (sample);
    return GST_FLOW_OK;
  }
  f = g_new0 (Frame, 1);
  f->dev = dev;
  f->jpeg = g_bytes_new (map.data, map.size);
  gst_buffer_unmap (buf, &map);
  f->capture_ns = now_real;

  /* the frame was captured at base-time + running-time on the pipeline
   * clock: subtract how long ago that was from the wall clock */
  clock = gst_element_get_clock (GST_ELEMENT (sink));
  if (clock != NULL && GST_BUFFER_PTS_IS_VALID (buf)) {
    const GstSegment *seg = gst_sample_get_segment (sample);
    guint64 rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME,
        GST_BUFFER_PTS (buf));
    GstClockTime now = gst_clock_get_time (clock);
    GstClockTime at = gst_element_get_base_time (GST_ELEMENT (sink)) + rt;

    if (rt != GST_CLOCK_TIME_NONE && now > at && now - at < now_real)
      f->capture_ns = now_real - (now - at);
  }
  if (clock != NULL)
    gst_object_unref (clock);
  gst_sample_unref (sample);

  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, deliver_frame, f,
      frame_free);
  return GST_FLOW_OK;
}

static gboolean
bus_cb (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Device *dev = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("pipeline error: %s (%s)\n", err->message, dbg ? dbg : "");
      g_clear_error (&err);
      g_free (dbg);
      dev->exit_code = 1;
      g_main_loop_quit (dev->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_printerr ("source ended\n");
      g_main_loop_quit (dev->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
quit_cb (gpointer user_data)
{
  Device *dev = user_data;

  g_main_loop_quit (dev->loop);
  return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
  Device dev = { 0 };
  gchar *pipeline_desc = NULL, *key_file = NULL, *address = NULL;
  gchar *tls_cert = NULL, *tls_key = NULL, *tls_cert_out = NULL;
  gchar *basic = NULL, *desc;
  gchar *device_id = NULL, *model = NULL, *name = NULL, *mac = NULL;
  gboolean tls_generate = FALSE;
  gint port = 8080;
  GTlsCertificate *cert = NULL;
  GError *err = NULL;
  GOptionContext *ctx;
  GstElement *sink;
  GstAppSinkCallbacks callbacks = { NULL, NULL, new_sample_cb };
  GSocketAddress *sa;
  GSList *uris;
  GOptionEntry entries[] = {
    {"pipeline", 'p', 0, G_OPTION_ARG_STRING, &pipeline_desc,
        "Source pipeline producing raw video (default: a videotestsrc "
          "scene)", "DESC"},
    {"source", 0, 0, G_OPTION_ARG_STRING, &pipeline_desc,
        "Same as --pipeline", "DESC"},
    {"address", 'a', 0, G_OPTION_ARG_STRING, &address,
        "Address to listen on (default 127.0.0.1)", "ADDR"},
    {"port", 0, 0, G_OPTION_ARG_INT, &port,
        "TCP port (default 8080, 0: any free port)", "PORT"},
    {"device-id", 'd', 0, G_OPTION_ARG_STRING, &device_id,
        "Device id (default seecitv-device)", "ID"},
    {"key-file", 'k', 0, G_OPTION_ARG_FILENAME, &key_file,
        "Pairing secret (64 hex digits, mode 0600): require the seecitv "
          "protocol", "FILE"},
    {"basic", 0, 0, G_OPTION_ARG_STRING, &basic,
        "Require HTTP Basic authentication", "USER:PASS"},
    {"model", 0, 0, G_OPTION_ARG_STRING, &model, "Device info: model", "S"},
    {"name", 0, 0, G_OPTION_ARG_STRING, &name, "Device info: name", "S"},
    {"mac", 0, 0, G_OPTION_ARG_STRING, &mac,
        "Device info: MAC (xx:xx:xx:xx:xx:xx)", "MAC"},
    {"tls-generate", 0, 0, G_OPTION_ARG_NONE, &tls_generate,
        "Serve HTTPS with a fresh self-signed certificate", NULL},
    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
        "Serve HTTPS with this PEM certificate", "FILE"},
    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
        "PEM private key for --tls-cert (default: in the same file)", "FILE"},
    {"tls-cert-out", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert_out,
          "Write the certificate (PEM, no key) here, e.g. as a CA file",
        "FILE"},
    {"drop-after", 0, 0, G_OPTION_ARG_INT, &dev.drop_after,
        "Fault injection: close each connection after N frames", "N"},
    {"stall-after", 0, 0, G_OPTION_ARG_INT, &dev.stall_after,
          "Fault injection: stop sending on each connection after N frames",
        "N"},
    {"corrupt-every", 0, 0, G_OPTION_ARG_INT, &dev.corrupt_every,
        "Fault injection: every Nth part is not a JPEG", "N"},
    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &dev.verbose,
        "Log connections on stderr", NULL},
    {NULL}
  };

  ctx = g_option_context_new ("- serve a GStreamer source as a seecitv "
      "device");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);

  dev.info.device_id = device_id ? device_id : g_strdup ("seecitv-device");
  dev.info.model = model ? model : g_strdup ("seecitv-device");
  dev.info.name = name;
  dev.info.mac = mac;
  desc = seecitv_protocol_format_info (&dev.info, &err);
  if (desc == NULL) {
    g_printerr ("bad device info: %s\n", err->message);
    return 2;
  }
  g_free (desc);

  if (key_file != NULL) {
    if (!seecitv_protocol_load_key_file (key_file, dev.key, &err)) {
      g_printerr ("%s: %s\n", key_file, err->message);
      return 2;
    }
    dev.auth = TRUE;
    dev.challenges = seecitv_challenge_store_new (MAX_CHALLENGES,
        CHALLENGE_LIFETIME_S * G_USEC_PER_SEC);
  }
  if (basic != NULL) {
    gchar *colon = strchr (basic, ':');

    if (colon == NULL) {
      g_printerr ("--basic wants USER:PASS\n");
      return 2;
    }
    dev.basic_user = g_strndup (basic, colon - basic);
    dev.basic_pass = g_strdup (colon + 1);
  }
  if (!dev.auth && basic == NULL)
    g_printerr ("warning: serving without authentication\n");

  if (tls_generate) {
    gchar *pem = generate_self_signed (dev.info.device_id);

    if (pem == NULL) {
      g_printerr ("cannot generate a certificate\n");
      return 1;
    }
    cert = g_tls_certificate_new_from_pem (pem, -1, &err);
    OPENSSL_cleanse (pem, strlen (pem));
    g_free (pem);
  } else if (tls_cert != NULL) {
    cert = tls_key ? g_tls_certificate_new_from_files (tls_cert, tls_key,
        &err) : g_tls_certificate_new_from_file (tls_cert, &err);
  }
  if ((tls_generate || tls_cert != NULL) && cert == NULL) {
    g_printerr ("TLS certificate: %s\n", err->message);
    return 1;
  }
  if (cert != NULL && tls_cert_out != NULL) {
    gchar *pem = NULL;

    g_object_get (cert, "certificate-pem", &pem, NULL);
    if (!g_file_set_contents (tls_cert_out, pem, -1, &err)) {
      g_printerr ("%s: %s\n", tls_cert_out, err->message);
      return 1;
    }
    g_free (pem);
  }

  dev.server = soup_server_new ("server-header", "seecitv-device ",
      "tls-certificate", cert, NULL);
  if (dev.server == NULL) {
    g_printerr ("cannot make the server (is glib-networking installed?)\n");
    return 1;
  }
  if (basic != NULL) {
    SoupAuthDomain *domain = soup_auth_domain_basic_new ("realm", "seecitv",
        NULL);

    soup_auth_domain_add_path (domain, "/");
    soup_auth_domain_basic_set_auth_callback (domain, basic_auth_cb, &dev,
        NULL);
    soup_server_add_auth_domain (dev.server, domain);
    g_object_unref (domain);
  }
  soup_server_add_handler (dev.server, SEECITV_PROTOCOL_STREAM_PATH,
      stream_cb, &dev, NULL);
  soup_server_add_handler (dev.server, SEECITV_PROTOCOL_INFO_PATH, info_cb,
      &dev, NULL);
  g_signal_connect (dev.server, "request-finished",
      G_CALLBACK (request_done_cb), &dev);
  g_signal_connect (dev.server, "request-aborted",
      G_CALLBACK (request_done_cb), &dev);

  sa = g_inet_socket_address_new_from_string (address ? address :
      "127.0.0.1", port);
  if (sa == NULL) {
    g_printerr ("bad address\n");
    return 2;
  }
  if (!soup_server_listen (dev.server, sa,
          cert != NULL ? SOUP_SERVER_LISTEN_HTTPS : 0, &err)) {
    g_printerr ("cannot listen: %s\n", err->message);
    return 1;
  }
  g_object_unref (sa);

  desc = g_strdup_printf ("%s ! videoconvert ! jpegenc quality=85 "
      "! appsink name=seecitvsink sync=false max-buffers=2 drop=true",
      pipeline_desc ? pipeline_desc : DEFAULT_PIPELINE);
  dev.pipeline = gst_parse_launch (desc, &err);
  g_free (desc);
  if (dev.pipeline == NULL) {
    g_printerr ("bad pipeline: %s\n", err->message);
    return 2;
  }
  sink = gst_bin_get_by_name (GST_BIN (dev.pipeline), "seecitvsink");
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, &dev, NULL);
  gst_object_unref (sink);

  dev.loop = g_main_loop_new (NULL, FALSE);
  gst_bus_add_watch (GST_ELEMENT_BUS (dev.pipeline), bus_cb, &dev);
  g_unix_signal_add (SIGINT, quit_cb, &dev);
  g_unix_signal_add (SIGTERM, quit_cb, &dev);

  uris = soup_server_get_uris (dev.server);
  if (uris != NULL) {
    gchar *base = g_uri_to_string (uris->data);
    gsize n = strlen (base);

    if (n > 0 && base[n - 1] == '/')
      base[n - 1] = '\0';
    g_print ("url: %s%s\n", base, SEECITV_PROTOCOL_STREAM_PATH);
    g_free (base);
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  if (cert != NULL) {
    gchar *pin = certificate_pin (cert);
    g_print ("pin: %s\n", pin);
    g_free (pin);
  }
  fflush (stdout);

  if (gst_element_set_state (dev.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    g_printerr ("cannot start the pipeline\n");
    return 1;
  }
  g_main_loop_run (dev.loop);

  gst_element_set_state (dev.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch (GST_ELEMENT_BUS (dev.pipeline));
  gst_object_unref (dev.pipeline);
  soup_server_disconnect (dev.server);
  g_object_unref (dev.server);
  g_clear_object (&cert);
  g_list_free_full (dev.clients, g_free);
  g_main_loop_unref (dev.loop);
  seecitv_challenge_store_free (dev.challenges);
  OPENSSL_cleanse (dev.key, sizeof (dev.key));
  if (dev.basic_pass != NULL)
    OPENSSL_cleanse (dev.basic_pass, strlen (dev.basic_pass));
  g_free (dev.basic_user);
  g_free (dev.basic_pass);
  g_free (basic);
  g_free (dev.info.device_id);
  g_free (dev.info.model);
  g_free (dev.info.name);
  g_free (dev.info.mac);
  g_free (pipeline_desc);
  g_free (key_file);
  g_free (address);
  g_free (tls_cert);
  g_free (tls_key);
  g_free (tls_cert_out);
  return dev.exit_code;
}
