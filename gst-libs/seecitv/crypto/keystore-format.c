/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The keystore's bytes (docs/clip-format.md, "Keystore"): the file
 * envelope (AES-256-GCM under the master key or a scrypt-derived key),
 * the payload records (devices, clips, access log entries) and format
 * versions, the key derivation and key wrapping. The payload parser reads
 * outside data and is fuzzed (tests/fuzz/fuzz-keystore.c).
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

/* static: this library is linked into the tools and into the plugins they
 * load, and a global of the same name in two modules of one process is an
 * ODR violation (ASan aborts on it) */
static const guint8 seecitv_ks_magic[8] = {
  0x89, 'S', 'C', 'T', 'V', 'K', 'S', '\n'
};

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
  memcpy (out, seecitv_ks_magic, sizeof (seecitv_ks_magic));
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
gboolean
seecitv_ks_envelope_parse_header (SeecitvKeystore * ks, const guint8 * data, gsize len,
    gsize * payload_len, GError ** error)
{
  gsize i;

  if (len < ENVELOPE_HEADER_SIZE + TAG_SIZE ||
      memcmp (data, seecitv_ks_magic, sizeof (seecitv_ks_magic)) != 0) {
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
    if (!seecitv_ks_check_kdf_params (&ks->kdf, SEECITV_KEYSTORE_ERROR_BAD_FORMAT, error))
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
guint8 *
seecitv_ks_envelope_open (SeecitvKeystore * ks, const guint8 * data, gsize payload_len,
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
gint
seecitv_ks_compare_access (gconstpointer a, gconstpointer b)
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
    seecitv_ks_device_free (d);
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
  guint dev_len, path_len, state;

  if (!cur_copy (c, k->clip_id, SEECITV_CLIP_ID_SIZE) ||
      !cur_u8 (c, &dev_len) ||
      (k->device_id = cur_string (c, dev_len)) == NULL ||
      !cur_copy (c, k->kek_id, SEECITV_CLIP_ID_SIZE) ||
      !cur_copy (c, k->data_key_id, SEECITV_CLIP_ID_SIZE) ||
      !cur_copy (c, k->wrapped, WRAPPED_SIZE) ||
      !cur_i64 (c, &k->start_time) || !cur_i64 (c, &k->end_time) ||
      !cur_u16 (c, &path_len) || path_len > SEECITV_KEYSTORE_MAX_PATH ||
      (k->path = cur_string (c, path_len)) == NULL)
    goto bad;
  if (ks->version >= 3) {
    if (!cur_u8 (c, &state) || state > SEECITV_CLIP_STATE_TRUNCATED)
      goto bad;
  } else {
    /* Before version 3 an end time was written only once the clip was
     * sealed (or renamed by seecitvsink); without one, its writer may be
     * alive or dead: recording, as the index last knew it. */
    state = k->end_time >= 0 ? SEECITV_CLIP_STATE_COMPLETE :
        SEECITV_CLIP_STATE_RECORDING;
  }
  if (c->left != 0 || g_hash_table_contains (ks->clips, k->clip_id))
    goto bad;
  k->state = state;
  g_hash_table_insert (ks->clips, k->clip_id, k);
  return TRUE;

bad:
  seecitv_ks_clip_free (k);
  return FALSE;
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
    seecitv_ks_access_free (a);
    return FALSE;
  }
  a->action = action;
  g_ptr_array_add (ks->access, a);
  return TRUE;
}

/* The generation marker's path: absolute, at most one record. */
static gboolean
parse_marker (SeecitvKeystore * ks, Cursor * c)
{
  guint n;
  gchar *path;

  if (ks->marker_path != NULL || !cur_u16 (c, &n) || n == 0 ||
      n > SEECITV_KEYSTORE_MAX_PATH)
    return FALSE;
  path = cur_string (c, n);
  if (path == NULL || c->left != 0 || !g_path_is_absolute (path)) {
    g_free (path);
    return FALSE;
  }
  ks->marker_path = path;
  return TRUE;
}

gboolean
seecitv_ks_parse_payload (SeecitvKeystore * ks, const guint8 * data, gsize len,
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
    else if (h[0] == RECORD_MARKER && ks->version >= 4)
      ok = parse_marker (ks, &rc);
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
  g_ptr_array_sort (ks->access, seecitv_ks_compare_access);
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
GPtrArray *
seecitv_ks_table_values (GHashTable * table)
{
  GPtrArray *values = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (values, value);
  return values;
}

gint
seecitv_ks_compare_device_ids (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

gint
seecitv_ks_compare_clips (gconstpointer a, gconstpointer b)
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
  GPtrArray *devices = seecitv_ks_table_values (ks->devices);
  GPtrArray *clips = seecitv_ks_table_values (ks->clips);
  gsize total = 0, i;
  guint8 *buf, *p;

  g_ptr_array_sort (devices, seecitv_ks_compare_device_ids);
  g_ptr_array_sort (clips, seecitv_ks_compare_clips);

  for (i = 0; i < devices->len; i++) {
    Device *d = devices->pdata[i];

    total += RECORD_HEADER_SIZE + 1 + strlen (d->id) + SEECITV_CLIP_ID_SIZE +
        KEK_SIZE + 8 + 2 + d->secret_len;
  }
  for (i = 0; i < clips->len; i++) {
    Clip *k = clips->pdata[i];

    total += RECORD_HEADER_SIZE + SEECITV_CLIP_ID_SIZE + 1 +
        strlen (k->device_id) + 2 * SEECITV_CLIP_ID_SIZE + WRAPPED_SIZE +
        8 + 8 + 2 + strlen (k->path) + 1;
  }
  for (i = 0; i < ks->access->len; i++)
    total += RECORD_HEADER_SIZE + access_body_size (ks->access->pdata[i]);
  if (ks->marker_path != NULL)
    total += RECORD_HEADER_SIZE + 2 + strlen (ks->marker_path);

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
        2 * SEECITV_CLIP_ID_SIZE + WRAPPED_SIZE + 8 + 8 + 2 + path_len + 1);
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
    *p++ = k->state;
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
  if (ks->marker_path != NULL) {
    gsize n = strlen (ks->marker_path);

    p = put_record (p, RECORD_MARKER, 2 + n);
    seecitv_store_be16 (p, n);
    p = put (p + 2, ks->marker_path, n);
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
  SeecitvKeystore *ks = seecitv_ks_keystore_new ();
  guint8 *out;

  ks->protection = PROTECTION_KEY_FILE;
  ks->write_version = version;
  memcpy (ks->file_key, master_key, SEECITV_KEYSTORE_MASTER_KEY_SIZE);
  out = envelope_seal (ks, payload, len, out_len, error);
  seecitv_keystore_free (ks);
  return out;
}

/* Exactly one of @master_key and @passphrase is non-NULL. */
SeecitvKeystore *
seecitv_ks_keystore_parse (const guint8 * data, gsize len, const guint8 * master_key,
    const gchar * passphrase, gsize passphrase_len, GError ** error)
{
  SeecitvKeystore *ks = seecitv_ks_keystore_new ();
  gsize payload_len;
  guint8 *payload;
  gboolean ok;

  if (!seecitv_ks_envelope_parse_header (ks, data, len, &payload_len, error))
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
  } else if (!seecitv_ks_derive_key (passphrase, passphrase_len, ks->salt, &ks->kdf,
          ks->file_key, error)) {
    goto fail;
  }

  payload = seecitv_ks_envelope_open (ks, data, payload_len, error);
  if (payload == NULL)
    goto fail;
  ok = seecitv_ks_parse_payload (ks, payload, payload_len, error);
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

  return seecitv_ks_keystore_parse (data, len, master_key, NULL, 0, error);
}
