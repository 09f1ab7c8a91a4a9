/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * crypto-bench: the two speed targets of issue 5, each side by side with
 * its peer in the same process and run, as ratios.
 *
 * 1. Encryption throughput: seecitvcryptsink (fakesrc ! seecitvcryptsink,
 *    64 KiB buffers, its default 64 KiB chunks, into a tmpfs so that the
 *    disk does not count) against OpenSSL's raw AES-256-GCM through EVP on
 *    the same chunk size (one key schedule, a fresh nonce, the 88-byte clip
 *    header as additional data and a tag per chunk: what the clip format
 *    needs), in bytes per CPU second of the process. filesink writing the
 *    same bytes in clear and fakesink are printed for context.
 * 2. seecitvsink (trigger=continuous, its defaults otherwise) against
 *    splitmuxsink (matroskamux streamable=true, filesink: the same stream
 *    written in clear) on one 1080p H.264 stream encoded once and pushed
 *    from memory through appsrc: process CPU per frame, taken as the
 *    difference between a long and a short run divided by the difference of
 *    their frame counts, so that start-up cancels out.
 *
 * Every figure is the median of --repeats runs. Nothing here is a test.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <glib/gstdio.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdio.h>
#include <string.h>

#include "benchcommon.h"
#include <seecitv/crypto/keystore.h>

static gint opt_mib = 256;
static gint opt_repeats = 7;
static gint opt_short = 300;
static gint opt_long = 3000;
static gint opt_pool = 150;
static gint opt_bitrate = 4000;
static gchar *opt_dir = NULL;
static gchar *opt_only = NULL;

static GOptionEntry entries[] = {
  {"mib", 0, 0, G_OPTION_ARG_INT, &opt_mib,
      "MiB encrypted per throughput run (default 256)", "N"},
  {"repeats", 'r', 0, G_OPTION_ARG_INT, &opt_repeats,
      "Runs of each kind; the median is kept (default 7)", "R"},
  {"short", 0, 0, G_OPTION_ARG_INT, &opt_short,
      "1080p frames in a short recording run (default 300)", "N"},
  {"long", 0, 0, G_OPTION_ARG_INT, &opt_long,
      "1080p frames in a long recording run (default 3000)", "N"},
  {"pool", 0, 0, G_OPTION_ARG_INT, &opt_pool,
      "Distinct 1080p frames encoded once and cycled, a multiple of 30 "
        "(default 150)", "N"},
  {"bitrate", 0, 0, G_OPTION_ARG_INT, &opt_bitrate,
      "H.264 bitrate in kbit/s (default 4000, a typical 1080p camera)", "K"},
  {"dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir,
      "Where files are written (default: a directory in /dev/shm)", "DIR"},
  {"only", 0, 0, G_OPTION_ARG_STRING, &opt_only,
      "Only this part: throughput or sink", "PART"},
  {NULL}
};

#define CHUNK 65536
/* Every chunk authenticates the whole clip header (docs/clip-format.md). */
#define AAD_SIZE SEECITV_CLIP_HEADER_SIZE

typedef struct
{
  gint64 wall;
  gint64 cpu;
} Cost;

/* ---- pipelines ---- */

/* Runs @pipeline to EOS; returns its wall and process CPU time. */
static Cost
run_to_eos (GstElement * pipeline, GstAppSrc * src, GPtrArray * frames,
    guint n_frames)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  Cost c;
  gint64 wall0 = clock_ns (CLOCK_MONOTONIC);
  gint64 cpu0 = clock_ns (CLOCK_PROCESS_CPUTIME_ID);

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  if (src != NULL) {
    GstClockTime frame_duration = GST_SECOND / 30;

    for (guint i = 0; i < n_frames; i++) {
      GstBuffer *b = gst_buffer_copy (frames->pdata[i % frames->len]);

      GST_BUFFER_PTS (b) = GST_BUFFER_DTS (b) = i * frame_duration;
      GST_BUFFER_DURATION (b) = frame_duration;
      if (gst_app_src_push_buffer (src, b) != GST_FLOW_OK)
        break;
    }
    gst_app_src_end_of_stream (src);
  }
  msg = gst_bus_timed_pop_filtered (bus, 600 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  c.wall = clock_ns (CLOCK_MONOTONIC) - wall0;
  c.cpu = clock_ns (CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  if (msg == NULL || GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = NULL;

    if (msg)
      gst_message_parse_error (msg, &err, NULL);
    g_printerr ("pipeline failed: %s\n", err ? err->message : "timeout");
    exit (1);
  }
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  return c;
}

static void
remove_dir_contents (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (dir, name, NULL);

    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
}

/* ---- 1. throughput ---- */

/* Raw AES-256-GCM over @n_chunks chunks of @in, as the clip format seals
 * them: bytes per CPU second. */
static Cost
raw_gcm (const guint8 * in, guint8 * out, guint n_chunks)
{
  EVP_CIPHER *cipher = EVP_CIPHER_fetch (NULL, "AES-256-GCM", NULL);
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  guint8 key[32], nonce[12] = { 0 }, aad[AAD_SIZE] = { 0 }, tag[16];
  gint64 wall0, cpu0;
  Cost c;
  int outl;

  RAND_bytes (key, sizeof (key));
  wall0 = clock_ns (CLOCK_MONOTONIC);
  cpu0 = clock_ns (CLOCK_PROCESS_CPUTIME_ID);
  EVP_EncryptInit_ex2 (ctx, cipher, key, NULL, NULL);
  for (guint i = 0; i < n_chunks; i++) {
    nonce[8] = i >> 24;
    nonce[9] = i >> 16;
    nonce[10] = i >> 8;
    nonce[11] = i;
    if (EVP_EncryptInit_ex2 (ctx, NULL, NULL, nonce, NULL) != 1 ||
        EVP_EncryptUpdate (ctx, NULL, &outl, aad, AAD_SIZE) != 1 ||
        EVP_EncryptUpdate (ctx, out, &outl, in, CHUNK) != 1 ||
        EVP_EncryptFinal_ex (ctx, out + outl, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag) != 1) {
      g_printerr ("OpenSSL failed\n");
      exit (1);
    }
  }
  c.wall = clock_ns (CLOCK_MONOTONIC) - wall0;
  c.cpu = clock_ns (CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  EVP_CIPHER_CTX_free (ctx);
  EVP_CIPHER_free (cipher);
  return c;
}

/* fakesrc ! @sink_desc, @n_chunks buffers of CHUNK bytes. */
static Cost
sink_run (const gchar * sink_desc, guint n_chunks, const gchar * dir)
{
  gchar *desc = g_strdup_printf ("fakesrc num-buffers=%u sizetype=fixed "
      "sizemax=%d filltype=nothing ! %s", n_chunks, CHUNK, sink_desc);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  Cost c;

  if (pipeline == NULL) {
    g_printerr ("cannot build: %s\n", desc);
    exit (1);
  }
  c = run_to_eos (pipeline, NULL, NULL, 0);
  gst_object_unref (pipeline);
  g_free (desc);
  remove_dir_contents (dir);
  return c;
}

static gdouble
gb_per_s (guint64 bytes, gdouble ms)
{
  return ms > 0 ? bytes / (ms / 1e3) / 1e9 : 0;
}

static void
throughput (const gchar * dir, const gchar * keystore)
{
  guint n = (guint) ((guint64) opt_mib * 1024 * 1024 / CHUNK);
  guint64 bytes = (guint64) n * CHUNK;
  guint8 *in = g_malloc (CHUNK), *out = g_malloc (CHUNK + 16);
  gint64 *raw_cpu = g_new (gint64, opt_repeats);
  gint64 *crypt_cpu = g_new (gint64, opt_repeats);
  gint64 *crypt_wall = g_new (gint64, opt_repeats);
  gint64 *file_cpu = g_new (gint64, opt_repeats);
  gint64 *fake_cpu = g_new (gint64, opt_repeats);
  gdouble raw, crypt, cwall, file, fake;

  RAND_bytes (in, CHUNK);
  g_print ("\n== 1. encryption throughput: %u MiB in %d KiB buffers, %d "
      "runs each, interleaved\n", opt_mib, CHUNK / 1024, opt_repeats);
  for (gint r = 0; r < opt_repeats; r++) {
    gchar *loc = g_build_filename (dir, "bench.sctv", NULL);
    gchar *crypt_desc = g_strdup_printf ("seecitvcryptsink location=\"%s\" "
        "keystore=\"%s\" device-id=bench", loc, keystore);
    gchar *file_desc = g_strdup_printf ("filesink location=\"%s\"", loc);
    Cost c;

    raw_cpu[r] = raw_gcm (in, out, n).cpu;
    c = sink_run (crypt_desc, n, dir);
    crypt_cpu[r] = c.cpu;
    crypt_wall[r] = c.wall;
    file_cpu[r] = sink_run (file_desc, n, dir).cpu;
    fake_cpu[r] = sink_run ("fakesink", n, dir).cpu;
    g_free (file_desc);
    g_free (crypt_desc);
    g_free (loc);
  }
  raw = gb_per_s (bytes, median_ms (raw_cpu, opt_repeats));
  crypt = gb_per_s (bytes, median_ms (crypt_cpu, opt_repeats));
  cwall = gb_per_s (bytes, median_ms (crypt_wall, opt_repeats));
  file = gb_per_s (bytes, median_ms (file_cpu, opt_repeats));
  fake = gb_per_s (bytes, median_ms (fake_cpu, opt_repeats));
  g_print ("  %-44s %7.2f GB/s per CPU second\n",
      "OpenSSL AES-256-GCM, raw EVP (peer)", raw);
  g_print ("  %-44s %7.2f GB/s per CPU second (%.2f GB/s wall)\n",
      "fakesrc ! seecitvcryptsink", crypt, cwall);
  g_print ("  %-44s %7.2f GB/s per CPU second\n",
      "fakesrc ! filesink (clear, context)", file);
  g_print ("  %-44s %7.2f GB/s per CPU second\n",
      "fakesrc ! fakesink (harness, context)", fake);
  g_print ("  ratio seecitvcryptsink / raw OpenSSL: %.2f\n", crypt / raw);
  /* What sealing adds to writing: cryptsink's CPU per byte less
   * filesink's, both writing the same bytes to the same place. */
  if (crypt < file) {
    gdouble seal = 1.0 / (1.0 / crypt - 1.0 / file);

    g_print ("  sealing alone (seecitvcryptsink less filesink): %.2f GB/s, "
        "ratio to raw OpenSSL %.2f\n", seal, seal / raw);
  }
  g_print ("  target: seecitvcryptsink >= 1 GB/s on one core: %s\n",
      verdict (crypt >= 1.0));
  g_free (in);
  g_free (out);
  g_free (raw_cpu);
  g_free (crypt_cpu);
  g_free (crypt_wall);
  g_free (file_cpu);
  g_free (fake_cpu);
}

/* ---- 2. recording CPU per 1080p frame ---- */

static GPtrArray *
encode_pool (GstCaps ** caps)
{
  gchar *desc = g_strdup_printf ("videotestsrc pattern=snow num-buffers=%d "
      "! video/x-raw,width=1920,height=1080,framerate=30/1 ! "
      "x264enc speed-preset=ultrafast tune=zerolatency key-int-max=30 "
      "bitrate=%d ! h264parse ! "
      "video/x-h264,stream-format=avc,alignment=au ! "
      "appsink name=sink sync=false", opt_pool, opt_bitrate);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GPtrArray *frames = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstSample *s;
  guint64 bytes = 0;

  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  while ((s = gst_app_sink_pull_sample (GST_APP_SINK (sink))) != NULL) {
    GstBuffer *b = gst_sample_get_buffer (s);

    if (*caps == NULL)
      *caps = gst_caps_copy (gst_sample_get_caps (s));
    bytes += gst_buffer_get_size (b);
    g_ptr_array_add (frames, gst_buffer_ref (b));
    gst_sample_unref (s);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (desc);
  g_print ("  encoded %u frames of 1080p H.264 once: %.1f KiB per frame on "
      "average\n", frames->len, bytes / 1024.0 / MAX (frames->len, 1));
  return frames;
}

typedef enum
{
  REC_FAKESINK,
  REC_SPLITMUX,
  REC_SEECITVSINK,
} Recorder;

static Cost
record_run (Recorder which, GstCaps * caps, GPtrArray * frames, guint n,
    const gchar * dir, const gchar * keystore)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("appsrc", NULL);
  GstElement *sink;
  Cost c;

  g_object_set (src, "caps", caps, "format", GST_FORMAT_TIME, "block", TRUE,
      "max-bytes", (guint64) 8 * 1024 * 1024, NULL);
  if (which == REC_FAKESINK) {
    sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "sync", FALSE, NULL);
  } else if (which == REC_SPLITMUX) {
    GstElement *mux = gst_element_factory_make ("matroskamux", NULL);
    gchar *loc = g_build_filename (dir, "clip%05d.mkv", NULL);

    g_object_set (mux, "streamable", TRUE, NULL);
    sink = gst_element_factory_make ("splitmuxsink", NULL);
    g_object_set (sink, "muxer", mux, "location", loc, "max-size-time",
        (guint64) 600 * GST_SECOND, NULL);
    g_free (loc);
  } else {
    sink = gst_element_factory_make ("seecitvsink", NULL);
    if (sink == NULL) {
      g_printerr ("no seecitvsink: is gst/seecitv in GST_PLUGIN_PATH?\n");
      exit (1);
    }
    gst_util_set_object_arg (G_OBJECT (sink), "trigger", "continuous");
    g_object_set (sink, "location", dir, "keystore", keystore, "device-id",
        "bench", NULL);
  }
  gst_bin_add_many (GST_BIN (pipeline), src, sink, NULL);
  if (!gst_element_link (src, sink)) {
    g_printerr ("cannot link appsrc to the recorder\n");
    exit (1);
  }
  c = run_to_eos (pipeline, GST_APP_SRC (src), frames, n);
  gst_object_unref (pipeline);
  remove_dir_contents (dir);
  return c;
}

static void
recording (const gchar * dir, const gchar * keystore)
{
  static const gchar *names[] = { "appsrc ! fakesink (harness)",
    "splitmuxsink, matroskamux, clear (peer)",
    "seecitvsink trigger=continuous"
  };
  GstCaps *caps = NULL;
  GPtrArray *frames;
  gdouble per_frame[3];

  g_print ("\n== 2. recording CPU per 1080p frame: runs of %d and %d "
      "frames, %d each, interleaved\n", opt_short, opt_long, opt_repeats);
  frames = encode_pool (&caps);
  for (gint w = 0; w < 3; w++) {
    gint64 *s = g_new (gint64, opt_repeats), *l = g_new (gint64, opt_repeats);

    for (gint r = 0; r < opt_repeats; r++) {
      s[r] = record_run (w, caps, frames, opt_short, dir, keystore).cpu;
      l[r] = record_run (w, caps, frames, opt_long, dir, keystore).cpu;
    }
    per_frame[w] = (median_ms (l, opt_repeats) - median_ms (s, opt_repeats))
        / (opt_long - opt_short);
    g_print ("  %-44s %8.4f ms CPU per frame (runs: %.1f / %.1f ms)\n",
        names[w], per_frame[w], median_ms (s, opt_repeats),
        median_ms (l, opt_repeats));
    g_free (s);
    g_free (l);
  }
  g_print ("  ratio seecitvsink / splitmuxsink: %.2f\n",
      per_frame[2] / per_frame[1]);
  g_print ("  ratio without the harness's share: %.2f\n",
      (per_frame[2] - per_frame[0]) / (per_frame[1] - per_frame[0]));
  g_print ("  target: at most 1.1x: %s\n",
      verdict (per_frame[2] / per_frame[1] <= 1.1));
  gst_caps_unref (caps);
  g_ptr_array_unref (frames);
}

int
main (int argc, char **argv)
{
  GOptionContext *ctx = g_option_context_new ("- seecitv crypto benchmarks");
  GError *err = NULL;
  gchar *dir, *keys, *keystore, *key_path, *cpu, *load;
  guint8 key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  SeecitvKeystore *ks;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("%s\n", err->message);
    return 2;
  }
  g_option_context_free (ctx);
  if (opt_repeats < 1 || opt_mib < 1 || opt_short < 1 ||
      opt_long <= opt_short || opt_pool < 30 || opt_pool % 30 != 0) {
    g_printerr ("bad options (see --help)\n");
    return 2;
  }

  dir = opt_dir ? g_strdup (opt_dir) : g_build_filename
      (g_file_test ("/dev/shm", G_FILE_TEST_IS_DIR) ? "/dev/shm" :
      g_get_tmp_dir (), "seecitv-bench-XXXXXX", NULL);
  if (opt_dir == NULL && g_mkdtemp (dir) == NULL) {
    g_printerr ("cannot create %s\n", dir);
    return 1;
  }
  keys = g_build_filename (dir, "keys", NULL);
  g_mkdir (keys, 0700);
  keystore = g_build_filename (keys, "keystore", NULL);
  key_path = seecitv_keystore_default_key_path (keystore);
  if (!seecitv_keystore_master_key_create (key_path, key, &err) ||
      (ks = seecitv_keystore_create_with_key (keystore, key, &err)) == NULL) {
    g_printerr ("cannot create a keystore: %s\n", err->message);
    return 1;
  }
  seecitv_keystore_free (ks);
  {
    gchar *out = g_build_filename (dir, "out", NULL);

    g_mkdir (out, 0700);
    cpu = cpu_model ();
    load = load_average ();
    g_print ("crypto-bench: %s, %u CPUs online, load average %s\n"
        "files under %s\n", cpu, g_get_num_processors (), load, out);
    if (opt_only == NULL || strcmp (opt_only, "throughput") == 0)
      throughput (out, keystore);
    if (opt_only == NULL || strcmp (opt_only, "sink") == 0)
      recording (out, keystore);
    g_free (load);
    load = load_average ();
    g_print ("\nload average at the end: %s\n", load);
    g_rmdir (out);
    g_free (out);
  }
  g_unlink (keystore);
  g_unlink (key_path);
  g_rmdir (keys);
  if (opt_dir == NULL)
    g_rmdir (dir);
  g_free (cpu);
  g_free (load);
  g_free (key_path);
  g_free (keystore);
  g_free (keys);
  g_free (dir);
  return 0;
}
