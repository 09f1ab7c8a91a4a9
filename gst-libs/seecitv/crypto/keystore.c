/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The keystore (docs/clip-format.md, "Keystore"): its in-memory tables,
 * devices (key-encryption keys, pairing secrets) and clips (wrapped data
 * keys, the index). The bytes are keystore-format.c's, the file
 * keystore-file.c's, the access log keystore-access.c's; the clip framing
 * is in clip.c.
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

GQuark
seecitv_keystore_error_quark (void)
{
  return g_quark_from_static_string ("seecitv-keystore-error-quark");
}

gint
seecitv_keystore_error_code (const GError * err)
{
  if (err == NULL || err->domain != SEECITV_KEYSTORE_ERROR)
    return SEECITV_KEYSTORE_ERROR_IO;
  return err->code;
}



void
seecitv_ks_device_free (Device * d)
{
  g_free (d->id);
  OPENSSL_cleanse (d, sizeof (*d));
  g_free (d);
}

void
seecitv_ks_clip_free (Clip * c)
{
  g_free (c->device_id);
  g_free (c->path);
  OPENSSL_cleanse (c, sizeof (*c));
  g_free (c);
}

void
seecitv_ks_access_free (Access * a)
{
  g_free (a->device_id);
  g_free (a->path);
  g_free (a->user);
  g_free (a->process);
  g_free (a);
}

static guint
clip_id_hash (gconstpointer p)
{
  guint h;

  /* Clip ids are random: any four bytes are a good hash. */
  memcpy (&h, p, sizeof (h));
  return h;
}

static gboolean
clip_id_equal (gconstpointer a, gconstpointer b)
{
  return memcmp (a, b, SEECITV_CLIP_ID_SIZE) == 0;
}

SeecitvKeystore *
seecitv_ks_keystore_new (void)
{
  SeecitvKeystore *ks = g_new0 (SeecitvKeystore, 1);

  ks->devices = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) seecitv_ks_device_free);
  ks->clips = g_hash_table_new_full (clip_id_hash, clip_id_equal, NULL,
      (GDestroyNotify) seecitv_ks_clip_free);
  ks->access = g_ptr_array_new_with_free_func ((GDestroyNotify) seecitv_ks_access_free);
  ks->version = ks->write_version = KEYSTORE_VERSION;
  return ks;
}

void
seecitv_keystore_free (SeecitvKeystore * ks)
{
  if (ks == NULL)
    return;
  g_hash_table_destroy (ks->clips);
  g_hash_table_destroy (ks->devices);
  g_ptr_array_unref (ks->access);
  g_free (ks->path);
  g_free (ks->key_path);
  g_free (ks->passphrase_file);
  g_free (ks->marker_path);
  OPENSSL_cleanse (ks, sizeof (*ks));
  g_free (ks);
}

void
seecitv_keystore_clip_info_free (SeecitvKeystoreClipInfo * info)
{
  if (info == NULL)
    return;
  g_free (info->device_id);
  g_free (info->path);
  g_free (info);
}

const gchar *
seecitv_keystore_get_path (SeecitvKeystore * ks)
{
  g_return_val_if_fail (ks != NULL, NULL);
  return ks->path;
}

/**
 * seecitv_keystore_device_id_is_valid:
 *
 * The architecture's device id, as gst-libs/seecitv/deviceid.h checks it for
 * every element and tool.
 */
gboolean
seecitv_keystore_device_id_is_valid (const gchar * id)
{
  return seecitv_device_id_is_valid (id);
}

static gboolean
check_device_id (const gchar * id, GError ** error)
{
  if (!seecitv_keystore_device_id_is_valid (id)) {
    /* Not echoed: it may be anything, of any length. */
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID,
        "invalid device id (allowed: 1 to 64 of A-Z a-z 0-9 . _ -)");
    return FALSE;
  }
  return TRUE;
}

gboolean
seecitv_ks_check_kdf_params (const SeecitvKeystoreKdfParams * p, gint code,
    GError ** error)
{
  if (p->log2_n < SCRYPT_MIN_LOG2_N || p->log2_n > SCRYPT_MAX_LOG2_N ||
      p->r < 1 || p->r > SCRYPT_MAX_R || p->p < 1 || p->p > SCRYPT_MAX_P ||
      (guint64) 128 * p->r * (G_GUINT64_CONSTANT (1) << p->log2_n) >
      SCRYPT_MAX_MEM) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR, code,
        "scrypt parameters out of range (log2 N %u, r %u, p %u)",
        p->log2_n, p->r, p->p);
    return FALSE;
  }
  return TRUE;
}

gboolean
seecitv_ks_derive_key (const gchar * passphrase, gsize passphrase_len,
    const guint8 * salt, const SeecitvKeystoreKdfParams * p, guint8 * key,
    GError ** error)
{
  OSSL_PARAM params[7];
  uint64_t n = G_GUINT64_CONSTANT (1) << p->log2_n;
  uint32_t r = p->r, par = p->p;
  uint64_t maxmem = SCRYPT_MAX_MEM + G_GUINT64_CONSTANT (16) * 1024 * 1024;

  params[0] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_PASSWORD,
      (void *) passphrase, passphrase_len);
  params[1] = OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT,
      (void *) salt, SALT_SIZE);
  params[2] = OSSL_PARAM_construct_uint64 (OSSL_KDF_PARAM_SCRYPT_N, &n);
  params[3] = OSSL_PARAM_construct_uint32 (OSSL_KDF_PARAM_SCRYPT_R, &r);
  params[4] = OSSL_PARAM_construct_uint32 (OSSL_KDF_PARAM_SCRYPT_P, &par);
  params[5] = OSSL_PARAM_construct_uint64 (OSSL_KDF_PARAM_SCRYPT_MAXMEM,
      &maxmem);
  params[6] = OSSL_PARAM_construct_end ();
  return seecitv_crypto_kdf (OSSL_KDF_NAME_SCRYPT, params, key,
      SEECITV_KEYSTORE_MASTER_KEY_SIZE, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_CRYPTO, "scrypt key derivation", error);
}

/* RFC 3394 AES key wrap of a data key under a device KEK. */
static gboolean
key_wrap (const guint8 * kek, const guint8 * in, gsize in_len, guint8 * out,
    gsize out_len, gboolean wrap, GError ** error)
{
  EVP_CIPHER *cipher;
  EVP_CIPHER_CTX *ctx;
  int outl = 0, finl = 0;
  gboolean ok = FALSE;

  seecitv_crypto_clear_errors ();
  cipher = EVP_CIPHER_fetch (NULL, "AES-256-WRAP", NULL);
  ctx = EVP_CIPHER_CTX_new ();
  if (cipher == NULL || ctx == NULL)
    goto out;
  EVP_CIPHER_CTX_set_flags (ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (wrap) {
    ok = EVP_EncryptInit_ex2 (ctx, cipher, kek, NULL, NULL) == 1 &&
        EVP_EncryptUpdate (ctx, out, &outl, in, (int) in_len) == 1 &&
        EVP_EncryptFinal_ex (ctx, out + outl, &finl) == 1;
  } else {
    ok = EVP_DecryptInit_ex2 (ctx, cipher, kek, NULL, NULL) == 1 &&
        EVP_DecryptUpdate (ctx, out, &outl, in, (int) in_len) == 1 &&
        EVP_DecryptFinal_ex (ctx, out + outl, &finl) == 1;
  }
  ok = ok && (gsize) (outl + finl) == out_len;

out:
  if (!ok) {
    OPENSSL_cleanse (out, out_len);
    seecitv_crypto_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_CRYPTO,
        wrap ? "wrapping a data key" : "unwrapping a data key");
  }
  EVP_CIPHER_CTX_free (ctx);
  EVP_CIPHER_free (cipher);
  return ok;
}

/* ------------------------------------------------------------------------
 * Devices and clips
 * ------------------------------------------------------------------------ */

static Device *
lookup_device (SeecitvKeystore * ks, const gchar * id, GError ** error)
{
  Device *d;

  if (!check_device_id (id, error))
    return NULL;
  d = g_hash_table_lookup (ks->devices, id);
  if (d == NULL)
    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_NOT_FOUND, "no device \"%s\" in the keystore",
        id);
  return d;
}

static Clip *
lookup_clip (SeecitvKeystore * ks, const guint8 * clip_id, GError ** error)
{
  Clip *k = g_hash_table_lookup (ks->clips, clip_id);

  if (k == NULL)
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_NOT_FOUND,
        "no key for this clip in the keystore (deleted, forgotten, or "
        "another keystore)");
  return k;
}

gboolean
seecitv_keystore_has_device (SeecitvKeystore * ks, const gchar * device_id)
{
  g_return_val_if_fail (ks != NULL, FALSE);
  return device_id != NULL && g_hash_table_contains (ks->devices, device_id);
}

/**
 * seecitv_keystore_add_device:
 *
 * Creates @device_id's key-encryption key (fails with
 * %SEECITV_KEYSTORE_ERROR_EXISTS if it has one).
 */
gboolean
seecitv_keystore_add_device (SeecitvKeystore * ks, const gchar * device_id,
    GError ** error)
{
  Device *d;

  g_return_val_if_fail (ks != NULL, FALSE);

  if (!check_device_id (device_id, error))
    return FALSE;
  if (g_hash_table_contains (ks->devices, device_id)) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_EXISTS,
        "device \"%s\" is already in the keystore", device_id);
    return FALSE;
  }
  d = g_new0 (Device, 1);
  if (!seecitv_crypto_random (d->kek_id, sizeof (d->kek_id),
          SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_CRYPTO, error) ||
      !seecitv_crypto_random (d->kek, sizeof (d->kek),
          SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_CRYPTO, error)) {
    seecitv_ks_device_free (d);
    return FALSE;
  }
  d->id = g_strdup (device_id);
  d->created = g_get_real_time ();
  g_hash_table_insert (ks->devices, d->id, d);
  return TRUE;
}

static gboolean
clip_is_of_device (gpointer key, gpointer value, gpointer user_data)
{
  Clip *k = value;

  return strcmp (k->device_id, user_data) == 0;
}

/**
 * seecitv_keystore_forget_device:
 *
 * Deletes the device's KEK, pairing secret, and every key and index entry
 * of its clips, and makes the access log's entries of the device name it
 * by a pseudonym, without their paths (seecitv_ks_access_forget_device ()).
 * Takes effect on disk at the next save.
 */
gboolean
seecitv_keystore_forget_device (SeecitvKeystore * ks,
    const gchar * device_id, GError ** error)
{
  GHashTable *clip_ids;
  GHashTableIter iter;
  Device *d;
  Clip *k;
  gboolean ok;

  g_return_val_if_fail (ks != NULL, FALSE);

  d = lookup_device (ks, device_id, error);
  if (d == NULL)
    return FALSE;
  clip_ids = g_hash_table_new (clip_id_hash, clip_id_equal);
  g_hash_table_iter_init (&iter, ks->clips);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & k))
    if (clip_is_of_device (NULL, k, (gpointer) device_id))
      g_hash_table_add (clip_ids, k->clip_id);
  ok = seecitv_ks_access_forget_device (ks, d, clip_ids, error);
  g_hash_table_unref (clip_ids);
  if (!ok)
    return FALSE;
  g_hash_table_foreach_remove (ks->clips, clip_is_of_device,
      (gpointer) device_id);
  g_hash_table_remove (ks->devices, device_id);
  return TRUE;
}

/* Returns: (transfer full): sorted ids, g_strfreev() it */
gchar **
seecitv_keystore_list_devices (SeecitvKeystore * ks)
{
  GPtrArray *ids;
  GHashTableIter iter;
  gpointer key;

  g_return_val_if_fail (ks != NULL, NULL);

  ids = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, ks->devices);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, g_strdup (key));
  g_ptr_array_sort (ids, seecitv_ks_compare_device_ids);
  g_ptr_array_add (ids, NULL);
  return (gchar **) g_ptr_array_free (ids, FALSE);
}

/* @len 0 removes the secret. */
gboolean
seecitv_keystore_set_pairing_secret (SeecitvKeystore * ks,
    const gchar * device_id, const guint8 * secret, gsize len, GError ** error)
{
  Device *d;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (secret != NULL || len == 0, FALSE);

  if (len > SEECITV_KEYSTORE_MAX_SECRET_SIZE) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID,
        "pairing secret longer than %d bytes",
        SEECITV_KEYSTORE_MAX_SECRET_SIZE);
    return FALSE;
  }
  d = lookup_device (ks, device_id, error);
  if (d == NULL)
    return FALSE;
  OPENSSL_cleanse (d->secret, sizeof (d->secret));
  if (len > 0)
    memcpy (d->secret, secret, len);
  d->secret_len = len;
  return TRUE;
}

/**
 * seecitv_keystore_get_pairing_secret:
 *
 * Copies the secret into @buf (at least %SEECITV_KEYSTORE_MAX_SECRET_SIZE
 * bytes is always enough; wipe it after use).
 *
 * Returns: the secret's length, or -1 with @error set (no device, no
 * secret, or @buf too small)
 */
gssize
seecitv_keystore_get_pairing_secret (SeecitvKeystore * ks,
    const gchar * device_id, guint8 * buf, gsize buf_size, GError ** error)
{
  Device *d;

  g_return_val_if_fail (ks != NULL, -1);
  g_return_val_if_fail (buf != NULL || buf_size == 0, -1);

  d = lookup_device (ks, device_id, error);
  if (d == NULL)
    return -1;
  if (d->secret_len == 0) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_NOT_FOUND,
        "device \"%s\" has no pairing secret", device_id);
    return -1;
  }
  if (buf_size < d->secret_len) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_INVALID, "buffer too small for the secret");
    return -1;
  }
  memcpy (buf, d->secret, d->secret_len);
  return d->secret_len;
}

gboolean
seecitv_ks_check_path (const gchar * path, GError ** error)
{
  if (path != NULL && strlen (path) > SEECITV_KEYSTORE_MAX_PATH) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID,
        "clip path longer than %d bytes", SEECITV_KEYSTORE_MAX_PATH);
    return FALSE;
  }
  return TRUE;
}

/**
 * seecitv_keystore_new_clip_key:
 * @path: (nullable): the clip file, for the index
 * @start_time: microseconds since the epoch
 * @key: (out): receives the new data key, %SEECITV_CLIP_KEY_SIZE bytes
 *   (wipe it after use)
 * @ids: (out): the ids to write into the clip header
 *
 * Creates a data key for a new clip of @device_id (which must have been
 * added), stores it wrapped by the device's KEK, and indexes the clip.
 * Save before writing the first byte of the clip.
 */
gboolean
seecitv_keystore_new_clip_key (SeecitvKeystore * ks, const gchar * device_id,
    const gchar * path, gint64 start_time, guint8 * key, SeecitvClipIds * ids,
    GError ** error)
{
  Device *d;
  Clip *k;
  guint8 dk[SEECITV_CLIP_KEY_SIZE];

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);
  g_return_val_if_fail (ids != NULL, FALSE);

  if (!seecitv_ks_check_path (path, error))
    return FALSE;
  d = lookup_device (ks, device_id, error);
  if (d == NULL)
    return FALSE;

  k = g_new0 (Clip, 1);
  do {
    if (!seecitv_crypto_random (k->clip_id, sizeof (k->clip_id),
            SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_CRYPTO, error))
      goto fail;
  } while (g_hash_table_contains (ks->clips, k->clip_id));
  if (!seecitv_crypto_random (k->data_key_id, sizeof (k->data_key_id),
          SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_CRYPTO, error) ||
      !seecitv_crypto_random (dk, sizeof (dk), SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CRYPTO, error) ||
      !key_wrap (d->kek, dk, sizeof (dk), k->wrapped, WRAPPED_SIZE, TRUE,
          error))
    goto fail;

  memcpy (k->kek_id, d->kek_id, SEECITV_CLIP_ID_SIZE);
  k->device_id = g_strdup (d->id);
  k->path = g_strdup (path ? path : "");
  k->start_time = start_time;
  k->end_time = -1;
  k->state = SEECITV_CLIP_STATE_RECORDING;
  g_hash_table_insert (ks->clips, k->clip_id, k);

  memcpy (key, dk, sizeof (dk));
  memcpy (ids->clip_id, k->clip_id, SEECITV_CLIP_ID_SIZE);
  memcpy (ids->kek_id, k->kek_id, SEECITV_CLIP_ID_SIZE);
  memcpy (ids->data_key_id, k->data_key_id, SEECITV_CLIP_ID_SIZE);
  OPENSSL_cleanse (dk, sizeof (dk));
  return TRUE;

fail:
  OPENSSL_cleanse (dk, sizeof (dk));
  seecitv_ks_clip_free (k);
  return FALSE;
}

/**
 * seecitv_keystore_get_clip_key:
 * @key: (out): the data key (wipe it after use)
 * @ids: (out) (optional): the ids the keystore holds for the clip
 */
gboolean
seecitv_keystore_get_clip_key (SeecitvKeystore * ks, const guint8 * clip_id,
    guint8 * key, SeecitvClipIds * ids, GError ** error)
{
  Clip *k;
  Device *d;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (clip_id != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  k = lookup_clip (ks, clip_id, error);
  if (k == NULL)
    return FALSE;
  /* seecitv_ks_parse_payload() and forget_device() keep this invariant. */
  d = g_hash_table_lookup (ks->devices, k->device_id);
  g_assert (d != NULL);
  if (!key_wrap (d->kek, k->wrapped, WRAPPED_SIZE, key,
          SEECITV_CLIP_KEY_SIZE, FALSE, error))
    return FALSE;
  if (ids != NULL) {
    memcpy (ids->clip_id, k->clip_id, SEECITV_CLIP_ID_SIZE);
    memcpy (ids->kek_id, k->kek_id, SEECITV_CLIP_ID_SIZE);
    memcpy (ids->data_key_id, k->data_key_id, SEECITV_CLIP_ID_SIZE);
  }
  return TRUE;
}

/* @path: (nullable): keep the current one if %NULL */
gboolean
seecitv_keystore_set_clip_info (SeecitvKeystore * ks, const guint8 * clip_id,
    const gchar * path, gint64 end_time, GError ** error)
{
  Clip *k;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (clip_id != NULL, FALSE);

  if (!seecitv_ks_check_path (path, error))
    return FALSE;
  k = lookup_clip (ks, clip_id, error);
  if (k == NULL)
    return FALSE;
  if (path != NULL) {
    g_free (k->path);
    k->path = g_strdup (path);
  }
  k->end_time = end_time;
  return TRUE;
}

const gchar *
seecitv_clip_state_name (SeecitvClipState state)
{
  switch (state) {
    case SEECITV_CLIP_STATE_RECORDING:
      return "recording";
    case SEECITV_CLIP_STATE_COMPLETE:
      return "complete";
    case SEECITV_CLIP_STATE_TRUNCATED:
      return "truncated";
    default:
      return "unknown";
  }
}

/**
 * seecitv_keystore_set_clip_state:
 *
 * Records the clip's state in the index (in memory; save to make it
 * last): %SEECITV_CLIP_STATE_COMPLETE once its final chunk is written and
 * synced, %SEECITV_CLIP_STATE_TRUNCATED once its writer is known to have
 * ended without it.
 */
gboolean
seecitv_keystore_set_clip_state (SeecitvKeystore * ks, const guint8 * clip_id,
    SeecitvClipState state, GError ** error)
{
  Clip *k;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (clip_id != NULL, FALSE);

  if (state > SEECITV_CLIP_STATE_TRUNCATED) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID,
        "unknown clip state %d", state);
    return FALSE;
  }
  k = lookup_clip (ks, clip_id, error);
  if (k == NULL)
    return FALSE;
  k->state = state;
  return TRUE;
}

/**
 * seecitv_keystore_get_clip_state:
 * @state: (out): the clip's state in the index
 *
 * Returns: %FALSE when the index has no such clip
 */
gboolean
seecitv_keystore_get_clip_state (SeecitvKeystore * ks, const guint8 * clip_id,
    SeecitvClipState * state)
{
  Clip *k;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (clip_id != NULL, FALSE);
  g_return_val_if_fail (state != NULL, FALSE);

  k = g_hash_table_lookup (ks->clips, clip_id);
  if (k == NULL)
    return FALSE;
  *state = k->state;
  return TRUE;
}

/**
 * seecitv_keystore_delete_clip_key:
 *
 * Deletes the clip's wrapped key and index entry: once saved, no copy of
 * the clip can be decrypted with this keystore.
 */
gboolean
seecitv_keystore_delete_clip_key (SeecitvKeystore * ks,
    const guint8 * clip_id, GError ** error)
{
  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (clip_id != NULL, FALSE);

  if (lookup_clip (ks, clip_id, error) == NULL)
    return FALSE;
  g_hash_table_remove (ks->clips, clip_id);
  return TRUE;
}

/**
 * seecitv_keystore_list_clips:
 * @device_id: (nullable): only this device's clips
 *
 * Returns: (transfer full) (element-type SeecitvKeystoreClipInfo): the
 *   index, oldest first; g_ptr_array_unref() it
 */
GPtrArray *
seecitv_keystore_list_clips (SeecitvKeystore * ks, const gchar * device_id)
{
  GPtrArray *clips, *infos;
  guint i;

  g_return_val_if_fail (ks != NULL, NULL);

  clips = seecitv_ks_table_values (ks->clips);
  g_ptr_array_sort (clips, seecitv_ks_compare_clips);
  infos = g_ptr_array_new_with_free_func ((GDestroyNotify)
      seecitv_keystore_clip_info_free);
  for (i = 0; i < clips->len; i++) {
    Clip *k = clips->pdata[i];
    SeecitvKeystoreClipInfo *info;

    if (device_id != NULL && strcmp (device_id, k->device_id) != 0)
      continue;
    info = g_new0 (SeecitvKeystoreClipInfo, 1);
    memcpy (info->ids.clip_id, k->clip_id, SEECITV_CLIP_ID_SIZE);
    memcpy (info->ids.kek_id, k->kek_id, SEECITV_CLIP_ID_SIZE);
    memcpy (info->ids.data_key_id, k->data_key_id, SEECITV_CLIP_ID_SIZE);
    info->device_id = g_strdup (k->device_id);
    info->path = g_strdup (k->path);
    info->start_time = k->start_time;
    info->end_time = k->end_time;
    info->state = k->state;
    g_ptr_array_add (infos, info);
  }
  g_ptr_array_unref (clips);
  return infos;
}

/**
 * seecitv_keystore_clip_key_func:
 * @user_data: a #SeecitvKeystore
 *
 * A #SeecitvClipKeyFunc: the data key of the clip @header names, provided
 * the header's key ids are the ones the keystore holds for it.
 */
gboolean
seecitv_keystore_clip_key_func (const SeecitvClipHeader * header,
    guint8 * key, gpointer user_data, GError ** error)
{
  SeecitvKeystore *ks = user_data;
  SeecitvClipIds ids;

  if (!seecitv_keystore_get_clip_key (ks, header->ids.clip_id, key, &ids,
          error))
    return FALSE;
  if (memcmp (ids.kek_id, header->ids.kek_id, SEECITV_CLIP_ID_SIZE) != 0 ||
      memcmp (ids.data_key_id, header->ids.data_key_id,
          SEECITV_CLIP_ID_SIZE) != 0) {
    OPENSSL_cleanse (key, SEECITV_CLIP_KEY_SIZE);
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_KEY_MISMATCH,
        "the clip names other keys than the keystore holds for it");
    return FALSE;
  }
  return TRUE;
}
