/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The persistent upload queue (see uploadqueue.h): job files, the worker
 * thread and its back-off. The S3 requests themselves are s3client.c's.
 * Each job file is a small GKeyFile ("[job]" with path, key, target,
 * endpoint, delete-local, created) named after a hash of target and key,
 * so queuing the same clip twice is one job.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "uploadqueue.h"
#include "s3client.h"

#include <glib/gstdio.h>
#include <openssl/crypto.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOB_GROUP "job"
#define JOB_SUFFIX ".job"
/* Longest back-off while drain () waits. */
#define DRAIN_RETRY_MS 2000

typedef struct
{
  guint attempts;
  gint64 next;                  /* monotonic µs of the next try */
} Backoff;

struct _SeecitvUploadQueue
{
  gchar *dir;
  gchar *target;
  gchar *endpoint;
  gboolean delete_local;
  guint timeout_s;

  GMutex lock;
  GCond cond;
  /* protected by lock */
  GThread *thread;
  gboolean stop;
  gboolean wake;
  GHashTable *backoff;          /* job file name -> Backoff */
  guint min_ms, max_ms;
  guint passes;                 /* completed worker passes */
  guint draining;               /* drain () calls waiting */
  SeecitvUploadFunc func;
  gpointer user_data;

  GCancellable *cancellable;
};

gchar *
seecitv_upload_queue_dir (const gchar * keystore_path)
{
  return g_strconcat (keystore_path, ".uploads", NULL);
}

static gboolean
fsync_dir (const gchar * dir)
{
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY, 0);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = fsync (fd) == 0;
  close (fd);
  return ok;
}

SeecitvUploadQueue *
seecitv_upload_queue_new (const gchar * dir, const gchar * target,
    const gchar * endpoint, gboolean delete_local, GError ** error)
{
  SeecitvUploadQueue *q;

  if (target != NULL) {
    /* Fail early on a bad target, endpoint or missing credentials. */
    SeecitvS3Client *c = seecitv_s3_client_new (target, endpoint, error);
    if (c == NULL)
      return NULL;
    seecitv_s3_client_free (c);
  }
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    int e = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "cannot create the upload queue %s: %s", dir, g_strerror (e));
    return NULL;
  }
  q = g_new0 (SeecitvUploadQueue, 1);
  q->dir = g_strdup (dir);
  q->target = g_strdup (target);
  q->endpoint = g_strdup (endpoint);
  q->delete_local = delete_local;
  q->timeout_s = 60;
  g_mutex_init (&q->lock);
  g_cond_init (&q->cond);
  q->backoff = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  q->min_ms = SEECITV_UPLOAD_BACKOFF_MIN_MS;
  q->max_ms = SEECITV_UPLOAD_BACKOFF_MAX_MS;
  q->cancellable = g_cancellable_new ();
  return q;
}

void
seecitv_upload_queue_set_callback (SeecitvUploadQueue * q,
    SeecitvUploadFunc func, gpointer user_data)
{
  g_mutex_lock (&q->lock);
  q->func = func;
  q->user_data = user_data;
  g_mutex_unlock (&q->lock);
}

void
seecitv_upload_queue_set_backoff (SeecitvUploadQueue * q, guint min_ms,
    guint max_ms)
{
  g_mutex_lock (&q->lock);
  q->min_ms = MAX (min_ms, 10);
  q->max_ms = MAX (max_ms, q->min_ms);
  g_mutex_unlock (&q->lock);
}

void
seecitv_upload_queue_set_timeout (SeecitvUploadQueue * q, guint seconds)
{
  g_mutex_lock (&q->lock);
  q->timeout_s = MAX (seconds, 1);
  g_mutex_unlock (&q->lock);
}

/* GLib's SHA-256, not OpenSSL's: add () runs in the caller's (often a
 * pooled streaming) thread, which should not get OpenSSL thread state. */
static gchar *
job_name (const gchar * target, const gchar * key)
{
  gchar *id = g_strconcat (target, "\n", key, NULL);
  gchar *h = g_compute_checksum_for_string (G_CHECKSUM_SHA256, id, -1);
  gchar *name = g_strdup_printf ("%.32s" JOB_SUFFIX, h);

  g_free (id);
  g_free (h);
  return name;
}

gboolean
seecitv_upload_queue_add (SeecitvUploadQueue * q, const gchar * clip_path,
    const gchar * name, GError ** error)
{
  GKeyFile *kf;
  gchar *key, *data, *jname, *path, *tmp, *abs, *prefix = NULL;
  gsize len;
  gboolean ok = FALSE;
  int fd;

  g_return_val_if_fail (q->target != NULL, FALSE);
  /* Object names are relative and plain: no "..", no leading '/'. */
  if (name == NULL || name[0] == '\0' || name[0] == '/'
      || strstr (name, "..") != NULL) {
    g_set_error (error, SEECITV_S3_ERROR, SEECITV_S3_ERROR_CONFIG,
        "bad object name for %s", clip_path);
    return FALSE;
  }
  if (!seecitv_s3_target_parse (q->target, NULL, &prefix, error))
    return FALSE;
  key = prefix[0] ? g_strconcat (prefix, "/", name, NULL) : g_strdup (name);
  g_free (prefix);

  abs = g_canonicalize_filename (clip_path, NULL);
  kf = g_key_file_new ();
  g_key_file_set_string (kf, JOB_GROUP, "path", abs);
  g_key_file_set_string (kf, JOB_GROUP, "key", key);
  g_key_file_set_string (kf, JOB_GROUP, "target", q->target);
  if (q->endpoint)
    g_key_file_set_string (kf, JOB_GROUP, "endpoint", q->endpoint);
  g_key_file_set_boolean (kf, JOB_GROUP, "delete-local", q->delete_local);
  g_key_file_set_int64 (kf, JOB_GROUP, "created", g_get_real_time ());
  data = g_key_file_to_data (kf, &len, NULL);
  g_key_file_free (kf);

  jname = job_name (q->target, key);
  path = g_build_filename (q->dir, jname, NULL);
  tmp = g_strdup_printf ("%s/.%s.tmp", q->dir, jname);
  fd = g_open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0 && write (fd, data, len) == (gssize) len && fsync (fd) == 0
      && close (fd) == 0) {
    fd = -1;
    ok = g_rename (tmp, path) == 0 && fsync_dir (q->dir);
  }
  if (!ok) {
    int e = errno;
    if (fd >= 0)
      close (fd);
    g_unlink (tmp);
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "cannot queue %s for upload in %s: %s", clip_path, q->dir,
        g_strerror (e));
  } else {
    g_mutex_lock (&q->lock);
    g_hash_table_remove (q->backoff, jname);
    q->wake = TRUE;
    g_cond_broadcast (&q->cond);
    g_mutex_unlock (&q->lock);
  }
  g_free (abs);
  g_free (key);
  g_free (data);
  g_free (jname);
  g_free (path);
  g_free (tmp);
  return ok;
}

typedef struct
{
  gchar *file;                  /* job file name */
  gint64 created;
} JobRef;

static gint
job_cmp (gconstpointer a, gconstpointer b)
{
  const JobRef *ja = *(JobRef * const *) a, *jb = *(JobRef * const *) b;
  if (ja->created != jb->created)
    return ja->created < jb->created ? -1 : 1;
  return strcmp (ja->file, jb->file);
}

static void
job_ref_free (JobRef * j)
{
  g_free (j->file);
  g_free (j);
}

/* The job files in dir, oldest first. */
static GPtrArray *
list_jobs (const gchar * dir, gboolean with_order)
{
  GPtrArray *jobs = g_ptr_array_new_with_free_func ((GDestroyNotify)
      job_ref_free);
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *n;

  if (d == NULL)
    return jobs;
  while ((n = g_dir_read_name (d)) != NULL) {
    JobRef *j;
    if (n[0] == '.' || !g_str_has_suffix (n, JOB_SUFFIX))
      continue;
    j = g_new0 (JobRef, 1);
    j->file = g_strdup (n);
    if (with_order) {
      gchar *p = g_build_filename (dir, n, NULL);
      GKeyFile *kf = g_key_file_new ();
      if (g_key_file_load_from_file (kf, p, G_KEY_FILE_NONE, NULL))
        j->created = g_key_file_get_int64 (kf, JOB_GROUP, "created", NULL);
      g_key_file_free (kf);
      g_free (p);
    }
    g_ptr_array_add (jobs, j);
  }
  g_dir_close (d);
  if (with_order)
    g_ptr_array_sort (jobs, job_cmp);
  return jobs;
}

guint
seecitv_upload_queue_pending (SeecitvUploadQueue * q)
{
  GPtrArray *jobs = list_jobs (q->dir, FALSE);
  guint n = jobs->len;

  g_ptr_array_unref (jobs);
  return n;
}

typedef enum
{
  JOB_SKIPPED,                  /* locked elsewhere, or gone */
  JOB_DONE,
  JOB_FAILED,
  JOB_DROPPED,
  JOB_CANCELLED
} JobOutcome;

static void
report (SeecitvUploadQueue * q, SeecitvUploadResult * r)
{
  SeecitvUploadFunc func;
  gpointer data;

  g_mutex_lock (&q->lock);
  func = q->func;
  data = q->user_data;
  g_mutex_unlock (&q->lock);
  if (func)
    func (r, data);
}

static SeecitvS3Client *
client_for (GHashTable * clients, const gchar * target,
    const gchar * endpoint, guint timeout_s, GError ** error)
{
  gchar *id = g_strconcat (target, "\n", endpoint ? endpoint : "", NULL);
  SeecitvS3Client *c = g_hash_table_lookup (clients, id);

  if (c == NULL) {
    c = seecitv_s3_client_new (target, endpoint, error);
    if (c == NULL) {
      g_free (id);
      return NULL;
    }
    g_hash_table_insert (clients, id, c);
  } else {
    g_free (id);
  }
  seecitv_s3_client_set_timeout (c, timeout_s);
  return c;
}

static JobOutcome
process_job (SeecitvUploadQueue * q, const gchar * file, guint attempt,
    GHashTable * clients)
{
  gchar *jpath = g_build_filename (q->dir, file, NULL);
  gchar *path = NULL, *key = NULL, *target = NULL, *endpoint = NULL, *uri;
  gboolean delete_local;
  GKeyFile *kf = NULL;
  SeecitvUploadResult r = { 0 };
  SeecitvS3Client *c;
  GError *err = NULL;
  JobOutcome out;
  struct stat st;
  guint status = 0;
  int fd;

  fd = g_open (jpath, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) != 0 || fstat (fd, &st) != 0
      || st.st_nlink == 0) {
    out = JOB_SKIPPED;
    goto done;
  }
  kf = g_key_file_new ();
  if (!g_key_file_load_from_file (kf, jpath, G_KEY_FILE_NONE, NULL)
      || (path = g_key_file_get_string (kf, JOB_GROUP, "path", NULL)) == NULL
      || (key = g_key_file_get_string (kf, JOB_GROUP, "key", NULL)) == NULL
      || (target = g_key_file_get_string (kf, JOB_GROUP, "target",
              NULL)) == NULL) {
    r.path = path ? path : jpath;
    r.uri = "";
    r.message = "unreadable upload job: dropped";
    r.dropped = TRUE;
    r.attempt = attempt;
    g_unlink (jpath);
    report (q, &r);
    out = JOB_DROPPED;
    goto done;
  }
  endpoint = g_key_file_get_string (kf, JOB_GROUP, "endpoint", NULL);
  delete_local = g_key_file_get_boolean (kf, JOB_GROUP, "delete-local", NULL);

  c = client_for (clients, target, endpoint, q->timeout_s, &err);
  uri = c ? seecitv_s3_client_object_uri (c, key) :
      g_strdup_printf ("%s/%s", target, key);
  r.path = path;
  r.uri = uri;
  r.attempt = attempt;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    /* Retention or forget removed the clip first: nothing to send. */
    r.message = "the clip file is gone: upload dropped";
    r.dropped = TRUE;
    g_unlink (jpath);
    fsync_dir (q->dir);
    report (q, &r);
    out = JOB_DROPPED;
  } else if (c != NULL && seecitv_s3_client_put_file (c, key, path,
          q->cancellable, &status, &err)) {
    if (delete_local)
      g_unlink (path);
    g_unlink (jpath);
    fsync_dir (q->dir);
    r.done = TRUE;
    r.http_status = status;
    report (q, &r);
    out = JOB_DONE;
  } else if (g_cancellable_is_cancelled (q->cancellable)) {
    out = JOB_CANCELLED;
  } else {
    r.http_status = status;
    r.message = err ? err->message : "upload failed";
    report (q, &r);
    out = JOB_FAILED;
  }
  g_clear_error (&err);
  g_free (uri);
done:
  if (fd >= 0)
    close (fd);
  if (kf)
    g_key_file_free (kf);
  g_free (jpath);
  g_free (path);
  g_free (key);
  g_free (target);
  g_free (endpoint);
  return out;
}

static gpointer
worker (gpointer data)
{
  SeecitvUploadQueue *q = data;
  GMainContext *ctx = g_main_context_new ();
  GHashTable *clients = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, (GDestroyNotify) seecitv_s3_client_free);

  /* libsoup binds a session to the thread-default context it is made in. */
  g_main_context_push_thread_default (ctx);
  g_mutex_lock (&q->lock);
  while (!q->stop) {
    GPtrArray *jobs;
    gint64 now, wake_at;
    guint i;

    q->wake = FALSE;
    g_mutex_unlock (&q->lock);
    jobs = list_jobs (q->dir, TRUE);
    now = g_get_monotonic_time ();
    wake_at = now + 60 * G_USEC_PER_SEC;

    for (i = 0; i < jobs->len; i++) {
      JobRef *j = g_ptr_array_index (jobs, i);
      Backoff *b;
      guint attempt;
      JobOutcome out;

      g_mutex_lock (&q->lock);
      b = g_hash_table_lookup (q->backoff, j->file);
      if (q->stop) {
        g_mutex_unlock (&q->lock);
        break;
      }
      if (b != NULL && b->next > g_get_monotonic_time ()) {
        wake_at = MIN (wake_at, b->next);
        g_mutex_unlock (&q->lock);
        continue;
      }
      attempt = b ? b->attempts + 1 : 1;
      g_mutex_unlock (&q->lock);

      out = process_job (q, j->file, attempt, clients);

      g_mutex_lock (&q->lock);
      if (out == JOB_FAILED) {
        guint64 delay = (guint64) q->min_ms << MIN (attempt - 1, 20);
        /* Someone is waiting for the queue to empty: look more often. */
        if (q->draining > 0)
          delay = MIN (delay, DRAIN_RETRY_MS);
        b = g_new0 (Backoff, 1);
        b->attempts = attempt;
        b->next = g_get_monotonic_time () +
            (gint64) MIN (delay, q->max_ms) * 1000;
        g_hash_table_replace (q->backoff, g_strdup (j->file), b);
        wake_at = MIN (wake_at, b->next);
      } else if (out != JOB_SKIPPED) {
        g_hash_table_remove (q->backoff, j->file);
      } else {
        /* Another process has it: look again soon. */
        wake_at = MIN (wake_at, g_get_monotonic_time () + G_USEC_PER_SEC);
      }
      g_mutex_unlock (&q->lock);
    }
    g_ptr_array_unref (jobs);

    g_mutex_lock (&q->lock);
    q->passes++;
    g_cond_broadcast (&q->cond);
    while (!q->stop && !q->wake && g_get_monotonic_time () < wake_at)
      g_cond_wait_until (&q->cond, &q->lock, wake_at);
  }
  g_mutex_unlock (&q->lock);

  g_hash_table_unref (clients);
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
  OPENSSL_thread_stop ();
  return NULL;
}

void
seecitv_upload_queue_start (SeecitvUploadQueue * q)
{
  g_mutex_lock (&q->lock);
  if (q->thread == NULL)
    q->thread = g_thread_new ("seecitv-upload", worker, q);
  g_mutex_unlock (&q->lock);
}

gboolean
seecitv_upload_queue_drain (SeecitvUploadQueue * q, gint64 timeout_us)
{
  gint64 deadline = timeout_us < 0 ? G_MAXINT64 :
      g_get_monotonic_time () + timeout_us;
  gboolean empty;

  seecitv_upload_queue_start (q);
  g_mutex_lock (&q->lock);
  /* Everything is due now; later failures back off as usual. */
  g_hash_table_remove_all (q->backoff);
  q->draining++;
  q->wake = TRUE;
  g_cond_broadcast (&q->cond);
  while (TRUE) {
    guint passes = q->passes;
    g_mutex_unlock (&q->lock);
    empty = seecitv_upload_queue_pending (q) == 0;
    g_mutex_lock (&q->lock);
    if (empty || q->stop || g_get_monotonic_time () >= deadline)
      break;
    /* Wait for the worker to finish a pass (or at most 100 ms). */
    if (q->passes == passes)
      g_cond_wait_until (&q->cond, &q->lock, MIN (deadline,
              g_get_monotonic_time () + 100 * G_TIME_SPAN_MILLISECOND));
  }
  q->draining--;
  g_mutex_unlock (&q->lock);
  return empty;
}

void
seecitv_upload_queue_interrupt (SeecitvUploadQueue * q)
{
  g_mutex_lock (&q->lock);
  q->stop = TRUE;
  g_cond_broadcast (&q->cond);
  g_mutex_unlock (&q->lock);
  g_cancellable_cancel (q->cancellable);
}

void
seecitv_upload_queue_free (SeecitvUploadQueue * q)
{
  GThread *t;

  if (q == NULL)
    return;
  g_mutex_lock (&q->lock);
  q->stop = TRUE;
  t = q->thread;
  q->thread = NULL;
  g_cond_broadcast (&q->cond);
  g_mutex_unlock (&q->lock);
  g_cancellable_cancel (q->cancellable);
  if (t)
    g_thread_join (t);
  g_object_unref (q->cancellable);
  g_hash_table_unref (q->backoff);
  g_mutex_clear (&q->lock);
  g_cond_clear (&q->cond);
  g_free (q->dir);
  g_free (q->target);
  g_free (q->endpoint);
  g_free (q);
}

guint
seecitv_upload_queue_remove_matching (const gchar * queue_dir,
    const gchar * clip_path, const gchar * device_id)
{
  GPtrArray *jobs = list_jobs (queue_dir, FALSE);
  gchar *dev_part = device_id ? g_strconcat ("/", device_id, "/", NULL) :
      NULL;
  guint i, removed = 0;

  for (i = 0; i < jobs->len; i++) {
    JobRef *j = g_ptr_array_index (jobs, i);
    gchar *jpath = g_build_filename (queue_dir, j->file, NULL);
    GKeyFile *kf = g_key_file_new ();
    gchar *path = NULL, *key = NULL, *slash_key;

    if (g_key_file_load_from_file (kf, jpath, G_KEY_FILE_NONE, NULL)) {
      path = g_key_file_get_string (kf, JOB_GROUP, "path", NULL);
      key = g_key_file_get_string (kf, JOB_GROUP, "key", NULL);
    }
    slash_key = g_strconcat ("/", key ? key : "", NULL);
    if ((clip_path && g_strcmp0 (path, clip_path) == 0)
        || (dev_part && strstr (slash_key, dev_part) != NULL)) {
      if (g_unlink (jpath) == 0)
        removed++;
    }
    g_free (slash_key);
    g_free (path);
    g_free (key);
    g_key_file_free (kf);
    g_free (jpath);
  }
  g_ptr_array_unref (jobs);
  g_free (dev_part);
  if (removed)
    fsync_dir (queue_dir);
  return removed;
}

#define TARGETS_FILE "targets.ini"

gboolean
seecitv_upload_queue_remember_target (const gchar * queue_dir,
    const gchar * target, const gchar * endpoint, GError ** error)
{
  gchar *path = g_build_filename (queue_dir, TARGETS_FILE, NULL);
  GKeyFile *kf = g_key_file_new ();
  gchar *old, *data = NULL;
  gboolean ok = TRUE;

  g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL);
  old = g_key_file_get_string (kf, target, "endpoint", NULL);
  if (old == NULL || g_strcmp0 (old, endpoint ? endpoint : "") != 0) {
    g_key_file_set_string (kf, target, "endpoint", endpoint ? endpoint : "");
    data = g_key_file_to_data (kf, NULL, NULL);
    ok = g_file_set_contents_full (path, data, -1,
        G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  }
  g_free (old);
  g_free (data);
  g_key_file_free (kf);
  g_free (path);
  return ok;
}

gchar **
seecitv_upload_queue_targets (const gchar * queue_dir, gchar *** endpoints)
{
  gchar *path = g_build_filename (queue_dir, TARGETS_FILE, NULL);
  GKeyFile *kf = g_key_file_new ();
  gchar **groups;
  GPtrArray *t = g_ptr_array_new (), *e = g_ptr_array_new ();
  guint i;

  if (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL)) {
    groups = g_key_file_get_groups (kf, NULL);
    for (i = 0; groups[i]; i++) {
      if (!seecitv_s3_target_parse (groups[i], NULL, NULL, NULL))
        continue;
      g_ptr_array_add (t, g_strdup (groups[i]));
      g_ptr_array_add (e, g_key_file_get_string (kf, groups[i], "endpoint",
              NULL));
      if (e->pdata[e->len - 1] == NULL)
        e->pdata[e->len - 1] = g_strdup ("");
    }
    g_strfreev (groups);
  }
  g_key_file_free (kf);
  g_free (path);
  g_ptr_array_add (t, NULL);
  g_ptr_array_add (e, NULL);
  *endpoints = (gchar **) g_ptr_array_free (e, FALSE);
  return (gchar **) g_ptr_array_free (t, FALSE);
}
