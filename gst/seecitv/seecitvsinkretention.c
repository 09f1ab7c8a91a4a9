/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink's retention (see seecitvsink-private.h): lists the clip
 * files of location, lets the policy (gst-libs/seecitv/retention.c) choose,
 * deletes keys (keystore, when built with OpenSSL) then files, posts
 * "seecitvsink-deleted". Runs on its own thread, woken when a clip closes
 * and every 60 s, at start, and on the streaming thread after ENOSPC.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvsink-private.h"

#include <seecitv/retention.h>
#ifdef SEECITV_HAVE_KEYSTORE
#include <seecitv/crypto/clip.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define GST_CAT_DEFAULT seecitv_sink_debug

/* SEECITV_KEYSTORE_ERROR_DETAILS's code, also without OpenSSL (where no
 * keystore can be changed at all). */
static gint
keystore_error_code (const GError * err)
{
#ifdef SEECITV_HAVE_KEYSTORE
  return seecitv_keystore_error_code (err);
#else
  return 0;
#endif
}

/* How often retention runs besides when clips close (µs). */
#define RETENTION_INTERVAL (60 * G_USEC_PER_SEC)

/* Free space to keep in location: room for the next clip. */
guint64
seecitv_sink_reserve (SeecitvSink * self)
{
  guint64 ret;

  g_mutex_lock (&self->clips_lock);
  ret = MAX (DISK_FULL_MIN_FREE, 2 * self->max_clip_bytes);
  g_mutex_unlock (&self->clips_lock);
  return ret;
}

/* The finished clips in @dir, oldest first. */
static GPtrArray *
list_candidates (SeecitvSink * self, const gchar * dir)
{
  GPtrArray *cands = seecitv_retention_candidates_new ();
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  if (d == NULL)
    return cands;
  g_mutex_lock (&self->clips_lock);
  while ((name = g_dir_read_name (d)) != NULL) {
    SeecitvRetentionCandidate *c;
    GStatBuf st;
    gchar *path;
    gint64 *closed;

    gboolean temp = name[0] == '.';

    if (temp ? !g_str_has_suffix (name, CLIP_SUFFIX TEMP_SUFFIX) :
        !g_str_has_suffix (name, CLIP_SUFFIX))
      continue;
    path = g_build_filename (dir, name, NULL);
    /* Ours being written, or not announced yet: never. */
    if (g_hash_table_contains (self->announcing, path) ||
        (temp && g_hash_table_contains (self->infos, path)) ||
        g_lstat (path, &st) != 0 || !S_ISREG (st.st_mode)) {
      g_free (path);
      continue;
    }
    c = g_new0 (SeecitvRetentionCandidate, 1);
    c->stale = temp;
    c->path = path;
    c->mtime = (gint64) st.st_mtime * G_USEC_PER_SEC;
    c->size = st.st_size;
    c->disk = (guint64) st.st_blocks * 512;
    closed = g_hash_table_lookup (self->recent, path);
    c->recent = closed != NULL;
    c->closed = closed ? *closed : 0;
    g_ptr_array_add (cands, c);
  }
  g_mutex_unlock (&self->clips_lock);
  g_dir_close (d);
  seecitv_retention_sort (cands);
  return cands;
}

guint64
seecitv_sink_free_space (const gchar * dir)
{
  struct statvfs st;

  if (statvfs (dir, &st) != 0)
    return 0;
  return (guint64) st.f_bavail * st.f_frsize;
}

#ifdef SEECITV_HAVE_KEYSTORE
typedef struct
{
  GPtrArray *ids;               /* GBytes clip ids */
  GPtrArray *paths;             /* indexed paths of clips without header */
} DeleteKeys;

/* Deletes the keys of the clips named; keys already gone are fine. */
static gboolean
delete_keys (SeecitvKeystore * ks, gpointer data, GError ** err)
{
  DeleteKeys *dk = data;
  GPtrArray *clips;
  gboolean ok = TRUE;
  guint i, j;

  for (i = 0; i < dk->ids->len && ok; i++) {
    ok = seecitv_keystore_delete_clip_key (ks,
        g_bytes_get_data (dk->ids->pdata[i], NULL), err);
    if (!ok && g_error_matches (*err, SEECITV_KEYSTORE_ERROR,
            SEECITV_KEYSTORE_ERROR_NOT_FOUND)) {
      g_clear_error (err);
      ok = TRUE;
    }
  }
  clips = seecitv_keystore_list_clips (ks, NULL);
  for (i = 0; i < clips->len && ok; i++) {
    SeecitvKeystoreClipInfo *c = clips->pdata[i];

    for (j = 0; j < dk->paths->len && ok; j++)
      if (g_strcmp0 (c->path, dk->paths->pdata[j]) == 0)
        ok = seecitv_keystore_delete_clip_key (ks, c->ids.clip_id, err);
  }
  g_ptr_array_unref (clips);
  return ok;
}
#endif

/* Applies retention; with @need_free > 0 (after ENOSPC) also deletes the
 * oldest clips until that much is free. Any thread, no lock held. Returns
 * how many clips were deleted. */
guint
seecitv_sink_purge (SeecitvSink * self, guint64 need_free)
{
  gchar *location, *keystore, *passphrase_file;
  guint64 retention, max_size;
  GPtrArray *cands, *ids, *paths, *posts;
  gboolean keys_ok = FALSE, warn_full;
  GError *err = NULL;
  guint i, deleted = 0, full = 0;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  keystore = g_strdup (self->keystore);
  passphrase_file = g_strdup (self->passphrase_file);
  retention = self->retention;
  max_size = self->max_size;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->purge_lock);
  /* Only room to keep and there is room: no need to list the clips. */
  if (location != NULL && retention == 0 && max_size == 0 &&
      self->pending_keys->len == 0 && seecitv_sink_free_space (location) >= need_free)
    need_free = 0;
  if (location == NULL || keystore == NULL || (retention == 0 &&
          max_size == 0 && need_free == 0 && self->pending_keys->len == 0)) {
    g_mutex_unlock (&self->purge_lock);
    g_free (location);
    g_free (keystore);
    g_free (passphrase_file);
    return 0;
  }

  cands = list_candidates (self, location);
  seecitv_retention_choose (cands, retention, max_size, need_free,
      need_free > 0 ? seecitv_sink_free_space (location) : 0,
      g_get_real_time (), g_get_monotonic_time ());
  /* A temporary file a live writer holds locked is that writer's open
   * clip (its key must stay): never stale. */
  for (i = 0; i < cands->len; i++) {
    SeecitvRetentionCandidate *c = cands->pdata[i];

    if (c->stale && c->reason != NULL &&
        seecitv_retention_file_is_live (c->path)) {
      GST_DEBUG_OBJECT (self, "%s is being written: kept", c->path);
      c->reason = NULL;
    }
  }
  ids = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  paths = g_ptr_array_new ();
  posts = g_ptr_array_new ();
  for (i = 0; i < self->pending_keys->len; i++)
    g_ptr_array_add (ids, g_bytes_ref (self->pending_keys->pdata[i]));

#ifdef SEECITV_HAVE_KEYSTORE
  for (i = 0; i < cands->len; i++) {
    SeecitvRetentionCandidate *c = cands->pdata[i];
    guint8 clip_id[SEECITV_CLIP_ID_SIZE];

    if (c->reason == NULL)
      continue;
    if (seecitv_clip_read_id (c->path, clip_id, NULL))
      g_ptr_array_add (ids, g_bytes_new (clip_id, sizeof (clip_id)));
    else
      g_ptr_array_add (paths, c->path);
  }
  if (ids->len > 0 || paths->len > 0) {
    DeleteKeys dk = { ids, paths };

    keys_ok = seecitv_sink_keystore_update (keystore, passphrase_file, delete_keys, &dk,
        &err);
  } else {
    keys_ok = TRUE;
  }
#else
  g_set_error_literal (&err, G_FILE_ERROR, G_FILE_ERROR_NOSYS,
      "built without OpenSSL: no keystore");
#endif
  if (keys_ok)
    g_ptr_array_set_size (self->pending_keys, 0);

  for (i = 0; i < cands->len; i++) {
    SeecitvRetentionCandidate *c = cands->pdata[i];

    if (c->reason == NULL)
      continue;
    /* The key first: without it gone, only a full disk deletes a file. */
    if (!keys_ok && strcmp (c->reason, "disk-full") != 0)
      continue;
#ifdef SEECITV_HAVE_KEYSTORE
    if (!keys_ok) {
      guint8 clip_id[SEECITV_CLIP_ID_SIZE];

      if (seecitv_clip_read_id (c->path, clip_id, NULL))
        g_ptr_array_add (self->pending_keys, g_bytes_new (clip_id,
                sizeof (clip_id)));
    }
#endif
    if (g_unlink (c->path) != 0) {
      GST_WARNING_OBJECT (self, "cannot delete %s: %s", c->path,
          g_strerror (errno));
      continue;
    }
    GST_INFO_OBJECT (self, "deleted %s (%s)", c->path, c->reason);
    deleted++;
    g_mutex_lock (&self->clips_lock);
    g_hash_table_remove (self->recent, c->path);
    g_mutex_unlock (&self->clips_lock);
    g_ptr_array_add (posts, gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("seecitvsink-deleted",
                "path", G_TYPE_STRING, c->path,
                "reason", G_TYPE_STRING, c->reason, NULL)));
    if (strcmp (c->reason, "disk-full") == 0)
      full++;
  }
  warn_full = full > 0 && !self->disk_full_warned;
  if (warn_full)
    self->disk_full_warned = TRUE;
  g_mutex_unlock (&self->purge_lock);

  if (warn_full)
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, NO_SPACE_LEFT,
        ("The disk is full: deleting the oldest clips to go on recording."),
        ("%s: %u clips deleted", location, full),
        ("location", G_TYPE_STRING, location,
            "deleted", G_TYPE_UINT, full, NULL));
  if (!keys_ok)
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, WRITE,
        ("Cannot delete clip keys from the keystore: the clips retention "
            "chose are kept (unless the disk is full)."), ("%s",
            err->message), ("keystore", G_TYPE_STRING, keystore,
            "reason", G_TYPE_STRING, "keystore",
            "keystore-error", G_TYPE_INT, keystore_error_code (err),
            "message", G_TYPE_STRING, err->message, NULL));
  for (i = 0; i < posts->len; i++)
    gst_element_post_message (GST_ELEMENT (self), posts->pdata[i]);

  g_clear_error (&err);
  g_ptr_array_unref (posts);
  g_ptr_array_unref (paths);
  g_ptr_array_unref (ids);
  g_ptr_array_unref (cands);
  g_free (location);
  g_free (keystore);
  g_free (passphrase_file);
  return deleted;
}

static gpointer
retention_loop (gpointer data)
{
  SeecitvSink *self = data;

  /* On a kick or at the interval (the first run is at start). */
  g_mutex_lock (&self->clips_lock);
  for (;;) {
    gint64 deadline = g_get_monotonic_time () + RETENTION_INTERVAL;
    guint64 need;
    guint asked;

    while (!self->retention_stop && !self->retention_kick)
      if (!g_cond_wait_until (&self->retention_cond, &self->clips_lock,
              deadline))
        break;
    if (self->retention_stop && !self->retention_kick)
      break;
    need = self->purge_need;
    asked = self->retention_asked;
    self->retention_kick = FALSE;
    self->purge_need = 0;
    g_mutex_unlock (&self->clips_lock);
    seecitv_sink_purge (self, MAX (need, seecitv_sink_reserve (self)));
    g_mutex_lock (&self->clips_lock);
    self->retention_done = asked;
    /* Our EOS waited for the passes asked before it: they are done. */
    if (self->held_eos != NULL &&
        self->retention_done == self->retention_asked) {
      GstMessage *eos = g_steal_pointer (&self->held_eos);

      g_mutex_unlock (&self->clips_lock);
      seecitv_sink_post_eos (self, eos);
      g_mutex_lock (&self->clips_lock);
    }
  }
  g_mutex_unlock (&self->clips_lock);
  return NULL;
}

void
seecitv_sink_retention_kick_unlocked (SeecitvSink * self, guint64 need)
{
  self->retention_asked++;
  self->purge_need = MAX (self->purge_need, need);
  self->retention_kick = TRUE;
  g_cond_signal (&self->retention_cond);
}

void
seecitv_sink_retention_start (SeecitvSink * self)
{
  g_mutex_lock (&self->clips_lock);
  self->retention_stop = FALSE;
  self->retention_kick = FALSE;
  self->retention_asked = self->retention_done = 0;
  self->purge_need = 0;
  g_mutex_unlock (&self->clips_lock);
  self->retention_thread = g_thread_new ("seecitvsink-retention",
      retention_loop, self);
}

void
seecitv_sink_retention_stop (SeecitvSink * self)
{
  GThread *thread;

  g_mutex_lock (&self->clips_lock);
  thread = self->retention_thread;
  self->retention_stop = TRUE;
  g_cond_signal (&self->retention_cond);
  g_mutex_unlock (&self->clips_lock);
  if (thread == NULL)
    return;
  g_thread_join (thread);
  g_mutex_lock (&self->clips_lock);
  self->retention_thread = NULL;
  g_clear_pointer (&self->held_eos, gst_message_unref);
  g_mutex_unlock (&self->clips_lock);
}
