/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs docs/cookbook.md. Every ```sh block of the cookbook is run, in
 * order, by `sh -eu` under `timeout`, in one fresh directory, with the
 * variables the cookbook documents set: CAM (the device's stream URL, from
 * a seecitv-device started here over HTTPS with the seecitv protocol, id
 * cam-1, pairing secret in ./pair.key), PIN (its certificate pin), NVR
 * (the RTSP URL of an NVR: a gst-rtsp-server in RECORD mode run here, which
 * decodes what it receives), and RTSP_CAM, RTSP_USER and ./camera.password
 * for an IP camera (rtsp-camera, a gst-rtsp-server process with Digest
 * authentication, H.264 video and Opus audio). The only change made to the text is the one
 * the cookbook states: autovideosink becomes fakesink. One device serves
 * every block in turn. A block that re-streams (rtspclientsink) runs, as
 * the cookbook says, until Ctrl-C: the test sends SIGINT to its
 * gst-launch-1.0 once the NVR has decoded 30 frames of the stream, and the
 * rest of the block then runs; the one shutdown error of GStreamer 1.22's
 * rtspclientsink that the cookbook describes is accepted there, in that
 * form only (rtspclientsink_shutdown_race). A block that exits non-zero or
 * times out fails the test; so does a gst-launch-1.0 line outside an ```sh
 * block (it would not be run), and an rtspclientsink line whose stream the
 * NVR did not receive and decode.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "../common/testfs.h"
#include "../elements/seecitvsrc_device.h"

#ifndef SEECITV_COOKBOOK_DOC
#error SEECITV_COOKBOOK_DOC must name docs/cookbook.md
#endif
#ifndef RTSP_CAMERA_TOOL
#error RTSP_CAMERA_TOOL must name tests/check/tools/rtsp-camera
#endif

/* Per block: generous for a loaded CI machine; the blocks take seconds. */
#define BLOCK_TIMEOUT "120"
#define DEVICE_ID "cam-1"
/* A re-stream runs until Ctrl-C: given once the NVR has decoded this many
 * frames of it (3 s of the device's 10 fps). */
#define INTERRUPT_FRAMES 30
#define MAX_MEDIA 16
#define CAMERA_USER "nvr"

/* Elements the cookbook uses beyond seecitv's own (Debian packages that
 * `run` installs); without them the test cannot run and skips. */
static const gchar *const needed[] = {
  "rtspclientsink", "x264enc", "avdec_h264", "matroskamux", "jpegdec",
  "rtph264depay",
};

typedef struct
{
  gchar *heading;               /* the last "#" line before the block */
  gchar *text;
  guint line;
} Block;

static void
block_free (Block * b)
{
  g_free (b->heading);
  g_free (b->text);
  g_free (b);
}

/* The ```sh blocks of @path, in order; *stray counts gst-launch-1.0 lines
 * outside them, *launches those inside. */
static GPtrArray *
parse_cookbook (const gchar * path, guint * stray, guint * launches)
{
  GPtrArray *blocks = g_ptr_array_new_with_free_func ((GDestroyNotify)
      block_free);
  gchar *text = NULL, **lines;
  gchar *heading = g_strdup ("");
  GString *cur = NULL;
  gboolean in_fence = FALSE;
  GError *err = NULL;
  guint i, start = 0;

  *stray = *launches = 0;
  fail_unless (g_file_get_contents (path, &text, NULL, &err), "%s: %s",
      path, err ? err->message : "");
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    const gchar *l = lines[i];

    if (g_str_has_prefix (l, "```")) {
      if (!in_fence) {
        in_fence = TRUE;
        if (strcmp (l, "```sh") == 0) {
          cur = g_string_new (NULL);
          start = i + 2;
        }
      } else {
        in_fence = FALSE;
        if (cur != NULL) {
          Block *b = g_new0 (Block, 1);

          b->heading = g_strdup (heading);
          b->text = g_string_free (cur, FALSE);
          b->line = start;
          g_ptr_array_add (blocks, b);
          cur = NULL;
        }
      }
      continue;
    }
    if (!in_fence && l[0] == '#') {
      g_free (heading);
      heading = g_strdup (l);
    }
    if (strstr (l, "gst-launch-1.0") != NULL && (in_fence || l[0] == ' ')) {
      if (cur != NULL) {
        (*launches)++;
      } else {
        g_printerr ("%s:%u: a gst-launch-1.0 line outside an ```sh block "
            "is not run by the test:\n  %s\n", path, i + 1, l);
        (*stray)++;
      }
    }
    if (cur != NULL)
      g_string_append_printf (cur, "%s\n", l);
  }
  fail_if (in_fence, "%s: unterminated code block", path);
  g_strfreev (lines);
  g_free (heading);
  g_free (text);
  return blocks;
}

/* ---- the NVR: gst-rtsp-server in RECORD mode ---- */

typedef struct
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GstRTSPServer *server;
  gchar *url;
  /* Decoded frames per RECORD session (one media each), atomic. */
  gint n_media;
  gint frames[MAX_MEDIA];
} Nvr;

static void
nvr_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad, gint * frames)
{
  g_atomic_int_inc (frames);
}

static void
nvr_media_constructed (GstRTSPMediaFactory * factory, GstRTSPMedia * media,
    Nvr * nvr)
{
  GstElement *bin = gst_rtsp_media_get_element (media);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (bin), "nvr");

  gint n = g_atomic_int_add (&nvr->n_media, 1);

  fail_unless (sink != NULL);
  fail_unless (n < MAX_MEDIA);
  g_signal_connect (sink, "handoff", G_CALLBACK (nvr_handoff),
      &nvr->frames[n]);
  gst_object_unref (sink);
  gst_object_unref (bin);
}

static gpointer
nvr_thread (Nvr * nvr)
{
  g_main_context_push_thread_default (nvr->context);
  g_main_loop_run (nvr->loop);
  g_main_context_pop_thread_default (nvr->context);
  return NULL;
}

static Nvr *
nvr_start (void)
{
  Nvr *nvr = g_new0 (Nvr, 1);
  GstRTSPMountPoints *mounts;
  GstRTSPMediaFactory *factory;

  nvr->context = g_main_context_new ();
  nvr->loop = g_main_loop_new (nvr->context, FALSE);
  nvr->server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (nvr->server, "127.0.0.1");
  gst_rtsp_server_set_service (nvr->server, "0");
  factory = gst_rtsp_media_factory_new ();
  gst_rtsp_media_factory_set_transport_mode (factory,
      GST_RTSP_TRANSPORT_MODE_RECORD);
  gst_rtsp_media_factory_set_launch (factory, "( rtph264depay name=depay0 "
      "! h264parse ! avdec_h264 ! fakesink name=nvr signal-handoffs=true )");
  g_signal_connect (factory, "media-constructed",
      G_CALLBACK (nvr_media_constructed), nvr);
  mounts = gst_rtsp_server_get_mount_points (nvr->server);
  gst_rtsp_mount_points_add_factory (mounts, "/" DEVICE_ID, factory);
  g_object_unref (mounts);
  fail_unless (gst_rtsp_server_attach (nvr->server, nvr->context) > 0);
  nvr->url = g_strdup_printf ("rtsp://127.0.0.1:%d/" DEVICE_ID,
      gst_rtsp_server_get_bound_port (nvr->server));
  nvr->thread = g_thread_new ("nvr", (GThreadFunc) nvr_thread, nvr);
  return nvr;
}

static gboolean
quit_loop (GMainLoop * loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
nvr_stop (Nvr * nvr)
{
  GstRTSPSessionPool *pool = gst_rtsp_server_get_session_pool (nvr->server);

  gst_rtsp_session_pool_cleanup (pool);
  g_object_unref (pool);
  g_main_context_invoke (nvr->context, (GSourceFunc) quit_loop, nvr->loop);
  g_thread_join (nvr->thread);
  g_object_unref (nvr->server);
  g_main_loop_unref (nvr->loop);
  g_main_context_unref (nvr->context);
  g_free (nvr->url);
  g_free (nvr);
}

/* ---- the device: seecitv-device as a subprocess ---- */

static TestDevice *
device_start (const gchar * key_file)
{
  gchar *key_arg = g_strconcat ("--key-file=", key_file, NULL);
  TestDevice *d = test_device_start ("--tls-generate",
      "--device-id=" DEVICE_ID, key_arg, NULL);

  g_free (key_arg);
  return d;
}

/* ---- the run ---- */

static gchar *
write_pair_key (const gchar * dir)
{
  gchar *path = g_build_filename (dir, "pair.key", NULL);
  GString *hex = g_string_new (NULL);
  guint i;

  for (i = 0; i < 32; i++)
    g_string_append_printf (hex, "%02x", g_random_int_range (0, 256));
  fail_unless (g_file_set_contents_full (path, hex->str, hex->len,
          G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  g_string_free (hex, TRUE);
  return path;
}

/* The IP camera: rtsp-camera on a free port, its password (random,
 * URL-safe) in DIR/camera.password (0600); *@url gets its stream URL. */
static GSubprocess *
camera_start (const gchar * dir, gchar ** url)
{
  gchar *path = g_build_filename (dir, "camera.password", NULL);
  gchar *pass = g_strdup_printf ("cam-%08x%08x", g_random_int (),
      g_random_int ());
  GError *err = NULL;
  GSubprocess *proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE,
      &err, RTSP_CAMERA_TOOL, "0", CAMERA_USER, pass, "h264", "digest",
      NULL);
  GDataInputStream *in;
  gchar *line;

  fail_unless (proc != NULL, "%s", err ? err->message : "");
  fail_unless (g_file_set_contents_full (path, pass, -1,
          G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  fail_unless (line != NULL && g_str_has_prefix (line, "camera: ready "),
      "camera: %s", GST_STR_NULL (line));
  *url = g_strdup_printf ("rtsp://127.0.0.1:%s/cam",
      line + strlen ("camera: ready "));
  g_free (line);
  g_object_unref (in);
  g_free (pass);
  g_free (path);
  return proc;
}

static gchar *
replace_all (const gchar * text, const gchar * from, const gchar * to)
{
  gchar **parts = g_strsplit (text, from, -1);
  gchar *r = g_strjoinv (to, parts);

  g_strfreev (parts);
  return r;
}

/* SIGINT to every gst-launch-1.0 process descended from @root (the block's
 * `timeout`), as a reader's Ctrl-C reaches the line running in their
 * shell; the shell itself goes on with the block. Returns how many. */
static guint
interrupt_launches (GPid root)
{
  GHashTable *parent = g_hash_table_new (NULL, NULL);
  GArray *launches = g_array_new (FALSE, FALSE, sizeof (gint));
  GDir *proc = g_dir_open ("/proc", 0, NULL);
  const gchar *name;
  guint i, n = 0;

  fail_unless (proc != NULL);
  while ((name = g_dir_read_name (proc)) != NULL) {
    gchar *path, *stat = NULL, *open_paren, *close_paren;
    gint pid, ppid;

    if (!g_ascii_isdigit (name[0]))
      continue;
    path = g_build_filename ("/proc", name, "stat", NULL);
    /* "pid (comm) state ppid ...": comm may hold spaces and parentheses */
    if (g_file_get_contents (path, &stat, NULL, NULL) &&
        (open_paren = strchr (stat, '(')) != NULL &&
        (close_paren = strrchr (stat, ')')) != NULL &&
        sscanf (close_paren + 1, " %*c %d", &ppid) == 1) {
      pid = atoi (stat);
      g_hash_table_insert (parent, GINT_TO_POINTER (pid),
          GINT_TO_POINTER (ppid));
      *close_paren = '\0';
      if (strcmp (open_paren + 1, "gst-launch-1.0") == 0)
        g_array_append_val (launches, pid);
    }
    g_free (stat);
    g_free (path);
  }
  g_dir_close (proc);

  for (i = 0; i < launches->len; i++) {
    gint pid = g_array_index (launches, gint, i), up = pid, depth;

    for (depth = 0; depth < 16 && up > 1 && up != root; depth++)
      up = GPOINTER_TO_INT (g_hash_table_lookup (parent,
              GINT_TO_POINTER (up)));
    if (up == root && kill (pid, SIGINT) == 0)
      n++;
  }
  g_array_unref (launches);
  g_hash_table_unref (parent);
  return n;
}

/* After the test's Ctrl-C, GStreamer 1.22's rtspclientsink sometimes
 * fails its own shutdown (see the cookbook: "Could not send message.
 * (Received end-of-file)" from rtspclientsink, or the source's "Internal
 * data stream error" it causes), and gst-launch-1.0 exits 1. That, and
 * only that, is accepted: a block made of one gst-launch-1.0 line (nothing
 * after it left unrun), interrupted by us, exit status 1, and every error
 * printed from rtspclientsink or a source's flow error, none from another
 * element (a seecitv element's own error is printed as its own line). */
static gboolean
rtspclientsink_shutdown_race (Block * b, GSubprocess * proc, gboolean
    interrupted, const gchar * out, const gchar * err)
{
  gchar **lines;
  guint i, errors = 0;
  gboolean other = FALSE;

  if (!interrupted || !g_subprocess_get_if_exited (proc) ||
      g_subprocess_get_exit_status (proc) != 1 ||
      !g_str_has_prefix (b->text, "gst-launch-1.0 ") ||
      out == NULL || strstr (out, "Interrupt: Stopping pipeline") == NULL ||
      err == NULL)
    return FALSE;
  /* one command: every line but the last continues with a backslash */
  lines = g_strsplit (b->text, "\n", -1);
  for (i = 0; lines[i] != NULL && lines[i + 1] != NULL && *lines[i + 1]; i++)
    if (!g_str_has_suffix (lines[i], "\\"))
      other = TRUE;
  g_strfreev (lines);
  lines = g_strsplit (err, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    if (!g_str_has_prefix (lines[i], "ERROR: from element "))
      continue;
    errors++;
    if (strstr (lines[i], "/GstRTSPClientSink:") == NULL &&
        !g_str_has_suffix (lines[i], ": Internal data stream error."))
      other = TRUE;
  }
  g_strfreev (lines);
  return errors > 0 && !other;
}

typedef struct
{
  Block *block;
  GSubprocess *proc;
  Nvr *nvr;
  gint first_session;           /* the NVR session its rtspclientsink makes */
  gboolean restreams;
  gboolean interrupted;
  gboolean done;
  gchar *out;
  gchar *err;
} BlockRun;

/* Every 200 ms while a block that re-streams runs: once the NVR has
 * decoded INTERRUPT_FRAMES of its stream, the reader's Ctrl-C. */
static gboolean
block_watch (gpointer data)
{
  BlockRun *r = data;
  gint frames;

  if (!r->restreams || r->interrupted ||
      g_atomic_int_get (&r->nvr->n_media) <= r->first_session)
    return G_SOURCE_CONTINUE;
  frames = g_atomic_int_get (&r->nvr->frames[r->first_session]);
  if (frames >= INTERRUPT_FRAMES) {
    guint n = interrupt_launches (atoi (g_subprocess_get_identifier
            (r->proc)));

    g_printerr ("cookbook.md:%u: the NVR decoded %d frames: Ctrl-C to %u "
        "gst-launch-1.0\n", r->block->line, frames, n);
    r->interrupted = n > 0;
  }
  return G_SOURCE_CONTINUE;
}

static void
block_done (GObject * proc, GAsyncResult * res, gpointer data)
{
  BlockRun *r = data;

  fail_unless (g_subprocess_communicate_utf8_finish (G_SUBPROCESS (proc),
          res, &r->out, &r->err, NULL));
  r->done = TRUE;
}

/* Runs @b in @dir with @envp; returns TRUE when it exits 0. A block that
 * re-streams (@restreams) runs until the reader would stop it (see
 * block_watch); @first_session is the NVR session number its stream gets. */
static gboolean
run_block (Block * b, const gchar * dir, gchar ** envp, Nvr * nvr,
    gboolean restreams, gint first_session)
{
  gchar *script = replace_all (b->text, "autovideosink", "fakesink");
  const gchar *argv[] = { "timeout", "-k", "5", BLOCK_TIMEOUT, "sh", "-eu",
    "-c", script, NULL
  };
  GSubprocessLauncher *launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  GMainContext *ctx = g_main_context_new ();
  BlockRun r = { b, NULL, nvr, first_session, restreams, FALSE, FALSE,
    NULL, NULL
  };
  GSource *watch;
  GError *err = NULL;
  gboolean ok;
  gint64 t0 = g_get_monotonic_time ();

  g_printerr ("cookbook.md:%u (%s): running\n", b->line, b->heading);
  g_main_context_push_thread_default (ctx);
  g_subprocess_launcher_set_cwd (launcher, dir);
  g_subprocess_launcher_set_environ (launcher, envp);
  r.proc = g_subprocess_launcher_spawnv (launcher, argv, &err);
  fail_unless (r.proc != NULL, "cannot run sh: %s", err ? err->message : "");
  g_subprocess_communicate_utf8_async (r.proc, NULL, NULL, block_done, &r);
  watch = g_timeout_source_new (200);
  g_source_set_callback (watch, block_watch, &r, NULL);
  g_source_attach (watch, ctx);
  while (!r.done)
    g_main_context_iteration (ctx, TRUE);
  g_source_destroy (watch);
  g_source_unref (watch);
  g_main_context_pop_thread_default (ctx);

  ok = g_subprocess_get_successful (r.proc);
  if (!ok && r.restreams && rtspclientsink_shutdown_race (b, r.proc,
          r.interrupted, r.out, r.err)) {
    g_printerr ("cookbook.md:%u: after Ctrl-C, rtspclientsink's known "
        "shutdown error (accepted, see the cookbook):\n%s", b->line, r.err);
    ok = TRUE;
  }
  if (ok && r.restreams && !r.interrupted) {
    g_printerr ("cookbook.md:%u: it ended before the NVR had %d frames\n",
        b->line, INTERRUPT_FRAMES);
    ok = FALSE;
  }
  g_printerr ("cookbook.md:%u: %s after %.1f s\n", b->line,
      ok ? "ok" : "FAILED", (g_get_monotonic_time () - t0) / 1e6);
  if (!ok)
    g_printerr ("---- block ----\n%s---- stdout ----\n%s---- stderr ----\n"
        "%s----\n", script, r.out, r.err);
  g_object_unref (r.proc);
  g_object_unref (launcher);
  g_main_context_unref (ctx);
  g_free (r.out);
  g_free (r.err);
  g_free (script);
  return ok;
}

GST_START_TEST (test_cookbook_runs)
{
  GPtrArray *blocks;
  guint stray, launches, i, failed = 0;
  gint restreams = 0;
  gchar *dir, *key, *tools, *path, *camera_url = NULL;
  gchar **envp;
  const gchar *asan;
  TestDevice *device;
  GSubprocess *camera;
  Nvr *nvr;

  blocks = parse_cookbook (SEECITV_COOKBOOK_DOC, &stray, &launches);
  fail_unless_equals_int (stray, 0);
  /* the five situations at least */
  fail_unless (launches >= 5, "only %u gst-launch-1.0 lines found", launches);

  dir = test_tmpdir_new ("seecitv-cookbook-XXXXXX");
  key = write_pair_key (dir);
  device = device_start (key);
  nvr = nvr_start ();
  camera = camera_start (dir, &camera_url);

  tools = g_path_get_dirname (SEECITV_DEVICE_TOOL);
  path = g_strconcat (tools, ":", g_getenv ("PATH"), NULL);
  envp = g_get_environ ();
  envp = g_environ_setenv (envp, "CAM", device->url, TRUE);
  envp = g_environ_setenv (envp, "PIN", device->pin, TRUE);
  envp = g_environ_setenv (envp, "NVR", nvr->url, TRUE);
  envp = g_environ_setenv (envp, "RTSP_CAM", camera_url, TRUE);
  envp = g_environ_setenv (envp, "RTSP_USER", CAMERA_USER, TRUE);
  envp = g_environ_setenv (envp, "PATH", path, TRUE);
  /* Everything is on 127.0.0.1: no proxy from the environment (and
   * libproxy's C++ exceptions abort under the preloaded ASan runtime). */
  envp = g_environ_setenv (envp, "GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  envp = g_environ_unsetenv (envp, "http_proxy");
  envp = g_environ_unsetenv (envp, "https_proxy");
  envp = g_environ_unsetenv (envp, "HTTP_PROXY");
  envp = g_environ_unsetenv (envp, "HTTPS_PROXY");
  /* In the ASan build gst-launch-1.0 runs with the runtime preloaded: its
   * own (GStreamer's) allocations at exit are not this test's subject. */
  asan = g_environ_getenv (envp, "ASAN_OPTIONS");
  if (asan != NULL) {
    gchar *opts = g_strconcat (asan, ":detect_leaks=0", NULL);

    envp = g_environ_setenv (envp, "ASAN_OPTIONS", opts, TRUE);
    g_free (opts);
  }

  for (i = 0; i < blocks->len && failed == 0; i++) {
    Block *b = g_ptr_array_index (blocks, i);
    gchar **parts = g_strsplit (b->text, "rtspclientsink location=", -1);
    gint first_session = restreams;

    restreams += g_strv_length (parts) - 1;
    g_strfreev (parts);
    if (!run_block (b, dir, envp, nvr, restreams > first_session,
            first_session))
      failed++;
  }

  /* Each rtspclientsink line made one RECORD session, and the NVR decoded
   * frames from each, up to the Ctrl-C. */
  fail_unless_equals_int (failed, 0);
  fail_unless_equals_int (g_atomic_int_get (&nvr->n_media), restreams);
  for (i = 0; i < (guint) restreams; i++) {
    gint n = g_atomic_int_get (&nvr->frames[i]);

    g_printerr ("the NVR decoded %d frames from session %u\n", n, i + 1);
    fail_unless (n >= INTERRUPT_FRAMES, "the NVR decoded %d frames from "
        "session %u", n, i + 1);
  }

  nvr_stop (nvr);
  g_subprocess_force_exit (camera);
  g_subprocess_wait (camera, NULL, NULL);
  g_object_unref (camera);
  g_free (camera_url);
  test_device_stop (device);
  test_remove_tree (dir);
  g_strfreev (envp);
  g_free (path);
  g_free (tools);
  g_free (key);
  g_free (dir);
  g_ptr_array_unref (blocks);
}

GST_END_TEST;

static Suite *
cookbook_suite (void)
{
  Suite *s = suite_create ("docs/cookbook");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 900);
  tcase_add_test (tc, test_cookbook_runs);
  return s;
}

int
main (int argc, char **argv)
{
  guint i;

  gst_check_init (&argc, &argv);
  for (i = 0; i < G_N_ELEMENTS (needed); i++) {
    GstElementFactory *f = gst_element_factory_find (needed[i]);

    if (f == NULL) {
      g_print ("SKIP: element %s is not installed (./run deps installs "
          "it)\n", needed[i]);
      return 77;
    }
    gst_object_unref (f);
  }
  return gst_check_run_suite (cookbook_suite (), "cookbook", __FILE__);
}
