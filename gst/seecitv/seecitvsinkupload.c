/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink's upload glue (see seecitvsinkupload.h). The element
 * documentation of the properties and messages is in gstseecitvsink.c's
 * SECTION and in docs/upload.md:
 *
 * "seecitvsink-upload-done": path (string), uri (string, s3://bucket/key),
 *   http-status (uint), attempt (uint)
 * "seecitvsink-upload-failed": path, uri, http-status (uint, 0 when the
 *   storage did not answer), message (string), attempt (uint), dropped
 *   (boolean: TRUE when the job is given up, i.e. the clip file is gone;
 *   otherwise it stays queued and is retried with back-off)
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitvsinkupload.h"
#include "seecitvsink-private.h"

#include <gmodule.h>
#include <seecitv/s3/uploadqueue.h>

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (seecitvsinkupload_debug);
#define GST_CAT_DEFAULT seecitvsinkupload_debug

#define DEFAULT_UPLOAD NULL
#define DEFAULT_UPLOAD_ENDPOINT NULL
#define DEFAULT_UPLOAD_TIMEOUT (60 * GST_SECOND)
#define DEFAULT_UPLOAD_DELETE_LOCAL FALSE

enum
{
  IDX_UPLOAD,
  IDX_UPLOAD_ENDPOINT,
  IDX_UPLOAD_TIMEOUT,
  IDX_UPLOAD_DELETE_LOCAL
};

struct _SeecitvSinkUpload
{
  GstElement *sink;             /* not a ref: the sink owns us */
  /* protected by the sink's object lock */
  gchar *target;
  gchar *endpoint;
  guint64 timeout;
  gboolean delete_local;
  const SeecitvUploadQueueApi *api;    /* set once, at the first start */
  /* The queue is made and freed in state changes and used by the threads
   * that post clip-closed and EOS; a drain may run while the pipeline
   * stops. protected by lock */
  GMutex lock;
  GCond cond;
  SeecitvUploadQueue *queue;
  guint users;                  /* threads using queue outside the lock */
  /* Clips opened and closed (queued) since start: the EOS drain first waits
   * for every opened clip's close, which another thread may still be
   * posting when EOS is decided (bounded by upload-timeout, should a clip
   * never close). */
  guint opened, closed;
  gboolean interrupted;
};

typedef struct _SeecitvSinkUpload SeecitvSinkUpload;

static G_DEFINE_QUARK (seecitv-sink-upload, upload_state);

static void seecitv_sink_upload_drain (SeecitvSinkUpload * u);

static SeecitvSinkUpload *
get_state (GstElement * sink)
{
  return g_object_get_qdata (G_OBJECT (sink), upload_state_quark ());
}

/* The sink's EOS, held back until the queue is drained. Runs in a
 * gst_element_call_async () thread: the thread that posted EOS may hold a
 * lock (basesink's preroll lock) that a state change needs. */
static void
drain_then_post (GstElement * element, gpointer user_data)
{
  SeecitvSinkUpload *u = get_state (element);

  seecitv_sink_upload_drain (u);
  seecitv_sink_post_own_eos (element, gst_message_ref (user_data));
}

static gboolean
has_queue (SeecitvSinkUpload * u)
{
  gboolean has;

  g_mutex_lock (&u->lock);
  has = u->queue != NULL;
  g_mutex_unlock (&u->lock);
  return has;
}

void
seecitv_sink_upload_post_eos (GstElement * sink, GstMessage * eos)
{
  SeecitvSinkUpload *u = get_state (sink);

  if (u != NULL && has_queue (u))
    gst_element_call_async (sink, drain_then_post, eos,
        (GDestroyNotify) gst_message_unref);
  else
    seecitv_sink_post_own_eos (sink, eos);
}

void
seecitv_sink_upload_clip_opened (GstElement * sink)
{
  SeecitvSinkUpload *u = get_state (sink);

  g_mutex_lock (&u->lock);
  u->opened++;
  g_mutex_unlock (&u->lock);
}

static void queue_clip (SeecitvSinkUpload * u, const gchar * path,
    const gchar * device_id);

void
seecitv_sink_upload_clip_closed (GstElement * sink, const gchar * path,
    const gchar * device_id)
{
  SeecitvSinkUpload *u = get_state (sink);

  queue_clip (u, path, device_id);
  g_mutex_lock (&u->lock);
  u->closed++;
  g_cond_broadcast (&u->cond);
  g_mutex_unlock (&u->lock);
}

static void install_properties (GObjectClass * klass, guint first_id);

void
seecitv_sink_upload_class_init (GstElementClass * klass, guint first_id)
{
  install_properties (G_OBJECT_CLASS (klass), first_id);
}

static void
install_properties (GObjectClass * klass, guint first_id)
{
  GST_DEBUG_CATEGORY_INIT (seecitvsinkupload_debug, "seecitvsinkupload", 0,
      "seecitvsink off-site upload");

  g_object_class_install_property (klass, first_id + IDX_UPLOAD,
      g_param_spec_string ("upload", "Upload target",
          "Copy every closed clip (its encrypted bytes) to S3-compatible "
          "object storage, e.g. s3://bucket/prefix; objects are named "
          "prefix/<device-id>/<clip file name>. Credentials come from "
          "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION or the "
          "shared credentials file, never from a property. NULL: no upload",
          DEFAULT_UPLOAD, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (klass, first_id + IDX_UPLOAD_ENDPOINT,
      g_param_spec_string ("upload-endpoint", "Upload endpoint",
          "S3 endpoint, https://host[:port] (path-style addressing). "
          "http:// is an explicit opt-in to plain HTTP (one warning). "
          "NULL: https://s3.<AWS_REGION>.amazonaws.com",
          DEFAULT_UPLOAD_ENDPOINT, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (klass, first_id + IDX_UPLOAD_TIMEOUT,
      g_param_spec_uint64 ("upload-timeout", "Upload timeout",
          "At EOS, wait at most this long (ns) for queued clips to upload "
          "before posting EOS; what remains stays queued for the next start "
          "or `seecitv upload`", 0, G_MAXUINT64, DEFAULT_UPLOAD_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (klass, first_id + IDX_UPLOAD_DELETE_LOCAL,
      g_param_spec_boolean ("upload-delete-local", "Delete after upload",
          "Delete the local clip file once its upload is confirmed (its key "
          "stays in the keystore)", DEFAULT_UPLOAD_DELETE_LOCAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
}

static void seecitv_sink_upload_free (SeecitvSinkUpload * u);

void
seecitv_sink_upload_init (GstElement * sink)
{
  SeecitvSinkUpload *u = g_new0 (SeecitvSinkUpload, 1);

  u->sink = sink;
  g_mutex_init (&u->lock);
  g_cond_init (&u->cond);
  u->timeout = DEFAULT_UPLOAD_TIMEOUT;
  u->delete_local = DEFAULT_UPLOAD_DELETE_LOCAL;
  g_object_set_qdata_full (G_OBJECT (sink), upload_state_quark (), u,
      (GDestroyNotify) seecitv_sink_upload_free);
}

static void queue_stop (SeecitvSinkUpload * u);

static void
seecitv_sink_upload_free (SeecitvSinkUpload * u)
{
  queue_stop (u);
  g_mutex_clear (&u->lock);
  g_cond_clear (&u->cond);
  g_free (u->target);
  g_free (u->endpoint);
  g_free (u);
}

void
seecitv_sink_upload_set_property (GstElement * sink, guint index,
    const GValue * value)
{
  SeecitvSinkUpload *u = get_state (sink);

  GST_OBJECT_LOCK (u->sink);
  switch (index) {
    case IDX_UPLOAD:
      g_free (u->target);
      u->target = g_value_dup_string (value);
      if (u->target && u->target[0] == '\0')
        g_clear_pointer (&u->target, g_free);
      break;
    case IDX_UPLOAD_ENDPOINT:
      g_free (u->endpoint);
      u->endpoint = g_value_dup_string (value);
      if (u->endpoint && u->endpoint[0] == '\0')
        g_clear_pointer (&u->endpoint, g_free);
      break;
    case IDX_UPLOAD_TIMEOUT:
      u->timeout = g_value_get_uint64 (value);
      break;
    case IDX_UPLOAD_DELETE_LOCAL:
      u->delete_local = g_value_get_boolean (value);
      break;
    default:
      break;
  }
  GST_OBJECT_UNLOCK (u->sink);
}

void
seecitv_sink_upload_get_property (GstElement * sink, guint index,
    GValue * value)
{
  SeecitvSinkUpload *u = get_state (sink);

  GST_OBJECT_LOCK (u->sink);
  switch (index) {
    case IDX_UPLOAD:
      g_value_set_string (value, u->target);
      break;
    case IDX_UPLOAD_ENDPOINT:
      g_value_set_string (value, u->endpoint);
      break;
    case IDX_UPLOAD_TIMEOUT:
      g_value_set_uint64 (value, u->timeout);
      break;
    case IDX_UPLOAD_DELETE_LOCAL:
      g_value_set_boolean (value, u->delete_local);
      break;
    default:
      break;
  }
  GST_OBJECT_UNLOCK (u->sink);
}

/* The upload module (gst-libs/seecitv/s3/uploadqueue-module.c), loaded once and kept:
 * $SEECITV_UPLOAD_MODULE, else the installed one, else the one in the build
 * tree (uninstalled use). Returns NULL with *error set. */
static const SeecitvUploadQueueApi *
load_api (GError ** error)
{
  static GMutex lock;
  static const SeecitvUploadQueueApi *api;
  const gchar *env = g_getenv ("SEECITV_UPLOAD_MODULE");
  const gchar *candidates[] = { env, SEECITV_UPLOAD_MODULE_PATH,
    SEECITV_UPLOAD_MODULE_BUILD_PATH
  };
  const SeecitvUploadQueueApi *found = NULL;
  guint i;

  g_mutex_lock (&lock);
  for (i = 0; api == NULL && i < G_N_ELEMENTS (candidates); i++) {
    const gchar *path = candidates[i];
    SeecitvUploadQueueGetApi get = NULL;
    GModule *m;

    if (path == NULL || path[0] == '\0'
        || !g_file_test (path, G_FILE_TEST_IS_REGULAR))
      continue;
    m = g_module_open (path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
    if (m == NULL) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
          "cannot load the upload module %s: %s", path, g_module_error ());
      break;
    }
    if (!g_module_symbol (m, SEECITV_UPLOAD_QUEUE_API_SYMBOL,
            (gpointer *) & get) || get == NULL || get () == NULL
        || get ()->version != SEECITV_UPLOAD_QUEUE_API_VERSION) {
      g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED,
          "%s is not a seecitv upload module of this version", path);
      g_module_close (m);
      break;
    }
    /* Its worker threads outlive any one element. */
    g_module_make_resident (m);
    api = get ();
  }
  found = api;
  g_mutex_unlock (&lock);
  if (found == NULL && error != NULL && *error == NULL)
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
        "no upload module (libseecitvupload): seecitv was built without "
        "libsoup 3 and OpenSSL, or it is not installed");
  return found;
}

/* Takes the queue for use outside the lock, or NULL; give it back with
 * queue_release (). */
static SeecitvUploadQueue *
queue_acquire (SeecitvSinkUpload * u)
{
  SeecitvUploadQueue *q;

  g_mutex_lock (&u->lock);
  q = u->queue;
  if (q != NULL)
    u->users++;
  g_mutex_unlock (&u->lock);
  return q;
}

static void
queue_release (SeecitvSinkUpload * u)
{
  g_mutex_lock (&u->lock);
  u->users--;
  g_cond_broadcast (&u->cond);
  g_mutex_unlock (&u->lock);
}

/* Worker thread: one bus message per attempt's outcome. */
static void
on_result (const SeecitvUploadResult * r, gpointer user_data)
{
  SeecitvSinkUpload *u = user_data;
  GstStructure *s;

  if (r->done) {
    GST_INFO_OBJECT (u->sink, "uploaded %s to %s", r->path, r->uri);
    s = gst_structure_new ("seecitvsink-upload-done",
        "path", G_TYPE_STRING, r->path, "uri", G_TYPE_STRING, r->uri,
        "http-status", G_TYPE_UINT, r->http_status,
        "attempt", G_TYPE_UINT, r->attempt, NULL);
  } else {
    GST_WARNING_OBJECT (u->sink, "upload of %s (attempt %u) failed: %s",
        r->path, r->attempt, r->message);
    s = gst_structure_new ("seecitvsink-upload-failed",
        "path", G_TYPE_STRING, r->path, "uri", G_TYPE_STRING, r->uri,
        "http-status", G_TYPE_UINT, r->http_status,
        "message", G_TYPE_STRING, r->message,
        "attempt", G_TYPE_UINT, r->attempt,
        "dropped", G_TYPE_BOOLEAN, r->dropped, NULL);
  }
  gst_element_post_message (u->sink,
      gst_message_new_element (GST_OBJECT (u->sink), s));
}

gboolean
seecitv_sink_upload_start (GstElement * sink, const gchar * keystore)
{
  SeecitvSinkUpload *u = get_state (sink);
  gchar *target, *endpoint, *dir;
  gboolean delete_local;
  GError *err = NULL;
  SeecitvUploadQueue *q;

  GST_OBJECT_LOCK (u->sink);
  target = g_strdup (u->target);
  endpoint = g_strdup (u->endpoint);
  delete_local = u->delete_local;
  GST_OBJECT_UNLOCK (u->sink);

  g_mutex_lock (&u->lock);
  q = u->queue;
  g_mutex_unlock (&u->lock);
  if (target == NULL || q != NULL) {
    g_free (target);
    g_free (endpoint);
    return TRUE;
  }
  u->api = load_api (&err);
  if (u->api == NULL) {
    GST_ELEMENT_ERROR (u->sink, RESOURCE, SETTINGS,
        ("Cannot upload to %s: %s", target, err->message), (NULL));
    g_clear_error (&err);
    g_free (target);
    g_free (endpoint);
    return FALSE;
  }
  dir = u->api->queue_dir (keystore);
  q = u->api->queue_new (dir, target, endpoint, delete_local, &err);
  if (q == NULL || !u->api->remember_target (dir, target, endpoint, &err)) {
    GST_ELEMENT_ERROR (u->sink, RESOURCE, SETTINGS,
        ("Cannot upload to %s: %s", target, err->message),
        ("upload queue %s", dir));
    g_clear_error (&err);
    if (q)
      u->api->queue_free (q);
    g_free (dir);
    g_free (target);
    g_free (endpoint);
    return FALSE;
  }
  if (endpoint && g_ascii_strncasecmp (endpoint, "http://", 7) == 0)
    GST_ELEMENT_WARNING (u->sink, RESOURCE, SETTINGS,
        ("Uploading over plain HTTP to %s: clips are encrypted, but request "
            "metadata and the access key id travel in clear", endpoint),
        (NULL));
  u->api->set_callback (q, on_result, u);
  u->api->start (q);
  GST_INFO_OBJECT (u->sink, "uploading to %s, queue %s (%u pending)", target,
      dir, u->api->pending (q));
  g_mutex_lock (&u->lock);
  u->queue = q;
  g_mutex_unlock (&u->lock);
  g_free (dir);
  g_free (target);
  g_free (endpoint);
  return TRUE;
}

static void
queue_clip (SeecitvSinkUpload * u, const gchar * path,
    const gchar * device_id)
{
  gchar *base, *name;
  GError *err = NULL;
  SeecitvUploadQueue *q;
  gboolean ok;

  if (path == NULL || (q = queue_acquire (u)) == NULL)
    return;
  base = g_path_get_basename (path);
  name = g_strdup_printf ("%s/%s", device_id ? device_id : "default", base);
  ok = u->api->add (q, path, name, &err);
  queue_release (u);
  if (!ok) {
    GstStructure *s = gst_structure_new ("seecitvsink-upload-failed",
        "path", G_TYPE_STRING, path, "uri", G_TYPE_STRING, "",
        "http-status", G_TYPE_UINT, 0,
        "message", G_TYPE_STRING, err->message,
        "attempt", G_TYPE_UINT, 0, "dropped", G_TYPE_BOOLEAN, TRUE, NULL);
    GST_ELEMENT_WARNING (u->sink, RESOURCE, WRITE,
        ("Cannot queue %s for upload", path), ("%s", err->message));
    gst_element_post_message (u->sink,
        gst_message_new_element (GST_OBJECT (u->sink), s));
    g_clear_error (&err);
  }
  g_free (base);
  g_free (name);
}

static void
seecitv_sink_upload_drain (SeecitvSinkUpload * u)
{
  guint64 timeout;
  guint left = 0;
  gint64 us, deadline;
  SeecitvUploadQueue *q = queue_acquire (u);

  if (q == NULL)
    return;
  GST_OBJECT_LOCK (u->sink);
  timeout = u->timeout;
  GST_OBJECT_UNLOCK (u->sink);
  us = timeout / GST_USECOND > G_MAXINT64 / 2 ? G_MAXINT64 / 2 :
      (gint64) (timeout / GST_USECOND);
  deadline = g_get_monotonic_time () + us;
  g_mutex_lock (&u->lock);
  while (u->closed < u->opened && !u->interrupted
      && g_cond_wait_until (&u->cond, &u->lock, deadline));
  g_mutex_unlock (&u->lock);
  if (!u->api->drain (q, MAX (deadline - g_get_monotonic_time (), 0)))
    left = u->api->pending (q);
  queue_release (u);
  if (left == 0)
    return;
  GST_ELEMENT_WARNING (u->sink, RESOURCE, WRITE,
      ("%u clip(s) not uploaded within upload-timeout: they stay queued for "
          "the next start or `seecitv upload`", left), (NULL));
}

void
seecitv_sink_upload_interrupt (GstElement * sink)
{
  SeecitvSinkUpload *u = get_state (sink);
  SeecitvUploadQueue *q = queue_acquire (u);

  if (q == NULL)
    return;
  g_mutex_lock (&u->lock);
  u->interrupted = TRUE;
  g_cond_broadcast (&u->cond);
  g_mutex_unlock (&u->lock);
  u->api->interrupt (q);
  queue_release (u);
}

void
seecitv_sink_upload_stop (GstElement * sink)
{
  queue_stop (get_state (sink));
}

static void
queue_stop (SeecitvSinkUpload * u)
{
  SeecitvUploadQueue *q;

  g_mutex_lock (&u->lock);
  q = u->queue;
  u->queue = NULL;
  if (q != NULL) {
    /* A drain at EOS may be waiting: make it return, then free. */
    u->interrupted = TRUE;
    g_cond_broadcast (&u->cond);
    u->api->interrupt (q);
    while (u->users > 0)
      g_cond_wait (&u->cond, &u->lock);
  }
  u->opened = u->closed = 0;
  u->interrupted = FALSE;
  g_mutex_unlock (&u->lock);
  if (q != NULL)
    u->api->queue_free (q);
}
