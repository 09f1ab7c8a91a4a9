/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The `seecitv` command: keys init, keys rotate, list, verify, export,
 * sheet, audit, forget, purge, pair, unpair, devices over a keystore
 * (gst-libs/seecitv/crypto/keystore.h) and its clips (clip.h); pairing secret files
 * are read as seecitv-device reads them (gst-libs/seecitv/protocol/protocol.h). Export
 * and sheet run GStreamer pipelines through the seecitvcrypto plugin's
 * seecitvdecrypt, which writes the access log that audit prints; the
 * sheet's layout is in seecitv-sheet.c. Everything else uses the crypto
 * core directly. No key material is ever printed.
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
#include <openssl/rand.h>

#include "seecitv-remote.h"
#include <seecitv/crypto/clip.h>
#include <seecitv/crypto/keystore.h>
#include <seecitv/protocol/protocol.h>
#include "seecitv-sheet.h"

#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define READ_BLOCK (256 * 1024)

static gchar *opt_keystore = NULL;
static gchar *opt_passphrase_file = NULL;

static const gchar *description =
    "Commands:\n"
    "  keys init [--passphrase-file F] [--recordings DIR]\n"
    "                      create the keystore (0600) and, without a\n"
    "                      passphrase, its master key file KEYSTORE.key\n"
    "  keys rotate [--new-passphrase-file F]\n"
    "                      re-encrypt the keystore under a new master key\n"
    "                      and destroy the old one (a passphrase keystore\n"
    "                      takes the new passphrase from F)\n"
    "  list [--json] [--device ID]\n"
    "                      the clip index, tab-separated with a header\n"
    "  verify [CLIP...]    check clips (default: every indexed clip)\n"
    "  export CLIP -o OUT.mkv [--force]\n"
    "                      decrypt and remux into a seekable Matroska file\n"
    "  sheet CLIP -o OUT.png [--force] [--columns N] [--thumbs N] [--width W]\n"
    "                      a contact sheet: thumbnails across the clip and a\n"
    "                      strip, red where there was motion\n"
    "  audit [--json]      the access log: who exported, played or made a\n"
    "                      sheet of which clip, and when (kept 3 months)\n"
    "  forget --device ID [--no-rotate | --new-passphrase-file F]\n"
    "                      delete a device's key, pairing secret, its clips'\n"
    "                      keys and files, then rotate the master key\n"
    "                      (key-file keystores; a passphrase keystore with\n"
    "                      --new-passphrase-file)\n"
    "  purge CLIP... [--rotate | --new-passphrase-file F]\n"
    "                      delete clips: key first, then file; then rotate\n"
    "                      the master key if asked\n"
    "  pair --device ID (--secret-file F | --generate -o OUT) [--force]\n"
    "                      store the device's pairing secret, for seecitvsrc\n"
    "                      keystore=... device-id=ID: from F (64 hex digits,\n"
    "                      mode 0600, as seecitv-device --key-file), or a new\n"
    "                      random one also written to OUT (0600) for the\n"
    "                      device; --force replaces an existing secret\n"
    "  unpair --device ID  delete the device's pairing secret (its clips\n"
    "                      stay)\n"
    "  devices [--json]    the devices in the keystore: paired or not, clips\n"
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
    "can decrypt clips that were deleted or forgotten since; rotating the\n"
    "master key destroys the old key, so that older copies of the keystore\n"
    "(and its old versions in free disk blocks) open no longer.\n"
    "\n"
    "Every export, sheet and seecitvdecrypt playback is written to the\n"
    "keystore's access log; entries older than 3 months are removed at\n"
    "every write. $SEECITV_NOW (ISO 8601) replaces the log's clock, for tests.\n"
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

/* "seecitv: WHAT PATH: message" */
static void
print_file_error (const gchar * what, const gchar * path, const GError * err)
{
  gchar *s = g_strdup_printf ("%s %s", what, path);

  print_error (s, err);
  g_free (s);
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
    print_file_error ("cannot open the keystore", opt_keystore, err);
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
    if (!seecitv_clip_read_id (arg, clip_id, error))
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

/* ---- keys rotate (also after forget and purge) ---- */

/* Loads a passphrase file; prints why not. */
static gchar *
load_passphrase (const gchar * path, gsize * len)
{
  GError *err = NULL;
  gchar *pass = seecitv_keystore_passphrase_file_load (path, len, &err);

  if (pass == NULL) {
    print_file_error ("cannot read the passphrase file", path, err);
    g_clear_error (&err);
  }
  return pass;
}

/* Loads the new passphrase for a rotation of a passphrase keystore and
 * checks it is not the current one; prints why not. */
static gchar *
load_new_passphrase (const gchar * new_passphrase_file, gsize * len)
{
  gchar *pass, *old;
  gsize old_len = 0;
  gboolean same;

  if (opt_passphrase_file == NULL) {
    g_printerr ("seecitv: --new-passphrase-file rotates a passphrase "
        "keystore, which needs --passphrase-file (the current one)\n");
    return NULL;
  }
  pass = load_passphrase (new_passphrase_file, len);
  if (pass == NULL)
    return NULL;
  old = load_passphrase (opt_passphrase_file, &old_len);
  same = old != NULL && old_len == *len &&
      CRYPTO_memcmp (old, pass, *len) == 0;
  if (same)
    g_printerr ("seecitv: the new passphrase is the current one: older "
        "copies of the keystore would still open with it\n");
  if (old != NULL) {
    OPENSSL_cleanse (old, old_len);
    g_free (old);
  }
  if (old == NULL || same) {
    OPENSSL_cleanse (pass, *len);
    g_clear_pointer (&pass, g_free);
  }
  return pass;
}

/* Re-encrypts the keystore under a new master key: a random one in a new
 * key file, the old key file overwritten; or, with @pass, one derived from
 * that new passphrase. Retries when someone saved meanwhile. Every older
 * version of the keystore is then sealed under a key that exists nowhere. */
typedef struct
{
  const gchar *pass;
  gsize len;
} Rotation;

static gboolean
rotate_commit (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  Rotation *r = data;

  return r->pass ? seecitv_keystore_rotate_passphrase (ks, r->pass, r->len,
      NULL, error) : seecitv_keystore_rotate_key (ks, NULL, error);
}

static gboolean
rotate_keystore (const gchar * pass, gsize len)
{
  Rotation r = { pass, len };
  GError *err = NULL;
  SeecitvKeystore *ks = open_keystore ();
  gboolean ok;

  if (ks == NULL)
    return FALSE;
  ok = seecitv_keystore_update_full (ks, NULL, rotate_commit, &r, &err);
  seecitv_keystore_free (ks);
  if (ok && pass != NULL) {
    g_print ("rotated master key\t%s\n", opt_keystore);
    g_printerr ("seecitv: the keystore opens with the new passphrase only: "
        "update every passphrase file the elements use, and destroy the old "
        "passphrase and every copy of it\n");
  } else if (ok) {
    gchar *key_path = seecitv_keystore_default_key_path (opt_keystore);

    g_print ("rotated master key\t%s\n", key_path);
    g_printerr ("seecitv: the old master key is destroyed: back up %s "
        "again now\n", key_path);
    g_free (key_path);
  } else if (g_error_matches (err, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CHANGED)) {
    g_printerr ("seecitv: the keystore keeps changing: try again\n");
  } else {
    print_error ("cannot rotate the master key", err);
  }
  g_clear_error (&err);
  return ok;
}

/* keys rotate [--new-passphrase-file F] */
static int
cmd_keys_rotate (const gchar * new_passphrase_file)
{
  gchar *pass = NULL;
  gsize len = 0;
  gboolean ok;

  if (new_passphrase_file != NULL) {
    pass = load_new_passphrase (new_passphrase_file, &len);
    if (pass == NULL)
      return EXIT_FAIL;
  }
  ok = rotate_keystore (pass, len);
  if (pass != NULL) {
    OPENSSL_cleanse (pass, len);
    g_free (pass);
  }
  return ok ? EXIT_OK : EXIT_FAIL;
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

    if (g_file_test (p, G_FILE_TEST_IS_REGULAR) && seecitv_clip_read_id (p, id, NULL))
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
  gchar *new_passphrase_file = NULL;
  gint log2_n = SEECITV_KEYSTORE_DEFAULT_LOG2_N;
  GOptionEntry entries[] = {
    {"new-passphrase-file", 0, 0, G_OPTION_ARG_FILENAME,
          &new_passphrase_file,
        "rotate: the new passphrase of a passphrase keystore", "F"},
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
  if (argc == 2 && strcmp (argv[1], "rotate") == 0) {
    if (passphrase_file != NULL || recordings != NULL) {
      status = usage_error (FALSE, "usage: seecitv keys rotate "
          "[--new-passphrase-file F]");
      goto out;
    }
    status = cmd_keys_rotate (new_passphrase_file);
    goto out;
  }
  if (argc != 2 || strcmp (argv[1], "init") != 0 ||
      new_passphrase_file != NULL) {
    status = usage_error (FALSE, "usage: seecitv keys init "
        "[--passphrase-file F] [--recordings DIR] | keys rotate "
        "[--new-passphrase-file F]");
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
  g_free (new_passphrase_file);
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
static gchar *
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
  if (!resolve_clip (ks, arg, id, &info, &path, &err)) {
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

/* ---- sheet ---- */

static int
cmd_sheet (int argc, char **argv)
{
  gchar *output = NULL;
  gboolean force = FALSE;
  gint columns = 4, thumbs = 12, width = 240;
  GOptionEntry entries[] = {
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The PNG to write",
        "OUT"},
    {"force", 'f', 0, G_OPTION_ARG_NONE, &force,
        "Overwrite OUT if it exists", NULL},
    {"columns", 0, 0, G_OPTION_ARG_INT, &columns,
        "Thumbnails per row (1..16, default 4)", "N"},
    {"thumbs", 0, 0, G_OPTION_ARG_INT, &thumbs,
        "Thumbnails (1..64, default 12)", "N"},
    {"width", 0, 0, G_OPTION_ARG_INT, &width,
        "Thumbnail width in pixels (32..1920, even, default 240)", "W"},
    {NULL}
  };
  int status = EXIT_FAIL;
  SeecitvSheetOptions opts = { 0 };
  SeecitvSheetResult res;
  gchar *path = NULL;
  GError *err = NULL;
  gboolean created = FALSE;

  if (!parse_command ("sheet", entries, &argc, &argv, &status))
    goto out;
  if (argc != 2 || output == NULL) {
    status = usage_error (FALSE, "usage: seecitv sheet CLIP -o OUT.png");
    goto out;
  }
  if (columns < 1 || columns > 16 || thumbs < 1 || thumbs > 64 ||
      width < 32 || width > 1920 || width % 2 != 0) {
    status = usage_error (FALSE, "--columns must be 1..16, --thumbs 1..64, "
        "--width an even 32..1920");
    goto out;
  }
  path = open_clip_for_output ("sheet", argv[1], output, force);
  if (path == NULL)
    goto out;
  created = TRUE;

  opts.keystore = opt_keystore;
  opts.passphrase_file = opt_passphrase_file;
  opts.clip = path;
  opts.output = output;
  opts.columns = columns;
  opts.thumbs = thumbs;
  opts.thumb_width = width;
  if (!seecitv_sheet_make (&opts, &res, &err)) {
    print_error ("sheet failed", err);
    goto out;
  }
  if (!res.motion_available)
    g_printerr ("seecitv: warning: seecitvmotion (the seecitvopencv plugin) "
        "is missing: the motion strip is empty\n");
  g_print ("wrote %s (%ux%u, %u thumbnails over %.1f s, motion %.1f s in "
      "%u runs)\n", output, res.width, res.height, res.thumbs,
      res.duration / (double) GST_SECOND, res.motion / (double) GST_SECOND,
      res.motion_runs);
  status = EXIT_OK;

out:
  if (status != EXIT_OK && created)
    g_unlink (output);
  g_clear_error (&err);
  g_free (path);
  g_free (output);
  return status;
}

/* ---- audit ---- */

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

/* Parses the options of a command whose only option is --json and that
 * takes no argument; on anything else prints why and sets @status. */
static gboolean
parse_json_command (const gchar * name, int *argc, char ***argv,
    gboolean * json, int *status)
{
  GOptionEntry entries[] = {
    {"json", 0, 0, G_OPTION_ARG_NONE, json, "Print a JSON array", NULL},
    {NULL}
  };
  gchar *usage;

  if (!parse_command (name, entries, argc, argv, status))
    return FALSE;
  if (*argc == 1)
    return TRUE;
  usage = g_strdup_printf ("usage: seecitv %s [--json]", name);
  *status = usage_error (FALSE, usage);
  g_free (usage);
  return FALSE;
}

static int
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

/* ---- forget, purge ---- */

typedef struct
{
  const gchar *device;
  GPtrArray *clips;             /* the device's clips, as forgotten */
} ForgetChange;

static gboolean
forget_change (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  ForgetChange *f = data;

  g_clear_pointer (&f->clips, g_ptr_array_unref);
  f->clips = seecitv_keystore_list_clips (ks, f->device);
  return seecitv_keystore_forget_device (ks, f->device, error);
}

static int
cmd_forget (int argc, char **argv)
{
  gchar *device = NULL, *new_passphrase_file = NULL, *pass = NULL;
  gboolean no_rotate = FALSE, rotate;
  GOptionEntry entries[] = {
    {"device", 0, 0, G_OPTION_ARG_STRING, &device, "The device to forget",
        "ID"},
    {"no-rotate", 0, 0, G_OPTION_ARG_NONE, &no_rotate,
        "Do not rotate the master key afterwards (older copies of the "
          "keystore keep opening)", NULL},
    {"new-passphrase-file", 0, 0, G_OPTION_ARG_FILENAME,
          &new_passphrase_file,
        "A passphrase keystore: rotate to the new passphrase in F", "F"},
    {NULL}
  };
  int status = EXIT_FAIL;
  GPtrArray *clips = NULL;
  ForgetChange fc = { NULL };
  SeecitvKeystore *ks;
  GError *err = NULL;
  gsize pass_len = 0;
  gboolean ok;
  guint i;

  if (!parse_command ("forget", entries, &argc, &argv, &status))
    goto out;
  if (argc != 1 || device == NULL || (no_rotate &&
          new_passphrase_file != NULL)) {
    status = usage_error (FALSE, "usage: seecitv forget --device ID "
        "[--no-rotate | --new-passphrase-file F]");
    goto out;
  }
  /* A key-file keystore is rotated unless told not to; a passphrase one
   * needs the new passphrase. Checked before anything is deleted. */
  if (new_passphrase_file != NULL) {
    pass = load_new_passphrase (new_passphrase_file, &pass_len);
    if (pass == NULL)
      goto out;
  }
  rotate = !no_rotate && (pass != NULL || opt_passphrase_file == NULL);
  fc.device = device;
  ks = open_keystore ();
  if (ks == NULL)
    goto out;
  ok = seecitv_keystore_update (ks, forget_change, &fc, &err);
  seecitv_keystore_free (ks);
  clips = g_steal_pointer (&fc.clips);
  if (!ok && g_error_matches (err, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CHANGED)) {
    g_printerr ("seecitv: the keystore keeps changing: try again\n");
    goto out;
  } else if (!ok) {
    print_error ("forget", err);
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
  /* Older versions of the keystore (backups, blocks left on the disk by
   * the atomic replace) still hold the keys: destroy the key they open
   * with. */
  if (rotate && !rotate_keystore (pass, pass_len)) {
    g_printerr ("seecitv: the device is forgotten, but the master key was "
        "not rotated: run 'seecitv keys rotate'\n");
    status = EXIT_FAIL;
  } else if (!rotate && !no_rotate) {
    g_printerr ("seecitv: note: the master key was not rotated: older "
        "copies of the keystore still open with the passphrase and hold "
        "the device's keys (rotate with --new-passphrase-file)\n");
  }

out:
  g_clear_error (&err);
  g_clear_pointer (&clips, g_ptr_array_unref);
  g_free (device);
  g_free (new_passphrase_file);
  if (pass != NULL)
    OPENSSL_cleanse (pass, pass_len);
  g_free (pass);
  return status;
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

static int
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

/* ---- pair, unpair, devices ---- */

/* Whether @device has a pairing secret in @ks (the secret is read into a
 * buffer wiped at once: there is no other way to ask). */
static gboolean
device_is_paired (SeecitvKeystore * ks, const gchar * device)
{
  guint8 buf[SEECITV_KEYSTORE_MAX_SECRET_SIZE];
  gssize len = seecitv_keystore_get_pairing_secret (ks, device, buf,
      sizeof (buf), NULL);

  OPENSSL_cleanse (buf, sizeof (buf));
  return len > 0;
}

/* Creates @path, which must not exist, holding @secret in the key file
 * format of docs/protocol.md (64 lowercase hex digits, a newline), mode
 * 0600 whatever the umask; removes it again on failure. */
static gboolean
write_secret_file (const gchar * path, const guint8 * secret, GError ** error)
{
  gchar *hex = hex_encode (secret, SEECITV_PROTOCOL_KEY_LEN);
  gchar *text = g_strconcat (hex, "\n", NULL);
  gsize len = strlen (text), done = 0;
  int fd, e = 0;

  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
      0600);
  if (fd < 0) {
    e = errno;
  } else {
    if (fchmod (fd, 0600) != 0)
      e = errno;
    while (e == 0 && done < len) {
      ssize_t n = write (fd, text + done, len - done);

      if (n < 0 && errno != EINTR)
        e = errno;
      else if (n > 0)
        done += n;
    }
    if (e == 0 && fsync (fd) != 0)
      e = errno;
    if (close (fd) != 0 && e == 0)
      e = errno;
    if (e != 0)
      g_unlink (path);
  }
  OPENSSL_cleanse (hex, strlen (hex));
  OPENSSL_cleanse (text, len);
  g_free (hex);
  g_free (text);
  if (e != 0) {
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s",
        e == EEXIST ? "exists already: not overwriting it" : g_strerror (e));
    return FALSE;
  }
  return TRUE;
}

/* Opens the keystore and applies @edit (seecitv_keystore_update()).
 * Prints why not, after "@what: ". */
static gboolean
edit_keystore (const gchar * what, SeecitvKeystoreChangeFunc edit,
    gpointer data)
{
  GError *err = NULL;
  SeecitvKeystore *ks = open_keystore ();
  gboolean ok;

  if (ks == NULL)
    return FALSE;
  ok = seecitv_keystore_update (ks, edit, data, &err);
  seecitv_keystore_free (ks);
  if (g_error_matches (err, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CHANGED))
    g_printerr ("seecitv: the keystore keeps changing: try again\n");
  else if (err != NULL)
    print_error (what, err);
  g_clear_error (&err);
  return ok;
}

typedef struct
{
  const gchar *device;
  const guint8 *secret;         /* SEECITV_PROTOCOL_KEY_LEN bytes */
  gboolean replace;
} PairEdit;

/* Stores the secret as the device's pairing secret, adding the device
 * (its key) when the keystore does not know it yet; an existing secret is
 * replaced only when asked. */
static gboolean
pair_edit (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  PairEdit *p = data;

  if (!p->replace && device_is_paired (ks, p->device)) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_EXISTS,
        "device %s is paired already (--force replaces its secret)",
        p->device);
    return FALSE;
  }
  return (seecitv_keystore_has_device (ks, p->device) ||
      seecitv_keystore_add_device (ks, p->device, error)) &&
      seecitv_keystore_set_pairing_secret (ks, p->device, p->secret,
      SEECITV_PROTOCOL_KEY_LEN, error);
}

static gboolean
unpair_edit (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  const gchar *device = data;

  if (!device_is_paired (ks, device)) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_NOT_FOUND, "device %s is not paired", device);
    return FALSE;
  }
  return seecitv_keystore_set_pairing_secret (ks, device, NULL, 0, error);
}

static int
cmd_pair (int argc, char **argv)
{
  gchar *device = NULL, *secret_file = NULL, *output = NULL;
  gboolean generate = FALSE, force = FALSE;
  GOptionEntry entries[] = {
    {"device", 0, 0, G_OPTION_ARG_STRING, &device, "The device to pair",
        "ID"},
    {"secret-file", 0, 0, G_OPTION_ARG_FILENAME, &secret_file,
        "The pairing secret: 64 hex digits, mode 0600 (as seecitv-device "
          "--key-file)", "F"},
    {"generate", 0, 0, G_OPTION_ARG_NONE, &generate,
        "Make a new random secret and write it to OUT for the device", NULL},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
        "With --generate: the key file to create (0600, never overwritten)",
        "OUT"},
    {"force", 'f', 0, G_OPTION_ARG_NONE, &force,
        "Replace the device's pairing secret if it has one", NULL},
    {NULL}
  };
  guint8 secret[SEECITV_PROTOCOL_KEY_LEN];
  PairEdit edit;
  int status = EXIT_FAIL;
  GError *err = NULL;

  if (!parse_command ("pair", entries, &argc, &argv, &status))
    goto out;
  if (argc != 1 || device == NULL || (secret_file != NULL) == generate ||
      (output != NULL) != generate) {
    status = usage_error (FALSE, "usage: seecitv pair --device ID "
        "(--secret-file F | --generate -o OUT) [--force]");
    goto out;
  }
  if (!seecitv_keystore_device_id_is_valid (device)) {
    status = usage_error (FALSE, "a device id is 1 to 64 of "
        "[A-Za-z0-9._-]");
    goto out;
  }
  if (secret_file != NULL) {
    if (!seecitv_protocol_load_key_file (secret_file, secret, &err)) {
      print_file_error ("cannot use the secret file", secret_file, err);
      goto out;
    }
  } else if (RAND_bytes (secret, sizeof (secret)) != 1) {
    g_printerr ("seecitv: cannot make a random secret (OpenSSL)\n");
    goto out;
  } else if (!write_secret_file (output, secret, &err)) {
    print_file_error ("cannot create", output, err);
    goto out;
  }
  edit.device = device;
  edit.secret = secret;
  edit.replace = force;
  if (!edit_keystore ("cannot pair", pair_edit, &edit)) {
    if (output != NULL)
      g_unlink (output);
    goto out;
  }
  if (output != NULL) {
    g_print ("wrote pairing secret\t%s\n", output);
    g_printerr ("seecitv: give %s to the device (seecitv-device --key-file) "
        "over a channel you trust; the keystore holds the secret, so delete "
        "%s here once the device has it\n", output, output);
  }
  g_print ("paired device\t%s\n", device);
  status = EXIT_OK;

out:
  OPENSSL_cleanse (secret, sizeof (secret));
  g_clear_error (&err);
  g_free (device);
  g_free (secret_file);
  g_free (output);
  return status;
}

static int
cmd_unpair (int argc, char **argv)
{
  gchar *device = NULL;
  GOptionEntry entries[] = {
    {"device", 0, 0, G_OPTION_ARG_STRING, &device,
        "The device whose pairing secret to delete", "ID"},
    {NULL}
  };
  int status = EXIT_FAIL;

  if (!parse_command ("unpair", entries, &argc, &argv, &status))
    goto out;
  if (argc != 1 || device == NULL) {
    status = usage_error (FALSE, "usage: seecitv unpair --device ID");
    goto out;
  }
  if (edit_keystore ("cannot unpair", unpair_edit, device)) {
    g_print ("unpaired device\t%s\n", device);
    status = EXIT_OK;
  }

out:
  g_free (device);
  return status;
}

static int
cmd_devices (int argc, char **argv)
{
  gboolean json = FALSE;
  int status = EXIT_FAIL;
  SeecitvKeystore *ks;
  gchar **ids;
  GString *out;
  guint i;

  if (!parse_json_command ("devices", &argc, &argv, &json, &status))
    return status;
  ks = open_keystore ();
  if (ks == NULL)
    return EXIT_FAIL;
  ids = seecitv_keystore_list_devices (ks);
  out = g_string_new (json ? "[" : "device\tpaired\tclips\n");
  for (i = 0; ids[i] != NULL; i++) {
    GPtrArray *clips = seecitv_keystore_list_clips (ks, ids[i]);
    gboolean paired = device_is_paired (ks, ids[i]);

    if (json) {
      g_string_append (out, i ? ",\n " : "\n ");
      g_string_append (out, "{\"device\": ");
      json_string (out, ids[i]);
      g_string_append_printf (out, ", \"paired\": %s, \"clips\": %u}",
          paired ? "true" : "false", clips->len);
    } else {
      g_string_append_printf (out, "%s\t%s\t%u\n", ids[i],
          paired ? "yes" : "no", clips->len);
    }
    g_ptr_array_unref (clips);
  }
  if (json)
    g_string_append (out, i ? "\n]\n" : "]\n");
  fputs (out->str, stdout);
  g_string_free (out, TRUE);
  g_strfreev (ids);
  seecitv_keystore_free (ks);
  return EXIT_OK;
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
  } else if (strcmp (cmd, "sheet") == 0) {
    gst_init (NULL, NULL);
    status = cmd_sheet (argc, argv);
    gst_deinit ();
  } else if (strcmp (cmd, "audit") == 0) {
    status = cmd_audit (argc, argv);
  } else if (strcmp (cmd, "forget") == 0) {
    status = cmd_forget (argc, argv);
  } else if (strcmp (cmd, "purge") == 0) {
    status = cmd_purge (argc, argv);
  } else if (strcmp (cmd, "pair") == 0) {
    status = cmd_pair (argc, argv);
  } else if (strcmp (cmd, "unpair") == 0) {
    status = cmd_unpair (argc, argv);
  } else if (strcmp (cmd, "devices") == 0) {
    status = cmd_devices (argc, argv);
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
