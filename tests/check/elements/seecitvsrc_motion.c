/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Interop with a daemon that is not ours (issue 4): Debian's `motion`
 * playing testdata/vtest.avi and serving it as MJPEG with HTTP Digest over
 * TLS, its certificate made here (self-signed, 127.0.0.1), run as a
 * subprocess with a generated configuration in a temporary directory on
 * free loopback ports. seecitvsrc pins the certificate (and, separately,
 * trusts it through tls-ca-file), answers the Digest challenge, rides out
 * the empty replies motion gives for ~2 s after its port opens, and the
 * frames decode with jpegdec at the configured size. A wrong password is
 * an http-auth error. Skips (77) when motion is not installed or the test
 * media is missing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "seecitvsrc_device.h"
#include "../common/testfs.h"

#define WIDTH 384
#define HEIGHT 288

static gchar *motion_path;
static gchar *vtest;

typedef struct
{
  gchar *dir;
  gchar *cert_file;             /* certificate only: the CA file */
  gchar *pin;
  gchar *url;
  GSubprocess *proc;
} Motion;

static gchar *
write_file (const gchar * dir, const gchar * name, const gchar * text)
{
  gchar *path = g_build_filename (dir, name, NULL);

  fail_unless (g_file_set_contents (path, text, -1, NULL));
  fail_unless_equals_int (g_chmod (path, 0600), 0);
  return path;
}

/* motion with a fresh certificate, Digest user "viewer":"c4mera". */
static Motion *
motion_start (void)
{
  Motion *m = g_new0 (Motion, 1);
  gchar *pem = test_make_certificate_pem ();
  GTlsCertificate *cert = g_tls_certificate_new_from_pem (pem, -1, NULL);
  gchar *cert_pem = NULL, *key_pem = NULL, *pem_file, *conf, *conf_file;
  guint16 stream_port = test_free_port (), control_port = test_free_port ();
  GError *err = NULL;

  fail_unless (cert != NULL);
  m->dir = test_tmpdir_new ("seecitvsrc-motion-XXXXXX");
  g_object_get (cert, "certificate-pem", &cert_pem, "private-key-pem",
      &key_pem, NULL);
  fail_unless (cert_pem != NULL && key_pem != NULL);
  m->cert_file = write_file (m->dir, "cert.pem", cert_pem);
  pem_file = write_file (m->dir, "key.pem", key_pem);
  m->pin = test_certificate_pin (cert);

  /* stream TLS needs webcontrol_tls (and its cert/key); the web control
   * itself is on loopback behind the same Digest credentials */
  conf = g_strdup_printf ("daemon off\n"
      "setup_mode off\n"
      "log_level 6\n"
      "log_file %s/motion.log\n"
      "target_dir %s\n"
      "pid_file %s/motion.pid\n"
      "netcam_url file://%s\n"
      "width %d\nheight %d\nframerate 10\n"
      "picture_output off\nmovie_output off\n"
      "webcontrol_port %u\nwebcontrol_localhost on\n"
      "webcontrol_tls on\nwebcontrol_cert %s\nwebcontrol_key %s\n"
      "webcontrol_auth_method 2\nwebcontrol_authentication viewer:c4mera\n"
      "stream_port %u\nstream_localhost on\nstream_tls on\n"
      "stream_auth_method 2\nstream_authentication viewer:c4mera\n"
      "stream_maxrate 10\nstream_quality 75\n",
      m->dir, m->dir, m->dir, vtest, WIDTH, HEIGHT, control_port,
      m->cert_file, pem_file, stream_port);
  conf_file = write_file (m->dir, "motion.conf", conf);
  m->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err, motion_path, "-n", "-c",
      conf_file, NULL);
  fail_unless (m->proc != NULL, "%s", err ? err->message : "");
  m->url = g_strdup_printf ("https://127.0.0.1:%u/", stream_port);

  g_free (conf);
  g_free (conf_file);
  g_free (pem_file);
  g_free (cert_pem);
  if (key_pem != NULL)
    memset (key_pem, 0, strlen (key_pem));
  g_free (key_pem);
  g_free (pem);
  g_object_unref (cert);
  return m;
}

static void
motion_stop (Motion * m)
{
  GDir *d;
  const gchar *n;

  g_subprocess_send_signal (m->proc, SIGTERM);
  g_subprocess_wait (m->proc, NULL, NULL);
  g_object_unref (m->proc);
  d = g_dir_open (m->dir, 0, NULL);
  while (d != NULL && (n = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (m->dir, n, NULL);
    g_unlink (p);
    g_free (p);
  }
  if (d != NULL)
    g_dir_close (d);
  g_rmdir (m->dir);
  g_free (m->dir);
  g_free (m->cert_file);
  g_free (m->pin);
  g_free (m->url);
  g_free (m);
}

/* seecitvsrc ! jpegdec ! appsink against @m; @configure sets TLS trust. */
static GstElement *
pipeline_new (Motion * m, const gchar * pw, GstElement ** src,
    GstElement ** sink)
{
  GstElement *p = gst_parse_launch ("seecitvsrc name=src "
      "retry-delay=200000000 timeout=5000000000 max-retries=40 "
      "! jpegdec ! appsink name=sink sync=false", NULL);

  fail_unless (p != NULL);
  *src = gst_bin_get_by_name (GST_BIN (p), "src");
  *sink = gst_bin_get_by_name (GST_BIN (p), "sink");
  g_object_set (*src, "location", m->url, "user-id", "viewer", "user-pw", pw,
      NULL);
  return p;
}

static void
pipeline_free (GstElement * p, GstElement * src, GstElement * sink)
{
  fail_unless_equals_int (gst_element_set_state (p, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (p);
}

/* Ten decoded frames of the configured size, increasing timestamps. */
static void
expect_frames (GstElement * sink)
{
  GstClockTime last = GST_CLOCK_TIME_NONE;
  guint i;

  for (i = 0; i < 10; i++) {
    GstSample *s = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        30 * GST_SECOND);
    GstVideoInfo info;
    GstBuffer *buf;

    fail_unless (s != NULL, "no decoded frame %u from motion", i);
    fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (s)));
    fail_unless_equals_int (GST_VIDEO_INFO_WIDTH (&info), WIDTH);
    fail_unless_equals_int (GST_VIDEO_INFO_HEIGHT (&info), HEIGHT);
    buf = gst_sample_get_buffer (s);
    fail_unless (gst_buffer_get_size (buf) >= GST_VIDEO_INFO_SIZE (&info));
    fail_unless (GST_BUFFER_PTS_IS_VALID (buf));
    if (GST_CLOCK_TIME_IS_VALID (last))
      fail_unless (GST_BUFFER_PTS (buf) > last);
    last = GST_BUFFER_PTS (buf);
    gst_sample_unref (s);
  }
}

GST_START_TEST (test_motion_digest_tls_pin)
{
  Motion *m = motion_start ();
  GstElement *src, *sink, *p = pipeline_new (m, "c4mera", &src, &sink);

  g_object_set (src, "tls-pin", m->pin, NULL);
  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  expect_frames (sink);
  pipeline_free (p, src, sink);
  motion_stop (m);
}

GST_END_TEST;

GST_START_TEST (test_motion_digest_tls_ca_file)
{
  Motion *m = motion_start ();
  GstElement *src, *sink, *p = pipeline_new (m, "c4mera", &src, &sink);

  g_object_set (src, "tls-ca-file", m->cert_file, NULL);
  fail_unless (gst_element_set_state (p, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  expect_frames (sink);
  pipeline_free (p, src, sink);
  motion_stop (m);
}

GST_END_TEST;

/* A wrong password: RESOURCE NOT_AUTHORIZED, reason http-auth, once
 * motion is up (the empty replies before are retried). */
GST_START_TEST (test_motion_wrong_password)
{
  Motion *m = motion_start ();
  GstElement *src, *sink, *p = pipeline_new (m, "guess", &src, &sink);
  GstBus *bus = gst_element_get_bus (p);
  const GstStructure *details = NULL;
  GstMessage *msg;
  GError *err = NULL;

  g_object_set (src, "tls-pin", m->pin, NULL);
  gst_element_set_state (p, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 30 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error within 30 s");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR);
  fail_unless_equals_int (err->code, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  gst_message_parse_error_details (msg, &details);
  fail_unless (details != NULL);
  fail_unless_equals_string (gst_structure_get_string (details, "reason"),
      "http-auth");
  g_error_free (err);
  gst_message_unref (msg);
  gst_object_unref (bus);
  pipeline_free (p, src, sink);
  motion_stop (m);
}

GST_END_TEST;

static Suite *
seecitvsrc_motion_suite (void)
{
  Suite *s = suite_create ("seecitvsrc_motion");
  TCase *tc = tcase_create ("general");

  test_no_proxy ();
  test_asan_no_fork ();
  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 120);
  tcase_add_test (tc, test_motion_digest_tls_pin);
  tcase_add_test (tc, test_motion_digest_tls_ca_file);
  tcase_add_test (tc, test_motion_wrong_password);
  return s;
}

int
main (int argc, char **argv)
{
  const gchar *dir = g_getenv ("SEECITV_TESTDATA_DIR");
  Suite *s;
  int failed;

  gst_check_init (&argc, &argv);
  motion_path = g_find_program_in_path ("motion");
  if (motion_path == NULL) {
    g_print ("SKIP: motion is not installed (apt-get install motion)\n");
    return 77;
  }
  vtest = dir && *dir ? g_build_filename (dir, "vtest.avi", NULL) : NULL;
  if (vtest == NULL || !g_file_test (vtest, G_FILE_TEST_IS_REGULAR)) {
    g_print ("SKIP: no vtest.avi in SEECITV_TESTDATA_DIR (./run testdata)\n");
    return 77;
  }
  s = seecitvsrc_motion_suite ();
  failed = gst_check_run_suite (s, "seecitvsrc_motion", __FILE__);
  g_free (vtest);
  g_free (motion_path);
  return failed != 0 ? 1 : 0;
}
