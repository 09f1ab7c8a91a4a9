/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The keystore: its in-memory tables, the file envelope (AES-256-GCM under
 * the master key or a scrypt-derived key), the payload records (devices,
 * clips, access log entries), format versions, atomic saving, master key
 * files and their rotation, and the access log's clock and three-month
 * expiry. docs/clip-format.md ("Keystore") specifies the bytes. The payload parser reads outside data and is fuzzed
 * (tests/fuzz/fuzz-keystore.c). The clip framing is in clip.c.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "keystore.h"

#include <seecitv/deviceid.h>
#include "keystore-private.h"
#include "cryptoutil.h"

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

static const guint8 keystore_magic[8] = {
  0x89, 'S', 'C', 'T', 'V', 'K', 'S', '\n'
};

/* Version 1: device and clip records. Version 2 adds the access log
 * (record type 3). Readers take every version up to theirs and refuse a
 * newer one by its number; writers always write the newest. */
#define KEYSTORE_VERSION 2
#define KEYSTORE_MIN_VERSION 1

/* Envelope layout, see docs/clip-format.md */
#define OFF_VERSION 8
#define OFF_PROTECTION 10
#define OFF_RESERVED1 11
#define OFF_SALT 12
#define OFF_LOG2_N 28
#define OFF_RESERVED2 29
#define OFF_R 32
#define OFF_P 36
#define OFF_NONCE 40
#define OFF_LENGTH 52
#define ENVELOPE_HEADER_SIZE 56
#define TAG_SIZE 16
#define SALT_SIZE 16
#define NONCE_SIZE 12

#define PROTECTION_KEY_FILE 1
#define PROTECTION_SCRYPT 2

#define MAX_PAYLOAD (64 * 1024 * 1024)

#define RECORD_DEVICE 1
#define RECORD_CLIP 2
#define RECORD_ACCESS 3
#define RECORD_HEADER_SIZE 5

#define ACCESS_MAX_NAME 255

#define KEK_SIZE 32
#define WRAPPED_SIZE (SEECITV_CLIP_KEY_SIZE + 8)

#define SCRYPT_MIN_LOG2_N 10
#define SCRYPT_MAX_LOG2_N 22
#define SCRYPT_MAX_R 32
#define SCRYPT_MAX_P 16
#define SCRYPT_MAX_MEM (G_GUINT64_CONSTANT (1) << 30)

GQuark
seecitv_keystore_error_quark (void)
{
  return g_quark_from_static_string ("seecitv-keystore-error-quark");
}

typedef struct
{
  gchar *id;
  guint8 kek_id[SEECITV_CLIP_ID_SIZE];
  guint8 kek[KEK_SIZE];
  gint64 created;
  guint8 secret[SEECITV_KEYSTORE_MAX_SECRET_SIZE];
  gsize secret_len;
} Device;

typedef struct
{
  guint8 clip_id[SEECITV_CLIP_ID_SIZE]; /* first: the hash key */
  gchar *device_id;
  guint8 kek_id[SEECITV_CLIP_ID_SIZE];
  guint8 data_key_id[SEECITV_CLIP_ID_SIZE];
  guint8 wrapped[WRAPPED_SIZE];
  gchar *path;
  gint64 start_time;
  gint64 end_time;
} Clip;

typedef struct
{
  gint64 time;
  guint8 action;
  guint8 clip_id[SEECITV_CLIP_ID_SIZE];
  gchar *device_id;             /* "" when unknown */
  gchar *path;
  gchar *user;
  gchar *process;
} Access;

struct _SeecitvKeystore
{
  gchar *path;                  /* NULL for an in-memory keystore */
  guint8 file_key[SEECITV_KEYSTORE_MASTER_KEY_SIZE];
  guint8 protection;
  guint8 salt[SALT_SIZE];
  SeecitvKeystoreKdfParams kdf;
  /* The nonce of the file as last read or written: a save first checks
   * that the file on disk still carries it. */
  guint8 nonce[NONCE_SIZE];
  /* The format version of the file as read (the writer writes the
   * newest). */
  guint version;
  guint write_version;          /* KEYSTORE_VERSION but in tests */
  /* How the file key was obtained when opened by
   * seecitv_keystore_open_default(), so that a reload after a key
   * rotation can obtain the new one; NULL otherwise. */
  gchar *key_path;
  gchar *passphrase_file;

  GHashTable *devices;          /* id -> Device */
  GHashTable *clips;            /* clip_id -> Clip */
  GPtrArray *access;            /* Access, oldest first */
};

static gboolean fail_before_rename = FALSE;
static gboolean fail_before_key_commit = FALSE;

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

static void
device_free (Device * d)
{
  g_free (d->id);
  OPENSSL_cleanse (d, sizeof (*d));
  g_free (d);
}

static void
clip_free (Clip * c)
{
  g_free (c->device_id);
  g_free (c->path);
  OPENSSL_cleanse (c, sizeof (*c));
  g_free (c);
}

static void
access_free (Access * a)
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

static SeecitvKeystore *
keystore_new (void)
{
  SeecitvKeystore *ks = g_new0 (SeecitvKeystore, 1);

  ks->devices = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      (GDestroyNotify) device_free);
  ks->clips = g_hash_table_new_full (clip_id_hash, clip_id_equal, NULL,
      (GDestroyNotify) clip_free);
  ks->access = g_ptr_array_new_with_free_func ((GDestroyNotify) access_free);
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

static gboolean
check_kdf_params (const SeecitvKeystoreKdfParams * p, gint code,
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

static gboolean
derive_key (const gchar * passphrase, gsize passphrase_len,
    const guint8 * salt, const SeecitvKeystoreKdfParams * p, guint8 * key,
    GError ** error)
{
  EVP_KDF *kdf;
  EVP_KDF_CTX *kctx = NULL;
  OSSL_PARAM params[7];
  uint64_t n = G_GUINT64_CONSTANT (1) << p->log2_n;
  uint32_t r = p->r, par = p->p;
  uint64_t maxmem = SCRYPT_MAX_MEM + G_GUINT64_CONSTANT (16) * 1024 * 1024;
  gboolean ok = FALSE;

  seecitv_crypto_clear_errors ();
  kdf = EVP_KDF_fetch (NULL, OSSL_KDF_NAME_SCRYPT, NULL);
  if (kdf != NULL)
    kctx = EVP_KDF_CTX_new (kdf);
  EVP_KDF_free (kdf);
  if (kctx == NULL)
    goto out;

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
  ok = EVP_KDF_derive (kctx, key, SEECITV_KEYSTORE_MASTER_KEY_SIZE,
      params) == 1;

out:
  if (!ok)
    seecitv_crypto_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_CRYPTO, "scrypt key derivation");
  EVP_KDF_CTX_free (kctx);
  return ok;
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
 * Envelope
 * ------------------------------------------------------------------------ */

/* Seals @payload into a whole keystore file image. */
static guint8 *
envelope_seal (SeecitvKeystore * ks, const guint8 * payload, gsize len,
    gsize * out_len, GError ** error)
{
  EVP_CIPHER *cipher = NULL;
  EVP_CIPHER_CTX *ctx = NULL;
  guint8 *out, *ct;
  int outl;
  gboolean ok;

  if (len > MAX_PAYLOAD) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID,
        "keystore too large (%" G_GSIZE_FORMAT " bytes)", len);
    return NULL;
  }

  out = g_malloc0 (ENVELOPE_HEADER_SIZE + len + TAG_SIZE);
  memcpy (out, keystore_magic, sizeof (keystore_magic));
  seecitv_store_be16 (out + OFF_VERSION, ks->write_version);
  out[OFF_PROTECTION] = ks->protection;
  if (ks->protection == PROTECTION_SCRYPT) {
    memcpy (out + OFF_SALT, ks->salt, SALT_SIZE);
    out[OFF_LOG2_N] = ks->kdf.log2_n;
    seecitv_store_be32 (out + OFF_R, ks->kdf.r);
    seecitv_store_be32 (out + OFF_P, ks->kdf.p);
  }
  seecitv_store_be32 (out + OFF_LENGTH, (guint32) len);
  if (!seecitv_crypto_random (out + OFF_NONCE, NONCE_SIZE,
          SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_CRYPTO, error)) {
    g_free (out);
    return NULL;
  }

  ct = out + ENVELOPE_HEADER_SIZE;
  seecitv_crypto_clear_errors ();
  cipher = EVP_CIPHER_fetch (NULL, "AES-256-GCM", NULL);
  ctx = EVP_CIPHER_CTX_new ();
  ok = cipher != NULL && ctx != NULL &&
      EVP_EncryptInit_ex2 (ctx, cipher, ks->file_key, out + OFF_NONCE,
      NULL) == 1 &&
      EVP_EncryptUpdate (ctx, NULL, &outl, out, ENVELOPE_HEADER_SIZE) == 1 &&
      (len == 0 || EVP_EncryptUpdate (ctx, ct, &outl, payload,
          (int) len) == 1) &&
      EVP_EncryptFinal_ex (ctx, ct + len, &outl) == 1 &&
      EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_GET_TAG, TAG_SIZE, ct + len) == 1;
  EVP_CIPHER_CTX_free (ctx);
  EVP_CIPHER_free (cipher);
  if (!ok) {
    seecitv_crypto_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_CRYPTO, "sealing the keystore");
    g_free (out);
    return NULL;
  }
  *out_len = ENVELOPE_HEADER_SIZE + len + TAG_SIZE;
  return out;
}

/* Checks the envelope header and fills @ks's protection fields; returns
 * the payload length. */
static gboolean
envelope_parse_header (SeecitvKeystore * ks, const guint8 * data, gsize len,
    gsize * payload_len, GError ** error)
{
  gsize i;

  if (len < ENVELOPE_HEADER_SIZE + TAG_SIZE ||
      memcmp (data, keystore_magic, sizeof (keystore_magic)) != 0) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_BAD_FORMAT, "not a seecitv keystore");
    return FALSE;
  }
  ks->version = seecitv_load_be16 (data + OFF_VERSION);
  if (ks->version > KEYSTORE_VERSION) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION,
        "the keystore has format version %u, written by a newer seecitv; "
        "this one reads versions %d to %d: upgrade seecitv", ks->version,
        KEYSTORE_MIN_VERSION, KEYSTORE_VERSION);
    return FALSE;
  }
  if (ks->version < KEYSTORE_MIN_VERSION) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_UNSUPPORTED_VERSION,
        "keystore format version %u does not exist (this seecitv reads "
        "versions %d to %d)", ks->version, KEYSTORE_MIN_VERSION,
        KEYSTORE_VERSION);
    return FALSE;
  }
  ks->protection = data[OFF_PROTECTION];
  if (data[OFF_RESERVED1] != 0 || data[OFF_RESERVED2] != 0 ||
      data[OFF_RESERVED2 + 1] != 0 || data[OFF_RESERVED2 + 2] != 0)
    goto bad;
  if (ks->protection == PROTECTION_KEY_FILE) {
    for (i = OFF_SALT; i < OFF_NONCE; i++)
      if (data[i] != 0)
        goto bad;
  } else if (ks->protection == PROTECTION_SCRYPT) {
    memcpy (ks->salt, data + OFF_SALT, SALT_SIZE);
    ks->kdf.log2_n = data[OFF_LOG2_N];
    ks->kdf.r = seecitv_load_be32 (data + OFF_R);
    ks->kdf.p = seecitv_load_be32 (data + OFF_P);
    if (!check_kdf_params (&ks->kdf, SEECITV_KEYSTORE_ERROR_BAD_FORMAT, error))
      return FALSE;
  } else {
    goto bad;
  }
  *payload_len = seecitv_load_be32 (data + OFF_LENGTH);
  if (*payload_len > MAX_PAYLOAD ||
      len != ENVELOPE_HEADER_SIZE + *payload_len + TAG_SIZE) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_BAD_FORMAT,
        "keystore length mismatch: %" G_GSIZE_FORMAT " bytes, header says %"
        G_GSIZE_FORMAT, len, *payload_len + ENVELOPE_HEADER_SIZE + TAG_SIZE);
    return FALSE;
  }
  memcpy (ks->nonce, data + OFF_NONCE, NONCE_SIZE);
  return TRUE;

bad:
  g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_BAD_FORMAT, "keystore header is malformed");
  return FALSE;
}

/* Returns the payload (free with payload_free) or NULL. */
static guint8 *
envelope_open (SeecitvKeystore * ks, const guint8 * data, gsize payload_len,
    GError ** error)
{
  EVP_CIPHER *cipher;
  EVP_CIPHER_CTX *ctx;
  const guint8 *ct = data + ENVELOPE_HEADER_SIZE;
  guint8 tag[TAG_SIZE];
  guint8 *payload = g_malloc (MAX (payload_len, 1));
  int outl;
  gboolean ok;

  memcpy (tag, ct + payload_len, TAG_SIZE);
  seecitv_crypto_clear_errors ();
  cipher = EVP_CIPHER_fetch (NULL, "AES-256-GCM", NULL);
  ctx = EVP_CIPHER_CTX_new ();
  ok = cipher != NULL && ctx != NULL &&
      EVP_DecryptInit_ex2 (ctx, cipher, ks->file_key, data + OFF_NONCE,
      NULL) == 1 &&
      EVP_DecryptUpdate (ctx, NULL, &outl, data, ENVELOPE_HEADER_SIZE) == 1 &&
      (payload_len == 0 || EVP_DecryptUpdate (ctx, payload, &outl, ct,
          (int) payload_len) == 1) &&
      EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_SET_TAG, TAG_SIZE, tag) == 1;
  if (!ok) {
    seecitv_crypto_set_error (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_CRYPTO, "opening the keystore");
  } else if (EVP_DecryptFinal_ex (ctx, tag, &outl) != 1) {
    seecitv_crypto_clear_errors ();
    ok = FALSE;
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_AUTH,
        "keystore does not authenticate: wrong master key or passphrase, "
        "or a damaged file");
  }
  EVP_CIPHER_CTX_free (ctx);
  EVP_CIPHER_free (cipher);
  if (!ok) {
    OPENSSL_cleanse (payload, payload_len);
    g_free (payload);
    return NULL;
  }
  return payload;
}

/* ------------------------------------------------------------------------
 * Payload records
 * ------------------------------------------------------------------------ */

typedef struct
{
  const guint8 *p;
  gsize left;
} Cursor;

static gboolean
cur_bytes (Cursor * c, gsize n, const guint8 ** out)
{
  if (c->left < n)
    return FALSE;
  *out = c->p;
  c->p += n;
  c->left -= n;
  return TRUE;
}

static gboolean
cur_copy (Cursor * c, guint8 * dst, gsize n)
{
  const guint8 *p;

  if (!cur_bytes (c, n, &p))
    return FALSE;
  memcpy (dst, p, n);
  return TRUE;
}

static gboolean
cur_u8 (Cursor * c, guint * v)
{
  const guint8 *p;

  if (!cur_bytes (c, 1, &p))
    return FALSE;
  *v = p[0];
  return TRUE;
}

static gboolean
cur_u16 (Cursor * c, guint * v)
{
  const guint8 *p;

  if (!cur_bytes (c, 2, &p))
    return FALSE;
  *v = seecitv_load_be16 (p);
  return TRUE;
}

static gboolean
cur_i64 (Cursor * c, gint64 * v)
{
  const guint8 *p;

  if (!cur_bytes (c, 8, &p))
    return FALSE;
  *v = (gint64) seecitv_load_be64 (p);
  return TRUE;
}

/* A length-prefixed string without NUL bytes; NULL if malformed. */
static gchar *
cur_string (Cursor * c, gsize len)
{
  const guint8 *p;

  if (!cur_bytes (c, len, &p) || memchr (p, '\0', len) != NULL)
    return NULL;
  return g_strndup ((const gchar *) p, len);
}

/* Stable on equal times: g_ptr_array_sort is a merge sort. */
static gint
compare_access (gconstpointer a, gconstpointer b)
{
  const Access *x = *(const Access * const *) a;
  const Access *y = *(const Access * const *) b;

  return x->time < y->time ? -1 : x->time > y->time;
}

static gboolean
parse_device (SeecitvKeystore * ks, Cursor * c)
{
  Device *d = g_new0 (Device, 1);
  guint id_len, secret_len;

  if (!cur_u8 (c, &id_len) || (d->id = cur_string (c, id_len)) == NULL ||
      !seecitv_keystore_device_id_is_valid (d->id) ||
      !cur_copy (c, d->kek_id, SEECITV_CLIP_ID_SIZE) ||
      !cur_copy (c, d->kek, KEK_SIZE) || !cur_i64 (c, &d->created) ||
      !cur_u16 (c, &secret_len) ||
      secret_len > SEECITV_KEYSTORE_MAX_SECRET_SIZE ||
      !cur_copy (c, d->secret, secret_len) || c->left != 0 ||
      g_hash_table_contains (ks->devices, d->id)) {
    device_free (d);
    return FALSE;
  }
  d->secret_len = secret_len;
  g_hash_table_insert (ks->devices, d->id, d);
  return TRUE;
}

static gboolean
parse_clip (SeecitvKeystore * ks, Cursor * c)
{
  Clip *k = g_new0 (Clip, 1);
  guint dev_len, path_len;

  if (!cur_copy (c, k->clip_id, SEECITV_CLIP_ID_SIZE) ||
      !cur_u8 (c, &dev_len) ||
      (k->device_id = cur_string (c, dev_len)) == NULL ||
      !cur_copy (c, k->kek_id, SEECITV_CLIP_ID_SIZE) ||
      !cur_copy (c, k->data_key_id, SEECITV_CLIP_ID_SIZE) ||
      !cur_copy (c, k->wrapped, WRAPPED_SIZE) ||
      !cur_i64 (c, &k->start_time) || !cur_i64 (c, &k->end_time) ||
      !cur_u16 (c, &path_len) || path_len > SEECITV_KEYSTORE_MAX_PATH ||
      (k->path = cur_string (c, path_len)) == NULL || c->left != 0 ||
      g_hash_table_contains (ks->clips, k->clip_id)) {
    clip_free (k);
    return FALSE;
  }
  g_hash_table_insert (ks->clips, k->clip_id, k);
  return TRUE;
}

static gboolean
parse_access (SeecitvKeystore * ks, Cursor * c)
{
  Access *a = g_new0 (Access, 1);
  guint action, dev_len, path_len, user_len, proc_len;

  if (!cur_i64 (c, &a->time) || !cur_u8 (c, &action) ||
      action < SEECITV_ACCESS_EXPORT || action > SEECITV_ACCESS_SHEET ||
      !cur_copy (c, a->clip_id, SEECITV_CLIP_ID_SIZE) ||
      !cur_u8 (c, &dev_len) || (a->device_id = cur_string (c, dev_len)) == NULL
      || (dev_len > 0 && !seecitv_keystore_device_id_is_valid (a->device_id))
      || !cur_u16 (c, &path_len) || path_len > SEECITV_KEYSTORE_MAX_PATH ||
      (a->path = cur_string (c, path_len)) == NULL ||
      !cur_u8 (c, &user_len) || (a->user = cur_string (c, user_len)) == NULL ||
      !cur_u8 (c, &proc_len) ||
      (a->process = cur_string (c, proc_len)) == NULL || c->left != 0) {
    access_free (a);
    return FALSE;
  }
  a->action = action;
  g_ptr_array_add (ks->access, a);
  return TRUE;
}

static gboolean
parse_payload (SeecitvKeystore * ks, const guint8 * data, gsize len,
    GError ** error)
{
  Cursor c = { data, len };
  GHashTableIter iter;
  Clip *k;
  guint n = 0, type = 0;

  while (c.left > 0) {
    const guint8 *h, *body;
    Cursor rc;
    gboolean ok;

    if (!cur_bytes (&c, RECORD_HEADER_SIZE, &h) ||
        !cur_bytes (&c, seecitv_load_be32 (h + 1), &body))
      goto bad;
    rc.p = body;
    rc.left = seecitv_load_be32 (h + 1);
    type = h[0];
    if (h[0] == RECORD_DEVICE)
      ok = parse_device (ks, &rc);
    else if (h[0] == RECORD_CLIP)
      ok = parse_clip (ks, &rc);
    else if (h[0] == RECORD_ACCESS && ks->version >= 2)
      ok = parse_access (ks, &rc);
    else
      goto unknown;
    if (!ok)
      goto bad;
    n++;
  }

  /* Every clip key must be wrapped by a KEK that is here. */
  g_hash_table_iter_init (&iter, ks->clips);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) & k)) {
    Device *d = g_hash_table_lookup (ks->devices, k->device_id);

    if (d == NULL || memcmp (d->kek_id, k->kek_id, SEECITV_CLIP_ID_SIZE)) {
      g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_BAD_FORMAT,
          "keystore holds a clip key whose device key is missing");
      return FALSE;
    }
  }
  /* The log is kept in time order whatever order the file had. */
  g_ptr_array_sort (ks->access, compare_access);
  return TRUE;

bad:
  g_set_error (error, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_BAD_FORMAT,
      "keystore record %u is malformed (at byte %" G_GSIZE_FORMAT
      " of the payload)", n, len - c.left);
  return FALSE;

unknown:
  /* A version's record types are fixed: a new type comes with a new
   * version, which older readers refuse by number. */
  g_set_error (error, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_BAD_FORMAT,
      "keystore record %u has type %u, which format version %u does not "
      "have", n, type, ks->version);
  return FALSE;
}

/* g_hash_table_get_values_as_ptr_array () needs GLib 2.76. */
static GPtrArray *
table_values (GHashTable * table)
{
  GPtrArray *values = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (values, value);
  return values;
}

static gint
compare_device_ids (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

static gint
compare_clips (gconstpointer a, gconstpointer b)
{
  const Clip *x = *(const Clip * const *) a;
  const Clip *y = *(const Clip * const *) b;

  if (x->start_time != y->start_time)
    return x->start_time < y->start_time ? -1 : 1;
  return memcmp (x->clip_id, y->clip_id, SEECITV_CLIP_ID_SIZE);
}

static guint8 *
put_record (guint8 * p, guint type, gsize body_len)
{
  p[0] = type;
  seecitv_store_be32 (p + 1, (guint32) body_len);
  return p + RECORD_HEADER_SIZE;
}

static guint8 *
put (guint8 * p, const void *src, gsize n)
{
  memcpy (p, src, n);
  return p + n;
}

static guint8 *
put_string8 (guint8 * p, const gchar * s)
{
  gsize n = strlen (s);

  *p++ = n;
  return put (p, s, n);
}

static gsize
access_body_size (const Access * a)
{
  return 8 + 1 + SEECITV_CLIP_ID_SIZE + 1 + strlen (a->device_id) + 2 +
      strlen (a->path) + 1 + strlen (a->user) + 1 + strlen (a->process);
}

/* The payload in one exactly sized allocation, so that no realloc leaves
 * key material behind; the caller wipes and frees it. */
static guint8 *
build_payload (SeecitvKeystore * ks, gsize * out_len)
{
  GPtrArray *devices = table_values (ks->devices);
  GPtrArray *clips = table_values (ks->clips);
  gsize total = 0, i;
  guint8 *buf, *p;

  g_ptr_array_sort (devices, compare_device_ids);
  g_ptr_array_sort (clips, compare_clips);

  for (i = 0; i < devices->len; i++) {
    Device *d = devices->pdata[i];

    total += RECORD_HEADER_SIZE + 1 + strlen (d->id) + SEECITV_CLIP_ID_SIZE +
        KEK_SIZE + 8 + 2 + d->secret_len;
  }
  for (i = 0; i < clips->len; i++) {
    Clip *k = clips->pdata[i];

    total += RECORD_HEADER_SIZE + SEECITV_CLIP_ID_SIZE + 1 +
        strlen (k->device_id) + 2 * SEECITV_CLIP_ID_SIZE + WRAPPED_SIZE +
        8 + 8 + 2 + strlen (k->path);
  }
  for (i = 0; i < ks->access->len; i++)
    total += RECORD_HEADER_SIZE + access_body_size (ks->access->pdata[i]);

  buf = p = g_malloc (MAX (total, 1));
  for (i = 0; i < devices->len; i++) {
    Device *d = devices->pdata[i];
    gsize id_len = strlen (d->id);

    p = put_record (p, RECORD_DEVICE, 1 + id_len + SEECITV_CLIP_ID_SIZE +
        KEK_SIZE + 8 + 2 + d->secret_len);
    *p++ = id_len;
    p = put (p, d->id, id_len);
    p = put (p, d->kek_id, SEECITV_CLIP_ID_SIZE);
    p = put (p, d->kek, KEK_SIZE);
    seecitv_store_be64 (p, d->created);
    p += 8;
    seecitv_store_be16 (p, d->secret_len);
    p += 2;
    p = put (p, d->secret, d->secret_len);
  }
  for (i = 0; i < clips->len; i++) {
    Clip *k = clips->pdata[i];
    gsize dev_len = strlen (k->device_id), path_len = strlen (k->path);

    p = put_record (p, RECORD_CLIP, SEECITV_CLIP_ID_SIZE + 1 + dev_len +
        2 * SEECITV_CLIP_ID_SIZE + WRAPPED_SIZE + 8 + 8 + 2 + path_len);
    p = put (p, k->clip_id, SEECITV_CLIP_ID_SIZE);
    *p++ = dev_len;
    p = put (p, k->device_id, dev_len);
    p = put (p, k->kek_id, SEECITV_CLIP_ID_SIZE);
    p = put (p, k->data_key_id, SEECITV_CLIP_ID_SIZE);
    p = put (p, k->wrapped, WRAPPED_SIZE);
    seecitv_store_be64 (p, k->start_time);
    p += 8;
    seecitv_store_be64 (p, k->end_time);
    p += 8;
    seecitv_store_be16 (p, path_len);
    p += 2;
    p = put (p, k->path, path_len);
  }
  for (i = 0; i < ks->access->len; i++) {
    Access *a = ks->access->pdata[i];

    p = put_record (p, RECORD_ACCESS, access_body_size (a));
    seecitv_store_be64 (p, a->time);
    p += 8;
    *p++ = a->action;
    p = put (p, a->clip_id, SEECITV_CLIP_ID_SIZE);
    p = put_string8 (p, a->device_id);
    seecitv_store_be16 (p, strlen (a->path));
    p = put (p + 2, a->path, strlen (a->path));
    p = put_string8 (p, a->user);
    p = put_string8 (p, a->process);
  }
  g_assert ((gsize) (p - buf) == total);

  g_ptr_array_unref (devices);
  g_ptr_array_unref (clips);
  *out_len = total;
  return buf;
}

/**
 * seecitv_keystore_serialize:
 *
 * Returns: (transfer full): the whole file image, sealed with a fresh
 *   nonce (ciphertext only: no need to wipe it); g_free() it
 */
guint8 *
seecitv_keystore_serialize (SeecitvKeystore * ks, gsize * len, GError ** error)
{
  gsize payload_len;
  guint8 *payload, *out;

  g_return_val_if_fail (ks != NULL, NULL);
  g_return_val_if_fail (len != NULL, NULL);

  payload = build_payload (ks, &payload_len);
  out = envelope_seal (ks, payload, payload_len, len, error);
  OPENSSL_cleanse (payload, payload_len);
  g_free (payload);
  return out;
}

guint8 *
seecitv_keystore_seal_payload (const guint8 * payload, gsize len,
    const guint8 * master_key, gsize * out_len, GError ** error)
{
  return seecitv_keystore_seal_payload_version (payload, len, KEYSTORE_VERSION,
      master_key, out_len, error);
}

/* The same, with @version in the header (an older or newer format, for
 * tests). */
guint8 *
seecitv_keystore_seal_payload_version (const guint8 * payload, gsize len,
    guint version, const guint8 * master_key, gsize * out_len,
    GError ** error)
{
  SeecitvKeystore *ks = keystore_new ();
  guint8 *out;

  ks->protection = PROTECTION_KEY_FILE;
  ks->write_version = version;
  memcpy (ks->file_key, master_key, SEECITV_KEYSTORE_MASTER_KEY_SIZE);
  out = envelope_seal (ks, payload, len, out_len, error);
  seecitv_keystore_free (ks);
  return out;
}

/* Exactly one of @master_key and @passphrase is non-NULL. */
static SeecitvKeystore *
keystore_parse (const guint8 * data, gsize len, const guint8 * master_key,
    const gchar * passphrase, gsize passphrase_len, GError ** error)
{
  SeecitvKeystore *ks = keystore_new ();
  gsize payload_len;
  guint8 *payload;
  gboolean ok;

  if (!envelope_parse_header (ks, data, len, &payload_len, error))
    goto fail;

  if (ks->protection == PROTECTION_KEY_FILE && master_key == NULL) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_PROTECTION,
        "this keystore is protected by a master key file, not a passphrase");
    goto fail;
  }
  if (ks->protection == PROTECTION_SCRYPT && passphrase == NULL) {
    g_set_error_literal (error, SEECITV_KEYSTORE_ERROR,
        SEECITV_KEYSTORE_ERROR_PROTECTION,
        "this keystore is protected by a passphrase, not a master key file");
    goto fail;
  }
  if (master_key != NULL) {
    memcpy (ks->file_key, master_key, SEECITV_KEYSTORE_MASTER_KEY_SIZE);
  } else if (!derive_key (passphrase, passphrase_len, ks->salt, &ks->kdf,
          ks->file_key, error)) {
    goto fail;
  }

  payload = envelope_open (ks, data, payload_len, error);
  if (payload == NULL)
    goto fail;
  ok = parse_payload (ks, payload, payload_len, error);
  OPENSSL_cleanse (payload, payload_len);
  g_free (payload);
  if (!ok)
    goto fail;
  return ks;

fail:
  seecitv_keystore_free (ks);
  return NULL;
}

/**
 * seecitv_keystore_new_from_data:
 *
 * Parses a keystore file image protected by @master_key. The result has no
 * path: it cannot be saved. Meant for the fuzzer and for tools that read a
 * copy.
 */
SeecitvKeystore *
seecitv_keystore_new_from_data (const guint8 * data, gsize len,
    const guint8 * master_key, GError ** error)
{
  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (master_key != NULL, NULL);

  return keystore_parse (data, len, master_key, NULL, 0, error);
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
static guint8 *
read_file (const gchar * path, gsize max, gsize * len, GError ** error)
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
 * and its keystore holds shared (open_with_key_file()). With @rekey, the file is
 * written under @rekey's key; a key file is replaced in the same lock:
 * the new key goes to KEY.new first, the keystore is replaced, the old
 * key file is overwritten and KEY.new renamed over it. */
static gboolean
keystore_write_file (SeecitvKeystore * ks, gboolean create, Rekey * rekey,
    GError ** error)
{
  gchar *dir = NULL, *base = NULL, *tmp = NULL;
  guint8 *data = NULL;
  guint8 disk_nonce[NONCE_SIZE];
  gsize len;
  int dirfd, fd = -1;
  gboolean ok = FALSE, swapped = FALSE;

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
  if (!check_kdf_params (&r.kdf, SEECITV_KEYSTORE_ERROR_INVALID, error))
    return FALSE;
  r.protection = PROTECTION_SCRYPT;
  ok = seecitv_crypto_random (r.salt, SALT_SIZE, SEECITV_KEYSTORE_ERROR,
      SEECITV_KEYSTORE_ERROR_CRYPTO, error) &&
      derive_key (passphrase, passphrase_len, r.salt, &r.kdf, r.file_key,
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

  ks = keystore_new ();
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
  if (!check_kdf_params (params, SEECITV_KEYSTORE_ERROR_INVALID, error))
    return NULL;

  ks = keystore_new ();
  ks->protection = PROTECTION_SCRYPT;
  ks->kdf = *params;
  if (!seecitv_crypto_random (ks->salt, SALT_SIZE, SEECITV_KEYSTORE_ERROR,
          SEECITV_KEYSTORE_ERROR_CRYPTO, error) ||
      !derive_key (passphrase, passphrase_len, ks->salt, &ks->kdf,
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

  data = read_file (path, ENVELOPE_HEADER_SIZE + MAX_PAYLOAD + TAG_SIZE,
      &len, error);
  if (data == NULL)
    return NULL;
  ks = keystore_parse (data, len, master_key, passphrase, passphrase_len,
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
    device_free (d);
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
 * of its clips. Takes effect on disk at the next save.
 */
gboolean
seecitv_keystore_forget_device (SeecitvKeystore * ks,
    const gchar * device_id, GError ** error)
{
  g_return_val_if_fail (ks != NULL, FALSE);

  if (lookup_device (ks, device_id, error) == NULL)
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
  g_ptr_array_sort (ids, compare_device_ids);
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

static gboolean
check_path (const gchar * path, GError ** error)
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

  if (!check_path (path, error))
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
  g_hash_table_insert (ks->clips, k->clip_id, k);

  memcpy (key, dk, sizeof (dk));
  memcpy (ids->clip_id, k->clip_id, SEECITV_CLIP_ID_SIZE);
  memcpy (ids->kek_id, k->kek_id, SEECITV_CLIP_ID_SIZE);
  memcpy (ids->data_key_id, k->data_key_id, SEECITV_CLIP_ID_SIZE);
  OPENSSL_cleanse (dk, sizeof (dk));
  return TRUE;

fail:
  OPENSSL_cleanse (dk, sizeof (dk));
  clip_free (k);
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
  /* parse_payload() and forget_device() keep this invariant. */
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

  if (!check_path (path, error))
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

  clips = table_values (ks->clips);
  g_ptr_array_sort (clips, compare_clips);
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
  data = read_file (path, SEECITV_KEYSTORE_MAX_PASSPHRASE + 2, &n, error);
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
static SeecitvKeystore *
open_with_key_file (const gchar * path, const gchar * key_path,
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
    data = read_file (path, ENVELOPE_HEADER_SIZE + MAX_PAYLOAD + TAG_SIZE,
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
    ks = keystore_parse (data, len, key, NULL, 0, &err);
  if (ks == NULL && have_pending && (err == NULL ||
          g_error_matches (err, SEECITV_KEYSTORE_ERROR,
              SEECITV_KEYSTORE_ERROR_AUTH))) {
    g_clear_error (&err);
    ks = keystore_parse (data, len, pending_key, NULL, 0, &err);
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
static void
keystore_take (SeecitvKeystore * ks, SeecitvKeystore * from)
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

    ks = open_with_key_file (path, key_path, error);
    g_free (key_path);
  }
  return ks;
}

/* ------------------------------------------------------------------------
 * Access log
 * ------------------------------------------------------------------------ */

/**
 * seecitv_keystore_access_now:
 *
 * The clock of the access log: `$SEECITV_NOW` when set (an ISO 8601 date
 * and time, e.g. `2026-03-01T12:00:00Z`; for tests), else the real time.
 *
 * Returns: microseconds since the Unix epoch
 */
gint64
seecitv_keystore_access_now (void)
{
  const gchar *env = g_getenv ("SEECITV_NOW");

  if (env != NULL && *env) {
    GTimeZone *utc = g_time_zone_new_utc ();
    GDateTime *dt = g_date_time_new_from_iso8601 (env, utc);

    g_time_zone_unref (utc);
    if (dt != NULL) {
      gint64 t = g_date_time_to_unix (dt) * G_USEC_PER_SEC +
          g_date_time_get_microsecond (dt);

      g_date_time_unref (dt);
      return t;
    }
    g_warning ("SEECITV_NOW is not an ISO 8601 date and time: ignored");
  }
  return g_get_real_time ();
}

/**
 * seecitv_keystore_access_cutoff:
 *
 * Returns: the oldest time an access entry may have at @now: the same
 *   instant %SEECITV_KEYSTORE_ACCESS_RETENTION_MONTHS calendar months
 *   earlier (UTC; a day missing in that month clamps to its last day)
 */
gint64
seecitv_keystore_access_cutoff (gint64 now)
{
  GDateTime *dt = g_date_time_new_from_unix_utc (now / G_USEC_PER_SEC);
  GDateTime *back;
  gint64 cutoff;

  if (dt == NULL)
    return G_MININT64;
  back = g_date_time_add_months (dt, -SEECITV_KEYSTORE_ACCESS_RETENTION_MONTHS);
  g_date_time_unref (dt);
  if (back == NULL)
    return G_MININT64;
  cutoff = g_date_time_to_unix (back) * G_USEC_PER_SEC + now % G_USEC_PER_SEC;
  g_date_time_unref (back);
  return cutoff;
}

/**
 * seecitv_keystore_expire_access:
 *
 * Removes the access entries older than seecitv_keystore_access_cutoff()
 * of @now (in memory; save to make it last).
 *
 * Returns: how many were removed
 */
guint
seecitv_keystore_expire_access (SeecitvKeystore * ks, gint64 now)
{
  gint64 cutoff;
  guint n = 0;

  g_return_val_if_fail (ks != NULL, 0);

  cutoff = seecitv_keystore_access_cutoff (now);
  while (n < ks->access->len &&
      ((Access *) ks->access->pdata[n])->time < cutoff)
    n++;
  if (n > 0)
    g_ptr_array_remove_range (ks->access, 0, n);
  return n;
}

/* At most @max bytes of @s, cut at a UTF-8 character boundary when @s is
 * UTF-8. */
static gchar *
bounded_copy (const gchar * s, gsize max)
{
  gsize n = s ? strlen (s) : 0;

  if (n > max) {
    const gchar *end = s + max;

    if (g_utf8_validate (s, -1, NULL))
      end = g_utf8_find_prev_char (s, s + max + 1);
    n = end - s;
  }
  return g_strndup (s ? s : "", n);
}

/**
 * seecitv_keystore_add_access:
 * @entry: @time, @action, @clip_id and @path are used as given (@path at
 *   most %SEECITV_KEYSTORE_MAX_PATH bytes); @device_id (nullable: "" if
 *   not a valid device id), @user and @process (nullable, cut to 255
 *   bytes) are copied
 * @now: the access log's clock, as seecitv_keystore_access_now()
 *
 * Appends @entry to the access log and removes the entries older than
 * three months before @now (in memory; save to make it last).
 */
gboolean
seecitv_keystore_add_access (SeecitvKeystore * ks,
    const SeecitvKeystoreAccess * entry, gint64 now, GError ** error)
{
  Access *a;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);

  if (entry->action < SEECITV_ACCESS_EXPORT ||
      entry->action > SEECITV_ACCESS_SHEET) {
    g_set_error (error, SEECITV_KEYSTORE_ERROR, SEECITV_KEYSTORE_ERROR_INVALID,
        "unknown access action %d", entry->action);
    return FALSE;
  }
  if (!check_path (entry->path, error))
    return FALSE;
  a = g_new0 (Access, 1);
  a->time = entry->time;
  a->action = entry->action;
  memcpy (a->clip_id, entry->clip_id, SEECITV_CLIP_ID_SIZE);
  a->device_id = g_strdup (entry->device_id != NULL &&
      seecitv_keystore_device_id_is_valid (entry->device_id) ?
      entry->device_id : "");
  a->path = g_strdup (entry->path ? entry->path : "");
  a->user = bounded_copy (entry->user, ACCESS_MAX_NAME);
  a->process = bounded_copy (entry->process, ACCESS_MAX_NAME);
  g_ptr_array_add (ks->access, a);
  g_ptr_array_sort (ks->access, compare_access);
  seecitv_keystore_expire_access (ks, now);
  return TRUE;
}

void
seecitv_keystore_access_free (SeecitvKeystoreAccess * entry)
{
  if (entry == NULL)
    return;
  g_free (entry->device_id);
  g_free (entry->path);
  g_free (entry->user);
  g_free (entry->process);
  g_free (entry);
}

/**
 * seecitv_keystore_list_access:
 *
 * Returns: (transfer full) (element-type SeecitvKeystoreAccess): the access
 *   log, oldest first; g_ptr_array_unref() it
 */
GPtrArray *
seecitv_keystore_list_access (SeecitvKeystore * ks)
{
  GPtrArray *out;
  guint i;

  g_return_val_if_fail (ks != NULL, NULL);

  out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      seecitv_keystore_access_free);
  for (i = 0; i < ks->access->len; i++) {
    Access *a = ks->access->pdata[i];
    SeecitvKeystoreAccess *e = g_new0 (SeecitvKeystoreAccess, 1);

    e->time = a->time;
    e->action = a->action;
    memcpy (e->clip_id, a->clip_id, SEECITV_CLIP_ID_SIZE);
    e->device_id = g_strdup (a->device_id);
    e->path = g_strdup (a->path);
    e->user = g_strdup (a->user);
    e->process = g_strdup (a->process);
    g_ptr_array_add (out, e);
  }
  return out;
}

const gchar *
seecitv_keystore_access_action_name (SeecitvAccessAction action)
{
  switch (action) {
    case SEECITV_ACCESS_EXPORT:
      return "export";
    case SEECITV_ACCESS_PLAY:
      return "play";
    case SEECITV_ACCESS_SHEET:
      return "sheet";
    default:
      return "unknown";
  }
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
    fresh = open_with_key_file (ks->path, ks->key_path, error);
    if (fresh == NULL)
      return FALSE;
    keystore_take (ks, fresh);
    seecitv_keystore_free (fresh);
    return TRUE;
  }
  data = read_file (ks->path, ENVELOPE_HEADER_SIZE + MAX_PAYLOAD + TAG_SIZE,
      &len, error);
  if (data == NULL)
    return FALSE;
  fresh = keystore_new ();
  if (!envelope_parse_header (fresh, data, len, &payload_len, error))
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
      keystore_take (ks, again);
      seecitv_keystore_free (again);
      ok = TRUE;
    }
    goto out;
  }
  memcpy (fresh->file_key, ks->file_key, sizeof (ks->file_key));
  payload = envelope_open (fresh, data, payload_len, error);
  if (payload == NULL)
    goto out;
  ok = parse_payload (fresh, payload, payload_len, error);
  OPENSSL_cleanse (payload, payload_len);
  g_free (payload);
  if (ok)
    keystore_take (ks, fresh);

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

/* "NAME (uid N)" of the calling user. */
static gchar *
current_user (void)
{
  return g_strdup_printf ("%s (uid %u)", g_get_user_name (),
      (guint) getuid ());
}

/* "PROGRAM[PID]" of the calling process. */
static gchar *
current_process (void)
{
  const gchar *prg = g_get_prgname ();
  gchar *comm = NULL, *s;

  if (prg == NULL && g_file_get_contents ("/proc/self/comm", &comm, NULL,
          NULL))
    g_strchomp (comm);
  s = g_strdup_printf ("%s[%d]", prg ? prg : (comm ? comm : "?"),
      (int) getpid ());
  g_free (comm);
  return s;
}

/**
 * seecitv_keystore_record_access:
 * @clip_path: (nullable): the file that was read
 *
 * Writes one access log entry (now, @action, the clip, its device from the
 * index, the user and the process) and saves the keystore, expiring
 * entries older than three months. When someone else saved meanwhile, the
 * keystore is reloaded (seecitv_keystore_reload(): unsaved changes are
 * lost) and the entry written again, a few times.
 */
typedef struct
{
  SeecitvKeystoreAccess entry;
  const guint8 *clip_id;
  const gchar *clip_path;
} AccessChange;

static gboolean
record_access_change (SeecitvKeystore * ks, gpointer data, GError ** error)
{
  AccessChange *a = data;
  Clip *k = g_hash_table_lookup (ks->clips, a->clip_id);
  gint64 now = seecitv_keystore_access_now ();

  a->entry.time = now;
  a->entry.device_id = k ? k->device_id : NULL;
  a->entry.path = (gchar *) (a->clip_path ? a->clip_path :
      (k ? k->path : NULL));
  return seecitv_keystore_add_access (ks, &a->entry, now, error);
}

gboolean
seecitv_keystore_record_access (SeecitvKeystore * ks,
    SeecitvAccessAction action, const guint8 * clip_id,
    const gchar * clip_path, GError ** error)
{
  AccessChange a = { {0} };
  gboolean ok;

  g_return_val_if_fail (ks != NULL, FALSE);
  g_return_val_if_fail (clip_id != NULL, FALSE);

  a.entry.action = action;
  memcpy (a.entry.clip_id, clip_id, SEECITV_CLIP_ID_SIZE);
  a.clip_id = clip_id;
  a.clip_path = clip_path;
  a.entry.user = current_user ();
  a.entry.process = current_process ();
  ok = seecitv_keystore_update (ks, record_access_change, &a, error);
  g_free (a.entry.user);
  g_free (a.entry.process);
  return ok;
}
