/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `seecitv keys init`, `seecitv keys rotate` (and the rotation forget
 * and purge run afterwards) and `seecitv keys accept-restore` (the
 * generation marker written afresh). No key material is ever printed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "seecitv-cli.h"
#include "seecitv-remote.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

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
gchar *
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

gboolean
rotate_keystore (const gchar * pass, gsize len)
{
  Rotation r = { pass, len };
  GError *err = NULL;
  SeecitvKeystore *ks = open_keystore ();
  gboolean ok;

  if (ks == NULL)
    return FALSE;
  ok = seecitv_keystore_update_full (ks, NULL, rotate_commit, &r, &err);
  /* The marker is under the new key now: so must its off-site copies be,
   * or they would not authenticate (and read as a rollback). */
  if (ok)
    seecitv_remote_marker_sync (opt_keystore, ks, "keys rotate", TRUE);
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
int
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

static gboolean
set_marker (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  return seecitv_keystore_set_marker (ks, data, error);
}

/* keys accept-restore: a keystore put back from a backup on purpose is
 * accepted; its generation marker (the default one for a keystore made
 * before markers) names it from now on. */
static int
cmd_keys_accept_restore (void)
{
  SeecitvKeystore *ks = open_keystore ();
  GError *err = NULL;
  gchar *marker;
  gboolean ok;

  if (ks == NULL)
    return EXIT_FAIL;
  marker = seecitv_keystore_get_marker_path (ks) ?
      g_strdup (seecitv_keystore_get_marker_path (ks)) :
      seecitv_keystore_default_marker_path (opt_keystore);
  ok = seecitv_keystore_update (ks, set_marker, marker, &err);
  if (ok) {
    /* The off-site copies name a later keystore: they are replaced. */
    seecitv_remote_marker_sync (opt_keystore, ks, "keys accept-restore",
        TRUE);
    g_print ("accepted keystore\t%s\n", opt_keystore);
    g_printerr ("seecitv: clip keys purged and access entries written since "
        "that backup are lost for good: purge or forget again what should "
        "be gone\n");
  } else {
    print_error ("cannot accept the restore", err);
  }
  g_clear_error (&err);
  g_free (marker);
  seecitv_keystore_free (ks);
  return ok ? EXIT_OK : EXIT_FAIL;
}

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

int
cmd_keys (int argc, char **argv)
{
  gchar *passphrase_file = NULL, *recordings = NULL;
  gchar *new_passphrase_file = NULL, *marker = NULL;
  gint log2_n = SEECITV_KEYSTORE_DEFAULT_LOG2_N;
  GOptionEntry entries[] = {
    {"marker", 0, 0, G_OPTION_ARG_FILENAME, &marker,
        "init: keep the generation marker in F, outside the keystore's "
          "folder (default: under $XDG_STATE_HOME/seecitv/markers)", "F"},
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
  if (argc == 2 && strcmp (argv[1], "accept-restore") == 0) {
    if (passphrase_file != NULL || recordings != NULL || marker != NULL ||
        new_passphrase_file != NULL) {
      status = usage_error (FALSE, "usage: seecitv keys accept-restore");
      goto out;
    }
    status = cmd_keys_accept_restore ();
    goto out;
  }
  if (argc == 2 && strcmp (argv[1], "rotate") == 0) {
    if (passphrase_file != NULL || recordings != NULL || marker != NULL) {
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
        "[--passphrase-file F] [--recordings DIR] [--marker F] | keys rotate "
        "[--new-passphrase-file F] | keys accept-restore");
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
  {
    gchar *m = marker ? g_canonicalize_filename (marker, NULL) :
        seecitv_keystore_default_marker_path (real_path);
    gchar *mdir = g_path_get_dirname (m);
    gchar *rkdir = g_path_get_dirname (real_path);
    gboolean beside = path_is_under (mdir, rkdir) &&
        path_is_under (rkdir, mdir);

    if (beside)
      g_printerr ("seecitv: the generation marker must not be in the "
          "keystore's folder %s\n", rkdir);
    else if (!seecitv_keystore_set_marker (ks, m, &err) ||
        !seecitv_keystore_save (ks, &err))
      print_error ("cannot write the generation marker", err);
    else
      g_print ("created generation marker %s (keep it where whoever can "
          "write the keystore's folder cannot)\n", m);
    g_free (rkdir);
    g_free (mdir);
    g_free (m);
    if (beside || err != NULL)
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
  g_free (marker);
  g_free (recordings);
  g_free (dir);
  g_free (real_path);
  g_free (key_path);
  return status;
}
