/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The seecitv command's off-site side (see seecitv-remote.h), over the S3
 * client and upload queue of gst-libs/seecitv/s3. Built without libsoup 3, every
 * entry point says so and fails, and purge/forget go on locally.
 *
 * Output is tab-separated, one line per object or action, as the rest of
 * the seecitv command prints.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitv-remote.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#ifdef SEECITV_HAVE_S3
#include <seecitv/s3/s3client.h>
#include <seecitv/s3/uploadqueue.h>
#endif

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

gboolean
seecitv_remote_wants_list (int argc, char **argv)
{
  int i;

  for (i = 1; i < argc; i++)
    if (strcmp (argv[i], "--remote") == 0)
      return TRUE;
  return FALSE;
}

#ifdef SEECITV_HAVE_S3

static void
print_result (const SeecitvUploadResult * r, gpointer user_data)
{
  if (r->done)
    g_print ("uploaded\t%s\t%s\n", r->path, r->uri);
  else
    g_printerr ("seecitv: upload of %s (attempt %u, HTTP %u): %s\n", r->path,
        r->attempt, r->http_status, r->message);
}

int
seecitv_remote_cmd_upload (const gchar * keystore, int argc, char **argv)
{
  gint timeout = 60;
  GOptionEntry entries[] = {
    {"timeout", 't', 0, G_OPTION_ARG_INT, &timeout,
        "Give up after this many seconds (default 60; 0: no limit)", "S"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new (NULL);
  gchar *dir = seecitv_upload_queue_dir (keystore);
  SeecitvUploadQueue *q;
  GError *err = NULL;
  int status = EXIT_FAIL;
  guint left;

  g_option_context_set_summary (ctx, "seecitv upload: send every clip "
      "queued for upload (by seecitvsink) now");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc != 1
      || timeout < 0) {
    g_printerr ("seecitv upload: %s\n", err ? err->message :
        "usage: seecitv upload [--timeout S]");
    status = EXIT_USAGE;
    goto out;
  }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR)) {
    g_print ("nothing queued\n");
    status = EXIT_OK;
    goto out;
  }
  q = seecitv_upload_queue_new (dir, NULL, NULL, FALSE, &err);
  if (q == NULL) {
    g_printerr ("seecitv: %s\n", err->message);
    goto out;
  }
  seecitv_upload_queue_set_callback (q, print_result, NULL);
  seecitv_upload_queue_drain (q, timeout ? timeout * G_USEC_PER_SEC : -1);
  left = seecitv_upload_queue_pending (q);
  seecitv_upload_queue_free (q);
  if (left > 0)
    g_printerr ("seecitv: %u clip(s) still queued for upload\n", left);
  else
    g_print ("queue empty\n");
  status = left ? EXIT_FAIL : EXIT_OK;
out:
  g_clear_error (&err);
  g_option_context_free (ctx);
  g_free (dir);
  return status;
}

/* Calls func on a client for every remembered target; FALSE when there is
 * none or one failed (after printing why). */
typedef gboolean (*TargetFunc) (SeecitvS3Client * c, gpointer data);

static gboolean
for_each_target (const gchar * keystore, gboolean need_one, TargetFunc func,
    gpointer data)
{
  gchar *dir = seecitv_upload_queue_dir (keystore);
  gchar **endpoints = NULL;
  gchar **targets = seecitv_upload_queue_targets (dir, &endpoints);
  gboolean ok = TRUE;
  guint i;

  if (targets[0] == NULL && need_one) {
    g_printerr ("seecitv: no upload target is known for this keystore "
        "(seecitvsink remembers it in %s)\n", dir);
    ok = FALSE;
  }
  for (i = 0; targets[i]; i++) {
    GError *err = NULL;
    SeecitvS3Client *c = seecitv_s3_client_new (targets[i],
        endpoints[i][0] ? endpoints[i] : NULL, &err);
    if (c == NULL) {
      g_printerr ("seecitv: %s: %s\n", targets[i], err->message);
      g_clear_error (&err);
      ok = FALSE;
      continue;
    }
    ok &= func (c, data);
    seecitv_s3_client_free (c);
  }
  g_strfreev (targets);
  g_strfreev (endpoints);
  g_free (dir);
  return ok;
}

static gboolean
list_one (SeecitvS3Client * c, gpointer data)
{
  const gchar *device = data;
  gchar *sub = device ? g_strconcat (device, "/", NULL) : NULL;
  GError *err = NULL;
  GPtrArray *objs = seecitv_s3_client_list (c, sub, NULL, NULL, &err);
  guint i;

  g_free (sub);
  if (objs == NULL) {
    g_printerr ("seecitv: %s\n", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  for (i = 0; i < objs->len; i++) {
    SeecitvS3Object *o = objs->pdata[i];
    gchar *uri = seecitv_s3_client_object_uri (c, o->key);
    g_print ("%s\t%" G_GUINT64_FORMAT "\t%s\n", uri, o->size,
        o->last_modified ? o->last_modified : "-");
    g_free (uri);
  }
  g_ptr_array_unref (objs);
  return TRUE;
}

int
seecitv_remote_cmd_list (const gchar * keystore, int argc, char **argv)
{
  gboolean remote = FALSE;
  gchar *device = NULL;
  GOptionEntry entries[] = {
    {"remote", 0, 0, G_OPTION_ARG_NONE, &remote,
        "List the uploaded objects instead of the local index", NULL},
    {"device", 0, 0, G_OPTION_ARG_STRING, &device, "Only this device's",
        "ID"},
    {NULL}
  };
  GOptionContext *ctx = g_option_context_new (NULL);
  GError *err = NULL;
  int status = EXIT_FAIL;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &err) || argc != 1
      || (device && strchr (device, '/') != NULL)) {
    g_printerr ("seecitv list: %s\n", err ? err->message :
        "usage: seecitv list --remote [--device ID]");
    status = EXIT_USAGE;
  } else {
    g_print ("uri\tsize\tlast-modified\n");
    status = for_each_target (keystore, TRUE, list_one, device) ? EXIT_OK :
        EXIT_FAIL;
  }
  g_clear_error (&err);
  g_option_context_free (ctx);
  g_free (device);
  return status;
}

typedef struct
{
  const gchar *device;          /* delete everything under device/ */
  const gchar *base;            /* or the objects with this file name */
} DeleteWhat;

static gboolean
delete_matching (SeecitvS3Client * c, gpointer data)
{
  const DeleteWhat *w = data;
  gchar *sub = w->device ? g_strconcat (w->device, "/", NULL) : NULL;
  GError *err = NULL;
  GPtrArray *objs = seecitv_s3_client_list (c, sub, NULL, NULL, &err);
  gboolean ok = TRUE;
  guint i;

  g_free (sub);
  if (objs == NULL) {
    g_printerr ("seecitv: cannot list the remote copies: %s\n",
        err->message);
    g_clear_error (&err);
    return FALSE;
  }
  for (i = 0; i < objs->len; i++) {
    SeecitvS3Object *o = objs->pdata[i];
    const gchar *slash = strrchr (o->key, '/');
    gchar *uri;

    if (w->base && strcmp (slash ? slash + 1 : o->key, w->base) != 0)
      continue;
    uri = seecitv_s3_client_object_uri (c, o->key);
    if (seecitv_s3_client_delete (c, o->key, NULL, NULL, &err)) {
      g_print ("deleted remote\t%s\n", uri);
    } else {
      g_printerr ("seecitv: %s\n", err->message);
      g_clear_error (&err);
      ok = FALSE;
    }
    g_free (uri);
  }
  g_ptr_array_unref (objs);
  return ok;
}

static void
print_undeleted (void)
{
  g_printerr ("seecitv: some remote copies remain; their keys are gone, so "
      "they cannot be decrypted, but run the command again to delete "
      "them\n");
}

gboolean
seecitv_remote_purge_clip (const gchar * keystore, const gchar * path)
{
  gchar *dir = seecitv_upload_queue_dir (keystore);
  gchar *base = g_path_get_basename (path);
  gchar *abs = g_canonicalize_filename (path, NULL);
  DeleteWhat w = { NULL, base };
  gboolean ok;

  seecitv_upload_queue_remove_matching (dir, abs, NULL);
  ok = for_each_target (keystore, FALSE, delete_matching, &w);
  if (!ok)
    print_undeleted ();
  g_free (abs);
  g_free (base);
  g_free (dir);
  return ok;
}

gboolean
seecitv_remote_forget_device (const gchar * keystore,
    const gchar * device_id)
{
  gchar *dir = seecitv_upload_queue_dir (keystore);
  DeleteWhat w = { device_id, NULL };
  gboolean ok;

  seecitv_upload_queue_remove_matching (dir, NULL, device_id);
  ok = for_each_target (keystore, FALSE, delete_matching, &w);
  if (!ok)
    print_undeleted ();
  g_free (dir);
  return ok;
}

gboolean
seecitv_remote_fetch (const gchar * keystore, char **clip, gchar ** tmp)
{
  gchar *dir, **targets, **endpoints = NULL, *bucket = NULL, *key;
  const gchar *endpoint = NULL;
  SeecitvS3Client *c = NULL;
  GError *err = NULL;
  gboolean ok = FALSE;
  guint i;
  int fd;

  *tmp = NULL;
  if (!g_str_has_prefix (*clip, "s3://"))
    return TRUE;
  key = strchr (*clip + 5, '/');
  if (key == NULL || key[1] == '\0') {
    g_printerr ("seecitv: %s: not an s3://bucket/key URI\n", *clip);
    return FALSE;
  }
  bucket = g_strndup (*clip + 5, key - (*clip + 5));
  key++;
  /* The endpoint of a remembered target with that bucket. */
  dir = seecitv_upload_queue_dir (keystore);
  targets = seecitv_upload_queue_targets (dir, &endpoints);
  for (i = 0; targets[i]; i++) {
    gchar *b = NULL;
    if (seecitv_s3_target_parse (targets[i], &b, NULL, NULL)
        && strcmp (b, bucket) == 0 && endpoint == NULL)
      endpoint = endpoints[i][0] ? endpoints[i] : NULL;
    g_free (b);
  }
  {
    gchar *target = g_strdup_printf ("s3://%s", bucket);
    c = seecitv_s3_client_new (target, endpoint, &err);
    g_free (target);
  }
  if (c == NULL)
    goto out;
  fd = g_file_open_tmp ("seecitv-XXXXXX.seecitv", tmp, &err);
  if (fd < 0)
    goto out;
  close (fd);
  if (!seecitv_s3_client_get_file (c, key, *tmp, NULL, NULL, &err))
    goto out;
  *clip = *tmp;
  ok = TRUE;
out:
  if (!ok) {
    g_printerr ("seecitv: cannot fetch %s: %s\n", *clip, err->message);
    g_clear_error (&err);
    seecitv_remote_fetch_done (*tmp);
    *tmp = NULL;
  }
  seecitv_s3_client_free (c);
  g_strfreev (targets);
  g_strfreev (endpoints);
  g_free (dir);
  g_free (bucket);
  return ok;
}

void
seecitv_remote_fetch_done (gchar * tmp)
{
  if (tmp) {
    g_unlink (tmp);
    g_free (tmp);
  }
}

/* The marker's copy: one object per target, "<prefix>/seecitv-marker",
 * beside the device folders ("<prefix>/<device>/<clip>"), so that forget
 * of any device (everything under "<prefix>/<device>/") leaves it. */
#define MARKER_OBJECT "seecitv-marker"

typedef struct
{
  SeecitvKeystore *ks;
  const gchar *cmd;
  gboolean force;
  guint targets, unreachable, stale;
  gboolean refused;
  GBytes *copy;                 /* pass 2: what to put */
} MarkerSync;

static gboolean
marker_check_one (SeecitvS3Client * c, gpointer data)
{
  MarkerSync *m = data;
  gchar *key = seecitv_s3_client_object_key (c, MARKER_OBJECT);
  gchar *uri = seecitv_s3_client_object_uri (c, key);
  GError *err = NULL;
  guint status = 0;
  gboolean older = FALSE;
  GBytes *b;

  m->targets++;
  b = seecitv_s3_client_get_bytes (c, key, NULL, &status, &err);
  if (b == NULL && status == 404) {
    /* None yet (or removed by whoever can write the bucket). */
    m->stale++;
  } else if (b == NULL) {
    g_printerr ("seecitv: warning: cannot read the generation marker's "
        "copy %s (%s): only the local marker vouches for the keystore\n",
        uri, err->message);
    m->unreachable++;
  } else if (m->force) {
    m->stale++;
  } else if (!seecitv_keystore_check_marker_copy (m->ks,
          g_bytes_get_data (b, NULL), g_bytes_get_size (b), &older, &err)) {
    g_printerr ("seecitv: %s refused (reason rollback): %s: %s\n", m->cmd,
        uri, err->message);
    m->refused = TRUE;
  } else if (older) {
    m->stale++;
  }
  g_clear_error (&err);
  g_clear_pointer (&b, g_bytes_unref);
  g_free (uri);
  g_free (key);
  return TRUE;
}

static gboolean
marker_put_one (SeecitvS3Client * c, gpointer data)
{
  MarkerSync *m = data;
  gchar *key = seecitv_s3_client_object_key (c, MARKER_OBJECT);
  GError *err = NULL;

  if (!seecitv_s3_client_put_bytes (c, key, m->copy, NULL, NULL, &err)) {
    gchar *uri = seecitv_s3_client_object_uri (c, key);

    g_printerr ("seecitv: warning: the generation marker's copy %s was not "
        "updated (%s)\n", uri, err->message);
    g_clear_error (&err);
    g_free (uri);
  }
  g_free (key);
  return TRUE;
}

gboolean
seecitv_remote_marker_sync (const gchar * keystore, SeecitvKeystore * ks,
    const gchar * cmd, gboolean force)
{
  MarkerSync m = { ks, cmd, force };
  guint8 copy[SEECITV_KEYSTORE_MARKER_COPY_SIZE];
  GError *err = NULL;

  if (seecitv_keystore_get_marker_path (ks) == NULL)
    return TRUE;
  /* A target without a client (no credentials, bad endpoint) was
   * printed: it counts as unreachable. */
  if (!for_each_target (keystore, FALSE, marker_check_one, &m))
    m.unreachable++;
  if (m.refused)
    return FALSE;
  if (force && m.unreachable > 0)
    g_printerr ("seecitv: warning: the copy on a target that could not be "
        "reached was not replaced, and export and sheet refuse it (reason "
        "rollback) if it names a later keystore or is under an older key: "
        "run `seecitv keys accept-restore` once every upload target "
        "answers\n");
  /* One copy that could not be read may be the newest: no other is
   * replaced, so that this keystore does not move into a later epoch. */
  if (m.stale == 0 || (m.unreachable > 0 && !force))
    return TRUE;
  if (!seecitv_keystore_update (ks, seecitv_keystore_marker_new_epoch,
          NULL, &err) ||
      !seecitv_keystore_get_marker_copy (ks, copy, NULL, &err)) {
    g_printerr ("seecitv: warning: the generation marker's copies were not "
        "updated: %s\n", err->message);
    g_clear_error (&err);
    return TRUE;
  }
  m.copy = g_bytes_new (copy, sizeof (copy));
  for_each_target (keystore, FALSE, marker_put_one, &m);
  g_bytes_unref (m.copy);
  return TRUE;
}

#else /* !SEECITV_HAVE_S3 */

static void
no_s3 (void)
{
  g_printerr ("seecitv: built without libsoup 3: no off-site storage\n");
}

int
seecitv_remote_cmd_upload (const gchar * keystore, int argc, char **argv)
{
  no_s3 ();
  return EXIT_FAIL;
}

int
seecitv_remote_cmd_list (const gchar * keystore, int argc, char **argv)
{
  no_s3 ();
  return EXIT_FAIL;
}

gboolean
seecitv_remote_purge_clip (const gchar * keystore, const gchar * path)
{
  return TRUE;
}

gboolean
seecitv_remote_forget_device (const gchar * keystore,
    const gchar * device_id)
{
  return TRUE;
}

gboolean
seecitv_remote_fetch (const gchar * keystore, char **clip, gchar ** tmp)
{
  *tmp = NULL;
  if (g_str_has_prefix (*clip, "s3://")) {
    no_s3 ();
    return FALSE;
  }
  return TRUE;
}

void
seecitv_remote_fetch_done (gchar * tmp)
{
  g_free (tmp);
}

gboolean
seecitv_remote_marker_sync (const gchar * keystore, SeecitvKeystore * ks,
    const gchar * cmd, gboolean force)
{
  return TRUE;
}

#endif
