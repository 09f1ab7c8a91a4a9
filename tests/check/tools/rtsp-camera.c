/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A loopback IP camera for the tests, as a process of its own so that a
 * test can kill it (SIGKILL: the camera's connections drop as when its
 * power goes) and start it again on the same port: gst-rtsp-server on
 * 127.0.0.1 serving rtsp://127.0.0.1:PORT/cam, a moving test pattern in
 * H.264 or H.265 and Opus audio beside it (cameras have microphones), with
 * HTTP Digest authentication only, or Basic only.
 *
 *   rtsp-camera PORT USER PASSWORD [h264|h265] [digest|basic]
 *
 * PORT 0 takes a free port. Prints `camera: ready PORT` once it listens;
 * dies with the process that started it.
 */
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

int
main (int argc, char **argv)
{
  GstRTSPServer *server;
  GstRTSPMediaFactory *f;
  GstRTSPMountPoints *mounts;
  GstRTSPAuth *auth;
  GstRTSPToken *token;
  GMainLoop *loop;
  gchar *port, *launch;
  const gchar *enc;

  /* a test that fails half-way leaves no camera behind */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  gst_init (&argc, &argv);
  if (argc < 4) {
    g_printerr ("usage: rtsp-camera PORT USER PASSWORD [h264|h265] "
        "[digest|basic]\n");
    return 2;
  }
  enc = argc > 4 && strcmp (argv[4], "h265") == 0 ?
      "x265enc tune=zerolatency speed-preset=ultrafast key-int-max=15 ! "
      "rtph265pay name=pay0 pt=96" :
      "x264enc tune=zerolatency key-int-max=15 ! rtph264pay name=pay0 pt=96";
  loop = g_main_loop_new (NULL, FALSE);
  server = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (server, "127.0.0.1");
  gst_rtsp_server_set_service (server, argv[1]);

  /* the audio branch is never set up by seecitv: a tee keeps it quiet
   * (see seecitv-serve_camera.c) */
  launch = g_strdup_printf ("( videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=160,height=120,framerate=15/1 ! %s "
      "audiotestsrc is-live=true ! audioconvert ! opusenc ! "
      "tee allow-not-linked=true ! rtpopuspay name=pay1 pt=97 )", enc);
  f = gst_rtsp_media_factory_new ();
  gst_rtsp_media_factory_set_launch (f, launch);
  gst_rtsp_media_factory_set_shared (f, TRUE);
  gst_rtsp_media_factory_add_role (f, "camera-user",
      GST_RTSP_PERM_MEDIA_FACTORY_ACCESS, G_TYPE_BOOLEAN, TRUE,
      GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, G_TYPE_BOOLEAN, TRUE, NULL);
  g_free (launch);

  auth = gst_rtsp_auth_new ();
  token = gst_rtsp_token_new (GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE,
      G_TYPE_STRING, "camera-user", NULL);
  if (argc > 5 && strcmp (argv[5], "basic") == 0) {
    gchar *basic = gst_rtsp_auth_make_basic (argv[2], argv[3]);

    gst_rtsp_auth_set_supported_methods (auth, GST_RTSP_AUTH_BASIC);
    gst_rtsp_auth_add_basic (auth, basic, token);
    g_free (basic);
  } else {
    gst_rtsp_auth_set_supported_methods (auth, GST_RTSP_AUTH_DIGEST);
    gst_rtsp_auth_add_digest (auth, argv[2], argv[3], token);
  }
  gst_rtsp_token_unref (token);
  gst_rtsp_server_set_auth (server, auth);
  g_object_unref (auth);

  mounts = gst_rtsp_server_get_mount_points (server);
  gst_rtsp_mount_points_add_factory (mounts, "/cam", f);
  g_object_unref (mounts);
  if (gst_rtsp_server_attach (server, NULL) == 0) {
    g_printerr ("camera: cannot listen on port %s\n", argv[1]);
    return 1;
  }
  port = g_strdup_printf ("%d", gst_rtsp_server_get_bound_port (server));
  printf ("camera: ready %s\n", port);
  fflush (stdout);
  g_free (port);
  g_main_loop_run (loop);
  return 0;
}
