/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-serve's RTSP mounts read by ffmpeg, the client that Frigate,
 * Scrypted, Shinobi, ZoneMinder and motionEye use (issue 17). Two devices
 * (videotestsrc, 15 fps), one encoding with 1 x264 thread (one slice per
 * frame), one with 4 (sliced threads: 4 slices per frame); each mount is
 * read for 5 s over TCP and over UDP by two ffmpeg processes at once:
 * - a decode (`-v warning ... -f framecrc -`): nothing on stderr, and the
 *   number of decoded frames within 10 % of 75;
 * - a copy (`-c copy` to Matroska, as Frigate records): in ffprobe's
 *   `-show_packets`, within 10 % of 75 packets and no two with one pts.
 *   A keyframe split in two (parameter sets repeated before each of its
 *   slices, so that ffmpeg starts a new access unit at the second) shows
 *   as packets sharing a pts.
 * The copy runs with -copyts and at -v error: ffmpeg's RTSP demuxer leaves
 * the pts of the first packet unset whatever the codec and server
 * (rtpjpegpay from gst-rtsp-server too), which its muxers warn about and,
 * after shifting the start to 0, stamp with the second packet's pts.
 * Also: README's RTSP passwords are URL-safe, a percent-encoded one
 * (docs/serve.md) works, and the default address 0.0.0.0 is printed as
 * addresses a client can connect to.
 * And Debian's motion as an NVR on a mount: it records movies that ffmpeg
 * decodes cleanly.
 * Skips (77) without ffmpeg/ffprobe or motion (`./run test` installs them).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "serve-common.h"

#define USER "nvr"
#define PASS "ffmpeg-reads-this-0123"
#define FPS 15
#define SECONDS 5
#define EXPECTED (FPS * SECONDS)

static gchar *tmpdir;

static void
setup (void)
{
  tmpdir = test_tmpdir_new ("seecitv-serve-ffmpeg-XXXXXX");
}

static void
teardown (void)
{
  test_remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

static GSubprocess *
spawn (const gchar * const *argv)
{
  GError *err = NULL;
  GSubprocess *p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_PIPE, &err);

  fail_unless (p != NULL, "%s: %s", argv[0], err ? err->message : "");
  return p;
}

/* Waits for @p; returns its exit status, its stdout and stderr. */
static gint
finish (GSubprocess * p, gchar ** out, gchar ** err_text)
{
  GError *err = NULL;
  gint status;

  fail_unless (g_subprocess_communicate_utf8 (p, NULL, NULL, out, err_text,
          &err), "%s", err ? err->message : "");
  status = g_subprocess_get_if_exited (p) ?
      g_subprocess_get_exit_status (p) : -1;
  g_object_unref (p);
  return status;
}

static guint
count_frames (const gchar * framecrc)
{
  gchar **lines = g_strsplit (framecrc, "\n", -1);
  guint n = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0' && lines[i][0] != '#')
      n++;
  g_strfreev (lines);
  return n;
}

/* The video packets of @file (ffprobe), checked: within 10 % of EXPECTED,
 * no two with one pts. */
static void
check_packets (const gchar * what, const gchar * file)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-select_streams", "v",
    "-show_entries", "packet=pts", "-of", "csv=p=0", file, NULL
  };
  gchar *out = NULL, *err = NULL;
  gchar **lines;
  GHashTable *seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = 0;

  fail_unless_equals_int (finish (spawn (argv), &out, &err), 0);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    if (lines[i][0] == '\0')
      continue;
    n++;
    fail_if (g_hash_table_contains (seen, lines[i]), "%s: two packets with "
        "pts %s: a frame split in two", what, lines[i]);
    g_hash_table_add (seen, lines[i]);
  }
  fail_unless (n * 10 >= EXPECTED * 9 && n * 10 <= EXPECTED * 11,
      "%s: %u packets for %u frames", what, n, EXPECTED);
  GST_INFO ("%s: %u packets, distinct pts", what, n);
  g_hash_table_unref (seen);
  g_strfreev (lines);
  g_free (out);
  g_free (err);
}

/* Reads @url for SECONDS over @transport, decoding and copying at once. */
static void
read_mount (const gchar * id, const gchar * url, const gchar * transport)
{
  gchar *what = g_strdup_printf ("%s over %s", id, transport);
  gchar *file = g_strdup_printf ("%s/%s-%s.mkv", tmpdir, id, transport);
  const gchar *decode[] = { "ffmpeg", "-nostdin", "-v", "warning",
    "-rtsp_transport", transport, "-i", url, "-t", G_STRINGIFY (SECONDS),
    "-f", "framecrc", "-", NULL
  };
  const gchar *copy[] = { "ffmpeg", "-nostdin", "-v", "error",
    "-rtsp_transport", transport, "-i", url, "-t", G_STRINGIFY (SECONDS),
    "-c", "copy", "-copyts", "-f", "matroska", "-y", file, NULL
  };
  GSubprocess *dp = spawn (decode), *cp = spawn (copy);
  gchar *out = NULL, *err = NULL;
  guint frames;

  fail_unless_equals_int (finish (dp, &out, &err), 0);
  fail_unless (err == NULL || *err == '\0', "%s: ffmpeg said:\n%s", what,
      err);
  frames = count_frames (out);
  fail_unless (frames * 10 >= EXPECTED * 9 && frames * 10 <= EXPECTED * 11,
      "%s: %u frames decoded, %u expected", what, frames, EXPECTED);
  GST_INFO ("%s: %u frames decoded", what, frames);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  fail_unless_equals_int (finish (cp, &out, &err), 0);
  fail_unless (err == NULL || *err == '\0', "%s: ffmpeg -c copy said:\n%s",
      what, err);
  check_packets (what, file);
  g_free (out);
  g_free (err);
  g_free (file);
  g_free (what);
}

GST_START_TEST (test_ffmpeg_reads_every_mount)
{
  gchar *creds = write_file (tmpdir, "rtsp.credentials", USER ":" PASS "\n");
  gchar *text = g_strdup_printf ("[rtsp]\naddress=127.0.0.1\nport=0\n"
      "credentials-file=%s\n"
      "[device one-thread]\npipeline=videotestsrc is-live=true pattern=ball "
      "! video/x-raw,width=320,height=240,framerate=%d/1 ! queue\n"
      "detect-faces=false\nencoder-threads=1\nkey-interval=15\n"
      "[device four-threads]\npipeline=videotestsrc is-live=true "
      "pattern=ball ! video/x-raw,width=320,height=240,framerate=%d/1 ! "
      "queue\ndetect-faces=false\nencoder-threads=4\nkey-interval=15\n",
      creds, FPS, FPS);
  gchar *config = write_file (tmpdir, "serve.conf", text);
  Serve *s = serve_start (config, 2);
  const gchar *ids[] = { "one-thread", "four-threads" };

  fail_unless_equals_int (g_hash_table_size (s->urls), 2);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++) {
    const gchar *printed = g_hash_table_lookup (s->urls, ids[i]);
    gchar *url, *line;

    fail_unless (printed != NULL && g_str_has_prefix (printed, "rtsp://"),
        "%s", s->output->str);
    url = g_strdup_printf ("rtsp://" USER ":" PASS "@%s",
        printed + strlen ("rtsp://"));
    line = g_strdup_printf ("device %s: playing", ids[i]);
    fail_unless (serve_wait_line (s, line), "%s", s->output->str);
    g_free (line);
    read_mount (ids[i], url, "tcp");
    read_mount (ids[i], url, "udp");
    g_free (url);
  }
  {
    gint status = serve_stop (s);

    fail_unless (status == 0, "exit status %d:\n%s", status, s->output->str);
  }
  serve_free (s);
  g_free (config);
  g_free (text);
  g_free (creds);
}

GST_END_TEST;

/* README's command that makes the RTSP password, run once: the
 * password it printed (g_free ()). */
static gchar *
readme_password (void)
{
  gchar *readme = NULL, *line = NULL, *out = NULL;
  gchar **lines;
  const gchar *argv[] = { "sh", "-c", NULL, NULL };
  GSubprocess *p;

  fail_unless (g_file_get_contents (SEECITV_README, &readme, NULL, NULL));
  lines = g_strsplit (readme, "\n", -1);
  for (guint i = 0; lines[i] != NULL && line == NULL; i++)
    if (g_str_has_prefix (lines[i], "printf 'nvr:") &&
        g_str_has_suffix (lines[i], " > rtsp.credentials"))
      line = g_strndup (lines[i], strlen (lines[i]) -
          strlen (" > rtsp.credentials"));
  fail_unless (line != NULL, "no credentials line in README.md");
  argv[2] = line;
  p = spawn (argv);
  fail_unless_equals_int (finish (p, &out, NULL), 0);
  fail_unless (g_str_has_prefix (out, "nvr:") && g_str_has_suffix (out,
          "\n"), "%s", out);
  out[strlen (out) - 1] = '\0';
  memmove (out, out + 4, strlen (out + 4) + 1);
  g_strfreev (lines);
  g_free (line);
  g_free (readme);
  return out;
}

/* ffprobe finds one H.264 stream at @url. */
static void
probe_ok (const gchar * url)
{
  const gchar *argv[] = { "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
    "-show_entries", "stream=codec_name", "-of", "csv=p=0", url, NULL
  };
  gchar *out = NULL, *err = NULL;
  gint status = finish (spawn (argv), &out, &err);

  fail_unless (status == 0 && g_str_has_prefix (out, "h264"),
      "ffprobe exit %d: %s", status, err);
  g_free (out);
  g_free (err);
}

/* The README's passwords are URL-safe: ffmpeg takes them in a URL as they
 * are; docs/serve.md's percent-encoding works for one that is not; the
 * default address (0.0.0.0) is printed as addresses a client can use. */
GST_START_TEST (test_url_credentials)
{
  gchar *pass = NULL, *creds_text, *creds, *text, *config;
  const gchar *printed;
  gchar *url, **lines;
  Serve *s;

  /* 20 passwords of 24 characters: base64 would have put a '/' or a '+'
   * into one of them with a probability of 1 - (62/64)^480 > 0.99999 */
  for (guint i = 0; i < 20; i++) {
    g_free (pass);
    pass = readme_password ();
    fail_unless (strlen (pass) >= 16, "%s", pass);
    for (const gchar * c = pass; *c; c++)
      fail_unless (g_ascii_isalnum (*c) || strchr ("-._~", *c) != NULL,
          "README's password %s has '%c', not URL-safe", pass, *c);
  }
  creds_text = g_strdup_printf ("nvr:%s\nodd:ab/c+d@e f%%\n", pass);
  creds = write_file (tmpdir, "rtsp.credentials", creds_text);
  text = g_strdup_printf ("[rtsp]\nport=0\ncredentials-file=%s\n"
      "[device cam]\npipeline=videotestsrc is-live=true ! "
      "video/x-raw,width=160,height=120,framerate=%d/1 ! queue\n"
      "detect-faces=false\n", creds, FPS);
  config = write_file (tmpdir, "serve.conf", text);
  s = serve_start (config, 1);
  printed = g_hash_table_lookup (s->urls, "cam");
  fail_unless (printed != NULL, "%s", s->output->str);
  lines = g_strsplit (s->output->str, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    fail_if (g_str_has_prefix (lines[i], "rtsp: ") &&
        (strstr (lines[i], "0.0.0.0") != NULL ||
            strstr (lines[i], "[::]") != NULL), "%s", lines[i]);
  g_strfreev (lines);
  fail_unless (serve_wait_line (s, "device cam: playing"), "%s",
      s->output->str);

  url = g_strdup_printf ("rtsp://nvr:%s@%s", pass, printed + 7);
  probe_ok (url);
  g_free (url);
  url = g_strdup_printf ("rtsp://odd:ab%%2Fc%%2Bd%%40e%%20f%%25@%s",
      printed + 7);
  probe_ok (url);
  g_free (url);

  fail_unless_equals_int (serve_stop (s), 0);
  fail_unless (strstr (s->output->str, pass) == NULL);
  serve_free (s);
  g_free (config);
  g_free (text);
  g_free (creds);
  g_free (creds_text);
  g_free (pass);
}

GST_END_TEST;

static guint
count_movies (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *n;
  guint count = 0;

  while (d != NULL && (n = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (n, ".mkv"))
      count++;
  if (d)
    g_dir_close (d);
  return count;
}

/* Debian's motion 4.5.1 as an NVR on a mount (netcam_url rtsp://,
 * netcam_userpass: Digest): it connects and records movies (re-encoded
 * from what it decoded) that ffmpeg decodes without a word; motion's log
 * has no error either. */
GST_START_TEST (test_motion_nvr)
{
  gchar *creds = write_file (tmpdir, "rtsp.credentials", USER ":" PASS "\n");
  gchar *movies = g_build_filename (tmpdir, "movies", NULL);
  gchar *text = g_strdup_printf ("[rtsp]\naddress=127.0.0.1\nport=0\n"
      "credentials-file=%s\n[device cam]\npipeline=videotestsrc "
      "is-live=true pattern=ball ! video/x-raw,width=320,height=240,"
      "framerate=%d/1 ! queue\ndetect-faces=false\nencoder-threads=4\n"
      "key-interval=15\n", creds, FPS);
  gchar *config = write_file (tmpdir, "serve.conf", text);
  Serve *s = serve_start (config, 1);
  const gchar *printed = g_hash_table_lookup (s->urls, "cam");
  gchar *mconf_text, *mconf, *out = NULL, *err = NULL;
  GSubprocess *motion;
  const gchar *argv[] = { "motion", "-n", "-c", NULL, NULL };
  gint64 end;
  GDir *dir;
  const gchar *name;
  guint checked = 0;

  fail_unless (printed != NULL, "%s", s->output->str);
  fail_unless (serve_wait_line (s, "device cam: playing"));
  fail_unless_equals_int (g_mkdir (movies, 0700), 0);
  mconf_text = g_strdup_printf ("daemon off\nsetup_mode off\nlog_level 6\n"
      "target_dir %s\nnetcam_url %s\nnetcam_userpass " USER ":" PASS "\n"
      "width 320\nheight 240\nframerate %d\nemulate_motion on\n"
      "movie_output on\nmovie_max_time 2\nmovie_codec mkv\n"
      "picture_output off\nwebcontrol_port 0\nstream_port 0\n", movies,
      printed, FPS);
  mconf = write_file (tmpdir, "motion.conf", mconf_text);
  argv[3] = mconf;
  motion = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_MERGE, NULL);
  fail_unless (motion != NULL);
  /* a second movie begun: the first is closed */
  end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (count_movies (movies) < 2 && g_get_monotonic_time () < end)
    g_usleep (200 * 1000);
  g_subprocess_send_signal (motion, SIGTERM);
  fail_unless (g_subprocess_communicate_utf8 (motion, NULL, NULL, &out,
          NULL, NULL));
  g_object_unref (motion);
  fail_unless (count_movies (movies) >= 2, "motion recorded %u movies:\n%s",
      count_movies (movies), out);
  fail_unless (strstr (out, "connected") != NULL, "%s", out);
  fail_unless (strstr (out, "[ERR]") == NULL, "%s", out);

  dir = g_dir_open (movies, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL) {
    gchar *path = g_build_filename (movies, name, NULL);
    const gchar *decode[] = { "ffmpeg", "-nostdin", "-v", "warning", "-i",
      path, "-f", "framecrc", "-", NULL
    };
    gchar *frames = NULL;

    fail_unless_equals_int (finish (spawn (decode), &frames, &err), 0);
    fail_unless (err == NULL || *err == '\0', "%s: %s", name, err);
    /* the last movie may have been cut short by SIGTERM */
    fail_unless (count_frames (frames) >= 1, "%s: no frame", name);
    checked++;
    g_clear_pointer (&err, g_free);
    g_free (frames);
    g_free (path);
  }
  g_dir_close (dir);
  fail_unless (checked >= 2);

  fail_unless_equals_int (serve_stop (s), 0);
  serve_free (s);
  g_free (out);
  g_free (mconf);
  g_free (mconf_text);
  g_free (config);
  g_free (text);
  g_free (movies);
  g_free (creds);
}

GST_END_TEST;

static Suite *
serve_ffmpeg_suite (void)
{
  Suite *s = suite_create ("seecitv-serve_ffmpeg");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  tcase_add_checked_fixture (tc, setup, teardown);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_url_credentials);
  tcase_add_test (tc, test_motion_nvr);
  tcase_add_test (tc, test_ffmpeg_reads_every_mount);
  return s;
}

int
main (int argc, char **argv)
{
  gchar *ffmpeg = g_find_program_in_path ("ffmpeg");
  gchar *ffprobe = g_find_program_in_path ("ffprobe");
  gchar *motion = g_find_program_in_path ("motion");
  gboolean found = ffmpeg != NULL && ffprobe != NULL && motion != NULL;

  g_free (ffmpeg);
  g_free (ffprobe);
  g_free (motion);
  if (!found) {
    g_printerr ("ffmpeg/ffprobe or motion not installed: skipped\n");
    return 77;
  }
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (serve_ffmpeg_suite (), "seecitv-serve_ffmpeg",
      __FILE__);
}
