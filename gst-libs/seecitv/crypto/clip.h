/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The clip file format (docs/clip-format.md): an incremental writer that
 * seals bytes into AES-256-GCM chunks (the STREAM construction), and an
 * incremental reader that only ever hands out authenticated plaintext.
 * Pure C over GLib and OpenSSL: no GStreamer, no file names, no key storage
 * (keys come from the caller, normally from keystore.h). A writer or reader
 * is used by one thread at a time; separate ones are independent.
 */
#ifndef __SEECITV_CLIP_H__
#define __SEECITV_CLIP_H__

#include <glib.h>

G_BEGIN_DECLS

#define SEECITV_CLIP_KEY_SIZE 32
#define SEECITV_CLIP_ID_SIZE 16
#define SEECITV_CLIP_NONCE_PREFIX_SIZE 7
#define SEECITV_CLIP_TAG_SIZE 16
#define SEECITV_CLIP_HEADER_SIZE 88
/* length prefix + tag */
#define SEECITV_CLIP_CHUNK_OVERHEAD 20
#define SEECITV_CLIP_DEFAULT_CHUNK_SIZE (64 * 1024)
#define SEECITV_CLIP_MAX_CHUNK_SIZE (4 * 1024 * 1024)
#define SEECITV_CLIP_VERSION 1

#define SEECITV_CLIP_ERROR (seecitv_clip_error_quark ())
GQuark seecitv_clip_error_quark (void);

/**
 * SeecitvClipError:
 * @SEECITV_CLIP_ERROR_BAD_MAGIC: not a clip file
 * @SEECITV_CLIP_ERROR_UNSUPPORTED_VERSION: a clip of a version we cannot read
 * @SEECITV_CLIP_ERROR_CORRUPT: a malformed header field or chunk length
 * @SEECITV_CLIP_ERROR_WRONG_KEY: the header does not authenticate: wrong key,
 *   or a damaged header
 * @SEECITV_CLIP_ERROR_AUTH: a chunk does not authenticate (tampered,
 *   reordered, or a non-final chunk presented as final);
 *   seecitv_clip_reader_get_chunks_verified() is its index
 * @SEECITV_CLIP_ERROR_TRUNCATED: the data ended before the final chunk
 * @SEECITV_CLIP_ERROR_TRAILING_DATA: bytes after the final chunk
 * @SEECITV_CLIP_ERROR_TOO_LONG: the chunk counter is exhausted
 * @SEECITV_CLIP_ERROR_CRYPTO: OpenSSL failed (not a property of the data)
 * @SEECITV_CLIP_ERROR_FAILED: the writer or reader failed earlier and is
 *   unusable
 */
typedef enum
{
  SEECITV_CLIP_ERROR_BAD_MAGIC,
  SEECITV_CLIP_ERROR_UNSUPPORTED_VERSION,
  SEECITV_CLIP_ERROR_CORRUPT,
  SEECITV_CLIP_ERROR_WRONG_KEY,
  SEECITV_CLIP_ERROR_AUTH,
  SEECITV_CLIP_ERROR_TRUNCATED,
  SEECITV_CLIP_ERROR_TRAILING_DATA,
  SEECITV_CLIP_ERROR_TOO_LONG,
  SEECITV_CLIP_ERROR_CRYPTO,
  SEECITV_CLIP_ERROR_FAILED,
} SeecitvClipError;

/**
 * SeecitvClipIds:
 * @clip_id: random, names the clip and its wrapped key in the keystore
 * @kek_id: identifies the device key-encryption key that wraps the data key
 * @data_key_id: identifies the data key itself
 *
 * What the header says about keys. Never key material.
 */
typedef struct
{
  guint8 clip_id[SEECITV_CLIP_ID_SIZE];
  guint8 kek_id[SEECITV_CLIP_ID_SIZE];
  guint8 data_key_id[SEECITV_CLIP_ID_SIZE];
} SeecitvClipIds;

/**
 * SeecitvClipHeader:
 *
 * A parsed header. Its fields are not authenticated until the reader has
 * checked the header tag with the key (the key callback sees it before).
 */
typedef struct
{
  guint16 version;
  guint32 chunk_size;
  SeecitvClipIds ids;
  guint8 nonce_prefix[SEECITV_CLIP_NONCE_PREFIX_SIZE];
} SeecitvClipHeader;

gboolean seecitv_clip_header_parse (const guint8 * data, gsize len,
    SeecitvClipHeader * header, GError ** error);
gboolean seecitv_clip_read_id (const gchar * path, guint8 * clip_id,
    GError ** error);

/* ---- writer ---- */

typedef struct _SeecitvClipWriter SeecitvClipWriter;

/**
 * SeecitvClipWriteFunc:
 *
 * Writes all of @len bytes or fails with @error set. A failure leaves the
 * writer unusable: the clip ends at the last chunk that was fully written
 * (a prefix-mode reader recovers it).
 */
typedef gboolean (*SeecitvClipWriteFunc) (const guint8 * data, gsize len,
    gpointer user_data, GError ** error);

SeecitvClipWriter *seecitv_clip_writer_new (const guint8 * key,
    const SeecitvClipIds * ids, gsize chunk_size, SeecitvClipWriteFunc func,
    gpointer user_data, GError ** error);
SeecitvClipWriter *seecitv_clip_writer_new_for_fd (const guint8 * key,
    const SeecitvClipIds * ids, gsize chunk_size, int fd, GError ** error);
gboolean seecitv_clip_writer_append (SeecitvClipWriter * writer,
    const guint8 * data, gsize len, GError ** error);
gboolean seecitv_clip_writer_flush (SeecitvClipWriter * writer,
    GError ** error);
gboolean seecitv_clip_writer_finish (SeecitvClipWriter * writer,
    GError ** error);
guint64 seecitv_clip_writer_get_bytes_written (SeecitvClipWriter * writer);
guint64 seecitv_clip_writer_get_bytes_appended (SeecitvClipWriter * writer);
void seecitv_clip_writer_free (SeecitvClipWriter * writer);

/* ---- reader ---- */

typedef struct _SeecitvClipReader SeecitvClipReader;

/**
 * SeecitvClipKeyFunc:
 *
 * Called once, when the header is complete and before it is authenticated:
 * fill @key (SEECITV_CLIP_KEY_SIZE bytes) for @header's ids, or fail with
 * @error set (that error is what the reader's push returns).
 */
typedef gboolean (*SeecitvClipKeyFunc) (const SeecitvClipHeader * header,
    guint8 * key, gpointer user_data, GError ** error);

/**
 * SeecitvClipReaderFlags:
 * @SEECITV_CLIP_READER_ALLOW_PREFIX: recovery mode: data that ends without a
 *   final chunk (a crash, kill -9, a cut mid-chunk) is not an error;
 *   seecitv_clip_reader_finish() succeeds and reports
 *   %SEECITV_CLIP_END_PREFIX. Authentication failures stay errors.
 */
typedef enum
{
  SEECITV_CLIP_READER_NONE = 0,
  SEECITV_CLIP_READER_ALLOW_PREFIX = 1 << 0,
} SeecitvClipReaderFlags;

typedef enum
{
  SEECITV_CLIP_END_COMPLETE,
  SEECITV_CLIP_END_PREFIX,
} SeecitvClipEnd;

SeecitvClipReader *seecitv_clip_reader_new (SeecitvClipKeyFunc key_func,
    gpointer user_data, GDestroyNotify notify, SeecitvClipReaderFlags flags);
SeecitvClipReader *seecitv_clip_reader_new_with_key (const guint8 * key,
    SeecitvClipReaderFlags flags);
gboolean seecitv_clip_reader_push (SeecitvClipReader * reader,
    const guint8 * data, gsize len, GByteArray * out, GError ** error);
gboolean seecitv_clip_reader_finish (SeecitvClipReader * reader,
    SeecitvClipEnd * end, GError ** error);
const SeecitvClipHeader *seecitv_clip_reader_get_header (SeecitvClipReader *
    reader);
guint64 seecitv_clip_reader_get_chunks_verified (SeecitvClipReader * reader);
guint64 seecitv_clip_reader_get_bytes_verified (SeecitvClipReader * reader);
gboolean seecitv_clip_reader_is_complete (SeecitvClipReader * reader);
void seecitv_clip_reader_free (SeecitvClipReader * reader);

G_END_DECLS

#endif /* __SEECITV_CLIP_H__ */
