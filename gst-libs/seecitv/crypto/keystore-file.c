/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The keystore's file: reading, atomic saving under a lock, master key
 * files and their rotation, creating and opening, opening by convention
 * (the elements' keystore / passphrase-file), reloading, and
 * seecitv_keystore_update (), the one way writers change a keystore that
 * others save too. The storage stays behind these calls.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "keystore.h"
#include "keystore-internal.h"
#include "keystore-private.h"
#include "cryptoutil.h"

#include <seecitv/deviceid.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

static gboolean fail_before_rename = FALSE;
static gboolean fail_before_key_commit = FALSE;
static gboolean fail_before_marker_commit = FALSE;

void
seecitv_keystore_set_fail_before_marker_commit (gboolean fail)
{
  fail_before_marker_commit = fail;
}

void
seecitv_keystore_set_fail_before_rename (gboolean fail)
{
  fail_before_rename = fail;
}

void
seecitv_keystore_set_fail_before_key_commit (gboolean fail)
{
  fail_before_key_commit = fail;
}

/* ------------------------------------------------------------------------
 * Files
 * ------------------------------------------------------------------------ */

static void
set_io_error (GError ** error, int err, const gchar * what, const gchar * path)
{
  gchar *display = g_filename_display_name (path);

  g_set_error (error, SEECITV_KEYSTORE_ERROR,
      err == EEXIST ? SEECITV_KEYSTORE_ERROR_EXISTS :
      err == ENOENT ? SEECITV_KEYSTORE_ERROR_NOT_FOUND :
      SEECITV_KEYSTORE_ERROR_IO, "%s %s: %s", what, display, g_strerror (err));
  g_free (display);
}

static gboolean
write_all (int fd, const guint8 * data, gsize len)
{
  while (len > 0) {
    ssize_t n = write (fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return FALSE;
    }
    data += n;
    len -= n;
  }
  return TRUE;
}

/* Reads a whole regular file of at most @max bytes. */
guint8 *
seecitv_ks_read_file (const gchar * path, gsize max, gsize * len, GError ** error)
{
  struct stat st;
  guint8 *buf;
  gsize got = 0;
  int fd;

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0) {
    set_io_error (error, errno, "Cannot open", path);
    return NULL;
  }
  if (fstat (fd, &st) != 0) {
    set_io_error (error, errno, "Cannot stat", path);
    close (fd);
    return NULL;
  }
  if (!S_ISREG (st.st_mode) || (guint64) st.st_size > max) {
    set_io_error (error, S_ISREG (st.st_mode) ? EFBIG : EINVAL,
        "Cannot read", path);
    close (fd);
    return NULL;
  }
  buf = g_malloc (MAX (st.st_size, 1));
  while (got < (gsize) st.st_size) {
    ssize_t n = read (fd, buf + got, st.st_size - got);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      set_io_error (error, n < 0 ? errno : EIO, "Cannot read", path);
      g_free (buf);
      close (fd);
      return NULL;
    }
    got += n;
  }
  close (fd);
  *len = got;
  return buf;
}

static int
open_parent_dir (const gchar * path, GError ** error)
{
  gchar *dir = g_path_get_dirname (path);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (fd < 0)
    set_io_error (error, errno, "Cannot open directory", dir);
  g_free (dir);
  return fd;
}

/* Nonce of the file now on disk, to detect saves by someone else. */
static gboolean
read_disk_nonce (const gchar * path, guint8 * nonce)
{
  guint8 head[ENVELOPE_HEADER_SIZE];
  gsize got = 0;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);

  if (fd < 0)
    return FALSE;
  while (got < sizeof (head)) {
    ssize_t n = read (fd, head + got, sizeof (head) - got);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += n;
  }
  close (fd);
  if (got < sizeof (head))
    return FALSE;
  memcpy (nonce, head + OFF_NONCE, NONCE_SIZE);
  return TRUE;
}

/* A new file key for the next save (seecitv_keystore_rotate_key(),
 * seecitv_keystore_rotate_passphrase()). */
typedef struct
{
  const gchar *key_path;        /* key-file keystores: the file to replace */
  guint8 protection;
  guint8 salt[SALT_SIZE];
  SeecitvKeystoreKdfParams kdf;
  guint8 file_key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
} Rekey;

static gboolean
fsync_parent_dir (const gchar * path, GError ** error)
{
  int fd = open_parent_dir (path, error);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = fsync (fd) == 0;
  if (!ok)
    set_io_error (error, errno, "Cannot sync the directory of", path);
  close (fd);
  return ok;
}

/* Overwrites a regular file's bytes in place with random bytes, synced: what
 * it held is gone from that file's blocks (on a file system that rewrites
 * in place). */
static gboolean
wipe_file (const gchar * path, GError ** error)
{
  guint8 junk[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  struct stat st;
  gsize done = 0;
  int fd = g_open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  gboolean ok = FALSE;

  if (fd < 0) {
    set_io_error (error, errno, "Cannot open", path);
    return FALSE;
  }
  if (fstat (fd, &st) != 0) {
    set_io_error (error, errno, "Cannot stat", path);
    goto out;
  }
  if (!S_ISREG (st.st_mode)) {
    set_io_error (error, EINVAL, "Cannot overwrite", path);
    goto out;
  }
  while (done < (gsize) st.st_size) {
    gsize n = MIN (sizeof (junk), (gsize) st.st_size - done);

    if (!seecitv_crypto_random (junk, n, SEECITV_KEYSTORE_ERROR,
            SEECITV_KEYSTORE_ERROR_CRYPTO, error))
      goto out;
    if (!write_all (fd, junk, n)) {
      set_io_error (error, errno, "Cannot overwrite", path);
      goto out;
    }
    done += n;
  }
  if (fsync (fd) != 0) {
    set_io_error (error, errno, "Cannot overwrite", path);
    goto out;
  }
  ok = TRUE;

out:
  close (fd);
  return ok;
}

static gchar *
pending_key_path (const gchar * key_path)
{
  return g_strconcat (key_path, SEECITV_KEYSTORE_PENDING_KEY_SUFFIX, NULL);
}

/* Overwrites the key file in place, then renames @pending over it. */
static gboolean
replace_key_file (const gchar * key_path, const gchar * pending,
    GError ** error)
{
  if (g_file_test (key_path, G_FILE_TEST_IS_REGULAR) &&
      !wipe_file (key_path, error))
    return FALSE;
  if (g_rename (pending, key_path) != 0) {
    set_io_error (error, errno, "Cannot rename", pending);
    return FALSE;
  }
  return fsync_parent_dir (key_path, error);
}

/* Before a key file rotation, with the directory locked: makes @key_path
 * hold @cur (the keystore's key now), finishing a rotation that stopped
 * after replacing the keystore (its key is then in the pending file), or
 * removing a pending file left by one that stopped before; then writes the
 * new key @next to the pending file. */
static gboolean
key_file_prepare (const gchar * key_path, const guint8 * cur,
    const guint8 * next, GError ** error)
{
  guint8 k[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  gchar *pending = pending_key_path (key_path);
  gboolean have_pending = g_file_test (pending, G_FILE_TEST_EXISTS);
  gboolean ok = FALSE;
  int fd;

  if (seecitv_keystore_master_key_load (key_path, k, NULL) &&
      CRYPTO_memcmp (k, cur, sizeof (k)) == 0) {
    if (have_pending && (!wipe_file (pending, error) ||
            g_unlink (pending) != 0))
      goto out;
  } else if (have_pending && seecitv_keystore_master_key_load (pending, k,
          NULL) && CRYPTO_memcmp (k, cur, sizeof (k)) == 0) {
    if (!replace_key_file (key_path, pending, error))
      goto out;
  } else {
    gchar *display = g_filename_display_name (key_path);

    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_KEY_MISMATCH,
        "%s does not hold this keystore's master key", display);
    g_free (display);
    goto out;
  }

  fd = g_open (pending, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
      0600);
  if (fd < 0) {
    set_io_error (error, errno, "Cannot create", pending);
    goto out;
  }
  if (fchmod (fd, 0600) != 0 || !write_all (fd, next,
          SEECITV_KEYSTORE_MASTER_KEY_SIZE) || fsync (fd) != 0) {
    set_io_error (error, errno, "Cannot write", pending);
    close (fd);
    g_unlink (pending);
    goto out;
  }
  close (fd);
  ok = fsync_parent_dir (pending, error);
  if (!ok)
    g_unlink (pending);

out:
  OPENSSL_cleanse (k, sizeof (k));
  g_free (pending);
  return ok;
}

/* After the keystore was replaced under the pending key: overwrites the
 * old key file in place, then renames the pending file over it. */
static gboolean
key_file_commit (const gchar * key_path, GError ** error)
{
  gchar *pending = pending_key_path (key_path);
  gboolean ok = replace_key_file (key_path, pending, error);

  if (!ok) {
    gchar *display = g_filename_display_name (pending);

    g_prefix_error (error, "the keystore is saved under its new master key, "
        "which is in %s (found there when the keystore is opened): ",
        display);
    g_free (display);
  }
  g_free (pending);
  return ok;
}

/* Swaps @ks's file key and protection with @r's. */
static void
swap_protection (SeecitvKeystore * ks, Rekey * r)
{
  Rekey t;

  t.protection = ks->protection;
  memcpy (t.salt, ks->salt, SALT_SIZE);
  t.kdf = ks->kdf;
  memcpy (t.file_key, ks->file_key, sizeof (t.file_key));
  ks->protection = r->protection;
  memcpy (ks->salt, r->salt, SALT_SIZE);
  ks->kdf = r->kdf;
  memcpy (ks->file_key, r->file_key, sizeof (t.file_key));
  r->protection = t.protection;
  memcpy (r->salt, t.salt, SALT_SIZE);
  r->kdf = t.kdf;
  memcpy (r->file_key, t.file_key, sizeof (t.file_key));
  OPENSSL_cleanse (&t, sizeof (t));
}

/* Temporary file beside @path, fsync, then rename (or, for a new keystore,
 * link: it fails if @path exists), then fsync the directory. Saves are
 * serialised by an flock on the directory, which a reader of a key file
 * and its keystore holds shared (seecitv_ks_open_with_key_file()). With @rekey, the file is
 * written under @rekey's key; a key file is replaced in the same lock:
 * the new key goes to KEY.new first, the keystore is replaced, the old
 * key file is overwritten and KEY.new renamed over it.
 *
 * With a generation marker (keystore-marker.c), the order is: the pending
 * marker MARKER.new naming the new file's nonce is written and synced,
 * then the keystore is replaced and its directory synced, then MARKER.new
 * is renamed over MARKER. A crash before the keystore's rename leaves
 * MARKER naming the keystore on disk (MARKER.new names a file that never
 * took its place); a crash after it leaves MARKER.new naming it; either
 * is accepted as no rollback, and the next save first commits a pending
 * marker that matches. A keystore that matches neither (rolled back) is
 * still saved, so that recording goes on, but its marker is left alone:
 * the rollback stays visible until `keys accept-restore`. */
static gboolean
keystore_write_file (SeecitvKeystore * ks, gboolean create, Rekey * rekey,
    GError ** error)
{
  gchar *dir = NULL, *base = NULL, *tmp = NULL;
  guint8 *data = NULL;
  guint8 disk_nonce[NONCE_SIZE];
  gsize len;
  int dirfd, fd = -1;
  gboolean ok = FALSE, swapped = FALSE, marker = FALSE;
  guint64 generation = 0;

  dirfd = open_parent_dir (ks->path, error);
  if (dirfd < 0)
    return FALSE;
  if (flock (dirfd, LOCK_EX) != 0) {
    set_io_error (error, errno, "Cannot lock the directory of", ks->path);
    goto out;
  }
  if (!create && (!read_disk_nonce (ks->path, disk_nonce) ||
          memcmp (disk_nonce, ks->nonce, NONCE_SIZE) != 0)) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_CHANGED,
        "the keystore was changed or removed by someone else since it was "
        "opened: open it again and redo the change");
    goto out;
  }
  if (ks->marker_path != NULL) {
    SeecitvKsMarkerState state = create ? SEECITV_KS_MARKER_MISMATCH :
        seecitv_ks_marker_state (ks, &generation);

    if (state == SEECITV_KS_MARKER_MATCH_PENDING &&
        !seecitv_ks_marker_commit (ks, error))
      goto out;
    marker = ks->marker_accept || state != SEECITV_KS_MARKER_MISMATCH;
    /* A new epoch: no copy older than this save counts up to it. */
    if (ks->marker_new_epoch)
      generation = ((generation >> 32) + 1) << 32;
    else
      generation++;
  }
  if (rekey != NULL) {
    if (rekey->key_path != NULL && !key_file_prepare (rekey->key_path,
            ks->file_key, rekey->file_key, error))
      goto out;
    swap_protection (ks, rekey);
    swapped = TRUE;
  }

  data = seecitv_keystore_serialize (ks, &len, error);
  if (data == NULL)
    goto out;

  dir = g_path_get_dirname (ks->path);
  base = g_path_get_basename (ks->path);
  tmp = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) {
    set_io_error (error, errno, "Cannot create a temporary file beside",
        ks->path);
    g_clear_pointer (&tmp, g_free);
    goto out;
  }
  /* Whatever the umask. */
  if (fchmod (fd, 0600) != 0 || !write_all (fd, data, len) || fsync (fd) != 0) {
    set_io_error (error, errno, "Cannot write", tmp);
    goto out;
  }
  if (close (fd) != 0) {
    fd = -1;
    set_io_error (error, errno, "Cannot write", tmp);
    goto out;
  }
  fd = -1;
  /* Under the new key, in a rotation: swapped already. */
  if (marker && !seecitv_ks_marker_write_pending (ks, generation,
          data + OFF_NONCE, error))
    goto out;
  if (fail_before_rename) {
    set_io_error (error, EIO, "Cannot rename (test failure)", tmp);
    goto out;
  }
  if (create) {
    if (link (tmp, ks->path) != 0) {
      set_io_error (error, errno, "Cannot create", ks->path);
      goto out;
    }
    g_unlink (tmp);
  } else if (g_rename (tmp, ks->path) != 0) {
    set_io_error (error, errno, "Cannot replace", ks->path);
    goto out;
  }
  g_clear_pointer (&tmp, g_free);
  /* Replaced: the new key is the keystore's now, whatever follows. */
  memcpy (ks->nonce, data + OFF_NONCE, NONCE_SIZE);
  swapped = FALSE;
  ok = fsync (dirfd) == 0;
  if (!ok)
    set_io_error (error, errno, "Cannot sync the directory of", ks->path);
  if (marker) {
    ks->marker_accept = FALSE;
    ks->marker_new_epoch = FALSE;
    /* Not committing is no loss: MARKER.new names the keystore now on
     * disk, and the next save commits it. */
    if (ok && !fail_before_marker_commit)
      seecitv_ks_marker_commit (ks, NULL);
  }
  if (rekey != NULL && rekey->key_path != NULL) {
    if (fail_before_key_commit) {
      /* As a crash here would leave it. */
      if (ok)
        set_io_error (error, EIO, "Cannot rename (test failure)",
            rekey->key_path);
      ok = FALSE;
    } else {
      ok = key_file_commit (rekey->key_path, ok ? error : NULL) && ok;
    }
  }

out:
  if (swapped) {
    /* Not replaced: back to the old key, and no pending key file. */
    swap_protection (ks, rekey);
    if (rekey->key_path != NULL) {
      gchar *pending = pending_key_path (rekey->key_path);

      g_unlink (pending);
      g_free (pending);
    }
  }
  if (fd >= 0)
    close (fd);
  if (tmp != NULL)
    g_unlink (tmp);
  g_free (tmp);
  g_free (dir);
  g_free (base);
  g_free (data);
  close (dirfd);                /* also releases the flock */
  return ok;
}

/**
 * seecitv_keystore_save:
 *
 * Writes the keystore atomically (mode 0600). Fails with
 * %SEECITV_KEYSTORE_ERROR_CHANGED, writing nothing, when the file on disk
 * is no longer the one this keystore was read from or last saved as.
 */
gboolean
seecitv_keystore_save (SeecitvKeystore * ks, GError ** error)
{
  g_return_val_if_fail (ks != NULL, FALSE);

  if (ks->path == NULL) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID, "this keystore has no file");
    return FALSE;
  }
  return keystore_write_file (ks, FALSE, NULL, error);
}

/* Whether @ks can be saved under a new key of @protection. */
static gboolean
check_rotatable (SeecitvKeystore * ks, guint8 protection, GError ** error)
{
  if (ks->path == NULL) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID, "this keystore has no file");
    return FALSE;
  }
  if (ks->protection != protection) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_PROTECTION,
        ks->protection == PROTECTION_SCRYPT ?
        "this keystore is protected by a passphrase: rotate it with a new "
        "passphrase" :
        "this keystore is protected by a master key file, not a passphrase");
    return FALSE;
  }
  return TRUE;
}

/**
 * seecitv_keystore_rotate_key:
 * @key_path: (nullable): the keystore's master key file, %NULL for
 *   seecitv_keystore_default_key_path()
 *
 * Saves a key-file keystore under a new random master key and replaces
 * the master key file, all under the keystore's save lock, so that a
 * process opening the keystore meanwhile (seecitv_keystore_open_default())
 * sees the old pair or the new one: the new key goes to `KEY.new`
 * (%SEECITV_KEYSTORE_PENDING_KEY_SUFFIX), the keystore is replaced, then
 * the old key file is overwritten in place and `KEY.new` renamed over it.
 * After a crash in between, opening falls back to `KEY.new`, and the next
 * rotation finishes the job. Every earlier version of the keystore file
 * (a copy, or blocks left on the disk) was sealed under the old key, which
 * no longer exists: it cannot be read.
 *
 * Like seecitv_keystore_save(), fails with
 * %SEECITV_KEYSTORE_ERROR_CHANGED when someone saved since; then nothing
 * changed. The caller must have the master key file at @key_path hold the
 * key @ks was opened with (%SEECITV_KEYSTORE_ERROR_KEY_MISMATCH if not).
 */
gboolean
seecitv_keystore_rotate_key (SeecitvKeystore * ks, const gchar * key_path,
    GError ** error)
{
  Rekey r = { 0 };
  gchar *kp;
  gboolean ok;

  g_return_val_if_fail (ks != NULL, FALSE);

  if (!check_rotatable (ks, PROTECTION_KEY_FILE, error))
    return FALSE;
  kp = key_path ? g_strdup (key_path) :
      seecitv_keystore_default_key_path (ks->path);
  r.key_path = kp;
  r.protection = PROTECTION_KEY_FILE;
  ok = seecitv_crypto_random (r.file_key, sizeof (r.file_key),
      SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_CRYPTO, error) &&
      keystore_write_file (ks, FALSE, &r, error);
  OPENSSL_cleanse (&r, sizeof (r));
  g_free (kp);
  return ok;
}

/**
 * seecitv_keystore_rotate_passphrase:
 * @params: (nullable): scrypt cost, %NULL to keep the keystore's
 *
 * Saves a passphrase keystore under a key derived from @passphrase with a
 * new random salt (the scrypt runs before the save lock is taken). The old
 * passphrase opens only earlier versions of the file from then on. Fails
 * like seecitv_keystore_save().
 */
gboolean
seecitv_keystore_rotate_passphrase (SeecitvKeystore * ks,
    const gchar * passphrase, gsize passphrase_len,
    const SeecitvKeystoreKdfParams * params, GError ** error)
{
  Rekey r = { 0 };
  gboolean ok;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (passphrase != NULL, FALSE);

  if (!check_rotatable (ks, PROTECTION_SCRYPT, error))
    return FALSE;
  if (passphrase_len == 0) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID, "the passphrase is empty");
    return FALSE;
  }
  r.kdf = params ? *params : ks->kdf;
  if (!seecitv_ks_check_kdf_params (&r.kdf, SEECITV_KEYSTORE_ERROR_INVALID, error))
    return FALSE;
  r.protection = PROTECTION_SCRYPT;
  ok = seecitv_crypto_random (r.salt, SALT_SIZE, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_CRYPTO, error) &&
      seecitv_ks_derive_key (passphrase, passphrase_len, r.salt, &r.kdf, r.file_key,
      error) && keystore_write_file (ks, FALSE, &r, error);
  OPENSSL_cleanse (&r, sizeof (r));
  return ok;
}

static SeecitvKeystore *
keystore_create (const gchar * path, SeecitvKeystore * ks, GError ** error)
{
  ks->path = g_strdup (path);
  if (!keystore_write_file (ks, TRUE, NULL, error)) {
    seecitv_keystore_free (ks);
    return NULL;
  }
  return ks;
}

/**
 * seecitv_keystore_create_with_key:
 *
 * Creates an empty keystore at @path (which must not exist), protected by
 * @master_key (SEECITV_KEYSTORE_MASTER_KEY_SIZE bytes, copied).
 *
 * Returns: (transfer full): the keystore, or %NULL
 */
SeecitvKeystore *
seecitv_keystore_create_with_key (const gchar * path,
    const guint8 * master_key, GError ** error)
{
  SeecitvKeystore *ks;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (master_key != NULL, NULL);

  ks = seecitv_ks_keystore_new ();
  ks->protection = PROTECTION_KEY_FILE;
  memcpy (ks->file_key, master_key, SEECITV_KEYSTORE_MASTER_KEY_SIZE);
  return keystore_create (path, ks, error);
}

/**
 * seecitv_keystore_create_with_passphrase:
 * @params: (nullable): scrypt cost, %NULL for the defaults
 *
 * Like seecitv_keystore_create_with_key(), the master key derived from
 * @passphrase with scrypt and a random salt.
 */
SeecitvKeystore *
seecitv_keystore_create_with_passphrase (const gchar * path,
    const gchar * passphrase, gsize passphrase_len,
    const SeecitvKeystoreKdfParams * params, GError ** error)
{
  SeecitvKeystoreKdfParams defaults = { SEECITV_KEYSTORE_DEFAULT_LOG2_N,
    SEECITV_KEYSTORE_DEFAULT_R, SEECITV_KEYSTORE_DEFAULT_P
  };
  SeecitvKeystore *ks;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (passphrase != NULL, NULL);

  if (passphrase_len == 0) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID, "the passphrase is empty");
    return NULL;
  }
  if (params == NULL)
    params = &defaults;
  if (!seecitv_ks_check_kdf_params (params, SEECITV_KEYSTORE_ERROR_INVALID, error))
    return NULL;

  ks = seecitv_ks_keystore_new ();
  ks->protection = PROTECTION_SCRYPT;
  ks->kdf = *params;
  if (!seecitv_crypto_random (ks->salt, SALT_SIZE, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CRYPTO, error) ||
      !seecitv_ks_derive_key (passphrase, passphrase_len, ks->salt, &ks->kdf,
          ks->file_key, error)) {
    seecitv_keystore_free (ks);
    return NULL;
  }
  return keystore_create (path, ks, error);
}

static SeecitvKeystore *
keystore_open (const gchar * path, const guint8 * master_key,
    const gchar * passphrase, gsize passphrase_len, GError ** error)
{
  SeecitvKeystore *ks;
  guint8 *data;
  gsize len;

  data = seecitv_ks_read_file (path, ENVELOPE_HEADER_SIZE + MAX_PAYLOAD + TAG_SIZE,
      &len, error);
  if (data == NULL)
    return NULL;
  ks = seecitv_ks_keystore_parse (data, len, master_key, passphrase, passphrase_len,
      error);
  g_free (data);
  if (ks != NULL)
    ks->path = g_strdup (path);
  return ks;
}

SeecitvKeystore *
seecitv_keystore_open_with_key (const gchar * path,
    const guint8 * master_key, GError ** error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (master_key != NULL, NULL);

  return keystore_open (path, master_key, NULL, 0, error);
}

SeecitvKeystore *
seecitv_keystore_open_with_passphrase (const gchar * path,
    const gchar * passphrase, gsize passphrase_len, GError ** error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (passphrase != NULL, NULL);

  return keystore_open (path, NULL, passphrase, passphrase_len, error);
}

/**
 * seecitv_keystore_master_key_create:
 * @key: (out) (optional): receives the new key
 *
 * Creates @path (which must not exist) holding 32 random bytes, mode 0600,
 * synced with its directory.
 */
gboolean
seecitv_keystore_master_key_create (const gchar * path, guint8 * key,
    GError ** error)
{
  guint8 k[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  int fd, dirfd;
  gboolean ok = FALSE;

  g_return_val_if_fail (path != NULL, FALSE);

  if (!seecitv_crypto_random (k, sizeof (k), SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CRYPTO, error))
    return FALSE;
  dirfd = open_parent_dir (path, error);
  if (dirfd < 0)
    goto out;
  fd = g_open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
      0600);
  if (fd < 0) {
    set_io_error (error, errno, "Cannot create", path);
    close (dirfd);
    goto out;
  }
  if (fchmod (fd, 0600) != 0 || !write_all (fd, k, sizeof (k)) ||
      fsync (fd) != 0 || close (fd) != 0) {
    set_io_error (error, errno, "Cannot write", path);
    g_unlink (path);
  } else if (fsync (dirfd) != 0) {
    set_io_error (error, errno, "Cannot sync the directory of", path);
  } else {
    ok = TRUE;
    if (key != NULL)
      memcpy (key, k, sizeof (k));
  }
  close (dirfd);

out:
  OPENSSL_cleanse (k, sizeof (k));
  return ok;
}

/**
 * seecitv_keystore_master_key_load:
 *
 * Reads a master key file. Refuses one that group or others may access
 * (%SEECITV_KEYSTORE_ERROR_PERMISSIONS), or that is not exactly 32 bytes.
 */
gboolean
seecitv_keystore_master_key_load (const gchar * path, guint8 * key,
    GError ** error)
{
  struct stat st;
  gsize got = 0;
  int fd;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0) {
    set_io_error (error, errno, "Cannot open", path);
    return FALSE;
  }
  if (fstat (fd, &st) != 0) {
    set_io_error (error, errno, "Cannot stat", path);
    goto fail;
  }
  if (!S_ISREG (st.st_mode) || st.st_size != SEECITV_KEYSTORE_MASTER_KEY_SIZE) {
    gchar *display = g_filename_display_name (path);

    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_BAD_FORMAT,
        "%s is not a master key file (a file of exactly %d bytes)", display,
        SEECITV_KEYSTORE_MASTER_KEY_SIZE);
    g_free (display);
    goto fail;
  }
  if ((st.st_mode & 077) != 0) {
    gchar *display = g_filename_display_name (path);

    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_PERMISSIONS,
        "%s is accessible by others (mode %03o): chmod 600 it", display,
        (guint) (st.st_mode & 0777));
    g_free (display);
    goto fail;
  }
  while (got < SEECITV_KEYSTORE_MASTER_KEY_SIZE) {
    ssize_t n = read (fd, key + got, SEECITV_KEYSTORE_MASTER_KEY_SIZE - got);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      set_io_error (error, n < 0 ? errno : EIO, "Cannot read", path);
      OPENSSL_cleanse (key, SEECITV_KEYSTORE_MASTER_KEY_SIZE);
      goto fail;
    }
    got += n;
  }
  close (fd);
  return TRUE;

fail:
  close (fd);
  return FALSE;
}

/* ------------------------------------------------------------------------
 * Opening by convention (the elements' keystore / passphrase-file)
 * ------------------------------------------------------------------------ */

/**
 * seecitv_keystore_default_key_path:
 *
 * Returns: (transfer full): the master key file of the keystore at @path,
 *   `PATH.key` (free with g_free())
 */
gchar *
seecitv_keystore_default_key_path (const gchar * path)
{
  g_return_val_if_fail (path != NULL, NULL);

  return g_strconcat (path, SEECITV_KEYSTORE_KEY_FILE_SUFFIX, NULL);
}

/**
 * seecitv_keystore_passphrase_file_load:
 * @len: (out): the passphrase length
 *
 * Reads a passphrase file: its bytes without one trailing "\n" or "\r\n",
 * at most %SEECITV_KEYSTORE_MAX_PASSPHRASE bytes, not empty. Like a master
 * key file, it must not be accessible by group or others.
 *
 * Returns: (transfer full): the NUL-terminated passphrase; wipe it with
 *   OPENSSL_cleanse() and free it with g_free()
 */
gchar *
seecitv_keystore_passphrase_file_load (const gchar * path, gsize * len,
    GError ** error)
{
  struct stat st;
  guint8 *data;
  gchar *pass;
  gsize n = 0;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (len != NULL, NULL);

  if (g_lstat (path, &st) != 0) {
    set_io_error (error, errno, "Cannot stat", path);
    return NULL;
  }
  if (S_ISREG (st.st_mode) && (st.st_mode & 077) != 0) {
    gchar *display = g_filename_display_name (path);

    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_PERMISSIONS,
        "%s is accessible by others (mode %03o): chmod 600 it", display,
        (guint) (st.st_mode & 0777));
    g_free (display);
    return NULL;
  }
  data = seecitv_ks_read_file (path, SEECITV_KEYSTORE_MAX_PASSPHRASE + 2, &n, error);
  if (data == NULL)
    return NULL;
  if (n > 0 && data[n - 1] == '\n') {
    n--;
    if (n > 0 && data[n - 1] == '\r')
      n--;
  }
  if (n == 0 || n > SEECITV_KEYSTORE_MAX_PASSPHRASE) {
    gchar *display = g_filename_display_name (path);

    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID,
        "%s: the passphrase is empty or longer than %d bytes", display,
        SEECITV_KEYSTORE_MAX_PASSPHRASE);
    g_free (display);
    OPENSSL_cleanse (data, MAX (n, 1));
    g_free (data);
    return NULL;
  }
  pass = g_malloc (n + 1);
  memcpy (pass, data, n);
  pass[n] = '\0';
  OPENSSL_cleanse (data, n);
  g_free (data);
  *len = n;
  return pass;
}

/* Reads the master key file (and the pending one of an unfinished
 * rotation) and the keystore file, holding the save lock shared so that a
 * rotation is seen whole (the old key and keystore, or the new ones); then
 * opens the keystore with the key file's key, or the pending key when that
 * one does not authenticate. */
SeecitvKeystore *
seecitv_ks_open_with_key_file (const gchar * path, const gchar * key_path,
    GError ** error)
{
  guint8 key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  guint8 pending_key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  gchar *pending = pending_key_path (key_path);
  gboolean have_key, have_pending;
  GError *key_err = NULL, *err = NULL;
  SeecitvKeystore *ks = NULL;
  guint8 *data = NULL;
  gsize len = 0;
  int dirfd;

  /* Best effort: a directory that cannot be opened cannot be saved into
   * (nor rotated) either. */
  dirfd = open_parent_dir (path, NULL);
  if (dirfd >= 0 && flock (dirfd, LOCK_SH) != 0) {
    close (dirfd);
    dirfd = -1;
  }
  have_key = seecitv_keystore_master_key_load (key_path, key, &key_err);
  have_pending = g_file_test (pending, G_FILE_TEST_EXISTS) &&
      seecitv_keystore_master_key_load (pending, pending_key, NULL);
  if (have_key || have_pending)
    data = seecitv_ks_read_file (path, ENVELOPE_HEADER_SIZE + MAX_PAYLOAD + TAG_SIZE,
        &len, &err);
  if (dirfd >= 0)
    close (dirfd);

  if (!have_key && !have_pending) {
    g_propagate_error (error, g_steal_pointer (&key_err));
    goto out;
  }
  if (data == NULL)
    goto out;
  if (have_key)
    ks = seecitv_ks_keystore_parse (data, len, key, NULL, 0, &err);
  if (ks == NULL && have_pending && (err == NULL ||
          g_error_matches (err, SEECITV_KEYSTORE_ERROR,
              SEECITV_KEYSTORE_ERROR_AUTH))) {
    g_clear_error (&err);
    ks = seecitv_ks_keystore_parse (data, len, pending_key, NULL, 0, &err);
    if (ks == NULL && key_err != NULL) {
      /* The key file is the one to blame. */
      g_clear_error (&err);
      err = g_steal_pointer (&key_err);
    }
  }
  if (ks != NULL) {
    ks->path = g_strdup (path);
    ks->key_path = g_strdup (key_path);
  }

out:
  if (err != NULL)
    g_propagate_error (error, err);
  g_clear_error (&key_err);
  OPENSSL_cleanse (key, sizeof (key));
  OPENSSL_cleanse (pending_key, sizeof (pending_key));
  g_free (data);
  g_free (pending);
  return ks;
}

/* Takes @from's tables, file key and protection into @ks. */
void
seecitv_ks_keystore_take (SeecitvKeystore * ks, SeecitvKeystore * from)
{
  GHashTable *t;
  GPtrArray *a;

  t = ks->devices;
  ks->devices = from->devices;
  from->devices = t;
  t = ks->clips;
  ks->clips = from->clips;
  from->clips = t;
  a = ks->access;
  ks->access = from->access;
  from->access = a;
  memcpy (ks->nonce, from->nonce, NONCE_SIZE);
  memcpy (ks->file_key, from->file_key, sizeof (ks->file_key));
  ks->protection = from->protection;
  memcpy (ks->salt, from->salt, SALT_SIZE);
  ks->kdf = from->kdf;
  ks->version = from->version;
  g_free (ks->marker_path);
  ks->marker_path = g_steal_pointer (&from->marker_path);
}

/**
 * seecitv_keystore_open_default:
 * @passphrase_file: (nullable): a passphrase file, or %NULL for the master
 *   key file seecitv_keystore_default_key_path() names
 *
 * Opens the keystore at @path the way the elements do.
 *
 * Returns: (transfer full): the keystore, or %NULL
 */
SeecitvKeystore *
seecitv_keystore_open_default (const gchar * path,
    const gchar * passphrase_file, GError ** error)
{
  SeecitvKeystore *ks;

  g_return_val_if_fail (path != NULL, NULL);

  if (passphrase_file != NULL) {
    gsize len = 0;
    gchar *pass = seecitv_keystore_passphrase_file_load (passphrase_file,
        &len, error);

    if (pass == NULL)
      return NULL;
    ks = seecitv_keystore_open_with_passphrase (path, pass, len, error);
    OPENSSL_cleanse (pass, len);
    g_free (pass);
    if (ks != NULL)
      ks->passphrase_file = g_strdup (passphrase_file);
  } else {
    gchar *key_path = seecitv_keystore_default_key_path (path);

    ks = seecitv_ks_open_with_key_file (path, key_path, error);
    g_free (key_path);
  }
  return ks;
}

/**
 * seecitv_keystore_reload:
 *
 * Reads the keystore's file again, replacing every table: changes not
 * saved are lost. The way to retry after %SEECITV_KEYSTORE_ERROR_CHANGED
 * without the master key or passphrase at hand: a keystore opened by
 * seecitv_keystore_open_default() with a key file reads the key file
 * again (a rotation may have replaced it); one with a passphrase uses the
 * key in memory (no key derivation) unless the salt changed, when it reads
 * the passphrase file again; any other keystore uses the key in memory.
 */
gboolean
seecitv_keystore_reload (SeecitvKeystore * ks, GError ** error)
{
  SeecitvKeystore *fresh;
  guint8 *data, *payload;
  gsize len, payload_len;
  gboolean ok = FALSE;

  g_return_val_if_fail (ks != NULL, FALSE);

  if (ks->path == NULL) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID, "this keystore has no file");
    return FALSE;
  }
  if (ks->key_path != NULL) {
    /* Reading the key file costs nothing, and finds a rotated key. */
    fresh = seecitv_ks_open_with_key_file (ks->path, ks->key_path, error);
    if (fresh == NULL)
      return FALSE;
    seecitv_ks_keystore_take (ks, fresh);
    seecitv_keystore_free (fresh);
    return TRUE;
  }
  data = seecitv_ks_read_file (ks->path, ENVELOPE_HEADER_SIZE + MAX_PAYLOAD + TAG_SIZE,
      &len, error);
  if (data == NULL)
    return FALSE;
  fresh = seecitv_ks_keystore_new ();
  if (!seecitv_ks_envelope_parse_header (fresh, data, len, &payload_len, error))
    goto out;
  /* Another salt or protection: the file was re-created or its passphrase
   * rotated, and the key in memory cannot be the right one. */
  if (fresh->protection != ks->protection ||
      (ks->protection == PROTECTION_SCRYPT &&
          (memcmp (fresh->salt, ks->salt, SALT_SIZE) != 0 ||
              fresh->kdf.log2_n != ks->kdf.log2_n ||
              fresh->kdf.r != ks->kdf.r || fresh->kdf.p != ks->kdf.p))) {
    SeecitvKeystore *again = NULL;

    if (ks->passphrase_file != NULL)
      again = seecitv_keystore_open_default (ks->path, ks->passphrase_file,
          error);
    else
      g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_AUTH,
          "the keystore was re-created with another key: open it again");
    if (again != NULL) {
      seecitv_ks_keystore_take (ks, again);
      seecitv_keystore_free (again);
      ok = TRUE;
    }
    goto out;
  }
  memcpy (fresh->file_key, ks->file_key, sizeof (ks->file_key));
  payload = seecitv_ks_envelope_open (fresh, data, payload_len, error);
  if (payload == NULL)
    goto out;
  ok = seecitv_ks_parse_payload (fresh, payload, payload_len, error);
  OPENSSL_cleanse (payload, payload_len);
  g_free (payload);
  if (ok)
    seecitv_ks_keystore_take (ks, fresh);

out:
  seecitv_keystore_free (fresh);
  g_free (data);
  return ok;
}

/**
 * seecitv_keystore_update_full:
 * @ks: an opened keystore (its passphrase, if any, derived once already)
 * @change: (nullable): the change, made in memory
 * @commit: (nullable): what writes it, %NULL for seecitv_keystore_save()
 *   (a rotation passes its own)
 *
 * The one way every writer changes a keystore that other processes may
 * save too: applies @change, then @commit; when @commit fails with
 * %SEECITV_KEYSTORE_ERROR_CHANGED (someone else saved meanwhile), reloads
 * @ks from its storage (seecitv_keystore_reload(): no key derivation
 * unless the salt changed) and does it all again, up to
 * %SEECITV_KEYSTORE_UPDATE_ATTEMPTS times. The storage stays behind @ks:
 * callers never open files themselves to retry.
 *
 * Returns: %TRUE once saved; %FALSE with @error set from @change, @commit
 * or the reload, or %SEECITV_KEYSTORE_ERROR_CHANGED when other processes
 * kept changing the keystore. On %FALSE, @ks holds what was last read (or
 * the failed change): reload it before using it again for writing.
 */
gboolean
seecitv_keystore_update_full (SeecitvKeystore * ks,
    SeecitvKeystoreChangeFunc change, SeecitvKeystoreChangeFunc commit,
    gpointer user_data, GError ** error)
{
  GError *err = NULL;
  guint attempt;

  g_return_val_if_fail (ks != NULL, FALSE);

  for (attempt = 0; attempt < SEECITV_KEYSTORE_UPDATE_ATTEMPTS; attempt++) {
    gboolean ok;

    if (attempt > 0 && !seecitv_keystore_reload (ks, error))
      return FALSE;
    if (change != NULL && !change (ks, user_data, error))
      return FALSE;
    ok = commit ? commit (ks, user_data, &err) :
        seecitv_keystore_save (ks, &err);
    if (ok)
      return TRUE;
    if (!g_error_matches (err, SEECITV_KEYSTORE_ERROR,
            SEECITV_KEYSTORE_ERROR_CHANGED)) {
      g_propagate_error (error, err);
      return FALSE;
    }
    g_clear_error (&err);
  }
  g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_CHANGED,
      "other processes keep changing the keystore");
  return FALSE;
}

/**
 * seecitv_keystore_update:
 *
 * seecitv_keystore_update_full() with seecitv_keystore_save() as commit.
 */
gboolean
seecitv_keystore_update (SeecitvKeystore * ks,
    SeecitvKeystoreChangeFunc change, gpointer user_data, GError ** error)
{
  return seecitv_keystore_update_full (ks, change, NULL, user_data, error);
}
