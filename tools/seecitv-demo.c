/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * seecitv-demo: the main job on a built-in default, run by `./run demo`.
 * It renders a synthetic scene (a textured room with sensor noise, a poster
 * on the wall, the neighbour's window, and a person with a real face, the
 * astronaut's from testdata/astronaut.png, who walks in, stands still,
 * walks out, then the lights dim) into scene.mkv, serves it with
 * seecitv-device (HTTPS with a fresh self-signed certificate, pinned, and
 * the seecitv protocol with a fresh pairing secret), and runs the whole
 * chain on it:
 *
 *   seecitvsrc ! jpegdec ! videoconvert ! seecitvmotion ! seecitvredact !
 *   x264enc ! h264parse ! seecitvsink
 *
 * printing each motion start and end and each clip, then checks that every
 * clip decrypts whole. Then, as a user would, it runs the seecitv tool:
 * `list`, `export` of the longest clip, `sheet` of it (a contact sheet
 * PNG) and `audit`, and checks the sheet: in every thumbnail the poster
 * (never redacted) matches the scene and the window (a privacy zone) does
 * not. Under the output directory: scene.mkv, events.log, list.txt,
 * export.mkv, sheet.png, audit.txt, keys/ (keystore, its master key file,
 * the pairing secret: all 0600) and clips/ (the encrypted clips).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/video/video.h>
#include <math.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>

#include <seecitv/crypto/clip.h>
#include <seecitv/crypto/keystore.h>

#define W 640
#define H 360
#define FPS 15

/* The neighbour's window, top right: redacted in every frame. */
#define PRIVATE_ZONE "0.78,0.05 0.97,0.05 0.97,0.35 0.78,0.35"
#define WINDOW_X0 500
#define WINDOW_Y0 18
#define WINDOW_X1 620
#define WINDOW_Y1 126
/* A poster, top left, away from the person and the window: never redacted,
 * the sheet check's reference. */
#define POSTER_X0 24
#define POSTER_Y0 18
#define POSTER_X1 144
#define POSTER_Y1 118
/* The wall between them, above the person's head: never redacted either
 * (a check that nothing beyond the face and the zone is covered). */
#define WALL_X0 160
#define WALL_Y0 10
#define WALL_X1 480
#define WALL_Y1 90
/* Both are made of random 4-pixel cells: detail that pixelation removes. */
#define CELL 4

/* The person: a face (the astronaut's, FACE x FACE pixels) over a shirt
 * and trousers, PERSON_W wide. */
#define FACE 80
#define PERSON_W 88
#define HEAD_Y 130
#define SHIRT_Y (HEAD_Y + FACE)
#define LEGS_Y (SHIRT_Y + 70)
#define FEET_Y 352
/* The astronaut's face in astronaut.png (512 x 512): x 140..310,
 * y 30..200. */
#define FACE_CROP_LEFT 140
#define FACE_CROP_RIGHT (512 - 310)
#define FACE_CROP_TOP 30
#define FACE_CROP_BOTTOM (512 - 200)

/* The sheet the demo asks for: seecitv's defaults. */
#define SHEET_COLUMNS 4
#define SHEET_THUMB_W 240
#define SHEET_GAP 4
#define SHEET_STRIP 16

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *src;
  FILE *log;
  guint8 *texture;
  guint8 *face;                 /* FACE x FACE luma */
  GRand *rand;
  guint n_frames;
  guint frame;
  guint n_start;
  guint n_end;
  guint n_clips;
  GHashTable *clips;            /* paths of the clips this run recorded */
  gboolean failed;
} Demo;

/* Where the person's left edge is at time @t (s), or G_MININT if absent. */
static gint
person_x (gdouble t)
{
  if (t < 3.0)
    return G_MININT;
  if (t < 8.0)
    return (gint) (-PERSON_W + (t - 3.0) * 70);       /* walks in */
  if (t < 12.0)
    return 262;                 /* stands still */
  if (t < 16.0)
    return (gint) (262 + (t - 12.0) * 100);   /* walks out */
  return G_MININT;
}

/* The room without noise or dimming: walls, poster, window. */
static void
make_room (guint8 * texture, GRand * rand)
{
  for (gint y = 0; y < H; y++)
    for (gint x = 0; x < W; x++) {
      /* smooth walls: the chequered one of the first version made the
       * face cascade see a face in it */
      gdouble v = 120 + 30 * sin (x / 29.0) + 20 * cos (y / 13.0);
      texture[y * W + x] = (guint8) CLAMP (v, 0, 255);
    }
  for (gint cy = 0; cy < H / CELL; cy++)
    for (gint cx = 0; cx < W / CELL; cx++) {
      gint x0 = cx * CELL, y0 = cy * CELL;
      gboolean poster = x0 >= POSTER_X0 && x0 < POSTER_X1 &&
          y0 >= POSTER_Y0 && y0 < POSTER_Y1;
      gboolean window = x0 >= WINDOW_X0 && x0 < WINDOW_X1 &&
          y0 >= WINDOW_Y0 && y0 < WINDOW_Y1;
      guint8 v;

      if (!poster && !window)
        continue;
      v = (guint8) g_rand_int_range (rand, 30, 226);
      for (gint y = y0; y < y0 + CELL; y++)
        memset (texture + y * W + x0, v, CELL);
    }
}

static void
render (Demo * d, guint8 * y_plane, gint stride, gdouble t)
{
  gint px = person_x (t);
  gdouble light = t < 17.0 ? 1.0 : 0.6;  /* lights dim at 17 s */

  for (gint y = 0; y < H; y++)
    for (gint x = 0; x < W; x++) {
      gdouble v = d->texture[y * W + x] * light;

      if (px != G_MININT && x >= px && x < px + PERSON_W) {
        gint dx = x - px - PERSON_W / 2;
        gint fx = dx + FACE / 2;

        /* face, shirt, trousers */
        if (y >= HEAD_Y && y < SHIRT_Y && fx >= 0 && fx < FACE)
          v = d->face[(y - HEAD_Y) * FACE + fx] * light;
        else if (y >= SHIRT_Y && y < LEGS_Y)
          v = 60 * light;
        else if (y >= LEGS_Y && y < FEET_Y && (dx < -6 || dx > 6))
          v = 35 * light;
      }
      v += 3.0 * g_rand_double_range (d->rand, -1.0, 1.0);
      y_plane[y * stride + x] = (guint8) CLAMP (v, 0, 255);
    }
}

/* Loads the astronaut's face from @testdata as FACE x FACE luma. */
static guint8 *
load_face (const gchar * testdata)
{
  gchar *path = g_build_filename (testdata, "astronaut.png", NULL);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! "
      "videoconvert ! videocrop left=%d right=%d top=%d bottom=%d ! "
      "videoscale ! videoconvert ! "
      "video/x-raw,format=GRAY8,width=%d,height=%d ! appsink name=sink",
      path, FACE_CROP_LEFT, FACE_CROP_RIGHT, FACE_CROP_TOP, FACE_CROP_BOTTOM,
      FACE, FACE);
  GstElement *pipeline = NULL, *sink = NULL;
  GstSample *sample = NULL;
  GstVideoInfo info;
  GstVideoFrame frame;
  guint8 *face = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_printerr ("%s is missing: `./run testdata` fetches it (or give "
        "--testdata DIR)\n", path);
    goto out;
  }
  pipeline = gst_parse_launch (desc, NULL);
  if (pipeline == NULL)
    goto out;
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
      30 * GST_SECOND);
  if (sample == NULL ||
      !gst_video_info_from_caps (&info, gst_sample_get_caps (sample)) ||
      !gst_video_frame_map (&frame, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ))
    goto out;
  face = g_malloc (FACE * FACE);
  for (gint y = 0; y < FACE; y++)
    memcpy (face + y * FACE, (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&frame,
            0) + y * GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), FACE);
  gst_video_frame_unmap (&frame);

out:
  if (face == NULL)
    g_printerr ("cannot read the face from %s\n", path);
  if (sample)
    gst_sample_unref (sample);
  if (pipeline)
    gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_clear_object (&sink);
  gst_clear_object (&pipeline);
  g_free (desc);
  g_free (path);
  return face;
}

static void
need_data (GstAppSrc * src, guint length, gpointer user_data)
{
  Demo *d = user_data;
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;

  if (d->frame >= d->n_frames) {
    gst_app_src_end_of_stream (src);
    return;
  }
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_I420, W, H);
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE);
  render (d, GST_VIDEO_FRAME_PLANE_DATA (&frame, 0),
      GST_VIDEO_FRAME_PLANE_STRIDE (&frame, 0), (gdouble) d->frame / FPS);
  for (gint p = 1; p < 3; p++)
    memset (GST_VIDEO_FRAME_PLANE_DATA (&frame, p), 128,
        GST_VIDEO_FRAME_PLANE_STRIDE (&frame, p) *
        GST_VIDEO_FRAME_COMP_HEIGHT (&frame, p));
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buf) = gst_util_uint64_scale (d->frame, GST_SECOND, FPS);
  GST_BUFFER_DURATION (buf) = GST_SECOND / FPS;
  d->frame++;
  gst_app_src_push_buffer (src, buf);
}

static void
report (Demo * d, const GstStructure * s)
{
  gboolean start = gst_structure_has_name (s, "seecitvmotion-start");
  guint64 rt = GST_CLOCK_TIME_NONE, duration = GST_CLOCK_TIME_NONE;
  gdouble score = 0;
  const GValue *regions = gst_structure_get_value (s, "regions");
  gchar *line;

  gst_structure_get_uint64 (s, "running-time", &rt);
  gst_structure_get_uint64 (s, "duration", &duration);
  gst_structure_get_double (s, "score", &score);

  if (start) {
    gint x = 0, y = 0, w = 0, h = 0;

    if (regions && gst_value_array_get_size (regions) > 0)
      gst_structure_get (gst_value_get_structure (gst_value_array_get_value
              (regions, 0)), "x", G_TYPE_INT, &x, "y", G_TYPE_INT, &y,
          "width", G_TYPE_INT, &w, "height", G_TYPE_INT, &h, NULL);
    line = g_strdup_printf ("motion start at %" GST_TIME_FORMAT
        "  score %.3f  region %dx%d at (%d,%d)", GST_TIME_ARGS (rt), score,
        w, h, x, y);
    d->n_start++;
  } else {
    line = g_strdup_printf ("motion end   at %" GST_TIME_FORMAT
        "  lasted %" GST_TIME_FORMAT "  peak score %.3f", GST_TIME_ARGS (rt),
        GST_TIME_ARGS (duration), score);
    d->n_end++;
  }
  g_print ("%s\n", line);
  fprintf (d->log, "%s\n", line);
  g_free (line);
}

static void
report_clip (Demo * d, const GstStructure * s)
{
  const gchar *path = gst_structure_get_string (s, "path");
  guint64 start = GST_CLOCK_TIME_NONE, duration = GST_CLOCK_TIME_NONE;
  guint64 bytes = 0;
  gchar *line;

  gst_structure_get_uint64 (s, "start-running-time", &start);
  gst_structure_get_uint64 (s, "duration", &duration);
  gst_structure_get_uint64 (s, "bytes", &bytes);
  line = g_strdup_printf ("clip closed: %s  from %" GST_TIME_FORMAT
      "  lasting %" GST_TIME_FORMAT "  %" G_GUINT64_FORMAT " bytes encrypted",
      path ? path : "?", GST_TIME_ARGS (start), GST_TIME_ARGS (duration),
      bytes);
  g_print ("%s\n", line);
  fprintf (d->log, "%s\n", line);
  g_free (line);
  d->n_clips++;
  if (path != NULL)
    g_hash_table_add (d->clips, g_strdup (path));
}

static gboolean
on_message (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Demo *d = user_data;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ELEMENT:{
      const GstStructure *s = gst_message_get_structure (msg);
      if (gst_structure_has_name (s, "seecitvmotion-start") ||
          gst_structure_has_name (s, "seecitvmotion-end"))
        report (d, s);
      else if (gst_structure_has_name (s, "seecitvsink-clip-closed"))
        report_clip (d, s);
      break;
    }
    case GST_MESSAGE_ERROR:{
      GError *err = NULL;
      gchar *dbg = NULL;

      gst_message_parse_error (msg, &err, &dbg);
      g_printerr ("error from %s: %s\n%s\n", GST_OBJECT_NAME (msg->src),
          err->message, dbg ? dbg : "");
      g_error_free (err);
      g_free (dbg);
      d->failed = TRUE;
      g_main_loop_quit (d->loop);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (d->loop);
      break;
    default:
      break;
  }
  return TRUE;
}

static gboolean
send_eos (gpointer user_data)
{
  Demo *d = user_data;

  g_print ("(stopping the chain)\n");
  gst_element_send_event (d->pipeline, gst_event_new_eos ());
  return G_SOURCE_REMOVE;
}

/* Runs @desc to EOS (or error) with @d's message handler. */
static gboolean
run_pipeline (Demo * d, const gchar * desc, guint timeout_s)
{
  GError *err = NULL;
  GstBus *bus;
  guint watch, timer;

  d->pipeline = gst_parse_launch (desc, &err);
  if (d->pipeline == NULL) {
    g_printerr ("cannot build the pipeline: %s\n", err->message);
    g_error_free (err);
    return FALSE;
  }
  d->src = gst_bin_get_by_name (GST_BIN (d->pipeline), "src");
  if (d->src && GST_IS_APP_SRC (d->src))
    g_signal_connect (d->src, "need-data", G_CALLBACK (need_data), d);
  d->loop = g_main_loop_new (NULL, FALSE);
  bus = gst_element_get_bus (d->pipeline);
  watch = gst_bus_add_watch (bus, on_message, d);
  /* A safety net: a live chain that has not ended by then is told to. */
  timer = timeout_s > 0 ? g_timeout_add_seconds (timeout_s, send_eos, d) : 0;

  gst_element_set_state (d->pipeline, GST_STATE_PLAYING);
  g_main_loop_run (d->loop);
  gst_element_set_state (d->pipeline, GST_STATE_NULL);

  if (timer)
    g_source_remove (timer);
  g_source_remove (watch);
  gst_object_unref (bus);
  gst_clear_object (&d->src);
  gst_clear_object (&d->pipeline);
  g_clear_pointer (&d->loop, g_main_loop_unref);
  return !d->failed;
}

/* DIR/keys/: a keystore with its master key file, and a pairing secret
 * (64 hex digits) shared with the device. All 0600, made once. */
static gboolean
make_keys (const gchar * dir, gchar ** keystore, gchar ** pair)
{
  gchar *keys = g_build_filename (dir, "keys", NULL);
  gchar *key_path;
  guint8 key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  GError *err = NULL;
  gboolean ok = TRUE;

  g_mkdir_with_parents (keys, 0700);
  *keystore = g_build_filename (keys, "keystore", NULL);
  *pair = g_build_filename (keys, "pair.key", NULL);
  key_path = seecitv_keystore_default_key_path (*keystore);

  if (!g_file_test (*keystore, G_FILE_TEST_EXISTS)) {
    SeecitvKeystore *ks = NULL;

    ok = seecitv_keystore_master_key_create (key_path, key, &err) &&
        (ks = seecitv_keystore_create_with_key (*keystore, key, &err));
    if (ks)
      seecitv_keystore_free (ks);
    memset (key, 0, sizeof (key));
  }
  if (ok && !g_file_test (*pair, G_FILE_TEST_EXISTS)) {
    gchar hex[65];
    GRand *rand = g_rand_new ();

    for (guint i = 0; i < 32; i++)
      g_snprintf (hex + 2 * i, 3, "%02x", g_rand_int_range (rand, 0, 256));
    g_rand_free (rand);
    ok = g_file_set_contents (*pair, hex, 64, &err) &&
        g_chmod (*pair, 0600) == 0;
    memset (hex, 0, sizeof (hex));
  }
  if (!ok)
    g_printerr ("cannot make the keys: %s\n", err ? err->message : "?");
  g_clear_error (&err);
  g_free (key_path);
  g_free (keys);
  return ok;
}

/* Starts seecitv-device (next to this program) serving @scene over HTTPS
 * with the seecitv protocol; returns its url and certificate pin. */
static GSubprocess *
start_device (const gchar * self, const gchar * scene, const gchar * pair,
    gchar ** url, gchar ** pin)
{
  gchar *dir = g_path_get_dirname (self);
  gchar *tool = g_build_filename (dir, "seecitv-device", NULL);
  gchar *pipeline = g_strdup_printf ("filesrc location=\"%s\" ! "
      "matroskademux ! jpegdec ! identity sync=true", scene);
  gchar *key = g_strdup_printf ("--key-file=%s", pair);
  const gchar *argv[] = { tool, "--port=0", "--tls-generate",
    "--device-id=demo-cam", "--model=seecitv-demo", key, "--pipeline",
    pipeline, NULL
  };
  GSubprocess *proc;
  GDataInputStream *out;
  GError *err = NULL;
  gchar *line;

  if (!g_file_test (tool, G_FILE_TEST_IS_EXECUTABLE)) {
    g_free (tool);
    tool = g_find_program_in_path ("seecitv-device");
    argv[0] = tool;
  }
  proc = tool ? g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
      G_SUBPROCESS_FLAGS_STDERR_SILENCE, &err) : NULL;
  *url = *pin = NULL;
  if (proc) {
    out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
    while ((*url == NULL || *pin == NULL) &&
        (line = g_data_input_stream_read_line (out, NULL, NULL, NULL))) {
      if (g_str_has_prefix (line, "url: "))
        *url = g_strdup (line + 5);
      else if (g_str_has_prefix (line, "pin: "))
        *pin = g_strdup (line + 5);
      g_free (line);
    }
    g_object_unref (out);
  }
  if (*url == NULL || *pin == NULL) {
    g_printerr ("cannot start seecitv-device: %s\n", err ? err->message :
        "it printed no url and pin");
    if (proc) {
      g_subprocess_force_exit (proc);
      g_clear_object (&proc);
    }
  }
  g_clear_error (&err);
  g_free (dir);
  g_free (tool);
  g_free (pipeline);
  g_free (key);
  return proc;
}

/* Every clip in @dir decrypts whole with @keystore; prints one line each.
 * Returns the number of complete clips, or -1 if one is not. */
static gint
verify_clips (Demo * d, const gchar * dir, const gchar * keystore)
{
  GDir *gdir = g_dir_open (dir, 0, NULL);
  const gchar *name;
  gint n = 0;

  while (gdir && (name = g_dir_read_name (gdir))) {
    gchar *path = g_build_filename (dir, name, NULL);
    GError *err = NULL;
    SeecitvKeystore *ks = seecitv_keystore_open_default (keystore, NULL,
        &err);
    SeecitvClipReader *reader;
    GByteArray *plain = g_byte_array_new ();
    SeecitvClipEnd end;
    gchar *data = NULL;
    gsize len = 0;
    gboolean ok = FALSE;

    if (ks && g_file_get_contents (path, &data, &len, &err)) {
      reader = seecitv_clip_reader_new (seecitv_keystore_clip_key_func, ks,
          (GDestroyNotify) seecitv_keystore_free, SEECITV_CLIP_READER_NONE);
      ks = NULL;
      ok = seecitv_clip_reader_push (reader, (const guint8 *) data, len,
          plain, &err) && seecitv_clip_reader_finish (reader, &end, &err);
      seecitv_clip_reader_free (reader);
    }
    g_print ("  %s: %s\n", name, ok ? "complete (decrypts whole)" :
        (err ? err->message : "cannot read"));
    fprintf (d->log, "%s: %s\n", name, ok ? "complete" : "NOT complete");
    if (ks)
      seecitv_keystore_free (ks);
    if (ok)
      n++;
    else
      n = G_MININT / 2;
    g_clear_error (&err);
    g_free (data);
    g_byte_array_unref (plain);
    g_free (path);
  }
  if (gdir)
    g_dir_close (gdir);
  return n < 0 ? -1 : n;
}

/* Runs the seecitv tool (@tool) with @args, printing its output indented
 * and saving it to @save (nullable). Returns: (transfer full) (nullable):
 * its stdout, NULL when it failed. */
static gchar *
run_seecitv (const gchar * tool, const gchar * keystore,
    const gchar * const *args, const gchar * save)
{
  GPtrArray *argv = g_ptr_array_new ();
  gchar *out = NULL, *cmd;
  gint status = 0;
  GError *err = NULL;
  gboolean ok;

  g_ptr_array_add (argv, (gpointer) tool);
  g_ptr_array_add (argv, (gpointer) "--keystore");
  g_ptr_array_add (argv, (gpointer) keystore);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  cmd = g_strjoinv (" ", (gchar **) argv->pdata);
  g_print ("$ %s\n", cmd);
  g_free (cmd);
  ok = g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT,
      NULL, NULL, &out, NULL, &status, &err) &&
      g_spawn_check_wait_status (status, &err);
  g_ptr_array_free (argv, TRUE);
  if (out != NULL) {
    gchar **lines = g_strsplit (out, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
      if (lines[i][0])
        g_print ("  %s\n", lines[i]);
    g_strfreev (lines);
    if (save != NULL)
      g_file_set_contents (save, out, -1, NULL);
  }
  if (!ok) {
    g_printerr ("seecitv failed: %s\n", err ? err->message : "?");
    g_clear_error (&err);
    g_clear_pointer (&out, g_free);
  }
  return out;
}

/* The path of the longest clip of @clips (this run's: the keystore keeps
 * those of earlier runs) in `seecitv list` output. */
static gchar *
longest_clip (const gchar * list, GHashTable * clips)
{
  gchar **lines = g_strsplit (list, "\n", -1);
  gchar *best = NULL;
  gdouble best_duration = -1;

  for (guint i = 1; lines[i] != NULL; i++) {
    gchar **f = g_strsplit (lines[i], "\t", -1);

    if (g_strv_length (f) >= 8 && strcmp (f[7], "present") == 0 &&
        g_hash_table_contains (clips, f[5]) &&
        g_ascii_strtod (f[4], NULL) > best_duration) {
      best_duration = g_ascii_strtod (f[4], NULL);
      g_free (best);
      best = g_strdup (f[5]);
    }
    g_strfreev (f);
  }
  g_strfreev (lines);
  return best;
}

/* Pearson correlation, over the thumbnail pixels covering the scene
 * rectangle (@x0, @y0)-(@x1, @y1), between the sheet's green channel and
 * the room as rendered (area-averaged to the thumbnail's scale): immune to
 * the lights dimming and to video range conversions. */
static gdouble
correlation (const guint8 * room, GstVideoFrame * sheet, gint cell_x,
    gint cell_y, gint x0, gint y0, gint x1, gint y1)
{
  const guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (sheet, 0);
  gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (sheet, 0);
  gdouble scale = (gdouble) W / SHEET_THUMB_W;
  gdouble sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  gint n = 0;

  /* one thumbnail pixel in from each side: edges mix with the wall */
  for (gint ty = (gint) ceil (y0 / scale) + 1; ty < (gint) (y1 / scale) - 1;
      ty++)
    for (gint tx = (gint) ceil (x0 / scale) + 1;
        tx < (gint) (x1 / scale) - 1; tx++) {
      gdouble ref = 0, a, b;
      gint m = 0;

      for (gint y = (gint) (ty * scale); y < (gint) ((ty + 1) * scale); y++)
        for (gint x = (gint) (tx * scale); x < (gint) ((tx + 1) * scale);
            x++, m++)
          ref += room[y * W + x];
      a = ref / MAX (m, 1);
      b = d[(cell_y + ty) * stride + 3 * (cell_x + tx) + 1];
      sa += a;
      sb += b;
      saa += a * a;
      sbb += b * b;
      sab += a * b;
      n++;
    }
  if (n < 2)
    return 0;
  {
    gdouble cov = sab - sa * sb / n;
    gdouble va = saa - sa * sa / n, vb = sbb - sb * sb / n;

    return va > 0 && vb > 0 ? cov / sqrt (va * vb) : 0;
  }
}

/* The sheet shows the redaction: in no thumbnail does the window match the
 * scene (it was redacted), and in every one the poster does (the
 * comparison works: a sheet of grey cells would pass the window test; and
 * nothing beyond the face and the zone was covered: a wide false face
 * around the person walking in once covered most of two thumbnails).
 * Returns the number of thumbnails checked, or -1 if the check fails. */
static gint
check_sheet (Demo * d, const gchar * png)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! "
      "videoconvert ! video/x-raw,format=RGB ! appsink name=sink", png);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = pipeline ? gst_bin_get_by_name (GST_BIN (pipeline),
      "sink") : NULL;
  GstSample *sample = NULL;
  GstVideoInfo info;
  GstVideoFrame f;
  gint th = SHEET_THUMB_W * H / W, rows, checked = 0, readable = 0;
  gboolean ok = TRUE;

  g_free (desc);
  if (sink != NULL) {
    gst_element_set_state (pipeline, GST_STATE_PLAYING);
    sample = gst_app_sink_try_pull_sample (GST_APP_SINK (sink),
        30 * GST_SECOND);
    gst_element_set_state (pipeline, GST_STATE_NULL);
  }
  gst_clear_object (&sink);
  gst_clear_object (&pipeline);
  if (sample == NULL ||
      !gst_video_info_from_caps (&info, gst_sample_get_caps (sample)) ||
      !gst_video_frame_map (&f, &info, gst_sample_get_buffer (sample),
          GST_MAP_READ)) {
    g_printerr ("cannot read %s\n", png);
    if (sample)
      gst_sample_unref (sample);
    return -1;
  }
  rows = (GST_VIDEO_INFO_HEIGHT (&info) - SHEET_STRIP - 2 * SHEET_GAP) /
      (th + SHEET_GAP);
  for (gint i = 0; i < rows * SHEET_COLUMNS; i++) {
    gint cx = SHEET_GAP + (i % SHEET_COLUMNS) * (SHEET_THUMB_W + SHEET_GAP);
    gint cy = SHEET_GAP + (i / SHEET_COLUMNS) * (th + SHEET_GAP);
    gdouble poster = correlation (d->texture, &f, cx, cy, POSTER_X0,
        POSTER_Y0, POSTER_X1, POSTER_Y1);
    gdouble window = correlation (d->texture, &f, cx, cy, WINDOW_X0,
        WINDOW_Y0, WINDOW_X1, WINDOW_Y1);
    gdouble wall = correlation (d->texture, &f, cx, cy, WALL_X0, WALL_Y0,
        WALL_X1, WALL_Y1);
    gboolean good;

    /* an empty cell of the last row: no picture at all */
    if (poster == 0 && window == 0)
      continue;
    good = window < 0.4;
    g_print ("  thumbnail %2d: poster and wall match the scene %.2f %.2f, "
        "window (privacy zone) %.2f: %s\n", i + 1, poster, wall, window,
        !good ? "NOT REDACTED" : poster > 0.9 && wall > 0.9 ? "redacted" :
        "redacted, but the poster or the wall too: more than the face and "
        "the zone");
    readable += poster > 0.9 && wall > 0.9;
    fprintf (d->log, "sheet thumbnail %d: poster %.2f wall %.2f window "
        "%.2f\n", i + 1, poster, wall, window);
    ok &= good;
    checked++;
  }
  gst_video_frame_unmap (&f);
  gst_sample_unref (sample);
  if (checked > 0 && readable < checked)
    g_printerr ("the poster and the wall are recognisable in only %d of %d "
        "thumbnails: "
        "more than the face and the zone was covered\n", readable, checked);
  return ok && checked > 0 && readable == checked ? checked : -1;
}

/* After recording, what a user does next: list, export, sheet, audit. */
static gboolean
use_the_tool (Demo * d, const gchar * self, const gchar * output,
    const gchar * keystore)
{
  gchar *dir = g_path_get_dirname (self);
  gchar *tool = g_build_filename (dir, "seecitv", NULL);
  gchar *list_txt = g_build_filename (output, "list.txt", NULL);
  gchar *audit_txt = g_build_filename (output, "audit.txt", NULL);
  gchar *mkv = g_build_filename (output, "export.mkv", NULL);
  gchar *png = g_build_filename (output, "sheet.png", NULL);
  gchar *list = NULL, *clip = NULL, *out;
  gboolean ok = FALSE;

  if (!g_file_test (tool, G_FILE_TEST_IS_EXECUTABLE)) {
    g_free (tool);
    tool = g_find_program_in_path ("seecitv");
  }
  if (tool == NULL) {
    g_printerr ("the seecitv tool is not beside seecitv-demo nor in PATH\n");
    goto out;
  }
  {
    const gchar *args[] = { "list", NULL };
    list = run_seecitv (tool, keystore, args, list_txt);
  }
  clip = list ? longest_clip (list, d->clips) : NULL;
  if (clip == NULL) {
    g_printerr ("no clip to export\n");
    goto out;
  }
  {
    const gchar *args[] = { "export", clip, "-o", mkv, "--force", NULL };
    out = run_seecitv (tool, keystore, args, NULL);
    if (out == NULL)
      goto out;
    g_free (out);
  }
  {
    const gchar *args[] = { "sheet", clip, "-o", png, "--force", NULL };
    out = run_seecitv (tool, keystore, args, NULL);
    if (out == NULL)
      goto out;
    g_free (out);
  }
  g_print ("checking the redaction in %s:\n", png);
  if (check_sheet (d, png) < 0) {
    g_printerr ("the contact sheet does not show the redaction\n");
    goto out;
  }
  {
    const gchar *args[] = { "audit", NULL };
    out = run_seecitv (tool, keystore, args, audit_txt);
    if (out == NULL)
      goto out;
    g_free (out);
  }
  ok = TRUE;

out:
  g_free (list);
  g_free (clip);
  g_free (png);
  g_free (mkv);
  g_free (audit_txt);
  g_free (list_txt);
  g_free (tool);
  g_free (dir);
  return ok;
}

int
main (int argc, char **argv)
{
  gchar *output = NULL, *testdata = NULL;
  gdouble duration = 20.0;
  GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
        "Directory for what the demo writes (default: ./seecitv-demo)", "DIR"},
    {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration,
        "Seconds of scene (default: 20)", "S"},
    {"testdata", 't', 0, G_OPTION_ARG_FILENAME, &testdata,
        "Directory holding astronaut.png (default: $SEECITV_TESTDATA_DIR, "
          "else ./testdata; `./run testdata` fetches it)", "DIR"},
    {NULL}
  };
  static const gchar *needed[] = { "seecitvsrc", "seecitvmotion",
    "seecitvredact", "seecitvsink", "seecitvcryptsink", "x264enc",
    "splitmuxsink", "matroskamux", "jpegenc", "pngdec", "pngenc",
    "videocrop", "appsink"
  };
  GOptionContext *ctx;
  GError *err = NULL;
  Demo d = { 0, };
  gchar *log_path, *scene_path, *clips_dir, *keystore = NULL, *pair = NULL;
  gchar *url = NULL, *pin = NULL, *desc = NULL;
  GSubprocess *device = NULL;
  gint intact = -1;
  gboolean used = FALSE;
  guint n_frames;

  ctx = g_option_context_new ("- seecitv's main job on a synthetic scene");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (output == NULL)
    output = g_strdup ("seecitv-demo");
  if (testdata == NULL)
    testdata = g_strdup (g_getenv ("SEECITV_TESTDATA_DIR") ?
        g_getenv ("SEECITV_TESTDATA_DIR") : "testdata");
  if (duration < 10) {
    g_printerr ("--duration must be at least 10 s\n");
    return 2;
  }

  for (guint i = 0; i < G_N_ELEMENTS (needed); i++) {
    GstElementFactory *f = gst_element_factory_find (needed[i]);
    if (f == NULL) {
      g_printerr ("element %s not found: set GST_PLUGIN_PATH to the "
          "build's plugins, or use `meson devenv`\n", needed[i]);
      return 1;
    }
    gst_object_unref (f);
  }

  clips_dir = g_build_filename (output, "clips", NULL);
  if (g_mkdir_with_parents (clips_dir, 0700) != 0) {
    g_printerr ("cannot create %s\n", clips_dir);
    return 1;
  }
  log_path = g_build_filename (output, "events.log", NULL);
  scene_path = g_build_filename (output, "scene.mkv", NULL);
  d.log = fopen (log_path, "w");
  if (d.log == NULL || !make_keys (output, &keystore, &pair)) {
    g_printerr ("cannot write under %s\n", output);
    return 1;
  }

  /* 1. The scene, as the device's camera would see it. */
  d.n_frames = (guint) (duration * FPS);
  d.rand = g_rand_new_with_seed (1);
  d.clips = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  d.texture = g_malloc (W * H);
  make_room (d.texture, d.rand);
  d.face = load_face (testdata);
  if (d.face == NULL)
    goto done;
  g_print ("seecitv demo: %.0f s synthetic scene (a person with a face "
      "walks in at 3 s, stands still 8-12 s, walks out by 16 s; lights dim "
      "at 17 s; the neighbour's window is a privacy zone)\n", duration);
  desc = g_strdup_printf ("appsrc name=src format=time is-live=false "
      "caps=video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! "
      "jpegenc quality=90 ! matroskamux ! filesink location=\"%s\"", W, H,
      FPS, scene_path);
  if (!run_pipeline (&d, desc, 0))
    goto done;
  g_free (desc);
  desc = NULL;

  /* 2. The device serves it; 3. the chain pulls, analyses, redacts and
   * records. The device plays the scene in real time from its start, so
   * the chain takes what remains after its connection, less a second. */
  device = start_device (argv[0], scene_path, pair, &url, &pin);
  if (device == NULL)
    goto done;
  g_print ("device: %s (certificate %s)\n", url, pin);
  n_frames = (guint) ((duration - 1.5) * FPS);
  desc = g_strdup_printf ("seecitvsrc location=%s tls-pin=%s "
      "device-id=demo-cam device-key-file=\"%s\" num-buffers=%u ! jpegdec ! "
      "videoconvert ! seecitvmotion ! seecitvredact zones=\"%s\" ! "
      "videoconvert ! video/x-raw,format=I420 ! "
      "x264enc speed-preset=ultrafast tune=zerolatency key-int-max=%d ! "
      "h264parse ! seecitvsink device-id=demo-cam keystore=\"%s\" "
      "location=\"%s\" "
      "pre-roll=2000000000 post-roll=2000000000", url, pin, pair, n_frames,
      PRIVATE_ZONE, FPS, keystore, clips_dir);
  if (!run_pipeline (&d, desc, (guint) duration + 20))
    goto done;

  /* 4. Every clip decrypts whole. */
  g_print ("%u motion start(s), %u end(s), %u clip(s); checking them:\n",
      d.n_start, d.n_end, d.n_clips);
  intact = verify_clips (&d, clips_dir, keystore);
  if (intact < 1)
    goto done;

  /* 5. What a user does next, with the seecitv tool. */
  used = use_the_tool (&d, argv[0], output, keystore);
  {
    gchar *dir = g_path_get_dirname (argv[0]);
    gchar *tool = g_build_filename (dir, "seecitv", NULL);

    g_print ("\nwrote under %s/:\n"
        "  scene.mkv    the synthetic scene the device served\n"
        "  events.log   motion events, clips, sheet check\n"
        "  clips/       the encrypted clips\n"
        "  keys/        keystore, master key, pairing secret (0600)\n"
        "  list.txt     seecitv list\n"
        "  export.mkv   the longest clip, decrypted (0600)\n"
        "  sheet.png    its contact sheet: thumbnails, motion strip\n"
        "  audit.txt    seecitv audit: the export and the sheet\n"
        "more with:\n  %s --keystore %s --help\n", output, tool, keystore);
    g_free (tool);
    g_free (dir);
  }

done:
  if (device) {
    g_subprocess_send_signal (device, SIGTERM);
    g_subprocess_wait (device, NULL, NULL);
    g_object_unref (device);
  }
  fclose (d.log);
  g_rand_free (d.rand);
  g_hash_table_unref (d.clips);
  g_free (d.texture);
  g_free (d.face);
  g_free (testdata);
  g_free (desc);
  g_free (url);
  g_free (pin);
  g_free (keystore);
  g_free (pair);
  g_free (log_path);
  g_free (scene_path);
  g_free (clips_dir);
  g_free (output);
  return d.failed || d.n_start == 0 || intact < 1 || !used ? 1 : 0;
}
