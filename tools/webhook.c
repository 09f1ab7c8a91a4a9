/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The webhook sender of webhook.h. The queue, the counters and `closed`
 * are shared between the posting threads and the context's thread and are
 * guarded by `lock`; the libsoup session, the event in flight, the back-off
 * delay and the retry timer belong to the context's thread alone (libsoup 3
 * objects stay in the context that made them). Never holds the lock while
 * calling libsoup or the notify callback.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "webhook.h"

#include <libsoup/soup.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <math.h>
#include <string.h>

/* Not signed here: each attempt is signed with its own send time. */
typedef struct
{
  gchar *id;
  GBytes *body;
} Item;

struct _SeecitvWebhook
{
  gint ref;                     /* atomic */
  GMainContext *context;
  GUri *uri;
  guint8 *secret;
  gsize secret_len;
  guint queue_size;
  guint retry_initial_ms;
  guint retry_max_ms;

  GMutex lock;
  GQueue queue;                 /* of Item: waiting; protected by lock */
  SeecitvWebhookStats stats;    /* protected by lock */
  gboolean kick_pending;        /* protected by lock */
  gboolean busy;                /* an item in flight or to retry; lock */
  gboolean closed;              /* protected by lock */

  /* the context's thread only */
  SoupSession *session;
  GCancellable *cancellable;
  Item *current;
  guint delay_ms;
  GSource *retry;
  gboolean failing;             /* the current item failed at least once */
};

static void send_current (SeecitvWebhook * wh);

static void
item_free (Item * it)
{
  g_free (it->id);
  g_bytes_unref (it->body);
  g_free (it);
}

static SeecitvWebhook *
webhook_ref (SeecitvWebhook * wh)
{
  g_atomic_int_inc (&wh->ref);
  return wh;
}

static void
webhook_unref (SeecitvWebhook * wh)
{
  if (!g_atomic_int_dec_and_test (&wh->ref))
    return;
  g_clear_object (&wh->session);
  g_clear_object (&wh->cancellable);
  g_queue_clear_full (&wh->queue, (GDestroyNotify) item_free);
  g_clear_pointer (&wh->current, item_free);
  OPENSSL_cleanse (wh->secret, wh->secret_len);
  g_free (wh->secret);
  g_uri_unref (wh->uri);
  g_main_context_unref (wh->context);
  g_mutex_clear (&wh->lock);
  g_free (wh);
}

gchar *
seecitv_webhook_signature (const guint8 * secret, gsize secret_len,
    gint64 timestamp, const gchar * body, gsize body_len)
{
  guint8 md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  GString *s = g_string_new (SEECITV_WEBHOOK_SIGNATURE_PREFIX);
  /* the timestamp is signed with the body, so that a captured request
   * cannot be replayed later under a fresh timestamp */
  GString *signed_text = g_string_sized_new (body_len + 24);

  g_string_printf (signed_text, "%" G_GINT64_FORMAT ".", timestamp);
  g_string_append_len (signed_text, body, body_len);
  if (HMAC (EVP_sha256 (), secret, (int) secret_len,
          (const guint8 *) signed_text->str, signed_text->len, md,
          &md_len) == NULL)
    md_len = 0;
  for (guint i = 0; i < md_len; i++)
    g_string_append_printf (s, "%02x", md[i]);
  OPENSSL_cleanse (md, sizeof (md));
  g_string_free (signed_text, TRUE);
  return g_string_free (s, FALSE);
}

SeecitvWebhook *
seecitv_webhook_new (const SeecitvWebhookConfig * config,
    GMainContext * context, GError ** error)
{
  SeecitvWebhook *wh;
  GUri *uri;
  const gchar *scheme;

  /* GLib's parse errors quote the URL, which may carry a token */
  uri = g_uri_parse (config->url, G_URI_FLAGS_ENCODED, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || (g_ascii_strcasecmp (scheme, "http") != 0 &&
          g_ascii_strcasecmp (scheme, "https") != 0) ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0') {
    g_set_error (error, G_URI_ERROR, G_URI_ERROR_BAD_SCHEME,
        "webhook URL: must be http:// or https:// with a host");
    g_clear_pointer (&uri, g_uri_unref);
    return NULL;
  }

  wh = g_new0 (SeecitvWebhook, 1);
  wh->ref = 1;
  wh->uri = uri;
  wh->context = context ? g_main_context_ref (context) :
      g_main_context_ref (g_main_context_default ());
  wh->secret = g_memdup2 (config->secret, config->secret_len);
  wh->secret_len = config->secret_len;
  wh->queue_size = MAX (config->queue_size, 1);
  wh->retry_initial_ms = MAX (config->retry_initial_ms, 1);
  wh->retry_max_ms = MAX (config->retry_max_ms, wh->retry_initial_ms);
  wh->delay_ms = wh->retry_initial_ms;
  g_mutex_init (&wh->lock);
  g_queue_init (&wh->queue);
  wh->cancellable = g_cancellable_new ();

  /* the session belongs to @context: make it there */
  g_main_context_push_thread_default (wh->context);
  wh->session = soup_session_new_with_options ("timeout",
      MAX (config->timeout_s, 1), "user-agent", "seecitv-serve/" VERSION,
      NULL);
  if (config->tls_ca_file != NULL) {
    GTlsDatabase *db = g_tls_file_database_new (config->tls_ca_file, error);

    if (db == NULL) {
      g_main_context_pop_thread_default (wh->context);
      webhook_unref (wh);
      return NULL;
    }
    soup_session_set_tls_database (wh->session, db);
    g_object_unref (db);
  }
  g_main_context_pop_thread_default (wh->context);
  return wh;
}

static gboolean
is_power_of_two (guint64 n)
{
  return n != 0 && (n & (n - 1)) == 0;
}

static gboolean
kick_cb (gpointer data)
{
  SeecitvWebhook *wh = data;
  gboolean closed;

  g_mutex_lock (&wh->lock);
  wh->kick_pending = FALSE;
  closed = wh->closed;
  g_mutex_unlock (&wh->lock);
  if (!closed && wh->current == NULL)
    send_current (wh);
  return G_SOURCE_REMOVE;
}

/* Called with the lock held: makes the context's thread look at the
 * queue, unless it will anyway. */
static void
kick_locked (SeecitvWebhook * wh)
{
  GSource *s;

  if (wh->kick_pending || wh->busy || wh->closed)
    return;
  wh->kick_pending = TRUE;
  s = g_idle_source_new ();
  g_source_set_callback (s, kick_cb, webhook_ref (wh),
      (GDestroyNotify) webhook_unref);
  g_source_attach (s, wh->context);
  g_source_unref (s);
}

void
seecitv_webhook_post (SeecitvWebhook * wh, const gchar * id,
    const gchar * body)
{
  Item *it = g_new0 (Item, 1);
  Item *old = NULL;
  guint64 dropped = 0;

  it->id = g_strdup (id);
  it->body = g_bytes_new (body, strlen (body));

  g_mutex_lock (&wh->lock);
  if (wh->closed) {
    g_mutex_unlock (&wh->lock);
    item_free (it);
    return;
  }
  if (g_queue_get_length (&wh->queue) >= wh->queue_size) {
    old = g_queue_pop_head (&wh->queue);
    dropped = ++wh->stats.dropped;
  }
  g_queue_push_tail (&wh->queue, it);
  wh->stats.posted++;
  kick_locked (wh);
  g_mutex_unlock (&wh->lock);

  if (old != NULL) {
    if (is_power_of_two (dropped))
      g_message ("webhook: queue full (%u events waiting): dropped the "
          "oldest, event %s; %" G_GUINT64_FORMAT " dropped so far",
          wh->queue_size, old->id, dropped);
    item_free (old);
  }
}

void
seecitv_webhook_get_stats (SeecitvWebhook * wh, SeecitvWebhookStats * stats)
{
  g_mutex_lock (&wh->lock);
  *stats = wh->stats;
  stats->queued = g_queue_get_length (&wh->queue) + (wh->busy ? 1 : 0);
  g_mutex_unlock (&wh->lock);
}

/* The current item is done (delivered or refused): on to the next. */
static void
next (SeecitvWebhook * wh, gboolean delivered)
{
  gboolean closed;

  g_clear_pointer (&wh->current, item_free);
  wh->delay_ms = wh->retry_initial_ms;
  wh->failing = FALSE;
  g_mutex_lock (&wh->lock);
  if (delivered)
    wh->stats.delivered++;
  else
    wh->stats.refused++;
  wh->busy = FALSE;
  closed = wh->closed;
  g_mutex_unlock (&wh->lock);
  if (!closed)
    send_current (wh);
}

static gboolean
retry_cb (gpointer data)
{
  SeecitvWebhook *wh = data;

  g_clear_pointer (&wh->retry, g_source_unref);
  send_current (wh);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (SeecitvWebhook * wh, const gchar * why)
{
  /* ±10 % jitter so that several senders do not retry in step */
  guint delay = (guint) (wh->delay_ms * g_random_double_range (0.9, 1.1));

  if (!wh->failing)
    g_message ("webhook: cannot deliver event %s (%s); retrying with "
        "back-off up to %u s", wh->current->id, why,
        (wh->retry_max_ms + 999) / 1000);
  wh->failing = TRUE;
  wh->retry = g_timeout_source_new (MAX (delay, 1));
  g_source_set_callback (wh->retry, retry_cb, wh, NULL);
  g_source_attach (wh->retry, wh->context);
  wh->delay_ms = MIN ((guint64) wh->delay_ms * 2, wh->retry_max_ms);
}

static void
done_cb (GObject * source, GAsyncResult * res, gpointer data)
{
  SeecitvWebhook *wh = data;
  SoupSession *session = SOUP_SESSION (source);
  SoupMessage *msg = soup_session_get_async_result_message (session, res);
  GError *err = NULL;
  GBytes *reply;
  guint status;
  gboolean closed;

  reply = soup_session_send_and_read_finish (session, res, &err);
  g_mutex_lock (&wh->lock);
  closed = wh->closed;
  g_mutex_unlock (&wh->lock);
  if (closed) {
    g_clear_error (&err);
    g_clear_pointer (&reply, g_bytes_unref);
    webhook_unref (wh);
    return;
  }
  status = msg ? soup_message_get_status (msg) : 0;
  if (reply != NULL && SOUP_STATUS_IS_SUCCESSFUL (status)) {
    next (wh, TRUE);
  } else if (reply != NULL && status >= 100 && status < 500 &&
      status != SOUP_STATUS_REQUEST_TIMEOUT && status != 429) {
    /* the receiver read it and said no: retrying would not change that */
    g_message ("webhook: event %s refused with HTTP %u: dropped",
        wh->current->id, status);
    next (wh, FALSE);
  } else {
    gchar *why = err ? g_strdup (err->message) :
        g_strdup_printf ("HTTP %u", status);

    schedule_retry (wh, why);
    g_free (why);
  }
  g_clear_error (&err);
  g_clear_pointer (&reply, g_bytes_unref);
  webhook_unref (wh);
}

/* Sends the current item, taking the next one from the queue if none. */
static void
send_current (SeecitvWebhook * wh)
{
  SoupMessage *msg;
  SoupMessageHeaders *h;
  gint64 now;
  gchar *timestamp, *signature;
  const gchar *body;
  gsize body_len;

  if (wh->current == NULL) {
    g_mutex_lock (&wh->lock);
    wh->current = g_queue_pop_head (&wh->queue);
    wh->busy = wh->current != NULL;
    g_mutex_unlock (&wh->lock);
    if (wh->current == NULL)
      return;
  }
  msg = soup_message_new_from_uri (SOUP_METHOD_POST, wh->uri);
  /* a redirected POST would turn into a GET and lose the event */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  soup_message_set_request_body_from_bytes (msg, "application/json",
      wh->current->body);
  /* signed now, not when queued: an event retried through an outage
   * still falls in the receiver's freshness window */
  now = g_get_real_time () / G_USEC_PER_SEC;
  body = g_bytes_get_data (wh->current->body, &body_len);
  timestamp = g_strdup_printf ("%" G_GINT64_FORMAT, now);
  signature = seecitv_webhook_signature (wh->secret, wh->secret_len, now,
      body, body_len);
  h = soup_message_get_request_headers (msg);
  soup_message_headers_replace (h, SEECITV_WEBHOOK_TIMESTAMP_HEADER,
      timestamp);
  soup_message_headers_replace (h, SEECITV_WEBHOOK_SIGNATURE_HEADER,
      signature);
  g_free (timestamp);
  g_free (signature);
  soup_message_headers_replace (h, SEECITV_WEBHOOK_EVENT_ID_HEADER,
      wh->current->id);
  g_mutex_lock (&wh->lock);
  wh->stats.attempts++;
  g_mutex_unlock (&wh->lock);
  /* the callback goes to the thread-default context of the call */
  g_main_context_push_thread_default (wh->context);
  soup_session_send_and_read_async (wh->session, msg, G_PRIORITY_DEFAULT,
      wh->cancellable, done_cb, webhook_ref (wh));
  g_main_context_pop_thread_default (wh->context);
  g_object_unref (msg);
}

void
seecitv_webhook_free (SeecitvWebhook * wh)
{
  if (wh == NULL)
    return;
  g_mutex_lock (&wh->lock);
  wh->closed = TRUE;
  g_queue_clear_full (&wh->queue, (GDestroyNotify) item_free);
  g_queue_init (&wh->queue);
  g_mutex_unlock (&wh->lock);
  g_cancellable_cancel (wh->cancellable);
  if (wh->retry != NULL) {
    g_source_destroy (wh->retry);
    g_clear_pointer (&wh->retry, g_source_unref);
  }
  /* let the cancelled request and a pending kick drop their references */
  if (g_main_context_acquire (wh->context)) {
    g_main_context_push_thread_default (wh->context);
    while (g_atomic_int_get (&wh->ref) > 1)
      g_main_context_iteration (wh->context, TRUE);
    g_main_context_pop_thread_default (wh->context);
    g_main_context_release (wh->context);
  }
  webhook_unref (wh);
}

/* ---- JSON ---- */

static void
append_json_string (GString * s, const gchar * str)
{
  g_string_append_c (s, '"');
  for (const guchar * p = (const guchar *) (str ? str : ""); *p; p++) {
    switch (*p) {
      case '"':
        g_string_append (s, "\\\"");
        break;
      case '\\':
        g_string_append (s, "\\\\");
        break;
      case '\n':
        g_string_append (s, "\\n");
        break;
      case '\r':
        g_string_append (s, "\\r");
        break;
      case '\t':
        g_string_append (s, "\\t");
        break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          g_string_append_printf (s, "\\u%04x", *p);
        else
          g_string_append_c (s, *p);
    }
  }
  g_string_append_c (s, '"');
}

static void
append_time (GString * s, gint64 us)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  if (dt == NULL || us < 0) {
    g_string_append (s, "null");
  } else {
    gchar *t = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");

    g_string_append_printf (s, "\"%s.%06dZ\"", t,
        (gint) (us % G_USEC_PER_SEC));
    g_free (t);
  }
  if (dt)
    g_date_time_unref (dt);
}

gchar *
seecitv_webhook_event_to_json (const SeecitvWebhookEvent * ev)
{
  GString *s = g_string_new ("{\"id\":");
  gchar num[G_ASCII_DTOSTR_BUF_SIZE];

  append_json_string (s, ev->id);
  g_string_append (s, ",\"device\":");
  append_json_string (s, ev->device);
  g_string_append (s, ",\"event\":");
  append_json_string (s, ev->event);
  g_string_append (s, ",\"time\":");
  append_time (s, ev->time_us);
  g_string_append (s, ",\"sent\":");
  append_time (s, ev->sent_us);
  g_string_append_printf (s, ",\"running-time\":%" G_GUINT64_FORMAT,
      ev->running_time);
  if (ev->duration != G_MAXUINT64)
    g_string_append_printf (s, ",\"duration\":%" G_GUINT64_FORMAT,
        ev->duration);
  if (ev->reason != NULL) {
    g_string_append (s, ",\"reason\":");
    append_json_string (s, ev->reason);
  }
  g_string_append (s, ",\"score\":");
  if (isfinite (ev->score))
    g_string_append (s, g_ascii_formatd (num, sizeof (num), "%.6f",
            ev->score));
  else
    g_string_append (s, "null");
  g_string_append (s, ",\"zones\":[");
  for (guint i = 0; ev->zones != NULL && ev->zones[i] != NULL; i++) {
    if (i > 0)
      g_string_append_c (s, ',');
    append_json_string (s, ev->zones[i]);
  }
  g_string_append (s, "]}");
  return g_string_free (s, FALSE);
}
