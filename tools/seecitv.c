/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The `seecitv` command: keys init, list, verify, export, forget, purge
 * over a keystore (ext/openssl/keystore.h) and its clips (clip.h). Export
 * runs a GStreamer pipeline through the seecitvcrypto plugin's
 * seecitvdecrypt; everything else uses the crypto core directly. Retention,
 * audit and upload are not here yet. No key material is ever printed.
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <openssl/crypto.h>

#include "seecitv-remote.h"
#include "clip.h"
#include "keystore.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define KEYSTORE_RETRIES 5
#define READ_BLOCK (256 * 1024)

static gchar *opt_keystore = NULL;
static gchar *opt_passphrase_file = NULL;

static const gchar *description =
    "Commands:\n"
    "  keys init [--passphrase-file F] [--recordings DIR]\n"
    "                      create the keystore (0600) and, without a\n"
    "                      passphrase, its master key file KEYSTORE.key\n"
    "  list [--json] [--device ID]\n"
    "                      the clip index, tab-separated with a header\n"
    "  verify [CLIP...]    check clips (default: every indexed clip)\n"
    "  export CLIP -o OUT.mkv [--force]\n"
    "                      decrypt and remux into a seekable Matroska file\n"
    "  forget --device ID  delete a device's key, its clips' keys and files\n"
    "  purge CLIP...       delete clips: key first, then file\n"
    "  upload [--timeout S]  send the clips queued for off-site upload\n"
    "  list --remote [--device ID]  the uploaded copies\n"
    "(purge and forget also delete uploaded copies; export takes an\n"
    "s3://bucket/key too: docs/upload.md)\n"
    "\n"
    "CLIP is a clip file path or a clip id (32 hex digits, as `list` shows).\n"
    "The keystore is --keystore, else $SEECITV_KEYSTORE, else\n"
    "~/.local/share/seecitv/keystore. It must not live in a recordings\n"
    "directory: `keys init` refuses a directory that holds clip files or is\n"
    "inside --recordings. Anyone holding a copy of the keystore and its key\n"
    "can decrypt clips that were deleted or forgotten since.\n"
    "\n"
    "Exit status: 0 success (verify: every clip intact), 1 failure (verify:\n"
    "a clip is missing, truncated, tampered or has no key), 2 usage error.\n";

/* ---- helpers ---- */

static void
print_error (const gchar * what, const GError * err)
{
  g_printerr ("seecitv: %s%s%s\n", what, err ? ": " : "",
      err ? err->message : "");
}

static int
usage_error (gboolean hint, const gchar * msg)
{
  g_printerr ("seecitv: %s\n", msg);
  if (hint)
    g_printerr ("Try 'seecitv --help'.\n");
  return EXIT_USAGE;
}

/* Parses a command's own options; argv[0] is the command name. */
static gboolean
parse_command (const gchar * name, GOptionEntry * entries, int *argc,
    char ***argv, int *status)
{
  GOptionContext *ctx = g_option_context_new (NULL);
  GError *err = NULL;
  gchar *summary = g_strdup_printf ("seecitv %s", name);
  gboolean ok;

  g_option_context_set_summary (ctx, summary);
  g_option_context_add_main_entries (ctx, entries, NULL);
  ok = g_option_context_parse (ctx, argc, argv, &err);
  if (!ok) {
    g_printerr ("seecitv %s: %s\n", name, err->message);
    g_clear_error (&err);
    *status = EXIT_USAGE;
  }
  g_option_context_free (ctx);
  g_free (summary);
  return ok;
}

/* Returns: (transfer full): lowercase hex of @data, g_free() it */
static gchar *
hex_encode (const guint8 * data, gsize len)
{
  gchar *s = g_malloc (2 * len + 1);
  gsize i;

  for (i = 0; i < len; i++)
    g_snprintf (s + 2 * i, 3, "%02x", data[i]);
  s[2 * len] = '\0';
  return s;
}

static gboolean
hex_decode (const gchar * hex, guint8 * out, gsize len)
{
  gsize i;

  if (strlen (hex) != 2 * len)
    return FALSE;
  for (i = 0; i < 2 * len; i++)
    if (!g_ascii_isxdigit (hex[i]))
      return FALSE;
  for (i = 0; i < len; i++)
    out[i] = (g_ascii_xdigit_value (hex[2 * i]) << 4) |
        g_ascii_xdigit_value (hex[2 * i + 1]);
  return TRUE;
}

/* Returns: (transfer full) (nullable): the keystore, or NULL after
 * printing why */
static SeecitvKeystore *
open_keystore (void)
{
  GError *err = NULL;
  SeecitvKeystore *ks =
      seecitv_keystore_open_default (opt_keystore, opt_passphrase_file, &err);

  if (ks == NULL) {
    gchar *what = g_strdup_printf ("cannot open the keystore %s",
        opt_keystore);

    print_error (what, err);
    g_free (what);
    g_clear_error (&err);
  }
  return ks;
}

/* Returns: (transfer full): ISO 8601 UTC with milliseconds, or "-" */
static gchar *
format_time (gint64 usec)
{
  GDateTime *dt;
  gchar *s, *tmp;

  if (usec < 0)
    return g_strdup ("-");
  dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  if (dt == NULL)
    return g_strdup ("-");
  tmp = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  g_date_time_unref (dt);
  s = g_strdup_printf ("%s.%03dZ", tmp, (int) ((usec % G_USEC_PER_SEC) / 1000));
  g_free (tmp);
  return s;
}

/* Reads the clip id from the header of the file at @path. */
static gboolean
read_clip_id (const gchar * path, guint8 * clip_id, GError ** error)
{
  guint8 buf[SEECITV_CLIP_HEADER_SIZE];
  SeecitvClipHeader header;
  FILE *f = g_fopen (path, "rb");
  gsize n;

  if (f == NULL) {
    int e = errno;

    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
        "%s: %s", path, g_strerror (e));
    return FALSE;
  }
  n = fread (buf, 1, sizeof (buf), f);
  fclose (f);
  if (!seecitv_clip_header_parse (buf, n, &header, error))
    return FALSE;
  memcpy (clip_id, header.ids.clip_id, SEECITV_CLIP_ID_SIZE);
  return TRUE;
}

/* Finds the index entry for @arg (a clip file or a clip id). @path
 * receives the file to act on: @arg when it is a file, else the indexed
 * path. @info receives the index entry, or NULL for a file whose clip is
 * not indexed (both transfer full). */
static gboolean
resolve_clip (SeecitvKeystore * ks, const gchar * arg, guint8 * clip_id,
    SeecitvKeystoreClipInfo ** info, gchar ** path, GError ** error)
{
  GPtrArray *clips;
  guint i;

  *info = NULL;
  *path = NULL;
  if (g_file_test (arg, G_FILE_TEST_EXISTS)) {
    if (!read_clip_id (arg, clip_id, error))
      return FALSE;
    *path = g_strdup (arg);
  } else if (!hex_decode (arg, clip_id, SEECITV_CLIP_ID_SIZE)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
        "%s: no such file, and not a clip id", arg);
    return FALSE;
  }
  clips = seecitv_keystore_list_clips (ks, NULL);
  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *c = clips->pdata[i];

    if (memcmp (c->ids.clip_id, clip_id, SEECITV_CLIP_ID_SIZE) == 0) {
      *info = g_ptr_array_steal_index (clips, i);
      break;
    }
  }
  g_ptr_array_unref (clips);
  if (*path == NULL) {
    if (*info == NULL) {
      g_set_error (error, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_NOT_FOUND, "%s: no such clip in the index",
          arg);
      return FALSE;
    }
    *path = g_strdup ((*info)->path);
  }
  return TRUE;
}

/* ---- keys init ---- */

/* Whether @dir holds a file that starts like a clip. */
static gboolean
dir_holds_clips (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;
  gboolean found = FALSE;

  if (d == NULL)
    return FALSE;
  while (!found && (name = g_dir_read_name (d)) != NULL) {
    gchar *p = g_build_filename (dir, name, NULL);
    guint8 id[SEECITV_CLIP_ID_SIZE];

    if (g_file_test (p, G_FILE_TEST_IS_REGULAR) && read_clip_id (p, id, NULL))
      found = TRUE;
    g_free (p);
  }
  g_dir_close (d);
  return found;
}

static gboolean
is_under (const gchar * path, const gchar * dir)
{
  gsize n = strlen (dir);

  return strcmp (dir, "/") == 0 || (strncmp (path, dir, n) == 0 &&
      (path[n] == '/' || path[n] == '\0'));
}

/* Whether @path (absolute, symbolic links resolved) is inside @dir, an
 * existing directory, with its symbolic links resolved. */
static gboolean
path_is_under (const gchar * path, const gchar * dir)
{
  char *rdir = realpath (dir, NULL);
  gboolean under;

  if (rdir == NULL)
    return FALSE;
  under = is_under (path, rdir);
  free (rdir);
  return under;
}

static int
cmd_keys (int argc, char **argv)
{
  gchar *passphrase_file = NULL, *recordings = NULL;
  gint log2_n = SEECITV_KEYSTORE_DEFAULT_LOG2_N;
  GOptionEntry entries[] = {
    {"passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &passphrase_file,
        "Protect the keystore by the passphrase in F (scrypt), not a key "
          "file", "F"},
    {"recordings", 0, 0, G_OPTION_ARG_FILENAME, &recordings,
        "The recordings directory, which must not hold the keystore", "DIR"},
    {"scrypt-log2-n", 0, 0, G_OPTION_ARG_INT, &log2_n,
        "scrypt cost N = 2^X (10..22, default 17)", "X"},
    {NULL}
  };
  int status = EXIT_FAIL;
  gchar *dir = NULL, *real_path = NULL, *key_path = NULL;
  char *rdir;
  SeecitvKeystore *ks = NULL;
  GError *err = NULL;

  if (!parse_command ("keys", entries, &argc, &argv, &status))
    goto out;
  if (argc != 2 || strcmp (argv[1], "init") != 0) {
    status = usage_error (FALSE, "usage: seecitv keys init "
        "[--passphrase-file F] [--recordings DIR]");
    goto out;
  }
  if (log2_n < 10 || log2_n > 22) {
    status = usage_error (FALSE, "--scrypt-log2-n must be 10..22");
    goto out;
  }
  if (passphrase_file == NULL)
    passphrase_file = g_strdup (opt_passphrase_file);

  /* Refuse before creating any directory, then again on the real path
   * (symbolic links resolved) once it exists. */
  if (recordings != NULL) {
    gchar *abs = g_canonicalize_filename (opt_keystore, NULL);
    gchar *rec = g_canonicalize_filename (recordings, NULL);
    gboolean under = is_under (abs, rec);

    g_free (abs);
    g_free (rec);
    if (under) {
      g_printerr ("seecitv: refusing to put the keystore inside the "
          "recordings directory %s\n", recordings);
      goto out;
    }
  }
  dir = g_path_get_dirname (opt_keystore);
  if (g_mkdir_with_parents (dir, 0700) != 0) {
    g_printerr ("seecitv: cannot create %s: %s\n", dir, g_strerror (errno));
    goto out;
  }
  rdir = realpath (dir, NULL);
  if (rdir == NULL) {
    g_printerr ("seecitv: %s: %s\n", dir, g_strerror (errno));
    goto out;
  }
  {
    gchar *base = g_path_get_basename (opt_keystore);

    real_path = g_build_filename (rdir, base, NULL);
    g_free (base);
  }
  free (rdir);
  if (recordings != NULL && path_is_under (real_path, recordings)) {
    g_printerr ("seecitv: refusing to put the keystore inside the "
        "recordings directory %s\n", recordings);
    goto out;
  }
  if (dir_holds_clips (dir)) {
    g_printerr ("seecitv: refusing to put the keystore in %s: it holds "
        "clip files (keep the keystore away from recordings)\n", dir);
    goto out;
  }
  key_path = seecitv_keystore_default_key_path (opt_keystore);
  if (g_file_test (opt_keystore, G_FILE_TEST_EXISTS)) {
    g_printerr ("seecitv: %s exists already: not overwriting it\n",
        opt_keystore);
    goto out;
  }

  if (passphrase_file != NULL) {
    SeecitvKeystoreKdfParams params = { log2_n, SEECITV_KEYSTORE_DEFAULT_R,
      SEECITV_KEYSTORE_DEFAULT_P
    };
    gsize len = 0;
    gchar *pass = seecitv_keystore_passphrase_file_load (passphrase_file,
        &len, &err);

    if (pass == NULL) {
      print_error ("cannot read the passphrase file", err);
      goto out;
    }
    ks = seecitv_keystore_create_with_passphrase (opt_keystore, pass, len,
        &params, &err);
    OPENSSL_cleanse (pass, len);
    g_free (pass);
  } else {
    guint8 key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];

    if (g_file_test (key_path, G_FILE_TEST_EXISTS)) {
      g_printerr ("seecitv: %s exists already: not overwriting it\n", key_path);
      goto out;
    }
    if (!seecitv_keystore_master_key_create (key_path, key, &err)) {
      print_error ("cannot create the master key file", err);
      goto out;
    }
    ks = seecitv_keystore_create_with_key (opt_keystore, key, &err);
    OPENSSL_cleanse (key, sizeof (key));
    if (ks == NULL)
      g_unlink (key_path);
  }
  if (ks == NULL) {
    print_error ("cannot create the keystore", err);
    goto out;
  }
  g_print ("created keystore %s\n", opt_keystore);
  if (passphrase_file == NULL)
    g_print ("created master key file %s (keep it secret, back it up apart "
        "from the recordings)\n", key_path);
  status = EXIT_OK;

out:
  g_clear_error (&err);
  g_clear_pointer (&ks, seecitv_keystore_free);
  g_free (passphrase_file);
  g_free (recordings);
  g_free (dir);
  g_free (real_path);
  g_free (key_path);
  return status;
}

/* ---- list ---- */

static void
json_string (GString * s, const gchar * str)
{
  const gchar *p;

  g_string_append_c (s, '"');
  for (p = str; *p; p++) {
    guchar c = *p;

    if (c == '"' || c == '\\')
      g_string_append_printf (s, "\\%c", c);
    else if (c < 0x20)
      g_string_append_printf (s, "\\u%04x", c);
    else
      g_string_append_c (s, c);
  }
  g_string_append_c (s, '"');
}

static int
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
        "size\tstatus\n");
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
      g_string_append_printf (out, ", \"size\": %s, \"status\": \"%s\"}",
          present ? size : "null", present ? "present" : "missing");
    } else {
      g_string_append_printf (out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id,
          c->device_id, start, end, duration, c->path, size,
          present ? "present" : "missing");
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

/* ---- verify ---- */

/* Verifies the clip file at @path and prints one line "LABEL\tRESULT".
 * Returns TRUE when it is intact. */
static gboolean
verify_one (SeecitvKeystore * ks, const gchar * label, const gchar * path)
{
  SeecitvClipReader *reader;
  GByteArray *plain;
  guint8 *buf;
  FILE *f;
  GError *err = NULL;
  SeecitvClipEnd end = SEECITV_CLIP_END_COMPLETE;
  gboolean ok = TRUE;
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
    if (ok && end == SEECITV_CLIP_END_COMPLETE)
      result = g_strdup ("intact");
    else if (ok)
      result = g_strdup_printf ("truncated at %" G_GUINT64_FORMAT " bytes",
          seecitv_clip_reader_get_bytes_verified (reader));
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
  ok = strcmp (result, "intact") == 0;
  g_print ("%s\t%s\n", label, result);
  g_free (result);
  g_clear_error (&err);
  g_free (buf);
  g_byte_array_unref (plain);
  seecitv_clip_reader_free (reader);
  return ok;
}

static int
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

/* ---- export ---- */

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

static int
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
  SeecitvKeystore *ks = NULL;
  SeecitvKeystoreClipInfo *info = NULL;
  gchar *path = NULL;
  guint8 id[SEECITV_CLIP_ID_SIZE];
  GError *err = NULL;
  Export ex = { 0 };
  GstElement *demux, *sink;
  GstBus *bus;
  guint watch, timer = 0;
  int fd;
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
  ks = open_keystore ();
  if (ks == NULL)
    goto out;
  if (!resolve_clip (ks, argv[1], id, &info, &path, &err)) {
    print_error ("export", err);
    goto out;
  }
  g_clear_pointer (&ks, seecitv_keystore_free);

  /* Create OUT here: mode 0600 (it is video in clear), never clobbering
   * unless asked; filesink then opens the file made here. */
  fd = g_open (output, O_WRONLY | O_CREAT | O_CLOEXEC |
      (force ? O_TRUNC : O_EXCL), 0600);
  if (fd < 0) {
    int e = errno;

    g_printerr ("seecitv: cannot create %s: %s\n", output, g_strerror (e));
    goto out;
  }
  close (fd);
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
  g_clear_pointer (&info, seecitv_keystore_clip_info_free);
  g_clear_pointer (&ks, seecitv_keystore_free);
  g_free (path);
  g_free (output);
  seecitv_remote_fetch_done (remote_tmp);
  return status;
}

/* ---- forget, purge ---- */

static int
cmd_forget (int argc, char **argv)
{
  gchar *device = NULL;
  GOptionEntry entries[] = {
    {"device", 0, 0, G_OPTION_ARG_STRING, &device, "The device to forget",
        "ID"},
    {NULL}
  };
  int status = EXIT_FAIL;
  GPtrArray *clips = NULL;
  GError *err = NULL;
  int attempt;
  guint i;

  if (!parse_command ("forget", entries, &argc, &argv, &status))
    goto out;
  if (argc != 1 || device == NULL) {
    status = usage_error (FALSE, "usage: seecitv forget --device ID");
    goto out;
  }
  for (attempt = 0; attempt < KEYSTORE_RETRIES; attempt++) {
    SeecitvKeystore *ks = open_keystore ();
    gboolean ok;

    if (ks == NULL)
      goto out;
    g_clear_pointer (&clips, g_ptr_array_unref);
    clips = seecitv_keystore_list_clips (ks, device);
    ok = seecitv_keystore_forget_device (ks, device, &err) &&
        seecitv_keystore_save (ks, &err);
    seecitv_keystore_free (ks);
    if (ok)
      break;
    if (!g_error_matches (err, SEECITV_KEYSTORE_ERROR,
            SEECITV_KEYSTORE_ERROR_CHANGED)) {
      print_error ("forget", err);
      goto out;
    }
    g_clear_error (&err);
  }
  if (attempt == KEYSTORE_RETRIES) {
    g_printerr ("seecitv: the keystore keeps changing: try again\n");
    goto out;
  }
  status = EXIT_OK;
  g_print ("removed device key\t%s\n", device);
  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *c = clips->pdata[i];
    gchar *id = hex_encode (c->ids.clip_id, SEECITV_CLIP_ID_SIZE);

    g_print ("removed clip key\t%s\t%s\n", id, c->path);
    g_free (id);
  }
  /* The keys are gone, so the files are unreadable already; delete them
   * too. */
  for (i = 0; i < clips->len; i++) {
    SeecitvKeystoreClipInfo *c = clips->pdata[i];

    if (g_unlink (c->path) == 0) {
      g_print ("deleted file\t%s\n", c->path);
    } else if (errno != ENOENT) {
      int e = errno;

      g_printerr ("seecitv: cannot delete %s: %s (its key is gone: it "
          "cannot be decrypted)\n", c->path, g_strerror (e));
      status = EXIT_FAIL;
    }
  }
  if (!seecitv_remote_forget_device (opt_keystore, device))
    status = EXIT_FAIL;

out:
  g_clear_error (&err);
  g_clear_pointer (&clips, g_ptr_array_unref);
  g_free (device);
  return status;
}

static gboolean
purge_one (const gchar * arg)
{
  GError *err = NULL;
  int attempt;
  gchar *path = NULL;
  gboolean ok = FALSE;

  for (attempt = 0; attempt < KEYSTORE_RETRIES; attempt++) {
    SeecitvKeystore *ks = open_keystore ();
    SeecitvKeystoreClipInfo *info = NULL;
    guint8 id[SEECITV_CLIP_ID_SIZE];

    if (ks == NULL)
      return FALSE;
    g_clear_pointer (&path, g_free);
    ok = resolve_clip (ks, arg, id, &info, &path, &err) &&
        seecitv_keystore_delete_clip_key (ks, id, &err) &&
        seecitv_keystore_save (ks, &err);
    if (ok) {
      gchar *hex = hex_encode (id, SEECITV_CLIP_ID_SIZE);

      g_print ("removed clip key\t%s\t%s\n", hex, info ? info->path : path);
      g_free (hex);
    }
    g_clear_pointer (&info, seecitv_keystore_clip_info_free);
    seecitv_keystore_free (ks);
    if (ok || !g_error_matches (err, SEECITV_KEYSTORE_ERROR,
            SEECITV_KEYSTORE_ERROR_CHANGED))
      break;
    g_clear_error (&err);
  }
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

static int
cmd_purge (int argc, char **argv)
{
  GOptionEntry entries[] = { {NULL} };
  int status = EXIT_FAIL;
  gboolean all = TRUE;
  int i;

  if (!parse_command ("purge", entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return usage_error (FALSE, "usage: seecitv purge CLIP...");
  for (i = 1; i < argc; i++)
    all &= purge_one (argv[i]);
  return all ? EXIT_OK : EXIT_FAIL;
}

/* ---- main ---- */

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    {"keystore", 'k', 0, G_OPTION_ARG_FILENAME, &opt_keystore,
        "The keystore (default: $SEECITV_KEYSTORE, else "
          "~/.local/share/seecitv/keystore)", "PATH"},
    {"passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_passphrase_file,
        "The keystore's passphrase file, for a passphrase keystore", "F"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *err = NULL;
  const gchar *cmd;
  int status;

  ctx = g_option_context_new ("COMMAND [ARGS...]");
  g_option_context_set_summary (ctx, "Keys and encrypted clips of seecitv.");
  g_option_context_set_description (ctx, description);
  g_option_context_add_main_entries (ctx, entries, NULL);
  /* Stop at the command: its options are its own. */
  g_option_context_set_strict_posix (ctx, TRUE);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    g_printerr ("seecitv: %s\n", err->message);
    g_error_free (err);
    g_option_context_free (ctx);
    return EXIT_USAGE;
  }
  g_option_context_free (ctx);
  if (argc < 2) {
    g_free (opt_keystore);
    g_free (opt_passphrase_file);
    return usage_error (TRUE, "no command given");
  }

  if (opt_keystore == NULL) {
    const gchar *env = g_getenv ("SEECITV_KEYSTORE");

    opt_keystore = (env != NULL && *env) ? g_strdup (env) :
        g_build_filename (g_get_user_data_dir (), "seecitv", "keystore", NULL);
  }

  cmd = argv[1];
  argc--;
  argv++;
  if (strcmp (cmd, "keys") == 0) {
    status = cmd_keys (argc, argv);
  } else if (strcmp (cmd, "list") == 0) {
    status = seecitv_remote_wants_list (argc, argv) ?
        seecitv_remote_cmd_list (opt_keystore, argc, argv) :
        cmd_list (argc, argv);
  } else if (strcmp (cmd, "verify") == 0) {
    status = cmd_verify (argc, argv);
  } else if (strcmp (cmd, "export") == 0) {
    gst_init (NULL, NULL);
    status = cmd_export (argc, argv);
    gst_deinit ();
  } else if (strcmp (cmd, "forget") == 0) {
    status = cmd_forget (argc, argv);
  } else if (strcmp (cmd, "purge") == 0) {
    status = cmd_purge (argc, argv);
  } else if (strcmp (cmd, "upload") == 0) {
    status = seecitv_remote_cmd_upload (opt_keystore, argc, argv);
  } else {
    g_printerr ("seecitv: unknown command '%s'\n", cmd);
    g_printerr ("Try 'seecitv --help'.\n");
    status = EXIT_USAGE;
  }
  g_free (opt_keystore);
  g_free (opt_passphrase_file);
  return status;
}
