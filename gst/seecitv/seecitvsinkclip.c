/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink's clips (see seecitvsink-private.h): one splitmuxsink per
 * clip, its per-element state (SeecitvSinkClip, under a GQuark) and
 * per-file state (SeecitvSinkFile, by temporary path), the final name and
 * index entry of a finished file, the -clip-opened/-clip-closed messages
 * and our EOS once every clip is closed. Called from the streaming thread
 * (open, close) and from the bin's message handler.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvsink-private.h"
#include "seecitvsinkupload.h"

#include <seecitv/reason.h>
#include <seecitv/retention.h>

#ifdef SEECITV_HAVE_KEYSTORE
#include <openssl/crypto.h>

#include <seecitv/crypto/clip.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define GST_CAT_DEFAULT seecitv_sink_debug

static G_DEFINE_QUARK (seecitv-sink-clip, clip);

static void
clip_free (SeecitvSinkClip * clip)
{
  g_free (clip->temp);
  g_free (clip);
}

SeecitvSinkClip *
seecitv_sink_clip_get (GstElement * split)
{
  return g_object_get_qdata (G_OBJECT (split), clip_quark ());
}

void
seecitv_sink_file_free (SeecitvSinkFile * file)
{
  g_free (file->final);
  g_free (file);
}

/* The device id clips are named and keyed by. Called with the object
 * lock held. */
const gchar *
seecitv_sink_device_id_unlocked (SeecitvSink * self)
{
  if (self->device_id_set || self->tag_device_id == NULL)
    return self->device_id;
  return self->tag_device_id;
}

/* From splitmuxsink's streaming thread. Returns a newly allocated path:
 * the temporary `.NAME.part`; NAME is recorded as the clip's final name.
 * The clip element remembers its current temporary path. */
static gchar *
format_location (GstElement * split, guint fragment, SeecitvSink * self)
{
  GDateTime *now = g_date_time_new_now_utc ();
  gchar *stamp = g_date_time_format (now, "%Y%m%dT%H%M%S");
  gchar *dir, *base, *name, *path, *temp, *tname;
  SeecitvSinkFile *info;
  SeecitvSinkClip *clip;
  guint n = 0;

  GST_OBJECT_LOCK (self);
  dir = g_strdup (self->location);
  base = g_strdup_printf ("%s-%s.%03dZ", seecitv_sink_device_id_unlocked (self),
      stamp, g_date_time_get_microsecond (now) / 1000);
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->clips_lock);
  for (;;) {
    name = n == 0 ? g_strdup_printf ("%s%s", base, CLIP_SUFFIX) :
        g_strdup_printf ("%s-%u%s", base, n, CLIP_SUFFIX);
    tname = g_strdup_printf (".%s%s", name, TEMP_SUFFIX);
    path = g_build_filename (dir, name, NULL);
    temp = g_build_filename (dir, tname, NULL);
    g_free (name);
    g_free (tname);
    if (!g_file_test (path, G_FILE_TEST_EXISTS) &&
        !g_file_test (temp, G_FILE_TEST_EXISTS) &&
        g_strcmp0 (path, self->last_path) != 0)
      break;
    g_free (path);
    g_free (temp);
    n++;
  }
  g_free (self->last_path);
  self->last_path = g_strdup (path);
  info = g_new0 (SeecitvSinkFile, 1);
  info->final = path;
  g_hash_table_replace (self->infos, g_strdup (temp), info);
  clip = seecitv_sink_clip_get (split);
  g_free (clip->temp);
  clip->temp = g_strdup (temp);
  g_mutex_unlock (&self->clips_lock);
  GST_DEBUG_OBJECT (self, "fragment %u of %" GST_PTR_FORMAT ": %s", fragment,
      split, temp);

  g_free (dir);
  g_free (base);
  g_free (stamp);
  g_date_time_unref (now);
  return temp;
}

#ifdef SEECITV_HAVE_KEYSTORE
/* Opens @keystore (with @passphrase_file, or its master key file when
 * NULL) once and applies @change through seecitv_keystore_update(). */
gboolean
seecitv_sink_keystore_update (const gchar * keystore, const gchar * passphrase_file,
    SeecitvKeystoreChangeFunc change, gpointer data, GError ** err)
{
  SeecitvKeystore *ks = seecitv_keystore_open_default (keystore,
      passphrase_file, err);
  gboolean ok = FALSE;

  if (ks != NULL) {
    ok = seecitv_keystore_update (ks, change, data, err);
    seecitv_keystore_free (ks);
  }
  /* Saving drew random bytes in this (often pooled, long-lived) thread,
   * which made OpenSSL give it thread-local generators: free them now,
   * as seecitvcryptsink does (they are remade on the next use). */
  OPENSSL_thread_stop ();
  return ok;
}

typedef struct
{
  const guint8 *clip_id;
  const gchar *path;
  guint64 media;                /* media duration (ns) or NONE */
} IndexPath;

/* Points the clip's index entry at its final name. Its writer is done
 * (closed, or dead for a recovered clip): a clip not sealed complete by
 * then is truncated. With the media duration of a complete clip known,
 * its end becomes start plus that duration, so that the index's duration
 * is the media's, not the time the file was open (which differs for input
 * faster or slower than real time); else its end time is kept. */
static gboolean
index_set_path (SeecitvKeystore * ks, gpointer data, GError ** err)
{
  IndexPath *ip = data;
  GPtrArray *clips = seecitv_keystore_list_clips (ks, NULL);
  gboolean ok = TRUE;
  guint i;

  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *c = clips->pdata[i];

    if (memcmp (c->ids.clip_id, ip->clip_id, SEECITV_CLIP_ID_SIZE) == 0) {
      gint64 end = c->end_time;
      gboolean complete = c->state == SEECITV_CLIP_STATE_COMPLETE;

      if (complete && GST_CLOCK_TIME_IS_VALID (ip->media) &&
          c->start_time >= 0)
        end = c->start_time + (gint64) (ip->media / GST_USECOND);
      ok = seecitv_keystore_set_clip_info (ks, ip->clip_id, ip->path, end,
          err) && (complete || seecitv_keystore_set_clip_state (ks,
              ip->clip_id, SEECITV_CLIP_STATE_TRUNCATED, err));
      break;
    }
  }
  g_ptr_array_unref (clips);
  return ok;
}
#endif /* SEECITV_HAVE_KEYSTORE */

static void
sync_dir (const gchar * path)
{
  gchar *dir = g_path_get_dirname (path);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd >= 0) {
    fsync (fd);
    close (fd);
  }
  g_free (dir);
}

/* Renames @temp to *@final without ever replacing a file (another sink
 * could have taken the name): a hard link, then the temporary name goes;
 * "-rN" is added before the suffix while the name is taken. Where hard
 * links are not supported, a plain rename. errno is set on failure. */
static gboolean
publish (const gchar * temp, gchar ** final)
{
  gchar *base = g_strndup (*final, strlen (*final) - strlen (CLIP_SUFFIX));
  guint n = 0;

  while (link (temp, *final) != 0) {
    if (errno != EEXIST) {
      int e = errno;
      gboolean ok = (e == EPERM || e == ENOTSUP || e == EXDEV ||
          e == EMLINK) && !g_file_test (*final, G_FILE_TEST_EXISTS) &&
          g_rename (temp, *final) == 0;

      g_free (base);
      if (!ok && errno == 0)
        errno = e;
      return ok;
    }
    g_free (*final);
    *final = g_strdup_printf ("%s-r%u%s", base, ++n, CLIP_SUFFIX);
  }
  g_free (base);
  g_unlink (temp);
  return TRUE;
}

/* One warning: @temp could not be renamed to @final (errno @e). */
static void
warn_rename (SeecitvSink * self, const gchar * temp, const gchar * final,
    int e)
{
  GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, WRITE,
      ("Cannot give the clip its final name."),
      ("%s -> %s: %s", temp, final, g_strerror (e)),
      ("location", G_TYPE_STRING, temp,
          "reason", G_TYPE_STRING, seecitv_reason_from_errno (e),
          "message", G_TYPE_STRING, g_strerror (e), NULL));
}

/* The clip index entry of @path, if it has a clip header, points at it;
 * @media: its media duration (ns) or GST_CLOCK_TIME_NONE. */
static void
index_point_at (SeecitvSink * self, const gchar * path, guint64 media)
{
#ifdef SEECITV_HAVE_KEYSTORE
  guint8 clip_id[SEECITV_CLIP_ID_SIZE];
  IndexPath ip = { clip_id, path, media };
  gchar *keystore, *passphrase_file;
  GError *err = NULL;

  GST_OBJECT_LOCK (self);
  keystore = g_strdup (self->keystore);
  passphrase_file = g_strdup (self->passphrase_file);
  GST_OBJECT_UNLOCK (self);
  if (seecitv_clip_read_id (path, clip_id, NULL) &&
      !seecitv_sink_keystore_update (keystore, passphrase_file,
          index_set_path, &ip, &err)) {
    GST_ELEMENT_WARNING_WITH_DETAILS (self, RESOURCE, WRITE,
        ("Cannot record the clip's final name in the keystore."),
        ("%s", err->message), ("location", G_TYPE_STRING, path,
            "keystore", G_TYPE_STRING, keystore,
            SEECITV_KEYSTORE_ERROR_DETAILS (err), NULL));
    g_clear_error (&err);
  }
  g_free (keystore);
  g_free (passphrase_file);
#endif
}

void
seecitv_sink_recover_clips (SeecitvSink * self)
{
  gchar *location;
  const gchar *name;
  GDir *d;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);
  d = g_dir_open (location, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL) {
    gchar *temp, *final, *base;
    int fd;

    if (name[0] != '.' || !g_str_has_suffix (name, CLIP_SUFFIX TEMP_SUFFIX)
        || strlen (name) <= 1 + strlen (CLIP_SUFFIX TEMP_SUFFIX))
      continue;
    temp = g_build_filename (location, name, NULL);
    /* Locked: a live writer's open clip, not a leftover. Held until it
     * has its final name, so that another recorder starting on the same
     * folder passes it by. */
    fd = seecitv_retention_lock_file (temp, TRUE);
    if (fd < 0) {
      g_free (temp);
      continue;
    }
    base = g_strndup (name + 1, strlen (name) - 1 - strlen (TEMP_SUFFIX));
    final = g_build_filename (location, base, NULL);
    if (publish (temp, &final)) {
      GstStructure *s;

      sync_dir (final);
      index_point_at (self, final, GST_CLOCK_TIME_NONE);
      GST_INFO_OBJECT (self, "recovered interrupted clip %s", final);
      s = gst_structure_new ("seecitvsink-clip-recovered",
          "path", G_TYPE_STRING, final, NULL);
      gst_element_post_message (GST_ELEMENT (self),
          gst_message_new_element (GST_OBJECT (self), s));
    } else {
      warn_rename (self, temp, final, errno);
    }
    close (fd);
    g_free (base);
    g_free (final);
    g_free (temp);
  }
  if (d != NULL)
    g_dir_close (d);
  g_free (location);
}

/* Gives the clip written at @temp its final name, records it in the
 * keystore's index and among the recent clips. Any thread but with no
 * lock held. Returns the final path (transfer full), NULL if @temp is not
 * a clip of ours (or was finished already); @info receives start and
 * bytes when not NULL. @end: the running time of the clip's end, or
 * GST_CLOCK_TIME_NONE (stopped without EOS). The caller posts "-clip-closed", then calls
 * seecitv_sink_announced (). */
static gchar *
finish_clip_file (SeecitvSink * self, const gchar * temp, guint64 end,
    SeecitvSinkFile * out)
{
  SeecitvSinkFile *info = NULL;
  gchar *final = NULL;
  gint64 *closed;
  guint64 size, start;
  GStatBuf st;

  gchar *key = NULL;

  g_mutex_lock (&self->clips_lock);
  if (temp != NULL)
    g_hash_table_steal_extended (self->infos, temp, (gpointer *) & key,
        (gpointer *) & info);
  g_mutex_unlock (&self->clips_lock);
  g_free (key);
  if (info == NULL)
    return NULL;
  final = g_steal_pointer (&info->final);
  start = info->start;
  if (out != NULL)
    *out = *info;
  g_free (info);

  if (!publish (temp, &final)) {
    int e = errno;

    if (e != ENOENT)
      warn_rename (self, temp, final, e);
    g_free (final);
    return NULL;
  }
  sync_dir (final);

  index_point_at (self, final, (GST_CLOCK_TIME_IS_VALID (end) &&
          end >= start) ? end - start : GST_CLOCK_TIME_NONE);

  closed = g_new (gint64, 1);
  *closed = g_get_monotonic_time ();
  size = g_stat (final, &st) == 0 ? (guint64) st.st_size : 0;
  g_mutex_lock (&self->clips_lock);
  g_hash_table_replace (self->recent, g_strdup (final), closed);
  /* Not deleted before "-clip-closed" tells about it. */
  g_hash_table_add (self->announcing, g_strdup (final));
  self->max_clip_bytes = MAX (self->max_clip_bytes, size);
  g_mutex_unlock (&self->clips_lock);
  GST_INFO_OBJECT (self, "clip finished: %s", final);
  return final;
}

static void
seecitv_sink_announced (SeecitvSink * self, const gchar * path)
{
  g_mutex_lock (&self->clips_lock);
  g_hash_table_remove (self->announcing, path);
  g_mutex_unlock (&self->clips_lock);
}

GstElement *
seecitv_sink_make (SeecitvSink * self, const gchar * factory)
{
  GstElement *e = gst_element_factory_make (factory, NULL);

  if (e == NULL)
    GST_ELEMENT_ERROR (self, CORE, MISSING_PLUGIN,
        ("Element \"%s\" is missing: check the GStreamer installation and "
            "that the seecitvcrypto plugin is built", factory), (NULL));
  return e;
}

/* Streaming thread. Creates the clip's splitmuxsink and links the internal
 * pad to it. */
gboolean
seecitv_sink_open_clip (SeecitvSink * self)
{
  GstElement *split, *mux, *sink;
  GstPad *pad;
  gchar *keystore, *passphrase_file, *device_id;
  guint64 max_dur, sync_interval;

  self->clip_end = GST_CLOCK_TIME_NONE;
  split = seecitv_sink_make (self, "splitmuxsink");
  mux = seecitv_sink_make (self, "matroskamux");
  sink = seecitv_sink_make (self, "seecitvcryptsink");
  if (split == NULL || mux == NULL || sink == NULL) {
    gst_clear_object (&split);
    gst_clear_object (&mux);
    gst_clear_object (&sink);
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  keystore = g_strdup (self->keystore);
  passphrase_file = g_strdup (self->passphrase_file);
  device_id = g_strdup (seecitv_sink_device_id_unlocked (self));
  max_dur = self->max_clip_duration;
  sync_interval = self->sync_interval;
  GST_OBJECT_UNLOCK (self);

  g_object_set (mux, "streamable", TRUE, NULL);
  /* A stop without EOS (Ctrl-C without -e, the pipeline set to NULL) is a
   * deliberate end of recording: the clip is sealed complete. */
  g_object_set (sink, "keystore", keystore, "passphrase-file",
      passphrase_file, "device-id", device_id, "sync-interval",
      sync_interval, "seal-on-stop", TRUE, "async", FALSE, "sync", FALSE,
      NULL);
  g_object_set (split, "muxer", mux, "sink", sink, "max-size-time", max_dur,
      NULL);
  g_free (keystore);
  g_free (passphrase_file);
  g_free (device_id);
  g_object_set_qdata_full (G_OBJECT (split), clip_quark (),
      g_new0 (SeecitvSinkClip, 1), (GDestroyNotify) clip_free);
  g_signal_connect (split, "format-location", G_CALLBACK (format_location),
      self);

  if (!gst_bin_add (GST_BIN (self), split)) {
    GST_ELEMENT_ERROR (self, CORE, FAILED, ("Could not add splitmuxsink"),
        (NULL));
    return FALSE;
  }
  pad = gst_element_request_pad_simple (split, "video");
  if (pad == NULL || GST_PAD_LINK_FAILED (gst_pad_link (self->srcpad, pad))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
        ("Could not link to splitmuxsink"), (NULL));
    gst_clear_object (&pad);
    gst_element_set_state (split, GST_STATE_NULL);
    seecitv_sink_remove_clip_element (self, split);
    return FALSE;
  }
  gst_object_unref (pad);
  self->current = split;
  if (!gst_element_sync_state_with_parent (split)) {
    /* A full disk is handled by the next push (see disk_full ()). */
    if (g_atomic_int_get (&self->disk_full))
      return TRUE;
    GST_ELEMENT_ERROR (self, CORE, STATE_CHANGE,
        ("Could not start splitmuxsink"), (NULL));
    return FALSE;
  }
  GST_DEBUG_OBJECT (self, "clip opened");
  return TRUE;
}

/* Streaming thread: ends the open clip (EOS into its splitmuxsink). The
 * element is removed when its EOS message comes back, or at once if it
 * failed for lack of space. */
void
seecitv_sink_close_clip (SeecitvSink * self)
{
  GstElement *split = self->current;
  gboolean failed;
  GstPad *peer;

  if (split == NULL)
    return;
  self->current = NULL;
  g_mutex_lock (&self->clips_lock);
  self->closing = g_list_prepend (self->closing, gst_object_ref (split));
  failed = seecitv_sink_clip_get (split)->nospace;
  seecitv_sink_clip_get (split)->media_end = self->clip_end;
  seecitv_sink_clip_get (split)->last_duration = self->clip_last_duration;
  g_mutex_unlock (&self->clips_lock);
  self->clip_end = GST_CLOCK_TIME_NONE;

  peer = gst_pad_get_peer (self->srcpad);
  if (peer != NULL) {
    gst_pad_unlink (self->srcpad, peer);
    if (!failed)
      gst_pad_send_event (peer, gst_event_new_eos ());
    gst_object_unref (peer);
  }
  if (failed)
    seecitv_sink_clip_ended (self, split);
  GST_DEBUG_OBJECT (self, "clip closing");
}

/* Gives the clip @split was writing its final name if it stopped without
 * EOS (nothing happens if it was finished already: finish_clip_file ()
 * takes each clip once). Called after @split went to NULL, where its
 * seecitvcryptsink sealed the clip (seal-on-stop) unless a write had
 * failed, and its "seecitvcryptsink-closed" gave the bytes. */
void
seecitv_sink_finish_stopped_clip (SeecitvSink * self, GstElement * split)
{
  SeecitvSinkFile info = { NULL, 0, 0 };
  gchar *temp, *path;

  g_mutex_lock (&self->clips_lock);
  temp = g_strdup (seecitv_sink_clip_get (split)->temp);
  g_mutex_unlock (&self->clips_lock);
  path = finish_clip_file (self, temp, GST_CLOCK_TIME_NONE, &info);
  if (path != NULL) {
    GST_INFO_OBJECT (self, "clip stopped without EOS: %s", path);
    seecitv_sink_post_clip_message (self,
        gst_message_new_element (GST_OBJECT (self),
            gst_structure_new ("seecitvsink-clip-closed",
                "path", G_TYPE_STRING, path,
                "start-running-time", G_TYPE_UINT64, info.start,
                "end-running-time", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
                "duration", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
                "bytes", G_TYPE_UINT64, info.bytes, NULL)), FALSE);
  }
  g_free (path);
  g_free (temp);
}

static void
remove_clip (GstElement * element, gpointer user_data)
{
  SeecitvSink *self = SEECITV_SINK (element);
  GstElement *split = user_data;
  GList *l;

  /* Our state lock keeps a state change of the bin from walking its
   * children meanwhile: it would bring the finished clip back up, and its
   * seecitvcryptsink would then refuse to overwrite the file. */
  GST_STATE_LOCK (self);
  g_mutex_lock (&self->clips_lock);
  l = g_list_find (self->closing, split);
  if (l != NULL)
    self->closing = g_list_delete_link (self->closing, l);
  g_mutex_unlock (&self->clips_lock);
  if (l == NULL) {
    GST_STATE_UNLOCK (self);
    return;                     /* removed by a state change already */
  }

  gst_element_set_locked_state (split, TRUE);
  gst_element_set_state (split, GST_STATE_NULL);
  seecitv_sink_remove_clip_element (self, split);
  GST_STATE_UNLOCK (self);
  seecitv_sink_finish_stopped_clip (self, split);
  gst_object_unref (split);
}

/* Our EOS when the input ended and every clip is closed. Called with
 * clips_lock held; returns the message to post (outside the lock). */
GstMessage *
seecitv_sink_maybe_eos_unlocked (SeecitvSink * self, guint pending)
{
  GstMessage *msg;

  if (!self->final_eos || pending > 0)
    return NULL;
  self->final_eos = FALSE;
  msg = gst_message_new_eos (GST_OBJECT (self));
  gst_message_set_seqnum (msg, self->eos_seqnum);
  /* After the retention passes the clips closing asked for: retention is
   * done when we are, and there is room for the next clip. */
  if (self->retention_thread != NULL &&
      self->retention_done != self->retention_asked) {
    g_clear_pointer (&self->held_eos, gst_message_unref);
    self->held_eos = msg;
    return NULL;
  }
  return msg;
}

guint
seecitv_sink_count_closing_unlocked (SeecitvSink * self, GstElement * done)
{
  /* A closed element stays in the list until remove_clip runs; count
   * only those whose EOS has not come back. */
  guint n = 0;
  GList *l;

  for (l = self->closing; l != NULL; l = l->next)
    if (l->data != done && !seecitv_sink_clip_get (l->data)->eos)
      n++;
  return n;
}

/* The clip element (a child of ours) @obj is in, or NULL (transfer
 * full). */
static GstElement *
clip_of (SeecitvSink * self, GstObject * obj)
{
  GstObject *o = obj ? gst_object_ref (obj) : NULL;

  while (o != NULL) {
    GstObject *parent = gst_object_get_parent (o);

    if (parent == GST_OBJECT (self)) {
      gst_object_unref (parent);
      if (seecitv_sink_clip_get (GST_ELEMENT (o)) != NULL)
        return GST_ELEMENT (o);
      break;
    }
    gst_object_unref (o);
    o = parent;
  }
  gst_clear_object (&o);
  return NULL;
}

/* A clip element is done (its EOS came back, or it failed): it is removed
 * asynchronously, and our EOS posted if it was the last one. */
void
seecitv_sink_clip_ended (SeecitvSink * self, GstElement * split)
{
  GstMessage *eos;
  guint pending;

  g_mutex_lock (&self->clips_lock);
  if (seecitv_sink_clip_get (split)->eos) {
    g_mutex_unlock (&self->clips_lock);
    return;
  }
  seecitv_sink_clip_get (split)->eos = TRUE;
  pending = seecitv_sink_count_closing_unlocked (self, split);
  eos = seecitv_sink_maybe_eos_unlocked (self, pending);
  g_mutex_unlock (&self->clips_lock);
  gst_element_call_async (GST_ELEMENT (self), remove_clip,
      gst_object_ref (split), gst_object_unref);
  if (eos != NULL)
    seecitv_sink_post_eos (self, eos);
}

void
seecitv_sink_remove_clip_element (SeecitvSink * self, GstElement * split)
{
  /* our EOS is never posted while we are not flagged a sink */
  g_mutex_lock (&self->sink_flag_lock);
  if (GST_OBJECT_PARENT (split) == GST_OBJECT (self))
    gst_bin_remove (GST_BIN (self), split);
  GST_OBJECT_FLAG_SET (self, GST_ELEMENT_FLAG_SINK);
  g_mutex_unlock (&self->sink_flag_lock);
}

void
seecitv_sink_post_own_eos (GstElement * sink, GstMessage * eos)
{
  SeecitvSink *self = SEECITV_SINK (sink);

  g_mutex_lock (&self->sink_flag_lock);
  gst_element_post_message (sink, eos);
  g_mutex_unlock (&self->sink_flag_lock);
}

void
seecitv_sink_post_eos (SeecitvSink * self, GstMessage * eos)
{
  seecitv_sink_upload_post_eos (GST_ELEMENT (self), eos);
}

/* Posts "-clip-opened" or "-clip-closed" (@msg, transfer full), after
 * telling the upload; a closed clip is then announced, and with
 * @retention, retention is woken (our EOS waits for it). */
void
seecitv_sink_post_clip_message (SeecitvSink * self, GstMessage * msg,
    gboolean retention)
{
  const GstStructure *s = gst_message_get_structure (msg);
  gboolean closed = gst_structure_has_name (s, "seecitvsink-clip-closed");
  gchar *path = g_strdup (gst_structure_get_string (s, "path"));

  if (closed) {
    gchar *device_id;

    GST_OBJECT_LOCK (self);
    device_id = g_strdup (seecitv_sink_device_id_unlocked (self));
    GST_OBJECT_UNLOCK (self);
    seecitv_sink_upload_clip_closed (GST_ELEMENT (self), path, device_id);
    g_free (device_id);
  } else {
    seecitv_sink_upload_clip_opened (GST_ELEMENT (self));
  }
  gst_element_post_message (GST_ELEMENT (self), msg);
  if (closed) {
    seecitv_sink_announced (self, path);
    if (retention) {
      g_mutex_lock (&self->clips_lock);
      seecitv_sink_retention_kick_unlocked (self, 0);
      g_mutex_unlock (&self->clips_lock);
    }
  }
  g_free (path);
}

/* At EOS splitmuxsink ends the last file at its last frame's timestamp:
 * the media ends that frame's duration later (a split ends where the
 * next file starts, which is right as it is). Any thread. */
static guint64
media_end (SeecitvSink * self, GstObject * src, guint64 end)
{
  GstElement *split = clip_of (self, src);
  SeecitvSinkClip *clip;

  if (split == NULL || !GST_CLOCK_TIME_IS_VALID (end))
    goto done;
  g_mutex_lock (&self->clips_lock);
  clip = seecitv_sink_clip_get (split);
  if (g_list_find (self->closing, split) != NULL &&
      GST_CLOCK_TIME_IS_VALID (clip->media_end) &&
      end < clip->media_end && end + clip->last_duration >= clip->media_end)
    end = clip->media_end;
  g_mutex_unlock (&self->clips_lock);
done:
  if (split != NULL)
    gst_object_unref (split);
  return end;
}

gboolean
seecitv_sink_clip_message (SeecitvSink * self, GstMessage * msg,
    GstMessage ** post)
{
  const GstStructure *s = gst_message_get_structure (msg);

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      /* A clip is complete: its EOS is ours to keep. */
      seecitv_sink_clip_ended (self, GST_ELEMENT (GST_MESSAGE_SRC (msg)));
      gst_message_unref (msg);
      return TRUE;
    case GST_MESSAGE_ERROR:{
      GstElement *split = clip_of (self, GST_MESSAGE_SRC (msg));
      GError *err = NULL;
      gboolean nospace, ended = FALSE;

      if (split == NULL)
        break;
      gst_message_parse_error (msg, &err, NULL);
      nospace = g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NO_SPACE_LEFT);
      g_clear_error (&err);
      g_mutex_lock (&self->clips_lock);
      if (nospace && !seecitv_sink_clip_get (split)->nospace) {
        seecitv_sink_clip_get (split)->nospace = TRUE;
        if (g_list_find (self->closing, split) != NULL) {
          /* Its EOS will not come: done, and the thread makes room. */
          ended = TRUE;
          seecitv_sink_retention_kick_unlocked (self, DISK_FULL_MIN_FREE);
        } else {
          g_atomic_int_set (&self->disk_full, 1);
        }
      }
      nospace = seecitv_sink_clip_get (split)->nospace;
      g_mutex_unlock (&self->clips_lock);
      if (ended) {
        GST_WARNING_OBJECT (self, "disk full while closing a clip");
        seecitv_sink_clip_ended (self, split);
      }
      gst_object_unref (split);
      if (nospace) {
        /* Handled here: recording goes on (see disk_full ()). */
        gst_message_unref (msg);
        return TRUE;
      }
      break;
    }
    case GST_MESSAGE_ELEMENT:
      if (gst_structure_has_name (s, "splitmuxsink-fragment-opened")) {
        const gchar *temp = gst_structure_get_string (s, "location");
        guint64 start = 0;
        gchar *path = NULL;
        SeecitvSinkFile *info;

        gst_structure_get_uint64 (s, "running-time", &start);
        g_mutex_lock (&self->clips_lock);
        info = temp ? g_hash_table_lookup (self->infos, temp) : NULL;
        if (info != NULL) {
          info->start = start;
          path = g_strdup (info->final);
        }
        g_mutex_unlock (&self->clips_lock);
        if (path != NULL)
          *post = gst_message_new_element (GST_OBJECT (self),
              gst_structure_new ("seecitvsink-clip-opened",
                  "path", G_TYPE_STRING, path,
                  "running-time", G_TYPE_UINT64, start, NULL));
        g_free (path);
      } else if (gst_structure_has_name (s, "seecitvcryptsink-closed")) {
        const gchar *path = gst_structure_get_string (s, "location");
        SeecitvSinkFile *info;

        g_mutex_lock (&self->clips_lock);
        info = path ? g_hash_table_lookup (self->infos, path) : NULL;
        if (info != NULL)
          gst_structure_get_uint64 (s, "bytes", &info->bytes);
        g_mutex_unlock (&self->clips_lock);
      } else if (gst_structure_has_name (s, "splitmuxsink-fragment-closed")) {
        const gchar *temp = gst_structure_get_string (s, "location");
        guint64 end = GST_CLOCK_TIME_NONE;
        SeecitvSinkFile info = { NULL, 0, 0 };
        gchar *path;

        gst_structure_get_uint64 (s, "running-time", &end);
        end = media_end (self, GST_MESSAGE_SRC (msg), end);
        path = finish_clip_file (self, temp, end, &info);
        /* A clip closed normally: writing works again. */
        g_atomic_int_set (&self->nospace_idle, 0);
        if (path != NULL)
          *post = gst_message_new_element (GST_OBJECT (self),
              gst_structure_new ("seecitvsink-clip-closed",
                  "path", G_TYPE_STRING, path,
                  "start-running-time", G_TYPE_UINT64, info.start,
                  "end-running-time", G_TYPE_UINT64, end,
                  "duration", G_TYPE_UINT64,
                  (GST_CLOCK_TIME_IS_VALID (end) && end >= info.start) ?
                  end - info.start : GST_CLOCK_TIME_NONE,
                  "bytes", G_TYPE_UINT64, info.bytes, NULL));
        g_free (path);
      }
      break;
    default:
      break;
  }

  return FALSE;
}
