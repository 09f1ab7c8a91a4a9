/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The keystore's generation marker (docs/clip-format.md, "Generation
 * marker"; docs/privacy.md): a small file kept outside the keystore's
 * folder that names, under a MAC keyed from the master key, the nonce of
 * the keystore file last saved, so that an older copy of the keystore put
 * back is noticed (seecitv_keystore_check_rollback()). Here: the marker's
 * bytes, its MAC key, reading and checking it, and the two marker writes
 * of a save, which keystore-file.c calls in their order, and the checks
 * of its off-site copy (the S3 requests are the seecitv command's,
 * tools/seecitv/remote.c). Not the keystore file's own saving.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "keystore.h"
#include "keystore-internal.h"
#include "keystore-private.h"
#include "cryptoutil.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#define MARKER_MAGIC "SCTVMARK"
#define MARKER_VERSION 1
#define MARKER_OFF_VERSION 8
#define MARKER_OFF_RESERVED 10
#define MARKER_OFF_GENERATION 12
#define MARKER_OFF_NONCE 20
#define MARKER_OFF_MAC (MARKER_OFF_NONCE + NONCE_SIZE)
#define MARKER_MAC_SIZE 32
#define MARKER_SIZE (MARKER_OFF_MAC + MARKER_MAC_SIZE)
G_STATIC_ASSERT (MARKER_SIZE == SEECITV_KEYSTORE_MARKER_SIZE);
#define MARKER_MAC_KEY_SIZE 32
#define MARKER_HKDF_INFO "seecitv keystore generation marker 1"

/* The marker's MAC key: HKDF-SHA256 of the master key, so that the master
 * key itself never keys anything but the keystore's envelope. */
static gboolean
marker_mac_key (const guint8 * file_key, guint8 * out, GError ** error)
{
  OSSL_PARAM params[4];

  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST,
      (char *) "SHA256", 0);
  params[1] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY,
      (void *) file_key, SEECITV_KEYSTORE_MASTER_KEY_SIZE);
  params[2] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO,
      (void *) MARKER_HKDF_INFO, strlen (MARKER_HKDF_INFO));
  params[3] = OSSL_PARAM_construct_end ();
  return seecitv_crypto_kdf (OSSL_KDF_NAME_HKDF, params, out,
      MARKER_MAC_KEY_SIZE, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_CRYPTO, "marker key derivation", error);
}

static gboolean
marker_mac (const guint8 * file_key, const guint8 * data, guint8 * mac,
    GError ** error)
{
  guint8 key[MARKER_MAC_KEY_SIZE];
  unsigned int mac_len = 0;
  gboolean ok;

  ok = marker_mac_key (file_key, key, error);
  if (ok && HMAC (EVP_sha256 (), key, sizeof (key), data, MARKER_OFF_MAC,
          mac, &mac_len) == NULL) {
    seecitv_crypto_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_CRYPTO, "marker MAC");
    ok = FALSE;
  }
  OPENSSL_cleanse (key, sizeof (key));
  return ok;
}

/* Fills in the MAC of a marker whose first bytes are set (keystore-private.h:
 * the fuzz target seals the bytes it is given). */
gboolean
seecitv_keystore_marker_seal (guint8 * data, const guint8 * master_key,
    GError ** error)
{
  return marker_mac (master_key, data, data + MARKER_OFF_MAC, error);
}

/**
 * seecitv_keystore_marker_parse:
 * @generation: (out): the marker's generation
 * @nonce: (out caller-allocates): the keystore file nonce it names
 *
 * Reads a generation marker's bytes (outside input: any length, any bytes)
 * and checks its MAC under the key derived from @master_key.
 *
 * Returns: %FALSE with %SEECITV_KEYSTORE_ERROR_BAD_FORMAT (not a marker),
 * %SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION or
 * %SEECITV_KEYSTORE_ERROR_AUTH (edited, or made under another key)
 */
gboolean
seecitv_keystore_marker_parse (const guint8 * data, gsize len,
    const guint8 * master_key, guint64 * generation, guint8 * nonce,
    GError ** error)
{
  guint8 mac[MARKER_MAC_SIZE];
  gboolean ok;

  if (len != MARKER_SIZE || memcmp (data, MARKER_MAGIC, 8) != 0 ||
      seecitv_load_be16 (data + MARKER_OFF_RESERVED) != 0) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_BAD_FORMAT, "not a keystore generation marker");
    return FALSE;
  }
  if (seecitv_load_be16 (data + MARKER_OFF_VERSION) != MARKER_VERSION) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION,
        "generation marker version %u (this seecitv reads %d)",
        seecitv_load_be16 (data + MARKER_OFF_VERSION), MARKER_VERSION);
    return FALSE;
  }
  if (!marker_mac (master_key, data, mac, error))
    return FALSE;
  ok = CRYPTO_memcmp (mac, data + MARKER_OFF_MAC, MARKER_MAC_SIZE) == 0;
  OPENSSL_cleanse (mac, sizeof (mac));
  if (!ok) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_AUTH,
        "the generation marker does not authenticate under this keystore's "
        "key (edited, or another keystore's)");
    return FALSE;
  }
  *generation = seecitv_load_be64 (data + MARKER_OFF_GENERATION);
  memcpy (nonce, data + MARKER_OFF_NONCE, NONCE_SIZE);
  return TRUE;
}

static gchar *
pending_marker_path (const gchar * marker_path)
{
  return g_strconcat (marker_path, SEECITV_KEYSTORE_PENDING_KEY_SUFFIX, NULL);
}

/* Reads and checks the marker at @path; FALSE when missing, unreadable or
 * not authentic (all the same to the caller: it does not vouch). With
 * @bytes (MARKER_SIZE), its bytes too. */
static gboolean
marker_read_bytes (SeecitvKeystore * ks, const gchar * path,
    guint64 * generation, guint8 * nonce, guint8 * bytes)
{
  guint8 *data;
  gsize len = 0;
  gboolean ok;

  data = seecitv_ks_read_file (path, MARKER_SIZE + 1, &len, NULL);
  if (data == NULL)
    return FALSE;
  ok = seecitv_keystore_marker_parse (data, len, ks->file_key, generation,
      nonce, NULL);
  if (ok && bytes != NULL)
    memcpy (bytes, data, MARKER_SIZE);
  g_free (data);
  return ok;
}

static gboolean
marker_read (SeecitvKeystore * ks, const gchar * path, guint64 * generation,
    guint8 * nonce)
{
  return marker_read_bytes (ks, path, generation, nonce, NULL);
}

SeecitvKsMarkerState
seecitv_ks_marker_state (SeecitvKeystore * ks, guint64 * generation)
{
  guint8 nonce[NONCE_SIZE];
  guint64 gen = 0;
  gchar *pending;
  SeecitvKsMarkerState state = SEECITV_KS_MARKER_MISMATCH;

  if (marker_read (ks, ks->marker_path, &gen, nonce) &&
      memcmp (nonce, ks->nonce, NONCE_SIZE) == 0)
    state = SEECITV_KS_MARKER_MATCH;
  pending = pending_marker_path (ks->marker_path);
  /* A save that stopped between replacing the keystore and committing
   * the marker: the pending marker names the keystore on disk. */
  if (state == SEECITV_KS_MARKER_MISMATCH &&
      marker_read (ks, pending, &gen, nonce) &&
      memcmp (nonce, ks->nonce, NONCE_SIZE) == 0)
    state = SEECITV_KS_MARKER_MATCH_PENDING;
  g_free (pending);
  if (generation != NULL)
    *generation = gen;
  return state;
}

static gboolean
fsync_dir_of (const gchar * path, GError ** error)
{
  gchar *dir = g_path_get_dirname (path);
  int fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  gboolean ok = fd >= 0 && fsync (fd) == 0;

  if (!ok) {
    gchar *display = g_filename_display_name (dir);

    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_IO,
        "Cannot sync the directory %s: %s", display, g_strerror (errno));
    g_free (display);
  }
  if (fd >= 0)
    close (fd);
  g_free (dir);
  return ok;
}

/* Writes the pending marker (`MARKER.new`) naming @nonce, the nonce of
 * the keystore file about to replace the one on disk, MAC'd under @ks's
 * file key (the new one in a rotation): a temporary file, fsync, rename,
 * fsync of the directory (g_file_set_contents_full() does the first
 * three). */
gboolean
seecitv_ks_marker_write_pending (SeecitvKeystore * ks, guint64 generation,
    const guint8 * nonce, GError ** error)
{
  guint8 data[MARKER_SIZE];
  gchar *pending = pending_marker_path (ks->marker_path);
  GError *err = NULL;
  gboolean ok;

  memcpy (data, MARKER_MAGIC, 8);
  seecitv_store_be16 (data + MARKER_OFF_VERSION, MARKER_VERSION);
  seecitv_store_be16 (data + MARKER_OFF_RESERVED, 0);
  seecitv_store_be64 (data + MARKER_OFF_GENERATION, generation);
  memcpy (data + MARKER_OFF_NONCE, nonce, NONCE_SIZE);
  ok = seecitv_keystore_marker_seal (data, ks->file_key, error);
  if (ok) {
    gchar *dir = g_path_get_dirname (pending);

    /* The default folder may not exist yet; as private as the keys. */
    g_mkdir_with_parents (dir, 0700);
    g_free (dir);
  }
  if (ok && !g_file_set_contents_full (pending, (const gchar *) data,
          sizeof (data), G_FILE_SET_CONTENTS_CONSISTENT |
          G_FILE_SET_CONTENTS_DURABLE, 0600, &err)) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_IO,
        "Cannot write the generation marker: %s", err->message);
    g_clear_error (&err);
    ok = FALSE;
  }
  ok = ok && fsync_dir_of (pending, error);
  g_free (pending);
  return ok;
}

/* Renames the pending marker over the marker, then syncs the directory. */
gboolean
seecitv_ks_marker_commit (SeecitvKeystore * ks, GError ** error)
{
  gchar *pending = pending_marker_path (ks->marker_path);
  gboolean ok = g_rename (pending, ks->marker_path) == 0;

  if (!ok) {
    gchar *display = g_filename_display_name (pending);

    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_IO,
        "Cannot rename %s: %s", display, g_strerror (errno));
    g_free (display);
  }
  g_free (pending);
  return ok && fsync_dir_of (ks->marker_path, error);
}

/**
 * seecitv_keystore_check_rollback:
 *
 * Whether the keystore as read is the one its generation marker names (or
 * the pending marker, after a save that stopped in between). A keystore
 * without a marker (created before markers, or in memory) passes.
 *
 * Returns: %FALSE with %SEECITV_KEYSTORE_ERROR_ROLLBACK when the marker is
 *   missing, edited or names another file: an older copy was put back
 *   (`seecitv keys accept-restore` accepts a deliberate restore)
 */
gboolean
seecitv_keystore_check_rollback (SeecitvKeystore * ks, GError ** error)
{
  gchar *display;

  g_return_val_if_fail (ks != NULL, FALSE);

  if (ks->marker_path == NULL || ks->path == NULL ||
      seecitv_ks_marker_state (ks, NULL) != SEECITV_KS_MARKER_MISMATCH)
    return TRUE;
  display = g_filename_display_name (ks->marker_path);
  g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_ROLLBACK,
      "the keystore is not the one its generation marker %s names: an older "
      "copy was put back, or the marker is missing or was edited; if this "
      "is a deliberate restore from backup, run `seecitv keys "
      "accept-restore`", display);
  g_free (display);
  return FALSE;
}

/**
 * seecitv_keystore_set_marker:
 * @marker_path: an absolute path outside the keystore's folder
 *
 * Keeps the keystore's generation marker at @marker_path from the next
 * save on; that save writes the marker afresh, accepting the keystore as
 * it is (what `keys init` and `keys accept-restore` do).
 */
gboolean
seecitv_keystore_set_marker (SeecitvKeystore * ks, const gchar * marker_path,
    GError ** error)
{
  gchar *kdir, *mdir;
  gboolean same;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (marker_path != NULL, FALSE);

  if (!g_path_is_absolute (marker_path) ||
      strlen (marker_path) > SEECITV_KEYSTORE_MAX_PATH) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID,
        "the generation marker needs an absolute path");
    return FALSE;
  }
  kdir = ks->path ? g_path_get_dirname (ks->path) : NULL;
  mdir = g_path_get_dirname (marker_path);
  /* Whoever can put an old keystore back there could put its marker back
   * too. (Names only: a link to the same folder is not caught.) */
  same = kdir != NULL && g_strcmp0 (kdir, mdir) == 0;
  g_free (kdir);
  g_free (mdir);
  if (same) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID,
        "the generation marker must not be in the keystore's folder");
    return FALSE;
  }
  /* @marker_path may be ks->marker_path itself. */
  mdir = g_strdup (marker_path);
  g_free (ks->marker_path);
  ks->marker_path = mdir;
  ks->marker_accept = TRUE;
  return TRUE;
}

/**
 * seecitv_keystore_get_marker_path:
 *
 * Returns: (nullable): the generation marker's path, %NULL without one
 */
const gchar *
seecitv_keystore_get_marker_path (SeecitvKeystore * ks)
{
  g_return_val_if_fail (ks != NULL, NULL);

  return ks->marker_path;
}

/**
 * seecitv_keystore_default_marker_path:
 *
 * Returns: (transfer full): where `keys init` keeps the generation marker
 *   of the keystore at @path by default: under the user's state directory
 *   (`$XDG_STATE_HOME`, else `~/.local/state`), `seecitv/markers/`, named
 *   by the SHA-256 of the keystore's absolute path (free with g_free())
 */
gchar *
seecitv_keystore_default_marker_path (const gchar * path)
{
  gchar *canon, *hash, *out;

  g_return_val_if_fail (path != NULL, NULL);

  canon = g_canonicalize_filename (path, NULL);
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canon, -1);
  out = g_build_filename (g_get_user_state_dir (), "seecitv", "markers",
      hash, NULL);
  g_free (hash);
  g_free (canon);
  return out;
}

G_STATIC_ASSERT (MARKER_SIZE == SEECITV_KEYSTORE_MARKER_COPY_SIZE);

/**
 * seecitv_keystore_get_marker_copy:
 * @out: (out caller-allocates): %SEECITV_KEYSTORE_MARKER_COPY_SIZE bytes
 * @generation: (out) (optional): the marker's generation
 *
 * The bytes of the local generation marker that names the keystore as
 * read (the marker, or the pending marker after a save that stopped in
 * between), to put off-site. They are MAC'd already: the copy holds no
 * key.
 *
 * Returns: %FALSE with %SEECITV_KEYSTORE_ERROR_INVALID without a marker,
 *   %SEECITV_KEYSTORE_ERROR_ROLLBACK when no marker names this keystore
 */
gboolean
seecitv_keystore_get_marker_copy (SeecitvKeystore * ks, guint8 * out,
    guint64 * generation, GError ** error)
{
  guint8 nonce[NONCE_SIZE];
  guint64 gen = 0;
  gchar *pending;
  gboolean ok;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (ks->marker_path == NULL || ks->path == NULL) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID, "the keystore has no generation "
        "marker (run `seecitv keys accept-restore` to make one)");
    return FALSE;
  }
  ok = marker_read_bytes (ks, ks->marker_path, &gen, nonce, out) &&
      memcmp (nonce, ks->nonce, NONCE_SIZE) == 0;
  if (!ok) {
    pending = pending_marker_path (ks->marker_path);
    ok = marker_read_bytes (ks, pending, &gen, nonce, out) &&
        memcmp (nonce, ks->nonce, NONCE_SIZE) == 0;
    g_free (pending);
  }
  if (!ok) {
    memset (out, 0, MARKER_SIZE);
    return seecitv_keystore_check_rollback (ks, error);
  }
  if (generation != NULL)
    *generation = gen;
  return TRUE;
}

/**
 * seecitv_keystore_check_marker_copy:
 * @data: a copy of the marker read back from off-site storage (outside
 *   input: any length, any bytes)
 * @older: (out): %TRUE when the copy names an earlier save of this
 *   keystore (or one of its ancestors), so that it is worth replacing
 *
 * Compares an off-site copy of the generation marker with the local one
 * that names the keystore as read. The copy is read with the marker's own
 * parser (seecitv_keystore_marker_parse()).
 *
 * Returns: %FALSE with %SEECITV_KEYSTORE_ERROR_ROLLBACK when the local
 *   marker does not name the keystore, or the copy names a later
 *   generation (or the same with another file), or does not authenticate
 *   under this keystore's key
 */
gboolean
seecitv_keystore_check_marker_copy (SeecitvKeystore * ks, const guint8 * data,
    gsize len, gboolean * older, GError ** error)
{
  guint8 local[MARKER_SIZE], nonce[NONCE_SIZE];
  guint64 gen = 0, copy_gen = 0;
  GError *err = NULL;
  gboolean ok;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (older != NULL, FALSE);

  *older = FALSE;
  if (!seecitv_keystore_get_marker_copy (ks, local, &gen, error))
    return FALSE;
  OPENSSL_cleanse (local, sizeof (local));
  if (!seecitv_keystore_marker_parse (data, len, ks->file_key, &copy_gen,
          nonce, &err)) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_ROLLBACK, "the off-site copy of the "
        "generation marker is not this keystore's (%s): a keystore from "
        "before a key rotation put back, or the copy was replaced; if the "
        "keystore is right, run `seecitv keys accept-restore`", err->message);
    g_clear_error (&err);
    return FALSE;
  }
  ok = copy_gen < gen || (copy_gen == gen &&
      memcmp (nonce, ks->nonce, NONCE_SIZE) == 0);
  if (!ok) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_ROLLBACK, "the off-site copy of the "
        "generation marker names a later keystore (generation %"
        G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT ", this one is %"
        G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT "): an older copy of the "
        "keystore and its marker were put back; if this is a deliberate "
        "restore from backup, run `seecitv keys accept-restore`",
        copy_gen >> 32, copy_gen & G_MAXUINT32, gen >> 32, gen & G_MAXUINT32);
    return FALSE;
  }
  *older = copy_gen < gen;
  return TRUE;
}

/**
 * seecitv_keystore_marker_new_epoch:
 * @unused: not used: this is a #SeecitvKeystoreChangeFunc, to pass to
 *   seecitv_keystore_update()
 *
 * Makes the next save start a new epoch of marker generations (the high
 * 32 bits of the generation, the low ones count saves): done before the
 * marker is put off-site, so that a keystore copy older than that save,
 * put back, never counts its way up to the off-site copy's generation
 * however often it is saved afterwards (recording goes on).
 *
 * Returns: %TRUE
 */
gboolean
seecitv_keystore_marker_new_epoch (SeecitvKeystore * ks, gpointer unused,
    GError ** error)
{
  g_return_val_if_fail (ks != NULL, FALSE);

  ks->marker_new_epoch = TRUE;
  return TRUE;
}
