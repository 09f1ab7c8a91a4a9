/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tests of the seecitv command (tools/seecitv.c), run as a subprocess
 * (SEECITV_TOOL) on clips recorded here with seecitvcryptsink: keys init,
 * list, verify (complete, tampered, truncated), export (frames, seekability,
 * truncated clips), sheet (size, thumbnails not blank, the motion strip),
 * audit (each export, sheet and playback; three-month expiry under a clock
 * faked with Debian's faketime, the tool reading none from its
 * environment), forget and purge (a copy taken before no longer
 * decrypts; forget, and purge --rotate, rotate the master key so that no
 * earlier version of the keystore opens with the current key), keys rotate
 * (key file and passphrase), passphrase keystores and usage errors;
 * a keystore rolled back to an older copy (export, sheet and playback
 * refused with reason rollback, recording going on, keys accept-restore);
 * pair, unpair and devices (bad secret files refused; with seecitv-device
 * built, SEECITV_DEVICE_TOOL: seecitvsrc keystore=… pulls from a device
 * holding the secret paired, is refused by one holding another, and can
 * no longer pull after forget or unpair; a passphrase keystore).
 * Everything lives in a g_mkdtemp() directory removed at the end: the
 * keystore in keys/, clips in rec/.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../common/testfs.h"
#include <seecitv/crypto/keystore.h>

#ifndef SEECITV_TOOL
#error "SEECITV_TOOL must name the seecitv executable"
#endif

#define N_FRAMES 30

static gchar *tmpdir;
static gchar *keystore;
static gchar *recdir;

static void
setup (void)
{
  gchar *keys;

  tmpdir = g_build_filename (g_get_tmp_dir (), "seecitv-tool-XXXXXX", NULL);
  fail_unless (g_mkdtemp (tmpdir) != NULL);
  keys = g_build_filename (tmpdir, "keys", NULL);
  fail_unless (g_mkdir (keys, 0700) == 0);
  keystore = g_build_filename (keys, "keystore", NULL);
  g_free (keys);
  recdir = g_build_filename (tmpdir, "rec", NULL);
  fail_unless (g_mkdir (recdir, 0700) == 0);
}

static void
teardown (void)
{
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
  g_clear_pointer (&keystore, g_free);
  g_clear_pointer (&recdir, g_free);
}

static gchar *
rec_path (const gchar * name)
{
  return g_build_filename (recdir, name, NULL);
}

/* Debian's libfaketime (package libfaketime, which faketime depends on):
 * /usr/lib/<multiarch>/faketime/libfaketime.so.1. */
static gchar *
faketime_library (void)
{
  GDir *dir = g_dir_open ("/usr/lib", 0, NULL);
  const gchar *name;
  gchar *found = NULL;

  fail_unless (dir != NULL);
  while (found == NULL && (name = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_build_filename ("/usr/lib", name, "faketime",
        "libfaketime.so.1", NULL);

    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      found = path;
    else
      g_free (path);
  }
  g_dir_close (dir);
  fail_unless (found != NULL, "libfaketime.so.1 not found (apt-get install "
      "faketime)");
  return found;
}

/* Runs @program (the tool when NULL) with the NULL-terminated arguments,
 * with the wall clock frozen at @now (ISO 8601 UTC, "2026-01-01T00:00:00Z")
 * by libfaketime when @now is not NULL; returns its exit status (-1 when it
 * did not exit normally). @out and @err (optional) receive its stdout and
 * stderr. */
static gint
run_toolv (const gchar * now, const gchar * program, gchar ** out,
    gchar ** err, const gchar * first, va_list ap)
{
  gchar **envp = g_get_environ ();
  GPtrArray *argv = g_ptr_array_new_with_free_func (g_free);
  const gchar *a;
  gchar *o = NULL, *e = NULL;
  gint wait_status = 0;
  GError *error = NULL;

  /* keys init's default generation marker: here, not in $HOME. */
  {
    gchar *state = g_build_filename (tmpdir, "state", NULL);

    envp = g_environ_setenv (envp, "XDG_STATE_HOME", state, TRUE);
    g_free (state);
  }
  if (now != NULL) {
    gchar *stamp = g_strndup (now, 19);
    const gchar *preload = g_environ_getenv (envp, "LD_PRELOAD");
    const gchar *asan_options = g_environ_getenv (envp, "ASAN_OPTIONS");
    gchar *lib = faketime_library ();
    /* libfaketime preloaded straight (not through the faketime wrapper,
     * which would put it first): an ASan build preloads its runtime,
     * which must stay first. ASan's allocator must then not read the
     * clock: it does so, under its own lock, to pace returning memory to
     * the system, libfaketime's clock_gettime allocates, and
     * gst-launch-1.0 deadlocked (test_audit timed out under ASan,
     * backtrace in __sanitizer::Mutex::Lock). Builds without ASan ignore
     * ASAN_OPTIONS. */
    gchar *both = preload != NULL && *preload != '\0' ?
        g_strconcat (preload, ":", lib, NULL) : g_strdup (lib);
    gchar *asan = g_strconcat (asan_options ? asan_options : "",
        ":allocator_release_to_os_interval_ms=-1", NULL);

    stamp[10] = ' ';
    envp = g_environ_setenv (envp, "TZ", "UTC", TRUE);
    /* only the wall clock: timeouts and GStreamer's clock keep running */
    envp = g_environ_setenv (envp, "FAKETIME_DONT_FAKE_MONOTONIC", "1",
        TRUE);
    envp = g_environ_setenv (envp, "LD_PRELOAD", both, TRUE);
    envp = g_environ_setenv (envp, "FAKETIME", stamp, TRUE);
    envp = g_environ_setenv (envp, "ASAN_OPTIONS", asan, TRUE);
    g_free (asan);
    g_free (both);
    g_free (lib);
    g_free (stamp);
  }
  g_ptr_array_add (argv, g_strdup (program ? program : SEECITV_TOOL));
  for (a = first; a != NULL; a = va_arg (ap, const gchar *))
    g_ptr_array_add (argv, g_strdup (a));
  g_ptr_array_add (argv, NULL);
  fail_unless (g_spawn_sync (tmpdir, (gchar **) argv->pdata, envp,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &o, &e, &wait_status, &error),
      "%s", error ? error->message : "");
  g_ptr_array_free (argv, TRUE);
  g_strfreev (envp);
  GST_INFO ("stdout:\n%s\nstderr:\n%s", o, e);
  if (out)
    *out = o;
  else
    g_free (o);
  if (err)
    *err = e;
  else
    g_free (e);
  if (!WIFEXITED (wait_status))
    return -1;
  return WEXITSTATUS (wait_status);
}

static gint
run_tool (gchar ** out, gchar ** err, const gchar * first, ...)
{
  va_list ap;
  gint status;

  va_start (ap, first);
  status = run_toolv (NULL, NULL, out, err, first, ap);
  va_end (ap);
  return status;
}

static gint
run_program_at (const gchar * now, const gchar * program, gchar ** out,
    gchar ** err, const gchar * first, ...)
{
  va_list ap;
  gint status;

  va_start (ap, first);
  status = run_toolv (now, program, out, err, first, ap);
  va_end (ap);
  return status;
}

/* run_tool () with the wall clock frozen at @now (ISO 8601 UTC). */
#define run_tool_at(now, out, err, ...) \
    run_program_at (now, NULL, out, err, __VA_ARGS__)

/* Plays @clip through seecitvdecrypt in gst-launch-1.0 at @now (as
 * run_tool_at ()); returns its exit status. */
static gint
play_clip_at (const gchar * now, const gchar * clip)
{
  gchar *loc = g_strdup_printf ("location=%s", clip);
  gchar *ks = g_strdup_printf ("keystore=%s", keystore);
  gchar *err = NULL;
  gint status;

  status = run_program_at (now, "gst-launch-1.0", NULL, &err, "-q",
      "filesrc", loc, "!", "seecitvdecrypt", ks, "!", "matroskademux", "!",
      "h264parse", "!", "fakesink", NULL);
  if (status != 0)
    GST_WARNING ("gst-launch-1.0: %s", err);
  g_free (err);
  g_free (ks);
  g_free (loc);
  return status;
}

static void
keys_init (void)
{
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "keys", "init", NULL), 0);
}

/* ---- pipelines ---- */

typedef struct
{
  gboolean eos;
  GError *error;
  guint frames;
} Run;

static GstPadProbeReturn
count_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Run *r = user_data;

  g_atomic_int_inc (&r->frames);
  return GST_PAD_PROBE_OK;
}

static void
run_launch (const gchar * description, Run * r)
{
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (description, &err);
  GstElement *out;
  GstBus *bus;
  GstMessage *msg;

  fail_unless (pipeline != NULL, "%s: %s", description,
      err ? err->message : "");
  memset (r, 0, sizeof (*r));
  out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  if (out != NULL) {
    GstPad *pad = gst_element_get_static_pad (out, "sink");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, r, NULL);
    gst_object_unref (pad);
    gst_object_unref (out);
  }
  bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "pipeline timed out");
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &r->error, NULL);
  else
    r->eos = TRUE;
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}

/* Records @frames of videotestsrc's @pattern as H.264 into @location with
 * seecitvcryptsink. */
static void
record_pattern (const gchar * location, const gchar * device,
    const gchar * extra, const gchar * pattern, guint frames)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=%u pattern=%s ! "
      "video/x-raw,width=160,height=120,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast key-int-max=10 ! h264parse ! "
      "matroskamux streamable=true ! seecitvcryptsink location=\"%s\" "
      "keystore=\"%s\" device-id=%s %s", frames, pattern, location,
      keystore, device, extra ? extra : "");
  Run r;

  run_launch (desc, &r);
  g_free (desc);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);
}

/* Records N_FRAMES of H.264 into @location with seecitvcryptsink. */
static void
record (const gchar * location, const gchar * device, const gchar * extra)
{
  record_pattern (location, device, extra, "smpte", N_FRAMES);
}

/* Plays a clip through seecitvdecrypt; the error, if any, is in @r. */
static void
play_clip (const gchar * location, Run * r)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "seecitvdecrypt keystore=\"%s\" ! matroskademux ! h264parse ! "
      "fakesink name=out", location, keystore);

  run_launch (desc, r);
  g_free (desc);
}

static guint
count_clear_frames (const gchar * location)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "matroskademux ! h264parse ! fakesink name=out", location);
  Run r;

  run_launch (desc, &r);
  g_free (desc);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);
  return r.frames;
}

/* Whether a PAUSED playback pipeline of clear Matroska @location says it
 * can seek in time, with a known duration. */
static gboolean
is_seekable (const gchar * location)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "matroskademux ! h264parse ! fakesink", location);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstQuery *q;
  gboolean seekable = FALSE;
  gint64 duration = -1;

  g_free (desc);
  fail_unless (pipeline != NULL);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (gst_element_get_state (pipeline, NULL, NULL,
          30 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  q = gst_query_new_seeking (GST_FORMAT_TIME);
  if (gst_element_query (pipeline, q))
    gst_query_parse_seeking (q, NULL, &seekable, NULL, NULL);
  gst_query_unref (q);
  fail_unless (gst_element_query_duration (pipeline, GST_FORMAT_TIME,
          &duration));
  fail_unless (duration > 0);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return seekable;
}

/* ---- files ---- */

static void
copy_file (const gchar * from, const gchar * to, gssize len)
{
  gchar *data;
  gsize n;

  fail_unless (g_file_get_contents (from, &data, &n, NULL));
  if (len >= 0 && (gsize) len < n)
    n = len;
  fail_unless (g_file_set_contents (to, data, n, NULL));
  g_free (data);
}

static void
flip_byte (const gchar * path, gsize offset)
{
  gchar *data;
  gsize n;

  fail_unless (g_file_get_contents (path, &data, &n, NULL));
  fail_unless (offset < n);
  data[offset] ^= 0x01;
  fail_unless (g_file_set_contents (path, data, n, NULL));
  g_free (data);
}

static gsize
file_size (const gchar * path)
{
  GStatBuf st;

  fail_unless (g_stat (path, &st) == 0);
  return st.st_size;
}

static guint
file_mode (const gchar * path)
{
  GStatBuf st;

  fail_unless (g_stat (path, &st) == 0);
  return st.st_mode & 0777;
}

/* ---- tests ---- */

GST_START_TEST (test_keys_init)
{
  gchar *key_path = g_strconcat (keystore, ".key", NULL);
  gchar *err = NULL, *out = NULL;
  gchar *before, *after, *under_rec, *clip, *beside;
  gsize n;

  keys_init ();
  fail_unless_equals_int (file_mode (keystore), 0600);
  fail_unless_equals_int (file_mode (key_path), 0600);
  fail_unless_equals_int (file_size (key_path), 32);

  /* Refuses to overwrite, and leaves both files alone. */
  fail_unless (g_file_get_contents (key_path, &before, &n, NULL));
  fail_unless_equals_int (run_tool (NULL, &err, "--keystore", keystore,
          "keys", "init", NULL), 1);
  fail_unless (strstr (err, "exists") != NULL, "%s", err);
  g_free (err);
  fail_unless (g_file_get_contents (key_path, &after, &n, NULL));
  fail_unless (memcmp (before, after, 32) == 0);
  g_free (before);
  g_free (after);

  /* A lost key file is not silently replaced either. */
  g_unlink (key_path);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "keys", "init", NULL), 1);
  fail_if (g_file_test (key_path, G_FILE_TEST_EXISTS));

  /* Never inside the recordings directory, nor beside clips. */
  under_rec = rec_path ("sub/keystore");
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", under_rec,
          "keys", "init", "--recordings", recdir, NULL), 1);
  fail_if (g_file_test (under_rec, G_FILE_TEST_EXISTS));
  g_free (under_rec);

  /* The key file is gone: record with a fresh keystore elsewhere. */
  g_unlink (keystore);
  keys_init ();
  clip = rec_path ("a.sctv");
  record (clip, "cam1", NULL);
  beside = rec_path ("keystore");
  fail_unless_equals_int (run_tool (NULL, &err, "--keystore", beside,
          "keys", "init", NULL), 1);
  fail_unless (strstr (err, "clip") != NULL, "%s", err);
  fail_if (g_file_test (beside, G_FILE_TEST_EXISTS));
  g_free (err);
  g_free (beside);
  g_free (clip);

  /* Help and usage errors. */
  fail_unless_equals_int (run_tool (&out, NULL, "--help", NULL), 0);
  fail_unless (strstr (out, "Exit status") != NULL);
  g_free (out);
  fail_unless_equals_int (run_tool (NULL, NULL, "nonsense", NULL), 2);
  fail_unless_equals_int (run_tool (NULL, NULL, NULL), 2);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "list", "--no-such-option", NULL), 2);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "export", "x", NULL), 2);
  g_free (key_path);
}

GST_END_TEST;

GST_START_TEST (test_list_verify)
{
  gchar *clip = rec_path ("a.sctv");
  gchar *tampered = rec_path ("tampered.sctv");
  gchar *truncated = rec_path ("truncated.sctv");
  gchar *out = NULL;
  gchar **lines, **fields;
  gchar *size;

  keys_init ();
  record (clip, "cam1", NULL);

  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "list", NULL), 0);
  lines = g_strsplit (out, "\n", -1);
  g_free (out);
  fail_unless_equals_string (lines[0],
      "clip-id\tdevice\tstart\tend\tduration\tpath\tsize\tstatus\tstate");
  fields = g_strsplit (lines[1], "\t", -1);
  fail_unless_equals_int (g_strv_length (fields), 9);
  fail_unless_equals_int (strlen (fields[0]), 32);
  fail_unless_equals_string (fields[1], "cam1");
  fail_unless (g_str_has_suffix (fields[2], "Z"));
  fail_unless (g_str_has_suffix (fields[3], "Z"));
  {
    /* Wall-clock times of the recording (not running times), and its
     * duration. */
    GDateTime *start = g_date_time_new_from_iso8601 (fields[2], NULL);
    GDateTime *end = g_date_time_new_from_iso8601 (fields[3], NULL);
    gint64 now = g_get_real_time () / G_USEC_PER_SEC;

    fail_unless (start != NULL && end != NULL);
    fail_unless (ABS (g_date_time_to_unix (start) - now) < 600, "%s",
        fields[2]);
    fail_unless (g_date_time_compare (start, end) <= 0);
    fail_unless (g_ascii_strtod (fields[4], NULL) >= 0.0);
    fail_unless (ABS (g_date_time_difference (end, start) / 1e6 -
            g_ascii_strtod (fields[4], NULL)) < 0.002, "%s", fields[4]);
    g_date_time_unref (start);
    g_date_time_unref (end);
  }
  fail_unless_equals_string (fields[5], clip);
  size = g_strdup_printf ("%" G_GSIZE_FORMAT, file_size (clip));
  fail_unless_equals_string (fields[6], size);
  g_free (size);
  fail_unless_equals_string (fields[7], "present");
  fail_unless_equals_string (fields[8], "complete");
  fail_unless_equals_string (lines[2], "");
  g_strfreev (fields);
  g_strfreev (lines);

  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "list", "--json", NULL), 0);
  fail_unless (strstr (out, "\"device\": \"cam1\"") != NULL, "%s", out);
  fail_unless (strstr (out, "\"status\": \"present\", \"state\": "
          "\"complete\"") != NULL, "%s", out);
  g_free (out);

  /* Every indexed clip, then a named one. */
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "verify", NULL), 0);
  fail_unless (strstr (out, "\tcomplete\n") != NULL, "%s", out);
  g_free (out);

  copy_file (clip, tampered, -1);
  flip_byte (tampered, file_size (tampered) / 2);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "verify", tampered, NULL), 1);
  fail_unless (strstr (out, "\ttampered\n") != NULL, "%s", out);
  g_free (out);

  copy_file (clip, truncated, file_size (clip) - 100);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "verify", truncated, clip, NULL), 1);
  fail_unless (strstr (out, "truncated.sctv\ttruncated") != NULL, "%s", out);
  fail_unless (strstr (out, "a.sctv\tcomplete\n") != NULL, "%s", out);
  g_free (out);

  /* A missing indexed clip is listed as missing and fails verify. */
  g_unlink (clip);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "list", NULL), 0);
  fail_unless (strstr (out, "\tmissing\tcomplete\n") != NULL, "%s", out);
  g_free (out);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "verify", NULL), 1);
  fail_unless (strstr (out, "\tmissing\n") != NULL, "%s", out);
  g_free (out);

  g_free (truncated);
  g_free (tampered);
  g_free (clip);
}

GST_END_TEST;

/* A clip seecitvsink recorded faster than real time (150 frames at
 * 15 fps: 10 s of media in well under 10 s) is listed with its media's
 * duration, not the time its file was open. */
GST_START_TEST (test_list_media_duration)
{
  gchar *dir = rec_path ("sink");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=150 ! "
      "video/x-raw,width=160,height=120,framerate=15/1 ! jpegenc ! "
      "seecitvsink trigger=continuous location=\"%s\" keystore=\"%s\" "
      "device-id=cam1", dir, keystore);
  gchar *out = NULL;
  gchar **lines, **fields;
  gdouble duration;
  Run r;

  keys_init ();
  run_launch (desc, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);

  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "list", NULL), 0);
  lines = g_strsplit (out, "\n", -1);
  fail_unless_equals_int (g_strv_length (lines), 3);
  fields = g_strsplit (lines[1], "\t", -1);
  fail_unless_equals_int (g_strv_length (fields), 9);
  duration = g_ascii_strtod (fields[4], NULL);
  /* first PTS 0, last 149/15 s plus one frame: 10 s */
  fail_unless (ABS (duration - 10.0) <= 0.1, "duration %s", fields[4]);
  fail_unless_equals_string (fields[7], "present");
  g_strfreev (fields);
  g_strfreev (lines);
  g_free (out);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "list", "--json", NULL), 0);
  fail_unless (strstr (out, "\"duration\": 10.0") != NULL ||
      strstr (out, "\"duration\": 9.9") != NULL, "%s", out);
  g_free (out);
  g_free (desc);
  g_free (dir);
}

GST_END_TEST;

GST_START_TEST (test_export)
{
  gchar *clip = rec_path ("a.sctv");
  gchar *truncated = rec_path ("truncated.sctv");
  gchar *tampered = rec_path ("tampered.sctv");
  gchar *mkv = g_build_filename (tmpdir, "out.mkv", NULL);
  gchar *mkv2 = g_build_filename (tmpdir, "out2.mkv", NULL);
  gchar *mkv3 = g_build_filename (tmpdir, "out3.mkv", NULL);
  gchar *err = NULL;

  keys_init ();
  record (clip, "cam1", NULL);

  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "export", clip, "-o", mkv, NULL), 0);
  fail_unless_equals_int (file_mode (mkv), 0600);
  fail_unless_equals_int (count_clear_frames (mkv), N_FRAMES);
  fail_unless (is_seekable (mkv));

  /* No overwriting without --force. */
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "export", clip, "-o", mkv, NULL), 1);
  fail_unless_equals_int (count_clear_frames (mkv), N_FRAMES);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "export", clip, "-o", mkv, "--force", NULL), 0);
  fail_unless_equals_int (count_clear_frames (mkv), N_FRAMES);

  /* A complete clip whose end was cut off: refused (a clip a crash
   * interrupted exports with a warning: test_states). */
  /* (cut inside the last chunk: the first 64 KiB chunk stays whole) */
  copy_file (clip, truncated, file_size (clip) - 100);
  fail_unless_equals_int (run_tool (NULL, &err, "--keystore", keystore,
          "export", truncated, "-o", mkv2, NULL), 1);
  fail_unless (strstr (err, "end is missing") != NULL, "%s", err);
  g_free (err);
  fail_if (g_file_test (mkv2, G_FILE_TEST_EXISTS));

  /* A tampered clip: refused, and no output left behind. */
  copy_file (clip, tampered, -1);
  flip_byte (tampered, file_size (tampered) / 2);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "export", tampered, "-o", mkv3, NULL), 1);
  fail_if (g_file_test (mkv3, G_FILE_TEST_EXISTS));

  g_free (mkv3);
  g_free (mkv2);
  g_free (mkv);
  g_free (tampered);
  g_free (truncated);
  g_free (clip);
}

GST_END_TEST;

/* Plays @clip through seecitvdecrypt in this process. Returns: (transfer
 * full) (nullable): the `reason` detail of the error, "" for an error
 * without one, NULL when it played to EOS; @warned: whether
 * seecitvdecrypt posted its truncation warning. */
static gchar *
play_error_reason (const gchar * clip, gboolean * warned)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! "
      "seecitvdecrypt keystore=\"%s\" ! matroskademux ! h264parse ! "
      "fakesink", clip, keystore);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  gchar *reason = NULL;
  gboolean ended = FALSE;
  GstMessage *msg;

  *warned = FALSE;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while (!ended && (msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
              GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING))) {
    GstMessageType type = GST_MESSAGE_TYPE (msg);

    if (type == GST_MESSAGE_WARNING) {
      *warned = TRUE;
    } else if (type == GST_MESSAGE_ERROR) {
      const GstStructure *details = NULL;
      const gchar *r;

      gst_message_parse_error_details (msg, &details);
      r = details ? gst_structure_get_string (details, "reason") : NULL;
      reason = g_strdup (r ? r : "");
    }
    gst_message_unref (msg);
    ended = type != GST_MESSAGE_WARNING;
  }
  fail_unless (ended, "playback timed out");
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  g_free (desc);
  return reason;
}

/* The state column of @clip's line in `seecitv list`. */
static gchar *
listed_state (const gchar * clip)
{
  gchar *out = NULL, **lines, *state = NULL;
  guint i;

  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "list", NULL), 0);
  lines = g_strsplit (out, "\n", -1);
  for (i = 0; lines[i] != NULL; i++) {
    gchar **fields = g_strsplit (lines[i], "\t", -1);

    if (g_strv_length (fields) == 9 && strcmp (fields[5], clip) == 0)
      state = g_strdup (fields[8]);
    g_strfreev (fields);
  }
  fail_unless (state != NULL, "%s not listed: %s", clip, out);
  g_strfreev (lines);
  g_free (out);
  return state;
}

/* The first word of @clip's result in `seecitv verify`; @verify_status:
 * verify's exit status. */
static gchar *
verified_state (const gchar * clip, gint * verify_status)
{
  gchar *out = NULL, *prefix = g_strdup_printf ("%s\t", clip), *state;

  *verify_status = run_tool (&out, NULL, "--keystore", keystore, "verify",
      clip, NULL);
  fail_unless (g_str_has_prefix (out, prefix), "%s", out);
  state = g_strndup (out + strlen (prefix),
      strcspn (out + strlen (prefix), " \n"));
  g_free (prefix);
  g_free (out);
  return state;
}

/* @clip is @listed in `seecitv list` and @verified (first word) in
 * `seecitv verify`, which exits with @status. */
static void
assert_states (const gchar * clip, const gchar * listed,
    const gchar * verified, gint status)
{
  gchar *state = listed_state (clip);
  gint verify_status;

  fail_unless_equals_string (state, listed);
  g_free (state);
  state = verified_state (clip, &verify_status);
  fail_unless_equals_string (state, verified);
  fail_unless_equals_int (verify_status, status);
  g_free (state);
}

/* One set of clip states: recording while a writer runs, truncated once a
 * crash (kill -9) killed it, and such a clip plays with a warning; a clip
 * sealed complete whose end was cut off (truncate(2)) does not play: an
 * error, reason `truncated`, with gst-launch-1.0 failing. `list` and
 * `verify` show the same words. */
GST_START_TEST (test_states)
{
  gchar *live = rec_path ("live.sctv");
  gchar *clip = rec_path ("complete.sctv");
  gchar *loc = g_strdup_printf ("location=%s", live);
  gchar *ks = g_strdup_printf ("keystore=%s", keystore);
  const gchar *argv[] = { "gst-launch-1.0", "-q", "videotestsrc",
    "is-live=true", "pattern=smpte", "!",
    "video/x-raw,width=160,height=120,framerate=30/1", "!", "x264enc",
    "speed-preset=ultrafast", "tune=zerolatency", "key-int-max=10", "!",
    "h264parse", "!", "matroskamux", "streamable=true", "!",
    "seecitvcryptsink", loc, ks, "device-id=cam1", "sync-interval=0", NULL
  };
  GError *error = NULL;
  gchar *reason;
  gboolean warned;
  GPid pid;
  gint i;

  keys_init ();

  /* A clip being recorded (a live gst-launch-1.0) ... */
  fail_unless (g_spawn_async (tmpdir, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
          G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &pid, &error), "%s",
      error ? error->message : "");
  for (i = 0; i < 600 && (!g_file_test (live, G_FILE_TEST_EXISTS) ||
          file_size (live) < 4096); i++)
    g_usleep (50 * 1000);
  fail_unless (file_size (live) >= 4096, "nothing recorded");
  assert_states (live, "recording", "recording", 0);

  /* ... is truncated once a crash killed its writer, and plays with a
   * warning, up to its last sync. */
  fail_unless (kill (pid, SIGKILL) == 0);
  fail_unless (waitpid (pid, NULL, 0) == pid);
  g_spawn_close_pid (pid);
  assert_states (live, "truncated", "truncated", 1);
  reason = play_error_reason (live, &warned);
  fail_unless (reason == NULL, "error, reason %s", reason);
  fail_unless (warned);
  fail_unless_equals_int (play_clip_at (NULL, live), 0);

  /* A complete clip is complete in list and verify, and plays ... */
  record (clip, "cam1", NULL);
  assert_states (clip, "complete", "complete", 0);
  reason = play_error_reason (clip, &warned);
  fail_unless (reason == NULL && !warned, "reason %s", reason);

  /* ... but with its end cut off, it is an error, not a warning. */
  fail_unless (truncate (clip, file_size (clip) - 100) == 0);
  assert_states (clip, "complete", "truncated", 1);
  reason = play_error_reason (clip, &warned);
  fail_unless_equals_string (reason, "truncated");
  fail_if (warned);
  g_free (reason);
  fail_unless (play_clip_at (NULL, clip) != 0);

  g_free (ks);
  g_free (loc);
  g_free (clip);
  g_free (live);
}

GST_END_TEST;

/* Whether the keystore copy @copy opens with the current master key
 * file: the copy is put beside a copy of the key file, and listed. */
static gboolean
copy_opens_with_current_key (const gchar * copy)
{
  gchar *dir = g_build_filename (tmpdir, "probe", NULL);
  gchar *ks = g_build_filename (dir, "keystore", NULL);
  gchar *key = g_strconcat (ks, ".key", NULL);
  gchar *cur_key = g_strconcat (keystore, ".key", NULL);
  gint status;

  g_mkdir (dir, 0700);
  copy_file (copy, ks, -1);
  g_chmod (ks, 0600);
  copy_file (cur_key, key, -1);
  g_chmod (key, 0600);
  status = run_tool (NULL, NULL, "--keystore", ks, "list", NULL);
  g_unlink (ks);
  g_unlink (key);
  g_rmdir (dir);
  g_free (cur_key);
  g_free (key);
  g_free (ks);
  g_free (dir);
  return status == 0;
}

GST_START_TEST (test_forget)
{
  gchar *a = rec_path ("a.sctv");
  gchar *b = rec_path ("b.sctv");
  gchar *other = rec_path ("other.sctv");
  gchar *copy = g_build_filename (tmpdir, "copy.sctv", NULL);
  gchar *key_path = g_strconcat (keystore, ".key", NULL);
  gchar *versions[] = { g_build_filename (tmpdir, "keystore-1", NULL),
    g_build_filename (tmpdir, "keystore-2", NULL),
    g_build_filename (tmpdir, "keystore-3", NULL)
  };
  gchar *out = NULL, *old_key = NULL, *new_key = NULL;
  guint i;
  Run r;

  keys_init ();
  record (a, "cam1", NULL);
  copy_file (keystore, versions[0], -1);
  record (b, "cam1", NULL);
  copy_file (keystore, versions[1], -1);
  record (other, "cam2", NULL);
  copy_file (keystore, versions[2], -1);
  copy_file (a, copy, -1);
  fail_unless (g_file_get_contents (key_path, &old_key, NULL, NULL));

  /* The key file is rotated by default: no version of the keystore from
   * before (each still holding cam1's keys) opens with the current key. */
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "forget", "--device", "cam1", NULL), 0);
  fail_unless (strstr (out, "removed device key\tcam1\n") != NULL, "%s", out);
  fail_unless (strstr (out, "rotated master key\t") != NULL, "%s", out);
  fail_unless (g_file_get_contents (key_path, &new_key, NULL, NULL));
  fail_if (memcmp (old_key, new_key, 32) == 0);
  for (i = 0; i < G_N_ELEMENTS (versions); i++)
    fail_if (copy_opens_with_current_key (versions[i]), "%s", versions[i]);
  fail_unless (strstr (out, "deleted file\t") != NULL, "%s", out);
  fail_unless (strstr (out, a) != NULL && strstr (out, b) != NULL, "%s", out);
  fail_unless (strstr (out, other) == NULL, "%s", out);
  g_free (out);
  fail_if (g_file_test (a, G_FILE_TEST_EXISTS));
  fail_if (g_file_test (b, G_FILE_TEST_EXISTS));
  fail_unless (g_file_test (other, G_FILE_TEST_EXISTS));

  /* The copy no longer decrypts; the other device's clip still does. */
  play_clip (copy, &r);
  fail_unless (g_error_matches (r.error, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECRYPT_NOKEY), "%s",
      r.error ? r.error->message : "no error");
  fail_unless_equals_int (r.frames, 0);
  g_clear_error (&r.error);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "verify", copy, NULL), 1);
  fail_unless (strstr (out, "\tno key\n") != NULL, "%s", out);
  g_free (out);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "list", NULL), 0);
  fail_unless (strstr (out, "cam1") == NULL, "%s", out);
  fail_unless (strstr (out, "cam2") != NULL, "%s", out);
  g_free (out);
  play_clip (other, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless_equals_int (r.frames, N_FRAMES);

  /* An unknown device is a failure. */
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "forget", "--device", "cam1", NULL), 1);

  /* --no-rotate keeps the key file. */
  g_free (old_key);
  old_key = new_key;
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "forget", "--device", "cam2", "--no-rotate", NULL), 0);
  fail_unless (strstr (out, "rotated") == NULL, "%s", out);
  g_free (out);
  fail_unless (g_file_get_contents (key_path, &new_key, NULL, NULL));
  fail_unless (memcmp (old_key, new_key, 32) == 0);

  for (i = 0; i < G_N_ELEMENTS (versions); i++)
    g_free (versions[i]);
  g_free (new_key);
  g_free (old_key);
  g_free (key_path);
  g_free (copy);
  g_free (other);
  g_free (b);
  g_free (a);
}

GST_END_TEST;

GST_START_TEST (test_purge)
{
  gchar *a = rec_path ("a.sctv");
  gchar *b = rec_path ("b.sctv");
  gchar *copy_a = g_build_filename (tmpdir, "copy-a.sctv", NULL);
  gchar *copy_b = g_build_filename (tmpdir, "copy-b.sctv", NULL);
  gchar *c = rec_path ("c.sctv");
  gchar *ks_copy = g_build_filename (tmpdir, "keystore-before", NULL);
  gchar *key_path = g_strconcat (keystore, ".key", NULL);
  gchar *out = NULL, *id, *old_key, *new_key;
  gchar **lines, **fields;
  Run r;

  keys_init ();
  fail_unless (g_file_get_contents (key_path, &old_key, NULL, NULL));
  record (a, "cam1", NULL);
  record (b, "cam1", NULL);
  copy_file (a, copy_a, -1);
  copy_file (b, copy_b, -1);

  /* By path. */
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "purge", a, NULL), 0);
  fail_unless (strstr (out, "removed clip key\t") != NULL, "%s", out);
  g_free (out);
  fail_if (g_file_test (a, G_FILE_TEST_EXISTS));
  play_clip (copy_a, &r);
  fail_unless (g_error_matches (r.error, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECRYPT_NOKEY));
  g_clear_error (&r.error);

  /* By clip id, as list shows it. */
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "list", NULL), 0);
  lines = g_strsplit (out, "\n", -1);
  g_free (out);
  fields = g_strsplit (lines[1], "\t", -1);
  fail_unless_equals_string (fields[5], b);
  id = g_strdup (fields[0]);
  g_strfreev (fields);
  g_strfreev (lines);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "purge", id, NULL), 0);
  fail_if (g_file_test (b, G_FILE_TEST_EXISTS));
  play_clip (copy_b, &r);
  fail_unless (g_error_matches (r.error, GST_STREAM_ERROR,
          GST_STREAM_ERROR_DECRYPT_NOKEY));
  g_clear_error (&r.error);
  /* Again: nothing to purge. */
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "purge", id, NULL), 1);
  g_free (id);

  /* The key file was kept so far; --rotate replaces it, so that the
   * keystore as it was before the purge no longer opens. */
  fail_unless (g_file_get_contents (key_path, &new_key, NULL, NULL));
  fail_unless (memcmp (old_key, new_key, 32) == 0);
  g_free (new_key);
  record (c, "cam1", NULL);
  copy_file (keystore, ks_copy, -1);
  fail_unless (copy_opens_with_current_key (ks_copy));
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "purge", c, "--rotate", NULL), 0);
  fail_unless (strstr (out, "removed clip key\t") != NULL, "%s", out);
  fail_unless (strstr (out, "rotated master key\t") != NULL, "%s", out);
  g_free (out);
  fail_unless (g_file_get_contents (key_path, &new_key, NULL, NULL));
  fail_if (memcmp (old_key, new_key, 32) == 0);
  fail_if (copy_opens_with_current_key (ks_copy));
  /* --rotate is for key files: with a passphrase, a usage error. */
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "--passphrase-file", key_path, "purge", c, "--rotate", NULL), 2);

  g_free (new_key);
  g_free (old_key);
  g_free (key_path);
  g_free (ks_copy);
  g_free (c);
  g_free (copy_b);
  g_free (copy_a);
  g_free (b);
  g_free (a);
}

GST_END_TEST;

/* Writes a secret file (mode 0600). */
static void
write_secret (const gchar * path, const gchar * contents)
{
  fail_unless (g_file_set_contents (path, contents, -1, NULL));
  fail_unless (g_chmod (path, 0600) == 0);
}

/* keys init protected by the passphrase "correct horse", written to @pass;
 * cheap scrypt: the tests check the plumbing, not the cost. */
static void
keys_init_passphrase (const gchar * pass)
{
  write_secret (pass, "correct horse\n");
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "keys", "init", "--passphrase-file", pass, "--scrypt-log2-n", "10",
          NULL), 0);
}

GST_START_TEST (test_passphrase)
{
  gchar *pass = g_build_filename (tmpdir, "keys", "pass", NULL);
  gchar *wrong = g_build_filename (tmpdir, "keys", "wrong", NULL);
  gchar *key_path = g_strconcat (keystore, ".key", NULL);
  gchar *clip = rec_path ("a.sctv");
  gchar *mkv = g_build_filename (tmpdir, "out.mkv", NULL);
  gchar *extra = g_strdup_printf ("passphrase-file=\"%s\"", pass);
  gchar *out = NULL, *err = NULL;

  write_secret (wrong, "wrong horse\n");
  keys_init_passphrase (pass);
  fail_unless_equals_int (file_mode (keystore), 0600);
  fail_if (g_file_test (key_path, G_FILE_TEST_EXISTS));

  record (clip, "cam1", extra);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "--passphrase-file", pass, "verify", NULL), 0);
  fail_unless (strstr (out, "\tcomplete\n") != NULL, "%s", out);
  g_free (out);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "--passphrase-file", pass, "export", clip, "-o", mkv, NULL), 0);
  fail_unless_equals_int (count_clear_frames (mkv), N_FRAMES);

  /* A wrong passphrase: a clean failure, nothing listed. */
  fail_unless_equals_int (run_tool (&out, &err, "--keystore", keystore,
          "--passphrase-file", wrong, "list", NULL), 1);
  fail_unless_equals_string (out, "");
  fail_unless (strstr (err, "cannot open the keystore") != NULL, "%s", err);
  g_free (out);
  g_free (err);
  /* No passphrase: there is no key file to use. */
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "verify", NULL), 1);

  g_free (extra);
  g_free (mkv);
  g_free (clip);
  g_free (key_path);
  g_free (wrong);
  g_free (pass);
}

GST_END_TEST;

/* keys rotate: a new master key file, the clip still plays, and a copy
 * of the keystore from before does not open with the new key. */
GST_START_TEST (test_keys_rotate)
{
  gchar *key_path = g_strconcat (keystore, ".key", NULL);
  gchar *pending = g_strconcat (keystore, ".key.new", NULL);
  gchar *copy = g_build_filename (tmpdir, "keystore-before", NULL);
  gchar *clip = rec_path ("a.sctv");
  gchar *old_key, *new_key, *out = NULL, *err = NULL, *expect;
  gsize old_len, new_len;
  Run r;

  keys_init ();
  record (clip, "cam1", NULL);
  fail_unless (g_file_get_contents (key_path, &old_key, &old_len, NULL));
  copy_file (keystore, copy, -1);
  fail_unless (copy_opens_with_current_key (copy));

  fail_unless_equals_int (run_tool (&out, &err, "--keystore", keystore,
          "keys", "rotate", NULL), 0);
  expect = g_strdup_printf ("rotated master key\t%s\n", key_path);
  fail_unless_equals_string (out, expect);
  g_free (expect);
  fail_unless (strstr (err, "back up") != NULL, "%s", err);
  g_free (out);
  g_free (err);
  fail_unless (g_file_get_contents (key_path, &new_key, &new_len, NULL));
  fail_unless_equals_int (new_len, 32);
  fail_if (memcmp (old_key, new_key, 32) == 0);
  fail_unless_equals_int (file_mode (key_path), 0600);
  fail_if (g_file_test (pending, G_FILE_TEST_EXISTS));
  fail_if (copy_opens_with_current_key (copy));
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "verify", NULL), 0);
  fail_unless (strstr (out, "\tcomplete\n") != NULL, "%s", out);
  g_free (out);
  play_clip (clip, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless_equals_int (r.frames, N_FRAMES);

  /* A key-file keystore has no passphrase to change. */
  fail_unless_equals_int (run_tool (NULL, &err, "--keystore", keystore,
          "keys", "rotate", "--new-passphrase-file", key_path, NULL), 1);
  fail_unless (strstr (err, "--passphrase-file") != NULL, "%s", err);
  g_free (err);

  g_free (new_key);
  g_free (old_key);
  g_free (clip);
  g_free (copy);
  g_free (pending);
  g_free (key_path);
}

GST_END_TEST;

/* A passphrase keystore rotates to a new passphrase, never to the current
 * one; the old passphrase opens it no longer. */
GST_START_TEST (test_keys_rotate_passphrase)
{
  gchar *pass = g_build_filename (tmpdir, "keys", "pass", NULL);
  gchar *next = g_build_filename (tmpdir, "keys", "next", NULL);
  gchar *clip = rec_path ("a.sctv");
  gchar *extra = g_strdup_printf ("passphrase-file=\"%s\"", pass);
  gchar *out = NULL, *err = NULL;

  write_secret (next, "battery staple\n");
  keys_init_passphrase (pass);
  record (clip, "cam1", extra);

  fail_unless_equals_int (run_tool (NULL, &err, "--keystore", keystore,
          "--passphrase-file", pass, "keys", "rotate", NULL), 1);
  fail_unless (strstr (err, "passphrase") != NULL, "%s", err);
  g_free (err);
  fail_unless_equals_int (run_tool (NULL, &err, "--keystore", keystore,
          "--passphrase-file", pass, "keys", "rotate",
          "--new-passphrase-file", pass, NULL), 1);
  fail_unless (strstr (err, "is the current one") != NULL, "%s", err);
  g_free (err);

  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "--passphrase-file", pass, "keys", "rotate",
          "--new-passphrase-file", next, NULL), 0);
  fail_unless (g_str_has_prefix (out, "rotated master key\t"), "%s", out);
  g_free (out);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "--passphrase-file", pass, "list", NULL), 1);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "--passphrase-file", next, "verify", NULL), 0);
  fail_unless (strstr (out, "\tcomplete\n") != NULL, "%s", out);
  g_free (out);

  g_free (extra);
  g_free (clip);
  g_free (next);
  g_free (pass);
}

GST_END_TEST;

/* The audit lines (after the header) that mention @what. */
static guint
count_lines (const gchar * out, const gchar * what)
{
  gchar **lines = g_strsplit (out, "\n", -1);
  guint i, n = 0;

  for (i = 1; lines[i] != NULL; i++)
    if (lines[i][0] && strstr (lines[i], what) != NULL)
      n++;
  g_strfreev (lines);
  return n;
}

static gchar *
clip_id_of (const gchar * path)
{
  gchar *out = NULL, *id = NULL;
  gchar **lines;
  guint i;

  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "list", NULL), 0);
  lines = g_strsplit (out, "\n", -1);
  for (i = 1; lines[i] != NULL && id == NULL; i++) {
    gchar **f = g_strsplit (lines[i], "\t", -1);

    if (g_strv_length (f) == 9 && strcmp (f[5], path) == 0)
      id = g_strdup (f[0]);
    g_strfreev (f);
  }
  g_strfreev (lines);
  g_free (out);
  fail_unless (id != NULL, "%s is not listed", path);
  return id;
}

GST_START_TEST (test_audit)
{
  gchar *clip = rec_path ("a.sctv");
  gchar *mkv = g_build_filename (tmpdir, "out.mkv", NULL);
  gchar *out = NULL, *id, *line;
  gchar **fields;

  keys_init ();
  record (clip, "cam1", NULL);
  id = clip_id_of (clip);

  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "audit", NULL), 0);
  fail_unless_equals_string (out,
      "time\taction\tclip-id\tdevice\tpath\tuser\tprocess\n");
  g_free (out);

  /* An export on 1 January, a playback (seecitvdecrypt, in gst-launch-1.0)
   * on 15 March. */
  fail_unless_equals_int (run_tool_at ("2026-01-01T00:00:00Z", NULL, NULL,
          "--keystore", keystore, "export", clip, "-o", mkv, NULL), 0);
  fail_unless_equals_int (play_clip_at ("2026-03-15T00:00:00Z", clip), 0);

  fail_unless_equals_int (run_tool_at ("2026-03-20T00:00:00Z", &out, NULL,
          "--keystore", keystore, "audit", NULL), 0);
  fail_unless_equals_int (count_lines (out, "\t"), 2);
  line = g_strdup_printf ("2026-01-01T00:00:00.000Z\texport\t%s\tcam1\t%s\t",
      id, clip);
  fail_unless (strstr (out, line) != NULL, "%s", out);
  g_free (line);
  line = g_strdup_printf ("2026-03-15T00:00:00.000Z\tplay\t%s\tcam1\t%s\t",
      id, clip);
  fail_unless (strstr (out, line) != NULL, "%s", out);
  g_free (line);
  /* Who: the user and the process. */
  fields = g_strsplit (strstr (out, "\texport\t") + 1, "\n", 2);
  fail_unless (strstr (fields[0], "(uid ") != NULL, "%s", fields[0]);
  fail_unless (strstr (fields[0], "\tseecitv[") != NULL, "%s", fields[0]);
  g_strfreev (fields);
  g_free (out);
  fail_unless_equals_int (run_tool_at ("2026-03-20T00:00:00Z", &out, NULL,
          "--keystore", keystore, "audit", "--json", NULL), 0);
  fail_unless (strstr (out, "\"action\": \"export\"") != NULL, "%s", out);
  fail_unless (strstr (out, "\"action\": \"play\"") != NULL, "%s", out);
  g_free (out);

  /* On 2 April the export is past three months: gone, from the file too
   * (an audit with an earlier clock does not bring it back). */
  fail_unless_equals_int (run_tool_at ("2026-04-02T00:00:00Z", &out, NULL,
          "--keystore", keystore, "audit", NULL), 0);
  fail_unless_equals_int (count_lines (out, "\texport\t"), 0);
  fail_unless_equals_int (count_lines (out, "\tplay\t"), 1);
  g_free (out);
  fail_unless_equals_int (run_tool_at ("2026-03-20T00:00:00Z", &out, NULL,
          "--keystore", keystore, "audit", NULL), 0);
  fail_unless_equals_int (count_lines (out, "\texport\t"), 0);
  g_free (out);

  /* Any write expires: a playback on 20 June leaves only itself. */
  fail_unless_equals_int (play_clip_at ("2026-06-20T10:00:00Z", clip), 0);
  fail_unless_equals_int (run_tool_at ("2026-03-20T00:00:00Z", &out, NULL,
          "--keystore", keystore, "audit", NULL), 0);
  fail_unless_equals_int (count_lines (out, "\t"), 1);
  fail_unless (strstr (out, "2026-06-20T10:00:00.000Z\tplay\t") != NULL,
      "%s", out);
  g_free (out);

  g_free (id);
  g_free (mkv);
  g_free (clip);
}

GST_END_TEST;

/* Decodes a PNG into RGB: returns the sample (caps give the size). */
static GstSample *
load_png (const gchar * path)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! "
      "videoconvert ! video/x-raw,format=RGB ! appsink name=sink", path);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink;
  GstSample *sample;

  g_free (desc);
  fail_unless (pipeline != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink), 30 * GST_SECOND);
  fail_unless (sample != NULL, "%s does not decode", path);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return sample;
}

/* Spread (max - min over every channel) in a rectangle. */
static guint
spread (GstVideoFrame * f, guint x, guint y, guint w, guint h)
{
  const guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (f, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);
  guint i, j, lo = 255, hi = 0;

  for (j = y; j < y + h; j++)
    for (i = 3 * x; i < 3 * (x + w); i++) {
      lo = MIN (lo, d[j * stride + i]);
      hi = MAX (hi, d[j * stride + i]);
    }
  return hi - lo;
}

/* Red pixels on row @y. */
static guint
red_pixels (GstVideoFrame * f, guint y)
{
  const guint8 *d = (const guint8 *) GST_VIDEO_FRAME_PLANE_DATA (f, 0) +
      y * GST_VIDEO_FRAME_PLANE_STRIDE (f, 0);
  guint i, n = 0;

  for (i = 0; i < (guint) GST_VIDEO_FRAME_WIDTH (f); i++)
    if (d[3 * i] > 180 && d[3 * i + 1] < 90 && d[3 * i + 2] < 90)
      n++;
  return n;
}

/* A sheet of 6 thumbnails 80 pixels wide (60 high for 4:3), 3 per row:
 * 3 * (80 + 4) + 4 = 256 wide; 2 * (60 + 4) + 16 + 2 * 4 = 152 high. */
static void
check_sheet (const gchar * png, gboolean expect_motion)
{
  GstSample *sample = load_png (png);
  GstVideoInfo info;
  GstVideoFrame f;
  guint i;

  fail_unless_equals_int (file_mode (png), 0600);
  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (sample)));
  fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), 256);
  fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), 152);
  fail_unless (gst_video_frame_map (&f, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ));
  for (i = 0; i < 6; i++) {
    guint x = 4 + (i % 3) * 84, y = 4 + (i / 3) * 64;

    fail_unless (spread (&f, x, y, 80, 60) > 100, "thumbnail %u is blank", i);
  }
  /* The strip's lower half (the upper half carries the ticks). */
  if (expect_motion)
    fail_unless (red_pixels (&f, 152 - 4 - 2) > 100, "no motion shown");
  else
    fail_unless_equals_int (red_pixels (&f, 152 - 4 - 2), 0);
  gst_video_frame_unmap (&f);
  gst_sample_unref (sample);
}

/* The column @col of each line of `seecitv audit` output @out but its
 * header, joined by "\n". */
static gchar *
audit_column (const gchar * out, guint col)
{
  gchar **lines = g_strsplit (out, "\n", -1);
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++) {
    gchar **f = g_strsplit (lines[i], "\t", -1);

    fail_unless_equals_int (g_strv_length (f), 7);
    g_string_append_printf (s, "%s\n", f[col]);
    g_strfreev (f);
  }
  g_strfreev (lines);
  return g_string_free (s, FALSE);
}

/* `forget` keeps a device's access log entries (the log is kept three
 * months) but names the device there only by its pseudonym, without the
 * clip paths: in audit's output (table and JSON) and in the keystore's
 * decrypted log alike. Entries of other devices are left as they were. */
GST_START_TEST (test_forget_access_log)
{
  const gchar *device = "porch-cam7";
  gchar *clip = rec_path ("porch.sctv");
  gchar *other = rec_path ("garage.sctv");
  gchar *mkv = g_build_filename (tmpdir, "out.mkv", NULL);
  gchar *mkv2 = g_build_filename (tmpdir, "out2.mkv", NULL);
  gchar *before = NULL, *after = NULL, *json = NULL, *col_a, *col_b;
  gchar **devices;
  SeecitvKeystore *ks;
  GPtrArray *log;
  GError *err = NULL;
  guint i;

  keys_init ();
  record (clip, device, NULL);
  record (other, "garage", NULL);
  fail_unless_equals_int (run_tool_at ("2026-03-01T00:00:00Z", NULL, NULL,
          "--keystore", keystore, "export", clip, "-o", mkv, NULL), 0);
  fail_unless_equals_int (play_clip_at ("2026-03-02T00:00:00Z", clip), 0);
  fail_unless_equals_int (run_tool_at ("2026-03-03T00:00:00Z", NULL, NULL,
          "--keystore", keystore, "export", other, "-o", mkv2, NULL), 0);
  fail_unless_equals_int (run_tool_at ("2026-03-04T00:00:00Z", &before, NULL,
          "--keystore", keystore, "audit", NULL), 0);
  fail_unless_equals_int (count_lines (before, device), 2);
  fail_unless_equals_int (count_lines (before, clip), 2);

  fail_unless_equals_int (run_tool_at ("2026-03-05T00:00:00Z", NULL, NULL,
          "--keystore", keystore, "forget", "--device", device, NULL), 0);
  fail_unless_equals_int (run_tool_at ("2026-03-06T00:00:00Z", &after, NULL,
          "--keystore", keystore, "audit", NULL), 0);
  fail_unless_equals_int (run_tool_at ("2026-03-06T00:00:00Z", &json, NULL,
          "--keystore", keystore, "audit", "--json", NULL), 0);

  /* The same entries (count, times, actions, clip ids, users, processes) */
  fail_unless_equals_int (count_lines (after, "\t"),
      count_lines (before, "\t"));
  fail_unless_equals_int (count_lines (after, "\t"), 3);
  for (i = 0; i < 7; i++) {
    if (i == 3 || i == 4)
      continue;
    col_a = audit_column (before, i);
    col_b = audit_column (after, i);
    fail_unless_equals_string (col_a, col_b);
    g_free (col_a);
    g_free (col_b);
  }
  /* ... but the device only as its pseudonym, and no path. */
  fail_unless (strstr (after, device) == NULL, "%s", after);
  fail_unless (strstr (after, clip) == NULL, "%s", after);
  fail_unless (strstr (json, device) == NULL, "%s", json);
  fail_unless (strstr (json, clip) == NULL, "%s", json);
  fail_unless (strstr (json, "porch") == NULL, "%s", json);
  fail_unless_equals_int (count_lines (after, "\tforgotten-"), 2);
  fail_unless_equals_int (count_lines (after, "\tgarage\t"), 1);
  fail_unless_equals_int (count_lines (after, other), 1);
  col_b = audit_column (after, 3);
  devices = g_strsplit (col_b, "\n", -1);
  /* one pseudonym for both entries, 32 hex digits, not the MAC's form */
  fail_unless_equals_int (strlen (devices[0]), strlen ("forgotten-") + 32);
  fail_unless_equals_string (devices[0], devices[1]);
  fail_unless_equals_string (devices[2], "garage");
  g_strfreev (devices);
  g_free (col_b);
  col_b = audit_column (after, 4);
  fail_unless (g_str_has_prefix (col_b, "-\n-\n"), "%s", col_b);
  g_free (col_b);

  /* The decrypted log itself holds neither the name nor the path. */
  ks = seecitv_keystore_open_default (keystore, NULL, &err);
  fail_unless (ks != NULL, "%s", err ? err->message : "");
  log = seecitv_keystore_list_access (ks);
  fail_unless_equals_int (log->len, 3);
  for (i = 0; i < log->len; i++) {
    SeecitvKeystoreAccess *e = log->pdata[i];
    const gchar *fields[] = { e->device_id, e->path, e->user, e->process };
    guint j;

    for (j = 0; j < G_N_ELEMENTS (fields); j++) {
      fail_unless (strstr (fields[j], "porch") == NULL, "%s", fields[j]);
      fail_unless (strstr (fields[j], recdir) == NULL ||
          strcmp (fields[j], other) == 0, "%s", fields[j]);
    }
  }
  g_ptr_array_unref (log);
  seecitv_keystore_free (ks);

  g_free (json);
  g_free (after);
  g_free (before);
  g_free (mkv2);
  g_free (mkv);
  g_free (other);
  g_free (clip);
}

GST_END_TEST;

GST_START_TEST (test_sheet)
{
  gchar *ball = rec_path ("ball.sctv");
  gchar *still = rec_path ("still.sctv");
  gchar *png = g_build_filename (tmpdir, "ball.png", NULL);
  gchar *png2 = g_build_filename (tmpdir, "still.png", NULL);
  gchar *out = NULL, *err = NULL;
  GstPlugin *opencv;
  gboolean have_motion;

  /* Without the opencv plugin the sheet is made with an empty strip and a
   * warning: that is what is checked then. */
  opencv = gst_registry_find_plugin (gst_registry_get (), "seecitvopencv");
  have_motion = opencv != NULL;
  if (opencv != NULL)
    gst_object_unref (opencv);

  keys_init ();
  record_pattern (ball, "cam1", NULL, "ball", 90);
  record_pattern (still, "cam1", NULL, "smpte", 90);

  fail_unless_equals_int (run_tool (&out, &err, "--keystore", keystore,
          "sheet", ball, "-o", png, "--thumbs", "6", "--columns", "3",
          "--width", "80", NULL), 0);
  fail_unless (strstr (out, "(256x152, 6 thumbnails") != NULL, "%s", out);
  fail_unless ((strstr (err, "seecitvmotion") == NULL) == have_motion, "%s",
      err);
  g_free (out);
  g_free (err);
  check_sheet (png, have_motion);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "sheet", still, "-o", png2, "--thumbs", "6", "--columns", "3",
          "--width", "80", NULL), 0);
  check_sheet (png2, FALSE);

  /* No clobbering without --force; bad options are usage errors. */
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "sheet", still, "-o", png, NULL), 1);
  check_sheet (png, have_motion);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "sheet", still, "-o", png, "--width", "33", NULL), 2);

  /* Both sheets are in the access log. */
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "audit", NULL), 0);
  fail_unless_equals_int (count_lines (out, "\tsheet\t"), 2);
  g_free (out);

  g_free (png2);
  g_free (png);
  g_free (still);
  g_free (ball);
}

GST_END_TEST;

/* Fail closed: when the access log cannot be written (here the keystore
 * vanished after seecitvdecrypt opened it), nothing is played and the
 * error says why. */
GST_START_TEST (test_play_unlogged)
{
  gchar *clip = rec_path ("a.sctv");
  gchar *desc = g_strdup_printf ("appsrc name=src ! seecitvdecrypt "
      "keystore=\"%s\" ! fakesink name=out", keystore);
  GstElement *pipeline, *src;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  gchar *data, *moved;
  gsize len;
  Run r = { 0 };

  keys_init ();
  record (clip, "cam1", NULL);
  fail_unless (g_file_get_contents (clip, &data, &len, NULL));

  pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  {
    GstElement *out = gst_bin_get_by_name (GST_BIN (pipeline), "out");
    GstPad *pad = gst_element_get_static_pad (out, "sink");

    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &r,
        NULL);
    gst_object_unref (pad);
    gst_object_unref (out);
  }
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  /* The element has opened the keystore; now it goes away. */
  moved = g_strconcat (keystore, ".moved", NULL);
  fail_unless (g_rename (keystore, moved) == 0);
  gst_app_src_push_buffer (GST_APP_SRC (src),
      gst_buffer_new_wrapped (data, len));
  gst_app_src_end_of_stream (GST_APP_SRC (src));
  bus = gst_element_get_bus (pipeline);
  msg = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_ERROR);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_WRITE), "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  fail_unless_equals_int (r.frames, 0);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (src);
  gst_object_unref (pipeline);

  /* Back in place: the failed reading left no entry. */
  fail_unless (g_rename (moved, keystore) == 0);
  fail_unless_equals_int (run_tool (&data, NULL, "--keystore", keystore,
          "audit", NULL), 0);
  fail_unless_equals_int (count_lines (data, "\t"), 0);
  g_free (data);

  g_free (moved);
  g_free (desc);
  g_free (clip);
}

GST_END_TEST;

/* ---- pair, unpair, devices ---- */

#define SECRET_A \
  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define SECRET_B \
  "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

/* Fails if @text holds @hex (a secret) in either case. */
static void
assert_no_secret (const gchar * text, const gchar * hex)
{
  gchar *up = g_ascii_strup (hex, -1);

  fail_unless (text != NULL);
  fail_if (strstr (text, hex) != NULL, "secret printed: %s", text);
  fail_if (strstr (text, up) != NULL, "secret printed: %s", text);
  g_free (up);
}

/* `seecitv pair --device @device --secret-file @file`: its exit status;
 * neither output holds @hex. */
static gint
pair_file (const gchar * device, const gchar * file, const gchar * hex,
    const gchar * extra, gchar ** err)
{
  gchar *out = NULL, *e = NULL;
  gint status = run_tool (&out, &e, "--keystore", keystore, "pair",
      "--device", device, "--secret-file", file, extra, NULL);

  assert_no_secret (out, hex);
  assert_no_secret (e, hex);
  if (status == 0) {
    gchar *line = g_strdup_printf ("paired device\t%s\n", device);

    fail_unless (strstr (out, line) != NULL, "%s", out);
    g_free (line);
  }
  g_free (out);
  if (err)
    *err = e;
  else
    g_free (e);
  return status;
}

/* `seecitv devices` as it prints it (g_free ()). */
static gchar *
devices (void)
{
  gchar *out = NULL;

  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "devices", NULL), 0);
  fail_unless (g_str_has_prefix (out, "device\tpaired\tclips\n"), "%s", out);
  return out;
}

#ifdef SEECITV_DEVICE_TOOL
#include <seecitv/protocol/protocol.h>

#include "../elements/seecitvsrc_device.h"

/* Pulls @frames frames from @d with seecitvsrc taking @device's secret
 * from the keystore (unlocked by @passphrase_file if not NULL); the
 * error, if any, is in @r. */
static void
pull_with_keystore_full (TestDevice * d, const gchar * device, guint frames,
    const gchar * passphrase_file, Run * r)
{
  gchar *pass = passphrase_file ?
      g_strdup_printf ("passphrase-file=\"%s\"", passphrase_file) :
      g_strdup ("");
  gchar *desc = g_strdup_printf ("seecitvsrc location=\"%s\" "
      "keystore=\"%s\" device-id=%s %s num-buffers=%u retry-delay=50000000 "
      "timeout=5000000000 ! fakesink name=out", d->url, keystore, device,
      pass, frames);

  run_launch (desc, r);
  g_free (desc);
  g_free (pass);
}

static void
pull_with_keystore (TestDevice * d, const gchar * device, guint frames,
    Run * r)
{
  pull_with_keystore_full (d, device, frames, NULL, r);
}

/* pair with a key file, then with --generate: seecitvsrc keystore=…
 * device-id=… pulls from a seecitv-device holding the same secret. */
GST_START_TEST (test_pair_pull)
{
  gchar *a = g_build_filename (tmpdir, "a.key", NULL);
  gchar *gen = g_build_filename (tmpdir, "gen.key", NULL);
  gchar *out = NULL, *err = NULL, *text = NULL, *before = NULL;
  guint8 parsed[32];
  TestDevice *d;
  Run r;

  keys_init ();
  write_secret (a, SECRET_A "\n");
  fail_unless_equals_int (pair_file ("cam-1", a, SECRET_A, NULL, NULL), 0);
  out = devices ();
  fail_unless (strstr (out, "\ncam-1\tyes\t0\n") != NULL, "%s", out);
  g_free (out);

  d = test_device_start ("--key-file", a, "--device-id", "cam-1", NULL);
  pull_with_keystore (d, "cam-1", 5, &r);
  test_device_stop (d);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);
  fail_unless_equals_int (r.frames, 5);

  /* --generate: a new random secret in a new 0600 key file the device
   * reads, never printed. */
  fail_unless_equals_int (run_tool (&out, &err, "--keystore", keystore,
          "pair", "--device", "cam-2", "--generate", "-o", gen, NULL), 0);
  fail_unless_equals_int (file_mode (gen), 0600);
  fail_unless (g_file_get_contents (gen, &text, NULL, NULL));
  fail_unless_equals_int (strlen (text), 65);
  fail_unless (text[64] == '\n');
  fail_unless (seecitv_protocol_parse_key (text, 65, parsed, NULL));
  text[64] = '\0';
  assert_no_secret (out, text);
  assert_no_secret (err, text);
  fail_unless (strstr (out, "wrote pairing secret\t") != NULL, "%s", out);
  fail_unless (strstr (out, "paired device\tcam-2\n") != NULL, "%s", out);
  g_free (out);
  g_free (err);
  fail_if (strcmp (text, SECRET_A) == 0);

  d = test_device_start ("--key-file", gen, "--device-id", "cam-2", NULL);
  pull_with_keystore (d, "cam-2", 5, &r);
  test_device_stop (d);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless_equals_int (r.frames, 5);

  /* An existing file is never overwritten, and nothing is paired. */
  fail_unless (g_file_get_contents (gen, &before, NULL, NULL));
  fail_unless_equals_int (run_tool (NULL, &err, "--keystore", keystore,
          "pair", "--device", "cam-3", "--generate", "-o", gen, NULL), 1);
  fail_unless (strstr (err, "exists already") != NULL, "%s", err);
  g_free (err);
  g_free (text);
  fail_unless (g_file_get_contents (gen, &text, NULL, NULL));
  fail_unless_equals_string (text, before);
  out = devices ();
  fail_unless (strstr (out, "cam-3") == NULL, "%s", out);
  g_free (out);

  g_free (before);
  g_free (text);
  g_free (gen);
  g_free (a);
}

GST_END_TEST;

/* A device holding another secret refuses what the keystore holds; pair
 * does not replace a secret without --force, and does with it. */
GST_START_TEST (test_pair_wrong_secret)
{
  gchar *a = g_build_filename (tmpdir, "a.key", NULL);
  gchar *b = g_build_filename (tmpdir, "b.key", NULL);
  gchar *err = NULL;
  TestDevice *d;
  Run r;

  keys_init ();
  write_secret (a, SECRET_A);
  write_secret (b, SECRET_B);
  fail_unless_equals_int (pair_file ("cam-1", a, SECRET_A, NULL, NULL), 0);

  d = test_device_start ("--key-file", b, "--device-id", "cam-1", NULL);
  pull_with_keystore (d, "cam-1", 5, &r);
  fail_unless (g_error_matches (r.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s",
      r.error ? r.error->message : "no error");
  fail_unless_equals_int (r.frames, 0);
  g_clear_error (&r.error);

  fail_unless_equals_int (pair_file ("cam-1", b, SECRET_B, NULL, &err), 1);
  fail_unless (strstr (err, "paired already") != NULL, "%s", err);
  g_free (err);
  pull_with_keystore (d, "cam-1", 5, &r);
  fail_unless (g_error_matches (r.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_NOT_AUTHORIZED), "%s",
      r.error ? r.error->message : "no error");
  g_clear_error (&r.error);

  fail_unless_equals_int (pair_file ("cam-1", b, SECRET_B, "--force",
          NULL), 0);
  pull_with_keystore (d, "cam-1", 5, &r);
  test_device_stop (d);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless_equals_int (r.frames, 5);

  g_free (b);
  g_free (a);
}

GST_END_TEST;

/* forget drops the pairing secret with the device: seecitvsrc can no
 * longer get it (RESOURCE OPEN_READ, nothing pulled); unpair drops only
 * the secret and keeps the device's clips. */
GST_START_TEST (test_pair_forget)
{
  gchar *a = g_build_filename (tmpdir, "a.key", NULL);
  gchar *clip = rec_path ("a.sctv");
  gchar *out = NULL, *err = NULL;
  TestDevice *d;
  Run r;

  keys_init ();
  write_secret (a, SECRET_A);
  fail_unless_equals_int (pair_file ("cam-1", a, SECRET_A, NULL, NULL), 0);
  fail_unless_equals_int (pair_file ("cam-2", a, SECRET_A, NULL, NULL), 0);
  record (clip, "cam-2", NULL);
  d = test_device_start ("--key-file", a, "--device-id", "cam-1", NULL);
  pull_with_keystore (d, "cam-1", 3, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless_equals_int (r.frames, 3);

  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "forget", "--device", "cam-1", NULL), 0);
  fail_unless (strstr (out, "removed device key\tcam-1\n") != NULL, "%s",
      out);
  g_free (out);
  out = devices ();
  fail_unless (strstr (out, "cam-1") == NULL, "%s", out);
  fail_unless (strstr (out, "\ncam-2\tyes\t1\n") != NULL, "%s", out);
  g_free (out);
  pull_with_keystore (d, "cam-1", 3, &r);
  test_device_stop (d);
  fail_unless (g_error_matches (r.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ), "%s",
      r.error ? r.error->message : "no error");
  fail_unless_equals_int (r.frames, 0);
  g_clear_error (&r.error);
  fail_unless_equals_int (run_tool (NULL, &err, "--keystore", keystore,
          "unpair", "--device", "cam-1", NULL), 1);
  fail_unless (strstr (err, "not paired") != NULL, "%s", err);
  g_free (err);

  /* unpair: the secret goes, the device and its clip stay. */
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "unpair", "--device", "cam-2", NULL), 0);
  fail_unless_equals_string (out, "unpaired device\tcam-2\n");
  g_free (out);
  out = devices ();
  fail_unless (strstr (out, "\ncam-2\tno\t1\n") != NULL, "%s", out);
  g_free (out);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "devices", "--json", NULL), 0);
  fail_unless_equals_string (out,
      "[\n {\"device\": \"cam-2\", \"paired\": false, \"clips\": 1}\n]\n");
  g_free (out);
  d = test_device_start ("--key-file", a, "--device-id", "cam-2", NULL);
  pull_with_keystore (d, "cam-2", 3, &r);
  test_device_stop (d);
  fail_unless (g_error_matches (r.error, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_READ), "%s",
      r.error ? r.error->message : "no error");
  g_clear_error (&r.error);
  play_clip (clip, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless_equals_int (r.frames, N_FRAMES);

  g_free (clip);
  g_free (a);
}

GST_END_TEST;

/* A keystore behind a passphrase: pair needs --passphrase-file to open
 * it, and seecitvsrc passphrase-file= then pulls with the secret. */
GST_START_TEST (test_pair_passphrase)
{
  gchar *pass = g_build_filename (tmpdir, "keys", "pass", NULL);
  gchar *a = g_build_filename (tmpdir, "a.key", NULL);
  gchar *out = NULL;
  TestDevice *d;
  Run r;

  keys_init_passphrase (pass);
  write_secret (a, SECRET_A);
  fail_unless_equals_int (pair_file ("cam-1", a, SECRET_A, NULL, NULL), 1);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "--passphrase-file", pass, "pair", "--device", "cam-1",
          "--secret-file", a, NULL), 0);
  fail_unless_equals_string (out, "paired device\tcam-1\n");
  g_free (out);

  d = test_device_start ("--key-file", a, "--device-id", "cam-1", NULL);
  pull_with_keystore_full (d, "cam-1", 5, pass, &r);
  test_device_stop (d);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless_equals_int (r.frames, 5);

  g_free (a);
  g_free (pass);
}

GST_END_TEST;
#endif

/* Secret files are outside input, read as seecitv-device reads
 * --key-file: 64 hex digits with optional whitespace around them, mode
 * 0600. Anything else is refused (exit 1, the keystore untouched, the
 * content never echoed); wrong command lines are usage errors (exit 2). */
GST_START_TEST (test_pair_bad_input)
{
  const gchar *bad[] = {
    "",
    "\n",
    SECRET_A "0",
    SECRET_A "\n" SECRET_B "\n",
    "0x" SECRET_A,
    "g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "00 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    "secret=" SECRET_A,
  };
  gchar *f = g_build_filename (tmpdir, "s.key", NULL);
  gchar *dir = g_build_filename (tmpdir, "dir.key", NULL);
  gchar *missing = g_build_filename (tmpdir, "missing.key", NULL);
  gchar *gen = g_build_filename (tmpdir, "gen.key", NULL);
  gchar *out = NULL, *err = NULL, *up;
  guint i;

  keys_init ();
  for (i = 0; i < G_N_ELEMENTS (bad); i++) {
    write_secret (f, bad[i]);
    fail_unless_equals_int (pair_file ("cam-1", f, SECRET_A, NULL, &err), 1);
    fail_unless (g_str_has_prefix (err, "seecitv: cannot use the secret "
            "file"), "%s", err);
    if (strlen (bad[i]) > 8)
      fail_if (strstr (err, bad[i] + 8) != NULL, "%s", err);
    g_free (err);
  }
  /* 63 digits */
  write_secret (f, SECRET_A + 1);
  fail_unless_equals_int (pair_file ("cam-1", f, SECRET_A, NULL, NULL), 1);
  /* readable by others, a directory, a missing file */
  write_secret (f, SECRET_A);
  fail_unless (g_chmod (f, 0640) == 0);
  fail_unless_equals_int (pair_file ("cam-1", f, SECRET_A, NULL, &err), 1);
  fail_unless (strstr (err, "chmod 600") != NULL, "%s", err);
  g_free (err);
  fail_unless (g_mkdir (dir, 0700) == 0);
  fail_unless_equals_int (pair_file ("cam-1", dir, SECRET_A, NULL, NULL), 1);
  fail_unless_equals_int (pair_file ("cam-1", missing, SECRET_A, NULL,
          NULL), 1);
  out = devices ();
  fail_unless_equals_string (out, "device\tpaired\tclips\n");
  g_free (out);

  /* What seecitv-device accepts is accepted: either case, whitespace
   * around. */
  up = g_strconcat ("  ", SECRET_B, "\r\n\n", NULL);
  for (i = 0; up[i]; i++)
    up[i] = g_ascii_toupper (up[i]);
  write_secret (f, up);
  fail_unless_equals_int (pair_file ("cam-1", f, SECRET_B, NULL, NULL), 0);
  g_free (up);

  /* Usage errors: nothing created, nothing paired. */
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "pair", "--secret-file", f, NULL), 2);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "pair", "--device", "cam-2", NULL), 2);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "pair", "--device", "cam-2", "--secret-file", f, "--generate",
          "-o", gen, NULL), 2);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "pair", "--device", "cam-2", "--generate", NULL), 2);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "pair", "--device", "cam-2", "--secret-file", f, "-o", gen, NULL),
      2);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "pair", "--device", "../cam", "--generate", "-o", gen, NULL), 2);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "unpair", NULL), 2);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "devices", "extra", NULL), 2);
  fail_if (g_file_test (gen, G_FILE_TEST_EXISTS));
  out = devices ();
  fail_unless_equals_string (out, "device\tpaired\tclips\ncam-1\tyes\t0\n");
  g_free (out);

  /* A keystore that does not open: nothing written. */
  g_unlink (keystore);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "pair", "--device", "cam-2", "--generate", "-o", gen, NULL), 1);
  fail_if (g_file_test (gen, G_FILE_TEST_EXISTS));

  g_free (gen);
  g_free (missing);
  g_free (dir);
  g_free (f);
}

GST_END_TEST;

/* Issue 15 item 3: an older copy of the keystore put back (write access to
 * its folder, no key) is noticed through the generation marker, which
 * keys init keeps outside that folder: export, sheet and playback are
 * refused with reason `rollback`, a seecitvsink recording still records,
 * and keys accept-restore accepts a deliberate restore. */
GST_START_TEST (test_rollback)
{
  gchar *a = rec_path ("a.sctv");
  gchar *sinkdir = rec_path ("sink");
  gchar *old = g_build_filename (tmpdir, "keystore-old", NULL);
  gchar *mkv = g_build_filename (tmpdir, "a.mkv", NULL);
  gchar *png = g_build_filename (tmpdir, "a.png", NULL);
  gchar *markers = g_build_filename (tmpdir, "state", "seecitv", "markers",
      NULL);
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=30 ! "
      "video/x-raw,width=160,height=120,framerate=15/1 ! jpegenc ! "
      "seecitvsink trigger=continuous location=\"%s\" keystore=\"%s\" "
      "device-id=cam2", sinkdir, keystore);
  gchar *out = NULL, *err = NULL, *reason;
  gboolean warned;
  Run r;

  keys_init ();
  fail_unless (g_file_test (markers, G_FILE_TEST_IS_DIR));
  record (a, "cam1", NULL);
  copy_file (keystore, old, -1);
  /* Changes that save the keystore: an export (its access entry). */
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "export", a, "-o", mkv, NULL), 0);
  fail_unless (g_unlink (mkv) == 0);

  /* The old copy put back. */
  copy_file (old, keystore, -1);
  fail_unless (g_chmod (keystore, 0600) == 0);
  fail_unless_equals_int (run_tool (NULL, &err, "--keystore", keystore,
          "export", a, "-o", mkv, NULL), 1);
  fail_unless (strstr (err, "rollback") != NULL, "%s", err);
  fail_if (g_file_test (mkv, G_FILE_TEST_EXISTS));
  g_free (err);
  fail_unless_equals_int (run_tool (NULL, &err, "--keystore", keystore,
          "sheet", a, "-o", png, NULL), 1);
  fail_unless (strstr (err, "rollback") != NULL, "%s", err);
  fail_if (g_file_test (png, G_FILE_TEST_EXISTS));
  g_free (err);
  reason = play_error_reason (a, &warned);
  fail_unless_equals_string (reason, "rollback");
  g_free (reason);
  fail_unless (play_clip_at (NULL, a) != 0);

  /* Recording goes on, and does not clear it. */
  run_launch (desc, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless (r.eos);
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "list", NULL), 0);
  fail_unless (strstr (out, "cam2") != NULL, "%s", out);
  g_free (out);
  reason = play_error_reason (a, &warned);
  fail_unless_equals_string (reason, "rollback");
  g_free (reason);

  /* A deliberate restore, accepted: playback and export work again. */
  fail_unless_equals_int (run_tool (&out, NULL, "--keystore", keystore,
          "keys", "accept-restore", NULL), 0);
  fail_unless (strstr (out, "accepted keystore\t") != NULL, "%s", out);
  g_free (out);
  play_clip (a, &r);
  fail_unless (r.error == NULL, "%s", r.error ? r.error->message : "");
  fail_unless_equals_int (r.frames, N_FRAMES);
  fail_unless_equals_int (play_clip_at (NULL, a), 0);
  fail_unless_equals_int (run_tool (NULL, NULL, "--keystore", keystore,
          "export", a, "-o", mkv, NULL), 0);

  g_free (desc);
  g_free (markers);
  g_free (png);
  g_free (mkv);
  g_free (old);
  g_free (sinkdir);
  g_free (a);
}

GST_END_TEST;

static Suite *
seecitv_tool_suite (void)
{
  Suite *s = suite_create ("seecitv-tool");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_keys_init);
  tcase_add_test (tc, test_list_verify);
  tcase_add_test (tc, test_list_media_duration);
  tcase_add_test (tc, test_export);
  tcase_add_test (tc, test_states);
  tcase_add_test (tc, test_forget);
  tcase_add_test (tc, test_purge);
  tcase_add_test (tc, test_passphrase);
  tcase_add_test (tc, test_audit);
  tcase_add_test (tc, test_forget_access_log);
  tcase_add_test (tc, test_sheet);
  tcase_add_test (tc, test_play_unlogged);
  tcase_add_test (tc, test_keys_rotate);
  tcase_add_test (tc, test_keys_rotate_passphrase);
  tcase_add_test (tc, test_rollback);
  tcase_add_test (tc, test_pair_bad_input);
#ifdef SEECITV_DEVICE_TOOL
  tcase_add_test (tc, test_pair_pull);
  tcase_add_test (tc, test_pair_wrong_secret);
  tcase_add_test (tc, test_pair_forget);
  tcase_add_test (tc, test_pair_passphrase);
#endif
  return s;
}

GST_CHECK_MAIN (seecitv_tool);
