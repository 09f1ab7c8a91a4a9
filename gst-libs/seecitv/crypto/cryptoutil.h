/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Internal helpers shared by clip.c and keystore.c: turning OpenSSL's error
 * queue into a GError, random bytes, and big-endian load/store. Not
 * installed, not API: nothing cryptographic is implemented here.
 */
#ifndef __SEECITV_CRYPTOUTIL_H__
#define __SEECITV_CRYPTOUTIL_H__

#include <glib.h>

G_BEGIN_DECLS

void seecitv_crypto_set_error (GError ** error, GQuark domain, gint code,
    const gchar * operation);
void seecitv_crypto_clear_errors (void);
gboolean seecitv_crypto_random (guint8 * buf, gsize len, GQuark domain,
    gint code, GError ** error);
/* Derives @len bytes into @out with OpenSSL's KDF @name (OSSL_KDF_NAME_*)
 * and its @params (an OSSL_PARAM array, typed as gconstpointer so that
 * this header needs no OpenSSL one); on failure sets @error (@domain,
 * @code) naming @operation. */
gboolean seecitv_crypto_kdf (const gchar * name, gconstpointer params,
    guint8 * out, gsize len, GQuark domain, gint code,
    const gchar * operation, GError ** error);

static inline void
seecitv_store_be16 (guint8 * p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v;
}

static inline void
seecitv_store_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static inline void
seecitv_store_be64 (guint8 * p, guint64 v)
{
  seecitv_store_be32 (p, v >> 32);
  seecitv_store_be32 (p + 4, (guint32) v);
}

static inline guint16
seecitv_load_be16 (const guint8 * p)
{
  return ((guint16) p[0] << 8) | p[1];
}

static inline guint32
seecitv_load_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static inline guint64
seecitv_load_be64 (const guint8 * p)
{
  return ((guint64) seecitv_load_be32 (p) << 32) | seecitv_load_be32 (p + 4);
}

G_END_DECLS

#endif /* __SEECITV_CRYPTOUTIL_H__ */
