/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tests of seecitv-serve's config, credentials and secret-file parsers
 * (tools/serve-config.c): a full config parses to the values written; each
 * kind of mistake gives its error code and a message that names the file,
 * the group and the key (what a user needs to fix it) and never a value;
 * the credentials parser reports line numbers without the line; secret
 * files readable by others are refused.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <string.h>

#include "serve-config.h"

#define PATH "/etc/seecitv/serve.conf"

static SeecitvServeConfig *
parse (const gchar * text, GError ** err)
{
  return seecitv_serve_config_parse (text, strlen (text), PATH, err);
}

GST_START_TEST (test_full)
{
  const gchar *text =
      "# the whole house\n"
      "[rtsp]\naddress=127.0.0.1\nport=8555\nmax-auth-failures=3\n"
      "lockout=2.5\n"
      "credentials-file=/etc/seecitv/rtsp.credentials\n"
      "[webhook]\nurl=https://ha.example/hook\n"
      "secret-file=/etc/seecitv/hook.secret\nqueue-size=10\n"
      "retry-initial=0.5\nretry-max=30\ntimeout=5\n"
      "[device front-door]\nurl=https://192.168.1.20:8443/seecitv/v1/stream\n"
      "pin=sha256:" "0123456789abcdef0123456789abcdef"
      "0123456789abcdef0123456789abcdef\n"
      "key-file=/etc/seecitv/front.key\n"
      "zones=0.78,0.05 0.97,0.05 0.97,0.35\n"
      "motion-zones=door:0.6:0,0 1,0 1,1\n"
      "recording-dir=/var/lib/seecitv/clips\n"
      "keystore=/var/lib/seecitv/keystore\nrecord=continuous\n"
      "bitrate=1000\nkey-interval=15\ndetect-faces=false\n"
      "encoder-threads=4\n"
      "[device garden]\nid=garden-2\n"
      "pipeline=videotestsrc is-live=true ! videoconvert\n";
  GError *err = NULL;
  SeecitvServeConfig *c = parse (text, &err);
  SeecitvServeDevice *d;

  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless (c->rtsp);
  fail_unless_equals_string (c->rtsp_address, "127.0.0.1");
  fail_unless_equals_int (c->rtsp_port, 8555);
  fail_unless_equals_int (c->rtsp_max_auth_failures, 3);
  fail_unless_equals_int (c->rtsp_lockout_ms, 2500);
  fail_unless_equals_string (c->rtsp_credentials_file,
      "/etc/seecitv/rtsp.credentials");
  fail_unless (c->rtsp_tls_cert_file == NULL && !c->rtsp_tls_self_signed);
  fail_unless_equals_string (c->webhook_url, "https://ha.example/hook");
  fail_unless_equals_int (c->webhook_queue_size, 10);
  fail_unless_equals_int (c->webhook_retry_initial_ms, 500);
  fail_unless_equals_int (c->webhook_retry_max_ms, 30000);
  fail_unless_equals_int (c->webhook_timeout_s, 5);
  fail_unless_equals_int (c->devices->len, 2);
  d = g_ptr_array_index (c->devices, 0);
  fail_unless_equals_string (d->id, "front-door");
  fail_unless_equals_string (d->key_file, "/etc/seecitv/front.key");
  fail_unless_equals_string (d->zones, "0.78,0.05 0.97,0.05 0.97,0.35");
  fail_unless_equals_string (d->motion_zones, "door:0.6:0,0 1,0 1,1");
  fail_unless_equals_int (d->record, SEECITV_SERVE_RECORD_CONTINUOUS);
  fail_unless_equals_int (d->bitrate, 1000);
  fail_unless_equals_int (d->key_interval, 15);
  fail_unless_equals_int (d->encoder_threads, 4);
  fail_unless (!d->detect_faces);
  d = g_ptr_array_index (c->devices, 1);
  fail_unless_equals_string (d->id, "garden-2");
  fail_unless_equals_string (d->group, "device garden");
  fail_unless (d->url == NULL && d->recording_dir == NULL);
  fail_unless (d->detect_faces);
  fail_unless_equals_int (d->bitrate, SEECITV_SERVE_DEFAULT_BITRATE);
  fail_unless_equals_int (d->encoder_threads, 0);
  seecitv_serve_config_free (c);

  /* an RTSP camera: its keys, and their defaults */
  c = parse ("[device cam]\nurl=rtsp://192.0.2.5:554/Streaming/102\n"
      "user=nvr\npassword-file=/etc/seecitv/cam.password\ntransport=udp\n"
      "stream=1\nretry-initial=0.5\nretry-max=10\ntimeout=3\n"
      "[device cam2]\nurl=rtsps://192.0.2.6/live\n", &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  d = g_ptr_array_index (c->devices, 0);
  fail_unless (d->camera && !d->camera_tcp);
  fail_unless_equals_int (d->camera_stream, 1);
  fail_unless_equals_int (d->camera_retry_initial_ms, 500);
  fail_unless_equals_int (d->camera_retry_max_ms, 10000);
  fail_unless_equals_int (d->camera_timeout_ms, 3000);
  fail_unless_equals_string (d->user, "nvr");
  d = g_ptr_array_index (c->devices, 1);
  fail_unless (d->camera && d->camera_tcp);
  fail_unless_equals_int (d->camera_stream, 0);
  fail_unless_equals_int (d->camera_retry_initial_ms,
      SEECITV_SERVE_DEFAULT_CAMERA_RETRY_INITIAL_MS);
  fail_unless_equals_int (d->camera_retry_max_ms,
      SEECITV_SERVE_DEFAULT_CAMERA_RETRY_MAX_MS);
  fail_unless_equals_int (d->camera_timeout_ms,
      SEECITV_SERVE_DEFAULT_CAMERA_TIMEOUT_MS);
  seecitv_serve_config_free (c);

  /* [onvif]: its keys and defaults */
  c = parse ("[rtsp]\ncredentials-file=c\n[onvif]\ncredentials-file=o\n"
      "[device a]\npipeline=videotestsrc\n", &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless (c->onvif);
  fail_unless_equals_string (c->onvif_address, "0.0.0.0");
  fail_unless_equals_int (c->onvif_port, SEECITV_SERVE_DEFAULT_ONVIF_PORT);
  fail_unless_equals_string (c->onvif_credentials_file, "o");
  fail_unless_equals_string (c->onvif_name, "seecitv");
  seecitv_serve_config_free (c);
  c = parse ("[rtsp]\ncredentials-file=c\n[onvif]\ncredentials-file=o\n"
      "address=::1\nport=0\nname=Front of house\n"
      "[device a]\npipeline=videotestsrc\n", &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless_equals_string (c->onvif_address, "::1");
  fail_unless_equals_int (c->onvif_port, 0);
  fail_unless_equals_string (c->onvif_name, "Front of house");
  seecitv_serve_config_free (c);

  /* no [rtsp], no [webhook]: defaults */
  c = parse ("[device a]\npipeline=videotestsrc\n", &err);
  fail_unless (c != NULL);
  fail_unless (!c->rtsp && !c->onvif && c->webhook_url == NULL);
  seecitv_serve_config_free (c);
}

GST_END_TEST;

static const struct
{
  const gchar *text;
  gint code;
  const gchar *group;           /* must appear in the message, or NULL */
  const gchar *key;             /* must appear in the message, or NULL */
  gsize len;                    /* 0: strlen (text) */
} bad[] = {
  {"[onvif]\ncredentials-file=o\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_MISSING, "[onvif]", "[rtsp]"},
  {"[rtsp]\ncredentials-file=c\n[onvif]\nport=80\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_MISSING, "[onvif]", "credentials-file"},
  {"[rtsp]\ncredentials-file=c\n[onvif]\ncredentials-file=o\n"
        "address=example.com\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[onvif]", "address"},
  {"[rtsp]\ncredentials-file=c\n[onvif]\ncredentials-file=o\n"
        "name=<x>\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[onvif]", "name"},
  {"[rtsp]\ncredentials-file=c\n[onvif]\ncredentials-file=o\n"
        "events=true\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_UNKNOWN, "[onvif]", "events"},
  {"[device a]\npipeline=x\nzone=0,0 1,0 1,1\n",
      SEECITV_SERVE_CONFIG_ERROR_UNKNOWN, "[device a]", "zone"},
  {"[device a]\npin=sha256:00\n", SEECITV_SERVE_CONFIG_ERROR_MISSING,
      "[device a]", "url"},
  {"[device a]\nurl=http://x/\npipeline=y\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "url"},
  {"[device a]\nurl=ftp://x/\n", SEECITV_SERVE_CONFIG_ERROR_INVALID,
      "[device a]", "url"},
  /* RTSP cameras: the login in its own keys (rtspsrc logs its location),
   * no seecitv pin or pairing key, camera keys only for a camera */
  {"[device a]\nurl=rtsp://nvr:pw@192.0.2.5/live\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "url"},
  {"[device a]\nurl=rtsp://192.0.2.5/live\npin=sha256:0123456789abcdef"
        "0123456789abcdef0123456789abcdef0123456789abcdef\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "pin"},
  {"[device a]\nurl=rtsp://192.0.2.5/live\nkey-file=/k\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "key-file"},
  {"[device a]\nurl=rtsp://192.0.2.5/live\ntransport=http\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "transport"},
  {"[device a]\nurl=rtsp://192.0.2.5/live\nstream=16\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "stream"},
  {"[device a]\nurl=rtsp://192.0.2.5/live\nretry-initial=5\nretry-max=2\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "retry-max"},
  {"[device a]\nurl=rtsp://192.0.2.5/live\ntimeout=0.1\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "timeout"},
  {"[device a]\nurl=http://192.0.2.5/video\ntransport=tcp\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "transport"},
  {"[device a]\npipeline=videotestsrc\nstream=1\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "stream"},
  {"[device a]\nurl=http://x/\npin=sha256:00\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "pin"},
  /* a well-formed pin on plain HTTP would be ignored: refused (issue 15) */
  {"[device cam-1]\nurl=http://192.0.2.1:8080/seecitv/v1/stream\n"
        "pin=sha256:0123456789abcdef0123456789abcdef"
        "0123456789abcdef0123456789abcdef\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device cam-1]", "pin"},
  {"[device a]\npipeline=x\nzones=0,0 1,0\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "zones"},
  {"[device a]\npipeline=x\nmotion-zones=0,0 1,0 1,1\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "motion-zones"},
  {"[device a]\npipeline=x\nrecording-dir=/r\n",
      SEECITV_SERVE_CONFIG_ERROR_MISSING, "[device a]", "keystore"},
  {"[device a]\npipeline=x\nrecord=always\nrecording-dir=/r\nkeystore=/k\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "record"},
  {"[device a]\npipeline=x\nbitrate=lots\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "bitrate"},
  {"[rtsp]\ncredentials-file=/c\nlockout=0\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[rtsp]", "lockout"},
  {"[device a]\npipeline=x\nencoder-threads=65\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "encoder-threads"},
  {"[device a]\npipeline=x\ndetect-faces=maybe\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "detect-faces"},
  {"[device a]\npipeline=x\nkey-file=/k\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[device a]", "key-file"},
  {"[device a]\nurl=http://x/\nuser=bob\n",
      SEECITV_SERVE_CONFIG_ERROR_MISSING, "[device a]", "password-file"},
  {"[device ../etc]\npipeline=x\n", SEECITV_SERVE_CONFIG_ERROR_INVALID,
      "[device ../etc]", "group name"},
  {"[device a]\nid=a/b\npipeline=x\n", SEECITV_SERVE_CONFIG_ERROR_INVALID,
      "[device a]", "id"},
  {"[device a]\npipeline=x\n[device b]\nid=a\npipeline=y\n",
      SEECITV_SERVE_CONFIG_ERROR_DUPLICATE, "[device b]", "id"},
  {"[rtsp]\ncredentials-file=/c\n", SEECITV_SERVE_CONFIG_ERROR_NO_DEVICE,
      NULL, NULL},
  {"[rtsp]\nport=70000\ncredentials-file=/c\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[rtsp]", "port"},
  {"[rtsp]\nport=1\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_MISSING, "[rtsp]", "credentials-file"},
  {"[rtsp]\naddress=example.org\ncredentials-file=/c\n[device a]\n"
        "pipeline=x\n", SEECITV_SERVE_CONFIG_ERROR_INVALID, "[rtsp]",
      "address"},
  {"[rtsp]\ncredentials-file=/c\ntls-cert-file=/t.crt\n[device a]\n"
        "pipeline=x\n", SEECITV_SERVE_CONFIG_ERROR_MISSING, "[rtsp]",
      "tls-key-file"},
  {"[rtsp]\ncredentials-file=/c\ntls-key-file=/t.key\n[device a]\n"
        "pipeline=x\n", SEECITV_SERVE_CONFIG_ERROR_MISSING, "[rtsp]",
      "tls-cert-file"},
  {"[rtsp]\ncredentials-file=/c\ntls-cert-file=/t.crt\ntls-key-file=/k\n"
        "tls-self-signed=true\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[rtsp]", "tls-self-signed"},
  {"[rtsp]\ncredentials-file=/c\ntls-self-signed-file=/s.pem\n"
        "[device a]\npipeline=x\n", SEECITV_SERVE_CONFIG_ERROR_INVALID,
      "[rtsp]", "tls-self-signed-file"},
  {"[rtsp]\ncredentials-file=/c\ntls-self-signed=yes\n[device a]\n"
        "pipeline=x\n", SEECITV_SERVE_CONFIG_ERROR_INVALID, "[rtsp]",
      "tls-self-signed"},
  {"[webhook]\nurl=http://h/\nsecret-file=/s\nretry-initial=5\n"
        "retry-max=1\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_INVALID, "[webhook]", "retry-max"},
  {"[webhook]\nurl=http://h/\n[device a]\npipeline=x\n",
      SEECITV_SERVE_CONFIG_ERROR_MISSING, "[webhook]", "secret-file"},
  {"[webhook]\nurl=http://h/\nsecret-file=/s\nqueue-size=0\n"
        "[device a]\npipeline=x\n", SEECITV_SERVE_CONFIG_ERROR_INVALID,
      "[webhook]", "queue-size"},
  {"[cameras]\nx=1\n", SEECITV_SERVE_CONFIG_ERROR_UNKNOWN, "[cameras]",
      NULL},
  {"[device a]\npipeline\n", SEECITV_SERVE_CONFIG_ERROR_SYNTAX, NULL, NULL},
  {"[device a]\npipeline=x\0y\n", SEECITV_SERVE_CONFIG_ERROR_SYNTAX, NULL,
      NULL, sizeof ("[device a]\npipeline=x\0y\n") - 1},
};

/* rtsps: a certificate and key, or a self-signed one */
GST_START_TEST (test_tls)
{
  GError *err = NULL;
  SeecitvServeConfig *c = parse ("[rtsp]\ncredentials-file=/c\n"
      "tls-cert-file=/etc/seecitv/rtsp.crt\n"
      "tls-key-file=/etc/seecitv/rtsp.key\n[device a]\npipeline=x\n", &err);

  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless_equals_string (c->rtsp_tls_cert_file, "/etc/seecitv/rtsp.crt");
  fail_unless_equals_string (c->rtsp_tls_key_file, "/etc/seecitv/rtsp.key");
  fail_if (c->rtsp_tls_self_signed);
  seecitv_serve_config_free (c);
  c = parse ("[rtsp]\ncredentials-file=/c\ntls-self-signed=true\n"
      "tls-self-signed-file=/var/lib/seecitv/rtsps.pem\n[device a]\n"
      "pipeline=x\n", &err);
  fail_unless (c != NULL, "%s", err ? err->message : "");
  fail_unless (c->rtsp_tls_self_signed);
  fail_unless_equals_string (c->rtsp_tls_self_signed_file,
      "/var/lib/seecitv/rtsps.pem");
  fail_unless (c->rtsp_tls_cert_file == NULL);
  seecitv_serve_config_free (c);
}

GST_END_TEST;

GST_START_TEST (test_errors)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    gsize len = bad[i].len ? bad[i].len : strlen (bad[i].text);
    GError *err = NULL;
    SeecitvServeConfig *c;

    c = seecitv_serve_config_parse (bad[i].text, len, PATH, &err);
    fail_unless (c == NULL, "case %u parsed", i);
    fail_unless (err != NULL && err->domain == SEECITV_SERVE_CONFIG_ERROR,
        "case %u", i);
    fail_unless_equals_int (err->code, bad[i].code);
    fail_unless (g_str_has_prefix (err->message, PATH ": "), "case %u: %s",
        i, err->message);
    if (bad[i].group)
      fail_unless (strstr (err->message, bad[i].group) != NULL,
          "case %u: no group in '%s'", i, err->message);
    if (bad[i].key)
      fail_unless (strstr (err->message, bad[i].key) != NULL,
          "case %u: no key in '%s'", i, err->message);
    g_error_free (err);
  }
}

GST_END_TEST;

/* Values are never quoted: a secret pasted into the wrong key stays out
 * of the message. */
GST_START_TEST (test_error_has_no_value)
{
  GError *err = NULL;

  fail_unless (parse ("[device a]\npipeline=x\nbitrate=hunter2-secret\n",
          &err) == NULL);
  fail_unless (strstr (err->message, "hunter2") == NULL);
  g_clear_error (&err);
  fail_unless (parse ("[webhook]\nurl=hunter2-secret\nsecret-file=/s\n"
          "[device a]\npipeline=x\n", &err) == NULL);
  fail_unless (strstr (err->message, "hunter2") == NULL, "%s",
      err->message);
  g_clear_error (&err);
}

GST_END_TEST;

GST_START_TEST (test_credentials)
{
  const gchar *good = "# viewers\nalice:pass:with:colons\r\n\nbob:x y z\n";
  GError *err = NULL;
  GPtrArray *cr = seecitv_serve_credentials_parse (good, strlen (good),
      "/c", &err);
  SeecitvServeCredential *c;

  fail_unless (cr != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (cr->len, 2);
  c = g_ptr_array_index (cr, 0);
  fail_unless_equals_string (c->user, "alice");
  fail_unless_equals_string (c->password, "pass:with:colons");
  c = g_ptr_array_index (cr, 1);
  fail_unless_equals_string (c->user, "bob");
  fail_unless_equals_string (c->password, "x y z");
  g_ptr_array_unref (cr);

  /* line 3 is bad: the message says so, without the password */
  cr = seecitv_serve_credentials_parse ("a:b\n\nc d:hunter2\n", 16, "/c",
      &err);
  fail_unless (cr == NULL);
  fail_unless (strstr (err->message, "/c: line 3") != NULL, "%s",
      err->message);
  fail_unless (strstr (err->message, "hunter2") == NULL);
  g_clear_error (&err);

  fail_unless (seecitv_serve_credentials_parse ("a:\n", 3, "/c",
          &err) == NULL);
  g_clear_error (&err);
  fail_unless (seecitv_serve_credentials_parse ("a:b\na:c\n", 8, "/c",
          &err) == NULL);
  fail_unless_equals_int (err->code, SEECITV_SERVE_CONFIG_ERROR_DUPLICATE);
  g_clear_error (&err);
  fail_unless (seecitv_serve_credentials_parse ("# none\n", 7, "/c",
          &err) == NULL);
  fail_unless_equals_int (err->code, SEECITV_SERVE_CONFIG_ERROR_MISSING);
  g_clear_error (&err);
}

GST_END_TEST;

GST_START_TEST (test_secret_file)
{
  gchar *dir = g_dir_make_tmp ("serve-config-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "secret", NULL);
  GError *err = NULL;
  gchar *s;
  gsize len = 0;

  fail_unless (g_file_set_contents (path, "0123456789abcdef\n", -1, NULL));
  fail_unless_equals_int (g_chmod (path, 0644), 0);
  fail_unless (seecitv_serve_secret_load (path, 16, &len, &err) == NULL);
  fail_unless (err->domain == G_FILE_ERROR &&
      err->code == G_FILE_ERROR_PERM);
  fail_unless (strstr (err->message, "0123") == NULL);
  g_clear_error (&err);

  fail_unless_equals_int (g_chmod (path, 0600), 0);
  s = seecitv_serve_secret_load (path, 16, &len, &err);
  fail_unless (s != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (len, 16);
  fail_unless_equals_string (s, "0123456789abcdef");
  seecitv_serve_secret_free (s, len);

  /* all trailing whitespace goes, as docs/serve.md says */
  fail_unless (g_file_set_contents (path, "0123456789abcdef \t\r\n\n", -1,
          NULL));
  fail_unless_equals_int (g_chmod (path, 0600), 0);
  s = seecitv_serve_secret_load (path, 16, &len, &err);
  fail_unless (s != NULL, "%s", err ? err->message : "");
  fail_unless_equals_int (len, 16);
  fail_unless_equals_string (s, "0123456789abcdef");
  seecitv_serve_secret_free (s, len);

  /* shorter than asked */
  fail_unless (seecitv_serve_secret_load (path, 17, &len, &err) == NULL);
  g_clear_error (&err);

  g_unlink (path);
  fail_unless (seecitv_serve_secret_load (path, 1, &len, &err) == NULL);
  fail_unless (err->domain == G_FILE_ERROR);
  g_clear_error (&err);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

GST_END_TEST;

static Suite *
serve_config_suite (void)
{
  Suite *s = suite_create ("seecitv-serve-config");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_full);
  tcase_add_test (tc, test_tls);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_error_has_no_value);
  tcase_add_test (tc, test_credentials);
  tcase_add_test (tc, test_secret_file);
  return s;
}

GST_CHECK_MAIN (serve_config);
