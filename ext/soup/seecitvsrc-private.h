/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsrc's instance struct and what its two files share:
 * gstseecitvsrc.c (GObject glue, properties, GstBaseSrc/GstPushSrc: start,
 * stop, unlock, create) and seecitvsrcworker.c (the worker thread: libsoup
 * session, TLS pinning, the device protocol, reconnection, frames).
 * Locks: the object lock guards the properties; qlock the frame queue
 * between the worker and create (); neither is held while posting.
 */
#ifndef __SEECITV_SRC_PRIVATE_H__
#define __SEECITV_SRC_PRIVATE_H__

#include "gstseecitvsrc.h"

#include <seecitv/frametiming.h>
#include <seecitv/multipart.h>
#include <seecitv/protocol/protocol.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

GST_DEBUG_CATEGORY_EXTERN (seecitv_src_debug);

/* Frames kept for a slow downstream; older ones are dropped (live). */
#define MAX_QUEUED_FRAMES 8
/* How long the first frame waits for the ones the framerate is measured
 * over (frametiming.h), at most. */
#define RATE_WAIT (G_USEC_PER_SEC)
/* Back-off grows up to this many times retry-delay. */
#define MAX_BACKOFF_FACTOR 32
#define READ_SIZE (64 * 1024)
/* A Retry-After beyond this is taken as this (seconds). */
#define MAX_RETRY_AFTER_S (24 * 3600)
/* Without a usable Retry-After, a 429 waits at least this (seconds). */
#define DEFAULT_RETRY_AFTER_S 5

#define SEECITV_TAG_DEVICE_NAME "seecitv-device-name"
#define SEECITV_TAG_MAC_PSEUDONYM "seecitv-device-mac-pseudonym"

typedef struct
{
  GBytes *jpeg;
  guint64 capture_ns;           /* sender's clock, G_MAXUINT64 if absent */
  gint64 arrival_real_ns;       /* our wall clock */
  GstClockTime arrival_clock;   /* element clock, NONE if none yet */
  gboolean discont;
} Frame;

/* What the worker thread works with: copied from the properties in
 * start (), then owned by the worker alone. */
typedef struct
{
  SeecitvSrc *src;              /* not a ref: the element joins us first */
  gchar *location;
  gchar *safe_location;         /* without user info: for messages */
  gchar *target;                /* path?query of location, for proofs */
  gchar *info_url;
  gchar *device_id;
  guint8 key[SEECITV_PROTOCOL_KEY_LEN];
  gboolean have_key;
  gchar *user_id;
  gchar *user_pw;
  gchar *tls_ca_file;
  gchar *tls_pin;
  guint64 timeout;
  guint64 retry_delay;
  gint max_retries;
  guint max_frame_size;

  SoupSession *session;
  SeecitvMultipartParser *parser;
  /* TLS: what the last handshake showed us */
  gchar *seen_fingerprint;
  gboolean pin_matched;
  gboolean auth_tried;          /* Basic/Digest credentials given once */
  guint dropped_parts;
  gboolean warned_drop;
  gboolean warned_format;
  guint64 retry_after;          /* ns a 429 asked us to wait, 0 if none */
  gboolean warned_rate_limit;
  gboolean lost;                /* a stream that gave frames was lost */
  const gchar *lost_reason;     /* the `reason` token of the last loss */
  guint since_loss;             /* connections tried since then */
} Worker;

struct _SeecitvSrc
{
  GstPushSrc parent;

  /* properties, protected by the object lock */
  gchar *location;
  gchar *device_id;
  gchar *device_key_file;
  gchar *keystore;
  gchar *passphrase_file;
  gchar *user_id;
  gchar *user_pw;
  gchar *tls_ca_file;
  gchar *tls_pin;
  guint64 timeout;
  guint64 retry_delay;
  gint max_retries;
  guint max_frame_size;

  /* the worker, started in start () and joined in stop () */
  GThread *thread;
  GCancellable *cancellable;
  Worker *worker;

  /* between the worker and create (), protected by qlock */
  GMutex qlock;
  GCond qcond;
  GQueue frames;                /* of Frame */
  GstTagList *pending_tags;
  gboolean flushing;            /* unlock () */
  gboolean stopping;            /* stop (): the worker must exit */
  gboolean failed;              /* the worker posted a fatal error */

  /* streaming thread only */
  gboolean caps_set;
  gboolean first_buffer;
  SeecitvFrameTiming *timing;   /* PTS, durations, the rate */
  gboolean warned_clock_jump;
};

/* gstseecitvsrc.c */
void seecitv_src_frame_free (Frame * f);
/* Wipes and frees *@s (a secret). */
void seecitv_src_wipe_string (gchar ** s);

/* seecitvsrcworker.c: the thread start () starts (@data: the element,
 * whose worker it runs); stop () joins it, then frees the Worker with
 * seecitv_src_worker_free (). */
gpointer seecitv_src_worker_thread (gpointer data);
void seecitv_src_worker_free (Worker * w);

G_END_DECLS

#endif /* __SEECITV_SRC_PRIVATE_H__ */
