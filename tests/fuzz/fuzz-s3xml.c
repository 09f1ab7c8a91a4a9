/* seecitv
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * libFuzzer target for the S3 reply parsers (gst-libs/seecitv/s3/s3xml.c): every
 * input is parsed as a ListBucketResult, an Error and an
 * InitiateMultipartUploadResult. Beyond "no crash, no leak, no hang" it
 * checks the parsers' contracts and abort ()s when one breaks: a failure
 * sets an SEECITV_S3XML_ERROR or G_MARKUP_ERROR and returns nothing; a
 * listing has only objects with a non-empty key of bounded length, and a
 * truncated listing has a continuation token; an upload id is non-empty.
 * Hand-written cases are in tests/check/libs/s3client.c (through the
 * client) and this target's seed corpus.
 */
#include <seecitv/s3/s3xml.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

#define CHECK(cond) G_STMT_START { \
  if (!(cond)) { \
    fprintf (stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
        #cond); \
    abort (); \
  } \
} G_STMT_END

static void
check_error (GError * err)
{
  CHECK (err != NULL);
  CHECK (err->domain == SEECITV_S3XML_ERROR
      || err->domain == G_MARKUP_ERROR);
  CHECK (g_utf8_validate (err->message, -1, NULL));
  g_error_free (err);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  const gchar *xml = (const gchar *) data;
  GError *err = NULL;
  SeecitvS3ListResult *list;
  gchar *code = NULL, *message = NULL, *id;
  guint i;

  list = seecitv_s3xml_parse_list (xml, size, &err);
  if (list == NULL) {
    check_error (err);
    err = NULL;
  } else {
    CHECK (err == NULL);
    for (i = 0; i < list->objects->len; i++) {
      SeecitvS3Object *o = list->objects->pdata[i];
      CHECK (o->key != NULL && o->key[0] != '\0');
      CHECK (strlen (o->key) <= SEECITV_S3XML_MAX_TEXT);
    }
    if (list->truncated)
      CHECK (list->next_token != NULL && list->next_token[0] != '\0');
    seecitv_s3_list_result_free (list);
  }

  if (seecitv_s3xml_parse_error (xml, size, &code, &message, &err)) {
    CHECK (err == NULL);
    CHECK (code == NULL || strlen (code) <= SEECITV_S3XML_MAX_TEXT);
    g_free (code);
    g_free (message);
  } else {
    check_error (err);
    err = NULL;
  }

  id = seecitv_s3xml_parse_upload_id (xml, size, &err);
  if (id == NULL) {
    check_error (err);
  } else {
    CHECK (id[0] != '\0');
    g_free (id);
  }
  return 0;
}
