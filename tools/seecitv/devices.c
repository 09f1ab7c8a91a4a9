/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * `seecitv forget`, `pair`, `unpair` and `devices`: device keys and
 * pairing secrets. Pairing secret files are read as seecitv-device reads
 * them (gst-libs/seecitv/protocol/protocol.h). No secret is ever printed.
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
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <seecitv/protocol/protocol.h>
#include "seecitv-remote.h"

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

int
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

int
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

int
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

int
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
