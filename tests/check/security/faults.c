/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fault tests (issue 7's fault matrix, what the elements support): a
 * device that vanishes mid-part (a raw in-process server on 127.0.0.1 that
 * closes in the middle of a JPEG, and seecitv-device --drop-after), an
 * unreadable keystore, kill -9 of a recording process (gst-launch-1.0 in a
 * child) and recovery of the clip's prefix, and two pipelines recording
 * into one directory with one keystore at the same time; for seecitvsink,
 * kill -9 while a clip closes, and a pipeline clock jumping (plus file
 * times as a wall clock that was wrong) under retention. Secrets and file
 * modes are secrets.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/check/gsttestclock.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <seecitv/crypto/clip.h>
#include "../elements/seecitvsrc_device.h"
#include <seecitv/crypto/keystore.h>
#include "../common/testfs.h"
#include "../common/testkeystore.h"

#define DEVICE "cam-f"
#define JPEG_SIZE 300
#define FULL_PARTS 3

static const guint8 ebml_magic[4] = { 0x1a, 0x45, 0xdf, 0xa3 };

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = g_build_filename (g_get_tmp_dir (), "seecitv-faults-XXXXXX", NULL);
  fail_unless (g_mkdtemp (tmpdir) != NULL);
}

static void
teardown (void)
{
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static gchar *
tmp_path (const gchar * name)
{
  return g_build_filename (tmpdir, name, NULL);
}

/* ---- a raw server that dies mid-JPEG ---- */

/* Each connection: FULL_PARTS whole JPEGs, then the first half of one
 * more, then the socket is closed. Odd connections announce
 * Content-Length, even ones rely on the boundary alone. A JPEG carries
 * its connection and frame number in bytes 2..3; the cut one is marked
 * 0xee. */
typedef struct
{
  GSocketListener *listener;
  GCancellable *cancel;
  GThread *thread;
  guint16 port;
} RawServer;

static void
make_jpeg (guint8 * j, guint conn, guint frame)
{
  guint i;

  for (i = 0; i < JPEG_SIZE; i++)
    j[i] = (guint8) (i * 7 + conn);
  /* no 0xff inside, so no marker but ours */
  for (i = 0; i < JPEG_SIZE; i++)
    if (j[i] == 0xff)
      j[i] = 0x00;
  j[0] = 0xff;
  j[1] = 0xd8;
  j[2] = conn;
  j[3] = frame;
  j[JPEG_SIZE - 2] = 0xff;
  j[JPEG_SIZE - 1] = 0xd9;
}

static gboolean
send_all (GOutputStream * out, const void *data, gsize len)
{
  return g_output_stream_write_all (out, data, len, NULL, NULL, NULL);
}

static void
send_part (GOutputStream * out, const guint8 * j, gsize len,
    gboolean with_length)
{
  gchar *head = with_length ?
      g_strdup_printf ("--frame\r\nContent-Type: image/jpeg\r\n"
      "Content-Length: %u\r\n\r\n", JPEG_SIZE) :
      g_strdup ("--frame\r\nContent-Type: image/jpeg\r\n\r\n");

  send_all (out, head, strlen (head));
  send_all (out, j, len);
  g_free (head);
}

static gpointer
raw_server_thread (gpointer data)
{
  RawServer *s = data;
  guint conn = 0;
  GSocketConnection *c;

  while ((c = g_socket_listener_accept (s->listener, NULL, s->cancel,
              NULL)) != NULL) {
    GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (c));
    GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (c));
    GDataInputStream *din = g_data_input_stream_new (in);
    gboolean with_length = (conn % 2) == 0;
    static const gchar head[] = "HTTP/1.1 200 OK\r\n"
        "Content-Type: multipart/x-mixed-replace; boundary=frame\r\n"
        "Cache-Control: no-cache\r\nConnection: close\r\n\r\n";
    guint8 j[JPEG_SIZE];
    gchar *line;
    guint f;

    conn++;
    g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (din),
        FALSE);
    /* the request, up to its empty line */
    while ((line = g_data_input_stream_read_line (din, NULL, s->cancel,
                NULL)) != NULL) {
      gboolean end = line[0] == '\0' || strcmp (line, "\r") == 0;

      g_free (line);
      if (end)
        break;
    }
    g_object_unref (din);
    send_all (out, head, sizeof (head) - 1);
    for (f = 0; f < FULL_PARTS; f++) {
      make_jpeg (j, conn, f);
      send_part (out, j, JPEG_SIZE, with_length);
      send_all (out, "\r\n", 2);
      g_usleep (40 * 1000);
    }
    make_jpeg (j, conn, 0xee);
    send_part (out, j, JPEG_SIZE / 2, with_length);
    g_output_stream_flush (out, NULL, NULL);
    g_usleep (40 * 1000);
    g_io_stream_close (G_IO_STREAM (c), NULL, NULL);
    g_object_unref (c);
  }
  return NULL;
}

static RawServer *
raw_server_start (void)
{
  RawServer *s = g_new0 (RawServer, 1);
  GSocketAddress *sa = g_inet_socket_address_new_from_string ("127.0.0.1",
      0), *effective = NULL;

  s->listener = g_socket_listener_new ();
  s->cancel = g_cancellable_new ();
  fail_unless (g_socket_listener_add_address (s->listener, sa,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
          NULL));
  s->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
      (effective));
  g_object_unref (effective);
  g_object_unref (sa);
  s->thread = g_thread_new ("raw-server", raw_server_thread, s);
  return s;
}

static void
raw_server_stop (RawServer * s)
{
  g_cancellable_cancel (s->cancel);
  g_thread_join (s->thread);
  g_socket_listener_close (s->listener);
  g_object_unref (s->listener);
  g_object_unref (s->cancel);
  g_free (s);
}

/* ---- pulling from seecitvsrc ---- */

static TestPipe
pipe_new (const gchar * url)
{
  return test_pipe_new ("seecitvsrc name=src retry-delay=50000000 "
      "timeout=5000000000 ! appsink name=sink sync=false "
      "max-buffers=0", url);
}

static void
pipe_free (TestPipe * p)
{
  gst_element_set_state (p->pipeline, GST_STATE_NULL);
  test_pipe_unref (p);
}

static GstBuffer *
pull_buffer (TestPipe * p, guint i)
{
  GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (p->sink),
      20 * GST_SECOND);
  GstBuffer *buf;

  fail_unless (s != NULL, "no frame %u", i);
  buf = gst_buffer_ref (gst_sample_get_buffer (s));
  gst_sample_unref (s);
  return buf;
}

/* A whole JPEG: SOI first, EOI last. */
static void
assert_whole_jpeg (GstBuffer * buf, GstMapInfo * map)
{
  fail_unless (gst_buffer_map (buf, map, GST_MAP_READ));
  fail_unless (map->size >= 4);
  fail_unless (map->data[0] == 0xff && map->data[1] == 0xd8,
      "buffer does not start with FFD8");
  fail_unless (map->data[map->size - 2] == 0xff &&
      map->data[map->size - 1] == 0xd9, "truncated JPEG pushed (%"
      G_GSIZE_FORMAT " bytes, no FFD9 at the end)", map->size);
}

/* ---- tests ---- */

/* The server closes in the middle of a JPEG, with and without
 * Content-Length: the cut part never comes out, the source reconnects,
 * and exactly the first buffer of each connection is DISCONT. */
GST_START_TEST (test_vanish_mid_part)
{
  RawServer *s = raw_server_start ();
  gchar *url = g_strdup_printf ("http://127.0.0.1:%u/stream", s->port);
  TestPipe p = pipe_new (url);
  guint i, prev_conn = 0, disconts = 0, conns = 0;

  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 4 * FULL_PARTS; i++) {
    GstBuffer *buf = pull_buffer (&p, i);
    GstMapInfo map;
    guint conn, frame;

    assert_whole_jpeg (buf, &map);
    fail_unless_equals_int (map.size, JPEG_SIZE);
    conn = map.data[2];
    frame = map.data[3];
    fail_if (frame == 0xee, "the cut part was pushed");
    if (conn != prev_conn) {
      /* a new connection: its first buffer follows a gap */
      fail_unless (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT),
          "first buffer of connection %u (frame %u) not DISCONT", conn,
          frame);
      conns++;
    } else {
      fail_if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT),
          "DISCONT inside connection %u (frame %u)", conn, frame);
    }
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
      disconts++;
    prev_conn = conn;
    gst_buffer_unmap (buf, &map);
    gst_buffer_unref (buf);
  }
  /* reconnected at least twice, once in each framing */
  fail_unless (conns >= 3, "%u connections", conns);
  fail_unless_equals_int (disconts, conns);
  fail_if (gst_app_sink_is_eos (GST_APP_SINK (p.sink)));

  pipe_free (&p);
  raw_server_stop (s);
  g_free (url);
}

GST_END_TEST;

/* The real device side dropping connections (after whole parts): whole
 * JPEGs only, DISCONT after each gap. */
GST_START_TEST (test_device_drops)
{
  gchar *key = tmp_path ("cam.key");
  TestDevice *d;
  TestPipe p;
  guint i, disconts = 0;

  fail_unless (g_file_set_contents (key, "00112233445566778899aabbccddeeff"
          "00112233445566778899aabbccddeeff", -1, NULL));
  g_chmod (key, 0600);
  {
    const gchar *args[] = { "--key-file", key, "--device-id", DEVICE,
      "--drop-after", "3", NULL
    };
    d = test_device_startv (args);
  }
  fail_unless (g_str_has_prefix (d->url, "http://127.0.0.1:"));
  p = pipe_new (d->url);
  g_object_set (p.src, "device-id", DEVICE, "device-key-file", key, NULL);
  gst_element_set_state (p.pipeline, GST_STATE_PLAYING);
  for (i = 0; i < 10; i++) {
    GstBuffer *buf = pull_buffer (&p, i);
    GstMapInfo map;

    assert_whole_jpeg (buf, &map);
    gst_buffer_unmap (buf, &map);
    if (i > 0 && GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
      disconts++;
    gst_buffer_unref (buf);
  }
  fail_unless (disconts >= 2, "%u DISCONT", disconts);
  pipe_free (&p);
  test_device_stop (d);
  g_free (key);
}

GST_END_TEST;

static gchar *
make_keystore (const gchar * name)
{
  gchar *path = tmp_path (name);

  test_keystore_create (path, NULL);
  return path;
}

#define RECORD \
  "videotestsrc num-buffers=%d ! video/x-raw,width=64,height=48," \
  "framerate=15/1 ! jpegenc ! matroskamux streamable=true ! " \
  "seecitvcryptsink location=\"%s\" keystore=\"%s\" device-id=" DEVICE

/* Runs @desc to EOS or error; returns the error (or NULL) and its
 * details; counts warnings. */
static GError *
run (const gchar * desc, GstStructure ** details, guint * warnings)
{
  GstElement *p = gst_parse_launch (desc, NULL);
  GstBus *bus;
  GError *error = NULL;

  fail_unless (p != NULL, "%s", desc);
  bus = gst_element_get_bus (p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);

    fail_unless (msg != NULL, "timed out: %s", desc);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_WARNING) {
      if (warnings != NULL)
        (*warnings)++;
      gst_message_unref (msg);
      continue;
    }
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      const GstStructure *d = NULL;

      gst_message_parse_error (msg, &error, NULL);
      gst_message_parse_error_details (msg, &d);
      if (details != NULL)
        *details = d ? gst_structure_copy (d) : NULL;
    }
    gst_message_unref (msg);
    break;
  }
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (p);
  return error;
}

static guint
count_files (const gchar * dir, const gchar * suffix)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *n;
  guint count = 0;

  fail_unless (d != NULL);
  while ((n = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (n, suffix))
      count++;
  g_dir_close (d);
  return count;
}

static void
expect_keystore_error (const gchar * keystore, const gchar * what)
{
  gchar *clip = tmp_path ("clip.sctv");
  gchar *desc = g_strdup_printf (RECORD, 10, clip, keystore);
  GstStructure *details = NULL;
  GError *err = run (desc, &details, NULL);

  fail_unless (err != NULL, "recorded with %s", what);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ), "%s: %s", what, err->message);
  fail_unless (details != NULL, "%s: no details", what);
  fail_unless_equals_string (gst_structure_get_string (details, "keystore"),
      keystore);
  /* the same details in every element for a keystore that will not open */
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "keystore");
  fail_unless (gst_structure_has_field_typed (details, "keystore-error",
          G_TYPE_INT));
  fail_unless (gst_structure_get_string (details, "message") != NULL);
  /* no clip, not even an empty file */
  fail_if (g_file_test (clip, G_FILE_TEST_EXISTS), "%s: a clip was left",
      what);
  fail_unless_equals_int (count_files (tmpdir, ".sctv"), 0);
  g_error_free (err);
  gst_structure_free (details);
  g_free (desc);
  g_free (clip);
}

/* A keystore that cannot be read (running as root, chmod 000 would not
 * stop us): a directory in its place, a corrupt file, a truncated one,
 * its master key file replaced by a directory. */
GST_START_TEST (test_keystore_unreadable)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *key_path = seecitv_keystore_default_key_path (keystore);
  gchar *data = NULL;
  gsize len;
  guint8 junk[512];
  guint i;

  fail_unless (g_file_get_contents (keystore, &data, &len, NULL));

  /* corrupt: the same size, other bytes */
  for (i = 0; i < sizeof (junk); i++)
    junk[i] = g_random_int_range (0, 256);
  g_unlink (keystore);
  fail_unless (g_file_set_contents (keystore, (gchar *) junk,
          MIN (len, sizeof (junk)), NULL));
  g_chmod (keystore, 0600);
  expect_keystore_error (keystore, "a corrupt keystore");

  /* the real one, cut in half */
  g_unlink (keystore);
  fail_unless (g_file_set_contents (keystore, data, len / 2, NULL));
  g_chmod (keystore, 0600);
  expect_keystore_error (keystore, "a truncated keystore");

  /* one bit flipped */
  data[len - 1] ^= 1;
  g_unlink (keystore);
  fail_unless (g_file_set_contents (keystore, data, len, NULL));
  g_chmod (keystore, 0600);
  expect_keystore_error (keystore, "a tampered keystore");
  data[len - 1] ^= 1;

  /* a directory */
  g_unlink (keystore);
  fail_unless_equals_int (g_mkdir (keystore, 0700), 0);
  expect_keystore_error (keystore, "a directory as keystore");
  g_rmdir (keystore);

  /* the keystore fine, its master key file a directory */
  fail_unless (g_file_set_contents (keystore, data, len, NULL));
  g_chmod (keystore, 0600);
  g_unlink (key_path);
  fail_unless_equals_int (g_mkdir (key_path, 0700), 0);
  expect_keystore_error (keystore, "a directory as master key file");

  g_free (data);
  g_free (key_path);
  g_free (keystore);
}

GST_END_TEST;

/* Decrypts @path in prefix mode with its key from @keystore. */
static GByteArray *
recover_prefix (const gchar * path, const gchar * keystore,
    SeecitvClipEnd * end)
{
  GError *err = NULL;
  SeecitvKeystore *ks = seecitv_keystore_open_default (keystore, NULL, &err);
  SeecitvClipReader *reader;
  GByteArray *out = g_byte_array_new ();
  gchar *data = NULL;
  gsize len;

  fail_unless (ks != NULL, "%s", err ? err->message : "");
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  reader = seecitv_clip_reader_new (seecitv_keystore_clip_key_func, ks,
      (GDestroyNotify) seecitv_keystore_free,
      SEECITV_CLIP_READER_ALLOW_PREFIX);
  fail_unless (seecitv_clip_reader_push (reader, (guint8 *) data, len, out,
          &err), "%s", err ? err->message : "");
  fail_unless (seecitv_clip_reader_finish (reader, end, &err), "%s",
      err ? err->message : "");
  seecitv_clip_reader_free (reader);
  g_free (data);
  return out;
}

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  g_atomic_int_inc ((gint *) user_data);
  return GST_PAD_PROBE_OK;
}

/* Frames matroskademux gets out of the clear Matroska @path (an error at
 * the cut end is expected and ignored). */
static gint
demux_frames (const gchar * path)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! matroskademux ! "
      "fakesink name=out", path);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *out;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;
  gint frames = 0;

  fail_unless (p != NULL);
  out = gst_bin_get_by_name (GST_BIN (p), "out");
  pad = gst_element_get_static_pad (out, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &frames,
      NULL);
  bus = gst_element_get_bus (p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pad);
  gst_object_unref (out);
  gst_object_unref (p);
  g_free (desc);
  return g_atomic_int_get (&frames);
}

/* Starts @argv (a full path first) with its output to /dev/null. The
 * child inherits GST_PLUGIN_PATH_1_0 and the registry from the test
 * environment. */
static pid_t
spawn_quiet (const gchar * const *argv)
{
  pid_t pid = fork ();

  fail_unless (pid >= 0);
  if (pid == 0) {
    int null = open ("/dev/null", O_WRONLY);

    dup2 (null, 1);
    dup2 (null, 2);
    execv (argv[0], (char **) argv);
    _exit (127);
  }
  return pid;
}

/* A recording process killed with SIGKILL after the sync interval passed:
 * the clip's synced prefix decrypts and authenticates (prefix mode), and
 * the Matroska in it demuxes to frames. */
GST_START_TEST (test_kill_during_write)
{
  gchar *keystore = make_keystore ("keys.db");
  gchar *clip = tmp_path ("clip.sctv");
  gchar *plain_path = tmp_path ("recovered.mkv");
  gchar *launch = g_find_program_in_path ("gst-launch-1.0");
  gchar *loc = g_strdup_printf ("location=%s", clip);
  gchar *ks = g_strdup_printf ("keystore=%s", keystore);
  const gchar *argv[] = { launch, "-q", "videotestsrc", "is-live=true", "!",
    "video/x-raw,width=160,height=120,framerate=15/1", "!", "jpegenc", "!",
    "matroskamux", "streamable=true", "!", "seecitvcryptsink", loc, ks,
    "device-id=" DEVICE, "sync-interval=200000000", NULL
  };
  GByteArray *plain;
  SeecitvClipEnd end;
  struct stat st;
  gint64 deadline;
  pid_t pid;
  int status;

  fail_unless (launch != NULL, "gst-launch-1.0 not found");
  pid = spawn_quiet (argv);
  /* wait for data past the header, then past a few sync intervals */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline) {
    if (g_stat (clip, &st) == 0 && st.st_size > SEECITV_CLIP_HEADER_SIZE)
      break;
    fail_if (waitpid (pid, &status, WNOHANG) == pid,
        "the recording exited early (status %d)", status);
    g_usleep (50 * 1000);
  }
  fail_unless (g_stat (clip, &st) == 0 &&
      st.st_size > SEECITV_CLIP_HEADER_SIZE, "no synced data within 30 s");
  g_usleep (1200 * 1000);
  fail_unless_equals_int (kill (pid, SIGKILL), 0);
  fail_unless_equals_int (waitpid (pid, &status, 0), pid);
  fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

  plain = recover_prefix (clip, keystore, &end);
  fail_unless_equals_int (end, SEECITV_CLIP_END_PREFIX);
  fail_unless (plain->len > 0, "nothing recovered");
  fail_unless (memcmp (plain->data, ebml_magic, 4) == 0);
  fail_unless (g_file_set_contents (plain_path, (gchar *) plain->data,
          plain->len, NULL));
  fail_unless (demux_frames (plain_path) >= 1, "no frame in %u bytes",
      plain->len);

  g_byte_array_unref (plain);
  g_free (ks);
  g_free (loc);
  g_free (launch);
  g_free (plain_path);
  g_free (clip);
  g_free (keystore);
}

GST_END_TEST;

/* ---- two pipelines, one directory, one keystore ---- */

typedef struct
{
  gchar *desc;
  GError *error;
  guint warnings;
  GMutex *lock;
  GCond *cond;
  gint *ready;
} Job;

static gpointer
job_thread (gpointer data)
{
  Job *j = data;

  /* start together: both open and save the keystore at the same time */
  g_mutex_lock (j->lock);
  (*j->ready)++;
  g_cond_broadcast (j->cond);
  while (*j->ready < 2)
    g_cond_wait (j->cond, j->lock);
  g_mutex_unlock (j->lock);
  j->error = run (j->desc, NULL, &j->warnings);
  return NULL;
}

static void
assert_clip_complete (const gchar * path, const gchar * keystore)
{
  GError *err = NULL;
  SeecitvKeystore *ks = seecitv_keystore_open_default (keystore, NULL, &err);
  SeecitvClipReader *reader;
  GByteArray *out = g_byte_array_new ();
  SeecitvClipEnd end;
  gchar *data = NULL;
  gsize len;

  fail_unless (ks != NULL);
  fail_unless (g_file_get_contents (path, &data, &len, NULL));
  reader = seecitv_clip_reader_new (seecitv_keystore_clip_key_func, ks,
      (GDestroyNotify) seecitv_keystore_free, SEECITV_CLIP_READER_NONE);
  fail_unless (seecitv_clip_reader_push (reader, (guint8 *) data, len, out,
          &err) && seecitv_clip_reader_finish (reader, &end, &err),
      "%s: %s", path, err ? err->message : "");
  fail_unless_equals_int (end, SEECITV_CLIP_END_COMPLETE);
  fail_unless (out->len > 0 && memcmp (out->data, ebml_magic, 4) == 0);
  seecitv_clip_reader_free (reader);
  g_byte_array_unref (out);
  g_free (data);
}

GST_START_TEST (test_two_writers)
{
  gchar *keystore = make_keystore ("keys.db");
  GMutex lock;
  GCond cond;
  guint round, i;
  const guint rounds = 4;
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  SeecitvKeystore *ks;
  GPtrArray *clips;
  GError *err = NULL;

  g_mutex_init (&lock);
  g_cond_init (&cond);
  for (round = 0; round < rounds; round++) {
    Job jobs[2];
    GThread *threads[2];
    gint ready = 0;

    for (i = 0; i < 2; i++) {
      gchar *name = g_strdup_printf ("clip-%u-%u.sctv", round, i);
      gchar *path = tmp_path (name);

      memset (&jobs[i], 0, sizeof (Job));
      jobs[i].desc = g_strdup_printf (RECORD, 10, path, keystore);
      jobs[i].lock = &lock;
      jobs[i].cond = &cond;
      jobs[i].ready = &ready;
      g_ptr_array_add (paths, path);
      g_free (name);
    }
    for (i = 0; i < 2; i++)
      threads[i] = g_thread_new ("writer", job_thread, &jobs[i]);
    for (i = 0; i < 2; i++) {
      g_thread_join (threads[i]);
      fail_unless (jobs[i].error == NULL, "writer %u: %s", i,
          jobs[i].error->message);
      fail_unless_equals_int (jobs[i].warnings, 0);
      g_free (jobs[i].desc);
    }
  }
  g_mutex_clear (&lock);
  g_cond_clear (&cond);

  /* every clip complete and authentic, every key and end time kept */
  for (i = 0; i < paths->len; i++)
    assert_clip_complete (g_ptr_array_index (paths, i), keystore);
  ks = seecitv_keystore_open_default (keystore, NULL, &err);
  fail_unless (ks != NULL);
  clips = seecitv_keystore_list_clips (ks, DEVICE);
  fail_unless_equals_int (clips->len, paths->len);
  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *info = g_ptr_array_index (clips, i);
    guint8 key[SEECITV_CLIP_KEY_SIZE];

    fail_unless (seecitv_keystore_get_clip_key (ks, info->ids.clip_id, key,
            NULL, &err), "%s", err ? err->message : "");
    fail_unless (info->end_time >= info->start_time,
        "%s: no end time recorded", info->path);
  }
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);
  g_ptr_array_unref (paths);
  g_free (keystore);
}

GST_END_TEST;

/* ---- seecitvsink: kill -9 while a clip closes ---- */

/* The clip files in @dir: finished ones (@final) and temporary ones. */
static void
list_dir (const gchar * dir, GPtrArray * final, GPtrArray * temp)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  fail_unless (d != NULL);
  while ((name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);

    if (name[0] == '.') {
      fail_unless (g_str_has_suffix (name, ".seecitv.part"), "%s", name);
      g_ptr_array_add (temp, path);
    } else {
      fail_unless (g_str_has_suffix (name, ".seecitv"), "%s", name);
      g_ptr_array_add (final, path);
    }
  }
  g_dir_close (d);
}

static guint
count_final (const gchar * dir)
{
  GPtrArray *final = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *temp = g_ptr_array_new_with_free_func (g_free);
  guint n;

  list_dir (dir, final, temp);
  n = final->len;
  g_ptr_array_unref (final);
  g_ptr_array_unref (temp);
  return n;
}

/* seecitvsink recording JPEG in 0.3 s clips in a child process, killed
 * with SIGKILL the moment a clip gets its final name (while the sink
 * records it in the keystore, checks retention and the next clip opens),
 * twice, then once 150 ms into the next clip. Afterwards the keystore
 * opens, every finished clip decrypts whole, and the interrupted one
 * (still under its dot name) decrypts up to its last sync and plays. */
GST_START_TEST (test_kill_during_close)
{
  gchar *keystore = make_keystore ("sinkkeys.db");
  gchar *launch = g_find_program_in_path ("gst-launch-1.0");
  guint round;

  fail_unless (launch != NULL, "gst-launch-1.0 not found");
  for (round = 0; round < 3; round++) {
    gchar *name = g_strdup_printf ("clips%u", round);
    gchar *dir = tmp_path (name);
    gchar *loc = g_strdup_printf ("location=%s", dir);
    gchar *ks = g_strdup_printf ("keystore=%s", keystore);
    const gchar *argv[] = { launch, "-q", "videotestsrc", "is-live=true",
      "!", "video/x-raw,width=160,height=120,framerate=20/1", "!",
      "jpegenc", "!", "seecitvsink", "trigger=continuous", loc, ks,
      "device-id=" DEVICE, "max-clip-duration=300000000",
      "sync-interval=50000000", "retention=3600000000000", NULL
    };
    GPtrArray *final = g_ptr_array_new_with_free_func (g_free);
    GPtrArray *temp = g_ptr_array_new_with_free_func (g_free);
    guint before, i;
    gint64 deadline;
    SeecitvKeystore *k;
    pid_t pid;
    int status;

    fail_unless_equals_int (g_mkdir (dir, 0700), 0);
    pid = spawn_quiet (argv);
    /* two clips done, then kill as the next one is renamed */
    deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
    while ((before = count_final (dir)) < 2 + round) {
      fail_if (waitpid (pid, &status, WNOHANG) == pid,
          "the recording exited early (status %d)", status);
      fail_unless (g_get_monotonic_time () < deadline, "no clips in 30 s");
      g_usleep (10 * 1000);
    }
    while (count_final (dir) == before) {
      fail_unless (g_get_monotonic_time () < deadline, "no clip in 30 s");
      g_usleep (200);
    }
    /* the last round: in the middle of the next clip instead */
    if (round == 2)
      g_usleep (150 * 1000);
    fail_unless_equals_int (kill (pid, SIGKILL), 0);
    fail_unless_equals_int (waitpid (pid, &status, 0), pid);
    fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);

    k = seecitv_keystore_open_default (keystore, NULL, NULL);
    fail_unless (k != NULL, "the keystore does not open after kill -9");
    seecitv_keystore_free (k);
    list_dir (dir, final, temp);
    fail_unless (final->len >= before + 1);
    for (i = 0; i < final->len; i++)
      assert_clip_complete (g_ptr_array_index (final, i), keystore);
    /* at most the clip just opened, cut after its last sync */
    fail_unless (temp->len <= 1, "%u temporary files", temp->len);
    if (round == 2)
      fail_unless_equals_int (temp->len, 1);
    for (i = 0; i < temp->len; i++) {
      const gchar *path = g_ptr_array_index (temp, i);
      GByteArray *plain;
      SeecitvClipEnd end;
      struct stat st;

      fail_unless_equals_int (g_stat (path, &st), 0);
      if (st.st_size < SEECITV_CLIP_HEADER_SIZE)
        continue;               /* killed before its header was synced */
      plain = recover_prefix (path, keystore, &end);
      if (plain->len > 0)
        fail_unless (memcmp (plain->data, ebml_magic, 4) == 0);
      if (round == 2) {
        gchar *mkv = tmp_path ("interrupted.mkv");

        /* 150 ms at 20 fps with a sync every 50 ms: frames to play */
        fail_unless (g_file_set_contents (mkv, (gchar *) plain->data,
                plain->len, NULL));
        fail_unless (demux_frames (mkv) >= 1, "no frame in %u bytes",
            plain->len);
        g_free (mkv);
      }
      g_byte_array_unref (plain);
    }
    GST_INFO ("round %u: %u finished clips, %u interrupted", round,
        final->len, temp->len);
    g_ptr_array_unref (final);
    g_ptr_array_unref (temp);
    g_free (ks);
    g_free (loc);
    g_free (dir);
    g_free (name);
  }
  g_free (launch);
  g_free (keystore);
}

GST_END_TEST;

/* ---- seecitvsink: clock jumps ---- */

typedef struct
{
  GMutex lock;
  GPtrArray *closed;            /* paths */
  GPtrArray *deleted;           /* "reason:path" */
  gboolean rewound;
} JumpRec;

/* In the posting thread, before retention looks at the clip: the first
 * clip that closes gets a modification time ten years back, as if the
 * wall clock had been wrong then. */
static GstBusSyncReply
jump_sync (GstBus * bus, GstMessage * msg, gpointer data)
{
  JumpRec *r = data;
  const GstStructure *s = gst_message_get_structure (msg);

  if (GST_MESSAGE_TYPE (msg) != GST_MESSAGE_ELEMENT)
    return GST_BUS_PASS;
  g_mutex_lock (&r->lock);
  if (gst_structure_has_name (s, "seecitvsink-clip-closed")) {
    const gchar *path = gst_structure_get_string (s, "path");

    if (!r->rewound) {
      struct timeval tv[2] = { {time (NULL) - 10 * 365 * 86400, 0},
      {time (NULL) - 10 * 365 * 86400, 0}
      };

      fail_unless_equals_int (utimes (path, tv), 0);
      r->rewound = TRUE;
    }
    g_ptr_array_add (r->closed, g_strdup (path));
  } else if (gst_structure_has_name (s, "seecitvsink-deleted")) {
    g_ptr_array_add (r->deleted, g_strdup_printf ("%s:%s",
            gst_structure_get_string (s, "reason"),
            gst_structure_get_string (s, "path")));
  }
  g_mutex_unlock (&r->lock);
  return GST_BUS_PASS;
}

static void
set_mtime (const gchar * path, gint64 offset)
{
  struct timeval tv[2] = { {time (NULL) + offset, 0},
  {time (NULL) + offset, 0}
  };

  fail_unless (g_file_set_contents (path, "not a clip", -1, NULL));
  fail_unless_equals_int (utimes (path, tv), 0);
}

static GstPadProbeReturn
collect_pts (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstClockTime pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));

  g_array_append_val ((GArray *) user_data, pts);
  return GST_PAD_PROBE_OK;
}

/* Decrypts and demuxes @path; appends its frames' timestamps to @pts. */
static void
clip_frames (const gchar * path, const gchar * keystore, GArray * pts)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "seecitvdecrypt keystore=\"%s\" ! matroskademux ! fakesink name=out",
      path, keystore);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *out;
  GstPad *pad;
  GstBus *bus;
  GstMessage *msg;

  fail_unless (p != NULL);
  out = gst_bin_get_by_name (GST_BIN (p), "out");
  pad = gst_element_get_static_pad (out, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, collect_pts, pts, NULL);
  bus = gst_element_get_bus (p);
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pad);
  gst_object_unref (out);
  gst_object_unref (p);
  g_free (desc);
}

static gint
compare_first_pts (gconstpointer a, gconstpointer b)
{
  GstClockTime x = g_array_index (*(GArray **) a, GstClockTime, 0);
  GstClockTime y = g_array_index (*(GArray **) b, GstClockTime, 0);

  return x < y ? -1 : x > y;
}

#define JUMP_FRAMES 60
#define JUMP_AT 30
#define JUMP (3600 * GST_SECOND)

/* The pipeline clock (a GstTestClock) jumps one hour forward mid-stream;
 * frames are stamped from it, as a live source does. Clips still split on
 * keyframes, lose and duplicate no frame, and decrypt whole. Retention
 * (30 min) meanwhile: a clip file modified two hours ago goes, one
 * modified in the future (the wall clock was set back since) stays, and
 * a clip closed by this run stays even with a modification time ten years
 * back: its age is measured on the monotonic clock. */
GST_START_TEST (test_clock_jump)
{
  gchar *keystore = make_keystore ("jumpkeys.db");
  gchar *dir = tmp_path ("jumpclips");
  gchar *old = g_build_filename (dir, DEVICE "-old.seecitv", NULL);
  gchar *future = g_build_filename (dir, DEVICE "-future.seecitv", NULL);
  gchar *desc = g_strdup_printf ("appsrc name=src is-live=true format=time "
      "caps=video/x-raw,format=I420,width=160,height=120,framerate=10/1 ! "
      "seecitvsink location=\"%s\" keystore=\"%s\" device-id=" DEVICE " "
      "trigger=continuous max-clip-duration=2000000000 "
      "retention=1800000000000 encoder=\"x264enc speed-preset=ultrafast "
      "tune=zerolatency key-int-max=10\"", dir, keystore);
  GstElement *pipeline, *src;
  GstClock *clock = gst_test_clock_new ();
  GArray *pts = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  GPtrArray *clips = g_ptr_array_new_with_free_func ((GDestroyNotify)
      g_array_unref);
  JumpRec r;
  GstBus *bus;
  GstMessage *msg;
  GstClockTime base, now;
  guint i;
  gchar *expect;

  fail_unless_equals_int (g_mkdir (dir, 0700), 0);
  set_mtime (old, -2 * 3600);
  set_mtime (future, 365 * 86400);
  g_mutex_init (&r.lock);
  r.closed = g_ptr_array_new_with_free_func (g_free);
  r.deleted = g_ptr_array_new_with_free_func (g_free);
  r.rewound = FALSE;

  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gst_test_clock_set_time (GST_TEST_CLOCK (clock), GST_SECOND);
  gst_pipeline_use_clock (GST_PIPELINE (pipeline), clock);
  bus = gst_element_get_bus (pipeline);
  gst_bus_set_sync_handler (bus, jump_sync, &r, NULL);
  fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE);
  fail_if (gst_element_get_state (pipeline, NULL, NULL, 10 * GST_SECOND) ==
      GST_STATE_CHANGE_FAILURE);
  base = gst_element_get_base_time (pipeline);

  for (i = 0; i < JUMP_FRAMES; i++) {
    GstBuffer *buf = gst_buffer_new_allocate (NULL, 160 * 120 * 3 / 2, NULL);

    gst_buffer_memset (buf, 0, (i * 4) & 0xff, 160 * 120 * 3 / 2);
    now = gst_clock_get_time (clock);
    GST_BUFFER_PTS (buf) = now - base;
    GST_BUFFER_DURATION (buf) = GST_SECOND / 10;
    fail_unless_equals_int (gst_app_src_push_buffer (GST_APP_SRC (src), buf),
        GST_FLOW_OK);
    gst_test_clock_advance_time (GST_TEST_CLOCK (clock),
        (i + 1 == JUMP_AT ? JUMP : 0) + GST_SECOND / 10);
  }
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "timed out");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);

  /* retention: by modification time, never a clip closed in this run */
  expect = g_strdup_printf ("retention:%s", old);
  fail_unless_equals_int (r.deleted->len, 1);
  fail_unless_equals_string (g_ptr_array_index (r.deleted, 0), expect);
  g_free (expect);
  fail_if (g_file_test (old, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (future, G_FILE_TEST_EXISTS));
  fail_unless (r.rewound);

  /* every clip there, whole; every frame once, in order, across the jump
   * (clips close in their own threads: put them in stream order) */
  fail_unless (r.closed->len >= 3, "%u clips", r.closed->len);
  for (i = 0; i < r.closed->len; i++) {
    const gchar *path = g_ptr_array_index (r.closed, i);
    GArray *one = g_array_new (FALSE, FALSE, sizeof (GstClockTime));

    fail_unless (g_file_test (path, G_FILE_TEST_EXISTS), "%s deleted",
        path);
    assert_clip_complete (path, keystore);
    clip_frames (path, keystore, one);
    fail_unless (one->len > 0);
    g_ptr_array_add (clips, one);
  }
  g_ptr_array_sort (clips, compare_first_pts);
  for (i = 0; i < clips->len; i++) {
    GArray *one = g_ptr_array_index (clips, i);

    g_array_append_vals (pts, one->data, one->len);
  }
  fail_unless_equals_int (pts->len, JUMP_FRAMES);
  for (i = 1; i < pts->len; i++) {
    GstClockTime a = g_array_index (pts, GstClockTime, i - 1);
    GstClockTime b = g_array_index (pts, GstClockTime, i);

    fail_unless (b > a, "frame %u not after frame %u", i, i - 1);
    fail_unless_equals_uint64 (b - a,
        (i == JUMP_AT ? JUMP : 0) + GST_SECOND / 10);
  }

  g_array_unref (pts);
  g_ptr_array_unref (clips);
  g_ptr_array_unref (r.closed);
  g_ptr_array_unref (r.deleted);
  g_mutex_clear (&r.lock);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  gst_object_unref (clock);
  g_free (desc);
  g_free (future);
  g_free (old);
  g_free (dir);
  g_free (keystore);
}

GST_END_TEST;

/* Runs the seecitv command on @keystore; returns its exit status, its
 * standard output in *@out (caller frees). */
static gint
run_cli (const gchar * keystore, gchar ** out, const gchar * cmd,
    const gchar * arg)
{
  const gchar *argv[] = { SEECITV_TOOL, "--keystore", keystore, cmd, arg,
    NULL
  };
  gint status = 0;
  GError *error = NULL;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL, 0, NULL, NULL, out,
          NULL, &status, &error), "%s", error ? error->message : "");
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* kill -9 of a seecitvsink recording, then the same recorder started
 * again: the interrupted clip gets its final name (no `.part` of ours left;
 * one another live writer holds locked is left alone), its
 * index entry follows it, `seecitv verify` says truncated, it still
 * decrypts up to its last sync and plays. */
GST_START_TEST (test_kill_then_restart)
{
  gchar *keystore = make_keystore ("restartkeys.db");
  gchar *launch = g_find_program_in_path ("gst-launch-1.0");
  gchar *dir = tmp_path ("restart");
  gchar *loc = g_strdup_printf ("location=%s", dir);
  gchar *ks = g_strdup_printf ("keystore=%s", keystore);
  const gchar *argv[] = { launch, "-q", "videotestsrc", "is-live=true",
    "!", "video/x-raw,width=160,height=120,framerate=20/1", "!",
    "jpegenc", "!", "seecitvsink", "trigger=continuous", loc, ks,
    "device-id=" DEVICE, "sync-interval=50000000", NULL
  };
  GPtrArray *final = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *temp = g_ptr_array_new_with_free_func (g_free);
  gchar *desc, *interrupted, *expected, *out = NULL, *line, *mkv, **lines;
  gchar *live;
  int live_fd;
  GByteArray *plain;
  SeecitvClipEnd end;
  GError *error;
  gint64 deadline;
  struct stat st;
  guint i;
  pid_t pid;
  int status;

  fail_unless (launch != NULL, "gst-launch-1.0 not found");
  fail_unless_equals_int (g_mkdir (dir, 0700), 0);
  pid = spawn_quiet (argv);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  do {
    g_ptr_array_set_size (temp, 0);
    g_ptr_array_set_size (final, 0);
    list_dir (dir, final, temp);
    fail_if (waitpid (pid, &status, WNOHANG) == pid,
        "the recording exited early (status %d)", status);
    fail_unless (g_get_monotonic_time () < deadline, "no clip in 30 s");
    g_usleep (50 * 1000);
  } while (temp->len == 0 || g_stat (temp->pdata[0], &st) != 0 ||
      st.st_size <= SEECITV_CLIP_HEADER_SIZE);
  /* a few syncs into the clip */
  g_usleep (600 * 1000);
  fail_unless_equals_int (kill (pid, SIGKILL), 0);
  fail_unless_equals_int (waitpid (pid, &status, 0), pid);
  fail_unless (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  interrupted = g_path_get_basename (temp->pdata[0]);
  /* ".NAME.part" -> "NAME" */
  expected = g_build_filename (dir, interrupted + 1, NULL);
  expected[strlen (expected) - strlen (".part")] = '\0';

  /* Another live writer's clip (locked) is left alone. */
  live = g_build_filename (dir, ".other-20260101T000000.000Z.seecitv.part",
      NULL);
  live_fd = g_open (live, O_WRONLY | O_CREAT | O_EXCL, 0600);
  fail_unless (live_fd >= 0);
  fail_unless_equals_int (flock (live_fd, LOCK_EX), 0);

  /* Started again: a short recording of its own. */
  desc = g_strdup_printf ("videotestsrc num-buffers=10 ! "
      "video/x-raw,width=160,height=120,framerate=20/1 ! jpegenc ! "
      "seecitvsink trigger=continuous location=%s keystore=%s "
      "device-id=" DEVICE, dir, keystore);
  error = run (desc, NULL, NULL);
  fail_unless (error == NULL, "%s", error ? error->message : "");
  g_ptr_array_set_size (temp, 0);
  g_ptr_array_set_size (final, 0);
  list_dir (dir, final, temp);
  fail_unless_equals_int (temp->len, 1);
  fail_unless_equals_string (temp->pdata[0], live);
  close (live_fd);
  g_unlink (live);
  g_free (live);
  fail_unless_equals_int (final->len, 2);
  fail_unless (g_file_test (expected, G_FILE_TEST_IS_REGULAR), "%s",
      expected);

  /* Indexed as truncated (not complete): seecitvdecrypt plays it to EOS
   * with its truncation warning, no error. */
  {
    SeecitvKeystore *k = seecitv_keystore_open_default (keystore, NULL, NULL);
    GPtrArray *clips = seecitv_keystore_list_clips (k, NULL);
    guint warnings = 0, n_truncated = 0;

    for (i = 0; i < clips->len; i++) {
      SeecitvKeystoreClipInfo *c = clips->pdata[i];

      if (strcmp (c->path, expected) == 0) {
        fail_unless_equals_int (c->state, SEECITV_CLIP_STATE_TRUNCATED);
        n_truncated++;
      } else {
        fail_unless_equals_int (c->state, SEECITV_CLIP_STATE_COMPLETE);
      }
    }
    fail_unless_equals_int (n_truncated, 1);
    g_ptr_array_unref (clips);
    seecitv_keystore_free (k);
    gchar *play = g_strdup_printf ("filesrc location=%s ! seecitvdecrypt "
        "keystore=%s ! fakesink", expected, keystore);

    error = run (play, NULL, &warnings);
    g_free (play);
    fail_unless (error == NULL, "%s", error ? error->message : "");
    fail_unless_equals_int (warnings, 1);
  }

  /* Never lost: still decrypts up to its last sync, and plays. */
  plain = recover_prefix (expected, keystore, &end);
  fail_unless_equals_int (end, SEECITV_CLIP_END_PREFIX);
  mkv = tmp_path ("restarted.mkv");
  fail_unless (g_file_set_contents (mkv, (gchar *) plain->data, plain->len,
          NULL));
  fail_unless (demux_frames (mkv) >= 1, "no frame in %u bytes", plain->len);
  g_byte_array_unref (plain);

  /* The index follows it: listed present under its final name, with no
   * end time, truncated; verify says truncated (exit 1), the other clip
   * complete. */
  fail_unless_equals_int (run_cli (keystore, &out, "list", NULL), 0);
  fail_unless (strstr (out, interrupted) == NULL, "%s", out);
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i] != NULL && strstr (lines[i], expected) == NULL; i++);
  fail_unless (lines[i] != NULL, "%s", out);
  /* end and duration unknown ("-"), the file present */
  fail_unless (strstr (lines[i], "\t-\t-\t") != NULL, "%s", lines[i]);
  fail_unless (g_str_has_suffix (lines[i], "\tpresent\ttruncated"), "%s",
      lines[i]);
  g_strfreev (lines);
  g_free (out);
  fail_unless_equals_int (run_cli (keystore, &out, "verify", NULL), 1);
  line = strstr (out, expected);
  fail_unless (line != NULL, "%s", out);
  fail_unless (g_str_has_prefix (line + strlen (expected), "\ttruncated"),
      "%s", out);
  for (i = 0; i < final->len; i++)
    if (strcmp (final->pdata[i], expected) != 0)
      assert_clip_complete (final->pdata[i], keystore);
  g_free (out);

  g_free (mkv);
  g_free (desc);
  g_free (expected);
  g_free (interrupted);
  g_ptr_array_unref (final);
  g_ptr_array_unref (temp);
  g_free (ks);
  g_free (loc);
  g_free (dir);
  g_free (launch);
  g_free (keystore);
}

GST_END_TEST;

static Suite *
security_faults_suite (void)
{
  Suite *s = suite_create ("security-faults");
  TCase *tc = tcase_create ("general");

  test_no_proxy ();
  test_asan_no_fork ();

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_vanish_mid_part);
  tcase_add_test (tc, test_device_drops);
  tcase_add_test (tc, test_keystore_unreadable);
  tcase_add_test (tc, test_kill_during_write);
  tcase_add_test (tc, test_two_writers);
  tcase_add_test (tc, test_kill_during_close);
  tcase_add_test (tc, test_kill_then_restart);
  tcase_add_test (tc, test_clock_jump);
  return s;
}

GST_CHECK_MAIN (security_faults);
