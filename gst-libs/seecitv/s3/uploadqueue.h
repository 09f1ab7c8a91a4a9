/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The persistent upload queue: one job file per clip in a directory beside
 * the keystore (seecitv_upload_queue_dir ()), never under the recordings
 * directory. A job is written (and fsync'ed) before the clip is reported
 * queued and removed only after the object is stored, so a crash, a restart
 * or a storage outage loses nothing; delivery is at-least-once, and since
 * the object key is fixed per clip a repeat overwrites the same object.
 *
 * A worker thread uploads jobs oldest first with s3client.c, retrying each
 * with exponential back-off. Jobs of earlier runs are picked up on start.
 * Several processes may share a queue: a job is locked (flock) while one of
 * them works on it. The callback runs in the worker thread.
 */
#ifndef __SEECITV_UPLOADQUEUE_H__
#define __SEECITV_UPLOADQUEUE_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SeecitvUploadQueue SeecitvUploadQueue;

typedef struct
{
  const gchar *path;            /* local clip file */
  const gchar *uri;             /* s3://bucket/key */
  gboolean done;                /* stored (TRUE) or this attempt failed */
  gboolean dropped;             /* failed for good: the job is gone */
  guint http_status;            /* last HTTP status, 0 if none */
  const gchar *message;         /* error text when !done */
  guint attempt;                /* 1 for the first try */
} SeecitvUploadResult;

typedef void (*SeecitvUploadFunc) (const SeecitvUploadResult * result,
    gpointer user_data);

/* Back-off: first retry after 1 s, doubling, at most 16 s. */
#define SEECITV_UPLOAD_BACKOFF_MIN_MS 1000
#define SEECITV_UPLOAD_BACKOFF_MAX_MS 16000

/* "<keystore>.uploads", beside the keystore file. */
gchar *seecitv_upload_queue_dir (const gchar * keystore_path);

/* Opens (creating, 0700) the queue directory. target/endpoint are used for
 * the jobs this queue adds; jobs already queued keep their own. Checks that
 * credentials exist. */
SeecitvUploadQueue *seecitv_upload_queue_new (const gchar * dir,
    const gchar * target, const gchar * endpoint, gboolean delete_local,
    GError ** error);
void seecitv_upload_queue_set_callback (SeecitvUploadQueue * q,
    SeecitvUploadFunc func, gpointer user_data);
void seecitv_upload_queue_set_backoff (SeecitvUploadQueue * q, guint min_ms,
    guint max_ms);
/* I/O timeout of each request, seconds. */
void seecitv_upload_queue_set_timeout (SeecitvUploadQueue * q,
    guint seconds);

/* Queues a clip, as object "<prefix>/<name>"; name is usually
 * "<device-id>/<clip file name>". Durable when this returns TRUE. */
gboolean seecitv_upload_queue_add (SeecitvUploadQueue * q,
    const gchar * clip_path, const gchar * name, GError ** error);

/* Starts the worker thread (it resumes jobs left by earlier runs). */
void seecitv_upload_queue_start (SeecitvUploadQueue * q);
/* Retries everything now and waits until the queue is empty or
 * timeout_us passed (-1: no limit); meanwhile failed jobs are retried
 * every 2 s at most. TRUE when empty. */
gboolean seecitv_upload_queue_drain (SeecitvUploadQueue * q,
    gint64 timeout_us);
/* Jobs on disk. */
guint seecitv_upload_queue_pending (SeecitvUploadQueue * q);
/* Stops the worker and makes a drain () in another thread return now (an
 * upload in flight is cancelled and stays queued). Any thread. */
void seecitv_upload_queue_interrupt (SeecitvUploadQueue * q);
/* Stops the worker (an upload in flight is cancelled and stays queued).
 * No drain () may still be running. */
void seecitv_upload_queue_free (SeecitvUploadQueue * q);

/* Removes queued jobs whose clip path is under dir or whose object name
 * starts with "<device_id>/" (device_id may be NULL). Used by forget. */
guint seecitv_upload_queue_remove_matching (const gchar * queue_dir,
    const gchar * clip_path, const gchar * device_id);

/* The targets clips of this keystore were sent to, remembered in the queue
 * directory ("targets.ini") so that list --remote, purge, forget and export
 * need only the keystore. */
gboolean seecitv_upload_queue_remember_target (const gchar * queue_dir,
    const gchar * target, const gchar * endpoint, GError ** error);
/* NULL-terminated arrays of the same length; g_strfreev () both. endpoint
 * entries are "" for the default. */
gchar **seecitv_upload_queue_targets (const gchar * queue_dir,
    gchar *** endpoints);

/* The same functions as a table, exported by the loadable module
 * libseecitvupload (uploadqueue-module.c). seecitvsink loads it with
 * GModule only when `upload` is set, so that the seecitv plugin itself
 * never links libsoup 3 (which cannot share a process with libsoup 2). */
#define SEECITV_UPLOAD_QUEUE_API_VERSION 1
#define SEECITV_UPLOAD_QUEUE_API_SYMBOL "seecitv_upload_queue_get_api"

typedef struct
{
  guint version;                /* SEECITV_UPLOAD_QUEUE_API_VERSION */
  gchar *(*queue_dir) (const gchar * keystore_path);
  SeecitvUploadQueue *(*queue_new) (const gchar * dir, const gchar * target,
      const gchar * endpoint, gboolean delete_local, GError ** error);
  void (*set_callback) (SeecitvUploadQueue * q, SeecitvUploadFunc func,
      gpointer user_data);
  gboolean (*add) (SeecitvUploadQueue * q, const gchar * clip_path,
      const gchar * name, GError ** error);
  void (*start) (SeecitvUploadQueue * q);
  gboolean (*drain) (SeecitvUploadQueue * q, gint64 timeout_us);
  guint (*pending) (SeecitvUploadQueue * q);
  void (*interrupt) (SeecitvUploadQueue * q);
  void (*queue_free) (SeecitvUploadQueue * q);
  gboolean (*remember_target) (const gchar * queue_dir,
      const gchar * target, const gchar * endpoint, GError ** error);
} SeecitvUploadQueueApi;

typedef const SeecitvUploadQueueApi *(*SeecitvUploadQueueGetApi) (void);

G_END_DECLS

#endif /* __SEECITV_UPLOADQUEUE_H__ */
