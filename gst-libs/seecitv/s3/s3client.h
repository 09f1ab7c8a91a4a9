/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A small S3 client over libsoup 3 (synchronous calls: use a client only
 * from the thread that made it): PUT of a file (one request, or a
 * multipart upload above a size), GET to a file, DELETE, and ListObjectsV2.
 * Path-style addressing (https://endpoint/bucket/key), so IP endpoints and
 * MinIO/Ceph/Garage/s3rver work. Every request is signed with AWS SigV4
 * (s3sigv4.c) and carries x-amz-content-sha256 and, with a body,
 * Content-MD5, which S3 verifies; the ETag of a single PUT is checked too.
 * Redirects are never followed (they would take the signed headers and the
 * session token to the host they name): a 3xx reply is a
 * SEECITV_S3_ERROR_HTTP error with its status.
 *
 * Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and
 * AWS_SESSION_TOKEN), or from the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials; profile
 * AWS_PROFILE, else "default"). The region is AWS_REGION, else
 * AWS_DEFAULT_REGION, else the file's "region", else us-east-1. There is
 * no way to read a secret back, and no error or log line holds one.
 */
#ifndef __SEECITV_S3CLIENT_H__
#define __SEECITV_S3CLIENT_H__

#include <gio/gio.h>
#include "s3xml.h"

G_BEGIN_DECLS

#define SEECITV_S3_ERROR (seecitv_s3_error_quark ())
GQuark seecitv_s3_error_quark (void);

typedef enum
{
  SEECITV_S3_ERROR_CONFIG,      /* bad target/endpoint, no credentials */
  SEECITV_S3_ERROR_NETWORK,     /* no answer (connection, TLS, timeout) */
  SEECITV_S3_ERROR_HTTP,        /* the server answered with an error */
  SEECITV_S3_ERROR_INTEGRITY,   /* the server's ETag is not our MD5 */
  SEECITV_S3_ERROR_REPLY,       /* unparsable reply */
  SEECITV_S3_ERROR_LOCAL        /* reading or writing a local file */
} SeecitvS3Error;

/* A single PUT up to this size, multipart above it (parts of the same). */
#define SEECITV_S3_DEFAULT_MULTIPART_THRESHOLD (16 * 1024 * 1024)
#define SEECITV_S3_MIN_PART_SIZE (5 * 1024 * 1024)

typedef struct _SeecitvS3Client SeecitvS3Client;

/* target: "s3://bucket" or "s3://bucket/prefix". endpoint: "https://host[:
 * port]" or "http://..." (plain HTTP only when written so), or NULL for
 * https://s3.<region>.amazonaws.com. Loads the credentials. */
SeecitvS3Client *seecitv_s3_client_new (const gchar * target,
    const gchar * endpoint, GError ** error);
void seecitv_s3_client_free (SeecitvS3Client * client);

/* Checks a target string without making a client. */
gboolean seecitv_s3_target_parse (const gchar * target, gchar ** bucket,
    gchar ** prefix, GError ** error);

gboolean seecitv_s3_client_is_plain_http (SeecitvS3Client * client);
const gchar *seecitv_s3_client_get_bucket (SeecitvS3Client * client);
/* "prefix/name", or "name" without a prefix. */
gchar *seecitv_s3_client_object_key (SeecitvS3Client * client,
    const gchar * name);
/* "s3://bucket/key", for messages. */
gchar *seecitv_s3_client_object_uri (SeecitvS3Client * client,
    const gchar * key);

void seecitv_s3_client_set_multipart (SeecitvS3Client * client,
    guint64 threshold, guint64 part_size);
/* I/O timeout of each request, in seconds (default 60). */
void seecitv_s3_client_set_timeout (SeecitvS3Client * client, guint seconds);

/* Every call sets *http_status (if not NULL) to the last HTTP status, or 0
 * when no answer came. Errors name the S3 error code the server gave
 * (InvalidAccessKeyId, NoSuchBucket, ...). */
gboolean seecitv_s3_client_put_file (SeecitvS3Client * client,
    const gchar * key, const gchar * path, GCancellable * cancellable,
    guint * http_status, GError ** error);
gboolean seecitv_s3_client_get_file (SeecitvS3Client * client,
    const gchar * key, const gchar * path, GCancellable * cancellable,
    guint * http_status, GError ** error);
/* The same for a body in memory, and a GET of a small object into memory
 * (at most SEECITV_S3XML_MAX_BODY bytes, else SEECITV_S3_ERROR_REPLY;
 * free with g_bytes_unref ()). */
gboolean seecitv_s3_client_put_bytes (SeecitvS3Client * client,
    const gchar * key, GBytes * body, GCancellable * cancellable,
    guint * http_status, GError ** error);
GBytes *seecitv_s3_client_get_bytes (SeecitvS3Client * client,
    const gchar * key, GCancellable * cancellable, guint * http_status,
    GError ** error);
/* Deleting a missing object succeeds, as in S3. */
gboolean seecitv_s3_client_delete (SeecitvS3Client * client,
    const gchar * key, GCancellable * cancellable, guint * http_status,
    GError ** error);
/* Every object under prefix (all pages), as SeecitvS3Object. */
GPtrArray *seecitv_s3_client_list (SeecitvS3Client * client,
    const gchar * prefix, GCancellable * cancellable, guint * http_status,
    GError ** error);

G_END_DECLS

#endif /* __SEECITV_S3CLIENT_H__ */
