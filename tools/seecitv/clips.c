/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `seecitv list`, `verify`, `export`, `audit` and `purge`: the clip index,
 * the clips themselves and the access log. Export runs a GStreamer
 * pipeline through the seecitvcrypto plugin's seecitvdecrypt, which writes
 * the access log that audit prints.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitv-cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <openssl/crypto.h>
#include <seecitv/retention.h>
#include "seecitv-remote.h"

#define READ_BLOCK (256 * 1024)

/* The state of an indexed clip as `list` and `verify` show it: the
 * index's, except that a clip the index says is recording, whose file no
 * writer holds any longer, is truncated (its writer died; seecitvsink
 * records that at its next start). */
static SeecitvClipState
clip_state (SeecitvClipState indexed, const gchar * path)
{
  if (indexed == SEECITV_CLIP_STATE_RECORDING &&
      g_file_test (path, G_FILE_TEST_EXISTS) &&
      !seecitv_retention_file_is_live (path))
    return SEECITV_CLIP_STATE_TRUNCATED;
  return indexed;
}

int
cmd_list (int argc, char **argv)
{
  gboolean json = FALSE;
  gchar *device = NULL;
  GOptionEntry entries[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array", NULL},
    {"device", 0, 0, G_OPTION_ARG_STRING, &device, "Only this device's clips",
        "ID"},
    {NULL}
  };
  int status = EXIT_FAIL;
  SeecitvKeystore *ks;
  GPtrArray *clips;
  GString *out;
  guint i;

  if (!parse_command ("list", entries, &argc, &argv, &status))
    goto done;
  if (argc != 1) {
    status = usage_error (FALSE, "usage: seecitv list [--json] [--device ID]");
    goto done;
  }
  ks = open_keystore ();
  if (ks == NULL)
    goto done;
  clips = seecitv_keystore_list_clips (ks, device);
  out = g_string_new (NULL);
  if (json)
    g_string_append (out, "[");
  else
    g_string_append (out, "clip-id\tdevice\tstart\tend\tduration\tpath\t"
        "size\tstatus\tstate\n");
  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *c = clips->pdata[i];
    gchar *id = hex_encode (c->ids.clip_id, SEECITV_CLIP_ID_SIZE);
    gchar *start = format_time (c->start_time);
    gchar *end = format_time (c->end_time);
    gboolean timed = c->end_time >= 0 && c->start_time >= 0;
    gchar *duration = timed ? g_strdup_printf ("%.3f",
        (c->end_time - c->start_time) / (double) G_USEC_PER_SEC) :
        g_strdup ("-");
    GStatBuf st;
    gboolean present = g_stat (c->path, &st) == 0;
    gchar *size = present ? g_strdup_printf ("%" G_GUINT64_FORMAT,
        (guint64) st.st_size) : g_strdup ("-");
    const gchar *state = seecitv_clip_state_name (clip_state (c->state,
            c->path));

    if (json) {
      g_string_append (out, i ? ",\n " : "\n ");
      g_string_append (out, "{\"clip-id\": ");
      json_string (out, id);
      g_string_append (out, ", \"device\": ");
      json_string (out, c->device_id);
      g_string_append (out, ", \"start\": ");
      if (c->start_time >= 0)
        json_string (out, start);
      else
        g_string_append (out, "null");
      g_string_append (out, ", \"end\": ");
      if (c->end_time >= 0)
        json_string (out, end);
      else
        g_string_append (out, "null");
      g_string_append_printf (out, ", \"duration\": %s, \"path\": ",
          timed ? duration : "null");
      json_string (out, c->path);
      g_string_append_printf (out, ", \"size\": %s, \"status\": \"%s\", "
          "\"state\": \"%s\"}", present ? size : "null",
          present ? "present" : "missing", state);
    } else {
      g_string_append_printf (out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
          id, c->device_id, start, end, duration, c->path, size,
          present ? "present" : "missing", state);
    }
    g_free (id);
    g_free (start);
    g_free (end);
    g_free (duration);
    g_free (size);
  }
  if (json)
    g_string_append (out, clips->len ? "\n]\n" : "]\n");
  fputs (out->str, stdout);
  g_string_free (out, TRUE);
  g_ptr_array_unref (clips);
  seecitv_keystore_free (ks);
  status = EXIT_OK;

done:
  g_free (device);
  return status;
}

/* What verify_one () says of a clip that ends before its final chunk
 * (@bytes authentic), given its state in the index. @ok: FALSE unless it
 * is still being written. */
static gchar *
prefix_result (SeecitvKeystore * ks, SeecitvClipReader * reader,
    const gchar * path, gboolean * ok)
{
  const SeecitvClipHeader *h = seecitv_clip_reader_get_header (reader);
  guint64 bytes = seecitv_clip_reader_get_bytes_verified (reader);
  SeecitvClipState indexed = SEECITV_CLIP_STATE_RECORDING;

  if (h != NULL)
    seecitv_keystore_get_clip_state (ks, h->ids.clip_id, &indexed);
  *ok = FALSE;
  switch (clip_state (indexed, path)) {
    case SEECITV_CLIP_STATE_RECORDING:
      *ok = TRUE;
      return g_strdup_printf ("recording (%" G_GUINT64_FORMAT
          " bytes so far)", bytes);
    case SEECITV_CLIP_STATE_COMPLETE:
      return g_strdup_printf ("truncated at %" G_GUINT64_FORMAT " bytes "
          "(the index says complete: its end was cut off)", bytes);
    default:
      return g_strdup_printf ("truncated at %" G_GUINT64_FORMAT " bytes",
          bytes);
  }
}

/* Verifies the clip file at @path and prints one line "LABEL\tRESULT":
 * its state (`complete`, `recording`, `truncated`) or what is wrong.
 * Returns TRUE when it is complete or still being written. */
static gboolean
verify_one (SeecitvKeystore * ks, const gchar * label, const gchar * path)
{
  SeecitvClipReader *reader;
  GByteArray *plain;
  guint8 *buf;
  FILE *f;
  GError *err = NULL;
  SeecitvClipEnd end = SEECITV_CLIP_END_COMPLETE;
  gboolean ok = TRUE, good = FALSE;
  gchar *result = NULL;

  f = g_fopen (path, "rb");
  if (f == NULL) {
    g_print ("%s\tmissing\n", label);
    return FALSE;
  }
  reader = seecitv_clip_reader_new (seecitv_keystore_clip_key_func, ks, NULL,
      SEECITV_CLIP_READER_ALLOW_PREFIX);
  plain = g_byte_array_new ();
  buf = g_malloc (READ_BLOCK);
  while (ok) {
    size_t n = fread (buf, 1, READ_BLOCK, f);

    if (n == 0)
      break;
    ok = seecitv_clip_reader_push (reader, buf, n, plain, &err);
    /* Verifying only: wipe and drop the plaintext at once. */
    if (plain->len > 0)
      OPENSSL_cleanse (plain->data, plain->len);
    g_byte_array_set_size (plain, 0);
  }
  if (ok && ferror (f)) {
    result = g_strdup ("unreadable");
    ok = FALSE;
  }
  fclose (f);
  if (ok && result == NULL)
    ok = seecitv_clip_reader_finish (reader, &end, &err);
  if (result == NULL) {
    if (ok && end == SEECITV_CLIP_END_COMPLETE) {
      result = g_strdup ("complete");
      good = TRUE;
    } else if (ok)
      result = prefix_result (ks, reader, path, &good);
    else if (g_error_matches (err, SEECITV_KEYSTORE_ERROR,
            SEECITV_KEYSTORE_ERROR_NOT_FOUND))
      result = g_strdup ("no key");
    else if (g_error_matches (err, SEECITV_CLIP_ERROR,
            SEECITV_CLIP_ERROR_BAD_MAGIC))
      result = g_strdup ("not a clip");
    else if (g_error_matches (err, SEECITV_CLIP_ERROR,
            SEECITV_CLIP_ERROR_TRUNCATED))
      result = g_strdup ("truncated");
    else if (err != NULL && ((err->domain == SEECITV_CLIP_ERROR &&
                err->code != SEECITV_CLIP_ERROR_CRYPTO) ||
            g_error_matches (err, SEECITV_KEYSTORE_ERROR,
                SEECITV_KEYSTORE_ERROR_KEY_MISMATCH)))
      result = g_strdup ("tampered");
    else
      result = g_strdup_printf ("error (%s)", err ? err->message : "?");
  }
  g_print ("%s\t%s\n", label, result);
  g_free (result);
  g_clear_error (&err);
  g_free (buf);
  g_byte_array_unref (plain);
  seecitv_clip_reader_free (reader);
  return good;
}

int
cmd_verify (int argc, char **argv)
{
  GOptionEntry entries[] = { {NULL} };
  int status = EXIT_FAIL;
  SeecitvKeystore *ks;
  gboolean all = TRUE;
  int i;

  if (!parse_command ("verify", entries, &argc, &argv, &status))
    return status;
  ks = open_keystore ();
  if (ks == NULL)
    return EXIT_FAIL;
  if (argc <= 1) {
    GPtrArray *clips = seecitv_keystore_list_clips (ks, NULL);
    guint j;

    for (j = 0; j < clips->len; j++) {
      SeecitvKeystoreClipInfo *c = clips->pdata[j];

      all &= verify_one (ks, c->path, c->path);
    }
    g_ptr_array_unref (clips);
  } else {
    for (i = 1; i < argc; i++) {
      guint8 id[SEECITV_CLIP_ID_SIZE];
      SeecitvKeystoreClipInfo *info = NULL;
      gchar *path = NULL;

      /* A file is verified as it is; a clip id names an indexed file. */
      if (!g_file_test (argv[i], G_FILE_TEST_EXISTS) &&
          !resolve_clip (ks, argv[i], id, &info, &path, NULL)) {
        g_print ("%s\tmissing\n", argv[i]);
        all = FALSE;
        continue;
      }
      all &= verify_one (ks, argv[i], path ? path : argv[i]);
      g_free (path);
      g_clear_pointer (&info, seecitv_keystore_clip_info_free);
    }
  }
  seecitv_keystore_free (ks);
  status = all ? EXIT_OK : EXIT_FAIL;
  return status;
}

/* Creates @output, mode 0600 (it is video in clear), never clobbering
 * unless @force; the pipeline's filesink then opens the file made here. */
static gboolean
create_output (const gchar * output, gboolean force)
{
  int fd = g_open (output, O_WRONLY | O_CREAT | O_CLOEXEC |
      (force ? O_TRUNC : O_EXCL), 0600);

  if (fd < 0) {
    int e = errno;

    g_printerr ("seecitv: cannot create %s: %s\n", output, g_strerror (e));
    return FALSE;
  }
  close (fd);
  return TRUE;
}

/* For a command that reads the clip @arg (a file or an indexed clip id)
 * into a new file @output: finds the clip file, then creates @output
 * (create_output ()). Returns: (transfer full) (nullable): the clip file,
 * or NULL after printing why */
gchar *
open_clip_for_output (const gchar * cmd, const gchar * arg,
    const gchar * output, gboolean force)
{
  SeecitvKeystore *ks = open_keystore ();
  SeecitvKeystoreClipInfo *info = NULL;
  guint8 id[SEECITV_CLIP_ID_SIZE];
  gchar *path = NULL;
  GError *err = NULL;

  if (ks == NULL)
    return NULL;
  /* Before the output exists (seecitvdecrypt refuses too, on the local
   * marker alone). */
  if (!seecitv_keystore_check_rollback (ks, &err)) {
    g_printerr ("seecitv: %s refused (reason rollback): %s\n", cmd,
        err->message);
    g_clear_error (&err);
  } else if (!seecitv_remote_marker_sync (opt_keystore, ks, cmd, FALSE)) {
    /* Printed: the off-site copy names a later keystore. */
  } else if (!resolve_clip (ks, arg, id, &info, &path, &err)) {
    print_error (cmd, err);
    g_clear_error (&err);
  } else if (!create_output (output, force)) {
    g_clear_pointer (&path, g_free);
  }
  g_clear_pointer (&info, seecitv_keystore_clip_info_free);
  seecitv_keystore_free (ks);
  return path;
}

typedef struct
{
  GMainLoop *loop;
  GstElement *pipeline;
  GstElement *src;
  GstElement *dec;
  GstElement *mux;
  gboolean failed;
  gboolean truncated;
  guint64 truncated_bytes;
  gboolean progress;
} Export;

/* matroskademux's pads: each through a queue into matroskamux. Called
 * from the streaming thread. */
static void
on_pad_added (GstElement * demux, GstPad * pad, gpointer user_data)
{
  Export *ex = user_data;
  GstElement *queue = gst_element_factory_make ("queue", NULL);
  GstPad *qsink, *qsrc, *mpad;
  GstCaps *caps;

  gst_bin_add (GST_BIN (ex->pipeline), queue);
  gst_element_sync_state_with_parent (queue);
  qsink = gst_element_get_static_pad (queue, "sink");
  qsrc = gst_element_get_static_pad (queue, "src");
  gst_pad_link (pad, qsink);
  caps = gst_pad_get_current_caps (pad);
  mpad = gst_element_get_compatible_pad (ex->mux, qsrc, caps);
  if (mpad == NULL || gst_pad_link (qsrc, mpad) != GST_PAD_LINK_OK) {
    gchar *s = caps ? gst_caps_to_string (caps) : g_strdup ("?");

    GST_ELEMENT_ERROR (demux, CORE, NEGOTIATION,
        ("Matroska cannot hold a stream of this clip."), ("%s", s));
    g_free (s);
  }
  if (caps)
    gst_caps_unref (caps);
  g_clear_object (&mpad);
  gst_object_unref (qsink);
  gst_object_unref (qsrc);
}

static gboolean
on_bus (GstBus * bus, GstMessage * msg, gpointer user_data)
{
  Export *ex = user_data;
  GError *err = NULL;
  gchar *dbg = NULL;

  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_EOS:
      g_main_loop_quit (ex->loop);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (msg, &err, &dbg);
      if (ex->progress)
        g_printerr ("\n");
      if (ex->truncated && ex->truncated_bytes == 0)
        g_printerr ("seecitv: export failed: the clip holds no authentic "
            "data (truncated before its first sync)\n");
      else
        g_printerr ("seecitv: export failed: %s\n", err->message);
      ex->failed = TRUE;
      g_main_loop_quit (ex->loop);
      break;
    case GST_MESSAGE_WARNING:
      gst_message_parse_warning (msg, &err, &dbg);
      /* seecitvdecrypt's truncation warning: reported below, once */
      if (GST_MESSAGE_SRC (msg) == GST_OBJECT (ex->dec) &&
          g_error_matches (err, GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE))
        break;
      if (ex->progress)
        g_printerr ("\n");
      g_printerr ("seecitv: warning: %s\n", err->message);
      break;
    case GST_MESSAGE_ELEMENT:
      if (gst_message_has_name (msg, "seecitvdecrypt-truncated")) {
        const GstStructure *s = gst_message_get_structure (msg);
        guint64 bytes = 0;

        gst_structure_get_uint64 (s, "bytes", &bytes);
        if (ex->progress)
          g_printerr ("\n");
        g_printerr ("seecitv: warning: the clip is truncated: exporting its "
            "%" G_GUINT64_FORMAT " authentic bytes\n", bytes);
        ex->truncated = TRUE;
        ex->truncated_bytes = bytes;
      }
      break;
    default:
      break;
  }
  g_clear_error (&err);
  g_free (dbg);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_progress (gpointer user_data)
{
  Export *ex = user_data;
  gint64 pos = 0, dur = 0;

  if (gst_element_query_position (ex->src, GST_FORMAT_BYTES, &pos) &&
      gst_element_query_duration (ex->src, GST_FORMAT_BYTES, &dur) && dur > 0)
    g_printerr ("\rexporting: %3d%%", (int) (100 * pos / dur));
  return G_SOURCE_CONTINUE;
}

int
cmd_export (int argc, char **argv)
{
  gchar *output = NULL;
  gboolean force = FALSE;
  GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The .mkv to write",
        "OUT"},
    {"force", 'f', 0, G_OPTION_ARG_NONE, &force,
        "Overwrite OUT if it exists", NULL},
    {NULL}
  };
  int status = EXIT_FAIL;
  gchar *path = NULL;
  GError *err = NULL;
  Export ex = { 0 };
  GstElement *demux, *sink;
  GstBus *bus;
  guint watch, timer = 0;
  gboolean created = FALSE;
  gchar *remote_tmp = NULL;

  if (!parse_command ("export", entries, &argc, &argv, &status))
    goto out;
  /* s3://bucket/key: fetched to a private temporary file first. */
  if (argc == 2 && !seecitv_remote_fetch (opt_keystore, &argv[1],
          &remote_tmp))
    goto out;
  if (argc != 2 || output == NULL) {
    status = usage_error (FALSE, "usage: seecitv export CLIP -o OUT.mkv");
    goto out;
  }
  path = open_clip_for_output ("export", argv[1], output, force);
  if (path == NULL)
    goto out;
  created = TRUE;

  ex.pipeline = gst_pipeline_new ("export");
  ex.src = gst_element_factory_make ("filesrc", NULL);
  ex.dec = gst_element_factory_make ("seecitvdecrypt", NULL);
  demux = gst_element_factory_make ("matroskademux", NULL);
  ex.mux = gst_element_factory_make ("matroskamux", NULL);
  sink = gst_element_factory_make ("filesink", NULL);
  if (!ex.src || !ex.dec || !demux || !ex.mux || !sink) {
    g_printerr ("seecitv: missing GStreamer elements (%s): is the "
        "seecitvcrypto plugin in GST_PLUGIN_PATH?\n",
        ex.dec == NULL ? "seecitvdecrypt" : "filesrc, matroska or filesink");
    g_clear_object (&ex.src);
    g_clear_object (&ex.dec);
    g_clear_object (&demux);
    g_clear_object (&ex.mux);
    g_clear_object (&sink);
    goto out;
  }
  g_object_set (ex.src, "location", path, NULL);
  gst_util_set_object_arg (G_OBJECT (ex.dec), "purpose", "export");
  g_object_set (ex.dec, "keystore", opt_keystore, "passphrase-file",
      opt_passphrase_file, NULL);
  g_object_set (sink, "location", output, NULL);
  gst_bin_add_many (GST_BIN (ex.pipeline), ex.src, ex.dec, demux, ex.mux,
      sink, NULL);
  if (!gst_element_link_many (ex.src, ex.dec, demux, NULL) ||
      !gst_element_link (ex.mux, sink)) {
    g_printerr ("seecitv: cannot link the export pipeline\n");
    goto out;
  }
  g_signal_connect (demux, "pad-added", G_CALLBACK (on_pad_added), &ex);

  ex.loop = g_main_loop_new (NULL, FALSE);
  ex.progress = isatty (STDERR_FILENO);
  bus = gst_element_get_bus (ex.pipeline);
  watch = gst_bus_add_watch (bus, on_bus, &ex);
  gst_object_unref (bus);
  if (ex.progress)
    timer = g_timeout_add (200, on_progress, &ex);
  if (gst_element_set_state (ex.pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE) {
    /* the error message is on the bus */
    ex.failed = TRUE;
    while (g_main_context_iteration (NULL, FALSE));
  } else {
    g_main_loop_run (ex.loop);
  }
  gst_element_set_state (ex.pipeline, GST_STATE_NULL);
  if (timer)
    g_source_remove (timer);
  g_source_remove (watch);
  if (ex.progress && !ex.failed)
    g_printerr ("\rexporting: 100%%\n");
  if (!ex.failed) {
    g_print ("exported %s to %s%s\n", path, output,
        ex.truncated ? " (truncated)" : "");
    status = EXIT_OK;
  }

out:
  if (status != EXIT_OK && created)
    g_unlink (output);
  if (ex.loop)
    g_main_loop_unref (ex.loop);
  if (ex.pipeline)
    gst_object_unref (ex.pipeline);
  g_clear_error (&err);
  g_free (path);
  g_free (output);
  seecitv_remote_fetch_done (remote_tmp);
  return status;
}

/* Expires old entries and saves, retrying when someone else saved
 * meanwhile. Returns: (transfer full) (nullable): the keystore as saved */
static gboolean
expire_change (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  seecitv_keystore_expire_access (ks, *(gint64 *) data);
  return TRUE;
}

static SeecitvKeystore *
open_keystore_expired (gint64 now)
{
  GError *err = NULL;
  SeecitvKeystore *ks = open_keystore ();

  if (ks == NULL || seecitv_keystore_expire_access (ks, now) == 0 ||
      seecitv_keystore_update (ks, expire_change, &now, &err))
    return ks;
  if (g_error_matches (err, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CHANGED)) {
    g_printerr ("seecitv: the keystore keeps changing: try again\n");
    g_clear_error (&err);
    seecitv_keystore_free (ks);
    return NULL;
  }
  /* Still shown without the expired entries: only the save failed. */
  print_error ("warning: cannot save the expired access log", err);
  g_clear_error (&err);
  return ks;
}

int
cmd_audit (int argc, char **argv)
{
  gboolean json = FALSE;
  int status = EXIT_FAIL;
  SeecitvKeystore *ks;
  GPtrArray *log;
  GString *out;
  guint i;

  if (!parse_json_command ("audit", &argc, &argv, &json, &status))
    return status;
  ks = open_keystore_expired (seecitv_keystore_access_now ());
  if (ks == NULL)
    return EXIT_FAIL;
  log = seecitv_keystore_list_access (ks);
  out = g_string_new (json ? "[" :
      "time\taction\tclip-id\tdevice\tpath\tuser\tprocess\n");
  for (i = 0; i < log->len; i++) {
    SeecitvKeystoreAccess *e = log->pdata[i];
    gchar *time = format_time (e->time);
    gchar *id = hex_encode (e->clip_id, SEECITV_CLIP_ID_SIZE);
    const gchar *action = seecitv_keystore_access_action_name (e->action);

    if (json) {
      g_string_append (out, i ? ",\n " : "\n ");
      g_string_append (out, "{\"time\": ");
      json_string (out, time);
      g_string_append_printf (out, ", \"action\": \"%s\", \"clip-id\": ",
          action);
      json_string (out, id);
      g_string_append (out, ", \"device\": ");
      json_string (out, e->device_id);
      g_string_append (out, ", \"path\": ");
      json_string (out, e->path);
      g_string_append (out, ", \"user\": ");
      json_string (out, e->user);
      g_string_append (out, ", \"process\": ");
      json_string (out, e->process);
      g_string_append (out, "}");
    } else {
      g_string_append_printf (out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", time,
          action, id, e->device_id[0] ? e->device_id : "-",
          e->path[0] ? e->path : "-", e->user, e->process);
    }
    g_free (time);
    g_free (id);
  }
  if (json)
    g_string_append (out, log->len ? "\n]\n" : "]\n");
  fputs (out->str, stdout);
  g_string_free (out, TRUE);
  g_ptr_array_unref (log);
  seecitv_keystore_free (ks);
  return EXIT_OK;
}

typedef struct
{
  const gchar *arg;
  guint8 id[SEECITV_CLIP_ID_SIZE];
  SeecitvKeystoreClipInfo *info;
  gchar *path;
} PurgeChange;

static gboolean
purge_change (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  PurgeChange *p = data;

  g_clear_pointer (&p->info, seecitv_keystore_clip_info_free);
  g_clear_pointer (&p->path, g_free);
  return resolve_clip (ks, p->arg, p->id, &p->info, &p->path, error) &&
      seecitv_keystore_delete_clip_key (ks, p->id, error);
}

static gboolean
purge_one (const gchar * arg)
{
  PurgeChange pc = { arg };
  GError *err = NULL;
  SeecitvKeystore *ks = open_keystore ();
  gchar *path;
  gboolean ok;

  if (ks == NULL)
    return FALSE;
  ok = seecitv_keystore_update (ks, purge_change, &pc, &err);
  seecitv_keystore_free (ks);
  path = g_steal_pointer (&pc.path);
  if (ok) {
    gchar *hex = hex_encode (pc.id, SEECITV_CLIP_ID_SIZE);

    g_print ("removed clip key\t%s\t%s\n", hex,
        pc.info ? pc.info->path : path);
    g_free (hex);
  }
  g_clear_pointer (&pc.info, seecitv_keystore_clip_info_free);
  if (!ok) {
    gchar *what = g_strdup_printf ("cannot purge %s", arg);

    print_error (what, err);
    g_free (what);
  } else if (g_unlink (path) == 0) {
    g_print ("deleted file\t%s\n", path);
  } else if (errno != ENOENT) {
    int e = errno;

    g_printerr ("seecitv: cannot delete %s: %s (its key is gone: it "
        "cannot be decrypted)\n", path, g_strerror (e));
    ok = FALSE;
  }
  if (ok && !seecitv_remote_purge_clip (opt_keystore, path))
    ok = FALSE;
  g_clear_error (&err);
  g_free (path);
  return ok;
}

int
cmd_purge (int argc, char **argv)
{
  gboolean rotate = FALSE;
  gchar *new_passphrase_file = NULL, *pass = NULL;
  GOptionEntry entries[] = {
    {"rotate", 0, 0, G_OPTION_ARG_NONE, &rotate,
        "Then rotate the master key (a key-file keystore), so that older "
          "copies of the keystore no longer open", NULL},
    {"new-passphrase-file", 0, 0, G_OPTION_ARG_FILENAME,
          &new_passphrase_file,
        "Then rotate a passphrase keystore to the new passphrase in F", "F"},
    {NULL}
  };
  int status = EXIT_FAIL;
  gboolean all = TRUE;
  gsize pass_len = 0;
  int i;

  if (!parse_command ("purge", entries, &argc, &argv, &status))
    goto out;
  if (argc < 2 || (rotate && (new_passphrase_file != NULL ||
              opt_passphrase_file != NULL))) {
    status = usage_error (FALSE, "usage: seecitv purge CLIP... [--rotate | "
        "--new-passphrase-file F] (--rotate is for a key-file keystore)");
    goto out;
  }
  if (new_passphrase_file != NULL) {
    pass = load_new_passphrase (new_passphrase_file, &pass_len);
    if (pass == NULL)
      goto out;
  }
  for (i = 1; i < argc; i++)
    all &= purge_one (argv[i]);
  status = all ? EXIT_OK : EXIT_FAIL;
  if ((rotate || pass != NULL) && !rotate_keystore (pass, pass_len)) {
    g_printerr ("seecitv: the master key was not rotated: run 'seecitv "
        "keys rotate'\n");
    status = EXIT_FAIL;
  }

out:
  g_free (new_passphrase_file);
  if (pass != NULL)
    OPENSSL_cleanse (pass, pass_len);
  g_free (pass);
  return status;
}
