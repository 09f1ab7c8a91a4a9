/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The seecitv-serve tests' shared parts (serve-common.h).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "serve-common.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <string.h>

#define SIGNATURE_HEADER "X-Seecitv-Signature"
#define TIMESTAMP_HEADER "X-Seecitv-Timestamp"
/* what docs/serve.md tells receivers to accept */
#define FRESHNESS_WINDOW_S 300
#define EVENT_ID_HEADER "X-Seecitv-Event-Id"

/* ---- webhook receiver ---- */

static void
received_free (Received * r)
{
  g_free (r->id);
  g_free (r->body);
  g_free (r->signature);
  g_free (r);
}

/* As docs/serve.md tells a receiver: a decimal timestamp within the
 * freshness window of now, and v1=HMAC-SHA256("<timestamp>.<body>"),
 * computed here with OpenSSL directly. Sets *@timestamp (0 if none). */
static gboolean
signature_ok (const gchar * secret, const gchar * ts_header,
    const gchar * header, const gchar * body, gsize len, gint64 * timestamp)
{
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  gchar hex[2 * EVP_MAX_MD_SIZE + 8] = "v1=";
  guint64 ts = 0;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GString *signed_text;
  gboolean ok;

  *timestamp = 0;
  if (ts_header == NULL || !g_ascii_string_to_unsigned (ts_header, 10, 1,
          G_MAXINT64, &ts, NULL))
    return FALSE;
  *timestamp = (gint64) ts;
  if (ABS (now - (gint64) ts) > FRESHNESS_WINDOW_S)
    return FALSE;
  signed_text = g_string_new (ts_header);
  g_string_append_c (signed_text, '.');
  g_string_append_len (signed_text, body, len);
  fail_unless (HMAC (EVP_sha256 (), secret, strlen (secret),
          (const guint8 *) signed_text->str, signed_text->len, md,
          &md_len) != NULL);
  g_string_free (signed_text, TRUE);
  for (guint i = 0; i < md_len; i++)
    g_snprintf (hex + 3 + 2 * i, 3, "%02x", md[i]);
  ok = header != NULL && strlen (header) == strlen (hex) &&
      CRYPTO_memcmp (header, hex, strlen (hex)) == 0;
  return ok;
}

static void
hook_cb (SoupServer * server, SoupServerMessage * msg, const char *path,
    GHashTable * query, gpointer user_data)
{
  Receiver *r = user_data;
  SoupMessageHeaders *h = soup_server_message_get_request_headers (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  GBytes *bytes = soup_message_body_flatten (body);
  Received *rec = g_new0 (Received, 1);
  gsize len;
  const gchar *data = g_bytes_get_data (bytes, &len);
  gchar **script;

  rec->id = g_strdup (soup_message_headers_get_one (h,
          EVENT_ID_HEADER));
  rec->body = g_strndup (data, len);
  rec->signature = g_strdup (soup_message_headers_get_one (h,
          SIGNATURE_HEADER));
  rec->signature_ok = signature_ok (r->secret,
      soup_message_headers_get_one (h, TIMESTAMP_HEADER),
      soup_message_headers_get_one (h, SIGNATURE_HEADER), data, len,
      &rec->timestamp) &&
      g_strcmp0 (soup_message_headers_get_content_type (h, NULL),
      "application/json") == 0 &&
      strcmp (soup_server_message_get_method (msg), "POST") == 0;
  rec->status = 200;
  g_mutex_lock (&r->lock);
  script = g_hash_table_lookup (r->script, rec->id ? rec->id : "");
  if (script != NULL && script[0] != NULL) {
    gchar **rest = g_strdupv (script + 1);

    rec->status = (guint) g_ascii_strtoull (script[0], NULL, 10);
    g_hash_table_replace (r->script, g_strdup (rec->id), rest);
  }
  g_ptr_array_add (r->received, rec);
  g_cond_broadcast (&r->cond);
  soup_server_message_set_status (msg, rec->status, NULL);
  g_mutex_unlock (&r->lock);
  g_bytes_unref (bytes);
}

static gpointer
receiver_thread (gpointer data)
{
  Receiver *r = data;
  GSocketAddress *sa;
  GError *err = NULL;

  g_main_context_push_thread_default (r->ctx);
  r->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (SOUP_SERVER (r->server), "/hook", hook_cb, r, NULL);
  sa = g_inet_socket_address_new_from_string ("127.0.0.1", r->port);
  fail_unless (soup_server_listen (SOUP_SERVER (r->server), sa, 0, &err), "%s",
      err ? err->message : "");
  g_object_unref (sa);
  if (r->port == 0) {
    GSList *listeners = soup_server_get_listeners (SOUP_SERVER (r->server));
    GSocketAddress *local = g_socket_get_local_address (listeners->data,
        NULL);

    r->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
    g_object_unref (local);
    g_slist_free (listeners);
  }
  g_mutex_lock (&r->lock);
  r->ready = TRUE;
  g_cond_broadcast (&r->cond);
  g_mutex_unlock (&r->lock);

  g_main_loop_run (r->loop);

  soup_server_disconnect (SOUP_SERVER (r->server));
  g_clear_object (&r->server);
  while (g_main_context_iteration (r->ctx, FALSE));
  g_main_context_pop_thread_default (r->ctx);
  return NULL;
}

/* A free port on 127.0.0.1, for a receiver that starts later. */
guint16
free_port (void)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GSocketAddress *sa = g_inet_socket_address_new_from_string ("127.0.0.1",
      0), *local;
  guint16 port;

  fail_unless (g_socket_bind (s, sa, FALSE, NULL));
  local = g_socket_get_local_address (s, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local));
  g_object_unref (local);
  g_object_unref (sa);
  g_socket_close (s, NULL);
  g_object_unref (s);
  return port;
}

/* A receiver for port @port, not yet listening: see receiver_up (). */
Receiver *
receiver_new (guint16 port, const gchar * secret)
{
  Receiver *r = g_new0 (Receiver, 1);

  r->port = port;
  r->secret = g_strdup (secret);
  g_mutex_init (&r->lock);
  g_cond_init (&r->cond);
  r->received = g_ptr_array_new_with_free_func ((GDestroyNotify)
      received_free);
  r->script = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) g_strfreev);
  return r;
}

void
receiver_script (Receiver * r, const gchar * id, const gchar * statuses)
{
  g_mutex_lock (&r->lock);
  g_hash_table_replace (r->script, g_strdup (id),
      g_strsplit (statuses, ",", -1));
  g_mutex_unlock (&r->lock);
}

void
receiver_up (Receiver * r)
{
  r->ctx = g_main_context_new ();
  r->loop = g_main_loop_new (r->ctx, FALSE);
  r->thread = g_thread_new ("receiver", receiver_thread, r);
  g_mutex_lock (&r->lock);
  while (!r->ready)
    g_cond_wait (&r->cond, &r->lock);
  g_mutex_unlock (&r->lock);
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

void
receiver_free (Receiver * r)
{
  if (r->thread) {
    g_main_context_invoke (r->ctx, quit_loop, r->loop);
    g_thread_join (r->thread);
    g_main_loop_unref (r->loop);
    g_main_context_unref (r->ctx);
  }
  g_ptr_array_unref (r->received);
  g_hash_table_unref (r->script);
  g_free (r->secret);
  g_mutex_clear (&r->lock);
  g_cond_clear (&r->cond);
  g_free (r);
}

guint
receiver_count (Receiver * r)
{
  guint n;

  g_mutex_lock (&r->lock);
  n = r->received->len;
  g_mutex_unlock (&r->lock);
  return n;
}


/* ---- files ---- */

gchar *
write_file (const gchar * dir, const gchar * name, const gchar * contents)
{
  gchar *path = g_build_filename (dir, name, NULL);

  fail_unless (g_file_set_contents (path, contents, -1, NULL));
  fail_unless_equals_int (g_chmod (path, 0600), 0);
  return path;
}

/* ---- seecitv-serve as a subprocess ---- */

#ifdef SEECITV_SERVE_TOOL

Serve *
serve_start (const gchar * config, guint n_devices)
{
  const gchar *argv[] = { SEECITV_SERVE_TOOL, "--config", config, NULL };
  Serve *s = g_new0 (Serve, 1);
  GError *err = NULL;
  gchar *line;

  s->proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_MERGE, &err);
  fail_unless (s->proc != NULL, "%s", err ? err->message : "");
  s->out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  s->output = g_string_new (NULL);
  s->urls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  while (g_hash_table_size (s->urls) < n_devices &&
      (line = g_data_input_stream_read_line (s->out, NULL, NULL, NULL))) {
    g_string_append_printf (s->output, "%s\n", line);
    if (g_str_has_prefix (line, "rtsp: ")) {
      const gchar *slash = strrchr (line, '/');

      fail_unless (slash != NULL);
      g_hash_table_insert (s->urls, g_strdup (slash + 1),
          g_strdup (line + 6));
    }
    g_free (line);
  }
  return s;
}

Serve *
serve_start_busy (const gchar * config, guint n_devices)
{
  gchar *asan = g_strdup (g_getenv ("ASAN_OPTIONS"));
  Serve *s;

  if (asan != NULL) {
    gchar *opts = g_strconcat (asan, ":detect_leaks=0", NULL);

    g_setenv ("ASAN_OPTIONS", opts, TRUE);
    g_free (opts);
  }
  s = serve_start (config, n_devices);
  if (asan != NULL)
    g_setenv ("ASAN_OPTIONS", asan, TRUE);
  g_free (asan);
  return s;
}

gboolean
serve_wait_line (Serve * s, const gchar * needle)
{
  gchar *line;
  gboolean found = strstr (s->output->str, needle) != NULL;

  while (!found &&
      (line = g_data_input_stream_read_line (s->out, NULL, NULL, NULL))) {
    g_string_append_printf (s->output, "%s\n", line);
    found = strstr (line, needle) != NULL;
    g_free (line);
  }
  return found;
}

gint
serve_stop (Serve * s)
{
  gchar *line;

  g_subprocess_send_signal (s->proc, SIGTERM);
  while ((line = g_data_input_stream_read_line (s->out, NULL, NULL, NULL))) {
    g_string_append_printf (s->output, "%s\n", line);
    g_free (line);
  }
  g_subprocess_wait (s->proc, NULL, NULL);
  return g_subprocess_get_if_exited (s->proc) ?
      g_subprocess_get_exit_status (s->proc) : -1;
}

void
serve_free (Serve * s)
{
  if (g_subprocess_get_identifier (s->proc) != NULL) {
    g_subprocess_force_exit (s->proc);
    g_subprocess_wait (s->proc, NULL, NULL);
  }
  g_object_unref (s->out);
  g_object_unref (s->proc);
  g_string_free (s->output, TRUE);
  g_hash_table_unref (s->urls);
  g_free (s);
}

gint
serve_run (const gchar * const *args, gchar ** output)
{
  GPtrArray *argv = g_ptr_array_new ();
  GSubprocess *proc;
  GError *err = NULL;
  gint status;

  g_ptr_array_add (argv, (gpointer) SEECITV_SERVE_TOOL);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_newv ((const gchar * const *) argv->pdata,
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE, &err);
  fail_unless (proc != NULL, "%s", err ? err->message : "");
  fail_unless (g_subprocess_communicate_utf8 (proc, NULL, NULL, output, NULL,
          &err), "%s", err ? err->message : "");
  status = g_subprocess_get_if_exited (proc) ?
      g_subprocess_get_exit_status (proc) : -1;
  g_object_unref (proc);
  g_ptr_array_free (argv, TRUE);
  return status;
}

#endif /* SEECITV_SERVE_TOOL */

/* ---- RTSP client ---- */

guint
rtsp_receive (const gchar * url, const gchar * user, const gchar * pass,
    guint n, guint timeout_s, GstBuffer ** last, GstVideoInfo * info,
    GError ** error)
{
  GstElement *pipe = gst_parse_launch ("rtspsrc name=src protocols=tcp "
      "latency=200 ! rtph264depay ! avdec_h264 ! videoconvert ! "
      "video/x-raw,format=I420 ! appsink name=sink sync=false", NULL);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  GstBus *bus = gst_element_get_bus (pipe);
  gint64 end = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;
  guint got = 0;

  fail_unless (pipe != NULL);
  g_object_set (src, "location", url, NULL);
  if (user)
    g_object_set (src, "user-id", user, "user-pw", pass, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  while (got < n && g_get_monotonic_time () < end) {
    GstSample *sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        100 * GST_MSECOND);
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);

    if (msg != NULL) {
      gst_message_parse_error (msg, error, NULL);
      gst_message_unref (msg);
      if (sample)
        gst_sample_unref (sample);
      break;
    }
    if (sample == NULL)
      continue;
    got++;
    if (last != NULL) {
      gst_clear_buffer (last);
      *last = gst_buffer_ref (gst_sample_get_buffer (sample));
      fail_unless (gst_video_info_from_caps (info,
              gst_sample_get_caps (sample)));
    }
    gst_sample_unref (sample);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  return got;
}
