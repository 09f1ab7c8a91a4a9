/* seecitv
 * Copyright (C) 2026 seecitv contributors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * S3 XML bodies over GMarkup (see s3xml.h). One small collector serves the
 * three documents: it tracks the element path and keeps the text of the
 * elements a document wants, bounded in size.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "s3xml.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (seecitv-s3xml-error-quark, seecitv_s3xml_error);

#define MAX_DEPTH 16

typedef enum
{
  DOC_LIST,
  DOC_ERROR,
  DOC_UPLOAD
} DocKind;

typedef struct
{
  DocKind kind;
  guint depth;
  gboolean in_contents;         /* inside ListBucketResult/Contents */
  GString *text;
  gboolean root_ok;
  /* DOC_LIST */
  SeecitvS3ListResult *list;
  SeecitvS3Object *cur;
  /* DOC_ERROR, DOC_UPLOAD */
  gchar *code;
  gchar *message;
  gchar *upload_id;
} Collector;

static const gchar *
root_name (DocKind kind)
{
  switch (kind) {
    case DOC_LIST:
      return "ListBucketResult";
    case DOC_ERROR:
      return "Error";
    default:
      return "InitiateMultipartUploadResult";
  }
}

static void
start_element (GMarkupParseContext * ctx, const gchar * name,
    const gchar ** attr_names, const gchar ** attr_values, gpointer data,
    GError ** error)
{
  Collector *c = data;

  if (c->depth >= MAX_DEPTH) {
    g_set_error (error, SEECITV_S3XML_ERROR, SEECITV_S3XML_ERROR_SYNTAX,
        "XML nested too deeply");
    return;
  }
  if (c->depth == 0) {
    if (strcmp (name, root_name (c->kind)) != 0) {
      g_set_error (error, SEECITV_S3XML_ERROR,
          SEECITV_S3XML_ERROR_UNEXPECTED, "unexpected XML document");
      return;
    }
    c->root_ok = TRUE;
  }
  c->depth++;
  g_string_truncate (c->text, 0);
  if (c->kind == DOC_LIST && c->depth == 2 && strcmp (name, "Contents") == 0) {
    g_clear_pointer (&c->cur, seecitv_s3_object_free);
    c->cur = g_new0 (SeecitvS3Object, 1);
    c->in_contents = TRUE;
  }
}

static gchar *
take_text (Collector * c)
{
  return g_strndup (c->text->str, c->text->len);
}

static void
end_element (GMarkupParseContext * ctx, const gchar * name, gpointer data,
    GError ** error)
{
  Collector *c = data;
  guint d = c->depth;

  if (c->kind == DOC_LIST && d == 3 && c->in_contents && c->cur != NULL) {
    if (strcmp (name, "Key") == 0) {
      g_free (c->cur->key);
      c->cur->key = take_text (c);
    } else if (strcmp (name, "Size") == 0) {
      gchar *end = NULL;
      guint64 v = g_ascii_strtoull (c->text->str, &end, 10);
      if (c->text->len == 0 || end == NULL || *end != '\0'
          || !g_ascii_isdigit (c->text->str[0])) {
        g_set_error (error, SEECITV_S3XML_ERROR, SEECITV_S3XML_ERROR_SYNTAX,
            "bad object size");
        return;
      }
      c->cur->size = v;
    } else if (strcmp (name, "LastModified") == 0) {
      g_free (c->cur->last_modified);
      c->cur->last_modified = take_text (c);
    } else if (strcmp (name, "ETag") == 0) {
      GString *e = g_string_new (c->text->str);
      if (e->len >= 2 && e->str[0] == '"' && e->str[e->len - 1] == '"') {
        g_string_truncate (e, e->len - 1);
        g_string_erase (e, 0, 1);
      }
      g_free (c->cur->etag);
      c->cur->etag = g_string_free (e, FALSE);
    }
  } else if (c->kind == DOC_LIST && d == 2) {
    if (strcmp (name, "Contents") == 0 && c->cur != NULL) {
      c->in_contents = FALSE;
      if (c->cur->key == NULL || c->cur->key[0] == '\0') {
        g_set_error (error, SEECITV_S3XML_ERROR, SEECITV_S3XML_ERROR_SYNTAX,
            "object without a key");
        return;
      }
      g_ptr_array_add (c->list->objects, c->cur);
      c->cur = NULL;
    } else if (strcmp (name, "IsTruncated") == 0) {
      c->list->truncated = strcmp (c->text->str, "true") == 0;
    } else if (strcmp (name, "NextContinuationToken") == 0) {
      g_free (c->list->next_token);
      c->list->next_token = take_text (c);
    }
  } else if (c->kind == DOC_ERROR && d == 2) {
    if (strcmp (name, "Code") == 0) {
      g_free (c->code);
      c->code = take_text (c);
    } else if (strcmp (name, "Message") == 0) {
      g_free (c->message);
      c->message = take_text (c);
    }
  } else if (c->kind == DOC_UPLOAD && d == 2
      && strcmp (name, "UploadId") == 0) {
    g_free (c->upload_id);
    c->upload_id = take_text (c);
  }
  c->depth--;
  g_string_truncate (c->text, 0);
}

static void
text (GMarkupParseContext * ctx, const gchar * t, gsize len, gpointer data,
    GError ** error)
{
  Collector *c = data;

  if (c->text->len + len > SEECITV_S3XML_MAX_TEXT) {
    g_set_error (error, SEECITV_S3XML_ERROR, SEECITV_S3XML_ERROR_SYNTAX,
        "XML text too long");
    return;
  }
  g_string_append_len (c->text, t, len);
}

static const GMarkupParser parser = { start_element, end_element, text,
  NULL, NULL
};

static gboolean
collect (Collector * c, const gchar * xml, gsize len, GError ** error)
{
  GMarkupParseContext *ctx;
  gboolean ok;

  if (len > SEECITV_S3XML_MAX_BODY) {
    g_set_error (error, SEECITV_S3XML_ERROR, SEECITV_S3XML_ERROR_SYNTAX,
        "XML body too large");
    return FALSE;
  }
  c->text = g_string_new (NULL);
  ctx = g_markup_parse_context_new (&parser, G_MARKUP_PREFIX_ERROR_POSITION,
      c, NULL);
  ok = g_markup_parse_context_parse (ctx, xml, len, error)
      && g_markup_parse_context_end_parse (ctx, error);
  g_markup_parse_context_free (ctx);
  /* GMarkup quotes the offending bytes, which may not be UTF-8. */
  if (!ok && error != NULL && *error != NULL
      && !g_utf8_validate ((*error)->message, -1, NULL)) {
    gchar *valid = g_utf8_make_valid ((*error)->message, -1);
    g_free ((*error)->message);
    (*error)->message = valid;
  }
  g_string_free (c->text, TRUE);
  g_clear_pointer (&c->cur, seecitv_s3_object_free);
  if (ok && !c->root_ok) {
    g_set_error (error, SEECITV_S3XML_ERROR, SEECITV_S3XML_ERROR_UNEXPECTED,
        "empty XML document");
    ok = FALSE;
  }
  return ok;
}

void
seecitv_s3_object_free (SeecitvS3Object * obj)
{
  if (obj == NULL)
    return;
  g_free (obj->key);
  g_free (obj->last_modified);
  g_free (obj->etag);
  g_free (obj);
}

void
seecitv_s3_list_result_free (SeecitvS3ListResult * res)
{
  if (res == NULL)
    return;
  g_ptr_array_unref (res->objects);
  g_free (res->next_token);
  g_free (res);
}

SeecitvS3ListResult *
seecitv_s3xml_parse_list (const gchar * xml, gsize len, GError ** error)
{
  Collector c = { DOC_LIST };

  c.list = g_new0 (SeecitvS3ListResult, 1);
  c.list->objects =
      g_ptr_array_new_with_free_func ((GDestroyNotify) seecitv_s3_object_free);
  if (!collect (&c, xml, len, error)) {
    seecitv_s3_list_result_free (c.list);
    return NULL;
  }
  if (c.list->truncated && (c.list->next_token == NULL
          || c.list->next_token[0] == '\0')) {
    g_set_error (error, SEECITV_S3XML_ERROR, SEECITV_S3XML_ERROR_UNEXPECTED,
        "truncated listing without a continuation token");
    seecitv_s3_list_result_free (c.list);
    return NULL;
  }
  return c.list;
}

gboolean
seecitv_s3xml_parse_error (const gchar * xml, gsize len, gchar ** code,
    gchar ** message, GError ** error)
{
  Collector c = { DOC_ERROR };
  gboolean ok = collect (&c, xml, len, error);

  if (ok) {
    *code = c.code;
    *message = c.message;
  } else {
    g_free (c.code);
    g_free (c.message);
  }
  return ok;
}

gchar *
seecitv_s3xml_parse_upload_id (const gchar * xml, gsize len, GError ** error)
{
  Collector c = { DOC_UPLOAD };

  if (!collect (&c, xml, len, error)) {
    g_free (c.upload_id);
    return NULL;
  }
  if (c.upload_id == NULL || c.upload_id[0] == '\0') {
    g_free (c.upload_id);
    g_set_error (error, SEECITV_S3XML_ERROR, SEECITV_S3XML_ERROR_UNEXPECTED,
        "no UploadId in the reply");
    return NULL;
  }
  return c.upload_id;
}

gchar *
seecitv_s3xml_complete_multipart (const gchar * const *etags, guint n)
{
  GString *s = g_string_new ("<CompleteMultipartUpload>");
  guint i;

  for (i = 0; i < n; i++) {
    gchar *e = g_markup_escape_text (etags[i], -1);
    g_string_append_printf (s, "<Part><PartNumber>%u</PartNumber>"
        "<ETag>%s</ETag></Part>", i + 1, e);
    g_free (e);
  }
  g_string_append (s, "</CompleteMultipartUpload>");
  return g_string_free (s, FALSE);
}
