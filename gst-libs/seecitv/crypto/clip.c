/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The clip format's framing (docs/clip-format.md is the specification):
 * header build/parse, the chunk writer and the incremental reader. All
 * cryptography is OpenSSL's AES-256-GCM through EVP; only the framing and
 * the STREAM nonce layout are written here. Key storage lives in
 * keystore.c, file handling in the elements and tools.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "clip.h"
#include "clip-private.h"
#include "cryptoutil.h"

#include <errno.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static const guint8 clip_magic[8] = {
  0x89, 'S', 'C', 'T', 'V', 'C', 'L', '\n'
};

/* Header layout, see docs/clip-format.md */
#define OFF_VERSION 8
#define OFF_FLAGS 10
#define OFF_CHUNK_SIZE 12
#define OFF_CLIP_ID 16
#define OFF_KEK_ID 32
#define OFF_DATA_KEY_ID 48
#define OFF_NONCE_PREFIX 64
#define OFF_RESERVED 71
#define OFF_TAG 72

#define NONCE_SIZE 12
#define FLAG_NON_FINAL 0x00
#define FLAG_FINAL 0x01
#define FLAG_HEADER 0x02

#define LENGTH_FINAL_BIT 0x80000000u
#define LENGTH_MASK 0x7fffffffu

/* Chunk indexes are 32-bit in the nonce: the final chunk must fit too. */
#define MAX_CHUNKS (G_GUINT64_CONSTANT (1) << 32)

GQuark
seecitv_clip_error_quark (void)
{
  return g_quark_from_static_string ("seecitv-clip-error-quark");
}

static void
make_nonce (guint8 * nonce, const guint8 * prefix, guint32 counter, guint8 flag)
{
  memcpy (nonce, prefix, SEECITV_CLIP_NONCE_PREFIX_SIZE);
  seecitv_store_be32 (nonce + SEECITV_CLIP_NONCE_PREFIX_SIZE, counter);
  nonce[NONCE_SIZE - 1] = flag;
}

static EVP_CIPHER_CTX *
gcm_context_new (const guint8 * key, gboolean encrypt, GError ** error)
{
  EVP_CIPHER *cipher;
  EVP_CIPHER_CTX *ctx;
  int ok;

  seecitv_crypto_clear_errors ();
  cipher = EVP_CIPHER_fetch (NULL, "AES-256-GCM", NULL);
  ctx = EVP_CIPHER_CTX_new ();
  if (cipher == NULL || ctx == NULL) {
    seecitv_crypto_set_error (error, SEECITV_CLIP_ERROR,
        SEECITV_CLIP_ERROR_CRYPTO, "AES-256-GCM setup");
    EVP_CIPHER_free (cipher);
    EVP_CIPHER_CTX_free (ctx);
    return NULL;
  }
  /* The key schedule is set once; every chunk only changes the nonce. */
  if (encrypt)
    ok = EVP_EncryptInit_ex2 (ctx, cipher, key, NULL, NULL);
  else
    ok = EVP_DecryptInit_ex2 (ctx, cipher, key, NULL, NULL);
  EVP_CIPHER_free (cipher);
  if (ok != 1) {
    seecitv_crypto_set_error (error, SEECITV_CLIP_ERROR,
        SEECITV_CLIP_ERROR_CRYPTO, "AES-256-GCM key setup");
    EVP_CIPHER_CTX_free (ctx);
    return NULL;
  }
  return ctx;
}

/* GMAC of the header's first OFF_TAG bytes: lets a reader tell a wrong key
 * from a damaged chunk before any chunk is read. */
static gboolean
header_tag (EVP_CIPHER_CTX * ctx, const guint8 * header, guint8 * tag,
    GError ** error)
{
  guint8 nonce[NONCE_SIZE];
  int outl;

  make_nonce (nonce, header + OFF_NONCE_PREFIX, 0, FLAG_HEADER);
  seecitv_crypto_clear_errors ();
  if (EVP_EncryptInit_ex2 (ctx, NULL, NULL, nonce, NULL) != 1 ||
      EVP_EncryptUpdate (ctx, NULL, &outl, header, OFF_TAG) != 1 ||
      EVP_EncryptFinal_ex (ctx, tag, &outl) != 1 ||
      EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_GET_TAG, SEECITV_CLIP_TAG_SIZE,
          tag) != 1) {
    seecitv_crypto_set_error (error, SEECITV_CLIP_ERROR,
        SEECITV_CLIP_ERROR_CRYPTO, "sealing the clip header");
    return FALSE;
  }
  return TRUE;
}

static gboolean
header_verify (EVP_CIPHER_CTX * ctx, const guint8 * header, GError ** error)
{
  guint8 nonce[NONCE_SIZE];
  guint8 tag[SEECITV_CLIP_TAG_SIZE];
  int outl;

  memcpy (tag, header + OFF_TAG, sizeof (tag));
  make_nonce (nonce, header + OFF_NONCE_PREFIX, 0, FLAG_HEADER);
  seecitv_crypto_clear_errors ();
  if (EVP_DecryptInit_ex2 (ctx, NULL, NULL, nonce, NULL) != 1 ||
      EVP_DecryptUpdate (ctx, NULL, &outl, header, OFF_TAG) != 1 ||
      EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_AEAD_SET_TAG, SEECITV_CLIP_TAG_SIZE,
          tag) != 1) {
    seecitv_crypto_set_error (error, SEECITV_CLIP_ERROR,
        SEECITV_CLIP_ERROR_CRYPTO, "checking the clip header");
    return FALSE;
  }
  if (EVP_DecryptFinal_ex (ctx, tag, &outl) != 1) {
    seecitv_crypto_clear_errors ();
    g_set_error_literal (error, SEECITV_CLIP_ERROR,
        SEECITV_CLIP_ERROR_WRONG_KEY,
        "the clip header does not authenticate: wrong key or damaged header");
    return FALSE;
  }
  return TRUE;
}

gboolean
seecitv_clip_header_parse (const guint8 * data, gsize len,
    SeecitvClipHeader * header, GError ** error)
{
  gsize magic_len;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (header != NULL, FALSE);

  magic_len = MIN (len, sizeof (clip_magic));
  if (magic_len > 0 && memcmp (data, clip_magic, magic_len) != 0) {
    g_set_error_literal (error, SEECITV_CLIP_ERROR,
        SEECITV_CLIP_ERROR_BAD_MAGIC, "not a seecitv clip (bad magic)");
    return FALSE;
  }
  if (len < SEECITV_CLIP_HEADER_SIZE) {
    g_set_error (error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_TRUNCATED,
        "clip header cut after %" G_GSIZE_FORMAT " of %d bytes", len,
        SEECITV_CLIP_HEADER_SIZE);
    return FALSE;
  }

  memset (header, 0, sizeof (*header));
  header->version = seecitv_load_be16 (data + OFF_VERSION);
  if (header->version != SEECITV_CLIP_VERSION) {
    g_set_error (error, SEECITV_CLIP_ERROR,
        SEECITV_CLIP_ERROR_UNSUPPORTED_VERSION,
        "clip format version %u is not supported (this reader knows %d)",
        header->version, SEECITV_CLIP_VERSION);
    return FALSE;
  }
  if (seecitv_load_be16 (data + OFF_FLAGS) != 0 || data[OFF_RESERVED] != 0) {
    g_set_error_literal (error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_CORRUPT,
        "clip header has unknown flags set");
    return FALSE;
  }
  header->chunk_size = seecitv_load_be32 (data + OFF_CHUNK_SIZE);
  if (header->chunk_size < 1 ||
      header->chunk_size > SEECITV_CLIP_MAX_CHUNK_SIZE) {
    g_set_error (error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_CORRUPT,
        "clip chunk size %u is out of range (1 to %d)", header->chunk_size,
        SEECITV_CLIP_MAX_CHUNK_SIZE);
    return FALSE;
  }
  memcpy (header->ids.clip_id, data + OFF_CLIP_ID, SEECITV_CLIP_ID_SIZE);
  memcpy (header->ids.kek_id, data + OFF_KEK_ID, SEECITV_CLIP_ID_SIZE);
  memcpy (header->ids.data_key_id, data + OFF_DATA_KEY_ID,
      SEECITV_CLIP_ID_SIZE);
  memcpy (header->nonce_prefix, data + OFF_NONCE_PREFIX,
      SEECITV_CLIP_NONCE_PREFIX_SIZE);
  return TRUE;
}

/**
 * seecitv_clip_read_id:
 * @clip_id: (out caller-allocates): %SEECITV_CLIP_ID_SIZE bytes
 *
 * Reads the clip id from the header of the clip file at @path (no key
 * needed: the header holds no key material).
 */
gboolean
seecitv_clip_read_id (const gchar * path, guint8 * clip_id, GError ** error)
{
  guint8 buf[SEECITV_CLIP_HEADER_SIZE];
  SeecitvClipHeader header;
  FILE *f = g_fopen (path, "rbe");
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

/* ------------------------------------------------------------------------
 * Writer
 * ------------------------------------------------------------------------ */

struct _SeecitvClipWriter
{
  EVP_CIPHER_CTX *ctx;
  SeecitvClipWriteFunc func;
  gpointer user_data;
  int fd;

  guint8 header[SEECITV_CLIP_HEADER_SIZE];
  gsize chunk_size;
  /* One sealed chunk: length, ciphertext, tag. Appended bytes are
   * encrypted straight into it (GCM is a stream mode), so plaintext is
   * never copied or kept; pending bytes of it are used, under the
   * non-final nonce of chunk @counter. */
  guint8 *out;
  gsize pending;
  guint64 counter;              /* index of the chunk being filled */

  guint64 bytes_written;
  guint64 bytes_appended;
  gboolean finished;
  gboolean failed;
};

static gboolean
write_fd (const guint8 * data, gsize len, gpointer user_data, GError ** error)
{
  int fd = GPOINTER_TO_INT (user_data);

  while (len > 0) {
    ssize_t n = write (fd, data, len);

    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e),
          "Cannot write clip: %s", g_strerror (e));
      return FALSE;
    }
    data += n;
    len -= n;
  }
  return TRUE;
}

static gboolean
writer_emit (SeecitvClipWriter * w, const guint8 * data, gsize len,
    GError ** error)
{
  if (!w->func (data, len, w->user_data, error)) {
    w->failed = TRUE;
    return FALSE;
  }
  w->bytes_written += len;
  return TRUE;
}

static gboolean
writer_check_usable (SeecitvClipWriter * w, GError ** error)
{
  if (w->failed) {
    g_set_error_literal (error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_FAILED,
        "the clip writer failed earlier");
    return FALSE;
  }
  return TRUE;
}

static gboolean
writer_crypto_failed (SeecitvClipWriter * w, GError ** error)
{
  seecitv_crypto_set_error (error, SEECITV_CLIP_ERROR,
      SEECITV_CLIP_ERROR_CRYPTO, "sealing a clip chunk");
  w->failed = TRUE;
  return FALSE;
}

/* A non-final chunk must leave an index for the final one. Checked when
 * a chunk is sealed: the pending one may still become the final one. */
static gboolean
writer_check_index (SeecitvClipWriter * w, gboolean final, GError ** error)
{
  if (w->counter + (final ? 0 : 1) >= MAX_CHUNKS) {
    g_set_error_literal (error, SEECITV_CLIP_ERROR,
        SEECITV_CLIP_ERROR_TOO_LONG, "clip has too many chunks");
    w->failed = TRUE;
    return FALSE;
  }
  return TRUE;
}

/* Sets the nonce of chunk @counter and the header as additional data. */
static gboolean
writer_begin (SeecitvClipWriter * w, gboolean final, GError ** error)
{
  guint8 nonce[NONCE_SIZE];
  int outl;

  if (!writer_check_index (w, TRUE, error))
    return FALSE;
  make_nonce (nonce, w->header + OFF_NONCE_PREFIX, (guint32) w->counter,
      final ? FLAG_FINAL : FLAG_NON_FINAL);
  seecitv_crypto_clear_errors ();
  if (EVP_EncryptInit_ex2 (w->ctx, NULL, NULL, nonce, NULL) != 1 ||
      EVP_EncryptUpdate (w->ctx, NULL, &outl, w->header,
          SEECITV_CLIP_HEADER_SIZE) != 1)
    return writer_crypto_failed (w, error);
  return TRUE;
}

/* Encrypts @len more bytes of the current chunk into w->out. */
static gboolean
writer_update (SeecitvClipWriter * w, const guint8 * data, gsize len,
    GError ** error)
{
  int outl;

  g_assert (w->pending + len <= w->chunk_size);
  if (EVP_EncryptUpdate (w->ctx, w->out + 4 + w->pending, &outl, data,
          (int) len) != 1)
    return writer_crypto_failed (w, error);
  w->pending += len;
  return TRUE;
}

/* Adds the tag and the length to the current chunk and writes it. */
static gboolean
writer_end (SeecitvClipWriter * w, gboolean final, GError ** error)
{
  guint8 *tag = w->out + 4 + w->pending;
  gsize len = w->pending;
  int outl;

  if (!writer_check_index (w, final, error))
    return FALSE;
  if (EVP_EncryptFinal_ex (w->ctx, tag, &outl) != 1 ||
      EVP_CIPHER_CTX_ctrl (w->ctx, EVP_CTRL_AEAD_GET_TAG,
          SEECITV_CLIP_TAG_SIZE, tag) != 1)
    return writer_crypto_failed (w, error);
  seecitv_store_be32 (w->out, (guint32) len | (final ? LENGTH_FINAL_BIT : 0));
  w->counter++;
  w->pending = 0;
  return writer_emit (w, w->out, len + SEECITV_CLIP_CHUNK_OVERHEAD, error);
}

/* The pending bytes were encrypted as a non-final chunk: decrypt them in
 * place (the same keystream) and encrypt them again under the final nonce,
 * so that the output is what sealing them at once as final would give. */
static gboolean
writer_end_final (SeecitvClipWriter * w, GError ** error)
{
  guint8 nonce[NONCE_SIZE];
  guint8 *ct = w->out + 4;
  gsize len = w->pending;
  int outl;

  if (len > 0) {
    make_nonce (nonce, w->header + OFF_NONCE_PREFIX, (guint32) w->counter,
        FLAG_NON_FINAL);
    seecitv_crypto_clear_errors ();
    if (EVP_DecryptInit_ex2 (w->ctx, NULL, NULL, nonce, NULL) != 1 ||
        EVP_DecryptUpdate (w->ctx, ct, &outl, ct, (int) len) != 1) {
      OPENSSL_cleanse (ct, len);
      return writer_crypto_failed (w, error);
    }
  }
  w->pending = 0;
  if (!writer_begin (w, TRUE, error) ||
      (len > 0 && !writer_update (w, ct, len, error))) {
    OPENSSL_cleanse (ct, len);
    return FALSE;
  }
  return writer_end (w, TRUE, error);
}

SeecitvClipWriter *
seecitv_clip_writer_new_with_nonce_prefix (const guint8 * key,
    const SeecitvClipIds * ids, const guint8 * nonce_prefix,
    gsize chunk_size, SeecitvClipWriteFunc func, gpointer user_data,
    GError ** error)
{
  SeecitvClipWriter *w;
  guint8 *h;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (ids != NULL, NULL);
  g_return_val_if_fail (func != NULL, NULL);
  g_return_val_if_fail (chunk_size <= SEECITV_CLIP_MAX_CHUNK_SIZE, NULL);

  if (chunk_size == 0)
    chunk_size = SEECITV_CLIP_DEFAULT_CHUNK_SIZE;

  w = g_new0 (SeecitvClipWriter, 1);
  w->func = func;
  w->user_data = user_data;
  w->fd = -1;
  w->chunk_size = chunk_size;

  h = w->header;
  memcpy (h, clip_magic, sizeof (clip_magic));
  seecitv_store_be16 (h + OFF_VERSION, SEECITV_CLIP_VERSION);
  seecitv_store_be16 (h + OFF_FLAGS, 0);
  seecitv_store_be32 (h + OFF_CHUNK_SIZE, (guint32) chunk_size);
  memcpy (h + OFF_CLIP_ID, ids->clip_id, SEECITV_CLIP_ID_SIZE);
  memcpy (h + OFF_KEK_ID, ids->kek_id, SEECITV_CLIP_ID_SIZE);
  memcpy (h + OFF_DATA_KEY_ID, ids->data_key_id, SEECITV_CLIP_ID_SIZE);
  if (nonce_prefix != NULL) {
    memcpy (h + OFF_NONCE_PREFIX, nonce_prefix, SEECITV_CLIP_NONCE_PREFIX_SIZE);
  } else if (!seecitv_crypto_random (h + OFF_NONCE_PREFIX,
          SEECITV_CLIP_NONCE_PREFIX_SIZE, SEECITV_CLIP_ERROR,
          SEECITV_CLIP_ERROR_CRYPTO, error)) {
    goto fail;
  }
  h[OFF_RESERVED] = 0;

  w->ctx = gcm_context_new (key, TRUE, error);
  if (w->ctx == NULL || !header_tag (w->ctx, h, h + OFF_TAG, error))
    goto fail;

  w->out = g_malloc (chunk_size + SEECITV_CLIP_CHUNK_OVERHEAD);
  if (!writer_emit (w, h, SEECITV_CLIP_HEADER_SIZE, error))
    goto fail;
  return w;

fail:
  seecitv_clip_writer_free (w);
  return NULL;
}

/**
 * seecitv_clip_writer_new:
 * @key: the clip's data key, %SEECITV_CLIP_KEY_SIZE bytes (not kept: the
 *   writer only keeps OpenSSL's key schedule, wiped on free)
 * @ids: the ids written into the header
 * @chunk_size: plaintext bytes per chunk, 0 for the default; at most
 *   %SEECITV_CLIP_MAX_CHUNK_SIZE
 * @func: receives the header now, then every sealed chunk
 *
 * Returns: (transfer full): a writer, or %NULL if writing the header failed
 */
SeecitvClipWriter *
seecitv_clip_writer_new (const guint8 * key, const SeecitvClipIds * ids,
    gsize chunk_size, SeecitvClipWriteFunc func, gpointer user_data,
    GError ** error)
{
  return seecitv_clip_writer_new_with_nonce_prefix (key, ids, NULL,
      chunk_size, func, user_data, error);
}

/**
 * seecitv_clip_writer_new_for_fd:
 *
 * Like seecitv_clip_writer_new(), writing to @fd (not closed, not synced:
 * the caller fsyncs after seecitv_clip_writer_flush() at its sync interval).
 * Write errors are %G_FILE_ERROR (e.g. %G_FILE_ERROR_NOSPC).
 */
SeecitvClipWriter *
seecitv_clip_writer_new_for_fd (const guint8 * key,
    const SeecitvClipIds * ids, gsize chunk_size, int fd, GError ** error)
{
  SeecitvClipWriter *w;

  g_return_val_if_fail (fd >= 0, NULL);

  w = seecitv_clip_writer_new (key, ids, chunk_size, write_fd,
      GINT_TO_POINTER (fd), error);
  if (w != NULL)
    w->fd = fd;
  return w;
}

/**
 * seecitv_clip_writer_append:
 *
 * Encrypts @data into the current chunk (no plaintext is kept); every
 * full chunk is written at once. On failure the writer is unusable (see
 * #SeecitvClipWriteFunc).
 */
gboolean
seecitv_clip_writer_append (SeecitvClipWriter * w, const guint8 * data,
    gsize len, GError ** error)
{
  g_return_val_if_fail (w != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (!w->finished, FALSE);

  if (!writer_check_usable (w, error))
    return FALSE;

  w->bytes_appended += len;
  while (len > 0) {
    gsize n = MIN (w->chunk_size - w->pending, len);

    if (w->pending == 0 && !writer_begin (w, FALSE, error))
      return FALSE;
    if (!writer_update (w, data, n, error))
      return FALSE;
    data += n;
    len -= n;
    if (w->pending == w->chunk_size && !writer_end (w, FALSE, error))
      return FALSE;
  }
  return TRUE;
}

/**
 * seecitv_clip_writer_flush:
 *
 * Seals the buffered bytes now as a short non-final chunk (nothing is
 * written if none are buffered), so that they survive a crash once the
 * caller has synced. A reader treats a short chunk like any other.
 */
gboolean
seecitv_clip_writer_flush (SeecitvClipWriter * w, GError ** error)
{
  g_return_val_if_fail (w != NULL, FALSE);
  g_return_val_if_fail (!w->finished, FALSE);

  if (!writer_check_usable (w, error))
    return FALSE;
  if (w->pending == 0)
    return TRUE;
  return writer_end (w, FALSE, error);
}

/**
 * seecitv_clip_writer_finish:
 *
 * Seals the buffered bytes (possibly none) as the final chunk. The writer
 * accepts nothing more; free it.
 */
gboolean
seecitv_clip_writer_finish (SeecitvClipWriter * w, GError ** error)
{
  gboolean ret;

  g_return_val_if_fail (w != NULL, FALSE);
  g_return_val_if_fail (!w->finished, FALSE);

  if (!writer_check_usable (w, error))
    return FALSE;
  ret = writer_end_final (w, error);
  w->finished = TRUE;
  return ret;
}

/* Header and chunks, as passed to the write function. */
guint64
seecitv_clip_writer_get_bytes_written (SeecitvClipWriter * w)
{
  g_return_val_if_fail (w != NULL, 0);
  return w->bytes_written;
}

guint64
seecitv_clip_writer_get_bytes_appended (SeecitvClipWriter * w)
{
  g_return_val_if_fail (w != NULL, 0);
  return w->bytes_appended;
}

void
seecitv_clip_writer_free (SeecitvClipWriter * w)
{
  if (w == NULL)
    return;
  if (w->out != NULL) {
    /* Ciphertext only, except during writer_end_final(). */
    OPENSSL_cleanse (w->out, w->chunk_size + SEECITV_CLIP_CHUNK_OVERHEAD);
    g_free (w->out);
  }
  /* EVP_CIPHER_CTX_free wipes the key schedule. */
  EVP_CIPHER_CTX_free (w->ctx);
  g_free (w);
}

/* ------------------------------------------------------------------------
 * Reader
 * ------------------------------------------------------------------------ */

typedef enum
{
  READ_HEADER,
  READ_LENGTH,
  READ_BODY,
  READ_DONE,
  READ_FAILED,
} ReadState;

struct _SeecitvClipReader
{
  SeecitvClipKeyFunc key_func;
  gpointer user_data;
  GDestroyNotify notify;
  SeecitvClipReaderFlags flags;
  EVP_CIPHER_CTX *ctx;

  ReadState state;
  guint8 header_bytes[SEECITV_CLIP_HEADER_SIZE];
  gsize header_len;
  SeecitvClipHeader header;
  gboolean have_header;         /* parsed and authenticated */

  guint8 length_bytes[4];
  gsize length_len;
  guint32 body_plain_len;       /* of the chunk being read */
  gboolean body_final;

  guint8 *body;                 /* partial chunk, grows up to one chunk */
  gsize body_len;
  gsize body_alloc;
  guint8 *scratch;              /* plaintext when the caller wants none */

  guint64 counter;              /* chunks verified */
  guint64 bytes_verified;

  guint8 key[SEECITV_CLIP_KEY_SIZE];    /* only for _new_with_key */
};

static gboolean
fixed_key_func (const SeecitvClipHeader * header, guint8 * key,
    gpointer user_data, GError ** error)
{
  SeecitvClipReader *r = user_data;

  memcpy (key, r->key, SEECITV_CLIP_KEY_SIZE);
  return TRUE;
}

/**
 * seecitv_clip_reader_new:
 * @key_func: asked for the data key once the header is complete
 *
 * Returns: (transfer full): a reader; free with seecitv_clip_reader_free()
 */
SeecitvClipReader *
seecitv_clip_reader_new (SeecitvClipKeyFunc key_func, gpointer user_data,
    GDestroyNotify notify, SeecitvClipReaderFlags flags)
{
  SeecitvClipReader *r;

  g_return_val_if_fail (key_func != NULL, NULL);

  r = g_new0 (SeecitvClipReader, 1);
  r->key_func = key_func;
  r->user_data = user_data;
  r->notify = notify;
  r->flags = flags;
  r->state = READ_HEADER;
  return r;
}

/* @key is copied, and wiped when the reader is freed. */
SeecitvClipReader *
seecitv_clip_reader_new_with_key (const guint8 * key,
    SeecitvClipReaderFlags flags)
{
  SeecitvClipReader *r;

  g_return_val_if_fail (key != NULL, NULL);

  r = seecitv_clip_reader_new (fixed_key_func, NULL, NULL, flags);
  r->user_data = r;
  memcpy (r->key, key, SEECITV_CLIP_KEY_SIZE);
  return r;
}

static gboolean
reader_start (SeecitvClipReader * r, GError ** error)
{
  guint8 key[SEECITV_CLIP_KEY_SIZE];

  if (!seecitv_clip_header_parse (r->header_bytes, SEECITV_CLIP_HEADER_SIZE,
          &r->header, error))
    return FALSE;
  if (!r->key_func (&r->header, key, r->user_data, error)) {
    OPENSSL_cleanse (key, sizeof (key));
    return FALSE;
  }
  r->ctx = gcm_context_new (key, FALSE, error);
  OPENSSL_cleanse (key, sizeof (key));
  OPENSSL_cleanse (r->key, sizeof (r->key));
  if (r->ctx == NULL)
    return FALSE;
  if (!header_verify (r->ctx, r->header_bytes, error))
    return FALSE;
  r->have_header = TRUE;
  return TRUE;
}

static gboolean
reader_length (SeecitvClipReader * r, GError ** error)
{
  guint32 v = seecitv_load_be32 (r->length_bytes);

  r->body_final = (v & LENGTH_FINAL_BIT) != 0;
  r->body_plain_len = v & LENGTH_MASK;
  if (r->body_plain_len > r->header.chunk_size ||
      (r->body_plain_len == 0 && !r->body_final)) {
    g_set_error (error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_CORRUPT,
        "chunk %" G_GUINT64_FORMAT " has an invalid length %u (chunk size %u)",
        r->counter, r->body_plain_len, r->header.chunk_size);
    return FALSE;
  }
  if (r->counter + (r->body_final ? 0 : 1) >= MAX_CHUNKS) {
    g_set_error_literal (error, SEECITV_CLIP_ERROR,
        SEECITV_CLIP_ERROR_TOO_LONG, "clip has too many chunks");
    return FALSE;
  }
  return TRUE;
}

/* @chunk: ciphertext then tag, body_plain_len + tag bytes. */
static gboolean
reader_open_chunk (SeecitvClipReader * r, const guint8 * chunk,
    GByteArray * out, GError ** error)
{
  guint8 nonce[NONCE_SIZE];
  guint8 tag[SEECITV_CLIP_TAG_SIZE];
  gsize len = r->body_plain_len;
  guint old_len = 0;
  guint8 none[1];
  guint8 *pt;
  int outl, ok;

  /* An empty chunk must not touch a possibly NULL out->data. */
  if (len == 0) {
    pt = none;
  } else if (out != NULL) {
    old_len = out->len;
    g_byte_array_set_size (out, old_len + len);
    pt = out->data + old_len;
  } else {
    if (r->scratch == NULL)
      r->scratch = g_malloc (MAX (r->header.chunk_size, 1));
    pt = r->scratch;
  }

  memcpy (tag, chunk + len, sizeof (tag));
  make_nonce (nonce, r->header.nonce_prefix, (guint32) r->counter,
      r->body_final ? FLAG_FINAL : FLAG_NON_FINAL);
  seecitv_crypto_clear_errors ();
  if (EVP_DecryptInit_ex2 (r->ctx, NULL, NULL, nonce, NULL) != 1 ||
      EVP_DecryptUpdate (r->ctx, NULL, &outl, r->header_bytes,
          SEECITV_CLIP_HEADER_SIZE) != 1 ||
      (len > 0 && EVP_DecryptUpdate (r->ctx, pt, &outl, chunk,
              (int) len) != 1) ||
      EVP_CIPHER_CTX_ctrl (r->ctx, EVP_CTRL_AEAD_SET_TAG,
          SEECITV_CLIP_TAG_SIZE, tag) != 1) {
    seecitv_crypto_set_error (error, SEECITV_CLIP_ERROR,
        SEECITV_CLIP_ERROR_CRYPTO, "opening a clip chunk");
    ok = 0;
  } else {
    ok = EVP_DecryptFinal_ex (r->ctx, pt + len, &outl);
    seecitv_crypto_clear_errors ();
    if (ok != 1)
      g_set_error (error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_AUTH,
          "clip chunk %" G_GUINT64_FORMAT " does not authenticate "
          "(tampered, reordered or replaced)", r->counter);
  }

  if (ok != 1) {
    /* Unauthenticated plaintext never reaches the caller. */
    OPENSSL_cleanse (pt, len);
    if (out != NULL && len > 0)
      g_byte_array_set_size (out, old_len);
    return FALSE;
  }

  r->counter++;
  r->bytes_verified += len;
  r->state = r->body_final ? READ_DONE : READ_LENGTH;
  r->length_len = 0;
  r->body_len = 0;
  return TRUE;
}

static gboolean
reader_push (SeecitvClipReader * r, const guint8 * data, gsize len,
    GByteArray * out, GError ** error)
{
  while (len > 0) {
    gsize n, need;

    switch (r->state) {
      case READ_HEADER:
        n = MIN (SEECITV_CLIP_HEADER_SIZE - r->header_len, len);
        memcpy (r->header_bytes + r->header_len, data, n);
        r->header_len += n;
        data += n;
        len -= n;
        /* Say "not a clip" as early as the magic allows. */
        if (memcmp (r->header_bytes, clip_magic,
                MIN (r->header_len, sizeof (clip_magic))) != 0) {
          g_set_error_literal (error, SEECITV_CLIP_ERROR,
              SEECITV_CLIP_ERROR_BAD_MAGIC, "not a seecitv clip (bad magic)");
          return FALSE;
        }
        if (r->header_len == SEECITV_CLIP_HEADER_SIZE) {
          if (!reader_start (r, error))
            return FALSE;
          r->state = READ_LENGTH;
        }
        break;
      case READ_LENGTH:
        n = MIN (4 - r->length_len, len);
        memcpy (r->length_bytes + r->length_len, data, n);
        r->length_len += n;
        data += n;
        len -= n;
        if (r->length_len == 4) {
          if (!reader_length (r, error))
            return FALSE;
          r->state = READ_BODY;
          r->body_len = 0;
        }
        break;
      case READ_BODY:
        need = r->body_plain_len + SEECITV_CLIP_TAG_SIZE;
        if (r->body_len == 0 && len >= need) {
          if (!reader_open_chunk (r, data, out, error))
            return FALSE;
          data += need;
          len -= need;
          break;
        }
        /* Grow with what has arrived, not with what the length claims. */
        n = MIN (need - r->body_len, len);
        if (r->body_len + n > r->body_alloc) {
          r->body_alloc = MIN (MAX (r->body_alloc * 2, r->body_len + n), need);
          r->body = g_realloc (r->body, r->body_alloc);
        }
        memcpy (r->body + r->body_len, data, n);
        r->body_len += n;
        data += n;
        len -= n;
        if (r->body_len == need && !reader_open_chunk (r, r->body, out, error))
          return FALSE;
        break;
      case READ_DONE:
        g_set_error (error, SEECITV_CLIP_ERROR,
            SEECITV_CLIP_ERROR_TRAILING_DATA,
            "%" G_GSIZE_FORMAT " bytes after the final clip chunk", len);
        return FALSE;
      case READ_FAILED:
        g_assert_not_reached ();
        break;
    }
  }
  return TRUE;
}

/**
 * seecitv_clip_reader_push:
 * @out: (nullable): authenticated plaintext is appended here; %NULL only
 *   verifies
 *
 * Consumes all of @data. Plaintext is released one whole chunk at a time,
 * only after that chunk authenticated. The first error is final: the reader
 * refuses everything after it.
 */
gboolean
seecitv_clip_reader_push (SeecitvClipReader * r, const guint8 * data,
    gsize len, GByteArray * out, GError ** error)
{
  g_return_val_if_fail (r != NULL, FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (r->state == READ_FAILED) {
    g_set_error_literal (error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_FAILED,
        "the clip reader failed earlier");
    return FALSE;
  }
  if (!reader_push (r, data, len, out, error)) {
    r->state = READ_FAILED;
    return FALSE;
  }
  return TRUE;
}

/**
 * seecitv_clip_reader_finish:
 * @end: (out) (optional): %SEECITV_CLIP_END_COMPLETE when the final chunk was
 *   read, %SEECITV_CLIP_END_PREFIX when the data stopped before it (only
 *   with %SEECITV_CLIP_READER_ALLOW_PREFIX)
 *
 * Call at the end of the data. Without %SEECITV_CLIP_READER_ALLOW_PREFIX,
 * data that stopped before the final chunk is %SEECITV_CLIP_ERROR_TRUNCATED.
 */
gboolean
seecitv_clip_reader_finish (SeecitvClipReader * r, SeecitvClipEnd * end,
    GError ** error)
{
  g_return_val_if_fail (r != NULL, FALSE);

  if (r->state == READ_FAILED) {
    g_set_error_literal (error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_FAILED,
        "the clip reader failed earlier");
    return FALSE;
  }
  if (r->state == READ_DONE) {
    if (end)
      *end = SEECITV_CLIP_END_COMPLETE;
    return TRUE;
  }
  if (r->flags & SEECITV_CLIP_READER_ALLOW_PREFIX) {
    if (end)
      *end = SEECITV_CLIP_END_PREFIX;
    return TRUE;
  }
  if (!r->have_header) {
    g_set_error (error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_TRUNCATED,
        "clip cut inside its header (%" G_GSIZE_FORMAT " of %d bytes)",
        r->header_len, SEECITV_CLIP_HEADER_SIZE);
  } else {
    g_set_error (error, SEECITV_CLIP_ERROR, SEECITV_CLIP_ERROR_TRUNCATED,
        "clip truncated: no final chunk after %" G_GUINT64_FORMAT
        " chunks (%" G_GUINT64_FORMAT " bytes verified)", r->counter,
        r->bytes_verified);
  }
  r->state = READ_FAILED;
  return FALSE;
}

/* %NULL until the header has been authenticated. */
const SeecitvClipHeader *
seecitv_clip_reader_get_header (SeecitvClipReader * r)
{
  g_return_val_if_fail (r != NULL, NULL);
  return r->have_header ? &r->header : NULL;
}

/* After a %SEECITV_CLIP_ERROR_AUTH, the index of the failing chunk. */
guint64
seecitv_clip_reader_get_chunks_verified (SeecitvClipReader * r)
{
  g_return_val_if_fail (r != NULL, 0);
  return r->counter;
}

guint64
seecitv_clip_reader_get_bytes_verified (SeecitvClipReader * r)
{
  g_return_val_if_fail (r != NULL, 0);
  return r->bytes_verified;
}

gboolean
seecitv_clip_reader_is_complete (SeecitvClipReader * r)
{
  g_return_val_if_fail (r != NULL, FALSE);
  return r->state == READ_DONE;
}

void
seecitv_clip_reader_free (SeecitvClipReader * r)
{
  if (r == NULL)
    return;
  if (r->notify)
    r->notify (r->user_data);
  OPENSSL_cleanse (r->key, sizeof (r->key));
  if (r->body != NULL) {
    OPENSSL_cleanse (r->body, r->body_alloc);
    g_free (r->body);
  }
  if (r->scratch != NULL) {
    OPENSSL_cleanse (r->scratch, MAX (r->header.chunk_size, 1));
    g_free (r->scratch);
  }
  EVP_CIPHER_CTX_free (r->ctx);
  g_free (r);
}
