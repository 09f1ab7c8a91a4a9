/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The `reason` detail of seecitv's errors and warnings: one vocabulary of
 * stable tokens for every element, documented once in docs/elements.md
 * ("Error details"). Human text goes into a separate `message` detail;
 * applications and tests match on `reason` only. The tokens for a file or
 * disk failure come from here; a keystore failure is always `keystore`
 * with its code (SEECITV_KEYSTORE_ERROR_DETAILS in
 * <seecitv/crypto/keystore.h>).
 */
#ifndef __SEECITV_REASON_H__
#define __SEECITV_REASON_H__

#include <glib.h>

G_BEGIN_DECLS

/* Tokens for file and disk failures. */
#define SEECITV_REASON_NO_SPACE "no-space"
#define SEECITV_REASON_PERMISSION_DENIED "permission-denied"
#define SEECITV_REASON_NOT_FOUND "not-found"
#define SEECITV_REASON_EXISTS "exists"
#define SEECITV_REASON_IO "io"
/* A file name that must be a directory is not one. */
#define SEECITV_REASON_NOT_A_DIRECTORY "not-a-directory"
/* A property that must be set is not (with a `property` detail). */
#define SEECITV_REASON_NOT_SET "not-set"
/* The keystore could not be opened, read, saved or changed. */
#define SEECITV_REASON_KEYSTORE "keystore"
/* OpenSSL failed. */
#define SEECITV_REASON_CRYPTO "crypto"
/* The keystore is not the one its generation marker names: an older copy
 * was put back (SEECITV_KEYSTORE_ERROR_ROLLBACK); clips are not read. */
#define SEECITV_REASON_ROLLBACK "rollback"

/* The token for errno @e (static string). */
const gchar *seecitv_reason_from_errno (int e);
/* The token for a G_FILE_ERROR or G_IO_ERROR (else "io"). */
const gchar *seecitv_reason_from_file_error (const GError * err);

G_END_DECLS

#endif /* __SEECITV_REASON_H__ */
