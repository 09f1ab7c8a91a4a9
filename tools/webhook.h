/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Webhook delivery for seecitv-serve: a bounded FIFO of JSON events sent
 * one at a time as HTTP POSTs with libsoup 3, each attempt signed with
 * HMAC-SHA256 (OpenSSL) over "<its send time>.<body>" (headers
 * X-Seecitv-Timestamp and X-Seecitv-Signature: v1=<hex>, so that a
 * receiver can refuse a replayed request), retried with exponential
 * back-off until the
 * receiver answers 2xx. One request is in flight at most, so events arrive
 * in the order they were posted, and an event leaves the queue only when
 * delivered (2xx) or refused for good (any other 1xx-4xx status but 408
 * and 429), so each is delivered once unless the receiver took it and the
 * answer was lost; the `X-Seecitv-Event-Id` header and the body's `id`
 * let a receiver drop such a repeat. When the queue is full the oldest
 * waiting event is dropped and counted, with a warning at the 1st, 2nd,
 * 4th, 8th... drop.
 *
 * Also the JSON of a motion event and the signature, as pure functions.
 */
#ifndef __SEECITV_WEBHOOK_H__
#define __SEECITV_WEBHOOK_H__

#include <glib.h>

G_BEGIN_DECLS

#define SEECITV_WEBHOOK_SIGNATURE_HEADER "X-Seecitv-Signature"
#define SEECITV_WEBHOOK_TIMESTAMP_HEADER "X-Seecitv-Timestamp"
#define SEECITV_WEBHOOK_SIGNATURE_PREFIX "v1="
#define SEECITV_WEBHOOK_EVENT_ID_HEADER "X-Seecitv-Event-Id"

typedef struct _SeecitvWebhook SeecitvWebhook;

typedef struct
{
  const gchar *url;             /* http:// or https:// */
  const guint8 *secret;         /* HMAC key, copied */
  gsize secret_len;
  guint queue_size;             /* events waiting, at least 1 */
  guint retry_initial_ms;       /* first back-off delay */
  guint retry_max_ms;           /* back-off ceiling */
  guint timeout_s;              /* per request (libsoup's I/O timeout) */
  const gchar *tls_ca_file;     /* NULL: the system's CAs */
} SeecitvWebhookConfig;

typedef struct
{
  guint64 posted;               /* events accepted by post () */
  guint64 delivered;            /* answered 2xx */
  guint64 dropped;              /* pushed out of a full queue */
  guint64 refused;              /* answered with a final non-2xx status */
  guint64 attempts;             /* requests sent, retries included */
  guint queued;                 /* waiting or in flight now */
} SeecitvWebhookStats;

/* A new sender whose HTTP work runs in @context (NULL: the global default
 * context). The thread that iterates @context must have it as its
 * thread-default context (g_main_context_push_thread_default ()), as
 * libsoup 3 needs: its connections attach to the thread-default context of
 * whoever runs its queue. Returns NULL with @error set for a bad URL or CA
 * file. */
SeecitvWebhook *seecitv_webhook_new (const SeecitvWebhookConfig * config,
    GMainContext * context, GError ** error);

/* Queues @body (JSON) with event id @id. Any thread. */
void seecitv_webhook_post (SeecitvWebhook * webhook, const gchar * id,
    const gchar * body);

/* Any thread. */
void seecitv_webhook_get_stats (SeecitvWebhook * webhook,
    SeecitvWebhookStats * stats);

/* Stops sending, drops what is queued and frees. Call from the thread that
 * iterates the context, or when nothing iterates it any more. */
void seecitv_webhook_free (SeecitvWebhook * webhook);

/* "v1=" and the lowercase hex HMAC-SHA256 under @secret of the decimal
 * @timestamp (Unix seconds), a '.', and @body (g_free ()). */
gchar *seecitv_webhook_signature (const guint8 * secret, gsize secret_len,
    gint64 timestamp, const gchar * body, gsize body_len);

/* A motion event, for seecitv_webhook_event_to_json (). */
typedef struct
{
  const gchar *id;              /* unique event id */
  const gchar *device;          /* device id */
  const gchar *event;           /* "motion-start" or "motion-end" */
  gint64 time_us;               /* wall-clock time of the onset/end, µs */
  gint64 sent_us;               /* wall-clock time the event was made, µs */
  guint64 running_time;         /* ns, as in the bus message */
  guint64 duration;             /* ns, GST_CLOCK_TIME_NONE (-1) if none */
  const gchar *reason;          /* why motion ended (a token), or NULL */
  gdouble score;
  const gchar *const *zones;    /* NULL-terminated, may be NULL */
} SeecitvWebhookEvent;

/* One line of JSON (g_free ()):
 * {"id":...,"device":...,"event":...,"time":"2026-11-29T00:00:00.000000Z",
 *  "sent":...,"running-time":N,["duration":N,]["reason":...,]"score":X,
 *  "zones":[...]}
 * Strings are escaped, a non-finite score is null. */
gchar *seecitv_webhook_event_to_json (const SeecitvWebhookEvent * event);

G_END_DECLS

#endif /* __SEECITV_WEBHOOK_H__ */
