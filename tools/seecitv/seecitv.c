/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The `seecitv` command: keys init, keys rotate, keys accept-restore,
 * list, verify, export, sheet, audit, forget, purge, pair, unpair,
 * devices, upload over a keystore (gst-libs/seecitv/crypto/keystore.h) and its clips. This file
 * holds main (), the help text and the helpers every command group shares;
 * the groups are keys.c, clips.c, devices.c, sheet.c and remote.c
 * (seecitv-cli.h). No key material is ever printed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitv-cli.h"
#include "seecitv-remote.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gst/gst.h>

gchar *opt_keystore = NULL;
gchar *opt_passphrase_file = NULL;

static const gchar *description =
    "Commands:\n"
    "  keys init [--passphrase-file F] [--recordings DIR] [--marker F]\n"
    "                      create the keystore (0600) and, without a\n"
    "                      passphrase, its master key file KEYSTORE.key,\n"
    "                      and its generation marker outside its folder\n"
    "  keys rotate [--new-passphrase-file F]\n"
    "                      re-encrypt the keystore under a new master key\n"
    "                      and destroy the old one (a passphrase keystore\n"
    "                      takes the new passphrase from F)\n"
    "  keys accept-restore accept a keystore put back from a backup on\n"
    "                      purpose (else export, sheet and playback refuse\n"
    "                      it: reason rollback)\n"
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
    "every write, and no entry is dated before the newest one.\n"
    "\n"
    "Clip states, in list and verify: recording (still being written),\n"
    "complete (sealed), truncated (its writer ended without sealing it: a\n"
    "crash, a failed write; it decrypts up to its last sync).\n"
    "\n"
    "Exit status: 0 success (verify: every clip complete or recording),\n"
    "1 failure (verify: a clip is missing, truncated, tampered or has no\n"
    "key), 2 usage error.\n";

/* ---- helpers ---- */

void
print_error (const gchar * what, const GError * err)
{
  g_printerr ("seecitv: %s%s%s\n", what, err ? ": " : "",
      err ? err->message : "");
}

/* "seecitv: WHAT PATH: message" */
void
print_file_error (const gchar * what, const gchar * path, const GError * err)
{
  gchar *s = g_strdup_printf ("%s %s", what, path);

  print_error (s, err);
  g_free (s);
}

int
usage_error (gboolean hint, const gchar * msg)
{
  g_printerr ("seecitv: %s\n", msg);
  if (hint)
    g_printerr ("Try 'seecitv --help'.\n");
  return EXIT_USAGE;
}

/* Parses a command's own options; argv[0] is the command name. */
gboolean
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
gchar *
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
SeecitvKeystore *
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
gchar *
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
gboolean
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

void
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

/* Parses the options of a command whose only option is --json and that
 * takes no argument; on anything else prints why and sets @status. */
gboolean
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
