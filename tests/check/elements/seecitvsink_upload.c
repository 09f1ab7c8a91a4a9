/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitvsink's off-site copies against a real S3-compatible server: the
 * npm package s3rver, started on 127.0.0.1 by each test (`./run test`
 * installs it into build/s3rver; $SEECITV_S3RVER names another one).
 * Without it the test exits 77 (SKIPPED). s3rver rejects unknown access key
 * ids but checks neither SigV4 signatures nor Content-MD5: the signing code
 * is checked against AWS's vectors in libs/s3sigv4.c and the headers by a
 * strict loopback server in libs/s3client.c.
 *
 * - clips appear with the same bytes; `seecitv list --remote`, `purge` and
 *   `forget` list and delete them;
 * - storage down for 30 s while clips close: after it returns every clip is
 *   uploaded exactly once (counted in s3rver's own log);
 * - a pipeline killed (SIGKILL) with uploads pending: the next start
 *   resumes them;
 * - no upload module: a clear error at start;
 * - an unknown access key id, a missing bucket: seecitvsink-upload-failed
 *   with the HTTP status and S3's error code, the clip stays queued, and
 *   `seecitv upload` sends it once the configuration is right;
 * - the generation marker's copy: a rollback of the keystore and its local
 *   marker is caught by export through it; the storage down, a warning.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <seecitv/s3/s3client.h>
#include <seecitv/s3/uploadqueue.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include "../common/testfs.h"

#define BUCKET "bkt"
#define DEVICE "cam-1"

static gchar *s3rver_bin;
/* Extra seecitvsink properties for record (). */
static const gchar *extra_props = "";
static gchar *tmpdir, *clipdir, *keystore, *datadir, *endpoint, *s3log;
static guint port;
static GSubprocess *server;

/* ---- helpers ---- */

static guint
free_port (void)
{
  GSocket *s = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *a = g_inet_socket_address_new (lo, 0), *bound;
  guint p;

  fail_unless (g_socket_bind (s, a, FALSE, NULL));
  bound = g_socket_get_local_address (s, NULL);
  p = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (a);
  g_object_unref (lo);
  g_socket_close (s, NULL);
  g_object_unref (s);
  return p;
}

static gboolean
port_open (void)
{
  GSocketClient *c = g_socket_client_new ();
  GSocketConnection *conn = g_socket_client_connect_to_host (c, "127.0.0.1",
      port, NULL, NULL);
  gboolean ok = conn != NULL;

  g_clear_object (&conn);
  g_object_unref (c);
  return ok;
}

static void
server_start (void)
{
  GSubprocessLauncher *l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  gchar *port_s = g_strdup_printf ("%u", port);
  GError *err = NULL;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  fail_unless (server == NULL);
  /* Appends, so that the log spans restarts (exactly-once counting). */
  g_subprocess_launcher_set_stdout_file_path (l, NULL);
  {
    int fd = g_open (s3log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    fail_unless (fd >= 0);
    g_subprocess_launcher_take_stdout_fd (l, fd);
  }
  g_subprocess_launcher_set_flags (l, G_SUBPROCESS_FLAGS_STDERR_MERGE);
  server = g_subprocess_launcher_spawn (l, &err, s3rver_bin, "-d", datadir,
      "-a", "127.0.0.1", "-p", port_s, "--configure-bucket", BUCKET, NULL);
  fail_unless (server != NULL, "%s", err ? err->message : "");
  while (!port_open ()) {
    fail_if (g_get_monotonic_time () > deadline, "s3rver did not start");
    g_usleep (100 * 1000);
  }
  g_object_unref (l);
  g_free (port_s);
}

static void
server_stop (void)
{
  if (server == NULL)
    return;
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
  g_clear_object (&server);
}

/* How many times s3rver stored key ("Stored object "KEY" in bucket"). */
static guint
stored_count (const gchar * key)
{
  gchar *log = NULL, *needle = g_strdup_printf ("Stored object \"%s\"", key);
  const gchar *p;
  guint n = 0;

  g_file_get_contents (s3log, &log, NULL, NULL);
  for (p = log; p && (p = strstr (p, needle)) != NULL; p += strlen (needle))
    n++;
  g_free (log);
  g_free (needle);
  return n;
}

static void
set_credentials (const gchar * key_id)
{
  g_setenv ("AWS_ACCESS_KEY_ID", key_id, TRUE);
  g_setenv ("AWS_SECRET_ACCESS_KEY", "S3RVER", TRUE);
  g_setenv ("AWS_REGION", "us-east-1", TRUE);
  g_setenv ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent", TRUE);
}

/* Runs the seecitv tool; returns its exit status, *out its stdout and
 * *errout its stderr (either may be NULL). */
static gint
tool_full (gchar ** out, gchar ** errout, const gchar * first, ...)
{
  GPtrArray *argv = g_ptr_array_new ();
  const gchar *a;
  gchar *stdout_s = NULL, *stderr_s = NULL;
  gint status = -1;
  GError *err = NULL;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) SEECITV_TOOL);
  g_ptr_array_add (argv, (gpointer) "--keystore");
  g_ptr_array_add (argv, keystore);
  va_start (ap, first);
  for (a = first; a; a = va_arg (ap, const gchar *))
    g_ptr_array_add (argv, (gpointer) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, 0, NULL,
          NULL, &stdout_s, &stderr_s, &status, &err), "%s",
      err ? err->message : "");
  if (stderr_s && *stderr_s)
    GST_INFO ("seecitv %s: %s", first, stderr_s);
  g_ptr_array_unref (argv);
  if (errout)
    *errout = stderr_s;
  else
    g_free (stderr_s);
  if (out)
    *out = stdout_s;
  else
    g_free (stdout_s);
  return g_spawn_check_wait_status (status, NULL) ? 0 :
      (WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

#define tool(out, ...) tool_full (out, NULL, __VA_ARGS__)
#define tool_err(errout, ...) tool_full (NULL, errout, __VA_ARGS__)

static void
setup (void)
{
  tmpdir = g_dir_make_tmp ("seecitvsink-upload-XXXXXX", NULL);
  clipdir = g_build_filename (tmpdir, "clips", NULL);
  datadir = g_build_filename (tmpdir, "s3data", NULL);
  keystore = g_build_filename (tmpdir, "keys", "keystore", NULL);
  s3log = g_build_filename (tmpdir, "s3rver.log", NULL);
  g_mkdir (clipdir, 0700);
  g_mkdir (datadir, 0700);
  fail_unless_equals_int (tool (NULL, "keys", "init", NULL), 0);
  port = free_port ();
  endpoint = g_strdup_printf ("http://127.0.0.1:%u", port);
  set_credentials ("S3RVER");
}

static void
teardown (void)
{
  server_stop ();
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
  g_clear_pointer (&clipdir, g_free);
  g_clear_pointer (&datadir, g_free);
  g_clear_pointer (&keystore, g_free);
  g_clear_pointer (&s3log, g_free);
  g_clear_pointer (&endpoint, g_free);
}

/* ---- recording ---- */

typedef struct
{
  GPtrArray *closed;            /* clip paths */
  GPtrArray *done;              /* paths of upload-done */
  GPtrArray *done_uris;
  GPtrArray *failed_status;     /* GUINT_TO_POINTER (http-status) */
  GPtrArray *failed_messages;
  gboolean eos;
} Rec;

static void
rec_clear (Rec * r)
{
  g_ptr_array_unref (r->closed);
  g_ptr_array_unref (r->done);
  g_ptr_array_unref (r->done_uris);
  g_ptr_array_unref (r->failed_status);
  g_ptr_array_unref (r->failed_messages);
}

/* Records `frames` frames at 30 fps (as fast as possible) in 1-s clips
 * and runs until EOS (which waits for the uploads, up to upload-timeout). */
static void
record (guint frames, const gchar * target, guint64 upload_timeout, Rec * r)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast key-int-max=15 ! h264parse ! "
      "seecitvsink name=sink location=%s keystore=%s device-id=" DEVICE
      " trigger=continuous max-clip-duration=1000000000 upload=%s "
      "upload-endpoint=%s upload-timeout=%" G_GUINT64_FORMAT " %s", frames,
      clipdir, keystore, target, endpoint, upload_timeout, extra_props);
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  GstBus *bus;

  fail_unless (pipeline != NULL, "%s", err ? err->message : "");
  r->closed = g_ptr_array_new_with_free_func (g_free);
  r->done = g_ptr_array_new_with_free_func (g_free);
  r->done_uris = g_ptr_array_new_with_free_func (g_free);
  r->failed_status = g_ptr_array_new ();
  r->failed_messages = g_ptr_array_new_with_free_func (g_free);
  r->eos = FALSE;
  bus = gst_element_get_bus (pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (TRUE) {
    GstMessage *m = gst_bus_timed_pop (bus, 120 * GST_SECOND);
    const GstStructure *s;

    fail_unless (m != NULL, "no EOS");
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR) {
      GError *e = NULL;
      gst_message_parse_error (m, &e, NULL);
      fail ("error: %s", e->message);
    }
    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_EOS) {
      r->eos = TRUE;
      gst_message_unref (m);
      break;
    }
    s = gst_message_get_structure (m);
    if (s && gst_structure_has_name (s, "seecitvsink-clip-closed")) {
      g_ptr_array_add (r->closed, g_strdup (gst_structure_get_string (s,
                  "path")));
    } else if (s && gst_structure_has_name (s, "seecitvsink-upload-done")) {
      g_ptr_array_add (r->done, g_strdup (gst_structure_get_string (s,
                  "path")));
      g_ptr_array_add (r->done_uris, g_strdup (gst_structure_get_string (s,
                  "uri")));
    } else if (s && gst_structure_has_name (s, "seecitvsink-upload-failed")) {
      guint st = 999;
      gst_structure_get_uint (s, "http-status", &st);
      g_ptr_array_add (r->failed_status, GUINT_TO_POINTER (st));
      g_ptr_array_add (r->failed_messages,
          g_strdup (gst_structure_get_string (s, "message")));
    }
    gst_message_unref (m);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
}

static gboolean
contains (GPtrArray * a, const gchar * s)
{
  guint i;
  for (i = 0; i < a->len; i++)
    if (g_strcmp0 (a->pdata[i], s) == 0)
      return TRUE;
  return FALSE;
}

static guint
count (GPtrArray * a, const gchar * s)
{
  guint i, n = 0;
  for (i = 0; i < a->len; i++)
    n += g_strcmp0 (a->pdata[i], s) == 0;
  return n;
}

static gchar *
key_of (const gchar * path)
{
  gchar *base = g_path_get_basename (path);
  gchar *key = g_strdup_printf ("pre/" DEVICE "/%s", base);
  g_free (base);
  return key;
}

/* The object for path exists and holds the same bytes. */
static void
assert_remote_copy (SeecitvS3Client * c, const gchar * path)
{
  gchar *key = key_of (path), *fetched = g_build_filename (tmpdir, "fetched",
      NULL), *a, *b;
  gsize la, lb;
  GError *err = NULL;

  fail_unless (seecitv_s3_client_get_file (c, key, fetched, NULL, NULL,
          &err), "%s: %s", key, err ? err->message : "");
  fail_unless (g_file_get_contents (path, &a, &la, NULL));
  fail_unless (g_file_get_contents (fetched, &b, &lb, NULL));
  fail_unless (la > 0);
  fail_unless_equals_uint64 (la, lb);
  fail_unless (memcmp (a, b, la) == 0, "%s differs", key);
  g_unlink (fetched);
  g_free (a);
  g_free (b);
  g_free (fetched);
  g_free (key);
}

static guint
queued (void)
{
  gchar *dir = seecitv_upload_queue_dir (keystore);
  SeecitvUploadQueue *q = seecitv_upload_queue_new (dir, NULL, NULL, FALSE,
      NULL);
  guint n = seecitv_upload_queue_pending (q);

  seecitv_upload_queue_free (q);
  g_free (dir);
  return n;
}

static guint
remote_count (SeecitvS3Client * c)
{
  GError *err = NULL;
  GPtrArray *objs = seecitv_s3_client_list (c, NULL, NULL, NULL, &err);
  guint i, n;

  fail_unless (objs != NULL, "%s", err ? err->message : "");
  /* Clips only: not the generation marker's copy, which export puts. */
  for (i = 0, n = 0; i < objs->len; i++)
    n += !g_str_has_suffix (((SeecitvS3Object *) objs->pdata[i])->key,
        "/seecitv-marker");
  g_ptr_array_unref (objs);
  return n;
}

/* ---- tests ---- */

GST_START_TEST (test_upload_list_purge_forget)
{
  Rec r;
  guint i;
  GError *err = NULL;
  SeecitvS3Client *c;
  gchar *out = NULL, *uri;

  server_start ();
  record (90, "s3://" BUCKET "/pre", 30 * GST_SECOND, &r);
  fail_unless (r.closed->len >= 2, "%u clips", r.closed->len);
  fail_unless_equals_int (r.done->len, r.closed->len);
  fail_unless_equals_int (r.failed_status->len, 0);
  fail_unless_equals_int (queued (), 0);

  c = seecitv_s3_client_new ("s3://" BUCKET "/pre", endpoint, &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (remote_count (c), r.closed->len);
  for (i = 0; i < r.closed->len; i++) {
    gchar *key = key_of (r.closed->pdata[i]);
    fail_unless_equals_int (count (r.done, r.closed->pdata[i]), 1);
    assert_remote_copy (c, r.closed->pdata[i]);
    fail_unless_equals_int (stored_count (key), 1);
    g_free (key);
  }

  /* list --remote names each object. */
  fail_unless_equals_int (tool (&out, "list", "--remote", NULL), 0);
  for (i = 0; i < r.done_uris->len; i++)
    fail_unless (strstr (out, r.done_uris->pdata[i]) != NULL, "%s", out);
  g_free (out);

  /* export straight from the store. */
  {
    gchar *mkv = g_build_filename (tmpdir, "out.mkv", NULL);
    fail_unless_equals_int (tool (NULL, "export", r.done_uris->pdata[0],
            "-o", mkv, NULL), 0);
    fail_unless (g_file_test (mkv, G_FILE_TEST_IS_REGULAR));
    g_unlink (mkv);
    g_free (mkv);
    /* It checked the generation marker's copy (none) and put one. */
    fail_unless_equals_int (stored_count ("pre/seecitv-marker"), 1);
  }

  /* purge of one clip deletes its remote copy too. */
  fail_unless_equals_int (tool (&out, "purge", r.closed->pdata[0], NULL), 0);
  uri = g_strdup_printf ("deleted remote\t%s", (gchar *) r.done_uris->pdata[0]);
  fail_unless (strstr (out, uri) != NULL, "%s", out);
  g_free (uri);
  g_free (out);
  fail_unless_equals_int (remote_count (c), r.closed->len - 1);

  /* forget removes every remote copy of the device. */
  fail_unless_equals_int (tool (NULL, "forget", "--device", DEVICE, NULL), 0);
  fail_unless_equals_int (remote_count (c), 0);
  /* The marker's copy is not the device's: it stays. */
  {
    GBytes *b = seecitv_s3_client_get_bytes (c, "pre/seecitv-marker", NULL,
        NULL, &err);
    fail_unless (b != NULL, "%s", err ? err->message : "");
    fail_unless_equals_int (g_bytes_get_size (b), 64);
    g_bytes_unref (b);
  }

  seecitv_s3_client_free (c);
  rec_clear (&r);
}

GST_END_TEST;

static gpointer
restart_later (gpointer data)
{
  g_usleep (GPOINTER_TO_UINT (data) * G_USEC_PER_SEC);
  server_start ();
  return NULL;
}

GST_START_TEST (test_outage)
{
  Rec r;
  guint i, outage_failures = 0;
  GThread *t;
  GError *err = NULL;
  SeecitvS3Client *c;

  /* Storage down while every clip closes; back 30 s later, during the
   * drain at EOS (upload-timeout 50 s). */
  t = g_thread_new ("restart", restart_later, GUINT_TO_POINTER (30));
  record (90, "s3://" BUCKET "/pre", 50 * GST_SECOND, &r);
  g_thread_join (t);

  fail_unless (r.closed->len >= 2);
  for (i = 0; i < r.failed_status->len; i++)
    if (GPOINTER_TO_UINT (r.failed_status->pdata[i]) == 0)
      outage_failures++;
  fail_unless (outage_failures >= r.closed->len, "%u failures",
      outage_failures);
  fail_unless_equals_int (queued (), 0);
  c = seecitv_s3_client_new ("s3://" BUCKET "/pre", endpoint, &err);
  fail_unless_equals_int (remote_count (c), r.closed->len);
  for (i = 0; i < r.closed->len; i++) {
    gchar *key = key_of (r.closed->pdata[i]);
    fail_unless_equals_int (count (r.done, r.closed->pdata[i]), 1);
    fail_unless_equals_int (stored_count (key), 1);
    assert_remote_copy (c, r.closed->pdata[i]);
    g_free (key);
  }
  seecitv_s3_client_free (c);
  rec_clear (&r);
}

GST_END_TEST;

GST_START_TEST (test_killed_pipeline_resumes)
{
  gchar *desc, *dir = seecitv_upload_queue_dir (keystore);
  GSubprocess *p;
  GError *err = NULL;
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  GPtrArray *old = g_ptr_array_new_with_free_func (g_free);
  SeecitvS3Client *c;
  Rec r;
  guint i;

  /* A live pipeline, storage down: clips close and queue up. */
  desc = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast tune=zerolatency key-int-max=15 ! "
      "h264parse ! seecitvsink location=%s keystore=%s device-id=" DEVICE
      " trigger=continuous max-clip-duration=1000000000 "
      "upload=s3://" BUCKET "/pre upload-endpoint=%s", clipdir, keystore,
      endpoint);
  {
    /* gst-launch quotes an argument with spaces: one word per argument. */
    gchar *cmd = g_strconcat ("gst-launch-1.0 -q ", desc, NULL), **argv;
    fail_unless (g_shell_parse_argv (cmd, NULL, &argv, NULL));
    p = g_subprocess_newv ((const gchar * const *) argv,
        G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
        &err);
    fail_unless (p != NULL, "%s", err ? err->message : "");
    g_strfreev (argv);
    g_free (cmd);
  }
  while (queued () < 2) {
    fail_if (g_get_monotonic_time () > deadline, "nothing queued");
    g_usleep (100 * 1000);
  }
  g_subprocess_send_signal (p, SIGKILL);
  g_subprocess_wait (p, NULL, NULL);
  g_object_unref (p);
  {
    GDir *d = g_dir_open (clipdir, 0, NULL);
    const gchar *n;
    while ((n = g_dir_read_name (d)) != NULL)
      if (n[0] != '.')
        g_ptr_array_add (old, g_build_filename (clipdir, n, NULL));
    g_dir_close (d);
  }
  fail_unless (queued () >= 2);

  /* Next start, storage up: the old jobs go out with the new clips. */
  server_start ();
  record (30, "s3://" BUCKET "/pre", 30 * GST_SECOND, &r);
  fail_unless_equals_int (queued (), 0);
  c = seecitv_s3_client_new ("s3://" BUCKET "/pre", endpoint, &err);
  for (i = 0; i < old->len; i++) {
    gchar *key = key_of (old->pdata[i]);
    /* A clip cut by the kill is not closed, so never queued: only the
     * queued ones must arrive. */
    if (contains (r.done, old->pdata[i])) {
      fail_unless_equals_int (stored_count (key), 1);
      assert_remote_copy (c, old->pdata[i]);
    }
    g_free (key);
  }
  fail_unless (r.done->len >= 2 + r.closed->len, "%u done, %u new",
      r.done->len, r.closed->len);
  seecitv_s3_client_free (c);
  rec_clear (&r);
  g_ptr_array_unref (old);
  g_free (desc);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_bad_key_and_bucket)
{
  Rec r;
  gchar *out = NULL;
  GError *err = NULL;
  guint i;

  server_start ();
  /* An access key id s3rver does not know. */
  set_credentials ("UNKNOWNKEYID");
  record (15, "s3://" BUCKET "/pre", 2 * GST_SECOND, &r);
  fail_unless_equals_int (r.closed->len, 1);
  fail_unless_equals_int (r.done->len, 0);
  fail_unless (r.failed_status->len >= 1);
  fail_unless_equals_int (GPOINTER_TO_UINT (r.failed_status->pdata[0]), 403);
  fail_unless (strstr (r.failed_messages->pdata[0], "InvalidAccessKeyId")
      != NULL, "%s", (gchar *) r.failed_messages->pdata[0]);
  fail_unless (g_file_test (r.closed->pdata[0], G_FILE_TEST_IS_REGULAR));
  fail_unless_equals_int (queued (), 1);
  rec_clear (&r);

  /* A bucket that does not exist. */
  set_credentials ("S3RVER");
  record (15, "s3://nosuchbucket/pre", 2 * GST_SECOND, &r);
  fail_unless_equals_int (r.done->len, 1);      /* the queued one, above */
  fail_unless (r.failed_status->len >= 1);
  for (i = 0; i < r.failed_status->len; i++) {
    fail_unless_equals_int (GPOINTER_TO_UINT (r.failed_status->pdata[i]),
        404);
    fail_unless (strstr (r.failed_messages->pdata[i], "NoSuchBucket")
        != NULL);
  }
  fail_unless_equals_int (queued (), 1);
  rec_clear (&r);

  /* Once the bucket exists (s3rver makes those named at its start),
   * `seecitv upload` sends what stayed queued. */
  server_stop ();
  {
    GSubprocessLauncher *l =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    gchar *port_s = g_strdup_printf ("%u", port);
    server = g_subprocess_launcher_spawn (l, &err, s3rver_bin, "-d", datadir,
        "-a", "127.0.0.1", "-p", port_s, "--configure-bucket", BUCKET,
        "--configure-bucket", "nosuchbucket", NULL);
    fail_unless (server != NULL);
    while (!port_open ())
      g_usleep (100 * 1000);
    g_object_unref (l);
    g_free (port_s);
  }
  fail_unless_equals_int (tool (&out, "upload", "--timeout", "20", NULL), 0);
  fail_unless (strstr (out, "uploaded\t") != NULL, "%s", out);
  fail_unless_equals_int (queued (), 0);
  g_free (out);
}

GST_END_TEST;

/* upload-delete-local: the local file goes once the object is stored; the
 * key stays, so the clip still exports from the store. */
GST_START_TEST (test_delete_local)
{
  Rec r;
  guint i;
  gchar *mkv = g_build_filename (tmpdir, "out.mkv", NULL);

  server_start ();
  extra_props = "upload-delete-local=true";
  record (60, "s3://" BUCKET "/pre", 30 * GST_SECOND, &r);
  extra_props = "";
  fail_unless (r.closed->len >= 1);
  fail_unless_equals_int (r.done->len, r.closed->len);
  for (i = 0; i < r.closed->len; i++)
    fail_if (g_file_test (r.closed->pdata[i], G_FILE_TEST_EXISTS));
  fail_unless_equals_int (tool (NULL, "export", r.done_uris->pdata[0],
          "-o", mkv, NULL), 0);
  fail_unless (g_file_test (mkv, G_FILE_TEST_IS_REGULAR));
  g_unlink (mkv);
  g_free (mkv);
  rec_clear (&r);
}

GST_END_TEST;

/* A clip above the multipart threshold, through the real server (which
 * refuses parts under 5 MiB but the last). */
GST_START_TEST (test_multipart_real_server)
{
  gchar *path = g_build_filename (tmpdir, "big.seecitv", NULL), *data;
  gsize len = 11 * 1024 * 1024 + 3, i;
  GError *err = NULL;
  SeecitvS3Client *c;

  server_start ();
  data = g_malloc (len);
  for (i = 0; i < len; i++)
    data[i] = (gchar) (i * 31 + (i >> 16));
  fail_unless (g_file_set_contents (path, data, len, NULL));
  g_free (data);
  c = seecitv_s3_client_new ("s3://" BUCKET "/pre", endpoint, &err);
  seecitv_s3_client_set_multipart (c, SEECITV_S3_MIN_PART_SIZE,
      SEECITV_S3_MIN_PART_SIZE);
  fail_unless (seecitv_s3_client_put_file (c, "pre/" DEVICE "/big.seecitv",
          path, NULL, NULL, &err), "%s", err ? err->message : "");
  assert_remote_copy (c, path);
  seecitv_s3_client_free (c);
  g_unlink (path);
  g_free (path);
}

GST_END_TEST;

/* Stopping the pipeline while the EOS drain waits on a storage that is
 * down: the drain gives up at once (with upload-timeout at 10 min, a drain
 * that did not would hang the test), the clips stay queued. */
GST_START_TEST (test_stop_during_drain)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=15 ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast key-int-max=15 ! h264parse ! "
      "seecitvsink location=%s keystore=%s device-id=" DEVICE " "
      "trigger=continuous max-clip-duration=1000000000 "
      "upload=s3://" BUCKET "/pre upload-endpoint=%s "
      "upload-timeout=600000000000", clipdir, keystore, endpoint);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  guint closed = 0, failed = 0;

  /* Nothing listens on the endpoint. */
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  /* One clip (half a second), tried and retried: the stream ended long
   * before the retry, so the EOS drain is waiting now. */
  while (closed == 0 || failed < 2) {
    GstMessage *m = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
        GST_MESSAGE_ELEMENT | GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    const GstStructure *s;

    fail_unless (m != NULL);
    fail_unless (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ELEMENT);
    s = gst_message_get_structure (m);
    if (gst_structure_has_name (s, "seecitvsink-clip-closed"))
      closed++;
    else if (gst_structure_has_name (s, "seecitvsink-upload-failed"))
      failed++;
    gst_message_unref (m);
  }
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (queued (), closed);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
}

GST_END_TEST;

/* forget with the storage down: the device's queued uploads are dropped
 * (its keys are gone, nothing left to send), and the command says that the
 * remote copies could not be deleted (exit 1). */
GST_START_TEST (test_forget_with_storage_down)
{
  Rec r;
  gchar *out = NULL;

  record (15, "s3://" BUCKET "/pre", GST_SECOND, &r);
  fail_unless_equals_int (r.closed->len, 1);
  fail_unless_equals_int (queued (), 1);
  fail_unless_equals_int (tool (&out, "forget", "--device", DEVICE, NULL), 1);
  fail_unless (strstr (out, "removed device key") != NULL, "%s", out);
  fail_unless_equals_int (queued (), 0);
  g_free (out);
  rec_clear (&r);
}

GST_END_TEST;

/* Without a loadable upload module: a clear error at start, no crash. */
GST_START_TEST (test_no_module)
{
  gchar *cmd = g_strdup_printf ("gst-launch-1.0 videotestsrc num-buffers=5 ! "
      "x264enc ! h264parse ! seecitvsink location=%s keystore=%s "
      "upload=s3://" BUCKET " upload-endpoint=%s", clipdir, keystore,
      endpoint), **argv, *err_s = NULL;
  gchar **envp = g_environ_setenv (g_get_environ (), "SEECITV_UPLOAD_MODULE",
      "/etc/hostname", TRUE);
  gint status;

  fail_unless (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  fail_unless (g_spawn_sync (NULL, argv, envp, G_SPAWN_SEARCH_PATH, NULL,
          NULL, NULL, &err_s, &status, NULL));
  fail_if (g_spawn_check_wait_status (status, NULL));
  fail_unless (strstr (err_s, "not a seecitv upload module") != NULL
      || strstr (err_s, "cannot load the upload module") != NULL, "%s",
      err_s);
  g_strfreev (argv);
  g_strfreev (envp);
  g_free (err_s);
  g_free (cmd);
}

GST_END_TEST;

/* The secret never reaches a log line, a bus message or a property. The
 * recordings run in gst-launch-1.0 -m with every seecitv debug category at
 * the highest level, so that its whole output can be searched. */
#define CANARY "seecitv-secret-canary-4711"

/* Runs a short recording in gst-launch-1.0; returns stdout + stderr. */
static gchar *
launch_logged (const gchar * key_id)
{
  gchar *cmd = g_strdup_printf ("gst-launch-1.0 -m videotestsrc "
      "num-buffers=45 ! video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast key-int-max=15 ! h264parse ! "
      "seecitvsink location=%s keystore=%s device-id=" DEVICE " "
      "trigger=continuous max-clip-duration=1000000000 "
      "upload=s3://" BUCKET "/pre upload-endpoint=%s upload-timeout=5000000000",
      clipdir, keystore, endpoint), **argv, *out = NULL, *err = NULL, *all;
  gchar **envp = g_get_environ ();
  gint status;

  envp = g_environ_setenv (envp, "AWS_ACCESS_KEY_ID", key_id, TRUE);
  /* s3rver does not check signatures: any secret is accepted. */
  envp = g_environ_setenv (envp, "AWS_SECRET_ACCESS_KEY", CANARY, TRUE);
  envp = g_environ_setenv (envp, "GST_DEBUG", "seecitv*:9", TRUE);
  envp = g_environ_setenv (envp, "GST_DEBUG_NO_COLOR", "1", TRUE);
  fail_unless (g_shell_parse_argv (cmd, NULL, &argv, NULL));
  fail_unless (g_spawn_sync (NULL, argv, envp, G_SPAWN_SEARCH_PATH, NULL,
          NULL, &out, &err, &status, NULL));
  all = g_strconcat (out, err, NULL);
  g_strfreev (argv);
  g_strfreev (envp);
  g_free (out);
  g_free (err);
  g_free (cmd);
  return all;
}

GST_START_TEST (test_secret_never_logged)
{
  guint i, n;
  GParamSpec **specs;
  GstElement *sink;
  gchar *text;

  server_start ();
  text = launch_logged ("S3RVER");
  fail_unless (strstr (text, "seecitvsink-upload-done") != NULL, "%s", text);
  fail_unless (strstr (text, CANARY) == NULL);
  g_free (text);
  text = launch_logged ("UNKNOWNKEYID");
  fail_unless (strstr (text, "InvalidAccessKeyId") != NULL, "%s", text);
  fail_unless (strstr (text, CANARY) == NULL);
  g_free (text);

  /* No property can give it back either. */
  g_setenv ("AWS_SECRET_ACCESS_KEY", CANARY, TRUE);
  sink = gst_element_factory_make ("seecitvsink", NULL);
  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (sink), &n);
  for (i = 0; i < n; i++) {
    GValue v = G_VALUE_INIT;
    gchar *str;

    if (!(specs[i]->flags & G_PARAM_READABLE))
      continue;
    g_value_init (&v, specs[i]->value_type);
    g_object_get_property (G_OBJECT (sink), specs[i]->name, &v);
    str = g_strdup_value_contents (&v);
    fail_unless (strstr (str, CANARY) == NULL, "%s", specs[i]->name);
    g_free (str);
    g_value_unset (&v);
  }
  g_free (specs);
  gst_object_unref (sink);
}

GST_END_TEST;

/* ---- the generation marker's copy on S3 (docs/privacy.md) ---- */

/* Where `keys init` put the keystore's marker (its default path). */
static gchar *
marker_path (void)
{
  gchar *canon = g_canonicalize_filename (keystore, NULL);
  gchar *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canon, -1);
  gchar *path = g_build_filename (g_get_user_state_dir (), "seecitv",
      "markers", hash, NULL);

  g_free (hash);
  g_free (canon);
  return path;
}

static void
copy_file (const gchar * from, const gchar * to)
{
  gchar *data = NULL;
  gsize len = 0;

  fail_unless (g_file_get_contents (from, &data, &len, NULL), "%s", from);
  fail_unless (g_file_set_contents_full (to, data, len,
          G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL), "%s", to);
  g_free (data);
}

/* With !@back, copies the keystore and its marker aside as @tag; with
 * @back, puts that copy back over both (and drops a pending marker), as
 * someone who can write the keystore's folder and the marker's folder
 * (but not the bucket) can. */
static void
pair_copy (const gchar * tag, gboolean back)
{
  gchar *m = marker_path (), *pending = g_strconcat (m, ".new", NULL);
  gchar *ks_copy = g_strdup_printf ("%s/%s.keystore", tmpdir, tag);
  gchar *m_copy = g_strdup_printf ("%s/%s.marker", tmpdir, tag);

  copy_file (back ? ks_copy : keystore, back ? keystore : ks_copy);
  copy_file (back ? m_copy : m, back ? m : m_copy);
  if (back)
    g_unlink (pending);
  g_free (pending);
  g_free (ks_copy);
  g_free (m_copy);
  g_free (m);
}

/* seecitv export of @clip; *err_s its stderr (NULL: not kept). */
static gint
export_clip (const gchar * clip, gchar ** err_s)
{
  gchar *mkv = g_build_filename (tmpdir, "out.mkv", NULL);
  gint status = tool_err (err_s, "export", clip, "-o", mkv, "--force", NULL);

  g_free (mkv);
  return status;
}

/* One clip recorded and uploaded, the keystore and marker saved aside
 * ("old"), then an export, which puts the marker's first copy. */
static void
marker_copy_first (Rec * r)
{
  server_start ();
  record (15, "s3://" BUCKET "/pre", 30 * GST_SECOND, r);
  fail_unless_equals_int (r->done->len, 1);
  pair_copy ("old", FALSE);
  fail_unless_equals_int (export_clip (r->closed->pdata[0], NULL), 0);
  fail_unless_equals_int (stored_count ("pre/seecitv-marker"), 1);
}

/* A rollback of the keystore and of its local marker together passes the
 * local check, but not the copy that export put on S3 before, even after
 * the rolled-back keystore was saved more often since than between the
 * copy and the put (recording goes on). keys accept-restore accepts it. */
GST_START_TEST (test_marker_rollback_caught_on_s3)
{
  gchar *err_s = NULL;
  Rec r;

  marker_copy_first (&r);
  rec_clear (&r);

  pair_copy ("old", TRUE);
  /* Saves of the rolled-back keystore: more than the one export made. */
  record (45, "s3://" BUCKET "/pre", 30 * GST_SECOND, &r);
  fail_unless (r.closed->len >= 2);
  fail_unless_equals_int (export_clip (r.closed->pdata[0], &err_s), 1);
  fail_unless (strstr (err_s, "refused (reason rollback)") != NULL, "%s",
      err_s);
  fail_unless (strstr (err_s, "pre/seecitv-marker") != NULL, "%s", err_s);
  g_clear_pointer (&err_s, g_free);
  /* The copy is left as it is: it still names the later keystore. */
  fail_unless_equals_int (stored_count ("pre/seecitv-marker"), 1);

  fail_unless_equals_int (tool (NULL, "keys", "accept-restore", NULL), 0);
  fail_unless_equals_int (stored_count ("pre/seecitv-marker"), 2);
  fail_unless_equals_int (export_clip (r.closed->pdata[0], NULL), 0);
  rec_clear (&r);
}

GST_END_TEST;

/* The storage cannot be reached: export goes on, on the local marker
 * alone, with a warning naming the copy it could not read; no copy is put
 * (a rollback of both stays unnoticed until the storage answers). */
GST_START_TEST (test_marker_s3_unreachable)
{
  gchar *err_s = NULL;
  Rec r;

  marker_copy_first (&r);
  server_stop ();

  pair_copy ("old", TRUE);
  fail_unless_equals_int (export_clip (r.closed->pdata[0], &err_s), 0);
  fail_unless (strstr (err_s, "warning: cannot read the generation marker's "
          "copy s3://" BUCKET "/pre/seecitv-marker") != NULL, "%s", err_s);
  fail_unless (strstr (err_s, "only the local marker vouches") != NULL, "%s",
      err_s);
  g_clear_pointer (&err_s, g_free);

  /* Back up: the rollback is seen. */
  server_start ();
  fail_unless_equals_int (export_clip (r.closed->pdata[0], &err_s), 1);
  fail_unless (strstr (err_s, "refused (reason rollback)") != NULL, "%s",
      err_s);
  g_free (err_s);
  rec_clear (&r);
}

GST_END_TEST;

/* keys rotate re-keys the marker: it replaces the copies too, else the
 * old copy would not authenticate under the new key and export would
 * refuse (reason rollback). */
GST_START_TEST (test_marker_copy_rotated)
{
  Rec r;

  marker_copy_first (&r);
  fail_unless_equals_int (tool (NULL, "keys", "rotate", NULL), 0);
  fail_unless_equals_int (stored_count ("pre/seecitv-marker"), 2);
  fail_unless_equals_int (export_clip (r.closed->pdata[0], NULL), 0);
  rec_clear (&r);
}

GST_END_TEST;

static Suite *
seecitvsink_upload_suite (void)
{
  Suite *s = suite_create ("seecitvsink_upload");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 240);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_upload_list_purge_forget);
  tcase_add_test (tc, test_bad_key_and_bucket);
  tcase_add_test (tc, test_killed_pipeline_resumes);
  tcase_add_test (tc, test_secret_never_logged);
  tcase_add_test (tc, test_no_module);
  tcase_add_test (tc, test_forget_with_storage_down);
  tcase_add_test (tc, test_stop_during_drain);
  tcase_add_test (tc, test_delete_local);
  tcase_add_test (tc, test_multipart_real_server);
  tcase_add_test (tc, test_outage);
  tcase_add_test (tc, test_marker_rollback_caught_on_s3);
  tcase_add_test (tc, test_marker_s3_unreachable);
  tcase_add_test (tc, test_marker_copy_rotated);
  return s;
}

int
main (int argc, char **argv)
{
  const gchar *env = g_getenv ("SEECITV_S3RVER");
  Suite *s;
  int ret;

  s3rver_bin = g_strdup (env && *env ? env : SEECITV_S3RVER_DEFAULT);
  if (!g_file_test (s3rver_bin, G_FILE_TEST_IS_EXECUTABLE)) {
    g_print ("SKIP: s3rver not found at %s (./run test installs it; or set "
        "SEECITV_S3RVER)\n", s3rver_bin);
    g_free (s3rver_bin);
    return 77;
  }
  gst_check_init (&argc, &argv);
  s = seecitvsink_upload_suite ();
  ret = gst_check_run_suite (s, "seecitvsink_upload", __FILE__);
  g_free (s3rver_bin);
  return ret;
}
