/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The few S3 XML response bodies the client reads (ListObjectsV2's
 * ListBucketResult, Error, InitiateMultipartUploadResult), parsed with
 * GLib's GMarkup: outside input, so every field is bounded, unknown
 * elements are skipped and anything malformed is a GError, never a crash.
 * Pure GLib: fuzzed in tests/fuzz/fuzz-s3xml.c. Building request bodies
 * (CompleteMultipartUpload) is here too, with escaping.
 */
#ifndef __SEECITV_S3XML_H__
#define __SEECITV_S3XML_H__

#include <glib.h>

G_BEGIN_DECLS

#define SEECITV_S3XML_ERROR (seecitv_s3xml_error_quark ())
GQuark seecitv_s3xml_error_quark (void);

typedef enum
{
  SEECITV_S3XML_ERROR_SYNTAX,   /* not well-formed, or too large */
  SEECITV_S3XML_ERROR_UNEXPECTED        /* well-formed, wrong document */
} SeecitvS3XmlError;

/* Longest body the parsers accept; longest text of one element. */
#define SEECITV_S3XML_MAX_BODY (8 * 1024 * 1024)
#define SEECITV_S3XML_MAX_TEXT 4096

typedef struct
{
  gchar *key;
  guint64 size;
  gchar *last_modified;         /* as the server sent it (ISO 8601) */
  gchar *etag;                  /* without quotes */
} SeecitvS3Object;

typedef struct
{
  GPtrArray *objects;           /* of SeecitvS3Object, owned */
  gboolean truncated;
  gchar *next_token;            /* NextContinuationToken or NULL */
} SeecitvS3ListResult;

void seecitv_s3_object_free (SeecitvS3Object * obj);
void seecitv_s3_list_result_free (SeecitvS3ListResult * res);

SeecitvS3ListResult *seecitv_s3xml_parse_list (const gchar * xml, gsize len,
    GError ** error);
/* An <Error> body: *code and *message (either may be NULL on return). */
gboolean seecitv_s3xml_parse_error (const gchar * xml, gsize len,
    gchar ** code, gchar ** message, GError ** error);
/* InitiateMultipartUploadResult's UploadId. */
gchar *seecitv_s3xml_parse_upload_id (const gchar * xml, gsize len,
    GError ** error);

/* CompleteMultipartUpload with parts 1..n and their ETags (as returned). */
gchar *seecitv_s3xml_complete_multipart (const gchar * const *etags, guint n);

G_END_DECLS

#endif /* __SEECITV_S3XML_H__ */
